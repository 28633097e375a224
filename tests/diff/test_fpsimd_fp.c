/*
 * Scalar floating point (ARM ARM C4.1.96.20-30) against unicorn: every group with random
 * encodings, register contents full of NaNs/infinities/denormals/conversion edges, and random
 * FPCR rounding mode, FZ, DN and AHP.
 */
#include "tests/unit/unit.h"
#include "tests/diff/test_fpsimd.h"

#define ITERS 12000

UNIT_SUITE(fpsimd_fp);

static void check(const char *name, uint32_t value, uint32_t mask)
{
	struct fpsimd_group g = { name, value, mask };
	struct fpsimd_result r = fpsimd_diff_group(&g, ITERS);

	CU_ASSERT_EQUAL(r.mismatches, 0);
	CU_ASSERT_EQUAL(r.missing, 0);
	CU_ASSERT_EQUAL(r.extra, 0);
	CU_ASSERT(r.executed > 0);
}

UNIT_TEST(fpsimd_fp, fmadd_fmsub_fnmadd_fnmsub_match_unicorn) { check("fp_3src", 0x1f000000, 0xff800000); }
UNIT_TEST(fpsimd_fp, fadd_fsub_fmul_fdiv_fmax_fmin_fnmul_match) { check("fp_2src", 0x1e200800, 0xffa00c00); }
UNIT_TEST(fpsimd_fp, fmov_fabs_fneg_fsqrt_match_unicorn) { check("fp_1src", 0x1e204000, 0xffbe7c00); }
UNIT_TEST(fpsimd_fp, fcvt_between_h_s_d_matches_unicorn) { check("fp_fcvt", 0x1e224000, 0xff3e7c00); }
UNIT_TEST(fpsimd_fp, frint_all_modes_match_unicorn) { check("fp_frint", 0x1e244000, 0xffbc7c00); }
UNIT_TEST(fpsimd_fp, fcmp_fcmpe_set_nzcv_and_ioc_like_unicorn) { check("fp_cmp", 0x1e202000, 0xffa0fc07); }
UNIT_TEST(fpsimd_fp, fmov_immediate_matches_unicorn) { check("fp_imm", 0x1e201000, 0xffa01fe0); }
UNIT_TEST(fpsimd_fp, fccmp_fccmpe_match_unicorn) { check("fp_ccmp", 0x1e200400, 0xffa00c00); }
UNIT_TEST(fpsimd_fp, fcsel_matches_unicorn) { check("fp_csel", 0x1e200c00, 0xffa00c00); }
UNIT_TEST(fpsimd_fp, fcvt_to_int_and_scvtf_ucvtf_match_unicorn) { check("fp_cvt_int", 0x1e200000, 0x7fa0fc00); }
UNIT_TEST(fpsimd_fp, fmov_general_registers_match_unicorn) { check("fp_fmov_gpr", 0x1e260000, 0x7f26fc00); }
UNIT_TEST(fpsimd_fp, fixed_point_conversions_match_unicorn) { check("fp_cvt_fixed", 0x1e000000, 0x7fa00000); }
UNIT_TEST(fpsimd_fp, whole_scalar_fp_space_agrees_on_undef) { check("fp_any", 0x1e000000, 0x5e000000); }
