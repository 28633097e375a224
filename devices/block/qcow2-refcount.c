/*
 * qcow2 refcounts and cluster allocation (qcow2.txt "Host cluster management").
 *
 * Refcount blocks are cached whole and written through entry by entry. Crash rule (qemu's): a
 * refcount is raised and made durable before anything points at the cluster, and lowered only
 * after the reference is gone, so a crash leaks clusters but never corrupts a mapping. Data
 * clusters come from a small pool reserved with one fdatasync; unused reservations are released at
 * close (a crash leaves them as leaks, which check -r leaks reclaims).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

uint64_t qcow2_refcount_max(const struct qcow2 *s)
{
	unsigned bits = 1u << s->refcount_order;

	return bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
}

static uint64_t rb_get(const struct qcow2 *s, const uint8_t *blk, uint64_t i)
{
	unsigned bits = 1u << s->refcount_order;

	if (bits >= 8) {
		unsigned bytes = bits / 8;
		uint64_t v = 0;
		for (unsigned k = 0; k < bytes; k++)
			v = (v << 8) | blk[i * bytes + k];
		return v;
	}
	unsigned per = 8 / bits;	/* sub-byte refcounts: least significant bits first */
	return (blk[i / per] >> ((i % per) * bits)) & ((1u << bits) - 1);
}

static void rb_set(const struct qcow2 *s, uint8_t *blk, uint64_t i, uint64_t v)
{
	unsigned bits = 1u << s->refcount_order;

	if (bits >= 8) {
		unsigned bytes = bits / 8;
		for (unsigned k = 0; k < bytes; k++)
			blk[i * bytes + k] = (uint8_t)(v >> (8 * (bytes - 1 - k)));
		return;
	}
	unsigned per = 8 / bits, sh = (unsigned)(i % per) * bits;
	blk[i / per] = (uint8_t)((blk[i / per] & ~(((1u << bits) - 1) << sh)) | (v << sh));
}

/* Byte span of entries [i, i+n) inside a block. */
static void rb_span(const struct qcow2 *s, uint64_t i, uint64_t n, uint64_t *off, uint64_t *len)
{
	uint64_t bits = 1u << s->refcount_order;

	*off = i * bits / 8;
	*len = ((i + n) * bits + 7) / 8 - *off;
}

int qcow2_refcount_init(struct qcow2 *s)
{
	s->rb_entries = s->cs * 8 >> s->refcount_order;
	s->rb = calloc(s->rt_entries, sizeof(*s->rb));
	if (!s->rb)
		return -ENOMEM;
	s->end_cluster = (qcow2_file_size(s) + s->cs - 1) >> s->cluster_bits;
	s->free_hint = 1;
	return 0;
}

void qcow2_refcount_free(struct qcow2 *s)
{
	if (s->rb)
		for (uint64_t i = 0; i < s->rt_entries; i++)
			free(s->rb[i]);
	free(s->rb);
	s->rb = NULL;
}

static int rb_load(struct qcow2 *s, uint64_t r)
{
	uint64_t off = s->rt[r] & QCOW2_OFFSET_MASK;

	if (s->rb[r])
		return 0;
	if ((s->rt[r] & (s->cs - 1)) || !qcow2_offset_valid(s, off)) {
		qcow2_signal_corruption(s, "refcount block %" PRIu64 " at 0x%" PRIx64 " is misaligned or outside the image",
					r, s->rt[r]);
		return -EIO;
	}
	uint8_t *blk = malloc(s->cs);
	if (!blk)
		return -ENOMEM;
	int ret = blk_file_pread(s->fd, blk, s->cs, off);
	if (ret) {
		free(blk);
		return ret;
	}
	s->rb[r] = blk;
	return 0;
}

int qcow2_refcount_get(struct qcow2 *s, uint64_t cluster, uint64_t *rc)
{
	uint64_t r = cluster / s->rb_entries;
	int ret;

	*rc = 0;
	if (r >= s->rt_entries || s->rt[r] == 0)
		return 0;
	ret = rb_load(s, r);
	if (ret)
		return ret;
	*rc = rb_get(s, s->rb[r], cluster % s->rb_entries);
	return 0;
}

static int rt_write_entry(struct qcow2 *s, uint64_t r)
{
	uint64_t be = htobe64(s->rt[r]);

	return blk_file_pwrite(s->fd, &be, 8, s->rt_offset + r * 8);
}

