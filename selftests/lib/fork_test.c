// SPDX-License-Identifier: GPL-2.0
/*
 * fork() (docs/design.md, "fork()"): a child gets
 * a copy of the heap, as of malloc memory.  Parent and child each see only
 * their own writes to the same objects, and only their own state changes
 * (planes, spans, thread slots); a child forked while another thread of
 * the parent allocates and frees in a loop works and exits; a grandchild
 * too; the child's checkpoints complete although the parent has a
 * registered thread that never announces a quiescent state; growth and
 * decommit in the child leave the parent's heap alone; a child killed
 * with SIGKILL in the middle of its work leaves the parent fine; a child
 * writes every page of a 16 MiB heap.  What fork() costs is measured by
 * vgc-bench preload (tools/bench/preload_fork.c), not here.
 *
 * Both backends: on the module the kernel gives the child its copy
 * (VGC_FEAT_FORK_COPY); a module without it shares the arena, and every
 * test skips there.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

#define NOBJ		48
#define OBJ		256
#define LARGE		(200 << 10)	/* a large object: several spans */
#define ZONE		(1ULL << 20)
#define RESERVE		(256ULL << 20)

#define SKIP_MSG "module backend without VGC_FEAT_FORK_COPY: a fork()ed " \
		 "child shares the arena there"

/* 1 when the arena is on a module that shares it with a child. */
static int open_copying_or_skip(struct vgc_arena **a, unsigned int nparts,
				uint64_t reserve)
{
	int err = vgct_open_reserve(a, nparts, ZONE, reserve);
	struct vgc_version v;

	if (err)
		return err;
	if (vgc_arena_backend(*a) == VGC_BACKEND_MODULE &&
	    (vgc_module_version(&v) || !(v.features & VGC_FEAT_FORK_COPY))) {
		vgc_arena_close(*a);
		*a = NULL;
		return 1;
	}
	return 0;
}

#define OPEN(a, np, res) do {						\
	int __e = open_copying_or_skip(&(a), (np), (res));			\
									\
	if (__e == 1)							\
		SKIP(return, SKIP_MSG);					\
	ASSERT_EQ(0, __e) TH_LOG("open: %s", vgc_strerror(__e));	\
} while (0)

/* A child's exit status; SIGKILL and a status of 99 after timeout_s. */
static int wait_child(pid_t pid, unsigned int timeout_s)
{
	uint64_t end = vgct_now_ns() + timeout_s * 1000000000ULL;
	int st;

	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (vgct_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return 99;
		}
		usleep(2000);
	}
	if (WIFSIGNALED(st))
		return 100 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static void fill(void *p, size_t n, int c)
{
	memset(p, c, n);
}

static bool all(const void *p, size_t n, int c)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

static void put(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(90);
}

static char get(int fd)
{
	char c = 0;

	if (read(fd, &c, 1) != 1)
		return 0;
	return c;
}

/* Checkpoints until one completes (the caller's own slot is quiescent). */
static int ckpt(struct vgc_arena *a, unsigned int n)
{
	unsigned int i, tries = 0;
	int err;

	for (i = 0; i < n; i++) {
		vgc_quiescent(a);
		err = vgct_ckpt(a, VGC_CKPT_F_ALL_ZONES, NULL);
		if (err == -EAGAIN && ++tries < 1000) {
			i--;
			continue;
		}
		if (err)
			return err;
	}
	return 0;
}

struct objs {
	char *o[NOBJ];
	char *large;
	char *rel;		/* released in the child only */
};

static int alloc_objs(struct vgc_arena *a, struct objs *s, int c)
{
	unsigned int i;

	for (i = 0; i < NOBJ; i++) {
		s->o[i] = vgc_alloc(a, OBJ, (enum vgc_zone)(i % VGC_NR_ZONES));
		if (!s->o[i])
			return -1;
		fill(s->o[i], OBJ, c);
	}
	s->large = vgc_alloc(a, LARGE, VGC_ZONE_GREEN);
	s->rel = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);
	if (!s->large || !s->rel)
		return -1;
	fill(s->large, LARGE, c);
	fill(s->rel, OBJ, c);
	return 0;
}

