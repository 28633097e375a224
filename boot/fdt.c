/*
 * The device tree of the arm64 "virt" board, node for node what QEMU's hw/arm/virt.c gives a
 * gic-version=2 cortex-a57 guest (minus the devices we do not model: PCIe, fw-cfg, flash, PL061,
 * PMU), so the same kernels and DTB expectations work. Built with libfdt's sequential-write API.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

#include "arch/arm64/arm64.h"
#include "boot/boot.h"

#define PHANDLE_CLK 0x8000
#define PHANDLE_GIC 0x8002

/* GIC binding (Documentation/devicetree/bindings/interrupt-controller/arm,gic.yaml) */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH  4

#define STR(s) s, sizeof(s) /* a string (list) property including its final NUL */

struct fdt_writer {
	void *fdt;
	int err;
};

/* Every libfdt call goes through these so the first error is kept and the rest are skipped. */
static void w_check(struct fdt_writer *w, int ret)
{
	if (ret < 0 && !w->err)
		w->err = ret;
}

static void w_begin(struct fdt_writer *w, const char *name)
{
	if (!w->err)
		w_check(w, fdt_begin_node(w->fdt, name));
}

static void w_end(struct fdt_writer *w)
{
	if (!w->err)
		w_check(w, fdt_end_node(w->fdt));
}

static void w_prop(struct fdt_writer *w, const char *name, const void *val, int len)
{
	if (!w->err)
		w_check(w, fdt_property(w->fdt, name, val, len));
}

static void w_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
	if (!w->err)
		w_check(w, fdt_property_u32(w->fdt, name, v));
}

static void w_u64(struct fdt_writer *w, const char *name, uint64_t v)
{
	if (!w->err)
		w_check(w, fdt_property_u64(w->fdt, name, v));
}

static void w_str(struct fdt_writer *w, const char *name, const char *s)
{
	if (!w->err)
		w_check(w, fdt_property_string(w->fdt, name, s));
}

