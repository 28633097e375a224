/*
 * The guest wall clock shared by the CMOS RTC and the PL031. It runs at host CLOCK_REALTIME speed
 * (as QEMU's default rtc clock=host), shifted by an offset: 0 for base=utc, the host's UTC offset
 * for base=localtime (the RTC then holds local time, as Windows and DOS expect), and "fixed time
 * minus now" for base=YYYY-MM-DDTHH:MM:SS.
 */
#include "devices/rtc.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vmm/event.h"
#include "vmm/machine.h"

#define NS_PER_SEC 1000000000LL

static int64_t (*host_source)(void);

int64_t rtc_host_ns(void)
{
	if (host_source)
		return host_source();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

void rtc_clock_set_host_source(int64_t (*fn)(void))
{
	host_source = fn;
}

void rtc_clock_init(struct rtc_clock *c, const struct vm_config *cfg)
{
	int64_t now = rtc_host_ns();

	c->offset_ns = 0;
	if (!cfg)
		return;
	switch (cfg->rtc_base) {
	case RTC_BASE_UTC:
		break;
	case RTC_BASE_LOCALTIME: {
		time_t t = (time_t)(now / NS_PER_SEC);
		struct tm tm;
		if (localtime_r(&t, &tm))
			c->offset_ns = (int64_t)tm.tm_gmtoff * NS_PER_SEC;
		break;
	}
	case RTC_BASE_FIXED:
		c->offset_ns = (int64_t)cfg->rtc_fixed * NS_PER_SEC - now;
		break;
	}
}

int64_t rtc_clock_ns(const struct rtc_clock *c)
{
	return rtc_host_ns() + c->offset_ns;
}

void rtc_clock_set_ns(struct rtc_clock *c, int64_t guest_ns)
{
	c->offset_ns = guest_ns - rtc_host_ns();
}

void rtc_clock_set_seconds(struct rtc_clock *c, int64_t sec)
{
	int64_t now = rtc_clock_ns(c);
	int64_t phase = now % NS_PER_SEC;

	if (phase < 0)
		phase += NS_PER_SEC;
	rtc_clock_set_ns(c, sec * NS_PER_SEC + phase);
}

static void rtc_timer_fired(void *opaque, uint32_t events)
{
	struct rtc_timer *t = opaque;
	uint64_t ticks;

	if (read(t->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		t->fn(t->opaque);
}

int rtc_timer_init(struct rtc_timer *t, void (*fn)(void *opaque), void *opaque)
{
	t->fn = fn;
	t->opaque = opaque;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0)
		return -errno;
	int ret = event_add_fd(t->fd, EPOLLIN, rtc_timer_fired, t);
	if (ret < 0) {
		close(t->fd);
		t->fd = -1;
	}
	return ret;
}

void rtc_timer_arm(struct rtc_timer *t, int64_t ns)
{
	struct itimerspec its = { 0 };

	if (t->fd < 0)
		return;
	if (ns > 0) {
		its.it_value.tv_sec = (time_t)(ns / NS_PER_SEC);
		its.it_value.tv_nsec = (long)(ns % NS_PER_SEC);
	}
	timerfd_settime(t->fd, 0, &its, NULL);
}

void rtc_timer_destroy(struct rtc_timer *t)
{
	if (t->fd < 0)
		return;
	event_del_fd(t->fd);
	close(t->fd);
	t->fd = -1;
}
