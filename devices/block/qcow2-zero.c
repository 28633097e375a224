/*
 * qcow2 write-zeroes, discard, make-empty and block status (qcow2.txt "Cluster mapping": the v3
 * zero flag, unallocated entries reading from the backing file). Freed data clusters are punched
 * out of the host file once their unmapping is durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

/* Whole clusters [vc, vc+n) of one L2 table become unallocated or zero. */
static int zero_slice(struct qcow2 *s, uint64_t vc, uint64_t n, bool discard, bool may_unmap, bool full)
{
	uint64_t l1i = vc / s->l2_entries, *t, lo = UINT64_MAX, hi = 0;
	bool v3 = s->version >= 3, backing = s->b->backing != NULL;
	int ret;

	if (!(s->l1[l1i] & QCOW2_OFFSET_MASK) && (!backing || full))
		return 0;	/* nothing allocated here */
	if (!(s->l1[l1i] & QCOW2_OFFSET_MASK) && discard && !v3)
		return 0;
	ret = qcow2_l2_for_write(s, l1i, &t);
	if (ret)
		return ret;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t idx = (vc + i) % s->l2_entries, e = be64toh(t[idx]), ne;
		enum qcow2_type ty = qcow2_entry_type(s, e);

		s->wr_old[idx] = e;
		if (full)
			ne = 0;		/* make_empty: the backing file shows through */
		else if (!backing)
			ne = v3 && !discard && !may_unmap && (ty == QC_NORMAL || ty == QC_ZERO_ALLOC) && (e & QCOW2_COPIED) ? e | QCOW2_ZERO : 0;
		else if (v3)
			ne = !discard && !may_unmap && (ty == QC_NORMAL || ty == QC_ZERO_ALLOC) && (e & QCOW2_COPIED) ? e | QCOW2_ZERO : QCOW2_ZERO;
		else
			ne = e;		/* v2 over a backing file cannot say "zero" here */
		if (ne == e)
			continue;
		t[idx] = htobe64(ne);
		lo = MIN(lo, idx);
		hi = MAX(hi, idx);
	}
	if (lo > hi)
		return 0;
	ret = blk_file_pwrite(s->fd, t + lo, (hi - lo + 1) * 8, (s->l1[l1i] & QCOW2_OFFSET_MASK) + lo * 8);
	if (ret) {
		for (uint64_t i = lo; i <= hi; i++)
			t[i] = htobe64(s->wr_old[i]);
		return ret;
	}
	uint64_t npunch = 0, rc;
	for (uint64_t i = lo; i <= hi; i++) {
		uint64_t old = s->wr_old[i], ne = be64toh(t[i]);
		enum qcow2_type ty = qcow2_entry_type(s, old);
		if (ne == old || (ne & QCOW2_OFFSET_MASK))
			continue;
		if (ty == QC_COMPRESSED && s->dcache_off == (old | 1))
			s->dcache_off = 0;
		ret = qcow2_free_entry(s, old);
		if (ret)
			return ret;
		/* Remember freed data clusters (reusing wr_old) to give the space back to the host. */
		if ((ty == QC_NORMAL || ty == QC_ZERO_ALLOC) &&
		    qcow2_refcount_get(s, (old & QCOW2_OFFSET_MASK) >> s->cluster_bits, &rc) == 0 && rc == 0)
			s->wr_old[npunch++] = old & QCOW2_OFFSET_MASK;
	}
	if (npunch && qcow2_sync(s) == 0) {	/* the unmapping is durable before the data goes */
		s->freed_since_flush = false;
		for (uint64_t i = 0; i < npunch; i++)
			fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)s->wr_old[i], (off_t)s->cs);
	}
	return 0;
}

static int write_zero_bytes(struct blk_dev *b, uint64_t off, uint64_t len)
{
	struct qcow2 *s = qcow2_of(b);
	uint8_t *z = calloc(1, s->cs);
	int ret = z ? 0 : -ENOMEM;

	while (ret == 0 && len) {
		uint64_t n = MIN(len, s->cs - (off & (s->cs - 1)));
		ret = qcow2_pwrite(b, z, n, off);
		off += n;
		len -= n;
	}
	free(z);
	return ret;
}

