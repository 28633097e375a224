/*
 * A64 SIMD&FP data processing: top-level decode (ARM ARM C4.1.6, "Data Processing -- Scalar
 * Floating-Point and Advanced SIMD") and the scalar floating-point groups (C4.1.96).
 * Everything not implemented returns A64_FP_UNDEF so the CPU raises UNDEFINED.
 */
#include <string.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

/* AdvSIMD decode table: {value, mask, group}. Order matters where encodings nest (modified
   immediate is the immh == 0 corner of shift-by-immediate). */
enum simd_group {
	G_THREE_SAME, G_THREE_DIFF, G_TWO_MISC, G_ACROSS, G_COPY, G_INDEXED, G_MOD_IMM,
	G_SHIFT_IMM, G_TABLE, G_PERMUTE, G_EXTRACT, G_S_THREE_SAME, G_S_THREE_DIFF,
	G_S_TWO_MISC, G_S_PAIRWISE, G_S_COPY, G_S_INDEXED, G_S_SHIFT_IMM, G_UNALLOC,
};

static const struct {
	uint32_t value, mask;
	enum simd_group group;
} simd_decode[] = {
	{ 0x0e008400, 0x9f208400, G_UNALLOC },       /* three same extra (SDOT, FCMLA...) */
	{ 0x0e200400, 0x9f200400, G_THREE_SAME },
	{ 0x0e200000, 0x9f200c00, G_THREE_DIFF },
	{ 0x0e200800, 0x9f3e0c00, G_TWO_MISC },
	{ 0x0e300800, 0x9f3e0c00, G_ACROSS },
	{ 0x0e000400, 0x9fe08400, G_COPY },
	{ 0x0f000000, 0x9f000400, G_INDEXED },
	{ 0x0f000400, 0x9ff80400, G_MOD_IMM },
	{ 0x0f000400, 0x9f800400, G_SHIFT_IMM },
	{ 0x0e000000, 0xbf208c00, G_TABLE },
	{ 0x0e000800, 0xbf208c00, G_PERMUTE },
	{ 0x2e000000, 0xbf208400, G_EXTRACT },
	{ 0x5e008400, 0xdf208400, G_UNALLOC },
	{ 0x5e200400, 0xdf200400, G_S_THREE_SAME },
	{ 0x5e200000, 0xdf200c00, G_S_THREE_DIFF },
	{ 0x5e200800, 0xdf3e0c00, G_S_TWO_MISC },
	{ 0x5e300800, 0xdf3e0c00, G_S_PAIRWISE },
	{ 0x5e000400, 0xdfe08400, G_S_COPY },
	{ 0x5f000000, 0xdf000400, G_S_INDEXED },
	{ 0x5f000400, 0xdf800400, G_S_SHIFT_IMM },
};

static int simd_exec(struct a64_fpsimd *fp, uint64_t x[32], uint32_t insn)
{
	for (unsigned i = 0; i < sizeof(simd_decode) / sizeof(simd_decode[0]); i++) {
		if ((insn & simd_decode[i].mask) != simd_decode[i].value)
			continue;
		switch (simd_decode[i].group) {
		case G_THREE_SAME: return simd_three_same(fp, insn, false);
		case G_THREE_DIFF: return simd_three_diff(fp, insn, false);
		case G_TWO_MISC: return simd_two_misc(fp, insn, false);
		case G_ACROSS: return simd_across(fp, insn);
		case G_COPY: return simd_copy(fp, x, insn, false);
		case G_INDEXED: return simd_indexed(fp, insn, false);
		case G_MOD_IMM: return simd_mod_imm(fp, insn);
		case G_SHIFT_IMM: return simd_shift_imm(fp, insn, false);
		case G_TABLE: return simd_table(fp, insn);
		case G_PERMUTE: return simd_permute(fp, insn);
		case G_EXTRACT: return simd_extract(fp, insn);
		case G_S_THREE_SAME: return simd_three_same(fp, insn, true);
		case G_S_THREE_DIFF: return simd_three_diff(fp, insn, true);
		case G_S_TWO_MISC: return simd_two_misc(fp, insn, true);
		case G_S_PAIRWISE: return simd_pairwise_scalar(fp, insn);
		case G_S_COPY: return simd_copy(fp, x, insn, true);
		case G_S_INDEXED: return simd_indexed(fp, insn, true);
		case G_S_SHIFT_IMM: return simd_shift_imm(fp, insn, true);
		case G_UNALLOC: return A64_FP_UNDEF;
		}
	}
	return A64_FP_UNDEF; /* crypto and unallocated */
}

