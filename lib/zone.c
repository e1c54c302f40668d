// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Zone decision, cost and pause model of docs/design.md, Zones.  Pure
 * functions over doubles: the profiler (zone_profile.c) feeds them measured
 * features, tests feed them boundary cases.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "vgcu_zone.h"
#include "vgcu_int.h"

VGCU_API void vgc_zone_policy_init(struct vgc_zone_policy *p)
{
	/*
	 * Priors, replaced by vgc_profile_fit() once measured: Green is
	 * cheap to mark (its words are evaluated every checkpoint anyway,
	 * so access traffic costs no extra window) but dear to re-stage;
	 * Blue is cheap to re-stage (sparse checkpoints) and dear to mark;
	 * Red holds short-lived objects whose staging is their expiry.
	 */
	static const struct vgc_zone_params zp[VGC_NR_ZONES] = {
		[VGC_ZONE_RED]   = { 1.0,  1.0, 0.25, 1.0,  1.0 },
		[VGC_ZONE_GREEN] = { 0.25, 1.0, 1.0,  0.5,  3.0 },
		[VGC_ZONE_BLUE]  = { 1.0,  1.0, 0.5,  0.25, 2.0 },
	};

	memset(p, 0, sizeof(*p));
	p->th.thA_B = 0.2;
	p->th.thA_G = 0.6;
	p->th.thM_B = 0.2;
	p->th.thM_G = 0.6;
	memcpy(p->zp, zp, sizeof(zp));
	p->ema_alpha = 0.25;
	p->classify_every = 1;
	p->confirm = 2;
}

static int finite_nonneg(double v)
{
	return isfinite(v) && v >= 0.0;
}

VGCU_API int vgc_zone_policy_check(const struct vgc_zone_policy *p)
{
	const struct vgc_zone_thresholds *t;
	unsigned int z;

	if (!p)
		return -EINVAL;
	t = &p->th;
	if (!isfinite(t->thA_B) || !isfinite(t->thA_G) ||
	    !isfinite(t->thM_B) || !isfinite(t->thM_G))
		return -EINVAL;
	/* monotone separation: Blue strictly below Green on both axes */
	if (!(t->thA_B < t->thA_G) || !(t->thM_B < t->thM_G))
		return -EINVAL;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		const struct vgc_zone_params *q = &p->zp[z];

		if (!finite_nonneg(q->alpha) || !finite_nonneg(q->beta) ||
		    !finite_nonneg(q->gamma) || !finite_nonneg(q->rho) ||
		    q->rho > 1.0 || !isfinite(q->w) || !(q->w > 0.0))
			return -EINVAL;
	}
	if (!isfinite(p->ema_alpha) || !(p->ema_alpha > 0.0) ||
	    p->ema_alpha > 1.0 || !p->classify_every ||
	    p->confirm < 1 || p->confirm > 2)
		return -EINVAL;
	return 0;
}

static int features_ok(const struct vgc_features *x)
{
	return finite_nonneg(x->lambda) && finite_nonneg(x->tau) &&
	       finite_nonneg(x->mu) && finite_nonneg(x->a) &&
	       finite_nonneg(x->s) && finite_nonneg(x->phi) &&
	       finite_nonneg(x->kappa);
}

VGCU_API void vgc_zone_features(const struct vgc_features *x,
				struct vgc_cost_features *out)
{
	const double gran = x->s / VGC_GRANULE_SIZE;
	const double tau = x->tau > 1.0 ? x->tau : 1.0;

	/* one evaluation per window plus the access-bit traffic */
	out->f_mark = x->kappa * (1.0 + x->a);
	/* inbound references plus the plane words the object spans */
	out->f_scan = x->phi + gran / 64.0;
	/*
	 * Staging is expire + reallocate: copy the granules and let the
	 * runtime fix phi references, as often as mutation re-classifies
	 * the object or its lifetime ends.
	 */
	out->f_stage = (gran + x->phi) * (x->mu + 1.0 / tau);
}

static double cost_of(const struct vgc_zone_params *q,
		      const struct vgc_cost_features *f)
{
	return q->alpha * f->f_mark + q->beta * f->f_scan +
	       q->gamma * f->f_stage;
}

VGCU_API double vgc_zone_cost(const struct vgc_zone_policy *p, enum vgc_zone z,
			      const struct vgc_features *x)
{
	struct vgc_cost_features f;

	if ((unsigned int)z >= VGC_NR_ZONES)
		return NAN;
	vgc_zone_features(x, &f);
	return cost_of(&p->zp[z], &f);
}

