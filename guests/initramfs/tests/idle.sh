# An idle guest: the shell sleeps, the kernel waits in WFI. minivmm should sleep too.
# The seconds come from minivmm.idle=N on the command line (default 4).
n=$(sed -n 's/.*minivmm\.idle=\([0-9]*\).*/\1/p' /proc/cmdline)
echo "idle: sleeping ${n:-4} s"
sleep "${n:-4}"
echo "idle: done"
