/*
 * A64 system registers and the generic timer on the standalone CPU: the ID registers Linux keys
 * its feature paths on, CNTFRQ, TVAL/CVAL semantics, the timer output reported to the platform
 * (and masked by IMASK), DAIF/SPSel writes, and unknown registers UNDEFINED rather than fatal.
 */
#include <stdlib.h>
#include <time.h>

#include "arch/arm64/cpu.h"
#include "tests/unit/unit.h"
#include "vmm/util.h"

UNIT_SUITE(a64_sysreg);

#define RAM 0x40000000ULL
#define CODE (RAM + 0x1000)
#define VBAR (RAM + 0x10000)

struct sys_fixture {
	struct guest_mem mem;
	struct bus bus;
	struct a64_cpu *cpu;
	int timer_level[2], timer_calls;
};

static void record_timer(void *opaque, int cpu_index, int timer, int level)
{
	struct sys_fixture *f = opaque;
	f->timer_level[timer] = level;
	f->timer_calls++;
}

static void setup(struct sys_fixture *f)
{
	memset(f, 0, sizeof(*f));
	CU_ASSERT_FATAL(gmem_add(&f->mem, RAM, 1ULL << 20) == 0);
	bus_init(&f->bus, "mmio", 0);
	f->cpu = aligned_alloc(64, (sizeof(struct a64_cpu) + 63) & ~63UL);
	a64_cpu_init(f->cpu, &f->mem, &f->bus);
	f->cpu->vbar = VBAR;
	f->cpu->plat.opaque = f;
	f->cpu->plat.timer_irq = record_timer;
}

static void teardown(struct sys_fixture *f)
{
	free(f->cpu);
	gmem_free(&f->mem);
	bus_free(&f->bus);
}

/* Execute one instruction at CODE; returns X[rt] after it. */
static uint64_t run1(struct sys_fixture *f, uint32_t insn)
{
	gmem_write(&f->mem, CODE, &insn, 4);
	f->cpu->pc = CODE;
	f->cpu->fetch_page = A64_TLB_INVALID;
	a64_exec(f->cpu, 1);
	return f->cpu->x[insn & 31];
}

/* MRS Xt, <op0,op1,CRn,CRm,op2> and MSR */
#define MRS(key, rt) (0xd5300000u | ((uint32_t)((key) & 0x7fff) << 5) | (rt))
#define MSR(key, rt) (0xd5100000u | ((uint32_t)((key) & 0x7fff) << 5) | (rt))

UNIT_TEST(a64_sysreg, id_registers_describe_el1_only_v8_0_without_lse_sve_pmu)
{
	struct sys_fixture f;
	setup(&f);
	CU_ASSERT_EQUAL(run1(&f, MRS(SYSREG(3, 0, 0, 0, 0), 0)), 0x411fd070);
	uint64_t pfr0 = run1(&f, MRS(SYSREG(3, 0, 0, 4, 0), 1));
	CU_ASSERT_EQUAL(pfr0 & 0xff, 0x11);            /* EL0, EL1: AArch64 only */
	CU_ASSERT_EQUAL((pfr0 >> 8) & 0xff, 0);        /* no EL2, EL3 */
	CU_ASSERT_EQUAL((pfr0 >> 16) & 0xff, 0);       /* FP and AdvSIMD implemented */
	CU_ASSERT_EQUAL((pfr0 >> 32) & 0xf, 0);        /* no SVE */
	CU_ASSERT_EQUAL(pfr0 >> 56, 0x11);             /* CSV3, CSV2 */
	CU_ASSERT_EQUAL((run1(&f, MRS(SYSREG(3, 0, 0, 6, 0), 2)) >> 20) & 0xf, 0); /* no LSE */
	CU_ASSERT_EQUAL(run1(&f, MRS(SYSREG(3, 0, 0, 6, 1), 3)), 0);             /* no PAC */
	CU_ASSERT_EQUAL((run1(&f, MRS(SYSREG(3, 0, 0, 5, 0), 4)) >> 8) & 0xf, 0); /* no PMU */
	uint64_t mmfr0 = run1(&f, MRS(SYSREG(3, 0, 0, 7, 0), 5));
	CU_ASSERT_EQUAL(mmfr0 & 0xf, 2);               /* 40-bit PA */
	CU_ASSERT_EQUAL((mmfr0 >> 28) & 0xf, 0);       /* 4K granule */
	CU_ASSERT_EQUAL(run1(&f, MRS(SYSREG(3, 3, 0, 0, 7), 6)), 4); /* DCZID: 64 bytes */
	CU_ASSERT_EQUAL(f.cpu->pc, CODE + 4);
	teardown(&f);
}

