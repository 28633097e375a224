/*
 * virtio-blk (virtio 1.2 §5.2) on top of any block backend (devices/block/block.h). Requests run on
 * the device's I/O thread; the backend never learns about the guest and the device never learns the
 * image format. A bad request gets IOERR/UNSUPP, a malformed chain puts the device into NEEDS_RESET.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/block.h"
#include "devices/virtio/virtio.h"
#include "vmm/util.h"

/* §5.2.3 feature bits */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* §5.2.6 request types and status */
enum {
	VIRTIO_BLK_T_IN = 0,
	VIRTIO_BLK_T_OUT = 1,
	VIRTIO_BLK_T_FLUSH = 4,
	VIRTIO_BLK_T_GET_ID = 8,
	VIRTIO_BLK_T_DISCARD = 11,
	VIRTIO_BLK_T_WRITE_ZEROES = 13,
};
enum { VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2 };

#define SECTOR 512u
#define BLK_ID_BYTES 20
#define BLK_SEG_MAX (VIRTQ_MAX_SIZE - 2)        /* data buffers besides header and status */
#define BLK_MAX_DISCARD_SECTORS (1u << 22)      /* 2 GiB per request */
#define BLK_DISCARD_ALIGN_SECTORS 8             /* 4 KiB: what a host hole punch works in */

/* §5.2.4 configuration layout, little-endian; fields we do not offer stay zero. */
struct virtio_blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads, sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp, alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback, unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
	uint32_t max_secure_erase_sectors;
	uint32_t max_secure_erase_seg;
	uint32_t secure_erase_sector_alignment;
} __attribute__((packed));

struct blk_req_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

struct blk_discard_wz {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};
#define VIRTIO_BLK_WZ_FLAG_UNMAP 1u

struct virtio_blk {
	struct virtio_dev dev;
	struct blk_dev *bdev;
	uint64_t capacity;      /* sectors */
	bool readonly;
	bool dirty;             /* written since the last successful flush (a flush of nothing is free) */
	char serial[BLK_ID_BYTES];
	struct virtio_blk_config config;
	struct virtq_elem elem; /* the I/O thread's current request */
	/* Statistics (I/O thread only), logged at exit with --debug. */
	uint64_t nr_req[VIRTIO_BLK_T_WRITE_ZEROES + 1], nr_other, nr_ioerr, nr_unsupp;
	uint64_t bytes_read, bytes_written;
};

/* Walks the bytes [start, start+len) of the readable or the writable buffers of a chain. */
struct seg_iter {
	const struct virtq_elem *e;
	unsigned i, end;
	uint64_t skip, left;
};

static void seg_init(struct seg_iter *it, const struct virtq_elem *e, bool writable, uint64_t start,
		     uint64_t len)
{
	it->e = e;
	it->i = writable ? e->nr_readable : 0;
	it->end = writable ? e->nr : e->nr_readable;
	it->skip = start;
	it->left = len;
}

static bool seg_next(struct seg_iter *it, uint8_t **p, uint64_t *n)
{
	while (it->left && it->i < it->end) {
		const struct virtq_buf *b = &it->e->buf[it->i++];
		if (it->skip >= b->len) {
			it->skip -= b->len;
			continue;
		}
		*p = b->p + it->skip;
		*n = MIN(b->len - it->skip, it->left);
		it->skip = 0;
		it->left -= *n;
		return true;
	}
	return false;
}

static uint64_t elem_bytes(const struct virtq_elem *e, bool writable)
{
	uint64_t t = 0;
	for (unsigned i = writable ? e->nr_readable : 0; i < (writable ? e->nr : e->nr_readable); i++)
		t += e->buf[i].len;
	return t;
}

static void elem_copy_out(const struct virtq_elem *e, uint64_t start, void *dst, uint64_t len)
{
	struct seg_iter it;
	uint8_t *p;
	uint64_t n;
	seg_init(&it, e, false, start, len);
	while (seg_next(&it, &p, &n)) {
		memcpy(dst, p, n);
		dst = (uint8_t *)dst + n;
	}
}

static bool range_ok(struct virtio_blk *vb, uint64_t sector, uint64_t bytes)
{
	return sector <= vb->capacity && bytes / SECTOR <= vb->capacity - sector;
}

static uint8_t host_error(struct virtio_blk *vb, const char *what, uint64_t sector, int err)
{
	log_guest("%s: %s at sector %llu failed on %s: %s (guest sees IOERR)", vb->dev.name, what,
		  (unsigned long long)sector, blk_path(vb->bdev), strerror(-err));
	return VIRTIO_BLK_S_IOERR;
}

