/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * One CUnit runner for every unit: each unit/test_*.c declares its suite with
 * UNIT_SUITE(); the suites are collected through a linker set, so adding a
 * test file needs no edit anywhere else.  Tests use the virtual clock only.
 */
#ifndef _UNIT_H_
#define _UNIT_H_

#include <CUnit/CUnit.h>

#include "linker_set.h"

struct unit_test {
	const char *name;
	void (*fn)(void);
};

struct unit_suite {
	const char *name;
	int (*init)(void);
	int (*cleanup)(void);
	const struct unit_test *tests; /* terminated by {NULL, NULL} */
};

#define UNIT_TEST(fn) {#fn, fn}
#define UNIT_TEST_END {NULL, NULL}

#define UNIT_SUITE(sname, sinit, scleanup, ...)                                                \
	static const struct unit_test __unit_tests_##sname[] = {__VA_ARGS__, UNIT_TEST_END};   \
	static const struct unit_suite __unit_suite_##sname = {#sname, sinit, scleanup,        \
							       __unit_tests_##sname};           \
	DATA_SET(unit_suite_set, __unit_suite_##sname)

#endif /* _UNIT_H_ */
