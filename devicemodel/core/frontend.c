/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * A front end's on-board devices (frontend.h), the vCPU facts devices ask for
 * (dm_vcpu.h: read from the VM, where the front end's prepare() put them)
 * and the platform devices' interrupts (dm_plat_irq, to the front end's
 * hook).  No device asks which front end runs.  Kept apart from main.c so that
 * devices, unit tests and benchmarks can ask without linking the command line.
 */
#include <errno.h>
#include <stddef.h>

#include "dm_vcpu.h"
#include "frontend.h"
#include "plat_dev.h"
#include "vm_clock.h"
#include "vmctx.h"

int dm_frontend_add_board(const struct dm_frontend *fe)
{
	for (const char *const *b = fe->board; b && *b; b++)
		if (!plat_dev_queued(*b) && plat_dev_add(*b, NULL) != 0)
			return -EINVAL;
	return 0;
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

bool dm_vcpu_gain_guest_time(struct vmctx *ctx)
{
	return !(ctx && ctx->vcpus_no_guest_time);
}

const char *dm_vcpu_default_clock(struct vmctx *ctx)
{
	if (ctx && ctx->guest_time_src)
		return ctx->guest_time_src;
	return vm_clock_mode() == VM_CLOCK_VIRTUAL ? "virtual" : "monotonic";
}

/* ---- plat_dev.h: platform devices' interrupts go to the front end ---- */

void dm_plat_irq(struct vmctx *ctx, const char *dev, int line, int level)
{
	if (ctx && ctx->fe && ctx->fe->plat_irq)
		ctx->fe->plat_irq(ctx, dev, line, level);
}
