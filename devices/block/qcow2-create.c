/*
 * qcow2 image creation: header (v2 or v3) + backing name in cluster 0, then the refcount table,
 * the refcount blocks that describe the metadata, and an empty L1 table (qemu's layout).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

static void put32(uint8_t *p, uint32_t v) { v = htobe32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htobe64(v); memcpy(p, &v, 8); }

/* Backing size and format when the caller gave none (relative names resolve next to the image). */
static int backing_probe(const char *img, const struct qcow2_create_opts *o, uint64_t *size, const char **fmt)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct blk_dev *bk;

	if (o->backing[0] == '/') {
		snprintf(path, sizeof(path), "%s", o->backing);
	} else {
		snprintf(dir, sizeof(dir), "%s", img);
		snprintf(path, sizeof(path), "%s/%s", dirname(dir), o->backing);
	}
	int ret = blk_open(path, o->backing_fmt, BLK_OPEN_RDONLY, &bk);
	if (ret) {
		log_error("%s: cannot open the backing file %s", img, path);
		return ret;
	}
	*size = blk_size(bk);
	*fmt = blk_format(bk);	/* static string */
	blk_close(bk);
	return 0;
}

int qcow2_create(const char *path, const struct qcow2_create_opts *o)
{
	uint64_t cs = o->cluster_size ? o->cluster_size : 65536, size = o->size;
	unsigned cb = (unsigned)__builtin_ctzll(cs), rbits = o->refcount_bits ? o->refcount_bits : 16;
	int version = o->version ? o->version : 3;
	const char *bfmt = o->backing_fmt;
	int ret;

	if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
		log_error("%s: cluster size %" PRIu64 " must be a power of two between 512 and 2M", path, cs);
		return -EINVAL;
	}
	if (o->compression && version < 3) {
		log_error("%s: compression_type=zstd needs compat=1.1", path);
		return -EINVAL;
	}
	if ((rbits & (rbits - 1)) || rbits > 64 || (version == 2 && rbits != 16)) {
		log_error("%s: refcount_bits %u invalid (power of two up to 64; 16 for compat=0.10)", path, rbits);
		return -EINVAL;
	}
	if (o->backing) {
		uint64_t bsize;
		const char *probed;
		if (strlen(o->backing) > 1023) {
			log_error("%s: backing file name too long", path);
			return -ENAMETOOLONG;
		}
		ret = backing_probe(path, o, &bsize, &probed);
		if (ret)
			return ret;
		if (!size)
			size = bsize;
		if (!bfmt)
			bfmt = probed;
	}
	uint64_t l2e = cs / 8, span = cs * l2e;
	uint64_t l1_size = size / span + (size % span != 0);
	if (l1_size * 8 > QCOW2_MAX_L1_BYTES) {
		log_error("%s: virtual size %" PRIu64 " is too large for cluster size %" PRIu64, path, size, cs);
		return -EFBIG;
	}
	uint64_t rbe = cs * 8 / rbits, l1c = (l1_size * 8 + cs - 1) / cs, rtc = 1, rbc = 1;
	for (;;) {	/* fixpoint: blocks must describe the header, table, blocks and L1 */
		uint64_t meta = 1 + rtc + rbc + l1c;
		uint64_t nrbc = (meta + rbe - 1) / rbe, nrtc = (nrbc * 8 + cs - 1) / cs;
		if (nrbc == rbc && nrtc == rtc)
			break;
		rbc = nrbc;
		rtc = nrtc;
	}
	uint64_t meta = 1 + rtc + rbc + l1c;
	uint8_t *buf = calloc(meta, cs);
	if (!buf)
		return -ENOMEM;
	uint8_t *h = buf;
	put32(h, QCOW2_MAGIC);
	put32(h + 4, (uint32_t)version);
	put32(h + 20, cb);
	put64(h + 24, size);
	put32(h + 36, (uint32_t)l1_size);
	put64(h + 40, (1 + rtc + rbc) * cs);
	put64(h + 48, cs);
	put32(h + 56, (uint32_t)rtc);
	uint64_t p = 72;
	if (version == 3) {
		put32(h + 96, (uint32_t)__builtin_ctz(rbits));
		put32(h + 100, 112);	/* header incl. compression_type byte, padded to 8 */
		if (o->compression == 1) {
			put64(h + QH_INCOMPAT, QCOW2_INCOMPAT_COMPRESS);
			h[104] = 1;
		}
		p = 112;
	}
	if (o->backing && bfmt) {
		size_t fl = strlen(bfmt);
		put32(h + p, 0xe2792aca);
		put32(h + p + 4, (uint32_t)fl);
		memcpy(h + p + 8, bfmt, fl);
		p += 8 + ALIGN_UP(fl, 8);
	}
	p += 8;	/* end-of-extensions marker (zeroes) */
	if (o->backing) {
		size_t bl = strlen(o->backing);
		if (p + bl > cs) {
			log_error("%s: backing file name does not fit in the header cluster", path);
			free(buf);
			return -EINVAL;
		}
		put64(h + 8, p);
		put32(h + 16, (uint32_t)bl);
		memcpy(h + p, o->backing, bl);
	}
	for (uint64_t i = 0; i < rbc; i++)
		put64(buf + cs + i * 8, (1 + rtc + i) * cs);
	/* Refcount 1 for clusters 0..meta-1, in blocks starting at cluster 1+rtc. */
	for (uint64_t c = 0; c < meta; c++) {
		uint8_t *blk = buf + (1 + rtc + c / rbe) * cs;
		uint64_t i = c % rbe;
		if (rbits >= 8)
			blk[i * (rbits / 8) + rbits / 8 - 1] = 1;
		else
			blk[i * rbits / 8] |= (uint8_t)(1u << (i * rbits % 8));
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		log_error("%s: cannot create: %s", path, strerror(-ret));
		free(buf);
		return ret;
	}
	ret = blk_file_pwrite(fd, buf, meta * cs, 0);
	if (ret == 0 && fdatasync(fd))
		ret = -errno;
	close(fd);
	free(buf);
	if (ret)
		log_error("%s: cannot write the qcow2 header: %s", path, strerror(-ret));
	return ret;
}
