#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# `make e2e`: wdt-dm's QEMU front end with a real Linux guest (issue 5 item 5).
# Each test boots the samples/guest initramfs under wdt-dm + QEMU (TCG) with a
# scenario and asserts from the stamped guest console and wdt-dm's events:
# the driver binds with the heartbeat; kicks keep the guest alive past several
# heartbeats; after the hang the reset comes 1.0066 x T (+ slack) after the
# last kick; bootstatus 0 then 32; magic close stops the watchdog; nowayout
# makes the stop fail; action=poweroff ends QEMU; dump= leaves an ELF core with
# the guest's marker in it before the reset; action=inject-nmi makes a guest
# booted with unknown_nmi_panic panic; killing QEMU ends wdt-dm and
# killing wdt-dm (SIGTERM or SIGKILL) ends QEMU.  A fake QEMU checks the
# proxy protocol's hostile-input handling without a guest.
# Prints "N passed, N failed"; exit status 1 on any failure.
#   tests/e2e/run.sh [test-name ...]     (default: all)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

HB=${HB:-2}
SLACK=${SLACK:-1.5}   # seconds of TCG / console latency allowed after 1.0066 x T
# Wall-clock limits for the guest to boot once / to boot, run and boot again.
# A TCG boot takes about 3 s on an idle 2-core host and 30 s under two CPU hogs
# and parallel builds (seen); the limits only cost time when a test fails.
BOOT_LIMIT=${BOOT_LIMIT:-240}
BOOT2_LIMIT=${BOOT2_LIMIT:-480}
passed=0
failed=0

ok() { echo "  ok   $*"; passed=$((passed + 1)); }
nok() { echo "  FAIL $*"; failed=$((failed + 1)); }
expect() { # expect DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else nok "$what"; fi
}
show_logs() {
	echo "  --- $VM_DIR/dm.log (tail)"
	tail -n 15 "$VM_DIR/dm.log" | sed 's/^/  | /'
	echo "  --- console (tail)"
	tail -n 15 "$VM_DIR/console.log" | sed 's/^/  | /'
}

# Host time of the guest's last reload (16-bit write of 0x100) before time $1,
# from wdt-dm's BAR trace.
last_reload_before() {
	sed -n 's/.*: BAR write 0x[0-9a-f]*\/2 = 0x100 at \([0-9.]*\)$/\1/p' "$VM_DIR/dm.log" |
		awk -v lim="$1" '$1 <= lim { t = $1 } END { if (t != "") print t }'
}

bootstatus_seq() { grep -o 'GUEST: bootstatus=[0-9]*' "$VM_DIR/console.log" | cut -d= -f2 | tr '\n' ' '; }
is() { [ "$1" = "$2" ]; }
ge() { [ "$1" -ge "$2" ]; }

# Kicks for 8 s with T=2 s, then stops: the reset must come 1.0066 x T after
# the last kick, and the next boot must report bootstatus 32.
t_kick_reset() {
	local kicks=8 first last wd lo hi kick
	# -v -v -v: wdt-dm traces BAR accesses with host timestamps (the last
	# 16-bit write of 0x100 to the reload register is the last kick).
	vm_start "$E2E_OUT/kick_reset" "-v -v -v -s 5,wdt-i6300esb" \
		"wdt.scenario=kick wdt.hb=$HB wdt.kicks=$kicks"
	vm_wait $BOOT2_LIMIT
	expect "driver binds and reports heartbeat=$HB" \
		grep -q "GUEST: driver: .*heartbeat=$HB sec" "$VM_DIR/console.log"
	expect "bootstatus is 0 on the first boot and 32 after the reset" \
		is "$(bootstatus_seq)" "0 32 "
	first=$(con_time 'GUEST: kick 1$')
	last=$(con_time 'GUEST: last kick')
	wd=$(ev_times WATCHDOG | head -n1)
	expect "$kicks kicks keep the guest alive past $(( (kicks - 1) / HB )) heartbeats" \
		eval '[ "$(con_count "GUEST: kick [0-9]")" -ge '"$kicks"' ] && [ -n "$wd" ] &&
		      fle "$((kicks - 1)).0" "$(fsub "$last" "$first")" && fle "$last" "$wd"'
	kick=$(last_reload_before "${wd:-0}")
	lo=$(awk -v t="$HB" 'BEGIN { printf "%.6f", 1.00663296 * t }')
	hi=$(awk -v t="$HB" -v s="$SLACK" 'BEGIN { printf "%.6f", 1.00663296 * t + s }')
	echo "       last kick -> WATCHDOG: $(fsub "${wd:-0}" "${kick:-0}") s by wdt-dm's clock," \
		"$(fsub "${wd:-0}" "${last:-0}") s from the console (bounds $lo .. $hi)"
	expect "reset comes between 1.0066 x T and 1.0066 x T + ${SLACK}s after the last kick" \
		eval '[ -n "$kick" ] && fle "$lo" "$(fsub "$wd" "$kick")" &&
		      fle "$(fsub "$wd" "$kick")" "$hi"'
	expect "WATCHDOG (reset) then VM RESET (watchdog) events" \
		eval '[ "$(ev_count WATCHDOG "\"action\": \"reset\"")" = 1 ] &&
		      [ "$(ev_count RESET "\"reason\": \"watchdog\"")" = 1 ]'
	expect "guest powers off, wdt-dm exits 0" is "$VM_RC" 0
	[ "$failed" = 0 ] || show_logs
}

