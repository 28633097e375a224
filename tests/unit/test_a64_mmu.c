/*
 * The A64 stage-1 walker on hand-built tables (4K granule): pages and blocks at each level,
 * 48-bit TTBR0 and 39-bit TTBR1 ranges, access-flag, translation and permission faults with the
 * right level, and AT into PAR_EL1.
 */
#include <stdlib.h>

#include "arch/arm64/cpu.h"
#include "tests/unit/unit.h"

UNIT_SUITE(a64_mmu);

#define RAM 0x40000000ULL
#define RAM_SIZE (16ULL << 20)
#define TABLES (RAM + 0x100000) /* page-table pages are allocated from here */

#define D_TABLE 3ULL
#define D_PAGE 3ULL
#define D_BLOCK 1ULL
#define D_AF (1ULL << 10)
#define AP_EL1_RW (0ULL << 6)
#define AP_ALL_RW (1ULL << 6)
#define AP_EL1_RO (2ULL << 6)
#define AP_ALL_RO (3ULL << 6)
#define D_PXN (1ULL << 53)
#define D_UXN (1ULL << 54)

struct mmu_fixture {
	struct guest_mem mem;
	struct bus bus;
	struct a64_cpu *cpu;
	uint64_t next_table;
};

static void fixture_init(struct mmu_fixture *f)
{
	memset(f, 0, sizeof(*f));
	CU_ASSERT_FATAL(gmem_add(&f->mem, RAM, RAM_SIZE) == 0);
	bus_init(&f->bus, "mmio", 0);
	f->cpu = aligned_alloc(64, (sizeof(struct a64_cpu) + 63) & ~63UL);
	a64_cpu_init(f->cpu, &f->mem, &f->bus);
	f->next_table = TABLES;
	/* T0SZ = 16 (48-bit), T1SZ = 25 (39-bit), 4K granules */
	f->cpu->tcr = 16 | (25ULL << 16) | (2ULL << 30);
	f->cpu->sctlr |= SCTLR_M;
}

static void fixture_free(struct mmu_fixture *f)
{
	free(f->cpu);
	gmem_free(&f->mem);
	bus_free(&f->bus);
}

static uint64_t new_table(struct mmu_fixture *f)
{
	uint64_t t = f->next_table;
	f->next_table += 4096;
	memset(gmem_ptr(&f->mem, t, 4096), 0, 4096);
	return t;
}

static void set_desc(struct mmu_fixture *f, uint64_t table, unsigned idx, uint64_t desc)
{
	CU_ASSERT_FATAL(gmem_write(&f->mem, table + idx * 8, &desc, 8));
}

static uint64_t get_desc(struct mmu_fixture *f, uint64_t table, unsigned idx)
{
	uint64_t d = 0;
	gmem_read(&f->mem, table + idx * 8, &d, 8);
	return d;
}

/* Map one 4K page va -> pa with attributes in a 4-level (48-bit) TTBR0 tree. */
static void map_page48(struct mmu_fixture *f, uint64_t va, uint64_t pa, uint64_t attrs)
{
	if (!f->cpu->ttbr0)
		f->cpu->ttbr0 = new_table(f);
	uint64_t t = f->cpu->ttbr0;
	for (int level = 0; level < 3; level++) {
		unsigned idx = (va >> (39 - 9 * level)) & 511;
		uint64_t d = get_desc(f, t, idx);
		if (!d) {
			d = new_table(f) | D_TABLE;
			set_desc(f, t, idx, d);
		}
		t = d & 0x0000fffffffff000ULL;
	}
	set_desc(f, t, (va >> 12) & 511, pa | attrs | D_PAGE);
}

static int walk(struct mmu_fixture *f, uint64_t va, int acc, unsigned mmu, uint64_t *pa)
{
	struct a64_walk w;
	int r = a64_translate(f->cpu, va, acc, mmu, &w);
	*pa = w.pa;
	return r ? r - 1 : -1; /* fault status, or -1 for success */
}

