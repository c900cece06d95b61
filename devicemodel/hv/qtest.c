/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The qtest front end (docs/design.rst §7): QEMU's qtest text protocol
 * (QEMU's docs/devel/qtest.rst) on stdio or a unix socket, over the virtual clock.
 * Each line is one command and gets one reply, formatted exactly as QEMU
 * formats it:
 *   outb|outw|outl ADDR VAL    -> OK              (port I/O; 0xcf8/0xcfc = CONF1)
 *   inb|inw|inl ADDR           -> OK 0x%02x|%04x|%08x
 *   writeb|w|l|q ADDR VAL      -> OK              (guest-physical MMIO)
 *   readb|w|l|q ADDR           -> OK 0x%02x|%04x|%08x|%016x
 *   clock_step [NS]            -> OK <now_ns>     (no NS: to the next deadline)
 *   clock_set NS               -> OK <now_ns>
 * wdt-dm extensions: vm_stop, vm_cont (pause/resume the VM clock) and
 * system_reset (a host-requested VM reset), each -> OK.
 * Anything else, or a malformed number, gets "FAIL <why>"; EOF ends the run.
 * Actions requested by devices are carried out as soon as the timer callback
 * that requested them returns, so their events carry the expiry's VM time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dm_event.h"
#include "frontend.h"
#include "inout.h"
#include "log.h"
#include "mem.h"
#include "vm_clock.h"
#include "vmctx.h"

#define QTEST_LINE_MAX 4096
#define QTEST_MAX_WORDS 4

struct qtest {
	struct vmctx *ctx;
	FILE *in, *out;
	bool quit;
};

static bool qtest_selected(const struct dm_options *o)
{
	return o->qtest != NULL;
}

static int qtest_prepare(struct vmctx *ctx, const struct dm_options *o)
{
	(void)ctx;
	if (strcmp(o->qtest, "stdio") == 0)
		return 0;
	if (strncmp(o->qtest, "unix:", 5) == 0 && o->qtest[5] &&
	    strlen(o->qtest + 5) < sizeof(((struct sockaddr_un *)0)->sun_path))
		return 0;
	fprintf(stderr, "wdt-dm: bad --qtest value: %s (expected stdio or unix:PATH)\n", o->qtest);
	return -EINVAL;
}

/* Carries out one requested action the way QEMU would under qtest. */
static void qtest_do_action(struct qtest *q, const struct vm_action_req *r)
{
	switch (r->action) {
	case DM_WDT_ACTION_RESET:
		vm_reset(q->ctx, "watchdog");
		break;
	case DM_WDT_ACTION_POWEROFF:
		dm_event_emit("SHUTDOWN", "\"guest\": false, \"reason\": \"watchdog\"");
		q->quit = true;
		break;
	case DM_WDT_ACTION_PAUSE:
		if (!vm_clock_paused()) {
			vm_clock_pause();
			dm_event_emit("STOP", "\"reason\": \"watchdog\"");
		}
		break;
	case DM_WDT_ACTION_DEBUG:
	case DM_WDT_ACTION_NONE:
		break;
	}
}

static void qtest_after_fire(void *arg)
{
	struct qtest *q = arg;
	struct vm_action_req r;

	while (vm_action_take(q->ctx, &r))
		qtest_do_action(q, &r);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || *end) ? -EINVAL : 0;
}

static int access_width(char suffix)
{
	switch (suffix) {
	case 'b':
		return 1;
	case 'w':
		return 2;
	case 'l':
		return 4;
	case 'q':
		return 8;
	default:
		return 0;
	}
}

static uint64_t width_mask(int bytes)
{
	return bytes == 8 ? UINT64_MAX : ((1ULL << (8 * bytes)) - 1);
}

static void reply_value(struct qtest *q, int bytes, uint64_t v)
{
	fprintf(q->out, "OK 0x%0*" PRIx64 "\n", bytes * 2, v & width_mask(bytes));
}

