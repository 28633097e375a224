/*
 * The x86 KVM engine, VM side: /dev/kvm and its capabilities, the VM, guest RAM as memory slots,
 * the in-kernel irqchip (PIC + IOAPIC + LAPICs) and PIT. Raw ioctls (Documentation/virt/kvm/api.rst).
 */
#include "arch/x86/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/util.h"

/* Inside the 3-4 GiB hole, clear of virtio (0xd0000000), the IOAPIC and the LAPIC. */
#define KVM_TSS_ADDR      0xfffbd000ULL /* 3 pages */
#define KVM_IDENTITY_ADDR 0xfffbc000ULL /* 1 page, for real-mode emulation on old VMX */

static const struct { int cap; const char *name; } kvm_required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

static char kvm_why[256];

/* Open /dev/kvm and check it can run our guests; returns the fd or -errno with *why set. */
static int kvm_open_checked(const char **why)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENXIO || e == ENODEV)
			*why = "no /dev/kvm: load kvm_intel/kvm_amd or enable virtualization in the firmware; "
			       "aarch64 guests still run with --accel interp";
		else if (e == EACCES || e == EPERM)
			*why = "no permission to open /dev/kvm: add yourself to group kvm "
			       "(sudo usermod -aG kvm $USER, then log in again) or chmod 666 /dev/kvm; "
			       "aarch64 guests still run with --accel interp";
		else {
			snprintf(kvm_why, sizeof(kvm_why), "cannot open /dev/kvm: %s", strerror(e));
			*why = kvm_why;
		}
		return -e;
	}
	int version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(kvm_why, sizeof(kvm_why), "/dev/kvm speaks API version %d, minivmm needs %d",
			 version, KVM_API_VERSION);
		*why = kvm_why;
		close(fd);
		return -ENOTSUP;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kvm_required_caps); i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0) {
			snprintf(kvm_why, sizeof(kvm_why),
				 "this host's KVM lacks %s, which minivmm needs (kernel too old?)",
				 kvm_required_caps[i].name);
			*why = kvm_why;
			close(fd);
			return -ENOTSUP;
		}
	return fd;
}

int kvm_probe(enum vm_arch arch, const char **why)
{
	if (arch != ARCH_X86_64) {
		*why = "KVM on this host runs x86_64 guests only; aarch64 guests run with --accel interp";
		return -ENOTSUP;
	}
	int fd = kvm_open_checked(why);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* m->irqchip: device interrupt lines go to the in-kernel PIC/IOAPIC. */
static void kvm_irq_set_level(void *opaque, unsigned irq, int level)
{
	struct kvm_vm *vm = opaque;
	struct kvm_irq_level l = { .irq = irq, .level = level ? 1 : 0 };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_guest("kvm: KVM_IRQ_LINE %u level %d failed: %s", irq, level, strerror(errno));
}

static void kvm_kick_handler(int sig)
{
	UNUSED(sig); /* only here so the signal interrupts KVM_RUN instead of killing us */
}

static int kvm_fail(const char *what)
{
	int e = errno;
	log_error("kvm: %s failed: %s", what, strerror(e));
	return -e;
}

static int kvm_vm_setup(struct machine *m, struct kvm_vm *vm)
{
	const char *why;
	vm->kvm_fd = kvm_open_checked(&why);
	if (vm->kvm_fd < 0) {
		log_error("%s", why);
		return vm->kvm_fd;
	}
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && m->cfg->cpus > max) {
		log_error("--cpus %d: this host's KVM allows at most %d vCPUs", m->cfg->cpus, max);
		return -EINVAL;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run))
		return kvm_fail("KVM_GET_VCPU_MMAP_SIZE");
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return kvm_fail("KVM_CREATE_VM");
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
		return kvm_fail("KVM_SET_TSS_ADDR");
	uint64_t identity = KVM_IDENTITY_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return kvm_fail("KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return kvm_fail("KVM_CREATE_IRQCHIP");
	/* SPEAKER_DUMMY: port 0x61 (PIT gate/speaker) is handled in the kernel too. */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return kvm_fail("KVM_CREATE_PIT2");

	for (int i = 0; i < m->mem.nr; i++) {
		struct kvm_userspace_memory_region slot = {
			.slot = (uint32_t)i,
			.guest_phys_addr = m->mem.r[i].gpa,
			.memory_size = m->mem.r[i].size,
			.userspace_addr = (uintptr_t)m->mem.r[i].host,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
			return kvm_fail("KVM_SET_USER_MEMORY_REGION");
	}
	char why_buf[256];
	int r = kvm_cpuid_init(vm, why_buf, sizeof(why_buf));
	if (r < 0) {
		log_error("kvm: %s", why_buf);
		return r;
	}
	/* SA_RESTART spares device syscalls; KVM_RUN still returns EINTR (api.rst). */
	struct sigaction sa = { .sa_handler = kvm_kick_handler, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0)
		return kvm_fail("sigaction(kick signal)");
	m->irqchip = (struct irq_chip){ .set_level = kvm_irq_set_level, .opaque = vm };
	return 0;
}

static int kvm_vm_create(struct machine *m)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->kvm_fd = vm->vm_fd = -1;
	/* PVM (a software KVM) emulates guest ring 0 and misses some instructions: crash hint. */
	vm->pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	m->engine_data = vm;
	return kvm_vm_setup(m, vm);
}

static void kvm_vm_destroy(struct machine *m)
{
	struct kvm_vm *vm = m->engine_data;
	if (!vm)
		return;
	for (int i = 0; i < MAX_CPUS; i++) {
		struct kvm_vcpu_state *s = m->vcpus[i].engine_data;
		if (!s)
			continue;
		if (s->run)
			munmap(s->run, (size_t)vm->run_size);
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		m->vcpus[i].engine_data = NULL;
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cpuid);
	free(vm);
	m->engine_data = NULL;
	m->irqchip = (struct irq_chip){ 0 };
}

const struct engine kvm_engine = {
	.name = "kvm",
	.vm_create = kvm_vm_create,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.vcpu_dump = kvm_vcpu_dump,
	.vm_destroy = kvm_vm_destroy,
};
