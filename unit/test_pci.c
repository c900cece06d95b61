/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the PCI core (hw/pci/core.c, docs/design.rst §3-4) through the
 * test-only "test-dev" device: -s parsing, the linker set, configuration
 * mechanism #1, the header write masks, BAR sizing and (re)programming, the
 * decode enables, device-decoded config registers, INTx and VM reset.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "inout.h"
#include "helpers.h"
#include "mem.h"
#include "pci_core.h"
#include "pci_testdev.h"
#include "unit.h"
#include "vmctx.h"

#define CONF1_EN 0x80000000U
#define TD_SLOT 5
#define TD_MEM_ADDR PCI_EMUL_MEMBASE32

static struct vmctx ctx;
static int intx_level = -1, intx_calls;

static void fe_intx(struct vmctx *c, struct pci_vdev *dev, int level)
{
	(void)c, (void)dev;
	intx_level = level;
	intx_calls++;
}

static const struct vm_fe_ops fe_ops = {.intx = fe_intx};

static int suite_init(void)
{
	init_mem();
	if (init_inout() || vm_create(&ctx, NULL, 1))
		return -1;
	ctx.fe = &fe_ops;
	return 0;
}

static int suite_cleanup(void)
{
	deinit_pci(&ctx);
	pci_slots_clear();
	pci_set_bar_preassign(true);
	vm_destroy(&ctx);
	deinit_inout();
	deinit_mem();
	return 0;
}

/* -- helpers ----------------------------------------------------------------- */

static void teardown(void)
{
	deinit_pci(&ctx);
	pci_slots_clear();
	pci_set_bar_preassign(true);
}

/* Parses the given -s options and brings the bus up. */
static void bring_up(const char *s1, const char *s2)
{
	teardown();
	intx_level = -1;
	intx_calls = 0;
	if (s1)
		CU_ASSERT_EQUAL_FATAL(pci_parse_slot(s1), 0);
	if (s2)
		CU_ASSERT_EQUAL_FATAL(pci_parse_slot(s2), 0);
	CU_ASSERT_EQUAL_FATAL(init_pci(&ctx), 0);
}

static void outl(int port, uint32_t v)
{
	inout_access(&ctx, 0, 0, port, 4, &v);
}

static uint32_t in_n(int port, int bytes)
{
	uint32_t v = 0;

	inout_access(&ctx, 0, 1, port, bytes, &v);
	return v;
}

static uint32_t conf1_addr(int bus, int slot, int func, int reg)
{
	return CONF1_EN | (uint32_t)(bus << 16) | (uint32_t)(slot << 11) | (uint32_t)(func << 8) |
	       (uint32_t)reg;
}

/* Through CONF1, as a guest does (an empty slot reads all-ones). */
static uint32_t cfg_read(int slot, int off, int bytes)
{
	outl(0xcf8, conf1_addr(0, slot, 0, off & 0xfc));
	return in_n(0xcfc + (off & 3), bytes);
}

static void cfg_write(int slot, int off, int bytes, uint32_t v)
{
	CU_ASSERT_EQUAL(pci_cfg_rw(&ctx, 0, pci_get_vdev(0, slot, 0), 0, off, bytes, &v), 0);
}

static int mem_read(uint64_t addr, uint64_t *v)
{
	return mem_access(&ctx, 0, MEM_F_READ, addr, 4, v);
}

static bool mem_claimed(uint64_t addr)
{
	uint64_t v;

	return mem_read(addr, &v) == 0;
}

static struct testdev_state *td(int slot)
{
	return pci_get_vdev(0, slot, 0)->arg;
}

/* Runs fn with stderr sent to /dev/null (the parser's error lines). */
static int quietly(int (*fn)(const char *), const char *arg)
{
	int saved = unit_stderr_mute(), r;

	r = fn(arg);
	unit_stderr_restore(saved);
	return r;
}

/* -- tests ----------------------------------------------------------------- */

static void test_linker_set_holds_testdev_and_hostbridge(void)
{
	CU_ASSERT_PTR_NOT_NULL(pci_find_ops("test-dev"));
	CU_ASSERT_PTR_NOT_NULL(pci_find_ops("hostbridge"));
	CU_ASSERT_PTR_NULL(pci_find_ops("no-such-device"));
	CU_ASSERT_PTR_NULL(pci_find_ops(NULL));
}

