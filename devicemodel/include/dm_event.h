/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Events (docs/device.rst §3): one QMP-shaped JSON object per line,
 *   {"event": NAME, "data": {..., "uuid": VM-UUID}, "timestamp": {"seconds": S,
 *    "microseconds": US}}
 * Timestamps come from the VM clock in virtual mode (qtest), else from
 * CLOCK_REALTIME as QMP does.  Self-contained (included by plugins); under
 * ACRN only dm_event_post() and the formatting exist (acrn_glue.c).
 */
#ifndef _DM_EVENT_H_
#define _DM_EVENT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An event is a name and typed fields, the members of "data" in order; the
 * JSON is made once, from them, for the output (core/dm_event_data.c), and
 * sinks get the fields as they are.  Strings are escaped when formatted.
 */
enum dm_event_type { DM_EVENT_STR, DM_EVENT_INT, DM_EVENT_UINT, DM_EVENT_BOOL, DM_EVENT_JSON };

struct dm_event_field {
	const char *key; /* NULL for DM_EVENT_JSON */
	enum dm_event_type type;
	union {
		const char *s; /* DM_EVENT_STR; DM_EVENT_JSON: members, already JSON */
		int64_t i;
		uint64_t u;
		bool b;
	};
};

struct dm_event {
	const char *name;
	const struct dm_event_field *fields;
	int nfields;
};

#define DM_EV_STR(k, v) {.key = (k), .type = DM_EVENT_STR, .s = (v)}
#define DM_EV_INT(k, v) {.key = (k), .type = DM_EVENT_INT, .i = (v)}
#define DM_EV_UINT(k, v) {.key = (k), .type = DM_EVENT_UINT, .u = (v)}
#define DM_EV_BOOL(k, v) {.key = (k), .type = DM_EVENT_BOOL, .b = (v)}
/* Members that are JSON already (another emitter's data), inserted as they are. */
#define DM_EV_JSON(v) {.key = NULL, .type = DM_EVENT_JSON, .s = (v)}

/* Emits ev: to the events file, the sink and the monitor, stamped and with the UUID. */
void dm_event_post(const struct dm_event *ev);

/* dm_event_emit("NAME", DM_EV_INT("vcpu", 1), DM_EV_STR("stage", "reset")) */
#define DM_EV_FIELDS(...) ((const struct dm_event_field[]){__VA_ARGS__})
#define dm_event_emit(evname, ...)                                                        \
	dm_event_post(&(const struct dm_event){                                            \
		(evname), DM_EV_FIELDS(__VA_ARGS__),                                        \
		(int)(sizeof(DM_EV_FIELDS(__VA_ARGS__)) / sizeof(struct dm_event_field))})

/* The field named key, NULL when ev has none. */
const struct dm_event_field *dm_event_field(const struct dm_event *ev, const char *key);

/* ev's fields as the members of "data", without braces.  Length, or -ENOSPC. */
int dm_event_format_data(const struct dm_event *ev, char *buf, size_t n);

/* Copies s into out (size n) with JSON escaping, truncating; returns out. */
char *dm_event_escape(const char *s, char *out, unsigned long n);

/* -- host side (main, front ends, tests) -- */
/* path: a file (appended), "-" for stdout, NULL for none.  0 or -errno. */
int dm_event_open(const char *path);
void dm_event_close(void);
/* The VM's UUID string carried in every event. */
void dm_event_set_uuid(const char *uuid);
/* A sink gets each event, structured, and its JSON line (without newline). */
typedef void (*dm_event_sink_fn)(const struct dm_event *ev, const char *line, void *arg);
/* Also hand every event to fn: a front end's bookkeeping, a test's capture. */
void dm_event_set_sink(dm_event_sink_fn fn, void *arg);
/* The QMP monitor's copy of every event (a second, independent hook). */
void dm_event_set_monitor(dm_event_sink_fn fn, void *arg);
/* Events emitted and events that could not be written since open. */
unsigned long dm_event_count(void);
unsigned long dm_event_write_errors(void);

#endif /* _DM_EVENT_H_ */
