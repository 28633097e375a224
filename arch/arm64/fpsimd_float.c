/*
 * IEEE 754 primitives with Arm semantics for the SIMD&FP interpreter.
 *
 * The arithmetic itself runs on the host's SSE unit under the guest's rounding mode (exact
 * for + - * / sqrt fma and int<->fp conversions), with the host exception flags mapped to FPSR.
 * What x86 does differently is handled here explicitly (ARM ARM J1.3 shared pseudocode):
 *  - NaN propagation (FPProcessNaNs: SNaN before QNaN, operand order) and FPCR.DN;
 *  - the default NaN is positive (x86's is negative);
 *  - FPCR.FZ flushes denormal inputs (IDC) and tiny outputs (UFC, no IXC);
 *  - Arm detects tininess before rounding, x86 after: fixed up for results that round to the
 *    smallest normal.
 */
#include <fenv.h>
#include <math.h>
#include <string.h>
#include <xmmintrin.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

/* FPUnpack with FPCR.FZ: a denormal input reads as a zero of the same sign (IDC). */
uint64_t fp_flush_in(struct fpst *st, int dbl, uint64_t x)
{
	if ((st->fpcr & FPCR_FZ) && fp_is_denormal(dbl, x)) {
		st->exc |= FPSR_IDC;
		return x & fp_sign_bit(dbl);
	}
	return x;
}

/* FPProcessNaN: quieten a signalling NaN (IOC), or use the default NaN under FPCR.DN. */
uint64_t fp_process_nan(struct fpst *st, int dbl, uint64_t x)
{
	if (fp_is_snan(dbl, x)) {
		st->exc |= FPSR_IOC;
		x |= fp_quiet_bit(dbl);
	}
	return (st->fpcr & FPCR_DN) ? fp_default_nan(dbl) : x;
}

static bool process_nans2(struct fpst *st, int dbl, uint64_t a, uint64_t b, uint64_t *res)
{
	if (fp_is_snan(dbl, a))
		*res = fp_process_nan(st, dbl, a);
	else if (fp_is_snan(dbl, b))
		*res = fp_process_nan(st, dbl, b);
	else if (fp_is_nan(dbl, a))
		*res = fp_process_nan(st, dbl, a);
	else if (fp_is_nan(dbl, b))
		*res = fp_process_nan(st, dbl, b);
	else
		return false;
	return true;
}

static bool process_nans3(struct fpst *st, int dbl, uint64_t a, uint64_t b, uint64_t c,
			  uint64_t *res)
{
	uint64_t ops[3] = { a, b, c };

	for (int i = 0; i < 3; i++)
		if (fp_is_snan(dbl, ops[i])) {
			*res = fp_process_nan(st, dbl, ops[i]);
			return true;
		}
	for (int i = 0; i < 3; i++)
		if (fp_is_nan(dbl, ops[i])) {
			*res = fp_process_nan(st, dbl, ops[i]);
			return true;
		}
	return false;
}

/*
 * The host side runs on SSE only (x86-64 float/double arithmetic, conversions, fma, sqrt), so
 * the guest rounding mode and the exception flags live in MXCSR: one ldmxcsr sets the mode and
 * clears the flags, one stmxcsr reads them back. (glibc's fenv calls also touch the x87 unit
 * and cost several times more.) Rounding control bits 14:13: RN 00, RM 01, RP 10, RZ 11.
 */
#define MXCSR_FLAGS 0x3fu
#define MXCSR_RC 0x6000u
static const unsigned mxcsr_rc[4] = { 0x0000, 0x4000, 0x2000, 0x6000 };

int fp_resolve_rmode(struct fpst *st, int rmode)
{
	return rmode == FPR_FPCR ? (int)((st->fpcr >> 22) & 3) : rmode;
}

/*
 * Sets the guest rounding mode and clears the status flags. Lanes of one vector instruction
 * share one setting when FZ is off: their flags only accumulate into FPSR, so per-lane
 * separation is not needed (ldmxcsr right behind SSE arithmetic costs ~70 ns here). With FZ
 * each lane needs its own flags to decide the flush.
 */
void fp_host_enter(struct fpst *st, int rmode)
{
	if (st->host_mode == rmode + 1 && !(st->fpcr & FPCR_FZ))
		return;
	_mm_setcsr((_mm_getcsr() & ~(MXCSR_FLAGS | MXCSR_RC)) | mxcsr_rc[rmode]);
	st->host_mode = rmode + 1;
}

