/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * What a platform device may ask its host about the VM's vCPUs, without
 * knowing the host's struct vmctx (wdt-dm's and ACRN's differ): how many
 * there are, which host thread runs each (for guest-time sources,
 * guest_clock.h), and which guest-time source fits the host by default.  wdt-dm implements these in
 * core/frontend.c; acrn-dm gets them from devicemodel/acrn/, where vCPUs run
 * in the hypervisor and are no threads of the DM.
 */
#ifndef _DM_VCPU_H_
#define _DM_VCPU_H_

#include <stdbool.h>
#include <sys/types.h>

struct vmctx;

/* vCPUs of the VM; 0 when the host does not know. */
int dm_vcpu_count(struct vmctx *ctx);

/* Host thread that runs vcpu (0: none or unknown); *pid gets its process. */
pid_t dm_vcpu_thread(struct vmctx *ctx, int vcpu, pid_t *pid);

/* The guest-time source a device uses unless told otherwise ("cputime", "monotonic", ...). */
const char *dm_vcpu_default_clock(struct vmctx *ctx);

/*
 * Whether the threads that run vCPUs gain guest time (procfs field 43): only
 * KVM vCPU threads do.  false: clock=procfs can never detect a stall here.
 */
bool dm_vcpu_gain_guest_time(struct vmctx *ctx);

#endif /* _DM_VCPU_H_ */
