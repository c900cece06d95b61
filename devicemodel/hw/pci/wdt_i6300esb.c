/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * wdt-i6300esb: the watchdog timer of the Intel 6300ESB I/O controller hub
 * (PCI 8086:25AB), as docs/device.rst section 1 specifies and the stock Linux
 * i6300esb driver (current and pre-2017) expects.  Two-stage down-counter:
 * stage 1 (preload 1) ends with an optional INTx, stage 2 (preload 2) ends
 * with the watchdog action, carried out through the reboot API (dm_reset.h,
 * docs/design.rst section 6), and a device reset that keeps the timeout flag.
 * Durations are nanosecond-exact on the VM clock (docs/device.rst §1.4).  Config 0x60 and
 * 0x68 are decoded at any width; BAR0 holds the preloads, GINTSR and the
 * reload register behind the 0x80/0x86 unlock sequence (docs/device.rst §1.3).
 *
 * Portability: this file uses only names ACRN's devicemodel also has
 * (pci_core.h, pcireg.h, timer.h, log.h) plus the extension headers
 * dm_reset.h, dm_event.h and dm_persist.h, which devicemodel/acrn/ provides
 * and maps onto ACRN's own facilities; `make acrn-dm` builds ACRN's acrn-dm
 * with this very file in place of ACRN's own plugin.
 *
 * Lifetime.  The timer contract is ACRN's (timer.h): settime(0) and
 * acrn_timer_deinit() do not wait for a callback that is running or queued.
 * So all state of an instance, its timer and its mutex included, lives in a
 * dm_persist() block keyed by bus/slot/function that is never freed while
 * the DM runs: a callback can never touch freed memory, and the timeout flag
 * survives ACRN's reset (deinit + init of every device) and wdt-dm's reset
 * hook alike.  'bound' says whether a device instance owns the block now.
 *
 * Locking.  One mutex, 'mu', guards the block; every path takes it, the timer
 * callback included, and timer calls are made with it held (none of them
 * waits for a callback any more).  A callback checks, under 'mu', that its
 * expiry is still the current one: the block is bound, a countdown is in
 * progress and the timer was not re-armed since it fired (a reload, a stage
 * change, or a new instance after a reset).  Anything else is a stale or
 * concurrent expiry and does nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_event.h"
#include "dm_persist.h"
#include "dm_reset.h"
#include "dm_util.h"
#include "log.h"
#include "pci_core.h"
#include "pcireg.h"
#include "timer.h"

/* ---- register map ------------------------------------------------------ */

#define ESB_VENDOR_INTEL 0x8086
#define ESB_DEVICE_WDT 0x25AB
#define ESB_BAR_IDX 0
#define ESB_BAR_SIZE 0x10

/* Config space, device specific */
#define ESB_CFG_CONFIG 0x60        /* 16 bit: WDT configuration */
#define ESB_CONFIG_OUTPUT_DIS 0x0020 /* bit 5: 1 = WDT_OUTPUT (reboot) disabled */
#define ESB_CONFIG_1MHZ 0x0004       /* bit 2: prescaler, 0 = 1 kHz, 1 = 1 MHz */
#define ESB_CONFIG_INT_TYPE 0x0003   /* bits 1:0: stage-1 interrupt type */
#define ESB_INT_TYPE_IRQ 0x0
#define ESB_INT_TYPE_SMI 0x2         /* 0x1 reserved and 0x3: disabled */
#define ESB_CONFIG_MASK (ESB_CONFIG_OUTPUT_DIS | ESB_CONFIG_1MHZ | ESB_CONFIG_INT_TYPE)
#define ESB_CFG_LOCK 0x68          /* 8 bit: WDT lock */
#define ESB_LOCK_FREE_RUN 0x04       /* bit 2: 1 = free-running, 0 = two-stage watchdog */
#define ESB_LOCK_ENABLE 0x02         /* bit 1: countdown enabled */
#define ESB_LOCK_LOCKED 0x01         /* bit 0: register frozen until device reset */
#define ESB_LOCK_MASK (ESB_LOCK_FREE_RUN | ESB_LOCK_ENABLE | ESB_LOCK_LOCKED)