/*
 * §5.2.6.3: without FLUSH the device is write-through; with CONFIG_WCE the driver picks the mode in
 * the writeback field (read under the device lock by the register path, a plain byte here).
 */
static bool blk_writeback(struct virtio_blk *vb)
{
	if (!virtio_has_feature(&vb->dev, VIRTIO_BLK_F_FLUSH))
		return false;
	if (virtio_has_feature(&vb->dev, VIRTIO_BLK_F_CONFIG_WCE))
		return __atomic_load_n(&vb->config.writeback, __ATOMIC_RELAXED) != 0;
	return true;
}

static int blk_do_flush(struct virtio_blk *vb)
{
	if (!vb->dirty)
		return 0;
	int r = blk_flush(vb->bdev);
	if (r == 0)
		vb->dirty = false;
	return r;
}

static uint8_t blk_rw(struct virtio_blk *vb, const struct virtq_elem *e, bool write, uint64_t sector,
		      uint64_t len)
{
	if (len % SECTOR) {
		log_guest("%s: %s of %llu bytes is not whole sectors", vb->dev.name, write ? "write" : "read",
			  (unsigned long long)len);
		return VIRTIO_BLK_S_IOERR;
	}
	if (!range_ok(vb, sector, len)) {
		log_guest("%s: %s of sectors %llu+%llu beyond the disk's %llu", vb->dev.name,
			  write ? "write" : "read", (unsigned long long)sector,
			  (unsigned long long)(len / SECTOR), (unsigned long long)vb->capacity);
		return VIRTIO_BLK_S_IOERR;
	}
	if (write && vb->readonly)
		return VIRTIO_BLK_S_IOERR; /* §5.2.6.1: and write nothing */

	struct seg_iter it;
	uint8_t *p;
	uint64_t n, off = sector * SECTOR;
	if (write)
		vb->dirty = true;
	/* Reads fill the writable buffers except the status byte; writes take what follows the header. */
	seg_init(&it, e, !write, write ? sizeof(struct blk_req_hdr) : 0, len);
	while (seg_next(&it, &p, &n)) {
		int r = write ? blk_pwrite(vb->bdev, p, n, off) : blk_pread(vb->bdev, p, n, off);
		if (r < 0)
			return host_error(vb, write ? "write" : "read", off / SECTOR, r);
		off += n;
	}
	/* §5.2.6.1: without FLUSH negotiated the device is write-through. */
	if (write && !blk_writeback(vb)) {
		int r = blk_do_flush(vb);
		if (r < 0)
			return host_error(vb, "flush", sector, r);
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct virtio_blk *vb, const struct virtq_elem *e, uint64_t len)
{
	struct seg_iter it;
	uint8_t *p;
	uint64_t n, done = 0;
	/* §5.2.6: 20 bytes, NUL-padded, not NUL-terminated when all 20 are used. */
	seg_init(&it, e, true, 0, MIN(len, BLK_ID_BYTES));
	while (seg_next(&it, &p, &n)) {
		memcpy(p, vb->serial + done, n);
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

static int write_zeroes_by_hand(struct virtio_blk *vb, uint64_t off, uint64_t len)
{
	static const uint8_t zeroes[64 * 1024];
	while (len) {
		uint64_t n = MIN(len, sizeof(zeroes));
		int r = blk_pwrite(vb->bdev, zeroes, n, off);
		if (r < 0)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/* §5.2.6.2: one segment per request (max_*_seg = 1), unknown flags and unmap-on-discard unsupported. */
static uint8_t blk_discard_wz(struct virtio_blk *vb, const struct virtq_elem *e, bool wz, uint64_t len)
{
	const char *what = wz ? "write-zeroes" : "discard";
	struct blk_discard_wz seg;

	if (len != sizeof(seg)) {
		log_guest("%s: %s with %llu bytes of ranges (one 16-byte range supported)", vb->dev.name,
			  what, (unsigned long long)len);
		return len > sizeof(seg) && len % sizeof(seg) == 0 ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
	}
	elem_copy_out(e, sizeof(struct blk_req_hdr), &seg, sizeof(seg));
	uint64_t sector = le64toh(seg.sector);
	uint32_t nr = le32toh(seg.num_sectors), flags = le32toh(seg.flags);
	if ((flags & ~VIRTIO_BLK_WZ_FLAG_UNMAP) || (!wz && flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (nr > BLK_MAX_DISCARD_SECTORS || !range_ok(vb, sector, (uint64_t)nr * SECTOR)) {
		log_guest("%s: %s of sectors %llu+%u out of range", vb->dev.name, what,
			  (unsigned long long)sector, nr);
		return VIRTIO_BLK_S_IOERR;
	}
	if (vb->readonly)
		return VIRTIO_BLK_S_IOERR;
	uint64_t off = sector * SECTOR, bytes = (uint64_t)nr * SECTOR;
	int r;
	vb->dirty = true;
	if (wz) {
		r = blk_write_zeroes(vb->bdev, off, bytes, flags & VIRTIO_BLK_WZ_FLAG_UNMAP);
		if (r == -EOPNOTSUPP || r == -ENOTSUP)
			r = write_zeroes_by_hand(vb, off, bytes);
	} else {
		r = blk_discard(vb->bdev, off, bytes);
		if (r == -EOPNOTSUPP || r == -ENOTSUP)
			r = 0; /* discard is a hint; a format that cannot drop data keeps it */
	}
	return r < 0 ? host_error(vb, what, sector, r) : VIRTIO_BLK_S_OK;
}

/* One request (§5.2.6): header, data, status byte last. Returns false if the chain is malformed. */
static bool blk_handle(struct virtio_blk *vb, const struct virtq_elem *e, uint32_t *written)
{
	uint64_t rd = elem_bytes(e, false), wr = elem_bytes(e, true);
	struct blk_req_hdr h;

	if (rd < sizeof(h) || wr < 1) {
		virtio_fail(&vb->dev, e, "request of %llu readable / %llu writable bytes has no %s",
			    (unsigned long long)rd, (unsigned long long)wr,
			    rd < sizeof(h) ? "readable 16-byte header" : "writable status byte");
		return false;
	}
	elem_copy_out(e, 0, &h, sizeof(h));
	uint32_t type = le32toh(h.type);
	uint64_t sector = le64toh(h.sector);
	uint64_t data_in = rd - sizeof(h), data_out = wr - 1;
	uint8_t st;

	switch (type) {
	case VIRTIO_BLK_T_IN:
		st = blk_rw(vb, e, false, sector, data_out);
		break;
	case VIRTIO_BLK_T_OUT:
		st = blk_rw(vb, e, true, sector, data_in);
		break;
	case VIRTIO_BLK_T_FLUSH: {
		int r = blk_do_flush(vb);
		st = r < 0 ? host_error(vb, "flush", 0, r) : VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_GET_ID:
		st = blk_get_id(vb, e, data_out);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = blk_discard_wz(vb, e, type == VIRTIO_BLK_T_WRITE_ZEROES, data_in);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (type < ARRAY_SIZE(vb->nr_req))
		vb->nr_req[type]++;
	else
		vb->nr_other++;
	if (st == VIRTIO_BLK_S_IOERR)
		vb->nr_ioerr++;
	else if (st == VIRTIO_BLK_S_UNSUPP)
		vb->nr_unsupp++;
	else if (type == VIRTIO_BLK_T_IN)
		vb->bytes_read += data_out;
	else if (type == VIRTIO_BLK_T_OUT)
		vb->bytes_written += data_in;
	/* The status byte is the last writable byte (§5.2.6); wr >= 1, so that buffer is writable. */
	const struct virtq_buf *last = &e->buf[e->nr - 1];
	last->p[last->len - 1] = st;
	*written = (uint32_t)wr;
	return true;
}

static void blk_queue_notify(struct virtio_dev *d, unsigned q)
{
	struct virtio_blk *vb = d->priv;
	uint32_t written;

	while (virtio_pop(d, q, &vb->elem) > 0) {
		if (!blk_handle(vb, &vb->elem, &written))
			return;
		virtio_push(d, q, &vb->elem, written);
	}
}

static void blk_config_read(struct virtio_dev *d, uint32_t off, void *data, unsigned len)
{
	struct virtio_blk *vb = d->priv;
	memcpy(data, (const uint8_t *)&vb->config + off, len);
}

static void blk_config_write(struct virtio_dev *d, uint32_t off, const void *data, unsigned len)
{
	struct virtio_blk *vb = d->priv;
	/* Only writeback is writable, and only with CONFIG_WCE (§5.2.4). */
	if (off == offsetof(struct virtio_blk_config, writeback) && len == 1 &&
	    virtio_has_feature(d, VIRTIO_BLK_F_CONFIG_WCE)) {
		__atomic_store_n(&vb->config.writeback, *(const uint8_t *)data ? 1 : 0, __ATOMIC_RELAXED);
		return;
	}
	log_guest("%s: write to read-only config field at 0x%x ignored", d->name, off);
}

static void blk_reset(struct virtio_dev *d)
{
	struct virtio_blk *vb = d->priv;
	__atomic_store_n(&vb->config.writeback, 1, __ATOMIC_RELAXED);
}

static const struct virtio_dev_ops blk_ops = {
	.type = "virtio-blk",
	.device_id = 2,
	.nr_queues = 1,
	.config_size = sizeof(struct virtio_blk_config),
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
};

int virtio_blk_create(struct bus *bus, uint64_t base, const struct guest_mem *mem, struct irq_line irq,
		      struct blk_dev *backend, const char *serial, unsigned index, struct virtio_blk **out)
{
	struct virtio_blk *vb = calloc(1, sizeof(*vb));
	char name[32];
	int err;

	if (!vb)
		return -ENOMEM;
	vb->bdev = backend;
	vb->capacity = blk_size(backend) / SECTOR;
	vb->readonly = blk_is_readonly(backend);
	vb->dirty = !vb->readonly; /* the first flush always reaches the host */
	if (serial)
		memcpy(vb->serial, serial, MIN(strlen(serial), sizeof(vb->serial))); /* NUL-padded on the wire */

	uint64_t features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
			    (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_CONFIG_WCE);
	if (vb->readonly)
		features |= 1ull << VIRTIO_BLK_F_RO;
	else
		features |= (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	vb->config = (struct virtio_blk_config){
		.capacity = htole64(vb->capacity),
		.seg_max = htole32(BLK_SEG_MAX),
		.blk_size = htole32(SECTOR),
		.writeback = 1, /* write-back until a CONFIG_WCE driver says otherwise */
		.num_queues = htole16(1),
		.max_discard_sectors = htole32(BLK_MAX_DISCARD_SECTORS),
		.max_discard_seg = htole32(1),
		.discard_sector_alignment = htole32(BLK_DISCARD_ALIGN_SECTORS),
		.max_write_zeroes_sectors = htole32(BLK_MAX_DISCARD_SECTORS),
		.max_write_zeroes_seg = htole32(1),
		.write_zeroes_may_unmap = 1,
	};

	snprintf(name, sizeof(name), "virtio-blk%u", index);
	err = virtio_dev_init(&vb->dev, &blk_ops, vb, name, mem, irq, features);
	if (err < 0)
		goto err_free;
	err = bus_register(bus, base, VIRTIO_MMIO_WINDOW, &virtio_mmio_ops, &vb->dev);
	if (err < 0) {
		log_error("%s: cannot map its registers at 0x%llx: %s", name, (unsigned long long)base,
			  strerror(-err));
		goto err_stop;
	}
	*out = vb;
	return 0;

err_stop:
	virtio_dev_stop(&vb->dev);
err_free:
	free(vb);
	return err;
}

void virtio_blk_destroy(struct virtio_blk *vb)
{
	if (!vb)
		return;
	virtio_dev_stop(&vb->dev);
	log_debug("%s: %llu reads (%llu bytes), %llu writes (%llu bytes), %llu flushes, %llu discards, "
		  "%llu write-zeroes, %llu get-id, %llu other; %llu IOERR, %llu UNSUPP", vb->dev.name,
		  (unsigned long long)vb->nr_req[VIRTIO_BLK_T_IN], (unsigned long long)vb->bytes_read,
		  (unsigned long long)vb->nr_req[VIRTIO_BLK_T_OUT], (unsigned long long)vb->bytes_written,
		  (unsigned long long)vb->nr_req[VIRTIO_BLK_T_FLUSH],
		  (unsigned long long)vb->nr_req[VIRTIO_BLK_T_DISCARD],
		  (unsigned long long)vb->nr_req[VIRTIO_BLK_T_WRITE_ZEROES],
		  (unsigned long long)vb->nr_req[VIRTIO_BLK_T_GET_ID], (unsigned long long)vb->nr_other,
		  (unsigned long long)vb->nr_ioerr, (unsigned long long)vb->nr_unsupp);
	int r = vb->readonly ? 0 : blk_flush(vb->bdev);
	if (r < 0)
		log_error("%s: flushing %s at exit failed: %s", vb->dev.name, blk_path(vb->bdev),
			  strerror(-r));
	blk_close(vb->bdev);
	pthread_mutex_destroy(&vb->dev.lock);
	pthread_cond_destroy(&vb->dev.idle);
	free(vb);
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *vb)
{
	return &vb->dev;
}
