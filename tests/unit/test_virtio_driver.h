/*
 * A tiny virtio "guest driver" for the unit tests: one malloc'd RAM region (so ASan catches any
 * access past guest RAM), the MMIO registers driven through the bus ops, rings built by hand, and
 * an in-memory block backend with error injection. Shared by test_virtq.c and test_virtio_blk.c.
 */
#ifndef MINIVMM_TEST_VIRTIO_DRIVER_H
#define MINIVMM_TEST_VIRTIO_DRIVER_H

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/block/block.h"
#include "devices/virtio/virtio.h"
#include "tests/unit/unit.h"

#define G_BASE 0x40000000ull
#define G_SIZE (1u << 20)
#define Q_DESC (G_BASE + 0x0000)
#define Q_AVAIL (G_BASE + 0x1000)
#define Q_USED (G_BASE + 0x2000)
#define Q_IND (G_BASE + 0x4000)
#define Q_HDR (G_BASE + 0x8000)   /* request headers, 16 bytes each */
#define Q_STATUS (G_BASE + 0x9000) /* status bytes */
#define Q_DATA (G_BASE + 0x10000)

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13

struct tdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct tdrv {
	struct guest_mem mem;
	uint8_t *ram;
	struct irq_chip chip;
	int level;
	unsigned raises;
	struct virtio_dev *d;
	uint16_t num;
	uint16_t avail_idx;
	uint16_t last_used;
};

static inline void tdrv_irq(void *opaque, unsigned irq, int level)
{
	struct tdrv *t = opaque;
	if (level && !t->level)
		t->raises++;
	t->level = level;
}

static inline void tdrv_mem_init(struct tdrv *t)
{
	memset(t, 0, sizeof(*t));
	t->ram = calloc(1, G_SIZE);
	t->mem.r[0] = (struct gmem_region){ .gpa = G_BASE, .size = G_SIZE, .host = t->ram };
	t->mem.nr = 1;
	t->chip = (struct irq_chip){ .set_level = tdrv_irq, .opaque = t };
}

static inline void *gpa(struct tdrv *t, uint64_t a)
{
	return t->ram + (a - G_BASE);
}

static inline uint32_t rd(struct tdrv *t, uint64_t off)
{
	uint32_t v = 0;
	virtio_mmio_ops.read(t->d, off, &v, 4);
	return le32toh(v);
}

static inline void wr(struct tdrv *t, uint64_t off, uint32_t v)
{
	v = htole32(v);
	virtio_mmio_ops.write(t->d, off, &v, 4);
}

/* §3.1.1 driver initialization; returns the final status. */
static inline uint32_t tdrv_setup(struct tdrv *t, uint64_t features, uint16_t num)
{
	wr(t, 0x070, 0);
	memset(gpa(t, Q_DESC), 0, 0x4000);
	t->num = num;
	t->avail_idx = 0;
	t->last_used = 0;
	wr(t, 0x070, 1);
	wr(t, 0x070, 1 | 2);
	wr(t, 0x024, 0);
	wr(t, 0x020, (uint32_t)features);
	wr(t, 0x024, 1);
	wr(t, 0x020, (uint32_t)(features >> 32));
	wr(t, 0x070, 1 | 2 | 8);
	if (!(rd(t, 0x070) & 8))
		return rd(t, 0x070);
	wr(t, 0x030, 0);
	wr(t, 0x038, num);
	wr(t, 0x080, (uint32_t)Q_DESC);
	wr(t, 0x084, (uint32_t)(Q_DESC >> 32));
	wr(t, 0x090, (uint32_t)Q_AVAIL);
	wr(t, 0x094, (uint32_t)(Q_AVAIL >> 32));
	wr(t, 0x0a0, (uint32_t)Q_USED);
	wr(t, 0x0a4, (uint32_t)(Q_USED >> 32));
	wr(t, 0x044, 1);
	wr(t, 0x070, 1 | 2 | 8 | 4);
	return rd(t, 0x070);
}

#define ALL_FEATURES ((1ull << 32) | (1ull << 28) | (1ull << 29))

static inline struct tdesc *desc(struct tdrv *t, unsigned i)
{
	return (struct tdesc *)gpa(t, Q_DESC) + i;
}

