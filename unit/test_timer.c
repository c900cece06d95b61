/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Unit tests of the shared timer thread and the VM clock (core/vm_clock.c,
 * docs/design.rst section 5).  Everything runs on the virtual clock except the
 * tests that need the real timer thread (cancel racing a running callback,
 * missed periods, wake-up, pause); those synchronise with condition
 * variables.  Only the pause test lets real time pass (300 ms paused): its
 * bounds come from clock readings around each call, so load cannot fail it.
 * Each test starts from a fresh core at VM time 0.  Probes are static: a
 * test cut short by a failed assertion leaves them armed, and the next
 * fresh_core() must still find valid timers in the heap.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "timer.h"
#include "unit.h"
#include "vm_clock.h"

#define MS 1000000ULL
#define MAX_FIRES 10100

struct fire {
	int id;
	uint64_t now;
	uint64_t nexp;
};

static struct fire fires[MAX_FIRES];
static int nfires;

struct probe {
	struct acrn_timer t;
	int id;
	void (*extra)(struct probe *p); /* run from the callback after logging */
	uint64_t rearm_ns;             /* used by extra actions */
	int budget;                    /* used by extra actions */
};

static void log_fire(void *param, uint64_t nexp)
{
	struct probe *p = param;

	if (nfires < MAX_FIRES)
		fires[nfires] = (struct fire){p->id, vm_clock_now_ns(), nexp};
	nfires++;
	if (p->extra)
		p->extra(p);
}

static void probe_init(struct probe *p, int id)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->t.clockid = CLOCK_MONOTONIC;
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&p->t, log_fire, p), 0);
}

static struct itimerspec its_ns(uint64_t value, uint64_t interval)
{
	struct itimerspec its = {
		.it_value = {(time_t)(value / NS_PER_SEC), (long)(value % NS_PER_SEC)},
		.it_interval = {(time_t)(interval / NS_PER_SEC), (long)(interval % NS_PER_SEC)},
	};

	return its;
}

static int arm(struct probe *p, uint64_t value, uint64_t interval)
{
	struct itimerspec its = its_ns(value, interval);

	return acrn_timer_settime(&p->t, &its);
}

static int disarm(struct probe *p)
{
	return arm(p, 0, 0);
}

static void fresh_core(void)
{
	timer_core_fini();
	CU_ASSERT_EQUAL_FATAL(timer_core_init(VM_CLOCK_VIRTUAL), 0);
	nfires = 0;
}

static int suite_init(void)
{
	return timer_core_init(VM_CLOCK_VIRTUAL) == 0 ? 0 : -1;
}

static int suite_cleanup(void)
{
	timer_core_fini();
	return 0;
}

/* ---- ordering ---------------------------------------------------------- */

static void test_callbacks_run_in_deadline_order_seeing_their_deadline(void)
{
	static struct probe a, b, c;

	fresh_core();
	probe_init(&a, 1);
	probe_init(&b, 2);
	probe_init(&c, 3);
	CU_ASSERT_EQUAL(arm(&a, 30 * MS, 0), 0);
	CU_ASSERT_EQUAL(arm(&b, 10 * MS, 0), 0);
	CU_ASSERT_EQUAL(arm(&c, 20 * MS, 0), 0);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 3);

	CU_ASSERT_EQUAL(vm_clock_step(100 * MS), 100 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 3);
	CU_ASSERT_EQUAL(fires[0].id, 2);
	CU_ASSERT_EQUAL(fires[0].now, 10 * MS);
	CU_ASSERT_EQUAL(fires[1].id, 3);
	CU_ASSERT_EQUAL(fires[1].now, 20 * MS);
	CU_ASSERT_EQUAL(fires[2].id, 1);
	CU_ASSERT_EQUAL(fires[2].now, 30 * MS);
	CU_ASSERT_EQUAL(fires[0].nexp, 1);
	CU_ASSERT_EQUAL(vm_clock_now_ns(), 100 * MS);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
}

static void test_step_stops_just_before_a_deadline(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0);
	vm_clock_step(10 * MS - 1);
	CU_ASSERT_EQUAL(nfires, 0);
	vm_clock_step(1);
	CU_ASSERT_EQUAL(nfires, 1);
}

static void test_same_deadline_fires_in_arming_order(void)
{
	static struct probe p[5];
	static const int arm_order[5] = {3, 0, 4, 1, 2};

	fresh_core();
	for (int i = 0; i < 5; i++)
		probe_init(&p[i], i);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(arm(&p[arm_order[i]], 5 * MS, 0), 0);
	vm_clock_step(5 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 5);
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(fires[i].id, arm_order[i]);
		CU_ASSERT_EQUAL(fires[i].now, 5 * MS);
	}
}