# Magic close 'V' stops the watchdog: no reset within 3 x T.
t_magic_close() {
	vm_start "$E2E_OUT/magic_close" "-s 5,wdt-i6300esb" \
		"wdt.scenario=magicclose wdt.hb=$HB wdt.kicks=3"
	vm_wait $BOOT2_LIMIT
	expect "magic close: guest alive after 3 x T + 1 s" \
		grep -q "GUEST: still alive after" "$VM_DIR/console.log"
	expect "magic close: no WATCHDOG event, bootstatus 0 only" \
		eval '[ "$(ev_count WATCHDOG)" = 0 ] && [ "$(bootstatus_seq)" = "0 " ]'
	expect "magic close: wdt-dm exits 0" is "$VM_RC" 0
}

# nowayout=1: the magic close cannot stop it; the reset comes.
t_nowayout() {
	vm_start "$E2E_OUT/nowayout" "-s 5,wdt-i6300esb" \
		"wdt.scenario=nowayout wdt.hb=$HB wdt.kicks=3"
	vm_wait $BOOT2_LIMIT
	expect "nowayout: driver loaded with nowayout=1" \
		grep -q "GUEST: driver: .*nowayout=1" "$VM_DIR/console.log"
	expect "nowayout: stop fails, WATCHDOG reset, bootstatus 0 then 32" \
		eval '[ "$(ev_count WATCHDOG "\"action\": \"reset\"")" = 1 ] &&
		      [ "$(bootstatus_seq)" = "0 32 " ]'
	expect "nowayout: wdt-dm exits 0" is "$VM_RC" 0
}

# action=poweroff: QMP quit ends QEMU, and with it wdt-dm, with no second boot.
t_poweroff() {
	vm_start "$E2E_OUT/poweroff" "-s 5,wdt-i6300esb,action=poweroff" \
		"wdt.scenario=kick wdt.hb=$HB wdt.kicks=2"
	vm_wait $BOOT2_LIMIT
	expect "action=poweroff: WATCHDOG (poweroff) then QEMU SHUTDOWN" \
		eval '[ "$(ev_count WATCHDOG "\"action\": \"poweroff\"")" = 1 ] &&
		      [ "$(ev_count SHUTDOWN "host-qmp-quit")" = 1 ]'
	expect "action=poweroff: one boot only, wdt-dm exits 0" \
		eval '[ "$(con_count "GUEST: boot ")" = 1 ] && [ "$VM_RC" = 0 ]'
}

# action=pause: QMP stop; QEMU reports STOP, the guest stays frozen (no console
# output, no second WATCHDOG: the VM clock is paused too) until SIGTERM to wdt-dm
# quits QEMU (wdt-dm exits 128 + 15).
t_pause() {
	local t=0 lines
	vm_start "$E2E_OUT/pause" "-s 5,wdt-i6300esb,action=pause" \
		"wdt.scenario=kick wdt.hb=$HB wdt.kicks=2"
	while [ "$(ev_count STOP '"source": "qemu"')" = 0 ] && [ "$t" -lt $((BOOT_LIMIT * 10)) ] &&
		kill -0 "$VM_PID" 2>/dev/null; do
		sleep 0.1
		t=$((t + 1))
	done
	expect "action=pause: WATCHDOG (pause) then QEMU STOP" \
		eval '[ "$(ev_count WATCHDOG "\"action\": \"pause\"")" = 1 ] &&
		      [ "$(ev_count STOP "\"source\": \"qemu\"")" = 1 ]'
	lines=$(wc -l <"$VM_DIR/console.log")
	sleep $((2 * HB + 1))
	expect "action=pause: frozen for $((2 * HB + 1)) s: no console output, no second WATCHDOG" \
		eval '[ "$(wc -l <"$VM_DIR/console.log")" = "$lines" ] &&
		      [ "$(ev_count WATCHDOG)" = 1 ] && kill -0 "$VM_PID"'
	kill -TERM "$VM_PID" 2>/dev/null
	vm_wait 15
	expect "action=pause: SIGTERM ends QEMU and wdt-dm (status 143), one boot only" \
		eval '[ "$VM_RC" = 143 ] && [ "$(con_count "GUEST: boot ")" = 1 ]'
}

