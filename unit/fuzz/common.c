/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The VM fixture shared by the libFuzzer harnesses (issue 7): one input gets
 * a fresh VM on a virtual clock starting at 0, the same bring-up order as
 * core/main.c, and an after-fire hook that carries out requested actions the
 * way the qtest front end does (docs/design.rst §6-7), so a watchdog reset during a
 * clock step really resets every device.  Teardown checks that the devices
 * disarmed their timers before the timer core goes away.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "dm_event.h"
#include "dm_persist.h"
#include "fuzz.h"
#include "guest_clock.h"
#include "inout.h"
#include "log.h"
#include "mem.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "vm_clock.h"

#define FUZZ_UUID "3f6e1b52-7a44-4c39-9d0e-52c1c0ffee00"

static int fuzz_report_fd = STDERR_FILENO;

void fuzz_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(fuzz_report_fd, fmt, ap);
	va_end(ap);
	dprintf(fuzz_report_fd, "\n");
}

void fuzz_global_init(void)
{
	const char *lvl = getenv("FUZZ_LOG_LEVEL");
	int fd = dup(STDERR_FILENO);

	if (fd >= 0)
		fuzz_report_fd = fd;

	/* Silent by default: formatting still runs for levels that pass. */
	log_set_level((uint8_t)(lvl ? atoi(lvl) : 0));
	dm_event_open(NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_global_init();
	return 0;
}

static void fuzz_do_action(struct fuzz_vm *vm, const struct vm_action_req *r)
{
	vm->actions++;
	switch (r->action) {
	case DM_WDT_ACTION_RESET:
		fuzz_vm_reset(vm);
		break;
	case DM_WDT_ACTION_POWEROFF:
		vm->poweroff = true;
		break;
	case DM_WDT_ACTION_PAUSE:
		vm->ever_paused = true;
		vm_clock_pause();
		break;
	case DM_WDT_ACTION_DEBUG:
	case DM_WDT_ACTION_NONE:
	case DM_WDT_ACTION_SHUTDOWN:
	case DM_WDT_ACTION_INJECT_NMI:
		break;
	}
}

void fuzz_vm_drain(struct fuzz_vm *vm)
{
	struct vm_action_req r;

	while (vm_action_take(&vm->ctx, &r))
		fuzz_do_action(vm, &r);
}

static void fuzz_after_fire(void *arg)
{
	fuzz_vm_drain(arg);
}

void fuzz_vm_reset(struct fuzz_vm *vm)
{
	vm->resets++;
	vm_reset(&vm->ctx, "host");
}

unsigned long fuzz_vm_events(const struct fuzz_vm *vm)
{
	return dm_event_count() - vm->events0;
}

static void fuzz_specs_clear(void)
{
	pci_slots_clear();
	plat_devs_clear();
}

static int fuzz_vm_bring_up(struct fuzz_vm *vm, int vcpus, bool preassign)
{
	int rc;

	*vm = (struct fuzz_vm){0};
	rc = timer_core_init(VM_CLOCK_VIRTUAL);
	if (rc)
		goto err_specs;
	/* Per-vCPU virtual guest time is process state: start every input from 0. */
	guest_clock_virtual_reset();
	rc = vm_create(&vm->ctx, FUZZ_UUID, vcpus);
	if (rc)
		goto err_timer;
	init_mem();
	rc = init_inout();
	if (rc)
		goto err_mem;
	pci_set_bar_preassign(preassign);
	rc = init_pci(&vm->ctx);
	pci_set_bar_preassign(true);
	if (rc)
		goto err_inout;
	rc = init_plat_devs(&vm->ctx);
	if (rc)
		goto err_pci;
	vm->events0 = dm_event_count();
	timer_core_set_after_fire(fuzz_after_fire, vm);
	fuzz_vm_drain(vm);
	return 0;

err_pci:
	deinit_pci(&vm->ctx);
err_inout:
	deinit_inout();
err_mem:
	deinit_mem();
	vm_destroy(&vm->ctx);
err_timer:
	FUZZ_CHECK(timer_core_armed_count() == 0, "a failed init left %zu timers armed",
		   timer_core_armed_count());
	timer_core_fini();
err_specs:
	fuzz_specs_clear();
	return rc;
}

int fuzz_vm_start(struct fuzz_vm *vm, int vcpus)
{
	return fuzz_vm_bring_up(vm, vcpus, true);
}

int fuzz_vm_start_unassigned(struct fuzz_vm *vm, int vcpus)
{
	return fuzz_vm_bring_up(vm, vcpus, false);
}

void fuzz_vm_stop(struct fuzz_vm *vm)
{
	timer_core_set_after_fire(NULL, NULL);
	deinit_plat_devs(&vm->ctx);
	deinit_pci(&vm->ctx);
	deinit_inout();
	deinit_mem();
	FUZZ_CHECK(timer_core_armed_count() == 0, "%zu timers still armed after device deinit",
		   timer_core_armed_count());
	timer_core_fini();
	vm_destroy(&vm->ctx);
	fuzz_specs_clear();
	dm_persist_clear(); /* each input is a fresh DM */
}

void fuzz_vm_pause_toggle(struct fuzz_vm *vm)
{
	vm->ever_paused = true;
	if (vm_clock_paused())
		vm_clock_resume();
	else
		vm_clock_pause();
}

void fuzz_check_timers(const struct fuzz_vm *vm, size_t max_armed)
{
	size_t armed = timer_core_armed_count();
	uint64_t now = vm_clock_now_ns(), next;

	FUZZ_CHECK(armed <= max_armed, "%zu timers armed, at most %zu expected", armed,
		   max_armed);
	if (!vm_clock_next_deadline(&next))
		return;
	/* Due callbacks ran in the step; what is left must lie in the future. */
	/* At the end of the 64-bit clock every arm saturates there (vm_clock.c). */
	FUZZ_CHECK(next > now || (next == now && (vm->ever_paused || now == UINT64_MAX)),
		   "timer armed at %llu, now %llu", (unsigned long long)next,
		   (unsigned long long)now);
}
