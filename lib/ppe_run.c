// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE runs: the checks of a job, its boundaries and stacks, the dispatch
 * to the workers, partition 0 on the calling thread; allocation inside a
 * body.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppe_int.h"

/* ---- partition 0 on the calling thread ---------------------------------- */

struct ppe_caller {
	int run;		/* the caller runs partition 0 */
	int restore;		/* its affinity was narrowed: restore saved */
	int online;		/* it went online in the arena for the run */
	cpu_set_t saved;
};

/* Lowest address of the calling thread's stack; 0 unknown, 1 unknowable. */
static __thread uintptr_t caller_stack_lo;

static size_t caller_stack_room(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (!caller_stack_lo) {
		pthread_attr_t attr;
		void *addr;
		size_t size;

		caller_stack_lo = 1;
		if (!pthread_getattr_np(pthread_self(), &attr)) {
			if (!pthread_attr_getstack(&attr, &addr, &size) && addr)
				caller_stack_lo = (uintptr_t)addr;
			pthread_attr_destroy(&attr);
		}
	}
	return caller_stack_lo > 1 && sp > caller_stack_lo ?
	       sp - caller_stack_lo : 0;
}

/*
 * Whether the calling thread can run partition 0 as its worker would: its
 * stack holds the partition, it allocates from partition 0's arena
 * partition (registered there, in the pool's own arena at its first run),
 * and it runs on partition 0's CPU (moved there for the run when it is
 * elsewhere and allowed there).  Brings it online for the run.
 */
static int caller_enter(struct vgc_ppe *ppe, const struct vgc_ppe_job *job,
			struct ppe_caller *c)
{
	struct ppe_worker *w = &ppe->w[0];
	struct vgcu_tctx *t = NULL;

