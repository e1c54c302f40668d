// SPDX-License-Identifier: GPL-2.0
/*
 * The background driver: it runs checkpoints for a program that never
 * calls vgc_checkpoint() (and the released objects come back); a
 * registered thread that never announces a quiescent state is a stall,
 * counted in the stats and warned about once on stderr; the driver's
 * thread is gone after vgc_driver_stop() and vgc_arena_close(), a
 * profile detached while the driver samples it is never used after it
 * is freed, and a fork()ed child has no driver thread, is told so, and uses the arena
 * (its own pacer, many times the capacity) without deadlocking.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include <vgcu_zone.h>
#include "vgcu_test.h"

#define OBJ		64
#define ZONE		(4ULL << 20)

static int nr_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * pthread_join() returns when the kernel clears the thread's tid, a little
 * before the task leaves /proc/self/task: wait up to 2 s for n tasks.
 */
static int nr_tasks_settled(int n)
{
	int i, k = nr_tasks();

	for (i = 0; k != n && i < 200; i++) {
		usleep(10000);
		k = nr_tasks();
	}
	return k;
}

static uint64_t live_objects(struct vgc_arena *a)
{
	struct vgc_usage u;
	uint64_t n = 0;
	unsigned int p;

	for (p = 0; p < vgc_arena_partitions(a); p++)
		if (!vgc_region_usage(a, VGC_ZONE_GREEN, p, 0, &u))
			n += u.live;
	return n;
}

/* A program that allocates, releases, and never asks for a checkpoint. */
TEST(reclaims_without_checkpoint_calls)
{
	struct vgc_driver_cfg dc = { .period_ms = 10, .flags = VGC_DRIVER_F_QUIET };
	struct vgc_driver_stats st;
	struct vgc_pacer_stats ps;
	struct vgc_arena *a;
	static void *obj[20000];
	uint64_t t0, t1, live, c0;
	int i;

	ASSERT_EQ(0, vgct_open(&a, 1, ZONE));
	ASSERT_EQ(0, vgc_driver_start(a, &dc));
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	for (i = 0; i < 20000; i++) {
		obj[i] = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);
		ASSERT_NE(NULL, obj[i]);
	}
	for (i = 0; i < 20000; i++)
		ASSERT_EQ(0, vgc_release(a, obj[i]));
	ASSERT_EQ(0, vgc_driver_stats(a, &st));
	c0 = st.checkpoints;
	vgc_quiescent(a);
	vgc_thread_offline(a);		/* holds nothing while it waits */
	t0 = vgct_now_ns();
	while (live_objects(a) && vgct_now_ns() - t0 < 20000000000ULL)
		usleep(5000);
	live = live_objects(a);
	/*
	 * The slots are free once the fourth sweep has published them,
	 * a little before that checkpoint returns to the driver and is
	 * counted: give its count a moment (seen once under TCG, where
	 * the ioctl's return is slow: 0 live and 3 checkpoints).
	 */
	t1 = vgct_now_ns();
	do {
		ASSERT_EQ(0, vgc_driver_stats(a, &st));
		if (st.checkpoints - c0 >= 4)
			break;
		usleep(1000);
	} while (vgct_now_ns() - t1 < 2000000000ULL);
	ASSERT_EQ(0, vgc_pacer_stats(a, &ps));
	/* First, so that a failure below comes with its numbers. */
	TH_LOG("%llu live, %llu checkpoints (%llu after the releases, %llu seen, %llu by the pacer), %llu wake-ups, %llu -EAGAIN, %llu errors (last %d), running %d, in %llu ms",
	       (unsigned long long)live, (unsigned long long)st.checkpoints,
	       (unsigned long long)(st.checkpoints - c0),
	       (unsigned long long)ps.checkpoints_seen,
	       (unsigned long long)ps.checkpoints,
	       (unsigned long long)st.wakeups, (unsigned long long)st.eagain,
	       (unsigned long long)st.errors, st.last_error, st.running,
	       (unsigned long long)((vgct_now_ns() - t0) / 1000000));
	EXPECT_EQ(0, live);
	/* Every checkpoint was the driver's: none ran in this thread. */
	EXPECT_EQ(0, ps.checkpoints);
	/*
	 * Deferred, Marked, Expired, free: four sweeps of Gen0 after the
	 * release requests (docs/design.md, "A release's journey"); one
	 * may have begun before the last request, none ended before it.
	 */
	EXPECT_GE(st.checkpoints - c0, 4);
	EXPECT_EQ(1, st.running);
	EXPECT_EQ(0, st.errors);
	vgc_thread_online(a);
	vgc_thread_unregister(a);
	vgc_arena_close(a);
}

struct staller {
	struct vgc_arena *a;
	volatile int cmd;	/* 1: one quiescent state, 2: unregister, exit */
	volatile int ack, ready;
	pid_t tid;
};

