/* virtio-blk (virtio 1.2 §5.2) over the MMIO transport, against an in-memory backend. */
#include <stdio.h>
#include <unistd.h>

#include "tests/unit/test_virtio_driver.h"
#include "vmm/machine.h"

UNIT_SUITE(virtio_blk);

#define BLK_FEATURES ((1ull << 2) | (1ull << 6) | (1ull << 9) | (1ull << 13) | (1ull << 14))
#define DISK (1u << 20)

static uint8_t expect_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + i / 512);
}

UNIT_TEST(virtio_blk, config_space_reports_capacity_seg_max_and_block_size)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, 0, 0);
	uint64_t f = rd(&x.t, 0x010);
	wr(&x.t, 0x014, 1);
	f |= (uint64_t)rd(&x.t, 0x010) << 32;
	CU_ASSERT_EQUAL(f & BLK_FEATURES, BLK_FEATURES);
	CU_ASSERT_FALSE(f & (1ull << 5)); /* not read-only */
	uint32_t lo = rd(&x.t, 0x100), hi = rd(&x.t, 0x104);
	CU_ASSERT_EQUAL(((uint64_t)hi << 32 | lo), DISK / 512);
	CU_ASSERT_EQUAL(rd(&x.t, 0x10c), 254);          /* seg_max */
	CU_ASSERT_EQUAL(rd(&x.t, 0x114), 512);          /* blk_size */
	uint8_t b = 0xff;
	virtio_mmio_ops.read(x.t.d, 0x100 + 56, &b, 1); /* write_zeroes_may_unmap */
	CU_ASSERT_EQUAL(b, 1);
	/* Past the config structure: zero and a log line, nothing else. */
	CU_ASSERT_EQUAL(rd(&x.t, 0x1fc), 0);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, read_returns_backend_data_and_raises_the_interrupt)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	uint16_t h = blk_req(&x.t, 0, T_IN, 3, Q_DATA, 4096, true);
	tdrv_kick(&x.t, h);
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	CU_ASSERT_EQUAL(used_id(&x.t, 0), h);
	CU_ASSERT_EQUAL(used_len(&x.t, 0), 4097);
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 0);
	CU_ASSERT_EQUAL(memcmp(gpa(&x.t, Q_DATA), x.f->data + 3 * 512, 4096), 0);
	CU_ASSERT_EQUAL(x.t.level, 1);
	CU_ASSERT_EQUAL(rd(&x.t, 0x060), 1);
	tdrv_ack(&x.t);
	CU_ASSERT_EQUAL(x.t.level, 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x060), 0);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, write_reaches_backend)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	memset(gpa(&x.t, Q_DATA), 0x5a, 1024);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_OUT, 100, Q_DATA, 1024, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 0);
	CU_ASSERT_EQUAL(x.f->data[100 * 512], 0x5a);
	CU_ASSERT_EQUAL(x.f->data[102 * 512 - 1], 0x5a);
	CU_ASSERT_EQUAL(x.f->data[102 * 512], expect_byte(102 * 512));
	CU_ASSERT_EQUAL(x.f->flushes, 0); /* FLUSH negotiated: writeback, no flush per write */
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_FLUSH, 0, 0, 0, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 3), 0);
	CU_ASSERT_EQUAL(x.f->flushes, 1);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, write_without_flush_feature_is_write_through)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES, 16);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_OUT, 0, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 0);
	CU_ASSERT_EQUAL(x.f->flushes, 1);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, read_only_disk_offers_ro_and_rejects_writes_with_ioerr)
{
	struct tblk x;
	tblk_init(&x, DISK, true, NULL, 0, 0);
	CU_ASSERT_TRUE(rd(&x.t, 0x010) & (1u << 5));
	CU_ASSERT_FALSE(rd(&x.t, 0x010) & (1u << 13)); /* no discard on a read-only disk */
	CU_ASSERT_EQUAL(tdrv_setup(&x.t, ALL_FEATURES | (1u << 5) | (1u << 9), 16), 15);
	memset(gpa(&x.t, Q_DATA), 0x11, 512);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_OUT, 0, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 1);
	CU_ASSERT_EQUAL(x.f->data[0], expect_byte(0));
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_WRITE_ZEROES, 0, Q_DATA, 16, false));
	CU_ASSERT_NOT_EQUAL(blk_status(&x.t, 3), 0);
	tdrv_kick(&x.t, blk_req(&x.t, 6, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 6), 0);
	CU_ASSERT_EQUAL(((uint8_t *)gpa(&x.t, Q_DATA))[1], expect_byte(1));
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, out_of_range_or_partial_sector_requests_are_ioerr)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, DISK / 512 - 1, Q_DATA, 1024, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 1);
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_OUT, ~0ull - 1, Q_DATA, 1024, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 3), 1);
	tdrv_kick(&x.t, blk_req(&x.t, 6, T_IN, 0, Q_DATA, 100, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 6), 1);
	/* The last sector itself is fine. */
	tdrv_kick(&x.t, blk_req(&x.t, 9, T_IN, DISK / 512 - 1, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 9), 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x070) & 64, 0);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, unknown_request_type_is_unsupp)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	tdrv_kick(&x.t, blk_req(&x.t, 0, 10 /* GET_LIFETIME, not offered */, 0, Q_DATA, 16, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 2);
	tdrv_kick(&x.t, blk_req(&x.t, 3, 0x12345, 0, 0, 0, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 3), 2);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, get_id_returns_the_serial_nul_padded)
{
	struct tblk x;
	tblk_init(&x, DISK, false, "disk-serial-7", ALL_FEATURES | BLK_FEATURES, 16);
	memset(gpa(&x.t, Q_DATA), 0xaa, 20);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_GET_ID, 0, Q_DATA, 20, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 0);
	char id[21] = { 0 };
	memcpy(id, gpa(&x.t, Q_DATA), 20);
	CU_ASSERT_STRING_EQUAL(id, "disk-serial-7");
	CU_ASSERT_EQUAL(((uint8_t *)gpa(&x.t, Q_DATA))[19], 0);
	tblk_free(&x);

	tblk_init(&x, DISK, false, "0123456789abcdefghijKLMNOP", ALL_FEATURES | BLK_FEATURES, 16);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_GET_ID, 0, Q_DATA, 20, true));
	CU_ASSERT_EQUAL(memcmp(gpa(&x.t, Q_DATA), "0123456789abcdefghij", 20), 0);
	tblk_free(&x);
}

