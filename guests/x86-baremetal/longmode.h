/* Constants shared by the long-mode guest's assembly (entry64.S) and C (longmode.c). */
#ifndef GUEST_LONGMODE_H
#define GUEST_LONGMODE_H

#define USER_LOOP_N 10000000   /* dec/jnz iterations at CPL 3 (native on a software KVM) */
#define KERNEL_LOOP_N 100000   /* the same loop at CPL 0 (emulated there: keep it short) */
#define MAPPED_GIB 8           /* identity map: RAM above 4 GiB too (longmode.c tests it) */

#endif
