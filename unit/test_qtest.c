/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the qtest front end's parser and reply formats (hv/qtest.c,
 * docs/design.rst §7): each command line gets exactly one reply, malformed lines get
 * FAIL and never end or corrupt the session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "guest_ram.h"
#include "inout.h"
#include "mem.h"
#include "timer.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

static struct vmctx ctx;

static int suite_init(void)
{
	if (timer_core_init(VM_CLOCK_VIRTUAL) || vm_create(&ctx, NULL, 1))
		return -1;
	init_mem();
	return init_inout();
}

static int suite_cleanup(void)
{
	deinit_inout();
	deinit_mem();
	vm_destroy(&ctx);
	timer_core_fini();
	return 0;
}

/* Runs a session on input of len bytes; returns the replies (caller frees). */
static char *session(const char *input, size_t len)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *in = fmemopen((void *)input, len, "r");
	FILE *o = open_memstream(&out, &outlen);

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(qtest_session(&ctx, in, o), 0);
	fclose(in);
	fclose(o);
	return out;
}

static void expect(const char *input, const char *replies)
{
	char *out = session(input, strlen(input));

	CU_ASSERT_STRING_EQUAL(out, replies);
	if (strcmp(out, replies))
		fprintf(stderr, "\n  input:\n%s  got:\n%s  expected:\n%s", input, out, replies);
	free(out);
}

static void test_unclaimed_reads_are_all_ones_in_qemu_formats(void)
{
	expect("inb 0x80\ninw 0x80\ninl 0x80\nreadb 0x1000\nreadw 0x1000\nreadl 0x1000\n"
	       "readq 0x1000\n",
	       "OK 0x00ff\nOK 0xffff\nOK 0xffffffff\nOK 0x00000000000000ff\n"
	       "OK 0x000000000000ffff\nOK 0x00000000ffffffff\nOK 0xffffffffffffffff\n");
}

static void test_writes_answer_ok(void)
{
	expect("outb 0x80 0x1\noutw 0x80 1\noutl 0x80 0xffffffff\nwriteq 0x1000 0x1\n",
	       "OK\nOK\nOK\nOK\n");
}

static void test_malformed_lines_fail_and_session_continues(void)
{
	/* QEMU ignores extra words and lets "-1" wrap; it aborts where we FAIL. */
	expect("frob\ninb\ninb 0x80 0x1\ninb zz\ninb 0x10000\ninq 0x80\nreadx 0x0\n"
	       "outb -1 2\noutb 0x80\nwritel 0x0 12abc\nclock_step x\nclock_step 1x 2\n"
	       "a b c d e f g h\nreadb -1\nread 0x0\nwrite 0x0 1\nmemset 0 1\nset_irq_in ioapic\n"
	       "inb 0x80\n",
	       "FAIL Unknown command 'frob'\nFAIL bad arguments to inb\n"
	       "OK 0x00ff\nFAIL bad arguments to inb\n"
	       "FAIL bad arguments to inb\nFAIL Unknown command 'inq'\n"
	       "FAIL Unknown command 'readx'\nFAIL bad arguments to outb\n"
	       "FAIL bad arguments to outb\nFAIL bad arguments to writel\n"
	       "FAIL bad arguments to clock_step\nFAIL bad arguments to clock_step\n"
	       "FAIL Unknown command 'a'\nOK 0x00000000000000ff\nFAIL bad arguments to read\n"
	       "FAIL bad arguments to write\nFAIL bad arguments to memset\n"
	       "FAIL bad arguments to set_irq_in\nOK 0x00ff\n");
}

static void test_overlong_and_binary_lines_are_rejected_whole(void)
{
	size_t big = (1U << 20) + 10;
	char *in = malloc(big + 64);
	char *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	memset(in, 'x', big);
	memcpy(in + big, "\ninb 0x80\nin\0b 0x80\ninb 0x80", 28);
	out = session(in, big + 28);
	CU_ASSERT_STRING_EQUAL(out, "FAIL line too long or not text\nOK 0x00ff\n"
				    "FAIL line too long or not text\nOK 0x00ff\n");
	free(out);
	free(in);
}

static void test_blank_lines_get_no_reply_and_eof_ends(void)
{
	expect("\n   \n\t\ninb 0x80", "OK 0x00ff\n");
	expect("", "");
}

static void test_clock_step_and_set_report_vm_time(void)
{
	uint64_t now = vm_clock_now_ns();
	char in[128], want[128];

	/* QEMU's clock_set never goes back: it leaves the clock and reports it. */
	snprintf(in, sizeof(in), "clock_step 100\nclock_step\nclock_set %llu\nclock_set 0\n"
		 "clock_step -3\n", (unsigned long long)now + 1000);
	snprintf(want, sizeof(want), "OK %llu\nOK %llu\nOK %llu\nOK %llu\nOK %llu\n",
		 (unsigned long long)now + 100, (unsigned long long)now + 100,
		 (unsigned long long)now + 1000, (unsigned long long)now + 1000,
		 (unsigned long long)now + 1000);
	expect(in, want);
}

static void test_vm_stop_freezes_the_clock_until_vm_cont(void)
{
	uint64_t now = vm_clock_now_ns();
	char in[128], want[128];

	snprintf(in, sizeof(in), "vm_stop\nclock_step 500\nvm_cont\nclock_step 7\n");
	snprintf(want, sizeof(want), "OK\nOK %llu\nOK\nOK %llu\n", (unsigned long long)now,
		 (unsigned long long)now + 7);
	expect(in, want);
	CU_ASSERT_FALSE(vm_clock_paused());
}

