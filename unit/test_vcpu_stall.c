/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the vCPU stall detector (hw/platform/vcpu_stall.c, docs/device.rst
 * §2), driven through the platform table and the MMIO bus as a guest would,
 * on the virtual VM clock with virtual guest clocks whose per-vCPU rate
 * models running (1), half-speed and host-starved (0) vCPUs.  Boundaries are
 * checked 1 ns before and at each deadline.  The procfs tests use real
 * threads of this process, one of which exits; the slot == vCPU count test
 * makes its first accesses in a child process, so that a broken bound check
 * fails an assertion instead of crashing the suite.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dm_event.h"
#include "frontend.h"
#include "guest_clock.h"
#include "helpers.h"
#include "log.h"
#include "mem.h"
#include "plat_dev.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

#define BASE 0x3000ULL
#define REG_STATUS 0x0
#define REG_LOAD 0x4
#define REG_CURRENT 0x8
#define REG_FREQ 0xC
#define SEC 1000000000ULL
#define MS 1000000ULL
/* The Linux driver's defaults: 10 Hz, 8 s, pet every 4 s. */
#define LNX_FREQ 10
#define LNX_TIMEOUT 8
#define LNX_BUDGET (LNX_TIMEOUT * SEC)

static struct vmctx ctx;

static struct {
	int interrupts[VM_MAX_VCPUS];
	int resets[VM_MAX_VCPUS];
	int stopped[VM_MAX_VCPUS];
	int irqs[VM_MAX_VCPUS];
	int total_interrupts, total_resets, total_stopped, watchdogs;
	char last[512];
	char last_stopped[512];
} ev;

static int line_int(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? atoi(p + strlen(key)) : -1;
}

static void capture(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	int vcpu = line_int(line, "\"vcpu\": ");

	(void)arg;
	if (strstr(line, "\"WATCHDOG\""))
		ev.watchdogs++;
	if (vcpu < 0 || vcpu >= VM_MAX_VCPUS)
		return;
	if (strstr(line, "\"VCPU_STALL_DETECTOR_STOPPED\"")) {
		ev.stopped[vcpu]++;
		ev.total_stopped++;
		snprintf(ev.last_stopped, sizeof(ev.last_stopped), "%s", line);
		return;
	}
	if (!strstr(line, "\"VCPU_STALL\""))
		return;
	snprintf(ev.last, sizeof(ev.last), "%s", line);
	if (strstr(line, "\"stage\": \"interrupt\"")) {
		ev.interrupts[vcpu]++;
		ev.total_interrupts++;
	} else if (strstr(line, "\"stage\": \"reset\"")) {
		ev.resets[vcpu]++;
		ev.total_resets++;
	}
}

/* Rising edges of the detector's per-vCPU lines. */
static void fe_plat_irq(struct vmctx *c, const char *dev, int line, int level)
{
	(void)c;
	if (strcmp(dev, "vcpu-stall") == 0 && level && line >= 0 && line < VM_MAX_VCPUS)
		ev.irqs[line]++;
}

static const struct vm_fe_ops test_fe = {.plat_irq = fe_plat_irq};

static int suite_init(void)
{
	if (timer_core_init(VM_CLOCK_VIRTUAL) != 0)
		return -1;
	init_mem();
	if (vm_create(&ctx, NULL, 4) != 0)
		return -1;
	ctx.fe = &test_fe;
	dm_event_set_sink(capture, NULL);
	return 0;
}

static int suite_cleanup(void)
{
	deinit_plat_devs(&ctx);
	plat_devs_clear();
	dm_event_set_sink(NULL, NULL);
	vm_destroy(&ctx);
	deinit_mem();
	timer_core_fini();
	return 0;
}

static void drain_actions(void)
{
	struct vm_action_req req;

	while (vm_action_take(&ctx, &req))
		;
}

/* Runs fn(opts) with stderr silenced: option errors print one line each. */
static int quiet_init(const char *opts)
{
	int saved = unit_stderr_mute(), rc;

	rc = plat_dev_add("vcpu-stall", opts);
	if (rc == 0)
		rc = init_plat_devs(&ctx);
	unit_stderr_restore(saved);
	return rc;
}

static void teardown(void)
{
	deinit_plat_devs(&ctx);
	plat_devs_clear();
	drain_actions();
	ctx.vcpu_pid = 0;
	memset(ctx.vcpu_tid, 0, sizeof(ctx.vcpu_tid));
}

static void setup(const char *opts)
{
	teardown();
	memset(&ev, 0, sizeof(ev));
	guest_clock_virtual_reset();
	CU_ASSERT_EQUAL_FATAL(plat_dev_add("vcpu-stall", opts), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
}

static void wr(int vcpu, uint64_t reg, uint32_t val)
{
	uint64_t v = val;

	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_WRITE, BASE + (uint64_t)vcpu * 0x10 + reg, 4,
				   &v), 0);
}

static uint32_t rd(int vcpu, uint64_t reg)
{
	uint64_t v = 0xdeadbeef;

	CU_ASSERT_EQUAL(mem_access(&ctx, 0, MEM_F_READ, BASE + (uint64_t)vcpu * 0x10 + reg, 4, &v),
			0);
	return (uint32_t)v;
}

