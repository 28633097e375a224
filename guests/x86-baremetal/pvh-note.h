/*
 * The PVH entry note: an ELF note named "Xen" of type XEN_ELFNOTE_PHYS32_ENTRY (18) whose
 * descriptor is the physical address of the 32-bit entry point (xen/include/public/elfnote.h).
 * minivmm and qemu-system-x86_64 -kernel both look for it. The descriptor is a word the size of
 * the ELF class, as Linux does (_ASM_PTR); QEMU reads that width.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

.macro pvh_note entry, ptrsize
	.pushsection .note.pvh, "a", @note
	.balign 4
	.long 4                          /* namesz: "Xen\0" */
	.long \ptrsize                   /* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.if \ptrsize == 8
	.quad \entry
	.else
	.long \entry
	.endif
	.balign 4
	.popsection
.endm
