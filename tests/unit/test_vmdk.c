/* VMDK sparse extents: a hand-built monolithicSparse image reads back; mutations never crash. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/block/block.h"
#include "tests/unit/unit.h"
#include "vmm/util.h"

UNIT_SUITE(vmdk);

#define SECT 512

static void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }

/* 128 sectors, 8-sector grains; grain 0 at sector 6 (0xaa), grain 3 at sector 14 (0xbb). */
static size_t build_sparse(uint8_t *img)
{
	memset(img, 0, 22 * SECT);
	put32(img, 0x564d444b);		/* "KDMV" */
	put32(img + 4, 1);
	put32(img + 8, 3);
	put64(img + 12, 128);		/* capacity */
	put64(img + 20, 8);		/* grain size */
	put32(img + 44, 512);		/* GTEs per GT */
	put64(img + 56, 1);		/* GD at sector 1 */
	put64(img + 64, 6);
	put32(img + SECT, 2);		/* GD[0] -> GT at sector 2 */
	put32(img + 2 * SECT, 6);	/* GT[0] -> grain at sector 6 */
	put32(img + 2 * SECT + 12, 14);	/* GT[3] -> grain at sector 14 */
	memset(img + 6 * SECT, 0xaa, 8 * SECT);
	memset(img + 14 * SECT, 0xbb, 8 * SECT);
	return 22 * SECT;
}

static char *tmp_path(void)
{
	static char p[512];
	const char *d = getenv("TMPDIR");

	snprintf(p, sizeof(p), "%s/unit-vmdk-%d.vmdk", d && *d ? d : "/tmp", getpid());
	return p;
}

static void write_img(const char *path, const uint8_t *img, size_t len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, img, len) == (ssize_t)len);
	close(fd);
}

UNIT_TEST(vmdk, sparse_grains_read_back_unallocated_read_zero)
{
	uint8_t img[22 * SECT], buf[128 * SECT];
	char *path = tmp_path();
	struct blk_dev *b;

	write_img(path, img, build_sparse(img));
	CU_ASSERT_EQUAL(blk_open(path, NULL, 0, &b), -EROFS);	/* read-only format, said clearly */
	CU_ASSERT_FATAL(blk_open(path, NULL, BLK_OPEN_RDONLY, &b) == 0);
	CU_ASSERT_STRING_EQUAL(blk_format(b), "vmdk");
	CU_ASSERT_EQUAL(blk_size(b), 128 * SECT);
	CU_ASSERT_EQUAL(blk_pread(b, buf, sizeof(buf), 0), 0);
	CU_ASSERT_EQUAL(buf[0], 0xaa);
	CU_ASSERT_EQUAL(buf[8 * SECT - 1], 0xaa);
	CU_ASSERT_EQUAL(buf[8 * SECT], 0);
	CU_ASSERT_EQUAL(buf[24 * SECT + 100], 0xbb);
	CU_ASSERT_EQUAL(buf[32 * SECT], 0);
	CU_ASSERT_EQUAL(buf[127 * SECT], 0);
	blk_close(b);
	unlink(path);
}

UNIT_TEST(vmdk, random_header_and_table_mutations_never_crash)
{
	uint8_t seed[22 * SECT], m[22 * SECT], *buf = malloc(1 << 20);
	char *path = tmp_path();
	uint64_t x = 12345;
	size_t len = build_sparse(seed);
	int saved = log_verbosity;

	CU_ASSERT_FATAL(buf != NULL);
	log_verbosity = -1;
	for (int it = 0; it < 2000; it++) {
		memcpy(m, seed, len);
		for (int k = 0; k < 3; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			m[(x >> 8) % (it & 1 ? 80 : 6 * SECT)] = (uint8_t)x;
		}
		write_img(path, m, len);
		struct blk_dev *b;
		if (blk_open(path, "vmdk", BLK_OPEN_RDONLY, &b))
			continue;
		uint64_t size = blk_size(b);
		for (uint64_t off = 0; off < MIN(size, 4 << 20); off += 1 << 20)
			blk_pread(b, buf, MIN(1 << 20, size - off), off);
		blk_close(b);
	}
	log_verbosity = saved;
	unlink(path);
	free(buf);
}
