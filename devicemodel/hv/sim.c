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
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dm_event.h"
#include "frontend.h"
#include "inout.h"
#include "log.h"
#include "mem.h"
#include "plat_dev.h"
#include "pci_core.h"
#include "qmp.h"
#include "vm_clock.h"
#include "vmctx.h"

#define SIM_HOST_OPS 16 /* QMP requests queued for the main loop */

/* ---- the guest's view of the devices ---- */

/* vcpu_stall_detector (docs/device.rst §2.1): vCPU n's registers at base + n * VSD_SLOT */
#define VSD_SLOT 0x10U
#define VSD_STATUS 0x00U
#define VSD_LOAD_CNT 0x04U
#define VSD_CLOCK_FREQ_HZ 0x0CU

/* Intel 6300ESB watchdog (docs/device.rst §1.1-1.3), as drivers/watchdog/i6300esb.c names them */
#define ESB_ID 0x25AB8086U        /* device << 16 | vendor at config offset 0 */
#define ESB_CONFIG_REG 0x60       /* 16 bit */
#define ESB_LOCK_REG 0x68         /* 8 bit */
#define ESB_TIMER1_REG 0x00       /* BAR0, 32 bit */
#define ESB_TIMER2_REG 0x04       /* BAR0, 32 bit */
#define ESB_RELOAD_REG 0x0C       /* BAR0, 16 bit */
#define ESB_WDT_INTTYPE_DIS 0x03U /* config: stage-1 interrupt disabled */
#define ESB_WDT_ENABLE 0x02U      /* lock register */
#define ESB_WDT_LOCK 0x01U        /* lock register */
#define ESB_WDT_RELOAD 0x0100U
#define ESB_WDT_TIMEOUT 0x0200U   /* reload register: the timeout flag */
#define ESB_UNLOCK1 0x80U
#define ESB_UNLOCK2 0x86U
#define ESB_PRELOAD_SHIFT 9       /* the driver writes T << 9 */
#define ESB_HEARTBEAT_MAX 2046U   /* the driver's limit: (T << 9) fits 20 bits */

/* PCI configuration mechanism #1 and the header fields the probe uses */
#define CONF1_ADDR_PORT 0xCF8
#define CONF1_DATA_PORT 0xCFC
#define CONF1_ENABLE 0x80000000U
#define CFG_ID 0x00
#define CFG_COMMAND 0x04
#define CFG_BAR0 0x10
#define CFG_CMD_MEMEN 0x0002U
#define CFG_BAR_MEM_MASK 0xFFFFFFF0U

/* ---- defaults and limits ---- */
#define NS_PER_MS 1000000ULL
#define NS_PER_S 1000000000ULL
#define SIM_DEFAULT_VCPUS 2
#define SIM_DEFAULT_DURATION (20 * NS_PER_S)
#define SIM_DEFAULT_FREQ 10U            /* Linux vcpu_stall_detector default */
#define SIM_DEFAULT_TIMEOUT (8 * NS_PER_S) /* Linux default stall_timeout_sec */
#define SIM_DEFAULT_WDT_TIMEOUT 30U     /* Linux i6300esb default heartbeat */
#define SIM_DEFAULT_SLACK (500 * NS_PER_MS)
#define SIM_MAX_TIME (86400ULL * NS_PER_S)
#define SIM_FREQ_MAX 1000U
/* The hung vCPU's detection is checked to this much below its budget (clock reads
 * of the device and of this front end are a few microseconds apart). */
#define SIM_EARLY_TOLERANCE NS_PER_MS
/* Exit status of a run whose hung vCPUs the host starved too much to judge. */
#define SIM_EXIT_UNDECIDED 3
/* "Guest code": about this many rounds of arithmetic between checks of the time. */
#define SIM_SPIN_ROUNDS 20000U
/* An idle vCPU (load=idle) sleeps at most this long between checks. */
#define SIM_IDLE_MAX_SLEEP (50 * NS_PER_MS)

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

static struct sim_scenario sim_sc;
/* Static on purpose: a late hook call from a timer callback never sees freed memory. */
static struct sim sim_state;

/* ---- time ---- */

static uint64_t sim_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t sim_now(const struct sim *s)
{
	return sim_mono_ns() - s->t0;
}

static struct timespec sim_abs_ts(const struct sim *s, uint64_t rel)
{
	uint64_t ns = s->t0 + rel;

	return (struct timespec){.tv_sec = (time_t)(ns / NS_PER_S),
				 .tv_nsec = (long)(ns % NS_PER_S)};
}

static uint64_t sim_cpu_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static double sim_sec(uint64_t ns)
{
	return (double)ns / 1e9;
}

static uint64_t sim_ms(uint64_t ns)
{
	return ns / NS_PER_MS;
}

/* ---- the timeline ---- */

