/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The QMP monitor (core/qmp.c): QEMU's machine protocol on a unix socket for
 * every front end.  The monitor runs on its own thread and never blocks the
 * device model; commands that act on the VM go through the front end's
 * qmp_vm_ops (under the front end's own lock), events of dm_event_post() are
 * forwarded to the client with QMP's framing.
 */
#ifndef _QMP_H_
#define _QMP_H_

#include <stdbool.h>
#include <stddef.h>

struct vmctx;

enum qmp_vm_op { QMP_VM_STOP, QMP_VM_CONT, QMP_VM_RESET, QMP_VM_QUIT };

/* The reason a front end gives vm_poweroff() when QMP quit ends the run (not
 * under the QEMU front end, where QEMU emits its own SHUTDOWN). */
#define QMP_QUIT_REASON "host-qmp-quit"

struct qmp_vm_ops {
	/* Carries out op; 0 or -errno (the client gets a GenericError). */
	int (*vm)(void *arg, enum qmp_vm_op op);
	void *arg;
};

/* The front end's VM operations (copied; NULL: the default ones, which pause
 * and resume the VM clock, reset the VM, and end the run with SIGTERM).  Returns
 * once no operation of the previous ops is running; never call it from one. */
void qmp_set_vm_ops(const struct qmp_vm_ops *ops);

/* spec: "unix:PATH" (connect) or "unix:PATH,server=on" (listen).  Starts the
 * monitor thread.  0, -EINVAL (bad spec), or -errno (socket). */
int qmp_start(struct vmctx *ctx, const char *spec);
/* Ends the monitor thread and closes its sockets.  Idempotent. */
void qmp_stop(void);

/*
 * QEMU's monitor spelling: "-chardev socket,path=Q,id=X[,server=on]" and then
 * "-mon chardev=X,mode=control" (the -chardev before it, the last one wins).
 * Each 0 or -EINVAL; afterwards qmp_qemu_spec() is the --qmp value they mean
 * (unix:Q[,server=on]), or NULL when no -mon was given.
 */
int qmp_qemu_chardev(const char *arg);
int qmp_qemu_mon(const char *arg);
const char *qmp_qemu_spec(void);

/* Whether spec is a valid --qmp value: 0 or -EINVAL. */
int qmp_check_spec(const char *spec);

/* Feeds len bytes of client input to a fresh session and writes every reply
 * to out_fd; no thread, no socket.  For the fuzz harness.  0 or -errno. */
int qmp_feed(struct vmctx *ctx, const char *in, size_t len, int out_fd);

#endif /* _QMP_H_ */
