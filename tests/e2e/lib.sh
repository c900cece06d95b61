# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# Shared helpers of the real-guest scripts (make demo, make e2e, bench): build
# the guest image, start wdt-dm + QEMU with a scenario, stamp every console line
# with the host's wall clock (the same clock as the event timestamps), and read
# the results back.  Sourced by bash scripts; needs bash for $EPOCHREALTIME.

E2E_ROOT=${E2E_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DM=${DM:-$E2E_ROOT/build/wdt-dm}
QEMU=${QEMU:-qemu-system-x86_64}
E2E_OUT=${E2E_OUT:-$E2E_ROOT/build/e2e}

# Debian packages the real-guest scripts need; installed when missing.
e2e_deps() {
	local missing="" p
	for p in qemu-system-x86 busybox-static cpio libpciaccess-dev zlib1g-dev procps; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "e2e: installing$missing" >&2
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

# Sets KERNEL and INITRD (builds the image once, then reuses the cache).
e2e_image() {
	local paths
	paths=$(sh "$E2E_ROOT/samples/guest/build-image.sh") || return 1
	KERNEL=${paths% *}
	INITRD=${paths#* }
}

# Prefixes each line of stdin with the host's CLOCK_REALTIME in seconds.
e2e_stamp() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "${l%$'\r'}"
	done
}

# Guest RAM options of vm_start: a memfd chosen by hand, as launch_uos.sh does
# (t_plain_cmdline sets plain -m to test the backend wdt-dm adds itself).
VM_RAM=${VM_RAM-"-m 128 -object memory-backend-memfd,id=mem,size=128M,share=on -machine pc,memory-backend=mem"}

# vm_start DIR "DM OPTIONS" "KERNEL ARGS": runs wdt-dm + QEMU in the background.
# Sets VM_PID (wdt-dm).  DIR gets console.log, events.jsonl, dm.log.
vm_start() {
	local dir=$1 dmopts=$2 append=$3
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/events.jsonl"
	# shellcheck disable=SC2086
	"$DM" $dmopts --events "$dir/events.jsonl" -- \
		"$QEMU" -name wdt-guest,debug-threads=on -nodefaults -no-user-config \
		-display none -monitor none -serial stdio $VM_RAM \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet $append" \
		</dev/null > >(e2e_stamp >"$dir/console.log") 2>"$dir/dm.log" &
	VM_PID=$!
	VM_DIR=$dir
}

# vm_wait SECONDS: waits for wdt-dm to exit; sets VM_RC (124 on timeout, after
# which wdt-dm is killed).
vm_wait() {
	local limit=$1 t=0
	while kill -0 "$VM_PID" 2>/dev/null; do
		if [ "$t" -ge $((limit * 10)) ]; then
			kill -TERM "$VM_PID" 2>/dev/null
			sleep 5
			kill -KILL "$VM_PID" 2>/dev/null
			wait "$VM_PID" 2>/dev/null
			VM_RC=124
			vm_stop_tail
			return
		fi
		sleep 0.1
		t=$((t + 1))
	done
	wait "$VM_PID" 2>/dev/null
	VM_RC=$?
	vm_stop_tail
}

vm_stop_tail() {
	sleep 0.3 # the stamping process ends at EOF; let it write the last lines
	return 0
}

# vm_wait_line PATTERN SECONDS: until the console shows PATTERN (grep -E).
vm_wait_line() {
	local pat=$1 limit=$2 t=0
	while ! grep -qE "$pat" "$VM_DIR/console.log" 2>/dev/null; do
		[ "$t" -ge $((limit * 10)) ] && return 1
		kill -0 "$VM_PID" 2>/dev/null || { sleep 0.5; grep -qE "$pat" "$VM_DIR/console.log"; return; }
		sleep 0.1
		t=$((t + 1))
	done
}

# The QEMU started by wdt-dm.
vm_qemu_pid() {
	pgrep -P "$VM_PID" -x qemu-system-x86 2>/dev/null || pgrep -P "$VM_PID" | head -n1
}

# Stamp of the first console line matching PATTERN (after the Nth match with N).
con_time() {
	grep -E "$1" "$VM_DIR/console.log" | sed -n "${2:-1}p" | cut -d' ' -f1
}

con_count() {
	grep -cE "$1" "$VM_DIR/console.log"
}

# ev_times NAME [FIELD-REGEX]: seconds.micro of every event NAME whose line
# matches FIELD-REGEX.
ev_times() {
	grep "\"event\": \"$1\"" "$VM_DIR/events.jsonl" | grep -E "${2:-.}" |
		sed -n 's/.*"seconds": \([0-9]*\), "microseconds": \([0-9]*\).*/\1 \2/p' |
		while read -r s u; do printf '%d.%06d\n' "$s" "$u"; done
}

ev_count() {
	grep "\"event\": \"$1\"" "$VM_DIR/events.jsonl" | grep -cE "${2:-.}"
}

# Floating-point helpers (awk): fsub A B, fle A B (true if A <= B).
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }
fle() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# A merged timeline of console markers and events, seconds from T0.
e2e_timeline() {
	local t0=$1
	{
		grep -E 'GUEST: |watchdog did not stop|ESBINFO: bench' "$VM_DIR/console.log" |
			sed 's/ \[ *[0-9.]*\] / /'
		sed -n 's/.*"event": "\([A-Z0-9_]*\)", "data": {\(.*\)"uuid".*"seconds": \([0-9]*\), "microseconds": \([0-9]*\).*/\3 \4 \1 \2/p' \
			"$VM_DIR/events.jsonl" |
			while read -r s u name data; do
				printf '%d.%06d EVENT %s %s\n' "$s" "$u" "$name" "${data%,}"
			done
	} | sort -n | awk -v t0="$t0" '{ t = $1; $1 = ""; printf "  %7.2fs %s\n", t - t0, substr($0, 2) }'
}
