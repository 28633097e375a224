/*
 * halt: says so, then halts with interrupts off forever: KVM keeps the vCPU asleep inside
 * KVM_RUN, and only the VMM's --timeout (which must kick it out) ends the run.
 */
#include "rt.h"

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	gprintf("halt: cli; hlt forever\n");
	halt_forever();
}