static void test_slot_option_errors_are_each_rejected(void)
{
	static const char *const bad[] = {
		"",              "5",              "5,",          ",test-dev",     "32,test-dev",
		"5:8,test-dev",  "x,test-dev",     "5x,test-dev", "-1,test-dev",   "5:,test-dev",
		"5:1x,test-dev", "5,no-such-dev",  ":1,test-dev", "0x5,test-dev",  "5,,opts",
		"99999999999999999999,test-dev", "1:5:0,test-dev", "0:5:0:1,test-dev",
		"x:5:0,test-dev",
	};

	teardown();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (quietly(pci_parse_slot, bad[i]) != -EINVAL)
			CU_FAIL(bad[i]);
	}
	CU_ASSERT_EQUAL(pci_parse_slot(NULL), -EINVAL);
	/* duplicates: the same slot, and the same slot spelled with :0 */
	CU_ASSERT_EQUAL(pci_parse_slot("5,test-dev"), 0);
	CU_ASSERT_EQUAL(quietly(pci_parse_slot, "5,test-dev"), -EINVAL);
	CU_ASSERT_EQUAL(quietly(pci_parse_slot, "5:0,hostbridge"), -EINVAL);
	CU_ASSERT_EQUAL(pci_parse_slot("5:1,test-dev"), 0);
	/* ACRN's bus:slot:func spelling names the same place */
	CU_ASSERT_EQUAL(pci_parse_slot("0:9:2,test-dev"), 0);
	CU_ASSERT_EQUAL(quietly(pci_parse_slot, "9:2,test-dev"), -EINVAL);
	teardown();
}

static void test_slot_options_place_devices_and_pass_opts(void)
{
	bring_up("6:3,test-dev,nobars,extra=1", "31:7,test-dev");
	CU_ASSERT_PTR_NOT_NULL_FATAL(pci_get_vdev(0, 6, 3));
	CU_ASSERT_PTR_NOT_NULL(pci_get_vdev(0, 31, 7));
	CU_ASSERT_PTR_NULL(pci_get_vdev(0, 6, 0));
	CU_ASSERT_PTR_NULL(pci_get_vdev(1, 6, 3));
	CU_ASSERT_PTR_NULL(pci_get_vdev(0, 32, 0));
	CU_ASSERT_STRING_EQUAL(pci_get_vdev(0, 6, 3)->opts, "nobars,extra=1");
	CU_ASSERT_EQUAL(pci_get_vdev(0, 6, 3)->bar[0].type, PCIBAR_NONE);
	CU_ASSERT_EQUAL(pci_get_vdev(0, 31, 7)->bar[0].type, PCIBAR_MEM32);
	/* the implicit host bridge */
	CU_ASSERT_PTR_NOT_NULL(pci_get_vdev(0, 0, 0));
	teardown();
	/* function 0 announces its siblings, or guests never scan them */
	bring_up("7,test-dev", "7:2,test-dev");
	CU_ASSERT_EQUAL(quietly(pci_parse_slot, "7:2,test-dev"), -EINVAL);
	CU_ASSERT_EQUAL(cfg_read(7, PCIR_HDRTYPE, 1), 0x80);
	CU_ASSERT_EQUAL(pci_get_cfgdata8(pci_get_vdev(0, 7, 2), PCIR_HDRTYPE), 0);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_HDRTYPE, 1), 0xff); /* empty slot */
	teardown();
}

static void test_conf1_reads_hostbridge_id_at_0_0_0(void)
{
	bring_up(NULL, NULL);
	outl(0xcf8, CONF1_EN);
	CU_ASSERT_EQUAL(in_n(0xcf8, 4), CONF1_EN);
	CU_ASSERT_EQUAL(in_n(0xcfc, 4), 0x12378086);
	outl(0xcf8, conf1_addr(0, 0, 0, PCIR_REVID));
	CU_ASSERT_EQUAL(in_n(0xcfc, 4) >> 8, 0x060000);
	/* byte and word data ports add their offset to the register */
	outl(0xcf8, CONF1_EN);
	CU_ASSERT_EQUAL(in_n(0xcfd, 1), 0x80);
	CU_ASSERT_EQUAL(in_n(0xcfe, 2), 0x1237);
	/* a misaligned word through 0xcfd is refused: all-ones */
	CU_ASSERT_EQUAL(in_n(0xcfd, 2), 0xffff);
	teardown();
}

