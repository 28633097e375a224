# Shared by tests/virtio/t-*.sh (sourced, not a test). t-linux-blk*.sh: boot Linux with two virtio-blk
# disks, run guests/initramfs/tests/virtio-blk.sh inside, then check the images from the host with
# qemu-img. QEMU, when installed, runs the same guest script first as the oracle for the script.
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

# The initramfs must carry the guest half of this test; rebuild it (cached, a second) if stale.
require_initramfs() { # arch [test name, default virtio-blk]
	local initrd=$GUESTS/$1/initramfs.cpio.gz name=${2:-virtio-blk}
	if ! { [ -f "$initrd" ] && zcat "$initrd" | cpio -i --to-stdout "tests/$name.sh" 2>/dev/null |
		cmp -s - "$ROOT/guests/initramfs/tests/$name.sh"; }; then
		"$ROOT/guests/build-initramfs.sh" "$1" >/dev/null 2>&1 ||
			skip "guests/out/$1/initramfs.cpio.gz lacks tests/$name.sh and guests/build-initramfs.sh $1 failed"
	fi
}

# make_disks DIR: rw.qcow2 (64 MiB, empty) and ro.raw (1 MiB of `yes minivmm-readonly`).
make_disks() {
	rm -f "$1/rw.qcow2" "$1/ro.raw"
	qemu-img create -q -f qcow2 "$1/rw.qcow2" 64M || fail_now "qemu-img create failed"
	yes minivmm-readonly | head -c 1048576 > "$1/ro.raw"
	cp "$1/ro.raw" "$1/ro.orig"
}

# check_image DIR WHO: the qcow2 passes qemu-img check and holds exactly the guest's pattern;
# the read-only disk is unchanged.
check_image() {
	local d=$1 who=$2
	if qemu-img check -q "$d/rw.qcow2"; then ok "$who: qemu-img check finds the qcow2 clean"
	else bad "$who: qemu-img check: $(qemu-img check "$d/rw.qcow2" 2>&1 | head -3)"; fi
	rm -f "$d/rw.raw"
	qemu-img convert -f qcow2 -O raw "$d/rw.qcow2" "$d/rw.raw" || { bad "$who: qemu-img convert failed"; return; }
	# Expected: zeroes, with the 4 MiB pattern at 1 MiB.
	rm -f "$d/expect.raw"
	truncate -s 64M "$d/expect.raw"
	yes minivmm-pattern-0123456789 | head -c 4194304 |
		dd of="$d/expect.raw" bs=65536 seek=16 conv=notrunc status=none
	if cmp -s "$d/rw.raw" "$d/expect.raw"; then ok "$who: qemu-img convert output is byte-identical to the pattern"
	else bad "$who: image differs from the expected pattern: $(cmp "$d/rw.raw" "$d/expect.raw" 2>&1 | head -1)"; fi
	cmp -s "$d/ro.raw" "$d/ro.orig" && ok "$who: read-only disk unchanged" || bad "$who: read-only disk was modified"
}

# guest_result LOG WHO: the guest script's own verdict.
guest_result() {
	local log=$1 who=$2
	grep '^virtio-blk: ' "$log" | sed "s/^/    [$who] /"
	if grep -q '^minivmm-test: virtio-blk exit=0' "$log"; then ok "$who: guest script passed"
	else bad "$who: guest script did not pass: $(grep -a '^minivmm-test:' "$log" || echo 'no result line')"; fi
}

# minivmm_blk ARCH KERNEL CONSOLE [minivmm options...]: boot with both disks, run the guest script,
# check the images. Skips (77) when Linux does not reach init on this host's engine for ARCH.
# VMM_BIN (default $MINIVMM) and VMM_TAG (default minivmm-ARCH) select the binary and log label.
minivmm_blk() {
	local arch=$1 kernel=$2 console=$3; shift 3
	local tag=${VMM_TAG:-minivmm-$arch}
	local m=$TMPDIR/$tag t0=$SECONDS rc
	mkdir -p "$m"; make_disks "$m"
	"${VMM_BIN:-$MINIVMM}" --arch "$arch" --mem 256M --kernel "$kernel" --initrd "$GUESTS/$arch/initramfs.cpio.gz" \
		--disk "$m/rw.qcow2,format=qcow2,serial=minivmm-rw" \
		--disk "$m/ro.raw,format=raw,readonly,serial=minivmm-ro" \
		--append "console=$console minivmm.test=virtio-blk" --timeout 900 "$@" </dev/null >"$m/console.log" 2>&1
	rc=$?
	echo "$tag exit $rc after $((SECONDS - t0)) s; console tail:"
	tail -25 "$m/console.log" | sed 's/^/    /'
	if ! grep -q 'minivmm-init: reached init' "$m/console.log"; then
		grep -aE 'virtio|vd[a-z]' "$m/console.log" | head -5
		if [ -n "${VMM_OPTIONAL:-}" ]; then
			echo "NOTE: $tag: Linux did not reach init (exit $rc); that run was skipped"
			return
		fi
		skip "Linux ($arch) did not reach init under minivmm on this host (exit $rc): the guest half cannot run here"
	fi
	guest_result "$m/console.log" "$tag"
	check_image "$m" "$tag"
	grep -q 'DEVICE_NEEDS_RESET' "$m/console.log" && bad "$tag: a virtio device went to NEEDS_RESET"
	grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$m/console.log" && bad "$tag: sanitizer report"
	echo "NOTE: virtio-blk guest test ($tag): Linux boot + test + power-off took $((SECONDS - t0)) s"
}

# For the hostile-guest tests (tests/virtio/t-hostile-guest*.sh).
# sector_disk: $TMPDIR/sectors.raw, where sector n holds the byte n & 0xff (the guest checks what it
# reads), and sectors.orig, a copy to compare with afterwards.
sector_disk() {
	python3 -c 'import sys; sys.stdout.buffer.write(b"".join(bytes([n & 0xff]) * 512 for n in range(2048)))' \
		>"$TMPDIR/sectors.raw"
	cp "$TMPDIR/sectors.raw" "$TMPDIR/sectors.orig"
}

# qemu_hostile_verdict LOG FAIL NOTE: the guest's good path (init, reads, recovery after reset) must
# pass on QEMU's virtio-blk too; the broken queues QEMU lets through go into a NOTE. FAIL is how
# the guest starts a failed check ("FAIL - " on arm64, "  FAIL " on x86); NOTE starts the note.
qemu_hostile_verdict() {
	local log=$1 fail=$2 note=$3 total missed nmissed
	if grep -E "^$fail" "$log" | grep -qv 'DEVICE_NEEDS_RESET\|configuration interrupt\|nothing completed'; then
		bad "qemu: the guest's good path fails on QEMU's device: $(grep "^$fail" "$log" | head -3)"
	else
		ok "qemu: the guest's init, reads and recovery pass on QEMU's virtio-blk"
	fi
	total=$(grep -c ': DEVICE_NEEDS_RESET' "$log")
	missed=$(grep "^$fail.*: DEVICE_NEEDS_RESET" "$log" | sed "s/^$fail//; s/: DEVICE_NEEDS_RESET.*//")
	nmissed=$(grep -c . <<<"$missed")
	note+="QEMU's virtio-blk flags $((total - nmissed))/$total hostile queues with NEEDS_RESET"
	[ -n "$missed" ] && note+=" (more lenient on: $(paste -sd, - <<<"$missed"))"
	echo "$note; minivmm flags all"
}
