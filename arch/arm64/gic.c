/*
 * GICv2 distributor and CPU interface (ARM IHI 0048B), without the Security Extensions and without
 * virtualization: the model QEMU's virt board gives a guest at EL1 with gic-version=2.
 *
 * One mutex guards all state: devices raise SPIs from the main loop and I/O threads, the timer
 * raises PPIs and the guest acknowledges from its vCPU thread. Each state change recomputes the
 * IRQ output of every CPU interface and calls the CPU only when that level changes.
 *
 * Interrupts of both groups are signalled as IRQ (the CPU model has no FIQ input).
 */
#include "arch/arm64/board.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/util.h"

struct gic_irq {
	uint8_t priority;
	uint8_t targets;        /* SPIs: ITARGETSR CPU mask */
	bool enabled;
	bool latch;             /* pending state from an edge or ISPENDR (§3.2.4) */
	bool active;
	bool line;              /* level of the input */
	bool edge;              /* ICFGR Int_config[1] */
	bool group1;
};

struct gic_cpu {
	struct gic_irq priv[32];        /* banked SGIs and PPIs */
	uint8_t sgi_sources[16];        /* per SGI: source CPUs whose request is pending */
	uint32_t ctlr, pmr, bpr, abpr;
	uint32_t apr[4];                /* active group priorities: bit n = priority n << 1 */
	int output;
	gic_output_fn fn;
	void *fn_opaque;
};

struct gic {
	pthread_mutex_t lock;
	unsigned nr_cpus;
	uint32_t ctlr;
	struct gic_irq spi[GIC_NR_IRQS]; /* indexed by ID; entries below 32 unused */
	struct gic_cpu cpu[GIC_MAX_CPUS];
	int (*lookup)(void *opaque);
	void *lookup_opaque;
};

/* GICD_CTLR / GICC_CTLR bits without the Security Extensions (§4.3.1, §4.4.1) */
#define CTLR_GRP0       (1u << 0)
#define CTLR_GRP1       (1u << 1)
#define CCTLR_ACKCTL    (1u << 2)
#define CCTLR_CBPR      (1u << 4)
#define CCTLR_EOIMODE   (1u << 9)
#define CCTLR_EOIMODENS (1u << 10)
#define CCTLR_MASK      0x7ffu

#define GIC_IIDR_DIST   0x0200143bu /* GIC-400, as QEMU reports */
#define GIC_IIDR_CPU    0x0202143bu

/* Peripheral and component ID registers 0xfd0..0xffc (GIC-400, ArchRev 2) */
static const uint8_t gic_id_regs[12] = { 0x04, 0x00, 0x00, 0x00, 0x90, 0xb4,
					 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static struct gic_irq *irq_state(struct gic *g, unsigned cpu, unsigned irq)
{
	return irq < 32 ? &g->cpu[cpu].priv[irq] : &g->spi[irq];
}

static bool irq_pending(struct gic *g, unsigned cpu, unsigned irq)
{
	if (irq < 16)
		return g->cpu[cpu].sgi_sources[irq] != 0;
	const struct gic_irq *s = irq_state(g, cpu, irq);
	/* A level-sensitive interrupt is pending while its line is asserted (§3.2.4). */
	return s->latch || (!s->edge && s->line);
}

static bool irq_targets_cpu(struct gic *g, unsigned cpu, unsigned irq)
{
	return irq < 32 || g->nr_cpus == 1 || (g->spi[irq].targets & (1u << cpu));
}

static uint8_t group_prio(const struct gic_cpu *c, const struct gic_irq *s)
{
	/* §3.3.3: BPR splits priority into group priority and subpriority; ABPR is one higher. */
	unsigned shift = (s->group1 && !(c->ctlr & CCTLR_CBPR)) ? c->abpr : c->bpr + 1;
	return s->priority & (uint8_t)(0xffu << shift);
}

static unsigned running_prio(const struct gic_cpu *c)
{
	for (int i = 0; i < 4; i++)
		if (c->apr[i])
			return (unsigned)(i * 32 + __builtin_ctz(c->apr[i])) << 1;
	return 0x100; /* idle: 0xff read back, but lower than any priority for preemption */
}

enum { SEL_ANY, SEL_GROUP1 };

/*
 * Highest-priority pending, enabled, inactive interrupt for cpu, ties to the lowest ID (§3.3).
 * With masked set, it must also beat the priority mask and the running priority.
 */
static int gic_best(struct gic *g, unsigned cpu, bool masked, int sel)
{
	struct gic_cpu *c = &g->cpu[cpu];
	int best = -1;
	unsigned best_prio = 0x100, rp = running_prio(c);

	for (unsigned irq = 0; irq < GIC_NR_IRQS; irq++) {
		struct gic_irq *s = irq_state(g, cpu, irq);
		if (!s->enabled || s->active || !irq_pending(g, cpu, irq) || !irq_targets_cpu(g, cpu, irq))
			continue;
		uint32_t grp = s->group1 ? CTLR_GRP1 : CTLR_GRP0;
		if (!(g->ctlr & grp) || !(c->ctlr & grp))
			continue;
		if (sel == SEL_GROUP1 && !s->group1)
			continue;
		if (masked && (s->priority >= c->pmr || group_prio(c, s) >= rp))
			continue;
		if (s->priority < best_prio) {
			best_prio = s->priority;
			best = (int)irq;
		}
	}
	return best;
}

static void gic_update(struct gic *g)
{
	for (unsigned cpu = 0; cpu < g->nr_cpus; cpu++) {
		struct gic_cpu *c = &g->cpu[cpu];
		int level = gic_best(g, cpu, true, SEL_ANY) >= 0;
		if (level != c->output) {
			c->output = level;
			if (c->fn)
				c->fn(c->fn_opaque, level);
		}
	}
}

struct gic *gic_new(unsigned nr_cpus)
{
	if (nr_cpus == 0 || nr_cpus > GIC_MAX_CPUS)
		return NULL;
	struct gic *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	g->nr_cpus = nr_cpus;
	for (unsigned irq = 32; irq < GIC_NR_IRQS; irq++)
		g->spi[irq].targets = 1; /* SPIs reset to CPU 0 so a uniprocessor guest needs no setup */
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		struct gic_cpu *c = &g->cpu[cpu];
		for (unsigned irq = 0; irq < 16; irq++)
			c->priv[irq].edge = true; /* SGIs are always edge-triggered (§4.3.13) */
		c->bpr = 2;
		c->abpr = 3;
	}
	return g;
}

