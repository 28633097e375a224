/* CUnit runner for every suite registered through tests/unit/unit.h. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"

#define MAX_SUITES 128
#define MAX_TESTS 4096

static const char *suite_names[MAX_SUITES];
static unsigned nr_suites;
static struct { const char *suite, *name; void (*fn)(void); } tests[MAX_TESTS];
static unsigned nr_tests;

void unit_add_suite(const char *name)
{
	if (nr_suites < MAX_SUITES)
		suite_names[nr_suites++] = name;
}

void unit_add_test(const char *suite, const char *name, void (*fn)(void))
{
	if (nr_tests < MAX_TESTS)
		tests[nr_tests++] = (typeof(tests[0])){ suite, name, fn };
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL; /* optional: run one suite */

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (unsigned s = 0; s < nr_suites; s++) {
		if (only && strcmp(only, suite_names[s]))
			continue;
		CU_pSuite suite = CU_add_suite(suite_names[s], NULL, NULL);
		for (unsigned t = 0; t < nr_tests; t++)
			if (!strcmp(tests[t].suite, suite_names[s]))
				CU_add_test(suite, tests[t].name, tests[t].fn);
	}
	CU_basic_set_mode(getenv("UNIT_VERBOSE") ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (failed || run == 0) ? 1 : 0;
}
