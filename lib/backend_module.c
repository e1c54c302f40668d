// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Module backend: one arena per open /dev/vgc.  The whole layout is mapped
 * at one address range so that every offset of the layout is an offset
 * from a->map: ctrl read-only (the kernel refuses a writable ctrl mapping
 * and a mapping across the ctrl/rw boundary), everything after it
 * read-write, both MAP_FIXED into one reserved range.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vgcu_int.h"

static int module_version(int fd, struct vgc_version *v, char *why, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	if (ioctl(fd, VGC_IOC_GET_VERSION, v)) {
		int e = errno;

		snprintf(why, len, "%s: VGC_IOC_GET_VERSION: %s",
			 VGC_DEVICE_PATH, strerror(e));
		return e == ENOTTY ? -ENODEV : vgcu_errno(e);
	}
	if (v->abi_version != VGC_ABI_VERSION) {
		snprintf(why, len, "%s: ABI %u, libvgcu speaks %u",
			 VGC_DEVICE_PATH, v->abi_version, VGC_ABI_VERSION);
		return -EPROTO;
	}
	if (!(v->features & VGC_FEAT_ARENA)) {
		snprintf(why, len, "%s: no arena feature", VGC_DEVICE_PATH);
		return -ENODEV;
	}
	return 0;
}

int vgc_module_version(struct vgc_version *v)
{
	int fd = open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	char why[160];
	int err;

	if (fd < 0)
		return vgcu_errno(errno);
	err = module_version(fd, v, why, sizeof(why));
	close(fd);
	return err;
}

/* Opens /dev/vgc and checks the ABI: the fd, or -errno with why filled. */
int vgcu_module_probe(char *why, size_t len, uint64_t *features)
{
	struct vgc_version v;
	int fd = open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0) {
		err = errno;
		snprintf(why, len, "%s: %s", VGC_DEVICE_PATH, strerror(err));
		return vgcu_errno(err);
	}
	err = module_version(fd, &v, why, len);
	if (err) {
		close(fd);
		return err;
	}
	snprintf(why, len, "%s: ABI %u, features 0x%llx", VGC_DEVICE_PATH,
		 v.abi_version, (unsigned long long)v.features);
	*features = v.features;
	return fd;
}

static int module_map(struct vgc_arena *a)
{
	const struct vgc_layout *l = &a->layout;
	size_t rw_len = l->map_size - l->threads_offset;
	char *base, *p;

	if (l->ctrl_offset != 0 || l->threads_offset != l->ctrl_size ||
	    l->threads_offset >= l->map_size)
		return -EPROTO;
	base = vgcu_map_reserve(l->map_size, l->data_offset, VGC_SPAN_SIZE);
	if (base == MAP_FAILED)
		return vgcu_errno(errno);
	a->map = base;
	a->map_size = l->map_size;
	p = mmap(base, l->ctrl_size, PROT_READ, MAP_SHARED | MAP_FIXED,
		 a->fd, (off_t)l->ctrl_offset);
	if (p == MAP_FAILED)
		return vgcu_errno(errno);
	p = mmap(base + l->threads_offset, rw_len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, a->fd, (off_t)l->threads_offset);
	if (p == MAP_FAILED)
		return vgcu_errno(errno);
	return 0;
}

static int module_open(struct vgc_arena *a, const struct vgc_arena_params *prm)
{
	struct vgc_arena_params p = *prm;
	struct vgc_layout *l = &a->layout;
	int err;

	/*
	 * A module without fork copies shares the arena with a child anyway,
	 * and does not know the flag that asks for it.
	 */
	if (!(a->mod_features & VGC_FEAT_FORK_COPY))
		p.flags &= ~VGC_ARENA_F_FORK_SHARED;
	if (ioctl(a->fd, VGC_IOC_CREATE_ARENA, &p))
		return vgcu_errno(errno);
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->regions_cap = VGCU_NR_REGIONS;
	l->regions_ptr = (uintptr_t)a->regions;
	if (ioctl(a->fd, VGC_IOC_GET_LAYOUT, l))
		return vgcu_errno(errno);
	if (l->nr_regions > VGCU_NR_REGIONS)
		return -EPROTO;
	err = module_map(a);
	if (err)
		return err;
	return vgcu_layout_adopt(a);
}

static void module_close(struct vgc_arena *a)
{
	if (a->map)
		munmap(a->map, a->map_size);
	a->map = NULL;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

static int module_checkpoint(struct vgc_arena *a, const struct vgc_ckpt_opts *o,
			     struct vgc_checkpoint *res)
{
	memset(res, 0, sizeof(*res));
	res->size = sizeof(*res);
	res->flags = o->flags;
	res->partition_mask = o->partition_mask;
	if (ioctl(a->fd, VGC_IOC_CHECKPOINT, res)) {
		int e = errno;

		if (e == EAGAIN) {
			a->blocker_slot = res->blocker_slot;
			a->blocker_tid = res->blocker_tid;
		}
		return vgcu_errno(e);
	}
	return 0;
}

static int module_register(struct vgc_arena *a, unsigned int part)
{
	struct vgc_thread_reg r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.partition = part;
	if (ioctl(a->fd, VGC_IOC_THREAD_REGISTER, &r))
		return vgcu_errno(errno);
	if (r.slot >= a->nr_slots)
		return -EPROTO;
	return (int)r.slot;
}

static void module_unregister(struct vgc_arena *a, struct vgcu_tctx *t)
{
	struct vgc_thread_reg r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.slot = (uint32_t)t->slot;
	/* fails only for a slot the kernel dropped already: nothing to do */
	ioctl(a->fd, VGC_IOC_THREAD_UNREGISTER, &r);
}

static int module_grow(struct vgc_arena *a, unsigned int zone,
		       unsigned int part, uint64_t granules)
{
	struct vgc_grow g;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.zone = zone;
	g.partition = part;
	g.granules = granules;
	if (ioctl(a->fd, VGC_IOC_GROW, &g))
		return vgcu_errno(errno);
	return 0;
}

static int module_stats(const struct vgc_arena *a, struct vgc_stats *st)
{
	if (ioctl(a->fd, VGC_IOC_GET_STATS, st))
		return vgcu_errno(errno);
	return 0;
}

static int module_span_cmd(struct vgc_arena *a, unsigned long cmd,
			   uint64_t first_span, uint64_t nr)
{
	struct vgc_span_range sr;

	memset(&sr, 0, sizeof(sr));
	sr.size = sizeof(sr);
	sr.first_span = first_span;
	sr.nr_spans = nr;
	if (ioctl(a->fd, cmd, &sr))
		return vgcu_errno(errno);
	return 0;
}

static int module_decommit(struct vgc_arena *a, uint64_t first_span,
			   uint64_t nr)
{
	return module_span_cmd(a, VGC_IOC_DECOMMIT, first_span, nr);
}

static int module_commit(struct vgc_arena *a, uint64_t first_span,
			 uint64_t nr)
{
	return module_span_cmd(a, VGC_IOC_COMMIT, first_span, nr);
}

const struct vgcu_backend_ops vgcu_module_ops = {
	.id = VGC_BACKEND_MODULE,
	.open = module_open,
	.close = module_close,
	.checkpoint = module_checkpoint,
	.thread_register = module_register,
	.thread_unregister = module_unregister,
	.grow = module_grow,
	.stats = module_stats,
	.decommit = module_decommit,
	.commit = module_commit,
};
