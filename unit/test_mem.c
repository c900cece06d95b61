/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the MMIO range registry (core/mem.c, docs/design.rst §4): the bus
 * refuses zero-length, wrapping and overlapping ranges (table-driven, as
 * cloud-hypervisor's bus tests), validates access sizes, rejects accesses
 * that straddle a range end, and answers unclaimed reads with all-ones.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include "mem.h"
#include "unit.h"

#define BASE 0x10000ULL
#define SIZE 0x1000ULL

struct mem_probe {
	int calls;
	int dir, size;
	uint64_t addr, val;
	long arg2;
};

static int probe_handler(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size,
			 uint64_t *val, void *arg1, long arg2)
{
	struct mem_probe *p = arg1;

	(void)ctx, (void)vcpu;
	p->calls++;
	p->dir = dir;
	p->addr = addr;
	p->size = size;
	p->arg2 = arg2;
	if (dir == MEM_F_READ)
		*val = 0x1122334455667788ULL;
	else
		p->val = *val;
	return 0;
}

static struct mem_probe probe;

static struct mem_range mk(uint64_t base, uint64_t size)
{
	return (struct mem_range){"t", MEM_F_RW, probe_handler, &probe, 7, base, size};
}

static int suite_init(void)
{
	init_mem();
	return 0;
}

static int suite_cleanup(void)
{
	deinit_mem();
	return 0;
}

static void reset_bus(void)
{
	deinit_mem();
	init_mem();
	probe = (struct mem_probe){0};
}

static void test_overlapping_ranges_are_refused(void)
{
	static const struct {
		const char *what;
		uint64_t base, size;
		int want;
	} cases[] = {
		{"exact overlap", BASE, SIZE, -EEXIST},
		{"partial overlap of the start", BASE - 0x10, 0x20, -EEXIST},
		{"partial overlap of the end", BASE + SIZE - 0x10, 0x20, -EEXIST},
		{"contained", BASE + 0x100, 0x10, -EEXIST},
		{"containing", BASE - 0x100, SIZE + 0x200, -EEXIST},
		{"last byte only", BASE + SIZE - 1, 1, -EEXIST},
		{"first byte only", BASE - 0xf, 0x10, -EEXIST},
		{"adjacent below", BASE - 0x10, 0x10, 0},
		{"adjacent above", BASE + SIZE, 0x10, 0},
		{"zero length", 0x50000, 0, -EINVAL},
		{"wraps the address space", ~0ULL - 0xf, 0x20, -EINVAL},
		{"ends exactly at the top", ~0ULL - 0xf, 0x10, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem_range base = mk(BASE, SIZE);
		struct mem_range r = mk(cases[i].base, cases[i].size);

		reset_bus();
		CU_ASSERT_EQUAL_FATAL(register_mem(&base), 0);
		if (register_mem(&r) != cases[i].want)
			CU_FAIL(cases[i].what);
	}
	reset_bus();
}

static void test_range_without_handler_is_refused(void)
{
	struct mem_range r = mk(BASE, SIZE);

	reset_bus();
	r.handler = NULL;
	CU_ASSERT_EQUAL(register_mem(&r), -EINVAL);
	CU_ASSERT_EQUAL(register_mem(NULL), -EINVAL);
}

static void test_register_copies_the_struct(void)
{
	struct mem_range r = mk(BASE, SIZE);
	uint64_t v = 0;

	reset_bus();
	CU_ASSERT_EQUAL_FATAL(register_mem(&r), 0);
	r.base = 0x999000; /* caller's copy changes; the bus must not care */
	r.handler = NULL;
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE, 4, &v), 0);
	CU_ASSERT_EQUAL(probe.calls, 1);
}

