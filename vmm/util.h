/* Logging, fatal host-setup errors and small parsers shared by every subsystem. */
#ifndef MINIVMM_UTIL_H
#define MINIVMM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define UNUSED(x) ((void)(x))

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages go to stderr prefixed with "minivmm: "; LOG_DEBUG only with --debug / MINIVMM_DEBUG=1. */
extern int log_verbosity;
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate-limited warning for events caused by the guest (bad MMIO, broken virtqueue ...): at most
 * 10 lines per call site, then one "further messages suppressed" line. Never fatal.
 */
struct ratelimit { unsigned count; };
bool ratelimit_ok(struct ratelimit *rl);
#define log_guest(fmt, ...)                                                      \
	do {                                                                     \
		static struct ratelimit rl__;                                    \
		if (ratelimit_ok(&rl__))                                         \
			log_msg(LOG_WARN, fmt, ##__VA_ARGS__);                   \
	} while (0)

/* Host setup failures only (never on guest input): print one line and exit(1). */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* "64M", "1G", "4096", "512K" -> bytes. Returns 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t *out);
/* Whole decimal (or 0x hex) number, no trailing garbage. */
int parse_u64(const char *s, uint64_t *out);
/* Seconds, possibly fractional ("2.5"). */
int parse_seconds(const char *s, double *out);

/* Whole-file helpers for loaders: read up to max bytes; returns -errno. */
int read_file(const char *path, uint8_t **buf, size_t *len, size_t max);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

#endif
