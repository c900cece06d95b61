/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The test of the house's design (issue 14, point 1): a third platform device,
 * "test-beacon", defined in this file alone, reaches every generic path that
 * vcpu-stall uses, with no edit anywhere else: its own long option and
 * --platform (the registry's option hook, as main.c and ACRN's patch call it),
 * MMIO dispatch through the bus, its interrupt through dm_plat_irq() to the
 * front end's hook (a test hook, then the qtest front end's IRQ intercept),
 * and the VM reset hook.  docs/design.rst §3-4.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "mem.h"
#include "plat_dev.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

/* ---- the device: register map ---- */
#define BEACON_NAME "test-beacon"
#define BEACON_DEFAULT_BASE 0x7000ULL
#define BEACON_SIZE 0x100ULL
#define BEACON_REG_ID 0x00      /* r: BEACON_ID */
#define BEACON_REG_DOORBELL 0x04 /* w: pulse interrupt line (value & 7) */
#define BEACON_REG_SCRATCH 0x08 /* r/w; 0 after a VM reset */
#define BEACON_ID 0x42454143U   /* "BEAC" */
#define BEACON_LINES 8

struct beacon {
	uint32_t scratch;
	int resets;
};

static struct beacon beacon_state;

/* opts: base=<number> */
static int beacon_init(struct vmctx *ctx, struct plat_vdev *dev, char *opts)
{
	const char *b = opts ? strstr(opts, "base=") : NULL;

	(void)ctx;
	if (opts && *opts && !b)
		return -EINVAL;
	memset(&beacon_state, 0, sizeof(beacon_state));
	dev->base = b ? strtoull(b + 5, NULL, 0) : BEACON_DEFAULT_BASE;
	dev->size = BEACON_SIZE;
	dev->arg = &beacon_state;
	return 0;
}

static uint64_t beacon_read(struct vmctx *ctx, int vcpu, struct plat_vdev *dev, uint64_t off,
			    int size)
{
	struct beacon *b = dev->arg;

	(void)ctx, (void)vcpu, (void)size;
	if (off == BEACON_REG_ID)
		return BEACON_ID;
	return off == BEACON_REG_SCRATCH ? b->scratch : 0;
}

static void beacon_write(struct vmctx *ctx, int vcpu, struct plat_vdev *dev, uint64_t off,
			 int size, uint64_t val)
{
	struct beacon *b = dev->arg;

	(void)vcpu, (void)size;
	if (off == BEACON_REG_SCRATCH) {
		b->scratch = (uint32_t)val;
	} else if (off == BEACON_REG_DOORBELL) {
		dm_plat_irq(ctx, BEACON_NAME, (int)(val % BEACON_LINES), 1);
		dm_plat_irq(ctx, BEACON_NAME, (int)(val % BEACON_LINES), 0);
	}
}

static void beacon_reset(struct vmctx *ctx, struct plat_vdev *dev)
{
	struct beacon *b = dev->arg;

	(void)ctx;
	b->scratch = 0;
	b->resets++;
}

static const struct plat_dev_ops beacon_ops = {
	.name = BEACON_NAME,
	.option = BEACON_NAME,
	.option_help = "add the test beacon: base=<addr>",
	.init = beacon_init,
	.read = beacon_read,
	.write = beacon_write,
	.reset = beacon_reset,
};
DEFINE_PLAT_DEVTYPE(beacon_ops);

/* ---- the tests ---- */

static struct vmctx ctx;
static int irq_line[16], irq_level[16], nirq;
static char irq_dev[16][32];

static void hook_plat_irq(struct vmctx *c, const char *dev, int line, int level)
{
	(void)c;
	if (nirq == 16)
		return;
	snprintf(irq_dev[nirq], sizeof(irq_dev[0]), "%s", dev);
	irq_line[nirq] = line;
	irq_level[nirq++] = level;
}

static const struct vm_fe_ops hook_fe = {.plat_irq = hook_plat_irq};

static int suite_init(void)
{
	if (timer_core_init(VM_CLOCK_VIRTUAL) || vm_create(&ctx, NULL, 1))
		return -1;
	init_mem();
	return 0;
}

static int suite_cleanup(void)
{
	deinit_mem();
	vm_destroy(&ctx);
	timer_core_fini();
	return 0;
}

static void teardown(void)
{
	deinit_plat_devs(&ctx);
	plat_devs_clear();
	ctx.fe = NULL;
	nirq = 0;
}

static uint64_t guest_read(uint64_t addr)
{
	uint64_t v = 0;

	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, addr, 4, &v), 0);
	return v;
}

static void guest_write(uint64_t addr, uint64_t v)
{
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_WRITE, addr, 4, &v), 0);
}

/* The registry lists its long option, as main.c's getopt table and --help read it. */
static void test_registry_lists_the_devices_own_option(void)
{
	const struct plat_dev_ops *ops;
	bool seen = false;

	for (int n = 0; (ops = plat_ops_with_option(n)); n++)
		seen |= strcmp(ops->option, BEACON_NAME) == 0 && ops == &beacon_ops;
	CU_ASSERT_TRUE(seen);
}

/* --test-beacon base=... (and ACRN's --test_beacon) queues it; a second time is refused. */
static void test_own_option_queues_it_once(void)
{
	teardown();
	CU_ASSERT_EQUAL(plat_dev_add_option("test_beacon", "base=0x9000"), 0);
	CU_ASSERT_TRUE(plat_dev_queued(BEACON_NAME));
	CU_ASSERT_EQUAL(plat_dev_add_option(BEACON_NAME, "base=0xa000"), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	CU_ASSERT_EQUAL(guest_read(0x9000 + BEACON_REG_ID), BEACON_ID);
	CU_ASSERT_STRING_EQUAL(plat_dev_name(0), BEACON_NAME);
	CU_ASSERT_PTR_NULL(plat_dev_name(1));
	teardown();
}

/* --platform test-beacon[,opts], and an unknown name refused. */
static void test_platform_spec_queues_it_by_name(void)
{
	teardown();
	CU_ASSERT_EQUAL(plat_dev_add_spec("no-such-device,base=0x1000"), -EINVAL);
	CU_ASSERT_EQUAL(plat_dev_add_spec(BEACON_NAME), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	CU_ASSERT_EQUAL(plat_dev_find(BEACON_NAME)->base, BEACON_DEFAULT_BASE);
	CU_ASSERT_EQUAL(guest_read(BEACON_DEFAULT_BASE + BEACON_REG_ID), BEACON_ID);
	teardown();
}

/* Guest MMIO reaches its registers; a VM reset runs its reset. */
static void test_mmio_and_reset_reach_it(void)
{
	teardown();
	CU_ASSERT_EQUAL(plat_dev_add_spec(BEACON_NAME ",base=0x8000"), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	guest_write(0x8000 + BEACON_REG_SCRATCH, 0x1234);
	CU_ASSERT_EQUAL(guest_read(0x8000 + BEACON_REG_SCRATCH), 0x1234);
	vm_reset(&ctx, "host");
	CU_ASSERT_EQUAL(beacon_state.resets, 1);
	CU_ASSERT_EQUAL(guest_read(0x8000 + BEACON_REG_SCRATCH), 0);
	teardown();
}

/* Its interrupt reaches the front end's hook with its name and line. */
static void test_interrupt_reaches_the_front_end_hook(void)
{
	teardown();
	ctx.fe = &hook_fe;
	CU_ASSERT_EQUAL(plat_dev_add_spec(BEACON_NAME), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	guest_write(BEACON_DEFAULT_BASE + BEACON_REG_DOORBELL, 5);
	CU_ASSERT_EQUAL_FATAL(nirq, 2);
	CU_ASSERT_STRING_EQUAL(irq_dev[0], BEACON_NAME);
	CU_ASSERT_EQUAL(irq_line[0], 5);
	CU_ASSERT_EQUAL(irq_level[0], 1);
	CU_ASSERT_EQUAL(irq_level[1], 0);
	teardown();
}

/* The qtest front end intercepts its output lines by its name, as QEMU's qtest does. */
static void test_qtest_intercepts_its_lines_by_name(void)
{
	static const char script[] = "irq_intercept_out " BEACON_NAME "\n"
				     "writel 0x7004 0x3\n"
				     "readl 0x7000\n";
	char *out = NULL;
	size_t len = 0;
	FILE *in, *o;

	teardown();
	CU_ASSERT_EQUAL(plat_dev_add_spec(BEACON_NAME), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	in = fmemopen((void *)script, sizeof(script) - 1, "r");
	o = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(qtest_session(&ctx, in, o), 0);
	fclose(in);
	fclose(o);
	CU_ASSERT_STRING_EQUAL(out, "OK\nIRQ raise 3\nIRQ lower 3\nOK\n"
				    "OK 0x0000000042454143\n");
	free(out);
	teardown();
}

UNIT_SUITE(plat_third, suite_init, suite_cleanup,
	   UNIT_TEST(test_registry_lists_the_devices_own_option),
	   UNIT_TEST(test_own_option_queues_it_once),
	   UNIT_TEST(test_platform_spec_queues_it_by_name),
	   UNIT_TEST(test_mmio_and_reset_reach_it),
	   UNIT_TEST(test_interrupt_reaches_the_front_end_hook),
	   UNIT_TEST(test_qtest_intercepts_its_lines_by_name));
