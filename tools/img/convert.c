/* minivmm-img convert, compare and commit: copy loops driven by block status (zero areas skipped). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"
#include "vmm/util.h"

#define CHUNK	(1u << 20)

int img_parse_qcow2_opts(char *opts, struct qcow2_create_opts *o);

static bool is_zero(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copy [0, size) of src to dst; writes only non-zero blocks of gran bytes (dst reads zero elsewhere). */
static int copy_data(struct blk_dev *src, struct blk_dev *dst, bool compress, bool progress, bool dst_zeroed)
{
	uint64_t size = blk_size(src), gran = qcow2_cluster_size(dst);
	uint64_t chunk = compress ? gran : MAX(CHUNK, gran);
	uint8_t *buf;
	int ret = 0;

	if (!gran)
		gran = 4096;
	buf = malloc(chunk);
	if (!buf)
		return -ENOMEM;
	for (uint64_t off = 0; off < size && !ret;) {
		uint64_t n = MIN(chunk - off % chunk, size - off), pnum;
		int st = blk_block_status(src, off, n, &pnum);
		if (st < 0) {
			ret = st;
			break;
		}
		if (compress && pnum < n)
			st = BLK_STATUS_DATA;	/* compressed writes are whole clusters */
		else if (compress)
			pnum = n;
		if ((st & BLK_STATUS_ZERO) && !(st & BLK_STATUS_DATA)) {
			/* Skip whole zero areas (the new image reads zero there). */
			if (!dst_zeroed) {
				ret = blk_write_zeroes(dst, off, pnum, true);
			}
			off += pnum;
			if (progress)
				img_progress(off, size);
			continue;
		}
		ret = blk_pread(src, buf, n, off);
		if (ret)
			break;
		if (compress) {
			if (!is_zero(buf, n))
				ret = qcow2_write_compressed(dst, buf, off);
		} else {
			for (uint64_t o = 0; o < n && !ret;) {
				uint64_t g = MIN(gran - (off + o) % gran, n - o);
				bool z = is_zero(buf + o, g);
				uint64_t run = g;
				while (o + run < n) {	/* extend over blocks of the same kind */
					uint64_t g2 = MIN(gran, n - o - run);
					if (is_zero(buf + o + run, g2) != z)
						break;
					run += g2;
				}
				if (!z)
					ret = blk_pwrite(dst, buf + o, run, off + o);
				else if (!dst_zeroed)
					ret = blk_write_zeroes(dst, off + o, run, true);
				o += run;
			}
		}
		off += n;
		if (progress)
			img_progress(off, size);
	}
	if (progress && size == 0)
		img_progress(1, 1);
	free(buf);
	if (ret == 0)
		ret = blk_flush(dst);
	return ret;
}

int img_convert(int argc, char **argv)
{
	const char *fmt = NULL, *ofmt = "raw", *backing = NULL;
	struct qcow2_create_opts o = { 0 };
	bool compress = false, progress = false;
	int c, ret;

	optind = 1;
	while ((c = getopt(argc, argv, "f:O:co:pB:qW")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'O': ofmt = optarg; break;
		case 'c': compress = true; break;
		case 'o': if (img_parse_qcow2_opts(optarg, &o)) return 1; break;
		case 'p': progress = true; break;
		case 'B': backing = optarg; break;
		case 'q': case 'W': break;
		default: return 1;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "minivmm-img convert: need exactly one source and one destination\n");
		return 1;
	}
	const char *in = argv[optind], *out = argv[optind + 1];
	if (compress && strcmp(ofmt, "qcow2")) {
		fprintf(stderr, "minivmm-img convert: -c needs -O qcow2\n");
		return 1;
	}
	struct blk_dev *src, *dst;
	if (img_open(in, fmt, false, &src))
		return 1;
	if (!strcmp(ofmt, "raw")) {
		ret = backing ? -EINVAL : raw_create(out, blk_size(src));
	} else if (!strcmp(ofmt, "qcow2")) {
		o.size = blk_size(src);
		o.backing = backing;
		ret = qcow2_create(out, &o);
	} else {
		fprintf(stderr, "minivmm-img convert: cannot write format '%s' (raw or qcow2)\n", ofmt);
		blk_close(src);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "minivmm-img convert: cannot create %s: %s\n", out, strerror(-ret));
		blk_close(src);
		return 1;
	}
	if (blk_open(out, ofmt, 0, &dst)) {
		blk_close(src);
		return 1;
	}
	ret = copy_data(src, dst, compress, progress, backing == NULL);
	if (ret)
		fprintf(stderr, "minivmm-img convert: %s -> %s: %s\n", in, out, strerror(-ret));
	blk_close(dst);
	blk_close(src);
	return ret ? 1 : 0;
}

