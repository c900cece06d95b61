/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The VM clock (vm_clock.h) and THE shared timer thread that runs every
 * device timer on it (ACRN's acrn_timer API, timer.h; docs/design.rst
 * section 5): one object, as deadlines are VM time.  Every armed acrn_timer
 * of every device sits in one binary min-heap keyed by (VM deadline, arming
 * sequence).  In realtime mode
 * one thread blocks in read() on one CLOCK_MONOTONIC timerfd armed
 * (TFD_TIMER_ABSTIME) for the heap's root; whoever arms an earlier deadline,
 * pauses, resumes or shuts down simply re-arms that same timerfd, which wakes
 * the thread, so no second wake-up fd is needed.  VM time is CLOCK_MONOTONIC
 * minus the time spent paused; deadlines are VM time, so they shift by the
 * pause on resume without being touched.  In virtual mode (qtest, unit tests)
 * there is no thread: vm_clock_step()/vm_clock_set() run the due callbacks in
 * deadline order on the stepping thread.
 *
 * Callbacks run with no lock held.  The contract is ACRN's and no stronger:
 * settime(0) and deinit take the timer off the heap and return at once; they
 * never wait for a callback that is running or was already taken off the heap
 * to run (ACRN's timerfd may likewise have fired and be queued on the mevent
 * thread).  A device must therefore tolerate a stale or concurrent expiry and
 * keep what its callback touches alive while the callback may still run
 * (timer.h).  The core reads the callback and its parameter under the lock
 * before it drops the lock, re-arms periodic timers before the callback runs,
 * and never touches a timer after its callback returned (the callback may
 * have deinit'ed and freed it).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "timer.h"
#include "vm_clock.h"

#define TIMER_MAGIC 0x746d7231U /* "tmr1": set by acrn_timer_init, cleared by deinit */
#define HEAP_MIN_CAP 64U
#define NO_DEADLINE UINT64_MAX

struct timer_core {
	pthread_mutex_t lock;
	pthread_mutex_t step_lock; /* serialises virtual-clock steppers */

	bool up;
	bool stop;                /* realtime: asks the thread to exit */
	enum vm_clock_mode mode;

	struct acrn_timer **heap;
	size_t n;
	size_t cap;
	uint64_t seq;             /* arming order, breaks deadline ties */

	/* VM clock */
	uint64_t virt_now;        /* virtual mode */
	uint64_t paused_total;    /* realtime: monotonic ns spent paused */
	uint64_t pause_start;     /* realtime: monotonic ns at vm_clock_pause() */
	bool paused;

	/* realtime thread */
	int tfd;
	uint64_t armed_vm;        /* VM deadline the timerfd is armed for, NO_DEADLINE: none */
	bool thread_waiting;      /* the thread is (about to be) blocked in read() */
	pthread_t thread;

	void (*after_fire)(void *);
	void *after_fire_arg;
};

static struct timer_core core = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.step_lock = PTHREAD_MUTEX_INITIALIZER,
	.mode = VM_CLOCK_REALTIME,
	.tfd = -1,
	.armed_vm = NO_DEADLINE,
};

/* A callback that steps the virtual clock would recurse into the stepper. */
static __thread bool in_step;

/* ---- small helpers ---------------------------------------------------- */

static void core_lock(void)
{
	int rc = pthread_mutex_lock(&core.lock);

	if (rc)
		pr_err("timer: mutex lock failed: %s\n", strerror(rc));
}

static void core_unlock(void)
{
	int rc = pthread_mutex_unlock(&core.lock);

	if (rc)
		pr_err("timer: mutex unlock failed: %s\n", strerror(rc));
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return (a > UINT64_MAX - b) ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return UINT64_MAX;
	return a * b;
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (long)NS_PER_SEC;
}

static uint64_t ts_to_ns(const struct timespec *ts)
{
	return sat_add(sat_mul((uint64_t)ts->tv_sec, NS_PER_SEC), (uint64_t)ts->tv_nsec);
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NS_PER_SEC),
		.tv_nsec = (long)(ns % NS_PER_SEC),
	};

	return ts;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		pr_err("timer: clock_gettime(CLOCK_MONOTONIC): %s\n", strerror(errno));
		return 0;
	}
	return ts_to_ns(&ts);
}

static bool timer_valid(const struct acrn_timer *t)
{
	return t && t->magic == TIMER_MAGIC;
}

/* ---- VM clock (lock held) --------------------------------------------- */

