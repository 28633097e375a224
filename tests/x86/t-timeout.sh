#!/usr/bin/env bash
# timeout: a guest halted with interrupts off (asleep inside KVM_RUN) is ended by --timeout with
# status 124, with one vCPU and with APs that never got a STARTUP IPI; the VMM must kick every
# vCPU thread out of the kernel. Also under ASan/UBSan (threads torn down cleanly).
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf halt)

for bin in "$MINIVMM" "$MINIVMM_SAN"; do
	[ -x "$bin" ] || { bad "$bin missing (make SANITIZE=1)"; continue; }
	tag=minivmm; [ "$bin" = "$MINIVMM_SAN" ] && tag="minivmm (ASan/UBSan)"
	for cpus in 1 4; do
		out=$TMPDIR/halt-$cpus-${tag%% *}$([ "$bin" = "$MINIVMM_SAN" ] && echo -san)
		# The outer limit (30 s) only catches a VMM that never stops; 2 s is what we ask for.
		OUTER_TIMEOUT=30 run_vmm "$bin" "$elf" "$out" --timeout 2 --cpus "$cpus"
		expect_rc "$out" 124 "$tag --cpus $cpus: --timeout 2 ends a halted guest"
		expect_line "$out.txt" '^halt: cli; hlt forever' "$tag --cpus $cpus: the guest ran"
		[ "$bin" = "$MINIVMM_SAN" ] && expect_clean_san "$out" "$tag --cpus $cpus"
	done
done
finish
