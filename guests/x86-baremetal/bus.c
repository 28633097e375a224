/*
 * bus: accesses where nothing is mapped. Unmapped I/O ports read as all ones (an ISA bus with
 * nothing driving it floats high); unmapped MMIO reads as zeros (minivmm's documented choice, as
 * Firecracker: vmm/bus.h). Writes there are dropped; the VMM logs them (rate-limited) and keeps
 * running, which the harness checks on the VMM's stderr. Finally the UART still works.
 * Run with 128 MiB or more and at most 3 GiB of RAM.
 */
#include "rt.h"

/* Ports no PC device decodes in minivmm or QEMU's microvm (ISA plug-and-play and spare ranges). */
static const uint16_t ports[] = { 0x100, 0x2e0, 0x3e0 };
/*
 * In the 32-bit hole away from the usual device windows (virtio-mmio at 0xd0000000 in Firecracker,
 * 0xfeb00000 in QEMU's microvm; IOAPIC 0xfec00000), plus the first page past the end of low RAM
 * as the PVH memory map describes it (any entry type: firmware tables sit in reserved RAM).
 */
static uint32_t mmio[3] = { 0xc8000000, 0xfe000000 };
static unsigned nr_mmio = 2;

static void add_end_of_ram(const struct hvm_start_info *si)
{
	uint64_t top = 0;

	if (si->magic != HVM_START_MAGIC || si->version < 1 || !si->memmap_paddr ||
	    si->memmap_paddr >= 0xffffffffull)
		return;
	const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries && i < 64; i++)
		if (e[i].addr < 0xc0000000ull && e[i].addr + e[i].size > top)
			top = e[i].addr + e[i].size;
	if (top >= 0x200000 && top < 0xc0000000ull)
		mmio[nr_mmio++] = (uint32_t)top;
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	gprintf("bus: unmapped port and MMIO accesses\n");
	/*
	 * Touch one MMIO address and one port first: a VMM that rate-limits its log per call site
	 * then still names both kinds before the checks below exhaust its budget.
	 */
	(void)mmio_read32(mmio[0]);
	mmio_write32(mmio[0], 0);
	(void)inb(ports[0]);
	outb(ports[0], 0);
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		uint16_t p = ports[i];

		check(inb(p) == 0xff, "inb  0x%03x = 0x%02x (want 0xff)", p, inb(p));
		check(inw(p) == 0xffff, "inw  0x%03x = 0x%04x (want 0xffff)", p, inw(p));
		check(inl(p) == 0xffffffff, "inl  0x%03x = 0x%08x (want 0xffffffff)", p, inl(p));
		outb(p, 0x12);
		outw(p, 0x3456);
		outl(p, 0x789abcde);
		check(inb(p) == 0xff, "inb  0x%03x after writes = 0x%02x (writes dropped)", p, inb(p));
	}
	add_end_of_ram(si);
	for (unsigned i = 0; i < nr_mmio; i++) {
		uintptr_t a = mmio[i];

		check(mmio_read32(a) == 0, "read32 0x%08x = 0x%08x (want 0)", mmio[i], mmio_read32(a));
		check(mmio_read8(a + 3) == 0, "read8  0x%08x = 0x%02x (want 0)", mmio[i] + 3,
		      mmio_read8(a + 3));
		mmio_write32(a, 0xdeadbeef);
		mmio_write8(a + 1, 0x5a);
		check(mmio_read32(a) == 0, "read32 0x%08x after writes = 0x%08x (writes dropped)",
		      mmio[i], mmio_read32(a));
	}
	/* Many writes to one unmapped port: the VMM's log must stay rate-limited, not flood. */
	for (unsigned i = 0; i < 200; i++)
		outb(ports[0], (uint8_t)i);
	check((inb(COM1 + 5) & 0x60) == 0x60, "UART still answers (LSR 0x%02x)", inb(COM1 + 5));
	guest_finish("bus");
}
