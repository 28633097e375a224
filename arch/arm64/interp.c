/*
 * The A64 fetch/execute loop and the integer data-processing and branch instructions
 * (ARM ARM C4.1: top-level encoding on op0 = bits 28:25). Loads/stores are in interp_ldst.c,
 * the system space in sysreg.c, SIMD&FP data processing in fpsimd*.c.
 *
 * Fetch reads straight from a cached host pointer to the current code page; a memory fault
 * unwinds with longjmp to a64_exec() after the exception has been taken.
 */
#include "arch/arm64/cpu.h"
#include "arch/arm64/interp_ops.h"
#include "vmm/util.h"

#pragma weak a64_fpsimd_exec

/*
 * Condition codes (C1.2.4) as data: bit NZCV of a64_cond_table[cond] says whether cond holds for
 * that flag combination, so B.cond/CSEL/CCMP test it with a load and a shift, no branches.
 * Built once at startup from the pseudocode's definitions.
 */
uint16_t a64_cond_table[16];

static bool cond_eval(unsigned nzcv4, unsigned cond)
{
	bool n = nzcv4 >> 3, z = (nzcv4 >> 2) & 1, c = (nzcv4 >> 1) & 1, v = nzcv4 & 1;
	bool r;
	switch (cond >> 1) {
	case 0: r = z; break;
	case 1: r = c; break;
	case 2: r = n; break;
	case 3: r = v; break;
	case 4: r = c && !z; break;
	case 5: r = n == v; break;
	case 6: r = n == v && !z; break;
	default: return true; /* AL and NV both execute (C1.2.4) */
	}
	return (cond & 1) ? !r : r;
}

/* DecodeBitMasks (J1.1.3) for logical immediates; false if reserved. */
static bool decode_bitmask(unsigned n, unsigned imms, unsigned immr, bool sf, uint64_t *out)
{
	unsigned v = (n << 6) | (~imms & 0x3f);
	if (!v || (!sf && n))
		return false;
	unsigned len = 31 - __builtin_clz(v);
	if (len < 1)
		return false;
	unsigned esize = 1u << len, levels = esize - 1;
	unsigned s = imms & levels, r = immr & levels;
	if (s == levels)
		return false;
	uint64_t welem = (1ULL << (s + 1)) - 1; /* s + 1 <= 63 */
	uint64_t emask = esize == 64 ? ~0ULL : (1ULL << esize) - 1;
	uint64_t elem = r ? ((welem >> r) | (welem << (esize - r))) & emask : welem;
	for (unsigned e = esize; e < 64; e *= 2)
		elem |= elem << e;
	*out = sf ? elem : (uint32_t)elem;
	return true;
}

/*
 * Every 64-bit logical immediate, indexed by N:immr:imms (insn bits 22:10), decoded once at
 * startup; 0 marks a reserved encoding (a valid mask is never all zeros). See a64_logical_imm().
 */
uint64_t a64_bitmask_table[1u << 13];

__attribute__((constructor)) static void interp_tables_init(void)
{
	for (unsigned i = 0; i < 1u << 13; i++) {
		uint64_t m;
		a64_bitmask_table[i] = decode_bitmask(i >> 12, i & 0x3f, (i >> 6) & 0x3f, true, &m) ? m : 0;
	}
	for (unsigned cond = 0; cond < 16; cond++)
		for (unsigned f = 0; f < 16; f++)
			a64_cond_table[cond] |= (uint16_t)(cond_eval(f, cond) << f);
}

static inline uint64_t extend_reg(uint64_t v, unsigned option, unsigned shift)
{
	switch (option) {
	case 0: v = (uint8_t)v; break;
	case 1: v = (uint16_t)v; break;
	case 2: v = (uint32_t)v; break;
	case 3: break;
	case 4: v = (uint64_t)(int8_t)v; break;
	case 5: v = (uint64_t)(int16_t)v; break;
	case 6: v = (uint64_t)(int32_t)v; break;
	default: break;
	}
	return v << shift;
}

