// SPDX-License-Identifier: GPL-2.0
/*
 * fork() gives the child a copy of the arena (VGC_FEAT_FORK_COPY): object
 * data, state planes, span table and thread slots are the parent's at the
 * fork and each process sees only its own writes afterwards; the child's
 * commands on the shared file act on its copy (growth, registration,
 * checkpoints); the parent's threads are not in the child's quorum; a
 * grandchild copies the child's copy; a child forked while a thread of the
 * parent writes works; a child killed with SIGKILL, and both processes
 * exiting, leave the module's counters at 0; a copy the module limit does
 * not allow fails in the child only (SIGBUS, -ENXIO), never in the parent.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "vgc_test.h"
#include "ckpt_util.h"
#include "mem_util.h"

#define SPAN		VGC_SPAN_GRANULES
#define GREEN_SPANS	4

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st))
		return 100 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static uint64_t used_bytes(void)
{
	uint64_t used = 0, arenas = 0;

	vgc_counters(&used, &arenas);
	return used;
}

FIXTURE(fc) {
	struct ckpt_arena a;
	unsigned char *obj;		/* first byte of Green's first span */
	__u64 g0;			/* its granule */
	int ready;
};

FIXTURE_SETUP(fc)
{
	struct vgc_arena_params p;
	struct vgc_version v = { .size = sizeof(v) };
	int fd;

	self->ready = 0;
	fd = vgc_open_dev();
	if (fd < 0)
		SKIP(return, "vgc.ko not loaded");
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	close(fd);
	if (!(v.features & VGC_FEAT_FORK_COPY))
		SKIP(return, "module without VGC_FEAT_FORK_COPY");
	ckpt_params(&p, 1, SPAN, GREEN_SPANS * SPAN, 0);
	p.zone_reserve_granules[VGC_ZONE_GREEN] = 16 * SPAN;
	ASSERT_EQ(0, ckpt_open(&self->a, &p));
	self->g0 = ckpt_region(&self->a, VGC_ZONE_GREEN, 0)->first_granule;
	self->obj = self->a.data + (self->g0 << VGC_GRANULE_SHIFT);
	self->ready = 1;
}

FIXTURE_TEARDOWN(fc)
{
	if (!self->ready)
		return;
	ckpt_close(&self->a);
	EXPECT_EQ(0, vgc_wait_idle(5000)) {
		TH_LOG("module counters not back to 0");
	}
}

static int grow_green(struct ckpt_arena *a, __u64 granules, __u64 *committed)
{
	struct vgc_grow g;
	int ret;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.zone = VGC_ZONE_GREEN;
	g.granules = granules;
	ret = ckpt_ioctl(a->fd, VGC_IOC_GROW, &g);
	if (!ret && committed)
		*committed = g.committed_granules;
	return ret;
}

/* Data, planes, span table: the child's writes and the parent's stay apart. */
TEST_F(fc, writes_stay_apart)
{
	struct ckpt_arena *a = &self->a;
	int go[2], done[2];
	__u64 before;
	pid_t pid;
	char c = 0;

	if (!self->ready)
		return;
	memset(self->obj, 0x5a, 4096);
	ckpt_alloc(a, self->g0, 16);
	before = used_bytes();
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int bad = 0;

		/* the parent's state as of the fork */
		bad |= self->obj[100] != 0x5a;
		bad |= !ckpt_bit(a, VGC_PLANE_VALID, self->g0);
		bad |= a->spans[self->g0 / SPAN] != 16;
		memset(self->obj, 0xc3, 4096);
		ckpt_set(a, VGC_PLANE_PIN, self->g0);
		a->spans[self->g0 / SPAN + 1] = 32;
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		/* the parent's writes after the fork are not seen here */
		bad |= self->obj[200] != 0xc3;
		bad |= ckpt_bit(a, VGC_PLANE_KEEP, self->g0);
		_exit(bad ? 1 : 0);
	}
	ASSERT_EQ(1, read(done[0], &c, 1));
	/* the copy is charged like the arena */
	EXPECT_LE(before * 2, used_bytes());
	EXPECT_EQ(0x5a, self->obj[100]);
	EXPECT_FALSE(ckpt_bit(a, VGC_PLANE_PIN, self->g0));
	EXPECT_EQ(0, a->spans[self->g0 / SPAN + 1]);
	memset(self->obj, 0x11, 4096);
	ckpt_set(a, VGC_PLANE_KEEP, self->g0);
	ASSERT_EQ(1, write(go[1], &c, 1));
	EXPECT_EQ(0, wait_status(pid));
	EXPECT_EQ(0x11, self->obj[300]);
	/* the child's copy is gone with it */
	EXPECT_EQ(before, used_bytes());
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

