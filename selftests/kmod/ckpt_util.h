/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the checkpoint selftests (ckpt_*_test.c): an arena created and
 * mapped with raw ioctl/mmap, and direct access to its bit-planes, so that
 * tests can plant any state the ABI allows and compare the kernel's sweep
 * with vgc_sweep_word() of <linux/vgc_state.h>.
 */
#ifndef VGC_CKPT_UTIL_H
#define VGC_CKPT_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/vgc.h>
#include <linux/vgc_state.h>

struct ckpt_arena {
	int fd;
	struct vgc_layout lay;
	struct vgc_region regs[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
	const struct vgc_ctrl *ctrl;
	void *rw;			/* threads .. end, read-write */
	struct vgc_thread_slot *slots;
	__u16 *spans;
	struct vgc_span_sum *sums;
	__u64 *plane[VGC_NR_PLANES];
	unsigned char *data;
};

static inline int ckpt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline unsigned int ckpt_nr_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

static inline void ckpt_params(struct vgc_arena_params *p, unsigned int parts,
			       __u64 red, __u64 green, __u64 blue)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->nr_partitions = parts;
	p->zone_granules[VGC_ZONE_RED] = red;
	p->zone_granules[VGC_ZONE_GREEN] = green;
	p->zone_granules[VGC_ZONE_BLUE] = blue;
	for (i = 0; i < parts; i++)
		p->cpus[i] = i % ckpt_nr_cpus();
}

static inline int ckpt_layout(struct ckpt_arena *a)
{
	memset(&a->lay, 0, sizeof(a->lay));
	a->lay.size = sizeof(a->lay);
	a->lay.regions_cap = VGC_NR_ZONES * VGC_MAX_PARTITIONS;
	a->lay.regions_ptr = (__u64)(uintptr_t)a->regs;
	return ckpt_ioctl(a->fd, VGC_IOC_GET_LAYOUT, &a->lay);
}

/* 0 or -errno; on success the whole arena is mapped. */
static inline int ckpt_open(struct ckpt_arena *a,
			    const struct vgc_arena_params *p)
{
	unsigned char *rw;
	void *ctrl;
	int ret, i;

	memset(a, 0, sizeof(*a));
	a->fd = open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (a->fd < 0)
		return -errno;
	ret = ckpt_ioctl(a->fd, VGC_IOC_CREATE_ARENA, (void *)p);
	if (!ret)
		ret = ckpt_layout(a);
	if (ret)
		goto err;
	ctrl = mmap(NULL, a->lay.ctrl_size, PROT_READ, MAP_SHARED, a->fd,
		    a->lay.ctrl_offset);
	if (ctrl == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	a->ctrl = ctrl;
	rw = mmap(NULL, a->lay.map_size - a->lay.threads_offset,
		  PROT_READ | PROT_WRITE, MAP_SHARED, a->fd,
		  a->lay.threads_offset);
	if (rw == MAP_FAILED) {
		ret = -errno;
		munmap(ctrl, a->lay.ctrl_size);
		goto err;
	}
	a->rw = rw;
	rw -= a->lay.threads_offset;	/* index by mmap offset */
	a->slots = (void *)(rw + a->lay.threads_offset);
	a->spans = (void *)(rw + a->lay.spans_offset);
	a->sums = (void *)(rw + a->lay.sums_offset);
	for (i = 0; i < VGC_NR_PLANES; i++)
		a->plane[i] = (void *)(rw + a->lay.plane_offset[i]);
	a->data = rw + a->lay.data_offset;
	return 0;
err:
	close(a->fd);
	a->fd = -1;
	return ret;
}

static inline void ckpt_close(struct ckpt_arena *a)
{
	if (a->rw)
		munmap(a->rw, a->lay.map_size - a->lay.threads_offset);
	if (a->ctrl)
		munmap((void *)a->ctrl, a->lay.ctrl_size);
	if (a->fd >= 0)
		close(a->fd);
	a->rw = NULL;
	a->ctrl = NULL;
	a->fd = -1;
}

static inline const struct vgc_region *ckpt_region(const struct ckpt_arena *a,
						   unsigned int zone,
						   unsigned int part)
{
	return &a->regs[zone * a->lay.nr_partitions + part];
}

static inline int ckpt_run(struct ckpt_arena *a, __u32 flags, __u64 mask,
			   struct vgc_checkpoint *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->size = sizeof(*ck);
	ck->flags = flags;
	ck->partition_mask = mask;
	return ckpt_ioctl(a->fd, VGC_IOC_CHECKPOINT, ck);
}

static inline int ckpt_batch(struct ckpt_arena *a, __u32 op, const __u64 *idx,
			     __u32 count, struct vgc_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->op = op;
	b->count = count;
	b->indices_ptr = (__u64)(uintptr_t)idx;
	return ckpt_ioctl(a->fd, VGC_IOC_BATCH, b);
}

static inline int ckpt_batch1(struct ckpt_arena *a, __u32 op, __u64 idx)
{
	struct vgc_batch b;

	return ckpt_batch(a, op, &idx, 1, &b);
}

/*
 * A plane written through the mapping: the span summary is told, as every
 * requester must (struct vgc_span_sum), so the next checkpoint sweeps it.
 */
static inline void ckpt_note(struct ckpt_arena *a, __u64 i)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&a->sums[i / VGC_SPAN_GRANULES].req, 1,
			 __ATOMIC_RELAXED);
}

