/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the QEMU front end (devicemodel/hv/qemu*.c, docs/design.rst section 7)
 * without QEMU: the proxy protocol is spoken over an in-process socketpair to
 * a "test-dev" at 0:5.0, and QMP over a second one.  Covers dispatch of config
 * and BAR messages (absolute BAR addresses), message reassembly, hostile input
 * (sizes, commands, fds), the once-per-system-reset VM reset, INTx eventfds,
 * QMP event merging with the VM clock, and actions turned into QMP commands.
 * Its .c files are included so their static helpers can be driven
 * directly (the Makefile links this binary without their objects).
 */
#include "../devicemodel/hv/qemu.c"
#include "../devicemodel/hv/qemu_proxy.c"
#include "../devicemodel/hv/qemu_qmp.c"
#include "../devicemodel/hv/qemu_dump.c"
#include "../devicemodel/hv/qemu_qmp_send.c"

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

static void sink(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
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

/* The length of the text s holds as one JSON value, 0 if it is not one. */
static size_t json_text_len(const char *s)
{
	struct json *j = json_parse(s, strlen(s));
	size_t n = j && j->root ? j->root->len : 0;

	free(j);
	return n;
}

static void test_json_text_skips_braces_inside_strings(void)
{
	CU_ASSERT_EQUAL(json_text_len("{\"a\": \"}{\\\"}\", \"b\": {}}"), 23);
	CU_ASSERT_EQUAL(json_text_len("{\"a\": \"}{\\\"}\", \"b\": {}} tail"), 0);
	CU_ASSERT_EQUAL(json_text_len("{\"a\": {\"b\": 1}"), 0);
	CU_ASSERT_EQUAL(json_text_len("{}"), 2);
}

/* qmp_event_name() of the JSON value in s (none when s is NULL or no value). */
static bool event_name(const char *s, char *n, size_t size)
{
	struct json *j = s ? json_parse(s, strlen(s)) : NULL;
	bool ok = qmp_event_name(j ? j->root : NULL, n, size);

	free(j);
	return ok;
}

static void test_qmp_event_name_accepts_only_qmp_names(void)
{
	char n[8];

	CU_ASSERT_TRUE(event_name("\"RESET\"", n, sizeof(n)));
	CU_ASSERT_STRING_EQUAL(n, "RESET");
	CU_ASSERT_FALSE(event_name("\"reset\"", n, sizeof(n)));
	CU_ASSERT_FALSE(event_name("\"TOO_LONG_NAME\"", n, sizeof(n)));
	CU_ASSERT_FALSE(event_name("\"A\\\"B\"", n, sizeof(n)));
	CU_ASSERT_FALSE(event_name("RESET", n, sizeof(n)));
	CU_ASSERT_FALSE(event_name(NULL, n, sizeof(n)));
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

/* ---- shutdown, inject-nmi and post-mortem dumps over QMP (issue 16) ------------ */

static void test_shutdown_and_inject_nmi_become_their_qmp_commands(void)
{
	struct vm_action_req r = {.action = DM_WDT_ACTION_SHUTDOWN};
	char buf[256] = "";

	bring_up();
	qmp_line(&qfe, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}");
	qmp_line(&qfe, "{\"return\": {}}");
	while (recv(tqmp, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	memset(buf, 0, sizeof(buf));
	qemu_do_action(&qfe, &r);
	CU_ASSERT(recv(tqmp, buf, sizeof(buf) - 1, MSG_DONTWAIT) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"execute\": \"system_powerdown\"}"));
	r.action = DM_WDT_ACTION_INJECT_NMI;
	memset(buf, 0, sizeof(buf));
	qemu_do_action(&qfe, &r);
	CU_ASSERT(recv(tqmp, buf, sizeof(buf) - 1, MSG_DONTWAIT) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"execute\": \"inject-nmi\"}"));
	teardown();
}

#define DUMP_LINES 32
static char dlines[DUMP_LINES][1024];
static int ndlines;
static char ddir[64];

static void dump_sink(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	(void)arg;
	if (ndlines < DUMP_LINES)
		snprintf(dlines[ndlines++], sizeof(dlines[0]), "%s", line);
}

/* The first captured event line holding needle, or NULL. */
static const char *dline(const char *needle)
{
	for (int i = 0; i < ndlines; i++)
		if (strstr(dlines[i], needle))
			return dlines[i];
	return NULL;
}

/* What QEMU got on its QMP end (text into buf, the last fd passed into *fd). */
static size_t qemu_reads(char *buf, size_t n, int *fd)
{
	size_t len = 0;

	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = {buf + len, n - 1 - len};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		ssize_t got = recvmsg(tqmp, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (got <= 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd)
				memcpy(fd, CMSG_DATA(c), sizeof(int));
		len += (size_t)got;
	}
	buf[len] = '\0';
	return len;
}

/* QMP up, a temporary dump directory, events captured. */
static void dump_bring_up(struct vm_action_req *r)
{
	char buf[512];

	bring_up();
	qmp_line(&qfe, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}");
	qmp_line(&qfe, "{\"return\": {}}");
	qemu_reads(buf, sizeof(buf), NULL);
	snprintf(ddir, sizeof(ddir), "/tmp/wdt-dm-unit-qdump-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(ddir));
	memset(r, 0, sizeof(*r));
	r->action = DM_WDT_ACTION_RESET;
	snprintf(r->device, sizeof(r->device), "wdt-i6300esb");
	snprintf(r->id, sizeof(r->id), "0:5.0");
	snprintf(r->dump.dir, sizeof(r->dump.dir), "%s", ddir);
	r->dump.timeout_s = 60;
	ndlines = 0;
	dm_event_set_sink(dump_sink, NULL);
}

static void dump_teardown(void)
{
	DIR *d = opendir(ddir);
	struct dirent *e;
	char p[256];

	teardown();
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%.120s", ddir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(ddir);
	dm_event_set_sink(sink, NULL);
	vm_dump_set_clock(NULL, NULL, NULL);
}

static void test_dump_goes_through_getfd_and_the_action_waits_for_resume(void)
{
	struct vm_action_req r;
	char buf[1024];
	struct stat st;
	int fd = -1;

	dump_bring_up(&r);
	qemu_do_action(&qfe, &r);
	CU_ASSERT_TRUE(qemu_dump_busy(&qfe));
	qemu_reads(buf, sizeof(buf), &fd);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": "
					   "\"wdt-dm-dump\"}, \"id\": \"wdt-dm-getfd\"}\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"execute\": \"dump-guest-memory\", \"arguments\": "
					   "{\"paging\": false, \"protocol\": \"fd:wdt-dm-dump\", "
					   "\"detach\": true}"));
	CU_ASSERT(strstr(buf, "getfd") < strstr(buf, "dump-guest-memory"));
	CU_ASSERT_PTR_NULL(strstr(buf, "system_reset"));
	/* the descriptor QEMU got: a new 0600 file in the dump directory */
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(fstat(fd, &st), 0);
	CU_ASSERT_TRUE(S_ISREG(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	memset(buf, 'C', 1000);
	CU_ASSERT_EQUAL(write(fd, buf, 1000), 1000); /* QEMU writes the core */
	close(fd);
	qmp_line(&qfe, "{\"return\": {}, \"id\": \"wdt-dm-getfd\"}");
	qmp_line(&qfe, "{\"return\": {}, \"id\": \"wdt-dm-dump\"}");
	qmp_line(&qfe, "{\"event\": \"STOP\", \"data\": {}}");
	CU_ASSERT_TRUE(vm_clock_paused());
	qmp_line(&qfe, "{\"event\": \"DUMP_COMPLETED\", \"data\": {\"result\": {\"total\": 1000, "
		       "\"status\": \"completed\", \"completed\": 1000}}}");
	CU_ASSERT_PTR_NOT_NULL(dline("\"event\": \"DUMP\""));
	CU_ASSERT_PTR_NOT_NULL(dline("\"size\": 1000,"));
	CU_ASSERT_PTR_NOT_NULL(dline(ddir));
	CU_ASSERT_PTR_NULL(dline("\"error\""));
	/* QEMU resumes the guest it stopped; the reset comes after that only */
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NULL(strstr(buf, "system_reset"));
	CU_ASSERT_TRUE(qemu_dump_busy(&qfe));
	qmp_line(&qfe, "{\"event\": \"RESUME\"}");
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "{\"execute\": \"system_reset\"}"));
	CU_ASSERT_FALSE(qemu_dump_busy(&qfe));
	dump_teardown();
}

static void test_dump_refused_by_qemu_runs_the_action_at_once(void)
{
	struct vm_action_req r;
	char buf[1024];

	dump_bring_up(&r);
	qemu_do_action(&qfe, &r);
	qemu_reads(buf, sizeof(buf), NULL);
	qmp_line(&qfe, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"There is a dump in "
		       "process, please wait.\"}, \"id\": \"wdt-dm-dump\"}");
	CU_ASSERT_PTR_NOT_NULL(dline("\"error\": \"There is a dump in process, please wait.\""));
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "system_reset"));
	CU_ASSERT_FALSE(qemu_dump_busy(&qfe));
	/* its DUMP_COMPLETED, should it come, is QEMU's business only */
	ndlines = 0;
	qmp_line(&qfe, "{\"event\": \"DUMP_COMPLETED\", \"data\": {\"result\": {}}}");
	CU_ASSERT_PTR_NULL(dline("\"event\": \"DUMP\""));
	dump_teardown();
}

