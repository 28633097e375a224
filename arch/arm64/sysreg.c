/*
 * The A64 system instruction space (ARM ARM C5): MRS/MSR of the registers an EL1 kernel and
 * EL0 user space touch, MSR (immediate) to PSTATE fields, hints, barriers, and SYS: DC (ZVA and
 * cache maintenance), IC, AT and TLBI. Unknown registers are UNDEFINED, never fatal.
 *
 * The ID registers describe an ARMv8.0 CPU (cortex-a57 MIDR) with EL0/EL1 AArch64 only, FP and
 * AdvSIMD, CRC32, no LSE/PAC/BTI/SVE/MTE/PMU/RAS, CSV2/CSV3 = 1 (no Spectre/Meltdown
 * work-arounds, KPTI off), 4K granule, 40-bit PA, and CTR_EL0.IDC/DIC = 1 so Linux skips cache
 * maintenance that this CPU does not need.
 */
#include <inttypes.h>

#include "arch/arm64/cpu.h"
#include "vmm/util.h"

#define ID_MIDR 0x411fd070ULL
#define ID_AA64PFR0 0x1100000000000011ULL   /* CSV3, CSV2, EL1 and EL0 AArch64 only */
#define ID_AA64ISAR0 0x0000000000010000ULL  /* CRC32 */
#define ID_AA64MMFR0 0x000000000f000022ULL  /* 4K yes, 64K/16K no, 16-bit ASID, 40-bit PA */
#define ID_AA64DFR0 0x0000000000101006ULL   /* v8 debug, 2 BRPs/WRPs, no PMU */
#define CTR_VALUE 0xb444c004ULL             /* DIC, IDC, 64-byte lines, PIPT I-cache */
#define DCZID_VALUE 4                       /* DC ZVA zeroes 64 bytes */
#define CLIDR_VALUE 0x0a200023ULL

bool a64_fp_enabled(const struct a64_cpu *cpu)
{
	unsigned fpen = (cpu->cpacr >> 20) & 3;
	return cpu->el ? (fpen & 1) : fpen == 3;
}

static uint32_t sysreg_iss(uint32_t insn)
{
	unsigned op0 = (insn >> 19) & 3, op1 = (insn >> 16) & 7, crn = (insn >> 12) & 15;
	unsigned crm = (insn >> 8) & 15, op2 = (insn >> 5) & 7, rt = insn & 31;
	return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) |
	       ((insn >> 21) & 1);
}

