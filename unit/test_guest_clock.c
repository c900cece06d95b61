/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the guest-time sources (core/guest_clock.c, docs/device.rst §2.2):
 * /proc/<pid>/task/<tid>/stat parsing against synthetic lines (names with
 * spaces and parentheses, short lines, garbage, exited tasks), against this
 * process's own threads and a spinning child process, the thread CPU clock, a
 * thread that exits, and the virtual clock's per-vCPU rate on the virtual VM
 * clock.  No sleeps: CPU time is produced by spinning.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_clock.h"
#include "helpers.h"
#include "unit.h"
#include "vm_clock.h"

#define SEC 1000000000ULL

static int suite_init(void)
{
	if (timer_core_init(VM_CLOCK_VIRTUAL) != 0)
		return -1;
	guest_clock_virtual_reset();
	return 0;
}

static int suite_cleanup(void)
{
	timer_core_fini();
	return 0;
}

/*
 * A stat line for a thread called name: field n (n >= 4) holds n * 10, except
 * utime (14), stime (15) and guest_time (43); nfields counts from field 1.
 */
static int make_stat(char *buf, size_t n, const char *name, char state, unsigned long utime,
		     unsigned long stime, unsigned long guest, int nfields)
{
	int len = snprintf(buf, n, "4242 (%s) %c", name, state);

	for (int f = 4; f <= nfields && len > 0 && (size_t)len < n; f++) {
		unsigned long v = f == 14 ? utime : f == 15 ? stime : f == 43 ? guest : f * 10UL;

		/* a few fields are negative in real lines (priority, nice) */
		if (f == 18 || f == 19)
			len += snprintf(buf + len, n - (size_t)len, " -%lu", v);
		else
			len += snprintf(buf + len, n - (size_t)len, " %lu", v);
	}
	if (len > 0 && (size_t)len < n - 1)
		len += snprintf(buf + len, n - (size_t)len, "\n");
	return len;
}

static int parse(const char *buf, enum guest_clock_kind kind, uint64_t *ticks)
{
	return guest_clock_parse_stat(buf, strlen(buf), kind, ticks);
}

static void test_stat_line_fields_are_counted_after_the_name(void)
{
	char buf[1024];
	uint64_t t = 0;

	make_stat(buf, sizeof(buf), "qemu-system-x86", 'R', 150, 25, 777, 52);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_PROCFS, &t), 0);
	CU_ASSERT_EQUAL(t, 777);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_CPUTIME, &t), 0);
	CU_ASSERT_EQUAL(t, 175);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_MONOTONIC, &t), -EINVAL);
}

static void test_thread_names_with_spaces_and_parentheses_are_harmless(void)
{
	static const char *const names[] = {"CPU 0/KVM", "a) b (c", ") 1 2 3 4 5", "((()))",
					    "x) R 9 9 9 9 9 9 9 9 9 9 9 99999 99999 (", ""};
	char buf[1024];
	uint64_t t;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		make_stat(buf, sizeof(buf), names[i], 'S', 11, 22, 33, 52);
		t = 0;
		CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_PROCFS, &t), 0);
		CU_ASSERT_EQUAL(t, 33);
		CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_CPUTIME, &t), 0);
		CU_ASSERT_EQUAL(t, 33);
	}
}

static void test_short_lines_are_rejected_per_kind(void)
{
	char buf[1024];
	uint64_t t = 99;

	/* up to field 42: no guest_time, but utime and stime are there */
	make_stat(buf, sizeof(buf), "vcpu", 'R', 5, 6, 7, 42);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_PROCFS, &t), -EINVAL);
	CU_ASSERT_EQUAL(t, 99);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_CPUTIME, &t), 0);
	CU_ASSERT_EQUAL(t, 11);
	make_stat(buf, sizeof(buf), "vcpu", 'R', 5, 6, 7, 14);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_CPUTIME, &t), -EINVAL);
	/* a length shorter than the string: only len bytes count */
	make_stat(buf, sizeof(buf), "vcpu", 'R', 5, 6, 7, 52);
	CU_ASSERT_EQUAL(guest_clock_parse_stat(buf, 30, GUEST_CLOCK_CPUTIME, &t), -EINVAL);
	CU_ASSERT_EQUAL(guest_clock_parse_stat(buf, 0, GUEST_CLOCK_CPUTIME, &t), -EINVAL);
}

