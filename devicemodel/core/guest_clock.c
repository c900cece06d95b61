/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Guest-time sources of the vCPU stall detector (docs/device.rst §2.2 "Guest-time
 * sources", docs/design.rst §2 core/guest_clock.c).  A vCPU's guest time is the
 * time it really ran; the stall detector measures its budget in it so that a
 * vCPU the host starves is never reported as stalled.
 *
 * procfs reads field 43 (guest_time) and cputime fields 14 + 15 (utime +
 * stime) of /proc/<pid>/task/<tid>/stat.  The file stays open and is pread()
 * from offset 0 on every read: procfs regenerates the text on each read, and
 * this saves the open/close crosvm pays per check.  The line is parsed after
 * its LAST ')' because the thread name (field 2) may contain spaces and ')'.
 *
 * cputime of a thread of *this* process (the sim front end) uses the thread's
 * CPU-time clock instead: clock_gettime() on it is exact to the ns where the
 * stat file counts 10 ms ticks, and needs no parsing.  The kernel only serves
 * thread CPU clocks within the caller's thread group, so other processes' vCPU
 * threads always go through the stat file.  A thread that exited makes that
 * clock fail with EINVAL, reported as -ESRCH like a vanished stat file.
 *
 * procfs guest time only advances for KVM vCPU threads: for any other thread
 * (plain threads, QEMU's TCG vCPUs) field 43 stays put forever.  So every
 * procfs read also takes the thread's CPU time (utime + stime, same line): a
 * guest time that has not moved since the first read while the thread burnt
 * GUEST_CLOCK_STUCK_CPU_NS of CPU is reported as -ENODATA from then on, for
 * the caller to stop trusting it instead of never detecting anything.
 *
 * monotonic is the VM clock (CLOCK_MONOTONIC minus paused time); virtual is
 * the VM clock scaled per vCPU by a rate that tests and scripts set, so they
 * can model a host-starved (rate 0) or half-speed vCPU deterministically.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm_util.h"
#include "guest_clock.h"
#include "vm_clock.h"

#define STAT_FIELD_STATE 3
#define STAT_FIELD_UTIME 14
#define STAT_FIELD_STIME 15
#define STAT_FIELD_GUEST_TIME 43
/* A stat line is ~300 bytes with a 64-byte name; leave ample room. */
#define STAT_BUF_SIZE 1024

/* Linux ABI (include/linux/posix-timers.h): per-thread CPU clock of tid. */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_SCHED 2
#define THREAD_CPUCLOCK(tid) ((clockid_t)((~(unsigned int)(tid)) << 3) | \
			      CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED)

static const char *const kind_names[] = {
	[GUEST_CLOCK_PROCFS] = "procfs",
	[GUEST_CLOCK_CPUTIME] = "cputime",
	[GUEST_CLOCK_MONOTONIC] = "monotonic",
	[GUEST_CLOCK_VIRTUAL] = "virtual",
};

/* Where the stat files live: /proc, or a directory a test fills (injected source). */
static const char *proc_root = "/proc";

/* The virtual clock's per-vCPU state: guest = acc + (now - since) * rate. */
static struct {
	pthread_mutex_t lock;
	bool ready;
	uint32_t rate[GUEST_CLOCK_MAX_VCPUS];
	uint64_t acc_ns[GUEST_CLOCK_MAX_VCPUS];
	uint64_t since_ns[GUEST_CLOCK_MAX_VCPUS];
} virt = {.lock = PTHREAD_MUTEX_INITIALIZER};

int guest_clock_kind_parse(const char *s, enum guest_clock_kind *out)
{
	for (size_t i = 0; s && i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum guest_clock_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *guest_clock_kind_name(enum guest_clock_kind kind)
{
	if ((unsigned int)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

void guest_clock_set_proc_root(const char *root)
{
	__atomic_store_n(&proc_root, root ? root : "/proc", __ATOMIC_RELAXED);
}

/* ---- stat line parsing ---- */

/* Strict unsigned decimal of exactly len bytes; no sign, no overflow. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static bool stat_space(char c)
{
	return c == ' ' || c == '\n';
}

/* Walk the fields after the name; fill state/utime/stime/guest_time up to last. */
static int stat_fields(const char *p, const char *end, int last, char *state, uint64_t *val)
{
	for (int field = STAT_FIELD_STATE; field <= last; field++) {
		const char *tok;
		int rc;

		while (p < end && stat_space(*p))
			p++;
		tok = p;
		while (p < end && !stat_space(*p))
			p++;
		if (p == tok)
			return -EINVAL; /* short line */
		if (field == STAT_FIELD_STATE) {
			*state = *tok;
			continue;
		}
		if (field != STAT_FIELD_UTIME && field != STAT_FIELD_STIME &&
		    field != STAT_FIELD_GUEST_TIME)
			continue;
		rc = parse_u64(tok, (size_t)(p - tok), &val[field]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The kind's ticks, and the thread's CPU ticks (utime + stime) beside them. */
static int parse_stat_cpu(const char *buf, size_t len, enum guest_clock_kind kind,
			  uint64_t *ticks, uint64_t *cpu_ticks)
{
	uint64_t val[STAT_FIELD_GUEST_TIME + 1] = {0};
	const char *paren;
	char state = 0;
	int last, rc;

	if (!buf || (kind != GUEST_CLOCK_PROCFS && kind != GUEST_CLOCK_CPUTIME))
		return -EINVAL;
	paren = memrchr(buf, ')', len);
	/* "pid (" must precede the name; ")" must be followed by a separator. */
	if (!paren || !memchr(buf, '(', (size_t)(paren - buf)))
		return -EINVAL;
	if (paren + 1 >= buf + len || !stat_space(paren[1]))
		return -EINVAL;
	last = kind == GUEST_CLOCK_PROCFS ? STAT_FIELD_GUEST_TIME : STAT_FIELD_STIME;
	rc = stat_fields(paren + 1, buf + len, last, &state, val);
	if (rc)
		return rc;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	if (val[STAT_FIELD_UTIME] > UINT64_MAX - val[STAT_FIELD_STIME])
		return -EINVAL;
	*cpu_ticks = val[STAT_FIELD_UTIME] + val[STAT_FIELD_STIME];
	*ticks = kind == GUEST_CLOCK_PROCFS ? val[STAT_FIELD_GUEST_TIME] : *cpu_ticks;
	return 0;
}

int guest_clock_parse_stat(const char *buf, size_t len, enum guest_clock_kind kind,
			   uint64_t *ticks)
{
	uint64_t cpu;

	return parse_stat_cpu(buf, len, kind, ticks, &cpu);
}

/* ---- the stat file ---- */

/* A thread that is gone shows as ENOENT on open and ESRCH on read. */
static int gone_errno(int err)
{
	return (err == ENOENT || err == ESRCH) ? -ESRCH : -err;
}

static int stat_open(struct guest_clock *gc)
{
	gc->fd = open(gc->path, O_RDONLY | O_CLOEXEC);
	if (gc->fd < 0)
		return gone_errno(errno);
	return 0;
}

static int stat_read_ticks(struct guest_clock *gc, uint64_t *ticks, uint64_t *cpu_ticks)
{
	char buf[STAT_BUF_SIZE];
	ssize_t n;
	int rc;

	do {
		n = pread(gc->fd, buf, sizeof(buf), 0);
	} while (n < 0 && errno == EINTR);
	rc = n < 0 ? gone_errno(errno) : 0;
	if (rc)
		return rc;
	if (n == 0)
		return -ESRCH; /* an empty stat file: the task is being released */
	return parse_stat_cpu(buf, (size_t)n, gc->kind, ticks, cpu_ticks);
}

/*
 * procfs: has the guest time stood still since the first read while the
 * thread burnt GUEST_CLOCK_STUCK_CPU_NS of CPU?  Once it moved, never asked again.
 */
static bool stat_guest_time_stuck(struct guest_clock *gc, uint64_t guest, uint64_t cpu_ns)
{
	if (gc->kind != GUEST_CLOCK_PROCFS || gc->guest_moved)
		return false;
	if (!gc->have_first) {
		gc->have_first = true;
		gc->first_guest_ticks = guest;
		gc->first_cpu_ns = cpu_ns;
		return false;
	}
	if (guest != gc->first_guest_ticks) {
		gc->guest_moved = true;
		return false;
	}
	return cpu_ns >= gc->first_cpu_ns && cpu_ns - gc->first_cpu_ns >= GUEST_CLOCK_STUCK_CPU_NS;
}

static int stat_read_ns(struct guest_clock *gc, uint64_t *ns)
{
	uint64_t ticks, cpu_ticks;
	int rc;

	if (gc->stuck)
		return -ENODATA;
	rc = stat_read_ticks(gc, &ticks, &cpu_ticks);
	if (rc)
		return rc;
	if (ticks > UINT64_MAX / gc->ns_per_tick || cpu_ticks > UINT64_MAX / gc->ns_per_tick)
		return -EINVAL;
	if (stat_guest_time_stuck(gc, ticks, cpu_ticks * gc->ns_per_tick)) {
		gc->stuck = true;
		return -ENODATA;
	}
	*ns = ticks * gc->ns_per_tick;
	return 0;
}

static int cpuclock_read_ns(struct guest_clock *gc, uint64_t *ns)
{
	struct timespec ts;

	if (clock_gettime(gc->cpuclock, &ts) != 0)
		return errno == EINVAL ? -ESRCH : -errno;
	*ns = timespec_to_ns(&ts);
	return 0;
}

/* ---- the virtual clock ---- */

static void virt_ready_locked(void)
{
	uint64_t now = vm_clock_now_ns();

	if (virt.ready)
		return;
	for (int i = 0; i < GUEST_CLOCK_MAX_VCPUS; i++) {
		virt.rate[i] = GUEST_CLOCK_RATE_FULL;
		virt.acc_ns[i] = 0;
		virt.since_ns[i] = now;
	}
	virt.ready = true;
}

/* Fold the time since the last rate change into acc (caller holds the lock). */
static uint64_t virt_now_locked(int vcpu)
{
	uint64_t now = vm_clock_now_ns();
	unsigned __int128 run;

	virt_ready_locked();
	/* The VM clock restarts from 0 when the timer core is re-initialised. */
	if (now < virt.since_ns[vcpu])
		virt.since_ns[vcpu] = now;
	run = (unsigned __int128)(now - virt.since_ns[vcpu]) * virt.rate[vcpu];
	virt.acc_ns[vcpu] += (uint64_t)(run / GUEST_CLOCK_RATE_FULL);
	/* Keep the remainder: advance since only by the VM time fully accounted. */
	if (virt.rate[vcpu])
		virt.since_ns[vcpu] = now - (uint64_t)((run % GUEST_CLOCK_RATE_FULL) /
						       virt.rate[vcpu]);
	else
		virt.since_ns[vcpu] = now;
	return virt.acc_ns[vcpu];
}

int guest_clock_virtual_set_rate(int vcpu, uint32_t rate_ppm)
{
	if (vcpu < 0 || vcpu >= GUEST_CLOCK_MAX_VCPUS || rate_ppm > GUEST_CLOCK_RATE_FULL)
		return -EINVAL;
	dm_mutex_lock(&virt.lock);
	virt_now_locked(vcpu);
	virt.since_ns[vcpu] = vm_clock_now_ns();
	virt.rate[vcpu] = rate_ppm;
	dm_mutex_unlock(&virt.lock);
	return 0;
}

void guest_clock_virtual_reset(void)
{
	dm_mutex_lock(&virt.lock);
	virt.ready = false;
	virt_ready_locked();
	dm_mutex_unlock(&virt.lock);
}

static uint64_t virt_read_ns(int vcpu)
{
	uint64_t ns;

	dm_mutex_lock(&virt.lock);
	ns = virt_now_locked(vcpu);
	dm_mutex_unlock(&virt.lock);
	return ns;
}

/* ---- the interface ---- */

static int open_thread_clock(struct guest_clock *gc)
{
	struct timespec ts;
	long hz;

	if (gc->tid <= 0)
		return -ESRCH;
	hz = sysconf(_SC_CLK_TCK);
	gc->ns_per_tick = hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL;
	if (gc->kind == GUEST_CLOCK_CPUTIME && gc->pid == getpid()) {
		gc->cpuclock = THREAD_CPUCLOCK(gc->tid);
		if (clock_gettime(gc->cpuclock, &ts) == 0) {
			gc->use_cpuclock = true;
			return 0;
		}
		/* not one of our threads after all: fall back to its stat file */
	}
	if (snprintf(gc->path, sizeof(gc->path), "%s/%d/task/%d/stat",
		     __atomic_load_n(&proc_root, __ATOMIC_RELAXED), (int)gc->pid,
		     (int)gc->tid) >= (int)sizeof(gc->path))
		return -ENAMETOOLONG;
	return stat_open(gc);
}

int guest_clock_open(struct guest_clock *gc, enum guest_clock_kind kind, int vcpu, pid_t pid,
		     pid_t tid)
{
	int rc = 0;

	memset(gc, 0, sizeof(*gc));
	gc->fd = -1;
	gc->kind = kind;
	gc->vcpu = vcpu;
	gc->pid = pid > 0 ? pid : getpid();
	gc->tid = tid;
	gc->ns_per_tick = 1;
	switch (kind) {
	case GUEST_CLOCK_PROCFS:
	case GUEST_CLOCK_CPUTIME:
		rc = open_thread_clock(gc);
		break;
	case GUEST_CLOCK_MONOTONIC:
		break;
	case GUEST_CLOCK_VIRTUAL:
		if (vcpu < 0 || vcpu >= GUEST_CLOCK_MAX_VCPUS)
			rc = -EINVAL;
		break;
	default:
		rc = -EINVAL;
	}
	if (rc)
		guest_clock_close(gc);
	return rc;
}

int guest_clock_read(struct guest_clock *gc, uint64_t *ns)
{
	switch (gc->kind) {
	case GUEST_CLOCK_PROCFS:
	case GUEST_CLOCK_CPUTIME:
		if (gc->use_cpuclock)
			return cpuclock_read_ns(gc, ns);
		if (gc->fd < 0)
			return -EBADF;
		return stat_read_ns(gc, ns);
	case GUEST_CLOCK_MONOTONIC:
		*ns = vm_clock_now_ns();
		return 0;
	case GUEST_CLOCK_VIRTUAL:
		if (gc->vcpu < 0 || gc->vcpu >= GUEST_CLOCK_MAX_VCPUS)
			return -EINVAL;
		*ns = virt_read_ns(gc->vcpu);
		return 0;
	}
	return -EINVAL;
}

void guest_clock_close(struct guest_clock *gc)
{
	if (gc->fd >= 0)
		close(gc->fd);
	gc->fd = -1;
	gc->use_cpuclock = false;
}

uint64_t guest_clock_resolution_ns(const struct guest_clock *gc)
{
	if ((gc->kind == GUEST_CLOCK_PROCFS || gc->kind == GUEST_CLOCK_CPUTIME) &&
	    !gc->use_cpuclock)
		return gc->ns_per_tick;
	return 1;
}
