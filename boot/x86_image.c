/*
 * What is this kernel file? The x86 board boots a bzImage or a PVH ELF; anything else gets a
 * message naming what the file looks like instead, so the user knows what to pass.
 */
#include "boot/boot.h"

#include <string.h>

#include "vmm/util.h"

struct magic {
	size_t off;
	const char *bytes;
	size_t len;
	const char *what;
};

/* Files people pass by mistake, with the hint that fixes it. */
static const struct magic not_a_kernel[] = {
	{ 0x38, "ARM\x64", 4, "this is an arm64 Image: use --arch aarch64" },
	{ 0, "\x1f\x8b", 2, "this is gzip-compressed data (an initramfs? pass it with --initrd; a compressed "
			    "kernel must be unpacked first)" },
	{ 0, "\xfd" "7zXZ\0", 6, "this is xz-compressed data, not a bootable kernel" },
	{ 0, "\x28\xb5\x2f\xfd", 4, "this is zstd-compressed data, not a bootable kernel" },
	{ 0, "BZh", 3, "this is bzip2-compressed data, not a bootable kernel" },
	{ 0, "\x02\x21\x4c\x18", 4, "this is lz4-compressed data, not a bootable kernel" },
	{ 0, "070701", 6, "this is a cpio archive (an initramfs?): pass it with --initrd" },
	{ 0, "070702", 6, "this is a cpio archive (an initramfs?): pass it with --initrd" },
	{ 0, "QFI\xfb", 4, "this is a qcow2 disk image, not a kernel: pass it with --disk" },
	{ 0, "#!", 2, "this is a script, not a kernel" },
	{ 0, "MZ", 2, "this is a PE/EFI binary without a Linux boot header" },
};

static bool has(const uint8_t *buf, size_t len, const struct magic *m)
{
	return len >= m->off + m->len && !memcmp(buf + m->off, m->bytes, m->len);
}

static enum x86_image_kind elf_kind_of(const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	uint64_t entry;
	if (len < 20)
		return boot_msg(msg, msglen, 0, "truncated ELF file (%zu bytes)", len), X86_IMAGE_INVALID;
	if (x86_pvh_find_entry(buf, len, &entry, msg, msglen) < 0)
		return X86_IMAGE_INVALID; /* msg names the machine or the missing note */
	return X86_IMAGE_PVH_ELF;
}

enum x86_image_kind x86_image_detect(const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	if (len == 0)
		return boot_msg(msg, msglen, 0, "the file is empty"), X86_IMAGE_INVALID;
	if (len >= 4 && !memcmp(buf, "\x7f" "ELF", 4))
		return elf_kind_of(buf, len, msg, msglen);
	/* A bzImage also starts with "MZ" (EFI stub): look for the boot header first. */
	if (len >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4))
		return x86_bzimage_check(buf, len, msg, msglen) < 0 ? X86_IMAGE_INVALID : X86_IMAGE_BZIMAGE;
	for (size_t i = 0; i < ARRAY_SIZE(not_a_kernel); i++)
		if (has(buf, len, &not_a_kernel[i]))
			return boot_msg(msg, msglen, 0, "%s", not_a_kernel[i].what), X86_IMAGE_INVALID;
	char hex[3 * 8 + 1] = "";
	for (size_t i = 0; i < MIN(len, (size_t)8); i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", buf[i]);
	hex[strlen(hex) - 1] = 0;
	return boot_msg(msg, msglen, 0,
			"neither a bzImage nor an ELF kernel (%zu bytes starting %s): pass a Linux bzImage or a "
			"vmlinux/PVH ELF", len, hex), X86_IMAGE_INVALID;
}
