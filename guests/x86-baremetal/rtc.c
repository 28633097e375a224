/*
 * rtc: the MC146818 CMOS clock at 0x70/0x71 (Motorola MC146818A datasheet; the century byte at
 * 0x32 as on PC/AT). Watches register A's update-in-progress bit around a seconds update, reads the
 * date and time in BCD and binary and in 24 h and 12 h mode (register B bits 2 and 1) and checks
 * they agree, checks the update-ended and periodic flags in register C, then sets the clock the way
 * hwclock does (B.SET) and reads it back. Prints "rtc: time YYYY-MM-DDTHH:MM:SS" (first reading,
 * as the VMM started it) for the harness to compare with the host clock or --rtc base=.
 */
#include "rt.h"

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_UF 0x10
#define D_VRT 0x80

struct rtc_time {
	unsigned year, mon, mday, hour, min, sec;
};

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static unsigned from_bcd(uint8_t v) { return (v >> 4) * 10 + (v & 0x0f); }
static uint8_t to_bcd(unsigned v) { return (uint8_t)(((v / 10) << 4) | (v % 10)); }

/* Wait (bounded) until no update is in progress; returns false if UIP never cleared. */
static bool wait_uip_clear(void)
{
	for (unsigned i = 0; i < 2000000; i++)
		if (!(cmos_read(REG_A) & A_UIP))
			return true;
	return false;
}

/* One consistent reading in the current register B format, decoded to binary 24 h. */
static struct rtc_time rtc_read(uint8_t *raw_hour)
{
	uint8_t r[6], again[6];
	static const uint8_t regs[6] = { REG_YEAR, REG_MON, REG_MDAY, REG_HOUR, REG_MIN, REG_SEC };

	/* Read until two passes agree: a seconds update between registers would tear the time. */
	for (unsigned tries = 0; tries < 10; tries++) {
		wait_uip_clear();
		for (unsigned i = 0; i < 6; i++)
			r[i] = cmos_read(regs[i]);
		for (unsigned i = 0; i < 6; i++)
			again[i] = cmos_read(regs[i]);
		bool same = true;
		for (unsigned i = 0; i < 6; i++)
			same &= r[i] == again[i];
		if (same)
			break;
	}

	uint8_t b = cmos_read(REG_B);
	bool bin = b & B_DM_BINARY;
	uint8_t century = cmos_read(REG_CENTURY);
	unsigned cent = bin ? century : from_bcd(century);
	uint8_t h = r[3];
	bool pm = false;

	*raw_hour = h;
	if (!(b & B_24H)) {
		pm = h & 0x80;
		h &= 0x7f;
	}
	struct rtc_time t = {
		.year = bin ? r[0] : from_bcd(r[0]), .mon = bin ? r[1] : from_bcd(r[1]),
		.mday = bin ? r[2] : from_bcd(r[2]), .hour = bin ? h : from_bcd(h),
		.min = bin ? r[4] : from_bcd(r[4]), .sec = bin ? r[5] : from_bcd(r[5]),
	};
	if (!(b & B_24H))                       /* 12 h: 12 AM is 0 h, 12 PM is 12 h */
		t.hour = (t.hour % 12) + (pm ? 12 : 0);
	t.year += (cent >= 19 && cent <= 30 ? cent : 20) * 100;
	return t;
}

static void print_time(const char *label, const struct rtc_time *t)
{
	gprintf("rtc: %s %04u-%02u-%02uT%02u:%02u:%02u\n", label, t->year, t->mon, t->mday, t->hour,
		t->min, t->sec);
}

/* Seconds since midnight; two readings of the same clock a moment apart differ by 0..2 s. */
static bool close_in_time(const struct rtc_time *a, const struct rtc_time *b)
{
	unsigned sa = a->hour * 3600 + a->min * 60 + a->sec, sb = b->hour * 3600 + b->min * 60 + b->sec;

	return a->year == b->year && a->mon == b->mon && a->mday == b->mday && sb >= sa && sb - sa <= 2;
}

static void test_uip(void)
{
	/*
	 * UIP is set for 244 us before each once-a-second update (datasheet, "Update cycle"). Keep
	 * register C read, as an interrupt handler would: a model may stop its update timer (and so
	 * stop showing UIP) while UF sits unacknowledged, as QEMU's does.
	 */
	cmos_read(REG_C);
	uint8_t sec0 = cmos_read(REG_SEC), changes = 0;
	bool seen_uip = false, cleared_after = false;

	/* Sample A with one access each (the index stays at A), checking the seconds in between. */
	for (unsigned n = 0; n < 1000000 && changes < 6 && !cleared_after; n++) {
		outb(0x70, REG_A);
		for (unsigned i = 0; i < 1024; i++) {
			if (inb(0x71) & A_UIP) {
				seen_uip = true;
			} else if (seen_uip) {
				cleared_after = true;
				break;
			}
		}
		uint8_t s = cmos_read(REG_SEC);
		if (s != sec0) {
			changes++, sec0 = s;
			cmos_read(REG_C);
		}
	}
	check(seen_uip, "register A UIP seen set around a seconds update");
	check(cleared_after, "register A UIP clears again after the update");
}

