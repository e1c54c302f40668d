// SPDX-License-Identifier: GPL-2.0
/*
 * The pacer: a loop that only allocates and releases, and never calls
 * vgc_checkpoint(), runs through many times the arena's capacity without
 * ENOMEM, with the released-but-unreclaimed bytes (measured in the planes
 * by vgc_region_usage(), not the pacer's own estimate) under the
 * configured bound; the growth trigger alone keeps the heap bounded; a
 * registered thread that holds grace periods up turns the pacer's
 * checkpoints into -EAGAIN, which the allocating caller never sees; a
 * thread that exits leaves its counts to the arena; immediate frees are
 * netted out of the count, large objects' too, and so are frees of
 * objects another thread allocated; the environment and the API
 * configure it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

#define OBJ		64
#define ZONE		(1ULL << 20)		/* capacity per zone */
#define WINDOW		1024			/* live objects */

struct loop_out {
	uint64_t ops, max_pending_bytes, max_valid;
	int err;
};

/*
 * ops times: release a random slot of the window, allocate a new one; a
 * quiescent state every 32 operations; usage measured every 1024.
 */
static void churn(struct vgc_arena *a, uint64_t ops, struct loop_out *out)
{
	void **win = calloc(WINDOW, sizeof(void *));
	uint64_t i, seed = 12345;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ops; i++) {
		unsigned int j;
		void *p;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (unsigned int)(seed >> 40) % WINDOW;
		if (win[j] && vgc_release(a, win[j])) {
			out->err = -EINVAL;
			break;
		}
		p = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);
		if (!p) {
			out->err = -errno;
			break;
		}
		win[j] = p;
		if (i % 32 == 31)
			vgc_quiescent(a);
		if (i % 1024 == 1023) {
			struct vgc_usage u;

			vgc_region_usage(a, VGC_ZONE_GREEN, 0, 0, &u);
			if (u.pending * OBJ > out->max_pending_bytes)
				out->max_pending_bytes = u.pending * OBJ;
			if (u.live > out->max_valid)
				out->max_valid = u.live;
		}
	}
	out->ops = i;
	free(win);
}

static int open1(struct vgc_arena **a)
{
	return vgct_open(a, 1, ZONE);
}

