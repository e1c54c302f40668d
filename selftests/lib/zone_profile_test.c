// SPDX-License-Identifier: GPL-2.0
/*
 * The zone profiler on an elastic arena: the default reserve of
 * vgc_config_init() (VGC_RESERVE_AUTO) makes the index space tens of GiB
 * while a few MiB are committed.  Profiling, checkpoints, re-homing,
 * growth into the reserve and the span lifecycle (re-carve, decommit)
 * must touch only the committed spans: the process's RSS stays small, and
 * on the module backend, whose reserve has no plane pages, nothing raises
 * SIGBUS.  Runs on the backend $VGC_BACKEND selects.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"
#include <vgcu_zone.h>

#define NHOT		2000
#define NCOLD		60000		/* 48 B each: Red grows past 1 MiB */
#define NLATE		20000
#define OBJ_SIZE	48
#define LATE_SIZE	96
#define NBIG		8
#define BIG_SIZE	(200U << 10)	/* a large object: continuation spans */
#define WINDOWS		24
#define RSS_MAX_KB	(256U << 10)

/* VmRSS of this process in KiB, 0 when unknown. */
static unsigned long rss_kb(void)
{
	char line[256];
	unsigned long kb = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int ckpt(struct vgc_arena *a)
{
	struct vgc_checkpoint r;

	vgc_quiescent(a);
	return vgc_zone_checkpoint(a, NULL, &r);
}

/* Index space and committed bytes of the arena, for the log. */
static void log_space(struct __test_metadata *_metadata, struct vgc_arena *a,
		      const char *when)
{
	const struct vgc_layout *l = vgc_arena_layout(a);
	uint64_t com = 0;
	unsigned int z, q;

	for (z = 0; z < VGC_NR_ZONES; z++)
		for (q = 0; q < l->nr_partitions; q++)
			com += vgc_arena_region(a, z, q)->committed_granules *
			       VGC_GRANULE_SIZE;
	TH_LOG("%s: index space %llu MiB, committed %llu KiB, VmRSS %lu KiB",
	       when, (unsigned long long)(l->total_granules *
					  VGC_GRANULE_SIZE >> 20),
	       (unsigned long long)(com >> 10), rss_kb());
}

FIXTURE(elastic)
{
	struct vgc_arena *a;
	unsigned int nparts;
	uint64_t *hot[NHOT];
	uint64_t *cold[NCOLD];
	void *big[NBIG];
};

FIXTURE_SETUP(elastic)
{
	struct vgc_config cfg;
	int ret;

	/* the defaults: 1 MiB per zone committed, the elastic reserve */
	vgc_config_init(&cfg);
	cfg.flags = VGC_ARENA_F_PROFILE;
	cfg.nr_partitions = vgct_cpus(cfg.cpus, 2);
	ASSERT_NE(0U, cfg.nr_partitions);
	self->nparts = cfg.nr_partitions;
	ret = vgc_arena_open(&cfg, &self->a);
	ASSERT_EQ(0, ret) TH_LOG("open: %s", vgc_strerror(ret));
	TH_LOG("backend %s, %u partitions",
	       vgc_backend_name(vgc_arena_backend(self->a)), self->nparts);
	/* a reserve much larger than what is committed */
	ASSERT_GE(vgc_arena_layout(self->a)->total_granules * VGC_GRANULE_SIZE,
		  (uint64_t)self->nparts * VGC_NR_ZONES * (64ULL << 20));
	ASSERT_EQ(0, vgc_heap_set_decommit(self->a, 0));
	ASSERT_EQ(0, vgc_thread_register(self->a, 0));
}

FIXTURE_TEARDOWN(elastic)
{
	if (self->a) {
		vgc_thread_unregister(self->a);
		vgc_arena_close(self->a);
	}
}

/* Objects carry their handle index in word 0, so candidates map back. */
static uint64_t *alloc_tagged(struct vgc_arena *a, size_t size,
			      enum vgc_zone z, uint64_t tag)
{
	uint64_t *p = vgc_alloc(a, size, z);

	if (p) {
		p[0] = tag;
		p[1] = ~tag;
	}
	return p;
}

/*
 * Takes every candidate: returns the number re-homed, -1 on a failure.
 * Candidates come in ascending index order, each once per pass.
 */
static int rehome_all(struct __test_metadata *_metadata, struct vgc_arena *a,
		      uint64_t **hot)
{
	struct vgc_candidate c[64];
	uint64_t cur = 0, last = 0;
	int n, k, moved = 0, first = 1;

	while ((n = vgc_rehome_candidates(a, c, 64, &cur)) > 0) {
		for (k = 0; k < n; k++) {
			uint64_t *p = c[k].ptr, tag = p[0], *np;

			EXPECT_TRUE(first || c[k].index > last);
			first = 0;
			last = c[k].index;
			EXPECT_EQ(~tag, p[1]);
			EXPECT_LT(tag, (uint64_t)NHOT);
			if (tag >= NHOT || p != hot[tag])
				return -1;
			np = vgc_rehome(a, p);
			if (!np)
				return -1;
			EXPECT_EQ(tag, np[0]);
			EXPECT_EQ(~tag, np[1]);
			hot[tag] = np;
			moved++;
		}
	}
	return n < 0 ? -1 : moved;
}

TEST_F(elastic, profile_grow_rehome_decommit_small_rss)
{
	struct vgc_profile_stats st;
	struct vgc_heap_stats hs;
	struct vgc_features x;
	unsigned int i, w;
	uint64_t *late = NULL;
	int moved = 0, r, d;

	log_space(_metadata, self->a, "open");
	for (i = 0; i < NHOT; i++) {
		self->hot[i] = alloc_tagged(self->a, OBJ_SIZE, VGC_ZONE_RED, i);
		ASSERT_NE(NULL, self->hot[i]);
	}
	for (i = 0; i < NCOLD; i++) {
		self->cold[i] = alloc_tagged(self->a, OBJ_SIZE, VGC_ZONE_RED,
					     NHOT + i);
		ASSERT_NE(NULL, self->cold[i]) TH_LOG("cold %u: %m", i);
	}
	for (i = 0; i < NBIG; i++) {
		self->big[i] = vgc_alloc(self->a, BIG_SIZE, VGC_ZONE_BLUE);
		ASSERT_NE(NULL, self->big[i]);
		memset(self->big[i], 0x5a, BIG_SIZE);
	}
	/* VGC_ARENA_F_PROFILE attaches at the first checkpoint */
	ASSERT_EQ(-ENOENT, vgc_profile_fanin(self->a, self->hot[0], 3));
	ASSERT_EQ(0, ckpt(self->a));
	ASSERT_EQ(0, vgc_profile_fanin(self->a, self->hot[0], 3));
	ASSERT_EQ(0, vgc_profile_weight(self->a, self->hot[0], 1.5));
	log_space(_metadata, self->a, "allocated");

	for (w = 1; w <= WINDOWS; w++) {
		for (i = 0; i < NHOT; i++)
			ASSERT_EQ(0, vgc_touch(self->a, self->hot[i]));
		/* the cold population dies in the first windows */
		if (w <= 4)
			for (i = (w - 1) * NCOLD / 4; i < w * NCOLD / 4; i++)
				ASSERT_EQ(0, vgc_release(self->a,
							 self->cold[i]));
		if (w == 2)
			for (i = 0; i < NBIG; i++)
				ASSERT_EQ(0, vgc_release(self->a,
							 self->big[i]));
		/* a new class once spans emptied: re-carved or grown */
		if (w == 12)
			for (i = 0; i < NLATE; i++) {
				late = alloc_tagged(self->a, LATE_SIZE,
						    VGC_ZONE_RED, ~0ULL);
				ASSERT_NE(NULL, late);
			}
		/*
		 * Every other window the API's own sample (the partitions
		 * the checkpoint sweeps) stands in for the checkpoint's.
		 */
		if (w & 1)
			ASSERT_EQ(0, vgc_profile_sample_mask(self->a, 0,
				(1ULL << self->nparts) - 1));
		ASSERT_EQ(0, ckpt(self->a));
		r = rehome_all(_metadata, self->a, self->hot);
		ASSERT_LE(0, r);
		moved += r;
	}
	/* hot: still accessed in every window */
	ASSERT_EQ(0, vgc_profile_features(self->a, self->hot[0], &x, &d));
	TH_LOG("hot[0]: a %.3f mu %.3f tau %.0f phi %.0f kappa %.3f decided %d",
	       x.a, x.mu, x.tau, x.phi, x.kappa, d);
	ASSERT_EQ(3.0, x.phi);
	ASSERT_EQ(1.5, x.kappa);
	ASSERT_GT(x.a, 0.5);
	for (w = 0; w < 8; w++)
		ASSERT_EQ(0, ckpt(self->a));
	log_space(_metadata, self->a, "windows done");

	/* the hot objects moved up and kept their profile */
	ASSERT_GE(moved, NHOT);
	for (i = 0; i < NHOT; i++) {
		struct vgc_objinfo oi;

		ASSERT_EQ(0, vgc_locate(self->a, self->hot[i], &oi));
		ASSERT_EQ(1U, oi.valid);
		ASSERT_NE((unsigned int)VGC_ZONE_RED, oi.zone);
		ASSERT_EQ((uint64_t)i, self->hot[i][0]);
	}
	/* the profile followed the object through every move */
	ASSERT_EQ(0, vgc_profile_features(self->a, self->hot[0], &x, &d));
	ASSERT_EQ(3.0, x.phi);
	ASSERT_EQ(1.5, x.kappa);
	/* an object of a span re-carved or grown since: a fresh entry */
	ASSERT_EQ(0, vgc_profile_features(self->a, late, &x, &d));
	ASSERT_EQ(0.0, x.a);
	ASSERT_EQ(0.0, x.phi);
	ASSERT_EQ(1.0, x.kappa);
	late = alloc_tagged(self->a, LATE_SIZE, VGC_ZONE_RED, ~0ULL);
	ASSERT_NE(NULL, late);
	ASSERT_EQ(0, vgc_profile_features(self->a, late, &x, &d));
	ASSERT_EQ(0.0, x.tau);
	ASSERT_EQ(-1, d);

	ASSERT_EQ(0, vgc_profile_stats(self->a, &st));
	ASSERT_GE(st.samples, (uint64_t)WINDOWS);
	ASSERT_EQ(0, vgc_heap_stats(self->a, &hs));
	TH_LOG("profile: %llu samples, %llu ns sampling, %llu MiB reserved; "
	       "heap: grown %llu spans, recarved %llu, decommitted %llu, "
	       "recommitted %llu; rehomed %d",
	       (unsigned long long)st.samples,
	       (unsigned long long)st.sample_ns,
	       (unsigned long long)(st.bytes >> 20),
	       (unsigned long long)hs.grown_spans,
	       (unsigned long long)hs.recarved,
	       (unsigned long long)hs.decommitted,
	       (unsigned long long)hs.recommitted, moved);
	ASSERT_GT(hs.grown_spans, 0ULL);
	ASSERT_GT(hs.decommitted, 0ULL);
	/* the profile reserves tables of the whole index space ... */
	ASSERT_GE(st.bytes, vgc_arena_layout(self->a)->total_granules * 8);
	/* ... and only what the committed spans use is resident */
	ASSERT_LT(rss_kb(), RSS_MAX_KB);
	r = vgc_profile_fit(self->a);
	TH_LOG("fit: %d", r);
	ASSERT_NE(-ENOMEM, r);
	ASSERT_LT(rss_kb(), RSS_MAX_KB);
}

/*
 * The profiler API on an arena that grew before it was attached: attach
 * walks the committed spans (in the reserve of the layout at open), the
 * sample follows more growth, detach hands pending access bits back.
 */
TEST_F(elastic, attach_after_growth_detach)
{
	struct vgc_profile_stats st;
	unsigned int i, w;
	uint64_t *p = NULL;

	/* before the first checkpoint: the auto-profile is not attached */
	ASSERT_EQ(-ENOENT, vgc_profile_detach(self->a));
	for (i = 0; i < NCOLD; i++) {
		p = alloc_tagged(self->a, OBJ_SIZE, VGC_ZONE_BLUE, i);
		ASSERT_NE(NULL, p);
	}
	ASSERT_EQ(0, vgc_profile_attach(self->a, NULL));
	/* the auto-profile steps aside at the first checkpoint */
	for (w = 0; w < 8; w++) {
		for (i = 0; i < NCOLD / 4; i++)
			ASSERT_NE(NULL, alloc_tagged(self->a, OBJ_SIZE,
						     VGC_ZONE_GREEN, i));
		ASSERT_EQ(0, vgc_touch(self->a, p));
		ASSERT_EQ(0, ckpt(self->a));
	}
	ASSERT_EQ(0, vgc_profile_stats(self->a, &st));
	ASSERT_GE(st.samples, 8ULL);
	log_space(_metadata, self->a, "grown");
	ASSERT_LT(rss_kb(), RSS_MAX_KB);
	ASSERT_EQ(0, vgc_touch(self->a, p));
	ASSERT_EQ(0, vgc_profile_sample(self->a, 0));
	ASSERT_EQ(0, vgc_profile_detach(self->a));
	ASSERT_EQ(-ENOENT, vgc_profile_detach(self->a));
	ASSERT_EQ(0, ckpt(self->a));
	ASSERT_LT(rss_kb(), RSS_MAX_KB);
}

TEST_HARNESS_MAIN
