/* PIO/MMIO dispatch: a sorted, immutable-after-setup table searched by bisection. */
#include "vmm/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

/*
 * Writers append under the lock: addr[nr] first, then nr with release. So a reader that loads nr
 * with acquire may scan addr[0..nr) without the lock: a guest hammering one unmapped address
 * takes no lock once that address is logged.
 */
struct bus_log {
	pthread_mutex_t lock;
	uint64_t addr[BUS_LOGGED_MAX];
	unsigned nr; /* BUS_LOGGED_MAX + 1 once the "no longer logging" line is out */
};

void bus_init(struct bus *b, const char *name, uint8_t unmapped_fill)
{
	memset(b, 0, sizeof(*b));
	b->log = calloc(1, sizeof(*b->log)); /* NULL only means no log lines */
	if (b->log)
		pthread_mutex_init(&b->log->lock, NULL);
	b->name = name;
	b->unmapped_fill = unmapped_fill;
}

void bus_free(struct bus *b)
{
	if (b->log)
		pthread_mutex_destroy(&b->log->lock);
	free(b->log);
	b->log = NULL;
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

/* Already logged, or logging over? */
static bool bus_log_seen(struct bus_log *l, uint64_t addr)
{
	unsigned n = __atomic_load_n(&l->nr, __ATOMIC_ACQUIRE);
	if (n > BUS_LOGGED_MAX)
		return true;
	for (unsigned i = 0; i < n && i < BUS_LOGGED_MAX; i++)
		if (__atomic_load_n(&l->addr[i], __ATOMIC_RELAXED) == addr)
			return true;
	return false;
}

/* Log an access to an unmapped address the first time that address is seen. */
static void bus_log_unmapped(const struct bus *b, const char *what, uint64_t addr, unsigned len)
{
	struct bus_log *l = b->log;
	bool first;
	unsigned n;

	if (!l || bus_log_seen(l, addr))
		return;
	pthread_mutex_lock(&l->lock);
	first = !bus_log_seen(l, addr); /* another vCPU may have logged it meanwhile */
	n = l->nr;
	if (first) {
		if (n < BUS_LOGGED_MAX)
			__atomic_store_n(&l->addr[n], addr, __ATOMIC_RELAXED);
		__atomic_store_n(&l->nr, n + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&l->lock);
	if (!first)
		return;
	if (n == BUS_LOGGED_MAX)
		log_warn("%s: more unmapped addresses accessed; no longer logging them", b->name);
	else
		log_warn("%s: %s of %u bytes at unmapped address 0x%llx (reads return 0x%02x, writes are ignored)",
			 b->name, what, len, (unsigned long long)addr, b->unmapped_fill);
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
		bus_log_unmapped(b, "read", addr, len);
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
		bus_log_unmapped(b, "write", addr, len);
	return r != NULL;
}
