// SPDX-License-Identifier: GPL-2.0
/*
 * Work proportional to change (docs/design.md): a checkpoint skips the spans
 * whose summary says settled, and must come out exactly as a full sweep.
 *
 * history: two arenas of one shape take the same random history through
 * the library (allocations in every zone and generation, persistent ones,
 * large ones, releases, immediate frees, touches, pins, keeps, promotes
 * and demotes, checkpoints with random partition masks,
 * VGC_CKPT_F_ALL_ZONES, partition moves) on an elastic heap that grows,
 * re-carves spans for other classes and decommits empty ones at every
 * checkpoint; one checkpoints as it is, the other with VGC_CKPT_F_FULL.
 * After every step: the same answers, after every checkpoint the same
 * result and region statistics, after every fourth (and every 512th
 * step) the same planes and span table; at the end the same heap
 * statistics.  Every
 * transition has to have happened, spans have to have been re-carved and
 * skippable, or the test proves nothing.
 *
 * race: a thread releases and touches while checkpoints run; once it
 * stops, five evaluations of everything reclaim every release it filed
 * (one for a release noted after the clear of its span's summary).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

#define NOBJ	8192
/*
 * Enough for every transition, frees, large objects and re-carving; the
 * planes (about 1 MiB per arena with the reserve) are compared at every
 * fourth checkpoint, the results at every one: a TCG guest takes the
 * history well within the harness's 30 s.
 */
#define STEPS	20000

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * 1 MiB per zone and partition, and 1 MiB of reserve to grow into: small
 * enough that the planes compare quickly and that spans are re-carved.
 * Empty spans are decommitted at every checkpoint's pass, so that the two
 * arenas' heaps do not depend on the clock.
 */
static int open_anon(struct vgc_arena **a, unsigned int nparts)
{
	struct vgc_config cfg;
	unsigned int z;
	int err;

	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	cfg.nr_partitions = vgct_cpus(cfg.cpus, nparts);
	if (!cfg.nr_partitions)
		return -EINVAL;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		cfg.zone_bytes[z] = 1 << 20;
		cfg.zone_reserve_bytes[z] = 1 << 20;
	}
	err = vgc_arena_open(&cfg, a);
	if (!err)
		err = vgc_heap_set_decommit(*a, 0);
	return err;
}

static const struct vgc_span_sum *sums_of(const struct vgc_arena *a)
{
	const struct vgc_layout *l = vgc_arena_layout(a);

	return (const struct vgc_span_sum *)
	       ((char *)vgc_arena_plane(a, VGC_PLANE_VALID) -
		(l->plane_offset[0] - l->sums_offset));
}

/* Spans the next checkpoint may skip: settled, no request noted. */
static uint64_t skippable(const struct vgc_arena *a)
{
	const struct vgc_layout *l = vgc_arena_layout(a);
	const struct vgc_span_sum *m = sums_of(a);
	uint64_t s, n = 0;

	for (s = 0; s < l->total_granules >> 12; s++)
		if ((m[s].flags & VGC_SUM_SETTLED) && !m[s].req)
			n++;
	return n;
}

static int same_planes(struct __test_metadata *_metadata,
		       struct vgc_arena *x, struct vgc_arena *y, unsigned int step)
{
	const struct vgc_layout *l = vgc_arena_layout(x);
	unsigned int pl;

	for (pl = 0; pl < VGC_NR_PLANES; pl++)
		if (memcmp(vgc_arena_plane(x, pl), vgc_arena_plane(y, pl),
			   l->plane_size)) {
			TH_LOG("step %u: plane %u differs", step, pl);
			return 0;
		}
	if (memcmp(vgc_arena_spans(x), vgc_arena_spans(y),
		   (l->total_granules >> 12) * sizeof(uint16_t))) {
		TH_LOG("step %u: span table differs", step);
		return 0;
	}
	return 1;
}

