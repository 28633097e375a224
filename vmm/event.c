/* The main thread's epoll loop, and timers on timerfd. */
#include "vmm/event.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/util.h"

#define MAX_WATCHES 64

struct watch {
	int fd;
	event_fn fn;
	void *opaque;
};

static int epfd = -1;
static struct watch watches[MAX_WATCHES];

int event_init(void)
{
	if (epfd >= 0)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	for (int i = 0; i < MAX_WATCHES; i++)
		watches[i].fd = -1;
	return 0;
}

int event_add_fd(int fd, uint32_t events, event_fn fn, void *opaque)
{
	int slot = -1;
	if (epfd < 0 && event_init() < 0)
		return -EBADF;
	for (int i = 0; i < MAX_WATCHES; i++)
		if (watches[i].fd < 0) {
			slot = i;
			break;
		}
	if (slot < 0)
		return -ENOSPC;
	watches[slot] = (struct watch){ .fd = fd, .fn = fn, .opaque = opaque };
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)slot };
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;
		watches[slot].fd = -1;
		return e;
	}
	return 0;
}

int event_del_fd(int fd)
{
	for (int i = 0; i < MAX_WATCHES; i++)
		if (watches[i].fd == fd) {
			watches[i].fd = -1;
			return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
		}
	return -ENOENT;
}

int event_poll(int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(epfd, evs, 16, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct watch *w = &watches[evs[i].data.u32];
		if (w->fd >= 0)
			w->fn(w->opaque, evs[i].events);
	}
	return n;
}

struct event_timer {
	int fd;
	event_fn fn;
	void *opaque;
};

static void timer_fired(void *opaque, uint32_t events)
{
	struct event_timer *t = opaque;
	uint64_t ticks;
	if (read(t->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		t->fn(t->opaque, events);
}

struct event_timer *event_timer_new(event_fn fn, void *opaque)
{
	struct event_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	t->fn = fn;
	t->opaque = opaque;
	if (t->fd < 0 || event_add_fd(t->fd, EPOLLIN, timer_fired, t) < 0) {
		if (t->fd >= 0)
			close(t->fd);
		free(t);
		return NULL;
	}
	return t;
}

void event_timer_arm(struct event_timer *t, uint64_t ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u) },
		.it_interval = { .tv_sec = (time_t)(period_ns / 1000000000u),
				 .tv_nsec = (long)(period_ns % 1000000000u) },
	};
	if (t)
		timerfd_settime(t->fd, 0, &its, NULL);
}

void event_timer_free(struct event_timer *t)
{
	if (!t)
		return;
	event_del_fd(t->fd);
	close(t->fd);
	free(t);
}