static void put_range(struct tdrv *t, uint64_t at, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint8_t *p = gpa(t, at);
	memcpy(p, &sector, 8);
	memcpy(p + 8, &n, 4);
	memcpy(p + 12, &flags, 4);
}

UNIT_TEST(virtio_blk, discard_and_write_zeroes_reach_backend_with_unmap_flag)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	put_range(&x.t, Q_DATA, 8, 8, 0);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_DISCARD, 0, Q_DATA, 16, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 0);
	CU_ASSERT_EQUAL(x.f->discards, 1);

	put_range(&x.t, Q_DATA, 32, 4, 1);
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_WRITE_ZEROES, 0, Q_DATA, 16, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 3), 0);
	CU_ASSERT_EQUAL(x.f->zeroes, 1);
	CU_ASSERT_TRUE(x.f->last_unmap);
	CU_ASSERT_EQUAL(x.f->data[32 * 512 + 5], 0);
	CU_ASSERT_EQUAL(x.f->data[36 * 512 + 5], expect_byte(36 * 512 + 5));

	/* §5.2.6.2: unmap on discard and unknown flags are UNSUPP; ranges past the end IOERR. */
	put_range(&x.t, Q_DATA, 8, 8, 1);
	tdrv_kick(&x.t, blk_req(&x.t, 6, T_DISCARD, 0, Q_DATA, 16, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 6), 2);
	put_range(&x.t, Q_DATA, 8, 8, 4);
	tdrv_kick(&x.t, blk_req(&x.t, 9, T_WRITE_ZEROES, 0, Q_DATA, 16, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 9), 2);
	put_range(&x.t, Q_DATA, DISK / 512 - 2, 8, 0);
	tdrv_kick(&x.t, blk_req(&x.t, 12, T_WRITE_ZEROES, 0, Q_DATA, 16, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 12), 1);
	CU_ASSERT_EQUAL(x.f->zeroes, 1);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, host_enospc_and_eio_reach_the_guest_as_ioerr_and_the_device_keeps_working)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	x.f->fail = -ENOSPC;
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_OUT, 0, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 1);
	x.f->fail = -EIO;
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 3), 1);
	tdrv_kick(&x.t, blk_req(&x.t, 6, T_FLUSH, 0, 0, 0, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 6), 1);
	x.f->fail = 0;
	tdrv_kick(&x.t, blk_req(&x.t, 9, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(blk_status(&x.t, 9), 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x070), 15);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, request_framing_does_not_matter)
{
	/* §2.6.4: header split over two descriptors, data over three, status inside the last one. */
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	uint32_t *hp = gpa(&x.t, Q_HDR);
	uint64_t sector = 5;
	hp[0] = T_IN;
	hp[1] = 0;
	memcpy(&hp[2], &sector, 8);
	set_desc(desc(&x.t, 0), Q_HDR, 5, F_NEXT, 1);
	set_desc(desc(&x.t, 1), Q_HDR + 5, 11, F_NEXT, 2);
	set_desc(desc(&x.t, 2), Q_DATA, 100, F_NEXT | F_WRITE, 3);
	set_desc(desc(&x.t, 3), Q_DATA + 100, 300, F_NEXT | F_WRITE, 4);
	set_desc(desc(&x.t, 4), Q_DATA + 400, 113, F_WRITE, 0); /* 112 data bytes + status */
	tdrv_kick(&x.t, 0);
	CU_ASSERT_EQUAL(((uint8_t *)gpa(&x.t, Q_DATA))[512], 0);
	CU_ASSERT_EQUAL(memcmp(gpa(&x.t, Q_DATA), x.f->data + 5 * 512, 512), 0);
	CU_ASSERT_EQUAL(used_len(&x.t, 0), 513);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, many_requests_wrap_the_rings)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 8);
	/* 70000 requests: the 16-bit indices wrap, the ring positions wrap many times. */
	for (unsigned i = 0; i < 70000; i++) {
		uint16_t first = (uint16_t)((i % 2) * 3);
		blk_req(&x.t, first, T_IN, i % 2048, Q_DATA + first * 512, 512, true);
		*(uint8_t *)gpa(&x.t, Q_STATUS + first) = 0xee;
		tdrv_kick(&x.t, first);
		if (blk_status(&x.t, first) != 0 || used_idx(&x.t) != (uint16_t)(i + 1)) {
			CU_FAIL("request lost");
			break;
		}
	}
	CU_ASSERT_EQUAL(((uint8_t *)gpa(&x.t, Q_DATA + 3 * 512))[7], expect_byte((69999 % 2048) * 512 + 7));
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, slow_disk_does_not_block_register_access)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	x.f->gated = true;
	uint16_t h = blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true);
	uint16_t *a = avail_ring(&x.t);
	a[2] = h;
	__atomic_store_n(&a[1], 1, __ATOMIC_RELEASE);
	x.t.avail_idx = 1;
	wr(&x.t, 0x050, 0); /* returns at once: the I/O thread does the read */
	pthread_mutex_lock(&x.f->gate_lock);
	while (!x.f->in_read)
		pthread_cond_wait(&x.f->gate_cond, &x.f->gate_lock);
	pthread_mutex_unlock(&x.f->gate_lock);
	/* The vCPU side can still read registers while the backend is stuck. */
	CU_ASSERT_EQUAL(rd(&x.t, 0x000), 0x74726976);
	CU_ASSERT_EQUAL(rd(&x.t, 0x060), 0);
	CU_ASSERT_EQUAL(used_idx(&x.t), 0);
	pthread_mutex_lock(&x.f->gate_lock);
	x.f->gated = false;
	pthread_cond_broadcast(&x.f->gate_cond);
	pthread_mutex_unlock(&x.f->gate_lock);
	virtio_drain(x.t.d);
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	CU_ASSERT_EQUAL(rd(&x.t, 0x060), 1);
	tblk_free(&x);
}

