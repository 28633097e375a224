/* PIO/MMIO dispatch: a sorted, immutable-after-setup table searched by bisection. */
#include "vmm/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

void bus_init(struct bus *b, const char *name, uint8_t unmapped_fill)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->unmapped_fill = unmapped_fill;
}

void bus_free(struct bus *b)
{
	free(b->ranges);
	b->ranges = NULL;
	b->nr = b->cap = 0;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops, void *opaque)
{
	if (!ops || len == 0 || base + (len - 1) < base)
		return -EINVAL;
	uint64_t last = base + (len - 1);
	unsigned pos = 0;
	while (pos < b->nr && b->ranges[pos].base < base)
		pos++;
	/* Overlap with the neighbours on either side of the insertion point. */
	if (pos > 0) {
		const struct bus_range *p = &b->ranges[pos - 1];
		if (p->base + (p->len - 1) >= base)
			return -EBUSY;
	}
	if (pos < b->nr && b->ranges[pos].base <= last)
		return -EBUSY;
	if (b->nr == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *r = realloc(b->ranges, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		b->ranges = r;
		b->cap = cap;
	}
	memmove(&b->ranges[pos + 1], &b->ranges[pos], (b->nr - pos) * sizeof(*b->ranges));
	b->ranges[pos] = (struct bus_range){ .base = base, .len = len, .ops = ops, .opaque = opaque };
	b->nr++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *b, uint64_t addr)
{
	unsigned lo = 0, hi = b->nr;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &b->ranges[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* The access must lie wholly inside one device; a straddling access is treated as unmapped. */
static const struct bus_range *bus_lookup(const struct bus *b, uint64_t addr, unsigned len)
{
	const struct bus_range *r = bus_find(b, addr);
	if (r && len <= r->len - (addr - r->base))
		return r;
	return NULL;
}

bool bus_read(const struct bus *b, uint64_t addr, void *data, unsigned len)
{
	const struct bus_range *r = bus_lookup(b, addr, len);
	if (r && r->ops->read) {
		r->ops->read(r->opaque, addr - r->base, data, len);
		return true;
	}
	memset(data, b->unmapped_fill, len);
	if (!r)
		log_guest("%s: read of %u bytes at unmapped address 0x%llx", b->name, len,
			  (unsigned long long)addr);
	return r != NULL;
}

bool bus_write(const struct bus *b, uint64_t addr, const void *data, unsigned len)
{
	const struct bus_range *r = bus_lookup(b, addr, len);
	if (r && r->ops->write) {
		r->ops->write(r->opaque, addr - r->base, data, len);
		return true;
	}
	if (!r)
		log_guest("%s: write of %u bytes at unmapped address 0x%llx", b->name, len,
			  (unsigned long long)addr);
	return r != NULL;
}
