/* The virt board's device tree (boot/fdt.c), read back with libfdt as Linux would parse it. */
#include "tests/unit/unit.h"

#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include "arch/arm64/arm64.h"
#include "boot/boot.h"

UNIT_SUITE(fdt);

static uint8_t dtb[ARM64_FDT_MAX];

static int build(unsigned nr_virtio, uint64_t initrd_start, uint64_t initrd_end)
{
	static const struct arm64_fdt_virtio virtio[2] = {
		{ .base = VIRT_MMIO, .spi = VIRT_SPI_MMIO },
		{ .base = VIRT_MMIO + VIRT_MMIO_SIZE, .spi = VIRT_SPI_MMIO + 1 },
	};
	struct arm64_fdt_config c = {
		.ram_base = VIRT_RAM, .ram_size = 256ULL << 20, .nr_cpus = 1,
		.bootargs = "console=ttyAMA0 minivmm.test=x",
		.initrd_start = initrd_start, .initrd_end = initrd_end,
		.virtio = virtio, .nr_virtio = nr_virtio,
	};
	char msg[128];
	return arm64_fdt_build(&c, dtb, sizeof(dtb), msg, sizeof(msg));
}

static const void *prop(const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(dtb, path);
	CU_ASSERT_TRUE_FATAL(node >= 0);
	const void *p = fdt_getprop(dtb, node, name, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

static uint32_t cell(const void *p, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

UNIT_TEST(fdt, root_memory_and_cpus_match_qemu_virt)
{
	int len;
	CU_ASSERT_EQUAL_FATAL(build(0, 0, 0), 0);
	CU_ASSERT_EQUAL(fdt_check_header(dtb), 0);
	CU_ASSERT_STRING_EQUAL(prop("/", "compatible", &len), "linux,dummy-virt");
	CU_ASSERT_EQUAL(cell(prop("/", "#address-cells", &len), 0), 2);
	CU_ASSERT_EQUAL(cell(prop("/", "#size-cells", &len), 0), 2);
	const void *reg = prop("/memory@40000000", "reg", &len);
	CU_ASSERT_EQUAL(len, 16);
	CU_ASSERT_EQUAL(cell(reg, 1), 0x40000000);
	CU_ASSERT_EQUAL(cell(reg, 3), 256u << 20);
	CU_ASSERT_STRING_EQUAL(prop("/memory@40000000", "device_type", &len), "memory");
	CU_ASSERT_STRING_EQUAL(prop("/cpus/cpu@0", "compatible", &len), "arm,cortex-a57");
	CU_ASSERT_STRING_EQUAL(prop("/cpus/cpu@0", "enable-method", &len), "psci");
	CU_ASSERT_STRING_EQUAL(prop("/psci", "method", &len), "hvc");
	CU_ASSERT_EQUAL(fdt_node_check_compatible(dtb, fdt_path_offset(dtb, "/psci"), "arm,psci-0.2"), 0);
}

UNIT_TEST(fdt, gic_timer_and_interrupt_parent_agree)
{
	int len;
	CU_ASSERT_EQUAL_FATAL(build(0, 0, 0), 0);
	int gic = fdt_path_offset(dtb, "/intc@8000000");
	CU_ASSERT_TRUE_FATAL(gic >= 0);
	CU_ASSERT_EQUAL(fdt_node_check_compatible(dtb, gic, "arm,cortex-a15-gic"), 0);
	CU_ASSERT_PTR_NOT_NULL(fdt_getprop(dtb, gic, "interrupt-controller", &len));
	CU_ASSERT_EQUAL(cell(prop("/intc@8000000", "#interrupt-cells", &len), 0), 3);
	const void *reg = prop("/intc@8000000", "reg", &len);
	CU_ASSERT_EQUAL(len, 32);
	CU_ASSERT_EQUAL(cell(reg, 1), VIRT_GIC_DIST);
	CU_ASSERT_EQUAL(cell(reg, 5), VIRT_GIC_CPU);
	CU_ASSERT_EQUAL(cell(prop("/", "interrupt-parent", &len), 0), fdt_get_phandle(dtb, gic));
	const void *irqs = prop("/timer", "interrupts", &len);
	CU_ASSERT_EQUAL(len, 48);
	static const uint32_t want[12] = { 1, 13, 0x104, 1, 14, 0x104, 1, 11, 0x104, 1, 10, 0x104 };
	for (int i = 0; i < 12; i++)
		CU_ASSERT_EQUAL(cell(irqs, i), want[i]);
	CU_ASSERT_PTR_NOT_NULL(fdt_getprop(dtb, fdt_path_offset(dtb, "/timer"), "always-on", &len));
	/* virtual timer: PPI 11 = GIC ID 27 */
	CU_ASSERT_EQUAL(cell(irqs, 7) + 16, VIRT_PPI_VTIMER);
}

UNIT_TEST(fdt, uart_rtc_and_chosen_point_at_each_other)
{
	int len;
	CU_ASSERT_EQUAL_FATAL(build(0, 0x48000000, 0x48123456), 0);
	int uart = fdt_path_offset(dtb, "/pl011@9000000");
	CU_ASSERT_TRUE_FATAL(uart >= 0);
	CU_ASSERT_EQUAL(fdt_node_check_compatible(dtb, uart, "arm,pl011"), 0);
	CU_ASSERT_EQUAL(fdt_node_check_compatible(dtb, uart, "arm,primecell"), 0);
	CU_ASSERT_EQUAL(fdt_stringlist_count(dtb, uart, "clock-names"), 2);
	CU_ASSERT_EQUAL(fdt_stringlist_search(dtb, uart, "clock-names", "apb_pclk"), 1);
	const void *clocks = prop("/pl011@9000000", "clocks", &len);
	int clk = fdt_node_offset_by_phandle(dtb, cell(clocks, 0));
	CU_ASSERT_TRUE_FATAL(clk >= 0);
	CU_ASSERT_EQUAL(cell(fdt_getprop(dtb, clk, "clock-frequency", &len), 0), 24000000);
	const void *irq = prop("/pl011@9000000", "interrupts", &len);
	CU_ASSERT_EQUAL(cell(irq, 0), 0);
	CU_ASSERT_EQUAL(cell(irq, 1), VIRT_SPI_UART);
	CU_ASSERT_EQUAL(cell(irq, 2), 4);
	irq = prop("/pl031@9010000", "interrupts", &len);
	CU_ASSERT_EQUAL(cell(irq, 1), VIRT_SPI_RTC);
	CU_ASSERT_EQUAL(fdt_node_check_compatible(dtb, fdt_path_offset(dtb, "/pl031@9010000"), "arm,pl031"), 0);

	CU_ASSERT_STRING_EQUAL(prop("/chosen", "bootargs", &len), "console=ttyAMA0 minivmm.test=x");
	const char *stdout_path = prop("/chosen", "stdout-path", &len);
	CU_ASSERT_EQUAL(fdt_path_offset(dtb, stdout_path), uart);
	fdt64_t v; /* properties are only 4-byte aligned */
	memcpy(&v, prop("/chosen", "linux,initrd-start", &len), sizeof(v));
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT_EQUAL(fdt64_to_cpu(v), 0x48000000ull);
	memcpy(&v, prop("/chosen", "linux,initrd-end", &len), sizeof(v));
	CU_ASSERT_EQUAL(fdt64_to_cpu(v), 0x48123456ull);
}

UNIT_TEST(fdt, no_initrd_means_no_initrd_properties)
{
	int len;
	CU_ASSERT_EQUAL_FATAL(build(0, 0, 0), 0);
	CU_ASSERT_PTR_NULL(fdt_getprop(dtb, fdt_path_offset(dtb, "/chosen"), "linux,initrd-start", &len));
}

UNIT_TEST(fdt, one_virtio_node_per_used_slot)
{
	int len, n = 0;
	CU_ASSERT_EQUAL_FATAL(build(2, 0, 0), 0);
	for (int node = fdt_node_offset_by_compatible(dtb, -1, "virtio,mmio"); node >= 0;
	     node = fdt_node_offset_by_compatible(dtb, node, "virtio,mmio"))
		n++;
	CU_ASSERT_EQUAL(n, 2);
	const void *irq = prop("/virtio_mmio@a000200", "interrupts", &len);
	CU_ASSERT_EQUAL(cell(irq, 0), 0);
	CU_ASSERT_EQUAL(cell(irq, 1), VIRT_SPI_MMIO + 1);
	const void *reg = prop("/virtio_mmio@a000200", "reg", &len);
	CU_ASSERT_EQUAL(cell(reg, 1), VIRT_MMIO + VIRT_MMIO_SIZE);
	CU_ASSERT_EQUAL(cell(reg, 3), VIRT_MMIO_SIZE);
	CU_ASSERT_PTR_NOT_NULL(fdt_getprop(dtb, fdt_path_offset(dtb, "/virtio_mmio@a000000"), "dma-coherent", &len));
}

UNIT_TEST(fdt, too_small_buffer_and_bad_cpu_count_fail_cleanly)
{
	struct arm64_fdt_config c = { .ram_base = VIRT_RAM, .ram_size = 1 << 28, .nr_cpus = 1 };
	char msg[128] = "";
	uint8_t small[256];
	CU_ASSERT_EQUAL(arm64_fdt_build(&c, small, sizeof(small), msg, sizeof(msg)), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "device tree"));
	c.nr_cpus = 9;
	CU_ASSERT_EQUAL(arm64_fdt_build(&c, dtb, sizeof(dtb), msg, sizeof(msg)), -EINVAL);
}
