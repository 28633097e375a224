/*
 * qcow2 header parsing, validation and open/close (qcow2.txt "Header", "Header extensions").
 * Every table offset and size from the file is checked against the file before use; a bad image
 * fails the open with a message naming the field, or later I/O sets the corrupt bit.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

#define EXT_BACKING_FMT	0xe2792acau
#define EXT_DATA_FILE	0x44415441u

static __thread int backing_depth;

uint64_t qcow2_file_size(const struct qcow2 *s)
{
	struct stat st;

	return fstat(s->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

bool qcow2_offset_valid(const struct qcow2 *s, uint64_t off)
{
	return off && !(off & (s->cs - 1)) && off <= QCOW2_OFFSET_MASK && off + s->cs <= ALIGN_UP(qcow2_file_size(s), s->cs);
}

int qcow2_sync(struct qcow2 *s)
{
	return fdatasync(s->fd) ? -errno : 0;
}

int qcow2_header_write(struct qcow2 *s, unsigned field_off, const void *data, unsigned len)
{
	return blk_file_pwrite(s->fd, data, len, field_off);
}

int qcow2_set_incompat(struct qcow2 *s, uint64_t bits, bool on)
{
	if (s->version < 3)
		return 0;
	uint64_t v = on ? s->incompat | bits : s->incompat & ~bits;
	if (v == s->incompat)
		return 0;
	uint64_t be = htobe64(v);
	int ret = qcow2_header_write(s, QH_INCOMPAT, &be, 8);
	if (ret == 0)
		s->incompat = v;
	return ret;
}

void qcow2_signal_corruption(struct qcow2 *s, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!s->corrupt_reported)
		log_error("%s: qcow2 image is corrupt: %s%s", s->b->path, msg,
			  s->b->readonly || s->version < 3 ? "" : "; marking it corrupt (repair: minivmm-img check -r all)");
	s->corrupt_reported = true;
	if (!s->b->readonly && s->version >= 3 && !(s->incompat & QCOW2_INCOMPAT_CORRUPT)) {
		qcow2_set_incompat(s, QCOW2_INCOMPAT_CORRUPT, true);
		qcow2_sync(s);
	}
}

static uint32_t be32_at(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return be32toh(v); }
static uint64_t be64_at(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return be64toh(v); }

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Header extensions live in the first cluster after the header (qcow2.txt "Header extensions"). */
static int parse_extensions(struct qcow2 *s, const uint8_t *hdr, uint64_t hlen)
{
	uint64_t p = s->header_length;

	while (p + 8 <= hlen) {
		uint32_t type = be32_at(hdr + p), len = be32_at(hdr + p + 4);
		if (type == 0)
			return 0;
		if (len > hlen - p - 8) {
			log_error("%s: qcow2 header extension 0x%x overruns the header cluster", s->b->path, type);
			return -EINVAL;
		}
		if (type == EXT_BACKING_FMT) {
			s->backing_fmt = strndup((const char *)hdr + p + 8, len);
		} else if (type == EXT_DATA_FILE) {
			log_error("%s: qcow2 external data files are not supported", s->b->path);
			return -ENOTSUP;
		}
		p += 8 + ALIGN_UP((uint64_t)len, 8);
	}
	return 0;
}

static int open_backing(struct qcow2 *s)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	int ret;

	snprintf(dir, sizeof(dir), "%s", s->b->path);
	if (s->backing_file[0] == '/' || !strcmp(dirname(dir), "."))
		snprintf(path, sizeof(path), "%s", s->backing_file);
	else	/* relative names resolve next to the image, as qemu does */
		snprintf(path, sizeof(path), "%s/%s", dir, s->backing_file);
	s->backing_path = strdup(path);
	if (backing_depth >= 32) {
		log_error("%s: backing chain deeper than 32 images (a loop?)", s->b->path);
		return -ELOOP;
	}
	backing_depth++;
	ret = blk_open(path, s->backing_fmt, BLK_OPEN_RDONLY, &s->b->backing);
	backing_depth--;
	if (ret)
		log_error("%s: cannot open its backing file %s", s->b->path, path);
	return ret;
}

