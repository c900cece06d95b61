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

as="" # a command prefix to run wdt-dm as another user (bad_as_nobody)

bad() { # bad <description> <args...>: must exit 2 with exactly one stderr line
	d=$1
	shift
	bad_says "$d" "" "$@"
}

bad_says() { # bad_says <description> <stderr substring> <args...>: bad, saying that
	desc=$1
	want=$2
	shift 2
	$as "$dm" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q -- "$want" "$tmp/err"; then
		pass=$((pass + 1))
	else
		echo "cli: FAIL $desc: status $rc, $lines stderr lines (want one with \"$want\"):"
		sed 's/^/    /' "$tmp/err"
		fail=$((fail + 1))
	fi
}

bad_as_nobody() { # bad, run as user nobody (needs root, setpriv and a binary nobody can run)
	as="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null ||
		! $as "$dm" --version >/dev/null 2>&1; then
		echo "cli: skipped as nobody: $1"
	else
		bad "$@"
	fi
	as=""
}

all_functions() { # -s options for every slot and function the parser accepts
	for s in $(seq 0 31); do
		for f in $(seq 0 7); do
			printf -- '-s %d:%d,wdt-i6300esb ' "$s" "$f"
		done
	done
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
bad_says "stall window on a BAR" "overlaps wdt-i6300esb" \
	--vcpu-stall base=0x80000000 -s 5,wdt-i6300esb --qtest stdio
bad_says "stall window past the end" "past the end" \
	--vcpu-stall base=0xfffffffffffff000 --qtest stdio
bad_says "stall window unaligned" "aligned" --vcpu-stall base=0x3800 --qtest stdio
bad "qtest socket in a missing directory" --qtest "unix:$tmp/missing/sock"
mkdir "$tmp/ro" && chmod 755 "$tmp/ro" && chmod 711 "$tmp"
bad_as_nobody "qtest socket in a directory nobody may write" --qtest "unix:$tmp/ro/sock"
bad_says "slot 0 under QEMU" "slot 0 is QEMU's" -s 0,wdt-i6300esb -- qemu-system-x86_64
bad_says "slot 0 function 3 under QEMU" "slot 0 is QEMU's" \
	-s 0:3,wdt-i6300esb -- qemu-system-x86_64
bad_says "function 1 without function 0" "nothing at function 0" -s 5:1,wdt-i6300esb --qtest stdio
bad "events and qtest both on stdout" --events - --qtest stdio
bad_says "procfs clock with simulated vCPUs" "not KVM vCPUs" \
	--sim vcpus=1 --vcpu-stall clock=procfs
bad_says "procfs clock with qtest" "not KVM vCPUs" --vcpu-stall clock=procfs --qtest stdio
bad_says "procfs clock with QEMU under TCG" "not KVM vCPUs" \
	--vcpu-stall clock=procfs -s 5,wdt-i6300esb -- qemu-system-x86_64 -accel tcg
good "help" "usage:" --help
good "version" "wdt-dm " --version
good "qtest with a device" "OK 10" -s 5,wdt-i6300esb --qtest stdio
good "given uuid" "OK 10" -U 6ba7b810-9dad-11d1-80b4-00c04fd430c8 --qtest stdio
# shellcheck disable=SC2046 # one word per option
good "a watchdog at every slot and function" "OK 10" $(all_functions) --qtest stdio
good "function 1 with function 0" "OK 10" -s 5,wdt-i6300esb -s 5:1,wdt-i6300esb --qtest stdio
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