/* BAR0, memory */
#define ESB_REG_PRELOAD1 0x00      /* 32-bit write, protected: stage-1 preload */
#define ESB_REG_PRELOAD2 0x04      /* 32-bit write, protected: stage-2 preload */
#define ESB_REG_GINTSR 0x08        /* bit 0: stage-1 interrupt active, W1C */
#define ESB_GINTSR_INT_ACTIVE 0x01
#define ESB_REG_RELOAD 0x0C        /* 16 bit: unlock sequence and reload */
#define ESB_RELOAD_RELOAD 0x0100     /* bit 8: restart stage 1 */
#define ESB_RELOAD_TIMEOUT 0x0200    /* bit 9: timeout flag (W1C) */
#define ESB_RELOAD_TIMEOUT_OLD 0x1000 /* bit 12: what pre-2017 Linux wrote to clear it */
#define ESB_RELOAD_FLAG_READ (ESB_RELOAD_TIMEOUT | ESB_RELOAD_TIMEOUT_OLD)
#define ESB_UNLOCK_FIRST 0x80
#define ESB_UNLOCK_SECOND 0x86
#define ESB_PRELOAD_MASK 0xFFFFFU
#define ESB_PRELOAD_RESET 0xFFFFFU

/* Timing (docs/device.rst §1.4): one PCI clock is 30 ns; the prescaler divides by 2^15 or 2^5. */
#define ESB_PCI_CLOCK_NS 30ULL
#define ESB_SHIFT_1KHZ 15
#define ESB_SHIFT_1MHZ 5

#define ESB_NAME "wdt-i6300esb"
#define ESB_STAGE2_NAME "stage2" /* the "stage" of the WATCHDOG event */
#define ESB_ID_LEN 16
#define ESB_LOG_BURST 10UL
#define ESB_LOG_EVERY 1000UL

enum esb_unlock { ESB_UNLOCK_IDLE, ESB_UNLOCK_HALF, ESB_UNLOCK_OPEN };

/* What a BAR write means to the unlock state machine. */
enum esb_write_kind {
	ESB_WRITE_SEQUENCE,  /* 0x80/0x86: advanced the sequence */
	ESB_WRITE_PROTECTED, /* the one write the open unlock allows */
	ESB_WRITE_PLAIN,     /* anything else: unprotected effects only */
};

/* S3 resume (ACRN's vm_reset_watchdog): both stages get at least this long. */
#define ESB_RESUME_STAGE_NS (60ULL * NS_PER_SEC)

/* One per bus/slot/function, in a dm_persist() block: never freed while the DM runs. */
struct esb {
	pthread_mutex_t mu;  /* the state below, shared with the callback */
	bool set_up;         /* mu initialised (first init at this address) */
	bool bound;          /* a device instance owns the block */
	struct pci_vdev *dev;
	struct vmctx *ctx;
	struct acrn_timer timer;
	enum dm_wdt_action action;
	struct dm_wdt_dump dump; /* dump= (dir "": none) and dump_timeout= */
	char id[ESB_ID_LEN]; /* "bus:slot.func" */

	uint16_t config;     /* 0x60, ESB_CONFIG_MASK bits */
	uint8_t lock;        /* 0x68, ESB_LOCK_MASK bits */
	uint32_t preload[2]; /* stage 1, stage 2 */
	uint8_t gintsr;
	enum esb_unlock unlock;
	int stage;           /* 1 or 2 */
	bool counting;       /* a stage countdown is in progress */
	/* Survives device, VM and deinit/init resets; cleared by the guest or a DM restart only. */
	bool timeout_flag;
	unsigned long odd_accesses; /* per-instance log rate limit */
};

/* ---- helpers ------------------------------------------------------------- */

/* A guest hammering odd accesses costs a counter increment, not a log line. */
static bool esb_log_ok(struct esb *s)
{
	unsigned long n = s->odd_accesses++;

	return n < ESB_LOG_BURST || n % ESB_LOG_EVERY == 0;
}

