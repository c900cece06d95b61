/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the wdt-i6300esb plugin (hw/pci/wdt_i6300esb.c, docs/device.rst
 * section 1), black-box through the real core: -s parsing and init_pci bring
 * the device up, config cycles go through pci_cfg_rw and CONF1 port I/O, BAR
 * accesses through mem_access at the BAR's address.  Time is the virtual
 * clock (no sleeps); the armed deadline is read back with
 * vm_clock_next_deadline(), events are captured with dm_event_set_sink(),
 * requested actions with vm_action_take(), INTx through the front-end hook.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm_event.h"
#include "dm_persist.h"
#include "helpers.h"
#include "inout.h"
#include "mem.h"
#include "pci_core.h"
#include "timer.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

#define SLOT 5
#define SLOT2 6
#define CONF1_EN 0x80000000U

/* Register map as the guest sees it (docs/device.rst §1.2, 1.3) */
#define CFG_CONFIG 0x60
#define CFG_LOCK 0x68
#define LOCK_FREE_RUN 0x04
#define LOCK_ENABLE 0x02
#define LOCK_LOCKED 0x01
#define CONFIG_OUTPUT_DIS 0x20
#define CONFIG_1MHZ 0x04
#define INT_IRQ 0x0
#define INT_RESERVED 0x1
#define INT_SMI 0x2
#define INT_DISABLED 0x3
#define REG_PRELOAD1 0x00
#define REG_PRELOAD2 0x04
#define REG_GINTSR 0x08
#define REG_RELOAD 0x0C
#define RELOAD_RELOAD 0x0100
#define RELOAD_CLEAR 0x0200
#define RELOAD_CLEAR_OLD 0x1000
#define FLAG_READ 0x1200
#define WDIOF_CARDRESET 0x0020

/* One tick of each prescaler in ns: 2^15 x 30 and 2^5 x 30 (docs/device.rst §1.4). */
#define TICK_1KHZ 983040ULL
#define TICK_1MHZ 960ULL
#define PRELOAD_RESET 0xFFFFFU

#define MAX_LINES 128

static struct vmctx ctx;
static char lines[MAX_LINES][1024];
static int nlines;
static int intx_level[PCI_MAX_SLOTS];
static int intx_changes[PCI_MAX_SLOTS];

/* ---- capture ------------------------------------------------------------- */

static void capture(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	(void)arg;
	if (nlines < MAX_LINES)
		snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

static void fe_intx(struct vmctx *c, struct pci_vdev *dev, int level)
{
	(void)c;
	/* Atomic: the race test asserts INTx from the clock-stepping thread. */
	__atomic_store_n(&intx_level[dev->slot], level, __ATOMIC_RELAXED);
	__atomic_fetch_add(&intx_changes[dev->slot], 1, __ATOMIC_RELAXED);
}

static const struct vm_fe_ops fe_ops = {.intx = fe_intx};

static int count_events(const char *needle)
{
	int n = 0;

	for (int i = 0; i < nlines; i++)
		n += strstr(lines[i], needle) != NULL;
	return n;
}

static int watchdog_events(void)
{
	return count_events("\"event\": \"WATCHDOG\"");
}

static void drain_actions(void)
{
	struct vm_action_req r;

	while (vm_action_take(&ctx, &r))
		;
}

/* ---- suite --------------------------------------------------------------- */

static int suite_init(void)
{
	if (timer_core_init(VM_CLOCK_VIRTUAL))
		return -1;
	init_mem();
	if (init_inout() || vm_create(&ctx, NULL, 1))
		return -1;
	ctx.fe = &fe_ops;
	dm_event_set_sink(capture, NULL);
	return 0;
}

static int suite_cleanup(void)
{
	deinit_pci(&ctx);
	pci_slots_clear();
	dm_persist_clear();
	dm_event_set_sink(NULL, NULL);
	vm_destroy(&ctx);
	deinit_inout();
	deinit_mem();
	timer_core_fini();
	return 0;
}

/* Every case starts as after a DM restart: no timeout flag kept from the last one. */
static void teardown(void)
{
	deinit_pci(&ctx);
	pci_slots_clear();
	dm_persist_clear();
}

static void bring_up2(const char *s1, const char *s2)
{
	teardown();
	if (s1)
		CU_ASSERT_EQUAL_FATAL(pci_parse_slot(s1), 0);
	if (s2)
		CU_ASSERT_EQUAL_FATAL(pci_parse_slot(s2), 0);
	CU_ASSERT_EQUAL_FATAL(init_pci(&ctx), 0);
	drain_actions();
	nlines = 0;
	memset(intx_level, 0, sizeof(intx_level));
	memset(intx_changes, 0, sizeof(intx_changes));
}

/* One wdt-i6300esb at slot 5 with the given option suffix ("" or ",action=..."). */
static void bring_up(const char *opts)
{
	char s[64];

	snprintf(s, sizeof(s), "%d,wdt-i6300esb%s", SLOT, opts);
	bring_up2(s, NULL);
}

/* Runs fn(arg) with stderr sent to /dev/null (expected error lines). */
static int quietly(int (*fn)(struct vmctx *), struct vmctx *arg)
{
	int saved = unit_stderr_mute(), r;

	r = fn(arg);
	unit_stderr_restore(saved);
	return r;
}

/* ---- guest accesses ---------------------------------------------------------- */

static uint64_t bar0(int slot)
{
	return pci_get_vdev(0, slot, 0)->bar[0].addr;
}

static void bw(int slot, unsigned int off, int size, uint64_t v)
{
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_WRITE, bar0(slot) + off, size, &v), 0);
}

static uint64_t br(int slot, unsigned int off, int size)
{
	uint64_t v = ~0ULL;

	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, bar0(slot) + off, size, &v), 0);
	return v;
}

static void conf1_select(int slot, int off)
{
	uint32_t a = CONF1_EN | (uint32_t)(slot << 11) | (uint32_t)(off & 0xfc);

	CU_ASSERT_EQUAL(inout_access(&ctx, 0, 0, 0xcf8, 4, &a), 0);
}

/* Config read and write through CONF1, as a guest does. */
static uint32_t cr(int slot, int off, int bytes)
{
	uint32_t v = 0;

	conf1_select(slot, off);
	CU_ASSERT_EQUAL(inout_access(&ctx, 0, 1, 0xcfc + (off & 3), bytes, &v), 0);
	return v;
}

static void cw(int slot, int off, int bytes, uint32_t v)
{
	conf1_select(slot, off);
	CU_ASSERT_EQUAL(inout_access(&ctx, 0, 0, 0xcfc + (off & 3), bytes, &v), 0);
}

/* The same through the core's direct entry point. */
static void cw_direct(int slot, int off, int bytes, uint32_t v)
{
	CU_ASSERT_EQUAL(pci_cfg_rw(&ctx, 0, pci_get_vdev(0, slot, 0), 0, off, bytes, &v), 0);
}

static void unlock_n(int slot, int size)
{
	bw(slot, REG_RELOAD, size, 0x80);
	bw(slot, REG_RELOAD, size, 0x86);
}

static void unlock(int slot)
{
	unlock_n(slot, 2);
}

static void set_preloads(int slot, uint32_t p1, uint32_t p2)
{
	unlock(slot);
	bw(slot, REG_PRELOAD1, 4, p1);
	unlock(slot);
	bw(slot, REG_PRELOAD2, 4, p2);
}

static void reload(int slot)
{
	unlock(slot);
	bw(slot, REG_RELOAD, 2, RELOAD_RELOAD);
}

/* ---- time -------------------------------------------------------------------- */

static uint64_t now(void)
{
	return vm_clock_now_ns();
}

static void step(uint64_t ns)
{
	vm_clock_step(ns);
}

