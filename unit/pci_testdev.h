/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * "test-dev": a PCI device that exists only in the unit tests (unit/ is never
 * linked into wdt-dm).  It records what the core hands it so tests can check
 * dispatch; see unit/pci_testdev.c for its options and registers.
 */
#ifndef _PCI_TESTDEV_H_
#define _PCI_TESTDEV_H_

#include <stdint.h>

#define TESTDEV_VENDOR 0x1af4
#define TESTDEV_DEVICE 0x10ff
#define TESTDEV_MEM_SIZE 0x100
#define TESTDEV_IO_SIZE 0x20
/* Config bytes the device decodes itself (returns 0 = handled). */
#define TESTDEV_CFG_MAGIC 0x40 /* read-only 32-bit magic */
#define TESTDEV_CFG_MAGIC_VAL 0xc0ffee42U
#define TESTDEV_CFG_SINK 0x44 /* writes land in the state, never in cfgdata */

struct testdev_state {
	int bar_reads, bar_writes;
	int last_bar, last_size, last_vcpu;
	uint64_t last_offset, last_value;
	uint32_t sink;
	int resets;
};

/* Number of test-dev instances deinitialised since start. */
extern int testdev_deinit_count;

#endif /* _PCI_TESTDEV_H_ */