static void test_garbage_is_rejected_never_trusted(void)
{
	static const char *const junk[] = {
		"",
		"no parenthesis at all",
		"12 (name",
		"12 name) R 1",
		"12 (name)R 1 2 3 4 5 6 7 8 9 10 11 12 13",
		"12 (name)",
		"12 (n) R 1 2 3 4 5 6 7 8 9 10 abc 12 13 14",
		"12 (n) R 1 2 3 4 5 6 7 8 9 10 -5 12 13 14",
		"12 (n) R 1 2 3 4 5 6 7 8 9 10 99999999999999999999999 1 13 14",
		"12 (n) R 1 2 3 4 5 6 7 8 9 10 18446744073709551615 1 13 14",
		"12 (n) R 1 2 3 4 5 6 7 8 9 10 0x10 1 13 14",
	};
	const char bin[] = "1 (x) R 1 2 3 4 5 6 7 8 9 10 1\0002 3 4";
	uint64_t t = 42;

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		CU_ASSERT_EQUAL(parse(junk[i], GUEST_CLOCK_CPUTIME, &t), -EINVAL);
		CU_ASSERT_EQUAL(parse(junk[i], GUEST_CLOCK_PROCFS, &t), -EINVAL);
	}
	CU_ASSERT_EQUAL(guest_clock_parse_stat(bin, sizeof(bin) - 1, GUEST_CLOCK_CPUTIME, &t),
			-EINVAL);
	CU_ASSERT_EQUAL(guest_clock_parse_stat(NULL, 10, GUEST_CLOCK_CPUTIME, &t), -EINVAL);
	CU_ASSERT_EQUAL(t, 42);
}

static void test_exited_task_states_read_as_gone(void)
{
	char buf[1024];
	uint64_t t;

	make_stat(buf, sizeof(buf), "vcpu", 'Z', 5, 6, 7, 52);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_PROCFS, &t), -ESRCH);
	make_stat(buf, sizeof(buf), "vcpu", 'X', 5, 6, 7, 52);
	CU_ASSERT_EQUAL(parse(buf, GUEST_CLOCK_CPUTIME, &t), -ESRCH);
}

static void test_kind_names_round_trip(void)
{
	static const char *const names[] = {"procfs", "cputime", "monotonic", "virtual"};
	enum guest_clock_kind k;

	for (size_t i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL_FATAL(guest_clock_kind_parse(names[i], &k), 0);
		CU_ASSERT_STRING_EQUAL(guest_clock_kind_name(k), names[i]);
	}
	CU_ASSERT_EQUAL(guest_clock_kind_parse("Procfs", &k), -EINVAL);
	CU_ASSERT_EQUAL(guest_clock_kind_parse(NULL, &k), -EINVAL);
	CU_ASSERT_STRING_EQUAL(guest_clock_kind_name((enum guest_clock_kind)99), "unknown");
}

/* Burn this thread's CPU until its clock moved by at least ns (bounded). */
static bool spin_until_advanced(struct guest_clock *gc, uint64_t from, uint64_t ns)
{
	volatile uint64_t sink = 0;
	uint64_t now = from;

	for (long i = 0; i < 200000000L; i++) {
		sink += (uint64_t)i;
		if ((i & 0xFFFF) == 0 && guest_clock_read(gc, &now) == 0 && now >= from + ns)
			return true;
	}
	return false;
}

static void test_cputime_of_this_thread_grows_while_it_spins(void)
{
	struct guest_clock gc;
	uint64_t a = 0, b = 0;

	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&gc, GUEST_CLOCK_CPUTIME, 0, 0, gettid()), 0);
	CU_ASSERT_TRUE(gc.use_cpuclock); /* in-process: the thread CPU clock */
	CU_ASSERT_EQUAL(guest_clock_resolution_ns(&gc), 1);
	CU_ASSERT_EQUAL(guest_clock_read(&gc, &a), 0);
	CU_ASSERT_TRUE(spin_until_advanced(&gc, a, 1000000));
	CU_ASSERT_EQUAL(guest_clock_read(&gc, &b), 0);
	CU_ASSERT_TRUE(a > 0);
	CU_ASSERT_TRUE(b >= a + 1000000);
	guest_clock_close(&gc);
}

