/*
 * The A64 interpreter's private state and internal interfaces (EL0/EL1 only, ARMv8.0-A integer
 * ISA plus what Linux needs from the system space). The board never includes this file.
 *
 * Files: cpu.c (state, memory access slow paths, seam functions), interp.c (fetch loop and the
 * full decoder for data processing and branches), dispatch.c (the bits 31:21 dispatch table and
 * specialised handlers for the commonest instructions), interp_ops.h (inline helpers both use),
 * interp_ldst.c (loads/stores incl. SIMD&FP), sysreg.c (MRS/MSR and system instructions),
 * exception.c, mmu.c (stage-1 walk, AT), timer.c, engine.c.
 *
 * The CPU core runs without a machine (unit and differential tests): it needs only a guest_mem
 * and an MMIO bus, see a64_cpu_init().
 */
#ifndef MINIVMM_ARM64_CPU_H
#define MINIVMM_ARM64_CPU_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/fpsimd.h"
#include "vmm/bus.h"
#include "vmm/mem.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Software TLB: direct-mapped, one array per access kind and translation regime user. */
#define A64_TLB_BITS 10
#define A64_TLB_SIZE (1u << A64_TLB_BITS)
#define A64_PAGE_MASK (~0xfffULL)
#define A64_TLB_INVALID 1ULL /* never equals a page-aligned tag */

struct a64_tlb_entry {
	uint64_t tag;      /* virtual page address, or A64_TLB_INVALID */
	uintptr_t addend;  /* host pointer = va + addend */
};

struct a64_tlb {
	struct a64_tlb_entry r[A64_TLB_SIZE], w[A64_TLB_SIZE], x[A64_TLB_SIZE];
};

/* Memory-access context: which privilege the permission checks use (LDTR/STTR at EL1 use EL0). */
enum { A64_MMU_EL1 = 0, A64_MMU_EL0 = 1 };

/* Access kinds for translation. */
enum { A64_ACC_READ = 0, A64_ACC_WRITE = 1, A64_ACC_EXEC = 2 };

/* PSTATE bits as they appear in SPSR/NZCV/DAIF (ARM ARM C5.2.18). */
#define PSTATE_N (1u << 31)
#define PSTATE_Z (1u << 30)
#define PSTATE_C (1u << 29)
#define PSTATE_V (1u << 28)
#define PSTATE_D (1u << 9)
#define PSTATE_A (1u << 8)
#define PSTATE_I (1u << 7)
#define PSTATE_F (1u << 6)
#define PSTATE_DAIF (PSTATE_D | PSTATE_A | PSTATE_I | PSTATE_F)
#define PSTATE_IL (1u << 20)

/* SCTLR_EL1 bits we act on. */
#define SCTLR_M (1ULL << 0)
#define SCTLR_A (1ULL << 1)
#define SCTLR_SA0 (1ULL << 4)
#define SCTLR_SA (1ULL << 3)
#define SCTLR_UMA (1ULL << 9)
#define SCTLR_DZE (1ULL << 14)
#define SCTLR_UCT (1ULL << 15)
#define SCTLR_WXN (1ULL << 19)
#define SCTLR_UCI (1ULL << 26)

/* Exception classes (ESR_ELx.EC, ARM ARM D17.2.37). */
enum {
	EC_UNKNOWN = 0x00,
	EC_WFX = 0x01,
	EC_FP_ACCESS = 0x07,
	EC_ILLEGAL_STATE = 0x0e,
	EC_SVC64 = 0x15,
	EC_HVC64 = 0x16,
	EC_SMC64 = 0x17,
	EC_SYSREG = 0x18,
	EC_IABT_LOWER = 0x20,
	EC_IABT_CUR = 0x21,
	EC_PC_ALIGN = 0x22,
	EC_DABT_LOWER = 0x24,
	EC_DABT_CUR = 0x25,
	EC_SP_ALIGN = 0x26,
	EC_BRK64 = 0x3c,
};

/* Fault status codes (DFSC/IFSC). Level-indexed ones take "| level". */
enum {
	FSC_ADDR_SIZE = 0x00,
	FSC_TRANSLATION = 0x04,
	FSC_ACCESS_FLAG = 0x08,
	FSC_PERMISSION = 0x0c,
	FSC_SYNC_EXT = 0x10,
	FSC_ALIGNMENT = 0x21,
};

/* Exception vector offsets from VBAR_EL1 (D1.10.2). */
enum { VEC_SYNC = 0x000, VEC_IRQ = 0x080, VEC_FIQ = 0x100, VEC_SERROR = 0x180 };

struct a64_timer {
	uint64_t ctl, cval;
	int level;              /* last level reported to the platform */
};

