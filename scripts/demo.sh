#!/usr/bin/env bash
# Boot the default guest: x86_64 Linux on hardware KVM; elsewhere (no KVM, or this kind of
# software KVM where x86 Linux cannot reach init) the arm64 Linux guest on the interpreter.
# On a terminal you get a busybox shell (type poweroff, or Ctrl-A x); without one, the guest runs a
# scripted smoke test and powers off.
set -euo pipefail
cd "$(dirname "$0")/.."
out=guests/out
if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ] && [ "$(uname -m)" = x86_64 ]; then
  args=(--kernel $out/x86_64/bzImage --initrd $out/x86_64/initramfs.cpio.gz --append "console=ttyS0")
  echo "demo: x86_64 Linux on KVM"
else
  args=(--arch aarch64 --kernel $out/aarch64/Image --initrd $out/aarch64/initramfs.cpio.gz --append "console=ttyAMA0")
  echo "demo: arm64 Linux on the minivmm interpreter (KVM here cannot run x86 Linux to init)"
fi
if [ -t 0 ]; then
  exec ./minivmm "${args[@]}"
else
  args[${#args[@]}-1]="${args[${#args[@]}-1]} minivmm.test=smoke"
  exec ./minivmm "${args[@]}" --timeout 600
fi
