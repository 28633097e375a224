/*
 * Application processor start-up for the smp guest. ap_trampoline is copied to a page below
 * 1 MiB; a STARTUP IPI with that page's number starts each AP there in real mode (CS = page << 8,
 * IP = 0; Intel MP spec B.4). It loads the guest's GDT, enters protected mode and jumps to
 * ap_entry32, which counts itself in and records its local APIC ID and the initial APIC ID CPUID
 * reports, then halts.
 */
	.section .text, "ax"
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_gdt_desc - ap_trampoline
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $ap_entry32
	.balign 8
ap_gdt_desc:
	.word ap_gdt_end - ap_gdt - 1
	.long ap_gdt
ap_trampoline_end:

	.code32
ap_entry32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $1, %ecx
	lock xaddl %ecx, ap_count       /* ecx = this AP's index */
	cmpl $63, %ecx
	ja 1f
	movl %ecx, %esi
	movl 0xfee00020, %eax           /* local APIC ID register, bits 31:24 */
	shrl $24, %eax
	movl %eax, ap_apic_ids(, %esi, 4)
	movl $1, %eax                   /* CPUID.1:EBX[31:24]: initial APIC ID, must match */
	cpuid
	shrl $24, %ebx
	movl %ebx, ap_cpuid_ids(, %esi, 4)
1:	cli
	hlt
	jmp 1b

	.section .rodata
	.balign 8
ap_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff        /* 0x10: data */
ap_gdt_end:

	.section .bss
	.balign 4
	.globl ap_count, ap_apic_ids, ap_cpuid_ids
ap_count: .space 4
ap_apic_ids: .space 64 * 4
ap_cpuid_ids: .space 64 * 4
