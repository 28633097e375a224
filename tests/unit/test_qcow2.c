/*
 * qcow2 backend against an in-memory model: random writes, zeroes, discards and snapshots keep
 * reads identical to the model and refcounts exact; and thousands of random header/table
 * mutations never crash or read out of bounds (run under the ASan build).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/block/block.h"
#include "tests/unit/unit.h"
#include "vmm/util.h"

UNIT_SUITE(qcow2);

static char *tmp_path(const char *name)
{
	static char buf[4][512];
	static int n;
	const char *d = getenv("TMPDIR");
	char *p = buf[n++ % 4];

	snprintf(p, 512, "%s/unit-qcow2-%d-%s", d && *d ? d : "/tmp", getpid(), name);
	return p;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static bool image_is_clean(struct blk_dev *b)
{
	struct blk_check_result r;

	return qcow2_check(b, BLK_CHECK_QUIET, &r) == 0 && r.leaks == 0 && r.corruptions == 0;
}

/* One model run: size bytes, cluster cs, version v, optional raw backing with known content. */
static void model_run(unsigned cs, int v, bool backing, uint64_t seed)
{
	const uint64_t size = 3 << 20;
	char *img = tmp_path("model.qcow2"), *base = tmp_path("model-base.raw");
	uint8_t *model = malloc(size), *snap = malloc(size), *buf = malloc(256 << 10);
	struct qcow2_create_opts o = { .size = size, .cluster_size = cs, .version = v };
	struct blk_dev *b;
	uint64_t x = seed;
	bool have_snap = false;

	CU_ASSERT_FATAL(model && snap && buf);
	memset(model, 0, size);
	if (backing) {
		for (uint64_t i = 0; i < size; i++)
			model[i] = (uint8_t)(i * 7 + (i >> 12));
		int fd = open(base, O_RDWR | O_CREAT | O_TRUNC, 0644);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT(pwrite(fd, model, size - 5000, 0) == (ssize_t)(size - 5000));	/* shorter base */
		memset(model + size - 5000, 0, 5000);
		close(fd);
		o.backing = base;
		o.backing_fmt = "raw";
	}
	CU_ASSERT_FATAL(qcow2_create(img, &o) == 0);
	CU_ASSERT_FATAL(blk_open(img, NULL, 0, &b) == 0);
	for (int op = 0; op < 400; op++) {
		uint64_t len = 1 + rnd(&x) % (rnd(&x) % 4 ? 9000 : 200000), off = rnd(&x) % (size - len);
		switch (rnd(&x) % 10) {
		case 0:
			CU_ASSERT_EQUAL(blk_write_zeroes(b, off, len, rnd(&x) & 1), 0);
			memset(model + off, 0, len);
			break;
		case 1:
			/* Discard: data becomes zero or stays (advisory); re-read it into the model. */
			CU_ASSERT_EQUAL(blk_discard(b, off, len), 0);
			CU_ASSERT_EQUAL(blk_pread(b, model + off, len, off), 0);
			break;
		case 2:
			if (!have_snap && op > 100) {
				CU_ASSERT_EQUAL(qcow2_snapshot_create(b, "s"), 0);
				memcpy(snap, model, size);
				have_snap = true;
			}
			break;
		default:
			for (uint64_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd(&x);
			CU_ASSERT_EQUAL(blk_pwrite(b, buf, len, off), 0);
			memcpy(model + off, buf, len);
			break;
		}
		if (op % 50 == 49) {
			CU_ASSERT_EQUAL(blk_pread(b, snap == NULL ? buf : buf, 1, 0), 0);
			for (uint64_t o2 = 0; o2 < size; o2 += 256 << 10) {
				CU_ASSERT_EQUAL(blk_pread(b, buf, 256 << 10, o2), 0);
				CU_ASSERT_EQUAL(memcmp(buf, model + o2, 256 << 10), 0);
			}
			CU_ASSERT(image_is_clean(b));
		}
	}
	if (have_snap) {
		CU_ASSERT_EQUAL(qcow2_snapshot_apply(b, "s"), 0);
		for (uint64_t o2 = 0; o2 < size; o2 += 256 << 10) {
			CU_ASSERT_EQUAL(blk_pread(b, buf, 256 << 10, o2), 0);
			CU_ASSERT_EQUAL(memcmp(buf, snap + o2, 256 << 10), 0);
		}
		CU_ASSERT_EQUAL(qcow2_snapshot_delete(b, "s"), 0);
		CU_ASSERT(image_is_clean(b));
	}
	blk_close(b);
	/* Reopen: clean close left no dirty bit and no leaks. */
	CU_ASSERT_FATAL(blk_open(img, NULL, BLK_OPEN_RDONLY, &b) == 0);
	struct qcow2_info qi;
	CU_ASSERT_EQUAL(qcow2_get_info(b, &qi), 0);
	CU_ASSERT(!qi.dirty);
	CU_ASSERT(image_is_clean(b));
	blk_close(b);
	unlink(img);
	unlink(base);
	free(model);
	free(snap);
	free(buf);
}

UNIT_TEST(qcow2, random_ops_match_model_64k_v3)
{
	model_run(65536, 3, false, 1);
}

UNIT_TEST(qcow2, random_ops_match_model_512b_v3_with_backing)
{
	model_run(512, 3, true, 2);
}

UNIT_TEST(qcow2, random_ops_match_model_4k_v2_with_backing)
{
	model_run(4096, 2, true, 3);
}

UNIT_TEST(qcow2, grow_then_write_past_old_end)
{
	char *img = tmp_path("grow.qcow2");
	struct qcow2_create_opts o = { .size = 1 << 20, .cluster_size = 512 };
	struct blk_dev *b;
	uint8_t buf[1024], out[1024];

	CU_ASSERT_FATAL(qcow2_create(img, &o) == 0);
	CU_ASSERT_FATAL(blk_open(img, NULL, 0, &b) == 0);
	CU_ASSERT_EQUAL(blk_truncate(b, 64 << 20, false), 0);
	CU_ASSERT_EQUAL(blk_size(b), 64 << 20);
	memset(buf, 0x5a, sizeof(buf));
	CU_ASSERT_EQUAL(blk_pwrite(b, buf, sizeof(buf), (64 << 20) - 1024), 0);
	CU_ASSERT_EQUAL(blk_pread(b, out, sizeof(out), (64 << 20) - 1024), 0);
	CU_ASSERT_EQUAL(memcmp(buf, out, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(blk_truncate(b, 1 << 20, true), -ENOTSUP);
	CU_ASSERT(image_is_clean(b));
	blk_close(b);
	unlink(img);
}

/* A small image with data, a snapshot and compressed clusters: the fuzzing seed. */
static uint8_t *fuzz_seed(size_t *len)
{
	char *img = tmp_path("seed.qcow2");
	struct qcow2_create_opts o = { .size = 256 << 10, .cluster_size = 512 };
	struct blk_dev *b;
	uint8_t buf[4096];
	uint8_t *data = NULL;

	CU_ASSERT_FATAL(qcow2_create(img, &o) == 0);
	CU_ASSERT_FATAL(blk_open(img, NULL, 0, &b) == 0);
	for (int i = 0; i < 8; i++) {
		memset(buf, i * 17 + 1, sizeof(buf));
		CU_ASSERT_EQUAL(blk_pwrite(b, buf, 1500, (uint64_t)i * 20000 + 100), 0);
	}
	CU_ASSERT_EQUAL(qcow2_snapshot_create(b, "fz"), 0);
	memset(buf, 'z', sizeof(buf));
	CU_ASSERT_EQUAL(qcow2_write_compressed(b, buf, 200 << 10), 0);
	CU_ASSERT_EQUAL(blk_write_zeroes(b, 40000, 4096, false), 0);
	blk_close(b);
	CU_ASSERT_EQUAL(read_file(img, &data, len, 1 << 20), 0);
	unlink(img);
	return data;
}

UNIT_TEST(qcow2, random_header_and_table_mutations_never_crash)
{
	size_t len;
	uint8_t *seed = fuzz_seed(&len), *m = malloc(len), *buf = malloc(64 << 10);
	char *img = tmp_path("fuzz.qcow2");
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int opened = 0, iters = getenv("QCOW2_FUZZ_ITERS") ? atoi(getenv("QCOW2_FUZZ_ITERS")) : 2000;

	CU_ASSERT_FATAL(seed && m && buf);
	int saved = log_verbosity;
	log_verbosity = -1;	/* thousands of expected error lines */
	for (int it = 0; it < iters; it++) {
		memcpy(m, seed, len);
		int nmut = 1 + (int)(rnd(&x) % 4);
		for (int k = 0; k < nmut; k++) {
			/* Mostly the header and the first metadata clusters, sometimes anywhere. */
			size_t pos = rnd(&x) % 4 ? rnd(&x) % MIN(len, 4096) : rnd(&x) % len;
			m[pos] = rnd(&x) % 3 ? (uint8_t)rnd(&x) : m[pos] ^ (uint8_t)(1u << (rnd(&x) % 8));
		}
		int fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0644);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT(write(fd, m, len) == (ssize_t)len);
		close(fd);
		struct blk_dev *b;
		bool rw = rnd(&x) & 1;
		if (blk_open(img, "qcow2", rw ? 0 : BLK_OPEN_RDONLY, &b))
			continue;
		opened++;
		uint64_t size = blk_size(b);
		for (uint64_t off = 0; off < MIN(size, 256 << 10); off += 64 << 10)
			blk_pread(b, buf, MIN(64 << 10, size - off), off);
		if (rw && size >= 8192) {
			memset(buf, 0x77, 8192);
			blk_pwrite(b, buf, 3000, rnd(&x) % (size - 3000));
			blk_write_zeroes(b, rnd(&x) % (size - 8192), 8192, true);
			blk_discard(b, rnd(&x) % (size - 8192), 4096);
		}
		struct blk_check_result r;
		qcow2_check(b, rw ? BLK_FIX_LEAKS | BLK_CHECK_QUIET : BLK_CHECK_QUIET, &r);
		blk_close(b);
	}
	log_verbosity = saved;
	CU_ASSERT(opened > iters / 10);	/* the fuzzer must get past the header checks often */
	unlink(img);
	free(seed);
	free(m);
	free(buf);
}

UNIT_TEST(qcow2, discard_unmaps_and_returns_space_to_host)
{
	char *img = tmp_path("discard.qcow2");
	struct qcow2_create_opts o = { .size = 8 << 20 };
	struct blk_dev *b;
	uint8_t *buf = malloc(4 << 20);

	CU_ASSERT_FATAL(buf && qcow2_create(img, &o) == 0);
	CU_ASSERT_FATAL(blk_open(img, NULL, 0, &b) == 0);
	memset(buf, 0x3c, 4 << 20);
	CU_ASSERT_EQUAL(blk_pwrite(b, buf, 4 << 20, 1 << 20), 0);
	CU_ASSERT_EQUAL(blk_flush(b), 0);
	uint64_t before = blk_actual_size(b), pnum;
	CU_ASSERT_EQUAL(blk_discard(b, 1 << 20, 4 << 20), 0);
	CU_ASSERT(blk_actual_size(b) + (3 << 20) < before);
	CU_ASSERT_EQUAL(blk_block_status(b, 1 << 20, 4 << 20, &pnum), BLK_STATUS_ZERO);
	CU_ASSERT_EQUAL(pnum, 4 << 20);
	CU_ASSERT_EQUAL(blk_pread(b, buf, 4 << 20, 1 << 20), 0);
	CU_ASSERT_EQUAL(buf[0], 0);
	CU_ASSERT_EQUAL(buf[(4 << 20) - 1], 0);
	/* Freed clusters are reused by later writes. */
	memset(buf, 0x3d, 4 << 20);
	CU_ASSERT_EQUAL(blk_pwrite(b, buf, 4 << 20, 1 << 20), 0);
	CU_ASSERT(image_is_clean(b));
	blk_close(b);
	unlink(img);
	free(buf);
}

/* A full host file system: writes fail with an error, the image stays consistent, nothing leaks. */
UNIT_TEST(qcow2, host_write_error_fails_request_and_keeps_image_consistent)
{
	char *img = tmp_path("enospc.qcow2");
	struct qcow2_create_opts o = { .size = 64 << 20 };
	struct blk_dev *b;

	CU_ASSERT_FATAL(qcow2_create(img, &o) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* RLIMIT_FSIZE stands in for ENOSPC: writes past 2 MiB fail with EFBIG. */
		struct rlimit rl = { 2 << 20, 2 << 20 };
		uint8_t *buf = malloc(1 << 20);
		int fails = 0;
		signal(SIGXFSZ, SIG_IGN);
		if (!buf || setrlimit(RLIMIT_FSIZE, &rl) || blk_open(img, NULL, 0, &b))
			_exit(2);
		memset(buf, 0x42, 1 << 20);
		for (int i = 0; i < 8; i++)
			fails += blk_pwrite(b, buf, 1 << 20, (uint64_t)i << 20) != 0;
		fails = fails && blk_pread(b, buf, 1 << 20, 0) == 0 && buf[0] == 0x42;
		blk_close(b);
		_exit(fails ? 0 : 1);
	}
	int st;
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT_FATAL(blk_open(img, NULL, BLK_OPEN_RDONLY, &b) == 0);
	struct blk_check_result r;
	CU_ASSERT_EQUAL(qcow2_check(b, BLK_CHECK_QUIET, &r), 0);
	CU_ASSERT_EQUAL(r.corruptions, 0);
	CU_ASSERT_EQUAL(r.leaks, 0);
	blk_close(b);
	unlink(img);
}

/* A refcount of 0 on a live L2 table must not let the allocator overwrite it. */
UNIT_TEST(qcow2, zero_refcount_on_l2_table_is_detected_not_overwritten)
{
	char *img = tmp_path("ovl.qcow2");
	struct qcow2_create_opts o = { .size = 16 << 20, .cluster_size = 4096 };
	struct blk_dev *b;
	uint8_t buf[4096], hdr[104];
	uint64_t v;

	CU_ASSERT_FATAL(qcow2_create(img, &o) == 0);
	CU_ASSERT_FATAL(blk_open(img, NULL, 0, &b) == 0);
	memset(buf, 0x61, sizeof(buf));
	CU_ASSERT_EQUAL(blk_pwrite(b, buf, sizeof(buf), 0), 0);
	blk_close(b);
	int fd = open(img, O_RDWR);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(pread(fd, hdr, sizeof(hdr), 0) == sizeof(hdr));
	memcpy(&v, hdr + 40, 8);
	uint64_t l1 = be64toh(v), rt, rb, l2;
	CU_ASSERT(pread(fd, &v, 8, (off_t)l1) == 8);
	l2 = be64toh(v) & 0x00fffffffffffe00ull;
	memcpy(&v, hdr + 48, 8);
	rt = be64toh(v);
	CU_ASSERT(pread(fd, &v, 8, (off_t)rt) == 8);
	rb = be64toh(v);
	uint16_t zero = 0;
	CU_ASSERT(pwrite(fd, &zero, 2, (off_t)(rb + (l2 / 4096) * 2)) == 2);
	close(fd);
	int saved = log_verbosity;
	log_verbosity = -1;
	CU_ASSERT_FATAL(blk_open(img, NULL, 0, &b) == 0);
	memset(buf, 0x62, sizeof(buf));
	CU_ASSERT_EQUAL(blk_pwrite(b, buf, sizeof(buf), 8 << 20), -EIO);
	CU_ASSERT_EQUAL(blk_pread(b, buf, sizeof(buf), 0), 0);
	CU_ASSERT_EQUAL(buf[0], 0x61);		/* the L2 table and its data survived */
	struct qcow2_info qi;
	CU_ASSERT_EQUAL(qcow2_get_info(b, &qi), 0);
	CU_ASSERT(qi.corrupt);
	blk_close(b);
	log_verbosity = saved;
	unlink(img);
}