static void test_ten_thousand_random_deadlines_fire_in_order(void)
{
	enum { N = 10000 };
	static struct probe p[N];
	static uint64_t deadline[N];
	unsigned int seed = 12345;

	fresh_core();
	for (int i = 0; i < N; i++) {
		probe_init(&p[i], i);
		/* Few distinct values, so many ties must keep arming order too. */
		deadline[i] = 1 + (uint64_t)(rand_r(&seed) % 2000) * 1000;
		CU_ASSERT_EQUAL(arm(&p[i], deadline[i], 0), 0);
	}
	/* Cancel every tenth: they must not fire. */
	for (int i = 0; i < N; i += 10)
		CU_ASSERT_EQUAL(disarm(&p[i]), 0);
	CU_ASSERT_EQUAL(timer_core_armed_count(), N - N / 10);
	vm_clock_step(NS_PER_SEC);
	CU_ASSERT_EQUAL_FATAL(nfires, N - N / 10);
	for (int i = 0; i < nfires; i++) {
		CU_ASSERT_NOT_EQUAL(fires[i].id % 10, 0);
		CU_ASSERT_EQUAL(fires[i].now, deadline[fires[i].id]);
		if (i > 0) {
			CU_ASSERT(fires[i - 1].now <= fires[i].now);
			if (fires[i - 1].now == fires[i].now)
				CU_ASSERT(fires[i - 1].id < fires[i].id);
		}
	}
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
}

/* ---- cancel, re-arm, periodic ----------------------------------------- */

static void test_cancel_before_deadline_never_fires(void)
{
	static struct probe a, b;

	fresh_core();
	probe_init(&a, 1);
	probe_init(&b, 2);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0);
	CU_ASSERT_EQUAL(arm(&b, 20 * MS, 0), 0);
	vm_clock_step(5 * MS);
	CU_ASSERT_EQUAL(disarm(&a), 0);
	CU_ASSERT_EQUAL(disarm(&a), 0); /* disarming twice is harmless */
	CU_ASSERT_EQUAL(timer_core_armed_count(), 1);
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].id, 2);
}

static void test_rearming_moves_the_deadline_without_duplicating(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0);
	CU_ASSERT_EQUAL(arm(&a, 30 * MS, 0), 0);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 1);
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].now, 30 * MS);
}

static void rearm_self(struct probe *p)
{
	if (p->budget-- > 0)
		CU_ASSERT_EQUAL(arm(p, p->rearm_ns, 0), 0);
}

static void test_rearm_from_callback_fires_again_within_the_step(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	a.extra = rearm_self;
	a.rearm_ns = 7 * MS;
	a.budget = 3;
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0);
	CU_ASSERT_EQUAL(vm_clock_step(35 * MS), 35 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 4);
	CU_ASSERT_EQUAL(fires[1].now, 17 * MS);
	CU_ASSERT_EQUAL(fires[2].now, 24 * MS);
	CU_ASSERT_EQUAL(fires[3].now, 31 * MS);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
}

static void test_periodic_rearms_at_deadline_plus_period(void)
{
	static struct probe a;
	uint64_t next = 0;

	fresh_core();
	probe_init(&a, 1);
	CU_ASSERT_EQUAL(arm(&a, 5 * MS, 10 * MS), 0);
	vm_clock_step(50 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 5);
	for (int i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(fires[i].now, 5 * MS + (uint64_t)i * 10 * MS);
		CU_ASSERT_EQUAL(fires[i].nexp, 1);
	}
	CU_ASSERT_TRUE(vm_clock_next_deadline(&next));
	CU_ASSERT_EQUAL(next, 55 * MS);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 1);
	CU_ASSERT_EQUAL(disarm(&a), 0);
	CU_ASSERT_FALSE(vm_clock_next_deadline(&next));
}

static void cancel_self(struct probe *p)
{
	CU_ASSERT_EQUAL(disarm(p), 0);
}

static void test_callback_cancelling_itself_returns_at_once(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	a.extra = cancel_self;
	CU_ASSERT_EQUAL(arm(&a, 1 * MS, 1 * MS), 0);
	vm_clock_step(10 * MS); /* would deadlock if it waited for itself */
	CU_ASSERT_EQUAL(nfires, 1);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
}

static void deinit_self(struct probe *p)
{
	acrn_timer_deinit(&p->t);
}

static void test_callback_deinit_of_its_own_timer_stops_it(void)
{
	static struct probe a;
	struct itimerspec its = its_ns(MS, 0);

	fresh_core();
	probe_init(&a, 1);
	a.extra = deinit_self;
	CU_ASSERT_EQUAL(arm(&a, 1 * MS, 1 * MS), 0);
	vm_clock_step(10 * MS);
	CU_ASSERT_EQUAL(nfires, 1);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	CU_ASSERT_EQUAL(acrn_timer_settime(&a.t, &its), -EINVAL);
}

static void test_deinit_while_armed_never_fires(void)
{
	static struct probe a, b;

	fresh_core();
	probe_init(&a, 1);
	probe_init(&b, 2);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 10 * MS), 0);
	CU_ASSERT_EQUAL(arm(&b, 20 * MS, 0), 0);
	acrn_timer_deinit(&a.t);
	acrn_timer_deinit(&a.t); /* second deinit is a no-op */
	CU_ASSERT_EQUAL(timer_core_armed_count(), 1);
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].id, 2);
}