static void test_flags(void)
{
	/* UF is set at the end of every update cycle; poll C across at most two seconds updates. */
	cmos_read(REG_C);                       /* reading C clears its flags */
	uint8_t sec0 = cmos_read(REG_SEC), changes = 0, uf = 0;
	for (unsigned i = 0; i < 100000000 && changes < 3 && !uf; i++) {
		uf = cmos_read(REG_C) & C_UF;
		uint8_t s = cmos_read(REG_SEC);
		if (s != sec0)
			changes++, sec0 = s;
	}
	check(uf, "register C UF set after a seconds update");
	check(!(cmos_read(REG_C) & C_UF), "register C flags clear on read");

	uint8_t a = cmos_read(REG_A), b = cmos_read(REG_B);
	cmos_write(REG_A, (a & 0xf0) | 0x06);   /* rate 6: 1024 Hz periodic interrupt */
	cmos_write(REG_B, b | B_PIE);
	uint8_t c = 0;
	for (unsigned i = 0; i < 2000000 && !(c & C_PF); i++)
		c = cmos_read(REG_C);
	check(c & C_PF, "register C PF set by the 1024 Hz periodic timer (C=0x%02x)", c);
	check((c & C_IRQF), "register C IRQF set with PIE enabled");
	cmos_write(REG_B, b);
	cmos_write(REG_A, a);
	cmos_read(REG_C);
}

/* CMOS RAM (bytes 14-127) keeps what is written; bit 7 of the index port masks NMI and is no
 * part of the register number (Linux writes it that way, CMOS_READ with RTC_ALWAYS_BCD off). */
static void test_cmos_ram(void)
{
	cmos_write(0x40, 0x5a);
	cmos_write(0x7f, 0xa5);
	check(cmos_read(0x40) == 0x5a && cmos_read(0x7f) == 0xa5, "CMOS RAM bytes 0x40, 0x7f keep 0x5a, 0xa5");
	uint8_t a = cmos_read(REG_A) & 0x7f, a_nmi = cmos_read(0x80 | REG_A) & 0x7f;
	check(a == a_nmi, "index bit 7 (NMI mask) still selects register A (0x%02x, 0x%02x)", a, a_nmi);
	cmos_write(0x80 | 0x41, 0x3c);
	check(cmos_read(0x41) == 0x3c, "write through index 0xc1 lands in byte 0x41");
}

static void test_set_time(uint8_t b)
{
	/* Set 2001-02-03 04:05:06 in BCD 24 h the way hwclock does: SET stops updates while writing. */
	cmos_write(REG_B, (b | B_SET | B_24H) & ~B_DM_BINARY);
	cmos_write(REG_SEC, to_bcd(6));
	cmos_write(REG_MIN, to_bcd(5));
	cmos_write(REG_HOUR, to_bcd(4));
	cmos_write(REG_MDAY, to_bcd(3));
	cmos_write(REG_MON, to_bcd(2));
	cmos_write(REG_YEAR, to_bcd(1));
	cmos_write(REG_CENTURY, to_bcd(20));
	cmos_write(REG_B, (b | B_24H) & ~(B_DM_BINARY | B_SET));
	uint8_t raw;
	struct rtc_time t = rtc_read(&raw), want = { 2001, 2, 3, 4, 5, 6 };
	print_time("after set", &t);
	check(close_in_time(&want, &t), "time set through B.SET reads back (2001-02-03T04:05:06..08)");
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	uint8_t a = cmos_read(REG_A), b = cmos_read(REG_B), d = cmos_read(REG_D), raw;

	/* The first reading, as the VMM started the clock, before anything else takes time. */
	struct rtc_time start = rtc_read(&raw);
	print_time("time", &start);
	gprintf("rtc: register A=0x%02x B=0x%02x D=0x%02x (%s, %s)\n", a, b, d,
		b & B_DM_BINARY ? "binary" : "bcd", b & B_24H ? "24h" : "12h");
	check(d & D_VRT, "register D VRT (valid RAM and time) set");
	check(!(b & B_SET), "register B SET clear: the clock is running");
	check(start.mon >= 1 && start.mon <= 12 && start.mday >= 1 && start.mday <= 31 &&
	      start.hour < 24 && start.min < 60 && start.sec < 60, "date and time fields in range");

	test_uip();

	cmos_write(REG_B, (b & ~B_DM_BINARY) | B_24H);
	struct rtc_time bcd24 = rtc_read(&raw);
	print_time("bcd 24h", &bcd24);
	check((raw & 0x0f) <= 9 && (raw >> 4) <= 2, "BCD hour register 0x%02x is BCD", raw);

	cmos_write(REG_B, b | B_DM_BINARY | B_24H);
	struct rtc_time bin24 = rtc_read(&raw);
	print_time("bin 24h", &bin24);
	check(raw < 24, "binary hour register %u < 24", raw);
	check(close_in_time(&bcd24, &bin24), "binary and BCD readings agree");

	cmos_write(REG_B, (b & ~(B_DM_BINARY | B_24H)));
	struct rtc_time bcd12 = rtc_read(&raw);
	print_time("bcd 12h", &bcd12);
	check((raw & 0x7f) >= 0x01 && (raw & 0x7f) <= 0x12, "12 h BCD hour 0x%02x in 1..12 (+PM bit 7)",
	      raw);
	check(close_in_time(&bin24, &bcd12), "12 h and 24 h readings agree");

	cmos_write(REG_B, (b | B_DM_BINARY) & ~B_24H);
	struct rtc_time bin12 = rtc_read(&raw);
	print_time("bin 12h", &bin12);
	check((raw & 0x7f) >= 1 && (raw & 0x7f) <= 12, "12 h binary hour %u in 1..12 (+PM bit 7)",
	      raw & 0x7f);
	check(close_in_time(&bcd12, &bin12), "12 h binary and BCD readings agree");
	cmos_write(REG_B, b);

	test_flags();
	test_cmos_ram();
	test_set_time(b);
	cmos_write(REG_B, b);
	guest_finish("rtc");
}