/* Another process's thread (QEMU's TCG vCPUs): cputime comes from its stat file, in ticks. */
static void test_cputime_of_another_process_counts_stat_file_ticks(void)
{
	struct guest_clock gc;
	uint64_t a = 0, b = 0, tick;
	pid_t child = fork();

	CU_ASSERT_FATAL(child >= 0);
	if (child == 0)
		for (volatile unsigned long spin = 0;; spin++)
			;
	/* No fatal assertion until the child is gone. */
	CU_ASSERT_EQUAL(guest_clock_open(&gc, GUEST_CLOCK_CPUTIME, 0, child, child), 0);
	CU_ASSERT_FALSE(gc.use_cpuclock);
	CU_ASSERT_TRUE(gc.fd >= 0);
	tick = guest_clock_resolution_ns(&gc);
	CU_ASSERT_EQUAL(tick, SEC / (uint64_t)sysconf(_SC_CLK_TCK));
	CU_ASSERT_EQUAL(guest_clock_read(&gc, &a), 0);
	CU_ASSERT_TRUE(spin_until_advanced(&gc, a, 2 * tick));
	CU_ASSERT_EQUAL(guest_clock_read(&gc, &b), 0);
	CU_ASSERT_TRUE(b > 0);
	CU_ASSERT_EQUAL(b % tick, 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	guest_clock_close(&gc);
	CU_ASSERT_EQUAL(gc.fd, -1);
}

static void test_procfs_reads_this_process_threads_stat_file(void)
{
	struct guest_clock gc;
	uint64_t a = 1;

	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&gc, GUEST_CLOCK_PROCFS, 0, 0, gettid()), 0);
	CU_ASSERT_TRUE(gc.fd >= 0);
	/* no KVM here: this thread never ran in guest mode */
	CU_ASSERT_EQUAL(guest_clock_read(&gc, &a), 0);
	CU_ASSERT_EQUAL(a % gc.ns_per_tick, 0);
	guest_clock_close(&gc);
}

static void test_thread_that_exits_reads_as_gone_on_every_source(void)
{
	struct guest_clock procfs, cpu;
	struct idle_thread t;
	uint64_t ns;
	pid_t tid;

	tid = idle_thread_start(&t);
	CU_ASSERT_FATAL(tid > 0);

	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&procfs, GUEST_CLOCK_PROCFS, 0, 0, tid), 0);
	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&cpu, GUEST_CLOCK_CPUTIME, 0, 0, tid), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&procfs, &ns), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&cpu, &ns), 0);

	CU_ASSERT_TRUE_FATAL(idle_thread_stop(&t));

	CU_ASSERT_EQUAL(guest_clock_read(&procfs, &ns), -ESRCH);
	CU_ASSERT_EQUAL(guest_clock_read(&cpu, &ns), -ESRCH);
	guest_clock_close(&procfs);
	guest_clock_close(&cpu);
	CU_ASSERT_EQUAL(guest_clock_open(&procfs, GUEST_CLOCK_PROCFS, 0, 0, tid), -ESRCH);
	CU_ASSERT_EQUAL(guest_clock_open(&procfs, GUEST_CLOCK_PROCFS, 0, 0, 0), -ESRCH);
	CU_ASSERT_EQUAL(guest_clock_open(&procfs, GUEST_CLOCK_CPUTIME, 0, 0, -5), -ESRCH);
	guest_clock_close(&procfs);
}

/*
 * A fake /proc: procfs guest time that stands still while the thread burns
 * GUEST_CLOCK_STUCK_CPU_NS of CPU reads as -ENODATA from then on; one that
 * moved once, or a thread that does not run, is trusted; cputime never asks.
 */
static void test_procfs_guest_time_that_cannot_advance_reads_as_enodata(void)
{
	struct guest_clock stuck, moving, idle, cpu;
	struct fake_proc fp;
	unsigned long limit;
	uint64_t ns = 1;

	CU_ASSERT_EQUAL_FATAL(fake_proc_init(&fp), 0);
	CU_ASSERT_EQUAL_FATAL(fake_proc_stat(&fp, 4242, 1, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(fake_proc_stat(&fp, 4242, 2, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(fake_proc_stat(&fp, 4242, 3, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&stuck, GUEST_CLOCK_PROCFS, 0, 4242, 1), 0);
	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&moving, GUEST_CLOCK_PROCFS, 1, 4242, 2), 0);
	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&idle, GUEST_CLOCK_PROCFS, 2, 4242, 3), 0);
	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&cpu, GUEST_CLOCK_CPUTIME, 0, 4242, 1), 0);
	limit = (unsigned long)(GUEST_CLOCK_STUCK_CPU_NS / stuck.ns_per_tick);
	CU_ASSERT_EQUAL(guest_clock_read(&stuck, &ns), 0);
	CU_ASSERT_EQUAL(ns, 0);
	CU_ASSERT_EQUAL(guest_clock_read(&moving, &ns), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&idle, &ns), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&cpu, &ns), 0);
	/* one tick short of the limit: still trusted */
	fake_proc_stat(&fp, 4242, 1, limit - 1, 0);
	fake_proc_stat(&fp, 4242, 2, 1, 1);
	CU_ASSERT_EQUAL(guest_clock_read(&stuck, &ns), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&moving, &ns), 0);
	CU_ASSERT_EQUAL(ns, moving.ns_per_tick);
	/* at the limit: the guest time cannot advance; and it stays so */
	fake_proc_stat(&fp, 4242, 1, limit, 0);
	fake_proc_stat(&fp, 4242, 2, 10 * limit, 1);
	CU_ASSERT_EQUAL(guest_clock_read(&stuck, &ns), -ENODATA);
	fake_proc_stat(&fp, 4242, 1, limit + 1, 5);
	CU_ASSERT_EQUAL(guest_clock_read(&stuck, &ns), -ENODATA);
	/* moved once: a KVM vCPU busy in the host for a while is still trusted */
	CU_ASSERT_EQUAL(guest_clock_read(&moving, &ns), 0);
	CU_ASSERT_EQUAL(ns, moving.ns_per_tick);
	/* a thread that does not run proves nothing either way */
	CU_ASSERT_EQUAL(guest_clock_read(&idle, &ns), 0);
	/* cputime counts the CPU time itself */
	CU_ASSERT_EQUAL(guest_clock_read(&cpu, &ns), 0);
	CU_ASSERT_EQUAL(ns, (limit + 1) * cpu.ns_per_tick);
	guest_clock_close(&stuck);
	guest_clock_close(&moving);
	guest_clock_close(&idle);
	guest_clock_close(&cpu);
	fake_proc_fini(&fp);
}