static void test_fini_disarms_every_timer(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0);
	timer_core_fini();
	timer_core_fini(); /* idempotent */
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	CU_ASSERT_EQUAL_FATAL(timer_core_init(VM_CLOCK_VIRTUAL), 0);
	CU_ASSERT_EQUAL(timer_core_init(VM_CLOCK_VIRTUAL), -EBUSY);
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL(nfires, 0);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0); /* the timer is still usable */
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL(nfires, 1);
}

/* ---- virtual clock ---------------------------------------------------- */

static void test_step_next_advances_to_the_earliest_deadline(void)
{
	static struct probe a, b;

	fresh_core();
	CU_ASSERT_EQUAL(vm_clock_step_next(), 0); /* nothing armed: no change */
	probe_init(&a, 1);
	probe_init(&b, 2);
	CU_ASSERT_EQUAL(arm(&a, 40 * MS, 0), 0);
	CU_ASSERT_EQUAL(arm(&b, 15 * MS, 0), 0);
	CU_ASSERT_EQUAL(vm_clock_step_next(), 15 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].id, 2);
	CU_ASSERT_EQUAL(vm_clock_step_next(), 40 * MS);
	CU_ASSERT_EQUAL(nfires, 2);
	CU_ASSERT_EQUAL(vm_clock_step_next(), 40 * MS);
	CU_ASSERT_EQUAL(nfires, 2);
}

static void test_clock_set_backwards_is_rejected(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0);
	CU_ASSERT_EQUAL(vm_clock_set(20 * MS), 0);
	CU_ASSERT_EQUAL(vm_clock_now_ns(), 20 * MS);
	CU_ASSERT_EQUAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].now, 10 * MS);
	CU_ASSERT_EQUAL(vm_clock_set(20 * MS - 1), -EINVAL);
	CU_ASSERT_EQUAL(vm_clock_now_ns(), 20 * MS);
	CU_ASSERT_EQUAL(vm_clock_set(20 * MS), 0); /* same time is fine */
}

static void test_pause_in_virtual_mode_keeps_vm_time(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 0), 0);
	vm_clock_step(5 * MS);
	vm_clock_pause();
	CU_ASSERT_TRUE(vm_clock_paused());
	CU_ASSERT_EQUAL(vm_clock_step(100 * MS), 5 * MS);
	CU_ASSERT_EQUAL(vm_clock_step_next(), 5 * MS);
	CU_ASSERT_EQUAL(vm_clock_now_ns(), 5 * MS);
	CU_ASSERT_EQUAL(nfires, 0);
	vm_clock_resume();
	CU_ASSERT_FALSE(vm_clock_paused());
	vm_clock_step(5 * MS);
	CU_ASSERT_EQUAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].now, 10 * MS);
}

static void test_realtime_mode_ignores_virtual_steps(void)
{
	timer_core_fini();
	CU_ASSERT_EQUAL_FATAL(timer_core_init(VM_CLOCK_REALTIME), 0);
	CU_ASSERT_EQUAL(vm_clock_mode(), VM_CLOCK_REALTIME);
	CU_ASSERT_EQUAL(vm_clock_set(UINT64_MAX), -EINVAL);
	CU_ASSERT(vm_clock_now_ns() < UINT64_MAX / 2);
	fresh_core();
	CU_ASSERT_EQUAL(vm_clock_mode(), VM_CLOCK_VIRTUAL);
}

static void test_gettime_reports_remaining_time_and_interval(void)
{
	static struct probe a;
	struct itimerspec cur;

	fresh_core();
	probe_init(&a, 1);
	CU_ASSERT_EQUAL(acrn_timer_gettime(&a.t, &cur), 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_sec, 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_nsec, 0);
	CU_ASSERT_EQUAL(arm(&a, 2 * NS_PER_SEC + 500 * MS, 250 * MS), 0);
	vm_clock_step(1 * NS_PER_SEC);
	CU_ASSERT_EQUAL(acrn_timer_gettime(&a.t, &cur), 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_sec, 1);
	CU_ASSERT_EQUAL(cur.it_value.tv_nsec, 500 * MS);
	CU_ASSERT_EQUAL(cur.it_interval.tv_sec, 0);
	CU_ASSERT_EQUAL(cur.it_interval.tv_nsec, 250 * MS);
	CU_ASSERT_EQUAL(disarm(&a), 0);
	CU_ASSERT_EQUAL(acrn_timer_gettime(&a.t, &cur), 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_nsec, 0);
	CU_ASSERT_EQUAL(cur.it_interval.tv_nsec, 0);
}

static void test_settime_abs_uses_vm_time(void)
{
	static struct probe a;
	struct itimerspec its = its_ns(25 * MS, 0);

	fresh_core();
	probe_init(&a, 1);
	vm_clock_step(20 * MS);
	CU_ASSERT_EQUAL(acrn_timer_settime_abs(&a.t, &its), 0);
	vm_clock_step(4 * MS);
	CU_ASSERT_EQUAL(nfires, 0);
	vm_clock_step(1 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].now, 25 * MS);
	/* A time already past fires at the next step, at the current time. */
	its = its_ns(1 * MS, 0);
	CU_ASSERT_EQUAL(acrn_timer_settime_abs(&a.t, &its), 0);
	vm_clock_step(0);
	CU_ASSERT_EQUAL_FATAL(nfires, 2);
	CU_ASSERT_EQUAL(fires[1].now, 25 * MS);
}

