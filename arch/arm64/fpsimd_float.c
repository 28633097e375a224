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

#include "arch/arm64/fpsimd.h"

#define S_SIGN 0x80000000u
#define S_EXP 0x7f800000u
#define S_FRAC 0x007fffffu
#define S_QUIET 0x00400000u
#define D_SIGN 0x8000000000000000ull
#define D_EXP 0x7ff0000000000000ull
#define D_FRAC 0x000fffffffffffffull
#define D_QUIET 0x0008000000000000ull

static uint64_t sign_bit(int dbl) { return dbl ? D_SIGN : S_SIGN; }
static uint64_t exp_mask(int dbl) { return dbl ? D_EXP : S_EXP; }
static uint64_t frac_mask(int dbl) { return dbl ? D_FRAC : S_FRAC; }
static uint64_t quiet_bit(int dbl) { return dbl ? D_QUIET : S_QUIET; }

static bool is_nan(int dbl, uint64_t x)
{
	return (x & exp_mask(dbl)) == exp_mask(dbl) && (x & frac_mask(dbl));
}

static bool is_snan(int dbl, uint64_t x)
{
	return is_nan(dbl, x) && !(x & quiet_bit(dbl));
}

static bool is_inf(int dbl, uint64_t x)
{
	return (x & ~sign_bit(dbl)) == exp_mask(dbl);
}

static bool is_zero(int dbl, uint64_t x)
{
	return !(x & ~sign_bit(dbl));
}

static bool is_denormal(int dbl, uint64_t x)
{
	return !(x & exp_mask(dbl)) && (x & frac_mask(dbl));
}

static uint64_t default_nan(int dbl)
{
	return dbl ? 0x7ff8000000000000ull : 0x7fc00000u;
}

static double to_host(int dbl, uint64_t x)
{
	if (dbl) {
		double d;
		memcpy(&d, &x, 8);
		return d;
	}
	uint32_t w = x;
	float f;
	memcpy(&f, &w, 4);
	return f;
}

static uint64_t from_double(double d)
{
	uint64_t x;
	memcpy(&x, &d, 8);
	return x;
}

static uint64_t from_float(float f)
{
	uint32_t w;
	memcpy(&w, &f, 4);
	return w;
}

/* FPUnpack with FPCR.FZ: a denormal input reads as a zero of the same sign (IDC). */
static uint64_t flush_in(struct fpst *st, int dbl, uint64_t x)
{
	if ((st->fpcr & FPCR_FZ) && is_denormal(dbl, x)) {
		st->exc |= FPSR_IDC;
		return x & sign_bit(dbl);
	}
	return x;
}

/* FPProcessNaN: quieten a signalling NaN (IOC), or use the default NaN under FPCR.DN. */
static uint64_t process_nan(struct fpst *st, int dbl, uint64_t x)
{
	if (is_snan(dbl, x)) {
		st->exc |= FPSR_IOC;
		x |= quiet_bit(dbl);
	}
	return (st->fpcr & FPCR_DN) ? default_nan(dbl) : x;
}

static bool process_nans2(struct fpst *st, int dbl, uint64_t a, uint64_t b, uint64_t *res)
{
	if (is_snan(dbl, a))
		*res = process_nan(st, dbl, a);
	else if (is_snan(dbl, b))
		*res = process_nan(st, dbl, b);
	else if (is_nan(dbl, a))
		*res = process_nan(st, dbl, a);
	else if (is_nan(dbl, b))
		*res = process_nan(st, dbl, b);
	else
		return false;
	return true;
}

