/*
 * The unicorn/interpreter differential harness (see test_a64_harness.h). The interpreter runs
 * standalone: a64_cpu over a guest_mem with the two RAM regions and an empty MMIO bus, at EL1h
 * with the MMU off, FP enabled, and VBAR pointing at unmapped space (an exception is detected
 * by PC landing on the vector).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "arch/arm64/cpu.h"
#include "tests/diff/test_a64_harness.h"
#include "tests/unit/unit.h"

#define DIFF_VBAR 0x80000000ULL
#define MAX_REPORTS 30

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

void diff_seed(uint64_t seed)
{
	rng = seed ? seed : 1;
}

uint64_t diff_rand(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

uint64_t diff_rand_value(void)
{
	static const uint64_t special[] = {
		0, 1, 2, ~0ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL, 0x7fffffffULL,
		0x80000000ULL, 0xffffffffULL, 0x100000000ULL, 0xffffffff80000000ULL, 63, 64, 32, 31,
	};
	uint64_t r = diff_rand();
	switch (r & 7) {
	case 0: case 1:
		return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
	case 2:
		return (r >> 8) & 0xff;
	case 3:
		return (uint32_t)diff_rand();
	default:
		return diff_rand();
	}
}

void diff_state_random(struct diff_state *s)
{
	for (int i = 0; i < 31; i++)
		s->x[i] = diff_rand_value();
	s->sp = DIFF_DATA_PTR + (diff_rand() & 0xff0);
	s->nzcv = (uint32_t)(diff_rand() & 0xf) << 28;
	for (int i = 0; i < 32; i++)
		s->v[i] = ((unsigned __int128)diff_rand() << 64) | diff_rand();
}

void diff_state_memory(struct diff_state *s)
{
	diff_state_random(s);
	for (int i = 0; i < 31; i++)
		s->x[i] = (i & 1) ? (diff_rand() & 0x1ff) : DIFF_DATA_PTR + (diff_rand() & 0x3fff);
}

struct harness {
	bool ready;
	uc_engine *uc;
	struct guest_mem mem;
	struct bus bus;
	struct a64_cpu *cpu;
	uint8_t *code_init, *data_init;
};

static struct harness H;

/* Physical space outside the two RAM regions: silent zeros (unicorn faults there; skipped). */
static void sink_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	memset(data, 0, len);
}

static void sink_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
}

static const struct bus_ops sink_ops = { .name = "diff-sink", .read = sink_read, .write = sink_write };
static unsigned reports;

static void harness_init(void)
{
	if (H.ready)
		return;
	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &H.uc) != UC_ERR_OK) {
		fprintf(stderr, "unicorn: cannot open an ARM64 engine\n");
		exit(2);
	}
	uc_mem_map(H.uc, DIFF_CODE_BASE, DIFF_CODE_SIZE, UC_PROT_ALL);
	uc_mem_map(H.uc, DIFF_DATA_BASE, DIFF_DATA_SIZE, UC_PROT_ALL);
	if (gmem_add(&H.mem, DIFF_CODE_BASE, DIFF_CODE_SIZE) < 0 ||
	    gmem_add(&H.mem, DIFF_DATA_BASE, DIFF_DATA_SIZE) < 0) {
		fprintf(stderr, "cannot allocate test RAM\n");
		exit(2);
	}
	bus_init(&H.bus, "mmio", 0);
	bus_register(&H.bus, 0, DIFF_CODE_BASE, &sink_ops, NULL);
	bus_register(&H.bus, DIFF_CODE_BASE + DIFF_CODE_SIZE,
		     DIFF_DATA_BASE - DIFF_CODE_BASE - DIFF_CODE_SIZE, &sink_ops, NULL);
	bus_register(&H.bus, DIFF_DATA_BASE + DIFF_DATA_SIZE, (1ULL << 48) - DIFF_DATA_BASE - DIFF_DATA_SIZE,
		     &sink_ops, NULL);
	H.cpu = aligned_alloc(64, (sizeof(struct a64_cpu) + 63) & ~63UL);
	a64_cpu_init(H.cpu, &H.mem, &H.bus);
	H.code_init = malloc(DIFF_CODE_SIZE);
	H.data_init = malloc(DIFF_DATA_SIZE);
	diff_seed(12345);
	for (uint64_t i = 0; i < DIFF_CODE_SIZE; i += 8) {
		uint64_t r = diff_rand();
		memcpy(H.code_init + i, &r, 8);
	}
	for (uint64_t i = 0; i < DIFF_DATA_SIZE; i += 8) {
		uint64_t r = diff_rand();
		memcpy(H.data_init + i, &r, 8);
	}
	H.ready = true;
}