int img_compare(int argc, char **argv)
{
	const char *fa = NULL, *fb = NULL;
	bool strict = false, quiet = false;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "f:F:sqpU")) != -1) {
		switch (c) {
		case 'f': fa = optarg; break;
		case 'F': fb = optarg; break;
		case 's': strict = true; break;
		case 'q': quiet = true; break;
		case 'p': case 'U': break;
		default: return 2;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "minivmm-img compare: need two images\n");
		return 2;
	}
	struct blk_dev *a, *b;
	if (img_open(argv[optind], fa, false, &a))
		return 2;
	if (img_open(argv[optind + 1], fb ? fb : fa, false, &b)) {
		blk_close(a);
		return 2;
	}
	uint64_t sa = blk_size(a), sb = blk_size(b);
	uint8_t *ba = malloc(CHUNK), *bb = malloc(CHUNK);
	if (!ba || !bb) {
		rc = 2;
		goto out;
	}
	if (strict && sa != sb) {
		if (!quiet)
			printf("Strict mode: Image size mismatch!\n");
		rc = 1;
		goto out;
	}
	for (uint64_t off = 0; off < MAX(sa, sb) && rc == 0; off += CHUNK) {
		uint64_t n = MIN((uint64_t)CHUNK, MAX(sa, sb) - off);
		uint64_t na = off < sa ? MIN(n, sa - off) : 0, nb = off < sb ? MIN(n, sb - off) : 0;
		memset(ba, 0, n);
		memset(bb, 0, n);
		if ((na && blk_pread(a, ba, na, off)) || (nb && blk_pread(b, bb, nb, off))) {
			fprintf(stderr, "minivmm-img compare: read error at offset %" PRIu64 "\n", off);
			rc = 2;
			break;
		}
		if (memcmp(ba, bb, n)) {
			uint64_t i = 0;
			while (ba[i] == bb[i])
				i++;
			uint64_t at = ALIGN_DOWN(off + i, 512);
			if (!quiet)	/* qemu-img reports the first differing 512-byte sector */
				printf("Content mismatch at offset %" PRIu64 "!\n", at);
			rc = 1;
		}
	}
	if (rc == 0 && !quiet) {
		if (sa != sb)
			printf("Warning: Image size mismatch!\n");
		printf("Images are identical.\n");
	}
out:
	free(ba);
	free(bb);
	blk_close(a);
	blk_close(b);
	return rc;
}

/* Copy what the top image holds itself into its backing file (qemu-img commit -d). */
int img_commit(int argc, char **argv)
{
	const char *fmt = NULL;
	struct qcow2_info qi;
	struct blk_dev *top, *base;
	int c, ret;
	bool quiet = false, keep = false;

	optind = 1;
	while ((c = getopt(argc, argv, "f:dpqt:b:")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'q': quiet = true; break;
		case 'd': keep = true; break;
		case 'p': case 't': break;
		case 'b':
			fprintf(stderr, "minivmm-img commit: -b is not supported; commit goes into the direct backing file\n");
			return 1;
		default: return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "minivmm-img commit: missing file name\n");
		return 1;
	}
	if (img_open(argv[optind], fmt, false, &top))
		return 1;
	if (qcow2_get_info(top, &qi) || !blk_backing(top)) {
		fprintf(stderr, "minivmm-img commit: %s has no backing file\n", argv[optind]);
		blk_close(top);
		return 1;
	}
	/* Our read-only handle on the base holds its shared lock; the writer shares it. */
	ret = blk_open_fmt(blk_path(blk_backing(top)), blk_format(blk_backing(top)), BLK_OPEN_NOLOCK, &base);
	if (ret) {
		blk_close(top);
		return 1;
	}
	uint64_t size = MIN(blk_size(top), blk_size(base));
	if (blk_size(top) > blk_size(base)) {
		ret = blk_truncate(base, blk_size(top), false);
		if (ret == 0)
			size = blk_size(top);
	}
	uint8_t *buf = malloc(CHUNK);
	ret = buf ? ret : -ENOMEM;
	for (uint64_t off = 0; off < size && !ret;) {
		uint64_t pnum, n = MIN((uint64_t)CHUNK, size - off);
		int st = blk_block_status(top, off, n, &pnum);
		if (st < 0) {
			ret = st;
			break;
		}
		if (!(st & BLK_STATUS_BACKING)) {
			if (st & BLK_STATUS_DATA) {
				ret = blk_pread(top, buf, pnum, off);
				if (ret == 0)
					ret = blk_pwrite(base, buf, pnum, off);
			} else {
				ret = blk_write_zeroes(base, off, pnum, false);
			}
		}
		off += pnum;
	}
	free(buf);
	if (ret == 0)
		ret = blk_flush(base);
	blk_close(base);
	blk_close(top);
	/* Without -d the top becomes empty, so it reads through to the updated backing file. */
	if (ret == 0 && !keep && (ret = img_open(argv[optind], fmt, true, &top)) == 0) {
		ret = qcow2_make_empty(top);
		blk_close(top);
	}
	if (ret) {
		fprintf(stderr, "minivmm-img commit: %s: %s\n", argv[optind], strerror(-ret));
		return 1;
	}
	if (!quiet)
		printf("Image committed.\n");
	return 0;
}
