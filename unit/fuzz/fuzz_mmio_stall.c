/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * libFuzzer harness 2 (issue 7): MMIO access sequences against vcpu-stall
 * (docs/device.rst §2) through the MMIO dispatch, for 1, 4, 256 or N vCPUs, with
 * virtual clock steps (ns to days), pauses and VM resets.  The byte stream is
 * decoded into operations (unit/fuzz/README.md).  Checked against a model
 * of §2.1-2.2: STATUS reads 1/0 as last written, LOAD_CNT and CLOCK_FREQ_HZ
 * read back the last value written, CURRENT_CNT never exceeds LOAD_CNT (one
 * tick for LOAD_CNT 0),
 * everything reads 0 after a reset and for slots past the vCPU count or
 * accesses that are not aligned 4-byte ones; at most one timer per vCPU, no
 * timer at or before now, none while a lone vCPU's detector is disabled; and
 * at most two stall events per pet (bark, bite), so events are bounded by the
 * guest's writes, whatever the clock does.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dm_event.h"
#include "fuzz.h"
#include "mem.h"
#include "plat_dev.h"
#include "vm_clock.h"

/* Register map (docs/device.rst §2.1): vCPU n at base + n × 0x10. */
#define STALL_BASE 0x3000ULL
#define STALL_WINDOW 0x1000ULL
#define STALL_SLOT 0x10U
#define STALL_STATUS 0x0
#define STALL_LOAD_CNT 0x4
#define STALL_CURRENT_CNT 0x8
#define STALL_CLOCK_FREQ 0xc
#define STALL_MAX_VCPUS 256

#define MAX_OPS 2048

enum { UNKNOWN = -1 };

struct stall_model {
	int64_t status, load, freq; /* UNKNOWN or the value */
};

struct stall_fuzz {
	struct fuzz_vm vm;
	struct fuzz_in in;
	int nvcpus;
	unsigned long writes;
	struct stall_model m[STALL_MAX_VCPUS];
};

static void model_reset(struct stall_fuzz *f)
{
	for (int i = 0; i < STALL_MAX_VCPUS; i++)
		f->m[i] = (struct stall_model){0, 0, 0};
}

static void stall_event(const struct dm_event *e, const char *line, void *arg)
{
	(void)e;
	if (strstr(line, "\"event\": \"RESET\""))
		model_reset(arg);
}

static int64_t *model_reg(struct stall_model *m, unsigned int reg)
{
	switch (reg) {
	case STALL_STATUS:
		return &m->status;
	case STALL_LOAD_CNT:
		return &m->load;
	case STALL_CLOCK_FREQ:
		return &m->freq;
	default:
		return NULL;
	}
}

static void model_write(struct stall_fuzz *f, unsigned int idx, unsigned int reg, uint32_t val)
{
	int64_t *r;

	if (idx >= (unsigned int)f->nvcpus)
		return;
	r = model_reg(&f->m[idx], reg);
	if (r)
		*r = reg == STALL_STATUS ? (val != 0) : (int64_t)val;
}

static void model_check(int64_t *known, uint64_t got, unsigned int idx, const char *what)
{
	if (*known == UNKNOWN) {
		*known = (int64_t)got;
		return;
	}
	FUZZ_CHECK((int64_t)got == *known, "vcpu %u %s reads %llu, model says %lld", idx, what,
		   (unsigned long long)got, (long long)*known);
}

static void model_read(struct stall_fuzz *f, unsigned int idx, unsigned int reg, uint64_t val)
{
	struct stall_model *m;

	if (idx >= (unsigned int)f->nvcpus) {
		FUZZ_CHECK(val == 0, "slot %u past %d vCPUs reads 0x%llx", idx, f->nvcpus,
			   (unsigned long long)val);
		return;
	}
	m = &f->m[idx];
	switch (reg) {
	case STALL_STATUS:
		model_check(&m->status, val, idx, "STATUS");
		break;
	case STALL_LOAD_CNT:
		model_check(&m->load, val, idx, "LOAD_CNT");
		break;
	case STALL_CLOCK_FREQ:
		model_check(&m->freq, val, idx, "CLOCK_FREQ_HZ");
		break;
	case STALL_CURRENT_CNT:
		/* LOAD_CNT 0 counts as one tick: a pet never disarms (vcpu_stall.c). */
		FUZZ_CHECK(m->load == UNKNOWN || val <= (uint64_t)(m->load ? m->load : 1),
			   "vcpu %u CURRENT_CNT %llu above LOAD_CNT %lld", idx,
			   (unsigned long long)val, (long long)m->load);
		FUZZ_CHECK(m->status != 0 || val == 0,
			   "vcpu %u disabled but CURRENT_CNT reads %llu", idx,
			   (unsigned long long)val);
		break;
	}
}

