// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Per-object profiling, classification into candidates, re-homing and the
 * Passive VGC hint.
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
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "vgcu_int.h"
#include "vgcu_zone.h"

#define PROF_RECORDS		4096
#define TARGET_NONE		3
#define KAPPA_ONE		8	/* kappa is Q3.3 in 6 bits */
#define KAPPA_MAX		63
#define WMAP_COMMITTED		0x80
#define AGE_MAX			0x7fff
#define AGE_SAME		0x8000

/* 8 bytes per granule of index space; only head granules are written. */
struct pent {
	uint16_t a;		/* access rate, Q0.16 of 65535 */
	uint16_t mu;		/* mutation rate, same */
	uint16_t age;		/* windows since allocation, saturating at
				 * AGE_MAX; AGE_SAME: the last two decisions
				 * agreed */
	uint8_t phi;		/* fan-in, saturating */
	uint8_t meta;		/* kappa (bits 0-5, Q3.3), target zone (6-7) */
};

/*
 * A settled word: Red, every live object Idle/Active with a == mu == 0 and
 * Red decided twice in a row.  While no access, mutation, allocation or
 * reclamation touches it, a sample changes nothing in it but the ages, so
 * the sampler counts the skipped windows and adds them when the word wakes
 * up; its feature sums are cached.  Cold data then costs per word, not per
 * object.
 */
struct quiet {
	uint32_t skipped;		/* windows skipped; QUIET_ON: settled */
	uint16_t n, k;			/* objects, sum of kappa */
	uint32_t phi, gran;		/* sums */
	uint32_t ginv;			/* sum (gran + phi) / tau, Q16, saturating */
};
#define QUIET_ON		0x80000000U

struct zprof {
	struct vgc_arena *a;
	pthread_mutex_t lock;
	struct vgc_zone_policy pol;
	uint32_t alpha_q;		/* ema_alpha in Q16 */
	uint64_t nwords;
	struct pent *ent;
	size_t ent_bytes;
	uint64_t *pend;			/* taken ACCESS bits not yet swept */
	uint64_t *vshadow;		/* VALID as of the last sample */
	struct quiet *quiet;		/* per word, see quiet_word() */
	uint16_t *wmap;			/* per word: zone | gen << 2 | committed
					 * | partition << 8 */
	uint64_t wmap_committed;
	uint64_t last_n;		/* checkpoint number last sampled for */
	double cls_rate[VGC_SPAN_GRANULES + 1];
	uint32_t cls_new[VGC_SPAN_GRANULES + 1];
	/* feature sums of the last sample, per zone, evaluated words only */
	double fsum[VGC_NR_ZONES][3];
	uint64_t zobjs[VGC_NR_ZONES];
	/* integer partial sums of the feature functions, per zone */
	struct {
		uint64_t k, ka, phi, gran, gm, ginv;
	} acc[VGC_NR_ZONES];
	uint64_t last_total_ns;
	struct vgc_zone_record rec[PROF_RECORDS];
	uint64_t nrec;
	struct vgc_profile_stats st;
};

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

static const struct vgcu_policy_ops prof_ops;

/* The profile hung on the arena, or NULL. */
static struct zprof *prof_of(const struct vgc_arena *a)
{
	return vgcu_policy_priv(a, &prof_ops);
}

/* Green > Blue > Red: promotion moves up this order. */
static unsigned int zrank(unsigned int z)
{
	return z == VGC_ZONE_GREEN ? 2 : z == VGC_ZONE_BLUE ? 1 : 0;
}

static unsigned int zone_up(unsigned int z)
{
	return z == VGC_ZONE_RED ? VGC_ZONE_BLUE : VGC_ZONE_GREEN;
}

static unsigned int zone_down(unsigned int z)
{
	return z == VGC_ZONE_GREEN ? VGC_ZONE_BLUE : VGC_ZONE_RED;
}

static void wmap_build(struct zprof *p)
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

static void pol_apply(struct zprof *p, const struct vgc_zone_policy *pol)
{
	p->pol = *pol;
	p->alpha_q = (uint32_t)lrint(pol->ema_alpha * 65536.0);
	if (!p->alpha_q)
		p->alpha_q = 1;
}

/* Frees what vgc_profile_attach() allocated (any part may be missing). */
static void prof_free(struct zprof *p)
{
	if (p->ent && p->ent != MAP_FAILED)
		munmap(p->ent, p->ent_bytes ? p->ent_bytes : 1);
	free(p->pend);
	free(p->vshadow);
	free(p->wmap);
	free(p->quiet);
	free(p);
}

