/*
 * qcow2 guest I/O: L1/L2 lookup with a small L2 cache, allocating writes with copy-on-write of
 * shared (snapshot) and backing clusters, zero clusters, discard, block status and resize.
 *
 * Zeroes/discard live in qcow2-zero.c, compressed writes in qcow2-compress.c.
 *
 * Write order per L2 table (qcow2.txt, qemu's rule): data clusters (refcount already durable, from
 * the pool) -> L2 entries -> refcount decrements of what they replaced. A new L2 table is written
 * and synced before the L1 entry that points at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

enum qcow2_type qcow2_entry_type(const struct qcow2 *s, uint64_t e)
{
	if (e & QCOW2_COMPRESSED)
		return QC_COMPRESSED;
	if (s->version >= 3 && (e & QCOW2_ZERO))
		return (e & QCOW2_OFFSET_MASK) ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
	return (e & QCOW2_OFFSET_MASK) ? QC_NORMAL : QC_UNALLOC;
}

int qcow2_l2_load(struct qcow2 *s, uint64_t l2_off, uint64_t **t)
{
	struct qcow2_l2c *slot = &s->l2c[(l2_off >> s->cluster_bits) % s->l2c_n];

	/* Direct-mapped: neighbouring L2 tables land in neighbouring slots. */
	if (slot->off == l2_off && l2_off) {
		*t = slot->t;
		return 0;
	}
	if (!qcow2_offset_valid(s, l2_off)) {
		qcow2_signal_corruption(s, "L2 table offset 0x%" PRIx64 " is misaligned or outside the image", l2_off);
		return -EIO;
	}
	if (!slot->t && !(slot->t = malloc(s->cs)))
		return -ENOMEM;
	slot->off = 0;
	int ret = blk_file_pread(s->fd, slot->t, s->cs, l2_off);
	if (ret)
		return ret;
	slot->off = l2_off;
	*t = slot->t;
	return 0;
}

void qcow2_l2_invalidate(struct qcow2 *s)
{
	for (unsigned i = 0; s->l2c && i < s->l2c_n; i++) {
		free(s->l2c[i].t);
		s->l2c[i].t = NULL;
		s->l2c[i].off = 0;
	}
	s->dcache_off = 0;
}

int qcow2_l1_write_entry(struct qcow2 *s, uint64_t idx)
{
	uint64_t be = htobe64(s->l1[idx]);

	return blk_file_pwrite(s->fd, &be, 8, s->l1_offset + idx * 8);
}

/* Entry for guest cluster vc (0 when unallocated). */
int qcow2_lookup(struct qcow2 *s, uint64_t vc, uint64_t *e)
{
	uint64_t l1i = vc / s->l2_entries, *t;
	int ret;

	*e = 0;
	if (l1i >= s->l1_size || !(s->l1[l1i] & QCOW2_OFFSET_MASK))
		return 0;
	ret = qcow2_l2_load(s, s->l1[l1i] & QCOW2_OFFSET_MASK, &t);
	if (ret)
		return ret;
	*e = be64toh(t[vc % s->l2_entries]);
	if (qcow2_entry_type(s, *e) == QC_NORMAL && (*e & (s->cs - 1) & ~1ull)) {
		qcow2_signal_corruption(s, "data cluster offset 0x%" PRIx64 " is not cluster aligned", *e);
		return -EIO;
	}
	return 0;
}

/* The L2 table for L1 index l1i, allocated or copied (if shared with a snapshot) for writing. */
int qcow2_l2_for_write(struct qcow2 *s, uint64_t l1i, uint64_t **t)
{
	uint64_t l1e = s->l1[l1i], old = l1e & QCOW2_OFFSET_MASK, c, *src = NULL;
	int ret;

	if (old && (l1e & QCOW2_COPIED))
		return qcow2_l2_load(s, old, t);
	if (old) {
		ret = qcow2_l2_load(s, old, &src);
		if (ret)
			return ret;
	}
	ret = qcow2_alloc_contig(s, 1, &c);
	if (ret)
		return ret;
	if (src)
		memcpy(s->cbuf, src, s->cs);
	else
		memset(s->cbuf, 0, s->cs);
	ret = blk_file_pwrite(s->fd, s->cbuf, s->cs, c << s->cluster_bits);
	if (ret == 0)
		ret = qcow2_sync(s);
	if (ret)
		return ret;
	s->l1[l1i] = (c << s->cluster_bits) | QCOW2_COPIED;
	ret = qcow2_l1_write_entry(s, l1i);
	if (ret) {
		s->l1[l1i] = l1e;
		return ret;
	}
	if (old)
		ret = qcow2_refcount_add(s, old >> s->cluster_bits, 1, -1);
	if (ret)
		return ret;
	return qcow2_l2_load(s, c << s->cluster_bits, t);
}

static int backing_read(struct qcow2 *s, void *buf, uint64_t len, uint64_t off)
{
	struct blk_dev *bk = s->b->backing;
	uint64_t bsz = bk ? blk_size(bk) : 0, n = 0;

	if (off < bsz) {
		n = MIN(len, bsz - off);
		int ret = blk_pread(bk, buf, n, off);
		if (ret)
			return ret;
	}
	memset((uint8_t *)buf + n, 0, len - n);
	return 0;
}

