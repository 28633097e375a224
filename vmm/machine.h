/*
 * The machine: configuration from the CLI, guest RAM, the two buses, the interrupt chip, the vCPUs,
 * and the seams the rest plugs into:
 *   - struct engine: how vCPUs execute (KVM or the aarch64 interpreter), chosen in one place
 *     (machine_select_engine);
 *   - struct board:  what the machine looks like (x86 "pc-lite", arm64 "virt"), its memory map,
 *     devices and how the kernel is loaded.
 * Devices only ever see struct bus, struct irq_line and struct guest_mem.
 */
#ifndef MINIVMM_MACHINE_H
#define MINIVMM_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "vmm/bus.h"
#include "vmm/mem.h"

#define MINIVMM_VERSION "0.1.0"
#define MAX_CPUS 64
#define MAX_DISKS 16
#define MAX_NETS 4

enum vm_arch { ARCH_NONE, ARCH_X86_64, ARCH_AARCH64 };
enum vm_accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_INTERP };
enum rtc_base { RTC_BASE_UTC, RTC_BASE_LOCALTIME, RTC_BASE_FIXED };
enum console_kind { CONSOLE_STDIO, CONSOLE_FILE, CONSOLE_NONE };

/* Process exit codes; documented in --help and README.md. */
enum {
	EXIT_GUEST_OFF = 0,      /* guest powered off, or rebooted (without --reboot) */
	EXIT_SETUP_ERROR = 1,    /* bad input or host setup failure; the guest never ran */
	EXIT_GUEST_CRASH = 3,    /* triple fault / KVM internal error / interpreter fatal */
	EXIT_TIMEOUT = 124,      /* --timeout expired (same code as timeout(1)) */
	/* 129..: a debug-exit device write of v exits with (v << 1) | 1, as QEMU's isa-debug-exit */
};

struct disk_config {
	char spec[4200];    /* the --disk argument, split in place; path and options point into it */
	const char *path;
	const char *format; /* NULL: probe */
	bool readonly;
	const char *serial;
};

struct net_config {
	const char *spec; /* e.g. "user" or "tap,ifname=tap0"; parsed by the net device */
};

struct vm_config {
	const char *kernel, *initrd, *append;
	uint64_t mem_size;
	int cpus;
	enum vm_arch arch;
	enum vm_accel accel;
	enum rtc_base rtc_base;
	time_t rtc_fixed;           /* RTC_BASE_FIXED: the guest's time at start (UTC seconds) */
	enum console_kind console;
	const char *console_path;
	double timeout;             /* seconds, 0 = none */
	bool reboot;                /* --reboot: a guest reboot restarts it; default: exit 0 */
	struct disk_config disks[MAX_DISKS];
	int nr_disks;
	bool snapshot;
	struct net_config nets[MAX_NETS];
	int nr_nets;
	const char *dump_dtb;
	bool debug;                 /* --debug: log unimplemented instructions, unknown MMIO ... */
};

/* Why the machine stopped; first writer wins. */
enum machine_exit {
	MEXIT_NONE = 0,
	MEXIT_POWEROFF,
	MEXIT_RESET,
	MEXIT_CRASH,     /* triple fault, internal error */
	MEXIT_TIMEOUT,
	MEXIT_DEBUG_EXIT,/* test device: exit code in exit_code */
	MEXIT_HOST_ERROR,
};

struct machine;

/* Registers the engine puts in the boot CPU; filled by the board's kernel loader. */
struct boot_state {
	/* x86: entry kind and registers */
	enum { BOOT_X86_64BIT, BOOT_X86_PVH32 } x86_mode;
	uint64_t entry;    /* x86: rip; arm64: pc */
	uint64_t rsi;      /* x86 64-bit boot protocol: boot_params */
	uint64_t rbx;      /* x86 PVH: hvm_start_info */
	uint64_t rsp;
	uint64_t gdt_base, pml4_base; /* x86 64-bit entry: tables the board placed in RAM */
	uint64_t x0;       /* arm64: DTB address */
};

