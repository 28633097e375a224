/*
 * Crash dump for a vCPU that triple-faulted or hit a KVM internal error: general, segment and
 * control registers, then the instruction at RIP disassembled with capstone. RIP is translated
 * through the guest's own page tables (SDM Vol. 3A §4.3-4.5: 32-bit, PAE, 4- and 5-level) and
 * the bytes are read with gmem_ptr, so a wild RIP prints "not in RAM" instead of crashing us.
 */
#include "arch/x86/kvm.h"

#include <capstone/capstone.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/util.h"

#define CR0_PG (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define EFER_LMA (1ULL << 10)
#define PTE_P 1ULL
#define PTE_PS 0x80ULL
#define PA_MASK 0x000ffffffffff000ULL

static bool pte_read(const struct guest_mem *mem, uint64_t addr, unsigned size, uint64_t *pte)
{
	*pte = 0;
	return gmem_read(mem, addr, pte, size);
}

/* Linear -> guest physical, walking the guest's page tables. false: not mapped / not in RAM. */
bool kvm_gva_to_gpa(const struct guest_mem *mem, const struct kvm_sregs *sr, uint64_t va, uint64_t *pa)
{
	uint64_t pte, table;
	if (!(sr->cr0 & CR0_PG)) {
		*pa = va;
		return true;
	}
	if (sr->efer & EFER_LMA) {
		int levels = (sr->cr4 & CR4_LA57) ? 5 : 4;
		table = sr->cr3 & PA_MASK;
		for (int level = levels; level >= 1; level--) {
			unsigned shift = 12 + 9 * (unsigned)(level - 1);
			if (!pte_read(mem, table + ((va >> shift) & 511) * 8, 8, &pte) || !(pte & PTE_P))
				return false;
			if (level == 1 || (level <= 3 && (pte & PTE_PS))) {
				uint64_t page = 1ULL << shift;
				*pa = (pte & PA_MASK & ~(page - 1)) | (va & (page - 1));
				return true;
			}
			table = pte & PA_MASK;
		}
		return false;
	}
	va &= 0xffffffffULL;
	if (sr->cr4 & CR4_PAE) {
		if (!pte_read(mem, (sr->cr3 & ~0x1fULL) + (va >> 30) * 8, 8, &pte) || !(pte & PTE_P))
			return false;
		if (!pte_read(mem, (pte & PA_MASK) + ((va >> 21) & 511) * 8, 8, &pte) || !(pte & PTE_P))
			return false;
		if (pte & PTE_PS) {
			*pa = (pte & PA_MASK & ~0x1fffffULL) | (va & 0x1fffff);
			return true;
		}
		if (!pte_read(mem, (pte & PA_MASK) + ((va >> 12) & 511) * 8, 8, &pte) || !(pte & PTE_P))
			return false;
		*pa = (pte & PA_MASK) | (va & 0xfff);
		return true;
	}
	if (!pte_read(mem, (sr->cr3 & 0xfffff000ULL) + (va >> 22) * 4, 4, &pte) || !(pte & PTE_P))
		return false;
	if ((pte & PTE_PS) && (sr->cr4 & CR4_PSE)) {
		/* 4 MiB page: bits 20:13 hold physical address bits 39:32 (PSE-36). */
		*pa = (pte & 0xffc00000ULL) | ((pte >> 13) & 0xffULL) << 32 | (va & 0x3fffff);
		return true;
	}
	if (!pte_read(mem, (pte & 0xfffff000ULL) + ((va >> 12) & 1023) * 4, 4, &pte) || !(pte & PTE_P))
		return false;
	*pa = (pte & 0xfffff000ULL) | (va & 0xfff);
	return true;
}

/* Up to len code bytes at linear address va, stopping at the first unmapped page. */
static size_t code_read(const struct guest_mem *mem, const struct kvm_sregs *sr, uint64_t va,
			uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		uint64_t pa, in_page = 4096 - ((va + got) & 0xfff);
		size_t n = (size_t)MIN((uint64_t)(len - got), in_page);
		if (!kvm_gva_to_gpa(mem, sr, va + got, &pa) || !gmem_read(mem, pa, buf + got, n))
			break;
		got += n;
	}
	return got;
}

