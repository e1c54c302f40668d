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
#include <sys/mman.h>
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

/*
 * Forgets what the profile kept for span s: its objects' history, pending
 * access bits and settled words.  A span left without object heads gives
 * the pages of its entries back.
 */
static void span_forget(struct zprof *p, uint64_t s, uint16_t now)
{
	const uint64_t w0 = s * VGCU_WORDS_PER_SPAN;
	unsigned int k;

	for (k = 0; k < VGCU_WORDS_PER_SPAN; k++) {
		/* test first: a word never written stays an unbacked page */
		if (p->vshadow[w0 + k])
			p->vshadow[w0 + k] = 0;
		if (p->pend[w0 + k])
			p->pend[w0 + k] = 0;
		if (p->quiet[w0 + k].skipped)
			memset(&p->quiet[w0 + k], 0, sizeof(p->quiet[w0 + k]));
	}
	if (now == VGC_SPAN_DECOMMITTED || now == VGC_SPAN_CONT)
		madvise(&p->ent[s << VGCU_SPAN_SHIFT_G],
			VGC_SPAN_GRANULES * sizeof(struct pent), MADV_DONTNEED);
}

/*
 * The span table value of span s, under p->lock, with the profile's
 * state of the span made to follow it: a span re-carved for another
 * class, decommitted, or turned into a large object's continuation since
 * the profile last looked holds none of the objects it kept entries for.
 * RETIRING is a passing state (a re-carve, a decommit, a retire that
 * failed): it changes nothing and the span is skipped.
 */
uint16_t vgcu_zprof_span_sync(struct zprof *p, uint64_t s)
{
	uint16_t c = __atomic_load_n(&p->a->spans[s], __ATOMIC_ACQUIRE);

	if (c != VGC_SPAN_RETIRING && c != p->seen[s]) {
		span_forget(p, s, c);
		p->seen[s] = c;
	}
	return c;
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
	/* a large object is not of a size class */
	x->lambda = gran <= VGC_SPAN_GRANULES ? p->cls_rate[gran] : 0.0;
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

/* What one sample needs of the arena and the policy, and what it counts. */
struct sample {
	struct zprof *p;
	struct vgc_arena *a;
	uint64_t *V, *S0, *S1, *S2, *ACC, *MUT, *PRM, *DEM, *KEEP;
	const struct vgc_zone_policy *pol;
	uint32_t aq;			/* ema_alpha in Q16 */
	int classify;			/* this sample decides zones */
	/* exact integer forms of a > thA_G, a >= thA_B, mu >= thM_B */
	int64_t thg, thb, thm;
	uint64_t pmask;			/* partitions the checkpoint sweeps */
	int ev[VGC_NR_ZONES][VGC_NR_GENS];	/* the sweep evaluates */
	uint64_t classified, settled;
};

/*
 * One word's sample: its bits, the requests it files and its sums.  The
 * helpers below are inlined into word_sample(), which keeps all of it in
 * registers (summing into p->acc directly would not: entry stores alias
 * it).
 */
struct word {
	uint64_t v, acc, mut, s0, s1, s2;
	uint64_t fresh;			/* allocated since the last sample */
	uint64_t ia;			/* Idle or Active */
	uint64_t opn;			/* open: Idle, Active or a candidate */
	uint64_t prm, dem, keep, decided;
	/* vgc_zone_features() of the objects of an evaluated word */
	uint64_t sk, ska, sphi, sgran, sgm, sginv, nobj;
	/* the sums a settled word caches (struct quiet) */
	uint64_t qk, qphi, qgran, qginv, qn;
	unsigned int zone, gran;
	int evw;			/* the coming sweep evaluates it */
	/* the word may settle: Red, every object cold and decided Red */
	int settle;
};

static void sample_begin(struct sample *s, struct zprof *p, unsigned int flags,
			 uint64_t pmask, uint64_t n)
{
	struct vgc_arena *a = p->a;
	const struct vgc_zone_policy *pol = &p->pol;
	unsigned int z, g;

	s->p = p;
	s->a = a;
	s->V = a->planes[VGC_PLANE_VALID];
	s->S0 = a->planes[VGC_PLANE_S0];
	s->S1 = a->planes[VGC_PLANE_S1];
	s->S2 = a->planes[VGC_PLANE_S2];
	s->ACC = a->planes[VGC_PLANE_ACCESS];
	s->MUT = a->planes[VGC_PLANE_MUTATE];
	s->PRM = a->planes[VGC_PLANE_PROMOTE];
	s->DEM = a->planes[VGC_PLANE_DEMOTE];
	s->KEEP = a->planes[VGC_PLANE_KEEP];
	s->pol = pol;
	s->aq = p->alpha_q;
	s->classify = !(p->st.samples % pol->classify_every);
	s->thg = th_int(floor(pol->th.thA_G * 65535.0));
	s->thb = th_int(ceil(pol->th.thA_B * 65535.0));
	s->thm = th_int(ceil(pol->th.thM_B * 65535.0));
	s->pmask = pmask;
	s->classified = 0;
	s->settled = 0;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (g = 0; g < VGC_NR_GENS; g++)
			s->ev[z][g] = evaluates(a, n, flags, z, g);
		p->fsum[z][0] = p->fsum[z][1] = p->fsum[z][2] = 0.0;
		p->zobjs[z] = 0;
		memset(&p->acc[z], 0, sizeof(p->acc[z]));
	}
}

