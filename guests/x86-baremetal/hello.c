/*
 * hello: proves the PVH boot and the exit path. Prints a greeting, what the VMM handed over in
 * hvm_start_info (magic, command line, memory map), and exits through the debug-exit port with
 * a known value (0x5a: the VMM's status is (0x5a << 1) | 1 = 181).
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
	gprintf("hello: %s, exiting through debug-exit with 0x%x\n",
		guest_failures ? "FAIL" : "PASS", HELLO_EXIT);
	guest_exit(guest_failures ? EXIT_FAIL : HELLO_EXIT);
}
