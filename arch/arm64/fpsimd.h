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

#endif
