/*
 * minivmm-img: create, inspect, check, convert and snapshot disk images with qemu-img's verbs,
 * options and exit codes, on top of the block layer (devices/block/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/img/img.h"
#include "vmm/util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} verbs[] = {
	{ "create", img_create, "create [-f raw|qcow2] [-o cluster_size=N,compat=0.10|1.1,refcount_bits=N,compression_type=zlib|zstd] [-b backing [-F fmt]] FILE [SIZE]" },
	{ "info", img_info, "info [-f fmt] [--output=human|json] [--backing-chain] FILE" },
	{ "check", img_check, "check [-f fmt] [-r leaks|all] [--output=human|json] [-q] FILE   (exit 0 clean, 1 check failed, 2 corrupt, 3 leaks)" },
	{ "convert", img_convert, "convert [-f fmt] [-O raw|qcow2] [-c] [-p] [-o options] [-B backing] SRC DST" },
	{ "compare", img_compare, "compare [-f fmt] [-F fmt] [-s] [-q] A B   (exit 0 same, 1 different, 2 error)" },
	{ "commit", img_commit, "commit [-f fmt] [-d] FILE   (write FILE's data into its backing file)" },
	{ "snapshot", img_snapshot, "snapshot [-l | -c NAME | -a NAME | -d NAME] FILE" },
	{ "resize", img_resize, "resize [-f fmt] [--shrink] FILE [+|-]SIZE" },
	{ "stress", img_stress, "stress [--seed N] [--rounds N | --verify ROUND] FILE   (crash-test writer)" },
	{ "bench", img_bench, "bench [-f fmt] [-t read|write] [-s bufsize] [-c count] [-d depth] [-o offset] [-S step] [--pattern=N] [-n] FILE" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: minivmm-img COMMAND [options]\n\nCommands (qemu-img compatible):\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %s\n", verbs[i].usage);
	fprintf(f, "\nFormats: raw, qcow2 (v2/v3), vmdk (read-only). Sizes take K, M, G, T suffixes.\n");
}

int img_open(const char *path, const char *fmt, bool rw, struct blk_dev **out)
{
	return blk_open(path, fmt, rw ? 0 : BLK_OPEN_RDONLY, out);
}

const char *img_human_size(uint64_t v, char *buf)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	int i = 0;

	while (d >= 1024 && i < 6) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, 32, "%llu B", (unsigned long long)v);
	else if (d == (double)(uint64_t)d)
		snprintf(buf, 32, "%llu %s", (unsigned long long)d, u[i]);
	else
		snprintf(buf, 32, "%.3g %s", d, u[i]);
	return buf;
}

int img_parse_size(const char *s, uint64_t *out, const char *what)
{
	if (parse_size(s, out)) {
		fprintf(stderr, "minivmm-img: invalid %s '%s' (use a number with optional K, M, G, T suffix)\n", what, s);
		return -EINVAL;
	}
	return 0;
}

void img_progress(uint64_t done, uint64_t total)
{
	double pct = total ? 100.0 * (double)done / (double)total : 100.0;
	int w = 40, fill = (int)(pct * w / 100);

	fprintf(stderr, "\r    (%6.2f/100%%) [", pct);
	for (int i = 0; i < w; i++)
		fputc(i < fill ? '#' : ' ', stderr);
	fputc(']', stderr);
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("minivmm-img (qemu-img compatible verbs)\n");
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(argv[1], verbs[i].name))
			continue;
		for (int k = 2; k < argc; k++) {
			if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
				printf("usage: minivmm-img %s\n", verbs[i].usage);
				return 0;
			}
		}
		return verbs[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "minivmm-img: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 1;
}
