/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * An event's data as JSON (docs/device.rst §3): the one place where a
 * structured event (dm_event.h: a name and typed fields) becomes the members
 * of "data", with strings escaped.  wdt-dm's event stream (core/event.c) and
 * ACRN's log line (acrn_glue.c) both format through it, so the text is the
 * same under either host.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dm_event.h"

#define EVENT_STR_MAX 256 /* an escaped string value; longer ones are cut */

char *dm_event_escape(const char *s, char *out, unsigned long n)
{
	unsigned long o = 0;

	if (!n)
		return out;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool ctl = c < 0x20 || c == 0x7f;
		unsigned long need = ctl ? 6 : (c == '"' || c == '\\') ? 2 : 1;

		if (o + need >= n)
			break; /* truncate on a character boundary, keep the NUL */
		if (ctl)
			o += (unsigned long)snprintf(out + o, n - o, "\\u%04x", c);
		else if (need == 2)
			out[o++] = '\\', out[o++] = (char)c;
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

const struct dm_event_field *dm_event_field(const struct dm_event *ev, const char *key)
{
	for (int i = 0; i < ev->nfields; i++)
		if (ev->fields[i].key && strcmp(ev->fields[i].key, key) == 0)
			return &ev->fields[i];
	return NULL;
}

/* One member, "key": value, at buf + len; returns what snprintf returns. */
static int format_field(const struct dm_event_field *f, char *buf, size_t n)
{
	char esc[EVENT_STR_MAX];

	switch (f->type) {
	case DM_EVENT_STR:
		return snprintf(buf, n, "\"%s\": \"%s\"", f->key,
				dm_event_escape(f->s, esc, sizeof(esc)));
	case DM_EVENT_INT:
		return snprintf(buf, n, "\"%s\": %" PRId64, f->key, f->i);
	case DM_EVENT_UINT:
		return snprintf(buf, n, "\"%s\": %" PRIu64, f->key, f->u);
	case DM_EVENT_BOOL:
		return snprintf(buf, n, "\"%s\": %s", f->key, f->b ? "true" : "false");
	case DM_EVENT_JSON:
		return snprintf(buf, n, "%s", f->s ? f->s : "");
	}
	return -1;
}

int dm_event_format_data(const struct dm_event *ev, char *buf, size_t n)
{
	size_t len = 0;
	int w;

	if (!n)
		return -ENOSPC;
	buf[0] = '\0';
	for (int i = 0; i < ev->nfields; i++) {
		const struct dm_event_field *f = &ev->fields[i];

		if (f->type == DM_EVENT_JSON && (!f->s || !f->s[0]))
			continue; /* no members to add */
		if (len) {
			w = snprintf(buf + len, n - len, ", ");
			if (w < 0 || (size_t)w >= n - len)
				return -ENOSPC;
			len += (size_t)w;
		}
		w = format_field(f, buf + len, n - len);
		if (w < 0 || (size_t)w >= n - len)
			return -ENOSPC;
		len += (size_t)w;
	}
	return (int)len;
}
