/*
 * virtio over MMIO (virtio 1.2 §4.2, version 2 registers only), split virtqueues (§2.7) and the
 * devices built on them (virtio-blk, §5.2). Shared by both engines: a device only sees struct bus
 * (registers), struct guest_mem (rings and buffers, always through gmem_ptr) and struct irq_line.
 *
 * Threads: registers are accessed from vCPU threads; each device has one I/O thread woken by an
 * eventfd on QueueNotify, which pops chains, does the (possibly slow) host I/O and raises the
 * interrupt. A broken queue never stops the VMM: the device enters DEVICE_NEEDS_RESET (§2.1.2).
 */
#ifndef MINIVMM_VIRTIO_H
#define MINIVMM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/mem.h"

struct machine;

/* ---- Board interface ---- */

struct virtio_slot { uint64_t base; unsigned irq; };   /* irq: the board's numbering, passed to machine_irq_line() */

/* Bytes of register window each device decodes (§4.2.2: config space ends below 0x200). */
#define VIRTIO_MMIO_WINDOW 0x200

/*
 * Create one virtio device per configured disk (cfg->disks; nets later) in the given slots, register
 * them on m->mmio and return how many slots were used. 0 or -errno with a log_error line naming the disk.
 */
int virtio_create_devices(struct machine *m, const struct virtio_slot *slots, unsigned nr_slots, unsigned *used);

/*
 * Stop the I/O threads, flush and close the backends of every device created for m. Boards call it
 * from teardown, before guest RAM is freed; safe to call when nothing was created.
 */
void virtio_destroy_devices(struct machine *m);

/* ---- Transport constants (§2.1 status, §6 reserved feature bits) ---- */

enum {
	VIRTIO_STATUS_ACKNOWLEDGE = 1,
	VIRTIO_STATUS_DRIVER = 2,
	VIRTIO_STATUS_DRIVER_OK = 4,
	VIRTIO_STATUS_FEATURES_OK = 8,
	VIRTIO_STATUS_NEEDS_RESET = 64,
	VIRTIO_STATUS_FAILED = 128,
};

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* InterruptStatus bits (§4.2.2). */
#define VIRTIO_INT_VRING 1u
#define VIRTIO_INT_CONFIG 2u

/* ---- Split virtqueues (virtq.c) ---- */

#define VIRTQ_MAX_SIZE 256      /* QueueNumMax; also the longest chain accepted (§2.7.5.3.1) */

struct vring_desc;
struct vring_avail;
struct vring_used;

struct virtq {
	/* Set by the driver through the registers while the queue is not ready. */
	uint32_t num;
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Valid once virtq_start() succeeded: host views of the three rings, checked with gmem_ptr. */
	const struct guest_mem *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	bool event_idx;         /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;          /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint16_t last_avail;    /* next avail ring slot the device consumes */
	uint16_t used_idx;      /* device's copy of used->idx */
	uint16_t signalled_used;
	bool signalled_used_valid;
	/* The descriptor being walked when virtq_pop failed, for the log line. */
	struct { uint64_t addr; uint32_t len; uint16_t flags; bool valid; } last;
};

/* One guest buffer of a chain, already translated: [p, p+len) lies in guest RAM. */
struct virtq_buf {
	uint8_t *p;
	uint32_t len;
	bool writable;          /* device-writable (VIRTQ_DESC_F_WRITE) */
};

struct virtq_elem {
	uint16_t head;          /* id written to the used ring */
	unsigned nr;            /* buffers: readable ones first, then writable (§2.7.4.2) */
	unsigned nr_readable;
	uint64_t gen;           /* device reset generation the chain was popped in */
	struct virtq_buf buf[VIRTQ_MAX_SIZE];
};

/* Translate and validate the rings the driver configured. false: bad address/size/alignment. */
bool virtq_start(struct virtq *vq, const struct guest_mem *mem, bool event_idx, bool indirect,
		 const char **why);
