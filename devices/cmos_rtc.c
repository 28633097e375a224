/*
 * MC146818A real-time clock and CMOS RAM behind the PC's ports 0x70 (index, bit 7 masks NMI) and
 * 0x71 (data). Registers per the Motorola MC146818A datasheet: 0-9 time/alarm/date, A (UIP, divider,
 * rate select), B (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE), C (IRQF, PF, AF, UF; read clears),
 * D (VRT); 0x0e-0x7f are battery-backed memory (0x32: century, as on PCs).
 *
 * Time comes from the guest wall clock (rtc_clock), so nothing ticks while nobody looks: the
 * time registers are computed on read, and the interrupt flags are brought up to date lazily on each
 * access (cmos_advance) for the interval since the previous one. The update cycle ends at each
 * second boundary of the guest clock: the registers change and UF/AF are set there, and UIP is high
 * for the 244 us before the cycle starts plus the 1984 us it lasts with a 32.768 kHz time base
 * (datasheet "Update cycle"; Linux's mc146818_get_time polls up to ~2 ms for it). A timer wakes
 * the main loop only when an enabled interrupt (PIE/AIE/UIE) is due and the IRQ line is low.
 * While the clock is stopped (SET, or the divider held in reset) registers 0-9 and 0x32 hold the
 * frozen time in cmos[], where the guest's writes land; restarting moves the clock's offset to the
 * written time.
 */
#include "devices/rtc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/machine.h"
#include "vmm/util.h"

enum {
	RTC_SECONDS = 0x00, RTC_SECONDS_ALARM = 0x01, RTC_MINUTES = 0x02, RTC_MINUTES_ALARM = 0x03,
	RTC_HOURS = 0x04, RTC_HOURS_ALARM = 0x05, RTC_DAY_OF_WEEK = 0x06, RTC_DAY_OF_MONTH = 0x07,
	RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d, RTC_CENTURY = 0x32, RTC_CPUS = 0x5f,
};

#define REG_A_UIP 0x80
#define REG_A_DV 0x70
#define REG_A_RS 0x0f
#define REG_B_SET 0x80
#define REG_B_PIE 0x40
#define REG_B_AIE 0x20
#define REG_B_UIE 0x10
#define REG_B_DM 0x04
#define REG_B_24H 0x02
#define REG_C_IRQF 0x80
#define REG_C_PF 0x40
#define REG_C_AF 0x20
#define REG_C_UF 0x10
#define REG_D_VRT 0x80
#define ALARM_DONT_CARE 0xc0 /* both top bits set: matches any value */

#define NS_PER_SEC 1000000000LL
#define TICKS_PER_SEC 32768 /* the time base the divider chain produces from a 32.768 kHz crystal */
#define UIP_TICKS (8 + 65)  /* UIP: 244 us (8 ticks) before the cycle + its 1984 us (65 ticks) */
#define SEC_PER_DAY 86400

