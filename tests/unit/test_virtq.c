/*
 * The virtio-mmio transport and split virtqueues (virtio 1.2 §2.7, §4.2): the register file, the
 * init sequence, indirect descriptors, EVENT_IDX, and hostile queues that must end in
 * DEVICE_NEEDS_RESET without any access outside guest RAM (run under ASan: the RAM is one malloc).
 */
#include <stdio.h>

#include "tests/unit/test_virtio_driver.h"

UNIT_SUITE(virtq);

#define BLK_FEATURES ((1ull << 2) | (1ull << 6) | (1ull << 9) | (1ull << 13) | (1ull << 14))
#define DISK (1u << 20)

static void blk_up(struct tblk *x, uint64_t features, uint16_t num)
{
	tblk_init(x, DISK, false, NULL, features | BLK_FEATURES, num);
}

UNIT_TEST(virtq, registers_identify_a_version_2_device)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, 0, 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x000), 0x74726976);
	CU_ASSERT_EQUAL(rd(&x.t, 0x004), 2);
	CU_ASSERT_EQUAL(rd(&x.t, 0x008), 2);
	wr(&x.t, 0x014, 1);
	uint32_t hi = rd(&x.t, 0x010);
	CU_ASSERT_TRUE(hi & 1); /* VERSION_1 */
	wr(&x.t, 0x014, 0);
	uint32_t lo = rd(&x.t, 0x010);
	CU_ASSERT_TRUE(lo & (1u << 28));
	CU_ASSERT_TRUE(lo & (1u << 29));
	CU_ASSERT_EQUAL(rd(&x.t, 0x034), VIRTQ_MAX_SIZE);
	wr(&x.t, 0x030, 1); /* virtio-blk has one queue */
	CU_ASSERT_EQUAL(rd(&x.t, 0x034), 0);
	wr(&x.t, 0x0ac, 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x0b0), 0xffffffffu); /* no shared memory region */
	CU_ASSERT_EQUAL(rd(&x.t, 0x0fc), 0);
	wr(&x.t, 0x014, 2); /* feature words past 63 */
	CU_ASSERT_EQUAL(rd(&x.t, 0x010), 0);
	tblk_free(&x);
}

UNIT_TEST(virtq, queue_ready_reads_back_and_zero_disables)
{
	struct tblk x;
	blk_up(&x, ALL_FEATURES, 16);
	CU_ASSERT_EQUAL(rd(&x.t, 0x044), 1);
	/* Layout writes while ready are ignored (§4.2.3.2). */
	wr(&x.t, 0x038, 8);
	wr(&x.t, 0x044, 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x044), 0);
	wr(&x.t, 0x050, 0);
	virtio_drain(x.t.d);
	CU_ASSERT_EQUAL(rd(&x.t, 0x070) & 64, 0);
	wr(&x.t, 0x044, 1);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	tblk_free(&x);
}

UNIT_TEST(virtq, wrong_width_and_unknown_registers_read_zero_and_writes_are_ignored)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, 0, 0);
	uint16_t h = 0xffff;
	virtio_mmio_ops.read(x.t.d, 0x000, &h, 2);
	CU_ASSERT_EQUAL(h, 0);
	uint64_t q = ~0ull;
	virtio_mmio_ops.read(x.t.d, 0x000, &q, 8);
	CU_ASSERT_EQUAL(q, 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x0c0), 0); /* QueueReset: RING_RESET not offered */
	CU_ASSERT_EQUAL(rd(&x.t, 0x050), 0); /* write-only */
	uint8_t b = 1;
	virtio_mmio_ops.write(x.t.d, 0x070, &b, 1);
	CU_ASSERT_EQUAL(rd(&x.t, 0x070), 0);
	wr(&x.t, 0x000, 0x1234);
	CU_ASSERT_EQUAL(rd(&x.t, 0x000), 0x74726976);
	wr(&x.t, 0x050, 7); /* notify of a queue that does not exist */
	tblk_free(&x);
}

UNIT_TEST(virtq, features_ok_needs_version_1_and_only_offered_bits)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, 0, 0);
	CU_ASSERT_FALSE(tdrv_setup(&x.t, 1u << 9, 16) & 8);                   /* legacy driver */
	CU_ASSERT_FALSE(tdrv_setup(&x.t, (1ull << 32) | (1ull << 12), 16) & 8); /* MQ not offered */
	CU_ASSERT_EQUAL(tdrv_setup(&x.t, 1ull << 32, 16), 15);
	/* Features cannot change after FEATURES_OK. */
	wr(&x.t, 0x024, 0);
	wr(&x.t, 0x020, 1u << 28);
	tblk_free(&x);
}

