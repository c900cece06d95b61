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
	DM_WDT_ACTION_SHUTDOWN,   /* graceful: the ACPI power button (QEMU's "shutdown") */
	DM_WDT_ACTION_INJECT_NMI, /* an NMI to the guest (QEMU's "inject-nmi") */
};

/* QEMU's WatchdogAction names, for messages. */
#define DM_WDT_ACTION_NAMES "reset|shutdown|poweroff|pause|debug|none|inject-nmi"

/* "reset|shutdown|poweroff|pause|debug|none|inject-nmi" -> action.  0 or -EINVAL. */
int dm_wdt_action_parse(const char *s, enum dm_wdt_action *out);
const char *dm_wdt_action_name(enum dm_wdt_action a);

/*
 * Post-mortem dump of a device (dump=DIR, dump_timeout=SECONDS): before the
 * action, the VM's memory is written as an ELF core into dir ("": no dump),
 * the action waits for it at most timeout_s seconds.
 */
#define DM_DUMP_DIR_MAX 256
#define DM_DUMP_TIMEOUT_DEFAULT 60U
#define DM_DUMP_TIMEOUT_MAX 3600U
struct dm_wdt_dump {
	char dir[DM_DUMP_DIR_MAX];
	unsigned int timeout_s;
};

/* The defaults: no dump, DM_DUMP_TIMEOUT_DEFAULT. */
void dm_wdt_dump_init(struct dm_wdt_dump *d);
/*
 * One option "key=value" of device (for messages): 1 when it was dump= or
 * dump_timeout= and is taken, 0 when it is not a dump option, -EINVAL on a
 * bad value (one line on stderr).
 */
int dm_wdt_dump_opt(struct dm_wdt_dump *d, const char *device, const char *key,
		    const char *val);
/*
 * At start-up, whether this host can carry out action (and the dump, if
 * any) for device: 0, or -EINVAL with one line on stderr saying why not (a
 * dump directory that is missing or not writable, an action or a dump this
 * host does not offer).
 */
int dm_wdt_check(struct vmctx *ctx, const char *device, enum dm_wdt_action action,
		 const struct dm_wdt_dump *dump);

/*
 * device: "wdt-i6300esb" / "vcpu-stall"; id: "0:5.0" or the vCPU index;
 * stage: what expired.  Safe from a timer callback with a device lock held:
 * it only emits the event and queues the request.
 */
void dm_watchdog_expired(struct vmctx *ctx, enum dm_wdt_action action, const char *device,
			 const char *id, const char *stage);
/* The same, with the device's dump settings (NULL or dir "": no dump). */
void dm_watchdog_expired_dump(struct vmctx *ctx, enum dm_wdt_action action,
			      const struct dm_wdt_dump *dump, const char *device, const char *id,
			      const char *stage);

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
