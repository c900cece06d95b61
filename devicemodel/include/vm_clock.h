/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The VM clock and the timer core's host-side controls (wdt-dm extension; ACRN
 * has no equivalent header).  VM time is CLOCK_MONOTONIC minus the time the
 * VM spent paused (VM_CLOCK_REALTIME), or a virtual clock that only
 * vm_clock_step()/vm_clock_set() advance (VM_CLOCK_VIRTUAL, qtest and unit
 * tests).  In virtual mode due callbacks run in deadline order on the thread
 * that steps the clock, each seeing vm_clock_now_ns() == its deadline.
 */
#ifndef _VM_CLOCK_H_
#define _VM_CLOCK_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vm_clock_mode { VM_CLOCK_REALTIME, VM_CLOCK_VIRTUAL };

/* Starts the timer core (realtime: spawns the timer thread).  0 or -errno. */
int timer_core_init(enum vm_clock_mode mode);
/* Stops the thread; timers still armed are disarmed.  Idempotent. */
void timer_core_fini(void);
enum vm_clock_mode vm_clock_mode(void);

uint64_t vm_clock_now_ns(void);
/* Each returns whether it changed the state (a second pause does nothing). */
bool vm_clock_pause(void);
bool vm_clock_resume(void);
bool vm_clock_paused(void);

/* Virtual mode only: advance by ns (paused: VM time stays).  Returns VM now. */
uint64_t vm_clock_step(uint64_t ns);
/* Virtual mode only: advance to the earliest deadline (none: no change). */
uint64_t vm_clock_step_next(void);
/* Virtual mode only: set VM time to ns >= now.  0 or -EINVAL. */
int vm_clock_set(uint64_t ns);

/* Earliest armed deadline; false when nothing is armed. */
bool vm_clock_next_deadline(uint64_t *ns);
size_t timer_core_armed_count(void);

/*
 * Called on the timer thread after every callback returns, with no lock held:
 * the front end carries out requested actions here, off the device's stack.
 */
void timer_core_set_after_fire(void (*fn)(void *), void *arg);

#endif /* _VM_CLOCK_H_ */
