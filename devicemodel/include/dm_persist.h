/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Device state that outlives the device instance.  A host (wdt-dm, or ACRN's
 * acrn-dm through devicemodel/acrn/) may destroy and re-create a device at
 * every VM reset -- ACRN resets a VM by running every PCI device's deinit and
 * then its init -- and its timers may still deliver a callback after
 * acrn_timer_deinit() returned (timer.h).  dm_persist() hands a device a
 * zeroed block of memory, keyed by the device's class and a number of its
 * choosing (PCI bus/slot/function, an MMIO base), that stays at the same
 * address until the DM exits: state that must survive a reset (the 6300ESB's
 * timeout flag) lives there, and so does everything a timer callback touches,
 * so no callback can ever see freed memory.
 */
#ifndef _DM_PERSIST_H_
#define _DM_PERSIST_H_

#include <stddef.h>
#include <stdint.h>

/*
 * The block for (cls, key): zeroed on first use, the same pointer afterwards.
 * NULL when out of memory or when the same (cls, key) was asked for with
 * another size.  cls must be a string that lives as long as the process.
 */
void *dm_persist(const char *cls, uint64_t key, size_t size);

/*
 * Frees every block: what a DM restart does.  Only when no device exists and
 * no timer can fire (unit tests between cases, process exit).
 */
void dm_persist_clear(void);

#endif /* _DM_PERSIST_H_ */
