// SPDX-License-Identifier: GPL-2.0
/*
 * The checkpoint transition table, exhaustively: every nibble (valid bit and
 * 3-bit code) x access bit x every combination of the five requests x zone
 * mask bit, 2048 objects.  The expected next state comes from a reference
 * written here from docs/design.md (State machine) with plain branches,
 * independent of <linux/vgc_state.h>, and is checked against
 * vgc_sweep_word(), the scalar block sweep and the AVX2 block sweep (bit
 * for bit, counters included).
 * Random words then check the AVX2 sweep against the scalar one, tails of
 * every length included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vgcu.h>
#include <linux/vgc_state.h>
#include "kselftest_harness.h"

#define NCASE	2048
#define NW	(NCASE / 64)

struct ref_out {
	unsigned int v, code;
	unsigned int r_left, p_left, k_left, pr_left, dm_left;
	unsigned int to_active, to_idle, deferred, marked, expired, reclaimed;
	unsigned int pinned, promoted, demoted, kept;
	unsigned int dropped_r, dropped_p, dropped_k, dropped_c;
	unsigned int live, stable;
};

struct ref_in {
	unsigned int v, code, a, r, p, k, pr, dm, z;
};

static void case_of(unsigned int i, struct ref_in *c)
{
	c->v = i & 1;
	c->code = (i >> 1) & 7;
	c->a = (i >> 4) & 1;
	c->r = (i >> 5) & 1;
	c->p = (i >> 6) & 1;
	c->k = (i >> 7) & 1;
	c->pr = (i >> 8) & 1;
	c->dm = (i >> 9) & 1;
	c->z = (i >> 10) & 1;
}

/* docs/design.md, State machine, one object at a time. */
static void reference(const struct ref_in *c, struct ref_out *o)
{
	unsigned int open = c->v && c->code <= 3;
	unsigned int ia = c->v && c->code <= 1;
	unsigned int cand = c->v && (c->code == 2 || c->code == 3);
	unsigned int overridden = 1;

	memset(o, 0, sizeof(*o));
	if (!c->z) {
		/* not evaluated: nothing changes, requests stay for later */
		o->v = c->v;
		o->code = c->code;
		o->r_left = c->r;
		o->p_left = c->p;
		o->k_left = c->k;
		o->pr_left = c->pr;
		o->dm_left = c->dm;
		return;
	}
	o->live = c->v;
	o->v = c->v;
	if (!c->v) {
		o->code = 1;		/* the free preset */
	} else {
		switch (c->code) {
		case 0:
		case 1:
			o->code = c->a ? 1 : 0;
			break;
		case 2:
		case 3:
		case 4:
			o->code = c->code;
			break;
		case 5:
			o->code = 6;
			o->marked = 1;
			break;
		case 6:
			o->code = 7;
			o->expired = 1;
			break;
		case 7:
			o->code = 1;
			o->v = 0;
			o->reclaimed = 1;
			break;
		}
	}
	/* requests, judged on the state before the checkpoint */
	if (c->p && open) {
		o->code = 4;
		o->pinned = 1;
	} else if (c->r && open) {
		o->code = 5;
		o->deferred = 1;
	} else if (c->k && cand) {
		o->code = 1;
		o->kept = 1;
	} else if (c->pr && ia) {
		o->code = 2;
		o->promoted = 1;
	} else if (c->dm && ia) {
		o->code = 3;
		o->demoted = 1;
	} else {
		overridden = 0;
	}
	o->dropped_p = c->p && !o->pinned;
	o->dropped_r = c->r && !o->deferred;
	o->dropped_k = c->k && !o->kept;
	o->dropped_c = (c->pr || c->dm) && !o->promoted && !o->demoted;
	if (ia && !overridden) {
		o->to_active = c->code == 0 && c->a;
		o->to_idle = c->code == 1 && !c->a;
	}
	o->stable = o->v && c->v && o->code == c->code;
}

static uint64_t bit_of(unsigned int i)
{
	return 1ULL << (i & 63);
}

struct planes {
	uint64_t v[NW], s0[NW], s1[NW], s2[NW], a[NW];
	uint64_t r[NW], p[NW], k[NW], pr[NW], dm[NW], z[NW];
};

static void build(struct planes *pl)
{
	unsigned int i;

	memset(pl, 0, sizeof(*pl));
	for (i = 0; i < NCASE; i++) {
		struct ref_in c;
		unsigned int w = i / 64;
		uint64_t b = bit_of(i);

		case_of(i, &c);
		if (c.v)
			pl->v[w] |= b;
		if (c.code & 1)
			pl->s0[w] |= b;
		if (c.code & 2)
			pl->s1[w] |= b;
		if (c.code & 4)
			pl->s2[w] |= b;
		if (c.a)
			pl->a[w] |= b;
		if (c.r)
			pl->r[w] |= b;
		if (c.p)
			pl->p[w] |= b;
		if (c.k)
			pl->k[w] |= b;
		if (c.pr)
			pl->pr[w] |= b;
		if (c.dm)
			pl->dm[w] |= b;
		if (c.z)
			pl->z[w] |= b;
	}
}

