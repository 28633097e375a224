#!/usr/bin/env bash
# arm64 Linux on the interpreter: guests/out/aarch64/Image + initramfs boot to the busybox init,
# which runs guests/initramfs/tests/arm64-basic.sh (uname -m, date from the PL031 against the host
# clock, /proc/cpuinfo, DTB/GIC/timer/PSCI as the kernel saw them) and powers off: exit 0.
# QEMU virt runs the same kernel and script as the oracle: the same checks must pass there.
. "$(dirname "$0")/lib.sh"
kernel=$GUESTS/aarch64/Image
initrd=$GUESTS/aarch64/initramfs.cpio.gz
[ -f "$kernel" ] || skip "no $kernel: run guests/build-kernel.sh aarch64 (make guests)"
[ -f "$initrd" ] || skip "no $initrd: run guests/build-initramfs.sh aarch64 (make guests)"
require_minivmm "$MINIVMM"
append="console=ttyAMA0 minivmm.test=arm64-basic"

# check_run TAG OUT HOST_T0 HOST_T1: the guest's view must agree with the host's.
check_run() {
	local tag=$1 out=$2 t0=$3 t1=$4 rc
	rc=$(cat "$out.rc")
	[ "$rc" = 0 ] && ok "$tag: exit status 0 after the guest powered off" ||
		{ bad "$tag: exit status $rc"; tail -20 "$out.txt" "$out.err" | sed 's/^/    /'; }
	grep -q '^minivmm-init: reached init' "$out.txt" && ok "$tag: reached init" || bad "$tag: init not reached"
	grep -q '^minivmm-test: arm64-basic exit=0' "$out.txt" && ok "$tag: arm64-basic exit=0" ||
		bad "$tag: arm64-basic did not finish with exit 0"
	grep '^arm64-basic: ok ' "$out.txt" | sed "s/^arm64-basic: ok /ok   $tag: /"
	while read -r line; do bad "$tag: ${line#arm64-basic: FAIL }"; done < <(grep '^arm64-basic: FAIL' "$out.txt")
	local arch date
	arch=$(sed -n 's/^arm64-basic: uname-m=//p' "$out.txt")
	[ "$arch" = aarch64 ] && ok "$tag: uname -m printed aarch64" || bad "$tag: uname -m printed '$arch'"
	local psci; psci=$(sed -n 's/^arm64-basic: psci=//p' "$out.txt")
	[ "$psci" = 0.2 ] && ok "$tag: the kernel uses PSCI 0.2 over HVC" || bad "$tag: PSCI version '$psci', want 0.2"
	date=$(sed -n 's/^arm64-basic: date=//p' "$out.txt")
	if [[ $date =~ ^[0-9]+$ ]] && [ "$date" -ge $((t0 - 3)) ] && [ "$date" -le $((t1 + 3)) ]; then
		ok "$tag: guest date $date within the host's run [$t0, $t1] (3 s slack)"
	else
		bad "$tag: guest date '$date' outside the host's run [$t0, $t1]"
	fi
}

t0=$(date +%s)
run_vmm "$MINIVMM" "$kernel" "$TMPDIR/vmm" --initrd "$initrd" --append "$append"
t1=$(date +%s)
check_run minivmm "$TMPDIR/vmm" "$t0" "$t1"
init_at=$(sed -n 's/^minivmm-init: reached init (aarch64, \([0-9.]*\) s uptime)/\1/p' "$TMPDIR/vmm.txt")
[ -n "$init_at" ] && echo "NOTE: arm64 Linux reached init at $init_at s guest uptime (interpreter; whole run $((t1 - t0)) s)"

if [ -x "$MINIVMM_SAN" ]; then
	t0=$(date +%s)
	run_vmm "$MINIVMM_SAN" "$kernel" "$TMPDIR/san" --initrd "$initrd" --append "$append"
	t1=$(date +%s)
	check_run "minivmm (ASan)" "$TMPDIR/san" "$t0" "$t1"
	grep -q 'Sanitizer\|runtime error' "$TMPDIR/san.err" && bad "ASan/UBSan reports:" &&
		grep -m5 'Sanitizer\|runtime error' "$TMPDIR/san.err" | sed 's/^/    /'
fi

if have_qemu; then
	t0=$(date +%s)
	run_qemu "$kernel" "$TMPDIR/qemu" -initrd "$initrd" -append "$append"
	t1=$(date +%s)
	grep '^arm64-basic: \(ok\|FAIL\)' "$TMPDIR/qemu.txt" | sort >"$TMPDIR/qemu.checks"
	grep '^arm64-basic: \(ok\|FAIL\)' "$TMPDIR/vmm.txt" | sort >"$TMPDIR/vmm.checks"
	if [ -s "$TMPDIR/qemu.checks" ] && diff -u "$TMPDIR/qemu.checks" "$TMPDIR/vmm.checks" >"$TMPDIR/diff"; then
		ok "the same $(wc -l <"$TMPDIR/vmm.checks") checks pass under QEMU virt (the oracle)"
	else
		bad "check results differ from QEMU's"
		sed 's/^/    /' "$TMPDIR/diff" | head -20
	fi
else
	echo "NOTE: $QEMU not installed: the Linux checks ran without the oracle"
fi
finish
