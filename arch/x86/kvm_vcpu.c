/*
 * x86 KVM vCPUs: creation with the boot CPU's registers from m->boot (64-bit boot protocol or
 * PVH 32-bit entry), APs parked in wait-for-SIPI, the run loop dispatching exits to the buses,
 * and the kick that interrupts KVM_RUN.
 */
#include "arch/x86/kvm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/boot.h"
#include "vmm/util.h"

#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static int vcpu_ioctl(struct kvm_vcpu_state *s, unsigned long req, void *arg, const char *what)
{
	if (ioctl(s->fd, req, arg) < 0) {
		int e = errno;
		log_error("kvm: %s failed: %s", what, strerror(e));
		return -e;
	}
	return 0;
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
		.dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64 ? 1 : 0, .g = 1,
	};
}

/* The boot CPU's state for the entry the loader chose (boot.rst "64-bit boot protocol"; PVH). */
static int vcpu_boot_regs(struct vcpu *v, struct kvm_vcpu_state *s)
{
	const struct boot_state *bs = &v->m->boot;
	struct kvm_sregs sr;
	if (vcpu_ioctl(s, KVM_GET_SREGS, &sr, "KVM_GET_SREGS") < 0)
		return -EIO;
	bool lm = bs->x86_mode == BOOT_X86_64BIT;
	sr.cs = flat_segment(lm ? X86_SEL_CODE64 : X86_SEL_CODE32, 0xb, lm);
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss = flat_segment(X86_SEL_DATA, 0x3, false);
	sr.tr = (struct kvm_segment){ .selector = X86_SEL_TSS, .limit = 0x67, .type = 0xb, .present = 1 };
	sr.gdt.base = bs->gdt_base;
	sr.gdt.limit = 6 * 8 - 1;
	sr.idt.base = X86_IDT_ADDR;
	sr.idt.limit = 0;
	sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	sr.cr4 = 0;
	sr.efer = 0;
	if (lm) {
		sr.cr0 |= CR0_PG;
		sr.cr3 = bs->pml4_base;
		sr.cr4 = CR4_PAE;
		sr.efer = EFER_LME | EFER_LMA;
	}
	if (vcpu_ioctl(s, KVM_SET_SREGS, &sr, "KVM_SET_SREGS") < 0)
		return -EIO;
	struct kvm_regs regs = { .rflags = 0x2, .rip = bs->entry, .rsi = bs->rsi, .rbx = bs->rbx,
				 .rsp = bs->rsp };
	return vcpu_ioctl(s, KVM_SET_REGS, &regs, "KVM_SET_REGS") < 0 ? -EIO : 0;
}

/* LINT0 ExtINT (the PIC), LINT1 NMI: virtual-wire mode as a BIOS leaves it (MP spec §3.6.2.2). */
static int vcpu_lapic_init(struct kvm_vcpu_state *s)
{
	struct kvm_lapic_state la;
	if (vcpu_ioctl(s, KVM_GET_LAPIC, &la, "KVM_GET_LAPIC") < 0)
		return -EIO;
	uint32_t lvt0, lvt1;
	memcpy(&lvt0, la.regs + APIC_LVT0, 4);
	memcpy(&lvt1, la.regs + APIC_LVT1, 4);
	lvt0 = (lvt0 & ~0x700u & ~0x10000u) | APIC_MODE_EXTINT << 8;
	lvt1 = (lvt1 & ~0x700u & ~0x10000u) | APIC_MODE_NMI << 8;
	memcpy(la.regs + APIC_LVT0, &lvt0, 4);
	memcpy(la.regs + APIC_LVT1, &lvt1, 4);
	return vcpu_ioctl(s, KVM_SET_LAPIC, &la, "KVM_SET_LAPIC") < 0 ? -EIO : 0;
}