static void sim_log(struct sim *s, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sim_log(struct sim *s, const char *who, const char *fmt, ...)
{
	va_list ap;

	if (s->sc->quiet)
		return;
	pthread_mutex_lock(&s->tl_lock);
	printf("[%8.3f] %-7s ", sim_sec(sim_now(s)), who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&s->tl_lock);
}

/* ---- scenario grammar ---- */

/*
 * --sim OPT[,OPT...]      (every option at most once, except hang= and starve=)
 *   vcpus=N               simulated vCPUs, 1..256 (default 2)
 *   duration=DUR          length of the run (default 20s); the run ends by itself
 *   freq=HZ               vcpu_stall_detector CLOCK_FREQ_HZ f, 1..1000 (default 10)
 *   timeout=DUR           stall timeout t: LOAD_CNT = f x t, a pet every t/2 (default 8s)
 *   wdt-timeout=SEC       the daemon's i6300esb heartbeat T in whole seconds, 1..2046
 *                         (default 30); it pings every T/2
 *   hang=V@TIME           vCPU V keeps running but stops petting at TIME
 *   starve=V@TIME+DUR     the host blocks vCPU V's thread from TIME for DUR
 *   daemon-stop@TIME      the watchdog daemon stops kicking at TIME
 *   slice=DUR             host-scheduler model: vCPUs run in round-robin slices of DUR,
 *   pcpus=K               at most K at a time (default: the host's online CPUs);
 *                         without slice= the kernel schedules the vCPU threads
 *   load=spin|idle        vCPUs spin between pets (default) or sleep (an idle guest)
 *   slack=DUR             how late past its budget of CPU time a hung vCPU may be
 *                         detected and still pass (default 500ms)
 *   quiet                 no timeline, only the verdicts
 * DUR and TIME: a decimal number with an optional fraction and unit ns, us, ms or s
 * (no unit: seconds), e.g. 1.5s, 250ms, 20.  TIME counts from the start of the run.
 * A VM reset reboots the guest: a hung vCPU recovers and the daemon starts again.
 */

static int sim_bad(const char *tok, const char *why)
{
	fprintf(stderr, "wdt-dm: --sim: %s: %s\n", tok, why);
	return -EINVAL;
}

static int sim_unit(const char **p, uint64_t *unit)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {{"ns", 1}, {"us", 1000}, {"ms", NS_PER_MS}, {"s", NS_PER_S}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);

		if (strncmp(*p, units[i].name, n) == 0) {
			*p += n;
			*unit = units[i].ns;
			return 0;
		}
	}
	*unit = NS_PER_S;
	return 0;
}

/* Parses a DUR at *p, advancing it.  0 or -EINVAL (no digits, too big). */
static int sim_parse_dur(const char **p, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, scale = 1, unit;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		whole = whole * 10 + (uint64_t)(*s - '0');
		if (whole > SIM_MAX_TIME)
			return -EINVAL;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (scale < NS_PER_S) { /* finer than 1 ns of a second is dropped */
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
	}
	sim_unit(&s, &unit);
	if (whole > SIM_MAX_TIME / unit)
		return -EINVAL;
	*ns = whole * unit + frac * unit / scale;
	*p = s;
	return *ns > SIM_MAX_TIME ? -EINVAL : 0;
}

static int sim_parse_dur_all(const char *s, uint64_t *ns)
{
	return (sim_parse_dur(&s, ns) || *s) ? -EINVAL : 0;
}

/* Whole decimal number in [lo, hi] at *p, advancing it. */
static int sim_parse_uint(const char **p, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > hi)
			return -EINVAL;
	}
	if (v < lo)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int sim_parse_uint_all(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	return (sim_parse_uint(&s, lo, hi, out) || *s) ? -EINVAL : 0;
}

/* "V@TIME": the vCPU index is checked against vcpus= once every option is read. */
static int sim_opt_hang(struct sim_scenario *sc, const char *tok, const char *val)
{
	uint64_t v, at;

	if (sim_parse_uint(&val, 0, VM_MAX_VCPUS - 1, &v) || *val++ != '@' ||
	    sim_parse_dur(&val, &at) || *val)
		return sim_bad(tok, "expected hang=VCPU@TIME, e.g. hang=2@8s");
	if (sc->hang[v])
		return sim_bad(tok, "this vCPU already hangs");
	sc->hang[v] = true;
	sc->hang_at[v] = at;
	return 0;
}

static int sim_opt_starve(struct sim_scenario *sc, const char *tok, const char *val)
{
	uint64_t v, at, len;

	if (sim_parse_uint(&val, 0, VM_MAX_VCPUS - 1, &v) || *val++ != '@' ||
	    sim_parse_dur(&val, &at) || *val++ != '+' || sim_parse_dur(&val, &len) || *val ||
	    len == 0)
		return sim_bad(tok, "expected starve=VCPU@TIME+DURATION, e.g. starve=3@6s+12s");
	if (sc->starve[v])
		return sim_bad(tok, "this vCPU is already starved");
	sc->starve[v] = true;
	sc->starve_at[v] = at;
	sc->starve_len[v] = len;
	return 0;
}

