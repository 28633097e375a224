/*
 * AdvSIMD integer groups (ARM ARM C4.1.96): three same, two-register misc, across lanes,
 * pairwise, copy, modified immediate. Elements are handled generically by size (esz: 0 = 8
 * bits ... 3 = 64 bits); each result goes to a temporary first so Vd may alias a source.
 */
#include <string.h>

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

static unsigned clz_elem(uint64_t v, unsigned esz)
{
	unsigned bits = 8 << esz;
	v &= simd_emask(esz);
	return v ? __builtin_clzll(v) - (64 - bits) : bits;
}

/* Byte-lane fast path of two-register misc: the compares with zero, REV, CNT, NOT. */
static bool two_misc_bytes(unsigned op, bool u, bool q, const union a64_vreg *n, union a64_vreg *t)
{
	unsigned cnt = q ? 16 : 8;

	switch (u << 5 | op) {
	case 0x00: case 0x20: case 0x01: { /* REV64, REV32, REV16 */
		unsigned x = op ? 1 : u ? 3 : 7;
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = n->b[i ^ x];
		return true;
	}
	case 0x05: /* CNT */
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = __builtin_popcount(n->b[i]);
		return true;
	case 0x25: /* NOT */
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = ~n->b[i];
		return true;
	case 0x08: /* CMGT #0 */
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = (int8_t)n->b[i] > 0 ? 0xff : 0;
		return true;
	case 0x09: /* CMEQ #0 */
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = n->b[i] == 0 ? 0xff : 0;
		return true;
	case 0x0a: /* CMLT #0 */
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = (int8_t)n->b[i] < 0 ? 0xff : 0;
		return true;
	case 0x28: /* CMGE #0 */
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = (int8_t)n->b[i] >= 0 ? 0xff : 0;
		return true;
	case 0x29: /* CMLE #0 */
		for (unsigned i = 0; i < cnt; i++)
			t->b[i] = (int8_t)n->b[i] <= 0 ? 0xff : 0;
		return true;
	}
	return false;
}

