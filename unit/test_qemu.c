/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the QEMU front end (devicemodel/hv/qemu*.c, docs/design.rst section 7)
 * without QEMU: the proxy protocol is spoken over an in-process socketpair to
 * a "test-dev" at 0:5.0, and QMP over a second one.  Covers dispatch of config
 * and BAR messages (absolute BAR addresses), message reassembly, hostile input
 * (sizes, commands, fds), the once-per-system-reset VM reset, INTx eventfds,
 * QMP event merging with the VM clock, and actions turned into QMP commands.
 * Its three .c files are included so their static helpers can be driven
 * directly (the Makefile links this binary without their objects).
 */
#include "../devicemodel/hv/qemu.c"
#include "../devicemodel/hv/qemu_proxy.c"
#include "../devicemodel/hv/qemu_qmp.c"
#include "../devicemodel/hv/qemu_dump.c"

#include "pci_testdev.h"
#include "proxy_peer.h"
#include "unit.h"

#define T_SLOT 5
#define T_BAR0 0xc0000000U

_Static_assert(PROXY_PEER_HDR_SIZE == MPQEMU_HDR_SIZE && PROXY_PEER_HDR_LEN == MPQEMU_HDR_LEN,
	       "unit/proxy_peer.h and hv/qemu_proxy.c disagree on the message header");

static struct vmctx tctx;
static struct proxy_conn *tc;
static int tpeer = -1, tqmp = -1;
static char sink_line[1024];

static void sink(const char *line, void *arg)
{
	(void)arg;
	snprintf(sink_line, sizeof(sink_line), "%s", line);
}

static int suite_init(void)
{
	init_mem();
	if (init_inout() || vm_create(&tctx, NULL, 1) || timer_core_init(VM_CLOCK_VIRTUAL))
		return -1;
	dm_event_set_sink(sink, NULL);
	return 0;
}

static int suite_cleanup(void)
{
	dm_event_set_sink(NULL, NULL);
	deinit_pci(&tctx);
	pci_slots_clear();
	pci_set_bar_preassign(true);
	timer_core_fini();
	vm_destroy(&tctx);
	deinit_inout();
	deinit_mem();
	return 0;
}

static void teardown(void)
{
	if (qfe.ctx)
		qemu_fe_close(&qfe);
	memset(&qfe, 0, sizeof(qfe));
	qfe.sigfd = qfe.evfd = qfe.qmp = qfe.qmp_peer = -1;
	close_fd(&tpeer);
	close_fd(&tqmp);
	deinit_pci(&tctx);
	pci_slots_clear();
	pci_set_bar_preassign(true);
	if (vm_clock_paused())
		vm_clock_resume();
}

/* test-dev at 0:5.0 with firmware-assigned BARs, as under QEMU; tc is its link. */
static void bring_up(void)
{
	teardown();
	pci_set_bar_preassign(false);
	CU_ASSERT_EQUAL_FATAL(pci_parse_slot("5,test-dev"), 0);
	CU_ASSERT_EQUAL_FATAL(init_pci(&tctx), 0);
	CU_ASSERT_EQUAL_FATAL(qemu_fe_open(&qfe, &tctx), 0);
	CU_ASSERT_EQUAL_FATAL(qfe.nconns, 1);
	tc = &qfe.conns[0];
	tpeer = tc->peer;
	tc->peer = -1;
	tqmp = qfe.qmp_peer;
	qfe.qmp_peer = -1;
	CU_ASSERT_EQUAL_FATAL(fcntl(tqmp, F_SETFL, O_NONBLOCK), 0);
	qfe.spin_ns = 0;
}

static void send_msg(int32_t cmd, uint64_t size, const void *payload, size_t plen,
		     const int *fds, int nfds)
{
	CU_ASSERT_EQUAL(proxy_peer_send(tpeer, cmd, size, payload, plen, fds, nfds),
			(ssize_t)(MPQEMU_HDR_SIZE + plen));
}

