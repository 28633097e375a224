/*
 * Kernel loaders: they put a kernel, its initrd and the boot data it expects into guest RAM and
 * fill struct boot_state for the engine. They never die: on a bad image they return -errno and
 * write one user-facing line into msg (the board prints it).
 *
 * x86: Linux bzImage through the 64-bit boot protocol (Documentation/x86/boot.rst) and ELF
 * kernels through the PVH entry (Xen's hvm_start_info, XEN_ELFNOTE_PHYS32_ENTRY).
 */
#ifndef MINIVMM_BOOT_H
#define MINIVMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/machine.h"
#include "vmm/mem.h"

/* ---- x86 guest physical layout of the boot data (all below 1 MiB, out of the kernel's way) ---- */
#define X86_GDT_ADDR        0x0500ULL   /* GDT: null, 0x08 code32, 0x10 code64, 0x18 data, 0x20 TSS */
#define X86_IDT_ADDR        0x0540ULL   /* empty IDT (limit 0) until the kernel loads its own */
#define X86_START_INFO_ADDR 0x6000ULL   /* PVH hvm_start_info, then its memmap and module list */
#define X86_ZERO_PAGE_ADDR  0x7000ULL   /* struct boot_params */
#define X86_BOOT_STACK      0x8ff0ULL
#define X86_PML4_ADDR       0x9000ULL   /* identity map of the low 4 GiB: PML4, PDPT, 4 PDs */
#define X86_CMDLINE_ADDR    0x20000ULL
#define X86_CMDLINE_MAX     0x10000ULL
#define X86_EBDA_ADDR       0x9f000ULL  /* reserved to 640 KiB: MP configuration table */
#define X86_MPFP_ADDR       0x9fc00ULL  /* MP floating pointer: last KiB of base memory */
#define X86_KERNEL_ADDR     0x100000ULL /* bzImage protected-mode code */
#define X86_MMIO_HOLE       0xc0000000ULL /* 3 GiB .. 4 GiB: no RAM (virtio, IOAPIC, LAPIC) */
#define X86_HIGH_RAM        0x100000000ULL

#define X86_SEL_CODE32 0x08
#define X86_SEL_CODE64 0x10
#define X86_SEL_DATA   0x18
#define X86_SEL_TSS    0x20

/* ---- image kinds ---- */
enum x86_image_kind {
	X86_IMAGE_INVALID = 0, /* msg says what the file looks like instead */
	X86_IMAGE_BZIMAGE,
	X86_IMAGE_PVH_ELF,
};

/* Classify a kernel file by its content. */
enum x86_image_kind x86_image_detect(const uint8_t *buf, size_t len, char *msg, size_t msglen);

/* ---- e820 (boot_params.e820_table and PVH memmap share it) ---- */
#define E820_RAM      1
#define E820_RESERVED 2
#define E820_MAX      128

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

/* The map for mem: base RAM to the EBDA, reserved EBDA/BIOS area, RAM from 1 MiB, RAM above 4 GiB. */
int x86_e820_build(const struct guest_mem *mem, struct e820_entry *out, int max);

/*
 * Highest 4 KiB-aligned address for size bytes of initrd inside one RAM region, with
 * addr >= min_addr and addr + size - 1 <= max_addr. 0 or -ENOSPC.
 */
int x86_initrd_place(const struct guest_mem *mem, uint64_t size, uint64_t min_addr, uint64_t max_addr,
		     uint64_t *addr);

/* What the x86 loaders are given. initrd may be NULL. */
struct x86_boot_args {
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd;
	size_t initrd_len;
	const char *cmdline;
};