static void test_conf1_empty_slot_other_bus_and_disabled_read_all_ones(void)
{
	bring_up(NULL, NULL);
	outl(0xcf8, conf1_addr(0, 3, 0, 0));
	CU_ASSERT_EQUAL(in_n(0xcfc, 4), 0xffffffff);
	outl(0xcf8, conf1_addr(1, 0, 0, 0));
	CU_ASSERT_EQUAL(in_n(0xcfc, 4), 0xffffffff);
	outl(0xcf8, 0); /* enable bit clear */
	CU_ASSERT_EQUAL(in_n(0xcfc, 4), 0xffffffff);
	outl(0xcf8, conf1_addr(0, 0, 1, 0)); /* function 1 of the host bridge */
	CU_ASSERT_EQUAL(in_n(0xcfc, 2), 0xffff);
	teardown();
}

static void test_conf1_writes_reach_the_device(void)
{
	bring_up("5,test-dev", NULL);
	outl(0xcf8, conf1_addr(0, TD_SLOT, 0, TESTDEV_CFG_SINK));
	outl(0xcfc, 0xfeedbeef);
	CU_ASSERT_EQUAL(td(TD_SLOT)->sink, 0xfeedbeef);
	outl(0xcf8, conf1_addr(0, TD_SLOT, 0, 0));
	CU_ASSERT_EQUAL(in_n(0xcfc, 4), (TESTDEV_DEVICE << 16) | TESTDEV_VENDOR);
	teardown();
}

static void test_readonly_header_fields_ignore_writes(void)
{
	/* 16-bit words of the header holding only read-only bits (but 0x3c: INTLINE) */
	static const int ro[] = {PCIR_VENDOR,	 PCIR_DEVICE,  PCIR_STATUS, PCIR_REVID,
				 PCIR_SUBCLASS, PCIR_HDRTYPE, PCIR_SUBVEND_0, PCIR_SUBDEV_0,
				 PCIR_BIOS,	 PCIR_BIOS + 2, PCIR_CAP_PTR, PCIR_INTLINE};

	bring_up("5,test-dev", NULL);
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		int off = ro[i] & ~1;
		uint32_t before = cfg_read(TD_SLOT, off, 2);
		uint32_t wmask = off == PCIR_INTLINE ? 0x00ff : 0;

		cfg_write(TD_SLOT, off, 2, ~before & 0xffff);
		if ((cfg_read(TD_SLOT, off, 2) & ~wmask) != (before & ~wmask))
			CU_FAIL("read-only header bits changed");
	}
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_VENDOR, 4), (TESTDEV_DEVICE << 16) | TESTDEV_VENDOR);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_CLASS, 1), PCIC_BASEPERIPH);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_INTPIN, 1), 1);
	teardown();
}

static void test_writable_header_fields_follow_the_mask(void)
{
	bring_up("5,test-dev", NULL);
	cfg_write(TD_SLOT, PCIR_CACHELNSZ, 1, 0x10);
	cfg_write(TD_SLOT, PCIR_LATTIMER, 1, 0x40);
	cfg_write(TD_SLOT, PCIR_INTLINE, 1, 0x0b);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_CACHELNSZ, 2), 0x4010);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_INTLINE, 1), 0x0b);
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, 0xffff);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_COMMAND, 2),
			PCIM_CMD_PORTEN | PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTEREN |
				PCIM_CMD_PERRESPEN | PCIM_CMD_SERRESPEN | PCIM_CMD_INTxDIS);
	teardown();
}

static void test_bar_sizing_reads_back_size_mask_and_type(void)
{
	uint32_t orig;

	bring_up("5,test-dev", NULL);
	orig = cfg_read(TD_SLOT, PCIR_BAR(0), 4);
	CU_ASSERT_EQUAL(orig, TD_MEM_ADDR);
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, 0xffffffff);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0), 4), ~(TESTDEV_MEM_SIZE - 1U));
	CU_ASSERT_FALSE(mem_claimed(TD_MEM_ADDR)); /* a probe is not an address */
	cfg_write(TD_SLOT, PCIR_BAR(1), 4, 0xffffffff);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(1), 4),
			(~(TESTDEV_IO_SIZE - 1U) & ~3U) | PCIM_BAR_IO_SPACE);
	/* restoring the saved value maps it again */
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, orig);
	CU_ASSERT_TRUE(mem_claimed(TD_MEM_ADDR));
	/* an unimplemented BAR is hardwired to zero */
	cfg_write(TD_SLOT, PCIR_BAR(3), 4, 0xffffffff);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(3), 4), 0);
	teardown();
}

