/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * libFuzzer harness 1 (issue 7): PCI configuration and BAR0 access sequences
 * against wdt-i6300esb through the core's dispatch (pci_cfg_rw, CONF1 ports
 * 0xcf8/0xcfc, mem_access), interleaved with virtual clock steps, pauses and
 * VM resets.  The input is a byte stream decoded into operations (format in
 * unit/fuzz/README.md).  Besides "no crash, no leak, no UB" it checks the
 * device against a model of docs/device.rst §1.2-1.5: the config lock/enable bits
 * and their reset, the BAR0 unlock state machine and its consumption (seen
 * through the timeout flag at 0x0C), no timer armed at or before now, no
 * timer armed while the watchdog is disabled, at most devices × stages
 * timers, and no more events than the clock steps can explain.
 * Where docs/device.rst leaves a behaviour open (unaligned or 64-bit BAR writes, an
 * out-of-sequence write in unlock state 1) the model forgets what it knew
 * and learns it again from the next read instead of guessing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dm_event.h"
#include "fuzz.h"
#include "inout.h"
#include "mem.h"
#include "pci_core.h"
#include "vm_clock.h"

/* The device under test and its registers (docs/device.rst §1.2-1.3). */
#define WDT_SLOT 5
#define WDT_ID "\"id\": \"0:5.0\""
#define WDT_CFG_CONFIG 0x60
#define WDT_CFG_CONFIG_MASK 0x27
#define WDT_CFG_LOCK 0x68
#define WDT_CFG_LOCK_MASK 0x07
#define WDT_LOCK_LOCKED 0x01
#define WDT_LOCK_ENABLE 0x02
#define WDT_BAR_PRELOAD1 0x00
#define WDT_BAR_PRELOAD2 0x04
#define WDT_BAR_GINTSR 0x08
#define WDT_BAR_RELOAD 0x0c
#define WDT_BAR_SIZE 0x10
#define WDT_UNLOCK1 0x80
#define WDT_UNLOCK2 0x86
#define WDT_RELOAD_CLEAR_FLAG 0x1200
#define WDT_FLAG_READ 0x1200
#define WDT_STAGES 2
/* The shortest stage: preload 0 lasts one 1 MHz tick = 2^5 × 30 ns. */
#define WDT_MIN_STAGE_NS 960ULL

#define CONF1_ADDR 0xcf8
#define CONF1_DATA 0xcfc
#define CONF1_ENABLE 0x80000000U

#define MAX_OPS 2048
/* Caps the VM time one input may step (a 960 ns free-running stage costs a callback). */
#define MAX_STEP_TOTAL_NS (1ULL << 27)

enum { UNKNOWN = -1 };

/* What the harness knows about the device at slot 5; UNKNOWN until relearned. */
struct wdt_model {
	int config; /* 0x60 & 0x27 */
	int lock;   /* 0x68 & 0x07 */
	int unlock; /* 0, 1, 2 */
	int flag;   /* timeout flag */
};

struct wdt_fuzz {
	struct fuzz_vm vm;
	struct fuzz_in in;
	struct wdt_model m;
	int ndevs;
	uint64_t stepped;
};

static void model_power_on(struct wdt_model *m)
{
	m->config = 0;
	m->lock = 0;
	m->unlock = 0;
}

/* Event sink: a watchdog expiry or VM reset changes the device behind our back. */
static void wdt_event(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	struct wdt_model *m = arg;

	if (strstr(line, "\"event\": \"WATCHDOG\"") && strstr(line, WDT_ID)) {
		m->flag = 1;
		model_power_on(m);
	} else if (strstr(line, "\"event\": \"RESET\"")) {
		model_power_on(m);
	}
}

static struct pci_vdev *wdt_dev(int which)
{
	return pci_get_vdev(0, which ? WDT_SLOT + 1 : WDT_SLOT, which ? 1 : 0);
}

/* -- the model's view of configuration cycles --------------------------------- */

static bool cfg_valid(int off, int bytes)
{
	return (bytes == 1 || bytes == 2 || bytes == 4) && off >= 0 && off + bytes <= 256 &&
	       off % bytes == 0;
}

static bool covers(int off, int bytes, int reg)
{
	return reg >= off && reg < off + bytes;
}

static uint8_t byte_at(uint32_t val, int off, int reg)
{
	return (uint8_t)(val >> (8 * (reg - off)));
}

