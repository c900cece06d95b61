/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * What the recording hypervisor stub of `make acrn-test` saw
 * (acrn_hsm_stub.c): suspend-mode requests with the time of the last one,
 * interrupt-line levels, MSIs, pauses and VM events.
 */
#ifndef _ACRN_HSM_STUB_H_
#define _ACRN_HSM_STUB_H_

#include <stdatomic.h>
#include <stdint.h>

#define HSM_GSIS 128

struct hsm_record {
	atomic_ulong full_resets, system_resets, poweroffs, pauses;
	atomic_ulong gsi_ops, msis, poweroff_events;
	atomic_uint_fast64_t last_request_ns; /* CLOCK_MONOTONIC of the last suspend request */
	atomic_int gsi_level[HSM_GSIS];
};

extern struct hsm_record hsm;

#endif /* _ACRN_HSM_STUB_H_ */