/* ns until the earliest armed deadline; 0 when nothing is armed. */
static uint64_t armed_in(void)
{
	uint64_t d;

	if (!vm_clock_next_deadline(&d))
		return 0;
	return d - now();
}

static uint64_t stage_ns(uint32_t p, bool mhz)
{
	return (uint64_t)(p ? p : 1) * (mhz ? TICK_1MHZ : TICK_1KHZ);
}

/* ---- the Linux i6300esb driver, as docs/device.rst §1.6 describes it ------------------- */

static void drv_set_timeout(int slot, unsigned int t)
{
	uint32_t p = t << 9;

	unlock(slot);
	bw(slot, REG_PRELOAD1, 4, p);
	unlock(slot);
	bw(slot, REG_PRELOAD2, 4, p);
	reload(slot);
}

static int drv_probe(int slot, unsigned int heartbeat)
{
	int bootstatus = 0;

	cw(slot, CFG_CONFIG, 2, 0x0003);
	if (cr(slot, CFG_LOCK, 1) & LOCK_LOCKED)
		bootstatus = -1; /* "nowayout already set" */
	cw(slot, CFG_LOCK, 1, 0);
	unlock(slot);
	if (br(slot, REG_RELOAD, 2) & RELOAD_CLEAR)
		bootstatus = WDIOF_CARDRESET;
	unlock(slot);
	bw(slot, REG_RELOAD, 2, RELOAD_CLEAR | RELOAD_RELOAD);
	drv_set_timeout(slot, heartbeat);
	return bootstatus;
}

static void drv_start(int slot, bool nowayout)
{
	reload(slot);
	cw(slot, CFG_LOCK, 1, LOCK_ENABLE | (nowayout ? LOCK_LOCKED : 0));
}

static void drv_ping(int slot)
{
	reload(slot);
}

/* Returns what esb_timer_stop returns: non-zero when the device stayed enabled. */
static int drv_stop(int slot)
{
	reload(slot);
	cw(slot, CFG_LOCK, 1, 0);
	return (int)(cr(slot, CFG_LOCK, 1) & LOCK_ENABLE);
}

/* Pre-2017 driver: 8-bit unlock writes, 0x1100 to clear the flag and reload. */
static void legacy_ping(int slot)
{
	unlock_n(slot, 1);
	bw(slot, REG_RELOAD, 2, RELOAD_CLEAR_OLD | RELOAD_RELOAD);
}

static uint64_t heartbeat_ns(unsigned int t)
{
	return 2ULL * stage_ns(t << 9, false);
}

/* Preloads 1 and 1 (1 kHz), enable, and step to the end of stage 2. */
static void expire_now(int slot)
{
	set_preloads(slot, 1, 1);
	cw(slot, CFG_LOCK, 1, LOCK_ENABLE);
	step(2 * TICK_1KHZ);
}

/* ---- identity and options ------------------------------------------------------ */

static void test_identity_is_6300esb_with_one_16_byte_mem_bar(void)
{
	bring_up("");
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_VENDOR, 4), 0x25AB8086U);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_REVID, 4), 0x08800000U);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_HDRTYPE, 1), 0);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_INTPIN, 1), 1);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_BAR(0), 4) & 0xf, 0); /* 32-bit, non-prefetchable */
	cw(SLOT, PCIR_BAR(0), 4, 0xffffffffU);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_BAR(0), 4), 0xfffffff0U);
	for (int i = 1; i <= PCI_BARMAX; i++) {
		cw(SLOT, PCIR_BAR(i), 4, 0xffffffffU);
		CU_ASSERT_EQUAL(cr(SLOT, PCIR_BAR(i), 4), 0);
	}
}

static int init_pci_fn(struct vmctx *c)
{
	return init_pci(c);
}

static void test_unknown_option_or_action_fails_init(void)
{
	static const char *const bad[] = {
		"5,wdt-i6300esb,foo=1", "5,wdt-i6300esb,action=halt",
		"5,wdt-i6300esb,action=", "5,wdt-i6300esb,action=reset,bogus",
		"5,wdt-i6300esb,action=resetresetresetreset", "5,wdt-i6300esb,=reset",
		"5,wdt-i6300esb,dump=", "5,wdt-i6300esb,dump=/nonexistent/wdt-dm",
		"5,wdt-i6300esb,dump=/dev/null", "5,wdt-i6300esb,dump_timeout=0",
		"5,wdt-i6300esb,dump_timeout=3601", "5,wdt-i6300esb,dump_timeout=1s",
		"5,wdt-i6300esb,dump_timeout=-1", "5,wdt-i6300esb,dump_timeout=",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		teardown();
		CU_ASSERT_EQUAL_FATAL(pci_parse_slot(bad[i]), 0);
		CU_ASSERT_EQUAL(quietly(init_pci_fn, &ctx), -EINVAL);
		CU_ASSERT_PTR_NULL(pci_get_vdev(0, SLOT, 0));
	}
	bring_up(",action=poweroff,");
	CU_ASSERT_PTR_NOT_NULL(pci_get_vdev(0, SLOT, 0));
}

static void test_default_action_is_reset(void)
{
	struct vm_action_req r;

	bring_up("");
	expire_now(SLOT);
	CU_ASSERT_EQUAL(count_events("\"action\": \"reset\""), 1);
	CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
	CU_ASSERT_EQUAL(r.action, DM_WDT_ACTION_RESET);
}

/* ---- config registers (docs/device.rst §1.2) --------------------------------------------- */

static void test_config_60_reads_stored_bits_at_every_width(void)
{
	bring_up("");
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0);
	cw(SLOT, CFG_CONFIG, 2, 0xffff);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0x0027);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 1), 0x27);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG + 1, 1), 0);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 4), 0x00000027U);
	cw(SLOT, CFG_CONFIG, 1, 0x03); /* the low byte alone */
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0x0003);
	cw(SLOT, CFG_CONFIG + 1, 1, 0xff); /* the high byte holds no bits */
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0x0003);
	cw_direct(SLOT, CFG_CONFIG, 4, 0xffff0024U); /* dword: 0x62-0x63 are reserved */
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 4), 0x00000024U);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG + 2, 2), 0);
	/* QEMU's 0x11 mask would keep bit 4 and lose bit 1 */
	cw(SLOT, CFG_CONFIG, 2, 0x0012);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0x0002);
}

static void test_lock_68_reads_stored_bits_at_every_width(void)
{
	bring_up("");
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), 0);
	cw(SLOT, CFG_LOCK, 1, 0xf8 | LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 2), LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 4), LOCK_FREE_RUN);
	cw_direct(SLOT, CFG_LOCK, 4, 0xffffff00U);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 4), 0);
	cw(SLOT, CFG_LOCK, 2, 0xff00 | LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK + 1, 1), 0);
	CU_ASSERT_EQUAL(armed_in(), 0); /* free-run bit alone does not start anything */
}

static void test_config_outside_0x60_and_0x68_is_plain_storage(void)
{
	bring_up("");
	cw(SLOT, 0x64, 4, 0x12345678U);
	CU_ASSERT_EQUAL(cr(SLOT, 0x64, 4), 0x12345678U);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), 0);
}

/* What a byte of 0x60..0x6b holds after 0xaa was written to it (docs/device.rst §1.2 masks). */
static uint8_t cfg_after_aa(int reg)
{
	if (reg == CFG_CONFIG)
		return 0xaa & 0x27;
	if (reg == CFG_LOCK)
		return 0xaa & (LOCK_FREE_RUN | LOCK_ENABLE | LOCK_LOCKED);
	if (reg >= CFG_CONFIG + 4 && reg < CFG_LOCK)
		return 0xaa; /* 0x64-0x67: plain storage */
	return 0; /* 0x61 holds no bits; 0x62-0x63 and 0x69-0x6b are reserved */
}

