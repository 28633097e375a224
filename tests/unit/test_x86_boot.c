/*
 * x86 boot data: the e820 map, initrd placement, setup-header validation and the zero page the
 * bzImage loader builds, the PVH note parser and loader, the image-kind detector and the MP table.
 * Every image is synthetic, built here byte by byte.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "tests/unit/unit.h"

UNIT_SUITE(x86_boot);

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* A layout without backing memory: the map builders only read gpa/size. */
static struct guest_mem fake_mem(uint64_t size)
{
	struct guest_mem m = { 0 };
	uint64_t low = size < X86_MMIO_HOLE ? size : X86_MMIO_HOLE;
	m.r[m.nr++] = (struct gmem_region){ .gpa = 0, .size = low };
	if (size > low)
		m.r[m.nr++] = (struct gmem_region){ .gpa = X86_HIGH_RAM, .size = size - low };
	return m;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return le16(p) | (uint32_t)le16(p + 2) << 16; }

UNIT_TEST(x86_boot, e820_small_ram_reserves_ebda_and_bios)
{
	struct guest_mem m = fake_mem(256 * MiB);
	struct e820_entry e[E820_MAX];
	CU_ASSERT_EQUAL_FATAL(x86_e820_build(&m, e, E820_MAX), 4);
	CU_ASSERT(e[0].addr == 0 && e[0].size == X86_EBDA_ADDR && e[0].type == E820_RAM);
	CU_ASSERT(e[1].addr == X86_EBDA_ADDR && e[1].addr + e[1].size == 0xa0000 && e[1].type == E820_RESERVED);
	CU_ASSERT(e[2].addr == 0xf0000 && e[2].size == 0x10000 && e[2].type == E820_RESERVED);
	CU_ASSERT(e[3].addr == MiB && e[3].size == 255 * MiB && e[3].type == E820_RAM);
}

UNIT_TEST(x86_boot, e820_large_ram_skips_the_3g_4g_hole)
{
	struct guest_mem m = fake_mem(5 * GiB);
	struct e820_entry e[E820_MAX];
	CU_ASSERT_EQUAL_FATAL(x86_e820_build(&m, e, E820_MAX), 5);
	CU_ASSERT(e[3].addr == MiB && e[3].addr + e[3].size == 3 * GiB);
	CU_ASSERT(e[4].addr == 4 * GiB && e[4].size == 2 * GiB && e[4].type == E820_RAM);
	/* Exactly 3 GiB: nothing above the hole. */
	m = fake_mem(3 * GiB);
	CU_ASSERT_EQUAL(x86_e820_build(&m, e, E820_MAX), 4);
	CU_ASSERT_EQUAL(e[3].addr + e[3].size, 3 * GiB);
}

UNIT_TEST(x86_boot, e820_reports_a_full_table)
{
	struct guest_mem m = fake_mem(5 * GiB);
	struct e820_entry e[3];
	CU_ASSERT_EQUAL(x86_e820_build(&m, e, 3), -ENOSPC);
}

UNIT_TEST(x86_boot, initrd_goes_under_initrd_addr_max)
{
	struct guest_mem m = fake_mem(2 * GiB);
	uint64_t a = 0;
	CU_ASSERT_EQUAL(x86_initrd_place(&m, MiB, 16 * MiB, 0x37ffffff, &a), 0);
	CU_ASSERT_EQUAL(a, 0x38000000 - MiB);
	/* Unaligned sizes still start on a page and end below the limit. */
	CU_ASSERT_EQUAL(x86_initrd_place(&m, 0x1234, 16 * MiB, 0x37ffffff, &a), 0);
	CU_ASSERT_EQUAL(a % 4096, 0);
	CU_ASSERT(a + 0x1234 - 1 <= 0x37ffffff && a + 0x1234 > 0x38000000 - 8192);
}