static void test_bar_reprogramming_moves_the_range(void)
{
	uint64_t v = 0;

	bring_up("5,test-dev", NULL);
	CU_ASSERT_EQUAL(mem_read(TD_MEM_ADDR + 0x10, &v), 0);
	CU_ASSERT_EQUAL(v, 0xa0000010);
	CU_ASSERT_EQUAL(td(TD_SLOT)->last_offset, 0x10);
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, 0x90000000);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0), 4), 0x90000000);
	CU_ASSERT_EQUAL(mem_read(TD_MEM_ADDR + 0x10, &v), -ESRCH);
	CU_ASSERT_EQUAL(v, 0xffffffff);
	CU_ASSERT_EQUAL(mem_read(0x90000020, &v), 0);
	CU_ASSERT_EQUAL(v, 0xa0000020);
	/* low address bits below the size are hardwired to zero */
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, 0x90000084);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0), 4), 0x90000000);
	teardown();
}

static void test_subdword_bar_writes_merge_bytes(void)
{
	uint64_t v;

	bring_up("5,test-dev", NULL);
	cfg_write(TD_SLOT, PCIR_BAR(0) + 2, 2, 0x9100);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0), 4), 0x91000000);
	CU_ASSERT_TRUE(mem_claimed(0x91000000));
	cfg_write(TD_SLOT, PCIR_BAR(0) + 3, 1, 0xa2);
	cfg_write(TD_SLOT, PCIR_BAR(0) + 1, 1, 0x35);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0), 4), 0xa2003500);
	CU_ASSERT_EQUAL(mem_read(0xa2003504, &v), 0);
	CU_ASSERT_EQUAL(td(TD_SLOT)->last_offset, 4);
	CU_ASSERT_FALSE(mem_claimed(0x91000000));
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0) + 2, 2), 0xa200);
	teardown();
}

static void test_decode_enable_bits_map_and_unmap_bars(void)
{
	uint32_t io;
	uint16_t cmd;

	bring_up("5,test-dev", NULL);
	io = cfg_read(TD_SLOT, PCIR_BAR(1), 4) & ~3U;
	cmd = (uint16_t)cfg_read(TD_SLOT, PCIR_COMMAND, 2);
	CU_ASSERT_EQUAL(cmd & (PCIM_CMD_MEMEN | PCIM_CMD_PORTEN), PCIM_CMD_MEMEN | PCIM_CMD_PORTEN);
	CU_ASSERT_EQUAL(in_n((int)io + 4, 4), 0xa0000004);
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, cmd & ~PCIM_CMD_MEMEN);
	CU_ASSERT_FALSE(mem_claimed(TD_MEM_ADDR));
	CU_ASSERT_EQUAL(in_n((int)io + 4, 4), 0xa0000004); /* I/O still decodes */
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, cmd & ~PCIM_CMD_PORTEN);
	CU_ASSERT_TRUE(mem_claimed(TD_MEM_ADDR));
	CU_ASSERT_EQUAL(in_n((int)io + 4, 4), 0xffffffff);
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, cmd);
	CU_ASSERT_EQUAL(in_n((int)io, 2), 0x0000); /* 0xa0000000 truncated to 16 bits */
	CU_ASSERT_EQUAL(td(TD_SLOT)->last_bar, 1);
	/* an access running off the end of the I/O BAR never reaches the device */
	td(TD_SLOT)->bar_reads = 0;
	CU_ASSERT_EQUAL(in_n((int)io + TESTDEV_IO_SIZE - 2, 4), 0xffffffff);
	CU_ASSERT_EQUAL(td(TD_SLOT)->bar_reads, 0);
	teardown();
}

static void test_device_cfg_handlers_returning_zero_are_honoured(void)
{
	struct pci_vdev *dev;

	bring_up("5,test-dev", NULL);
	dev = pci_get_vdev(0, TD_SLOT, 0);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, TESTDEV_CFG_MAGIC, 4), TESTDEV_CFG_MAGIC_VAL);
	CU_ASSERT_EQUAL(pci_get_cfgdata32(dev, TESTDEV_CFG_MAGIC), 0);
	cfg_write(TD_SLOT, TESTDEV_CFG_MAGIC, 4, 0x1111);
	CU_ASSERT_EQUAL(pci_get_cfgdata32(dev, TESTDEV_CFG_MAGIC), 0);
	cfg_write(TD_SLOT, TESTDEV_CFG_SINK, 4, 0x1234);
	CU_ASSERT_EQUAL(td(TD_SLOT)->sink, 0x1234);
	CU_ASSERT_EQUAL(pci_get_cfgdata32(dev, TESTDEV_CFG_SINK), 0);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, TESTDEV_CFG_SINK, 4), 0x1234);
	/* not handled (non-zero return): the core stores device-specific bytes */
	cfg_write(TD_SLOT, 0x48, 2, 0xbeef);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, 0x48, 4), 0xbeef);
	teardown();
}

