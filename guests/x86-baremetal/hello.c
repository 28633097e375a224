/*
 * hello: proves the PVH boot and the exit path. Prints a greeting, what the VMM handed over in
 * hvm_start_info (magic, command line, memory map, modules: the initrd, with its CRC-32 so the
 * harness can check the bytes), and exits through the debug-exit port with a known value (0x5a:
 * the VMM's status is (0x5a << 1) | 1 = 181).
 */
#include "rt.h"

#define HELLO_EXIT 0x5a

static const char *memmap_type(uint32_t t)
{
	switch (t) {
	case 1: return "ram";
	case 2: return "reserved";
	case 3: return "acpi";
	case 4: return "nvs";
	default: return "other";
	}
}

/* CRC-32 (IEEE 802.3, as zlib's crc32()), bitwise: modules here are a few KiB. */
static uint32_t crc32(const uint8_t *p, uint32_t len)
{
	uint32_t crc = 0xffffffff;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

static void print_modules(const struct hvm_start_info *si)
{
	if (!si->nr_modules || !si->modlist_paddr || si->modlist_paddr >= 0xffffffffull) {
		gprintf("hello: modules none\n");
		return;
	}
	const struct hvm_modlist_entry *m = phys_ptr((uintptr_t)si->modlist_paddr);
	for (uint32_t i = 0; i < si->nr_modules && i < 8; i++) {
		if (m[i].paddr + m[i].size > 0xffffffffull) {
			gprintf("hello: module %u at 0x%llx above 4 GiB\n", i, (unsigned long long)m[i].paddr);
			continue;
		}
		/* 64 KiB at most: the CRC loop runs in (on a software KVM, emulated) ring 0. */
		uint32_t len = m[i].size > 65536 ? 65536 : (uint32_t)m[i].size;
		gprintf("hello: module %u at 0x%llx size %llu crc32(first %u bytes) %08x\n", i,
			(unsigned long long)m[i].paddr, (unsigned long long)m[i].size, len,
			crc32(phys_ptr((uintptr_t)m[i].paddr), len));
	}
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	gprintf("Hello from a minivmm bare-metal guest (32-bit protected mode)\n");
	check(si->magic == HVM_START_MAGIC, "start_info at %p: magic 0x%x (want 0x%x), version %u",
	      (void *)si, si->magic, HVM_START_MAGIC, si->version);
	if (si->magic == HVM_START_MAGIC) {
		/* Only 32-bit physical addresses are reachable without paging. */
		if (si->cmdline_paddr && si->cmdline_paddr < 0xffffffffull)
			gprintf("hello: cmdline \"%s\"\n", (const char *)(uintptr_t)si->cmdline_paddr);
		else
			gprintf("hello: cmdline none\n");
		if (si->version >= 1 && si->memmap_paddr && si->memmap_paddr < 0xffffffffull) {
			const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;

			for (uint32_t i = 0; i < si->memmap_entries && i < 32; i++)
				if (e[i].size)
					gprintf("hello: memmap 0x%016llx-0x%016llx %s\n",
						(unsigned long long)e[i].addr,
						(unsigned long long)(e[i].addr + e[i].size - 1),
						memmap_type(e[i].type));
		}
	}
	if (si->magic == HVM_START_MAGIC)
		print_modules(si);
	gprintf("hello: %s, exiting through debug-exit with 0x%x\n",
		guest_failures ? "FAIL" : "PASS", HELLO_EXIT);
	guest_exit(guest_failures ? EXIT_FAIL : HELLO_EXIT);
}
