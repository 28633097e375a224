/*
 * Synchronous exceptions taken to EL1 (ARM ARM D1.10): SVC, BRK, an UNDEFINED instruction and a
 * data abort, each checked for the vector, ESR_EL1 (EC, IL, ISS), ELR_EL1, FAR_EL1 and SPSR_EL1.
 */
#include "rt.h"

static volatile uint64_t last_esr, last_far, last_elr, last_spsr;
static volatile int taken; /* changed by the handler behind the compiler's back */

static bool on_sync(struct rt_frame *f, uint64_t esr, uint64_t far)
{
	last_esr = esr;
	last_far = far;
	last_elr = f->elr;
	last_spsr = f->spsr;
	taken++;
	/* SVC returns past itself already; the others would fault again */
	if (ESR_EC(esr) != EC_SVC64)
		f->elr += 4;
	return true;
}

int main(void)
{
	uint64_t at;
	rt_sync_hook = on_sync;

	__asm__ volatile("adr %0, 1f\n\tsvc #0x42\n1:" : "=r"(at) : : "memory");
	CHECK_EQ(taken, 1, "svc taken");
	CHECK_EQ(ESR_EC(last_esr), EC_SVC64, "svc: ESR.EC");
	CHECK_EQ(last_esr & (ESR_IL | 0xffff), ESR_IL | 0x42, "svc: ESR.IL and imm16");
	CHECK_EQ(last_elr, at, "svc: ELR is the next instruction");
	CHECK_EQ(last_spsr & 0x3cf, 0x3c5, "svc: SPSR has EL1h and DAIF at the time");

	__asm__ volatile("adr %0, 1f\n1:\tbrk #0x7" : "=r"(at) : : "memory");
	CHECK_EQ(ESR_EC(last_esr), EC_BRK, "brk: ESR.EC");
	CHECK_EQ(ESR_ISS(last_esr), 7, "brk: ISS is the comment");
	CHECK_EQ(last_elr, at, "brk: ELR is the brk itself");

	__asm__ volatile("adr %0, 1f\n1:\t.inst 0x00000000" : "=r"(at) : : "memory"); /* UDF #0 */
	CHECK_EQ(last_esr, ESR_IL, "udf: ESR is EC 0 (unknown), IL 1");
	CHECK_EQ(last_elr, at, "udf: ELR is the instruction");

	__asm__ volatile("adr %0, 1f\n1:\tmrs x0, s3_0_c15_c15_7" : "=r"(at) : : "x0", "memory");
	CHECK_EQ(ESR_EC(last_esr), EC_UNKNOWN, "unallocated system register: UNDEFINED");
	CHECK_EQ(last_elr, at, "unallocated system register: ELR");

	/* A data abort: the MMU on, an address the tables leave unmapped (level 1 entry 2). */
	mmu_enable(0);
	volatile uint64_t *hole = (volatile uint64_t *)0x80001238ull;
	int before = taken;
	(void)*hole;
	CHECK_EQ(taken, before + 1, "load from an unmapped VA: data abort taken");
	CHECK_EQ(ESR_EC(last_esr), EC_DABT_CUR, "data abort: ESR.EC");
	CHECK_EQ(last_esr & 0x7f, 0x05, "data abort: WnR 0, DFSC translation fault level 1");
	CHECK_EQ(last_far, 0x80001238ull, "data abort: FAR");
	*hole = 1;
	CHECK_EQ(last_esr & 0x7f, 0x45, "store: WnR 1, DFSC translation fault level 1");
	return 0;
}
