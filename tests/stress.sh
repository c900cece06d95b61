#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# `make stress`: the flakiness check for the real-time suites.  Runs the fault
# cases and the simulated-vCPU test N times each and the real-guest e2e M times,
# in a row, with one CPU hog (`yes >/dev/null`) per core running all along, and
# prints the pass count of each.  A test that fails here for timing alone is
# a flaky test: widen it until it cannot, while it still catches its bug.
#   tests/stress.sh [path/to/wdt-dm]      N=30 M=5 by default (STRESS_N, STRESS_M)
# Logs of failed runs: build/stress/<suite>-<i>.log.
set -u
dm=${1:-build/wdt-dm}
n=${STRESS_N:-30}
m=${STRESS_M:-5}
out=build/stress
mkdir -p "$out"

hogs=""
for _ in $(seq "$(nproc)"); do
	yes >/dev/null &
	hogs="$hogs $!"
done
# shellcheck disable=SC2086
trap 'kill $hogs 2>/dev/null' EXIT INT TERM

# repeat NAME COUNT COMMAND...: runs COMMAND COUNT times, keeps failing logs.
repeat() {
	local name=$1 count=$2 pass=0 i
	shift 2
	for i in $(seq "$count"); do
		if "$@" >"$out/$name-$i.log" 2>&1; then
			pass=$((pass + 1))
			rm -f "$out/$name-$i.log"
		else
			echo "stress: $name run $i FAILED: $(grep -m3 -E 'FAIL|ko ' "$out/$name-$i.log" | tr '\n' ' ')"
		fi
	done
	echo "stress: $name $pass/$count passed"
	[ "$pass" = "$count" ]
}

rc=0
echo "stress: $(nproc) CPU hogs running; fault cases x$n, sim-test x$n, e2e x$m"
repeat faults "$n" sh tests/faults/run.sh "$dm" || rc=1
repeat sim-test "$n" sh tests/sim/run.sh "$dm" || rc=1
repeat e2e "$m" env DM="$dm" bash tests/e2e/run.sh || rc=1
exit $rc
