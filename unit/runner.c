/* SPDX-License-Identifier: BSD-3-Clause */
/* Copyright (c) 2026 The wdt-dm authors */
/*
 * The unit-test runner.  CUnit's own return value says nothing about failed
 * assertions, failed suite inits or an empty run, so the exit status is
 * computed here: 0 only when at least one test ran and nothing failed.
 * Usage: unit_tests [suite ...]   (no argument: every suite)
 * With UNIT_VERBOSE set in the environment every test's verdict is printed as
 * it completes, so a failed assertion is on record even if a later test
 * crashes the process (the mutation check, tests/mutants/run.sh, relies on it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "log.h"
#include "unit.h"

SET_DECLARE(unit_suite_set, struct unit_suite);

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int add_suite(const struct unit_suite *s)
{
	CU_pSuite cs = CU_add_suite(s->name, s->init, s->cleanup);

	if (!cs)
		return -1;
	for (const struct unit_test *t = s->tests; t->name; t++)
		if (!CU_add_test(cs, t->name, t->fn))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct unit_suite **sp;
	unsigned int failed;
	unsigned int asserts_failed;
	unsigned int ran;
	unsigned int suites_failed;

	log_set_level(LOG_ERROR);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	SET_FOREACH(sp, unit_suite_set)
	{
		if (wanted((*sp)->name, argc, argv) && add_suite(*sp) != 0) {
			fprintf(stderr, "unit: cannot register suite %s\n", (*sp)->name);
			CU_cleanup_registry();
			return 2;
		}
	}
	if (getenv("UNIT_VERBOSE")) {
		/* Line-buffered: what was printed survives a crash of a later test. */
		if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
			fprintf(stderr, "unit: cannot line-buffer stdout\n");
		CU_basic_set_mode(CU_BRM_VERBOSE);
	} else {
		CU_basic_set_mode(CU_BRM_NORMAL);
	}
	CU_basic_run_tests();
	ran = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	asserts_failed = CU_get_number_of_failures();
	suites_failed = CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	printf("\nunit: %u tests run, %u failed, %u failed assertions, %u suites failed to "
	       "initialise\n", ran, failed, asserts_failed, suites_failed);
	if (ran == 0) {
		fprintf(stderr, "unit: no test ran\n");
		return 1;
	}
	return (failed || asserts_failed || suites_failed) ? 1 : 0;
}
