/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The QEMU front end (docs/design.rst section 7, "qemu"): real Linux guests under
 * Debian 12's QEMU 7.2, TCG or KVM.  `wdt-dm [dm options] -- qemu-system-x86_64
 * [qemu options]` creates one socketpair per PCI device given with -s, appends
 * `-device x-pci-proxy-dev,fd=N,addr=S.F` for each and a QMP monitor on one more
 * socketpair, starts QEMU and serves the multi-process proxy protocol
 * (docs/design.rst section 9): config cycles go to the PCI core, BAR
 * accesses (absolute bus addresses) to the normal MMIO / port I/O dispatch,
 * DEVICE_RESET to the VM reset hooks, SYNC_SYSMEM fds are closed, SET_IRQFD
 * eventfds are kept for INTx (QEMU connects them only through KVM irqfds: under
 * TCG an asserted INTx never reaches the guest).  Actions requested through the
 * reboot API (docs/device.rst section 1.5) are carried out over QMP: reset ->
 * system_reset, poweroff -> quit, pause -> stop; debug/none only have the
 * WATCHDOG event.  QMP events of QEMU are merged into our event stream with
 * "source": "qemu" (docs/device.rst section 3); STOP/RESUME also pause/resume the VM
 * clock, so the watchdog does not count while QEMU is stopped.
 *
 * Everything QEMU sends is checked before use: header size, payload size per
 * command and the 192-byte limit, command number, fd count (extra fds are
 * closed), partial reads (the sockets are non-blocking and messages are
 * reassembled).  A message whose length cannot be trusted drops that device's
 * connection; any other bad request gets an all-ones RET.  QEMU exiting ends
 * wdt-dm with QEMU's status; SIGINT/SIGTERM/SIGHUP to wdt-dm stop QEMU (QMP
 * quit, then SIGTERM, then SIGKILL), and QEMU gets SIGTERM if wdt-dm dies.
 */
#define pr_prefix "qemu: "

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dm_event.h"
#include "frontend.h"
#include "guest_ram.h"
#include "inout.h"
#include "log.h"
#include "log_ratelimit.h"
#include "mem.h"
#include "pci_core.h"
#include "qmp.h"
#include "vm_clock.h"
#include "vmctx.h"

/* -- wire protocol: QEMU's MPQemuCmd numbering is the ABI -------------------- */
enum mpqemu_cmd {
	MPQEMU_SYNC_SYSMEM = 0,
	MPQEMU_RET = 1,
	MPQEMU_PCI_CFGWRITE = 2,
	MPQEMU_PCI_CFGREAD = 3,
	MPQEMU_BAR_WRITE = 4,
	MPQEMU_BAR_READ = 5,
	MPQEMU_SET_IRQFD = 6,
	MPQEMU_DEVICE_RESET = 7,
};

#define MPQEMU_HDR_SIZE 16      /* int32 cmd, 4 bytes padding, uint64 size */
#define MPQEMU_HDR_CMD 0
#define MPQEMU_HDR_LEN 8
#define MPQEMU_MAX_PAYLOAD 192  /* QEMU's payload union */
#define MPQEMU_MAX_FDS 8
#define MPQEMU_SYSMEM_SIZE 192  /* u64 gpa[8], u64 size[8], i64 offset[8] */
#define MPQEMU_CFG_SIZE 12      /* u32 addr, u32 val, i32 len */
#define MPQEMU_CFG_ADDR 0
#define MPQEMU_CFG_VAL 4
#define MPQEMU_CFG_LEN 8
#define MPQEMU_BAR_SIZE 24      /* u64 addr, u64 val, u32 size, u8 memory, pad */
#define MPQEMU_BAR_ADDR 0
#define MPQEMU_BAR_VAL 8
#define MPQEMU_BAR_LEN 16
#define MPQEMU_BAR_MEMORY 20
#define MPQEMU_RET_SIZE 8
#define MPQEMU_IRQFD_COUNT 2    /* INTx trigger, resample */

#define PROXY_MAX_DEVS (PCI_MAX_SLOTS * PCI_MAX_FUNCS)
#define QMP_IN_MAX 8192
#define QMP_OUT_MAX 1024
#define QMP_EVENT_DATA_MAX 400  /* fits dm_event_emit's data buffer with our fields */
#define STOP_GRACE_NS 3000000000ULL
#define POLL_IDLE_MS 1000
#define NS_PER_MS 1000000ULL
#define PROXY_SPIN_NS 50000ULL /* keep reading this long after a reply */
#define PROXY_BATCH 64         /* messages served per wake-up, for fairness */

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
enum qmp_want { QMP_WANT_QUIT = 1, QMP_WANT_STOP = 2, QMP_WANT_RESET = 4, QMP_WANT_CONT = 8 };

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

	int stop_signal;           /* signal that asked us to stop, 0: none */
	int stop_stage;            /* 0 none, 1 quit sent, 2 SIGTERM sent, 3 SIGKILL sent */
	uint64_t stop_deadline;
};

/* Signals that make wdt-dm stop QEMU; read, with SIGCHLD, from a signalfd. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

static struct qemu_fe qfe = {.sigfd = -1, .evfd = -1, .qmp = -1, .qmp_peer = -1};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static uint64_t ones(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/* -- front-end hooks (any thread) ------------------------------------------- */

static struct proxy_conn *conn_of(struct pci_vdev *dev)
{
	for (int i = 0; i < qfe.nconns; i++)
		if (qfe.conns[i].dev == dev)
			return &qfe.conns[i];
	return NULL;
}

/*
 * Asserting INTx writes the trigger eventfd.  QEMU wires it into the guest
 * only through a KVM irqfd; under TCG nothing reads it (see README).
 * Deassertion needs no message: the resample eventfd re-arms the line.
 */
static void qemu_intx(struct vmctx *ctx, struct pci_vdev *dev, int level)
{
	struct proxy_conn *c = conn_of(dev);
	uint64_t one = 1;

	(void)ctx;
	if (!c || !level)
		return;
	pthread_mutex_lock(&c->irq_lock);
	if (c->irqfd[0] >= 0 && write(c->irqfd[0], &one, sizeof(one)) != sizeof(one))
		pr_warn_rl("%s: INTx eventfd write: %s\n", dev->name, strerror(errno));
	pthread_mutex_unlock(&c->irq_lock);
}

static void qemu_action_pending(struct vmctx *ctx)
{
	uint64_t one = 1;

	(void)ctx;
	pthread_mutex_lock(&qfe.ev_lock);
	if (qfe.evfd >= 0 && write(qfe.evfd, &one, sizeof(one)) != sizeof(one))
		pr_warn_rl("action eventfd write: %s\n", strerror(errno));
	pthread_mutex_unlock(&qfe.ev_lock);
}

static const struct vm_fe_ops qemu_fe_ops = {
	.intx = qemu_intx,
	.action_pending = qemu_action_pending,
};

/* -- QMP client ------------------------------------------------------------- */

static void qmp_flush(struct qemu_fe *fe)
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

static void qmp_send(struct qemu_fe *fe, const char *cmd)
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
static void qmp_send_wanted(struct qemu_fe *fe)
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
	}
	fe->qmp_want = 0;
}

static void qmp_request(struct qemu_fe *fe, unsigned int w)
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

/* Length of the JSON object or array starting at p, or 0 if it does not end. */
static size_t json_span(const char *p)
{
	int depth = 0;
	bool in_str = false;

	for (const char *q = p; *q; q++) {
		if (in_str) {
			if (*q == '\\' && q[1])
				q++;
			else if (*q == '"')
				in_str = false;
			continue;
		}
		if (*q == '"')
			in_str = true;
		else if (*q == '{' || *q == '[')
			depth++;
		else if ((*q == '}' || *q == ']') && --depth == 0)
			return (size_t)(q - p) + 1;
	}
	return 0;
}

/*
 * Value after the first "key": at or after start, or NULL.  Good enough for
 * QEMU's own output, whose top-level keys come before any nested string.
 */
static const char *json_value(const char *start, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(start, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	return p;
}

/* Copies an event name ([A-Z0-9_], quoted at p) into out; false if not one. */
static bool qmp_event_name(const char *p, char *out, size_t n)
{
	size_t i = 0;

	if (!p || *p++ != '"')
		return false;
	while (*p && *p != '"') {
		if (i + 1 >= n || !(isupper((unsigned char)*p) || isdigit((unsigned char)*p) ||
				     *p == '_'))
			return false;
		out[i++] = *p++;
	}
	out[i] = '\0';
	return *p == '"' && i > 0;
}

/*
 * Re-emits a QEMU event in our stream: QEMU's data members plus
 * "source": "qemu".  Data that does not look like one printable JSON object
 * of modest size is left out rather than trusted.
 */
static void qmp_event(struct qemu_fe *fe, const char *line)
{
	const char *p = json_value(line, "event");
	char name[33], data[QMP_EVENT_DATA_MAX + 1] = "";
	size_t span;

	if (!qmp_event_name(p, name, sizeof(name))) {
		pr_warn_rl("QMP: unreadable event line\n");
		return;
	}
	p = json_value(p, "data");
	if (p && *p == '{' && (span = json_span(p)) >= 2 && span - 2 <= QMP_EVENT_DATA_MAX) {
		bool ok = true;

		for (size_t i = 1; i + 1 < span; i++)
			ok &= isprint((unsigned char)p[i]) != 0;
		if (ok) {
			memcpy(data, p + 1, span - 2);
			data[span - 2] = '\0';
		}
	}
	if (!strcmp(name, "STOP") && !vm_clock_paused())
		vm_clock_pause();
	else if (!strcmp(name, "RESUME") && vm_clock_paused())
		vm_clock_resume();
	pr_info("QMP <- event %s {%s}\n", name, data);
	(void)fe;
	dm_event_emit(name, "%s%s\"source\": \"qemu\"", data, data[0] ? ", " : "");
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
	if (!fe->qmp_greeted && json_value(line, "QMP")) {
		fe->qmp_greeted = true;
		qmp_send(fe, "qmp_capabilities");
	} else if (json_value(line, "event")) {
		qmp_event(fe, line);
	} else if (json_value(line, "error")) {
		pr_warn_rl("QMP error reply: %.200s\n", line);
	} else if (!fe->qmp_ready && json_value(line, "return")) {
		fe->qmp_ready = true;
		pr_info("QMP ready\n");
		qemu_find_vcpu_threads(fe);
		qmp_send_wanted(fe);
	}
}

static void qmp_readable(struct qemu_fe *fe)
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

/* -- actions ---------------------------------------------------------------- */

static void qemu_do_action(struct qemu_fe *fe, const struct vm_action_req *r)
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
	case DM_WDT_ACTION_INJECT_NMI:
		/* FIXME(h16): system_powerdown / inject-nmi over QMP, after the split */
	case DM_WDT_ACTION_DEBUG:
	case DM_WDT_ACTION_NONE:
		break; /* the WATCHDOG event is all there is */
	}
}

static void actions_readable(struct qemu_fe *fe)
{
	struct vm_action_req r;
	uint64_t n;

	unsigned int host;

	if (read(fe->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		pr_warn("action eventfd read: %s\n", strerror(errno));
	while (vm_action_take(fe->ctx, &r))
		qemu_do_action(fe, &r);
	host = __atomic_exchange_n(&fe->host_want, 0, __ATOMIC_ACQ_REL);
	if (host && !fe->stop_stage) {
		if (host & QMP_WANT_RESET)
			fe->reset_reason = "host";
		qmp_request(fe, host);
	}
}

/* wdt-dm's QMP monitor (hv/qmp.c): QEMU owns these, so they go to QEMU's monitor. */
static int qemu_monitor_vm(void *arg, enum qmp_vm_op op)
{
	static const unsigned int want[] = {
		[QMP_VM_STOP] = QMP_WANT_STOP,
		[QMP_VM_CONT] = QMP_WANT_CONT,
		[QMP_VM_RESET] = QMP_WANT_RESET,
		[QMP_VM_QUIT] = QMP_WANT_QUIT,
	};
	struct qemu_fe *fe = arg;

	__atomic_or_fetch(&fe->host_want, want[op], __ATOMIC_ACQ_REL);
	qemu_action_pending(fe->ctx);
	return 0;
}

/* -- proxy connections ------------------------------------------------------ */

static void conn_close_fds(struct proxy_conn *c)
{
	for (int i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	c->nfds = 0;
	c->fds_lost = false;
}

static void conn_set_irqfds(struct proxy_conn *c, const int fds[MPQEMU_IRQFD_COUNT])
{
	pthread_mutex_lock(&c->irq_lock);
	for (int i = 0; i < MPQEMU_IRQFD_COUNT; i++) {
		close_fd(&c->irqfd[i]);
		c->irqfd[i] = fds ? fds[i] : -1;
	}
	pthread_mutex_unlock(&c->irq_lock);
}

static void conn_close(struct proxy_conn *c)
{
	close_fd(&c->sock);
	close_fd(&c->peer);
	conn_close_fds(c);
	conn_set_irqfds(c, NULL);
	c->have = 0;
}

static int conn_reply(struct proxy_conn *c, uint64_t val)
{
	uint8_t msg[MPQEMU_HDR_SIZE + MPQEMU_RET_SIZE] = {0};
	int32_t cmd = MPQEMU_RET;
	uint64_t size = MPQEMU_RET_SIZE;
	ssize_t n;

	memcpy(msg + MPQEMU_HDR_CMD, &cmd, sizeof(cmd));
	memcpy(msg + MPQEMU_HDR_LEN, &size, sizeof(size));
	memcpy(msg + MPQEMU_HDR_SIZE, &val, sizeof(val));
	do
		n = send(c->sock, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(msg))
		return 0;
	/* QEMU waits for exactly one reply; a short one cannot be repaired. */
	pr_err("%s: reply failed (%s), dropping the connection\n", c->dev->name,
	       n < 0 ? strerror(errno) : "short write");
	return -EIO;
}

static uint64_t proxy_cfg(struct qemu_fe *fe, struct proxy_conn *c, bool in, const uint8_t *p)
{
	uint32_t addr, val;
	int32_t len;

	memcpy(&addr, p + MPQEMU_CFG_ADDR, sizeof(addr));
	memcpy(&val, p + MPQEMU_CFG_VAL, sizeof(val));
	memcpy(&len, p + MPQEMU_CFG_LEN, sizeof(len));
	if (addr > PCI_REGMAX) {
		pr_warn_rl("%s: config offset 0x%x out of range\n", c->dev->name, addr);
		return in ? ones(4) : 0;
	}
	/* pci_cfg_rw validates len and alignment; a rejected read yields all-ones. */
	pci_cfg_rw(fe->ctx, 0, c->dev, in, (int)addr, len, &val);
	return in ? val : 0;
}

/*
 * Debug trace of guest BAR accesses with the host's wall clock, the clock of
 * event timestamps: the e2e test takes the time of the guest's last kick from
 * it (tests/e2e/run.sh, t_kick_reset).
 */
static void proxy_bar_trace(struct proxy_conn *c, bool in, uint64_t addr, uint32_t size,
			    uint64_t val)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pr_dbg("%s: BAR %s 0x%" PRIx64 "/%u = 0x%" PRIx64 " at %lld.%06ld\n", c->dev->name,
	       in ? "read" : "write", addr, size, val, (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

static uint64_t proxy_bar(struct qemu_fe *fe, struct proxy_conn *c, bool in, const uint8_t *p)
{
	uint64_t addr, val;
	uint32_t size;
	uint8_t memory;
	int rc;

	memcpy(&addr, p + MPQEMU_BAR_ADDR, sizeof(addr));
	memcpy(&val, p + MPQEMU_BAR_VAL, sizeof(val));
	memcpy(&size, p + MPQEMU_BAR_LEN, sizeof(size));
	memory = p[MPQEMU_BAR_MEMORY];
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		pr_warn_rl("%s: BAR access of %u bytes rejected\n", c->dev->name, size);
		return in ? ~0ULL : 0;
	}
	if (memory) {
		rc = mem_access(fe->ctx, 0, in ? MEM_F_READ : MEM_F_WRITE, addr, (int)size, &val);
	} else if (addr <= 0xffff && size <= 4) {
		uint32_t v = (uint32_t)val;

		rc = inout_access(fe->ctx, 0, in, (int)addr, (int)size, &v);
		val = v;
	} else {
		pr_warn_rl("%s: bad I/O access 0x%" PRIx64 "/%u\n", c->dev->name, addr, size);
		rc = -EINVAL;
	}
	if (in)
		val = rc ? ones(size) : val & ones(size);
	if (log_get_level() >= LOG_DEBUG)
		proxy_bar_trace(c, in, addr, size, val);
	return in ? val : 0;
}

/*
 * QEMU sends DEVICE_RESET to every proxy at each system reset (twice after a
 * QMP system_reset), always with the vCPUs stopped.  One VM reset (all reset
 * hooks: PCI headers, the watchdog, whose timeout flag survives, docs/device.rst
 * section 1.5) per system reset is enough: later DEVICE_RESETs before the
 * guest has touched any device would reset devices already in reset state.
 */
static void proxy_device_reset(struct qemu_fe *fe)
{
	if (!fe->reset_armed)
		return;
	fe->reset_armed = false;
	vm_reset(fe->ctx, fe->reset_reason ? fe->reset_reason : "qemu");
	fe->reset_reason = NULL;
}

/* Payload size each command must carry; -1 for commands QEMU never sends. */
static int cmd_payload_size(int32_t cmd)
{
	switch (cmd) {
	case MPQEMU_SYNC_SYSMEM: return MPQEMU_SYSMEM_SIZE;
	case MPQEMU_PCI_CFGWRITE:
	case MPQEMU_PCI_CFGREAD: return MPQEMU_CFG_SIZE;
	case MPQEMU_BAR_WRITE:
	case MPQEMU_BAR_READ: return MPQEMU_BAR_SIZE;
	case MPQEMU_SET_IRQFD:
	case MPQEMU_DEVICE_RESET: return 0;
	default: return -1;
	}
}

/* One complete message in c->buf.  Returns 0, or -EIO to drop the connection. */
static int conn_message(struct qemu_fe *fe, struct proxy_conn *c)
{
	const uint8_t *p = c->buf + MPQEMU_HDR_SIZE;
	int32_t cmd;
	uint64_t val = 0;

	memcpy(&cmd, c->buf + MPQEMU_HDR_CMD, sizeof(cmd));
	if (cmd == MPQEMU_SYNC_SYSMEM) {
		/* A watchdog does no DMA: guest RAM is not needed, never keep it. */
		conn_close_fds(c);
		return 0;
	}
	if (cmd == MPQEMU_SET_IRQFD) {
		if (c->size != 0 || c->nfds != MPQEMU_IRQFD_COUNT || c->fds_lost) {
			pr_warn_rl("%s: SET_IRQFD with %d fds, %" PRIu64 " bytes ignored\n",
				   c->dev->name, c->nfds, c->size);
			conn_close_fds(c);
			return 0;
		}
		conn_set_irqfds(c, c->fds);
		c->nfds = 0;
		return 0;
	}
	if (c->nfds || c->fds_lost) {
		pr_warn_rl("%s: command %d carried fds, closed\n", c->dev->name, cmd);
		conn_close_fds(c);
	}
	if (cmd == MPQEMU_RET) {
		pr_warn_rl("%s: unsolicited RET ignored\n", c->dev->name);
		return 0;
	}
	if (cmd_payload_size(cmd) != (int)c->size) {
		/*
		 * Unknown command or wrong size.  QEMU blocks on every request
		 * until a RET arrives, so answer with all-ones rather than hang it.
		 */
		pr_warn_rl("%s: bad message cmd %d size %" PRIu64 ", answered all-ones\n",
			   c->dev->name, cmd, c->size);
		return conn_reply(c, ~0ULL);
	}
	fe->reset_armed |= cmd != MPQEMU_DEVICE_RESET;
	switch (cmd) {
	case MPQEMU_PCI_CFGWRITE:
	case MPQEMU_PCI_CFGREAD:
		val = proxy_cfg(fe, c, cmd == MPQEMU_PCI_CFGREAD, p);
		break;
	case MPQEMU_BAR_WRITE:
	case MPQEMU_BAR_READ:
		val = proxy_bar(fe, c, cmd == MPQEMU_BAR_READ, p);
		break;
	case MPQEMU_DEVICE_RESET:
		proxy_device_reset(fe);
		break;
	}
	return conn_reply(c, val);
}

/* Adds the fds of an SCM_RIGHTS message; anything beyond the limit is closed. */
static void conn_take_fds(struct proxy_conn *c, struct msghdr *mh)
{
	struct cmsghdr *cm;

	if (mh->msg_flags & MSG_CTRUNC)
		c->fds_lost = true;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (c->nfds < MPQEMU_MAX_FDS) {
				c->fds[c->nfds++] = fd;
			} else {
				close(fd);
				c->fds_lost = true;
			}
		}
	}
}

/* Reads the header; fds ride on its first byte.  Bytes read or -errno/0. */
static ssize_t conn_recv_header(struct proxy_conn *c)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MPQEMU_MAX_FDS)];
	} cbuf;
	struct iovec iov = {c->buf + c->have, MPQEMU_HDR_SIZE - c->have};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n = recvmsg(c->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -errno;
	conn_take_fds(c, &mh);
	return n;
}

static int conn_parse_header(struct proxy_conn *c)
{
	memcpy(&c->size, c->buf + MPQEMU_HDR_LEN, sizeof(c->size));
	if (c->size <= MPQEMU_MAX_PAYLOAD)
		return 0;
	/* The stream cannot be resynchronised without a trustworthy length. */
	pr_err("%s: message of %" PRIu64 " bytes (limit %d), dropping the connection\n",
	       c->dev->name, c->size, MPQEMU_MAX_PAYLOAD);
	return -EPROTO;
}

/*
 * Reads and serves complete messages; -errno to drop the connection.
 *
 * After a reply the guest's next access usually follows within tens of
 * microseconds (unlock, unlock, reload; a driver polling a register), so the
 * socket is polled for PROXY_SPIN_NS more before going back to poll(2):
 * that saves a sleep and a cross-CPU wake-up per access (bench_proxy).  Only
 * with more than one CPU, and at most PROXY_BATCH messages per call, so
 * signals, QMP and other devices are never starved by a busy guest.
 */
static int conn_readable(struct qemu_fe *fe, struct proxy_conn *c)
{
	uint64_t spin_until = 0;
	int served = 0;

	for (;;) {
		size_t want = c->have < MPQEMU_HDR_SIZE ? MPQEMU_HDR_SIZE - c->have
							: MPQEMU_HDR_SIZE + c->size - c->have;
		ssize_t n;
		int rc;

		if (c->have >= MPQEMU_HDR_SIZE && want == 0) {
			rc = conn_message(fe, c);
			conn_close_fds(c);
			c->have = 0;
			if (rc)
				return rc;
			if (++served == PROXY_BATCH)
				return 0;
			spin_until = fe->spin_ns ? mono_ns() + fe->spin_ns : 0;
			continue;
		}
		if (c->have < MPQEMU_HDR_SIZE)
			n = conn_recv_header(c);
		else if ((n = recv(c->sock, c->buf + c->have, want, MSG_DONTWAIT)) < 0)
			n = -errno;
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (c->have == 0 && spin_until && mono_ns() < spin_until)
				continue;
			return 0;
		}
		if (n <= 0)
			return n ? (int)n : -EPIPE;
		c->have += (size_t)n;
		if (c->have == MPQEMU_HDR_SIZE && (rc = conn_parse_header(c)))
			return rc;
	}
}

/* -- set-up ----------------------------------------------------------------- */

static int conns_create(struct qemu_fe *fe)
{
	for (int s = 0; s < PCI_MAX_SLOTS; s++) {
		for (int f = 0; f < PCI_MAX_FUNCS; f++) {
			struct pci_vdev *dev = pci_get_vdev(0, s, f);
			struct proxy_conn *c;
			int sv[2];

			if (!dev)
				continue;
			if (s == 0) {
				/* QEMU's own host bridge sits at 0:0.0. */
				if (f != 0 || strcmp(dev->dev_ops->class_name, "hostbridge"))
					pr_warn("%s: slot 0 is QEMU's; not exposed\n", dev->name);
				continue;
			}
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
				return -errno;
			c = &fe->conns[fe->nconns++];
			c->dev = dev;
			c->sock = sv[0];
			c->peer = sv[1];
			if (fcntl(c->sock, F_SETFL, O_NONBLOCK))
				return -errno;
		}
	}
	return 0;
}

static bool slot_has_more_functions(int slot)
{
	for (int f = 1; f < PCI_MAX_FUNCS; f++)
		if (pci_get_vdev(0, slot, f))
			return true;
	return false;
}

/*
 * Guest RAM.  x-pci-proxy-dev sends every memory-map change to us with one fd
 * per RAM region (SYNC_SYSMEM); RAM that is not backed by an fd makes QEMU print
 * "Unable to write to socket: Bad file descriptor" at each change.  Unless the
 * user's command line chose a backend itself, wdt-dm backs RAM with a shareable
 * memfd of -m's size (QEMU's default 128 MiB), as launch_uos.sh does by hand.
 */
#define QEMU_RAM_ID "wdtdm-ram"
#define QEMU_DEFAULT_RAM (128ULL << 20)
#define QEMU_RAM_ALIGN 8192ULL  /* QEMU rounds -m up to this */

/*
 * QEMU's -m value ("256", "1G", "size=512M,slots=2,maxmem=4G") in bytes, rounded
 * up as QEMU rounds it; 0 if not understood (or above guest_ram.h's limit).
 */
static uint64_t qemu_ram_bytes(const char *v)
{
	const char *s = v;
	uint64_t bytes;

	/* The first item may be the size itself; otherwise the size= key names it. */
	if (strcspn(v, "=") < strcspn(v, ",")) {
		s = strncmp(v, "size=", 5) ? strstr(v, ",size=") : v - 1;
		if (!s)
			return 0;
		s += 6;
	}
	if (guest_ram_parse_size(s, &bytes))
		return 0;
	return (bytes + QEMU_RAM_ALIGN - 1) & ~(QEMU_RAM_ALIGN - 1);
}

/* Bytes of the memfd to add, or 0 when the user chose RAM's backing or -m is not understood. */
static uint64_t qemu_auto_ram(const struct dm_options *o)
{
	uint64_t bytes = QEMU_DEFAULT_RAM;

	for (int i = 1; i < o->qemu_argc; i++) {
		const char *a = o->qemu_argv[i];

		if (strstr(a, "memory-backend") || strstr(a, "memdev=") || !strcmp(a, "-mem-path"))
			return 0;
		if (!strcmp(a, "-m") && i + 1 < o->qemu_argc)
			bytes = qemu_ram_bytes(o->qemu_argv[i + 1]);
	}
	return bytes;
}

/* The user's QEMU command line plus our RAM backend, devices and monitor; NULL on ENOMEM. */
static char **qemu_build_argv(struct qemu_fe *fe, const struct dm_options *o)
{
	int n = o->qemu_argc, max = o->qemu_argc + 2 * fe->nconns + 9;
	char **argv = calloc((size_t)max, sizeof(*argv));
	uint64_t ram = qemu_auto_ram(o);

	if (!argv)
		return NULL;
	for (int i = 0; i < o->qemu_argc; i++)
		argv[i] = strdup(o->qemu_argv[i]);
	if (ram) {
		argv[n++] = strdup("-object");
		if (asprintf(&argv[n++], "memory-backend-memfd,id=" QEMU_RAM_ID ",size=%" PRIu64
			     ",share=on", ram) < 0)
			argv[n - 1] = NULL;
		argv[n++] = strdup("-machine");
		argv[n++] = strdup("memory-backend=" QEMU_RAM_ID);
	}
	for (int i = 0; i < fe->nconns; i++) {
		struct pci_vdev *d = fe->conns[i].dev;
		bool mf = d->func == 0 && slot_has_more_functions(d->slot);

		argv[n++] = strdup("-device");
		if (asprintf(&argv[n++], "x-pci-proxy-dev,id=wdtdm%x.%x,fd=%d,addr=%x.%x%s",
			     d->slot, d->func, fe->conns[i].peer, d->slot, d->func,
			     mf ? ",multifunction=on" : "") < 0)
			argv[n - 1] = NULL;
	}
	argv[n++] = strdup("-chardev");
	if (asprintf(&argv[n++], "socket,id=wdtdm-qmp,fd=%d", fe->qmp_peer) < 0)
		argv[n - 1] = NULL;
	argv[n++] = strdup("-mon");
	argv[n++] = strdup("chardev=wdtdm-qmp,mode=control");
	for (int i = 0; i < n; i++) {
		if (!argv[i]) {
			for (int j = 0; j < n; j++)
				free(argv[j]);
			free(argv);
			return NULL;
		}
	}
	return argv;
}

static void free_argv(char **argv)
{
	for (int i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static void log_argv(char **argv)
{
	char line[2048];
	size_t len = 0;

	line[0] = '\0';
	for (int i = 0; argv[i] && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "",
					argv[i]);
	pr_info("starting: %s\n", line);
}

/* In the child: only QEMU's ends stay open across exec. */
static void __attribute__((noreturn)) qemu_child(struct qemu_fe *fe, char **argv, pid_t parent)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* If wdt-dm dies, even by SIGKILL, QEMU must not outlive it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
		_exit(126);
	for (int i = 0; i < fe->nconns; i++)
		fcntl(fe->conns[i].peer, F_SETFD, 0);
	fcntl(fe->qmp_peer, F_SETFD, 0);
	execvp(argv[0], argv);
	fprintf(stderr, "wdt-dm: cannot execute %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int qemu_spawn(struct qemu_fe *fe, const struct dm_options *o)
{
	char **argv = qemu_build_argv(fe, o);
	pid_t parent = getpid();

	if (!argv)
		return -ENOMEM;
	log_argv(argv);
	fflush(NULL);
	fe->pid = fork();
	if (fe->pid == 0)
		qemu_child(fe, argv, parent);
	free_argv(argv);
	if (fe->pid < 0)
		return -errno;
	for (int i = 0; i < fe->nconns; i++)
		close_fd(&fe->conns[i].peer);
	close_fd(&fe->qmp_peer);
	return 0;
}

static int qemu_fe_open(struct qemu_fe *fe, struct vmctx *ctx)
{
	sigset_t set;
	int sv[2], rc;

	fe->ctx = ctx;
	fe->spin_ns = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? PROXY_SPIN_NS : 0;
	fe->reset_armed = true;
	fe->reset_reason = "power-on";
	for (int i = 0; i < PROXY_MAX_DEVS; i++) {
		struct proxy_conn *c = &fe->conns[i];

		c->sock = c->peer = -1;
		c->irqfd[0] = c->irqfd[1] = -1;
		rc = pthread_mutex_init(&c->irq_lock, NULL);
		if (rc)
			return -rc;
	}
	rc = pthread_mutex_init(&fe->ev_lock, NULL);
	if (rc)
		return -rc;
	rc = conns_create(fe);
	if (rc)
		return rc;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fe->qmp = sv[0];
	fe->qmp_peer = sv[1];
	fe->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fe->evfd < 0)
		return -errno;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&set, stop_signals[i]);
	sigaddset(&set, SIGCHLD);
	fe->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fe->sigfd < 0)
		return -errno;
	ctx->fe_data = fe;
	ctx->fe = &qemu_fe_ops;
	qmp_set_vm_ops(&(struct qmp_vm_ops){.vm = qemu_monitor_vm, .arg = fe});
	return 0;
}

static void qemu_fe_close(struct qemu_fe *fe)
{
	qmp_set_vm_ops(NULL);
	fe->ctx->fe = NULL;
	for (int i = 0; i < PROXY_MAX_DEVS; i++) {
		conn_close(&fe->conns[i]);
		pthread_mutex_destroy(&fe->conns[i].irq_lock);
	}
	pthread_mutex_lock(&fe->ev_lock);
	close_fd(&fe->evfd);
	pthread_mutex_unlock(&fe->ev_lock);
	pthread_mutex_destroy(&fe->ev_lock);
	close_fd(&fe->qmp);
	close_fd(&fe->qmp_peer);
	close_fd(&fe->sigfd);
}

/* -- the loop ---------------------------------------------------------------- */

static void qemu_reap(struct qemu_fe *fe)
{
	int st;
	pid_t p;

	while ((p = waitpid(fe->pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (p != fe->pid)
		return;
	fe->exited = true;
	if (WIFEXITED(st))
		fe->status = WEXITSTATUS(st);
	else
		fe->status = 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	pr_info("QEMU exited with status %d\n", fe->status);
}

/* SIGINT/SIGTERM/SIGHUP: QMP quit, then SIGTERM, then SIGKILL. */
static void qemu_stop_step(struct qemu_fe *fe)
{
	fe->stop_stage++;
	fe->stop_deadline = mono_ns() + STOP_GRACE_NS;
	switch (fe->stop_stage) {
	case 1:
		if (fe->qmp >= 0 && fe->qmp_ready) {
			qmp_send(fe, "quit");
			break;
		}
		fe->stop_stage++;
		__attribute__((fallthrough)); /* no monitor to ask */
	case 2:
		pr_notice("stopping QEMU (SIGTERM)\n");
		kill(fe->pid, SIGTERM);
		break;
	default:
		pr_warn("QEMU does not stop, SIGKILL\n");
		kill(fe->pid, SIGKILL);
		fe->stop_deadline = UINT64_MAX;
		break;
	}
}

static void signals_readable(struct qemu_fe *fe)
{
	struct signalfd_siginfo si;

	while (read(fe->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			continue; /* reaped below */
		if (!fe->stop_signal) {
			pr_notice("signal %u: stopping QEMU\n", si.ssi_signo);
			fe->stop_signal = (int)si.ssi_signo;
			qemu_stop_step(fe);
		}
	}
	qemu_reap(fe);
}

static int poll_timeout_ms(const struct qemu_fe *fe)
{
	uint64_t now;

	if (!fe->stop_stage || fe->stop_deadline == UINT64_MAX)
		return POLL_IDLE_MS;
	now = mono_ns();
	if (now >= fe->stop_deadline)
		return 0;
	return (int)((fe->stop_deadline - now) / NS_PER_MS) + 1;
}

enum { PFD_SIG, PFD_EV, PFD_QMP, PFD_CONNS };

static void qemu_loop(struct qemu_fe *fe)
{
	struct pollfd pfd[PFD_CONNS + PROXY_MAX_DEVS];

	while (!fe->exited) {
		int n, rc;

		pfd[PFD_SIG] = (struct pollfd){fe->sigfd, POLLIN, 0};
		pfd[PFD_EV] = (struct pollfd){fe->evfd, POLLIN, 0};
		pfd[PFD_QMP] = (struct pollfd){
			fe->qmp, (short)(POLLIN | (fe->qout_len ? POLLOUT : 0)), 0};
		for (int i = 0; i < fe->nconns; i++)
			pfd[PFD_CONNS + i] = (struct pollfd){fe->conns[i].sock, POLLIN, 0};
		n = poll(pfd, (nfds_t)(PFD_CONNS + fe->nconns), poll_timeout_ms(fe));
		if (n < 0 && errno != EINTR) {
			pr_err("poll: %s\n", strerror(errno));
			break;
		}
		/* QMP first: a RESET event must be seen before the next DEVICE_RESET. */
		if (fe->qmp >= 0 && (pfd[PFD_QMP].revents & POLLOUT))
			qmp_flush(fe);
		if (fe->qmp >= 0 && (pfd[PFD_QMP].revents & (POLLIN | POLLHUP | POLLERR)))
			qmp_readable(fe);
		for (int i = 0; i < fe->nconns; i++) {
			struct proxy_conn *c = &fe->conns[i];
			short ev = pfd[PFD_CONNS + i].revents;

			if (c->sock < 0 || !(ev & (POLLIN | POLLHUP | POLLERR)))
				continue;
			rc = conn_readable(fe, c);
			if (rc) {
				if (rc == -EPIPE)
					pr_info("%s: QEMU closed the connection\n", c->dev->name);
				else
					pr_err("%s: connection dropped (%s)\n", c->dev->name,
					       strerror(-rc));
				conn_close(c);
			}
		}
		if (pfd[PFD_EV].revents & POLLIN)
			actions_readable(fe);
		if (n == 0 || (pfd[PFD_SIG].revents & POLLIN))
			signals_readable(fe);
		if (!fe->exited && fe->stop_stage && mono_ns() >= fe->stop_deadline)
			qemu_stop_step(fe);
	}
}

/* Makes sure QEMU is gone before we return (loop left early). */
static void qemu_ensure_dead(struct qemu_fe *fe)
{
	int st;

	if (fe->pid <= 0 || fe->exited)
		return;
	kill(fe->pid, SIGKILL);
	while (waitpid(fe->pid, &st, 0) < 0 && errno == EINTR)
		;
	fe->exited = true;
	fe->status = 1;
}

/* -- the front end ------------------------------------------------------------ */

static bool qemu_selected(const struct dm_options *o)
{
	return o->qemu_argv != NULL;
}

/* -smp N or -smp cpus=N,...: the vCPU count for guest-time sources. */
static int qemu_smp(const struct dm_options *o)
{
	for (int i = 0; i + 1 < o->qemu_argc; i++) {
		const char *v = o->qemu_argv[i + 1], *c;

		if (strcmp(o->qemu_argv[i], "-smp"))
			continue;
		c = strstr(v, "cpus=");
		v = c ? c + 5 : v;
		if (isdigit((unsigned char)*v))
			return atoi(v);
	}
	return 1;
}

/* Whether the QEMU options ask for KVM; without it QEMU runs TCG vCPU threads. */
static bool qemu_wants_kvm(const struct dm_options *o)
{
	for (int i = 0; i < o->qemu_argc; i++) {
		const char *a = o->qemu_argv[i], *v = i + 1 < o->qemu_argc ? o->qemu_argv[i + 1] : "";

		if (strcmp(a, "-enable-kvm") == 0 || strcmp(a, "--enable-kvm") == 0)
			return true;
		if ((strcmp(a, "-accel") == 0 || strcmp(a, "--accel") == 0) &&
		    strncmp(v, "kvm", 3) == 0)
			return true;
		if ((strcmp(a, "-machine") == 0 || strcmp(a, "-M") == 0) && strstr(v, "accel=") &&
		    strstr(strstr(v, "accel="), "kvm"))
			return true;
	}
	return false;
}

static bool qemu_kvm; /* set by prepare */

static bool qemu_no_guest_time(void)
{
	return !qemu_kvm;
}

/* Slot 0 is QEMU's own host bridge: a device put there would never be seen. */
static int qemu_check_slot0(void)
{
	for (int f = 0; f < PCI_MAX_FUNCS; f++) {
		const char *emul = pci_slot_emul(0, f);

		if (!emul || (f == 0 && strcmp(emul, "hostbridge") == 0))
			continue;
		fprintf(stderr, "wdt-dm: -s 0:%d,%s: slot 0 is QEMU's host bridge; use slots "
				"1..31 with the QEMU front end\n", f, emul);
		return -EINVAL;
	}
	return 0;
}

static int qemu_prepare(struct vmctx *ctx, const struct dm_options *o)
{
	sigset_t set;
	int smp = qemu_smp(o);
	int rc;

	if (!o->qemu_argc || !o->qemu_argv[0] || !o->qemu_argv[0][0]) {
		fprintf(stderr, "wdt-dm: no QEMU command after --\n");
		return -EINVAL;
	}
	rc = qemu_check_slot0();
	if (rc)
		return rc;
	qemu_kvm = qemu_wants_kvm(o);
	if (smp >= 1 && smp <= VM_MAX_VCPUS)
		ctx->vcpu_num = smp;
	/*
	 * Block the signals we read from a signalfd before any thread exists
	 * (the timer thread is created after prepare and inherits the mask).
	 */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&set, stop_signals[i]);
	sigaddset(&set, SIGCHLD);
	rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc)
		return -rc;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int qemu_run(struct vmctx *ctx, const struct dm_options *o)
{
	struct qemu_fe *fe = &qfe;
	int rc;

	/* Said here, once the devices are up: a bad --vcpu-stall is then one line alone. */
	if (o->stall_opts)
		pr_warn("--vcpu-stall is platform MMIO, which x-pci-proxy-dev does not forward: "
			"a QEMU guest cannot reach it\n");
	rc = qemu_fe_open(fe, ctx);
	if (!rc)
		rc = qemu_spawn(fe, o);
	if (rc) {
		pr_err("cannot start QEMU: %s\n", strerror(-rc));
		qemu_fe_close(fe);
		return 1;
	}
	/* Requests queued while devices were created. */
	qemu_action_pending(ctx);
	qemu_loop(fe);
	qemu_ensure_dead(fe);
	qemu_fe_close(fe);
	if (fe->stop_signal)
		return 128 + fe->stop_signal;
	return fe->status;
}

static const struct dm_frontend qemu_frontend = {
	.name = "qemu",
	.clock = VM_CLOCK_REALTIME,
	.preassign_bars = false,
	.stall_clock = "cputime",
	.selected = qemu_selected,
	.prepare = qemu_prepare,
	.no_guest_time = qemu_no_guest_time,
	.run = qemu_run,
};
DEFINE_FRONTEND(qemu_frontend);