static void cmd_pio(struct qtest *q, char **w, int n, bool in, int bytes)
{
	uint64_t port, val = 0;
	uint32_t v32;

	if (bytes == 0 || bytes > 4 || n != (in ? 2 : 3) || parse_u64(w[1], &port) ||
	    port > 0xffff || (!in && parse_u64(w[2], &val))) {
		fprintf(q->out, "FAIL bad arguments to %s\n", w[0]);
		return;
	}
	v32 = (uint32_t)(val & width_mask(bytes));
	inout_access(q->ctx, 0, in, (int)port, bytes, &v32);
	if (in)
		reply_value(q, bytes, v32);
	else
		fprintf(q->out, "OK\n");
}

static void cmd_mmio(struct qtest *q, char **w, int n, bool rd, int bytes)
{
	uint64_t addr, val = 0;

	if (bytes == 0 || n != (rd ? 2 : 3) || parse_u64(w[1], &addr) ||
	    (!rd && parse_u64(w[2], &val))) {
		fprintf(q->out, "FAIL bad arguments to %s\n", w[0]);
		return;
	}
	val &= width_mask(bytes);
	mem_access(q->ctx, 0, rd ? MEM_F_READ : MEM_F_WRITE, addr, bytes, &val);
	if (rd)
		reply_value(q, bytes, val);
	else
		fprintf(q->out, "OK\n");
}

static void cmd_clock(struct qtest *q, char **w, int n)
{
	uint64_t ns, now;

	if (strcmp(w[0], "clock_step") == 0 && n == 1) {
		now = vm_clock_step_next();
	} else if (n == 2 && !parse_u64(w[1], &ns)) {
		if (strcmp(w[0], "clock_step") == 0) {
			now = vm_clock_step(ns);
		} else if (vm_clock_set(ns) == 0) {
			now = vm_clock_now_ns();
		} else {
			fprintf(q->out, "FAIL clock_set to a time in the past\n");
			return;
		}
	} else {
		fprintf(q->out, "FAIL bad arguments to %s\n", w[0]);
		return;
	}
	fprintf(q->out, "OK %" PRIu64 "\n", now);
}

static void cmd_vm(struct qtest *q, const char *cmd)
{
	if (strcmp(cmd, "vm_stop") == 0 && !vm_clock_paused()) {
		vm_clock_pause();
		dm_event_emit("STOP", "\"reason\": \"host\"");
	} else if (strcmp(cmd, "vm_cont") == 0 && vm_clock_paused()) {
		vm_clock_resume();
		dm_event_emit("RESUME", "%s", "");
	} else if (strcmp(cmd, "system_reset") == 0) {
		vm_reset(q->ctx, "host");
	}
	fprintf(q->out, "OK\n");
}

static int split_words(char *line, char **w)
{
	char *save = NULL;
	int n = 0;

	for (char *tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == QTEST_MAX_WORDS)
			return -1;
		w[n++] = tok;
	}
	return n;
}

/* Executes one command line and writes exactly one reply (none for a blank line). */
static void qtest_command(struct qtest *q, char *line)
{
	char *w[QTEST_MAX_WORDS];
	char *cmd;
	int n = split_words(line, w);

	if (n == 0)
		return;
	if (n < 0) {
		fprintf(q->out, "FAIL too many arguments\n");
		return;
	}
	cmd = w[0];
	if (!strncmp(cmd, "out", 3) && strlen(cmd) == 4)
		cmd_pio(q, w, n, false, access_width(cmd[3]));
	else if (!strncmp(cmd, "in", 2) && strlen(cmd) == 3)
		cmd_pio(q, w, n, true, access_width(cmd[2]));
	else if (!strncmp(cmd, "write", 5) && strlen(cmd) == 6)
		cmd_mmio(q, w, n, false, access_width(cmd[5]));
	else if (!strncmp(cmd, "read", 4) && strlen(cmd) == 5)
		cmd_mmio(q, w, n, true, access_width(cmd[4]));
	else if (!strcmp(cmd, "clock_step") || !strcmp(cmd, "clock_set"))
		cmd_clock(q, w, n);
	else if (!strcmp(cmd, "vm_stop") || !strcmp(cmd, "vm_cont") || !strcmp(cmd, "system_reset"))
		cmd_vm(q, cmd);
	else
		fprintf(q->out, "FAIL Unknown command '%.64s'\n", cmd);
}