UNIT_TEST(virtq, reset_clears_status_queues_and_interrupt)
{
	struct tblk x;
	blk_up(&x, ALL_FEATURES, 16);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(x.t.level, 1);
	wr(&x.t, 0x070, 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x070), 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x060), 0);
	CU_ASSERT_EQUAL(x.t.level, 0);
	CU_ASSERT_EQUAL(rd(&x.t, 0x044), 0);
	/* Re-initialised from scratch, the queue starts again at index 0. */
	CU_ASSERT_EQUAL(tdrv_setup(&x.t, ALL_FEATURES | BLK_FEATURES, 16), 15);
	memset(gpa(&x.t, Q_USED), 0, 0x1000);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	tblk_free(&x);
}

UNIT_TEST(virtq, indirect_descriptors_carry_a_whole_request)
{
	struct tblk x;
	blk_up(&x, ALL_FEATURES, 16);
	struct tdesc *ind = gpa(&x.t, Q_IND);
	uint32_t *hp = gpa(&x.t, Q_HDR);
	uint64_t sector = 9;
	hp[0] = T_IN;
	memcpy(&hp[2], &sector, 8);
	set_desc(&ind[0], Q_HDR, 16, F_NEXT, 2); /* the table's own chain, out of order */
	set_desc(&ind[2], Q_DATA, 512, F_NEXT | F_WRITE, 1);
	set_desc(&ind[1], Q_STATUS, 1, F_WRITE, 0);
	set_desc(desc(&x.t, 5), Q_IND, 3 * 16, F_INDIRECT, 0);
	tdrv_kick(&x.t, 5);
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	CU_ASSERT_EQUAL(used_id(&x.t, 0), 5);
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 0);
	CU_ASSERT_EQUAL(memcmp(gpa(&x.t, Q_DATA), x.f->data + 9 * 512, 512), 0);
	tblk_free(&x);
}

UNIT_TEST(virtq, direct_descriptors_may_precede_one_indirect_table)
{
	/* §2.7.5.3.2: zero or more chained descriptors followed by a single indirect one. */
	struct tblk x;
	blk_up(&x, ALL_FEATURES, 16);
	struct tdesc *ind = gpa(&x.t, Q_IND);
	uint32_t *hp = gpa(&x.t, Q_HDR);
	uint64_t sector = 11;
	hp[0] = T_IN;
	memcpy(&hp[2], &sector, 8);
	set_desc(desc(&x.t, 7), Q_HDR, 16, F_NEXT, 3);
	set_desc(desc(&x.t, 3), Q_IND, 2 * 16, F_INDIRECT | F_WRITE /* ignored */, 0);
	set_desc(&ind[0], Q_DATA, 512, F_NEXT | F_WRITE, 1);
	set_desc(&ind[1], Q_STATUS, 1, F_WRITE, 0);
	tdrv_kick(&x.t, 7);
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	CU_ASSERT_EQUAL(used_id(&x.t, 0), 7);
	CU_ASSERT_EQUAL(blk_status(&x.t, 0), 0);
	CU_ASSERT_EQUAL(memcmp(gpa(&x.t, Q_DATA), x.f->data + 11 * 512, 512), 0);
	tblk_free(&x);
}