static bool objs_are(const struct objs *s, int c)
{
	unsigned int i;

	for (i = 0; i < NOBJ; i++)
		if (!all(s->o[i], OBJ, c))
			return false;
	return all(s->large, LARGE, c) && all(s->rel, OBJ, c);
}

static void objs_set(struct objs *s, int c)
{
	unsigned int i;

	for (i = 0; i < NOBJ; i++)
		fill(s->o[i], OBJ, c);
	fill(s->large, LARGE, c);
	fill(s->rel, OBJ, c);
}

static uint64_t spans_sum(struct vgc_arena *a)
{
	const struct vgc_layout *l = vgc_arena_layout(a);
	const uint16_t *sp = vgc_arena_spans(a);
	uint64_t i, n = l->spans_size / sizeof(*sp), h = 14695981039346656037ULL;
	unsigned int r;

	/* committed parts only: the rest of the table is never touched */
	for (r = 0; r < l->nr_regions; r++) {
		const struct vgc_region *g =
			vgc_arena_region(a, r / l->nr_partitions,
					 r % l->nr_partitions);
		uint64_t s0 = g->first_granule / VGC_SPAN_GRANULES;
		uint64_t s1 = s0 + g->committed_granules / VGC_SPAN_GRANULES;

		for (i = s0; i < s1 && i < n; i++)
			h = (h ^ sp[i]) * 1099511628211ULL;
	}
	return h;
}

/*
 * Both directions: after the fork the child writes 'C' and releases one
 * object, the parent checks that it still sees 'P' and the old state,
 * then writes 'Q', and the child checks that it still sees 'C'.
 */
TEST(each_sees_only_its_own_writes)
{
	const struct vgc_ctrl *ctrl;
	struct vgc_arena *a;
	struct objs s;
	int p2c[2], c2p[2], st0, rc;
	uint64_t gp0, ck0, sum0;
	pid_t pid;

	OPEN(a, 1, RESERVE);
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	ASSERT_EQ(0, alloc_objs(a, &s, 'P'));
	ASSERT_EQ(0, ckpt(a, 1));
	st0 = vgc_state(a, s.rel);
	ASSERT_LE(0, st0);
	ctrl = vgc_arena_ctrl(a);
	gp0 = ctrl->gp_seq;
	ck0 = ctrl->checkpoints;
	ASSERT_EQ(1, ctrl->nr_threads);
	sum0 = spans_sum(a);
	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct vgc_stats cs;
		unsigned int i;

		alarm(60);
		/* the parent's slots are free in the child's copy */
		if (ctrl->nr_threads != 0 || vgc_thread_partition(a) < 0)
			_exit(1);
		if (!objs_are(&s, 'P'))
			_exit(2);
		objs_set(&s, 'C');
		if (vgc_release(a, s.rel))
			_exit(3);
		/* new spans in the child, its checkpoints, then registered */
		for (i = 0; i < 2000; i++)
			if (!vgc_alloc(a, 512, VGC_ZONE_RED))
				_exit(4);
		if (ckpt(a, 2))
			_exit(5);
		/* Deferred or later: the release is the child's */
		st0 = vgc_state(a, s.rel);
		if (st0 >= 0 && st0 < VGC_ST_DEFERRED)
			_exit(6);
		if (vgc_thread_register(a, 0))
			_exit(7);
		if (vgc_arena_stats(a, &cs) || cs.nr_threads != 1)
			_exit(8);
		put(c2p[1], 'c');
		if (get(p2c[0]) != 'p')
			_exit(9);
		/* the parent wrote 'Q' meanwhile */
		s.rel = s.o[0];
		if (!objs_are(&s, 'C'))
			_exit(10);
		if (ckpt(a, 2))
			_exit(11);
		_exit(0);
	}
	ASSERT_EQ('c', get(c2p[0]));
	/* the child's writes, release, carving and checkpoints: not here */
	EXPECT_TRUE(objs_are(&s, 'P'));
	EXPECT_EQ(st0, vgc_state(a, s.rel));
	EXPECT_EQ(gp0, ctrl->gp_seq);
	EXPECT_EQ(ck0, ctrl->checkpoints);
	EXPECT_EQ(1, ctrl->nr_threads);
	EXPECT_EQ(sum0, spans_sum(a));
	EXPECT_EQ(0, vgc_thread_partition(a));
	objs_set(&s, 'Q');
	put(p2c[1], 'p');
	rc = wait_child(pid, 60);
	EXPECT_EQ(0, rc);
	EXPECT_TRUE(objs_are(&s, 'Q'));
	/* the parent's own release still works on its copy */
	EXPECT_EQ(0, vgc_release(a, s.rel));
	EXPECT_EQ(0, ckpt(a, 1));
	EXPECT_EQ(VGC_ST_DEFERRED, vgc_state(a, s.rel));
	EXPECT_EQ(0, vgc_thread_unregister(a));
	vgc_arena_close(a);
}

