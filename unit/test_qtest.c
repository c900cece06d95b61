/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the qtest front end's parser and reply formats (hv/qtest.c,
 * docs/design.rst §7): each command line gets exactly one reply, malformed lines get
 * FAIL and never end or corrupt the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
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
	       "OK 0xff\nOK 0xffff\nOK 0xffffffff\nOK 0xff\nOK 0xffff\nOK 0xffffffff\n"
	       "OK 0xffffffffffffffff\n");
}

static void test_writes_answer_ok(void)
{
	expect("outb 0x80 0x1\noutw 0x80 1\noutl 0x80 0xffffffff\nwriteq 0x1000 0x1\n",
	       "OK\nOK\nOK\nOK\n");
}

static void test_malformed_lines_fail_and_session_continues(void)
{
	expect("frob\ninb\ninb 0x80 0x1\ninb zz\ninb 0x10000\ninq 0x80\nreadx 0x0\n"
	       "outb -1 2\noutb 0x80\nwritel 0x0 12abc\nclock_step x\nclock_step 1 2\n"
	       "a b c d e\ninb 0x80\n",
	       "FAIL Unknown command 'frob'\nFAIL bad arguments to inb\n"
	       "FAIL bad arguments to inb\nFAIL bad arguments to inb\n"
	       "FAIL bad arguments to inb\nFAIL bad arguments to inq\n"
	       "FAIL bad arguments to readx\nFAIL bad arguments to outb\n"
	       "FAIL bad arguments to outb\nFAIL bad arguments to writel\n"
	       "FAIL bad arguments to clock_step\nFAIL bad arguments to clock_step\n"
	       "FAIL too many arguments\nOK 0xff\n");
}

static void test_overlong_and_binary_lines_are_rejected_whole(void)
{
	size_t big = 10000;
	char *in = malloc(big + 64);
	char *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	memset(in, 'x', big);
	memcpy(in + big, "\ninb 0x80\nin\0b 0x80\ninb 0x80", 28);
	out = session(in, big + 28);
	CU_ASSERT_STRING_EQUAL(out, "FAIL line too long or not text\nOK 0xff\n"
				    "FAIL line too long or not text\nOK 0xff\n");
	free(out);
	free(in);
}

static void test_blank_lines_get_no_reply_and_eof_ends(void)
{
	expect("\n   \n\t\ninb 0x80", "OK 0xff\n");
	expect("", "");
}

static void test_clock_step_and_set_report_vm_time(void)
{
	uint64_t now = vm_clock_now_ns();
	char in[128], want[128];

	snprintf(in, sizeof(in), "clock_step 100\nclock_step\nclock_set %llu\nclock_set 0\n",
		 (unsigned long long)now + 1000);
	snprintf(want, sizeof(want), "OK %llu\nOK %llu\nOK %llu\nFAIL clock_set to a time in "
		 "the past\n", (unsigned long long)now + 100, (unsigned long long)now + 100,
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

UNIT_SUITE(qtest, suite_init, suite_cleanup,
	   UNIT_TEST(test_unclaimed_reads_are_all_ones_in_qemu_formats),
	   UNIT_TEST(test_writes_answer_ok),
	   UNIT_TEST(test_malformed_lines_fail_and_session_continues),
	   UNIT_TEST(test_overlong_and_binary_lines_are_rejected_whole),
	   UNIT_TEST(test_blank_lines_get_no_reply_and_eof_ends),
	   UNIT_TEST(test_clock_step_and_set_report_vm_time),
	   UNIT_TEST(test_vm_stop_freezes_the_clock_until_vm_cont),
	   UNIT_TEST(test_bare_clock_step_stops_at_the_next_deadline));
