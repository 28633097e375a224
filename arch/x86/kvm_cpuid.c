/*
 * What the guest CPU says about itself: CPUID from KVM_GET_SUPPORTED_CPUID with per-vCPU APIC ids
 * and topology (SDM Vol. 2A CPUID leaves 01H, 04H, 0BH, 1FH), the hypervisor bit and KVM's
 * signature leaves; and the MSR values Linux expects at reset.
 */
#include "arch/x86/kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/util.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT        (1u << 28)
#define KVM_SIGNATURE_LEAF     0x40000000u
#define KVM_FEATURES_LEAF      0x40000001u

int kvm_cpuid_init(struct kvm_vm *vm, char *why, size_t whylen)
{
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->cpuid = c;
			return 0;
		}
		int e = errno;
		free(c);
		if (e != E2BIG) {
			snprintf(why, whylen, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(e));
			return -e;
		}
	}
	snprintf(why, whylen, "KVM_GET_SUPPORTED_CPUID: too many entries");
	return -E2BIG;
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;
	while ((1u << b) < n)
		b++;
	return b;
}

static bool cpu_is_amd(const struct kvm_cpuid2 *c)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0)
			return c->entries[i].ebx == 0x68747541; /* "Auth"enticAMD */
	return false;
}

void kvm_cpuid_adjust(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned ncpus, bool amd)
{
	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0xffff) | apic_id << 24 | (ncpus > 1 ? MIN(ncpus, 255u) : 1u) << 16;
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (ncpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		break;
	case 4: { /* one core per vCPU, one thread per core; the L3 is shared by all */
		unsigned level = (e->eax >> 5) & 7;
		e->eax &= 0x3fff;
		e->eax |= (MIN(ncpus, 64u) - 1) << 26;
		if (level >= 3)
			e->eax |= (MIN(ncpus, 4096u) - 1) << 14;
		break;
	}
	case 0xb:
	case 0x1f:
		/* Level 0: SMT (1 thread), level 1: core (ncpus), then invalid (SDM 0BH). */
		if (e->index == 0) {
			e->eax = 0;
			e->ebx = 1;
			e->ecx = 1 << 8;
		} else if (e->index == 1) {
			e->eax = bits_for(ncpus);
			e->ebx = ncpus;
			e->ecx = 2 << 8 | 1;
		} else {
			e->eax = e->ebx = 0;
			e->ecx = e->index;
		}
		e->edx = apic_id;
		break;
	case 0x80000008:
		if (amd)
			e->ecx = (e->ecx & ~0xffu) | (ncpus - 1);
		break;
	case KVM_SIGNATURE_LEAF:
		e->eax = KVM_FEATURES_LEAF;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
		break;
	}
}

int kvm_cpuid_set(struct vcpu *v)
{
	struct kvm_vm *vm = kvm_vm_of(v->m);
	struct kvm_vcpu_state *s = v->engine_data;
	size_t size = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	if (!c)
		return -ENOMEM;
	memcpy(c, vm->cpuid, size);
	bool amd = cpu_is_amd(c), have_sig = false;
	for (unsigned i = 0; i < c->nent; i++) {
		kvm_cpuid_adjust(&c->entries[i], (unsigned)v->index, (unsigned)v->m->nr_vcpus, amd);
		have_sig |= c->entries[i].function == KVM_SIGNATURE_LEAF;
	}
	if (!have_sig)
		log_debug("kvm: host CPUID has no KVM signature leaf; the guest will not see KVM features");
	int r = ioctl(s->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	if (r < 0)
		log_error("kvm: KVM_SET_CPUID2 for vCPU %d failed: %s", v->index, strerror(-r));
	free(c);
	return r;
}

static const struct { uint32_t index; uint64_t value; const char *name; } kvm_reset_msrs[] = {
	{ 0x174, 0, "IA32_SYSENTER_CS" },
	{ 0x175, 0, "IA32_SYSENTER_ESP" },
	{ 0x176, 0, "IA32_SYSENTER_EIP" },
	{ 0xc0000081, 0, "STAR" },
	{ 0xc0000082, 0, "LSTAR" },
	{ 0xc0000083, 0, "CSTAR" },
	{ 0xc0000084, 0, "SYSCALL_MASK" },
	{ 0xc0000102, 0, "KERNEL_GS_BASE" },
	{ 0x10, 0, "IA32_TSC" },
	{ 0x1a0, 1, "IA32_MISC_ENABLE (fast strings)" },
	{ 0x2ff, (1 << 11) | 6, "MTRRdefType (MTRRs on, default write-back)" },
};

int kvm_msrs_set(struct vcpu *v)
{
	struct kvm_vcpu_state *s = v->engine_data;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(kvm_reset_msrs)];
	} msrs;
	/* KVM_SET_MSRS stops at the first MSR it refuses: report it and carry on with the rest. */
	for (size_t first = 0; first < ARRAY_SIZE(kvm_reset_msrs);) {
		memset(&msrs, 0, sizeof(msrs));
		msrs.hdr.nmsrs = (uint32_t)(ARRAY_SIZE(kvm_reset_msrs) - first);
		for (size_t i = first; i < ARRAY_SIZE(kvm_reset_msrs); i++)
			msrs.e[i - first] = (struct kvm_msr_entry){ .index = kvm_reset_msrs[i].index,
								    .data = kvm_reset_msrs[i].value };
		int n = ioctl(s->fd, KVM_SET_MSRS, &msrs);
		if (n < 0) {
			log_error("kvm: KVM_SET_MSRS failed: %s", strerror(errno));
			return -errno;
		}
		first += (size_t)n;
		if (first < ARRAY_SIZE(kvm_reset_msrs)) {
			if (v->index == 0)
				log_debug("kvm: host refused MSR %s; the guest sees its default",
					  kvm_reset_msrs[first].name);
			first++;
		}
	}
	return 0;
}
