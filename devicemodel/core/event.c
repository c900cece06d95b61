/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Events (docs/device.rst §3): one QMP-shaped JSON object per line on the --events
 * file, each carrying the VM's UUID, made once from the structured event
 * (dm_event_data.c formats its data); the sink and the monitor get both.  Under the virtual clock the timestamp is
 * VM time, so scripted runs produce the same stream every time.  A write that
 * fails (disk full, closed pipe) is counted and logged once; the VM goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dm_event.h"
#include "log.h"
#include "vm_clock.h"

#define EVENT_LINE_MAX 1024

static struct {
	pthread_mutex_t lock;
	int fd; /* -1: none */
	bool own_fd;
	char uuid[40];
	dm_event_sink_fn sink;
	void *sink_arg;
	dm_event_sink_fn monitor;
	void *monitor_arg;
	unsigned long count;
	unsigned long write_errors;
} ev = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.fd = -1,
	.uuid = "00000000-0000-0000-0000-000000000000",
};

int dm_event_open(const char *path)
{
	int fd;

	dm_event_close();
	if (!path)
		return 0;
	if (strcmp(path, "-") == 0) {
		fd = STDOUT_FILENO;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
	}
	pthread_mutex_lock(&ev.lock);
	ev.fd = fd;
	ev.own_fd = fd != STDOUT_FILENO;
	ev.count = 0;
	ev.write_errors = 0;
	pthread_mutex_unlock(&ev.lock);
	return 0;
}

void dm_event_close(void)
{
	pthread_mutex_lock(&ev.lock);
	if (ev.fd >= 0 && ev.own_fd)
		close(ev.fd);
	ev.fd = -1;
	ev.own_fd = false;
	pthread_mutex_unlock(&ev.lock);
}

void dm_event_set_uuid(const char *uuid)
{
	pthread_mutex_lock(&ev.lock);
	dm_event_escape(uuid ? uuid : "", ev.uuid, sizeof(ev.uuid));
	pthread_mutex_unlock(&ev.lock);
}

void dm_event_set_sink(dm_event_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&ev.lock);
	ev.sink = fn;
	ev.sink_arg = arg;
	pthread_mutex_unlock(&ev.lock);
}

void dm_event_set_monitor(dm_event_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&ev.lock);
	ev.monitor = fn;
	ev.monitor_arg = arg;
	pthread_mutex_unlock(&ev.lock);
}

unsigned long dm_event_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&ev.lock);
	n = ev.count;
	pthread_mutex_unlock(&ev.lock);
	return n;
}

unsigned long dm_event_write_errors(void)
{
	unsigned long n;

	pthread_mutex_lock(&ev.lock);
	n = ev.write_errors;
	pthread_mutex_unlock(&ev.lock);
	return n;
}

/* QMP stamps events with wall-clock time; scripted runs use VM time. */
static void event_timestamp(uint64_t *sec, uint64_t *usec)
{
	struct timespec ts;
	uint64_t ns;

	if (vm_clock_mode() == VM_CLOCK_VIRTUAL) {
		ns = vm_clock_now_ns();
		*sec = ns / 1000000000ULL;
		*usec = (ns % 1000000000ULL) / 1000;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (uint64_t)ts.tv_sec;
	*usec = (uint64_t)ts.tv_nsec / 1000;
}

static void event_write_locked(const char *line, size_t len)
{
	size_t done = 0;

	while (ev.fd >= 0 && done < len) {
		ssize_t n = write(ev.fd, line + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (ev.write_errors++ == 0)
				pr_err("events: cannot write (%s); further events are dropped\n",
				       n < 0 ? strerror(errno) : "short write");
			return;
		}
		done += (size_t)n;
	}
}

void dm_event_post(const struct dm_event *e)
{
	char data[EVENT_LINE_MAX / 2];
	char line[EVENT_LINE_MAX];
	const char *name = e->name;
	uint64_t sec, usec;
	int n;

	if (dm_event_format_data(e, data, sizeof(data)) < 0) {
		pr_err("events: %s event too long, dropped\n", name);
		return;
	}
	event_timestamp(&sec, &usec);

	pthread_mutex_lock(&ev.lock);
	n = snprintf(line, sizeof(line),
		     "{\"event\": \"%s\", \"data\": {%s%s\"uuid\": \"%s\"}, "
		     "\"timestamp\": {\"seconds\": %" PRIu64 ", \"microseconds\": %" PRIu64 "}}",
		     name, data, data[0] ? ", " : "", ev.uuid, sec, usec);
	if (n < 0 || n >= (int)sizeof(line) - 1) {
		pthread_mutex_unlock(&ev.lock);
		pr_err("events: %s event too long, dropped\n", name);
		return;
	}
	ev.count++;
	if (ev.sink)
		ev.sink(e, line, ev.sink_arg);
	if (ev.monitor)
		ev.monitor(e, line, ev.monitor_arg);
	line[n++] = '\n';
	event_write_locked(line, (size_t)n);
	pthread_mutex_unlock(&ev.lock);
}
