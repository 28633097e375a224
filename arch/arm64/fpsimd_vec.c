/*
 * AdvSIMD integer "three same" and "three different" groups (ARM ARM C4.1.96), vector and
 * scalar. Elements are handled generically by size (esz: 0 = 8 bits ... 3 = 64 bits), with
 * typed fast paths for what string functions run; each result goes to a temporary first so
 * Vd may alias a source.
 */
#include <string.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

typedef __int128 i128;

/* Shift by a signed register amount (SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL). */
static uint64_t shift_reg(uint64_t v, int shift, unsigned esz, bool u, bool round, bool sat_,
			  bool *qc)
{
	int bits = 8 << esz;
	i128 val = simd_ext(v, esz, u);

	if (shift >= 0) {
		if (!sat_)
			return shift >= bits ? 0 : (uint64_t)simd_shl(val, shift) & simd_emask(esz);
		if (val == 0)
			return 0;
		if (shift >= bits)
			return simd_sat(val < 0 ? -((i128)1 << 100) : (i128)1 << 100, esz, u, qc);
		return simd_sat(simd_shl(val, shift), esz, u, qc);
	}
	int s = -shift;
	i128 r;
	if (round) {
		if (s > bits)
			return 0;
		r = (val + ((i128)1 << (s - 1))) >> s;
	} else {
		r = s >= bits ? (val < 0 ? -1 : 0) : val >> s;
	}
	/* A rounded unsigned shift can carry into bit "bits" only when saturating matters. */
	return sat_ ? simd_sat(r, esz, u, qc) : (uint64_t)r & simd_emask(esz);
}

static uint64_t three_same_elem(unsigned op, bool u, unsigned esz, uint64_t a, uint64_t b,
				uint64_t d, bool *qc)
{
	unsigned bits = 8 << esz;
	i128 x = simd_ext(a, esz, u), y = simd_ext(b, esz, u);
	uint64_t m = simd_emask(esz);

	switch (op) {
	case 0x00: return (uint64_t)((x + y) >> 1) & m;			/* SHADD */
	case 0x01: return simd_sat(x + y, esz, u, qc);			/* SQADD */
	case 0x02: return (uint64_t)((x + y + 1) >> 1) & m;		/* SRHADD */
	case 0x04: return (uint64_t)((x - y) >> 1) & m;			/* SHSUB */
	case 0x05: return simd_sat(x - y, esz, u, qc);			/* SQSUB */
	case 0x06: return x > y ? m : 0;				/* CMGT/CMHI */
	case 0x07: return x >= y ? m : 0;				/* CMGE/CMHS */
	case 0x08: return shift_reg(a, (int8_t)b, esz, u, false, false, qc); /* SSHL */
	case 0x09: return shift_reg(a, (int8_t)b, esz, u, false, true, qc);
	case 0x0a: return shift_reg(a, (int8_t)b, esz, u, true, false, qc);
	case 0x0b: return shift_reg(a, (int8_t)b, esz, u, true, true, qc);
	case 0x0c: case 0x14: return (uint64_t)(x > y ? x : y) & m;	/* SMAX(P) */
	case 0x0d: case 0x15: return (uint64_t)(x < y ? x : y) & m;	/* SMIN(P) */
	case 0x0e: return (uint64_t)(x > y ? x - y : y - x) & m;	/* SABD */
	case 0x0f: return (d + (uint64_t)(x > y ? x - y : y - x)) & m;	/* SABA */
	case 0x10: return (u ? a - b : a + b) & m;			/* ADD/SUB */
	case 0x11: return u ? ((a & m) == (b & m) ? m : 0) : (a & b & m ? m : 0); /* CMEQ/CMTST */
	case 0x12: return (u ? d - a * b : d + a * b) & m;		/* MLA/MLS */
	case 0x13:
		if (u) { /* PMUL: polynomial (carry-less) multiply of bytes */
			uint64_t r = 0;
			for (unsigned i = 0; i < 8; i++)
				if (b >> i & 1)
					r ^= (a & 0xff) << i;
			return r & m;
		}
		return (a * b) & m;					/* MUL */
	case 0x16: {							/* SQ(R)DMULH */
		i128 p = 2 * (i128)simd_sext(a, esz) * simd_sext(b, esz);
		if (u)
			p += (i128)1 << (bits - 1);
		return simd_sat(p >> bits, esz, false, qc);
	}
	case 0x17: return (a + b) & m;					/* ADDP */
	}
	return 0;
}