/*
 * docs/device.rst §1.4: P x 2^15 x 30 ns (1 kHz) or P x 2^5 x 30 ns (1 MHz).  P = 0 lasts
 * one tick: the hardware reloads and counts down at least once, and a zero
 * it_value would disarm the timer instead of firing it.
 */
static uint64_t wdt_stage_duration_ns(uint32_t preload, bool one_mhz)
{
	uint64_t ticks = preload ? preload : 1;

	return (ticks << (one_mhz ? ESB_SHIFT_1MHZ : ESB_SHIFT_1KHZ)) * ESB_PCI_CLOCK_NS;
}

static bool esb_enabled(const struct esb *s)
{
	return (s->lock & ESB_LOCK_ENABLE) != 0;
}

/* Enters stage 1 or 2 with that stage's current preload (mu held). */
static void esb_stage_start(struct esb *s, int stage)
{
	uint64_t ns = wdt_stage_duration_ns(s->preload[stage - 1],
					    (s->config & ESB_CONFIG_1MHZ) != 0);
	struct itimerspec its = ns_to_itimerspec(ns);
	int err;

	s->stage = stage;
	s->counting = true;
	err = acrn_timer_settime(&s->timer, &its);
	if (err) {
		s->counting = false;
		if (esb_log_ok(s))
			pr_err(ESB_NAME " %s: cannot arm stage %d timer (%d)\n", s->id, stage, err);
	}
}

/* mu held; a callback already past the heap is stale and finds nothing to do. */
static void esb_disarm(struct esb *s)
{
	struct itimerspec zero = ns_to_itimerspec(0);

	if (acrn_timer_settime(&s->timer, &zero))
		pr_err(ESB_NAME " %s: cannot disarm timer\n", s->id);
}

static void esb_gintsr_clear(struct esb *s)
{
	if (s->gintsr & ESB_GINTSR_INT_ACTIVE)
		pci_lintr_deassert(s->dev);
	s->gintsr = 0;
}

/*
 * Power-on state except the timeout flag (docs/device.rst §1.5).  Stops the countdown
 * logically; the caller disarms the timer if one may still be armed.
 */
static void esb_power_on_state(struct esb *s)
{
	s->config = 0;
	s->lock = 0;
	s->preload[0] = ESB_PRELOAD_RESET;
	s->preload[1] = ESB_PRELOAD_RESET;
	esb_gintsr_clear(s);
	s->unlock = ESB_UNLOCK_IDLE;
	s->stage = 1;
	s->counting = false;
}

/* ---- expiry -------------------------------------------------------------- */

static void esb_stage1_expired(struct esb *s)
{
	const char *intr = "disabled";

	switch (s->config & ESB_CONFIG_INT_TYPE) {
	case ESB_INT_TYPE_IRQ:
		intr = "irq";
		s->gintsr |= ESB_GINTSR_INT_ACTIVE;
		pci_lintr_assert(s->dev);
		break;
	case ESB_INT_TYPE_SMI:
		intr = "smi";
		if (esb_log_ok(s))
			pr_info(ESB_NAME " %s: stage 1 expired, SMI requested (not modelled)\n",
				s->id);
		break;
	default: /* disabled (and the reserved encoding) */
		break;
	}
	/*
	 * Make the pre-timeout visible even with the interrupt off (the Linux
	 * driver's setting) -- except in free-running mode with the output
	 * disabled, a pure toggle that repeats every period with no action to
	 * warn of: an event there would let a guest flood the event stream.
	 */
	if (!((s->config & ESB_CONFIG_OUTPUT_DIS) && (s->lock & ESB_LOCK_FREE_RUN)))
		dm_event_emit("WATCHDOG_STAGE1", DM_EV_STR("device", ESB_NAME),
			      DM_EV_STR("id", s->id), DM_EV_STR("interrupt", intr));
	esb_stage_start(s, 2);
}