static void count_fire(void *param, uint64_t nexp)
{
	(void)nexp;
	(*(int *)param)++;
}

/* A bare clock_step goes exactly to the next deadline and runs it. */
static void test_bare_clock_step_stops_at_the_next_deadline(void)
{
	struct acrn_timer t = {.clockid = CLOCK_MONOTONIC};
	struct itimerspec its = {.it_value = {0, 12345}};
	uint64_t now = vm_clock_now_ns();
	char want[128];
	int fired = 0;

	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&t, count_fire, &fired), 0);
	CU_ASSERT_EQUAL(acrn_timer_settime(&t, &its), 0);
	snprintf(want, sizeof(want), "OK %llu\nOK %llu\n", (unsigned long long)now + 12345,
		 (unsigned long long)now + 12345);
	expect("clock_step\nclock_step\n", want);
	CU_ASSERT_EQUAL(fired, 1);
	acrn_timer_deinit(&t);
}

static void test_clock_set_while_stopped_leaves_the_clock(void)
{
	uint64_t now = vm_clock_now_ns();
	char in[128], want[128];

	snprintf(in, sizeof(in), "vm_stop\nclock_set %llu\nvm_cont\n",
		 (unsigned long long)now + 50);
	snprintf(want, sizeof(want), "OK\nOK %llu\nOK\n", (unsigned long long)now);
	expect(in, want);
}

/* Guest RAM: 1 MiB from 0; the byte commands in QEMU's encodings. */
static void test_guest_ram_byte_commands(void)
{
	CU_ASSERT_EQUAL_FATAL(guest_ram_init(1 << 20), 0);
	expect("writel 0x100 0x11223344\nreadl 0x100\nread 0x100 4\nb64read 0x100 4\n"
	       "b64write 0x200 5 aGVsbG8=\nread 0x200 5\nwrite 0x300 4 0xab\nread 0x300 4\n"
	       "memset 0x400 3 0x1ff\nread 0x3ff 5\nwrite 0 1 x\nread 0xffffe 4\n"
	       "b64read 0x0 0\nendianness\n",
	       "OK\nOK 0x0000000011223344\nOK 0x44332211\nOK RDMiEQ==\nOK\n"
	       "OK 0x68656c6c6f\nOK\nOK 0xab000000\nOK\nOK 0x00ffffff00\n"
	       "ERR invalid argument size\nOK 0x0000ffff\nOK \nOK little\n");
	guest_ram_fini();
	expect("writel 0x100 1\nreadl 0x100\n", "OK\nOK 0x00000000ffffffff\n");
}

static void test_guest_ram_size_parsing(void)
{
	uint64_t b = 0;

	CU_ASSERT_EQUAL(guest_ram_parse_size("128", &b), 0);
	CU_ASSERT_EQUAL(b, 128ULL << 20);
	CU_ASSERT_EQUAL(guest_ram_parse_size("1G", &b), 0);
	CU_ASSERT_EQUAL(b, 1ULL << 30);
	CU_ASSERT_EQUAL(guest_ram_parse_size("size=512k", &b), 0);
	CU_ASSERT_EQUAL(b, 512ULL << 10);
	CU_ASSERT_EQUAL(guest_ram_parse_size("0", &b), -EINVAL);
	CU_ASSERT_EQUAL(guest_ram_parse_size("-1", &b), -EINVAL);
	CU_ASSERT_EQUAL(guest_ram_parse_size("12Q", &b), -EINVAL);
	CU_ASSERT_EQUAL(guest_ram_parse_size("1T", &b), -EINVAL);
	CU_ASSERT_EQUAL(guest_ram_parse_size("99999999999999999999", &b), -EINVAL);
}

/* Only one device's lines at a time, IRQ lines only on a level change, before the reply. */
static void test_irq_intercept_and_set_irq_in(void)
{
	expect("set_irq_in ioapic unnamed-gpio-in 5 1\nirq_intercept_in ioapic\n"
	       "set_irq_in /machine/ioapic unnamed-gpio-in 5 1\n"
	       "set_irq_in ioapic unnamed-gpio-in 5 7\nset_irq_in ioapic unnamed-gpio-in 5 0\n"
	       "set_irq_in ioapic unnamed-gpio-in 24 1\nset_irq_in nosuch x 1 1\n"
	       "irq_intercept_out vcpu-stall\nirq_intercept_in ioapic\n",
	       "OK\nOK\nIRQ raise 5\nOK\nOK\nIRQ lower 5\nOK\nFAIL no such input line\n"
	       "FAIL Unknown device\nFAIL Unknown device\nOK\n");
}

UNIT_SUITE(qtest, suite_init, suite_cleanup,
	   UNIT_TEST(test_unclaimed_reads_are_all_ones_in_qemu_formats),
	   UNIT_TEST(test_writes_answer_ok),
	   UNIT_TEST(test_malformed_lines_fail_and_session_continues),
	   UNIT_TEST(test_overlong_and_binary_lines_are_rejected_whole),
	   UNIT_TEST(test_blank_lines_get_no_reply_and_eof_ends),
	   UNIT_TEST(test_clock_step_and_set_report_vm_time),
	   UNIT_TEST(test_vm_stop_freezes_the_clock_until_vm_cont),
	   UNIT_TEST(test_bare_clock_step_stops_at_the_next_deadline),
	   UNIT_TEST(test_clock_set_while_stopped_leaves_the_clock),
	   UNIT_TEST(test_guest_ram_byte_commands),
	   UNIT_TEST(test_guest_ram_size_parsing),
	   UNIT_TEST(test_irq_intercept_and_set_irq_in));
