#!/usr/bin/env bash
# Build every guest: kernels (cached; minutes the first time), initramfs images (seconds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for arch in aarch64 x86_64; do
  "$here/build-kernel.sh" "$arch"
  "$here/build-initramfs.sh" "$arch"
done
