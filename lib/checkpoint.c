// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Checkpoints.  The module backend asks the kernel (VGC_IOC_CHECKPOINT:
 * grace period, then each partition swept on its own CPU).  The anonymous
 * backend does the same work in the calling thread (vgcu_checkpoint_local), in the same order and
 * with the same statistics in the ctrl page: grace-period check (-EAGAIN
 * and the first blocker), gp_seq++, checkpoints++, the zone activation mask
 * of checkpoint n, then a sweep of every selected (zone, partition).  The
 * blocker scan, the mask and the statistics are the shared core's
 * (core/vgc_ckpt.c), the same code the module runs.
 *
 * Per-partition checkpoints (docs/design.md, Checkpoints): the anonymous
 * backend takes the locks of the checkpoint's partitions (ascending), then
 * the gp lock for the quorum check and the gp_seq/checkpoint-count update
 * only, and sweeps holding just its partitions' locks.  Two threads that
 * checkpoint different partitions sweep in parallel; for every partition,
 * the grace period of a checkpoint completes after the previous sweep of
 * that partition ended and before its own sweep starts, which is the
 * order the safety argument of Grace periods needs, per partition.
 */
#include <errno.h>
#include <string.h>
#include "vgcu_int.h"

int vgcu_sweep_locks_init(struct vgcu_sweep_locks *l, bool pshared)
{
	pthread_mutexattr_t at;
	unsigned int i;
	int err;

	err = pthread_mutexattr_init(&at);
	if (err)
		return -err;
	if (pshared) {
		pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	}
	err = pthread_mutex_init(&l->gp, &at);
	for (i = 0; !err && i < VGC_MAX_PARTITIONS; i++)
		err = pthread_mutex_init(&l->part[i], &at);
	pthread_mutexattr_destroy(&at);
	return -err;
}

void vgcu_sweep_locks_destroy(struct vgcu_sweep_locks *l)
{
	unsigned int i;

	pthread_mutex_destroy(&l->gp);
	for (i = 0; i < VGC_MAX_PARTITIONS; i++)
		pthread_mutex_destroy(&l->part[i]);
}

int vgcu_checkpoint_local(struct vgc_arena *a, const struct vgc_ckpt_opts *o,
			  struct vgc_checkpoint *res)
{
	struct vgc_ctrl *ctrl = a->ctrl;
	unsigned int z, p;
	uint64_t mask = o->partition_mask, gp, n, t0;
	__u32 zones, gens;
	int blk;

	if (!mask)
		mask = vgc_core_all_parts(a->nr_parts);
	memset(res, 0, sizeof(*res));
	res->size = sizeof(*res);
	res->flags = o->flags;
	res->partition_mask = mask;

	vgcu_parts_lock(a, mask);
	vgcu_gp_lock(a);
	gp = vgcu_load(&ctrl->gp_seq);
	/* NULL: the anonymous backend's slots say themselves who is in */
	blk = vgc_core_blocker(a->threads, a->nr_slots, gp, NULL, NULL);
	if (blk >= 0) {
		a->blocker_slot = (unsigned int)blk;
		a->blocker_tid = vgcu_load(&a->threads[blk].tid);
		res->blocker_slot = a->blocker_slot;
		res->blocker_tid = a->blocker_tid;
		res->gp_seq = gp;
		vgcu_gp_unlock(a);
		vgcu_parts_unlock(a, mask);
		return -EAGAIN;
	}
	/* every reader has passed a quiescent state: a grace period ended */
	vgcu_store(&ctrl->gp_seq, gp + 1);
	n = vgcu_load(&ctrl->checkpoints) + 1;
	vgcu_store(&ctrl->checkpoints, n);
	/* the sweeps need only their partitions' locks */
	vgcu_gp_unlock(a);

	vgc_core_activation(&a->cadence, n, o->flags, &zones, &gens);

	t0 = vgcu_now_ns();
	for (p = 0; p < a->nr_parts; p++) {
		if (!(mask & (1ULL << p)))
			continue;
		for (z = 0; z < VGC_NR_ZONES; z++) {
			struct vgc_region_stats *rs =
				&ctrl->regions[z * a->nr_parts + p];
			struct vgc_sweep_counts c;
			uint64_t s0, ns;

			if (!(zones & (1U << z)) ||
			    !a->regions[z * a->nr_parts + p].committed_granules)
				continue;
			memset(&c, 0, sizeof(c));
			s0 = vgcu_now_ns();
			vgcu_sweep_region(a, z, p, gens, VGC_SWEEP_AUTO,
					  o->flags, &c, rs);
			ns = vgcu_now_ns() - s0;
			vgc_core_region_account(rs, c.reclaimed,
						c.reclaimed_bytes, ns);
			vgc_core_counts_add(&res->counts, &c);
		}
	}
	res->sweep_ns = vgcu_now_ns() - t0;
	res->gp_seq = gp + 1;
	res->zones_evaluated = zones;
	res->gens_evaluated = gens;
	vgcu_parts_unlock(a, mask);
	return 0;
}

int vgc_checkpoint(struct vgc_arena *a, const struct vgc_ckpt_opts *opts,
		   struct vgc_checkpoint *result)
{
	struct vgc_ckpt_opts o = { 0 };
	struct vgc_checkpoint local;
	int err;

	if (opts)
		o = *opts;
	err = vgc_core_ckpt_check(o.flags, o.partition_mask, a->nr_parts);
	if (err)
		return err;
	vgcu_policy_before_checkpoint(a, &o);
	if (!result)
		result = &local;
	err = a->ops->checkpoint(a, &o, result);
	vgcu_pacer_seen(a, err, result);	/* the pacer sees every result */
	if (!err)
		vgcu_heap_after_checkpoint(a);	/* decommit, large objects */
	return err;
}

int vgc_arena_stats(const struct vgc_arena *a, struct vgc_stats *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return a->ops->stats(a, st);
}
