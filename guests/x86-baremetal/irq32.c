/* Interrupt plumbing for the 32-bit guests (see irq32.h). */
#include "irq32.h"

#define LAPIC_SVR 0xf0
#define LAPIC_EOI 0xb0

struct idt_gate32 {
	uint16_t off_lo, sel;
	uint8_t zero, type_attr;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate32 idt[256];
static irq_handler_fn handlers[IRQ_VECTORS];
uint32_t irq_resume_esp;
void irq_dispatch(unsigned vector);
extern const uint32_t irq_stubs[IRQ_VECTORS];

/*
 * Stubs push their vector and call irq_dispatch, then resume in wait_irq's frame (no iret).
 * wait_irq saves the callee-saved registers and its stack pointer before sti; hlt.
 */
__asm__(".text\n"
	".globl wait_irq\n"
	"wait_irq:\n\t"
	"pushl %ebp\n\tpushl %ebx\n\tpushl %esi\n\tpushl %edi\n\t"
	"movl %esp, irq_resume_esp\n"
	"1:\tsti\n\thlt\n\tjmp 1b\n"
	"irq_common:\n\t"
	"cld\n\tcall irq_dispatch\n\t"
	"movl irq_resume_esp, %esp\n\t"
	"popl %edi\n\tpopl %esi\n\tpopl %ebx\n\tpopl %ebp\n\t"
	"ret\n"
	".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"irq_stub_\\n:\n\tpushl $0x30 + \\n\n\tjmp irq_common\n"
	".endr\n"
	".section .rodata\n"
	".balign 4\n"
	"irq_stubs:\n"
	".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	".long irq_stub_\\n\n"
	".endr\n"
	".text\n");

void irq_dispatch(unsigned vector)
{
	unsigned i = vector - IRQ_VECTOR_FIRST;

	if (i < IRQ_VECTORS && handlers[i])
		handlers[i](vector);
	else
		irq_eoi();
}

void irq_init(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	for (unsigned i = 0; i < IRQ_VECTORS; i++) {
		uint32_t h = irq_stubs[i];
		idt[IRQ_VECTOR_FIRST + i] = (struct idt_gate32){ (uint16_t)h, 0x08, 0, 0x8e, (uint16_t)(h >> 16) };
	}
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} idtr = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x100 | 0xff); /* enable, spurious 0xff */
}

void irq_route(unsigned pin, unsigned vector)
{
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * pin + 1);  /* IOREGSEL: high half, destination */
	mmio_write32(IOAPIC_BASE + 0x10, 0);
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * pin);
	mmio_write32(IOAPIC_BASE + 0x10, vector);
}

void irq_set_handler(unsigned vector, irq_handler_fn fn)
{
	if (vector - IRQ_VECTOR_FIRST < IRQ_VECTORS)
		handlers[vector - IRQ_VECTOR_FIRST] = fn;
}

void irq_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}