/* Read (read=true) or write an MRS/MSR register; false if UNDEFINED here. */
static bool sysreg_access(struct a64_cpu *cpu, uint32_t key, bool read, uint64_t *val,
			  bool *trap)
{
	bool el0 = cpu->el == 0;
	uint64_t dummy;
	uint64_t *reg = NULL;

	/* EL0-accessible registers (op1 = 3). */
	switch (key) {
	case SYSREG(3, 3, 4, 2, 0): /* NZCV */
		if (read)
			*val = cpu->nzcv;
		else
			cpu->nzcv = *val & 0xf0000000;
		return true;
	case SYSREG(3, 3, 4, 2, 1): /* DAIF */
		if (el0 && !(cpu->sctlr & SCTLR_UMA))
			return *trap = true, false;
		if (read) {
			*val = cpu->daif;
		} else {
			cpu->daif = *val & PSTATE_DAIF;
			a64_irq_check(cpu);
		}
		return true;
	case SYSREG(3, 3, 4, 4, 0): /* FPCR */
	case SYSREG(3, 3, 4, 4, 1): { /* FPSR */
		uint32_t *r = key == SYSREG(3, 3, 4, 4, 0) ? &cpu->fp.fpcr : &cpu->fp.fpsr;
		if (!a64_fp_enabled(cpu))
			return *trap = true, false; /* reported as an FP access trap by the caller */
		if (read)
			*val = *r;
		else
			*r = *val;
		return true;
	}
	case SYSREG(3, 3, 13, 0, 2): reg = &cpu->tpidr_el0; break;
	case SYSREG(3, 3, 13, 0, 3):
		if (el0 && !read)
			return false;
		reg = &cpu->tpidrro_el0;
		break;
	case SYSREG(3, 3, 0, 0, 1): /* CTR_EL0 */
		if (!read || (el0 && !(cpu->sctlr & SCTLR_UCT)))
			return false;
		*val = CTR_VALUE;
		return true;
	case SYSREG(3, 3, 0, 0, 7): /* DCZID_EL0: DZP set when EL0 may not use DC ZVA */
		if (!read)
			return false;
		*val = DCZID_VALUE | ((el0 && !(cpu->sctlr & SCTLR_DZE)) ? 0x10 : 0);
		return true;
	default:
		if (((key >> 11) & 7) == 3 && ((key >> 7) & 15) == 14) {
			switch (a64_timer_sysreg(cpu, key, read, val)) {
			case 0: return true;
			default: return false;
			}
		}
		break;
	}
	if (reg) {
		if (read)
			*val = *reg;
		else
			*reg = *val;
		return true;
	}
	if (el0)
		return false;

	/* Debug registers (op0 = 2): no self-hosted debug features; RAZ/WI except MDSCR. */
	if ((key >> 14) == 2) {
		if (key == SYSREG(2, 0, 0, 2, 2))
			reg = &cpu->mdscr;
		else if (((key >> 11) & 7) == 0)
			reg = &dummy, dummy = 0;
		else
			return false;
		if (read)
			*val = *reg;
		else if (reg != &dummy)
			*reg = *val;
		return true;
	}

	/* ID space: op0 = 3, op1 = 0, CRn = 0 -- read-only, RAZ when not listed. */
	if ((key & ~0x7fu) == SYSREG(3, 0, 0, 0, 0)) {
		if (!read)
			return false;
		switch (key) {
		case SYSREG(3, 0, 0, 0, 0): *val = ID_MIDR; break;
		case SYSREG(3, 0, 0, 0, 5): *val = 0x80000000ULL | (uint64_t)cpu->index; break;
		case SYSREG(3, 0, 0, 4, 0): *val = ID_AA64PFR0; break;
		case SYSREG(3, 0, 0, 5, 0): *val = ID_AA64DFR0; break;
		case SYSREG(3, 0, 0, 6, 0): *val = ID_AA64ISAR0; break;
		case SYSREG(3, 0, 0, 7, 0): *val = ID_AA64MMFR0; break;
		default: *val = 0; break;
		}
		return true;
	}

	switch (key) {
	case SYSREG(3, 0, 1, 0, 0): /* SCTLR_EL1 */
		if (!read) {
			cpu->sctlr = *val;
			a64_tlb_flush(cpu);
			return true;
		}
		reg = &cpu->sctlr;
		break;
	case SYSREG(3, 0, 1, 0, 1): /* ACTLR_EL1: IMPLEMENTATION DEFINED, RAZ/WI */
		if (read)
			*val = 0;
		return true;
	case SYSREG(3, 0, 1, 0, 2): reg = &cpu->cpacr; break;
	case SYSREG(3, 0, 2, 0, 0):
	case SYSREG(3, 0, 2, 0, 1):
	case SYSREG(3, 0, 2, 0, 2):
	case SYSREG(3, 0, 10, 2, 0): {
		uint64_t *r = key == SYSREG(3, 0, 2, 0, 0) ? &cpu->ttbr0
			    : key == SYSREG(3, 0, 2, 0, 1) ? &cpu->ttbr1
			    : key == SYSREG(3, 0, 2, 0, 2) ? &cpu->tcr : &cpu->mair;
		if (read) {
			*val = *r;
		} else {
			/* Translation inputs changed: no ASID tagging yet, so flush everything. */
			*r = *val;
			a64_tlb_flush(cpu);
		}
		return true;
	}
	case SYSREG(3, 0, 10, 3, 0): reg = &cpu->amair; break;
	case SYSREG(3, 0, 4, 0, 0): reg = &cpu->spsr; break;
	case SYSREG(3, 0, 4, 0, 1): reg = &cpu->elr; break;
	case SYSREG(3, 0, 4, 1, 0): reg = &cpu->sp_el[0]; break;
	case SYSREG(3, 0, 4, 2, 0): /* SPSel */
		if (read) {
			*val = cpu->spsel;
		} else {
			a64_set_el_sp(cpu, cpu->el, *val & 1);
		}
		return true;
	case SYSREG(3, 0, 4, 2, 2): /* CurrentEL */
		if (!read)
			return false;
		*val = cpu->el << 2;
		return true;
	case SYSREG(3, 0, 5, 1, 0): reg = &cpu->afsr0; break;
	case SYSREG(3, 0, 5, 1, 1): reg = &cpu->afsr1; break;
	case SYSREG(3, 0, 5, 2, 0): reg = &cpu->esr; break;
	case SYSREG(3, 0, 6, 0, 0): reg = &cpu->far; break;
	case SYSREG(3, 0, 7, 4, 0): reg = &cpu->par; break;
	case SYSREG(3, 0, 12, 0, 0):
		if (!read) {
			cpu->vbar = *val & ~0x7ffULL;
			return true;
		}
		reg = &cpu->vbar;
		break;
	case SYSREG(3, 0, 12, 1, 0): /* ISR_EL1 */
		if (!read)
			return false;
		*val = atomic_load(&cpu->irq_level) ? PSTATE_I : 0;
		return true;
	case SYSREG(3, 0, 13, 0, 1): reg = &cpu->contextidr; break;
	case SYSREG(3, 0, 13, 0, 4): reg = &cpu->tpidr_el1; break;
	case SYSREG(3, 0, 14, 1, 0): reg = &cpu->cntkctl; break;
	case SYSREG(3, 2, 0, 0, 0): reg = &cpu->csselr; break;
	case SYSREG(3, 1, 0, 0, 0): /* CCSIDR_EL1 for CSSELR: cortex-a57 geometry */
		if (!read)
			return false;
		*val = cpu->csselr == 0 ? 0x701fe00a : cpu->csselr == 1 ? 0x201fe012
		     : cpu->csselr == 2 ? 0x70ffe07a : 0;
		return true;
	case SYSREG(3, 1, 0, 0, 1): /* CLIDR_EL1 */
		if (!read)
			return false;
		*val = CLIDR_VALUE;
		return true;
	case SYSREG(3, 1, 0, 0, 7): /* AIDR_EL1 */
		if (!read)
			return false;
		*val = 0;
		return true;
	default:
		return false;
	}
	if (read)
		*val = *reg;
	else
		*reg = *val;
	return true;
}