struct churn {
	struct vgc_arena *a;
	volatile int stop;
	uint64_t rounds;
	int err;
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	void *win[64] = { 0 };
	uint64_t i;

	if (vgc_thread_register(c->a, -1)) {
		c->err = 1;
		return NULL;
	}
	for (i = 0; !c->stop; i++) {
		unsigned int j = (unsigned int)(i % 64);
		size_t sz = 16 + (i * 40503) % 2000;

		if (win[j]) {
			if (i & 1 ? vgc_free(c->a, win[j]) :
				    vgc_release(c->a, win[j])) {
				c->err = 2;
				break;
			}
		}
		win[j] = vgc_alloc(c->a, sz, VGC_ZONE_GREEN);
		if (!win[j]) {
			c->err = 3;
			break;
		}
		memset(win[j], 0x5a, 16);
		if (j == 63) {
			vgc_quiescent(c->a);
			/* what the pacer leaves undone */
			if (i % 4096 == 4095)
				vgct_ckpt(c->a, 0, NULL);
		}
		__atomic_store_n(&c->rounds, i, __ATOMIC_RELAXED);
	}
	vgc_thread_unregister(c->a);
	return NULL;
}

/* The child of a process whose other thread is in the library. */
static int busy_child(struct vgc_arena *a)
{
	void *v[4000];
	unsigned int i;

	alarm(60);
	for (i = 0; i < 4000; i++) {
		v[i] = vgc_alloc(a, 16 + i % 700, VGC_ZONE_GREEN);
		if (!v[i])
			return 1;
		memset(v[i], 1, 16);
	}
	if (ckpt(a, 1))
		return 2;
	for (i = 0; i < 4000; i++)
		if (i & 1 ? vgc_free(a, v[i]) : vgc_release(a, v[i]))
			return 3;
	if (vgc_thread_register(a, -1))
		return 4;
	if (ckpt(a, 4))
		return 5;
	if (vgc_thread_unregister(a))
		return 6;
	return 0;
}

/*
 * 30 forks, each copying the arena on the module: a debug kernel (KASAN,
 * lockdep) needs more than the harness's default 30 s.
 */
FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, fork_while_another_thread_allocates, 240)
{
	struct churn c = { 0 };
	struct vgc_arena *a;
	pthread_t th;
	uint64_t r0;
	int i, rc;

	OPEN(a, 0, RESERVE);
	c.a = a;
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_main, &c));
	while (!__atomic_load_n(&c.rounds, __ATOMIC_RELAXED))
		usleep(100);
	for (i = 0; i < 30; i++) {
		pid_t pid;

		usleep(1000 + (i * 7919) % 5000);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(busy_child(a));
		rc = wait_child(pid, 60);
		ASSERT_EQ(0, rc) TH_LOG("child %d", i);
	}
	r0 = __atomic_load_n(&c.rounds, __ATOMIC_RELAXED);
	/* the parent's thread keeps going (slowly on a debug kernel) */
	for (i = 0; i < 200 && r0 == __atomic_load_n(&c.rounds, __ATOMIC_RELAXED); i++)
		usleep(10000);
	EXPECT_LT(r0, __atomic_load_n(&c.rounds, __ATOMIC_RELAXED));
	c.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, c.err);
	EXPECT_EQ(0, ckpt(a, 4));
	vgc_arena_close(a);
}

