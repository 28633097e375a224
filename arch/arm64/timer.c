/*
 * The generic timer (ARM ARM D11): a counter that follows host CLOCK_MONOTONIC at A64_CNTFRQ
 * (62.5 MHz, counter = ns >> 4; CNTVOFF = 0 without EL2, so CNTVCT = CNTPCT), and the EL1
 * physical and virtual timers. Their output levels are recomputed when the guest writes them
 * and at run-slice boundaries, and reported to the board (GIC PPIs 30 and 27) on change.
 */
#include "arch/arm64/cpu.h"
#include "vmm/util.h"

#define CTL_ENABLE 1u
#define CTL_IMASK 2u
#define CTL_ISTATUS 4u

uint64_t a64_counter(const struct a64_cpu *cpu)
{
	return (now_ns() - cpu->cnt_base_ns) >> A64_CNT_SHIFT;
}

static bool timer_fired(const struct a64_timer *t, uint64_t cnt)
{
	return (t->ctl & CTL_ENABLE) && cnt >= t->cval;
}

void a64_timer_update(struct a64_cpu *cpu)
{
	uint64_t cnt = a64_counter(cpu);
	for (int i = 0; i < 2; i++) {
		struct a64_timer *t = &cpu->timer[i];
		int level = timer_fired(t, cnt) && !(t->ctl & CTL_IMASK);
		if (level != t->level) {
			t->level = level;
			if (cpu->plat.timer_irq)
				cpu->plat.timer_irq(cpu->plat.opaque, cpu->index, i, level);
		}
	}
}

uint64_t a64_timer_deadline_ns(const struct a64_cpu *cpu)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 2; i++) {
		const struct a64_timer *t = &cpu->timer[i];
		if ((t->ctl & (CTL_ENABLE | CTL_IMASK)) != CTL_ENABLE || t->level)
			continue;
		if (t->cval > (UINT64_MAX >> A64_CNT_SHIFT) - (cpu->cnt_base_ns >> A64_CNT_SHIFT))
			continue; /* beyond any host time we will see */
		uint64_t ns = (t->cval << A64_CNT_SHIFT) + cpu->cnt_base_ns;
		if (ns < best)
			best = ns;
	}
	return best;
}

/*
 * CNTFRQ/CNTPCT/CNTVCT and CNTP_* / CNTV_* (op0 = 3, op1 = 3, CRn = 14). Returns 0 if done,
 * -1 if UNDEFINED (unknown register, or EL0 access that CNTKCTL_EL1 does not allow).
 */
int a64_timer_sysreg(struct a64_cpu *cpu, uint32_t key, bool read, uint64_t *val)
{
	unsigned crm = (key >> 3) & 15, op2 = key & 7;
	bool el0 = cpu->el == 0;
	uint64_t k = cpu->cntkctl;

	if (crm == 0) {
		if (!read)
			return -1;
		switch (op2) {
		case 0: /* CNTFRQ_EL0 */
			if (el0 && !(k & 3))
				return -1;
			*val = A64_CNTFRQ;
			return 0;
		case 1: /* CNTPCT_EL0 */
		case 2: /* CNTVCT_EL0 */
			if (el0 && !(k & (op2 == 1 ? 1 : 2)))
				return -1;
			*val = a64_counter(cpu);
			return 0;
		}
		return -1;
	}
	if ((crm != 2 && crm != 3) || op2 > 2)
		return -1;
	int i = crm == 2 ? 0 : 1;
	if (el0 && !(k & (i == 0 ? (1u << 9) : (1u << 8)))) /* EL0PTEN, EL0VTEN */
		return -1;
	struct a64_timer *t = &cpu->timer[i];
	uint64_t cnt = a64_counter(cpu);
	if (read) {
		switch (op2) {
		case 0: *val = (uint64_t)(int64_t)(int32_t)(uint32_t)(t->cval - cnt) & 0xffffffffULL; break;
		case 1: *val = (t->ctl & 3) | (timer_fired(t, cnt) ? CTL_ISTATUS : 0); break;
		default: *val = t->cval; break;
		}
		return 0;
	}
	switch (op2) {
	case 0: t->cval = cnt + (uint64_t)(int64_t)(int32_t)*val; break;
	case 1: t->ctl = *val & 3; break;
	default: t->cval = *val; break;
	}
	a64_timer_update(cpu);
	a64_irq_check(cpu); /* the output may have raised an unmasked IRQ */
	return 0;
}