VGCU_API int vgc_profile_attach(struct vgc_arena *a,
				const struct vgc_zone_policy *pol)
{
	struct vgc_zone_policy def;
	struct zprof *p;
	int ret;

	if (!a)
		return -EINVAL;
	if (!pol) {
		vgc_zone_policy_init(&def);
		pol = &def;
	}
	if (vgc_zone_policy_check(pol))
		return -EINVAL;
	pthread_once(&inv_once, inv_init);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->a = a;
	pthread_mutex_init(&p->lock, NULL);
	pol_apply(p, pol);
	p->nwords = (a->total_granules + 63) >> 6;
	p->ent_bytes = a->total_granules * sizeof(struct pent);
	/* reserved, not committed: pages appear where objects live */
	p->ent = mmap(NULL, p->ent_bytes ? p->ent_bytes : 1,
		      PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	p->pend = calloc(p->nwords ? p->nwords : 1, sizeof(uint64_t));
	p->vshadow = calloc(p->nwords ? p->nwords : 1, sizeof(uint64_t));
	p->wmap = calloc(p->nwords ? p->nwords : 1, sizeof(*p->wmap));
	p->quiet = calloc(p->nwords ? p->nwords : 1, sizeof(*p->quiet));
	if (p->ent == MAP_FAILED || !p->pend || !p->vshadow || !p->wmap ||
	    !p->quiet) {
		prof_free(p);
		return -ENOMEM;
	}
	wmap_build(p);
	p->st.bytes = p->ent_bytes +
		      p->nwords * (2 * sizeof(uint64_t) + 2 + sizeof(struct quiet)) +
		      sizeof(*p);

	ret = vgcu_policy_attach(a, &prof_ops, p);
	if (ret)
		prof_free(p);
	return ret;
}

/* The close hook, and detach: the profile is unhooked already. */
static void prof_close(struct vgc_arena *a, void *priv)
{
	struct zprof *p = priv;
	uint64_t w;

	/* access bits the sweep has not seen yet go back to it */
	for (w = 0; w < p->nwords; w++)
		if (p->pend[w])
			__atomic_fetch_or(&a->planes[VGC_PLANE_ACCESS][w],
					  p->pend[w], __ATOMIC_RELAXED);
	pthread_mutex_destroy(&p->lock);
	prof_free(p);
}

VGCU_API int vgc_profile_detach(struct vgc_arena *a)
{
	struct zprof *p = a ? vgcu_policy_detach(a, &prof_ops) : NULL;

	if (!p)
		return -ENOENT;
	prof_close(a, p);
	return 0;
}

VGCU_API int vgc_profile_set_policy(struct vgc_arena *a,
				    const struct vgc_zone_policy *pol)
{
	struct zprof *p = prof_of(a);

	if (!p)
		return -ENOENT;
	if (vgc_zone_policy_check(pol))
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	pol_apply(p, pol);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

VGCU_API int vgc_profile_get_policy(struct vgc_arena *a,
				    struct vgc_zone_policy *pol)
{
	struct zprof *p = prof_of(a);

	if (!p || !pol)
		return p ? -EINVAL : -ENOENT;
	pthread_mutex_lock(&p->lock);
	*pol = p->pol;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static inline uint16_t ema16(uint16_t v, unsigned int bit, uint32_t aq)
{
	int32_t d = (bit ? 65535 : 0) - (int32_t)v;

	return (uint16_t)((int32_t)v + (int32_t)(((int64_t)d * aq) >> 16));
}

static void ent_init(struct zprof *p, struct pent *e, unsigned int gran)
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

static void ent_features(const struct zprof *p, const struct pent *e,
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
static void quiet_wake(struct zprof *p, uint64_t w)
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
		wmap_build(p);
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
			quiet_wake(p, w);
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
				ent_init(p, e, gran);
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
					ent_features(p, e, gran, &x);
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

static int profile_sample(struct vgc_arena *a, unsigned int flags,
			  uint64_t pmask)
{
	struct zprof *p = prof_of(a);
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
	return profile_sample(a, flags, 0);
}

VGCU_API int vgc_profile_sample_mask(struct vgc_arena *a, unsigned int flags,
				     uint64_t partition_mask)
{
	return profile_sample(a, flags, partition_mask);
}

/* ---- policy hooks ------------------------------------------------------- */

static void prof_before_checkpoint(struct vgc_arena *a, void *priv,
				   const struct vgc_ckpt_opts *o)
{
	(void)priv;
	profile_sample(a, o->flags, o->partition_mask);
}

static const struct vgcu_policy_ops prof_ops = {
	.name = "zone_profile",
	.before_checkpoint = prof_before_checkpoint,
	.close = prof_close,
};

/*
 * VGC_ARENA_F_PROFILE: a stand-in hook attaches the profile with the
 * default policy at the arena's first checkpoint, unless the runtime
 * attached one (with its own policy) before, then unhooks itself.  A
 * failed attach (-ENOMEM) is retried at the next checkpoint.
 */
static const struct vgcu_policy_ops prof_auto_ops;

static void prof_auto_before_checkpoint(struct vgc_arena *a, void *priv,
					const struct vgc_ckpt_opts *o)
{
	(void)priv;
	if (vgc_profile_attach(a, NULL) == -ENOMEM)
		return;
	vgcu_policy_detach(a, &prof_auto_ops);
	/* the profile's own hook may sit in an earlier slot: sample now
	 * (once per checkpoint, so a second call does nothing) */
	profile_sample(a, o->flags, o->partition_mask);
}

static const struct vgcu_policy_ops prof_auto_ops = {
	.name = "zone_profile_auto",
	.before_checkpoint = prof_auto_before_checkpoint,
};

int vgcu_profile_auto(struct vgc_arena *a)
{
	return vgcu_policy_attach(a, &prof_auto_ops, NULL);
}

VGCU_API int vgc_zone_checkpoint(struct vgc_arena *a,
				 const struct vgc_ckpt_opts *o,
				 struct vgc_checkpoint *result)
{
	struct vgc_checkpoint local;
	uint64_t sweeps[VGC_NR_ZONES] = { 0 }, pause[VGC_NR_ZONES] = { 0 };
	struct zprof *p = prof_of(a);
	unsigned int z, q;
	int ret;

	if (!result)
		result = &local;
	if (!p)
		return vgc_checkpoint(a, o, result);
	/* vgc_checkpoint samples too; the second call finds it done */
	profile_sample(a, o ? o->flags : 0, o ? o->partition_mask : 0);
	for (z = 0; z < VGC_NR_ZONES; z++)
		for (q = 0; q < a->nr_parts; q++) {
			const struct vgc_region_stats *rs =
				vgc_region_stats(a, z, q);

			if (rs) {
				sweeps[z] += rs->sweeps;
				pause[z] += rs->total_pause_ns;
			}
		}
	ret = vgc_checkpoint(a, o, result);
	if (ret < 0)
		return ret;

	pthread_mutex_lock(&p->lock);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		uint64_t sw = 0, ps = 0, tot = 0;
		struct vgc_zone_record *r;

		for (q = 0; q < a->nr_parts; q++) {
			const struct vgc_region_stats *rs =
				vgc_region_stats(a, z, q);

			if (rs) {
				sw += rs->sweeps;
				ps += rs->total_pause_ns;
			}
		}
		if (sw == sweeps[z] || !p->zobjs[z])
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
		r->t_ns = (double)(ps - pause[z]) +
			  (double)p->st.last_sample_ns * p->zobjs[z] / tot;
		p->nrec++;
	}
	p->st.records = p->nrec < PROF_RECORDS ? p->nrec : PROF_RECORDS;
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/*
 * The entry of a live object, under p->lock.  An object the sampler has
 * not met yet is initialised here and marked seen, so that what the
 * runtime reports before the first checkpoint survives it.
 */
static struct pent *ent_of(struct zprof *p, const void *ptr)
{
	struct vgc_objinfo oi;
	struct pent *e;

	if (vgc_locate(p->a, ptr, &oi) < 0 || !oi.valid ||
	    (const char *)ptr != p->a->data + (oi.index << VGC_GRANULE_SHIFT))
		return NULL;
	e = &p->ent[oi.index];
	quiet_wake(p, oi.index >> 6);
	if (!(p->vshadow[oi.index >> 6] & (1ULL << (oi.index & 63)))) {
		ent_init(p, e, (unsigned int)(oi.size >> VGC_GRANULE_SHIFT));
		p->vshadow[oi.index >> 6] |= 1ULL << (oi.index & 63);
	}
	return e;
}

VGCU_API int vgc_profile_fanin(struct vgc_arena *a, const void *ptr,
			       unsigned int fanin)
{
	struct zprof *p = prof_of(a);
	struct pent *e;

	if (!p)
		return -ENOENT;
	pthread_mutex_lock(&p->lock);
	e = ent_of(p, ptr);
	if (e)
		__atomic_store_n(&e->phi, (uint8_t)(fanin > 255 ? 255 : fanin),
				 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&p->lock);
	return e ? 0 : -EINVAL;
}

VGCU_API int vgc_profile_weight(struct vgc_arena *a, const void *ptr,
				double kappa)
{
	struct zprof *p = prof_of(a);
	struct pent *e;
	long k;

	if (!p)
		return -ENOENT;
	if (!isfinite(kappa) || kappa < 0.0)
		return -EINVAL;
	k = lrint(kappa * KAPPA_ONE);
	if (k > KAPPA_MAX)
		k = KAPPA_MAX;
	pthread_mutex_lock(&p->lock);
	e = ent_of(p, ptr);
	if (e)
		e->meta = (uint8_t)((e->meta & ~KAPPA_MAX) | k);
	pthread_mutex_unlock(&p->lock);
	return e ? 0 : -EINVAL;
}

VGCU_API int vgc_profile_features(struct vgc_arena *a, const void *ptr,
				  struct vgc_features *out, int *decided)
{
	struct zprof *p = prof_of(a);
	struct vgc_objinfo oi;
	struct pent *e;

	if (!p)
		return -ENOENT;
	if (!out || vgc_locate(a, ptr, &oi) < 0)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	e = ent_of(p, ptr);
	if (!e) {
		pthread_mutex_unlock(&p->lock);
		return -EINVAL;
	}
	ent_features(p, e, (unsigned int)(oi.size / VGC_GRANULE_SIZE), out);
	if (decided)
		*decided = (e->meta >> 6) == TARGET_NONE ? -1 : e->meta >> 6;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

VGCU_API int vgc_profile_stats(struct vgc_arena *a,
			       struct vgc_profile_stats *st)
{
	struct zprof *p = prof_of(a);

	if (!p || !st)
		return p ? -EINVAL : -ENOENT;
	pthread_mutex_lock(&p->lock);
	*st = p->st;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

VGCU_API int vgc_profile_records(struct vgc_arena *a,
				 struct vgc_zone_record *out, size_t cap)
{
	struct zprof *p = prof_of(a);
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
	struct zprof *p = prof_of(a);
	struct vgc_zone_record *r;
	struct vgc_zone_policy pol;
	int n, ret;

	if (!p)
		return -ENOENT;
	r = malloc(PROF_RECORDS * sizeof(*r));
	if (!r)
		return -ENOMEM;
	n = vgc_profile_records(a, r, PROF_RECORDS);
	pthread_mutex_lock(&p->lock);
	pol = p->pol;
	ret = vgc_zone_fit_records(&pol, r, (size_t)n);
	if (ret > 0)
		pol_apply(p, &pol);
	pthread_mutex_unlock(&p->lock);
	free(r);
	return ret;
}

/* ---- candidates and re-homing ------------------------------------------- */

static unsigned int target_of(struct zprof *p, uint64_t idx, unsigned int z,
			      unsigned int state)
{
	unsigned int t = TARGET_NONE;

	if (p)
		t = __atomic_load_n(&p->ent[idx].meta, __ATOMIC_RELAXED) >> 6;
	if (t != TARGET_NONE && t != z &&
	    (state == VGC_ST_PROMOTE) == (zrank(t) > zrank(z)))
		return t;
	return state == VGC_ST_PROMOTE ? zone_up(z) : zone_down(z);
}

VGCU_API int vgc_rehome_candidates(struct vgc_arena *a,
				   struct vgc_candidate *out, size_t cap,
				   uint64_t *cursor)
{
	struct zprof *p = prof_of(a);
	uint64_t nwords = (a->total_granules + 63) >> 6, w, i0;
	size_t n = 0;

	if (!out || !cursor)
		return -EINVAL;
	i0 = *cursor;
	for (w = i0 >> 6; w < nwords && n < cap; w++) {
		uint64_t v = __atomic_load_n(&a->planes[VGC_PLANE_VALID][w],
					     __ATOMIC_ACQUIRE);
		uint64_t cand, busy;

		if (!v)
			continue;
		cand = v & ~a->planes[VGC_PLANE_S2][w] &
		       a->planes[VGC_PLANE_S1][w];
		busy = __atomic_load_n(&a->planes[VGC_PLANE_RELEASE][w],
				       __ATOMIC_RELAXED) |
		       __atomic_load_n(&a->planes[VGC_PLANE_KEEP][w],
				       __ATOMIC_RELAXED) |
		       __atomic_load_n(&a->planes[VGC_PLANE_PIN][w],
				       __ATOMIC_RELAXED);
		cand &= ~busy;
		if (w == i0 >> 6)
			cand &= ~0ULL << (i0 & 63);
		while (cand && n < cap) {
			unsigned int b = (unsigned int)__builtin_ctzll(cand);
			uint64_t idx = (w << 6) + b;
			struct vgc_candidate *c = &out[n];
			struct vgc_objinfo oi;

			cand &= cand - 1;
			c->ptr = a->data + (idx << VGC_GRANULE_SHIFT);
			if (vgc_locate(a, c->ptr, &oi) < 0)
				continue;
			c->index = idx;
			c->state = oi.state;
			c->from_zone = oi.zone;
			c->gen = oi.gen;
			c->size = oi.size;
			c->to_zone = target_of(p, idx, oi.zone, oi.state);
			n++;
			*cursor = idx + 1;
		}
		if (n < cap)
			*cursor = (w + 1) << 6;
	}
	return (int)n;
}

static void *rehome_locked(struct vgc_arena *a, struct zprof *p, void *ptr,
			   const struct vgc_objinfo *oi, unsigned int zone)
{
	struct vgc_objinfo ni;
	void *q;
	int ret;

	q = vgc_alloc_gen(a, oi->size, (enum vgc_zone)zone,
			  (enum vgc_gen)oi->gen, 0);
	if (!q)
		return NULL;
	memcpy(q, ptr, oi->size);
	if (p && vgc_locate(a, q, &ni) == 0) {
		struct pent *e = &p->ent[ni.index];

		quiet_wake(p, oi->index >> 6);
		quiet_wake(p, ni.index >> 6);
		*e = p->ent[oi->index];
		e->meta = (uint8_t)((e->meta & KAPPA_MAX) | TARGET_NONE << 6);
		/* seen: the next sample must not reset the carried history */
		p->vshadow[ni.index >> 6] |= 1ULL << (ni.index & 63);
	}
	ret = vgc_release(a, ptr);
	if (ret < 0) {
		vgc_release(a, q);
		errno = -ret;
		return NULL;
	}
	return q;
}

VGCU_API void *vgc_rehome_to(struct vgc_arena *a, void *ptr, enum vgc_zone zone)
{
	struct zprof *p;
	struct vgc_objinfo oi;
	void *q;

	if (!a || (unsigned int)zone >= VGC_NR_ZONES ||
	    vgc_locate(a, ptr, &oi) < 0 || !oi.valid ||
	    oi.state > VGC_ST_DEMOTE ||
	    ((char *)ptr - a->data) != (ptrdiff_t)(oi.index << VGC_GRANULE_SHIFT)) {
		errno = EINVAL;
		return NULL;
	}
	p = prof_of(a);
	if (p)
		pthread_mutex_lock(&p->lock);
	q = rehome_locked(a, p, ptr, &oi, zone);
	if (p)
		pthread_mutex_unlock(&p->lock);
	return q;
}

VGCU_API void *vgc_rehome(struct vgc_arena *a, void *ptr)
{
	struct vgc_objinfo oi;
	struct zprof *p;
	unsigned int t;

	if (!a || vgc_locate(a, ptr, &oi) < 0 || !oi.valid ||
	    (oi.state != VGC_ST_PROMOTE && oi.state != VGC_ST_DEMOTE)) {
		errno = EINVAL;
		return NULL;
	}
	p = prof_of(a);
	t = target_of(p, oi.index, oi.zone, oi.state);
	if (t == oi.zone) {
		/* nowhere to go (promote in Green, demote in Red): decline */
		int ret = vgc_keep(a, ptr);

		if (ret < 0) {
			errno = -ret;
			return NULL;
		}
		return ptr;
	}
	return vgc_rehome_to(a, ptr, (enum vgc_zone)t);
}

VGCU_API void *vgc_alloc_static(struct vgc_arena *a, size_t size,
				enum vgc_zone zone)
{
	return vgc_alloc_gen(a, size, zone, VGC_GEN2, VGC_ALLOC_F_PERSISTENT);
}