static void access_sized(int dir, uint64_t off, int size, uint64_t *v)
{
	CU_ASSERT_EQUAL(mem_access(&ctx, 0, dir, BASE + off, size, v), 0);
}

/* The Linux driver's per-CPU start: freq, LOAD_CNT = f * t, STATUS = 1. */
static void linux_start(int vcpu)
{
	wr(vcpu, REG_FREQ, LNX_FREQ);
	wr(vcpu, REG_LOAD, LNX_FREQ * LNX_TIMEOUT);
	wr(vcpu, REG_STATUS, 1);
}

static void linux_pet(int vcpu)
{
	wr(vcpu, REG_LOAD, LNX_FREQ * LNX_TIMEOUT);
}

static void test_linux_sequence_keeps_a_vcpu_alive_forever(void)
{
	setup("vcpus=4,clock=virtual");
	linux_start(0);
	/* 2000 pets every t/2: over 2 hours of virtual run time */
	for (int i = 0; i < 2000; i++) {
		vm_clock_step(LNX_BUDGET / 2);
		linux_pet(0);
	}
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	CU_ASSERT_EQUAL(ev.irqs[0], 0);
	CU_ASSERT_EQUAL(rd(0, REG_STATUS), 1);
	CU_ASSERT_EQUAL(rd(0, REG_LOAD), LNX_FREQ * LNX_TIMEOUT);
	CU_ASSERT_EQUAL(rd(0, REG_FREQ), LNX_FREQ);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), LNX_FREQ * LNX_TIMEOUT);
	teardown();
}

static void test_stop_petting_interrupts_at_budget_then_resets_one_budget_later(void)
{
	struct vm_action_req req;

	setup("vcpus=4,clock=virtual");
	linux_start(1);
	vm_clock_step(LNX_BUDGET - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[1], 1);
	CU_ASSERT_EQUAL(ev.irqs[1], 1);
	CU_ASSERT_EQUAL(line_int(ev.last, "\"guest_ms\": "), 8000);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	CU_ASSERT_FALSE(vm_action_take(&ctx, &req));

	vm_clock_step(LNX_BUDGET - 1);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.resets[1], 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 1);
	CU_ASSERT_EQUAL(ev.irqs[1], 1);
	CU_ASSERT_EQUAL(line_int(ev.last, "\"guest_ms\": "), 16000);
	CU_ASSERT_EQUAL(ev.watchdogs, 1);
	CU_ASSERT_TRUE_FATAL(vm_action_take(&ctx, &req));
	CU_ASSERT_EQUAL(req.action, DM_WDT_ACTION_RESET);
	CU_ASSERT_STRING_EQUAL(req.device, "vcpu-stall");
	CU_ASSERT_STRING_EQUAL(req.id, "1");
	/* nothing more until a pet */
	vm_clock_step(100 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts + ev.total_resets, 2);
	teardown();
}

static void test_pet_after_interrupt_returns_to_the_first_stage(void)
{
	setup("vcpus=2,clock=virtual,action=none");
	linux_start(0);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	vm_clock_step(LNX_BUDGET / 2);
	linux_pet(0);
	vm_clock_step(LNX_BUDGET - 1);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 2);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	CU_ASSERT_EQUAL(line_int(ev.last, "\"guest_ms\": "), 8000);
	teardown();
}

static void test_starved_vcpu_never_stalls_however_long(void)
{
	uint64_t deadline;

	setup("vcpus=2,clock=virtual");
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(0, 0), 0);
	linux_start(0);
	vm_clock_step(1000000ULL * SEC); /* 11.5 days of wall time, no run time */
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), LNX_FREQ * LNX_TIMEOUT);
	/* the detector still watches: no busy loop, but one re-check pending */
	CU_ASSERT_TRUE(vm_clock_next_deadline(&deadline));
	CU_ASSERT_TRUE(deadline - vm_clock_now_ns() <= LNX_BUDGET + SEC / LNX_FREQ);
	/* once it runs again, a full budget of run time stalls it */
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(0, GUEST_CLOCK_RATE_FULL), 0);
	vm_clock_step(LNX_BUDGET - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(2 * SEC / LNX_FREQ + 1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

static void test_idle_vcpus_are_rechecked_together_on_the_tick_grid(void)
{
	uint64_t d1, d2;

	const uint64_t tick = SEC / LNX_FREQ;

	setup("vcpus=3,clock=virtual");
	/* start 1 ms past a tick boundary: the pets below share one grid slot */
	CU_ASSERT_EQUAL(vm_clock_set((vm_clock_now_ns() / tick + 1) * tick + MS), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(i, 0), 0);
		linux_start(i);
		vm_clock_step(i * 7 * MS + 3); /* pets at scattered times */
	}
	vm_clock_step(LNX_BUDGET + SEC / LNX_FREQ); /* each did its first check */
	CU_ASSERT_TRUE_FATAL(vm_clock_next_deadline(&d1));
	CU_ASSERT_EQUAL(d1 % tick, 0);
	vm_clock_step_next();
	CU_ASSERT_TRUE_FATAL(vm_clock_next_deadline(&d2));
	/* all three ran at d1: the next wake-up is a budget later */
	CU_ASSERT_EQUAL(d2 - d1, LNX_BUDGET);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 3);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	teardown();
}

