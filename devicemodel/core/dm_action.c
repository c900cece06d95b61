/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The names of the watchdog actions (dm_reset.h): what devices accept in
 * their action= option and print in events; the dump= and dump_timeout=
 * options every watchdog device takes.  Host-agnostic: the same file is
 * built into acrn-dm (devicemodel/acrn/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_reset.h"

static const char *const action_names[] = {
	[DM_WDT_ACTION_RESET] = "reset", [DM_WDT_ACTION_POWEROFF] = "poweroff",
	[DM_WDT_ACTION_PAUSE] = "pause", [DM_WDT_ACTION_DEBUG] = "debug",
	[DM_WDT_ACTION_NONE] = "none", [DM_WDT_ACTION_SHUTDOWN] = "shutdown",
	[DM_WDT_ACTION_INJECT_NMI] = "inject-nmi",
};

int dm_wdt_action_parse(const char *s, enum dm_wdt_action *out)
{
	for (size_t i = 0; s && i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (strcmp(s, action_names[i]) == 0) {
			*out = (enum dm_wdt_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *dm_wdt_action_name(enum dm_wdt_action a)
{
	if ((unsigned int)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "unknown";
	return action_names[a];
}

void dm_wdt_dump_init(struct dm_wdt_dump *d)
{
	memset(d, 0, sizeof(*d));
	d->timeout_s = DM_DUMP_TIMEOUT_DEFAULT;
}

static int dump_dir_opt(struct dm_wdt_dump *d, const char *device, const char *val)
{
	size_t len = strlen(val);

	if (len == 0 || len >= sizeof(d->dir)) {
		fprintf(stderr, "wdt-dm: %s: dump=%.64s: want a directory (1 to %zu bytes)\n",
			device, val, sizeof(d->dir) - 1);
		return -EINVAL;
	}
	memcpy(d->dir, val, len + 1);
	return 1;
}

static int dump_timeout_opt(struct dm_wdt_dump *d, const char *device, const char *val)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = (val[0] >= '0' && val[0] <= '9') ? strtoul(val, &end, 10) : 0;
	if (v == 0 || errno || *end || v > DM_DUMP_TIMEOUT_MAX) {
		fprintf(stderr, "wdt-dm: %s: dump_timeout=%.32s: want whole seconds, 1 to %u\n",
			device, val, DM_DUMP_TIMEOUT_MAX);
		return -EINVAL;
	}
	d->timeout_s = (unsigned int)v;
	return 1;
}

int dm_wdt_dump_opt(struct dm_wdt_dump *d, const char *device, const char *key,
		    const char *val)
{
	if (strcmp(key, "dump") == 0)
		return dump_dir_opt(d, device, val);
	if (strcmp(key, "dump_timeout") == 0)
		return dump_timeout_opt(d, device, val);
	return 0;
}
