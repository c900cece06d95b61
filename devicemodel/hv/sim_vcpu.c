/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The vCPU runner of the simulated-vCPU front end (docs/design.rst §7 "sim"):
 * one thread per vCPU that "runs guest code" by spinning (or halting, with
 * load=idle), steps the guest-driver models when they are due, strikes the
 * scenario's hangs, and blocks where the host would keep it from running:
 * starved, descheduled by the round-robin host-scheduler model, or paused.
 */

#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "dm_util.h"
#include "sim_fe.h"

/* "Guest code": about this many rounds of arithmetic between checks of the time. */
#define SIM_SPIN_ROUNDS 20000U
/* An idle vCPU (load=idle) sleeps at most this long between checks. */
#define SIM_IDLE_MAX_SLEEP (50 * NS_PER_MS)

/* ---- a vCPU: the host gate, the guest loop ---- */

/* Round-robin host-scheduler model: whether vCPU v may run in slot number n. */
static bool sim_slot_runs(const struct sim *s, int v, uint64_t n)
{
	uint64_t first = (n * (uint64_t)s->sc->pcpus) % (uint64_t)s->sc->vcpus;
	uint64_t pos = ((uint64_t)v + (uint64_t)s->sc->vcpus - first) % (uint64_t)s->sc->vcpus;

	return pos < (uint64_t)s->sc->pcpus;
}

/* 0 when the host lets v run at now, else when it may next run. */
static uint64_t sim_descheduled_until(const struct sim *s, int v, uint64_t now)
{
	uint64_t n;

	if (!s->sc->slice)
		return 0;
	n = now / s->sc->slice;
	if (sim_slot_runs(s, v, n))
		return 0;
	for (uint64_t k = n + 1; k <= n + (uint64_t)s->sc->vcpus; k++)
		if (sim_slot_runs(s, v, k))
			return k * s->sc->slice;
	return now + s->sc->slice;
}

bool sim_stopping(const struct sim *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

/* rel (ns since the run began) on CLOCK_MONOTONIC, for a timed wait */
struct timespec sim_abs_ts(const struct sim *s, uint64_t rel)
{
	return ns_to_timespec(s->t0 + rel);
}

/* The vCPU thread does not run (blocks in the host) until rel or a wake-up. */
static void sim_block_until(struct sim *s, uint64_t rel)
{
	struct timespec ts = sim_abs_ts(s, rel < s->end ? rel : s->end);
	int rc;

	dm_mutex_lock(&s->gate_lock);
	rc = 0;
	while (!sim_stopping(s) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->gate_cond, &s->gate_lock, &ts);
	dm_mutex_unlock(&s->gate_lock);
}

static void sim_starve_note(struct sim_vcpu *v, uint64_t now, bool starving)
{
	const struct sim_scenario *sc = v->sim->sc;

	if (starving == v->starving)
		return;
	v->starving = starving;
	if (starving)
		sim_log(v->sim, "host", "vcpu%d is starved: its thread is not scheduled for %.3f s",
			v->index, sim_sec(sc->starve_len[v->index]));
	else
		sim_log(v->sim, "host", "vcpu%d runs again (%.3f s late)", v->index,
			sim_sec(now - sc->starve_at[v->index]));
}

/* Where the host keeps a vCPU from running: starved, descheduled, VM paused. */
static void sim_host_gate(struct sim_vcpu *v)
{
	struct sim *s = v->sim;
	const struct sim_scenario *sc = s->sc;
	uint64_t now, until, t0;

	while (!sim_stopping(s)) {
		now = sim_now(s);
		until = 0;
		if (sc->starve[v->index] && now >= sc->starve_at[v->index] &&
		    now < sc->starve_at[v->index] + sc->starve_len[v->index])
			until = sc->starve_at[v->index] + sc->starve_len[v->index];
		sim_starve_note(v, now, until != 0);
		if (!until)
			until = sim_descheduled_until(s, v->index, now);
		if (!until && __atomic_load_n(&s->paused, __ATOMIC_ACQUIRE))
			until = s->end;
		if (!until)
			return;
		t0 = now;
		sim_block_until(s, until);
		if (v->starving)
			v->starved_ns += sim_now(s) - t0;
	}
}

static void sim_guest_boot(struct sim_vcpu *v, uint64_t now, uint64_t gen)
{
	struct sim *s = v->sim;

	if (v->booted) /* a reset ended the last boot: that gap ends at the reset */
		sim_wall_gap(v, __atomic_load_n(&s->reset_wall, __ATOMIC_ACQUIRE));
	v->wall_armed = false;
	v->boot_gen = gen;
	v->booted = true;
	v->hung = false;
	if (s->have_stall)
		vsd_cpu_online(v, now);
	if (v->index == 0)
		daemon_boot(v, now);
}

static void sim_scenario_tick(struct sim_vcpu *v, uint64_t now)
{
	struct sim *s = v->sim;
	const struct sim_scenario *sc = s->sc;
	struct sim_daemon *d = &s->d;

	if (sc->hang[v->index] && !v->hang_done && now >= sc->hang_at[v->index]) {
		v->hang_done = true;
		v->hung = true;
		sim_log(s, "guest", "vcpu%d hangs: it keeps running but stops petting", v->index);
	}
	if (v->index == 0 && sc->daemon_stop && !d->idle_done && now >= sc->daemon_stop_at) {
		d->idle_done = true;
		__atomic_store_n(&d->idle_since, now, __ATOMIC_RELEASE);
		__atomic_store_n(&d->idle, true, __ATOMIC_RELEASE);
		sim_log(s, "daemon", "stops kicking /dev/watchdog (daemon hung)");
	}
}

static bool sim_guest_due(const struct sim_vcpu *v, uint64_t now, uint64_t gen)
{
	const struct sim_daemon *d = &v->sim->d;

	if (gen != v->boot_gen)
		return true;
	if (v->sim->have_stall && !v->hung && now >= v->next_pet)
		return true;
	return v->index == 0 && d->running && now >= d->next_ping;
}

/* The driver models' work that is due, as one sequence a VM reset cannot split. */
static void sim_guest_step(struct sim_vcpu *v, uint64_t now)
{
	struct sim *s = v->sim;
	uint64_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);

	if (!sim_guest_due(v, now, gen))
		return;
	pthread_rwlock_rdlock(&s->guest_lock);
	gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	if (gen != v->boot_gen) {
		sim_guest_boot(v, now, gen);
	} else {
		if (s->have_stall && !v->hung && now >= v->next_pet)
			vsd_pet(v, now);
		if (v->index == 0)
			daemon_tick(v, now);
	}
	pthread_rwlock_unlock(&s->guest_lock);
}