static void test_dump_failed_in_qemu_or_too_slow_never_blocks_the_action(void)
{
	struct vm_action_req r;
	char buf[1024];

	dump_bring_up(&r);
	qmp_line(&qfe, "{\"event\": \"STOP\"}"); /* the guest is not running: no RESUME owed */
	qemu_do_action(&qfe, &r);
	qemu_reads(buf, sizeof(buf), NULL);
	qmp_line(&qfe, "{\"event\": \"DUMP_COMPLETED\", \"data\": {\"result\": {\"status\": "
		       "\"failed\"}, \"error\": \"dump: failed to save memory: No space left\"}}");
	CU_ASSERT_PTR_NOT_NULL(dline("\"error\": \"dump: failed to save memory: No space left\""));
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "system_reset"));
	CU_ASSERT_FALSE(qemu_dump_busy(&qfe));
	/* too slow: at dump_timeout the action goes ahead */
	ndlines = 0;
	r.action = DM_WDT_ACTION_POWEROFF;
	snprintf(r.device, sizeof(r.device), "vcpu-stall"); /* a name of its own this second */
	qemu_do_action(&qfe, &r);
	CU_ASSERT_TRUE_FATAL(qemu_dump_busy(&qfe));
	CU_ASSERT_EQUAL(qemu_dump_timeout_ms(&qfe, qfe.dump.deadline_ns - 5000000), 6);
	qemu_dump_tick(&qfe, qfe.dump.deadline_ns - 1);
	CU_ASSERT_TRUE(qemu_dump_busy(&qfe));
	qemu_reads(buf, sizeof(buf), NULL);
	qemu_dump_tick(&qfe, qfe.dump.deadline_ns);
	CU_ASSERT_PTR_NOT_NULL(dline("\"error\": \"timed out\""));
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"quit\""));
	CU_ASSERT_FALSE(qemu_dump_busy(&qfe));
	CU_ASSERT_EQUAL(qemu_dump_timeout_ms(&qfe, 0), -1);
	dump_teardown();
}

