# x86 bare-metal test guests: PVH ELF images that minivmm and qemu-system-x86_64 -kernel both boot.
# Built with fixed flags and paths so the ELF files are reproducible byte for byte.
#   make guests-x86     build/guests/x86/*.elf
#   make bench-x86      minivmm vs qemu-system-x86_64 -accel kvm (bench/x86-boot.sh)

X86G_DIR := guests/x86-baremetal
X86G_OUT := build/guests/x86
X86G_32  := hello cpuid uart uart-rx serial-bulk rtc timer bus reset triplefault halt pio-loop smp
X86G_64  := longmode
X86G_ASM := boot-time
X86G_ELFS := $(foreach g,$(X86G_32) $(X86G_64) $(X86G_ASM),$(X86G_OUT)/$(g).elf)

X86G_CC     := gcc
X86G_CFLAGS := -std=gnu11 -O2 -g0 -ffreestanding -fno-builtin -fno-pic -fno-pie -fno-stack-protector \
               -fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none \
               -mgeneral-regs-only -mno-red-zone -Wall -Wextra -Werror -Wno-unused-parameter \
               -ffile-prefix-map=$(CURDIR)=. -MMD -MP -I$(X86G_DIR)
X86G_LDFLAGS := --no-warn-rwx-segments -nostdlib -static --build-id=none -z noexecstack -z max-page-size=4096 -T $(X86G_DIR)/guest.ld

$(X86G_OUT)/%.32.o: $(X86G_DIR)/%.c
	@mkdir -p $(dir $@)
	$(X86G_CC) -m32 -march=i686 $(X86G_CFLAGS) -c $< -o $@
$(X86G_OUT)/%.32.o: $(X86G_DIR)/%.S
	@mkdir -p $(dir $@)
	$(X86G_CC) -m32 $(X86G_CFLAGS) -c $< -o $@
$(X86G_OUT)/%.64.o: $(X86G_DIR)/%.c
	@mkdir -p $(dir $@)
	$(X86G_CC) -m64 -mcmodel=small $(X86G_CFLAGS) -c $< -o $@
$(X86G_OUT)/%.64.o: $(X86G_DIR)/%.S
	@mkdir -p $(dir $@)
	$(X86G_CC) -m64 $(X86G_CFLAGS) -c $< -o $@

# 32-bit guests: entry32 + runtime + the test, an ELF32 image.
$(foreach g,$(X86G_32),$(X86G_OUT)/$(g).elf): $(X86G_OUT)/%.elf: $(X86G_OUT)/%.32.o \
		$(X86G_OUT)/entry32.32.o $(X86G_OUT)/rt.32.o $(X86G_DIR)/guest.ld
	ld -m elf_i386 $(X86G_LDFLAGS) $(filter %.o,$^) -o $@

# smp also carries the AP start-up trampoline; MP table lookup and interrupt plumbing are shared.
$(X86G_OUT)/smp.elf: $(X86G_OUT)/smp-ap.32.o $(X86G_OUT)/mp.32.o
$(X86G_OUT)/timer.elf: $(X86G_OUT)/mp.32.o $(X86G_OUT)/irq32.32.o
$(X86G_OUT)/uart-rx.elf: $(X86G_OUT)/irq32.32.o

# Long-mode guest: a 32-bit PVH entry that builds page tables and enters 64-bit code, an ELF64 image.
$(X86G_OUT)/longmode.elf: $(X86G_OUT)/longmode.64.o $(X86G_OUT)/entry64.64.o $(X86G_OUT)/rt.64.o \
		$(X86G_DIR)/guest.ld
	ld -m elf_x86_64 $(X86G_LDFLAGS) $(filter %.o,$^) -o $@

# Assembly-only guests (no runtime: boot-time must reach its first byte with nothing in between).
$(X86G_OUT)/boot-time.elf: $(X86G_OUT)/boot-time.32.o $(X86G_DIR)/guest.ld
	ld -m elf_i386 $(X86G_LDFLAGS) $(filter %.o,$^) -o $@

GUEST_TARGETS += $(X86G_ELFS)

.PHONY: guests-x86 bench-x86
guests-x86: $(X86G_ELFS)
bench-x86: $(BIN)/minivmm $(X86G_ELFS)
	bench/x86-boot.sh

-include $(wildcard $(X86G_OUT)/*.d)