static int sim_opt_time(const char *tok, const char *val, uint64_t *out, uint64_t min)
{
	if (sim_parse_dur_all(val, out))
		return sim_bad(tok, "expected a duration such as 20s, 1.5s or 250ms");
	if (*out < min)
		return sim_bad(tok, "too short");
	return 0;
}

static int sim_opt_num(const char *tok, const char *val, uint64_t lo, uint64_t hi,
		       uint64_t *out)
{
	char why[64];

	if (sim_parse_uint_all(val, lo, hi, out) == 0)
		return 0;
	snprintf(why, sizeof(why), "expected a whole number in %" PRIu64 "..%" PRIu64, lo, hi);
	return sim_bad(tok, why);
}

/* Options that take a number or a duration.  1: not one of them. */
static int sim_opt_value(struct sim_scenario *sc, const char *tok, const char *key,
			 const char *val)
{
	uint64_t n;
	int rc;

	if (strcmp(key, "vcpus") == 0) {
		rc = sim_opt_num(tok, val, 1, VM_MAX_VCPUS, &n);
		sc->vcpus = (int)n;
	} else if (strcmp(key, "freq") == 0) {
		rc = sim_opt_num(tok, val, 1, SIM_FREQ_MAX, &n);
		sc->freq = (uint32_t)n;
	} else if (strcmp(key, "wdt-timeout") == 0) {
		rc = sim_opt_num(tok, val, 1, ESB_HEARTBEAT_MAX, &n);
		sc->wdt_timeout = (unsigned int)n;
	} else if (strcmp(key, "pcpus") == 0) {
		rc = sim_opt_num(tok, val, 1, VM_MAX_VCPUS, &n);
		sc->pcpus = (int)n;
	} else if (strcmp(key, "duration") == 0) {
		rc = sim_opt_time(tok, val, &sc->duration, NS_PER_MS);
	} else if (strcmp(key, "timeout") == 0) {
		rc = sim_opt_time(tok, val, &sc->timeout, NS_PER_MS);
	} else if (strcmp(key, "slice") == 0) {
		rc = sim_opt_time(tok, val, &sc->slice, NS_PER_MS);
	} else if (strcmp(key, "slack") == 0) {
		rc = sim_opt_time(tok, val, &sc->slack, 0);
	} else {
		return 1;
	}
	return rc;
}

static int sim_opt_kv(struct sim_scenario *sc, const char *tok, char *key, const char *val)
{
	int rc;

	if (strcmp(key, "hang") == 0)
		return sim_opt_hang(sc, tok, val);
	if (strcmp(key, "starve") == 0)
		return sim_opt_starve(sc, tok, val);
	if (strcmp(key, "load") == 0) {
		if (strcmp(val, "spin") == 0 || strcmp(val, "idle") == 0) {
			sc->load = strcmp(val, "spin") == 0 ? SIM_LOAD_SPIN : SIM_LOAD_IDLE;
			return 0;
		}
		return sim_bad(tok, "expected load=spin or load=idle");
	}
	rc = sim_opt_value(sc, tok, key, val);
	return rc == 1 ? sim_bad(tok, "unknown option (see the grammar in hv/sim.c)") : rc;
}

/* Options given more than once (hang=/starve= excepted, checked per vCPU). */
static int sim_once(const char *tok, const char *key, char *seen, size_t n)
{
	char pat[40];

	if (strcmp(key, "hang") == 0 || strcmp(key, "starve") == 0)
		return 0;
	snprintf(pat, sizeof(pat), " %s ", key);
	if (strstr(seen, pat))
		return sim_bad(tok, "given twice");
	if (strlen(seen) + strlen(pat) < n)
		strcat(seen, pat + 1);
	return 0;
}

static int sim_opt(struct sim_scenario *sc, char *tok, char *seen, size_t nseen)
{
	char *eq = strchr(tok, '='), key[32];
	const char *val = NULL;

	if (strncmp(tok, "daemon-stop@", 12) == 0) {
		snprintf(key, sizeof(key), "daemon-stop");
		if (sim_once(tok, key, seen, nseen))
			return -EINVAL;
		sc->daemon_stop = true;
		return sim_opt_time(tok, tok + 12, &sc->daemon_stop_at, 0);
	}
	if (strcmp(tok, "quiet") == 0) {
		sc->quiet = true;
		return 0;
	}
	if (!eq || eq == tok || (size_t)(eq - tok) >= sizeof(key))
		return sim_bad(tok, "expected KEY=VALUE (see the grammar in hv/sim.c)");
	memcpy(key, tok, (size_t)(eq - tok));
	key[eq - tok] = '\0';
	val = eq + 1;
	if (sim_once(tok, key, seen, nseen))
		return -EINVAL;
	return sim_opt_kv(sc, tok, key, val);
}

