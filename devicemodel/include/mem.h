/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Guest-physical MMIO range registry (ACRN names).  Ranges are kept sorted and
 * looked up by binary search behind a one-entry cache; overlapping and
 * zero-length registrations are refused.  mem_access() validates the access
 * (size in {1,2,4,8}, fully inside one range) before a handler sees it.
 */
#ifndef _MEM_H_
#define _MEM_H_

#include <stdbool.h>
#include <stdint.h>

struct vmctx;

typedef int (*mem_func_t)(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size,
			  uint64_t *val, void *arg1, long arg2);

struct mem_range {
	const char *name;
	int flags;
	mem_func_t handler;
	void *arg1;
	long arg2;
	uint64_t base;
	uint64_t size;
};

#define MEM_F_READ 0x1
#define MEM_F_WRITE 0x2
#define MEM_F_RW (MEM_F_READ | MEM_F_WRITE)
/* A PCI BAR: decodes only where no guest RAM is (a front end with RAM checks it). */
#define MEM_F_BAR 0x4

/* 0, -EINVAL (zero length, wraps, no handler), -EEXIST (overlap), -ENOMEM */
int register_mem(struct mem_range *memp);
/*
 * Whether [base, base + size) overlaps a registered range, without logging;
 * the first such range is copied to *hit when hit is not NULL.
 */
bool mem_range_busy(uint64_t base, uint64_t size, struct mem_range *hit);
/* Removes the range with memp->base; 0 or -ENOENT. */
int unregister_mem(struct mem_range *memp);
void init_mem(void);
void deinit_mem(void);

/*
 * dir is MEM_F_READ or MEM_F_WRITE.  Returns 0 when a handler took it,
 * -ESRCH when nothing claims addr (a read then yields all-ones), -EINVAL for
 * a bad size or an access straddling a range end (logged, read all-ones).
 * The value is masked to size bytes both ways (the handler's write, the read).
 */
int mem_access(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size, uint64_t *val);

/*
 * A copy of the lowest range that ends at or above addr (it contains addr
 * when out->base <= addr): 0, or -ENOENT when no range lies at or above addr.
 * For front ends that lay guest RAM around the ranges.
 */
int mem_range_from(uint64_t addr, struct mem_range *out);

#endif /* _MEM_H_ */