void gic_free(struct gic *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void gic_connect_cpu(struct gic *g, unsigned cpu, gic_output_fn fn, void *opaque)
{
	if (cpu >= g->nr_cpus)
		return;
	pthread_mutex_lock(&g->lock);
	g->cpu[cpu].fn = fn;
	g->cpu[cpu].fn_opaque = opaque;
	g->cpu[cpu].output = 0;
	if (fn)
		fn(opaque, 0);
	gic_update(g);
	pthread_mutex_unlock(&g->lock);
}

void gic_set_cpu_lookup(struct gic *g, int (*lookup)(void *opaque), void *opaque)
{
	g->lookup = lookup;
	g->lookup_opaque = opaque;
}

void gic_set_irq(struct gic *g, unsigned cpu, unsigned irq, int level)
{
	if (irq < 16 || irq >= GIC_NR_IRQS || (irq < 32 && cpu >= g->nr_cpus)) {
		log_guest("gic: input for interrupt %u (cpu %u) does not exist", irq, cpu);
		return;
	}
	pthread_mutex_lock(&g->lock);
	struct gic_irq *s = irq_state(g, cpu, irq);
	/* Devices often re-assert a line that is already high: no edge, nothing to recompute. */
	if (s->line != (level != 0)) {
		if (level && s->edge)
			s->latch = true; /* rising edge */
		s->line = level != 0;
		gic_update(g);
	}
	pthread_mutex_unlock(&g->lock);
}

void gic_irqchip_set_level(void *opaque, unsigned irq, int level)
{
	if (irq < 32) {
		log_guest("gic: a device asked for private interrupt %u; devices use SPIs (ID >= 32)", irq);
		return;
	}
	gic_set_irq(opaque, 0, irq, level);
}

/* ---- distributor ---- */

/* The registers that may be accessed a byte at a time; bitmaps are handled byte-wise too. */
static bool dist_byte_reg(uint64_t off)
{
	return (off >= 0x080 && off < 0xd00) || (off >= 0xf10 && off < 0xf30);
}

static uint8_t dist_read_byte(struct gic *g, unsigned cpu, uint64_t off)
{
	uint8_t v = 0;

	if (off >= 0x400 && off < 0x800) { /* IPRIORITYR */
		unsigned irq = (unsigned)(off - 0x400);
		return irq < GIC_NR_IRQS ? irq_state(g, cpu, irq)->priority : 0;
	}
	if (off >= 0x800 && off < 0xc00) { /* ITARGETSR */
		unsigned irq = (unsigned)(off - 0x800);
		if (g->nr_cpus == 1 || irq >= GIC_NR_IRQS)
			return 0; /* RAZ/WI on a uniprocessor (§4.3.12) */
		return irq < 32 ? (uint8_t)(1u << cpu) : g->spi[irq].targets;
	}
	if (off >= 0xc00 && off < 0xd00) { /* ICFGR: 2 bits per interrupt, bit 1 = edge */
		unsigned first = (unsigned)(off - 0xc00) * 4;
		for (unsigned i = 0; i < 4 && first + i < GIC_NR_IRQS; i++)
			if (irq_state(g, cpu, first + i)->edge)
				v |= 2u << (2 * i);
		return v;
	}
	if (off >= 0xf10 && off < 0xf30) { /* CPENDSGIR / SPENDSGIR */
		return g->cpu[cpu].sgi_sources[(off - 0xf10) & 0xf];
	}
	/* One bit per interrupt: IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER */
	unsigned reg = (unsigned)(off & ~0x7fu), first = (unsigned)(off & 0x7f) * 8;
	for (unsigned i = 0; i < 8 && first + i < GIC_NR_IRQS; i++) {
		unsigned irq = first + i;
		struct gic_irq *s = irq_state(g, cpu, irq);
		bool bit = false;
		switch (reg) {
		case 0x080: bit = s->group1; break;
		case 0x100: case 0x180: bit = s->enabled; break;
		case 0x200: case 0x280: bit = irq_pending(g, cpu, irq); break;
		case 0x300: case 0x380: bit = s->active; break;
		}
		v |= (uint8_t)(bit << i);
	}
	return v;
}

static void dist_write_byte(struct gic *g, unsigned cpu, uint64_t off, uint8_t v)
{
	if (off >= 0x400 && off < 0x800) {
		unsigned irq = (unsigned)(off - 0x400);
		if (irq < GIC_NR_IRQS)
			irq_state(g, cpu, irq)->priority = v;
		return;
	}
	if (off >= 0x800 && off < 0xc00) {
		unsigned irq = (unsigned)(off - 0x800);
		if (g->nr_cpus > 1 && irq >= 32 && irq < GIC_NR_IRQS)
			g->spi[irq].targets = v & (uint8_t)((1u << g->nr_cpus) - 1);
		return;
	}
	if (off >= 0xc00 && off < 0xd00) {
		unsigned first = (unsigned)(off - 0xc00) * 4;
		for (unsigned i = 0; i < 4 && first + i < GIC_NR_IRQS; i++)
			if (first + i >= 16) /* SGI configuration is read-only */
				irq_state(g, cpu, first + i)->edge = v & (2u << (2 * i));
		return;
	}
	if (off >= 0xf10 && off < 0xf30) {
		uint8_t *src = &g->cpu[cpu].sgi_sources[(off - 0xf10) & 0xf];
		uint8_t mask = (uint8_t)((1u << g->nr_cpus) - 1);
		if (off < 0xf20)
			*src &= (uint8_t)~v;
		else
			*src |= v & mask;
		return;
	}
	unsigned reg = (unsigned)(off & ~0x7fu), first = (unsigned)(off & 0x7f) * 8;
	for (unsigned i = 0; i < 8 && first + i < GIC_NR_IRQS; i++) {
		unsigned irq = first + i;
		struct gic_irq *s = irq_state(g, cpu, irq);
		bool bit = v & (1u << i);
		if (reg == 0x080) {
			s->group1 = bit;
			continue;
		}
		if (!bit)
			continue;
		switch (reg) {
		case 0x100: s->enabled = true; break;
		case 0x180: s->enabled = false; break;
		/* SGI pending state is per source, set through SPENDSGIR/GICD_SGIR instead (§4.3.7) */
		case 0x200: if (irq >= 16) s->latch = true; break;
		case 0x280: if (irq >= 16) s->latch = false; break;
		case 0x300: s->active = true; break;
		case 0x380: s->active = false; break;
		}
	}
}

static void dist_write_sgir(struct gic *g, unsigned cpu, uint32_t v)
{
	unsigned sgi = v & 0xf, filter = (v >> 24) & 3;
	uint8_t targets = (v >> 16) & 0xff, all = (uint8_t)((1u << g->nr_cpus) - 1);

	switch (filter) {
	case 0: break;
	case 1: targets = all & (uint8_t)~(1u << cpu); break;
	case 2: targets = (uint8_t)(1u << cpu); break;
	default:
		log_guest("gic: GICD_SGIR write 0x%x with reserved TargetListFilter", v);
		return;
	}
	for (unsigned t = 0; t < g->nr_cpus; t++)
		if (targets & (1u << t))
			g->cpu[t].sgi_sources[sgi] |= (uint8_t)(1u << cpu);
}

uint32_t gic_dist_read(struct gic *g, unsigned cpu, uint64_t off, unsigned len)
{
	uint32_t v = 0;

	pthread_mutex_lock(&g->lock);
	if (dist_byte_reg(off)) {
		for (unsigned i = 0; i < len; i++)
			v |= (uint32_t)dist_read_byte(g, cpu, off + i) << (8 * i);
	} else if (len != 4 || (off & 3)) {
		log_guest("gic: %u-byte read of distributor register 0x%llx", len, (unsigned long long)off);
	} else if (off == 0x000) {
		v = g->ctlr;
	} else if (off == 0x004) {
		v = (GIC_NR_IRQS / 32 - 1) | ((g->nr_cpus - 1) << 5);
	} else if (off == 0x008) {
		v = GIC_IIDR_DIST;
	} else if (off >= 0xfd0) {
		v = gic_id_regs[(off - 0xfd0) / 4];
	}
	pthread_mutex_unlock(&g->lock);
	return v;
}

void gic_dist_write(struct gic *g, unsigned cpu, uint64_t off, uint32_t v, unsigned len)
{
	pthread_mutex_lock(&g->lock);
	if (dist_byte_reg(off)) {
		for (unsigned i = 0; i < len; i++)
			dist_write_byte(g, cpu, off + i, (uint8_t)(v >> (8 * i)));
	} else if (len != 4 || (off & 3)) {
		log_guest("gic: %u-byte write of distributor register 0x%llx", len, (unsigned long long)off);
	} else if (off == 0x000) {
		g->ctlr = v & (CTLR_GRP0 | CTLR_GRP1);
	} else if (off == 0xf00) {
		dist_write_sgir(g, cpu, v);
	}
	gic_update(g);
	pthread_mutex_unlock(&g->lock);
}

/* ---- CPU interface ---- */

/* §4.4.4: acknowledge the highest-priority pending interrupt and make it active. */
static uint32_t cpu_acknowledge(struct gic *g, unsigned cpu, int sel)
{
	struct gic_cpu *c = &g->cpu[cpu];
	int irq = gic_best(g, cpu, true, sel);
	if (irq < 0)
		return GIC_SPURIOUS;
	struct gic_irq *s = irq_state(g, cpu, (unsigned)irq);
	/* A Group 1 interrupt is acknowledged through GICC_IAR only with AckCtl (§4.4.4). */
	if (sel == SEL_ANY && s->group1 && !(c->ctlr & CCTLR_ACKCTL))
		return 1022;
	uint32_t id = (uint32_t)irq;
	if (irq < 16) {
		unsigned src = (unsigned)__builtin_ctz(c->sgi_sources[irq]);
		c->sgi_sources[irq] &= (uint8_t)~(1u << src);
		id |= src << 10;
	}
	s->latch = false; /* a level interrupt stays pending through its line */
	s->active = true;
	unsigned gp = group_prio(c, s) >> 1;
	c->apr[gp / 32] |= 1u << (gp % 32);
	gic_update(g);
	return id;
}

static void cpu_deactivate(struct gic *g, unsigned cpu, uint32_t v)
{
	unsigned irq = v & 0x3ff;
	if (irq >= GIC_NR_IRQS) {
		if (irq < 1020)
			log_guest("gic: deactivating interrupt %u that does not exist", irq);
		return;
	}
	irq_state(g, cpu, irq)->active = false;
}

/* §4.4.5: priority drop, then (EOImode 0) deactivation. */
static void cpu_end_of_interrupt(struct gic *g, unsigned cpu, uint32_t v, bool split)
{
	struct gic_cpu *c = &g->cpu[cpu];
	if ((v & 0x3ff) >= 1020)
		return; /* EOI of a spurious ID is ignored */
	for (int i = 0; i < 4; i++)
		if (c->apr[i]) {
			c->apr[i] &= c->apr[i] - 1; /* the highest active priority is dropped */
			break;
		}
	if (!split)
		cpu_deactivate(g, cpu, v);
	gic_update(g);
}

static uint32_t cpu_highest_pending(struct gic *g, unsigned cpu, int sel)
{
	int irq = gic_best(g, cpu, false, sel);
	if (irq < 0)
		return GIC_SPURIOUS;
	if (sel == SEL_ANY && irq_state(g, cpu, (unsigned)irq)->group1 &&
	    !(g->cpu[cpu].ctlr & CCTLR_ACKCTL))
		return 1022;
	if (irq < 16)
		return (uint32_t)irq | (unsigned)__builtin_ctz(g->cpu[cpu].sgi_sources[irq]) << 10;
	return (uint32_t)irq;
}

uint32_t gic_cpu_read(struct gic *g, unsigned cpu, uint64_t off)
{
	struct gic_cpu *c = &g->cpu[cpu];
	uint32_t v = 0;

	pthread_mutex_lock(&g->lock);
	switch (off) {
	case 0x00: v = c->ctlr; break;
	case 0x04: v = c->pmr; break;
	case 0x08: v = c->bpr; break;
	case 0x0c: v = cpu_acknowledge(g, cpu, SEL_ANY); break;
	case 0x14: v = MIN(running_prio(c), 0xffu); break;
	case 0x18: v = cpu_highest_pending(g, cpu, SEL_ANY); break;
	case 0x1c: v = c->abpr; break;
	case 0x20: v = cpu_acknowledge(g, cpu, SEL_GROUP1); break;
	case 0x28: v = cpu_highest_pending(g, cpu, SEL_GROUP1); break;
	case 0xd0: case 0xd4: case 0xd8: case 0xdc: v = c->apr[(off - 0xd0) / 4]; break;
	case 0xfc: v = GIC_IIDR_CPU; break;
	case 0x10: case 0x24: case 0x1000: break; /* write-only */
	default: break; /* NSAPR and reserved: RAZ */
	}
	pthread_mutex_unlock(&g->lock);
	return v;
}

void gic_cpu_write(struct gic *g, unsigned cpu, uint64_t off, uint32_t v)
{
	struct gic_cpu *c = &g->cpu[cpu];

	pthread_mutex_lock(&g->lock);
	switch (off) {
	case 0x00: c->ctlr = v & CCTLR_MASK; break;
	case 0x04: c->pmr = v & 0xff; break;
	case 0x08: c->bpr = v & 7; break;
	case 0x10: cpu_end_of_interrupt(g, cpu, v, c->ctlr & CCTLR_EOIMODE); break;
	case 0x1c: c->abpr = MAX(v & 7, 1u); break;
	case 0x24: cpu_end_of_interrupt(g, cpu, v, c->ctlr & CCTLR_EOIMODENS); break;
	case 0xd0: case 0xd4: case 0xd8: case 0xdc: c->apr[(off - 0xd0) / 4] = v; break;
	case 0x1000: cpu_deactivate(g, cpu, v); break;
	default:
		log_guest("gic: write 0x%x to read-only or reserved CPU interface register 0x%llx", v,
			  (unsigned long long)off);
		break;
	}
	gic_update(g);
	pthread_mutex_unlock(&g->lock);
}

/* ---- bus glue ---- */

static unsigned gic_access_cpu(struct gic *g)
{
	int cpu = g->lookup ? g->lookup(g->lookup_opaque) : 0;
	return cpu >= 0 && (unsigned)cpu < g->nr_cpus ? (unsigned)cpu : 0;
}

static void gic_dist_bus_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct gic *g = opaque;
	uint32_t v = 0;
	if (len <= 4)
		v = gic_dist_read(g, gic_access_cpu(g), off, len);
	else
		log_guest("gic: %u-byte read of distributor register 0x%llx", len, (unsigned long long)off);
	memset(data, 0, len);
	memcpy(data, &v, MIN(len, 4u));
}

