#!/usr/bin/env bash
# Bare-metal guest "timer": virtual (PPI 27) and physical (PPI 30) timer interrupts through the
# GICv2, WFI, timer IMASK.
# Same image under minivmm and QEMU virt (the oracle): both must pass and print the same lines.
. "$(dirname "$0")/lib.sh"
check_baremetal timer