static void test_huge_values_saturate_instead_of_wrapping(void)
{
	static struct probe a;
	struct itimerspec its = {.it_value = {LONG_MAX, 999999999}};
	uint64_t next = 0;

	fresh_core();
	probe_init(&a, 1);
	vm_clock_step(1 * MS);
	CU_ASSERT_EQUAL(acrn_timer_settime(&a.t, &its), 0);
	CU_ASSERT_TRUE(vm_clock_next_deadline(&next));
	CU_ASSERT_EQUAL(next, UINT64_MAX);
	CU_ASSERT_EQUAL(vm_clock_set(UINT64_MAX - 1), 0);
	CU_ASSERT_EQUAL(nfires, 0);
	/* A periodic timer that saturates fires once and stops, no endless loop. */
	its.it_interval.tv_sec = 1;
	CU_ASSERT_EQUAL(acrn_timer_settime(&a.t, &its), 0);
	CU_ASSERT_EQUAL(vm_clock_step(UINT64_MAX), UINT64_MAX);
	CU_ASSERT_EQUAL(nfires, 1);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
}

/* ---- after-fire hook -------------------------------------------------- */

static int hook_calls;
static int hook_saw_fires;

static void count_hook(void *arg)
{
	CU_ASSERT_PTR_EQUAL(arg, &hook_calls);
	hook_calls++;
	hook_saw_fires = nfires; /* the callback has already returned */
}

static void test_after_fire_hook_runs_once_per_callback(void)
{
	static struct probe a, b;

	fresh_core();
	hook_calls = 0;
	timer_core_set_after_fire(count_hook, &hook_calls);
	probe_init(&a, 1);
	probe_init(&b, 2);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 10 * MS), 0);
	CU_ASSERT_EQUAL(arm(&b, 15 * MS, 0), 0);
	vm_clock_step(30 * MS);
	CU_ASSERT_EQUAL(nfires, 4);
	CU_ASSERT_EQUAL(hook_calls, 4);
	CU_ASSERT_EQUAL(hook_saw_fires, 4);
	timer_core_set_after_fire(NULL, NULL);
	vm_clock_step(10 * MS);
	CU_ASSERT_EQUAL(nfires, 5);
	CU_ASSERT_EQUAL(hook_calls, 4);
	CU_ASSERT_EQUAL(disarm(&a), 0);
}

/* ---- invalid input ---------------------------------------------------- */

static void nop_cb(void *param, uint64_t nexp)
{
	(void)param, (void)nexp;
}

