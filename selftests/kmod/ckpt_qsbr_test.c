// SPDX-License-Identifier: GPL-2.0
/*
 * Grace periods: a registered thread that never announces a quiescent state
 * blocks checkpoints (-EAGAIN naming it), announcing or going offline
 * unblocks them, and a killed child or a closed file leaves the quorum.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "../kselftest_harness.h"
#include "ckpt_util.h"

FIXTURE(qsbr) {
	struct ckpt_arena a;
};

FIXTURE_SETUP(qsbr)
{
	struct vgc_arena_params p;

	ckpt_params(&p, 2, VGC_SPAN_GRANULES, VGC_SPAN_GRANULES, 0);
	/* The children below register in the parent's quorum. */
	p.flags = VGC_ARENA_F_FORK_SHARED;
	ASSERT_EQ(0, ckpt_open(&self->a, &p));
}

FIXTURE_TEARDOWN(qsbr)
{
	ckpt_close(&self->a);
}

TEST_F(qsbr, never_announces_blocks)
{
	struct vgc_checkpoint ck;
	struct vgc_stats st;
	__u32 slot = ~0U, s2;

	ASSERT_EQ(0, ckpt_register(&self->a, 1, &slot));
	ASSERT_LT(slot, VGC_MAX_THREADS);
	EXPECT_EQ(1, self->a.slots[slot].in_use);
	EXPECT_EQ(1, self->a.slots[slot].online);
	EXPECT_EQ(1, self->a.slots[slot].partition);
	EXPECT_EQ((__u32)ckpt_gettid(), self->a.slots[slot].tid);
	EXPECT_EQ(1, self->a.ctrl->nr_threads);
	EXPECT_EQ(-EEXIST, ckpt_register(&self->a, 0, &s2));
	EXPECT_EQ(-EINVAL, ckpt_register(&self->a, 2, &s2));

	/* registration is a quiescent state for the current grace period */
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(1, ck.gp_seq);

	EXPECT_EQ(-EAGAIN, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(slot, ck.blocker_slot);
	EXPECT_EQ((__u32)ckpt_gettid(), ck.blocker_tid);
	EXPECT_EQ(1, ck.gp_seq);
	EXPECT_EQ(1, self->a.ctrl->gp_seq);
	EXPECT_EQ(-EAGAIN, ckpt_run(&self->a, VGC_CKPT_F_ALL_ZONES, 0, &ck));
	EXPECT_EQ(1, self->a.ctrl->checkpoints);

	ckpt_announce(&self->a, slot);
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(2, ck.gp_seq);
	EXPECT_EQ(-EAGAIN, ckpt_run(&self->a, 0, 0, &ck));

	/* offline threads hold no references and do not block */
	__atomic_store_n(&self->a.slots[slot].online, 0, __ATOMIC_RELEASE);
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	__atomic_store_n(&self->a.slots[slot].online, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(-EAGAIN, ckpt_run(&self->a, 0, 0, &ck));
	ckpt_announce(&self->a, slot);
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));

	EXPECT_EQ(-EINVAL, ckpt_unregister(&self->a, slot + 1));
	EXPECT_EQ(-EINVAL, ckpt_unregister(&self->a, VGC_MAX_THREADS));
	ASSERT_EQ(0, ckpt_unregister(&self->a, slot));
	EXPECT_EQ(0, self->a.slots[slot].in_use);
	EXPECT_EQ(-EINVAL, ckpt_unregister(&self->a, slot));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	ASSERT_EQ(0, ckpt_stats(&self->a, &st));
	EXPECT_EQ(0, st.nr_threads);
	EXPECT_EQ(0, st.dead_threads_dropped);
}

/* A forged in_use in the writable threads region registers nobody. */
TEST_F(qsbr, slot_forgery_ignored)
{
	struct vgc_checkpoint ck;

	self->a.slots[5].in_use = 1;
	self->a.slots[5].online = 1;
	self->a.slots[5].qs_seq = 77;
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
}

struct peer {
	struct ckpt_arena *a;
	__u32 slot;
	pid_t tid;
	int ret;
	pthread_barrier_t reg, done;
};

static void *peer_main(void *arg)
{
	struct peer *pe = arg;

	pe->tid = ckpt_gettid();
	pe->ret = ckpt_register(pe->a, 0, &pe->slot);
	pthread_barrier_wait(&pe->reg);
	pthread_barrier_wait(&pe->done);
	if (!pe->ret)
		pe->ret = ckpt_unregister(pe->a, pe->slot);
	return NULL;
}

