/*
 * smp: the CPUs the VMM gives the guest (--cpus N). Finds the Intel MP floating pointer and
 * configuration table the way Linux does (MP spec 1.4, 4.1: last KiB of base memory, the EBDA,
 * the BIOS area 0xf0000-0xfffff), checks signatures and checksums, lists processors and IOAPICs;
 * then starts every AP with INIT + STARTUP IPIs through the local APIC (MP spec B.4) and checks
 * each one runs and reports a distinct APIC ID matching the table, and that CPUID leaf 1 reports
 * the same initial APIC ID as the local APIC on every CPU (KVM needs per-vCPU CPUID for that).
 */
#include "mp.h"

#define LAPIC_BASE 0xfee00000u
#define LAPIC_ID 0x20
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_PENDING (1u << 12)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_ASSERT (1u << 14)
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define TRAMPOLINE 0x10000u /* page 0x10: free RAM below 1 MiB in minivmm's and QEMU's layouts */

extern const char ap_trampoline[], ap_trampoline_end[];
extern volatile uint32_t ap_count, ap_apic_ids[64], ap_cpuid_ids[64];

static uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC_BASE + reg); }
static void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }

static bool lapic_ipi(uint32_t icr)
{
	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, icr);
	for (unsigned i = 0; i < 100000; i++)
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_PENDING))
			return true;
	return false;
}

/* A short pause between the IPIs (the MP spec asks for 10 ms and 200 us; KVM needs none). */
static void pause_a_little(void)
{
	for (unsigned i = 0; i < 100; i++)
		(void)inb(0x61);
}

void guest_main(struct hvm_start_info *si)
{
	uint8_t table_ids[64];
	unsigned ncpu = 0, nioapic = 0;

	serial_init();
	const uint8_t *mpf = mp_find_floating();
	if (!check(mpf != NULL, "MP floating pointer found (signature _MP_, checksum 0)"))
		guest_finish("smp");
	gprintf("smp: MP floating pointer at %p, spec 1.%u\n", (const void *)mpf, mpf[9]);
	uint16_t len = 0;
	const uint8_t *cfg = mp_config(mpf, &len);
	if (!check(cfg != NULL, "MP configuration table at 0x%x: signature PCMP, checksum 0 (%u bytes)",
		   *(const uint32_t *)(mpf + 4), len))
		guest_finish("smp");
	uint32_t lapic_addr = *(const uint32_t *)(cfg + 36);
	check(lapic_addr == LAPIC_BASE, "local APIC address 0x%x", lapic_addr);

	/* Walk by the table length, as Linux does (some firmware, e.g. qboot, leaves count 0). */
	const uint8_t *e = cfg + 44, *end = cfg + len;
	while (e < end) {
		switch (e[0]) {
		case 0: /* processor: APIC id, version, flags (bit 0 enabled, bit 1 BSP) */
			gprintf("smp: cpu apic id %u%s%s\n", e[1], e[3] & 1 ? "" : " (disabled)",
				e[3] & 2 ? " (bsp)" : "");
			if ((e[3] & 1) && ncpu < 64)
				table_ids[ncpu++] = e[1];
			e += 20;
			break;
		case 2: /* IOAPIC: id, version, flags, address */
			gprintf("smp: ioapic id %u at 0x%x\n", e[1], *(const uint32_t *)(e + 4));
			nioapic++;
			e += 8;
			break;
		default: /* bus, I/O and local interrupt assignments: 8 bytes each */
			e += 8;
			break;
		}
	}
	check(ncpu >= 1, "MP table lists %u enabled processors", ncpu);
	check(nioapic >= 1, "MP table lists %u IOAPICs", nioapic);

	uint32_t bsp_id = lapic_read(LAPIC_ID) >> 24;
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x100); /* software-enable the local APIC */
	memcpy(phys_ptr(TRAMPOLINE), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	bool sent = lapic_ipi(ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT);
	pause_a_little();
	for (int i = 0; i < 2 && sent; i++) {
		sent = lapic_ipi(ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_STARTUP | (TRAMPOLINE >> 12));
		pause_a_little();
	}
	check(sent, "INIT and STARTUP IPIs delivered (ICR delivery status cleared)");
	/* Wait for the APs (other vCPU threads) for at most ~3 s by the RTC's seconds. */
	unsigned want = ncpu ? ncpu - 1 : 0, changes = 0;
	outb(0x70, 0x00);
	uint8_t sec = inb(0x71);
	for (unsigned i = 0; ap_count < want && changes < 4; i++) {
		if ((i & 0xfff) == 0 && inb(0x71) != sec)
			changes++, sec = inb(0x71);
	}
	gprintf("smp: bsp apic id %u, %u APs started:", bsp_id, ap_count);
	for (unsigned i = 0; i < ap_count && i < 64; i++)
		gprintf(" %u", ap_apic_ids[i]);
	gprintf("\n");
	check(ap_count == want, "every AP in the MP table started (%u of %u)", ap_count, want);

	/* Each CPU (BSP and APs) has a distinct APIC ID that the MP table lists. */
	bool distinct = true, listed = true;
	for (unsigned i = 0; i <= ap_count && i < 64; i++) {
		uint32_t id = i == ap_count ? bsp_id : ap_apic_ids[i];
		bool in_table = false;
		for (unsigned j = 0; j < ncpu; j++)
			in_table |= table_ids[j] == id;
		listed &= in_table;
		for (unsigned j = 0; j < i; j++)
			distinct &= ap_apic_ids[j] != id;
	}
	check(distinct, "APIC IDs are distinct");
	uint32_t ebx;
	__asm__ volatile("cpuid" : "=b"(ebx) : "a"(1) : "ecx", "edx");
	bool cpuid_match = (ebx >> 24) == bsp_id;
	for (unsigned i = 0; i < ap_count && i < 64; i++)
		cpuid_match &= ap_cpuid_ids[i] == ap_apic_ids[i];
	check(cpuid_match, "CPUID.1 initial APIC ID matches the local APIC ID on every CPU (bsp %u)",
	      ebx >> 24);
	check(listed, "every running CPU's APIC ID is in the MP table");
	gprintf("smp: %u CPUs running\n", ap_count + 1);
	guest_finish("smp");
}
