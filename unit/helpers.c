/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Helpers shared by several unit/test_*.c files (declared in unit/helpers.h):
 * stderr silencing for tests of refused options, and the idle stand-in for a
 * vCPU thread used by the guest-clock and vcpu-stall procfs tests, and the
 * fake /proc those tests fill with stat lines of their choosing.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_clock.h"
#include "helpers.h"

int unit_stderr_redirect(int fd)
{
	int saved = dup(STDERR_FILENO);

	fflush(stderr);
	if (saved >= 0 && fd >= 0)
		dup2(fd, STDERR_FILENO);
	return saved;
}

int unit_stderr_mute(void)
{
	int null = open("/dev/null", O_WRONLY), saved = unit_stderr_redirect(null);

	if (null >= 0)
		close(null);
	return saved;
}

void unit_stderr_restore(int saved)
{
	fflush(stderr);
	if (saved < 0)
		return;
	dup2(saved, STDERR_FILENO);
	close(saved);
}

static void *idle_thread_main(void *arg)
{
	struct idle_thread *t = arg;

	pthread_mutex_lock(&t->lock);
	t->tid = gettid();
	pthread_cond_broadcast(&t->cond);
	while (!t->quit)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

pid_t idle_thread_start(struct idle_thread *t)
{
	pid_t tid;

	t->tid = 0;
	t->quit = false;
	if (pthread_mutex_init(&t->lock, NULL) != 0)
		return 0;
	if (pthread_cond_init(&t->cond, NULL) != 0)
		goto err_lock;
	if (pthread_create(&t->thread, NULL, idle_thread_main, t) != 0)
		goto err_cond;
	pthread_mutex_lock(&t->lock);
	while (!t->tid)
		pthread_cond_wait(&t->cond, &t->lock);
	tid = t->tid;
	pthread_mutex_unlock(&t->lock);
	return tid;

err_cond:
	pthread_cond_destroy(&t->cond);
err_lock:
	pthread_mutex_destroy(&t->lock);
	return 0;
}

static bool task_listed(pid_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return stat(path, &st) == 0;
}

bool idle_thread_stop(struct idle_thread *t)
{
	pthread_mutex_lock(&t->lock);
	t->quit = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	/* The join returns before the kernel has removed the task from procfs. */
	for (long i = 0; i < 10000000; i++) {
		if (!task_listed(t->tid))
			return true;
		sched_yield();
	}
	return false;
}

/* ---- fake /proc ---------------------------------------------------------- */

int fake_proc_init(struct fake_proc *fp)
{
	snprintf(fp->root, sizeof(fp->root), "/tmp/wdt-dm-proc.XXXXXX");
	if (!mkdtemp(fp->root))
		return -1;
	guest_clock_set_proc_root(fp->root);
	return 0;
}

static int fake_proc_mkdirs(const struct fake_proc *fp, pid_t pid, pid_t tid, char *path,
			    size_t n)
{
	snprintf(path, n, "%s/%d", fp->root, (int)pid);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, n, "%s/%d/task", fp->root, (int)pid);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, n, "%s/%d/task/%d", fp->root, (int)pid, (int)tid);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, n, "%s/%d/task/%d/stat", fp->root, (int)pid, (int)tid);
	return 0;
}

int fake_proc_stat(struct fake_proc *fp, pid_t pid, pid_t tid, unsigned long cpu_ticks,
		   unsigned long guest_ticks)
{
	char path[160], line[1024];
	int len, fd, rc = 0;

	if (fake_proc_mkdirs(fp, pid, tid, path, sizeof(path)))
		return -1;
	/* fixed-width numbers: every line has the same length */
	len = snprintf(line, sizeof(line), "%d (vcpu 0) R", (int)tid);
	for (int f = 4; f <= 52; f++) {
		unsigned long v = f == 14 ? cpu_ticks : f == 43 ? guest_ticks : 0;

		len += snprintf(line + len, sizeof(line) - (size_t)len, " %012lu", v);
	}
	len += snprintf(line + len, sizeof(line) - (size_t)len, "\n");
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (pwrite(fd, line, (size_t)len, 0) != len)
		rc = -1;
	close(fd);
	return rc;
}

static int fake_proc_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void fake_proc_fini(struct fake_proc *fp)
{
	guest_clock_set_proc_root(NULL);
	nftw(fp->root, fake_proc_rm, 8, FTW_DEPTH | FTW_PHYS);
}