static void w_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, int n)
{
	fdt32_t be[16];
	for (int i = 0; i < n && i < 16; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	w_prop(w, name, be, n * (int)sizeof(fdt32_t));
}

/* reg = <base size> pairs with #address-cells = #size-cells = 2 */
static void w_reg(struct fdt_writer *w, const uint64_t *pairs, int nr_pairs)
{
	uint32_t cells[16];
	for (int i = 0; i < nr_pairs * 2 && i < 8; i++) {
		cells[2 * i] = (uint32_t)(pairs[i] >> 32);
		cells[2 * i + 1] = (uint32_t)pairs[i];
	}
	w_cells(w, "reg", cells, nr_pairs * 4);
}

static void w_node_name(char *buf, size_t len, const char *name, uint64_t addr)
{
	snprintf(buf, len, "%s@%llx", name, (unsigned long long)addr);
}

static void fdt_cpus(struct fdt_writer *w, const struct arm64_fdt_config *c)
{
	char name[32];
	w_begin(w, "cpus");
	w_u32(w, "#address-cells", 1);
	w_u32(w, "#size-cells", 0);
	for (unsigned i = 0; i < c->nr_cpus; i++) {
		w_node_name(name, sizeof(name), "cpu", i);
		w_begin(w, name);
		w_str(w, "device_type", "cpu");
		w_str(w, "compatible", "arm,cortex-a57");
		w_u32(w, "reg", i); /* MPIDR Aff0 */
		w_str(w, "enable-method", "psci");
		w_end(w);
	}
	w_end(w);
}

static void fdt_psci(struct fdt_writer *w)
{
	w_begin(w, "psci");
	w_prop(w, "compatible", STR("arm,psci-0.2\0arm,psci"));
	w_str(w, "method", "hvc");
	/* PSCI 0.1 function IDs, for kernels that only know the old binding */
	w_u32(w, "cpu_suspend", 0xc4000001);
	w_u32(w, "cpu_off", 0x84000002);
	w_u32(w, "cpu_on", 0xc4000003);
	w_u32(w, "migrate", 0xc4000005);
	w_end(w);
}

static void fdt_timer(struct fdt_writer *w, const struct arm64_fdt_config *c)
{
	/* PPI CPU mask in bits [15:8] of the flags cell (GIC binding), one bit per CPU */
	uint32_t flags = IRQ_LEVEL_HIGH | (((1u << c->nr_cpus) - 1) & 0xff) << 8;
	/* Secure physical, non-secure physical, virtual, hypervisor: PPI 13, 14, 11, 10 */
	uint32_t irqs[12] = { GIC_PPI, 13, flags, GIC_PPI, 14, flags,
			      GIC_PPI, 11, flags, GIC_PPI, 10, flags };
	w_begin(w, "timer");
	w_prop(w, "compatible", STR("arm,armv8-timer\0arm,armv7-timer"));
	w_cells(w, "interrupts", irqs, 12);
	w_prop(w, "always-on", NULL, 0);
	w_end(w);
}

static void fdt_gic(struct fdt_writer *w)
{
	char name[32];
	uint64_t reg[4] = { VIRT_GIC_DIST, 0x10000, VIRT_GIC_CPU, 0x10000 };
	w_node_name(name, sizeof(name), "intc", VIRT_GIC_DIST);
	w_begin(w, name);
	w_str(w, "compatible", "arm,cortex-a15-gic");
	w_u32(w, "#interrupt-cells", 3);
	w_prop(w, "interrupt-controller", NULL, 0);
	w_reg(w, reg, 2);
	/* as QEMU's node (room for a GICv2m frame child); dtc wants #address-cells on providers */
	w_u32(w, "#address-cells", 2);
	w_u32(w, "#size-cells", 2);
	w_prop(w, "ranges", NULL, 0);
	w_u32(w, "phandle", PHANDLE_GIC);
	w_end(w);
}

static void fdt_clock(struct fdt_writer *w)
{
	w_begin(w, "apb-pclk");
	w_str(w, "compatible", "fixed-clock");
	w_u32(w, "#clock-cells", 0);
	w_u32(w, "clock-frequency", 24000000);
	w_str(w, "clock-output-names", "clk24mhz");
	w_u32(w, "phandle", PHANDLE_CLK);
	w_end(w);
}

static void fdt_primecell(struct fdt_writer *w, const char *name, uint64_t base, unsigned spi,
			  const char *compat, size_t compat_len, bool uart)
{
	char node[32];
	uint64_t reg[2] = { base, 0x1000 };
	uint32_t irq[3] = { GIC_SPI, spi, IRQ_LEVEL_HIGH };
	uint32_t clocks[2] = { PHANDLE_CLK, PHANDLE_CLK };
	w_node_name(node, sizeof(node), name, base);
	w_begin(w, node);
	w_prop(w, "compatible", compat, (int)compat_len);
	w_reg(w, reg, 1);
	w_cells(w, "interrupts", irq, 3);
	if (uart) {
		w_cells(w, "clocks", clocks, 2);
		w_prop(w, "clock-names", STR("uartclk\0apb_pclk"));
	} else {
		w_cells(w, "clocks", clocks, 1);
		w_str(w, "clock-names", "apb_pclk");
	}
	w_end(w);
}

static void fdt_virtio(struct fdt_writer *w, const struct arm64_fdt_virtio *v)
{
	char node[40];
	uint64_t reg[2] = { v->base, VIRT_MMIO_SIZE };
	/* Level: the device holds its line while InterruptStatus is non-zero (virtio 1.2 §4.2.2). */
	uint32_t irq[3] = { GIC_SPI, v->spi, IRQ_LEVEL_HIGH };
	w_node_name(node, sizeof(node), "virtio_mmio", v->base);
	w_begin(w, node);
	w_str(w, "compatible", "virtio,mmio");
	w_reg(w, reg, 1);
	w_cells(w, "interrupts", irq, 3);
	w_prop(w, "dma-coherent", NULL, 0);
	w_end(w);
}

static void fdt_chosen(struct fdt_writer *w, const struct arm64_fdt_config *c)
{
	char stdout_path[32];
	w_node_name(stdout_path, sizeof(stdout_path), "/pl011", VIRT_UART);
	w_begin(w, "chosen");
	w_str(w, "bootargs", c->bootargs ? c->bootargs : "");
	w_str(w, "stdout-path", stdout_path);
	if (c->initrd_end > c->initrd_start) {
		w_u64(w, "linux,initrd-start", c->initrd_start);
		w_u64(w, "linux,initrd-end", c->initrd_end);
	}
	if (c->rng_seed && c->rng_seed_len)
		w_prop(w, "rng-seed", c->rng_seed, (int)c->rng_seed_len);
	w_end(w);
}

int arm64_fdt_build(const struct arm64_fdt_config *c, void *buf, size_t size, char *msg, size_t msglen)
{
	struct fdt_writer w = { .fdt = buf };
	char name[32];
	uint64_t mem_reg[2] = { c->ram_base, c->ram_size };

	if (c->nr_cpus == 0 || c->nr_cpus > 8)
		return boot_msg(msg, msglen, -EINVAL, "the virt board's GICv2 takes 1 to 8 CPUs, not %u",
				c->nr_cpus);
	w_check(&w, fdt_create(buf, (int)size));
	w_check(&w, fdt_finish_reservemap(buf));
	w_begin(&w, "");
	w_str(&w, "compatible", "linux,dummy-virt");
	w_str(&w, "model", "linux,dummy-virt");
	w_u32(&w, "#address-cells", 2);
	w_u32(&w, "#size-cells", 2);
	w_u32(&w, "interrupt-parent", PHANDLE_GIC);

	fdt_chosen(&w, c);
	w_node_name(name, sizeof(name), "memory", c->ram_base);
	w_begin(&w, name);
	w_str(&w, "device_type", "memory");
	w_reg(&w, mem_reg, 1);
	w_end(&w);
	fdt_cpus(&w, c);
	fdt_psci(&w);
	fdt_timer(&w, c);
	fdt_gic(&w);
	fdt_clock(&w);
	fdt_primecell(&w, "pl011", VIRT_UART, VIRT_SPI_UART, STR("arm,pl011\0arm,primecell"), true);
	fdt_primecell(&w, "pl031", VIRT_RTC, VIRT_SPI_RTC, STR("arm,pl031\0arm,primecell"), false);
	for (unsigned i = 0; i < c->nr_virtio; i++)
		fdt_virtio(&w, &c->virtio[i]);
	w_end(&w);
	if (!w.err)
		w_check(&w, fdt_finish(buf));
	if (w.err)
		return boot_msg(msg, msglen, w.err == -FDT_ERR_NOSPACE ? -ENOSPC : -EINVAL,
				"building the device tree failed: %s", fdt_strerror(w.err));
	return 0;
}
