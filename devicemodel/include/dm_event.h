/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Events (docs/device.rst §3): one QMP-shaped JSON object per line,
 *   {"event": NAME, "data": {..., "uuid": VM-UUID}, "timestamp": {"seconds": S,
 *    "microseconds": US}}
 * Timestamps come from the VM clock in virtual mode (qtest), else from
 * CLOCK_REALTIME as QMP does.  Self-contained (included by plugins).
 */
#ifndef _DM_EVENT_H_
#define _DM_EVENT_H_

/*
 * data_fmt is printf-style and expands to the members of "data" without
 * braces, e.g. "\"vcpu\": %d, \"stage\": \"%s\"" (or "" for none).  Strings
 * passed through it must already be JSON-safe; use dm_event_escape() for
 * anything that came from outside.
 */
void dm_event_emit(const char *name, const char *data_fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies s into out (size n) with JSON escaping, truncating; returns out. */
char *dm_event_escape(const char *s, char *out, unsigned long n);

/* -- host side (main, front ends, tests) -- */
/* path: a file (appended), "-" for stdout, NULL for none.  0 or -errno. */
int dm_event_open(const char *path);
void dm_event_close(void);
/* The VM's UUID string carried in every event. */
void dm_event_set_uuid(const char *uuid);
/* Also hand every line (without newline) to fn, e.g. a test's capture. */
void dm_event_set_sink(void (*fn)(const char *line, void *arg), void *arg);
/* The QMP monitor's copy of every line (a second, independent hook). */
void dm_event_set_monitor(void (*fn)(const char *line, void *arg), void *arg);
/* Events emitted and events that could not be written since open. */
unsigned long dm_event_count(void);
unsigned long dm_event_write_errors(void);

#endif /* _DM_EVENT_H_ */
