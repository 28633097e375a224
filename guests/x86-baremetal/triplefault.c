/*
 * triplefault: loads an empty IDT (limit 0) and executes ud2. The #UD cannot be delivered, nor the
 * #GP/#DF that follow: the CPU shuts down (triple fault, SDM Vol. 3 6.15 "Interrupt 8"). minivmm
 * must end with its crash status after a register dump naming the faulting instruction, whose
 * address we print first.
 */
#include "rt.h"

extern const char fault_insn[];

void guest_main(struct hvm_start_info *si)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} empty_idt = { 0, 0 };

	serial_init();
	gprintf("triplefault: empty IDT, then ud2 at 0x%08x\n", (uint32_t)(uintptr_t)fault_insn);
	__asm__ volatile("lidt %0\n\t"
			 ".globl fault_insn\n"
			 "fault_insn: ud2" : : "m"(empty_idt));
	gprintf("triplefault: FAIL still running after the fault\n");
	guest_exit(EXIT_FAIL);
}
