/*
 * AdvSIMD shift by immediate and by-element groups, vector and scalar (ARM ARM C4.1.96:
 * "Advanced SIMD (scalar) shift by immediate", "Advanced SIMD (scalar) x indexed element").
 */
#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

typedef __int128 i128;

/* Right shift by 1..64 (possibly rounding) of an extended element value. */
static i128 shr_round(i128 v, unsigned sh, bool round)
{
	if (round)
		v += (i128)1 << (sh - 1);
	return v >> sh;
}

static int shift_fixed_fp(struct a64_fpsimd *fp, uint32_t insn, bool scalar, unsigned esz,
			  unsigned fbits)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	unsigned op = insn_bits(insn, 11, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 };
	struct fpst st = { .fpcr = fp->fpcr };
	unsigned cnt = scalar ? 1 : (q ? 16 : 8) >> esz;
	int dbl = esz == 3;

	if (esz < 2 || (!scalar && dbl && !q))
		return A64_FP_UNDEF; /* half precision needs FEAT_FP16 */
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t v = vreg_get(&fp->v[rn], esz, i), r;
		if (op == 0x1c) /* SCVTF, UCVTF (fixed-point) */
			r = fp_from_fixed(&st, dbl, v, fbits, u, 8 << esz, FPR_FPCR);
		else /* FCVTZS, FCVTZU (fixed-point) */
			r = fp_to_fixed(&st, dbl, v, fbits, u, 8 << esz, FPR_RZ);
		vreg_set(&t, esz, i, r);
	}
	vreg_write(fp, rd, &t, scalar ? false : q);
	fp->fpsr |= st.exc;
	return A64_FP_OK;
}

/* Typed loops for the plain vector shifts string and hashing code use: USHR, SSHR, SHL. */
#define SHIFT_LANES(M, UT, ST)								\
	do {										\
		unsigned cnt = (q ? 16 : 8) / sizeof(UT);				\
		if (op == 0x00 && u) {							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = rsh >= bits ? 0 : (UT)(n->M[i] >> rsh);	\
		} else if (op == 0x00) {						\
			unsigned sh = rsh >= bits ? bits - 1 : rsh;			\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = (UT)((ST)n->M[i] >> sh);			\
		} else if (op == 0x0a && !u) {						\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = (UT)(n->M[i] << lsh);				\
		} else {								\
			return false;							\
		}									\
		return true;								\
	} while (0)

static bool shift_fast(unsigned op, bool u, unsigned esz, bool q, unsigned rsh, unsigned lsh,
		       const union a64_vreg *n, union a64_vreg *t)
{
	unsigned bits = 8 << esz;

	switch (esz) {
	case 0: SHIFT_LANES(b, uint8_t, int8_t);
	case 1: SHIFT_LANES(h, uint16_t, int16_t);
	case 2: SHIFT_LANES(s, uint32_t, int32_t);
	default: SHIFT_LANES(d, uint64_t, int64_t);
	}
}

