/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The guest-driver models of the simulated-vCPU front end (docs/design.rst §7
 * "sim"): what Linux's drivers write, through the same dispatch as every front
 * end (mem_access for MMIO, CONF1 port I/O for configuration space).  The
 * vcpu_stall_detector per-CPU sequence (docs/device.rst §2.2) runs on every
 * vCPU; the i6300esb probe and a /dev/watchdog daemon (docs/device.rst §1.6:
 * probe, set_timeout, start, ping every T/2 s, magic close) run on vCPU 0.
 * Each pet is also measured against a wall-clock detector with the same budget.
 * The time and the timeline that every layer of the front end uses are here too.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "dm_util.h"
#include "inout.h"
#include "mem.h"
#include "pci_core.h"
#include "sim_fe.h"

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

/* PCI configuration mechanism #1 and the header fields the probe uses */
#define CONF1_ADDR_PORT 0xCF8
#define CONF1_DATA_PORT 0xCFC
#define CONF1_ENABLE 0x80000000U
#define CFG_ID 0x00
#define CFG_COMMAND 0x04
#define CFG_BAR0 0x10
#define CFG_CMD_MEMEN 0x0002U
#define CFG_BAR_MEM_MASK 0xFFFFFFF0U

/* ---- time and the timeline ---- */

uint64_t sim_now(const struct sim *s)
{
	return mono_ns() - s->t0;
}

uint64_t sim_cpu_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return timespec_to_ns(&ts);
}

double sim_sec(uint64_t ns)
{
	return (double)ns / 1e9;
}

void sim_log(struct sim *s, const char *who, const char *fmt, ...)
{
	va_list ap;

	if (s->sc->quiet)
		return;
	dm_mutex_lock(&s->tl_lock);
	printf("[%8.3f] %-7s ", sim_sec(sim_now(s)), who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	dm_mutex_unlock(&s->tl_lock);
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
void sim_wall_gap(struct sim_vcpu *v, uint64_t until)
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

void vsd_cpu_online(struct sim_vcpu *v, uint64_t now)
{
	const struct sim_scenario *sc = v->sim->sc;

	vsd_write(v, VSD_CLOCK_FREQ_HZ, sc->freq);
	vsd_write(v, VSD_LOAD_CNT, sc->load_cnt);
	vsd_write(v, VSD_STATUS, 1);
	sim_note_pet(v, now);
	v->next_pet = now + sc->timeout / 2;
}

void vsd_pet(struct sim_vcpu *v, uint64_t now)
{
	const struct sim_scenario *sc = v->sim->sc;

	vsd_write(v, VSD_LOAD_CNT, sc->load_cnt);
	sim_note_pet(v, now);
	v->next_pet = sim_forward(v->next_pet, sc->timeout / 2, now);
}

void vsd_cpu_offline(struct sim_vcpu *v)
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

void daemon_boot(struct sim_vcpu *v, uint64_t now)
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

void daemon_tick(struct sim_vcpu *v, uint64_t now)
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
void daemon_close(struct sim_vcpu *v)
{
	struct sim_daemon *d = &v->sim->d;

	if (!d->running || __atomic_load_n(&d->idle, __ATOMIC_ACQUIRE))
		return;
	d->closed = true;
	d->closed_ok = esb_stop(v);
	d->running = false;
}