static time_t fixed_wall(void)
{
	return 1764576000; /* 2025-12-01T08:00:00Z */
}

static void test_dump_never_overwrites_and_later_requests_wait_for_it(void)
{
	struct vm_action_req r, w;
	char buf[1024], path[256];
	int fd;

	dump_bring_up(&r);
	vm_dump_set_clock(NULL, NULL, fixed_wall);
	snprintf(path, sizeof(path), "%s/%s-20251201T080000Z-wdt-i6300esb.core", ddir, tctx.uuid);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CU_ASSERT(fd >= 0);
	close(fd);
	qemu_do_action(&qfe, &r);
	CU_ASSERT_PTR_NOT_NULL(dline("\"error\": \"File exists\""));
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NULL(strstr(buf, "getfd"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "system_reset"));
	/* a request queued while a dump runs waits for its end */
	unlink(path);
	qemu_do_action(&qfe, &r);
	CU_ASSERT_TRUE_FATAL(qemu_dump_busy(&qfe));
	qemu_reads(buf, sizeof(buf), NULL);
	dm_watchdog_expired(&tctx, DM_WDT_ACTION_PAUSE, "vcpu-stall", "0", "reset");
	actions_readable(&qfe);
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NULL(strstr(buf, "\"stop\""));
	qmp_line(&qfe, "{\"event\": \"DUMP_COMPLETED\", \"data\": {\"result\": {}}}");
	qmp_line(&qfe, "{\"event\": \"RESUME\"}"); /* not needed: the clock ran */
	actions_readable(&qfe);
	qemu_reads(buf, sizeof(buf), NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "system_reset"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"stop\""));
	CU_ASSERT(strstr(buf, "system_reset") < strstr(buf, "\"stop\""));
	CU_ASSERT_FALSE(vm_action_take(&tctx, &w));
	dump_teardown();
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
	   UNIT_TEST(test_json_text_skips_braces_inside_strings),
	   UNIT_TEST(test_qmp_event_name_accepts_only_qmp_names),
	   UNIT_TEST(test_qmp_stop_and_resume_pause_the_vm_clock_and_are_merged),
	   UNIT_TEST(test_actions_wait_for_qmp_then_become_commands),
	   UNIT_TEST(test_ram_size_is_read_as_qemu_reads_dash_m),
	   UNIT_TEST(test_ram_gets_a_shared_memfd_unless_the_user_chose_a_backend),
	   UNIT_TEST(test_shutdown_and_inject_nmi_become_their_qmp_commands),
	   UNIT_TEST(test_dump_goes_through_getfd_and_the_action_waits_for_resume),
	   UNIT_TEST(test_dump_refused_by_qemu_runs_the_action_at_once),
	   UNIT_TEST(test_dump_failed_in_qemu_or_too_slow_never_blocks_the_action),
	   UNIT_TEST(test_dump_never_overwrites_and_later_requests_wait_for_it));