static void send_cfg(int32_t cmd, uint32_t addr, uint32_t val, int32_t len)
{
	uint8_t p[MPQEMU_CFG_SIZE];

	memcpy(p + MPQEMU_CFG_ADDR, &addr, 4);
	memcpy(p + MPQEMU_CFG_VAL, &val, 4);
	memcpy(p + MPQEMU_CFG_LEN, &len, 4);
	send_msg(cmd, MPQEMU_CFG_SIZE, p, sizeof(p), NULL, 0);
}

static void send_bar(int32_t cmd, uint64_t addr, uint64_t val, uint32_t size)
{
	uint8_t p[MPQEMU_BAR_SIZE] = {0};

	memcpy(p + MPQEMU_BAR_ADDR, &addr, 8);
	memcpy(p + MPQEMU_BAR_VAL, &val, 8);
	memcpy(p + MPQEMU_BAR_LEN, &size, 4);
	p[MPQEMU_BAR_MEMORY] = 1;
	send_msg(cmd, MPQEMU_BAR_SIZE, p, sizeof(p), NULL, 0);
}

/* Serves what is queued; returns the RET value (all-ones + 1 sentinel if none). */
static uint64_t serve_and_reply(void)
{
	uint8_t r[MPQEMU_HDR_SIZE + MPQEMU_RET_SIZE];
	uint64_t v = 0, size = 0;
	int32_t cmd = -1;

	CU_ASSERT_EQUAL(conn_readable(&qfe, tc), 0);
	if (recv(tpeer, r, sizeof(r), MSG_DONTWAIT) != (ssize_t)sizeof(r))
		return 0xdeadULL << 32;
	memcpy(&cmd, r, 4);
	memcpy(&size, r + MPQEMU_HDR_LEN, 8);
	memcpy(&v, r + MPQEMU_HDR_SIZE, 8);
	CU_ASSERT_EQUAL(cmd, MPQEMU_RET);
	CU_ASSERT_EQUAL(size, MPQEMU_RET_SIZE);
	return v;
}