static void seg_print(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "  %-3s sel %04x base %016llx limit %08x type %x%s%s%s dpl %u%s\n", name, s->selector,
		(unsigned long long)s->base, s->limit, s->type, s->s ? " s" : "", s->l ? " l" : "",
		s->db ? " db" : "", s->dpl, s->present ? "" : " not-present");
}

static void code_print(FILE *out, struct vcpu *v, const struct kvm_regs *r, const struct kvm_sregs *sr)
{
	bool lm = (sr->efer & EFER_LMA) && sr->cs.l;
	cs_mode mode = lm ? CS_MODE_64 : sr->cs.db ? CS_MODE_32 : CS_MODE_16;
	uint64_t va = lm ? r->rip : sr->cs.base + (r->rip & (sr->cs.db ? 0xffffffffULL : 0xffffULL));
	uint8_t code[16];
	size_t n = code_read(&v->m->mem, sr, va, code, sizeof(code));
	if (n == 0) {
		fprintf(out, "  code at %016llx: not mapped or not in guest RAM\n", (unsigned long long)va);
		return;
	}
	char hex[3 * sizeof(code) + 1] = "";
	csh h;
	cs_insn *insn = NULL;
	size_t count = 0;
	if (cs_open(CS_ARCH_X86, mode, &h) == CS_ERR_OK) {
		count = cs_disasm(h, code, n, va, 1, &insn);
		size_t shown = count ? insn[0].size : MIN(n, (size_t)8);
		for (size_t i = 0; i < shown; i++)
			snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", code[i]);
		if (count)
			fprintf(out, "  code at %016llx: %s   %s %s\n", (unsigned long long)va, hex,
				insn[0].mnemonic, insn[0].op_str);
		else
			fprintf(out, "  code at %016llx: %s  (not a valid %d-bit instruction)\n",
				(unsigned long long)va, hex, lm ? 64 : sr->cs.db ? 32 : 16);
		if (count)
			cs_free(insn, count);
		cs_close(&h);
	}
}

void kvm_vcpu_dump(struct vcpu *v, FILE *out)
{
	struct kvm_vcpu_state *s = v->engine_data;
	struct kvm_regs r;
	struct kvm_sregs sr;
	if (!s || ioctl(s->fd, KVM_GET_REGS, &r) < 0 || ioctl(s->fd, KVM_GET_SREGS, &sr) < 0) {
		fprintf(out, "vcpu%d: registers unavailable\n", v->index);
		return;
	}
	fprintf(out, "vcpu%d registers:\n", v->index);
	fprintf(out, "  rip %016llx rflags %08llx\n", (unsigned long long)r.rip, (unsigned long long)r.rflags);
	fprintf(out, "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", (unsigned long long)r.rax,
		(unsigned long long)r.rbx, (unsigned long long)r.rcx, (unsigned long long)r.rdx);
	fprintf(out, "  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n", (unsigned long long)r.rsi,
		(unsigned long long)r.rdi, (unsigned long long)r.rbp, (unsigned long long)r.rsp);
	fprintf(out, "  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", (unsigned long long)r.r8,
		(unsigned long long)r.r9, (unsigned long long)r.r10, (unsigned long long)r.r11);
	fprintf(out, "  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)r.r12,
		(unsigned long long)r.r13, (unsigned long long)r.r14, (unsigned long long)r.r15);
	seg_print(out, "cs", &sr.cs);
	seg_print(out, "ds", &sr.ds);
	seg_print(out, "es", &sr.es);
	seg_print(out, "fs", &sr.fs);
	seg_print(out, "gs", &sr.gs);
	seg_print(out, "ss", &sr.ss);
	seg_print(out, "tr", &sr.tr);
	seg_print(out, "ldt", &sr.ldt);
	fprintf(out, "  gdt %016llx/%04x idt %016llx/%04x\n", (unsigned long long)sr.gdt.base, sr.gdt.limit,
		(unsigned long long)sr.idt.base, sr.idt.limit);
	fprintf(out, "  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n", (unsigned long long)sr.cr0,
		(unsigned long long)sr.cr2, (unsigned long long)sr.cr3, (unsigned long long)sr.cr4);
	fprintf(out, "  cr8 %016llx efer %016llx apic_base %016llx\n", (unsigned long long)sr.cr8,
		(unsigned long long)sr.efer, (unsigned long long)sr.apic_base);
	code_print(out, v, &r, &sr);
	fflush(out);
}
