/* MC146818 CMOS RTC model on a fake host clock, driven through ports 0x70/0x71. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/rtc.h"
#include "tests/unit/fakes.h"
#include "tests/unit/unit.h"
#include "vmm/event.h"
#include "vmm/machine.h"

UNIT_SUITE(cmos_rtc);

#define NS 1000000000LL

static struct fake_irq irqs;
static const struct irq_chip chip = FAKE_IRQ_CHIP(&irqs);

static int64_t host_ns;
static int64_t fake_host(void)
{
	return host_ns;
}

static struct vm_config cfg;

/* A clock started at t (UTC) with the host exactly on a second boundary. */
static struct cmos_rtc *setup_at(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	memset(&irqs, 0, sizeof(irqs));
	memset(&cfg, 0, sizeof(cfg));
	host_ns = 1700000000LL * NS;
	rtc_clock_set_host_source(fake_host);
	cfg.rtc_base = RTC_BASE_FIXED;
	cfg.rtc_fixed = timegm(&tm);
	cfg.cpus = 4;
	return cmos_rtc_new((struct irq_line){ .chip = &chip, .irq = 8 }, &cfg);
}

static void teardown(struct cmos_rtc *rtc)
{
	cmos_rtc_free(rtc);
	rtc_clock_set_host_source(NULL);
}

static uint8_t rd(struct cmos_rtc *rtc, uint8_t idx)
{
	uint8_t v = 0;
	cmos_rtc_ops.write(rtc, 0, &idx, 1);
	cmos_rtc_ops.read(rtc, 1, &v, 1);
	return v;
}

static void wr(struct cmos_rtc *rtc, uint8_t idx, uint8_t val)
{
	cmos_rtc_ops.write(rtc, 0, &idx, 1);
	cmos_rtc_ops.write(rtc, 1, &val, 1);
}

static void advance(struct cmos_rtc *rtc, int64_t ns)
{
	host_ns += ns;
	cmos_rtc_poll(rtc);
}