/* "Guest code": burn CPU, or (load=idle) halt until the next thing is due. */
static void sim_guest_run(struct sim_vcpu *v, uint64_t now)
{
	volatile uint64_t x = (uint64_t)v->index;
	uint64_t next;

	if (v->sim->sc->load == SIM_LOAD_SPIN) {
		for (unsigned int i = 0; i < SIM_SPIN_ROUNDS; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		return;
	}
	next = now + SIM_IDLE_MAX_SLEEP;
	if (v->sim->have_stall && !v->hung && v->next_pet < next)
		next = v->next_pet;
	if (v->index == 0 && v->sim->d.running && v->sim->d.next_ping < next)
		next = v->sim->d.next_ping;
	if (next > now)
		sim_block_until(v->sim, next);
}

static void sim_guest_shutdown(struct sim_vcpu *v)
{
	struct sim *s = v->sim;

	sim_wall_gap(v, sim_now(s) < s->end ? sim_now(s) : s->end);
	if (!v->booted)
		return;
	pthread_rwlock_rdlock(&s->guest_lock);
	if (v->index == 0)
		daemon_close(v);
	if (s->have_stall)
		vsd_cpu_offline(v);
	pthread_rwlock_unlock(&s->guest_lock);
}

void *sim_vcpu_main(void *arg)
{
	struct sim_vcpu *v = arg;
	struct sim *s = v->sim;
	clockid_t cid;
	uint64_t now;

	/* Before the first access: the stall detector reads the tid when STATUS=1 lands. */
	__atomic_store_n(&s->ctx->vcpu_tid[v->index], gettid(), __ATOMIC_RELEASE);
	if (pthread_getcpuclockid(pthread_self(), &cid) == 0)
		__atomic_store_n(&v->cpuclock, (int)cid, __ATOMIC_RELEASE);
	while (!sim_stopping(s)) {
		sim_host_gate(v);
		if (sim_stopping(s))
			break;
		now = sim_now(s);
		/* A boot that is due comes first: a hang strikes the guest that runs. */
		sim_guest_step(v, now);
		sim_scenario_tick(v, now);
		sim_guest_run(v, now);
	}
	sim_guest_shutdown(v);
	return NULL;
}
