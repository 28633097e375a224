/*
 * qcow2 compressed clusters (qcow2.txt "Compressed Clusters Descriptor"): raw deflate with a 4 KiB
 * window (zlib, compression_type 0) or one zstd frame (compression_type 1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "devices/block/qcow2.h"
#include "vmm/util.h"

/* Host byte range of a compressed entry: offset, then sector count minus one above bit x. */
void qcow2_compressed_range(const struct qcow2 *s, uint64_t l2e, uint64_t *off, uint64_t *len)
{
	unsigned x = 62 - (s->cluster_bits - 8);
	uint64_t nsec = ((l2e >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;

	*off = l2e & ((1ull << x) - 1);
	*len = nsec * 512 - (*off & 511);
}

static int inflate_raw(const uint8_t *in, uint64_t inlen, uint8_t *out, uint64_t outlen)
{
	z_stream z = { 0 };
	int ret;

	if (inflateInit2(&z, -12) != Z_OK)
		return -ENOMEM;
	z.next_in = (uint8_t *)in;
	z.avail_in = (uInt)inlen;
	z.next_out = out;
	z.avail_out = (uInt)outlen;
	ret = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	/* Trailing sector padding is fine; the output must be one whole cluster. */
	if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && z.avail_out == 0)
		return 0;
	return -EIO;
}

static int unzstd(const uint8_t *in, uint64_t inlen, uint8_t *out, uint64_t outlen)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	ZSTD_outBuffer ob = { out, outlen, 0 };
	int ret = -EIO;

	if (!d)
		return -ENOMEM;
	while (ob.pos < ob.size) {
		size_t r = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(r))
			break;
		if (ob.pos == ob.size) {
			ret = 0;
			break;
		}
		if (r == 0 || ib.pos == ib.size)
			break;	/* frame ended early or input exhausted */
	}
	ZSTD_freeDCtx(d);
	return ret;
}

int qcow2_decompress(struct qcow2 *s, uint64_t l2e, uint8_t *out)
{
	uint64_t off, len;
	int ret;

	qcow2_compressed_range(s, l2e, &off, &len);
	if (off == 0 || off + len > qcow2_file_size(s) + 512) {
		qcow2_signal_corruption(s, "compressed cluster at 0x%" PRIx64 " (+%" PRIu64 ") is outside the image", off, len);
		return -EIO;
	}
	uint8_t *in = malloc(len);
	if (!in)
		return -ENOMEM;
	ret = blk_file_pread(s->fd, in, len, off);	/* a short last sector reads as zeroes */
	if (ret == 0)
		ret = s->compression ? unzstd(in, len, out, s->cs) : inflate_raw(in, len, out, s->cs);
	free(in);
	if (ret == -EIO)
		qcow2_signal_corruption(s, "compressed cluster at 0x%" PRIx64 " does not decompress", off);
	return ret;
}

/* Compress one cluster; returns the size, or 0 if it does not fit in cap bytes. */
long qcow2_compress(struct qcow2 *s, const uint8_t *in, uint8_t *out, uint64_t cap)
{
	if (s->compression) {
		size_t r = ZSTD_compress(out, cap, in, s->cs, 3);
		return ZSTD_isError(r) ? 0 : (long)r;
	}
	z_stream z = { 0 };
	long n = 0;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (uint8_t *)in;
	z.avail_in = (uInt)s->cs;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		n = (long)(cap - z.avail_out);
	deflateEnd(&z);
	return n;
}

/* One whole guest cluster written compressed (minivmm-img convert -c). */
int qcow2_write_compressed(struct blk_dev *b, const void *buf, uint64_t off)
{
	struct qcow2 *s = qcow2_of(b);
	uint64_t l1i, *t, idx, coff, e;
	uint8_t *out;
	long clen;
	int ret;

	if (b->ops != &blk_qcow2_ops || (off & (s->cs - 1)) || off >= b->size)
		return -EINVAL;
	uint64_t n = MIN(s->cs, b->size - off);
	out = calloc(2, s->cs);
	if (!out)
		return -ENOMEM;
	uint8_t *pad = out + s->cs;
	memcpy(pad, buf, n);	/* the last, partial cluster is padded with zeroes */
	pthread_mutex_lock(&b->lock);
	clen = qcow2_compress(s, pad, out, s->cs - 1);
	if (clen <= 0) {
		ret = qcow2_pwrite(b, pad, n, off);	/* incompressible */
		goto out;
	}
	l1i = (off >> s->cluster_bits) / s->l2_entries;
	idx = (off >> s->cluster_bits) % s->l2_entries;
	ret = qcow2_l2_for_write(s, l1i, &t);
	if (ret == 0)
		ret = qcow2_alloc_bytes(s, (uint64_t)clen, &coff);
	if (ret == 0)
		ret = blk_file_pwrite(s->fd, out, (uint64_t)clen, coff);
	if (ret)
		goto out;
	unsigned x = 62 - (s->cluster_bits - 8);
	uint64_t nsec = ((coff + (uint64_t)clen - 1) >> 9) - (coff >> 9);
	e = be64toh(t[idx]);
	t[idx] = htobe64(coff | (nsec << x) | QCOW2_COMPRESSED);
	ret = blk_file_pwrite(s->fd, &t[idx], 8, (s->l1[l1i] & QCOW2_OFFSET_MASK) + idx * 8);
	if (ret) {
		t[idx] = htobe64(e);
		goto out;
	}
	s->dcache_off = 0;
	ret = qcow2_free_entry(s, e);
out:
	pthread_mutex_unlock(&b->lock);
	free(out);
	return ret;
}
