/*
 * VMDK, read-only (for import and conversion): hosted sparse extents (monolithicSparse,
 * streamOptimized with compressed grains) and text descriptors with FLAT / SPARSE / ZERO extents
 * (monolithicFlat, twoGbMaxExtent*). VMware "Virtual Disk Format 1.1", sections 3-4.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "devices/block/block.h"
#include "vmm/util.h"

#define VMDK4_MAGIC	0x564d444bu	/* "KDMV" little-endian */
#define GD_AT_END	0xffffffffffffffffull
#define MAX_EXTENTS	64

enum ext_type { EXT_FLAT, EXT_SPARSE, EXT_ZERO };

struct vmdk_extent {
	enum ext_type type;
	int fd;			/* own fd, or the image's */
	bool own_fd;
	uint64_t start, sectors;	/* guest sectors covered */
	uint64_t flat_off;	/* FLAT: byte offset in the file */
	/* SPARSE */
	uint64_t grain;		/* sectors */
	uint32_t gtes;		/* entries per grain table */
	uint32_t *gd;		/* grain directory (sector offsets of tables) */
	uint64_t gd_entries;
	uint32_t *gt;		/* one cached grain table */
	uint64_t gt_sector;
	bool compressed;
	uint64_t fsize;
};

struct vmdk {
	struct vmdk_extent ext[MAX_EXTENTS];
	int n;
	uint8_t *gbuf;		/* one grain */
	uint64_t gbuf_sector;	/* grain cached in gbuf (file sector + 1), 0 none */
	struct vmdk_extent *gbuf_ext;
	uint64_t max_grain;
};

