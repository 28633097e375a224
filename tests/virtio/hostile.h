/*
 * The arch-neutral half of the hostile virtio guest (tests/virtio/hostile-*.c): it drives the first
 * virtio-blk it finds by hand and feeds it broken virtqueues (virtio 1.2 §2.7). Each must put the
 * device into DEVICE_NEEDS_RESET with a configuration interrupt and complete nothing; a reset must
 * bring it back (a good read of a known sector); the VMM must survive all of it. The disk is a raw
 * image whose sector n is filled with the byte n & 0xff.
 *
 * The front end defines, before including this file: Q (a free 1 MiB of RAM for the rings), RAM_END,
 * MMIO_UART (a device address no DMA may reach), HOSTILE_WINDOWS (transport windows to scan),
 * hostile_now()/hostile_deadline(ms), hostile_wmb(), hostile_check(cond, fmt...), hostile_printf().
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#ifndef HOSTILE_FEATURES_LO
#define HOSTILE_FEATURES_LO (1u << 28) /* INDIRECT_DESC; VERSION_1 is always taken */
#endif

#define Q_DESC (Q + 0x0000)
#define Q_AVAIL (Q + 0x1000)
#define Q_USED (Q + 0x2000)
#define Q_IND (Q + 0x4000)
#define Q_HDR (Q + 0x8000)
#define Q_STATUS (Q + 0x9000)
#define Q_DATA (Q + 0x10000)
#define NUM 16

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

enum { MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEV_FEAT = 0x010, DEV_FEAT_SEL = 0x014,
       DRV_FEAT = 0x020, DRV_FEAT_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034,
       QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, INT_STATUS = 0x060,
       INT_ACK = 0x064, STATUS = 0x070, DESC_LO = 0x080, DESC_HI = 0x084, AVAIL_LO = 0x090,
       AVAIL_HI = 0x094, USED_LO = 0x0a0, USED_HI = 0x0a4 };

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static uintptr_t dev;
static uint16_t avail_idx;

static uint32_t rd(unsigned off) { return mmio_read32(dev + off); }
static void wr(unsigned off, uint32_t v) { mmio_write32(dev + off, v); }
static volatile struct desc *desc(unsigned i) { return (volatile struct desc *)Q_DESC + i; }
static volatile uint16_t *avail(void) { return (volatile uint16_t *)Q_AVAIL; }
static uint16_t used_idx(void) { return ((volatile uint16_t *)Q_USED)[1]; }