int kvm_vcpu_create(struct vcpu *v)
{
	struct kvm_vm *vm = kvm_vm_of(v->m);
	struct kvm_vcpu_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	v->engine_data = s; /* freed by kvm_vm_destroy */
	s->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->index);
	if (s->fd < 0) {
		log_error("kvm: KVM_CREATE_VCPU %d failed: %s", v->index, strerror(errno));
		return -errno;
	}
	void *run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (run == MAP_FAILED) {
		log_error("kvm: mmap of vCPU %d's kvm_run failed: %s", v->index, strerror(errno));
		return -errno;
	}
	s->run = run;
	int r = kvm_cpuid_set(v);
	if (r == 0)
		r = kvm_msrs_set(v);
	if (r < 0)
		return r;
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	if (vcpu_ioctl(s, KVM_SET_FPU, &fpu, "KVM_SET_FPU") < 0 || vcpu_lapic_init(s) < 0)
		return -EIO;
	if (v->index == 0)
		return vcpu_boot_regs(v, s);
	/* APs wait for INIT/SIPI from the BSP (Linux finds them through the MP table). */
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_UNINITIALIZED };
	return vcpu_ioctl(s, KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE") < 0 ? -EIO : 0;
}

/* Port I/O: string instructions arrive as count items of size bytes each (api.rst KVM_EXIT_IO). */
static void vcpu_exit_io(struct vcpu *v, struct kvm_vcpu_state *s)
{
	struct kvm_run *run = s->run;
	struct kvm_vm *vm = kvm_vm_of(v->m);
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	if (run->io.data_offset > (uint64_t)vm->run_size || bytes > vm->run_size - run->io.data_offset) {
		log_guest("kvm: I/O exit data outside kvm_run (port 0x%x), ignored", run->io.port);
		return;
	}
	uint8_t *p = (uint8_t *)run + run->io.data_offset; /* inside the kvm_run mapping: checked above */
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	s->stats[out ? KSTAT_IO_OUT : KSTAT_IO_IN]++;
	for (uint32_t i = 0; i < run->io.count; i++, p += run->io.size) {
		if (out)
			bus_write(&v->m->pio, run->io.port, p, run->io.size);
		else
			bus_read(&v->m->pio, run->io.port, p, run->io.size);
	}
}

