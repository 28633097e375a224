/*
 * The x86 KVM engine: the crash dump's guest page-table walker, per-vCPU CPUID, and — when this
 * host has a usable /dev/kvm — tiny guests run through the real engine to pin the exit dispatch
 * (port I/O incl. string I/O, MMIO, debug-exit, triple fault) in both boot entry modes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/kvm.h"
#include "arch/x86/ports.h"
#include "boot/boot.h"
#include "tests/unit/unit.h"

UNIT_SUITE(kvm);

#define MiB (1ULL << 20)

static void put64(struct guest_mem *m, uint64_t gpa, uint64_t v) { gmem_write(m, gpa, &v, 8); }
static void put32(struct guest_mem *m, uint64_t gpa, uint32_t v) { gmem_write(m, gpa, &v, 4); }

UNIT_TEST(kvm, page_walk_follows_4level_tables_with_4k_2m_and_1g_pages)
{
	struct guest_mem m = { 0 };
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 16 * MiB), 0);
	struct kvm_sregs sr = { .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x20, .efer = 0x500 };
	uint64_t va = 0xffffffff81234567ULL, pa = 0;
	/* PML4[511] -> PDPT 0x2000; PDPT[510] -> PD 0x3000; PD[9] -> PT 0x4000; PT[0x34] -> 0x567000 */
	put64(&m, 0x1000 + 511 * 8, 0x2003);
	put64(&m, 0x2000 + 510 * 8, 0x3003);
	put64(&m, 0x3000 + 9 * 8, 0x4003);
	put64(&m, 0x4000 + 0x34 * 8, 0x8000000000567003ULL); /* NX bit is not an address bit */
	CU_ASSERT(kvm_gva_to_gpa(&m, &sr, va, &pa));
	CU_ASSERT_EQUAL(pa, 0x567567);
	/* The same PD entry as a 2 MiB page. */
	put64(&m, 0x3000 + 9 * 8, 0x600083);
	CU_ASSERT(kvm_gva_to_gpa(&m, &sr, va, &pa));
	CU_ASSERT_EQUAL(pa, 0x600000 + (va & 0x1fffff));
	/* A 1 GiB page in the PDPT. */
	put64(&m, 0x2000 + 510 * 8, 0x40000083);
	CU_ASSERT(kvm_gva_to_gpa(&m, &sr, va, &pa));
	CU_ASSERT_EQUAL(pa, 0x40000000 + (va & 0x3fffffff));
	/* Not present, and tables outside RAM. */
	CU_ASSERT_FALSE(kvm_gva_to_gpa(&m, &sr, 0x1000, &pa));
	sr.cr3 = 0x7ffff000000ULL;
	CU_ASSERT_FALSE(kvm_gva_to_gpa(&m, &sr, va, &pa));
	gmem_free(&m);
}

UNIT_TEST(kvm, page_walk_handles_paging_off_pae_and_32bit_pse)
{
	struct guest_mem m = { 0 };
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 16 * MiB), 0);
	struct kvm_sregs sr = { .cr0 = 0x11 };
	uint64_t pa = 0;
	CU_ASSERT(kvm_gva_to_gpa(&m, &sr, 0x123456, &pa));
	CU_ASSERT_EQUAL(pa, 0x123456);
	/* 32-bit paging: PDE[0x300] (va 0xc0000000) as a 4 MiB page at 0x400000. */
	sr = (struct kvm_sregs){ .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x10 };
	put32(&m, 0x1000 + 0x300 * 4, 0x400083);
	CU_ASSERT(kvm_gva_to_gpa(&m, &sr, 0xc0012345, &pa));
	CU_ASSERT_EQUAL(pa, 0x412345);
	/* 32-bit paging with a page table: PDE[1] -> PT 0x5000, PTE[2] -> 0x9000. */
	put32(&m, 0x1000 + 1 * 4, 0x5003);
	put32(&m, 0x5000 + 2 * 4, 0x9003);
	CU_ASSERT(kvm_gva_to_gpa(&m, &sr, 0x402abc, &pa));
	CU_ASSERT_EQUAL(pa, 0x9abc);
	/* PAE: PDPTE[3] -> PD 0x6000, PDE[0] 2 MiB page at 0xa00000. */
	sr = (struct kvm_sregs){ .cr0 = 0x80000011, .cr3 = 0x7000, .cr4 = 0x20 };
	put64(&m, 0x7000 + 3 * 8, 0x6001);
	put64(&m, 0x6000, 0xa00083);
	CU_ASSERT(kvm_gva_to_gpa(&m, &sr, 0xc0054321, &pa));
	CU_ASSERT_EQUAL(pa, 0xa54321);
	gmem_free(&m);
}