/* n <= 64 instructions: the window reset below is 256 bytes. */
static void load_memory(const uint32_t *insns, unsigned n)
{
	uint8_t *code = gmem_ptr(&H.mem, DIFF_CODE_BASE, DIFF_CODE_SIZE);
	uint8_t *data = gmem_ptr(&H.mem, DIFF_DATA_BASE, DIFF_DATA_SIZE);
	/* Only the area around DIFF_PC can change between runs: reset a window, not 2 MiB. */
	uint64_t win = DIFF_PC - DIFF_CODE_BASE;
	memcpy(code + win, H.code_init + win, 256);
	memcpy(code + win, insns, n * 4);
	uc_mem_write(H.uc, DIFF_PC, code + win, 256);
	uc_ctl_remove_cache(H.uc, DIFF_PC, DIFF_PC + 256);
	memcpy(data, H.data_init, DIFF_DATA_SIZE);
	uc_mem_write(H.uc, DIFF_DATA_BASE, data, DIFF_DATA_SIZE);
}

static void report(const uint32_t *insns, unsigned n, const char *what, uint64_t ours,
		   uint64_t theirs)
{
	if (reports++ >= MAX_REPORTS)
		return;
	char text[96];
	a64_disas(H.cpu, DIFF_PC, insns[0], text, sizeof(text));
	fprintf(stderr, "  a64 diff: %08x %-32s (+%u more): %s ours=0x%llx unicorn=0x%llx\n",
		insns[0], text, n - 1, what, (unsigned long long)ours, (unsigned long long)theirs);
}

