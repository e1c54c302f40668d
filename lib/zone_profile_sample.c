// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The zone profiler's sample before every checkpoint: per-object EMAs of
 * access and mutation, the feature sums of each zone, and every
 * classify_every-th sample a zone decided per object, filed as PROMOTE or
 * DEMOTE requests that the sweep applies.
 *
 * Sampling runs right before a checkpoint sweeps.  The sweep consumes
 * ACCESS only in the words its activation mask evaluates, so a Blue or
 * Gen2 word keeps its access bits for several checkpoints; reading them in
 * place would count one access in every window until the sweep comes.
 * Instead the profiler takes the ACCESS bits of words the coming sweep
 * does not evaluate (one exchange per word) into its own pending plane,
 * and hands the pending bits back (one atomic OR) right before the sweep
 * that evaluates the word.  Every window thus sees exactly the accesses of
 * that window, and every sweep still sees every access since it last
 * evaluated the word.  MUTATE is not consumed by the sweep: the profiler
 * takes it by exchange.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include "zone_profile_int.h"

static pthread_once_t inv_once = PTHREAD_ONCE_INIT;
/*
 * 1 / max(tau, 1) in Q16 for every age: f_stage summed in integers, with
 * no division and no floating-point dependency chain per object.
 */
static uint32_t inv_age[AGE_MAX + 1];

static void inv_init(void)
{
	unsigned int i;

	inv_age[0] = 65536;
	for (i = 1; i <= AGE_MAX; i++)
		inv_age[i] = (65536 + i / 2) / i;
}

void vgcu_zprof_sample_init(void)
{
	pthread_once(&inv_once, inv_init);
}

void vgcu_zprof_wmap_build(struct zprof *p)
{
	struct vgc_arena *a = p->a;
	unsigned int z, q, g;

	memset(p->wmap, 0, p->nwords * sizeof(*p->wmap));
	for (z = 0; z < VGC_NR_ZONES; z++)
		for (q = 0; q < a->nr_parts; q++) {
			const struct vgc_region *r = vgc_arena_region(a, z, q);

			if (!r)
				continue;
			for (g = 0; g < VGC_NR_GENS; g++) {
				uint64_t w0 = r->gen_first[g] >> 6;
				uint64_t nw = r->gen_granules[g] >> 6, w;

				for (w = w0; w < w0 + nw && w < p->nwords; w++)
					p->wmap[w] = (uint16_t)(WMAP_COMMITTED |
								z | g << 2 |
								q << 8);
			}
		}
	p->wmap_committed = a->ctrl->committed_bytes;
}

static inline uint16_t ema16(uint16_t v, unsigned int bit, uint32_t aq)
{
	int32_t d = (bit ? 65535 : 0) - (int32_t)v;

	return (uint16_t)((int32_t)v + (int32_t)(((int64_t)d * aq) >> 16));
}

void vgcu_zprof_ent_init(struct zprof *p, struct pent *e, unsigned int gran)
{
	e->a = 0;
	e->mu = 0;
	e->age = 0;
	__atomic_store_n(&e->phi, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->meta, (uint8_t)(KAPPA_ONE | TARGET_NONE << 6),
			 __ATOMIC_RELAXED);
	if (gran && gran <= VGC_SPAN_GRANULES)
		p->cls_new[gran]++;
}

void vgcu_zprof_ent_features(const struct zprof *p, const struct pent *e,
		  unsigned int gran, struct vgc_features *x)
{
	x->lambda = p->cls_rate[gran];
	x->tau = e->age & AGE_MAX;
	x->mu = e->mu / 65535.0;
	x->a = e->a / 65535.0;
	x->s = (double)gran * VGC_GRANULE_SIZE;
	x->phi = __atomic_load_n(&e->phi, __ATOMIC_RELAXED);
	x->kappa = (__atomic_load_n(&e->meta, __ATOMIC_RELAXED) & KAPPA_MAX) /
		   (double)KAPPA_ONE;
}

static int evaluates(const struct vgc_arena *a, uint64_t n, unsigned int flags,
		     unsigned int z, unsigned int g)
{
	if (flags & VGC_CKPT_F_ALL_ZONES)
		return 1;
	if (z == VGC_ZONE_BLUE && n % a->cadence.blue_every)
		return 0;
	if (g == VGC_GEN1 && n % a->cadence.gen1_every)
		return 0;
	if (g == VGC_GEN2 && n % a->cadence.gen2_every)
		return 0;
	return 1;
}