struct a64_cpu {
	/* Hot state first. x[31] is always 0: it is XZR for every reader; writers skip it. */
	uint64_t x[32];
	uint64_t pc;
	uint32_t nzcv;          /* N,Z,C,V in bits 31:28 */
	uint32_t daif;          /* D,A,I,F in bits 9:6 */
	unsigned el;            /* 0 or 1 */
	unsigned spsel;         /* PSTATE.SP */
	unsigned spidx;         /* which sp_el[] is SP now: spsel ? el : 0 */
	uint64_t sp_el[2];
	int64_t budget;         /* instructions left in this run slice; 0 ends it early */
	/*
	 * Set by other threads (IRQ raised, kick) to end the running slice at the next instruction
	 * boundary; a64_exec clears it on entry and then checks irq_level itself.
	 */
	_Atomic bool attention;

	/* Fetch cache: the host address of the current code page. */
	uint64_t fetch_page;    /* virtual page of the cached fetch pointer, or A64_TLB_INVALID */
	const uint8_t *fetch_host;

	struct a64_tlb tlb[2];  /* [A64_MMU_EL1], [A64_MMU_EL0] */

	struct a64_fpsimd fp;

	/* System registers (EL1 and EL0 views). */
	uint64_t sctlr, tcr, ttbr0, ttbr1, mair, amair, vbar, esr, far, elr, spsr;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, contextidr, cpacr, par, cntkctl, csselr;
	uint64_t afsr0, afsr1, mdscr;
	struct a64_timer timer[2];      /* 0 = physical, 1 = virtual (arm64.h numbering) */
	uint64_t cnt_base_ns;           /* host CLOCK_MONOTONIC at counter zero */

	/* Exclusive monitor (single CPU: local monitor only, B2.9). */
	bool excl_valid;
	uint64_t excl_addr;
	unsigned excl_size;

	/* Memory: RAM through gmem_ptr(), the rest through the MMIO bus. */
	const struct guest_mem *mem;
	const struct bus *mmio;

	/* Machine glue (NULL when the core runs standalone in tests). */
	struct machine *m;
	struct a64_platform plat;
	int index;
	bool debug;
	bool halted;            /* in WFI */
	_Atomic int irq_level;
	_Atomic bool kicked;
	pthread_mutex_t lock;
	pthread_cond_t cond;

	uint64_t icount;        /* instructions retired */
	uint64_t slices;        /* run slices (a64_exec calls), for the statistics */
	jmp_buf *fault_jmp;     /* where a faulting access unwinds to (see a64_exec) */
};

/* cpu.c */
void a64_cpu_init(struct a64_cpu *cpu, const struct guest_mem *mem, const struct bus *mmio);
void a64_cpu_reset(struct a64_cpu *cpu, uint64_t pc, uint64_t x0);
void a64_tlb_flush(struct a64_cpu *cpu);
uint64_t a64_read_slow(struct a64_cpu *cpu, uint64_t va, unsigned size, unsigned mmu, bool excl);
void a64_write_slow(struct a64_cpu *cpu, uint64_t va, uint64_t val, unsigned size, unsigned mmu,
		    bool excl);
void a64_fetch_refill(struct a64_cpu *cpu, uint64_t pc);
/* Host pointer for a whole access [va, va+size) in one RAM page (write or read), or NULL. */
void *a64_host_ptr(struct a64_cpu *cpu, uint64_t va, unsigned size, int acc, unsigned mmu);
void a64_disas(struct a64_cpu *cpu, uint64_t pc, uint32_t insn, char *buf, size_t len);

static inline unsigned a64_mmu_idx(const struct a64_cpu *cpu)
{
	return cpu->el ? A64_MMU_EL1 : A64_MMU_EL0;
}

static inline uint64_t a64_ld(struct a64_cpu *cpu, uint64_t va, unsigned size, unsigned mmu)
{
	struct a64_tlb_entry *e = &cpu->tlb[mmu].r[(va >> 12) & (A64_TLB_SIZE - 1)];
	if (likely(e->tag == (va & A64_PAGE_MASK)) && likely((va & 0xfff) <= 4096 - size)) {
		/* The TLB only holds pages wholly in one RAM region; the access stays in the page. */
		const void *p = (const void *)(uintptr_t)(va + e->addend);
		switch (size) {
		case 1: return *(const uint8_t *)p;
		case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
		case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
		default: { uint64_t v; memcpy(&v, p, 8); return v; }
		}
	}
	return a64_read_slow(cpu, va, size, mmu, false);
}

static inline void a64_st(struct a64_cpu *cpu, uint64_t va, uint64_t val, unsigned size,
			  unsigned mmu)
{
	struct a64_tlb_entry *e = &cpu->tlb[mmu].w[(va >> 12) & (A64_TLB_SIZE - 1)];
	if (likely(e->tag == (va & A64_PAGE_MASK)) && likely((va & 0xfff) <= 4096 - size)) {
		void *p = (void *)(uintptr_t)(va + e->addend); /* in one RAM page, as above */
		switch (size) {
		case 1: *(uint8_t *)p = val; return;
		case 2: { uint16_t v = val; memcpy(p, &v, 2); return; }
		case 4: { uint32_t v = val; memcpy(p, &v, 4); return; }
		default: memcpy(p, &val, 8); return;
		}
	}
	a64_write_slow(cpu, va, val, size, mmu, false);
}

