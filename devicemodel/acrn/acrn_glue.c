/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The glue between wdt-dm's plugins and ACRN's acrn-dm: the extension API the
 * plugins call (dm_event.h, dm_reset.h, dm_vcpu.h, dm_plat_irq(),
 * vm_clock_now_ns()) mapped
 * onto ACRN's own facilities, and the two functions acrn-dm's main.c expects
 * from a watchdog plugin.  Built into acrn-dm's core/ by `make acrn-dm`.
 *
 * - Events go to ACRN's log (pr_notice, "event NAME {data}"); a poweroff
 *   watchdog action also goes out as ACRN's VM_EVENT_POWEROFF.  ACRN's
 *   vm_event has no type for a watchdog expiry, a stage-1 warning or a vCPU
 *   stall, so those are in the log only; there is no JSON event stream, and
 *   of dm_event.h only dm_event_post() and the formatting (dm_event_data.c)
 *   exist here (the plugins use no more).
 * - Watchdog actions: reset -> vm_set_suspend_mode(VM_SUSPEND_FULL_RESET)
 *   and poweroff -> VM_SUSPEND_POWEROFF, each followed by mevent_notify() so
 *   the mevent loop sees it, as ACRN's own watchdog does; shutdown ->
 *   inject_power_button_event() (arch/x86/pm.c: PM1 PWRBTN_STS and the SCI,
 *   what acrn-dm does on SIGTERM); pause -> vm_pause(); debug and none -> the
 *   log line only.  inject-nmi is refused at start-up (dm_wdt_check): ACRN's
 *   HSM has no NMI injection (no ioctl of hsm_ioctl_defs.h delivers one),
 *   and so is dump=: acrn-dm has no guest-memory dump.
 * - Reset hooks: ACRN resets a VM by running every device's deinit and then
 *   its init, so a reset hook is never needed and registering one is a no-op.
 * - vm_stop_watchdog()/vm_reset_watchdog() (guest S3 entry and resume) run the
 *   devices' dm_pm hooks (core/dm_pm.c) with DM_PM_SUSPEND / DM_PM_RESUME.
 * - vCPUs: ACRN's vCPUs run in the hypervisor, not as threads of acrn-dm, so
 *   dm_vcpu_thread() knows none: vcpu-stall's procfs and cputime clocks stop
 *   at once with reason "no-thread"; its default clock is monotonic.
 * - Platform devices' interrupts (dm_plat_irq: vcpu-stall's per-vCPU stall
 *   interrupt) have no line in ACRN and are logged instead.
 * - VM time is CLOCK_MONOTONIC, as ACRN's timers use it: time the VM spends
 *   paused counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acpi.h"
#include "dm.h"
#include "dm_event.h"
#include "dm_reset.h"
#include "dm_vcpu.h"
#include "log.h"
#include "mem.h"
#include "mevent.h"
#include "plat_dev.h"
#include "vm_clock.h"
#include "vm_event.h"
#include "vmmapi.h"

#define GLUE_EVENT_LEN 512

void dm_event_post(const struct dm_event *ev)
{
	char data[GLUE_EVENT_LEN];

	if (dm_event_format_data(ev, data, sizeof(data)) < 0) {
		pr_warn("event %s too long, dropped\n", ev->name);
		return;
	}
	pr_notice("event %s {%s}\n", ev->name, data);
}

static void glue_poweroff_event(void)
{
	struct vm_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = VM_EVENT_POWEROFF;
	if (dm_send_vm_event(&ev) != 0)
		pr_dbg("watchdog: VM_EVENT_POWEROFF not sent (no vm_event channel)\n");
}

static void glue_suspend(enum vm_suspend_how how)
{
	pr_info("watchdog: setting VM state to %s\n", vm_state_to_str(how));
	vm_set_suspend_mode(how);
	mevent_notify();
}

