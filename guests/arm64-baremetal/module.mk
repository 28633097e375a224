# Bare-metal aarch64 test guests: build/guests/arm64/<name>.img (arm64 Image, for --kernel and
# QEMU's -kernel) and <name>.elf (symbols, for debugging).
A64_CROSS   ?= aarch64-linux-gnu-
A64_BM_DIR  := guests/arm64-baremetal
A64_BM_OUT  := build/guests/arm64
A64_BM_RT   := $(A64_BM_DIR)/rt_start.S $(A64_BM_DIR)/rt_lib.c $(A64_BM_DIR)/rt_mmu.c
A64_BM_CFLAGS := -O2 -g -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -no-pie \
                 -mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-builtin \
                 -Wall -Wextra -Werror -I$(A64_BM_DIR) -Wl,--build-id=none -Wl,-z,norelro -Wl,--no-warn-rwx-segments
A64_BM_GUESTS := hello exceptions mmu timer gic psci reset mips

$(A64_BM_OUT)/%.elf: $(A64_BM_DIR)/%.c $(A64_BM_RT) $(A64_BM_DIR)/rt.h $(A64_BM_DIR)/guest.ld
	@mkdir -p $(dir $@)
	$(A64_CROSS)gcc $(A64_BM_CFLAGS) -T $(A64_BM_DIR)/guest.ld -o $@ $(A64_BM_RT) $<

$(A64_BM_OUT)/%.img: $(A64_BM_OUT)/%.elf
	$(A64_CROSS)objcopy -O binary $< $@

.PRECIOUS: $(A64_BM_OUT)/%.elf
GUEST_TARGETS += $(A64_BM_GUESTS:%=$(A64_BM_OUT)/%.img)
arm64-baremetal: $(A64_BM_GUESTS:%=$(A64_BM_OUT)/%.img)
.PHONY: arm64-baremetal bench-arm64

bench-arm64: $(BIN)/minivmm arm64-baremetal
	bench/arm64-boot.sh
	bench/arm64-mips.sh
