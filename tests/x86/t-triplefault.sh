#!/usr/bin/env bash
# triplefault: a guest that faults with an empty IDT shuts the CPU down; minivmm ends with the
# crash status 3 after a register dump that names the faulting instruction (ud2 at the address the
# guest printed).
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
elf=$(guest_elf triplefault)

run_vmm "$MINIVMM" "$elf" "$TMPDIR/tf"
expect_rc "$TMPDIR/tf" 3 "minivmm: crash status"
expect_line "$TMPDIR/tf.txt" '^triplefault: empty IDT, then ud2 at 0x' "guest reached the fault"
no_line "$TMPDIR/tf.txt" 'still running' "the guest did not survive the fault"
addr=$(sed -n 's/^triplefault: empty IDT, then ud2 at 0x0*\([0-9a-f]*\)$/\1/p' "$TMPDIR/tf.txt")
expect_line "$TMPDIR/tf.err" '[Rr][Ii][Pp]' "register dump on stderr (rip)"
if [ -n "$addr" ] && grep -iqE "(\b|0x)0*$addr\b" "$TMPDIR/tf.err"; then
	ok "the dump shows the faulting address 0x$addr"
else
	bad "the dump does not show the faulting address 0x$addr"
fi
if grep -q 'ud2' "$TMPDIR/tf.err"; then
	ok "the dump disassembles the faulting instruction (ud2)"
else
	bad "the dump does not name the faulting instruction ud2"
fi
sed 's/^/    stderr: /' "$TMPDIR/tf.err" | head -40
if have_qemu; then
	# The oracle treats a triple fault as a reset: with -no-reboot it exits 0, guest silent after.
	run_qemu "$elf" "$TMPDIR/tf-qemu"
	expect_rc "$TMPDIR/tf-qemu" 0 "qemu -no-reboot (oracle): triple fault = reset"
	no_line "$TMPDIR/tf-qemu.txt" 'still running' "qemu: the guest did not survive the fault"
fi
finish