/* C4.1.2: data processing -- immediate. */
static uint64_t exec_dp_imm(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	bool sf = insn >> 31;
	unsigned rd = insn & 31, rn = (insn >> 5) & 31;

	switch ((insn >> 23) & 7) {
	case 0: case 1: { /* ADR, ADRP */
		int64_t imm = sext(((insn >> 5) & 0x7ffff) << 2 | ((insn >> 29) & 3), 21);
		if (insn >> 31)
			wx(cpu, rd, (pc & A64_PAGE_MASK) + ((uint64_t)imm << 12));
		else
			wx(cpu, rd, pc + imm);
		return pc + 4;
	}
	case 2: { /* add/subtract immediate */
		uint64_t imm = (insn >> 10) & 0xfff;
		if (insn & (1u << 22))
			imm <<= 12;
		bool sub = insn & (1u << 30), s = insn & (1u << 29);
		uint64_t a = rsp(cpu, rn), r;
		if (s) {
			r = add_flags(a, sub ? ~imm : imm, sub, sf, &cpu->nzcv);
			wx(cpu, rd, r);
		} else {
			r = trunc_sf(sub ? a - imm : a + imm, sf);
			wsp(cpu, rd, r);
		}
		return pc + 4;
	}
	case 3: /* add/subtract immediate with tags (MTE): not implemented */
		break;
	case 4: { /* logical immediate */
		uint64_t imm, a = cpu->x[rn], r;
		if (!a64_logical_imm(insn, sf, &imm))
			break;
		switch ((insn >> 29) & 3) {
		case 0: wsp(cpu, rd, trunc_sf(a & imm, sf)); break;
		case 1: wsp(cpu, rd, trunc_sf(a | imm, sf)); break;
		case 2: wsp(cpu, rd, trunc_sf(a ^ imm, sf)); break;
		default:
			r = trunc_sf(a & imm, sf);
			cpu->nzcv = logic_flags(r, sf);
			wx(cpu, rd, r);
			break;
		}
		return pc + 4;
	}
	case 5: { /* move wide */
		unsigned hw = (insn >> 21) & 3, opc = (insn >> 29) & 3;
		if ((!sf && hw > 1) || opc == 1)
			break;
		uint64_t imm = (uint64_t)((insn >> 5) & 0xffff) << (hw * 16);
		if (opc == 0)
			wx(cpu, rd, trunc_sf(~imm, sf));
		else if (opc == 2)
			wx(cpu, rd, imm);
		else
			wx(cpu, rd, trunc_sf((cpu->x[rd] & ~(0xffffULL << (hw * 16))) | imm, sf));
		return pc + 4;
	}
	case 6: { /* bitfield */
		unsigned opc = (insn >> 29) & 3, n = (insn >> 22) & 1;
		unsigned immr = (insn >> 16) & 0x3f, imms = (insn >> 10) & 0x3f;
		unsigned ds = sf ? 64 : 32, width, pos;
		if (opc == 3 || n != sf || (!sf && ((immr | imms) & 0x20)))
			break;
		uint64_t src = cpu->x[rn];
		if (imms >= immr) {
			width = imms - immr + 1;
			pos = 0;
			src >>= immr;
		} else {
			width = imms + 1;
			pos = ds - immr;
		}
		uint64_t mask = width == 64 ? ~0ULL : (1ULL << width) - 1;
		uint64_t field = src & mask, r;
		if (opc == 0) /* SBFM */
			r = (uint64_t)sext(field, width) << pos;
		else if (opc == 1) /* BFM */
			r = (cpu->x[rd] & ~(mask << pos)) | (field << pos);
		else /* UBFM */
			r = field << pos;
		wx(cpu, rd, trunc_sf(r, sf));
		return pc + 4;
	}
	case 7: { /* extract */
		unsigned rm = (insn >> 16) & 31, lsb = (insn >> 10) & 0x3f;
		if (((insn >> 29) & 3) || ((insn >> 22) & 1) != sf || ((insn >> 21) & 1) ||
		    (!sf && lsb >= 32))
			break;
		uint64_t hi = cpu->x[rn], lo = cpu->x[rm], r;
		if (sf)
			r = lsb ? (lo >> lsb) | (hi << (64 - lsb)) : lo;
		else
			r = (uint32_t)((((uint64_t)(uint32_t)hi << 32) | (uint32_t)lo) >> lsb);
		wx(cpu, rd, r);
		return pc + 4;
	}
	}
	return a64_take_undef(cpu, pc, insn);
}

static uint32_t crc32_update(uint32_t crc, uint64_t val, unsigned bytes, bool castagnoli)
{
	uint32_t poly = castagnoli ? 0x82f63b78 : 0xedb88320;
	for (unsigned i = 0; i < bytes; i++) {
		crc ^= (uint8_t)(val >> (8 * i));
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (poly & -(crc & 1));
	}
	return crc;
}