UNIT_TEST(virtq, event_idx_suppresses_interrupts_until_used_event)
{
	struct tblk x;
	blk_up(&x, ALL_FEATURES, 16);
	uint16_t *used_event = avail_ring(&x.t) + 2 + 16;
	uint16_t *avail_event = (uint16_t *)gpa(&x.t, Q_USED + 4 + 8 * 16);

	/* The first completion always interrupts (nothing signalled yet). */
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(x.t.raises, 1);
	tdrv_ack(&x.t);
	/* The device asks to be notified at the next avail entry (§2.7.10). */
	CU_ASSERT_EQUAL(*avail_event, 1);

	/* Driver wants an interrupt only after the 3rd entry: used_event = 2. */
	*used_event = 2;
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(x.t.raises, 1);
	CU_ASSERT_EQUAL(rd(&x.t, 0x060), 0);
	tdrv_kick(&x.t, blk_req(&x.t, 3, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(x.t.raises, 2);
	CU_ASSERT_EQUAL(used_idx(&x.t), 3);
	CU_ASSERT_EQUAL(*avail_event, 3);
	tblk_free(&x);
}

UNIT_TEST(virtq, no_interrupt_flag_suppresses_without_event_idx)
{
	struct tblk x;
	blk_up(&x, 1ull << 32, 16);
	avail_ring(&x.t)[0] = 1; /* VRING_AVAIL_F_NO_INTERRUPT */
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(used_idx(&x.t), 1);
	CU_ASSERT_EQUAL(x.t.raises, 0);
	avail_ring(&x.t)[0] = 0;
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(x.t.raises, 1);
	tblk_free(&x);
}

/* ---- Hostile queues ---- */

/* After a broken chain: NEEDS_RESET, a config interrupt, no completion; then a reset recovers. */
static void expect_needs_reset_then_recover(struct tblk *x, uint16_t used_before)
{
	CU_ASSERT_TRUE(rd(&x->t, 0x070) & 64);
	CU_ASSERT_TRUE(rd(&x->t, 0x060) & 2);
	CU_ASSERT_EQUAL(x->t.level, 1);
	CU_ASSERT_EQUAL(used_idx(&x->t), used_before);
	/* Further notifications are ignored while broken. */
	wr(&x->t, 0x050, 0);
	virtio_drain(x->t.d);
	CU_ASSERT_EQUAL(used_idx(&x->t), used_before);

	CU_ASSERT_EQUAL(tdrv_setup(&x->t, ALL_FEATURES | BLK_FEATURES, 16), 15);
	CU_ASSERT_EQUAL(x->t.level, 0);
	memset(gpa(&x->t, Q_USED), 0, 0x1000);
	tdrv_kick(&x->t, blk_req(&x->t, 0, T_IN, 1, Q_DATA, 512, true));
	CU_ASSERT_EQUAL(used_idx(&x->t), 1);
	CU_ASSERT_EQUAL(blk_status(&x->t, 0), 0);
	CU_ASSERT_EQUAL(memcmp(gpa(&x->t, Q_DATA), x->f->data + 512, 512), 0);
}

/* Each hostile builder writes descriptors in a fresh 16-entry queue and returns the head. */
typedef uint16_t (*hostile_fn)(struct tdrv *t);

static void run_hostile(hostile_fn build, uint64_t features)
{
	struct tblk x;
	blk_up(&x, features, 16);
	uint16_t head = build(&x.t);
	tdrv_kick(&x.t, head);
	expect_needs_reset_then_recover(&x, 0);
	tblk_free(&x);
}

static uint16_t h_loop(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, Q_DATA, 512, true);
	desc(t, 2)->flags |= F_NEXT;
	desc(t, 2)->next = 1; /* data -> status -> data ... */
	return 0;
}

static uint16_t h_self_loop(struct tdrv *t)
{
	set_desc(desc(t, 0), Q_HDR, 16, F_NEXT, 0);
	return 0;
}

static uint16_t h_chain_longer_than_queue(struct tdrv *t)
{
	/* Every descriptor used once, the last points back to the first: 17 > 16 entries. */
	for (unsigned i = 0; i < 16; i++)
		set_desc(desc(t, i), Q_DATA + 16 * i, 16, F_NEXT, (i + 1) % 16);
	return 0;
}

static uint16_t h_next_out_of_range(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, Q_DATA, 512, true);
	desc(t, 1)->next = 16;
	return 0;
}

static uint16_t h_head_out_of_range(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, Q_DATA, 512, true);
	return 300;
}

static uint16_t h_addr_outside_ram(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, G_BASE + G_SIZE + 4096, 512, true);
	return 0;
}

static uint16_t h_addr_below_ram(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, 0x1000, 512, true);
	return 0;
}

static uint16_t h_straddles_ram_end(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, G_BASE + G_SIZE - 256, 512, true);
	return 0;
}

static uint16_t h_addr_wraps(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, ~0ull - 100, 512, true);
	return 0;
}

static uint16_t h_zero_length(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, Q_DATA, 512, true);
	desc(t, 1)->len = 0;
	return 0;
}

static uint16_t h_oversized_length(struct tdrv *t)
{
	blk_req(t, 0, T_IN, 0, Q_DATA, 512, true);
	desc(t, 1)->len = 0xffffffffu;
	return 0;
}

static uint16_t h_nested_indirect(struct tdrv *t)
{
	struct tdesc *ind = gpa(t, Q_IND);
	set_desc(&ind[0], Q_IND + 256, 32, F_INDIRECT, 0);
	set_desc(desc(t, 0), Q_IND, 16, F_INDIRECT, 0);
	return 0;
}