# A user's own command line with a plain -m: wdt-dm backs RAM with a shared
# memfd of that size, so QEMU prints no "Unable to write to socket" at the
# memory-map changes (it did at each one, hundreds per boot, before).
t_plain_cmdline() {
	VM_RAM="-m 256" vm_start "$E2E_OUT/plain_cmdline" "-v -v -s 5,wdt-i6300esb" \
		"wdt.scenario=magicclose wdt.hb=$HB wdt.kicks=2"
	vm_wait $BOOT2_LIMIT
	expect "plain -m 256: wdt-dm adds a 256 MiB shared memfd backend" \
		grep -q "memory-backend-memfd,id=wdtdm-ram,size=268435456,share=on -machine memory-backend=wdtdm-ram" \
		"$VM_DIR/dm.log"
	expect "plain -m 256: the driver binds and the guest powers off (exit 0)" \
		eval 'grep -q "GUEST: driver: .*heartbeat=$HB sec" "$VM_DIR/console.log" && [ "$VM_RC" = 0 ]'
	expect "plain -m 256: no 'Unable to write to socket' from QEMU" \
		eval '! grep -q "Unable to write to socket" "$VM_DIR/dm.log" "$VM_DIR/console.log"'
	[ "$failed" = 0 ] || show_logs
}

# dump=DIR (issue 16): the guest writes a unique marker into a tmpfs file and
# stops kicking; before the reset wdt-dm has QEMU write an ELF core (QMP getfd
# + dump-guest-memory) into DIR: mode 0600, readelf says CORE, the marker is
# in it, DUMP comes between WATCHDOG and RESET, and the guest reboots.
t_dump() {
	local dumps="$E2E_OUT/dump.d" core m
	rm -rf "$dumps"
	mkdir -p "$dumps"
	vm_start "$E2E_OUT/dump" "-s 5,wdt-i6300esb,action=reset,dump=$dumps,dump_timeout=120" \
		"wdt.scenario=kick wdt.hb=$HB wdt.kicks=2 wdt.marker=1"
	vm_wait $BOOT2_LIMIT
	core=$(ls "$dumps"/*.core 2>/dev/null | head -n1)
	m=$(sed -n 's/.*GUEST: marker \(WDTDM-MARKER-[0-9a-f-]*\).*/\1/p' "$VM_DIR/console.log" | head -n1)
	expect "dump: one core file <uuid>-<UTC>-wdt-i6300esb.core, mode 0600" \
		eval '[ "$(ls "$dumps" | wc -l)" = 1 ] && [ -n "$core" ] &&
		      [ "$(stat -c %a "$core")" = 600 ] &&
		      echo "$core" | grep -qE "/[0-9a-f-]{36}-[0-9]{8}T[0-9]{6}Z-wdt-i6300esb\.core$"'
	expect "dump: readelf -h says it is a core (ELF64, X86-64)" \
		eval 'readelf -h "$core" 2>/dev/null | grep -q "Type: *CORE" &&
		      readelf -h "$core" | grep -q "Class: *ELF64" &&
		      readelf -h "$core" | grep -q "X86-64"'
	expect "dump: the guest's marker ${m:-?} is in the core" \
		eval '[ -n "$m" ] && grep -qa "$m" "$core"'
	expect "dump: WATCHDOG, then DUMP (path, size), then RESET; bootstatus 0 then 32" \
		eval '[ "$(ev_count DUMP "\"size\": [0-9]+")" = 1 ] &&
		      fle "$(ev_times WATCHDOG | head -n1)" "$(ev_times DUMP | head -n1)" &&
		      fle "$(ev_times DUMP | head -n1)" "$(ev_times RESET "\"reason\": \"watchdog\"" | head -n1)" &&
		      [ "$(bootstatus_seq)" = "0 32 " ] && [ "$VM_RC" = 0 ]'
	grep '"event": "DUMP"' "$VM_DIR/events.jsonl" | sed 's/^/       /'
	rm -rf "$dumps"
	[ "$failed" = 0 ] || show_logs
}

