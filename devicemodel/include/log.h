/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Logging with ACRN's names (pr_err/pr_warn/pr_notice/pr_info/pr_dbg) so device
 * sources are the same in both trees.  Messages go to stderr, filtered by level.
 * The rate limiter is ours: guest-triggerable messages must never flood the log.
 */
#ifndef _LOG_H_
#define _LOG_H_

#include <stdbool.h>
#include <stdint.h>

#define LOG_ERROR 1U
#define LOG_WARNING 2U
#define LOG_NOTICE 3U
#define LOG_INFO 4U
#define LOG_DEBUG 5U

void output_log(uint8_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_set_level(uint8_t level);
uint8_t log_get_level(void);

#ifndef pr_prefix
#define pr_prefix
#endif
#define pr_err(...) output_log(LOG_ERROR, pr_prefix __VA_ARGS__)
#define pr_warn(...) output_log(LOG_WARNING, pr_prefix __VA_ARGS__)
#define pr_notice(...) output_log(LOG_NOTICE, pr_prefix __VA_ARGS__)
#define pr_info(...) output_log(LOG_INFO, pr_prefix __VA_ARGS__)
#define pr_dbg(...) output_log(LOG_DEBUG, pr_prefix __VA_ARGS__)

#endif /* _LOG_H_ */