static uint64_t now_locked(void)
{
	uint64_t mono;

	if (core.mode == VM_CLOCK_VIRTUAL)
		return core.virt_now;
	mono = core.paused ? core.pause_start : mono_ns();
	return mono >= core.paused_total ? mono - core.paused_total : 0;
}

/* ---- the heap (lock held) --------------------------------------------- */

static bool fires_before(const struct acrn_timer *a, const struct acrn_timer *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	return a->generation < b->generation;
}

static void heap_place(struct acrn_timer *t, size_t i)
{
	core.heap[i] = t;
	t->heap_idx = i;
}

static void heap_sift_up(size_t i)
{
	struct acrn_timer *t = core.heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!fires_before(t, core.heap[parent]))
			break;
		heap_place(core.heap[parent], i);
		i = parent;
	}
	heap_place(t, i);
}

static void heap_sift_down(size_t i)
{
	struct acrn_timer *t = core.heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= core.n)
			break;
		if (child + 1 < core.n && fires_before(core.heap[child + 1], core.heap[child]))
			child++;
		if (!fires_before(core.heap[child], t))
			break;
		heap_place(core.heap[child], i);
		i = child;
	}
	heap_place(t, i);
}

static bool heap_contains(const struct acrn_timer *t)
{
	return t->heap_idx < core.n && core.heap[t->heap_idx] == t;
}