static uint64_t exec_dp_2src(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	bool sf = insn >> 31;
	unsigned rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
	unsigned op = (insn >> 10) & 0x3f;
	uint64_t a = cpu->x[rn], b = cpu->x[rm], r;

	if (insn & (1u << 29))
		return a64_take_undef(cpu, pc, insn);
	switch (op) {
	case 2: /* UDIV: division by zero gives 0 (C3.4.7) */
		if (sf)
			r = b ? a / b : 0;
		else
			r = (uint32_t)b ? (uint32_t)a / (uint32_t)b : 0;
		break;
	case 3: /* SDIV: INT_MIN / -1 wraps */
		if (sf) {
			int64_t x = a, y = b;
			r = y == 0 ? 0 : (y == -1 ? (uint64_t)0 - a : (uint64_t)(x / y));
		} else {
			int32_t x = a, y = b;
			r = y == 0 ? 0 : (uint32_t)(y == -1 ? 0u - (uint32_t)x : (uint32_t)(x / y));
		}
		break;
	case 8: case 9: case 10: case 11:
		r = shift_reg(a, op & 3, b & (sf ? 63 : 31), sf);
		break;
	case 16: case 17: case 18: case 19:
	case 20: case 21: case 22: case 23: {
		unsigned sz = op & 3;
		if ((sz == 3) != sf)
			return a64_take_undef(cpu, pc, insn);
		r = crc32_update(a, b, 1u << sz, op & 4);
		break;
	}
	default:
		return a64_take_undef(cpu, pc, insn);
	}
	wx(cpu, rd, trunc_sf(r, sf));
	return pc + 4;
}

static uint64_t rev_bytes_in(uint64_t v, unsigned chunk)
{
	uint64_t r = 0;
	for (unsigned base = 0; base < 64; base += chunk)
		for (unsigned b = 0; b < chunk; b += 8)
			r |= ((v >> (base + b)) & 0xff) << (base + chunk - 8 - b);
	return r;
}

static uint64_t exec_dp_1src(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	bool sf = insn >> 31;
	unsigned rd = insn & 31, rn = (insn >> 5) & 31, op = (insn >> 10) & 0x3f;
	uint64_t a = cpu->x[rn], r;

	if ((insn >> 16) & 31 || (insn & (1u << 29)))
		return a64_take_undef(cpu, pc, insn);
	switch (op) {
	case 0: /* RBIT */
		r = 0;
		for (unsigned i = 0; i < 64; i++)
			r |= ((a >> i) & 1) << (63 - i);
		if (!sf)
			r >>= 32;
		break;
	case 1: /* REV16 */
		r = rev_bytes_in(a, 16);
		break;
	case 2: /* REV32 (64-bit) / REV (32-bit) */
		r = rev_bytes_in(a, 32);
		break;
	case 3:
		if (!sf)
			return a64_take_undef(cpu, pc, insn);
		r = __builtin_bswap64(a);
		break;
	case 4: /* CLZ */
		if (sf)
			r = a ? __builtin_clzll(a) : 64;
		else
			r = (uint32_t)a ? __builtin_clz((uint32_t)a) : 32;
		break;
	case 5: { /* CLS */
		if (sf) {
			uint64_t t = a ^ (uint64_t)((int64_t)a >> 1);
			t &= ~(1ULL << 63);
			r = t ? __builtin_clzll(t) - 1 : 63;
		} else {
			uint32_t w = a, t = w ^ (uint32_t)((int32_t)w >> 1);
			t &= 0x7fffffff;
			r = t ? __builtin_clz(t) - 1 : 31;
		}
		break;
	}
	default:
		return a64_take_undef(cpu, pc, insn);
	}
	wx(cpu, rd, trunc_sf(r, sf));
	return pc + 4;
}

static uint64_t exec_dp_3src(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	bool sf = insn >> 31;
	unsigned rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
	unsigned ra = (insn >> 10) & 31, op = ((insn >> 21) & 7) << 1 | ((insn >> 15) & 1);
	uint64_t a = cpu->x[rn], b = cpu->x[rm], c = cpu->x[ra], r;

	if ((insn >> 29) & 3)
		return a64_take_undef(cpu, pc, insn);
	if (!sf && op > 1)
		return a64_take_undef(cpu, pc, insn);
	switch (op) {
	case 0: r = c + a * b; break;
	case 1: r = c - a * b; break;
	case 2: r = c + (uint64_t)((int64_t)(int32_t)a * (int32_t)b); break;
	case 3: r = c - (uint64_t)((int64_t)(int32_t)a * (int32_t)b); break;
	case 4: r = (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64); break;
	case 10: r = c + (uint64_t)(uint32_t)a * (uint32_t)b; break;
	case 11: r = c - (uint64_t)(uint32_t)a * (uint32_t)b; break;
	case 12: r = (uint64_t)(((unsigned __int128)a * b) >> 64); break;
	default: return a64_take_undef(cpu, pc, insn);
	}
	wx(cpu, rd, trunc_sf(r, sf));
	return pc + 4;
}

