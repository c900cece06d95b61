/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Guest S3 hooks (dm_reset.h): devices register what they do when the guest
 * enters and leaves suspend to RAM; the host calls dm_pm_notify().  Under
 * ACRN, vm_stop_watchdog()/vm_reset_watchdog() call it (devicemodel/acrn/).
 * A fixed table under one mutex; hooks run unlocked, from a snapshot, so a
 * hook may take its device's lock and arm or disarm timers.  Host-agnostic:
 * the same file is built into acrn-dm.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "dm_reset.h"
#include "dm_util.h"
#include "log.h"

/* one per device the -s grammar accepts (32 slots x 8 functions) and platform devices */
#define PM_MAX_HOOKS (32 * 8 + 8)

struct pm_hook {
	struct vmctx *ctx;
	void (*fn)(void *arg, enum dm_pm_event ev);
	void *arg;
};

static pthread_mutex_t pm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pm_hook pm_hooks[PM_MAX_HOOKS];
static int pm_nhooks;

int dm_pm_hook_register(struct vmctx *ctx, void (*hook)(void *arg, enum dm_pm_event ev),
			void *arg)
{
	int rc = 0;

	if (!hook)
		return -EINVAL;
	dm_mutex_lock(&pm_lock);
	if (pm_nhooks == PM_MAX_HOOKS)
		rc = -ENOSPC;
	else
		pm_hooks[pm_nhooks++] = (struct pm_hook){ctx, hook, arg};
	dm_mutex_unlock(&pm_lock);
	return rc;
}

void dm_pm_hook_unregister(struct vmctx *ctx, void (*hook)(void *arg, enum dm_pm_event ev),
			   void *arg)
{
	dm_mutex_lock(&pm_lock);
	for (int i = 0; i < pm_nhooks; i++) {
		if (pm_hooks[i].ctx != ctx || pm_hooks[i].fn != hook || pm_hooks[i].arg != arg)
			continue;
		memmove(&pm_hooks[i], &pm_hooks[i + 1],
			(size_t)(pm_nhooks - i - 1) * sizeof(pm_hooks[0]));
		pm_nhooks--;
		break;
	}
	dm_mutex_unlock(&pm_lock);
}

void dm_pm_notify(struct vmctx *ctx, enum dm_pm_event ev)
{
	struct pm_hook snap[PM_MAX_HOOKS];
	int n = 0;

	dm_mutex_lock(&pm_lock);
	for (int i = 0; i < pm_nhooks; i++)
		if (pm_hooks[i].ctx == ctx)
			snap[n++] = pm_hooks[i];
	dm_mutex_unlock(&pm_lock);
	for (int i = 0; i < n; i++)
		snap[i].fn(snap[i].arg, ev);
}