int simd_two_misc(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	unsigned esz = insn_bits(insn, 22, 2), op = insn_bits(insn, 12, 5);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn], *d = &fp->v[rd];
	unsigned cnt = scalar ? 1 : (q ? 16 : 8) >> esz;
	bool qc = false;

	if (op >= 0x16 || ((op >= 0x0c && op <= 0x0f) && esz >= 2))
		return vfp_two_misc(fp, insn, scalar);
	if (op == 0x12 || op == 0x14) { /* XTN, SQXTN, SQXTUN, UQXTN (narrowing) */
		if (esz == 3 || (op == 0x12 && scalar && !u))
			return A64_FP_UNDEF;
		unsigned half = scalar ? 0 : (q ? 8 >> esz : 0);
		cnt = scalar ? 1 : 8 >> esz;
		if (q && !scalar)
			t = *d;
		for (unsigned i = 0; i < cnt; i++) {
			uint64_t v = vreg_get(n, esz + 1, i), r;
			if (op == 0x12 && !u)
				r = v & simd_emask(esz);
			else if (op == 0x12) /* SQXTUN: signed source, unsigned result */
				r = simd_sat(simd_sext(v, esz + 1), esz, true, &qc);
			else
				r = simd_sat(simd_ext(v, esz + 1, u), esz, u, &qc);
			vreg_set(&t, esz, half + i, r);
		}
		vreg_write(fp, rd, &t, scalar ? false : true);
		if (!scalar && !q)
			fp->v[rd].d[1] = 0;
		if (qc)
			fp->fpsr |= FPSR_QC;
		return A64_FP_OK;
	}
	if (scalar) {
		switch (op) {
		case 0x03: case 0x07:
			break;
		case 0x08: case 0x09: case 0x0b:
			if (esz != 3)
				return A64_FP_UNDEF;
			break;
		case 0x0a:
			if (esz != 3 || u)
				return A64_FP_UNDEF;
			break;
		default:
			return A64_FP_UNDEF;
		}
	} else if (esz == 3 && !q) {
		return A64_FP_UNDEF;
	}
	if (!scalar && esz == 0 && two_misc_bytes(op, u, q, n, &t)) {
		vreg_write(fp, rd, &t, q);
		return A64_FP_OK;
	}
	if (op == 0x13) { /* SHLL, SHLL2 */
		if (!u || esz == 3)
			return A64_FP_UNDEF;
		unsigned half = q ? 8 >> esz : 0;
		for (unsigned i = 0; i < (8u >> esz); i++)
			vreg_set(&t, esz + 1, i, vreg_get(n, esz, half + i) << (8 << esz));
		vreg_write(fp, rd, &t, true);
		return A64_FP_OK;
	}
	if (op == 0x02 || op == 0x06) { /* [SU]ADDLP, [SU]ADALP */
		if (esz == 3)
			return A64_FP_UNDEF;
		for (unsigned i = 0; i < cnt / 2; i++) {
			i128 r = simd_ext(vreg_get(n, esz, 2 * i), esz, u) +
				 simd_ext(vreg_get(n, esz, 2 * i + 1), esz, u);
			if (op == 0x06)
				r += vreg_get(d, esz + 1, i);
			vreg_set(&t, esz + 1, i, (uint64_t)r);
		}
		vreg_write(fp, rd, &t, q);
		return A64_FP_OK;
	}
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t v = vreg_get(n, esz, i), m = simd_emask(esz), r;
		int64_t s = simd_sext(v, esz);
		switch (op) {
		case 0x00:
		case 0x01: { /* REV64, REV32, REV16: reverse elements within containers */
			unsigned cbytes = op == 1 ? 2 : u ? 4 : 8;
			if ((1u << esz) >= cbytes || (op == 1 && u))
				return A64_FP_UNDEF;
			r = vreg_get(n, esz, i ^ ((cbytes >> esz) - 1));
			break;
		}
		case 0x03: /* SUQADD / USQADD */
			if (u)
				r = simd_sat((i128)vreg_get(d, esz, i) + (i128)s, esz, true, &qc);
			else
				r = simd_sat((i128)simd_sext(vreg_get(d, esz, i), esz) + (i128)(v & m), esz,
					false, &qc);
			break;
		case 0x04: /* CLS, CLZ */
			if (esz == 3)
				return A64_FP_UNDEF;
			r = u ? clz_elem(v, esz) : clz_elem(s < 0 ? ~v : v, esz) - 1;
			break;
		case 0x05: /* CNT, NOT, RBIT */
			if (!u && esz == 0)
				r = __builtin_popcount(v);
			else if (u && esz == 0)
				r = ~v & 0xff;
			else if (u && esz == 1) {
				/* RBIT works on bytes although size = 01 */
				for (unsigned j = 0; j < (q ? 16u : 8u); j++) {
					uint8_t b = n->b[j], o = 0;
					for (unsigned k = 0; k < 8; k++)
						o |= ((b >> k) & 1) << (7 - k);
					t.b[j] = o;
				}
				vreg_write(fp, rd, &t, q);
				return A64_FP_OK;
			} else
				return A64_FP_UNDEF;
			break;
		case 0x07: /* SQABS, SQNEG */
			r = simd_sat(u ? -(i128)s : (s < 0 ? -(i128)s : (i128)s), esz, false, &qc);
			break;
		case 0x08: r = (u ? s >= 0 : s > 0) ? m : 0; break;	/* CMGE/CMGT #0 */
		case 0x09: r = (u ? s <= 0 : s == 0) ? m : 0; break;	/* CMLE/CMEQ #0 */
		case 0x0a:
			if (u)
				return A64_FP_UNDEF;
			r = s < 0 ? m : 0;					/* CMLT #0 */
			break;
		case 0x0b: r = (u ? -v : (s < 0 ? -v : v)) & m; break;	/* NEG, ABS */
		default:
			return A64_FP_UNDEF;
		}
		vreg_set(&t, esz, i, r);
	}
	vreg_write(fp, rd, &t, scalar ? false : q);
	if (qc)
		fp->fpsr |= FPSR_QC;
	return A64_FP_OK;
}

int simd_across(struct a64_fpsimd *fp, uint32_t insn)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	unsigned esz = insn_bits(insn, 22, 2), op = insn_bits(insn, 12, 5);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn];
	unsigned cnt = (q ? 16 : 8) >> esz;

	if (op == 0x0c || op == 0x0f)
		return vfp_across(fp, insn);
	if (esz == 3 || (esz == 2 && !q) ||
	    (op != 0x03 && op != 0x0a && op != 0x1a && (op != 0x1b || u)))
		return A64_FP_UNDEF;
	if (esz == 0 && u && (op == 0x0a || op == 0x1a)) { /* UMAXV, UMINV on bytes */
		uint8_t acc = n->b[0];
		for (unsigned i = 1; i < cnt; i++)
			acc = (op == 0x0a) == (n->b[i] > acc) ? n->b[i] : acc;
		t.b[0] = acc;
		vreg_write(fp, rd, &t, false);
		return A64_FP_OK;
	}
	i128 acc = simd_ext(vreg_get(n, esz, 0), esz, u);
	for (unsigned i = 1; i < cnt; i++) {
		i128 v = simd_ext(vreg_get(n, esz, i), esz, u);
		switch (op) {
		case 0x03: acc += v; break;				/* [SU]ADDLV */
		case 0x0a: acc = v > acc ? v : acc; break;		/* [SU]MAXV */
		case 0x1a: acc = v < acc ? v : acc; break;		/* [SU]MINV */
		default: acc += v; break;				/* ADDV */
		}
	}
	vreg_set(&t, op == 0x03 ? esz + 1 : esz, 0, (uint64_t)acc & simd_emask(op == 0x03 ? esz + 1 : esz));
	vreg_write(fp, rd, &t, false);
	return A64_FP_OK;
}

