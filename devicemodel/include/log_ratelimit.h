/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * Rate-limited logging for anything a guest can trigger (wdt-dm extension).
 * Each call site owns one counter: it logs its first LOG_RL_BURST messages,
 * then every LOG_RL_EVERY-th, so a guest hammering a bad register costs a
 * counter increment, not a write(2).  Self-contained: only log.h is needed.
 */
#ifndef _LOG_RATELIMIT_H_
#define _LOG_RATELIMIT_H_

#include <stdbool.h>

#include "log.h"

#define LOG_RL_BURST 10UL
#define LOG_RL_EVERY 1000UL

static inline bool log_ratelimit_ok(unsigned long *counter)
{
	unsigned long n = __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);

	return n < LOG_RL_BURST || n % LOG_RL_EVERY == 0;
}

#define __pr_rl(fn, ...)                                                                     \
	do {                                                                                 \
		static unsigned long __rl_count;                                             \
		if (log_ratelimit_ok(&__rl_count))                                           \
			fn(__VA_ARGS__);                                                     \
	} while (0)

#define pr_err_rl(...) __pr_rl(pr_err, __VA_ARGS__)
#define pr_warn_rl(...) __pr_rl(pr_warn, __VA_ARGS__)
#define pr_notice_rl(...) __pr_rl(pr_notice, __VA_ARGS__)
#define pr_info_rl(...) __pr_rl(pr_info, __VA_ARGS__)
#define pr_dbg_rl(...) __pr_rl(pr_dbg, __VA_ARGS__)

#endif /* _LOG_RATELIMIT_H_ */