/* Read part of one guest cluster whose entry is e. */
static int read_cluster(struct qcow2 *s, uint64_t e, uint8_t *buf, uint64_t in, uint64_t n, uint64_t voff)
{
	int ret;

	switch (qcow2_entry_type(s, e)) {
	case QC_UNALLOC:
		return backing_read(s, buf, n, voff);
	case QC_ZERO_PLAIN:
	case QC_ZERO_ALLOC:
		memset(buf, 0, n);
		return 0;
	case QC_COMPRESSED:
		if (s->dcache_off != (e | 1)) {
			s->dcache_off = 0;
			ret = qcow2_decompress(s, e, s->dcache);
			if (ret)
				return ret;
			s->dcache_off = e | 1;
		}
		memcpy(buf, s->dcache + in, n);
		return 0;
	case QC_NORMAL:
		return blk_file_pread(s->fd, buf, n, (e & QCOW2_OFFSET_MASK) + in);
	}
	return -EIO;
}

int qcow2_pread(struct blk_dev *b, void *buf, uint64_t len, uint64_t off)
{
	struct qcow2 *s = qcow2_of(b);
	uint8_t *p = buf;
	int ret;

	while (len) {
		uint64_t vc = off >> s->cluster_bits, in = off & (s->cs - 1), n = MIN(len, s->cs - in), e;

		ret = qcow2_lookup(s, vc, &e);
		if (ret)
			return ret;
		if (qcow2_entry_type(s, e) == QC_NORMAL) {
			/* Coalesce host-contiguous clusters into one read. */
			uint64_t host = (e & QCOW2_OFFSET_MASK) + in, e2;
			while (n < len && (vc + 1) % s->l2_entries) {
				if (qcow2_lookup(s, vc + 1, &e2) || qcow2_entry_type(s, e2) != QC_NORMAL ||
				    (e2 & QCOW2_OFFSET_MASK) != host + n)
					break;
				vc++;
				n += MIN(len - n, s->cs);
			}
			ret = blk_file_pread(s->fd, p, n, host);
		} else {
			ret = read_cluster(s, e, p, in, n, off);
		}
		if (ret)
			return ret;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

struct wrun { uint64_t host; const uint8_t *src; uint64_t len; };

static int wrun_flush(struct qcow2 *s, struct wrun *r)
{
	int ret = r->len ? blk_file_pwrite(s->fd, r->src, r->len, r->host) : 0;

	r->len = 0;
	return ret;
}

static int wrun_add(struct qcow2 *s, struct wrun *r, uint64_t host, const uint8_t *src, uint64_t len)
{
	if (r->len && r->host + r->len == host && r->src + r->len == src) {
		r->len += len;
		return 0;
	}
	int ret = wrun_flush(s, r);
	r->host = host;
	r->src = src;
	r->len = len;
	return ret;
}

/* Write [off, off+len) lying inside one L2 table. */
static int write_slice(struct qcow2 *s, const uint8_t *p, uint64_t len, uint64_t off)
{
	uint64_t vc0 = off >> s->cluster_bits, l1i = vc0 / s->l2_entries, *t;
	uint64_t lo = UINT64_MAX, hi = 0;
	struct wrun run = { 0 };
	bool copied_old = false, l2_tried = false;
	int ret = qcow2_l2_for_write(s, l1i, &t);

	if (ret)
		return ret;
	while (len) {
		uint64_t vc = off >> s->cluster_bits, idx = vc % s->l2_entries;
		uint64_t in = off & (s->cs - 1), n = MIN(len, s->cs - in);
		uint64_t e = be64toh(t[idx]), host;
		enum qcow2_type ty = qcow2_entry_type(s, e);

		s->wr_old[idx] = e;
		if (ty == QC_NORMAL && (e & QCOW2_COPIED)) {
			ret = wrun_add(s, &run, (e & QCOW2_OFFSET_MASK) + in, p, n);
		} else {
			uint64_t got = 1;
			if (ty == QC_ZERO_ALLOC && (e & QCOW2_COPIED))
				host = e & QCOW2_OFFSET_MASK;	/* preallocated zero cluster: reuse it */
			else if ((ret = qcow2_alloc_data(s, 1, &host, &got)))
				goto fail;
			else
				host <<= s->cluster_bits;
			if (n == s->cs) {
				ret = wrun_add(s, &run, host, p, n);
			} else {
				/* Partial cluster: merge with what the guest saw there before. */
				ret = wrun_flush(s, &run);
				if (ret == 0)
					ret = read_cluster(s, e, s->cbuf, 0, s->cs, off - in);
				if (ret == 0) {
					memcpy(s->cbuf + in, p, n);
					ret = blk_file_pwrite(s->fd, s->cbuf, s->cs, host);
				}
				copied_old |= ty == QC_NORMAL || ty == QC_COMPRESSED || (ty == QC_UNALLOC && s->b->backing);
			}
			t[idx] = htobe64(host | QCOW2_COPIED);
			lo = MIN(lo, idx);
			hi = MAX(hi, idx);
		}
		if (ret)
			goto fail;
		p += n;
		off += n;
		len -= n;
	}
	ret = wrun_flush(s, &run);
	if (ret || lo > hi)
		goto fail_or_done;
	if (copied_old && (ret = qcow2_sync(s)))	/* old data copied before the mapping moves */
		goto fail;
	ret = blk_file_pwrite(s->fd, t + lo, (hi - lo + 1) * 8, (s->l1[l1i] & QCOW2_OFFSET_MASK) + lo * 8);
	if (ret) {
		l2_tried = true;	/* the entries may be on disk: keep their clusters (a leak at worst) */
		goto fail;
	}
	for (uint64_t i = lo; i <= hi; i++) {
		uint64_t old = s->wr_old[i];
		if (be64toh(t[i]) == old)
			continue;
		if (qcow2_entry_type(s, old) == QC_COMPRESSED && s->dcache_off == (old | 1))
			s->dcache_off = 0;
		if (!(qcow2_entry_type(s, old) == QC_ZERO_ALLOC && (old & QCOW2_COPIED))) {
			ret = qcow2_free_entry(s, old);
			if (ret)
				return ret;
		}
	}
	return 0;
fail_or_done:
	if (!ret)
		return 0;
fail:
	/*
	 * Data write failed (ENOSPC, EIO): nothing on disk points at the new clusters, so restore the
	 * cached entries and hand the clusters back.
	 */
	for (uint64_t i = lo; lo <= hi && i <= hi; i++) {
		uint64_t ne = be64toh(t[i]), old = s->wr_old[i];
		t[i] = htobe64(old);
		if (!l2_tried && ne != old && (ne & QCOW2_OFFSET_MASK) != (old & QCOW2_OFFSET_MASK))
			qcow2_refcount_add(s, (ne & QCOW2_OFFSET_MASK) >> s->cluster_bits, 1, -1);
	}
	return ret;
}

int qcow2_pwrite(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off)
{
	struct qcow2 *s = qcow2_of(b);
	const uint8_t *p = buf;
	uint64_t span = s->cs * s->l2_entries;

	while (len) {
		uint64_t n = MIN(len, span - off % span);
		int ret = write_slice(s, p, n, off);
		if (ret)
			return ret;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int qcow2_flush(struct blk_dev *b)
{
	struct qcow2 *s = qcow2_of(b);
	int ret = qcow2_sync(s);

	if (ret == 0)
		qcow2_after_flush(s);
	return ret;
}

/* Move the L1 table to a bigger place (qemu's qcow2_grow_l1_table order). */
int qcow2_grow_l1(struct qcow2 *s, uint64_t min_size)
{
	uint64_t nclusters = (min_size * 8 + s->cs - 1) >> s->cluster_bits, c;
	int ret;

	if (min_size <= s->l1_size)
		return 0;
	if (min_size * 8 > QCOW2_MAX_L1_BYTES)
		return -EFBIG;
	uint64_t *nl1 = calloc(nclusters, s->cs);
	if (!nl1)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->l1_size; i++)
		nl1[i] = htobe64(s->l1[i]);
	ret = qcow2_alloc_contig(s, nclusters, &c);
	if (ret == 0)
		ret = blk_file_pwrite(s->fd, nl1, nclusters * s->cs, c << s->cluster_bits);
	if (ret == 0)
		ret = qcow2_sync(s);
	if (ret)
		goto out;
	struct __attribute__((packed)) { uint32_t size; uint64_t off; } h = {
		htobe32((uint32_t)min_size), htobe64(c << s->cluster_bits) };
	ret = qcow2_header_write(s, QH_L1_SIZE, &h, sizeof(h));
	if (ret == 0)
		ret = qcow2_sync(s);
	if (ret)
		goto out;
	uint64_t old_off = s->l1_offset, old_n = ((uint64_t)s->l1_size * 8 + s->cs - 1) >> s->cluster_bits;
	for (uint64_t i = 0; i < min_size; i++)
		nl1[i] = be64toh(nl1[i]);
	free(s->l1);
	s->l1 = nl1;
	nl1 = NULL;
	s->l1_size = (uint32_t)min_size;
	s->l1_offset = c << s->cluster_bits;
	if (old_n && old_off)
		ret = qcow2_refcount_add(s, old_off >> s->cluster_bits, old_n, -1);
out:
	free(nl1);
	return ret;
}

int qcow2_truncate(struct blk_dev *b, uint64_t size, bool allow_shrink)
{
	struct qcow2 *s = qcow2_of(b);
	uint64_t span = s->cs * s->l2_entries;
	int ret;

	if (size < b->size) {
		log_error("%s: shrinking qcow2 images is not supported", b->path);
		return -ENOTSUP;
	}
	ret = qcow2_grow_l1(s, size / span + (size % span != 0));
	if (ret)
		return ret;
	uint64_t be = htobe64(size);
	ret = qcow2_header_write(s, QH_SIZE, &be, 8);
	if (ret == 0)
		ret = qcow2_sync(s);
	if (ret == 0)
		b->size = size;
	return ret;
}