static int read_header(struct qcow2 *s, unsigned flags)
{
	uint8_t h[512];
	const char *path = s->b->path;
	uint64_t fsize = qcow2_file_size(s);
	int ret = blk_file_pread(s->fd, h, sizeof(h), 0);

	if (ret)
		return ret;
	if (fsize < 72 || be32_at(h) != QCOW2_MAGIC) {
		log_error("%s: not a qcow2 image (bad magic or truncated header)", path);
		return -EINVAL;
	}
	s->version = (int)be32_at(h + 4);
	if (s->version != 2 && s->version != 3) {
		log_error("%s: qcow2 version %d is not supported (only 2 and 3)", path, s->version);
		return -ENOTSUP;
	}
	s->cluster_bits = be32_at(h + 20);
	if (s->cluster_bits < 9 || s->cluster_bits > 21) {
		log_error("%s: qcow2 cluster_bits %u out of range (9..21)", path, s->cluster_bits);
		return -EINVAL;
	}
	s->cs = 1ull << s->cluster_bits;
	s->l2_entries = s->cs / 8;
	s->b->size = be64_at(h + 24);
	if (be32_at(h + 32)) {
		log_error("%s: encrypted qcow2 images are not supported", path);
		return -ENOTSUP;
	}
	s->l1_size = be32_at(h + 36);
	s->l1_offset = be64_at(h + 40);
	s->rt_offset = be64_at(h + 48);
	s->rt_clusters = be32_at(h + 56);
	s->nb_snapshots = be32_at(h + 60);
	s->snapshots_offset = be64_at(h + 64);
	s->refcount_order = 4;
	s->header_length = 72;
	if (s->version == 3) {
		s->incompat = be64_at(h + 72);
		s->compat = be64_at(h + 80);
		s->autoclear = be64_at(h + 88);
		s->refcount_order = be32_at(h + 96);
		s->header_length = be32_at(h + 100);
		if (s->header_length < 104 || s->header_length > s->cs || s->header_length > sizeof(h)) {
			log_error("%s: qcow2 header_length %u is invalid", path, s->header_length);
			return -EINVAL;
		}
		if (s->header_length > 104)
			s->compression = h[104];
	}
	if (s->refcount_order > 6) {
		log_error("%s: qcow2 refcount_order %u out of range (0..6)", path, s->refcount_order);
		return -EINVAL;
	}
	uint64_t known = QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_COMPRESS;
	if (s->incompat & QCOW2_INCOMPAT_DATAFILE) {
		log_error("%s: qcow2 external data files are not supported", path);
		return -ENOTSUP;
	}
	if (s->incompat & QCOW2_INCOMPAT_EXTL2) {
		log_error("%s: qcow2 extended L2 entries (subclusters) are not supported", path);
		return -ENOTSUP;
	}
	if (s->incompat & ~known) {
		log_error("%s: qcow2 has unknown incompatible features 0x%" PRIx64, path, s->incompat & ~known);
		return -ENOTSUP;
	}
	if (!(s->incompat & QCOW2_INCOMPAT_COMPRESS))
		s->compression = 0;
	if (s->compression > 1) {
		log_error("%s: qcow2 compression type %d is unknown (zlib=0, zstd=1)", path, s->compression);
		return -ENOTSUP;
	}
	if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !(flags & (BLK_OPEN_RDONLY | BLK_OPEN_REPAIR))) {
		log_error("%s: qcow2 image is marked corrupt; open it readonly, or repair it with 'minivmm-img check -r all'", path);
		return -EIO;
	}
	/* Tables: aligned, inside the file, sane sizes, not overlapping each other or the header. */
	uint64_t per_l1 = s->cs * s->l2_entries;
	uint64_t need_l1 = s->b->size / per_l1 + (s->b->size % per_l1 != 0);
	if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
		log_error("%s: qcow2 L1 size %u is absurd (over %u MiB)", path, s->l1_size, QCOW2_MAX_L1_BYTES >> 20);
		return -EINVAL;
	}
	if (need_l1 > s->l1_size) {
		log_error("%s: qcow2 L1 table (%u entries) too small for the virtual size %" PRIu64, path,
			  s->l1_size, s->b->size);
		return -EINVAL;
	}
	if (s->l1_size && ((s->l1_offset & (s->cs - 1)) || s->l1_offset + (uint64_t)s->l1_size * 8 > fsize ||
			   s->l1_offset == 0)) {
		log_error("%s: qcow2 L1 table at 0x%" PRIx64 " is misaligned or past the end of the file", path, s->l1_offset);
		return -EINVAL;
	}
	if (s->rt_clusters == 0 || (uint64_t)s->rt_clusters * s->cs > QCOW2_MAX_RT_BYTES ||
	    (s->rt_offset & (s->cs - 1)) || s->rt_offset == 0 || s->rt_offset + (uint64_t)s->rt_clusters * s->cs > ALIGN_UP(fsize, s->cs)) {
		log_error("%s: qcow2 refcount table (0x%" PRIx64 ", %u clusters) is outside the file or has an absurd size",
			  path, s->rt_offset, s->rt_clusters);
		return -EINVAL;
	}
	if (ranges_overlap(s->l1_offset, (uint64_t)s->l1_size * 8, s->rt_offset, (uint64_t)s->rt_clusters * s->cs)) {
		log_error("%s: qcow2 L1 table overlaps the refcount table", path);
		return -EINVAL;
	}
	if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS || (s->nb_snapshots && ((s->snapshots_offset & (s->cs - 1)) ||
	    s->snapshots_offset == 0 || s->snapshots_offset >= fsize))) {
		log_error("%s: qcow2 snapshot table (%u entries at 0x%" PRIx64 ") is invalid", path,
			  s->nb_snapshots, s->snapshots_offset);
		return -EINVAL;
	}
	uint64_t bf_off = be64_at(h + 8);
	uint32_t bf_len = be32_at(h + 16);
	uint8_t *hc = malloc(s->cs);
	if (!hc)
		return -ENOMEM;
	ret = blk_file_pread(s->fd, hc, s->cs, 0);
	if (ret == 0)
		ret = parse_extensions(s, hc, bf_off && bf_off < s->cs ? bf_off : s->cs);
	if (ret == 0 && bf_off) {
		if (bf_len == 0 || bf_len > 1023 || bf_off + bf_len > s->cs) {
			log_error("%s: qcow2 backing file name (offset %" PRIu64 ", %u bytes) is invalid", path, bf_off, bf_len);
			ret = -EINVAL;
		} else {
			s->backing_file = strndup((const char *)hc + bf_off, bf_len);
		}
	}
	free(hc);
	return ret;
}

