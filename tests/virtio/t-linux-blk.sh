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

m=$TMPDIR/minivmm; mkdir -p "$m"; make_disks "$m"
t0=$SECONDS
"$MINIVMM" --arch aarch64 --accel interp --mem 256M --kernel "$kernel" --initrd "$initrd" \
	--disk "$m/rw.qcow2,format=qcow2,serial=minivmm-rw" --disk "$m/ro.raw,format=raw,readonly,serial=minivmm-ro" \
	--append "$append" --timeout 900 </dev/null >"$m/console.log" 2>&1
rc=$?
echo "minivmm exit $rc after $((SECONDS - t0)) s; console tail:"
tail -25 "$m/console.log" | sed 's/^/    /'
if ! grep -q 'minivmm-init: reached init' "$m/console.log"; then
	# The interpreter is the only Linux path on this host; until it boots Linux there is nothing to test.
	grep -E 'virtio|vd[a-z]' "$m/console.log" | head -5
	skip "Linux on the aarch64 interpreter did not reach init (minivmm exit $rc): cannot run the guest half yet"
fi
guest_result "$m/console.log" minivmm
check_image "$m" minivmm
grep -q 'DEVICE_NEEDS_RESET' "$m/console.log" && bad "minivmm: a virtio device went to NEEDS_RESET"
echo "NOTE: virtio-blk under Linux on the aarch64 interpreter: guest run took $((SECONDS - t0)) s"
finish