static void test_handler_gets_absolute_address_and_args(void)
{
	struct mem_range r = mk(BASE, SIZE);
	uint64_t v = 0xabcd;

	reset_bus();
	CU_ASSERT_EQUAL_FATAL(register_mem(&r), 0);
	CU_ASSERT_EQUAL(mem_access(NULL, 3, MEM_F_WRITE, BASE + 0x10, 2, &v), 0);
	CU_ASSERT_EQUAL(probe.addr, BASE + 0x10);
	CU_ASSERT_EQUAL(probe.size, 2);
	CU_ASSERT_EQUAL(probe.dir, MEM_F_WRITE);
	CU_ASSERT_EQUAL(probe.val, 0xabcd);
	CU_ASSERT_EQUAL(probe.arg2, 7);
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE + SIZE - 8, 8, &v), 0);
	CU_ASSERT_EQUAL(v, 0x1122334455667788ULL);
}

/* The handler reads 8 bytes' worth and is written high junk: the bus keeps the width. */
static void test_values_are_masked_to_the_access_width(void)
{
	static const int sizes[] = {1, 2, 4, 8};
	static const uint64_t read[] = {0x88, 0x7788, 0x55667788, 0x1122334455667788ULL};
	static const uint64_t written[] = {0xa5, 0xa5a5, 0xa5a5a5a5, 0xa5a5a5a5a5a5a5a5ULL};
	struct mem_range r = mk(BASE, SIZE);

	reset_bus();
	CU_ASSERT_EQUAL_FATAL(register_mem(&r), 0);
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0xa5a5a5a5a5a5a5a5ULL;

		CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE, sizes[i], &v), 0);
		CU_ASSERT_EQUAL(v, read[i]);
		v = 0xa5a5a5a5a5a5a5a5ULL;
		CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_WRITE, BASE, sizes[i], &v), 0);
		CU_ASSERT_EQUAL(probe.val, written[i]);
	}
}

static void test_unclaimed_read_is_all_ones(void)
{
	static const int sizes[] = {1, 2, 4, 8};
	static const uint64_t ones[] = {0xff, 0xffff, 0xffffffff, ~0ULL};

	reset_bus();
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;

		CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, 0x1234560, sizes[i], &v), -ESRCH);
		CU_ASSERT_EQUAL(v, ones[i]);
	}
	CU_ASSERT_EQUAL(probe.calls, 0);
}

static void test_bad_sizes_never_reach_the_handler(void)
{
	static const int bad[] = {0, 3, 5, 6, 7, 16, -1};
	struct mem_range r = mk(BASE, SIZE);

	reset_bus();
	CU_ASSERT_EQUAL_FATAL(register_mem(&r), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 0;

		CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE, bad[i], &v), -EINVAL);
		CU_ASSERT_EQUAL(v, ~0ULL);
	}
	CU_ASSERT_EQUAL(probe.calls, 0);
}

static void test_straddling_access_is_rejected(void)
{
	struct mem_range r = mk(BASE, SIZE);
	struct mem_range next = mk(BASE + SIZE, SIZE);
	uint64_t v = 0;

	reset_bus();
	CU_ASSERT_EQUAL_FATAL(register_mem(&r), 0);
	/* over the end into unclaimed space */
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE + SIZE - 2, 4, &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 0xffffffffULL);
	/* from unclaimed space into the range */
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE - 2, 4, &v), -EINVAL);
	/* over the boundary between two adjacent ranges */
	CU_ASSERT_EQUAL_FATAL(register_mem(&next), 0);
	v = 5;
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_WRITE, BASE + SIZE - 4, 8, &v), -EINVAL);
	/* over the top of the address space */
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, ~0ULL - 1, 4, &v), -EINVAL);
	CU_ASSERT_EQUAL(probe.calls, 0);
}

static void test_unregister_makes_range_unclaimed(void)
{
	struct mem_range r = mk(BASE, SIZE);
	uint64_t v = 0;

	reset_bus();
	CU_ASSERT_EQUAL_FATAL(register_mem(&r), 0);
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE + 4, 4, &v), 0); /* warm cache */
	CU_ASSERT_EQUAL(unregister_mem(&r), 0);
	CU_ASSERT_EQUAL(mem_access(NULL, 0, MEM_F_READ, BASE + 4, 4, &v), -ESRCH);
	CU_ASSERT_EQUAL(v, 0xffffffffULL);
	CU_ASSERT_EQUAL(unregister_mem(&r), -ENOENT);
	CU_ASSERT_EQUAL(probe.calls, 1);
}

