# arm64 Linux checks for tests/arm64/t-linux-boot.sh: architecture, wall clock from the PL031, the
# CPU as /proc/cpuinfo shows it, and the board (DTB, GIC, timer, PSCI) as the kernel saw it.
# Lines "arm64-basic: KEY=VALUE" are compared with the host by the test; "FAIL" lines fail it.
rc=0
check() { # check WHAT COMMAND...
	what=$1; shift
	if "$@" >/dev/null 2>&1; then echo "arm64-basic: ok $what"; else echo "arm64-basic: FAIL $what"; rc=1; fi
}
echo "arm64-basic: uname-m=$(uname -m)"
check "uname -m is aarch64" [ "$(uname -m)" = aarch64 ]
echo "arm64-basic: date=$(date +%s)"
echo "arm64-basic: rtc-since-epoch=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null)"
check "rtc0 is the PL031" grep -q pl031 /sys/class/rtc/rtc0/name
check "/proc/cpuinfo lists one processor" [ "$(grep -c '^processor' /proc/cpuinfo)" = 1 ]
check "/proc/cpuinfo shows an ARM implementer" grep -q 'CPU implementer.*0x41' /proc/cpuinfo
echo "arm64-basic: cpuinfo-features=$(sed -n 's/^Features[[:space:]]*: //p' /proc/cpuinfo | head -1)"
check "device tree is linux,dummy-virt" grep -q 'linux,dummy-virt' /sys/firmware/devicetree/base/compatible
check "the kernel found PSCI firmware" sh -c 'dmesg | grep -q "psci: PSCIv"'
echo "arm64-basic: psci=$(dmesg | sed -n 's/.*psci: PSCIv\([0-9.]*\) detected.*/\1/p' | head -1)"
check "arch timer interrupts counted by the GIC" sh -c 'grep -q "arch_timer" /proc/interrupts'
t0=$(cut -d. -f1 /proc/uptime); sleep 1; t1=$(cut -d. -f1 /proc/uptime)
check "sleep 1 advances uptime" [ "$t1" -ge $((t0 + 1)) ]
check "the PL011 is the console" sh -c 'grep -q ttyAMA0 /proc/consoles'
exit $rc
