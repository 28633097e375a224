/*
 * qcow2 internal snapshots (qcow2.txt "Snapshots"): a snapshot is a copy of the L1 table; every
 * cluster it reaches gets one more reference. Refcounts go up before a new reference is published
 * and down only after one is withdrawn, so a crash leaks but never frees a live cluster.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

#define SNAP_MAX_EXTRA		1024
#define SNAP_MAX_TABLE		(64u << 20)

void qcow2_snapshots_free(struct qcow2 *s)
{
	for (uint32_t i = 0; s->snaps && i < s->nb_snapshots; i++) {
		free(s->snaps[i].id);
		free(s->snaps[i].name);
	}
	free(s->snaps);
	s->snaps = NULL;
}

int qcow2_snapshots_load(struct qcow2 *s)
{
	uint64_t off = s->snapshots_offset, fsize = qcow2_file_size(s);
	uint8_t h[40];
	int ret;

	s->snaps = calloc(s->nb_snapshots + 1, sizeof(*s->snaps));
	if (!s->snaps)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nb_snapshots; i++) {
		struct qcow2_snap *sn = &s->snaps[i];
		if (off + 40 > fsize || off - s->snapshots_offset > SNAP_MAX_TABLE)
			goto bad;
		ret = blk_file_pread(s->fd, h, 40, off);
		if (ret)
			return ret;
		uint64_t v64;
		uint32_t v32;
		uint16_t id_len, name_len;
		memcpy(&v64, h, 8); sn->l1_offset = be64toh(v64);
		memcpy(&v32, h + 8, 4); sn->l1_size = be32toh(v32);
		memcpy(&id_len, h + 12, 2); id_len = be16toh(id_len);
		memcpy(&name_len, h + 14, 2); name_len = be16toh(name_len);
		memcpy(&v32, h + 16, 4); sn->date_sec = be32toh(v32);
		memcpy(&v32, h + 20, 4); sn->date_nsec = be32toh(v32);
		memcpy(&v64, h + 24, 8); sn->vm_clock_nsec = be64toh(v64);
		memcpy(&v32, h + 32, 4); sn->vm_state_size = be32toh(v32);
		memcpy(&v32, h + 36, 4); sn->extra_size = be32toh(v32);
		sn->disk_size = s->b->size;
		if (sn->extra_size > SNAP_MAX_EXTRA || (uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
		    (sn->l1_offset & (s->cs - 1)) || (sn->l1_size && sn->l1_offset + (uint64_t)sn->l1_size * 8 > fsize))
			goto bad;
		uint64_t var = sn->extra_size + id_len + name_len;
		uint8_t *p = malloc(var + 1);
		if (!p)
			return -ENOMEM;
		ret = blk_file_pread(s->fd, p, var, off + 40);
		if (ret) {
			free(p);
			return ret;
		}
		if (sn->extra_size >= 8) {
			memcpy(&v64, p, 8);
			sn->vm_state_size = MAX(sn->vm_state_size, be64toh(v64));
		}
		if (sn->extra_size >= 16) {
			memcpy(&v64, p + 8, 8);
			sn->disk_size = be64toh(v64);
		}
		sn->id = strndup((char *)p + sn->extra_size, id_len);
		sn->name = strndup((char *)p + sn->extra_size + id_len, name_len);
		free(p);
		off = ALIGN_UP(off + 40 + var, 8);
	}
	s->snapshots_size = off - s->snapshots_offset;
	return 0;
bad:
	log_error("%s: qcow2 snapshot table entry at 0x%" PRIx64 " is invalid or outside the file", s->b->path, off);
	return -EINVAL;
}

/* Serialise the table, write it to new clusters, switch the header to it, free the old one. */
static int snapshots_write(struct qcow2 *s, struct qcow2_snap *list, uint32_t n)
{
	uint64_t size = 0, c = 0, nclusters;
	int ret;

	for (uint32_t i = 0; i < n; i++)
		size += ALIGN_UP(40 + 16 + strlen(list[i].id) + strlen(list[i].name), 8);
	uint8_t *buf = calloc(1, size + 8);
	if (!buf)
		return -ENOMEM;
	uint8_t *p = buf;
	for (uint32_t i = 0; i < n; i++) {
		struct qcow2_snap *sn = &list[i];
		uint64_t v64;
		uint32_t v32;
		uint16_t v16;
		size_t il = strlen(sn->id), nl = strlen(sn->name);
		v64 = htobe64(sn->l1_offset); memcpy(p, &v64, 8);
		v32 = htobe32(sn->l1_size); memcpy(p + 8, &v32, 4);
		v16 = htobe16((uint16_t)il); memcpy(p + 12, &v16, 2);
		v16 = htobe16((uint16_t)nl); memcpy(p + 14, &v16, 2);
		v32 = htobe32(sn->date_sec); memcpy(p + 16, &v32, 4);
		v32 = htobe32(sn->date_nsec); memcpy(p + 20, &v32, 4);
		v64 = htobe64(sn->vm_clock_nsec); memcpy(p + 24, &v64, 8);
		v32 = htobe32((uint32_t)MIN(sn->vm_state_size, UINT32_MAX)); memcpy(p + 32, &v32, 4);
		v32 = htobe32(16); memcpy(p + 36, &v32, 4);
		v64 = htobe64(sn->vm_state_size); memcpy(p + 40, &v64, 8);
		v64 = htobe64(sn->disk_size); memcpy(p + 48, &v64, 8);
		memcpy(p + 56, sn->id, il);
		memcpy(p + 56 + il, sn->name, nl);
		p += ALIGN_UP(56 + il + nl, 8);
	}
	nclusters = (size + s->cs - 1) >> s->cluster_bits;
	if (nclusters) {
		ret = qcow2_alloc_contig(s, nclusters, &c);
		if (ret == 0)
			ret = blk_file_pwrite(s->fd, buf, size, c << s->cluster_bits);
		if (ret == 0)
			ret = qcow2_sync(s);
		if (ret)
			goto out;
	}
	struct __attribute__((packed)) { uint32_t nb; uint64_t off; } h = {
		htobe32(n), htobe64(nclusters ? c << s->cluster_bits : 0) };
	ret = qcow2_header_write(s, QH_NB_SNAPSHOTS, &h, sizeof(h));
	if (ret == 0)
		ret = qcow2_sync(s);
	if (ret)
		goto out;
	uint64_t old_off = s->snapshots_offset, old_n = (s->snapshots_size + s->cs - 1) >> s->cluster_bits;
	s->snapshots_offset = nclusters ? c << s->cluster_bits : 0;
	s->snapshots_size = size;
	if (old_off && old_n)
		ret = qcow2_refcount_add(s, old_off >> s->cluster_bits, old_n, -1);
out:
	free(buf);
	return ret;
}

