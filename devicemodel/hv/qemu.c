/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The QEMU front end (docs/design.rst section 7, "qemu"): real Linux guests under
 * Debian 12's QEMU 7.2, TCG or KVM.  `wdt-dm [dm options] -- qemu-system-x86_64
 * [qemu options]` creates one socketpair per PCI device given with -s, appends
 * `-device x-pci-proxy-dev,fd=N,addr=S.F` for each and a QMP monitor on one more
 * socketpair, starts QEMU and serves, in one poll loop, the multi-process proxy
 * protocol (hv/qemu_proxy.c, docs/design.rst section 9) and QEMU's QMP monitor
 * (hv/qemu_qmp.c).  This file supervises the process: QEMU's command line, the
 * spawn, the loop, signals and reaping.  Actions requested through the reboot
 * API (docs/device.rst section 1.5) are carried out over QMP: reset ->
 * system_reset, shutdown -> system_powerdown, poweroff -> quit, pause -> stop,
 * inject-nmi -> inject-nmi; debug/none only have the WATCHDOG event; with
 * dump= the action waits for QEMU's dump of the guest (hv/qemu_dump.c).
 * QEMU exiting ends wdt-dm with QEMU's status;
 * SIGINT/SIGTERM/SIGHUP to wdt-dm stop QEMU (QMP quit, then SIGTERM, then
 * SIGKILL), and QEMU gets SIGTERM if wdt-dm dies.
 */
#define pr_prefix "qemu: "

#include <ctype.h>
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
#include <unistd.h>

#include "dm_util.h"
#include "frontend.h"
#include "guest_ram.h"
#include "log.h"
#include "log_ratelimit.h"
#include "pci_core.h"
#include "plat_dev.h"
#include "qemu_fe.h"
#include "qmp.h"
#include "vm_clock.h"
#include "vmctx.h"

#define STOP_GRACE_NS 3000000000ULL
#define POLL_IDLE_MS 1000
#define NS_PER_MS 1000000ULL

/* Signals that make wdt-dm stop QEMU; read, with SIGCHLD, from a signalfd. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

static struct qemu_fe qfe = {.sigfd = -1, .evfd = -1, .qmp = -1, .qmp_peer = -1};

/* -- front-end hooks (any thread) ------------------------------------------- */

static void qemu_intx(struct vmctx *ctx, struct pci_vdev *dev, int level)
{
	(void)ctx;
	proxy_intx(&qfe, dev, level);
}

static void qemu_action_pending(struct vmctx *ctx)
{
	uint64_t one = 1;

	(void)ctx;
	dm_mutex_lock(&qfe.ev_lock);
	if (qfe.evfd >= 0 && write(qfe.evfd, &one, sizeof(one)) != sizeof(one))
		pr_warn_rl("action eventfd write: %s\n", strerror(errno));
	dm_mutex_unlock(&qfe.ev_lock);
}

static const struct vm_fe_ops qemu_fe_ops = {
	.intx = qemu_intx,
	.action_pending = qemu_action_pending,
};

/* -- actions ---------------------------------------------------------------- */

/* A request's dump first (the action then waits for it), else its action. */
static void qemu_do_action(struct qemu_fe *fe, const struct vm_action_req *r)
{
	if (fe->stop_stage)
		return;
	if (!qemu_dump_start(fe, r))
		qemu_run_action(fe, r);
}

static void actions_readable(struct qemu_fe *fe)
{
	struct vm_action_req r;
	uint64_t n;

	unsigned int host;

	if (read(fe->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		pr_warn("action eventfd read: %s\n", strerror(errno));
	/* While a dump runs, requests wait in the queue: its end wakes us again. */
	while (!qemu_dump_busy(fe) && vm_action_take(fe->ctx, &r))
		qemu_do_action(fe, &r);
	host = __atomic_exchange_n(&fe->host_want, 0, __ATOMIC_ACQ_REL);
	if (host && !fe->stop_stage) {
		if (host & QMP_WANT_RESET)
			fe->reset_reason = "host";
		qmp_request(fe, host);
	}
}

/* wdt-dm's QMP monitor (core/qmp.c): QEMU owns these, so they go to QEMU's monitor. */
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

/* -- set-up ----------------------------------------------------------------- */

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
	fe->reset_armed = true;
	fe->reset_reason = "power-on";
	rc = proxy_conns_init(fe);
	if (rc)
		return rc;
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
	qemu_dump_fini(fe);
	proxy_conns_fini(fe);
	dm_mutex_lock(&fe->ev_lock);
	close_fd(&fe->evfd);
	dm_mutex_unlock(&fe->ev_lock);
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
	uint64_t now = mono_ns();
	int ms = POLL_IDLE_MS, dump = qemu_dump_timeout_ms(fe, now);

	if (fe->stop_stage && fe->stop_deadline != UINT64_MAX)
		ms = now >= fe->stop_deadline ? 0
					      : (int)((fe->stop_deadline - now) / NS_PER_MS) + 1;
	return dump >= 0 && dump < ms ? dump : ms;
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
		qemu_dump_tick(fe, mono_ns());
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
	ctx->guest_time_src = "cputime";
	ctx->vcpus_no_guest_time = !qemu_wants_kvm(o); /* TCG threads run no guest mode */
	ctx->can_dump = true; /* QEMU's dump-guest-memory (hv/qemu_dump.c) */
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

	/* Said here, once the devices are up: a bad device option is then one line alone. */
	for (int i = 0; plat_dev_name(i); i++)
		pr_warn("%s is platform MMIO, which x-pci-proxy-dev does not forward: "
			"a QEMU guest cannot reach it\n", plat_dev_name(i));
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
	.selected = qemu_selected,
	.prepare = qemu_prepare,
	.run = qemu_run,
};
DEFINE_FRONTEND(qemu_frontend);