static void model_cfg_write(struct wdt_model *m, int off, int bytes, uint32_t val)
{
	if (!cfg_valid(off, bytes))
		return;
	if (covers(off, bytes, WDT_CFG_CONFIG))
		m->config = byte_at(val, off, WDT_CFG_CONFIG) & WDT_CFG_CONFIG_MASK;
	if (covers(off, bytes, WDT_CFG_LOCK)) {
		if (m->lock == UNKNOWN)
			return;
		if (!(m->lock & WDT_LOCK_LOCKED))
			m->lock = byte_at(val, off, WDT_CFG_LOCK) & WDT_CFG_LOCK_MASK;
	}
}

static void check_byte(int *known, int got, const char *what)
{
	if (*known == UNKNOWN) {
		*known = got;
		return;
	}
	FUZZ_CHECK(got == *known, "%s reads 0x%02x, model says 0x%02x", what, got, *known);
}

static void model_cfg_read(struct wdt_model *m, int off, int bytes, uint32_t val)
{
	if (!cfg_valid(off, bytes))
		return;
	if (covers(off, bytes, WDT_CFG_CONFIG))
		check_byte(&m->config, byte_at(val, off, WDT_CFG_CONFIG), "config 0x60");
	if (covers(off, bytes, WDT_CFG_CONFIG + 1))
		FUZZ_CHECK(byte_at(val, off, WDT_CFG_CONFIG + 1) == 0,
			   "config 0x61 reads 0x%02x, no bits defined",
			   byte_at(val, off, WDT_CFG_CONFIG + 1));
	if (covers(off, bytes, WDT_CFG_LOCK))
		check_byte(&m->lock, byte_at(val, off, WDT_CFG_LOCK), "lock 0x68");
}

static void wdt_cfg(struct wdt_fuzz *f, int which, bool in, int off, int bytes, uint32_t val)
{
	struct pci_vdev *dev = wdt_dev(which);

	if (!dev)
		return;
	pci_cfg_rw(&f->vm.ctx, 0, dev, in, off, bytes, &val);
	if (which)
		return;
	if (in)
		model_cfg_read(&f->m, off, bytes, val);
	else
		model_cfg_write(&f->m, off, bytes, val);
}

/* CONF1: the latch selects bus/slot/function/dword, the data port the byte lane. */
static void wdt_conf1(struct wdt_fuzz *f, uint32_t latch, int lane, bool in, int bytes,
		      uint32_t val)
{
	uint32_t v = latch;
	bool to_wdt = (latch & 0x80ffff00U) == (CONF1_ENABLE | (WDT_SLOT << 11));
	int off = (int)(latch & 0xfc) + lane;
	uint32_t mask = bytes >= 4 ? 0xffffffffU : (1U << (8 * (bytes & 3))) - 1;

	inout_access(&f->vm.ctx, 0, 0, CONF1_ADDR, 4, &v);
	v = val;
	inout_access(&f->vm.ctx, 0, in, CONF1_DATA + lane, bytes, &v);
	if (!to_wdt || (bytes != 1 && bytes != 2 && bytes != 4) || lane + bytes > 4)
		return;
	if (in)
		model_cfg_read(&f->m, off, bytes, v);
	else
		model_cfg_write(&f->m, off, bytes, val & mask);
}

/* -- the model's view of BAR0 ------------------------------------------------- */