static int zero_range(struct blk_dev *b, uint64_t off, uint64_t len, bool discard, bool may_unmap)
{
	struct qcow2 *s = qcow2_of(b);
	uint64_t start = ALIGN_UP(off, s->cs), end = ALIGN_DOWN(off + len, s->cs);
	int ret;

	if (off + len == b->size)
		end = ALIGN_UP(b->size, s->cs);	/* the partial last cluster counts as whole */
	if (start >= end) {
		/* No whole cluster: discard is advisory, write-zeroes writes zero bytes. */
		return discard ? 0 : write_zero_bytes(b, off, len);
	}
	if (!discard) {
		ret = write_zero_bytes(b, off, start - off);
		if (ret == 0 && end < off + len)
			ret = write_zero_bytes(b, end, off + len - end);
		if (ret)
			return ret;
		if (s->version < 3 && s->b->backing)	/* v2 has no zero flag */
			return write_zero_bytes(b, start, MIN(end, off + len) - start);
	}
	for (uint64_t vc = start >> s->cluster_bits; vc < end >> s->cluster_bits;) {
		uint64_t n = MIN((end >> s->cluster_bits) - vc, s->l2_entries - vc % s->l2_entries);
		ret = zero_slice(s, vc, n, discard, may_unmap, false);
		if (ret)
			return ret;
		vc += n;
	}
	return 0;
}

/* Unallocate every cluster (minivmm-img commit without -d, like qemu's bdrv_make_empty). */
int qcow2_make_empty(struct blk_dev *b)
{
	struct qcow2 *s = qcow2_of(b);
	uint64_t total = (b->size + s->cs - 1) >> s->cluster_bits;
	int ret = 0;

	if (b->ops != &blk_qcow2_ops || b->readonly)
		return -ENOTSUP;
	pthread_mutex_lock(&b->lock);
	for (uint64_t vc = 0; vc < total && !ret; vc += s->l2_entries - vc % s->l2_entries)
		ret = zero_slice(s, vc, MIN(total - vc, s->l2_entries - vc % s->l2_entries), true, true, true);
	if (ret == 0)
		ret = qcow2_sync(s);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

int qcow2_discard(struct blk_dev *b, uint64_t off, uint64_t len)
{
	return zero_range(b, off, len, true, true);
}

int qcow2_write_zeroes(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap)
{
	return zero_range(b, off, len, false, may_unmap);
}

static int status_of(struct qcow2 *s, uint64_t e)
{
	switch (qcow2_entry_type(s, e)) {
	case QC_UNALLOC:
		return s->b->backing ? BLK_STATUS_BACKING : BLK_STATUS_ZERO;
	case QC_ZERO_PLAIN:
	case QC_ZERO_ALLOC:
		return BLK_STATUS_ZERO;
	default:
		return BLK_STATUS_DATA;
	}
}

int qcow2_block_status(struct blk_dev *b, uint64_t off, uint64_t len, uint64_t *pnum)
{
	struct qcow2 *s = qcow2_of(b);
	uint64_t vc = off >> s->cluster_bits, e, n;
	int ret = qcow2_lookup(s, vc, &e), st;

	if (ret)
		return ret;
	st = status_of(s, e);
	n = MIN(len, s->cs - (off & (s->cs - 1)));
	while (n < len && n < (1ull << 30)) {
		if (qcow2_lookup(s, ++vc, &e) || status_of(s, e) != st)
			break;
		n += MIN(len - n, s->cs);
	}
	if (st == BLK_STATUS_BACKING) {
		uint64_t bsz = blk_size(b->backing);
		if (off >= bsz) {
			*pnum = n;
			return BLK_STATUS_ZERO | BLK_STATUS_BACKING;
		}
		n = MIN(n, bsz - off);
		ret = blk_block_status(b->backing, off, n, pnum);
		return ret < 0 ? ret : ret | BLK_STATUS_BACKING;
	}
	*pnum = n;
	return st;
}

