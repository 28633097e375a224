/* minivmm: parse the command line, check it, run the machine, exit with its status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/machine.h"
#include "vmm/util.h"

int main(int argc, char **argv)
{
	static struct vm_config cfg;
	char err[512];

	if (getenv("MINIVMM_DEBUG"))
		log_verbosity = LOG_DEBUG;
	int r = cli_parse(argc, argv, &cfg, err, sizeof(err));
	if (r == CLI_EXIT)
		return 0;
	if (r == CLI_OK)
		r = cli_validate(&cfg, err, sizeof(err));
	if (r != CLI_OK) {
		fprintf(stderr, "minivmm: error: %s\n", err);
		return EXIT_SETUP_ERROR;
	}
	if (cfg.debug)
		log_verbosity = LOG_DEBUG;
	int status = machine_run(&cfg);
	if (status == MACHINE_RESTART) {
		log_info("guest rebooted: restarting it (--reboot)");
		execv("/proc/self/exe", argv);
		log_error("cannot restart minivmm: execv /proc/self/exe: %s", strerror(errno));
		return EXIT_SETUP_ERROR;
	}
	return status;
}
