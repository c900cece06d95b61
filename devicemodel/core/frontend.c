/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Which front end runs this VM (frontend.h), and the vCPU facts devices ask
 * for (dm_vcpu.h).  Kept apart from main.c so that
 * devices, unit tests and benchmarks can ask without linking the command line.
 */
#include <stddef.h>

#include "dm_vcpu.h"
#include "frontend.h"
#include "vm_clock.h"
#include "vmctx.h"

static const struct dm_frontend *current_fe;

const struct dm_frontend *dm_current_frontend(void)
{
	return current_fe;
}

void dm_set_current_frontend(const struct dm_frontend *fe)
{
	current_fe = fe;
}

/* ---- dm_vcpu.h: vCPU facts from wdt-dm's struct vmctx and front end ---- */

int dm_vcpu_count(struct vmctx *ctx)
{
	return ctx ? ctx->vcpu_num : 0;
}

pid_t dm_vcpu_thread(struct vmctx *ctx, int vcpu, pid_t *pid)
{
	*pid = ctx ? ctx->vcpu_pid : 0;
	if (!ctx || vcpu < 0 || vcpu >= VM_MAX_VCPUS)
		return 0;
	/* front ends may fill vcpu_tid[] while the VM runs */
	return __atomic_load_n(&ctx->vcpu_tid[vcpu], __ATOMIC_RELAXED);
}

void dm_vcpu_stall_irq(struct vmctx *ctx, int vcpu)
{
	if (ctx && ctx->fe && ctx->fe->stall_irq)
		ctx->fe->stall_irq(ctx, vcpu);
}

bool dm_vcpu_gain_guest_time(void)
{
	return !(current_fe && current_fe->no_guest_time && current_fe->no_guest_time());
}

const char *dm_vcpu_default_clock(void)
{
	if (current_fe && current_fe->stall_clock)
		return current_fe->stall_clock;
	return vm_clock_mode() == VM_CLOCK_VIRTUAL ? "virtual" : "monotonic";
}
