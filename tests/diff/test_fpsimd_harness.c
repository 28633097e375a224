/*
 * Harness for the SIMD&FP differential tests: builds random but edge-heavy register states
 * (NaNs with payloads, infinities, denormals, +-0, integer-conversion boundaries, string-like
 * bytes), random FPCR rounding/FZ/DN/AHP, runs one instruction on unicorn and on
 * a64_fpsimd_exec, and compares everything architecturally visible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define FPSIMD_INTERNAL
#include "arch/arm64/fpsimd.h"
#include "tests/diff/test_fpsimd.h"

#define CODE_BASE 0x100000ull
#define MAX_REPORTS 12

struct state {
	union a64_vreg v[32];
	uint64_t x[32];
	uint32_t nzcv, fpcr, fpsr;
};

static uc_engine *uc;
static uint64_t rng_state;
static unsigned reports;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from FPSIMD_SEED */
	if (!rng_state) {
		const char *s = getenv("FPSIMD_SEED");
		rng_state = s ? strtoull(s, NULL, 0) | 1 : 0x9e3779b97f4a7c15ull;
	}
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rand_f32(void)
{
	uint32_t sign = (uint32_t)(rnd() & 1) << 31;
	uint64_t r = rnd();

	switch (rnd() % 16) {
	case 0: return sign;
	case 1: return sign | 0x7f800000;
	case 2: return sign | 0x7fc00000 | (r & 0x3fffff);		/* qNaN */
	case 3: return sign | 0x7f800000 | ((r & 0x3fffff) | 1);	/* sNaN */
	case 4: return sign | (r & 0x7fffff);				/* denormal */
	case 5: return sign | (0x00800000 + (uint32_t)(r % 5) - 2);	/* around min normal */
	case 6: return sign | (0x7f7fffff - (r & 3));			/* max normal */
	case 7: {
		static const float small[] = { 0.5f, 1.5f, 2.5f, -0.5f, 1.0f, 3.0f, 100.25f, 0.75f };
		float f = small[r % 8];
		uint32_t w;
		memcpy(&w, &f, 4);
		return w ^ sign;
	}
	case 8: { /* around 2^31, 2^32, 2^63, 2^64 */
		static const uint32_t edges[] = { 0x4f000000, 0x4f800000, 0x5f000000, 0x5f800000 };
		return sign | (edges[r % 4] + (uint32_t)((r >> 8) % 3) - 1);
	}
	case 9: return sign | (0x3f800000 + (uint32_t)(r % 3) - 1);
	case 10: case 11: case 12:
		return sign | ((uint32_t)(100 + r % 55) << 23) | (uint32_t)(r >> 32 & 0x7fffff);
	default: return (uint32_t)r;
	}
}

static uint64_t rand_f64(void)
{
	uint64_t sign = (rnd() & 1) << 63, r = rnd();

	switch (rnd() % 16) {
	case 0: return sign;
	case 1: return sign | 0x7ff0000000000000ull;
	case 2: return sign | 0x7ff8000000000000ull | (r & 0x7ffffffffffffull);
	case 3: return sign | 0x7ff0000000000000ull | ((r & 0x7ffffffffffffull) | 1);
	case 4: return sign | (r & 0xfffffffffffffull);
	case 5: return sign | (0x0010000000000000ull + r % 5 - 2);
	case 6: return sign | (0x7fefffffffffffffull - (r & 3));
	case 7: {
		static const double small[] = { 0.5, 1.5, 2.5, -0.5, 1.0, 3.0, 100.25, 0.75 };
		double d = small[r % 8];
		uint64_t w;
		memcpy(&w, &d, 8);
		return w ^ sign;
	}
	case 8: {
		static const uint64_t edges[] = { 0x41e0000000000000ull, 0x41f0000000000000ull,
						  0x43e0000000000000ull, 0x43f0000000000000ull,
						  0x41dfffffffc00000ull, 0x41efffffffe00000ull };
		return sign | (edges[r % 6] + (r >> 8) % 3 - 1);
	}
	case 9: return sign | (0x3ff0000000000000ull + r % 3 - 1);
	case 10: /* values that convert to float near its limits */
		return sign | ((uint64_t)(0x380 + r % 0x10) << 52) | (r >> 12);
	case 11: case 12:
		return sign | ((uint64_t)(900 + r % 250) << 52) | (r >> 12);
	default: return r;
	}
}