int a64_fpsimd_exec(struct a64_fpsimd *fp, uint64_t x[32], uint32_t *nzcv, uint32_t insn)
{
	if (((insn >> 25) & 7) != 7)
		return A64_FP_UNDEF;
	/* Scalar FP has op0 = x0x1 (bit 28 set, bit 30 clear); the rest is AdvSIMD. */
	int r;
	if ((insn & (1u << 28)) && !(insn & (1u << 30)))
		r = fpsimd_scalar_fp(fp, x, nzcv, insn);
	else
		r = simd_exec(fp, x, insn);
	fp_host_restore();
	return r;
}

bool a64_cond_holds(uint32_t nzcv, unsigned cond)
{
	bool n = nzcv >> 31 & 1, z = nzcv >> 30 & 1, c = nzcv >> 29 & 1, v = nzcv >> 28 & 1;
	bool r;

	switch (cond >> 1) {
	case 0: r = z; break;
	case 1: r = c; break;
	case 2: r = n; break;
	case 3: r = v; break;
	case 4: r = c && !z; break;
	case 5: r = n == v; break;
	case 6: r = n == v && !z; break;
	default: r = true; break;
	}
	if ((cond & 1) && cond != 15)
		r = !r;
	return r;
}

/* ---- scalar floating point (C4.1.96.20-30) ---- */

static uint64_t vfp_get(struct a64_fpsimd *fp, unsigned r, int ftype)
{
	return ftype == FPT_D ? fp->v[r].d[0] : ftype == FPT_S ? fp->v[r].s[0] : fp->v[r].h[0];
}

static void vfp_put(struct a64_fpsimd *fp, unsigned r, int ftype, uint64_t val)
{
	memset(&fp->v[r], 0, sizeof(fp->v[r]));
	if (ftype == FPT_D)
		fp->v[r].d[0] = val;
	else if (ftype == FPT_S)
		fp->v[r].s[0] = val;
	else
		fp->v[r].h[0] = val;
}

/* VFPExpandImm (ARM ARM J1.3): abcdefgh -> a:NOT(b):b...b:cd:efgh:0...0 */
static uint64_t vfp_expand_imm(unsigned imm8, int dbl)
{
	uint64_t sign = imm8 >> 7, b = (imm8 >> 6) & 1, cdefgh = imm8 & 0x3f;

	if (dbl)
		return sign << 63 | (b ^ 1) << 62 | (b ? 0xffull << 54 : 0) | cdefgh << 48;
	return sign << 31 | (b ^ 1) << 30 | (b ? 0x1full << 25 : 0) | cdefgh << 19;
}

static int fp_1src(struct a64_fpsimd *fp, struct fpst *st, uint32_t insn, int ftype)
{
	unsigned op = insn_bits(insn, 15, 6), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	int dbl = ftype == FPT_D;
	uint64_t a = vfp_get(fp, rn, ftype), sign = dbl ? 1ull << 63 : 1u << 31, r;
	static const int rint_mode[8] = { FPR_RN, FPR_RP, FPR_RM, FPR_RZ, FPR_RA, -2,
					  FPR_FPCR, FPR_FPCR };

	if (op == 4 || op == 5 || op == 7) { /* FCVT: opc names the destination type */
		int to = op == 4 ? FPT_S : op == 5 ? FPT_D : FPT_H;
		if (to == ftype)
			return A64_FP_UNDEF;
		vfp_put(fp, rd, to, fp_convert(st, ftype, to, a, FPR_FPCR));
		return A64_FP_OK;
	}
	if (ftype == FPT_H)
		return A64_FP_UNDEF; /* half-precision arithmetic is FEAT_FP16: not advertised */
	switch (op) {
	case 0: r = a; break;
	case 1: r = a & ~sign; break;
	case 2: r = a ^ sign; break;
	case 3: r = fp_sqrt(st, dbl, a); break;
	case 8 ... 15:
		if (rint_mode[op - 8] == -2)
			return A64_FP_UNDEF;
		r = fp_round_int(st, dbl, a, rint_mode[op - 8], op == 14);
		break;
	default:
		return A64_FP_UNDEF;
	}
	vfp_put(fp, rd, ftype, r);
	return A64_FP_OK;
}

