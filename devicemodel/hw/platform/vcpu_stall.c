/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * vcpu-stall: the vCPU stall detector of the "qemu,vcpu-stall-detector"
 * device-tree binding (crosvm's vmwdt, Linux's vcpu_stall_detector driver), as
 * a platform MMIO device (docs/device.rst §2; docs/design.rst §3, §5, §6).  Each vCPU has a
 * 16-byte register slot; the guest pets it by writing LOAD_CNT, and a vCPU
 * that runs LOAD_CNT / CLOCK_FREQ_HZ seconds of *guest time* (guest_clock.h)
 * without a pet has stalled: first the stall interrupt and a VCPU_STALL
 * "interrupt" event (bark), one budget later VCPU_STALL "reset" and the
 * configured action through the reboot API (bite).
 *
 * Accounting: a pet records the vCPU's guest time as the base of the stage
 * and arms a VM-clock timer for the budget.  Guest time never runs faster
 * than VM time, so that is the earliest the budget can be used up.  When the
 * timer fires, used = guest_now - base; if it falls short the timer is re-armed
 * for budget - used, measured from the same base (crosvm shrinks the budget
 * and keeps the base, counting the same run time twice: docs/device.rst §2.2).
 * Re-checks are at least one tick (and 1 ms, and the clock's resolution)
 * away and rounded up to a multiple of that grain on the VM clock, so a
 * starved vCPU costs one wake-up per budget and never stalls, and idle vCPUs
 * share wake-ups.  Detection is therefore exact when the vCPU ran all along
 * and at most two ticks late when it ran only part of the time.
 *
 * Unlike crosvm, every register is readable, nothing the guest writes can
 * crash or silently disarm the detector (frequency 0, above 1000 Hz, LOAD_CNT
 * 0, slot == vCPU count, unaligned or narrow accesses), and a vCPU thread that
 * vanished stops detection for that vCPU only, with an event:
 *   {"event": "VCPU_STALL_DETECTOR_STOPPED",
 *    "data": {"vcpu": N, "clock": "procfs", "reason": "thread-gone"}}
 * (reason "no-thread" when the vCPU's host thread is unknown, "no-guest-time"
 * when a procfs guest time stands still while its thread burns CPU: the
 * thread is not a KVM vCPU, and a stall could never be seen; that is also
 * said once on stderr).  clock=procfs is refused at start-up under a front
 * end whose vCPUs are known not to be KVM vCPUs.  A VM reset
 * re-arms the detector: the clock is reopened at the next activation, so a
 * front end that restarts its vCPU threads gets detection back.
 *
 * Lifetime and locking.  The timer contract is ACRN's (timer.h): settime(0)
 * and acrn_timer_deinit() never wait for a running or queued callback.  So a
 * device's state lives in dm_persist() blocks, never freed while the DM
 * runs: the device's keyed by the window's base, its vCPU slots (each with
 * its mutex and timer) keyed by base and vCPU count.  A callback can never
 * touch freed memory; deinit marks the slots idle and a later init at the
 * same base binds the blocks again.  One mutex
 * per vCPU slot guards its registers, state and clock; every path takes it,
 * the timer callback included, and (re)arms or cancels the slot's timer with
 * it held.  A stale or concurrent firing is harmless because the callback
 * re-derives everything from the state (an idle slot does nothing).
 * Interrupt, events and the reboot request are delivered after the mutex is
 * dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_event.h"
#include "dm_persist.h"
#include "dm_reset.h"
#include "dm_util.h"
#include "dm_vcpu.h"
#include "guest_clock.h"
#include "log.h"
#include "log_ratelimit.h"
#include "plat_dev.h"
#include "timer.h"
#include "vm_clock.h"

/* ---- register map (docs/device.rst §2.1): vCPU n at base + n * STALL_SLOT_SIZE ---- */
#define STALL_DEFAULT_BASE 0x3000ULL
#define STALL_WINDOW_SIZE 0x1000ULL
#define STALL_SLOT_SIZE 0x10U
#define STALL_MAX_VCPUS ((int)(STALL_WINDOW_SIZE / STALL_SLOT_SIZE)) /* 256 */
#define STALL_REG_STATUS 0x00U        /* w: !0 enable, 0 disable; r: 1 if enabled */
#define STALL_REG_LOAD_CNT 0x04U      /* w: pet, budget in ticks; r: last written */
#define STALL_REG_CURRENT_CNT 0x08U   /* w: ignored; r: ticks of budget left, rounded up */
#define STALL_REG_CLOCK_FREQ_HZ 0x0CU /* w/r: tick frequency */
#define STALL_REG_WIDTH 4
/* x86-64 physical addresses are at most 52 bits wide: no guest reaches above. */
#define STALL_GPA_END (1ULL << 52)

/* The Linux driver accepts 0 < f < 100; above 1000 Hz is honoured but logged. */
#define STALL_FREQ_SANE_MAX 1000U
/* Re-check floor after a check found budget left. */
#define STALL_MIN_RECHECK_NS 1000000ULL

#define STALL_NAME "vcpu-stall"
#define STALL_SLOTS_NAME "vcpu-stall slots"

enum stall_phase {
	STALL_IDLE,    /* not counting: disabled, no frequency or no LOAD_CNT yet */
	STALL_BARK,    /* counting the first budget */
	STALL_BITE,    /* interrupt raised, counting the second budget */
	STALL_FIRED,   /* reset requested; waits for a pet or a VM reset */
};

struct stall_dev;

struct stall_vcpu {
	pthread_mutex_t lock;
	bool set_up; /* lock initialised (first use of the block) */
	struct stall_dev *dev;
	int index;
	struct acrn_timer timer;
	/* the device's settings, copied at bind: callbacks read only their own slot */
	struct vmctx *ctx;
	enum guest_clock_kind clock_kind;
	enum dm_wdt_action action;
	struct dm_wdt_dump dump;

	/* registers */
	bool enabled;
	bool loaded; /* a LOAD_CNT arrived while the frequency was non-zero */
	uint32_t load_cnt;
	uint32_t freq;

	/* the current pet period */
	enum stall_phase phase;
	uint32_t pet_freq;        /* frequency the budget was computed with */
	uint64_t budget_ns;
	uint64_t pet_guest_ns;    /* guest time at the pet (guest_ms of events) */
	uint64_t stage_guest_ns;  /* guest time at the start of this stage */
	uint64_t last_guest_ns;   /* last good reading, used when a read fails */

	/* guest-time source, opened at the first activation */
	struct guest_clock clock;
	bool clock_open;
	bool clock_dead; /* thread gone: no detection until VM reset or a new thread */
};

/* What the options say. */
struct stall_cfg {
	int nvcpus;
	enum guest_clock_kind clock_kind;
	enum dm_wdt_action action;
	struct dm_wdt_dump dump;
};

/* One per window base, in a dm_persist() block: never freed while the DM runs. */
struct stall_dev {
	bool bound; /* a device instance owns the block */
	struct vmctx *ctx;
	int nvcpus;
	bool warned_no_guest_time; /* the stderr line is said once per device */
	enum guest_clock_kind clock_kind;
	enum dm_wdt_action action;
	struct dm_wdt_dump dump;
	struct stall_vcpu *vcpu; /* its own block, keyed by base | nvcpus */
};

/*
 * What a locked section decided to tell the outside world once unlocked, with
 * the slot's identity copied under the lock: a callback that ran late may
 * notify while a new instance binds the slot.
 */
struct stall_note {
	const char *stage; /* "interrupt" / "reset" / NULL */
	uint64_t guest_ms;
	const char *stopped; /* reason the detector stopped, or NULL */
	struct vmctx *ctx;
	int index;
	enum guest_clock_kind clock_kind;
	enum dm_wdt_action action;
	struct dm_wdt_dump dump;
};

/* ---- arithmetic: ns, 128-bit intermediates, never a division by zero ---- */

/* Budget of ticks at freq Hz, rounded up so a stall is never declared early. */
static uint64_t stall_ticks_to_ns(uint32_t ticks, uint32_t freq)
{
	unsigned __int128 ns = (unsigned __int128)ticks * NS_PER_SEC;

	if (freq == 0)
		return 0;
	/* LOAD_CNT 0 still means one tick: a pet never disarms the detector. */
	if (ticks == 0)
		ns = NS_PER_SEC;
	return (uint64_t)((ns + freq - 1) / freq);
}

static uint32_t stall_ns_to_ticks_up(uint64_t ns, uint32_t freq)
{
	unsigned __int128 t = ((unsigned __int128)ns * freq + NS_PER_SEC - 1) / NS_PER_SEC;

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static uint64_t stall_max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* ---- timer ---- */

static void stall_settime(struct stall_vcpu *v, uint64_t ns)
{
	struct itimerspec its = ns_to_itimerspec(ns);
	int rc = acrn_timer_settime(&v->timer, &its);

	if (rc)
		pr_err_rl(STALL_NAME ": vcpu %d: cannot set timer (%d)\n", v->index, rc);
}

static void stall_arm(struct stall_vcpu *v, uint64_t ns)
{
	stall_settime(v, ns ? ns : 1); /* a zero it_value would disarm */
}

/* Returns at once; a callback already on its way re-checks the state. */
static void stall_disarm(struct stall_vcpu *v)
{
	stall_settime(v, 0);
}

/*
 * A re-check in ns, rounded up to a multiple of grain on the VM clock, so the
 * re-checks of many idle vCPUs share one wake-up of the timer thread.  Only
 * ever later than the earliest possible expiry, by less than one grain.
 */
static void stall_arm_coalesced(struct stall_vcpu *v, uint64_t ns, uint64_t grain)
{
	struct itimerspec its;
	uint64_t at = vm_clock_now_ns();
	int rc;

	if (ns > UINT64_MAX - at - grain) {
		stall_arm(v, ns);
		return;
	}
	at += ns;
	at += (grain - at % grain) % grain;
	its = ns_to_itimerspec(at);
	rc = acrn_timer_settime_abs(&v->timer, &its);
	if (rc)
		pr_err_rl(STALL_NAME ": vcpu %d: cannot arm timer (%d)\n", v->index, rc);
}

/* ---- guest clock ---- */

static pid_t stall_vcpu_tid(const struct stall_vcpu *v, pid_t *pid)
{
	return dm_vcpu_thread(v->ctx, v->index, pid);
}

static bool stall_kind_has_thread(enum guest_clock_kind kind)
{
	return kind == GUEST_CLOCK_PROCFS || kind == GUEST_CLOCK_CPUTIME;
}

static void stall_clock_close(struct stall_vcpu *v)
{
	if (v->clock_open)
		guest_clock_close(&v->clock);
	v->clock_open = false;
}

/* Stop detection for this vCPU only; the event goes out once unlocked. */
static void stall_clock_died(struct stall_vcpu *v, struct stall_note *note, const char *why)
{
	stall_clock_close(v);
	v->clock_dead = true;
	v->phase = STALL_IDLE;
	note->stopped = why;
}

/* Open (or reopen for a new vCPU thread) the guest clock.  false: unusable. */
static bool stall_clock_ready(struct stall_vcpu *v, struct stall_note *note)
{
	pid_t pid;
	pid_t tid = stall_vcpu_tid(v, &pid);
	int rc;

	if (stall_kind_has_thread(v->clock_kind) && (v->clock_open || v->clock_dead) &&
	    v->clock.tid != tid) {
		stall_clock_close(v); /* the front end restarted this vCPU's thread */
		v->clock_dead = false;
	}
	if (v->clock_dead)
		return false;
	if (v->clock_open)
		return true;
	rc = guest_clock_open(&v->clock, v->clock_kind, v->index, pid, tid);
	if (rc) {
		v->clock.tid = tid;
		pr_warn(STALL_NAME ": vcpu %d: cannot open %s clock of thread %d (%s)\n", v->index,
			guest_clock_kind_name(v->clock_kind), (int)tid, strerror(-rc));
		stall_clock_died(v, note, tid <= 0 ? "no-thread" : "thread-gone");
		return false;
	}
	v->clock_open = true;
	return true;
}

/* Guest ns now.  false when the thread is gone (detection stopped). */
static bool stall_guest_now(struct stall_vcpu *v, struct stall_note *note, uint64_t *ns)
{
	int rc;

	if (!stall_clock_ready(v, note))
		return false;
	rc = guest_clock_read(&v->clock, ns);
	if (rc == -ENODATA) {
		if (!__atomic_exchange_n(&v->dev->warned_no_guest_time, true, __ATOMIC_RELAXED))
			pr_warn(STALL_NAME ": vcpu %d: clock=%s: the guest time of thread %d does "
					   "not advance while it runs (not a KVM vCPU); detection "
					   "stopped, use clock=cputime\n",
				v->index, guest_clock_kind_name(v->dev->clock_kind),
				(int)v->clock.tid);
		stall_clock_died(v, note, "no-guest-time");
		return false;
	}
	if (rc == -ESRCH) {
		pr_warn(STALL_NAME ": vcpu %d: vCPU thread %d is gone, detection stopped\n",
			v->index, (int)v->clock.tid);
		stall_clock_died(v, note, "thread-gone");
		return false;
	}
	if (rc) {
		/* A transient failure counts as no progress (never as a stall). */
		pr_warn_rl(STALL_NAME ": vcpu %d: guest clock read failed (%d)\n", v->index, rc);
		*ns = v->last_guest_ns;
		return true;
	}
	v->last_guest_ns = *ns;
	return true;
}

/* ---- the detector ---- */

static uint64_t stall_tick_ns(const struct stall_vcpu *v)
{
	return stall_ticks_to_ns(1, v->pet_freq);
}

/* A pet: the budget starts now, in guest time, from stage one. */
static void stall_pet(struct stall_vcpu *v, struct stall_note *note)
{
	uint64_t now;

	if (!v->enabled || !v->loaded || v->freq == 0) {
		v->phase = STALL_IDLE;
		stall_disarm(v);
		return;
	}
	if (!stall_guest_now(v, note, &now)) {
		stall_disarm(v);
		return;
	}
	v->pet_freq = v->freq;
	v->budget_ns = stall_ticks_to_ns(v->load_cnt, v->freq);
	v->pet_guest_ns = now;
	v->stage_guest_ns = now;
	v->phase = STALL_BARK;
	stall_arm(v, v->budget_ns);
}

static uint64_t stall_used_ns(const struct stall_vcpu *v, uint64_t now)
{
	/* a clock that went backwards (new thread, restarted clock) ran nothing */
	return now > v->stage_guest_ns ? now - v->stage_guest_ns : 0;
}

/* A stage's budget ran out: bark (and count one more budget) or bite. */
static void stall_expire(struct stall_vcpu *v, struct stall_note *note, uint64_t now)
{
	note->guest_ms = (now - v->pet_guest_ns) / 1000000ULL;
	if (v->phase == STALL_BARK) {
		note->stage = "interrupt";
		v->phase = STALL_BITE;
		v->stage_guest_ns = now;
		stall_arm(v, v->budget_ns);
		return;
	}
	note->stage = "reset";
	v->phase = STALL_FIRED;
}

/* Timer check: re-arm for what is left of the budget from the same base. */
static void stall_check(struct stall_vcpu *v, struct stall_note *note)
{
	uint64_t now, used, left, grain;

	if (v->phase != STALL_BARK && v->phase != STALL_BITE)
		return;
	if (!stall_guest_now(v, note, &now))
		return;
	used = stall_used_ns(v, now);
	if (used >= v->budget_ns) {
		stall_expire(v, note, now);
		return;
	}
	/* Without a floor a starved or slow vCPU would wake us ever more often. */
	grain = stall_max_u64(stall_tick_ns(v), guest_clock_resolution_ns(&v->clock));
	grain = stall_max_u64(grain, STALL_MIN_RECHECK_NS);
	left = stall_max_u64(v->budget_ns - used, grain);
	stall_arm_coalesced(v, left, grain);
}

/* Lock held: who is speaking, for stall_notify() after the unlock. */
static void stall_note_begin(const struct stall_vcpu *v, struct stall_note *note)
{
	note->ctx = v->ctx;
	note->index = v->index;
	note->clock_kind = v->clock_kind;
	note->action = v->action;
	note->dump = v->dump;
}

/* Lock not held: reads nothing but the note. */
static void stall_notify(const struct stall_note *note)
{
	char id[16];

	if (note->stopped)
		dm_event_emit("VCPU_STALL_DETECTOR_STOPPED", DM_EV_INT("vcpu", note->index),
			      DM_EV_STR("clock", guest_clock_kind_name(note->clock_kind)),
			      DM_EV_STR("reason", note->stopped));
	if (!note->stage)
		return;
	if (strcmp(note->stage, "interrupt") == 0) { /* an edge: a pulse on vCPU's line */
		dm_plat_irq(note->ctx, STALL_NAME, note->index, 1);
		dm_plat_irq(note->ctx, STALL_NAME, note->index, 0);
	}
	dm_event_emit("VCPU_STALL", DM_EV_INT("vcpu", note->index), DM_EV_STR("stage", note->stage),
		      DM_EV_UINT("guest_ms", note->guest_ms));
	if (strcmp(note->stage, "reset") != 0)
		return;
	snprintf(id, sizeof(id), "%d", note->index);
	dm_watchdog_expired_dump(note->ctx, note->action, &note->dump, STALL_NAME, id, "reset");
}

static void stall_timer_cb(void *param, uint64_t nexp)
{
	struct stall_vcpu *v = param;
	struct stall_note note = {0};

	(void)nexp;
	dm_mutex_lock(&v->lock);
	stall_note_begin(v, &note);
	stall_check(v, &note);
	dm_mutex_unlock(&v->lock);
	stall_notify(&note);
}

/* ---- registers ---- */

static void stall_write_status(struct stall_vcpu *v, uint32_t val, struct stall_note *note)
{
	if (val && v->enabled)
		return; /* enabling again does not pet */
	v->enabled = val != 0;
	if (!v->enabled) {
		v->phase = STALL_IDLE;
		stall_disarm(v);
		return;
	}
	stall_pet(v, note);
}

static void stall_write_load(struct stall_vcpu *v, uint32_t val, struct stall_note *note)
{
	v->load_cnt = val;
	v->loaded = v->freq != 0;
	if (!v->loaded)
		pr_warn_rl(STALL_NAME ": vcpu %d: LOAD_CNT with CLOCK_FREQ_HZ 0: inactive\n",
			   v->index);
	stall_pet(v, note);
}

static void stall_write_freq(struct stall_vcpu *v, uint32_t val)
{
	v->freq = val;
	if (val > STALL_FREQ_SANE_MAX)
		pr_warn_rl(STALL_NAME ": vcpu %d: CLOCK_FREQ_HZ %u above %u Hz\n", v->index, val,
			   STALL_FREQ_SANE_MAX);
	if (val)
		return; /* a new frequency applies from the next LOAD_CNT */
	v->loaded = false;
	v->phase = STALL_IDLE;
	stall_disarm(v);
}

static uint32_t stall_read_current(struct stall_vcpu *v, struct stall_note *note)
{
	uint32_t left, loaded;
	uint64_t now, used;

	if (v->phase != STALL_BARK && v->phase != STALL_BITE)
		return 0;
	if (!stall_guest_now(v, note, &now))
		return 0;
	used = stall_used_ns(v, now);
	if (used >= v->budget_ns)
		return 0;
	left = stall_ns_to_ticks_up(v->budget_ns - used, v->pet_freq);
	/* budget_ns is already rounded up: never report more ticks than were loaded */
	loaded = v->load_cnt ? v->load_cnt : 1;
	return left < loaded ? left : loaded;
}

/* NULL (logged) unless a 4-byte aligned access to a configured vCPU slot. */
static struct stall_vcpu *stall_slot(struct stall_dev *d, uint64_t offset, int size,
				     const char *dir)
{
	uint64_t idx = offset / STALL_SLOT_SIZE;

	if (size != STALL_REG_WIDTH || (offset & (STALL_REG_WIDTH - 1))) {
		pr_warn_rl(STALL_NAME ": %d-byte %s at offset 0x%" PRIx64 " ignored\n", size, dir,
			   offset);
		return NULL;
	}
	if (idx >= (uint64_t)d->nvcpus) {
		pr_warn_rl(STALL_NAME ": %s of vCPU slot %" PRIu64 " (of %d) ignored\n", dir, idx,
			   d->nvcpus);
		return NULL;
	}
	return &d->vcpu[idx];
}

static uint64_t stall_read(struct vmctx *ctx, int vcpu, struct plat_vdev *dev, uint64_t offset,
			   int size)
{
	struct stall_vcpu *v = stall_slot(dev->arg, offset, size, "read");
	struct stall_note note = {0};
	uint32_t val = 0;

	(void)ctx;
	(void)vcpu;
	if (!v)
		return 0;
	dm_mutex_lock(&v->lock);
	stall_note_begin(v, &note);
	switch (offset % STALL_SLOT_SIZE) {
	case STALL_REG_STATUS:
		val = v->enabled;
		break;
	case STALL_REG_LOAD_CNT:
		val = v->load_cnt;
		break;
	case STALL_REG_CURRENT_CNT:
		val = stall_read_current(v, &note);
		break;
	case STALL_REG_CLOCK_FREQ_HZ:
		val = v->freq;
		break;
	}
	dm_mutex_unlock(&v->lock);
	stall_notify(&note);
	return val;
}

static void stall_write(struct vmctx *ctx, int vcpu, struct plat_vdev *dev, uint64_t offset,
			int size, uint64_t value)
{
	struct stall_vcpu *v = stall_slot(dev->arg, offset, size, "write");
	struct stall_note note = {0};
	uint32_t val = (uint32_t)value;

	(void)ctx;
	(void)vcpu;
	if (!v)
		return;
	dm_mutex_lock(&v->lock);
	stall_note_begin(v, &note);
	switch (offset % STALL_SLOT_SIZE) {
	case STALL_REG_STATUS:
		stall_write_status(v, val, &note);
		break;
	case STALL_REG_LOAD_CNT:
		stall_write_load(v, val, &note);
		break;
	case STALL_REG_CURRENT_CNT:
		pr_warn_rl(STALL_NAME ": vcpu %d: write to read-only CURRENT_CNT ignored\n",
			   v->index);
		break;
	case STALL_REG_CLOCK_FREQ_HZ:
		stall_write_freq(v, val);
		break;
	}
	dm_mutex_unlock(&v->lock);
	stall_notify(&note);
}

/* ---- reset, options, lifetime ---- */

/* VM reset: every detector back to its power-on state (disabled, all zero). */
static void stall_reset(struct vmctx *ctx, struct plat_vdev *dev)
{
	struct stall_dev *d = dev->arg;

	(void)ctx;
	for (int i = 0; d && i < d->nvcpus; i++) {
		struct stall_vcpu *v = &d->vcpu[i];

		dm_mutex_lock(&v->lock);
		v->enabled = false;
		v->loaded = false;
		v->load_cnt = 0;
		v->freq = 0;
		v->phase = STALL_IDLE;
		stall_disarm(v);
		/* reopened at the next activation: the vCPU threads may be new */
		stall_clock_close(v);
		v->clock_dead = false;
		dm_mutex_unlock(&v->lock);
	}
}

static int stall_parse_u64(const char *key, const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "wdt-dm: " STALL_NAME ": %s=%s: not a number\n", key, s);
		return -EINVAL;
	}
	return 0;
}