/* Forget everything (device reset, §2.4). */
void virtq_reset(struct virtq *vq);
/*
 * Pop the next available chain. 1: *e filled; 0: queue empty (with EVENT_IDX, avail_event updated
 * and re-checked); -1: the driver broke the queue (*why says how, for the log line).
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *e, const char **why);
/* The driver's avail->idx (for log lines; virtq_pop reads it itself). */
uint16_t virtq_avail_idx(struct virtq *vq);
/* Return a chain to the driver with `written` bytes written into its writable buffers. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);
/* After pushes: does the driver want an interrupt (EVENT_IDX / VRING_AVAIL_F_NO_INTERRUPT)? */
bool virtq_should_notify(struct virtq *vq);

/* ---- A virtio device on the MMIO transport (mmio.c) ---- */

#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;

struct virtio_dev_ops {
	const char *type;               /* "virtio-blk", for log lines */
	uint32_t device_id;             /* §5: 2 = block */
	unsigned nr_queues;
	/* Device-specific config space (§4.2.2 offset 0x100+); off+len within config_size. */
	uint32_t config_size;
	void (*config_read)(struct virtio_dev *d, uint32_t off, void *data, unsigned len);
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *data, unsigned len);
	/* Queue q was notified: runs on the device's I/O thread, pops until empty. */
	void (*queue_notify)(struct virtio_dev *d, unsigned q);
	/* Status was written 0 (no request is in flight when this runs). */
	void (*reset)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;
	char name[32];                  /* "virtio-blk0", prefix of every log line */
	const struct guest_mem *mem;
	struct irq_line irq;
	uint64_t host_features;         /* offered */

	pthread_mutex_t lock;           /* registers, queue state, interrupt status */
	pthread_cond_t idle;            /* signalled when an in-flight chain completes */
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t drv_features;
	uint32_t int_status;
	uint32_t config_gen;
	uint64_t gen;                   /* bumped on reset: completions of older chains are dropped */
	unsigned in_flight;
	struct virtq vq[VIRTIO_MAX_QUEUES];

	/* I/O thread */
	int kick_fd;                    /* eventfd written on QueueNotify */
	pthread_t thread;
	bool thread_started;
	bool stopping;
	uint32_t pending;               /* bitmask of notified queues (atomic) */
	uint64_t kicks;                 /* QueueNotify writes so far (atomic, no lock) */
	uint64_t passes;                /* kicks the I/O thread has handled; drain() waits for it */
};

/* Set up d (lock, I/O thread); register it with bus_register(bus, base, VIRTIO_MMIO_WINDOW, &virtio_mmio_ops, d). */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *priv, const char *name,
		    const struct guest_mem *mem, struct irq_line irq, uint64_t features);
/* Stop the I/O thread (finishing the request in flight). */
void virtio_dev_stop(struct virtio_dev *d);
extern const struct bus_ops virtio_mmio_ops;

/* For device implementations, on the I/O thread: */
int virtio_pop(struct virtio_dev *d, unsigned q, struct virtq_elem *e);   /* 1, 0 empty, -1 broken (already NEEDS_RESET) */
void virtio_push(struct virtio_dev *d, unsigned q, const struct virtq_elem *e, uint32_t written);
/* The driver broke the protocol in chain e (or e NULL): NEEDS_RESET, config interrupt, one log line. */
void virtio_fail(struct virtio_dev *d, const struct virtq_elem *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool virtio_has_feature(const struct virtio_dev *d, unsigned bit);
/* Run queue q on the I/O thread as if the driver had notified it (backends with host events). */
void virtio_dev_kick(struct virtio_dev *d, unsigned q);
/* Wait until the I/O thread has handled every notification so far (tests, reset). */
void virtio_drain(struct virtio_dev *d);

/* ---- virtio-blk (blk.c) ---- */

struct blk_dev;
struct virtio_blk;
/* Creates the device on an open backend (owned by the device on success) and registers it at base on bus. */
int virtio_blk_create(struct bus *bus, uint64_t base, const struct guest_mem *mem, struct irq_line irq,
		      struct blk_dev *backend, const char *serial, unsigned index, struct virtio_blk **out);
void virtio_blk_destroy(struct virtio_blk *vb);   /* stops the thread, flushes and closes the backend */
struct virtio_dev *virtio_blk_dev(struct virtio_blk *vb);

#endif
