/* Machine lifecycle: choose the engine, build the board, run the vCPUs, report how it ended. */
#include "vmm/machine.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/event.h"
#include "vmm/util.h"

/* Engines and boards are optional at link time: a build without one reports it clearly. */
#pragma weak kvm_engine
#pragma weak interp_engine
#pragma weak x86_board
#pragma weak arm64_board
#pragma weak kvm_probe

static const char *arch_name(enum vm_arch a)
{
	return a == ARCH_AARCH64 ? "aarch64" : "x86_64";
}

#if defined(__x86_64__)
#define HOST_ARCH ARCH_X86_64
#elif defined(__aarch64__)
#define HOST_ARCH ARCH_AARCH64
#else
#define HOST_ARCH ARCH_NONE
#endif

static int probe_kvm(enum vm_arch arch, const char **why)
{
	if (!&kvm_engine || !kvm_probe) {
		*why = "this minivmm was built without the KVM engine";
		return -ENOSYS;
	}
	return kvm_probe(arch, why);
}

const struct engine *machine_select_engine(const struct vm_config *cfg, const char **why)
{
	static char msg[512];
	const char *kvm_why = NULL;
	bool interp_ok = cfg->arch == ARCH_AARCH64 && &interp_engine;

	switch (cfg->accel) {
	case ACCEL_KVM:
		if (cfg->arch != HOST_ARCH) {
			snprintf(msg, sizeof(msg),
				 "--accel kvm: KVM on this %s host cannot run an %s guest; use --accel interp",
				 arch_name(HOST_ARCH), arch_name(cfg->arch));
			*why = msg;
			return NULL;
		}
		if (probe_kvm(cfg->arch, &kvm_why)) {
			*why = kvm_why;
			return NULL;
		}
		return &kvm_engine;
	case ACCEL_INTERP:
		if (!interp_ok) {
			*why = cfg->arch == ARCH_AARCH64
				       ? "this minivmm was built without the interpreter"
				       : "--accel interp: the interpreter runs aarch64 guests only; x86_64 guests need KVM";
			return NULL;
		}
		return &interp_engine;
	case ACCEL_AUTO:
		if (cfg->arch == HOST_ARCH && probe_kvm(cfg->arch, &kvm_why) == 0)
			return &kvm_engine;
		if (interp_ok) {
			if (cfg->arch == HOST_ARCH)
				log_info("KVM not usable (%s): running the aarch64 guest on the interpreter", kvm_why);
			return &interp_engine;
		}
		*why = kvm_why ? kvm_why : "no engine can run this guest";
		return NULL;
	}
	*why = "bad --accel";
	return NULL;
}

void machine_request_exit(struct machine *m, enum machine_exit why, int code)
{
	int expected = MEXIT_NONE;
	if (atomic_compare_exchange_strong(&m->exit_reason, &expected, (int)why))
		m->exit_code = code;
	uint64_t one = 1;
	if (m->wake_fd >= 0 && write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; the main loop also polls */
	}
}

int machine_cmdline_append(struct machine *m, const char *text)
{
	size_t have = strlen(m->cmdline), add = strlen(text);
	if (have + 1 + add + 1 > sizeof(m->cmdline))
		return -ENOSPC;
	if (have)
		m->cmdline[have++] = ' ';
	memcpy(m->cmdline + have, text, add + 1);
	return 0;
}

struct irq_line machine_irq_line(struct machine *m, unsigned irq)
{
	return (struct irq_line){ .chip = &m->irqchip, .irq = irq };
}

/* SIGINT/SIGTERM/SIGHUP end the guest cleanly (terminal restored, disks closed). */
static struct machine *signal_machine;
static volatile sig_atomic_t signal_seen;

static void on_signal(int sig)
{
	signal_seen = sig;
	if (signal_machine) {
		uint64_t one = 1;
		if (write(signal_machine->wake_fd, &one, sizeof(one)) < 0) {
			/* nothing to do in a signal handler */
		}
	}
}

static void on_wake(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	uint64_t v;
	if (read(m->wake_fd, &v, sizeof(v)) < 0) {
		/* spurious */
	}
	if (signal_seen)
		machine_request_exit(m, MEXIT_HOST_ERROR, 128 + signal_seen);
}

static void on_timeout(void *opaque, uint32_t events)
{
	struct machine *m = opaque;
	log_info("--timeout %.3g s expired: stopping the guest", m->cfg->timeout);
	machine_request_exit(m, MEXIT_TIMEOUT, 0);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];
	snprintf(name, sizeof(name), "vcpu%d", v->index);
	pthread_setname_np(pthread_self(), name);
	v->m->engine->vcpu_run(v);
	/* A vCPU that returns without a reason (engine bug) must not leave the machine hanging. */
	machine_request_exit(v->m, MEXIT_HOST_ERROR, EXIT_GUEST_CRASH);
	return NULL;
}

static int exit_status(struct machine *m)
{
	switch ((enum machine_exit)m->exit_reason) {
	case MEXIT_POWEROFF: return EXIT_GUEST_OFF;
	case MEXIT_RESET: return EXIT_GUEST_OFF;
	case MEXIT_CRASH: return EXIT_GUEST_CRASH;
	case MEXIT_TIMEOUT: return EXIT_TIMEOUT;
	case MEXIT_DEBUG_EXIT: return m->exit_code;
	case MEXIT_HOST_ERROR: return m->exit_code ? m->exit_code : EXIT_SETUP_ERROR;
	case MEXIT_NONE: break;
	}
	return EXIT_SETUP_ERROR;
}