static void vcpu_exit_mmio(struct vcpu *v, struct kvm_vcpu_state *s)
{
	struct kvm_run *run = s->run;
	unsigned len = MIN(run->mmio.len, (uint32_t)sizeof(run->mmio.data));
	s->stats[run->mmio.is_write ? KSTAT_MMIO_WRITE : KSTAT_MMIO_READ]++;
	if (run->mmio.is_write)
		bus_write(&v->m->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&v->m->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

static void vcpu_crash(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vcpu_crash(struct vcpu *v, const char *fmt, ...)
{
	static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&dump_lock);
	log_error("vcpu%d: %s", v->index, why);
	kvm_vcpu_dump(v, stderr);
	pthread_mutex_unlock(&dump_lock);
	machine_request_exit(v->m, MEXIT_CRASH, 0);
}

static void vcpu_exit_internal(struct vcpu *v, struct kvm_vcpu_state *s)
{
	struct kvm_run *run = s->run;
	char data[160] = "";
	size_t off = 0;
	for (uint32_t i = 0; i < MIN(run->internal.ndata, 8u) && off < sizeof(data); i++)
		off += (size_t)snprintf(data + off, sizeof(data) - off, " 0x%llx",
					(unsigned long long)run->internal.data[i]);
	const char *kind = run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? "emulation failure"
			 : run->internal.suberror == KVM_INTERNAL_ERROR_SIMUL_EX ? "exception while delivering one"
			 : run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV ? "event delivery failed"
			 : "internal error";
	vcpu_crash(v, "KVM internal error (%s, suberror %u)%s%s", kind, run->internal.suberror,
		   off ? ", data:" : "", data);
	if (kvm_vm_of(v->m)->pvm && run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)
		log_error("this host's KVM is PVM, a software KVM whose ring-0 emulator lacks some "
			  "instructions (int3, xsave ...): such guests need hardware KVM");
}

/* The whole dispatch: everything else lives in the devices behind the buses. */
static void vcpu_handle_exit(struct vcpu *v, struct kvm_vcpu_state *s)
{
	struct kvm_run *run = s->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_exit_io(v, s);
		break;
	case KVM_EXIT_MMIO:
		vcpu_exit_mmio(v, s);
		break;
	case KVM_EXIT_HLT: /* only without an in-kernel LAPIC; nothing to wait for here */
		s->stats[KSTAT_HLT]++;
		break;
	case KVM_EXIT_SHUTDOWN:
		s->stats[KSTAT_SHUTDOWN]++;
		vcpu_crash(v, "triple fault (KVM_EXIT_SHUTDOWN)");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		s->stats[KSTAT_INTERNAL]++;
		vcpu_exit_internal(v, s);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		s->stats[KSTAT_FAIL_ENTRY]++;
		vcpu_crash(v, "VM entry failed, hardware reason 0x%llx",
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		s->stats[KSTAT_SYSTEM_EVENT]++;
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			machine_request_exit(v->m, MEXIT_POWEROFF, 0);
		else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			machine_request_exit(v->m, MEXIT_RESET, 0);
		else
			vcpu_crash(v, "guest reported a crash (system event %u)", run->system_event.type);
		break;
	case KVM_EXIT_INTR:
		s->stats[KSTAT_INTR]++;
		break;
	default:
		s->stats[KSTAT_OTHER]++;
		vcpu_crash(v, "unexpected KVM exit reason %u", run->exit_reason);
		break;
	}
}

static void vcpu_log_stats(struct vcpu *v, const struct kvm_vcpu_state *s)
{
	if (log_verbosity < LOG_DEBUG)
		return;
	log_debug("vcpu%d exits: io-in %llu io-out %llu mmio-read %llu mmio-write %llu hlt %llu "
		  "shutdown %llu internal %llu fail-entry %llu system-event %llu intr %llu other %llu",
		  v->index, (unsigned long long)s->stats[KSTAT_IO_IN],
		  (unsigned long long)s->stats[KSTAT_IO_OUT], (unsigned long long)s->stats[KSTAT_MMIO_READ],
		  (unsigned long long)s->stats[KSTAT_MMIO_WRITE], (unsigned long long)s->stats[KSTAT_HLT],
		  (unsigned long long)s->stats[KSTAT_SHUTDOWN], (unsigned long long)s->stats[KSTAT_INTERNAL],
		  (unsigned long long)s->stats[KSTAT_FAIL_ENTRY],
		  (unsigned long long)s->stats[KSTAT_SYSTEM_EVENT], (unsigned long long)s->stats[KSTAT_INTR],
		  (unsigned long long)s->stats[KSTAT_OTHER]);
}

void kvm_vcpu_run(struct vcpu *v)
{
	struct kvm_vcpu_state *s = v->engine_data;
	sigset_t set;
	/* Terminal/termination signals belong to the main loop; the kick signal to us. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&set);
	sigaddset(&set, KVM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!machine_exit_requested(v->m)) {
		if (ioctl(s->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				s->stats[KSTAT_INTR]++;
				continue;
			}
			log_error("kvm: KVM_RUN on vCPU %d failed: %s", v->index, strerror(errno));
			machine_request_exit(v->m, MEXIT_HOST_ERROR, EXIT_GUEST_CRASH);
			break;
		}
		v->exits++;
		vcpu_handle_exit(v, s);
	}
	vcpu_log_stats(v, s);
}

void kvm_vcpu_kick(struct vcpu *v)
{
	struct kvm_vcpu_state *s = v->engine_data;
	if (!s || !s->run)
		return;
	/* immediate_exit covers a kick that lands just before KVM_RUN; the signal one inside it. */
	__atomic_store_n(&s->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, KVM_KICK_SIGNAL);
}
