/* Test doubles shared by the device unit tests. */
#include "tests/unit/fakes.h"

#include <string.h>

void fake_irq_set_level(void *opaque, unsigned irq, int level)
{
	struct fake_irq *f = opaque;
	if (level && !f->level)
		f->rises++;
	f->level = level;
}

void fake_console_capture(void *opaque, const void *buf, size_t len)
{
	struct fake_console *c = opaque;
	if (c->len + len < sizeof(c->out)) {
		memcpy(c->out + c->len, buf, len);
		c->len += len;
	}
}
