/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the platform MMIO device table (hw/platform/platform.c,
 * docs/design.rst §3-4) with a test-only device "test-mmio" defined here: queueing
 * by name, window registration, offset dispatch, window validation, the VM
 * reset hook, and unwinding when a device or its window is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "mem.h"
#include "plat_dev.h"
#include "unit.h"
#include "vmctx.h"

#define TM_BASE 0x3000ULL
#define TM_SIZE 0x1000ULL

struct tm_state {
	int reads, writes, resets;
	uint64_t last_off, last_val;
	int last_size, last_vcpu;
};

static int tm_deinits;
static struct vmctx ctx;

/* opts: "base=<hex>" moves the window, "fail" fails init. */
static int tm_init(struct vmctx *c, struct plat_vdev *dev, char *opts)
{
	const char *b = opts ? strstr(opts, "base=") : NULL;

	(void)c;
	if (opts && strstr(opts, "fail"))
		return -EIO;
	dev->arg = calloc(1, sizeof(struct tm_state));
	if (!dev->arg)
		return -ENOMEM;
	dev->base = b ? strtoull(b + 5, NULL, 16) : TM_BASE;
	dev->size = TM_SIZE;
	return 0;
}

static void tm_deinit(struct vmctx *c, struct plat_vdev *dev)
{
	(void)c;
	free(dev->arg);
	tm_deinits++;
}

static uint64_t tm_read(struct vmctx *c, int vcpu, struct plat_vdev *dev, uint64_t off, int size)
{
	struct tm_state *st = dev->arg;

	(void)c;
	st->reads++;
	st->last_off = off;
	st->last_size = size;
	st->last_vcpu = vcpu;
	return 0xb0000000 | off;
}

static void tm_write(struct vmctx *c, int vcpu, struct plat_vdev *dev, uint64_t off, int size,
		     uint64_t val)
{
	struct tm_state *st = dev->arg;

	(void)c;
	st->writes++;
	st->last_off = off;
	st->last_size = size;
	st->last_val = val;
	st->last_vcpu = vcpu;
}

static void tm_reset(struct vmctx *c, struct plat_vdev *dev)
{
	(void)c;
	((struct tm_state *)dev->arg)->resets++;
}

static const struct plat_dev_ops tm_ops = {
	.name = "test-mmio",
	.init = tm_init,
	.deinit = tm_deinit,
	.read = tm_read,
	.write = tm_write,
	.reset = tm_reset,
};
DEFINE_PLAT_DEVTYPE(tm_ops);

static int suite_init(void)
{
	init_mem();
	return vm_create(&ctx, NULL, 2) ? -1 : 0;
}

static int suite_cleanup(void)
{
	deinit_plat_devs(&ctx);
	plat_devs_clear();
	vm_destroy(&ctx);
	deinit_mem();
	return 0;
}

static void teardown(void)
{
	deinit_plat_devs(&ctx);
	plat_devs_clear();
}

static struct tm_state *tm(void)
{
	struct plat_vdev *dev = plat_dev_find("test-mmio");

	return dev ? dev->arg : NULL;
}

static int quiet_add(const char *name)
{
	int saved = unit_stderr_mute(), r;

	r = plat_dev_add(name, NULL);
	unit_stderr_restore(saved);
	return r;
}

static void test_linker_set_finds_plugins_by_name(void)
{
	CU_ASSERT_PTR_EQUAL(plat_find_ops("test-mmio"), &tm_ops);
	CU_ASSERT_PTR_NULL(plat_find_ops("nope"));
	CU_ASSERT_PTR_NULL(plat_find_ops(NULL));
}

static void test_unknown_device_and_full_table_are_refused(void)
{
	teardown();
	CU_ASSERT_EQUAL(quiet_add("nope"), -EINVAL);
	for (int i = 0; i < PLAT_MAX_DEVS; i++)
		CU_ASSERT_EQUAL(plat_dev_add("test-mmio", NULL), 0);
	CU_ASSERT_EQUAL(quiet_add("test-mmio"), -EINVAL);
	teardown();
}