TEST_F(qsbr, other_thread_blocks)
{
	struct vgc_checkpoint ck;
	struct peer pe = { .a = &self->a };
	pthread_t th;

	pthread_barrier_init(&pe.reg, NULL, 2);
	pthread_barrier_init(&pe.done, NULL, 2);
	ASSERT_EQ(0, pthread_create(&th, NULL, peer_main, &pe));
	pthread_barrier_wait(&pe.reg);
	ASSERT_EQ(0, pe.ret);

	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(-EAGAIN, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(pe.slot, ck.blocker_slot);
	EXPECT_EQ((__u32)pe.tid, ck.blocker_tid);
	ckpt_announce(&self->a, pe.slot);
	EXPECT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));

	pthread_barrier_wait(&pe.done);
	pthread_join(th, NULL);
	EXPECT_EQ(0, pe.ret);
	EXPECT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
}

/* A thread that exits without unregistering is dropped at checkpoint. */
static void *exit_main(void *arg)
{
	struct peer *pe = arg;

	pe->tid = ckpt_gettid();
	pe->ret = ckpt_register(pe->a, 1, &pe->slot);
	return NULL;
}

TEST_F(qsbr, exited_thread_dropped)
{
	struct vgc_checkpoint ck;
	struct peer pe = { .a = &self->a };
	struct vgc_stats st;
	pthread_t th;

	ASSERT_EQ(0, pthread_create(&th, NULL, exit_main, &pe));
	pthread_join(th, NULL);
	ASSERT_EQ(0, pe.ret);
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	ASSERT_EQ(0, ckpt_stats(&self->a, &st));
	EXPECT_EQ(0, st.nr_threads);
	EXPECT_EQ(1, st.dead_threads_dropped);
	EXPECT_EQ(0, self->a.slots[pe.slot].in_use);
}

/*
 * A forked child shares the arena, registers, and is SIGKILLed while it
 * blocks the grace period: reclamation goes on without it.
 */
TEST_F(qsbr, killed_child_does_not_block)
{
	const struct vgc_region *r = ckpt_region(&self->a, VGC_ZONE_RED, 0);
	__u64 i = r->first_granule + 9;
	struct vgc_checkpoint ck;
	struct vgc_stats st;
	int pfd[2], status, k;
	__u32 slot = ~0U;
	pid_t child;

	ASSERT_EQ(0, pipe(pfd));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		__u32 s;

		close(pfd[0]);
		if (ckpt_register(&self->a, 0, &s))
			s = ~0U;
		if (write(pfd[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(slot), read(pfd[0], &slot, sizeof(slot)));
	close(pfd[0]);
	ASSERT_LT(slot, VGC_MAX_THREADS);

	ckpt_alloc(&self->a, i, 1);
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_DEFERRED, ckpt_code(&self->a, i));
	EXPECT_EQ(-EAGAIN, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(slot, ck.blocker_slot);
	EXPECT_EQ((__u32)child, ck.blocker_tid);
	EXPECT_EQ(VGC_ST_DEFERRED, ckpt_code(&self->a, i));

	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	for (k = 0; k < 3; k++)
		ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(-1, ckpt_code(&self->a, i));
	ASSERT_EQ(0, ckpt_stats(&self->a, &st));
	EXPECT_EQ(1, st.dead_threads_dropped);
	EXPECT_EQ(0, st.nr_threads);
	EXPECT_EQ(1, st.reclaimed_objects);
}

/* A zombie (killed, not yet reaped) does not block either. */
TEST_F(qsbr, zombie_child_does_not_block)
{
	struct vgc_checkpoint ck;
	int pfd[2], status;
	__u32 slot;
	pid_t child;

	ASSERT_EQ(0, pipe(pfd));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		__u32 s;

		if (ckpt_register(&self->a, 1, &s))
			s = ~0U;
		if (write(pfd[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(slot), read(pfd[0], &slot, sizeof(slot)));
	close(pfd[0]);
	ASSERT_LT(slot, VGC_MAX_THREADS);
	/* wait for the exit without reaping */
	{
		siginfo_t si;

		ASSERT_EQ(0, waitid(P_PID, child, &si, WEXITED | WNOWAIT));
	}
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	ASSERT_EQ(child, waitpid(child, &status, 0));
}

TEST_HARNESS_MAIN