UNIT_TEST(cmos_rtc, power_on_registers_are_bcd_24h_with_vrt)
{
	struct cmos_rtc *rtc = setup_at(2024, 2, 29, 23, 59, 58);
	CU_ASSERT_EQUAL(rd(rtc, 0x0a), 0x26);
	CU_ASSERT_EQUAL(rd(rtc, 0x0b), 0x02);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0x00);
	CU_ASSERT_EQUAL(rd(rtc, 0x0d), 0x80);
	CU_ASSERT_EQUAL(rd(rtc, 0x5f), 3); /* CPUs - 1 for SeaBIOS */
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, time_registers_show_fixed_base_in_bcd)
{
	struct cmos_rtc *rtc = setup_at(2024, 2, 29, 23, 59, 58);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x58);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 0x59);
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x23);
	CU_ASSERT_EQUAL(rd(rtc, 0x06), 0x05); /* Thursday; Sunday = 1 */
	CU_ASSERT_EQUAL(rd(rtc, 0x07), 0x29);
	CU_ASSERT_EQUAL(rd(rtc, 0x08), 0x02);
	CU_ASSERT_EQUAL(rd(rtc, 0x09), 0x24);
	CU_ASSERT_EQUAL(rd(rtc, 0x32), 0x20);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, time_advances_with_the_host_clock_across_a_leap_day)
{
	struct cmos_rtc *rtc = setup_at(2024, 2, 29, 23, 59, 58);
	advance(rtc, 3 * NS);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x01);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 0x00);
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x00);
	CU_ASSERT_EQUAL(rd(rtc, 0x07), 0x01);
	CU_ASSERT_EQUAL(rd(rtc, 0x08), 0x03);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, binary_mode_reports_plain_numbers)
{
	struct cmos_rtc *rtc = setup_at(2031, 12, 31, 13, 45, 30);
	wr(rtc, 0x0b, 0x06);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 30);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 45);
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 13);
	CU_ASSERT_EQUAL(rd(rtc, 0x08), 12);
	CU_ASSERT_EQUAL(rd(rtc, 0x09), 31);
	CU_ASSERT_EQUAL(rd(rtc, 0x32), 20);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, twelve_hour_mode_sets_pm_bit_and_maps_midnight_and_noon_to_12)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 23, 0, 0);
	wr(rtc, 0x0b, 0x00); /* 12 h, BCD */
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x91);
	advance(rtc, 3600 * NS); /* 00:00 */
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x12);
	advance(rtc, 12 * 3600 * NS); /* 12:00 */
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x92);
	wr(rtc, 0x0b, 0x04); /* 12 h, binary */
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x8c);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, uip_covers_244us_plus_the_1984us_update_cycle_before_the_seconds_change)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	host_ns += 997700000; /* 2300 us before the seconds change */
	CU_ASSERT_EQUAL(rd(rtc, 0x0a) & 0x80, 0);
	host_ns += 100000; /* 2200 us before: inside 244 + 1984 us */
	CU_ASSERT_EQUAL(rd(rtc, 0x0a) & 0x80, 0x80);
	host_ns += 2000000; /* 200 us before */
	CU_ASSERT_EQUAL(rd(rtc, 0x0a) & 0x80, 0x80);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x00);
	host_ns += 200000; /* just after: new second, UIP low */
	CU_ASSERT_EQUAL(rd(rtc, 0x0a) & 0x80, 0);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x01);
	wr(rtc, 0x0b, 0x82); /* SET: no updates, so no UIP */
	host_ns += 999000000;
	CU_ASSERT_EQUAL(rd(rtc, 0x0a) & 0x80, 0);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, a_reader_that_slept_through_the_uip_window_still_sees_one_update)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	host_ns += 500000000;
	CU_ASSERT_EQUAL(rd(rtc, 0x0a) & 0x80, 0);
	host_ns += 600000000; /* descheduled across the update */
	uint8_t idx = 0x0a, v = 0;
	cmos_rtc_ops.write(rtc, 0, &idx, 1); /* selecting a register observes nothing */
	cmos_rtc_ops.read(rtc, 1, &v, 1);
	CU_ASSERT_EQUAL(v & 0x80, 0x80);
	cmos_rtc_ops.read(rtc, 1, &v, 1);
	CU_ASSERT_EQUAL(v & 0x80, 0);
	host_ns += NS;
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x02);    /* a time read observes the update ... */
	cmos_rtc_ops.write(rtc, 0, &idx, 1);
	cmos_rtc_ops.read(rtc, 1, &v, 1);
	CU_ASSERT_EQUAL(v & 0x80, 0);            /* ... so A does not report it again */
	host_ns += NS;
	cmos_rtc_ops.read(rtc, 1, &v, 1);        /* index still at A, as in a sampling loop */
	CU_ASSERT_EQUAL(v & 0x80, 0x80);
	cmos_rtc_ops.read(rtc, 1, &v, 1);
	CU_ASSERT_EQUAL(v & 0x80, 0);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x03);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, set_freezes_time_and_guest_writes_move_only_the_guest_clock)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	int64_t host_before = host_ns;
	wr(rtc, 0x0b, 0x82); /* SET, 24 h, BCD */
	wr(rtc, 0x00, 0x30);
	wr(rtc, 0x02, 0x15);
	wr(rtc, 0x04, 0x08);
	wr(rtc, 0x07, 0x24);
	wr(rtc, 0x08, 0x12);
	wr(rtc, 0x09, 0x99);
	wr(rtc, 0x32, 0x19);
	advance(rtc, 5 * NS);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x30); /* no updates while SET */
	CU_ASSERT_EQUAL(rd(rtc, 0x0a) & 0x80, 0);
	wr(rtc, 0x0b, 0x02);
	CU_ASSERT_EQUAL(rd(rtc, 0x09), 0x99);
	CU_ASSERT_EQUAL(rd(rtc, 0x32), 0x19);
	advance(rtc, 2 * NS);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x32);
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x08);
	CU_ASSERT_EQUAL(rd(rtc, 0x07), 0x24);
	CU_ASSERT_EQUAL(host_ns, host_before + 7 * NS); /* only our fake moved the host */
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, write_without_set_takes_effect_immediately)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	wr(rtc, 0x02, 0x42);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 0x42);
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x12);
	advance(rtc, 60 * NS);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 0x43);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, changing_data_mode_under_set_keeps_the_frozen_time)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 21, 7, 9);
	wr(rtc, 0x0b, 0x82);
	wr(rtc, 0x0b, 0x84); /* binary, 12 h */
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x89);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 7);
	wr(rtc, 0x0b, 0x04);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 9);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, set_and_mode_change_in_one_write_freeze_the_time_in_the_new_format)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 21, 7, 9);
	wr(rtc, 0x0b, 0x86); /* SET | binary | 24 h */
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 21);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 9);
	wr(rtc, 0x00, 30);
	wr(rtc, 0x0b, 0x06);
	host_ns += NS;
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 31);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 7);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, update_ended_interrupt_raises_irq_until_register_c_is_read)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	wr(rtc, 0x0a, 0x20); /* no periodic flag in the way */
	wr(rtc, 0x0b, 0x12); /* UIE */
	advance(rtc, NS / 2);
	CU_ASSERT_EQUAL(irqs.level, 0);
	advance(rtc, NS / 2);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0x90);
	CU_ASSERT_EQUAL(irqs.level, 0);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0x00);
	advance(rtc, NS);
	CU_ASSERT_EQUAL(irqs.rises, 2);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, periodic_flag_follows_rate_select_and_irq_needs_pie)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	rd(rtc, 0x0c);
	advance(rtc, 900000); /* 1024 Hz: period 976.5625 us */
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0x00);
	advance(rtc, 100000);
	CU_ASSERT_EQUAL(irqs.level, 0);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0x40); /* PF without PIE: flag, no IRQF */
	wr(rtc, 0x0a, 0x2f);                 /* 2 Hz */
	wr(rtc, 0x0b, 0x42);                 /* PIE */
	advance(rtc, 400 * 1000000LL);       /* 1.4 s: before 1.5 s */
	CU_ASSERT_EQUAL(irqs.level, 0);
	advance(rtc, 100 * 1000000LL);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c) & 0xc0, 0xc0);
	wr(rtc, 0x0a, 0x20); /* RS = 0: no periodic interrupt */
	advance(rtc, 3 * NS);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c) & 0x40, 0);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, alarm_fires_on_match_and_honours_dont_care_bytes)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	wr(rtc, 0x0a, 0x20);
	wr(rtc, 0x01, 0x05); /* hh:mm:05 */
	wr(rtc, 0x03, 0x01); /* hh:01:05 */
	wr(rtc, 0x05, 0xc0); /* any hour */
	wr(rtc, 0x0b, 0x22); /* AIE */
	rd(rtc, 0x0c);
	advance(rtc, 64 * NS);
	CU_ASSERT_EQUAL(irqs.level, 0);
	advance(rtc, NS);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0xb0); /* IRQF | AF | UF */
	wr(rtc, 0x01, 0xff);                 /* every second */
	wr(rtc, 0x03, 0xff);
	advance(rtc, NS);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0xb0);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, alarm_flag_is_set_even_when_the_guest_polls_late)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	wr(rtc, 0x0a, 0x20);
	wr(rtc, 0x01, 0x00);
	wr(rtc, 0x03, 0x00);
	wr(rtc, 0x05, 0x13); /* 13:00:00 */
	rd(rtc, 0x0c);
	host_ns += 7200 * NS; /* no poll in between */
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0x30); /* AF | UF, no IRQF without AIE */
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, divider_reset_stops_the_clock_and_release_updates_500ms_later)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	host_ns += 300000000; /* mid-second */
	wr(rtc, 0x0a, 0x76);
	advance(rtc, 3 * NS);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x00);
	wr(rtc, 0x0a, 0x26);
	advance(rtc, 499 * 1000000LL);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x00);
	advance(rtc, 2 * 1000000LL);
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x01);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, registers_c_and_d_ignore_writes_and_memory_bytes_hold_values)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	wr(rtc, 0x0d, 0x00);
	CU_ASSERT_EQUAL(rd(rtc, 0x0d), 0x80);
	wr(rtc, 0x0c, 0xff);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c), 0x00);
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(rtc, (uint8_t)i, (uint8_t)(i ^ 0x5a));
	int bad = 0;
	for (unsigned i = 0x0e; i < 0x80; i++)
		if (i != 0x32 && rd(rtc, (uint8_t)i) != (uint8_t)(i ^ 0x5a))
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, index_port_bit7_masks_nmi_and_reads_as_ff)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	uint8_t idx = 0x80 | 0x0d, v = 0;
	cmos_rtc_ops.write(rtc, 0, &idx, 1);
	CU_ASSERT_TRUE(cmos_rtc_nmi_masked(rtc));
	cmos_rtc_ops.read(rtc, 1, &v, 1);
	CU_ASSERT_EQUAL(v, 0x80); /* bit 7 is not part of the index */
	cmos_rtc_ops.read(rtc, 0, &v, 1);
	CU_ASSERT_EQUAL(v, 0xff);
	CU_ASSERT_EQUAL(rd(rtc, 0x0d), 0x80);
	CU_ASSERT_FALSE(cmos_rtc_nmi_masked(rtc));
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, memory_size_bytes_follow_the_seabios_layout)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	cmos_rtc_set_mem_size(rtc, 3584ull << 20, 2ull << 30);
	CU_ASSERT_EQUAL(rd(rtc, 0x15) | rd(rtc, 0x16) << 8, 640);
	CU_ASSERT_EQUAL(rd(rtc, 0x17) | rd(rtc, 0x18) << 8, 0xffff);
	CU_ASSERT_EQUAL(rd(rtc, 0x30) | rd(rtc, 0x31) << 8, 0xffff);
	CU_ASSERT_EQUAL(rd(rtc, 0x34) | rd(rtc, 0x35) << 8, (3584 - 16) * 16);
	CU_ASSERT_EQUAL(rd(rtc, 0x5b) | rd(rtc, 0x5c) << 8 | rd(rtc, 0x5d) << 16, 32768);
	cmos_rtc_set_mem_size(rtc, 64ull << 20, 0);
	CU_ASSERT_EQUAL(rd(rtc, 0x17) | rd(rtc, 0x18) << 8, 63 * 1024);
	CU_ASSERT_EQUAL(rd(rtc, 0x34) | rd(rtc, 0x35) << 8, 48 * 16);
	CU_ASSERT_EQUAL(rd(rtc, 0x5b) | rd(rtc, 0x5c) | rd(rtc, 0x5d), 0);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, utc_and_localtime_bases_follow_the_host_clock)
{
	memset(&cfg, 0, sizeof(cfg));
	host_ns = 1700000000LL * NS; /* 2023-11-14 22:13:20 UTC */
	rtc_clock_set_host_source(fake_host);
	cfg.rtc_base = RTC_BASE_UTC;
	struct cmos_rtc *rtc = cmos_rtc_new((struct irq_line){ .chip = &chip, .irq = 8 }, &cfg);
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x22);
	CU_ASSERT_EQUAL(rd(rtc, 0x02), 0x13);
	cmos_rtc_free(rtc);

	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	setenv("TZ", "XXX-2", 1); /* two hours east of UTC, no DST */
	tzset();
	cfg.rtc_base = RTC_BASE_LOCALTIME;
	rtc = cmos_rtc_new((struct irq_line){ .chip = &chip, .irq = 8 }, &cfg);
	CU_ASSERT_EQUAL(rd(rtc, 0x04), 0x00);
	CU_ASSERT_EQUAL(rd(rtc, 0x07), 0x15);
	if (old) {
		setenv("TZ", old, 1);
		free(old);
	} else {
		unsetenv("TZ");
	}
	tzset();
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, enabling_an_interrupt_with_its_flag_pending_raises_irq_at_once)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	advance(rtc, NS); /* UF pending, UIE off */
	CU_ASSERT_EQUAL(irqs.level, 0);
	wr(rtc, 0x0b, 0x12);
	CU_ASSERT_EQUAL(irqs.level, 1);
	wr(rtc, 0x0b, 0x02); /* disabling lowers it again */
	CU_ASSERT_EQUAL(irqs.level, 0);
	teardown(rtc);
}

