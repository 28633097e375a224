/*
 * Split virtqueues, device side (virtio 1.2 §2.7). The driver is another CPU writing the rings
 * concurrently and may be hostile: every descriptor is read once into a local copy, every buffer is
 * translated with gmem_ptr over its whole length, chains are counted, and any violation is reported
 * to the caller (which puts the device into NEEDS_RESET) instead of being acted upon.
 */
#include <endian.h>
#include <stdatomic.h>
#include <string.h>

#include "devices/virtio/virtio.h"

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* num entries, then used_event (EVENT_IDX) */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* num entries, then avail_event (EVENT_IDX) */
};

/* §2.7: the alignment each part of the queue must have, and its size for num entries. */
static uint64_t desc_size(uint32_t num) { return 16ull * num; }
static uint64_t avail_size(uint32_t num) { return 6 + 2ull * num; }
static uint64_t used_size(uint32_t num) { return 6 + 8ull * num; }

static void *ring_map(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t align)
{
	if (gpa & (align - 1))
		return NULL;
	return gmem_ptr(mem, gpa, len);
}

bool virtq_start(struct virtq *vq, const struct guest_mem *mem, bool event_idx, bool indirect,
		 const char **why)
{
	/* §2.7: Queue Size is a power of 2 (or 0 = unused) not above QueueNumMax. */
	if (vq->num == 0 || vq->num > VIRTQ_MAX_SIZE || (vq->num & (vq->num - 1))) {
		*why = "queue size is not a power of 2 within QueueNumMax";
		return false;
	}
	vq->mem = mem;
	vq->desc = ring_map(mem, vq->desc_gpa, desc_size(vq->num), 16);
	vq->avail = ring_map(mem, vq->avail_gpa, avail_size(vq->num), 2);
	vq->used = ring_map(mem, vq->used_gpa, used_size(vq->num), 4);
	if (!vq->desc || !vq->avail || !vq->used) {
		*why = !vq->desc ? "descriptor table is not aligned guest RAM"
		     : !vq->avail ? "available ring is not aligned guest RAM"
				  : "used ring is not aligned guest RAM";
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return false;
	}
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	return true;
}

void virtq_reset(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

/* The fields past the rings exist only with EVENT_IDX and are inside the mapped sizes above. */
static uint16_t *used_event_ptr(struct virtq *vq)
{
	return &vq->avail->ring[vq->num];
}

static uint16_t *avail_event_ptr(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->num];
}

uint16_t virtq_avail_idx(struct virtq *vq)
{
	/* Acquire: the ring entries and descriptors the driver wrote before bumping idx are visible. */
	return le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
}

/* Append one buffer after translating it; readable buffers must all precede writable ones. */
static int elem_add(struct virtq *vq, struct virtq_elem *e, const struct vring_desc *d, uint64_t *total,
		    const char **why)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;

	if (e->nr >= VIRTQ_MAX_SIZE) {
		*why = "descriptor chain longer than the queue size";
		return -1;
	}
	if (d->len == 0) {
		*why = "zero-length descriptor";
		return -1;
	}
	uint8_t *p = gmem_ptr(vq->mem, d->addr, d->len);
	if (!p) {
		*why = "descriptor buffer is outside guest RAM";
		return -1;
	}
	*total += d->len;
	if (*total > UINT32_MAX) {
		*why = "descriptor chain longer than 4 GiB"; /* the used ring's len is 32 bits */
		return -1;
	}
	if (!writable && e->nr > e->nr_readable) {
		*why = "device-readable descriptor after a device-writable one";
		return -1;
	}
	e->buf[e->nr++] = (struct virtq_buf){ .p = p, .len = d->len, .writable = writable };
	if (!writable)
		e->nr_readable++;
	return 0;
}

static void desc_load(struct virtq *vq, struct vring_desc *dst, const struct vring_desc *src)
{
	/*
	 * One read of each field: the driver may rewrite the table while we walk it (TOCTOU), and a
	 * plain copy would let the compiler read a field again after it was checked. The tables are
	 * 16-byte aligned (virtq_start, walk_indirect), so these loads are natural-size and aligned.
	 */
	dst->addr = le64toh(__atomic_load_n(&src->addr, __ATOMIC_RELAXED));
	dst->len = le32toh(__atomic_load_n(&src->len, __ATOMIC_RELAXED));
	dst->flags = le16toh(__atomic_load_n(&src->flags, __ATOMIC_RELAXED));
	dst->next = le16toh(__atomic_load_n(&src->next, __ATOMIC_RELAXED));
	vq->last.addr = dst->addr;
	vq->last.len = dst->len;
	vq->last.flags = dst->flags;
	vq->last.valid = true;
}

