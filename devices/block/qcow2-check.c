/*
 * qcow2 consistency check and repair, modelled on qemu-img check: rebuild the refcount of every
 * cluster from the metadata (header, L1/L2 of the active state and of every snapshot, refcount
 * structures, snapshot table), compare with the stored refcounts (more stored = leak, fewer =
 * corruption), then check the COPIED flags of the active tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

struct chk {
	struct qcow2 *s;
	struct blk_check_result *r;
	uint64_t *ref;		/* computed refcounts */
	uint64_t nref;
	uint64_t fsize;
	bool quiet;
	uint64_t last_host;	/* for fragmentation */
};

#define CHK_MSG(c, ...) do { if (!(c)->quiet) fprintf(stderr, __VA_ARGS__); } while (0)

static int chk_inc(struct chk *c, uint64_t off, uint64_t len)
{
	struct qcow2 *s = c->s;

	if (!len)
		return 0;
	uint64_t c0 = off >> s->cluster_bits, c1 = (off + len - 1) >> s->cluster_bits;
	uint64_t limit = MAX((c->fsize + s->cs - 1) >> s->cluster_bits, s->end_cluster) + 1;
	if (c1 >= limit || off + len < off) {
		CHK_MSG(c, "ERROR: reference to offset 0x%" PRIx64 " is beyond the end of the image file\n", off);
		c->r->corruptions++;
		return 0;
	}
	if (c1 >= c->nref) {
		uint64_t n = MAX(c1 + 1, c->nref * 2);
		uint64_t *p = realloc(c->ref, n * 8);
		if (!p)
			return -ENOMEM;
		memset(p + c->nref, 0, (n - c->nref) * 8);
		c->ref = p;
		c->nref = n;
	}
	for (uint64_t i = c0; i <= c1; i++)
		c->ref[i]++;
	return 0;
}

static int chk_l1(struct chk *c, const uint64_t *l1, uint32_t l1_size, bool active)
{
	struct qcow2 *s = c->s;
	uint64_t *t = malloc(s->cs);
	int ret = 0;

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < l1_size && !ret; i++) {
		uint64_t l2off = l1[i] & QCOW2_OFFSET_MASK;
		if (!l2off)
			continue;
		if ((l2off & (s->cs - 1)) || l2off + s->cs > ALIGN_UP(c->fsize, s->cs)) {
			CHK_MSG(c, "ERROR l2_offset=%" PRIx64 ": L2 table is misaligned or outside the image\n", l2off);
			c->r->corruptions++;
			continue;
		}
		ret = chk_inc(c, l2off, s->cs);
		if (ret == 0)
			ret = blk_file_pread(s->fd, t, s->cs, l2off);
		for (uint64_t j = 0; j < s->l2_entries && !ret; j++) {
			uint64_t e = be64toh(t[j]), off, len;
			switch (qcow2_entry_type(s, e)) {
			case QC_COMPRESSED:
				qcow2_compressed_range(s, e, &off, &len);
				if (active && (e & QCOW2_COPIED)) {
					CHK_MSG(c, "ERROR: coffset=0x%" PRIx64 ": copied flag must never be set for compressed clusters\n", off);
					c->r->corruptions++;
				}
				ret = chk_inc(c, off, len);
				if (active) {
					c->r->allocated_clusters++;
					c->r->compressed_clusters++;
				}
				break;
			case QC_NORMAL:
			case QC_ZERO_ALLOC:
				off = e & QCOW2_OFFSET_MASK;
				if (off & (s->cs - 1)) {
					CHK_MSG(c, "ERROR offset=%" PRIx64 ": Cluster is not properly aligned; L2 entry corrupted.\n", off);
					c->r->corruptions++;
					break;
				}
				ret = chk_inc(c, off, s->cs);
				if (active) {
					c->r->allocated_clusters++;
					if (c->last_host && off != c->last_host + s->cs)
						c->r->fragmented_clusters++;
					c->last_host = off;
				}
				break;
			default:
				break;
			}
		}
	}
	free(t);
	return ret;
}

