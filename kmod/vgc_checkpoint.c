// SPDX-License-Identifier: GPL-2.0
/*
 * VGC checkpoints: one completed grace period, then a sweep of the chosen
 * partitions, each on its partition's own CPU so that it reads the plane
 * words that vgc_meta_alloc() placed on that CPU's node.
 *
 * The state logic is vgc_sweep_word() of <linux/vgc_state.h>, and the loop
 * around it the shared core's lean span sweep (core/vgc_sweep.h), both the
 * ones the library runs too.  Ownership (see <linux/vgc.h>): the sweep is the only
 * writer of S0..S2, checkpoints of an arena are serialised by arena->lock,
 * and partitions own disjoint words, so S0..S2 take plain stores.  ACCESS
 * and the request planes are taken with one exchange per non-zero word;
 * MUTATE is left alone for the profiler.  VALID of reclaimed slots is
 * cleared with an atomic AND-NOT after their S = 001 (free preset) is
 * visible, so an allocator that wins the slot sees a free, Active code.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/vgc_state.h>
#include "vgc_internal.h"
#include "vgc_sweep.h"
#include "vgc_trace.h"

/* Per-CPU sweeps; orchestration of async checkpoints runs unbound. */
static struct workqueue_struct *vgc_sweep_wq;
static struct workqueue_struct *vgc_ckpt_wq;

/* 1024 plane words between two cond_resched() */
#define VGC_SWEEP_RESCHED_SPANS	16

struct vgc_ckpt_batch;

struct vgc_sweep_job {
	struct work_struct work;
	struct vgc_ckpt_batch *batch;
	u32 partition;
	struct vgc_sweep_counts counts;
};

struct vgc_ckpt_batch {
	struct vgc_arena *arena;
	u32 zones;
	u32 gens;
	u32 sweep_flags;	/* VGC_CORE_SWEEP_* */
	atomic_t pending;
	struct completion done;
	struct vgc_sweep_job jobs[VGC_MAX_PARTITIONS];
};

/*
 * The words [w0, w1) of one generation segment, whole spans: the lean sweep
 * of the shared core (core/vgc_sweep.h), the loop the library runs too.
 */
static void vgc_sweep_words(struct vgc_arena *arena, u64 w0, u64 w1, u32 flags,
			    struct vgc_sweep_counts *c, u64 hist[VGC_NR_STATES])
{
	u64 s, s0 = w0 / VGC_SPAN_WORDS, s1 = w1 / VGC_SPAN_WORDS;
	bool tail = false;

	for (s = s0; s < s1; s++) {
		u64 *pl[VGC_NR_PLANES];
		u64 reclaimed = c->reclaimed;
		unsigned int p;
		u32 entry;

		/*
		 * Plane pages are not contiguous in the kernel (they are
		 * allocated as spans are committed): the core sweeps the
		 * span through pointers to its own 64 words, as span 0, and
		 * so gets the span's own summary as summary 0.
		 */
		for (p = 0; p < VGC_NR_PLANES; p++) {
			pl[p] = vgc_plane_word(arena, p, s * VGC_SPAN_WORDS);
			if (!pl[p])
				break;
		}
		/* Committed spans always have their plane pages. */
		if (WARN_ON_ONCE(p < VGC_NR_PLANES))
			continue;
		/*
		 * The span table and the summaries are user-writable: the core
		 * checks the class, and a corrupt summary only miscounts.
		 */
		entry = READ_ONCE(arena->spans[s]);
		vgc_core_sweep_span_sum(pl, &arena->sums[s], 0, entry, flags,
					c, hist);
		/* a large object's run counts whole */
		vgc_core_large_tail(entry, c->reclaimed - reclaimed, &tail, c);
		if (!((s - s0 + 1) % VGC_SWEEP_RESCHED_SPANS))
			cond_resched();
	}
}

static void vgc_sweep_region(struct vgc_arena *arena, struct vgc_region *r,
			     u32 gens, u32 flags, struct vgc_sweep_counts *c)
{
	struct vgc_region_stats *st =
		&arena->ctrl->regions[r->zone * arena->nr_partitions +
				      r->partition];
	u64 before = c->reclaimed, bytes_before = c->reclaimed_bytes;
	u64 t0, ns;
	unsigned int g, s;

	t0 = ktime_get_ns();
	for (g = 0; g < VGC_NR_GENS; g++) {
		u64 hist[VGC_NR_STATES] = { 0 };
		u64 w0 = r->gen_first[g] / VGC_PLANE_WORD_GRANULES;
		u64 nw = r->gen_granules[g] / VGC_PLANE_WORD_GRANULES;

		if (!(gens & BIT(g)))
			continue;
		vgc_sweep_words(arena, w0, w0 + nw, flags, c, hist);
		for (s = 0; s < VGC_NR_STATES; s++)
			WRITE_ONCE(st->states[g][s], hist[s]);
	}
	ns = ktime_get_ns() - t0;
	vgc_core_region_account(st, c->reclaimed - before,
				c->reclaimed_bytes - bytes_before, ns);
}

