/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The QMP monitor (qmp.h): QEMU's machine protocol as QEMU 7.2 speaks it, for
 * QEMU's own clients (libqtest's qtest_init, qemu.qmp, qemu.machine).  On
 * connect the server sends the greeting; after qmp_capabilities it answers
 *   query-status, query-version, stop, cont, system_reset, quit,
 *   watchdog-set-action {action}, set-action {watchdog, ...},
 *   x-query-watchdogs (wdt-dm's own: every watchdog device and its state)
 * and forwards every event of the DM (dm_event_post) as a QMP event.  Each
 * reply and event is one JSON object followed by "\r\n", as QEMU frames them.
 * Input is hostile: it is split into JSON values by a bounded scanner, each
 * value parsed by json_parse() (json.h) with depth and size limits, and
 * anything malformed, unknown, too deep or too large gets a QMP error.  The
 * monitor runs on its own thread; it never blocks the device model (events
 * are queued in a bounded buffer, and dropped with a count when a client does
 * not read).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chardev.h"
#include "dm_event.h"
#include "dm_reset.h"
#include "dm_util.h"
#include "json.h"
#include "log.h"
#include "log_ratelimit.h"
#include "qmp.h"
#include "vm_clock.h"
#include "vmctx.h"

#define QMP_MSG_MAX (64U << 10)   /* one request */
#define QMP_OUT_MAX (1U << 20)    /* queued replies and events per client */
#define QMP_RECHECKS 16           /* early parses of one unfinished value at line ends */

/* ---- output ---- */

struct qmp_buf {
	char *s;
	size_t len, cap;
	bool full;
};

static void buf_add(struct qmp_buf *b, const char *s, size_t n)
{
	if (b->full || b->len + n > QMP_OUT_MAX) {
		b->full = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->full = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_printf(struct qmp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void buf_printf(struct qmp_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void buf_jstr(struct qmp_buf *b, const char *s)
{
	char esc[512];

	dm_event_escape(s, esc, sizeof(esc));
	buf_add(b, "\"", 1);
	buf_add(b, esc, strlen(esc));
	buf_add(b, "\"", 1);
}

/* Re-serialises v as standard JSON (for the "id" echo). */
static void buf_jval(struct qmp_buf *b, const struct json_val *v)
{
	switch (v->t) {
	case J_NULL:
		buf_add(b, "null", 4);
		break;
	case J_BOOL:
		buf_add(b, v->b ? "true" : "false", v->b ? 4 : 5);
		break;
	case J_NUM:
		buf_add(b, v->src, v->len);
		break;
	case J_STR:
		buf_jstr(b, v->str);
		break;
	case J_ARR:
	case J_OBJ:
		buf_add(b, v->t == J_OBJ ? "{" : "[", 1);
		for (const struct json_val *m = v->kid; m; m = m->next) {
			if (v->t == J_OBJ) {
				buf_jstr(b, m->key);
				buf_add(b, ": ", 2);
			}
			buf_jval(b, m);
			if (m->next)
				buf_add(b, ", ", 2);
		}
		buf_add(b, v->t == J_OBJ ? "}" : "]", 1);
		break;
	}
}

/* ---- the monitor's state ---- */

struct qmp_client {
	int fd;
	bool negotiated;
	/* input scanner */
	char *in;
	size_t inlen;
	int depth;
	char quote;      /* inside a string: its quote character */
	bool escape, overflow, scalar;
	int rechecks;    /* early parses of this unfinished value (bounded) */
};

static struct {
	pthread_mutex_t lock;       /* out, client state seen by other threads */
	pthread_mutex_t ops_lock;   /* ops, held while one runs: unsetting waits for it */
	struct vmctx *ctx;
	struct qmp_vm_ops ops;
	struct chardev dev;
	bool running;
	pthread_t thread;
	int wake[2];
	int client_fd;              /* -1: none */
	bool events_on;             /* the client negotiated: events flow */
	struct qmp_buf out;
	unsigned long dropped_events;
} qmp = {.lock = PTHREAD_MUTEX_INITIALIZER, .ops_lock = PTHREAD_MUTEX_INITIALIZER,
	 .wake = {-1, -1}, .client_fd = -1};

static void qmp_wake(void)
{
	if (qmp.wake[1] >= 0 && write(qmp.wake[1], "w", 1) < 0 && errno != EAGAIN)
		pr_warn_rl("qmp: cannot wake the monitor: %s\n", strerror(errno));
}

/* dm_event hook (any thread, event lock held): queue it for the client. */
static void qmp_event_hook(const struct dm_event *ev, const char *line, void *arg)
{
	(void)ev, (void)arg;
	dm_mutex_lock(&qmp.lock);
	if (qmp.events_on) {
		size_t before = qmp.out.len;

		buf_add(&qmp.out, line, strlen(line));
		buf_add(&qmp.out, "\r\n", 2);
		if (qmp.out.full) {
			qmp.out.len = before; /* never half an event */
			qmp.out.full = false;
			qmp.dropped_events++;
		}
	}
	dm_mutex_unlock(&qmp.lock);
	qmp_wake();
}

void qmp_set_vm_ops(const struct qmp_vm_ops *ops)
{
	dm_mutex_lock(&qmp.ops_lock);
	qmp.ops = ops ? *ops : (struct qmp_vm_ops){0};
	dm_mutex_unlock(&qmp.ops_lock);
}

static int default_vm_op(enum qmp_vm_op op)
{
	switch (op) {
	case QMP_VM_STOP:
		vm_pause(qmp.ctx, "host");
		return 0;
	case QMP_VM_CONT:
		vm_resume(qmp.ctx, "host");
		return 0;
	case QMP_VM_RESET:
		if (!qmp.ctx)
			return -ENODEV;
		vm_reset(qmp.ctx, "host");
		return 0;
	case QMP_VM_QUIT:
		if (qmp.ctx)
			vm_poweroff(qmp.ctx, QMP_QUIT_REASON);
		return kill(getpid(), SIGTERM) ? -errno : 0;
	}
	return -EINVAL;
}

/* Runs op with ops_lock held, so that a front end unsetting its ops waits for it. */
static int qmp_vm(enum qmp_vm_op op)
{
	int rc;

	dm_mutex_lock(&qmp.ops_lock);
	rc = qmp.ops.vm ? qmp.ops.vm(qmp.ops.arg, op) : default_vm_op(op);
	dm_mutex_unlock(&qmp.ops_lock);
	return rc;
}

/* ---- commands ---- */

struct qmp_req {
	const struct json_val *id, *args;
	struct qmp_buf *out;
};

static void reply_begin(struct qmp_req *r, const char *kind)
{
	buf_printf(r->out, "{\"%s\": ", kind);
}

static void reply_end(struct qmp_req *r)
{
	if (r->id) {
		buf_add(r->out, ", \"id\": ", 8);
		buf_jval(r->out, r->id);
	}
	buf_add(r->out, "}\r\n", 3);
}

static void reply_error(struct qmp_req *r, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_error(struct qmp_req *r, const char *cls, const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	reply_begin(r, "error");
	buf_printf(r->out, "{\"class\": \"%s\", \"desc\": ", cls);
	buf_jstr(r->out, desc);
	buf_add(r->out, "}", 1);
	reply_end(r);
}

static void reply_return(struct qmp_req *r, const char *json)
{
	reply_begin(r, "return");
	buf_add(r->out, json, strlen(json));
	reply_end(r);
}

static void cmd_query_status(struct qmp_req *r)
{
	bool paused = vm_clock_paused();
	char s[128];

	snprintf(s, sizeof(s), "{\"status\": \"%s\", \"singlestep\": false, \"running\": %s}",
		 paused ? "paused" : "running", paused ? "false" : "true");
	reply_return(r, s);
}

static void cmd_query_version(struct qmp_req *r)
{
	reply_return(r, "{\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, "
			"\"package\": \"wdt-dm\"}");
}

static void cmd_vm(struct qmp_req *r, enum qmp_vm_op op)
{
	int rc = qmp_vm(op);

	if (rc)
		reply_error(r, "GenericError", "%s", strerror(-rc));
	else
		reply_return(r, "{}");
}

/* QEMU's WatchdogAction values, all of them. */
static int watchdog_action(struct qmp_req *r, const struct json_val *v, enum dm_wdt_action *a)
{
	if (!v || v->t != J_STR) {
		reply_error(r, "GenericError", "Parameter 'action' is missing or not a string");
		return -EINVAL;
	}
	if (dm_wdt_action_parse(v->str, a) == 0)
		return 0;
	reply_error(r, "GenericError", "Parameter 'action' does not accept value '%.64s'",
		    v->str);
	return -EINVAL;
}

static void set_watchdog_action(struct qmp_req *r, const struct json_val *v)
{
	enum dm_wdt_action a;

	if (watchdog_action(r, v, &a))
		return;
	if (!qmp.ctx) {
		reply_error(r, "GenericError", "no VM");
		return;
	}
	vm_set_watchdog_action(qmp.ctx, a);
	reply_return(r, "{}");
}

static void cmd_set_action(struct qmp_req *r)
{
	static const char *const known[] = {"reboot", "shutdown", "panic", "watchdog"};

	for (const struct json_val *m = r->args ? r->args->kid : NULL; m; m = m->next) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= !strcmp(m->key, known[i]);
		if (!ok || m->t != J_STR) {
			reply_error(r, "GenericError", "Parameter '%.64s' is unexpected", m->key);
			return;
		}
	}
	if (json_member(r->args, "watchdog"))
		set_watchdog_action(r, json_member(r->args, "watchdog"));
	else
		reply_return(r, "{}");
}

static void cmd_query_watchdogs(struct qmp_req *r)
{
	char *s = NULL;
	int rc = qmp.ctx ? vm_device_status_json(qmp.ctx, &s) : -ENODEV;

	if (rc) {
		reply_error(r, "GenericError", "%s", strerror(-rc));
		return;
	}
	reply_return(r, s);
	free(s);
}

static void qmp_execute(struct qmp_client *c, struct qmp_req *r, const char *cmd)
{
	if (!c->negotiated) {
		if (!strcmp(cmd, "qmp_capabilities")) {
			c->negotiated = true;
			reply_return(r, "{}");
		} else {
			reply_error(r, "CommandNotFound", "Expecting capabilities negotiation with "
				    "'qmp_capabilities'");
		}
		return;
	}
	if (!strcmp(cmd, "qmp_capabilities"))
		reply_error(r, "CommandNotFound",
			    "Capabilities negotiation is already complete, command ignored");
	else if (!strcmp(cmd, "query-status"))
		cmd_query_status(r);
	else if (!strcmp(cmd, "query-version"))
		cmd_query_version(r);
	else if (!strcmp(cmd, "stop"))
		cmd_vm(r, QMP_VM_STOP);
	else if (!strcmp(cmd, "cont"))
		cmd_vm(r, QMP_VM_CONT);
	else if (!strcmp(cmd, "system_reset"))
		cmd_vm(r, QMP_VM_RESET);
	else if (!strcmp(cmd, "quit"))
		cmd_vm(r, QMP_VM_QUIT);
	else if (!strcmp(cmd, "watchdog-set-action"))
		set_watchdog_action(r, json_member(r->args, "action"));
	else if (!strcmp(cmd, "set-action"))
		cmd_set_action(r);
	else if (!strcmp(cmd, "x-query-watchdogs"))
		cmd_query_watchdogs(r);
	else
		reply_error(r, "CommandNotFound", "The command %.64s has not been found", cmd);
}

/* One complete JSON value from the client. */
static void qmp_message(struct qmp_client *c, const char *msg, size_t n, struct qmp_buf *out)
{
	struct json *j = json_parse(msg, n);
	struct qmp_req r = {.out = out};
	const struct json_val *v = j ? j->root : NULL, *ex;

	if (!j) {
		reply_error(&r, "GenericError", "out of memory");
	} else if (!v) {
		reply_error(&r, "GenericError", "JSON parse error, %s", j->err);
	} else if (v->t != J_OBJ) {
		reply_error(&r, "GenericError", "QMP input must be a JSON object");
	} else {
		r.id = json_member(v, "id");
		r.args = json_member(v, "arguments");
		ex = json_member(v, "execute");
		if (!ex)
			ex = json_member(v, "exec-oob");
		if (!ex || ex->t != J_STR)
			reply_error(&r, "GenericError",
				    "QMP input member 'execute' must be a string");
		else if (r.args && r.args->t != J_OBJ)
			reply_error(&r, "GenericError",
				    "QMP input member 'arguments' must be an object");
		else
			qmp_execute(c, &r, ex->str);
	}
	free(j);
}

/* ---- input scanner: splits the byte stream into JSON values ---- */

/* The value outgrew the limits: answered at once, the rest of it is skipped. */
static void scan_overflow(struct qmp_client *c, struct qmp_buf *out)
{
	struct qmp_req r = {.out = out};

	if (c->overflow)
		return;
	c->overflow = true;
	reply_error(&r, "GenericError", "JSON message too large (limit %u bytes, depth %d)",
		    QMP_MSG_MAX, JSON_DEPTH_MAX * 4);
}

static void scan_store(struct qmp_client *c, char ch, struct qmp_buf *out)
{
	if (c->inlen >= QMP_MSG_MAX) {
		scan_overflow(c, out);
		return;
	}
	c->in[c->inlen++] = ch;
}

static void scan_done(struct qmp_client *c, struct qmp_buf *out)
{
	if (!c->overflow && c->inlen)
		qmp_message(c, c->in, c->inlen, out);
	c->inlen = 0;
	c->depth = 0;
	c->rechecks = 0;
	c->overflow = c->scalar = false;
}

/* Whether the value gathered so far is already malformed (not just unfinished). */
static bool scan_malformed(struct qmp_client *c)
{
	struct json *j = json_parse(c->in, c->inlen);
	bool bad = j && !j->root && j->p < j->end;

	free(j);
	return bad;
}

static void scan_byte(struct qmp_client *c, char ch, struct qmp_buf *out)
{
	bool ws = ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';

	/* At the end of a line an unfinished value that is already wrong is answered now,
	 * as QEMU's lexer does, instead of waiting for brackets that may never come. */
	if (ch == '\n' && !c->quote && c->depth > 0 && !c->overflow &&
	    c->rechecks++ < QMP_RECHECKS && scan_malformed(c)) {
		scan_done(c, out);
		return;
	}
	if (c->quote) {
		scan_store(c, ch, out);
		if (c->escape)
			c->escape = false;
		else if (ch == '\\')
			c->escape = true;
		else if (ch == c->quote)
			c->quote = 0;
		return;
	}
	if (c->scalar && (ws || ch == '{' || ch == '[')) {
		scan_done(c, out); /* a stray scalar or junk token at the top level */
	}
	if (c->depth == 0 && !c->scalar) {
		if (ws)
			return;
		if (ch != '{' && ch != '[')
			c->scalar = true;
	}
	scan_store(c, ch, out);
	if (ch == '"' || ch == '\'') {
		c->quote = ch;
	} else if (ch == '{' || ch == '[') {
		if (c->depth < JSON_DEPTH_MAX * 4)
			c->depth++;
		else
			scan_overflow(c, out);
	} else if ((ch == '}' || ch == ']') && c->depth > 0) {
		if (--c->depth == 0)
			scan_done(c, out);
	}
}

static void qmp_input(struct qmp_client *c, const char *p, size_t n, struct qmp_buf *out)
{
	for (size_t i = 0; i < n; i++)
		scan_byte(c, p[i], out);
}

static void qmp_greeting(struct qmp_buf *out)
{
	buf_printf(out, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
			"\"major\": 7}, \"package\": \"wdt-dm\"}, \"capabilities\": []}}\r\n");
}

/* ---- sessions ---- */

static int client_init(struct qmp_client *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->in = malloc(QMP_MSG_MAX);
	return c->in ? 0 : -ENOMEM;
}

/* Moves what the client's commands produced to the shared output queue. */
static void queue_replies(struct qmp_client *c, struct qmp_buf *local)
{
	dm_mutex_lock(&qmp.lock);
	if (local->len)
		buf_add(&qmp.out, local->s, local->len);
	qmp.events_on = c->negotiated;
	dm_mutex_unlock(&qmp.lock);
	local->len = 0;
	local->full = false;
}

/* Writes queued output; -1 when the client is gone. */
static int flush_out(int fd)
{
	int rc = 0;

	dm_mutex_lock(&qmp.lock);
	while (qmp.out.len) {
		ssize_t n = send(fd, qmp.out.s, qmp.out.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
			break;
		}
		memmove(qmp.out.s, qmp.out.s + n, qmp.out.len - (size_t)n);
		qmp.out.len -= (size_t)n;
	}
	qmp.out.full = false;
	dm_mutex_unlock(&qmp.lock);
	return rc;
}

static bool out_pending(void)
{
	bool p;

	dm_mutex_lock(&qmp.lock);
	p = qmp.out.len > 0;
	dm_mutex_unlock(&qmp.lock);
	return p;
}

/* Serves one client until it goes away or the monitor stops; false: stop. */
static bool qmp_session(int fd)
{
	struct qmp_client c;
	struct qmp_buf local = {0};
	char buf[4096];
	bool go_on = true;

	if (client_init(&c, fd)) {
		close(fd);
		return true;
	}
	dm_mutex_lock(&qmp.lock);
	qmp.client_fd = fd;
	qmp.out.len = 0;
	qmp_greeting(&qmp.out);
	dm_mutex_unlock(&qmp.lock);
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN | (out_pending() ? POLLOUT : 0)},
				      {.fd = qmp.wake[0], .events = POLLIN}};
		ssize_t n;

		if (flush_out(fd))
			break;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			while (read(qmp.wake[0], buf, sizeof(buf)) > 0)
				;
			if (!__atomic_load_n(&qmp.running, __ATOMIC_ACQUIRE)) {
				flush_out(fd);
				go_on = false;
				break;
			}
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
		if (n > 0) {
			qmp_input(&c, buf, (size_t)n, &local);
			queue_replies(&c, &local);
		}
	}
	dm_mutex_lock(&qmp.lock);
	qmp.events_on = false;
	qmp.client_fd = -1;
	qmp.out.len = 0;
	dm_mutex_unlock(&qmp.lock);
	free(local.s);
	free(c.in);
	close(fd);
	return go_on;
}

static int wait_client(void)
{
	struct pollfd p[2] = {{.fd = qmp.dev.lfd, .events = POLLIN},
			      {.fd = qmp.wake[0], .events = POLLIN}};
	char buf[64];

	while (__atomic_load_n(&qmp.running, __ATOMIC_ACQUIRE)) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents & POLLIN)
			while (read(qmp.wake[0], buf, sizeof(buf)) > 0)
				;
		if (p[0].revents & POLLIN) {
			int fd = chardev_accept(&qmp.dev);

			if (fd >= 0)
				return fd;
		}
	}
	return -ECANCELED;
}

