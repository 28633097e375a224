/*
 * CUnit glue: each tests/unit/test_*.c declares its suite with UNIT_SUITE and its tests with
 * UNIT_TEST; a constructor registers them, so adding a test file needs no edit elsewhere.
 *
 *   UNIT_SUITE(bus);                                   // once per file, names the suite
 *   UNIT_TEST(bus, register_rejects_overlap) { CU_ASSERT_EQUAL(...); }
 */
#ifndef MINIVMM_UNIT_H
#define MINIVMM_UNIT_H

#include <CUnit/CUnit.h>

void unit_add_suite(const char *name);
void unit_add_test(const char *suite, const char *name, void (*fn)(void));

#define UNIT_SUITE(s)                                                              \
	__attribute__((constructor(101))) static void unit_suite_##s(void)         \
	{                                                                          \
		unit_add_suite(#s);                                                \
	}

#define UNIT_TEST(s, t)                                                            \
	static void test_##s##_##t(void);                                          \
	__attribute__((constructor(102))) static void unit_reg_##s##_##t(void)     \
	{                                                                          \
		unit_add_test(#s, #t, test_##s##_##t);                             \
	}                                                                          \
	static void test_##s##_##t(void)

#endif