static void test_bad_config_accesses_are_rejected(void)
{
	static const struct {
		int off, bytes;
	} bad[] = {{256, 1}, {-1, 1}, {254, 4}, {1, 2}, {2, 4}, {0, 3}, {0, 8}, {255, 2}};
	struct pci_vdev *dev;

	bring_up("5,test-dev", NULL);
	dev = pci_get_vdev(0, TD_SLOT, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t v = 0;

		CU_ASSERT_EQUAL(pci_cfg_rw(&ctx, 0, dev, 1, bad[i].off, bad[i].bytes, &v), -EINVAL);
		CU_ASSERT_EQUAL(v, 0xffffffff);
		CU_ASSERT_EQUAL(pci_cfg_rw(&ctx, 0, dev, 0, bad[i].off, bad[i].bytes, &v), -EINVAL);
	}
	CU_ASSERT_EQUAL(pci_cfg_rw(&ctx, 0, NULL, 1, 0, 4, &(uint32_t){0}), -EINVAL);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, 0xfc, 4), 0);
	teardown();
}

static void test_intx_assert_sets_status_and_calls_front_end(void)
{
	struct pci_vdev *dev;
	uint16_t cmd;

	bring_up("5,test-dev", NULL);
	dev = pci_get_vdev(0, TD_SLOT, 0);
	pci_lintr_assert(dev);
	CU_ASSERT(cfg_read(TD_SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CU_ASSERT_EQUAL(intx_level, 1);
	pci_lintr_assert(dev); /* level-triggered: no second edge */
	CU_ASSERT_EQUAL(intx_calls, 1);
	pci_lintr_deassert(dev);
	CU_ASSERT_FALSE(cfg_read(TD_SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CU_ASSERT_EQUAL(intx_level, 0);
	CU_ASSERT_EQUAL(intx_calls, 2);
	/* masked by INTxDIS: status still shows it, the pin stays quiet */
	cmd = (uint16_t)cfg_read(TD_SLOT, PCIR_COMMAND, 2);
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, cmd | PCIM_CMD_INTxDIS);
	pci_lintr_assert(dev);
	CU_ASSERT(cfg_read(TD_SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CU_ASSERT_EQUAL(intx_calls, 2);
	/* unmasking with the line asserted delivers it */
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, cmd);
	CU_ASSERT_EQUAL(intx_calls, 3);
	CU_ASSERT_EQUAL(intx_level, 1);
	pci_lintr_deassert(dev);
	CU_ASSERT_EQUAL(intx_level, 0);
	teardown();
}

static void test_vm_reset_restores_the_header_and_bars(void)
{
	struct testdev_state *st;

	bring_up("5,test-dev", NULL);
	st = td(TD_SLOT);
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, 0x90000000);
	cfg_write(TD_SLOT, PCIR_LATTIMER, 1, 0x40);
	cfg_write(TD_SLOT, PCIR_INTLINE, 1, 0x03);
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, PCIM_CMD_INTxDIS);
	cfg_write(TD_SLOT, 0x48, 4, 0x5555); /* device area: not the core's to restore */
	vm_reset(&ctx, "test");
	CU_ASSERT_EQUAL(st->resets, 1);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0), 4), TD_MEM_ADDR);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_LATTIMER, 1), 0);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_INTLINE, 1),
			pci_get_vdev(0, TD_SLOT, 0)->cfg_reset[PCIR_INTLINE]);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_COMMAND, 2), PCIM_CMD_MEMEN | PCIM_CMD_PORTEN);
	CU_ASSERT_TRUE(mem_claimed(TD_MEM_ADDR));
	CU_ASSERT_FALSE(mem_claimed(0x90000000));
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, 0x48, 4), 0x5555);
	teardown();
}

/* A config write whose BAR refusal is expected (one warning line muted). */
static void cfg_write_quietly(int slot, int off, int bytes, uint32_t v)
{
	int saved = unit_stderr_mute();

	cfg_write(slot, off, bytes, v);
	unit_stderr_restore(saved);
}