static void *qmp_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;

	if (fd >= 0) { /* client mode: the one connection */
		qmp_session(fd);
		return NULL;
	}
	while (__atomic_load_n(&qmp.running, __ATOMIC_ACQUIRE)) {
		fd = wait_client();
		if (fd < 0 || !qmp_session(fd))
			break;
	}
	return NULL;
}

/* ---- QEMU's monitor options ---- */

static struct {
	char id[64];
	char spec[160];
	bool mon;
} qemu_mon;

/* The value of key= in a QEMU option string, *len its length; NULL if absent. */
static const char *kv_find(const char *opts, const char *key, size_t *len)
{
	size_t klen = strlen(key);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			*len = strcspn(p + klen + 1, ",");
			return p + klen + 1;
		}
	}
	return NULL;
}

int qmp_qemu_chardev(const char *arg)
{
	const char *path, *id, *server;
	size_t plen, n, slen = 0;

	path = kv_find(arg, "path", &plen);
	id = kv_find(arg, "id", &n);
	server = kv_find(arg, "server", &slen);
	if (strncmp(arg, "socket,", 7) || !path || !id || n >= sizeof(qemu_mon.id) ||
	    plen + 20 >= sizeof(qemu_mon.spec))
		return -EINVAL;
	snprintf(qemu_mon.id, sizeof(qemu_mon.id), "%.*s", (int)n, id);
	snprintf(qemu_mon.spec, sizeof(qemu_mon.spec), "unix:%.*s%s", (int)plen, path,
		 server && slen == 2 && strncmp(server, "on", 2) == 0 ? ",server=on" : "");
	return 0;
}

