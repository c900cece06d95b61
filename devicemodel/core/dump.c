/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Post-mortem dumps before a watchdog action (docs/device.rst §1.5, §3): the
 * start-up check of a device's dump= directory and action (dm_reset.h's
 * dm_wdt_check), the dump file (a new name, O_EXCL, mode 0600), the DUMP
 * event, and the whole dump for front ends that own the guest's RAM
 * (vm_dump_ranges, with core/elfcore.c).  The front end pauses the VM around
 * it and carries out the action afterwards, whatever became of the dump.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dm_event.h"
#include "dm_reset.h"
#include "dm_util.h"
#include "elfcore.h"
#include "vmctx.h"

#define NS_PER_S 1000000000ULL

static uint64_t (*dump_now)(void *arg);
static void *dump_now_arg;
static time_t (*dump_wall)(void);

void vm_dump_set_clock(uint64_t (*now_ns)(void *arg), void *arg, time_t (*wall)(void))
{
	dump_now = now_ns;
	dump_now_arg = arg;
	dump_wall = wall;
}

static uint64_t monotonic_ns(void *arg)
{
	(void)arg;
	return mono_ns();
}

static uint64_t now_ns(void)
{
	return dump_now ? dump_now(dump_now_arg) : monotonic_ns(NULL);
}

/* Creates and removes a file in dir: what "writable" means, for root too. */
static int probe_dir(const char *device, const char *dir)
{
	char path[DM_DUMP_DIR_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/.wdt-dm-probe-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "wdt-dm: %s: dump=%s: not writable: %s\n", device, dir,
			strerror(errno));
		return -EINVAL;
	}
	close(fd);
	unlink(path);
	return 0;
}

static int check_dump_dir(struct vmctx *ctx, const char *device, const char *dir)
{
	struct stat st;

	if (ctx && !ctx->can_dump) {
		fprintf(stderr, "wdt-dm: %s: dump=: this front end has no guest memory to dump\n",
			device);
		return -EINVAL;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "wdt-dm: %s: dump=%s: %s\n", device, dir,
			stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
		return -EINVAL;
	}
	return probe_dir(device, dir);
}

/* wdt-dm's front ends carry out every action; a dump needs a writable directory. */
int dm_wdt_check(struct vmctx *ctx, const char *device, enum dm_wdt_action action,
		 const struct dm_wdt_dump *dump)
{
	if (strcmp(dm_wdt_action_name(action), "unknown") == 0)
		return -EINVAL;
	return dump && dump->dir[0] ? check_dump_dir(ctx, device, dump->dir) : 0;
}

/* Keeps a name to [A-Za-z0-9._-]: a device name never makes a path. */
static void safe_name(char *out, size_t n, const char *s)
{
	size_t i = 0;

	for (; s[i] && i + 1 < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';

		out[i] = ok && !(i == 0 && c == '.') ? c : '_';
	}
	out[i] = '\0';
}

int vm_dump_open(struct vmctx *ctx, const struct vm_action_req *r, char *path, unsigned long n)
{
	char stamp[32], dev[VM_REQ_STR];
	struct tm tm;
	time_t t = dump_wall ? dump_wall() : time(NULL);
	int len, fd;

	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	safe_name(dev, sizeof(dev), r->device);
	len = snprintf(path, n, "%s/%s-%s-%s.core", r->dump.dir, ctx->uuid, stamp, dev);
	if (len < 0 || (unsigned long)len >= n)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fd;
}

void vm_dump_event(const struct vm_action_req *r, const char *path, uint64_t size,
		   uint64_t ns, int err, const char *why)
{
	char keep[VM_DUMP_WHY_MAX];

	if (!err) {
		dm_event_emit("DUMP", DM_EV_STR("device", r->device), DM_EV_STR("id", r->id),
			      DM_EV_STR("path", path ? path : ""), DM_EV_UINT("size", size),
			      DM_EV_UINT("duration_us", ns / 1000));
		return;
	}
	snprintf(keep, sizeof(keep), "%s",
		 why ? why : err == -ETIMEDOUT ? "timed out" : strerror(-err));
	dm_event_emit("DUMP", DM_EV_STR("device", r->device), DM_EV_STR("id", r->id),
		      DM_EV_STR("path", path ? path : ""), DM_EV_STR("error", keep),
		      DM_EV_UINT("duration_us", ns / 1000));
}

int vm_dump_ranges(struct vmctx *ctx, const struct vm_action_req *r,
		   const struct elfcore_range *ranges, int n)
{
	char path[DM_DUMP_DIR_MAX + 96];
	uint64_t start = now_ns(), written = 0;
	struct elfcore_limit lim = {start + (uint64_t)r->dump.timeout_s * NS_PER_S,
				    dump_now ? dump_now : monotonic_ns, dump_now_arg};
	int fd = vm_dump_open(ctx, r, path, sizeof(path)), rc;

	if (fd < 0) {
		vm_dump_event(r, fd == -ENAMETOOLONG ? NULL : path, 0, now_ns() - start, fd, NULL);
		return fd;
	}
	rc = elfcore_write(fd, ranges, n, ctx->vcpu_num, &lim, &written);
	if (close(fd) != 0 && !rc)
		rc = -errno;
	if (rc)
		unlink(path);
	vm_dump_event(r, path, written, now_ns() - start, rc, NULL);
	return rc;
}
