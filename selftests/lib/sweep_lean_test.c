// SPDX-License-Identifier: GPL-2.0
/*
 * The lean span sweep of the shared core (core/vgc_sweep.h, the one vgc.ko
 * and libvgcu run) against the reference: vgc_sweep_word() word by word
 * with vgc_sweep_count() and vgc_state_hist_word().  Random histories:
 * every state, access and request combination, allocations between the
 * sweeps, words with release requests only and words with every request,
 * the same planes, counts and histograms after every sweep.  Then requests
 * racing with sweeps: no release is lost (each one set is applied, dropped
 * or still pending).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "vgc_sweep.h"

#define SPANS	4
#define WORDS	(SPANS * VGC_SPAN_WORDS)
#define CLS	3

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Sparse random bits: about one in 2^k. */
static uint64_t sparse(uint64_t *s, unsigned int k)
{
	uint64_t m = ~0ULL;

	while (k--)
		m &= rnd(s);
	return m;
}

struct planes {
	__u64 w[VGC_NR_PLANES][WORDS];
};

static void reference(struct planes *pl, struct vgc_sweep_counts *c,
		      __u64 hist[VGC_NR_STATES])
{
	unsigned int w;

	for (w = 0; w < WORDS; w++) {
		struct vgc_sweep_in in = {
			.v = pl->w[VGC_PLANE_VALID][w],
			.s0 = pl->w[VGC_PLANE_S0][w],
			.s1 = pl->w[VGC_PLANE_S1][w],
			.s2 = pl->w[VGC_PLANE_S2][w],
			.a = pl->w[VGC_PLANE_ACCESS][w],
			.r = pl->w[VGC_PLANE_RELEASE][w],
			.p = pl->w[VGC_PLANE_PIN][w],
			.k = pl->w[VGC_PLANE_KEEP][w],
			.promote = pl->w[VGC_PLANE_PROMOTE][w],
			.demote = pl->w[VGC_PLANE_DEMOTE][w],
			.z = ~0ULL,
		};
		struct vgc_sweep_out o;
		unsigned int k;

		vgc_sweep_word(&in, &o);
		vgc_sweep_count(&o, c);
		c->reclaimed_bytes += vgc_popcount64(o.reclaimed) * CLS *
				      VGC_GRANULE_SIZE;
		vgc_state_hist_word(o.v, o.s0, o.s1, o.s2, hist);
		pl->w[VGC_PLANE_VALID][w] = o.v;
		pl->w[VGC_PLANE_S0][w] = o.s0;
		pl->w[VGC_PLANE_S1][w] = o.s1;
		pl->w[VGC_PLANE_S2][w] = o.s2;
		for (k = VGC_PLANE_ACCESS; k < VGC_NR_PLANES; k++)
			if (k != VGC_PLANE_MUTATE)
				pl->w[k][w] = 0;
	}
}

static void lean(struct planes *pl, struct vgc_sweep_counts *c,
		 __u64 hist[VGC_NR_STATES])
{
	__u64 *p[VGC_NR_PLANES];
	unsigned int k, s;

	for (k = 0; k < VGC_NR_PLANES; k++)
		p[k] = pl->w[k];
	for (s = 0; s < SPANS; s++)
		vgc_core_sweep_span(p, s, CLS, c, hist);
}

/*
 * The mutator between sweeps: allocate some free slots, touch, release,
 * and in some words file every other request too; words of span 0 get
 * arbitrary (even nonsensical) request bits, span 1 only releases.
 */
static void mutate(struct planes *pl, uint64_t *seed, unsigned int round)
{
	unsigned int w;

	for (w = 0; w < WORDS; w++) {
		__u64 v = pl->w[VGC_PLANE_VALID][w];
		unsigned int span = w / VGC_SPAN_WORDS;

		pl->w[VGC_PLANE_VALID][w] |= ~v & sparse(seed, 2);
		pl->w[VGC_PLANE_ACCESS][w] |= sparse(seed, 1 + round % 3);
		if (rnd(seed) & 1)
			pl->w[VGC_PLANE_RELEASE][w] |= sparse(seed, 3);
		if (span == 1)
			continue;
		if (span == 0 || !(rnd(seed) & 7)) {
			pl->w[VGC_PLANE_PIN][w] |= sparse(seed, 4);
			pl->w[VGC_PLANE_KEEP][w] |= sparse(seed, 3);
			pl->w[VGC_PLANE_PROMOTE][w] |= sparse(seed, 3);
			pl->w[VGC_PLANE_DEMOTE][w] |= sparse(seed, 3);
		}
		pl->w[VGC_PLANE_MUTATE][w] |= sparse(seed, 3);
	}
}

