/*
 * Block backends: raw, qcow2 (v2/v3), VMDK behind one interface, so virtio-blk and minivmm-img
 * never know the image format. Each format is a small vtable (struct blk_ops) selected at open.
 * Calls on one blk_dev are serialised by a per-image mutex.
 */
#ifndef MINIVMM_BLOCK_H
#define MINIVMM_BLOCK_H

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
 * one status and returns BLK_STATUS_* bits. Lets convert skip zero areas.
 */
enum { BLK_STATUS_DATA = 1, BLK_STATUS_ZERO = 2, BLK_STATUS_BACKING = 4 };
int blk_block_status(struct blk_dev *b, uint64_t off, uint64_t len, uint64_t *pnum);

/* Probe the format of a file from its first bytes: "qcow2", "vmdk" or "raw"; NULL and -errno on I/O error. */
const char *blk_probe_file(const char *path, int *err);

#endif