/* One access at window offset off; the model follows well-formed ones only. */
static void stall_access(struct stall_fuzz *f, bool rd, uint64_t off, int bytes, uint64_t val)
{
	bool regular = bytes == 4 && (off & 3) == 0 && off < STALL_WINDOW;
	unsigned int idx = (unsigned int)(off / STALL_SLOT), reg = (unsigned int)(off % STALL_SLOT);
	uint64_t v = val;

	if (!rd)
		f->writes++;
	mem_access(&f->vm.ctx, 0, rd ? MEM_F_READ : MEM_F_WRITE, STALL_BASE + off, bytes, &v);
	if (!regular) {
		/* Bad sizes stop at the bus (all-ones); the device reads 0 for the rest. */
		if (rd && off + (uint64_t)bytes <= STALL_WINDOW &&
		    (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8))
			FUZZ_CHECK(v == 0, "%d-byte read at 0x%llx reads 0x%llx, must read 0", bytes,
				   (unsigned long long)off, (unsigned long long)v);
		return;
	}
	if (rd)
		model_read(f, idx, reg, v);
	else
		model_write(f, idx, reg, (uint32_t)val);
}

static uint64_t reg_off(unsigned int idx, unsigned int reg)
{
	return (uint64_t)idx * STALL_SLOT + reg;
}

static unsigned int pick_vcpu(struct stall_fuzz *f)
{
	uint8_t b = fz_u8(&f->in);

	/* Mostly a configured vCPU; 1 in 8 anywhere in the window's 256 slots. */
	if ((b & 7) == 7)
		return fz_u8(&f->in);
	return (unsigned int)(b >> 3) % (unsigned int)f->nvcpus;
}

static uint32_t pick_value(struct stall_fuzz *f)
{
	static const uint32_t special[8] = {0, 1, 10, 80, 1000, 1001, 0x7fffffff, 0xffffffff};
	uint8_t b = fz_u8(&f->in);

	return (b & 1) ? special[(b >> 1) & 7] : fz_u32(&f->in);
}

/* The Linux driver's start-up for one CPU: CLOCK_FREQ_HZ=f, LOAD_CNT=f×t, STATUS=1. */
static void op_linux_start(struct stall_fuzz *f)
{
	unsigned int idx = pick_vcpu(f);
	uint32_t freq = fz_u8(&f->in), t = fz_u8(&f->in);

	stall_access(f, false, reg_off(idx, STALL_CLOCK_FREQ), 4, freq);
	stall_access(f, false, reg_off(idx, STALL_LOAD_CNT), 4, freq * t);
	stall_access(f, false, reg_off(idx, STALL_STATUS), 4, 1);
}

static void stall_step(struct stall_fuzz *f, uint64_t ns, bool to_next)
{
	unsigned long ev0 = fuzz_vm_events(&f->vm);

	if (to_next)
		vm_clock_step_next();
	else
		vm_clock_step(ns);
	/* Time alone never makes more than bark + bite (+ WATCHDOG, RESET) per vCPU. */
	FUZZ_CHECK(fuzz_vm_events(&f->vm) - ev0 <= 4UL * (unsigned long)f->nvcpus + 1,
		   "%lu events in one step with %d vCPUs", fuzz_vm_events(&f->vm) - ev0,
		   f->nvcpus);
}

enum stall_op {
	OP_WRITE,
	OP_READ,
	OP_ODD,
	OP_LINUX_START,
	OP_PET,
	OP_STEP_SMALL,
	OP_STEP_MEDIUM,
	OP_STEP_LARGE,
	OP_STEP_NEXT,
	OP_RESET,
	OP_PAUSE,
	OP_RAW,
	OP_COUNT
};