static uint64_t rand_gpr(void)
{
	static const uint64_t edges[] = { 0, 1, ~0ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
					  0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull };
	uint64_t r = rnd();

	switch (rnd() % 6) {
	case 0: return edges[r % 9];
	case 1: return r & 0xffff;
	case 2: return (uint64_t)(int64_t)(int16_t)r;
	default: return r;
	}
}

static void rand_vreg(union a64_vreg *v)
{
	switch (rnd() % 8) {
	case 0: case 1:
		for (int i = 0; i < 4; i++)
			v->s[i] = rand_f32();
		break;
	case 2: case 3:
		for (int i = 0; i < 2; i++)
			v->d[i] = rand_f64();
		break;
	case 4: /* string-like bytes, zero bytes, small table indices */
		for (int i = 0; i < 16; i++) {
			static const uint8_t bytes[] = { 0, 'a', 'z', '/', 0xff, 0x80, 0x7f, 1, 5, 31 };
			v->b[i] = (rnd() & 1) ? bytes[rnd() % 10] : rnd() % 64;
		}
		break;
	case 5: /* integer edges per lane */
		for (int i = 0; i < 8; i++) {
			static const uint16_t h[] = { 0, 0x8000, 0x7fff, 0xffff, 1, 0x80, 0x7f, 0xff00 };
			v->h[i] = h[rnd() % 8];
		}
		break;
	default:
		v->d[0] = rnd();
		v->d[1] = rnd();
		break;
	}
}

static void rand_state(struct state *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 32; i++)
		rand_vreg(&s->v[i]);
	for (int i = 0; i < 31; i++)
		s->x[i] = rand_gpr();
	s->nzcv = (uint32_t)(rnd() & 0xf) << 28;
	s->fpcr = (uint32_t)(rnd() & 3) << 22;
	if (rnd() % 4 == 0)
		s->fpcr |= FPCR_FZ;
	if (rnd() % 4 == 0)
		s->fpcr |= FPCR_DN;
	if (rnd() % 8 == 0)
		s->fpcr |= FPCR_AHP;
	if (rnd() % 8 == 0)
		s->fpsr = (uint32_t)rnd() & (0x9f | FPSR_QC);
}

static int uc_xreg(int i)
{
	return i == 29 ? UC_ARM64_REG_X29 : i == 30 ? UC_ARM64_REG_X30 : UC_ARM64_REG_X0 + i;
}

static void uc_setup(void)
{
	if (uc)
		return;
	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc) != UC_ERR_OK) {
		fprintf(stderr, "fpsimd diff: uc_open failed\n");
		abort();
	}
	uc_ctl_set_cpu_model(uc, UC_CPU_ARM64_A57);
	uc_mem_map(uc, CODE_BASE, 0x1000, UC_PROT_ALL);
	uint64_t cpacr = 3ull << 20; /* CPACR_EL1.FPEN: no FP/SIMD traps */
	uc_reg_write(uc, UC_ARM64_REG_CPACR_EL1, &cpacr);
}

