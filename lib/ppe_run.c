// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE runs: the checks of a job, its boundaries and stacks, the dispatch
 * to the workers; allocation inside a body.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppe_int.h"

/* ---- running ------------------------------------------------------------ */

VGCU_API int vgc_ppe_run(struct vgc_ppe *ppe, struct vgc_ppe_job *job)
{
	uint64_t ub[VGC_MAX_PARTITIONS + 1];
	unsigned char respawn[VGC_MAX_PARTITIONS];
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
			void *p = NULL;

			if (posix_memalign(&p, 64, units * stride)) {
				err = -ENOMEM;
				ppe_set_msg("no memory for %llu block results",
					    (unsigned long long)units);
				goto out;
			}
			free(ppe->blk);
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
	/* deep recursion: every worker's stack must hold its partition */
	memset(respawn, 0, sizeof(respawn));
	for (i = 0; i < ppe->nr && job->stack_per_index; i++) {
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
	atomic_store(&ppe->pending.word, ppe->nr);
	atomic_fetch_add(&ppe->gen.word, 1);
	ppe_ev_wake(&ppe->gen);
	ppe_wait_pending(ppe);
	t1 = (double)vgcu_now_ns();

	/* the Sub-Allocator Aggregator: fold in index order */
	ppe_fold(ppe, job, units);
	ppe->job = NULL;
	err = ppe_collect(ppe, t0, t1, err);
	ppe->have_stats = 1;
	ppe_rebalance_locked(ppe, !!(ppe->flags & VGC_PPE_F_REBALANCE));
out:
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