/* --timeout is a deadline for the whole run, across guest reboots. */
static uint64_t timeout_deadline_ns;

static int machine_run_once(const struct vm_config *cfg)
{
	const char *why = NULL;
	int ret = EXIT_SETUP_ERROR, started = 0;
	struct machine *m = calloc(1, sizeof(*m));
	if (!m)
		die("out of memory");
	m->cfg = cfg;
	m->wake_fd = -1;
	bus_init(&m->pio, "pio", 0xff);
	bus_init(&m->mmio, "mmio", 0x00);

	m->board = cfg->arch == ARCH_AARCH64 ? &arm64_board : &x86_board;
	if (!m->board) {
		log_error("this minivmm was built without %s support", arch_name(cfg->arch));
		goto out;
	}
	m->engine = machine_select_engine(cfg, &why);
	if (!m->engine) {
		log_error("%s", why);
		goto out;
	}
	if (cfg->debug)
		log_info("%s guest on the %s engine", arch_name(cfg->arch), m->engine->name);
	if (cfg->cpus > 1 && m->engine == &interp_engine) {
		log_error("--cpus %d: the interpreter runs one vCPU; use --cpus 1", cfg->cpus);
		goto out;
	}
	snprintf(m->cmdline, sizeof(m->cmdline), "%s",
		 cfg->append ? cfg->append : cfg->arch == ARCH_AARCH64 ? "console=ttyAMA0" : "console=ttyS0");

	if (event_init() < 0)
		die("epoll_create1 failed: %s", strerror(errno));
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0 || event_add_fd(m->wake_fd, EPOLLIN, on_wake, m) < 0)
		die("eventfd: %s", strerror(errno));

	if (m->board->layout(m) < 0)
		goto out;
	if (m->engine->vm_create(m) < 0)
		goto out;
	if (m->board->setup(m) < 0)
		goto out;
	if (cfg->dump_dtb) {
		ret = EXIT_GUEST_OFF;
		goto out;
	}
	m->nr_vcpus = cfg->cpus;
	for (int i = 0; i < m->nr_vcpus; i++) {
		m->vcpus[i] = (struct vcpu){ .m = m, .index = i };
		if (m->engine->vcpu_create(&m->vcpus[i]) < 0)
			goto out;
	}
	if (console_init(m) < 0)
		goto out;

	struct event_timer *timeout = NULL;
	if (cfg->timeout > 0) {
		uint64_t now = now_ns();
		timeout = event_timer_new(on_timeout, m);
		if (!timeout) {
			log_error("--timeout: cannot create a timerfd for the deadline: %s", strerror(errno));
			goto out;
		}
		/* 1 ns rather than 0, which would disarm: the deadline passed during a reboot. */
		event_timer_arm(timeout, timeout_deadline_ns > now ? timeout_deadline_ns - now : 1, 0);
	}
	signal_machine = m;
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	for (started = 0; started < m->nr_vcpus; started++)
		if (pthread_create(&m->vcpus[started].thread, NULL, vcpu_thread, &m->vcpus[started])) {
			log_error("cannot start vCPU thread %d: %s", started, strerror(errno));
			machine_request_exit(m, MEXIT_HOST_ERROR, EXIT_SETUP_ERROR);
			break;
		}

	while (!machine_exit_requested(m))
		event_poll(-1);

	for (int i = 0; i < started; i++)
		m->engine->vcpu_kick(&m->vcpus[i]);
	for (int i = 0; i < started; i++)
		pthread_join(m->vcpus[i].thread, NULL);
	signal_machine = NULL;
	event_timer_free(timeout);

	ret = exit_status(m);
	switch ((enum machine_exit)m->exit_reason) {
	case MEXIT_RESET:
		if (cfg->reboot)
			ret = MACHINE_RESTART;
		else if (cfg->debug)
			log_info("guest rebooted: exiting (--reboot restarts it instead)");
		break;
	case MEXIT_CRASH:
		log_error("the guest crashed (details above); exit status %d", ret);
		break;
	default:
		break;
	}
	if (cfg->debug)
		for (int i = 0; i < started; i++)
			log_info("vcpu%d: %llu exits", i, (unsigned long long)m->vcpus[i].exits);
out:
	console_shutdown();
	/* Devices first: their I/O threads may still raise interrupts into the engine's irqchip. */
	if (m->board && m->board->teardown)
		m->board->teardown(m);
	if (m->engine && m->engine->vm_destroy)
		m->engine->vm_destroy(m);
	gmem_free(&m->mem);
	bus_free(&m->pio);
	bus_free(&m->mmio);
	if (m->wake_fd >= 0) {
		event_del_fd(m->wake_fd);
		close(m->wake_fd);
	}
	free(m);
	return ret;
}

int machine_run(const struct vm_config *cfg)
{
	/* A restarted minivmm (--reboot) keeps the deadline of the first start. */
	const char *inherited = getenv(MACHINE_DEADLINE_ENV);
	uint64_t deadline;
	if (inherited && parse_u64(inherited, &deadline) == 0)
		timeout_deadline_ns = deadline;
	else if (cfg->timeout > 0)
		timeout_deadline_ns = now_ns() + (uint64_t)(cfg->timeout * 1e9);
	if (timeout_deadline_ns) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)timeout_deadline_ns);
		setenv(MACHINE_DEADLINE_ENV, buf, 1);
	}
	return machine_run_once(cfg);
}