static void test_half_speed_vcpu_stalls_after_twice_the_wall_time(void)
{
	setup("vcpus=2,clock=virtual");
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(1, GUEST_CLOCK_RATE_FULL / 2), 0);
	linux_start(0);
	linux_start(1);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	CU_ASSERT_EQUAL(ev.interrupts[1], 0);
	vm_clock_step(LNX_BUDGET - 1); /* 2 x budget - 1 ns of wall time */
	CU_ASSERT_EQUAL(ev.interrupts[1], 0);
	/* a vCPU that ran part of the time is caught at most two ticks late */
	vm_clock_step(2 * SEC / LNX_FREQ + 1);
	CU_ASSERT_EQUAL(ev.interrupts[1], 1);
	CU_ASSERT_EQUAL(ev.irqs[1], 1);
	teardown();
}

static void test_freq_zero_never_divides_and_keeps_the_detector_inactive(void)
{
	setup("vcpus=2,clock=virtual");
	wr(0, REG_STATUS, 1);
	wr(0, REG_LOAD, 80);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 0);
	CU_ASSERT_EQUAL(rd(0, REG_STATUS), 1);
	CU_ASSERT_EQUAL(rd(0, REG_LOAD), 80);
	vm_clock_step(1000 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	/* a frequency alone does not start it: the next LOAD_CNT does */
	wr(0, REG_FREQ, LNX_FREQ);
	vm_clock_step(1000 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 0);
	linux_pet(0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 80);
	vm_clock_step(LNX_BUDGET / 2);
	/* frequency back to 0 while counting: inactive again */
	wr(0, REG_FREQ, 0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 0);
	vm_clock_step(1000 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	teardown();
}

static void test_freq_above_1000_hz_still_detects(void)
{
	setup("vcpus=2,clock=virtual");
	wr(0, REG_FREQ, 1000000);
	wr(0, REG_LOAD, 8000000);
	wr(0, REG_STATUS, 1);
	/* the highest frequency: 1 tick is a fraction of a ns, rounded up to 1 */
	wr(1, REG_FREQ, 0xFFFFFFFF);
	wr(1, REG_LOAD, 1);
	wr(1, REG_STATUS, 1);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[1], 1);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.resets[1], 1);
	vm_clock_step(LNX_BUDGET - 3);
	CU_ASSERT_EQUAL(ev.interrupts[0], 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

static void test_load_cnt_zero_means_one_tick_not_disarmed(void)
{
	setup("vcpus=1,clock=virtual");
	wr(0, REG_FREQ, LNX_FREQ);
	wr(0, REG_LOAD, 0);
	wr(0, REG_STATUS, 1);
	CU_ASSERT_EQUAL(rd(0, REG_LOAD), 0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 1);
	vm_clock_step(SEC / LNX_FREQ - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	vm_clock_step(SEC / LNX_FREQ);
	CU_ASSERT_EQUAL(ev.resets[0], 1);
	teardown();
}

static void test_slot_index_at_and_beyond_vcpu_count_is_ignored(void)
{
	uint64_t v;

	setup("vcpus=2,clock=virtual");
	linux_start(0);
	/* slot 2 == count (crosvm panics here), and the last slot of the window */
	wr(2, REG_FREQ, LNX_FREQ);
	wr(2, REG_LOAD, 1);
	wr(2, REG_STATUS, 1);
	wr(255, REG_STATUS, 1);
	CU_ASSERT_EQUAL(rd(2, REG_FREQ), 0);
	CU_ASSERT_EQUAL(rd(2, REG_STATUS), 0);
	CU_ASSERT_EQUAL(rd(255, REG_STATUS), 0);
	v = 0x1234;
	access_sized(MEM_F_READ, 0xFFC, 4, &v);
	CU_ASSERT_EQUAL(v, 0);
	vm_clock_step(LNX_BUDGET - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

static void test_narrow_wide_and_unaligned_accesses_are_ignored(void)
{
	static const struct {
		uint64_t off;
		int size;
	} bad[] = {{REG_LOAD, 1}, {REG_LOAD, 2}, {REG_LOAD - 4, 8}, {REG_LOAD + 1, 1},
		   {REG_LOAD + 2, 2}, {0x6, 2}, {0x2, 4}, {0x5, 1}, {0x10 + REG_STATUS, 8}};
	uint64_t v;

	setup("vcpus=2,clock=virtual");
	wr(0, REG_FREQ, LNX_FREQ);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 0xFFFFFFFFFFFFFFFFULL;
		access_sized(MEM_F_WRITE, bad[i].off, bad[i].size, &v);
		v = 0x55;
		access_sized(MEM_F_READ, bad[i].off, bad[i].size, &v);
		CU_ASSERT_EQUAL(v, 0);
	}
	CU_ASSERT_EQUAL(rd(0, REG_LOAD), 0);
	CU_ASSERT_EQUAL(rd(0, REG_STATUS), 0);
	CU_ASSERT_EQUAL(rd(1, REG_STATUS), 0);
	CU_ASSERT_EQUAL(rd(0, REG_FREQ), LNX_FREQ);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	teardown();
}

static void test_current_cnt_counts_down_rounded_up_and_ignores_writes(void)
{
	setup("vcpus=1,clock=virtual");
	linux_start(0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 80);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 80); /* 79.99999999 ticks left */
	vm_clock_step(SEC / LNX_FREQ - 1);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 79);
	wr(0, REG_CURRENT, 5);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 79);
	CU_ASSERT_EQUAL(rd(0, REG_LOAD), 80);
	vm_clock_step(SEC * 7 + SEC / 2);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 4);
	vm_clock_step(SEC * 3 / 10);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 1);
	vm_clock_step(SEC / LNX_FREQ);
	/* barked: the second budget counts from full again */
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 80);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.resets[0], 1);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 0);
	teardown();
}

