#!/usr/bin/env bash
# The same virtio-blk guest test as t-linux-blk.sh on x86_64 under KVM: the disks are announced with
# virtio_mmio.device= on the command line and interrupt through IOAPIC lines 16+.
. "$(dirname "$0")/lib.sh"

command -v qemu-img >/dev/null || skip "qemu-img not installed (Debian package qemu-utils)"
[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
[ -e /dev/kvm ] || skip "no /dev/kvm: x86 guests need KVM"
kernel=$GUESTS/x86_64/bzImage
[ -f "$kernel" ] || skip "no x86_64 kernel: run guests/build-kernel.sh x86_64"
require_initramfs x86_64
minivmm_blk x86_64 "$kernel" ttyS0 --accel kvm
finish
