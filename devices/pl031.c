/*
 * ARM PrimeCell RTC PL031 (ARM DDI 0224): DR (seconds counter), MR (match), LR (load), CR (start),
 * IMSC, RIS, MIS, ICR and the peripheral/PrimeCell IDs (0x00041031). The counter is the guest wall
 * clock's second (rtc_clock, truncated to 32 bits); a write to LR moves the clock's offset. The
 * match interrupt is raised when the counter reaches MR (checked lazily on every access for the
 * seconds since the previous one, and by a timer while the interrupt is unmasked); the IRQ output
 * is the level RIS & IMSC.
 */
#include "devices/rtc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

enum {
	PL031_DR = 0x00, PL031_MR = 0x04, PL031_LR = 0x08, PL031_CR = 0x0c, PL031_IMSC = 0x10,
	PL031_RIS = 0x14, PL031_MIS = 0x18, PL031_ICR = 0x1c, PL031_ID = 0xfe0,
};

#define INT_MATCH 1
#define NS_PER_SEC 1000000000LL

/* Peripheral ID 0-3 then PrimeCell ID 0-3, at 0xfe0..0xffc. */
static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl031 {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct rtc_clock clock;
	struct rtc_timer timer;
	uint32_t mr, imsc, ris;
	int64_t last_sec; /* matches are checked up to this guest second */
	bool irq_level;
};

static int64_t pl031_now_sec(const struct pl031 *rtc)
{
	int64_t ns = rtc_clock_ns(&rtc->clock);
	return ns >= 0 ? ns / NS_PER_SEC : -((-ns + NS_PER_SEC - 1) / NS_PER_SEC);
}

static void pl031_update_irq(struct pl031 *rtc)
{
	bool on = (rtc->ris & rtc->imsc) != 0;

	if (on != rtc->irq_level) {
		rtc->irq_level = on;
		irq_set(&rtc->irq, on);
	}
}

/* Did the 32-bit counter take the value MR in (last_sec, now]? */
static void pl031_advance(struct pl031 *rtc, int64_t now)
{
	if (now > rtc->last_sec) {
		uint32_t steps = (uint32_t)(rtc->mr - (uint32_t)rtc->last_sec); /* seconds until DR == MR */
		int64_t elapsed = now - rtc->last_sec;
		if ((steps != 0 && steps <= elapsed) || elapsed >= (int64_t)1 << 32)
			rtc->ris |= INT_MATCH;
	}
	rtc->last_sec = now;
	pl031_update_irq(rtc);
}

static void pl031_rearm(struct pl031 *rtc)
{
	int64_t ns = rtc_clock_ns(&rtc->clock);
	int64_t now = pl031_now_sec(rtc);
	uint32_t steps = (uint32_t)(rtc->mr - (uint32_t)now);

	if (!(rtc->imsc & INT_MATCH) || rtc->irq_level || steps == 0) {
		rtc_timer_arm(&rtc->timer, 0);
		return;
	}
	rtc_timer_arm(&rtc->timer, MAX((now + steps) * NS_PER_SEC - ns, 1));
}