/* Byte reg read through CONF1 with an aligned access of the given width. */
static uint8_t cr_byte(int reg, int bytes)
{
	int off = reg & ~(bytes - 1);

	return (uint8_t)(cr(SLOT, off, bytes) >> (8 * (reg - off)));
}

/*
 * Every byte of 0x60..0x6b decodes the same at widths 1, 2 and 4: written
 * alone or with its neighbours at one width, it reads back the same at every
 * width (an inb/inl mismatch at 0x62 or 0x69 is the bug this catches).
 */
static void test_config_60_to_6b_decode_the_same_at_every_width(void)
{
	static const int widths[] = {1, 2, 4};

	for (int reg = CFG_CONFIG; reg < CFG_LOCK + 4; reg++) {
		for (size_t w = 0; w < 3; w++) {
			int off = reg & ~(widths[w] - 1);

			bring_up(",action=none");
			cw(SLOT, off, widths[w], 0xaaaaaaaaU);
			for (int b = off; b < off + widths[w]; b++)
				for (size_t r = 0; r < 3; r++)
					CU_ASSERT_EQUAL(cr_byte(b, widths[r]), cfg_after_aa(b));
		}
	}
	cw(SLOT, CFG_LOCK, 1, 0);
}

static void test_lock_bit_freezes_68_until_device_reset(void)
{
	bring_up(",action=none");
	set_preloads(SLOT, 10, 10);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE | LOCK_LOCKED);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_ENABLE | LOCK_LOCKED);
	cw(SLOT, CFG_LOCK, 1, 0);
	cw_direct(SLOT, CFG_LOCK, 4, LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_ENABLE | LOCK_LOCKED);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(10, false));
	/* 0x60 is not covered by the lock */
	cw(SLOT, CFG_CONFIG, 2, CONFIG_1MHZ);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), CONFIG_1MHZ);
	vm_reset(&ctx, "host");
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), 0);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0);
	CU_ASSERT_EQUAL(armed_in(), 0);
	cw(SLOT, CFG_LOCK, 1, LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_FREE_RUN);
}

static void test_enable_starts_stage1_and_rewriting_it_does_not_restart(void)
{
	uint64_t d1 = stage_ns(100, false);

	bring_up(",action=none");
	set_preloads(SLOT, 100, 100);
	CU_ASSERT_EQUAL(armed_in(), 0); /* preloads alone start nothing */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), d1);
	step(d1 / 2);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE | LOCK_FREE_RUN);
	CU_ASSERT_EQUAL(armed_in(), d1 - d1 / 2);
	step(d1 - d1 / 2);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
}

static void test_disable_stops_the_countdown(void)
{
	bring_up(",action=none");
	set_preloads(SLOT, 1, 1);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(TICK_1KHZ / 2);
	cw(SLOT, CFG_LOCK, 1, 0);
	CU_ASSERT_EQUAL(armed_in(), 0);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	step(10 * TICK_1KHZ);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	/* enable again: a fresh stage 1 */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), TICK_1KHZ);
}

/* ---- BAR registers and the unlock state machine (docs/device.rst §1.3) --------------- */

static void test_preloads_are_20_bits_and_write_only(void)
{
	bring_up(",action=none");
	set_preloads(SLOT, 0xfff00003U, 0x00100005U);
	CU_ASSERT_EQUAL(br(SLOT, REG_PRELOAD1, 4), 0);
	CU_ASSERT_EQUAL(br(SLOT, REG_PRELOAD2, 4), 0);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(3, false));
	step(armed_in());
	CU_ASSERT_EQUAL(armed_in(), stage_ns(5, false));
}

static void test_power_on_preloads_are_fffff(void)
{
	bring_up(",action=none");
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_reload_needs_unlock_sequence(void)
{
	uint64_t d1 = stage_ns(100, false);

	bring_up(",action=none");
	set_preloads(SLOT, 100, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1 / 2);
	bw(SLOT, REG_RELOAD, 2, RELOAD_RELOAD);
	CU_ASSERT_EQUAL(armed_in(), d1 - d1 / 2);
	bw(SLOT, REG_RELOAD, 2, 0x86); /* 0x86 without 0x80 */
	bw(SLOT, REG_RELOAD, 2, RELOAD_RELOAD);
	CU_ASSERT_EQUAL(armed_in(), d1 - d1 / 2);
	reload(SLOT);
	CU_ASSERT_EQUAL(armed_in(), d1);
}

static void test_unlock_allows_exactly_one_protected_write(void)
{
	bring_up(",action=none");
	unlock(SLOT);
	bw(SLOT, REG_PRELOAD1, 4, 7);
	bw(SLOT, REG_PRELOAD2, 4, 9); /* not unlocked any more */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(7, false));
	step(armed_in());
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_0x80_restarts_the_sequence_even_when_open(void)
{
	bring_up(",action=none");
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 4, 0x80); /* open -> half, no protected write used */
	bw(SLOT, REG_PRELOAD1, 4, 7);  /* half: ignored */
	bw(SLOT, REG_RELOAD, 1, 0x86); /* half -> open */
	bw(SLOT, REG_PRELOAD1, 4, 11);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(11, false));
}

static void test_non_magic_write_while_half_keeps_the_sequence(void)
{
	bring_up(",action=none");
	bw(SLOT, REG_RELOAD, 2, 0x80);
	bw(SLOT, REG_RELOAD, 2, 0x0000); /* ignored, state stays "0x80 seen" */
	bw(SLOT, REG_PRELOAD1, 4, 5);    /* ignored too */
	bw(SLOT, REG_RELOAD, 2, 0x86);
	bw(SLOT, REG_PRELOAD1, 4, 13);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(13, false));
}

static void test_magic_values_count_only_at_0x0c(void)
{
	bring_up(",action=none");
	bw(SLOT, REG_PRELOAD1, 4, 0x80);
	bw(SLOT, REG_PRELOAD1, 4, 0x86);
	bw(SLOT, REG_PRELOAD1, 4, 21);
	bw(SLOT, REG_RELOAD, 2, 0x80);
	bw(SLOT, REG_PRELOAD2, 4, 0x86); /* wrong offset: still "0x80 seen" */
	bw(SLOT, REG_PRELOAD1, 4, 23);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_8bit_non_magic_write_neither_acts_nor_consumes(void)
{
	uint64_t d1 = stage_ns(100, false);

	bring_up(",action=none");
	set_preloads(SLOT, 100, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1 / 2);
	unlock(SLOT);
	bw(SLOT, REG_RELOAD + 1, 1, RELOAD_RELOAD >> 8); /* bit 8 as a byte write */
	bw(SLOT, REG_PRELOAD1, 1, 3);
	bw(SLOT, REG_GINTSR, 1, 0);
	CU_ASSERT_EQUAL(armed_in(), d1 - d1 / 2);
	bw(SLOT, REG_RELOAD, 2, RELOAD_RELOAD); /* still open */
	CU_ASSERT_EQUAL(armed_in(), d1);
}

static void test_32bit_write_to_reload_consumes_without_reloading(void)
{
	uint64_t d1 = stage_ns(100, false);

	bring_up(",action=none");
	set_preloads(SLOT, 100, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1 / 2);
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 4, RELOAD_RELOAD);
	CU_ASSERT_EQUAL(armed_in(), d1 - d1 / 2);
	bw(SLOT, REG_RELOAD, 2, RELOAD_RELOAD); /* consumed: needs a new unlock */
	CU_ASSERT_EQUAL(armed_in(), d1 - d1 / 2);
}

