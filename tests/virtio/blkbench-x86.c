/*
 * virtio-blk request round trip on x86 under KVM (tests/virtio/bench-blk.sh; not a test): the
 * driver half of tests/virtio/hostile.h issues synchronous requests (queue depth 1, polling the
 * used ring, no interrupts) and prints TSC cycles per request, so minivmm and QEMU can be compared
 * on the same host. The disk must be at least 64 MiB.
 */
#include "rt.h"

#define Q 0x04000000UL
#define RAM_END 0x10000000UL
#define MMIO_UART 0xfec00000UL
#define HOSTILE_WINDOWS { 0xd0000000UL, 0x1000, 8 }, { 0xfeb00000UL, 0x200, 24 }

static uint64_t hostile_now(void) { return rdtsc(); }
static uint64_t hostile_deadline(unsigned ms) { return rdtsc() + (uint64_t)ms * 3000000; }
#define hostile_wmb() __asm__ volatile("mfence" ::: "memory")
#define hostile_check check
#define hostile_printf gprintf
/* INDIRECT_DESC and FLUSH: a write-back disk, as Linux negotiates it. */
#define HOSTILE_FEATURES_LO ((1u << 28) | (1u << 9))

#include "hostile.h"

static void bench(const char *what, uint32_t type, uint32_t size, uint32_t n)
{
	uint32_t span = (64u << 20) / 512 - size / 512 - 1;
	uint64_t t0 = rdtsc();
	uint32_t sector = 0;
	for (uint32_t i = 0; i < n; i++, sector += size / 512) {
		if (sector > span)
			sector = 0;
		publish(blk_req(0, type, sector, Q_DATA, size, type == 0), 1);
		if (!wait_used(avail_idx) || *(volatile uint8_t *)Q_STATUS != 0) {
			check(false, "%s request %u completed", what, i);
			return;
		}
	}
	uint64_t cycles = rdtsc() - t0;
	udivmod64(&cycles, n);
	gprintf("blkbench: %s %u x %u bytes: %u cycles/request\n", what, n, size, (uint32_t)cycles);
}

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	if (!check(find_device(), "a virtio-blk device"))
		guest_finish("blkbench");
	check(setup() == 15, "driver init");
	bench("read", 0, 4096, 20000);
	bench("write", 1, 4096, 20000);
	bench("read", 0, 65536, 4000);
	bench("write", 1, 65536, 4000);
	bench("flush", 4, 0, 200);
	guest_finish("blkbench");
}
