/* MP table lookup shared by the smp and timer guests (see mp.h). */
#include "mp.h"

uint8_t mp_checksum(const uint8_t *p, unsigned len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static const uint8_t *find_in(uint32_t base, uint32_t len)
{
	for (uint32_t a = base; a + 16 <= base + len; a += 16) {
		const uint8_t *p = phys_ptr(a);
		if (p[0] == '_' && p[1] == 'M' && p[2] == 'P' && p[3] == '_' && mp_checksum(p, 16) == 0)
			return p;
	}
	return NULL;
}

const uint8_t *mp_find_floating(void)
{
	uint32_t ebda = (uint32_t)(*(volatile uint16_t *)phys_ptr(0x40e)) << 4; /* BDA: EBDA segment */
	const uint8_t *p = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		p = find_in(ebda, 1024);
	if (!p)
		p = find_in(0x9fc00, 1024);
	if (!p)
		p = find_in(0xf0000, 0x10000);
	return p;
}

const uint8_t *mp_config(const uint8_t *mpf, uint16_t *len)
{
	uint32_t addr = *(const uint32_t *)(mpf + 4);
	const uint8_t *cfg = phys_ptr(addr);

	if (!addr || cfg[0] != 'P' || cfg[1] != 'C' || cfg[2] != 'M' || cfg[3] != 'P')
		return NULL;
	*len = *(const uint16_t *)(cfg + 4);
	return mp_checksum(cfg, *len) == 0 ? cfg : NULL;
}

int mp_isa_irq_pin(const uint8_t *cfg, uint16_t len, unsigned irq)
{
	int isa_bus = -1;

	/* Walk by length, as Linux does (some firmware, e.g. qboot, leaves the entry count 0). */
	for (const uint8_t *e = cfg + 44; e < cfg + len; e += mp_entry_size(e))
		if (e[0] == 1 && e[2] == 'I' && e[3] == 'S' && e[4] == 'A')
			isa_bus = e[1];
	for (const uint8_t *e = cfg + 44; e < cfg + len; e += mp_entry_size(e))
		if (e[0] == 3 && e[1] == 0 /* vectored INT */ && e[4] == isa_bus && e[5] == irq)
			return e[7];
	return -1;
}
