/*
 * A64 CPU state, the memory-access slow paths behind the software TLB (translate, fill, MMIO
 * dispatch) and the CPU side of the board seam (arm64.h).
 */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdlib.h>

#include "arch/arm64/cpu.h"
#include "vmm/util.h"

void a64_tlb_flush(struct a64_cpu *cpu)
{
	for (unsigned m = 0; m < 2; m++)
		for (unsigned i = 0; i < A64_TLB_SIZE; i++) {
			cpu->tlb[m].r[i].tag = A64_TLB_INVALID;
			cpu->tlb[m].w[i].tag = A64_TLB_INVALID;
			cpu->tlb[m].x[i].tag = A64_TLB_INVALID;
		}
	cpu->fetch_page = A64_TLB_INVALID;
}

void a64_cpu_init(struct a64_cpu *cpu, const struct guest_mem *mem, const struct bus *mmio)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->mem = mem;
	cpu->mmio = mmio;
	pthread_mutex_init(&cpu->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cpu->cond, &ca);
	pthread_condattr_destroy(&ca);
	cpu->cnt_base_ns = now_ns();
	a64_cpu_reset(cpu, 0, 0);
}

/* Reset state (D1.9 and Linux booting.rst): EL1h, MMU and caches off, DAIF masked. */
void a64_cpu_reset(struct a64_cpu *cpu, uint64_t pc, uint64_t x0)
{
	memset(cpu->x, 0, sizeof(cpu->x));
	memset(&cpu->fp, 0, sizeof(cpu->fp));
	cpu->x[0] = x0;
	cpu->pc = pc;
	cpu->nzcv = 0;
	cpu->daif = PSTATE_DAIF;
	cpu->el = 1;
	cpu->spsel = 1;
	cpu->spidx = 1;
	cpu->sp_el[0] = cpu->sp_el[1] = 0;
	/* SCTLR_EL1 RES1 bits (29:28, 23:22, 20, 11) as QEMU resets them; M, C, I clear. */
	cpu->sctlr = 0x30d00800;
	cpu->tcr = cpu->ttbr0 = cpu->ttbr1 = cpu->mair = 0;
	cpu->cpacr = 0;
	cpu->excl_valid = false;
	cpu->timer[0] = cpu->timer[1] = (struct a64_timer){ 0 };
	a64_tlb_flush(cpu);
}

/* Translate or raise the abort; returns the physical address. */
static uint64_t translate_or_abort(struct a64_cpu *cpu, uint64_t va, int acc, unsigned mmu,
				   struct a64_walk *w)
{
	int fsc = a64_translate(cpu, va, acc, mmu, w);
	if (fsc)
		a64_abort(cpu, va, acc, fsc - 1, false);
	return w->pa;
}

/* Fill the TLB for the page of va if it is RAM; returns the host page or NULL (MMIO). */
static uint8_t *tlb_fill(struct a64_cpu *cpu, uint64_t va, int acc, unsigned mmu)
{
	struct a64_walk w;
	uint64_t pa = translate_or_abort(cpu, va, acc, mmu, &w);
	uint8_t *host = gmem_ptr(cpu->mem, pa & A64_PAGE_MASK, 4096);
	if (!host)
		return NULL;
	/* SCTLR.A makes every unaligned access fault: keep such pages out of the fast path. */
	if (cpu->sctlr & SCTLR_A)
		return host;
	uint64_t page = va & A64_PAGE_MASK;
	struct a64_tlb_entry *e = acc == A64_ACC_WRITE ? &cpu->tlb[mmu].w[(va >> 12) & (A64_TLB_SIZE - 1)]
						   : &cpu->tlb[mmu].r[(va >> 12) & (A64_TLB_SIZE - 1)];
	e->tag = page;
	e->addend = (uintptr_t)host - page;
	return host;
}

void *a64_host_ptr(struct a64_cpu *cpu, uint64_t va, unsigned size, int acc, unsigned mmu)
{
	if ((va & 0xfff) + size > 4096) {
		tlb_fill(cpu, va + size - 1, acc, mmu);
		size = 4096 - (va & 0xfff);
	}
	uint8_t *host = tlb_fill(cpu, va, acc, mmu);
	return host ? host + (va & 0xfff) : NULL;
}

static uint64_t read_bytewise(struct a64_cpu *cpu, uint64_t va, unsigned size, unsigned mmu)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= a64_read_slow(cpu, va + i, 1, mmu, false) << (8 * i);
	return v;
}