/* Reads addr and says which of the two test devices answered (0: none). */
static int mem_owner(uint64_t addr)
{
	int r5 = td(TD_SLOT)->bar_reads, r6 = td(TD_SLOT + 1)->bar_reads;
	uint64_t v = 0;

	if (mem_read(addr, &v) != 0)
		return 0;
	if (td(TD_SLOT)->bar_reads != r5)
		return TD_SLOT;
	return td(TD_SLOT + 1)->bar_reads != r6 ? TD_SLOT + 1 : -1;
}

/*
 * Slot 6's BAR0 moved onto slot 5's is refused; once slot 5's BAR moves away
 * (or stops decoding) slot 6 decodes there, as on real PCI and in QEMU.
 */
static void test_refused_bar_decodes_once_the_overlap_goes_away(void)
{
	uint32_t io5;
	uint16_t cmd;

	bring_up("5,test-dev", "6,test-dev");
	cfg_write_quietly(TD_SLOT + 1, PCIR_BAR(0), 4, TD_MEM_ADDR);
	CU_ASSERT_EQUAL(mem_owner(TD_MEM_ADDR), TD_SLOT);
	CU_ASSERT_EQUAL(mem_owner(TD_MEM_ADDR + TESTDEV_MEM_SIZE), 0); /* 6's old place */
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, 0x90000000);
	CU_ASSERT_EQUAL(mem_owner(TD_MEM_ADDR), TD_SLOT + 1);
	CU_ASSERT_EQUAL(td(TD_SLOT + 1)->last_offset, 0);
	CU_ASSERT_EQUAL(mem_owner(0x90000000), TD_SLOT);
	/* slot 5 comes back: refused now, slot 6 keeps the range */
	cfg_write_quietly(TD_SLOT, PCIR_BAR(0), 4, TD_MEM_ADDR);
	CU_ASSERT_EQUAL(mem_owner(TD_MEM_ADDR), TD_SLOT + 1);
	/* the command register too: slot 6 stops decoding memory, slot 5 takes over */
	cmd = (uint16_t)cfg_read(TD_SLOT + 1, PCIR_COMMAND, 2);
	cfg_write(TD_SLOT + 1, PCIR_COMMAND, 2, cmd & ~PCIM_CMD_MEMEN);
	CU_ASSERT_EQUAL(mem_owner(TD_MEM_ADDR), TD_SLOT);
	/* and I/O BARs: 6's BAR1 onto 5's, then 5 stops decoding ports */
	io5 = cfg_read(TD_SLOT, PCIR_BAR(1), 4) & ~3U;
	cfg_write_quietly(TD_SLOT + 1, PCIR_BAR(1), 4, io5);
	td(TD_SLOT + 1)->bar_reads = 0;
	CU_ASSERT_EQUAL(in_n((int)io5, 4), 0xa0000000);
	CU_ASSERT_EQUAL(td(TD_SLOT + 1)->bar_reads, 0);
	cmd = (uint16_t)cfg_read(TD_SLOT, PCIR_COMMAND, 2);
	cfg_write_quietly(TD_SLOT, PCIR_COMMAND, 2, cmd & ~PCIM_CMD_PORTEN);
	CU_ASSERT_EQUAL(in_n((int)io5, 4), 0xa0000000);
	CU_ASSERT_EQUAL(td(TD_SLOT + 1)->bar_reads, 1);
	teardown();
}

static void test_init_failure_unwinds_every_device(void)
{
	int before = testdev_deinit_count;

	teardown();
	CU_ASSERT_EQUAL_FATAL(pci_parse_slot("5,test-dev"), 0);
	CU_ASSERT_EQUAL_FATAL(pci_parse_slot("6,test-dev,fail"), 0);
	CU_ASSERT_EQUAL(init_pci(&ctx), -EIO);
	CU_ASSERT_EQUAL(testdev_deinit_count, before + 1);
	CU_ASSERT_PTR_NULL(pci_get_vdev(0, TD_SLOT, 0));
	CU_ASSERT_PTR_NULL(pci_get_vdev(0, 0, 0));
	CU_ASSERT_FALSE(mem_claimed(TD_MEM_ADDR));
	/* and the bus can come up again afterwards */
	bring_up("5,test-dev", NULL);
	CU_ASSERT_TRUE(mem_claimed(TD_MEM_ADDR));
	teardown();
	CU_ASSERT_FALSE(mem_claimed(TD_MEM_ADDR));
	CU_ASSERT_EQUAL(testdev_deinit_count, before + 2);
}