static void pl031_timer_fired(void *opaque)
{
	struct pl031 *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	pl031_advance(rtc, pl031_now_sec(rtc));
	pl031_rearm(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

void pl031_poll(struct pl031 *rtc)
{
	pl031_timer_fired(rtc);
}

static uint32_t pl031_read_reg(struct pl031 *rtc, uint64_t reg)
{
	if (reg >= PL031_ID)
		return pl031_id[(reg - PL031_ID) / 4];
	switch (reg) {
	case PL031_DR:
		return (uint32_t)rtc->last_sec;
	case PL031_MR:
		return rtc->mr;
	case PL031_LR:
		return (uint32_t)rtc->last_sec; /* reads back the counter (as QEMU) */
	case PL031_CR:
		return 1; /* started at reset and cannot be stopped */
	case PL031_IMSC:
		return rtc->imsc;
	case PL031_RIS:
		return rtc->ris;
	case PL031_MIS:
		return rtc->ris & rtc->imsc;
	}
	log_guest("pl031: read of unknown register 0x%03llx", (unsigned long long)reg);
	return 0;
}

static void pl031_write_reg(struct pl031 *rtc, uint64_t reg, uint32_t val)
{
	switch (reg) {
	case PL031_MR:
		rtc->mr = val;
		if (val == (uint32_t)rtc->last_sec) /* a match set for now fires now (as QEMU) */
			rtc->ris |= INT_MATCH;
		return;
	case PL031_LR:
		rtc_clock_set_seconds(&rtc->clock, (int64_t)val);
		rtc->last_sec = pl031_now_sec(rtc);
		if (rtc->mr == (uint32_t)rtc->last_sec)
			rtc->ris |= INT_MATCH;
		return;
	case PL031_CR:
		return; /* writing 0 does not stop the PL031; 1 is the reset state */
	case PL031_IMSC:
		rtc->imsc = val & INT_MATCH;
		return;
	case PL031_ICR:
		rtc->ris &= ~(val & INT_MATCH);
		return;
	}
	log_guest("pl031: write of 0x%x to %s register 0x%03llx", val,
		  reg == PL031_DR || reg == PL031_RIS || reg == PL031_MIS || reg >= PL031_ID ? "read-only" : "unknown",
		  (unsigned long long)reg);
}

static bool pl031_access_ok(uint64_t offset, unsigned len, bool write)
{
	if (len != 1 && len != 2 && len != 4)
		return false;
	if ((offset & 3) + len > 4)
		return false;
	return !write || ((offset & 3) == 0 && len == 4);
}

static void pl031_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct pl031 *rtc = opaque;
	uint32_t v;

	if (!pl031_access_ok(offset, len, false)) {
		log_guest("pl031: bad %u-byte read at offset 0x%llx", len, (unsigned long long)offset);
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&rtc->lock);
	pl031_advance(rtc, pl031_now_sec(rtc));
	v = pl031_read_reg(rtc, offset & ~3ull) >> (8 * (offset & 3));
	pthread_mutex_unlock(&rtc->lock);
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)data)[i] = (uint8_t)(v >> (8 * i));
}

static void pl031_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct pl031 *rtc = opaque;
	uint32_t v;

	if (!pl031_access_ok(offset, len, true)) {
		log_guest("pl031: bad %u-byte write at offset 0x%llx", len, (unsigned long long)offset);
		return;
	}
	memcpy(&v, data, 4);
	pthread_mutex_lock(&rtc->lock);
	pl031_advance(rtc, pl031_now_sec(rtc));
	pl031_write_reg(rtc, offset, v);
	pl031_update_irq(rtc);
	pl031_rearm(rtc);
	pthread_mutex_unlock(&rtc->lock);
}

const struct bus_ops pl031_ops = {
	.name = "pl031",
	.read = pl031_read,
	.write = pl031_write,
};

struct pl031 *pl031_new(struct irq_line irq, const struct vm_config *cfg)
{
	struct pl031 *rtc = calloc(1, sizeof(*rtc));
	int ret;

	if (!rtc) {
		log_error("pl031: out of memory");
		return NULL;
	}
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->irq = irq;
	rtc_clock_init(&rtc->clock, cfg);
	ret = rtc_timer_init(&rtc->timer, pl031_timer_fired, rtc);
	if (ret < 0) {
		log_error("pl031: cannot create its timer (timerfd/epoll: %s); raise the open-file limit (ulimit -n)",
			  strerror(-ret));
		pthread_mutex_destroy(&rtc->lock);
		free(rtc);
		return NULL;
	}
	rtc->last_sec = pl031_now_sec(rtc);
	return rtc;
}

void pl031_free(struct pl031 *rtc)
{
	if (!rtc)
		return;
	rtc_timer_destroy(&rtc->timer);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}