static void *staller_main(void *arg)
{
	struct staller *s = arg;

	s->tid = gettid();
	vgc_thread_register(s->a, 0);
	s->ready = 1;
	for (;;) {
		int c = s->cmd;

		if (c == 1) {
			vgc_quiescent(s->a);
			s->cmd = 0;
			s->ack++;
		} else if (c == 2) {
			break;
		}
		usleep(1000);
	}
	vgc_thread_unregister(s->a);
	return NULL;
}

/* Reads what was written to fd since it was made stderr. */
static int count_lines(int fd, const char *needle, char *buf, size_t len)
{
	ssize_t n;
	int k = 0;
	char *p;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	for (p = buf; (p = strstr(p, needle)); p++)
		k++;
	return k;
}

TEST(stall_is_reported_once)
{
	struct vgc_driver_cfg dc = { .period_ms = 10, .stall_ms = 60 };
	struct vgc_driver_stats st;
	struct staller s = { 0 };
	char tmpl[] = "/tmp/vgc-driver-test.XXXXXX", want[128], buf[8192];
	struct vgc_arena *a;
	pthread_t th;
	int fd, saved, i, lines;
	uint64_t t0;

	fd = mkstemp(tmpl);
	ASSERT_LE(0, fd);
	unlink(tmpl);
	ASSERT_EQ(0, vgct_open(&a, 1, ZONE));
	s.a = a;
	pthread_create(&th, NULL, staller_main, &s);
	while (!s.ready)
		usleep(1000);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	ASSERT_EQ(0, vgc_driver_start(a, &dc));
	/* unregistered main thread: gives the driver something to do */
	for (i = 0; i < 2000; i++) {
		void *p = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);

		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, vgc_release(a, p));
	}
	snprintf(want, sizeof(want),
		 "vgc: thread %d (slot ", (int)s.tid);
	t0 = vgct_now_ns();
	do {
		usleep(10000);
		vgc_driver_stats(a, &st);
	} while (st.stalls < 1 && vgct_now_ns() - t0 < 10000000000ULL);
	EXPECT_GE(st.stalls, 1);
	EXPECT_EQ((unsigned int)s.tid, st.last_blocker_tid);
	/* a second stall of the same thread: counted, not printed again */
	s.cmd = 1;
	while (s.cmd)
		usleep(1000);
	t0 = vgct_now_ns();
	do {
		usleep(10000);
		vgc_driver_stats(a, &st);
	} while (st.stalls < 2 && vgct_now_ns() - t0 < 10000000000ULL);
	EXPECT_GE(st.stalls, 2);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lines = count_lines(fd, "has held reclamation up for", buf, sizeof(buf));
	EXPECT_EQ(1, lines);
	EXPECT_NE(NULL, strstr(buf, want));
	EXPECT_NE(NULL, strstr(buf, "call vgc_quiescent() or vgc_thread_offline()"));
	TH_LOG("stalls %llu, -EAGAIN %llu, checkpoints %llu: %s",
	       (unsigned long long)st.stalls, (unsigned long long)st.eagain,
	       (unsigned long long)st.checkpoints, buf);
	s.cmd = 2;
	pthread_join(th, NULL);
	close(fd);
	vgc_arena_close(a);
}

TEST(stops_at_stop_and_close)
{
	struct vgc_driver_stats st;
	struct vgc_arena *a;
	int before = nr_tasks();

	ASSERT_LT(0, before);
	ASSERT_EQ(0, vgct_open(&a, 1, ZONE));
	EXPECT_EQ(-ESRCH, vgc_driver_stats(a, &st));
	EXPECT_EQ(-ESRCH, vgc_driver_stop(a));
	ASSERT_EQ(0, vgc_driver_start(a, NULL));
	EXPECT_EQ(-EALREADY, vgc_driver_start(a, NULL));
	EXPECT_EQ(before + 1, nr_tasks());
	ASSERT_EQ(0, vgc_driver_stop(a));
	EXPECT_EQ(before, nr_tasks_settled(before));
	ASSERT_EQ(0, vgc_driver_stats(a, &st));
	EXPECT_EQ(0, st.running);
	EXPECT_EQ(-ESRCH, vgc_driver_stop(a));
	/* again, and this time the close stops it */
	ASSERT_EQ(0, vgc_driver_start(a, NULL));
	EXPECT_EQ(before + 1, nr_tasks());
	vgc_arena_close(a);
	EXPECT_EQ(before, nr_tasks_settled(before));
}

/*
 * vgc_profile_detach() while the driver's checkpoints sample the profile:
 * detach waits for the checkpoint in flight, so the profile is never
 * sampled after it was freed.  One thread: the rule for the runtime's own
 * threads ("no other thread uses the arena") holds, and only the driver
 * races.
 */