static int stall_opt_base(uint64_t *base, const char *s)
{
	int rc = stall_parse_u64("base", s, base);

	if (rc)
		return rc;
	if (*base & (STALL_WINDOW_SIZE - 1)) {
		fprintf(stderr, "wdt-dm: " STALL_NAME ": base=%s: must be 4 KiB aligned\n", s);
		return -EINVAL;
	}
	if (*base > STALL_GPA_END - STALL_WINDOW_SIZE) {
		fprintf(stderr, "wdt-dm: " STALL_NAME ": base=%s: the 4 KiB window runs past the end "
				"of the guest-physical address space (2^52 bytes)\n", s);
		return -EINVAL;
	}
	return 0;
}

static int stall_opt_vcpus(int *n, const char *s)
{
	uint64_t v;
	int rc = stall_parse_u64("vcpus", s, &v);

	if (rc)
		return rc;
	if (v < 1 || v > (uint64_t)STALL_MAX_VCPUS) {
		fprintf(stderr, "wdt-dm: " STALL_NAME ": vcpus=%s: must be 1..%d\n", s,
			STALL_MAX_VCPUS);
		return -EINVAL;
	}
	*n = (int)v;
	return 0;
}

static int stall_opt(struct stall_cfg *d, uint64_t *base, char *kv)
{
	char *val = strchr(kv, '=');
	int rc;

	if (!val) {
		fprintf(stderr, "wdt-dm: " STALL_NAME ": option \"%s\" needs a value\n", kv);
		return -EINVAL;
	}
	*val++ = '\0';
	if (strcmp(kv, "base") == 0)
		return stall_opt_base(base, val);
	if (strcmp(kv, "vcpus") == 0)
		return stall_opt_vcpus(&d->nvcpus, val);
	if (strcmp(kv, "clock") == 0) {
		if (guest_clock_kind_parse(val, &d->clock_kind) == 0)
			return 0;
		fprintf(stderr, "wdt-dm: " STALL_NAME ": clock=%s: want "
			"procfs|cputime|monotonic|virtual\n", val);
		return -EINVAL;
	}
	if (strcmp(kv, "action") == 0) {
		if (dm_wdt_action_parse(val, &d->action) == 0)
			return 0;
		fprintf(stderr, "wdt-dm: " STALL_NAME ": action=%s: want " DM_WDT_ACTION_NAMES "\n",
			val);
		return -EINVAL;
	}
	rc = dm_wdt_dump_opt(&d->dump, STALL_NAME, kv, val);
	if (rc)
		return rc < 0 ? rc : 0;
	fprintf(stderr, "wdt-dm: " STALL_NAME ": unknown option \"%s\"\n", kv);
	return -EINVAL;
}

