/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Which front end runs this VM (frontend.h).  Kept apart from main.c so that
 * devices, unit tests and benchmarks can ask without linking the command line.
 */
#include <stddef.h>

#include "frontend.h"

static const struct dm_frontend *current_fe;

const struct dm_frontend *dm_current_frontend(void)
{
	return current_fe;
}

void dm_set_current_frontend(const struct dm_frontend *fe)
{
	current_fe = fe;
}
