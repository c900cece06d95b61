#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# Real-time tests of the simulated-vCPU front end (devicemodel/hv/sim.c, issue 6).
# They run wdt-dm --sim for real (about 50 s in all), so they live outside the
# CUnit suite, and their bounds are generous: other load on the host only makes
# vCPUs slower, which a detector that counts CPU time must shrug off.
#   A  6 vCPUs, at most 2 running at a time (host-scheduler model, 1 s slices):
#      the hung vCPU is detected within its budget of CPU time plus slack, the
#      starved vCPU never is, and no vCPU that kept petting is reported although
#      its wall time between pets exceeds what a wall-clock detector allows.
#   B  6 spinning vCPUs left to the kernel's scheduler on this host's cores.
#   C  the watchdog daemon stops kicking: the 6300ESB fires, the guest reboots
#      and the driver reports CARDRESET; D  a daemon that keeps kicking never
#      sees a fire and its magic close stops the timer.
#   E  bad scenario options: one line on stderr, exit status 2.
#   F  a hang too late to be judged gives UNDECIDED (exit 3), never a pass.
# Usage: tests/sim/run.sh [path/to/wdt-dm]; last line "N passed, N failed".
set -u
DM=${1:-build/wdt-dm}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else ko "$desc"; fi; }

# vfield OUT WHO KEY: KEY=value on the VERDICT line of WHO (vcpu=N or daemon)
vfield() {
	awk -v who="$2" -v k="$3" '$1 == "VERDICT" && $2 == who {
		for (i = 3; i <= NF; i++) { n = index($i, "="); if (substr($i, 1, n - 1) == k) print substr($i, n + 1) } }' "$1"
}
# vstatus OUT WHO: OK or MISMATCH
vstatus() { awk -v who="$2" '$1 == "VERDICT" && $2 == who { print $5 }' "$1"; }
in_range() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# stall_events EV VCPU: VCPU_STALL events for that vCPU in the events file
stall_events() { grep '"event": "VCPU_STALL"' "$1" | grep -c "\"vcpu\": $2,"; }
wall_line() { grep '^WALLCLOCK' "$1"; }

run_sim() { # name args...: runs wdt-dm, keeps stdout, events and status
	name=$1; shift
	echo "== $name: wdt-dm $*"
	"$DM" --events "$TMP/$name.ev" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
	grep -E '^(VERDICT|WALLCLOCK|RESULT)' "$TMP/$name.out"
}

# run_judged NAME SECONDS SIMOPTS: run_sim with --sim duration=SECONDSs,SIMOPTS;
# while a hung vCPU is UNDECIDED (exit 3: a host busy with other work gave its
# thread too little CPU time in the run to be judged), again with the duration
# doubled, at most three times.  Only exit 3 is retried: a mismatch fails at once.
run_judged() {
	name=$1 secs=$2 opts=$3 tries=0
	run_sim "$name" --sim "duration=${secs}s,$opts"
	while [ "$(cat "$TMP/$name.rc")" = 3 ] && [ $tries -lt 3 ]; do
		tries=$((tries + 1))
		secs=$((secs * 2))
		echo "   (undecided: the hung vCPU got $(grep -o 'end_cpu_ms=[0-9]*' "$TMP/$name.out")" \
			"of CPU; again for ${secs} s)"
		run_sim "$name" --sim "duration=${secs}s,$opts"
	done
}

# The hung vCPU: "interrupt" after one budget of CPU time, "reset" after two,
# never early (1 ms for clock-read skew), at most $3 ms late.
check_hung() { # name vcpu budget_ms late_ms
	i=$(vfield "$TMP/$1.out" "vcpu=$2" interrupt_cpu_ms)
	r=$(vfield "$TMP/$1.out" "vcpu=$2" reset_cpu_ms)
	check "$1: hung vcpu$2 verdict OK" [ "$(vstatus "$TMP/$1.out" "vcpu=$2")" = OK ]
	check "$1: hung vcpu$2 interrupt after ${i:-?} ms CPU (budget $3 ms)" \
		in_range "$i" $(($3 - 1)) $(($3 + $4))
	check "$1: hung vcpu$2 reset after ${r:-?} ms CPU (2 x budget)" \
		in_range "$r" $((2 * $3 - 1)) $((2 * $3 + $4))
}

# Every vCPU but the hung one: never reported, in the verdicts and in the events.
check_petting() { # name hung_vcpu nvcpus
	v=0
	while [ $v -lt "$3" ]; do
		if [ $v -ne "$2" ]; then
			check "$1: vcpu$v (not hung) is not reported" \
				test "$(vstatus "$TMP/$1.out" "vcpu=$v")" = OK \
				-a "$(stall_events "$TMP/$1.ev" $v)" -eq 0
		fi
		v=$((v + 1))
	done
}