static uint64_t width_mask(int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/* docs/device.rst §1.3: the unlock state machine and what the protected write does. */
static void model_bar_write(struct wdt_model *m, uint64_t off, int bytes, uint64_t val)
{
	bool exact = !(val & ~width_mask(bytes)) && off % (uint64_t)bytes == 0 && bytes <= 4;

	if (!exact) {
		m->unlock = UNKNOWN;
		m->flag = UNKNOWN;
		return;
	}
	if (off == WDT_BAR_RELOAD && val == WDT_UNLOCK1) {
		m->unlock = 1;
		return;
	}
	if (m->unlock == 1 && off == WDT_BAR_RELOAD && val == WDT_UNLOCK2) {
		m->unlock = 2;
		return;
	}
	if (m->unlock == 1 || m->unlock == UNKNOWN) {
		m->unlock = UNKNOWN; /* docs/device.rst §1.3 leaves a broken sequence open */
		if (off == WDT_BAR_RELOAD && bytes != 1)
			m->flag = UNKNOWN;
		return;
	}
	if (bytes == 1 || m->unlock == 0)
		return;
	/* State 2: this 16- or 32-bit write is the protected one. */
	m->unlock = 0;
	if (off == WDT_BAR_RELOAD && bytes == 2 && (val & WDT_RELOAD_CLEAR_FLAG))
		m->flag = 0;
	else if (off == WDT_BAR_RELOAD)
		m->flag = m->flag == 0 ? 0 : UNKNOWN;
}

static void model_bar_read(struct wdt_model *m, uint64_t off, int bytes, uint64_t val)
{
	if (off == WDT_BAR_RELOAD && bytes == 2) {
		FUZZ_CHECK(val == 0 || val == WDT_FLAG_READ, "reload reads 0x%llx",
			   (unsigned long long)val);
		check_byte(&m->flag, val == WDT_FLAG_READ, "timeout flag");
	}
	if ((off == WDT_BAR_PRELOAD1 || off == WDT_BAR_PRELOAD2) && bytes == 4)
		FUZZ_CHECK(val == 0, "preload reads 0x%llx, must read 0", (unsigned long long)val);
	if (off == WDT_BAR_GINTSR && bytes == 4)
		FUZZ_CHECK((val & ~1ULL) == 0, "GINTSR reads 0x%llx", (unsigned long long)val);
}

static bool bar_live(struct pci_vdev *dev, uint64_t *base)
{
	if (!dev || !dev->bar[0].registered)
		return false;
	*base = dev->bar[0].range.base;
	return true;
}

/*
 * The model follows the device at slot 5 wherever an access lands: a device
 * whose BAR0 is not decoded (disabled, or refused because it overlapped) is
 * aimed at PCI_EMUL_MEMBASE32, which may be slot 5's live BAR0.
 */
static void wdt_bar(struct wdt_fuzz *f, int which, bool rd, uint64_t off, int bytes,
		    uint64_t val)
{
	uint64_t base, base0, addr;

	if (!bar_live(wdt_dev(which), &base))
		base = PCI_EMUL_MEMBASE32;
	addr = base + off;
	mem_access(&f->vm.ctx, 0, rd ? MEM_F_READ : MEM_F_WRITE, addr, bytes, &val);
	if (!bar_live(wdt_dev(0), &base0) || addr < base0 || bytes <= 0)
		return;
	off = addr - base0;
	if (off >= WDT_BAR_SIZE || off + (uint64_t)bytes > WDT_BAR_SIZE ||
	    (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8))
		return;
	if (rd)
		model_bar_read(&f->m, off, bytes, val);
	else
		model_bar_write(&f->m, off, bytes, val);
}

static void wdt_unlock(struct wdt_fuzz *f, int which, int bytes)
{
	wdt_bar(f, which, false, WDT_BAR_RELOAD, bytes, WDT_UNLOCK1);
	wdt_bar(f, which, false, WDT_BAR_RELOAD, bytes, WDT_UNLOCK2);
}

/* -- clock ---------------------------------------------------------------------- */

static void wdt_step(struct wdt_fuzz *f, uint64_t ns, bool to_next)
{
	unsigned long ev0 = fuzz_vm_events(&f->vm), bound;
	uint64_t t0 = vm_clock_now_ns(), next = 0, dt;

	if (to_next) {
		if (!vm_clock_next_deadline(&next) || next - t0 > MAX_STEP_TOTAL_NS)
			return;
		vm_clock_step_next();
	} else {
		if (f->stepped + ns > MAX_STEP_TOTAL_NS)
			return;
		f->stepped += ns;
		vm_clock_step(ns);
	}
	dt = vm_clock_now_ns() - t0;
	/* Each expiry cycle of each device: WATCHDOG + the action's event. */
	bound = 2UL * (unsigned long)f->ndevs * (dt / (WDT_STAGES * WDT_MIN_STAGE_NS) + 1);
	FUZZ_CHECK(fuzz_vm_events(&f->vm) - ev0 <= bound,
		   "%lu events in a %llu ns step, at most %lu possible",
		   fuzz_vm_events(&f->vm) - ev0, (unsigned long long)dt, bound);
}

/* -- the decoder ------------------------------------------------------------------ */

enum wdt_op {
	OP_CFG_READ,
	OP_CFG_WRITE,
	OP_CFG_WDT_WRITE,
	OP_CONF1,
	OP_BAR_READ,
	OP_BAR_WRITE,
	OP_UNLOCK,
	OP_PROTECTED,
	OP_STEP_SMALL,
	OP_STEP_MEDIUM,
	OP_STEP_NEXT,
	OP_RESET,
	OP_PAUSE,
	OP_RAW_MMIO,
	OP_RAW_PIO,
	OP_CFG_HEADER,
	OP_COUNT
};

static void op_cfg(struct wdt_fuzz *f, uint8_t sel, bool in)
{
	int off = fz_u8(&f->in);
	int bytes = fz_width(&f->in);
	uint32_t val = in ? 0 : fz_u32(&f->in);

	wdt_cfg(f, sel & 1, in, off, bytes, val);
}

/* The registers the Linux driver uses, at any width that covers them. */
static void op_cfg_wdt(struct wdt_fuzz *f, uint8_t sel)
{
	uint8_t b = fz_u8(&f->in);
	int reg = (b & 1) ? WDT_CFG_LOCK : WDT_CFG_CONFIG;
	int bytes = (b & 2) ? 1 : (b & 4) ? 4 : 2;
	int off = reg & ~(bytes - 1);
	uint32_t val = (uint32_t)fz_u8(&f->in) << (8 * (reg - off));

	wdt_cfg(f, sel & 1, (b & 8) != 0, off, bytes, val);
}

static void op_conf1(struct wdt_fuzz *f, uint8_t sel)
{
	uint8_t b = fz_u8(&f->in);
	uint32_t latch;
	int bytes = fz_width(&f->in);
	uint32_t val = fz_u32(&f->in);

	if (b & 0x80)
		latch = fz_u32(&f->in);
	else
		latch = CONF1_ENABLE | ((uint32_t)(sel & 1 ? WDT_SLOT + 1 : WDT_SLOT) << 11) |
			((sel & 1) << 8) | ((uint32_t)fz_u8(&f->in) & 0xfc);
	wdt_conf1(f, latch, b & 3, (b & 4) != 0, bytes, val);
}

static void op_bar(struct wdt_fuzz *f, uint8_t sel, bool rd)
{
	uint64_t off = fz_u8(&f->in);
	int bytes = fz_width(&f->in);
	uint64_t val = rd ? 0 : fz_u32(&f->in);

	/* Mostly in range; bit 7 aims past the end on purpose. */
	off = (off & 0x80) ? off & 0x1f : off & 0x0f;
	wdt_bar(f, sel & 1, rd, off, bytes, val);
}

static void op_protected(struct wdt_fuzz *f, uint8_t sel)
{
	uint8_t b = fz_u8(&f->in);
	static const uint64_t regs[4] = {WDT_BAR_PRELOAD1, WDT_BAR_PRELOAD2, WDT_BAR_RELOAD,
					 WDT_BAR_RELOAD};
	uint64_t reg = regs[b & 3];
	int bytes = (b & 4) ? 4 : 2;
	uint64_t val;

	if (reg == WDT_BAR_RELOAD)
		val = (b & 8) ? 0x0100 : (b & 0x10) ? 0x0300 : (b & 0x20) ? 0x1100 : fz_u16(&f->in);
	else
		val = fz_u32(&f->in) & 0x1fffff;
	wdt_unlock(f, sel & 1, (b & 0x40) ? 1 : 2);
	wdt_bar(f, sel & 1, false, reg, bytes, val);
}

static void op_raw_mmio(struct wdt_fuzz *f, uint8_t sel)
{
	uint64_t addr = (sel & 1) ? fz_u64(&f->in) : PCI_EMUL_MEMBASE32 + fz_u16(&f->in);
	int bytes = fz_width(&f->in);
	uint64_t val = fz_u64(&f->in);

	mem_access(&f->vm.ctx, 0, (sel & 2) ? MEM_F_READ : MEM_F_WRITE, addr, bytes, &val);
	/* Writes the model cannot follow. */
	f->m.unlock = UNKNOWN;
	f->m.flag = UNKNOWN;
}

static void op_raw_pio(struct wdt_fuzz *f, uint8_t sel)
{
	int port = fz_u16(&f->in);
	int bytes = fz_width(&f->in);
	uint32_t val = fz_u32(&f->in);

	if (sel & 1)
		port = CONF1_ADDR + (port & 7);
	inout_access(&f->vm.ctx, 0, (sel & 2) != 0, port, bytes, &val);
	f->m.config = f->m.lock = UNKNOWN;
}

/* Moves BAR0 or flips the command register's decode bits (config header). */
static void op_cfg_header(struct wdt_fuzz *f, uint8_t sel)
{
	uint8_t b = fz_u8(&f->in);
	uint32_t val = fz_u32(&f->in);

	if (b & 1)
		wdt_cfg(f, sel & 1, false, PCIR_COMMAND, 2, val & 0xffff);
	else if (b & 2)
		wdt_cfg(f, sel & 1, false, PCIR_BAR(0), 4, 0xffffffffU); /* sizing probe */
	else
		wdt_cfg(f, sel & 1, false, PCIR_BAR(0), 4,
			(b & 4) ? val : PCI_EMUL_MEMBASE32 + (val & 0xfff0));
}

static void wdt_op(struct wdt_fuzz *f)
{
	uint8_t op = fz_u8(&f->in);
	uint8_t sel = (uint8_t)(op >> 4) & (f->ndevs > 1 ? 0xf : 0xe);

	switch (op % OP_COUNT) {
	case OP_CFG_READ:
	case OP_CFG_WRITE:
		op_cfg(f, sel, op % OP_COUNT == OP_CFG_READ);
		break;
	case OP_CFG_WDT_WRITE:
		op_cfg_wdt(f, sel);
		break;
	case OP_CONF1:
		op_conf1(f, sel);
		break;
	case OP_BAR_READ:
	case OP_BAR_WRITE:
		op_bar(f, sel, op % OP_COUNT == OP_BAR_READ);
		break;
	case OP_UNLOCK:
		wdt_unlock(f, sel & 1, (sel & 2) ? 1 : 2);
		break;
	case OP_PROTECTED:
		op_protected(f, sel);
		break;
	case OP_STEP_SMALL:
		wdt_step(f, fz_u16(&f->in), false);
		break;
	case OP_STEP_MEDIUM:
		wdt_step(f, (uint64_t)fz_u16(&f->in) << 11, false);
		break;
	case OP_STEP_NEXT:
		wdt_step(f, 0, true);
		break;
	case OP_RESET:
		fuzz_vm_reset(&f->vm);
		break;
	case OP_PAUSE:
		fuzz_vm_pause_toggle(&f->vm);
		break;
	case OP_RAW_MMIO:
		op_raw_mmio(f, sel);
		break;
	case OP_RAW_PIO:
		op_raw_pio(f, sel);
		break;
	case OP_CFG_HEADER:
		op_cfg_header(f, sel);
		break;
	}
}

/* After every operation: timers sane; a disabled lone watchdog holds none. */
static void wdt_check(struct wdt_fuzz *f)
{
	fuzz_check_timers(&f->vm, (size_t)f->ndevs * WDT_STAGES);
	if (f->ndevs == 1 && f->m.lock != UNKNOWN && !(f->m.lock & WDT_LOCK_ENABLE))
		FUZZ_CHECK(timer_core_armed_count() == 0,
			   "watchdog disabled (0x68 = 0x%02x) but %zu timers armed", f->m.lock,
			   timer_core_armed_count());
}

static const char *const wdt_configs[4][2] = {
	{"5,wdt-i6300esb", NULL},
	{"5,wdt-i6300esb,action=none", NULL},
	{"5,wdt-i6300esb,action=poweroff", NULL},
	{"5,wdt-i6300esb", "6:1,wdt-i6300esb,action=pause"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdt_fuzz f = {.in = {data, size}};
	const char *const *cfg = wdt_configs[fz_u8(&f.in) & 3];
	int rc;

	f.ndevs = cfg[1] ? 2 : 1;
	FUZZ_CHECK(pci_parse_slot(cfg[0]) == 0, "-s %s refused", cfg[0]);
	FUZZ_CHECK(!cfg[1] || pci_parse_slot(cfg[1]) == 0, "-s %s refused", cfg[1]);
	model_power_on(&f.m);
	f.m.flag = 0; /* DM start: the flag is clear */
	rc = fuzz_vm_start(&f.vm, 1);
	FUZZ_CHECK(rc == 0, "VM start failed: %d", rc);
	dm_event_set_sink(wdt_event, &f.m);
	for (int i = 0; i < MAX_OPS && !fz_done(&f.in) && !f.vm.poweroff; i++) {
		wdt_op(&f);
		wdt_check(&f);
	}
	dm_event_set_sink(NULL, NULL);
	fuzz_vm_stop(&f.vm);
	return 0;
}