uint64_t a64_read_slow(struct a64_cpu *cpu, uint64_t va, unsigned size, unsigned mmu, bool excl)
{
	if ((cpu->sctlr & SCTLR_A) && (va & (size - 1)))
		a64_abort(cpu, va, A64_ACC_READ, FSC_ALIGNMENT, false);
	if ((va & 0xfff) + size > 4096) {
		/* Crossing pages: both translations must succeed before anything is returned. */
		a64_host_ptr(cpu, va, size, A64_ACC_READ, mmu);
		return read_bytewise(cpu, va, size, mmu);
	}
	uint8_t *host = tlb_fill(cpu, va, A64_ACC_READ, mmu);
	uint64_t v = 0;
	if (host) {
		memcpy(&v, host + (va & 0xfff), size); /* in the page: checked above */
		return v;
	}
	struct a64_walk w;
	uint64_t pa = translate_or_abort(cpu, va, A64_ACC_READ, mmu, &w);
	if (va & (size - 1)) /* Device memory: unaligned accesses fault (B2.7.2) */
		a64_abort(cpu, va, A64_ACC_READ, FSC_ALIGNMENT, false);
	bus_read(cpu->mmio, pa, &v, size);
	return v;
}

void a64_write_slow(struct a64_cpu *cpu, uint64_t va, uint64_t val, unsigned size, unsigned mmu,
		    bool excl)
{
	if ((cpu->sctlr & SCTLR_A) && (va & (size - 1)))
		a64_abort(cpu, va, A64_ACC_WRITE, FSC_ALIGNMENT, false);
	if ((va & 0xfff) + size > 4096) {
		a64_host_ptr(cpu, va, size, A64_ACC_WRITE, mmu);
		for (unsigned i = 0; i < size; i++)
			a64_write_slow(cpu, va + i, val >> (8 * i), 1, mmu, false);
		return;
	}
	uint8_t *host = tlb_fill(cpu, va, A64_ACC_WRITE, mmu);
	if (host) {
		memcpy(host + (va & 0xfff), &val, size); /* in the page: checked above */
		return;
	}
	struct a64_walk w;
	uint64_t pa = translate_or_abort(cpu, va, A64_ACC_WRITE, mmu, &w);
	if (va & (size - 1))
		a64_abort(cpu, va, A64_ACC_WRITE, FSC_ALIGNMENT, false);
	bus_write(cpu->mmio, pa, &val, size);
}

void a64_fetch_refill(struct a64_cpu *cpu, uint64_t pc)
{
	struct a64_walk w;
	unsigned mmu = a64_mmu_idx(cpu);
	uint64_t page = pc & A64_PAGE_MASK;
	struct a64_tlb_entry *e = &cpu->tlb[mmu].x[(pc >> 12) & (A64_TLB_SIZE - 1)];
	if (e->tag == page) {
		cpu->fetch_page = page;
		cpu->fetch_host = (const uint8_t *)(page + e->addend);
		return;
	}
	int fsc = a64_translate(cpu, pc, A64_ACC_EXEC, mmu, &w);
	if (fsc)
		a64_abort(cpu, pc, A64_ACC_EXEC, fsc - 1, false);
	const uint8_t *host = gmem_ptr(cpu->mem, w.pa & A64_PAGE_MASK, 4096);
	if (!host) {
		/* Executing from MMIO or unmapped space: a synchronous external abort. */
		log_guest("arm64: instruction fetch from non-RAM address pa=0x%" PRIx64 " (pc=0x%" PRIx64 ")",
			  w.pa, pc);
		a64_abort(cpu, pc, A64_ACC_EXEC, FSC_SYNC_EXT, false);
	}
	cpu->fetch_page = page;
	cpu->fetch_host = host;
	e->tag = page;
	e->addend = (uintptr_t)host - page;
}

void a64_disas(struct a64_cpu *cpu, uint64_t pc, uint32_t insn, char *buf, size_t len)
{
	csh h;
	cs_insn *ci;
	snprintf(buf, len, ".inst 0x%08x", insn);
	if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) != CS_ERR_OK)
		return;
	if (cs_disasm(h, (const uint8_t *)&insn, 4, pc, 1, &ci) == 1) {
		snprintf(buf, len, "%s %s", ci->mnemonic, ci->op_str);
		cs_free(ci, 1);
	}
	cs_close(&h);
}

/* --- the seam (arm64.h) --- */

void a64_cpu_set_irq(struct a64_cpu *cpu, int level)
{
	pthread_mutex_lock(&cpu->lock);
	atomic_store(&cpu->irq_level, level);
	if (level) {
		/* A running slice must notice it now, not up to a whole slice later. */
		atomic_store(&cpu->attention, true);
		pthread_cond_broadcast(&cpu->cond);
	}
	pthread_mutex_unlock(&cpu->lock);
}

uint64_t a64_cpu_get_x(const struct a64_cpu *cpu, unsigned n)
{
	return n < 31 ? cpu->x[n] : 0;
}

void a64_cpu_set_x(struct a64_cpu *cpu, unsigned n, uint64_t value)
{
	if (n < 31)
		cpu->x[n] = value;
}