static void test_window_accesses_reach_the_device_with_offsets(void)
{
	uint64_t v = 0;

	teardown();
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tm());
	CU_ASSERT_EQUAL(mem_access(&ctx, 1, MEM_F_READ, TM_BASE + 0x14, 4, &v), 0);
	CU_ASSERT_EQUAL(v, 0xb0000014);
	CU_ASSERT_EQUAL(tm()->last_vcpu, 1);
	v = 0x42;
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_WRITE, TM_BASE + TM_SIZE - 8, 8, &v), 0);
	CU_ASSERT_EQUAL(tm()->last_off, TM_SIZE - 8);
	CU_ASSERT_EQUAL(tm()->last_size, 8);
	CU_ASSERT_EQUAL(tm()->last_val, 0x42);
	teardown();
}

static void test_accesses_outside_the_window_never_reach_the_device(void)
{
	uint64_t v = 0;

	teardown();
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, TM_BASE + TM_SIZE, 4, &v), -ESRCH);
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, TM_BASE + TM_SIZE - 2, 4, &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 0xffffffff);
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, TM_BASE, 3, &v), -EINVAL);
	CU_ASSERT_EQUAL(tm()->reads, 0);
	teardown();
}

static void test_vm_reset_runs_every_device_reset(void)
{
	teardown();
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	vm_reset(&ctx, "test");
	vm_reset(&ctx, "test");
	CU_ASSERT_EQUAL(tm()->resets, 2);
	teardown();
	CU_ASSERT_EQUAL(ctx.nhooks, 0); /* the hook left with the devices */
}

static void test_deinit_unmaps_and_calls_deinit(void)
{
	int before = tm_deinits;
	uint64_t v;

	teardown();
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", "base=0x5000"), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	CU_ASSERT_EQUAL(plat_dev_find("test-mmio")->base, 0x5000);
	CU_ASSERT_STRING_EQUAL(plat_dev_find("test-mmio")->opts, "base=0x5000");
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, 0x5000, 4, &v), 0);
	deinit_plat_devs(&ctx);
	CU_ASSERT_EQUAL(tm_deinits, before + 1);
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, 0x5000, 4, &v), -ESRCH);
	CU_ASSERT_PTR_NULL(plat_dev_find("test-mmio"));
	teardown();
}

static void test_failed_init_or_overlapping_window_unwinds(void)
{
	int before = tm_deinits, saved;
	uint64_t v;

	teardown();
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", "fail"), 0);
	CU_ASSERT_EQUAL(init_plat_devs(&ctx), -EIO);
	CU_ASSERT_EQUAL(tm_deinits, before + 1);
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, TM_BASE, 4, &v), -ESRCH);
	plat_devs_clear();
	/* two windows that overlap: a usage error (one line), the first undone */
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("test-mmio", "base=0x3800"), 0);
	saved = unit_stderr_mute();
	CU_ASSERT_EQUAL(init_plat_devs(&ctx), -EINVAL);
	unit_stderr_restore(saved);
	CU_ASSERT_EQUAL(tm_deinits, before + 3);
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, TM_BASE, 4, &v), -ESRCH);
	CU_ASSERT_EQUAL(ctx.nhooks, 0);
	teardown();
}

UNIT_SUITE(platform, suite_init, suite_cleanup, UNIT_TEST(test_linker_set_finds_plugins_by_name),
	   UNIT_TEST(test_unknown_device_and_full_table_are_refused),
	   UNIT_TEST(test_window_accesses_reach_the_device_with_offsets),
	   UNIT_TEST(test_accesses_outside_the_window_never_reach_the_device),
	   UNIT_TEST(test_vm_reset_runs_every_device_reset),
	   UNIT_TEST(test_deinit_unmaps_and_calls_deinit),
	   UNIT_TEST(test_failed_init_or_overlapping_window_unwinds));
