#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# Guest half of bench_proxy: boots the samples/guest image under wdt-dm + QEMU
# with the bench scenario (esbinfo --bench N: N BAR reads of the 6300ESB,
# timed in the guest, before the driver binds) and prints the guest's
# "ESBINFO: bench ..." line.  Run by build/bench/bench_proxy from the top of
# the tree.  BENCH_READS (default 20000) sets N.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/e2e/lib.sh"

N=${BENCH_READS:-20000}
[ -x "$DM" ] || { echo "bench_proxy: $DM not built" >&2; exit 1; }
command -v "$QEMU" >/dev/null || { echo "bench_proxy: $QEMU not installed" >&2; exit 1; }
e2e_image 2>/dev/null || { echo "bench_proxy: no guest image" >&2; exit 1; }
vm_start "$E2E_OUT/bench_proxy" "-s 5,wdt-i6300esb" "wdt.scenario=bench wdt.bench=$N"
vm_wait 120
line=$(grep -m1 'ESBINFO: bench' "$VM_DIR/console.log" | cut -d' ' -f2-)
if [ -z "$line" ]; then
	echo "bench_proxy: the guest printed no figure (logs in $VM_DIR)"
	exit 1
fi
echo "$line"
