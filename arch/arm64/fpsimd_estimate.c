/*
 * Reciprocal and reciprocal square root estimates (FRECPE, FRSQRTE, URECPE, URSQRTE) and
 * FRECPX: the 8-bit table-free algorithms of the ARM ARM (J1.3 RecipEstimate,
 * RecipSqrtEstimate), bit-exact with hardware.
 */
#include <math.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"

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
		*frac = x & FP_D_FRAC;
	} else {
		*exp = (x >> 23) & 0xff;
		*frac = (x & FP_S_FRAC) << 29;
	}
}

static uint64_t pack52(int dbl, uint64_t sign, int exp, uint64_t frac)
{
	if (dbl)
		return sign | (uint64_t)exp << 52 | (frac & FP_D_FRAC);
	return sign | (uint64_t)exp << 23 | ((frac & FP_D_FRAC) >> 29);
}

uint64_t fp_recip_estimate(struct fpst *st, int dbl, uint64_t a)
{
	uint64_t sign = a & fp_sign_bit(dbl);

	a = fp_flush_in(st, dbl, a);
	if (fp_is_nan(dbl, a))
		return fp_process_nan(st, dbl, a);
	if (fp_is_inf(dbl, a))
		return sign;
	if (fp_is_zero(dbl, a)) {
		st->exc |= FPSR_DZC;
		return sign | fp_exp_mask(dbl);
	}
	double v = fabs(fp_to_host(dbl, a));
	if (v < (dbl ? 0x1p-1024 : 0x1p-128)) {
		/* The reciprocal overflows: FPRoundBase's overflow rules by rounding mode. */
		int m = fp_resolve_rmode(st, FPR_FPCR);
		bool to_inf = m == FPR_RN || (m == FPR_RP && !sign) || (m == FPR_RM && sign);
		st->exc |= FPSR_OFC | FPSR_IXC;
		return sign | (to_inf ? fp_exp_mask(dbl) : fp_exp_mask(dbl) - 1); /* inf or max normal */
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
			frac = (frac << 2) & FP_D_FRAC;
		} else {
			frac = (frac << 1) & FP_D_FRAC;
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
	uint64_t sign = a & fp_sign_bit(dbl);

	a = fp_flush_in(st, dbl, a);
	if (fp_is_nan(dbl, a))
		return fp_process_nan(st, dbl, a);
	if (fp_is_zero(dbl, a)) {
		st->exc |= FPSR_DZC;
		return sign | fp_exp_mask(dbl);
	}
	if (sign) {
		st->exc |= FPSR_IOC;
		return fp_default_nan(dbl);
	}
	if (fp_is_inf(dbl, a))
		return 0;
	int exp;
	uint64_t frac;
	unpack52(dbl, a, &exp, &frac);
	if (exp == 0) {
		while (!(frac >> 51 & 1)) {
			frac = (frac << 1) & FP_D_FRAC;
			exp--;
		}
		frac = (frac << 1) & FP_D_FRAC;
	}
	unsigned scaled = (exp & 1) ? 0x80 | (unsigned)(frac >> 45) : 0x100 | (unsigned)(frac >> 44);
	int rexp = ((dbl ? 3068 : 380) - exp) / 2;
	uint64_t rfrac = (uint64_t)(rsqrt_estimate(scaled) & 0xff) << 44;
	return pack52(dbl, 0, rexp, rfrac);
}

uint64_t fp_recpx(struct fpst *st, int dbl, uint64_t a)
{
	a = fp_flush_in(st, dbl, a);
	if (fp_is_nan(dbl, a))
		return fp_process_nan(st, dbl, a);
	uint64_t e = a & fp_exp_mask(dbl);
	uint64_t lsb = dbl ? 1ull << 52 : 1u << 23;
	/* Zero/denormal exponent gives the largest finite exponent, else its complement. */
	uint64_t re = e ? ~e & fp_exp_mask(dbl) : fp_exp_mask(dbl) - lsb;
	return (a & fp_sign_bit(dbl)) | re;
}

uint32_t fp_urecip_estimate(uint32_t a, bool rsqrt)
{
	if (rsqrt ? !(a >> 30) : !(a >> 31))
		return 0xffffffffu;
	unsigned scaled = a >> 23;
	return (rsqrt ? rsqrt_estimate(scaled) : recip_estimate(scaled)) << 23;
}