/*
 * Grow the refcount table so index need_idx exists. The new table and the refcount blocks that
 * describe it go at the end of the file; the header switches to it only once it is durable.
 */
static int grow_reftable(struct qcow2 *s, uint64_t need_idx)
{
	uint64_t per_cluster = s->cs / 8, T = s->end_cluster;
	uint64_t entries = ALIGN_UP(MAX(need_idx + 1, s->rt_entries * 2), per_cluster);
	uint64_t n, kb = 0;
	int ret;

	for (;;) {
		n = entries / per_cluster;
		uint64_t k = 0, first = T / s->rb_entries, last = (T + n + kb - 1) / s->rb_entries;
		for (uint64_t r = first; r <= last; r++)
			if (r >= s->rt_entries || s->rt[r] == 0)
				k++;
		if (last >= entries) {
			entries = ALIGN_UP(last + 1, per_cluster);
			continue;
		}
		if (k == kb)
			break;
		kb = k;
	}
	if (entries * 8 > QCOW2_MAX_RT_BYTES) {
		log_error("%s: qcow2 refcount table would exceed %u MiB", s->b->path, QCOW2_MAX_RT_BYTES >> 20);
		return -EFBIG;
	}
	uint64_t *nrt = calloc(entries, 8);
	uint8_t **nrb = calloc(entries, sizeof(*nrb));
	uint64_t *be = calloc(entries, 8);
	if (!nrt || !nrb || !be) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(nrt, s->rt, s->rt_entries * 8);
	memcpy(nrb, s->rb, s->rt_entries * sizeof(*nrb));
	/* New refcount blocks at T+n.., for ranges that have none. */
	uint64_t next = T + n, first = T / s->rb_entries, last = (T + n + kb - 1) / s->rb_entries;
	for (uint64_t r = first; r <= last; r++) {
		if (nrt[r])
			continue;
		nrb[r] = calloc(1, s->cs);
		if (!nrb[r]) {
			ret = -ENOMEM;
			goto out;
		}
		nrt[r] = next++ << s->cluster_bits;
	}
	/* Refcount 1 for the table and the new blocks; existing blocks are updated on disk too. */
	for (uint64_t c = T; c < T + n + kb; c++) {
		uint64_t r = c / s->rb_entries;
		if (r < s->rt_entries && s->rt[r]) {
			uint64_t bo, bl;
			ret = rb_load(s, r);
			if (ret)
				goto out;
			nrb[r] = s->rb[r];
			rb_set(s, nrb[r], c % s->rb_entries, 1);
			rb_span(s, c % s->rb_entries, 1, &bo, &bl);
			ret = blk_file_pwrite(s->fd, nrb[r] + bo, bl, nrt[r] + bo);
			if (ret)
				goto out;
		} else {
			rb_set(s, nrb[r], c % s->rb_entries, 1);
		}
	}
	for (uint64_t r = first; r <= last; r++) {
		if (r < s->rt_entries && s->rt[r])
			continue;
		ret = blk_file_pwrite(s->fd, nrb[r], s->cs, nrt[r]);
		if (ret)
			goto out;
	}
	for (uint64_t i = 0; i < entries; i++)
		be[i] = htobe64(nrt[i]);
	ret = blk_file_pwrite(s->fd, be, entries * 8, T << s->cluster_bits);
	if (ret || (ret = qcow2_sync(s)))
		goto out;
	struct __attribute__((packed)) { uint64_t off; uint32_t clusters; } h = {
		htobe64(T << s->cluster_bits), htobe32((uint32_t)n) };
	ret = qcow2_header_write(s, QH_RT_OFFSET, &h, sizeof(h));
	if (ret || (ret = qcow2_sync(s)))
		goto out;
	uint64_t old_off = s->rt_offset, old_n = s->rt_clusters;
	free(s->rt);
	free(s->rb);
	s->rt = nrt;
	s->rb = nrb;
	nrt = NULL;
	nrb = NULL;
	s->rt_entries = entries;
	s->rt_offset = T << s->cluster_bits;
	s->rt_clusters = (uint32_t)n;
	s->end_cluster = T + n + kb;
	ret = qcow2_refcount_add(s, old_off >> s->cluster_bits, old_n, -1);
out:
	free(nrt);
	free(nrb);
	free(be);
	return ret;
}