int simd_pairwise_scalar(struct a64_fpsimd *fp, uint32_t insn)
{
	unsigned op = insn_bits(insn, 12, 5), esz = insn_bits(insn, 22, 2);
	bool u = insn_bits(insn, 29, 1);
	union a64_vreg t = { 0 };

	if (op == 0x1b && !u && esz == 3) { /* ADDP (scalar) */
		t.d[0] = fp->v[insn_bits(insn, 5, 5)].d[0] + fp->v[insn_bits(insn, 5, 5)].d[1];
		vreg_write(fp, insn_bits(insn, 0, 5), &t, false);
		return A64_FP_OK;
	}
	if (!u)
		return A64_FP_UNDEF; /* FP16 pairwise forms */
	return vfp_pairwise_scalar(fp, insn);
}

int simd_copy(struct a64_fpsimd *fp, uint64_t x[32], uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), op = insn_bits(insn, 29, 1);
	unsigned imm5 = insn_bits(insn, 16, 5), imm4 = insn_bits(insn, 11, 4);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 };

	if (!(imm5 & 0xf))
		return A64_FP_UNDEF;
	unsigned esz = __builtin_ctz(imm5), idx = imm5 >> (esz + 1);
	unsigned cnt = (q ? 16 : 8) >> esz;

	if (scalar) { /* DUP (element), scalar form: MOV Bd/Hd/Sd/Dd, Vn.T[i] */
		if (op || imm4)
			return A64_FP_UNDEF;
		vreg_set(&t, esz, 0, vreg_get(&fp->v[rn], esz, idx));
		vreg_write(fp, rd, &t, false);
		return A64_FP_OK;
	}
	if (op) { /* INS (element) */
		if (!q)
			return A64_FP_UNDEF;
		vreg_set(&fp->v[rd], esz, idx, vreg_get(&fp->v[rn], esz, imm4 >> esz));
		return A64_FP_OK;
	}
	switch (imm4) {
	case 0: /* DUP (element) */
	case 1: { /* DUP (general) */
		if (esz == 3 && !q)
			return A64_FP_UNDEF;
		uint64_t v = imm4 ? x[rn] : vreg_get(&fp->v[rn], esz, idx);
		for (unsigned i = 0; i < cnt; i++)
			vreg_set(&t, esz, i, v);
		vreg_write(fp, rd, &t, q);
		return A64_FP_OK;
	}
	case 3: /* INS (general) */
		if (!q)
			return A64_FP_UNDEF;
		vreg_set(&fp->v[rd], esz, idx, x[rn]);
		return A64_FP_OK;
	case 5: /* SMOV */
		if (esz == 3 || (esz == 2 && !q))
			return A64_FP_UNDEF;
		x[rd] = (uint64_t)simd_sext(vreg_get(&fp->v[rn], esz, idx), esz);
		if (!q)
			x[rd] &= 0xffffffffull;
		return A64_FP_OK;
	case 7: /* UMOV */
		if (q != (esz == 3))
			return A64_FP_UNDEF;
		x[rd] = vreg_get(&fp->v[rn], esz, idx);
		return A64_FP_OK;
	}
	return A64_FP_UNDEF;
}

/* AdvSIMDExpandImm (ARM ARM J1.3). Returns false for the unallocated FMOV double, Q = 0. */
static bool expand_imm(bool op, unsigned cmode, unsigned imm8, bool q, uint64_t *out)
{
	uint64_t i = imm8, r;

	switch (cmode >> 1) {
	case 0: case 1: case 2: case 3:
		r = i << (8 * (cmode >> 1));
		r |= r << 32;
		break;
	case 4: case 5:
		r = i << (8 * ((cmode >> 1) & 1));
		r |= r << 16;
		r |= r << 32;
		break;
	case 6:
		r = (cmode & 1) ? (i << 16 | 0xffff) : (i << 8 | 0xff);
		r |= r << 32;
		break;
	default:
		if (!(cmode & 1) && !op) {
			r = i * 0x0101010101010101ull;
		} else if (!(cmode & 1)) {
			r = 0;
			for (unsigned b = 0; b < 8; b++)
				if (imm8 >> b & 1)
					r |= 0xffull << (8 * b);
		} else if (!op) { /* FMOV (vector, single) */
			uint64_t s = (i >> 7) << 31 | (uint64_t)(((i >> 6) & 1) ^ 1) << 30 |
				     (((i >> 6) & 1) ? 0x1full << 25 : 0) | (i & 0x3f) << 19;
			r = s | s << 32;
		} else { /* FMOV (vector, double) */
			if (!q)
				return false;
			r = (i >> 7) << 63 | (uint64_t)(((i >> 6) & 1) ^ 1) << 62 |
			    (((i >> 6) & 1) ? 0xffull << 54 : 0) | (i & 0x3f) << 48;
		}
		break;
	}
	*out = r;
	return true;
}