static void esb_stage2_expired(struct esb *s)
{
	if (!(s->config & ESB_CONFIG_OUTPUT_DIS)) {
		s->timeout_flag = true;
		dm_watchdog_expired_dump(s->ctx, s->action, &s->dump, ESB_NAME, s->id,
					 ESB_STAGE2_NAME);
		/* The timer just fired and is not re-armed: nothing to disarm. */
		esb_power_on_state(s);
	} else if (s->lock & ESB_LOCK_FREE_RUN) {
		esb_stage_start(s, 1);
	} else {
		s->counting = false; /* stays enabled; a reload starts it again */
	}
}

/* True when the timer was armed again after this expiry was taken off the heap. */
static bool esb_expiry_overtaken(struct esb *s)
{
	struct itimerspec cur;

	if (acrn_timer_gettime(&s->timer, &cur))
		return false;
	return cur.it_value.tv_sec != 0 || cur.it_value.tv_nsec != 0;
}

static void esb_timer_cb(void *param, uint64_t nexp)
{
	struct esb *s = param;

	(void)nexp; /* one-shot */
	dm_mutex_lock(&s->mu);
	if (s->bound && s->counting && !esb_expiry_overtaken(s)) {
		if (s->stage == 1)
			esb_stage1_expired(s);
		else
			esb_stage2_expired(s);
	}
	dm_mutex_unlock(&s->mu);
}

/* ---- config space (docs/device.rst §1.2) --------------------------------------------- */

static bool esb_cfg_covers(int offset, int bytes, int reg)
{
	return reg >= offset && reg < offset + bytes;
}

/*
 * Does this access touch the dword at 0x60 or the one at 0x68?  The device
 * decodes both whole dwords: the reserved bytes next to the registers
 * (0x62-0x63, 0x69-0x6b) read 0 and ignore writes at every width, so a byte
 * reads the same whether the guest uses inb, inw or inl.
 */
static bool esb_cfg_is_ours(int offset, int bytes)
{
	for (int i = 0; i < 4; i++)
		if (esb_cfg_covers(offset, bytes, ESB_CFG_CONFIG + i) ||
		    esb_cfg_covers(offset, bytes, ESB_CFG_LOCK + i))
			return true;
	return false;
}

/* One byte of the decoded window; reserved neighbours read 0. */
static uint8_t esb_cfg_byte(const struct esb *s, int reg)
{
	switch (reg) {
	case ESB_CFG_CONFIG:
		return (uint8_t)s->config;
	case ESB_CFG_CONFIG + 1:
		return (uint8_t)(s->config >> 8);
	case ESB_CFG_LOCK:
		return s->lock;
	default:
		return 0;
	}
}

static int esb_cfgread(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int offset, int bytes,
		       uint32_t *retval)
{
	struct esb *s = pi->arg;
	uint32_t v = 0;

	(void)ctx, (void)vcpu;
	if (!s || !esb_cfg_is_ours(offset, bytes))
		return -1;
	dm_mutex_lock(&s->mu);
	for (int i = 0; i < bytes; i++)
		v |= (uint32_t)esb_cfg_byte(s, offset + i) << (8 * i);
	dm_mutex_unlock(&s->mu);
	*retval = v;
	return 0;
}

/* Lock register write (mu held). */
static void esb_lock_write(struct esb *s, uint8_t val)
{
	bool was_enabled = esb_enabled(s);

	if (s->lock & ESB_LOCK_LOCKED) {
		pr_dbg(ESB_NAME " %s: lock register is locked, write 0x%02x ignored\n", s->id, val);
		return;
	}
	s->lock = val & ESB_LOCK_MASK;
	if (!was_enabled && esb_enabled(s)) {
		esb_stage_start(s, 1);
	} else if (was_enabled && !esb_enabled(s) && s->counting) {
		s->counting = false;
		esb_disarm(s);
	}
}

/* Merges the bytes of 0x60-0x61 this access covers; the prescaler applies at the next stage. */
static void esb_config_write(struct esb *s, int offset, int bytes, uint32_t val)
{
	uint16_t cur = s->config;

	for (int i = 0; i < 2; i++) {
		int reg = ESB_CFG_CONFIG + i;

		if (!esb_cfg_covers(offset, bytes, reg))
			continue;
		cur = (uint16_t)(cur & ~(0xffU << (8 * i)));
		cur = (uint16_t)(cur | (((val >> (8 * (reg - offset))) & 0xffU) << (8 * i)));
	}
	s->config = cur & ESB_CONFIG_MASK;
}