/*
 * Takes the word's ACCESS and MUTATE bits.  A word the coming sweep
 * evaluates gets its pending ACCESS bits back; another word's ACCESS bits
 * go to the pending plane.
 */
static inline void word_take(struct sample *s, uint64_t w, struct word *x)
{
	struct zprof *p = s->p;

	if (x->evw) {
		x->acc = __atomic_load_n(&s->ACC[w], __ATOMIC_RELAXED);
		if (p->pend[w]) {
			__atomic_fetch_or(&s->ACC[w], p->pend[w],
					  __ATOMIC_SEQ_CST);
			vgc_core_note(s->a->sums, w << 6);
			p->pend[w] = 0;
		}
	} else {
		x->acc = x->v ? __atomic_load_n(&s->ACC[w],
						 __ATOMIC_RELAXED) : 0;
		if (x->acc)
			x->acc = __atomic_exchange_n(&s->ACC[w], 0,
						     __ATOMIC_RELAXED);
		if (x->acc)
			p->pend[w] |= x->acc;
	}
	x->mut = x->v ? __atomic_load_n(&s->MUT[w], __ATOMIC_RELAXED) : 0;
	if (x->mut)
		x->mut = __atomic_exchange_n(&s->MUT[w], 0, __ATOMIC_RELAXED);
}

/*
 * A settled word nothing woke up is skipped whole: its objects count
 * from the sums it cached.  True when skipped; a word that woke up gets
 * its skipped windows back and is sampled object by object.
 */
static inline bool word_quiet_skip(struct sample *s, uint64_t w,
				   const struct word *x)
{
	struct zprof *p = s->p;
	struct quiet *q = &p->quiet[w];

	if (!(q->skipped & QUIET_ON))
		return false;
	if (!x->fresh && x->v == p->vshadow[w] && !x->acc && !x->mut &&
	    !(x->v & x->s2) && !(x->v & x->s1) &&
	    (q->skipped & ~QUIET_ON) < AGE_MAX) {
		q->skipped++;
		if (x->evw) {
			p->acc[x->zone].k += q->k;
			p->acc[x->zone].phi += q->phi;
			p->acc[x->zone].gran += q->gran;
			p->acc[x->zone].ginv += q->ginv;
			p->zobjs[x->zone] += q->n;
		}
		if (s->classify)
			s->classified += q->n;
		s->settled++;
		return true;
	}
	vgcu_zprof_quiet_wake(p, w);
	return false;
}

/* The zone an open object's rates decide. */
static inline unsigned int object_decide(const struct sample *s,
					 const struct pent *e,
					 unsigned int gran)
{
	struct vgc_features f;
	unsigned int m = 0;

	if (e->a > s->thg)
		m |= 1U << VGC_ZONE_GREEN;
	if (e->a >= s->thb || e->mu >= s->thm)
		m |= 1U << VGC_ZONE_BLUE;
	if (!m)
		return VGC_ZONE_RED;
	if (!(m & (m - 1)))
		return (unsigned int)__builtin_ctz(m);
	vgcu_zprof_ent_features(s->p, e, gran, &f);
	return (unsigned int)vgc_zone_decide(s->pol, &f);
}

/*
 * Classifies an open object: records the decision and whether it repeats
 * the last one, then files what it asks for.  It acts when the policy
 * needs no confirmation or the decision repeats.
 */
static inline void object_classify(struct sample *s, struct word *x,
				   struct pent *e, uint64_t bit)
{
	const unsigned int d = object_decide(s, e, x->gran);
	const uint8_t meta = __atomic_load_n(&e->meta, __ATOMIC_RELAXED);
	const unsigned int prev = meta >> 6;
	int act;