static void test_invalid_arguments_are_rejected(void)
{
	struct acrn_timer raw;
	static struct probe a;
	struct itimerspec its = its_ns(MS, 0);
	struct itimerspec bad;

	fresh_core();
	memset(&raw, 0, sizeof(raw));
	CU_ASSERT_EQUAL(acrn_timer_init(NULL, nop_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(acrn_timer_init(&raw, NULL, NULL), -EINVAL);
	raw.clockid = 77;
	CU_ASSERT_EQUAL(acrn_timer_init(&raw, nop_cb, NULL), -EINVAL);
	/* Never initialised: refused, not armed. */
	CU_ASSERT_EQUAL(acrn_timer_settime(&raw, &its), -EINVAL);
	CU_ASSERT_EQUAL(acrn_timer_settime_abs(&raw, &its), -EINVAL);
	CU_ASSERT_EQUAL(acrn_timer_gettime(&raw, &bad), -EINVAL);
	CU_ASSERT_EQUAL(acrn_timer_settime(NULL, &its), -EINVAL);
	acrn_timer_deinit(NULL);
	acrn_timer_deinit(&raw);

	probe_init(&a, 1);
	CU_ASSERT_EQUAL(acrn_timer_settime(&a.t, NULL), -EINVAL);
	CU_ASSERT_EQUAL(acrn_timer_gettime(&a.t, NULL), -EINVAL);
	bad = its_ns(MS, 0);
	bad.it_value.tv_nsec = (long)NS_PER_SEC;
	CU_ASSERT_EQUAL(acrn_timer_settime(&a.t, &bad), -EINVAL);
	bad.it_value.tv_nsec = -1;
	CU_ASSERT_EQUAL(acrn_timer_settime(&a.t, &bad), -EINVAL);
	bad = its_ns(MS, 0);
	bad.it_value.tv_sec = -1;
	CU_ASSERT_EQUAL(acrn_timer_settime_abs(&a.t, &bad), -EINVAL);
	bad = its_ns(MS, 0);
	bad.it_interval.tv_nsec = (long)NS_PER_SEC;
	CU_ASSERT_EQUAL(acrn_timer_settime(&a.t, &bad), -EINVAL);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	CU_ASSERT_EQUAL(timer_core_init((enum vm_clock_mode)9), -EINVAL);
	CU_ASSERT_EQUAL(vm_clock_mode(), VM_CLOCK_VIRTUAL);
	acrn_timer_deinit(&a.t);
}

static void test_arming_before_core_init_is_refused(void)
{
	static struct probe a;

	fresh_core();
	probe_init(&a, 1);
	timer_core_fini();
	CU_ASSERT_EQUAL(arm(&a, MS, 0), -EINVAL);
	CU_ASSERT_EQUAL(disarm(&a), 0);
	fresh_core();
}

/* ---- realtime: cancel racing a running callback ----------------------- */

struct race {
	pthread_mutex_t m;
	pthread_cond_t cv;
	struct acrn_timer t;
	struct acrn_timer sentinel;
	bool entered, release, finished, sentinel_fired;
	bool about_to_cancel, cancel_returned, finished_at_return;
	int fires;
	pid_t canceller_tid;
	int errors; /* CUnit is not thread-safe: other threads count failures here */
};

static struct race race;

static void race_error(void)
{
	__atomic_add_fetch(&race.errors, 1, __ATOMIC_RELAXED);
}

static void race_lock(void)
{
	if (pthread_mutex_lock(&race.m) != 0)
		race_error();
}

static void race_unlock(void)
{
	if (pthread_mutex_unlock(&race.m) != 0)
		race_error();
}

static void race_signal(void)
{
	if (pthread_cond_broadcast(&race.cv) != 0)
		race_error();
}

static void race_wait(const bool *flag)
{
	while (!*flag) {
		if (pthread_cond_wait(&race.cv, &race.m) != 0) {
			race_error();
			return;
		}
	}
}

/* Blocks in the timer thread until the test releases it. */
static void race_cb(void *param, uint64_t nexp)
{
	(void)param, (void)nexp;
	race_lock();
	race.fires++;
	race.entered = true;
	race_signal();
	race_wait(&race.release);
	race.finished = true;
	race_signal();
	race_unlock();
}

static void sentinel_cb(void *param, uint64_t nexp)
{
	(void)param, (void)nexp;
	race_lock();
	race.sentinel_fired = true;
	race_signal();
	race_unlock();
}

static void *canceller(void *arg)
{
	struct itimerspec zero;

	(void)arg;
	memset(&zero, 0, sizeof(zero));
	race_lock();
	race.canceller_tid = (pid_t)syscall(SYS_gettid);
	race.about_to_cancel = true;
	race_signal();
	race_unlock();

	if (acrn_timer_settime(&race.t, &zero) != 0)
		race_error();

	race_lock();
	race.finished_at_return = race.finished;
	race.cancel_returned = true;
	race_signal();
	race_unlock();
	return NULL;
}

/* Waits up to 10 s (a generous bound for a busy host) for *flag; false on timeout. */
static bool race_wait_bounded(const bool *flag)
{
	struct timespec until;

	if (clock_gettime(CLOCK_REALTIME, &until) != 0)
		return false;
	until.tv_sec += 10;
	while (!*flag) {
		int rc = pthread_cond_timedwait(&race.cv, &race.m, &until);

		if (rc == ETIMEDOUT)
			return *flag;
		if (rc) {
			race_error();
			return false;
		}
	}
	return true;
}

/*
 * ACRN's contract: settime(0) from another thread returns at once, while the
 * callback is still running, and the periodic timer never fires again.
 */
static void test_cancel_from_other_thread_returns_while_callback_runs(void)
{
	struct itimerspec its = its_ns(1000, 1000); /* periodic, 1 us */
	struct itimerspec later;
	pthread_t th;
	int fires_at_cancel;

	memset(&race, 0, sizeof(race));
	CU_ASSERT_EQUAL_FATAL(pthread_mutex_init(&race.m, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&race.cv, NULL), 0);
	timer_core_fini();
	CU_ASSERT_EQUAL_FATAL(timer_core_init(VM_CLOCK_REALTIME), 0);
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&race.t, race_cb, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&race.sentinel, sentinel_cb, NULL), 0);
	CU_ASSERT_EQUAL(acrn_timer_settime(&race.t, &its), 0);

	race_lock();
	race_wait(&race.entered); /* the callback is running on the timer thread */
	race_unlock();

	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, canceller, NULL), 0);
	race_lock();
	CU_ASSERT_TRUE(race_wait_bounded(&race.cancel_returned)); /* no wait for the callback */
	CU_ASSERT_FALSE(race.finished_at_return);
	fires_at_cancel = race.fires;
	race.release = true;
	race_signal();
	race_wait(&race.finished);
	race_unlock();
	CU_ASSERT_EQUAL(pthread_join(th, NULL), 0);

	/*
	 * Had the 1 us periodic timer survived, it would fire long before a
	 * sentinel 20 ms out: the heap serves deadlines in order.
	 */
	later = its_ns(20 * MS, 0);
	CU_ASSERT_EQUAL(acrn_timer_settime(&race.sentinel, &later), 0);
	race_lock();
	race_wait(&race.sentinel_fired);
	CU_ASSERT_EQUAL(race.fires, fires_at_cancel);
	CU_ASSERT_EQUAL(fires_at_cancel, 1);
	race_unlock();

	acrn_timer_deinit(&race.t);
	acrn_timer_deinit(&race.sentinel);
	fresh_core();
	CU_ASSERT_EQUAL(race.errors, 0);
	CU_ASSERT_EQUAL(pthread_cond_destroy(&race.cv), 0);
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&race.m), 0);
}

