/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The platform MMIO device table (docs/design.rst §3-4, plat_dev.h): devices that
 * sit at a fixed guest-physical window rather than on PCI (the vCPU stall
 * detector).  Plugins register through the plat_dev_ops_set linker set; the
 * command line queues them by name with plat_dev_add() (--platform
 * <name>,<opts>, or the long option a plugin declares); init_plat_devs()
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
#include "plat_dev.h"

SET_DECLARE(plat_dev_ops_set, struct plat_dev_ops);

struct plat_spec {
	const struct plat_dev_ops *ops;
	char *opts;
};

static struct plat_spec plat_specs[PLAT_MAX_DEVS];
static int plat_nspecs;
static struct plat_vdev plat_devs[PLAT_MAX_DEVS];
static int plat_ndevs;
static struct vmctx *plat_hook_ctx;

const struct plat_dev_ops *plat_find_ops(const char *name)
{
	struct plat_dev_ops **pp;

	if (!name)
		return NULL;
	SET_FOREACH(pp, plat_dev_ops_set)
	{
		if ((*pp)->name && strcmp((*pp)->name, name) == 0)
			return *pp;
	}
	return NULL;
}

int plat_dev_add(const char *name, const char *opts)
{
	const struct plat_dev_ops *ops = plat_find_ops(name);
	char *copy = NULL;

	if (!ops) {
		fprintf(stderr, "wdt-dm: unknown platform device \"%s\"\n", name ? name : "");
		return -EINVAL;
	}
	if (plat_nspecs == PLAT_MAX_DEVS) {
		fprintf(stderr, "wdt-dm: %s: at most %d platform devices\n", name, PLAT_MAX_DEVS);
		return -EINVAL;
	}
	if (opts) {
		copy = strdup(opts);
		if (!copy)
			return -EINVAL;
	}
	plat_specs[plat_nspecs++] = (struct plat_spec){ops, copy};
	return 0;
}

#define PLAT_NAME_MAX 64

int plat_dev_add_spec(const char *spec)
{
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	char name[PLAT_NAME_MAX];

	if (n >= sizeof(name)) {
		fprintf(stderr, "wdt-dm: unknown platform device \"%.*s\"\n", (int)n, spec);
		return -EINVAL;
	}
	memcpy(name, spec, n);
	name[n] = '\0';
	return plat_dev_add(name, comma ? comma + 1 : NULL);
}

/* "vcpu-stall" matches "vcpu_stall" (ACRN's spelling of long options). */
static bool option_matches(const char *decl, const char *given)
{
	for (; *decl && *given; decl++, given++)
		if (*decl != *given && !(*decl == '-' && *given == '_'))
			return false;
	return *decl == *given;
}

int plat_dev_add_option(const char *opt, const char *opts)
{
	const struct plat_dev_ops *ops;

	for (int n = 0; (ops = plat_ops_with_option(n)); n++) {
		if (!option_matches(ops->option, opt))
			continue;
		if (plat_dev_queued(ops->name)) {
			fprintf(stderr, "wdt-dm: option given twice: --%s (see wdt-dm --help)\n",
				opt);
			return -EINVAL;
		}
		return plat_dev_add(ops->name, opts);
	}
	fprintf(stderr, "wdt-dm: no platform device has the option --%s\n", opt);
	return -EINVAL;
}

const struct plat_dev_ops *plat_ops_with_option(int n)
{
	struct plat_dev_ops **pp;

	SET_FOREACH(pp, plat_dev_ops_set)
	{
		if ((*pp)->option && n-- == 0)
			return *pp;
	}
	return NULL;
}

bool plat_dev_queued(const char *name)
{
	for (int i = 0; name && i < plat_nspecs; i++)
		if (strcmp(plat_specs[i].ops->name, name) == 0)
			return true;
	return false;
}

const char *plat_dev_name(int n)
{
	return n >= 0 && n < plat_ndevs ? plat_devs[n].ops->name : NULL;
}

void plat_devs_clear(void)
{
	for (int i = 0; i < plat_nspecs; i++)
		free(plat_specs[i].opts);
	memset(plat_specs, 0, sizeof(plat_specs));
	plat_nspecs = 0;
}

struct plat_vdev *plat_dev_find(const char *name)
{
	for (int i = 0; name && i < plat_ndevs; i++)
		if (strcmp(plat_devs[i].ops->name, name) == 0)
			return &plat_devs[i];
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
	struct plat_vdev *dev = arg1;
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

	for (int i = 0; i < plat_ndevs; i++)
		if (plat_devs[i].ops->reset)
			plat_devs[i].ops->reset(ctx, &plat_devs[i]);
}

/*
 * The window is the user's choice (a base= option): one that overlaps a PCI
 * BAR or another device is a command-line error, said in one line (-EINVAL).
 */
static int mmio_map(struct plat_vdev *dev)
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

static void plat_dev_destroy(struct vmctx *ctx, struct plat_vdev *dev)
{
	/* Unmap first: unregister_mem() waits for running handlers. */
	if (dev->registered)
		unregister_mem(&dev->range);
	if (dev->ops->deinit)
		dev->ops->deinit(ctx, dev);
	free(dev->opts);
	memset(dev, 0, sizeof(*dev));
}

static int plat_dev_create(struct vmctx *ctx, const struct plat_spec *sp, struct plat_vdev *dev)
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

int init_plat_devs(struct vmctx *ctx)
{
	int err = 0;

	if (plat_ndevs)
		return -EBUSY;
	for (int i = 0; i < plat_nspecs; i++) {
		err = plat_dev_create(ctx, &plat_specs[i], &plat_devs[i]);
		if (err)
			goto err_unwind;
		plat_ndevs++;
	}
	if (!plat_ndevs)
		return 0;
	err = dm_reset_hook_register(ctx, mmio_reset_hook, ctx);
	if (err)
		goto err_unwind;
	plat_hook_ctx = ctx;
	return 0;

err_unwind:
	deinit_plat_devs(ctx);
	return err;
}

void deinit_plat_devs(struct vmctx *ctx)
{
	if (plat_hook_ctx)
		dm_reset_hook_unregister(plat_hook_ctx, mmio_reset_hook, plat_hook_ctx);
	plat_hook_ctx = NULL;
	while (plat_ndevs > 0) {
		plat_ndevs--;
		plat_dev_destroy(ctx, &plat_devs[plat_ndevs]);
	}
}