/* Pending released bytes stay under pending_max; no ENOMEM at 25x. */
TEST(pending_bound)
{
	struct vgc_pacer_cfg c = {
		.percent = 100, .min_bytes = 256 << 10, .pending_max = 256 << 10,
	};
	struct vgc_pacer_stats ps;
	struct vgc_arena *a;
	struct loop_out o;
	uint64_t ops = 25 * ZONE / OBJ;

	ASSERT_EQ(0, open1(&a));
	ASSERT_EQ(0, vgc_pacer_set(a, &c));
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	churn(a, ops, &o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(ops, o.ops);
	EXPECT_LE(o.max_pending_bytes, c.pending_max);
	ASSERT_EQ(0, vgc_pacer_stats(a, &ps));
	EXPECT_GT(ps.checkpoints, 0);
	EXPECT_GT(ps.pending_triggers, 0);
	EXPECT_GE(ps.allocated_bytes, 24 * ZONE);
	EXPECT_LE(ps.pending_bytes, c.pending_max);
	TH_LOG("%llu ops, max pending %llu B (bound %llu), max valid %llu, %llu pacer checkpoints, %llu deferred, %llu -EAGAIN",
	       (unsigned long long)o.ops, (unsigned long long)o.max_pending_bytes,
	       (unsigned long long)c.pending_max, (unsigned long long)o.max_valid,
	       (unsigned long long)ps.checkpoints,
	       (unsigned long long)ps.deferred, (unsigned long long)ps.eagain);
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

/* Growth trigger only: the heap stays bounded by live * (1 + ~4 * 100 %). */
TEST(growth_bounds_heap)
{
	struct vgc_pacer_cfg c = { .percent = 100, .min_bytes = 64 << 10 };
	struct vgc_pacer_stats ps;
	struct vgc_arena *a;
	struct loop_out o;
	uint64_t ops = 25 * ZONE / OBJ;

	ASSERT_EQ(0, open1(&a));
	ASSERT_EQ(0, vgc_pacer_set(a, &c));
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	churn(a, ops, &o);
	EXPECT_EQ(0, o.err);
	EXPECT_EQ(ops, o.ops);
	ASSERT_EQ(0, vgc_pacer_stats(a, &ps));
	EXPECT_GT(ps.growth_triggers, 0);
	/* a checkpoint per 64 KiB .. 1.x live: at least one per 128 KiB */
	EXPECT_GE(ps.checkpoints_seen, ps.allocated_bytes / (128 << 10));
	/* live window 64 KiB, trigger 64 KiB, 4 checkpoints a release: < 8x */
	EXPECT_LE(o.max_valid, 8 * WINDOW);
	TH_LOG("max valid %llu (window %u), %llu checkpoints for %llu KiB",
	       (unsigned long long)o.max_valid, WINDOW,
	       (unsigned long long)ps.checkpoints_seen,
	       (unsigned long long)(ps.allocated_bytes >> 10));
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

/* Without the pacer the same loop runs out of memory: it is needed. */
TEST(off_runs_out)
{
	struct vgc_arena *a;
	struct vgc_pacer_cfg c;
	struct loop_out o;

	ASSERT_EQ(0, open1(&a));
	ASSERT_EQ(0, vgc_pacer_set(a, NULL));
	ASSERT_EQ(0, vgc_pacer_get(a, &c));
	EXPECT_EQ(0, c.percent);
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	churn(a, 4 * ZONE / OBJ, &o);
	EXPECT_EQ(-ENOMEM, o.err);
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

struct holder {
	struct vgc_arena *a;
	volatile int go_offline, ready, done;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;

	vgc_thread_register(h->a, 0);
	h->ready = 1;
	while (!h->go_offline)
		usleep(1000);
	vgc_thread_offline(h->a);
	h->done = 1;
	return NULL;
}

/* -EAGAIN from a thread that holds grace periods up is not the caller's. */
TEST(eagain_is_retried)
{
	struct vgc_pacer_cfg c = {
		.percent = 100, .min_bytes = 32 << 10, .pending_max = 128 << 10,
	};
	struct vgc_pacer_stats ps;
	struct vgc_arena *a;
	struct holder h = { 0 };
	struct loop_out o;
	pthread_t th;

	ASSERT_EQ(0, open1(&a));
	ASSERT_EQ(0, vgc_pacer_set(a, &c));
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	h.a = a;
	pthread_create(&th, NULL, holder_main, &h);
	while (!h.ready)
		usleep(1000);
	/* half the capacity: fits without reclamation */
	churn(a, ZONE / 2 / OBJ - WINDOW, &o);
	EXPECT_EQ(0, o.err);
	ASSERT_EQ(0, vgc_pacer_stats(a, &ps));
	EXPECT_GT(ps.eagain, 0);
	h.go_offline = 1;
	while (!h.done)
		usleep(1000);
	/* the holder is offline: the pacer catches up, 10x capacity */
	churn(a, 10 * ZONE / OBJ, &o);
	EXPECT_EQ(0, o.err);
	EXPECT_LE(o.max_pending_bytes, c.pending_max);
	pthread_join(th, NULL);
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

/* Less than one fold of allocations and releases, then the thread exits. */
#define FEW		100

static void *alloc_few(void *arg)
{
	struct vgc_arena *a = arg;
	void *p[FEW];
	int i;

	for (i = 0; i < FEW; i++) {
		p[i] = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);
		if (!p[i])
			return (void *)1;
	}
	for (i = 0; i < FEW / 2; i++)
		if (vgc_release(a, p[i]))
			return (void *)1;
	return NULL;
}

/* An exiting thread's counts reach the arena: none is lost with it. */
TEST(exited_thread_counts)
{
	struct vgc_pacer_stats ps;
	struct vgc_arena *a;
	pthread_t th;
	void *ret;

	ASSERT_LT(FEW * OBJ, 16384);	/* VGCU_PACE_FOLD: no fold on the way */
	ASSERT_EQ(0, open1(&a));
	ASSERT_EQ(0, pthread_create(&th, NULL, alloc_few, a));
	ASSERT_EQ(0, pthread_join(th, &ret));
	ASSERT_EQ(NULL, ret);
	ASSERT_EQ(0, vgc_pacer_stats(a, &ps));
	EXPECT_GE(ps.allocated_bytes, FEW * OBJ);
	EXPECT_GE(ps.released_bytes, FEW / 2 * OBJ);
	TH_LOG("allocated %llu B, released %llu B",
	       (unsigned long long)ps.allocated_bytes,
	       (unsigned long long)ps.released_bytes);
	vgc_arena_close(a);
}

/*
 * vgc_free() is net: a thread that frees each object before the next
 * allocation, of a fold's size (16 KiB), a span (64 KiB) or a large
 * object (1 MiB), allocates nothing the pacer paces by, and the pacer
 * runs no checkpoint however many bytes pass through.
 */
TEST(immediate_frees_are_net)
{
	static const size_t sizes[] = { 16384, 65536, 1 << 20 };
	struct vgc_pacer_cfg c = { .percent = 100, .min_bytes = 4 << 20 };
	struct vgc_pacer_stats ps;
	struct vgc_arena *a;
	unsigned int k, i;

	ASSERT_EQ(0, vgct_open_reserve(&a, 1, 1 << 20, 64 << 20));
	ASSERT_EQ(0, vgc_pacer_set(a, &c));
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (i = 0; i < 2000; i++) {
			char *p = vgc_alloc(a, sizes[k], VGC_ZONE_GREEN);

			ASSERT_NE(NULL, p) TH_LOG("%zu B: %s", sizes[k],
						  strerror(errno));
			p[0] = (char)i;
			ASSERT_EQ(0, vgc_free(a, p));
		}
		vgc_quiescent(a);
	}
	ASSERT_EQ(0, vgc_pacer_stats(a, &ps));
	TH_LOG("%llu B folded for %llu MiB through the heap, %llu growth triggers, %llu checkpoints",
	       (unsigned long long)ps.allocated_bytes,
	       (unsigned long long)(2000ULL * (16384 + 65536 + (1 << 20)) >> 20),
	       (unsigned long long)ps.growth_triggers,
	       (unsigned long long)ps.checkpoints_seen);
	/* each size's first allocation at most: one object each */
	EXPECT_LE(ps.allocated_bytes, 16384 + 65536 + (1 << 20));
	/* (growing the zone for the first 1 MiB object may run one) */
	EXPECT_EQ(0, ps.growth_triggers);
	EXPECT_LE(ps.checkpoints_seen, 1);
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

struct remote_set {
	struct vgc_arena *a;
	void **objs;
	unsigned int n;
	int bad;
};

/* An unregistered thread that never allocated frees another's objects. */
static void *free_all(void *arg)
{
	struct remote_set *r = arg;
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (vgc_free(r->a, r->objs[i]))
			r->bad++;
	return NULL;
}

/*
 * Frees of objects another thread allocated are netted out too: 8 MiB
 * allocated by the main thread and freed by others leaves the folded
 * count (and the live estimate, and with it the growth trigger) where one
 * fold of each thread's unfolded remainder puts it.  Without, the arena
 * would count 8 MiB live, and a released object's reclamation would wait
 * for a trigger that grows with every byte the program allocates.
 */
TEST(remote_frees_are_net)
{
	static const size_t sizes[] = { 1024, 1024, 1024, 262144 };
	struct vgc_pacer_cfg c = { .percent = 100, .min_bytes = 64 << 20 };
	struct vgc_pacer_stats ps;
	struct remote_set r;
	struct vgc_arena *a;
	pthread_t th;
	unsigned int k, i;

	ASSERT_EQ(0, vgct_open_reserve(&a, 1, 1 << 20, 64 << 20));
	ASSERT_EQ(0, vgc_pacer_set(a, &c));
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	r.a = a;
	r.objs = calloc(2048, sizeof(void *));
	ASSERT_NE(NULL, r.objs);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		r.n = (unsigned int)((2U << 20) / sizes[k]);
		r.bad = 0;
		for (i = 0; i < r.n; i++) {
			r.objs[i] = vgc_alloc(a, sizes[k], VGC_ZONE_GREEN);
			ASSERT_NE(NULL, r.objs[i]) TH_LOG("%zu B: %s", sizes[k],
							  strerror(errno));
		}
		ASSERT_EQ(0, pthread_create(&th, NULL, free_all, &r));
		ASSERT_EQ(0, pthread_join(th, NULL));
		ASSERT_EQ(0, r.bad);
		vgc_quiescent(a);
	}
	ASSERT_EQ(0, vgc_pacer_stats(a, &ps));
	TH_LOG("%llu B net, %llu B live after 8 MiB freed by other threads",
	       (unsigned long long)ps.allocated_bytes,
	       (unsigned long long)ps.live_bytes);
	/* the main thread's unfolded remainder: under one fold */
	EXPECT_LE(ps.allocated_bytes, 64 << 10);
	EXPECT_LE(ps.live_bytes, 64 << 10);
	EXPECT_EQ(64ULL << 20, ps.trigger_bytes);
	EXPECT_EQ(0, ps.growth_triggers);
	free(r.objs);
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

TEST(environment)
{
	struct vgc_pacer_cfg c;
	struct vgc_arena *a;

	setenv("VGC_PACE", "50", 1);
	setenv("VGC_PACE_PENDING_MAX", "2m", 1);
	ASSERT_EQ(0, open1(&a));
	ASSERT_EQ(0, vgc_pacer_get(a, &c));
	EXPECT_EQ(50, c.percent);
	EXPECT_EQ(2ULL << 20, c.pending_max);
	EXPECT_EQ(4ULL << 20, c.min_bytes);
	vgc_arena_close(a);
	setenv("VGC_PACE", "off", 1);
	unsetenv("VGC_PACE_PENDING_MAX");
	ASSERT_EQ(0, open1(&a));
	ASSERT_EQ(0, vgc_pacer_get(a, &c));
	EXPECT_EQ(0, c.percent);
	vgc_arena_close(a);
	unsetenv("VGC_PACE");
}

TEST(api_checks)
{
	struct vgc_pacer_cfg c = { .percent = 100, .flags = 1 };
	struct vgc_arena *a;

	ASSERT_EQ(0, open1(&a));
	EXPECT_EQ(-EINVAL, vgc_pacer_set(a, &c));
	c.flags = 0;
	c.percent = 10001;
	EXPECT_EQ(-EINVAL, vgc_pacer_set(a, &c));
	EXPECT_EQ(-EINVAL, vgc_pacer_get(a, NULL));
	EXPECT_EQ(-EINVAL, vgc_pacer_stats(a, NULL));
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