UNIT_TEST(cmos_rtc, set_bit_clears_uie)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	wr(rtc, 0x0b, 0x92);
	CU_ASSERT_EQUAL(rd(rtc, 0x0b), 0x82);
	teardown(rtc);
}

/* The production path: the device's own timer, on the real clock, through the event loop. */
UNIT_TEST(cmos_rtc, update_interrupt_arrives_through_the_event_loop_timer)
{
	memset(&irqs, 0, sizeof(irqs));
	memset(&cfg, 0, sizeof(cfg));
	rtc_clock_set_host_source(NULL);
	struct cmos_rtc *rtc = cmos_rtc_new((struct irq_line){ .chip = &chip, .irq = 8 }, &cfg);
	wr(rtc, 0x0b, 0x12);
	for (int i = 0; i < 30 && !irqs.level; i++)
		event_poll(100);
	CU_ASSERT_EQUAL(irqs.level, 1);
	CU_ASSERT_EQUAL(rd(rtc, 0x0c) & 0x90, 0x90);
	cmos_rtc_free(rtc);
}

/* drivers/rtc/mc146818-lib.c mc146818_get_time(): sample seconds; while UIP, mdelay(1) and retry. */
static int linux_get_time(struct cmos_rtc *rtc, uint8_t t[8])
{
	for (int i = 0; i < 100; i++) {
		uint8_t sec = rd(rtc, 0x00);
		if (rd(rtc, 0x0a) & 0x80) {
			host_ns += 1000000; /* mdelay(1) */
			continue;
		}
		if (sec != rd(rtc, 0x00))
			continue;
		static const uint8_t regs[8] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x0b, 0x32 };
		for (int j = 0; j < 8; j++)
			t[j] = rd(rtc, regs[j]);
		return 0;
	}
	return -1;
}

