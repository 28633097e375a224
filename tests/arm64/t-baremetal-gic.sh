#!/usr/bin/env bash
# Bare-metal guest "gic": the GICv2 as a guest programs it: SGI to self, priority order, PMR,
# enable/pending bits, RPR, and nesting (higher priority preempts, equal waits for EOI).
# Same image under minivmm and QEMU virt (the oracle): both must pass and print the same lines.
. "$(dirname "$0")/lib.sh"
check_baremetal gic
