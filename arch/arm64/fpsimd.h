/*
 * AArch64 SIMD&FP data processing for the interpreter (ARM ARM C4.1.6 / C4.1.7:
 * the "Data Processing -- Scalar Floating-Point and Advanced SIMD" space, op0 = x111).
 * Loads and stores of V registers are done by the CPU; this module executes the rest.
 */
#ifndef MINIVMM_ARM64_FPSIMD_H
#define MINIVMM_ARM64_FPSIMD_H

#include <stdint.h>

union a64_vreg {
	uint8_t b[16];
	uint16_t h[8];
	uint32_t s[4];
	uint64_t d[2];
	float f[4];
	double df[2];
	unsigned __int128 q;
};

struct a64_fpsimd {
	union a64_vreg v[32];
	uint32_t fpcr, fpsr;
};

enum { A64_FP_OK = 0, A64_FP_UNDEF = 1 };

/* Executes one SIMD&FP data-processing instruction (the op0 = x111 space of the A64 top-level
   table, ARM ARM C4.1, excluding loads/stores which the CPU does). x[0..30] are the GPRs, x[31]
   reads as 0 (XZR) and the caller discards writes to it; *nzcv holds N,Z,C,V in bits 31:28. */
int a64_fpsimd_exec(struct a64_fpsimd *fp, uint64_t x[32], uint32_t *nzcv, uint32_t insn);

#ifdef FPSIMD_INTERNAL
/*
 * Internal to arch/arm64/fpsimd*.c (and its tests), hidden from other includers: IEEE
 * primitives with Arm semantics (ARM ARM J1.3, the FPUnpack/FPProcessNaNs/FPRound
 * pseudocode), shared by the scalar and vector decoders. Values travel as raw bit patterns;
 * ftype uses the instruction encoding (0 S, 1 D, 3 H).
 */
#include <stdbool.h>
#include <string.h>

#define FPSR_IOC (1u << 0)
#define FPSR_DZC (1u << 1)
#define FPSR_OFC (1u << 2)
#define FPSR_UFC (1u << 3)
#define FPSR_IXC (1u << 4)
#define FPSR_IDC (1u << 7)
#define FPSR_QC (1u << 27)
#define FPCR_AHP (1u << 26)
#define FPCR_DN (1u << 25)
#define FPCR_FZ (1u << 24)

enum { FPT_S = 0, FPT_D = 1, FPT_H = 3 };
/* Rounding modes: FPCR.RMode values, plus ties-away (FCVTA*, FRINTA) and "use FPCR". */
enum { FPR_RN = 0, FPR_RP = 1, FPR_RM = 2, FPR_RZ = 3, FPR_RA = 4, FPR_FPCR = -1 };

struct fpst {
	uint32_t fpcr;
	uint32_t exc;	 /* FPSR cumulative bits raised by this instruction */
	int host_mode;	 /* rounding mode MXCSR holds since flags were cleared, 0 = not set */
};

/* Puts the host SSE unit back to round-to-nearest after an instruction (fpsimd_float.c). */
void fp_host_restore(void);

/* IEEE bit-pattern helpers; dbl selects double (1) or single (0). */
#define FP_S_SIGN 0x80000000u
#define FP_S_EXP 0x7f800000u
#define FP_S_FRAC 0x007fffffu
#define FP_S_QUIET 0x00400000u
#define FP_D_SIGN 0x8000000000000000ull
#define FP_D_EXP 0x7ff0000000000000ull
#define FP_D_FRAC 0x000fffffffffffffull
#define FP_D_QUIET 0x0008000000000000ull

static inline uint64_t fp_sign_bit(int dbl) { return dbl ? FP_D_SIGN : FP_S_SIGN; }
static inline uint64_t fp_exp_mask(int dbl) { return dbl ? FP_D_EXP : FP_S_EXP; }
static inline uint64_t fp_frac_mask(int dbl) { return dbl ? FP_D_FRAC : FP_S_FRAC; }
static inline uint64_t fp_quiet_bit(int dbl) { return dbl ? FP_D_QUIET : FP_S_QUIET; }

static inline bool fp_is_nan(int dbl, uint64_t x)
{
	return (x & fp_exp_mask(dbl)) == fp_exp_mask(dbl) && (x & fp_frac_mask(dbl));
}