/* COPIED must be set exactly when the refcount is 1 (active tables only). */
static int chk_copied(struct chk *c, unsigned fix)
{
	struct qcow2 *s = c->s;
	uint64_t *t = malloc(s->cs), rc;
	int ret = 0;

	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->l1_size && !ret; i++) {
		uint64_t l2off = s->l1[i] & QCOW2_OFFSET_MASK;
		bool changed = false;
		if (!l2off || (l2off & (s->cs - 1)) || l2off + s->cs > ALIGN_UP(c->fsize, s->cs))
			continue;
		ret = qcow2_refcount_get(s, l2off >> s->cluster_bits, &rc);
		if (ret)
			break;
		if ((rc == 1) != !!(s->l1[i] & QCOW2_COPIED)) {
			CHK_MSG(c, "ERROR OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
				i, s->l1[i], rc);
			c->r->corruptions++;
			if (fix & BLK_FIX_ERRORS) {
				s->l1[i] = rc == 1 ? l2off | QCOW2_COPIED : l2off;
				ret = qcow2_l1_write_entry(s, i);
				c->r->corruptions_fixed++;
			}
		}
		if (ret == 0)
			ret = blk_file_pread(s->fd, t, s->cs, l2off);
		for (uint64_t j = 0; j < s->l2_entries && !ret; j++) {
			uint64_t e = be64toh(t[j]);
			enum qcow2_type ty = qcow2_entry_type(s, e);
			if ((ty != QC_NORMAL && ty != QC_ZERO_ALLOC) || (e & (s->cs - 1) & ~1ull))
				continue;
			ret = qcow2_refcount_get(s, (e & QCOW2_OFFSET_MASK) >> s->cluster_bits, &rc);
			if (ret || (rc == 1) == !!(e & QCOW2_COPIED))
				continue;
			CHK_MSG(c, "ERROR OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64 "\n", e, rc);
			c->r->corruptions++;
			if ((fix & BLK_FIX_ERRORS) && rc) {
				t[j] = htobe64(rc == 1 ? e | QCOW2_COPIED : e & ~QCOW2_COPIED);
				changed = true;
				c->r->corruptions_fixed++;
			}
		}
		if (ret == 0 && changed)
			ret = blk_file_pwrite(s->fd, t, s->cs, l2off);
	}
	free(t);
	qcow2_l2_invalidate(s);
	return ret;
}

