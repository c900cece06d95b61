/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The simulated-vCPU front end (docs/design.rst §7 "sim", issue 6).  It plays the
 * hypervisor for N vCPU threads inside wdt-dm.  Each thread "runs guest code"
 * by spinning on the CPU and runs a model of the stock guest drivers through
 * the same dispatch as the other front ends (mem_access for MMIO, port I/O on
 * CONF1 0xcf8/0xcfc for configuration space): the Linux vcpu_stall_detector
 * per-CPU sequence (docs/device.rst §2.2: CLOCK_FREQ_HZ = f, LOAD_CNT = f x t,
 * STATUS = 1, LOAD_CNT again every t/2 s of wall time) and, on vCPU 0, a
 * /dev/watchdog daemon over the Linux i6300esb access sequence (docs/device.rst §1.6:
 * probe, set_timeout, start, ping every T/2 s, magic close at the end).  A
 * scenario makes a vCPU hang (it keeps spinning but stops petting: must be
 * detected), makes the host starve a vCPU (its thread blocks, so it does not
 * run at all: must NOT be detected, as the detector counts only run time) and
 * stops the daemon (the 6300ESB must fire).  An optional host-scheduler model
 * runs at most K vCPUs at a time in round-robin slices, as on an
 * overcommitted host, so vCPUs that keep petting see long wall-clock gaps
 * between pets.  Actions requested through the reboot API are carried out
 * here: reset restarts the simulated guest (every driver model probes again),
 * poweroff ends the run, pause stops the VM clock and the vCPUs.  The run
 * prints a timeline, then one VERDICT line per vCPU and one for the daemon,
 * and counts for contrast the stalls a wall-clock detector with the same
 * budget would have reported.  Exit status 0 when every verdict matches, 1
 * on a mismatch, 3 when a hung vCPU got too little CPU time to be judged.
 * This file is the front end itself (hooks, main loop, verdicts); below it
 * stand the vCPU runner (sim_vcpu.c) and the driver models (sim_guest.c), the
 * scenario grammar (sim_scenario.c) apart, their shared state in sim_fe.h.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dm_event.h"
#include "dm_util.h"
#include "frontend.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "qmp.h"
#include "sim_fe.h"
#include "vm_clock.h"
#include "vmctx.h"

#define SIM_VSD_DEVICE "vcpu-stall" /* the stall detector's platform device */
/* The hung vCPU's detection is checked to this much below its budget (clock reads
 * of the device and of this front end are a few microseconds apart). */
#define SIM_EARLY_TOLERANCE NS_PER_MS
/* Exit status of a run whose hung vCPUs the host starved too much to judge. */
#define SIM_EXIT_UNDECIDED 3

static struct sim_scenario sim_sc;
/* Static on purpose: a late hook call from a timer callback never sees freed memory. */
static struct sim sim_state;

static uint64_t sim_ms(uint64_t ns)
{
	return ns / NS_PER_MS;
}

/* ---- hooks: the stall interrupt, requested actions, events ---- */

static struct sim_vcpu *sim_vcpu_at(struct sim *s, long idx)
{
	if (idx < 0 || idx >= s->sc->vcpus)
		return NULL;
	return &s->vcpu[idx];
}

/* The stall detector's line for vCPU n rose: its interrupt, counted for the verdicts. */
static void sim_plat_irq(struct vmctx *ctx, const char *dev, int line, int level)
{
	struct sim *s = ctx->fe_data;
	struct sim_vcpu *v = sim_vcpu_at(s, line);

	if (!v || !level || strcmp(dev, SIM_VSD_DEVICE) != 0)
		return;
	dm_mutex_lock(&s->tl_lock);
	v->irqs++;
	dm_mutex_unlock(&s->tl_lock);
}

static void sim_wake_main(struct sim *s)
{
	dm_mutex_lock(&s->gate_lock);
	s->wake = true;
	pthread_cond_signal(&s->main_cond);
	dm_mutex_unlock(&s->gate_lock);
}

/* Any thread, maybe with a device lock held: only wake the main loop. */
static void sim_action_pending(struct vmctx *ctx)
{
	sim_wake_main(ctx->fe_data);
}

static const struct vm_fe_ops sim_fe_ops = {
	.plat_irq = sim_plat_irq,
	.action_pending = sim_action_pending,
};

