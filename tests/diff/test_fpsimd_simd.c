/*
 * AdvSIMD groups (ARM ARM C4.1.96) against unicorn: each group of the decode table with random
 * encodings (all arrangements) and random register contents.
 */
#include "tests/unit/unit.h"
#include "tests/diff/test_fpsimd.h"

#define ITERS 12000

UNIT_SUITE(fpsimd_simd);

static void check(const char *name, uint32_t value, uint32_t mask)
{
	struct fpsimd_group g = { name, value, mask };
	struct fpsimd_result r = fpsimd_diff_group(&g, ITERS);

	CU_ASSERT_EQUAL(r.mismatches, 0);
	CU_ASSERT_EQUAL(r.missing, 0);
	CU_ASSERT_EQUAL(r.extra, 0);
	CU_ASSERT(r.executed > 0);
}

UNIT_TEST(fpsimd_simd, three_same_matches_unicorn) { check("three_same", 0x0e200400, 0x9f200400); }
UNIT_TEST(fpsimd_simd, three_same_fp_matches_unicorn) { check("three_same_fp", 0x0e20c400, 0x9f20c400); }
UNIT_TEST(fpsimd_simd, three_different_matches_unicorn) { check("three_diff", 0x0e200000, 0x9f200c00); }
UNIT_TEST(fpsimd_simd, two_reg_misc_matches_unicorn) { check("two_misc", 0x0e200800, 0x9f3e0c00); }
UNIT_TEST(fpsimd_simd, two_reg_misc_fp_matches_unicorn) { check("two_misc_fp", 0x0e218800, 0x9f3f8c00); }
UNIT_TEST(fpsimd_simd, across_lanes_matches_unicorn) { check("across", 0x0e300800, 0x9f3e0c00); }
UNIT_TEST(fpsimd_simd, copy_dup_ins_umov_smov_match_unicorn) { check("copy", 0x0e000400, 0x9fe08400); }
UNIT_TEST(fpsimd_simd, by_element_matches_unicorn) { check("indexed", 0x0f000000, 0x9f000400); }
UNIT_TEST(fpsimd_simd, modified_immediate_matches_unicorn) { check("mod_imm", 0x0f000400, 0x9ff80400); }
UNIT_TEST(fpsimd_simd, shift_by_immediate_matches_unicorn) { check("shift_imm", 0x0f000400, 0x9f800400); }
UNIT_TEST(fpsimd_simd, tbl_tbx_match_unicorn) { check("table", 0x0e000000, 0xbf208c00); }
UNIT_TEST(fpsimd_simd, zip_uzp_trn_match_unicorn) { check("permute", 0x0e000800, 0xbf208c00); }
UNIT_TEST(fpsimd_simd, ext_matches_unicorn) { check("extract", 0x2e000000, 0xbf208400); }
UNIT_TEST(fpsimd_simd, scalar_three_same_matches_unicorn) { check("s_three_same", 0x5e200400, 0xdf200400); }
UNIT_TEST(fpsimd_simd, scalar_three_different_matches_unicorn) { check("s_three_diff", 0x5e200000, 0xdf200c00); }
UNIT_TEST(fpsimd_simd, scalar_two_reg_misc_matches_unicorn) { check("s_two_misc", 0x5e200800, 0xdf3e0c00); }
UNIT_TEST(fpsimd_simd, scalar_pairwise_matches_unicorn) { check("s_pairwise", 0x5e300800, 0xdf3e0c00); }
UNIT_TEST(fpsimd_simd, scalar_copy_matches_unicorn) { check("s_copy", 0x5e000400, 0xdfe08400); }
UNIT_TEST(fpsimd_simd, scalar_by_element_matches_unicorn) { check("s_indexed", 0x5f000000, 0xdf000400); }
UNIT_TEST(fpsimd_simd, scalar_shift_immediate_matches_unicorn) { check("s_shift_imm", 0x5f000400, 0xdf800400); }
UNIT_TEST(fpsimd_simd, whole_vector_space_agrees_on_undef) { check("simd_any", 0x0e000000, 0x9e000000); }
UNIT_TEST(fpsimd_simd, whole_scalar_simd_space_agrees_on_undef) { check("s_simd_any", 0x5e000000, 0xde000000); }