static int chk_pass(struct qcow2 *s, unsigned fix, struct blk_check_result *r, bool quiet)
{
	struct chk c = { .s = s, .r = r, .fsize = qcow2_file_size(s), .quiet = quiet };
	uint64_t rc, nstored;
	int ret;

	memset(r, 0, sizeof(*r));
	r->total_clusters = (s->b->size + s->cs - 1) >> s->cluster_bits;
	ret = chk_inc(&c, 0, s->cs);
	if (ret == 0)
		ret = chk_inc(&c, s->l1_offset, (uint64_t)s->l1_size * 8);
	if (ret == 0)
		ret = chk_l1(&c, s->l1, s->l1_size, true);
	for (uint32_t i = 0; i < s->nb_snapshots && !ret; i++) {
		struct qcow2_snap *sn = &s->snaps[i];
		uint64_t *l1 = calloc(MAX(sn->l1_size, 1), 8);
		if (!l1) {
			ret = -ENOMEM;
			break;
		}
		ret = blk_file_pread(s->fd, l1, (uint64_t)sn->l1_size * 8, sn->l1_offset);
		for (uint32_t k = 0; k < sn->l1_size; k++)
			l1[k] = be64toh(l1[k]);
		if (ret == 0)
			ret = chk_inc(&c, sn->l1_offset, (uint64_t)sn->l1_size * 8);
		if (ret == 0)
			ret = chk_l1(&c, l1, sn->l1_size, false);
		free(l1);
	}
	if (ret == 0 && s->nb_snapshots)
		ret = chk_inc(&c, s->snapshots_offset, s->snapshots_size);
	if (ret == 0)
		ret = chk_inc(&c, s->rt_offset, (uint64_t)s->rt_clusters * s->cs);
	for (uint64_t i = 0; i < s->rt_entries && !ret; i++) {
		uint64_t off = s->rt[i] & QCOW2_OFFSET_MASK;
		if (!off)
			continue;
		if ((s->rt[i] & (s->cs - 1)) || off + s->cs > ALIGN_UP(c.fsize, s->cs)) {
			CHK_MSG(&c, "ERROR refcount block %" PRIu64 " is misaligned or outside the image\n", i);
			r->corruptions++;
			continue;
		}
		ret = chk_inc(&c, off, s->cs);
	}
	if (ret == 0 && s->pool_n)	/* our own reservations, in use by this process */
		ret = chk_inc(&c, s->pool_start << s->cluster_bits, s->pool_n << s->cluster_bits);
	if (ret)
		goto out;

	nstored = MIN(s->rt_entries * s->rb_entries, MAX(s->end_cluster, c.nref));
	for (uint64_t i = 0; i < MAX(nstored, c.nref) && !ret; i++) {
		uint64_t want = i < c.nref ? c.ref[i] : 0;
		if (qcow2_refcount_get(s, i, &rc)) {
			r->check_errors++;
			continue;
		}
		if (want)
			r->image_end_offset = (i + 1) << s->cluster_bits;
		if (rc == want)
			continue;
		if (!want && i >= (c.fsize + s->cs - 1) >> s->cluster_bits) {
			/* Reservation past EOF left by a crash: qemu-img does not count these; just reclaim. */
			if (fix & BLK_FIX_LEAKS)
				ret = qcow2_refcount_set(s, i, 0);
			continue;
		}
		bool leak = rc > want;
		CHK_MSG(&c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64 "\n",
			leak ? "Leaked" : "ERROR", i, rc, want);
		if (leak)
			r->leaks++;
		else
			r->corruptions++;
		if ((fix & (leak ? BLK_FIX_LEAKS : BLK_FIX_ERRORS)) && want <= qcow2_refcount_max(s)) {
			ret = qcow2_refcount_set(s, i, want);
			if (ret == 0) {
				if (leak)
					r->leaks_fixed++;
				else
					r->corruptions_fixed++;
			}
		}
	}
	if (ret == 0)
		ret = chk_copied(&c, fix);
	if (ret == 0 && fix)
		ret = qcow2_sync(s);
out:
	free(c.ref);
	return ret;
}

int qcow2_check(struct blk_dev *b, unsigned fix, struct blk_check_result *r)
{
	struct qcow2 *s;
	struct blk_check_result again;
	bool quiet = fix & BLK_CHECK_QUIET;
	int ret;

	if (b->ops != &blk_qcow2_ops)
		return -ENOTSUP;
	s = qcow2_of(b);
	fix &= BLK_FIX_LEAKS | BLK_FIX_ERRORS;
	if (b->readonly)
		fix = 0;
	pthread_mutex_lock(&b->lock);
	ret = chk_pass(s, fix, r, quiet);
	/* Repairs may allocate refcount blocks; re-check until stable (as qemu double-checks). */
	for (int i = 0; i < 3 && ret == 0 && fix && (r->leaks_fixed || r->corruptions_fixed); i++) {
		ret = chk_pass(s, fix, &again, true);
		if (ret || (!again.leaks && !again.corruptions))
			break;
	}
	if (ret == 0 && fix && r->corruptions == r->corruptions_fixed && (s->incompat & QCOW2_INCOMPAT_CORRUPT)) {
		ret = qcow2_set_incompat(s, QCOW2_INCOMPAT_CORRUPT, false);
		if (ret == 0)
			ret = qcow2_sync(s);
	}
	pthread_mutex_unlock(&b->lock);
	return ret;
}
