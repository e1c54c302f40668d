// SPDX-License-Identifier: GPL-2.0
/*
 * Profiling and re-homing end to end: a hot, a warm and a cold population
 * start in Red; after some checkpoints of their access patterns and the
 * runtime re-homing every candidate it is offered, each population lives in
 * its zone (Green, Blue, Red), every payload is intact (checksums), no
 * object was lost or duplicated, and the released old copies are reclaimed
 * through the grace-period path.  Runs on the backend $VGC_BACKEND selects.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include <vgcu.h>
#include <vgcu_zone.h>

#define PER_POP		300
#define NOBJ		(3 * PER_POP)
#define OBJ_SIZE	48
#define WINDOWS		48

enum pop { HOT, WARM, COLD };

struct handle {
	uint64_t *p;
	uint64_t sum;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static uint64_t payload_sum(const uint64_t *p)
{
	uint64_t h = 0;
	unsigned int i;

	for (i = 0; i < OBJ_SIZE / 8; i++)
		h = mix(h, p[i]);
	return h;
}

static enum pop pop_of(unsigned int i)
{
	return (enum pop)(i / PER_POP);
}

static int cmp_ptr(const void *x, const void *y)
{
	uintptr_t a = *(const uintptr_t *)x, b = *(const uintptr_t *)y;

	return a < b ? -1 : a > b;
}

FIXTURE(rehome)
{
	struct vgc_arena *a;
	struct handle h[NOBJ];
};

FIXTURE_SETUP(rehome)
{
	struct vgc_config cfg;
	unsigned int i, z;
	int ret;

	vgc_config_init(&cfg);
	cfg.flags = VGC_ARENA_F_PROFILE;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	for (z = 0; z < VGC_NR_ZONES; z++)
		cfg.zone_bytes[z] = 1 << 20;
	ret = vgc_arena_open(&cfg, &self->a);
	ASSERT_EQ(0, ret) TH_LOG("open: %s", vgc_strerror(ret));
	TH_LOG("backend %s", vgc_backend_name(vgc_arena_backend(self->a)));
	ASSERT_EQ(0, vgc_profile_attach(self->a, NULL));
	ASSERT_EQ(-EBUSY, vgc_profile_attach(self->a, NULL));
	ASSERT_EQ(0, vgc_thread_register(self->a, 0));
	for (i = 0; i < NOBJ; i++) {
		uint64_t *p = vgc_alloc(self->a, OBJ_SIZE, VGC_ZONE_RED);
		unsigned int k;

		ASSERT_NE(NULL, p);
		for (k = 0; k < OBJ_SIZE / 8; k++)
			p[k] = mix(i, k);
		self->h[i].p = p;
		self->h[i].sum = payload_sum(p);
	}
}

FIXTURE_TEARDOWN(rehome)
{
	if (self->a) {
		vgc_thread_unregister(self->a);
		vgc_profile_detach(self->a);
		vgc_arena_close(self->a);
	}
}

static int ckpt(struct vgc_arena *a)
{
	struct vgc_checkpoint r;

	vgc_quiescent(a);
	return vgc_zone_checkpoint(a, NULL, &r);
}

TEST_F(rehome, populations_end_in_their_zones)
{
	static const unsigned int want[3] = {
		VGC_ZONE_GREEN, VGC_ZONE_BLUE, VGC_ZONE_RED,
	};
	struct vgc_candidate c[64];
	uintptr_t ptrs[NOBJ];
	unsigned int w, i, rehomed = 0, in_zone[3] = { 0 };
	unsigned int moves[3][VGC_NR_ZONES][VGC_NR_ZONES] = { { { 0 } } };
	struct vgc_profile_stats st;
	struct vgc_usage u;
	uint64_t live = 0;
	unsigned int z;

	for (w = 1; w <= WINDOWS; w++) {
		uint64_t cur = 0;
		int n;

		for (i = 0; i < NOBJ; i++) {
			enum pop pp = pop_of(i);

			if (pp == HOT || (pp == WARM && w % 3 == 0))
				ASSERT_EQ(0, vgc_touch(self->a, self->h[i].p));
		}
		ASSERT_EQ(0, ckpt(self->a));
		/* the runtime takes every candidate it is offered */
		while ((n = vgc_rehome_candidates(self->a, c, 64, &cur)) > 0) {
			int k;

			for (k = 0; k < n; k++) {
				uint64_t *np;

				for (i = 0; i < NOBJ; i++)
					if (self->h[i].p == c[k].ptr)
						break;
				ASSERT_LT(i, NOBJ) TH_LOG("unknown candidate");
				ASSERT_NE(c[k].from_zone, c[k].to_zone);
				np = vgc_rehome(self->a, c[k].ptr);
				ASSERT_NE(NULL, np) TH_LOG("rehome: %m");
				ASSERT_NE(c[k].ptr, np);
				self->h[i].p = np;
				moves[pop_of(i)][c[k].from_zone][c[k].to_zone]++;
				rehomed++;
			}
		}
		ASSERT_EQ(0, n);
	}
	/* the old copies: Deferred, Marked, reclaimed over three checkpoints */
	for (w = 0; w < 16; w++)
		ASSERT_EQ(0, ckpt(self->a));

	for (i = 0; i < NOBJ; i++) {
		struct vgc_objinfo oi;

		ASSERT_EQ(0, vgc_locate(self->a, self->h[i].p, &oi));
		ASSERT_EQ(1U, oi.valid);
		ASSERT_EQ(self->h[i].sum, payload_sum(self->h[i].p));
		if (oi.zone == want[pop_of(i)])
			in_zone[pop_of(i)]++;
		ptrs[i] = (uintptr_t)self->h[i].p;
	}
	for (i = 0; i < 3; i++)
		TH_LOG("pop %u moves R->G %u R->B %u G->R %u G->B %u B->R %u B->G %u",
		       i, moves[i][0][1], moves[i][0][2], moves[i][1][0],
		       moves[i][1][2], moves[i][2][0], moves[i][2][1]);
	TH_LOG("rehomed %u; in zone: hot %u warm %u cold %u of %u", rehomed,
	       in_zone[0], in_zone[1], in_zone[2], PER_POP);
	ASSERT_EQ(PER_POP, in_zone[HOT]);
	ASSERT_EQ(PER_POP, in_zone[WARM]);
	ASSERT_EQ(PER_POP, in_zone[COLD]);
	/* no handle shares an object */
	qsort(ptrs, NOBJ, sizeof(ptrs[0]), cmp_ptr);
	for (i = 1; i < NOBJ; i++)
		ASSERT_NE(ptrs[i - 1], ptrs[i]);
	/* and the arena holds exactly these objects: nothing leaked */
	for (z = 0; z < VGC_NR_ZONES; z++) {
		ASSERT_EQ(0, vgc_region_usage(self->a, z, 0, 0, &u));
		live += u.live;
	}
	ASSERT_EQ((uint64_t)NOBJ, live);
	ASSERT_GE(rehomed, 2U * PER_POP);
	/* hot R->B->G, warm R->B: EMA transients must not add churn */
	ASSERT_LE(rehomed, 4U * PER_POP);
	ASSERT_EQ(0, vgc_profile_stats(self->a, &st));
	ASSERT_GT(st.samples, (uint64_t)WINDOWS);
	TH_LOG("profile: %llu samples, %llu ns sampling, %llu bytes reserved",
	       (unsigned long long)st.samples,
	       (unsigned long long)st.sample_ns,
	       (unsigned long long)st.bytes);
}

