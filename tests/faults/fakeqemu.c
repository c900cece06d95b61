/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * A misbehaving stand-in for qemu-system-x86_64 for tests/faults/run.sh:
 * wdt-dm execs it with `-device x-pci-proxy-dev,...,fd=N,...` and
 * `-chardev socket,...,fd=M` appended, exactly as it would QEMU.  The first
 * argument picks the misbehaviour:
 *   garbage     sends 64 KiB of random bytes on every proxy socket, closes
 *               them, lingers 1 s, exits 3
 *   killed      does a few proper config reads, then dies by SIGKILL
 *   never-reads sends 20000 config reads without reading a reply, then sleeps
 *   resets      sends DEVICE_RESET and reads the reply, forever (SIGINT test)
 * Like QEMU it ignores SIGPIPE: a write to a socket wdt-dm has closed fails
 * with EPIPE and the misbehaviour stops there, so the process never dies of
 * SIGPIPE (status 141) behind the test's back.
 * Usage (by wdt-dm): fakeqemu MODE [QEMU-style options...]
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SOCKS 16
#define HDR 16

static int socks[MAX_SOCKS];
static int nsocks;

static void find_socks(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++) {
		const char *fd;

		if (strcmp(argv[i], "-device") || strncmp(argv[i + 1], "x-pci-proxy-dev", 15))
			continue;
		fd = strstr(argv[i + 1], ",fd=");
		if (fd && nsocks < MAX_SOCKS)
			socks[nsocks++] = atoi(fd + 4);
	}
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int message(int fd, int32_t cmd, uint32_t addr, int with_payload)
{
	uint8_t m[HDR + 12] = {0};
	uint64_t size = with_payload ? 12 : 0;
	int32_t len = 4;

	memcpy(m, &cmd, 4);
	memcpy(m + 8, &size, 8);
	memcpy(m + HDR, &addr, 4);
	memcpy(m + HDR + 8, &len, 4);
	return send_all(fd, m, HDR + size);
}

static int reply(int fd)
{
	uint8_t r[24];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = read(fd, r + got, sizeof(r) - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		perror("fakeqemu: signal");
		return 2;
	}
	find_socks(argc, argv);
	if (nsocks == 0) {
		fprintf(stderr, "fakeqemu: no x-pci-proxy-dev fd given\n");
		return 2;
	}
	if (!strcmp(mode, "garbage")) {
		char buf[65536];

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (char)(rand() & 0xff);
		for (int i = 0; i < nsocks; i++) {
			send_all(socks[i], buf, sizeof(buf));
			close(socks[i]);
		}
		sleep(1);
		return 3;
	}
	if (!strcmp(mode, "killed")) {
		for (int i = 0; i < 4; i++)
			if (message(socks[0], 3, (uint32_t)i * 2, 1) || reply(socks[0]))
				return 4;
		raise(SIGKILL);
	}
	if (!strcmp(mode, "never-reads")) {
		for (int i = 0; i < 20000; i++)
			if (message(socks[0], 3, 0, 1))
				break;
		for (;;)
			pause();
	}
	if (!strcmp(mode, "resets")) {
		for (;;)
			if (message(socks[0], 7, 0, 0) || reply(socks[0]))
				return 5;
	}
	fprintf(stderr, "fakeqemu: unknown mode %s\n", mode);
	return 2;
}
