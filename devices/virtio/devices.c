/*
 * The boards' entry point: one virtio-mmio device per configured disk, in the slots the board
 * offers, and their teardown (I/O threads stopped, images flushed and closed) before RAM goes away.
 */
#include <errno.h>
#include <string.h>

#include "devices/block/block.h"
#include "devices/virtio/virtio.h"
#include "vmm/machine.h"
#include "vmm/util.h"

/* Devices created per machine; a restart (--reboot) destroys and recreates them. */
static struct {
	struct machine *m;
	struct virtio_blk *blk;
} created[MAX_DISKS];

int virtio_create_devices(struct machine *m, const struct virtio_slot *slots, unsigned nr_slots, unsigned *used)
{
	const struct vm_config *cfg = m->cfg;
	unsigned n = 0;

	*used = 0;
	for (int i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *dc = &cfg->disks[i];
		struct blk_dev *b;
		struct virtio_blk *vb;
		unsigned slot;

		if (n >= nr_slots) {
			log_error("--disk %s: this board has only %u virtio slots; use fewer disks", dc->path,
				  nr_slots);
			return -ENOSPC;
		}
		for (slot = 0; slot < ARRAY_SIZE(created) && created[slot].m; slot++)
			;
		if (slot == ARRAY_SIZE(created)) {
			log_error("--disk %s: more than %d disks", dc->path, MAX_DISKS);
			return -ENOSPC;
		}
		/* A read-only disk needs no overlay under --snapshot, and must stay read-only to the guest. */
		unsigned flags = dc->readonly ? BLK_OPEN_RDONLY : cfg->snapshot ? BLK_OPEN_SNAPSHOT : 0;
		int err = blk_open(dc->path, dc->format, flags, &b);
		if (err < 0)
			return err; /* blk_open printed the line naming the file and the problem */
		err = virtio_blk_create(&m->mmio, slots[n].base, &m->mem, machine_irq_line(m, slots[n].irq), b,
					dc->serial, (unsigned)i, &vb);
		if (err < 0) {
			log_error("--disk %s: cannot create its virtio-blk device: %s", dc->path, strerror(-err));
			blk_close(b);
			return err;
		}
		created[slot].m = m;
		created[slot].blk = vb;
		log_debug("virtio-blk%d: %s (%s%s) at 0x%llx irq %u", i, dc->path, blk_format(b),
			  blk_is_readonly(b) ? ", read-only" : "", (unsigned long long)slots[n].base,
			  slots[n].irq);
		n++;
		*used = n;
	}
	return 0;
}

void virtio_destroy_devices(struct machine *m)
{
	for (unsigned i = 0; i < ARRAY_SIZE(created); i++) {
		if (created[i].m != m)
			continue;
		virtio_blk_destroy(created[i].blk);
		created[i].m = NULL;
		created[i].blk = NULL;
	}
}
