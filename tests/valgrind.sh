#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# make valgrind (issue 7): the unit suite, every qtest sample, the QEMU front
# end against a fake QEMU that sends garbage / gets killed, and the qtest seeds
# (wdt + vcpu-stall) under valgrind: 0 errors, 0 leaks (valgrind's exit status
# 1 on any).  Usage: tests/valgrind.sh [build]; needs build/unit/unit_tests and
# build/wdt-dm; $CC builds the fake QEMU.
set -u
b=${1:-build}
vg() {
	valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect "$@"
}
fail() { echo "valgrind: FAIL $1"; cat "$2"; exit 1; }

# A forked child under valgrind on a loaded host may need seconds to answer.
export UNIT_CHILD_WAIT_MS=60000
vg "$b/unit/unit_tests" >"$b/valgrind-unit.log" 2>&1 || { tail -40 "$b/valgrind-unit.log"; exit 1; }
tail -1 "$b/valgrind-unit.log"

for f in samples/qtest/*.qtest; do
	args=$(sed -n 's/^# args: //p' "$f" | head -n 1)
	# $args is split into words on purpose: it is a command line.
	sed -n 's/^> //p' "$f" | vg "$b/wdt-dm" $args --qtest stdio --events /dev/null \
		>/dev/null 2>"$b/valgrind-qtest.log" || fail "$f" "$b/valgrind-qtest.log"
	echo "valgrind: PASS $f"
done

${CC:-cc} -O1 -o "$b/fakeqemu" tests/faults/fakeqemu.c || exit 1
for m in garbage:3 killed:137; do
	vg "$b/wdt-dm" -s 5,wdt-i6300esb -- "$b/fakeqemu" "${m%%:*}" >/dev/null 2>"$b/valgrind-qemu.log"
	rc=$?
	[ "$rc" -eq "${m##*:}" ] || fail "qemu front end, fakeqemu $m (status $rc)" "$b/valgrind-qemu.log"
	echo "valgrind: PASS qemu front end, fakeqemu ${m%%:*}"
done

for f in unit/fuzz/corpus/fuzz_qtest/seed-*; do
	vg "$b/wdt-dm" -s 5,wdt-i6300esb --vcpu-stall vcpus=2,clock=virtual --qtest stdio \
		--events /dev/null <"$f" >/dev/null 2>"$b/valgrind-qtest.log" ||
		fail "$f" "$b/valgrind-qtest.log"
	echo "valgrind: PASS $f"
done
