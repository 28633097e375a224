/*
 * The instructions glibc's string functions and printf/strtod actually use (issue 3), each by
 * its exact encoding, from many random states: every one must execute (not UNDEFINED) and
 * match unicorn bit for bit, flags included. Encodings from aarch64-linux-gnu-as.
 */
#include <stdio.h>

#include "tests/unit/unit.h"
#include "tests/diff/test_fpsimd.h"

UNIT_SUITE(fpsimd_insns);

static const struct {
	uint32_t insn;
	const char *text;
} insns[] = {
	{ 0x6e228c20, "cmeq v0.16b, v1.16b, v2.16b" },
	{ 0x4e209883, "cmeq v3.16b, v4.16b, #0" },
	{ 0x6e273cc5, "cmhs v5.16b, v6.16b, v7.16b" },
	{ 0x6e2aad28, "uminp v8.16b, v9.16b, v10.16b" },
	{ 0x6e2da58b, "umaxp v11.16b, v12.16b, v13.16b" },
	{ 0x4e30bdee, "addp v14.16b, v15.16b, v16.16b" },
	{ 0x5ef1ba51, "addp d17, v18.2d" },
	{ 0x0f0c8693, "shrn v19.8b, v20.8h, #4" },
	{ 0x4e771ed5, "bic v21.16b, v22.16b, v23.16b" },
	{ 0x4eba1f38, "orr v24.16b, v25.16b, v26.16b" },
	{ 0x4e3d1f9b, "and v27.16b, v28.16b, v29.16b" },
	{ 0x6e201ffe, "eor v30.16b, v31.16b, v0.16b" },
	{ 0x4e183c41, "mov x1, v2.d[1]" },
	{ 0x0e0f3c83, "umov w3, v4.b[7]" },
	{ 0x4e181cc5, "mov v5.d[1], x6" },
	{ 0x6e142507, "mov v7.s[2], v8.s[1]" },
	{ 0x4e010d49, "dup v9.16b, w10" },
	{ 0x4e1c058b, "dup v11.4s, v12.s[3]" },
	{ 0x4f02e40d, "movi v13.16b, #0x40" },
	{ 0x6f05e54e, "movi v14.2d, #0xff00ff00ff00ff00" },
	{ 0x6f01240f, "mvni v15.4s, #0x20, lsl #8" },
	{ 0x6e122a30, "ext v16.16b, v17.16b, v18.16b, #5" },
	{ 0x4e200a93, "rev64 v19.16b, v20.16b" },
	{ 0x0e205ad5, "cnt v21.8b, v22.8b" },
	{ 0x4e31bb17, "addv b23, v24.16b" },
	{ 0x6e30ab59, "umaxv b25, v26.16b" },
	{ 0x6eb1ab9b, "uminv s27, v28.4s" },
	{ 0x6f7807dd, "ushr v29.2d, v30.2d, #8" },
	{ 0x4f23541f, "shl v31.4s, v0.4s, #3" },
	{ 0x4f110441, "sshr v1.8h, v2.8h, #15" },
	{ 0x0e212883, "xtn v3.8b, v4.8h" },
	{ 0x4e0820c5, "tbl v5.16b, {v6.16b, v7.16b}, v8.16b" },
	{ 0x1e6e1000, "fmov d0, #1.000000000000000000e+00" },
	{ 0x1e3c1001, "fmov s1, #-5.000000000000000000e-01" },
	{ 0x9e660062, "fmov x2, d3" },
	{ 0x9e6700a4, "fmov d4, x5" },
	{ 0x1e2600e6, "fmov w6, s7" },
	{ 0x9eaf0128, "fmov v8.d[1], x9" },
	{ 0x1e6c296a, "fadd d10, d11, d12" },
	{ 0x1e2f39cd, "fsub s13, s14, s15" },
	{ 0x1e720a30, "fmul d16, d17, d18" },
	{ 0x1e351a93, "fdiv s19, s20, s21" },
	{ 0x1f5866f6, "fmadd d22, d23, d24, d25" },
	{ 0x1f1cf77a, "fmsub s26, s27, s28, s29" },
	{ 0x1f6007fe, "fnmadd d30, d31, d0, d1" },
	{ 0x1e248862, "fnmul s2, s3, s4" },
	{ 0x1e6140c5, "fneg d5, d6" },
	{ 0x1e20c107, "fabs s7, s8" },
	{ 0x1e61c149, "fsqrt d9, d10" },
	{ 0x1e6c2160, "fcmp d11, d12" },
	{ 0x1e2021b8, "fcmpe s13, #0.0" },
	{ 0x1e6f15c4, "fccmp d14, d15, #0x4, ne" },
	{ 0x1e32ce30, "fcsel s16, s17, s18, gt" },
	{ 0x1e22c293, "fcvt d19, s20" },
	{ 0x1e6242d5, "fcvt s21, d22" },
	{ 0x1e23c317, "fcvt h23, s24" },
	{ 0x1ee2c359, "fcvt d25, h26" },
	{ 0x9e62039b, "scvtf d27, x28" },
	{ 0x1e2303dd, "ucvtf s29, w30" },
	{ 0x1e42c020, "scvtf d0, w1, #16" },
	{ 0x9e780062, "fcvtzs x2, d3" },
	{ 0x1e3900a4, "fcvtzu w4, s5" },
	{ 0x1e58d8e6, "fcvtzs w6, d7, #10" },
	{ 0x9e640128, "fcvtas x8, d9" },
	{ 0x1e30016a, "fcvtms w10, s11" },
	{ 0x9e6001ac, "fcvtns x12, d13" },
	{ 0x9e2801ee, "fcvtps x14, s15" },
	{ 0x1e650230, "fcvtau w16, d17" },
	{ 0x1e644272, "frintn d18, d19" },
	{ 0x1e2542b4, "frintm s20, s21" },
	{ 0x1e64c2f6, "frintp d22, d23" },
	{ 0x1e25c338, "frintz s24, s25" },
	{ 0x1e66437a, "frinta d26, d27" },
	{ 0x1e2743bc, "frintx s28, s29" },
	{ 0x1e67c3fe, "frinti d30, d31" },
	{ 0x1e624820, "fmax d0, d1, d2" },
	{ 0x1e257883, "fminnm s3, s4, s5" },
	{ 0x4e68d4e6, "fadd v6.2d, v7.2d, v8.2d" },
	{ 0x6e2bdd49, "fmul v9.4s, v10.4s, v11.4s" },
	{ 0x4e6ecdac, "fmla v12.2d, v13.2d, v14.2d" },
	{ 0x4fb1120f, "fmla v15.4s, v16.4s, v17.s[1]" },
	{ 0x4ea1da72, "frecpe v18.4s, v19.4s" },
	{ 0x7ee1dab4, "frsqrte d20, d21" },
};

UNIT_TEST(fpsimd_insns, glibc_string_and_fp_instructions_match_unicorn)
{
	for (unsigned i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		struct fpsimd_result r = fpsimd_diff_insn(insns[i].insn, 400);
		if (r.executed != r.run || r.mismatches)
			fprintf(stderr, "\n  %08x %s: executed %u/%u mismatches %u", insns[i].insn,
				insns[i].text, r.executed, r.run, r.mismatches);
		CU_ASSERT_EQUAL(r.executed, r.run);
		CU_ASSERT_EQUAL(r.mismatches, 0);
	}
}