UNIT_TEST(x86_boot, initrd_goes_under_ram_end_and_above_the_kernel)
{
	struct guest_mem m = fake_mem(256 * MiB);
	uint64_t a = 0;
	CU_ASSERT_EQUAL(x86_initrd_place(&m, 3 * MiB, 16 * MiB, 0x7fffffff, &a), 0);
	CU_ASSERT_EQUAL(a, 253 * MiB);
	CU_ASSERT_EQUAL(x86_initrd_place(&m, 250 * MiB, 16 * MiB, 0x7fffffff, &a), -ENOSPC);
	CU_ASSERT_EQUAL(x86_initrd_place(&m, 0, 16 * MiB, 0x7fffffff, &a), -EINVAL);
	/* With RAM above 4 GiB and a limit past it, the highest spot wins. */
	m = fake_mem(5 * GiB);
	CU_ASSERT_EQUAL(x86_initrd_place(&m, MiB, 16 * MiB, UINT64_MAX, &a), 0);
	CU_ASSERT_EQUAL(a, 6 * GiB - MiB);
}

/* A bzImage-shaped file: 4 setup sectors, a 2.15 header, a 64-bit capable kernel of pm_len bytes. */
static uint8_t *make_bzimage(size_t pm_len, size_t *len)
{
	size_t setup = 5 * 512;
	uint8_t *b = calloc(1, setup + pm_len);
	b[0x1f1] = 4;
	b[0x1fe] = 0x55, b[0x1ff] = 0xaa;
	b[0x200] = 0xeb, b[0x201] = 0x6a; /* jmp to 0x26c: end of the header */
	memcpy(b + 0x202, "HdrS", 4);
	b[0x206] = 0x0f, b[0x207] = 0x02; /* 2.15 */
	b[0x211] = 0x01;                  /* LOADED_HIGH */
	memcpy(b + 0x22c, "\xff\xff\xff\x37", 4); /* initrd_addr_max */
	b[0x234] = 1;                     /* relocatable */
	b[0x236] = 0x03;                  /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	b[0x238] = 0xff, b[0x239] = 0x07; /* cmdline_size 2047 */
	b[0x262] = 0x40;                  /* init_size 4 MiB */
	for (size_t i = 0; i < pm_len; i++)
		b[setup + i] = (uint8_t)(i * 7 + 1);
	*len = setup + pm_len;
	return b;
}

UNIT_TEST(x86_boot, header_check_accepts_a_64bit_bzimage)
{
	size_t len;
	uint8_t *b = make_bzimage(4096, &len);
	char msg[256] = "";
	CU_ASSERT_EQUAL(x86_bzimage_check(b, len, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(x86_bzimage_setup_size(b), 5 * 512);
	b[0x1f1] = 0; /* 0 means 4 */
	CU_ASSERT_EQUAL(x86_bzimage_setup_size(b), 5 * 512);
	free(b);
}

UNIT_TEST(x86_boot, header_check_rejects_bad_magic_old_versions_and_32bit)
{
	size_t len;
	uint8_t *b = make_bzimage(4096, &len);
	char msg[256] = "";
	b[0x202] = 'X';
	CU_ASSERT_EQUAL(x86_bzimage_check(b, len, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "HdrS"));
	b[0x202] = 'H';
	b[0x206] = 0x0b; /* 2.11 */
	CU_ASSERT_EQUAL(x86_bzimage_check(b, len, msg, sizeof(msg)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "2.12"));
	b[0x206] = 0x0f;
	b[0x236] = 0;
	CU_ASSERT_EQUAL(x86_bzimage_check(b, len, msg, sizeof(msg)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "64-bit"));
	b[0x236] = 3;
	b[0x211] = 0;
	CU_ASSERT_EQUAL(x86_bzimage_check(b, len, msg, sizeof(msg)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "zImage"));
	b[0x211] = 1;
	CU_ASSERT_EQUAL(x86_bzimage_check(b, 5 * 512, msg, sizeof(msg)), -EINVAL); /* no kernel */
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "truncated"));
	CU_ASSERT_EQUAL(x86_bzimage_check(b, 0x100, msg, sizeof(msg)), -EINVAL);
	free(b);
}