static inline uint64_t a64_sp(const struct a64_cpu *cpu)
{
	return cpu->sp_el[cpu->spidx];
}

static inline void a64_set_sp(struct a64_cpu *cpu, uint64_t v)
{
	cpu->sp_el[cpu->spidx] = v;
}

/*
 * End the current run slice after this instruction (PSTATE or timer changed: the run loop must
 * look at interrupts). icount was credited for the whole slice up front; take back the rest.
 */
static inline void a64_end_slice(struct a64_cpu *cpu)
{
	cpu->icount -= cpu->budget;
	cpu->budget = 0;
}

/* PSTATE.I or the IRQ line changed: end the slice only if an IRQ can now be taken. */
static inline void a64_irq_check(struct a64_cpu *cpu)
{
	if (atomic_load_explicit(&cpu->irq_level, memory_order_relaxed) && !(cpu->daif & PSTATE_I))
		a64_end_slice(cpu);
}

/* interp.c: execute up to n instructions (fewer if something ends the slice). */
void a64_exec(struct a64_cpu *cpu, int64_t n);
/* interp.c: the full decoder for one instruction, and its load/store part; return the next PC. */
uint64_t a64_exec_one(struct a64_cpu *cpu, uint32_t insn, uint64_t pc);
uint64_t a64_exec_ldst_fast(struct a64_cpu *cpu, uint32_t insn, uint64_t pc);

/*
 * dispatch.c: one handler per value of instruction bits 31:21, built once at startup; the
 * commonest integer instructions have specialised handlers, the rest the full decoder.
 */
typedef uint64_t (*a64_handler)(struct a64_cpu *cpu, uint32_t insn, uint64_t pc);
extern a64_handler a64_dispatch[2048];

/* interp_ldst.c: the load/store encoding space; returns the next PC. */
uint64_t a64_exec_ldst(struct a64_cpu *cpu, uint32_t insn, uint64_t pc);

/* sysreg.c: the system space (MRS/MSR/SYS/hints/barriers); returns the next PC. */
uint64_t a64_exec_system(struct a64_cpu *cpu, uint32_t insn, uint64_t pc);
/* Is FP/SIMD usable at the current EL (CPACR_EL1.FPEN)? If not, returns the trap's vector PC. */
bool a64_fp_enabled(const struct a64_cpu *cpu);

/* exception.c: all return the PC to continue at (the vector). */
uint64_t a64_take_sync(struct a64_cpu *cpu, uint64_t pc, uint32_t ec, uint32_t iss);
uint64_t a64_take_undef(struct a64_cpu *cpu, uint64_t pc, uint32_t insn);
uint64_t a64_take_irq(struct a64_cpu *cpu, uint64_t pc);
uint64_t a64_eret(struct a64_cpu *cpu);
void a64_set_el_sp(struct a64_cpu *cpu, unsigned el, unsigned spsel);
uint32_t a64_pstate(const struct a64_cpu *cpu);
/* A data/instruction abort from a memory access: never returns (unwinds to a64_exec). */
__attribute__((noreturn)) void a64_abort(struct a64_cpu *cpu, uint64_t va, int acc, uint32_t fsc,
					 bool cm);
/* Raise a synchronous exception from deep inside an instruction (unwinds to a64_exec). */
__attribute__((noreturn)) void a64_raise(struct a64_cpu *cpu, uint32_t ec, uint32_t iss);

/* A load/store base register: SP as base must be 16-byte aligned if SCTLR.SA/SA0 (D1.8.2). */
static inline uint64_t a64_ldst_base(struct a64_cpu *cpu, unsigned rn)
{
	if (rn != 31)
		return cpu->x[rn];
	uint64_t sp = a64_sp(cpu);
	if (unlikely(sp & 15) && (cpu->sctlr & (cpu->el ? SCTLR_SA : SCTLR_SA0)))
		a64_raise(cpu, EC_SP_ALIGN, 0);
	return sp;
}

/* mmu.c: translate va for acc at privilege mmu; 0 and *pa, or a fault status code + 1. */
struct a64_walk {
	uint64_t pa;
	uint64_t attr;          /* MAIR attribute byte of the final descriptor */
	bool writable, user;    /* for TLB fills */
};
int a64_translate(struct a64_cpu *cpu, uint64_t va, int acc, unsigned mmu, struct a64_walk *w);
void a64_at(struct a64_cpu *cpu, uint64_t va, int acc, unsigned mmu);

/* timer.c */
#define A64_CNT_SHIFT 4 /* counter = ns >> 4: 62.5 MHz, A64_CNTFRQ */
uint64_t a64_counter(const struct a64_cpu *cpu);
void a64_timer_update(struct a64_cpu *cpu);
uint64_t a64_timer_deadline_ns(const struct a64_cpu *cpu); /* host ns, UINT64_MAX: none */
int a64_timer_sysreg(struct a64_cpu *cpu, uint32_t key, bool read, uint64_t *val);

/* System register key: op0:op1:CRn:CRm:op2 as in MRS/MSR bits 20:5. */
#define SYSREG(op0, op1, crn, crm, op2) \
	(((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

#endif
