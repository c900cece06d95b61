/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Front ends play the hypervisor's role: they are where guest accesses come
 * from (qtest script, QEMU proxy, simulated vCPUs) and where requested
 * actions are carried out.  Each registers through a linker set, so main
 * knows none of them by name at link time and core/ never includes hv/.
 */
#ifndef _FRONTEND_H_
#define _FRONTEND_H_

#include <stdbool.h>
#include <stdio.h>

#include "linker_set.h"
#include "vm_clock.h"

struct vmctx;

/* Exit status of a command-line error (one line on stderr), also from run(). */
#define DM_EXIT_USAGE 2

struct dm_options {
	const char *uuid;     /* -U/--uuid, NULL: generate */
	const char *events;   /* --events FILE|- */
	const char *qtest;    /* --qtest stdio|unix:PATH[,server=on] */
	const char *qmp;      /* --qmp unix:PATH[,server=on] (or -chardev/-mon, -qmp) */
	const char *mem_size; /* -m SIZE: guest RAM of front ends that have it (qtest) */
	const char *sim;      /* --sim <scenario> */
	char **qemu_argv;     /* after "--" */
	int qemu_argc;
	int verbose;
};

struct dm_frontend {
	const char *name;
	enum vm_clock_mode clock;
	bool preassign_bars;           /* false: firmware programs BARs (QEMU) */
	/*
	 * Platform devices this front end's machine always has (NULL-terminated
	 * names, may be NULL): added with no options unless the command line
	 * queued one of the same name.
	 */
	const char *const *board;
	/* Whether this front end was selected by the options. */
	bool (*selected)(const struct dm_options *o);
	/*
	 * Before devices are created: validate options, set ctx->vcpu_num and the
	 * vCPU facts (ctx->guest_time_src, ctx->vcpus_no_guest_time).  0 or -errno
	 * (-EINVAL: a usage error, already printed as one line).
	 */
	int (*prepare)(struct vmctx *ctx, const struct dm_options *o);
	/* Runs the VM; returns the process exit status. */
	int (*run)(struct vmctx *ctx, const struct dm_options *o);
};

#define DEFINE_FRONTEND(x) DATA_SET(dm_frontend_set, x)

/* Queues fe->board's devices the command line did not.  0 or -EINVAL (said). */
int dm_frontend_add_board(const struct dm_frontend *fe);

/*
 * One qtest session over the given streams on an initialised VM (hv/qtest.c);
 * what --qtest runs, exposed for the unit tests.  Returns 0 at EOF or quit.
 */
int qtest_session(struct vmctx *ctx, FILE *in, FILE *out);

#endif /* _FRONTEND_H_ */
