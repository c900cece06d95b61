/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Platform MMIO device plugins (wdt-dm's shape; ACRN's mmio_dev.h is about
 * pass-through and has no such table).  A plugin is one const ops struct and
 * one DEFINE_MMIO_DEVTYPE line.  init() parses opts and sets dev->base,
 * dev->size and dev->arg; the core then registers [base, base+size) and calls
 * read/write with the offset into the window, after checking that the access
 * lies inside it with size in {1,2,4,8}.  reset() runs on every VM reset.
 */
#ifndef _MMIO_DEV_H_
#define _MMIO_DEV_H_

#include <stdbool.h>
#include <stdint.h>

#include "linker_set.h"
#include "mem.h"

struct vmctx;
struct mmio_vdev;

struct mmio_dev_ops {
	const char *name;
	int (*init)(struct vmctx *ctx, struct mmio_vdev *dev, char *opts);
	void (*deinit)(struct vmctx *ctx, struct mmio_vdev *dev);
	uint64_t (*read)(struct vmctx *ctx, int vcpu, struct mmio_vdev *dev, uint64_t offset,
			 int size);
	void (*write)(struct vmctx *ctx, int vcpu, struct mmio_vdev *dev, uint64_t offset,
		      int size, uint64_t value);
	void (*reset)(struct vmctx *ctx, struct mmio_vdev *dev);
};

#define DEFINE_MMIO_DEVTYPE(x) DATA_SET(mmio_dev_ops_set, x)

struct mmio_vdev {
	const struct mmio_dev_ops *ops;
	struct vmctx *ctx;
	uint64_t base, size;
	void *arg;
	char *opts;
	struct mem_range range;
	bool registered;
};

#define MMIO_MAX_DEVS 8

/* Queue a device by name with its option string (command line).  0 or -EINVAL. */
int mmio_dev_add(const char *name, const char *opts);
void mmio_devs_clear(void);
int init_mmio_devs(struct vmctx *ctx);
void deinit_mmio_devs(struct vmctx *ctx);
struct mmio_vdev *mmio_dev_find(const char *name);
const struct mmio_dev_ops *mmio_find_ops(const char *name);

#endif /* _MMIO_DEV_H_ */
