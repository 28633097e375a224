/*
 * minivmm-img bench, modelled on qemu-img bench: count requests of bufsize bytes starting at
 * offset, each step bytes after the previous (wrapping at the end of the image). Requests are
 * issued synchronously (depth 1); -d is accepted for command compatibility. As in qemu-img bench,
 * writes are flushed only with --flush-interval=N (every N requests); close still syncs metadata.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"
#include "vmm/util.h"

int img_bench(int argc, char **argv)
{
	static const struct option lo[] = { { "pattern", required_argument, NULL, 'P' },
					     { "flush-interval", required_argument, NULL, 'F' },
					     { "no-drain", no_argument, NULL, 'D' }, { NULL, 0, NULL, 0 } };
	const char *fmt = NULL;
	uint64_t bufsize = 4096, count = 75000, offset = 0, step = 0, pattern = 0, flush_every = 0;
	bool write = false;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:t:s:c:d:o:S:nqwi:", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 't':
			if (strcmp(optarg, "read") && strcmp(optarg, "write")) {
				fprintf(stderr, "minivmm-img bench: -t %s unknown (read or write)\n", optarg);
				return 1;
			}
			write = !strcmp(optarg, "write");
			break;
		case 'w': write = true; break;
		case 's': if (img_parse_size(optarg, &bufsize, "buffer size")) return 1; break;
		case 'c': if (parse_u64(optarg, &count)) return 1; break;
		case 'o': if (img_parse_size(optarg, &offset, "offset")) return 1; break;
		case 'S': if (img_parse_size(optarg, &step, "step")) return 1; break;
		case 'P': if (parse_u64(optarg, &pattern)) return 1; break;
		case 'F': if (parse_u64(optarg, &flush_every)) return 1; break;
		case 'd': case 'n': case 'q': case 'i': case 'D': break;
		default: return 1;
		}
	}
	if (optind >= argc || bufsize == 0) {
		fprintf(stderr, "usage: minivmm-img bench [-t read|write] [-s size] [-c count] [-o offset] [-S step] [--pattern=N] FILE\n");
		return 1;
	}
	if (!step)
		step = bufsize;
	struct blk_dev *b;
	if (img_open(argv[optind], fmt, write, &b))
		return 1;
	uint64_t size = blk_size(b);
	uint8_t *buf = malloc(bufsize);
	if (!buf || bufsize > size) {
		fprintf(stderr, "minivmm-img bench: buffer larger than the image\n");
		blk_close(b);
		free(buf);
		return 1;
	}
	memset(buf, (int)pattern, bufsize);
	printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, 1 in parallel (starting at offset %" PRIu64
	       ", step size %" PRIu64 ")\n", count, write ? "write" : "read", bufsize, offset, step);
	uint64_t t0 = now_ns(), off = offset;
	for (uint64_t i = 0; i < count && !ret; i++) {
		if (off + bufsize > size)
			off = off % (size - bufsize + 1);
		ret = write ? blk_pwrite(b, buf, bufsize, off) : blk_pread(b, buf, bufsize, off);
		off += step;
		/* Like qemu-img bench: no flush unless --flush-interval asks for one. */
		if (write && ret == 0 && flush_every && (i + 1) % flush_every == 0)
			ret = blk_flush(b);
	}
	double secs = (double)(now_ns() - t0) / 1e9;
	if (ret)
		fprintf(stderr, "minivmm-img bench: I/O error: %s\n", strerror(-ret));
	else
		printf("Run completed in %.3f seconds.\n", secs);
	free(buf);
	blk_close(b);
	return ret ? 1 : 0;
}
