/*
 * Real-time clocks: the MC146818 CMOS RTC (x86, ports 0x70/0x71) and the ARM PL031 (arm64 virt board),
 * both reading one guest wall clock (struct rtc_clock): guest time = host CLOCK_REALTIME + an offset
 * chosen by --rtc base=utc|localtime|YYYY-MM-DDTHH:MM:SS. Guest writes to the time move that offset,
 * never the host clock.
 */
#ifndef MINIVMM_RTC_H
#define MINIVMM_RTC_H

#include <stdint.h>

#include "vmm/bus.h"

struct vm_config;

/* ---- the guest wall clock (devices/rtc_clock.c); the owning device serialises access ---- */
struct rtc_clock {
	int64_t offset_ns; /* guest ns since the epoch = host realtime ns + offset_ns */
};

void rtc_clock_init(struct rtc_clock *c, const struct vm_config *cfg);
int64_t rtc_clock_ns(const struct rtc_clock *c);
void rtc_clock_set_ns(struct rtc_clock *c, int64_t guest_ns);
/* Move the clock to whole second sec, keeping its position inside the current second. */
void rtc_clock_set_seconds(struct rtc_clock *c, int64_t sec);

/*
 * A one-shot device timer on the main event loop (a timerfd watched through vmm/event.h); armed from
 * any thread, fn runs on the main thread. Destroyable, unlike event_timer, so devices can be freed.
 */
struct rtc_timer {
	int fd;
	void (*fn)(void *opaque);
	void *opaque;
};
int rtc_timer_init(struct rtc_timer *t, void (*fn)(void *opaque), void *opaque); /* 0 or -errno */
void rtc_timer_arm(struct rtc_timer *t, int64_t ns); /* fire once after ns (>= 1); <= 0 disarms */
void rtc_timer_destroy(struct rtc_timer *t);

/* Host realtime in ns since the epoch; tests replace the source (NULL restores CLOCK_REALTIME). */
int64_t rtc_host_ns(void);
void rtc_clock_set_host_source(int64_t (*fn)(void));

/* ---- MC146818 (devices/cmos_rtc.c) ---- */
struct cmos_rtc;
struct cmos_rtc *cmos_rtc_new(struct irq_line irq, const struct vm_config *cfg);
void cmos_rtc_free(struct cmos_rtc *rtc);
/* CMOS 0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5b-0x5d laid out as SeaBIOS/QEMU expect. */
void cmos_rtc_set_mem_size(struct cmos_rtc *rtc, uint64_t ram_below_4g, uint64_t ram_above_4g);
/* Bring flags and the IRQ up to the guest clock's now (the device timer does this; tests call it). */
void cmos_rtc_poll(struct cmos_rtc *rtc);
/* Port 0x70 bit 7: NMI masked (the board may consult it). */
int cmos_rtc_nmi_masked(struct cmos_rtc *rtc);
extern const struct bus_ops cmos_rtc_ops; /* 2 ports: 0x70 index (bit 7 NMI mask), 0x71 data */

/* ---- ARM PL031 (devices/pl031.c) ---- */
struct pl031;
struct pl031 *pl031_new(struct irq_line irq, const struct vm_config *cfg);
void pl031_free(struct pl031 *rtc);
void pl031_poll(struct pl031 *rtc); /* as cmos_rtc_poll */
extern const struct bus_ops pl031_ops; /* 0x1000 MMIO window */

#endif