static int fp_int_conv(struct a64_fpsimd *fp, struct fpst *st, uint64_t x[32], uint32_t insn,
		       int ftype)
{
	unsigned sf = insn >> 31, rmode = insn_bits(insn, 19, 2), op = insn_bits(insn, 16, 3);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	int isize = sf ? 64 : 32;
	uint64_t mask = sf ? ~0ull : 0xffffffffull;

	if (op == 6 || op == 7) { /* FMOV between general and FP registers */
		bool to_gpr = op == 6;
		if (ftype == FPT_S && !sf && rmode == 0) {
			if (to_gpr)
				x[rd] = fp->v[rn].s[0];
			else
				vfp_put(fp, rd, FPT_S, (uint32_t)x[rn]);
		} else if (ftype == FPT_D && sf && rmode == 0) {
			if (to_gpr)
				x[rd] = fp->v[rn].d[0];
			else
				vfp_put(fp, rd, FPT_D, x[rn]);
		} else if (ftype == 2 && sf && rmode == 1) { /* Vd.D[1], keeps D[0] */
			if (to_gpr)
				x[rd] = fp->v[rn].d[1];
			else
				fp->v[rd].d[1] = x[rn];
		} else {
			return A64_FP_UNDEF;
		}
		return A64_FP_OK;
	}
	if (ftype != FPT_S && ftype != FPT_D)
		return A64_FP_UNDEF;
	int dbl = ftype == FPT_D;
	switch (op) {
	case 0:
	case 1: /* FCVT{N,P,M,Z}{S,U}: rmode is the rounding mode */
		x[rd] = fp_to_fixed(st, dbl, vfp_get(fp, rn, ftype), 0, op & 1, isize, rmode);
		return A64_FP_OK;
	case 4:
	case 5: /* FCVTA{S,U} */
		if (rmode)
			return A64_FP_UNDEF;
		x[rd] = fp_to_fixed(st, dbl, vfp_get(fp, rn, ftype), 0, op & 1, isize, FPR_RA);
		return A64_FP_OK;
	case 2:
	case 3: /* SCVTF, UCVTF */
		if (rmode)
			return A64_FP_UNDEF;
		vfp_put(fp, rd, ftype,
			fp_from_fixed(st, dbl, x[rn] & mask, 0, op & 1, isize, FPR_FPCR));
		return A64_FP_OK;
	}
	return A64_FP_UNDEF;
}

static int fp_fixed_conv(struct a64_fpsimd *fp, struct fpst *st, uint64_t x[32], uint32_t insn,
			 int ftype)
{
	unsigned sf = insn >> 31, rmode = insn_bits(insn, 19, 2), op = insn_bits(insn, 16, 3);
	unsigned scale = insn_bits(insn, 10, 6), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	int isize = sf ? 64 : 32, fbits = 64 - scale, dbl = ftype == FPT_D;

	if ((ftype != FPT_S && ftype != FPT_D) || (!sf && scale < 32))
		return A64_FP_UNDEF;
	if (rmode == 3 && (op == 0 || op == 1)) { /* FCVTZS, FCVTZU (fixed-point) */
		x[rd] = fp_to_fixed(st, dbl, vfp_get(fp, rn, ftype), fbits, op & 1, isize, FPR_RZ);
		return A64_FP_OK;
	}
	if (rmode == 0 && (op == 2 || op == 3)) { /* SCVTF, UCVTF (fixed-point) */
		uint64_t v = sf ? x[rn] : (uint32_t)x[rn];
		vfp_put(fp, rd, ftype, fp_from_fixed(st, dbl, v, fbits, op & 1, isize, FPR_FPCR));
		return A64_FP_OK;
	}
	return A64_FP_UNDEF;
}

static int fp_2src(struct a64_fpsimd *fp, struct fpst *st, uint32_t insn, int ftype)
{
	static const int ops[9] = { FOP_MUL, FOP_DIV, FOP_ADD, FOP_SUB, FOP_MAX,
				    FOP_MIN, FOP_MAXNM, FOP_MINNM, FOP_NMUL };
	unsigned op = insn_bits(insn, 12, 4), rm = insn_bits(insn, 16, 5);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);

	if (op > 8)
		return A64_FP_UNDEF;
	uint64_t r = fp_op2(st, ftype == FPT_D, ops[op], vfp_get(fp, rn, ftype), vfp_get(fp, rm, ftype));
	vfp_put(fp, rd, ftype, r);
	return A64_FP_OK;
}