int simd_shift_imm(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	unsigned immh = insn_bits(insn, 19, 4), immhb = insn_bits(insn, 16, 7);
	unsigned op = insn_bits(insn, 11, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn], *d = &fp->v[rd];
	bool qc = false;

	if (!immh)
		return A64_FP_UNDEF;
	unsigned esz = 31 - __builtin_clz(immh), bits = 8 << esz;
	unsigned rsh = 2 * bits - immhb, lsh = immhb - bits;
	unsigned cnt = scalar ? 1 : (q ? 16 : 8) >> esz;

	if (op == 0x1c || op == 0x1f)
		return shift_fixed_fp(fp, insn, scalar, esz, rsh);
	if (op >= 0x10 && op <= 0x14) {
		/* Narrowing (source 2*esize) and lengthening forms; esz names the small size. */
		if (esz == 3 || (scalar && (op == 0x14 || (!u && op < 0x12))))
			return A64_FP_UNDEF;
		unsigned half = scalar ? 0 : q ? 8 >> esz : 0;
		unsigned ncnt = scalar ? 1 : 8 >> esz, wsz = esz + 1;
		if (op == 0x14) { /* SSHLL, USHLL (SXTL/UXTL when the shift is 0) */
			for (unsigned i = 0; i < ncnt; i++) {
				i128 v = simd_ext(vreg_get(n, esz, half + i), esz, u);
				vreg_set(&t, wsz, i, (uint64_t)simd_shl(v, lsh));
			}
			vreg_write(fp, rd, &t, true);
			return A64_FP_OK;
		}
		if (!scalar && q)
			t = *d;
		bool round = op & 1;
		for (unsigned i = 0; i < ncnt; i++) {
			uint64_t w = vreg_get(n, wsz, i), r;
			if (op <= 0x11 && !u) { /* SHRN, RSHRN */
				r = (uint64_t)shr_round(simd_ext(w, wsz, true), rsh, round);
				r &= simd_emask(esz);
			} else if (op <= 0x11) { /* SQSHRUN, SQRSHRUN */
				r = simd_sat(shr_round(simd_ext(w, wsz, false), rsh, round), esz, true, &qc);
			} else { /* SQSHRN, UQSHRN, SQRSHRN, UQRSHRN */
				r = simd_sat(shr_round(simd_ext(w, wsz, u), rsh, round), esz, u, &qc);
			}
			vreg_set(&t, esz, half + i, r);
		}
		vreg_write(fp, rd, &t, !scalar && q);
		if (qc)
			fp->fpsr |= FPSR_QC;
		return A64_FP_OK;
	}
	if (scalar ? (op < 0x0c && esz != 3) : (esz == 3 && !q))
		return A64_FP_UNDEF;
	if (!scalar && shift_fast(op, u, esz, q, rsh, lsh, n, &t)) {
		vreg_write(fp, rd, &t, q);
		return A64_FP_OK;
	}
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t v = vreg_get(n, esz, i), dv = vreg_get(d, esz, i), m = simd_emask(esz), r;
		i128 x = simd_ext(v, esz, u);
		switch (op) {
		case 0x00: r = (uint64_t)shr_round(x, rsh, false); break;	/* SSHR */
		case 0x02: r = dv + (uint64_t)shr_round(x, rsh, false); break;	/* SSRA */
		case 0x04: r = (uint64_t)shr_round(x, rsh, true); break;	/* SRSHR */
		case 0x06: r = dv + (uint64_t)shr_round(x, rsh, true); break;	/* SRSRA */
		case 0x08: { /* SRI */
			if (!u)
				return A64_FP_UNDEF;
			uint64_t mask = rsh >= bits ? 0 : m >> rsh;
			r = (dv & ~mask) | (rsh >= bits ? 0 : (v & m) >> rsh);
			break;
		}
		case 0x0a: /* SHL, SLI */
			r = u ? (dv & ~(m << lsh)) | (v << lsh) : v << lsh;
			break;
		case 0x0c: /* SQSHLU */
			if (!u)
				return A64_FP_UNDEF;
			r = simd_sat(simd_shl(simd_ext(v, esz, false), lsh), esz, true, &qc);
			break;
		case 0x0e: r = simd_sat(simd_shl(x, lsh), esz, u, &qc); break;	/* SQSHL, UQSHL */
		default:
			return A64_FP_UNDEF;
		}
		vreg_set(&t, esz, i, r & m);
	}
	vreg_write(fp, rd, &t, scalar ? false : q);
	if (qc)
		fp->fpsr |= FPSR_QC;
	return A64_FP_OK;
}

static int indexed_fp(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1), sz = insn_bits(insn, 22, 1);
	unsigned op = insn_bits(insn, 12, 4), l = insn_bits(insn, 21, 1), h = insn_bits(insn, 11, 1);
	unsigned rm = insn_bits(insn, 16, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	unsigned esz = sz ? 3 : 2, idx = sz ? h : (h << 1 | l);
	unsigned cnt = scalar ? 1 : (q ? 16 : 8) >> esz;
	union a64_vreg t = { 0 };
	struct fpst st = { .fpcr = fp->fpcr };
	uint64_t sign = sz ? 1ull << 63 : 1ull << 31;

	if ((sz && l) || (sz && !q && !scalar) || (u && op != 9))
		return A64_FP_UNDEF;
	uint64_t b = vreg_get(&fp->v[rm], esz, idx);
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t a = vreg_get(&fp->v[rn], esz, i), r;
		switch (op) {
		case 1: /* FMLA */
			r = fp_muladd(&st, sz, vreg_get(&fp->v[rd], esz, i), a, b);
			break;
		case 5: /* FMLS: the element of Vn is negated (FPNeg) */
			r = fp_muladd(&st, sz, vreg_get(&fp->v[rd], esz, i), a ^ sign, b);
			break;
		default: /* FMUL, FMULX */
			r = fp_op2(&st, sz, u ? FOP_MULX : FOP_MUL, a, b);
			break;
		}
		vreg_set(&t, esz, i, r);
	}
	vreg_write(fp, rd, &t, scalar ? false : q);
	fp->fpsr |= st.exc;
	return A64_FP_OK;
}