/* ---- The board entry point, on real raw images through devices/block ---- */

static struct machine *fake_machine(struct vm_config *cfg, struct tdrv *t)
{
	struct machine *m = calloc(1, sizeof(*m));
	m->cfg = cfg;
	bus_init(&m->mmio, "mmio", 0);
	m->mem = t->mem;
	return m;
}

UNIT_TEST(virtio_blk, create_devices_maps_one_device_per_disk_in_the_board_slots)
{
	char p1[] = "/tmp/minivmm-vblk-XXXXXX", p2[] = "/tmp/minivmm-vblk-XXXXXX";
	int fd1 = mkstemp(p1), fd2 = mkstemp(p2);
	CU_ASSERT_FATAL(fd1 >= 0 && fd2 >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd1, 1 << 20), 0);
	CU_ASSERT_EQUAL(ftruncate(fd2, 2 << 20), 0);
	close(fd1);
	close(fd2);

	struct tdrv t;
	tdrv_mem_init(&t);
	struct vm_config cfg = { .nr_disks = 2 };
	cfg.disks[0] = (struct disk_config){ .path = p1, .format = "raw" };
	cfg.disks[1] = (struct disk_config){ .path = p2, .format = "raw", .readonly = true, .serial = "s2" };
	struct machine *m = fake_machine(&cfg, &t);
	struct virtio_slot slots[3] = { { 0x0a000000, 48 }, { 0x0a000200, 49 }, { 0x0a000400, 50 } };
	unsigned used = 99;
	CU_ASSERT_EQUAL(virtio_create_devices(m, slots, 3, &used), 0);
	CU_ASSERT_EQUAL(used, 2);
	uint32_t v = 0;
	CU_ASSERT_TRUE(bus_read(&m->mmio, 0x0a000200, &v, 4));
	CU_ASSERT_EQUAL(v, 0x74726976);
	CU_ASSERT_TRUE(bus_read(&m->mmio, 0x0a000200 + 0x100, &v, 4));
	CU_ASSERT_EQUAL(v, (2 << 20) / 512);
	CU_ASSERT_TRUE(bus_read(&m->mmio, 0x0a000200 + 0x10, &v, 4));
	CU_ASSERT_TRUE(v & (1u << 5));
	CU_ASSERT_FALSE(bus_read(&m->mmio, 0x0a000400, &v, 4));
	virtio_destroy_devices(m);
	bus_free(&m->mmio);

	/* More disks than slots: an error naming the disk, nothing left running. */
	bus_init(&m->mmio, "mmio", 0);
	CU_ASSERT_EQUAL(virtio_create_devices(m, slots, 1, &used), -ENOSPC);
	CU_ASSERT_EQUAL(used, 1);
	virtio_destroy_devices(m);
	bus_free(&m->mmio);

	/* A missing image is a setup error. */
	bus_init(&m->mmio, "mmio", 0);
	cfg.disks[0].path = "/nonexistent/minivmm-disk.img";
	CU_ASSERT_TRUE(virtio_create_devices(m, slots, 3, &used) < 0);
	virtio_destroy_devices(m);
	bus_free(&m->mmio);

	free(m);
	free(t.ram);
	unlink(p1);
	unlink(p2);
}