VGCU_API unsigned int vgc_zone_eligible(const struct vgc_zone_policy *p,
					const struct vgc_features *x)
{
	unsigned int m = 0;

	if (x->a > p->th.thA_G)
		m |= 1U << VGC_ZONE_GREEN;
	if (x->a >= p->th.thA_B || x->mu >= p->th.thM_B)
		m |= 1U << VGC_ZONE_BLUE;
	return m;
}

VGCU_API int vgc_zone_decide(const struct vgc_zone_policy *p,
			     const struct vgc_features *x)
{
	struct vgc_cost_features f;
	unsigned int m, z;
	int best = -1;
	double bc = 0.0;

	if (!p || !x || !features_ok(x))
		return -EINVAL;
	m = vgc_zone_eligible(p, x);
	if (!m)
		return VGC_ZONE_RED;
	if (!(m & (m - 1)))
		return __builtin_ctz(m);
	vgc_zone_features(x, &f);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		double c;

		if (!(m & (1U << z)))
			continue;
		c = cost_of(&p->zp[z], &f);
		if (best < 0 || c < bc ||
		    (c == bc && p->zp[z].w < p->zp[best].w)) {
			best = (int)z;
			bc = c;
		}
	}
	return best;
}

VGCU_API double vgc_zone_pause(const struct vgc_zone_policy *p, enum vgc_zone z,
			       double sum_cost)
{
	if ((unsigned int)z >= VGC_NR_ZONES)
		return NAN;
	return p->zp[z].rho * sum_cost;
}

VGCU_API int vgc_zone_thread_share(const struct vgc_zone_policy *p,
				   const double pause[VGC_NR_ZONES],
				   unsigned int threads,
				   unsigned int share[VGC_NR_ZONES])
{
	double wp[VGC_NR_ZONES], rem[VGC_NR_ZONES], sum = 0.0;
	unsigned int z, given = 0;

	if (!p || !pause || !share)
		return -EINVAL;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		if (!finite_nonneg(pause[z]))
			return -EINVAL;
		wp[z] = p->zp[z].w * pause[z];
		sum += wp[z];
	}
	if (sum <= 0.0) {
		sum = 0.0;
		for (z = 0; z < VGC_NR_ZONES; z++) {
			wp[z] = p->zp[z].w;
			sum += wp[z];
		}
	}
	for (z = 0; z < VGC_NR_ZONES; z++) {
		double t = (double)threads * wp[z] / sum;

		share[z] = (unsigned int)floor(t);
		rem[z] = t - share[z];
		given += share[z];
	}
	while (given < threads) {
		unsigned int bz = 0;

		for (z = 1; z < VGC_NR_ZONES; z++)
			if (rem[z] > rem[bz])
				bz = z;
		share[bz]++;
		rem[bz] = -1.0;
		given++;
	}
	return 0;
}

VGCU_API int vgc_zone_fit_records(struct vgc_zone_policy *p,
				  const struct vgc_zone_record *rec, size_t n)
{
	unsigned int z;
	int fitted = 0;

	if (!p || (n && !rec))
		return -EINVAL;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		double *A, *b, x[3];
		size_t i, m = 0;
		int ret;

		for (i = 0; i < n; i++)
			m += rec[i].zone == z;
		if (m < 3)
			continue;
		A = vgcu_meta_alloc(m * 3 * sizeof(*A));
		b = vgcu_meta_alloc(m * sizeof(*b));
		if (!A || !b) {
			vgcu_meta_free(A, m * 3 * sizeof(*A));
			vgcu_meta_free(b, m * sizeof(*b));
			return -ENOMEM;
		}
		m = 0;
		for (i = 0; i < n; i++) {
			if (rec[i].zone != z)
				continue;
			A[m * 3 + 0] = rec[i].f_mark;
			A[m * 3 + 1] = rec[i].f_scan;
			A[m * 3 + 2] = rec[i].f_stage;
			b[m] = rec[i].t_ns;
			m++;
		}
		ret = vgc_nnls(A, b, m, 3, x, NULL);
		vgcu_meta_free(A, m * 3 * sizeof(*A));
		vgcu_meta_free(b, m * sizeof(*b));
		if (ret < 0 && ret != -ERANGE)
			return ret;
		p->zp[z].alpha = x[0];
		p->zp[z].beta = x[1];
		p->zp[z].gamma = x[2];
		fitted++;
	}
	return fitted;
}