static uint64_t exec_msr_mrs(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	uint32_t key = (insn >> 5) & 0xffff;
	bool read = insn & (1u << 21), trap = false;
	unsigned rt = insn & 31;
	uint64_t val = cpu->x[rt];

	if (sysreg_access(cpu, key, read, &val, &trap)) {
		if (read && rt != 31)
			cpu->x[rt] = val;
		return pc + 4;
	}
	if (trap && (key == SYSREG(3, 3, 4, 4, 0) || key == SYSREG(3, 3, 4, 4, 1)))
		return a64_take_sync(cpu, pc, EC_FP_ACCESS, 0x1e00000);
	if (trap)
		return a64_take_sync(cpu, pc, EC_SYSREG, sysreg_iss(insn));
	return a64_take_undef(cpu, pc, insn);
}

/* DC by VA: a permission check as a read, reported with CM = 1 (D8.3.4). */
static void dc_check(struct a64_cpu *cpu, uint64_t va)
{
	struct a64_walk w;
	int fsc = a64_translate(cpu, va, A64_ACC_READ, a64_mmu_idx(cpu), &w);
	if (fsc)
		a64_abort(cpu, va, A64_ACC_READ, fsc - 1, true);
}

static uint64_t exec_sys(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned op1 = (insn >> 16) & 7, crn = (insn >> 12) & 15, crm = (insn >> 8) & 15;
	unsigned op2 = (insn >> 5) & 7, rt = insn & 31;
	bool el0 = cpu->el == 0;
	uint64_t va = cpu->x[rt];

	if (insn & (1u << 21)) /* SYSL: nothing implemented */
		return a64_take_undef(cpu, pc, insn);
	if (crn == 7) {
		if (op1 == 3 && crm == 4 && op2 == 1) { /* DC ZVA */
			if (el0 && !(cpu->sctlr & SCTLR_DZE))
				return a64_take_sync(cpu, pc, EC_SYSREG, sysreg_iss(insn));
			va &= ~63ULL;
			uint8_t *p = a64_host_ptr(cpu, va, 64, A64_ACC_WRITE, a64_mmu_idx(cpu));
			if (p)
				memset(p, 0, 64); /* 64-byte aligned: within one page */
			else
				for (unsigned i = 0; i < 64; i += 8)
					a64_st(cpu, va + i, 0, 8, a64_mmu_idx(cpu));
			return pc + 4;
		}
		if (op1 == 3 && op2 == 1 && (crm == 10 || crm == 11 || crm == 12 || crm == 14 ||
					     crm == 5)) {
			/* DC CVAC/CVAU/CVAP/CIVAC, IC IVAU: caches are coherent here. */
			if (el0 && !(cpu->sctlr & SCTLR_UCI))
				return a64_take_sync(cpu, pc, EC_SYSREG, sysreg_iss(insn));
			dc_check(cpu, va);
			return pc + 4;
		}
		if (el0 || op1 != 0)
			return a64_take_undef(cpu, pc, insn);
		if (crm == 6 && op2 == 1) { /* DC IVAC */
			dc_check(cpu, va);
			return pc + 4;
		}
		if ((crm == 6 || crm == 10 || crm == 14) && op2 == 2) /* DC ISW/CSW/CISW */
			return pc + 4;
		if ((crm == 1 || crm == 5) && op2 == 0) /* IC IALLUIS, IALLU */
			return pc + 4;
		if (crm == 8 && op2 < 4) { /* AT S1E1R/W, S1E0R/W */
			a64_at(cpu, va, (op2 & 1) ? A64_ACC_WRITE : A64_ACC_READ,
			       (op2 & 2) ? A64_MMU_EL0 : A64_MMU_EL1);
			return pc + 4;
		}
	} else if (crn == 8 && op1 == 0 && !el0) {
		/* TLBI: every EL1 form flushes everything (no per-VA/ASID invalidation yet). */
		a64_tlb_flush(cpu);
		return pc + 4;
	}
	return a64_take_undef(cpu, pc, insn);
}