static inline void ckpt_set(struct ckpt_arena *a, unsigned int plane,
			    __u64 i)
{
	__atomic_fetch_or(&a->plane[plane][i >> 6], 1ULL << (i & 63),
			  __ATOMIC_SEQ_CST);
	ckpt_note(a, i);
}

static inline int ckpt_bit(const struct ckpt_arena *a, unsigned int plane,
			   __u64 i)
{
	return (int)((__atomic_load_n(&a->plane[plane][i >> 6],
				      __ATOMIC_ACQUIRE) >> (i & 63)) & 1);
}

/* The 3-bit code of object i, or -1 when it is not valid. */
static inline int ckpt_code(const struct ckpt_arena *a, __u64 i)
{
	if (!ckpt_bit(a, VGC_PLANE_VALID, i))
		return -1;
	return ckpt_bit(a, VGC_PLANE_S0, i) |
	       ckpt_bit(a, VGC_PLANE_S1, i) << 1 |
	       ckpt_bit(a, VGC_PLANE_S2, i) << 2;
}

/* "Allocates" object i the way libvgcu does: one atomic OR of VALID. */
static inline void ckpt_alloc(struct ckpt_arena *a, __u64 i, __u16 cls)
{
	a->spans[i / VGC_SPAN_GRANULES] = cls;
	ckpt_set(a, VGC_PLANE_VALID, i);
}

static inline int ckpt_stats(struct ckpt_arena *a, struct vgc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ckpt_ioctl(a->fd, VGC_IOC_GET_STATS, st);
}

static inline int ckpt_register(struct ckpt_arena *a, __u32 part, __u32 *slot)
{
	struct vgc_thread_reg r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.partition = part;
	ret = ckpt_ioctl(a->fd, VGC_IOC_THREAD_REGISTER, &r);
	if (!ret)
		*slot = r.slot;
	return ret;
}

static inline int ckpt_unregister(struct ckpt_arena *a, __u32 slot)
{
	struct vgc_thread_reg r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.slot = slot;
	return ckpt_ioctl(a->fd, VGC_IOC_THREAD_UNREGISTER, &r);
}

/* The quiescent-state announcement of a registered thread. */
static inline void ckpt_announce(struct ckpt_arena *a, __u32 slot)
{
	__atomic_store_n(&a->slots[slot].qs_seq,
			 __atomic_load_n(&a->ctrl->gp_seq, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}

static inline pid_t ckpt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

#endif /* VGC_CKPT_UTIL_H */