static bool no_reply(void)
{
	uint8_t r[8];

	return recv(tpeer, r, sizeof(r), MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

static struct testdev_state *tstate(void)
{
	return pci_get_vdev(0, T_SLOT, 0)->arg;
}

/* -- tests ---------------------------------------------------------------------- */

static void test_cfgread_returns_the_device_ids(void)
{
	bring_up();
	send_cfg(MPQEMU_PCI_CFGREAD, 0, 0, 4);
	CU_ASSERT_EQUAL(serve_and_reply(), ((uint64_t)TESTDEV_DEVICE << 16) | TESTDEV_VENDOR);
}

static void test_bar_access_uses_the_programmed_absolute_address(void)
{
	bring_up();
	send_cfg(MPQEMU_PCI_CFGWRITE, PCIR_BAR(0), T_BAR0, 4);
	CU_ASSERT_EQUAL(serve_and_reply(), 0);
	send_cfg(MPQEMU_PCI_CFGWRITE, PCIR_COMMAND, PCIM_CMD_MEMEN, 2);
	CU_ASSERT_EQUAL(serve_and_reply(), 0);
	send_bar(MPQEMU_BAR_WRITE, T_BAR0 + 8, 0x1234, 2);
	CU_ASSERT_EQUAL(serve_and_reply(), 0);
	CU_ASSERT_EQUAL(tstate()->bar_writes, 1);
	CU_ASSERT_EQUAL(tstate()->last_offset, 8);
	CU_ASSERT_EQUAL(tstate()->last_value, 0x1234);
	send_bar(MPQEMU_BAR_READ, T_BAR0 + 4, 0, 4);
	CU_ASSERT_NOT_EQUAL(serve_and_reply(), 0xffffffffULL);
	CU_ASSERT_EQUAL(tstate()->last_offset, 4);
}

static void test_unclaimed_and_oversized_bar_reads_are_all_ones(void)
{
	bring_up();
	send_bar(MPQEMU_BAR_READ, 0xdead0000ULL, 0, 2);
	CU_ASSERT_EQUAL(serve_and_reply(), 0xffff);
	send_bar(MPQEMU_BAR_READ, T_BAR0, 0, 16);
	CU_ASSERT_EQUAL(serve_and_reply(), ~0ULL);
}

static void test_bad_config_access_reads_all_ones(void)
{
	bring_up();
	send_cfg(MPQEMU_PCI_CFGREAD, 0x1000, 0, 4);
	CU_ASSERT_EQUAL(serve_and_reply(), 0xffffffffULL);
	send_cfg(MPQEMU_PCI_CFGREAD, 0, 0, 3);
	CU_ASSERT_EQUAL(serve_and_reply(), 0xffffffffULL);
	send_cfg(MPQEMU_PCI_CFGREAD, 1, 0, 2);
	CU_ASSERT_EQUAL(serve_and_reply(), 0xffffffffULL);
}

static void test_message_split_in_pieces_is_reassembled(void)
{
	uint8_t m[MPQEMU_HDR_SIZE + MPQEMU_CFG_SIZE] = {0};
	int32_t cmd = MPQEMU_PCI_CFGREAD, len = 2;
	uint64_t size = MPQEMU_CFG_SIZE;

	bring_up();
	memcpy(m, &cmd, 4);
	memcpy(m + MPQEMU_HDR_LEN, &size, 8);
	memcpy(m + MPQEMU_HDR_SIZE + MPQEMU_CFG_LEN, &len, 4);
	CU_ASSERT_EQUAL(write(tpeer, m, 5), 5);
	CU_ASSERT_EQUAL(conn_readable(&qfe, tc), 0);
	CU_ASSERT_TRUE(no_reply());
	CU_ASSERT_EQUAL(write(tpeer, m + 5, 15), 15);
	CU_ASSERT_EQUAL(conn_readable(&qfe, tc), 0);
	CU_ASSERT_TRUE(no_reply());
	CU_ASSERT_EQUAL(write(tpeer, m + 20, sizeof(m) - 20), (ssize_t)(sizeof(m) - 20));
	CU_ASSERT_EQUAL(serve_and_reply(), TESTDEV_VENDOR);
}

static void test_size_over_payload_limit_drops_the_connection(void)
{
	uint8_t junk[32] = {0};

	bring_up();
	send_msg(MPQEMU_PCI_CFGREAD, MPQEMU_MAX_PAYLOAD + 1, junk, sizeof(junk), NULL, 0);
	CU_ASSERT_EQUAL(conn_readable(&qfe, tc), -EPROTO);
}

static void test_unknown_command_and_wrong_size_get_all_ones(void)
{
	uint8_t p[8] = {0};

	bring_up();
	send_msg(42, 0, NULL, 0, NULL, 0);
	CU_ASSERT_EQUAL(serve_and_reply(), ~0ULL);
	send_msg(MPQEMU_PCI_CFGREAD, sizeof(p), p, sizeof(p), NULL, 0);
	CU_ASSERT_EQUAL(serve_and_reply(), ~0ULL);
	send_msg(MPQEMU_DEVICE_RESET, sizeof(p), p, sizeof(p), NULL, 0);
	CU_ASSERT_EQUAL(serve_and_reply(), ~0ULL);
	send_msg(MPQEMU_RET, sizeof(p), p, sizeof(p), NULL, 0);
	CU_ASSERT_EQUAL(conn_readable(&qfe, tc), 0);
	CU_ASSERT_TRUE(no_reply());
}

static void test_received_fds_are_never_kept(void)
{
	uint8_t sysmem[MPQEMU_SYSMEM_SIZE] = {0};
	int fds[12], before;

	bring_up();
	for (int i = 0; i < 12; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	before = proxy_peer_count_fds(0);
	send_msg(MPQEMU_SYNC_SYSMEM, sizeof(sysmem), sysmem, sizeof(sysmem), fds, 8);
	send_msg(MPQEMU_SYNC_SYSMEM, sizeof(sysmem), sysmem, sizeof(sysmem), fds, 12);
	send_msg(MPQEMU_SET_IRQFD, 0, NULL, 0, fds, 3);
	send_cfg(MPQEMU_PCI_CFGREAD, 0, 0, 2); /* no fds: nothing to close */
	CU_ASSERT_EQUAL(serve_and_reply(), TESTDEV_VENDOR);
	send_msg(MPQEMU_PCI_CFGREAD, 0, NULL, 0, fds, 2); /* stray fds, wrong size */
	CU_ASSERT_EQUAL(serve_and_reply(), ~0ULL);
	CU_ASSERT_EQUAL(proxy_peer_count_fds(0), before);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
}

static void test_intx_assert_writes_the_irqfd(void)
{
	int ev[2] = {eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC)};
	uint64_t v = 0;

	bring_up();
	send_msg(MPQEMU_SET_IRQFD, 0, NULL, 0, ev, 2);
	CU_ASSERT_EQUAL(conn_readable(&qfe, tc), 0);
	CU_ASSERT_TRUE(no_reply());
	qemu_intx(&tctx, tc->dev, 0);
	CU_ASSERT_EQUAL(read(ev[0], &v, sizeof(v)), -1);
	qemu_intx(&tctx, tc->dev, 1);
	CU_ASSERT_EQUAL(read(ev[0], &v, sizeof(v)), (ssize_t)sizeof(v));
	CU_ASSERT_EQUAL(v, 1);
	close(ev[0]);
	close(ev[1]);
}

static void test_one_vm_reset_per_system_reset(void)
{
	int r0;

	bring_up();
	r0 = tstate()->resets;
	send_msg(MPQEMU_DEVICE_RESET, 0, NULL, 0, NULL, 0);
	CU_ASSERT_EQUAL(serve_and_reply(), 0);
	CU_ASSERT_EQUAL(tstate()->resets, r0 + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(sink_line, "\"reason\": \"power-on\""));
	/* QEMU repeats DEVICE_RESET within one system reset: the guest has not run. */
	send_msg(MPQEMU_DEVICE_RESET, 0, NULL, 0, NULL, 0);
	CU_ASSERT_EQUAL(serve_and_reply(), 0);
	CU_ASSERT_EQUAL(tstate()->resets, r0 + 1);
	send_cfg(MPQEMU_PCI_CFGREAD, 0, 0, 2);
	serve_and_reply();
	qfe.reset_reason = "watchdog";
	send_msg(MPQEMU_DEVICE_RESET, 0, NULL, 0, NULL, 0);
	CU_ASSERT_EQUAL(serve_and_reply(), 0);
	CU_ASSERT_EQUAL(tstate()->resets, r0 + 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(sink_line, "\"reason\": \"watchdog\""));
}

static void test_json_span_skips_braces_inside_strings(void)
{
	CU_ASSERT_EQUAL(json_span("{\"a\": \"}{\\\"}\", \"b\": {}} tail"), 23);
	CU_ASSERT_EQUAL(json_span("{\"a\": {\"b\": 1}"), 0);
	CU_ASSERT_EQUAL(json_span("{}"), 2);
}

static void test_qmp_event_name_accepts_only_qmp_names(void)
{
	char n[8];

	CU_ASSERT_TRUE(qmp_event_name("\"RESET\"", n, sizeof(n)));
	CU_ASSERT_STRING_EQUAL(n, "RESET");
	CU_ASSERT_FALSE(qmp_event_name("\"reset\"", n, sizeof(n)));
	CU_ASSERT_FALSE(qmp_event_name("\"TOO_LONG_NAME\"", n, sizeof(n)));
	CU_ASSERT_FALSE(qmp_event_name("\"A\\\"B\"", n, sizeof(n)));
	CU_ASSERT_FALSE(qmp_event_name("RESET", n, sizeof(n)));
	CU_ASSERT_FALSE(qmp_event_name(NULL, n, sizeof(n)));
}

static void test_qmp_stop_and_resume_pause_the_vm_clock_and_are_merged(void)
{
	bring_up();
	qmp_line(&qfe, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "
		       "\"STOP\", \"data\": {\"reason\": \"x{\"}}");
	CU_ASSERT_TRUE(vm_clock_paused());
	CU_ASSERT_PTR_NOT_NULL(strstr(sink_line, "\"event\": \"STOP\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(sink_line, "\"reason\": \"x{\", \"source\": \"qemu\""));
	qmp_line(&qfe, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": "
		       "\"RESUME\"}");
	CU_ASSERT_FALSE(vm_clock_paused());
	CU_ASSERT_PTR_NOT_NULL(strstr(sink_line, "\"data\": {\"source\": \"qemu\""));
	/* Data that is not one printable object is left out, the event kept. */
	qmp_line(&qfe, "{\"event\": \"X\", \"data\": {\"a\": \"\x01\"}}");
	CU_ASSERT_PTR_NOT_NULL(strstr(sink_line, "\"data\": {\"source\": \"qemu\""));
}

static void test_actions_wait_for_qmp_then_become_commands(void)
{
	struct vm_action_req r = {.action = DM_WDT_ACTION_RESET};
	char buf[256] = "";
	ssize_t n;

	bring_up();
	qemu_do_action(&qfe, &r);
	CU_ASSERT_EQUAL(recv(tqmp, buf, sizeof(buf), MSG_DONTWAIT), -1);
	qmp_line(&qfe, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}");
	n = recv(tqmp, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CU_ASSERT_TRUE(n > 0 && strstr(buf, "qmp_capabilities") && !strstr(buf, "system_reset"));
	qmp_line(&qfe, "{\"return\": {}}");
	memset(buf, 0, sizeof(buf));
	n = recv(tqmp, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CU_ASSERT_TRUE(n > 0 && strstr(buf, "{\"execute\": \"system_reset\"}"));
	CU_ASSERT_STRING_EQUAL(qfe.reset_reason, "watchdog");
	r.action = DM_WDT_ACTION_POWEROFF;
	qemu_do_action(&qfe, &r);
	memset(buf, 0, sizeof(buf));
	n = recv(tqmp, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CU_ASSERT_TRUE(n > 0 && strstr(buf, "\"quit\""));
	r.action = DM_WDT_ACTION_NONE;
	qemu_do_action(&qfe, &r);
	CU_ASSERT_EQUAL(recv(tqmp, buf, sizeof(buf), MSG_DONTWAIT), -1);
	teardown();
}

static void test_ram_size_is_read_as_qemu_reads_dash_m(void)
{
	CU_ASSERT_EQUAL(qemu_ram_bytes("256"), 256ULL << 20);
	CU_ASSERT_EQUAL(qemu_ram_bytes("256M"), 256ULL << 20);
	CU_ASSERT_EQUAL(qemu_ram_bytes("1G"), 1ULL << 30);
	CU_ASSERT_EQUAL(qemu_ram_bytes("1g,slots=2,maxmem=4G"), 1ULL << 30);
	CU_ASSERT_EQUAL(qemu_ram_bytes("size=512M,slots=2,maxmem=4G"), 512ULL << 20);
	CU_ASSERT_EQUAL(qemu_ram_bytes("slots=2,size=2G"), 2ULL << 30);
	CU_ASSERT_EQUAL(qemu_ram_bytes("100000k"), 102400000ULL); /* 8 KiB multiple */
	CU_ASSERT_EQUAL(qemu_ram_bytes("1000b"), 8192ULL);        /* rounded up, as QEMU does */
	/* Not understood: no backend is added, QEMU judges the option itself. */
	CU_ASSERT_EQUAL(qemu_ram_bytes("0"), 0);
	CU_ASSERT_EQUAL(qemu_ram_bytes("1.5G"), 0);
	CU_ASSERT_EQUAL(qemu_ram_bytes("12X"), 0);
	CU_ASSERT_EQUAL(qemu_ram_bytes("-1"), 0);
	CU_ASSERT_EQUAL(qemu_ram_bytes("maxmem=4G"), 0);
	CU_ASSERT_EQUAL(qemu_ram_bytes("99999999999999999999"), 0);
	CU_ASSERT_EQUAL(qemu_ram_bytes("17179869184T"), 0);
}

static void test_ram_gets_a_shared_memfd_unless_the_user_chose_a_backend(void)
{
	char *plain[] = {"qemu", "-m", "64", "-kernel", "k", NULL};
	char *none[] = {"qemu", "-kernel", "k", NULL};
	char *own[] = {"qemu", "-m", "64", "-machine", "pc,memory-backend=m", NULL};
	char *numa[] = {"qemu", "-numa", "node,memdev=m0", NULL};
	char *path[] = {"qemu", "-mem-path", "/dev/hugepages", NULL};
	struct dm_options o = {.qemu_argv = plain, .qemu_argc = 5};
	char **argv;
	int n = 0;

	CU_ASSERT_EQUAL(qemu_auto_ram(&o), 64ULL << 20);
	o.qemu_argv = none;
	o.qemu_argc = 3;
	CU_ASSERT_EQUAL(qemu_auto_ram(&o), 128ULL << 20);
	o.qemu_argv = own;
	o.qemu_argc = 5;
	CU_ASSERT_EQUAL(qemu_auto_ram(&o), 0);
	o.qemu_argv = numa;
	o.qemu_argc = 3;
	CU_ASSERT_EQUAL(qemu_auto_ram(&o), 0);
	o.qemu_argv = path;
	CU_ASSERT_EQUAL(qemu_auto_ram(&o), 0);

	o.qemu_argv = plain;
	o.qemu_argc = 5;
	argv = qemu_build_argv(&qfe, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(argv);
	while (argv[n] && strcmp(argv[n], "-object"))
		n++;
	CU_ASSERT_PTR_NOT_NULL_FATAL(argv[n]);
	CU_ASSERT_STRING_EQUAL(argv[n + 1], "memory-backend-memfd,id=wdtdm-ram,size=67108864,share=on");
	CU_ASSERT_STRING_EQUAL(argv[n + 2], "-machine");
	CU_ASSERT_STRING_EQUAL(argv[n + 3], "memory-backend=wdtdm-ram");
	free_argv(argv);
}

UNIT_SUITE(qemu, suite_init, suite_cleanup,
	   UNIT_TEST(test_cfgread_returns_the_device_ids),
	   UNIT_TEST(test_bar_access_uses_the_programmed_absolute_address),
	   UNIT_TEST(test_unclaimed_and_oversized_bar_reads_are_all_ones),
	   UNIT_TEST(test_bad_config_access_reads_all_ones),
	   UNIT_TEST(test_message_split_in_pieces_is_reassembled),
	   UNIT_TEST(test_size_over_payload_limit_drops_the_connection),
	   UNIT_TEST(test_unknown_command_and_wrong_size_get_all_ones),
	   UNIT_TEST(test_received_fds_are_never_kept),
	   UNIT_TEST(test_intx_assert_writes_the_irqfd),
	   UNIT_TEST(test_one_vm_reset_per_system_reset),
	   UNIT_TEST(test_json_span_skips_braces_inside_strings),
	   UNIT_TEST(test_qmp_event_name_accepts_only_qmp_names),
	   UNIT_TEST(test_qmp_stop_and_resume_pause_the_vm_clock_and_are_merged),
	   UNIT_TEST(test_actions_wait_for_qmp_then_become_commands),
	   UNIT_TEST(test_ram_size_is_read_as_qemu_reads_dash_m),
	   UNIT_TEST(test_ram_gets_a_shared_memfd_unless_the_user_chose_a_backend));
