/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The reboot API (wdt-dm extension; ACRN has no such header).  A device never
 * resets anything itself: on expiry it calls dm_watchdog_expired() with its
 * configured action.  That emits a WATCHDOG event and *requests* the action;
 * the front end carries it out later, off the device's stack.  A VM reset
 * runs every registered reset hook.  Self-contained on purpose: it is
 * included by plugins compiled against ACRN's headers.
 */
#ifndef _DM_RESET_H_
#define _DM_RESET_H_

struct vmctx;

enum dm_wdt_action {
	DM_WDT_ACTION_RESET,
	DM_WDT_ACTION_POWEROFF,
	DM_WDT_ACTION_PAUSE,
	DM_WDT_ACTION_DEBUG,
	DM_WDT_ACTION_NONE,
};

/* "reset|poweroff|pause|debug|none" -> action.  0 or -EINVAL. */
int dm_wdt_action_parse(const char *s, enum dm_wdt_action *out);
const char *dm_wdt_action_name(enum dm_wdt_action a);

/*
 * device: "wdt-i6300esb" / "vcpu-stall"; id: "0:5.0" or the vCPU index;
 * stage: what expired.  Safe from a timer callback with a device lock held:
 * it only emits the event and queues the request.
 */
void dm_watchdog_expired(struct vmctx *ctx, enum dm_wdt_action action, const char *device,
			 const char *id, const char *stage);

/* Hooks run on every VM reset, in registration order.  0 or -ENOSPC/-EINVAL. */
int dm_reset_hook_register(struct vmctx *ctx, void (*hook)(void *arg), void *arg);
void dm_reset_hook_unregister(struct vmctx *ctx, void (*hook)(void *arg), void *arg);

/*
 * Device state for the host's queries (QMP x-query-watchdogs): fn writes the
 * members of one JSON object, without braces, into buf (size n) and returns
 * 0 or -errno.  0 or -ENOSPC/-EINVAL.
 */
typedef int (*dm_status_fn)(void *arg, char *buf, unsigned long n);
int dm_status_register(struct vmctx *ctx, dm_status_fn fn, void *arg);
void dm_status_unregister(struct vmctx *ctx, dm_status_fn fn, void *arg);

/*
 * Guest suspend to RAM (S3), as ACRN's acrn-dm drives it: DM_PM_SUSPEND when
 * the guest enters S3 (ACRN's vm_stop_watchdog: stop counting, so a sleeping
 * guest is not reset), DM_PM_RESUME when it wakes (ACRN's vm_reset_watchdog:
 * count again from stage 1 with a long budget, so a guest that hangs while
 * resuming is still caught).  Hooks run on the caller's thread, in
 * registration order; dm_pm_notify() runs every hook of ctx (core/dm_pm.c).
 */
enum dm_pm_event { DM_PM_SUSPEND, DM_PM_RESUME };
int dm_pm_hook_register(struct vmctx *ctx, void (*hook)(void *arg, enum dm_pm_event ev),
			void *arg);
void dm_pm_hook_unregister(struct vmctx *ctx, void (*hook)(void *arg, enum dm_pm_event ev),
			   void *arg);
void dm_pm_notify(struct vmctx *ctx, enum dm_pm_event ev);

#endif /* _DM_RESET_H_ */