TEST_F(rehome, keep_declines_and_fanin_is_recorded)
{
	struct vgc_candidate c[8];
	struct vgc_features x;
	uint64_t cur = 0;
	int n, w, d;
	void *p = self->h[0].p;

	ASSERT_EQ(0, vgc_profile_fanin(self->a, p, 7));
	ASSERT_EQ(0, vgc_profile_weight(self->a, p, 2.5));
	for (w = 0; w < 8; w++) {
		ASSERT_EQ(0, vgc_touch(self->a, p));
		ASSERT_EQ(0, ckpt(self->a));
	}
	ASSERT_EQ(VGC_ST_PROMOTE, vgc_state(self->a, p));
	ASSERT_EQ(0, vgc_profile_features(self->a, p, &x, &d));
	ASSERT_EQ(7.0, x.phi);
	ASSERT_EQ(2.5, x.kappa);
	ASSERT_GT(x.a, 0.6);
	/* promoted while still warming up: Blue, or Green once hot */
	ASSERT_TRUE(d == VGC_ZONE_BLUE || d == VGC_ZONE_GREEN);
	n = vgc_rehome_candidates(self->a, c, 8, &cur);
	ASSERT_EQ(1, n);
	ASSERT_EQ(p, c[0].ptr);
	ASSERT_EQ((unsigned int)d, c[0].to_zone);
	/* decline: listed no more, Active after the next checkpoint */
	ASSERT_EQ(0, vgc_keep(self->a, p));
	cur = 0;
	ASSERT_EQ(0, vgc_rehome_candidates(self->a, c, 8, &cur));
	ASSERT_EQ(0, ckpt(self->a));
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
	ASSERT_EQ(self->h[0].sum, payload_sum(p));
	/* not a candidate any more: vgc_rehome refuses, to_zone works */
	ASSERT_EQ(NULL, vgc_rehome(self->a, p));
	ASSERT_EQ(EINVAL, errno);
	p = vgc_rehome_to(self->a, p, VGC_ZONE_BLUE);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_profile_features(self->a, p, &x, NULL));
	ASSERT_EQ(7.0, x.phi);
	ASSERT_EQ(self->h[0].sum, payload_sum(p));
}