/* Make the refcount of cluster c addressable, creating its refcount block if needed. */
static int ensure_refblock(struct qcow2 *s, uint64_t c)
{
	uint64_t r = c / s->rb_entries;
	int ret;

	if (r >= s->rt_entries) {
		ret = grow_reftable(s, r);
		if (ret)
			return ret;
	}
	if (s->rt[r])
		return 0;
	if (r == 0) {
		qcow2_signal_corruption(s, "refcount block 0 (describing the header) is missing");
		return -EIO;
	}
	/* All clusters of a range without a block are free; the block describes itself. */
	uint64_t pos = MAX(r * s->rb_entries, s->end_cluster);
	if (pos >= (r + 1) * s->rb_entries)
		pos = r * s->rb_entries;
	uint8_t *blk = calloc(1, s->cs);
	if (!blk)
		return -ENOMEM;
	rb_set(s, blk, pos % s->rb_entries, 1);
	ret = blk_file_pwrite(s->fd, blk, s->cs, pos << s->cluster_bits);
	if (ret || (ret = qcow2_sync(s))) {
		free(blk);
		return ret;
	}
	s->rt[r] = pos << s->cluster_bits;
	ret = rt_write_entry(s, r);
	if (ret) {
		s->rt[r] = 0;
		free(blk);
		return ret;
	}
	s->rb[r] = blk;
	s->end_cluster = MAX(s->end_cluster, pos + 1);
	return 0;
}

int qcow2_refcount_add(struct qcow2 *s, uint64_t cluster, uint64_t n, int64_t delta)
{
	uint64_t max = qcow2_refcount_max(s);
	int ret;

	while (n) {
		uint64_t r = cluster / s->rb_entries, i = cluster % s->rb_entries;
		uint64_t cnt = MIN(n, s->rb_entries - i), bo, bl;

		if (delta > 0) {
			ret = ensure_refblock(s, cluster);
			if (ret)
				return ret;
		} else if (r >= s->rt_entries || s->rt[r] == 0) {
			qcow2_signal_corruption(s, "freeing cluster %" PRIu64 " which has no refcount block", cluster);
			return -EIO;
		}
		ret = rb_load(s, r);
		if (ret)
			return ret;
		uint8_t *blk = s->rb[r];
		for (uint64_t k = 0; k < cnt; k++) {
			uint64_t v = rb_get(s, blk, i + k);
			if (delta > 0 && max - v < (uint64_t)delta) {
				/* Not corruption: the image's refcount width is too small (e.g. snapshots with refcount_bits=1). */
				log_error("%s: refcount of cluster %" PRIu64 " would exceed %" PRIu64 " (refcount_bits %u too small)",
					  s->b->path, cluster + k, max, 1u << s->refcount_order);
				return -ERANGE;
			}
			if (delta < 0 && v < (uint64_t)-delta) {
				qcow2_signal_corruption(s, "refcount of cluster %" PRIu64 " would drop below zero", cluster + k);
				return -EIO;
			}
		}
		for (uint64_t k = 0; k < cnt; k++) {
			uint64_t v = rb_get(s, blk, i + k) + (uint64_t)delta;
			rb_set(s, blk, i + k, v);
			if (v == 0) {
				s->freed_since_flush = true;
				s->free_hint = MIN(s->free_hint, cluster + k);
			}
		}
		rb_span(s, i, cnt, &bo, &bl);
		ret = blk_file_pwrite(s->fd, blk + bo, bl, (s->rt[r] & QCOW2_OFFSET_MASK) + bo);
		if (ret)
			return ret;
		cluster += cnt;
		n -= cnt;
	}
	return 0;
}

int qcow2_refcount_set(struct qcow2 *s, uint64_t cluster, uint64_t value)
{
	uint64_t cur;
	int ret = ensure_refblock(s, cluster);

	if (ret || (ret = qcow2_refcount_get(s, cluster, &cur)))
		return ret;
	if (cur == value)
		return 0;
	return value > cur ? qcow2_refcount_add(s, cluster, 1, (int64_t)(value - cur))
			   : qcow2_refcount_add(s, cluster, 1, -(int64_t)(cur - value));
}

/*
 * n contiguous clusters at the end of the image, refcount 1. Ranges without a refcount block get
 * one placed just before the region (blocks first, then region), like grow_reftable does; the
 * blocks are durable before the table points at them.
 */
