/* The command line: sizes, options, and the errors users see. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vmm/cli.h"
#include "vmm/util.h"

UNIT_SUITE(cli);

static int parse(struct vm_config *cfg, char *err, const char *a0, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	argv[argc++] = "minivmm";
	va_start(ap, a0);
	for (const char *a = a0; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse(argc, argv, cfg, err, 256);
}

UNIT_TEST(cli, parse_size_accepts_suffixes_and_rejects_garbage)
{
	uint64_t v;
	CU_ASSERT_EQUAL(parse_size("512M", &v), 0);
	CU_ASSERT_EQUAL(v, 512ull << 20);
	CU_ASSERT_EQUAL(parse_size("2G", &v), 0);
	CU_ASSERT_EQUAL(v, 2ull << 30);
	CU_ASSERT_EQUAL(parse_size("64k", &v), 0);
	CU_ASSERT_EQUAL(v, 64ull << 10);
	CU_ASSERT_EQUAL(parse_size("1GiB", &v), 0);
	CU_ASSERT_EQUAL(v, 1ull << 30);
	CU_ASSERT_EQUAL(parse_size("4096", &v), 0);
	CU_ASSERT_EQUAL(v, 4096);
	CU_ASSERT_NOT_EQUAL(parse_size("12X", &v), 0);
	CU_ASSERT_NOT_EQUAL(parse_size("-1G", &v), 0);
	CU_ASSERT_NOT_EQUAL(parse_size("", &v), 0);
	CU_ASSERT_NOT_EQUAL(parse_size("G", &v), 0);
	CU_ASSERT_NOT_EQUAL(parse_size("99999999999999999999", &v), 0);
	CU_ASSERT_NOT_EQUAL(parse_size("17179869184G", &v), 0); /* overflows 64 bits */
}

UNIT_TEST(cli, defaults_and_full_option_set)
{
	struct vm_config cfg;
	char err[256] = "";
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", NULL), CLI_OK);
	CU_ASSERT_EQUAL(cfg.mem_size, 256ull << 20);
	CU_ASSERT_EQUAL(cfg.cpus, 1);
	CU_ASSERT_EQUAL(cfg.accel, ACCEL_AUTO);
	CU_ASSERT_FALSE(cfg.reboot);
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--initrd", "i", "--append", "console=ttyS0 quiet",
			      "--mem", "1G", "--cpus", "4", "--arch", "aarch64", "--accel", "interp", "--rtc",
			      "base=2020-01-02T03:04:05", "--console", "file:/tmp/x", "--timeout", "2.5",
			      "--disk", "a.qcow2,format=qcow2,readonly,serial=abc", "--disk", "b.img",
			      "--snapshot", "--reboot", NULL),
			CLI_OK);
	CU_ASSERT_STRING_EQUAL(cfg.append, "console=ttyS0 quiet");
	CU_ASSERT_EQUAL(cfg.mem_size, 1ull << 30);
	CU_ASSERT_EQUAL(cfg.cpus, 4);
	CU_ASSERT_EQUAL(cfg.arch, ARCH_AARCH64);
	CU_ASSERT_EQUAL(cfg.accel, ACCEL_INTERP);
	CU_ASSERT_EQUAL(cfg.rtc_base, RTC_BASE_FIXED);
	CU_ASSERT_EQUAL(cfg.rtc_fixed, 1577934245);
	CU_ASSERT_EQUAL(cfg.console, CONSOLE_FILE);
	CU_ASSERT_STRING_EQUAL(cfg.console_path, "/tmp/x");
	CU_ASSERT_DOUBLE_EQUAL(cfg.timeout, 2.5, 1e-9);
	CU_ASSERT_EQUAL(cfg.nr_disks, 2);
	CU_ASSERT_STRING_EQUAL(cfg.disks[0].format, "qcow2");
	CU_ASSERT_TRUE(cfg.disks[0].readonly);
	CU_ASSERT_STRING_EQUAL(cfg.disks[0].serial, "abc");
	CU_ASSERT_PTR_NULL(cfg.disks[1].format);
	CU_ASSERT_TRUE(cfg.snapshot);
	CU_ASSERT_TRUE(cfg.reboot);
	/* A bare --mem number is MiB, as with QEMU's -m. */
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--mem", "512", NULL), CLI_OK);
	CU_ASSERT_EQUAL(cfg.mem_size, 512ull << 20);
}

UNIT_TEST(cli, errors_name_the_option_and_the_fix)
{
	struct vm_config cfg;
	char err[256];
	CU_ASSERT_EQUAL(parse(&cfg, err, NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--kernel"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--mem", "lots", NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--mem 'lots'"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--cpus", "0", NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--cpus"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--cpus", "3x", NULL), CLI_ERROR);
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--arch", "riscv", NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "x86_64 or aarch64"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--accel", "hvf", NULL), CLI_ERROR);
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--rtc", "base=2020-02-30T00:00:00", NULL), CLI_ERROR);
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--console", "tcp:1", NULL), CLI_ERROR);
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--timeout", "-3", NULL), CLI_ERROR);
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--disk", "x,format=vdi", NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown format 'vdi'"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--disk", "x,cache=none", NULL), CLI_ERROR);
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "--frobnicate", NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--frobnicate"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a value"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "k", "stray", NULL), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "stray"));
}

UNIT_TEST(cli, validate_reports_missing_files_and_bad_memory)
{
	struct vm_config cfg;
	char err[256];
	char path[] = "/tmp/minivmm-cli-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\2\0\x3e\0", 20), 20);
	close(fd);

	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", "/nonexistent/bzImage", NULL), CLI_OK);
	CU_ASSERT_EQUAL(cli_validate(&cfg, err, sizeof(err)), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no such file"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", path, "--mem", "1M", NULL), CLI_OK);
	CU_ASSERT_EQUAL(cli_validate(&cfg, err, sizeof(err)), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "too small"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", path, "--mem", "64T", NULL), CLI_OK);
	CU_ASSERT_EQUAL(cli_validate(&cfg, err, sizeof(err)), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than this host"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", path, "--initrd", "/tmp", NULL), CLI_OK);
	CU_ASSERT_EQUAL(cli_validate(&cfg, err, sizeof(err)), CLI_ERROR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "directory"));
	CU_ASSERT_EQUAL(parse(&cfg, err, "--kernel", path, NULL), CLI_OK);
	CU_ASSERT_EQUAL(cli_validate(&cfg, err, sizeof(err)), CLI_OK);
	CU_ASSERT_EQUAL(cfg.arch, ARCH_X86_64); /* guessed from the ELF header */
	unlink(path);
}

UNIT_TEST(cli, guess_arch_from_kernel_header)
{
	char path[] = "/tmp/minivmm-arch-XXXXXX";
	uint8_t img[64] = { 0 };
	memcpy(img + 0x38, "ARM\x64", 4);
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
	close(fd);
	CU_ASSERT_EQUAL(cli_guess_arch(path), ARCH_AARCH64);
	unlink(path);
	CU_ASSERT_EQUAL(cli_guess_arch("/nonexistent"), ARCH_NONE);
}
