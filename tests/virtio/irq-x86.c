/*
 * virtio-mmio interrupts on x86 under KVM (tests/virtio/t-irq-x86.sh): the device in the board's
 * first slot (0xd0000000) interrupts on IOAPIC pin 16, level-triggered, active high, as the MP
 * table says. A completed request raises InterruptStatus bit 0 and the interrupt; the handler acks
 * it (the line drops) and EOIs; a broken queue raises bit 1 (configuration change); with
 * VRING_AVAIL_F_NO_INTERRUPT a completion raises nothing. Uses guests/x86-baremetal/irq32.
 */
#include "irq32.h"
#include "rt.h"

#define Q 0x04000000UL
#define RAM_END 0x10000000UL
#define MMIO_UART 0xfec00000UL
#define HOSTILE_WINDOWS { 0xd0000000UL, 0x1000, 1 }

static uint64_t hostile_now(void) { return rdtsc(); }
static uint64_t hostile_deadline(unsigned ms) { return rdtsc() + (uint64_t)ms * 3000000; }
#define hostile_wmb() __asm__ volatile("mfence" ::: "memory")
#define hostile_check check
#define hostile_printf gprintf

#include "hostile.h"

#define VIRTIO_PIN 16
#define VIRTIO_VECTOR 0x30

static volatile unsigned irqs, spurious;
static volatile uint32_t seen_status;

/*
 * As Linux's vm_interrupt: an interrupt with InterruptStatus 0 is not ours (IRQ_NONE). This host's
 * software KVM (PVM) now and then re-delivers a level interrupt already acked and EOId; those are
 * counted apart and tolerated.
 */
static void virtio_irq(unsigned vector)
{
	uint32_t st = rd(INT_STATUS);
	if (!st) {
		spurious++;
	} else {
		irqs++;
		seen_status |= st;
		wr(INT_ACK, st); /* the device lowers the line: level-triggered, so before the EOI */
	}
	irq_eoi();
}

/* Sleep in hlt until `want` device interrupts were handled (minivmm's --timeout bounds a hang). */
static void wait_irqs(unsigned want)
{
	while (irqs < want)
		wait_irq();
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	irq_init();
	irq_set_handler(VIRTIO_VECTOR, virtio_irq);
	irq_route(VIRTIO_PIN, VIRTIO_VECTOR);
	/* Level-triggered (redirection entry bit 15), as the MP table declares pins 16..23. */
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * VIRTIO_PIN);
	mmio_write32(IOAPIC_BASE + 0x10, VIRTIO_VECTOR | (1u << 15));

	if (!check(find_device(), "virtio-blk in the first x86 slot (0xd0000000)"))
		guest_finish("virtio-irq");
	check(setup() == 15, "driver init");

	/* 1. A completion interrupts; InterruptStatus bit 0; the ack drops the line. */
	publish(blk_req(0, 0, 7, Q_DATA, 512, true), 1);
	wait_irqs(1);
	check(irqs == 1, "one interrupt for one completion (got %u)", irqs);
	check(seen_status == 1, "InterruptStatus was 0x%x (used buffer)", seen_status);
	check(used_idx() == 1 && *(volatile uint8_t *)Q_STATUS == 0, "the request completed OK");
	check(rd(INT_STATUS) == 0, "InterruptStatus clear after the ack");

	/* 2. Several completions, each acked in turn: the level line is raised again each time. */
	for (unsigned i = 0; i < 5; i++) {
		publish(blk_req(0, 0, 8 + i, Q_DATA, 512, true), 1);
		wait_irqs(2 + i);
	}
	check(irqs == 6, "an interrupt for each of 5 more completions (got %u)", irqs);
	check(used_idx() == 6, "all completed (used idx %u)", used_idx());

	/* 3. VRING_AVAIL_F_NO_INTERRUPT: completion without an interrupt. */
	avail()[0] = 1;
	publish(blk_req(0, 0, 20, Q_DATA, 512, true), 1);
	check(wait_used(7), "completion with interrupts suppressed");
	check(rd(INT_STATUS) == 0, "no interrupt status while suppressed (0x%x)", rd(INT_STATUS));
	avail()[0] = 0;

	/* 4. A broken queue: NEEDS_RESET and a configuration-change interrupt (bit 1). */
	seen_status = 0;
	blk_req(0, 0, 1, Q_DATA, 512, true);
	desc(2)->flags |= F_NEXT;
	desc(2)->next = 1;
	publish(0, 1);
	wait_irqs(7);
	check(seen_status == 2, "configuration-change interrupt (InterruptStatus 0x%x)", seen_status);
	check(rd(STATUS) & 64, "DEVICE_NEEDS_RESET");
	check(irqs == 7, "7 interrupts in all (got %u)", irqs);
	gprintf("virtio-irq: %u spurious interrupts (InterruptStatus 0) ignored\n", spurious);
	guest_finish("virtio-irq");
}