static void test_256_vcpus_petted_and_stalled_independently(void)
{
	int odd_irqs = 0, even_events = 0;

	setup("vcpus=256,clock=virtual,action=none");
	for (int i = 0; i < 256; i++)
		linux_start(i);
	for (int round = 0; round < 4; round++) {
		vm_clock_step(LNX_BUDGET / 2);
		for (int i = 0; i < 256; i += 2)
			linux_pet(i); /* odd vCPUs stopped petting at the start */
	}
	for (int i = 0; i < 256; i++) {
		if (i & 1)
			odd_irqs += ev.irqs[i] == 1 && ev.interrupts[i] == 1 && ev.resets[i] == 1;
		else
			even_events += ev.irqs[i] + ev.interrupts[i] + ev.resets[i];
	}
	CU_ASSERT_EQUAL(odd_irqs, 128);
	CU_ASSERT_EQUAL(even_events, 0);
	CU_ASSERT_EQUAL(ev.total_resets, 128);
	CU_ASSERT_EQUAL(rd(255, REG_STATUS), 1);
	CU_ASSERT_EQUAL(rd(254, REG_CURRENT), 80);
	teardown();
}

static void test_vm_reset_disables_every_detector(void)
{
	setup("vcpus=4,clock=virtual");
	for (int i = 0; i < 4; i++)
		linux_start(i);
	vm_clock_step(LNX_BUDGET / 2);
	vm_reset(&ctx, "host");
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(rd(i, REG_STATUS), 0);
		CU_ASSERT_EQUAL(rd(i, REG_LOAD), 0);
		CU_ASSERT_EQUAL(rd(i, REG_FREQ), 0);
		CU_ASSERT_EQUAL(rd(i, REG_CURRENT), 0);
	}
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	vm_clock_step(1000 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	/* the rebooted guest's driver starts it again */
	linux_start(2);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[2], 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 1);
	teardown();
}

/*
 * ACRN's reset: deinit then init of the device (dm_persist keeps the blocks).
 * The new instance starts at power-on, with nothing armed, and a vCPU count
 * that changed at the same base gets slots of its own.
 */
static void test_deinit_init_at_the_same_base_starts_from_power_on(void)
{
	setup("vcpus=2,clock=virtual");
	linux_start(0);
	linux_start(1);
	vm_clock_step(LNX_BUDGET / 2);
	deinit_plat_devs(&ctx);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	CU_ASSERT_EQUAL_FATAL(init_plat_devs(&ctx), 0);
	CU_ASSERT_EQUAL(rd(0, REG_STATUS), 0);
	CU_ASSERT_EQUAL(rd(1, REG_LOAD), 0);
	vm_clock_step(1000 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	linux_start(1);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[1], 1);
	setup("vcpus=4,clock=virtual");
	linux_start(3);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[3], 1);
	teardown();
}

static void test_paused_vm_does_not_count_toward_a_stall(void)
{
	setup("vcpus=1,clock=virtual");
	linux_start(0);
	vm_clock_step(LNX_BUDGET / 2);
	vm_clock_pause();
	vm_clock_step(1000 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 40);
	vm_clock_resume();
	vm_clock_step(LNX_BUDGET / 2 - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

static void test_status_zero_disarms_and_enable_again_does_not_pet(void)
{
	setup("vcpus=2,clock=virtual");
	linux_start(0);
	linux_start(1);
	vm_clock_step(LNX_BUDGET / 2);
	wr(0, REG_STATUS, 0); /* CPU offline */
	wr(1, REG_STATUS, 1); /* already enabled: not a pet */
	vm_clock_step(LNX_BUDGET / 2);
	CU_ASSERT_EQUAL(ev.interrupts[0], 0);
	CU_ASSERT_EQUAL(ev.interrupts[1], 1);
	CU_ASSERT_EQUAL(rd(0, REG_STATUS), 0);
	/* re-enabling counts from the LOAD_CNT already written */
	wr(0, REG_STATUS, 1);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

static void test_new_frequency_applies_from_the_next_pet(void)
{
	setup("vcpus=1,clock=virtual");
	linux_start(0);
	vm_clock_step(SEC);
	wr(0, REG_FREQ, 2 * LNX_FREQ);
	vm_clock_step(LNX_BUDGET - SEC - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	linux_pet(0); /* 80 ticks at 20 Hz: 4 s */
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 80);
	vm_clock_step(LNX_BUDGET / 2 - 1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 2);
	teardown();
}

static void test_max_load_cnt_at_1hz_does_not_overflow(void)
{
	const uint64_t budget = 0xFFFFFFFFULL * SEC; /* 136 years */

	setup("vcpus=1,clock=virtual");
	wr(0, REG_FREQ, 1);
	wr(0, REG_LOAD, 0xFFFFFFFF);
	wr(0, REG_STATUS, 1);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 0xFFFFFFFF);
	vm_clock_step(budget - SEC);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 1);
	vm_clock_step(SEC - 1);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.last, "\"guest_ms\": 4294967295000"));
	teardown();
}