/* The child's commands act on its copy: growth, registration, checkpoints. */
TEST_F(fc, commands_act_on_the_copy)
{
	struct ckpt_arena *a = &self->a;
	struct vgc_checkpoint ck;
	struct vgc_stats st;
	__u32 slot;
	pid_t pid;

	if (!self->ready)
		return;
	/* registered and never quiescent: blocks the parent's checkpoints */
	ASSERT_EQ(0, ckpt_register(a, 0, &slot));
	ASSERT_EQ(0, ckpt_run(a, 0, 0, &ck));
	ASSERT_EQ(-EAGAIN, ckpt_run(a, 0, 0, &ck));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u64 com = 0;
		__u32 s2;
		int bad = 0;

		/* the parent's thread is not in the child's quorum */
		bad |= a->ctrl->nr_threads != 0 ? 1 : 0;
		bad |= a->slots[slot].in_use ? 2 : 0;
		bad |= ckpt_run(a, 0, 0, &ck) ? 4 : 0;
		bad |= ckpt_run(a, 0, 0, &ck) ? 8 : 0;
		bad |= grow_green(a, 2 * SPAN, &com) ? 16 : 0;
		bad |= com != (GREEN_SPANS + 2) * SPAN ? 32 : 0;
		/* the grown span is there in the child */
		bad |= vgc_bus_on_touch((volatile char *)(self->obj + GREEN_SPANS * VGC_SPAN_SIZE), 0) ? 64 : 0;
		bad |= ckpt_register(a, 0, &s2) ? 128 : 0;
		bad |= ckpt_stats(a, &st) || st.nr_threads != 1 ? 256 : 0;
		_exit(bad ? 1 : 0);
	}
	EXPECT_EQ(0, wait_status(pid));
	/* still blocked by our own thread; the child's growth is not ours */
	EXPECT_EQ(-EAGAIN, ckpt_run(a, 0, 0, &ck));
	ASSERT_EQ(0, ckpt_layout(a));
	EXPECT_EQ(GREEN_SPANS * SPAN,
		  ckpt_region(a, VGC_ZONE_GREEN, 0)->committed_granules);
	EXPECT_TRUE(vgc_bus_on_touch((volatile char *)(self->obj + GREEN_SPANS * VGC_SPAN_SIZE), 0));
	ASSERT_EQ(0, ckpt_stats(a, &st));
	EXPECT_EQ(1, st.nr_threads);
	ckpt_announce(a, slot);
	EXPECT_EQ(0, ckpt_run(a, 0, 0, &ck));
	EXPECT_EQ(0, ckpt_unregister(a, slot));
}

/* A grandchild gets a copy of the child's copy. */
TEST_F(fc, grandchild)
{
	pid_t pid;

	if (!self->ready)
		return;
	self->obj[0] = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pid_t g;
		int st;

		self->obj[0] = 2;
		g = fork();
		if (g < 0)
			_exit(2);
		if (!g) {
			int ok = self->obj[0] == 2;

			self->obj[0] = 3;
			_exit(ok && !grow_green(&self->a, SPAN, NULL) ? 0 : 1);
		}
		st = wait_status(g);
		_exit(st == 0 && self->obj[0] == 2 ? 0 : 10 + st);
	}
	EXPECT_EQ(0, wait_status(pid));
	EXPECT_EQ(1, self->obj[0]);
}

struct writer {
	unsigned char *p;
	int stop;
	unsigned long n;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		w->p[w->n % 4096] = (unsigned char)w->n;
		w->n++;
	}
	return NULL;
}

/*
 * Forks while another thread writes, and SIGKILLs children at once or
 * while they write: the parent's arena and the counters are fine after.
 */
TEST_F(fc, fork_under_writes_and_kill)
{
	struct writer w = { .p = self->obj + 8192 };
	__u64 before = used_bytes();
	pthread_t th;
	int i;

	if (!self->ready)
		return;
	memset(self->obj, 0x42, 4096);
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_fn, &w));
	for (i = 0; i < 12; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			int ok = self->obj[4095] == 0x42;

			if (i % 3 == 1)
				for (;;)
					pause();
			if (i % 3 == 2)
				for (;;)
					memset(self->obj, i, 4096);
			_exit(ok ? 0 : 1);
		}
		if (i % 3) {
			if (i % 3 == 2)
				usleep(2000);
			kill(pid, SIGKILL);
			EXPECT_EQ(100 + SIGKILL, wait_status(pid));
		} else {
			EXPECT_EQ(0, wait_status(pid));
		}
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	EXPECT_LT(0, w.n);
	EXPECT_EQ(0x42, self->obj[0]);
	EXPECT_EQ(before, used_bytes());
}

/* A copy over the module limit: the child gets SIGBUS and -ENXIO, nothing else. */
TEST_F(fc, copy_over_the_limit)
{
	long limit = mu_param("limit_mb");
	__u64 used = used_bytes();
	struct vgc_checkpoint ck;
	pid_t pid;

	if (!self->ready)
		return;
	if (limit < 0 || geteuid())
		SKIP(return, "needs root and /sys/module/vgc/parameters");
	/* over 1 MiB, so that the room under the limit below cannot hold it */
	ASSERT_EQ(0, grow_green(&self->a, 16 * SPAN, NULL));
	used = used_bytes();
	self->obj[0] = 9;
	ASSERT_EQ(0, mu_set_param("limit_mb", (long)((used + (1 << 20) - 1) >> 20)));
	pid = fork();
	if (!pid) {
		int bad = 0;

		bad |= !vgc_bus_on_touch((volatile char *)(self->obj), 0) ? 1 : 0;
		bad |= ckpt_run(&self->a, 0, 0, &ck) != -ENXIO ? 2 : 0;
		_exit(bad);
	}
	EXPECT_EQ(0, wait_status(pid));
	EXPECT_EQ(0, mu_set_param("limit_mb", limit));
	ASSERT_LE(0, pid);
	EXPECT_EQ(9, self->obj[0]);
	EXPECT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(used, used_bytes());
}

TEST_HARNESS_MAIN
