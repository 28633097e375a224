#!/usr/bin/env bash
# Linux on the aarch64 interpreter writes a pattern to a qcow2 disk over virtio-mmio/virtio-blk,
# syncs, reads it back; a second disk is read-only and refuses writes. The host then checks the
# image with qemu-img check and qemu-img convert + cmp. QEMU runs the same guest script first.
. "$(dirname "$0")/lib.sh"

command -v qemu-img >/dev/null || skip "qemu-img not installed (Debian package qemu-utils)"
[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
kernel=$GUESTS/aarch64/Image
[ -f "$kernel" ] || skip "no aarch64 kernel: run guests/build-kernel.sh aarch64"
require_initramfs aarch64
initrd=$GUESTS/aarch64/initramfs.cpio.gz
append="console=ttyAMA0 minivmm.test=virtio-blk"

if command -v qemu-system-aarch64 >/dev/null; then
	q=$TMPDIR/qemu; mkdir -p "$q"; make_disks "$q"
	timeout 300 qemu-system-aarch64 -M virt -cpu cortex-a57 -m 256M -nographic -no-reboot -nodefaults \
		-serial stdio -kernel "$kernel" -initrd "$initrd" -append "$append" \
		-drive file="$q/rw.qcow2",if=none,id=rw,format=qcow2 -device virtio-blk-device,drive=rw,serial=minivmm-rw \
		-drive file="$q/ro.raw",if=none,id=ro,format=raw,readonly=on -device virtio-blk-device,drive=ro,serial=minivmm-ro \
		</dev/null >"$q/console.log" 2>&1
	guest_result "$q/console.log" qemu
	check_image "$q" qemu
fi

# The interpreter is the Linux path on this host (x86 Linux needs hardware KVM: t-linux-blk-x86.sh).
minivmm_blk aarch64 "$kernel" ttyAMA0 --accel interp
# The ASan/UBSan build, when built: the device threads under a real driver's load.
MINIVMM_SAN=${MINIVMM_SAN:-$ROOT/build-san/minivmm}
if [ -x "$MINIVMM_SAN" ]; then
	VMM_BIN=$MINIVMM_SAN VMM_TAG=minivmm-asan VMM_OPTIONAL=1 minivmm_blk aarch64 "$kernel" ttyAMA0 --accel interp
fi
finish
