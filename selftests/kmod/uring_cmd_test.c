// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring passthrough of /dev/vgc (IORING_OP_URING_CMD, uapi/linux/vgc.h):
 * every command through the ring and through ioctl on two arenas of the
 * same shape and contents gives the same results and leaves the same
 * planes; malformed SQEs get the documented errors; commands in flight
 * when the fd, the ring or the task goes away leak nothing.
 */
#include <sys/eventfd.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "uring_util.h"

#define GRAN	VGC_SPAN_GRANULES	/* one span per zone and partition */
#define NPART	2

static void populate(struct ut_arena *a)
{
	unsigned int z, p;
	uint64_t k;

	for (z = 0; z < VGC_NR_ZONES; z++)
		for (p = 0; p < NPART; p++) {
			const struct vgc_region *r = ut_region(a, z, p);

			for (k = 0; k < 600; k += 3)
				ut_alloc(a, r->first_granule + k);
		}
}

/* An object index of a region, k-th allocated one. */
static uint64_t obj(const struct ut_arena *a, unsigned int zone,
		    unsigned int part, unsigned int k)
{
	return ut_region(a, zone, part)->first_granule + 3ULL * k;
}

FIXTURE(two) {
	struct ut_arena a;	/* driven by ioctl */
	struct ut_arena b;	/* driven by io_uring */
	struct io_uring ring;
	int have_a, have_b, have_ring;
};