enum diff_result diff_run(const uint32_t *insns, unsigned len, unsigned n,
			  const struct diff_state *s)
{
	static bool code_loaded;
	harness_init();
	if (!code_loaded) {
		uc_mem_write(H.uc, DIFF_CODE_BASE, H.code_init, DIFF_CODE_SIZE);
		memcpy(gmem_ptr(&H.mem, DIFF_CODE_BASE, DIFF_CODE_SIZE), H.code_init, DIFF_CODE_SIZE);
		code_loaded = true;
	}
	load_memory(insns, len);

	/* unicorn */
	for (int i = 0; i < 29; i++)
		uc_reg_write(H.uc, UC_ARM64_REG_X0 + i, &s->x[i]);
	uc_reg_write(H.uc, UC_ARM64_REG_X29, &s->x[29]);
	uc_reg_write(H.uc, UC_ARM64_REG_X30, &s->x[30]);
	uc_reg_write(H.uc, UC_ARM64_REG_SP, &s->sp);
	uint64_t nzcv = s->nzcv;
	uc_reg_write(H.uc, UC_ARM64_REG_NZCV, &nzcv);
	for (int i = 0; i < 32; i++)
		uc_reg_write(H.uc, UC_ARM64_REG_Q0 + i, &s->v[i]);
	uint64_t pc = DIFF_PC;
	uc_reg_write(H.uc, UC_ARM64_REG_PC, &pc);
	uc_err err = uc_emu_start(H.uc, DIFF_PC, 0xfffffffffffff000ULL, 0, n);

	/* ours */
	struct a64_cpu *cpu = H.cpu;
	a64_cpu_reset(cpu, DIFF_PC, 0);
	memcpy(cpu->x, s->x, sizeof(s->x));
	cpu->x[31] = 0;
	cpu->sp_el[1] = s->sp;
	cpu->nzcv = s->nzcv;
	for (int i = 0; i < 32; i++)
		cpu->fp.v[i].q = s->v[i];
	cpu->cpacr = 3u << 20;
	cpu->vbar = DIFF_VBAR;
	a64_exec(cpu, n);
	bool ours_exc = (cpu->pc & ~0x7ffULL) == DIFF_VBAR;

	if (err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED ||
	    err == UC_ERR_FETCH_UNMAPPED)
		return DIFF_SKIPPED; /* we read unmapped physical space as zeros (no bus error) */
	if (err != UC_ERR_OK || ours_exc) {
		/* unicorn stops on an exception; ours must have taken an UNDEF-class one too. */
		if (err != UC_ERR_OK && ours_exc)
			return DIFF_SAME;
		report(insns, n, err != UC_ERR_OK ? "unicorn faulted (ESR ours)" : "we faulted, ESR",
		       cpu->esr, err);
		return DIFF_MISMATCH;
	}

	enum diff_result res = DIFF_SAME;
	for (int i = 0; i < 31; i++) {
		uint64_t t;
		uc_reg_read(H.uc, i < 29 ? UC_ARM64_REG_X0 + i : UC_ARM64_REG_X29 + (i - 29), &t);
		if (t != cpu->x[i]) {
			char what[16];
			snprintf(what, sizeof(what), "x%d", i);
			report(insns, n, what, cpu->x[i], t);
			res = DIFF_MISMATCH;
		}
	}
	uint64_t t;
	uc_reg_read(H.uc, UC_ARM64_REG_SP, &t);
	if (t != a64_sp(cpu))
		report(insns, n, "sp", a64_sp(cpu), t), res = DIFF_MISMATCH;
	uc_reg_read(H.uc, UC_ARM64_REG_NZCV, &t);
	if ((uint32_t)t != cpu->nzcv)
		report(insns, n, "nzcv", cpu->nzcv, t), res = DIFF_MISMATCH;
	uc_reg_read(H.uc, UC_ARM64_REG_PC, &t);
	if (t != cpu->pc)
		report(insns, n, "pc", cpu->pc, t), res = DIFF_MISMATCH;
	for (int i = 0; i < 32; i++) {
		unsigned __int128 q;
		uc_reg_read(H.uc, UC_ARM64_REG_Q0 + i, &q);
		if (q != cpu->fp.v[i].q) {
			char what[24];
			snprintf(what, sizeof(what), "v%d (low/high 64)", i);
			report(insns, n, what, cpu->fp.v[i].d[0], (uint64_t)q);
			report(insns, n, what, cpu->fp.v[i].d[1], (uint64_t)(q >> 64));
			res = DIFF_MISMATCH;
		}
	}
	static uint8_t theirs[DIFF_DATA_SIZE];
	uc_mem_read(H.uc, DIFF_DATA_BASE, theirs, DIFF_DATA_SIZE);
	const uint8_t *mine = gmem_ptr(&H.mem, DIFF_DATA_BASE, DIFF_DATA_SIZE);
	if (memcmp(mine, theirs, DIFF_DATA_SIZE)) {
		for (uint64_t i = 0; i < DIFF_DATA_SIZE; i++)
			if (mine[i] != theirs[i]) {
				report(insns, n, "memory byte at", DIFF_DATA_BASE + i, theirs[i]);
				break;
			}
		res = DIFF_MISMATCH;
	}
	return res;
}

unsigned diff_class(const char *name, uint32_t value, uint32_t mask, unsigned count,
		    void (*gen)(struct diff_state *s), bool (*predictable)(uint32_t insn))
{
	unsigned bad = 0, same = 0, skipped = 0;
	struct diff_state s;
	diff_seed(0x1234567 ^ value ^ ((uint64_t)mask << 32));
	for (unsigned i = 0; i < count; i++) {
		uint32_t insn;
		do
			insn = ((uint32_t)diff_rand() & ~mask) | value;
		while (predictable && !predictable(insn));
		gen(&s);
		switch (diff_run(&insn, 1, 1, &s)) {
		case DIFF_SAME: same++; break;
		case DIFF_SKIPPED: skipped++; break;
		case DIFF_MISMATCH: bad++; break;
		}
	}
	if (bad || getenv("UNIT_VERBOSE"))
		fprintf(stderr, "  class %-28s %u same, %u skipped, %u mismatches\n", name, same,
			skipped, bad);
	return bad;
}
