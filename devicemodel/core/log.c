/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * output_log(): ACRN's logging entry point, here a level filter in front of
 * stderr.  One formatted write per message so lines from threads don't mix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static uint8_t log_level = LOG_WARNING;

void log_set_level(uint8_t level)
{
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

uint8_t log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

void output_log(uint8_t level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (level > log_get_level())
		return;
	n = snprintf(buf, sizeof(buf), "wdt-dm: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (n > 0 && buf[n - 1] != '\n' && n < (int)sizeof(buf) - 1)
		buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}