static void test_virtual_clock_runs_at_each_vcpus_rate(void)
{
	struct guest_clock a, b;
	uint64_t ga0, gb0, ga, gb;

	guest_clock_virtual_reset();
	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&a, GUEST_CLOCK_VIRTUAL, 0, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&b, GUEST_CLOCK_VIRTUAL, 255, 0, 0), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&a, &ga0), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&b, &gb0), 0);
	vm_clock_step(SEC);
	CU_ASSERT_EQUAL(guest_clock_read(&a, &ga), 0);
	CU_ASSERT_EQUAL(ga - ga0, SEC);
	/* starved: wall time passes, guest time does not */
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(255, 0), 0);
	vm_clock_step(100 * SEC);
	CU_ASSERT_EQUAL(guest_clock_read(&b, &gb), 0);
	CU_ASSERT_EQUAL(gb - gb0, SEC);
	/* half speed, read in odd steps: no ns lost to rounding */
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(255, GUEST_CLOCK_RATE_FULL / 2), 0);
	for (int i = 0; i < 1000; i++) {
		vm_clock_step(3);
		CU_ASSERT_EQUAL(guest_clock_read(&b, &gb), 0);
	}
	CU_ASSERT_EQUAL(gb - gb0, SEC + 1500);
	CU_ASSERT_EQUAL(guest_clock_read(&a, &ga), 0);
	CU_ASSERT_EQUAL(ga - ga0, 101 * SEC + 3000);
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(0, GUEST_CLOCK_RATE_FULL + 1), -EINVAL);
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(256, 0), -EINVAL);
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(-1, 0), -EINVAL);
	CU_ASSERT_EQUAL(guest_clock_open(&a, GUEST_CLOCK_VIRTUAL, 256, 0, 0), -EINVAL);
	guest_clock_close(&a);
	guest_clock_close(&b);
	guest_clock_virtual_reset();
}

static void test_monotonic_is_vm_time_and_stops_while_paused(void)
{
	struct guest_clock gc;
	uint64_t a, b;

	CU_ASSERT_EQUAL_FATAL(guest_clock_open(&gc, GUEST_CLOCK_MONOTONIC, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(guest_clock_read(&gc, &a), 0);
	CU_ASSERT_EQUAL(a, vm_clock_now_ns());
	vm_clock_pause();
	vm_clock_step(5 * SEC);
	vm_clock_resume();
	vm_clock_step(SEC);
	CU_ASSERT_EQUAL(guest_clock_read(&gc, &b), 0);
	CU_ASSERT_EQUAL(b - a, SEC);
	guest_clock_close(&gc);
}

UNIT_SUITE(guest_clock, suite_init, suite_cleanup,
	   UNIT_TEST(test_stat_line_fields_are_counted_after_the_name),
	   UNIT_TEST(test_thread_names_with_spaces_and_parentheses_are_harmless),
	   UNIT_TEST(test_short_lines_are_rejected_per_kind),
	   UNIT_TEST(test_garbage_is_rejected_never_trusted),
	   UNIT_TEST(test_exited_task_states_read_as_gone),
	   UNIT_TEST(test_kind_names_round_trip),
	   UNIT_TEST(test_cputime_of_this_thread_grows_while_it_spins),
	   UNIT_TEST(test_cputime_of_another_process_counts_stat_file_ticks),
	   UNIT_TEST(test_procfs_reads_this_process_threads_stat_file),
	   UNIT_TEST(test_thread_that_exits_reads_as_gone_on_every_source),
	   UNIT_TEST(test_procfs_guest_time_that_cannot_advance_reads_as_enodata),
	   UNIT_TEST(test_virtual_clock_runs_at_each_vcpus_rate),
	   UNIT_TEST(test_monotonic_is_vm_time_and_stops_while_paused));