/* C4.1.5: data processing -- register. */
static uint64_t exec_dp_reg(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	bool sf = insn >> 31;
	unsigned rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;

	if (!(insn & (1u << 28))) {
		unsigned imm6 = (insn >> 10) & 0x3f, type = (insn >> 22) & 3;
		bool extended = (insn & (1u << 24)) && (insn & (1u << 21));
		if (!sf && (imm6 & 0x20) && !extended)
			return a64_take_undef(cpu, pc, insn);
		if (!(insn & (1u << 24))) { /* logical (shifted register) */
			uint64_t b = shift_reg(cpu->x[rm], type, imm6, sf), a = cpu->x[rn], r;
			if (insn & (1u << 21))
				b = ~b;
			switch ((insn >> 29) & 3) {
			case 0: r = a & b; break;
			case 1: r = a | b; break;
			case 2: r = a ^ b; break;
			default:
				r = trunc_sf(a & b, sf);
				cpu->nzcv = logic_flags(r, sf);
				break;
			}
			wx(cpu, rd, trunc_sf(r, sf));
			return pc + 4;
		}
		bool sub = insn & (1u << 30), s = insn & (1u << 29);
		uint64_t a, b, r;
		if (!(insn & (1u << 21))) { /* add/sub (shifted register) */
			if (type == 3)
				return a64_take_undef(cpu, pc, insn);
			a = cpu->x[rn];
			b = shift_reg(cpu->x[rm], type, imm6, sf);
		} else { /* add/sub (extended register) */
			unsigned sh = (insn >> 10) & 7;
			if (sh > 4 || type)
				return a64_take_undef(cpu, pc, insn);
			a = rsp(cpu, rn);
			b = extend_reg(cpu->x[rm], (insn >> 13) & 7, sh);
		}
		if (s) {
			r = add_flags(a, sub ? ~b : b, sub, sf, &cpu->nzcv);
			wx(cpu, rd, r);
		} else {
			r = trunc_sf(sub ? a - b : a + b, sf);
			if (insn & (1u << 21))
				wsp(cpu, rd, r);
			else
				wx(cpu, rd, r);
		}
		return pc + 4;
	}

	if (insn & (1u << 24))
		return exec_dp_3src(cpu, insn, pc);

	switch ((insn >> 21) & 7) {
	case 0: { /* ADC/SBC(S) */
		if ((insn >> 10) & 0x3f)
			break;
		bool sub = insn & (1u << 30);
		uint64_t b = cpu->x[rm];
		uint32_t flags;
		uint64_t r = add_flags(cpu->x[rn], sub ? ~b : b, (cpu->nzcv >> 29) & 1, sf, &flags);
		if (insn & (1u << 29))
			cpu->nzcv = flags;
		wx(cpu, rd, r);
		return pc + 4;
	}
	case 2: { /* conditional compare */
		if (!(insn & (1u << 29)) || (insn & (1u << 10)) || (insn & (1u << 4)))
			break;
		uint64_t b = (insn & (1u << 11)) ? rm : cpu->x[rm];
		if (cond_holds(cpu->nzcv, (insn >> 12) & 15)) {
			bool sub = insn & (1u << 30);
			add_flags(cpu->x[rn], sub ? ~b : b, sub, sf, &cpu->nzcv);
		} else {
			cpu->nzcv = (insn & 15) << 28;
		}
		return pc + 4;
	}
	case 4: { /* conditional select */
		unsigned op2 = (insn >> 10) & 3;
		if ((insn & (1u << 29)) || op2 > 1)
			break;
		uint64_t r;
		if (cond_holds(cpu->nzcv, (insn >> 12) & 15)) {
			r = cpu->x[rn];
		} else {
			r = cpu->x[rm];
			if (insn & (1u << 30))
				r = ~r;
			if (op2)
				r++;
		}
		wx(cpu, rd, trunc_sf(r, sf));
		return pc + 4;
	}
	case 6:
		if (insn & (1u << 30))
			return exec_dp_1src(cpu, insn, pc);
		return exec_dp_2src(cpu, insn, pc);
	}
	return a64_take_undef(cpu, pc, insn);
}