TEST(history)
{
	static void *ox[NOBJ], *oy[NOBJ];
	static const size_t sizes[] = { 16, 48, 200, 1000 };
	struct vgc_arena *x, *y;
	struct vgc_sweep_counts tot;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, skip_seen = 0, ckpts = 0;
	unsigned int n = 0, step, np, part = 0, nfree = 0;
	struct vgc_heap_stats hx, hy;
	int rx, ry;

	ASSERT_EQ(0, open_anon(&x, 2));
	ASSERT_EQ(0, open_anon(&y, 2));
	np = vgc_arena_layout(x)->nr_partitions;
	ASSERT_EQ(0, vgc_thread_register(x, 0));
	ASSERT_EQ(0, vgc_thread_register(y, 0));
	memset(&tot, 0, sizeof(tot));

	for (step = 0; step < STEPS; step++) {
		uint64_t r = rnd(&seed), op = r % 100;
		unsigned int i = n ? (unsigned int)((r >> 8) % n) : 0;

		if (op < 30 && n < NOBJ) {
			/* one in 64 large: 2 to 4 spans */
			size_t sz = (r >> 48) % 64 ? sizes[(r >> 20) % 4] :
				    70000 + (size_t)((r >> 52) % 130000);
			unsigned int z = (r >> 24) % VGC_NR_ZONES;
			unsigned int g = (r >> 28) % 8 < 6 ? VGC_GEN0 :
					 (r >> 28) % 8 == 6 ? VGC_GEN1 : VGC_GEN2;
			unsigned int f = (r >> 32) % 32 ? 0 :
					 VGC_ALLOC_F_PERSISTENT;
			void *px = vgc_alloc_gen(x, sz, z, g, f);
			void *py = vgc_alloc_gen(y, sz, z, g, f);

			ASSERT_EQ(!px, !py);
			if (px) {
				ASSERT_EQ((char *)px - (char *)vgc_arena_base(x),
					  (char *)py - (char *)vgc_arena_base(y));
				ox[n] = px;
				oy[n++] = py;
			}
		} else if (op < 45 && n && !((r >> 48) % 2)) {
			/* freed at once: VALID cleared behind the sweep */
			rx = vgc_free(x, ox[i]);
			ry = vgc_free(y, oy[i]);
			ASSERT_EQ(rx, ry);
			if (!rx) {
				nfree++;
				ox[i] = ox[--n];
				oy[i] = oy[n];
			}
		} else if (op < 45 && n) {
			rx = vgc_release(x, ox[i]);
			ry = vgc_release(y, oy[i]);
			ASSERT_EQ(rx, ry);
		} else if (op < 70 && n) {
			rx = vgc_touch(x, ox[i]);
			ry = vgc_touch(y, oy[i]);
			ASSERT_EQ(rx, ry);
		} else if (op < 73 && n) {
			ASSERT_EQ(vgc_pin(x, ox[i]), vgc_pin(y, oy[i]));
		} else if (op < 77 && n) {
			ASSERT_EQ(vgc_keep(x, ox[i]), vgc_keep(y, oy[i]));
		} else if (op < 81 && n) {
			ASSERT_EQ(vgc_promote(x, ox[i]), vgc_promote(y, oy[i]));
		} else if (op < 85 && n) {
			ASSERT_EQ(vgc_demote(x, ox[i]), vgc_demote(y, oy[i]));
		} else if (op < 86 && np > 1) {
			/* move to another partition: its regions get objects */
			part = (part + 1) % np;
			ASSERT_EQ(0, vgc_thread_unregister(x));
			ASSERT_EQ(0, vgc_thread_unregister(y));
			ASSERT_EQ(0, vgc_thread_register(x, (int)part));
			ASSERT_EQ(0, vgc_thread_register(y, (int)part));
		} else if (op >= 86) {
			struct vgc_ckpt_opts o = { 0 };
			struct vgc_checkpoint cx, cy;
			unsigned int z, g, s;

			o.partition_mask = (r >> 40) % 4 == 0 ? 1 :
					   (r >> 40) % 4 == 1 ? (np > 1 ? 2 : 1) : 0;
			o.flags = (r >> 44) % 8 ? 0 : VGC_CKPT_F_ALL_ZONES;
			skip_seen += skippable(x);
			vgc_quiescent(x);
			vgc_quiescent(y);
			memset(&cx, 0, sizeof(cx));
			memset(&cy, 0, sizeof(cy));
			rx = vgc_checkpoint(x, &o, &cx);
			o.flags |= VGC_CKPT_F_FULL;
			ry = vgc_checkpoint(y, &o, &cy);
			ASSERT_EQ(0, rx);
			ASSERT_EQ(0, ry);
			ASSERT_EQ(0, memcmp(&cx.counts, &cy.counts,
					    sizeof(cx.counts)))
				TH_LOG("step %u: counts differ (live %llu/%llu)",
				       step, (unsigned long long)cx.counts.live,
				       (unsigned long long)cy.counts.live);
			ASSERT_EQ(cx.zones_evaluated, cy.zones_evaluated);
			ASSERT_EQ(cx.gens_evaluated, cy.gens_evaluated);
			ASSERT_EQ(cx.gp_seq, cy.gp_seq);
			for (z = 0; z < VGC_NR_ZONES * np; z++)
				for (g = 0; g < VGC_NR_GENS; g++)
					for (s = 0; s < VGC_NR_STATES; s++)
						ASSERT_EQ(vgc_arena_ctrl(x)->regions[z].states[g][s],
							  vgc_arena_ctrl(y)->regions[z].states[g][s]);
			tot.to_active += cx.counts.to_active;
			tot.to_idle += cx.counts.to_idle;
			tot.deferred += cx.counts.deferred;
			tot.marked += cx.counts.marked;
			tot.expired += cx.counts.expired;
			tot.reclaimed += cx.counts.reclaimed;
			tot.pinned += cx.counts.pinned;
			tot.promoted += cx.counts.promoted;
			tot.demoted += cx.counts.demoted;
			tot.kept += cx.counts.kept;
			tot.dropped += cx.counts.dropped;
			ckpts++;
		}
		/*
		 * Only a checkpoint writes what the modes could disagree on;
		 * the other steps are compared by their answers, and their
		 * planes now and then (the whole comparison is 0.5 MiB, which
		 * a TCG guest would take minutes over at every step).
		 */
		if ((op >= 86 && !(ckpts % 4)) || !(step % 512))
			ASSERT_TRUE(same_planes(_metadata, x, y, step));
	}
	TH_LOG("%llu checkpoints, %u objects, %llu skippable spans seen; "
	       "to_active %llu to_idle %llu deferred %llu marked %llu "
	       "expired %llu reclaimed %llu pinned %llu promoted %llu "
	       "demoted %llu kept %llu dropped %llu",
	       (unsigned long long)ckpts, n, (unsigned long long)skip_seen,
	       (unsigned long long)tot.to_active,
	       (unsigned long long)tot.to_idle,
	       (unsigned long long)tot.deferred, (unsigned long long)tot.marked,
	       (unsigned long long)tot.expired,
	       (unsigned long long)tot.reclaimed,
	       (unsigned long long)tot.pinned, (unsigned long long)tot.promoted,
	       (unsigned long long)tot.demoted, (unsigned long long)tot.kept,
	       (unsigned long long)tot.dropped);
	EXPECT_LT(0, skip_seen);
	EXPECT_LT(0, tot.to_active);
	EXPECT_LT(0, tot.to_idle);
	EXPECT_LT(0, tot.deferred);
	EXPECT_LT(0, tot.marked);
	EXPECT_LT(0, tot.expired);
	EXPECT_LT(0, tot.reclaimed);
	EXPECT_LT(0, tot.pinned);
	EXPECT_LT(0, tot.promoted);
	EXPECT_LT(0, tot.demoted);
	EXPECT_LT(0, tot.kept);
	EXPECT_LT(0, tot.dropped);
	ASSERT_EQ(0, vgc_heap_stats(x, &hx));
	ASSERT_EQ(0, vgc_heap_stats(y, &hy));
	TH_LOG("heap: %u frees, carved %llu recarved %llu recommitted %llu "
	       "decommitted %llu large %llu/%llu grown %llu",
	       nfree, (unsigned long long)hx.carved,
	       (unsigned long long)hx.recarved,
	       (unsigned long long)hx.recommitted,
	       (unsigned long long)hx.decommitted,
	       (unsigned long long)hx.large_allocs,
	       (unsigned long long)hx.large_frees,
	       (unsigned long long)hx.grown_spans);
	EXPECT_EQ(0, memcmp(&hx, &hy, sizeof(hx)));
	EXPECT_LT(0, nfree);
	EXPECT_LT(0, hx.recarved);
	EXPECT_LT(0, hx.large_allocs);
	vgc_arena_close(x);
	vgc_arena_close(y);
}