/* mc146818_set_time(): SET, divider reset, write fields, restore B then A. */
UNIT_TEST(cmos_rtc, linux_set_time_then_get_time_round_trips)
{
	struct cmos_rtc *rtc = setup_at(2025, 6, 1, 12, 0, 0);
	uint8_t t[8];

	host_ns += 999000000; /* inside the UIP window: the reader must wait it out */
	CU_ASSERT_EQUAL(linux_get_time(rtc, t), 0);
	CU_ASSERT_EQUAL(t[0], 0x01);
	uint8_t save_control = rd(rtc, 0x0b);
	wr(rtc, 0x0b, save_control | 0x80);
	uint8_t save_freq = rd(rtc, 0x0a);
	wr(rtc, 0x0a, save_freq | 0x60);
	wr(rtc, 0x09, 0x38);
	wr(rtc, 0x08, 0x01);
	wr(rtc, 0x07, 0x19);
	wr(rtc, 0x04, 0x03);
	wr(rtc, 0x02, 0x14);
	wr(rtc, 0x00, 0x07);
	wr(rtc, 0x32, 0x20);
	host_ns += 2 * NS; /* time does not run meanwhile */
	wr(rtc, 0x0b, save_control);
	wr(rtc, 0x0a, save_freq);
	CU_ASSERT_EQUAL(rd(rtc, 0x0a), 0x26);
	CU_ASSERT_EQUAL(linux_get_time(rtc, t), 0);
	static const uint8_t want[8] = { 0x07, 0x14, 0x03, 0x19, 0x01, 0x38, 0x02, 0x20 };
	CU_ASSERT_EQUAL(memcmp(t, want, 8), 0);
	host_ns += 600 * 1000000LL; /* the first update comes 500 ms after the divider restarts */
	CU_ASSERT_EQUAL(rd(rtc, 0x00), 0x08);
	teardown(rtc);
}