static unsigned int get(uint64_t word, unsigned int i)
{
	return (word >> (i & 63)) & 1;
}

/* Reference totals, as vgc_sweep_count() and the histogram add them. */
static void ref_totals(struct vgc_sweep_counts *c, uint64_t hist[8])
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	memset(hist, 0, 8 * sizeof(hist[0]));
	c->words = NW;
	for (i = 0; i < NCASE; i++) {
		struct ref_in in;
		struct ref_out o;

		case_of(i, &in);
		reference(&in, &o);
		c->live += o.live;
		c->to_active += o.to_active;
		c->to_idle += o.to_idle;
		c->deferred += o.deferred;
		c->marked += o.marked;
		c->expired += o.expired;
		c->reclaimed += o.reclaimed;
		c->pinned += o.pinned;
		c->promoted += o.promoted;
		c->demoted += o.demoted;
		c->kept += o.kept;
		c->dropped += o.dropped_r + o.dropped_p + o.dropped_k +
			      o.dropped_c;
		c->stable += o.stable;
		if (o.v)
			hist[o.code]++;
	}
}

TEST(word_function_matches_reference)
{
	struct planes pl;
	unsigned int i, bad = 0;

	build(&pl);
	for (i = 0; i < NCASE; i++) {
		unsigned int w = i / 64;
		struct vgc_sweep_in in = {
			.v = pl.v[w], .s0 = pl.s0[w], .s1 = pl.s1[w],
			.s2 = pl.s2[w], .a = pl.a[w], .r = pl.r[w],
			.p = pl.p[w], .k = pl.k[w], .promote = pl.pr[w],
			.demote = pl.dm[w], .z = pl.z[w],
		};
		struct vgc_sweep_out out;
		struct ref_in c;
		struct ref_out o;
		unsigned int code;

		case_of(i, &c);
		reference(&c, &o);
		vgc_sweep_word(&in, &out);
		code = get(out.s0, i) | get(out.s1, i) << 1 |
		       get(out.s2, i) << 2;
#define CHK(x, y) do { if ((x) != (y)) { bad++; \
	TH_LOG("case %u (v%u code%u a%u r%u p%u k%u pr%u dm%u z%u): %s %u != %u", \
	       i, c.v, c.code, c.a, c.r, c.p, c.k, c.pr, c.dm, c.z, #y, \
	       (unsigned int)(x), (unsigned int)(y)); } } while (0)
		CHK(get(out.v, i), o.v);
		CHK(code, o.code);
		CHK(get(out.r_left, i), o.r_left);
		CHK(get(out.p_left, i), o.p_left);
		CHK(get(out.k_left, i), o.k_left);
		CHK(get(out.promote_left, i), o.pr_left);
		CHK(get(out.demote_left, i), o.dm_left);
		CHK(get(out.to_active, i), o.to_active);
		CHK(get(out.to_idle, i), o.to_idle);
		CHK(get(out.deferred, i), o.deferred);
		CHK(get(out.marked, i), o.marked);
		CHK(get(out.expired, i), o.expired);
		CHK(get(out.reclaimed, i), o.reclaimed);
		CHK(get(out.pinned, i), o.pinned);
		CHK(get(out.promoted, i), o.promoted);
		CHK(get(out.demoted, i), o.demoted);
		CHK(get(out.kept, i), o.kept);
		CHK(get(out.dropped_r, i), o.dropped_r);
		CHK(get(out.dropped_p, i), o.dropped_p);
		CHK(get(out.dropped_k, i), o.dropped_k);
		CHK(get(out.dropped_c, i), o.dropped_c);
		CHK(get(out.live, i), o.live);
		CHK(get(out.stable, i), o.stable);
		if (bad > 20)
			break;
	}
	ASSERT_EQ(0, bad);
}

/*
 * Blocks take one zone mask per call: the cases with z = 1 fill words
 * 16..31 and those with z = 0 words 0..15, so two calls cover the table.
 */
static void check_block(struct __test_metadata *_metadata,
			enum vgc_sweep_impl impl)
{
	struct planes pl, out;
	uint64_t rec[NW], hist[8] = { 0 }, rhist[8];
	struct vgc_sweep_counts cnt, rcnt;
	unsigned int i, half;
	int err;

