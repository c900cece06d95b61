/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * ACRN's acrn_timer API.  Same names and signatures, one implementation
 * difference: every timer of every device lives in one min-heap served by one
 * thread on one timerfd (core/vm_clock.c), on the VM clock of vm_clock.h.
 *
 * Contract (ACRN's, no stronger): acrn_timer_settime() with a zero it_value
 * and acrn_timer_deinit() disarm and return at once.  They do not wait for a
 * callback that is running or about to run, so a device must tolerate a stale
 * or concurrent expiry, and must not free anything its callback can touch
 * (including the struct acrn_timer itself) while the callback may still run.
 * Callbacks run on the timer thread (virtual clock: on the thread that steps
 * the clock) with no core lock held, so they may re-arm their own timer.
 * cb(param, nexp): nexp is the number of expirations (1 for one-shot timers).
 */
#ifndef _TIMER_H_
#define _TIMER_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct acrn_timer {
	int32_t fd;      /* ACRN compatibility: unused (-1) */
	int32_t clockid; /* ACRN compatibility: CLOCK_MONOTONIC or CLOCK_REALTIME, both VM time */
	void (*callback)(void *, uint64_t);
	void *callback_param;

	/* private to core/vm_clock.c */
	uint64_t deadline_ns; /* VM-clock deadline while armed */
	uint64_t period_ns;   /* 0 = one-shot */
	size_t heap_idx;      /* SIZE_MAX when not armed */
	uint32_t magic;       /* set by init, cleared by deinit */
	uint64_t generation;  /* bumped on every settime, detects re-arm from callback */
};

int32_t acrn_timer_init(struct acrn_timer *timer, void (*cb)(void *, uint64_t), void *param);
void acrn_timer_deinit(struct acrn_timer *timer);
/* Relative arm; zero it_value disarms.  0 or -EINVAL. */
int32_t acrn_timer_settime(struct acrn_timer *timer, const struct itimerspec *new_value);
/* Absolute arm on the VM clock (it_value = VM time). */
int32_t acrn_timer_settime_abs(struct acrn_timer *timer, const struct itimerspec *new_value);
int32_t acrn_timer_gettime(struct acrn_timer *timer, struct itimerspec *cur_value);

#define NS_PER_SEC (1000000000ULL)

#endif /* _TIMER_H_ */
