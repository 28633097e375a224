/*
 * qcow2 driver internals (QEMU docs/interop/qcow2.txt), shared by the qcow2*.c files:
 * header/open (qcow2.c), refcounts and allocation (qcow2-refcount.c), L1/L2 mapping and I/O
 * (qcow2-cluster.c), zeroes/discard/block status (qcow2-zero.c), compression
 * (qcow2-compress.c), snapshots (qcow2-snapshot.c), check (qcow2-check.c), creation
 * (qcow2-create.c).
 */
#ifndef MINIVMM_QCOW2_H
#define MINIVMM_QCOW2_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/block/block.h"

#define QCOW2_MAGIC		0x514649fbu
#define QCOW2_OFFSET_MASK	0x00fffffffffffe00ull	/* bits 9-55 */
#define QCOW2_COPIED		(1ull << 63)
#define QCOW2_COMPRESSED	(1ull << 62)
#define QCOW2_ZERO		1ull			/* v3 L2 entry bit 0 */

#define QCOW2_INCOMPAT_DIRTY	(1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT	(1ull << 1)
#define QCOW2_INCOMPAT_DATAFILE	(1ull << 2)
#define QCOW2_INCOMPAT_COMPRESS	(1ull << 3)
#define QCOW2_INCOMPAT_EXTL2	(1ull << 4)
#define QCOW2_COMPAT_LAZY	(1ull << 0)

/* Header field offsets (qcow2.txt "Header"). */
#define QH_SIZE			24
#define QH_L1_SIZE		36
#define QH_RT_OFFSET		48
#define QH_NB_SNAPSHOTS		60
#define QH_INCOMPAT		72
#define QH_AUTOCLEAR		88

#define QCOW2_MAX_L1_BYTES	(32u << 20)	/* qemu's QCOW_MAX_L1_SIZE */
#define QCOW2_MAX_RT_BYTES	(8u << 20)
#define QCOW2_MAX_SNAPSHOTS	65536
#define QCOW2_L2_CACHE_BYTES	(2u << 20)	/* L2 tables cached (direct-mapped slots) */

struct qcow2_snap {
	uint64_t l1_offset;
	uint32_t l1_size;
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint64_t disk_size;
	uint32_t extra_size;
};

struct qcow2_l2c {
	uint64_t off;		/* 0: empty slot */
	uint64_t *t;		/* big-endian entries, as on disk */
};

struct qcow2 {
	struct blk_dev *b;
	int fd;
	int version;
	unsigned cluster_bits;
	uint64_t cs;			/* cluster size */
	uint64_t l2_entries;		/* cs / 8 */
	uint64_t l1_offset;
	uint32_t l1_size;
	uint64_t *l1;			/* host-endian */
	uint64_t rt_offset;
	uint32_t rt_clusters;
	uint64_t rt_entries;
	uint64_t *rt;			/* host-endian refcount table */
	uint8_t **rb;			/* cached refcount blocks, by table index */
	unsigned refcount_order;
	uint64_t rb_entries;		/* refcounts per block */
	uint64_t incompat, compat, autoclear;
	uint32_t header_length;
	int compression;		/* 0 zlib, 1 zstd */
	char *backing_file, *backing_fmt, *backing_path;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t snapshots_size;
	struct qcow2_snap *snaps;

	uint64_t end_cluster;		/* first cluster past everything allocated */
	uint64_t free_hint;		/* lowest cluster that may be free */
	bool freed_since_flush;		/* reuse of freed clusters waits for a flush */
	uint64_t pool_start, pool_n;	/* clusters with refcount 1 reserved for data */
	unsigned pool_refills;
	uint64_t ccluster, cused;	/* cluster being filled with compressed data */

	struct qcow2_l2c *l2c;		/* slot = L2 cluster index % l2c_n */
	unsigned l2c_n;
	uint64_t dcache_off;		/* last decompressed cluster (host offset | 1), 0 none */
	uint8_t *dcache;
	uint8_t *cbuf;			/* scratch cluster */
	uint64_t *wr_old;		/* per-L2-slice original entries during a write */
	bool corrupt_reported;
};