UNIT_TEST(x86_boot, kernel_needs_init_size_from_its_runtime_start)
{
	size_t len;
	uint8_t *b = make_bzimage(4096, &len);
	CU_ASSERT_EQUAL(x86_bzimage_runtime_end(b, MiB), MiB + 4 * MiB);
	b[0x232] = 0x20;                    /* kernel_alignment 2 MiB */
	CU_ASSERT_EQUAL(x86_bzimage_runtime_end(b, MiB), 2 * MiB + 4 * MiB);
	b[0x25a] = 0x00, b[0x25b] = 0x01;   /* pref_address 16 MiB (LOAD_PHYSICAL_ADDR) */
	CU_ASSERT_EQUAL(x86_bzimage_runtime_end(b, MiB), 16 * MiB + 4 * MiB);
	CU_ASSERT_EQUAL(x86_bzimage_runtime_end(b, 33 * MiB), 34 * MiB + 4 * MiB);
	b[0x234] = 0;                       /* not relocatable: always pref_address */
	CU_ASSERT_EQUAL(x86_bzimage_runtime_end(b, MiB), 16 * MiB + 4 * MiB);

	/* 18 MiB of RAM cannot hold a kernel that runs at 16 MiB with 4 MiB of init_size. */
	struct guest_mem m = { 0 };
	struct boot_state bs = { 0 };
	char msg[256] = "";
	struct x86_boot_args a = { .kernel = b, .kernel_len = len, .cmdline = "" };
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 18 * MiB), 0);
	CU_ASSERT_EQUAL(x86_bzimage_load(&m, &a, &bs, msg, sizeof(msg)), -ENOMEM);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "20 MiB"));
	gmem_free(&m);
	free(b);
}

UNIT_TEST(x86_boot, bzimage_load_builds_the_zero_page)
{
	struct guest_mem m = { 0 };
	struct boot_state bs = { 0 };
	size_t len;
	uint8_t *b = make_bzimage(8192, &len), initrd[5000];
	char msg[256] = "";
	memset(initrd, 0xab, sizeof(initrd));
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 64 * MiB), 0);
	struct x86_boot_args a = { .kernel = b, .kernel_len = len, .initrd = initrd,
				   .initrd_len = sizeof(initrd), .cmdline = "console=ttyS0 quiet" };
	CU_ASSERT_EQUAL_FATAL(x86_bzimage_load(&m, &a, &bs, msg, sizeof(msg)), 0);

	CU_ASSERT_EQUAL(bs.x86_mode, BOOT_X86_64BIT);
	CU_ASSERT_EQUAL(bs.entry, X86_KERNEL_ADDR + 0x200);
	CU_ASSERT_EQUAL(bs.rsi, X86_ZERO_PAGE_ADDR);
	CU_ASSERT_EQUAL(bs.pml4_base, X86_PML4_ADDR);
	CU_ASSERT_EQUAL(memcmp(gmem_ptr(&m, X86_KERNEL_ADDR, 8192), b + 5 * 512, 8192), 0);

	const uint8_t *zp = gmem_ptr(&m, X86_ZERO_PAGE_ADDR, 4096);
	CU_ASSERT_EQUAL(memcmp(zp + 0x202, "HdrS", 4), 0);      /* header copied */
	CU_ASSERT_EQUAL(zp[0x210], 0xff);                        /* type_of_loader */
	CU_ASSERT_EQUAL(le32(zp + 0x228), X86_CMDLINE_ADDR);     /* cmd_line_ptr */
	CU_ASSERT_STRING_EQUAL((const char *)gmem_ptr(&m, X86_CMDLINE_ADDR, 20), "console=ttyS0 quiet");
	uint32_t rd = le32(zp + 0x218);
	CU_ASSERT_EQUAL(le32(zp + 0x21c), sizeof(initrd));
	CU_ASSERT_EQUAL(rd % 4096, 0);
	CU_ASSERT(rd >= X86_KERNEL_ADDR + 4 * MiB && rd + sizeof(initrd) <= 64 * MiB);
	CU_ASSERT_EQUAL(memcmp(gmem_ptr(&m, rd, sizeof(initrd)), initrd, sizeof(initrd)), 0);
	CU_ASSERT_EQUAL(zp[0x1e8], 4);                           /* e820_entries */
	struct e820_entry last;
	memcpy(&last, zp + 0x2d0 + 3 * 20, 20);
	CU_ASSERT(last.addr == MiB && last.size == 63 * MiB && last.type == E820_RAM);

	/* Identity map: PML4[0] -> PDPT, PD entry for 2 MiB maps 2 MiB. */
	const uint64_t *pml4 = gmem_ptr(&m, X86_PML4_ADDR, 6 * 4096);
	CU_ASSERT_EQUAL(pml4[0] & ~0xfffULL, X86_PML4_ADDR + 0x1000);
	CU_ASSERT_EQUAL(pml4[1024 + 1], (2 * MiB) | 0x83);
	gmem_free(&m);
	free(b);
}

