/*
 * The arm64 "virt" board, compatible with QEMU's (hw/arm/virt.c) so the same kernels and device
 * trees work: RAM at 0x40000000, GICv2, PL011, PL031, virtio-mmio slots, PSCI over HVC, and the
 * kernel, initrd and DTB placed as Linux's Documentation/arch/arm64/booting.rst requires.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "arch/arm64/arm64.h"
#include "arch/arm64/board.h"
#include "boot/boot.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "devices/virtio/virtio.h"
#include "vmm/machine.h"
#include "vmm/util.h"

#define SZ_2M        (2ULL << 20)
#define RAM_MAX      (255ULL << 30)  /* QEMU virt: RAM below the 256 GiB high I/O regions */
#define DTB_MAX_SIZE SZ_2M           /* booting.rst: the DTB must not exceed 2 MiB */
#define DTB_WINDOW   (512ULL << 20)  /* ... and sits within 512 MiB of the kernel's start */

struct arm64_board {
	struct machine *m;
	struct gic *gic;            /* NULL when the engine brings its own interrupt controller */
	struct pl011 *uart;
	struct pl031 *rtc;
	struct a64_cpu *cpus[GIC_MAX_CPUS];
	uint64_t kernel_addr, kernel_end, dtb_addr, initrd_addr, initrd_size;
};

static int arm64_layout(struct machine *m)
{
	uint64_t size = m->cfg->mem_size;
	if (size == 0 || size > RAM_MAX || (size & 0xfff)) {
		log_error("--mem %llu: the virt board's RAM at 0x40000000 takes a multiple of 4 KiB up to "
			  "255 GiB", (unsigned long long)size);
		return -EINVAL;
	}
	int ret = gmem_add(&m->mem, VIRT_RAM, size);
	if (ret < 0)
		log_error("cannot map %llu MiB of guest RAM: %s (try a smaller --mem)",
			  (unsigned long long)(size >> 20), strerror(-ret));
	return ret;
}

static int board_register(struct machine *m, uint64_t base, uint64_t len, const struct bus_ops *ops,
			  void *opaque)
{
	int ret = bus_register(&m->mmio, base, len, ops, opaque);
	if (ret < 0)
		log_error("arm64 board: cannot map %s at 0x%llx: %s", ops->name, (unsigned long long)base,
			  strerror(-ret));
	return ret;
}

static int board_devices(struct machine *m, struct arm64_board *b)
{
	int ret;

	/* Our GIC unless the engine (KVM's vGIC) installed its own interrupt controller. */
	if (!m->irqchip.set_level) {
		b->gic = gic_new((unsigned)m->cfg->cpus);
		if (!b->gic) {
			log_error("--cpus %d: the virt board's GICv2 takes 1 to %d CPUs", m->cfg->cpus,
				  GIC_MAX_CPUS);
			return -EINVAL;
		}
		if ((ret = board_register(m, VIRT_GIC_DIST, GIC_DIST_SIZE, &gic_dist_ops, b->gic)) < 0 ||
		    (ret = board_register(m, VIRT_GIC_CPU, GIC_CPU_SIZE, &gic_cpu_ops, b->gic)) < 0)
			return ret;
		m->irqchip = (struct irq_chip){ .set_level = gic_irqchip_set_level, .opaque = b->gic };
	}

	b->uart = pl011_new(machine_irq_line(m, 32 + VIRT_SPI_UART));
	if (!b->uart) {
		log_error("cannot create the PL011 UART: out of memory");
		return -ENOMEM;
	}
	if ((ret = board_register(m, VIRT_UART, 0x1000, &pl011_ops, b->uart)) < 0)
		return ret;

	b->rtc = pl031_new(machine_irq_line(m, 32 + VIRT_SPI_RTC), m->cfg);
	if (!b->rtc) {
		log_error("cannot create the PL031 RTC: out of memory");
		return -ENOMEM;
	}
	return board_register(m, VIRT_RTC, 0x1000, &pl031_ops, b->rtc);
}

/* virtio-mmio devices for the disks (and nets), one DTB node per used slot. */
static int board_virtio(struct machine *m, struct arm64_fdt_virtio *nodes, unsigned *nr)
{
	struct virtio_slot slots[VIRT_MMIO_SLOTS];
	unsigned used = 0;

	*nr = 0;
	for (unsigned i = 0; i < VIRT_MMIO_SLOTS; i++)
		slots[i] = (struct virtio_slot){ .base = VIRT_MMIO + i * VIRT_MMIO_SIZE,
						 .irq = 32 + VIRT_SPI_MMIO + i };
	int ret = virtio_create_devices(m, slots, VIRT_MMIO_SLOTS, &used);
	if (ret < 0)
		return ret;
	for (unsigned i = 0; i < used && i < VIRT_MMIO_SLOTS; i++)
		nodes[i] = (struct arm64_fdt_virtio){ .base = slots[i].base, .spi = VIRT_SPI_MMIO + i };
	*nr = used;
	return 0;
}

