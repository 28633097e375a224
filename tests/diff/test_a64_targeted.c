/*
 * Targeted differential tests: hand-picked instruction streams (exclusive pairs, flag edges,
 * division by zero, shifts by 0/63/64, SP versus XZR, writeback, a counted loop, DC ZVA) and an
 * exhaustive sweep of the logical-immediate bitmask encodings, each against unicorn.
 */
#include "tests/diff/test_a64_harness.h"
#include "tests/unit/unit.h"

UNIT_SUITE(a64_diff_targeted);

static void gen_pointers(struct diff_state *s)
{
	diff_state_random(s);
	for (int i = 0; i < 31; i++)
		s->x[i] = DIFF_DATA_PTR + (diff_rand() & 0x3ff0);
}

static void gen_pointers_x0_x4(struct diff_state *s)
{
	diff_state_random(s);
	s->x[0] = DIFF_DATA_PTR + (diff_rand() & 0x3ff0);
	s->x[4] = DIFF_DATA_PTR + 0x8000 + (diff_rand() & 0x3ff0);
}

/* Run insns (executing steps instructions) from reps states; returns mismatches. */
static unsigned seq(const uint32_t *insns, unsigned len, unsigned steps, unsigned reps,
		    void (*gen)(struct diff_state *s))
{
	unsigned bad = 0;
	struct diff_state s;
	diff_seed(0xabcdef ^ insns[0] ^ len);
	for (unsigned i = 0; i < reps; i++) {
		gen(&s);
		if (diff_run(insns, len, steps, &s) == DIFF_MISMATCH)
			bad++;
	}
	return bad;
}

#define SEQ(insns, steps, reps, gen) seq(insns, sizeof(insns) / 4, steps, reps, gen)

UNIT_TEST(a64_diff_targeted, ldxr_stxr_same_address_succeeds)
{
	static const uint32_t p[] = {
		0xc85f7c01u, /* ldxr x1, [x0] */
		0x91000421u, /* add x1, x1, #1 */
		0xc8027c01u, /* stxr w2, x1, [x0] */
	};
	CU_ASSERT_EQUAL(SEQ(p, 3, 200, gen_pointers_x0_x4), 0);
}

UNIT_TEST(a64_diff_targeted, stxr_other_address_or_after_clrex_fails)
{
	static const uint32_t p[] = {
		0xc85f7c01u, /* ldxr x1, [x0] */
		0xc8027c81u, /* stxr w2, x1, [x4] */
	};
	static const uint32_t q[] = {
		0x885f7c01u, /* ldxr w1, [x0] */
		0xd5033f5fu, /* clrex */
		0x88027c01u, /* stxr w2, w1, [x0] */
	};
	CU_ASSERT_EQUAL(SEQ(p, 2, 200, gen_pointers_x0_x4), 0);
	CU_ASSERT_EQUAL(SEQ(q, 3, 200, gen_pointers_x0_x4), 0);
}

UNIT_TEST(a64_diff_targeted, ldaxp_stlxp_pair_round_trip)
{
	static const uint32_t p[] = {
		0xc87f8c01u, /* ldaxp x1, x3, [x0] */
		0xc8258403u, /* stlxp w5, x3, x1, [x0] */
	};
	CU_ASSERT_EQUAL(SEQ(p, 2, 200, gen_pointers_x0_x4), 0);
}

UNIT_TEST(a64_diff_targeted, flags_on_overflow_and_carry_edges)
{
	static const uint32_t ops[] = {
		0xab020020u, /* adds x0, x1, x2 */
		0x2b020020u, /* adds w0, w1, w2 */
		0xeb020020u, /* subs x0, x1, x2 */
		0x6b020020u, /* subs w0, w1, w2 */
		0xba020020u, /* adcs x0, x1, x2 */
		0x7a020020u, /* sbcs w0, w1, w2 */
	};
	for (unsigned i = 0; i < sizeof(ops) / 4; i++)
		CU_ASSERT_EQUAL(seq(&ops[i], 1, 1, 1000, diff_state_random), 0);
}

UNIT_TEST(a64_diff_targeted, division_by_zero_and_int_min_by_minus_one)
{
	static const uint32_t ops[] = {
		0x9ac20820u, /* udiv x0, x1, x2 */
		0x9ac20c20u, /* sdiv x0, x1, x2 */
		0x1ac20c20u, /* sdiv w0, w1, w2 */
		0x1ac20820u, /* udiv w0, w1, w2 */
	};
	for (unsigned i = 0; i < sizeof(ops) / 4; i++)
		CU_ASSERT_EQUAL(seq(&ops[i], 1, 1, 1000, diff_state_random), 0);
}

