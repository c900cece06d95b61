#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The wdt-dm authors
#
# ACRN-style launch script for a User OS (UOS) with the emulated Intel 6300ESB
# watchdog.  On an ACRN board the device line below goes into acrn-dm's
# command line unchanged; without one, wdt-dm hosts the same plugin and
# QEMU 7.2 (TCG, no KVM needed) runs the guest, reaching the device through
# x-pci-proxy-dev.  The guest is samples/guest's Debian initramfs; its stock
# i6300esb driver and busybox `watchdog` drive the device.
#
#   samples/launch_uos.sh                    guest runs busybox watchdog, hangs, is reset
#   SCENARIO=idle samples/launch_uos.sh      guest just boots (Ctrl-C or SIGTERM stops it)
#   ACTION=poweroff HB=5 samples/launch_uos.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dm=${DM:-$here/../build/wdt-dm}
vm_name=${VM_NAME:-uos-wdt}
mem_size=${MEM:-128}
uuid=${UUID:-d2795438-25d6-11e8-864e-cb7a18b34643}
scenario=${SCENARIO:-hang}
hb=${HB:-2}
action=${ACTION:-reset}
events=${EVENTS:--}

# First run on a fresh machine: build wdt-dm (the Makefile installs the
# compiler and libraries) and install QEMU.
if [ -z "${DM:-}" ] && [ ! -x "$dm" ]; then
	if [ -f "$here/../Makefile" ]; then
		make -C "$here/.." --no-print-directory all >&2
	else
		dm=wdt-dm # installed: share/wdt-dm/samples, the binary on PATH
	fi
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "launch_uos: installing qemu-system-x86" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq qemu-system-x86 >/dev/null
fi

set -- $(sh "$here/guest/build-image.sh")
kernel=$1
initrd=$2

# Device line as in an ACRN launch script: slot 5, the 6300ESB watchdog.
exec "$dm" -U "$uuid" \
	-s 0:0,hostbridge \
	-s 5,wdt-i6300esb,action="$action" \
	--events "$events" \
	-- qemu-system-x86_64 -name "$vm_name",debug-threads=on \
	-nodefaults -no-user-config -display none -monitor none -serial stdio \
	-m "$mem_size" \
	-object memory-backend-memfd,id=mem,size="${mem_size}M",share=on \
	-machine pc,memory-backend=mem \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 quiet wdt.scenario=$scenario wdt.hb=$hb"
