/*
 * The hostile virtio guest on x86 (tests/virtio/hostile.h; tests/virtio/t-hostile-guest-x86.sh): a
 * 32-bit PVH guest on the runtime of guests/x86-baremetal, run with --mem 256M. Finds the device in
 * minivmm's slots (0xd0000000, 4 KiB apart) or QEMU microvm's (0xfeb00000, 512 bytes apart).
 */
#include "rt.h"

#define Q 0x04000000UL
#define RAM_END 0x10000000UL     /* 256 MiB */
#define MMIO_UART 0xfec00000UL   /* the IOAPIC stands in: device memory no DMA may reach */
#define HOSTILE_WINDOWS { 0xd0000000UL, 0x1000, 8 }, { 0xfeb00000UL, 0x200, 24 }

/* KVM passes the host TSC through; at >= 1 GHz a tick is at most 1 ns, so ms * 1e6 ticks is enough. */
static uint64_t hostile_now(void) { return rdtsc(); }
static uint64_t hostile_deadline(unsigned ms) { return rdtsc() + (uint64_t)ms * 3000000; }
#define hostile_wmb() __asm__ volatile("mfence" ::: "memory")
#define hostile_check check
#define hostile_printf gprintf

#include "hostile.h"

void guest_main(struct hvm_start_info *si)
{
	serial_init();
	hostile_run();
	guest_finish("virtio-hostile");
}
