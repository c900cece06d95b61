/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * libFuzzer harness 3 (issue 7): the qtest text protocol (docs/design.rst §7) as a
 * peer would send it, fed to qtest_session() through fmemopen() on a VM with
 * a wdt-i6300esb at slot 5 and a 2-vCPU vcpu-stall detector, exactly what
 * `wdt-dm --qtest` serves.  The input is the raw byte stream of lines.
 * Checks besides "no crash, no leak, no UB": every command line gets exactly
 * one reply, each reply is "OK...", "FAIL..." or QEMU's "ERR invalid argument
 * size" and a single line ("IRQ raise|lower N" lines are asynchronous), and the
 * clock invariants hold after the session.  Inputs that step the virtual
 * clock by more than 2^27 ns in total are skipped: a free-running watchdog
 * with preload 0 fires every 960 ns, so huge steps only make the run slow
 * (long steps are covered by fuzz_mmio_stall and by unit tests); so are
 * byte commands (read, write, memset, ...) of more than 64 KiB.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_event.h"
#include "frontend.h"
#include "fuzz.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "vm_clock.h"

#define QTEST_LINE_MAX (1U << 20) /* hv/qtest.c: longer lines are one FAIL */
#define MAX_CLOCK_NS (1ULL << 27)

struct qtest_expect {
	unsigned long commands;
	uint64_t clock_ns;
	bool too_slow;
};

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

#define MAX_DATA_BYTES (1ULL << 16)

/* The SIZE of read/b64read/write/b64write/memset ADDR SIZE ...: above 64 KiB only slow. */
static bool data_too_big(const char *cmd, char **save)
{
	static const char *const cmds[] = {"read", "b64read", "write", "b64write", "memset"};
	char *size;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(cmd, cmds[i]) != 0)
			continue;
		if (!strtok_r(NULL, " \t\r", save) || !(size = strtok_r(NULL, " \t\r", save)))
			return false;
		return strtoull(size, NULL, 0) > MAX_DATA_BYTES;
	}
	return false;
}

/*
 * "clock_step N" / "clock_set N": adds N (as qtest parses it) to the clock
 * budget; byte commands over MAX_DATA_BYTES make the input too slow as well.
 */
static void count_clock(struct qtest_expect *e, const char *line, size_t n)
{
	char buf[128], *save = NULL, *cmd, *arg;
	unsigned long long v;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1; /* the words that matter are at the start */
	memcpy(buf, line, n);
	buf[n] = '\0';
	cmd = strtok_r(buf, " \t\r", &save);
	if (cmd && data_too_big(cmd, &save))
		e->too_slow = true;
	if (!cmd || strncmp(cmd, "clock_s", 7) != 0)
		return;
	arg = strtok_r(NULL, " \t\r", &save);
	if (!arg)
		return;
	v = strtoull(arg, NULL, 0);
	if (v > MAX_CLOCK_NS || e->clock_ns + v > MAX_CLOCK_NS)
		e->too_slow = true;
	else
		e->clock_ns += v;
}

/* What hv/qtest.c must answer: one reply per line that is not blank. */
static void expect_replies(struct qtest_expect *e, const uint8_t *data, size_t size)
{
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i == size && i == start)
			break;
		size_t n = i - start;
		const char *line = (const char *)data + start;

		if (memchr(line, '\0', n) || n >= QTEST_LINE_MAX - 1)
			e->commands++;
		else if (!blank(line, n)) {
			e->commands++;
			count_clock(e, line, n);
		}
		start = i + 1;
	}
}

static void check_replies(const struct qtest_expect *e, const char *out, size_t n, bool quit)
{
	unsigned long replies = 0;
	const char *p = out, *end = out + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		FUZZ_CHECK(nl, "reply without a newline: %.40s", p);
		if (!strncmp(p, "IRQ raise ", 10) || !strncmp(p, "IRQ lower ", 10)) {
			p = nl + 1; /* asynchronous, not a reply */
			continue;
		}
		FUZZ_CHECK(!strncmp(p, "OK", 2) || !strncmp(p, "FAIL", 4) ||
			   !strcmp(p, "ERR invalid argument size\n") ||
			   !strncmp(p, "ERR invalid argument size\n", (size_t)(nl - p) + 1),
			   "bad reply: %.*s", (int)(nl - p), p);
		replies++;
		p = nl + 1;
	}
	FUZZ_CHECK(replies == e->commands || (quit && replies < e->commands),
		   "%lu commands, %lu replies", e->commands, replies);
}

static void shutdown_seen(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	if (strstr(line, "\"event\": \"SHUTDOWN\""))
		*(bool *)arg = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qtest_expect e = {0};
	struct fuzz_vm vm;
	char *out = NULL;
	size_t outlen = 0;
	bool quit = false;
	FILE *in, *o;

	if (size == 0)
		return 0;
	expect_replies(&e, data, size);
	if (e.too_slow)
		return -1; /* keep such inputs out of the corpus */
	FUZZ_CHECK(pci_parse_slot("5,wdt-i6300esb") == 0, "-s 5,wdt-i6300esb refused");
	FUZZ_CHECK(plat_dev_add("vcpu-stall", "vcpus=2,clock=virtual") == 0,
		   "--vcpu-stall refused");
	FUZZ_CHECK(fuzz_vm_start(&vm, 2) == 0, "VM start failed");
	in = fmemopen((void *)data, size, "r");
	o = open_memstream(&out, &outlen);
	FUZZ_CHECK(in && o, "fmemopen/open_memstream failed");
	dm_event_set_sink(shutdown_seen, &quit);
	qtest_session(&vm.ctx, in, o);
	dm_event_set_sink(NULL, NULL);
	fclose(in);
	fclose(o);
	check_replies(&e, out, outlen, quit);
	free(out);
	/* qtest's vm_stop/vm_cont and a pause action are invisible here: allow "now". */
	vm.ever_paused = true;
	fuzz_check_timers(&vm, 2 + 2);
	fuzz_vm_stop(&vm);
	return 0;
}