static void set_desc(volatile struct desc *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* The first virtio-blk in any of the transport windows the arch front end lists. */
static bool find_device(void)
{
	static const struct { uintptr_t base, stride; unsigned n; } windows[] = { HOSTILE_WINDOWS };
	for (unsigned w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
		for (unsigned i = 0; i < windows[w].n; i++) {
			dev = windows[w].base + i * windows[w].stride;
			if (rd(MAGIC) == 0x74726976 && rd(VERSION) == 2 && rd(DEVICE_ID) == 2)
				return true;
		}
	return false;
}

/* §3.1.1, with VERSION_1 and INDIRECT_DESC; rings at Q. Returns the status read back. */
static uint32_t setup(void)
{
	wr(STATUS, 0);
	for (unsigned i = 0; i < 0x4000 / 4; i++)
		((volatile uint32_t *)Q)[i] = 0;
	avail_idx = 0;
	wr(STATUS, 1);
	wr(STATUS, 3);
	wr(DRV_FEAT_SEL, 0);
	wr(DRV_FEAT, HOSTILE_FEATURES_LO);
	wr(DRV_FEAT_SEL, 1);
	wr(DRV_FEAT, 1);
	wr(STATUS, 3 | 8);
	wr(QUEUE_SEL, 0);
	wr(QUEUE_NUM, NUM);
	wr(DESC_LO, (uint32_t)Q_DESC);
	wr(DESC_HI, 0);
	wr(AVAIL_LO, (uint32_t)Q_AVAIL);
	wr(AVAIL_HI, 0);
	wr(USED_LO, (uint32_t)Q_USED);
	wr(USED_HI, 0);
	wr(QUEUE_READY, 1);
	wr(STATUS, 3 | 8 | 4);
	return rd(STATUS);
}

static void publish(uint16_t head, uint16_t step)
{
	avail()[2 + avail_idx % NUM] = head;
	avail_idx += step;
	hostile_wmb(); /* ring entry before index, index before the notify */
	avail()[1] = avail_idx;
	hostile_wmb();
	wr(QUEUE_NOTIFY, 0);
}

/* Bounded polling on the arch's clock: a device that never answers is a failure, not a hang. */
static bool wait_used(uint16_t want)
{
	for (uint64_t end = hostile_deadline(20000); hostile_now() < end;)
		if (used_idx() == want)
			return true;
	return used_idx() == want;
}

static bool wait_needs_reset(void)
{
	for (uint64_t end = hostile_deadline(5000); hostile_now() < end;)
		if (rd(STATUS) & 64)
			return true;
	return rd(STATUS) & 64;
}

/* header / data / status from descriptor `first` on. */
static uint16_t blk_req(uint16_t first, uint32_t type, uint64_t sector, uint64_t data, uint32_t len, bool wdata)
{
	volatile uint32_t *h = (volatile uint32_t *)Q_HDR;
	h[0] = type;
	h[1] = 0;
	h[2] = (uint32_t)sector;
	h[3] = (uint32_t)(sector >> 32);
	*(volatile uint8_t *)Q_STATUS = 0xee;
	if (!len) { /* flush: header and status only */
		set_desc(desc(first), Q_HDR, 16, F_NEXT, first + 2);
	} else {
		set_desc(desc(first), Q_HDR, 16, F_NEXT, first + 1);
		set_desc(desc(first + 1), data, len, F_NEXT | (wdata ? F_WRITE : 0), first + 2);
	}
	set_desc(desc(first + 2), Q_STATUS, 1, F_WRITE, 0);
	return first;
}

static bool good_read(unsigned sector)
{
	for (unsigned i = 0; i < 512 / 4; i++)
		((volatile uint32_t *)Q_DATA)[i] = 0x55555555;
	publish(blk_req(0, 0, sector, Q_DATA, 512, true), 1);
	if (!wait_used(avail_idx) || *(volatile uint8_t *)Q_STATUS != 0)
		return false;
	volatile uint8_t *d = (volatile uint8_t *)Q_DATA;
	return d[0] == (sector & 0xff) && d[511] == (sector & 0xff);
}

typedef uint16_t (*build_fn)(void);

static uint16_t h_loop(void)
{
	blk_req(0, 0, 1, Q_DATA, 512, true);
	desc(2)->flags |= F_NEXT;
	desc(2)->next = 1;
	return 0;
}
static uint16_t h_chain_longer_than_queue(void)
{
	for (unsigned i = 0; i < NUM; i++)
		set_desc(desc(i), Q_DATA + 16 * i, 16, F_NEXT, (i + 1) % NUM);
	return 0;
}
static uint16_t h_next_out_of_range(void) { blk_req(0, 0, 1, Q_DATA, 512, true); desc(1)->next = NUM + 3; return 0; }
static uint16_t h_head_out_of_range(void) { blk_req(0, 0, 1, Q_DATA, 512, true); return 1000; }
static uint16_t h_buffer_past_ram(void) { blk_req(0, 0, 1, RAM_END + 0x1000, 512, true); return 0; }
static uint16_t h_buffer_on_device_mmio(void) { blk_req(0, 0, 1, MMIO_UART, 512, true); return 0; }
static uint16_t h_buffer_straddles_ram_end(void) { blk_req(0, 0, 1, RAM_END - 256, 512, true); return 0; }
static uint16_t h_zero_length(void) { blk_req(0, 0, 1, Q_DATA, 512, true); desc(1)->len = 0; return 0; }
static uint16_t h_huge_length(void) { blk_req(0, 0, 1, Q_DATA, 512, true); desc(1)->len = 0xffffffffu; return 0; }
static uint16_t h_nested_indirect(void)
{
	volatile struct desc *ind = (volatile struct desc *)Q_IND;
	set_desc(&ind[0], Q_IND + 0x100, 32, F_INDIRECT, 0);
	set_desc(desc(0), Q_IND, 16, F_INDIRECT, 0);
	return 0;
}
static uint16_t h_indirect_bad_length(void) { set_desc(desc(0), Q_IND, 40, F_INDIRECT, 0); return 0; }
static uint16_t h_indirect_loop(void)
{
	volatile struct desc *ind = (volatile struct desc *)Q_IND;
	set_desc(&ind[0], Q_HDR, 16, F_NEXT, 1);
	set_desc(&ind[1], Q_DATA, 16, F_NEXT, 0);
	set_desc(desc(0), Q_IND, 32, F_INDIRECT, 0);
	return 0;
}
static uint16_t h_readable_after_writable(void)
{
	blk_req(0, 1, 1, Q_DATA, 512, false);
	desc(0)->flags |= F_WRITE;
	return 0;
}
static uint16_t h_no_header(void)
{
	set_desc(desc(0), Q_HDR, 16, F_NEXT | F_WRITE, 1);
	set_desc(desc(1), Q_STATUS, 1, F_WRITE, 0);
	return 0;
}

static const struct { const char *name; build_fn build; uint16_t step; } cases[] = {
	{ "descriptor loop", h_loop, 1 },
	{ "chain longer than the queue", h_chain_longer_than_queue, 1 },
	{ "next index out of range", h_next_out_of_range, 1 },
	{ "avail ring head out of range", h_head_out_of_range, 1 },
	{ "buffer past the end of RAM", h_buffer_past_ram, 1 },
	{ "buffer on device MMIO", h_buffer_on_device_mmio, 1 },
	{ "buffer straddling the end of RAM", h_buffer_straddles_ram_end, 1 },
	{ "zero-length buffer", h_zero_length, 1 },
	{ "4 GiB buffer", h_huge_length, 1 },
	{ "nested indirect table", h_nested_indirect, 1 },
	{ "indirect table of 40 bytes", h_indirect_bad_length, 1 },
	{ "loop inside an indirect table", h_indirect_loop, 1 },
	{ "readable after writable", h_readable_after_writable, 1 },
	{ "no readable header", h_no_header, 1 },
	{ "avail index jumps by more than the queue size", h_loop /* any chain */, NUM + 5 },
};

/* The whole test; failed checks are counted by the runtime. Unused by the benchmark guest. */
static __attribute__((unused)) void hostile_run(void)
{
	if (!find_device()) {
		hostile_check(false, "a virtio-blk device in the virtio-mmio windows");
		return;
	}
	hostile_printf("virtio-blk at 0x%lx\n", (unsigned long)dev);
	uint32_t st = setup();
	hostile_check(st == 15, "driver init reaches DRIVER_OK (status 0x%x)", (unsigned)st);
	hostile_check(good_read(3), "a good read before any abuse");

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup();
		publish(cases[i].build(), cases[i].step);
		bool nr = wait_needs_reset();
		hostile_check(nr, "%s: DEVICE_NEEDS_RESET", cases[i].name);
		if (nr) {
			hostile_check(rd(INT_STATUS) & 2, "%s: configuration interrupt", cases[i].name);
			hostile_check(used_idx() == 0, "%s: nothing completed", cases[i].name);
		}
		wr(INT_ACK, rd(INT_STATUS));
		st = setup();
		hostile_check(st == 15, "%s: reset and re-init (status 0x%x)", cases[i].name, (unsigned)st);
		hostile_check(good_read(i + 5), "%s: the device works again after the reset", cases[i].name);
	}
	hostile_printf("the VMM survived every hostile queue\n");
}

#endif
