/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Post-mortem dumps under the QEMU front end (docs/device.rst §5): QEMU writes
 * the guest's memory, wdt-dm owns the file.  wdt-dm creates
 * DIR/<uuid>-<UTC time>-<device>.core itself (O_EXCL, mode 0600, never over a
 * file), hands the descriptor to QEMU with QMP getfd (SCM_RIGHTS with the
 * command's bytes on the QMP socketpair) and runs
 *   dump-guest-memory {"paging": false, "protocol": "fd:wdt-dm-dump",
 *                      "detach": true}
 * QEMU stops a running guest for the dump (STOP), emits DUMP_COMPLETED (with
 * "error" when it failed), then resumes it (RESUME).  wdt-dm emits DUMP at
 * DUMP_COMPLETED and carries out the action after RESUME, or at once when the
 * guest was not running; an error reply to either command ends the dump at
 * once; at the deadline (dump_timeout) DUMP says "timed out" and the action
 * runs while QEMU finishes, or abandons, the file on its own.  Requests queued
 * meanwhile wait (qemu.c drains the queue only when no dump is running).
 */
#define pr_prefix "qemu: "

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm_util.h"
#include "log.h"
#include "qemu_fe.h"
#include "vm_clock.h"
#include "vmctx.h"

#define NS_PER_SEC 1000000000ULL
#define DUMP_FDNAME "wdt-dm-dump"

/* The getfd command; its descriptor rides on its first byte. */
static int send_getfd(struct qemu_fe *fe, int fd)
{
	static const char cmd[] = "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \""
				  DUMP_FDNAME "\"}, \"id\": \"" QEMU_DUMP_ID_GETFD "\"}\n";
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {(void *)cmd, sizeof(cmd) - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t n;

	qmp_flush(fe);
	if (fe->qmp < 0 || fe->qout_len)
		return -EAGAIN; /* never interleave with a half-sent command */
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(fe->qmp, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	/* The rest of a short send goes out as plain bytes. */
	memcpy(fe->qout, cmd + n, sizeof(cmd) - 1 - (size_t)n);
	fe->qout_len = sizeof(cmd) - 1 - (size_t)n;
	pr_info("QMP -> getfd %s (fd %d)\n", DUMP_FDNAME, fd);
	qmp_flush(fe);
	return 0;
}

static int send_dump(struct qemu_fe *fe)
{
	static const char cmd[] = "{\"execute\": \"dump-guest-memory\", \"arguments\": "
				  "{\"paging\": false, \"protocol\": \"fd:" DUMP_FDNAME "\", "
				  "\"detach\": true}, \"id\": \"" QEMU_DUMP_ID_DUMP "\"}\n";

	if (sizeof(cmd) - 1 > sizeof(fe->qout) - fe->qout_len)
		return -ENOBUFS;
	memcpy(fe->qout + fe->qout_len, cmd, sizeof(cmd) - 1);
	fe->qout_len += sizeof(cmd) - 1;
	pr_info("QMP -> dump-guest-memory fd:%s\n", DUMP_FDNAME);
	qmp_flush(fe);
	return 0;
}

/* Ends the dump: the file is let go and the action it held back runs. */
static void dump_finish(struct qemu_fe *fe)
{
	struct vm_action_req r = fe->dump.req;

	close_fd(&fe->dump.fd);
	fe->dump.phase = QEMU_DUMP_IDLE;
	r.dump.dir[0] = '\0';
	qemu_run_action(fe, &r);
	/* Requests that came meanwhile are still queued: wake the loop for them. */
	if (fe->ctx && fe->ctx->fe && fe->ctx->fe->action_pending)
		fe->ctx->fe->action_pending(fe->ctx);
}

/* The DUMP event of the running dump: its file's size, or the error. */
static void dump_report(struct qemu_fe *fe, int err, const char *why)
{
	struct stat st;
	uint64_t size = 0;

	if (!err && fstat(fe->dump.fd, &st) == 0)
		size = (uint64_t)st.st_size;
	vm_dump_event(&fe->dump.req, fe->dump.path, size, mono_ns() - fe->dump.start_ns, err,
		      why);
}

bool qemu_dump_start(struct qemu_fe *fe, const struct vm_action_req *r)
{
	uint64_t t0 = mono_ns();
	const char *why = NULL;
	int fd, rc;

	if (!r->dump.dir[0])
		return false;
	if (fe->dump.phase != QEMU_DUMP_IDLE)
		why = "another dump is running";
	else if (fe->qmp < 0 || !fe->qmp_ready)
		why = "QEMU's monitor is not ready";
	if (why) {
		vm_dump_event(r, NULL, 0, 0, -EBUSY, why);
		return false;
	}
	fe->dump.req = *r;
	fd = vm_dump_open(fe->ctx, r, fe->dump.path, sizeof(fe->dump.path));
	if (fd < 0) {
		vm_dump_event(r, fd == -ENAMETOOLONG ? NULL : fe->dump.path, 0, mono_ns() - t0, fd,
			      NULL);
		return false;
	}
	rc = send_getfd(fe, fd);
	rc = rc ? rc : send_dump(fe);
	if (rc) {
		close(fd);
		unlink(fe->dump.path);
		vm_dump_event(r, fe->dump.path, 0, mono_ns() - t0, rc, NULL);
		return false;
	}
	fe->dump.fd = fd;
	fe->dump.start_ns = t0;
	fe->dump.deadline_ns = t0 + (uint64_t)r->dump.timeout_s * NS_PER_SEC;
	fe->dump.was_running = !vm_clock_paused();
	fe->dump.phase = QEMU_DUMP_RUNNING;
	return true;
}

bool qemu_dump_busy(const struct qemu_fe *fe)
{
	return fe->dump.phase != QEMU_DUMP_IDLE;
}

void qemu_dump_reply(struct qemu_fe *fe, const char *error)
{
	if (fe->dump.phase != QEMU_DUMP_RUNNING || !error)
		return;
	pr_warn("dump-guest-memory refused: %s\n", error);
	dump_report(fe, -EIO, error);
	dump_finish(fe);
}

void qemu_dump_completed(struct qemu_fe *fe, const char *error)
{
	if (fe->dump.phase != QEMU_DUMP_RUNNING)
		return; /* a dump we gave up on, or not ours */
	dump_report(fe, error ? -EIO : 0, error);
	/* QEMU resumes the guest it stopped for the dump only now: let it first. */
	if (fe->dump.was_running && vm_clock_paused())
		fe->dump.phase = QEMU_DUMP_RESUMING;
	else
		dump_finish(fe);
}

void qemu_dump_resumed(struct qemu_fe *fe)
{
	if (fe->dump.phase == QEMU_DUMP_RESUMING)
		dump_finish(fe);
}

int qemu_dump_timeout_ms(const struct qemu_fe *fe, uint64_t now)
{
	if (fe->dump.phase == QEMU_DUMP_IDLE)
		return -1;
	if (now >= fe->dump.deadline_ns)
		return 0;
	return (int)((fe->dump.deadline_ns - now) / 1000000ULL) + 1;
}

void qemu_dump_tick(struct qemu_fe *fe, uint64_t now)
{
	if (fe->dump.phase == QEMU_DUMP_IDLE || now < fe->dump.deadline_ns)
		return;
	if (fe->dump.phase == QEMU_DUMP_RUNNING) {
		pr_warn("dump into %s still running after %u s: the action goes ahead\n",
			fe->dump.path, fe->dump.req.dump.timeout_s);
		dump_report(fe, -ETIMEDOUT, NULL);
	}
	dump_finish(fe);
}

void qemu_dump_fini(struct qemu_fe *fe)
{
	if (fe->dump.phase != QEMU_DUMP_IDLE)
		close_fd(&fe->dump.fd);
	fe->dump.phase = QEMU_DUMP_IDLE;
}
