/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Small helpers with one home each (core/dm_util.c; wdt-dm extension, ACRN has
 * no such header): the all-ones value of an access width, the monotonic clock
 * in ns, timespec <-> ns and ns as a one-shot itimerspec, mutex lock/unlock
 * whose failure is logged rather than ignored, and closing a descriptor once.
 * Host-agnostic: the devices use them, so the same file is built into acrn-dm
 * (devicemodel/acrn/).
 */
#ifndef _DM_UTIL_H_
#define _DM_UTIL_H_

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* The low `bytes` bytes all ones (8 or more: all 64 bits; 0 or less: none). */
uint64_t width_mask(int bytes);

/* CLOCK_MONOTONIC in ns; 0, logged, if the clock cannot be read. */
uint64_t mono_ns(void);
/* ts (not negative) in ns, saturating at UINT64_MAX. */
uint64_t timespec_to_ns(const struct timespec *ts);
struct timespec ns_to_timespec(uint64_t ns);
/* A one-shot timer value of ns (no interval); 0 disarms. */
struct itimerspec ns_to_itimerspec(uint64_t ns);

/*
 * pthread_mutex_lock/unlock, for every lock of ours: a failure (a bug, the lock
 * is broken) is logged with the caller's name, never ignored.
 */
#define dm_mutex_lock(m) dm_mutex_lock_in((m), __func__)
#define dm_mutex_unlock(m) dm_mutex_unlock_in((m), __func__)
void dm_mutex_lock_in(pthread_mutex_t *m, const char *caller);
void dm_mutex_unlock_in(pthread_mutex_t *m, const char *caller);

/* Closes *fd unless it is already closed (negative), and marks it closed (-1). */
void close_fd(int *fd);

#endif /* _DM_UTIL_H_ */
