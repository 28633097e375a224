/*
 * A64 loads and stores (ARM ARM C4.1.4): every addressing mode of the general-purpose and
 * SIMD&FP register loads/stores, pairs, literals, exclusives and acquire/release, and the
 * AdvSIMD structure loads/stores (LD1-LD4, ST1-ST4, LDnR, single lanes).
 * No LSE atomics: ID_AA64ISAR0_EL1.Atomic is 0, so that space is UNDEFINED.
 *
 * Registers are written only after every access of the instruction succeeded, so a fault
 * (which unwinds from inside a64_ld/a64_st) leaves the architectural state as it was.
 */
#include "arch/arm64/cpu.h"
#include "vmm/util.h"

static inline int64_t sext(uint64_t v, unsigned bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static inline uint64_t base_reg(struct a64_cpu *cpu, unsigned rn)
{
	return a64_ldst_base(cpu, rn);
}

static inline void set_base(struct a64_cpu *cpu, unsigned rn, uint64_t v)
{
	if (rn == 31)
		a64_set_sp(cpu, v);
	else
		cpu->x[rn] = v;
}

static inline void wx(struct a64_cpu *cpu, unsigned r, uint64_t v)
{
	if (r != 31)
		cpu->x[r] = v;
}

static void check_align(struct a64_cpu *cpu, uint64_t va, unsigned bytes, int acc)
{
	if (va & (bytes - 1))
		a64_abort(cpu, va, acc, FSC_ALIGNMENT, false);
}

/* Kinds of a single-register access, from size/V/opc (C4.1.4 "Load/store register"). */
enum { K_STORE, K_LOAD, K_LOAD_S64, K_LOAD_S32, K_PREFETCH, K_INVALID };

static unsigned ldst_kind(unsigned size, bool v, unsigned opc, unsigned *bytes)
{
	if (v) {
		unsigned l2 = ((opc & 2) << 1) | size;
		if (l2 > 4)
			return K_INVALID;
		*bytes = 1u << l2;
		return (opc & 1) ? K_LOAD : K_STORE;
	}
	*bytes = 1u << size;
	switch (opc) {
	case 0: return K_STORE;
	case 1: return K_LOAD;
	case 2: return size == 3 ? K_PREFETCH : K_LOAD_S64;
	default: return size >= 2 ? K_INVALID : K_LOAD_S32;
	}
}

static void ld_vreg(struct a64_cpu *cpu, unsigned rt, uint64_t va, unsigned bytes, unsigned mmu)
{
	union a64_vreg r = { .q = 0 };
	if (bytes == 16) {
		r.d[0] = a64_ld(cpu, va, 8, mmu);
		r.d[1] = a64_ld(cpu, va + 8, 8, mmu);
	} else {
		r.d[0] = a64_ld(cpu, va, bytes, mmu);
	}
	cpu->fp.v[rt] = r;
}

static void st_vreg(struct a64_cpu *cpu, unsigned rt, uint64_t va, unsigned bytes, unsigned mmu)
{
	const union a64_vreg *r = &cpu->fp.v[rt];
	if (bytes == 16) {
		a64_st(cpu, va, r->d[0], 8, mmu);
		a64_st(cpu, va + 8, r->d[1], 8, mmu);
	} else {
		a64_st(cpu, va, r->d[0], bytes, mmu);
	}
}

static void do_single(struct a64_cpu *cpu, unsigned kind, bool v, unsigned bytes, unsigned rt,
		      uint64_t va, unsigned mmu)
{
	if (v) {
		if (kind == K_LOAD)
			ld_vreg(cpu, rt, va, bytes, mmu);
		else
			st_vreg(cpu, rt, va, bytes, mmu);
		return;
	}
	switch (kind) {
	case K_STORE:
		a64_st(cpu, va, cpu->x[rt], bytes, mmu);
		break;
	case K_LOAD:
		wx(cpu, rt, a64_ld(cpu, va, bytes, mmu));
		break;
	case K_LOAD_S64:
		wx(cpu, rt, sext(a64_ld(cpu, va, bytes, mmu), bytes * 8));
		break;
	case K_LOAD_S32:
		wx(cpu, rt, (uint32_t)sext(a64_ld(cpu, va, bytes, mmu), bytes * 8));
		break;
	}
}

/* Load/store register: unsigned immediate, unscaled/pre/post/unprivileged, register offset. */
static uint64_t exec_ldst_reg(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned size = insn >> 30, opc = (insn >> 22) & 3, rn = (insn >> 5) & 31, rt = insn & 31;
	bool v = insn & (1u << 26);
	unsigned bytes, mmu = a64_mmu_idx(cpu);
	unsigned kind = ldst_kind(size, v, opc, &bytes);
	uint64_t va, wb = 0;
	bool writeback = false;

	if (kind == K_INVALID)
		return a64_take_undef(cpu, pc, insn);
	if (v && !a64_fp_enabled(cpu))
		return a64_take_sync(cpu, pc, EC_FP_ACCESS, 0x1e00000);

	if (insn & (1u << 24)) { /* unsigned immediate */
		va = base_reg(cpu, rn) + (((insn >> 10) & 0xfff) * (uint64_t)bytes);
	} else if (insn & (1u << 21)) {
		unsigned mode = (insn >> 10) & 3;
		if (mode == 2) { /* register offset */
			unsigned option = (insn >> 13) & 7, rm = (insn >> 16) & 31;
			if (!(option & 2))
				return a64_take_undef(cpu, pc, insn);
			uint64_t off = cpu->x[rm];
			if (option == 2)
				off = (uint32_t)off;
			else if (option == 6)
				off = (uint64_t)(int32_t)off;
			if (insn & (1u << 12))
				off <<= __builtin_ctz(bytes);
			va = base_reg(cpu, rn) + off;
		} else if (mode == 0 && !v && ((insn >> 12) & 0xf) == 0xc && size >= 2 && opc == 2 &&
			   ((insn >> 16) & 31) == 31) {
			/* LDAPR (RCPC): a load-acquire; our loads are already ordered. */
			va = base_reg(cpu, rn);
			check_align(cpu, va, bytes, A64_ACC_READ);
			wx(cpu, rt, a64_ld(cpu, va, bytes, mmu));
			return pc + 4;
		} else {
			return a64_take_undef(cpu, pc, insn); /* LSE atomics, PAC loads */
		}
	} else {
		int64_t imm = sext((insn >> 12) & 0x1ff, 9);
		uint64_t base = base_reg(cpu, rn);
		switch ((insn >> 10) & 3) {
		case 0: /* unscaled */
			va = base + imm;
			break;
		case 1: /* post-index */
			if (kind == K_PREFETCH)
				return a64_take_undef(cpu, pc, insn);
			va = base;
			wb = base + imm;
			writeback = true;
			break;
		case 2: /* unprivileged: EL1 uses EL0 permissions (D5.4) */
			if (v || kind == K_PREFETCH)
				return a64_take_undef(cpu, pc, insn);
			va = base + imm;
			mmu = A64_MMU_EL0;
			break;
		default: /* pre-index */
			if (kind == K_PREFETCH)
				return a64_take_undef(cpu, pc, insn);
			va = base + imm;
			wb = va;
			writeback = true;
			break;
		}
	}
	if (kind == K_PREFETCH)
		return pc + 4;
	do_single(cpu, kind, v, bytes, rt, va, mmu);
	if (writeback)
		set_base(cpu, rn, wb);
	return pc + 4;
}

static uint64_t exec_ldst_pair(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned opc = insn >> 30, type = (insn >> 23) & 3, rn = (insn >> 5) & 31;
	unsigned rt = insn & 31, rt2 = (insn >> 10) & 31, mmu = a64_mmu_idx(cpu);
	bool v = insn & (1u << 26), load = insn & (1u << 22), sign = false;
	unsigned bytes;

	if (v) {
		if (opc == 3)
			return a64_take_undef(cpu, pc, insn);
		if (!a64_fp_enabled(cpu))
			return a64_take_sync(cpu, pc, EC_FP_ACCESS, 0x1e00000);
		bytes = 4u << opc;
	} else {
		if (opc == 3 || (opc == 1 && (!load || type == 0)))
			return a64_take_undef(cpu, pc, insn); /* STGP (MTE), LDNP with SW */
		sign = opc == 1;
		bytes = opc == 2 ? 8 : 4;
	}
	int64_t off = sext((insn >> 15) & 0x7f, 7) * (int64_t)bytes;
	uint64_t base = base_reg(cpu, rn);
	uint64_t va = type == 1 ? base : base + off;

	if (v) {
		if (load) {
			union a64_vreg a = { .q = 0 }, b = { .q = 0 };
			if (bytes == 16) {
				a.d[0] = a64_ld(cpu, va, 8, mmu);
				a.d[1] = a64_ld(cpu, va + 8, 8, mmu);
				b.d[0] = a64_ld(cpu, va + 16, 8, mmu);
				b.d[1] = a64_ld(cpu, va + 24, 8, mmu);
			} else {
				a.d[0] = a64_ld(cpu, va, bytes, mmu);
				b.d[0] = a64_ld(cpu, va + bytes, bytes, mmu);
			}
			cpu->fp.v[rt] = a;
			cpu->fp.v[rt2] = b;
		} else {
			st_vreg(cpu, rt, va, bytes, mmu);
			st_vreg(cpu, rt2, va + bytes, bytes, mmu);
		}
	} else if (load) {
		uint64_t a = a64_ld(cpu, va, bytes, mmu), b = a64_ld(cpu, va + bytes, bytes, mmu);
		if (sign) {
			a = sext(a, 32);
			b = sext(b, 32);
		}
		wx(cpu, rt, a);
		wx(cpu, rt2, b);
	} else {
		a64_st(cpu, va, cpu->x[rt], bytes, mmu);
		a64_st(cpu, va + bytes, cpu->x[rt2], bytes, mmu);
	}
	if (type == 1 || type == 3)
		set_base(cpu, rn, base + off);
	return pc + 4;
}

static uint64_t exec_literal(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned opc = insn >> 30, rt = insn & 31, mmu = a64_mmu_idx(cpu);
	uint64_t va = pc + ((uint64_t)sext((insn >> 5) & 0x7ffff, 19) << 2);

	if (insn & (1u << 26)) {
		if (opc == 3)
			return a64_take_undef(cpu, pc, insn);
		if (!a64_fp_enabled(cpu))
			return a64_take_sync(cpu, pc, EC_FP_ACCESS, 0x1e00000);
		ld_vreg(cpu, rt, va, 4u << opc, mmu);
		return pc + 4;
	}
	switch (opc) {
	case 0: wx(cpu, rt, a64_ld(cpu, va, 4, mmu)); break;
	case 1: wx(cpu, rt, a64_ld(cpu, va, 8, mmu)); break;
	case 2: wx(cpu, rt, sext(a64_ld(cpu, va, 4, mmu), 32)); break;
	default: break; /* PRFM (literal) */
	}
	return pc + 4;
}

/* Exclusives and acquire/release (C4.1.4 "Load/store exclusive", "ordered"). */
static uint64_t exec_exclusive(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned size = insn >> 30, rs = (insn >> 16) & 31, rt2 = (insn >> 10) & 31;
	unsigned rn = (insn >> 5) & 31, rt = insn & 31, mmu = a64_mmu_idx(cpu);
	bool o2 = insn & (1u << 23), load = insn & (1u << 22), o1 = insn & (1u << 21);
	unsigned bytes = 1u << size;
	uint64_t va = base_reg(cpu, rn);

	if (o1 && (o2 || size < 2))
		return a64_take_undef(cpu, pc, insn); /* CAS, CASP: LSE */
	if (o2) { /* LDAR/STLR; LDLAR/STLLR (o0 = 0) need FEAT_LOR */
		if (!(insn & (1u << 15)))
			return a64_take_undef(cpu, pc, insn);
		check_align(cpu, va, bytes, load ? A64_ACC_READ : A64_ACC_WRITE);
		if (load)
			wx(cpu, rt, a64_ld(cpu, va, bytes, mmu));
		else
			a64_st(cpu, va, cpu->x[rt], bytes, mmu);
		return pc + 4;
	}
	unsigned total = o1 ? bytes * 2 : bytes;
	check_align(cpu, va, total, load ? A64_ACC_READ : A64_ACC_WRITE);
	if (load) {
		uint64_t a, b = 0;
		if (o1) {
			a = a64_ld(cpu, va, bytes, mmu);
			b = a64_ld(cpu, va + bytes, bytes, mmu);
		} else {
			a = a64_ld(cpu, va, bytes, mmu);
		}
		cpu->excl_valid = true;
		cpu->excl_addr = va;
		cpu->excl_size = total;
		wx(cpu, rt, a);
		if (o1)
			wx(cpu, rt2, b);
		return pc + 4;
	}
	bool ok = cpu->excl_valid && cpu->excl_addr == va && cpu->excl_size == total;
	if (ok) {
		if (o1 && bytes == 4) {
			a64_st(cpu, va, (uint32_t)cpu->x[rt] | (cpu->x[rt2] << 32), 8, mmu);
		} else if (o1) {
			/* Check both halves are writable before writing either (single-copy atomic). */
			a64_host_ptr(cpu, va, 16, A64_ACC_WRITE, mmu);
			a64_st(cpu, va, cpu->x[rt], 8, mmu);
			a64_st(cpu, va + 8, cpu->x[rt2], 8, mmu);
		} else {
			a64_st(cpu, va, cpu->x[rt], bytes, mmu);
		}
	}
	cpu->excl_valid = false;
	wx(cpu, rs, ok ? 0 : 1);
	return pc + 4;
}

/* AdvSIMD load/store multiple structures (LD1-4/ST1-4) and single structures (lanes, LDnR). */
static uint64_t exec_simd_struct(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	bool q = insn & (1u << 30), load = insn & (1u << 22), post = insn & (1u << 23);
	bool single = insn & (1u << 24);
	unsigned rm = (insn >> 16) & 31, rn = (insn >> 5) & 31, rt = insn & 31;
	unsigned size = (insn >> 10) & 3, opcode = (insn >> 12) & 15, mmu = a64_mmu_idx(cpu);
	union a64_vreg regs[4];
	unsigned nregs, ebytes;
	uint64_t va = base_reg(cpu, rn), offs = 0;

	if (!post && rm)
		return a64_take_undef(cpu, pc, insn);
	if (!a64_fp_enabled(cpu))
		return a64_take_sync(cpu, pc, EC_FP_ACCESS, 0x1e00000);

	if (!single) {
		static const int8_t rpt_of[16] = { 1, -1, 4, -1, 1, -1, 3, 1, 1, -1, 2 };
		static const int8_t selem_of[16] = { 4, -1, 1, -1, 3, -1, 1, 1, 2, -1, 1 };
		if (opcode > 10 || rpt_of[opcode] < 0 || ((insn >> 21) & 1) ||
		    (size == 3 && !q && selem_of[opcode] > 1))
			return a64_take_undef(cpu, pc, insn);
		unsigned rpt = rpt_of[opcode], selem = selem_of[opcode];
		unsigned elements = (q ? 16 : 8) >> size;
		ebytes = 1u << size;
		nregs = rpt * selem;
		for (unsigned i = 0; i < nregs; i++)
			regs[i] = cpu->fp.v[(rt + i) % 32];
		for (unsigned r = 0; r < rpt; r++)
			for (unsigned e = 0; e < elements; e++)
				for (unsigned s = 0; s < selem; s++) {
					union a64_vreg *reg = &regs[r + s];
					uint64_t a = va + offs;
					if (load) {
						uint64_t val = a64_ld(cpu, a, ebytes, mmu);
						memcpy(&reg->b[e * ebytes], &val, ebytes);
					} else {
						uint64_t val = 0;
						memcpy(&val, &reg->b[e * ebytes], ebytes);
						a64_st(cpu, a, val, ebytes, mmu);
					}
					offs += ebytes;
				}
		if (load)
			for (unsigned i = 0; i < nregs; i++) {
				if (!q)
					regs[i].d[1] = 0;
				cpu->fp.v[(rt + i) % 32] = regs[i];
			}
	} else {
		unsigned opc3 = (insn >> 13) & 7, scale = opc3 >> 1;
		unsigned selem = (((opc3 & 1) << 1) | ((insn >> 21) & 1)) + 1, index;
		bool s = insn & (1u << 12), replicate = scale == 3;
		nregs = selem;
		switch (scale) {
		case 3: /* replicate */
			if (!load || s)
				return a64_take_undef(cpu, pc, insn);
			scale = size;
			index = 0;
			break;
		case 0:
			index = (q << 3) | (s << 2) | size;
			break;
		case 1:
			if (size & 1)
				return a64_take_undef(cpu, pc, insn);
			index = (q << 2) | (s << 1) | (size >> 1);
			break;
		default:
			if (size & 2)
				return a64_take_undef(cpu, pc, insn);
			if (!(size & 1)) {
				index = (q << 1) | s;
			} else {
				if (s)
					return a64_take_undef(cpu, pc, insn);
				index = q;
				scale = 3;
			}
			break;
		}
		ebytes = 1u << scale;
		for (unsigned i = 0; i < nregs; i++)
			regs[i] = cpu->fp.v[(rt + i) % 32];
		for (unsigned i = 0; i < selem; i++) {
			uint64_t a = va + offs;
			if (replicate) {
				uint64_t val = a64_ld(cpu, a, ebytes, mmu);
				unsigned lanes = (q ? 16 : 8) / ebytes;
				regs[i].q = 0;
				for (unsigned l = 0; l < lanes; l++)
					memcpy(&regs[i].b[l * ebytes], &val, ebytes);
			} else if (load) {
				uint64_t val = a64_ld(cpu, a, ebytes, mmu);
				memcpy(&regs[i].b[index * ebytes], &val, ebytes);
			} else {
				uint64_t val = 0;
				memcpy(&val, &regs[i].b[index * ebytes], ebytes);
				a64_st(cpu, a, val, ebytes, mmu);
			}
			offs += ebytes;
		}
		if (load)
			for (unsigned i = 0; i < nregs; i++)
				cpu->fp.v[(rt + i) % 32] = regs[i];
	}
	if (post)
		set_base(cpu, rn, va + (rm == 31 ? offs : cpu->x[rm]));
	return pc + 4;
}

uint64_t a64_exec_ldst(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	switch ((insn >> 27) & 7) {
	case 1: /* bits 29:27 = 001 */
		if (!(insn & (1u << 26))) {
			if (((insn >> 24) & 3) == 0)
				return exec_exclusive(cpu, insn, pc);
			break; /* LDAPR/STLR unscaled (RCPC2), unallocated */
		}
		if (!(insn >> 31) && !((insn >> 25) & 1))
			return exec_simd_struct(cpu, insn, pc);
		break;
	case 3: /* literal */
		if (!((insn >> 24) & 3))
			return exec_literal(cpu, insn, pc);
		break;
	case 5:
		return exec_ldst_pair(cpu, insn, pc);
	case 7:
		return exec_ldst_reg(cpu, insn, pc);
	}
	return a64_take_undef(cpu, pc, insn);
}
