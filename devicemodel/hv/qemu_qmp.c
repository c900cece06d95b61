/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The QEMU front end's client of QEMU's own QMP monitor (docs/design.rst
 * section 7, "qemu"), on a socketpair QEMU gets as `-mon mode=control`: what
 * QEMU says, read here; what we say goes through hv/qemu_qmp_send.c.  The
 * handshake (once QMP is ready, QEMU's vCPU threads are found by name), the
 * replies and events of a post-mortem dump (hv/qemu_dump.c), each line parsed
 * by json.h.  QMP events of QEMU are merged into our
 * event stream with "source": "qemu" (docs/device.rst section 3); STOP/RESUME
 * also pause/resume the VM clock, so the watchdog does not count while QEMU is
 * stopped.  QEMU's output is trusted no more than a guest's: overlong lines are
 * skipped, event names and data are checked before they are re-emitted.
 */
#define pr_prefix "qemu: "

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dm_event.h"
#include "dm_util.h"
#include "json.h"
#include "log.h"
#include "log_ratelimit.h"
#include "qemu_fe.h"
#include "vm_clock.h"

#define QMP_EVENT_DATA_MAX 400  /* fits dm_event_post's data buffer with our fields */

/* Copies an event name ([A-Z0-9_]) into out (size n); false if v is not one. */
static bool qmp_event_name(const struct json_val *v, char *out, size_t n)
{
	size_t len = v && v->t == J_STR ? strlen(v->str) : 0;

	if (!len || len >= n || strspn(v->str, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len)
		return false;
	memcpy(out, v->str, len + 1);
	return true;
}

/*
 * Copies the string v into out (size n), printable ASCII only (the rest
 * becomes '?'), truncating.  False if v is not a string.
 */
static bool qmp_string(const struct json_val *v, char *out, size_t n)
{
	size_t i = 0;

	if (!v || v->t != J_STR || n == 0)
		return false;
	for (const char *p = v->str; *p && i + 1 < n; p++)
		out[i++] = isprint((unsigned char)*p) ? *p : '?';
	out[i] = '\0';
	return true;
}

/* DUMP_COMPLETED and RESUME for a running dump (data: the event's "data" value). */
static void qmp_dump_event(struct qemu_fe *fe, const char *name, const struct json_val *data)
{
	char err[VM_DUMP_WHY_MAX];
	bool why = qmp_string(json_member(data, "error"), err, sizeof(err));

	if (!strcmp(name, "DUMP_COMPLETED"))
		qemu_dump_completed(fe, why ? err : NULL);
	else if (!strcmp(name, "RESUME"))
		qemu_dump_resumed(fe);
}

/* A reply whose "id" is one of the dump's; true if it was. */
static bool qmp_dump_reply(struct qemu_fe *fe, const struct json_val *msg)
{
	char id[32], desc[VM_DUMP_WHY_MAX];
	const struct json_val *e;

	if (!qmp_string(json_member(msg, "id"), id, sizeof(id)) ||
	    (strcmp(id, QEMU_DUMP_ID_GETFD) && strcmp(id, QEMU_DUMP_ID_DUMP)))
		return false;
	e = json_member(msg, "error");
	if (e) {
		if (!qmp_string(json_member(e, "desc"), desc, sizeof(desc)))
			snprintf(desc, sizeof(desc), "QEMU refused %s", id);
		qemu_dump_reply(fe, desc);
	}
	return true;
}

/*
 * Re-emits a QEMU event in our stream: QEMU's data members plus
 * "source": "qemu".  Data that does not look like one printable JSON object
 * of modest size is left out rather than trusted.
 */
static void qmp_event(struct qemu_fe *fe, const struct json_val *msg)
{
	const struct json_val *d = json_member(msg, "data");
	char name[33], data[QMP_EVENT_DATA_MAX + 1] = "";

	if (!qmp_event_name(json_member(msg, "event"), name, sizeof(name))) {
		pr_warn_rl("QMP: unreadable event line\n");
		return;
	}
	if (d && d->t == J_OBJ && d->len - 2 <= QMP_EVENT_DATA_MAX) {
		bool ok = true;

		for (size_t i = 1; i + 1 < d->len; i++)
			ok &= isprint((unsigned char)d->src[i]) != 0;
		if (ok) {
			memcpy(data, d->src + 1, d->len - 2);
			data[d->len - 2] = '\0';
		}
	}
	/* QEMU's own STOP/RESUME are forwarded below, with its data: only the clock here */
	if (!strcmp(name, "STOP"))
		vm_clock_pause();
	else if (!strcmp(name, "RESUME"))
		vm_clock_resume();
	pr_info("QMP <- event %s {%s}\n", name, data);
	dm_event_emit(name, DM_EV_JSON(data), DM_EV_STR("source", "qemu"));
	qmp_dump_event(fe, name, d);
}

/* QEMU's thread names are "CPU <n>/TCG" or "CPU <n>/KVM": record them. */
static void qemu_find_vcpu_threads(struct qemu_fe *fe)
{
	char path[320], comm[32];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)fe->pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		int n, fd, cpu;
		ssize_t len;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)fe->pid, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (len <= 0)
			continue;
		comm[len] = '\0';
		if (sscanf(comm, "CPU %d/%n", &cpu, &n) == 1 && cpu >= 0 && cpu < VM_MAX_VCPUS) {
			fe->ctx->vcpu_tid[cpu] = (pid_t)atoi(de->d_name);
			found++;
		}
	}
	closedir(d);
	fe->ctx->vcpu_pid = fe->pid;
	pr_info("QEMU pid %d: %d vCPU thread(s) found\n", (int)fe->pid, found);
}

static void qmp_line(struct qemu_fe *fe, const char *line)
{
	struct json *j = json_parse(line, strlen(line));
	const struct json_val *msg = j ? j->root : NULL;

	if (!fe->qmp_greeted && json_member(msg, "QMP")) {
		fe->qmp_greeted = true;
		qmp_send(fe, "qmp_capabilities");
	} else if (json_member(msg, "event")) {
		qmp_event(fe, msg);
	} else if (qmp_dump_reply(fe, msg)) {
		/* a reply to the dump's commands */
	} else if (json_member(msg, "error")) {
		pr_warn_rl("QMP error reply: %.200s\n", line);
	} else if (!fe->qmp_ready && json_member(msg, "return")) {
		fe->qmp_ready = true;
		pr_info("QMP ready\n");
		qemu_find_vcpu_threads(fe);
		qmp_send_wanted(fe);
	}
	free(j);
}

void qmp_readable(struct qemu_fe *fe)
{
	for (;;) {
		ssize_t n = recv(fe->qmp, fe->qin + fe->qin_len, sizeof(fe->qin) - 1 - fe->qin_len,
				 MSG_DONTWAIT);
		char *nl, *start;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			pr_info("QMP closed\n");
			close_fd(&fe->qmp);
			return;
		}
		fe->qin_len += (size_t)n;
		fe->qin[fe->qin_len] = '\0';
		start = fe->qin;
		while ((nl = strchr(start, '\n')) != NULL) {
			*nl = '\0';
			if (!fe->qin_overflow)
				qmp_line(fe, start);
			fe->qin_overflow = false;
			start = nl + 1;
		}
		fe->qin_len -= (size_t)(start - fe->qin);
		memmove(fe->qin, start, fe->qin_len);
		if (fe->qin_len == sizeof(fe->qin) - 1) {
			/* A line longer than we care for: skip it up to its newline. */
			pr_warn_rl("QMP line over %zu bytes skipped\n", sizeof(fe->qin));
			fe->qin_overflow = true;
			fe->qin_len = 0;
		}
	}
}