static int sim_check_vcpu_refs(const struct sim_scenario *sc)
{
	char tok[48];

	for (int v = sc->vcpus; v < VM_MAX_VCPUS; v++) {
		if (!sc->hang[v] && !sc->starve[v])
			continue;
		snprintf(tok, sizeof(tok), "%s=%d@...", sc->hang[v] ? "hang" : "starve", v);
		return sim_bad(tok, "no such vCPU (vCPUs count from 0; see vcpus=)");
	}
	for (int v = 0; v < sc->vcpus; v++) {
		if ((sc->hang[v] && sc->hang_at[v] >= sc->duration) ||
		    (sc->starve[v] && sc->starve_at[v] >= sc->duration)) {
			snprintf(tok, sizeof(tok), "vcpu %d", v);
			return sim_bad(tok, "its event is at or after the end of the run");
		}
	}
	if (sc->daemon_stop && sc->daemon_stop_at >= sc->duration)
		return sim_bad("daemon-stop@...", "at or after the end of the run");
	return 0;
}

/* Derived values and checks that involve more than one option. */
static int sim_finish_scenario(struct sim_scenario *sc, bool pcpus_given)
{
	unsigned __int128 ticks = (unsigned __int128)sc->freq * sc->timeout / NS_PER_S;
	long online;

	if (ticks < 1 || ticks > UINT32_MAX)
		return sim_bad("freq/timeout", "LOAD_CNT = freq x timeout must be 1..4294967295");
	sc->load_cnt = (uint32_t)ticks;
	sc->budget = (uint64_t)((unsigned __int128)sc->load_cnt * NS_PER_S / sc->freq);
	if (pcpus_given && sc->slice == 0)
		return sim_bad("pcpus=...", "needs slice= (the host-scheduler model)");
	if (sc->slice && !pcpus_given) {
		online = sysconf(_SC_NPROCESSORS_ONLN);
		sc->pcpus = online > 0 ? (int)(online < VM_MAX_VCPUS ? online : VM_MAX_VCPUS) : 1;
	}
	if (sc->pcpus > sc->vcpus)
		sc->pcpus = sc->vcpus;
	return sim_check_vcpu_refs(sc);
}

static void sim_scenario_defaults(struct sim_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->vcpus = SIM_DEFAULT_VCPUS;
	sc->duration = SIM_DEFAULT_DURATION;
	sc->freq = SIM_DEFAULT_FREQ;
	sc->timeout = SIM_DEFAULT_TIMEOUT;
	sc->wdt_timeout = SIM_DEFAULT_WDT_TIMEOUT;
	sc->slack = SIM_DEFAULT_SLACK;
	sc->load = SIM_LOAD_SPIN;
}

static int sim_parse_scenario(struct sim_scenario *sc, const char *opts)
{
	char *copy, *tok, *save = NULL, seen[256] = " ";
	int rc = 0;

	sim_scenario_defaults(sc);
	if (!opts)
		return 0;
	copy = strdup(opts);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save))
		rc = sim_opt(sc, tok, seen, sizeof(seen));
	free(copy);
	if (rc)
		return rc;
	return sim_finish_scenario(sc, strstr(seen, " pcpus ") != NULL);
}

/* ---- guest accesses, through the same dispatch as every front end ---- */

static void sim_mmio_write(struct sim_vcpu *v, uint64_t addr, int size, uint64_t val)
{
	mem_access(v->sim->ctx, v->index, MEM_F_WRITE, addr, size, &val);
}

static uint64_t sim_mmio_read(struct sim_vcpu *v, uint64_t addr, int size)
{
	uint64_t val = 0;

	mem_access(v->sim->ctx, v->index, MEM_F_READ, addr, size, &val);
	return val;
}

static void sim_conf1_select(struct sim_vcpu *v, int slot, int off)
{
	uint32_t addr = CONF1_ENABLE | ((uint32_t)slot << 11) | ((uint32_t)off & 0xFCU);

	inout_access(v->sim->ctx, v->index, 0, CONF1_ADDR_PORT, 4, &addr);
}

static uint32_t sim_cfg_read(struct sim_vcpu *v, int slot, int off, int bytes)
{
	uint32_t val = 0;

	sim_conf1_select(v, slot, off);
	inout_access(v->sim->ctx, v->index, 1, CONF1_DATA_PORT + (off & 3), bytes, &val);
	return val;
}

static void sim_cfg_write(struct sim_vcpu *v, int slot, int off, int bytes, uint32_t val)
{
	sim_conf1_select(v, slot, off);
	inout_access(v->sim->ctx, v->index, 0, CONF1_DATA_PORT + (off & 3), bytes, &val);
}

/* ---- model of Linux's vcpu_stall_detector (one per vCPU) ---- */

static void vsd_write(struct sim_vcpu *v, uint32_t reg, uint32_t val)
{
	sim_mmio_write(v, v->sim->stall_base + (uint64_t)v->index * VSD_SLOT + reg, 4, val);
}

static bool sim_wall_gap_counts(const struct sim_vcpu *v, uint64_t gap)
{
	return gap > v->sim->sc->budget;
}

