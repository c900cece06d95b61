/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The platform MMIO device table (docs/design.rst §3-4, mmio_dev.h): devices that
 * sit at a fixed guest-physical window rather than on PCI (the vCPU stall
 * detector).  Plugins register through the mmio_dev_ops_set linker set; the
 * command line queues them by name with mmio_dev_add(); init_mmio_devs()
 * creates them, registers each window [base, base+size) with the MMIO bus
 * and forwards validated accesses to ops->read/write with the offset into the
 * window.  One VM reset hook runs every device's ops->reset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_reset.h"
#include "log_ratelimit.h"
#include "mmio_dev.h"

SET_DECLARE(mmio_dev_ops_set, struct mmio_dev_ops);

struct mmio_spec {
	const struct mmio_dev_ops *ops;
	char *opts;
};

static struct mmio_spec mmio_specs[MMIO_MAX_DEVS];
static int mmio_nspecs;
static struct mmio_vdev mmio_devs[MMIO_MAX_DEVS];
static int mmio_ndevs;
static struct vmctx *mmio_hook_ctx;

const struct mmio_dev_ops *mmio_find_ops(const char *name)
{
	struct mmio_dev_ops **pp;

	if (!name)
		return NULL;
	SET_FOREACH(pp, mmio_dev_ops_set)
	{
		if ((*pp)->name && strcmp((*pp)->name, name) == 0)
			return *pp;
	}
	return NULL;
}

int mmio_dev_add(const char *name, const char *opts)
{
	const struct mmio_dev_ops *ops = mmio_find_ops(name);
	char *copy = NULL;

	if (!ops) {
		fprintf(stderr, "wdt-dm: unknown platform device \"%s\"\n", name ? name : "");
		return -EINVAL;
	}
	if (mmio_nspecs == MMIO_MAX_DEVS) {
		fprintf(stderr, "wdt-dm: %s: at most %d platform devices\n", name, MMIO_MAX_DEVS);
		return -EINVAL;
	}
	if (opts) {
		copy = strdup(opts);
		if (!copy)
			return -EINVAL;
	}
	mmio_specs[mmio_nspecs++] = (struct mmio_spec){ops, copy};
	return 0;
}

void mmio_devs_clear(void)
{
	for (int i = 0; i < mmio_nspecs; i++)
		free(mmio_specs[i].opts);
	memset(mmio_specs, 0, sizeof(mmio_specs));
	mmio_nspecs = 0;
}

struct mmio_vdev *mmio_dev_find(const char *name)
{
	for (int i = 0; name && i < mmio_ndevs; i++)
		if (strcmp(mmio_devs[i].ops->name, name) == 0)
			return &mmio_devs[i];
	return NULL;
}

static bool mmio_size_ok(int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t mmio_ones(int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* The bus already checked the window; checked again so a device never sees junk. */
static int mmio_handler(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size,
			uint64_t *val, void *arg1, long arg2)
{
	struct mmio_vdev *dev = arg1;
	uint64_t off = addr - dev->base;

	(void)arg2;
	if (!mmio_size_ok(size) || addr < dev->base || off >= dev->size ||
	    (uint64_t)size > dev->size - off) {
		pr_warn_rl("%s: %d-byte access at 0x%lx outside its window ignored\n",
			   dev->ops->name, size, (unsigned long)addr);
		if (dir == MEM_F_READ)
			*val = mmio_ones(size);
		return -EINVAL;
	}
	if (dir == MEM_F_READ)
		*val = dev->ops->read ? dev->ops->read(ctx, vcpu, dev, off, size) : mmio_ones(size);
	else if (dev->ops->write)
		dev->ops->write(ctx, vcpu, dev, off, size, *val);
	return 0;
}

static void mmio_reset_hook(void *arg)
{
	struct vmctx *ctx = arg;

	for (int i = 0; i < mmio_ndevs; i++)
		if (mmio_devs[i].ops->reset)
			mmio_devs[i].ops->reset(ctx, &mmio_devs[i]);
}

/*
 * The window is the user's choice (a base= option): one that overlaps a PCI
 * BAR or another device is a command-line error, said in one line (-EINVAL).
 */
static int mmio_map(struct mmio_vdev *dev)
{
	struct mem_range hit;

	if (dev->size == 0)
		return -EINVAL;
	if (mem_range_busy(dev->base, dev->size, &hit)) {
		fprintf(stderr, "wdt-dm: %s: window [0x%lx, +0x%lx) overlaps %s at [0x%lx, "
				"+0x%lx); choose another base=\n",
			dev->ops->name, (unsigned long)dev->base, (unsigned long)dev->size,
			hit.name ? hit.name : "another device", (unsigned long)hit.base,
			(unsigned long)hit.size);
		return -EINVAL;
	}
	dev->range = (struct mem_range){dev->ops->name, MEM_F_RW, mmio_handler, dev, 0,
					dev->base, dev->size};
	return register_mem(&dev->range);
}

static void mmio_dev_destroy(struct vmctx *ctx, struct mmio_vdev *dev)
{
	/* Unmap first: unregister_mem() waits for running handlers. */
	if (dev->registered)
		unregister_mem(&dev->range);
	if (dev->ops->deinit)
		dev->ops->deinit(ctx, dev);
	free(dev->opts);
	memset(dev, 0, sizeof(*dev));
}

static int mmio_dev_create(struct vmctx *ctx, const struct mmio_spec *sp, struct mmio_vdev *dev)
{
	int err;

	memset(dev, 0, sizeof(*dev));
	dev->ops = sp->ops;
	dev->ctx = ctx;
	if (sp->opts) {
		dev->opts = strdup(sp->opts);
		if (!dev->opts)
			return -ENOMEM;
	}
	err = sp->ops->init ? sp->ops->init(ctx, dev, dev->opts) : 0;
	if (err)
		goto err_opts;
	err = mmio_map(dev);
	if (err)
		goto err_deinit;
	dev->registered = true;
	return 0;

err_deinit:
	if (err != -EINVAL) /* -EINVAL: mmio_map said why in one line */
		pr_err("%s: window [0x%lx, +0x%lx) refused (%d)\n", sp->ops->name,
		       (unsigned long)dev->base, (unsigned long)dev->size, err);
	if (sp->ops->deinit)
		sp->ops->deinit(ctx, dev);
err_opts:
	free(dev->opts);
	memset(dev, 0, sizeof(*dev));
	return err < 0 ? err : -EIO;
}

int init_mmio_devs(struct vmctx *ctx)
{
	int err = 0;

	if (mmio_ndevs)
		return -EBUSY;
	for (int i = 0; i < mmio_nspecs; i++) {
		err = mmio_dev_create(ctx, &mmio_specs[i], &mmio_devs[i]);
		if (err)
			goto err_unwind;
		mmio_ndevs++;
	}
	if (!mmio_ndevs)
		return 0;
	err = dm_reset_hook_register(ctx, mmio_reset_hook, ctx);
	if (err)
		goto err_unwind;
	mmio_hook_ctx = ctx;
	return 0;

err_unwind:
	deinit_mmio_devs(ctx);
	return err;
}

void deinit_mmio_devs(struct vmctx *ctx)
{
	if (mmio_hook_ctx)
		dm_reset_hook_unregister(mmio_hook_ctx, mmio_reset_hook, mmio_hook_ctx);
	mmio_hook_ctx = NULL;
	while (mmio_ndevs > 0) {
		mmio_ndevs--;
		mmio_dev_destroy(ctx, &mmio_devs[mmio_ndevs]);
	}
}
