#!/usr/bin/env bash
# Bare-metal guest "psci": PSCI 0.2 calls over HVC as Linux makes them.
# Same image under minivmm and QEMU virt (the oracle): both must pass and print the same lines.
. "$(dirname "$0")/lib.sh"
check_baremetal psci
