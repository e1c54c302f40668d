// SPDX-License-Identifier: GPL-2.0
/*
 * libvgcu's io_uring batching (vgcu_uring.h): queueing, depth, per-command
 * results in any backend; on the module backend the io_uring path and the
 * ioctl fallback, on two arenas with the same objects, give the same
 * result for every command and leave every object in the same state (on
 * the anonymous backend both arenas take the library path).
 */
#include <stdlib.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"
#include <vgcu_uring.h>

#define NOBJ	192

static int by_user_data(const void *x, const void *y)
{
	const struct vgc_uring_result *a = x, *b = y;

	return a->user_data < b->user_data ? -1 : a->user_data > b->user_data;
}

TEST(queue_depth_results)
{
	struct vgc_uring_result r[8];
	struct vgc_uring *u;
	struct vgc_arena *a;
	unsigned int i;
	int ret, n;

	ASSERT_EQ(0, vgct_open(&a, 1, 1 << 20));
	EXPECT_EQ(-EINVAL, vgc_uring_open(a, 8192, 0, &u));
	EXPECT_EQ(-EINVAL, vgc_uring_open(a, 4, 1U << 31, &u));
	ASSERT_EQ(0, vgc_uring_open(a, 3, 0, &u));
	TH_LOG("%s backend, %s path: %s",
	       vgc_backend_name(vgc_arena_backend(a)),
	       vgc_uring_path_name(vgc_uring_path(u)), vgc_uring_reason(u));
	EXPECT_NE(0, strlen(vgc_uring_reason(u)));
	if (vgc_arena_fd(a) < 0)
		EXPECT_EQ(VGC_URING_PATH_LIBRARY, vgc_uring_path(u));
	/* depth 3 rounds up to 4 */
	EXPECT_EQ(4, vgc_uring_space(u));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, vgc_uring_queue_checkpoint(u, 0, 0, 100 + i));
	EXPECT_EQ(-EBUSY, vgc_uring_queue_checkpoint(u, 0, 0, 9));
	EXPECT_EQ(4, vgc_uring_submit(u));
	EXPECT_EQ(4, vgc_uring_inflight(u));
	EXPECT_EQ(-EBUSY, vgc_uring_queue_checkpoint(u, 0, 0, 9));
	n = vgc_uring_reap(u, r, 8, 4);
	ASSERT_EQ(4, n);
	EXPECT_EQ(0, vgc_uring_inflight(u));
	/* asynchronous commands complete in any order */
	qsort(r, 4, sizeof(r[0]), by_user_data);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(100 + i, r[i].user_data);
		EXPECT_EQ(0, r[i].res);
		EXPECT_NE(0, r[i].aux);
	}
	/* nothing queued: run returns nothing and does not wait */
	ret = vgc_uring_run(u, r, 8);
	EXPECT_EQ(0, ret);
	vgc_uring_close(u);
	vgc_arena_close(a);
}

TEST(env_forces_ioctl)
{
	struct vgc_uring *u;
	struct vgc_arena *a;

	ASSERT_EQ(0, vgct_open(&a, 1, 1 << 20));
	setenv("VGC_URING", "ioctl", 1);
	ASSERT_EQ(0, vgc_uring_open(a, 8, 0, &u));
	unsetenv("VGC_URING");
	EXPECT_EQ(vgc_arena_fd(a) < 0 ? VGC_URING_PATH_LIBRARY :
		  VGC_URING_PATH_IOCTL, vgc_uring_path(u));
	EXPECT_EQ(0, vgc_uring_setup_flags(u));
	TH_LOG("%s", vgc_uring_reason(u));
	vgc_uring_close(u);
	vgc_arena_close(a);
}

/* A checkpoint's result arrives by polling (min 0) too, DEFER_TASKRUN or not. */
TEST(poll_without_waiting)
{
	struct vgc_uring_result r;
	struct vgc_uring *u;
	struct vgc_arena *a;
	int i, n = 0;

	ASSERT_EQ(0, vgct_open(&a, 1, 1 << 20));
	ASSERT_EQ(0, vgc_uring_open(a, 4, 0, &u));
	ASSERT_EQ(0, vgc_uring_queue_checkpoint(u, 0, 0, 77));
	ASSERT_EQ(1, vgc_uring_submit(u));
	for (i = 0; i < 5000 && !n; i++) {
		n = vgc_uring_reap(u, &r, 1, 0);
		ASSERT_LE(0, n);
		if (!n)
			usleep(1000);
	}
	ASSERT_EQ(1, n);
	EXPECT_EQ(77, r.user_data);
	EXPECT_EQ(0, r.res);
	vgc_uring_close(u);
	vgc_arena_close(a);
}