static void test_16bit_write_to_preload_consumes_without_setting(void)
{
	bring_up(",action=none");
	unlock(SLOT);
	bw(SLOT, REG_PRELOAD1, 2, 7);
	bw(SLOT, REG_PRELOAD1, 4, 9); /* consumed: ignored */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_gintsr_write_consumes_the_unlock(void)
{
	bring_up(",action=none");
	unlock(SLOT);
	bw(SLOT, REG_GINTSR, 4, 0);
	bw(SLOT, REG_PRELOAD1, 4, 9);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_0x86_write_while_open_is_the_protected_write(void)
{
	bring_up(",action=none");
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 2, 0x86); /* open: consumes, no reload bit */
	bw(SLOT, REG_PRELOAD1, 4, 9);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_reads_never_change_the_unlock_state(void)
{
	static const int sizes[] = {1, 2, 4};

	bring_up(",action=none");
	bw(SLOT, REG_RELOAD, 2, 0x80);
	for (unsigned int off = 0; off < 16; off += 4)
		for (int i = 0; i < 3; i++)
			br(SLOT, off, sizes[i]);
	bw(SLOT, REG_RELOAD, 2, 0x86);
	for (unsigned int off = 0; off < 16; off += 4)
		for (int i = 0; i < 3; i++)
			br(SLOT, off, sizes[i]);
	bw(SLOT, REG_PRELOAD1, 4, 17);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(17, false));
}

static void test_8bit_unlock_sequence_works(void)
{
	bring_up(",action=none");
	unlock_n(SLOT, 1);
	bw(SLOT, REG_PRELOAD1, 4, 19);
	unlock_n(SLOT, 4);
	bw(SLOT, REG_PRELOAD2, 4, 29);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(19, false));
	step(armed_in());
	CU_ASSERT_EQUAL(armed_in(), stage_ns(29, false));
}

static void test_reload_while_disabled_only_consumes(void)
{
	bring_up(",action=none");
	reload(SLOT);
	CU_ASSERT_EQUAL(armed_in(), 0);
	bw(SLOT, REG_PRELOAD1, 4, 9); /* consumed by the reload */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_odd_accesses_are_ignored_without_touching_state(void)
{
	uint64_t v = 0x80;

	bring_up(",action=none");
	unlock(SLOT);
	/* 8-byte, unaligned and straddling accesses: nothing happens */
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_WRITE, bar0(SLOT) + 0, 8, &v), 0);
	bw(SLOT, REG_RELOAD + 1, 2, 0x80);
	bw(SLOT, 0x02, 2, 0x0100); /* aligned 16-bit inside preload 1: consumes */
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD + 1, 2), 0);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 8), 0);
	v = 0;
	CU_ASSERT_NOT_EQUAL(mem_access(&ctx, 0, MEM_F_WRITE, bar0(SLOT) + 0xe, 4, &v), 0);
	bw(SLOT, REG_PRELOAD1, 4, 9); /* consumed by the 16-bit write at 0x02 */
	unlock(SLOT);
	for (int i = 0; i < 50; i++)
		bw(SLOT, 0x01, 2, 0); /* a flood of odd writes, logged with a limit */
	bw(SLOT, REG_PRELOAD2, 4, 31);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
	step(armed_in());
	CU_ASSERT_EQUAL(armed_in(), stage_ns(31, false));
}

/* ---- timing (docs/device.rst §1.4) ---------------------------------------------------------- */

