/*
 * AdvSIMD two-register misc, across lanes and scalar pairwise groups (ARM ARM C4.1.96),
 * integer forms; the FP opcodes are passed on to fpsimd_vfp.c.
 */
#include <string.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

typedef __int128 i128;

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
