/* Test doubles shared by the device unit tests: an interrupt controller and a console sink. */
#ifndef MINIVMM_TEST_FAKES_H
#define MINIVMM_TEST_FAKES_H

#include <stddef.h>

#include "vmm/bus.h"

/* Records the line level and counts rising edges. */
struct fake_irq {
	int level, rises;
};
void fake_irq_set_level(void *opaque, unsigned irq, int level);
#define FAKE_IRQ_CHIP(f) { .set_level = fake_irq_set_level, .opaque = (f) }

/* Collects guest console output (console_capture(fake_console_capture, &sink)). */
struct fake_console {
	char out[256];
	size_t len;
};
void fake_console_capture(void *opaque, const void *buf, size_t len);

#endif
