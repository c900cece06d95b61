#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# make bench, ACRN part: the kick (unlock, unlock, reload) through ACRN's real
# MMIO dispatch, our plugin ($1/ours/acrn_test) and ACRN's stock plugin
# ($1/stock/acrn_test) side by side: five alternating runs each (a run is the
# median of 5 rounds of 100000 kicks); the best and the median run of each
# plugin, and their ratios.  On a loaded host the best run is the steadier
# figure: both kicks cost one timerfd_settime() system call, most of the time.
set -eu
D=$1
ours="" stock=""
for i in 1 2 3 4 5; do
	ours="$ours $("$D/ours/acrn_test" bench 5 100000 2>/dev/null | sed -n 's/^kick-ns //p')"
	stock="$stock $("$D/stock/acrn_test" bench 5 100000 2>/dev/null | sed -n 's/^kick-ns //p')"
done
med() { printf '%s\n' $1 | sort -n | sed -n 3p; }
best() { printf '%s\n' $1 | sort -n | sed -n 1p; }
o=$(med "$ours")
s=$(med "$stock")
ob=$(best "$ours")
sb=$(best "$stock")
[ -n "$o" ] && [ -n "$s" ] || { echo "bench-kick: no figures (ours:$ours stock:$stock)"; exit 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ACRN dispatch, kick (unlock, unlock, reload), ns: best run ours $ob, ACRN's stock $sb," \
     "ratio $(ratio "$ob" "$sb"); median run ours $o, stock $s, ratio $(ratio "$o" "$s")"
echo "  runs: ours$ours; stock$stock"
