# The hostile virtio guest (tests/virtio/hostile.c): a bare-metal aarch64 image on the runtime of
# guests/arm64-baremetal, built into build/guests/virtio/hostile.img.
VIRTIO_HOSTILE_RT_DIR := guests/arm64-baremetal
VIRTIO_HOSTILE_RT := $(VIRTIO_HOSTILE_RT_DIR)/rt_start.S $(VIRTIO_HOSTILE_RT_DIR)/rt_lib.c \
                     $(VIRTIO_HOSTILE_RT_DIR)/rt_mmu.c
VIRTIO_HOSTILE_CROSS ?= aarch64-linux-gnu-
VIRTIO_HOSTILE_CFLAGS := -O2 -g -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -no-pie \
                 -mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-builtin \
                 -Wall -Wextra -Werror -I$(VIRTIO_HOSTILE_RT_DIR) -Wl,--build-id=none -Wl,-z,norelro \
                 -Wl,--no-warn-rwx-segments

build/guests/virtio/hostile.elf: tests/virtio/hostile.c $(VIRTIO_HOSTILE_RT) $(VIRTIO_HOSTILE_RT_DIR)/rt.h \
                                 $(VIRTIO_HOSTILE_RT_DIR)/guest.ld
	@mkdir -p $(dir $@)
	$(VIRTIO_HOSTILE_CROSS)gcc $(VIRTIO_HOSTILE_CFLAGS) -T $(VIRTIO_HOSTILE_RT_DIR)/guest.ld -o $@ \
		$(VIRTIO_HOSTILE_RT) $<

build/guests/virtio/hostile.img: build/guests/virtio/hostile.elf
	$(VIRTIO_HOSTILE_CROSS)objcopy -O binary $< $@

GUEST_TARGETS += build/guests/virtio/hostile.img
virtio-guests: build/guests/virtio/hostile.img
.PHONY: virtio-guests
