/* PSCI SYSTEM_RESET: minivmm exits 0 (or, with --reboot, starts the guest again). */
#include "rt.h"

#define PSCI_SYSTEM_RESET 0x84000009u

int main(void)
{
	rt_puts("reset: calling PSCI SYSTEM_RESET\n");
	rt_psci(PSCI_SYSTEM_RESET, 0, 0, 0);
	rt_check(false, "PSCI SYSTEM_RESET returned");
	return 0;
}