/* What a wall-clock detector with the same budget would have said about this gap. */
static void sim_wall_gap(struct sim_vcpu *v, uint64_t until)
{
	uint64_t gap;

	if (!v->wall_armed || until < v->last_pet_wall)
		return;
	gap = until - v->last_pet_wall;
	if (gap > v->wall_max_gap)
		v->wall_max_gap = gap;
	if (!sim_wall_gap_counts(v, gap))
		return;
	v->wall_reports++;
	if (v->hung)
		v->wall_true_reports++;
}

static void sim_note_pet(struct sim_vcpu *v, uint64_t now)
{
	sim_wall_gap(v, now);
	v->last_pet_wall = now;
	v->wall_armed = true;
	v->pets++;
	__atomic_store_n(&v->pet_cpu_ns, sim_cpu_ns(CLOCK_THREAD_CPUTIME_ID), __ATOMIC_RELEASE);
	__atomic_store_n(&v->pet_wall_ns, now, __ATOMIC_RELEASE);
}

/* Timers of the guest: next = the first multiple of period past now (hrtimer_forward). */
static uint64_t sim_forward(uint64_t next, uint64_t period, uint64_t now)
{
	if (next > now)
		return next;
	return next + ((now - next) / period + 1) * period;
}

static void vsd_cpu_online(struct sim_vcpu *v, uint64_t now)
{
	const struct sim_scenario *sc = v->sim->sc;

	vsd_write(v, VSD_CLOCK_FREQ_HZ, sc->freq);
	vsd_write(v, VSD_LOAD_CNT, sc->load_cnt);
	vsd_write(v, VSD_STATUS, 1);
	sim_note_pet(v, now);
	v->next_pet = now + sc->timeout / 2;
}

static void vsd_pet(struct sim_vcpu *v, uint64_t now)
{
	const struct sim_scenario *sc = v->sim->sc;

	vsd_write(v, VSD_LOAD_CNT, sc->load_cnt);
	sim_note_pet(v, now);
	v->next_pet = sim_forward(v->next_pet, sc->timeout / 2, now);
}

static void vsd_cpu_offline(struct sim_vcpu *v)
{
	vsd_write(v, VSD_STATUS, 0);
}

/* ---- model of Linux's i6300esb driver and a /dev/watchdog daemon (vCPU 0) ---- */

static uint64_t esb_reg(struct sim_vcpu *v, uint64_t off)
{
	return v->sim->d.bar + off;
}

static void esb_unlock(struct sim_vcpu *v)
{
	sim_mmio_write(v, esb_reg(v, ESB_RELOAD_REG), 2, ESB_UNLOCK1);
	sim_mmio_write(v, esb_reg(v, ESB_RELOAD_REG), 2, ESB_UNLOCK2);
}

static void esb_keepalive(struct sim_vcpu *v)
{
	esb_unlock(v);
	sim_mmio_write(v, esb_reg(v, ESB_RELOAD_REG), 2, ESB_WDT_RELOAD);
}

static void esb_set_heartbeat(struct sim_vcpu *v, unsigned int t)
{
	uint32_t preload = (uint32_t)t << ESB_PRELOAD_SHIFT;

	esb_unlock(v);
	sim_mmio_write(v, esb_reg(v, ESB_TIMER1_REG), 4, preload);
	esb_unlock(v);
	sim_mmio_write(v, esb_reg(v, ESB_TIMER2_REG), 4, preload);
	esb_keepalive(v);
}

static void esb_start(struct sim_vcpu *v)
{
	esb_keepalive(v);
	sim_cfg_write(v, v->sim->d.slot, ESB_LOCK_REG, 1, ESB_WDT_ENABLE);
}

/* true when the device reads back disabled, as the driver checks. */
static bool esb_stop(struct sim_vcpu *v)
{
	esb_keepalive(v);
	sim_cfg_write(v, v->sim->d.slot, ESB_LOCK_REG, 1, 0);
	return (sim_cfg_read(v, v->sim->d.slot, ESB_LOCK_REG, 1) & ESB_WDT_ENABLE) == 0;
}

/* PCI enumeration as the guest sees it: bus 0, function 0 of each slot, over CONF1. */
static bool esb_find(struct sim_vcpu *v)
{
	struct sim_daemon *d = &v->sim->d;

	for (int slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		if (sim_cfg_read(v, slot, CFG_ID, 4) != ESB_ID)
			continue;
		d->slot = slot;
		d->bar = sim_cfg_read(v, slot, CFG_BAR0, 4) & CFG_BAR_MEM_MASK;
		/* pci_enable_device(): memory decoding on */
		sim_cfg_write(v, slot, CFG_COMMAND, 2,
			      sim_cfg_read(v, slot, CFG_COMMAND, 2) | CFG_CMD_MEMEN);
		return d->bar != 0;
	}
	return false;
}

