/*
 * Stage-1 translation for the EL1&0 regime (ARM ARM D8): 4K granule, 25..48-bit VAs (T0SZ/T1SZ
 * 16..39), TTBR0/TTBR1 selected by VA bit 55, top-byte-ignore, block and page descriptors,
 * hierarchical table permissions, the access flag (no hardware update: FEAT_HAFDBS is not
 * advertised) and AP/UXN/PXN/WXN permission checks. AT S1E{0,1}{R,W} write PAR_EL1.
 */
#include "arch/arm64/cpu.h"
#include "vmm/util.h"

#define DESC_VALID (1ULL << 0)
#define DESC_TABLE (1ULL << 1)
#define DESC_AF (1ULL << 10)
#define DESC_PXN (1ULL << 53)
#define DESC_UXN (1ULL << 54)
#define DESC_OA_MASK 0x0000fffffffff000ULL
#define PA_BITS 40 /* ID_AA64MMFR0_EL1.PARange = 0b0010 */

#define FAULT(code, level) ((int)((code) | (level)) + 1)

int a64_translate(struct a64_cpu *cpu, uint64_t va, int acc, unsigned mmu, struct a64_walk *w)
{
	bool el0 = mmu == A64_MMU_EL0;

	if (!(cpu->sctlr & SCTLR_M)) {
		/* MMU off (D8.2.10): flat mapping; data is Device-nGnRnE, fetches Normal. */
		if (va >> PA_BITS)
			return FAULT(FSC_ADDR_SIZE, 0);
		*w = (struct a64_walk){ .pa = va, .attr = 0, .writable = true, .user = true };
		return 0;
	}

	uint64_t tcr = cpu->tcr;
	bool hi = (va >> 55) & 1;
	unsigned tsz = hi ? (tcr >> 16) & 63 : tcr & 63;
	bool epd = hi ? (tcr >> 23) & 1 : (tcr >> 7) & 1;
	bool tbi = hi ? (tcr >> 38) & 1 : (tcr >> 37) & 1;
	uint64_t ttbr = hi ? cpu->ttbr1 : cpu->ttbr0;

	if (tsz < 16)
		tsz = 16;
	if (tsz > 39)
		tsz = 39;
	unsigned inbits = 64 - tsz;
	int64_t v = tbi ? (int64_t)(va << 8) >> 8 : (int64_t)va;
	if ((v >> inbits) != (hi ? -1 : 0) || epd)
		return FAULT(FSC_TRANSLATION, 0);

	unsigned levels = (inbits - 12 + 8) / 9;
	unsigned level = 4 - levels;
	unsigned top_bits = inbits - (12 + 9 * (3 - level));
	/* The first table is aligned to its size (BADDR, D8.2.5); smaller than a page at 25..47 bits. */
	uint64_t table = ttbr & 0x0000fffffffffffeULL & ~((8ULL << top_bits) - 1);
	unsigned ap_table = 0;
	bool uxn_table = false, pxn_table = false;
	uint64_t desc;

	for (;; level++) {
		unsigned shift = 12 + 9 * (3 - level);
		unsigned bits = level == 4 - levels ? top_bits : 9;
		uint64_t idx = (va >> shift) & ((1ULL << bits) - 1);
		if (!gmem_read(cpu->mem, table + idx * 8, &desc, 8))
			return FAULT(0x14, level); /* synchronous external abort on the walk */
		if (!(desc & DESC_VALID))
			return FAULT(FSC_TRANSLATION, level);
		if (level < 3 && (desc & DESC_TABLE)) {
			ap_table |= (desc >> 61) & 3;
			uxn_table |= (desc >> 60) & 1;
			pxn_table |= (desc >> 59) & 1;
			table = desc & DESC_OA_MASK;
			if (table >> PA_BITS)
				return FAULT(FSC_ADDR_SIZE, level);
			continue;
		}
		if (level == 3 ? !(desc & DESC_TABLE) : level == 0)
			return FAULT(FSC_TRANSLATION, level); /* reserved; no level-0 blocks with 4K */
		uint64_t offmask = (1ULL << shift) - 1;
		uint64_t pa = (desc & DESC_OA_MASK & ~offmask) | (va & offmask);
		if (pa >> PA_BITS)
			return FAULT(FSC_ADDR_SIZE, level);
		if (!(desc & DESC_AF))
			return FAULT(FSC_ACCESS_FLAG, level);

		unsigned ap = (desc >> 6) & 3;
		bool user = (ap & 1) && !(ap_table & 1);
		bool ro = (ap & 2) || (ap_table & 2);
		bool uxn = (desc & DESC_UXN) || uxn_table;
		bool pxn = (desc & DESC_PXN) || pxn_table;
		if (el0 && !user)
			return FAULT(FSC_PERMISSION, level);
		if (acc == A64_ACC_WRITE && ro)
			return FAULT(FSC_PERMISSION, level);
		if (acc == A64_ACC_EXEC) {
			bool wxn = (cpu->sctlr & SCTLR_WXN) && !ro;
			/* Memory writable at EL0 is never executable at EL1 (D8.4.1.2). */
			if (el0 ? (uxn || wxn) : (pxn || wxn || (user && !ro)))
				return FAULT(FSC_PERMISSION, level);
		}
		unsigned attrindx = (desc >> 2) & 7;
		*w = (struct a64_walk){
			.pa = pa,
			.attr = (cpu->mair >> (8 * attrindx)) & 0xff,
			.writable = !ro,
			.user = user,
		};
		return 0;
	}
}

/* AT S1E1R/W, S1E0R/W (C5.5): the result goes to PAR_EL1, never an exception. */
void a64_at(struct a64_cpu *cpu, uint64_t va, int acc, unsigned mmu)
{
	struct a64_walk w;
	int fsc = a64_translate(cpu, va, acc, mmu, &w);
	if (fsc)
		cpu->par = 1 | ((uint64_t)(fsc - 1) << 1);
	else
		cpu->par = (w.pa & DESC_OA_MASK) | (w.attr << 56) | (3u << 7); /* inner shareable */
}