/*
 * Reads one line.  A line longer than the buffer is consumed whole and
 * rejected, and so is one with an embedded NUL: never half-parsed.
 */
static int qtest_read_line(struct qtest *q, char *buf, size_t n, bool *bad)
{
	size_t len = 0;
	int c;

	*bad = false;
	while ((c = fgetc(q->in)) != EOF && c != '\n') {
		if (c == '\0' || len == n - 1)
			*bad = true;
		else
			buf[len++] = (char)c;
	}
	if (c == EOF && len == 0 && !*bad)
		return -1;
	buf[len] = '\0';
	return 0;
}

static void qtest_serve(struct qtest *q)
{
	char line[QTEST_LINE_MAX];
	bool bad;

	while (!q->quit && qtest_read_line(q, line, sizeof(line), &bad) == 0) {
		if (bad)
			fprintf(q->out, "FAIL line too long or not text\n");
		else
			qtest_command(q, line);
		fflush(q->out);
	}
}

static int qtest_accept_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd, fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	unlink(path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		fd = -errno;
		close(lfd);
		return fd;
	}
	do {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		fd = -errno;
	close(lfd);
	unlink(path);
	return fd;
}

static int qtest_open_unix(struct qtest *q, const char *path)
{
	int fd = qtest_accept_unix(path), fd2;

	if (fd < 0) {
		fprintf(stderr, "wdt-dm: qtest socket %s: %s\n", path, strerror(-fd));
		return -1;
	}
	fd2 = dup(fd);
	q->in = fdopen(fd, "r");
	q->out = fd2 >= 0 ? fdopen(fd2, "w") : NULL;
	if (q->in && q->out)
		return 0;
	fprintf(stderr, "wdt-dm: qtest: %s\n", strerror(errno));
	if (q->in)
		fclose(q->in);
	else
		close(fd);
	if (q->out)
		fclose(q->out);
	else if (fd2 >= 0)
		close(fd2);
	return -1;
}

int qtest_session(struct vmctx *ctx, FILE *in, FILE *out)
{
	struct qtest q = {.ctx = ctx, .in = in, .out = out};

	timer_core_set_after_fire(qtest_after_fire, &q);
	qtest_after_fire(&q); /* anything requested during init */
	qtest_serve(&q);
	timer_core_set_after_fire(NULL, NULL);
	return 0;
}

static int qtest_run(struct vmctx *ctx, const struct dm_options *o)
{
	struct qtest q = {.ctx = ctx, .in = stdin, .out = stdout};
	bool sock = strncmp(o->qtest, "unix:", 5) == 0;

	if (sock && qtest_open_unix(&q, o->qtest + 5))
		return DM_EXIT_USAGE; /* the PATH given cannot be used: said in one line */
	qtest_session(ctx, q.in, q.out);
	if (sock) {
		fclose(q.in);
		fclose(q.out);
	}
	return 0;
}

/* qtest has no vCPU threads at all: accesses come from the script. */
static bool qtest_no_guest_time(void)
{
	return true;
}

static const struct dm_frontend qtest_frontend = {
	.name = "qtest",
	.clock = VM_CLOCK_VIRTUAL,
	.preassign_bars = true,
	.stall_clock = "virtual",
	.selected = qtest_selected,
	.prepare = qtest_prepare,
	.no_guest_time = qtest_no_guest_time,
	.run = qtest_run,
};
DEFINE_FRONTEND(qtest_frontend);