struct vcpu {
	struct machine *m;
	int index;
	pthread_t thread;
	void *engine_data;      /* KVM: fd + kvm_run; interpreter: CPU state */
	uint64_t exits;         /* statistics, per kind in the engine */
};

struct engine {
	const char *name;                                   /* "kvm" or "interp" */
	/* After RAM is allocated: create the VM, map RAM, install m->irqchip if the engine owns it. */
	int (*vm_create)(struct machine *m);
	int (*vcpu_create)(struct vcpu *v);                 /* boot CPU state from m->boot */
	void (*vcpu_run)(struct vcpu *v);                   /* runs until machine_exit_requested() */
	void (*vcpu_kick)(struct vcpu *v);                  /* make vcpu_run notice an exit request */
	void (*vcpu_dump)(struct vcpu *v, FILE *out);       /* registers + faulting instruction */
	void (*vm_destroy)(struct machine *m);
};

struct board {
	const char *name;
	enum vm_arch arch;
	/* Declare RAM regions for cfg->mem_size (gmem_add). */
	int (*layout)(struct machine *m);
	/* Register devices, load kernel/initrd/boot data, fill m->boot. Engine VM already exists. */
	int (*setup)(struct machine *m);
	void (*teardown)(struct machine *m);
};

struct machine {
	const struct vm_config *cfg;
	const struct engine *engine;
	const struct board *board;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct irq_chip irqchip;   /* installed by the engine (KVM) or the board (interpreter GIC) */
	struct boot_state boot;
	struct vcpu vcpus[MAX_CPUS];
	int nr_vcpus;
	void *engine_data;         /* engine-wide state (KVM vm fd ...) */
	void *board_data;          /* board devices */
	char cmdline[4096];        /* final kernel command line (boards may append to it) */

	_Atomic int exit_reason;   /* enum machine_exit */
	int exit_code;             /* for MEXIT_DEBUG_EXIT */
	int wake_fd;               /* eventfd: wakes the main loop when an exit is requested */
};

/* Engines and boards available in this build. */
extern const struct engine kvm_engine;
extern const struct engine interp_engine;
extern const struct board x86_board;
extern const struct board arm64_board;

/*
 * The one place the engine is chosen: --accel kvm|interp|auto against the guest arch and what the
 * host offers. Returns the engine or NULL with *why set to a user-facing reason.
 */
const struct engine *machine_select_engine(const struct vm_config *cfg, const char **why);

/* Is /dev/kvm usable for this guest arch? 0, or -errno with a message in why. */
int kvm_probe(enum vm_arch arch, const char **why);

/* Request the machine to stop (any thread, async-signal-unsafe). First reason wins. */
void machine_request_exit(struct machine *m, enum machine_exit why, int code);
static inline bool machine_exit_requested(struct machine *m)
{
	return atomic_load_explicit(&m->exit_reason, memory_order_relaxed) != MEXIT_NONE;
}

/*
 * Full lifecycle: layout, engine VM, board setup, vCPU threads, main loop. Returns the exit code,
 * or MACHINE_RESTART when the guest rebooted under --reboot: main() then re-executes minivmm, so
 * the new guest starts from a machine as fresh as the first (every device, fd and thread new).
 */
#define MACHINE_RESTART (-1)
#define MACHINE_DEADLINE_ENV "MINIVMM_DEADLINE_NS" /* --timeout deadline carried across restarts */
int machine_run(const struct vm_config *cfg);

/* Append " text" to m->cmdline (boards announcing devices, e.g. virtio_mmio.device=). */
int machine_cmdline_append(struct machine *m, const char *text);

/*
 * Devices that boards create from the configuration (disks, nets) call these to learn their
 * interrupt line; the board decides numbering.
 */
struct irq_line machine_irq_line(struct machine *m, unsigned irq);

#endif