static uint64_t branch_to_reg(struct a64_cpu *cpu, uint64_t pc, uint64_t target)
{
	if (unlikely(target & 3)) /* PC alignment fault (D1.10.4), FAR = target */
		return cpu->far = target, a64_take_sync(cpu, pc, EC_PC_ALIGN, 0);
	return target;
}

/* C4.1.3: branches, exception generating and system instructions. */
static uint64_t exec_branch_sys(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned rt = insn & 31;

	switch (insn >> 26) {
	case 0x05: /* B */
		return pc + ((uint64_t)sext(insn & 0x3ffffff, 26) << 2);
	case 0x25: /* BL */
		cpu->x[30] = pc + 4;
		return pc + ((uint64_t)sext(insn & 0x3ffffff, 26) << 2);
	case 0x0d: case 0x2d: { /* CBZ/CBNZ, TBZ/TBNZ */
		bool nz = insn & (1u << 24);
		if (!(insn & (1u << 25))) {
			uint64_t v = insn >> 31 ? cpu->x[rt] : (uint32_t)cpu->x[rt];
			if ((v != 0) == nz)
				return pc + ((uint64_t)sext((insn >> 5) & 0x7ffff, 19) << 2);
			return pc + 4;
		}
		unsigned bit = ((insn >> 31) << 5) | ((insn >> 19) & 31);
		if (((cpu->x[rt] >> bit) & 1) == nz)
			return pc + ((uint64_t)sext((insn >> 5) & 0x3fff, 14) << 2);
		return pc + 4;
	}
	case 0x15: /* B.cond */
		if ((insn & (1u << 4)) || (insn & (1u << 25)))
			break;
		if (cond_holds(cpu->nzcv, insn & 15))
			return pc + ((uint64_t)sext((insn >> 5) & 0x7ffff, 19) << 2);
		return pc + 4;
	case 0x35:
		if ((insn >> 24) == 0xd4) { /* exception generation */
			unsigned opc = (insn >> 21) & 7, ll = insn & 3, imm = (insn >> 5) & 0xffff;
			if ((insn >> 2) & 7)
				break;
			if (opc == 0 && ll == 1) /* SVC: preferred return is the next instruction */
				return a64_take_sync(cpu, pc + 4, EC_SVC64, imm);
			if (opc == 0 && ll == 2) { /* HVC */
				if (cpu->el == 0 || !cpu->plat.hvc || !cpu->plat.hvc(cpu->plat.opaque, cpu))
					break;
				a64_end_slice(cpu); /* PSCI may have changed the machine state */
				return pc + 4;
			}
			if (opc == 1 && ll == 0)
				return a64_take_sync(cpu, pc, EC_BRK64, imm);
			break; /* SMC (no EL3), HLT (no halting debug), DCPS */
		}
		if ((insn >> 22) == 0x354) /* system */
			return a64_exec_system(cpu, insn, pc);
		if ((insn >> 25) == 0x6b) { /* unconditional branch (register) */
			unsigned opc = (insn >> 21) & 15, rn = (insn >> 5) & 31;
			if (((insn >> 16) & 31) != 31 || ((insn >> 10) & 0x3f) || (insn & 31))
				break;
			switch (opc) {
			case 0: case 2: /* BR, RET */
				return branch_to_reg(cpu, pc, cpu->x[rn]);
			case 1: { /* BLR: read the target before writing LR (BLR X30) */
				uint64_t t = cpu->x[rn];
				cpu->x[30] = pc + 4;
				return branch_to_reg(cpu, pc, t);
			}
			case 4: /* ERET */
				if (rn != 31 || cpu->el == 0)
					break;
				return a64_eret(cpu);
			}
		}
		break;
	}
	return a64_take_undef(cpu, pc, insn);
}

static uint64_t exec_fpsimd(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	if (!a64_fp_enabled(cpu))
		return a64_take_sync(cpu, pc, EC_FP_ACCESS, 0x1e00000);
	if (!a64_fpsimd_exec)
		return a64_take_undef(cpu, pc, insn);
	int r = a64_fpsimd_exec(&cpu->fp, cpu->x, &cpu->nzcv, insn);
	cpu->x[31] = 0; /* the FP module may have written XZR */
	if (r != A64_FP_OK)
		return a64_take_undef(cpu, pc, insn);
	return pc + 4;
}

/*
 * The commonest loads/stores inline: LDR/STR (unsigned offset) and LDP/STP of general-purpose
 * registers; everything else goes to interp_ldst.c.
 */