static int heap_reserve(void)
{
	struct acrn_timer **grown;
	size_t cap;

	if (core.n < core.cap)
		return 0;
	cap = core.cap ? core.cap * 2 : HEAP_MIN_CAP;
	if (cap > SIZE_MAX / sizeof(*grown))
		return -ENOMEM;
	grown = realloc(core.heap, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	core.heap = grown;
	core.cap = cap;
	return 0;
}

/* Caller made room with heap_reserve() (or just removed an entry). */
static void heap_insert(struct acrn_timer *t)
{
	core.heap[core.n] = t;
	t->heap_idx = core.n++;
	heap_sift_up(t->heap_idx);
}

static void heap_remove(struct acrn_timer *t)
{
	size_t i = t->heap_idx;
	struct acrn_timer *last;

	t->heap_idx = SIZE_MAX;
	last = core.heap[--core.n];
	if (i == core.n)
		return;
	heap_place(last, i);
	if (i > 0 && fires_before(last, core.heap[(i - 1) / 2]))
		heap_sift_up(i);
	else
		heap_sift_down(i);
}

/* ---- realtime thread wake-up (lock held) ------------------------------ */

/* Arms the timerfd for the root (or disarms it while paused / empty). */
static void rearm_timerfd_locked(void)
{
	uint64_t want = (core.paused || core.n == 0) ? NO_DEADLINE : core.heap[0]->deadline_ns;
	struct itimerspec its;

	if (core.mode != VM_CLOCK_REALTIME || core.tfd < 0 || want == core.armed_vm)
		return;
	memset(&its, 0, sizeof(its));
	if (want != NO_DEADLINE) {
		/* VM time + time paused = monotonic time; 0 would mean "disarm". */
		its.it_value = ns_to_ts(sat_add(want, core.paused_total));
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(core.tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
		pr_err("timer: timerfd_settime: %s\n", strerror(errno));
		return;
	}
	core.armed_vm = want;
}

/*
 * Wakes the thread only when it sleeps and the root now expires earlier than
 * armed.  A thread not waiting re-reads the heap under the lock before it
 * blocks again, so arming from callbacks costs no syscall.
 */
static void root_changed_locked(void)
{
	if (core.thread_waiting && core.n > 0 && core.heap[0]->deadline_ns < core.armed_vm)
		rearm_timerfd_locked();
}

/* ---- arming and cancelling (lock held) -------------------------------- */

static void disarm_locked(struct acrn_timer *t)
{
	if (heap_contains(t))
		heap_remove(t);
	t->heap_idx = SIZE_MAX;
	t->period_ns = 0;
	t->generation = ++core.seq;
}

static int arm_locked(struct acrn_timer *t, uint64_t deadline, uint64_t period)
{
	int rc;

	if (!heap_contains(t)) {
		rc = heap_reserve();
		if (rc)
			return rc;
	}
	if (heap_contains(t))
		heap_remove(t);
	t->deadline_ns = deadline;
	t->period_ns = period;
	t->generation = ++core.seq;
	heap_insert(t);
	root_changed_locked();
	return 0;
}

/* ---- firing ----------------------------------------------------------- */

/*
 * Runs the root's callback (lock held on entry and exit, dropped around the
 * callback and the after-fire hook).  Periodic timers are re-armed first.
 */
static void fire_root_locked(uint64_t now)
{
	struct acrn_timer *t = core.heap[0];
	void (*cb)(void *, uint64_t) = t->callback;
	void *param = t->callback_param;
	void (*hook)(void *);
	void *hook_arg;
	uint64_t nexp = 1;
	uint64_t next;

	heap_remove(t);
	if (t->period_ns) {
		if (now > t->deadline_ns)
			nexp += (now - t->deadline_ns) / t->period_ns;
		next = sat_add(t->deadline_ns, sat_mul(nexp, t->period_ns));
		/* A saturated period cannot move forward: make it the last shot. */
		if (next > t->deadline_ns) {
			t->deadline_ns = next;
			t->generation = ++core.seq;
			heap_insert(t); /* the slot just freed is still there */
		} else {
			t->period_ns = 0;
		}
	}
	core_unlock();

	cb(param, nexp);

	core_lock();
	hook = core.after_fire;
	hook_arg = core.after_fire_arg;
	if (hook) {
		core_unlock();
		hook(hook_arg);
		core_lock();
	}
}

static bool root_due_locked(uint64_t now)
{
	return !core.paused && core.n > 0 && core.heap[0]->deadline_ns <= now;
}

static void *timer_thread(void *arg)
{
	uint64_t expirations;
	ssize_t got;

	(void)arg;
	/* Default 50 us slack would delay every expiry; deadlines are ns-exact. */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
		pr_warn("timer: PR_SET_TIMERSLACK: %s\n", strerror(errno));
	core_lock();
	while (!core.stop) {
		if (root_due_locked(now_locked())) {
			fire_root_locked(now_locked());
			continue;
		}
		rearm_timerfd_locked();
		core.thread_waiting = true;
		core_unlock();
		got = read(core.tfd, &expirations, sizeof(expirations));
		if (got < 0 && errno != EINTR && errno != EAGAIN)
			pr_err("timer: read(timerfd): %s\n", strerror(errno));
		core_lock();
		core.thread_waiting = false;
		/* The one-shot timerfd has fired (or we were interrupted): re-arm. */
		core.armed_vm = NO_DEADLINE;
	}
	core_unlock();
	return NULL;
}

/* ---- acrn_timer API --------------------------------------------------- */

int32_t acrn_timer_init(struct acrn_timer *timer, void (*cb)(void *, uint64_t), void *param)
{
	if (!timer || !cb)
		return -EINVAL;
	if (timer->clockid != CLOCK_MONOTONIC && timer->clockid != CLOCK_REALTIME)
		return -EINVAL;
	core_lock();
	/* Re-initialising a live timer must not leave a stale heap entry. */
	if (timer_valid(timer))
		disarm_locked(timer);
	timer->fd = -1;
	timer->callback = cb;
	timer->callback_param = param;
	timer->deadline_ns = 0;
	timer->period_ns = 0;
	timer->heap_idx = SIZE_MAX;
	timer->generation = ++core.seq;
	timer->magic = TIMER_MAGIC;
	core_unlock();
	return 0;
}

void acrn_timer_deinit(struct acrn_timer *timer)
{
	if (!timer_valid(timer))
		return;
	core_lock();
	disarm_locked(timer);
	timer->magic = 0;
	timer->fd = -1;
	core_unlock();
}

static int validate_itimerspec(const struct acrn_timer *t, const struct itimerspec *v)
{
	if (!timer_valid(t) || !v)
		return -EINVAL;
	if (!ts_valid(&v->it_value) || !ts_valid(&v->it_interval))
		return -EINVAL;
	return 0;
}

static int32_t settime_common(struct acrn_timer *t, const struct itimerspec *v, bool absolute)
{
	uint64_t value, deadline, now;
	int rc = validate_itimerspec(t, v);

	if (rc)
		return rc;
	value = ts_to_ns(&v->it_value);
	core_lock();
	if (value == 0) {
		disarm_locked(t);
		core_unlock();
		return 0;
	}
	if (!core.up) {
		core_unlock();
		pr_warn("timer: armed before timer_core_init()\n");
		return -EINVAL;
	}
	now = now_locked();
	deadline = absolute ? value : sat_add(now, value);
	if (deadline < now)
		deadline = now; /* a past absolute time fires at once, never "before now" */
	rc = arm_locked(t, deadline, ts_to_ns(&v->it_interval));
	core_unlock();
	return rc;
}

int32_t acrn_timer_settime(struct acrn_timer *timer, const struct itimerspec *new_value)
{
	return settime_common(timer, new_value, false);
}

int32_t acrn_timer_settime_abs(struct acrn_timer *timer, const struct itimerspec *new_value)
{
	return settime_common(timer, new_value, true);
}

int32_t acrn_timer_gettime(struct acrn_timer *timer, struct itimerspec *cur_value)
{
	uint64_t now;

	if (!timer_valid(timer) || !cur_value)
		return -EINVAL;
	memset(cur_value, 0, sizeof(*cur_value));
	core_lock();
	if (heap_contains(timer)) {
		now = now_locked();
		/* Armed but already due still reads as armed (1 ns), never as 0. */
		cur_value->it_value =
			ns_to_ts(timer->deadline_ns > now ? timer->deadline_ns - now : 1);
		cur_value->it_interval = ns_to_ts(timer->period_ns);
	}
	core_unlock();
	return 0;
}

/* ---- core lifecycle --------------------------------------------------- */

static int start_thread(void)
{
	sigset_t all, old;
	int rc, rc2;

	core.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (core.tfd < 0) {
		rc = -errno;
		pr_err("timer: timerfd_create: %s\n", strerror(errno));
		return rc;
	}
	core.armed_vm = NO_DEADLINE;
	/* Signals belong to the main thread, never to the timer thread. */
	if (sigfillset(&all) != 0)
		pr_err("timer: sigfillset failed\n");
	rc = pthread_sigmask(SIG_BLOCK, &all, &old);
	if (rc)
		pr_err("timer: pthread_sigmask: %s\n", strerror(rc));
	rc = pthread_create(&core.thread, NULL, timer_thread, NULL);
	rc2 = pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc2)
		pr_err("timer: pthread_sigmask restore: %s\n", strerror(rc2));
	if (rc) {
		pr_err("timer: pthread_create: %s\n", strerror(rc));
		if (close(core.tfd) != 0)
			pr_err("timer: close(timerfd): %s\n", strerror(errno));
		core.tfd = -1;
		return -rc;
	}
	rc = pthread_setname_np(core.thread, "dm-timer");
	if (rc)
		pr_warn("timer: pthread_setname_np: %s\n", strerror(rc));
	return 0;
}

int timer_core_init(enum vm_clock_mode mode)
{
	int rc = 0;

	if (mode != VM_CLOCK_REALTIME && mode != VM_CLOCK_VIRTUAL)
		return -EINVAL;
	core_lock();
	if (core.up) {
		core_unlock();
		return -EBUSY;
	}
	core.mode = mode;
	core.stop = false;
	core.paused = false;
	core.paused_total = 0;
	core.pause_start = 0;
	core.virt_now = 0;
	core.up = true;
	/* The thread takes the lock first thing, so start it with the lock held. */
	if (mode == VM_CLOCK_REALTIME)
		rc = start_thread();
	if (rc) {
		core.up = false;
		core.mode = VM_CLOCK_REALTIME;
	}
	core_unlock();
	return rc;
}

static void stop_thread_locked(void)
{
	static const struct itimerspec now_its = {.it_value = {.tv_sec = 0, .tv_nsec = 1}};
	int rc;

	core.stop = true;
	/* An absolute time in the past expires at once and wakes the reader. */
	if (timerfd_settime(core.tfd, TFD_TIMER_ABSTIME, &now_its, NULL) != 0)
		pr_err("timer: timerfd_settime (stop): %s\n", strerror(errno));
	core_unlock();
	rc = pthread_join(core.thread, NULL);
	if (rc)
		pr_err("timer: pthread_join: %s\n", strerror(rc));
	core_lock();
	if (close(core.tfd) != 0)
		pr_err("timer: close(timerfd): %s\n", strerror(errno));
	core.tfd = -1;
	core.armed_vm = NO_DEADLINE;
	core.thread_waiting = false;
}

void timer_core_fini(void)
{
	core_lock();
	if (!core.up) {
		core_unlock();
		return;
	}
	if (core.mode == VM_CLOCK_REALTIME) {
		if (pthread_equal(core.thread, pthread_self())) {
			core_unlock();
			pr_err("timer: timer_core_fini() from a timer callback refused\n");
			return;
		}
		stop_thread_locked();
	}
	while (core.n > 0)
		disarm_locked(core.heap[core.n - 1]);
	free(core.heap);
	core.heap = NULL;
	core.cap = 0;
	core.up = false;
	core.paused = false;
	core.after_fire = NULL;
	core.after_fire_arg = NULL;
	core_unlock();
}

enum vm_clock_mode vm_clock_mode(void)
{
	enum vm_clock_mode mode;

	core_lock();
	mode = core.mode;
	core_unlock();
	return mode;
}

void timer_core_set_after_fire(void (*fn)(void *), void *arg)
{
	core_lock();
	core.after_fire = fn;
	core.after_fire_arg = arg;
	core_unlock();
}

bool vm_clock_next_deadline(uint64_t *ns)
{
	bool armed;

	core_lock();
	armed = core.n > 0;
	if (armed && ns)
		*ns = core.heap[0]->deadline_ns;
	core_unlock();
	return armed;
}

size_t timer_core_armed_count(void)
{
	size_t n;

	core_lock();
	n = core.n;
	core_unlock();
	return n;
}

/* ---- VM clock --------------------------------------------------------- */

uint64_t vm_clock_now_ns(void)
{
	uint64_t now;

	core_lock();
	now = now_locked();
	core_unlock();
	return now;
}

bool vm_clock_pause(void)
{
	bool was_running;

	core_lock();
	was_running = !core.paused;
	if (was_running) {
		core.pause_start = mono_ns();
		core.paused = true;
		rearm_timerfd_locked(); /* disarms: no callback runs while paused */
	}
	core_unlock();
	return was_running;
}

bool vm_clock_resume(void)
{
	bool was_paused;
	uint64_t mono;

	core_lock();
	was_paused = core.paused;
	if (was_paused) {
		mono = mono_ns();
		if (mono > core.pause_start)
			core.paused_total = sat_add(core.paused_total, mono - core.pause_start);
		core.paused = false;
		rearm_timerfd_locked();
	}
	core_unlock();
	return was_paused;
}

bool vm_clock_paused(void)
{
	bool paused;

	core_lock();
	paused = core.paused;
	core_unlock();
	return paused;
}

/*
 * Virtual mode: runs every callback due up to 'target' in deadline order,
 * the clock reading each one's deadline, then leaves the clock at 'target'.
 */
static uint64_t virtual_advance_to(uint64_t target)
{
	size_t shots_at_end;
	uint64_t now;
	int rc;

	if (in_step) {
		pr_err("timer: virtual clock stepped from a timer callback, ignored\n");
		return vm_clock_now_ns();
	}
	rc = pthread_mutex_lock(&core.step_lock);
	if (rc) {
		pr_err("timer: step lock: %s\n", strerror(rc));
		return vm_clock_now_ns();
	}
	in_step = true;
	core_lock();
	/*
	 * At the end of the clock every relative re-arm saturates at NO_DEADLINE,
	 * the time just fired: without a limit a re-arming callback (a
	 * free-running watchdog stage) would be fired there forever.  Each timer
	 * armed when the step began gets one shot at NO_DEADLINE per step.
	 */
	shots_at_end = core.n;
	while (core.up && core.mode == VM_CLOCK_VIRTUAL && !core.paused && core.n > 0 &&
	       core.heap[0]->deadline_ns <= target) {
		if (core.heap[0]->deadline_ns > core.virt_now)
			core.virt_now = core.heap[0]->deadline_ns;
		if (core.virt_now == NO_DEADLINE && shots_at_end-- == 0)
			break;
		fire_root_locked(core.virt_now);
	}
	if (core.mode == VM_CLOCK_VIRTUAL && !core.paused && target > core.virt_now)
		core.virt_now = target;
	now = core.virt_now;
	core_unlock();
	in_step = false;
	rc = pthread_mutex_unlock(&core.step_lock);
	if (rc)
		pr_err("timer: step unlock: %s\n", strerror(rc));
	return now;
}

/* Returns false (and the current time) when the clock may not be stepped. */
static bool virtual_steppable(uint64_t *now)
{
	bool ok;

	core_lock();
	*now = now_locked();
	ok = core.up && core.mode == VM_CLOCK_VIRTUAL && !core.paused;
	core_unlock();
	return ok;
}

uint64_t vm_clock_step(uint64_t ns)
{
	uint64_t now;

	if (!virtual_steppable(&now))
		return now;
	return virtual_advance_to(sat_add(now, ns));
}

uint64_t vm_clock_step_next(void)
{
	uint64_t now, next;

	if (!virtual_steppable(&now) || !vm_clock_next_deadline(&next))
		return now;
	return virtual_advance_to(next > now ? next : now);
}

int vm_clock_set(uint64_t ns)
{
	uint64_t now;

	if (!virtual_steppable(&now) || ns < now)
		return -EINVAL;
	virtual_advance_to(ns);
	return 0;
}