/*
 * clock=procfs where the host's vCPU threads never gain guest time (they are
 * not KVM vCPUs, or not threads of the DM at all): it can never work.
 */
static int stall_check_clock(struct vmctx *ctx, const struct stall_cfg *cfg)
{
	if (cfg->clock_kind != GUEST_CLOCK_PROCFS || dm_vcpu_gain_guest_time(ctx))
		return 0;
	fprintf(stderr, "wdt-dm: " STALL_NAME ": clock=procfs: this host's vCPU threads are not "
			"KVM vCPUs and gain no guest time; use clock=%s\n",
		dm_vcpu_default_clock(ctx));
	return -EINVAL;
}

static int stall_parse_opts(struct vmctx *ctx, struct stall_cfg *d, uint64_t *base,
			    const char *opts)
{
	char *copy, *kv, *save = NULL;
	int rc = 0;

	if (guest_clock_kind_parse(dm_vcpu_default_clock(ctx), &d->clock_kind) != 0)
		d->clock_kind = GUEST_CLOCK_MONOTONIC;
	if (!opts)
		return 0;
	copy = strdup(opts);
	if (!copy)
		return -ENOMEM;
	for (kv = strtok_r(copy, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save))
		rc = stall_opt(d, base, kv);
	free(copy);
	return rc ? rc : stall_check_clock(ctx, d);
}

