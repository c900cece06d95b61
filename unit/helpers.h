/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Helpers shared by several unit/test_*.c files (unit/helpers.c): silencing
 * stderr around calls that are expected to print an error line, and an idle
 * thread of this process that stands in for a vCPU thread and can be made to
 * exit, for the procfs / thread-CPU-clock tests, and a fake /proc whose stat
 * lines the test writes.
 */
#ifndef _UNIT_HELPERS_H_
#define _UNIT_HELPERS_H_

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * Sends stderr to /dev/null until unit_stderr_restore(saved) with the value
 * returned here (a copy of the old stderr, or -1 if none could be taken).
 */
int unit_stderr_mute(void);
/* The same, sending stderr to fd (e.g. a file the test reads back) instead. */
int unit_stderr_redirect(int fd);
void unit_stderr_restore(int saved);

/* A thread that only waits to be told to exit; tid is its kernel thread id. */
struct idle_thread {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pid_t tid;
	bool quit;
};

/* Starts t and waits until it has published its tid: the tid, or 0 on failure. */
pid_t idle_thread_start(struct idle_thread *t);
/*
 * Tells t to exit and joins it, then spins (no sleep) until procfs no longer
 * lists the thread: true once it is gone, false if it is still listed.
 */
bool idle_thread_stop(struct idle_thread *t);

/*
 * A fake /proc for the procfs guest clock (guest_clock_set_proc_root()): a
 * temporary directory holding <pid>/task/<tid>/stat files whose CPU time
 * (utime) and guest time the test sets.  A line is rewritten in place with
 * the same length, so a stat file the clock keeps open sees each new value.
 */
struct fake_proc {
	char root[64];
};

/* Creates the directory and points the guest clock at it.  0 or -1. */
int fake_proc_init(struct fake_proc *fp);
/* Writes (creating it if needed) the stat line of pid/tid.  0 or -1. */
int fake_proc_stat(struct fake_proc *fp, pid_t pid, pid_t tid, unsigned long cpu_ticks,
		   unsigned long guest_ticks);
/* Removes the files and points the guest clock back at /proc. */
void fake_proc_fini(struct fake_proc *fp);

#endif /* _UNIT_HELPERS_H_ */
