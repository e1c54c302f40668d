// SPDX-License-Identifier: GPL-2.0
/*
 * Random command batches through io_uring, mirrored one ioctl at a time on
 * a second arena of the same shape: every result, output struct and plane
 * must agree after every batch, and the arena must stay consistent (free
 * slots read S = 001).  100k batches, or VGC_URING_RANDOM_SECS seconds
 * (default 20, TCG is slow), whichever comes first.
 */
#include <stddef.h>
#include "kselftest_harness.h"
#include "uring_util.h"

#define NPART		2
#define GRAN		VGC_SPAN_GRANULES
#define MAX_BATCH	16
#define MAX_VEC		32
#define NR_BATCHES	100000

enum rkind { R_OBJ, R_VEC, R_STATS, R_CKPT_IOC, R_CKPT_INLINE };

struct rcmd {
	enum rkind kind;
	uint32_t op;
	uint64_t index;
	uint32_t n;
	uint32_t mask_flags;
	uint64_t mask;
	struct vgc_stats st_a, st_b;
	struct vgc_checkpoint ck_a, ck_b;
	int res_a;
	uint32_t done_a;
	uint64_t aux_a;
	uint64_t vec[MAX_VEC];		/* last: prep() clears up to it */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_index(const struct ut_arena *a)
{
	const struct vgc_region *r;
	uint64_t k = rnd() % 100;

	if (k < 3)
		return a->l.total_granules + rnd() % 1000;
	if (k < 5)
		return rnd();
	r = ut_region(a, rnd() % VGC_NR_ZONES, rnd() % NPART);
	return r->first_granule + rnd() % 256;
}

static uint32_t rnd_op(void)
{
	/* mostly valid ops; 0 and DEMOTE + 1 are not */
	return rnd() % 20 ? 1 + rnd() % VGC_BATCH_DEMOTE :
			    (rnd() & 1) * (VGC_BATCH_DEMOTE + 1);
}

/* "Allocates" the same free slots in both arenas. */
static void rnd_alloc(struct ut_arena *a, struct ut_arena *b)
{
	int i;

	for (i = 0; i < 8; i++) {
		const struct vgc_region *r = ut_region(a, rnd() % VGC_NR_ZONES,
						       rnd() % NPART);
		uint64_t g = r->first_granule + rnd() % 256;

		ut_alloc(a, g);
		ut_alloc(b, g);
	}
}

/* Free slots read S = 001 in every committed region. */
static int consistent(const struct ut_arena *a)
{
	unsigned int z, p;
	uint64_t w;

	for (z = 0; z < VGC_NR_ZONES; z++)
		for (p = 0; p < NPART; p++) {
			const struct vgc_region *r = ut_region(a, z, p);
			uint64_t w0 = r->first_granule / 64;
			uint64_t w1 = w0 + r->committed_granules / 64;

			for (w = w0; w < w1; w++) {
				uint64_t v = a->plane[VGC_PLANE_VALID][w];
				uint64_t s0 = a->plane[VGC_PLANE_S0][w];
				uint64_t s1 = a->plane[VGC_PLANE_S1][w];
				uint64_t s2 = a->plane[VGC_PLANE_S2][w];

				if (~v & (~s0 | s1 | s2))
					return 0;
			}
		}
	return 1;
}

FIXTURE(rnd) {
	struct ut_arena a, b;
	struct io_uring ring;
	int have_a, have_b, have_ring;
};

FIXTURE_SETUP(rnd)
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
	ASSERT_EQ(0, ut_arena_open(&self->a, NPART, GRAN, 0));
	self->have_a = 1;
	ASSERT_EQ(0, ut_arena_open(&self->b, NPART, GRAN, 0));
	self->have_b = 1;
	ASSERT_EQ(0, ut_ring(&self->ring, 2 * MAX_BATCH, 0));
	self->have_ring = 1;
}

FIXTURE_TEARDOWN(rnd)
{
	if (self->have_ring)
		io_uring_queue_exit(&self->ring);
	if (self->have_a)
		ut_arena_close(&self->a);
	if (self->have_b)
		ut_arena_close(&self->b);
	EXPECT_EQ(0, vgc_wait_idle(5000));
}

static void prep(struct rcmd *c, const struct ut_arena *a, int last)
{
	uint64_t k = rnd() % 100;
	uint32_t i;

	memset(c, 0, offsetof(struct rcmd, vec));
	if (last && k < 10) {
		c->kind = k < 5 ? R_CKPT_IOC : R_CKPT_INLINE;
		c->mask = rnd() % 8 ? 0 : rnd() % (1ULL << (NPART + 1));
		c->mask_flags = rnd() % 4 ? 0 : VGC_CKPT_F_ALL_ZONES;
		return;
	}
	c->op = rnd_op();
	if (k < 5) {
		c->kind = R_STATS;
	} else if (k < 60) {
		c->kind = R_OBJ;
		c->index = rnd_index(a);
	} else {
		c->kind = R_VEC;
		c->n = rnd() % (MAX_VEC + 1);
		for (i = 0; i < c->n; i++)
			c->vec[i] = rnd_index(a);
	}
}

