/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * THE REPLACEMENT for the hypervisor layer under `make acrn-test`: the calls
 * of ACRN's core/vmmapi.c that would go to /dev/acrn_hsm (interrupt lines,
 * MSIs, pausing the VM) record what they were asked instead, and the VM's
 * suspend mode, a plain variable in vmmapi.c, is kept here (atomically).
 * The VM event channel (a buffer shared with the HSM) records its events.
 * The few definitions ACRN's main.c would have provided (guest vCPU count and
 * option flags) are here too.  Everything else the test links -- PCI core,
 * MMIO/PIO dispatch, timers, mevent loop, interrupt routing, the 0xCF9
 * reset register -- is ACRN's own source, unmodified.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "acrn_hsm_stub.h"
#include "dm.h"
#include "log.h"
#include "mevent.h"
#include "vm_event.h"
#include "vmmapi.h"

/* main.c's option flags that the linked objects read */
bool is_rtvm;
bool pt_tpm2;
int gfx_ui;
bool skip_pci_mem64bar_workaround;

struct hsm_record hsm;

static atomic_int suspend_mode = VM_SUSPEND_NONE;

static const char *const state_names[VM_SUSPEND_LAST] = {
	"RUNNING", "SYSTEM_RESET", "FULL_RESET", "POWEROFF", "SUSPEND", "HALT", "TRIPLEFAULT",
};

const char *vm_state_to_str(enum vm_suspend_how idx)
{
	return (unsigned int)idx < VM_SUSPEND_LAST ? state_names[idx] : "UNKNOWN";
}

void vm_set_suspend_mode(enum vm_suspend_how how)
{
	struct timespec ts;

	if (how != VM_SUSPEND_NONE && clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		atomic_store(&hsm.last_request_ns,
			     (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	if (how == VM_SUSPEND_FULL_RESET)
		atomic_fetch_add(&hsm.full_resets, 1);
	if (how == VM_SUSPEND_SYSTEM_RESET)
		atomic_fetch_add(&hsm.system_resets, 1);
	if (how == VM_SUSPEND_POWEROFF)
		atomic_fetch_add(&hsm.poweroffs, 1);
	atomic_store(&suspend_mode, how);
}

int vm_get_suspend_mode(void)
{
	return atomic_load(&suspend_mode);
}

int vm_suspend(struct vmctx *ctx, enum vm_suspend_how how)
{
	(void)ctx;
	vm_set_suspend_mode(how);
	mevent_notify();
	return 0;
}

void vm_pause(struct vmctx *ctx)
{
	(void)ctx;
	atomic_fetch_add(&hsm.pauses, 1);
}

uint32_t vm_get_lowmem_limit(struct vmctx *ctx)
{
	return ctx->lowmem_limit;
}

/* ACRN_IOCTL_SET_IRQLINE: the level of each GSI, and how often it changed. */
int vm_set_gsi_irq(struct vmctx *ctx, int gsi, uint32_t operation)
{
	(void)ctx;
	if (gsi < 0 || gsi >= HSM_GSIS)
		return -1;
	if (operation == GSI_SET_HIGH)
		atomic_store(&hsm.gsi_level[gsi], 1);
	else if (operation == GSI_SET_LOW)
		atomic_store(&hsm.gsi_level[gsi], 0);
	atomic_fetch_add(&hsm.gsi_ops, 1);
	return 0;
}

/* ACRN_IOCTL_INJECT_MSI */
int vm_lapic_msi(struct vmctx *ctx, uint64_t addr, uint64_t msg)
{
	(void)ctx, (void)addr, (void)msg;
	atomic_fetch_add(&hsm.msis, 1);
	return 0;
}

/* The DM-to-HSM VM event buffer. */
int dm_send_vm_event(struct vm_event *event)
{
	if (event->type == VM_EVENT_POWEROFF)
		atomic_fetch_add(&hsm.poweroff_events, 1);
	return 0;
}

int guest_cpu_num(void)
{
	return 1;
}