/*
 * Fast paths for the compares, min/max, add/sub and pairwise forms that string functions
 * run in their inner loops: one typed loop per element size instead of the generic
 * per-element switch. Returns false for everything else.
 */
#define FAST_LANES(M, UT, ST)								\
	do {										\
		unsigned cnt = (q ? 16 : 8) / sizeof(UT), h = cnt / 2;		\
		const UT ones = (UT)~(UT)0;						\
		switch (u << 5 | op) {							\
		case 0x11: /* CMTST */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = (n->M[i] & m->M[i]) ? ones : 0;		\
			return true;							\
		case 0x31: /* CMEQ */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = n->M[i] == m->M[i] ? ones : 0;		\
			return true;							\
		case 0x26: /* CMHI */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = n->M[i] > m->M[i] ? ones : 0;			\
			return true;							\
		case 0x27: /* CMHS */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = n->M[i] >= m->M[i] ? ones : 0;		\
			return true;							\
		case 0x06: /* CMGT */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = (ST)n->M[i] > (ST)m->M[i] ? ones : 0;		\
			return true;							\
		case 0x07: /* CMGE */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = (ST)n->M[i] >= (ST)m->M[i] ? ones : 0;	\
			return true;							\
		case 0x10: /* ADD */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = n->M[i] + m->M[i];				\
			return true;							\
		case 0x30: /* SUB */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = n->M[i] - m->M[i];				\
			return true;							\
		case 0x2c: /* UMAX */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = n->M[i] > m->M[i] ? n->M[i] : m->M[i];	\
			return true;							\
		case 0x2d: /* UMIN */							\
			for (unsigned i = 0; i < cnt; i++)				\
				t->M[i] = n->M[i] < m->M[i] ? n->M[i] : m->M[i];	\
			return true;							\
		case 0x34: /* UMAXP */							\
			for (unsigned i = 0; i < h; i++) {				\
				UT a = n->M[2 * i], b = n->M[2 * i + 1];		\
				UT c = m->M[2 * i], e = m->M[2 * i + 1];		\
				t->M[i] = a > b ? a : b;				\
				t->M[h + i] = c > e ? c : e;				\
			}								\
			return true;							\
		case 0x35: /* UMINP */							\
			for (unsigned i = 0; i < h; i++) {				\
				UT a = n->M[2 * i], b = n->M[2 * i + 1];		\
				UT c = m->M[2 * i], e = m->M[2 * i + 1];		\
				t->M[i] = a < b ? a : b;				\
				t->M[h + i] = c < e ? c : e;				\
			}								\
			return true;							\
		case 0x17: /* ADDP */							\
			for (unsigned i = 0; i < h; i++) {				\
				t->M[i] = n->M[2 * i] + n->M[2 * i + 1];		\
				t->M[h + i] = m->M[2 * i] + m->M[2 * i + 1];		\
			}								\
			return true;							\
		}									\
		return false;								\
	} while (0)

static bool three_same_fast(unsigned op, bool u, unsigned esz, bool q, const union a64_vreg *n,
			    const union a64_vreg *m, union a64_vreg *t)
{
	switch (esz) {
	case 0: FAST_LANES(b, uint8_t, int8_t);
	case 1: FAST_LANES(h, uint16_t, int16_t);
	case 2: FAST_LANES(s, uint32_t, int32_t);
	default: FAST_LANES(d, uint64_t, int64_t);
	}
}

