/*
 * PVH entry for the long-mode guest (an ELF64 image). We start like the 32-bit guests (flat
 * protected mode, paging off, EBX = hvm_start_info), then enter long mode ourselves (SDM Vol. 3
 * 10.8.5 "Initializing IA-32e Mode"): identity-map the low 8 GiB with 2 MiB pages (user-accessible,
 * so ring 3 can run from this image), CR4.PAE, CR3, EFER.LME, CR0.PG, a far jump to a 64-bit code
 * segment. Also here: the exception/interrupt/syscall entry stubs and the ring 3 round trip.
 *
 * GDT layout (selectors): 0x08 code32, 0x10 data, 0x18 kernel code64, 0x20 kernel data,
 * 0x28 user code32, 0x30 user data, 0x38 user code64, 0x40 TSS. SYSCALL takes CS/SS from
 * STAR[47:32] = 0x18 (SS 0x20); SYSRETQ from STAR[63:48] = 0x28 (CS 0x38|3, SS 0x30|3).
 */
#include "longmode.h"
#include "pvh-note.h"

	pvh_note _start, 8

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %ebx, %esi                 /* hvm_start_info, kept for guest_main */
	lgdt gdt64_desc
	ljmp $0x08, $1f
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	movl $stack_top, %esp
	movl $__bss_start, %edi         /* .bss holds the page tables: zero it first */
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	movl $pdpt + 0x7, pml4          /* present, writable, user */
	movl $pdpt, %edi
	movl $pd + 0x7, %eax
	movl $MAPPED_GIB, %ecx
2:	movl %eax, (%edi)               /* one page directory per GiB */
	addl $0x1000, %eax
	addl $8, %edi
	loop 2b
	movl $pd, %edi
	movl $0x87, %eax                /* present, writable, user, 2 MiB page */
	xorl %edx, %edx
	movl $MAPPED_GIB * 512, %ecx
3:	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	loop 3b

	movl %cr4, %eax
	orl $0x20, %eax                 /* CR4.PAE */
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax           /* CR0.PG (and PE) */
	movl %eax, %cr0
	ljmp $0x18, $start64

	.code64
start64:
	movl $0x20, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	leaq stack_top(%rip), %rsp
	movl %esi, %edi
	call guest_main
	movl $0x41, %edi                /* EXIT_FAIL: guest_main must not return */
	call guest_exit

/* Exception stubs 0..31: push a zero error code where the CPU pushes none, then the vector. */
.macro vec n
vec_\n:
	.if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
	pushq $0
	.endif
	pushq $\n
	jmp fault_common
.endm
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vec \n
	.endr

	.section .rodata
	.balign 8
	.globl exception_stubs
exception_stubs:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad vec_\n
	.endr

	.text
/* fault_report(frame) prints and exits unless the fault was one the ring 3 test expected. */
fault_common:
	movq %rsp, %rdi
	andq $-16, %rsp
	call fault_report
	jmp return_to_kernel

/*
 * uint64_t enter_user(void (*fn)(void), uint64_t user_rsp): iretq to fn in ring 3 (IF stays 0).
 * Returns the value the user code hands back through syscall/int $0x80 with rax = 2 (in rdi).
 */
	.globl enter_user
enter_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, kernel_saved_rsp(%rip)
	pushq $0x33                     /* SS: user data | RPL 3 */
	pushq %rsi                      /* RSP */
	pushq $0x2                      /* RFLAGS */
	pushq $0x3b                     /* CS: user code64 | RPL 3 */
	pushq %rdi                      /* RIP */
	iretq

return_to_kernel:                       /* rax = enter_user's return value */
	movq %cs, %rdx
	testb $3, %dl
	jz return_to_kernel_cpl0
	/*
	 * Still at CPL 3 in kernel code: a VMM that mishandled the way in (seen with SYSCALL on a
	 * software KVM). Record it and climb to CPL 0 through the DPL 3 gate 0x81 so the test goes on.
	 */
	movq %rdx, cpl3_in_kernel_cs(%rip)
	int $0x81