void dm_watchdog_expired(struct vmctx *ctx, enum dm_wdt_action action, const char *device,
			 const char *id, const char *stage)
{
	dm_event_emit("WATCHDOG", DM_EV_STR("action", dm_wdt_action_name(action)),
		      DM_EV_STR("device", device), DM_EV_STR("id", id), DM_EV_STR("stage", stage));
	switch (action) {
	case DM_WDT_ACTION_RESET:
		glue_suspend(VM_SUSPEND_FULL_RESET);
		break;
	case DM_WDT_ACTION_POWEROFF:
		glue_poweroff_event();
		glue_suspend(VM_SUSPEND_POWEROFF);
		break;
	case DM_WDT_ACTION_SHUTDOWN:
		if (ctx)
			inject_power_button_event(ctx);
		break;
	case DM_WDT_ACTION_PAUSE:
		if (ctx)
			vm_pause(ctx);
		break;
	case DM_WDT_ACTION_DEBUG:
		pr_warn("watchdog: timer fired (%s %s)\n", device ? device : "", id ? id : "");
		break;
	default:
		break;
	}
}

/* dm_wdt_check() refused a dump at start-up: there is never one to write. */
void dm_watchdog_expired_dump(struct vmctx *ctx, enum dm_wdt_action action,
			      const struct dm_wdt_dump *dump, const char *device, const char *id,
			      const char *stage)
{
	(void)dump;
	dm_watchdog_expired(ctx, action, device, id, stage);
}

/* What ACRN offers: every action but inject-nmi, no dump. */
int dm_wdt_check(struct vmctx *ctx, const char *device, enum dm_wdt_action action,
		 const struct dm_wdt_dump *dump)
{
	(void)ctx;
	if (action == DM_WDT_ACTION_INJECT_NMI) {
		fprintf(stderr, "acrn-dm: %s: action=inject-nmi is not available under ACRN (its "
			"HSM has no NMI injection); use reset|shutdown|poweroff|pause|debug|none\n",
			device);
		return -EINVAL;
	}
	if (dump && dump->dir[0]) {
		fprintf(stderr, "acrn-dm: %s: dump=%s is not available under ACRN (acrn-dm has "
			"no guest-memory dump)\n", device, dump->dir);
		return -EINVAL;
	}
	return 0;
}

int dm_reset_hook_register(struct vmctx *ctx, void (*hook)(void *arg), void *arg)
{
	(void)ctx, (void)hook, (void)arg;
	return 0; /* ACRN resets devices by deinit + init */
}

void dm_reset_hook_unregister(struct vmctx *ctx, void (*hook)(void *arg), void *arg)
{
	(void)ctx, (void)hook, (void)arg;
}

/* ACRN's mem.c has no overlap query: its register_mem() refuses an overlap itself. */
bool mem_range_busy(uint64_t base, uint64_t size, struct mem_range *hit)
{
	(void)base, (void)size, (void)hit;
	return false;
}

/* acrn-dm has no QMP monitor: nobody queries device state, so nothing is kept. */
int dm_status_register(struct vmctx *ctx, dm_status_fn fn, void *arg)
{
	(void)ctx, (void)fn, (void)arg;
	return 0;
}

void dm_status_unregister(struct vmctx *ctx, dm_status_fn fn, void *arg)
{
	(void)ctx, (void)fn, (void)arg;
}

/* Guest enters S3: acrn-dm's vm_suspend_resume() calls this first. */
void vm_stop_watchdog(struct vmctx *ctx)
{
	dm_pm_notify(ctx, DM_PM_SUSPEND);
}

/* Guest resumes from S3. */
void vm_reset_watchdog(struct vmctx *ctx)
{
	dm_pm_notify(ctx, DM_PM_RESUME);
}

int dm_vcpu_count(struct vmctx *ctx)
{
	(void)ctx;
	return guest_cpu_num();
}

pid_t dm_vcpu_thread(struct vmctx *ctx, int vcpu, pid_t *pid)
{
	(void)ctx, (void)vcpu;
	*pid = 0;
	return 0;
}

void dm_plat_irq(struct vmctx *ctx, const char *dev, int line, int level)
{
	static unsigned long logged;

	(void)ctx;
	if (level && logged++ < 10)
		pr_warn("%s: line %d: interrupt (no interrupt line under ACRN)\n", dev, line);
}

const char *dm_vcpu_default_clock(struct vmctx *ctx)
{
	(void)ctx;
	return "monotonic";
}

/* ACRN's vCPUs run in the hypervisor: no thread of acrn-dm ever gains guest time. */
bool dm_vcpu_gain_guest_time(struct vmctx *ctx)
{
	(void)ctx;
	return false;
}

uint64_t vm_clock_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