static void test_without_preassign_bars_wait_for_firmware(void)
{
	teardown();
	pci_set_bar_preassign(false);
	CU_ASSERT_EQUAL_FATAL(pci_parse_slot("5,test-dev"), 0);
	CU_ASSERT_EQUAL_FATAL(init_pci(&ctx), 0);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(0), 4), 0);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_BAR(1), 4), PCIM_BAR_IO_SPACE);
	CU_ASSERT_EQUAL(cfg_read(TD_SLOT, PCIR_COMMAND, 2) & (PCIM_CMD_MEMEN | PCIM_CMD_PORTEN), 0);
	CU_ASSERT_FALSE(mem_claimed(TD_MEM_ADDR));
	/* what SeaBIOS does: program the BAR, then enable decoding */
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, 0xfebf0000);
	CU_ASSERT_FALSE(mem_claimed(0xfebf0000));
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, PCIM_CMD_MEMEN);
	CU_ASSERT_TRUE(mem_claimed(0xfebf0000));
	teardown();
}

static void test_alloc_bar_refuses_bad_requests(void)
{
	struct pci_vdev *dev;

	bring_up("5,test-dev,nobars", NULL);
	dev = pci_get_vdev(0, TD_SLOT, 0);
	CU_ASSERT_EQUAL(pci_emul_alloc_bar(dev, 0, PCIBAR_MEM32, 24), -EINVAL);
	CU_ASSERT_EQUAL(pci_emul_alloc_bar(dev, 0, PCIBAR_MEM32, 0), -EINVAL);
	CU_ASSERT_EQUAL(pci_emul_alloc_bar(dev, 6, PCIBAR_MEM32, 16), -EINVAL);
	CU_ASSERT_EQUAL(pci_emul_alloc_bar(dev, -1, PCIBAR_MEM32, 16), -EINVAL);
	CU_ASSERT_EQUAL(pci_emul_alloc_bar(dev, 0, PCIBAR_MEM64, 16), -EINVAL);
	CU_ASSERT_EQUAL(pci_emul_alloc_bar(dev, 0, PCIBAR_MEM32, 4), 0);
	CU_ASSERT_EQUAL(dev->bar[0].size, 16); /* rounded up to the minimum */
	teardown();
}

struct race {
	struct pci_vdev *dev;
	int done;
	unsigned long bad;
};

/* A vCPU polling BAR0 at either of the two addresses the BAR moves between. */
static void *race_vcpu(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 20000; i++) {
		uint64_t a = (i & 1) ? TD_MEM_ADDR : 0x90000000, v = 0;
		int err = mem_access(&ctx, 1, MEM_F_READ, a + 8, 4, &v);

		if (!(err == 0 && v == 0xa0000008) && !(err == -ESRCH && v == 0xffffffff))
			r->bad++;
	}
	__atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A device timer raising and dropping its interrupt. */
static void *race_timer(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 20000; i++) {
		pci_lintr_assert(r->dev);
		pci_lintr_deassert(r->dev);
	}
	__atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_bar_moves_and_intx_race_safely_with_accesses(void)
{
	struct race r = {0};
	pthread_t vcpu, timer;
	uint32_t cmd;
	int flip = 0;

	bring_up("5,test-dev", NULL);
	r.dev = pci_get_vdev(0, TD_SLOT, 0);
	cmd = cfg_read(TD_SLOT, PCIR_COMMAND, 2);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&vcpu, NULL, race_vcpu, &r), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&timer, NULL, race_timer, &r), 0);
	while (__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) < 2) {
		flip ^= 1;
		cfg_write(TD_SLOT, PCIR_BAR(0), 4, flip ? 0x90000000 : TD_MEM_ADDR);
		cfg_write(TD_SLOT, PCIR_COMMAND, 2, flip ? cmd | PCIM_CMD_INTxDIS : cmd);
	}
	CU_ASSERT_EQUAL(pthread_join(vcpu, NULL), 0);
	CU_ASSERT_EQUAL(pthread_join(timer, NULL), 0);
	CU_ASSERT_EQUAL(r.bad, 0);
	/* the line ended deasserted, so the pin and the status bit say so */
	CU_ASSERT_FALSE(cfg_read(TD_SLOT, PCIR_STATUS, 2) & PCIM_STATUS_INTxSTATE);
	CU_ASSERT_EQUAL(intx_level == 1, 0);
	teardown();
}