/* A child forks again: three copies, each with its own writes. */
TEST(grandchild)
{
	struct vgc_arena *a;
	struct objs s;
	pid_t pid;

	OPEN(a, 1, RESERVE);
	ASSERT_EQ(0, alloc_objs(a, &s, 'P'));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int p2g[2], rc;
		pid_t g;

		alarm(60);
		objs_set(&s, 'C');
		if (pipe(p2g))
			_exit(1);
		g = fork();
		if (g < 0)
			_exit(2);
		if (!g) {
			if (get(p2g[0]) != 'c' || !objs_are(&s, 'C'))
				_exit(3);
			objs_set(&s, 'G');
			if (vgc_release(a, s.rel) || ckpt(a, 4) ||
			    vgc_state(a, s.rel) >= 0)
				_exit(4);
			if (vgc_thread_register(a, 0) || ckpt(a, 2) ||
			    vgc_arena_ctrl(a)->nr_threads != 1)
				_exit(5);
			_exit(0);
		}
		/* the grandchild sees the child's 'C', not what follows */
		objs_set(&s, 'D');
		put(p2g[1], 'c');
		rc = wait_child(g, 50);
		if (rc)
			_exit(10 + rc);
		if (!objs_are(&s, 'D') || vgc_state(a, s.rel) < 0)
			_exit(6);
		if (ckpt(a, 2))
			_exit(7);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid, 60));
	EXPECT_TRUE(objs_are(&s, 'P'));
	EXPECT_LE(0, vgc_state(a, s.rel));
	vgc_arena_close(a);
}

struct stuck {
	struct vgc_arena *a;
	volatile int registered, stop;
};

/* Registered and online, never quiescent: blocks every grace period. */
static void *stuck_main(void *arg)
{
	struct stuck *s = arg;

	if (vgc_thread_register(s->a, 0))
		return NULL;
	s->registered = 1;
	while (!s->stop)
		usleep(1000);
	vgc_thread_unregister(s->a);
	return NULL;
}

TEST(child_checkpoints_ignore_parent_threads)
{
	struct stuck s = { 0 };
	struct vgc_stats st0, st1;
	struct vgc_arena *a;
	pthread_t th;
	pid_t pid;
	void *p;

	OPEN(a, 1, RESERVE);
	s.a = a;
	ASSERT_EQ(0, pthread_create(&th, NULL, stuck_main, &s));
	while (!s.registered)
		usleep(100);
	ASSERT_EQ(0, vgct_ckpt(a, 0, NULL));	/* registration is a QS */
	p = vgc_alloc(a, 64, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_release(a, p));
	ASSERT_EQ(-EAGAIN, vgct_ckpt(a, 0, NULL));
	ASSERT_EQ(0, vgc_arena_stats(a, &st0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct vgc_stats cs;
		unsigned int i;

		alarm(60);
		for (i = 0; i < 5; i++)
			if (vgct_ckpt(a, VGC_CKPT_F_ALL_ZONES, NULL))
				_exit(1);
		if (vgc_arena_stats(a, &cs) || cs.nr_threads ||
		    cs.reclaimed_objects != st0.reclaimed_objects + 1)
			_exit(2);
		/* a thread of its own blocks it (registration is a QS) */
		if (vgc_thread_register(a, 0) || vgct_ckpt(a, 0, NULL) ||
		    vgct_ckpt(a, 0, NULL) != -EAGAIN)
			_exit(3);
		vgc_quiescent(a);
		if (vgct_ckpt(a, 0, NULL))
			_exit(4);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid, 60));
	/* the parent's grace period still waits for its thread */
	EXPECT_EQ(-EAGAIN, vgct_ckpt(a, 0, NULL));
	ASSERT_EQ(0, vgc_arena_stats(a, &st1));
	EXPECT_EQ(st0.reclaimed_objects, st1.reclaimed_objects);
	EXPECT_EQ(st0.checkpoints, st1.checkpoints);
	EXPECT_EQ(1, st1.nr_threads);
	EXPECT_EQ(VGC_ST_ACTIVE, vgc_state(a, p));
	s.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, ckpt(a, 4));
	EXPECT_GT(0, vgc_state(a, p));
	vgc_arena_close(a);
}

/*
 * The child grows a region by 32 MiB, frees everything (the parent's
 * objects too) and decommits; the parent's committed size, heap counters
 * and objects are as they were.
 */
