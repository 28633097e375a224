/*
 * cpuid: what the VMM tells the guest about the CPU. The host's vendor, family/model and brand
 * (KVM_GET_SUPPORTED_CPUID passes them through), the features a 64-bit kernel needs (leaf 1 EDX:
 * TSC, MSR, PAE, APIC; 0x80000001 EDX: long mode), the hypervisor bit (leaf 1 ECX bit 31) and
 * KVM's leaves ("KVMKVMKVM" at 0x40000000, its feature bits at 0x40000001; Linux
 * Documentation/virt/kvm/x86/cpuid.rst), and IA32_APIC_BASE (enabled, BSP, 0xfee00000).
 */
#include "rt.h"

struct regs {
	uint32_t a, b, c, d;
};

static struct regs cpuid(uint32_t leaf)
{
	struct regs r;

	__asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(0));
	return r;
}

static void regs_str(char *out, const uint32_t *w, unsigned n)
{
	memcpy(out, w, 4 * n);
	out[4 * n] = 0;
}

void guest_main(struct hvm_start_info *si)
{
	char vendor[13], brand[49], hv[13];

	serial_init();
	struct regs l0 = cpuid(0);
	uint32_t vw[3] = { l0.b, l0.d, l0.c };
	regs_str(vendor, vw, 3);
	struct regs l1 = cpuid(1);
	unsigned family = (l1.a >> 8) & 0xf, model = (l1.a >> 4) & 0xf;
	if (family == 0xf)
		family += (l1.a >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model |= ((l1.a >> 16) & 0xf) << 4;
	gprintf("cpuid: vendor %s family 0x%x model 0x%x stepping %u\n", vendor, family, model, l1.a & 0xf);

	struct regs ext = cpuid(0x80000000);
	if (ext.a >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			struct regs r = cpuid(0x80000002 + i);
			uint32_t w[4] = { r.a, r.b, r.c, r.d };
			regs_str(brand + 16 * i, w, 4);
		}
		gprintf("cpuid: brand '%s'\n", brand);
	}
	check(l0.a >= 1, "max basic leaf 0x%x", l0.a);
	check((l1.d & 0x270) == 0x270, "leaf 1 EDX: TSC, MSR, PAE, APIC (0x%08x)", l1.d);
	check(ext.a >= 0x80000001 && (cpuid(0x80000001).d & (1u << 29)), "leaf 0x80000001 EDX: long mode");
	check(l1.c & (1u << 31), "leaf 1 ECX bit 31: running under a hypervisor");

	struct regs h = cpuid(0x40000000);
	uint32_t hw[3] = { h.b, h.c, h.d };
	regs_str(hv, hw, 3);
	gprintf("cpuid: hypervisor '%s' max leaf 0x%x\n", hv, h.a);
	check(memcmp(hv, "KVMKVMKVM\0\0\0", 12) == 0, "leaf 0x40000000: KVM signature");
	if (h.a >= 0x40000001) {
		struct regs f = cpuid(0x40000001);
		gprintf("cpuid: KVM features 0x%08x\n", f.a);
		check(f.a & (1u << 3), "leaf 0x40000001: kvmclock (KVM_FEATURE_CLOCKSOURCE2)");
	} else {
		check(false, "leaf 0x40000001 present");
	}

	uint64_t apic_base = rdmsr(0x1b);
	check((apic_base & ~0xfffull) == 0xfee00000ull && (apic_base & 0x900) == 0x900,
	      "IA32_APIC_BASE 0x%llx: 0xfee00000, enabled, BSP", (unsigned long long)apic_base);
	guest_finish("cpuid");
}
