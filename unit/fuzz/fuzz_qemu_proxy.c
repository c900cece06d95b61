/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * libFuzzer harness 4 (issue 7): the QEMU x-pci-proxy-dev message stream
 * (docs/design.rst section 9) and QEMU's QMP output, as the QEMU front end
 * receives them.  hv/qemu_proxy.c and hv/qemu_qmp.c keep their message
 * handling static, so this file includes them with hv/qemu.c (the SPDK
 * unit-test pattern, docs/design.rst §8) and drives their real entry points:
 * qemu_fe_open() creates the socketpair of a wdt-i6300esb at
 * slot 5 with BARs unassigned as under QEMU, the harness writes chunks to
 * QEMU's end of it (raw bytes or well-formed messages with any command
 * number, declared size and fd count, split anywhere, with SCM_RIGHTS fds on
 * any chunk) and calls conn_readable() as the poll loop would; QMP lines go
 * through qmp_readable().  Checks besides sanitizers: every reply is one
 * well-formed 24-byte RET, there are never more replies than messages, no fd
 * received from the peer stays open (the fd table is the same before and
 * after each input), and the timer invariants hold.
 */
#include "../../devicemodel/hv/qemu.c"
#include "../../devicemodel/hv/qemu_proxy.c"
#include "../../devicemodel/hv/qemu_qmp.c"
#include "../../devicemodel/hv/qemu_dump.c"
#include "../../devicemodel/hv/qemu_qmp_send.c"

#include "../proxy_peer.h"
#include "fuzz.h"

#define PROXY_MAX_CHUNKS 256
#define PROXY_MAX_SEND_FDS 15
_Static_assert(PROXY_MAX_SEND_FDS <= PROXY_PEER_MAX_FDS, "proxy_peer_sendmsg() takes at most 16 fds");

struct proxy_fuzz {
	struct fuzz_vm vm;
	struct fuzz_in in;
	struct qemu_fe *fe; /* hv/qemu.c's own qfe: INTx and actions look there */
	struct proxy_conn *c;
	bool dead;
	unsigned long sent_msgs; /* upper bound: every 16 bytes could be a header */
	unsigned long replies;
};

/* Sends buf on QEMU's end with nfds fresh eventfds attached (SCM_RIGHTS). */
static void send_chunk(struct proxy_fuzz *f, const void *buf, size_t len, int nfds)
{
	int fds[PROXY_MAX_SEND_FDS];
	int n = 0;

	if (len == 0)
		return; /* a stream socket cannot carry fds without data */
	for (; n < nfds && n < PROXY_MAX_SEND_FDS; n++) {
		fds[n] = eventfd(0, EFD_CLOEXEC);
		FUZZ_CHECK(fds[n] >= 0, "eventfd failed");
	}
	FUZZ_CHECK(proxy_peer_sendmsg(f->c->peer, buf, len, fds, n) == (ssize_t)len,
		   "sendmsg failed");
	for (int i = 0; i < n; i++)
		close(fds[i]);
	f->sent_msgs += len / MPQEMU_HDR_SIZE + 1;
}

/* Reads every reply available on QEMU's end: each must be RET, size 8. */
static void drain_replies(struct proxy_fuzz *f)
{
	uint8_t buf[MPQEMU_HDR_SIZE + MPQEMU_RET_SIZE];
	ssize_t n;

	while ((n = recv(f->c->peer, buf, sizeof(buf), MSG_DONTWAIT | MSG_WAITALL)) > 0) {
		int32_t cmd;
		uint64_t size;

		FUZZ_CHECK(n == (ssize_t)sizeof(buf), "partial reply of %zd bytes", n);
		memcpy(&cmd, buf + MPQEMU_HDR_CMD, sizeof(cmd));
		memcpy(&size, buf + MPQEMU_HDR_LEN, sizeof(size));
		FUZZ_CHECK(cmd == MPQEMU_RET && size == MPQEMU_RET_SIZE,
			   "reply cmd %d size %llu", cmd, (unsigned long long)size);
		f->replies++;
	}
	FUZZ_CHECK(f->replies <= f->sent_msgs, "%lu replies to at most %lu messages", f->replies,
		   f->sent_msgs);
}

static void serve(struct proxy_fuzz *f)
{
	int rc;

	if (f->dead)
		return;
	/* As the poll loop does: serve until EAGAIN, drop the connection on error. */
	rc = conn_readable(f->fe, f->c);
	drain_replies(f);
	if (rc) {
		conn_close(f->c);
		f->dead = true;
	}
}

