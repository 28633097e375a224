/*
 * The x86 KVM engine's private state, shared by its files: kvm.c (the VM: /dev/kvm, memory slots,
 * in-kernel irqchip and PIT), kvm_cpuid.c (CPUID and MSRs), kvm_vcpu.c (boot registers, run
 * loop, kick) and kvm_dump.c (crash dump with the faulting instruction).
 */
#ifndef MINIVMM_ARCH_X86_KVM_H
#define MINIVMM_ARCH_X86_KVM_H

#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/machine.h"

struct kvm_vm {
	int kvm_fd, vm_fd;
	int run_size;                      /* KVM_GET_VCPU_MMAP_SIZE */
	struct kvm_cpuid2 *cpuid;          /* KVM_GET_SUPPORTED_CPUID, adjusted per vCPU */
	bool pvm;                          /* host KVM is PVM: ring 0 emulated, CPUID native */
};

/* Every exit kind is counted (Firecracker-style metrics), printed with --debug. */
enum kvm_exit_stat {
	KSTAT_IO_IN, KSTAT_IO_OUT, KSTAT_MMIO_READ, KSTAT_MMIO_WRITE, KSTAT_HLT, KSTAT_SHUTDOWN,
	KSTAT_INTERNAL, KSTAT_FAIL_ENTRY, KSTAT_SYSTEM_EVENT, KSTAT_INTR, KSTAT_OTHER, KSTAT_NR,
};

struct kvm_vcpu_state {
	int fd;
	struct kvm_run *run;
	uint64_t stats[KSTAT_NR];
};

/* Kick signal: interrupts KVM_RUN in a vCPU thread (its handler does nothing). */
#define KVM_KICK_SIGNAL (SIGRTMIN + 1)

static inline struct kvm_vm *kvm_vm_of(struct machine *m) { return m->engine_data; }

int kvm_cpuid_init(struct kvm_vm *vm, char *why, size_t whylen);
/* Per-vCPU view of one supported-CPUID entry (APIC id, topology, hypervisor leaves). */
void kvm_cpuid_adjust(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned ncpus, bool amd);
int kvm_cpuid_set(struct vcpu *v);
int kvm_msrs_set(struct vcpu *v);

int kvm_vcpu_create(struct vcpu *v);
void kvm_vcpu_run(struct vcpu *v);
void kvm_vcpu_kick(struct vcpu *v);
void kvm_vcpu_dump(struct vcpu *v, FILE *out);
/* Guest linear -> physical through the guest's page tables as sregs describe them. */
bool kvm_gva_to_gpa(const struct guest_mem *mem, const struct kvm_sregs *sr, uint64_t va, uint64_t *pa);

#endif
