/* arm64 Image header validation (boot/arm64_image.c, Documentation/arch/arm64/booting.rst §4). */
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "boot/boot.h"

UNIT_SUITE(arm64_image);

static uint8_t img_buf[8192];
static char msg[256];

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A header like the one of guests/out/aarch64/Image: LE, 4K pages, placement anywhere. */
static void make_image(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(img_buf, 0, sizeof(img_buf));
	memcpy(img_buf, "\x1f\x20\x03\xd5", 4); /* code0: nop; code1 would branch to stext */
	put64(img_buf + 0x08, text_offset);
	put64(img_buf + 0x10, image_size);
	put64(img_buf + 0x18, flags);
	memcpy(img_buf + 0x38, "ARM\x64", 4);
	img_buf[100] = 0x5a;
}

UNIT_TEST(arm64_image, accepts_a_modern_header)
{
	struct arm64_image img;
	make_image(0, 0x520000, 0xa);
	CU_ASSERT_EQUAL_FATAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(img.text_offset, 0);
	CU_ASSERT_EQUAL(img.image_size, 0x520000);
	CU_ASSERT_EQUAL(img.page_kib, 4);
	CU_ASSERT_TRUE(img.anywhere);
	CU_ASSERT_PTR_EQUAL(img.data, img_buf);
	CU_ASSERT_PTR_NULL(img.owned);
	arm64_image_free(&img);
}

UNIT_TEST(arm64_image, zero_image_size_means_legacy_text_offset)
{
	struct arm64_image img;
	make_image(0x12345, 0, 0xffff);
	CU_ASSERT_EQUAL_FATAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(img.text_offset, 0x80000);
	CU_ASSERT_TRUE(img.image_size >= sizeof(img_buf));
	CU_ASSERT_EQUAL(img.page_kib, 0);
	CU_ASSERT_FALSE(img.anywhere);
}

UNIT_TEST(arm64_image, rejects_missing_magic_with_a_hint)
{
	struct arm64_image img;
	make_image(0, 0x10000, 2);
	img_buf[0x38] = 'X';
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not an arm64 Image"));
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, 10, &img, msg, sizeof(msg)), -EINVAL);
}

UNIT_TEST(arm64_image, names_foreign_formats)
{
	struct arm64_image img;
	memset(img_buf, 0, sizeof(img_buf));
	memcpy(img_buf, "\x7f" "ELF", 4);
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "vmlinux"));
	memset(img_buf, 0, sizeof(img_buf));
	memcpy(img_buf + 0x202, "HdrS", 4);
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "x86"));
	memset(img_buf, 0, sizeof(img_buf));
	memcpy(img_buf, "\x28\xb5\x2f\xfd", 4);
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "decompress"));
}

UNIT_TEST(arm64_image, rejects_big_endian_bad_text_offset_and_short_image_size)
{
	struct arm64_image img;
	make_image(0, 0x10000, 1 | 2);
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "big-endian"));
	make_image(0x80001, 0x10000, 2);
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "text_offset"));
	make_image(0x200000, 0x10000, 2);
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	make_image(0, 4096, 2);
	CU_ASSERT_EQUAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "image_size"));
}

UNIT_TEST(arm64_image, reports_16k_and_64k_page_kernels)
{
	struct arm64_image img;
	make_image(0, 0x10000, 2 << 1);
	CU_ASSERT_EQUAL_FATAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(img.page_kib, 16);
	make_image(0, 0x10000, 3 << 1);
	CU_ASSERT_EQUAL_FATAL(arm64_image_parse(img_buf, sizeof(img_buf), &img, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(img.page_kib, 64);
}

static size_t gzip(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream zs = { 0 };
	CU_ASSERT_EQUAL_FATAL(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	CU_ASSERT_EQUAL(deflate(&zs, Z_FINISH), Z_STREAM_END);
	size_t n = zs.total_out;
	deflateEnd(&zs);
	return n;
}

UNIT_TEST(arm64_image, inflates_a_gzipped_image)
{
	static uint8_t gz[8192];
	struct arm64_image img;
	make_image(0, 0x520000, 0xa);
	size_t n = gzip(img_buf, sizeof(img_buf), gz, sizeof(gz));
	CU_ASSERT_EQUAL_FATAL(arm64_image_parse(gz, n, &img, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(img.len, sizeof(img_buf));
	CU_ASSERT_PTR_NOT_NULL(img.owned);
	CU_ASSERT_EQUAL(memcmp(img.data, img_buf, sizeof(img_buf)), 0);
	arm64_image_free(&img);
	/* a truncated stream is an error, not a partial kernel */
	CU_ASSERT_EQUAL(arm64_image_parse(gz, n / 2, &img, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "gzip"));
}