/* The host exception flags as FPSR bits; MXCSR keeps the mode until fp_host_restore(). */
static uint32_t host_flags(void)
{
	unsigned csr = _mm_getcsr();
	uint32_t exc = 0;

	if (csr & 0x01)
		exc |= FPSR_IOC;
	if (csr & 0x04)
		exc |= FPSR_DZC;
	if (csr & 0x08)
		exc |= FPSR_OFC;
	if (csr & 0x10)
		exc |= FPSR_UFC;
	if (csr & 0x20)
		exc |= FPSR_IXC;
	return exc;
}

/* Stale status flags are harmless to other host code (all exceptions stay masked); only a
   directed rounding mode must not leak out of the instruction. */
void fp_host_restore(void)
{
	unsigned csr = _mm_getcsr();

	if (csr & MXCSR_RC)
		_mm_setcsr(csr & ~MXCSR_RC);
}

static bool is_min_normal(int dbl, uint64_t r)
{
	return (r & ~fp_sign_bit(dbl)) == (dbl ? 0x0010000000000000ull : 0x00800000u);
}

/* Applies Arm's output rules to a host result r with host flags exc. tiny_before says whether
   the unrounded value was below the smallest normal; it only matters when r is the smallest
   normal (x86 detects tininess after rounding, Arm before) and is -1 when not computed. */
static uint64_t arm_result(struct fpst *st, int dbl, uint64_t r, uint32_t exc, int tiny_before)
{
	if (fp_is_nan(dbl, r))
		r = fp_default_nan(dbl);
	bool tiny_rounded_up = is_min_normal(dbl, r) && (exc & FPSR_IXC) && tiny_before == 1;
	if (tiny_rounded_up)
		exc |= FPSR_UFC;
	if (st->fpcr & FPCR_FZ) {
		bool tiny = fp_is_denormal(dbl, r) || (fp_is_zero(dbl, r) && (exc & FPSR_UFC)) ||
			    tiny_rounded_up;
		if (tiny) {
			r &= fp_sign_bit(dbl);
			exc = (exc & ~(FPSR_IXC | FPSR_UFC)) | FPSR_UFC;
		}
	}
	st->exc |= exc;
	return r;
}

uint64_t fp_host_exit(struct fpst *st, int dbl, uint64_t r, int tiny_before)
{
	return arm_result(st, dbl, r, host_flags(), tiny_before);
}

/*
 * Whether the exact value of a op b (or addend + a * b) is below the smallest normal, for a
 * result that rounded to it. x87 long double (64-bit significand, wide exponent) rounded toward
 * zero cannot round a value below the smallest normal up to it, so its verdict is exact.
 */
static int tiny_before_rounding(int dbl, int op, double a, double b, double addend)
{
	long double r;

	fesetround(FE_TOWARDZERO);
	volatile long double x = a, y = b;
	if (op == FOP_DIV)
		r = x / y;
	else if (op == FOP_MUL)
		r = x * y;
	else
		r = fmal(x, y, addend);
	fesetround(FE_TONEAREST);
	return fabsl(r) < (dbl ? 0x1p-1022L : 0x1p-126L);
}

static uint64_t host_binop(struct fpst *st, int dbl, int op, uint64_t a, uint64_t b)
{
	int rmode = fp_resolve_rmode(st, FPR_FPCR);
	uint64_t r;

	fp_host_enter(st, rmode);
	if (dbl) {
		volatile double x = fp_to_host(1, a), y = fp_to_host(1, b);
		volatile double z;
		switch (op) {
		case FOP_ADD: z = x + y; break;
		case FOP_SUB: z = x - y; break;
		case FOP_MUL: z = x * y; break;
		default: z = x / y; break;
		}
		r = fp_from_double(z);
	} else {
		volatile float x = fp_to_host(0, a), y = fp_to_host(0, b);
		volatile float z;
		switch (op) {
		case FOP_ADD: z = x + y; break;
		case FOP_SUB: z = x - y; break;
		case FOP_MUL: z = x * y; break;
		default: z = x / y; break;
		}
		r = fp_from_float(z);
	}
	uint32_t exc = host_flags();
	int tiny = -1;
	if (is_min_normal(dbl, r) && (op == FOP_MUL || op == FOP_DIV)) {
		tiny = tiny_before_rounding(dbl, op, fp_to_host(dbl, a), fp_to_host(dbl, b), 0);
		st->host_mode = 0; /* it used fesetround */
	}
	return arm_result(st, dbl, r, exc, tiny);
}

