/*
 * Intel MultiProcessor Specification 1.4 tables (chapter 4): a floating pointer in the last KiB of
 * base memory pointing at a configuration table with one processor entry per vCPU, an ISA bus,
 * the IOAPIC and an interrupt entry for each of its pins. Without ACPI this is how Linux finds the
 * APs and routes the IOAPIC lines (including the virtio-mmio ones on pins 16..23).
 */
#include "boot/boot.h"

#include <errno.h>
#include <string.h>

#include "vmm/util.h"

struct mpf_intel {              /* §4.1 MP floating pointer structure */
	char signature[4];      /* "_MP_" */
	uint32_t physptr;
	uint8_t length;         /* in 16-byte units */
	uint8_t specification;  /* 4 = version 1.4 */
	uint8_t checksum;
	uint8_t feature[5];     /* feature[0] = 0: a configuration table is present */
} __attribute__((packed));

struct mpc_table {              /* §4.2 configuration table header */
	char signature[4];      /* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8], productid[12];
	uint32_t oemptr;
	uint16_t oemsize, oemcount;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
} __attribute__((packed));

struct mpc_cpu {                /* §4.3.1, entry type 0 */
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
} __attribute__((packed));

struct mpc_bus {                /* §4.3.2, entry type 1 */
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {             /* §4.3.3, entry type 2 */
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {             /* §4.3.4/4.3.5, entry types 3 (I/O) and 4 (local) */
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
#define CPU_ENABLED 1
#define CPU_BOOTPROCESSOR 2
#define MP_IRQPOL_HIGH 0x1
#define MP_IRQTRIG_EDGE 0x4
#define MP_IRQTRIG_LEVEL 0xc
#define APIC_VERSION 0x14
#define IOAPIC_VERSION 0x11
#define MP_ALL_LAPICS 0xff

static uint8_t mp_checksum(const void *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return (uint8_t)-sum;
}

int mptable_write(struct guest_mem *mem, int ncpus)
{
	const uint8_t ioapic_id = (uint8_t)ncpus; /* after the LAPIC ids 0..ncpus-1 */
	size_t size = sizeof(struct mpc_table) + ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
		      sizeof(struct mpc_ioapic) + (X86_IOAPIC_PINS + 2) * sizeof(struct mpc_intsrc);
	if (ncpus < 1 || ncpus > MAX_CPUS || X86_EBDA_ADDR + size > X86_MPFP_ADDR)
		return -EINVAL;
	uint8_t *base = gmem_ptr(mem, X86_EBDA_ADDR, 0xa0000 - X86_EBDA_ADDR);
	if (!base)
		return -ENOMEM;
	memset(base, 0, 0xa0000 - X86_EBDA_ADDR);

	struct mpc_table *t = (struct mpc_table *)base;
	uint8_t *p = base + sizeof(*t); /* every entry below fits: size checked above */
	uint16_t count = 0;
	for (int i = 0; i < ncpus; i++, count++) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR, .apicid = (uint8_t)i, .apicver = APIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = 0x600,   /* family 6: only a placeholder, Linux reads CPUID */
			.featureflag = 0x201,  /* FPU, APIC */
		};
		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
	}
	struct mpc_bus bus = { .type = MP_BUS, .busid = 0, .bustype = "ISA   " };
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus), count++;
	struct mpc_ioapic io = { .type = MP_IOAPIC, .apicid = ioapic_id, .apicver = IOAPIC_VERSION,
				 .flags = 1, .apicaddr = (uint32_t)X86_IOAPIC_ADDR };
	memcpy(p, &io, sizeof(io));
	p += sizeof(io), count++;
	for (int pin = 0; pin < X86_IOAPIC_PINS; pin++, count++) {
		/*
		 * Pins 0..15 are ISA (edge, "conforms to bus"); 16..23 are our level-triggered lines.
		 * Pin 0 is an ordinary INT: KVM's IOAPIC has no ExtINT wiring (the PIC reaches LINT0).
		 */
		struct mpc_intsrc s = {
			.type = MP_INTSRC, .irqtype = MP_INT,
			.irqflag = pin >= 16 ? MP_IRQPOL_HIGH | MP_IRQTRIG_LEVEL : 0,
			.srcbus = 0, .srcbusirq = (uint8_t)pin, .dstapic = ioapic_id, .dstirq = (uint8_t)pin,
		};
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
	}
	/* LINT0 is the PIC's ExtINT, LINT1 the NMI, on every LAPIC (§5.1 virtual wire mode). */
	struct mpc_intsrc l0 = { .type = MP_LINTSRC, .irqtype = MP_EXTINT, .dstapic = MP_ALL_LAPICS, .dstirq = 0 };
	struct mpc_intsrc l1 = { .type = MP_LINTSRC, .irqtype = MP_NMI, .dstapic = MP_ALL_LAPICS, .dstirq = 1 };
	memcpy(p, &l0, sizeof(l0));
	p += sizeof(l0);
	memcpy(p, &l1, sizeof(l1));
	p += sizeof(l1);
	count += 2;

	memcpy(t->signature, "PCMP", 4);
	t->length = (uint16_t)(p - base);
	t->spec = 4;
	memcpy(t->oem, "MINIVMM ", 8);
	memcpy(t->productid, "000000000000", 12);
	t->oemcount = count;
	t->lapic = (uint32_t)X86_LAPIC_ADDR;
	t->checksum = mp_checksum(t, t->length);

	struct mpf_intel *f = (struct mpf_intel *)(base + (X86_MPFP_ADDR - X86_EBDA_ADDR));
	memcpy(f->signature, "_MP_", 4);
	f->physptr = (uint32_t)X86_EBDA_ADDR;
	f->length = 1;
	f->specification = 4;
	f->checksum = mp_checksum(f, sizeof(*f));
	return 0;
}