static uint16_t h_indirect_bad_length(struct tdrv *t)
{
	set_desc(desc(t, 0), Q_IND, 40, F_INDIRECT, 0);
	return 0;
}

static uint16_t h_indirect_zero_length(struct tdrv *t)
{
	set_desc(desc(t, 0), Q_IND, 0, F_INDIRECT, 0);
	return 0;
}

static uint16_t h_indirect_huge(struct tdrv *t)
{
	/* A table of 512 entries (more than the queue may carry), the first looping forever. */
	struct tdesc *ind = gpa(t, Q_IND);
	set_desc(&ind[0], Q_HDR, 16, F_NEXT, 0);
	set_desc(desc(t, 0), Q_IND, 512 * 16, F_INDIRECT, 0);
	return 0;
}

static uint16_t h_indirect_loop(struct tdrv *t)
{
	struct tdesc *ind = gpa(t, Q_IND);
	set_desc(&ind[0], Q_HDR, 16, F_NEXT, 1);
	set_desc(&ind[1], Q_DATA, 16, F_NEXT, 0);
	set_desc(desc(t, 0), Q_IND, 2 * 16, F_INDIRECT, 0);
	return 0;
}

static uint16_t h_indirect_next_out_of_table(struct tdrv *t)
{
	struct tdesc *ind = gpa(t, Q_IND);
	set_desc(&ind[0], Q_HDR, 16, F_NEXT, 2);
	set_desc(&ind[1], Q_STATUS, 1, F_WRITE, 0);
	set_desc(desc(t, 0), Q_IND, 2 * 16, F_INDIRECT, 0);
	return 0;
}

static uint16_t h_indirect_table_outside_ram(struct tdrv *t)
{
	set_desc(desc(t, 0), G_BASE + G_SIZE - 32, 64, F_INDIRECT, 0);
	return 0;
}

static uint16_t h_indirect_with_next(struct tdrv *t)
{
	struct tdesc *ind = gpa(t, Q_IND);
	set_desc(&ind[0], Q_HDR, 16, 0, 0);
	set_desc(desc(t, 0), Q_IND, 16, F_INDIRECT | F_NEXT, 1);
	set_desc(desc(t, 1), Q_STATUS, 1, F_WRITE, 0);
	return 0;
}

static uint16_t h_readable_after_writable(struct tdrv *t)
{
	blk_req(t, 0, T_OUT, 0, Q_DATA, 512, false);
	desc(t, 0)->flags |= F_WRITE; /* header device-writable, data readable after it */
	return 0;
}

static uint16_t h_header_writable(struct tdrv *t)
{
	/* Only writable buffers: no readable header where one is required. */
	set_desc(desc(t, 0), Q_HDR, 16, F_NEXT | F_WRITE, 1);
	set_desc(desc(t, 1), Q_STATUS, 1, F_WRITE, 0);
	return 0;
}

static uint16_t h_no_status(struct tdrv *t)
{
	set_desc(desc(t, 0), Q_HDR, 16, 0, 0);
	return 0;
}