static void test_lookup_finds_every_one_of_many_ranges(void)
{
	struct mem_range r;
	uint64_t v;
	int ok = 1;

	reset_bus();
	/* registered out of order so the sorted insert is exercised */
	for (int i = 0; i < 64; i++) {
		r = mk(BASE + (uint64_t)((i * 37) % 64) * 0x100, 0x80);
		r.arg2 = (i * 37) % 64;
		CU_ASSERT_EQUAL_FATAL(register_mem(&r), 0);
	}
	for (int i = 0; i < 64 && ok; i++) {
		uint64_t at = BASE + (uint64_t)i * 0x100;

		ok &= mem_access(NULL, 0, MEM_F_READ, at + 0x40, 4, &v) == 0;
		ok &= probe.arg2 == i;
		/* the gap after each range stays unclaimed */
		ok &= mem_access(NULL, 0, MEM_F_READ, at + 0x80, 4, &v) == -ESRCH;
	}
	CU_ASSERT(ok);
}

static int const_handler(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size,
			 uint64_t *val, void *arg1, long arg2)
{
	(void)ctx, (void)vcpu, (void)size, (void)arg1;
	if (dir == MEM_F_READ)
		*val = addr + (uint64_t)arg2;
	return 0;
}

struct reader_ctx {
	int done;
	unsigned long reads, bad;
};

/* A vCPU reading two ranges while the other one comes and goes. */
static void *reader(void *arg)
{
	struct reader_ctx *rc = arg;

	for (int n = 0; n < 20000; n++) {
		for (uint64_t a = BASE; a <= BASE + SIZE; a += SIZE) {
			uint64_t v = 0;
			int err = mem_access(NULL, 1, MEM_F_READ, a + 8, 4, &v);

			if (!(err == 0 && v == a + 8 + 1) && !(err == -ESRCH && v == 0xffffffff))
				rc->bad++;
			rc->reads++;
		}
	}
	__atomic_store_n(&rc->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_concurrent_reads_survive_register_churn(void)
{
	struct mem_range stable = {"s", MEM_F_RW, const_handler, NULL, 1, BASE, SIZE};
	struct mem_range churn = {"c", MEM_F_RW, const_handler, NULL, 1, BASE + SIZE, SIZE};
	struct reader_ctx rc[2] = {{0}, {0}};
	pthread_t th[2];
	int errs = 0;

	reset_bus();
	CU_ASSERT_EQUAL_FATAL(register_mem(&stable), 0);
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, reader, &rc[i]), 0);
	/* churn for as long as the readers read: no timing assumptions */
	while (!__atomic_load_n(&rc[0].done, __ATOMIC_ACQUIRE) ||
	       !__atomic_load_n(&rc[1].done, __ATOMIC_ACQUIRE)) {
		errs += register_mem(&churn) != 0;
		errs += unregister_mem(&churn) != 0;
	}
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(pthread_join(th[i], NULL), 0);
		CU_ASSERT_EQUAL(rc[i].bad, 0);
		CU_ASSERT(rc[i].reads > 0);
	}
	CU_ASSERT_EQUAL(errs, 0);
	reset_bus();
}

UNIT_SUITE(mem, suite_init, suite_cleanup, UNIT_TEST(test_overlapping_ranges_are_refused),
	   UNIT_TEST(test_range_without_handler_is_refused),
	   UNIT_TEST(test_register_copies_the_struct),
	   UNIT_TEST(test_handler_gets_absolute_address_and_args),
	   UNIT_TEST(test_values_are_masked_to_the_access_width),
	   UNIT_TEST(test_unclaimed_read_is_all_ones),
	   UNIT_TEST(test_bad_sizes_never_reach_the_handler),
	   UNIT_TEST(test_straddling_access_is_rejected),
	   UNIT_TEST(test_unregister_makes_range_unclaimed),
	   UNIT_TEST(test_lookup_finds_every_one_of_many_ranges),
	   UNIT_TEST(test_concurrent_reads_survive_register_churn));