TEST(child_growth_and_decommit_stay_in_the_child)
{
	struct vgc_heap_stats h0, h1;
	struct vgc_stats st0, st1;
	const struct vgc_region *r;
	struct vgc_arena *a;
	uint64_t rc0;
	struct objs s;
	pid_t pid;

	OPEN(a, 1, RESERVE);
	ASSERT_EQ(0, alloc_objs(a, &s, 'P'));
	ASSERT_EQ(0, vgc_arena_stats(a, &st0));
	ASSERT_EQ(0, vgc_heap_stats(a, &h0));
	r = vgc_arena_region(a, VGC_ZONE_GREEN, 0);
	rc0 = r->committed_granules;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		enum { N = (32 << 20) / 4096 };
		static void *v[N];
		struct vgc_heap_stats ch;
		struct vgc_stats cs;
		unsigned int i;
		int rc;

		alarm(60);
		for (i = 0; i < N; i++) {
			v[i] = vgc_alloc(a, 4096, VGC_ZONE_GREEN);
			if (!v[i])
				_exit(1);
			memset(v[i], 0x77, 4096);
		}
		if (vgc_arena_stats(a, &cs) ||
		    cs.committed_bytes < st0.committed_bytes + (30 << 20) ||
		    r->committed_granules <= rc0)
			_exit(2);
		for (i = 0; i < N; i++)
			if (vgc_free(a, v[i]))
				_exit(3);
		for (i = 0; i < NOBJ; i++)
			if (vgc_free(a, s.o[i]))
				_exit(4);
		if (vgc_free(a, s.large) || vgc_free(a, s.rel))
			_exit(5);
		vgc_heap_set_decommit(a, 0);
		if (ckpt(a, 6) || vgc_heap_stats(a, &ch))
			_exit(6);
		if (ch.decommitted < (32 << 20) / VGC_SPAN_SIZE / 2)
			_exit(7);
		/*
		 * decommitted spans read zero here (MADV_DONTNEED); on the
		 * module they raise SIGBUS until committed again
		 */
		for (i = 0, rc = 0; i < N; i++)
			rc += vgc_arena_backend(a) != VGC_BACKEND_ANON ||
			      all(v[i], 4096, 0);
		if (rc < N / 2)
			_exit(8);
		/* and are committed again on demand */
		for (i = 0; i < N; i++)
			if (!(v[i] = vgc_alloc(a, 4096, VGC_ZONE_GREEN)))
				_exit(9);
		if (vgc_heap_stats(a, &ch) || !ch.recommitted)
			_exit(10);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid, 60));
	ASSERT_EQ(0, vgc_arena_stats(a, &st1));
	ASSERT_EQ(0, vgc_heap_stats(a, &h1));
	EXPECT_EQ(st0.committed_bytes, st1.committed_bytes);
	EXPECT_EQ(rc0, r->committed_granules);
	EXPECT_EQ(h0.grown_spans, h1.grown_spans);
	EXPECT_EQ(h0.grow_calls, h1.grow_calls);
	EXPECT_EQ(h0.decommitted, h1.decommitted);
	EXPECT_EQ(h0.recommitted, h1.recommitted);
	EXPECT_TRUE(objs_are(&s, 'P'));
	/* the parent's objects are live here, and its heap works */
	EXPECT_EQ(0, vgc_free(a, s.o[0]));
	EXPECT_NE(NULL, vgc_alloc(a, 4096, VGC_ZONE_GREEN));
	EXPECT_EQ(0, ckpt(a, 2));
	vgc_arena_close(a);
}

/* The child's endless work: growth, checkpoints, decommit, frees. */
static void endless(struct vgc_arena *a)
{
	static void *v[8192];
	uint64_t i;

	vgc_heap_set_decommit(a, 0);
	if (vgc_thread_register(a, -1))
		_exit(1);
	for (i = 0;; i++) {
		unsigned int j = (unsigned int)(i % 8192);

		if (v[j] && (i & 1 ? vgc_free(a, v[j]) : vgc_release(a, v[j])))
			_exit(2);
		v[j] = vgc_alloc(a, 64 + (i * 31) % 8000, VGC_ZONE_GREEN);
		if (!v[j])
			_exit(3);
		memset(v[j], 0x33, 64);
		if (j % 256 == 255) {
			vgc_quiescent(a);
			vgct_ckpt(a, VGC_CKPT_F_ALL_ZONES, NULL);
		}
	}
}