/* Returns true when unicorn executed the instruction, false when it faulted (UNDEFINED). */
static bool uc_exec(struct state *s, uint32_t insn)
{
	uc_setup();
	for (int i = 0; i < 31; i++)
		uc_reg_write(uc, uc_xreg(i), &s->x[i]);
	for (int i = 0; i < 32; i++)
		uc_reg_write(uc, UC_ARM64_REG_Q0 + i, &s->v[i]);
	uint64_t nzcv = s->nzcv, fpcr = s->fpcr, fpsr = s->fpsr, sp = 0x8000;
	uc_reg_write(uc, UC_ARM64_REG_NZCV, &nzcv);
	uc_reg_write(uc, UC_ARM64_REG_FPCR, &fpcr);
	uc_reg_write(uc, UC_ARM64_REG_FPSR, &fpsr);
	uc_reg_write(uc, UC_ARM64_REG_SP, &sp);
	uc_mem_write(uc, CODE_BASE, &insn, 4);
	uc_ctl_remove_cache(uc, CODE_BASE, CODE_BASE + 4);
	uc_err err = uc_emu_start(uc, CODE_BASE, CODE_BASE + 4, 0, 1);
	uint64_t pc = 0;
	uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
	if (err != UC_ERR_OK || pc != CODE_BASE + 4)
		return false;
	for (int i = 0; i < 31; i++)
		uc_reg_read(uc, uc_xreg(i), &s->x[i]);
	for (int i = 0; i < 32; i++)
		uc_reg_read(uc, UC_ARM64_REG_Q0 + i, &s->v[i]);
	uc_reg_read(uc, UC_ARM64_REG_NZCV, &nzcv);
	uc_reg_read(uc, UC_ARM64_REG_FPSR, &fpsr);
	s->nzcv = nzcv & 0xf0000000u;
	s->fpsr = fpsr;
	return true;
}

static bool our_exec(struct state *s, uint32_t insn)
{
	struct a64_fpsimd fp;
	uint64_t x[32];
	uint32_t nzcv = s->nzcv;

	memcpy(fp.v, s->v, sizeof(fp.v));
	fp.fpcr = s->fpcr;
	fp.fpsr = s->fpsr;
	memcpy(x, s->x, sizeof(x));
	x[31] = 0;
	if (a64_fpsimd_exec(&fp, x, &nzcv, insn) != A64_FP_OK)
		return false;
	memcpy(s->v, fp.v, sizeof(fp.v));
	memcpy(s->x, x, sizeof(uint64_t) * 31);
	s->nzcv = nzcv;
	s->fpsr = fp.fpsr;
	return true;
}

static void report(const char *what, uint32_t insn, const struct state *in, const struct state *a,
		   const struct state *b)
{
	if (reports++ >= MAX_REPORTS)
		return;
	fprintf(stderr, "\n  fpsimd diff %s: insn %08x fpcr %08x fpsr-in %08x nzcv-in %x\n", what,
		insn, in->fpcr, in->fpsr, in->nzcv >> 28);
	unsigned fields[3] = { (insn >> 5) & 31, (insn >> 16) & 31, (insn >> 10) & 31 };
	for (int f = 0; f < 3; f++)
		fprintf(stderr, "    in v%-2u %016llx:%016llx x%u %016llx\n", fields[f],
			(unsigned long long)in->v[fields[f]].d[1],
			(unsigned long long)in->v[fields[f]].d[0], fields[f],
			(unsigned long long)in->x[fields[f]]);
	if (!a || !b)
		return;
	for (int i = 0; i < 32; i++)
		if (memcmp(&a->v[i], &b->v[i], 16))
			fprintf(stderr, "    v%-2d in %016llx:%016llx\n"
					"        unicorn %016llx:%016llx ours %016llx:%016llx\n",
				i, (unsigned long long)in->v[i].d[1], (unsigned long long)in->v[i].d[0],
				(unsigned long long)a->v[i].d[1], (unsigned long long)a->v[i].d[0],
				(unsigned long long)b->v[i].d[1], (unsigned long long)b->v[i].d[0]);
	for (int i = 0; i < 31; i++)
		if (a->x[i] != b->x[i])
			fprintf(stderr, "    x%-2d in %016llx unicorn %016llx ours %016llx\n", i,
				(unsigned long long)in->x[i], (unsigned long long)a->x[i],
				(unsigned long long)b->x[i]);
	if (a->nzcv != b->nzcv)
		fprintf(stderr, "    nzcv unicorn %x ours %x\n", a->nzcv >> 28, b->nzcv >> 28);
	if (a->fpsr != b->fpsr)
		fprintf(stderr, "    fpsr unicorn %08x ours %08x\n", a->fpsr, b->fpsr);
}

