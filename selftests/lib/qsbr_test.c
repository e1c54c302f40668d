// SPDX-License-Identifier: GPL-2.0
/*
 * Grace periods: registration, a thread that never announces a quiescent
 * state blocks checkpoints (and is named as the blocker), offline threads
 * do not, an exited thread leaves the quorum, a released object held by a
 * registered reader is not reclaimed until the reader has passed two
 * quiescent states, and a thread can be registered with several arenas.
 */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

enum cmd { C_NONE, C_QUIESCE, C_OFFLINE, C_ONLINE, C_EXIT, C_UNREG };

struct peer {
	struct vgc_arena *a;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	enum cmd cmd;
	unsigned int done;		/* commands completed */
	int reg_err;
	pid_t tid;
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	int run = 1;

	p->tid = gettid();
	p->reg_err = vgc_thread_register(p->a, 0);
	pthread_mutex_lock(&p->lock);
	p->done++;
	pthread_cond_broadcast(&p->cv);
	while (run) {
		while (p->cmd == C_NONE)
			pthread_cond_wait(&p->cv, &p->lock);
		switch (p->cmd) {
		case C_QUIESCE:
			vgc_quiescent(p->a);
			break;
		case C_OFFLINE:
			vgc_thread_offline(p->a);
			break;
		case C_ONLINE:
			vgc_thread_online(p->a);
			break;
		case C_UNREG:
			vgc_thread_unregister(p->a);
			break;
		case C_EXIT:
		case C_NONE:
			run = 0;
			break;
		}
		p->cmd = C_NONE;
		p->done++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void peer_start(struct peer *p, struct vgc_arena *a)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_create(&p->th, NULL, peer_main, p);
	pthread_mutex_lock(&p->lock);
	while (!p->done)
		pthread_cond_wait(&p->cv, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void peer_do(struct peer *p, enum cmd c)
{
	unsigned int want;

	pthread_mutex_lock(&p->lock);
	want = p->done + 1;
	p->cmd = c;
	pthread_cond_broadcast(&p->cv);
	while (p->done < want)
		pthread_cond_wait(&p->cv, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void peer_exit(struct peer *p)
{
	peer_do(p, C_EXIT);
	pthread_join(p->th, NULL);
}

FIXTURE(q) {
	struct vgc_arena *a;
};

FIXTURE_SETUP(q)
{
	int err = vgct_open(&self->a, 1, 1 << 20);

	ASSERT_EQ(0, err) TH_LOG("open: %s", vgc_strerror(err));
}

FIXTURE_TEARDOWN(q)
{
	vgc_arena_close(self->a);
}

TEST_F(q, register_unregister)
{
	ASSERT_EQ(-ESRCH, vgc_thread_unregister(self->a));
	ASSERT_EQ(-ERANGE, vgc_thread_register(self->a, 64));
	ASSERT_EQ(0, vgc_thread_register(self->a, 0));
	ASSERT_EQ(-EEXIST, vgc_thread_register(self->a, 0));
	ASSERT_EQ(0, vgc_thread_partition(self->a));
	ASSERT_EQ(1, vgc_arena_ctrl(self->a)->nr_threads);
	/* a registered caller announces its own quiescent state first */
	vgc_quiescent(self->a);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	ASSERT_EQ(-EAGAIN, vgc_checkpoint(self->a, NULL, NULL));
	vgc_quiescent(self->a);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	ASSERT_EQ(0, vgc_thread_unregister(self->a));
	ASSERT_EQ(-ESRCH, vgc_thread_unregister(self->a));
	ASSERT_EQ(0, vgc_arena_ctrl(self->a)->nr_threads);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
}

TEST_F(q, silent_thread_blocks_and_is_named)
{
	struct vgc_checkpoint r;
	unsigned int slot, tid;
	struct peer p;
	uint64_t gp;

	peer_start(&p, self->a);
	ASSERT_EQ(0, p.reg_err);
	/* registration counts as a quiescent state */
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, &r));
	gp = r.gp_seq;
	ASSERT_EQ(-EAGAIN, vgc_checkpoint(self->a, NULL, &r));
	ASSERT_EQ((unsigned int)p.tid, r.blocker_tid);
	ASSERT_EQ(0, vgc_blocker(self->a, &slot, &tid));
	ASSERT_EQ((unsigned int)p.tid, tid);
	ASSERT_EQ(r.blocker_slot, slot);
	ASSERT_EQ(gp, vgc_arena_ctrl(self->a)->gp_seq);

	peer_do(&p, C_QUIESCE);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, &r));
	ASSERT_EQ(gp + 1, r.gp_seq);
	ASSERT_EQ(-EAGAIN, vgc_checkpoint(self->a, NULL, NULL));

	/* offline threads hold nothing and block nothing */
	peer_do(&p, C_OFFLINE);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	peer_do(&p, C_ONLINE);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	ASSERT_EQ(-EAGAIN, vgc_checkpoint(self->a, NULL, NULL));

	/* an exited thread leaves the quorum */
	peer_exit(&p);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL));
	ASSERT_EQ(0, vgc_arena_ctrl(self->a)->nr_threads);
}

TEST_F(q, reader_holds_off_reclamation)
{
	struct vgc_checkpoint r;
	struct peer p;
	uint64_t *x;
	unsigned int i;

	x = vgc_alloc(self->a, 64, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, x);
	x[0] = 0xfeedfacecafebeefULL;
	/* the reader takes its reference (registration = quiescent) */
	peer_start(&p, self->a);
	ASSERT_EQ(0, p.reg_err);
	ASSERT_EQ(0, vgc_release(self->a, x));
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, &r));	/* -> 101 */
	ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(self->a, x));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(-EAGAIN, vgc_checkpoint(self->a, NULL, NULL));
		ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(self->a, x));
	}
	peer_do(&p, C_QUIESCE);					/* drops x */
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, &r));	/* -> 110 */
	ASSERT_EQ(VGC_ST_MARKED, vgc_state(self->a, x));
	ASSERT_EQ(-EAGAIN, vgc_checkpoint(self->a, NULL, NULL));
	peer_do(&p, C_QUIESCE);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, &r));	/* -> 111 */
	ASSERT_EQ(0xfeedfacecafebeefULL, x[0]);
	peer_do(&p, C_QUIESCE);
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, &r));	/* reclaimed */
	ASSERT_EQ(1, r.counts.reclaimed);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, x));
	peer_do(&p, C_UNREG);
	peer_exit(&p);
}

TEST(several_arenas_per_thread)
{
	struct vgc_arena *a, *b;

	ASSERT_EQ(0, vgct_open(&a, 1, 1 << 20));
	ASSERT_EQ(0, vgct_open(&b, 1, 1 << 20));
	ASSERT_EQ(0, vgc_thread_register(a, 0));
	ASSERT_EQ(0, vgc_thread_register(b, 0));
	vgc_quiescent(a);
	vgc_quiescent(b);
	ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(0, vgc_checkpoint(b, NULL, NULL));
	vgc_quiescent(a);
	ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(-EAGAIN, vgc_checkpoint(b, NULL, NULL));
	vgc_thread_offline(b);
	ASSERT_EQ(0, vgc_checkpoint(b, NULL, NULL));
	ASSERT_EQ(0, vgc_thread_unregister(a));
	ASSERT_EQ(-EEXIST, vgc_thread_register(b, 0));
	vgc_arena_close(a);
	ASSERT_EQ(0, vgc_thread_unregister(b));
	vgc_arena_close(b);
}

TEST_HARNESS_MAIN
