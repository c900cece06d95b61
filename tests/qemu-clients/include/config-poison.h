/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/* Stand-in for QEMU's generated config-poison.h: client code poisons nothing. */
