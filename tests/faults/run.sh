#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fault cases (issue 7): wdt-dm under conditions a host, a peer or a user
# inflicts.  Each case states the outcome it requires.
#   events-dev-full    events file on /dev/full: the watchdog still fires, every command
#                      is answered, one log line about the events file, exit 0
#   sigint-qtest       SIGINT while a qtest session waits for input: gone within 5 s,
#                      by the signal or with status 0
#   garbage-stdio      64 KiB of random bytes on stdin: one OK/FAIL line per line, exit 0
#   garbage-unix       random bytes from a unix-socket peer that then closes: exit 0
#   peer-never-reads   a peer sends as many commands as the socket takes and closes
#                      without reading the replies: wdt-dm ends by itself within 20 s,
#                      with status 0, not killed by SIGPIPE
#   qmp-hostile        a QMP client sends garbage, unclosed brackets and commands and never
#                      reads: qtest still answers 5000 round trips within 30 s; SIGTERM: 0
# With the QEMU front end, QEMU played by fakeqemu.c (it gets the same arguments):
#   qemu-garbage       QEMU sends 64 KiB of garbage on the proxy socket, closes it and
#                      exits 3 a second later: connection dropped, wdt-dm exits 3
#   qemu-killed        QEMU dies by SIGKILL mid-run: wdt-dm exits 137 (QEMU's status)
#   qemu-never-reads   QEMU floods requests and never reads a reply: wdt-dm drops the
#                      connection instead of blocking, still serves signals: SIGINT
#                      stops QEMU and wdt-dm exits 130 (128 + SIGINT) within 10 s
#   sigint-during-reset  SIGINT while QEMU streams DEVICE_RESETs: same outcome
# Usage: tests/faults/run.sh [build/wdt-dm]; prints "faults: N passed, N failed".
set -u
dm=${1:-build/wdt-dm}
dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { echo "faults: PASS $1"; pass=$((pass + 1)); }
ko() { echo "faults: FAIL $1: $2"; fail=$((fail + 1)); }

for t in qpeer fakeqemu; do
	${CC:-cc} -O1 -o "$tmp/$t" "$dir/$t.c" || { echo "faults: cannot build $t"; exit 1; }
done

# The watchdog device, when this wdt-dm has it (parsing -s happens before --version).
wdt=""
"$dm" -s 5,wdt-i6300esb --version >/dev/null 2>&1 && wdt="-s 5,wdt-i6300esb"

# Waits up to $2 seconds for pid $1; sets rc (124: still running, then killed).
wait_for() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		rc=124
	else
		wait "$1"
		rc=$?
	fi
}

# Only OK/FAIL lines, and n of them.
replies_ok() { # file n
	[ "$(wc -l <"$1")" -eq "$2" ] && ! grep -qvE '^(OK|FAIL)' "$1"
}

case_events_dev_full() {
	# Linux's sequence, shortened: preload 1 (983040 ns per stage), enable, let it fire.
	cat >"$tmp/in" <<'Q'
outl 0xcf8 0x80002860
outw 0xcfc 0x0000
writew 0x8000000c 0x80
writew 0x8000000c 0x86
writel 0x80000000 0x1
writew 0x8000000c 0x80
writew 0x8000000c 0x86
writel 0x80000004 0x1
outl 0xcf8 0x80002868
outb 0xcfc 0x02
clock_step 3000000
readw 0x8000000c
system_reset
clock_step 1000
Q
	# shellcheck disable=SC2086
	timeout 20 "$dm" $wdt --qtest stdio --events /dev/full <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ko events-dev-full "exit status $rc: $(head -n 1 "$tmp/err")"
	elif ! replies_ok "$tmp/out" 14 || grep -q FAIL "$tmp/out"; then
		ko events-dev-full "replies: $(tr '\n' '|' <"$tmp/out")"
	elif [ -n "$wdt" ] && ! grep -qx 'OK 0x0000000000001200' "$tmp/out"; then
		ko events-dev-full "the watchdog did not fire (no timeout flag)"
	elif [ "$(grep -c events "$tmp/err")" -ne 1 ]; then
		ko events-dev-full "expected one log line about the events file, got: $(cat "$tmp/err")"
	else
		ok events-dev-full
	fi
}

