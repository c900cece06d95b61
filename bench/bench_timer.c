/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Benchmark of the shared timer thread (core/vm_clock.c, docs/design.rst section 5):
 * expiry lateness (fire time - deadline, on the VM clock in realtime mode)
 * with 1, 64 and 4096 periodic timers whose periods are spread over
 * 1-10 ms, about 1.5 s each, then the cost of re-arming one timer among
 * 4096 armed ones (the watchdog-kick pattern).  A bare clock_nanosleep()
 * gives the host's own wake-up latency for comparison.  Prints figures only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timer.h"
#include "vm_clock.h"

#define MS 1000000ULL
#define RUN_NS (1500 * MS)
#define MAX_SAMPLES (4U << 20)

struct bench_timer {
	struct acrn_timer t;
	uint64_t expected; /* next deadline on the VM clock */
	uint64_t period;
};

/* Written by the timer thread only; read after every timer is deinit'ed. */
static uint64_t *samples;
static size_t nsamples;
static uint64_t dropped;

static void on_fire(void *param, uint64_t nexp)
{
	struct bench_timer *b = param;
	uint64_t now = vm_clock_now_ns();

	if (nsamples < MAX_SAMPLES)
		samples[nsamples++] = now > b->expected ? now - b->expected : 0;
	else
		dropped++;
	b->expected += nexp * b->period;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double pct_us(double p)
{
	size_t i = (size_t)(p * (double)(nsamples - 1));

	return (double)samples[i] / 1000.0;
}

static int sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC)};
	int rc;

	do
		rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts);
	while (rc == EINTR);
	return -rc;
}

static int arm_all(struct bench_timer *bt, size_t n, unsigned int *seed)
{
	uint64_t start = vm_clock_now_ns() + 2 * MS;

	for (size_t i = 0; i < n; i++) {
		struct itimerspec its;
		uint64_t first;
		int rc;

		bt[i].t.clockid = CLOCK_MONOTONIC;
		rc = acrn_timer_init(&bt[i].t, on_fire, &bt[i]);
		if (rc)
			return rc;
		bt[i].period = 1 * MS + (uint64_t)(rand_r(seed) % 9000) * 1000;
		first = start + (uint64_t)(rand_r(seed) % 10000) * 1000;
		bt[i].expected = first;
		its.it_value.tv_sec = (time_t)(first / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(first % NS_PER_SEC);
		its.it_interval.tv_sec = 0;
		its.it_interval.tv_nsec = (long)bt[i].period;
		rc = acrn_timer_settime_abs(&bt[i].t, &its);
		if (rc)
			return rc;
	}
	return 0;
}

static int run_lateness(size_t n, unsigned int *seed)
{
	struct bench_timer *bt = calloc(n, sizeof(*bt));
	int rc;

	if (!bt)
		return -ENOMEM;
	nsamples = 0;
	dropped = 0;
	rc = arm_all(bt, n, seed);
	if (!rc)
		rc = sleep_ns(RUN_NS);
	for (size_t i = 0; i < n; i++)
		acrn_timer_deinit(&bt[i].t);
	free(bt);
	if (rc)
		return rc;
	if (nsamples == 0) {
		printf("timers=%-5zu no expiry observed\n", n);
		return 0;
	}
	qsort(samples, nsamples, sizeof(*samples), cmp_u64);
	printf("timers=%-5zu expiries=%-8zu (%.0f/s) lateness us: p50=%.1f p99=%.1f max=%.1f%s\n",
	       n, nsamples, (double)nsamples * 1e9 / (double)RUN_NS, pct_us(0.50), pct_us(0.99),
	       pct_us(1.0), dropped ? " (samples dropped)" : "");
	return 0;
}

static void nop_cb(void *param, uint64_t nexp)
{
	(void)param, (void)nexp;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Host baseline: the same measure for a bare clock_nanosleep(TIMER_ABSTIME). */
static int run_baseline(void)
{
	enum { N = 300 };
	uint64_t deadline = mono_now() + MS;
	struct timespec ts;
	int rc;

	nsamples = 0;
	for (int i = 0; i < N; i++, deadline += MS) {
		ts.tv_sec = (time_t)(deadline / NS_PER_SEC);
		ts.tv_nsec = (long)(deadline % NS_PER_SEC);
		do
			rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		while (rc == EINTR);
		if (rc)
			return -rc;
		samples[nsamples++] = mono_now() - deadline;
	}
	qsort(samples, nsamples, sizeof(*samples), cmp_u64);
	printf("baseline clock_nanosleep, 1 ms period: lateness us: p50=%.1f p99=%.1f max=%.1f\n",
	       pct_us(0.50), pct_us(0.99), pct_us(1.0));
	return 0;
}

/* Re-arm cost: push random timers of 4096 far-away ones further out. */
static int run_rearm_cost(unsigned int *seed)
{
	enum { N = 4096, ROUNDS = 1000000 };
	struct acrn_timer *t = calloc(N, sizeof(*t));
	struct itimerspec its = {.it_value = {3600, 0}};
	uint64_t t0, t1;
	int rc = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < N && !rc; i++) {
		rc = acrn_timer_init(&t[i], nop_cb, NULL);
		if (!rc)
			rc = acrn_timer_settime(&t[i], &its);
	}
	t0 = mono_now();
	for (int r = 0; r < ROUNDS && !rc; r++) {
		its.it_value.tv_nsec = rand_r(seed) % 1000000;
		rc = acrn_timer_settime(&t[rand_r(seed) % N], &its);
	}
	t1 = mono_now();
	for (size_t i = 0; i < N; i++)
		acrn_timer_deinit(&t[i]);
	free(t);
	if (!rc)
		printf("re-arm among %d armed timers: %.0f ns per acrn_timer_settime\n", N,
		       (double)(t1 - t0) / ROUNDS);
	return rc;
}

int main(void)
{
	static const size_t counts[] = {1, 64, 4096};
	unsigned int seed = 42;
	int rc;

	log_set_level(LOG_ERROR);
	samples = malloc(MAX_SAMPLES * sizeof(*samples));
	if (!samples)
		return 1;
	rc = timer_core_init(VM_CLOCK_REALTIME);
	if (rc) {
		fprintf(stderr, "bench_timer: timer_core_init: %s\n", strerror(-rc));
		free(samples);
		return 1;
	}
	printf("bench_timer: realtime mode, periodic timers, periods 1-10 ms, %.1f s each\n",
	       (double)RUN_NS / 1e9);
	rc = run_baseline();
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]) && !rc; i++)
		rc = run_lateness(counts[i], &seed);
	if (!rc)
		rc = run_rearm_cost(&seed);
	timer_core_fini();
	free(samples);
	if (rc)
		fprintf(stderr, "bench_timer: %s\n", strerror(-rc));
	return rc ? 1 : 0;
}
