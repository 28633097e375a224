/*
 * Differential testing of the A64 interpreter against unicorn 2 (QEMU's A64 front end): the same
 * instruction stream runs from the same registers and memory in both, and X0-X30, SP, NZCV, PC,
 * V0-V31 and the whole test memory must agree afterwards.
 */
#ifndef MINIVMM_TEST_A64_HARNESS_H
#define MINIVMM_TEST_A64_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

/* Memory map shared by both sides: code (and literal pool) and data, both RAM. */
#define DIFF_CODE_BASE 0x100000ULL
#define DIFF_CODE_SIZE 0x200000ULL
#define DIFF_PC 0x200000ULL           /* instructions go here, literals reach +-1 MiB */
#define DIFF_DATA_BASE 0x400000ULL
#define DIFF_DATA_SIZE 0x40000ULL
#define DIFF_DATA_PTR 0x410000ULL     /* base registers for memory classes point near here */

struct diff_state {
	uint64_t x[31], sp;
	uint32_t nzcv;
	unsigned __int128 v[32];
};

enum diff_result { DIFF_SAME, DIFF_SKIPPED, DIFF_MISMATCH };

/* Deterministic generator (xorshift64*). */
uint64_t diff_rand(void);
void diff_seed(uint64_t seed);

/* Interesting 64-bit values: 0, 1, -1, INT_MIN/MAX edges, and random. */
uint64_t diff_rand_value(void);
void diff_state_random(struct diff_state *s);
/* Registers as addresses into the data area (even regs) and small indexes (odd), SP aligned. */
void diff_state_memory(struct diff_state *s);

/*
 * Load len instructions at DIFF_PC, execute steps instructions from s in both; compare. On a mismatch prints what differs (with the
 * disassembly of insns[0]) to stderr. Streams where unicorn hits unmapped memory are skipped.
 */
enum diff_result diff_run(const uint32_t *insns, unsigned len, unsigned steps,
			  const struct diff_state *s);

/*
 * Random encodings: (rand & ~mask) | value, n times, with a state from gen; encodings for which
 * predictable() is false (CONSTRAINED UNPREDICTABLE register overlaps) are redrawn. Returns the
 * number of mismatches.
 */
unsigned diff_class(const char *name, uint32_t value, uint32_t mask, unsigned count,
		    void (*gen)(struct diff_state *s), bool (*predictable)(uint32_t insn));

#endif