/*
 * Add addend to the refcount of every cluster reachable from an L1 table, then recompute the
 * COPIED flags (set exactly when the refcount is 1) in its L2 tables and in l1 itself.
 */
int qcow2_update_l1_refcounts(struct qcow2 *s, uint64_t *l1, uint32_t l1_size, int addend)
{
	uint64_t *t = malloc(s->cs), rc;
	int ret = 0;

	if (!t)
		return -ENOMEM;
	qcow2_l2_invalidate(s);
	for (uint32_t i = 0; i < l1_size && !ret; i++) {
		uint64_t l2off = l1[i] & QCOW2_OFFSET_MASK;
		bool changed = false;
		if (!l2off)
			continue;
		if (!qcow2_offset_valid(s, l2off)) {
			qcow2_signal_corruption(s, "L2 table offset 0x%" PRIx64 " is invalid", l2off);
			ret = -EIO;
			break;
		}
		ret = blk_file_pread(s->fd, t, s->cs, l2off);
		if (ret == 0 && addend)
			ret = qcow2_refcount_add(s, l2off >> s->cluster_bits, 1, addend);
		for (uint64_t j = 0; j < s->l2_entries && !ret; j++) {
			uint64_t e = be64toh(t[j]), ne = e;
			switch (qcow2_entry_type(s, e)) {
			case QC_COMPRESSED:
				if (addend) {
					uint64_t o, l;
					qcow2_compressed_range(s, e, &o, &l);
					ret = qcow2_refcount_add(s, o >> s->cluster_bits,
								 ((o + l - 1) >> s->cluster_bits) - (o >> s->cluster_bits) + 1, addend);
				}
				break;
			case QC_NORMAL:
			case QC_ZERO_ALLOC:
				if (addend)
					ret = qcow2_refcount_add(s, (e & QCOW2_OFFSET_MASK) >> s->cluster_bits, 1, addend);
				if (ret == 0)
					ret = qcow2_refcount_get(s, (e & QCOW2_OFFSET_MASK) >> s->cluster_bits, &rc);
				if (ret == 0)
					ne = rc == 1 ? e | QCOW2_COPIED : e & ~QCOW2_COPIED;
				break;
			default:
				break;
			}
			if (ne != e) {
				t[j] = htobe64(ne);
				changed = true;
			}
		}
		if (ret == 0)
			ret = qcow2_refcount_get(s, l2off >> s->cluster_bits, &rc);
		if (ret == 0 && changed && rc >= 1)
			ret = blk_file_pwrite(s->fd, t, s->cs, l2off);
		l1[i] = rc == 1 ? l2off | QCOW2_COPIED : l2off;
	}
	free(t);
	return ret;
}

