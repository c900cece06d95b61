/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The names of the watchdog actions (dm_reset.h): what devices accept in
 * their action= option and print in events.  Host-agnostic: the same file is
 * built into acrn-dm (devicemodel/acrn/).
 */
#include <errno.h>
#include <string.h>

#include "dm_reset.h"

static const char *const action_names[] = {
	[DM_WDT_ACTION_RESET] = "reset", [DM_WDT_ACTION_POWEROFF] = "poweroff",
	[DM_WDT_ACTION_PAUSE] = "pause", [DM_WDT_ACTION_DEBUG] = "debug",
	[DM_WDT_ACTION_NONE] = "none",
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
