/*
 * minivmm-img stress: the writer half of the crash test (tests/block/t-qcow2-crash-kill9.sh).
 * Round r writes stamped 4 KiB blocks ({magic, seed, block, round}) at pseudo-random offsets,
 * flushes, then prints "flushed r". --verify R re-runs the same sequence and checks that every
 * block written by a flushed round holds that round's stamp or a later one of the same seed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"
#include "vmm/util.h"

#define BS		4096
#define STAMP_MAGIC	0x4d494e49564d4d53ull	/* "MINIVMMS" */
#define WRITES_PER_ROUND 48

struct stamp { uint64_t magic, seed, block, round; };

static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Blocks [*first, *first + *n) written by write w of a round. */
static void plan(uint64_t *rng, uint64_t nblocks, uint64_t *first, uint64_t *n)
{
	*n = 1 + rng_next(rng) % 24;
	if (*n > nblocks)
		*n = nblocks;
	*first = rng_next(rng) % (nblocks - *n + 1);
}

int img_stress(int argc, char **argv)
{
	static const struct option lo[] = { { "seed", required_argument, NULL, 's' },
					     { "rounds", required_argument, NULL, 'r' },
					     { "verify", required_argument, NULL, 'v' }, { NULL, 0, NULL, 0 } };
	uint64_t seed = 1, rounds = UINT64_MAX, verify = 0;
	bool do_verify = false;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': if (parse_u64(optarg, &seed)) return 1; break;
		case 'r': if (parse_u64(optarg, &rounds)) return 1; break;
		case 'v': if (parse_u64(optarg, &verify)) return 1; do_verify = true; break;
		default: return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: minivmm-img stress [--seed N] [--rounds N | --verify ROUND] FILE\n");
		return 1;
	}
	struct blk_dev *b;
	if (img_open(argv[optind], NULL, !do_verify, &b))
		return 1;
	uint64_t nblocks = blk_size(b) / BS, rng = seed * 2654435761u + 1;
	uint8_t *buf = calloc(24, BS);
	uint64_t *expect = do_verify ? calloc(nblocks, 8) : NULL;
	if (!buf || (do_verify && !expect) || nblocks < 32) {
		blk_close(b);
		return 1;
	}
	if (do_verify) {
		for (uint64_t r = 1; r <= verify; r++)
			for (int w = 0; w < WRITES_PER_ROUND; w++) {
				uint64_t first, n;
				plan(&rng, nblocks, &first, &n);
				for (uint64_t i = first; i < first + n; i++)
					expect[i] = r;
			}
		uint64_t bad = 0;
		for (uint64_t i = 0; i < nblocks && !ret; i++) {
			struct stamp st;
			if (!expect[i])
				continue;
			ret = blk_pread(b, buf, BS, i * BS);
			memcpy(&st, buf, sizeof(st));
			if (ret == 0 && (st.magic != STAMP_MAGIC || st.seed != seed || st.block != i || st.round < expect[i])) {
				if (bad++ < 10)
					fprintf(stderr, "block %" PRIu64 ": expected round >= %" PRIu64 " of seed %" PRIu64
						", found magic %" PRIx64 " seed %" PRIu64 " block %" PRIu64 " round %" PRIu64 "\n",
						i, expect[i], seed, st.magic, st.seed, st.block, st.round);
			}
		}
		printf("verified %" PRIu64 " rounds: %" PRIu64 " bad blocks\n", verify, bad);
		free(expect);
		free(buf);
		blk_close(b);
		return ret || bad ? 1 : 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (uint64_t r = 1; r <= rounds && !ret; r++) {
		for (int w = 0; w < WRITES_PER_ROUND && !ret; w++) {
			uint64_t first, n;
			plan(&rng, nblocks, &first, &n);
			for (uint64_t i = 0; i < n; i++) {
				struct stamp st = { STAMP_MAGIC, seed, first + i, r };
				memset(buf + i * BS, (int)(r & 0xff), BS);
				memcpy(buf + i * BS, &st, sizeof(st));
			}
			ret = blk_pwrite(b, buf, n * BS, first * BS);
		}
		if (ret == 0)
			ret = blk_flush(b);
		if (ret == 0)
			printf("flushed %" PRIu64 "\n", r);
	}
	if (ret)
		fprintf(stderr, "minivmm-img stress: %s\n", strerror(-ret));
	free(buf);
	blk_close(b);
	return ret ? 1 : 0;
}