/* Gives a settled word's objects the windows they skipped. */
void vgcu_zprof_quiet_wake(struct zprof *p, uint64_t w)
{
	struct quiet *q = &p->quiet[w];
	uint64_t live;

	if (!(q->skipped & QUIET_ON))
		return;
	live = p->vshadow[w];
	q->skipped &= ~QUIET_ON;
	while (live) {
		struct pent *e = &p->ent[(w << 6) + __builtin_ctzll(live)];
		uint32_t age = (e->age & AGE_MAX) + q->skipped;

		live &= live - 1;
		e->age = (uint16_t)((e->age & AGE_SAME) |
				    (age > AGE_MAX ? AGE_MAX : age));
	}
	q->skipped = 0;
}

/* A threshold on the Q0.16 scale, clamped where no rate can reach. */
static int64_t th_int(double t)
{
	if (t < -1.0)
		return -1;
	if (t > 65536.0)
		return 65536;
	return (int64_t)t;
}

static void sample_locked(struct zprof *p, unsigned int flags, uint64_t pmask,
			  uint64_t n)
{
	struct vgc_arena *a = p->a;
	uint64_t *const V = a->planes[VGC_PLANE_VALID];
	uint64_t *const S0 = a->planes[VGC_PLANE_S0];
	uint64_t *const S1 = a->planes[VGC_PLANE_S1];
	uint64_t *const S2 = a->planes[VGC_PLANE_S2];
	uint64_t *const ACC = a->planes[VGC_PLANE_ACCESS];
	uint64_t *const MUT = a->planes[VGC_PLANE_MUTATE];
	uint64_t *const PRM = a->planes[VGC_PLANE_PROMOTE];
	uint64_t *const DEM = a->planes[VGC_PLANE_DEMOTE];
	const struct vgc_zone_policy *pol = &p->pol;
	const uint32_t aq = p->alpha_q;
	const int classify = !(p->st.samples % pol->classify_every);
	/* exact integer forms of a > thA_G, a >= thA_B, mu >= thM_B */
	const int64_t thg = th_int(floor(pol->th.thA_G * 65535.0));
	const int64_t thb = th_int(ceil(pol->th.thA_B * 65535.0));
	const int64_t thm = th_int(ceil(pol->th.thM_B * 65535.0));
	int ev[VGC_NR_ZONES][VGC_NR_GENS];
	uint64_t w, t0 = vgcu_now_ns(), classified = 0, settled = 0;
	unsigned int z, g, c;

	if (p->wmap_committed != a->ctrl->committed_bytes)
		vgcu_zprof_wmap_build(p);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (g = 0; g < VGC_NR_GENS; g++)
			ev[z][g] = evaluates(a, n, flags, z, g);
		p->fsum[z][0] = p->fsum[z][1] = p->fsum[z][2] = 0.0;
		p->zobjs[z] = 0;
		memset(&p->acc[z], 0, sizeof(p->acc[z]));
	}

	for (w = 0; w < p->nwords; w++) {
		const uint16_t info = p->wmap[w];
		uint64_t v, acc, mut, s0, s1, s2, fresh, ia, live, prm = 0, dem = 0;
		uint64_t decided = 0, keep = 0, opn;
		/* per-word sums in registers: entry stores alias p->acc */
		uint64_t sk = 0, ska = 0, sphi = 0, sgran = 0, sgm = 0, nobj = 0;
		uint64_t sginv = 0;
		/* the word may settle: Red, every object cold and decided Red */
		int settle;
		uint64_t qk = 0, qphi = 0, qgran = 0, qginv = 0, qn = 0;
		unsigned int wz, gran;
		int evw;

		if (!(info & WMAP_COMMITTED))
			continue;
		wz = info & 3;
		evw = ev[wz][(info >> 2) & 3] && (pmask >> (info >> 8) & 1);
		settle = wz == VGC_ZONE_RED && classify;
		v = __atomic_load_n(&V[w], __ATOMIC_ACQUIRE);
		if (!v && !p->vshadow[w] && !p->pend[w])
			continue;
		if (evw) {
			acc = __atomic_load_n(&ACC[w], __ATOMIC_RELAXED);
			if (p->pend[w]) {
				__atomic_fetch_or(&ACC[w], p->pend[w],
						  __ATOMIC_RELAXED);
				p->pend[w] = 0;
			}
		} else {
			acc = v ? __atomic_load_n(&ACC[w], __ATOMIC_RELAXED) : 0;
			if (acc)
				acc = __atomic_exchange_n(&ACC[w], 0,
							  __ATOMIC_RELAXED);
			p->pend[w] |= acc;
		}
		mut = v ? __atomic_load_n(&MUT[w], __ATOMIC_RELAXED) : 0;
		if (mut)
			mut = __atomic_exchange_n(&MUT[w], 0, __ATOMIC_RELAXED);
		if (!v) {
			p->vshadow[w] = 0;
			continue;
		}
		s0 = S0[w];
		s1 = S1[w];
		s2 = S2[w];
		fresh = v & ~p->vshadow[w];
		if (p->quiet[w].skipped & QUIET_ON) {
			const struct quiet *q = &p->quiet[w];

			if (!fresh && v == p->vshadow[w] && !acc && !mut &&
			    !(v & s2) && !(v & s1) &&
			    (p->quiet[w].skipped & ~QUIET_ON) < AGE_MAX) {
				p->quiet[w].skipped++;
				if (evw) {
					p->acc[wz].k += q->k;
					p->acc[wz].phi += q->phi;
					p->acc[wz].gran += q->gran;
					p->acc[wz].ginv += q->ginv;
					p->zobjs[wz] += q->n;
				}
				if (classify)
					classified += q->n;
				settled++;
				continue;
			}
			vgcu_zprof_quiet_wake(p, w);
		}
		ia = v & ~s2 & ~s1;
		opn = v & ~s2;
		/* expired slots the coming sweep frees: a reuse is a new object */
		p->vshadow[w] = evw ? v & ~(s2 & s1 & s0) : v;
		gran = a->spans[w >> 6];
		if (!gran || gran > VGC_SPAN_GRANULES)
			continue;
		live = v;
		while (live) {
			const unsigned int b = (unsigned int)__builtin_ctzll(live);
			const uint64_t bit = 1ULL << b;
			struct pent *e = &p->ent[(w << 6) + b];

			live &= live - 1;
			if (fresh & bit)
				vgcu_zprof_ent_init(p, e, gran);
			e->a = ema16(e->a, !!(acc & bit), aq);
			e->mu = ema16(e->mu, !!(mut & bit), aq);
			if ((e->age & AGE_MAX) != AGE_MAX)
				e->age++;
			if (settle) {
				const unsigned int gq = gran + e->phi;

				qk += e->meta & KAPPA_MAX;
				qphi += e->phi;
				qgran += gran;
				qginv += (uint64_t)gq * inv_age[e->age & AGE_MAX];
				qn++;
			}
			if (evw) {
				/* vgc_zone_features(), summed in integers */
				const unsigned int k = e->meta & KAPPA_MAX;
				const unsigned int gp = gran + e->phi;

				sk += k;
				ska += (uint64_t)k * e->a;
				sphi += e->phi;
				sgran += gran;
				sgm += (uint64_t)gp * e->mu;
				sginv += (uint64_t)gp * inv_age[e->age & AGE_MAX];
				nobj++;
			}
			if (settle && (e->a || e->mu || !(ia & bit)))
				settle = 0;
			if (classify && (opn & bit)) {
				struct vgc_features x;
				unsigned int m = 0, d, prev;
				uint8_t meta;
				int act;

				if (e->a > thg)
					m |= 1U << VGC_ZONE_GREEN;
				if (e->a >= thb || e->mu >= thm)
					m |= 1U << VGC_ZONE_BLUE;
				if (!m)
					d = VGC_ZONE_RED;
				else if (!(m & (m - 1)))
					d = (unsigned int)__builtin_ctz(m);
				else {
					vgcu_zprof_ent_features(p, e, gran, &x);
					d = (unsigned int)vgc_zone_decide(pol, &x);
				}
				meta = __atomic_load_n(&e->meta,
						       __ATOMIC_RELAXED);
				prev = meta >> 6;
				__atomic_store_n(&e->meta, (uint8_t)
						 ((meta & KAPPA_MAX) |
						  d << 6),
						 __ATOMIC_RELAXED);
				if (prev == d)
					e->age |= AGE_SAME;
				else
					e->age &= AGE_MAX;
				act = pol->confirm <= 1 || prev == d;
				classified++;
				if (!(ia & bit)) {
					/*
					 * A candidate whose decision
					 * came back home, or turned
					 * round, reverts to Active.
					 */
					if (act && (d == wz ||
					    (zrank(d) > zrank(wz)) !=
					    !(s0 & bit)))
						keep |= bit;
					continue;
				}
				if (!act) {
					settle = 0;
					continue;
				}
				decided |= bit;
				if (d != wz) {
					if (zrank(d) > zrank(wz))
						prm |= bit;
					else
						dem |= bit;
					p->st.requested[d]++;
				}
			}
		}
		/*
		 * Settled only if the decisions just made were Red twice
		 * (act held for all, checked above) and nothing is pending.
		 */
		if (settle && qn && !prm && !dem && !keep && !fresh &&
		    qn <= 64) {
			struct quiet *q = &p->quiet[w];

			q->skipped = QUIET_ON;
			q->n = (uint16_t)qn;
			q->k = (uint16_t)qk;
			q->phi = (uint32_t)qphi;
			q->gran = (uint32_t)qgran;
			q->ginv = qginv > UINT32_MAX ? UINT32_MAX : (uint32_t)qginv;
		}
		if (nobj) {
			p->acc[wz].k += sk;
			p->acc[wz].ka += ska;
			p->acc[wz].phi += sphi;
			p->acc[wz].gran += sgran;
			p->acc[wz].gm += sgm;
			p->acc[wz].ginv += sginv;
			p->zobjs[wz] += nobj;
		}
		if (prm)
			__atomic_fetch_or(&PRM[w], prm, __ATOMIC_RELAXED);
		if (dem)
			__atomic_fetch_or(&DEM[w], dem, __ATOMIC_RELAXED);
		if (keep)
			__atomic_fetch_or(&a->planes[VGC_PLANE_KEEP][w], keep,
					  __ATOMIC_RELAXED);
		/*
		 * A request still waiting for a sparse sweep must follow the
		 * latest decision, or the object would become a candidate for
		 * a zone it no longer belongs to.
		 */
		if (decided) {
			uint64_t stale;

			stale = __atomic_load_n(&PRM[w], __ATOMIC_RELAXED) &
				decided & ~prm;
			if (stale)
				__atomic_fetch_and(&PRM[w], ~stale,
						   __ATOMIC_RELAXED);
			stale = __atomic_load_n(&DEM[w], __ATOMIC_RELAXED) &
				decided & ~dem;
			if (stale)
				__atomic_fetch_and(&DEM[w], ~stale,
						   __ATOMIC_RELAXED);
		}
	}

	for (z = 0; z < VGC_NR_ZONES; z++) {
		p->fsum[z][0] = ((double)p->acc[z].k +
				 (double)p->acc[z].ka / 65535.0) / KAPPA_ONE;
		p->fsum[z][1] = (double)p->acc[z].phi +
				(double)p->acc[z].gran / 64.0;
		p->fsum[z][2] = (double)p->acc[z].gm / 65535.0 +
				(double)p->acc[z].ginv / 65536.0;
	}
	for (c = 1; c <= VGC_SPAN_GRANULES; c++) {
		if (p->cls_new[c] || p->cls_rate[c] != 0.0) {
			p->cls_rate[c] += pol->ema_alpha *
					  ((double)p->cls_new[c] - p->cls_rate[c]);
			if (p->cls_rate[c] < 1e-9)
				p->cls_rate[c] = 0.0;
		}
		p->cls_new[c] = 0;
	}
	p->last_n = n;
	p->st.samples++;
	p->st.classified += classified;
	p->st.settled_words = settled;
	p->st.last_sample_ns = vgcu_now_ns() - t0;
	p->st.sample_ns += p->st.last_sample_ns;
	if (classify)
		p->st.classify_ns += p->st.last_sample_ns;
}

int vgcu_zprof_sample(struct vgc_arena *a, unsigned int flags,
		   uint64_t pmask)
{
	struct zprof *p = vgcu_zprof_of(a);
	uint64_t n;

	if (!p)
		return 0;
	if (!pmask)
		pmask = ~0ULL;
	pthread_mutex_lock(&p->lock);
	n = __atomic_load_n(&a->ctrl->checkpoints, __ATOMIC_ACQUIRE) + 1;
	if (p->last_n != n)
		sample_locked(p, flags, pmask, n);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

VGCU_API int vgc_profile_sample(struct vgc_arena *a, unsigned int flags)
{
	return vgcu_zprof_sample(a, flags, 0);
}

VGCU_API int vgc_profile_sample_mask(struct vgc_arena *a, unsigned int flags,
				     uint64_t partition_mask)
{
	return vgcu_zprof_sample(a, flags, partition_mask);
}