static void stall_op(struct stall_fuzz *f)
{
	uint8_t op = fz_u8(&f->in);
	unsigned int idx, reg;
	uint64_t off;
	int bytes;

	switch (op % OP_COUNT) {
	case OP_WRITE:
		idx = pick_vcpu(f);
		reg = (unsigned int)(op >> 4) & 0xc;
		stall_access(f, false, reg_off(idx, reg), 4, pick_value(f));
		break;
	case OP_READ:
		idx = pick_vcpu(f);
		stall_access(f, true, reg_off(idx, (unsigned int)(op >> 4) & 0xc), 4, 0);
		break;
	case OP_ODD:
		off = fz_u16(&f->in) & 0xfff;
		bytes = fz_width(&f->in);
		stall_access(f, (op & 0x80) != 0, off, bytes, fz_u64(&f->in));
		break;
	case OP_LINUX_START:
		op_linux_start(f);
		break;
	case OP_PET:
		idx = pick_vcpu(f);
		stall_access(f, false, reg_off(idx, STALL_LOAD_CNT), 4, pick_value(f));
		break;
	case OP_STEP_SMALL:
		stall_step(f, fz_u16(&f->in), false);
		break;
	case OP_STEP_MEDIUM:
		stall_step(f, (uint64_t)fz_u16(&f->in) << 16, false);
		break;
	case OP_STEP_LARGE:
		stall_step(f, (uint64_t)fz_u16(&f->in) << 30, false);
		break;
	case OP_STEP_NEXT:
		stall_step(f, 0, true);
		break;
	case OP_RESET:
		fuzz_vm_reset(&f->vm);
		break;
	case OP_PAUSE:
		fuzz_vm_pause_toggle(&f->vm);
		break;
	case OP_RAW: {
		uint64_t addr = STALL_BASE - 16 + (fz_u16(&f->in) % (STALL_WINDOW + 32));
		uint64_t v = fz_u64(&f->in);

		bytes = fz_width(&f->in);
		f->writes++;
		mem_access(&f->vm.ctx, 0, (op & 0x80) ? MEM_F_READ : MEM_F_WRITE, addr, bytes, &v);
		for (int i = 0; i < f->nvcpus; i++)
			f->m[i] = (struct stall_model){UNKNOWN, UNKNOWN, UNKNOWN};
		break;
	}
	}
}

static void stall_check(struct stall_fuzz *f)
{
	/* At most two stall events per write that could pet, plus WATCHDOG + RESET each. */
	unsigned long bound = 4 * f->writes + 2 * f->vm.resets + 2;

	fuzz_check_timers(&f->vm, (size_t)f->nvcpus);
	FUZZ_CHECK(fuzz_vm_events(&f->vm) <= bound, "%lu events after %lu writes, %lu resets",
		   fuzz_vm_events(&f->vm), f->writes, f->vm.resets);
	if (f->nvcpus == 1 && f->m[0].status == 0)
		FUZZ_CHECK(timer_core_armed_count() == 0, "detector disabled, %zu timers armed",
			   timer_core_armed_count());
}

static const char *const stall_actions[4] = {"reset", "none", "poweroff", "pause"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stall_fuzz f;
	static const int counts[4] = {1, 256, 4, 0};
	char opts[96];
	uint8_t cfg;
	int rc;

	memset(&f, 0, sizeof(f));
	f.in = (struct fuzz_in){data, size};
	cfg = fz_u8(&f.in);
	f.nvcpus = counts[cfg & 3] ? counts[cfg & 3] : fz_u8(&f.in) + 1;
	snprintf(opts, sizeof(opts), "base=0x%llx,vcpus=%d,clock=virtual,action=%s",
		 STALL_BASE, f.nvcpus, stall_actions[(cfg >> 2) & 3]);
	FUZZ_CHECK(plat_dev_add("vcpu-stall", opts) == 0, "--vcpu-stall %s refused", opts);
	rc = fuzz_vm_start(&f.vm, f.nvcpus);
	FUZZ_CHECK(rc == 0, "VM start with --vcpu-stall %s failed: %d", opts, rc);
	model_reset(&f);
	dm_event_set_sink(stall_event, &f);
	for (int i = 0; i < MAX_OPS && !fz_done(&f.in) && !f.vm.poweroff; i++) {
		stall_op(&f);
		stall_check(&f);
	}
	dm_event_set_sink(NULL, NULL);
	fuzz_vm_stop(&f.vm);
	return 0;
}
