/*
 * Boot CPU tables for the two x86 entries. Both get a flat GDT; the 64-bit boot protocol also
 * needs paging on with an identity map covering the kernel, the zero page and the command line
 * (boot.rst "64-bit boot protocol": __BOOT_CS 0x10, __BOOT_DS 0x18). We map the low 4 GiB with
 * 2 MiB pages, so everything the loaders place below 4 GiB is reachable.
 */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

static const uint64_t x86_boot_gdt[] = {
	0,                     /* null */
	0x00cf9b000000ffffULL, /* 0x08: 32-bit code, flat 4 GiB (PVH entry) */
	0x00af9b000000ffffULL, /* 0x10: 64-bit code (__BOOT_CS) */
	0x00cf93000000ffffULL, /* 0x18: data, flat 4 GiB (__BOOT_DS) */
	0x00008b0000000067ULL, /* 0x20: busy TSS, base 0, limit 0x67 (VM entry needs a usable TR) */
	0,                     /*       its upper half in long mode */
};

#define PTE_P  0x001ULL
#define PTE_RW 0x002ULL
#define PTE_PS 0x080ULL

int x86_entry_tables_write(struct guest_mem *mem, struct boot_state *bs)
{
	if (!gmem_write(mem, X86_GDT_ADDR, x86_boot_gdt, sizeof(x86_boot_gdt)))
		return -ENOMEM;
	uint64_t *idt = gmem_ptr(mem, X86_IDT_ADDR, 16);
	uint64_t *pml4 = gmem_ptr(mem, X86_PML4_ADDR, 6 * 4096);
	if (!idt || !pml4)
		return -ENOMEM;
	memset(idt, 0, 16);
	bs->gdt_base = X86_GDT_ADDR;
	if (bs->x86_mode != BOOT_X86_64BIT)
		return 0;

	/* PML4 -> PDPT (next page) -> 4 page directories of 512 2 MiB pages each. */
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	memset(pml4, 0, 6 * 4096);
	pml4[0] = (X86_PML4_ADDR + 0x1000) | PTE_P | PTE_RW;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (X86_PML4_ADDR + 0x2000 + i * 0x1000ULL) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	bs->pml4_base = X86_PML4_ADDR;
	return 0;
}