/* Stage 1 ends exactly at d1, stage 2 exactly d2 later; 1 ns earlier nothing. */
static void check_boundaries(uint32_t p1, uint32_t p2, bool mhz)
{
	uint64_t d1 = stage_ns(p1, mhz), d2 = stage_ns(p2, mhz);

	bring_up(",action=none");
	set_preloads(SLOT, p1, p2);
	cw(SLOT, CFG_CONFIG, 2, mhz ? CONFIG_1MHZ : 0);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1 - 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	step(1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
	step(d2 - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	step(1);
	CU_ASSERT_EQUAL(watchdog_events(), 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
}

static void test_stage_ends_exactly_at_deadline_1khz(void)
{
	static const uint32_t p[][2] = {{1, 1}, {2, 7}, {0x200, 0x200}, {0x3C00, 0x10},
					{0xFFFFF, 0xFFFFF}};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		check_boundaries(p[i][0], p[i][1], false);
}

static void test_stage_ends_exactly_at_deadline_1mhz(void)
{
	static const uint32_t p[][2] = {{1, 1}, {3, 1000}, {0x200, 0x400}, {0xFFFFF, 5}};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		check_boundaries(p[i][0], p[i][1], true);
}

static void test_zero_preload_lasts_one_tick(void)
{
	check_boundaries(0, 0, false);
	check_boundaries(0, 0, true);
	CU_ASSERT_EQUAL(stage_ns(0, true), 960);
}

static void test_heartbeat_1s_fires_after_1_00663296s(void)
{
	char ts[96];
	uint64_t t0, fire;

	bring_up("");
	CU_ASSERT_EQUAL(drv_probe(SLOT, 1), 0);
	drv_start(SLOT, false);
	t0 = now();
	fire = t0 + 1006632960ULL;
	CU_ASSERT_EQUAL(heartbeat_ns(1), 1006632960ULL);
	step(1006632960ULL - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	step(1);
	CU_ASSERT_EQUAL_FATAL(watchdog_events(), 1);
	snprintf(ts, sizeof(ts), "\"timestamp\": {\"seconds\": %" PRIu64 ", \"microseconds\": %" PRIu64,
		 (uint64_t)(fire / NS_PER_SEC), (uint64_t)(fire % NS_PER_SEC / 1000));
	CU_ASSERT_PTR_NOT_NULL(strstr(lines[nlines - 1], ts));
}

static void test_heartbeat_2046s_fires_at_its_computed_deadline(void)
{
	uint64_t total = 2ULL * 1047552ULL * 983040ULL; /* 2046 << 9 ticks per stage */

	bring_up("");
	drv_probe(SLOT, 2046);
	drv_start(SLOT, false);
	CU_ASSERT_EQUAL(heartbeat_ns(2046), total);
	CU_ASSERT_EQUAL(armed_in(), total / 2);
	step(total - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	step(1);
	CU_ASSERT_EQUAL(watchdog_events(), 1);
}

static void test_every_linux_heartbeat_is_armed_exactly(void)
{
	bring_up(",action=none");
	drv_probe(SLOT, 1);
	drv_start(SLOT, false);
	for (unsigned int t = 1; t <= 2046; t++) {
		drv_set_timeout(SLOT, t);
		CU_ASSERT_EQUAL(armed_in(), heartbeat_ns(t) / 2);
	}
	CU_ASSERT_EQUAL(watchdog_events(), 0);
}

static void test_reload_restarts_stage1_from_either_stage(void)
{
	uint64_t d1 = stage_ns(100, false), d2 = stage_ns(50, false);

	bring_up(",action=none");
	set_preloads(SLOT, 100, 50);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1 - 10);
	reload(SLOT);
	step(d1 - 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	step(1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
	step(d2 - 1); /* now in stage 2, one ns before the action */
	reload(SLOT);
	CU_ASSERT_EQUAL(armed_in(), d1);
	step(d1 - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
}

static void test_preload_change_applies_at_next_stage_entry(void)
{
	uint64_t a = stage_ns(100, false);

	bring_up(",action=none");
	set_preloads(SLOT, 100, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(a / 2);
	set_preloads(SLOT, 7, 9);
	cw(SLOT, CFG_CONFIG, 2, CONFIG_1MHZ); /* prescaler too: next stage */
	CU_ASSERT_EQUAL(armed_in(), a - a / 2);
	step(a - a / 2);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(9, true));
	reload(SLOT);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(7, true));
}

static void test_paused_vm_time_does_not_count(void)
{
	uint64_t d1 = stage_ns(100, false);

	bring_up(",action=none");
	set_preloads(SLOT, 100, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1 / 2);
	vm_clock_pause();
	step(100 * d1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	vm_clock_resume();
	CU_ASSERT_EQUAL(armed_in(), d1 - d1 / 2);
	step(d1 - d1 / 2 - 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	step(1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
}

/* ---- expiry (docs/device.rst §1.5) ----------------------------------------------------------- */

static void test_stage1_irq_sets_gintsr_and_intx_w1c_clears_both(void)
{
	struct pci_vdev *dev;

	bring_up(",action=none");
	dev = pci_get_vdev(0, SLOT, 0);
	set_preloads(SLOT, 1, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(TICK_1KHZ);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 1), 1);
	CU_ASSERT_EQUAL(intx_level[SLOT], 1);
	CU_ASSERT_TRUE(cr(SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(100, false)); /* stage 2 started */
	bw(SLOT, REG_GINTSR, 4, 0); /* writing 0 changes nothing */
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
	CU_ASSERT_EQUAL(intx_level[SLOT], 1);
	bw(SLOT, REG_GINTSR, 4, 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	CU_ASSERT_EQUAL(intx_level[SLOT], 0);
	CU_ASSERT_FALSE(cr(SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CU_ASSERT_EQUAL(intx_changes[SLOT], 2);
	CU_ASSERT_EQUAL(dev->lintr.state, IDLE);
}

static void check_no_interrupt_for_type(uint32_t type)
{
	bring_up(",action=none");
	cw(SLOT, CFG_CONFIG, 2, type);
	set_preloads(SLOT, 1, 2);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(TICK_1KHZ);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	CU_ASSERT_EQUAL(intx_changes[SLOT], 0);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(2, false)); /* stage 2 anyway */
	step(stage_ns(2, false));
	CU_ASSERT_EQUAL(watchdog_events(), 1);
}

static void test_smi_disabled_and_reserved_types_raise_no_interrupt(void)
{
	check_no_interrupt_for_type(INT_SMI);
	check_no_interrupt_for_type(INT_DISABLED);
	check_no_interrupt_for_type(INT_RESERVED);
}

static void test_free_run_with_output_disabled_restarts_stage1(void)
{
	uint64_t d1 = stage_ns(3, false), d2 = stage_ns(4, false);

	bring_up("");
	cw(SLOT, CFG_CONFIG, 2, CONFIG_OUTPUT_DIS);
	set_preloads(SLOT, 3, 4);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE | LOCK_FREE_RUN);
	for (int round = 0; round < 3; round++) {
		step(d1);
		CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
		bw(SLOT, REG_GINTSR, 4, 1);
		step(d2);
		CU_ASSERT_EQUAL(armed_in(), d1);
	}
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	CU_ASSERT_EQUAL(count_events("WATCHDOG_STAGE1"), 0); /* a toggle, not a warning */
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), 0);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_ENABLE | LOCK_FREE_RUN);
}

static void test_stage1_end_is_reported_with_its_interrupt_type(void)
{
	static const struct {
		uint32_t type;
		const char *name;
	} types[] = {{0, "irq"}, {2, "smi"}, {3, "disabled"}, {1, "disabled"}};
	char want[128];

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		bring_up(",action=none");
		cw(SLOT, CFG_CONFIG, 2, types[i].type);
		set_preloads(SLOT, 5, 7);
		cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
		step(stage_ns(5, false) - 1);
		CU_ASSERT_EQUAL(count_events("WATCHDOG_STAGE1"), 0);
		step(1);
		snprintf(want, sizeof(want), "\"event\": \"WATCHDOG_STAGE1\", \"data\": {\"device\": "
			 "\"wdt-i6300esb\", \"id\": \"0:5.0\", \"interrupt\": \"%s\"",
			 types[i].name);
		CU_ASSERT_EQUAL(count_events(want), 1);
		CU_ASSERT_EQUAL(watchdog_events(), 0);
		step(stage_ns(7, false));
		CU_ASSERT_EQUAL(count_events("WATCHDOG_STAGE1"), 1);
		CU_ASSERT_EQUAL(watchdog_events(), 1);
	}
}

static void test_watchdog_mode_with_output_disabled_stops_after_stage2(void)
{
	uint64_t d1 = stage_ns(3, false), d2 = stage_ns(4, false);

	bring_up("");
	cw(SLOT, CFG_CONFIG, 2, CONFIG_OUTPUT_DIS);
	set_preloads(SLOT, 3, 4);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1 + d2);
	CU_ASSERT_EQUAL(armed_in(), 0);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), 0);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_ENABLE); /* still enabled */
	reload(SLOT);
	CU_ASSERT_EQUAL(armed_in(), d1);
}

static void test_each_action_emits_watchdog_and_requests_it(void)
{
	static const char *const names[] = {"reset", "poweroff", "pause", "debug", "none"};
	static const enum dm_wdt_action acts[] = {DM_WDT_ACTION_RESET, DM_WDT_ACTION_POWEROFF,
						  DM_WDT_ACTION_PAUSE, DM_WDT_ACTION_DEBUG,
						  DM_WDT_ACTION_NONE};
	struct vm_action_req r;
	char opt[32], ev[160];

	for (size_t i = 0; i < 5; i++) {
		snprintf(opt, sizeof(opt), ",action=%s", names[i]);
		bring_up(opt);
		expire_now(SLOT);
		snprintf(ev, sizeof(ev),
			 "\"action\": \"%s\", \"device\": \"wdt-i6300esb\", \"id\": \"0:5.0\", "
			 "\"stage\": \"stage2\"", names[i]);
		CU_ASSERT_EQUAL(watchdog_events(), 1);
		CU_ASSERT_EQUAL(count_events(ev), 1);
		CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
		CU_ASSERT_EQUAL(r.action, acts[i]);
		CU_ASSERT_STRING_EQUAL(r.device, "wdt-i6300esb");
		CU_ASSERT_STRING_EQUAL(r.id, "0:5.0");
		CU_ASSERT_FALSE(vm_action_take(&ctx, &r));
	}
}

static void test_expiry_resets_device_but_keeps_timeout_flag(void)
{
	bring_up(",action=none");
	cw(SLOT, CFG_CONFIG, 2, INT_SMI | CONFIG_1MHZ);
	set_preloads(SLOT, 1, 1);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE | LOCK_LOCKED);
	bw(SLOT, REG_RELOAD, 2, 0x80); /* leave the sequence half-way */
	step(2 * TICK_1MHZ);
	CU_ASSERT_EQUAL(watchdog_events(), 1);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), 0);
	CU_ASSERT_EQUAL(armed_in(), 0); /* disarmed after the action, whatever it is */
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 4), 0); /* flag only on 16-bit reads */
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 1), 0);
	bw(SLOT, REG_RELOAD, 2, 0x86); /* the half sequence was reset too */
	bw(SLOT, REG_PRELOAD1, 4, 9);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(PRELOAD_RESET, false));
}

static void test_timeout_flag_survives_vm_reset_and_is_cleared_by_bit9_or_bit12(void)
{
	bring_up("");
	expire_now(SLOT);
	drain_actions();
	vm_reset(&ctx, "watchdog");
	CU_ASSERT_EQUAL(count_events("\"event\": \"RESET\""), 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	vm_reset(&ctx, "host");
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 2, RELOAD_RELOAD); /* bit 8 alone keeps it */
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 2, RELOAD_CLEAR);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), 0);
	expire_now(SLOT);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 2, RELOAD_CLEAR_OLD);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), 0);
}

