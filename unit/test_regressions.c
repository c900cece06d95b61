/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Regression tests for what the fuzzers and fault cases found (issue 7).
 * Each test replays the finding through the same public entry points the
 * harness used (dispatch tables, virtual clock) and names the behaviour that
 * was broken.  The finding's input is kept in unit/fuzz/corpus/<harness>/ so
 * the fuzzers replay it too.
 */
#include <CUnit/CUnit.h>
#include <stdint.h>

#include "dm_event.h"
#include "dm_persist.h"
#include "inout.h"
#include "mem.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "timer.h"
#include "unit.h"
#include "vm_clock.h"
#include "vmctx.h"

#define STALL_BASE 0x3000ULL
#define STALL_LOAD_CNT 0x4
#define STALL_CURRENT_CNT 0x8
#define STALL_CLOCK_FREQ 0xc

static struct vmctx reg_ctx;

/* A VM on the virtual clock at 0 with the devices queued by the caller. */
static int reg_vm_up(int vcpus)
{
	int rc = timer_core_init(VM_CLOCK_VIRTUAL);

	if (rc)
		return rc;
	rc = vm_create(&reg_ctx, NULL, vcpus);
	if (rc)
		goto err_timer;
	init_mem();
	rc = init_inout();
	if (rc)
		goto err_mem;
	rc = init_pci(&reg_ctx);
	if (rc)
		goto err_inout;
	rc = init_plat_devs(&reg_ctx);
	if (rc)
		goto err_pci;
	return 0;

err_pci:
	deinit_pci(&reg_ctx);
err_inout:
	deinit_inout();
err_mem:
	deinit_mem();
	vm_destroy(&reg_ctx);
err_timer:
	timer_core_fini();
	return rc;
}

static void reg_vm_down(void)
{
	deinit_plat_devs(&reg_ctx);
	deinit_pci(&reg_ctx);
	deinit_inout();
	deinit_mem();
	timer_core_fini();
	vm_destroy(&reg_ctx);
	pci_slots_clear();
	plat_devs_clear();
	dm_persist_clear();
}

static void stall_write(unsigned int reg, uint32_t val)
{
	uint64_t v = val;

	CU_ASSERT_EQUAL(mem_access(&reg_ctx, 0, MEM_F_WRITE, STALL_BASE + reg, 4, &v), 0);
}

static uint32_t stall_read(unsigned int reg)
{
	uint64_t v = ~0ULL;

	CU_ASSERT_EQUAL(mem_access(&reg_ctx, 0, MEM_F_READ, STALL_BASE + reg, 4, &v), 0);
	return (uint32_t)v;
}

/*
 * fuzz_mmio_stall, crash-7f135e71: CLOCK_FREQ_HZ 209, LOAD_CNT 0, STATUS 1,
 * then CURRENT_CNT read 2.  The budget in ns is rounded up and the ticks left
 * were rounded up again, so right after a pet the guest saw more ticks than
 * it loaded (1 tick for LOAD_CNT 0, 2 for LOAD_CNT 1 at most frequencies).
 */
static void test_current_cnt_never_exceeds_the_loaded_count(void)
{
	if (plat_dev_add("vcpu-stall", "vcpus=1,clock=virtual,action=none") != 0 ||
	    reg_vm_up(1) != 0) {
		CU_FAIL_FATAL("cannot bring up a VM with vcpu-stall");
	}
	for (uint32_t freq = 1; freq <= 1000; freq++) {
		for (uint32_t load = 0; load <= 3; load++) {
			stall_write(STALL_CLOCK_FREQ, freq);
			stall_write(STALL_LOAD_CNT, load);
			stall_write(0x0, 1);
			if (stall_read(STALL_CURRENT_CNT) > (load ? load : 1)) {
				CU_FAIL("CURRENT_CNT above the loaded count right after a pet");
				freq = 1000;
				break;
			}
			stall_write(0x0, 0);
		}
	}
	reg_vm_down();
}

struct rearm_probe {
	struct acrn_timer t;
	int fired;
};

/* Re-arms itself 1 us ahead, as a free-running watchdog stage does; gives up after 100. */
static void rearm_cb(void *arg, uint64_t nexp)
{
	struct rearm_probe *p = arg;
	struct itimerspec its = {.it_value = {.tv_nsec = 1000}};

	(void)nexp;
	if (++p->fired > 100)
		its.it_value.tv_nsec = 0;
	acrn_timer_settime(&p->t, &its);
}

/*
 * Found with wdt-dm --qtest: a free-running 6300ESB (0x68 = 0x06, output
 * disabled) and "clock_set 18446744073709551000" never replied.  Near the end
 * of the 64-bit clock every re-arm saturated at UINT64_MAX, which is <= the
 * step's target, so the virtual clock fired the same timer forever.  Each
 * timer now gets one shot at the end of the clock per step.
 */
static void test_rearm_at_the_end_of_the_clock_does_not_spin(void)
{
	struct rearm_probe p = {.fired = 0};
	struct itimerspec its = {.it_value = {.tv_nsec = 1000}};

	CU_ASSERT_FATAL(timer_core_init(VM_CLOCK_VIRTUAL) == 0);
	CU_ASSERT_FATAL(acrn_timer_init(&p.t, rearm_cb, &p) == 0);
	CU_ASSERT_EQUAL(vm_clock_set(UINT64_MAX - 5500), 0);
	CU_ASSERT_EQUAL(acrn_timer_settime(&p.t, &its), 0);
	/* MAX-4500 ... MAX-500, then one shot at the saturated deadline. */
	CU_ASSERT_EQUAL(vm_clock_step(UINT64_MAX), UINT64_MAX);
	CU_ASSERT_EQUAL(p.fired, 6);
	vm_clock_step(1000);
	vm_clock_step_next();
	CU_ASSERT(p.fired <= 8);
	acrn_timer_deinit(&p.t);
	timer_core_fini();
}

static int reg_suite_init(void)
{
	dm_event_open(NULL);
	return 0;
}

static int reg_suite_cleanup(void)
{
	return 0;
}

UNIT_SUITE(regressions, reg_suite_init, reg_suite_cleanup,
	   UNIT_TEST(test_current_cnt_never_exceeds_the_loaded_count),
	   UNIT_TEST(test_rearm_at_the_end_of_the_clock_does_not_spin));