static int load_file(const char *what, const char *path, uint8_t **buf, size_t *len, size_t max)
{
	int ret = read_file(path, buf, len, max);
	if (ret == -EFBIG)
		log_error("%s %s: larger than guest RAM (%llu MiB); raise --mem", what, path,
			  (unsigned long long)(max >> 20));
	else if (ret < 0)
		log_error("%s %s: %s", what, path, strerror(-ret));
	return ret;
}

/*
 * booting.rst: the Image at a 2 MiB-aligned base + text_offset (the base as low in RAM as
 * possible), the DTB 8-byte aligned within 512 MiB of the kernel and in no 2 MiB block shared with
 * it, the initrd anywhere after. We put the DTB in the 2 MiB block after the kernel's image_size
 * and the initrd in the block after that.
 */
static int board_place(struct machine *m, struct arm64_board *b, const struct arm64_image *img,
		       size_t initrd_len)
{
	uint64_t ram_end = VIRT_RAM + m->cfg->mem_size;
	b->kernel_addr = VIRT_RAM + img->text_offset;
	b->kernel_end = b->kernel_addr + img->image_size;
	b->dtb_addr = ALIGN_UP(b->kernel_end, SZ_2M);
	b->initrd_addr = b->dtb_addr + DTB_MAX_SIZE;
	b->initrd_size = initrd_len;
	uint64_t need = ALIGN_UP(b->initrd_addr + initrd_len, SZ_2M) - VIRT_RAM;
	if (b->initrd_addr + initrd_len > ram_end) {
		log_error("--mem %llu MiB is too small for the kernel (%.1f MiB) and initrd (%.1f MiB) "
			  "with room to run: use at least --mem %lluM", (unsigned long long)(m->cfg->mem_size >> 20),
			  img->image_size / 1048576.0, initrd_len / 1048576.0,
			  (unsigned long long)((need >> 20) + 64));
		return -ENOSPC;
	}
	if (b->dtb_addr + DTB_MAX_SIZE > b->kernel_addr + DTB_WINDOW) {
		log_error("kernel image_size %llu MiB leaves no room for the DTB within 512 MiB of it",
			  (unsigned long long)(img->image_size >> 20));
		return -EINVAL;
	}
	return 0;
}

