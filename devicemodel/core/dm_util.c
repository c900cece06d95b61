/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The small helpers of dm_util.h, each written once: width masks for the access
 * paths (mem_access, inout_access, PCI config) and the front ends, the
 * monotonic clock and the timespec/itimerspec conversions for the VM clock, the
 * guest clocks, the devices and the front ends, the checked mutex
 * operations everyone locks with, and closing a descriptor once.
 * Host-agnostic: built into acrn-dm too (devicemodel/acrn/dm_util.c).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dm_util.h"
#include "log.h"
#include "log_ratelimit.h"
#include "timer.h"

uint64_t width_mask(int bytes)
{
	if (bytes <= 0)
		return 0;
	return bytes >= 8 ? UINT64_MAX : (1ULL << (8 * bytes)) - 1;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		pr_err_rl("clock_gettime(CLOCK_MONOTONIC): %s\n", strerror(errno));
		return 0;
	}
	return timespec_to_ns(&ts);
}

uint64_t timespec_to_ns(const struct timespec *ts)
{
	uint64_t sec = (uint64_t)ts->tv_sec, nsec = (uint64_t)ts->tv_nsec;

	if (sec > (UINT64_MAX - nsec) / NS_PER_SEC)
		return UINT64_MAX;
	return sec * NS_PER_SEC + nsec;
}

struct timespec ns_to_timespec(uint64_t ns)
{
	return (struct timespec){.tv_sec = (time_t)(ns / NS_PER_SEC),
				 .tv_nsec = (long)(ns % NS_PER_SEC)};
}

struct itimerspec ns_to_itimerspec(uint64_t ns)
{
	return (struct itimerspec){.it_value = ns_to_timespec(ns)};
}

void dm_mutex_lock_in(pthread_mutex_t *m, const char *caller)
{
	int err = pthread_mutex_lock(m);

	if (err)
		pr_err_rl("%s: mutex lock failed: %s\n", caller, strerror(err));
}

void dm_mutex_unlock_in(pthread_mutex_t *m, const char *caller)
{
	int err = pthread_mutex_unlock(m);

	if (err)
		pr_err_rl("%s: mutex unlock failed: %s\n", caller, strerror(err));
}

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
