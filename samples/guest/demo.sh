#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# `make demo`, the project's main job: a real Debian 12 guest under QEMU 7.2
# (TCG) whose 6300ESB watchdog is wdt-dm's wdt-i6300esb, reached through
# QEMU's x-pci-proxy-dev.  The guest's stock i6300esb driver binds, busybox
# `watchdog` keeps it alive for a few seconds, then the daemon is killed with
# SIGKILL (no magic close) and the guest hangs for the watchdog; wdt-dm sees
# stage 1 and stage 2 expire, emits WATCHDOG and resets the VM over QMP; the
# guest boots again, reads bootstatus 32 ("rebooted by the watchdog") and
# powers off.  Prints a timeline and exits 0 when all of that happened.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/e2e/lib.sh"

HB=${HB:-2}
KICKS=${KICKS:-4}

e2e_deps || exit 1
[ -x "$DM" ] || { echo "demo: $DM not built (make all)" >&2; exit 1; }
e2e_image || exit 1

echo "demo: booting the guest: wdt-dm -s 5,wdt-i6300esb -- qemu-system-x86_64 (TCG) ..."
t0=$EPOCHREALTIME
vm_start "$E2E_OUT/demo" "-s 5,wdt-i6300esb" \
	"wdt.scenario=hang wdt.hb=$HB wdt.kicks=$KICKS"
vm_wait 480 # generous: a busy host slows TCG boots tenfold
elapsed=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')

echo "demo: timeline (guest console and wdt-dm events, seconds since start)"
e2e_timeline "$t0"

echo "demo: stage 1 lasts half of 1.0066 x T; the Linux driver sets its interrupt type to"
echo "      'disabled' (0x60 = 0x0003), so only wdt-dm sees it end (WATCHDOG_STAGE1)."
fail=0
check() {
	if eval "$2"; then
		echo "demo: ok   $1"
	else
		echo "demo: FAIL $1"
		fail=1
	fi
}
check "the i6300esb driver bound (heartbeat=$HB)" \
	"grep -q 'GUEST: driver: .*heartbeat=$HB sec' '$VM_DIR/console.log'"
check "first boot: bootstatus=0" "[ \"\$(grep -o 'bootstatus=[0-9]*' '$VM_DIR/console.log' | sed -n 1p)\" = bootstatus=0 ]"
check "the daemon kept the guest alive ($KICKS s)" "[ \$(con_count 'GUEST: alive') -ge $KICKS ]"
check "hang: daemon killed with SIGKILL" "[ \$(con_count 'GUEST: hang') -ge 1 ]"
check "stage 1 expired (WATCHDOG_STAGE1)" "[ \$(ev_count WATCHDOG_STAGE1 '\"interrupt\": \"disabled\"') -ge 1 ]"
check "WATCHDOG event (action reset)" "[ \$(ev_count WATCHDOG '\"action\": \"reset\"') -ge 1 ]"
check "VM reset by the watchdog" "[ \$(ev_count RESET '\"reason\": \"watchdog\"') -ge 1 ]"
check "second boot: bootstatus=32" "grep -q 'GUEST: bootstatus=32' '$VM_DIR/console.log'"
check "guest powered off, wdt-dm exit status 0" "[ $VM_RC = 0 ]"
if [ "$fail" = 0 ]; then
	hang=$(con_time 'GUEST: hang')
	wd=$(ev_times WATCHDOG | head -n1)
	echo "demo: PASS in ${elapsed}s (hang -> WATCHDOG $(fsub "$wd" "$hang")s with heartbeat ${HB}s;" \
		"logs in $VM_DIR)"
	exit 0
fi
echo "demo: FAILED (wdt-dm status $VM_RC); logs in $VM_DIR:"
tail -n 20 "$VM_DIR/dm.log"
exit 1
