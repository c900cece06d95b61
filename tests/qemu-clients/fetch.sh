#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fetches QEMU 7.2's client code (libqtest, qemu.machine, qemu.qmp) from Debian's
# source package of the installed qemu-system-x86, with a private apt configuration
# (the system's sources are left alone), checks every file against the .dsc's
# SHA-256 checksums and unpacks only the client files.  Nothing is copied into the
# repository and nothing is changed.  Cached: a second run fetches and unpacks nothing
# but checks the hashes again.
# Usage: tests/qemu-clients/fetch.sh DIR   (prints DIR/src, the unpacked tree)
set -eu
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
src=$dir/src
ver=$(dpkg-query -W -f '${source:Version}' qemu-system-x86 2>/dev/null || true)
[ -n "$ver" ] || { echo "qemu-clients: qemu-system-x86 is not installed" >&2; exit 1; }
apt=$dir/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/preferences.d" \
	"$apt/etc/apt.conf.d" "$apt/etc/sources.list.d"
key=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt/etc/sources.list" <<SRC
deb-src [signed-by=$key] http://deb.debian.org/debian bookworm bookworm-updates main
deb-src [signed-by=$key] http://deb.debian.org/debian-security bookworm-security main
SRC
run_apt() {
	apt-get -q -o Dir::Etc="$apt/etc" -o Dir::Etc::SourceList="$apt/etc/sources.list" \
		-o Dir::Etc::SourceParts="$apt/etc/sources.list.d" \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
		-o Debug::NoLocking=1 "$@"
}
first() { # first existing file matching the glob in $1, or nothing (status 0 either way)
	for f in $1; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 0
}
dsc=$(first "$dir/qemu_*.dsc")
if [ -z "$dsc" ]; then
	run_apt update >"$dir/apt-update.log" 2>&1 || { cat "$dir/apt-update.log" >&2; exit 1; }
	(cd "$dir" && run_apt source --download-only "qemu=$ver") >"$dir/apt-source.log" 2>&1 ||
		{ tail -5 "$dir/apt-source.log" >&2; exit 1; }
	dsc=$(first "$dir/qemu_*.dsc")
fi
# The .dsc's Checksums-Sha256 lines: "<sha256> <size> <file>".
(cd "$dir" && awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 }
	on && NF == 3 { print $1 "  " $3 }' "$dsc" | sha256sum -c --quiet -) ||
	{ echo "qemu-clients: checksum mismatch in $(basename "$dsc")" >&2; exit 1; }
orig=$(first "$dir/qemu_*.orig.tar.*")
# Unpacked from these very files before: nothing to do.
if [ -f "$src/.complete" ] && [ "$(cat "$src/.complete")" = "$(sha256sum "$orig" | cut -d' ' -f1)" ]; then
	echo "$src"
	exit 0
fi
rm -rf "$src"
mkdir -p "$src"
tar -xf "$orig" -C "$src" --strip-components=1 --wildcards \
	'*/tests/qtest/libqtest.c' '*/tests/qtest/libqtest.h' '*/tests/qtest/libqmp.c' \
	'*/tests/qtest/libqmp.h' '*/tests/qtest/libqtest-single.h' \
	'*/include/*' '*/qobject/*' '*/util/*' '*/python/qemu/*' '*/VERSION' 2>"$dir/tar.log" ||
	{ cat "$dir/tar.log" >&2; exit 1; }
sha256sum "$orig" | cut -d' ' -f1 >"$src/.complete"
echo "$src"