struct reset_arg {
	struct tdrv *t;
	bool done;
};

static void *reset_thread(void *opaque)
{
	struct reset_arg *a = opaque;
	wr(a->t, 0x070, 0);
	__atomic_store_n(&a->done, true, __ATOMIC_RELEASE);
	return NULL;
}

UNIT_TEST(virtio_blk, reset_waits_for_the_request_in_flight_then_starts_clean)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	x.f->gated = true;
	uint16_t *a = avail_ring(&x.t);
	a[2] = blk_req(&x.t, 0, T_IN, 2, Q_DATA, 512, true);
	__atomic_store_n(&a[1], 1, __ATOMIC_RELEASE);
	wr(&x.t, 0x050, 0);
	pthread_mutex_lock(&x.f->gate_lock);
	while (!x.f->in_read)
		pthread_cond_wait(&x.f->gate_cond, &x.f->gate_lock);
	pthread_mutex_unlock(&x.f->gate_lock);

	/* The driver resets while the backend is stuck: the reset must wait, not free the request. */
	struct reset_arg ra = { .t = &x.t };
	pthread_t th;
	pthread_create(&th, NULL, reset_thread, &ra);
	usleep(20000);
	CU_ASSERT_FALSE(__atomic_load_n(&ra.done, __ATOMIC_ACQUIRE));
	pthread_mutex_lock(&x.f->gate_lock);
	x.f->gated = false;
	pthread_cond_broadcast(&x.f->gate_cond);
	pthread_mutex_unlock(&x.f->gate_lock);
	pthread_join(th, NULL);
	CU_ASSERT_TRUE(ra.done);
	CU_ASSERT_EQUAL(rd(&x.t, 0x070), 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x060), 0);
	CU_ASSERT_EQUAL(x.t.level, 0);
	/* And the device works from scratch. */
	CU_ASSERT_EQUAL(tdrv_setup(&x.t, ALL_FEATURES | BLK_FEATURES, 16), 15);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 4, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	CU_ASSERT_EQUAL(memcmp(gpa(&x.t, Q_DATA), x.f->data + 4 * 512, 512), 0);
	tblk_free(&x);
}