/* A field of ev as a string / a number; "" or -1 when ev has no such field. */
static const char *ev_str(const struct dm_event *ev, const char *key)
{
	const struct dm_event_field *f = dm_event_field(ev, key);

	return f && f->type == DM_EVENT_STR && f->s ? f->s : "";
}

static long ev_long(const struct dm_event *ev, const char *key)
{
	const struct dm_event_field *f = dm_event_field(ev, key);

	if (f && f->type == DM_EVENT_INT)
		return (long)f->i;
	return f && f->type == DM_EVENT_UINT ? (long)f->u : -1;
}

/* Thread CPU time and wall time vCPU v ran since its last pet. */
static void sim_since_pet(struct sim *s, struct sim_vcpu *v, uint64_t *cpu, uint64_t *wall)
{
	int cid = __atomic_load_n(&v->cpuclock, __ATOMIC_ACQUIRE);
	uint64_t c = sim_cpu_ns((clockid_t)cid);
	uint64_t pc = __atomic_load_n(&v->pet_cpu_ns, __ATOMIC_ACQUIRE);
	uint64_t pw = __atomic_load_n(&v->pet_wall_ns, __ATOMIC_ACQUIRE);
	uint64_t now = sim_now(s);

	*cpu = c > pc ? c - pc : 0;
	*wall = now > pw ? now - pw : 0;
}

static void sim_on_stall(struct sim *s, const struct dm_event *ev)
{
	long idx = ev_long(ev, "vcpu"), gms = ev_long(ev, "guest_ms");
	const char *stage = ev_str(ev, "stage");
	struct sim_vcpu *v = sim_vcpu_at(s, idx);
	uint64_t cpu, wall;

	if (!v)
		return;
	sim_since_pet(s, v, &cpu, &wall);
	dm_mutex_lock(&s->tl_lock);
	if (strcmp(stage, "interrupt") == 0 && v->interrupts++ == 0) {
		v->irq_cpu = cpu;
		v->irq_wall = wall;
	} else if (strcmp(stage, "reset") == 0 && v->resets++ == 0) {
		v->reset_cpu = cpu;
		v->reset_wall = wall;
	}
	dm_mutex_unlock(&s->tl_lock);
	sim_log(s, "device", "VCPU_STALL vcpu%ld stage %s: guest %ld ms since the pet "
		"(thread CPU %.3f s, wall %.3f s)", idx, stage, gms, sim_sec(cpu), sim_sec(wall));
}

static void sim_on_watchdog(struct sim *s, const struct dm_event *ev)
{
	struct sim_daemon *d = &s->d;
	const char *dev = ev_str(ev, "device");
	uint64_t since = 0, kick;
	bool idle;

	sim_log(s, "device", "WATCHDOG %s %s: action %s", dev, ev_str(ev, "id"),
		ev_str(ev, "action"));
	if (strcmp(dev, "wdt-i6300esb") != 0)
		return;
	idle = __atomic_load_n(&d->idle, __ATOMIC_ACQUIRE);
	if (idle)
		since = sim_now(s) - __atomic_load_n(&d->idle_since, __ATOMIC_ACQUIRE);
	kick = sim_now(s) - __atomic_load_n(&d->last_kick, __ATOMIC_ACQUIRE);
	dm_mutex_lock(&s->tl_lock);
	if (!idle) {
		d->early_fires++;
	} else if (d->fires++ == 0) {
		d->fire_after_idle = since;
		d->fire_after_kick = kick;
	}
	dm_mutex_unlock(&s->tl_lock);
}

static void sim_on_stopped(struct sim *s, const struct dm_event *ev)
{
	long idx = ev_long(ev, "vcpu");
	struct sim_vcpu *v = sim_vcpu_at(s, idx);

	if (!v)
		return;
	dm_mutex_lock(&s->tl_lock);
	v->stopped++;
	dm_mutex_unlock(&s->tl_lock);
	sim_log(s, "device", "stall detection stopped for vcpu%ld (%s)", idx,
		ev_str(ev, "reason"));
}

/* Runs with the event lock held: record, print, never emit. */
static void sim_event_sink(const struct dm_event *ev, const char *line, void *arg)
{
	struct sim *s = arg;

	(void)line;
	if (strcmp(ev->name, "VCPU_STALL") == 0)
		sim_on_stall(s, ev);
	else if (strcmp(ev->name, "WATCHDOG") == 0)
		sim_on_watchdog(s, ev);
	else if (strcmp(ev->name, "VCPU_STALL_DETECTOR_STOPPED") == 0)
		sim_on_stopped(s, ev);
	else if (!strcmp(ev->name, "RESET") || !strcmp(ev->name, "STOP") ||
		 !strcmp(ev->name, "SHUTDOWN"))
		sim_log(s, "vm", "%s (reason %s)", ev->name, ev_str(ev, "reason"));
}