/* Issue 17: the all-ones probe is never an address, even with decode on. */
static void test_sizing_probe_with_decode_on_claims_no_address(void)
{
	uint32_t probe;
	uint16_t cmd;

	bring_up("5,test-dev", NULL);
	cmd = (uint16_t)cfg_read(TD_SLOT, PCIR_COMMAND, 2);
	CU_ASSERT_TRUE(cmd & PCIM_CMD_MEMEN);
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, 0xffffffff);
	probe = cfg_read(TD_SLOT, PCIR_BAR(0), 4) & ~0xfU;
	CU_ASSERT_EQUAL(probe, ~(TESTDEV_MEM_SIZE - 1U));
	CU_ASSERT_FALSE(mem_claimed(probe));
	CU_ASSERT_FALSE(mem_claimed(TD_MEM_ADDR));
	/* toggling decode while the probe value is in the BAR maps nothing either */
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, cmd & ~PCIM_CMD_MEMEN);
	cfg_write(TD_SLOT, PCIR_COMMAND, 2, cmd);
	CU_ASSERT_FALSE(mem_claimed(probe));
	CU_ASSERT_EQUAL(td(TD_SLOT)->bar_reads, 0);
	cfg_write(TD_SLOT, PCIR_BAR(0), 4, TD_MEM_ADDR);
	CU_ASSERT_TRUE(mem_claimed(TD_MEM_ADDR));
	CU_ASSERT_FALSE(mem_claimed(probe));
	teardown();
}

/* Only dword accesses reach the CONF1 address latch (as on a real host bridge). */
static void test_conf1_latch_ignores_byte_and_word_accesses(void)
{
	uint32_t v;

	bring_up("5,test-dev", NULL);
	outl(0xcf8, conf1_addr(0, TD_SLOT, 0, 0));
	v = 0;
	inout_access(&ctx, 0, 0, 0xcf8, 2, &v);
	v = 0;
	inout_access(&ctx, 0, 0, 0xcf8, 1, &v);
	CU_ASSERT_EQUAL(in_n(0xcf8, 4), conf1_addr(0, TD_SLOT, 0, 0));
	CU_ASSERT_EQUAL(in_n(0xcf8, 2), 0xffff);
	CU_ASSERT_EQUAL(in_n(0xcf8, 1), 0xff);
	CU_ASSERT_EQUAL(in_n(0xcfc, 4), (TESTDEV_DEVICE << 16) | TESTDEV_VENDOR);
	teardown();
}

UNIT_SUITE(pci, suite_init, suite_cleanup, UNIT_TEST(test_linker_set_holds_testdev_and_hostbridge),
	   UNIT_TEST(test_slot_option_errors_are_each_rejected),
	   UNIT_TEST(test_slot_options_place_devices_and_pass_opts),
	   UNIT_TEST(test_conf1_reads_hostbridge_id_at_0_0_0),
	   UNIT_TEST(test_conf1_empty_slot_other_bus_and_disabled_read_all_ones),
	   UNIT_TEST(test_conf1_writes_reach_the_device),
	   UNIT_TEST(test_readonly_header_fields_ignore_writes),
	   UNIT_TEST(test_writable_header_fields_follow_the_mask),
	   UNIT_TEST(test_bar_sizing_reads_back_size_mask_and_type),
	   UNIT_TEST(test_bar_reprogramming_moves_the_range),
	   UNIT_TEST(test_subdword_bar_writes_merge_bytes),
	   UNIT_TEST(test_decode_enable_bits_map_and_unmap_bars),
	   UNIT_TEST(test_device_cfg_handlers_returning_zero_are_honoured),
	   UNIT_TEST(test_bad_config_accesses_are_rejected),
	   UNIT_TEST(test_intx_assert_sets_status_and_calls_front_end),
	   UNIT_TEST(test_vm_reset_restores_the_header_and_bars),
	   UNIT_TEST(test_refused_bar_decodes_once_the_overlap_goes_away),
	   UNIT_TEST(test_init_failure_unwinds_every_device),
	   UNIT_TEST(test_without_preassign_bars_wait_for_firmware),
	   UNIT_TEST(test_alloc_bar_refuses_bad_requests),
	   UNIT_TEST(test_bar_moves_and_intx_race_safely_with_accesses),
	   UNIT_TEST(test_sizing_probe_with_decode_on_claims_no_address),
	   UNIT_TEST(test_conf1_latch_ignores_byte_and_word_accesses));
