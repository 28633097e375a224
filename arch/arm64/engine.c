/*
 * The "interp" engine: runs aarch64 guests on the A64 interpreter. A vCPU executes slices of
 * guest instructions; between slices it updates the generic timer, delivers a pending IRQ
 * (masked by PSTATE.I), and notices exit requests. A raised IRQ or a kick sets cpu->attention,
 * which ends the running slice at the next instruction boundary (a64_exec clears it on entry).
 * WFI with nothing pending sleeps on a condition variable until the next timer deadline, an IRQ
 * (a64_cpu_set_irq) or a kick.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "arch/arm64/cpu.h"
#include "vmm/machine.h"
#include "vmm/util.h"

#pragma weak arm64_board_attach_cpu

/* Instructions per slice: ~0.1 ms at 100 MIPS, the latency of the generic timer's deadline. */
#define SLICE 16384

static int interp_vm_create(struct machine *m)
{
	return 0;
}

static int interp_vcpu_create(struct vcpu *v)
{
	struct machine *m = v->m;
	struct a64_cpu *cpu = aligned_alloc(64, ALIGN_UP(sizeof(*cpu), 64));
	if (!cpu) {
		log_error("interp: cannot allocate vCPU %d state: out of memory", v->index);
		return -ENOMEM;
	}
	a64_cpu_init(cpu, &m->mem, &m->mmio);
	cpu->m = m;
	cpu->index = v->index;
	cpu->debug = m->cfg->debug;
	a64_cpu_reset(cpu, m->boot.entry, m->boot.x0);
	if (!arm64_board_attach_cpu) {
		log_error("interp: this build has no arm64 board to attach vCPU %d to", v->index);
		free(cpu);
		return -ENODEV;
	}
	arm64_board_attach_cpu(m, cpu, v->index, &cpu->plat);
	v->engine_data = cpu;
	return 0;
}

static void wfi_sleep(struct a64_cpu *cpu, struct machine *m)
{
	uint64_t deadline = a64_timer_deadline_ns(cpu);
	pthread_mutex_lock(&cpu->lock);
	while (!atomic_load(&cpu->irq_level) && !atomic_load(&cpu->kicked) &&
	       !machine_exit_requested(m)) {
		if (deadline == UINT64_MAX) {
			pthread_cond_wait(&cpu->cond, &cpu->lock);
			continue;
		}
		if (now_ns() >= deadline)
			break;
		struct timespec ts = { .tv_sec = deadline / 1000000000ULL,
				       .tv_nsec = deadline % 1000000000ULL };
		pthread_cond_timedwait(&cpu->cond, &cpu->lock, &ts);
	}
	atomic_store(&cpu->kicked, false);
	pthread_mutex_unlock(&cpu->lock);
}

static void interp_vcpu_run(struct vcpu *v)
{
	struct machine *m = v->m;
	struct a64_cpu *cpu = v->engine_data;
	uint64_t start = now_ns(), sleeps = 0, irqs = 0;

	while (!machine_exit_requested(m)) {
		a64_timer_update(cpu);
		if (atomic_load_explicit(&cpu->irq_level, memory_order_relaxed)) {
			cpu->halted = false; /* WFI wakes on a pending IRQ even when it is masked */
			if (!(cpu->daif & PSTATE_I)) {
				cpu->pc = a64_take_irq(cpu, cpu->pc);
				irqs++;
			}
		}
		if (cpu->halted) {
			/* Timer expiry raises the IRQ line at the top of the loop, ending WFI. */
			wfi_sleep(cpu, m);
			sleeps++;
			continue;
		}
		a64_exec(cpu, SLICE);
	}
	v->exits = irqs;
	double secs = (now_ns() - start) / 1e9;
	const char *stats = getenv("MINIVMM_STATS");
	if (m->cfg->debug || (stats && *stats && strcmp(stats, "0")))
		log_info("interp: %" PRIu64 " instructions, %.1f MIPS (%.2f s, %" PRIu64
			 " slices, %" PRIu64 " IRQs, %" PRIu64 " WFI sleeps)", cpu->icount,
			 secs > 0 ? cpu->icount / secs / 1e6 : 0.0, secs, cpu->slices, irqs, sleeps);
}

static void interp_vcpu_kick(struct vcpu *v)
{
	struct a64_cpu *cpu = v->engine_data;
	if (!cpu)
		return;
	pthread_mutex_lock(&cpu->lock);
	atomic_store(&cpu->kicked, true);
	atomic_store(&cpu->attention, true);
	pthread_cond_broadcast(&cpu->cond);
	pthread_mutex_unlock(&cpu->lock);
}

static void interp_vcpu_dump(struct vcpu *v, FILE *out)
{
	struct a64_cpu *cpu = v->engine_data;
	if (!cpu)
		return;
	for (int i = 0; i < 31; i++)
		fprintf(out, "x%-2d=%016" PRIx64 "%s", i, cpu->x[i], i % 4 == 3 ? "\n" : " ");
	fprintf(out, " sp=%016" PRIx64 "\n", a64_sp(cpu));
	fprintf(out, "pc=%016" PRIx64 " pstate=%08x (EL%u%c, NZCV=%x, DAIF=%x)\n", cpu->pc,
		a64_pstate(cpu), cpu->el, cpu->spsel ? 'h' : 't', cpu->nzcv >> 28, cpu->daif >> 6);
	fprintf(out, "sp_el0=%016" PRIx64 " sp_el1=%016" PRIx64 "\n", cpu->sp_el[0], cpu->sp_el[1]);
	fprintf(out, "esr=%016" PRIx64 " far=%016" PRIx64 " elr=%016" PRIx64 " spsr=%016" PRIx64 "\n",
		cpu->esr, cpu->far, cpu->elr, cpu->spsr);
	fprintf(out, "sctlr=%016" PRIx64 " tcr=%016" PRIx64 " ttbr0=%016" PRIx64 " ttbr1=%016" PRIx64
		" vbar=%016" PRIx64 "\n", cpu->sctlr, cpu->tcr, cpu->ttbr0, cpu->ttbr1, cpu->vbar);
	fprintf(out, "instructions retired: %" PRIu64 "\n", cpu->icount);
	struct a64_walk w;
	if (!a64_translate(cpu, cpu->pc, A64_ACC_EXEC, a64_mmu_idx(cpu), &w)) {
		uint32_t insn;
		if (gmem_read(cpu->mem, w.pa, &insn, 4)) {
			char text[96];
			a64_disas(cpu, cpu->pc, insn, text, sizeof(text));
			fprintf(out, "at pc: %08x  %s\n", insn, text);
		}
	}
}

static void interp_vm_destroy(struct machine *m)
{
	for (int i = 0; i < m->nr_vcpus; i++) {
		free(m->vcpus[i].engine_data);
		m->vcpus[i].engine_data = NULL;
	}
}

const struct engine interp_engine = {
	.name = "interp",
	.vm_create = interp_vm_create,
	.vcpu_create = interp_vcpu_create,
	.vcpu_run = interp_vcpu_run,
	.vcpu_kick = interp_vcpu_kick,
	.vcpu_dump = interp_vcpu_dump,
	.vm_destroy = interp_vm_destroy,
};
