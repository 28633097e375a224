/*
 * IEEE corner cases of the scalar and vector FP operations against unicorn, exhaustively over
 * pairs (and triples) of special operands: +-0, denormals, the smallest normal, +-inf, quiet and
 * signalling NaNs with payloads, integer-conversion boundaries, under all rounding modes with
 * FZ, DN and AHP on and off. This is where x86 and Arm differ (NaN propagation, default NaN
 * sign, tininess detection, flush-to-zero), so none of it is left to chance.
 */
#include <stdio.h>

#include "tests/unit/unit.h"
#include "tests/diff/test_fpsimd.h"

UNIT_SUITE(fpsimd_edges);

enum { K_S, K_D, K_H, K_INT };

static const struct {
	uint32_t insn;
	int kind, arity;
	const char *text;
} insns[] = {
	{ 0x1e222820, K_S, 2, "fadd s0, s1, s2" },
	{ 0x1e623820, K_D, 2, "fsub d0, d1, d2" },
	{ 0x1e220820, K_S, 2, "fmul s0, s1, s2" },
	{ 0x1e620820, K_D, 2, "fmul d0, d1, d2" },
	{ 0x1e221820, K_S, 2, "fdiv s0, s1, s2" },
	{ 0x1e621820, K_D, 2, "fdiv d0, d1, d2" },
	{ 0x1e624820, K_D, 2, "fmax d0, d1, d2" },
	{ 0x1e227820, K_S, 2, "fminnm s0, s1, s2" },
	{ 0x1e626820, K_D, 2, "fmaxnm d0, d1, d2" },
	{ 0x1e628820, K_D, 2, "fnmul d0, d1, d2" },
	{ 0x1f020c20, K_S, 3, "fmadd s0, s1, s2, s3" },
	{ 0x1f428c20, K_D, 3, "fmsub d0, d1, d2, d3" },
	{ 0x1f220c20, K_S, 3, "fnmadd s0, s1, s2, s3" },
	{ 0x1f628c20, K_D, 3, "fnmsub d0, d1, d2, d3" },
	{ 0x1e222020, K_S, 2, "fcmp s1, s2" },
	{ 0x1e622030, K_D, 2, "fcmpe d1, d2" },
	{ 0x1e21c020, K_S, 1, "fsqrt s0, s1" },
	{ 0x1e61c020, K_D, 1, "fsqrt d0, d1" },
	{ 0x1e22c020, K_S, 1, "fcvt d0, s1" },
	{ 0x1e624020, K_D, 1, "fcvt s0, d1" },
	{ 0x1e23c020, K_S, 1, "fcvt h0, s1" },
	{ 0x1e63c020, K_D, 1, "fcvt h0, d1" },
	{ 0x1ee24020, K_H, 1, "fcvt s0, h1" },
	{ 0x1e380020, K_S, 1, "fcvtzs w0, s1" },
	{ 0x9e780020, K_D, 1, "fcvtzs x0, d1" },
	{ 0x1e790020, K_D, 1, "fcvtzu w0, d1" },
	{ 0x9e390020, K_S, 1, "fcvtzu x0, s1" },
	{ 0x1e640020, K_D, 1, "fcvtas w0, d1" },
	{ 0x9e200020, K_S, 1, "fcvtns x0, s1" },
	{ 0x1e58ec20, K_D, 1, "fcvtzs w0, d1, #5" },
	{ 0x1e664020, K_D, 1, "frinta d0, d1" },
	{ 0x1e274020, K_S, 1, "frintx s0, s1" },
	{ 0x1e644020, K_D, 1, "frintn d0, d1" },
	{ 0x4e62dc20, K_D, 2, "fmulx v0.2d, v1.2d, v2.2d" },
	{ 0x4e22fc20, K_S, 2, "frecps v0.4s, v1.4s, v2.4s" },
	{ 0x4ee2fc20, K_D, 2, "frsqrts v0.2d, v1.2d, v2.2d" },
	{ 0x4e22cc20, K_S, 2, "fmla v0.4s, v1.4s, v2.4s" },
	{ 0x4ee1d820, K_D, 1, "frecpe v0.2d, v1.2d" },
	{ 0x6ea1d820, K_S, 1, "frsqrte v0.4s, v1.4s" },
	{ 0x2e616820, K_D, 1, "fcvtxn v0.2s, v1.2d" },
	{ 0x0e216820, K_S, 1, "fcvtn v0.4h, v1.4s" },
	{ 0x0e217820, K_H, 1, "fcvtl v0.4s, v1.4h" },
	{ 0x6ea2ec20, K_S, 2, "facgt v0.4s, v1.4s, v2.4s" },
	{ 0x4e62e420, K_D, 2, "fcmeq v0.2d, v1.2d, v2.2d" },
	{ 0x6e22e420, K_S, 2, "fcmge v0.4s, v1.4s, v2.4s" },
	{ 0x1e220020, K_INT, 1, "scvtf s0, w1" },
	{ 0x9e630020, K_INT, 1, "ucvtf d0, x1" },
	{ 0x9e230020, K_INT, 1, "ucvtf s0, x1" },
	{ 0x1e428420, K_INT, 1, "scvtf d0, w1, #31" },
};

