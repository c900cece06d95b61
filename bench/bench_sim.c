/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Benchmark of the simulated-vCPU front end (devicemodel/hv/sim.c, issue 6)
 * against the shared timer thread (docs/design.rst §5): 1, 16, 64 and 256 simulated
 * vCPUs run the Linux vcpu_stall_detector sequence at the driver's default
 * rate (f = 10 Hz, t = 8 s: a LOAD_CNT pet every 4 s per vCPU) on an idle
 * guest (load=idle: vCPUs halt between pets), each monitored by vcpu-stall
 * with the cputime clock, for SIM_RUN_S seconds.  The front end runs in this
 * process exactly as wdt-dm's main brings it up.  Printed per run:
 *   - CPU time used by the timer thread ("dm-timer"), read from its thread CPU
 *     clock before and after, as a share of one CPU;
 *   - expiry lateness: the timer core keeps no lateness statistics, so a
 *     probe timer with a 10 ms period shares the timer thread with the
 *     detectors, and each expiry's VM time minus its deadline is recorded
 *     (p50, p99, max).  A run with the probe alone gives the baseline.
 * Then the peak RSS of wdt-dm itself (build/wdt-dm --sim, 1 and 256 vCPUs).
 * Figures only; nothing is asserted.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"
#include "guest_clock.h"
#include "inout.h"
#include "log.h"
#include "mem.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "timer.h"
#include "vm_clock.h"
#include "vmctx.h"

#define SIM_RUN_S 6
#define PROBE_PERIOD_NS 10000000ULL
#define MAX_SAMPLES 4096

SET_DECLARE(dm_frontend_set, struct dm_frontend);

struct probe {
	struct acrn_timer t;
	uint64_t expected, start;
	uint64_t samples[MAX_SAMPLES];
	size_t n;
	uint64_t worst, worst_at; /* the largest lateness and when (ns into the run) */
	uint64_t end_worst;       /* largest lateness while the vCPUs shut down */
};

/* The last 100 ms: 256 vCPU threads woken at once for shutdown compete with the
 * timer thread for 2 CPUs; reported apart from the steady state. */
#define PROBE_STEADY_NS (SIM_RUN_S * 1000000000ULL - 100000000ULL)

static struct probe probe;

static void probe_fire(void *param, uint64_t nexp)
{
	struct probe *p = param;
	uint64_t now = vm_clock_now_ns();

	uint64_t late = now > p->expected ? now - p->expected : 0;

	if (p->expected - p->start >= PROBE_STEADY_NS) {
		if (late > p->end_worst)
			p->end_worst = late;
		p->expected += (nexp ? nexp : 1) * PROBE_PERIOD_NS;
		return;
	}
	if (p->n < MAX_SAMPLES)
		p->samples[p->n++] = late;
	if (late > p->worst) {
		p->worst = late;
		p->worst_at = p->expected - p->start;
	}
	p->expected += (nexp ? nexp : 1) * PROBE_PERIOD_NS;
}

static int probe_start(void)
{
	struct itimerspec its = {
		.it_value = {.tv_nsec = (long)PROBE_PERIOD_NS},
		.it_interval = {.tv_nsec = (long)PROBE_PERIOD_NS},
	};

	probe.n = 0;
	probe.worst = 0;
	probe.end_worst = 0;
	probe.start = vm_clock_now_ns();
	if (acrn_timer_init(&probe.t, probe_fire, &probe) != 0)
		return -1;
	probe.expected = vm_clock_now_ns() + PROBE_PERIOD_NS;
	return acrn_timer_settime(&probe.t, &its);
}

static void probe_stop(void)
{
	acrn_timer_deinit(&probe.t);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double probe_pct_us(double p)
{
	return (double)probe.samples[(size_t)(p * (double)(probe.n - 1))] / 1000.0;
}

/* The timer thread's tid, found by its name; 0 when not found. */
static pid_t timer_tid(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *de;
	pid_t tid = 0;

	while (dir && !tid && (de = readdir(dir)) != NULL) {
		char path[300], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && strncmp(comm, "dm-timer", 8) == 0)
			tid = (pid_t)atoi(de->d_name);
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return tid;
}

static uint64_t thread_cpu_ns(struct guest_clock *gc)
{
	uint64_t ns = 0;

	return guest_clock_read(gc, &ns) == 0 ? ns : 0;
}

static const struct dm_frontend *find_sim(void)
{
	struct dm_frontend **fp;

	SET_FOREACH(fp, dm_frontend_set)
	{
		if (strcmp((*fp)->name, "sim") == 0)
			return *fp;
	}
	return NULL;
}

/* Runs the front end with stdout (its verdict lines) sent to /dev/null. */
static int run_quietly(const struct dm_frontend *fe, struct vmctx *ctx, struct dm_options *o)
{
	int saved, null, rc;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0)
		return fe->run(ctx, o);
	dup2(null, STDOUT_FILENO);
	close(null);
	rc = fe->run(ctx, o);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	return rc;
}

