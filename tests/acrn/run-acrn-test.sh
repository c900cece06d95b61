#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# make acrn-test: runs acrn_test ($1/<variant>/acrn_test) -- our plugin with
# 1 and with 8 instances, plain, under ASan+UBSan and under TSan, and ACRN's
# stock plugin (one instance: it refuses a second) as the reference, plain
# and under TSan.  ASan must report nothing.  TSan reports are sorted by
# tsan-classify.awk: races between ACRN's own mevent/timer code paths are
# ACRN's and only counted (the stock plugin shows the same ones); any report
# with an access in our plugin, glue or harness fails the run.
set -u
D=$1
SRC=$D/src/
REBOOTS=${ACRN_TEST_REBOOTS:-500}
RESETS=${ACRN_TEST_RESETS:-100}
fail=0

run() { # name env binary args...
	name=$1 env=$2 bin=$3
	shift 3
	log=$D/$name.log
	start=$(date +%s)
	env $env timeout 600 "$bin" "$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	grep "^acrn-test: FAIL" "$log"
	case $env in
	*TSAN*)
		set -- $(awk -v SRC="$SRC" -f tests/acrn/tsan-classify.awk "$log" | tail -n 1)
		awk -v SRC="$SRC" -f tests/acrn/tsan-classify.awk "$log" | grep SUMMARY
		if [ "$4" != 0 ] || ! grep -q " 0 failure(s)" "$log"; then
			echo "acrn-test: FAIL $name: $4 TSan report(s) involving our code" \
			     "(log: $log)"
			fail=1
		else
			echo "acrn-test: PASS $name (${secs}s): 0 TSan reports involving our" \
			     "code, $2 with both accesses inside ACRN's own sources"
		fi ;;
	*)
		san="ERROR: (Address|Leak)Sanitizer|runtime error"
		if [ $rc -ne 0 ] || grep -qE "$san" "$log"; then
			grep -E "ERROR|runtime error|SUMMARY" "$log" | head -5
			echo "acrn-test: FAIL $name, exit $rc (log: $log)"
			fail=1
		else
			n=$(grep -c '^acrn-test: PASS' "$log")
			echo "acrn-test: PASS $name (${secs}s): $n checks"
		fi ;;
	esac
}

# Sanitizer builds run the timer path several times slower: a wider late bound
# (ACRN_TEST_LATE_S, seconds; 1.5 by default) for their reset timing.
run ours-1 "X=1" "$D/ours/acrn_test" 1 "$REBOOTS" "$RESETS"
grep -E "^acrn-test: PASS (reset requested|after ACRN|... and|S3: vm_reset)" "$D/ours-1.log"
run ours-8 "X=1" "$D/ours/acrn_test" 8 "$REBOOTS" "$RESETS"
run ours-asan-1 "ACRN_TEST_LATE_S=5 ASAN_OPTIONS=detect_leaks=1" "$D/ours-asan/acrn_test" 1 "$REBOOTS" "$RESETS"
run ours-asan-8 "ACRN_TEST_LATE_S=5 ASAN_OPTIONS=detect_leaks=1" "$D/ours-asan/acrn_test" 8 "$REBOOTS" "$RESETS"
run ours-tsan-1 "ACRN_TEST_LATE_S=5 TSAN_OPTIONS=halt_on_error=0" "$D/ours-tsan/acrn_test" 1 "$REBOOTS" "$RESETS"
run ours-tsan-8 "ACRN_TEST_LATE_S=5 TSAN_OPTIONS=halt_on_error=0" "$D/ours-tsan/acrn_test" 8 "$REBOOTS" "$RESETS"
# The reference: ACRN's stock plugin counts whole seconds, so its stress is short.
run stock-1 "X=1" "$D/stock/acrn_test" 1 20 3
grep -E "^acrn-test: PASS (reset requested|after ACRN|S3: vm_reset)" "$D/stock-1.log"
run stock-tsan-1 "ACRN_TEST_LATE_S=5 TSAN_OPTIONS=halt_on_error=0" "$D/stock-tsan/acrn_test" 1 20 3
exit $fail
