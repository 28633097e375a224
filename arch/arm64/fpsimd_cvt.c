/*
 * FP conversions with Arm semantics: round to integral (FRINT*), FP <-> integer and fixed
 * point (saturating, IOC/IXC as FPToFixed/FixedToFP), between half, single and double
 * (FPConvert with AHP and FPConvertNaN) and FCVTXN's round-to-odd.
 */
#include <math.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

uint64_t fp_round_int(struct fpst *st, int dbl, uint64_t a, int rmode, bool exact)
{
	a = fp_flush_in(st, dbl, a);
	if (fp_is_nan(dbl, a))
		return fp_process_nan(st, dbl, a);
	if (fp_is_inf(dbl, a) || fp_is_zero(dbl, a))
		return a;
	double v = fp_to_host(dbl, a);
	double r = fp_round_integral(v, fp_resolve_rmode(st, rmode));
	if (exact && r != v)
		st->exc |= FPSR_IXC;
	/* A zero result keeps the operand's sign (FPRoundInt). */
	if (r == 0)
		return a & fp_sign_bit(dbl);
	return dbl ? fp_from_double(r) : fp_from_float((float)r);
}

uint64_t fp_to_fixed(struct fpst *st, int dbl, uint64_t a, int fbits, bool is_unsigned,
		     int isize, int rmode)
{
	a = fp_flush_in(st, dbl, a);
	if (fp_is_nan(dbl, a)) {
		st->exc |= FPSR_IOC;
		return 0;
	}
	double v = ldexp(fp_to_host(dbl, a), fbits);
	double r = fp_round_integral(v, fp_resolve_rmode(st, rmode));
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
	int m = fp_resolve_rmode(st, rmode);
	uint64_t r;

	if (isize == 32)
		v = is_unsigned ? (uint32_t)v : (uint64_t)(int64_t)(int32_t)v;
	fp_host_enter(st, m);
	if (dbl) {
		volatile double z = is_unsigned ? (double)v : (double)(int64_t)v;
		double s = ldexp(z, -fbits);
		r = fp_from_double(s);
	} else {
		volatile float z = is_unsigned ? (float)v : (float)(int64_t)v;
		float s = ldexpf(z, -fbits);
		r = fp_from_float(s);
	}
	return fp_host_exit(st, dbl, r, -1);
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
	double rq = fp_round_integral(q, m);
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
	uint64_t to_inf = to == FPT_H ? 0x7c00 : fp_exp_mask(to == FPT_D);
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
		a = fp_flush_in(st, dbl, a);
		frac = a & fp_frac_mask(dbl);
		nan = fp_is_nan(dbl, a);
		snan = fp_is_snan(dbl, a);
		inf = fp_is_inf(dbl, a);
		v = fp_to_host(dbl, a);
	}
	if (nan) {
		if (snan)
			st->exc |= FPSR_IOC;
		if (to == FPT_H && ahp) {
			st->exc |= snan ? 0 : FPSR_IOC;
			return to_sign;
		}
		if (st->fpcr & FPCR_DN)
			return to == FPT_H ? 0x7e00 : fp_default_nan(to == FPT_D);
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
	int m = fp_resolve_rmode(st, rmode);
	if (to == FPT_H)
		return round_to_half(st, neg, fabs(v), m);
	if (to == FPT_D)
		return fp_from_double(v); /* widening is exact */
	/* double to single */
	fp_host_enter(st, m);
	volatile double x = v;
	volatile float z = x;
	uint64_t r = fp_from_float(z);
	return fp_host_exit(st, 0, r, fabs(v) < 0x1p-126);
}

uint32_t fp_convert_odd(struct fpst *st, uint64_t a)
{
	struct fpst local = { .fpcr = st->fpcr };

	a = fp_flush_in(&local, 1, a);
	if (fp_is_nan(1, a) || fp_is_inf(1, a) || fp_is_zero(1, a)) {
		uint64_t r = fp_convert(&local, FPT_D, FPT_S, a, FPR_FPCR);
		st->exc |= local.exc;
		return r;
	}
	fp_host_enter(&local, FPR_RZ);
	volatile double x = fp_to_host(1, a);
	volatile float z = x;
	uint64_t r = fp_host_exit(&local, 0, fp_from_float(z), -1);
	/* Round to odd: an inexact result gets its lowest bit forced; a flushed one has no IXC. */
	if (local.exc & FPSR_IXC)
		r |= 1;
	st->exc |= local.exc;
	return r;
}
