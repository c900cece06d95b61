/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * wdt-dm driven by QEMU 7.2's own libqtest, in the style of QEMU's qtests
 * (glib's test framework, QTEST_QEMU_BINARY pointing at the launcher): the
 * 6300ESB at slot 5 is enumerated, BAR0 programmed, then driven exactly as
 * the stock Linux i6300esb driver starts and pings it; the test steps past
 * stage 1 (its INTx seen as IRQ 21 through irq_intercept_in) and stage 2
 * (the reset, seen as QMP's RESET event), reads the timeout flag the reboot
 * left, uses guest RAM through every libqtest memory helper, and quits
 * cleanly.  The 6300ESB's timing: one stage is 512 x 2^15 x 30 ns for a
 * preload of 512 (set_timeout(1) in Linux).
 */
#include "qemu/osdep.h"
#include "libqtest.h"
#include "qapi/qmp/qdict.h"

#define CONF1_ADDR 0xcf8
#define CONF1_DATA 0xcfc
#define SLOT5 0x80002800u
#define BAR0 0xfe000000u
#define ESB_RELOAD (BAR0 + 0xc)
#define ESB_GINTSR (BAR0 + 0x8)
#define STAGE_NS 503316480ULL
#define ESB_GSI 21

static uint32_t cfg_readl(QTestState *s, int reg)
{
	qtest_outl(s, CONF1_ADDR, SLOT5 | reg);
	return qtest_inl(s, CONF1_DATA);
}

static void cfg_writel(QTestState *s, int reg, uint32_t v)
{
	qtest_outl(s, CONF1_ADDR, SLOT5 | reg);
	qtest_outl(s, CONF1_DATA, v);
}

static void cfg_writeb(QTestState *s, int reg, uint8_t v)
{
	qtest_outl(s, CONF1_ADDR, SLOT5 | reg);
	qtest_outb(s, CONF1_DATA, v);
}

/* The register unlock sequence the Linux driver writes before each protected write. */
static void esb_unlock(QTestState *s)
{
	qtest_writew(s, ESB_RELOAD, 0x80);
	qtest_writew(s, ESB_RELOAD, 0x86);
}

static void esb_program_bar(QTestState *s)
{
	cfg_writel(s, 0x10, BAR0);
	cfg_writel(s, 0x04, 0x0002); /* memory decode */
}

static void test_enumerate_start_ping_expire(void)
{
	QTestState *s = qtest_init("-m 64M");
	QDict *rsp;

	g_assert_cmphex(cfg_readl(s, 0x00), ==, 0x25ab8086);
	g_assert_cmphex(cfg_readl(s, 0x08) >> 8, ==, 0x088000);
	cfg_writel(s, 0x10, 0xffffffff);
	g_assert_cmphex(cfg_readl(s, 0x10), ==, 0xfffffff0);
	esb_program_bar(s);
	g_assert_cmphex(cfg_readl(s, 0x10), ==, BAR0);

	/* probe: stage-1 interrupt type IRQ (config 0x60 = 0), watchdog mode, disabled */
	cfg_writel(s, 0x60, 0x0000);
	cfg_writeb(s, 0x68, 0x00);
	esb_unlock(s);
	qtest_writew(s, ESB_RELOAD, 0x0300); /* clear the timeout flag, reload */
	qtest_irq_intercept_in(s, "ioapic");

	/* set_timeout(1), start, then one ping half a second later */
	esb_unlock(s);
	qtest_writel(s, BAR0 + 0x0, 0x200);
	esb_unlock(s);
	qtest_writel(s, BAR0 + 0x4, 0x200);
	esb_unlock(s);
	qtest_writew(s, ESB_RELOAD, 0x0100);
	cfg_writeb(s, 0x68, 0x02);
	g_assert_cmpint(qtest_clock_step(s, 500000000), ==, 500000000);
	esb_unlock(s);
	qtest_writew(s, ESB_RELOAD, 0x0100);

	/* stage 1: INTx (GSI 21) rises exactly at its deadline, GINTSR says so */
	qtest_clock_step(s, STAGE_NS - 1);
	g_assert_false(qtest_get_irq(s, ESB_GSI));
	qtest_clock_step(s, 1);
	g_assert_true(qtest_get_irq(s, ESB_GSI));
	g_assert_cmphex(qtest_readl(s, ESB_GINTSR), ==, 1);

	/* stage 2: the default action resets the VM; QMP reports it */
	qtest_clock_step(s, STAGE_NS);
	qtest_qmp_eventwait(s, "RESET");
	g_assert_false(qtest_get_irq(s, ESB_GSI));

	/* after the reboot: the header is at power-on, the timeout flag survived */
	g_assert_cmphex(cfg_readl(s, 0x10), ==, 0x80000000); /* as preassigned */
	esb_program_bar(s);
	esb_unlock(s);
	g_assert_cmphex(qtest_readw(s, ESB_RELOAD) & 0x200, ==, 0x200);

	rsp = qtest_qmp(s, "{ 'execute': 'query-status' }");
	g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "return"), "status"), ==, "running");
	qobject_unref(rsp);
	qtest_quit(s);
}

static void test_guest_ram(void)
{
	QTestState *s = qtest_init("-m 64M");
	uint8_t in[300], out[300];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	qtest_writel(s, 0x1010, 0xdeadbeef);
	g_assert_cmphex(qtest_readl(s, 0x1010), ==, 0xdeadbeef);
	qtest_writeq(s, 0x2000, 0x0123456789abcdefULL);
	g_assert_cmphex(qtest_readq(s, 0x2000), ==, 0x0123456789abcdefULL);
	g_assert_cmphex(qtest_readb(s, 0x2000), ==, 0xef);

	qtest_memwrite(s, 0x100000, in, sizeof(in));
	memset(out, 0, sizeof(out));
	qtest_memread(s, 0x100000, out, sizeof(out));
	g_assert_cmpmem(in, sizeof(in), out, sizeof(out));

	qtest_bufwrite(s, 0x200000, in, sizeof(in));
	memset(out, 0, sizeof(out));
	qtest_bufread(s, 0x200000, out, sizeof(out));
	g_assert_cmpmem(in, sizeof(in), out, sizeof(out));

	qtest_memset(s, 0x200010, 0x5a, 16);
	g_assert_cmphex(qtest_readq(s, 0x200010), ==, 0x5a5a5a5a5a5a5a5aULL);
	g_assert_cmphex(qtest_readb(s, 0x200020), ==, in[0x20]);

	/* the last byte of RAM, and nothing behind it */
	qtest_writeb(s, (64 << 20) - 1, 0x42);
	g_assert_cmphex(qtest_readb(s, (64 << 20) - 1), ==, 0x42);
	g_assert_cmphex(qtest_readl(s, 64 << 20), ==, 0xffffffff);
	qtest_quit(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	qtest_add_func("/wdt-dm/i6300esb/enumerate-start-ping-expire",
		       test_enumerate_start_ping_expire);
	qtest_add_func("/wdt-dm/guest-ram", test_guest_ram);
	return g_test_run();
}
