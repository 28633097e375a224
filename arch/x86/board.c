/*
 * The x86 board ("pc-lite"): RAM below 3 GiB and from 4 GiB, the legacy devices Linux expects
 * (16550A at 0x3f8/IRQ 4, CMOS RTC at 0x70/IRQ 8, i8042 for reset), the board's own ports,
 * virtio-mmio slots at 0xd0000000 on IOAPIC pins 16..23, the kernel (bzImage or PVH ELF) and
 * the MP table. The PIC, PIT, IOAPIC and LAPICs are KVM's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/ports.h"
#include "boot/boot.h"
#include "devices/misc.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "devices/virtio/virtio.h"
#include "vmm/machine.h"
#include "vmm/util.h"


#define UART_PORT 0x3f8
#define UART_IRQ 4
#define RTC_PORT 0x70
#define RTC_IRQ 8
#define I8042_PORT 0x60
#define VIRTIO_BASE 0xd0000000ULL
#define VIRTIO_STRIDE 0x1000ULL
#define VIRTIO_FIRST_IRQ 16
#define VIRTIO_SLOTS 8

struct x86_board_state {
	struct uart16550 *uart;
	struct cmos_rtc *rtc;
	struct i8042 *kbd;
};

static int x86_layout(struct machine *m)
{
	uint64_t size = m->cfg->mem_size, low = MIN(size, X86_MMIO_HOLE);
	int r = gmem_add(&m->mem, 0, low);
	if (r == 0 && size > low)
		r = gmem_add(&m->mem, X86_HIGH_RAM, size - low);
	if (r < 0)
		log_error("cannot reserve %llu MiB of guest RAM: %s (try a smaller --mem)",
			  (unsigned long long)(size >> 20), strerror(-r));
	return r;
}

static int devices_create(struct machine *m, struct x86_board_state *b)
{
	int r;
	b->uart = uart16550_new(machine_irq_line(m, UART_IRQ));
	b->rtc = cmos_rtc_new(machine_irq_line(m, RTC_IRQ), m->cfg);
	if (!b->uart || !b->rtc)
		return -ENOMEM;
	uint64_t low = m->mem.nr > 0 ? m->mem.r[0].size : 0, high = m->mem.nr > 1 ? m->mem.r[1].size : 0;
	cmos_rtc_set_mem_size(b->rtc, low, high);
	if ((r = bus_register(&m->pio, UART_PORT, 8, &uart16550_ops, b->uart)) < 0 ||
	    (r = bus_register(&m->pio, RTC_PORT, 2, &cmos_rtc_ops, b->rtc)) < 0)
		return r;
	b->kbd = i8042_new(m);
	if (!b->kbd)
		return -ENOMEM;
	if ((r = bus_register(&m->pio, I8042_PORT, 5, &i8042_ops, b->kbd)) < 0)
		return r;
	return x86_ports_register(m);
}

/* virtio-mmio devices, announced to Linux on the command line (no ACPI/DT on this board). */
static int virtio_setup(struct machine *m, struct x86_board_state *b)
{
	struct virtio_slot slots[VIRTIO_SLOTS];
	unsigned used = 0;
	for (unsigned i = 0; i < VIRTIO_SLOTS; i++)
		slots[i] = (struct virtio_slot){ .base = VIRTIO_BASE + i * VIRTIO_STRIDE,
						 .irq = VIRTIO_FIRST_IRQ + i };
	int r = virtio_create_devices(m, slots, VIRTIO_SLOTS, &used);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < used; i++) {
		char arg[80];
		snprintf(arg, sizeof(arg), "virtio_mmio.device=%u@0x%llx:%u", VIRTIO_MMIO_WINDOW,
			 (unsigned long long)slots[i].base, slots[i].irq);
		if (machine_cmdline_append(m, arg) < 0) {
			log_error("kernel command line too long to announce virtio device %u", i);
			return -E2BIG;
		}
	}
	return 0;
}

static int file_load(const char *what, const char *path, uint64_t max, uint8_t **buf, size_t *len)
{
	int r = read_file(path, buf, len, max);
	if (r == -EFBIG)
		log_error("%s %s is larger than guest RAM (%llu MiB): raise --mem", what, path,
			  (unsigned long long)(max >> 20));
	else if (r < 0)
		log_error("cannot read %s %s: %s", what, path, strerror(-r));
	return r;
}

static int kernel_load(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	struct x86_boot_args a = { .cmdline = m->cmdline };
	uint8_t *kernel = NULL, *initrd = NULL;
	char msg[512] = "";
	uint64_t ram = gmem_total(&m->mem);
	int r = file_load("kernel", cfg->kernel, ram, &kernel, &a.kernel_len);
	if (r == 0 && cfg->initrd)
		r = file_load("initrd", cfg->initrd, ram, &initrd, &a.initrd_len);
	if (r < 0)
		goto out;
	a.kernel = kernel;
	a.initrd = initrd;
	switch (x86_image_detect(kernel, a.kernel_len, msg, sizeof(msg))) {
	case X86_IMAGE_BZIMAGE:
		r = x86_bzimage_load(&m->mem, &a, &m->boot, msg, sizeof(msg));
		break;
	case X86_IMAGE_PVH_ELF:
		r = x86_pvh_load(&m->mem, &a, &m->boot, msg, sizeof(msg));
		break;
	default:
		r = -ENOEXEC;
		break;
	}
	if (r < 0)
		log_error("kernel %s: %s", cfg->kernel, msg);
	else if (cfg->debug)
		log_info("x86: %s kernel, entry 0x%llx, command line \"%s\"",
			 m->boot.x86_mode == BOOT_X86_64BIT ? "bzImage (64-bit entry)" : "PVH ELF (32-bit entry)",
			 (unsigned long long)m->boot.entry, m->cmdline);
out:
	free(kernel);
	free(initrd);
	return r;
}

static int x86_setup(struct machine *m)
{
	struct x86_board_state *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	m->board_data = b;
	int r = devices_create(m, b);
	if (r < 0) {
		log_error("x86 board: cannot create the legacy devices: %s", strerror(-r));
		return r;
	}
	if ((r = virtio_setup(m, b)) < 0 || (r = kernel_load(m)) < 0)
		return r;
	r = mptable_write(&m->mem, m->cfg->cpus);
	if (r < 0)
		log_error("x86 board: cannot write the MP table for %d CPUs: %s", m->cfg->cpus, strerror(-r));
	return r;
}

static void x86_teardown(struct machine *m)
{
	struct x86_board_state *b = m->board_data;
	if (!b)
		return;
	virtio_destroy_devices(m); /* safe when none was created */
	if (b->uart)
		uart16550_free(b->uart);
	if (b->rtc)
		cmos_rtc_free(b->rtc);
	if (b->kbd)
		i8042_free(b->kbd);
	free(b);
	m->board_data = NULL;
}

const struct board x86_board = {
	.name = "pc-lite",
	.arch = ARCH_X86_64,
	.layout = x86_layout,
	.setup = x86_setup,
	.teardown = x86_teardown,
};
