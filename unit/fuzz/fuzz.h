/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Shared pieces of the libFuzzer harnesses (issue 7, unit/fuzz/README.md):
 * a byte-stream reader that decodes an input into operations (QEMU
 * generic-fuzz style: an exhausted input reads as zeros, so every prefix is a
 * valid program), the invariant check that stops the run, and a VM fixture
 * that brings the core up on the virtual clock for one input and tears it
 * down again so nothing leaks from one input into the next.
 */
#ifndef _FUZZ_H_
#define _FUZZ_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmctx.h"

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_done(const struct fuzz_in *in)
{
	return in->n == 0;
}

static inline uint8_t fz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint64_t fz_bytes(struct fuzz_in *in, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)fz_u8(in) << (8 * i);
	return v;
}

static inline uint16_t fz_u16(struct fuzz_in *in)
{
	return (uint16_t)fz_bytes(in, 2);
}

static inline uint32_t fz_u32(struct fuzz_in *in)
{
	return (uint32_t)fz_bytes(in, 4);
}

static inline uint64_t fz_u64(struct fuzz_in *in)
{
	return fz_bytes(in, 8);
}

/* Access widths a decoded operation may use: the valid ones and two invalid. */
static inline int fz_width(struct fuzz_in *in)
{
	static const int widths[8] = {1, 2, 4, 8, 4, 2, 3, 0};

	return widths[fz_u8(in) & 7];
}

/*
 * An invariant of the device model failed: report and stop the fuzzer.  The
 * report goes to a copy of stderr taken at start-up, so it survives
 * libFuzzer's -close_fd_mask (which silences the DM's own logging).
 */
void fuzz_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define FUZZ_CHECK(cond, ...)                                                                \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fuzz_report("fuzz invariant violated at %s:%d: %s", __FILE__,        \
				    __LINE__, #cond);                                        \
			fuzz_report(__VA_ARGS__);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* -- the per-input VM fixture (unit/fuzz/common.c) -------------------------- */

struct fuzz_vm {
	struct vmctx ctx;
	unsigned long actions;  /* requests carried out by the after-fire hook */
	unsigned long resets;   /* VM resets (host- and watchdog-requested) */
	unsigned long events0;  /* dm_event_count() when the VM started */
	bool poweroff;
	bool ever_paused; /* a pause can leave a due timer at "now" until the next step */
};

/* Once per process: quiet logging (FUZZ_LOG_LEVEL overrides), no events file. */
void fuzz_global_init(void);

/*
 * libFuzzer's entry points.  common.c defines LLVMFuzzerInitialize (it calls
 * fuzz_global_init()) for every harness; each fuzz_*.c defines the other.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/*
 * Queue devices first (pci_parse_slot / plat_dev_add), then start: timer core
 * on a virtual clock at 0, VM with vcpus vCPUs, dispatch tables, devices, and
 * an after-fire hook that carries out requested actions as qtest does.
 * 0 or -errno (then nothing is left behind).
 */
int fuzz_vm_start(struct fuzz_vm *vm, int vcpus);
/* The same with BARs left for the guest (firmware) to assign, as under QEMU. */
int fuzz_vm_start_unassigned(struct fuzz_vm *vm, int vcpus);
/* Tears everything down and checks no timer is left armed. */
void fuzz_vm_stop(struct fuzz_vm *vm);
/* Carries out pending requested actions (also done after every timer callback). */
void fuzz_vm_drain(struct fuzz_vm *vm);
/* Events emitted since fuzz_vm_start. */
unsigned long fuzz_vm_events(const struct fuzz_vm *vm);
/* Host-requested VM reset (qtest's system_reset). */
void fuzz_vm_reset(struct fuzz_vm *vm);
/* Pause / resume the VM clock (remembered for fuzz_check_timers). */
void fuzz_vm_pause_toggle(struct fuzz_vm *vm);
/*
 * Common checks after an operation: at most max_armed timers, none before now,
 * none at now either unless the clock was paused mid-step at some point.
 */
void fuzz_check_timers(const struct fuzz_vm *vm, size_t max_armed);

#endif /* _FUZZ_H_ */