int simd_mod_imm(struct a64_fpsimd *fp, uint32_t insn)
{
	bool q = insn_bits(insn, 30, 1), op = insn_bits(insn, 29, 1);
	unsigned cmode = insn_bits(insn, 12, 4);
	unsigned imm8 = insn_bits(insn, 16, 3) << 5 | insn_bits(insn, 5, 5);
	unsigned rd = insn_bits(insn, 0, 5);
	union a64_vreg t = fp->v[rd];
	uint64_t imm;

	if (insn_bits(insn, 11, 1) || !expand_imm(op, cmode, imm8, q, &imm))
		return A64_FP_UNDEF;
	bool orr_bic = cmode < 12 && (cmode & 1);
	for (int i = 0; i < 2; i++) {
		if (orr_bic)
			t.d[i] = op ? t.d[i] & ~imm : t.d[i] | imm;
		else if (op && cmode != 14 && cmode != 15)
			t.d[i] = ~imm; /* MVNI */
		else
			t.d[i] = imm;
	}
	vreg_write(fp, rd, &t, q);
	return A64_FP_OK;
}

int simd_table(struct a64_fpsimd *fp, uint32_t insn)
{
	bool q = insn_bits(insn, 30, 1), tbx = insn_bits(insn, 12, 1);
	unsigned len = insn_bits(insn, 13, 2) + 1, rm = insn_bits(insn, 16, 5);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = fp->v[rd], idx = fp->v[rm];

	if (insn_bits(insn, 22, 2))
		return A64_FP_UNDEF;
	for (unsigned i = 0; i < (q ? 16u : 8u); i++) {
		unsigned j = idx.b[i];
		if (j < 16 * len)
			t.b[i] = fp->v[(rn + j / 16) % 32].b[j % 16];
		else if (!tbx)
			t.b[i] = 0;
	}
	vreg_write(fp, rd, &t, q);
	return A64_FP_OK;
}

int simd_permute(struct a64_fpsimd *fp, uint32_t insn)
{
	bool q = insn_bits(insn, 30, 1);
	unsigned esz = insn_bits(insn, 22, 2), op = insn_bits(insn, 12, 3);
	unsigned rm = insn_bits(insn, 16, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn], *m = &fp->v[rm];
	unsigned cnt = (q ? 16 : 8) >> esz, part = op >> 2, half = cnt / 2;

	if ((esz == 3 && !q) || (op & 3) == 0)
		return A64_FP_UNDEF;
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t v;
		switch (op & 3) {
		case 1: { /* UZP1/2: even/odd elements of Vm:Vn */
			unsigned j = 2 * i + part;
			v = j < cnt ? vreg_get(n, esz, j) : vreg_get(m, esz, j - cnt);
			break;
		}
		case 2: /* TRN1/2 */
			v = vreg_get(i & 1 ? m : n, esz, (i & ~1u) + part);
			break;
		default: /* ZIP1/2 */
			v = vreg_get(i & 1 ? m : n, esz, i / 2 + part * half);
			break;
		}
		vreg_set(&t, esz, i, v);
	}
	vreg_write(fp, rd, &t, q);
	return A64_FP_OK;
}

int simd_extract(struct a64_fpsimd *fp, uint32_t insn)
{
	bool q = insn_bits(insn, 30, 1);
	unsigned imm4 = insn_bits(insn, 11, 4), rm = insn_bits(insn, 16, 5);
	unsigned rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	unsigned bytes = q ? 16 : 8;
	union a64_vreg t = { 0 };

	if (insn_bits(insn, 22, 2) || (!q && imm4 >= 8))
		return A64_FP_UNDEF;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned j = imm4 + i;
		t.b[i] = j < bytes ? fp->v[rn].b[j] : fp->v[rm].b[j - bytes];
	}
	vreg_write(fp, rd, &t, q);
	return A64_FP_OK;
}