static void test_vm_reset_stops_countdown_and_deasserts_intx(void)
{
	bring_up("");
	set_preloads(SLOT, 1, 5);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(TICK_1KHZ);
	CU_ASSERT_EQUAL(intx_level[SLOT], 1);
	vm_reset(&ctx, "host");
	CU_ASSERT_EQUAL(intx_level[SLOT], 0);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	CU_ASSERT_EQUAL(armed_in(), 0);
	step(100 * TICK_1KHZ);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), 0);
}

/* ACRN's reset: deinit then init of every PCI device (no reset hook runs). */
static void acrn_style_reset(void)
{
	deinit_pci(&ctx);
	CU_ASSERT_EQUAL_FATAL(init_pci(&ctx), 0);
}

static void test_timeout_flag_survives_deinit_init_per_instance(void)
{
	bring_up2("5,wdt-i6300esb", "6,wdt-i6300esb");
	expire_now(SLOT);
	drain_actions();
	acrn_style_reset();
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	CU_ASSERT_EQUAL(br(6, REG_RELOAD, 2), 0); /* the other instance never expired */
	acrn_style_reset();
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 2, RELOAD_CLEAR);
	acrn_style_reset();
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), 0);
	/* the new instance starts at power-on: disabled, nothing armed */
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), 0);
	CU_ASSERT_EQUAL(armed_in(), 0);
}

/* S3 (ACRN's vm_stop_watchdog / vm_reset_watchdog): stop, then 60 s stages. */
static void test_s3_suspend_stops_and_resume_restarts_with_60s_stages(void)
{
	uint64_t p60 = (60ULL * 1000000000ULL + TICK_1KHZ - 1) / TICK_1KHZ;

	bring_up("");
	CU_ASSERT_EQUAL(drv_probe(SLOT, 30), 0);
	drv_start(SLOT, false);
	dm_pm_notify(&ctx, DM_PM_SUSPEND);
	CU_ASSERT_EQUAL(armed_in(), 0);
	step(10 * heartbeat_ns(30));
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	dm_pm_notify(&ctx, DM_PM_RESUME);
	CU_ASSERT_EQUAL(armed_in(), stage_ns((uint32_t)p60, false));
	step(2 * stage_ns((uint32_t)p60, false) - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	step(1);
	CU_ASSERT_EQUAL(watchdog_events(), 1);
}

static void test_s3_resume_leaves_a_disabled_watchdog_alone(void)
{
	bring_up("");
	dm_pm_notify(&ctx, DM_PM_SUSPEND);
	dm_pm_notify(&ctx, DM_PM_RESUME);
	CU_ASSERT_EQUAL(armed_in(), 0);
}

/* ---- the Linux driver (docs/device.rst §1.6) ------------------------------------------------ */

static void test_linux_probe_reports_cardreset_after_a_watchdog_reset(void)
{
	bring_up("");
	CU_ASSERT_EQUAL(drv_probe(SLOT, 30), 0);
	drv_start(SLOT, false);
	step(heartbeat_ns(30));
	CU_ASSERT_EQUAL(watchdog_events(), 1);
	drain_actions();
	vm_reset(&ctx, "watchdog");
	CU_ASSERT_EQUAL(drv_probe(SLOT, 30), WDIOF_CARDRESET);
	/* probe wrote 0x0300: the next boot is clean */
	CU_ASSERT_EQUAL(drv_probe(SLOT, 30), 0);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_CONFIG, 2), 0x0003);
}

static void test_linux_start_ping_stop_never_fires(void)
{
	bring_up("");
	drv_probe(SLOT, 2);
	CU_ASSERT_EQUAL(armed_in(), 0); /* set_timeout's reload before start is a no-op */
	drv_start(SLOT, false);
	CU_ASSERT_EQUAL(armed_in(), heartbeat_ns(2) / 2);
	for (int i = 0; i < 100; i++) {
		step(heartbeat_ns(2) - 1);
		drv_ping(SLOT);
	}
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	CU_ASSERT_EQUAL(drv_stop(SLOT), 0);
	CU_ASSERT_EQUAL(armed_in(), 0);
	step(10 * heartbeat_ns(2));
	CU_ASSERT_EQUAL(watchdog_events(), 0);
}

static void test_linux_nowayout_lock_makes_stop_fail(void)
{
	bring_up("");
	drv_probe(SLOT, 1);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), 0);
	drv_start(SLOT, true);
	CU_ASSERT_EQUAL(cr(SLOT, CFG_LOCK, 1), LOCK_ENABLE | LOCK_LOCKED);
	CU_ASSERT_NOT_EQUAL(drv_stop(SLOT), 0);
	step(heartbeat_ns(1) - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	step(1);
	CU_ASSERT_EQUAL(watchdog_events(), 1);
	/* the device reset cleared the lock: a new probe sees no nowayout */
	CU_ASSERT_EQUAL(drv_probe(SLOT, 1), WDIOF_CARDRESET);
}

static void test_legacy_driver_8bit_unlock_and_0x1100(void)
{
	bring_up("");
	expire_now(SLOT);
	drain_actions();
	vm_reset(&ctx, "watchdog");
	/* probe: 8-bit unlock, 16-bit read of the flag (both bits 9 and 12 set) */
	cw(SLOT, CFG_CONFIG, 2, 0x0003);
	cw(SLOT, CFG_LOCK, 1, 0);
	unlock_n(SLOT, 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	legacy_ping(SLOT); /* 0x1100: clear (bit 12) + reload */
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), 0);
	unlock_n(SLOT, 1);
	bw(SLOT, REG_PRELOAD1, 4, 1U << 9);
	unlock_n(SLOT, 1);
	bw(SLOT, REG_PRELOAD2, 4, 1U << 9);
	legacy_ping(SLOT);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	for (int i = 0; i < 20; i++) {
		step(heartbeat_ns(1) - 1);
		legacy_ping(SLOT);
	}
	CU_ASSERT_EQUAL(watchdog_events(), 1); /* only expire_now's */
	step(heartbeat_ns(1));
	CU_ASSERT_EQUAL(watchdog_events(), 2);
}

/* ---- several instances ------------------------------------------------------------- */

static void test_two_instances_fire_independently(void)
{
	struct vm_action_req r;

	bring_up2("5,wdt-i6300esb,action=reset", "6,wdt-i6300esb,action=poweroff");
	CU_ASSERT_NOT_EQUAL(bar0(SLOT), bar0(SLOT2));
	drv_probe(SLOT, 1);
	drv_probe(SLOT2, 2);
	drv_start(SLOT, false);
	drv_start(SLOT2, true);
	step(heartbeat_ns(1));
	CU_ASSERT_EQUAL(watchdog_events(), 1);
	CU_ASSERT_EQUAL(count_events("\"id\": \"0:5.0\", \"stage\""), 1);
	CU_ASSERT_EQUAL(br(SLOT, REG_RELOAD, 2), FLAG_READ);
	CU_ASSERT_EQUAL(br(SLOT2, REG_RELOAD, 2), 0);
	CU_ASSERT_EQUAL(cr(SLOT2, CFG_LOCK, 1), LOCK_ENABLE | LOCK_LOCKED);
	CU_ASSERT_EQUAL(armed_in(), heartbeat_ns(2) - heartbeat_ns(1));
	step(heartbeat_ns(2) - heartbeat_ns(1) - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 1);
	step(1);
	CU_ASSERT_EQUAL(watchdog_events(), 2);
	CU_ASSERT_EQUAL(count_events("\"action\": \"poweroff\", \"device\": \"wdt-i6300esb\", "
				     "\"id\": \"0:6.0\""), 1);
	CU_ASSERT_TRUE(vm_action_take(&ctx, &r) && r.action == DM_WDT_ACTION_RESET);
	CU_ASSERT_TRUE(vm_action_take(&ctx, &r) && r.action == DM_WDT_ACTION_POWEROFF);
}

