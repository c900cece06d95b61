/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The simulated-vCPU front end's private header (docs/design.rst §7 "sim"):
 * the scenario, the per-vCPU and daemon state, and the functions its files
 * share.  They stand in layers: sim.c (the front end: hooks, main loop,
 * verdicts) starts sim_vcpu.c (the vCPU runner), which steps sim_guest.c (the
 * guest-driver models, with the time and the timeline every layer uses);
 * sim_scenario.c (the --sim grammar) stands apart.  Nothing outside hv/sim*.c
 * includes it.
 */
#ifndef _HV_SIM_FE_H_
#define _HV_SIM_FE_H_

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "qmp.h"
#include "vmctx.h"

#define SIM_HOST_OPS 16 /* QMP requests queued for the main loop */
#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL

enum sim_load { SIM_LOAD_SPIN, SIM_LOAD_IDLE };

struct sim_scenario {
	int vcpus;
	uint64_t duration;
	uint32_t freq;
	uint64_t timeout;     /* t: LOAD_CNT = f x t, a pet every t/2 */
	uint32_t load_cnt;
	uint64_t budget;      /* LOAD_CNT / f in ns: guest time a vCPU may run unpetted */
	unsigned int wdt_timeout;
	bool daemon_stop;
	uint64_t daemon_stop_at;
	int pcpus;            /* host-scheduler model: vCPUs running at once (0: off) */
	uint64_t slice;
	uint64_t slack;
	enum sim_load load;
	bool quiet;
	bool hang[VM_MAX_VCPUS];
	uint64_t hang_at[VM_MAX_VCPUS];
	bool starve[VM_MAX_VCPUS];
	uint64_t starve_at[VM_MAX_VCPUS], starve_len[VM_MAX_VCPUS];
};

struct sim;

struct sim_vcpu {
	struct sim *sim;
	int index;
	pthread_t thread;
	bool thread_ok;
	int cpuclock; /* clockid_t of the thread, set by the thread (atomic) */

	/* the guest side: touched by the vCPU thread only */
	uint64_t boot_gen;
	bool booted, hung, hang_done, starving;
	uint64_t next_pet;
	uint64_t last_pet_wall;
	bool wall_armed;
	unsigned long pets;

	/* written by the vCPU thread, read by the event sink (atomics) */
	uint64_t pet_cpu_ns, pet_wall_ns;

	/* results of the vCPU thread, read after join */
	unsigned int wall_reports, wall_true_reports;
	uint64_t wall_max_gap, starved_ns;

	/* results of the event sink and hooks (tl_lock) */
	unsigned int irqs, interrupts, resets, stopped;
	uint64_t irq_cpu, reset_cpu, irq_wall, reset_wall;

	/* thread CPU time since the last pet when the run ended (main thread) */
	uint64_t end_cpu;
};

struct sim_daemon {
	bool present;  /* a wdt-i6300esb exists (host side, set before the run) */

	/* the guest side: vCPU 0 only */
	bool found, running, idle_done;
	uint64_t bar;
	int slot;
	uint64_t next_ping;
	unsigned long pings;
	unsigned int probes, cardresets;
	bool closed_ok, closed;

	/* shared with the event sink (atomics) */
	bool idle;           /* the daemon stopped kicking */
	uint64_t idle_since;
	uint64_t last_kick;  /* the last reload the daemon wrote */

	/* event sink results (tl_lock) */
	unsigned int fires, early_fires;
	uint64_t fire_after_idle, fire_after_kick;
};

struct sim {
	struct vmctx *ctx;
	const struct sim_scenario *sc;
	struct sim_vcpu vcpu[VM_MAX_VCPUS];
	struct sim_daemon d;
	uint64_t t0, end;
	uint64_t stall_base;
	bool have_stall;

	/* vCPUs hold it for reading around each access sequence; a VM reset writes */
	pthread_rwlock_t guest_lock;
	uint64_t gen, reset_wall; /* atomics: guest boot generation, time of the last reset */
	bool stop, paused;        /* atomics */

	/* host-side blocking (starved, descheduled, paused vCPUs) and the main loop */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond, main_cond;
	bool wake;
	/* QMP requests for the main loop, in order (gate_lock) */
	enum qmp_vm_op host_op[SIM_HOST_OPS];
	unsigned int host_nops;

	pthread_mutex_t tl_lock; /* timeline output and the event sink's results */
	unsigned int vm_resets;
};

/* sim_scenario.c: the --sim grammar */
int sim_bad(const char *tok, const char *why);
int sim_parse_scenario(struct sim_scenario *sc, const char *opts);

/* sim_vcpu.c: the vCPU runner */
bool sim_stopping(const struct sim *s);
struct timespec sim_abs_ts(const struct sim *s, uint64_t rel);
void *sim_vcpu_main(void *arg);

/* sim_guest.c: time and the timeline, the models of the guest's drivers */
uint64_t sim_now(const struct sim *s);
uint64_t sim_cpu_ns(clockid_t id);
double sim_sec(uint64_t ns);
void sim_log(struct sim *s, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sim_wall_gap(struct sim_vcpu *v, uint64_t until);
void vsd_cpu_online(struct sim_vcpu *v, uint64_t now);
void vsd_pet(struct sim_vcpu *v, uint64_t now);
void vsd_cpu_offline(struct sim_vcpu *v);
void daemon_boot(struct sim_vcpu *v, uint64_t now);
void daemon_tick(struct sim_vcpu *v, uint64_t now);
void daemon_close(struct sim_vcpu *v);

#endif /* _HV_SIM_FE_H_ */
