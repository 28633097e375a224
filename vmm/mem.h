/*
 * Guest physical memory: a few RAM regions backed by anonymous host mappings. Every access to guest
 * memory from a device, a loader or the interpreter goes through gmem_ptr(), which checks the whole
 * range [gpa, gpa+len) for overflow and containment in one region.
 */
#ifndef MINIVMM_MEM_H
#define MINIVMM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	struct gmem_region r[GMEM_MAX_REGIONS];
	int nr;
};

/* Add a region [gpa, gpa+size) and mmap its backing. Returns 0 or -errno. */
int gmem_add(struct guest_mem *m, uint64_t gpa, uint64_t size);
void gmem_free(struct guest_mem *m);

/* Host pointer for [gpa, gpa+len), or NULL unless the whole range lies in one RAM region. */
void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Copy helpers built on gmem_ptr(); return false (copying nothing) if the range is not RAM. */
bool gmem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len);
bool gmem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len);

/* Total RAM bytes and highest RAM address + 1. */
uint64_t gmem_total(const struct guest_mem *m);
uint64_t gmem_end(const struct guest_mem *m);

#endif
