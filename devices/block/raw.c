/*
 * raw images: the file (or block device) is the disk. Sparse-aware: discard and write-zeroes punch
 * holes where the file system allows, block status comes from SEEK_DATA/SEEK_HOLE.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block/block.h"
#include "vmm/util.h"

/* Full pread/pwrite helpers shared by every format (short reads past EOF read as zero). */
int blk_file_pread(int fd, void *buf, uint64_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

int blk_file_pwrite(int fd, const void *buf, uint64_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Zero a byte range: ZERO_RANGE, else PUNCH_HOLE (if unmapping is allowed), else write zeroes. */
int blk_file_zero(int fd, uint64_t off, uint64_t len, bool may_unmap)
{
	static const uint8_t zero[65536];

	if (may_unmap && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	while (len) {
		uint64_t n = MIN(len, sizeof(zero));
		int ret = blk_file_pwrite(fd, zero, n, off);
		if (ret)
			return ret;
		off += n;
		len -= n;
	}
	return 0;
}

int raw_create(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size))
		ret = -errno;
	close(fd);
	return ret;
}

static int raw_open(struct blk_dev *b, unsigned flags)
{
	struct stat st;

	if (fstat(b->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz;
		if (ioctl(b->fd, BLKGETSIZE64, &sz))
			return -errno;
		b->size = sz;
	} else {
		b->size = (uint64_t)st.st_size;
	}
	return 0;
}

static int raw_pread(struct blk_dev *b, void *buf, uint64_t len, uint64_t off)
{
	return blk_file_pread(b->fd, buf, len, off);
}

static int raw_pwrite(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off)
{
	return blk_file_pwrite(b->fd, buf, len, off);
}

static int raw_flush(struct blk_dev *b)
{
	return fdatasync(b->fd) ? -errno : 0;
}

static int raw_discard(struct blk_dev *b, uint64_t off, uint64_t len)
{
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	return errno == EOPNOTSUPP ? 0 : -errno;	/* advisory */
}

static int raw_write_zeroes(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap)
{
	return blk_file_zero(b->fd, off, len, may_unmap);
}

static int raw_block_status(struct blk_dev *b, uint64_t off, uint64_t len, uint64_t *pnum)
{
	off_t data = lseek(b->fd, (off_t)off, SEEK_DATA);

	if (data < 0) {
		/* ENXIO: only a hole up to EOF; anything else: assume data. */
		*pnum = len;
		return errno == ENXIO ? BLK_STATUS_ZERO : BLK_STATUS_DATA;
	}
	if ((uint64_t)data > off) {
		*pnum = MIN(len, (uint64_t)data - off);
		return BLK_STATUS_ZERO;
	}
	off_t hole = lseek(b->fd, (off_t)off, SEEK_HOLE);
	*pnum = hole > (off_t)off ? MIN(len, (uint64_t)hole - off) : len;
	return BLK_STATUS_DATA;
}

static int raw_truncate(struct blk_dev *b, uint64_t size, bool allow_shrink)
{
	if (size < b->size && !allow_shrink)
		return -EPERM;
	if (ftruncate(b->fd, (off_t)size))
		return -errno;
	b->size = size;
	return 0;
}

const struct blk_ops blk_raw_ops = {
	.name = "raw",
	.open = raw_open,
	.pread = raw_pread,
	.pwrite = raw_pwrite,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.block_status = raw_block_status,
	.truncate = raw_truncate,
};