static inline void set_desc(struct tdesc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	*d = (struct tdesc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static inline uint16_t *avail_ring(struct tdrv *t)
{
	return (uint16_t *)gpa(t, Q_AVAIL);
}

/* Publish head, notify queue 0, and wait until the device's I/O thread is done with it. */
static inline void tdrv_kick(struct tdrv *t, uint16_t head)
{
	uint16_t *a = avail_ring(t);
	a[2 + t->avail_idx % t->num] = head;
	t->avail_idx++;
	__atomic_store_n(&a[1], t->avail_idx, __ATOMIC_RELEASE);
	wr(t, 0x050, 0);
	virtio_drain(t->d);
}

static inline uint16_t used_idx(struct tdrv *t)
{
	return __atomic_load_n((uint16_t *)gpa(t, Q_USED) + 1, __ATOMIC_ACQUIRE);
}

/* The used element at position i: {id, len}. */
static inline uint32_t used_id(struct tdrv *t, uint16_t i)
{
	return ((uint32_t *)gpa(t, Q_USED + 4))[2 * (i % t->num)];
}

static inline uint32_t used_len(struct tdrv *t, uint16_t i)
{
	return ((uint32_t *)gpa(t, Q_USED + 4))[2 * (i % t->num) + 1];
}

static inline void tdrv_ack(struct tdrv *t)
{
	wr(t, 0x064, rd(t, 0x060));
}

/*
 * A virtio-blk request as three descriptors from `first`: header, data (len bytes at Q_DATA, device-
 * writable for reads), status. Returns the head.
 */
static inline uint16_t blk_req(struct tdrv *t, uint16_t first, uint32_t type, uint64_t sector, uint64_t data,
			       uint32_t len, bool data_writable)
{
	uint16_t h = first, dd = (first + 1) % t->num, s = (first + 2) % t->num;
	uint64_t hdr = Q_HDR + 16 * (first % 64);
	uint32_t *hp = gpa(t, hdr);
	hp[0] = type;
	hp[1] = 0;
	memcpy(&hp[2], &sector, 8);
	*(uint8_t *)gpa(t, Q_STATUS + first) = 0xee;
	if (len) {
		set_desc(desc(t, h), hdr, 16, F_NEXT, dd);
		set_desc(desc(t, dd), data, len, F_NEXT | (data_writable ? F_WRITE : 0), s);
	} else {
		set_desc(desc(t, h), hdr, 16, F_NEXT, s);
	}
	set_desc(desc(t, s), Q_STATUS + first, 1, F_WRITE, 0);
	return h;
}

static inline uint8_t blk_status(struct tdrv *t, uint16_t first)
{
	return *(uint8_t *)gpa(t, Q_STATUS + first);
}

/* ---- In-memory block backend with error injection ---- */

struct fake_disk {
	uint8_t *data;
	uint64_t size;
	int fail;               /* next ops return this (-ENOSPC ...) while non-zero */
	unsigned flushes, discards, zeroes;
	bool last_unmap;
	/* Optional gate: pread blocks until released (slow-disk test). */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	bool gated, in_read;
};

static inline int fake_pread(struct blk_dev *b, void *buf, uint64_t len, uint64_t off)
{
	struct fake_disk *f = b->priv;
	pthread_mutex_lock(&f->gate_lock);
	f->in_read = true;
	pthread_cond_broadcast(&f->gate_cond);
	while (f->gated)
		pthread_cond_wait(&f->gate_cond, &f->gate_lock);
	f->in_read = false;
	pthread_mutex_unlock(&f->gate_lock);
	if (f->fail)
		return f->fail;
	memcpy(buf, f->data + off, len);
	return 0;
}

static inline int fake_pwrite(struct blk_dev *b, const void *buf, uint64_t len, uint64_t off)
{
	struct fake_disk *f = b->priv;
	if (f->fail)
		return f->fail;
	memcpy(f->data + off, buf, len);
	return 0;
}

static inline int fake_flush(struct blk_dev *b)
{
	struct fake_disk *f = b->priv;
	f->flushes++;
	return f->fail;
}

static inline int fake_discard(struct blk_dev *b, uint64_t off, uint64_t len)
{
	struct fake_disk *f = b->priv;
	f->discards++;
	memset(f->data + off, 0, len);
	return f->fail;
}

static inline int fake_write_zeroes(struct blk_dev *b, uint64_t off, uint64_t len, bool may_unmap)
{
	struct fake_disk *f = b->priv;
	f->zeroes++;
	f->last_unmap = may_unmap;
	if (f->fail)
		return f->fail;
	memset(f->data + off, 0, len);
	return 0;
}

static inline void fake_close(struct blk_dev *b)
{
	struct fake_disk *f = b->priv;
	free(f->data);
	free(f);
}

static const struct blk_ops fake_ops = {
	.name = "fake",
	.pread = fake_pread,
	.pwrite = fake_pwrite,
	.flush = fake_flush,
	.discard = fake_discard,
	.write_zeroes = fake_write_zeroes,
	.close = fake_close,
};

static inline struct blk_dev *fake_disk_new(uint64_t size, bool readonly, struct fake_disk **out)
{
	struct fake_disk *f = calloc(1, sizeof(*f));
	struct blk_dev *b = calloc(1, sizeof(*b));
	f->data = malloc(size);
	f->size = size;
	for (uint64_t i = 0; i < size; i++)
		f->data[i] = (uint8_t)(i * 7 + i / 512);
	pthread_mutex_init(&f->gate_lock, NULL);
	pthread_cond_init(&f->gate_cond, NULL);
	b->ops = &fake_ops;
	b->priv = f;
	b->path = strdup("fake.img");
	b->fd = -1;
	b->size = size;
	b->readonly = readonly;
	pthread_mutex_init(&b->lock, NULL);
	*out = f;
	return b;
}

/* A virtio-blk device on a fake disk, registered on a private bus, driver set up. */
struct tblk {
	struct tdrv t;
	struct bus bus;
	struct virtio_blk *vb;
	struct fake_disk *f;
};

static inline void tblk_init(struct tblk *x, uint64_t disk_size, bool readonly, const char *serial,
			     uint64_t features, uint16_t num)
{
	tdrv_mem_init(&x->t);
	bus_init(&x->bus, "mmio", 0);
	struct blk_dev *b = fake_disk_new(disk_size, readonly, &x->f);
	struct irq_line irq = { .chip = &x->t.chip, .irq = 5 };
	int r = virtio_blk_create(&x->bus, 0x0a000000, &x->t.mem, irq, b, serial, 0, &x->vb);
	CU_ASSERT_EQUAL_FATAL(r, 0);
	x->t.d = virtio_blk_dev(x->vb);
	if (num)
		CU_ASSERT_EQUAL(tdrv_setup(&x->t, features, num), 1 | 2 | 4 | 8);
}

static inline void tblk_free(struct tblk *x)
{
	virtio_blk_destroy(x->vb);
	bus_free(&x->bus);
	free(x->t.ram);
}

#endif
