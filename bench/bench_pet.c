/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Benchmark of the vCPU stall detector (hw/platform/vcpu_stall.c, docs/device.rst
 * §2.2, docs/design.rst §5).  Part 1: the cost of one pet, a 4-byte LOAD_CNT write
 * through the MMIO bus including the guest-time read and the timer re-arm,
 * for each guest-time source, measured in the same run in interleaved rounds:
 * procfs with the stat file kept open and pread() (ours), procfs opening,
 * reading and closing the stat file on every pet (crosvm's way), cputime from
 * the thread CPU clock and from the stat file, and monotonic as the floor.
 * The two reads production never does (open+read+close per read, and the
 * stat file of a thread of this process) live here, not in core/guest_clock.c:
 * the device's guest_clock_open() and guest_clock_read() calls are wrapped
 * (the Makefile links this benchmark with -Wl,--wrap for both).
 * Part 2: CPU time of the shared timer thread while 256 vCPUs are petted at
 * 2 Hz (the Linux driver's pattern: 1 s budget, pet every 0.5 s), then while
 * 256 idle vCPUs (guest time not advancing) are re-checked once per budget.
 * The CPU time of the timer thread is read from its own thread CPU clock
 * (guest_clock cputime; it is the only other thread), and cross-checked as
 * process CPU minus the petting thread's CPU.  Realtime clock, about 9 s in
 * all.  Prints figures only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_clock.h"
#include "log.h"
#include "mem.h"
#include "plat_dev.h"
#include "vm_clock.h"
#include "vmctx.h"

#define SEC 1000000000ULL
#define ROUNDS 5
#define PETS_PER_ROUND 10000
#define LOAD_CNT 0x4
#define STATUS 0x0
#define FREQ 0xC
#define NVCPUS 256
#define RUN_NS (5 * SEC / 2)

/* How clocks opened from now on read guest time. */
enum read_way {
	READ_AS_BUILT,     /* production's way */
	READ_REOPEN,       /* procfs: open, read and close the stat file per read (crosvm's) */
	READ_CPUTIME_STAT, /* cputime of a thread of this process from its stat file */
};

struct config {
	const char *label;
	const char *clock;
	enum read_way way;
	uint64_t base;
	double ns[ROUNDS];
};

static struct config configs[] = {
	{"procfs, stat kept open + pread", "procfs", READ_AS_BUILT, 0x10000, {0}},
	{"procfs, open+read+close per pet", "procfs", READ_REOPEN, 0x20000, {0}},
	{"cputime, thread CPU clock", "cputime", READ_AS_BUILT, 0x30000, {0}},
	{"cputime, stat kept open + pread", "cputime", READ_CPUTIME_STAT, 0x40000, {0}},
	{"monotonic (no guest-time read)", "monotonic", READ_AS_BUILT, 0x50000, {0}},
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))
#define MAX_REOPEN 4

static struct vmctx ctx;
static enum read_way open_way;
static const struct guest_clock *reopened[MAX_REOPEN]; /* clocks read the READ_REOPEN way */

int __real_guest_clock_open(struct guest_clock *gc, enum guest_clock_kind kind, int vcpu,
			    pid_t pid, pid_t tid);
int __wrap_guest_clock_open(struct guest_clock *gc, enum guest_clock_kind kind, int vcpu,
			    pid_t pid, pid_t tid);
int __real_guest_clock_read(struct guest_clock *gc, uint64_t *ns);
int __wrap_guest_clock_read(struct guest_clock *gc, uint64_t *ns);

/*
 * READ_CPUTIME_STAT opens the stat file as procfs does and then reads it as
 * cputime (utime + stime); READ_REOPEN keeps no fd between reads.
 */
int __wrap_guest_clock_open(struct guest_clock *gc, enum guest_clock_kind kind, int vcpu,
			    pid_t pid, pid_t tid)
{
	bool stat = open_way == READ_CPUTIME_STAT && kind == GUEST_CLOCK_CPUTIME;
	int rc = __real_guest_clock_open(gc, stat ? GUEST_CLOCK_PROCFS : kind, vcpu, pid, tid);

	if (rc)
		return rc;
	if (stat)
		gc->kind = GUEST_CLOCK_CPUTIME;
	for (int i = 0; open_way == READ_REOPEN && i < MAX_REOPEN; i++) {
		if (!reopened[i]) {
			reopened[i] = gc;
			close(gc->fd);
			gc->fd = -1;
			break;
		}
	}
	return 0;
}

int __wrap_guest_clock_read(struct guest_clock *gc, uint64_t *ns)
{
	int rc;

	for (int i = 0; i < MAX_REOPEN; i++) {
		if (reopened[i] != gc)
			continue;
		gc->fd = open(gc->path, O_RDONLY | O_CLOEXEC);
		if (gc->fd < 0)
			return -errno;
		rc = __real_guest_clock_read(gc, ns);
		close(gc->fd);
		gc->fd = -1;
		return rc;
	}
	return __real_guest_clock_read(gc, ns);
}

static void forget_reopened(void)
{
	memset(reopened, 0, sizeof(reopened));
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static int wr(uint64_t base, int vcpu, uint64_t reg, uint32_t val)
{
	uint64_t v = val;

	return mem_access(&ctx, 0, MEM_F_WRITE, base + (uint64_t)vcpu * 0x10 + reg, 4, &v);
}

static int start_vcpu(uint64_t base, int vcpu, uint32_t freq, uint32_t load)
{
	int rc = wr(base, vcpu, FREQ, freq);

	rc = rc ? rc : wr(base, vcpu, LOAD_CNT, load);
	return rc ? rc : wr(base, vcpu, STATUS, 1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(v[0]), cmp_double);
	return v[ROUNDS / 2];
}

/* The guest-time read alone, both ways, on this thread's stat file. */
static void bench_raw_reads(void)
{
	static const enum read_way ways[2] = {READ_AS_BUILT, READ_REOPEN};
	double ns[2][ROUNDS];
	struct guest_clock gc[2];
	uint64_t g;

	for (int i = 0; i < 2; i++) {
		open_way = ways[i];
		if (guest_clock_open(&gc[i], GUEST_CLOCK_PROCFS, 0, 0, gettid()))
			return;
	}
	open_way = READ_AS_BUILT;
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < 2; i++) {
			uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

			for (int n = 0; n < PETS_PER_ROUND; n++)
				guest_clock_read(&gc[i], &g);
			ns[i][r] = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / PETS_PER_ROUND;
		}
	}
	printf("procfs guest-time read alone: pread %.0f ns, open+read+close %.0f ns\n",
	       median(ns[0]), median(ns[1]));
	guest_clock_close(&gc[0]);
	guest_clock_close(&gc[1]);
	forget_reopened();
}