static void test_default_options_and_bad_options(void)
{
	static const char *const bad[] = {
		"vcpus=0",	   "vcpus=257",	  "vcpus=-1",	   "vcpus=4x", "clock=wallclock",
		"action=explode", "base=0x3001", "base=banana",  "frob=1",   "vcpus",
		"base=0xfffffffffffff000", "base=0x10000000000000", "base=0xffffffffffff000",
	};
	struct plat_vdev *dev;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		teardown();
		CU_ASSERT_EQUAL(quiet_init(bad[i]), -EINVAL);
		CU_ASSERT_PTR_NULL(plat_dev_find("vcpu-stall"));
	}
	/* defaults: base 0x3000, one slot per VM vCPU, virtual clock under a virtual VM clock */
	setup(NULL);
	dev = plat_dev_find("vcpu-stall");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(dev->base, BASE);
	CU_ASSERT_EQUAL(dev->size, 0x1000);
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(0, 0), 0);
	linux_start(0);
	linux_start(3);
	wr(4, REG_STATUS, 1);
	CU_ASSERT_EQUAL(rd(4, REG_STATUS), 0);
	vm_clock_step(4 * LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[0], 0); /* starved: the clock is virtual */
	CU_ASSERT_EQUAL(ev.interrupts[3], 1);
	CU_ASSERT_EQUAL(ev.resets[3], 1);
	teardown();
	setup("base=0x9030000,vcpus=1,clock=monotonic,action=poweroff");
	CU_ASSERT_EQUAL(plat_dev_find("vcpu-stall")->base, 0x9030000);
	teardown();
	setup("base=0xffffffffff000,vcpus=1"); /* the last page below 2^52 */
	CU_ASSERT_EQUAL(plat_dev_find("vcpu-stall")->base, 0xffffffffff000ULL);
	teardown();
}

/* ---- real threads: procfs clock, a vCPU thread that goes away ---- */

static void test_vanished_vcpu_thread_stops_only_that_vcpu(void)
{
	struct idle_thread t;
	pid_t tid;

	setup("vcpus=2,clock=procfs");
	tid = idle_thread_start(&t);
	CU_ASSERT_FATAL(tid > 0);
	ctx.vcpu_pid = getpid();
	ctx.vcpu_tid[0] = tid;
	ctx.vcpu_tid[1] = gettid();
	linux_start(0);
	linux_start(1);
	CU_ASSERT_EQUAL(ev.total_stopped, 0);
	CU_ASSERT_TRUE_FATAL(idle_thread_stop(&t));
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.stopped[0], 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.last_stopped, "\"reason\": \"thread-gone\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.last_stopped, "\"clock\": \"procfs\""));
	/* vCPU 1 (this thread, never in guest mode: guest_time 0) still watched */
	CU_ASSERT_EQUAL(ev.stopped[1], 0);
	CU_ASSERT_EQUAL(rd(1, REG_CURRENT), 80);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 0);
	vm_clock_step(10 * LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	CU_ASSERT_EQUAL(ev.stopped[0], 1); /* said once */
	CU_ASSERT_TRUE(timer_core_armed_count() >= 1);

	/* after a VM reset the front end's new vCPU thread is watched again */
	vm_reset(&ctx, "host");
	ctx.vcpu_tid[0] = gettid();
	linux_start(0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 80);
	CU_ASSERT_EQUAL(ev.stopped[0], 1);
	teardown();
}

/* Lines in a file (the captured stderr) that contain needle. */
static int file_lines_with(FILE *f, const char *needle)
{
	char line[512];
	int n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	return n;
}

/*
 * A fake /proc: vCPUs 0 and 2 burn CPU with a guest time that never moves
 * (plain threads, TCG), vCPU 1 gains guest time as it runs (KVM).  The first
 * two stop with "no-guest-time", said once on stderr; vCPU 1 still stalls.
 */
