/*
 * The main thread's event loop (epoll). Device backends register file descriptors here (console
 * input, tap/slirp, timerfds for device timers); callbacks run on the main thread.
 */
#ifndef MINIVMM_EVENT_H
#define MINIVMM_EVENT_H

#include <stdint.h>

typedef void (*event_fn)(void *opaque, uint32_t epoll_events);

int event_init(void);
/* Watch fd for events (EPOLLIN ...); 0 or -errno. */
int event_add_fd(int fd, uint32_t events, event_fn fn, void *opaque);
int event_del_fd(int fd);
/* Run one round: wait up to timeout_ms (-1 forever) and dispatch. */
int event_poll(int timeout_ms);

/* Periodic or one-shot timers built on timerfd; the callback runs on the main loop. */
struct event_timer;
struct event_timer *event_timer_new(event_fn fn, void *opaque);
/* Arm to fire after ns (and every period_ns if non-zero); ns == 0 disarms. */
void event_timer_arm(struct event_timer *t, uint64_t ns, uint64_t period_ns);
void event_timer_free(struct event_timer *t);

#endif