TEST_F(rehome, static_allocations_are_persistent_gen2)
{
	struct vgc_objinfo oi;
	void *p = vgc_alloc_static(self->a, 64, VGC_ZONE_BLUE);
	int w;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_locate(self->a, p, &oi));
	ASSERT_EQ(VGC_GEN2, oi.gen);
	ASSERT_EQ(VGC_ZONE_BLUE, oi.zone);
	for (w = 0; w < 20; w++)
		ASSERT_EQ(0, ckpt(self->a));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, p));
	ASSERT_EQ(-EPERM, vgc_release(self->a, p));
}

/*
 * The profiler must not steal accesses from a sparse sweep: a Blue object
 * touched in a window whose checkpoint does not evaluate Blue is still
 * Active after the next Blue sweep, and the profile counts that access in
 * one window only, not in every window until the Blue sweep.
 */
TEST(sparse_sweep_still_sees_every_access)
{
	struct vgc_zone_policy pol;
	struct vgc_config cfg;
	struct vgc_features x;
	struct vgc_arena *a;
	void *p;
	int k;

	/* profile only: an untouched Blue object would be demoted to Red */
	vgc_zone_policy_init(&pol);
	pol.classify_every = 1000000;
	vgc_config_init(&cfg);
	cfg.flags = VGC_ARENA_F_PROFILE;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	cfg.blue_every = 4;
	ASSERT_EQ(0, vgc_arena_open(&cfg, &a));
	ASSERT_EQ(0, vgc_profile_attach(a, &pol));
	/* the first sample classifies (sample 0): let it see a fresh arena */
	ASSERT_EQ(0, vgc_profile_sample(a, 0));
	p = vgc_alloc(a, 32, VGC_ZONE_BLUE);
	ASSERT_NE(NULL, p);
	/* checkpoints 1..4: Blue is evaluated at 4, untouched -> Idle */
	for (k = 1; k <= 4; k++)
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(VGC_ST_IDLE, vgc_state(a, p));
	/* touched in window 5 only; checkpoints 5..7 leave Blue alone */
	ASSERT_EQ(0, vgc_touch(a, p));
	for (k = 5; k <= 7; k++) {
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
		ASSERT_EQ(VGC_ST_IDLE, vgc_state(a, p));
	}
	ASSERT_EQ(0, vgc_profile_features(a, p, &x, NULL));
	/* one accessed window of seven, EMA 1/4: 0.25 * 0.75^2 */
	ASSERT_LT(x.a, 0.15);
	ASSERT_GT(x.a, 0.13);
	/* checkpoint 8 evaluates Blue and sees the access of window 5 */
	ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(a, p));
	vgc_arena_close(a);	/* detaches the profile */
}

/*
 * Cold Red words settle (the sampler skips them per word); their objects
 * still age, and an access wakes the word up: the EMA, the decision and
 * the promotion proceed as if it had never slept.
 */