# ---- A: overcommitted host, host-scheduler model ----
run_judged A 20 vcpus=6,timeout=1s,slice=1s,pcpus=2,hang=2@1s,starve=3@1.5s+6s,slack=1s
check "A: exit status 0 (every verdict matches)" [ "$(cat "$TMP/A.rc")" -eq 0 ]
check_hung A 2 1000 1000
check "A: starved vcpu3 was blocked >= 5.9 s" in_range "$(vfield "$TMP/A.out" vcpu=3 starved_ms)" 5900 7000
check "A: starved vcpu3 is never reported" [ "$(stall_events "$TMP/A.ev" 3)" -eq 0 ]
check_petting A 2 6
gaps_over=0
for v in 0 1 3 4 5; do
	g=$(vfield "$TMP/A.out" "vcpu=$v" wall_max_gap_ms)
	[ -n "$g" ] && [ "$g" -gt 1000 ] && gaps_over=$((gaps_over + 1))
done
check "A: all 5 petting vCPUs had wall gaps between pets above the 1 s budget" [ $gaps_over -eq 5 ]
fr=$(wall_line "$TMP/A.out" | sed -n 's/.*false_reports=\([0-9]*\).*/\1/p')
echo "   a wall-clock detector would have reported ${fr:-?} stalls of vCPUs that kept petting"
check "A: a wall-clock detector would have reported false stalls (${fr:-?})" in_range "${fr:-0}" 1 100000

# ---- B: the kernel schedules 6 spinning vCPUs on this host's cores ----
# The hung vCPU needs 2 s of CPU for "reset"; with 6 spinners on 2 idle cores it
# gets it by about 7 s of wall time.  On a host busy with other work it may get
# far less (seen: 1.5 s of CPU in 19 s of wall at a load average of 13), and the
# run is repeated longer (run_judged).
run_judged B 20 vcpus=6,timeout=1s,hang=1@1s,starve=2@1s+5s,slack=1s
check "B: exit status 0" [ "$(cat "$TMP/B.rc")" -eq 0 ]
check_hung B 1 1000 1000
check "B: starved vcpu2 is never reported" [ "$(stall_events "$TMP/B.ev" 2)" -eq 0 ]
check_petting B 1 6
g=$(vfield "$TMP/B.out" vcpu=2 wall_max_gap_ms)
check "B: starved vcpu2's wall gap (${g:-?} ms) exceeds the budget a wall-clock detector allows" \
	in_range "$g" 1001 100000

# ---- C: the daemon stops kicking ----
run_sim C -s 5,wdt-i6300esb --sim vcpus=2,duration=9s,timeout=2s,wdt-timeout=2,daemon-stop@3s
check "C: exit status 0" [ "$(cat "$TMP/C.rc")" -eq 0 ]
check "C: daemon verdict OK" [ "$(vstatus "$TMP/C.out" daemon)" = OK ]
check "C: the 6300ESB fired (WATCHDOG event)" \
	grep -q '"event": "WATCHDOG".*"device": "wdt-i6300esb"' "$TMP/C.ev"
check "C: it fired 2 x 1.0066 s after the last kick, within 0.5 s" \
	in_range "$(vfield "$TMP/C.out" daemon fire_after_last_kick_ms)" 2012 2513
check "C: and at most that long after the daemon stopped" \
	in_range "$(vfield "$TMP/C.out" daemon fire_after_stop_ms)" 0 2513
check "C: the VM was reset (RESET event)" grep -q '"event": "RESET"' "$TMP/C.ev"
check "C: the rebooted driver reports CARDRESET" [ "$(vfield "$TMP/C.out" daemon cardresets)" = 1 ]
check "C: no vCPU was reported" [ "$(grep -c '"event": "VCPU_STALL"' "$TMP/C.ev")" -eq 0 ]

# ---- D: the daemon keeps kicking ----
run_sim D -s 5,wdt-i6300esb --sim vcpus=2,duration=5s,wdt-timeout=2
check "D: exit status 0, no fire" test "$(cat "$TMP/D.rc")" -eq 0 -a \
	"$(grep -c '"event": "WATCHDOG"' "$TMP/D.ev")" -eq 0
check "D: the daemon pinged" in_range "$(vfield "$TMP/D.out" daemon pings)" 3 100
check "D: magic close stopped the timer" [ "$(vfield "$TMP/D.out" daemon magic_close)" = stopped ]

# ---- F: a hang too late in the run to be judged is UNDECIDED, never OK ----
run_sim F --sim vcpus=2,duration=2s,timeout=1s,hang=1@1500ms
check "F: exit status 3 and verdict UNDECIDED (0.5 s left for a 2 s budget)" \
	test "$(cat "$TMP/F.rc")" -eq 3 -a "$(vstatus "$TMP/F.out" vcpu=1)" = UNDECIDED

# ---- E: bad options ----
for bad in "vcpus=0" "vcpus=257" "vcpus=x" "duration=5x" "hang=4@1s" "hang=1" "hang=1@1s,hang=1@2s" \
	"starve=1@2s" "starve=1@2s+0" "freq=0" "timeout=1ms" "pcpus=2" "load=busy" "wdt-timeout=2047" \
	"bogus=1" "vcpus=2,vcpus=3" "daemon-stop@1s" "hang=0@30s" "duration=99999999999s"; do
	"$DM" --sim "$bad" >"$TMP/E.out" 2>"$TMP/E.err"
	rc=$?
	check "E: --sim '$bad' is refused with one line and status 2 ($(head -c 70 "$TMP/E.err"))" \
		test $rc -eq 2 -a "$(wc -l <"$TMP/E.err")" -eq 1
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