uint64_t a64_exec_ldst_fast(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned rt = insn & 31, rn = (insn >> 5) & 31;
	if ((insn & 0x3f800000) == 0x39000000) { /* STR/LDR (unsigned offset), zero-extending */
		unsigned size = insn >> 30, mmu = a64_mmu_idx(cpu);
		uint64_t va = a64_ldst_base(cpu, rn) + ((uint64_t)((insn >> 10) & 0xfff) << size);
		if (insn & (1u << 22))
			wx(cpu, rt, a64_ld(cpu, va, 1u << size, mmu));
		else
			a64_st(cpu, va, cpu->x[rt], 1u << size, mmu);
		return pc + 4;
	}
	if ((insn & 0x7e000000) == 0x28000000 && (insn & 0x80000000)) { /* LDP/STP X */
		unsigned type = (insn >> 23) & 3, rt2 = (insn >> 10) & 31, mmu = a64_mmu_idx(cpu);
		if (type == 0 && rt2 == rt && (insn & (1u << 22)))
			return a64_exec_ldst(cpu, insn, pc);
		uint64_t base = a64_ldst_base(cpu, rn);
		uint64_t off = (uint64_t)sext((insn >> 15) & 0x7f, 7) * 8;
		uint64_t va = type == 1 ? base : base + off;
		if (insn & (1u << 22)) {
			uint64_t a = a64_ld(cpu, va, 8, mmu), b = a64_ld(cpu, va + 8, 8, mmu);
			wx(cpu, rt, a);
			wx(cpu, rt2, b);
		} else {
			a64_st(cpu, va, cpu->x[rt], 8, mmu);
			a64_st(cpu, va + 8, cpu->x[rt2], 8, mmu);
		}
		if (type & 1)
			wsp(cpu, rn, base + off);
		return pc + 4;
	}
	return a64_exec_ldst(cpu, insn, pc);
}

uint64_t a64_exec_one(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	switch ((insn >> 25) & 15) {
	case 8: case 9:
		return exec_dp_imm(cpu, insn, pc);
	case 10: case 11:
		return exec_branch_sys(cpu, insn, pc);
	case 4: case 6: case 12: case 14:
		return a64_exec_ldst_fast(cpu, insn, pc);
	case 5: case 13:
		return exec_dp_reg(cpu, insn, pc);
	case 7: case 15:
		return exec_fpsimd(cpu, insn, pc);
	default: /* UDF, SME, SVE and unallocated */
		return a64_take_undef(cpu, pc, insn);
	}
}

/*
 * The fetch/dispatch loop, out of line from a64_exec(): a function that calls setjmp() keeps its
 * locals in memory, which would cost a reload of cpu on every instruction.
 */
static __attribute__((noinline)) void exec_loop(struct a64_cpu *cpu)
{
	while (likely(cpu->budget > 0)) {
		uint64_t pc = cpu->pc;
		/* An IRQ was raised or the vCPU kicked: back to the run loop before this instruction. */
		if (unlikely(atomic_load_explicit(&cpu->attention, memory_order_relaxed)))
			break;
		/* Counted before the fetch: a guest looping on instruction aborts still ends the slice. */
		cpu->budget--;
		if (unlikely((pc & A64_PAGE_MASK) != cpu->fetch_page))
			a64_fetch_refill(cpu, pc);
		uint32_t insn;
		/* fetch_host points at a whole RAM page and pc is 4-byte aligned within it. */
		memcpy(&insn, cpu->fetch_host + (pc & 0xfff), 4);
		cpu->pc = a64_dispatch[insn >> 21](cpu, insn, pc);
	}
}

void a64_exec(struct a64_cpu *cpu, int64_t n)
{
	jmp_buf jb;

	cpu->budget = n;
	cpu->slices++;
	cpu->icount += n; /* the unexecuted rest is taken back below or by a64_end_slice() */
	cpu->fault_jmp = &jb;
	/*
	 * Attention raised before this point is answered by this entry: the run loop has just looked
	 * at exits, and an IRQ that arrived since it looked is caught by the check below.
	 */
	atomic_store_explicit(&cpu->attention, false, memory_order_relaxed);
	a64_irq_check(cpu);
	/* A faulting access longjmps back here after taking the exception (cpu->pc = vector). */
	setjmp(jb);
	exec_loop(cpu);
	cpu->icount -= cpu->budget;
	cpu->budget = 0;
	cpu->fault_jmp = NULL;
}