	build(&pl);
	out = pl;
	memset(&cnt, 0, sizeof(cnt));
	for (half = 0; half < 2; half++) {
		unsigned int o = half * NW / 2;
		struct vgc_sweep_block b = {
			.n = NW / 2, .z = half ? ~0ULL : 0,
			.v = out.v + o, .a = out.a + o,
			.s0 = out.s0 + o, .s1 = out.s1 + o, .s2 = out.s2 + o,
			.r = out.r + o, .p = out.p + o, .k = out.k + o,
			.promote = out.pr + o, .demote = out.dm + o,
			.reclaimed = rec + o, .counts = &cnt, .hist = hist,
		};

		ASSERT_EQ(pl.z[o], b.z);
		err = vgc_sweep_block_run(impl, &b);
		if (err == -EOPNOTSUPP)
			SKIP(return, "%s not supported on this CPU",
			     vgc_sweep_impl_name(impl));
		ASSERT_EQ(0, err);
	}
	for (i = 0; i < NCASE; i++) {
		unsigned int w = i / 64;
		struct ref_in c;
		struct ref_out o;
		unsigned int code = get(out.s0[w], i) | get(out.s1[w], i) << 1 |
				    get(out.s2[w], i) << 2;

		case_of(i, &c);
		reference(&c, &o);
		ASSERT_EQ(o.code, code) TH_LOG("case %u", i);
		ASSERT_EQ(o.reclaimed, get(rec[w], i)) TH_LOG("case %u", i);
		ASSERT_EQ(o.r_left, get(out.r[w], i)) TH_LOG("case %u", i);
		ASSERT_EQ(o.p_left, get(out.p[w], i)) TH_LOG("case %u", i);
		ASSERT_EQ(o.k_left, get(out.k[w], i)) TH_LOG("case %u", i);
		ASSERT_EQ(o.pr_left, get(out.pr[w], i)) TH_LOG("case %u", i);
		ASSERT_EQ(o.dm_left, get(out.dm[w], i)) TH_LOG("case %u", i);
	}
	ref_totals(&rcnt, rhist);
	ASSERT_EQ(0, memcmp(&rcnt, &cnt, sizeof(cnt)));
	ASSERT_EQ(0, memcmp(rhist, hist, sizeof(hist)));
}

TEST(scalar_block_matches_reference)
{
	check_block(_metadata, VGC_SWEEP_SCALAR);
}

TEST(avx2_block_matches_reference)
{
	check_block(_metadata, VGC_SWEEP_AVX2);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random planes, every tail length, scalar vs AVX2 bit for bit. */
TEST(avx2_equals_scalar_random)
{
	enum { N = 67 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned int iter, n, i;

	for (iter = 0; iter < 2000; iter++) {
		uint64_t in[11][N], x[2][11][N], rec[2][N], hist[2][8];
		struct vgc_sweep_counts cnt[2];
		uint64_t z = (iter & 3) == 0 ? rnd(&seed) :
			     (iter & 3) == 1 ? 0 : ~0ULL;
		int impl, err;

		n = iter % N + 1;
		for (i = 0; i < 11 * N; i++)
			in[i / N][i % N] = rnd(&seed) & rnd(&seed) ?
					   rnd(&seed) : rnd(&seed) & rnd(&seed);
		for (impl = 0; impl < 2; impl++) {
			struct vgc_sweep_block b = {
				.n = n, .z = z,
				.v = x[impl][0], .a = x[impl][1],
				.s0 = x[impl][2], .s1 = x[impl][3],
				.s2 = x[impl][4], .r = x[impl][5],
				.p = x[impl][6], .k = x[impl][7],
				.promote = x[impl][8], .demote = x[impl][9],
				.reclaimed = rec[impl], .counts = &cnt[impl],
				.hist = hist[impl],
			};

			memcpy(x[impl], in, sizeof(in));
			memset(rec[impl], 0, sizeof(rec[impl]));
			memset(hist[impl], 0, sizeof(hist[impl]));
			memset(&cnt[impl], 0, sizeof(cnt[impl]));
			err = vgc_sweep_block_run(impl ? VGC_SWEEP_AVX2 :
						  VGC_SWEEP_SCALAR, &b);
			if (err == -EOPNOTSUPP)
				SKIP(return, "no AVX2 on this CPU");
			ASSERT_EQ(0, err);
		}
		ASSERT_EQ(0, memcmp(x[0], x[1], sizeof(x[0])))
			TH_LOG("iter %u n %u", iter, n);
		ASSERT_EQ(0, memcmp(rec[0], rec[1], n * sizeof(uint64_t)));
		ASSERT_EQ(0, memcmp(hist[0], hist[1], sizeof(hist[0])));
		ASSERT_EQ(0, memcmp(&cnt[0], &cnt[1], sizeof(cnt[0])));
	}
}

TEST(sweep_impl_selection)
{
	enum vgc_sweep_impl d = vgc_sweep_default();
	const char *env = getenv("VGC_SWEEP");

	ASSERT_TRUE(d == VGC_SWEEP_SCALAR || d == VGC_SWEEP_AVX2);
	if (env && !strcmp(env, "scalar"))
		ASSERT_EQ(VGC_SWEEP_SCALAR, d);
	ASSERT_NE(NULL, vgc_sweep_impl_name(d));
	TH_LOG("sweep implementation: %s", vgc_sweep_impl_name(d));
}

TEST_HARNESS_MAIN