/* ---- the main loop: carry out actions, end the run ---- */

/* The guest restarts: vCPUs finish their current access sequence, then re-probe. */
static void sim_vm_reset(struct sim *s, const char *reason)
{
	pthread_rwlock_wrlock(&s->guest_lock);
	__atomic_store_n(&s->reset_wall, sim_now(s), __ATOMIC_RELEASE);
	vm_reset(s->ctx, reason);
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_ACQ_REL);
	s->vm_resets++;
	pthread_rwlock_unlock(&s->guest_lock);
	sim_log(s, "vm", "guest reboots: every driver probes again");
}

static void sim_set_gate(struct sim *s, bool *flag)
{
	dm_mutex_lock(&s->gate_lock);
	__atomic_store_n(flag, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->gate_cond);
	pthread_cond_signal(&s->main_cond);
	dm_mutex_unlock(&s->gate_lock);
}

/* reset, stop, cont or quit, for a requested action or for QMP, on the main loop. */
static void sim_vm_op(struct sim *s, enum qmp_vm_op op, const char *reason)
{
	switch (op) {
	case QMP_VM_RESET:
		sim_vm_reset(s, reason);
		break;
	case QMP_VM_STOP:
		vm_pause(s->ctx, reason);
		sim_set_gate(s, &s->paused);
		break;
	case QMP_VM_CONT:
		dm_mutex_lock(&s->gate_lock);
		__atomic_store_n(&s->paused, false, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->gate_cond);
		dm_mutex_unlock(&s->gate_lock);
		vm_resume(s->ctx, reason);
		break;
	case QMP_VM_QUIT:
		vm_poweroff(s->ctx, reason);
		sim_set_gate(s, &s->stop);
		break;
	}
}

/* A requested action is the VM operation QEMU's watchdog would do (debug, none: nothing;
 * shutdown, inject-nmi: their POWERDOWN and NMI events). */
static void sim_do_action(struct sim *s, const struct vm_action_req *r)
{
	sim_log(s, "vm", "action %s requested by %s %s", dm_wdt_action_name(r->action),
		r->device, r->id);
	if (r->action == DM_WDT_ACTION_RESET)
		sim_vm_op(s, QMP_VM_RESET, "watchdog");
	else if (r->action == DM_WDT_ACTION_POWEROFF)
		sim_vm_op(s, QMP_VM_QUIT, "watchdog");
	else if (r->action == DM_WDT_ACTION_PAUSE)
		sim_vm_op(s, QMP_VM_STOP, "watchdog");
	else
		vm_guest_request_event(r->action); /* shutdown, inject-nmi: reported */
}

static void sim_do_host_ops(struct sim *s)
{
	enum qmp_vm_op ops[SIM_HOST_OPS];
	unsigned int n;

	dm_mutex_lock(&s->gate_lock);
	n = s->host_nops;
	memcpy(ops, s->host_op, n * sizeof(ops[0]));
	s->host_nops = 0;
	dm_mutex_unlock(&s->gate_lock);
	for (unsigned int i = 0; i < n; i++)
		sim_vm_op(s, ops[i], ops[i] == QMP_VM_QUIT ? QMP_QUIT_REASON : "host");
}

static int sim_qmp_vm(void *arg, enum qmp_vm_op op)
{
	struct sim *s = arg;
	int rc = 0;

	dm_mutex_lock(&s->gate_lock);
	if (s->host_nops == SIM_HOST_OPS)
		rc = -EBUSY;
	else
		s->host_op[s->host_nops++] = op;
	s->wake = true;
	pthread_cond_signal(&s->main_cond);
	dm_mutex_unlock(&s->gate_lock);
	return rc;
}

static void sim_main_loop(struct sim *s)
{
	struct timespec end = sim_abs_ts(s, s->end);
	struct vm_action_req r;
	int rc = 0;

	while (!sim_stopping(s)) {
		dm_mutex_lock(&s->gate_lock);
		while (!s->wake && !sim_stopping(s) && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&s->main_cond, &s->gate_lock, &end);
		s->wake = false;
		dm_mutex_unlock(&s->gate_lock);
		while (vm_action_take(s->ctx, &r))
			sim_do_action(s, &r);
		sim_do_host_ops(s);
		if (rc == ETIMEDOUT)
			break;
	}
	sim_set_gate(s, &s->stop);
}

