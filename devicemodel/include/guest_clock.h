/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Per-vCPU guest-time sources for the vCPU stall detector (docs/device.rst §2.2,
 * docs/design.rst §2 core/guest_clock.c; wdt-dm extension, ACRN has no such header).
 * "Guest time" is the time a vCPU actually ran: it never advances faster than
 * VM time, and stops while the vCPU thread is not running.
 *
 *   procfs     field 43 (guest_time) of /proc/<pid>/task/<tid>/stat (KVM VMMs)
 *   cputime    utime + stime of that thread (TCG, simulated vCPUs); for a thread
 *              of this process the thread's CPU clock (ns) is used instead
 *   monotonic  VM time: CLOCK_MONOTONIC minus paused time (dedicated pCPUs)
 *   virtual    VM time x a per-vCPU rate set by tests or scripts (qtest clock)
 *
 * The stat file is opened once and pread() on every read.  A thread that is
 * gone reads as -ESRCH; the caller stops detection for that vCPU only.  A
 * procfs guest time that stands still while its thread burns CPU (not a KVM
 * vCPU: a plain thread, QEMU's TCG vCPUs) reads as -ENODATA, likewise.
 */
#ifndef _GUEST_CLOCK_H_
#define _GUEST_CLOCK_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum guest_clock_kind {
	GUEST_CLOCK_PROCFS,
	GUEST_CLOCK_CPUTIME,
	GUEST_CLOCK_MONOTONIC,
	GUEST_CLOCK_VIRTUAL,
};

#define GUEST_CLOCK_MAX_VCPUS 256
/* Virtual-clock rate in parts per million of VM time; never above full speed. */
#define GUEST_CLOCK_RATE_FULL 1000000U

/*
 * procfs: CPU time (utime + stime) a thread may burn with its guest time
 * standing still before the clock is declared unable to advance (-ENODATA).
 * A KVM vCPU that runs at all gains guest time within a few ticks; 1 s is
 * 100 ticks at the usual 100 Hz, far above the noise of tick accounting.
 */
#define GUEST_CLOCK_STUCK_CPU_NS 1000000000ULL

struct guest_clock {
	enum guest_clock_kind kind;
	int vcpu;             /* virtual: index into the rate table */
	pid_t pid, tid;       /* procfs/cputime: the vCPU thread */
	int fd;               /* the open stat file, -1 when none */
	bool use_cpuclock;    /* cputime of a thread of this process */
	clockid_t cpuclock;
	uint64_t ns_per_tick; /* 1e9 / sysconf(_SC_CLK_TCK) */
	char path[128];
	/* procfs: guest time and CPU time at the first read, to see a clock that cannot move */
	bool have_first, guest_moved, stuck;
	uint64_t first_guest_ticks, first_cpu_ns;
};

/* "procfs|cputime|monotonic|virtual" -> kind.  0 or -EINVAL. */
int guest_clock_kind_parse(const char *s, enum guest_clock_kind *out);
const char *guest_clock_kind_name(enum guest_clock_kind kind);

/*
 * pid 0 means this process.  procfs/cputime need tid > 0 (-ESRCH when 0 or
 * when the thread does not exist); virtual needs 0 <= vcpu < 256.
 * 0 or -errno; on error gc is closed (safe to close again).
 */
int guest_clock_open(struct guest_clock *gc, enum guest_clock_kind kind, int vcpu, pid_t pid,
		     pid_t tid);
/*
 * Guest ns.  0, -ESRCH (thread gone), -EINVAL (unparsable stat), -ENODATA
 * (procfs: the guest time cannot advance for this thread; sticky), other -errno.
 */
int guest_clock_read(struct guest_clock *gc, uint64_t *ns);
void guest_clock_close(struct guest_clock *gc);
/* Smallest step the source can show (a clock tick for the stat file). */
uint64_t guest_clock_resolution_ns(const struct guest_clock *gc);

/*
 * Parse a /proc/.../stat line of len bytes (need not be NUL-terminated):
 * fields are counted after the LAST ')' so that names with spaces and
 * parentheses are harmless.  procfs: guest_time ticks (field 43); cputime:
 * utime + stime ticks (fields 14 + 15).  0, -EINVAL (short line, garbage,
 * overflow), -ESRCH (state Z or X: the thread has exited).
 */
int guest_clock_parse_stat(const char *buf, size_t len, enum guest_clock_kind kind,
			   uint64_t *ticks);

/*
 * Where later opens find <pid>/task/<tid>/stat: "/proc" (NULL restores it),
 * or a directory of synthetic stat files (tests).  The string must outlive the
 * clocks opened under it.
 */
void guest_clock_set_proc_root(const char *root);

/* Virtual clock: from now on vCPU vcpu runs at rate_ppm.  0 or -EINVAL. */
int guest_clock_virtual_set_rate(int vcpu, uint32_t rate_ppm);
/* Every vCPU back to full speed with guest time 0 at the current VM time. */
void guest_clock_virtual_reset(void);

#endif /* _GUEST_CLOCK_H_ */
