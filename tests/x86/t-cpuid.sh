#!/usr/bin/env bash
# cpuid: the CPU the guest sees: the host's vendor/family/model/stepping (the same as QEMU
# -accel kvm -cpu host shows the same guest), the features a 64-bit kernel needs, the hypervisor
# bit, KVM's signature and feature leaves, IA32_APIC_BASE. A missing brand string (this host's
# software KVM returns zeros for leaves 0x80000002-4) is reported in a NOTE.
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf cpuid)

run_vmm "$MINIVMM" "$elf" "$TMPDIR/cpuid"
expect_rc "$TMPDIR/cpuid" 129 minivmm
expect_line "$TMPDIR/cpuid.txt" '^cpuid: PASS' "minivmm: cpuid: PASS"
guest_fails "$TMPDIR/cpuid"
if have_qemu; then
	# The oracle must run on KVM too: TCG has its own CPU model and no KVM leaves.
	QEMU_ACCEL=kvm run_qemu "$elf" "$TMPDIR/cpuid-qemu" -cpu host
	expect_rc "$TMPDIR/cpuid-qemu" 129 "qemu -accel kvm -cpu host (oracle)"
	v1=$(grep '^cpuid: vendor' "$TMPDIR/cpuid.txt"); v2=$(grep '^cpuid: vendor' "$TMPDIR/cpuid-qemu.txt")
	if [ -n "$v1" ] && [ "$v1" = "$v2" ]; then ok "same vendor/family/model/stepping as QEMU: ${v1#cpuid: }"
	else bad "vendor/family/model differ: minivmm '$v1', qemu '$v2'"; fi
	b1=$(grep '^cpuid: brand' "$TMPDIR/cpuid.txt"); b2=$(grep '^cpuid: brand' "$TMPDIR/cpuid-qemu.txt")
	if [ "$b1" = "$b2" ]; then ok "same brand string as QEMU: ${b1#cpuid: brand }"
	else echo "NOTE: cpuid: brand string minivmm ${b1#cpuid: brand } vs qemu -cpu host ${b2#cpuid: brand } (KVM_GET_SUPPORTED_CPUID leaves 0x80000002-4 $(software_kvm && echo 'are zero on this software KVM' || echo 'differ'))"; fi
fi
finish
