/*
 * AArch64 exception entry and return for an EL0/EL1-only CPU (ARM ARM D1.10, D1.11):
 * every exception is taken to EL1, using SP_EL1, with DAIF masked.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "arch/arm64/cpu.h"
#include "vmm/machine.h"
#include "vmm/util.h"

uint32_t a64_pstate(const struct a64_cpu *cpu)
{
	return cpu->nzcv | cpu->daif | (cpu->el << 2) | cpu->spsel;
}

void a64_set_el_sp(struct a64_cpu *cpu, unsigned el, unsigned spsel)
{
	if (el != cpu->el)
		cpu->fetch_page = A64_TLB_INVALID; /* fetch permissions differ per EL */
	cpu->el = el;
	cpu->spsel = spsel;
	cpu->spidx = spsel ? el : 0;
}

static uint64_t take(struct a64_cpu *cpu, uint64_t elr, unsigned type)
{
	uint64_t off;
	if (cpu->el == 0)
		off = 0x400; /* lower EL using AArch64 */
	else
		off = cpu->spsel ? 0x200 : 0x000;
	cpu->spsr = a64_pstate(cpu);
	cpu->elr = elr;
	cpu->daif = PSTATE_DAIF;
	cpu->excl_valid = false;
	a64_set_el_sp(cpu, 1, 1);
	/* Everything is masked now: the run loop need not look at interrupts early. */
	return (cpu->vbar & ~0x7ffULL) + off + type;
}

uint64_t a64_take_sync(struct a64_cpu *cpu, uint64_t pc, uint32_t ec, uint32_t iss)
{
	cpu->esr = ((uint64_t)ec << 26) | (1u << 25) | (iss & 0x1ffffff);
	if (cpu->debug && ec != EC_SVC64 && ec != EC_DABT_LOWER && ec != EC_IABT_LOWER)
		log_guest("arm64: exception EC=0x%x ISS=0x%x at pc=0x%" PRIx64 " EL%u far=0x%" PRIx64,
			  ec, iss, pc, cpu->el, cpu->far);
	return take(cpu, pc, VEC_SYNC);
}

uint64_t a64_take_undef(struct a64_cpu *cpu, uint64_t pc, uint32_t insn)
{
	if (cpu->debug) {
		char text[96];
		a64_disas(cpu, pc, insn, text, sizeof(text));
		log_guest("arm64: UNDEFINED instruction at pc=0x%" PRIx64 " EL%u: %08x %s", pc,
			  cpu->el, insn, text);
	}
	return a64_take_sync(cpu, pc, EC_UNKNOWN, 0);
}

uint64_t a64_take_irq(struct a64_cpu *cpu, uint64_t pc)
{
	return take(cpu, pc, VEC_IRQ);
}

uint64_t a64_eret(struct a64_cpu *cpu)
{
	uint32_t spsr = cpu->spsr;
	unsigned m = spsr & 0x1f, el = (m >> 2) & 3;
	uint64_t target = cpu->elr;

	cpu->excl_valid = false;
	if ((m & 0x10) || el > 1 || (m & 2)) {
		/* Illegal exception return (D1.11.2): stay at EL1, PSTATE.IL set; we report it
		   at once as an Illegal Execution State exception. */
		log_guest("arm64: illegal exception return to SPSR.M=0x%x at 0x%" PRIx64, m, target);
		cpu->nzcv = spsr & 0xf0000000;
		cpu->daif = spsr & PSTATE_DAIF;
		return a64_take_sync(cpu, target & ~3ULL, EC_ILLEGAL_STATE, 0);
	}
	cpu->nzcv = spsr & 0xf0000000;
	cpu->daif = spsr & PSTATE_DAIF;
	a64_set_el_sp(cpu, el, el ? (m & 1) : 0);
	a64_irq_check(cpu);
	if (target & 3) {
		cpu->far = target;
		return a64_take_sync(cpu, target, EC_PC_ALIGN, 0);
	}
	return target;
}

void a64_raise(struct a64_cpu *cpu, uint32_t ec, uint32_t iss)
{
	cpu->pc = a64_take_sync(cpu, cpu->pc, ec, iss);
	if (!cpu->fault_jmp) {
		/* Only a64_exec() runs guest accesses; anything else is an interpreter bug. */
		log_error("arm64: exception raised outside instruction execution");
		abort();
	}
	longjmp(*cpu->fault_jmp, 1);
}

void a64_abort(struct a64_cpu *cpu, uint64_t va, int acc, uint32_t fsc, bool cm)
{
	uint32_t ec, iss = fsc;
	bool lower = cpu->el == 0;
	if (acc == A64_ACC_EXEC) {
		ec = lower ? EC_IABT_LOWER : EC_IABT_CUR;
	} else {
		ec = lower ? EC_DABT_LOWER : EC_DABT_CUR;
		if (acc == A64_ACC_WRITE || cm)
			iss |= 1u << 6; /* WnR */
		if (cm)
			iss |= 1u << 8;
	}
	cpu->far = va;
	a64_raise(cpu, ec, iss);
}
