/*
 * Block layer front: format probing, image locking, dispatch to the format vtable under a
 * per-image mutex, and the --snapshot overlay (a temporary qcow2 whose backing is the original).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block/block.h"
#include "vmm/util.h"

static const struct blk_ops *blk_drivers[] = { &blk_raw_ops, &blk_qcow2_ops, &blk_vmdk_ops };

static const char *probe_buf(const uint8_t *buf, size_t n)
{
	if (n >= 4 && memcmp(buf, "QFI\xfb", 4) == 0)
		return "qcow2";
	if (n >= 4 && memcmp(buf, "KDMV", 4) == 0)
		return "vmdk";
	if (n >= 21 && memcmp(buf, "# Disk DescriptorFile", 21) == 0)
		return "vmdk";
	return "raw";
}

const char *blk_probe_file(const char *path, int *err)
{
	uint8_t buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	int e = errno;
	close(fd);
	if (n < 0) {
		*err = -e;
		return NULL;
	}
	*err = 0;
	return probe_buf(buf, (size_t)n);
}

static const struct blk_ops *driver_find(const char *format)
{
	for (size_t i = 0; i < ARRAY_SIZE(blk_drivers); i++)
		if (strcmp(blk_drivers[i]->name, format) == 0)
			return blk_drivers[i];
	return NULL;
}

/*
 * Image locking compatible with QEMU's (block/file-posix.c): one-byte OFD locks at 100+perm say
 * "I hold perm", at 200+perm "I do not share perm" (perm 0 = consistent read, 1 = write). A writer
 * holds write and shares no writer; a reader shares no writer. So minivmm and QEMU processes
 * refuse each other exactly as two QEMUs would.
 */
#define LOCK_PERM_BASE		100
#define LOCK_SHARED_BASE	200
#define PERM_READ		0
#define PERM_WRITE		1

static int ofd_lock(int fd, off_t byte)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

static bool ofd_held_by_other(int fd, off_t byte)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };

	return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

static int blk_lock(int fd, const char *path, bool rdonly)
{
	bool busy = ofd_held_by_other(fd, LOCK_PERM_BASE + PERM_WRITE);	/* someone writes */

	if (!rdonly)
		busy |= ofd_held_by_other(fd, LOCK_SHARED_BASE + PERM_WRITE);	/* someone forbids writers */
	if (busy) {
		if (rdonly)
			log_error("%s is open read-write by another process (locked); close it first (minivmm-img info -U reads it anyway)", path);
		else
			log_error("%s is in use by another process (locked); use readonly or --snapshot", path);
		return -EBUSY;
	}
	int ret = ofd_lock(fd, LOCK_PERM_BASE + PERM_READ);
	if (ret == 0)
		ret = ofd_lock(fd, LOCK_SHARED_BASE + PERM_WRITE);
	if (ret == 0 && !rdonly)
		ret = ofd_lock(fd, LOCK_PERM_BASE + PERM_WRITE);
	if (ret == -EINVAL || ret == -ENOLCK || ret == -EOPNOTSUPP)
		return 0;	/* file systems without byte-range locks: proceed unlocked, as qemu does */
	if (ret)
		log_error("%s: cannot lock the image: %s", path, strerror(-ret));
	return ret;
}

