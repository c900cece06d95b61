#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# `make qemu-clients` (issue 15): QEMU 7.2's own clients against wdt-dm, unchanged.
#  1. fetch.sh gets the client code from Debian's qemu source package (hashes checked;
#     cached in $WDT_DM_CACHE/qemu-clients, else build/qemu-clients).
#  2. libqtest (tests/qtest/libqtest.c, libqmp.c and the qobject/util files they need)
#     is built against glib with this directory's stand-ins for QEMU's generated
#     headers, and runs wdt-i6300esb-test.c with QTEST_QEMU_BINARY = the launcher.
#  3. qemu.machine.qtest and qemu.qmp (python/qemu) run machine_test.py.
# Prints one line per step and "qemu-clients: N passed, N failed".
# Usage: tests/qemu-clients/run.sh build/wdt-dm
set -u
dm=$(cd "$(dirname "${1:-build/wdt-dm}")" && pwd)/$(basename "${1:-build/wdt-dm}")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${WDT_DM_CACHE:-$top/build}/qemu-clients
out=$top/build/qemu-clients
pass=0
fail=0
ok() { echo "qemu-clients: PASS $1"; pass=$((pass + 1)); }
ko() { echo "qemu-clients: FAIL $1"; fail=$((fail + 1)); }
finish() { echo "qemu-clients: $pass passed, $fail failed"; [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]; exit $?; }

for p in libglib2.0-dev pkg-config; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
	# shellcheck disable=SC2086
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } \
		>/dev/null 2>&1 || { ko "cannot install$missing"; finish; }
fi
if ! src=$(sh "$here/fetch.sh" "$cache"); then
	ko "fetching QEMU's client code from Debian's source package"
	finish
fi
ok "QEMU $(cat "$src/VERSION") client code from Debian's source package, hashes checked"

# -- libqtest
mkdir -p "$out/obj"
files="tests/qtest/libqtest.c tests/qtest/libqmp.c qobject/qobject.c qobject/qdict.c
	qobject/qlist.c qobject/qstring.c qobject/qnum.c qobject/qbool.c qobject/qnull.c
	qobject/qjson.c qobject/qlit.c qobject/json-lexer.c qobject/json-parser.c
	qobject/json-streamer.c qobject/json-writer.c util/cutils.c util/unicode.c util/error.c"
cflags="-std=gnu11 -O1 -g -D_GNU_SOURCE -w -I$here/include -I$src/include -I$src/tests/qtest
	-I$src $(pkg-config --cflags glib-2.0)"
objs=
built=1
for f in $files; do
	o=$out/obj/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')
	# shellcheck disable=SC2086
	${CC:-cc} $cflags -c -o "$o" "$src/$f" 2>>"$out/build.log" || built=0
	objs="$objs $o"
done
# shellcheck disable=SC2086,SC2046
${CC:-cc} $cflags -o "$out/wdt-i6300esb-test" "$here/wdt-i6300esb-test.c" "$here/glue.c" $objs \
	$(pkg-config --libs glib-2.0) 2>>"$out/build.log" || built=0
if [ "$built" -eq 0 ]; then
	ko "building libqtest (see $out/build.log)"
	finish
fi
ok "libqtest built against glib with wdt-dm's stand-in headers"
if WDT_DM="$dm" QTEST_QEMU_BINARY="$here/wdt-dm-system-x86_64" timeout 120 \
	"$out/wdt-i6300esb-test" --tap -k >"$out/libqtest.log" 2>&1; then
	ok "libqtest: $(grep -c '^ok' "$out/libqtest.log") tests (enumerate, start/ping, both stages, IRQ, RESET over QMP, timeout flag, guest RAM, quit)"
else
	ko "libqtest (see $out/libqtest.log): $(grep -m1 -E 'not ok|ERROR|assert' "$out/libqtest.log")"
fi

# -- qemu.machine.qtest and qemu.qmp
if WDT_DM="$dm" PYTHONPATH="$src/python" timeout 180 python3 "$here/machine_test.py" \
	"$here/wdt-dm-system-x86_64" "$out" >"$out/python.log" 2>&1; then
	sed -n "s/^PASS //p" "$out/python.log" | while read -r line; do ok "$line"; done
	pass=$((pass + $(grep -c "^PASS " "$out/python.log")))
else
	grep '^PASS ' "$out/python.log" | while read -r line; do echo "qemu-clients: $line"; done
	ko "python clients (see $out/python.log): $(grep -v '^PASS ' "$out/python.log" | tail -n 1)"
fi
finish
