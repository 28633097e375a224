/*
 * AdvSIMD floating-point element operations (single and double lanes): three same, two-register
 * misc, across lanes and scalar pairwise. Half-precision lanes need FEAT_FP16, which the CPU
 * does not advertise, so those encodings are UNDEFINED (except the FCVTN/FCVTL conversions).
 */
#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

enum vfp_kind { VK_BAD, VK_OP2, VK_FMLA, VK_FMLS, VK_CMP, VK_ACMP, VK_PAIR };

struct vfp_op {
	enum vfp_kind kind;
	int op;		/* enum fp_op2, or the compare condition */
	bool scalar_ok;
};

/* Indexed by U:size<1>:opcode<2:0> of the 0x18-0x1f opcodes (ARM ARM C4.1.96.36). */
static const struct vfp_op three_same_ops[32] = {
	[0x00] = { VK_OP2, FOP_MAXNM, false },	[0x01] = { VK_FMLA, 0, false },
	[0x02] = { VK_OP2, FOP_ADD, false },	[0x03] = { VK_OP2, FOP_MULX, true },
	[0x04] = { VK_CMP, 0, true },		[0x06] = { VK_OP2, FOP_MAX, false },
	[0x07] = { VK_OP2, FOP_RECPS, true },
	[0x08] = { VK_OP2, FOP_MINNM, false },	[0x09] = { VK_FMLS, 0, false },
	[0x0a] = { VK_OP2, FOP_SUB, false },	[0x0e] = { VK_OP2, FOP_MIN, false },
	[0x0f] = { VK_OP2, FOP_RSQRTS, true },
	[0x10] = { VK_PAIR, FOP_MAXNM, false },	[0x12] = { VK_PAIR, FOP_ADD, false },
	[0x13] = { VK_OP2, FOP_MUL, false },	[0x14] = { VK_CMP, 1, true },
	[0x15] = { VK_ACMP, 1, true },		[0x16] = { VK_PAIR, FOP_MAX, false },
	[0x17] = { VK_OP2, FOP_DIV, false },
	[0x18] = { VK_PAIR, FOP_MINNM, false },	[0x1a] = { VK_OP2, FOP_ABD, true },
	[0x1c] = { VK_CMP, 2, true },		[0x1d] = { VK_ACMP, 2, true },
	[0x1e] = { VK_PAIR, FOP_MIN, false },
};

int vfp_three_same(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	bool a = insn_bits(insn, 23, 1), sz = insn_bits(insn, 22, 1);
	unsigned op = insn_bits(insn, 11, 3);
	unsigned rm = insn_bits(insn, 16, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	const struct vfp_op *o = &three_same_ops[u << 4 | a << 3 | op];
	unsigned esz = sz ? 3 : 2, cnt = scalar ? 1 : (q ? 16 : 8) >> esz;
	uint64_t sign = sz ? 1ull << 63 : 1ull << 31, ones = sz ? ~0ull : 0xffffffffull;
	union a64_vreg t = { 0 }, *n = &fp->v[rn], *m = &fp->v[rm], *d = &fp->v[rd];
	struct fpst st = { .fpcr = fp->fpcr };

	if (o->kind == VK_BAD || (scalar && !o->scalar_ok) || (!scalar && sz && !q))
		return A64_FP_UNDEF;
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t x = vreg_get(n, esz, i), y = vreg_get(m, esz, i), r;
		switch (o->kind) {
		case VK_PAIR: { /* pairs of the concatenation Vm:Vn */
			const union a64_vreg *src = 2 * i < cnt ? n : m;
			unsigned j = (2 * i) % cnt;
			r = fp_op2(&st, sz, o->op, vreg_get(src, esz, j), vreg_get(src, esz, j + 1));
			break;
		}
		case VK_FMLA:
			r = fp_muladd(&st, sz, vreg_get(d, esz, i), x, y);
			break;
		case VK_FMLS:
			r = fp_muladd(&st, sz, vreg_get(d, esz, i), x ^ sign, y);
			break;
		case VK_CMP:
		case VK_ACMP:
			r = fp_cmp_pred(&st, sz, x, y, o->op, o->kind == VK_ACMP) ? ones : 0;
			break;
		default:
			r = fp_op2(&st, sz, o->op, x, y);
			break;
		}
		vreg_set(&t, esz, i, r);
	}
	vreg_write(fp, rd, &t, scalar ? false : q);
	fp->fpsr |= st.exc;
	return A64_FP_OK;
}