/* ---- verdicts ---- */

static const char *sim_observed(const struct sim_vcpu *v)
{
	if (v->stopped)
		return "detector-stopped";
	if (v->interrupts && v->resets)
		return "stall";
	return v->interrupts ? "interrupt-only" : "none";
}

static bool sim_in_bounds(uint64_t x, uint64_t want, uint64_t slack)
{
	return x + SIM_EARLY_TOLERANCE >= want && x <= want + slack;
}

/*
 * A hung vCPU whose thread the host did not run for two budgets plus the slack
 * before the run ended cannot be judged: it was not detected because it had not
 * yet used the CPU time that makes it detectable.  Its verdict is UNDECIDED
 * (the run was too short for this host's load), never OK, never MISMATCH.
 */
static bool sim_undecided(const struct sim_scenario *sc, const struct sim_vcpu *v)
{
	return sc->hang[v->index] && !v->resets && !v->stopped &&
	       v->end_cpu < 2 * sc->budget + sc->slack;
}

/* 0: OK, 1: MISMATCH, 2: UNDECIDED */
static int sim_verdict_vcpu(struct sim *s, struct sim_vcpu *v)
{
	static const char *const word[] = {"OK", "MISMATCH", "UNDECIDED"};
	const struct sim_scenario *sc = s->sc;
	const char *expected = sc->hang[v->index] ? "stall" : "none";
	const char *observed = sim_observed(v);
	bool ok = strcmp(expected, observed) == 0;
	int verdict;

	if (ok && sc->hang[v->index])
		ok = sim_in_bounds(v->irq_cpu, sc->budget, sc->slack) &&
		     sim_in_bounds(v->reset_cpu, 2 * sc->budget, sc->slack);
	verdict = ok ? 0 : sim_undecided(sc, v) && (!v->interrupts ||
		  sim_in_bounds(v->irq_cpu, sc->budget, sc->slack)) ? 2 : 1;
	printf("VERDICT vcpu=%d expected=%s observed=%s %s pets=%lu wall_max_gap_ms=%" PRIu64
	       " wall_reports=%u", v->index, expected, observed, word[verdict], v->pets,
	       sim_ms(v->wall_max_gap), v->wall_reports);
	if (v->interrupts)
		printf(" interrupt_cpu_ms=%" PRIu64 " interrupt_wall_ms=%" PRIu64, sim_ms(v->irq_cpu),
		       sim_ms(v->irq_wall));
	if (v->resets)
		printf(" reset_cpu_ms=%" PRIu64 " reset_wall_ms=%" PRIu64, sim_ms(v->reset_cpu),
		       sim_ms(v->reset_wall));
	if (sc->hang[v->index])
		printf(" budget_ms=%" PRIu64 " slack_ms=%" PRIu64 " end_cpu_ms=%" PRIu64,
		       sim_ms(sc->budget), sim_ms(sc->slack), sim_ms(v->end_cpu));
	if (sc->starve[v->index])
		printf(" starved_ms=%" PRIu64, sim_ms(v->starved_ns));
	printf("\n");
	return verdict;
}

static bool sim_verdict_daemon(struct sim *s)
{
	const struct sim_daemon *d = &s->d;
	const char *expected = s->sc->daemon_stop ? "fire" : "none";
	const char *observed = d->early_fires ? "early-fire" : (d->fires ? "fire" : "none");
	bool ok = strcmp(expected, observed) == 0;

	if (!d->present) {
		printf("VERDICT daemon expected=none observed=none OK (no wdt-i6300esb device)\n");
		return true;
	}
	printf("VERDICT daemon expected=%s observed=%s %s pings=%lu probes=%u cardresets=%u",
	       expected, observed, ok ? "OK" : "MISMATCH", d->pings, d->probes, d->cardresets);
	if (d->fires)
		printf(" fire_after_stop_ms=%" PRIu64 " fire_after_last_kick_ms=%" PRIu64,
		       sim_ms(d->fire_after_idle), sim_ms(d->fire_after_kick));
	if (d->closed)
		printf(" magic_close=%s", d->closed_ok ? "stopped" : "still-running");
	printf("\n");
	return ok;
}