static void vgc_sweep_work(struct work_struct *work)
{
	struct vgc_sweep_job *job = container_of(work, struct vgc_sweep_job,
						 work);
	struct vgc_ckpt_batch *b = job->batch;
	struct vgc_arena *arena = b->arena;
	u64 t0 = ktime_get_ns();
	unsigned int z;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		struct vgc_region *r =
			&arena->regions[z * arena->nr_partitions +
					job->partition];

		if (!(b->zones & BIT(z)) || !r->committed_granules)
			continue;
		vgc_sweep_region(arena, r, b->gens, b->sweep_flags,
				 &job->counts);
	}
	/* Before the last reference to b (and arena) may go. */
	trace_vgc_sweep(arena, job->partition, &job->counts,
			ktime_get_ns() - t0);
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

int vgc_checkpoint_copy_in(const void __user *arg, struct vgc_checkpoint *ck,
			   u32 *usize)
{
	int ret;

	ret = vgc_copy_in(ck, sizeof(*ck), VGC_CHECKPOINT_SIZE_VER0, arg,
			  usize);
	if (ret)
		return ret;
	/* Flags now, the partition mask once the arena is known. */
	if (ck->flags & ~VGC_CKPT_F_FLAGS_ALL)
		return -EINVAL;
	if (memchr_inv(ck->reserved, 0, sizeof(ck->reserved)))
		return -EINVAL;
	return 0;
}

int vgc_checkpoint_copy_out(void __user *arg, const struct vgc_checkpoint *ck,
			    u32 usize)
{
	return vgc_copy_out(arg, ck, sizeof(*ck), usize);
}

long vgc_checkpoint_run(struct vgc_arena *arena, struct vgc_checkpoint *ck)
{
	u64 all_parts = vgc_core_all_parts(arena->nr_partitions);
	u64 mask = ck->partition_mask ? ck->partition_mask : all_parts;
	struct vgc_ckpt_batch *b;
	u32 slot = 0, tid = 0;
	unsigned int p;
	u64 n, t0, start;
	long ret;

	memset(&ck->counts, 0, sizeof(ck->counts));
	ck->blocker_slot = 0;
	ck->blocker_tid = 0;
	ck->sweep_ns = 0;
	ck->zones_evaluated = 0;
	ck->gens_evaluated = 0;
	ret = vgc_core_ckpt_check(ck->flags, ck->partition_mask,
				  arena->nr_partitions);
	if (ret)
		return ret;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;

	mutex_lock(&arena->lock);
	start = ktime_get_ns();
	/*
	 * What this checkpoint sweeps if its grace period is complete: it is
	 * then number checkpoints + 1, and the lock keeps it so.
	 */
	vgc_core_activation(&arena->cadence, arena->checkpoints + 1, ck->flags,
			    &b->zones, &b->gens);
	b->sweep_flags = ck->flags & VGC_CKPT_F_FULL ? VGC_CORE_SWEEP_FULL : 0;
	trace_vgc_checkpoint_begin(arena, ck, mask, b->zones, b->gens);
	vgc_threads_drop_dead(arena);
	ret = vgc_threads_blocker(arena, &slot, &tid);
	if (ret) {
		ck->blocker_slot = slot;
		ck->blocker_tid = tid;
		ck->gp_seq = arena->gp_seq;
		goto out;
	}
	/*
	 * The grace period is complete: open the next one, then sweep.
	 * Checkpoint number n (1-based) evaluates a cadence c iff n % c == 0.
	 */
	arena->gp_seq++;
	arena->checkpoints++;
	n = arena->checkpoints;
	/* Threads that read the new gp_seq find the sweep's view complete. */
	smp_store_release(&arena->ctrl->gp_seq, arena->gp_seq);
	WRITE_ONCE(arena->ctrl->checkpoints, n);

	b->arena = arena;
	init_completion(&b->done);
	atomic_set(&b->pending, 1);

	t0 = ktime_get_ns();
	for (p = 0; p < arena->nr_partitions; p++) {
		struct vgc_sweep_job *job = &b->jobs[p];
		unsigned int cpu = arena->params.cpus[p];

		if (!(mask & BIT_ULL(p)))
			continue;
		job->batch = b;
		job->partition = p;
		INIT_WORK(&job->work, vgc_sweep_work);
		atomic_inc(&b->pending);
		/*
		 * An offline CPU's worker would run unbound anyway; say so
		 * instead of relying on it.
		 */
		if (cpu_online(cpu))
			queue_work_on(cpu, vgc_sweep_wq, &job->work);
		else
			queue_work(vgc_sweep_wq, &job->work);
	}
	if (!atomic_dec_and_test(&b->pending))
		wait_for_completion(&b->done);
	ck->sweep_ns = ktime_get_ns() - t0;

	for (p = 0; p < arena->nr_partitions; p++)
		if (mask & BIT_ULL(p))
			vgc_core_counts_add(&ck->counts, &b->jobs[p].counts);
	arena->reclaimed_objects += ck->counts.reclaimed;
	arena->reclaimed_bytes += ck->counts.reclaimed_bytes;
	ck->gp_seq = arena->gp_seq;
	ck->zones_evaluated = b->zones;
	ck->gens_evaluated = b->gens;
out:
	trace_vgc_checkpoint_end(arena, ck, ret, ktime_get_ns() - start);
	mutex_unlock(&arena->lock);
	kfree(b);
	return ret;
}

