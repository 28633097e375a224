/* minivmm-img snapshot (-l/-c/-a/-d, qcow2 internal snapshots) and resize. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/img/img.h"
#include "vmm/util.h"

int img_snapshot(int argc, char **argv)
{
	char op = 0;
	const char *name = NULL, *fmt = NULL;
	int c, ret;

	optind = 1;
	while ((c = getopt(argc, argv, "lc:a:d:f:qU")) != -1) {
		switch (c) {
		case 'l': case 'c': case 'a': case 'd':
			if (op) {
				fprintf(stderr, "minivmm-img snapshot: give only one of -l, -c, -a, -d\n");
				return 1;
			}
			op = (char)c;
			name = optarg;
			break;
		case 'f': fmt = optarg; break;
		case 'q': case 'U': break;
		default: return 1;
		}
	}
	if (!op || optind >= argc) {
		fprintf(stderr, "usage: minivmm-img snapshot [-l | -c NAME | -a NAME | -d NAME] FILE\n");
		return 1;
	}
	const char *path = argv[optind];
	struct blk_dev *b;
	if (img_open(path, fmt, op != 'l', &b))
		return 1;
	if (strcmp(blk_format(b), "qcow2")) {
		fprintf(stderr, "minivmm-img snapshot: %s is %s; internal snapshots need qcow2\n", path, blk_format(b));
		blk_close(b);
		return 1;
	}
	switch (op) {
	case 'l': {
		struct qcow2_snapshot_info *sn;
		int n;
		ret = qcow2_snapshot_list(b, &sn, &n);
		if (ret == 0 && n) {
			char h[32], date[32];
			printf("Snapshot list:\nID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n");
			for (int i = 0; i < n; i++) {
				time_t t = sn[i].date_sec;
				struct tm tm;
				uint64_t secs = sn[i].vm_clock_nsec / 1000000000;
				strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
				printf("%-9s %-17s %7s %s %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64 " %10d\n",
				       sn[i].id, sn[i].name, img_human_size(sn[i].vm_state_size, h), date,
				       secs / 3600, secs / 60 % 60, secs % 60, sn[i].vm_clock_nsec / 1000000 % 1000, 0);
			}
		}
		if (ret == 0)
			free(sn);
		break;
	}
	case 'c':
		ret = qcow2_snapshot_create(b, name);
		if (ret == -EEXIST)
			fprintf(stderr, "minivmm-img snapshot: a snapshot named '%s' already exists\n", name);
		break;
	case 'a':
		ret = qcow2_snapshot_apply(b, name);
		break;
	default:
		ret = qcow2_snapshot_delete(b, name);
		break;
	}
	if (ret == -ENOENT)
		fprintf(stderr, "minivmm-img snapshot: %s: no snapshot with id or name '%s'\n", path, name);
	else if (ret && ret != -EEXIST)
		fprintf(stderr, "minivmm-img snapshot: %s: %s\n", path, strerror(-ret));
	blk_close(b);
	return ret ? 1 : 0;
}

int img_resize(int argc, char **argv)
{
	static const struct option lo[] = { { "shrink", no_argument, NULL, 'S' }, { NULL, 0, NULL, 0 } };
	const char *fmt = NULL;
	bool shrink = false;
	int c, ret;

	optind = 1;
	/* "-1G" is a size, not an option: stop option parsing at the file name. */
	while ((c = getopt_long(argc, argv, "+f:q", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'S': shrink = true; break;
		case 'q': break;
		default: return 1;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "usage: minivmm-img resize [-f fmt] [--shrink] FILE [+|-]SIZE\n");
		return 1;
	}
	const char *path = argv[optind], *arg = argv[optind + 1];
	uint64_t v, size;
	struct blk_dev *b;
	if (img_parse_size(arg[0] == '+' || arg[0] == '-' ? arg + 1 : arg, &v, "size"))
		return 1;
	if (img_open(path, fmt, true, &b))
		return 1;
	size = arg[0] == '+' ? blk_size(b) + v : arg[0] == '-' ? blk_size(b) - MIN(v, blk_size(b)) : v;
	if (size < blk_size(b) && !shrink) {
		fprintf(stderr, "minivmm-img resize: Use the --shrink option to perform a shrink operation.\n");
		blk_close(b);
		return 1;
	}
	ret = blk_truncate(b, size, shrink);
	if (ret == -ENOTSUP && size < blk_size(b))
		fprintf(stderr, "minivmm-img resize: shrinking %s images is not supported\n", blk_format(b));
	else if (ret)
		fprintf(stderr, "minivmm-img resize: %s: %s\n", path, strerror(-ret));
	else
		printf("Image resized.\n");
	blk_close(b);
	return ret ? 1 : 0;
}