int simd_three_same(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	unsigned esz = insn_bits(insn, 22, 2), op = insn_bits(insn, 11, 5);
	unsigned rm = insn_bits(insn, 16, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn], *mv = &fp->v[rm], *d = &fp->v[rd];
	bool qc = false;

	if (op >= 0x18)
		return vfp_three_same(fp, insn, scalar);
	if (op == 0x03) { /* AND/BIC/ORR/ORN, EOR/BSL/BIT/BIF */
		if (scalar)
			return A64_FP_UNDEF;
		for (int i = 0; i < 2; i++) {
			uint64_t a = n->d[i], b = mv->d[i], c = d->d[i], r;
			switch (u << 2 | esz) {
			case 0: r = a & b; break;
			case 1: r = a & ~b; break;
			case 2: r = a | b; break;
			case 3: r = a | ~b; break;
			case 4: r = a ^ b; break;
			case 5: r = (c & a) | (~c & b); break;		/* BSL */
			case 6: r = (b & a) | (~b & c); break;		/* BIT */
			default: r = (~b & a) | (b & c); break;	/* BIF */
			}
			t.d[i] = r;
		}
		vreg_write(fp, rd, &t, q);
		return A64_FP_OK;
	}
	if (scalar) {
		/* Scalar forms: saturating ones at any size, SQ(R)DMULH at H/S, the rest D only. */
		switch (op) {
		case 0x01: case 0x05: case 0x09: case 0x0b:
			break;
		case 0x16:
			if (esz != 1 && esz != 2)
				return A64_FP_UNDEF;
			break;
		case 0x06: case 0x07: case 0x08: case 0x0a: case 0x10: case 0x11:
			if (esz != 3)
				return A64_FP_UNDEF;
			break;
		default:
			return A64_FP_UNDEF;
		}
		t.d[0] = three_same_elem(op, u, esz, vreg_get(n, esz, 0), vreg_get(mv, esz, 0), 0, &qc);
		vreg_write(fp, rd, &t, false);
		if (qc)
			fp->fpsr |= FPSR_QC;
		return A64_FP_OK;
	}
	if (esz == 3 && !q)
		return A64_FP_UNDEF;
	switch (op) {
	case 0x00: case 0x02: case 0x04: case 0x0c: case 0x0d: case 0x0e: case 0x0f:
	case 0x12: case 0x14: case 0x15:
		if (esz == 3)
			return A64_FP_UNDEF;
		break;
	case 0x13:
		if (esz == 3 || (u && esz != 0))
			return A64_FP_UNDEF;
		break;
	case 0x16:
		if (esz == 0 || esz == 3)
			return A64_FP_UNDEF;
		break;
	case 0x17:
		if (u)
			return A64_FP_UNDEF;
		break;
	}
	if (three_same_fast(op, u, esz, q, n, mv, &t)) {
		vreg_write(fp, rd, &t, q);
		return A64_FP_OK;
	}
	unsigned cnt = (q ? 16 : 8) >> esz;
	bool pairwise = op >= 0x14 && op != 0x16;
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t a, b;
		if (pairwise) { /* pairs of the concatenation Vm:Vn */
			const union a64_vreg *src = 2 * i < cnt ? n : mv;
			unsigned j = (2 * i) % cnt;
			a = vreg_get(src, esz, j);
			b = vreg_get(src, esz, j + 1);
		} else {
			a = vreg_get(n, esz, i);
			b = vreg_get(mv, esz, i);
		}
		vreg_set(&t, esz, i, three_same_elem(op, u, esz, a, b, vreg_get(d, esz, i), &qc));
	}
	vreg_write(fp, rd, &t, q);
	if (qc)
		fp->fpsr |= FPSR_QC;
	return A64_FP_OK;
}

