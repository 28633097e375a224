/*
 * Runtime of the bare-metal aarch64 test guests: PL011 output, a small printf, PSCI calls over
 * HVC, exception hooks and checks that print "ok - ..." / "FAIL - ..." lines. The same image runs
 * under minivmm and QEMU's virt board, whose outputs the tests compare.
 */
#ifndef RT_H
#define RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_BASE     0x09000000UL
#define GICD_BASE     0x08000000UL
#define GICC_BASE     0x08010000UL

#define PSCI_VERSION           0x84000000u
#define PSCI_CPU_OFF           0x84000002u
#define PSCI_CPU_ON            0xc4000003u
#define PSCI_AFFINITY_INFO     0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF        0x84000008u

/* ESR_EL1 (ARM ARM D17.2.37) */
#define ESR_EC(esr)   (((esr) >> 26) & 0x3f)
#define ESR_IL        (1u << 25)
#define ESR_ISS(esr)  ((esr) & 0x1ffffff)
#define EC_UNKNOWN    0x00
#define EC_SVC64      0x15
#define EC_IABT_CUR   0x21
#define EC_DABT_CUR   0x25
#define EC_BRK        0x3c

struct rt_frame {
	uint64_t x[31];
	uint64_t elr, spsr;
	uint64_t pad;
};

/* Exception hooks: return true when handled (the frame may be edited: ELR, registers). */
extern bool (*rt_sync_hook)(struct rt_frame *f, uint64_t esr, uint64_t far);
extern void (*rt_irq_hook)(struct rt_frame *f);

void rt_putc(char c);
void rt_puts(const char *s);
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* check(cond, fmt...): print "ok - <what>" or "FAIL - <what>" and count failures */
extern int rt_failures;
void rt_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CHECK_EQ(got, want, what)                                                          \
	rt_check((uint64_t)(got) == (uint64_t)(want), "%s (got 0x%llx, want 0x%llx)", what,   \
		 (unsigned long long)(got), (unsigned long long)(want))

int64_t rt_psci(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
/* "RESULT: PASS" or "RESULT: FAIL n", then PSCI SYSTEM_OFF */
void rt_exit(void) __attribute__((noreturn));

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void mmio_write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }

#define read_sysreg(r) ({ uint64_t v__; __asm__ volatile("mrs %0, " #r : "=r"(v__)); v__; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)))
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(o) __asm__ volatile("dsb " #o ::: "memory")

/* rt_mmu.c: identity map (device below 1 GiB, normal RAM 1-2 GiB), optional L3 test pages */
#define PTE_VALID   (1ull << 0)
#define PTE_TABLE   (1ull << 1)   /* table (L0-L2) or page (L3) */
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_AP_RO   (1ull << 7)
#define PTE_SH_IS   (3ull << 8)
#define PTE_AF      (1ull << 10)
#define PTE_PXN     (1ull << 53)
#define PTE_UXN     (1ull << 54)
#define PTE_NORMAL  (PTE_ATTR(1) | PTE_SH_IS | PTE_AF)

/* Build the tables and turn the MMU on; the L3 table maps the 2 MiB at l3_base (0: none). */
void mmu_enable(uint64_t l3_base);
/* The L3 entry for va inside the 2 MiB at l3_base. */
uint64_t *mmu_l3_entry(uint64_t va);
void mmu_flush_va(uint64_t va);
/* TTBR1 alias of RAM: high VA for a RAM physical address */
uint64_t mmu_high_alias(uint64_t pa);

#endif
