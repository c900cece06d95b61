/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The VM object and its lifecycle (docs/design.rst §6, docs/device.rst §1.5/§2.2/§3):
 * vm_create, the reboot API with its action queue, and the verbs a front end
 * uses to carry actions out, each emitting its event exactly once: vm_reset
 * (RESET), vm_pause (STOP), vm_resume (RESUME) and vm_poweroff (SHUTDOWN).
 * Devices call dm_watchdog_expired() from their timer callbacks, usually with
 * their own lock held, so it does the least possible: emit WATCHDOG and queue
 * the request.  The front end takes requests with vm_action_take() and carries
 * them out on its own stack (qtest: right after the callback returns; QEMU:
 * over QMP).  vm_reset() runs every device's reset hook, then emits RESET.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "dm_event.h"
#include "dm_util.h"
#include "log.h"
#include "vm_clock.h"
#include "vmctx.h"

int vm_create(struct vmctx *ctx, const char *uuid, int vcpus)
{
	uuid_t u;
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	if (vcpus < 1 || vcpus > VM_MAX_VCPUS)
		return -EINVAL;
	if (uuid) {
		if (uuid_parse(uuid, u) != 0)
			return -EINVAL;
	} else {
		uuid_generate(u);
	}
	uuid_unparse_lower(u, ctx->uuid);
	ctx->vcpu_num = vcpus;
	rc = pthread_mutex_init(&ctx->lock, NULL);
	if (rc)
		return -rc;
	dm_event_set_uuid(ctx->uuid);
	return 0;
}

void vm_destroy(struct vmctx *ctx)
{
	pthread_mutex_destroy(&ctx->lock);
}

int dm_reset_hook_register(struct vmctx *ctx, void (*hook)(void *arg), void *arg)
{
	int rc = 0;

	if (!ctx || !hook)
		return -EINVAL;
	dm_mutex_lock(&ctx->lock);
	if (ctx->nhooks == VM_MAX_RESET_HOOKS)
		rc = -ENOSPC;
	else
		ctx->hooks[ctx->nhooks++] = (struct vm_reset_hook){hook, arg};
	dm_mutex_unlock(&ctx->lock);
	return rc;
}

void dm_reset_hook_unregister(struct vmctx *ctx, void (*hook)(void *arg), void *arg)
{
	if (!ctx)
		return;
	dm_mutex_lock(&ctx->lock);
	for (int i = 0; i < ctx->nhooks; i++) {
		if (ctx->hooks[i].fn != hook || ctx->hooks[i].arg != arg)
			continue;
		memmove(&ctx->hooks[i], &ctx->hooks[i + 1],
			(size_t)(ctx->nhooks - i - 1) * sizeof(ctx->hooks[0]));
		ctx->nhooks--;
		break;
	}
	dm_mutex_unlock(&ctx->lock);
}

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void queue_request(struct vmctx *ctx, const struct vm_action_req *req)
{
	dm_mutex_lock(&ctx->lock);
	if (ctx->qlen == VM_ACTION_QUEUE) {
		/* A front end that never drains must not make devices block. */
		ctx->dropped_requests++;
	} else {
		ctx->queue[(ctx->qhead + ctx->qlen) % VM_ACTION_QUEUE] = *req;
		ctx->qlen++;
	}
	dm_mutex_unlock(&ctx->lock);
}

void dm_watchdog_expired(struct vmctx *ctx, enum dm_wdt_action action, const char *device,
			 const char *id, const char *stage)
{
	dm_watchdog_expired_dump(ctx, action, NULL, device, id, stage);
}

void dm_watchdog_expired_dump(struct vmctx *ctx, enum dm_wdt_action action,
			      const struct dm_wdt_dump *dump, const char *device, const char *id,
			      const char *stage)
{
	struct vm_action_req req;

	if (ctx) {
		dm_mutex_lock(&ctx->lock);
		if (ctx->action_set)
			action = ctx->action;
		dm_mutex_unlock(&ctx->lock);
	}
	memset(&req, 0, sizeof(req));
	req.action = action;
	copy_str(req.device, sizeof(req.device), device);
	copy_str(req.id, sizeof(req.id), id);
	req.vm_ns = vm_clock_now_ns();
	if (dump)
		req.dump = *dump;
	dm_event_emit("WATCHDOG", DM_EV_STR("action", dm_wdt_action_name(action)),
		      DM_EV_STR("device", device), DM_EV_STR("id", id), DM_EV_STR("stage", stage));
	if (action == DM_WDT_ACTION_DEBUG)
		pr_warn("watchdog: timer fired (%s %s)\n", req.device, req.id);
	if (!ctx)
		return;
	queue_request(ctx, &req);
	if (ctx->fe && ctx->fe->action_pending)
		ctx->fe->action_pending(ctx);
}