int simd_indexed(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	unsigned esz = insn_bits(insn, 22, 2), op = insn_bits(insn, 12, 4);
	unsigned l = insn_bits(insn, 21, 1), mbit = insn_bits(insn, 20, 1), h = insn_bits(insn, 11, 1);
	unsigned rm = insn_bits(insn, 16, 4), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn], *d = &fp->v[rd];
	bool qc = false;

	if (op == 1 || op == 5 || op == 9) {
		if (esz < 2)
			return A64_FP_UNDEF; /* FP16 by-element forms need FEAT_FP16 */
		return indexed_fp(fp, insn, scalar);
	}
	if (esz == 0 || esz == 3)
		return A64_FP_UNDEF;
	unsigned idx = esz == 1 ? (h << 2 | l << 1 | mbit) : (h << 1 | l);
	if (esz == 2)
		rm |= mbit << 4;
	uint64_t b = vreg_get(&fp->v[rm], esz, idx);
	bool is_long = op == 2 || op == 3 || op == 6 || op == 7 || op == 10 || op == 11;
	bool valid = u ? (op == 0 || op == 2 || op == 4 || op == 6 || op == 10)
		       : (op == 2 || op == 3 || op == 6 || op == 7 || op == 8 || op == 10 ||
			  op == 11 || op == 12 || op == 13);
	if (!valid)
		return A64_FP_UNDEF;
	if (scalar && !(!u && (op == 3 || op == 7 || op == 11 || op == 12 || op == 13)))
		return A64_FP_UNDEF;
	if (is_long) {
		unsigned half = scalar ? 0 : q ? 8 >> esz : 0, cnt = scalar ? 1 : 8 >> esz;
		unsigned wsz = esz + 1;
		for (unsigned i = 0; i < cnt; i++) {
			i128 a = simd_ext(vreg_get(n, esz, half + i), esz, u), bb = simd_ext(b, esz, u);
			i128 acc = simd_ext(vreg_get(d, wsz, i), wsz, u), r;
			switch (op) {
			case 2: r = acc + a * bb; break;	/* [SU]MLAL */
			case 6: r = acc - a * bb; break;	/* [SU]MLSL */
			case 10: r = a * bb; break;		/* [SU]MULL */
			default: { /* SQDMLAL, SQDMLSL, SQDMULL */
				i128 p = simd_sext(simd_sat(2 * a * bb, wsz, false, &qc), wsz);
				if (op == 11) {
					r = p;
					break;
				}
				r = op == 3 ? acc + p : acc - p;
				r = simd_sext(simd_sat(r, wsz, false, &qc), wsz);
				break;
			}
			}
			vreg_set(&t, wsz, i, (uint64_t)r & simd_emask(wsz));
		}
		vreg_write(fp, rd, &t, !scalar);
	} else {
		unsigned cnt = scalar ? 1 : (q ? 16 : 8) >> esz, bits = 8 << esz;
		for (unsigned i = 0; i < cnt; i++) {
			uint64_t a = vreg_get(n, esz, i), dv = vreg_get(d, esz, i), r;
			switch (op) {
			case 0: r = dv + a * b; break;		/* MLA */
			case 4: r = dv - a * b; break;		/* MLS */
			case 8: r = a * b; break;		/* MUL */
			default: { /* SQDMULH, SQRDMULH */
				i128 p = 2 * (i128)simd_sext(a, esz) * simd_sext(b, esz);
				if (op == 13)
					p += (i128)1 << (bits - 1);
				r = simd_sat(p >> bits, esz, false, &qc);
				break;
			}
			}
			vreg_set(&t, esz, i, r & simd_emask(esz));
		}
		vreg_write(fp, rd, &t, scalar ? false : q);
	}
	if (qc)
		fp->fpsr |= FPSR_QC;
	return A64_FP_OK;
}
