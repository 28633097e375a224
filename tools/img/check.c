/* minivmm-img check: qemu-img's report and exit codes (0 clean, 1 not completed, 2 corrupt, 3 leaks). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tools/img/img.h"

static int check_exit(const struct blk_check_result *r)
{
	if (r->check_errors)
		return 1;
	if (r->corruptions)
		return 2;
	if (r->leaks)
		return 3;
	return 0;
}

static void report_human(const struct blk_check_result *r)
{
	if (!r->corruptions && !r->leaks && !r->check_errors)
		printf("No errors were found on the image.\n");
	if (r->corruptions)
		printf("\n%" PRIu64 " errors were found on the image.\n"
		       "Data may be corrupted, or further writes to the image may corrupt it.\n", r->corruptions);
	if (r->leaks)
		printf("\n%" PRIu64 " leaked clusters were found on the image.\n"
		       "This means waste of disk space, but no harm to data.\n", r->leaks);
	if (r->check_errors)
		printf("\n%" PRIu64 " internal errors have occurred during the check.\n", r->check_errors);
	if (r->total_clusters && r->allocated_clusters)
		printf("%" PRIu64 "/%" PRIu64 " = %.2f%% allocated, %.2f%% fragmented, %.2f%% compressed clusters\n",
		       r->allocated_clusters, r->total_clusters,
		       100.0 * (double)r->allocated_clusters / (double)r->total_clusters,
		       100.0 * (double)r->fragmented_clusters / (double)r->allocated_clusters,
		       100.0 * (double)r->compressed_clusters / (double)r->allocated_clusters);
	printf("Image end offset: %" PRIu64 "\n", r->image_end_offset);
}

static void report_json(const struct blk_check_result *r, const char *path)
{
	printf("{\n    \"image-end-offset\": %" PRIu64 ",\n    \"total-clusters\": %" PRIu64 ",\n"
	       "    \"check-errors\": %" PRIu64 ",\n    \"leaks\": %" PRIu64 ",\n    \"corruptions\": %" PRIu64 ",\n"
	       "    \"allocated-clusters\": %" PRIu64 ",\n    \"filename\": \"%s\",\n    \"format\": \"qcow2\",\n"
	       "    \"fragmented-clusters\": %" PRIu64 ",\n    \"compressed-clusters\": %" PRIu64 "\n}\n",
	       r->image_end_offset, r->total_clusters, r->check_errors, r->leaks, r->corruptions,
	       r->allocated_clusters, path, r->fragmented_clusters, r->compressed_clusters);
}

int img_check(int argc, char **argv)
{
	static const struct option lo[] = { { "output", required_argument, NULL, 'O' },
					     { "force-share", no_argument, NULL, 'U' }, { NULL, 0, NULL, 0 } };
	const char *fmt = NULL, *out = "human";
	unsigned fix = 0;
	bool quiet = false;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:r:qU", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'O': out = optarg; break;
		case 'q': quiet = true; break;
		case 'U': break;
		case 'r':
			if (!strcmp(optarg, "leaks"))
				fix = BLK_FIX_LEAKS;
			else if (!strcmp(optarg, "all"))
				fix = BLK_FIX_LEAKS | BLK_FIX_ERRORS;
			else {
				fprintf(stderr, "minivmm-img check: -r %s unknown (leaks or all)\n", optarg);
				return 1;
			}
			break;
		default: return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "minivmm-img check: missing file name\n");
		return 1;
	}
	const char *path = argv[optind];
	struct blk_dev *b;
	if (blk_open(path, fmt, fix ? BLK_OPEN_REPAIR : BLK_OPEN_RDONLY, &b))
		return 1;
	if (strcmp(blk_format(b), "qcow2")) {
		fprintf(stderr, "minivmm-img: This image format does not support checks\n");
		blk_close(b);
		return 63;
	}
	struct blk_check_result r;
	ret = qcow2_check(b, fix | (quiet ? BLK_CHECK_QUIET : 0), &r);
	if (ret) {
		fprintf(stderr, "minivmm-img check: %s: check failed: %s\n", path, strerror(-ret));
		blk_close(b);
		return 1;
	}
	if (fix && (r.leaks_fixed || r.corruptions_fixed)) {
		if (!quiet)
			printf("The following inconsistencies were found and repaired:\n\n"
			       "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\nDouble checking the fixed image now...\n",
			       r.leaks_fixed, r.corruptions_fixed);
		ret = qcow2_check(b, BLK_CHECK_QUIET, &r);
		if (ret) {
			blk_close(b);
			return 1;
		}
	}
	if (!quiet) {
		if (!strcmp(out, "json"))
			report_json(&r, path);
		else
			report_human(&r);
	}
	blk_close(b);
	return check_exit(&r);
}