struct racer {
	struct vgc_arena *a;
	void **obj;
	unsigned int n;
	unsigned char *released;
	int stop;
};

static void *race_requests(void *arg)
{
	struct racer *rc = arg;
	uint64_t seed = 12345;
	unsigned int k = 0;

	/* releases half the objects, touching between them */
	while (k < rc->n / 2) {
		uint64_t r = rnd(&seed);
		unsigned int i = (unsigned int)(r % rc->n);

		if (r & 0x100) {
			vgc_touch(rc->a, rc->obj[i]);
			continue;
		}
		if (!rc->released[i] && !vgc_release(rc->a, rc->obj[i]))
			rc->released[i] = 1;
		k++;
	}
	__atomic_store_n(&rc->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST(race)
{
	static void *obj[NOBJ];
	static unsigned char released[NOBJ];
	struct vgc_ckpt_opts all = { .flags = VGC_CKPT_F_ALL_ZONES };
	struct racer rc;
	struct vgc_arena *a;
	pthread_t t;
	unsigned int i, k, lost = 0, nrel = 0, nck = 0;

	ASSERT_EQ(0, open_anon(&a, 1));
	for (i = 0; i < NOBJ; i++) {
		obj[i] = vgc_alloc(a, 32, VGC_ZONE_RED);
		ASSERT_NE(NULL, obj[i]);
	}
	/* settle them: Active -> Idle, then one more look */
	for (k = 0; k < 3; k++)
		ASSERT_EQ(0, vgc_checkpoint(a, &all, NULL));
	rc.a = a;
	rc.obj = obj;
	rc.n = NOBJ;
	rc.released = released;
	rc.stop = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, race_requests, &rc));
	while (!__atomic_load_n(&rc.stop, __ATOMIC_ACQUIRE)) {
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
		nck++;
	}
	pthread_join(t, NULL);
	/* a release filed during checkpoint k is seen by k or k + 1 */
	for (k = 0; k < 5; k++)
		ASSERT_EQ(0, vgc_checkpoint(a, &all, NULL));
	for (i = 0; i < NOBJ; i++) {
		struct vgc_objinfo info;

		if (!released[i])
			continue;
		nrel++;
		ASSERT_EQ(0, vgc_locate(a, obj[i], &info));
		if (info.valid)
			lost++;
	}
	TH_LOG("%u releases raced with %u checkpoints, %u not reclaimed",
	       nrel, nck, lost);
	EXPECT_LT(0, nrel);
	EXPECT_EQ(0, lost);
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