FIXTURE_SETUP(two)
{
	struct vgc_version v;
	int fd = vgc_open_dev();
	int ret;

	if (fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	close(fd);
	if (!(v.features & VGC_FEAT_URING_CMD))
		SKIP(return, "module without VGC_FEAT_URING_CMD");
	ASSERT_EQ(0, ut_arena_open(&self->a, NPART, GRAN, GRAN));
	self->have_a = 1;
	ASSERT_EQ(0, ut_arena_open(&self->b, NPART, GRAN, GRAN));
	self->have_b = 1;
	populate(&self->a);
	populate(&self->b);
	ret = ut_ring(&self->ring, 64, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	self->have_ring = 1;
}

FIXTURE_TEARDOWN(two)
{
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->have_a)
		ut_arena_close(&self->a);
	if (self->have_b)
		ut_arena_close(&self->b);
	EXPECT_EQ(0, vgc_wait_idle(5000));
}

/* Same command, same result: ioctl on a, ring on b, outputs compared. */
#define SAME(ioc, type, prep, skip_field)				\
	do {								\
		type sa, sb;						\
		int ra, rb;						\
		memset(&sa, 0, sizeof(sa));				\
		sa.size = sizeof(sa);					\
		prep;							\
		sb = sa;						\
		ra = ut_ioctl(self->a.fd, ioc, &sa);			\
		rb = ut_cmd(&self->ring, self->b.fd, ioc,		\
			    (uintptr_t)&sb, 0, 0, NULL);		\
		ASSERT_EQ(ra, rb);					\
		skip_field;						\
		ASSERT_EQ(0, memcmp(&sa, &sb, sizeof(sa)));		\
	} while (0)

static void ckpt_prep(struct vgc_checkpoint *c, uint64_t mask,
		      uint32_t flags)
{
	c->partition_mask = mask;
	c->flags = flags;
}

TEST_F(two, commands_identical)
{
	static const unsigned int ops[] = {
		VGC_BATCH_RELEASE, VGC_BATCH_PIN, VGC_BATCH_TOUCH,
		VGC_BATCH_MUTATE, VGC_BATCH_KEEP, VGC_BATCH_PROMOTE,
		VGC_BATCH_DEMOTE,
	};
	struct vgc_thread_reg rga, rgb;
	uint64_t idx[40], res2;
	unsigned int i, k, round;
	uint32_t done;
	int r1, r2;

	SAME(VGC_IOC_GET_VERSION, struct vgc_version, , );
	SAME(VGC_IOC_GET_STATS, struct vgc_stats, , );

	for (round = 0; round < 6; round++) {
		/* single objects: every op on objects in every state */
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			for (k = 0; k < 12; k++) {
				uint64_t o = obj(&self->a, k % 3, k % NPART,
						 round * 20 + i * 2 + k);

				r1 = ut_batch_ioctl(self->a.fd, ops[i], &o, 1,
						    &done);
				r2 = ut_cmd(&self->ring, self->b.fd,
					    VGC_URING_OBJ, o, ops[i], 0, &res2);
				ASSERT_EQ(r1, r2);
				ASSERT_EQ(done, res2);
			}
		/* vectors, with a free slot in the middle now and then */
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			for (k = 0; k < 40; k++)
				idx[k] = obj(&self->a, (i + k) % 3, k % NPART,
					     100 + round * 7 + k);
			if (round & 1)
				idx[17] += 1;
			r1 = ut_batch_ioctl(self->a.fd, ops[i], idx, 40, &done);
			r2 = ut_cmd(&self->ring, self->b.fd, VGC_URING_BATCH,
				    (uintptr_t)idx, ops[i], 40, &res2);
			ASSERT_EQ(r1, r2);
			ASSERT_EQ(done, res2);
		}
		ASSERT_TRUE(ut_planes_equal(&self->a, &self->b));

		/* argument-struct checkpoint, then the inline one */
		SAME(VGC_IOC_CHECKPOINT, struct vgc_checkpoint,
		     ckpt_prep(&sa, round == 3 ? 1 : 0,
			       round == 4 ? VGC_CKPT_F_ALL_ZONES : 0),
		     sb.sweep_ns = sa.sweep_ns);
		ASSERT_TRUE(ut_planes_equal(&self->a, &self->b));
		{
			struct vgc_checkpoint c;

			memset(&c, 0, sizeof(c));
			c.size = sizeof(c);
			r1 = ut_ioctl(self->a.fd, VGC_IOC_CHECKPOINT, &c);
			r2 = ut_cmd(&self->ring, self->b.fd,
				    VGC_URING_CHECKPOINT, 0, 0, 0, &res2);
			ASSERT_EQ(r1, r2);
			if (!r1)
				ASSERT_EQ(c.gp_seq, res2);
		}
		ASSERT_TRUE(ut_planes_equal(&self->a, &self->b));
		SAME(VGC_IOC_GET_STATS, struct vgc_stats, , );
	}

	/* grace periods: a registered thread that never announces blocks */
	memset(&rga, 0, sizeof(rga));
	rga.size = sizeof(rga);
	rgb = rga;
	ASSERT_EQ(0, ut_ioctl(self->a.fd, VGC_IOC_THREAD_REGISTER, &rga));
	ASSERT_EQ(0, ut_cmd(&self->ring, self->b.fd, VGC_IOC_THREAD_REGISTER,
			    (uintptr_t)&rgb, 0, 0, NULL));
	ASSERT_EQ(0, memcmp(&rga, &rgb, sizeof(rga)));
	for (round = 0; round < 3; round++) {
		struct vgc_checkpoint c;

		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		r1 = ut_ioctl(self->a.fd, VGC_IOC_CHECKPOINT, &c);
		r2 = ut_cmd(&self->ring, self->b.fd, VGC_URING_CHECKPOINT,
			    0, 0, 0, &res2);
		ASSERT_EQ(r1, r2);
		if (r1 == -EAGAIN)
			ASSERT_EQ((uint64_t)c.blocker_tid << 32 |
				  c.blocker_slot, res2);
		SAME(VGC_IOC_CHECKPOINT, struct vgc_checkpoint, ,
		     sb.sweep_ns = sa.sweep_ns);
	}
	SAME(VGC_IOC_GET_STATS, struct vgc_stats, , );
	SAME(VGC_IOC_THREAD_UNREGISTER, struct vgc_thread_reg,
	     sa.slot = rga.slot, );
	SAME(VGC_IOC_THREAD_UNREGISTER, struct vgc_thread_reg,
	     sa.slot = rga.slot, );

	/* growth, then more than the reserve */
	for (round = 0; round < 3; round++)
		SAME(VGC_IOC_GROW, struct vgc_grow,
		     sa.zone = VGC_ZONE_GREEN; sa.partition = 1;
		     sa.granules = GRAN, );
	SAME(VGC_IOC_GET_STATS, struct vgc_stats, , );
	{
		struct vgc_layout la, lb;
		struct vgc_region pa[3 * NPART], pb[3 * NPART];

		memset(&la, 0, sizeof(la));
		la.size = sizeof(la);
		la.regions_cap = 3 * NPART;
		lb = la;
		la.regions_ptr = (uintptr_t)pa;
		lb.regions_ptr = (uintptr_t)pb;
		ASSERT_EQ(0, ut_ioctl(self->a.fd, VGC_IOC_GET_LAYOUT, &la));
		ASSERT_EQ(0, ut_cmd(&self->ring, self->b.fd,
				    VGC_IOC_GET_LAYOUT, (uintptr_t)&lb, 0, 0,
				    NULL));
		lb.regions_ptr = la.regions_ptr;
		ASSERT_EQ(0, memcmp(&la, &lb, sizeof(la)));
		ASSERT_EQ(0, memcmp(pa, pb, sizeof(pa)));
	}
}