TEST(profile_detach_while_driving)
{
	struct vgc_driver_cfg dc = { .period_ms = 1, .flags = VGC_DRIVER_F_QUIET };
	struct vgc_pacer_cfg pc = { .percent = 100, .min_bytes = 4096 };
	struct vgc_driver_stats st;
	struct vgc_arena *a;
	static void *obj[512];
	uint64_t t0 = vgct_now_ns();
	unsigned int rounds = 0;
	int i;

	ASSERT_EQ(0, vgct_open(&a, 1, ZONE));
	ASSERT_EQ(0, vgc_pacer_set(a, &pc));
	ASSERT_EQ(0, vgc_driver_start(a, &dc));
	while (vgct_now_ns() - t0 < 1000000000ULL || rounds < 50) {
		ASSERT_EQ(0, vgc_profile_attach(a, NULL));
		/* 32 KiB: two folds, each kicks the driver */
		for (i = 0; i < 512; i++)
			obj[i] = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);
		for (i = 0; i < 512; i++)
			if (obj[i])
				vgc_release(a, obj[i]);
		sched_yield();
		ASSERT_EQ(0, vgc_profile_detach(a));
		rounds++;
	}
	ASSERT_EQ(0, vgc_driver_stats(a, &st));
	TH_LOG("%u attach/detach rounds, %llu driver checkpoints", rounds,
	       (unsigned long long)st.checkpoints);
	EXPECT_GT(st.checkpoints, 0);
	vgc_arena_close(a);
}

TEST(bad_config)
{
	struct vgc_driver_cfg dc = { .flags = 2 };
	struct vgc_arena *a;

	ASSERT_EQ(0, vgct_open(&a, 1, ZONE));
	EXPECT_EQ(-EINVAL, vgc_driver_start(a, &dc));
	dc.flags = 0;
	dc.reserved = 1;
	EXPECT_EQ(-EINVAL, vgc_driver_start(a, &dc));
	EXPECT_EQ(-EINVAL, vgc_driver_stats(a, NULL));
	vgc_arena_close(a);
}

TEST(environment_starts_it)
{
	struct vgc_driver_stats st;
	struct vgc_pacer_cfg pc;
	struct vgc_arena *a;
	int before = nr_tasks();

	setenv("VGC_DRIVER", "1", 1);
	ASSERT_EQ(0, vgct_open(&a, 1, ZONE));
	unsetenv("VGC_DRIVER");
	ASSERT_EQ(0, vgc_driver_stats(a, &st));
	EXPECT_EQ(1, st.running);
	EXPECT_EQ(before + 1, nr_tasks());
	/* the driver turned the pacer on */
	ASSERT_EQ(0, vgc_pacer_get(a, &pc));
	EXPECT_EQ(100, pc.percent);
	vgc_arena_close(a);
	EXPECT_EQ(before, nr_tasks_settled(before));
}

/* The child: no driver thread, told so, and the arena works. */
static int child_main(struct vgc_arena *a)
{
	struct vgc_pacer_cfg pc = {
		.percent = 100, .min_bytes = 64 << 10, .pending_max = 256 << 10,
	};
	struct vgc_driver_stats st;
	static void *win[1024];
	uint64_t i;

	if (nr_tasks() != 1)
		return 10;
	if (vgc_driver_stats(a, &st) != -ESRCH)
		return 11;
	if (vgc_driver_stop(a) != -ESRCH)
		return 12;
	if (vgc_pacer_set(a, &pc))
		return 13;
	if (vgc_thread_register(a, 0))
		return 14;
	/* 8x the zone through the child's own pacer */
	for (i = 0; i < 8 * ZONE / OBJ; i++) {
		unsigned int j = (unsigned int)(i * 2654435761U) % 1024;
		void *p;

		if (win[j] && vgc_release(a, win[j]))
			return 15;
		p = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);
		if (!p)
			return 16;
		win[j] = p;
		if (i % 32 == 31)
			vgc_quiescent(a);
	}
	/* and a driver of its own */
	vgc_thread_offline(a);
	if (vgc_driver_start(a, NULL))
		return 17;
	if (nr_tasks() != 2)
		return 18;
	vgc_arena_close(a);
	if (nr_tasks_settled(1) != 1)
		return 19;
	return 0;
}

TEST(fork_child_has_no_driver)
{
	struct vgc_driver_cfg dc = { .period_ms = 10, .flags = VGC_DRIVER_F_QUIET };
	struct vgc_driver_stats st;
	struct vgc_arena *a;
	int status = -1, i;
	pid_t pid;

	ASSERT_EQ(0, vgct_open(&a, 1, ZONE));
	ASSERT_EQ(0, vgc_driver_start(a, &dc));
	/* keep the driver busy around the fork */
	for (i = 0; i < 5000; i++) {
		void *p = vgc_alloc(a, OBJ, VGC_ZONE_GREEN);

		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, vgc_release(a, p));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(120);
		_exit(child_main(a));
	}
	for (i = 0; i < 1200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (i == 1200) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the parent's driver still runs */
	ASSERT_EQ(0, vgc_driver_stats(a, &st));
	EXPECT_EQ(1, st.running);
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
