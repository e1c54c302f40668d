// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE splits: boundaries from the learnt fractions, and rebalancing that
 * moves them towards equal cost per partition.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "ppe_int.h"

/* ---- splitting ---------------------------------------------------------- */

/*
 * Boundaries in units (indices, or blocks when job->block) from the learnt
 * fractions; every partition keeps at least one unit while there are
 * enough of them.
 */
void ppe_make_bounds(const struct vgc_ppe *ppe, uint64_t units, uint64_t *ub)
{
	unsigned int i, n = ppe->nr;

	ub[0] = 0;
	ub[n] = units;
	for (i = 1; i < n; i++) {
		double x = ppe->frac[i] * (double)units + 0.5;
		uint64_t v = x <= 0 ? 0 : (uint64_t)x;

		if (units >= n) {
			if (v < ub[i - 1] + 1)
				v = ub[i - 1] + 1;
			if (v > units - (n - i))
				v = units - (n - i);
		} else {
			if (v < ub[i - 1])
				v = ub[i - 1];
			if (v > units)
				v = units;
		}
		ub[i] = v;
	}
}

VGCU_API int vgc_ppe_set_split(struct vgc_ppe *ppe, const double *frac,
			       unsigned int nr_frac)
{
	unsigned int i;

	if (!ppe || !frac || nr_frac != ppe->nr + 1 || frac[0] != 0 ||
	    frac[ppe->nr] != 1) {
		ppe_set_msg("a split is %u fractions from 0 to 1",
			    ppe ? ppe->nr + 1 : 0);
		return -EINVAL;
	}
	for (i = 0; i < ppe->nr; i++) {
		if (!(frac[i + 1] >= frac[i])) {
			ppe_set_msg("split fractions must not decrease");
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&ppe->lock);
	memcpy(ppe->frac, frac, sizeof(double) * nr_frac);
	pthread_mutex_unlock(&ppe->lock);
	return 0;
}

VGCU_API int vgc_ppe_split(const struct vgc_ppe *ppe, uint64_t n,
			   uint64_t *bounds, unsigned int nr_bounds)
{
	if (!ppe || !bounds || nr_bounds < ppe->nr + 1)
		return -EINVAL;
	ppe_make_bounds(ppe, n, bounds);
	return 0;
}

/* ---- rebalancing -------------------------------------------------------- */

/*
 * Each partition's cost is spread evenly over its share of the range; new
 * fractions put an equal cost in every partition.  A heavy partition is
 * thereby split, its excess going to its neighbours, and light ones merge
 * part of their neighbours' ranges.  Only measures when !apply.
 */
int ppe_rebalance_locked(struct vgc_ppe *ppe, int apply)
{
	double cost[VGC_MAX_PARTITIONS], width[VGC_MAX_PARTITIONS];
	double nf[VGC_MAX_PARTITIONS + 1];
	double tsum = 0, msum = 0, csum = 0, worst = 0, span, acc, left;
	struct vgc_ppe_stats *s = &ppe->stats;
	unsigned int i, j, nr = ppe->nr;

	s->splits = s->merges = 0;
	s->rebalanced = ppe->rebalanced;
	if (nr < 2)
		return 0;
	span = (double)(s->part[nr - 1].end - s->part[0].begin);
	for (i = 0; i < nr; i++) {
		tsum += s->part[i].cpu_ns;
		msum += (double)s->part[i].mem_bytes;
	}
	for (i = 0; i < nr; i++) {
		double ts = tsum > 0 ? s->part[i].cpu_ns / tsum : 1.0 / nr;
		double ms = msum > 0 ? s->part[i].mem_bytes / msum : 1.0 / nr;
		double ex_t = ts * nr - 1, ex_m = ms * nr - 1;

		switch (ppe->balance) {
		case VGC_PPE_BALANCE_TIME:
			cost[i] = ts;
			if (ex_t > worst)
				worst = ex_t;
			break;
		case VGC_PPE_BALANCE_MEM:
			cost[i] = ms;
			if (ex_m > worst)
				worst = ex_m;
			break;
		default:
			cost[i] = msum > 0 ? (ts + ms) / 2 : ts;
			if (ex_t > worst)
				worst = ex_t;
			if (msum > 0 && ex_m > worst)
				worst = ex_m;
			break;
		}
		width[i] = span > 0 ?
			(s->part[i].end - s->part[i].begin) / span : 0;
		csum += cost[i];
	}
	s->imbalance = worst;
	if (!apply || worst <= ppe->epsilon || csum <= 0)
		return 0;

	/* invert the piecewise-linear cumulative cost at i / nr */
	nf[0] = 0;
	nf[nr] = 1;
	acc = 0;
	left = 0;
	j = 0;
	for (i = 1; i < nr; i++) {
		double target = csum * i / nr;

		while (j < nr && acc + cost[j] < target) {
			acc += cost[j];
			left += width[j];
			j++;
		}
		if (j >= nr)
			nf[i] = 1;
		else
			nf[i] = left + width[j] * (target - acc) / cost[j];
		if (nf[i] < nf[i - 1])
			nf[i] = nf[i - 1];
	}
	for (i = 0; i < nr; i++) {
		double ow = ppe->frac[i + 1] - ppe->frac[i];
		double nw = nf[i + 1] - nf[i];

		if (nw < ow * (1 - 1e-6))
			s->splits++;
		else if (nw > ow * (1 + 1e-6))
			s->merges++;
	}
	memcpy(ppe->frac, nf, sizeof(double) * (nr + 1));
	s->rebalanced = ++ppe->rebalanced;
	return 1;
}

VGCU_API int vgc_ppe_rebalance(struct vgc_ppe *ppe)
{
	int r;

	if (!ppe)
		return -EINVAL;
	pthread_mutex_lock(&ppe->lock);
	r = ppe->have_stats ? ppe_rebalance_locked(ppe, 1) : -ENODATA;
	pthread_mutex_unlock(&ppe->lock);
	return r;
}
