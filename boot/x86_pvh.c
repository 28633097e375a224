/*
 * PVH loader for ELF kernels (vmlinux with CONFIG_PVH, bare-metal test guests): the entry point is
 * the XEN_ELFNOTE_PHYS32_ENTRY note, PT_LOAD segments go to their physical addresses, and the
 * boot CPU starts in 32-bit flat protected mode, paging off, with ebx = struct hvm_start_info
 * (Xen's public/arch-x86/hvm/start_info.h, version 1 with a memory map).
 */
#include "boot/boot.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "vmm/util.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define MEMMAP_ADDR  (X86_START_INFO_ADDR + 0x40)
#define MODLIST_ADDR (X86_START_INFO_ADDR + 0xe00)
_Static_assert(0x40 + E820_MAX * sizeof(struct hvm_memmap_entry) <= 0xe00, "memmap overlaps modlist");

static Elf *elf_open(const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	elf_version(EV_CURRENT);
	/* libelf only reads a native-endian image opened with ELF_C_READ; the cast is safe. */
	Elf *e = elf_memory((char *)buf, len);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		boot_msg(msg, msglen, -EINVAL, "not a valid ELF file: %s", elf_errmsg(-1));
		if (e)
			elf_end(e);
		return NULL;
	}
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh)) {
		boot_msg(msg, msglen, -EINVAL, "broken ELF header: %s", elf_errmsg(-1));
		elf_end(e);
		return NULL;
	}
	if (eh.e_machine != EM_X86_64 && eh.e_machine != EM_386) {
		boot_msg(msg, msglen, -EINVAL, eh.e_machine == EM_AARCH64
				? "this is an arm64 ELF kernel: use --arch aarch64"
				: "ELF for machine %u, not x86: minivmm's x86 board needs an x86_64 or i386 ELF",
			 eh.e_machine);
		elf_end(e);
		return NULL;
	}
	return e;
}

/* Walk one note area for the PVH entry note. 1 found, 0 not here, -EINVAL malformed. */
static int note_scan(Elf_Data *d, uint64_t *entry)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off, next;
	while (off < d->d_size && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)d->d_buf + name_off;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 && !memcmp(name, "Xen", 4)) {
			const uint8_t *p = (const uint8_t *)d->d_buf + desc_off;
			uint64_t v = 0;
			/* Linux emits an 8-byte value (_ASM_PTR), 32-bit guests a 4-byte one. */
			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return -EINVAL;
			for (unsigned i = nh.n_descsz; i-- > 0;)
				v = v << 8 | p[i];
			if (v > 0xffffffffULL)
				return -EINVAL;
			*entry = v;
			return 1;
		}
		off = next;
	}
	return 0;
}

static int pvh_entry(Elf *e, size_t len, uint64_t *entry)
{
	size_t phnum;
	if (elf_getphdrnum(e, &phnum) < 0)
		return -EINVAL;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return -ENODATA;
		Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		int r = d ? note_scan(d, entry) : -EINVAL;
		if (r)
			return r < 0 ? r : 0;
	}
	/* Linkers sometimes leave notes out of PT_NOTE; look at SHT_NOTE sections too. */
	for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(s, NULL);
		int r = d ? note_scan(d, entry) : -EINVAL;
		if (r)
			return r < 0 ? r : 0;
	}
	return -ENOENT;
}

int x86_pvh_find_entry(const uint8_t *buf, size_t len, uint64_t *entry, char *msg, size_t msglen)
{
	Elf *e = elf_open(buf, len, msg, msglen);
	if (!e)
		return -EINVAL;
	int r = pvh_entry(e, len, entry);
	elf_end(e);
	if (r == -ENOENT)
		return boot_msg(msg, msglen, r,
				"x86 ELF without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): build the kernel "
				"with CONFIG_PVH=y, or boot its bzImage");
	if (r == -ENODATA)
		return boot_msg(msg, msglen, -EINVAL, "truncated ELF file: its notes lie past the end of "
				"the file's %zu bytes", len);
	if (r < 0)
		return boot_msg(msg, msglen, r, "malformed ELF notes (PVH entry note unreadable)");
	return 0;
}

/* GDT, start_info, command line, EBDA (MP table) and the BIOS area are ours. */
static bool overlaps_boot_data(uint64_t addr, uint64_t size)
{
	static const uint64_t busy[][2] = {
		{ X86_GDT_ADDR, X86_CMDLINE_ADDR + X86_CMDLINE_MAX },
		{ X86_EBDA_ADDR, X86_KERNEL_ADDR },
	};
	for (size_t i = 0; i < ARRAY_SIZE(busy); i++)
		if (addr < busy[i][1] && busy[i][0] < addr + size)
			return true;
	return false;
}