/* A message with a chosen command, declared size and payload. */
static void chunk_message(struct proxy_fuzz *f, uint8_t h)
{
	static const int32_t cfg_lens[8] = {1, 2, 4, 4, 3, 0, -1, 8};
	static const uint32_t bar_sizes[8] = {1, 2, 4, 8, 4, 3, 0, 16};
	uint8_t msg[MPQEMU_HDR_SIZE + MPQEMU_MAX_PAYLOAD] = {0};
	int32_t cmd = (h & 0x80) ? (int32_t)fz_u32(&f->in) : fz_u8(&f->in) % 10;
	int want = cmd_payload_size(cmd);
	uint64_t size = (h & 0x40) || want < 0 ? fz_u8(&f->in) : (uint64_t)want;
	uint8_t *p = msg + MPQEMU_HDR_SIZE;

	if (cmd == MPQEMU_PCI_CFGWRITE || cmd == MPQEMU_PCI_CFGREAD) {
		uint32_t addr = (h & 0x20) ? fz_u32(&f->in) : fz_u8(&f->in);
		uint32_t val = fz_u32(&f->in);
		int32_t len = cfg_lens[fz_u8(&f->in) & 7];

		memcpy(p + MPQEMU_CFG_ADDR, &addr, sizeof(addr));
		memcpy(p + MPQEMU_CFG_VAL, &val, sizeof(val));
		memcpy(p + MPQEMU_CFG_LEN, &len, sizeof(len));
	} else if (cmd == MPQEMU_BAR_WRITE || cmd == MPQEMU_BAR_READ) {
		uint64_t addr = (h & 0x20) ? fz_u64(&f->in) : 0x80000000ULL + (fz_u8(&f->in) & 0x1f);
		uint64_t val = fz_u32(&f->in);
		uint8_t b = fz_u8(&f->in);
		uint32_t sz = bar_sizes[b & 7];

		memcpy(p + MPQEMU_BAR_ADDR, &addr, sizeof(addr));
		memcpy(p + MPQEMU_BAR_VAL, &val, sizeof(val));
		memcpy(p + MPQEMU_BAR_LEN, &sz, sizeof(sz));
		p[MPQEMU_BAR_MEMORY] = (b & 0x18) != 0x18; /* mostly memory space */
	}
	memcpy(msg + MPQEMU_HDR_CMD, &cmd, sizeof(cmd));
	memcpy(msg + MPQEMU_HDR_LEN, &size, sizeof(size));
	send_chunk(f, msg, MPQEMU_HDR_SIZE + (size <= MPQEMU_MAX_PAYLOAD ? size : 0),
		   (h >> 2) & 7);
}

static void chunk_raw(struct proxy_fuzz *f, uint8_t h)
{
	uint8_t buf[256];
	size_t len = fz_u8(&f->in);

	for (size_t i = 0; i < len; i++)
		buf[i] = fz_u8(&f->in);
	send_chunk(f, buf, len, (h >> 2) & 0xf);
}

/* One line (or part of one) of QMP output from "QEMU". */
static void chunk_qmp(struct proxy_fuzz *f)
{
	char buf[256], sink[1024];
	size_t len = fz_u8(&f->in);

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)fz_u8(&f->in);
	if (f->fe->qmp < 0 || len == 0)
		return;
	FUZZ_CHECK(send(f->fe->qmp_peer, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "QMP send");
	qmp_readable(f->fe);
	while (recv(f->fe->qmp_peer, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		; /* the commands wdt-dm sent back */
}

static void proxy_chunk(struct proxy_fuzz *f)
{
	uint8_t h = fz_u8(&f->in);

	switch (h & 3) {
	case 0:
		if (!f->dead)
			chunk_raw(f, h);
		serve(f);
		break;
	case 1:
		if (!f->dead)
			chunk_message(f, h);
		serve(f);
		break;
	case 2:
		if (h & 4)
			vm_clock_step_next();
		else
			vm_clock_step((uint64_t)fz_u16(&f->in) << 12);
		break;
	case 3:
		chunk_qmp(f);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proxy_fuzz f;
	int fds0 = proxy_peer_count_fds(0), fds1, rc;

	memset(&f, 0, sizeof(f));
	f.in = (struct fuzz_in){data, size};
	memset(&qfe, 0, sizeof(qfe));
	qfe.sigfd = qfe.evfd = qfe.qmp = qfe.qmp_peer = -1;
	f.fe = &qfe;
	FUZZ_CHECK(pci_parse_slot("5,wdt-i6300esb") == 0, "-s 5,wdt-i6300esb refused");
	FUZZ_CHECK(fuzz_vm_start_unassigned(&f.vm, 1) == 0, "VM start failed");
	rc = qemu_fe_open(f.fe, &f.vm.ctx);
	FUZZ_CHECK(rc == 0 && f.fe->nconns == 1, "qemu_fe_open: %d, %d connections", rc,
		   f.fe->nconns);
	f.fe->spin_ns = 0; /* no busy-wait for the next message: nothing else will come */
	f.c = &f.fe->conns[0];
	for (int i = 0; i < PROXY_MAX_CHUNKS && !fz_done(&f.in) && !f.vm.poweroff; i++) {
		proxy_chunk(&f);
		fuzz_check_timers(&f.vm, 2);
	}
	qemu_fe_close(f.fe);
	fuzz_vm_stop(&f.vm);
	fds1 = proxy_peer_count_fds(0);
	FUZZ_CHECK(fds1 == fds0, "%d fds open after the input, %d before", fds1, fds0);
	return 0;
}