static uint64_t exec_hint(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned op = (insn >> 5) & 0x7f; /* CRm:op2 */
	if (op == 3) { /* WFI */
		if (cpu->el == 0 && !(cpu->sctlr & (1ULL << 16))) /* SCTLR.nTWI */
			return a64_take_sync(cpu, pc, EC_WFX, 0x1e00000);
		if (!atomic_load(&cpu->irq_level))
			cpu->halted = true;
		a64_end_slice(cpu);
	} else if (op == 2 || op == 1) { /* WFE, YIELD: nothing to wait for on one CPU */
		if (op == 2 && cpu->el == 0 && !(cpu->sctlr & (1ULL << 18)))
			return a64_take_sync(cpu, pc, EC_WFX, 0x1e00001);
		a64_end_slice(cpu);
	}
	/* All other hints (NOP, SEV, SEVL, ESB, PSB, CSDB, BTI, PAC*SP ...) are NOPs. */
	return pc + 4;
}

uint64_t a64_exec_system(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	unsigned op0 = (insn >> 19) & 3, crn = (insn >> 12) & 15;

	if (op0 >= 2)
		return exec_msr_mrs(cpu, insn, pc);
	if (op0 == 1)
		return exec_sys(cpu, insn, pc);
	if (insn & (1u << 21))
		return a64_take_undef(cpu, pc, insn);
	if (crn == 2 && (insn & 31) == 31)
		return exec_hint(cpu, insn, pc);
	if (crn == 3 && (insn & 31) == 31) { /* barriers */
		unsigned op2 = (insn >> 5) & 7;
		if (op2 == 2) {
			cpu->excl_valid = false; /* CLREX */
			return pc + 4;
		}
		if (op2 >= 4 && op2 <= 6) /* DSB, DMB, ISB: accesses are in order already */
			return pc + 4;
		return a64_take_undef(cpu, pc, insn);
	}
	if (crn == 4 && (insn & 31) == 31) { /* MSR (immediate) to PSTATE fields */
		unsigned op1 = (insn >> 16) & 7, op2 = (insn >> 5) & 7, imm = (insn >> 8) & 15;
		if (op1 == 0 && op2 == 5 && cpu->el) {
			a64_set_el_sp(cpu, cpu->el, imm & 1);
			return pc + 4;
		}
		if (op1 == 3 && (op2 == 6 || op2 == 7)) {
			if (cpu->el == 0 && !(cpu->sctlr & SCTLR_UMA))
				return a64_take_sync(cpu, pc, EC_SYSREG, sysreg_iss(insn));
			if (op2 == 6)
				cpu->daif |= imm << 6;
			else
				cpu->daif &= ~(imm << 6);
			a64_irq_check(cpu);
			return pc + 4;
		}
	}
	return a64_take_undef(cpu, pc, insn);
}
