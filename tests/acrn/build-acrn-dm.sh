#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# make acrn-dm: ACRN's acrn-dm built from ACRN's own tree with our plugins in
# it.  Copies the ACRN tree ($1) to $2, drops in hw/pci/wdt_i6300esb.c (in
# place of ACRN's own watchdog), hw/platform/vcpu_stall.c and the glue of
# devicemodel/acrn/ (*.h into include/, *.c into core/ and ACRN's SRCS,
# *.patch applied to the tree), builds with ACRN's Makefile and flags
# (-Werror included), and then checks what was built: acrn-dm links, its
# pci_vdev_ops linker set holds our wdt-i6300esb and not ACRN's, and its own
# -s parser accepts "-s 5,wdt-i6300esb".
set -eu
ACRN=$1
W=$2
LOG=$W.log
fail() { echo "acrn-dm: FAIL: $*"; exit 1; }

sh tests/acrn/copy-acrn.sh "$ACRN" "$W" || fail "cannot copy $ACRN"
DM=$W/devicemodel

cp devicemodel/hw/pci/wdt_i6300esb.c "$DM/hw/pci/wdt_i6300esb.c"
cp devicemodel/hw/platform/vcpu_stall.c "$DM/hw/platform/vcpu_stall.c"
srcs="hw/platform/vcpu_stall.c"
for f in devicemodel/acrn/*; do
	b=$(basename "$f")
	case $b in
	*.h) [ ! -e "$DM/include/$b" ] || fail "glue header $b would replace ACRN's"
	     cp -L "$f" "$DM/include/$b" ;;
	*.c) [ ! -e "$DM/core/$b" ] || fail "glue source $b would replace ACRN's"
	     cp -L "$f" "$DM/core/$b"; srcs="$srcs core/$b" ;;
	*.patch) patch -s -p1 -d "$W" <"$f" || fail "$b does not apply" ;;
	*) fail "unexpected file in devicemodel/acrn/: $b" ;;
	esac
done
# ACRN's SRCS lists every source by hand: ours go after core/timer.c.
add=""
for s in $srcs; do add="$add\\
SRCS += $s"; done
sed -i "s|^SRCS += core/timer.c\$|SRCS += core/timer.c$add|" "$DM/Makefile"
for s in $srcs; do grep -q "^SRCS += $s\$" "$DM/Makefile" || fail "could not add $s to SRCS"; done

O=$(cd "$W" && pwd)/out
mkdir -p "$O/misc/services"
start=$(date +%s)
if ! { make -C "$W/misc/services/acrn_manager" OUT_DIR="$O/misc/services" &&
       make -C "$DM" DM_OBJDIR="$O/devicemodel" TOOLS_OUT="$O/misc" RELEASE=n \
	    IASL_MIN_VER=20190703 -j"$(nproc)"; } >"$LOG" 2>&1; then
	grep -E "error|Error" "$LOG" | head -20
	fail "build failed (log: $LOG)"
fi
BIN=$O/devicemodel/acrn-dm
[ -x "$BIN" ] || fail "no $BIN"
echo "acrn-dm: built $BIN with ACRN's Makefile in $(( $(date +%s) - start ))s"
grep -q -- "-Werror" "$DM/Makefile" || fail "ACRN's Makefile lost -Werror"

# The linker set: DATA_SET(pci_vdev_ops_set, ...) puts one pointer per device
# type in section set_pci_vdev_ops_set, between __start_ and __stop_.  Ours
# must be there, point at pci_ops_wdt_i6300esb, whose class_name is
# "wdt-i6300esb"; ACRN's own pci_ops_wdt must be gone.  (Read from the file
# with nm and gdb, without running acrn-dm.)
sym() { nm "$BIN" | awk -v s="$1" '$3 == s { print $1 }'; }
entry=$(sym __set_pci_vdev_ops_set_sym_pci_ops_wdt_i6300esb)
set_start=$(sym __start_set_pci_vdev_ops_set)
set_stop=$(sym __stop_set_pci_vdev_ops_set)
[ -n "$entry" ] || fail "no set_pci_vdev_ops_set entry for pci_ops_wdt_i6300esb"
[ -n "$set_start" ] && [ -n "$set_stop" ] || fail "no set_pci_vdev_ops_set linker set"
[ $((0x$entry)) -ge $((0x$set_start)) ] && [ $((0x$entry)) -lt $((0x$set_stop)) ] ||
	fail "the entry lies outside set_pci_vdev_ops_set"
[ -z "$(sym pci_ops_wdt)" ] || fail "ACRN's own pci_ops_wdt is still linked"
g=$(gdb -nx -batch -ex 'p __set_pci_vdev_ops_set_sym_pci_ops_wdt_i6300esb' \
	-ex 'p pci_ops_wdt_i6300esb.class_name' "$BIN" 2>&1)
echo "$g" | grep -q '<pci_ops_wdt_i6300esb>' || fail "the entry does not point at our ops: $g"
echo "$g" | grep -q '"wdt-i6300esb"' || fail "our ops are not named wdt-i6300esb: $g"
n=$(( ($((0x$set_stop)) - $((0x$set_start))) / 8 ))
echo "acrn-dm: PASS set_pci_vdev_ops_set ($n device types) holds" \
     "pci_ops_wdt_i6300esb (\"wdt-i6300esb\")"

# acrn-dm's own -s parser (pci_parse_slot in ACRN's hw/pci/core.c) runs before
# acrn-dm needs /dev/acrn_hsm: an unknown device stops it there, ours passes,
# and the same slot twice is refused as occupied, which proves the first took.
run() { timeout 20 "$BIN" "$@" wdt-vm 2>&1 || true; }
out=$(run -s 5,no-such-device)
echo "$out" | grep -q 'unknown device "no-such-device"' || fail "-s parser did not run: $out"
out=$(run -s 5,wdt-i6300esb)
if echo "$out" | grep -q "unknown device"; then fail "-s 5,wdt-i6300esb refused: $out"; fi
out=$(run -s 5,wdt-i6300esb -s 5,wdt-i6300esb)
echo "$out" | grep -q "already occupied" || fail "-s 5,wdt-i6300esb not taken: $out"
echo "acrn-dm: PASS acrn-dm -s 5,wdt-i6300esb accepted by ACRN's -s parser"

# vcpu-stall through the one main.c patch: getopt knows --vcpu_stall (an
# unknown switch is refused) and --platform, and the registry queues the
# device (once for its own switch, by name for --platform), so acrn-dm
# gets past option parsing.  Its options are checked when the device is
# created, which needs a VM (make acrn-test covers the device).
out=$(run --no_such_switch x)
echo "$out" | grep -q "unrecognized option" || fail "getopt did not refuse: $out"
out=$(run --vcpu_stall vcpus=2,clock=monotonic,action=poweroff)
if echo "$out" | grep -qE "unrecognized option|invalid vcpu_stall"; then
	fail "--vcpu_stall refused: $out"
fi
echo "acrn-dm: PASS acrn-dm --vcpu_stall vcpus=2,clock=monotonic,action=poweroff accepted"
out=$(run --vcpu_stall vcpus=1 --vcpu_stall vcpus=2)
echo "$out" | grep -q "invalid vcpu_stall" || fail "--vcpu_stall twice not refused: $out"
out=$(run --platform no-such-device)
echo "$out" | grep -q "invalid platform" || fail "--platform no-such-device not refused: $out"
out=$(run --platform vcpu-stall,vcpus=2,clock=monotonic)
if echo "$out" | grep -qE "unrecognized option|invalid platform"; then
	fail "--platform vcpu-stall,... refused: $out"
fi
echo "acrn-dm: PASS acrn-dm --platform: an unknown device refused, vcpu-stall accepted"