/* Everything an open image holds in memory; shared by a failed open and close. */
static void qcow2_state_free(struct qcow2 *s)
{
	qcow2_l2_invalidate(s);
	free(s->l2c);
	qcow2_snapshots_free(s);
	qcow2_refcount_free(s);
	free(s->l1);
	free(s->rt);
	free(s->cbuf);
	free(s->dcache);
	free(s->wr_old);
	free(s->backing_file);
	free(s->backing_fmt);
	free(s->backing_path);
	free(s);
}

static int qcow2_open(struct blk_dev *b, unsigned flags)
{
	struct qcow2 *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	b->priv = s;
	s->b = b;
	s->fd = b->fd;
	ret = read_header(s, flags);
	if (ret)
		goto err;
	s->l1 = calloc(MAX(s->l1_size, 1), 8);
	s->rt_entries = (uint64_t)s->rt_clusters * s->cs / 8;
	s->rt = calloc(s->rt_entries, 8);
	s->cbuf = malloc(s->cs);
	s->dcache = malloc(s->cs);
	s->wr_old = malloc(s->l2_entries * 8);
	s->l2c_n = (unsigned)MIN(1024, MAX(4, QCOW2_L2_CACHE_BYTES / s->cs));
	s->l2c = calloc(s->l2c_n, sizeof(*s->l2c));
	if (!s->l1 || !s->rt || !s->cbuf || !s->dcache || !s->wr_old || !s->l2c) {
		ret = -ENOMEM;
		goto err;
	}
	ret = blk_file_pread(s->fd, s->l1, (uint64_t)s->l1_size * 8, s->l1_offset);
	if (ret == 0)
		ret = blk_file_pread(s->fd, s->rt, s->rt_entries * 8, s->rt_offset);
	if (ret)
		goto err;
	for (uint32_t i = 0; i < s->l1_size; i++)
		s->l1[i] = be64toh(s->l1[i]);
	for (uint64_t i = 0; i < s->rt_entries; i++)
		s->rt[i] = be64toh(s->rt[i]);
	ret = qcow2_refcount_init(s);
	if (ret == 0)
		ret = qcow2_snapshots_load(s);
	if (ret == 0 && s->backing_file)
		ret = open_backing(s);
	if (ret)
		goto err;
	if (!b->readonly) {
		if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !(flags & BLK_OPEN_REPAIR)) {
			struct blk_check_result r;
			log_warn("%s: qcow2 image was not closed cleanly; repairing refcounts", b->path);
			ret = qcow2_check(b, BLK_FIX_LEAKS | BLK_FIX_ERRORS | BLK_CHECK_QUIET, &r);
			if (ret == 0 && r.corruptions > r.corruptions_fixed) {
				log_error("%s: qcow2 image is corrupt and could not be repaired", b->path);
				ret = -EIO;
			}
			if (ret)
				goto err;
		}
		if (s->autoclear) {	/* we do not maintain bitmaps: invalidate them (qemu's rule) */
			uint64_t z = 0;
			ret = qcow2_header_write(s, QH_AUTOCLEAR, &z, 8);
			s->autoclear = 0;
		}
		if (ret == 0)
			ret = qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, true);
		if (ret == 0)
			ret = qcow2_sync(s);
		if (ret)
			goto err;
	}
	return 0;
