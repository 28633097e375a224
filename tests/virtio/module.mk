# The hostile virtio guests (tests/virtio/hostile.h with an arch front end), built on the runtimes
# of guests/arm64-baremetal and guests/x86-baremetal:
#   build/guests/virtio/hostile-arm64.img   arm64 Image
#   build/guests/virtio/hostile-x86.elf     32-bit PVH ELF
#   build/guests/virtio/blkbench-x86.elf    request round-trip benchmark (tests/virtio/bench-blk.sh)
#   build/guests/virtio/irq-x86.elf         interrupts through the IOAPIC (tests/virtio/t-irq-x86.sh)
VH_OUT := build/guests/virtio
VH_A64_RT_DIR := guests/arm64-baremetal
VH_A64_RT := $(VH_A64_RT_DIR)/rt_start.S $(VH_A64_RT_DIR)/rt_lib.c $(VH_A64_RT_DIR)/rt_mmu.c
VH_A64_CROSS ?= aarch64-linux-gnu-
VH_A64_CFLAGS := -O2 -g -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -no-pie \
                 -mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-builtin \
                 -Wall -Wextra -Werror -I$(VH_A64_RT_DIR) -Wl,--build-id=none -Wl,-z,norelro \
                 -Wl,--no-warn-rwx-segments

$(VH_OUT)/hostile-arm64.elf: tests/virtio/hostile-arm64.c tests/virtio/hostile.h $(VH_A64_RT) \
                             $(VH_A64_RT_DIR)/rt.h $(VH_A64_RT_DIR)/guest.ld
	@mkdir -p $(dir $@)
	$(VH_A64_CROSS)gcc $(VH_A64_CFLAGS) -T $(VH_A64_RT_DIR)/guest.ld -o $@ $(VH_A64_RT) $<

$(VH_OUT)/hostile-arm64.img: $(VH_OUT)/hostile-arm64.elf
	$(VH_A64_CROSS)objcopy -O binary $< $@

# x86: the same entry, runtime, flags and linker script as the guests in guests/x86-baremetal.
VH_X86_DIR := guests/x86-baremetal
VH_X86_RT  := build/guests/x86/entry32.32.o build/guests/x86/rt.32.o

$(VH_OUT)/hostile-x86.32.o: tests/virtio/hostile-x86.c tests/virtio/hostile.h $(VH_X86_DIR)/rt.h
	@mkdir -p $(dir $@)
	$(X86G_CC) -m32 -march=i686 $(X86G_CFLAGS) -c $< -o $@

$(VH_OUT)/hostile-x86.elf: $(VH_OUT)/hostile-x86.32.o $(VH_X86_RT) $(VH_X86_DIR)/guest.ld
	ld -m elf_i386 $(X86G_LDFLAGS) $(filter %.o,$^) -o $@

$(VH_OUT)/blkbench-x86.32.o: tests/virtio/blkbench-x86.c tests/virtio/hostile.h $(VH_X86_DIR)/rt.h
	@mkdir -p $(dir $@)
	$(X86G_CC) -m32 -march=i686 $(X86G_CFLAGS) -c $< -o $@

$(VH_OUT)/blkbench-x86.elf: $(VH_OUT)/blkbench-x86.32.o $(VH_X86_RT) $(VH_X86_DIR)/guest.ld
	ld -m elf_i386 $(X86G_LDFLAGS) $(filter %.o,$^) -o $@

$(VH_OUT)/irq-x86.32.o: tests/virtio/irq-x86.c tests/virtio/hostile.h $(VH_X86_DIR)/rt.h $(VH_X86_DIR)/irq32.h
	@mkdir -p $(dir $@)
	$(X86G_CC) -m32 -march=i686 $(X86G_CFLAGS) -c $< -o $@

$(VH_OUT)/irq-x86.elf: $(VH_OUT)/irq-x86.32.o $(VH_X86_RT) build/guests/x86/irq32.32.o $(VH_X86_DIR)/guest.ld
	ld -m elf_i386 $(X86G_LDFLAGS) $(filter %.o,$^) -o $@

VH_GUESTS := $(VH_OUT)/hostile-arm64.img $(VH_OUT)/hostile-x86.elf $(VH_OUT)/blkbench-x86.elf \
             $(VH_OUT)/irq-x86.elf
GUEST_TARGETS += $(VH_GUESTS)
virtio-guests: $(VH_GUESTS)
.PHONY: virtio-guests