/* ---- realtime: missed periods are counted, not replayed --------------- */

static uint64_t missed_nexp;
static bool missed_done;

static void missed_cb(void *param, uint64_t nexp)
{
	struct acrn_timer *t = param;
	struct itimerspec zero;

	memset(&zero, 0, sizeof(zero));
	if (acrn_timer_settime(t, &zero) != 0) /* from itself: must not wait */
		race_error();
	race_lock();
	missed_nexp = nexp;
	missed_done = true;
	race_signal();
	race_unlock();
}

static void test_realtime_periodic_counts_missed_periods(void)
{
	struct acrn_timer t;
	struct itimerspec its = its_ns(1, 1); /* 1 ns period: wake-up is far slower */

	memset(&race, 0, sizeof(race));
	missed_done = false;
	CU_ASSERT_EQUAL_FATAL(pthread_mutex_init(&race.m, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&race.cv, NULL), 0);
	timer_core_fini();
	CU_ASSERT_EQUAL_FATAL(timer_core_init(VM_CLOCK_REALTIME), 0);
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&t, missed_cb, &t), 0);
	CU_ASSERT_EQUAL(acrn_timer_settime(&t, &its), 0);
	race_lock();
	race_wait(&missed_done);
	CU_ASSERT(missed_nexp > 1);
	race_unlock();
	CU_ASSERT_EQUAL(timer_core_armed_count(), 0);
	acrn_timer_deinit(&t);
	fresh_core();
	CU_ASSERT_EQUAL(race.errors, 0);
	CU_ASSERT_EQUAL(pthread_cond_destroy(&race.cv), 0);
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&race.m), 0);
}

/* ---- realtime: an earlier deadline re-arms the sleeping thread ------- */

static void wake_cb(void *param, uint64_t nexp)
{
	bool *flag = param;

	(void)nexp;
	race_lock();
	*flag = true;
	race_signal();
	race_unlock();
}

static void test_realtime_earlier_deadline_wakes_the_sleeping_thread(void)
{
	struct acrn_timer far, near;
	struct itimerspec hour = its_ns(3600 * NS_PER_SEC, 0), soon = its_ns(1000, 0);
	bool far_fired = false, near_fired = false;

	memset(&race, 0, sizeof(race));
	CU_ASSERT_EQUAL_FATAL(pthread_mutex_init(&race.m, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&race.cv, NULL), 0);
	timer_core_fini();
	CU_ASSERT_EQUAL_FATAL(timer_core_init(VM_CLOCK_REALTIME), 0);
	memset(&far, 0, sizeof(far));
	memset(&near, 0, sizeof(near));
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&far, wake_cb, &far_fired), 0);
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&near, wake_cb, &near_fired), 0);
	/* The thread goes to sleep for an hour... */
	CU_ASSERT_EQUAL(acrn_timer_settime(&far, &hour), 0);
	/* ...and must be woken for this one (a broken wake-up hangs here). */
	CU_ASSERT_EQUAL(acrn_timer_settime(&near, &soon), 0);
	race_lock();
	race_wait(&near_fired);
	CU_ASSERT_FALSE(far_fired);
	race_unlock();
	CU_ASSERT_EQUAL(timer_core_armed_count(), 1);
	acrn_timer_deinit(&far);
	acrn_timer_deinit(&near);
	fresh_core();
	CU_ASSERT_EQUAL(race.errors, 0);
	CU_ASSERT_EQUAL(pthread_cond_destroy(&race.cv), 0);
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&race.m), 0);
}

/* ---- issue 17: gettime of a due timer, heap removal sifting up --------- */

static void test_gettime_of_an_armed_timer_already_due_is_not_disarmed(void)
{
	static struct probe a;
	struct itimerspec its = its_ns(1 * MS, 3 * MS), cur;

	fresh_core();
	probe_init(&a, 1);
	vm_clock_step(10 * MS);
	/* An absolute time in the past: armed and due, its callback not run yet. */
	CU_ASSERT_EQUAL(acrn_timer_settime_abs(&a.t, &its), 0);
	CU_ASSERT_EQUAL(acrn_timer_gettime(&a.t, &cur), 0);
	CU_ASSERT_TRUE(cur.it_value.tv_sec != 0 || cur.it_value.tv_nsec != 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_sec, 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_nsec, 1);
	CU_ASSERT_EQUAL(cur.it_interval.tv_nsec, 3 * MS);
	CU_ASSERT_EQUAL(nfires, 0);
	vm_clock_step(0);
	CU_ASSERT_EQUAL_FATAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].now, 10 * MS);
	CU_ASSERT_EQUAL(disarm(&a), 0);
	CU_ASSERT_EQUAL(acrn_timer_gettime(&a.t, &cur), 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_sec, 0);
	CU_ASSERT_EQUAL(cur.it_value.tv_nsec, 0);
}