int blk_open_fmt(const char *path, const char *format, unsigned flags, struct blk_dev **out)
{
	const struct blk_ops *ops = driver_find(format);
	bool rdonly = flags & BLK_OPEN_RDONLY;
	int ret;

	if (!ops) {
		log_error("%s: unknown image format '%s' (use raw, qcow2 or vmdk)", path, format);
		return -EINVAL;
	}
	struct blk_dev *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ops = ops;
	b->readonly = rdonly;
	b->path = strdup(path);
	b->fd = open(path, (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		ret = -errno;
		if (ret == -EACCES || ret == -EROFS)
			log_error("%s: cannot open %s: %s (use readonly)", path,
				  rdonly ? "read-only" : "read-write", strerror(-ret));
		else
			log_error("%s: cannot open: %s", path, strerror(-ret));
		goto err_free;
	}
	ret = (flags & BLK_OPEN_NOLOCK) ? 0 : blk_lock(b->fd, path, rdonly);
	if (ret)
		goto err_close;
	pthread_mutex_init(&b->lock, NULL);
	ret = ops->open(b, flags);
	if (ret)
		goto err_mutex;
	*out = b;
	return 0;

err_mutex:
	pthread_mutex_destroy(&b->lock);
err_close:
	close(b->fd);
err_free:
	free(b->path);
	free(b);
	return ret;
}

/* --snapshot: a qcow2 overlay in $TMPDIR, unlinked as soon as it is open. */
static int blk_open_snapshot(const char *path, const char *format, struct blk_dev **out)
{
	struct blk_dev *orig;
	char abspath[PATH_MAX], tmpl[PATH_MAX];
	const char *tmpdir = getenv("TMPDIR");
	int ret = blk_open_fmt(path, format, BLK_OPEN_RDONLY, &orig);

	if (ret)
		return ret;
	struct qcow2_create_opts o = { .size = orig->size, .version = 3, .backing_fmt = format };
	blk_close(orig);
	if (!realpath(path, abspath))
		return -errno;
	o.backing = abspath;
	snprintf(tmpl, sizeof(tmpl), "%s/minivmm-snapshot-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		ret = -errno;
		log_error("%s: cannot create the --snapshot overlay in %s: %s (set TMPDIR)", path,
			  tmpdir ? tmpdir : "/tmp", strerror(-ret));
		return ret;
	}
	close(fd);
	ret = qcow2_create(tmpl, &o);
	if (ret == 0)
		ret = blk_open_fmt(tmpl, "qcow2", 0, out);
	unlink(tmpl);
	return ret;
}

int blk_open(const char *path, const char *format, unsigned flags, struct blk_dev **out)
{
	int err;
	const char *probed = blk_probe_file(path, &err);

	if (!probed) {
		log_error("%s: cannot open: %s", path, strerror(-err));
		return err;
	}
	if (format && strcmp(format, probed) != 0) {
		if (!driver_find(format)) {
			log_error("%s: unknown image format '%s' (use raw, qcow2 or vmdk)", path, format);
			return -EINVAL;
		}
		if (strcmp(format, "raw") != 0) {
			log_error("%s: format=%s given but the file has no %s header (it looks like %s%s)",
				  path, format, format, probed,
				  strcmp(probed, "raw") == 0 ? " data" : "");
			return -EINVAL;
		}
		/* Explicit raw on a qcow2/vmdk file: the user asked for the bytes; say so. */
		log_warn("%s: opening as raw as requested, although it has a %s header", path, probed);
		probed = "raw";
	}
	if (flags & BLK_OPEN_SNAPSHOT)
		return blk_open_snapshot(path, probed, out);
	return blk_open_fmt(path, probed, flags, out);
}

uint64_t blk_size(const struct blk_dev *b) { return b->size; }
bool blk_is_readonly(const struct blk_dev *b) { return b->readonly; }
const char *blk_format(const struct blk_dev *b) { return b->ops->name; }
const char *blk_path(const struct blk_dev *b) { return b->path; }
struct blk_dev *blk_backing(struct blk_dev *b) { return b->backing; }

uint64_t blk_actual_size(const struct blk_dev *b)
{
	struct stat st;

	return fstat(b->fd, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

static int blk_check_range(const struct blk_dev *b, uint64_t off, uint64_t len)
{
	if (off > b->size || len > b->size - off)
		return -EINVAL;
	return 0;
}

int blk_pread(struct blk_dev *b, void *buf, uint64_t len, uint64_t off)
{
	int ret = blk_check_range(b, off, len);

	if (ret || len == 0)
		return ret;
	pthread_mutex_lock(&b->lock);
	ret = b->ops->pread(b, buf, len, off);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

int blk_pwrite(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off)
{
	int ret = blk_check_range(b, off, len);

	if (b->readonly)
		return -EROFS;
	if (ret || len == 0)
		return ret;
	pthread_mutex_lock(&b->lock);
	ret = b->ops->pwrite(b, buf, len, off);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

int blk_flush(struct blk_dev *b)
{
	int ret = 0;

	if (b->readonly)
		return 0;
	pthread_mutex_lock(&b->lock);
	if (b->ops->flush)
		ret = b->ops->flush(b);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

int blk_discard(struct blk_dev *b, uint64_t off, uint64_t len)
{
	int ret = blk_check_range(b, off, len);

	if (b->readonly)
		return -EROFS;
	if (ret || len == 0)
		return ret;
	if (!b->ops->discard)
		return 0;	/* discard is advisory */
	pthread_mutex_lock(&b->lock);
	ret = b->ops->discard(b, off, len);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

int blk_write_zeroes(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap)
{
	int ret = blk_check_range(b, off, len);

	if (b->readonly)
		return -EROFS;
	if (ret || len == 0)
		return ret;
	pthread_mutex_lock(&b->lock);
	ret = b->ops->write_zeroes(b, off, len, may_unmap);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

int blk_block_status(struct blk_dev *b, uint64_t off, uint64_t len, uint64_t *pnum)
{
	int ret = blk_check_range(b, off, len);

	if (ret)
		return ret;
	if (!b->ops->block_status) {
		*pnum = len;
		return BLK_STATUS_DATA;
	}
	pthread_mutex_lock(&b->lock);
	ret = b->ops->block_status(b, off, len, pnum);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

int blk_truncate(struct blk_dev *b, uint64_t size, bool allow_shrink)
{
	int ret;

	if (b->readonly)
		return -EROFS;
	if (!b->ops->truncate)
		return -ENOTSUP;
	pthread_mutex_lock(&b->lock);
	ret = b->ops->truncate(b, size, allow_shrink);
	pthread_mutex_unlock(&b->lock);
	return ret;
}

void blk_close(struct blk_dev *b)
{
	if (!b)
		return;
	if (b->ops->close)
		b->ops->close(b);
	if (b->backing)
		blk_close(b->backing);
	pthread_mutex_destroy(&b->lock);
	close(b->fd);
	free(b->path);
	free(b);
}
