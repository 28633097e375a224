#!/usr/bin/env bash
# linux-early-boot: the x86_64 kernel (bzImage through the 64-bit boot protocol, vmlinux through
# PVH) with the initramfs. The console log must show the banner, the command line we passed
# (with a marker word) and an e820 map whose usable RAM covers --mem minus the low reserved areas.
# On hardware KVM the kernel must go on to the initramfs's init and its scripted test. On this
# host's software KVM (PVM) guest ring 0 is emulated and Linux stops in early boot: the test says
# so in a NOTE and asserts what the host does show (also: KVM leaves, MP table, IOAPIC, initrd).
. "$(dirname "$0")/lib.sh"
require_kvm
require_minivmm "$MINIVMM"
kdir=$GUESTS/x86_64
initrd=$kdir/initramfs.cpio.gz
for f in bzImage vmlinux initramfs.cpio.gz; do
	[ -f "$kdir/$f" ] || fail_now "$kdir/$f missing: build the guests first (make guests)"
done
mem_mb=256
mem_end=$((mem_mb << 20))
marker="minivmm.marker=early$$"
append="console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 $marker minivmm.test=x86-early-boot"
timeout_s=60
if software_kvm; then
	# No XSAVE: its emulation ends in KVM_EXIT_INTERNAL_ERROR here (gets Linux a little further).
	append+=" noxsave"
	timeout_s=120
fi

# check_e820 LOG: the usable ranges must cover [0, 0x9f000) and [1 MiB, mem_end) and stay below it.
check_e820() {
	local log=$1 what=$2 s e n=0 low=0 high=0 beyond=0 msg=
	while read -r s e; do
		s=$((16#${s#0x})); e=$((16#${e#0x} + 1))
		n=$((n + 1))
		[ "$s" = 0 ] && [ "$e" -ge $((0x9f000)) ] && low=1
		[ "$s" -le $((0x100000)) ] && [ "$e" -ge "$mem_end" ] && high=1
		[ "$e" -gt "$mem_end" ] && beyond=1
	done < <(sed -n 's/.*BIOS-e820: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\] usable.*/\1 \2/p' "$log")
	if [ "$n" = 0 ]; then msg="no usable e820 ranges"
	elif [ "$low" = 0 ]; then msg="no usable range covering 0..0x9efff"
	elif [ "$high" = 0 ]; then msg=$(printf 'no usable range covering 1 MiB..0x%x' $((mem_end - 1)))
	elif [ "$beyond" = 1 ]; then msg=$(printf 'usable RAM beyond --mem (0x%x)' "$mem_end")
	fi
	if [ -z "$msg" ]; then ok "$what: e820 usable RAM covers --mem ${mem_mb}M minus the low reserved areas"
	else bad "$what: e820 map: $msg"; grep 'BIOS-e820' "$log" | sed 's/^/    /'; fi
}

# check_ramdisk LOG: Linux found the initrd, page-rounded to its size, inside RAM.
check_ramdisk() {
	local r s e size want
	r=$(sed -n 's/.*RAMDISK: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\].*/\1 \2/p' "$1" | head -1)
	if [ -z "$r" ]; then bad "$2: no 'RAMDISK:' line (initrd not found)"; return; fi
	read -r s e <<<"$r"
	size=$((e + 1 - s)); want=$(( ($(stat -Lc %s "$initrd") + 4095) / 4096 * 4096 ))
	if [ "$size" = "$want" ] && [ $((e + 1)) -le "$mem_end" ]; then
		ok "$2: initrd at $s, $size bytes (the file, page-rounded), inside RAM"
	else
		bad "$2: RAMDISK $s-$e: $size bytes, want $want inside RAM below $(printf 0x%x "$mem_end")"
	fi
}

for kernel in bzImage vmlinux; do
	out=$TMPDIR/linux-$kernel
	t0=$(date +%s)
	timeout -k 5 $((timeout_s + 60)) "$MINIVMM" --kernel "$kdir/$kernel" --initrd "$initrd" \
		--mem ${mem_mb}M --cpus 2 --append "$append" --timeout "$timeout_s" </dev/null \
		>"$out.raw" 2>"$out.err"
	echo $? >"$out.rc"
	t1=$(date +%s)
	tr -d '\r' <"$out.raw" >"$out.txt"
	rc=$(cat "$out.rc")
	echo "--- $kernel: exit status $rc after $((t1 - t0)) s; console log $(wc -l <"$out.txt") lines"
	expect_line "$out.txt" 'Linux version 6\.1' "$kernel: kernel banner"
	expect_line "$out.txt" "Command line: .*$marker" "$kernel: our command line with its marker"
	check_e820 "$out.txt" "$kernel"
	# What Linux reads from the rest of our boot data before it can stop on this host.
	expect_line "$out.txt" 'Hypervisor detected: KVM' "$kernel: KVM CPUID leaves seen"
	expect_line "$out.txt" 'Intel MultiProcessor Specification v1\.4' "$kernel: MP table found"
	expect_line "$out.txt" 'Processors: 2$' "$kernel: MP table lists 2 processors (--cpus 2)"
	expect_line "$out.txt" 'IOAPIC\[0\]: .*address 0xfec00000' "$kernel: IOAPIC at 0xfec00000"
	check_ramdisk "$out.txt" "$kernel"

	if grep -q 'minivmm-init: reached init' "$out.txt"; then
		ok "$kernel: reached the initramfs's init"
		expect_line "$out.txt" 'x86-early-boot: marker in /proc/cmdline' "$kernel: marker in /proc/cmdline"
		expect_line "$out.txt" 'x86-early-boot: cpus 2' "$kernel: 2 CPUs (--cpus 2, MP table)"
		expect_line "$out.txt" 'minivmm-test: x86-early-boot exit=0' "$kernel: scripted test passed"
		expect_rc "$out" 0 "$kernel: guest reboot ends minivmm"
	elif software_kvm || grep -q 'emulation failure' "$out.err"; then
		last=$(grep -E '^\[ *[0-9]+\.[0-9]+\]' "$out.txt" | tail -1)
		# "code at ADDR: BYTES  MNEMONIC": single spaces between bytes, several before the mnemonic.
		insn=$(sed -n 's/^ *code at [0-9a-fx]*: *[0-9a-f]\{2\}\( [0-9a-f]\{2\}\)*  \+\(.*[^ ]\) *$/\2/p' \
			"$out.err" | head -1)
		case $rc in
		3) why="minivmm stopped with a crash dump (status 3)${insn:+ at '$insn'}" ;;
		124) why="--timeout $timeout_s s expired" ;;
		*) why="status $rc"; bad "$kernel: unexpected exit status $rc (want 3 or 124)" ;;
		esac
		echo "NOTE: software KVM (PVM): $kernel: Linux stopped in early boot at '${last:-<no kernel line>}' ($why); init not reached on this host"
		grep -E 'error|code at' "$out.err" | head -4 | sed 's/^/    stderr: /'
	else
		bad "$kernel: init not reached on hardware KVM (exit status $rc); last lines:"
		tail -15 "$out.txt" | sed 's/^/    /'
		sed 's/^/    stderr: /' "$out.err" | head -20
	fi
done
finish