/* Stops one slot (its lock held): idle, disarmed, timer released, clock closed. */
static void stall_vcpu_unbind(struct stall_vcpu *v)
{
	v->phase = STALL_IDLE;
	stall_disarm(v);
	acrn_timer_deinit(&v->timer);
	stall_clock_close(v);
}

/* Power-on registers and a fresh timer for slot i; the lock is set up once per block. */
static int stall_vcpu_bind(struct stall_dev *d, int i)
{
	struct stall_vcpu *v = &d->vcpu[i];
	int rc;

	if (!v->set_up) {
		rc = pthread_mutex_init(&v->lock, NULL);
		if (rc)
			return -rc;
		v->set_up = true;
	}
	dm_mutex_lock(&v->lock);
	memset(&v->dev, 0, sizeof(*v) - offsetof(struct stall_vcpu, dev));
	v->dev = d;
	v->index = i;
	v->ctx = d->ctx;
	v->clock_kind = d->clock_kind;
	v->action = d->action;
	v->dump = d->dump;
	v->clock.fd = -1;
	v->timer.clockid = CLOCK_MONOTONIC; /* stall_arm_coalesced arms on the VM clock */
	rc = acrn_timer_init(&v->timer, stall_timer_cb, v);
	dm_mutex_unlock(&v->lock);
	return rc < 0 ? rc : (rc ? -EINVAL : 0);
}

