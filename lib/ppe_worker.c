// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE workers: one thread per partition, pinned to its CPU, registered in
 * the arena and offline between runs.  Workers wait on a generation
 * counter, the caller on a pending counter, both the same way: poll with
 * pause, then poll with sched_yield(), then sleep on the futex (the
 * phases' lengths are ppe_wait, from VGC_PPE_SPIN and VGC_PPE_YIELD).
 * Partition 0 normally runs on the calling thread (ppe_run.c); its worker
 * waits on a generation of its own and is woken only when it must run.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ppe_int.h"

/* ---- waiting ------------------------------------------------------------ */

/* CPU time of the calling thread in nanoseconds. */
static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void futex_wait(_Atomic unsigned int *addr, unsigned int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Wakes the sleepers of ev; no system call when nobody sleeps. */
void ppe_ev_wake(struct ppe_event *ev)
{
	if (atomic_load(&ev->sleepers))
		syscall(SYS_futex, &ev->word, FUTEX_WAKE_PRIVATE, INT_MAX,
			NULL, NULL, 0);
}

/*
 * Waits until ev->word != val: polls with pause for ppe_wait.spin_ns
 * (skipped when shared: the CPU has other work of ours to run), then
 * with sched_yield() for ppe_wait.yield_ns, then sleeps.  The clock is
 * read every 64 pauses, so the phases last the same time on every CPU
 * whatever a pause costs there.
 */
static void ev_wait(struct ppe_event *ev, unsigned int val, int shared)
{
	uint64_t t0, spin = shared ? 0 : ppe_wait.spin_ns;
	unsigned int i;

	if (spin) {
		t0 = vgcu_now_ns();
		for (i = 1;; i++) {
			if (atomic_load_explicit(&ev->word,
						 memory_order_acquire) != val)
				return;
			cpu_relax();
			if (!(i & 63) && vgcu_now_ns() - t0 >= spin)
				break;
		}
	}
	if (ppe_wait.yield_ns) {
		t0 = vgcu_now_ns();
		for (;;) {
			if (atomic_load_explicit(&ev->word,
						 memory_order_acquire) != val)
				return;
			sched_yield();
			if (vgcu_now_ns() - t0 >= ppe_wait.yield_ns)
				break;
		}
	}
	/* seq_cst pairs with the waker's update-then-check of sleepers */
	atomic_fetch_add(&ev->sleepers, 1);
	while (atomic_load(&ev->word) == val)
		futex_wait(&ev->word, val);
	atomic_fetch_sub(&ev->sleepers, 1);
}

/* One worker done: the last one wakes the dispatcher. */
static void ev_done(struct ppe_event *ev)
{
	if (atomic_fetch_sub(&ev->word, 1) == 1)
		ppe_ev_wake(ev);
}

/* ---- workers ------------------------------------------------------------ */

void ppe_run_part(struct vgc_ppe *ppe, struct ppe_worker *w)
{
	struct vgc_ppe_job *job = ppe->job;
	uint64_t b = ppe->bounds[w->index], e = ppe->bounds[w->index + 1];
	int cpu_clock = !(ppe->flags & VGC_PPE_F_NO_CPU_TIME);
	double t0, c0;
	int err = 0;

	w->cpu_seen = sched_getcpu();
	w->part.begin = b;
	w->part.end = e;
	w->part.mem_bytes = 0;
	w->part.nr_allocs = 0;
	w->part.error = 0;
	t0 = (double)vgcu_now_ns();
	c0 = cpu_clock ? thread_cpu_ns() : 0;
	if (b < e && !job->block) {
		if (job->result_size)
			memcpy(w->slot, job->result, job->result_size);
		err = job->body(&w->part, b, e, w->slot, job->arg);
	} else if (b < e) {
		uint64_t k = (b - job->begin) / job->block;

		for (; b < e && !err; b += job->block, k++) {
			void *slot = ppe->blk + k * ppe->blk_stride;
			uint64_t be = e - b > job->block ? b + job->block : e;

			if (job->result_size)
				memcpy(slot, job->result, job->result_size);
			err = job->body(&w->part, b, be, slot, job->arg);
		}
	}
	w->wall_ns = (double)vgcu_now_ns() - t0;
	w->cpu_ns = cpu_clock ? thread_cpu_ns() - c0 : w->wall_ns;
	if (err && !w->part.error)
		w->part.error = err;
}

static void *worker_main(void *arg)
{
	struct ppe_worker *w = arg;
	struct vgc_ppe *ppe = w->ppe;
	unsigned int seen;
	cpu_set_t set;

	ppe_tls_self = (int)w->index;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	/* the attribute pinned us already; this catches a racing cpuset */
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	memset(w->slot, 0, sizeof(w->slot));	/* first touch: local node */
	if (ppe->arena) {
		int r = vgc_thread_register(ppe->arena, w->arena_part);

		if (r < 0) {
			w->init_err = r;
		} else {
			struct vgcu_tctx *t = vgcu_tctx(ppe->arena, false);

			/* the partition it got: the caller registers the same */
			if (t && t->partition >= 0)
				w->arena_part = t->partition;
			w->part.arena = ppe->arena;
			vgc_thread_offline(ppe->arena);
		}
	}
	seen = atomic_load_explicit(&w->ev->word, memory_order_acquire);
	ev_done(&ppe->pending);
	if (w->init_err)
		return NULL;
	for (;;) {
		/* pausing on the caller's CPU would keep the caller off it */
		ev_wait(w->ev, seen, w->shared ||
			atomic_load_explicit(&ppe->caller_cpu,
					     memory_order_relaxed) == w->cpu);
		seen = atomic_load_explicit(&w->ev->word, memory_order_acquire);
		if (w->quit)
			break;
		if (ppe->job) {
			if (w->part.arena)
				vgc_thread_online(ppe->arena);
			ppe_run_part(ppe, w);
			if (w->part.arena) {
				vgc_quiescent(ppe->arena);
				vgc_thread_offline(ppe->arena);
			}
		}
		ev_done(&ppe->pending);
	}
	if (w->part.arena) {
		vgc_thread_online(ppe->arena);
		vgc_thread_unregister(ppe->arena);
	}
	ev_done(&ppe->pending);
	return NULL;
}

void ppe_wait_pending(struct vgc_ppe *ppe, int shared)
{
	unsigned int v;

	while ((v = atomic_load_explicit(&ppe->pending.word,
					 memory_order_acquire)) != 0)
		ev_wait(&ppe->pending, v, shared);
}

/* Starts the workers in mask; the caller has set pending to their count. */
int ppe_spawn(struct vgc_ppe *ppe, const unsigned char *mask)
{
	unsigned int i, started = 0;
	int err = 0;

	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];
		pthread_attr_t attr;
		cpu_set_t set;
		int r;

		if (!mask[i])
			continue;
		w->quit = 0;
		w->init_err = 0;
		w->part.arena = NULL;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, w->stack);
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		r = pthread_create(&w->thread, &attr, worker_main, w);
		pthread_attr_destroy(&attr);
		if (r) {
			ppe_set_msg("pthread_create (stack %zu bytes, CPU %d): %s",
				    w->stack, w->cpu, strerror(r));
			atomic_fetch_sub(&ppe->pending.word, 1);
			if (!err)
				err = -r;
			continue;
		}
		w->started = 1;
		started++;
	}
	ppe_wait_pending(ppe, 1);
	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];

		if (mask[i] && w->started && w->init_err) {
			if (!err) {
				err = w->init_err;
				ppe_set_msg("partition %u: vgc_thread_register: %s",
					    i, vgc_strerror(err));
			}
			pthread_join(w->thread, NULL);
			w->started = 0;
		}
	}
	(void)started;
	return err;
}

/* Stops the workers in mask (all started ones when mask is NULL). */
void ppe_stop(struct vgc_ppe *ppe, const unsigned char *mask)
{
	unsigned int i, n = 0;

	for (i = 0; i < ppe->nr; i++) {
		if (!ppe->w[i].started)
			continue;
		if (mask && !mask[i])
			continue;
		ppe->w[i].quit = 1;
	}
	for (i = 0; i < ppe->nr; i++)
		if (ppe->w[i].started)
			n++;
	if (!n)
		return;
	ppe->job = NULL;
	atomic_store(&ppe->pending.word, n);
	atomic_fetch_add(&ppe->gen0.word, 1);
	atomic_fetch_add(&ppe->gen.word, 1);
	ppe_ev_wake(&ppe->gen0);
	ppe_ev_wake(&ppe->gen);
	ppe_wait_pending(ppe, 1);
	for (i = 0; i < ppe->nr; i++) {
		if (ppe->w[i].started && ppe->w[i].quit) {
			pthread_join(ppe->w[i].thread, NULL);
			ppe->w[i].started = 0;
		}
	}
}
