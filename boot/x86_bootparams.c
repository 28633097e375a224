/*
 * The Linux x86 boot protocol pieces both loaders share: the e820 map, initrd placement, and the
 * setup header / zero page (Documentation/x86/boot.rst, "The real-mode kernel header" and
 * "64-bit boot protocol"; struct boot_params in arch/x86/include/uapi/asm/bootparam.h).
 */
#include "boot/boot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/util.h"

/* struct boot_params offsets; the setup header (hdr) starts at 0x1f1. */
enum {
	BP_EXT_RAMDISK_IMAGE = 0x0c0,
	BP_EXT_RAMDISK_SIZE = 0x0c4,
	BP_EXT_CMD_LINE_PTR = 0x0c8,
	BP_E820_ENTRIES = 0x1e8,
	BP_SETUP_SECTS = 0x1f1,
	BP_VID_MODE = 0x1fa,
	BP_BOOT_FLAG = 0x1fe,
	BP_JUMP = 0x200,
	BP_HEADER = 0x202,
	BP_VERSION = 0x206,
	BP_TYPE_OF_LOADER = 0x210,
	BP_LOADFLAGS = 0x211,
	BP_RAMDISK_IMAGE = 0x218,
	BP_RAMDISK_SIZE = 0x21c,
	BP_CMD_LINE_PTR = 0x228,
	BP_INITRD_ADDR_MAX = 0x22c,
	BP_KERNEL_ALIGNMENT = 0x230,
	BP_RELOCATABLE = 0x234,
	BP_XLOADFLAGS = 0x236,
	BP_CMDLINE_SIZE = 0x238,
	BP_PREF_ADDRESS = 0x258,
	BP_INIT_SIZE = 0x260,
	BP_HDR_MIN_END = 0x268, /* end of the 2.11/2.12 header (handover_offset) */
	BP_HDR_MAX_END = 0x290, /* struct setup_header ends before _pad8 */
	BP_E820_TABLE = 0x2d0,
	BP_SIZE = 4096,
};

#define LOADED_HIGH   0x01
#define XLF_KERNEL_64 0x01

static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

int boot_msg(char *msg, size_t msglen, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (msg && msglen)
		vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return err;
}

static int e820_add(struct e820_entry *out, int n, int max, uint64_t addr, uint64_t size, uint32_t type)
{
	if (n < 0 || size == 0)
		return n;
	if (n >= max)
		return -ENOSPC;
	out[n] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
	return n + 1;
}

/*
 * The region at 0 is split: RAM up to the EBDA (the MP table lives there), the EBDA/VGA/BIOS area
 * reserved, RAM again from 1 MiB. Other regions (from 4 GiB) are RAM as a whole. Returns the count.
 */
int x86_e820_build(const struct guest_mem *mem, struct e820_entry *out, int max)
{
	int n = 0;
	for (int i = 0; i < mem->nr; i++) {
		const struct gmem_region *r = &mem->r[i];
		uint64_t end = r->gpa + r->size;
		if (r->gpa == 0 && end > X86_KERNEL_ADDR) {
			n = e820_add(out, n, max, 0, X86_EBDA_ADDR, E820_RAM);
			n = e820_add(out, n, max, X86_EBDA_ADDR, 0xa0000 - X86_EBDA_ADDR, E820_RESERVED);
			n = e820_add(out, n, max, 0xf0000, 0x10000, E820_RESERVED);
			n = e820_add(out, n, max, X86_KERNEL_ADDR, end - X86_KERNEL_ADDR, E820_RAM);
		} else {
			n = e820_add(out, n, max, r->gpa, r->size, E820_RAM);
		}
	}
	return n;
}

int x86_initrd_place(const struct guest_mem *mem, uint64_t size, uint64_t min_addr, uint64_t max_addr,
		     uint64_t *addr)
{
	bool found = false;
	uint64_t best = 0;
	if (size == 0)
		return -EINVAL;
	for (int i = 0; i < mem->nr; i++) {
		const struct gmem_region *r = &mem->r[i];
		uint64_t last = r->gpa + r->size - 1;
		if (last > max_addr)
			last = max_addr;
		if (last < r->gpa || last - r->gpa + 1 < size)
			continue;
		uint64_t a = ALIGN_DOWN(last + 1 - size, 4096);
		if (a < r->gpa || a < min_addr)
			continue;
		if (!found || a > best) {
			best = a;
			found = true;
		}
	}
	if (!found)
		return -ENOSPC;
	*addr = best;
	return 0;
}