int qcow2_alloc_contig(struct qcow2 *s, uint64_t n, uint64_t *first)
{
	uint64_t rbe = s->rb_entries;
	int ret;

restart:
	for (;;) {
		uint64_t T = s->end_cluster, k = 0, rc;

		for (;;) {
			uint64_t last = (T + k + n - 1) / rbe, k2 = 0;
			if (last >= s->rt_entries) {
				ret = grow_reftable(s, last);
				if (ret)
					return ret;
				goto restart;
			}
			for (uint64_t r = T / rbe; r <= last; r++)
				k2 += s->rt[r] == 0;
			if (k2 == k)
				break;
			k = k2;
		}
		for (uint64_t c = T; c < T + k + n; c++) {
			ret = qcow2_refcount_get(s, c, &rc);
			if (ret)
				return ret;
			if (rc) {	/* leaked reservation past EOF from a crash */
				s->end_cluster = c + 1;
				goto restart;
			}
		}
		uint64_t r0 = T / rbe, r1 = (T + k + n - 1) / rbe, next = T;
		uint8_t **nb = calloc(r1 - r0 + 1, sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		ret = 0;
		for (uint64_t r = r0; r <= r1 && !ret; r++) {
			if (s->rt[r])
				ret = rb_load(s, r);
			else if (!(nb[r - r0] = calloc(1, s->cs)))
				ret = -ENOMEM;
		}
		uint64_t *boff = calloc(r1 - r0 + 1, 8);
		if (!boff)
			ret = -ENOMEM;
		for (uint64_t r = r0; r <= r1 && !ret; r++)
			if (!s->rt[r])
				boff[r - r0] = next++ << s->cluster_bits;
		for (uint64_t c = T; c < T + k + n && !ret; c++) {
			uint64_t r = c / rbe;
			rb_set(s, s->rt[r] ? s->rb[r] : nb[r - r0], c % rbe, 1);
		}
		/* Existing blocks first (leak-safe), then new blocks, sync, then the table entries. */
		for (uint64_t r = r0; r <= r1 && !ret; r++)
			ret = blk_file_pwrite(s->fd, s->rt[r] ? s->rb[r] : nb[r - r0], s->cs,
					      s->rt[r] ? (s->rt[r] & QCOW2_OFFSET_MASK) : boff[r - r0]);
		if (ret == 0 && k)
			ret = qcow2_sync(s);
		for (uint64_t r = r0; r <= r1 && !ret; r++) {
			if (s->rt[r])
				continue;
			s->rt[r] = boff[r - r0];
			s->rb[r] = nb[r - r0];
			nb[r - r0] = NULL;
			ret = rt_write_entry(s, r);
		}
		for (uint64_t r = r0; r <= r1; r++)
			free(nb[r - r0]);
		free(nb);
		free(boff);
		if (ret)
			return ret;
		s->end_cluster = T + k + n;
		*first = T + k;
		return 0;
	}
}

/* A run of free clusters below the end of the image, starting at free_hint. */
static int find_free_run(struct qcow2 *s, uint64_t want, uint64_t *first, uint64_t *got)
{
	uint64_t c, rc;
	int ret;

	*got = 0;
	for (c = s->free_hint; c < s->end_cluster; c++) {
		ret = qcow2_refcount_get(s, c, &rc);
		if (ret)
			return ret;
		if (rc == 0)
			break;
	}
	s->free_hint = c;
	if (c >= s->end_cluster)
		return 0;
	*first = c;
	while (c < s->end_cluster && *got < want) {
		ret = qcow2_refcount_get(s, c, &rc);
		if (ret)
			return ret;
		if (rc)
			break;
		c++;
		(*got)++;
	}
	return 0;
}

/*
 * Reused clusters must not be metadata we know about: with a wrong refcount the allocator would
 * otherwise hand out live tables (qemu's overlap check, for the cheap-to-know structures).
 */
static bool overlaps_metadata(struct qcow2 *s, uint64_t first, uint64_t n)
{
	uint64_t end = first + n, cb = s->cluster_bits;
	uint64_t l1c = ((uint64_t)s->l1_size * 8 + s->cs - 1) >> cb;
	uint64_t snc = (s->snapshots_size + s->cs - 1) >> cb;

	if (first == 0)
		return true;
	if (l1c && first < (s->l1_offset >> cb) + l1c && (s->l1_offset >> cb) < end)
		return true;
	if (first < (s->rt_offset >> cb) + s->rt_clusters && (s->rt_offset >> cb) < end)
		return true;
	if (snc && first < (s->snapshots_offset >> cb) + snc && (s->snapshots_offset >> cb) < end)
		return true;
	for (uint64_t i = 0; i < s->rt_entries; i++) {
		uint64_t c = (s->rt[i] & QCOW2_OFFSET_MASK) >> cb;
		if (c && c >= first && c < end)
			return true;
	}
	for (uint32_t i = 0; i < s->l1_size; i++) {
		uint64_t c = (s->l1[i] & QCOW2_OFFSET_MASK) >> cb;
		if (c && c >= first && c < end)
			return true;
	}
	return false;
}

static int pool_refill(struct qcow2 *s, uint64_t want)
{
	/* Reserve 4 MiB, doubling on each refill up to 64 MiB: one fdatasync per reservation. */
	uint64_t k = MAX(want, MIN(1024, MAX(16, ((4ull << 20) << MIN(s->pool_refills, 4)) >> s->cluster_bits)));
	uint64_t first, got = 0;
	int ret;

	if (s->free_hint < s->end_cluster) {
		if (s->freed_since_flush) {
			/* Reuse only clusters whose unmapping is durable. */
			ret = qcow2_sync(s);
			if (ret)
				return ret;
			s->freed_since_flush = false;
		}
		ret = find_free_run(s, k, &first, &got);
		if (ret)
			return ret;
		if (got) {
			for (uint64_t c = first; c < first + got; c++) {
				ret = ensure_refblock(s, c);
				if (ret)
					return ret;
			}
			uint64_t rc;
			for (uint64_t c = first; c < first + got; c++) {
				ret = qcow2_refcount_get(s, c, &rc);
				if (ret)
					return ret;
				if (rc) {	/* a new refcount block took it */
					got = c - first;
					break;
				}
			}
		}
	}
	if (got && overlaps_metadata(s, first, got)) {
		qcow2_signal_corruption(s, "clusters %" PRIu64 "..%" PRIu64 " have refcount 0 but hold metadata",
					first, first + got - 1);
		return -EIO;
	}
	if (got) {
		ret = qcow2_refcount_add(s, first, got, 1);
	} else {
		got = k;
		ret = qcow2_alloc_contig(s, k, &first);
	}
	if (ret || (ret = qcow2_sync(s)))
		return ret;
	s->pool_start = first;
	s->pool_n = got;
	s->pool_refills++;
	return 0;
}

int qcow2_alloc_data(struct qcow2 *s, uint64_t want, uint64_t *first, uint64_t *got)
{
	if (s->pool_n == 0) {
		int ret = pool_refill(s, want);
		if (ret)
			return ret;
	}
	*first = s->pool_start;
	*got = MIN(want, s->pool_n);
	s->pool_start += *got;
	s->pool_n -= *got;
	return 0;
}

int qcow2_pool_release(struct qcow2 *s)
{
	int ret = 0;

	if (s->pool_n)
		ret = qcow2_refcount_add(s, s->pool_start, s->pool_n, -1);
	s->pool_n = 0;
	return ret;
}

/* Byte-granular space for compressed clusters, packed into shared host clusters. */
int qcow2_alloc_bytes(struct qcow2 *s, uint64_t len, uint64_t *off)
{
	int ret;

	if (s->ccluster && s->cused + len <= s->cs) {
		ret = qcow2_refcount_add(s, s->ccluster, 1, 1);
		if (ret)
			return ret;
		*off = (s->ccluster << s->cluster_bits) + s->cused;
		s->cused += len;
		return 0;
	}
	uint64_t c;
	ret = qcow2_alloc_contig(s, 1, &c);
	if (ret)
		return ret;
	s->ccluster = c;
	s->cused = len;
	*off = c << s->cluster_bits;
	return 0;
}

/* Drop the references an L2 entry holds (after the entry itself has been replaced). */
int qcow2_free_entry(struct qcow2 *s, uint64_t l2e)
{
	if (l2e & QCOW2_COMPRESSED) {
		uint64_t off, len;
		qcow2_compressed_range(s, l2e, &off, &len);
		uint64_t c0 = off >> s->cluster_bits, c1 = (off + len - 1) >> s->cluster_bits;
		if (c0 == s->ccluster || c1 == s->ccluster)
			s->ccluster = 0;	/* never pack into a cluster that may be freed */
		return qcow2_refcount_add(s, c0, c1 - c0 + 1, -1);
	}
	uint64_t off = l2e & QCOW2_OFFSET_MASK;
	if (!off)
		return 0;
	return qcow2_refcount_add(s, off >> s->cluster_bits, 1, -1);
}

void qcow2_after_flush(struct qcow2 *s)
{
	s->freed_since_flush = false;
}
