/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Helpers shared by several unit/test_*.c files (declared in unit/helpers.h):
 * stderr silencing for tests of refused options, and the idle stand-in for a
 * vCPU thread used by the guest-clock and vcpu-stall procfs tests.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

int unit_stderr_mute(void)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	fflush(stderr);
	if (saved >= 0 && null >= 0)
		dup2(null, STDERR_FILENO);
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
