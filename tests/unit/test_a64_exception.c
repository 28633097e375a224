/*
 * A64 exception entry and return, executed on the standalone CPU: ESR_EL1 (EC/IL/ISS), ELR, SPSR,
 * FAR, the vector offset for each source (current EL with SP0/SPx, lower EL), SP banking, DAIF
 * masking, ERET back to EL0, IRQ entry, and MMU data aborts with DFSC/WnR through the TLB path.
 */
#include <stdlib.h>

#include "arch/arm64/cpu.h"
#include "tests/unit/unit.h"

UNIT_SUITE(a64_exception);

#define RAM 0x40000000ULL
#define CODE (RAM + 0x1000)
#define VBAR (RAM + 0x10000)

struct exc_fixture {
	struct guest_mem mem;
	struct bus bus;
	struct a64_cpu *cpu;
};

static void setup(struct exc_fixture *f, const uint32_t *code, unsigned n)
{
	memset(f, 0, sizeof(*f));
	CU_ASSERT_FATAL(gmem_add(&f->mem, RAM, 16ULL << 20) == 0);
	bus_init(&f->bus, "mmio", 0);
	f->cpu = aligned_alloc(64, (sizeof(struct a64_cpu) + 63) & ~63UL);
	a64_cpu_init(f->cpu, &f->mem, &f->bus);
	gmem_write(&f->mem, CODE, code, n * 4);
	a64_cpu_reset(f->cpu, CODE, 0);
	f->cpu->vbar = VBAR;
	f->cpu->sp_el[0] = 0x1000;
	f->cpu->sp_el[1] = 0x2000;
}

static void teardown(struct exc_fixture *f)
{
	free(f->cpu);
	gmem_free(&f->mem);
	bus_free(&f->bus);
}

static void to_el0(struct a64_cpu *cpu)
{
	a64_set_el_sp(cpu, 0, 0);
	cpu->daif = 0;
}

UNIT_TEST(a64_exception, svc_from_el0_enters_lower_el_vector_with_next_pc)
{
	static const uint32_t code[] = { 0xd40000a1 /* svc #5 */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	to_el0(f.cpu);
	f.cpu->nzcv = PSTATE_Z | PSTATE_C;
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x400);
	CU_ASSERT_EQUAL(f.cpu->esr, (0x15ULL << 26) | (1u << 25) | 5);
	CU_ASSERT_EQUAL(f.cpu->elr, CODE + 4);
	CU_ASSERT_EQUAL(f.cpu->spsr, PSTATE_Z | PSTATE_C); /* EL0t, DAIF clear */
	CU_ASSERT_EQUAL(f.cpu->el, 1);
	CU_ASSERT_EQUAL(f.cpu->daif, PSTATE_DAIF);
	CU_ASSERT_EQUAL(a64_sp(f.cpu), 0x2000);
	teardown(&f);
}

UNIT_TEST(a64_exception, undefined_at_el1h_uses_current_spx_vector)
{
	static const uint32_t code[] = { 0x00000000 /* udf #0 */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x200);
	CU_ASSERT_EQUAL(f.cpu->esr, 1u << 25);
	CU_ASSERT_EQUAL(f.cpu->elr, CODE);
	CU_ASSERT_EQUAL(f.cpu->spsr, PSTATE_DAIF | 0x5); /* EL1h */
	teardown(&f);
}

UNIT_TEST(a64_exception, brk_at_el1t_uses_current_sp0_vector)
{
	static const uint32_t code[] = { 0xd4200020 /* brk #1 */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	a64_set_el_sp(f.cpu, 1, 0);
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x000);
	CU_ASSERT_EQUAL(f.cpu->esr, (0x3cULL << 26) | (1u << 25) | 1);
	CU_ASSERT_EQUAL(f.cpu->spsr & 0xf, 0x4); /* EL1t */
	teardown(&f);
}

UNIT_TEST(a64_exception, eret_returns_to_el0_with_spsr_state_and_sp_el0)
{
	static const uint32_t code[] = { 0xd69f03e0 /* eret */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	f.cpu->elr = RAM + 0x3000;
	f.cpu->spsr = PSTATE_N | PSTATE_V; /* EL0t, interrupts unmasked */
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, RAM + 0x3000);
	CU_ASSERT_EQUAL(f.cpu->el, 0);
	CU_ASSERT_EQUAL(f.cpu->nzcv, PSTATE_N | PSTATE_V);
	CU_ASSERT_EQUAL(f.cpu->daif, 0);
	CU_ASSERT_EQUAL(a64_sp(f.cpu), 0x1000);
	teardown(&f);
}

UNIT_TEST(a64_exception, eret_at_el0_is_undefined)
{
	static const uint32_t code[] = { 0xd69f03e0 /* eret */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	to_el0(f.cpu);
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x400);
	CU_ASSERT_EQUAL(f.cpu->esr >> 26, 0);
	teardown(&f);
}

UNIT_TEST(a64_exception, irq_from_el0_and_from_el1h_vectors)
{
	static const uint32_t code[] = { 0xd503201f /* nop */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	to_el0(f.cpu);
	f.cpu->pc = a64_take_irq(f.cpu, CODE);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x480);
	CU_ASSERT_EQUAL(f.cpu->elr, CODE);
	CU_ASSERT_EQUAL(f.cpu->daif, PSTATE_DAIF);
	f.cpu->pc = a64_take_irq(f.cpu, CODE + 8);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x280);
	CU_ASSERT_EQUAL(f.cpu->spsr, PSTATE_DAIF | 0x5);
	teardown(&f);
}