UNIT_TEST(kvm, cpuid_gives_each_vcpu_its_apic_id_and_the_topology)
{
	struct kvm_cpuid_entry2 e = { .function = 1, .ebx = 0x00010800, .ecx = 0, .edx = 0 };
	kvm_cpuid_adjust(&e, 3, 4, false);
	CU_ASSERT_EQUAL(e.ebx >> 24, 3);
	CU_ASSERT_EQUAL((e.ebx >> 16) & 0xff, 4);
	CU_ASSERT_EQUAL(e.ebx & 0xffff, 0x0800);
	CU_ASSERT(e.ecx & (1u << 31));  /* hypervisor */
	CU_ASSERT(e.edx & (1u << 28));  /* HTT with more than one CPU */
	struct kvm_cpuid_entry2 t0 = { .function = 0xb, .index = 0 }, t1 = { .function = 0xb, .index = 1 },
				t2 = { .function = 0xb, .index = 2 };
	kvm_cpuid_adjust(&t0, 5, 6, false);
	kvm_cpuid_adjust(&t1, 5, 6, false);
	kvm_cpuid_adjust(&t2, 5, 6, false);
	CU_ASSERT(t0.ebx == 1 && ((t0.ecx >> 8) & 0xff) == 1 && t0.edx == 5);
	CU_ASSERT(t1.eax == 3 && t1.ebx == 6 && ((t1.ecx >> 8) & 0xff) == 2 && t1.edx == 5);
	CU_ASSERT(t2.ebx == 0 && ((t2.ecx >> 8) & 0xff) == 0);
	struct kvm_cpuid_entry2 sig = { .function = 0x40000000 };
	kvm_cpuid_adjust(&sig, 0, 1, false);
	char name[13] = "";
	memcpy(name, &sig.ebx, 4), memcpy(name + 4, &sig.ecx, 4), memcpy(name + 8, &sig.edx, 4);
	CU_ASSERT_STRING_EQUAL(name, "KVMKVMKVM");
	CU_ASSERT_EQUAL(sig.eax, 0x40000001);
}

UNIT_TEST(kvm, probe_refuses_aarch64_guests_and_points_to_the_interpreter)
{
	const char *why = NULL;
	CU_ASSERT_EQUAL(kvm_probe(ARCH_AARCH64, &why), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "--accel interp"));
}

/* ---- real guests on /dev/kvm ---- */

struct recorder {
	uint8_t bytes[16];
	unsigned n;
	uint64_t mmio_off, mmio_val;
	unsigned mmio_len;
};

static void rec_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	memset(data, 0, len);
	((uint8_t *)data)[0] = off == 1 ? 0x21 : 0x12;
}

static void rec_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct recorder *r = opaque;
	if (r->n < sizeof(r->bytes))
		r->bytes[r->n++] = *(const uint8_t *)data;
	r->mmio_off = off, r->mmio_len = len;
	memcpy(&r->mmio_val, data, len);
}

static const struct bus_ops rec_ops = { .name = "recorder", .read = rec_read, .write = rec_write };

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	v->m->engine->vcpu_run(v);
	return NULL;
}

/*
 * Run code at 1 MiB on the boot CPU (ap_code, if any, at 0x10000 for SIPI vector 0x10) in the
 * given entry mode, one thread per vCPU as machine_run does, until an exit is requested or 10 s
 * pass; returns the machine's exit reason.
 */
static int run_guest_smp(int mode, const uint8_t *code, size_t len, const uint8_t *ap_code, size_t ap_len,
			 int cpus, struct recorder *rec, int *code_out)
{
	const char *why;
	if (kvm_probe(ARCH_X86_64, &why) < 0) {
		printf("\n  (skipped: %s) ", why);
		return -1;
	}
	static struct vm_config cfg = { .mem_size = 32 << 20 };
	static struct machine m;
	memset(&m, 0, sizeof(m));
	cfg.cpus = cpus;
	m.cfg = &cfg, m.engine = &kvm_engine, m.wake_fd = -1, m.nr_vcpus = cpus;
	bus_init(&m.pio, "pio", 0xff);
	bus_init(&m.mmio, "mmio", 0);
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m.mem, 0, cfg.mem_size), 0);
	CU_ASSERT_EQUAL_FATAL(x86_ports_register(&m), 0);
	CU_ASSERT_EQUAL_FATAL(bus_register(&m.pio, 0x500, 2, &rec_ops, rec), 0);
	CU_ASSERT_EQUAL_FATAL(bus_register(&m.mmio, 0xd0000000, 0x1000, &rec_ops, rec), 0);
	gmem_write(&m.mem, MiB, code, len);
	gmem_write(&m.mem, MiB + 0x1000, "hello", 5);
	if (ap_code)
		gmem_write(&m.mem, 0x10000, ap_code, ap_len);
	m.boot = (struct boot_state){ .x86_mode = mode, .entry = MiB, .rsp = 0x8000 };
	CU_ASSERT_EQUAL_FATAL(x86_entry_tables_write(&m.mem, &m.boot), 0);
	CU_ASSERT_EQUAL_FATAL(kvm_engine.vm_create(&m), 0);
	for (int i = 0; i < cpus; i++) {
		m.vcpus[i] = (struct vcpu){ .m = &m, .index = i };
		CU_ASSERT_EQUAL_FATAL(kvm_engine.vcpu_create(&m.vcpus[i]), 0);
	}
	for (int i = 0; i < cpus; i++)
		pthread_create(&m.vcpus[i].thread, NULL, vcpu_thread, &m.vcpus[i]);
	for (int ms = 0; ms < 10000 && !machine_exit_requested(&m); ms++)
		usleep(1000);
	for (int i = 0; i < cpus; i++)
		kvm_engine.vcpu_kick(&m.vcpus[i]);
	for (int i = 0; i < cpus; i++)
		pthread_join(m.vcpus[i].thread, NULL);
	kvm_engine.vm_destroy(&m);
	gmem_free(&m.mem);
	bus_free(&m.pio);
	bus_free(&m.mmio);
	*code_out = m.exit_code;
	return m.exit_reason;
}

