/*
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2): the register file, feature negotiation,
 * device status and reset, interrupts, and the per-device I/O thread that runs the queues.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio/virtio.h"
#include "vmm/util.h"

/* §4.2.2 register map (offsets from the device base). */
enum {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010,
	REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020,
	REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044,
	REG_QUEUE_NOTIFY = 0x050,
	REG_INTERRUPT_STATUS = 0x060,
	REG_INTERRUPT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080,
	REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090,
	REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0,
	REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_SHM_SEL = 0x0ac,
	REG_SHM_LEN_LOW = 0x0b0,
	REG_SHM_LEN_HIGH = 0x0b4,
	REG_SHM_BASE_LOW = 0x0b8,
	REG_SHM_BASE_HIGH = 0x0bc,
	REG_CONFIG_GENERATION = 0x0fc,
	REG_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4d4d5653u /* "SVMM": no PCI vendor, any constant will do */

/* Transport features every device offers on top of its own. */
#define TRANSPORT_FEATURES \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX))

static void raise_locked(struct virtio_dev *d, uint32_t bits)
{
	bool was = d->int_status != 0;
	d->int_status |= bits;
	/* The interrupt controller outlives this device: machine.c tears the board down first. */
	if (!was)
		irq_set(&d->irq, 1);
}

/* §2.1.2: NEEDS_RESET, and a configuration-change notification once the driver is running. */
static void fail_locked(struct virtio_dev *d, const char *why)
{
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	log_guest("%s: guest broke the device (%s); DEVICE_NEEDS_RESET until the driver resets it",
		  d->name, why);
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		raise_locked(d, VIRTIO_INT_CONFIG);
}

void virtio_fail(struct virtio_dev *d, const struct virtq_elem *e, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->lock);
	if (e && d->in_flight && e->gen == d->gen)
		d->in_flight--;
	if (!e || e->gen == d->gen)
		fail_locked(d, why);
	if (!d->in_flight)
		pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->lock);
}

bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
	return d->drv_features & (1ull << bit);
}

/* §2.4: back to the initial state; the request in flight (if any) finishes first. */
static void reset_locked(struct virtio_dev *d)
{
	while (d->in_flight)
		pthread_cond_wait(&d->idle, &d->lock);
	d->gen++;
	d->status = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	d->drv_features = 0;
	if (d->int_status)
		irq_set(&d->irq, 0);
	d->int_status = 0;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_reset(&d->vq[i]);
	__atomic_store_n(&d->pending, 0, __ATOMIC_RELAXED);
	if (d->ops->reset)
		d->ops->reset(d);
}

static void status_write_locked(struct virtio_dev *d, uint32_t v)
{
	if (v == 0) {
		reset_locked(d);
		return;
	}
	/* §2.1.1: the driver only ever adds bits (NEEDS_RESET is the device's). */
	v &= 0xff & ~VIRTIO_STATUS_NEEDS_RESET;
	if ((d->status & ~v) & ~VIRTIO_STATUS_NEEDS_RESET & 0xff) {
		log_guest("%s: status 0x%x clears bits of 0x%x without a reset; ignored", d->name, v,
			  d->status);
		return;
	}
	uint32_t added = v & ~d->status;
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		/* §2.2.2 / §6.1: only offered features, and a modern driver must take VERSION_1. */
		uint64_t f = d->drv_features;
		if ((f & ~d->host_features) || !(f & (1ull << VIRTIO_F_VERSION_1))) {
			log_guest("%s: driver features 0x%llx rejected (offered 0x%llx, VERSION_1 required)",
				  d->name, (unsigned long long)f, (unsigned long long)d->host_features);
			v &= ~VIRTIO_STATUS_FEATURES_OK; /* the driver reads it back and gives up */
		}
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK)) {
		d->status |= v & ~VIRTIO_STATUS_DRIVER_OK;
		fail_locked(d, "DRIVER_OK without FEATURES_OK");
		return;
	}
	d->status = (d->status & VIRTIO_STATUS_NEEDS_RESET) | v;
	/* Broken before DRIVER_OK (e.g. bad ring addresses): tell the driver now that it listens. */
	if ((added & VIRTIO_STATUS_DRIVER_OK) && (d->status & VIRTIO_STATUS_NEEDS_RESET))
		raise_locked(d, VIRTIO_INT_CONFIG);
}