static const uint64_t f32_edges[] = {
	0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x80800001, 0x3f800000,
	0xbfc00000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
	0x7f800001, 0xff900000, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f800000, 0x3f000000,
	0x40200000, 0x1f800000, 0x20000000,
};

static const uint64_t f64_edges[] = {
	0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
	0x0010000000000000ull, 0x8010000000000001ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
	0x7fefffffffffffffull, 0xffefffffffffffffull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
	0x7ff8000000000000ull, 0xfff8000012345678ull, 0x7ff0000000000001ull, 0xfff4000000000000ull,
	0x41e0000000000000ull, 0xc1e0000000200000ull, 0x41dfffffffffffffull, 0x43f0000000000000ull,
	0x3fe0000000000000ull, 0x4004000000000000ull, 0x2000000000000000ull, 0x1ff0000000000000ull,
	0x3690000000000001ull, 0x47efffffe0000000ull, 0x380fffffe0000000ull,
};

static const uint64_t f16_edges[] = {
	0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x3c00, 0xbe00, 0x7bff, 0x7c00, 0xfc00,
	0x7e00, 0xfe55, 0x7c01, 0xfd00, 0x5bff, 0x0200,
};

static const uint64_t int_edges[] = {
	0, 1, ~0ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x7fffffff, 0x80000000,
	0xffffffff, 0x100000001ull, 0x0000000001000001ull, 0xffffffffff000001ull, 0x20000001,
};

static uint64_t lanes(int kind, uint64_t v)
{
	if (kind == K_S)
		return v | v << 32;
	if (kind == K_H)
		return v * 0x0001000100010001ull;
	return v;
}

static unsigned run_insn(unsigned k, unsigned *total)
{
	const uint64_t *vals;
	unsigned nv, bad = 0;

	switch (insns[k].kind) {
	case K_S: vals = f32_edges; nv = sizeof(f32_edges) / 8; break;
	case K_D: vals = f64_edges; nv = sizeof(f64_edges) / 8; break;
	case K_H: vals = f16_edges; nv = sizeof(f16_edges) / 8; break;
	default: vals = int_edges; nv = sizeof(int_edges) / 8; break;
	}
	/* Triples use every other value to stay fast. */
	unsigned step = insns[k].arity == 3 ? 2 : 1;
	unsigned nj = insns[k].arity >= 2 ? nv : 1, nl = insns[k].arity == 3 ? nv : 1;
	for (unsigned i = 0; i < nv; i++)
		for (unsigned j = 0; j < nj; j += step)
			for (unsigned l = 0; l < nl; l += step)
				for (unsigned f = 0; f < 2; f++) {
					uint64_t ops[3] = { lanes(insns[k].kind, vals[i]),
							    lanes(insns[k].kind, vals[j]),
							    lanes(insns[k].kind, vals[l]) };
					if (insns[k].kind == K_INT)
						ops[0] = vals[i];
					/* RMode x FZ x DN x AHP, two per operand combination */
					unsigned c = (i * 5 + j * 3 + l * 7 + f * 9) % 32;
					uint32_t fpcr = (c & 3) << 22 | ((c >> 2) & 1) << 24 |
							((c >> 3) & 1) << 25 | ((c >> 4) & 1) << 26;
					struct fpsimd_result r =
						fpsimd_diff_operands(insns[k].insn, ops, fpcr);
					(*total)++;
					bad += r.mismatches + (r.executed != 1);
				}
	return bad;
}

UNIT_TEST(fpsimd_edges, special_operands_match_unicorn_in_all_modes)
{
	unsigned failures = 0, total = 0;

	fpsimd_diff_reset_reports();
	for (unsigned k = 0; k < sizeof(insns) / sizeof(insns[0]); k++) {
		unsigned bad = run_insn(k, &total);
		if (bad)
			fprintf(stderr, "\n  %08x %s: %u bad", insns[k].insn, insns[k].text, bad);
		failures += bad;
	}
	fprintf(stderr, "\n  %u edge-case runs, %u bad", total, failures);
	CU_ASSERT_EQUAL(failures, 0);
}