TEST(sigkill_of_a_busy_child)
{
	struct churn c = { 0 };
	struct vgc_stats st0, st1;
	struct vgc_arena *a;
	struct objs s;
	pthread_t th;
	int i, st;

	OPEN(a, 0, RESERVE);
	ASSERT_EQ(0, alloc_objs(a, &s, 'P'));
	ASSERT_EQ(0, vgc_arena_stats(a, &st0));
	c.a = a;
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_main, &c));
	for (i = 0; i < 8; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			alarm(60);
			endless(a);
		}
		usleep(5000 + 20000 * i);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFSIGNALED(st)) TH_LOG("child exited %d",
						    WEXITSTATUS(st));
		EXPECT_EQ(SIGKILL, WTERMSIG(st));
	}
	c.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, c.err);
	EXPECT_TRUE(objs_are(&s, 'P'));
	ASSERT_EQ(0, vgc_arena_stats(a, &st1));
	EXPECT_EQ(0, st1.nr_threads);
	EXPECT_EQ(0, ckpt(a, 4));
	EXPECT_NE(NULL, vgc_alloc(a, 64, VGC_ZONE_GREEN));
	vgc_arena_close(a);
}

/*
 * Every page of a heap of 16 MiB of 4 KiB blocks: the child sees the
 * parent's bytes in every block and writes every block, and none of its
 * writes reaches the parent.  (What this costs, against a malloc heap, is
 * the fork table of vgc-bench preload, docs/benchmarks.md.)
 */
TEST(child_writes_every_page)
{
	enum { BLK = 4096, N = (16 << 20) / BLK };
	static char *v[N];
	struct vgc_arena *a;
	unsigned int i;
	pid_t pid;

	OPEN(a, 1, RESERVE);
	for (i = 0; i < N; i++) {
		v[i] = vgc_alloc(a, BLK, VGC_ZONE_GREEN);
		ASSERT_NE(NULL, v[i]);
		memset(v[i], (int)(i & 0xff), BLK);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(60);
		for (i = 0; i < N; i++)
			if (!all(v[i], BLK, (int)(i & 0xff)))
				_exit(1);
		for (i = 0; i < N; i++)
			memset(v[i], 0xee, BLK);
		for (i = 0; i < N; i++)
			if (!all(v[i], BLK, 0xee))
				_exit(2);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid, 60));
	for (i = 0; i < N; i++)
		if (!all(v[i], BLK, (int)(i & 0xff)))
			break;
	EXPECT_EQ(N, i) TH_LOG("block %u has the child's bytes", i);
	vgc_arena_close(a);
}

/*
 * A large run the parent freed and keeps (lib/large.c) is kept in the
 * child's copy too, each process its own: both take it back, and neither
 * sees what the other wrote there.
 */
TEST(kept_large_run_is_each_ones_own)
{
	struct vgc_arena *a;
	char *x, *y;
	pid_t pid;

	OPEN(a, 1, RESERVE);
	ASSERT_EQ(0, vgc_heap_set_decommit(a, -1));
	x = vgc_alloc(a, 4 * LARGE, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, x);
	fill(x, 4 * LARGE, 'P');
	ASSERT_EQ(0, vgc_free(a, x));
	ASSERT_EQ(VGC_SPAN_KEPT, vgct_span_entry(a, x));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(60);
		y = vgc_alloc(a, 4 * LARGE, VGC_ZONE_GREEN);
		if (y != x || !all(y, 4 * LARGE, 'P'))
			_exit(1);
		fill(y, 4 * LARGE, 'C');
		if (vgc_free(a, y) ||
		    vgct_span_entry(a, x) != VGC_SPAN_KEPT)
			_exit(2);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid, 60));
	ASSERT_EQ(VGC_SPAN_KEPT, vgct_span_entry(a, x));
	y = vgc_alloc(a, 4 * LARGE, VGC_ZONE_GREEN);
	ASSERT_EQ(x, y);
	EXPECT_TRUE(all(y, 4 * LARGE, 'P'));
	ASSERT_EQ(0, vgc_free(a, y));
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
