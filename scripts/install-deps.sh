#!/usr/bin/env bash
# Install the Debian 12 packages minivmm needs to build, build its guests and run its tests.
# Installs only what is missing; needs root (or sudo) when something is.
set -euo pipefail
pkgs=(build-essential pkg-config libfdt-dev libcapstone-dev libelf-dev libcunit1-dev zlib1g-dev
      libzstd-dev libunicorn-dev libslirp-dev qemu-system-x86 qemu-system-arm qemu-utils qemu-user
      gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu linux-source-6.1 busybox-static flex bison bc
      libssl-dev cpio lz4 xz-utils python3 e2fsprogs time device-tree-compiler)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The arm64 busybox-static conflicts with the amd64 one as a package, so it is unpacked into the
# cache instead of installed (guests/build-initramfs.sh uses it from there).
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
if [ ! -x "$cache/busybox-arm64/bin/busybox" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -q
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download busybox-static:arm64 >/dev/null 2>&1 || { $sudo apt-get update -q && apt-get download busybox-static:arm64; })
  mkdir -p "$cache/busybox-arm64"
  dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$cache/busybox-arm64"
  rm -rf "$tmp"
fi
echo "install-deps: all dependencies present"
