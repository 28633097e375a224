/* gmem_ptr: the one bounds check every guest-memory access goes through. */
#include <errno.h>

#include "tests/unit/unit.h"
#include "vmm/mem.h"

UNIT_SUITE(guest_mem);

UNIT_TEST(guest_mem, ptr_checks_the_whole_range)
{
	struct guest_mem m = { 0 };
	CU_ASSERT_EQUAL(gmem_add(&m, 0, 1 << 20), 0);
	CU_ASSERT_EQUAL(gmem_add(&m, 1ull << 32, 1 << 20), 0);
	CU_ASSERT_PTR_NOT_NULL(gmem_ptr(&m, 0, 1 << 20));
	CU_ASSERT_PTR_NULL(gmem_ptr(&m, 1, 1 << 20));           /* one byte past the end */
	CU_ASSERT_PTR_NULL(gmem_ptr(&m, (1 << 20) - 4, 8));      /* straddles the end */
	CU_ASSERT_PTR_NULL(gmem_ptr(&m, (1 << 20) - 4, UINT64_MAX)); /* overflow */
	CU_ASSERT_PTR_NULL(gmem_ptr(&m, UINT64_MAX, 2));
	CU_ASSERT_PTR_NULL(gmem_ptr(&m, (1ull << 32) - 1, 2));   /* starts in the hole */
	CU_ASSERT_PTR_EQUAL(gmem_ptr(&m, (1ull << 32) + 16, 16), m.r[1].host + 16);
	CU_ASSERT_EQUAL(gmem_total(&m), 2 << 20);
	CU_ASSERT_EQUAL(gmem_end(&m), (1ull << 32) + (1 << 20));
	gmem_free(&m);
}

UNIT_TEST(guest_mem, add_rejects_overlap_and_empty)
{
	struct guest_mem m = { 0 };
	CU_ASSERT_EQUAL(gmem_add(&m, 0x40000000, 1 << 20), 0);
	CU_ASSERT_EQUAL(gmem_add(&m, 0x40000000 + (1 << 19), 1 << 20), -EBUSY);
	CU_ASSERT_EQUAL(gmem_add(&m, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(gmem_add(&m, UINT64_MAX - 10, 4096), -EINVAL);
	gmem_free(&m);
}

UNIT_TEST(guest_mem, read_write_copy_only_inside_ram)
{
	struct guest_mem m = { 0 };
	CU_ASSERT_EQUAL(gmem_add(&m, 0x1000, 0x1000), 0);
	uint32_t v = 0xdeadbeef, r = 0;
	CU_ASSERT_TRUE(gmem_write(&m, 0x1ffc, &v, 4));
	CU_ASSERT_TRUE(gmem_read(&m, 0x1ffc, &r, 4));
	CU_ASSERT_EQUAL(r, 0xdeadbeef);
	r = 7;
	CU_ASSERT_FALSE(gmem_read(&m, 0x1ffe, &r, 4));
	CU_ASSERT_EQUAL(r, 7); /* nothing copied on failure */
	CU_ASSERT_FALSE(gmem_write(&m, 0xfff, &v, 4));
	gmem_free(&m);
}
