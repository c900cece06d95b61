/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The simulated-vCPU front end's scenario grammar (docs/design.rst §7 "sim"):
 * what --sim accepts, parsed into a struct sim_scenario with every value
 * checked and the derived figures (LOAD_CNT, budget, pcpus) filled in.  A bad
 * scenario is one line on stderr and -EINVAL.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_fe.h"

#define SIM_DEFAULT_VCPUS 2
#define SIM_DEFAULT_DURATION (20 * NS_PER_S)
#define SIM_DEFAULT_FREQ 10U            /* Linux vcpu_stall_detector default */
#define SIM_DEFAULT_TIMEOUT (8 * NS_PER_S) /* Linux default stall_timeout_sec */
#define SIM_DEFAULT_WDT_TIMEOUT 30U     /* Linux i6300esb default heartbeat */
#define SIM_DEFAULT_SLACK (500 * NS_PER_MS)
#define SIM_MAX_TIME (86400ULL * NS_PER_S)
#define SIM_FREQ_MAX 1000U
#define ESB_HEARTBEAT_MAX 2046U /* the i6300esb driver's limit: (T << 9) fits 20 bits */

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

int sim_bad(const char *tok, const char *why)
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
	return rc == 1 ? sim_bad(tok, "unknown option (see the grammar in hv/sim_scenario.c)") : rc;
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
		return sim_bad(tok, "expected KEY=VALUE (see the grammar in hv/sim_scenario.c)");
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

int sim_parse_scenario(struct sim_scenario *sc, const char *opts)
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
