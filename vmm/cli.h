/* Command-line parsing into struct vm_config; kept apart from main() so it can be unit-tested. */
#ifndef MINIVMM_CLI_H
#define MINIVMM_CLI_H

#include <stddef.h>

#include "vmm/machine.h"

enum { CLI_OK = 0, CLI_EXIT = 1 /* --help/--version printed */, CLI_ERROR = -1 };

/* Parse argv. On CLI_ERROR, err holds one line naming the problem and the fix. */
int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen);

/* Check what can be checked before the machine exists: files readable, sizes sane for the host. */
int cli_validate(struct vm_config *cfg, char *err, size_t errlen);

/* Guess the guest architecture from the kernel file's header (arm64 Image, ELF e_machine). */
enum vm_arch cli_guess_arch(const char *kernel_path);

/* "--rtc" value: utc | localtime | YYYY-MM-DDTHH:MM:SS, optionally prefixed "base=". */
int cli_parse_rtc(const char *s, struct vm_config *cfg);

extern const char cli_usage[];

#endif
