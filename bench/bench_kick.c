/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Benchmark of one wdt-i6300esb kick (docs/device.rst §1.3/1.6, issue 3): the Linux
 * ping is three BAR writes -- 0x80 and 0x86 to 0x0C, then 0x0100 to 0x0C --
 * each through mem_access(), the MMIO lookup, the PCI core's BAR handler and
 * the device (its two locks and the unlock state machine).  The last write
 * re-arms the stage-1 timer (acrn_timer_settime: heap update under the timer
 * core's lock).  To show the re-arm's share, the same three writes are timed
 * on a second instance that is not enabled: there the reload is a no-op
 * (docs/device.rst §1.5, "reload while disabled: no effect"), so everything but the
 * re-arm is the same code path.  Both instances run in the same process,
 * interleaved round by round, under the virtual clock (no timer thread) and
 * under the realtime clock (the shared timer thread is up; a kick pushes the
 * deadline later, so the thread is not woken).  Prints figures only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "inout.h"
#include "mem.h"
#include "pci_core.h"
#include "vm_clock.h"
#include "vmctx.h"

#define KICKS_PER_ROUND 200000UL
#define ROUNDS 11
#define SLOT_ARMED 5
#define SLOT_IDLE 6
#define REG_PRELOAD1 0x00
#define REG_PRELOAD2 0x04
#define REG_RELOAD 0x0C
#define CFG_LOCK 0x68
#define LOCK_ENABLE 0x02
#define HEARTBEAT_S 30U

static struct vmctx ctx;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int bar_write(uint64_t addr, int size, uint64_t v)
{
	return mem_access(&ctx, 0, MEM_F_WRITE, addr, size, &v);
}

static int kick(uint64_t bar)
{
	return bar_write(bar + REG_RELOAD, 2, 0x80) | bar_write(bar + REG_RELOAD, 2, 0x86) |
	       bar_write(bar + REG_RELOAD, 2, 0x0100);
}

/* The Linux set_timeout(30) preloads; enable only when asked. */
static int program(int slot, bool enable)
{
	struct pci_vdev *dev = pci_get_vdev(0, slot, 0);
	uint64_t bar = dev->bar[0].addr;
	uint32_t lock = enable ? LOCK_ENABLE : 0;
	int err = 0;

	err |= bar_write(bar + REG_RELOAD, 2, 0x80) | bar_write(bar + REG_RELOAD, 2, 0x86);
	err |= bar_write(bar + REG_PRELOAD1, 4, HEARTBEAT_S << 9);
	err |= bar_write(bar + REG_RELOAD, 2, 0x80) | bar_write(bar + REG_RELOAD, 2, 0x86);
	err |= bar_write(bar + REG_PRELOAD2, 4, HEARTBEAT_S << 9);
	err |= pci_cfg_rw(&ctx, 0, dev, 0, CFG_LOCK, 1, &lock);
	return err;
}

/* ns per kick over one round. */
static double round_ns(int slot)
{
	uint64_t bar = pci_get_vdev(0, slot, 0)->bar[0].addr;
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < KICKS_PER_ROUND; i++)
		if (kick(bar))
			return -1.0;
	return (double)(now_ns() - t0) / KICKS_PER_ROUND;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int setup(enum vm_clock_mode mode)
{
	init_mem();
	if (init_inout() || vm_create(&ctx, NULL, 1) || timer_core_init(mode))
		return -1;
	if (pci_parse_slot("5,wdt-i6300esb,action=none") ||
	    pci_parse_slot("6,wdt-i6300esb,action=none") || init_pci(&ctx))
		return -1;
	if (program(SLOT_ARMED, true) || program(SLOT_IDLE, false))
		return -1;
	return 0;
}

static void teardown(void)
{
	deinit_pci(&ctx);
	pci_slots_clear();
	timer_core_fini();
	vm_destroy(&ctx);
	deinit_inout();
	deinit_mem();
}

static int run(enum vm_clock_mode mode, const char *name)
{
	double armed[ROUNDS], idle[ROUNDS];

	if (setup(mode)) {
		fprintf(stderr, "bench_kick: setup failed\n");
		teardown();
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		armed[r] = round_ns(SLOT_ARMED);
		idle[r] = round_ns(SLOT_IDLE);
		if (armed[r] < 0 || idle[r] < 0) {
			fprintf(stderr, "bench_kick: a BAR write was not claimed\n");
			teardown();
			return 1;
		}
	}
	if (timer_core_armed_count() != 1)
		fprintf(stderr, "bench_kick: expected exactly one armed timer, got %zu\n",
			timer_core_armed_count());
	teardown();
	qsort(armed, ROUNDS, sizeof(armed[0]), cmp_double);
	qsort(idle, ROUNDS, sizeof(idle[0]), cmp_double);
	printf("kick (%s clock), median of %d rounds x %lu kicks:\n", name, ROUNDS,
	       KICKS_PER_ROUND);
	printf("  with timer re-arm    (enabled):  %7.1f ns/kick  (best %.1f)\n",
	       armed[ROUNDS / 2], armed[0]);
	printf("  re-arm stubbed out   (disabled): %7.1f ns/kick  (best %.1f)\n",
	       idle[ROUNDS / 2], idle[0]);
	printf("  re-arm share:                    %7.1f ns/kick  (goal: kick < 2000 ns)\n",
	       armed[ROUNDS / 2] - idle[ROUNDS / 2]);
	return 0;
}

int main(void)
{
	log_set_level(LOG_ERROR);
	return run(VM_CLOCK_VIRTUAL, "virtual") || run(VM_CLOCK_REALTIME, "realtime");
}
