#!/usr/bin/env bash
# virtio-mmio interrupts on x86 under KVM (tests/virtio/irq-x86.c): completions raise IOAPIC pin 16
# (level, active high) with InterruptStatus bit 0 and drop when acked; VRING_AVAIL_F_NO_INTERRUPT
# suppresses them; a broken queue raises a configuration-change interrupt. Exit 129 = guest passed.
. "$(dirname "$0")/lib.sh"
MINIVMM_SAN=${MINIVMM_SAN:-$ROOT/build-san/minivmm}

[ -x "$MINIVMM" ] || fail_now "$MINIVMM is not built (make)"
[ -e /dev/kvm ] || skip "no /dev/kvm: x86 guests need KVM"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no read/write permission on /dev/kvm"
elf=$ROOT/build/guests/virtio/irq-x86.elf
[ -f "$elf" ] || make -C "$ROOT" -s virtio-guests >&2 || fail_now "cannot build $elf"
truncate -s 1M "$TMPDIR/disk.raw"

for bin in "$MINIVMM" "$MINIVMM_SAN"; do
	[ -x "$bin" ] || continue
	tag=$([ "$bin" = "$MINIVMM" ] && echo minivmm || echo minivmm-asan)
	timeout -k 5 60 "$bin" --kernel "$elf" --mem 256M --disk "$TMPDIR/disk.raw,format=raw" --timeout 30 \
		</dev/null >"$TMPDIR/$tag.log" 2>&1
	rc=$?
	grep -E '^  (ok|FAIL)' "$TMPDIR/$tag.log" | sed "s/^/    [$tag] /"
	[ "$rc" = 129 ] && ok "$tag: the guest passed (exit 129)" || bad "$tag: exit $rc, want 129 (124: an interrupt never came)"
	grep -qE 'runtime error|AddressSanitizer' "$TMPDIR/$tag.log" && bad "$tag: sanitizer report"
	n=$(sed -n 's/^virtio-irq: \([0-9]*\) spurious.*/\1/p' "$TMPDIR/$tag.log")
	[ "${n:-0}" != 0 ] && echo "NOTE: $tag: $n spurious re-deliveries of the acked, EOId level interrupt (KVM here is PVM)"
done
finish