	__atomic_store_n(&e->meta, (uint8_t)((meta & KAPPA_MAX) | d << 6),
			 __ATOMIC_RELAXED);
	if (prev == d)
		e->age |= AGE_SAME;
	else
		e->age &= AGE_MAX;
	act = s->pol->confirm <= 1 || prev == d;
	s->classified++;
	if (!(x->ia & bit)) {
		/*
		 * A candidate whose decision came back home, or turned
		 * round, reverts to Active.
		 */
		if (act && (d == x->zone ||
			    (zrank(d) > zrank(x->zone)) != !(x->s0 & bit)))
			x->keep |= bit;
		return;
	}
	if (!act) {
		x->settle = 0;
		return;
	}
	x->decided |= bit;
	if (d != x->zone) {
		if (zrank(d) > zrank(x->zone))
			x->prm |= bit;
		else
			x->dem |= bit;
		s->p->st.requested[d]++;
	}
}

/* One live object of the word: EMAs, age, sums, and its classification. */
static inline void object_sample(struct sample *s, struct word *x,
				 struct pent *e, uint64_t bit)
{
	if (x->fresh & bit)
		vgcu_zprof_ent_init(s->p, e, x->gran);
	e->a = ema16(e->a, !!(x->acc & bit), s->aq);
	e->mu = ema16(e->mu, !!(x->mut & bit), s->aq);
	if ((e->age & AGE_MAX) != AGE_MAX)
		e->age++;
	if (x->settle) {
		const unsigned int gq = x->gran + e->phi;

		x->qk += e->meta & KAPPA_MAX;
		x->qphi += e->phi;
		x->qgran += x->gran;
		x->qginv += (uint64_t)gq * inv_age[e->age & AGE_MAX];
		x->qn++;
	}
	if (x->evw) {
		/* vgc_zone_features(), summed in integers */
		const unsigned int k = e->meta & KAPPA_MAX;
		const unsigned int gp = x->gran + e->phi;

		x->sk += k;
		x->ska += (uint64_t)k * e->a;
		x->sphi += e->phi;
		x->sgran += x->gran;
		x->sgm += (uint64_t)gp * e->mu;
		x->sginv += (uint64_t)gp * inv_age[e->age & AGE_MAX];
		x->nobj++;
	}
	if (x->settle && (e->a || e->mu || !(x->ia & bit)))
		x->settle = 0;
	if (s->classify && (x->opn & bit))
		object_classify(s, x, e, bit);
}

/*
 * The word settles only if the decisions just made were Red twice (act
 * held for all, see object_classify()) and nothing is pending.
 */
static inline void word_settle(struct zprof *p, uint64_t w,
			       const struct word *x)
{
	struct quiet *q = &p->quiet[w];

	if (!x->settle || !x->qn || x->prm || x->dem || x->keep || x->fresh ||
	    x->qn > 64)
		return;
	q->skipped = QUIET_ON;
	q->n = (uint16_t)x->qn;
	q->k = (uint16_t)x->qk;
	q->phi = (uint32_t)x->qphi;
	q->gran = (uint32_t)x->qgran;
	q->ginv = x->qginv > UINT32_MAX ? UINT32_MAX : (uint32_t)x->qginv;
}

static inline void word_sums_add(struct zprof *p, const struct word *x)
{
	if (!x->nobj)
		return;
	p->acc[x->zone].k += x->sk;
	p->acc[x->zone].ka += x->ska;
	p->acc[x->zone].phi += x->sphi;
	p->acc[x->zone].gran += x->sgran;
	p->acc[x->zone].gm += x->sgm;
	p->acc[x->zone].ginv += x->sginv;
	p->zobjs[x->zone] += x->nobj;
}

/*
 * Files the word's PROMOTE, DEMOTE and KEEP requests.  A request still
 * waiting for a sparse sweep must follow the latest decision, or the
 * object would become a candidate for a zone it no longer belongs to.
 */
static inline void word_file(struct sample *s, uint64_t w,
			     const struct word *x)
{
	uint64_t stale;

	if (x->prm)
		__atomic_fetch_or(&s->PRM[w], x->prm, __ATOMIC_SEQ_CST);
	if (x->dem)
		__atomic_fetch_or(&s->DEM[w], x->dem, __ATOMIC_SEQ_CST);
	if (x->keep)
		__atomic_fetch_or(&s->KEEP[w], x->keep, __ATOMIC_SEQ_CST);
	if (x->prm | x->dem | x->keep)
		vgc_core_note(s->a->sums, w << 6);
	if (!x->decided)
		return;
	stale = __atomic_load_n(&s->PRM[w], __ATOMIC_RELAXED) & x->decided &
		~x->prm;
	if (stale)
		__atomic_fetch_and(&s->PRM[w], ~stale, __ATOMIC_RELAXED);
	stale = __atomic_load_n(&s->DEM[w], __ATOMIC_RELAXED) & x->decided &
		~x->dem;
	if (stale)
		__atomic_fetch_and(&s->DEM[w], ~stale, __ATOMIC_RELAXED);
}

