/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Benchmark of MMIO dispatch (docs/design.rst §4): nanoseconds per mem_access()
 * read that goes through validation, the rwlock, the one-entry cache or the
 * binary search, and a trivial handler.  Measured with 1 and with 64
 * registered ranges, hitting one range (cache-friendly, a driver polling one
 * register) and walking all of them (every lookup misses the cache).
 * Prints figures only; never asserts timings.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "mem.h"

#define BENCH_BASE 0xc0000000ULL
#define BENCH_STRIDE 0x1000ULL
#define BENCH_ITERS 4000000UL

static int trivial_handler(struct vmctx *ctx, int vcpu, int dir, uint64_t addr, int size,
			   uint64_t *val, void *arg1, long arg2)
{
	(void)ctx, (void)vcpu, (void)dir, (void)size, (void)arg1;
	*val = addr + (uint64_t)arg2;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int register_ranges(int n)
{
	deinit_mem();
	init_mem();
	for (int i = 0; i < n; i++) {
		struct mem_range r = {"bench", MEM_F_RW, trivial_handler, NULL, i,
				      BENCH_BASE + (uint64_t)i * BENCH_STRIDE, 0x100};
		int err = register_mem(&r);

		if (err)
			return err;
	}
	return 0;
}

/* Reads spread over `spread` ranges (1: always the same one). */
static int run(int nranges, int spread)
{
	volatile uint64_t sink = 0;
	uint64_t t0, t1, v;
	int err = register_ranges(nranges);

	if (err) {
		fprintf(stderr, "bench_mmio: register failed: %d\n", err);
		return 1;
	}
	t0 = now_ns();
	for (unsigned long i = 0; i < BENCH_ITERS; i++) {
		uint64_t a = BENCH_BASE + (uint64_t)(i % (unsigned long)spread) * BENCH_STRIDE + 8;

		if (mem_access(NULL, 0, MEM_F_READ, a, 4, &v) != 0)
			return 1;
		sink += v;
	}
	t1 = now_ns();
	printf("mem_access read, %2d ranges, %s: %.1f ns/access (%lu accesses)\n", nranges,
	       spread == 1 ? "same range  " : "all in turn ", (double)(t1 - t0) / BENCH_ITERS,
	       BENCH_ITERS);
	(void)sink;
	return 0;
}

int main(void)
{
	int rc = run(1, 1) || run(64, 1) || run(64, 64);

	deinit_mem();
	return rc;
}