static int run_guest(int mode, const uint8_t *code, size_t len, struct recorder *rec, int *code_out)
{
	return run_guest_smp(mode, code, len, NULL, 0, 1, rec, code_out);
}

UNIT_TEST(kvm, pvh_guest_does_string_io_port_in_mmio_and_debug_exit)
{
	static const uint8_t code[] = {
		0xbe, 0x00, 0x10, 0x10, 0x00, /* mov esi, 0x101000 ("hello") */
		0xb9, 0x05, 0x00, 0x00, 0x00, /* mov ecx, 5 */
		0x66, 0xba, 0x00, 0x05,       /* mov dx, 0x500 */
		0xf3, 0x6e,                   /* rep outsb: one exit, count 5 */
		0xa1, 0x00, 0x00, 0x00, 0xd0, /* mov eax, [0xd0000000] -> 0x12 */
		0xa3, 0x04, 0x00, 0x00, 0xd0, /* mov [0xd0000004], eax */
		0x66, 0xba, 0x01, 0x05,       /* mov dx, 0x501 */
		0xec,                         /* in al, dx -> 0x21 */
		0xe6, 0xf4,                   /* out 0xf4, al: debug exit */
		0xf4,                         /* hlt (not reached) */
	};
	struct recorder rec = { 0 };
	int exit_code = 0, why = run_guest(BOOT_X86_PVH32, code, sizeof(code), &rec, &exit_code);
	if (why < 0)
		return;
	CU_ASSERT_EQUAL(why, MEXIT_DEBUG_EXIT);
	CU_ASSERT_EQUAL(exit_code, (0x21 << 1) | 1);
	CU_ASSERT_EQUAL(rec.n, 6);
	CU_ASSERT_EQUAL(memcmp(rec.bytes, "hello", 5), 0);
	CU_ASSERT(rec.mmio_off == 4 && rec.mmio_len == 4 && rec.mmio_val == 0x12);
}

UNIT_TEST(kvm, longmode_guest_reaches_debug_exit_with_a_32bit_out)
{
	static const uint8_t code[] = {
		0xb8, 0x2a, 0x00, 0x00, 0x00, /* mov eax, 0x2a */
		0xe7, 0xf4,                   /* out 0xf4, eax */
		0xf4,
	};
	struct recorder rec = { 0 };
	int exit_code = 0, why = run_guest(BOOT_X86_64BIT, code, sizeof(code), &rec, &exit_code);
	if (why < 0)
		return;
	CU_ASSERT_EQUAL(why, MEXIT_DEBUG_EXIT);
	CU_ASSERT_EQUAL(exit_code, (0x2a << 1) | 1);
}

UNIT_TEST(kvm, triple_fault_ends_the_machine_as_a_crash)
{
	static const uint8_t code[] = { 0x0f, 0x0b }; /* ud2 with an empty IDT: triple fault */
	struct recorder rec = { 0 };
	int exit_code = 0;
	fprintf(stderr, "\n(test_kvm: the register dump below is expected)\n");
	int why = run_guest(BOOT_X86_64BIT, code, sizeof(code), &rec, &exit_code);
	if (why < 0)
		return;
	CU_ASSERT_EQUAL(why, MEXIT_CRASH);
}

UNIT_TEST(kvm, ap_waits_for_sipi_and_starts_in_real_mode_at_its_vector)
{
	static const uint8_t bsp[] = {
		0xc7, 0x05, 0x10, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x01, /* ICR high: APIC id 1 */
		0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x00, 0x00, /* ICR: INIT, assert */
		0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x10, 0x46, 0x00, 0x00, /* ICR: SIPI vector 0x10 */
		0xf4, 0xeb, 0xfd,                                           /* hlt; jmp hlt */
	};
	static const uint8_t ap[] = {
		0xb0, 0x77,                                                 /* mov al, 0x77 (real mode) */
		0xe6, 0xf4,                                                 /* out 0xf4, al */
		0xf4,
	};
	struct recorder rec = { 0 };
	int exit_code = 0;
	int why = run_guest_smp(BOOT_X86_PVH32, bsp, sizeof(bsp), ap, sizeof(ap), 2, &rec, &exit_code);
	if (why < 0)
		return;
	CU_ASSERT_EQUAL(why, MEXIT_DEBUG_EXIT);
	CU_ASSERT_EQUAL(exit_code, (0x77 << 1) | 1);
}