struct cmos_rtc {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct rtc_clock clock;
	struct rtc_timer timer;
	uint8_t index;
	bool nmi_masked;
	uint8_t cmos[128];
	int64_t last_ns; /* register C's flags are up to date up to this guest time */
	int64_t last_read_ns; /* guest time of the last data-port read */
	bool irq_level;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t ns_to_ticks(int64_t ns)
{
	int64_t sec = floor_div(ns, NS_PER_SEC);
	return sec * TICKS_PER_SEC + (ns - sec * NS_PER_SEC) * TICKS_PER_SEC / NS_PER_SEC;
}

/* The first guest ns at which the tick counter reads ticks. */
static int64_t ticks_to_ns(int64_t ticks)
{
	int64_t sec = floor_div(ticks, TICKS_PER_SEC);
	int64_t sub = ticks - sec * TICKS_PER_SEC;
	return sec * NS_PER_SEC + (sub * NS_PER_SEC + TICKS_PER_SEC - 1) / TICKS_PER_SEC;
}

static bool divider_runs(const struct cmos_rtc *rtc)
{
	/* DV 000/001/010 count; 11x holds the chain in reset and 011-101 are test modes (as QEMU). */
	return (rtc->cmos[RTC_REG_A] & REG_A_DV) <= 0x20;
}

static bool time_runs(const struct cmos_rtc *rtc)
{
	return divider_runs(rtc) && !(rtc->cmos[RTC_REG_B] & REG_B_SET);
}

/* Periodic interrupt period in 32.768 kHz ticks for rate select rs (datasheet table 5); 0 = none. */
static int64_t periodic_ticks(uint8_t rs)
{
	if (rs == 0)
		return 0;
	return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
}

static uint8_t to_reg(uint8_t b, int v)
{
	return (b & REG_B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int from_reg(uint8_t b, uint8_t v)
{
	return (b & REG_B_DM) ? v : (v >> 4) * 10 + (v & 0x0f);
}

/* 12-hour mode: 1-12 with bit 7 set for PM (datasheet table 3). */
static uint8_t hour_to_reg(uint8_t b, int h)
{
	if (b & REG_B_24H)
		return to_reg(b, h);
	return to_reg(b, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static int hour_from_reg(uint8_t b, uint8_t v)
{
	if (b & REG_B_24H)
		return from_reg(b, v);
	return from_reg(b, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

/* Write guest second sec into registers 0-9 and the century byte, in register B's format b. */
static void cmos_store_time(struct cmos_rtc *rtc, int64_t sec, uint8_t b)
{
	time_t t = (time_t)sec;
	struct tm tm;
	uint8_t *c = rtc->cmos;

	if (!gmtime_r(&t, &tm))
		return;
	int year = tm.tm_year + 1900;
	c[RTC_SECONDS] = to_reg(b, tm.tm_sec);
	c[RTC_MINUTES] = to_reg(b, tm.tm_min);
	c[RTC_HOURS] = hour_to_reg(b, tm.tm_hour);
	c[RTC_DAY_OF_WEEK] = to_reg(b, tm.tm_wday + 1);
	c[RTC_DAY_OF_MONTH] = to_reg(b, tm.tm_mday);
	c[RTC_MONTH] = to_reg(b, tm.tm_mon + 1);
	c[RTC_YEAR] = to_reg(b, year % 100);
	c[RTC_CENTURY] = to_reg(b, year / 100);
}

/* The time held in registers 0-9 and 0x32 (format b); garbage is normalised by timegm. */
static int64_t cmos_load_time(const struct cmos_rtc *rtc, uint8_t b)
{
	const uint8_t *c = rtc->cmos;
	struct tm tm = {
		.tm_sec = from_reg(b, c[RTC_SECONDS]),
		.tm_min = from_reg(b, c[RTC_MINUTES]),
		.tm_hour = hour_from_reg(b, c[RTC_HOURS]),
		.tm_mday = from_reg(b, c[RTC_DAY_OF_MONTH]),
		.tm_mon = from_reg(b, c[RTC_MONTH]) - 1,
		.tm_year = from_reg(b, c[RTC_CENTURY]) * 100 + from_reg(b, c[RTC_YEAR]) - 1900,
	};
	return (int64_t)timegm(&tm);
}

struct alarm {
	int sec, min, hour; /* -1: don't care */
};

static void alarm_decode(const struct cmos_rtc *rtc, struct alarm *a)
{
	uint8_t b = rtc->cmos[RTC_REG_B];
	const uint8_t *c = rtc->cmos;

	uint8_t s = c[RTC_SECONDS_ALARM], m = c[RTC_MINUTES_ALARM], h = c[RTC_HOURS_ALARM];

	a->sec = (s & ALARM_DONT_CARE) == ALARM_DONT_CARE ? -1 : from_reg(b, s);
	a->min = (m & ALARM_DONT_CARE) == ALARM_DONT_CARE ? -1 : from_reg(b, m);
	a->hour = (h & ALARM_DONT_CARE) == ALARM_DONT_CARE ? -1 : hour_from_reg(b, h);
}

static bool alarm_matches(const struct alarm *a, int64_t sec)
{
	int64_t tod = sec - floor_div(sec, SEC_PER_DAY) * SEC_PER_DAY;
	return (a->sec < 0 || a->sec == tod % 60) && (a->min < 0 || a->min == tod / 60 % 60) &&
	       (a->hour < 0 || a->hour == tod / 3600);
}

/* Did an update in (s0, s1] match the alarm? A day covers every time of day. */
static bool alarm_hit_between(const struct cmos_rtc *rtc, int64_t s0, int64_t s1)
{
	struct alarm a;

	alarm_decode(rtc, &a);
	if (s1 - s0 > SEC_PER_DAY)
		s0 = s1 - SEC_PER_DAY;
	for (int64_t s = s0 + 1; s <= s1; s++)
		if (alarm_matches(&a, s))
			return true;
	return false;
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE (datasheet register C); the line follows IRQF. */
static void cmos_update_irq(struct cmos_rtc *rtc)
{
	uint8_t b = rtc->cmos[RTC_REG_B], *c = &rtc->cmos[RTC_REG_C];
	bool on = (*c & b & (REG_C_PF | REG_C_AF | REG_C_UF)) != 0; /* flag bits line up with enables */

	*c = on ? (*c | REG_C_IRQF) : (*c & ~REG_C_IRQF);
	if (on != rtc->irq_level) {
		rtc->irq_level = on;
		irq_set(&rtc->irq, on);
	}
}

/* Raise the flags for every periodic tick and update that happened in (last_ns, now]. */
static void cmos_advance(struct cmos_rtc *rtc, int64_t now)
{
	int64_t last = rtc->last_ns;
	uint8_t *c = &rtc->cmos[RTC_REG_C];
	int64_t period = periodic_ticks(rtc->cmos[RTC_REG_A] & REG_A_RS);

	if (now > last) {
		if (divider_runs(rtc) && period &&
		    floor_div(ns_to_ticks(now), period) > floor_div(ns_to_ticks(last), period))
			*c |= REG_C_PF;
		int64_t s0 = floor_div(last, NS_PER_SEC), s1 = floor_div(now, NS_PER_SEC);
		if (time_runs(rtc) && s1 > s0) {
			*c |= REG_C_UF;
			if (alarm_hit_between(rtc, s0, s1))
				*c |= REG_C_AF;
		}
	}
	rtc->last_ns = now; /* also after a host clock step backwards: no flags for time not lived */
	cmos_update_irq(rtc);
}

/* Arm the timer for the next enabled interrupt, if the line is low and one is due at all. */
static void cmos_rearm(struct cmos_rtc *rtc, int64_t now)
{
	uint8_t b = rtc->cmos[RTC_REG_B];
	int64_t next = INT64_MAX;
	int64_t period = periodic_ticks(rtc->cmos[RTC_REG_A] & REG_A_RS);

	if (!rtc->irq_level) {
		if ((b & REG_B_PIE) && period && divider_runs(rtc))
			next = ticks_to_ns((floor_div(ns_to_ticks(now), period) + 1) * period);
		int64_t sec = floor_div(now, NS_PER_SEC);
		if (time_runs(rtc) && (b & REG_B_UIE))
			next = MIN(next, (sec + 1) * NS_PER_SEC);
		if (time_runs(rtc) && (b & REG_B_AIE)) {
			struct alarm a;
			alarm_decode(rtc, &a);
			for (int64_t s = sec + 1; s <= sec + SEC_PER_DAY && s * NS_PER_SEC < next; s++)
				if (alarm_matches(&a, s)) {
					next = s * NS_PER_SEC;
					break;
				}
		}
	}
	rtc_timer_arm(&rtc->timer, next == INT64_MAX ? 0 : MAX(next - now, 1));
}

static void cmos_timer_fired(void *opaque)
{
	struct cmos_rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	int64_t now = rtc_clock_ns(&rtc->clock);
	cmos_advance(rtc, now);
	cmos_rearm(rtc, now);
	pthread_mutex_unlock(&rtc->lock);
}

void cmos_rtc_poll(struct cmos_rtc *rtc)
{
	cmos_timer_fired(rtc);
}

static bool is_time_reg(uint8_t idx)
{
	return idx == RTC_SECONDS || idx == RTC_MINUTES || idx == RTC_HOURS ||
	       (idx >= RTC_DAY_OF_WEEK && idx <= RTC_YEAR) || idx == RTC_CENTURY;
}

/* The guest clock moved: no flags, and no unseen update, for the time it skipped. */
static void cmos_rebase(struct cmos_rtc *rtc)
{
	rtc->last_ns = rtc->last_read_ns = rtc_clock_ns(&rtc->clock);
}

/* After a write to A or B: a clock that starts again takes the time the guest left in cmos[]. */
static void cmos_restart(struct cmos_rtc *rtc, bool was_running)
{
	if (!was_running && time_runs(rtc)) {
		rtc_clock_set_seconds(&rtc->clock, cmos_load_time(rtc, rtc->cmos[RTC_REG_B]));
		cmos_rebase(rtc);
	}
}

static void cmos_write_reg(struct cmos_rtc *rtc, uint8_t idx, uint8_t val, int64_t now)
{
	uint8_t *c = rtc->cmos;
	bool running = time_runs(rtc);

	if (running && (is_time_reg(idx) || idx == RTC_REG_A || idx == RTC_REG_B))
		cmos_store_time(rtc, floor_div(now, NS_PER_SEC), c[RTC_REG_B]); /* freeze point */

	if (is_time_reg(idx)) {
		c[idx] = val;
		if (running) { /* a write without SET takes effect at once (as QEMU) */
			rtc_clock_set_seconds(&rtc->clock, cmos_load_time(rtc, c[RTC_REG_B]));
			cmos_rebase(rtc);
		}
		return;
	}
	switch (idx) {
	case RTC_REG_A: {
		bool div_was = divider_runs(rtc);
		c[RTC_REG_A] = val & ~REG_A_UIP;
		if (!div_was && divider_runs(rtc)) {
			/* Leaving divider reset: the first update comes 500 ms later (datasheet, DV bits). */
			int64_t sec = floor_div(rtc_clock_ns(&rtc->clock), NS_PER_SEC);
			rtc_clock_set_ns(&rtc->clock, sec * NS_PER_SEC + NS_PER_SEC / 2);
			cmos_rebase(rtc);
		}
		cmos_restart(rtc, running);
		break;
	}
	case RTC_REG_B: {
		uint8_t old = c[RTC_REG_B];
		if (val & REG_B_SET)
			val &= ~REG_B_UIE; /* SET clears UIE (datasheet register B) */
		/* A format change re-encodes the held time (stored under the old format just above,
		 * or written by the guest under it while stopped), so SET|DM in one write is safe. */
		if ((old ^ val) & (REG_B_DM | REG_B_24H))
			cmos_store_time(rtc, cmos_load_time(rtc, old), val);
		c[RTC_REG_B] = val;
		cmos_restart(rtc, running);
		break;
	}
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		c[idx] = val; /* alarm registers and CMOS memory */
		break;
	}
}

/* update_unseen: an update happened since the previous access (see cmos_rtc_read). */
static uint8_t cmos_read_reg(struct cmos_rtc *rtc, uint8_t idx, int64_t now, bool update_unseen)
{
	uint8_t *c = rtc->cmos;

	if (is_time_reg(idx)) {
		if (time_runs(rtc))
			cmos_store_time(rtc, floor_div(now, NS_PER_SEC), c[RTC_REG_B]);
		return c[idx];
	}
	switch (idx) {
	case RTC_REG_A: {
		int64_t ticks = ns_to_ticks(now) - floor_div(now, NS_PER_SEC) * TICKS_PER_SEC;
		bool uip = time_runs(rtc) && (ticks >= TICKS_PER_SEC - UIP_TICKS || update_unseen);
		return c[RTC_REG_A] | (uip ? REG_A_UIP : 0);
	}
	case RTC_REG_C: {
		uint8_t v = c[RTC_REG_C];
		c[RTC_REG_C] = 0; /* reading C clears every flag and releases the IRQ */
		return v;
	}
	case RTC_REG_D:
		return REG_D_VRT;
	default:
		return c[idx];
	}
}

/* ISA byte ports: a wider access is split into byte accesses to consecutive ports. */
static void cmos_rtc_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct cmos_rtc *rtc = opaque;
	uint8_t *out = data;

	pthread_mutex_lock(&rtc->lock);
	int64_t now = rtc_clock_ns(&rtc->clock);
	/*
	 * The first data read after an update completes it, as QEMU's update timer does: if the guest
	 * read nothing during that update's UIP window (descheduled on a loaded host), a read of A
	 * still shows UIP once, so every update is seen in progress. The time registers already hold the new
	 * second; UIP only asks the reader to look again.
	 */
	int64_t window = floor_div(now, NS_PER_SEC) * TICKS_PER_SEC - UIP_TICKS; /* last update's UIP */
	bool update_unseen = time_runs(rtc) && ns_to_ticks(rtc->last_read_ns) < window;
	cmos_advance(rtc, now);
	for (unsigned i = 0; i < len; i++) {
		if (offset + i == 0) {
			out[i] = 0xff; /* the index port is write-only on PCs */
		} else if (offset + i == 1) {
			out[i] = cmos_read_reg(rtc, rtc->index, now, update_unseen);
			rtc->last_read_ns = now;
			update_unseen = false;
			if (rtc->index == RTC_REG_C) {
				cmos_update_irq(rtc);
				cmos_rearm(rtc, now);
			}
		} else {
			out[i] = 0xff;
		}
	}
	pthread_mutex_unlock(&rtc->lock);
}

static void cmos_rtc_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct cmos_rtc *rtc = opaque;
	const uint8_t *in = data;

	pthread_mutex_lock(&rtc->lock);
	int64_t now = rtc_clock_ns(&rtc->clock);
	cmos_advance(rtc, now);
	for (unsigned i = 0; i < len; i++) {
		if (offset + i == 0) {
			rtc->index = in[i] & 0x7f;
			rtc->nmi_masked = in[i] & 0x80;
		} else if (offset + i == 1) {
			cmos_write_reg(rtc, rtc->index, in[i], now);
			now = rtc_clock_ns(&rtc->clock);
			cmos_update_irq(rtc);
			cmos_rearm(rtc, now);
		}
	}
	pthread_mutex_unlock(&rtc->lock);
}

const struct bus_ops cmos_rtc_ops = {
	.name = "cmos-rtc",
	.read = cmos_rtc_read,
	.write = cmos_rtc_write,
};

int cmos_rtc_nmi_masked(struct cmos_rtc *rtc)
{
	pthread_mutex_lock(&rtc->lock);
	int v = rtc->nmi_masked;
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

static void put16(uint8_t *c, unsigned idx, uint64_t v)
{
	c[idx] = (uint8_t)v;
	c[idx + 1] = (uint8_t)(v >> 8);
}

void cmos_rtc_set_mem_size(struct cmos_rtc *rtc, uint64_t ram_below_4g, uint64_t ram_above_4g)
{
	uint8_t *c = rtc->cmos;
	uint64_t kb_above_1m = ram_below_4g > (1u << 20) ? (ram_below_4g >> 10) - 1024 : 0;
	uint64_t above_16m = ram_below_4g > (16u << 20) ? (ram_below_4g - (16u << 20)) >> 16 : 0;
	uint64_t above_4g = ram_above_4g >> 16;

	pthread_mutex_lock(&rtc->lock);
	put16(c, 0x15, 640);                         /* base memory, KiB */
	put16(c, 0x17, MIN(kb_above_1m, 0xffff));    /* extended memory, KiB (1M-65M) */
	put16(c, 0x30, MIN(kb_above_1m, 0xffff));    /* the same, as POST reports it */
	put16(c, 0x34, MIN(above_16m, 0xffff));      /* 16M..4G in 64 KiB units (SeaBIOS) */
	c[0x5b] = (uint8_t)above_4g;                 /* above 4G in 64 KiB units, 24 bits */
	c[0x5c] = (uint8_t)(above_4g >> 8);
	c[0x5d] = (uint8_t)(above_4g >> 16);
	pthread_mutex_unlock(&rtc->lock);
}

struct cmos_rtc *cmos_rtc_new(struct irq_line irq, const struct vm_config *cfg)
{
	struct cmos_rtc *rtc = calloc(1, sizeof(*rtc));
	int ret;

	if (!rtc) {
		log_error("cmos-rtc: out of memory");
		return NULL;
	}
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->irq = irq;
	rtc_clock_init(&rtc->clock, cfg);
	ret = rtc_timer_init(&rtc->timer, cmos_timer_fired, rtc);
	if (ret < 0) {
		log_error("cmos-rtc: cannot create its timer (timerfd/epoll: %s); raise the open-file limit (ulimit -n)",
			  strerror(-ret));
		pthread_mutex_destroy(&rtc->lock);
		free(rtc);
		return NULL;
	}
	/* Power-on state as a PC BIOS leaves it: 32.768 kHz divider, 1024 Hz rate, BCD, 24 hours. */
	rtc->cmos[RTC_REG_A] = 0x26;
	rtc->cmos[RTC_REG_B] = REG_B_24H;
	rtc->cmos[RTC_REG_D] = REG_D_VRT;
	if (cfg && cfg->cpus > 0)
		rtc->cmos[RTC_CPUS] = (uint8_t)(cfg->cpus - 1); /* SeaBIOS/QEMU: CPU count - 1 */
	rtc->last_ns = rtc->last_read_ns = rtc_clock_ns(&rtc->clock);
	cmos_store_time(rtc, floor_div(rtc->last_ns, NS_PER_SEC), rtc->cmos[RTC_REG_B]);
	return rtc;
}

void cmos_rtc_free(struct cmos_rtc *rtc)
{
	if (!rtc)
		return;
	rtc_timer_destroy(&rtc->timer);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}
