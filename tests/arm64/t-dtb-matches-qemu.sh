#!/usr/bin/env bash
# --dump-dtb writes the board's device tree and exits 0; its nodes and properties match the DTB
# QEMU's virt board (gic-version=2, cortex-a57) generates for the same RAM, command line and initrd,
# property by property (fdtget), for every node both boards have.
. "$(dirname "$0")/lib.sh"
require_minivmm "$MINIVMM"
command -v fdtget >/dev/null || skip "fdtget not installed (device-tree-compiler; scripts/install-deps.sh)"
have_qemu || skip "$QEMU not installed: no oracle DTB"
kernel=$(guest_img hello) || exit 1
initrd=$TMPDIR/initrd.bin
head -c 123457 /dev/urandom >"$initrd"
truncate -s 1M "$TMPDIR/disk.raw"
append="console=ttyAMA0 root=/dev/vda quiet"

"$MINIVMM" --arch aarch64 --kernel "$kernel" --initrd "$initrd" --append "$append" --mem 256M \
	--disk "$TMPDIR/disk.raw,format=raw" --dump-dtb "$TMPDIR/vmm.dtb" </dev/null >"$TMPDIR/vmm.out" 2>&1
rc=$?
[ "$rc" = 0 ] && [ -s "$TMPDIR/vmm.dtb" ] && ok "--dump-dtb wrote the DTB and exited 0" ||
	{ cat "$TMPDIR/vmm.out"; fail_now "--dump-dtb: exit $rc"; }
"$QEMU" -M virt,gic-version=2,dumpdtb="$TMPDIR/qemu.dtb" -cpu cortex-a57 -m 256 -nographic \
	-kernel "$kernel" -initrd "$initrd" -append "$append" >"$TMPDIR/qemu.out" 2>&1
[ -s "$TMPDIR/qemu.dtb" ] || { cat "$TMPDIR/qemu.out"; fail_now "QEMU did not dump its DTB"; }

# same NODE PROP [TYPE]: the property reads the same in both trees
same() {
	local node=$1 prop=$2 type=${3:-x} a b
	a=$(fdtget -t "$type" "$TMPDIR/qemu.dtb" "$node" "$prop" 2>&1)
	b=$(fdtget -t "$type" "$TMPDIR/vmm.dtb" "$node" "$prop" 2>&1)
	if [ "$a" = "$b" ]; then ok "$node $prop = $b"; else bad "$node $prop: QEMU '$a', minivmm '$b'"; fi
}
same / compatible s
same / '#address-cells'
same / '#size-cells'
same /memory@40000000 device_type s
same /memory@40000000 reg
same /cpus '#address-cells'
same /cpus '#size-cells'
same /cpus/cpu@0 device_type s
same /cpus/cpu@0 compatible s
same /cpus/cpu@0 reg
same /psci method s
for p in cpu_suspend cpu_off cpu_on migrate; do same /psci $p; done
same /timer compatible s
same /timer interrupts
same /intc@8000000 compatible s
same /intc@8000000 reg
same /intc@8000000 '#interrupt-cells'
for n in /pl011@9000000 /pl031@9010000; do
	for p in compatible clock-names; do same $n $p s; done
	same $n reg
	same $n interrupts
done
same /apb-pclk compatible s
same /apb-pclk clock-frequency
same /apb-pclk '#clock-cells'
same /chosen stdout-path s
same /chosen bootargs s
same /virtio_mmio@a000000 compatible s
same /virtio_mmio@a000000 reg

# PSCI 0.2 in both (QEMU also offers 1.0)
fdtget "$TMPDIR/vmm.dtb" /psci compatible | grep -qw 'arm,psci-0.2' && ok "/psci is arm,psci-0.2" ||
	bad "/psci compatible lacks arm,psci-0.2"
# interrupt-parent resolves to the GIC node; clocks resolve to the 24 MHz clock
for dtb in vmm qemu; do
	ip=$(fdtget "$TMPDIR/$dtb.dtb" / interrupt-parent)
	[ "$ip" = "$(fdtget "$TMPDIR/$dtb.dtb" /intc@8000000 phandle)" ] && ok "$dtb: interrupt-parent is the GIC" ||
		bad "$dtb: interrupt-parent $ip is not the GIC's phandle"
	clk=$(fdtget "$TMPDIR/$dtb.dtb" /pl011@9000000 clocks | cut -d' ' -f1)
	[ "$clk" = "$(fdtget "$TMPDIR/$dtb.dtb" /apb-pclk phandle)" ] && ok "$dtb: PL011 clocks point at apb-pclk" ||
		bad "$dtb: PL011 clocks $clk do not point at apb-pclk"
done
# virtio-mmio: the first slot's SPI is the same (QEMU marks it edge, we level: the device holds its line)
[ "$(fdtget "$TMPDIR/vmm.dtb" /virtio_mmio@a000000 interrupts | cut -d' ' -f1-2)" = \
  "$(fdtget "$TMPDIR/qemu.dtb" /virtio_mmio@a000000 interrupts | cut -d' ' -f1-2)" ] &&
	ok "virtio_mmio@a000000 uses the same SPI as QEMU's" || bad "virtio_mmio@a000000 SPI differs"
n=$(fdtget -l "$TMPDIR/vmm.dtb" / | grep -c '^virtio_mmio@')
[ "$n" = 1 ] && ok "one virtio_mmio node for one --disk" || bad "$n virtio_mmio nodes for one --disk"
# the initrd range covers the initrd exactly (the two boards place it differently)
for dtb in vmm qemu; do
	s=$(fdtget -t x "$TMPDIR/$dtb.dtb" /chosen linux,initrd-start | awk '{print $NF}')
	e=$(fdtget -t x "$TMPDIR/$dtb.dtb" /chosen linux,initrd-end | awk '{print $NF}')
	[ $((0x$e - 0x$s)) = 123457 ] && ok "$dtb: linux,initrd-start/end span the 123457-byte initrd" ||
		bad "$dtb: initrd range 0x$s-0x$e does not span 123457 bytes"
done
dtc -I dtb -O dts "$TMPDIR/vmm.dtb" -o /dev/null 2>"$TMPDIR/dtc.err" && ! [ -s "$TMPDIR/dtc.err" ] &&
	ok "dtc decompiles the DTB without warnings" || { bad "dtc warnings:"; sed 's/^/    /' "$TMPDIR/dtc.err"; }
finish