bool vm_action_take(struct vmctx *ctx, struct vm_action_req *out)
{
	bool got = false;

	dm_mutex_lock(&ctx->lock);
	if (ctx->qlen > 0) {
		*out = ctx->queue[ctx->qhead];
		ctx->qhead = (ctx->qhead + 1) % VM_ACTION_QUEUE;
		ctx->qlen--;
		got = true;
	}
	dm_mutex_unlock(&ctx->lock);
	return got;
}

void vm_reset(struct vmctx *ctx, const char *reason)
{
	struct vm_reset_hook hooks[VM_MAX_RESET_HOOKS];
	int n;

	/* Run the hooks unlocked: they take device locks and cancel timers. */
	dm_mutex_lock(&ctx->lock);
	n = ctx->nhooks;
	memcpy(hooks, ctx->hooks, (size_t)n * sizeof(hooks[0]));
	ctx->resets++;
	ctx->powered_off = false; /* the machine runs again: a later poweroff is news */
	dm_mutex_unlock(&ctx->lock);
	for (int i = 0; i < n; i++)
		hooks[i].fn(hooks[i].arg);
	dm_event_emit("RESET", DM_EV_BOOL("guest", false), DM_EV_STR("reason", reason));
}

bool vm_pause(struct vmctx *ctx, const char *reason)
{
	(void)ctx;
	if (!vm_clock_pause())
		return false;
	dm_event_emit("STOP", DM_EV_STR("reason", reason));
	return true;
}

bool vm_resume(struct vmctx *ctx, const char *reason)
{
	(void)ctx;
	if (!vm_clock_resume())
		return false;
	pr_info("vm: resumed (%s)\n", reason ? reason : "");
	dm_event_post(&(const struct dm_event){"RESUME", NULL, 0});
	return true;
}

bool vm_poweroff(struct vmctx *ctx, const char *reason)
{
	bool first;

	dm_mutex_lock(&ctx->lock);
	first = !ctx->powered_off;
	ctx->powered_off = true;
	dm_mutex_unlock(&ctx->lock);
	if (first)
		dm_event_emit("SHUTDOWN", DM_EV_BOOL("guest", false), DM_EV_STR("reason", reason));
	return first;
}

void vm_set_watchdog_action(struct vmctx *ctx, enum dm_wdt_action a)
{
	dm_mutex_lock(&ctx->lock);
	ctx->action_set = true;
	ctx->action = a;
	dm_mutex_unlock(&ctx->lock);
}

int dm_status_register(struct vmctx *ctx, dm_status_fn fn, void *arg)
{
	int rc = 0;

	if (!ctx || !fn)
		return -EINVAL;
	dm_mutex_lock(&ctx->lock);
	if (ctx->nstatus == VM_MAX_RESET_HOOKS)
		rc = -ENOSPC;
	else
		ctx->status[ctx->nstatus++] = (struct vm_status_src){fn, arg};
	dm_mutex_unlock(&ctx->lock);
	return rc;
}

void dm_status_unregister(struct vmctx *ctx, dm_status_fn fn, void *arg)
{
	if (!ctx)
		return;
	dm_mutex_lock(&ctx->lock);
	for (int i = 0; i < ctx->nstatus; i++) {
		if (ctx->status[i].fn != fn || ctx->status[i].arg != arg)
			continue;
		memmove(&ctx->status[i], &ctx->status[i + 1],
			(size_t)(ctx->nstatus - i - 1) * sizeof(ctx->status[0]));
		ctx->nstatus--;
		break;
	}
	dm_mutex_unlock(&ctx->lock);
}

#define STATUS_ENTRY_MAX 512

int vm_device_status_json(struct vmctx *ctx, char **json)
{
	struct vm_status_src src[VM_MAX_RESET_HOOKS];
	char entry[STATUS_ENTRY_MAX];
	size_t len = 0, cap;
	int n;
	char *out;

	char over[48] = "null";

	dm_mutex_lock(&ctx->lock);
	n = ctx->nstatus;
	memcpy(src, ctx->status, (size_t)n * sizeof(src[0]));
	if (ctx->action_set)
		snprintf(over, sizeof(over), "\"%s\"", dm_wdt_action_name(ctx->action));
	dm_mutex_unlock(&ctx->lock);
	cap = (size_t)n * (STATUS_ENTRY_MAX + 64) + 3;
	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	out[len++] = '[';
	for (int i = 0; i < n; i++) {
		if (src[i].fn(src[i].arg, entry, sizeof(entry)))
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s{%s, \"action-override\": %s}",
					len > 1 ? ", " : "", entry, over);
	}
	out[len++] = ']';
	out[len] = '\0';
	*json = out;
	return 0;
}

void vm_guest_request_event(enum dm_wdt_action a)
{
	if (a == DM_WDT_ACTION_SHUTDOWN)
		dm_event_emit("POWERDOWN", DM_EV_STR("reason", "watchdog"));
	else if (a == DM_WDT_ACTION_INJECT_NMI)
		dm_event_emit("NMI", DM_EV_STR("reason", "watchdog"));
}
