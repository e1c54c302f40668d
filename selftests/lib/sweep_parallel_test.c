// SPDX-License-Identifier: GPL-2.0
/*
 * Per-partition checkpoints on the anonymous backend: while one partition's
 * sweep lock is held (as by a long sweep), a checkpoint of another
 * partition completes and one of the held partition waits; gp_seq and the
 * checkpoint count advance once per checkpoint.  A fork()ed child of an
 * arena opened with VGCU_ARENA_F_FORK_SHARED (the one mode in which parent
 * and child share the locks) that dies holding a partition's lock does not
 * stop the parent (robust mutexes).
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"
#include "../../lib/vgcu_int.h"

struct ck {
	struct vgc_arena *a;
	uint64_t mask;
	int err;
	volatile int done;
};

static void *ckpt_thread(void *arg)
{
	struct ck *c = arg;
	struct vgc_ckpt_opts o = { .partition_mask = c->mask,
				   .flags = VGC_CKPT_F_ALL_ZONES };

	c->err = vgc_checkpoint(c->a, &o, NULL);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Waits up to ms for c->done. */
static int wait_done(struct ck *c, unsigned int ms)
{
	struct timespec ts = { 0, 1000000 };

	while (ms--) {
		if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
			return 1;
		nanosleep(&ts, NULL);
	}
	return __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
}

static int open_anon_flags(struct vgc_arena **a, unsigned int flags)
{
	struct vgc_config cfg;
	unsigned int z;

	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	cfg.flags = flags;
	cfg.nr_partitions = vgct_cpus(cfg.cpus, 2);
	if (cfg.nr_partitions != 2)
		return -ENODEV;
	for (z = 0; z < VGC_NR_ZONES; z++)
		cfg.zone_bytes[z] = 1 << 20;
	return vgc_arena_open(&cfg, a);
}

static int open_anon(struct vgc_arena **a)
{
	return open_anon_flags(a, 0);
}

TEST(other_partition_sweeps_while_one_is_held)
{
	struct ck c1 = { .mask = 2 }, c0 = { .mask = 1 };
	struct vgc_stats st0, st1;
	struct vgc_arena *a;
	pthread_t t0, t1;
	int err = open_anon(&a);

	if (err == -ENODEV)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	ASSERT_NE(NULL, vgc_alloc(a, 64, VGC_ZONE_GREEN));
	ASSERT_EQ(0, vgc_arena_stats(a, &st0));
	c0.a = c1.a = a;

	vgcu_part_lock(a, 0);		/* a sweep of partition 0 in progress */
	ASSERT_EQ(0, pthread_create(&t1, NULL, ckpt_thread, &c1));
	ASSERT_EQ(0, pthread_create(&t0, NULL, ckpt_thread, &c0));
	/* partition 1 does not wait for partition 0 */
	EXPECT_TRUE(wait_done(&c1, 10000));
	EXPECT_EQ(0, c1.err);
	/* partition 0 does */
	EXPECT_FALSE(wait_done(&c0, 200));
	vgcu_part_unlock(a, 0);
	EXPECT_TRUE(wait_done(&c0, 10000));
	EXPECT_EQ(0, c0.err);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);

	ASSERT_EQ(0, vgc_arena_stats(a, &st1));
	EXPECT_EQ(st0.gp_seq + 2, st1.gp_seq);
	EXPECT_EQ(st0.checkpoints + 2, st1.checkpoints);
	vgc_arena_close(a);
}

TEST(child_dying_with_a_partition_lock_does_not_stop_the_parent)
{
	struct vgc_ckpt_opts o = { .partition_mask = 1 };
	struct vgc_arena *a;
	int st, err = open_anon_flags(&a, VGCU_ARENA_F_FORK_SHARED);
	pid_t pid;

	if (err == -ENODEV)
		SKIP(return, "needs two CPUs");
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		vgcu_part_lock(a, 0);
		vgcu_gp_lock(a);
		_exit(0);		/* dies holding both */
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, vgc_checkpoint(a, &o, NULL));
	o.partition_mask = 3;
	EXPECT_EQ(0, vgc_checkpoint(a, &o, NULL));
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
