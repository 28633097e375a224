#!/usr/bin/env bash
# Bare-metal guest "exceptions": SVC, BRK, UNDEFINED and data-abort exceptions with ESR/ELR/FAR/SPSR.
# Same image under minivmm and QEMU virt (the oracle): both must pass and print the same lines.
. "$(dirname "$0")/lib.sh"
check_baremetal exceptions