/* The documented errors of malformed SQEs (uapi/linux/vgc.h). */
TEST_F(two, malformed)
{
	struct io_uring *r = &self->ring;
	int fd = self->b.fd;
	struct vgc_stats st;
	uint64_t res2, o = obj(&self->b, 0, 0, 1), big[4];
	int fresh;
	void *hole;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	/* commands */
	EXPECT_EQ(-ENOTTY, ut_cmd(r, fd, _IO('W', 1), 0, 0, 0, NULL));
	EXPECT_EQ(-ENOTTY, ut_cmd(r, fd, _IO(VGC_IOC_MAGIC, 0x30), 0, 0, 0,
				  NULL));
	EXPECT_EQ(-ENOTTY, ut_cmd(r, fd, _IOWR(VGC_IOC_MAGIC, 0x40,
					      struct vgc_batch), 0, 0, 0,
				  NULL));
	/* reserved payload fields */
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_IOC_GET_STATS, (uintptr_t)&st,
				  1, 0, NULL));
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_IOC_GET_STATS, (uintptr_t)&st,
				  0, 1, NULL));
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_OBJ, o, VGC_BATCH_TOUCH,
				  1, NULL));
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_CHECKPOINT, 0, 0, 1,
				  NULL));
	/* reserved fields of the argument struct, as ioctl */
	st.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_IOC_GET_STATS, (uintptr_t)&st,
				  0, 0, NULL));
	st.reserved[0] = 0;
	st.size = 8;
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_IOC_GET_STATS, (uintptr_t)&st,
				  0, 0, NULL));
	st.size = sizeof(st);
	/* ops and flags */
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_OBJ, o, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_OBJ, o, 99, 0, NULL));
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_BATCH, (uintptr_t)big,
				  VGC_BATCH_DEMOTE + 1, 1, NULL));
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_CHECKPOINT, 0, 0x80, 0,
				  NULL));
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_CHECKPOINT, 1ULL << NPART,
				  0, 0, NULL));
	/* bad pointers */
	hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	EXPECT_EQ(-EFAULT, ut_cmd(r, fd, VGC_IOC_GET_STATS, (uintptr_t)hole,
				  0, 0, NULL));
	EXPECT_EQ(-EFAULT, ut_cmd(r, fd, VGC_IOC_GET_STATS, 0, 0, 0, NULL));
	EXPECT_EQ(-EFAULT, ut_cmd(r, fd, VGC_IOC_CHECKPOINT, (uintptr_t)hole,
				  0, 0, NULL));
	EXPECT_EQ(-EFAULT, ut_cmd(r, fd, VGC_URING_BATCH, (uintptr_t)hole,
				  VGC_BATCH_TOUCH, 4, &res2));
	EXPECT_EQ(0, res2);
	EXPECT_EQ(-EFAULT, ut_cmd(r, fd, VGC_IOC_GET_STATS,
				  0xffff800000000000ULL, 0, 0, NULL));
	/* out-of-range indices: done says where */
	big[0] = o;
	big[1] = obj(&self->b, 1, 1, 2);
	big[2] = self->b.l.total_granules;
	big[3] = o;
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_BATCH, (uintptr_t)big,
				  VGC_BATCH_TOUCH, 4, &res2));
	EXPECT_EQ(2, res2);
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_OBJ, ~0ULL,
				  VGC_BATCH_TOUCH, 0, &res2));
	EXPECT_EQ(0, res2);
	EXPECT_EQ(-EINVAL, ut_cmd(r, fd, VGC_URING_OBJ, o + 1,
				  VGC_BATCH_TOUCH, 0, NULL));
	/* oversize batch, empty batch */
	EXPECT_EQ(-E2BIG, ut_cmd(r, fd, VGC_URING_BATCH, (uintptr_t)big,
				 VGC_BATCH_TOUCH, VGC_BATCH_MAX + 1, NULL));
	EXPECT_EQ(-E2BIG, ut_cmd(r, fd, VGC_URING_BATCH, (uintptr_t)big,
				 VGC_BATCH_TOUCH, ~0U, NULL));
	EXPECT_EQ(0, ut_cmd(r, fd, VGC_URING_BATCH, 0, VGC_BATCH_TOUCH, 0,
			    &res2));
	EXPECT_EQ(0, res2);
	/* a file without an arena */
	fresh = vgc_open_dev();
	ASSERT_LE(0, fresh);
	EXPECT_EQ(-ENXIO, ut_cmd(r, fresh, VGC_URING_OBJ, 0, VGC_BATCH_TOUCH,
				 0, NULL));
	EXPECT_EQ(-ENXIO, ut_cmd(r, fresh, VGC_URING_CHECKPOINT, 0, 0, 0,
				 NULL));
	EXPECT_EQ(-ENXIO, ut_cmd(r, fresh, VGC_IOC_GET_STATS, (uintptr_t)&st,
				 0, 0, NULL));
	close(fresh);
	/* not /dev/vgc at all */
	fresh = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, fresh);
	EXPECT_EQ(-EOPNOTSUPP, ut_cmd(r, fresh, VGC_IOC_GET_STATS,
				      (uintptr_t)&st, 0, 0, NULL));
	close(fresh);
	munmap(hole, 4096);
	/* nothing above changed the arena's objects */
	EXPECT_EQ(0, ut_ioctl(fd, VGC_IOC_GET_STATS, &st));
}

