/* Block layer front: probing, explicit formats, locking, raw I/O, --snapshot overlays. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block/block.h"
#include "tests/unit/unit.h"

UNIT_SUITE(block);

static char *tmp_path(const char *name)
{
	static char buf[4][512];
	static int n;
	const char *d = getenv("TMPDIR");
	char *p = buf[n++ % 4];

	snprintf(p, 512, "%s/unit-block-%d-%s", d && *d ? d : "/tmp", getpid(), name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(pwrite(fd, data, len, 0) == (ssize_t)len);
	CU_ASSERT(ftruncate(fd, size) == 0);
	close(fd);
}

UNIT_TEST(block, probe_tells_qcow2_vmdk_and_raw_apart)
{
	char *q = tmp_path("p.qcow2"), *v = tmp_path("p.vmdk"), *r = tmp_path("p.raw");
	struct qcow2_create_opts o = { .size = 1 << 20 };
	int err;

	CU_ASSERT_EQUAL(qcow2_create(q, &o), 0);
	write_file(v, "# Disk DescriptorFile\n", 22, 22);
	write_file(r, "hello", 5, 4096);
	CU_ASSERT_STRING_EQUAL(blk_probe_file(q, &err), "qcow2");
	CU_ASSERT_STRING_EQUAL(blk_probe_file(v, &err), "vmdk");
	CU_ASSERT_STRING_EQUAL(blk_probe_file(r, &err), "raw");
	CU_ASSERT_PTR_NULL(blk_probe_file(tmp_path("missing"), &err));
	CU_ASSERT_EQUAL(err, -ENOENT);
	unlink(q);
	unlink(v);
	unlink(r);
}

UNIT_TEST(block, explicit_format_that_mismatches_header_is_an_error)
{
	char *r = tmp_path("m.raw");
	struct blk_dev *b = NULL;

	write_file(r, "data", 4, 65536);
	CU_ASSERT_EQUAL(blk_open(r, "qcow2", BLK_OPEN_RDONLY, &b), -EINVAL);
	CU_ASSERT_EQUAL(blk_open(r, "vmdk", BLK_OPEN_RDONLY, &b), -EINVAL);
	CU_ASSERT_EQUAL(blk_open(r, "bogus", BLK_OPEN_RDONLY, &b), -EINVAL);
	CU_ASSERT_EQUAL(blk_open(r, "raw", BLK_OPEN_RDONLY, &b), 0);
	blk_close(b);
	unlink(r);
}

UNIT_TEST(block, raw_rw_zeroes_discard_and_bounds)
{
	char *r = tmp_path("rw.raw");
	struct blk_dev *b;
	uint8_t buf[8192], out[8192];

	write_file(r, "", 0, 1 << 20);
	CU_ASSERT_FATAL(blk_open(r, NULL, 0, &b) == 0);
	CU_ASSERT_EQUAL(blk_size(b), 1 << 20);
	CU_ASSERT_STRING_EQUAL(blk_format(b), "raw");
	memset(buf, 0xa5, sizeof(buf));
	CU_ASSERT_EQUAL(blk_pwrite(b, buf, sizeof(buf), 12345), 0);
	CU_ASSERT_EQUAL(blk_pread(b, out, sizeof(out), 12345), 0);
	CU_ASSERT_EQUAL(memcmp(buf, out, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(blk_write_zeroes(b, 12345, 100, false), 0);
	CU_ASSERT_EQUAL(blk_discard(b, 0, 1 << 20), 0);
	CU_ASSERT_EQUAL(blk_write_zeroes(b, 8192, 8192, true), 0);
	CU_ASSERT_EQUAL(blk_pread(b, out, sizeof(out), 12345), 0);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(memcmp(buf, out, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(blk_pread(b, out, 2, (1 << 20) - 1), -EINVAL);
	CU_ASSERT_EQUAL(blk_pwrite(b, out, 1, UINT64_MAX), -EINVAL);
	CU_ASSERT_EQUAL(blk_flush(b), 0);
	blk_close(b);
	unlink(r);
}

UNIT_TEST(block, second_rw_opener_is_refused_readers_share)
{
	char *q = tmp_path("l.qcow2");
	struct qcow2_create_opts o = { .size = 1 << 20 };
	struct blk_dev *a, *b, *c;

	CU_ASSERT_FATAL(qcow2_create(q, &o) == 0);
	CU_ASSERT_FATAL(blk_open(q, NULL, 0, &a) == 0);
	CU_ASSERT_EQUAL(blk_open(q, NULL, 0, &b), -EBUSY);
	CU_ASSERT_EQUAL(blk_open(q, NULL, BLK_OPEN_RDONLY, &b), -EBUSY);
	blk_close(a);
	CU_ASSERT_FATAL(blk_open(q, NULL, BLK_OPEN_RDONLY, &b) == 0);
	CU_ASSERT_FATAL(blk_open(q, NULL, BLK_OPEN_RDONLY, &c) == 0);
	CU_ASSERT(blk_is_readonly(c));
	CU_ASSERT_EQUAL(blk_pwrite(c, "x", 1, 0), -EROFS);
	blk_close(b);
	blk_close(c);
	unlink(q);
}

static int count_snapshot_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "minivmm-snapshot-", 17) == 0;
	if (d)
		closedir(d);
	return n;
}

UNIT_TEST(block, snapshot_overlay_keeps_original_and_leaves_no_file)
{
	char *r = tmp_path("s.raw");
	const char *d = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct blk_dev *b, *c;
	uint8_t buf[4096], out[4096];
	int before = count_snapshot_files(d);

	memset(buf, 0x11, sizeof(buf));
	write_file(r, buf, sizeof(buf), 1 << 20);
	CU_ASSERT_FATAL(blk_open(r, "raw", BLK_OPEN_SNAPSHOT, &b) == 0);
	CU_ASSERT_EQUAL(count_snapshot_files(d), before);	/* unlinked while open */
	CU_ASSERT_EQUAL(blk_size(b), 1 << 20);
	CU_ASSERT(!blk_is_readonly(b));
	/* Another VMM may still take the original read-write?  No: we hold a shared lock on it. */
	CU_ASSERT_EQUAL(blk_open(r, NULL, 0, &c), -EBUSY);
	memset(buf, 0x22, 100);
	CU_ASSERT_EQUAL(blk_pwrite(b, buf, 100, 10), 0);
	CU_ASSERT_EQUAL(blk_pread(b, out, sizeof(out), 0), 0);
	CU_ASSERT_EQUAL(out[0], 0x11);
	CU_ASSERT_EQUAL(out[10], 0x22);
	CU_ASSERT_EQUAL(out[110], 0x11);
	blk_close(b);
	CU_ASSERT_FATAL(blk_open(r, NULL, BLK_OPEN_RDONLY, &c) == 0);
	CU_ASSERT_EQUAL(blk_pread(c, out, sizeof(out), 0), 0);
	CU_ASSERT_EQUAL(out[10], 0x11);
	blk_close(c);
	CU_ASSERT_EQUAL(count_snapshot_files(d), before);
	unlink(r);
}