TEST(lean_equals_reference_random_histories)
{
	struct planes *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned int h, round, w, k;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	for (h = 0; h < 40; h++) {
		/* any codes at all to start with, then the machine's own */
		for (w = 0; w < WORDS; w++) {
			for (k = 0; k < VGC_NR_PLANES; k++)
				a->w[k][w] = 0;
			a->w[VGC_PLANE_VALID][w] = rnd(&seed);
			a->w[VGC_PLANE_S0][w] = rnd(&seed) |
						~a->w[VGC_PLANE_VALID][w];
			a->w[VGC_PLANE_S1][w] = rnd(&seed) &
						a->w[VGC_PLANE_VALID][w];
			a->w[VGC_PLANE_S2][w] = rnd(&seed) &
						a->w[VGC_PLANE_VALID][w];
		}
		for (round = 0; round < 24; round++) {
			struct vgc_sweep_counts cr, cl;
			__u64 hr[VGC_NR_STATES] = { 0 }, hl[VGC_NR_STATES] = { 0 };

			mutate(a, &seed, round);
			memcpy(b, a, sizeof(*a));
			memset(&cr, 0, sizeof(cr));
			memset(&cl, 0, sizeof(cl));
			reference(a, &cr, hr);
			lean(b, &cl, hl);
			ASSERT_EQ(0, memcmp(a, b, sizeof(*a)))
				TH_LOG("history %u round %u: planes differ", h, round);
			ASSERT_EQ(0, memcmp(&cr, &cl, sizeof(cr)))
				TH_LOG("history %u round %u: counts differ", h, round);
			ASSERT_EQ(0, memcmp(hr, hl, sizeof(hr)))
				TH_LOG("history %u round %u: histogram differs", h, round);
		}
	}
	free(a);
	free(b);
}

struct racer {
	struct planes *pl;
	volatile int stop;
	uint64_t set;		/* release bits this thread set (were 0) */
	uint64_t touches;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	uint64_t seed = 12345;

	while (!r->stop) {
		unsigned int w = rnd(&seed) % WORDS, b = rnd(&seed) % 64;
		__u64 bit = 1ULL << b;

		if (__atomic_fetch_or(&r->pl->w[VGC_PLANE_RELEASE][w], bit,
				      __ATOMIC_SEQ_CST) & bit)
			continue;
		r->set++;
		__atomic_fetch_or(&r->pl->w[VGC_PLANE_ACCESS][w], bit,
				  __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Every release filed during the sweeps is applied, dropped or pending. */
TEST(requests_racing_with_sweeps_are_never_lost)
{
	struct planes *pl = calloc(1, sizeof(*pl));
	struct racer r = { .pl = pl };
	struct vgc_sweep_counts c;
	uint64_t seed = 7, left = 0;
	pthread_t t;
	unsigned int i, w;

	ASSERT_NE(NULL, pl);
	for (w = 0; w < WORDS; w++) {
		pl->w[VGC_PLANE_VALID][w] = rnd(&seed);
		pl->w[VGC_PLANE_S0][w] = ~0ULL;
	}
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, pthread_create(&t, NULL, race, &r));
	for (i = 0; i < 20000; i++) {
		__u64 h[VGC_NR_STATES] = { 0 };

		lean(pl, &c, (i & 1) ? h : NULL);
		/* keep objects coming: allocate the freed slots back */
		for (w = 0; w < WORDS; w++)
			__atomic_fetch_or(&pl->w[VGC_PLANE_VALID][w],
					  sparse(&seed, 1), __ATOMIC_RELAXED);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	for (w = 0; w < WORDS; w++)
		left += vgc_popcount64(pl->w[VGC_PLANE_RELEASE][w]);
	TH_LOG("%llu releases: %llu deferred, %llu dropped, %llu pending",
	       (unsigned long long)r.set, (unsigned long long)c.deferred,
	       (unsigned long long)c.dropped, (unsigned long long)left);
	ASSERT_GT(c.deferred, 0);
	/* only release requests race here: dropped counts releases alone */
	ASSERT_EQ(r.set, c.deferred + c.dropped + left);
	free(pl);
}

TEST_HARNESS_MAIN
