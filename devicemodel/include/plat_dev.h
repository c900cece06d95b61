/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Platform MMIO device plugins (wdt-dm's shape; ACRN's plat_dev.h is about
 * pass-through and has no such table).  A plugin is one const ops struct and
 * one DEFINE_PLAT_DEVTYPE line.  init() parses opts and sets dev->base,
 * dev->size and dev->arg; the core then registers [base, base+size) and calls
 * read/write with the offset into the window, after checking that the access
 * lies inside it with size in {1,2,4,8}.  reset() runs on every VM reset.
 * Users queue a device with --platform <name>[,<opts>]; a plugin that declares
 * a long option is also queued by --<option> <opts> (ACRN's spelling with '_'
 * for '-' too), given at most once.  A device raises its interrupts through
 * dm_plat_irq(), which the host routes (wdt-dm: to the front end).
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
	const char *option;      /* long option queueing it, e.g. "vcpu-stall"; NULL: none */
	const char *option_help; /* what --help says of it after "--<option> <opts>" */
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

/*
 * Provided by the host: platform device dev (its ops name) drives its
 * interrupt line (the device's own numbering) to level, 1 or 0.  wdt-dm hands
 * it to the front end (core/frontend.c); a host without such a line logs it.
 */
void dm_plat_irq(struct vmctx *ctx, const char *dev, int line, int level);

int plat_dev_add(const char *name, const char *opts);
/* --platform <name>[,<opts>].  0 or -EINVAL (one line printed). */
int plat_dev_add_spec(const char *spec);
/* --<opt> <opts> for the device type declaring opt ('-' or '_').  0 or -EINVAL. */
int plat_dev_add_option(const char *opt, const char *opts);
/* The n-th (from 0) device type that declares an option; NULL past the last. */
const struct plat_dev_ops *plat_ops_with_option(int n);
/* Whether a device of that name is queued. */
bool plat_dev_queued(const char *name);
/* The name of the n-th created device; NULL past the last. */
const char *plat_dev_name(int n);
void plat_devs_clear(void);
int init_plat_devs(struct vmctx *ctx);
void deinit_plat_devs(struct vmctx *ctx);
struct plat_vdev *plat_dev_find(const char *name);
const struct plat_dev_ops *plat_find_ops(const char *name);

#endif /* _PLAT_DEV_H_ */
