/*
 * Flat dispatch: a64_dispatch[] maps instruction bits 31:21 to a handler, so the fetch loop
 * makes one indirect call per instruction instead of walking the decoder's nested switches.
 * The commonest integer instructions (C4.1 classes below) get handlers specialised for their
 * operation and operand size; any case a handler does not cover (a field outside bits 31:21
 * that makes the encoding UNDEFINED or rarer, a misaligned branch target) goes to the full
 * decoder a64_exec_one(), which stays the reference. The table is built once at startup from
 * the pattern list in dispatch_classify(), the one place that maps encodings to handlers.
 */
#include "arch/arm64/cpu.h"
#include "arch/arm64/interp_ops.h"

a64_handler a64_dispatch[2048];

#define RD(i) ((i) & 31)
#define RN(i) (((i) >> 5) & 31)
#define RM(i) (((i) >> 16) & 31)
#define IMM6(i) (((i) >> 10) & 0x3f)

/* Instantiate handler NAME for 64- and 32-bit operation from NAME##_body(cpu, insn, pc, sf). */
#define SF_VARIANTS(name)                                                                          \
	static uint64_t name##_64(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)                 \
	{                                                                                          \
		return name##_body(cpu, insn, pc, true);                                           \
	}                                                                                          \
	static uint64_t name##_32(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)                 \
	{                                                                                          \
		return name##_body(cpu, insn, pc, false);                                          \
	}
#define BODY(name) \
	static inline __attribute__((always_inline)) uint64_t name##_body( \
		struct a64_cpu *cpu, uint32_t insn, uint64_t pc, bool sf)

/* --- add/subtract (immediate), C4.1.2: Rn (and Rd without flags) may be SP --- */

static inline uint64_t addsub_imm(uint32_t insn)
{
	return (uint64_t)((insn >> 10) & 0xfff) << ((insn >> 22) & 1 ? 12 : 0);
}

BODY(add_imm) { wsp(cpu, RD(insn), trunc_sf(rsp(cpu, RN(insn)) + addsub_imm(insn), sf)); return pc + 4; }
BODY(sub_imm) { wsp(cpu, RD(insn), trunc_sf(rsp(cpu, RN(insn)) - addsub_imm(insn), sf)); return pc + 4; }
BODY(adds_imm)
{
	wx(cpu, RD(insn), add_flags(rsp(cpu, RN(insn)), addsub_imm(insn), 0, sf, &cpu->nzcv));
	return pc + 4;
}
BODY(subs_imm)
{
	wx(cpu, RD(insn), add_flags(rsp(cpu, RN(insn)), ~addsub_imm(insn), 1, sf, &cpu->nzcv));
	return pc + 4;
}
SF_VARIANTS(add_imm)
SF_VARIANTS(sub_imm)
SF_VARIANTS(adds_imm)
SF_VARIANTS(subs_imm)

/* --- logical (immediate): Rd may be SP except for ANDS --- */

#define LOGIC_IMM(name, op)                                                        \
	BODY(name)                                                                 \
	{                                                                          \
		uint64_t imm;                                                      \
		if (unlikely(!a64_logical_imm(insn, sf, &imm)))                    \
			return a64_exec_one(cpu, insn, pc);                        \
		wsp(cpu, RD(insn), trunc_sf(cpu->x[RN(insn)] op imm, sf));         \
		return pc + 4;                                                     \
	}                                                                          \
	SF_VARIANTS(name)
LOGIC_IMM(and_imm, &)
LOGIC_IMM(orr_imm, |)
LOGIC_IMM(eor_imm, ^)

BODY(ands_imm)
{
	uint64_t imm;
	if (unlikely(!a64_logical_imm(insn, sf, &imm)))
		return a64_exec_one(cpu, insn, pc);
	uint64_t r = trunc_sf(cpu->x[RN(insn)] & imm, sf);
	cpu->nzcv = logic_flags(r, sf);
	wx(cpu, RD(insn), r);
	return pc + 4;
}
SF_VARIANTS(ands_imm)

/* --- move wide (immediate): hw is in bits 22:21, so only valid hw values reach these --- */

static inline uint64_t movw_imm(uint32_t insn)
{
	return (uint64_t)((insn >> 5) & 0xffff) << (((insn >> 21) & 3) * 16);
}