	c->run = c->restore = c->online = 0;
	if (ppe->flags & VGC_PPE_F_NO_CALLER)
		return 0;
	if (job->stack_per_index) {
		uint64_t len = ppe->bounds[1] - ppe->bounds[0];

		if (len > (SIZE_MAX - PPE_STACK_SLACK) / job->stack_per_index ||
		    len * job->stack_per_index + PPE_STACK_SLACK >
		    caller_stack_room())
			return 0;
	}
	if (w->part.arena) {
		t = vgcu_tctx(ppe->arena, true);
		if (!t)
			return 0;
		if (t->slot < 0) {
			/* a given arena is the application's to register in */
			if (!ppe->own_arena ||
			    vgc_thread_register(ppe->arena, w->arena_part) < 0)
				return 0;
			vgc_thread_offline(ppe->arena);
		}
		if (t->partition != w->arena_part || !t->ts)
			return 0;
	}
	if (sched_getcpu() != w->cpu) {
		cpu_set_t one;

		if (sched_getaffinity(0, sizeof(c->saved), &c->saved) ||
		    !CPU_ISSET(w->cpu, &c->saved))
			return 0;
		CPU_ZERO(&one);
		CPU_SET(w->cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			return 0;
		c->restore = 1;
	}
	if (t && !vgcu_load(&t->ts->online)) {
		vgc_thread_online(ppe->arena);
		c->online = 1;
	}
	c->run = 1;
	return 1;
}

/* After the caller's body: offline again, its own affinity back. */
static void caller_leave(struct vgc_ppe *ppe, struct ppe_caller *c)
{
	if (c->online) {
		vgc_quiescent(ppe->arena);
		vgc_thread_offline(ppe->arena);
		c->online = 0;
	}
	if (c->restore) {
		sched_setaffinity(0, sizeof(c->saved), &c->saved);
		c->restore = 0;
	}
}

/* ---- running ------------------------------------------------------------ */

VGCU_API int vgc_ppe_run(struct vgc_ppe *ppe, struct vgc_ppe_job *job)
{
	uint64_t ub[VGC_MAX_PARTITIONS + 1];
	unsigned char respawn[VGC_MAX_PARTITIONS];
	struct ppe_caller c = { 0 };
	uint64_t n, units;
	unsigned int i, need_respawn = 0;
	double t0, t1;
	int err = 0;

	ppe_tls_msg[0] = 0;
	if (!ppe || !job || !job->body) {
		ppe_set_msg("vgc_ppe_run: NULL pool, job or body");
		return -EINVAL;
	}
	if (ppe_tls_self >= 0) {
		ppe_set_msg("vgc_ppe_run called from PPE worker %d", ppe_tls_self);
		return -EBUSY;
	}
	if (ppe->owner != getpid()) {
		ppe_set_msg("pool of process %d used in process %d: after fork() "
			    "its workers exist only in the parent",
			    (int)ppe->owner, (int)getpid());
		return -ESRCH;
	}
	if (job->end <= job->begin) {
		ppe_set_msg("empty range [%llu, %llu): nothing to partition",
			    (unsigned long long)job->begin,
			    (unsigned long long)job->end);
		return -ENODATA;
	}
	if (job->result_size > PPE_MAX_RESULT ||
	    (job->result_size && !job->result)) {
		ppe_set_msg("result_size %zu: at most %d bytes, and result must be set",
			    job->result_size, PPE_MAX_RESULT);
		return -EINVAL;
	}
	n = job->end - job->begin;
	units = job->block ? (n + job->block - 1) / job->block : n;

	pthread_mutex_lock(&ppe->lock);
	if (job->block && job->result_size) {
		size_t stride = (job->result_size + 63) & ~(size_t)63;

		if (units > SIZE_MAX / stride) {
			err = -E2BIG;
			ppe_set_msg("%llu blocks do not fit in memory",
				    (unsigned long long)units);
			goto out;
		}
		if (units * stride > ppe->blk_cap) {
			/* page aligned, so cache-line aligned */
			void *p = vgcu_meta_alloc(units * stride);

			if (!p) {
				err = -ENOMEM;
				ppe_set_msg("no memory for %llu block results",
					    (unsigned long long)units);
				goto out;
			}
			vgcu_meta_free(ppe->blk, ppe->blk_cap);
			ppe->blk = p;
			ppe->blk_cap = units * stride;
		}
		ppe->blk_stride = stride;
	}
	ppe_make_bounds(ppe, units, ub);
	for (i = 0; i <= ppe->nr; i++) {
		uint64_t b = job->block ? ub[i] * job->block : ub[i];

		ppe->bounds[i] = job->begin + (b > n ? n : b);
	}
	caller_enter(ppe, job, &c);
	/* deep recursion: every worker's stack must hold its partition */
	memset(respawn, 0, sizeof(respawn));
	for (i = c.run ? 1 : 0; i < ppe->nr && job->stack_per_index; i++) {
		uint64_t len = ppe->bounds[i + 1] - ppe->bounds[i];
		size_t want;

		if (len > (SIZE_MAX - PPE_STACK_SLACK) / job->stack_per_index) {
			err = -E2BIG;
			ppe_set_msg("partition %u needs more stack than fits", i);
			goto out;
		}
		want = len * job->stack_per_index + PPE_STACK_SLACK;
		want = (want + (1UL << 20) - 1) & ~((1UL << 20) - 1);
		if (ppe->w[i].stack < want) {
			ppe->w[i].stack = want;
			respawn[i] = 1;
			need_respawn++;
		}
	}
	if (need_respawn) {
		ppe_stop(ppe, respawn);
		atomic_store(&ppe->pending.word, need_respawn);
		err = ppe_spawn(ppe, respawn);
		if (err < 0)
			goto out;
	}

	t0 = (double)vgcu_now_ns();
	ppe->job = job;
	atomic_store_explicit(&ppe->caller_cpu,
			      c.run ? ppe->w[0].cpu : sched_getcpu(),
			      memory_order_relaxed);
	if (c.run) {
		/* one FUTEX_WAKE (none while they poll) for workers 1..P-1 */
		if (ppe->nr > 1) {
			atomic_store(&ppe->pending.word, ppe->nr - 1);
			atomic_fetch_add(&ppe->gen.word, 1);
			ppe_ev_wake(&ppe->gen);
		}
		ppe_tls_self = 0;
		ppe_run_part(ppe, &ppe->w[0]);
		ppe_tls_self = -1;
		caller_leave(ppe, &c);
		if (ppe->nr > 1)
			ppe_wait_pending(ppe, ppe->caller_shared);
	} else {
		atomic_store(&ppe->pending.word, ppe->nr);
		atomic_fetch_add(&ppe->gen0.word, 1);
		atomic_fetch_add(&ppe->gen.word, 1);
		ppe_ev_wake(&ppe->gen0);
		ppe_ev_wake(&ppe->gen);
		/* the caller may share a CPU with any of them: yield */
		ppe_wait_pending(ppe, 1);
	}
	t1 = (double)vgcu_now_ns();

	/* the Sub-Allocator Aggregator: fold in index order */
	ppe_fold(ppe, job, units);
	ppe->job = NULL;
	err = ppe_collect(ppe, t0, t1, err);
	ppe->have_stats = 1;
	ppe_rebalance_locked(ppe, !!(ppe->flags & VGC_PPE_F_REBALANCE));
out:
	caller_leave(ppe, &c);
	pthread_mutex_unlock(&ppe->lock);
	return err;
}

/* ---- allocation inside a body ------------------------------------------- */

VGCU_API void *vgc_ppe_alloc_zone(struct vgc_ppe_part *part, size_t size,
				  enum vgc_zone zone)
{
	void *p;

	if (!part || !part->arena) {
		errno = part ? ENXIO : EINVAL;
		return NULL;
	}
	p = vgc_alloc(part->arena, size, zone);
	if (p) {
		part->mem_bytes += (size + VGC_GRANULE_SIZE - 1) &
				   ~(size_t)(VGC_GRANULE_SIZE - 1);
		part->nr_allocs++;
	}
	return p;
}

VGCU_API void *vgc_ppe_alloc(struct vgc_ppe_part *part, size_t size)
{
	return vgc_ppe_alloc_zone(part, size, VGC_ZONE_GREEN);
}
