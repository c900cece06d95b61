/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The QEMU front end's own header (docs/design.rst section 7, "qemu"), private
 * to its files: hv/qemu.c supervises the QEMU process (command line, spawn,
 * signals, reaping, the poll loop), hv/qemu_proxy.c serves the x-pci-proxy-dev
 * connections (docs/design.rst section 9), hv/qemu_qmp.c and
 * hv/qemu_qmp_send.c are the client of QEMU's QMP monitor and hv/qemu_dump.c
 * has QEMU dump the guest.  All share one struct qemu_fe, which only the
 * loop's thread touches, except where a field says otherwise.
 */
#ifndef _QEMU_FE_H_
#define _QEMU_FE_H_

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pci_core.h"
#include "vmctx.h"

struct vmctx;

/* Sizes of the proxy messages (the full wire layout is in hv/qemu_proxy.c). */
#define MPQEMU_HDR_SIZE 16      /* int32 cmd, 4 bytes padding, uint64 size */
#define MPQEMU_MAX_PAYLOAD 192  /* QEMU's payload union */
#define MPQEMU_MAX_FDS 8
#define MPQEMU_IRQFD_COUNT 2    /* INTx trigger, resample */

#define PROXY_MAX_DEVS (PCI_MAX_SLOTS * PCI_MAX_FUNCS)
#define QMP_IN_MAX 8192
#define QMP_OUT_MAX 1024

/* One x-pci-proxy-dev connection. */
struct proxy_conn {
	struct pci_vdev *dev;
	int sock;  /* our end, non-blocking, CLOEXEC; -1 once closed */
	int peer;  /* QEMU's end until QEMU is started */
	uint8_t buf[MPQEMU_HDR_SIZE + MPQEMU_MAX_PAYLOAD];
	size_t have;
	uint64_t size; /* payload length of the message being read */
	int fds[MPQEMU_MAX_FDS];
	int nfds;
	bool fds_lost;  /* more than MPQEMU_MAX_FDS or a truncated cmsg */
	/* INTx eventfds (SET_IRQFD); intx() may run on the timer thread */
	pthread_mutex_t irq_lock;
	int irqfd[MPQEMU_IRQFD_COUNT];
};

/* QMP commands we may owe QEMU before the handshake is done; sent in this order. */
enum qmp_want {
	QMP_WANT_QUIT = 1, QMP_WANT_STOP = 2, QMP_WANT_RESET = 4, QMP_WANT_CONT = 8,
	QMP_WANT_POWERDOWN = 16, QMP_WANT_NMI = 32,
};

/* A post-mortem dump QEMU writes for us (hv/qemu_dump.c). */
enum qemu_dump_phase {
	QEMU_DUMP_IDLE,
	QEMU_DUMP_RUNNING,  /* getfd and dump-guest-memory sent, DUMP_COMPLETED owed */
	QEMU_DUMP_RESUMING, /* completed; QEMU's RESUME of the guest it stopped owed */
};
#define QEMU_DUMP_ID_GETFD "wdt-dm-getfd"
#define QEMU_DUMP_ID_DUMP "wdt-dm-dump"
struct qemu_dump {
	enum qemu_dump_phase phase;
	struct vm_action_req req; /* the action held back, with its dump settings */
	char path[DM_DUMP_DIR_MAX + 96];
	int fd;                   /* our copy of the file (its size); valid unless idle */
	bool was_running;         /* the guest ran when the dump began */
	uint64_t start_ns, deadline_ns;
};

struct qemu_fe {
	struct vmctx *ctx;
	struct proxy_conn conns[PROXY_MAX_DEVS];
	int nconns;

	int sigfd;
	pthread_mutex_t ev_lock; /* action_pending() runs on the timer thread */
	int evfd;

	int qmp, qmp_peer;
	char qin[QMP_IN_MAX];
	size_t qin_len;
	bool qin_overflow;
	char qout[QMP_OUT_MAX];
	size_t qout_len;
	bool qmp_greeted, qmp_ready;
	unsigned int qmp_want;
	unsigned int host_want;    /* from wdt-dm's own monitor (any thread, atomic) */

	pid_t pid;
	bool exited;
	int status;

	uint64_t spin_ns;          /* PROXY_SPIN_NS, or 0 on a single CPU */
	bool reset_armed;          /* guest ran since the last VM reset */
	const char *reset_reason;  /* for the next VM reset */

	struct qemu_dump dump;

	int stop_signal;           /* signal that asked us to stop, 0: none */
	int stop_stage;            /* 0 none, 1 quit sent, 2 SIGTERM sent, 3 SIGKILL sent */
	uint64_t stop_deadline;
};

/*
 * The files call downwards only, in this order: hv/qemu.c (the loop) on top;
 * hv/qemu_proxy.c beside hv/qemu_qmp.c (what QEMU says), over hv/qemu_dump.c,
 * over hv/qemu_qmp_send.c (what we say).
 */

/* hv/qemu_proxy.c: the x-pci-proxy-dev connections. */
/* Marks every connection closed and sets up its lock; 0 or -errno. */
int proxy_conns_init(struct qemu_fe *fe);
/* One connection per PCI device outside slot 0; 0 or -errno. */
int conns_create(struct qemu_fe *fe);
/* Reads and serves complete messages; -errno to drop the connection. */
int conn_readable(struct qemu_fe *fe, struct proxy_conn *c);
void conn_close(struct proxy_conn *c);
/* Closes every connection and destroys its lock. */
void proxy_conns_fini(struct qemu_fe *fe);
/* INTx of dev (any thread): asserting writes the trigger eventfd. */
void proxy_intx(struct qemu_fe *fe, struct pci_vdev *dev, int level);

/* hv/qemu_qmp.c: QEMU's greeting, replies and events. */
void qmp_readable(struct qemu_fe *fe);

/* hv/qemu_dump.c: post-mortem dumps written by QEMU into a file of ours. */
/* Starts r's dump; true: r's action waits until the dump ends. */
bool qemu_dump_start(struct qemu_fe *fe, const struct vm_action_req *r);
bool qemu_dump_busy(const struct qemu_fe *fe);
/* QEMU's error reply to getfd or dump-guest-memory (error: its desc). */
void qemu_dump_reply(struct qemu_fe *fe, const char *error);
/* QEMU's DUMP_COMPLETED (error: its "error" member, or NULL) and RESUME. */
void qemu_dump_completed(struct qemu_fe *fe, const char *error);
void qemu_dump_resumed(struct qemu_fe *fe);
/* Milliseconds to the dump's deadline for poll (-1: no dump), and the check. */
int qemu_dump_timeout_ms(const struct qemu_fe *fe, uint64_t now);
void qemu_dump_tick(struct qemu_fe *fe, uint64_t now);
/* Lets go of a dump's file (the front end closes). */
void qemu_dump_fini(struct qemu_fe *fe);

/* hv/qemu_qmp_send.c: commands to QEMU's monitor. */
void qmp_flush(struct qemu_fe *fe);
void qmp_send(struct qemu_fe *fe, const char *cmd);
/* Sends the QMP_WANT_* commands owed, once QMP is ready. */
void qmp_send_wanted(struct qemu_fe *fe);
/* Sends the QMP_WANT_* commands w once QMP is usable. */
void qmp_request(struct qemu_fe *fe, unsigned int w);
/* Carries out r's action now (after its dump, if any). */
void qemu_run_action(struct qemu_fe *fe, const struct vm_action_req *r);

#endif /* _QEMU_FE_H_ */