/* esb_probe() + esb_initdevice(): returns whether the last reboot was the watchdog's. */
static bool esb_probe(struct sim_vcpu *v)
{
	struct sim_daemon *d = &v->sim->d;
	uint32_t lock, reload;

	sim_cfg_write(v, d->slot, ESB_CONFIG_REG, 2, ESB_WDT_INTTYPE_DIS);
	lock = sim_cfg_read(v, d->slot, ESB_LOCK_REG, 1);
	if (lock & ESB_WDT_LOCK)
		sim_log(v->sim, "daemon", "i6300esb: nowayout already set (lock register 0x%02x)",
			lock);
	sim_cfg_write(v, d->slot, ESB_LOCK_REG, 1, 0);
	esb_unlock(v);
	reload = (uint32_t)sim_mmio_read(v, esb_reg(v, ESB_RELOAD_REG), 2);
	esb_unlock(v);
	sim_mmio_write(v, esb_reg(v, ESB_RELOAD_REG), 2, ESB_WDT_TIMEOUT | ESB_WDT_RELOAD);
	esb_set_heartbeat(v, v->sim->sc->wdt_timeout);
	return (reload & ESB_WDT_TIMEOUT) != 0;
}

static void daemon_boot(struct sim_vcpu *v, uint64_t now)
{
	struct sim *s = v->sim;
	struct sim_daemon *d = &s->d;
	bool cardreset;

	d->running = false;
	__atomic_store_n(&d->idle, false, __ATOMIC_RELEASE);
	if (!d->present)
		return;
	d->found = esb_find(v);
	if (!d->found) {
		sim_log(s, "daemon", "i6300esb: no 6300ESB found on bus 0");
		return;
	}
	cardreset = esb_probe(v);
	d->probes++;
	d->cardresets += cardreset;
	/* open("/dev/watchdog") starts it; WDIOC_SETTIMEOUT sets the heartbeat again */
	esb_start(v);
	esb_set_heartbeat(v, s->sc->wdt_timeout);
	d->running = true;
	__atomic_store_n(&d->last_kick, sim_now(s), __ATOMIC_RELEASE);
	d->next_ping = now + (uint64_t)s->sc->wdt_timeout * NS_PER_S / 2;
	sim_log(s, "daemon", "i6300esb at 0:%d.0 BAR0 0x%" PRIx64 ": heartbeat %u s, started%s",
		d->slot, d->bar, s->sc->wdt_timeout,
		cardreset ? "; bootstatus CARDRESET (last reboot was the watchdog's)" : "");
}

static void daemon_tick(struct sim_vcpu *v, uint64_t now)
{
	struct sim_daemon *d = &v->sim->d;

	if (!d->running || __atomic_load_n(&d->idle, __ATOMIC_ACQUIRE) || now < d->next_ping)
		return;
	esb_keepalive(v);
	__atomic_store_n(&d->last_kick, sim_now(v->sim), __ATOMIC_RELEASE);
	d->pings++;
	d->next_ping = sim_forward(d->next_ping, (uint64_t)v->sim->sc->wdt_timeout * NS_PER_S / 2,
				   now);
}

/* Magic close: write 'V', close; the driver stops the timer. */
static void daemon_close(struct sim_vcpu *v)
{
	struct sim_daemon *d = &v->sim->d;

	if (!d->running || __atomic_load_n(&d->idle, __ATOMIC_ACQUIRE))
		return;
	d->closed = true;
	d->closed_ok = esb_stop(v);
	d->running = false;
}

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

