/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Guest RAM for front ends that own the guest's memory (qtest), laid out as
 * QEMU's x86 machines lay it: low RAM from 0 up to the PCI hole (which starts
 * at GUEST_RAM_HOLE, where wdt-dm preassigns BARs), the rest from 4 GiB.  The
 * backing is reserved, not committed (pages appear when first touched).
 * guest_mem_rw() is the guest-physical address space as a CPU sees it:
 * platform devices (vcpu-stall) win over RAM, RAM wins over PCI BARs (a BAR
 * only decodes in the hole or above RAM), and unclaimed addresses read
 * all-ones and ignore writes.
 */
#ifndef _GUEST_RAM_H_
#define _GUEST_RAM_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmctx;

#define GUEST_RAM_DEFAULT (128ULL << 20)  /* QEMU's default -m */
#define GUEST_RAM_MAX (64ULL << 30)
#define GUEST_RAM_HOLE 0x80000000ULL      /* PCI hole: [HOLE, 4 GiB) */
#define GUEST_RAM_HIGH 0x100000000ULL

/* Parses -m's value as QEMU does (bytes with an optional k/M/G/T suffix, MiB
 * without one) into *bytes; 0 or -EINVAL (zero, too large, malformed). */
int guest_ram_parse_size(const char *s, uint64_t *bytes);
/* Reserves size bytes (0: no RAM).  0 or -errno. */
int guest_ram_init(uint64_t size);
void guest_ram_fini(void);
uint64_t guest_ram_size(void);
/* Whether gpa is RAM; *run gets how many bytes of RAM follow contiguously. */
bool guest_ram_at(uint64_t gpa, uint64_t *run);
/* The RAM as at most max ranges (low RAM, then RAM above 4 GiB): how many. */
struct elfcore_range;
int guest_ram_ranges(struct elfcore_range *r, int max);

/* len bytes at gpa through the address space above; never fails. */
void guest_mem_rw(struct vmctx *ctx, uint64_t gpa, void *buf, uint64_t len, bool write);
/* Fills len bytes at gpa with byte c. */
void guest_mem_fill(struct vmctx *ctx, uint64_t gpa, uint8_t c, uint64_t len);

#endif /* _GUEST_RAM_H_ */