/* PT_LOAD segments at p_paddr, bss zeroed; returns the highest end address in *end. */
static int segments_load(Elf *e, struct guest_mem *mem, const uint8_t *buf, size_t len, uint64_t *end,
			 char *msg, size_t msglen)
{
	size_t phnum, loaded = 0;
	*end = 0;
	if (elf_getphdrnum(e, &phnum) < 0)
		return boot_msg(msg, msglen, -EINVAL, "broken ELF program headers");
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			return boot_msg(msg, msglen, -EINVAL, "broken ELF program header %zu", i);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return boot_msg(msg, msglen, -EINVAL,
					"ELF segment %zu lies outside the file (truncated kernel?)", i);
		if (overlaps_boot_data(ph.p_paddr, ph.p_memsz))
			return boot_msg(msg, msglen, -EINVAL,
					"ELF segment %zu at 0x%llx (+0x%llx) overlaps the boot data minivmm places "
					"below 1 MiB: link the guest at 1 MiB or above", i,
					(unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
		uint8_t *dst = gmem_ptr(mem, ph.p_paddr, ph.p_memsz);
		if (!dst)
			return boot_msg(msg, msglen, -ENOMEM,
					"ELF segment %zu at 0x%llx (+0x%llx) is outside guest RAM: raise --mem", i,
					(unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
		memcpy(dst, buf + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		*end = MAX(*end, ph.p_paddr + ph.p_memsz);
		loaded++;
	}
	if (!loaded)
		return boot_msg(msg, msglen, -EINVAL, "ELF file has no loadable segment");
	return 0;
}

static int start_info_write(struct guest_mem *mem, const struct x86_boot_args *a, uint64_t initrd_addr)
{
	struct e820_entry e820[E820_MAX];
	struct hvm_memmap_entry map[E820_MAX];
	int n = x86_e820_build(mem, e820, E820_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		map[i] = (struct hvm_memmap_entry){ .addr = e820[i].addr, .size = e820[i].size,
						    .type = e820[i].type };
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = X86_CMDLINE_ADDR,
		.memmap_paddr = MEMMAP_ADDR,
		.memmap_entries = (uint32_t)n,
	};
	if (a->initrd && a->initrd_len) {
		struct hvm_modlist_entry mod = { .paddr = initrd_addr, .size = a->initrd_len };
		si.nr_modules = 1;
		si.modlist_paddr = MODLIST_ADDR;
		if (!gmem_write(mem, MODLIST_ADDR, &mod, sizeof(mod)))
			return -ENOMEM;
	}
	if (!gmem_write(mem, MEMMAP_ADDR, map, (size_t)n * sizeof(map[0])) ||
	    !gmem_write(mem, X86_START_INFO_ADDR, &si, sizeof(si)))
		return -ENOMEM;
	return 0;
}

int x86_pvh_load(struct guest_mem *mem, const struct x86_boot_args *a, struct boot_state *bs,
		 char *msg, size_t msglen)
{
	uint64_t entry = 0, end = 0, initrd_addr = 0;
	int r = x86_pvh_find_entry(a->kernel, a->kernel_len, &entry, msg, msglen);
	if (r < 0)
		return r;
	Elf *e = elf_open(a->kernel, a->kernel_len, msg, msglen);
	if (!e)
		return -EINVAL;
	r = segments_load(e, mem, a->kernel, a->kernel_len, &end, msg, msglen);
	elf_end(e);
	if (r < 0)
		return r;
	if (!gmem_ptr(mem, entry, 1))
		return boot_msg(msg, msglen, -EINVAL, "PVH entry 0x%llx is outside guest RAM",
				(unsigned long long)entry);

	size_t clen = strlen(a->cmdline);
	if (clen >= X86_CMDLINE_MAX || !gmem_write(mem, X86_CMDLINE_ADDR, a->cmdline, clen + 1))
		return boot_msg(msg, msglen, -E2BIG, "kernel command line too long (%zu bytes)", clen);

	if (a->initrd && a->initrd_len) {
		/* Below 4 GiB: the 32-bit entry code may read it before paging is on. */
		if (x86_initrd_place(mem, a->initrd_len, ALIGN_UP(end, 4096), 0xffffffffULL, &initrd_addr) < 0)
			return boot_msg(msg, msglen, -ENOMEM,
					"no room for the %zu KiB initrd above the kernel (ends at 0x%llx) and below "
					"4 GiB: raise --mem", a->initrd_len >> 10, (unsigned long long)end);
		gmem_write(mem, initrd_addr, a->initrd, a->initrd_len); /* placed inside RAM above */
	}
	r = start_info_write(mem, a, initrd_addr);
	if (r < 0)
		return boot_msg(msg, msglen, r, "no guest RAM for hvm_start_info");

	bs->x86_mode = BOOT_X86_PVH32;
	bs->entry = entry;
	bs->rbx = X86_START_INFO_ADDR;
	bs->rsp = 0;
	r = x86_entry_tables_write(mem, bs);
	if (r < 0)
		return boot_msg(msg, msglen, r, "no guest RAM for the boot GDT");
	return 0;
}