static int l1_write_all(struct qcow2 *s)
{
	uint64_t *be = calloc(MAX(s->l1_size, 1), 8);
	int ret;

	if (!be)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->l1_size; i++)
		be[i] = htobe64(s->l1[i]);
	ret = blk_file_pwrite(s->fd, be, (uint64_t)s->l1_size * 8, s->l1_offset);
	free(be);
	return ret ? ret : qcow2_sync(s);
}

static int snap_find(struct qcow2 *s, const char *key)
{
	for (uint32_t i = 0; i < s->nb_snapshots; i++)
		if (strcmp(s->snaps[i].id, key) == 0)
			return (int)i;
	for (uint32_t i = 0; i < s->nb_snapshots; i++)
		if (strcmp(s->snaps[i].name, key) == 0)
			return (int)i;
	return -1;
}

static struct qcow2 *qcow2_rw(struct blk_dev *b, int *ret)
{
	*ret = b->ops != &blk_qcow2_ops ? -ENOTSUP : b->readonly ? -EROFS : 0;
	return *ret ? NULL : qcow2_of(b);
}

int qcow2_snapshot_list(struct blk_dev *b, struct qcow2_snapshot_info **list, int *n)
{
	if (b->ops != &blk_qcow2_ops)
		return -ENOTSUP;
	struct qcow2 *s = qcow2_of(b);
	*list = calloc(s->nb_snapshots + 1, sizeof(**list));
	if (!*list)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nb_snapshots; i++) {
		struct qcow2_snapshot_info *o = &(*list)[i];
		snprintf(o->id, sizeof(o->id), "%s", s->snaps[i].id);
		snprintf(o->name, sizeof(o->name), "%s", s->snaps[i].name);
		o->vm_state_size = s->snaps[i].vm_state_size;
		o->date_sec = s->snaps[i].date_sec;
		o->date_nsec = s->snaps[i].date_nsec;
		o->vm_clock_nsec = s->snaps[i].vm_clock_nsec;
		o->disk_size = s->snaps[i].disk_size;
	}
	*n = (int)s->nb_snapshots;
	return 0;
}

int qcow2_snapshot_create(struct blk_dev *b, const char *name)
{
	int ret;
	struct qcow2 *s = qcow2_rw(b, &ret);
	uint64_t n, c = 0, next_id = 1;
	struct timespec ts;

	if (!s)
		return ret;
	if (strlen(name) > 1000 || snap_find(s, name) >= 0)
		return -EEXIST;
	if (qcow2_refcount_max(s) < 2) {
		log_error("%s: internal snapshots need refcount_bits >= 2 (this image has 1)", b->path);
		return -ERANGE;
	}
	if ((ret = qcow2_pool_release(s)) || (ret = qcow2_sync(s)))
		return ret;
	n = ((uint64_t)s->l1_size * 8 + s->cs - 1) >> s->cluster_bits;
	uint64_t *copy = calloc(MAX(n, 1), s->cs);
	if (!copy)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->l1_size; i++)
		copy[i] = htobe64(s->l1[i] & QCOW2_OFFSET_MASK);
	if (n) {
		ret = qcow2_alloc_contig(s, n, &c);
		if (ret == 0)
			ret = blk_file_pwrite(s->fd, copy, n * s->cs, c << s->cluster_bits);
	}
	free(copy);
	if (ret == 0)
		ret = qcow2_update_l1_refcounts(s, s->l1, s->l1_size, 1);
	if (ret == 0)
		ret = l1_write_all(s);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < s->nb_snapshots; i++)
		next_id = MAX(next_id, strtoull(s->snaps[i].id, NULL, 10) + 1);
	char id[32];
	snprintf(id, sizeof(id), "%" PRIu64, next_id);
	clock_gettime(CLOCK_REALTIME, &ts);
	struct qcow2_snap *list = realloc(s->snaps, (s->nb_snapshots + 2) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	s->snaps = list;
	list[s->nb_snapshots] = (struct qcow2_snap){
		.l1_offset = c << s->cluster_bits, .l1_size = s->l1_size, .id = strdup(id), .name = strdup(name),
		.date_sec = (uint32_t)ts.tv_sec, .date_nsec = (uint32_t)ts.tv_nsec, .disk_size = b->size,
	};
	ret = snapshots_write(s, list, s->nb_snapshots + 1);
	if (ret) {
		free(list[s->nb_snapshots].id);
		free(list[s->nb_snapshots].name);
		return ret;
	}
	s->nb_snapshots++;
	return 0;
}

