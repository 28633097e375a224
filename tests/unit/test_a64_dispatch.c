/*
 * The flat dispatch table (arch/arm64/dispatch.c) against the full decoder: every specialised
 * handler, fed random encodings of its bits 31:21 slot and random register/flag state, must leave
 * the CPU exactly as a64_exec_one() does (registers, SP, NZCV, next PC, exception state). The full
 * decoder is itself checked against unicorn by build/test-diff.
 */
#include <stdlib.h>

#include "arch/arm64/cpu.h"
#include "tests/unit/unit.h"
#include "vmm/util.h"

UNIT_SUITE(a64_dispatch);

#define RAM 0x40000000ULL
#define CODE (RAM + 0x1000)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible across runs */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Values that exercise carries, overflow, sign and 32-bit truncation. */
static uint64_t rnd_value(void)
{
	static const uint64_t edge[] = { 0, 1, ~0ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
					 0xffffffffULL, 0x80000000ULL, 0x7fffffffULL, 0x100000000ULL };
	uint64_t r = rnd();
	if ((r & 3) == 0)
		return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	if ((r & 3) == 1)
		return (r >> 8) & 0xfff; /* small, and 4-byte aligned a quarter of the time */
	return rnd();
}

static void set_state(struct a64_cpu *c, const uint64_t *x, uint64_t sp, uint32_t nzcv)
{
	memcpy(c->x, x, 31 * sizeof(x[0]));
	c->x[31] = 0;
	c->sp_el[0] = sp ^ 0x5555;
	c->sp_el[1] = sp;
	c->el = 1;
	c->spsel = 1;
	c->spidx = 1;
	c->nzcv = nzcv;
	c->daif = PSTATE_DAIF;
	c->vbar = RAM + 0x10000;
	c->esr = c->elr = c->spsr = c->far = 0;
	c->pc = CODE;
}

static bool same_state(const struct a64_cpu *a, const struct a64_cpu *b)
{
	return !memcmp(a->x, b->x, sizeof(a->x)) && a->sp_el[0] == b->sp_el[0] &&
	       a->sp_el[1] == b->sp_el[1] && a->nzcv == b->nzcv && a->esr == b->esr &&
	       a->elr == b->elr && a->spsr == b->spsr && a->far == b->far && a->el == b->el &&
	       a->spidx == b->spidx && a->daif == b->daif;
}

UNIT_TEST(a64_dispatch, specialised_handlers_match_the_full_decoder)
{
	struct guest_mem mem = { 0 };
	struct bus bus;
	CU_ASSERT_FATAL(gmem_add(&mem, RAM, 1ULL << 20) == 0);
	bus_init(&bus, "mmio", 0);
	struct a64_cpu *a = aligned_alloc(64, (sizeof(struct a64_cpu) + 63) & ~63UL);
	struct a64_cpu *b = aligned_alloc(64, (sizeof(struct a64_cpu) + 63) & ~63UL);
	CU_ASSERT_FATAL(a && b);
	a64_cpu_init(a, &mem, &bus);
	a64_cpu_init(b, &mem, &bus);

	unsigned slots = 0, runs = 0, mismatches = 0;
	for (uint32_t slot = 0; slot < 2048; slot++) {
		a64_handler h = a64_dispatch[slot];
		if (h == a64_exec_one || ((slot << 21) & 0x0a000000) == 0x08000000)
			continue; /* loads/stores need memory and fault unwinding: build/test-diff */
		slots++;
		for (int i = 0; i < 256; i++) {
			uint32_t insn = slot << 21 | (uint32_t)(rnd() & 0x1fffff);
			if (i < 8) /* BR/RET/BLR need their fixed fields to reach the fast path */
				insn = (insn & ~0x001ffc1fu) | 0x001f0000;
			uint64_t x[31], sp = rnd_value() & ~15ULL;
			for (int r = 0; r < 31; r++)
				x[r] = rnd_value();
			uint32_t nzcv = (uint32_t)(rnd() & 0xf) << 28;
			set_state(a, x, sp, nzcv);
			set_state(b, x, sp, nzcv);
			uint64_t pa = h(a, insn, CODE);
			uint64_t pb = a64_exec_one(b, insn, CODE);
			runs++;
			if (pa != pb || !same_state(a, b)) {
				if (mismatches++ < 5)
					fprintf(stderr, "dispatch mismatch: insn %08x: pc %llx vs %llx\n", insn,
						(unsigned long long)pa, (unsigned long long)pb);
			}
		}
	}
	CU_ASSERT(slots >= 200); /* the classes in dispatch.c cover a few hundred slots */
	CU_ASSERT_EQUAL(mismatches, 0);
	(void)runs;
	free(a);
	free(b);
	gmem_free(&mem);
	bus_free(&bus);
}
