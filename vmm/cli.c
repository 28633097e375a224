/* minivmm's command line. */
#include "vmm/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "vmm/util.h"

#define MIN_MEM (16ull << 20)
#define DEFAULT_MEM (256ull << 20)

const char cli_usage[] =
	"usage: minivmm --kernel FILE [options]\n"
	"\n"
	"Boot a Linux kernel (x86_64 bzImage or vmlinux/PVH ELF on KVM; arm64 Image on KVM or the\n"
	"built-in interpreter) with a serial console on this terminal.\n"
	"\n"
	"  --kernel FILE        kernel: bzImage, ELF with a PVH note, or arm64 Image\n"
	"  --initrd FILE        initial ramdisk (e.g. initramfs.cpio.gz)\n"
	"  --append \"ARGS\"      kernel command line (default: console=ttyS0 / console=ttyAMA0)\n"
	"  --mem SIZE           guest RAM, with K/M/G suffix (default 256M)\n"
	"  --cpus N             number of vCPUs (default 1)\n"
	"  --arch ARCH          x86_64 | aarch64 (default: from the kernel file)\n"
	"  --accel ACCEL        kvm | interp | auto (default auto: KVM when it can run the guest)\n"
	"  --rtc base=BASE      utc | localtime | YYYY-MM-DDTHH:MM:SS (default utc)\n"
	"  --console WHERE      stdio | file:PATH | none (default stdio)\n"
	"  --disk PATH[,format=raw|qcow2|vmdk][,readonly][,serial=ID]   virtio-blk disk (repeatable)\n"
	"  --snapshot           write to temporary overlays; disks stay untouched\n"
	"  --net SPEC           virtio-net (not available yet)\n"
	"  --timeout SECONDS    stop the guest after SECONDS (exit code 124)\n"
	"  --reboot             restart the guest when it reboots (default: exit 0)\n"
	"  --no-reboot          exit when the guest reboots (the default)\n"
	"  --dump-dtb FILE      arm64: write the generated device tree to FILE and exit\n"
	"  --debug              log unimplemented instructions, unknown device accesses, statistics\n"
	"  --help, --version\n"
	"\n"
	"Console: Ctrl-A x quits, Ctrl-A a sends Ctrl-A, Ctrl-A h shows help.\n"
	"\n"
	"Exit status:\n"
	"    0  the guest powered off or rebooted (or Ctrl-A x)\n"
	"    1  bad arguments or a host setup error; the guest did not run\n"
	"    3  the guest crashed: triple fault, KVM internal error, fatal interpreter error\n"
	"  124  --timeout expired\n"
	"  129+ 2*v+1 when the guest writes v to the debug-exit port (x86 0xf4, as QEMU isa-debug-exit)\n"
	"  130/143  interrupted by SIGINT/SIGTERM\n";

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return CLI_ERROR;
}

int cli_parse_rtc(const char *s, struct vm_config *cfg)
{
	if (!strncmp(s, "base=", 5))
		s += 5;
	if (!strcmp(s, "utc")) {
		cfg->rtc_base = RTC_BASE_UTC;
		return 0;
	}
	if (!strcmp(s, "localtime")) {
		cfg->rtc_base = RTC_BASE_LOCALTIME;
		return 0;
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || *end)
		return -EINVAL;
	/* Reject what strptime accepts but no calendar has (Feb 30 ...): round-trip through timegm. */
	struct tm check = tm;
	time_t t = timegm(&check);
	if (t == (time_t)-1 || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon ||
	    tm.tm_year < 0 || tm.tm_year > 8099)
		return -EINVAL;
	cfg->rtc_base = RTC_BASE_FIXED;
	cfg->rtc_fixed = t;
	return 0;
}

