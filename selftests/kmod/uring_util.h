/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the io_uring selftests: raw IORING_OP_URING_CMD SQEs filled by
 * hand (liburing 2.3 has no helper for them, and malformed SQEs are part of
 * the test), and small arenas whose objects are "allocated" by setting
 * their VALID bit, as libvgcu does, without linking libvgcu.
 */
#ifndef VGC_URING_UTIL_H
#define VGC_URING_UTIL_H

#include <liburing.h>
#include "vgc_test.h"

struct ut_arena {
	int fd;
	struct vgc_layout l;
	struct vgc_region reg[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
	uint8_t *rw;			/* threads | spans | planes | data */
	size_t rw_len;
	uint64_t *plane[VGC_NR_PLANES];
};

/* nparts partitions, zone_granules per zone, reserve for growth. */
static inline int ut_arena_open(struct ut_arena *a, unsigned int nparts,
				uint64_t granules, uint64_t reserve)
{
	struct vgc_arena_params p;
	unsigned int i;
	int ret;

	memset(a, 0, sizeof(*a));
	a->fd = vgc_open_dev();
	if (a->fd < 0)
		return -errno;
	vgc_params_init(&p, nparts, granules, granules, granules);
	for (i = 0; i < VGC_NR_ZONES; i++)
		p.zone_reserve_granules[i] = reserve;
	ret = vgc_ioctl(a->fd, VGC_IOC_CREATE_ARENA, &p);
	if (!ret)
		ret = vgc_get_layout(a->fd, &a->l, a->reg,
				     VGC_NR_ZONES * VGC_MAX_PARTITIONS);
	if (ret)
		goto fail;
	a->rw_len = a->l.map_size - a->l.threads_offset;
	a->rw = mmap(NULL, a->rw_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		     a->fd, a->l.threads_offset);
	if (a->rw == MAP_FAILED) {
		ret = -errno;
		a->rw = NULL;
		goto fail;
	}
	for (i = 0; i < VGC_NR_PLANES; i++)
		a->plane[i] = (uint64_t *)(a->rw + a->l.plane_offset[i] -
					   a->l.threads_offset);
	return 0;
fail:
	close(a->fd);
	a->fd = -1;
	return ret;
}

static inline void ut_arena_close(struct ut_arena *a)
{
	if (a->rw)
		munmap(a->rw, a->rw_len);
	if (a->fd >= 0)
		close(a->fd);
	a->rw = NULL;
	a->fd = -1;
}

static inline const struct vgc_region *ut_region(const struct ut_arena *a,
						 unsigned int zone,
						 unsigned int part)
{
	return &a->reg[zone * a->l.nr_partitions + part];
}

/* Marks granule i allocated (an object of one granule). */
static inline void ut_alloc(struct ut_arena *a, uint64_t i)
{
	__atomic_fetch_or(&a->plane[VGC_PLANE_VALID][i >> 6],
			  1ULL << (i & 63), __ATOMIC_RELEASE);
}

/* Every plane of two arenas of the same shape, byte for byte. */
static inline int ut_planes_equal(const struct ut_arena *a,
				  const struct ut_arena *b)
{
	unsigned int i;

	for (i = 0; i < VGC_NR_PLANES; i++)
		if (memcmp(a->plane[i], b->plane[i], a->l.plane_size))
			return 0;
	return 1;
}

/* A ring with 32-byte CQEs (res2 of the inline commands). */
static inline int ut_ring(struct io_uring *r, unsigned int entries,
			  unsigned int flags)
{
	return io_uring_queue_init(entries, r, flags | IORING_SETUP_CQE32);
}

static inline struct io_uring_sqe *ut_sqe(struct io_uring *r, int fd,
					  uint32_t op, uint64_t arg,
					  uint32_t flags, uint32_t count,
					  uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	struct vgc_uring_cmd pl = { .arg = arg, .flags = flags,
				    .count = count };

	if (!sqe)
		return NULL;
	memset(sqe, 0, (r->flags & IORING_SETUP_SQE128) ? 128 : 64);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	sqe->user_data = user_data;
	memcpy(sqe->cmd, &pl, sizeof(pl));
	return sqe;
}

/* One command, waited for: CQE res, and big_cqe[0] in *res2. */
static inline int ut_cmd(struct io_uring *r, int fd, uint32_t op,
			 uint64_t arg, uint32_t flags, uint32_t count,
			 uint64_t *res2)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (!ut_sqe(r, fd, op, arg, flags, count, 0x5a))
		return -EBUSY;
	ret = io_uring_submit_and_wait(r, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(r, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	if (res2)
		*res2 = (r->flags & IORING_SETUP_CQE32) ? cqe->big_cqe[0] : 0;
	io_uring_cqe_seen(r, cqe);
	return ret;
}

/* The ioctl's result as the uring path reports it (0 or -errno). */
static inline int ut_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* VGC_IOC_BATCH of indices; *done as the kernel wrote it. */
static inline int ut_batch_ioctl(int fd, uint32_t op, const uint64_t *idx,
				 uint32_t count, uint32_t *done)
{
	struct vgc_batch b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.op = op;
	b.count = count;
	b.indices_ptr = (uintptr_t)idx;
	ret = ut_ioctl(fd, VGC_IOC_BATCH, &b);
	*done = b.done;
	return ret;
}

#endif /* VGC_URING_UTIL_H */