UNIT_TEST(x86_boot, bzimage_load_rejects_long_cmdline_and_small_ram)
{
	struct guest_mem m = { 0 };
	struct boot_state bs = { 0 };
	size_t len;
	uint8_t *b = make_bzimage(8192, &len);
	char msg[256] = "", *cmd = malloc(3000);
	memset(cmd, 'x', 2999);
	cmd[2999] = 0;
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 64 * MiB), 0);
	struct x86_boot_args a = { .kernel = b, .kernel_len = len, .cmdline = cmd };
	CU_ASSERT_EQUAL(x86_bzimage_load(&m, &a, &bs, msg, sizeof(msg)), -E2BIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "2047"));
	gmem_free(&m);

	/* init_size of 4 MiB from 1 MiB does not fit in 4 MiB of RAM. */
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 4 * MiB), 0);
	a.cmdline = "console=ttyS0";
	CU_ASSERT_EQUAL(x86_bzimage_load(&m, &a, &bs, msg, sizeof(msg)), -ENOMEM);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--mem"));
	gmem_free(&m);
	free(cmd);
	free(b);
}

/* ---- synthetic ELF files ---- */

struct elf_spec {
	bool is32;
	uint16_t machine;
	int note_desc;     /* 0: no PVH note, else 4 or 8 bytes */
	uint64_t entry;    /* PVH entry */
	uint64_t paddr;    /* the one PT_LOAD */
	uint64_t filesz, memsz;
};

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ELF header, two program headers (PT_LOAD, PT_NOTE), the note, then the segment's bytes. */
static uint8_t *make_elf(const struct elf_spec *s, size_t *len)
{
	size_t ehsz = s->is32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
	size_t phsz = s->is32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
	size_t note_off = ehsz + 2 * phsz, note_len = s->note_desc ? 12 + 4 + (size_t)s->note_desc : 0;
	size_t data_off = (note_off + note_len + 15) & ~15ul;
	*len = data_off + s->filesz;
	uint8_t *b = calloc(1, *len);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = s->is32 ? ELFCLASS32 : ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	if (s->is32) {
		Elf32_Ehdr *e = (Elf32_Ehdr *)b;
		e->e_type = ET_EXEC, e->e_machine = s->machine, e->e_version = EV_CURRENT;
		e->e_phoff = (Elf32_Off)ehsz, e->e_ehsize = (uint16_t)ehsz, e->e_phentsize = (uint16_t)phsz;
		e->e_phnum = s->note_desc ? 2 : 1;
		Elf32_Phdr *p = (Elf32_Phdr *)(b + ehsz);
		p[0] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = (Elf32_Off)data_off,
				     .p_paddr = (Elf32_Addr)s->paddr, .p_vaddr = (Elf32_Addr)s->paddr,
				     .p_filesz = (uint32_t)s->filesz, .p_memsz = (uint32_t)s->memsz };
		p[1] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = (Elf32_Off)note_off,
				     .p_filesz = (uint32_t)note_len, .p_align = 4 };
	} else {
		Elf64_Ehdr *e = (Elf64_Ehdr *)b;
		e->e_type = ET_EXEC, e->e_machine = s->machine, e->e_version = EV_CURRENT;
		e->e_phoff = ehsz, e->e_ehsize = (uint16_t)ehsz, e->e_phentsize = (uint16_t)phsz;
		e->e_phnum = s->note_desc ? 2 : 1;
		Elf64_Phdr *p = (Elf64_Phdr *)(b + ehsz);
		p[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = data_off, .p_paddr = s->paddr,
				     .p_vaddr = s->paddr, .p_filesz = s->filesz, .p_memsz = s->memsz };
		p[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = note_off, .p_filesz = note_len, .p_align = 4 };
	}
	if (s->note_desc) {
		uint8_t *n = b + note_off;
		put(n, 4, 4), put(n + 4, (uint64_t)s->note_desc, 4), put(n + 8, 18, 4);
		memcpy(n + 12, "Xen", 4);
		put(n + 16, s->entry, s->note_desc);
	}
	for (size_t i = 0; i < s->filesz; i++)
		b[data_off + i] = (uint8_t)(0x90 + i);
	return b;
}