/* §2.7.5.3: one level of indirection; the table holds its own chain starting at entry 0. */
static int walk_indirect(struct virtq *vq, struct virtq_elem *e, const struct vring_desc *ind,
			 uint64_t *total, const char **why)
{
	if (ind->len == 0 || ind->len % sizeof(struct vring_desc)) {
		*why = "indirect table length is not a non-zero multiple of 16";
		return -1;
	}
	uint32_t n = ind->len / sizeof(struct vring_desc);
	if (n > VIRTQ_MAX_SIZE) {
		*why = "indirect table larger than the queue size";
		return -1;
	}
	if (ind->addr & 0xf) {
		/* Not required by the spec in words, but a misaligned table is never what Linux builds. */
		*why = "indirect table is misaligned";
		return -1;
	}
	const struct vring_desc *table = gmem_ptr(vq->mem, ind->addr, ind->len);
	if (!table) {
		*why = "indirect table is outside guest RAM";
		return -1;
	}
	uint32_t i = 0;
	for (uint32_t count = 0;; count++) {
		struct vring_desc d;
		if (count >= n) {
			*why = "loop in indirect descriptor table";
			return -1;
		}
		desc_load(vq, &d, &table[i]); /* i < n: the table was mapped for n entries */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			*why = "nested indirect descriptor table";
			return -1;
		}
		if (elem_add(vq, e, &d, total, why) < 0)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= n) {
			*why = "indirect descriptor index out of range";
			return -1;
		}
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e, const char **why)
{
	uint16_t avail = virtq_avail_idx(vq);

	vq->last.valid = false;

	if (avail == vq->last_avail && vq->event_idx) {
		/* §2.7.10: ask for a notification at the next entry, then re-check (store-load fence). */
		__atomic_store_n(avail_event_ptr(vq), htole16(vq->last_avail), __ATOMIC_RELAXED);
		atomic_thread_fence(memory_order_seq_cst);
		avail = virtq_avail_idx(vq);
	}
	if (avail == vq->last_avail)
		return 0;
	if ((uint16_t)(avail - vq->last_avail) > vq->num) {
		*why = "available index moved by more than the queue size";
		return -1;
	}

	/* In bounds: the ring was mapped for num entries by virtq_start. Read once: checked below. */
	uint16_t head = le16toh(__atomic_load_n(&vq->avail->ring[vq->last_avail % vq->num], __ATOMIC_RELAXED));
	if (head >= vq->num) {
		*why = "available ring entry out of range";
		return -1;
	}
	e->head = head;
	e->nr = 0;
	e->nr_readable = 0;

	uint64_t total = 0;
	uint16_t i = head;
	for (uint32_t count = 0;; count++) {
		struct vring_desc d;
		if (count >= vq->num) {
			*why = "loop in descriptor chain (longer than the queue size)";
			return -1;
		}
		desc_load(vq, &d, &vq->desc[i]); /* i < num: head and every next were checked */
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* §2.7.5.3.1: needs the feature, never with NEXT; the WRITE flag is ignored. */
			if (!vq->indirect) {
				*why = "indirect descriptor without VIRTIO_F_INDIRECT_DESC";
				return -1;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				*why = "indirect descriptor with the NEXT flag";
				return -1;
			}
			if (walk_indirect(vq, e, &d, &total, why) < 0)
				return -1;
			break;
		}
		if (elem_add(vq, e, &d, &total, why) < 0)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= vq->num) {
			*why = "descriptor index out of range";
			return -1;
		}
		i = d.next;
	}
	vq->last_avail++;
	return 1;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	struct vring_used_elem *u = &vq->used->ring[vq->used_idx % vq->num]; /* mapped: num entries */
	u->id = htole32(head);
	u->len = htole32(written);
	vq->used_idx++;
	/* Release: the element (and the data written into the buffers) before the index. */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
}

/* §2.7.10: the driver asked to be interrupted when used idx passes used_event. */
static bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_should_notify(struct virtq *vq)
{
	/* Our used idx store must be visible before we read the driver's suppression fields. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!vq->event_idx)
		return !(le16toh(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	uint16_t old = vq->signalled_used;
	bool valid = vq->signalled_used_valid;
	uint16_t event = le16toh(__atomic_load_n(used_event_ptr(vq), __ATOMIC_RELAXED));
	vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	return !valid || vring_need_event(event, vq->used_idx, old);
}