UNIT_TEST(virtio_blk, several_disks_run_independently)
{
	struct tblk a, b;
	tblk_init(&a, DISK, false, "a", ALL_FEATURES | BLK_FEATURES, 16);
	tblk_init(&b, 2 * DISK, false, "b", ALL_FEATURES | BLK_FEATURES, 16);
	/* Disk a is stuck in a read; disk b completes its request meanwhile. */
	a.f->gated = true;
	uint16_t *ar = avail_ring(&a.t);
	ar[2] = blk_req(&a.t, 0, T_IN, 0, Q_DATA, 512, true);
	__atomic_store_n(&ar[1], 1, __ATOMIC_RELEASE);
	wr(&a.t, 0x050, 0);
	memset(gpa(&b.t, Q_DATA), 0x77, 512);
	tdrv_kick(&b.t, blk_req(&b.t, 0, T_OUT, 3000, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(blk_status(&b.t, 0), 0);
	CU_ASSERT_EQUAL(b.f->data[3000 * 512], 0x77);
	CU_ASSERT_EQUAL(used_idx(&a.t), 0);
	pthread_mutex_lock(&a.f->gate_lock);
	a.f->gated = false;
	pthread_cond_broadcast(&a.f->gate_cond);
	pthread_mutex_unlock(&a.f->gate_lock);
	virtio_drain(a.t.d);
	CU_ASSERT_EQUAL(used_idx(&a.t), 1);
	tblk_free(&a);
	tblk_free(&b);
}

UNIT_TEST(virtio_blk, flush_reaches_the_host_only_when_something_was_written)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES, 16);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_FLUSH, 0, 0, 0, false)); /* first one always goes through */
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_FLUSH, 0, 0, 0, false));
	CU_ASSERT_EQUAL(x.f->flushes, 1);
	CU_ASSERT_EQUAL(blk_status(&x.t, 3), 0);
	tdrv_kick(&x.t, blk_req(&x.t, 6, T_OUT, 0, Q_DATA, 512, false));
	tdrv_kick(&x.t, blk_req(&x.t, 9, T_FLUSH, 0, 0, 0, false));
	CU_ASSERT_EQUAL(x.f->flushes, 2);
	/* A failed flush keeps the data dirty: the next flush retries. */
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_OUT, 0, Q_DATA, 512, false));
	x.f->fail = -EIO;
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_FLUSH, 0, 0, 0, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 3), 1);
	x.f->fail = 0;
	tdrv_kick(&x.t, blk_req(&x.t, 6, T_FLUSH, 0, 0, 0, false));
	CU_ASSERT_EQUAL(blk_status(&x.t, 6), 0);
	CU_ASSERT_EQUAL(x.f->flushes, 4);
	/* Discard and write-zeroes change the disk too. */
	put_range(&x.t, Q_DATA, 8, 8, 0);
	tdrv_kick(&x.t, blk_req(&x.t, 9, T_DISCARD, 0, Q_DATA, 16, false));
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_FLUSH, 0, 0, 0, false));
	CU_ASSERT_EQUAL(x.f->flushes, 5);
	tblk_free(&x);
}

static void set_writeback(struct tdrv *t, uint8_t v)
{
	virtio_mmio_ops.write(t->d, 0x100 + 32, &v, 1);
}

UNIT_TEST(virtio_blk, config_wce_lets_the_driver_choose_write_through)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, ALL_FEATURES | BLK_FEATURES | (1u << 11), 16);
	uint8_t wb = 0;
	virtio_mmio_ops.read(x.t.d, 0x100 + 32, &wb, 1);
	CU_ASSERT_EQUAL(wb, 1); /* write-back by default */
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_OUT, 0, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(x.f->flushes, 0);
	set_writeback(&x.t, 0); /* write-through: every write is flushed before it completes */
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_OUT, 0, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(x.f->flushes, 1);
	virtio_mmio_ops.read(x.t.d, 0x100 + 32, &wb, 1);
	CU_ASSERT_EQUAL(wb, 0);
	set_writeback(&x.t, 1);
	tdrv_kick(&x.t, blk_req(&x.t, 6, T_OUT, 0, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(x.f->flushes, 1);
	/* A reset restores write-back; without CONFIG_WCE the field is read-only. */
	set_writeback(&x.t, 0);
	CU_ASSERT_EQUAL(tdrv_setup(&x.t, ALL_FEATURES | BLK_FEATURES, 16), 15);
	virtio_mmio_ops.read(x.t.d, 0x100 + 32, &wb, 1);
	CU_ASSERT_EQUAL(wb, 1);
	set_writeback(&x.t, 0);
	virtio_mmio_ops.read(x.t.d, 0x100 + 32, &wb, 1);
	CU_ASSERT_EQUAL(wb, 1);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_OUT, 0, Q_DATA, 512, false));
	CU_ASSERT_EQUAL(x.f->flushes, 1);
	tblk_free(&x);
}