static int fp_reduce_op(unsigned op, bool a)
{
	if (op == 0x0c)
		return a ? FOP_MINNM : FOP_MAXNM;
	if (op == 0x0d)
		return a ? -1 : FOP_ADD;
	return a ? FOP_MIN : FOP_MAX;
}

/* FMAXV/FMINV/FMAXNMV/FMINNMV (4S only): Reduce() pairs halves, (e0 op e1) op (e2 op e3). */
int vfp_across(struct a64_fpsimd *fp, uint32_t insn)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	bool a = insn_bits(insn, 23, 1), sz = insn_bits(insn, 22, 1);
	unsigned op = insn_bits(insn, 12, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn];
	struct fpst st = { .fpcr = fp->fpcr };

	if (!u || !q || sz)
		return A64_FP_UNDEF;
	int fop = fp_reduce_op(op, a);
	uint64_t lo = fp_op2(&st, 0, fop, n->s[0], n->s[1]);
	uint64_t hi = fp_op2(&st, 0, fop, n->s[2], n->s[3]);
	t.s[0] = fp_op2(&st, 0, fop, lo, hi);
	vreg_write(fp, rd, &t, false);
	fp->fpsr |= st.exc;
	return A64_FP_OK;
}

/* FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar): the two lanes of Vn.2S or Vn.2D. */
int vfp_pairwise_scalar(struct a64_fpsimd *fp, uint32_t insn)
{
	bool a = insn_bits(insn, 23, 1), sz = insn_bits(insn, 22, 1);
	unsigned op = insn_bits(insn, 12, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, *n = &fp->v[rn];
	struct fpst st = { .fpcr = fp->fpcr };
	unsigned esz = sz ? 3 : 2;

	if (op != 0x0c && op != 0x0d && op != 0x0f)
		return A64_FP_UNDEF;
	int fop = fp_reduce_op(op, a);
	if (fop < 0)
		return A64_FP_UNDEF;
	vreg_set(&t, esz, 0, fp_op2(&st, sz, fop, vreg_get(n, esz, 0), vreg_get(n, esz, 1)));
	vreg_write(fp, rd, &t, false);
	fp->fpsr |= st.exc;
	return A64_FP_OK;
}

/* FCVTN, FCVTXN, FCVTL: narrowing fills the low or ("2" forms) the high half of Vd. */
static int vfp_convert_width(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1), sz = insn_bits(insn, 22, 1);
	unsigned op = insn_bits(insn, 12, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	union a64_vreg t = { 0 }, n = fp->v[rn];
	struct fpst st = { .fpcr = fp->fpcr };
	int wide = sz ? FPT_D : FPT_S, narrow = sz ? FPT_S : FPT_H;
	unsigned wsz = sz ? 3 : 2, nsz = wsz - 1, cnt = sz ? 2 : 4;

	if (op == 0x16) {
		if ((u && !sz) || (scalar && !u))
			return A64_FP_UNDEF;
		unsigned half = scalar ? 0 : q ? cnt : 0;
		if (!scalar && q)
			t = fp->v[rd];
		for (unsigned i = 0; i < (scalar ? 1 : cnt); i++) {
			uint64_t v = vreg_get(&n, wsz, i);
			uint64_t r = u ? fp_convert_odd(&st, v)
				       : fp_convert(&st, wide, narrow, v, FPR_FPCR);
			vreg_set(&t, nsz, half + i, r);
		}
		vreg_write(fp, rd, &t, !scalar && q);
	} else {
		if (u || scalar)
			return A64_FP_UNDEF;
		unsigned half = q ? cnt : 0;
		for (unsigned i = 0; i < cnt; i++)
			vreg_set(&t, wsz, i, fp_convert(&st, narrow, wide,
							 vreg_get(&n, nsz, half + i), FPR_FPCR));
		vreg_write(fp, rd, &t, true);
	}
	fp->fpsr |= st.exc;
	return A64_FP_OK;
}

int vfp_two_misc(struct a64_fpsimd *fp, uint32_t insn, bool scalar)
{
	bool q = insn_bits(insn, 30, 1), u = insn_bits(insn, 29, 1);
	bool a = insn_bits(insn, 23, 1), sz = insn_bits(insn, 22, 1);
	unsigned op = insn_bits(insn, 12, 5), rn = insn_bits(insn, 5, 5), rd = insn_bits(insn, 0, 5);
	unsigned esz = sz ? 3 : 2, cnt = scalar ? 1 : (q ? 16 : 8) >> esz;
	uint64_t sign = sz ? 1ull << 63 : 1ull << 31, ones = sz ? ~0ull : 0xffffffffull;
	union a64_vreg t = { 0 }, *n = &fp->v[rn];
	struct fpst st = { .fpcr = fp->fpcr };
	static const int rint_modes[2][2][2] = {
		/* [u][a][op & 1] */
		{ { FPR_RN, FPR_RM }, { FPR_RP, FPR_RZ } },
		{ { FPR_RA, FPR_FPCR }, { -2, FPR_FPCR } },
	};

	if (op == 0x16 || op == 0x17)
		return a ? A64_FP_UNDEF : vfp_convert_width(fp, insn, scalar);
	if (!scalar && sz && !q)
		return A64_FP_UNDEF;
	bool scalar_ok = (op >= 0x0c && op <= 0x0e) || (op >= 0x1a && op <= 0x1c && !(a && op == 0x1c)) ||
			 op == 0x1d || (op == 0x1f && a && !u);
	if (scalar && !scalar_ok)
		return A64_FP_UNDEF;
	for (unsigned i = 0; i < cnt; i++) {
		uint64_t x = vreg_get(n, esz, i), r;
		switch (op) {
		case 0x0c: /* FCMGT, FCMGE #0.0 */
			r = fp_cmp_pred(&st, sz, x, 0, u ? 1 : 2, false) ? ones : 0;
			break;
		case 0x0d: /* FCMEQ, FCMLE #0.0 (LE is 0 >= x) */
			r = (u ? fp_cmp_pred(&st, sz, 0, x, 1, false)
			       : fp_cmp_pred(&st, sz, x, 0, 0, false)) ? ones : 0;
			break;
		case 0x0e: /* FCMLT #0.0 */
			if (u)
				return A64_FP_UNDEF;
			r = fp_cmp_pred(&st, sz, 0, x, 2, false) ? ones : 0;
			break;
		case 0x0f: /* FABS, FNEG */
			r = u ? x ^ sign : x & ~sign;
			break;
		case 0x18:
		case 0x19: { /* FRINT[NMPZAXI] */
			int mode = rint_modes[u][a][op & 1];
			if (mode == -2)
				return A64_FP_UNDEF;
			r = fp_round_int(&st, sz, x, mode, u && !a && (op & 1));
			break;
		}
		case 0x1a:
		case 0x1b:
		case 0x1c: { /* FCVT[NPMZA][SU] (vector/scalar) */
			static const int cvt_modes[2][3] = { { FPR_RN, FPR_RM, FPR_RA },
							     { FPR_RP, FPR_RZ, -2 } };
			int mode = cvt_modes[a][op - 0x1a];
			if (mode == -2) { /* URECPE, URSQRTE */
				if (sz)
					return A64_FP_UNDEF;
				r = fp_urecip_estimate(x, u);
				break;
			}
			r = fp_to_fixed(&st, sz, x, 0, u, 8 << esz, mode);
			break;
		}
		case 0x1d: /* SCVTF, UCVTF; FRECPE, FRSQRTE */
			if (a)
				r = u ? fp_rsqrt_estimate(&st, sz, x) : fp_recip_estimate(&st, sz, x);
			else
				r = fp_from_fixed(&st, sz, x, 0, u, 8 << esz, FPR_FPCR);
			break;
		case 0x1f: /* FSQRT (vector), FRECPX (scalar) */
			if (!a || u == scalar)
				return A64_FP_UNDEF;
			r = scalar ? fp_recpx(&st, sz, x) : fp_sqrt(&st, sz, x);
			break;
		default:
			return A64_FP_UNDEF;
		}
		vreg_set(&t, esz, i, r);
	}
	vreg_write(fp, rd, &t, scalar ? false : q);
	fp->fpsr |= st.exc;
	return A64_FP_OK;
}
