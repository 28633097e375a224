/*
 * longmode: 64-bit code after the entry code (entry64.S) built page tables and enabled IA-32e
 * mode. Checks the mode (EFER.LMA, CR0.PG, CR4.PAE, CS), 64-bit arithmetic, then goes to ring 3
 * and back (SDM Vol. 3 5.8.8 SYSCALL/SYSRET, 6.14 64-bit interrupt handling): iretq to CPL 3,
 * SYSCALL in and SYSRETQ out, int $0x80 through a DPL 3 gate and the TSS's RSP0, and a #GP from a
 * privileged instruction at CPL 3. Times the same dec/jnz loop at CPL 3 and CPL 0 with rdtsc.
 */
#include "longmode.h"
#include "rt.h"

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)

#define SEL_KCODE64 0x18
#define SEL_TSS 0x40

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type_attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

/* What fault_common leaves on the stack. */
struct fault_frame {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

extern uint64_t gdt64[];
extern const uint64_t exception_stubs[32];
extern uint64_t syscall_pings, int80_pings, cpl3_in_kernel_cs, user_loop_cycles;
extern void syscall_entry(void), int80_entry(void), int81_entry(void);
extern void user_syscall_prog(void), user_sysret_prog(void), user_int80_prog(void);
extern void user_loop_prog(void), user_gp_prog(void);
extern uint64_t enter_user(void (*fn)(void), uint64_t user_rsp);
extern uint64_t kernel_loop(void);

static struct tss64 tss;
static struct idt_gate idt[256];
static uint8_t kernel_irq_stack[8192] __attribute__((aligned(16)));
static int expected_vector = -1;
static bool in_user_test;
static struct fault_frame last_fault;
#define UNEXPECTED_FAULT 0xdeadull

/*
 * RAM above 4 GiB (the VMM maps what does not fit below the MMIO hole there): it must hold data
 * and be distinct memory, not an alias of low RAM at the same offset. Within our 8 GiB map.
 */
static void test_high_memory(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t base = 0, size = 0;

	for (uint32_t i = 0; si->version >= 1 && i < si->memmap_entries && i < 64; i++)
		if (e[i].type == 1 && e[i].addr >= (1ull << 32) && !base)
			base = e[i].addr, size = e[i].size;
	if (!base) {
		gprintf("longmode: no RAM above 4 GiB in the memory map (give more than 3 GiB to test it)\n");
		return;
	}
	if (base + size > (8ull << 30))
		size = (8ull << 30) - base;
	volatile uint64_t *low = (volatile uint64_t *)(uintptr_t)0x200000; /* free RAM above us */
	volatile uint64_t *hi_first = (volatile uint64_t *)(uintptr_t)(base + 0x200000);
	volatile uint64_t *hi_last = (volatile uint64_t *)(uintptr_t)(base + size - 8);

	*low = 0x1111111111111111ull;
	*hi_first = 0x2222222222222222ull;
	*hi_last = 0x3333333333333333ull;
	check(*hi_first == 0x2222222222222222ull && *hi_last == 0x3333333333333333ull,
	      "RAM above 4 GiB (0x%llx, %llu MiB) holds data at both ends", (unsigned long long)base,
	      (unsigned long long)(size >> 20));
	check(*low == 0x1111111111111111ull, "RAM above 4 GiB does not alias low RAM");
}

static void set_gate(unsigned vec, uint64_t handler, unsigned dpl)
{
	idt[vec] = (struct idt_gate){
		.off_lo = (uint16_t)handler, .sel = SEL_KCODE64, .ist = 0,
		.type_attr = (uint8_t)(0x8e | (dpl << 5)), /* present, 64-bit interrupt gate */
		.off_mid = (uint16_t)(handler >> 16), .off_hi = (uint32_t)(handler >> 32),
	};
}

/*
 * Called from fault_common. During a ring 3 test it returns (to enter_user's caller): the vector
 * for the expected fault, UNEXPECTED_FAULT otherwise so the next test still runs. Any other fault
 * ends the guest.
 */
uint64_t fault_report(const struct fault_frame *f)
{
	bool expected = (int)f->vector == expected_vector && (f->cs & 3) == 3;

	if (!expected)
		gprintf("longmode: exception %llu error 0x%llx at rip 0x%llx cs 0x%llx\n",
			(unsigned long long)f->vector, (unsigned long long)f->error,
			(unsigned long long)f->rip, (unsigned long long)f->cs);
	if (!in_user_test) {
		gprintf("longmode: FAIL unexpected exception in the kernel\n");
		guest_exit(EXIT_FAIL);
	}
	last_fault = *f;
	expected_vector = -1;
	return expected ? f->vector : UNEXPECTED_FAULT;
}

static uint64_t run_user(void (*prog)(void))
{
	static uint8_t user_stack[8192] __attribute__((aligned(16)));
	
	in_user_test = true;
	cpl3_in_kernel_cs = 0;
	uint64_t r = enter_user(prog, (uintptr_t)(user_stack + sizeof(user_stack)));
	in_user_test = false;
	check(!cpl3_in_kernel_cs, "back in the kernel at CPL 0 (CS 0x%llx on the way in)",
	      (unsigned long long)(cpl3_in_kernel_cs ? cpl3_in_kernel_cs : SEL_KCODE64));
	return r;
}

static void setup_ring3(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;

	tss.rsp[0] = (uintptr_t)(kernel_irq_stack + sizeof(kernel_irq_stack));
	tss.iomap_base = sizeof(tss);           /* no I/O bitmap: ports #GP at CPL 3 */
	/* 64-bit available TSS descriptor, 16 bytes (SDM Vol. 3 8.2.3). */
	gdt64[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			     (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt64[SEL_TSS / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, exception_stubs[v], 0);
	set_gate(0x80, (uintptr_t)int80_entry, 3);
	set_gate(0x81, (uintptr_t)int81_entry, 3);
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { sizeof(idt) - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (0x28ull << 48) | ((uint64_t)SEL_KCODE64 << 32));
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, 0x700);                /* clear TF, IF, DF on entry */
}

void guest_main(struct hvm_start_info *si)
{
	uint64_t cr0, cr4, efer = rdmsr(MSR_EFER);
	uint16_t cs;

	serial_init();
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	gprintf("longmode: 64-bit code running (EFER 0x%llx CR0 0x%llx CR4 0x%llx CS 0x%x)\n",
		(unsigned long long)efer, (unsigned long long)cr0, (unsigned long long)cr4, cs);
	check(efer & EFER_LMA, "EFER.LMA set: IA-32e mode active");
	check(efer & EFER_LME, "EFER.LME set");
	check((cr0 & 0x80000001) == 0x80000001, "CR0.PG and CR0.PE set");
	check(cr4 & 0x20, "CR4.PAE set");
	check(cs == SEL_KCODE64, "CS is the 64-bit code segment 0x%x", SEL_KCODE64);
	volatile uint64_t x = 0x123456789ull;
	check(x * 0x10 == 0x1234567890ull && (x << 28) >> 60 == 0x1, "64-bit arithmetic: 0x%llx",
	      (unsigned long long)(x * 0x10));
	check(si->magic == HVM_START_MAGIC, "hvm_start_info still readable through the page tables");
	test_high_memory(si);
	gprintf("longmode: 64-bit %s\n", guest_failures ? "FAIL" : "PASS");

	setup_ring3();
	gprintf("longmode: ring 3 round trips\n");
	uint64_t r = run_user(user_int80_prog);
	check(r == 0x3b, "ring 3 via iretq, back via int $0x80: user CS 0x%llx (want 0x3b)",
	      (unsigned long long)r);
	check(int80_pings == 1, "int $0x80 + iretq round trips: %llu (want 1)",
	      (unsigned long long)int80_pings);
	expected_vector = 13;
	r = run_user(user_gp_prog);
	check(r == 13 && last_fault.rip == (uintptr_t)user_gp_prog && last_fault.error == 0,
	      "hlt at CPL 3 raises #GP(0) at the hlt: vector %llu error 0x%llx rip 0x%llx",
	      (unsigned long long)last_fault.vector, (unsigned long long)last_fault.error,
	      (unsigned long long)last_fault.rip);
	r = run_user(user_syscall_prog);
	check(r == 0x3b, "ring 3 via iretq, back via syscall: user CS 0x%llx (want 0x3b)",
	      (unsigned long long)r);
	r = run_user(user_sysret_prog);
	check(r == 0x3b && syscall_pings == 2, "syscall + sysretq round trips: %llu (want 2), user CS 0x%llx",
	      (unsigned long long)syscall_pings, (unsigned long long)r);

	/* Exceptions from CPL 3 are the most portable way back (they work on a software KVM too). */
	expected_vector = 13;
	r = run_user(user_loop_prog);
	uint64_t user_cycles = user_loop_cycles;
	check(r == 13 && user_cycles, "dec/jnz loop ran at CPL 3 (%llu TSC cycles), left through #GP",
	      (unsigned long long)user_cycles);
	uint64_t kernel_cycles = kernel_loop();
	gprintf("longmode: loop cycles/iteration: cpl3 %llu.%02llu cpl0 %llu.%02llu\n",
		(unsigned long long)(user_cycles / USER_LOOP_N),
		(unsigned long long)(user_cycles * 100 / USER_LOOP_N % 100),
		(unsigned long long)(kernel_cycles / KERNEL_LOOP_N),
		(unsigned long long)(kernel_cycles * 100 / KERNEL_LOOP_N % 100));
	if (guest_failures == 0)
		gprintf("longmode: ring 3 PASS\n");
	guest_finish("longmode");
}
