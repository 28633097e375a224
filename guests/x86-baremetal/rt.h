/*
 * Tiny runtime shared by the x86 bare-metal test guests: port and MMIO access, polled 16550 output
 * on COM1, a small printf, and the three ways out of a guest (QEMU isa-debug-exit on 0xf4, an
 * i8042 reset, a halt). Built for 32-bit protected mode (-m32) and for long mode (-m64).
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

/*
 * Values written to the debug-exit port; the VMM (and QEMU's isa-debug-exit) ends with
 * status (v << 1) | 1. Kept >= 0x40 so they never collide with the VMM's own codes (0, 1, 3, 124).
 */
#define EXIT_PASS 0x40  /* status 129 */
#define EXIT_FAIL 0x41  /* status 131 */

/* PVH boot: EBX points to this (xen/include/public/arch-x86/hvm/start_info.h). */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;      /* version >= 1 */
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
/* A pointer to a fixed physical address (no paging, or identity-mapped), hidden from GCC's
 * array-bounds analysis, which takes small constant addresses for null-pointer arithmetic. */
static inline void *phys_ptr(uintptr_t addr)
{
	__asm__("" : "+r"(addr));
	return (void *)addr;
}
static inline uint32_t mmio_read32(uintptr_t addr) { return *(volatile uint32_t *)addr; }
static inline uint8_t mmio_read8(uintptr_t addr) { return *(volatile uint8_t *)addr; }
static inline void mmio_write32(uintptr_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline void mmio_write8(uintptr_t addr, uint8_t v) { *(volatile uint8_t *)addr = v; }

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Serial console on COM1, polled (LSR.THRE) with a bound so a broken UART cannot hang us. */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
/* %s %c %d %u %x %p, with optional '0', width and 'l'/'ll' (64-bit) modifiers. */
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checks print "  ok   what" or "  FAIL what" and count failures for guest_finish(). */
extern unsigned guest_failures;
bool check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

__attribute__((noreturn)) void guest_exit(uint8_t v);
/* Prints "<name>: PASS" or "<name>: FAIL (n checks failed)" and exits with EXIT_PASS/EXIT_FAIL. */
__attribute__((noreturn)) void guest_finish(const char *name);
__attribute__((noreturn)) void i8042_reset(void);
__attribute__((noreturn)) void halt_forever(void);

/* The guest's entry, called by the assembly start code with EBX from the PVH boot. */
void guest_main(struct hvm_start_info *si);

/* 64-by-32-bit division for 32-bit guests (no libgcc): *v /= d, returns the remainder. */
uint32_t udivmod64(uint64_t *v, uint32_t d);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