static void test_removing_a_deep_entry_sifts_its_replacement_up(void)
{
	/*
	 * Armed in this order (ms) no entry moves, so the heap is this array:
	 * the left subtree holds 50..56, the right one 2..30 with 4 last.
	 * Cancelling 53 moves 4 under 51 and 50, past which it must sift up;
	 * left there, it would fire after 50.
	 */
	enum { N = 15 };
	static const uint64_t at[N] = {1, 50, 2, 51, 52, 20, 3, 53, 54, 55, 56, 21, 22, 30, 4};
	static struct probe p[N];

	fresh_core();
	for (int i = 0; i < N; i++) {
		probe_init(&p[i], i);
		CU_ASSERT_EQUAL(arm(&p[i], at[i] * MS, 0), 0);
	}
	CU_ASSERT_EQUAL(disarm(&p[7]), 0);
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, N - 1);
	for (int i = 0; i < N - 1; i++) {
		CU_ASSERT_NOT_EQUAL(fires[i].id, 7);
		CU_ASSERT_EQUAL(fires[i].now, at[fires[i].id] * MS);
		if (i > 0)
			CU_ASSERT(fires[i - 1].now < fires[i].now);
	}
}

static void test_reinit_of_an_armed_timer_disarms_it(void)
{
	static struct probe a, b;

	fresh_core();
	probe_init(&a, 1);
	probe_init(&b, 2);
	CU_ASSERT_EQUAL(arm(&a, 10 * MS, 10 * MS), 0);
	CU_ASSERT_EQUAL(arm(&b, 20 * MS, 0), 0);
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&a.t, log_fire, &a), 0);
	CU_ASSERT_EQUAL(timer_core_armed_count(), 1);
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL_FATAL(nfires, 1);
	CU_ASSERT_EQUAL(fires[0].id, 2);
	CU_ASSERT_EQUAL(arm(&a, 5 * MS, 0), 0); /* usable again, one entry */
	CU_ASSERT_EQUAL(timer_core_armed_count(), 1);
	vm_clock_step(100 * MS);
	CU_ASSERT_EQUAL(nfires, 2);
}

/* ---- issue 17: realtime pause (the QEMU front end's STOP / RESUME) ------- */

#define RT_PAUSE_NS (300 * MS)
#define RT_ARMED_NS (200 * MS)

struct rt_fire {
	bool fired;
	uint64_t mono;
	uint64_t vm;
	bool have_runnable;
	uint64_t runnable; /* the timer thread's, sampled by the callback */
};