static void test_procfs_guest_time_that_never_moves_stops_with_no_guest_time(void)
{
	struct fake_proc fp;
	unsigned long tick;
	FILE *err = tmpfile();
	uint8_t level;
	int saved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_EQUAL_FATAL(fake_proc_init(&fp), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL_FATAL(fake_proc_stat(&fp, 4242, 100 + i, 0, 0), 0);
	setup("vcpus=3,clock=procfs");
	ctx.vcpu_pid = 4242;
	for (int i = 0; i < 3; i++) {
		ctx.vcpu_tid[i] = 100 + i;
		linux_start(i);
	}
	tick = (unsigned long)(SEC / (unsigned long)sysconf(_SC_CLK_TCK));
	level = log_get_level();
	log_set_level(LOG_WARNING); /* the runner keeps only errors */
	saved = unit_stderr_redirect(fileno(err));
	for (unsigned long t = 1; t <= 2 * LNX_TIMEOUT; t++) {
		unsigned long ticks = t * (SEC / tick);

		fake_proc_stat(&fp, 4242, 100, ticks, 0);
		fake_proc_stat(&fp, 4242, 101, ticks, ticks);
		fake_proc_stat(&fp, 4242, 102, ticks, 0);
		vm_clock_step(SEC);
	}
	unit_stderr_restore(saved);
	log_set_level(level);
	CU_ASSERT_EQUAL(ev.stopped[0], 1);
	CU_ASSERT_EQUAL(ev.stopped[2], 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.last_stopped, "\"reason\": \"no-guest-time\""));
	CU_ASSERT_EQUAL(file_lines_with(err, "does not advance"), 1);
	CU_ASSERT_EQUAL(ev.interrupts[0] + ev.interrupts[2], 0);
	CU_ASSERT_EQUAL(ev.stopped[1], 0);
	CU_ASSERT_EQUAL(ev.interrupts[1], 1);
	CU_ASSERT_EQUAL(ev.resets[1], 1);
	teardown();
	fake_proc_fini(&fp);
	fclose(err);
}

/* clock=procfs where the front end says its vCPUs gain no guest time: refused at start-up. */
static void test_procfs_refused_where_vcpus_gain_no_guest_time(void)
{
	teardown();
	ctx.guest_time_src = "cputime";
	ctx.vcpus_no_guest_time = true;
	CU_ASSERT_EQUAL(quiet_init("vcpus=1,clock=procfs"), -EINVAL);
	CU_ASSERT_PTR_NULL(plat_dev_find("vcpu-stall"));
	teardown();
	CU_ASSERT_EQUAL(quiet_init("vcpus=1,clock=cputime"), 0);
	teardown();
	ctx.guest_time_src = NULL;
	ctx.vcpus_no_guest_time = false;
}

static void test_unknown_vcpu_thread_reports_no_thread(void)
{
	setup("vcpus=2,clock=cputime");
	ctx.vcpu_tid[1] = gettid();
	linux_start(0); /* vcpu_tid[0] == 0: nothing to measure */
	linux_start(1);
	CU_ASSERT_EQUAL(ev.stopped[0], 1);
	CU_ASSERT_EQUAL(ev.stopped[1], 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(ev.last_stopped, "\"reason\": \"no-thread\""));
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), 0);
	CU_ASSERT_TRUE(rd(1, REG_CURRENT) > 0);
	teardown();
}

/* ---- concurrency: a guest thread petting while the clock thread fires ---- */

static bool pet_stop;
static unsigned long pet_errors;

/* CUnit is not thread-safe: this thread counts failures, the test asserts. */
static void raw(int dir, int vcpu, uint64_t reg, uint64_t val)
{
	if (mem_access(&ctx, 1, dir, BASE + (uint64_t)vcpu * 0x10 + reg, 4, &val) != 0)
		pet_errors++;
}

static void *guest_petter(void *arg)
{
	unsigned long n = 0;

	(void)arg;
	while (!__atomic_load_n(&pet_stop, __ATOMIC_ACQUIRE)) {
		raw(MEM_F_WRITE, 0, REG_LOAD, 1); /* 100 ms budget: the stepper expires it */
		raw(MEM_F_READ, 0, REG_CURRENT, 0);
		if (++n % 64 == 0)
			raw(MEM_F_WRITE, 1, REG_STATUS, n % 128 == 0);
		if (n % 1024 == 0)
			vm_reset(&ctx, "host");
		if (n % 1024 == 1) {
			raw(MEM_F_WRITE, 0, REG_FREQ, LNX_FREQ);
			raw(MEM_F_WRITE, 0, REG_STATUS, 1);
		}
	}
	return NULL;
}

