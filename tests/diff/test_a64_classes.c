/*
 * Generated differential tests: random encodings within each implemented A64 class, from random
 * register states (biased to edge values), against unicorn. Fixed seeds: failures reproduce.
 */
#include "tests/diff/test_a64_harness.h"
#include "tests/unit/unit.h"

#define N 3000

UNIT_SUITE(a64_diff_classes);

static void gen_aligned_branch(struct diff_state *s)
{
	diff_state_random(s);
	for (int i = 0; i < 31; i++)
		s->x[i] = 0x200000 + (diff_rand() & 0xffffc);
}

/* Exclusives and LDAR/STLR need aligned addresses (B2.5.2); unicorn does not check it. */
static void gen_aligned_memory(struct diff_state *s)
{
	diff_state_memory(s);
	for (int i = 0; i < 31; i++)
		s->x[i] = DIFF_DATA_PTR + (diff_rand() & 0x3ff0);
}

#define RT(i) ((i) & 31)
#define RN(i) (((i) >> 5) & 31)
#define RT2(i) (((i) >> 10) & 31)
#define RS(i) (((i) >> 16) & 31)

/* Load/store single register: writeback with Rn == Rt is CONSTRAINED UNPREDICTABLE (K1.2). */
static bool single_ok(uint32_t i)
{
	bool wb = !(i & (1u << 24)) && !(i & (1u << 21)) && (((i >> 10) & 3) == 1 || ((i >> 10) & 3) == 3);
	bool v = i & (1u << 26);
	return !(wb && !v && RN(i) == RT(i) && RN(i) != 31);
}

static bool pair_ok(uint32_t i)
{
	bool load = i & (1u << 22), v = i & (1u << 26);
	unsigned type = (i >> 23) & 3;
	bool wb = type == 1 || type == 3;
	if (load && RT(i) == RT2(i))
		return false;
	if (wb && !v && RN(i) != 31 && (RN(i) == RT(i) || RN(i) == RT2(i)))
		return false;
	return true;
}

static bool exclusive_ok(uint32_t i)
{
	bool load = i & (1u << 22), pair = i & (1u << 21), o2 = i & (1u << 23);
	if (o2)
		return true;
	if (load)
		return !(pair && RT(i) == RT2(i));
	/* STXR: Rs must differ from Rt, Rt2 and Rn */
	return RS(i) != RT(i) && (RS(i) != RN(i) || RN(i) == 31) && !(pair && RS(i) == RT2(i));
}

/* B/BL targets inside the mapped code window (+-1 MiB). */
static bool near_branch(uint32_t i)
{
	int32_t off = (int32_t)(i << 6) >> 6;
	return off > -0x3ff00 && off < 0x3ff00;
}

#define CLASS_F(test, value, mask, gen, filter) \
	UNIT_TEST(a64_diff_classes, test) \
	{ \
		CU_ASSERT_EQUAL(diff_class(#test, value, mask, N, gen, filter), 0); \
	}
#define CLASS(test, value, mask, gen) CLASS_F(test, value, mask, gen, NULL)

/* Data processing -- immediate (C4.1.2). */
CLASS(pc_relative_adr_adrp_match, 0x10000000, 0x1f000000, diff_state_random)
CLASS(add_sub_immediate_and_flags_match, 0x11000000, 0x1f800000, diff_state_random)
CLASS(logical_immediate_bitmasks_match, 0x12000000, 0x1f800000, diff_state_random)
CLASS(move_wide_match, 0x12800000, 0x1f800000, diff_state_random)
CLASS(bitfield_sbfm_bfm_ubfm_match, 0x13000000, 0x1f800000, diff_state_random)
CLASS(extract_extr_match, 0x13800000, 0x1f800000, diff_state_random)

/* Data processing -- register (C4.1.5). */
CLASS(logical_shifted_register_match, 0x0a000000, 0x1f000000, diff_state_random)
CLASS(add_sub_shifted_register_match, 0x0b000000, 0x1f200000, diff_state_random)
CLASS(add_sub_extended_register_match, 0x0b200000, 0x1f200000, diff_state_random)
CLASS(adc_sbc_with_flags_match, 0x1a000000, 0x1fe0fc00, diff_state_random)
CLASS(conditional_compare_match, 0x1a400000, 0x1fe00000, diff_state_random)
CLASS(conditional_select_match, 0x1a800000, 0x1fe00000, diff_state_random)
CLASS(two_source_div_shift_crc_match, 0x1ac00000, 0x5fe00000, diff_state_random)
CLASS(one_source_rbit_rev_clz_cls_match, 0x5ac00000, 0x5fe00000, diff_state_random)
CLASS(three_source_multiply_match, 0x1b000000, 0x1f000000, diff_state_random)

/* Branches (C4.1.3). */
CLASS_F(b_bl_immediate_match, 0x14000000, 0x7c000000, diff_state_random, near_branch)
CLASS(cbz_cbnz_match, 0x34000000, 0x7e000000, diff_state_random)
CLASS(tbz_tbnz_match, 0x36000000, 0x7e000000, diff_state_random)
CLASS(b_cond_match, 0x54000000, 0xff000010, diff_state_random)
CLASS(br_blr_ret_match, 0xd61f0000, 0xff9ffc1f, gen_aligned_branch)

/* Loads and stores (C4.1.4), general-purpose registers. */
CLASS(ldst_unsigned_offset_match, 0x39000000, 0x3f000000, diff_state_memory)
CLASS_F(ldst_unscaled_pre_post_unpriv_match, 0x38000000, 0x3f200000, diff_state_memory, single_ok)
CLASS(ldst_register_offset_match, 0x38200800, 0x3f200c00, diff_state_memory)
CLASS_F(ldst_pair_all_modes_match, 0x28000000, 0x3e000000, diff_state_memory, pair_ok)
CLASS(load_literal_match, 0x18000000, 0x3f000000, diff_state_memory)
CLASS_F(exclusive_and_acquire_release_match, 0x08000000, 0x3f000000, gen_aligned_memory,
	exclusive_ok)

/* SIMD&FP loads and stores. */
CLASS(fp_ldst_unsigned_offset_match, 0x3d000000, 0x3f000000, diff_state_memory)
CLASS(fp_ldst_unscaled_pre_post_match, 0x3c000000, 0x3f200000, diff_state_memory)
CLASS(fp_ldst_register_offset_match, 0x3c200800, 0x3f200c00, diff_state_memory)
CLASS_F(fp_ldst_pair_match, 0x2c000000, 0x3e000000, diff_state_memory, pair_ok)
CLASS(fp_load_literal_match, 0x1c000000, 0x3f000000, diff_state_memory)
CLASS(simd_ld_st_multiple_structures_match, 0x0c000000, 0xbfbf0000, diff_state_memory)
CLASS(simd_ld_st_multiple_post_index_match, 0x0c800000, 0xbfa00000, diff_state_memory)
CLASS(simd_ld_st_single_structure_match, 0x0d000000, 0xbf9f0000, diff_state_memory)
CLASS(simd_ld_st_single_post_index_match, 0x0d800000, 0xbf800000, diff_state_memory)