static void test_a_reload_on_one_instance_does_not_touch_the_other(void)
{
	uint64_t d = stage_ns(100, false);

	bring_up2("5,wdt-i6300esb,action=none", "6,wdt-i6300esb,action=none");
	set_preloads(SLOT, 100, 100);
	set_preloads(SLOT2, 100, 100);
	unlock(SLOT); /* half-open sequences are per instance too */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	cw(SLOT2, CFG_LOCK, 1, LOCK_ENABLE);
	step(d / 2);
	reload(SLOT2);
	step(d - d / 2);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
	CU_ASSERT_EQUAL(br(SLOT2, REG_GINTSR, 4), 0);
	CU_ASSERT_EQUAL(intx_level[SLOT], 1);
	CU_ASSERT_EQUAL(intx_level[SLOT2], 0);
}

/* ---- concurrency ------------------------------------------------------------------- */

#define RACE_ROUNDS 3000

static void *race_stepper(void *arg)
{
	(void)arg;
	for (int i = 0; i < RACE_ROUNDS; i++)
		vm_clock_step(TICK_1MHZ / 2);
	return NULL;
}

/*
 * The clock stepper runs the callbacks on its thread while this one reloads,
 * toggles enable (which disarms, waiting for a running callback) and resets
 * the VM: no deadlock, and the state stays consistent.
 */
static void test_callbacks_racing_guest_writes_never_deadlock(void)
{
	pthread_t th;

	bring_up(",action=none");
	cw(SLOT, CFG_CONFIG, 2, CONFIG_1MHZ | CONFIG_OUTPUT_DIS);
	set_preloads(SLOT, 1, 1);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE | LOCK_FREE_RUN);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, race_stepper, NULL), 0);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		reload(SLOT);
		bw(SLOT, REG_GINTSR, 4, 1);
		cw(SLOT, CFG_LOCK, 1, (i & 1) ? LOCK_ENABLE | LOCK_FREE_RUN : 0);
		if (i % 500 == 0)
			vm_reset(&ctx, "host");
	}
	CU_ASSERT_EQUAL(pthread_join(th, NULL), 0);
	cw(SLOT, CFG_LOCK, 1, 0);
	CU_ASSERT_EQUAL(armed_in(), 0);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	step(10 * TICK_1MHZ);
	CU_ASSERT_EQUAL(armed_in(), 0);
}

/* ---- issue 17: second, independent checks of thinly guarded behaviour ---- */

static void test_gintsr_byte_write_of_1_clears_without_unlock_and_keeps_it_open(void)
{
	bring_up(",action=none");
	set_preloads(SLOT, 1, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(TICK_1KHZ);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 1), 1);
	CU_ASSERT_EQUAL(intx_level[SLOT], 1);
	unlock(SLOT);
	bw(SLOT, REG_GINTSR, 1, 1); /* no unlock needed, and an 8-bit write keeps it */
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
	CU_ASSERT_EQUAL(intx_level[SLOT], 0);
	CU_ASSERT_FALSE(cr(SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	bw(SLOT, REG_RELOAD, 2, RELOAD_RELOAD); /* the unlock is still open */
	CU_ASSERT_EQUAL(armed_in(), TICK_1KHZ);
}

static void test_free_run_output_disabled_at_1mhz_toggles_without_events(void)
{
	uint64_t d1 = stage_ns(5, true), d2 = stage_ns(7, true);
	struct vm_action_req r;

	bring_up(",action=poweroff");
	cw(SLOT, CFG_CONFIG, 2, CONFIG_OUTPUT_DIS | CONFIG_1MHZ);
	set_preloads(SLOT, 5, 7);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE | LOCK_FREE_RUN);
	for (int round = 0; round < 4; round++) {
		step(d1 - 1);
		CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 0);
		step(1);
		CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
		CU_ASSERT_EQUAL(armed_in(), d2);
		bw(SLOT, REG_GINTSR, 4, 1);
		step(d2);
		CU_ASSERT_EQUAL(armed_in(), d1); /* stage 1 again, from the top */
	}
	CU_ASSERT_EQUAL(nlines, 0); /* no WATCHDOG_STAGE1, no WATCHDOG */
	CU_ASSERT_FALSE(vm_action_take(&ctx, &r));
	CU_ASSERT_EQUAL(intx_changes[SLOT], 8);
}

static void test_8bit_writes_of_other_values_leave_the_unlock_for_a_preload(void)
{
	bring_up(",action=none");
	unlock(SLOT);
	bw(SLOT, REG_RELOAD, 1, 0x01);
	bw(SLOT, REG_RELOAD + 1, 1, 0x01);
	bw(SLOT, REG_PRELOAD2, 1, 0x33);
	bw(SLOT, REG_PRELOAD1, 4, 5); /* the protected write */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	CU_ASSERT_EQUAL(armed_in(), stage_ns(5, false));
}

static void test_guest_cannot_change_the_6300esb_identity(void)
{
	bring_up("");
	cw(SLOT, PCIR_VENDOR, 4, 0xffffffffU);
	cw(SLOT, PCIR_VENDOR, 2, 0x1234);
	cw(SLOT, PCIR_VENDOR, 1, 0x00);
	cw(SLOT, PCIR_VENDOR + 1, 1, 0x00);
	cw(SLOT, PCIR_DEVICE, 2, 0x0000);
	cw_direct(SLOT, PCIR_VENDOR, 4, 0);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_VENDOR, 4), 0x25AB8086U);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_VENDOR, 1), 0x86);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_REVID, 4), 0x08800000U);
}

static void test_intxdis_masks_the_stage1_interrupt_but_not_gintsr(void)
{
	uint32_t cmd;

	bring_up(",action=none");
	cmd = cr(SLOT, PCIR_COMMAND, 2);
	cw(SLOT, PCIR_COMMAND, 2, cmd | PCIM_CMD_INTxDIS);
	set_preloads(SLOT, 1, 100);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(TICK_1KHZ);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
	CU_ASSERT_TRUE(cr(SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CU_ASSERT_EQUAL(intx_changes[SLOT], 0); /* masked: the pin stays quiet */
	cw(SLOT, PCIR_COMMAND, 2, cmd);
	CU_ASSERT_EQUAL(intx_level[SLOT], 1); /* unmasked while pending: delivered */
	CU_ASSERT_EQUAL(intx_changes[SLOT], 1);
	cw(SLOT, PCIR_COMMAND, 2, cmd | PCIM_CMD_INTxDIS);
	CU_ASSERT_EQUAL(intx_level[SLOT], 0); /* masked again: the pin drops */
	bw(SLOT, REG_GINTSR, 4, 1);
	CU_ASSERT_EQUAL(intx_changes[SLOT], 2); /* clearing a masked line is silent */
	CU_ASSERT_FALSE(cr(SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
}

static void test_request_carries_the_vm_time_of_the_expiry(void)
{
	struct vm_action_req r;
	uint64_t t0;

	bring_up(",action=reset");
	t0 = now();
	expire_now(SLOT);
	step(5 * TICK_1KHZ);
	CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &r));
	CU_ASSERT_EQUAL(r.vm_ns, t0 + 2 * TICK_1KHZ);
}

static void test_zero_stage2_preload_still_lasts_one_tick(void)
{
	uint64_t d1 = stage_ns(5, false);

	bring_up(",action=none");
	set_preloads(SLOT, 5, 0);
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(d1);
	CU_ASSERT_EQUAL(armed_in(), TICK_1KHZ);
	step(TICK_1KHZ - 1);
	CU_ASSERT_EQUAL(watchdog_events(), 0);
	step(1);
	CU_ASSERT_EQUAL(watchdog_events(), 1);
}

static void test_vm_reset_puts_a_moved_bar_and_the_command_register_back(void)
{
	struct pci_vdev *dev;
	uint32_t bar, cmd;

	bring_up(",action=none");
	dev = pci_get_vdev(0, SLOT, 0);
	bar = cr(SLOT, PCIR_BAR(0), 4);
	cmd = cr(SLOT, PCIR_COMMAND, 2);
	cw(SLOT, PCIR_COMMAND, 2, cmd | PCIM_CMD_INTxDIS);
	cw(SLOT, PCIR_BAR(0), 4, bar + 0x1000);
	CU_ASSERT_EQUAL(dev->bar[0].addr, bar + 0x1000);
	vm_reset(&ctx, "host");
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_BAR(0), 4), bar);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_COMMAND, 2), cmd);
	CU_ASSERT_EQUAL(dev->bar[0].addr, bar);
	set_preloads(SLOT, 1, 1); /* the BAR decodes at its old address again */
	cw(SLOT, CFG_LOCK, 1, LOCK_ENABLE);
	step(TICK_1KHZ);
	CU_ASSERT_EQUAL(br(SLOT, REG_GINTSR, 4), 1);
	CU_ASSERT_EQUAL(intx_level[SLOT], 1);
}