static void test_pets_racing_expiries_and_resets_stay_consistent(void)
{
	pthread_t t;

	setup("vcpus=2,clock=virtual,action=none");
	linux_start(0);
	linux_start(1);
	pet_stop = false;
	pet_errors = 0;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, guest_petter, NULL), 0);
	for (int i = 0; i < 20000; i++)
		vm_clock_step(7 * MS);
	__atomic_store_n(&pet_stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(pet_errors, 0);
	/* whatever happened, the detector still works exactly */
	memset(&ev, 0, sizeof(ev));
	linux_start(0);
	linux_pet(0);
	vm_clock_step(LNX_BUDGET - 1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

/* ---- issue 17 ---- */

/* 1 tick at 3 Hz is 333333333.3 ns: the budget rounds up, never down. */
static void test_budget_that_is_not_whole_ns_rounds_up(void)
{
	const uint64_t tick = 333333334; /* ceil(10^9 / 3) */

	setup("vcpus=1,clock=virtual,action=none");
	wr(0, REG_FREQ, 3);
	wr(0, REG_LOAD, 1);
	wr(0, REG_STATUS, 1);
	vm_clock_step(tick - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	vm_clock_step(tick - 1);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.resets[0], 1);
	teardown();
}

/* The bite needs a second budget of *run time* counted from the bark. */
static void test_vcpu_descheduled_after_the_bark_is_bitten_a_budget_after_it_runs_again(void)
{
	const uint64_t tick = SEC / LNX_FREQ;

	setup("vcpus=1,clock=virtual,action=none");
	linux_start(0);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(0, 0), 0);
	vm_clock_step(10 * LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	CU_ASSERT_EQUAL(rd(0, REG_CURRENT), LNX_FREQ * LNX_TIMEOUT);
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(0, GUEST_CLOCK_RATE_FULL), 0);
	vm_clock_step(LNX_BUDGET - 1);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	vm_clock_step(2 * tick + 1); /* re-checks run on the tick grid */
	CU_ASSERT_EQUAL(ev.resets[0], 1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

/* At 3/4 speed the budget is used up at 4/3 of it: re-checks wait what is left. */
static void test_vcpu_running_three_quarters_is_caught_within_two_ticks(void)
{
	const uint64_t tick = SEC / LNX_FREQ, due = LNX_BUDGET * 4 / 3;

	setup("vcpus=1,clock=virtual,action=none");
	CU_ASSERT_EQUAL(guest_clock_virtual_set_rate(0, GUEST_CLOCK_RATE_FULL / 4 * 3), 0);
	linux_start(0);
	vm_clock_step(due - 1);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(2 * tick + 1);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

static void test_vm_reset_in_the_bite_stage_stops_every_detector(void)
{
	setup("vcpus=4,clock=virtual");
	for (int i = 0; i < 4; i++)
		linux_start(i);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.total_interrupts, 4);
	vm_clock_step(LNX_BUDGET / 2);
	vm_reset(&ctx, "host");
	vm_clock_step(10 * LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.total_resets, 0);
	CU_ASSERT_EQUAL(ev.watchdogs, 0);
	CU_ASSERT_EQUAL(ev.total_interrupts, 4);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(rd(i, REG_CURRENT), 0);
	teardown();
}

/*
 * Guest accesses to one slot made in a child process, which sends back what
 * FREQ, LOAD_CNT and STATUS then read.  Slot == vCPU count is one past the slot
 * array: should the bound check ever let it through, the child may crash or
 * hang, and that is a failed check here rather than a crash of the suite.
 * Returns 0 when the child completed.
 */
/* How long a forked child may take to answer: UNIT_CHILD_WAIT_MS, else 2 s. */
static int child_wait_ms(void)
{
	const char *v = getenv("UNIT_CHILD_WAIT_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;

	return ms > 0 && ms <= 600000 ? (int)ms : 2000;
}

static int slot_probe_in_child(int slot, uint32_t got[3])
{
	uint64_t base = BASE + (uint64_t)slot * 0x10;
	struct pollfd pfd;
	int fds[2], status, saved, rc = -1;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	saved = unit_stderr_mute();
	pid = fork();
	if (pid == 0) {
		static const uint64_t reg[3] = {REG_FREQ, REG_LOAD, REG_STATUS};
		uint64_t v = LNX_FREQ, w = 7, on = 1;
		uint32_t r[3];

		mem_access(&ctx, 0, MEM_F_WRITE, base + REG_FREQ, 4, &v);
		mem_access(&ctx, 0, MEM_F_WRITE, base + REG_LOAD, 4, &w);
		mem_access(&ctx, 0, MEM_F_WRITE, base + REG_STATUS, 4, &on);
		for (int i = 0; i < 3; i++) {
			v = 0x5a5a5a5a;
			mem_access(&ctx, 0, MEM_F_READ, base + reg[i], 4, &v);
			r[i] = (uint32_t)v;
		}
		_exit(write(fds[1], r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
	}
	unit_stderr_restore(saved);
	if (close(fds[1]) != 0 || pid < 0) {
		close(fds[0]);
		return -1;
	}
	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
	/*
	 * Generous (the child needs microseconds) yet well inside the 10 s after
	 * which `make mutants` takes a whole suite for hung: a hung child must be a
	 * failed assertion here, not a hung suite.  Under valgrind on a loaded host
	 * a fork alone has taken over 2 s: tests/valgrind.sh sets
	 * UNIT_CHILD_WAIT_MS to allow it more.
	 */
	if (poll(&pfd, 1, child_wait_ms()) == 1 && read(fds[0], got, 3 * sizeof(got[0])) ==
						 (ssize_t)(3 * sizeof(got[0])))
		rc = 0;
	else
		kill(pid, SIGKILL); /* hung: its answer never came */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = -1;
	close(fds[0]);
	return rc;
}

static void test_access_at_slot_equal_to_vcpu_count_has_no_effect(void)
{
	uint32_t got[3] = {1, 1, 1};
	size_t armed;

	setup("vcpus=1,clock=virtual");
	/* the child's view: it completes, and the slot reads as nothing */
	CU_ASSERT_EQUAL_FATAL(slot_probe_in_child(1, got), 0);
	CU_ASSERT_EQUAL(got[0], 0);
	CU_ASSERT_EQUAL(got[1], 0);
	CU_ASSERT_EQUAL(got[2], 0);
	/* safe here too, then: nothing armed, nothing raised, slot 0 untouched */
	armed = timer_core_armed_count();
	wr(1, REG_FREQ, LNX_FREQ);
	wr(1, REG_LOAD, 7);
	wr(1, REG_STATUS, 1);
	CU_ASSERT_EQUAL(rd(1, REG_CURRENT), 0);
	CU_ASSERT_EQUAL(timer_core_armed_count(), armed);
	vm_clock_step(1000 * SEC);
	CU_ASSERT_EQUAL(ev.total_interrupts + ev.total_resets + ev.watchdogs, 0);
	CU_ASSERT_EQUAL(rd(0, REG_FREQ), 0);
	linux_start(0);
	vm_clock_step(LNX_BUDGET);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

/* LOAD_CNT 0 is one tick, and one tick at 3 Hz rounds up to 333333334 ns. */
static void test_load_cnt_zero_at_3hz_is_one_rounded_up_tick(void)
{
	setup("vcpus=2,clock=virtual,action=none");
	wr(1, REG_FREQ, 3);
	wr(1, REG_LOAD, 0);
	wr(1, REG_STATUS, 1);
	vm_clock_step(333333333);
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(ev.interrupts[1], 1);
	teardown();
}

static void test_enabling_again_every_tick_never_postpones_the_bark(void)
{
	const uint64_t tick = SEC / LNX_FREQ;

	setup("vcpus=1,clock=virtual,action=none");
	linux_start(0);
	for (uint64_t t = tick; t < LNX_BUDGET; t += tick) {
		vm_clock_step(tick);
		wr(0, REG_STATUS, 1);
	}
	CU_ASSERT_EQUAL(ev.total_interrupts, 0);
	vm_clock_step(tick);
	CU_ASSERT_EQUAL(ev.interrupts[0], 1);
	teardown();
}

UNIT_SUITE(vcpu_stall, suite_init, suite_cleanup,
	   UNIT_TEST(test_linux_sequence_keeps_a_vcpu_alive_forever),
	   UNIT_TEST(test_deinit_init_at_the_same_base_starts_from_power_on),
	   UNIT_TEST(test_stop_petting_interrupts_at_budget_then_resets_one_budget_later),
	   UNIT_TEST(test_pet_after_interrupt_returns_to_the_first_stage),
	   UNIT_TEST(test_starved_vcpu_never_stalls_however_long),
	   UNIT_TEST(test_idle_vcpus_are_rechecked_together_on_the_tick_grid),
	   UNIT_TEST(test_half_speed_vcpu_stalls_after_twice_the_wall_time),
	   UNIT_TEST(test_freq_zero_never_divides_and_keeps_the_detector_inactive),
	   UNIT_TEST(test_freq_above_1000_hz_still_detects),
	   UNIT_TEST(test_load_cnt_zero_means_one_tick_not_disarmed),
	   UNIT_TEST(test_access_at_slot_equal_to_vcpu_count_has_no_effect),
	   UNIT_TEST(test_slot_index_at_and_beyond_vcpu_count_is_ignored),
	   UNIT_TEST(test_narrow_wide_and_unaligned_accesses_are_ignored),
	   UNIT_TEST(test_current_cnt_counts_down_rounded_up_and_ignores_writes),
	   UNIT_TEST(test_256_vcpus_petted_and_stalled_independently),
	   UNIT_TEST(test_vm_reset_disables_every_detector),
	   UNIT_TEST(test_paused_vm_does_not_count_toward_a_stall),
	   UNIT_TEST(test_status_zero_disarms_and_enable_again_does_not_pet),
	   UNIT_TEST(test_new_frequency_applies_from_the_next_pet),
	   UNIT_TEST(test_max_load_cnt_at_1hz_does_not_overflow),
	   UNIT_TEST(test_default_options_and_bad_options),
	   UNIT_TEST(test_vanished_vcpu_thread_stops_only_that_vcpu),
	   UNIT_TEST(test_procfs_guest_time_that_never_moves_stops_with_no_guest_time),
	   UNIT_TEST(test_procfs_refused_where_vcpus_gain_no_guest_time),
	   UNIT_TEST(test_unknown_vcpu_thread_reports_no_thread),
	   UNIT_TEST(test_pets_racing_expiries_and_resets_stay_consistent),
	   UNIT_TEST(test_budget_that_is_not_whole_ns_rounds_up),
	   UNIT_TEST(test_vcpu_descheduled_after_the_bark_is_bitten_a_budget_after_it_runs_again),
	   UNIT_TEST(test_vcpu_running_three_quarters_is_caught_within_two_ticks),
	   UNIT_TEST(test_vm_reset_in_the_bite_stage_stops_every_detector),
	   UNIT_TEST(test_load_cnt_zero_at_3hz_is_one_rounded_up_tick),
	   UNIT_TEST(test_enabling_again_every_tick_never_postpones_the_bark));