/* For contrast: stalls a detector counting wall time would have reported. */
static void sim_wall_summary(struct sim *s)
{
	unsigned int all = 0, truth = 0;
	uint64_t max_petting = 0;

	for (int i = 0; i < s->sc->vcpus; i++) {
		all += s->vcpu[i].wall_reports;
		truth += s->vcpu[i].wall_true_reports;
		if (!s->sc->hang[i] && s->vcpu[i].wall_max_gap > max_petting)
			max_petting = s->vcpu[i].wall_max_gap;
	}
	printf("WALLCLOCK budget_ms=%" PRIu64 " reports=%u false_reports=%u "
	       "max_gap_of_petting_vcpus_ms=%" PRIu64 "\n", sim_ms(s->sc->budget), all,
	       all - truth, sim_ms(max_petting));
}

static int sim_verdicts(struct sim *s)
{
	struct rusage ru;
	int bad = 0, undecided = 0, n = 0;

	for (int i = 0; i < s->sc->vcpus; i++, n++) {
		int v = sim_verdict_vcpu(s, &s->vcpu[i]);

		bad += v == 1;
		undecided += v == 2;
	}
	bad += !sim_verdict_daemon(s);
	n++;
	sim_wall_summary(s);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("SIM vcpus=%d vm_resets=%u rss_max_kb=%ld\n", s->sc->vcpus, s->vm_resets,
		       ru.ru_maxrss);
	if (bad)
		printf("RESULT FAIL: %d of %d verdicts do not match the scenario\n", bad, n);
	else if (undecided)
		printf("RESULT UNDECIDED: %d hung vCPU(s) got too little CPU time from the host "
		       "to be judged; run longer\n", undecided);
	else
		printf("RESULT PASS: all %d verdicts match the scenario\n", n);
	fflush(stdout);
	return bad ? 1 : undecided ? SIM_EXIT_UNDECIDED : 0;
}

/* ---- set-up ---- */