BODY(movn) { wx(cpu, RD(insn), trunc_sf(~movw_imm(insn), sf)); return pc + 4; }
BODY(movz) { wx(cpu, RD(insn), movw_imm(insn)); return pc + 4; }
BODY(movk)
{
	unsigned pos = ((insn >> 21) & 3) * 16;
	wx(cpu, RD(insn), trunc_sf((cpu->x[RD(insn)] & ~(0xffffULL << pos)) | movw_imm(insn), sf));
	return pc + 4;
}
SF_VARIANTS(movn)
SF_VARIANTS(movz)
SF_VARIANTS(movk)

/*
 * --- logical and add/subtract (shifted register), C4.1.5: one handler per shift type T
 * (LSL, LSR, ASR, ROR; bits 23:22) and, for logical ones, per N (bit 21: BIC, ORN, EON, BICS).
 * Register 31 is XZR here (x[31] reads 0). A 32-bit shift of 32 or more is UNDEFINED.
 */
#define SHIFT_OK(insn, sf) ((sf) || !(IMM6(insn) & 0x20))
#define OPND2(cpu, insn, sf, T, INV)                                                   \
	((INV) ? ~shift_reg((cpu)->x[RM(insn)], T, IMM6(insn), sf)                     \
	       : shift_reg((cpu)->x[RM(insn)], T, IMM6(insn), sf))

#define REG_OP(name, T, INV, expr)                                                 \
	BODY(name)                                                                 \
	{                                                                          \
		if (unlikely(!SHIFT_OK(insn, sf)))                                 \
			return a64_exec_one(cpu, insn, pc);                        \
		uint64_t a = cpu->x[RN(insn)], b = OPND2(cpu, insn, sf, T, INV);   \
		wx(cpu, RD(insn), trunc_sf(expr, sf));                             \
		return pc + 4;                                                     \
	}                                                                          \
	SF_VARIANTS(name)

#define REG_ANDS(name, T, INV)                                                     \
	BODY(name)                                                                 \
	{                                                                          \
		if (unlikely(!SHIFT_OK(insn, sf)))                                 \
			return a64_exec_one(cpu, insn, pc);                        \
		uint64_t r = trunc_sf(cpu->x[RN(insn)] & OPND2(cpu, insn, sf, T, INV), sf); \
		cpu->nzcv = logic_flags(r, sf);                                    \
		wx(cpu, RD(insn), r);                                              \
		return pc + 4;                                                     \
	}                                                                          \
	SF_VARIANTS(name)

/* ADDS, and SUBS as ADDS of the inverted operand with carry in 1 (AddWithCarry). */
#define REG_ADDS(name, T, INV)                                                     \
	BODY(name)                                                                 \
	{                                                                          \
		if (unlikely(!SHIFT_OK(insn, sf)))                                 \
			return a64_exec_one(cpu, insn, pc);                        \
		wx(cpu, RD(insn), add_flags(cpu->x[RN(insn)], OPND2(cpu, insn, sf, T, INV), INV, \
					    sf, &cpu->nzcv));                      \
		return pc + 4;                                                     \
	}                                                                          \
	SF_VARIANTS(name)