static inline bool fp_is_snan(int dbl, uint64_t x)
{
	return fp_is_nan(dbl, x) && !(x & fp_quiet_bit(dbl));
}

static inline bool fp_is_inf(int dbl, uint64_t x)
{
	return (x & ~fp_sign_bit(dbl)) == fp_exp_mask(dbl);
}

static inline bool fp_is_zero(int dbl, uint64_t x)
{
	return !(x & ~fp_sign_bit(dbl));
}

static inline bool fp_is_denormal(int dbl, uint64_t x)
{
	return !(x & fp_exp_mask(dbl)) && (x & fp_frac_mask(dbl));
}

static inline uint64_t fp_default_nan(int dbl)
{
	return dbl ? 0x7ff8000000000000ull : 0x7fc00000u;
}

static inline double fp_to_host(int dbl, uint64_t x)
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

static inline uint64_t fp_from_double(double d)
{
	uint64_t x;
	memcpy(&x, &d, 8);
	return x;
}

static inline uint64_t fp_from_float(float f)
{
	uint32_t w;
	memcpy(&w, &f, 4);
	return w;
}

/* Shared steps of the FP pseudocode (fpsimd_float.c). */
uint64_t fp_flush_in(struct fpst *st, int dbl, uint64_t x);	/* FPUnpack with FPCR.FZ */
uint64_t fp_process_nan(struct fpst *st, int dbl, uint64_t x);	/* FPProcessNaN */
int fp_resolve_rmode(struct fpst *st, int rmode);
void fp_host_enter(struct fpst *st, int rmode);
uint64_t fp_host_exit(struct fpst *st, int dbl, uint64_t r, int tiny_before);
double fp_round_integral(double v, int rmode);

enum fp_op2 {
	FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV, FOP_MAX, FOP_MIN, FOP_MAXNM, FOP_MINNM,
	FOP_MULX, FOP_ABD, FOP_RECPS, FOP_RSQRTS, FOP_NMUL,
};

uint64_t fp_op2(struct fpst *st, int dbl, int op, uint64_t a, uint64_t b);
/* addend + n * m with a single rounding (FPMulAdd); negations are the caller's bit flips. */
uint64_t fp_muladd(struct fpst *st, int dbl, uint64_t addend, uint64_t n, uint64_t m);
uint64_t fp_sqrt(struct fpst *st, int dbl, uint64_t a);
/* FPCompare: returns NZCV in bits 31:28; signal_nans is FCMPE (any NaN raises IOC). */
uint32_t fp_compare(struct fpst *st, int dbl, uint64_t a, uint64_t b, bool signal_nans);
/* Vector compares FCMEQ/FCMGE/FCMGT (cond 0/1/2), FACGE/FACGT with abs set. */
bool fp_cmp_pred(struct fpst *st, int dbl, uint64_t a, uint64_t b, int cond, bool abs);
uint64_t fp_round_int(struct fpst *st, int dbl, uint64_t a, int rmode, bool exact);
uint64_t fp_to_fixed(struct fpst *st, int dbl, uint64_t a, int fbits, bool is_unsigned,
		     int isize, int rmode);
uint64_t fp_from_fixed(struct fpst *st, int dbl, uint64_t v, int fbits, bool is_unsigned,
		       int isize, int rmode);
uint64_t fp_convert(struct fpst *st, int from, int to, uint64_t a, int rmode);
/* FRECPE, FRSQRTE, FRECPX and the unsigned URECPE/URSQRTE estimates (ARM ARM J1.3). */
uint64_t fp_recip_estimate(struct fpst *st, int dbl, uint64_t a);
uint64_t fp_rsqrt_estimate(struct fpst *st, int dbl, uint64_t a);
uint64_t fp_recpx(struct fpst *st, int dbl, uint64_t a);
uint32_t fp_urecip_estimate(uint32_t a, bool rsqrt);
/* FCVTXN: double to single, round to odd. */
uint32_t fp_convert_odd(struct fpst *st, uint64_t a);

static inline uint64_t vreg_get(const union a64_vreg *v, unsigned esz, unsigned i)
{
	switch (esz) {
	case 0: return v->b[i & 15];
	case 1: return v->h[i & 7];
	case 2: return v->s[i & 3];
	default: return v->d[i & 1];
	}
}

