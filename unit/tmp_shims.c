/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * TEMPORARY: stand-ins for core/timer.c (not landed yet) so the unit tests
 * link.  Weak, so the real timer core wins if both are linked; delete this
 * file as soon as main brings core/timer.c.
 */
#include "vm_clock.h"

__attribute__((weak)) enum vm_clock_mode vm_clock_mode(void)
{
	return VM_CLOCK_VIRTUAL;
}

__attribute__((weak)) uint64_t vm_clock_now_ns(void)
{
	return 0;
}
