/*
 * a64_fpsimd_exec behaviours that differ between Arm and the x86 host, pinned without an
 * oracle (the unicorn differential suites in tests/diff/ check the same rules at scale).
 */
#include <string.h>
#include <xmmintrin.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"
#include "tests/unit/unit.h"

UNIT_SUITE(fpsimd);

#define FADD_S 0x1e222820u	/* fadd s0, s1, s2 */
#define FMUL_S 0x1e220820u	/* fmul s0, s1, s2 */
#define FCVTZS_XD 0x9e780020u	/* fcvtzs x0, d1 */
#define FMOV_XD 0x9e660062u	/* fmov x2, d3 */
#define FMOV_DX 0x9e6700a4u	/* fmov d4, x5 */
#define CMEQ_Z 0x4e209820u	/* cmeq v0.16b, v1.16b, #0 */
#define UMAXP_B 0x6e20a400u	/* umaxp v0.16b, v0.16b, v0.16b */
#define FADD_H 0x1ee22820u	/* fadd h0, h1, h2 (FEAT_FP16) */
#define AESE 0x4e284820u	/* aese v0.16b, v1.16b (crypto) */
#define FCMP_S 0x1e222020u	/* fcmp s1, s2 */
#define FMAX_D 0x1e624820u	/* fmax d0, d1, d2 */

static struct a64_fpsimd fp;
static uint64_t x[32];
static uint32_t nzcv;

static void reset(uint32_t fpcr)
{
	memset(&fp, 0, sizeof(fp));
	memset(x, 0, sizeof(x));
	nzcv = 0;
	fp.fpcr = fpcr;
}

static int run(uint32_t insn)
{
	return a64_fpsimd_exec(&fp, x, &nzcv, insn);
}

UNIT_TEST(fpsimd, invalid_operation_gives_positive_default_nan)
{
	reset(0);
	fp.v[1].s[0] = 0x7f800000; /* inf * 0: x86 would produce 0xffc00000 */
	fp.v[2].s[0] = 0;
	CU_ASSERT_EQUAL(run(FMUL_S), A64_FP_OK);
	CU_ASSERT_EQUAL(fp.v[0].s[0], 0x7fc00000);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_IOC);
}

UNIT_TEST(fpsimd, signalling_nan_wins_over_quiet_nan_and_is_quietened)
{
	reset(0);
	fp.v[1].s[0] = 0x7fc00001; /* qNaN first operand */
	fp.v[2].s[0] = 0xff800002; /* sNaN second operand */
	run(FADD_S);
	CU_ASSERT_EQUAL(fp.v[0].s[0], 0xffc00002);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_IOC);
	reset(FPCR_DN);
	fp.v[1].s[0] = 0x7fc00001;
	run(FADD_S);
	CU_ASSERT_EQUAL(fp.v[0].s[0], 0x7fc00000);
}

UNIT_TEST(fpsimd, flush_to_zero_flushes_denormal_inputs_and_sets_idc)
{
	reset(FPCR_FZ);
	fp.v[1].s[0] = 0x00000001;
	fp.v[2].s[0] = 0x00000001;
	run(FADD_S);
	CU_ASSERT_EQUAL(fp.v[0].s[0], 0);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_IDC);
}

UNIT_TEST(fpsimd, tininess_is_detected_before_rounding)
{
	reset(0);
	fp.v[1].s[0] = 0x00800000; /* smallest normal */
	fp.v[2].s[0] = 0x3f7fffff; /* 1 - 2^-24: the product rounds up to the smallest normal */
	run(FMUL_S);
	CU_ASSERT_EQUAL(fp.v[0].s[0], 0x00800000);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_UFC | FPSR_IXC);
}

UNIT_TEST(fpsimd, directed_rounding_follows_fpcr_and_does_not_leak_to_host)
{
	reset(1u << 22); /* RP */
	fp.v[1].s[0] = 0x3f800000;	/* 1.0 */
	fp.v[2].s[0] = 0x30800000;	/* 2^-30 */
	run(FADD_S);
	CU_ASSERT_EQUAL(fp.v[0].s[0], 0x3f800001);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_IXC);
	CU_ASSERT_EQUAL(_mm_getcsr() & 0x6000, 0);
}

UNIT_TEST(fpsimd, fcvtzs_saturates_and_nan_converts_to_zero)
{
	reset(0);
	fp.v[1].d[0] = 0x7ff8000000000000ull;
	run(FCVTZS_XD);
	CU_ASSERT_EQUAL(x[0], 0);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_IOC);
	reset(0);
	fp.v[1].d[0] = 0xc3e0000000000001ull; /* just below -2^63 */
	run(FCVTZS_XD);
	CU_ASSERT_EQUAL(x[0], 0x8000000000000000ull);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_IOC);
	reset(0);
	fp.v[1].d[0] = 0xbff8000000000000ull; /* -1.5 truncates to -1, inexact */
	run(FCVTZS_XD);
	CU_ASSERT_EQUAL(x[0], ~0ull);
	CU_ASSERT_EQUAL(fp.fpsr, FPSR_IXC);
}

UNIT_TEST(fpsimd, fmov_between_gpr_and_d_register_clears_upper_half)
{
	reset(0);
	fp.v[3].d[0] = 0x1122334455667788ull;
	run(FMOV_XD);
	CU_ASSERT_EQUAL(x[2], 0x1122334455667788ull);
	fp.v[4].d[1] = ~0ull;
	x[5] = 42;
	run(FMOV_DX);
	CU_ASSERT_EQUAL(fp.v[4].d[0], 42);
	CU_ASSERT_EQUAL(fp.v[4].d[1], 0);
}

UNIT_TEST(fpsimd, cmeq_zero_and_umaxp_find_a_nul_byte)
{
	reset(0);
	memcpy(fp.v[1].b, "minivmm\0abcdefgh", 16);
	run(CMEQ_Z);
	CU_ASSERT_EQUAL(fp.v[0].b[7], 0xff);
	CU_ASSERT_EQUAL(fp.v[0].b[6], 0);
	run(UMAXP_B);
	CU_ASSERT_EQUAL(fp.v[0].d[0], 0x00000000ff000000ull);
}

UNIT_TEST(fpsimd, fcmp_and_fmax_handle_nan_and_signed_zero)
{
	reset(0);
	fp.v[1].s[0] = 0x7fc00000;
	run(FCMP_S);
	CU_ASSERT_EQUAL(nzcv, 0x3u << 28); /* unordered */
	CU_ASSERT_EQUAL(fp.fpsr, 0);	  /* FCMP is quiet for a qNaN */
	fp.v[1].d[0] = 0x8000000000000000ull;
	fp.v[2].d[0] = 0;
	run(FMAX_D);
	CU_ASSERT_EQUAL(fp.v[0].d[0], 0); /* max(-0, +0) = +0 */
}

UNIT_TEST(fpsimd, unimplemented_features_are_undefined_and_leave_state_alone)
{
	reset(0);
	fp.v[0].d[0] = 0x1234;
	CU_ASSERT_EQUAL(run(FADD_H), A64_FP_UNDEF);
	CU_ASSERT_EQUAL(run(AESE), A64_FP_UNDEF);
	CU_ASSERT_EQUAL(run(0x0e00fc00u), A64_FP_UNDEF); /* three-same-extra (FEAT_DotProd) */
	CU_ASSERT_EQUAL(run(0x12345678u), A64_FP_UNDEF);		  /* not op0 = x111 */
	CU_ASSERT_EQUAL(fp.v[0].d[0], 0x1234);
	CU_ASSERT_EQUAL(fp.fpsr, 0);
}