static int esb_cfgwrite(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int offset, int bytes,
			uint32_t val)
{
	struct esb *s = pi->arg;

	(void)ctx, (void)vcpu;
	if (!s || !esb_cfg_is_ours(offset, bytes))
		return -1;
	dm_mutex_lock(&s->mu);
	esb_config_write(s, offset, bytes, val);
	if (esb_cfg_covers(offset, bytes, ESB_CFG_LOCK))
		esb_lock_write(s, (uint8_t)(val >> (8 * (ESB_CFG_LOCK - offset))));
	dm_mutex_unlock(&s->mu);
	return 0;
}

/* ---- BAR0 (docs/device.rst §1.3) ------------------------------------------------------ */

static bool esb_bar_access_ok(uint64_t offset, int size)
{
	if (size != 1 && size != 2 && size != 4)
		return false;
	return offset < ESB_BAR_SIZE && offset + (uint64_t)size <= ESB_BAR_SIZE &&
	       offset % (uint64_t)size == 0;
}

/*
 * The unlock state machine, the only place it lives (mu held).  At 0x0C, a
 * write of exactly 0x80 (any width) starts the sequence, even from OPEN; 0x86
 * right after it opens the lock.  While OPEN, the next 16- or 32-bit write
 * anywhere in the BAR is the protected one and closes the lock whether or not
 * it has an effect.  8-bit writes of any other value neither act nor consume.
 */
static enum esb_write_kind esb_unlock_step(struct esb *s, uint64_t offset, int size,
					   uint32_t val)
{
	if (offset == ESB_REG_RELOAD && val == ESB_UNLOCK_FIRST) {
		s->unlock = ESB_UNLOCK_HALF;
		return ESB_WRITE_SEQUENCE;
	}
	if (offset == ESB_REG_RELOAD && val == ESB_UNLOCK_SECOND &&
	    s->unlock == ESB_UNLOCK_HALF) {
		s->unlock = ESB_UNLOCK_OPEN;
		return ESB_WRITE_SEQUENCE;
	}
	if (size == 1 || s->unlock != ESB_UNLOCK_OPEN)
		return ESB_WRITE_PLAIN;
	s->unlock = ESB_UNLOCK_IDLE;
	return ESB_WRITE_PROTECTED;
}

/* The reload register's protected 16-bit write. */
static void esb_reload_write(struct esb *s, uint32_t val)
{
	if (val & (ESB_RELOAD_TIMEOUT | ESB_RELOAD_TIMEOUT_OLD))
		s->timeout_flag = false;
	if ((val & ESB_RELOAD_RELOAD) && esb_enabled(s))
		esb_stage_start(s, 1); /* re-arming replaces the pending deadline */
}

/* What the one protected write does; other (offset, width) pairs only consume it. */
static void esb_protected_write(struct esb *s, uint64_t offset, int size, uint32_t val)
{
	if (size == 4 && (offset == ESB_REG_PRELOAD1 || offset == ESB_REG_PRELOAD2))
		s->preload[offset / 4] = val & ESB_PRELOAD_MASK;
	else if (size == 2 && offset == ESB_REG_RELOAD)
		esb_reload_write(s, val);
	else
		pr_dbg(ESB_NAME " %s: %d-byte write at 0x%x consumed the unlock\n", s->id, size,
		       (unsigned int)offset);
}