static int parse_disk(const char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	if (cfg->nr_disks >= MAX_DISKS)
		return errf(err, errlen, "--disk: at most %d disks", MAX_DISKS);
	struct disk_config *d = &cfg->disks[cfg->nr_disks];
	memset(d, 0, sizeof(*d));
	if (strlen(arg) >= sizeof(d->spec))
		return errf(err, errlen, "--disk: argument longer than %zu characters", sizeof(d->spec) - 1);
	char *s = strcpy(d->spec, arg);
	char *save = NULL;
	char *tok = strtok_r(s, ",", &save);
	if (!tok || !*tok || s[0] == ',')
		return errf(err, errlen, "--disk '%s': no path given (use --disk PATH[,format=...])", arg);
	d->path = tok;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "format=", 7)) {
			d->format = tok + 7;
			if (strcmp(d->format, "raw") && strcmp(d->format, "qcow2") && strcmp(d->format, "vmdk"))
				return errf(err, errlen, "--disk %s: unknown format '%s' (raw, qcow2 or vmdk)",
					    d->path, d->format);
		} else if (!strcmp(tok, "readonly") || !strcmp(tok, "ro") || !strcmp(tok, "readonly=on")) {
			d->readonly = true;
		} else if (!strncmp(tok, "serial=", 7)) {
			d->serial = tok + 7;
			if (strlen(d->serial) > 20)
				return errf(err, errlen, "--disk %s: serial '%s' is longer than 20 characters",
					    d->path, d->serial);
		} else {
			return errf(err, errlen,
				    "--disk %s: unknown option '%s' (format=, readonly, serial=)", d->path, tok);
		}
	}
	cfg->nr_disks++;
	return 0;
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_MEM, OPT_CPUS, OPT_ARCH, OPT_ACCEL, OPT_RTC,
	OPT_CONSOLE, OPT_DISK, OPT_SNAPSHOT, OPT_NET, OPT_TIMEOUT, OPT_REBOOT, OPT_NO_REBOOT,
	OPT_DUMP_DTB, OPT_DEBUG, OPT_HELP, OPT_VERSION,
};

static const struct option options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "rtc", required_argument, NULL, OPT_RTC },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "snapshot", no_argument, NULL, OPT_SNAPSHOT },
	{ "net", required_argument, NULL, OPT_NET },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "reboot", no_argument, NULL, OPT_REBOOT },
	{ "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
	{ "dump-dtb", required_argument, NULL, OPT_DUMP_DTB },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = DEFAULT_MEM;
	cfg->cpus = 1;
	cfg->accel = ACCEL_AUTO;
	cfg->console = CONSOLE_STDIO;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		uint64_t v;
		int r;
		switch (c) {
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_APPEND: cfg->append = optarg; break;
		case OPT_MEM:
			r = parse_size(optarg, &v);
			if (r == 0 && v > 0 && v < (1 << 20) && !strpbrk(optarg, "kKmMgGtT"))
				v <<= 20; /* a bare number is MiB, as with QEMU's -m */
			if (r)
				return errf(err, errlen, "--mem '%s': not a size (examples: 512M, 2G)", optarg);
			cfg->mem_size = v;
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, &v) || v < 1 || v > MAX_CPUS)
				return errf(err, errlen, "--cpus '%s': expected a number from 1 to %d", optarg,
					    MAX_CPUS);
			cfg->cpus = (int)v;
			break;
		case OPT_ARCH:
			if (!strcmp(optarg, "x86_64") || !strcmp(optarg, "x86-64") || !strcmp(optarg, "amd64"))
				cfg->arch = ARCH_X86_64;
			else if (!strcmp(optarg, "aarch64") || !strcmp(optarg, "arm64"))
				cfg->arch = ARCH_AARCH64;
			else
				return errf(err, errlen, "--arch '%s': expected x86_64 or aarch64", optarg);
			break;
		case OPT_ACCEL:
			if (!strcmp(optarg, "kvm"))
				cfg->accel = ACCEL_KVM;
			else if (!strcmp(optarg, "interp") || !strcmp(optarg, "tcg"))
				cfg->accel = ACCEL_INTERP;
			else if (!strcmp(optarg, "auto"))
				cfg->accel = ACCEL_AUTO;
			else
				return errf(err, errlen, "--accel '%s': expected kvm, interp or auto", optarg);
			break;
		case OPT_RTC:
			if (cli_parse_rtc(optarg, cfg))
				return errf(err, errlen,
					    "--rtc '%s': expected base=utc, base=localtime or base=YYYY-MM-DDTHH:MM:SS",
					    optarg);
			break;
		case OPT_CONSOLE:
			if (!strcmp(optarg, "stdio"))
				cfg->console = CONSOLE_STDIO;
			else if (!strcmp(optarg, "none"))
				cfg->console = CONSOLE_NONE;
			else if (!strncmp(optarg, "file:", 5) && optarg[5]) {
				cfg->console = CONSOLE_FILE;
				cfg->console_path = optarg + 5;
			} else
				return errf(err, errlen, "--console '%s': expected stdio, none or file:PATH", optarg);
			break;
		case OPT_DISK:
			if (parse_disk(optarg, cfg, err, errlen))
				return CLI_ERROR;
			break;
		case OPT_SNAPSHOT: cfg->snapshot = true; break;
		case OPT_NET:
			return errf(err, errlen,
				    "--net %s: networking is not available in this build yet (virtio-net is planned)",
				    optarg);
		case OPT_TIMEOUT:
			if (parse_seconds(optarg, &cfg->timeout) || cfg->timeout <= 0)
				return errf(err, errlen, "--timeout '%s': expected a positive number of seconds",
					    optarg);
			break;
		case OPT_REBOOT: cfg->reboot = true; break;
		case OPT_NO_REBOOT: cfg->reboot = false; break;
		case OPT_DUMP_DTB: cfg->dump_dtb = optarg; break;
		case OPT_DEBUG: cfg->debug = true; break;
		case 'h':
		case OPT_HELP:
			fputs(cli_usage, stdout);
			return CLI_EXIT;
		case OPT_VERSION:
			printf("minivmm %s\n", MINIVMM_VERSION);
			return CLI_EXIT;
		case ':':
			return errf(err, errlen, "%s needs a value (see --help)", argv[optind - 1]);
		default:
			if (optopt)
				return errf(err, errlen, "unknown option '-%c' (see --help)", optopt);
			return errf(err, errlen, "unknown or incomplete option '%s' (see --help)",
				    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return errf(err, errlen, "unexpected argument '%s' (options start with --; see --help)",
			    argv[optind]);
	if (!cfg->kernel)
		return errf(err, errlen, "no kernel given: use --kernel FILE (see --help)");
	return CLI_OK;
}