/* One device per configuration; the clock is opened at the first pet. */
static int add_devices(void)
{
	char opts[128];

	for (size_t i = 0; i < NCONFIGS; i++) {
		snprintf(opts, sizeof(opts), "base=0x%lx,vcpus=1,clock=%s,action=none",
			 (unsigned long)configs[i].base, configs[i].clock);
		if (plat_dev_add("vcpu-stall", opts))
			return -EINVAL;
	}
	return init_plat_devs(&ctx);
}

static int bench_pets(void)
{
	double med[NCONFIGS];
	int rc = add_devices();

	if (rc) {
		fprintf(stderr, "bench_pet: cannot create devices (%d)\n", rc);
		return rc;
	}
	for (size_t i = 0; i < NCONFIGS; i++) {
		open_way = configs[i].way;
		/* 10 Hz, 1000 s: never expires during the run */
		rc = start_vcpu(configs[i].base, 0, 10, 10000);
		if (rc)
			return rc;
	}
	open_way = READ_AS_BUILT;
	for (int r = 0; r < ROUNDS; r++) {
		for (size_t i = 0; i < NCONFIGS; i++) {
			uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

			for (int n = 0; n < PETS_PER_ROUND; n++)
				wr(configs[i].base, 0, LOAD_CNT, 10000);
			configs[i].ns[r] = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / PETS_PER_ROUND;
		}
	}
	printf("cost of one pet (LOAD_CNT write via mem_access, guest-time read, timer re-arm),\n"
	       "median of %d rounds x %d pets, interleaved:\n", ROUNDS, PETS_PER_ROUND);
	for (size_t i = 0; i < NCONFIGS; i++) {
		med[i] = median(configs[i].ns);
		printf("  %-34s %9.0f ns/pet\n", configs[i].label, med[i]);
	}
	printf("  ratio open+read+close / cached pread: %.2fx (goal >= 3x)\n", med[1] / med[0]);
	deinit_plat_devs(&ctx);
	plat_devs_clear();
	forget_reopened();
	bench_raw_reads();
	return 0;
}

/* The timer core's thread: the only other thread of this process. */
static pid_t find_timer_thread(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t found = 0, self = gettid();
	int others = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid > 0 && tid != self) {
			found = tid;
			others++;
		}
	}
	closedir(d);
	return others == 1 ? found : 0;
}