static int snap_read_l1(struct qcow2 *s, const struct qcow2_snap *sn, uint64_t **l1)
{
	*l1 = calloc(MAX(sn->l1_size, 1), 8);
	if (!*l1)
		return -ENOMEM;
	int ret = blk_file_pread(s->fd, *l1, (uint64_t)sn->l1_size * 8, sn->l1_offset);
	for (uint32_t i = 0; i < sn->l1_size; i++)
		(*l1)[i] = be64toh((*l1)[i]);
	return ret;
}

int qcow2_snapshot_apply(struct blk_dev *b, const char *key)
{
	int ret;
	struct qcow2 *s = qcow2_rw(b, &ret);
	uint64_t *sl1 = NULL, *old = NULL;

	if (!s)
		return ret;
	int i = snap_find(s, key);
	if (i < 0)
		return -ENOENT;
	struct qcow2_snap *sn = &s->snaps[i];
	if ((ret = qcow2_pool_release(s)) || (ret = qcow2_sync(s)))
		return ret;
	if ((ret = qcow2_grow_l1(s, sn->l1_size)) || (ret = snap_read_l1(s, sn, &sl1)))
		goto out;
	ret = qcow2_update_l1_refcounts(s, sl1, sn->l1_size, 1);
	if (ret || !(old = malloc(MAX(s->l1_size, 1) * 8ull)))
		goto out;
	uint32_t old_size = s->l1_size;
	memcpy(old, s->l1, old_size * 8ull);
	for (uint32_t k = 0; k < s->l1_size; k++)
		s->l1[k] = k < sn->l1_size ? sl1[k] & QCOW2_OFFSET_MASK : 0;
	if ((ret = l1_write_all(s)))
		goto out;
	if ((ret = qcow2_update_l1_refcounts(s, old, old_size, -1)))
		goto out;
	if ((ret = qcow2_update_l1_refcounts(s, s->l1, s->l1_size, 0)) || (ret = l1_write_all(s)))
		goto out;
	if (sn->disk_size != b->size) {
		uint64_t be = htobe64(sn->disk_size);
		ret = qcow2_header_write(s, QH_SIZE, &be, 8);
		if (ret == 0)
			b->size = sn->disk_size;
	}
out:
	qcow2_l2_invalidate(s);
	free(sl1);
	free(old);
	return ret;
}

int qcow2_snapshot_delete(struct blk_dev *b, const char *key)
{
	int ret;
	struct qcow2 *s = qcow2_rw(b, &ret);
	uint64_t *sl1 = NULL;

	if (!s)
		return ret;
	int i = snap_find(s, key);
	if (i < 0)
		return -ENOENT;
	struct qcow2_snap sn = s->snaps[i];
	if ((ret = qcow2_pool_release(s)) || (ret = qcow2_sync(s)) || (ret = snap_read_l1(s, &sn, &sl1)))
		goto out;
	memmove(&s->snaps[i], &s->snaps[i + 1], (s->nb_snapshots - (uint32_t)i - 1) * sizeof(sn));
	s->nb_snapshots--;
	ret = snapshots_write(s, s->snaps, s->nb_snapshots);
	if (ret) {	/* still on disk: put it back */
		memmove(&s->snaps[i + 1], &s->snaps[i], (s->nb_snapshots - (uint32_t)i) * sizeof(sn));
		s->snaps[i] = sn;
		s->nb_snapshots++;
		goto out;
	}
	ret = qcow2_update_l1_refcounts(s, sl1, sn.l1_size, -1);
	if (ret == 0 && sn.l1_size)
		ret = qcow2_refcount_add(s, sn.l1_offset >> s->cluster_bits,
					 ((uint64_t)sn.l1_size * 8 + s->cs - 1) >> s->cluster_bits, -1);
	if (ret == 0)
		ret = qcow2_update_l1_refcounts(s, s->l1, s->l1_size, 0);
	if (ret == 0)
		ret = l1_write_all(s);
	free(sn.id);
	free(sn.name);
out:
	qcow2_l2_invalidate(s);
	free(sl1);
	return ret;
}