/* Linux's BAR sizing happens with memory decode on: the probe is never mapped. */
static void test_bar_sizing_probe_maps_nothing_at_its_address(void)
{
	uint64_t v = 0;
	uint32_t bar;

	bring_up(",action=none");
	bar = cr(SLOT, PCIR_BAR(0), 4);
	CU_ASSERT_TRUE(cr(SLOT, PCIR_COMMAND, 2) & PCIM_CMD_MEMEN);
	cw(SLOT, PCIR_BAR(0), 4, 0xffffffffU);
	CU_ASSERT_EQUAL(cr(SLOT, PCIR_BAR(0), 4), 0xfffffff0U);
	CU_ASSERT_NOT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, 0xfffffff0ULL + REG_GINTSR, 4, &v), 0);
	CU_ASSERT_NOT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, bar + REG_GINTSR, 4, &v), 0);
	cw(SLOT, PCIR_BAR(0), 4, bar);
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, bar + REG_GINTSR, 4, &v), 0);
}

UNIT_SUITE(wdt_i6300esb, suite_init, suite_cleanup,
	   UNIT_TEST(test_identity_is_6300esb_with_one_16_byte_mem_bar),
	   UNIT_TEST(test_unknown_option_or_action_fails_init),
	   UNIT_TEST(test_default_action_is_reset),
	   UNIT_TEST(test_config_60_reads_stored_bits_at_every_width),
	   UNIT_TEST(test_lock_68_reads_stored_bits_at_every_width),
	   UNIT_TEST(test_config_outside_0x60_and_0x68_is_plain_storage),
	   UNIT_TEST(test_config_60_to_6b_decode_the_same_at_every_width),
	   UNIT_TEST(test_lock_bit_freezes_68_until_device_reset),
	   UNIT_TEST(test_enable_starts_stage1_and_rewriting_it_does_not_restart),
	   UNIT_TEST(test_disable_stops_the_countdown),
	   UNIT_TEST(test_preloads_are_20_bits_and_write_only),
	   UNIT_TEST(test_power_on_preloads_are_fffff),
	   UNIT_TEST(test_reload_needs_unlock_sequence),
	   UNIT_TEST(test_unlock_allows_exactly_one_protected_write),
	   UNIT_TEST(test_0x80_restarts_the_sequence_even_when_open),
	   UNIT_TEST(test_non_magic_write_while_half_keeps_the_sequence),
	   UNIT_TEST(test_magic_values_count_only_at_0x0c),
	   UNIT_TEST(test_8bit_non_magic_write_neither_acts_nor_consumes),
	   UNIT_TEST(test_32bit_write_to_reload_consumes_without_reloading),
	   UNIT_TEST(test_16bit_write_to_preload_consumes_without_setting),
	   UNIT_TEST(test_gintsr_write_consumes_the_unlock),
	   UNIT_TEST(test_0x86_write_while_open_is_the_protected_write),
	   UNIT_TEST(test_reads_never_change_the_unlock_state),
	   UNIT_TEST(test_8bit_unlock_sequence_works),
	   UNIT_TEST(test_reload_while_disabled_only_consumes),
	   UNIT_TEST(test_odd_accesses_are_ignored_without_touching_state),
	   UNIT_TEST(test_stage_ends_exactly_at_deadline_1khz),
	   UNIT_TEST(test_stage_ends_exactly_at_deadline_1mhz),
	   UNIT_TEST(test_zero_preload_lasts_one_tick),
	   UNIT_TEST(test_heartbeat_1s_fires_after_1_00663296s),
	   UNIT_TEST(test_heartbeat_2046s_fires_at_its_computed_deadline),
	   UNIT_TEST(test_every_linux_heartbeat_is_armed_exactly),
	   UNIT_TEST(test_reload_restarts_stage1_from_either_stage),
	   UNIT_TEST(test_preload_change_applies_at_next_stage_entry),
	   UNIT_TEST(test_paused_vm_time_does_not_count),
	   UNIT_TEST(test_stage1_irq_sets_gintsr_and_intx_w1c_clears_both),
	   UNIT_TEST(test_smi_disabled_and_reserved_types_raise_no_interrupt),
	   UNIT_TEST(test_free_run_with_output_disabled_restarts_stage1),
	   UNIT_TEST(test_watchdog_mode_with_output_disabled_stops_after_stage2),
	   UNIT_TEST(test_each_action_emits_watchdog_and_requests_it),
	   UNIT_TEST(test_expiry_resets_device_but_keeps_timeout_flag),
	   UNIT_TEST(test_timeout_flag_survives_vm_reset_and_is_cleared_by_bit9_or_bit12),
	   UNIT_TEST(test_timeout_flag_survives_deinit_init_per_instance),
	   UNIT_TEST(test_s3_suspend_stops_and_resume_restarts_with_60s_stages),
	   UNIT_TEST(test_s3_resume_leaves_a_disabled_watchdog_alone),
	   UNIT_TEST(test_vm_reset_stops_countdown_and_deasserts_intx),
	   UNIT_TEST(test_linux_probe_reports_cardreset_after_a_watchdog_reset),
	   UNIT_TEST(test_linux_start_ping_stop_never_fires),
	   UNIT_TEST(test_linux_nowayout_lock_makes_stop_fail),
	   UNIT_TEST(test_legacy_driver_8bit_unlock_and_0x1100),
	   UNIT_TEST(test_two_instances_fire_independently),
	   UNIT_TEST(test_a_reload_on_one_instance_does_not_touch_the_other),
	   UNIT_TEST(test_callbacks_racing_guest_writes_never_deadlock),
	   UNIT_TEST(test_stage1_end_is_reported_with_its_interrupt_type),
	   UNIT_TEST(test_gintsr_byte_write_of_1_clears_without_unlock_and_keeps_it_open),
	   UNIT_TEST(test_free_run_output_disabled_at_1mhz_toggles_without_events),
	   UNIT_TEST(test_8bit_writes_of_other_values_leave_the_unlock_for_a_preload),
	   UNIT_TEST(test_guest_cannot_change_the_6300esb_identity),
	   UNIT_TEST(test_intxdis_masks_the_stage1_interrupt_but_not_gintsr),
	   UNIT_TEST(test_request_carries_the_vm_time_of_the_expiry),
	   UNIT_TEST(test_zero_stage2_preload_still_lasts_one_tick),
	   UNIT_TEST(test_vm_reset_puts_a_moved_bar_and_the_command_register_back),
	   UNIT_TEST(test_bar_sizing_probe_maps_nothing_at_its_address));