static int devices_up(struct vmctx *ctx)
{
	init_mem();
	if (init_inout() != 0 || init_pci(ctx) != 0 || init_plat_devs(ctx) != 0)
		return -1;
	return 0;
}

static void devices_down(struct vmctx *ctx)
{
	deinit_plat_devs(ctx);
	deinit_pci(ctx);
	deinit_inout();
	deinit_mem();
	plat_devs_clear();
}

/* One measured window: nvcpus == 0 runs the probe alone (sleeping). */
static int measure(const struct dm_frontend *fe, int nvcpus)
{
	char scenario[128];
	struct dm_options o = {.sim = scenario};
	struct guest_clock gc;
	struct vmctx ctx;
	uint64_t cpu0, cpu1;
	int rc = -1;

	snprintf(scenario, sizeof(scenario),
		 "vcpus=%d,duration=%ds,freq=10,timeout=8s,load=idle,quiet", nvcpus ? nvcpus : 1,
		 SIM_RUN_S);
	if (vm_create(&ctx, NULL, 1) != 0 || timer_core_init(VM_CLOCK_REALTIME) != 0)
		return -1;
	if (nvcpus && (fe->prepare(&ctx, &o) != 0 || dm_frontend_add_board(fe) != 0))
		goto out_timer;
	if (devices_up(&ctx) != 0)
		goto out_dev;
	if (guest_clock_open(&gc, GUEST_CLOCK_CPUTIME, 0, 0, timer_tid()) != 0)
		goto out_dev;
	if (probe_start() != 0)
		goto out_clock;
	cpu0 = thread_cpu_ns(&gc);
	if (nvcpus)
		rc = run_quietly(fe, &ctx, &o);
	else
		rc = sleep(SIM_RUN_S) == 0 ? 0 : -1;
	cpu1 = thread_cpu_ns(&gc);
	probe_stop();
	qsort(probe.samples, probe.n, sizeof(probe.samples[0]), cmp_u64);
	printf("%4d vCPUs%s: timer thread %7.3f ms CPU in %d s (%.4f%% of a CPU); "
	       "probe lateness p50 %6.1f us  p99 %6.1f us  max %7.1f us at %.2f s (%zu expiries); "
	       "at shutdown max %.1f us%s\n",
	       nvcpus, nvcpus ? "" : " (probe only)", (double)(cpu1 - cpu0) / 1e6, SIM_RUN_S,
	       (double)(cpu1 - cpu0) / (SIM_RUN_S * 1e9) * 100.0,
	       probe.n ? probe_pct_us(0.5) : 0.0, probe.n ? probe_pct_us(0.99) : 0.0,
	       probe.n ? probe_pct_us(1.0) : 0.0, (double)probe.worst_at / 1e9, probe.n,
	       (double)probe.end_worst / 1e3, rc ? " [sim verdicts failed]" : "");
	rc = 0;
out_clock:
	guest_clock_close(&gc);
out_dev:
	devices_down(&ctx);
out_timer:
	timer_core_fini();
	vm_destroy(&ctx);
	return rc;
}

/* Peak RSS of build/wdt-dm --sim with n idle vCPUs, from its SIM summary line. */
static long wdt_dm_rss_kb(int n)
{
	char exe[4096], cmd[4500], line[256];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	long kb = -1;
	FILE *f;

	if (len <= 0)
		return -1;
	exe[len] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(cmd, sizeof(cmd),
		 "'%s/../wdt-dm' --sim vcpus=%d,duration=2s,freq=10,timeout=8s,load=idle,quiet",
		 exe, n);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "rss_max_kb=");

		if (strncmp(line, "SIM ", 4) == 0 && p)
			kb = atol(p + 11);
	}
	pclose(f);
	return kb;
}

int main(void)
{
	static const int counts[] = {0, 1, 16, 64, 256};
	const struct dm_frontend *fe = find_sim();
	long rss1, rss256;

	log_set_level(LOG_ERROR);
	if (!fe) {
		printf("bench_sim: the sim front end is not linked in\n");
		return 1;
	}
	printf("simulated vCPUs petting at the Linux driver's rate (f=10 Hz, t=8 s: a pet every "
	       "4 s), vcpu-stall clock=cputime, idle guest, %d s per run\n", SIM_RUN_S);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (measure(fe, counts[i]) != 0)
			printf("%4d vCPUs: set-up failed\n", counts[i]);
	rss1 = wdt_dm_rss_kb(1);
	rss256 = wdt_dm_rss_kb(256);
	if (rss1 > 0 && rss256 > 0)
		printf("wdt-dm peak RSS: %ld KiB with 1 vCPU, %ld KiB with 256 vCPUs monitored "
		       "(%.1f KiB per extra vCPU, thread stacks included)\n", rss1, rss256,
		       (double)(rss256 - rss1) / 255.0);
	else
		printf("wdt-dm peak RSS: build/wdt-dm not runnable from here\n");
	return 0;
}
