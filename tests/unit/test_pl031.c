/* PL031 RTC model on a fake host clock, driven through its MMIO ops. */
#include <string.h>
#include <time.h>

#include "devices/rtc.h"
#include "tests/unit/fakes.h"
#include "tests/unit/unit.h"
#include "vmm/event.h"
#include "vmm/machine.h"

UNIT_SUITE(pl031);

#define NS 1000000000LL

static struct fake_irq irqs;
static const struct irq_chip chip = FAKE_IRQ_CHIP(&irqs);

static int64_t host_ns;
static int64_t fake_host(void)
{
	return host_ns;
}

static struct vm_config cfg;
#define START 1893456000 /* 2030-01-01 00:00:00 UTC */

static struct pl031 *setup(void)
{
	memset(&irqs, 0, sizeof(irqs));
	memset(&cfg, 0, sizeof(cfg));
	host_ns = 1700000000LL * NS + 250000000; /* a quarter into a second */
	rtc_clock_set_host_source(fake_host);
	cfg.rtc_base = RTC_BASE_FIXED;
	cfg.rtc_fixed = START;
	return pl031_new((struct irq_line){ .chip = &chip, .irq = 34 }, &cfg);
}

static void teardown(struct pl031 *rtc)
{
	pl031_free(rtc);
	rtc_clock_set_host_source(NULL);
}

static uint32_t rd(struct pl031 *rtc, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	pl031_ops.read(rtc, off, &v, 4);
	return v;
}

static void wr(struct pl031 *rtc, uint64_t off, uint32_t v)
{
	pl031_ops.write(rtc, off, &v, 4);
}

static void advance(struct pl031 *rtc, int64_t ns)
{
	host_ns += ns;
	pl031_poll(rtc);
}

enum { DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0c, IMSC = 0x10, RIS = 0x14, MIS = 0x18, ICR = 0x1c };

UNIT_TEST(pl031, primecell_id_registers_identify_an_arm_pl031)
{
	struct pl031 *rtc = setup();
	static const uint32_t id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	for (int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(rd(rtc, 0xfe0 + 4 * i), id[i]);
	uint8_t b = 0;
	pl031_ops.read(rtc, 0xfe0, &b, 1);
	CU_ASSERT_EQUAL(b, 0x31);
	teardown(rtc);
}

UNIT_TEST(pl031, data_register_counts_guest_seconds_from_the_configured_base)
{
	struct pl031 *rtc = setup();
	CU_ASSERT_EQUAL(rd(rtc, DR), START);
	advance(rtc, NS / 2);
	CU_ASSERT_EQUAL(rd(rtc, DR), START);
	advance(rtc, NS / 2);
	CU_ASSERT_EQUAL(rd(rtc, DR), START + 1);
	advance(rtc, 100 * NS);
	CU_ASSERT_EQUAL(rd(rtc, DR), START + 101);
	teardown(rtc);
}

UNIT_TEST(pl031, utc_base_reads_the_host_clock)
{
	memset(&cfg, 0, sizeof(cfg));
	host_ns = 1700000000LL * NS;
	rtc_clock_set_host_source(fake_host);
	struct pl031 *rtc = pl031_new((struct irq_line){ .chip = &chip, .irq = 34 }, &cfg);
	CU_ASSERT_EQUAL(rd(rtc, DR), 1700000000u);
	teardown(rtc);
}

UNIT_TEST(pl031, load_register_moves_the_guest_clock_only)
{
	struct pl031 *rtc = setup();
	int64_t host_before = host_ns;
	wr(rtc, LR, 1000);
	CU_ASSERT_EQUAL(rd(rtc, DR), 1000);
	CU_ASSERT_EQUAL(host_ns, host_before);
	advance(rtc, 3 * NS);
	CU_ASSERT_EQUAL(rd(rtc, DR), 1003);
	teardown(rtc);
}

UNIT_TEST(pl031, control_register_reads_started_and_ignores_stop)
{
	struct pl031 *rtc = setup();
	CU_ASSERT_EQUAL(rd(rtc, CR), 1);
	wr(rtc, CR, 0);
	CU_ASSERT_EQUAL(rd(rtc, CR), 1);
	advance(rtc, NS);
	CU_ASSERT_EQUAL(rd(rtc, DR), START + 1);
	teardown(rtc);
}

UNIT_TEST(pl031, match_interrupt_fires_when_counter_reaches_mr)
{
	struct pl031 *rtc = setup();
	wr(rtc, MR, START + 2);
	wr(rtc, IMSC, 1);
	CU_ASSERT_EQUAL(rd(rtc, MR), START + 2);
	advance(rtc, NS);
	CU_ASSERT_EQUAL(rd(rtc, RIS), 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	advance(rtc, NS);
	CU_ASSERT_EQUAL(rd(rtc, RIS), 1);
	CU_ASSERT_EQUAL(rd(rtc, MIS), 1);
	CU_ASSERT_EQUAL(irqs.level, 1);
	wr(rtc, ICR, 1);
	CU_ASSERT_EQUAL(rd(rtc, RIS), 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	advance(rtc, 10 * NS);
	CU_ASSERT_EQUAL(rd(rtc, RIS), 0); /* a match happens once per 2^32 s */
	teardown(rtc);
}

UNIT_TEST(pl031, masked_match_sets_raw_status_but_not_the_irq)
{
	struct pl031 *rtc = setup();
	wr(rtc, MR, START + 1);
	host_ns += 5 * NS; /* no poll: found on the next access */
	CU_ASSERT_EQUAL(rd(rtc, RIS), 1);
	CU_ASSERT_EQUAL(rd(rtc, MIS), 0);
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(rtc, IMSC, 1);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(rtc, IMSC), 1);
	teardown(rtc);
}

UNIT_TEST(pl031, match_value_equal_to_now_fires_immediately)
{
	struct pl031 *rtc = setup();
	wr(rtc, IMSC, 1);
	wr(rtc, MR, START);
	CU_ASSERT_EQUAL(irqs.level, 1);
	teardown(rtc);
}

UNIT_TEST(pl031, bad_offsets_and_widths_read_zero_and_ignore_writes)
{
	struct pl031 *rtc = setup();
	CU_ASSERT_EQUAL(rd(rtc, 0x20), 0);
	CU_ASSERT_EQUAL(rd(rtc, 0x800), 0);
	uint64_t v = 0x1234;
	pl031_ops.read(rtc, DR, &v, 8);
	CU_ASSERT_EQUAL(v, 0);
	wr(rtc, DR, 5); /* read-only */
	CU_ASSERT_EQUAL(rd(rtc, DR), START);
	uint16_t h = 7;
	pl031_ops.write(rtc, LR, &h, 2); /* sub-word write ignored */
	CU_ASSERT_EQUAL(rd(rtc, DR), START);
	pl031_ops.write(rtc, MR + 2, &h, 2);
	CU_ASSERT_EQUAL(rd(rtc, MR), 0);
	teardown(rtc);
}

UNIT_TEST(pl031, match_interrupt_arrives_through_the_event_loop_timer)
{
	memset(&irqs, 0, sizeof(irqs));
	memset(&cfg, 0, sizeof(cfg));
	rtc_clock_set_host_source(NULL);
	struct pl031 *rtc = pl031_new((struct irq_line){ .chip = &chip, .irq = 34 }, &cfg);
	wr(rtc, MR, rd(rtc, DR) + 1);
	wr(rtc, IMSC, 1);
	for (int i = 0; i < 30 && !irqs.level; i++)
		event_poll(100);
	CU_ASSERT_EQUAL(irqs.level, 1);
	pl031_free(rtc);
}
