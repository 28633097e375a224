/*
 * boot-time: the first serial byte as early as possible, then exit. No runtime, no UART setup
 * (THR is empty at reset), no stack: entry -> one out to COM1 -> debug-exit with EXIT_PASS.
 */
#include "pvh-note.h"

	pvh_note _start, 4

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	movw $0x3f8, %dx
	movb $'!', %al
	outb %al, %dx
	movb $'\n', %al
	outb %al, %dx
	movw $0xf4, %dx
	movb $0x40, %al                 /* EXIT_PASS: status 129 */
	outb %al, %dx
1:	cli
	hlt
	jmp 1b