static bool process_nans3(struct fpst *st, int dbl, uint64_t a, uint64_t b, uint64_t c,
			  uint64_t *res)
{
	uint64_t ops[3] = { a, b, c };

	for (int i = 0; i < 3; i++)
		if (is_snan(dbl, ops[i])) {
			*res = process_nan(st, dbl, ops[i]);
			return true;
		}
	for (int i = 0; i < 3; i++)
		if (is_nan(dbl, ops[i])) {
			*res = process_nan(st, dbl, ops[i]);
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

static int resolve_rmode(struct fpst *st, int rmode)
{
	return rmode == FPR_FPCR ? (int)((st->fpcr >> 22) & 3) : rmode;
}

/*
 * Sets the guest rounding mode and clears the status flags. Lanes of one vector instruction
 * share one setting when FZ is off: their flags only accumulate into FPSR, so per-lane
 * separation is not needed (ldmxcsr right behind SSE arithmetic costs ~70 ns here). With FZ
 * each lane needs its own flags to decide the flush.
 */
static void host_enter(struct fpst *st, int rmode)
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
	return (r & ~sign_bit(dbl)) == (dbl ? 0x0010000000000000ull : 0x00800000u);
}

/* Applies Arm's output rules to a host result r with host flags exc. tiny_before says whether
   the unrounded value was below the smallest normal; it only matters when r is the smallest
   normal (x86 detects tininess after rounding, Arm before) and is -1 when not computed. */
static uint64_t arm_result(struct fpst *st, int dbl, uint64_t r, uint32_t exc, int tiny_before)
{
	if (is_nan(dbl, r))
		r = default_nan(dbl);
	bool tiny_rounded_up = is_min_normal(dbl, r) && (exc & FPSR_IXC) && tiny_before == 1;
	if (tiny_rounded_up)
		exc |= FPSR_UFC;
	if (st->fpcr & FPCR_FZ) {
		bool tiny = is_denormal(dbl, r) || (is_zero(dbl, r) && (exc & FPSR_UFC)) ||
			    tiny_rounded_up;
		if (tiny) {
			r &= sign_bit(dbl);
			exc = (exc & ~(FPSR_IXC | FPSR_UFC)) | FPSR_UFC;
		}
	}
	st->exc |= exc;
	return r;
}

static uint64_t host_exit(struct fpst *st, int dbl, uint64_t r, int tiny_before)
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
	int rmode = resolve_rmode(st, FPR_FPCR);
	uint64_t r;

	host_enter(st, rmode);
	if (dbl) {
		volatile double x = to_host(1, a), y = to_host(1, b);
		volatile double z;
		switch (op) {
		case FOP_ADD: z = x + y; break;
		case FOP_SUB: z = x - y; break;
		case FOP_MUL: z = x * y; break;
		default: z = x / y; break;
		}
		r = from_double(z);
	} else {
		volatile float x = to_host(0, a), y = to_host(0, b);
		volatile float z;
		switch (op) {
		case FOP_ADD: z = x + y; break;
		case FOP_SUB: z = x - y; break;
		case FOP_MUL: z = x * y; break;
		default: z = x / y; break;
		}
		r = from_float(z);
	}
	uint32_t exc = host_flags();
	int tiny = -1;
	if (is_min_normal(dbl, r) && (op == FOP_MUL || op == FOP_DIV)) {
		tiny = tiny_before_rounding(dbl, op, to_host(dbl, a), to_host(dbl, b), 0);
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
		uint64_t inf = exp_mask(dbl) | (is_max ? sign_bit(dbl) : 0);
		bool qa = is_nan(dbl, a) && !is_snan(dbl, a);
		bool qb = is_nan(dbl, b) && !is_snan(dbl, b);
		if (qa && !is_nan(dbl, b))
			a = inf;
		else if (qb && !is_nan(dbl, a))
			b = inf;
	}
	if (process_nans2(st, dbl, a, b, &r))
		return r;
	double x = to_host(dbl, a), y = to_host(dbl, b);
	if (x == y && is_zero(dbl, a)) {
		bool neg = is_max ? (a & b & sign_bit(dbl)) : ((a | b) & sign_bit(dbl));
		return neg ? sign_bit(dbl) : 0;
	}
	if (is_max)
		return x > y ? a : b;
	return x < y ? a : b;
}

uint64_t fp_op2(struct fpst *st, int dbl, int op, uint64_t a, uint64_t b)
{
	uint64_t r;

	a = flush_in(st, dbl, a);
	b = flush_in(st, dbl, b);
	switch (op) {
	case FOP_MAX:
	case FOP_MIN:
	case FOP_MAXNM:
	case FOP_MINNM:
		return fp_minmax(st, dbl, op, a, b);
	case FOP_RECPS:
	case FOP_RSQRTS: {
		/* FPRecipStepFused / FPRSqrtStepFused: op1 is negated first. */
		a ^= sign_bit(dbl);
		if (process_nans2(st, dbl, a, b, &r))
			return r;
		bool infzero = (is_inf(dbl, a) && is_zero(dbl, b)) ||
			       (is_zero(dbl, a) && is_inf(dbl, b));
		uint64_t two = dbl ? 0x4000000000000000ull : 0x40000000u;
		uint64_t one_half = dbl ? 0x3ff8000000000000ull : 0x3fc00000u;
		if (infzero)
			return op == FOP_RECPS ? two : one_half;
		if (is_inf(dbl, a) || is_inf(dbl, b))
			return exp_mask(dbl) | ((a ^ b) & sign_bit(dbl));
		if (op == FOP_RECPS)
			return fp_muladd(st, dbl, two, a, b);
		int rmode = resolve_rmode(st, FPR_FPCR);
		host_enter(st, rmode);
		/* (3 + a*b) / 2 with one rounding: fold the halving into b when that is exact,
		   else b is tiny, nothing can overflow and the final halving is exact. */
		bool halve_b = (b & exp_mask(dbl)) > (dbl ? 1ull << 52 : 1u << 23);
		if (dbl) {
			double x = to_host(1, a), y = to_host(1, b);
			volatile double z = halve_b ? fma(x, y * 0.5, 1.5) : fma(x, y, 3.0) * 0.5;
			r = from_double(z);
		} else {
			float x = to_host(0, a), y = to_host(0, b);
			volatile float z = halve_b ? fmaf(x, y * 0.5f, 1.5f) : fmaf(x, y, 3.0f) * 0.5f;
			r = from_float(z);
		}
		return host_exit(st, dbl, r, -1);
	}
	default:
		break;
	}
	if (process_nans2(st, dbl, a, b, &r)) {
		/* FABD is FPAbs(FPSub()), FNMUL FPNeg(FPMul()): both touch a NaN's sign too. */
		if (op == FOP_ABD)
			r &= ~sign_bit(dbl);
		else if (op == FOP_NMUL)
			r ^= sign_bit(dbl);
		return r;
	}
	switch (op) {
	case FOP_MULX:
		if ((is_inf(dbl, a) && is_zero(dbl, b)) || (is_zero(dbl, a) && is_inf(dbl, b)))
			return (dbl ? 0x4000000000000000ull : 0x40000000u) |
			       ((a ^ b) & sign_bit(dbl));
		return host_binop(st, dbl, FOP_MUL, a, b);
	case FOP_ABD:
		return host_binop(st, dbl, FOP_SUB, a, b) & ~sign_bit(dbl);
	case FOP_NMUL:
		return host_binop(st, dbl, FOP_MUL, a, b) ^ sign_bit(dbl);
	default:
		return host_binop(st, dbl, op, a, b);
	}
}

uint64_t fp_muladd(struct fpst *st, int dbl, uint64_t addend, uint64_t n, uint64_t m)
{
	uint64_t r;

	addend = flush_in(st, dbl, addend);
	n = flush_in(st, dbl, n);
	m = flush_in(st, dbl, m);
	bool infzero = (is_inf(dbl, n) && is_zero(dbl, m)) || (is_zero(dbl, n) && is_inf(dbl, m));
	bool done = process_nans3(st, dbl, addend, n, m, &r);
	/* FPMulAdd: inf * 0 + qNaN is invalid and gives the default NaN. */
	if (infzero && is_nan(dbl, addend) && !is_snan(dbl, addend)) {
		st->exc |= FPSR_IOC;
		return default_nan(dbl);
	}
	if (done)
		return r;
	int rmode = resolve_rmode(st, FPR_FPCR);
	int tiny = -1;
	host_enter(st, rmode);
	if (dbl) {
		volatile double z = fma(to_host(1, n), to_host(1, m), to_host(1, addend));
		r = from_double(z);
	} else {
		volatile float z = fmaf(to_host(0, n), to_host(0, m), to_host(0, addend));
		r = from_float(z);
	}
	uint32_t exc = host_flags();
	if (is_min_normal(dbl, r)) {
		tiny = tiny_before_rounding(dbl, FOP_ADD, to_host(dbl, n), to_host(dbl, m),
					    to_host(dbl, addend));
		st->host_mode = 0; /* it used fesetround */
	}
	return arm_result(st, dbl, r, exc, tiny);
}