case_sigint_qtest() {
	mkfifo "$tmp/fifo"
	# A background job of a script starts with SIGINT ignored: restore the default.
	# shellcheck disable=SC2086
	env --default-signal=INT "$dm" $wdt --qtest stdio <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	exec 3>"$tmp/fifo"
	echo "clock_step 1000" >&3
	sleep 0.5
	kill -INT "$pid"
	wait_for "$pid" 5
	exec 3>&-
	if [ "$rc" -eq 124 ]; then
		ko sigint-qtest "still running 5 s after SIGINT"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; then
		ko sigint-qtest "exit status $rc: $(head -n 1 "$tmp/err")"
	else
		ok sigint-qtest
	fi
}

case_garbage_stdio() {
	head -c 65536 /dev/urandom >"$tmp/garbage"
	# What hv/qtest.c owes: one reply per line that is not blank.
	n=$(tr -d ' \t\r' <"$tmp/garbage" | tr '\0' x | awk 'length($0) > 0' | wc -l)
	# shellcheck disable=SC2086
	timeout 30 "$dm" $wdt --qtest stdio <"$tmp/garbage" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ko garbage-stdio "exit status $rc: $(head -n 1 "$tmp/err")"
	elif ! replies_ok "$tmp/out" "$n"; then
		ko garbage-stdio "$n lines sent, $(wc -l <"$tmp/out") replies"
	else
		ok garbage-stdio
	fi
}

case_garbage_unix() {
	head -c 65536 /dev/urandom >"$tmp/garbage"
	# shellcheck disable=SC2086
	"$dm" $wdt --qtest "unix:$tmp/q.sock,server=on" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	"$tmp/qpeer" "$tmp/q.sock" <"$tmp/garbage" >"$tmp/replies"
	wait_for "$pid" 20
	if [ "$rc" -ne 0 ]; then
		ko garbage-unix "exit status $rc: $(head -n 1 "$tmp/err")"
	elif [ -e "$tmp/q.sock" ]; then
		ko garbage-unix "socket file left behind"
	elif ! [ -s "$tmp/replies" ] || grep -qvaE '^(OK|FAIL)' "$tmp/replies"; then
		ko garbage-unix "bad replies"
	else
		ok garbage-unix
	fi
}

case_peer_never_reads() {
	awk 'BEGIN { for (i = 0; i < 100000; i++) print "inl 0xcfc" }' >"$tmp/many"
	# shellcheck disable=SC2086
	"$dm" $wdt --qtest "unix:$tmp/q2.sock,server=on" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	"$tmp/qpeer" "$tmp/q2.sock" --no-read <"$tmp/many"
	wait_for "$pid" 20
	if [ "$rc" -eq 124 ]; then
		ko peer-never-reads "still running 20 s after the peer closed"
	elif [ "$rc" -gt 128 ]; then
		ko peer-never-reads "killed by signal $((rc - 128)) (13 = SIGPIPE)"
	else
		ok peer-never-reads
	fi
}

# qemu_case <name> <mode> <want status> <send SIGINT after 2 s: 0|1>
qemu_case() {
	# shellcheck disable=SC2086
	env --default-signal=INT "$dm" $wdt -- "$tmp/fakeqemu" "$2" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	if [ "$4" = 1 ]; then
		sleep 2
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			ko "$1" "ended before SIGINT with status $?: $(tail -n 1 "$tmp/err")"
			return
		fi
		kill -INT "$pid"
	fi
	wait_for "$pid" 10
	if [ "$rc" -eq 124 ]; then
		ko "$1" "still running after 10 s"
	elif [ "$rc" -ne "$3" ]; then
		ko "$1" "exit status $rc, expected $3: $(tail -n 1 "$tmp/err")"
	else
		ok "$1"
	fi
}

case_qmp_hostile() {
	if python3 "$dir/qmp_hostile.py" "$dm" "$tmp" >"$tmp/out" 2>&1; then
		ok qmp-hostile
	else
		ko qmp-hostile "$(tail -n 1 "$tmp/out")"
	fi
}

case_events_dev_full
case_sigint_qtest
case_qmp_hostile
case_garbage_stdio
case_garbage_unix
case_peer_never_reads
if [ -n "$wdt" ]; then
	qemu_case qemu-garbage garbage 3 0
	qemu_case qemu-killed killed 137 0
	qemu_case qemu-never-reads never-reads 130 1
	qemu_case sigint-during-reset resets 130 1
fi

echo "faults: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