UNIT_TEST(a64_sysreg, unknown_register_is_undefined_not_fatal)
{
	struct sys_fixture f;
	setup(&f);
	run1(&f, MRS(SYSREG(3, 4, 1, 1, 0), 0)); /* HCR_EL2: no EL2 */
	CU_ASSERT_EQUAL(f.cpu->pc, VBAR + 0x200);
	CU_ASSERT_EQUAL(f.cpu->esr >> 26, EC_UNKNOWN);
	teardown(&f);
}

UNIT_TEST(a64_sysreg, daif_and_spsel_writes_take_effect)
{
	struct sys_fixture f;
	setup(&f);
	f.cpu->x[1] = 0;
	run1(&f, MSR(SYSREG(3, 3, 4, 2, 1), 1)); /* msr daif, x1 */
	CU_ASSERT_EQUAL(f.cpu->daif, 0);
	run1(&f, 0xd50342df); /* msr daifset, #2 (I) */
	CU_ASSERT_EQUAL(f.cpu->daif, PSTATE_I);
	f.cpu->sp_el[0] = 0x1230;
	run1(&f, 0xd50040bf); /* msr spsel, #0 */
	CU_ASSERT_EQUAL(a64_sp(f.cpu), 0x1230);
	CU_ASSERT_EQUAL(run1(&f, MRS(SYSREG(3, 0, 4, 2, 2), 7)), 4); /* CurrentEL = EL1 */
	teardown(&f);
}

UNIT_TEST(a64_sysreg, cntfrq_and_counter_follow_host_time)
{
	struct sys_fixture f;
	setup(&f);
	CU_ASSERT_EQUAL(run1(&f, MRS(SYSREG(3, 3, 14, 0, 0), 0)), A64_CNTFRQ);
	uint64_t a = run1(&f, MRS(SYSREG(3, 3, 14, 0, 2), 1));
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	uint64_t b = run1(&f, MRS(SYSREG(3, 3, 14, 0, 2), 1));
	CU_ASSERT(b - a >= A64_CNTFRQ / 1000); /* at least 1 ms worth of ticks in >= 2 ms */
	teardown(&f);
}

UNIT_TEST(a64_sysreg, virtual_timer_fires_through_platform_and_imask_lowers_it)
{
	struct sys_fixture f;
	setup(&f);
	f.cpu->x[1] = 1;   /* ENABLE */
	f.cpu->x[2] = 0;   /* TVAL 0: condition met now */
	run1(&f, MSR(SYSREG(3, 3, 14, 3, 0), 2)); /* cntv_tval_el0 */
	run1(&f, MSR(SYSREG(3, 3, 14, 3, 1), 1)); /* cntv_ctl_el0 */
	CU_ASSERT_EQUAL(f.timer_level[1], 1);
	CU_ASSERT_EQUAL(run1(&f, MRS(SYSREG(3, 3, 14, 3, 1), 3)) & 4, 4); /* ISTATUS */
	f.cpu->x[1] = 3;   /* ENABLE | IMASK */
	run1(&f, MSR(SYSREG(3, 3, 14, 3, 1), 1));
	CU_ASSERT_EQUAL(f.timer_level[1], 0);
	CU_ASSERT_EQUAL(f.timer_level[0], 0); /* the physical timer never fired */
	teardown(&f);
}

UNIT_TEST(a64_sysreg, timer_in_the_future_has_a_deadline_and_no_output)
{
	struct sys_fixture f;
	setup(&f);
	f.cpu->x[1] = 1;
	f.cpu->x[2] = A64_CNTFRQ; /* one second ahead */
	uint64_t t0 = now_ns();
	run1(&f, MSR(SYSREG(3, 3, 14, 2, 0), 2)); /* cntp_tval_el0 */
	uint64_t t1 = now_ns();
	run1(&f, MSR(SYSREG(3, 3, 14, 2, 1), 1)); /* cntp_ctl_el0 */
	CU_ASSERT_EQUAL(f.timer_level[0], 0);
	uint64_t dl = a64_timer_deadline_ns(f.cpu);
	/* deadline = (time of the TVAL write, in 16 ns ticks) + 1 s */
	CU_ASSERT(dl + 16 >= t0 + 1000000000ULL && dl <= t1 + 1000000000ULL + 16);
	int64_t tval = (int32_t)run1(&f, MRS(SYSREG(3, 3, 14, 2, 0), 3));
	CU_ASSERT(tval > 0 && tval <= (int64_t)A64_CNTFRQ);
	teardown(&f);
}

UNIT_TEST(a64_sysreg, wfi_halts_only_without_a_pending_irq)
{
	struct sys_fixture f;
	setup(&f);
	run1(&f, 0xd503207f); /* wfi */
	CU_ASSERT(f.cpu->halted);
	f.cpu->halted = false;
	a64_cpu_set_irq(f.cpu, 1);
	run1(&f, 0xd503207f);
	CU_ASSERT(!f.cpu->halted);
	CU_ASSERT_EQUAL(run1(&f, MRS(SYSREG(3, 0, 12, 1, 0), 0)), PSTATE_I); /* ISR_EL1.I */
	teardown(&f);
}
