/*
 * Inline helpers shared by the A64 decoder (interp.c) and the predecoded handlers
 * (predecode.c): register access with XZR/SP, AddWithCarry, shifts, condition codes.
 */
#ifndef MINIVMM_ARM64_INTERP_OPS_H
#define MINIVMM_ARM64_INTERP_OPS_H

#include "arch/arm64/cpu.h"

static inline void wx(struct a64_cpu *cpu, unsigned r, uint64_t v)
{
	if (r != 31)
		cpu->x[r] = v;
}

static inline uint64_t rsp(struct a64_cpu *cpu, unsigned r)
{
	return r == 31 ? a64_sp(cpu) : cpu->x[r];
}

static inline void wsp(struct a64_cpu *cpu, unsigned r, uint64_t v)
{
	if (r == 31)
		a64_set_sp(cpu, v);
	else
		cpu->x[r] = v;
}

static inline int64_t sext(uint64_t v, unsigned bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/*
 * The mask of a logical-immediate instruction from N:immr:imms (a64_bitmask_table, built in
 * interp.c; 0 = reserved); false if reserved. A 32-bit operation needs N = 0 and uses the low
 * half (its element size is at most 32, so the mask repeats).
 */
extern uint64_t a64_bitmask_table[1u << 13];

static inline bool a64_logical_imm(uint32_t insn, bool sf, uint64_t *out)
{
	unsigned idx = (insn >> 10) & 0x1fff;
	uint64_t m = a64_bitmask_table[idx];
	if (!m || (!sf && (idx >> 12)))
		return false;
	*out = sf ? m : (uint32_t)m;
	return true;
}

/* Condition codes (C1.2.4): bit NZCV of a64_cond_table[cond] (built in interp.c) says if it holds. */
extern uint16_t a64_cond_table[16];

static inline bool cond_holds(uint32_t nzcv, unsigned cond)
{
	return (a64_cond_table[cond] >> (nzcv >> 28)) & 1;
}

/* AddWithCarry (pseudocode J1.1.3) with NZCV. */
static inline uint64_t add_flags(uint64_t a, uint64_t b, unsigned carry, bool sf, uint32_t *nzcv)
{
	if (sf) {
		unsigned __int128 u = (unsigned __int128)a + b + carry;
		uint64_t r = (uint64_t)u;
		uint32_t f = (uint32_t)(r >> 63) << 31;
		f |= (r == 0) << 30;
		f |= (uint32_t)(u >> 64) << 29;
		f |= (uint32_t)((((a ^ r) & (b ^ r)) >> 63) << 28);
		*nzcv = f;
		return r;
	}
	uint32_t a32 = a, b32 = b;
	uint64_t u = (uint64_t)a32 + b32 + carry;
	uint32_t r = u;
	uint32_t f = (r >> 31) << 31;
	f |= (r == 0) << 30;
	f |= (uint32_t)(u >> 32) << 29;
	f |= (((a32 ^ r) & (b32 ^ r)) >> 31) << 28;
	*nzcv = f;
	return r;
}

static inline uint32_t logic_flags(uint64_t r, bool sf)
{
	if (!sf)
		r <<= 32;
	return (uint32_t)((r >> 63) << 31) | ((r == 0) << 30);
}

static inline uint64_t shift_reg(uint64_t v, unsigned type, unsigned amt, bool sf)
{
	if (!sf) {
		uint32_t w = v;
		switch (type) {
		case 0: return (uint32_t)(w << amt);
		case 1: return w >> amt;
		case 2: return (uint32_t)((int32_t)w >> amt);
		default: return amt ? (uint32_t)((w >> amt) | (w << (32 - amt))) : w;
		}
	}
	switch (type) {
	case 0: return v << amt;
	case 1: return v >> amt;
	case 2: return (uint64_t)((int64_t)v >> amt);
	default: return amt ? (v >> amt) | (v << (64 - amt)) : v;
	}
}

static inline uint64_t trunc_sf(uint64_t v, bool sf)
{
	return sf ? v : (uint32_t)v;
}

#endif