static void stall_unbind(struct stall_dev *d, int ready)
{
	for (int i = 0; i < ready; i++) {
		struct stall_vcpu *v = &d->vcpu[i];

		dm_mutex_lock(&v->lock);
		stall_vcpu_unbind(v);
		dm_mutex_unlock(&v->lock);
	}
	d->bound = false;
}

static int stall_bind(struct stall_dev *d)
{
	for (int i = 0; i < d->nvcpus; i++) {
		int rc = stall_vcpu_bind(d, i);

		if (rc) {
			stall_unbind(d, i);
			return rc;
		}
	}
	d->bound = true;
	return 0;
}

/* The options into a scratch copy, so a refused instance leaves the block alone. */
static int stall_configure(struct vmctx *ctx, struct stall_cfg *cfg, uint64_t *base,
			   const char *opts)
{
	int n = dm_vcpu_count(ctx), rc;

	cfg->action = DM_WDT_ACTION_RESET;
	dm_wdt_dump_init(&cfg->dump);
	cfg->nvcpus = n > 0 ? n : 1;
	if (cfg->nvcpus > STALL_MAX_VCPUS)
		cfg->nvcpus = STALL_MAX_VCPUS;
	rc = stall_parse_opts(ctx, cfg, base, opts);
	return rc ? rc : dm_wdt_check(ctx, STALL_NAME, cfg->action, &cfg->dump);
}

