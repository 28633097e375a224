/*
 * Differential testing of arch/arm64/fpsimd*.c against unicorn 2 (QEMU's AArch64 TCG):
 * one instruction at a time from a random register state, comparing V0-V31, X0-X30, NZCV
 * and FPSR, and whether the instruction is UNDEFINED.
 */
#ifndef MINIVMM_TEST_FPSIMD_H
#define MINIVMM_TEST_FPSIMD_H

#include <stdbool.h>
#include <stdint.h>

/* An encoding family: fixed bits (value under mask), the rest random. */
struct fpsimd_group {
	const char *name;
	uint32_t value, mask;
};

struct fpsimd_result {
	unsigned run, executed, undef_both, mismatches, missing, extra;
};

/* Runs iters random encodings of g; prints the first mismatches. */
struct fpsimd_result fpsimd_diff_group(const struct fpsimd_group *g, unsigned iters);
/* Runs one exact encoding from iters random states. */
struct fpsimd_result fpsimd_diff_insn(uint32_t insn, unsigned iters);
/* Runs insn once with lane values ops[0] in Vn (and Xn), ops[1] in Vm, ops[2] in Va (bits 14:10),
   replicated in both 64-bit halves, under the given FPCR. */
struct fpsimd_result fpsimd_diff_operands(uint32_t insn, const uint64_t ops[3], uint32_t fpcr);
void fpsimd_diff_reset_reports(void);
/* Tests skip encodings matching these (documented as not implemented). */
bool fpsimd_known_missing(uint32_t insn);

#endif