#define LOGIC_SET(T, INV)                                                          \
	REG_OP(lr_and_##T##_##INV, T, INV, a & b)                                  \
	REG_OP(lr_orr_##T##_##INV, T, INV, a | b)                                  \
	REG_OP(lr_eor_##T##_##INV, T, INV, a ^ b)                                  \
	REG_ANDS(lr_ands_##T##_##INV, T, INV)
LOGIC_SET(0, 0) LOGIC_SET(0, 1) LOGIC_SET(1, 0) LOGIC_SET(1, 1)
LOGIC_SET(2, 0) LOGIC_SET(2, 1) LOGIC_SET(3, 0) LOGIC_SET(3, 1)

#define ADDSUB_SET(T)                                                              \
	REG_OP(ar_add_##T, T, 0, a + b)                                            \
	REG_OP(ar_sub_##T, T, 0, a - b)                                            \
	REG_ADDS(ar_adds_##T, T, 0)                                                \
	REG_ADDS(ar_subs_##T, T, 1)
ADDSUB_SET(0) ADDSUB_SET(1) ADDSUB_SET(2)

/* --- bitfield (SBFM/UBFM: shifts by immediate, extensions, bitfield extracts), C4.1.2 --- */

static inline __attribute__((always_inline)) uint64_t bitfield(struct a64_cpu *cpu, uint32_t insn, bool sf, bool sign)
{
	unsigned immr = (insn >> 16) & 0x3f, imms = (insn >> 10) & 0x3f, width, pos;
	uint64_t src = cpu->x[RN(insn)];
	if (imms >= immr) {
		width = imms - immr + 1;
		pos = 0;
		src >>= immr;
	} else {
		width = imms + 1;
		pos = (sf ? 64 : 32) - immr;
	}
	uint64_t field = width == 64 ? src : src & ((1ULL << width) - 1);
	return trunc_sf((sign ? (uint64_t)sext(field, width) : field) << pos, sf);
}

BODY(sbfm)
{
	if (unlikely(!sf && ((insn >> 10) & 0x820)))
		return a64_exec_one(cpu, insn, pc); /* immr or imms >= 32: UNDEFINED */
	wx(cpu, RD(insn), bitfield(cpu, insn, sf, true));
	return pc + 4;
}
BODY(ubfm)
{
	if (unlikely(!sf && ((insn >> 10) & 0x820)))
		return a64_exec_one(cpu, insn, pc);
	wx(cpu, RD(insn), bitfield(cpu, insn, sf, false));
	return pc + 4;
}
SF_VARIANTS(sbfm)
SF_VARIANTS(ubfm)

/* --- conditional select (CSEL/CSINC/CSINV/CSNEG and aliases CSET, CINC, ...), C4.1.5 --- */

#define CSEL_OP(name, else0, else1)                                                \
	BODY(name)                                                                 \
	{                                                                          \
		if (unlikely(insn & (1u << 11)))                                   \
			return a64_exec_one(cpu, insn, pc);                        \
		uint64_t r = cpu->x[RN(insn)];                                     \
		if (!cond_holds(cpu->nzcv, (insn >> 12) & 15)) {                   \
			uint64_t m = cpu->x[RM(insn)];                             \
			r = (insn & (1u << 10)) ? (else1) : (else0);               \
		}                                                                  \
		wx(cpu, RD(insn), trunc_sf(r, sf));                                \
		return pc + 4;                                                     \
	}                                                                          \
	SF_VARIANTS(name)
CSEL_OP(csel, m, m + 1) /* CSEL, CSINC (op2 bit 10) */
CSEL_OP(csinv, ~m, -m)  /* CSINV, CSNEG */

/* --- MADD/MSUB (MUL, MNEG), C4.1.5 data processing (3 source) --- */

BODY(madd)
{
	uint64_t p = cpu->x[RN(insn)] * cpu->x[RM(insn)], a = cpu->x[(insn >> 10) & 31];
	wx(cpu, RD(insn), trunc_sf(insn & (1u << 15) ? a - p : a + p, sf));
	return pc + 4;
}
SF_VARIANTS(madd)

/* --- branches, C4.1.3 --- */

static uint64_t h_b(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	return pc + ((uint64_t)sext(insn & 0x3ffffff, 26) << 2);
}

static uint64_t h_bl(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	cpu->x[30] = pc + 4;
	return pc + ((uint64_t)sext(insn & 0x3ffffff, 26) << 2);
}

static inline uint64_t imm19_target(uint32_t insn, uint64_t pc)
{
	return pc + ((uint64_t)sext((insn >> 5) & 0x7ffff, 19) << 2);
}

static uint64_t h_bcond(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	if (unlikely(insn & (1u << 4)))
		return a64_exec_one(cpu, insn, pc);
	return cond_holds(cpu->nzcv, insn & 15) ? imm19_target(insn, pc) : pc + 4;
}

BODY(cbz) { return (trunc_sf(cpu->x[RD(insn)], sf) == 0) ? imm19_target(insn, pc) : pc + 4; }
BODY(cbnz) { return (trunc_sf(cpu->x[RD(insn)], sf) != 0) ? imm19_target(insn, pc) : pc + 4; }
SF_VARIANTS(cbz)
SF_VARIANTS(cbnz)

static inline bool tb_bit(const struct a64_cpu *cpu, uint32_t insn)
{
	return (cpu->x[RD(insn)] >> (((insn >> 31) << 5) | ((insn >> 19) & 31))) & 1;
}

static inline uint64_t imm14_target(uint32_t insn, uint64_t pc)
{
	return pc + ((uint64_t)sext((insn >> 5) & 0x3fff, 14) << 2);
}

static uint64_t h_tbz(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	return !tb_bit(cpu, insn) ? imm14_target(insn, pc) : pc + 4;
}

static uint64_t h_tbnz(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	return tb_bit(cpu, insn) ? imm14_target(insn, pc) : pc + 4;
}

/* BR, RET (opc 0, 2) and BLR (opc 1): other fields must be 11111/000000/00000. */
static uint64_t h_br(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	uint64_t t = cpu->x[RN(insn)];
	if (unlikely((insn & 0x001ffc1f) != 0x001f0000 || (t & 3)))
		return a64_exec_one(cpu, insn, pc);
	return t;
}

static uint64_t h_blr(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)
{
	uint64_t t = cpu->x[RN(insn)];
	if (unlikely((insn & 0x001ffc1f) != 0x001f0000 || (t & 3)))
		return a64_exec_one(cpu, insn, pc);
	cpu->x[30] = pc + 4;
	return t;
}

/*
 * --- LDR/STR (immediate, unsigned offset) of general-purpose registers, C4.1.4: the size is
 * in bits 31:30, so each handler knows it; the same code as a64_exec_ldst_fast() otherwise ---
 */
#define LDST_UIMM(size)                                                                            \
	static uint64_t ldr_uimm_##size(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)           \
	{                                                                                          \
		unsigned mmu = a64_mmu_idx(cpu);                                                   \
		uint64_t va = a64_ldst_base(cpu, RN(insn)) +                                       \
			      ((uint64_t)((insn >> 10) & 0xfff) << (size));                        \
		wx(cpu, RD(insn), a64_ld(cpu, va, 1u << (size), mmu));                             \
		return pc + 4;                                                                     \
	}                                                                                          \
	static uint64_t str_uimm_##size(struct a64_cpu *cpu, uint32_t insn, uint64_t pc)           \
	{                                                                                          \
		unsigned mmu = a64_mmu_idx(cpu);                                                   \
		uint64_t va = a64_ldst_base(cpu, RN(insn)) +                                       \
			      ((uint64_t)((insn >> 10) & 0xfff) << (size));                        \
		a64_st(cpu, va, cpu->x[RD(insn)], 1u << (size), mmu);                              \
		return pc + 4;                                                                     \
	}
LDST_UIMM(0)
LDST_UIMM(1)
LDST_UIMM(2)
LDST_UIMM(3)

/* --- the table --- */

#define PAIR(name) { name##_32, name##_64 }

/* The handler for every instruction whose bits 31:21 are those of insn (lower bits zero). */
static a64_handler dispatch_classify(uint32_t insn)
{
	static const a64_handler addsub_imm_h[4][2] = {
		PAIR(add_imm), PAIR(adds_imm), PAIR(sub_imm), PAIR(subs_imm),
	};
	static const a64_handler logic_imm_h[4][2] = {
		PAIR(and_imm), PAIR(orr_imm), PAIR(eor_imm), PAIR(ands_imm),
	};
	static const a64_handler movw_h[4][2] = {
		PAIR(movn), { NULL, NULL }, PAIR(movz), PAIR(movk),
	};
#define LOGIC_ROW(T, INV) \
	{ PAIR(lr_and_##T##_##INV), PAIR(lr_orr_##T##_##INV), PAIR(lr_eor_##T##_##INV), \
	  PAIR(lr_ands_##T##_##INV) }
	static const a64_handler logic_reg_h[4][2][4][2] = { /* [type][N][opc][sf] */
		{ LOGIC_ROW(0, 0), LOGIC_ROW(0, 1) }, { LOGIC_ROW(1, 0), LOGIC_ROW(1, 1) },
		{ LOGIC_ROW(2, 0), LOGIC_ROW(2, 1) }, { LOGIC_ROW(3, 0), LOGIC_ROW(3, 1) },
	};
#define ADDSUB_ROW(T) { PAIR(ar_add_##T), PAIR(ar_adds_##T), PAIR(ar_sub_##T), PAIR(ar_subs_##T) }
	static const a64_handler addsub_reg_h[3][4][2] = { /* [type][opc][sf] */
		ADDSUB_ROW(0), ADDSUB_ROW(1), ADDSUB_ROW(2),
	};
	static const a64_handler ldr_uimm_h[4] = { ldr_uimm_0, ldr_uimm_1, ldr_uimm_2, ldr_uimm_3 };
	static const a64_handler str_uimm_h[4] = { str_uimm_0, str_uimm_1, str_uimm_2, str_uimm_3 };
	bool sf = insn >> 31;
	unsigned opc = (insn >> 29) & 3, hw = (insn >> 21) & 3;
	a64_handler h = NULL;

	if ((insn & 0x1f800000) == 0x11000000) /* add/subtract (immediate) */
		h = addsub_imm_h[opc][sf];
	else if ((insn & 0x1f800000) == 0x12000000) /* logical (immediate) */
		h = logic_imm_h[opc][sf];
	else if ((insn & 0x1f800000) == 0x12800000 && (sf || hw < 2)) /* move wide */
		h = movw_h[opc][sf];
	else if ((insn & 0x1f000000) == 0x0a000000) /* logical (shifted register) */
		h = logic_reg_h[(insn >> 22) & 3][(insn >> 21) & 1][opc][sf];
	else if ((insn & 0x1f200000) == 0x0b000000 && ((insn >> 22) & 3) != 3)
		h = addsub_reg_h[(insn >> 22) & 3][opc][sf]; /* add/subtract (shifted register) */
	else if ((insn & 0x1f800000) == 0x13000000 && ((insn >> 22) & 1) == sf && (opc & 1) == 0)
		h = opc ? (sf ? ubfm_64 : ubfm_32) : (sf ? sbfm_64 : sbfm_32); /* UBFM, SBFM */
	else if ((insn & 0x3fe00000) == 0x1a800000) /* conditional select, S = 0 */
		h = insn & (1u << 30) ? (sf ? csinv_64 : csinv_32) : (sf ? csel_64 : csel_32);
	else if ((insn & 0x7fe00000) == 0x1b000000) /* MADD, MSUB */
		h = sf ? madd_64 : madd_32;
	else if ((insn & 0x7c000000) == 0x14000000) /* B, BL */
		h = sf ? h_bl : h_b;
	else if ((insn & 0xfe000000) == 0x54000000) /* B.cond */
		h = h_bcond;
	else if ((insn & 0x7e000000) == 0x34000000) /* CBZ, CBNZ */
		h = insn & (1u << 24) ? (sf ? cbnz_64 : cbnz_32) : (sf ? cbz_64 : cbz_32);
	else if ((insn & 0x7e000000) == 0x36000000) /* TBZ, TBNZ */
		h = insn & (1u << 24) ? h_tbnz : h_tbz;
	else if ((insn & 0xffe00000) == 0xd6000000 || (insn & 0xffe00000) == 0xd6400000)
		h = h_br; /* BR, RET */
	else if ((insn & 0xffe00000) == 0xd6200000)
		h = h_blr;
	else if ((insn & 0x3fc00000) == 0x39000000) /* STR (immediate, unsigned offset) */
		h = str_uimm_h[insn >> 30];
	else if ((insn & 0x3fc00000) == 0x39400000) /* LDR (immediate, unsigned offset) */
		h = ldr_uimm_h[insn >> 30];
	else if ((insn & 0x7e000000) == 0x28000000 && (insn & 0x80000000)) /* LDP/STP X */
		h = a64_exec_ldst_fast;
	else if ((insn & 0x0a000000) == 0x08000000) /* other loads and stores */
		h = a64_exec_ldst;
	return h ? h : a64_exec_one;
}

__attribute__((constructor)) static void dispatch_init(void)
{
	for (uint32_t i = 0; i < 2048; i++)
		a64_dispatch[i] = dispatch_classify(i << 21);
}
