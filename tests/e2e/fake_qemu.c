/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * A fake qemu-system-x86_64 for the e2e test of wdt-dm's QEMU front end
 * (devicemodel/hv/qemu_proxy.c; wire format in docs/design.rst section 9).
 * wdt-dm starts it exactly as it starts QEMU; it picks the proxy and QMP fds
 * out of the appended options, plays QEMU's side of the QMP handshake, then
 * sends good and hostile proxy messages: unknown commands, wrong and oversized
 * payload sizes, out-of-range config offsets and access sizes, unsolicited
 * replies, stray and surplus fds, a header split over several writes.  It
 * checks every reply and that wdt-dm keeps no fd it was given, and exits 0
 * only if every check passed (wdt-dm must then exit 0 too).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../../unit/proxy_peer.h"

enum { SYNC_SYSMEM, RET, CFGWRITE, CFGREAD, BAR_WRITE, BAR_READ, SET_IRQFD, DEVICE_RESET };

#define HDR PROXY_PEER_HDR_SIZE
#define REPLY_TIMEOUT_MS 3000

static int failures;

static void check(bool cond, const char *what)
{
	printf("fake-qemu: %s %s\n", cond ? "ok  " : "FAIL", what);
	failures += !cond;
}

static int fd_after(int argc, char **argv, const char *opt, const char *prefix)
{
	for (int i = 1; i + 1 < argc; i++) {
		const char *p;

		if (strcmp(argv[i], opt) || strncmp(argv[i + 1], prefix, strlen(prefix)))
			continue;
		p = strstr(argv[i + 1], "fd=");
		if (p)
			return atoi(p + 3);
	}
	return -1;
}

/* Sends one message (header + payload) with nfds of fds attached: 0 or -1. */
static int send_msg(int s, int32_t cmd, uint64_t size, const void *payload, size_t plen,
		    const int *fds, int nfds)
{
	ssize_t sent = proxy_peer_send(s, cmd, size, payload, plen, fds, nfds);

	return sent == (ssize_t)(HDR + plen) ? 0 : -1;
}

