/* The smallest guest: PL011 output, then PSCI SYSTEM_OFF ends the VM with exit status 0. */
#include "rt.h"

int main(void)
{
	rt_puts("hello from the aarch64 bare-metal guest\n");
	CHECK_EQ(read_sysreg(CurrentEL) >> 2, 1, "entered at EL1");
	CHECK_EQ(read_sysreg(sctlr_el1) & 1, 0, "MMU off at entry");
	CHECK_EQ(read_sysreg(daif) >> 6, 0xf, "DAIF masked");
	return 0;
}
