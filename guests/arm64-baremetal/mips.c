/*
 * A compute-bound guest for bench/arm64-mips.sh: a fixed loop of integer instructions, timed with
 * the virtual counter (which follows host time), reported as guest MIPS.
 */
#include "rt.h"

#define ITERATIONS 25000000ull
#define INSNS_PER_ITERATION 8ull

int main(void)
{
	uint64_t a = 1, b = 0x9e3779b97f4a7c15ull, n = ITERATIONS;
	uint64_t freq = read_sysreg(cntfrq_el0), t0 = read_sysreg(cntvct_el0);
	__asm__ volatile(
		"1:\n\t"
		"add	%0, %0, %1\n\t"
		"eor	%1, %1, %0, lsl #3\n\t"
		"ror	%0, %0, #7\n\t"
		"mul	%1, %1, %0\n\t"
		"orr	%0, %0, #1\n\t"
		"sub	%1, %1, %0, lsr #2\n\t"
		"subs	%2, %2, #1\n\t"
		"b.ne	1b"
		: "+r"(a), "+r"(b), "+r"(n));
	uint64_t ticks = read_sysreg(cntvct_el0) - t0;
	uint64_t insns = ITERATIONS * INSNS_PER_ITERATION;
	rt_printf("mips: checksum %lx\n", (unsigned long)(a ^ b));
	if (ticks)
		rt_printf("mips: %lu instructions in %lu us: %lu MIPS\n", (unsigned long)insns,
			  (unsigned long)(ticks * 1000000 / freq), (unsigned long)(insns * freq / ticks / 1000000));
	return 0;
}