static int fp_3src(struct a64_fpsimd *fp, struct fpst *st, uint32_t insn, int ftype)
{
	unsigned o1 = insn_bits(insn, 21, 1), o0 = insn_bits(insn, 15, 1);
	unsigned rm = insn_bits(insn, 16, 5), ra = insn_bits(insn, 10, 5);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	int dbl = ftype == FPT_D;
	uint64_t sign = dbl ? 1ull << 63 : 1u << 31;
	uint64_t a = vfp_get(fp, ra, ftype), n = vfp_get(fp, rn, ftype), m = vfp_get(fp, rm, ftype);

	/* FMADD/FMSUB/FNMADD/FNMSUB: opa_neg = o1, op1_neg = o0 != o1 (FPNeg also flips NaNs). */
	if (o1)
		a ^= sign;
	if (o0 != o1)
		n ^= sign;
	vfp_put(fp, rd, ftype, fp_muladd(st, dbl, a, n, m));
	return A64_FP_OK;
}

int fpsimd_scalar_fp(struct a64_fpsimd *fp, uint64_t x[32], uint32_t *nzcv, uint32_t insn)
{
	int ftype = insn_bits(insn, 22, 2);
	struct fpst st = { .fpcr = fp->fpcr };
	int ret;

	if (insn_bits(insn, 29, 1))
		return A64_FP_UNDEF; /* S = 1 is unallocated throughout */
	if (ftype == 2 && !(insn_bits(insn, 24, 1) == 0 && insn_bits(insn, 21, 1) &&
			    insn_bits(insn, 10, 6) == 0))
		return A64_FP_UNDEF; /* ftype 10 only names FMOV Xd <-> Vn.D[1] */
	if (insn_bits(insn, 24, 1)) {
		if (ftype == FPT_H || (insn >> 31))
			return A64_FP_UNDEF;
		ret = fp_3src(fp, &st, insn, ftype);
	} else if (!insn_bits(insn, 21, 1)) {
		ret = fp_fixed_conv(fp, &st, x, insn, ftype);
	} else if (insn_bits(insn, 10, 2) == 0 && insn_bits(insn, 12, 4) == 0) {
		ret = fp_int_conv(fp, &st, x, insn, ftype);
	} else if (insn >> 31) {
		return A64_FP_UNDEF; /* M = 1 only exists for the integer conversions */
	} else if (insn_bits(insn, 10, 2) == 0) {
		unsigned rn = insn_bits(insn, 5, 5), rm = insn_bits(insn, 16, 5);
		unsigned low = insn_bits(insn, 12, 4);
		if (ftype == FPT_H && !(low & 4 && !(low & 3)))
			return A64_FP_UNDEF; /* only FCVT from half exists without FEAT_FP16 */
		if (low & 1) { /* FMOV (scalar, immediate) */
			if (insn_bits(insn, 5, 5))
				return A64_FP_UNDEF;
			vfp_put(fp, insn_bits(insn, 0, 5), ftype,
				vfp_expand_imm(insn_bits(insn, 13, 8), ftype == FPT_D));
			ret = A64_FP_OK;
		} else if (low & 2) { /* FCMP, FCMPE */
			if (insn_bits(insn, 14, 2) || insn_bits(insn, 0, 3))
				return A64_FP_UNDEF;
			uint64_t b = insn_bits(insn, 3, 1) ? 0 : vfp_get(fp, rm, ftype);
			*nzcv = fp_compare(&st, ftype == FPT_D, vfp_get(fp, rn, ftype), b,
					   insn_bits(insn, 4, 1));
			ret = A64_FP_OK;
		} else if (low & 4) {
			ret = fp_1src(fp, &st, insn, ftype);
		} else {
			return A64_FP_UNDEF;
		}
	} else if (ftype == FPT_H) {
		return A64_FP_UNDEF;
	} else {
		unsigned rn = insn_bits(insn, 5, 5), rm = insn_bits(insn, 16, 5);
		unsigned cond = insn_bits(insn, 12, 4);
		switch (insn_bits(insn, 10, 2)) {
		case 1: /* FCCMP, FCCMPE */
			if (a64_cond_holds(*nzcv, cond))
				*nzcv = fp_compare(&st, ftype == FPT_D, vfp_get(fp, rn, ftype),
						   vfp_get(fp, rm, ftype), insn_bits(insn, 4, 1));
			else
				*nzcv = insn_bits(insn, 0, 4) << 28;
			ret = A64_FP_OK;
			break;
		case 2:
			ret = fp_2src(fp, &st, insn, ftype);
			break;
		default: /* FCSEL */
			vfp_put(fp, insn_bits(insn, 0, 5), ftype,
				vfp_get(fp, a64_cond_holds(*nzcv, cond) ? rn : rm, ftype));
			ret = A64_FP_OK;
			break;
		}
	}
	if (ret == A64_FP_OK)
		fp->fpsr |= st.exc;
	return ret;
}