enum vm_arch cli_guess_arch(const char *path)
{
	uint8_t hdr[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ARCH_NONE;
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (n < 20)
		return ARCH_NONE;
	if (n >= 0x3c && !memcmp(hdr + 0x38, "ARM\x64", 4))
		return ARCH_AARCH64;
	if (!memcmp(hdr, "\x7f" "ELF", 4)) {
		uint16_t machine = (uint16_t)(hdr[18] | hdr[19] << 8);
		if (machine == 183) /* EM_AARCH64 */
			return ARCH_AARCH64;
		if (machine == 62 || machine == 3) /* EM_X86_64, EM_386 */
			return ARCH_X86_64;
	}
	return ARCH_X86_64;
}

static int check_readable(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return errf(err, errlen, "%s %s: %s", what, path,
			    errno == ENOENT   ? "no such file (check the path; `make guests` builds the default guests)"
			    : errno == EACCES ? "not readable: permission denied on the path"
					      : strerror(errno));
	if (S_ISDIR(st.st_mode))
		return errf(err, errlen, "%s %s: is a directory, not a file", what, path);
	if (access(path, R_OK) < 0)
		return errf(err, errlen, "%s %s: not readable (%s)", what, path, strerror(errno));
	if (st.st_size == 0)
		return errf(err, errlen, "%s %s: the file is empty", what, path);
	return 0;
}

int cli_validate(struct vm_config *cfg, char *err, size_t errlen)
{
	if (check_readable("--kernel", cfg->kernel, err, errlen))
		return CLI_ERROR;
	if (cfg->initrd && check_readable("--initrd", cfg->initrd, err, errlen))
		return CLI_ERROR;
	for (int i = 0; i < cfg->nr_disks; i++) {
		const char *p = cfg->disks[i].path;
		if (access(p, F_OK) < 0)
			return errf(err, errlen, "--disk %s: no such file (create one with: minivmm-img create -f qcow2 %s 1G)", p, p);
	}
	if (cfg->arch == ARCH_NONE)
		cfg->arch = cli_guess_arch(cfg->kernel);
	if (cfg->mem_size < MIN_MEM)
		return errf(err, errlen, "--mem %llu bytes is too small: a guest needs at least %llu MiB",
			    (unsigned long long)cfg->mem_size, (unsigned long long)(MIN_MEM >> 20));
	struct sysinfo si;
	if (sysinfo(&si) == 0) {
		uint64_t host = (uint64_t)si.totalram * si.mem_unit;
		if (cfg->mem_size > host)
			return errf(err, errlen, "--mem %llu MiB is more than this host's %llu MiB of RAM",
				    (unsigned long long)(cfg->mem_size >> 20), (unsigned long long)(host >> 20));
	}
	return CLI_OK;
}