UNIT_TEST(a64_mmu, page_in_48bit_ttbr0_translates_with_offset)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	map_page48(&f, 0x0000123456789000ULL, RAM + 0x5000, D_AF | AP_EL1_RW);
	CU_ASSERT_EQUAL(walk(&f, 0x0000123456789abcULL, A64_ACC_READ, A64_MMU_EL1, &pa), -1);
	CU_ASSERT_EQUAL(pa, RAM + 0x5abc);
	CU_ASSERT_EQUAL(walk(&f, 0x0000123456789abcULL, A64_ACC_WRITE, A64_MMU_EL1, &pa), -1);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, missing_entries_fault_at_the_level_they_are_missing)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	map_page48(&f, 0x0000123456789000ULL, RAM + 0x5000, D_AF);
	/* same level-2 table, other level-3 entry: level 3 fault */
	CU_ASSERT_EQUAL(walk(&f, 0x000012345678a000ULL, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_TRANSLATION | 3);
	/* other level-1 entry in the same level-0 slot: level 1 */
	CU_ASSERT_EQUAL(walk(&f, 0x0000120000000000ULL, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_TRANSLATION | 1);
	/* other level-0 slot */
	CU_ASSERT_EQUAL(walk(&f, 0x0000800000000000ULL - 0x1000, A64_ACC_READ, A64_MMU_EL1, &pa),
			FSC_TRANSLATION | 0);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, blocks_at_level_1_and_2_map_1g_and_2m)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	uint64_t l0 = new_table(&f), l1 = new_table(&f), l2 = new_table(&f);
	f.cpu->ttbr0 = l0;
	set_desc(&f, l0, 0, l1 | D_TABLE);
	set_desc(&f, l1, 1, RAM | D_AF | D_BLOCK);             /* VA 1G..2G -> RAM (1G block) */
	set_desc(&f, l1, 2, l2 | D_TABLE);
	set_desc(&f, l2, 3, (RAM + 0x200000) | D_AF | D_BLOCK); /* VA 2G+6M -> RAM+2M (2M block) */
	CU_ASSERT_EQUAL(walk(&f, 0x40123456ULL, A64_ACC_READ, A64_MMU_EL1, &pa), -1);
	CU_ASSERT_EQUAL(pa, RAM + 0x123456);
	CU_ASSERT_EQUAL(walk(&f, 0x80000000ULL + 0x600000 + 0x1234, A64_ACC_READ, A64_MMU_EL1, &pa), -1);
	CU_ASSERT_EQUAL(pa, RAM + 0x201234);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, level0_block_and_level3_block_encoding_are_translation_faults)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	uint64_t l0 = new_table(&f);
	f.cpu->ttbr0 = l0;
	set_desc(&f, l0, 0, RAM | D_AF | D_BLOCK);
	CU_ASSERT_EQUAL(walk(&f, 0x1000, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_TRANSLATION | 0);
	map_page48(&f, 0x0000008000000000ULL, RAM, D_AF);
	/* rewrite the level-3 entry with the block encoding (reserved at level 3) */
	uint64_t t = f.cpu->ttbr0;
	for (int level = 0; level < 3; level++)
		t = get_desc(&f, t, (0x0000008000000000ULL >> (39 - 9 * level)) & 511) & 0x0000fffffffff000ULL;
	set_desc(&f, t, 0, RAM | D_AF | D_BLOCK);
	CU_ASSERT_EQUAL(walk(&f, 0x0000008000000000ULL, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_TRANSLATION | 3);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, clear_access_flag_gives_access_flag_fault)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	map_page48(&f, 0x5000, RAM, AP_EL1_RW);
	CU_ASSERT_EQUAL(walk(&f, 0x5008, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_ACCESS_FLAG | 3);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, ap_bits_control_el0_and_write_access)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	map_page48(&f, 0x1000, RAM, D_AF | AP_EL1_RW);
	map_page48(&f, 0x2000, RAM, D_AF | AP_ALL_RW);
	map_page48(&f, 0x3000, RAM, D_AF | AP_EL1_RO);
	map_page48(&f, 0x4000, RAM, D_AF | AP_ALL_RO);
	CU_ASSERT_EQUAL(walk(&f, 0x1000, A64_ACC_READ, A64_MMU_EL0, &pa), FSC_PERMISSION | 3);
	CU_ASSERT_EQUAL(walk(&f, 0x2000, A64_ACC_WRITE, A64_MMU_EL0, &pa), -1);
	CU_ASSERT_EQUAL(walk(&f, 0x3000, A64_ACC_WRITE, A64_MMU_EL1, &pa), FSC_PERMISSION | 3);
	CU_ASSERT_EQUAL(walk(&f, 0x3000, A64_ACC_READ, A64_MMU_EL0, &pa), FSC_PERMISSION | 3);
	CU_ASSERT_EQUAL(walk(&f, 0x4000, A64_ACC_READ, A64_MMU_EL0, &pa), -1);
	CU_ASSERT_EQUAL(walk(&f, 0x4000, A64_ACC_WRITE, A64_MMU_EL0, &pa), FSC_PERMISSION | 3);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, uxn_pxn_and_el0_writable_pages_are_not_executable)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	map_page48(&f, 0x1000, RAM, D_AF | AP_ALL_RO | D_UXN);
	map_page48(&f, 0x2000, RAM, D_AF | AP_EL1_RO | D_PXN);
	map_page48(&f, 0x3000, RAM, D_AF | AP_ALL_RW);
	map_page48(&f, 0x4000, RAM, D_AF | AP_EL1_RO);
	CU_ASSERT_EQUAL(walk(&f, 0x1000, A64_ACC_EXEC, A64_MMU_EL0, &pa), FSC_PERMISSION | 3);
	CU_ASSERT_EQUAL(walk(&f, 0x1000, A64_ACC_EXEC, A64_MMU_EL1, &pa), -1);
	CU_ASSERT_EQUAL(walk(&f, 0x2000, A64_ACC_EXEC, A64_MMU_EL1, &pa), FSC_PERMISSION | 3);
	CU_ASSERT_EQUAL(walk(&f, 0x3000, A64_ACC_EXEC, A64_MMU_EL1, &pa), FSC_PERMISSION | 3);
	CU_ASSERT_EQUAL(walk(&f, 0x3000, A64_ACC_EXEC, A64_MMU_EL0, &pa), -1);
	CU_ASSERT_EQUAL(walk(&f, 0x4000, A64_ACC_EXEC, A64_MMU_EL1, &pa), -1);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, ttbr1_39bit_starts_at_level_1_and_checks_the_va_range)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	uint64_t l1 = new_table(&f), l2 = new_table(&f), l3 = new_table(&f);
	f.cpu->ttbr1 = l1;
	uint64_t va = 0xffffff8000000000ULL + (5ULL << 30) + (7ULL << 21) + (9ULL << 12);
	set_desc(&f, l1, 5, l2 | D_TABLE);
	set_desc(&f, l2, 7, l3 | D_TABLE);
	set_desc(&f, l3, 9, (RAM + 0x7000) | D_AF | D_PAGE);
	CU_ASSERT_EQUAL(walk(&f, va + 0x10, A64_ACC_READ, A64_MMU_EL1, &pa), -1);
	CU_ASSERT_EQUAL(pa, RAM + 0x7010);
	/* below the 39-bit TTBR1 range: level-0 translation fault */
	CU_ASSERT_EQUAL(walk(&f, 0xffffff7ffffff000ULL, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_TRANSLATION | 0);
	/* EPD1 disables TTBR1 walks */
	f.cpu->tcr |= 1ULL << 23;
	CU_ASSERT_EQUAL(walk(&f, va, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_TRANSLATION | 0);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, at_s1e1r_writes_par_el1)
{
	struct mmu_fixture f;
	fixture_init(&f);
	map_page48(&f, 0x6000, RAM + 0x3000, D_AF | (1ULL << 2)); /* AttrIndx 1 */
	f.cpu->mair = 0xffULL << 8;
	a64_at(f.cpu, 0x6123, A64_ACC_READ, A64_MMU_EL1);
	CU_ASSERT_EQUAL(f.cpu->par & 1, 0);
	CU_ASSERT_EQUAL(f.cpu->par & 0x0000fffffffff000ULL, RAM + 0x3000);
	CU_ASSERT_EQUAL(f.cpu->par >> 56, 0xff);
	a64_at(f.cpu, 0x7000, A64_ACC_READ, A64_MMU_EL1);
	CU_ASSERT_EQUAL(f.cpu->par & 1, 1);
	CU_ASSERT_EQUAL((f.cpu->par >> 1) & 0x3f, FSC_TRANSLATION | 3);
	fixture_free(&f);
}

UNIT_TEST(a64_mmu, mmu_off_is_flat_within_40_bit_pa)
{
	struct mmu_fixture f;
	uint64_t pa;
	fixture_init(&f);
	f.cpu->sctlr &= ~SCTLR_M;
	CU_ASSERT_EQUAL(walk(&f, 0x40001234ULL, A64_ACC_EXEC, A64_MMU_EL1, &pa), -1);
	CU_ASSERT_EQUAL(pa, 0x40001234ULL);
	CU_ASSERT_EQUAL(walk(&f, 1ULL << 40, A64_ACC_READ, A64_MMU_EL1, &pa), FSC_ADDR_SIZE);
	fixture_free(&f);
}