static int read_full(int s, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {s, POLLIN, 0};
		ssize_t r;

		if (poll(&p, 1, REPLY_TIMEOUT_MS) <= 0)
			return -1;
		r = read(s, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Reads one RET; false if none came or it is not a RET. */
static bool get_ret(int s, uint64_t *val)
{
	uint8_t b[HDR + 8];
	int32_t cmd;
	uint64_t size;

	if (read_full(s, b, HDR))
		return false;
	memcpy(&cmd, b, 4);
	memcpy(&size, b + 8, 8);
	if (cmd != RET || size != 8 || read_full(s, b + HDR, 8))
		return false;
	memcpy(val, b + HDR, 8);
	return true;
}

static bool nothing_pending(int s)
{
	struct pollfd p = {s, POLLIN, 0};

	return poll(&p, 1, 200) == 0;
}

static uint64_t cfg(int s, int32_t cmd, uint32_t addr, uint32_t val, int32_t len,
		    uint64_t size, const int *fds, int nfds, bool *ok)
{
	uint8_t p[12];
	uint64_t r = 0;

	memcpy(p, &addr, 4);
	memcpy(p + 4, &val, 4);
	memcpy(p + 8, &len, 4);
	*ok = !send_msg(s, cmd, size, p, size < 12 ? size : 12, fds, nfds) && get_ret(s, &r);
	return r;
}

static uint64_t bar_read(int s, uint64_t addr, uint32_t size, bool *ok)
{
	uint8_t p[24] = {0};
	uint64_t r = 0;

	memcpy(p, &addr, 8);
	memcpy(p + 16, &size, 4);
	p[20] = 1;
	*ok = !send_msg(s, BAR_READ, 24, p, 24, NULL, 0) && get_ret(s, &r);
	return r;
}

/* QEMU's side of the QMP greeting and capabilities negotiation. */
static bool qmp_handshake(int q)
{
	const char greet[] = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n";
	const char ret[] = "{\"return\": {}}\n";
	char buf[256];
	size_t len = 0;

	if (write(q, greet, sizeof(greet) - 1) < 0)
		return false;
	while (!memchr(buf, '\n', len)) {
		struct pollfd p = {q, POLLIN, 0};
		ssize_t r;

		if (len == sizeof(buf) || poll(&p, 1, REPLY_TIMEOUT_MS) <= 0)
			return false;
		r = read(q, buf + len, sizeof(buf) - len);
		if (r <= 0)
			return false;
		len += (size_t)r;
	}
	if (!memmem(buf, len, "qmp_capabilities", 16))
		return false;
	return write(q, ret, sizeof(ret) - 1) == (ssize_t)(sizeof(ret) - 1);
}

static void test_fds(int s, pid_t dm)
{
	int fds[16], base, ev[2];
	uint8_t sysmem[192] = {0};
	uint64_t v;
	bool ok;

	for (int i = 0; i < 16; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	base = proxy_peer_count_fds(dm);
	send_msg(s, SYNC_SYSMEM, 192, sysmem, 192, fds, 8);
	send_msg(s, SYNC_SYSMEM, 192, sysmem, 192, fds, 16); /* over the limit */
	send_msg(s, SYNC_SYSMEM, 100, sysmem, 100, fds, 3);  /* short payload */
	v = cfg(s, CFGREAD, 0, 0, 2, 12, fds, 3, &ok);         /* stray fds */
	check(ok && v != 0xffff, "config read with stray fds is answered");
	check(proxy_peer_count_fds(dm) == base, "SYNC_SYSMEM and stray fds are all closed");
	ev[0] = eventfd(0, 0);
	ev[1] = eventfd(0, 0);
	send_msg(s, SET_IRQFD, 0, NULL, 0, ev, 1); /* one fd: refused, closed */
	send_msg(s, SET_IRQFD, 0, NULL, 0, ev, 2);
	cfg(s, CFGREAD, 0, 0, 2, 12, NULL, 0, &ok);
	check(ok && proxy_peer_count_fds(dm) == base + 2, "SET_IRQFD keeps exactly its two eventfds");
	for (int i = 0; i < 16; i++)
		close(fds[i]);
	close(ev[0]);
	close(ev[1]);
}

static void test_requests(int s)
{
	uint32_t vendor;
	uint64_t v;
	bool ok;

	vendor = (uint32_t)cfg(s, CFGREAD, 0, 0, 4, 12, NULL, 0, &ok);
	check(ok && vendor != 0xffffffff && vendor != 0, "config read of the IDs");
	v = cfg(s, CFGREAD, 0x1000, 0, 4, 12, NULL, 0, &ok);
	check(ok && (uint32_t)v == 0xffffffff, "config offset 0x1000 reads all-ones");
	v = cfg(s, CFGREAD, 0, 0, 3, 12, NULL, 0, &ok);
	check(ok && (uint32_t)v == 0xffffffff, "config read of 3 bytes reads all-ones");
	v = cfg(s, CFGREAD, 2, 0, 4, 12, NULL, 0, &ok);
	check(ok && (uint32_t)v == 0xffffffff, "misaligned config read reads all-ones");
	cfg(s, CFGWRITE, 0x1000, 0x1234, 4, 12, NULL, 0, &ok);
	check(ok, "config write out of range is answered");
	v = cfg(s, CFGREAD, 0, 0, 4, 8, NULL, 0, &ok);
	check(ok && v == UINT64_MAX, "config read with a short payload gets an all-ones RET");
	v = bar_read(s, 0xdead0000, 4, &ok);
	check(ok && v == 0xffffffff, "BAR read of an unclaimed address reads all-ones");
	v = bar_read(s, 0xdead0000, 16, &ok);
	check(ok && v == UINT64_MAX, "BAR read of 16 bytes is refused");
	ok = !send_msg(s, 42, 0, NULL, 0, NULL, 0) && get_ret(s, &v);
	check(ok && v == UINT64_MAX, "unknown command 42 gets an all-ones RET");
	ok = !send_msg(s, RET, 8, &v, 8, NULL, 0) && nothing_pending(s);
	check(ok, "an unsolicited RET is ignored");
	ok = !send_msg(s, DEVICE_RESET, 0, NULL, 0, NULL, 0) && get_ret(s, &v);
	check(ok, "DEVICE_RESET is answered");
	v = cfg(s, CFGREAD, 0, 0, 4, 12, NULL, 0, &ok);
	check(ok && (uint32_t)v == vendor, "still serving after all of that");
}

/* One CFGREAD written in four pieces with pauses: must be reassembled. */
static void test_split(int s)
{
	uint8_t m[HDR + 12] = {0};
	int32_t cmd = CFGREAD, len = 4;
	uint64_t size = 12, v = 0;
	size_t cuts[] = {0, 3, 11, 20, sizeof(m)};
	bool ok = true;

	memcpy(m, &cmd, 4);
	memcpy(m + 8, &size, 8);
	memcpy(m + HDR + 8, &len, 4);
	for (int i = 0; i + 1 < 5; i++) {
		ok &= write(s, m + cuts[i], cuts[i + 1] - cuts[i]) > 0;
		usleep(50000);
	}
	ok = ok && get_ret(s, &v);
	check(ok && v != 0xffffffff, "a message split over four writes is reassembled");
}

static void test_oversize(int s)
{
	uint8_t junk[64] = {0};
	char c;

	send_msg(s, CFGREAD, 1000, junk, sizeof(junk), NULL, 0);
	check(read_full(s, &c, 1) != 0, "a 1000-byte payload size drops the connection");
}

int main(int argc, char **argv)
{
	int s = fd_after(argc, argv, "-device", "x-pci-proxy-dev");
	int q = fd_after(argc, argv, "-chardev", "socket");
	pid_t dm = getppid();

	/* As QEMU does: a closed peer is a write error, not a death by SIGPIPE. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return 2;
	if (s < 0 || q < 0) {
		fprintf(stderr, "fake-qemu: no proxy or QMP fd in the command line\n");
		return 2;
	}
	check(qmp_handshake(q), "QMP greeting and qmp_capabilities");
	test_fds(s, dm);
	test_requests(s);
	test_split(s);
	test_oversize(s);
	close(s);
	close(q);
	printf("fake-qemu: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
