/*
 * Stage-1 translation (ARM ARM D8): identity and aliased 4K pages, TTBR1 high addresses, and the
 * three faults Linux depends on, each with its DFSC/IFSC level, WnR and FAR: translation,
 * permission (write to a read-only page) and access flag (AF = 0, fixed up and retried).
 */
#include "rt.h"

#define TEST_2M   0x44000000ull  /* the 2 MiB block split into pages */
#define PG(n)     (TEST_2M + (n) * 4096ull)

static volatile uint64_t last_esr, last_far;
static volatile int taken; /* changed by the handler behind the compiler's back */

static bool on_sync(struct rt_frame *f, uint64_t esr, uint64_t far)
{
	last_esr = esr;
	last_far = far;
	taken++;
	if (ESR_EC(esr) == EC_DABT_CUR && (esr & 0x3c) == 0x08) {
		/* access flag fault: set AF and retry, as Linux does for old pages */
		*mmu_l3_entry(far) |= PTE_AF;
		mmu_flush_va(far);
		return true;
	}
	if (ESR_EC(esr) == EC_IABT_CUR) {
		f->elr = f->x[30]; /* the test branched there with BLR: return to the caller */
		return true;
	}
	f->elr += 4;
	return true;
}

static volatile uint64_t data_word = 0x1122334455667788ull;

int main(void)
{
	/* Fill the test pages through physical addresses before the MMU is on. */
	*(volatile uint64_t *)PG(0) = 0xa0;
	*(volatile uint64_t *)PG(2) = 0xa2;
	*(volatile uint64_t *)PG(3) = 0xa3;
	*(volatile uint32_t *)PG(5) = 0xd65f03c0; /* RET, for the execute test */

	mmu_enable(TEST_2M);
	rt_sync_hook = on_sync;
	CHECK_EQ(read_sysreg(sctlr_el1) & 1, 1, "SCTLR_EL1.M set");
	CHECK_EQ(data_word, 0x1122334455667788ull, "identity-mapped RAM reads back");
	CHECK_EQ(*(volatile uint64_t *)PG(0), 0xa0, "4K page maps its own frame");
	CHECK_EQ(*(volatile uint64_t *)mmu_high_alias((uint64_t)&data_word), 0x1122334455667788ull,
		 "TTBR1 high VA reaches the same RAM");

	/* page 4 -> frame of page 0 */
	*mmu_l3_entry(PG(4)) = PG(0) | PTE_VALID | PTE_TABLE | PTE_NORMAL;
	mmu_flush_va(PG(4));
	*(volatile uint64_t *)(PG(4) + 8) = 0xbeef;
	CHECK_EQ(*(volatile uint64_t *)(PG(0) + 8), 0xbeef, "aliased page writes the other frame");

	/* translation fault at level 3 */
	*mmu_l3_entry(PG(1)) = 0;
	mmu_flush_va(PG(1));
	taken = 0;
	(void)*(volatile uint64_t *)(PG(1) + 0x10);
	CHECK_EQ(taken, 1, "invalid page: one fault");
	CHECK_EQ(ESR_EC(last_esr), EC_DABT_CUR, "invalid page: data abort");
	CHECK_EQ(last_esr & 0x7f, 0x07, "invalid page: DFSC translation level 3, read");
	CHECK_EQ(last_far, PG(1) + 0x10, "invalid page: FAR");

	/* permission fault: read-only page */
	*mmu_l3_entry(PG(2)) |= PTE_AP_RO;
	mmu_flush_va(PG(2));
	taken = 0;
	CHECK_EQ(*(volatile uint64_t *)PG(2), 0xa2, "read-only page still reads");
	CHECK_EQ(taken, 0, "reading a read-only page does not fault");
	*(volatile uint64_t *)(PG(2) + 0x18) = 5;
	CHECK_EQ(taken, 1, "write to read-only page: one fault");
	CHECK_EQ(last_esr & 0x7f, 0x4f, "read-only page: DFSC permission level 3, WnR");
	CHECK_EQ(last_far, PG(2) + 0x18, "read-only page: FAR");
	CHECK_EQ(*(volatile uint64_t *)(PG(2) + 0x18), 0, "the faulting store wrote nothing");

	/* access flag fault, fixed up by the handler and retried */
	*mmu_l3_entry(PG(3)) &= ~PTE_AF;
	mmu_flush_va(PG(3));
	taken = 0;
	uint64_t v = *(volatile uint64_t *)PG(3);
	CHECK_EQ(taken, 1, "AF=0 page: one fault");
	CHECK_EQ(last_esr & 0x7f, 0x0b, "AF=0 page: DFSC access flag level 3");
	CHECK_EQ(v, 0xa3, "AF=0 page: the retried load reads the page");

	/* instruction fetch from an invalid page */
	*mmu_l3_entry(PG(6)) = 0;
	mmu_flush_va(PG(6));
	taken = 0;
	((void (*)(void))PG(5))();
	CHECK_EQ(taken, 0, "code in a mapped page runs");
	((void (*)(void))PG(6))();
	CHECK_EQ(taken, 1, "fetch from an invalid page: one fault");
	CHECK_EQ(ESR_EC(last_esr), EC_IABT_CUR, "fetch: instruction abort");
	CHECK_EQ(last_esr & 0x3f, 0x07, "fetch: IFSC translation level 3");
	CHECK_EQ(last_far, PG(6), "fetch: FAR");
	return 0;
}