static void diff_one(uint32_t insn, struct fpsimd_result *res)
{
	struct state in, a, b;

	rand_state(&in);
	a = in;
	b = in;
	bool ua = uc_exec(&a, insn), ub = our_exec(&b, insn);
	res->run++;
	if (!ua && !ub) {
		res->undef_both++;
		return;
	}
	if (ua && !ub) {
		res->missing++;
		report("UNDEF in ours only", insn, &in, NULL, NULL);
		return;
	}
	if (!ua && ub) {
		res->extra++;
		report("UNDEF in unicorn only", insn, &in, NULL, NULL);
		return;
	}
	res->executed++;
	if (memcmp(a.v, b.v, sizeof(a.v)) || memcmp(a.x, b.x, 31 * 8) || a.nzcv != b.nzcv ||
	    a.fpsr != b.fpsr) {
		res->mismatches++;
		report("mismatch", insn, &in, &a, &b);
	}
}

struct fpsimd_result fpsimd_diff_group(const struct fpsimd_group *g, unsigned iters)
{
	struct fpsimd_result res = { 0 };

	/* FPSIMD_SCALE=N multiplies the iterations for a deeper (slower) run. */
	const char *scale = getenv("FPSIMD_SCALE");
	if (scale && atoi(scale) > 1)
		iters *= atoi(scale);
	reports = 0;
	for (unsigned i = 0; i < iters; i++) {
		uint32_t insn = (g->value & g->mask) | ((uint32_t)rnd() & ~g->mask);
		if (fpsimd_known_missing(insn))
			continue;
		diff_one(insn, &res);
	}
	fprintf(stderr, "\n  %-22s run %6u executed %6u undef %5u mismatch %u missing %u extra %u",
		g->name, res.run, res.executed, res.undef_both, res.mismatches, res.missing,
		res.extra);
	return res;
}

struct fpsimd_result fpsimd_diff_operands(uint32_t insn, const uint64_t ops[3], uint32_t fpcr)
{
	struct fpsimd_result res = { 0 };
	struct state in, a, b;
	unsigned rn = (insn >> 5) & 31, rm = (insn >> 16) & 31, ra = (insn >> 10) & 31;

	rand_state(&in);
	in.fpcr = fpcr;
	in.fpsr = 0;
	/* Ra first: when fields alias, the Rn/Rm operands win. */
	in.v[ra].d[0] = ops[2];
	in.v[ra].d[1] = ops[2];
	in.v[rm].d[0] = ops[1];
	in.v[rm].d[1] = ops[1];
	in.v[rn].d[0] = ops[0];
	in.v[rn].d[1] = ops[0];
	in.x[rn] = ops[0];
	a = in;
	b = in;
	bool ua = uc_exec(&a, insn), ub = our_exec(&b, insn);
	res.run = 1;
	if (ua != ub) {
		res.mismatches = 1;
		report(ua ? "UNDEF in ours only" : "UNDEF in unicorn only", insn, &in, NULL, NULL);
	} else if (ua) {
		res.executed = 1;
		if (memcmp(a.v, b.v, sizeof(a.v)) || memcmp(a.x, b.x, 31 * 8) ||
		    a.nzcv != b.nzcv || a.fpsr != b.fpsr) {
			res.mismatches = 1;
			report("mismatch", insn, &in, &a, &b);
		}
	}
	return res;
}

void fpsimd_diff_reset_reports(void)
{
	reports = 0;
}

struct fpsimd_result fpsimd_diff_insn(uint32_t insn, unsigned iters)
{
	struct fpsimd_result res = { 0 };

	reports = 0;
	for (unsigned i = 0; i < iters; i++)
		diff_one(insn, &res);
	return res;
}

/* Encodings unicorn's Cortex-A57 executes that fpsimd does not implement yet. */
bool fpsimd_known_missing(uint32_t insn)
{
	static const struct { uint32_t value, mask; } missing[] = {
		/* Crypto extension: the CPU's ID_AA64ISAR0 does not advertise it. */
		{ 0x4e280800, 0xff3e0c00 }, /* AES */
		{ 0x5e000000, 0xff208c00 }, /* SHA 3-register */
		{ 0x5e280800, 0xff3e0c00 }, /* SHA 2-register */
	};
	for (unsigned i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
		if ((insn & missing[i].mask) == missing[i].value)
			return true;
	return false;
}
