#!/usr/bin/env bash
# Bare-metal guest "mmu": stage-1 translation, TTBR1, translation/permission/access-flag faults.
# Same image under minivmm and QEMU virt (the oracle): both must pass and print the same lines.
. "$(dirname "$0")/lib.sh"
check_baremetal mmu
