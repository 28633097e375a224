/*
 * The hostile virtio guest on aarch64 (tests/virtio/hostile.h; tests/virtio/t-hostile-guest.sh), on
 * the runtime of guests/arm64-baremetal. Runs under minivmm and QEMU virt (where the transports
 * occupy the slots from the top down).
 */
#include "rt.h"

#define Q 0x48000000UL
#define RAM_END 0x50000000UL    /* 256 MiB at 0x40000000 */
#define MMIO_UART 0x09000000UL  /* PL011 */
#define HOSTILE_WINDOWS { 0x0a000000UL, 0x200, 32 }

static uint64_t hostile_now(void) { return read_sysreg(cntvct_el0); }
static uint64_t hostile_deadline(unsigned ms) { return hostile_now() + read_sysreg(cntfrq_el0) / 1000 * ms; }
#define hostile_wmb() dsb(sy)
#define hostile_check rt_check
#define hostile_printf rt_printf

#include "hostile.h"

int main(void)
{
	hostile_run();
	return 0;
}
