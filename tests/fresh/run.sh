#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# The first-run test: each README command as the very first command on a fresh
# Debian 12 that has only git and make, as a newcomer meets it.  A minbase
# bookworm is debootstrapped once into build/fresh/base.tar (kept between runs;
# FRESH_REBUILD=1 makes it anew).  For every command, a new root is unpacked
# from it, this repository's committed HEAD is cloned into /root/wdt-dm, and
# the command runs there in a chroot of its own mount namespace (proc, sys,
# dev; nothing else of the host).  As in CI, a copy of the folder that holds
# ACRN's source (the Makefile's ACRN, when present) lies beside the clone.  Needs root and Debian's mirror.
#
# Usage: tests/fresh/run.sh ['CMD' ...]      default: 'make demo'
#   FRESH_COPY='file ...' copies those files into the chroot's /root first.
#   e.g. tests/fresh/run.sh 'make demo' 'make bench' 'samples/launch_uos.sh'
# Logs: build/fresh/<pid>-<n>.log.  Exit 0 only if every command exited 0.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/fresh
base=$out/base.tar
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
ACRN=${ACRN:-../shared/acrn}

if [ "${1:-}" = --inside ]; then
	# Runs in the private mount namespace: mount what a booted system has.
	root=$2
	mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys" &&
		mount --rbind /dev "$root/dev" || exit 1
	exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /root/wdt-dm && $3"
fi

[ "$(id -u)" = 0 ] || { echo "fresh: needs root (debootstrap, chroot)" >&2; exit 2; }
[ $# -gt 0 ] || set -- "make demo"
mkdir -p "$out"

make_base() {
	local root=$out/base
	command -v debootstrap >/dev/null || {
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	} || return 1
	rm -rf "$root"
	echo "fresh: debootstrap bookworm (minbase + git, make) into $root"
	debootstrap --variant=minbase --include=git,make,ca-certificates bookworm "$root" "$mirror" \
		>"$out/debootstrap.log" 2>&1 || { tail -n 20 "$out/debootstrap.log"; return 1; }
	tar -C "$root" -cf "$base.new" . && mv "$base.new" "$base" && rm -rf "$root"
}

# run_one N CMD: a fresh root, a fresh clone, CMD as the first command.
run_one() {
	local n=$1 cmd=$2 root=$out/root-$$-$1 log=$out/$$-$1.log rc t0 acrn_home
	rm -rf "$root"
	mkdir -p "$root"
	tar -C "$root" -xf "$base"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	git clone -q "$top" "$root/root/wdt-dm" || return 1
	# As in CI, the folder holding ACRN's source lies beside the clone.
	acrn_home=$(cd "$top" && cd "$(dirname "$ACRN")" 2>/dev/null && pwd) &&
		cp -a "$acrn_home" "$root/root/"
	# FRESH_COPY: files the command needs from outside the repository (a package).
	for f in ${FRESH_COPY:-}; do cp -a "$f" "$root/root/" || return 1; done
	t0=$(date +%s)
	echo "fresh: [$n] $cmd"
	unshare --mount --propagation private "$top/tests/fresh/run.sh" --inside "$root" "$cmd" >"$log" 2>&1
	rc=$?
	echo "fresh: [$n] exit $rc in $(($(date +%s) - t0)) s (log $log)"
	[ "$rc" = 0 ] || tail -n 25 "$log"
	rm -rf "$root"
	return "$rc"
}


{ [ -f "$base" ] && [ -z "${FRESH_REBUILD:-}" ]; } || make_base || { echo "fresh: no base"; exit 1; }
fail=0 pass=0 n=0
for cmd in "$@"; do
	n=$((n + 1))
	if run_one "$n" "$cmd"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "fresh: $pass passed, $fail failed"
[ "$fail" = 0 ]