UNIT_TEST(a64_diff_targeted, variable_shifts_by_0_63_64_wrap)
{
	static const uint32_t ops[] = {
		0x9ac22020u, /* lsl x0, x1, x2 */
		0x1ac22820u, /* asr w0, w1, w2 */
		0x9ac22c20u, /* ror x0, x1, x2 */
		0x9ac22420u, /* lsr x0, x1, x2 */
	};
	for (unsigned i = 0; i < sizeof(ops) / 4; i++)
		CU_ASSERT_EQUAL(seq(&ops[i], 1, 1, 1000, diff_state_random), 0);
}

UNIT_TEST(a64_diff_targeted, sp_versus_xzr_operands)
{
	static const uint32_t p[] = {
		0x9100003fu, /* mov sp, x1 */
		0x910023e0u, /* add x0, sp, #8 */
		0x910043ffu, /* add sp, sp, #16 */
		0xeb2263ffu, /* cmp sp, x2 */
		0xaa02003fu, /* orr xzr, x1, x2 */
		0x927c1c3fu, /* and sp, x1, #0xff0 */
		0x8b3f63e3u, /* add x3, sp, xzr */
	};
	CU_ASSERT_EQUAL(SEQ(p, 7, 500, diff_state_random), 0);
}

UNIT_TEST(a64_diff_targeted, pre_and_post_index_writeback)
{
	static const uint32_t p[] = {
		0xa9bf7bfdu, /* stp x29, x30, [sp, #-16]! */
		0xf81f8fe1u, /* str x1, [sp, #-8]! */
		0xf84087e3u, /* ldr x3, [sp], #8 */
		0xa8c17bfdu, /* ldp x29, x30, [sp], #16 */
		0x38401c05u, /* ldrb w5, [x0, #1]! */
		0x78802486u, /* ldrsh x6, [x4], #2 */
	};
	CU_ASSERT_EQUAL(SEQ(p, 6, 300, gen_pointers_x0_x4), 0);
}

UNIT_TEST(a64_diff_targeted, counted_loop_runs_to_completion)
{
	static const uint32_t p[] = {
		0xd2800c80u, /* mov x0, #100 */
		0xf1000400u, /* subs x0, x0, #1 */
		0x54ffffe1u, /* b.ne .-4 */
		0x8b000021u, /* add x1, x1, x0 */
	};
	CU_ASSERT_EQUAL(SEQ(p, 202, 20, diff_state_random), 0);
}

UNIT_TEST(a64_diff_targeted, dc_zva_zeroes_the_aligned_64_byte_block)
{
	static const uint32_t p[] = {
		0xd50b7420u, /* dc zva, x0 */
	};
	CU_ASSERT_EQUAL(SEQ(p, 1, 100, gen_pointers), 0);
}

UNIT_TEST(a64_diff_targeted, msr_mrs_nzcv_and_tpidr_el0)
{
	static const uint32_t p[] = {
		0xd51b4201u, /* msr nzcv, x1 */
		0xd53b4200u, /* mrs x0, nzcv */
		0xd51bd041u, /* msr tpidr_el0, x1 */
		0xd53bd043u, /* mrs x3, tpidr_el0 */
	};
	CU_ASSERT_EQUAL(SEQ(p, 4, 200, diff_state_random), 0);
}

UNIT_TEST(a64_diff_targeted, every_logical_immediate_encoding)
{
	unsigned bad = 0;
	struct diff_state s;
	diff_seed(77);
	for (unsigned sf = 0; sf < 2; sf++)
		for (unsigned n = 0; n < 2; n++)
			for (unsigned immr = 0; immr < 64; immr++)
				for (unsigned imms = 0; imms < 64; imms++) {
					/* and Xd/Wd, x1, #imm ; ands w/x4, x1, #imm */
					uint32_t p[2] = {
						0x12000020u | sf << 31 | n << 22 | immr << 16 | imms << 10,
						0x72000024u | sf << 31 | n << 22 | immr << 16 | imms << 10,
					};
					diff_state_random(&s);
					s.x[1] = ~0ULL ^ (diff_rand() & 0xff);
					if (diff_run(p, 2, 2, &s) == DIFF_MISMATCH)
						bad++;
				}
	CU_ASSERT_EQUAL(bad, 0);
}
