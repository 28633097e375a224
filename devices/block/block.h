/*
 * Block backends: raw, qcow2 (v2/v3), VMDK behind one interface, so virtio-blk and minivmm-img
 * never know the image format. Each format is a small vtable (struct blk_ops) selected at open.
 * Calls on one blk_dev are serialised by a per-image mutex.
 */
#ifndef MINIVMM_BLOCK_H
#define MINIVMM_BLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blk_dev;
enum { BLK_OPEN_RDONLY = 1, BLK_OPEN_SNAPSHOT = 2 /* writes go to a temporary qcow2 overlay deleted at close */ };
int blk_open(const char *path, const char *format /* NULL: probe */, unsigned flags, struct blk_dev **out); /* -errno; prints one clear error line naming file and problem */
uint64_t blk_size(const struct blk_dev *b);              /* bytes */
bool blk_is_readonly(const struct blk_dev *b);
int blk_pread(struct blk_dev *b, void *buf, uint64_t len, uint64_t off);   /* 0 or -errno (-EIO, -ENOSPC ...) */
int blk_pwrite(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off);
int blk_flush(struct blk_dev *b);
int blk_discard(struct blk_dev *b, uint64_t off, uint64_t len);
int blk_write_zeroes(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap);
void blk_close(struct blk_dev *b);

/* ---- Below: extensions used by minivmm-img and the format drivers. ---- */

/* Format name of an open image ("raw", "qcow2", "vmdk"). */
const char *blk_format(const struct blk_dev *b);
/* Path the image was opened from. */
const char *blk_path(const struct blk_dev *b);

/*
 * Allocation status of [off, off+len): sets *pnum to the length of the run starting at off with
 * one status and returns BLK_STATUS_* bits (or -errno). Lets convert skip zero areas.
 * BACKING: not allocated in this image; DATA/ZERO then describe what the backing chain holds.
 */
enum { BLK_STATUS_DATA = 1, BLK_STATUS_ZERO = 2, BLK_STATUS_BACKING = 4 };
int blk_block_status(struct blk_dev *b, uint64_t off, uint64_t len, uint64_t *pnum);

/* Probe the format of a file from its first bytes: "qcow2", "vmdk" or "raw"; NULL and -errno on I/O error. */
const char *blk_probe_file(const char *path, int *err);

/* Bytes the image occupies on the host (st_blocks * 512), for info. */
uint64_t blk_actual_size(const struct blk_dev *b);

/* Resize the virtual disk (grow, or shrink where the format allows it). */
int blk_truncate(struct blk_dev *b, uint64_t size, bool allow_shrink);

/* ---- Format drivers (internal to devices/block/ and tools/img/). ---- */

struct blk_ops {
	const char *name;
	int (*open)(struct blk_dev *b, unsigned flags);	/* b->fd, b->path set; sets b->size */
	int (*pread)(struct blk_dev *b, void *buf, uint64_t len, uint64_t off);
	int (*pwrite)(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off);
	int (*flush)(struct blk_dev *b);
	int (*discard)(struct blk_dev *b, uint64_t off, uint64_t len);
	int (*write_zeroes)(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap);
	int (*block_status)(struct blk_dev *b, uint64_t off, uint64_t len, uint64_t *pnum);
	int (*truncate)(struct blk_dev *b, uint64_t size, bool allow_shrink);
	void (*close)(struct blk_dev *b);
};

struct blk_dev {
	const struct blk_ops *ops;
	void *priv;			/* format state */
	char *path;
	int fd;
	uint64_t size;
	bool readonly;
	pthread_mutex_t lock;		/* serialises calls on this image */
	struct blk_dev *backing;	/* opened by the format driver, closed by blk_close */
};

extern const struct blk_ops blk_raw_ops, blk_qcow2_ops, blk_vmdk_ops;

/* Open with an explicit driver (format already checked); used for backing files too. */
int blk_open_fmt(const char *path, const char *format, unsigned flags, struct blk_dev **out);

/* qcow2 image creation (devices/block/qcow2-create.c). */
struct qcow2_create_opts {
	uint64_t size;
	unsigned cluster_size;		/* 0: 64 KiB */
	int version;			/* 2 (compat=0.10) or 3 (compat=1.1, default) */
	const char *backing;		/* as stored in the header, may be relative */
	const char *backing_fmt;	/* NULL: probe */
	unsigned refcount_bits;		/* 0: 16 */
	int compression;		/* 0 zlib, 1 zstd (v3 only) */
};
int qcow2_create(const char *path, const struct qcow2_create_opts *o);
int raw_create(const char *path, uint64_t size);

/* qcow2 extras for minivmm-img (the image must be qcow2, else -ENOTSUP). */
struct qcow2_snapshot_info {
	char id[64];
	char name[256];
	uint64_t vm_state_size;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t disk_size;
};
int qcow2_snapshot_list(struct blk_dev *b, struct qcow2_snapshot_info **list, int *n);
int qcow2_snapshot_create(struct blk_dev *b, const char *name);
int qcow2_snapshot_apply(struct blk_dev *b, const char *name_or_id);
int qcow2_snapshot_delete(struct blk_dev *b, const char *name_or_id);
int qcow2_write_compressed(struct blk_dev *b, const void *buf, uint64_t off); /* one whole cluster */
unsigned qcow2_cluster_size(const struct blk_dev *b);
int qcow2_make_empty(struct blk_dev *b);	/* unallocate everything (commit) */

struct qcow2_info {
	int version;
	unsigned cluster_size;
	unsigned refcount_bits;
	bool dirty, corrupt, lazy_refcounts;
	const char *compression;	/* "zlib" / "zstd" */
	const char *backing_file;	/* as stored, or NULL */
	const char *backing_fmt;
	const char *backing_path;	/* resolved */
};
int qcow2_get_info(struct blk_dev *b, struct qcow2_info *info);

struct blk_check_result {
	uint64_t corruptions, leaks, check_errors;
	uint64_t corruptions_fixed, leaks_fixed;
	uint64_t allocated_clusters, total_clusters, fragmented_clusters, compressed_clusters;
	uint64_t image_end_offset;
};
enum { BLK_FIX_LEAKS = 1, BLK_FIX_ERRORS = 2, BLK_CHECK_QUIET = 4 };
int qcow2_check(struct blk_dev *b, unsigned fix, struct blk_check_result *r);

/* Internal open flag: allow a read-write open of a corrupt image so check -r can repair it. */
enum { BLK_OPEN_REPAIR = 0x100, BLK_OPEN_NOLOCK = 0x200 /* commit: we already hold the shared lock */ };

/* Whole-range file I/O used by every driver: short reads past EOF read as zeroes. */
int blk_file_pread(int fd, void *buf, uint64_t len, uint64_t off);
int blk_file_pwrite(int fd, const void *buf, uint64_t len, uint64_t off);
int blk_file_zero(int fd, uint64_t off, uint64_t len, bool may_unmap);

/* Backing file of an open image (NULL if none), for commit. */
struct blk_dev *blk_backing(struct blk_dev *b);

#endif
