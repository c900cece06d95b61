/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * libFuzzer harness (issue 15): the QMP monitor's input (core/qmp.c) as a client
 * would send it, fed to qmp_feed() on a VM with a wdt-i6300esb at slot 5.  The
 * input is the raw byte stream.  Checks besides "no crash, no leak, no UB":
 * the output starts with the greeting and is a sequence of "\r\n"-terminated
 * JSON objects, each a reply ({"return"/{"error"), or an event; VM commands go
 * to a stub front end (quit would otherwise end the fuzzer).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "pci_core.h"
#include "qmp.h"

static int stub_vm(void *arg, enum qmp_vm_op op)
{
	(void)op;
	(*(unsigned long *)arg)++;
	return 0;
}

static void check_output(const char *out, size_t n)
{
	const char *p = out, *end = out + n;

	FUZZ_CHECK(n >= 7 && !strncmp(out, "{\"QMP\": ", 8), "no greeting");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		FUZZ_CHECK(nl && nl > p && nl[-1] == '\r', "line without \\r\\n: %.40s", p);
		FUZZ_CHECK(!strncmp(p, "{\"QMP\": ", 8) || !strncmp(p, "{\"return\": ", 11) ||
			   !strncmp(p, "{\"error\": {\"class\": ", 20) ||
			   !strncmp(p, "{\"event\": ", 10), "bad line: %.*s", (int)(nl - p), p);
		FUZZ_CHECK(nl[-2] == '}', "line is not an object: %.*s", (int)(nl - p), p);
		FUZZ_CHECK(!memchr(p, '\0', (size_t)(nl - p)), "NUL in output");
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long calls = 0;
	struct qmp_vm_ops ops = {.vm = stub_vm, .arg = &calls};
	struct fuzz_vm vm;
	int fd = memfd_create("qmp-out", MFD_CLOEXEC);
	char *out;
	off_t n;

	FUZZ_CHECK(fd >= 0, "memfd_create failed");
	FUZZ_CHECK(pci_parse_slot("5,wdt-i6300esb") == 0, "-s 5,wdt-i6300esb refused");
	FUZZ_CHECK(fuzz_vm_start(&vm, 1) == 0, "VM start failed");
	qmp_set_vm_ops(&ops);
	FUZZ_CHECK(qmp_feed(&vm.ctx, (const char *)data, size, fd) == 0, "qmp_feed failed");
	qmp_set_vm_ops(NULL);
	n = lseek(fd, 0, SEEK_END);
	out = malloc((size_t)n + 1);
	FUZZ_CHECK(out && pread(fd, out, (size_t)n, 0) == n, "reading the output failed");
	check_output(out, (size_t)n);
	free(out);
	close(fd);
	fuzz_vm_stop(&vm);
	return 0;
}
