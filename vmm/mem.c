/* Guest RAM regions and the one bounds-checked translation every guest-memory access uses. */
#include "vmm/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int gmem_add(struct guest_mem *m, uint64_t gpa, uint64_t size)
{
	if (m->nr >= GMEM_MAX_REGIONS || size == 0 || gpa + size < gpa)
		return -EINVAL;
	for (int i = 0; i < m->nr; i++)
		if (gpa < m->r[i].gpa + m->r[i].size && m->r[i].gpa < gpa + size)
			return -EBUSY;
	/* NORESERVE: a 4 GiB guest that touches 100 MiB costs 100 MiB. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	madvise(p, size, MADV_MERGEABLE);
	m->r[m->nr++] = (struct gmem_region){ .gpa = gpa, .size = size, .host = p };
	return 0;
}

void gmem_free(struct guest_mem *m)
{
	for (int i = 0; i < m->nr; i++)
		munmap(m->r[i].host, m->r[i].size);
	m->nr = 0;
}

void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];
		/* Written so that no sum can overflow: offset and len are each checked against size. */
		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

bool gmem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return false;
	memcpy(dst, p, len);
	return true;
}

bool gmem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return false;
	memcpy(p, src, len);
	return true;
}

uint64_t gmem_total(const struct guest_mem *m)
{
	uint64_t t = 0;
	for (int i = 0; i < m->nr; i++)
		t += m->r[i].size;
	return t;
}

uint64_t gmem_end(const struct guest_mem *m)
{
	uint64_t e = 0;
	for (int i = 0; i < m->nr; i++)
		if (m->r[i].gpa + m->r[i].size > e)
			e = m->r[i].gpa + m->r[i].size;
	return e;
}
