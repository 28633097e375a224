#!/usr/bin/env bash
# Bare-metal guest "hello": PL011 output, EL1 entry state and PSCI SYSTEM_OFF (exit 0).
# Same image under minivmm and QEMU virt (the oracle): both must pass and print the same lines.
. "$(dirname "$0")/lib.sh"
check_baremetal hello
