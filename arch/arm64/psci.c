/*
 * PSCI 0.2 (ARM DEN0022D) and the SMCCC discovery calls (ARM DEN0028) over HVC #0, as the firmware
 * of QEMU's virt board offers them to a guest booted at EL1. Function IDs arrive in w0 (SMC32
 * calls) or x0 (SMC64), arguments in x1..x3, the result goes back in x0.
 */
#include "arch/arm64/board.h"

#include "vmm/machine.h"
#include "vmm/util.h"

/* AFFINITY_INFO results (DEN0022D §5.7) */
#define PSCI_AFF_ON 0

/* Our CPUs have MPIDR Aff0 = index, higher affinity levels 0 (the CPU model sets MPIDR so). */
static bool psci_mpidr_to_cpu(uint64_t mpidr, unsigned nr_cpus, unsigned *cpu)
{
	if (mpidr & 0xff00ffff00ull) /* Aff3, Aff2, Aff1 */
		return false;
	*cpu = (unsigned)(mpidr & 0xff);
	return *cpu < nr_cpus;
}

static int64_t psci_affinity_info(uint64_t mpidr, uint64_t level, unsigned nr_cpus)
{
	unsigned cpu;
	if (level > 3)
		return PSCI_INVALID_PARAMS;
	if (level > 0) {
		/* Affinity fields below the level are ignored; ours above it are all 0 (one cluster). */
		uint64_t fields = 0xff00ffffffull & ~((1ull << (8 * level)) - 1);
		return (mpidr & fields) ? PSCI_INVALID_PARAMS : PSCI_AFF_ON;
	}
	return psci_mpidr_to_cpu(mpidr, nr_cpus, &cpu) ? PSCI_AFF_ON : PSCI_INVALID_PARAMS;
}

static int64_t psci_cpu_on(uint64_t mpidr, unsigned nr_cpus)
{
	unsigned cpu;
	if (!psci_mpidr_to_cpu(mpidr, nr_cpus, &cpu))
		return PSCI_INVALID_PARAMS;
	/* Every CPU we have runs from reset (the interpreter is uniprocessor). */
	return PSCI_ALREADY_ON;
}

static int64_t smccc_arch_features(uint32_t fn)
{
	switch (fn) {
	case SMCCC_VERSION:
	case SMCCC_ARCH_FEATURES:
		return 0;
	default:
		/*
		 * ARCH_WORKAROUND_1/2/3 and the rest: not implemented. The CPU reports CSV2/CSV3 and
		 * has no speculation, so Linux needs none of the firmware mitigations.
		 */
		return PSCI_NOT_SUPPORTED;
	}
}

int64_t psci_call(struct machine *m, unsigned cpu_index, unsigned nr_cpus, const uint64_t x[4])
{
	uint32_t fn = (uint32_t)x[0];
	bool smc64 = fn & 0x40000000u;
	/* SMC32 calls take 32-bit arguments (SMCCC §2.6): the upper halves are ignored. */
	uint64_t a1 = smc64 ? x[1] : (uint32_t)x[1], a2 = smc64 ? x[2] : (uint32_t)x[2];

	switch (fn) {
	case PSCI_FN_VERSION:
		return 2; /* 0.2: major 0 in [31:16], minor 2 in [15:0] */
	case PSCI_FN_MIGRATE_INFO_TYPE:
		return 2; /* no Trusted OS: migration not required */
	case PSCI_FN_CPU_SUSPEND:
	case PSCI_FN64_CPU_SUSPEND:
		/*
		 * DEN0022D §5.4.2 lets the implementation return at once as if woken: powerdown
		 * requests are downgraded to standby, which resumes right after the call.
		 */
		return PSCI_SUCCESS;
	case PSCI_FN_CPU_OFF:
		/*
		 * No CPU can be brought back (CPU_ON has nothing to start), so turning one off would
		 * only hang the guest; deny it (§5.5.2).
		 */
		log_guest("psci: CPU_OFF on cpu %u denied; use SYSTEM_OFF", cpu_index);
		return PSCI_DENIED;
	case PSCI_FN_CPU_ON:
	case PSCI_FN64_CPU_ON:
		return psci_cpu_on(a1, nr_cpus);
	case PSCI_FN_AFFINITY_INFO:
	case PSCI_FN64_AFFINITY_INFO:
		return psci_affinity_info(a1, a2, nr_cpus);
	case PSCI_FN_MIGRATE:
	case PSCI_FN64_MIGRATE:
	case PSCI_FN_MIGRATE_INFO_UP_CPU:
	case PSCI_FN64_MIGRATE_INFO_UP_CPU:
		return PSCI_NOT_SUPPORTED;
	case PSCI_FN_SYSTEM_OFF:
		if (m)
			machine_request_exit(m, MEXIT_POWEROFF, 0);
		return PSCI_SUCCESS; /* not reached by the guest: the vCPU stops */
	case PSCI_FN_SYSTEM_RESET:
		if (m)
			machine_request_exit(m, MEXIT_RESET, 0);
		return PSCI_SUCCESS;
	case SMCCC_VERSION:
		return 0x10001; /* SMCCC 1.1 */
	case SMCCC_ARCH_FEATURES:
		return smccc_arch_features((uint32_t)a1);
	default:
		log_debug("psci: unknown SMCCC function 0x%x from cpu %u", fn, cpu_index);
		return PSCI_NOT_SUPPORTED; /* SMCCC §5.2: unknown function identifier */
	}
}
