/* minivmm-img create and info (human and --output=json, with qemu-img's field names). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/img/img.h"
#include "vmm/util.h"

/* -o key=value,... for qcow2 creation; shared with convert -O qcow2. */
int img_parse_qcow2_opts(char *opts, struct qcow2_create_opts *o);
int img_parse_qcow2_opts(char *opts, struct qcow2_create_opts *o)
{
	for (char *kv = strtok(opts, ","); kv; kv = strtok(NULL, ",")) {
		char *v = strchr(kv, '=');
		uint64_t n;
		if (!v) {
			fprintf(stderr, "minivmm-img: option '%s' needs a value (key=value)\n", kv);
			return -EINVAL;
		}
		*v++ = 0;
		if (!strcmp(kv, "cluster_size")) {
			if (img_parse_size(v, &n, "cluster_size"))
				return -EINVAL;
			o->cluster_size = (unsigned)n;
		} else if (!strcmp(kv, "compat")) {
			if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
				o->version = 2;
			else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
				o->version = 3;
			else {
				fprintf(stderr, "minivmm-img: compat=%s unknown (0.10 or 1.1)\n", v);
				return -EINVAL;
			}
		} else if (!strcmp(kv, "refcount_bits")) {
			if (parse_u64(v, &n))
				return -EINVAL;
			o->refcount_bits = (unsigned)n;
		} else if (!strcmp(kv, "compression_type")) {
			if (strcmp(v, "zlib") && strcmp(v, "zstd")) {
				fprintf(stderr, "minivmm-img: compression_type=%s unknown (zlib or zstd)\n", v);
				return -EINVAL;
			}
			o->compression = !strcmp(v, "zstd");
		} else if (!strcmp(kv, "backing_file")) {
			o->backing = v;
		} else if (!strcmp(kv, "backing_fmt")) {
			o->backing_fmt = v;
		} else if (!strcmp(kv, "size")) {
			if (img_parse_size(v, &o->size, "size"))
				return -EINVAL;
		} else if (!strcmp(kv, "lazy_refcounts") || !strcmp(kv, "preallocation")) {
			if (strcmp(v, "off") && strcmp(v, "false")) {
				fprintf(stderr, "minivmm-img: %s=%s is not supported\n", kv, v);
				return -ENOTSUP;
			}
		} else {
			fprintf(stderr, "minivmm-img: unknown option '%s' (cluster_size, compat, refcount_bits, compression_type, backing_file, backing_fmt)\n", kv);
			return -EINVAL;
		}
	}
	return 0;
}

int img_create(int argc, char **argv)
{
	const char *fmt = "raw";
	struct qcow2_create_opts o = { 0 };
	int c, ret;
	bool quiet = false;

	optind = 1;
	while ((c = getopt(argc, argv, "f:o:b:F:uq")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'o': if (img_parse_qcow2_opts(optarg, &o)) return 1; break;
		case 'b': o.backing = optarg; break;
		case 'F': o.backing_fmt = optarg; break;
		case 'u': break;
		case 'q': quiet = true; break;
		default: return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "minivmm-img create: missing file name\n");
		return 1;
	}
	const char *path = argv[optind];
	if (optind + 1 < argc && img_parse_size(argv[optind + 1], &o.size, "size"))
		return 1;
	if (optind + 1 >= argc && !o.backing) {
		fprintf(stderr, "minivmm-img create: missing size for %s\n", path);
		return 1;
	}
	if (!strcmp(fmt, "raw")) {
		if (o.backing) {
			fprintf(stderr, "minivmm-img create: raw images cannot have a backing file\n");
			return 1;
		}
		ret = raw_create(path, o.size);
	} else if (!strcmp(fmt, "qcow2")) {
		ret = qcow2_create(path, &o);
	} else {
		fprintf(stderr, "minivmm-img create: cannot create format '%s' (raw or qcow2)\n", fmt);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "minivmm-img create: %s: %s\n", path, strerror(-ret));
		return 1;
	}
	if (!quiet) {
		/* Report the final size (it may come from the backing file). */
		struct blk_dev *b;
		uint64_t size = o.size;
		if (blk_open(path, fmt, BLK_OPEN_RDONLY, &b) == 0) {
			size = blk_size(b);
			blk_close(b);
		}
		printf("Formatting '%s', fmt=%s size=%" PRIu64 "%s%s\n", path, fmt, size,
		       o.backing ? " backing_file=" : "", o.backing ? o.backing : "");
	}
	return 0;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void info_json(struct blk_dev *b, const char *path)
{
	struct qcow2_info qi;
	bool q = qcow2_get_info(b, &qi) == 0;
	struct qcow2_snapshot_info *sn = NULL;
	int nsn = 0;

	printf("{\n");
	if (q && qi.backing_file) {
		if (qi.backing_fmt) {
			printf("    \"backing-filename-format\": ");
			json_str(qi.backing_fmt);
			printf(",\n");
		}
	}
	if (q && qcow2_snapshot_list(b, &sn, &nsn) == 0 && nsn) {
		printf("    \"snapshots\": [\n");
		for (int i = 0; i < nsn; i++) {
			printf("        {\n            \"icount\": 0,\n            \"vm-clock-nsec\": %" PRIu64 ",\n",
			       sn[i].vm_clock_nsec % 1000000000);
			printf("            \"name\": ");
			json_str(sn[i].name);
			printf(",\n            \"date-sec\": %u,\n            \"date-nsec\": %u,\n", sn[i].date_sec, sn[i].date_nsec);
			printf("            \"vm-clock-sec\": %" PRIu64 ",\n            \"id\": ", sn[i].vm_clock_nsec / 1000000000);
			json_str(sn[i].id);
			printf(",\n            \"vm-state-size\": %" PRIu64 "\n        }%s\n", sn[i].vm_state_size, i + 1 < nsn ? "," : "");
		}
		printf("    ],\n");
	}
	free(sn);
	printf("    \"virtual-size\": %" PRIu64 ",\n    \"filename\": ", blk_size(b));
	json_str(path);
	if (q)
		printf(",\n    \"cluster-size\": %u", qi.cluster_size);
	printf(",\n    \"format\": \"%s\",\n    \"actual-size\": %" PRIu64, blk_format(b), blk_actual_size(b));
	if (q) {
		printf(",\n    \"format-specific\": {\n        \"type\": \"qcow2\",\n        \"data\": {\n");
		printf("            \"compat\": \"%s\",\n", qi.version == 2 ? "0.10" : "1.1");
		printf("            \"compression-type\": \"%s\",\n", qi.compression);
		if (qi.version >= 3)
			printf("            \"lazy-refcounts\": %s,\n", qi.lazy_refcounts ? "true" : "false");
		printf("            \"refcount-bits\": %u", qi.refcount_bits);
		if (qi.version >= 3)
			printf(",\n            \"corrupt\": %s,\n            \"extended-l2\": false", qi.corrupt ? "true" : "false");
		printf("\n        }\n    }");
		if (qi.backing_file) {
			printf(",\n    \"full-backing-filename\": ");
			json_str(qi.backing_path ? qi.backing_path : qi.backing_file);
			printf(",\n    \"backing-filename\": ");
			json_str(qi.backing_file);
		}
		printf(",\n    \"dirty-flag\": %s", qi.dirty ? "true" : "false");
	} else {
		printf(",\n    \"dirty-flag\": false");
	}
	printf("\n}\n");
}

