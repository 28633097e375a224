/*
 * PVH entry for the 32-bit guests. The VMM starts us in flat 32-bit protected mode, paging off,
 * interrupts off, EBX = hvm_start_info (Xen PVH ABI, docs/misc/pvh.pandoc). We load our own GDT
 * (the boot one may live in memory we do not own), zero .bss, and call guest_main(EBX).
 */
#include "pvh-note.h"

	pvh_note _start, 4

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %fs
	movl %eax, %gs
	movl %eax, %ss
	movl $stack_top, %esp
	movl %ebx, %esi
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	pushl %esi
	call guest_main
	pushl $0x41                     /* EXIT_FAIL: guest_main must not return */
	call guest_exit

	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff        /* 0x10: data, base 0, 4 GiB */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.section .stack, "aw", @nobits
	.balign 16
	.space 16384
stack_top:
