// SPDX-License-Identifier: GPL-2.0
/*
 * The sweep of a real checkpoint (the kernel's on the module backend, the
 * library's own on the anonymous one) gives the same planes, counters and
 * state histograms as the library's block sweep run on a snapshot of the
 * same planes.  The arena is populated with every state and request first.
 */
#include <stdint.h>
#include <stdlib.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

static const enum vgc_plane snap_planes[] = {
	VGC_PLANE_VALID, VGC_PLANE_S0, VGC_PLANE_S1, VGC_PLANE_S2,
	VGC_PLANE_ACCESS, VGC_PLANE_RELEASE, VGC_PLANE_PIN, VGC_PLANE_KEEP,
	VGC_PLANE_PROMOTE, VGC_PLANE_DEMOTE,
};
#define NSNAP (sizeof(snap_planes) / sizeof(snap_planes[0]))

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* Objects in every zone and gen, walked through states by checkpoints. */
static int populate(struct vgc_arena *a, uint64_t *seed)
{
	enum { N = 600 };
	void *objs[VGC_NR_ZONES][VGC_NR_GENS][N];
	unsigned int z, g, i, round;
	int err;

	for (z = 0; z < VGC_NR_ZONES; z++)
		for (g = 0; g < VGC_NR_GENS; g++)
			for (i = 0; i < N; i++) {
				objs[z][g][i] = vgc_alloc_gen(a, 16 + rnd(seed) % 400,
							      z, g, 0);
				if (!objs[z][g][i])
					return -errno;
			}
	for (round = 0; round < 4; round++) {
		for (z = 0; z < VGC_NR_ZONES; z++)
			for (g = 0; g < VGC_NR_GENS; g++)
				for (i = 0; i < N; i++) {
					void *p = objs[z][g][i];
					unsigned int r = rnd(seed) % 40;

					if (vgc_state(a, p) < 0)
						continue;
					if (r == 0)
						vgc_release(a, p);
					else if (r == 1)
						vgc_pin(a, p);
					else if (r == 2)
						vgc_promote(a, p);
					else if (r == 3)
						vgc_demote(a, p);
					else if (r == 4)
						vgc_keep(a, p);
					else if (r < 20)
						vgc_touch(a, p);
				}
		if (round < 3) {
			struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };

			err = vgc_checkpoint(a, &o, NULL);
			if (err)
				return err;
		}
	}
	return 0;
}

TEST(checkpoint_sweep_equals_block_sweep)
{
	struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };
	uint64_t seed = 42, hist[VGC_NR_ZONES][VGC_NR_GENS][8];
	uint64_t *snap[NSNAP], *rec, words, w, i;
	struct vgc_sweep_counts want;
	struct vgc_checkpoint res;
	const struct vgc_layout *l;
	struct vgc_arena *a;
	unsigned int z, g, k;
	int err;

	err = vgct_open(&a, 1, 8 << 20);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	TH_LOG("backend %s, library sweep %s",
	       vgc_backend_name(vgc_arena_backend(a)),
	       vgc_sweep_impl_name(VGC_SWEEP_AUTO));
	err = populate(a, &seed);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));

	l = vgc_arena_layout(a);
	words = l->total_granules / 64;
	for (k = 0; k < NSNAP; k++) {
		snap[k] = malloc(words * 8);
		ASSERT_NE(NULL, snap[k]);
		memcpy(snap[k], vgc_arena_plane(a, snap_planes[k]), words * 8);
	}
	rec = calloc(words, 8);
	ASSERT_NE(NULL, rec);

	/* expected: the block sweep over each gen segment of each region */
	memset(&want, 0, sizeof(want));
	memset(hist, 0, sizeof(hist));
	for (z = 0; z < VGC_NR_ZONES; z++) {
		const struct vgc_region *r = vgc_arena_region(a, z, 0);

		for (g = 0; g < VGC_NR_GENS; g++) {
			uint64_t w0 = r->gen_first[g] / 64;
			struct vgc_sweep_block b = {
				.n = r->gen_granules[g] / 64, .z = ~0ULL,
				.v = snap[0] + w0, .s0 = snap[1] + w0,
				.s1 = snap[2] + w0, .s2 = snap[3] + w0,
				.a = snap[4] + w0, .r = snap[5] + w0,
				.p = snap[6] + w0, .k = snap[7] + w0,
				.promote = snap[8] + w0, .demote = snap[9] + w0,
				.reclaimed = rec + w0, .counts = &want,
				.hist = hist[z][g],
			};

			if (!b.n)
				continue;
			ASSERT_EQ(0, vgc_sweep_block_run(VGC_SWEEP_SCALAR, &b));
		}
	}
	for (w = 0; w < words; w++) {
		uint16_t cls = vgc_arena_spans(a)[w / 64];

		want.reclaimed_bytes += (uint64_t)__builtin_popcountll(rec[w]) *
					cls * 16;
	}

	err = vgc_checkpoint(a, &o, &res);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	ASSERT_GT(want.deferred + want.marked + want.expired + want.reclaimed, 0);
	ASSERT_GT(want.pinned + want.promoted + want.demoted + want.kept, 0);
	ASSERT_GT(want.to_idle + want.to_active, 0);
#define EQ(f) ASSERT_EQ(want.f, res.counts.f) TH_LOG(#f)
	EQ(words); EQ(live); EQ(to_active); EQ(to_idle); EQ(deferred);
	EQ(marked); EQ(expired); EQ(reclaimed); EQ(reclaimed_bytes);
	EQ(pinned); EQ(promoted); EQ(demoted); EQ(kept); EQ(dropped);
	EQ(stable);
	for (w = 0; w < words; w++) {
		unsigned int bad = 0;

		for (k = 0; k < NSNAP; k++) {
			uint64_t exp = k ? snap[k][w] : snap[0][w] & ~rec[w];

			/* access bits are consumed in evaluated words */
			if (snap_planes[k] == VGC_PLANE_ACCESS)
				exp = 0;

			if (exp != vgc_arena_plane(a, snap_planes[k])[w]) {
				TH_LOG("plane %u word %llu: %#llx, block sweep %#llx",
				       snap_planes[k], (unsigned long long)w,
				       (unsigned long long)vgc_arena_plane(a, snap_planes[k])[w],
				       (unsigned long long)exp);
				bad++;
			}
		}
		ASSERT_EQ(0, bad);
	}
	for (z = 0; z < VGC_NR_ZONES; z++) {
		const struct vgc_region_stats *st = vgc_region_stats(a, z, 0);

		for (g = 0; g < VGC_NR_GENS; g++)
			for (i = 0; i < 8; i++)
				ASSERT_EQ(hist[z][g][i], st->states[g][i])
					TH_LOG("zone %u gen %u state %llu", z, g,
					       (unsigned long long)i);
	}
	for (k = 0; k < NSNAP; k++)
		free(snap[k]);
	free(rec);
	vgc_arena_close(a);
}

TEST_HARNESS_MAIN
