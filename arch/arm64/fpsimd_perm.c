/*
 * AdvSIMD data movement (ARM ARM C4.1.96): copy (DUP/INS/UMOV/SMOV), modified immediate
 * (MOVI/MVNI/ORR/BIC/FMOV), table lookup (TBL/TBX), permute (ZIP/UZP/TRN) and extract (EXT).
 */
#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

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
