#!/usr/bin/env bash
# The interactive path: minivmm on a terminal (a pty) boots arm64 Linux to the busybox shell; a
# command typed on the terminal reaches the shell through the PL011's receive interrupt (GIC SPI 1),
# its output comes back, and `poweroff` ends minivmm with exit 0.
. "$(dirname "$0")/lib.sh"
kernel=$GUESTS/aarch64/Image
initrd=$GUESTS/aarch64/initramfs.cpio.gz
[ -f "$kernel" ] && [ -f "$initrd" ] || skip "no arm64 Image/initramfs in $GUESTS/aarch64 (make guests)"
require_minivmm "$MINIVMM"

python3 - "$MINIVMM" "$kernel" "$initrd" >"$TMPDIR/log" 2>&1 <<'PY'
import os, pty, select, sys, time
vmm, kernel, initrd = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(vmm, [vmm, "--arch", "aarch64", "--kernel", kernel, "--initrd", initrd,
                   "--timeout", "240"])
out = b""
mark = 0
def expect(what, limit=180):
    """wait for what in the output since the last send()"""
    global out
    end = time.monotonic() + limit
    while what not in out[mark:]:
        left = end - time.monotonic()
        if left <= 0:
            sys.stdout.write(out.decode(errors="replace")[-2000:])
            print("\nFAIL: timed out waiting for %r" % what)
            sys.exit(1)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                sys.stdout.write(out.decode(errors="replace")[-2000:])
                print("\nFAIL: minivmm closed the terminal waiting for %r" % what)
                sys.exit(1)
            out += data
def send(line):
    global mark
    mark = len(out)
    for ch in line.encode():          # one byte at a time, as a person types
        os.write(fd, bytes([ch]))
        time.sleep(0.01)
expect(b"minivmm-init: reached init")
expect(b"poweroff")                  # the init's hint line, printed before the shell starts
time.sleep(1)
send("echo typed-$((6*7))\r")
expect(b"typed-42")
print("ok   a typed command ran in the guest shell (typed-42)")
send("uname -m\r")
expect(b"\naarch64\r")
print("ok   uname -m answered aarch64")
send("poweroff\r")
rc = None
end = time.monotonic() + 120
while time.monotonic() < end:
    try:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            os.read(fd, 4096)
    except OSError:
        pass
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        rc = os.waitstatus_to_exitcode(status)
        break
if rc != 0:
    print("FAIL: minivmm exit status %r after poweroff" % rc)
    sys.exit(1)
print("ok   poweroff ended minivmm with exit 0")
PY
rc=$?
cat "$TMPDIR/log"
[ "$rc" = 0 ] || fail_now "the interactive shell session failed"
finish
