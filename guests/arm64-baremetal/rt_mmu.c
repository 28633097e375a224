/*
 * Stage-1 tables for the test guests (4K granule, 39-bit VA, walks start at level 1; ARM ARM D8):
 * TTBR0: VA = PA, device memory below 1 GiB (GIC, UART), normal RAM 1-2 GiB in 2 MiB blocks,
 * optionally one 2 MiB block split into 4K pages for the fault tests; TTBR1: RAM again at
 * 0xffffff8040000000.
 */
#include "rt.h"

#define RAM_BASE   0x40000000ull
#define SZ_2M      0x200000ull
#define HIGH_BASE  0xffffff8000000000ull

extern uint64_t __pt_start[];
static uint64_t *l3;
static uint64_t l3_va;

void mmu_enable(uint64_t l3_base)
{
	uint64_t *l1_lo = __pt_start, *l2_ram = __pt_start + 512, *l1_hi = __pt_start + 1536;
	l3 = __pt_start + 1024;
	l3_va = l3_base;
	memset(__pt_start, 0, 4 * 4096);

	l1_lo[0] = 0 | PTE_VALID | PTE_ATTR(0) | PTE_AF | PTE_PXN | PTE_UXN;
	l1_lo[1] = (uint64_t)l2_ram | PTE_VALID | PTE_TABLE;
	for (uint64_t i = 0; i < 512; i++)
		l2_ram[i] = (RAM_BASE + i * SZ_2M) | PTE_VALID | PTE_NORMAL;
	if (l3_base) {
		l2_ram[(l3_base - RAM_BASE) / SZ_2M] = (uint64_t)l3 | PTE_VALID | PTE_TABLE;
		for (uint64_t i = 0; i < 512; i++)
			l3[i] = (l3_base + i * 4096) | PTE_VALID | PTE_TABLE | PTE_NORMAL;
	}
	l1_hi[1] = RAM_BASE | PTE_VALID | PTE_NORMAL;

	write_sysreg(mair_el1, 0xff00ull);  /* attr0 Device-nGnRnE, attr1 Normal WB */
	write_sysreg(tcr_el1, 25ull | 1ull << 8 | 1ull << 10 | 3ull << 12 |    /* T0SZ, WBWA, inner sh */
			      25ull << 16 | 1ull << 24 | 1ull << 26 | 3ull << 28 | /* T1SZ ... */
			      2ull << 30 | 2ull << 32);                          /* TG1 4K, IPS 40 bits */
	write_sysreg(ttbr0_el1, (uint64_t)l1_lo);
	write_sysreg(ttbr1_el1, (uint64_t)l1_hi);
	dsb(ish);
	isb();
	__asm__ volatile("tlbi vmalle1" ::: "memory");
	dsb(ish);
	isb();
	write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | 1 | 1 << 2 | 1 << 12); /* M, C, I */
	isb();
}

uint64_t *mmu_l3_entry(uint64_t va)
{
	return &l3[(va - l3_va) / 4096];
}

void mmu_flush_va(uint64_t va)
{
	dsb(ishst);
	__asm__ volatile("tlbi vaae1is, %0" : : "r"(va >> 12) : "memory");
	dsb(ish);
	isb();
}

uint64_t mmu_high_alias(uint64_t pa)
{
	return HIGH_BASE + pa;
}
