#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Command-line checks: every bad argument is one line on stderr and exit status 2;
# good ones run.  Usage: tests/cli.sh build/wdt-dm
set -u
dm=${1:-build/wdt-dm}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad() { # bad <description> <args...>: must exit 2 with exactly one stderr line
	desc=$1
	shift
	"$dm" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ]; then
		pass=$((pass + 1))
	else
		echo "cli: FAIL $desc: status $rc, $lines stderr lines:"
		sed 's/^/    /' "$tmp/err"
		fail=$((fail + 1))
	fi
}

good() { # good <description> <expected stdout substring> <args...>
	desc=$1
	want=$2
	shift 2
	printf 'clock_step 10\n' | "$dm" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q -- "$want" "$tmp/out"; then
		pass=$((pass + 1))
	else
		echo "cli: FAIL $desc: status $rc"
		sed 's/^/    /' "$tmp/err" "$tmp/out"
		fail=$((fail + 1))
	fi
}

bad "no front end"
bad "unknown emulation" -s 5,nosuchdev --qtest stdio
bad "duplicate slot" -s 5,wdt-i6300esb -s 5,wdt-i6300esb --qtest stdio
bad "slot above 31" -s 32,wdt-i6300esb --qtest stdio
bad "function above 7" -s 5:8,wdt-i6300esb --qtest stdio
bad "slot not a number" -s x,wdt-i6300esb --qtest stdio
bad "missing emulation" -s 5 --qtest stdio
bad "bad uuid" -U not-a-uuid --qtest stdio
bad "missing value" --qtest
bad "missing -s value" -s
bad "unknown option" --frobnicate --qtest stdio
bad "bad qtest transport" --qtest tcp:1234
bad "two front ends" --qtest stdio --sim vcpus=1
bad "bad device option" -s 5,wdt-i6300esb,action=explode --qtest stdio
bad "bad vcpu-stall option" --vcpu-stall vcpus=0 --qtest stdio
bad "stray argument" --qtest stdio stray
good "help" "usage:" --help
good "version" "wdt-dm " --version
good "qtest with a device" "OK 10" -s 5,wdt-i6300esb --qtest stdio
good "given uuid" "OK 10" -U 6ba7b810-9dad-11d1-80b4-00c04fd430c8 --qtest stdio
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
