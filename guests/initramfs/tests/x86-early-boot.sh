# minivmm.test=x86-early-boot (tests/x86/t-linux-early-boot.sh): what an x86 Linux guest sees.
# Prints one "x86-early-boot:" line per fact; exits non-zero if the test's marker is missing.
rc=0
if grep -q 'minivmm.marker=' /proc/cmdline; then
	echo "x86-early-boot: marker in /proc/cmdline"
else
	echo "x86-early-boot: marker missing from /proc/cmdline: $(cat /proc/cmdline)"
	rc=1
fi
echo "x86-early-boot: MemTotal $(awk '/^MemTotal/ {print $2}' /proc/meminfo) kB"
echo "x86-early-boot: cpus $(grep -c '^processor' /proc/cpuinfo)"
[ -c /dev/ttyS0 ] && echo "x86-early-boot: /dev/ttyS0 present"
[ -e /sys/class/rtc/rtc0 ] && echo "x86-early-boot: rtc0 $(cat /sys/class/rtc/rtc0/date 2>/dev/null)"
exit $rc