static uint64_t mono_now(void)
{
	struct timespec ts;

	CU_ASSERT_EQUAL(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * How long a thread has been runnable (on a CPU or waiting for one), from
 * /proc/.../schedstat: a sleeping thread gains nothing, a spinning one gains
 * the wall time whatever the load.  false when the kernel does not say.
 */
static bool runnable_ns(const char *path, uint64_t *ns)
{
	unsigned long long on_cpu, waiting;
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return false;
	n = fscanf(f, "%llu %llu", &on_cpu, &waiting);
	fclose(f);
	*ns = (uint64_t)on_cpu + (uint64_t)waiting;
	return n == 2;
}

/* The schedstat file of the timer thread ("dm-timer"), found by name. */
static bool timer_thread_schedstat(char *path, size_t n)
{
	char comm[32], p[64];
	bool found = false;
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	FILE *f;

	while (d && !found && (e = readdir(d)) != NULL) {
		int tid = atoi(e->d_name);

		if (tid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%d/comm", tid);
		f = fopen(p, "r");
		if (!f)
			continue;
		found = fgets(comm, sizeof(comm), f) && strcmp(comm, "dm-timer\n") == 0;
		fclose(f);
		if (found)
			snprintf(path, n, "/proc/self/task/%d/schedstat", tid);
	}
	if (d)
		closedir(d);
	return found;
}

static void rt_fire_cb(void *param, uint64_t nexp)
{
	struct rt_fire *f = param;
	struct timespec ts;

	(void)nexp;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		race_error();
	race_lock();
	f->have_runnable = runnable_ns("/proc/thread-self/schedstat", &f->runnable);
	f->mono = (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
	f->vm = vm_clock_now_ns();
	f->fired = true;
	race_signal();
	race_unlock();
}

static void sleep_ns(uint64_t ns)
{
	struct timespec left = {(time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC)};

	while (nanosleep(&left, &left) != 0)
		CU_ASSERT_EQUAL_FATAL(errno, EINTR);
}

/*
 * Real time passes here (300 ms), but every bound is derived from clock
 * readings taken around each call, so load can only make the test slower,
 * never make it fail.  The checks that need the pause to start before the
 * timer was due are skipped when arming and pausing were 200 ms apart.
 */
static void test_realtime_pause_is_not_vm_time_and_armed_timer_waits_it_out(void)
{
	struct itimerspec its = its_ns(RT_ARMED_NS, 0);
	struct acrn_timer t;
	struct rt_fire f = {0};
	uint64_t m0, v0, p1, vp1, p2, vp2, v1, m1, r0 = 0, d0 = 0, d1 = 0;
	bool calm, fired_paused, have_r0;
	char stat[64];

	memset(&race, 0, sizeof(race));
	CU_ASSERT_EQUAL_FATAL(pthread_mutex_init(&race.m, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&race.cv, NULL), 0);
	timer_core_fini();
	CU_ASSERT_EQUAL_FATAL(timer_core_init(VM_CLOCK_REALTIME), 0);
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL_FATAL(acrn_timer_init(&t, rt_fire_cb, &f), 0);

	m0 = mono_now();
	v0 = vm_clock_now_ns();
	CU_ASSERT_EQUAL(acrn_timer_settime(&t, &its), 0);
	CU_ASSERT_TRUE(vm_clock_next_deadline(&d0));
	vm_clock_pause();
	p1 = mono_now();
	vp1 = vm_clock_now_ns();
	sleep_ns(RT_PAUSE_NS);
	p2 = mono_now();
	vp2 = vm_clock_now_ns();
	race_lock();
	fired_paused = f.fired;
	race_unlock();
	CU_ASSERT_TRUE(vm_clock_paused());
	CU_ASSERT_EQUAL(vp2, vp1); /* frozen while paused */
	vm_clock_resume();
	v1 = vm_clock_now_ns();
	m1 = mono_now();
	CU_ASSERT_FALSE(vm_clock_paused());

	/* VM time advanced by no more than the real time outside the pause. */
	CU_ASSERT(v1 - v0 <= (m1 - m0) - (p2 - p1));
	calm = p1 - m0 < RT_ARMED_NS;
	if (calm) {
		CU_ASSERT_FALSE(fired_paused);
		/* The VM deadline is not moved by the pause... */
		CU_ASSERT_TRUE(vm_clock_next_deadline(&d1));
		CU_ASSERT_EQUAL(d1, d0);
	}
	have_r0 = timer_thread_schedstat(stat, sizeof(stat)) && runnable_ns(stat, &r0);
	race_lock();
	CU_ASSERT_TRUE(race_wait_bounded(&f.fired));
	race_unlock();
	/* ...so it fires once its remaining time has run after the resume... */
	CU_ASSERT(f.vm >= d0);
	if (calm)
		CU_ASSERT(f.mono - m0 >= RT_ARMED_NS + (p2 - p1));
	/*
	 * ...and the timer thread sleeps until then: runnable only for its last
	 * wake-up, not the whole wait (a thread spinning on an early timerfd is).
	 */
	if (calm && have_r0 && f.have_runnable && f.mono - m1 >= RT_ARMED_NS / 2)
		CU_ASSERT(f.runnable - r0 < (f.mono - m1) / 2);
	acrn_timer_deinit(&t);
	fresh_core();
	CU_ASSERT_EQUAL(race.errors, 0);
	CU_ASSERT_EQUAL(pthread_cond_destroy(&race.cv), 0);
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&race.m), 0);
}

UNIT_SUITE(timer, suite_init, suite_cleanup,
	   UNIT_TEST(test_callbacks_run_in_deadline_order_seeing_their_deadline),
	   UNIT_TEST(test_step_stops_just_before_a_deadline),
	   UNIT_TEST(test_same_deadline_fires_in_arming_order),
	   UNIT_TEST(test_ten_thousand_random_deadlines_fire_in_order),
	   UNIT_TEST(test_cancel_before_deadline_never_fires),
	   UNIT_TEST(test_rearming_moves_the_deadline_without_duplicating),
	   UNIT_TEST(test_rearm_from_callback_fires_again_within_the_step),
	   UNIT_TEST(test_periodic_rearms_at_deadline_plus_period),
	   UNIT_TEST(test_callback_cancelling_itself_returns_at_once),
	   UNIT_TEST(test_callback_deinit_of_its_own_timer_stops_it),
	   UNIT_TEST(test_deinit_while_armed_never_fires),
	   UNIT_TEST(test_fini_disarms_every_timer),
	   UNIT_TEST(test_step_next_advances_to_the_earliest_deadline),
	   UNIT_TEST(test_clock_set_backwards_is_rejected),
	   UNIT_TEST(test_pause_in_virtual_mode_keeps_vm_time),
	   UNIT_TEST(test_realtime_mode_ignores_virtual_steps),
	   UNIT_TEST(test_gettime_reports_remaining_time_and_interval),
	   UNIT_TEST(test_settime_abs_uses_vm_time),
	   UNIT_TEST(test_huge_values_saturate_instead_of_wrapping),
	   UNIT_TEST(test_after_fire_hook_runs_once_per_callback),
	   UNIT_TEST(test_invalid_arguments_are_rejected),
	   UNIT_TEST(test_arming_before_core_init_is_refused),
	   UNIT_TEST(test_cancel_from_other_thread_returns_while_callback_runs),
	   UNIT_TEST(test_realtime_periodic_counts_missed_periods),
	   UNIT_TEST(test_realtime_earlier_deadline_wakes_the_sleeping_thread),
	   UNIT_TEST(test_gettime_of_an_armed_timer_already_due_is_not_disarmed),
	   UNIT_TEST(test_removing_a_deep_entry_sifts_its_replacement_up),
	   UNIT_TEST(test_reinit_of_an_armed_timer_disarms_it),
	   UNIT_TEST(test_realtime_pause_is_not_vm_time_and_armed_timer_waits_it_out));
