// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Profiling records and the cost-model fit: vgc_zone_checkpoint() files,
 * per swept zone, the zone's sweep time and its share of the sampling
 * time against its summed feature functions; vgc_profile_fit() fits the
 * zones' alpha, beta, gamma to the kept records by NNLS.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include "zone_profile_int.h"

/* Sweeps and total sweep time of every zone, over its partitions. */
static void zone_sweeps(struct vgc_arena *a, uint64_t sweeps[VGC_NR_ZONES],
			uint64_t pause[VGC_NR_ZONES])
{
	unsigned int z, q;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		sweeps[z] = pause[z] = 0;
		for (q = 0; q < a->nr_parts; q++) {
			const struct vgc_region_stats *rs =
				vgc_region_stats(a, z, q);

			if (rs) {
				sweeps[z] += rs->sweeps;
				pause[z] += rs->total_pause_ns;
			}
		}
	}
}

/*
 * A record per zone the checkpoint swept (its sweep count moved since
 * sweeps0) and the last sample saw objects in, under p->lock.
 */
static void records_file(struct zprof *p, struct vgc_arena *a,
			 const uint64_t sweeps0[VGC_NR_ZONES],
			 const uint64_t pause0[VGC_NR_ZONES])
{
	uint64_t sweeps[VGC_NR_ZONES], pause[VGC_NR_ZONES];
	unsigned int z, q;

	zone_sweeps(a, sweeps, pause);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		struct vgc_zone_record *r;
		uint64_t tot = 0;

		if (sweeps[z] == sweeps0[z] || !p->zobjs[z])
			continue;
		for (q = 0; q < VGC_NR_ZONES; q++)
			tot += p->zobjs[q];
		r = &p->rec[p->nrec % PROF_RECORDS];
		r->zone = z;
		r->pad = 0;
		r->f_mark = p->fsum[z][0];
		r->f_scan = p->fsum[z][1];
		r->f_stage = p->fsum[z][2];
		/* the zone's sweep time plus its share of the sampling */
		r->t_ns = (double)(pause[z] - pause0[z]) +
			  (double)p->st.last_sample_ns * p->zobjs[z] / tot;
		p->nrec++;
	}
	p->st.records = p->nrec < PROF_RECORDS ? p->nrec : PROF_RECORDS;
}

VGCU_API int vgc_zone_checkpoint(struct vgc_arena *a,
				 const struct vgc_ckpt_opts *o,
				 struct vgc_checkpoint *result)
{
	struct vgc_checkpoint local;
	uint64_t sweeps[VGC_NR_ZONES], pause[VGC_NR_ZONES];
	struct zprof *p = vgcu_zprof_of(a);
	int ret;

	if (!result)
		result = &local;
	if (!p)
		return vgc_checkpoint(a, o, result);
	/* vgc_checkpoint samples too; the second call finds it done */
	vgcu_zprof_sample(a, o ? o->flags : 0, o ? o->partition_mask : 0);
	zone_sweeps(a, sweeps, pause);
	ret = vgc_checkpoint(a, o, result);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&p->lock);
	records_file(p, a, sweeps, pause);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

VGCU_API int vgc_profile_records(struct vgc_arena *a,
				 struct vgc_zone_record *out, size_t cap)
{
	struct zprof *p = vgcu_zprof_of(a);
	uint64_t have, first, i;

	if (!p || (cap && !out))
		return p ? -EINVAL : -ENOENT;
	pthread_mutex_lock(&p->lock);
	have = p->nrec < PROF_RECORDS ? p->nrec : PROF_RECORDS;
	if (have > cap)
		have = cap;
	first = p->nrec - have;
	for (i = 0; i < have; i++)
		out[i] = p->rec[(first + i) % PROF_RECORDS];
	pthread_mutex_unlock(&p->lock);
	return (int)have;
}

VGCU_API int vgc_profile_fit(struct vgc_arena *a)
{
	struct zprof *p = vgcu_zprof_of(a);
	struct vgc_zone_record *r;
	struct vgc_zone_policy pol;
	int n, ret;

	if (!p)
		return -ENOENT;
	r = vgcu_meta_alloc(PROF_RECORDS * sizeof(*r));
	if (!r)
		return -ENOMEM;
	n = vgc_profile_records(a, r, PROF_RECORDS);
	pthread_mutex_lock(&p->lock);
	pol = p->pol;
	ret = vgc_zone_fit_records(&pol, r, (size_t)n);
	if (ret > 0)
		vgcu_zprof_pol_apply(p, &pol);
	pthread_mutex_unlock(&p->lock);
	vgcu_meta_free(r, PROF_RECORDS * sizeof(*r));
	return ret;
}