# action=inject-nmi (issue 16): QMP inject-nmi; the guest, booted with
# unknown_nmi_panic, prints its NMI panic on the console.
t_inject_nmi() {
	vm_start "$E2E_OUT/inject_nmi" "-s 5,wdt-i6300esb,action=inject-nmi" \
		"wdt.scenario=kick wdt.hb=$HB wdt.kicks=2 unknown_nmi_panic"
	if ! vm_wait_line 'Kernel panic - not syncing: NMI' $BOOT_LIMIT; then
		nok "inject-nmi: no NMI panic on the console"
		kill -TERM "$VM_PID" 2>/dev/null
		vm_wait 15
		show_logs
		return
	fi
	kill -TERM "$VM_PID" 2>/dev/null
	vm_wait 15
	expect "inject-nmi: WATCHDOG (inject-nmi), then the guest's NMI panic on the console" \
		eval '[ "$(ev_count WATCHDOG "\"action\": \"inject-nmi\"")" = 1 ] &&
		      grep -q "NMI received for unknown reason" "$VM_DIR/console.log" &&
		      grep -q "Kernel panic - not syncing: NMI" "$VM_DIR/console.log"'
	expect "inject-nmi: no reset, one boot only" \
		eval '[ "$(ev_count RESET "\"reason\": \"watchdog\"")" = 0 ] &&
		      [ "$(con_count "GUEST: boot ")" = 1 ]'
}

# Killing QEMU ends wdt-dm (status 128 + 9).
t_kill_qemu() {
	local q
	vm_start "$E2E_OUT/kill_qemu" "-s 5,wdt-i6300esb" "wdt.scenario=idle"
	if ! vm_wait_line 'GUEST: ready' $BOOT_LIMIT; then
		nok "kill QEMU: guest did not come up"
		vm_wait 1
		show_logs
		return
	fi
	q=$(vm_qemu_pid)
	kill -KILL "$q"
	vm_wait 10
	expect "kill -9 QEMU: wdt-dm exits with 137 within 10 s" is "$VM_RC" 137
}

# SIGTERM to wdt-dm stops QEMU (QMP quit); SIGKILL to wdt-dm ends QEMU too
# (parent-death signal).
t_kill_dm() {
	local sig q t
	for sig in TERM KILL; do
		vm_start "$E2E_OUT/kill_dm_$sig" "-s 5,wdt-i6300esb" "wdt.scenario=idle"
		if ! vm_wait_line 'GUEST: ready' $BOOT_LIMIT; then
			nok "kill wdt-dm ($sig): guest did not come up"
			vm_wait 1
			continue
		fi
		q=$(vm_qemu_pid)
		kill "-$sig" "$VM_PID"
		vm_wait 15 2>/dev/null # no "Killed" job notice from bash
		t=0
		while kill -0 "$q" 2>/dev/null && [ "$t" -lt 100 ]; do
			sleep 0.1
			t=$((t + 1))
		done
		expect "kill -$sig wdt-dm: QEMU (pid $q) is gone within 10 s" \
			eval '! kill -0 '"$q"' 2>/dev/null'
	done
}

# A fake QEMU sends good and malformed proxy messages; wdt-dm must answer,
# survive, close what it is given, and exit with the fake's status.
t_proxy_protocol() {
	local fake="$E2E_OUT/fake_qemu" dir="$E2E_OUT/proxy_protocol"
	mkdir -p "$dir"
	if ! ${CC:-gcc} -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$fake" "$here/fake_qemu.c"; then
		nok "fake QEMU builds"
		return
	fi
	"$DM" -s 5,hostbridge --events "$dir/events.jsonl" -- "$fake" >"$dir/out.log" 2>"$dir/dm.log"
	local rc=$?
	sed 's/^/       /' "$dir/out.log"
	expect "proxy protocol: every check of the fake QEMU passed (exit 0)" is "$rc" 0
	expect "proxy protocol: malformed input logged, wdt-dm did not crash" \
		grep -q "dropping the connection" "$dir/dm.log"
}

tests=${*:-"t_proxy_protocol t_kick_reset t_magic_close t_nowayout t_poweroff t_pause t_plain_cmdline t_dump t_inject_nmi t_kill_qemu t_kill_dm"}
e2e_deps || exit 1
[ -x "$DM" ] || { echo "e2e: $DM not built (make all)" >&2; exit 1; }
e2e_image || exit 1
start=$EPOCHREALTIME
for t in $tests; do
	echo "e2e: $t"
	"$t"
done
echo "e2e: $(fsub "$EPOCHREALTIME" "$start") s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
