#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# make fuzz-smoke and make fuzz-long (issue 7): the libFuzzer harnesses that
# make fuzz built into build/fuzz/bin/, over their seed corpus
# (unit/fuzz/corpus/<harness>/).  New inputs go to build/fuzz/new/ (smoke) or
# build/fuzz/long/ (long), never into the committed corpus; crashes to
# build/fuzz/artifacts/.
#   smoke  each harness for FUZZ_RUNS inputs, seed 1, one after the other; fails
#          on any finding
#   long   each harness for FUZZ_TIME seconds, FUZZ_JOBS at a time; prints the
#          exit status and the executed-units count of each
# Usage: tests/fuzz/run.sh smoke|long harness...; FUZZ_FLAGS, FUZZ_RUNS,
# FUZZ_TIME and FUZZ_JOBS come from the Makefile.
set -u
out=build/fuzz
mode=$1
shift
mkdir -p "$out/artifacts"

# One harness: run <harness> <new-input dir> <log> [libFuzzer flags...]
run() {
	h=$1 new=$2 log=$3
	shift 3
	mkdir -p "$new" "unit/fuzz/corpus/$h"
	# $FUZZ_FLAGS is a list of flags: split on purpose.
	"$out/bin/$h" $FUZZ_FLAGS "$@" -artifact_prefix="$out/artifacts/$h-" "$new" \
		"unit/fuzz/corpus/$h" >"$log" 2>&1
}

case $mode in
smoke)
	fail=0
	for h; do
		rm -rf "$out/new/$h"
		start=$(date +%s)
		if run "$h" "$out/new/$h" "$out/$h.log" -runs="$FUZZ_RUNS" -seed=1; then
			echo "fuzz-smoke: PASS $h ($FUZZ_RUNS runs, $(($(date +%s) - start))s)"
		else
			echo "fuzz-smoke: FAIL $h (see $out/$h.log)"
			grep -E "ERROR|invariant|SUMMARY" "$out/$h.log" | head -5
			fail=1
		fi
	done
	exit $fail
	;;
long)
	printf '%s\n' "$@" | xargs -P "$FUZZ_JOBS" -I{} sh "$0" long-one {}
	;;
long-one)
	h=$1
	run "$h" "$out/long/$h" "$out/$h.long.log" -max_total_time="$FUZZ_TIME" -print_final_stats=1
	rc=$?
	echo "fuzz-long: $h exit $rc: $(grep -h stat::number_of_executed_units "$out/$h.long.log")"
	;;
*)
	echo "usage: tests/fuzz/run.sh smoke|long harness..." >&2
	exit 2
	;;
esac