static uint64_t fp_minmax(struct fpst *st, int dbl, int op, uint64_t a, uint64_t b)
{
	bool is_max = op == FOP_MAX || op == FOP_MAXNM;
	uint64_t r;

	/* FPMaxNum/FPMinNum: a lone quiet NaN loses against a number (ARM ARM J1.3). */
	if (op == FOP_MAXNM || op == FOP_MINNM) {
		uint64_t inf = fp_exp_mask(dbl) | (is_max ? fp_sign_bit(dbl) : 0);
		bool qa = fp_is_nan(dbl, a) && !fp_is_snan(dbl, a);
		bool qb = fp_is_nan(dbl, b) && !fp_is_snan(dbl, b);
		if (qa && !fp_is_nan(dbl, b))
			a = inf;
		else if (qb && !fp_is_nan(dbl, a))
			b = inf;
	}
	if (process_nans2(st, dbl, a, b, &r))
		return r;
	double x = fp_to_host(dbl, a), y = fp_to_host(dbl, b);
	if (x == y && fp_is_zero(dbl, a)) {
		bool neg = is_max ? (a & b & fp_sign_bit(dbl)) : ((a | b) & fp_sign_bit(dbl));
		return neg ? fp_sign_bit(dbl) : 0;
	}
	if (is_max)
		return x > y ? a : b;
	return x < y ? a : b;
}

uint64_t fp_op2(struct fpst *st, int dbl, int op, uint64_t a, uint64_t b)
{
	uint64_t r;

	a = fp_flush_in(st, dbl, a);
	b = fp_flush_in(st, dbl, b);
	switch (op) {
	case FOP_MAX:
	case FOP_MIN:
	case FOP_MAXNM:
	case FOP_MINNM:
		return fp_minmax(st, dbl, op, a, b);
	case FOP_RECPS:
	case FOP_RSQRTS: {
		/* FPRecipStepFused / FPRSqrtStepFused: op1 is negated first. */
		a ^= fp_sign_bit(dbl);
		if (process_nans2(st, dbl, a, b, &r))
			return r;
		bool infzero = (fp_is_inf(dbl, a) && fp_is_zero(dbl, b)) ||
			       (fp_is_zero(dbl, a) && fp_is_inf(dbl, b));
		uint64_t two = dbl ? 0x4000000000000000ull : 0x40000000u;
		uint64_t one_half = dbl ? 0x3ff8000000000000ull : 0x3fc00000u;
		if (infzero)
			return op == FOP_RECPS ? two : one_half;
		if (fp_is_inf(dbl, a) || fp_is_inf(dbl, b))
			return fp_exp_mask(dbl) | ((a ^ b) & fp_sign_bit(dbl));
		if (op == FOP_RECPS)
			return fp_muladd(st, dbl, two, a, b);
		int rmode = fp_resolve_rmode(st, FPR_FPCR);
		fp_host_enter(st, rmode);
		/* (3 + a*b) / 2 with one rounding: fold the halving into b when that is exact,
		   else b is tiny, nothing can overflow and the final halving is exact. */
		bool halve_b = (b & fp_exp_mask(dbl)) > (dbl ? 1ull << 52 : 1u << 23);
		if (dbl) {
			double x = fp_to_host(1, a), y = fp_to_host(1, b);
			volatile double z = halve_b ? fma(x, y * 0.5, 1.5) : fma(x, y, 3.0) * 0.5;
			r = fp_from_double(z);
		} else {
			float x = fp_to_host(0, a), y = fp_to_host(0, b);
			volatile float z = halve_b ? fmaf(x, y * 0.5f, 1.5f) : fmaf(x, y, 3.0f) * 0.5f;
			r = fp_from_float(z);
		}
		return fp_host_exit(st, dbl, r, -1);
	}
	default:
		break;
	}
	if (process_nans2(st, dbl, a, b, &r)) {
		/* FABD is FPAbs(FPSub()), FNMUL FPNeg(FPMul()): both touch a NaN's sign too. */
		if (op == FOP_ABD)
			r &= ~fp_sign_bit(dbl);
		else if (op == FOP_NMUL)
			r ^= fp_sign_bit(dbl);
		return r;
	}
	switch (op) {
	case FOP_MULX:
		if ((fp_is_inf(dbl, a) && fp_is_zero(dbl, b)) || (fp_is_zero(dbl, a) && fp_is_inf(dbl, b)))
			return (dbl ? 0x4000000000000000ull : 0x40000000u) |
			       ((a ^ b) & fp_sign_bit(dbl));
		return host_binop(st, dbl, FOP_MUL, a, b);
	case FOP_ABD:
		return host_binop(st, dbl, FOP_SUB, a, b) & ~fp_sign_bit(dbl);
	case FOP_NMUL:
		return host_binop(st, dbl, FOP_MUL, a, b) ^ fp_sign_bit(dbl);
	default:
		return host_binop(st, dbl, op, a, b);
	}
}