static uint32_t le32_at(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static uint64_t le64_at(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

static int sparse_open(struct vmdk *v, struct vmdk_extent *e, const char *path)
{
	uint8_t h[512];
	struct stat st;
	int ret = blk_file_pread(e->fd, h, 512, 0);

	if (ret)
		return ret;
	if (fstat(e->fd, &st))
		return -errno;
	e->fsize = (uint64_t)st.st_size;
	if (le32_at(h) != VMDK4_MAGIC) {
		log_error("%s: not a VMDK sparse extent (bad magic)", path);
		return -EINVAL;
	}
	uint32_t flags = le32_at(h + 8);
	uint64_t gd = le64_at(h + 56);
	if (gd == GD_AT_END) {	/* streamOptimized: the real header is in the footer */
		if (e->fsize < 1536 || (ret = blk_file_pread(e->fd, h, 512, e->fsize - 1024)))
			return ret ? ret : -EINVAL;
		if (le32_at(h) != VMDK4_MAGIC) {
			log_error("%s: VMDK stream footer not found", path);
			return -EINVAL;
		}
		flags = le32_at(h + 8);
		gd = le64_at(h + 56);
	}
	e->type = EXT_SPARSE;
	e->sectors = le64_at(h + 12);
	e->grain = le64_at(h + 20);
	e->gtes = le32_at(h + 44);
	e->compressed = (flags & (1u << 16)) && le32_at(h + 77) == 1;	/* bit 16 + deflate */
	if (e->grain < 1 || e->grain > 2048 || (e->grain & (e->grain - 1)) || e->gtes < 1 || e->gtes > 8192) {
		log_error("%s: VMDK grain size %" PRIu64 " or grain table size %u is invalid", path, e->grain, e->gtes);
		return -EINVAL;
	}
	uint64_t grains = e->sectors / e->grain + (e->sectors % e->grain != 0);
	e->gd_entries = grains / e->gtes + (grains % e->gtes != 0);
	if (e->sectors > (1ull << 44) || e->gd_entries * 4 > e->fsize || gd * 512 + e->gd_entries * 4 > e->fsize) {
		log_error("%s: VMDK capacity %" PRIu64 " sectors or grain directory at sector %" PRIu64 " is outside the file",
			  path, e->sectors, gd);
		return -EINVAL;
	}
	e->gd = malloc(MAX(e->gd_entries, 1) * 4);
	e->gt = malloc((size_t)e->gtes * 4);
	if (!e->gd || !e->gt)
		return -ENOMEM;
	ret = blk_file_pread(e->fd, e->gd, e->gd_entries * 4, gd * 512);
	for (uint64_t i = 0; i < e->gd_entries; i++)
		e->gd[i] = le32toh(e->gd[i]);
	e->gt_sector = 0;
	v->max_grain = MAX(v->max_grain, e->grain * 512);
	return ret;
}

/* Parse "RW 2048 FLAT "name" 0" lines of a text descriptor. */
static int descriptor_parse(struct blk_dev *b, struct vmdk *v, char *text)
{
	char dirbuf[PATH_MAX];
	uint64_t start = 0;

	snprintf(dirbuf, sizeof(dirbuf), "%s", b->path);
	const char *dir = dirname(dirbuf);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char access[16], type[16], name[PATH_MAX / 2];
		unsigned long long sectors, off = 0;
		int n = sscanf(line, "%15s %llu %15s \"%2047[^\"]\" %llu", access, &sectors, type, name, &off);
		if (n < 3 || (strcmp(access, "RW") && strcmp(access, "RDONLY") && strcmp(access, "NOACCESS")))
			continue;
		if (v->n >= MAX_EXTENTS) {
			log_error("%s: VMDK has more than %d extents", b->path, MAX_EXTENTS);
			return -EINVAL;
		}
		struct vmdk_extent *e = &v->ext[v->n++];
		e->fd = -1;
		e->start = start;
		e->sectors = sectors;
		if (strcmp(type, "ZERO") == 0) {
			e->type = EXT_ZERO;
		} else if (n >= 4 && (strcmp(type, "FLAT") == 0 || strcmp(type, "SPARSE") == 0)) {
			char path[PATH_MAX * 2];
			snprintf(path, sizeof(path), "%s%s%s", name[0] == '/' ? "" : dir, name[0] == '/' ? "" : "/", name);
			e->fd = open(path, O_RDONLY | O_CLOEXEC);
			if (e->fd < 0) {
				int err = -errno;
				log_error("%s: cannot open VMDK extent %s: %s", b->path, path, strerror(-err));
				return err;
			}
			e->own_fd = true;
			if (type[0] == 'F') {
				e->type = EXT_FLAT;
				e->flat_off = off * 512;
			} else {
				int ret = sparse_open(v, e, path);
				if (ret)
					return ret;
				e->sectors = sectors;
			}
		} else {
			log_error("%s: VMDK extent type %s is not supported (FLAT, SPARSE, ZERO)", b->path, type);
			return -ENOTSUP;
		}
		start += sectors;
	}
	if (v->n == 0) {
		log_error("%s: VMDK descriptor lists no extents", b->path);
		return -EINVAL;
	}
	b->size = start * 512;
	return 0;
}

static void vmdk_close(struct blk_dev *b)
{
	struct vmdk *v = b->priv;

	if (!v)
		return;
	for (int i = 0; i < v->n; i++) {
		if (v->ext[i].own_fd && v->ext[i].fd >= 0)
			close(v->ext[i].fd);
		free(v->ext[i].gd);
		free(v->ext[i].gt);
	}
	free(v->gbuf);
	free(v);
	b->priv = NULL;
}

static int vmdk_open(struct blk_dev *b, unsigned flags)
{
	struct vmdk *v = calloc(1, sizeof(*v));
	uint8_t magic[4];
	int ret;

	if (!v)
		return -ENOMEM;
	b->priv = v;
	if (!(flags & BLK_OPEN_RDONLY)) {
		log_error("%s: VMDK images are read-only here; add readonly, use --snapshot, or convert with 'minivmm-img convert -O qcow2'",
			  b->path);
		ret = -EROFS;
		goto err;
	}
	ret = blk_file_pread(b->fd, magic, 4, 0);
	if (ret)
		goto err;
	if (le32_at(magic) == VMDK4_MAGIC) {
		struct vmdk_extent *e = &v->ext[v->n++];
		e->fd = b->fd;
		ret = sparse_open(v, e, b->path);
		b->size = e->sectors * 512;
	} else {
		struct stat st;
		if (fstat(b->fd, &st) || st.st_size > (1 << 20)) {
			log_error("%s: VMDK descriptor is larger than 1 MiB", b->path);
			ret = -EINVAL;
			goto err;
		}
		char *text = calloc(1, (size_t)st.st_size + 1);
		if (!text) {
			ret = -ENOMEM;
			goto err;
		}
		ret = blk_file_pread(b->fd, text, (uint64_t)st.st_size, 0);
		if (ret == 0)
			ret = descriptor_parse(b, v, text);
		free(text);
	}
	if (ret)
		goto err;
	if (v->max_grain && !(v->gbuf = malloc(v->max_grain))) {
		ret = -ENOMEM;
		goto err;
	}
	return 0;
err:
	vmdk_close(b);
	return ret;
}

/* Read one whole grain (file sector gs) of a sparse extent into v->gbuf. */
static int grain_load(struct blk_dev *b, struct vmdk *v, struct vmdk_extent *e, uint64_t gs)
{
	uint64_t glen = e->grain * 512;
	int ret;

	if (v->gbuf_ext == e && v->gbuf_sector == gs + 1)
		return 0;
	v->gbuf_sector = 0;
	if (!e->compressed)
		return blk_file_pread(e->fd, v->gbuf, glen, gs * 512);
	/* streamOptimized grain: {u64 lba, u32 size} then zlib data (spec 4.1 "Grain markers"). */
	uint8_t m[12];
	ret = blk_file_pread(e->fd, m, 12, gs * 512);
	if (ret)
		return ret;
	uint32_t clen = le32_at(m + 8);
	if (clen > 2 * glen + 1024 || gs * 512 + 12 + clen > e->fsize) {
		log_guest("%s: VMDK compressed grain at sector %" PRIu64 " is invalid", b->path, gs);
		return -EIO;
	}
	uint8_t *in = malloc(clen);
	if (!in)
		return -ENOMEM;
	ret = blk_file_pread(e->fd, in, clen, gs * 512 + 12);
	uLongf out = glen;
	if (ret == 0 && (uncompress(v->gbuf, &out, in, clen) != Z_OK || out != glen)) {
		log_guest("%s: VMDK compressed grain at sector %" PRIu64 " does not decompress", b->path, gs);
		ret = -EIO;
	}
	free(in);
	if (ret == 0) {
		v->gbuf_ext = e;
		v->gbuf_sector = gs + 1;
	}
	return ret;
}

static int sparse_read(struct blk_dev *b, struct vmdk *v, struct vmdk_extent *e, uint8_t *buf, uint64_t len, uint64_t off)
{
	uint64_t glen = e->grain * 512, grain = off / glen, in = off % glen;
	uint64_t gdi = grain / e->gtes, gti = grain % e->gtes;
	int ret;

	if (gdi >= e->gd_entries || e->gd[gdi] == 0) {
		memset(buf, 0, len);
		return 0;
	}
	if (e->gt_sector != e->gd[gdi]) {
		e->gt_sector = 0;
		if ((uint64_t)e->gd[gdi] * 512 + e->gtes * 4ull > e->fsize) {
			log_guest("%s: VMDK grain table at sector %u is outside the file", b->path, e->gd[gdi]);
			return -EIO;
		}
		ret = blk_file_pread(e->fd, e->gt, e->gtes * 4ull, (uint64_t)e->gd[gdi] * 512);
		if (ret)
			return ret;
		for (uint32_t i = 0; i < e->gtes; i++)
			e->gt[i] = le32toh(e->gt[i]);
		e->gt_sector = e->gd[gdi];
	}
	uint64_t gs = e->gt[gti];
	if (gs <= 1) {		/* 0: unallocated, 1: zeroed grain */
		memset(buf, 0, len);
		return 0;
	}
	if (!e->compressed)
		return blk_file_pread(e->fd, buf, len, gs * 512 + in);
	ret = grain_load(b, v, e, gs);
	if (ret == 0)
		memcpy(buf, v->gbuf + in, len);
	return ret;
}

static int vmdk_pread(struct blk_dev *b, void *buf, uint64_t len, uint64_t off)
{
	struct vmdk *v = b->priv;
	uint8_t *p = buf;

	while (len) {
		struct vmdk_extent *e = NULL;
		for (int i = 0; i < v->n; i++)
			if (off >= v->ext[i].start * 512 && off < (v->ext[i].start + v->ext[i].sectors) * 512)
				e = &v->ext[i];
		if (!e)
			return -EIO;
		uint64_t eoff = off - e->start * 512, n = MIN(len, e->sectors * 512 - eoff);
		int ret;
		if (e->type == EXT_SPARSE)
			n = MIN(n, e->grain * 512 - eoff % (e->grain * 512));
		switch (e->type) {
		case EXT_ZERO:
			memset(p, 0, n);
			ret = 0;
			break;
		case EXT_FLAT:
			ret = blk_file_pread(e->fd, p, n, e->flat_off + eoff);
			break;
		default:
			ret = sparse_read(b, v, e, p, n, eoff);
			break;
		}
		if (ret)
			return ret;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int vmdk_pwrite(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off)
{
	return -EROFS;
}

static int vmdk_write_zeroes(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap)
{
	return -EROFS;
}

const struct blk_ops blk_vmdk_ops = {
	.name = "vmdk",
	.open = vmdk_open,
	.pread = vmdk_pread,
	.pwrite = vmdk_pwrite,
	.write_zeroes = vmdk_write_zeroes,
	.close = vmdk_close,
};
