/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The sending half of the QEMU front end's QMP client (docs/design.rst section
 * 7, "qemu"), the floor under the rest: commands queued in struct qemu_fe's
 * output buffer and flushed without blocking, and the commands that carry out
 * actions (reset -> system_reset, shutdown -> system_powerdown, poweroff ->
 * quit, pause -> stop, inject-nmi -> inject-nmi, and cont), owed until QMP is
 * ready.  hv/qemu_qmp.c reads QEMU's replies and events, hv/qemu_dump.c sends
 * its own two commands through the same buffer.
 */
#define pr_prefix "qemu: "

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dm_util.h"
#include "log.h"
#include "qemu_fe.h"

void qmp_flush(struct qemu_fe *fe)
{
	while (fe->qmp >= 0 && fe->qout_len) {
		ssize_t n = send(fe->qmp, fe->qout, fe->qout_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				pr_warn("QMP write: %s\n", strerror(errno));
				close_fd(&fe->qmp);
			}
			return;
		}
		memmove(fe->qout, fe->qout + n, fe->qout_len - (size_t)n);
		fe->qout_len -= (size_t)n;
	}
}

void qmp_send(struct qemu_fe *fe, const char *cmd)
{
	int n;

	if (fe->qmp < 0)
		return;
	n = snprintf(fe->qout + fe->qout_len, sizeof(fe->qout) - fe->qout_len,
		     "{\"execute\": \"%s\"}\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(fe->qout) - fe->qout_len) {
		pr_warn("QMP output full, %s dropped\n", cmd);
		return;
	}
	fe->qout_len += (size_t)n;
	pr_info("QMP -> %s\n", cmd);
	qmp_flush(fe);
}

/* Sends what is owed once QMP is usable; quit makes the others pointless. */
void qmp_send_wanted(struct qemu_fe *fe)
{
	if (!fe->qmp_ready || !fe->qmp_want)
		return;
	if (fe->qmp_want & QMP_WANT_QUIT) {
		qmp_send(fe, "quit");
	} else {
		if (fe->qmp_want & QMP_WANT_RESET)
			qmp_send(fe, "system_reset");
		if (fe->qmp_want & QMP_WANT_STOP)
			qmp_send(fe, "stop");
		if (fe->qmp_want & QMP_WANT_CONT)
			qmp_send(fe, "cont");
		if (fe->qmp_want & QMP_WANT_POWERDOWN)
			qmp_send(fe, "system_powerdown");
		if (fe->qmp_want & QMP_WANT_NMI)
			qmp_send(fe, "inject-nmi");
	}
	fe->qmp_want = 0;
}

void qmp_request(struct qemu_fe *fe, unsigned int w)
{
	fe->qmp_want |= w;
	if (fe->qmp < 0) {
		/* No monitor left: the only thing we can still do is end QEMU. */
		pr_warn("QMP is closed; cannot carry out the action\n");
		if (w == QMP_WANT_QUIT && fe->pid > 0 && !fe->exited)
			kill(fe->pid, SIGTERM);
		return;
	}
	qmp_send_wanted(fe);
}

void qemu_run_action(struct qemu_fe *fe, const struct vm_action_req *r)
{
	if (fe->stop_stage)
		return; /* QEMU is being stopped anyway */
	switch (r->action) {
	case DM_WDT_ACTION_RESET:
		fe->reset_reason = "watchdog";
		qmp_request(fe, QMP_WANT_RESET);
		break;
	case DM_WDT_ACTION_POWEROFF:
		qmp_request(fe, QMP_WANT_QUIT);
		break;
	case DM_WDT_ACTION_PAUSE:
		qmp_request(fe, QMP_WANT_STOP);
		break;
	case DM_WDT_ACTION_SHUTDOWN:
		qmp_request(fe, QMP_WANT_POWERDOWN);
		break;
	case DM_WDT_ACTION_INJECT_NMI:
		qmp_request(fe, QMP_WANT_NMI);
		break;
	case DM_WDT_ACTION_DEBUG:
	case DM_WDT_ACTION_NONE:
		break; /* the WATCHDOG event is all there is */
	}
}