uint64_t fp_muladd(struct fpst *st, int dbl, uint64_t addend, uint64_t n, uint64_t m)
{
	uint64_t r;

	addend = fp_flush_in(st, dbl, addend);
	n = fp_flush_in(st, dbl, n);
	m = fp_flush_in(st, dbl, m);
	bool infzero = (fp_is_inf(dbl, n) && fp_is_zero(dbl, m)) || (fp_is_zero(dbl, n) && fp_is_inf(dbl, m));
	bool done = process_nans3(st, dbl, addend, n, m, &r);
	/* FPMulAdd: inf * 0 + qNaN is invalid and gives the default NaN. */
	if (infzero && fp_is_nan(dbl, addend) && !fp_is_snan(dbl, addend)) {
		st->exc |= FPSR_IOC;
		return fp_default_nan(dbl);
	}
	if (done)
		return r;
	int rmode = fp_resolve_rmode(st, FPR_FPCR);
	int tiny = -1;
	fp_host_enter(st, rmode);
	if (dbl) {
		volatile double z = fma(fp_to_host(1, n), fp_to_host(1, m), fp_to_host(1, addend));
		r = fp_from_double(z);
	} else {
		volatile float z = fmaf(fp_to_host(0, n), fp_to_host(0, m), fp_to_host(0, addend));
		r = fp_from_float(z);
	}
	uint32_t exc = host_flags();
	if (is_min_normal(dbl, r)) {
		tiny = tiny_before_rounding(dbl, FOP_ADD, fp_to_host(dbl, n), fp_to_host(dbl, m),
					    fp_to_host(dbl, addend));
		st->host_mode = 0; /* it used fesetround */
	}
	return arm_result(st, dbl, r, exc, tiny);
}

uint64_t fp_sqrt(struct fpst *st, int dbl, uint64_t a)
{
	a = fp_flush_in(st, dbl, a);
	if (fp_is_nan(dbl, a))
		return fp_process_nan(st, dbl, a);
	int rmode = fp_resolve_rmode(st, FPR_FPCR);
	uint64_t r;
	fp_host_enter(st, rmode);
	if (dbl) {
		volatile double z = sqrt(fp_to_host(1, a));
		r = fp_from_double(z);
	} else {
		volatile float z = sqrtf(fp_to_host(0, a));
		r = fp_from_float(z);
	}
	return fp_host_exit(st, dbl, r, -1);
}

uint32_t fp_compare(struct fpst *st, int dbl, uint64_t a, uint64_t b, bool signal_nans)
{
	a = fp_flush_in(st, dbl, a);
	b = fp_flush_in(st, dbl, b);
	if (fp_is_nan(dbl, a) || fp_is_nan(dbl, b)) {
		if (signal_nans || fp_is_snan(dbl, a) || fp_is_snan(dbl, b))
			st->exc |= FPSR_IOC;
		return 0x3u << 28;
	}
	double x = fp_to_host(dbl, a), y = fp_to_host(dbl, b);
	if (x == y)
		return 0x6u << 28;
	return x < y ? 0x8u << 28 : 0x2u << 28;
}

bool fp_cmp_pred(struct fpst *st, int dbl, uint64_t a, uint64_t b, int cond, bool abs)
{
	a = fp_flush_in(st, dbl, a);
	b = fp_flush_in(st, dbl, b);
	if (fp_is_nan(dbl, a) || fp_is_nan(dbl, b)) {
		/* FCMEQ is a quiet compare; the ordered ones signal on any NaN. */
		if (cond != 0 || fp_is_snan(dbl, a) || fp_is_snan(dbl, b))
			st->exc |= FPSR_IOC;
		return false;
	}
	double x = fp_to_host(dbl, a), y = fp_to_host(dbl, b);
	if (abs) {
		x = fabs(x);
		y = fabs(y);
	}
	switch (cond) {
	case 0: return x == y;
	case 1: return x >= y;
	default: return x > y;
	}
}

/* Rounds to an integral value in an Arm rounding mode; no host flags involved. */
double fp_round_integral(double v, int rmode)
{
	switch (rmode) {
	case FPR_RN: return roundeven(v);
	case FPR_RP: return ceil(v);
	case FPR_RM: return floor(v);
	case FPR_RZ: return trunc(v);
	default: return round(v);
	}
}