static void sleep_until(uint64_t mono_ns)
{
	struct timespec ts = {(time_t)(mono_ns / SEC), (long)(mono_ns % SEC)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

struct cpu_sample {
	uint64_t wall, process, self, timer;
};

static void sample(struct cpu_sample *s, struct guest_clock *timer_clk)
{
	s->wall = clock_ns(CLOCK_MONOTONIC);
	s->process = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	s->self = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (!timer_clk || guest_clock_read(timer_clk, &s->timer))
		s->timer = 0;
}

static void report(const char *what, const struct cpu_sample *a, const struct cpu_sample *b,
		   unsigned long pets)
{
	double wall = (double)(b->wall - a->wall);

	printf("  %s: %lu pets in %.2f s\n", what, pets, wall / 1e9);
	printf("    timer thread CPU            %8.3f ms  (%.4f%% of one core)\n",
	       (double)(b->timer - a->timer) / 1e6, 100.0 * (double)(b->timer - a->timer) / wall);
	printf("    process CPU - petting thread %7.3f ms\n",
	       (double)((b->process - a->process) - (b->self - a->self)) / 1e6);
	printf("    petting thread CPU          %8.3f ms  (%.0f ns per pet)\n",
	       (double)(b->self - a->self) / 1e6,
	       pets ? (double)(b->self - a->self) / (double)pets : 0.0);
}

/* 256 vCPUs at 2 Hz each: one pet every 1/512 s, round robin. */
static unsigned long pet_for(uint64_t base, uint64_t run_ns)
{
	uint64_t start = clock_ns(CLOCK_MONOTONIC), step = SEC / (2 * NVCPUS);
	unsigned long n = 0;

	for (uint64_t t = start; t < start + run_ns; t += step) {
		sleep_until(t);
		wr(base, (int)(n % NVCPUS), LOAD_CNT, 2);
		n++;
	}
	return n;
}

static int bench_timer_thread(void)
{
	struct guest_clock timer_clk;
	struct cpu_sample a, b;
	bool have_clk;
	unsigned long pets;
	pid_t tt;
	int rc;

	for (int i = 0; i < NVCPUS; i++)
		ctx.vcpu_tid[i] = gettid();
	if (plat_dev_add("vcpu-stall", "vcpus=256,clock=procfs,action=none") ||
	    init_plat_devs(&ctx))
		return -EINVAL;
	tt = find_timer_thread();
	have_clk = tt && guest_clock_open(&timer_clk, GUEST_CLOCK_CPUTIME, 0, 0, tt) == 0;
	if (!have_clk)
		printf("  (timer thread not found: only process-minus-petting is meaningful)\n");
	printf("timer-thread CPU, 256 vCPUs, 2 Hz, 1 s budget (LOAD_CNT 2), clock=procfs:\n");
	for (int i = 0; i < NVCPUS; i++) {
		rc = start_vcpu(0x3000, i, 2, 2);
		if (rc)
			return rc;
	}
	sample(&a, have_clk ? &timer_clk : NULL);
	pets = pet_for(0x3000, RUN_NS);
	sample(&b, have_clk ? &timer_clk : NULL);
	report("petted (no stall)", &a, &b, pets);

	/*
	 * The same vCPUs idle: guest_time stays 0, so each is re-checked once per
	 * budget.  Skip the first budget, whose checks are exact (one wake-up each),
	 * to measure the steady state where re-checks share tick-grid wake-ups.
	 */
	sleep_until(clock_ns(CLOCK_MONOTONIC) + SEC + SEC / 10);
	sample(&a, have_clk ? &timer_clk : NULL);
	sleep_until(a.wall + RUN_NS);
	sample(&b, have_clk ? &timer_clk : NULL);
	report("idle, never stalls (256 re-checks/s, steady state)", &a, &b, 0);
	if (have_clk)
		guest_clock_close(&timer_clk);
	deinit_plat_devs(&ctx);
	plat_devs_clear();
	return 0;
}

int main(void)
{
	int rc;

	log_set_level(LOG_ERROR);
	rc = timer_core_init(VM_CLOCK_REALTIME);
	if (rc) {
		fprintf(stderr, "bench_pet: timer core: %d\n", rc);
		return 1;
	}
	init_mem();
	rc = vm_create(&ctx, NULL, NVCPUS);
	if (rc)
		goto out;
	ctx.vcpu_pid = getpid();
	ctx.vcpu_tid[0] = gettid();
	rc = bench_pets();
	if (!rc)
		rc = bench_timer_thread();
	vm_destroy(&ctx);
out:
	deinit_mem();
	timer_core_fini();
	return rc ? 1 : 0;
}
