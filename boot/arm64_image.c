/*
 * arm64 Image header validation (Linux Documentation/arch/arm64/booting.rst §4). A gzip'd Image
 * (arch/arm64/boot/Image.gz) is inflated with zlib first; other compressed or foreign formats get
 * an error that says what the file is and what to pass instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "boot/boot.h"
#include "vmm/util.h"

#define ARM64_IMAGE_MAGIC    0x644d5241u   /* "ARM\x64" at offset 0x38 */
#define ARM64_HDR_SIZE       64
#define ARM64_LEGACY_TEXT    0x80000ULL    /* image_size == 0: pre-3.17 kernels */
#define ARM64_LEGACY_MARGIN  (8ULL << 20)  /* room for the BSS those headers do not describe */
#define ARM64_IMAGE_MAX      (512ULL << 20)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Inflate a gzip stream; the result size is not in the header we can trust, so grow as needed. */
static int gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, char *msg, size_t msglen)
{
	size_t cap = len * 4 < (16u << 20) ? (16u << 20) : len * 4;
	uint8_t *buf = malloc(cap);
	z_stream zs = { .next_in = (Bytef *)in, .avail_in = (uInt)len };
	int ret;

	if (!buf || len > UINT32_MAX) {
		free(buf);
		return boot_msg(msg, msglen, -ENOMEM, "cannot inflate a %zu-byte gzip'd kernel", len);
	}
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		free(buf);
		return boot_msg(msg, msglen, -ENOMEM, "zlib: inflateInit2 failed");
	}
	do {
		if (zs.total_out == cap) {
			if (cap >= ARM64_IMAGE_MAX) {
				ret = Z_MEM_ERROR;
				break;
			}
			uint8_t *n = realloc(buf, cap * 2);
			if (!n) {
				ret = Z_MEM_ERROR;
				break;
			}
			buf = n;
			cap *= 2;
		}
		zs.next_out = buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		ret = inflate(&zs, Z_NO_FLUSH);
	} while (ret == Z_OK);
	size_t got = zs.total_out;
	inflateEnd(&zs);
	if (ret != Z_STREAM_END) {
		free(buf);
		return boot_msg(msg, msglen, -EINVAL, "the kernel looks gzip'd but does not inflate (%s); "
				"pass the uncompressed Image", ret == Z_MEM_ERROR ? "over 512 MiB" : "corrupt stream");
	}
	*out = buf;
	*out_len = got;
	return 0;
}

/* Say what a file that is not an arm64 Image probably is. */
static int not_an_image(const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	if (len >= 4 && !memcmp(buf, "\x7f" "ELF", 4))
		return boot_msg(msg, msglen, -EINVAL, "the kernel is an ELF file (vmlinux); pass "
				"arch/arm64/boot/Image instead");
	if (len >= 0x206 && !memcmp(buf + 0x202, "HdrS", 4))
		return boot_msg(msg, msglen, -EINVAL, "the kernel is an x86 bzImage; use --arch x86_64");
	if (len >= 8 && !memcmp(buf, "MZ", 2) && !memcmp(buf + 4, "zimg", 4))
		return boot_msg(msg, msglen, -EINVAL, "the kernel is an EFI zboot image (vmlinuz.efi); "
				"pass the uncompressed arch/arm64/boot/Image");
	if (len >= 6 && (!memcmp(buf, "\x28\xb5\x2f\xfd", 4) || !memcmp(buf, "\xfd" "7zXZ", 5) ||
			 !memcmp(buf, "\x02\x21\x4c\x18", 4) || !memcmp(buf, "\x04\x22\x4d\x18", 4) ||
			 !memcmp(buf, "BZh", 3)))
		return boot_msg(msg, msglen, -EINVAL, "the kernel is compressed (zstd/xz/lz4/bzip2); "
				"decompress it first and pass the Image");
	return boot_msg(msg, msglen, -EINVAL, "the kernel is not an arm64 Image (no \"ARM\\x64\" magic "
			"at offset 0x38); pass arch/arm64/boot/Image");
}

static int parse_header(const uint8_t *buf, size_t len, struct arm64_image *img, char *msg, size_t msglen)
{
	if (len < ARM64_HDR_SIZE || le32(buf + 0x38) != ARM64_IMAGE_MAGIC)
		return not_an_image(buf, len, msg, msglen);

	uint64_t text_offset = le64(buf + 0x08), image_size = le64(buf + 0x10), flags = le64(buf + 0x18);
	if (image_size == 0) {
		/* booting.rst: with image_size 0, text_offset can be assumed to be 0x80000. */
		text_offset = ARM64_LEGACY_TEXT;
		image_size = ALIGN_UP(len, 4096) + ARM64_LEGACY_MARGIN;
		flags = 0;
	} else {
		if (flags & 1)
			return boot_msg(msg, msglen, -EINVAL, "the kernel is big-endian "
					"(CONFIG_CPU_BIG_ENDIAN); minivmm runs little-endian arm64 kernels");
		if (text_offset >= (2ULL << 20) || (text_offset & 0xfff))
			return boot_msg(msg, msglen, -EINVAL, "bad arm64 Image header: text_offset 0x%llx "
					"must be 4 KiB-aligned and below 2 MiB",
					(unsigned long long)text_offset);
		if (image_size < len)
			return boot_msg(msg, msglen, -EINVAL, "bad arm64 Image header: image_size %llu is "
					"smaller than the file (%zu bytes); is the file truncated or padded?",
					(unsigned long long)image_size, len);
		if (image_size > ARM64_IMAGE_MAX)
			return boot_msg(msg, msglen, -EINVAL, "bad arm64 Image header: image_size %llu over "
					"512 MiB", (unsigned long long)image_size);
	}
	static const unsigned page_kib[4] = { 0, 4, 16, 64 };
	img->data = buf;
	img->len = len;
	img->text_offset = text_offset;
	img->image_size = image_size;
	img->page_kib = page_kib[(flags >> 1) & 3];
	img->anywhere = flags & (1u << 3);
	return 0;
}

int arm64_image_parse(const uint8_t *buf, size_t len, struct arm64_image *img, char *msg, size_t msglen)
{
	memset(img, 0, sizeof(*img));
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		uint8_t *raw = NULL;
		size_t raw_len = 0;
		int ret = gunzip(buf, len, &raw, &raw_len, msg, msglen);
		if (ret < 0)
			return ret;
		ret = parse_header(raw, raw_len, img, msg, msglen);
		if (ret < 0) {
			free(raw);
			return ret;
		}
		img->owned = raw;
		return 0;
	}
	return parse_header(buf, len, img, msg, msglen);
}

void arm64_image_free(struct arm64_image *img)
{
	free(img->owned);
	memset(img, 0, sizeof(*img));
}
