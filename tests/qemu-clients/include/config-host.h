/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Stand-in for the config-host.h that QEMU's build generates, with just what
 * libqtest, libqmp and the qobject/util files they need look at, for an
 * x86-64 Linux host and QEMU 7.2.0 (the version of Debian 12's QEMU).
 */
#ifndef WDT_DM_CONFIG_HOST_H
#define WDT_DM_CONFIG_HOST_H

#define CONFIG_POSIX 1
#define CONFIG_LINUX 1
#define CONFIG_IOVEC 1
#define CONFIG_INT128 1
#define CONFIG_TCG 1
#define CONFIG_KVM_TARGETS "x86_64-softmmu"
#define CONFIG_PREFIX "/usr"
#define CONFIG_BINDIR "/usr/bin"
#define HOST_X86_64 1
#define QEMU_VERSION "7.2.0"
#define QEMU_VERSION_MAJOR 7
#define QEMU_VERSION_MINOR 2
#define QEMU_VERSION_MICRO 0

#endif