TEST(settled_cold_words_wake_up)
{
	struct vgc_candidate c[4];
	struct vgc_profile_stats st;
	struct vgc_features x;
	struct vgc_config cfg;
	struct vgc_arena *a;
	void *obj[128];
	uint64_t cur = 0;
	int i, k, d;

	vgc_config_init(&cfg);
	cfg.flags = VGC_ARENA_F_PROFILE;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	ASSERT_EQ(0, vgc_arena_open(&cfg, &a));
	ASSERT_EQ(0, vgc_profile_attach(a, NULL));
	for (i = 0; i < 128; i++) {
		obj[i] = vgc_alloc(a, 16, VGC_ZONE_RED);
		ASSERT_NE(NULL, obj[i]);
	}
	for (k = 0; k < 40; k++)
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(0, vgc_profile_stats(a, &st));
	ASSERT_EQ(2U, st.settled_words);
	ASSERT_EQ(0, vgc_profile_features(a, obj[77], &x, &d));
	ASSERT_EQ(VGC_ZONE_RED, d);
	ASSERT_EQ(0.0, x.a);
	/* seen at 40 samples: the skipped windows are counted */
	ASSERT_GE(x.tau, 39.0);
	ASSERT_LE(x.tau, 40.0);
	for (k = 0; k < 40; k++)
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	for (k = 0; k < 6; k++) {
		ASSERT_EQ(0, vgc_touch(a, obj[77]));
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	}
	ASSERT_EQ(0, vgc_profile_features(a, obj[77], &x, &d));
	ASSERT_GE(x.tau, 85.0);
	ASSERT_GT(x.a, 0.8);
	ASSERT_EQ(VGC_ST_PROMOTE, vgc_state(a, obj[77]));
	ASSERT_EQ(1, vgc_rehome_candidates(a, c, 4, &cur));
	ASSERT_EQ(obj[77], c[0].ptr);
	/* its neighbours stayed cold and Red */
	ASSERT_EQ(0, vgc_profile_features(a, obj[76], &x, &d));
	ASSERT_EQ(0.0, x.a);
	ASSERT_EQ(VGC_ZONE_RED, d);
	ASSERT_GE(x.tau, 85.0);
	vgc_arena_close(a);
}

TEST(policy_validated_at_attach)
{
	struct vgc_config cfg;
	struct vgc_zone_policy p;
	struct vgc_arena *a;

	vgc_config_init(&cfg);
	cfg.flags = VGC_ARENA_F_PROFILE;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	ASSERT_EQ(0, vgc_arena_open(&cfg, &a));
	vgc_zone_policy_init(&p);
	p.th.thA_B = 0.9;
	ASSERT_EQ(-EINVAL, vgc_profile_attach(a, &p));
	ASSERT_EQ(-ENOENT, vgc_profile_detach(a));
	vgc_zone_policy_init(&p);
	ASSERT_EQ(0, vgc_profile_attach(a, &p));
	p.th.thM_G = 0.0;
	ASSERT_EQ(-EINVAL, vgc_profile_set_policy(a, &p));
	ASSERT_EQ(0, vgc_profile_detach(a));
	vgc_arena_close(a);
}

/*
 * VGC_ARENA_F_PROFILE: the first checkpoint attaches a profile with the
 * default policy (and samples with it); without the flag nothing is
 * attached; an explicit attach before the first checkpoint wins.
 */
TEST(profile_flag_attaches_at_first_checkpoint)
{
	struct vgc_profile_stats st;
	struct vgc_zone_policy def, pol;
	struct vgc_config cfg;
	struct vgc_arena *a;

	vgc_zone_policy_init(&def);
	vgc_config_init(&cfg);
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;

	ASSERT_EQ(0, vgc_arena_open(&cfg, &a));
	ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(-ENOENT, vgc_profile_stats(a, &st));
	vgc_arena_close(a);

	cfg.flags = VGC_ARENA_F_PROFILE;
	ASSERT_EQ(0, vgc_arena_open(&cfg, &a));
	ASSERT_EQ(-ENOENT, vgc_profile_stats(a, &st));
	ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(0, vgc_profile_stats(a, &st));
	ASSERT_EQ(1U, st.samples);
	ASSERT_EQ(0, vgc_profile_get_policy(a, &pol));
	ASSERT_EQ(def.classify_every, pol.classify_every);
	ASSERT_EQ(-EBUSY, vgc_profile_attach(a, NULL));
	ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(0, vgc_profile_stats(a, &st));
	ASSERT_EQ(2U, st.samples);
	vgc_arena_close(a);

	pol = def;
	pol.classify_every = def.classify_every + 3;
	ASSERT_EQ(0, vgc_arena_open(&cfg, &a));
	ASSERT_EQ(0, vgc_profile_attach(a, &pol));
	ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(0, vgc_profile_stats(a, &st));
	ASSERT_EQ(1U, st.samples);
	ASSERT_EQ(0, vgc_profile_get_policy(a, &pol));
	ASSERT_EQ(def.classify_every + 3, pol.classify_every);
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