/* io_uring's own threads cannot own a quorum slot. */
TEST_F(two, async_issue)
{
	struct io_uring *r = &self->ring;
	struct io_uring_cqe *cqe;
	struct vgc_thread_reg reg;
	struct vgc_stats st;
	struct vgc_checkpoint c;
	struct io_uring_sqe *sqe;
	int i;

	memset(&reg, 0, sizeof(reg));
	reg.size = sizeof(reg);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	sqe = ut_sqe(r, self->b.fd, VGC_IOC_THREAD_REGISTER, (uintptr_t)&reg,
		     0, 0, 1);
	sqe->flags |= IOSQE_ASYNC;
	sqe = ut_sqe(r, self->b.fd, VGC_IOC_GET_STATS, (uintptr_t)&st, 0, 0,
		     2);
	sqe->flags |= IOSQE_ASYNC;
	sqe = ut_sqe(r, self->b.fd, VGC_IOC_CHECKPOINT, (uintptr_t)&c, 0, 0,
		     3);
	sqe->flags |= IOSQE_ASYNC;
	ASSERT_EQ(3, io_uring_submit_and_wait(r, 3));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(r, &cqe));
		if (cqe->user_data == 1) {
			EXPECT_EQ(-EOPNOTSUPP, cqe->res);
		} else {
			EXPECT_EQ(0, cqe->res);
		}
		io_uring_cqe_seen(r, cqe);
	}
	EXPECT_LT(0, c.gp_seq);
}