static void esb_barwrite(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int baridx,
			 uint64_t offset, int size, uint64_t value)
{
	struct esb *s = pi->arg;
	uint32_t val = (uint32_t)value;
	enum esb_write_kind kind;

	(void)ctx, (void)vcpu;
	if (!s)
		return;
	dm_mutex_lock(&s->mu);
	if (baridx != ESB_BAR_IDX || !esb_bar_access_ok(offset, size)) {
		if (esb_log_ok(s))
			pr_warn(ESB_NAME " %s: %d-byte write at BAR%d+0x%lx ignored\n", s->id, size,
				baridx, (unsigned long)offset);
		dm_mutex_unlock(&s->mu);
		return;
	}
	kind = esb_unlock_step(s, offset, size, val);
	/* GINTSR is not protected: write-1-to-clear works at any time. */
	if (offset == ESB_REG_GINTSR && (val & ESB_GINTSR_INT_ACTIVE))
		esb_gintsr_clear(s);
	if (kind == ESB_WRITE_PROTECTED)
		esb_protected_write(s, offset, size, val);
	dm_mutex_unlock(&s->mu);
}

static uint64_t esb_barread(struct vmctx *ctx, int vcpu, struct pci_vdev *pi, int baridx,
			    uint64_t offset, int size)
{
	struct esb *s = pi->arg;
	uint64_t v = 0;

	(void)ctx, (void)vcpu;
	if (!s)
		return 0;
	dm_mutex_lock(&s->mu);
	if (baridx != ESB_BAR_IDX || !esb_bar_access_ok(offset, size)) {
		if (esb_log_ok(s))
			pr_warn(ESB_NAME " %s: %d-byte read at BAR%d+0x%lx ignored\n", s->id, size,
				baridx, (unsigned long)offset);
	} else if (offset == ESB_REG_GINTSR) {
		v = s->gintsr;
	} else if (offset == ESB_REG_RELOAD && size == 2 && s->timeout_flag) {
		v = ESB_RELOAD_FLAG_READ;
	}
	/* Preloads are write-only; reads never touch the unlock state. */
	dm_mutex_unlock(&s->mu);
	return v;
}

/* ---- lifecycle ------------------------------------------------------------ */

/* VM reset: the whole device returns to power-on, the timeout flag stays. */
static void esb_reset_hook(void *arg)
{
	struct esb *s = arg;

	dm_mutex_lock(&s->mu);
	esb_power_on_state(s);
	esb_disarm(s);
	dm_mutex_unlock(&s->mu);
}

/* Preload lasting at least ns at the current prescaler, clamped to 20 bits. */
static uint32_t esb_preload_for(const struct esb *s, uint64_t ns)
{
	uint64_t tick = wdt_stage_duration_ns(1, (s->config & ESB_CONFIG_1MHZ) != 0);
	uint64_t p = (ns + tick - 1) / tick;

	return p > ESB_PRELOAD_MASK ? ESB_PRELOAD_MASK : (uint32_t)p;
}

/*
 * Guest S3, with the meaning ACRN gives vm_stop_watchdog()/vm_reset_watchdog():
 * entering S3 stops the countdown (the enable bit stays); resuming restarts
 * stage 1 with both preloads set to ESB_RESUME_STAGE_NS (or the longest the
 * prescaler allows) if the watchdog is enabled, so a hang during resume is
 * still caught before the guest's own driver pings again.
 */
static void esb_pm_hook(void *arg, enum dm_pm_event ev)
{
	struct esb *s = arg;

	dm_mutex_lock(&s->mu);
	if (s->bound && ev == DM_PM_SUSPEND) {
		s->counting = false;
		esb_disarm(s);
	} else if (s->bound && ev == DM_PM_RESUME) {
		s->preload[0] = esb_preload_for(s, ESB_RESUME_STAGE_NS);
		s->preload[1] = s->preload[0];
		s->unlock = ESB_UNLOCK_IDLE;
		if (esb_enabled(s))
			esb_stage_start(s, 1);
	}
	dm_mutex_unlock(&s->mu);
}