return_to_kernel_cpl0:
	movq kernel_saved_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* SYSCALL (LSTAR): rax 1 = count and sysretq back to ring 3; rax 2 = back to the kernel with rdi. */
	.globl syscall_entry
syscall_entry:
	cmpq $1, %rax
	jne 1f
	incq syscall_pings(%rip)
	sysretq
1:	movq %rdi, %rax
	jmp return_to_kernel

/* int $0x80 (a DPL 3 interrupt gate): the same protocol through the IDT, TSS.RSP0 and iretq. */
	.globl int80_entry
int80_entry:
	cmpq $1, %rax
	jne 1f
	incq int80_pings(%rip)
	iretq
1:	movq %rdi, %rax
	jmp return_to_kernel

/* int $0x81: only used by return_to_kernel above; lands at CPL 0 and drops the frame. */
	.globl int81_entry
int81_entry:
	jmp return_to_kernel_cpl0

/* Ring 3 programs. Each ends with rax = 2 and its result in rdi. */
	.globl user_syscall_prog
user_syscall_prog:
	movl $2, %eax
	movq %cs, %rdi                  /* proves we ran at CPL 3 */
	syscall
	ud2

	.globl user_sysret_prog
user_sysret_prog:
	movl $1, %eax
	syscall
	movl $1, %eax
	syscall
	movl $2, %eax
	movq %cs, %rdi
	syscall
	ud2

	.globl user_int80_prog
user_int80_prog:
	movl $1, %eax
	int $0x80
	movl $2, %eax
	movq %cs, %rdi
	int $0x80
	ud2

	/* Stores the TSC cycles of USER_LOOP_N dec/jnz iterations, then leaves through #GP (hlt). */
	.globl user_loop_prog
user_loop_prog:
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	movq %rdx, %rsi
	movl $USER_LOOP_N, %ecx
1:	decl %ecx
	jnz 1b
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	subq %rsi, %rdx
	movq %rdx, user_loop_cycles(%rip)
	hlt
	ud2

	.globl user_gp_prog                 /* hlt at CPL 3: #GP(0) into the kernel's IDT */
user_gp_prog:
	hlt
	ud2

	.globl kernel_loop                  /* uint64_t kernel_loop(void): the same loop at CPL 0 */
kernel_loop:
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	movq %rdx, %rsi
	movl $KERNEL_LOOP_N, %ecx
1:	decl %ecx
	jnz 1b
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	subq %rsi, %rdx
	movq %rdx, %rax
	ret

	.data
	.balign 16
	.globl gdt64
gdt64:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08 code32 */
	.quad 0x00cf92000000ffff        /* 0x10 data */
	.quad 0x00af9a000000ffff        /* 0x18 kernel code64 (L=1) */
	.quad 0x00cf92000000ffff        /* 0x20 kernel data */
	.quad 0x00cffa000000ffff        /* 0x28 user code32 (DPL 3) */
	.quad 0x00cff2000000ffff        /* 0x30 user data (DPL 3) */
	.quad 0x00affa000000ffff        /* 0x38 user code64 (DPL 3) */
	.quad 0, 0                      /* 0x40 TSS, filled in by longmode.c */
gdt64_end:
gdt64_desc:
	.word gdt64_end - gdt64 - 1
	.quad gdt64

	.globl syscall_pings, int80_pings, cpl3_in_kernel_cs
cpl3_in_kernel_cs: .quad 0
	.globl user_loop_cycles
user_loop_cycles: .quad 0
syscall_pings: .quad 0
int80_pings: .quad 0
kernel_saved_rsp: .quad 0

	.section .bss
	.balign 4096
pml4: .space 4096
pdpt: .space 4096
pd: .space MAPPED_GIB * 4096

	.section .stack, "aw", @nobits
	.balign 16
	.space 16384
stack_top:
