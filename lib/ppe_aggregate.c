// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE aggregation: the Sub-Allocator Aggregator folds the partitions' (or
 * blocks') results in index order, so that a run's result does not depend
 * on where the boundaries lie; then the run's statistics.
 */
#include <errno.h>
#include <string.h>

#include "ppe_int.h"

void ppe_fold(struct vgc_ppe *ppe, struct vgc_ppe_job *job, uint64_t units)
{
	unsigned char acc[PPE_MAX_RESULT];
	unsigned int i;

	if (!job->combine || !job->result_size)
		return;
	memcpy(acc, job->result, job->result_size);
	if (job->block) {
		uint64_t k;

		for (k = 0; k < units; k++)
			job->combine(acc, ppe->blk + k * ppe->blk_stride,
				     job->arg);
	} else {
		for (i = 0; i < ppe->nr; i++)
			if (ppe->bounds[i] < ppe->bounds[i + 1])
				job->combine(acc, ppe->w[i].slot, job->arg);
	}
	memcpy(job->result, acc, job->result_size);
}

int ppe_collect(struct vgc_ppe *ppe, double t0, double t1, int err)
{
	unsigned int i;

	memset(&ppe->stats, 0, sizeof(ppe->stats));
	ppe->stats.nr_partitions = ppe->nr;
	ppe->stats.wall_ns = (double)vgcu_now_ns() - t0;
	ppe->stats.aggregate_ns = ppe->stats.wall_ns - (t1 - t0);
	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];

		ppe->stats.part[i].begin = ppe->bounds[i];
		ppe->stats.part[i].end = ppe->bounds[i + 1];
		ppe->stats.part[i].cpu = w->cpu;
		ppe->stats.part[i].cpu_seen = w->cpu_seen;
		ppe->stats.part[i].cpu_ns = w->cpu_ns;
		ppe->stats.part[i].wall_ns = w->wall_ns;
		ppe->stats.part[i].mem_bytes = w->part.mem_bytes;
		ppe->stats.part[i].nr_allocs = w->part.nr_allocs;
		if (w->part.error && !err) {
			err = w->part.error;
			ppe_set_msg("partition %u [%llu, %llu) failed: %s", i,
				    (unsigned long long)ppe->bounds[i],
				    (unsigned long long)ppe->bounds[i + 1],
				    vgc_strerror(err));
		}
	}
	return err;
}

VGCU_API int vgc_ppe_last_stats(const struct vgc_ppe *ppe,
				struct vgc_ppe_stats *out)
{
	if (!ppe || !out)
		return -EINVAL;
	if (!ppe->have_stats)
		return -ENODATA;
	*out = ppe->stats;
	return 0;
}