static void queue_ready_write_locked(struct virtio_dev *d, struct virtq *vq, uint32_t v)
{
	if (!v) {
		/* §4.2.3.2 allows disabling a queue only via reset in practice; honour it as a stop. */
		vq->ready = false;
		return;
	}
	if (vq->ready)
		return;
	const char *why = NULL;
	if (!virtq_start(vq, d->mem, virtio_has_feature(d, VIRTIO_F_EVENT_IDX),
			 virtio_has_feature(d, VIRTIO_F_INDIRECT_DESC), &why)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "queue %u: %s (desc 0x%llx avail 0x%llx used 0x%llx num %u)",
			 d->queue_sel, why, (unsigned long long)vq->desc_gpa,
			 (unsigned long long)vq->avail_gpa, (unsigned long long)vq->used_gpa, vq->num);
		fail_locked(d, msg);
		return;
	}
	vq->ready = true;
}

/*
 * The doorbell, the hottest register: lock-free, so the I/O thread that the eventfd wakes does not
 * block at once on d->lock still held by this vCPU. The pending bit is set before kicks is counted
 * (release), and the I/O thread reads kicks (acquire) before taking the bits, so every kick that
 * virtio_drain() waits for has had its queue run.
 */
static void queue_notify(struct virtio_dev *d, uint32_t q)
{
	if (q >= d->ops->nr_queues) {
		log_guest("%s: notify of queue %u which does not exist", d->name, q);
		return;
	}
	__atomic_fetch_or(&d->pending, 1u << q, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->kicks, 1, __ATOMIC_RELEASE);
	uint64_t one = 1;
	/* A full counter (2^64-2 kicks) cannot happen; EAGAIN would only mean "already pending". */
	if (write(d->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("%s: cannot wake the I/O thread: %s", d->name, strerror(errno));
}

void virtio_dev_kick(struct virtio_dev *d, unsigned q)
{
	queue_notify(d, q);
}

/* Select a 32-bit half of a 64-bit value: sel 0 low, 1 high. */
static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*v = (*v & ~0xffffffffull) | val;
}

static uint32_t reg_read_locked(struct virtio_dev *d, uint64_t off)
{
	struct virtq *vq = d->queue_sel < d->ops->nr_queues ? &d->vq[d->queue_sel] : NULL;

	switch (off) {
	case REG_MAGIC: return VIRTIO_MMIO_MAGIC;
	case REG_VERSION: return 2;
	case REG_DEVICE_ID: return d->ops->device_id;
	case REG_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case REG_DEVICE_FEATURES:
		return d->dev_features_sel < 2 ? (uint32_t)(d->host_features >> (32 * d->dev_features_sel)) : 0;
	case REG_QUEUE_NUM_MAX: return vq ? VIRTQ_MAX_SIZE : 0; /* 0: queue not available */
	case REG_QUEUE_READY: return vq ? vq->ready : 0;
	case REG_INTERRUPT_STATUS: return d->int_status;
	case REG_STATUS: return d->status;
	case REG_SHM_LEN_LOW:
	case REG_SHM_LEN_HIGH:
		return 0xffffffffu; /* §4.2.2: no shared memory regions: length -1 */
	case REG_SHM_BASE_LOW:
	case REG_SHM_BASE_HIGH:
		return 0xffffffffu;
	case REG_CONFIG_GENERATION: return d->config_gen;
	}
	log_guest("%s: read of write-only or unknown register 0x%llx", d->name, (unsigned long long)off);
	return 0;
}

static void reg_write_locked(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct virtq *vq = d->queue_sel < d->ops->nr_queues ? &d->vq[d->queue_sel] : NULL;

	switch (off) {
	case REG_DEVICE_FEATURES_SEL: d->dev_features_sel = v; return;
	case REG_DRIVER_FEATURES_SEL: d->drv_features_sel = v; return;
	case REG_DRIVER_FEATURES:
		if (d->status & VIRTIO_STATUS_FEATURES_OK) {
			log_guest("%s: driver features written after FEATURES_OK; ignored", d->name);
			return;
		}
		if (d->drv_features_sel < 2)
			set_half(&d->drv_features, d->drv_features_sel, v);
		else if (v)
			log_guest("%s: driver features word %u = 0x%x ignored", d->name, d->drv_features_sel, v);
		return;
	case REG_QUEUE_SEL: d->queue_sel = v; return;
	case REG_INTERRUPT_ACK:
		d->int_status &= ~v;
		if (!d->int_status)
			irq_set(&d->irq, 0);
		return;
	case REG_STATUS: status_write_locked(d, v); return;
	case REG_SHM_SEL: return; /* any id: none exists */
	}

	if (off == REG_QUEUE_NUM || off == REG_QUEUE_READY ||
	    (off >= REG_QUEUE_DESC_LOW && off <= REG_QUEUE_DEVICE_HIGH)) {
		if (!vq) {
			log_guest("%s: write to register 0x%llx for queue %u which does not exist", d->name,
				  (unsigned long long)off, d->queue_sel);
			return;
		}
		if (off == REG_QUEUE_READY) {
			queue_ready_write_locked(d, vq, v);
			return;
		}
		/* §4.2.3.2: the layout is only written while the queue is not ready. */
		if (vq->ready) {
			log_guest("%s: queue %u register 0x%llx written while ready; ignored", d->name,
				  d->queue_sel, (unsigned long long)off);
			return;
		}
		switch (off) {
		case REG_QUEUE_NUM: vq->num = v; return;
		case REG_QUEUE_DESC_LOW: set_half(&vq->desc_gpa, false, v); return;
		case REG_QUEUE_DESC_HIGH: set_half(&vq->desc_gpa, true, v); return;
		case REG_QUEUE_DRIVER_LOW: set_half(&vq->avail_gpa, false, v); return;
		case REG_QUEUE_DRIVER_HIGH: set_half(&vq->avail_gpa, true, v); return;
		case REG_QUEUE_DEVICE_LOW: set_half(&vq->used_gpa, false, v); return;
		case REG_QUEUE_DEVICE_HIGH: set_half(&vq->used_gpa, true, v); return;
		}
	}
	log_guest("%s: write of 0x%x to read-only or unknown register 0x%llx", d->name, v,
		  (unsigned long long)off);
}

static void virtio_mmio_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct virtio_dev *d = opaque;

	memset(data, 0, len);
	if (off >= REG_CONFIG) {
		uint64_t c = off - REG_CONFIG;
		if (c >= d->ops->config_size || len > d->ops->config_size - c || !d->ops->config_read) {
			log_guest("%s: config read of %u bytes at 0x%llx beyond its %u bytes", d->name, len,
				  (unsigned long long)c, d->ops->config_size);
			return;
		}
		pthread_mutex_lock(&d->lock);
		d->ops->config_read(d, c, data, len);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	/* §4.2.2: the control registers are 32 bits wide and read as a whole. */
	if (len != 4 || (off & 3)) {
		log_guest("%s: %u-byte read at register 0x%llx (only aligned 32-bit accesses)", d->name,
			  len, (unsigned long long)off);
		return;
	}
	pthread_mutex_lock(&d->lock);
	uint32_t v = htole32(reg_read_locked(d, off));
	pthread_mutex_unlock(&d->lock);
	memcpy(data, &v, 4);
}

static void virtio_mmio_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct virtio_dev *d = opaque;

	if (off >= REG_CONFIG) {
		uint64_t c = off - REG_CONFIG;
		if (c >= d->ops->config_size || len > d->ops->config_size - c || !d->ops->config_write) {
			log_guest("%s: config write of %u bytes at 0x%llx ignored", d->name, len,
				  (unsigned long long)c);
			return;
		}
		pthread_mutex_lock(&d->lock);
		d->ops->config_write(d, c, data, len);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (len != 4 || (off & 3)) {
		log_guest("%s: %u-byte write at register 0x%llx ignored (only aligned 32-bit accesses)",
			  d->name, len, (unsigned long long)off);
		return;
	}
	uint32_t v;
	memcpy(&v, data, 4);
	v = le32toh(v);
	if (off == REG_QUEUE_NOTIFY) {
		queue_notify(d, v);
		return;
	}
	pthread_mutex_lock(&d->lock);
	reg_write_locked(d, off, v);
	pthread_mutex_unlock(&d->lock);
}

const struct bus_ops virtio_mmio_ops = {
	.name = "virtio-mmio",
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
};

int virtio_pop(struct virtio_dev *d, unsigned q, struct virtq_elem *e)
{
	const char *why = NULL;
	int r = 0;

	pthread_mutex_lock(&d->lock);
	struct virtq *vq = &d->vq[q];
	if ((d->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) == VIRTIO_STATUS_DRIVER_OK &&
	    vq->ready) {
		r = virtq_pop(vq, e, &why);
		if (r < 0) {
			char msg[160];
			if (vq->last.valid)
				snprintf(msg, sizeof(msg), "queue %u: %s; descriptor addr 0x%llx len %u flags 0x%x",
					 q, why, (unsigned long long)vq->last.addr, vq->last.len, vq->last.flags);
			else
				snprintf(msg, sizeof(msg), "queue %u: %s; avail idx %u, device at %u", q, why,
					 virtq_avail_idx(vq), vq->last_avail);
			fail_locked(d, msg);
		} else if (r > 0) {
			e->gen = d->gen;
			d->in_flight++;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

void virtio_push(struct virtio_dev *d, unsigned q, const struct virtq_elem *e, uint32_t written)
{
	pthread_mutex_lock(&d->lock);
	/* A chain popped before a reset belongs to a queue that no longer exists. */
	if (e->gen == d->gen) {
		struct virtq *vq = &d->vq[q];
		d->in_flight--;
		if (vq->ready) {
			virtq_push(vq, e->head, written);
			if (virtq_should_notify(vq))
				raise_locked(d, VIRTIO_INT_VRING);
		}
	}
	if (!d->in_flight)
		pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->lock);
}

static void *virtio_io_thread(void *opaque)
{
	struct virtio_dev *d = opaque;

	for (;;) {
		uint64_t v;
		if (read(d->kick_fd, &v, sizeof(v)) < 0 && errno != EINTR && errno != EAGAIN) {
			log_error("%s: I/O thread cannot read its eventfd: %s", d->name, strerror(errno));
			break;
		}
		pthread_mutex_lock(&d->lock);
		bool stop = d->stopping;
		pthread_mutex_unlock(&d->lock);
		uint64_t seen = __atomic_load_n(&d->kicks, __ATOMIC_ACQUIRE);
		if (stop)
			break;
		uint32_t pending = __atomic_exchange_n(&d->pending, 0, __ATOMIC_ACQ_REL);
		for (unsigned q = 0; q < d->ops->nr_queues; q++)
			if (pending & (1u << q))
				d->ops->queue_notify(d, q);
		pthread_mutex_lock(&d->lock);
		d->passes = seen;
		pthread_cond_broadcast(&d->idle);
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

void virtio_drain(struct virtio_dev *d)
{
	uint64_t target = __atomic_load_n(&d->kicks, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&d->lock);
	while (d->passes < target && d->thread_started && !d->stopping)
		pthread_cond_wait(&d->idle, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *priv, const char *name,
		    const struct guest_mem *mem, struct irq_line irq, uint64_t features)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->priv = priv;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->mem = mem;
	d->irq = irq;
	d->host_features = features | TRANSPORT_FEATURES;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->idle, NULL);
	d->kick_fd = eventfd(0, EFD_CLOEXEC);
	if (d->kick_fd < 0) {
		int err = -errno;
		log_error("%s: cannot create an eventfd: %s", d->name, strerror(errno));
		return err;
	}
	int err = pthread_create(&d->thread, NULL, virtio_io_thread, d);
	if (err) {
		log_error("%s: cannot start the I/O thread: %s", d->name, strerror(err));
		close(d->kick_fd);
		d->kick_fd = -1;
		return -err;
	}
	d->thread_started = true;
	return 0;
}

void virtio_dev_stop(struct virtio_dev *d)
{
	if (!d->thread_started)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->lock);
	uint64_t one = 1;
	if (write(d->kick_fd, &one, sizeof(one)) < 0)
		log_error("%s: cannot stop the I/O thread: %s", d->name, strerror(errno));
	pthread_join(d->thread, NULL);
	d->thread_started = false;
	close(d->kick_fd);
	d->kick_fd = -1;
}
