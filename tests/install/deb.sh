#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# The Debian package (issue 16).
#   deb.sh build   copies the tracked files to build/deb/src, builds the binary
#                  package there with dpkg-buildpackage (debhelper; the package's
#                  build runs the unit suite) and runs lintian on it, failing on
#                  any error or warning.  The package lands in build/deb/.
#   deb.sh test    installs that package with apt in a fresh Debian 12 chroot
#                  (tests/fresh/run.sh: only git and make to start with) and runs
#                  the installed wdt-dm: --version, every installed qtest
#                  scenario, and `man wdt-dm`.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/deb
cd "$top" || exit 1

build() {
	rm -rf "$out"
	mkdir -p "$out/src"
	git ls-files -z | tar --null -T - -cf - | tar -x -C "$out/src" || return 1
	echo "deb: dpkg-buildpackage (log build/deb/build.log)"
	if ! (cd "$out/src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
		tail -n 30 "$out/build.log"
		echo "deb: FAIL dpkg-buildpackage"
		return 1
	fi
	ls "$out"/wdt-dm_*.deb >/dev/null || return 1
	if ! lintian --fail-on error,warning "$out"/wdt-dm_*.changes >"$out/lintian.log" 2>&1; then
		cat "$out/lintian.log"
		echo "deb: FAIL lintian"
		return 1
	fi
	echo "deb: PASS $(basename "$out"/wdt-dm_*.deb) built, lintian clean" \
		"($(grep -c . "$out/lintian.log") lintian lines below warning level)"
}

test_installed() {
	local deb
	deb=$(basename "$(ls "$out"/wdt-dm_*.deb)") || return 1
	FRESH_COPY="$out/$deb" bash "$top/tests/fresh/run.sh" \
		"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		 /root/$deb man-db >/dev/null && wdt-dm --version && \
		 sh /usr/share/wdt-dm/samples/qtest/run.sh wdt-dm && \
		 man wdt-dm | grep -q 'hosting an Intel 6300ESB watchdog' && echo 'deb: man wdt-dm: ok' && \
		 apt-get remove -y -qq wdt-dm >/dev/null && [ ! -e /usr/bin/wdt-dm ] && echo 'deb: removed: ok'"
}

case "${1:-}" in
build) build ;;
test) test_installed ;;
*) echo "usage: deb.sh build|test" >&2; exit 2 ;;
esac