/*
 * Samples word w of a committed span of class gran (1..4096 granules) in
 * zone z; evw: the coming sweep evaluates it.
 */
static inline void word_sample(struct sample *s, uint64_t w, unsigned int z,
			       int evw, unsigned int gran)
{
	struct zprof *p = s->p;
	struct word x = { 0 };
	uint64_t live;

	x.zone = z;
	x.evw = evw;
	x.settle = x.zone == VGC_ZONE_RED && s->classify;
	x.v = __atomic_load_n(&s->V[w], __ATOMIC_ACQUIRE);
	if (!x.v && !p->vshadow[w] && !p->pend[w])
		return;
	word_take(s, w, &x);
	if (!x.v) {
		if (p->vshadow[w])
			p->vshadow[w] = 0;
		return;
	}
	x.s0 = s->S0[w];
	x.s1 = s->S1[w];
	x.s2 = s->S2[w];
	x.fresh = x.v & ~p->vshadow[w];
	if (word_quiet_skip(s, w, &x))
		return;
	x.ia = x.v & ~x.s2 & ~x.s1;
	x.opn = x.v & ~x.s2;
	/* expired slots the coming sweep frees: a reuse is a new object */
	p->vshadow[w] = x.evw ? x.v & ~(x.s2 & x.s1 & x.s0) : x.v;
	x.gran = gran;
	for (live = x.v; live; live &= live - 1) {
		const unsigned int b = (unsigned int)__builtin_ctzll(live);

		object_sample(s, &x, &p->ent[(w << 6) + b], 1ULL << b);
	}
	word_settle(p, w, &x);
	word_sums_add(p, &x);
	word_file(s, w, &x);
}

/* The zones' feature sums, the size classes' allocation rates, stats. */
static void sample_end(const struct sample *s, uint64_t n, uint64_t t0)
{
	struct zprof *p = s->p;
	unsigned int z, c;

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
			p->cls_rate[c] += s->pol->ema_alpha *
					  ((double)p->cls_new[c] -
					   p->cls_rate[c]);
			if (p->cls_rate[c] < 1e-9)
				p->cls_rate[c] = 0.0;
		}
		p->cls_new[c] = 0;
	}
	p->last_n = n;
	p->st.samples++;
	p->st.classified += s->classified;
	p->st.settled_words = s->settled;
	p->st.last_sample_ns = vgcu_now_ns() - t0;
	p->st.sample_ns += p->st.last_sample_ns;
	if (s->classify)
		p->st.classify_ns += p->st.last_sample_ns;
}

/*
 * The committed spans of generation g of region r (zone z, partition q).
 * Regions grow while the profile samples: Gen0's size is read once per
 * pass, with acquire, after the growth published its spans.  Free spans,
 * continuations, retiring and decommitted spans hold no object heads.
 */
static void gen_sample(struct sample *s, const struct vgc_region *r,
		       unsigned int z, unsigned int q, unsigned int g)
{
	struct zprof *p = s->p;
	const int evw = s->ev[z][g] && (s->pmask >> q & 1);
	uint64_t sp = vgcu_load(&r->gen_first[g]) >> VGCU_SPAN_SHIFT_G;
	uint64_t n = vgcu_load(&r->gen_granules[g]) >> VGCU_SPAN_SHIFT_G;
	unsigned int k;

	for (; n--; sp++) {
		const uint16_t c = vgcu_zprof_span_sync(p, sp);
		const uint64_t w0 = sp * VGCU_WORDS_PER_SPAN;

		if (c == VGC_SPAN_FREE || c > VGC_SPAN_GRANULES)
			continue;
		for (k = 0; k < VGCU_WORDS_PER_SPAN; k++)
			word_sample(s, w0 + k, z, evw, c);
	}
}

/* The sample for checkpoint n, under p->lock. */
static void sample_locked(struct zprof *p, unsigned int flags, uint64_t pmask,
			  uint64_t n)
{
	const uint64_t t0 = vgcu_now_ns();
	struct vgc_arena *a = p->a;
	struct sample s;
	unsigned int z, q, g;

	sample_begin(&s, p, flags, pmask, n);
	for (z = 0; z < VGC_NR_ZONES; z++)
		for (q = 0; q < a->nr_parts; q++)
			for (g = 0; g < VGC_NR_GENS; g++)
				gen_sample(&s, vgcu_region(a, z, q), z, q, g);
	sample_end(&s, n, t0);
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
