/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Port I/O table (ACRN names).  Fixed ports register through the linker set
 * with INOUT_PORT(); others with register_inout().  inout_access() validates
 * the width before a handler runs; unclaimed reads return all-ones.
 */
#ifndef _INOUT_H_
#define _INOUT_H_

#include <stdint.h>

#include "linker_set.h"

struct vmctx;

typedef int (*inout_func_t)(struct vmctx *ctx, int vcpu, int in, int port, int bytes,
			    uint32_t *eax, void *arg);

struct inout_port {
	const char *name;
	int port;
	int size;
	int flags;
	inout_func_t handler;
	void *arg;
};

#define IOPORT_F_IN 0x1
#define IOPORT_F_OUT 0x2
#define IOPORT_F_INOUT (IOPORT_F_IN | IOPORT_F_OUT)
#define MAX_IOPORTS 0x10000

/* Two-level paste so __LINE__ expands (glibc's __CONCAT pastes unexpanded). */
#define __INOUT_CAT1(x, y) x##y
#define __INOUT_CAT(x, y) __INOUT_CAT1(x, y)

#define INOUT_PORT(name, port, flags, handler)                                               \
	static struct inout_port __INOUT_CAT(__inout_port, __LINE__) = {                     \
		#name, (port), 1, (flags), (handler), 0};                                      \
	DATA_SET(inout_port_set, __INOUT_CAT(__inout_port, __LINE__))

/* Registers the linker-set ports; 0 or negative errno. */
int init_inout(void);
void deinit_inout(void);
/* 0, -EINVAL (bad range/flags), -EEXIST (port taken). */
int register_inout(struct inout_port *iop);
int unregister_inout(struct inout_port *iop);
/* bytes in {1,2,4}; 0 handled, -ESRCH unclaimed (in: all-ones), -EINVAL bad width. */
int inout_access(struct vmctx *ctx, int vcpu, int in, int port, int bytes, uint32_t *val);

#endif /* _INOUT_H_ */