/* The device's state for the host's queries (dm_status_register). */
static int esb_status(void *arg, char *buf, unsigned long n)
{
	struct esb *s = arg;
	int len;

	dm_mutex_lock(&s->mu);
	len = snprintf(buf, n,
		       "\"device\": \"" ESB_NAME "\", \"id\": \"%s\", \"action\": \"%s\", "
		       "\"enabled\": %s, \"locked\": %s, \"free-running\": %s, \"stage\": %d, "
		       "\"counting\": %s, \"timeout-flag\": %s, \"interrupt-active\": %s, "
		       "\"preload\": [%u, %u]",
		       s->id, dm_wdt_action_name(s->action), esb_enabled(s) ? "true" : "false",
		       (s->lock & ESB_LOCK_LOCKED) ? "true" : "false",
		       (s->lock & ESB_LOCK_FREE_RUN) ? "true" : "false", s->stage,
		       s->counting ? "true" : "false", s->timeout_flag ? "true" : "false",
		       (s->gintsr & ESB_GINTSR_INT_ACTIVE) ? "true" : "false", s->preload[0],
		       s->preload[1]);
	dm_mutex_unlock(&s->mu);
	return len < 0 || (unsigned long)len >= n ? -ENOSPC : 0;
}

static int esb_opt_error(const char *what, const char *opt, size_t len)
{
	pr_err(ESB_NAME ": %s '%.*s' (expected action=" DM_WDT_ACTION_NAMES
	       ", dump=DIR, dump_timeout=SECONDS)\n", what, (int)len, opt);
	return -EINVAL;
}

/* What -s gave: the action and the post-mortem dump settings. */
struct esb_cfg {
	enum dm_wdt_action action;
	struct dm_wdt_dump dump;
};

/* One "key=value" of the comma-separated options. */
static int esb_parse_one(const char *opt, size_t len, struct esb_cfg *cfg)
{
	char kv[DM_DUMP_DIR_MAX + 16], *val;
	int rc;

	if (len >= sizeof(kv))
		return esb_opt_error("option too long:", opt, len);
	memcpy(kv, opt, len);
	kv[len] = '\0';
	val = strchr(kv, '=');
	if (!val || val == kv)
		return esb_opt_error("unknown option", opt, len);
	*val++ = '\0';
	if (strcmp(kv, "action") == 0)
		return dm_wdt_action_parse(val, &cfg->action) ? esb_opt_error("bad action in", opt,
									      len) : 0;
	rc = dm_wdt_dump_opt(&cfg->dump, ESB_NAME, kv, val);
	if (rc == 0)
		return esb_opt_error("unknown option", opt, len);
	return rc < 0 ? rc : 0;
}

/* "action=...,dump=DIR,dump_timeout=S"; NULL or empty: the defaults (reset, no dump). */
static int esb_parse_opts(struct vmctx *ctx, const char *opts, struct esb_cfg *cfg)
{
	cfg->action = DM_WDT_ACTION_RESET;
	dm_wdt_dump_init(&cfg->dump);
	while (opts && *opts) {
		size_t len = strcspn(opts, ",");
		int err = len ? esb_parse_one(opts, len, cfg) : 0;

		if (err)
			return err;
		opts += len;
		if (*opts == ',')
			opts++;
	}
	return dm_wdt_check(ctx, ESB_NAME, cfg->action, &cfg->dump);
}

static void esb_set_identity(struct pci_vdev *dev)
{
	pci_set_cfgdata16(dev, PCIR_VENDOR, ESB_VENDOR_INTEL);
	pci_set_cfgdata16(dev, PCIR_DEVICE, ESB_DEVICE_WDT);
	pci_set_cfgdata8(dev, PCIR_REVID, 0);
	pci_set_cfgdata8(dev, PCIR_PROGIF, 0);
	pci_set_cfgdata8(dev, PCIR_SUBCLASS, PCIS_BASEPERIPH_OTHER);
	pci_set_cfgdata8(dev, PCIR_CLASS, PCIC_BASEPERIPH);
	pci_set_cfgdata8(dev, PCIR_HDRTYPE, PCIM_HDRTYPE_NORMAL);
}

/* The block at this bus/slot/function, set up on first use; NULL: out of memory. */
static struct esb *esb_block(struct pci_vdev *dev)
{
	uint64_t key = ((uint64_t)dev->bus << 16) | ((uint64_t)dev->slot << 8) | dev->func;
	struct esb *s = dm_persist(ESB_NAME, key, sizeof(*s));