UNIT_TEST(a64_exception, system_register_reads_at_el0_are_undefined_but_ctr_is_allowed)
{
	static const uint32_t code[] = {
		0xd5381000, /* mrs x0, sctlr_el1 */
	};
	static const uint32_t code2[] = {
		0xd53b0020, /* mrs x0, ctr_el0 */
	};
	struct exc_fixture f;
	setup(&f, code, 1);
	to_el0(f.cpu);
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x400);
	CU_ASSERT_EQUAL(f.cpu->esr >> 26, EC_UNKNOWN);
	teardown(&f);
	setup(&f, code2, 1);
	to_el0(f.cpu);
	f.cpu->sctlr |= SCTLR_UCT;
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, CODE + 4);
	CU_ASSERT_EQUAL(f.cpu->x[0] & 0xf, 4); /* IminLine: 64-byte lines */
	teardown(&f);
}

UNIT_TEST(a64_exception, fp_access_with_cpacr_fpen_clear_traps)
{
	static const uint32_t code[] = { 0x3dc00020 /* ldr q0, [x1] */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	f.cpu->x[1] = RAM;
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x200);
	CU_ASSERT_EQUAL(f.cpu->esr >> 26, EC_FP_ACCESS);
	teardown(&f);
}

UNIT_TEST(a64_exception, data_abort_reports_dfsc_wnr_and_far)
{
	static const uint32_t code[] = {
		0xf9400020, /* ldr x0, [x1] */
		0xf9000020, /* str x0, [x1] */
	};
	struct exc_fixture f;
	setup(&f, code, 2);
	/* 48-bit TTBR0 with the code page mapped and nothing else */
	uint64_t l0 = RAM + 0x100000, l1 = l0 + 0x1000, l2 = l1 + 0x1000, l3 = l2 + 0x1000;
	uint64_t d;
	d = l1 | 3; gmem_write(&f.mem, l0 + 0 * 8, &d, 8);
	d = l2 | 3; gmem_write(&f.mem, l1 + 1 * 8, &d, 8);  /* VA 0x40000000 */
	d = l3 | 3; gmem_write(&f.mem, l2 + 0 * 8, &d, 8);
	d = CODE | 3 | (1 << 10) | (2 << 6); gmem_write(&f.mem, l3 + 1 * 8, &d, 8); /* RO code */
	d = RAM | 3 | (1 << 10) | (2 << 6); gmem_write(&f.mem, l3 + 0 * 8, &d, 8);  /* RO data */
	f.cpu->ttbr0 = l0;
	f.cpu->tcr = 16;
	f.cpu->sctlr |= SCTLR_M;
	f.cpu->x[1] = RAM + 0x2008; /* unmapped page 2 */
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x200);
	CU_ASSERT_EQUAL(f.cpu->esr, (0x25ULL << 26) | (1u << 25) | (FSC_TRANSLATION | 3));
	CU_ASSERT_EQUAL(f.cpu->far, RAM + 0x2008);
	CU_ASSERT_EQUAL(f.cpu->elr, CODE);
	/* store to the read-only data page: permission fault with WnR */
	a64_set_el_sp(f.cpu, 1, 1);
	f.cpu->pc = CODE + 4;
	f.cpu->x[1] = RAM + 0x10;
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->esr, (0x25ULL << 26) | (1u << 25) | (1u << 6) | (FSC_PERMISSION | 3));
	CU_ASSERT_EQUAL(f.cpu->far, RAM + 0x10);
	CU_ASSERT_EQUAL(f.cpu->elr, CODE + 4);
	teardown(&f);
}

UNIT_TEST(a64_exception, abort_loop_on_unmapped_vector_still_ends_the_slice)
{
	static const uint32_t code[] = { 0x00000000 /* udf #0 */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	f.cpu->vbar = 0x80000000ULL; /* not RAM: every vector fetch aborts again */
	a64_exec(f.cpu, 100); /* must return */
	CU_ASSERT_EQUAL(f.cpu->esr >> 26, EC_IABT_CUR);
	CU_ASSERT_EQUAL(f.cpu->far, 0x80000200ULL);
	teardown(&f);
}

UNIT_TEST(a64_exception, misaligned_sp_as_base_faults_when_sctlr_sa_is_set)
{
	static const uint32_t code[] = { 0xf94003e0 /* ldr x0, [sp] */ };
	struct exc_fixture f;
	setup(&f, code, 1);
	f.cpu->sp_el[1] = RAM + 0x108;
	f.cpu->sctlr |= SCTLR_SA;
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x200);
	CU_ASSERT_EQUAL(f.cpu->esr >> 26, EC_SP_ALIGN);
	CU_ASSERT_EQUAL(f.cpu->elr, CODE);
	teardown(&f);
	/* without SA the same access is fine */
	setup(&f, code, 1);
	f.cpu->sp_el[1] = RAM + 0x108;
	a64_exec(f.cpu, 1);
	CU_ASSERT_EQUAL(f.cpu->pc, CODE + 4);
	teardown(&f);
}