#define HOSTILE(name, features)                                  \
	UNIT_TEST(virtq, hostile_##name##_needs_reset)           \
	{                                                        \
		run_hostile(h_##name, features);                 \
	}

HOSTILE(loop, ALL_FEATURES)
HOSTILE(self_loop, ALL_FEATURES)
HOSTILE(chain_longer_than_queue, ALL_FEATURES)
HOSTILE(next_out_of_range, ALL_FEATURES)
HOSTILE(head_out_of_range, ALL_FEATURES)
HOSTILE(addr_outside_ram, ALL_FEATURES)
HOSTILE(addr_below_ram, ALL_FEATURES)
HOSTILE(straddles_ram_end, ALL_FEATURES)
HOSTILE(addr_wraps, ALL_FEATURES)
HOSTILE(zero_length, ALL_FEATURES)
HOSTILE(oversized_length, ALL_FEATURES)
HOSTILE(nested_indirect, ALL_FEATURES)
HOSTILE(indirect_bad_length, ALL_FEATURES)
HOSTILE(indirect_zero_length, ALL_FEATURES)
HOSTILE(indirect_huge, ALL_FEATURES)
HOSTILE(indirect_loop, ALL_FEATURES)
HOSTILE(indirect_next_out_of_table, ALL_FEATURES)
HOSTILE(indirect_table_outside_ram, ALL_FEATURES)
HOSTILE(indirect_with_next, ALL_FEATURES)
HOSTILE(readable_after_writable, ALL_FEATURES)
HOSTILE(header_writable, ALL_FEATURES)
HOSTILE(no_status, ALL_FEATURES)

static uint16_t h_indirect_plain(struct tdrv *t)
{
	struct tdesc *ind = gpa(t, Q_IND);
	set_desc(&ind[0], Q_HDR, 16, F_NEXT, 1);
	set_desc(&ind[1], Q_STATUS, 1, F_WRITE, 0);
	set_desc(desc(t, 0), Q_IND, 32, F_INDIRECT, 0);
	return 0;
}

/* Without VIRTIO_F_INDIRECT_DESC negotiated an indirect descriptor is a protocol violation. */
HOSTILE(indirect_plain, (1ull << 32))

UNIT_TEST(virtq, hostile_avail_index_jump_needs_reset)
{
	struct tblk x;
	blk_up(&x, ALL_FEATURES, 16);
	blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true);
	uint16_t *a = avail_ring(&x.t);
	__atomic_store_n(&a[1], 17, __ATOMIC_RELEASE);
	wr(&x.t, 0x050, 0);
	virtio_drain(x.t.d);
	expect_needs_reset_then_recover(&x, 0);
	tblk_free(&x);
}

UNIT_TEST(virtq, hostile_chain_after_good_requests_keeps_their_completions)
{
	struct tblk x;
	blk_up(&x, ALL_FEATURES, 16);
	tdrv_kick(&x.t, blk_req(&x.t, 0, T_IN, 0, Q_DATA, 512, true));
	tdrv_kick(&x.t, h_loop(&x.t));
	expect_needs_reset_then_recover(&x, 1);
	tblk_free(&x);
}

static void hostile_ring_setup(uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa, uint32_t num)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, 0, 0);
	struct tdrv *t = &x.t;
	wr(t, 0x070, 1 | 2);
	wr(t, 0x024, 1);
	wr(t, 0x020, 1);
	wr(t, 0x070, 1 | 2 | 8);
	wr(t, 0x038, num);
	wr(t, 0x080, (uint32_t)desc_gpa);
	wr(t, 0x084, (uint32_t)(desc_gpa >> 32));
	wr(t, 0x090, (uint32_t)avail_gpa);
	wr(t, 0x094, (uint32_t)(avail_gpa >> 32));
	wr(t, 0x0a0, (uint32_t)used_gpa);
	wr(t, 0x0a4, (uint32_t)(used_gpa >> 32));
	wr(t, 0x044, 1);
	CU_ASSERT_EQUAL(rd(t, 0x044), 0);
	CU_ASSERT_TRUE(rd(t, 0x070) & 64);
	wr(t, 0x070, 1 | 2 | 8 | 4);
	wr(t, 0x050, 0);
	virtio_drain(t->d);
	expect_needs_reset_then_recover(&x, 0);
	tblk_free(&x);
}

UNIT_TEST(virtq, hostile_ring_addresses_need_reset)
{
	hostile_ring_setup(G_BASE + G_SIZE - 64, Q_AVAIL, Q_USED, 16); /* desc past RAM end */
	hostile_ring_setup(Q_DESC, Q_AVAIL, G_BASE + G_SIZE - 8, 16);   /* used past RAM end */
	hostile_ring_setup(Q_DESC + 8, Q_AVAIL, Q_USED, 16);            /* misaligned table */
	hostile_ring_setup(Q_DESC, Q_AVAIL + 1, Q_USED, 16);            /* misaligned avail */
	hostile_ring_setup(Q_DESC, Q_AVAIL, Q_USED, 12);                /* not a power of 2 */
	hostile_ring_setup(Q_DESC, Q_AVAIL, Q_USED, 1024);              /* above QueueNumMax */
	hostile_ring_setup(Q_DESC, Q_AVAIL, Q_USED, 0);
	hostile_ring_setup(~0ull - 15, Q_AVAIL, Q_USED, 16);            /* wraps */
}

UNIT_TEST(virtq, driver_ok_without_features_ok_needs_reset)
{
	struct tblk x;
	tblk_init(&x, DISK, false, NULL, 0, 0);
	wr(&x.t, 0x070, 1 | 2);
	wr(&x.t, 0x070, 1 | 2 | 4);
	CU_ASSERT_TRUE(rd(&x.t, 0x070) & 64);
	CU_ASSERT_FALSE(rd(&x.t, 0x070) & 4);
	CU_ASSERT_EQUAL(tdrv_setup(&x.t, ALL_FEATURES, 16), 15);
	tblk_free(&x);
}