static inline struct qcow2 *qcow2_of(struct blk_dev *b) { return b->priv; }
static inline uint64_t qcow2_cluster(const struct qcow2 *s, uint64_t off) { return off >> s->cluster_bits; }

/* qcow2.c */
int qcow2_header_write(struct qcow2 *s, unsigned field_off, const void *data, unsigned len);
int qcow2_set_incompat(struct qcow2 *s, uint64_t bits, bool on);
void qcow2_signal_corruption(struct qcow2 *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t qcow2_file_size(const struct qcow2 *s);
int qcow2_sync(struct qcow2 *s);
bool qcow2_offset_valid(const struct qcow2 *s, uint64_t off);

/* qcow2-refcount.c */
int qcow2_refcount_init(struct qcow2 *s);
void qcow2_refcount_free(struct qcow2 *s);
int qcow2_refcount_get(struct qcow2 *s, uint64_t cluster, uint64_t *rc);
int qcow2_refcount_add(struct qcow2 *s, uint64_t cluster, uint64_t n, int64_t delta);
int qcow2_refcount_set(struct qcow2 *s, uint64_t cluster, uint64_t value);
int qcow2_alloc_contig(struct qcow2 *s, uint64_t n, uint64_t *first);
int qcow2_alloc_data(struct qcow2 *s, uint64_t want, uint64_t *first, uint64_t *got);
int qcow2_alloc_bytes(struct qcow2 *s, uint64_t len, uint64_t *off);
int qcow2_pool_release(struct qcow2 *s);
int qcow2_free_entry(struct qcow2 *s, uint64_t l2e);
void qcow2_after_flush(struct qcow2 *s);
uint64_t qcow2_refcount_max(const struct qcow2 *s);

/* qcow2-cluster.c */
int qcow2_l2_load(struct qcow2 *s, uint64_t l2_off, uint64_t **t);
void qcow2_l2_invalidate(struct qcow2 *s);
int qcow2_l1_write_entry(struct qcow2 *s, uint64_t idx);
int qcow2_l2_for_write(struct qcow2 *s, uint64_t l1i, uint64_t **t);
int qcow2_lookup(struct qcow2 *s, uint64_t vc, uint64_t *e);	/* entry of guest cluster vc, 0 if none */
int qcow2_grow_l1(struct qcow2 *s, uint64_t min_size);
int qcow2_pread(struct blk_dev *b, void *buf, uint64_t len, uint64_t off);
int qcow2_pwrite(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off);
int qcow2_flush(struct blk_dev *b);
int qcow2_discard(struct blk_dev *b, uint64_t off, uint64_t len);
int qcow2_write_zeroes(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap);
int qcow2_block_status(struct blk_dev *b, uint64_t off, uint64_t len, uint64_t *pnum);
int qcow2_truncate(struct blk_dev *b, uint64_t size, bool allow_shrink);
enum qcow2_type { QC_UNALLOC, QC_ZERO_PLAIN, QC_ZERO_ALLOC, QC_NORMAL, QC_COMPRESSED };
enum qcow2_type qcow2_entry_type(const struct qcow2 *s, uint64_t e);

/* qcow2-compress.c */
int qcow2_decompress(struct qcow2 *s, uint64_t l2e, uint8_t *out);
long qcow2_compress(struct qcow2 *s, const uint8_t *in, uint8_t *out, uint64_t cap);
void qcow2_compressed_range(const struct qcow2 *s, uint64_t l2e, uint64_t *off, uint64_t *len);

/* qcow2-snapshot.c */
int qcow2_snapshots_load(struct qcow2 *s);
void qcow2_snapshots_free(struct qcow2 *s);
int qcow2_update_l1_refcounts(struct qcow2 *s, uint64_t *l1, uint32_t l1_size, int addend);

#endif