static inline void vreg_set(union a64_vreg *v, unsigned esz, unsigned i, uint64_t x)
{
	switch (esz) {
	case 0: v->b[i & 15] = x; break;
	case 1: v->h[i & 7] = x; break;
	case 2: v->s[i & 3] = x; break;
	default: v->d[i & 1] = x; break;
	}
}

static inline uint32_t insn_bits(uint32_t insn, unsigned lo, unsigned n)
{
	return (insn >> lo) & ((1u << n) - 1);
}

/* Writes a whole register from tmp, clearing bits 127:64 for a 64-bit (Q = 0) result. */
static inline void vreg_write(struct a64_fpsimd *fp, unsigned rd, const union a64_vreg *tmp, bool q)
{
	fp->v[rd] = *tmp;
	if (!q)
		fp->v[rd].d[1] = 0;
}

static inline uint64_t simd_emask(unsigned esz)
{
	return esz >= 3 ? ~0ull : (1ull << (8 << esz)) - 1;
}

static inline int64_t simd_sext(uint64_t v, unsigned esz)
{
	unsigned sh = 64 - (8 << esz);
	return (int64_t)(v << sh) >> sh;
}

/* Saturates v to an esz-sized signed or unsigned element, setting *qc on saturation. */
static inline uint64_t simd_sat(__int128 v, unsigned esz, bool is_unsigned, bool *qc)
{
	unsigned bits = 8 << esz;
	__int128 lo = is_unsigned ? 0 : -((__int128)1 << (bits - 1));
	__int128 hi = is_unsigned ? ((__int128)1 << bits) - 1 : ((__int128)1 << (bits - 1)) - 1;

	if (v < lo) {
		*qc = true;
		v = lo;
	} else if (v > hi) {
		*qc = true;
		v = hi;
	}
	return (uint64_t)v & simd_emask(esz);
}

static inline __int128 simd_ext(uint64_t v, unsigned esz, bool is_unsigned)
{
	return is_unsigned ? (__int128)(v & simd_emask(esz)) : (__int128)simd_sext(v, esz);
}

/* Left shift of a possibly negative value without C's undefined behaviour. */
static inline __int128 simd_shl(__int128 v, unsigned sh)
{
	return (__int128)((unsigned __int128)v << sh);
}

bool a64_cond_holds(uint32_t nzcv, unsigned cond);
int fpsimd_scalar_fp(struct a64_fpsimd *fp, uint64_t x[32], uint32_t *nzcv, uint32_t insn);
/* AdvSIMD groups (fpsimd_vec.c, fpsimd_vfp.c); scalar selects the "scalar" variant. */
int simd_three_same(struct a64_fpsimd *fp, uint32_t insn, bool scalar);
int simd_three_diff(struct a64_fpsimd *fp, uint32_t insn, bool scalar);
int simd_two_misc(struct a64_fpsimd *fp, uint32_t insn, bool scalar);
int simd_across(struct a64_fpsimd *fp, uint32_t insn);
int simd_pairwise_scalar(struct a64_fpsimd *fp, uint32_t insn);
int simd_copy(struct a64_fpsimd *fp, uint64_t x[32], uint32_t insn, bool scalar);
int simd_mod_imm(struct a64_fpsimd *fp, uint32_t insn);
int simd_shift_imm(struct a64_fpsimd *fp, uint32_t insn, bool scalar);
int simd_indexed(struct a64_fpsimd *fp, uint32_t insn, bool scalar);
int simd_table(struct a64_fpsimd *fp, uint32_t insn);
int simd_permute(struct a64_fpsimd *fp, uint32_t insn);
int simd_extract(struct a64_fpsimd *fp, uint32_t insn);
/* FP element operations of the vector groups (fpsimd_vfp.c). */
int vfp_three_same(struct a64_fpsimd *fp, uint32_t insn, bool scalar);
int vfp_two_misc(struct a64_fpsimd *fp, uint32_t insn, bool scalar);
int vfp_across(struct a64_fpsimd *fp, uint32_t insn);
int vfp_pairwise_scalar(struct a64_fpsimd *fp, uint32_t insn);

#endif /* FPSIMD_INTERNAL */

#endif