uint64_t fp_sqrt(struct fpst *st, int dbl, uint64_t a)
{
	a = flush_in(st, dbl, a);
	if (is_nan(dbl, a))
		return process_nan(st, dbl, a);
	int rmode = resolve_rmode(st, FPR_FPCR);
	uint64_t r;
	host_enter(st, rmode);
	if (dbl) {
		volatile double z = sqrt(to_host(1, a));
		r = from_double(z);
	} else {
		volatile float z = sqrtf(to_host(0, a));
		r = from_float(z);
	}
	return host_exit(st, dbl, r, -1);
}

uint32_t fp_compare(struct fpst *st, int dbl, uint64_t a, uint64_t b, bool signal_nans)
{
	a = flush_in(st, dbl, a);
	b = flush_in(st, dbl, b);
	if (is_nan(dbl, a) || is_nan(dbl, b)) {
		if (signal_nans || is_snan(dbl, a) || is_snan(dbl, b))
			st->exc |= FPSR_IOC;
		return 0x3u << 28;
	}
	double x = to_host(dbl, a), y = to_host(dbl, b);
	if (x == y)
		return 0x6u << 28;
	return x < y ? 0x8u << 28 : 0x2u << 28;
}

bool fp_cmp_pred(struct fpst *st, int dbl, uint64_t a, uint64_t b, int cond, bool abs)
{
	a = flush_in(st, dbl, a);
	b = flush_in(st, dbl, b);
	if (is_nan(dbl, a) || is_nan(dbl, b)) {
		/* FCMEQ is a quiet compare; the ordered ones signal on any NaN. */
		if (cond != 0 || is_snan(dbl, a) || is_snan(dbl, b))
			st->exc |= FPSR_IOC;
		return false;
	}
	double x = to_host(dbl, a), y = to_host(dbl, b);
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
static double round_integral(double v, int rmode)
{
	switch (rmode) {
	case FPR_RN: return roundeven(v);
	case FPR_RP: return ceil(v);
	case FPR_RM: return floor(v);
	case FPR_RZ: return trunc(v);
	default: return round(v);
	}
}

uint64_t fp_round_int(struct fpst *st, int dbl, uint64_t a, int rmode, bool exact)
{
	a = flush_in(st, dbl, a);
	if (is_nan(dbl, a))
		return process_nan(st, dbl, a);
	if (is_inf(dbl, a) || is_zero(dbl, a))
		return a;
	double v = to_host(dbl, a);
	double r = round_integral(v, resolve_rmode(st, rmode));
	if (exact && r != v)
		st->exc |= FPSR_IXC;
	/* A zero result keeps the operand's sign (FPRoundInt). */
	if (r == 0)
		return a & sign_bit(dbl);
	return dbl ? from_double(r) : from_float((float)r);
}

uint64_t fp_to_fixed(struct fpst *st, int dbl, uint64_t a, int fbits, bool is_unsigned,
		     int isize, int rmode)
{
	a = flush_in(st, dbl, a);
	if (is_nan(dbl, a)) {
		st->exc |= FPSR_IOC;
		return 0;
	}
	double v = ldexp(to_host(dbl, a), fbits);
	double r = round_integral(v, resolve_rmode(st, rmode));
	double hi = ldexp(1.0, isize - (is_unsigned ? 0 : 1));
	double lo = is_unsigned ? 0.0 : -hi;
	uint64_t mask = isize == 64 ? ~0ull : (1ull << isize) - 1;

	if (r >= hi) {
		st->exc |= FPSR_IOC;
		return is_unsigned ? mask : mask >> 1;
	}
	if (r < lo) {
		st->exc |= FPSR_IOC;
		return is_unsigned ? 0 : (1ull << (isize - 1)) & mask;
	}
	if (r != v)
		st->exc |= FPSR_IXC;
	if (is_unsigned)
		return (uint64_t)r & mask;
	return (uint64_t)(int64_t)r & mask;
}

uint64_t fp_from_fixed(struct fpst *st, int dbl, uint64_t v, int fbits, bool is_unsigned,
		       int isize, int rmode)
{
	int m = resolve_rmode(st, rmode);
	uint64_t r;

	if (isize == 32)
		v = is_unsigned ? (uint32_t)v : (uint64_t)(int64_t)(int32_t)v;
	host_enter(st, m);
	if (dbl) {
		volatile double z = is_unsigned ? (double)v : (double)(int64_t)v;
		double s = ldexp(z, -fbits);
		r = from_double(s);
	} else {
		volatile float z = is_unsigned ? (float)v : (float)(int64_t)v;
		float s = ldexpf(z, -fbits);
		r = from_float(s);
	}
	return host_exit(st, dbl, r, -1);
}

/* Rounds |v| (finite, non-zero) to half precision in an Arm rounding mode (FPRoundCV: FZ16
   is ignored, AHP selects the alternative format without infinities or NaNs). */
static uint64_t round_to_half(struct fpst *st, bool neg, double v, int rmode)
{
	bool ahp = st->fpcr & FPCR_AHP;
	uint64_t sign = neg ? 0x8000 : 0;
	int e;

	frexp(v, &e);
	e -= 1; /* v = 1.f * 2^e */
	bool tiny = e < -14;
	double q = tiny ? ldexp(v, 24) : ldexp(v, 10 - e);
	/* Directed modes act on the signed value: toward +inf rounds a negative magnitude down. */
	int m = rmode;
	if (neg && (m == FPR_RP || m == FPR_RM))
		m = m == FPR_RP ? FPR_RM : FPR_RP;
	double rq = round_integral(q, m);
	bool inexact = rq != q;
	uint64_t bits;

	if (tiny) {
		bits = (uint64_t)rq; /* 0x400 is the smallest normal: the encoding carries over */
		if (inexact)
			st->exc |= FPSR_UFC;
	} else {
		uint64_t mant = (uint64_t)rq;
		if (mant == 0x800) {
			mant = 0x400;
			e++;
		}
		int max_e = ahp ? 16 : 15;
		if (e > max_e) {
			if (ahp) {
				st->exc |= FPSR_IOC;
				return sign | 0x7fff;
			}
			st->exc |= FPSR_OFC | FPSR_IXC;
			bool to_inf = m == FPR_RN || m == FPR_RP || m == FPR_RA;
			return sign | (to_inf ? 0x7c00 : 0x7bff);
		}
		bits = (uint64_t)(e + 15) << 10 | (mant - 0x400);
	}
	if (inexact)
		st->exc |= FPSR_IXC;
	return sign | bits;
}

static double half_value(uint64_t h)
{
	int exp = (h >> 10) & 0x1f;
	double v = exp ? ldexp((double)((h & 0x3ff) | 0x400), exp - 25)
		       : ldexp((double)(h & 0x3ff), -24);
	return (h & 0x8000) ? -v : v;
}

uint64_t fp_convert(struct fpst *st, int from, int to, uint64_t a, int rmode)
{
	static const int fbits[4] = { 23, 52, 0, 10 };
	static const int width[4] = { 32, 64, 0, 16 };
	bool ahp = st->fpcr & FPCR_AHP;
	bool neg = (a >> (width[from] - 1)) & 1;
	uint64_t to_sign = neg ? 1ull << (width[to] - 1) : 0;
	uint64_t to_inf = to == FPT_H ? 0x7c00 : exp_mask(to == FPT_D);
	uint64_t frac;
	bool nan, snan, inf;
	double v;

	if (from == FPT_H) {
		int exp = (a >> 10) & 0x1f;
		frac = a & 0x3ff;
		nan = !ahp && exp == 31 && frac;
		snan = nan && !(frac & 0x200);
		inf = !ahp && exp == 31 && !frac;
		v = half_value(a);
	} else {
		int dbl = from == FPT_D;
		a = flush_in(st, dbl, a);
		frac = a & frac_mask(dbl);
		nan = is_nan(dbl, a);
		snan = is_snan(dbl, a);
		inf = is_inf(dbl, a);
		v = to_host(dbl, a);
	}
	if (nan) {
		if (snan)
			st->exc |= FPSR_IOC;
		if (to == FPT_H && ahp) {
			st->exc |= snan ? 0 : FPSR_IOC;
			return to_sign;
		}
		if (st->fpcr & FPCR_DN)
			return to == FPT_H ? 0x7e00 : default_nan(to == FPT_D);
		/* FPConvertNaN: keep the sign and the top fraction bits, set the quiet bit. */
		int shift = fbits[to] - fbits[from];
		frac = shift >= 0 ? frac << shift : frac >> -shift;
		uint64_t quiet = 1ull << (fbits[to] - 1);
		return to_sign | to_inf | frac | quiet;
	}
	if (inf) {
		if (to == FPT_H && ahp) {
			st->exc |= FPSR_IOC;
			return to_sign | 0x7fff;
		}
		return to_sign | to_inf;
	}
	if (v == 0)
		return to_sign;
	int m = resolve_rmode(st, rmode);
	if (to == FPT_H)
		return round_to_half(st, neg, fabs(v), m);
	if (to == FPT_D)
		return from_double(v); /* widening is exact */
	/* double to single */
	host_enter(st, m);
	volatile double x = v;
	volatile float z = x;
	uint64_t r = from_float(z);
	return host_exit(st, 0, r, fabs(v) < 0x1p-126);
}

uint32_t fp_convert_odd(struct fpst *st, uint64_t a)
{
	struct fpst local = { .fpcr = st->fpcr };

	a = flush_in(&local, 1, a);
	if (is_nan(1, a) || is_inf(1, a) || is_zero(1, a)) {
		uint64_t r = fp_convert(&local, FPT_D, FPT_S, a, FPR_FPCR);
		st->exc |= local.exc;
		return r;
	}
	host_enter(&local, FPR_RZ);
	volatile double x = to_host(1, a);
	volatile float z = x;
	uint64_t r = host_exit(&local, 0, from_float(z), -1);
	/* Round to odd: an inexact result gets its lowest bit forced; a flushed one has no IXC. */
	if (local.exc & FPSR_IXC)
		r |= 1;
	st->exc |= local.exc;
	return r;
}

/* RecipEstimate (ARM ARM J1.3): a in [256, 512) is the 9-bit scaled operand. */
static unsigned recip_estimate(unsigned a)
{
	a = a * 2 + 1;
	unsigned b = (1u << 19) / a;
	return (b + 1) / 2;
}

/* RecipSqrtEstimate: a in [128, 512), [128, 256) meaning 0.25 .. 0.5. */
static unsigned rsqrt_estimate(unsigned a)
{
	if (a < 256) {
		a = a * 2 + 1;
	} else {
		a = (a >> 1) << 1;
		a = (a + 1) * 2;
	}
	uint64_t b = 512;
	while ((uint64_t)a * (b + 1) * (b + 1) < (1ull << 28))
		b++;
	return (b + 1) / 2;
}

/* The exponent and 52-bit fraction of a finite non-zero value, either width. */
static void unpack52(int dbl, uint64_t x, int *exp, uint64_t *frac)
{
	if (dbl) {
		*exp = (x >> 52) & 0x7ff;
		*frac = x & D_FRAC;
	} else {
		*exp = (x >> 23) & 0xff;
		*frac = (x & S_FRAC) << 29;
	}
}

static uint64_t pack52(int dbl, uint64_t sign, int exp, uint64_t frac)
{
	if (dbl)
		return sign | (uint64_t)exp << 52 | (frac & D_FRAC);
	return sign | (uint64_t)exp << 23 | ((frac & D_FRAC) >> 29);
}

uint64_t fp_recip_estimate(struct fpst *st, int dbl, uint64_t a)
{
	uint64_t sign = a & sign_bit(dbl);

	a = flush_in(st, dbl, a);
	if (is_nan(dbl, a))
		return process_nan(st, dbl, a);
	if (is_inf(dbl, a))
		return sign;
	if (is_zero(dbl, a)) {
		st->exc |= FPSR_DZC;
		return sign | exp_mask(dbl);
	}
	double v = fabs(to_host(dbl, a));
	if (v < (dbl ? 0x1p-1024 : 0x1p-128)) {
		/* The reciprocal overflows: FPRoundBase's overflow rules by rounding mode. */
		int m = resolve_rmode(st, FPR_FPCR);
		bool to_inf = m == FPR_RN || (m == FPR_RP && !sign) || (m == FPR_RM && sign);
		st->exc |= FPSR_OFC | FPSR_IXC;
		return sign | (to_inf ? exp_mask(dbl) : exp_mask(dbl) - 1); /* inf or max normal */
	}
	if ((st->fpcr & FPCR_FZ) && v >= (dbl ? 0x1p1022 : 0x1p126)) {
		st->exc |= FPSR_UFC;
		return sign;
	}
	int exp;
	uint64_t frac;
	unpack52(dbl, a, &exp, &frac);
	if (exp == 0) {
		if (!(frac >> 51 & 1)) {
			exp = -1;
			frac = (frac << 2) & D_FRAC;
		} else {
			frac = (frac << 1) & D_FRAC;
		}
	}
	unsigned scaled = 0x100 | (unsigned)(frac >> 44);
	int rexp = (dbl ? 2045 : 253) - exp;
	uint64_t rfrac = (uint64_t)(recip_estimate(scaled) & 0xff) << 44;
	if (rexp == 0) {
		rfrac = 1ull << 51 | rfrac >> 1;
	} else if (rexp == -1) {
		rfrac = 1ull << 50 | rfrac >> 2;
		rexp = 0;
	}
	return pack52(dbl, sign, rexp, rfrac);
}

uint64_t fp_rsqrt_estimate(struct fpst *st, int dbl, uint64_t a)
{
	uint64_t sign = a & sign_bit(dbl);

	a = flush_in(st, dbl, a);
	if (is_nan(dbl, a))
		return process_nan(st, dbl, a);
	if (is_zero(dbl, a)) {
		st->exc |= FPSR_DZC;
		return sign | exp_mask(dbl);
	}
	if (sign) {
		st->exc |= FPSR_IOC;
		return default_nan(dbl);
	}
	if (is_inf(dbl, a))
		return 0;
	int exp;
	uint64_t frac;
	unpack52(dbl, a, &exp, &frac);
	if (exp == 0) {
		while (!(frac >> 51 & 1)) {
			frac = (frac << 1) & D_FRAC;
			exp--;
		}
		frac = (frac << 1) & D_FRAC;
	}
	unsigned scaled = (exp & 1) ? 0x80 | (unsigned)(frac >> 45) : 0x100 | (unsigned)(frac >> 44);
	int rexp = ((dbl ? 3068 : 380) - exp) / 2;
	uint64_t rfrac = (uint64_t)(rsqrt_estimate(scaled) & 0xff) << 44;
	return pack52(dbl, 0, rexp, rfrac);
}

uint64_t fp_recpx(struct fpst *st, int dbl, uint64_t a)
{
	a = flush_in(st, dbl, a);
	if (is_nan(dbl, a))
		return process_nan(st, dbl, a);
	uint64_t e = a & exp_mask(dbl);
	uint64_t lsb = dbl ? 1ull << 52 : 1u << 23;
	/* Zero/denormal exponent gives the largest finite exponent, else its complement. */
	uint64_t re = e ? ~e & exp_mask(dbl) : exp_mask(dbl) - lsb;
	return (a & sign_bit(dbl)) | re;
}

uint32_t fp_urecip_estimate(uint32_t a, bool rsqrt)
{
	if (rsqrt ? !(a >> 30) : !(a >> 31))
		return 0xffffffffu;
	unsigned scaled = a >> 23;
	return (rsqrt ? rsqrt_estimate(scaled) : recip_estimate(scaled)) << 23;
}
