/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Platform MMIO device plugins (wdt-dm's shape; ACRN's plat_dev.h is about
 * pass-through and has no such table).  A plugin is one const ops struct and
 * one DEFINE_PLAT_DEVTYPE line.  init() parses opts and sets dev->base,
 * dev->size and dev->arg; the core then registers [base, base+size) and calls
 * read/write with the offset into the window, after checking that the access
 * lies inside it with size in {1,2,4,8}.  reset() runs on every VM reset.
 */
#ifndef _PLAT_DEV_H_
#define _PLAT_DEV_H_

#include <stdbool.h>
#include <stdint.h>

#include "linker_set.h"
#include "mem.h"

struct vmctx;
struct plat_vdev;

struct plat_dev_ops {
	const char *name;
	int (*init)(struct vmctx *ctx, struct plat_vdev *dev, char *opts);
	void (*deinit)(struct vmctx *ctx, struct plat_vdev *dev);
	uint64_t (*read)(struct vmctx *ctx, int vcpu, struct plat_vdev *dev, uint64_t offset,
			 int size);
	void (*write)(struct vmctx *ctx, int vcpu, struct plat_vdev *dev, uint64_t offset,
		      int size, uint64_t value);
	void (*reset)(struct vmctx *ctx, struct plat_vdev *dev);
};

#define DEFINE_PLAT_DEVTYPE(x) DATA_SET(plat_dev_ops_set, x)

struct plat_vdev {
	const struct plat_dev_ops *ops;
	struct vmctx *ctx;
	uint64_t base, size;
	void *arg;
	char *opts;
	struct mem_range range;
	bool registered;
};

#define PLAT_MAX_DEVS 8

/* Queue a device by name with its option string (command line).  0 or -EINVAL. */
/*
 * Provided by the host: whether [base, base + size) overlaps a range already on
 * its MMIO bus, *hit (if not NULL) getting that range.  wdt-dm answers from its
 * bus (core/mem.c, also declared in mem.h); a host that cannot tell answers
 * false and leaves the refusal to register_mem().
 */
bool mem_range_busy(uint64_t base, uint64_t size, struct mem_range *hit);

int plat_dev_add(const char *name, const char *opts);
void plat_devs_clear(void);
int init_plat_devs(struct vmctx *ctx);
void deinit_plat_devs(struct vmctx *ctx);
struct plat_vdev *plat_dev_find(const char *name);
const struct plat_dev_ops *plat_find_ops(const char *name);

#endif /* _PLAT_DEV_H_ */