static int dump_dtb(const char *path, const void *fdt)
{
	errno = 0;
	FILE *f = fopen(path, "wb");
	if (!f) {
		log_error("--dump-dtb %s: %s", path, strerror(errno));
		return -errno;
	}
	int err = 0;
	if (fwrite(fdt, 1, fdt_totalsize(fdt), f) != fdt_totalsize(fdt))
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno ? errno : EIO;
	if (err) {
		log_error("--dump-dtb %s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

static int board_boot(struct machine *m, struct arm64_board *b, const struct arm64_fdt_virtio *virtio,
		      unsigned nr_virtio)
{
	const struct vm_config *cfg = m->cfg;
	uint8_t *kernel = NULL, *initrd = NULL, seed[32];
	size_t kernel_len = 0, initrd_len = 0;
	struct arm64_image img = { 0 };
	char msg[256];
	void *fdt = NULL;
	int ret;

	if ((ret = load_file("--kernel", cfg->kernel, &kernel, &kernel_len, cfg->mem_size)) < 0)
		goto out;
	if ((ret = arm64_image_parse(kernel, kernel_len, &img, msg, sizeof(msg))) < 0) {
		log_error("--kernel %s: %s", cfg->kernel, msg);
		goto out;
	}
	if (img.page_kib > 4 && !strcmp(m->engine->name, "interp")) {
		log_error("--kernel %s: built for %u KiB pages; the interpreter's MMU has the 4 KiB granule "
			  "only (CONFIG_ARM64_4K_PAGES)", cfg->kernel, img.page_kib);
		ret = -EINVAL;
		goto out;
	}
	if (cfg->initrd && (ret = load_file("--initrd", cfg->initrd, &initrd, &initrd_len, cfg->mem_size)) < 0)
		goto out;
	if ((ret = board_place(m, b, &img, initrd_len)) < 0)
		goto out;

	/* Seeds the guest's RNG early (Linux credits it); left out rather than faked if unavailable. */
	bool have_seed = getrandom(seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed);
	struct arm64_fdt_config fc = {
		.ram_base = VIRT_RAM, .ram_size = cfg->mem_size, .nr_cpus = (unsigned)cfg->cpus,
		.bootargs = m->cmdline,
		.initrd_start = b->initrd_addr, .initrd_end = b->initrd_addr + initrd_len,
		.virtio = virtio, .nr_virtio = nr_virtio,
		.rng_seed = have_seed ? seed : NULL, .rng_seed_len = have_seed ? sizeof(seed) : 0,
	};
	fdt = malloc(ARM64_FDT_MAX);
	if (!fdt) {
		ret = -ENOMEM;
		goto out;
	}
	if ((ret = arm64_fdt_build(&fc, fdt, ARM64_FDT_MAX, msg, sizeof(msg))) < 0) {
		log_error("arm64 board: %s", msg);
		goto out;
	}

	/* All three ranges were checked against RAM by board_place(); gmem_write checks again. */
	if (!gmem_write(&m->mem, b->kernel_addr, img.data, img.len) ||
	    !gmem_write(&m->mem, b->dtb_addr, fdt, fdt_totalsize(fdt)) ||
	    (initrd_len && !gmem_write(&m->mem, b->initrd_addr, initrd, initrd_len))) {
		log_error("arm64 board: boot data does not fit in guest RAM");
		ret = -ENOSPC;
		goto out;
	}
	if (cfg->dump_dtb && (ret = dump_dtb(cfg->dump_dtb, fdt)) < 0)
		goto out;
	m->boot.entry = b->kernel_addr;
	m->boot.x0 = b->dtb_addr;
	log_debug("arm64: kernel 0x%llx-0x%llx, dtb 0x%llx (%u bytes), initrd 0x%llx (%zu bytes)",
		  (unsigned long long)b->kernel_addr, (unsigned long long)b->kernel_end,
		  (unsigned long long)b->dtb_addr, fdt_totalsize(fdt), (unsigned long long)b->initrd_addr,
		  initrd_len);
	ret = 0;
out:
	free(fdt);
	arm64_image_free(&img);
	free(kernel);
	free(initrd);
	return ret;
}

static int arm64_setup(struct machine *m)
{
	struct arm64_fdt_virtio virtio[VIRT_MMIO_SLOTS];
	unsigned nr_virtio = 0;
	int ret;

	struct arm64_board *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->m = m;
	m->board_data = b;
	if ((ret = board_devices(m, b)) < 0 || (ret = board_virtio(m, virtio, &nr_virtio)) < 0)
		return ret;
	return board_boot(m, b, virtio, nr_virtio);
}

static void arm64_teardown(struct machine *m)
{
	struct arm64_board *b = m->board_data;
	if (!b)
		return;
	virtio_destroy_devices(m);
	if (b->rtc)
		pl031_free(b->rtc);
	if (b->uart)
		pl011_free(b->uart);
	m->irqchip = (struct irq_chip){ 0 };
	gic_free(b->gic);
	free(b);
	m->board_data = NULL;
}

/* ---- the CPU seam (arch/arm64/arm64.h) ---- */

static void board_cpu_irq(void *opaque, int level)
{
	a64_cpu_set_irq(opaque, level);
}

static void board_timer_irq(void *opaque, int cpu_index, int timer, int level)
{
	struct arm64_board *b = opaque;
	if (b->gic)
		gic_set_irq(b->gic, (unsigned)cpu_index, timer ? VIRT_PPI_VTIMER : VIRT_PPI_PTIMER, level);
}

static bool board_hvc(void *opaque, struct a64_cpu *cpu)
{
	struct arm64_board *b = opaque;
	uint64_t x[4];
	unsigned index = 0;

	for (unsigned i = 0; i < GIC_MAX_CPUS; i++)
		if (b->cpus[i] == cpu)
			index = i;
	for (unsigned i = 0; i < 4; i++)
		x[i] = a64_cpu_get_x(cpu, i);
	a64_cpu_set_x(cpu, 0, (uint64_t)psci_call(b->m, index, (unsigned)b->m->cfg->cpus, x));
	return true;
}

void arm64_board_attach_cpu(struct machine *m, struct a64_cpu *cpu, int index, struct a64_platform *plat)
{
	struct arm64_board *b = m->board_data;
	plat->opaque = b;
	plat->timer_irq = board_timer_irq;
	plat->hvc = board_hvc;
	if (!b || index < 0 || index >= GIC_MAX_CPUS)
		return;
	b->cpus[index] = cpu;
	if (b->gic)
		gic_connect_cpu(b->gic, (unsigned)index, board_cpu_irq, cpu);
}

const struct board arm64_board = {
	.name = "virt",
	.arch = ARCH_AARCH64,
	.layout = arm64_layout,
	.setup = arm64_setup,
	.teardown = arm64_teardown,
};