static void info_human(struct blk_dev *b, const char *path)
{
	struct qcow2_info qi;
	bool q = qcow2_get_info(b, &qi) == 0;
	char h1[32], h2[32];
	struct qcow2_snapshot_info *sn = NULL;
	int nsn = 0;

	printf("image: %s\nfile format: %s\n", path, blk_format(b));
	printf("virtual size: %s (%" PRIu64 " bytes)\n", img_human_size(blk_size(b), h1), blk_size(b));
	printf("disk size: %s\n", img_human_size(blk_actual_size(b), h2));
	if (!q)
		return;
	printf("cluster_size: %u\n", qi.cluster_size);
	if (qi.backing_file) {
		printf("backing file: %s", qi.backing_file);
		if (qi.backing_path && strcmp(qi.backing_path, qi.backing_file))
			printf(" (actual path: %s)", qi.backing_path);
		printf("\n");
		if (qi.backing_fmt)
			printf("backing file format: %s\n", qi.backing_fmt);
	}
	if (qcow2_snapshot_list(b, &sn, &nsn) == 0 && nsn) {
		printf("Snapshot list:\nID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n");
		for (int i = 0; i < nsn; i++) {
			char date[32];
			time_t t = sn[i].date_sec;
			struct tm tm;
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
			uint64_t secs = sn[i].vm_clock_nsec / 1000000000;
			printf("%-9s %-17s %7s %s %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64 " %10d\n",
			       sn[i].id, sn[i].name, img_human_size(sn[i].vm_state_size, h1), date,
			       secs / 3600, secs / 60 % 60, secs % 60, sn[i].vm_clock_nsec / 1000000 % 1000, 0);
		}
	}
	free(sn);
	printf("Format specific information:\n    compat: %s\n", qi.version == 2 ? "0.10" : "1.1");
	printf("    compression type: %s\n", qi.compression);
	if (qi.version >= 3)
		printf("    lazy refcounts: %s\n", qi.lazy_refcounts ? "true" : "false");
	printf("    refcount bits: %u\n", qi.refcount_bits);
	if (qi.version >= 3)
		printf("    corrupt: %s\n    extended l2: false\n", qi.corrupt ? "true" : "false");
	if (qi.dirty)
		printf("    dirty bit: true (not closed cleanly; it is repaired on the next read-write open)\n");
}

int img_info(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'O' }, { "backing-chain", no_argument, NULL, 'B' },
		{ "force-share", no_argument, NULL, 'U' }, { NULL, 0, NULL, 0 } };
	const char *fmt = NULL, *out = "human";
	bool chain = false, share = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:U", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'O': out = optarg; break;
		case 'B': chain = true; break;
		case 'U': share = true; break;
		default: return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "minivmm-img info: missing file name\n");
		return 1;
	}
	if (strcmp(out, "human") && strcmp(out, "json")) {
		fprintf(stderr, "minivmm-img info: --output=%s unknown (human or json)\n", out);
		return 1;
	}
	struct blk_dev *b;
	/* -U (force share): read an image a running VMM holds, without taking its lock. */
	if (blk_open(argv[optind], fmt, BLK_OPEN_RDONLY | (share ? BLK_OPEN_NOLOCK : 0), &b))
		return 1;
	bool json = !strcmp(out, "json");
	if (chain && json)
		printf("[\n");
	for (struct blk_dev *cur = b; cur; cur = chain ? blk_backing(cur) : NULL) {
		if (json)
			info_json(cur, blk_path(cur));
		else
			info_human(cur, cur == b ? argv[optind] : blk_path(cur));
		if (chain && blk_backing(cur))
			printf(json ? ",\n" : "\n");
	}
	if (chain && json)
		printf("]\n");
	blk_close(b);
	return 0;
}