int vgc_checkpoint_ioctl(struct vgc_arena *arena, void __user *arg)
{
	struct vgc_checkpoint ck;
	u32 usize;
	long ret;
	int cret;

	ret = vgc_checkpoint_copy_in(arg, &ck, &usize);
	if (ret)
		return ret;
	ret = vgc_checkpoint_run(arena, &ck);
	if (ret && ret != -EAGAIN)
		return ret;
	/* -EAGAIN carries the blocker back. */
	cret = vgc_checkpoint_copy_out(arg, &ck, usize);
	return cret ? cret : ret;
}

struct vgc_ckpt_async {
	struct work_struct work;
	struct list_head node;		/* arena->async_queued, until started */
	struct vgc_arena *arena;
	struct vgc_checkpoint *ck;
	void (*done)(void *ctx, long res);
	void *ctx;
};

static void vgc_ckpt_async_free(struct vgc_ckpt_async *as)
{
	struct vgc_arena *arena = as->arena;

	kfree(as);
	atomic_dec(&arena->async_inflight);
	vgc_arena_put(arena);
}

static void vgc_ckpt_async_work(struct work_struct *work)
{
	struct vgc_ckpt_async *as = container_of(work, struct vgc_ckpt_async,
						 work);
	struct vgc_arena *arena = as->arena;
	bool cancelled;
	long res;

	/* Off the queue: from here on vgc_checkpoint_cancel() says no. */
	spin_lock(&arena->async_lock);
	cancelled = list_empty(&as->node);
	list_del_init(&as->node);
	spin_unlock(&arena->async_lock);
	if (!cancelled) {
		res = vgc_checkpoint_run(arena, as->ck);
		as->done(as->ctx, res);
	}
	vgc_ckpt_async_free(as);
}

int vgc_checkpoint_start(struct vgc_arena *arena, struct vgc_checkpoint *ck,
			 void (*done)(void *ctx, long res), void *ctx)
{
	struct vgc_ckpt_async *as;

	/*
	 * Backpressure: a submitter that never waits must not queue
	 * unbounded work that an exiting ring would then have to drain.
	 */
	if (atomic_inc_return(&arena->async_inflight) > VGC_CKPT_MAX_INFLIGHT) {
		atomic_dec(&arena->async_inflight);
		return -EBUSY;
	}
	as = kzalloc(sizeof(*as), GFP_KERNEL);
	if (!as) {
		atomic_dec(&arena->async_inflight);
		return -ENOMEM;
	}
	INIT_WORK(&as->work, vgc_ckpt_async_work);
	as->arena = arena;
	as->ck = ck;
	as->done = done;
	as->ctx = ctx;
	vgc_arena_get(arena);
	spin_lock(&arena->async_lock);
	list_add_tail(&as->node, &arena->async_queued);
	spin_unlock(&arena->async_lock);
	queue_work(vgc_ckpt_wq, &as->work);
	return 0;
}

bool vgc_checkpoint_cancel(struct vgc_arena *arena, void *ctx)
{
	struct vgc_ckpt_async *as;
	bool found = false;

	spin_lock(&arena->async_lock);
	list_for_each_entry(as, &arena->async_queued, node) {
		if (as->ctx == ctx) {
			/* The worker finds it unlinked and only frees it. */
			list_del_init(&as->node);
			found = true;
			break;
		}
	}
	spin_unlock(&arena->async_lock);
	return found;
}

int vgc_checkpoint_init(void)
{
	vgc_sweep_wq = alloc_workqueue("vgc_sweep", 0, 0);
	if (!vgc_sweep_wq)
		return -ENOMEM;
	vgc_ckpt_wq = alloc_workqueue("vgc_ckpt", WQ_UNBOUND, 0);
	if (!vgc_ckpt_wq) {
		destroy_workqueue(vgc_sweep_wq);
		return -ENOMEM;
	}
	return 0;
}

void vgc_checkpoint_exit(void)
{
	destroy_workqueue(vgc_ckpt_wq);
	destroy_workqueue(vgc_sweep_wq);
}