static void run_ioctl(struct rcmd *c, int fd)
{
	switch (c->kind) {
	case R_OBJ:
		c->res_a = ut_batch_ioctl(fd, c->op, &c->index, 1, &c->done_a);
		break;
	case R_VEC:
		c->res_a = ut_batch_ioctl(fd, c->op, c->vec, c->n, &c->done_a);
		break;
	case R_STATS:
		c->st_a.size = sizeof(c->st_a);
		c->res_a = ut_ioctl(fd, VGC_IOC_GET_STATS, &c->st_a);
		break;
	case R_CKPT_IOC:
	case R_CKPT_INLINE:
		c->ck_a.size = sizeof(c->ck_a);
		c->ck_a.partition_mask = c->mask;
		c->ck_a.flags = c->mask_flags;
		c->res_a = ut_ioctl(fd, VGC_IOC_CHECKPOINT, &c->ck_a);
		if (!c->res_a)
			c->aux_a = c->ck_a.gp_seq;
		else if (c->res_a == -EAGAIN)
			c->aux_a = (uint64_t)c->ck_a.blocker_tid << 32 |
				   c->ck_a.blocker_slot;
		break;
	}
}

static void queue_uring(struct rcmd *c, struct io_uring *r, int fd,
			uint64_t ud)
{
	switch (c->kind) {
	case R_OBJ:
		ut_sqe(r, fd, VGC_URING_OBJ, c->index, c->op, 0, ud);
		break;
	case R_VEC:
		ut_sqe(r, fd, VGC_URING_BATCH, (uintptr_t)c->vec, c->op, c->n,
		       ud);
		break;
	case R_STATS:
		c->st_b.size = sizeof(c->st_b);
		ut_sqe(r, fd, VGC_IOC_GET_STATS, (uintptr_t)&c->st_b, 0, 0, ud);
		break;
	case R_CKPT_IOC:
		c->ck_b.size = sizeof(c->ck_b);
		c->ck_b.partition_mask = c->mask;
		c->ck_b.flags = c->mask_flags;
		ut_sqe(r, fd, VGC_IOC_CHECKPOINT, (uintptr_t)&c->ck_b, 0, 0,
		       ud);
		break;
	case R_CKPT_INLINE:
		ut_sqe(r, fd, VGC_URING_CHECKPOINT, c->mask, c->mask_flags, 0,
		       ud);
		break;
	}
}

/* 0 when the ring's CQE agrees with what the ioctl gave. */
static int check(struct rcmd *c, const struct io_uring_cqe *cqe)
{
	uint64_t aux = cqe->big_cqe[0];

	if (cqe->res != c->res_a)
		return 1;
	switch (c->kind) {
	case R_OBJ:
	case R_VEC:
		return aux != c->done_a ? 2 : 0;
	case R_STATS:
		return memcmp(&c->st_a, &c->st_b, sizeof(c->st_a)) ? 3 : 0;
	case R_CKPT_IOC:
		c->ck_b.sweep_ns = c->ck_a.sweep_ns;
		return memcmp(&c->ck_a, &c->ck_b, sizeof(c->ck_a)) ? 4 : 0;
	case R_CKPT_INLINE:
		return (c->res_a == 0 || c->res_a == -EAGAIN) &&
		       aux != c->aux_a ? 5 : 0;
	}
	return 6;
}

TEST_F_TIMEOUT(rnd, batches, 600)
{
	static struct rcmd cmds[MAX_BATCH];
	const char *env = getenv("VGC_URING_RANDOM_SECS");
	double secs = env ? atof(env) : 20;
	struct timespec t0, t;
	uint64_t nb, ncmd = 0, nckpt = 0;
	struct vgc_stats sa, sb;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (nb = 0; nb < NR_BATCHES; nb++) {
		unsigned int n = 1 + rnd() % MAX_BATCH;
		struct io_uring_cqe *cqe;

		rnd_alloc(&self->a, &self->b);
		for (i = 0; i < n; i++) {
			prep(&cmds[i], &self->a, i == n - 1);
			run_ioctl(&cmds[i], self->a.fd);
			queue_uring(&cmds[i], &self->ring, self->b.fd, i);
		}
		ASSERT_EQ((int)n, io_uring_submit_and_wait(&self->ring, n));
		for (i = 0; i < n; i++) {
			struct rcmd *c;
			int bad;

			ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
			ASSERT_LT(cqe->user_data, n);
			c = &cmds[cqe->user_data];
			bad = check(c, cqe);
			if (bad)
				TH_LOG("batch %llu cmd %llu kind %d op %u: check %d, ioctl %d ring %d",
				       (unsigned long long)nb,
				       (unsigned long long)cqe->user_data,
				       c->kind, c->op, bad, c->res_a, cqe->res);
			ASSERT_EQ(0, bad);
			nckpt += c->kind >= R_CKPT_IOC && !cqe->res;
			io_uring_cqe_seen(&self->ring, cqe);
		}
		ncmd += n;
		ASSERT_TRUE(ut_planes_equal(&self->a, &self->b));
		if (!(nb % 64)) {
			ASSERT_TRUE(consistent(&self->b));
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec +
			    (t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
				break;
		}
	}
	ASSERT_TRUE(consistent(&self->a));
	ASSERT_TRUE(consistent(&self->b));
	memset(&sa, 0, sizeof(sa));
	sa.size = sizeof(sa);
	sb = sa;
	ASSERT_EQ(0, ut_ioctl(self->a.fd, VGC_IOC_GET_STATS, &sa));
	ASSERT_EQ(0, ut_ioctl(self->b.fd, VGC_IOC_GET_STATS, &sb));
	ASSERT_EQ(0, memcmp(&sa, &sb, sizeof(sa)));
	ASSERT_EQ(nckpt, sb.checkpoints);
	TH_LOG("%llu batches, %llu commands, %llu checkpoints, %llu reclaimed",
	       (unsigned long long)nb, (unsigned long long)ncmd,
	       (unsigned long long)nckpt,
	       (unsigned long long)sb.reclaimed_objects);
}

TEST_HARNESS_MAIN