/* Long/wide/narrow-high forms: the "2" variants (Q = 1) use or fill the upper half. */
int simd_three_diff(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	unsigned esz = insn_bits(insn, 22, 2), op = insn_bits(insn, 12, 4);
	unsigned rm = insn_bits(insn, 16, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = fp->v[rd], *n = &fp->v[rn], *m = &fp->v[rm], *d = &fp->v[rd];
	unsigned half = q ? 8 >> esz : 0, cnt = 8 >> esz, wsz = esz + 1;
	bool qc = false;

	if (scalar) { /* only SQDMLAL, SQDMLSL, SQDMULL exist, on one element */
		if (op != 9 && op != 11 && op != 13)
			return A64_FP_UNDEF;
		half = 0;
		cnt = 1;
		memset(&t, 0, sizeof(t));
	}

	if (op == 15 || ((op == 9 || op == 11 || op == 13) && (u || esz == 0 || esz == 3)) ||
	    (op == 14 && (u || esz == 1 || esz == 2)) || (esz == 3 && op != 14))
		return A64_FP_UNDEF;
	if (op == 14) { /* PMULL/PMULL2: carry-less multiply */
		if (esz == 3) {
			uint64_t a = n->d[q], b = m->d[q];
			unsigned __int128 r = 0;
			for (unsigned i = 0; i < 64; i++)
				if (b >> i & 1)
					r ^= (unsigned __int128)a << i;
			t.q = r;
		} else {
			for (unsigned i = 0; i < 8; i++) {
				uint64_t a = n->b[half + i], b = m->b[half + i], r = 0;
				for (unsigned j = 0; j < 8; j++)
					if (b >> j & 1)
						r ^= a << j;
				t.h[i] = r;
			}
		}
		vreg_write(fp, rd, &t, true);
		return A64_FP_OK;
	}
	if (op == 4 || op == 6) { /* ADDHN/RADDHN/SUBHN/RSUBHN */
		unsigned bits = 8 << esz;
		if (!q)
			memset(&t, 0, sizeof(t));
		for (unsigned i = 0; i < cnt; i++) {
			uint64_t a = vreg_get(n, wsz, i), b = vreg_get(m, wsz, i);
			unsigned __int128 r = op == 4 ? (unsigned __int128)a + b
						      : (unsigned __int128)a - b;
			if (u)
				r += (unsigned __int128)1 << (bits - 1);
			vreg_set(&t, esz, half + i, (uint64_t)(r >> bits));
		}
		vreg_write(fp, rd, &t, true);
		return A64_FP_OK;
	}
	for (unsigned i = 0; i < cnt; i++) {
		i128 a = (op == 1 || op == 3) ? simd_ext(vreg_get(n, wsz, i), wsz, u)
					      : simd_ext(vreg_get(n, esz, half + i), esz, u);
		i128 b = simd_ext(vreg_get(m, esz, half + i), esz, u);
		i128 acc = simd_ext(vreg_get(d, wsz, i), wsz, u), r;
		switch (op) {
		case 0: case 1: r = a + b; break;
		case 2: case 3: r = a - b; break;
		case 5: r = acc + (a > b ? a - b : b - a); break;
		case 7: r = a > b ? a - b : b - a; break;
		case 8: r = acc + a * b; break;
		case 10: r = acc - a * b; break;
		case 12: r = a * b; break;
		default: { /* SQDMLAL, SQDMLSL, SQDMULL: saturate the doubling, then the sum */
			uint64_t p = simd_sat(2 * a * b, wsz, false, &qc);
			if (op == 13) {
				r = (i128)simd_sext(p, wsz);
				break;
			}
			i128 acc_s = (i128)simd_sext(vreg_get(d, wsz, i), wsz);
			r = op == 9 ? acc_s + simd_sext(p, wsz) : acc_s - simd_sext(p, wsz);
			r = (i128)simd_sext(simd_sat(r, wsz, false, &qc), wsz);
			break;
		}
		}
		vreg_set(&t, wsz, i, (uint64_t)r & simd_emask(wsz));
	}
	vreg_write(fp, rd, &t, true);
	if (qc)
		fp->fpsr |= FPSR_QC;
	return A64_FP_OK;
}