/* A summary for the host's queries (dm_status_register): counts over the vCPUs. */
static int stall_status(void *arg, char *buf, unsigned long n)
{
	struct stall_dev *d = arg;
	int enabled = 0, barked = 0, fired = 0, len;

	for (int i = 0; i < d->nvcpus; i++) {
		struct stall_vcpu *v = &d->vcpu[i];

		dm_mutex_lock(&v->lock);
		enabled += v->enabled;
		barked += v->phase == STALL_BITE;
		fired += v->phase == STALL_FIRED;
		dm_mutex_unlock(&v->lock);
	}
	len = snprintf(buf, n,
		       "\"device\": \"" STALL_NAME "\", \"id\": \"all\", \"action\": \"%s\", "
		       "\"clock\": \"%s\", \"vcpus\": %d, \"enabled\": %d, "
		       "\"interrupted\": %d, \"fired\": %d",
		       dm_wdt_action_name(d->action), guest_clock_kind_name(d->clock_kind),
		       d->nvcpus, enabled, barked, fired);
	return len < 0 || (unsigned long)len >= n ? -ENOSPC : 0;
}

static int stall_init(struct vmctx *ctx, struct plat_vdev *dev, char *opts)
{
	uint64_t base = STALL_DEFAULT_BASE;
	struct stall_cfg cfg = {0};
	struct stall_dev *d;
	int rc = stall_configure(ctx, &cfg, &base, opts);

	if (rc)
		return rc;
	d = dm_persist(STALL_NAME, base, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (d->bound) {
		pr_err(STALL_NAME ": a device already sits at 0x%" PRIx64 "\n", base);
		return -EBUSY;
	}
	/* base is 4 KiB aligned and nvcpus <= 256: base | nvcpus is unique */
	d->vcpu = dm_persist(STALL_SLOTS_NAME, base | (uint64_t)cfg.nvcpus,
			     (size_t)cfg.nvcpus * sizeof(*d->vcpu));
	if (!d->vcpu)
		return -ENOMEM;
	d->ctx = ctx;
	d->nvcpus = cfg.nvcpus;
	d->clock_kind = cfg.clock_kind;
	d->action = cfg.action;
	d->dump = cfg.dump;
	rc = stall_bind(d);
	if (rc) {
		pr_err(STALL_NAME ": cannot set up %d vCPU slots (%d)\n", d->nvcpus, rc);
		return rc;
	}
	if (ctx && dm_status_register(ctx, stall_status, d))
		pr_warn(STALL_NAME ": its state will not appear in status queries\n");
	dev->base = base;
	dev->size = STALL_WINDOW_SIZE;
	dev->arg = d;
	pr_info(STALL_NAME ": %d vCPUs at 0x%" PRIx64 ", clock %s, action %s\n", d->nvcpus, base,
		guest_clock_kind_name(d->clock_kind), dm_wdt_action_name(d->action));
	return 0;
}

static void stall_deinit(struct vmctx *ctx, struct plat_vdev *dev)
{
	struct stall_dev *d = dev->arg;

	if (!d)
		return;
	if (ctx)
		dm_status_unregister(ctx, stall_status, d);
	stall_unbind(d, d->nvcpus);
	dev->arg = NULL;
}

static const struct plat_dev_ops stall_ops = {
	.name = STALL_NAME,
	.option = STALL_NAME,
	.option_help = "add the vCPU stall detector: base=<addr>,vcpus=<n>,\n"
		       "                          clock=procfs|cputime|monotonic|virtual,"
		       "action=<action>",
	.init = stall_init,
	.deinit = stall_deinit,
	.read = stall_read,
	.write = stall_write,
	.reset = stall_reset,
};
DEFINE_PLAT_DEVTYPE(stall_ops);