UNIT_TEST(x86_boot, pvh_note_parser_reads_64_and_32bit_notes)
{
	struct elf_spec s = { .machine = EM_X86_64, .note_desc = 8, .entry = 0x1000123,
			      .paddr = MiB, .filesz = 64, .memsz = 64 };
	size_t len;
	uint64_t entry = 0;
	char msg[256] = "";
	uint8_t *b = make_elf(&s, &len);
	CU_ASSERT_EQUAL(x86_pvh_find_entry(b, len, &entry, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(entry, 0x1000123);
	free(b);
	s = (struct elf_spec){ .is32 = true, .machine = EM_386, .note_desc = 4, .entry = 0x100040,
			       .paddr = MiB, .filesz = 64, .memsz = 64 };
	b = make_elf(&s, &len);
	CU_ASSERT_EQUAL(x86_pvh_find_entry(b, len, &entry, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(entry, 0x100040);
	free(b);
}

UNIT_TEST(x86_boot, pvh_note_parser_names_missing_note_and_foreign_machine)
{
	struct elf_spec s = { .machine = EM_X86_64, .paddr = MiB, .filesz = 64, .memsz = 64 };
	size_t len;
	uint64_t entry;
	char msg[256] = "";
	uint8_t *b = make_elf(&s, &len);
	CU_ASSERT_EQUAL(x86_pvh_find_entry(b, len, &entry, msg, sizeof(msg)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "CONFIG_PVH"));
	free(b);
	s.machine = EM_AARCH64;
	s.note_desc = 8;
	b = make_elf(&s, &len);
	CU_ASSERT_EQUAL(x86_pvh_find_entry(b, len, &entry, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--arch aarch64"));
	free(b);
	s.machine = EM_RISCV;
	b = make_elf(&s, &len);
	CU_ASSERT_EQUAL(x86_pvh_find_entry(b, len, &entry, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not x86"));
	free(b);
}

UNIT_TEST(x86_boot, pvh_load_places_segments_start_info_and_initrd)
{
	struct guest_mem m = { 0 };
	struct boot_state bs = { 0 };
	struct elf_spec s = { .is32 = true, .machine = EM_386, .note_desc = 4, .entry = MiB + 16,
			      .paddr = MiB, .filesz = 100, .memsz = 4096 };
	size_t len;
	uint8_t *b = make_elf(&s, &len), initrd[3000];
	char msg[256] = "";
	memset(initrd, 0x5a, sizeof(initrd));
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 32 * MiB), 0);
	memset(gmem_ptr(&m, MiB, 4096), 0xee, 4096); /* bss must come back zeroed */
	struct x86_boot_args a = { .kernel = b, .kernel_len = len, .initrd = initrd,
				   .initrd_len = sizeof(initrd), .cmdline = "hello" };
	CU_ASSERT_EQUAL_FATAL(x86_pvh_load(&m, &a, &bs, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(bs.x86_mode, BOOT_X86_PVH32);
	CU_ASSERT_EQUAL(bs.entry, MiB + 16);
	CU_ASSERT_EQUAL(bs.rbx, X86_START_INFO_ADDR);
	const uint8_t *seg = gmem_ptr(&m, MiB, 4096);
	CU_ASSERT(seg[0] == 0x90 && seg[99] == (uint8_t)(0x90 + 99) && seg[100] == 0 && seg[4095] == 0);

	const uint8_t *si = gmem_ptr(&m, X86_START_INFO_ADDR, 56);
	CU_ASSERT_EQUAL(le32(si), 0x336ec578);                    /* magic */
	CU_ASSERT_EQUAL(le32(si + 4), 1);                         /* version */
	CU_ASSERT_EQUAL(le32(si + 12), 1);                        /* nr_modules */
	uint64_t modlist, cmdline, memmap;
	memcpy(&modlist, si + 16, 8), memcpy(&cmdline, si + 24, 8), memcpy(&memmap, si + 40, 8);
	CU_ASSERT_STRING_EQUAL((const char *)gmem_ptr(&m, cmdline, 6), "hello");
	CU_ASSERT_EQUAL(le32(si + 48), 4);                        /* memmap_entries */
	uint64_t mod[2];
	CU_ASSERT_FATAL(gmem_read(&m, modlist, mod, sizeof(mod)));
	CU_ASSERT_EQUAL(mod[1], sizeof(initrd));
	CU_ASSERT(mod[0] >= MiB + 4096 && mod[0] % 4096 == 0);
	CU_ASSERT_EQUAL(memcmp(gmem_ptr(&m, mod[0], sizeof(initrd)), initrd, sizeof(initrd)), 0);
	uint64_t e3[3];
	CU_ASSERT_FATAL(gmem_read(&m, memmap + 3 * 24, e3, sizeof(e3)));
	CU_ASSERT(e3[0] == MiB && e3[1] == 31 * MiB && (uint32_t)e3[2] == E820_RAM);
	gmem_free(&m);
	free(b);
}

UNIT_TEST(x86_boot, pvh_load_rejects_segments_outside_ram_or_over_boot_data)
{
	struct guest_mem m = { 0 };
	struct boot_state bs = { 0 };
	struct elf_spec s = { .machine = EM_X86_64, .note_desc = 8, .entry = 64 * MiB,
			      .paddr = 64 * MiB, .filesz = 16, .memsz = 16 };
	size_t len;
	char msg[256] = "";
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 32 * MiB), 0);
	uint8_t *b = make_elf(&s, &len);
	struct x86_boot_args a = { .kernel = b, .kernel_len = len, .cmdline = "" };
	CU_ASSERT_EQUAL(x86_pvh_load(&m, &a, &bs, msg, sizeof(msg)), -ENOMEM);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "outside guest RAM"));
	free(b);
	s.paddr = s.entry = 0x7000;
	b = make_elf(&s, &len);
	a.kernel = b, a.kernel_len = len;
	CU_ASSERT_EQUAL(x86_pvh_load(&m, &a, &bs, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "boot data"));
	free(b);
	/* A segment whose file bytes run past the end of the file. */
	s.paddr = s.entry = MiB;
	s.filesz = s.memsz = 64;
	b = make_elf(&s, &len);
	a.kernel = b, a.kernel_len = len - 10;
	CU_ASSERT_EQUAL(x86_pvh_load(&m, &a, &bs, msg, sizeof(msg)), -EINVAL);
	free(b);
	gmem_free(&m);
}

UNIT_TEST(x86_boot, image_detector_names_what_the_file_is)
{
	char msg[256] = "";
	size_t len;
	uint8_t *bz = make_bzimage(4096, &len);
	CU_ASSERT_EQUAL(x86_image_detect(bz, len, msg, sizeof(msg)), X86_IMAGE_BZIMAGE);
	bz[0x206] = 0x02; /* protocol 2.02: detected as bzImage, rejected as too old */
	CU_ASSERT_EQUAL(x86_image_detect(bz, len, msg, sizeof(msg)), X86_IMAGE_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "too old"));
	free(bz);

	struct elf_spec s = { .machine = EM_X86_64, .note_desc = 8, .entry = MiB, .paddr = MiB,
			      .filesz = 16, .memsz = 16 };
	uint8_t *elf = make_elf(&s, &len);
	CU_ASSERT_EQUAL(x86_image_detect(elf, len, msg, sizeof(msg)), X86_IMAGE_PVH_ELF);
	free(elf);

	uint8_t arm[128] = { 0 };
	memcpy(arm + 0x38, "ARM\x64", 4);
	CU_ASSERT_EQUAL(x86_image_detect(arm, sizeof(arm), msg, sizeof(msg)), X86_IMAGE_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "arm64 Image: use --arch aarch64"));

	static const struct { const char *bytes; size_t n; const char *says; } cases[] = {
		{ "\x1f\x8b\x08\x00", 4, "gzip" },
		{ "\xfd" "7zXZ\0\0", 7, "xz" },
		{ "070701000000", 12, "--initrd" },
		{ "\x28\xb5\x2f\xfd\0", 5, "zstd" },
		{ "\x12\x34\x56\x78\x9a", 5, "neither a bzImage nor an ELF" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(x86_image_detect((const uint8_t *)cases[i].bytes, cases[i].n, msg, sizeof(msg)),
				X86_IMAGE_INVALID);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, cases[i].says));
	}
	CU_ASSERT_EQUAL(x86_image_detect((const uint8_t *)"", 0, msg, sizeof(msg)), X86_IMAGE_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "empty"));
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

UNIT_TEST(x86_boot, mptable_lists_every_cpu_and_ioapic_pin)
{
	struct guest_mem m = { 0 };
	CU_ASSERT_EQUAL_FATAL(gmem_add(&m, 0, 2 * MiB), 0);
	CU_ASSERT_EQUAL_FATAL(mptable_write(&m, 4), 0);
	const uint8_t *f = gmem_ptr(&m, X86_MPFP_ADDR, 16);
	CU_ASSERT_EQUAL(memcmp(f, "_MP_", 4), 0);
	CU_ASSERT_EQUAL(sum8(f, 16), 0);
	CU_ASSERT_EQUAL(f[9], 4); /* spec 1.4 */
	uint32_t t_addr = le32(f + 4);
	const uint8_t *t = gmem_ptr(&m, t_addr, 44);
	CU_ASSERT_EQUAL_FATAL(memcmp(t, "PCMP", 4), 0);
	uint16_t tlen = le16(t + 4), count = le16(t + 34);
	CU_ASSERT_EQUAL(sum8(gmem_ptr(&m, t_addr, tlen), tlen), 0);
	CU_ASSERT_EQUAL(le32(t + 36), X86_LAPIC_ADDR);
	CU_ASSERT_EQUAL(count, 4 + 1 + 1 + 24 + 2);
	const uint8_t *p = t + 44;
	int cpus = 0, bsp = 0, ints = 0, ioapic = 0, level = 0;
	for (int i = 0; i < count; i++) {
		switch (p[0]) {
		case 0: cpus++, bsp += (p[3] & 2) != 0, p += 20; break;
		case 2: ioapic += le32(p + 4) == X86_IOAPIC_ADDR, p += 8; break;
		case 3: ints++, level += p[7] >= 16 && (le16(p + 2) & 0xc) == 0xc, p += 8; break;
		default: p += 8; break;
		}
	}
	CU_ASSERT_EQUAL(cpus, 4);
	CU_ASSERT_EQUAL(bsp, 1);
	CU_ASSERT_EQUAL(ioapic, 1);
	CU_ASSERT_EQUAL(ints, 24);
	CU_ASSERT_EQUAL(level, 8); /* pins 16..23: level-triggered */
	CU_ASSERT_EQUAL(mptable_write(&m, MAX_CPUS + 1), -EINVAL);
	CU_ASSERT_EQUAL(mptable_write(&m, MAX_CPUS), 0);
	gmem_free(&m);
}