/* Write one user-facing line into msg (if any) and return err; loaders end with it. */
int boot_msg(char *msg, size_t msglen, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Validate a bzImage setup header (magic, protocol >= 2.12, 64-bit entry, load high). */
int x86_bzimage_check(const uint8_t *buf, size_t len, char *msg, size_t msglen);

/*
 * The zero page (struct boot_params) at X86_ZERO_PAGE_ADDR: the image's setup header, our loader
 * fields, the command line and initrd pointers and the e820 map. Header already validated.
 */
int x86_zero_page_write(struct guest_mem *mem, const uint8_t *image, uint64_t cmdline_addr,
			uint64_t initrd_addr, uint64_t initrd_size);

/* Setup header fields the bzImage loader needs (offsets into the image and the zero page). */
uint32_t x86_bzimage_initrd_max(const uint8_t *image);
uint32_t x86_bzimage_cmdline_max(const uint8_t *image);
/* End of the memory the kernel needs while it decompresses, when loaded at load_addr. */
uint64_t x86_bzimage_runtime_end(const uint8_t *image, uint64_t load_addr);
size_t x86_bzimage_setup_size(const uint8_t *image);

/* bzImage: kernel at 1 MiB, zero page, cmdline, initrd, e820; 64-bit entry at load + 0x200. */
int x86_bzimage_load(struct guest_mem *mem, const struct x86_boot_args *a, struct boot_state *bs,
		     char *msg, size_t msglen);

/* ELF (32 or 64-bit x86): the XEN_ELFNOTE_PHYS32_ENTRY address. 0, -ENOENT (no note), -EINVAL. */
int x86_pvh_find_entry(const uint8_t *buf, size_t len, uint64_t *entry, char *msg, size_t msglen);

/* ELF with a PVH note: PT_LOAD segments at their physical addresses, hvm_start_info, modules. */
int x86_pvh_load(struct guest_mem *mem, const struct x86_boot_args *a, struct boot_state *bs,
		 char *msg, size_t msglen);

/* GDT (and, for the 64-bit entry, identity page tables) for the boot CPU; fills bs. */
int x86_entry_tables_write(struct guest_mem *mem, struct boot_state *bs);

/* Intel MP specification 1.4 tables for ncpus CPUs and one IOAPIC with 24 pins. */
#define X86_IOAPIC_ADDR 0xfec00000ULL
#define X86_LAPIC_ADDR  0xfee00000ULL
#define X86_IOAPIC_PINS 24
int mptable_write(struct guest_mem *mem, int ncpus);

/* ---- arm64: Image loader (Documentation/arch/arm64/booting.rst) and the virt board's DTB ---- */

/* What an arm64 Image header says (§4 of booting.rst). */
struct arm64_image {
	const uint8_t *data;    /* the Image (decompressed if the file was gzip'd) */
	size_t len;
	uint8_t *owned;         /* buffer to free when data was decompressed */
	uint64_t text_offset;   /* load offset from a 2 MiB-aligned base */
	uint64_t image_size;    /* bytes the kernel occupies from its load address, BSS included */
	unsigned page_kib;      /* 4, 16, 64, or 0 if the header does not say */
	bool anywhere;          /* flags bit 3: the 2 MiB base may be anywhere in RAM */
};

/*
 * Validate the header of an Image (or a gzip'd Image, inflated with zlib) in buf; on success img
 * describes it (arm64_image_free() releases a decompressed copy). -EINVAL with msg otherwise.
 */
int arm64_image_parse(const uint8_t *buf, size_t len, struct arm64_image *img, char *msg, size_t msglen);
void arm64_image_free(struct arm64_image *img);

/* The virt board's DTB (QEMU hw/arm/virt.c layout), built with libfdt's sequential-write API. */
struct arm64_fdt_virtio {
	uint64_t base;
	unsigned spi;           /* SPI number: GIC interrupt ID - 32 */
};

struct arm64_fdt_config {
	uint64_t ram_base, ram_size;
	unsigned nr_cpus;
	const char *bootargs;
	uint64_t initrd_start, initrd_end;  /* equal: no initrd */
	const struct arm64_fdt_virtio *virtio;
	unsigned nr_virtio;
	const uint8_t *rng_seed;            /* optional, rng_seed_len bytes for /chosen/rng-seed */
	size_t rng_seed_len;
};

#define ARM64_FDT_MAX (64 * 1024)

/* Write the DTB into buf (size bytes); 0 or -errno with msg. fdt_totalsize(buf) is its length. */
int arm64_fdt_build(const struct arm64_fdt_config *c, void *buf, size_t size, char *msg, size_t msglen);

#endif
