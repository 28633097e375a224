/* PSCI 0.2 over HVC (ARM DEN0022): the calls Linux makes on a uniprocessor virt board. */
#include "rt.h"

int main(void)
{
	int64_t v = rt_psci(PSCI_VERSION, 0, 0, 0);
	rt_check(v >= 2 && v < 0x20000, "PSCI_VERSION is 0.2 or a later 1.x");
	CHECK_EQ(rt_psci(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2, "MIGRATE_INFO_TYPE: no migration needed");
	CHECK_EQ(rt_psci(PSCI_AFFINITY_INFO, 0, 0, 0), 0, "AFFINITY_INFO(cpu 0): ON");
	CHECK_EQ(rt_psci(PSCI_CPU_ON, 0, 0x40080000, 0), (uint64_t)-4, "CPU_ON(cpu 0): ALREADY_ON");
	CHECK_EQ(rt_psci(PSCI_CPU_ON, 1, 0x40080000, 0), (uint64_t)-2, "CPU_ON(no such cpu): INVALID_PARAMETERS");
	CHECK_EQ(rt_psci(0x8400ff00u, 0, 0, 0), (uint64_t)-1, "unknown function: NOT_SUPPORTED");
	rt_puts("powering off with SYSTEM_OFF\n");
	return 0;
}