static bool sim_stopping(const struct sim *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

/* The vCPU thread does not run (blocks in the host) until rel or a wake-up. */
static void sim_block_until(struct sim *s, uint64_t rel)
{
	struct timespec ts = sim_abs_ts(s, rel < s->end ? rel : s->end);
	int rc;

	pthread_mutex_lock(&s->gate_lock);
	rc = 0;
	while (!sim_stopping(s) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->gate_cond, &s->gate_lock, &ts);
	pthread_mutex_unlock(&s->gate_lock);
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

static void *sim_vcpu_main(void *arg)
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

/* ---- hooks: the stall interrupt, requested actions, events ---- */

static struct sim_vcpu *sim_vcpu_at(struct sim *s, long idx)
{
	if (idx < 0 || idx >= s->sc->vcpus)
		return NULL;
	return &s->vcpu[idx];
}

static void sim_stall_irq(struct vmctx *ctx, int vcpu)
{
	struct sim *s = ctx->fe_data;
	struct sim_vcpu *v = sim_vcpu_at(s, vcpu);

	if (!v)
		return;
	pthread_mutex_lock(&s->tl_lock);
	v->irqs++;
	pthread_mutex_unlock(&s->tl_lock);
}

static void sim_wake_main(struct sim *s)
{
	pthread_mutex_lock(&s->gate_lock);
	s->wake = true;
	pthread_cond_signal(&s->main_cond);
	pthread_mutex_unlock(&s->gate_lock);
}

/* Any thread, maybe with a device lock held: only wake the main loop. */
static void sim_action_pending(struct vmctx *ctx)
{
	sim_wake_main(ctx->fe_data);
}

static const struct vm_fe_ops sim_fe_ops = {
	.stall_irq = sim_stall_irq,
	.action_pending = sim_action_pending,
};

/* Tiny readers for our own event lines: {"event": "X", "data": {"k": v, ...}, ...} */
static bool ev_is(const char *line, const char *name)
{
	static const char pre[] = "{\"event\": \"";
	size_t n = strlen(name);

	return strncmp(line, pre, sizeof(pre) - 1) == 0 &&
	       strncmp(line + sizeof(pre) - 1, name, n) == 0 && line[sizeof(pre) - 1 + n] == '"';
}

static bool ev_long(const char *line, const char *key, long *out)
{
	char pat[40];
	const char *p;
	char *end;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	if (*p == '"')
		p++; /* ids are strings */
	*out = strtol(p, &end, 10);
	return end != p;
}

static void ev_str(const char *line, const char *key, char *out, size_t n)
{
	char pat[40];
	const char *p;
	size_t i = 0;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(line, pat);
	if (p)
		for (p += strlen(pat); *p && *p != '"' && i + 1 < n; p++)
			out[i++] = *p;
	out[i] = '\0';
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

static void sim_on_stall(struct sim *s, const char *line)
{
	struct sim_vcpu *v;
	uint64_t cpu, wall;
	char stage[16];
	long idx = -1, gms = -1;

	if (!ev_long(line, "vcpu", &idx) || !(v = sim_vcpu_at(s, idx)))
		return;
	ev_long(line, "guest_ms", &gms);
	ev_str(line, "stage", stage, sizeof(stage));
	sim_since_pet(s, v, &cpu, &wall);
	pthread_mutex_lock(&s->tl_lock);
	if (strcmp(stage, "interrupt") == 0 && v->interrupts++ == 0) {
		v->irq_cpu = cpu;
		v->irq_wall = wall;
	} else if (strcmp(stage, "reset") == 0 && v->resets++ == 0) {
		v->reset_cpu = cpu;
		v->reset_wall = wall;
	}
	pthread_mutex_unlock(&s->tl_lock);
	sim_log(s, "device", "VCPU_STALL vcpu%ld stage %s: guest %ld ms since the pet "
		"(thread CPU %.3f s, wall %.3f s)", idx, stage, gms, sim_sec(cpu), sim_sec(wall));
}

static void sim_on_watchdog(struct sim *s, const char *line)
{
	struct sim_daemon *d = &s->d;
	char dev[32], action[16], id[16];
	uint64_t since = 0, kick;
	bool idle;

	ev_str(line, "device", dev, sizeof(dev));
	ev_str(line, "action", action, sizeof(action));
	ev_str(line, "id", id, sizeof(id));
	sim_log(s, "device", "WATCHDOG %s %s: action %s", dev, id, action);
	if (strcmp(dev, "wdt-i6300esb") != 0)
		return;
	idle = __atomic_load_n(&d->idle, __ATOMIC_ACQUIRE);
	if (idle)
		since = sim_now(s) - __atomic_load_n(&d->idle_since, __ATOMIC_ACQUIRE);
	kick = sim_now(s) - __atomic_load_n(&d->last_kick, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&s->tl_lock);
	if (!idle) {
		d->early_fires++;
	} else if (d->fires++ == 0) {
		d->fire_after_idle = since;
		d->fire_after_kick = kick;
	}
	pthread_mutex_unlock(&s->tl_lock);
}

static void sim_on_stopped(struct sim *s, const char *line)
{
	struct sim_vcpu *v;
	char why[32];
	long idx = -1;

	if (!ev_long(line, "vcpu", &idx) || !(v = sim_vcpu_at(s, idx)))
		return;
	ev_str(line, "reason", why, sizeof(why));
	pthread_mutex_lock(&s->tl_lock);
	v->stopped++;
	pthread_mutex_unlock(&s->tl_lock);
	sim_log(s, "device", "stall detection stopped for vcpu%ld (%s)", idx, why);
}

/* Runs with the event lock held: record, print, never emit. */
static void sim_event_sink(const char *line, void *arg)
{
	struct sim *s = arg;
	char reason[32];

	if (ev_is(line, "VCPU_STALL")) {
		sim_on_stall(s, line);
	} else if (ev_is(line, "WATCHDOG")) {
		sim_on_watchdog(s, line);
	} else if (ev_is(line, "VCPU_STALL_DETECTOR_STOPPED")) {
		sim_on_stopped(s, line);
	} else if (ev_is(line, "RESET") || ev_is(line, "STOP") || ev_is(line, "SHUTDOWN")) {
		ev_str(line, "reason", reason, sizeof(reason));
		sim_log(s, "vm", "%.*s (reason %s)", (int)strcspn(line + 11, "\""), line + 11,
			reason);
	}
}

/* ---- the main loop: carry out actions, end the run ---- */

/* The guest restarts: vCPUs finish their current access sequence, then re-probe. */
static void sim_vm_reset(struct sim *s)
{
	pthread_rwlock_wrlock(&s->guest_lock);
	__atomic_store_n(&s->reset_wall, sim_now(s), __ATOMIC_RELEASE);
	vm_reset(s->ctx, "watchdog");
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_ACQ_REL);
	s->vm_resets++;
	pthread_rwlock_unlock(&s->guest_lock);
	sim_log(s, "vm", "guest reboots: every driver probes again");
}

static void sim_set_gate(struct sim *s, bool *flag)
{
	pthread_mutex_lock(&s->gate_lock);
	__atomic_store_n(flag, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->gate_cond);
	pthread_cond_signal(&s->main_cond);
	pthread_mutex_unlock(&s->gate_lock);
}

static void sim_do_action(struct sim *s, const struct vm_action_req *r)
{
	sim_log(s, "vm", "action %s requested by %s %s", dm_wdt_action_name(r->action),
		r->device, r->id);
	switch (r->action) {
	case DM_WDT_ACTION_RESET:
		sim_vm_reset(s);
		break;
	case DM_WDT_ACTION_POWEROFF:
		dm_event_emit("SHUTDOWN", "\"guest\": false, \"reason\": \"watchdog\"");
		sim_set_gate(s, &s->stop);
		break;
	case DM_WDT_ACTION_SHUTDOWN:
	case DM_WDT_ACTION_INJECT_NMI:
		vm_guest_request_event(r->action);
		break;
	case DM_WDT_ACTION_PAUSE:
		if (!vm_clock_paused()) {
			vm_clock_pause();
			dm_event_emit("STOP", "\"reason\": \"watchdog\"");
		}
		sim_set_gate(s, &s->paused);
		break;
	case DM_WDT_ACTION_DEBUG:
	case DM_WDT_ACTION_NONE:
		break;
	}
}

/* One of QMP's stop/cont/system_reset/quit, carried out on the main loop like actions. */
static void sim_do_host_op(struct sim *s, enum qmp_vm_op op)
{
	switch (op) {
	case QMP_VM_RESET:
		sim_vm_reset(s);
		break;
	case QMP_VM_STOP:
		if (!vm_clock_paused()) {
			vm_clock_pause();
			dm_event_emit("STOP", "\"reason\": \"host\"");
		}
		sim_set_gate(s, &s->paused);
		break;
	case QMP_VM_CONT:
		pthread_mutex_lock(&s->gate_lock);
		__atomic_store_n(&s->paused, false, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->gate_cond);
		pthread_mutex_unlock(&s->gate_lock);
		if (vm_clock_paused()) {
			vm_clock_resume();
			dm_event_emit("RESUME", "%s", "");
		}
		break;
	case QMP_VM_QUIT:
		dm_event_emit("SHUTDOWN", QMP_QUIT_EVENT_DATA);
		sim_set_gate(s, &s->stop);
		break;
	}
}

static void sim_do_host_ops(struct sim *s)
{
	enum qmp_vm_op ops[SIM_HOST_OPS];
	unsigned int n;

	pthread_mutex_lock(&s->gate_lock);
	n = s->host_nops;
	memcpy(ops, s->host_op, n * sizeof(ops[0]));
	s->host_nops = 0;
	pthread_mutex_unlock(&s->gate_lock);
	for (unsigned int i = 0; i < n; i++)
		sim_do_host_op(s, ops[i]);
}

static int sim_qmp_vm(void *arg, enum qmp_vm_op op)
{
	struct sim *s = arg;
	int rc = 0;

	pthread_mutex_lock(&s->gate_lock);
	if (s->host_nops == SIM_HOST_OPS)
		rc = -EBUSY;
	else
		s->host_op[s->host_nops++] = op;
	s->wake = true;
	pthread_cond_signal(&s->main_cond);
	pthread_mutex_unlock(&s->gate_lock);
	return rc;
}

static void sim_main_loop(struct sim *s)
{
	struct timespec end = sim_abs_ts(s, s->end);
	struct vm_action_req r;
	int rc = 0;

	while (!sim_stopping(s)) {
		pthread_mutex_lock(&s->gate_lock);
		while (!s->wake && !sim_stopping(s) && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&s->main_cond, &s->gate_lock, &end);
		s->wake = false;
		pthread_mutex_unlock(&s->gate_lock);
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
	struct plat_vdev *stall = plat_dev_find("vcpu-stall");

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
	/* The stall detector is what the simulation exercises: always present. */
	if (!o->stall_opts && plat_dev_add("vcpu-stall", NULL) != 0)
		return -EINVAL;
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
	s->t0 = sim_mono_ns();
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
	if (vm_clock_paused())
		vm_clock_resume();
	rc = rc ? 1 : sim_verdicts(s);
	sim_locks_fini(s);
	return rc;
}

/* Simulated vCPUs are plain threads: they never run in guest mode. */
static bool sim_no_guest_time(void)
{
	return true;
}

static const struct dm_frontend sim_frontend = {
	.name = "sim",
	.clock = VM_CLOCK_REALTIME,
	.preassign_bars = true,
	.stall_clock = "cputime",
	.selected = sim_selected,
	.prepare = sim_prepare,
	.no_guest_time = sim_no_guest_time,
	.run = sim_run,
};
DEFINE_FRONTEND(sim_frontend);