/* SQPOLL issues from a kernel thread: no quorum slot for it either. */
TEST_F(two, sqpoll)
{
	struct io_uring r;
	struct vgc_thread_reg reg;
	struct vgc_stats st;
	int ret;

	ret = ut_ring(&r, 8, IORING_SETUP_SQPOLL);
	if (ret == -EPERM || ret == -EINVAL)
		SKIP(return, "SQPOLL unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	memset(&reg, 0, sizeof(reg));
	reg.size = sizeof(reg);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	EXPECT_EQ(-EOPNOTSUPP, ut_cmd(&r, self->b.fd, VGC_IOC_THREAD_REGISTER,
				      (uintptr_t)&reg, 0, 0, NULL));
	EXPECT_EQ(0, ut_cmd(&r, self->b.fd, VGC_IOC_GET_STATS, (uintptr_t)&st,
			    0, 0, NULL));
	EXPECT_EQ(0, ut_cmd(&r, self->b.fd, VGC_URING_CHECKPOINT, 0, 0, 0,
			    NULL));
	io_uring_queue_exit(&r);
}

/* More checkpoints in flight than an arena takes: -EBUSY, nothing lost. */
TEST_F(two, backpressure)
{
	struct io_uring r;
	struct io_uring_cqe *cqe;
	struct vgc_stats st0, st1;
	int i, ok = 0, busy = 0;

	ASSERT_EQ(0, ut_ring(&r, 128, 0));
	memset(&st0, 0, sizeof(st0));
	st0.size = sizeof(st0);
	st1 = st0;
	ASSERT_EQ(0, ut_ioctl(self->b.fd, VGC_IOC_GET_STATS, &st0));
	for (i = 0; i < 128; i++)
		ut_sqe(&r, self->b.fd, VGC_URING_CHECKPOINT, 0, 0, 0, i);
	ASSERT_EQ(128, io_uring_submit_and_wait(&r, 128));
	for (i = 0; i < 128; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&r, &cqe));
		if (cqe->res == -EBUSY) {
			busy++;
		} else {
			EXPECT_EQ(0, cqe->res);
			ok += !cqe->res;
		}
		io_uring_cqe_seen(&r, cqe);
	}
	ASSERT_EQ(0, ut_ioctl(self->b.fd, VGC_IOC_GET_STATS, &st1));
	EXPECT_EQ(ok, st1.checkpoints - st0.checkpoints);
	EXPECT_EQ(128, ok + busy);
	TH_LOG("%d completed, %d -EBUSY", ok, busy);
	io_uring_queue_exit(&r);
}

/* SQE128: the 64 bytes past the payload are reserved. */
TEST_F(two, sqe128)
{
	struct io_uring r;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	uint64_t o = obj(&self->b, 2, 1, 3);

	ASSERT_EQ(0, ut_ring(&r, 8, IORING_SETUP_SQE128));
	EXPECT_EQ(0, ut_cmd(&r, self->b.fd, VGC_URING_OBJ, o, VGC_BATCH_TOUCH,
			    0, NULL));
	sqe = ut_sqe(&r, self->b.fd, VGC_URING_OBJ, o, VGC_BATCH_TOUCH, 0, 7);
	sqe->cmd[79] = 1;
	ASSERT_EQ(1, io_uring_submit_and_wait(&r, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&r, &cqe));
	EXPECT_EQ(-EINVAL, cqe->res);
	io_uring_cqe_seen(&r, cqe);
	io_uring_queue_exit(&r);
}