static void gic_dist_bus_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct gic *g = opaque;
	uint32_t v = 0;
	if (len > 4) {
		log_guest("gic: %u-byte write of distributor register 0x%llx", len, (unsigned long long)off);
		return;
	}
	memcpy(&v, data, len);
	gic_dist_write(g, gic_access_cpu(g), off, v, len);
}

static void gic_cpu_bus_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct gic *g = opaque;
	uint32_t v = 0;
	if (len == 4 && !(off & 3))
		v = gic_cpu_read(g, gic_access_cpu(g), off);
	else
		log_guest("gic: %u-byte read of CPU interface register 0x%llx", len, (unsigned long long)off);
	memset(data, 0, len);
	memcpy(data, &v, MIN(len, 4u));
}

static void gic_cpu_bus_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct gic *g = opaque;
	uint32_t v = 0;
	if (len != 4 || (off & 3)) {
		log_guest("gic: %u-byte write of CPU interface register 0x%llx", len, (unsigned long long)off);
		return;
	}
	memcpy(&v, data, 4);
	gic_cpu_write(g, gic_access_cpu(g), off, v);
}

const struct bus_ops gic_dist_ops = {
	.name = "gic-dist", .read = gic_dist_bus_read, .write = gic_dist_bus_write,
};

const struct bus_ops gic_cpu_ops = {
	.name = "gic-cpu", .read = gic_cpu_bus_read, .write = gic_cpu_bus_write,
};
