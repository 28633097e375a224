/*
 * bzImage loader, 64-bit boot protocol (Documentation/x86/boot.rst): the protected-mode kernel
 * goes to 1 MiB, the zero page, command line and initrd around it, and the boot CPU starts in
 * long mode at load address + 0x200 (startup_64) with rsi = the zero page.
 */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

#include "vmm/util.h"

/* Protocol < 2.03 kernels did not say; this is the documented default. */
#define INITRD_ADDR_MAX_DEFAULT 0x37ffffffULL

static int cmdline_write(struct guest_mem *mem, const char *cmdline, uint64_t max, char *msg,
			 size_t msglen)
{
	size_t len = strlen(cmdline);
	if (len > max || len >= X86_CMDLINE_MAX)
		return boot_msg(msg, msglen, -E2BIG,
				"kernel command line is %zu bytes; this kernel accepts at most %llu", len,
				(unsigned long long)MIN(max, X86_CMDLINE_MAX - 1));
	if (!gmem_write(mem, X86_CMDLINE_ADDR, cmdline, len + 1))
		return boot_msg(msg, msglen, -ENOMEM, "no guest RAM for the command line");
	return 0;
}

int x86_bzimage_load(struct guest_mem *mem, const struct x86_boot_args *a, struct boot_state *bs,
		     char *msg, size_t msglen)
{
	int r = x86_bzimage_check(a->kernel, a->kernel_len, msg, msglen);
	if (r < 0)
		return r;
	const uint8_t *img = a->kernel;
	size_t setup = x86_bzimage_setup_size(img), pm_len = a->kernel_len - setup;

	/* The image itself, and the memory it decompresses into: both must be RAM. */
	uint64_t kernel_end = ALIGN_UP(MAX(x86_bzimage_runtime_end(img, X86_KERNEL_ADDR),
					   X86_KERNEL_ADDR + pm_len), 4096);
	void *dst = gmem_ptr(mem, X86_KERNEL_ADDR, kernel_end - X86_KERNEL_ADDR);
	if (!dst)
		return boot_msg(msg, msglen, -ENOMEM,
				"guest RAM too small: this kernel decompresses into the first %llu MiB of RAM; "
				"raise --mem",
				(unsigned long long)((kernel_end + (1 << 20) - 1) >> 20));
	memcpy(dst, img + setup, pm_len);

	r = cmdline_write(mem, a->cmdline, x86_bzimage_cmdline_max(img), msg, msglen);
	if (r < 0)
		return r;

	uint64_t initrd_addr = 0, initrd_size = a->initrd ? a->initrd_len : 0;
	if (initrd_size) {
		uint64_t max = x86_bzimage_initrd_max(img);
		if (!max)
			max = INITRD_ADDR_MAX_DEFAULT;
		if (x86_initrd_place(mem, initrd_size, kernel_end, max, &initrd_addr) < 0)
			return boot_msg(msg, msglen, -ENOMEM,
					"no room for the %llu KiB initrd between the kernel (ends at 0x%llx) and "
					"its initrd_addr_max 0x%llx: raise --mem or use a smaller initrd",
					(unsigned long long)(initrd_size >> 10), (unsigned long long)kernel_end,
					(unsigned long long)max);
		gmem_write(mem, initrd_addr, a->initrd, initrd_size); /* placed inside RAM above */
	}

	r = x86_zero_page_write(mem, img, X86_CMDLINE_ADDR, initrd_addr, initrd_size);
	if (r < 0)
		return boot_msg(msg, msglen, r, "cannot write the zero page / e820 map: %s", strerror(-r));

	bs->x86_mode = BOOT_X86_64BIT;
	bs->entry = X86_KERNEL_ADDR + 0x200;
	bs->rsi = X86_ZERO_PAGE_ADDR;
	bs->rsp = X86_BOOT_STACK;
	r = x86_entry_tables_write(mem, bs);
	if (r < 0)
		return boot_msg(msg, msglen, r, "no guest RAM for the boot page tables");
	return 0;
}