/* Checkpoints in flight complete in order with consecutive gp_seq. */
TEST_F(two, async_many)
{
	struct io_uring *r = &self->ring;
	struct io_uring_cqe *cqe;
	struct vgc_stats st;
	uint64_t seen = 0, first;
	int i, n = 0;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ASSERT_EQ(0, ut_ioctl(self->b.fd, VGC_IOC_GET_STATS, &st));
	first = st.gp_seq + 1;
	for (i = 0; i < 16; i++) {
		ut_sqe(r, self->b.fd, VGC_URING_CHECKPOINT, 0, 0, 0, 100 + i);
		ut_sqe(r, self->b.fd, VGC_URING_OBJ, obj(&self->b, 0, 1, i),
		       VGC_BATCH_TOUCH, 0, i);
	}
	ASSERT_EQ(32, io_uring_submit_and_wait(r, 32));
	for (i = 0; i < 32; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(r, &cqe));
		EXPECT_EQ(0, cqe->res);
		if (cqe->user_data >= 100) {
			seen |= 1ULL << (cqe->big_cqe[0] - first);
			n++;
		}
		io_uring_cqe_seen(r, cqe);
	}
	EXPECT_EQ(16, n);
	EXPECT_EQ(0xffffULL, seen);
	ASSERT_EQ(0, ut_ioctl(self->b.fd, VGC_IOC_GET_STATS, &st));
	EXPECT_EQ(16, st.checkpoints);
}

/* Queues checkpoints and leaves them in flight; returns the ring. */
static int queue_inflight(struct io_uring *r, int fd,
			  struct vgc_checkpoint *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i & 1) {
			memset(&c[i], 0, sizeof(c[i]));
			c[i].size = sizeof(c[i]);
			ut_sqe(r, fd, VGC_IOC_CHECKPOINT, (uintptr_t)&c[i], 0,
			       0, i);
		} else {
			ut_sqe(r, fd, VGC_URING_CHECKPOINT, 0,
			       VGC_CKPT_F_ALL_ZONES, 0, i);
		}
	}
	return io_uring_submit(r);
}

FIXTURE(bare) {
	int skip;
};

FIXTURE_SETUP(bare)
{
	struct vgc_version v;
	int fd = vgc_open_dev();

	if (fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	close(fd);
	if (!(v.features & VGC_FEAT_URING_CMD))
		SKIP(return, "module without VGC_FEAT_URING_CMD");
	ASSERT_EQ(0, vgc_wait_idle(5000));
}

FIXTURE_TEARDOWN(bare)
{
}

/* fd closed, then the ring; the ring, then the fd; both without reaping. */
TEST_F(bare, close_inflight)
{
	static struct vgc_checkpoint c[32];
	unsigned int flags[] = { 0, IORING_SETUP_SINGLE_ISSUER |
				 IORING_SETUP_DEFER_TASKRUN };
	int i, f;

	for (f = 0; f < 2; f++)
		for (i = 0; i < 8; i++) {
			struct ut_arena a;
			struct io_uring r;
			int ret;

			ASSERT_EQ(0, ut_arena_open(&a, NPART, 4 * GRAN, 0));
			populate(&a);
			ret = ut_ring(&r, 32, flags[f]);
			if (ret == -EINVAL) {
				ut_arena_close(&a);
				continue;
			}
			ASSERT_EQ(0, ret);
			ASSERT_EQ(32, queue_inflight(&r, a.fd, c, 32));
			if (i & 1) {
				ut_arena_close(&a);
				io_uring_queue_exit(&r);
			} else {
				io_uring_queue_exit(&r);
				ut_arena_close(&a);
			}
		}
	EXPECT_EQ(0, vgc_wait_idle(10000));
}

/* A task that exits with commands in flight and everything open. */
TEST_F(bare, exit_inflight)
{
	int i, status;

	for (i = 0; i < 6; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			static struct vgc_checkpoint c[32];
			struct ut_arena a;
			struct io_uring r;

			if (ut_arena_open(&a, NPART, 4 * GRAN, 0))
				_exit(2);
			populate(&a);
			if (ut_ring(&r, 32, (i & 1) ?
				    IORING_SETUP_SINGLE_ISSUER |
				    IORING_SETUP_DEFER_TASKRUN : 0))
				_exit(3);
			if (queue_inflight(&r, a.fd, c, 32) != 32)
				_exit(4);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	EXPECT_EQ(0, vgc_wait_idle(10000));
}

TEST_HARNESS_MAIN
