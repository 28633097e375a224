/* minivmm-img: qemu-img compatible image tool. One file per verb group. */
#ifndef MINIVMM_IMG_H
#define MINIVMM_IMG_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/block/block.h"

int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_check(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_bench(int argc, char **argv);
int img_stress(int argc, char **argv);

/* Open an image (format NULL: probe); prints the error itself. */
int img_open(const char *path, const char *fmt, bool rw, struct blk_dev **out);
/* "1 GiB" style size; buf must hold 32 bytes. */
const char *img_human_size(uint64_t v, char *buf);
int img_parse_size(const char *s, uint64_t *out, const char *what);
void img_progress(uint64_t done, uint64_t total);

#endif