int qmp_qemu_mon(const char *arg)
{
	size_t n;
	const char *v = kv_find(arg, "chardev", &n);
	const char *mode = strstr(arg, "mode=control");

	if (!v || !qemu_mon.id[0] || n != strlen(qemu_mon.id) || strncmp(v, qemu_mon.id, n) ||
	    !mode || (mode != arg && mode[-1] != ','))
		return -EINVAL;
	qemu_mon.mon = true;
	return 0;
}

const char *qmp_qemu_spec(void)
{
	return qemu_mon.mon ? qemu_mon.spec : NULL;
}

int qmp_check_spec(const char *spec)
{
	struct chardev c;

	return chardev_parse(spec, &c);
}

int qmp_start(struct vmctx *ctx, const char *spec)
{
	int rc, fd = -1;

	if (chardev_parse(spec, &qmp.dev))
		return -EINVAL;
	if (pipe2(qmp.wake, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	qmp.ctx = ctx;
	if (qmp.dev.server) {
		rc = chardev_listen(&qmp.dev);
	} else {
		fd = chardev_connect(&qmp.dev);
		rc = fd < 0 ? fd : 0;
	}
	if (rc)
		goto err;
	__atomic_store_n(&qmp.running, true, __ATOMIC_RELEASE);
	dm_event_set_monitor(qmp_event_hook, NULL);
	rc = -pthread_create(&qmp.thread, NULL, qmp_thread, (void *)(intptr_t)fd);
	if (!rc)
		return 0;
	dm_event_set_monitor(NULL, NULL);
	__atomic_store_n(&qmp.running, false, __ATOMIC_RELEASE);
	if (fd >= 0)
		close(fd);
err:
	chardev_close(&qmp.dev);
	close(qmp.wake[0]);
	close(qmp.wake[1]);
	qmp.wake[0] = qmp.wake[1] = -1;
	return rc;
}

void qmp_stop(void)
{
	if (!__atomic_load_n(&qmp.running, __ATOMIC_ACQUIRE))
		return;
	dm_event_set_monitor(NULL, NULL);
	__atomic_store_n(&qmp.running, false, __ATOMIC_RELEASE);
	qmp_wake();
	pthread_join(qmp.thread, NULL);
	chardev_close(&qmp.dev);
	close(qmp.wake[0]);
	close(qmp.wake[1]);
	qmp.wake[0] = qmp.wake[1] = -1;
	free(qmp.out.s);
	memset(&qmp.out, 0, sizeof(qmp.out));
	qmp.ctx = NULL;
}

int qmp_feed(struct vmctx *ctx, const char *in, size_t len, int out_fd)
{
	struct qmp_client c;
	struct qmp_buf out = {0};
	size_t done = 0;
	int rc = client_init(&c, -1);

	if (rc)
		return rc;
	qmp.ctx = ctx;
	qmp_greeting(&out);
	qmp_input(&c, in, len, &out);
	while (done < out.len) {
		ssize_t n = write(out_fd, out.s + done, out.len - done);

		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	free(out.s);
	free(c.in);
	qmp.ctx = NULL;
	return rc;
}