	if (s && !s->set_up) {
		if (pthread_mutex_init(&s->mu, NULL) != 0)
			return NULL;
		s->set_up = true;
	}
	return s;
}

/* Binds the block to a new instance (mu held); the timeout flag is left alone. */
static int esb_bind(struct esb *s, struct vmctx *ctx, struct pci_vdev *dev,
		    const struct esb_cfg *cfg)
{
	int err;

	if (s->bound)
		return -EBUSY;
	s->dev = dev;
	s->ctx = ctx;
	s->action = cfg->action;
	s->dump = cfg->dump;
	s->odd_accesses = 0;
	snprintf(s->id, sizeof(s->id), "%u:%u.%u", dev->bus, dev->slot, dev->func);
	esb_power_on_state(s);
	s->timer.clockid = CLOCK_MONOTONIC;
	err = acrn_timer_init(&s->timer, esb_timer_cb, s);
	if (err)
		return err < 0 ? err : -EINVAL;
	s->bound = true;
	return 0;
}

/* Detaches the instance (mu held); a callback still on its way finds !bound. */
static void esb_unbind(struct esb *s)
{
	s->counting = false;
	esb_gintsr_clear(s);
	esb_disarm(s);
	acrn_timer_deinit(&s->timer);
	s->bound = false;
}

static int esb_hooks_register(struct vmctx *ctx, struct esb *s)
{
	int err = dm_reset_hook_register(ctx, esb_reset_hook, s);

	if (err)
		return err;
	err = dm_pm_hook_register(ctx, esb_pm_hook, s);
	if (err)
		goto err_reset;
	err = dm_status_register(ctx, esb_status, s);
	if (err)
		goto err_pm;
	return 0;

err_pm:
	dm_pm_hook_unregister(ctx, esb_pm_hook, s);
err_reset:
	dm_reset_hook_unregister(ctx, esb_reset_hook, s);
	return err;
}

static int esb_init(struct vmctx *ctx, struct pci_vdev *dev, char *opts)
{
	struct esb_cfg cfg;
	struct esb *s;
	int err = esb_parse_opts(ctx, opts, &cfg);

	if (err)
		return err;
	s = esb_block(dev);
	if (!s)
		return -ENOMEM;
	dm_mutex_lock(&s->mu);
	err = esb_bind(s, ctx, dev, &cfg);
	dm_mutex_unlock(&s->mu);
	if (err)
		return err;
	esb_set_identity(dev);
	pci_lintr_request(dev);
	err = pci_emul_alloc_bar(dev, ESB_BAR_IDX, PCIBAR_MEM32, ESB_BAR_SIZE);
	if (!err)
		err = esb_hooks_register(ctx, s);
	if (err) {
		dm_mutex_lock(&s->mu);
		esb_unbind(s);
		dm_mutex_unlock(&s->mu);
		return err;
	}
	dev->arg = s;
	pr_info(ESB_NAME " %s: action=%s%s%s\n", s->id, dm_wdt_action_name(cfg.action),
		cfg.dump.dir[0] ? ", dump=" : "", cfg.dump.dir);
	return 0;
}

static void esb_deinit(struct vmctx *ctx, struct pci_vdev *dev, char *opts)
{
	struct esb *s = dev->arg;

	(void)opts;
	if (!s)
		return;
	dm_status_unregister(ctx, esb_status, s);
	dm_pm_hook_unregister(ctx, esb_pm_hook, s);
	dm_reset_hook_unregister(ctx, esb_reset_hook, s);
	dm_mutex_lock(&s->mu);
	esb_unbind(s);
	dm_mutex_unlock(&s->mu);
	dev->arg = NULL;
}

static struct pci_vdev_ops pci_ops_wdt_i6300esb = {
	.class_name = ESB_NAME,
	.vdev_init = esb_init,
	.vdev_deinit = esb_deinit,
	.vdev_cfgwrite = esb_cfgwrite,
	.vdev_cfgread = esb_cfgread,
	.vdev_barwrite = esb_barwrite,
	.vdev_barread = esb_barread,
};
DEFINE_PCI_DEVTYPE(pci_ops_wdt_i6300esb);