err:
	b->priv = NULL;
	qcow2_state_free(s);
	if (b->backing) {
		blk_close(b->backing);
		b->backing = NULL;
	}
	return ret;
}

static void qcow2_close(struct blk_dev *b)
{
	struct qcow2 *s = qcow2_of(b);

	if (!s)
		return;
	if (!b->readonly) {
		int ret = qcow2_pool_release(s);
		if (ret == 0)
			ret = qcow2_sync(s);
		/* Clean close: the refcounts are exact again. */
		if (ret == 0 && qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, false) == 0)
			qcow2_sync(s);
	}
	qcow2_state_free(s);
	b->priv = NULL;
}

unsigned qcow2_cluster_size(const struct blk_dev *b)
{
	return b->ops == &blk_qcow2_ops ? (unsigned)qcow2_of((struct blk_dev *)b)->cs : 0;
}

int qcow2_get_info(struct blk_dev *b, struct qcow2_info *info)
{
	if (b->ops != &blk_qcow2_ops)
		return -ENOTSUP;
	struct qcow2 *s = qcow2_of(b);
	memset(info, 0, sizeof(*info));
	info->version = s->version;
	info->cluster_size = (unsigned)s->cs;
	info->refcount_bits = 1u << s->refcount_order;
	info->dirty = s->incompat & QCOW2_INCOMPAT_DIRTY;
	info->corrupt = s->incompat & QCOW2_INCOMPAT_CORRUPT;
	info->lazy_refcounts = s->compat & QCOW2_COMPAT_LAZY;
	info->compression = s->compression ? "zstd" : "zlib";
	info->backing_file = s->backing_file;
	info->backing_fmt = s->backing_fmt;
	info->backing_path = s->backing_path;
	return 0;
}

const struct blk_ops blk_qcow2_ops = {
	.name = "qcow2",
	.open = qcow2_open,
	.pread = qcow2_pread,
	.pwrite = qcow2_pwrite,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.write_zeroes = qcow2_write_zeroes,
	.block_status = qcow2_block_status,
	.truncate = qcow2_truncate,
	.close = qcow2_close,
};