int x86_bzimage_check(const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	if (len < BP_HDR_MIN_END)
		return boot_msg(msg, msglen, -EINVAL, "file too short for a bzImage (%zu bytes)", len);
	if (get_le16(buf + BP_BOOT_FLAG) != 0xaa55 || memcmp(buf + BP_HEADER, "HdrS", 4))
		return boot_msg(msg, msglen, -EINVAL,
				"no Linux boot header (\"HdrS\" at 0x202 and 0xAA55 at 0x1fe)");
	uint16_t version = get_le16(buf + BP_VERSION);
	if (version < 0x020c)
		return boot_msg(msg, msglen, -ENOTSUP,
				"boot protocol %u.%02u is too old: the 64-bit entry needs 2.12 (Linux 3.8 or later)",
				version >> 8, version & 0xff);
	size_t hdr_end = 0x202 + buf[BP_JUMP + 1];
	if (hdr_end < BP_HDR_MIN_END || hdr_end > len)
		return boot_msg(msg, msglen, -EINVAL, "bzImage setup header length (to 0x%zx) is inconsistent",
				hdr_end);
	if (!(buf[BP_LOADFLAGS] & LOADED_HIGH))
		return boot_msg(msg, msglen, -ENOTSUP,
				"this is a zImage (loaded low at 0x10000): only bzImage kernels are supported");
	if (!(get_le16(buf + BP_XLOADFLAGS) & XLF_KERNEL_64))
		return boot_msg(msg, msglen, -ENOTSUP,
				"this bzImage has no 64-bit entry point (a 32-bit kernel?): build an x86_64 kernel");
	if (x86_bzimage_setup_size(buf) >= len)
		return boot_msg(msg, msglen, -EINVAL,
				"truncated bzImage: %zu bytes, but the real-mode setup alone is %zu", len,
				x86_bzimage_setup_size(buf));
	return 0;
}

/* "The real-mode code is (setup_sects+1)*512 bytes; setup_sects 0 means 4." */
size_t x86_bzimage_setup_size(const uint8_t *image)
{
	unsigned sects = image[BP_SETUP_SECTS] ? image[BP_SETUP_SECTS] : 4;
	return (sects + 1) * 512;
}

uint32_t x86_bzimage_initrd_max(const uint8_t *image)
{
	return get_le32(image + BP_INITRD_ADDR_MAX);
}

uint32_t x86_bzimage_cmdline_max(const uint8_t *image)
{
	return get_le32(image + BP_CMDLINE_SIZE);
}

/*
 * boot.rst "init_size": the kernel needs init_size bytes from its runtime start, which is the load
 * address aligned up to kernel_alignment if relocatable, else pref_address; the decompressor
 * (compressed/head_64.S) also never runs below LOAD_PHYSICAL_ADDR, which pref_address holds.
 */
uint64_t x86_bzimage_runtime_end(const uint8_t *image, uint64_t load_addr)
{
	uint64_t pref = get_le32(image + BP_PREF_ADDRESS) |
			(uint64_t)get_le32(image + BP_PREF_ADDRESS + 4) << 32;
	uint64_t align = get_le32(image + BP_KERNEL_ALIGNMENT), start = pref;
	if (image[BP_RELOCATABLE]) {
		start = (align & (align - 1)) == 0 && align ? ALIGN_UP(load_addr, align) : load_addr;
		start = MAX(start, pref);
	}
	if (start < load_addr)
		start = load_addr;
	return start + get_le32(image + BP_INIT_SIZE);
}

int x86_zero_page_write(struct guest_mem *mem, const uint8_t *image, uint64_t cmdline_addr,
			uint64_t initrd_addr, uint64_t initrd_size)
{
	uint8_t *bp = gmem_ptr(mem, X86_ZERO_PAGE_ADDR, BP_SIZE);
	struct e820_entry e820[E820_MAX];
	if (!bp)
		return -ENOMEM;
	int n = x86_e820_build(mem, e820, E820_MAX);
	if (n < 0)
		return n;

	memset(bp, 0, BP_SIZE);
	/* Copy the image's setup header as is; the kernel reads its own fields back from here. */
	size_t hdr_end = MIN((size_t)(0x202 + image[BP_JUMP + 1]), (size_t)BP_HDR_MAX_END);
	memcpy(bp + BP_SETUP_SECTS, image + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);

	put_le16(bp + BP_VID_MODE, 0xffff); /* "normal" */
	bp[BP_TYPE_OF_LOADER] = 0xff;       /* undefined loader id */
	put_le32(bp + BP_CMD_LINE_PTR, (uint32_t)cmdline_addr);
	put_le32(bp + BP_EXT_CMD_LINE_PTR, (uint32_t)(cmdline_addr >> 32));
	put_le32(bp + BP_RAMDISK_IMAGE, (uint32_t)initrd_addr);
	put_le32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_addr >> 32));
	put_le32(bp + BP_RAMDISK_SIZE, (uint32_t)initrd_size);
	put_le32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_size >> 32));

	bp[BP_E820_ENTRIES] = (uint8_t)n;
	/* 128 entries of 20 bytes end at 0xcd0, inside the 4 KiB page. */
	memcpy(bp + BP_E820_TABLE, e820, (size_t)n * sizeof(e820[0]));
	return 0;
}