static int sim_locks_init(struct sim *s)
{
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	int rc;

	rc = pthread_rwlockattr_init(&ra);
	if (rc)
		return -rc;
	/* a VM reset must not wait behind a stream of vCPU accesses */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	rc = pthread_rwlock_init(&s->guest_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	if (rc)
		return -rc;
	rc = pthread_condattr_init(&ca);
	if (!rc)
		rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&s->gate_cond, &ca);
	if (!rc)
		rc = pthread_cond_init(&s->main_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (!rc)
		rc = pthread_mutex_init(&s->gate_lock, NULL);
	if (!rc)
		rc = pthread_mutex_init(&s->tl_lock, NULL);
	return -rc;
}

static void sim_locks_fini(struct sim *s)
{
	pthread_rwlock_destroy(&s->guest_lock);
	pthread_cond_destroy(&s->gate_cond);
	pthread_cond_destroy(&s->main_cond);
	pthread_mutex_destroy(&s->gate_lock);
	pthread_mutex_destroy(&s->tl_lock);
}

static bool sim_wdt_present(void)
{
	for (int slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		struct pci_vdev *dev = pci_get_vdev(0, slot, 0);

		if (dev && dev->dev_ops && dev->dev_ops->class_name &&
		    strcmp(dev->dev_ops->class_name, "wdt-i6300esb") == 0)
			return true;
	}
	return false;
}

/* Devices the scenario needs; -EINVAL (one line printed) when one is missing. */
static int sim_find_devices(struct sim *s)
{
	struct plat_vdev *stall = plat_dev_find(SIM_VSD_DEVICE);

	s->have_stall = stall != NULL;
	s->stall_base = stall ? stall->base : 0;
	s->d.present = sim_wdt_present();
	if (s->sc->daemon_stop && !s->d.present)
		return sim_bad("daemon-stop@...", "needs a wdt-i6300esb device (-s 5,wdt-i6300esb)");
	for (int i = 0; i < s->sc->vcpus && !s->have_stall; i++)
		if (s->sc->hang[i])
			return sim_bad("hang=...", "needs the vcpu-stall device");
	return 0;
}

static void sim_print_plan(struct sim *s)
{
	const struct sim_scenario *sc = s->sc;

	if (sc->quiet)
		return;
	printf("sim: %d vCPUs for %.3f s on %ld host CPUs; vcpu-stall f=%u Hz LOAD_CNT=%u "
	       "(budget %.3f s of guest time, pet every %.3f s)", sc->vcpus, sim_sec(sc->duration),
	       sysconf(_SC_NPROCESSORS_ONLN), sc->freq, sc->load_cnt, sim_sec(sc->budget),
	       sim_sec(sc->timeout / 2));
	if (s->d.present)
		printf("; i6300esb heartbeat %u s", sc->wdt_timeout);
	if (sc->slice)
		printf("; host scheduler: %d at a time, %.3f s slices", sc->pcpus,
		       sim_sec(sc->slice));
	printf("\n");
	fflush(stdout);
}

static int sim_start_vcpus(struct sim *s)
{
	int rc;

	for (int i = 0; i < s->sc->vcpus; i++) {
		struct sim_vcpu *v = &s->vcpu[i];

		v->sim = s;
		v->index = i;
		v->cpuclock = CLOCK_THREAD_CPUTIME_ID;
		rc = pthread_create(&v->thread, NULL, sim_vcpu_main, v);
		if (rc) {
			fprintf(stderr, "wdt-dm: sim: cannot start vCPU %d: %s\n", i, strerror(rc));
			return -rc;
		}
		v->thread_ok = true;
	}
	return 0;
}

static void sim_join_vcpus(struct sim *s)
{
	sim_set_gate(s, &s->stop);
	for (int i = 0; i < s->sc->vcpus; i++) {
		if (!s->vcpu[i].thread_ok)
			continue;
		pthread_join(s->vcpu[i].thread, NULL);
		s->vcpu[i].thread_ok = false;
		__atomic_store_n(&s->ctx->vcpu_tid[i], 0, __ATOMIC_RELEASE);
	}
}

/* ---- the front end ---- */

static bool sim_selected(const struct dm_options *o)
{
	return o->sim != NULL;
}

static int sim_prepare(struct vmctx *ctx, const struct dm_options *o)
{
	int rc = sim_parse_scenario(&sim_sc, o->sim);

	if (rc)
		return rc == -ENOMEM ? rc : -EINVAL;
	ctx->vcpu_num = sim_sc.vcpus;
	ctx->vcpu_pid = getpid();
	/* Simulated vCPUs are plain threads: they never run in guest mode. */
	ctx->guest_time_src = "cputime";
	ctx->vcpus_no_guest_time = true;
	return 0;
}

/* Before the threads are joined (their CPU clocks end with them). */
static void sim_note_end_cpu(struct sim *s)
{
	uint64_t wall;

	for (int i = 0; i < s->sc->vcpus; i++)
		if (s->vcpu[i].thread_ok)
			sim_since_pet(s, &s->vcpu[i], &s->vcpu[i].end_cpu, &wall);
}

static int sim_run(struct vmctx *ctx, const struct dm_options *o)
{
	struct sim *s = &sim_state;
	int rc;

	(void)o;
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->sc = &sim_sc;
	rc = sim_find_devices(s);
	if (rc)
		return 2;
	rc = sim_locks_init(s);
	if (rc) {
		fprintf(stderr, "wdt-dm: sim: cannot set up locks: %s\n", strerror(-rc));
		return 1;
	}
	sim_print_plan(s);
	ctx->fe_data = s;
	ctx->fe = &sim_fe_ops;
	dm_event_set_sink(sim_event_sink, s);
	s->gen = 1; /* vCPUs start at boot 0: each probes first */
	s->t0 = mono_ns();
	s->end = s->sc->duration;
	qmp_set_vm_ops(&(struct qmp_vm_ops){.vm = sim_qmp_vm, .arg = s});
	rc = sim_start_vcpus(s);
	if (rc == 0)
		sim_main_loop(s);
	sim_note_end_cpu(s);
	qmp_set_vm_ops(NULL);
	sim_join_vcpus(s);
	dm_event_set_sink(NULL, NULL);
	ctx->fe = NULL;
	vm_clock_resume(); /* the next run in this process starts running */
	rc = rc ? 1 : sim_verdicts(s);
	sim_locks_fini(s);
	return rc;
}

/* The stall detector is what the simulation exercises: the machine has one. */
static const char *const sim_board[] = {SIM_VSD_DEVICE, NULL};

static const struct dm_frontend sim_frontend = {
	.name = "sim",
	.clock = VM_CLOCK_REALTIME,
	.preassign_bars = true,
	.board = sim_board,
	.selected = sim_selected,
	.prepare = sim_prepare,
	.run = sim_run,
};
DEFINE_FRONTEND(sim_frontend);