struct side {
	struct vgc_arena *a;
	struct vgc_uring *u;
	void *obj[NOBJ];
	uint64_t idx[NOBJ];
	struct vgc_stats st;
	struct vgc_uring_result r[64];
};

static int side_open(struct side *s, unsigned int flags)
{
	struct vgc_objinfo oi;
	unsigned int i;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = vgct_open(&s->a, 1, 1 << 20);
	if (ret)
		return ret;
	for (i = 0; i < NOBJ; i++) {
		s->obj[i] = vgc_alloc(s->a, 16 + 16 * (i % 4),
				      (enum vgc_zone)(i % VGC_NR_ZONES));
		if (!s->obj[i])
			return -errno;
		ret = vgc_locate(s->a, s->obj[i], &oi);
		if (ret)
			return ret;
		s->idx[i] = oi.index;
	}
	return vgc_uring_open(s->a, 64, flags, &s->u);
}

static void side_close(struct side *s)
{
	vgc_uring_close(s->u);
	vgc_arena_close(s->a);
}

/* Queues step k of the script on one side; returns commands queued. */
static int script(struct side *s, unsigned int k)
{
	static const unsigned int ops[] = {
		VGC_BATCH_TOUCH, VGC_BATCH_RELEASE, VGC_BATCH_PIN,
		VGC_BATCH_MUTATE, VGC_BATCH_KEEP, VGC_BATCH_PROMOTE,
		VGC_BATCH_DEMOTE, 0, 99,
	};
	unsigned int i, n = 0, op;

	for (i = 0; i < 24; i++) {
		op = ops[(i + k) % (sizeof(ops) / sizeof(ops[0]))];
		vgc_uring_queue_obj(s->u, op, s->idx[(k * 24 + i) % NOBJ],
				    n++);
	}
	op = ops[k % 7];
	vgc_uring_queue_batch(s->u, op, &s->idx[(k * 7) % (NOBJ - 16)], 16,
			      n++);
	vgc_uring_queue_obj(s->u, VGC_BATCH_TOUCH, ~0ULL, n++);
	memset(&s->st, 0, sizeof(s->st));
	s->st.size = sizeof(s->st);
	vgc_uring_queue_ioctl(s->u, VGC_IOC_GET_STATS, &s->st, n++);
	vgc_uring_queue_checkpoint(s->u, 0, k % 3 ? 0 : VGC_CKPT_F_ALL_ZONES,
				   n++);
	return (int)n;
}

TEST(paths_identical)
{
	struct side *ur = calloc(1, sizeof(*ur));
	struct side *io = calloc(1, sizeof(*io));
	unsigned int k, i;
	int n1, n2;

	ASSERT_NE(NULL, ur);
	ASSERT_NE(NULL, io);
	ASSERT_EQ(0, side_open(ur, 0));
	ASSERT_EQ(0, side_open(io, VGC_URING_F_IOCTL));
	/* module: io_uring against ioctl; anonymous: the library path twice */
	TH_LOG("%s | %s", vgc_uring_reason(ur->u), vgc_uring_reason(io->u));
	if (vgc_arena_fd(ur->a) >= 0) {
		EXPECT_EQ(VGC_URING_PATH_URING, vgc_uring_path(ur->u));
		EXPECT_EQ(VGC_URING_PATH_IOCTL, vgc_uring_path(io->u));
	}
	for (k = 0; k < 40; k++) {
		n1 = script(ur, k);
		n2 = script(io, k);
		ASSERT_EQ(n1, n2);
		ASSERT_EQ(n1, vgc_uring_run(ur->u, ur->r, 64));
		ASSERT_EQ(n2, vgc_uring_run(io->u, io->r, 64));
		qsort(ur->r, n1, sizeof(ur->r[0]), by_user_data);
		qsort(io->r, n2, sizeof(io->r[0]), by_user_data);
		for (i = 0; i < (unsigned int)n1; i++) {
			ASSERT_EQ(io->r[i].user_data, ur->r[i].user_data);
			ASSERT_EQ(io->r[i].res, ur->r[i].res)
				TH_LOG("step %u command %u", k, i);
			ASSERT_EQ(io->r[i].done, ur->r[i].done);
			ASSERT_EQ(io->r[i].aux, ur->r[i].aux);
		}
		ASSERT_EQ(0, memcmp(&ur->st, &io->st, sizeof(ur->st)));
		for (i = 0; i < NOBJ; i++)
			ASSERT_EQ(vgc_state(io->a, io->obj[i]),
				  vgc_state(ur->a, ur->obj[i]));
	}
	side_close(ur);
	side_close(io);
	free(ur);
	free(io);
}

TEST_HARNESS_MAIN
