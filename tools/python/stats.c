// SPDX-License-Identifier: GPL-2.0
/*
 * --vgc-stats: at exit, on stderr, what the heap holds per zone and what
 * the profile decided per (domain, size class).  The per-key counts are
 * the shim's (allocations minus frees, times the class size: a large
 * object counts as 64 KiB); the zone totals are the library's
 * (vgc_region_usage(), vgc_region_stats()).
 */
#include "vgcpy.h"

void vgcpy_print_zones(FILE *f)
{
	unsigned int np = vgc_arena_partitions(vgcpy_arena), z, p, d, c;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		struct vgc_usage sum = { 0 };
		uint64_t freed = 0, reclaimed = 0, sweeps = 0, total = 0,
			 max = 0;

		for (p = 0; p < np; p++) {
			const struct vgc_region_stats *rs =
				vgc_region_stats(vgcpy_arena, z, p);
			struct vgc_usage u;

			if (!vgc_region_usage(vgcpy_arena, z, p, 0, &u)) {
				sum.spans += u.spans;
				sum.spans_used += u.spans_used;
				sum.live += u.live;
				sum.live_bytes += u.live_bytes;
			}
			if (rs) {
				reclaimed += rs->reclaimed_bytes;
				sweeps += rs->sweeps;
				total += rs->total_pause_ns;
				if (rs->max_pause_ns > max)
					max = rs->max_pause_ns;
			}
		}
		for (d = 0; d < VGCPY_NR_DOMAINS; d++)
			for (c = 0; c < VGCPY_NR_CLASSES; c++)
				freed += vgcpy_prof.key[d][c].frees[z] *
					 vgc_class_granules(c) * VGC_GRANULE_SIZE;
		fprintf(f, "vgc-python: zone %s: objects %llu bytes %llu "
			"spans %llu carved %llu freed_bytes %llu "
			"reclaimed_bytes %llu sweeps %llu pause_total_ns %llu "
			"pause_max_ns %llu\n", vgcpy_zone_names[z],
			(unsigned long long)sum.live,
			(unsigned long long)sum.live_bytes,
			(unsigned long long)sum.spans,
			(unsigned long long)sum.spans_used,
			(unsigned long long)freed,
			(unsigned long long)reclaimed,
			(unsigned long long)sweeps, (unsigned long long)total,
			(unsigned long long)max);
	}
}

static void print_key(FILE *f, unsigned int d, unsigned int c)
{
	const struct vgcpy_key *k = &vgcpy_prof.key[d][c];
	uint64_t allocs = 0, frees = 0, size;
	unsigned int z;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		allocs += k->allocs[z];
		frees += k->frees[z];
	}
	if (!allocs)
		return;
	size = vgc_class_granules(c) * VGC_GRANULE_SIZE;
	fprintf(f, "vgc-python: class %s/%u size %llu zone %s%s%s: allocs "
		"%llu objects %llu bytes %llu freed_bytes %llu red %llu "
		"green %llu blue %llu lambda %.0f a %.3f mu %.3f tau %.2f "
		"changes %u static %llu\n",
		vgcpy_domain_names[d], c, (unsigned long long)size,
		vgcpy_zone_names[vgcpy_zone_of[d][c]],
		k->planned ? " planned" : "",
		vgcpy_key_persistent(d, c) ? " persistent" : "",
		(unsigned long long)allocs,
		(unsigned long long)(allocs - frees),
		(unsigned long long)((allocs - frees) * size),
		(unsigned long long)(frees * size),
		(unsigned long long)k->allocs[VGC_ZONE_RED],
		(unsigned long long)k->allocs[VGC_ZONE_GREEN],
		(unsigned long long)k->allocs[VGC_ZONE_BLUE],
		k->lambda, k->a, k->mu, k->tau, k->changes,
		(unsigned long long)k->statics);
}

void vgcpy_print_profile(FILE *f)
{
	const struct vgc_zone_policy *pol = &vgcpy_prof.policy;
	unsigned int d, c, z, n[VGC_NR_ZONES] = { 0 }, quiet = 0;
	uint64_t quiet_allocs = 0;

	if (!vgcpy_prof.enabled) {
		fprintf(f, "vgc-python: profile off: every key in green\n");
		return;
	}
	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++)
			if (vgcpy_prof.key[d][c].decided >= 0)
				n[vgcpy_zone_of[d][c]]++;
	fprintf(f, "vgc-python: profile: windows %llu samples %llu dropped "
		"%llu fits %llu keys red %u green %u blue %u\n",
		(unsigned long long)vgcpy_prof.windows,
		(unsigned long long)vgcpy_prof.samples,
		(unsigned long long)vgcpy_prof.dropped,
		(unsigned long long)vgcpy_prof.fits, n[VGC_ZONE_RED],
		n[VGC_ZONE_GREEN], n[VGC_ZONE_BLUE]);
	if (vgcpy_prof.first_done)
		fprintf(f, "vgc-python: first checkpoint: misplaced %llu of "
			"%llu allocations (%.1f %%)\n",
			(unsigned long long)vgcpy_prof.misplaced,
			(unsigned long long)vgcpy_prof.w0_total,
			vgcpy_prof.w0_total ? 100.0 * vgcpy_prof.misplaced /
					      vgcpy_prof.w0_total : 0.0);
	for (z = 0; z < VGC_NR_ZONES; z++)
		fprintf(f, "vgc-python: policy %s: alpha %.4g beta %.4g "
			"gamma %.4g\n", vgcpy_zone_names[z], pol->zp[z].alpha,
			pol->zp[z].beta, pol->zp[z].gamma);
	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++) {
			const struct vgcpy_key *k = &vgcpy_prof.key[d][c];
			uint64_t a = k->allocs[0] + k->allocs[1] + k->allocs[2];

			/* too few samples for a decision: one line for all */
			if (k->decided < 0 && !k->planned) {
				quiet++;
				quiet_allocs += a;
				continue;
			}
			print_key(f, d, c);
		}
	fprintf(f, "vgc-python: classes undecided %u (allocs %llu): green\n",
		quiet, (unsigned long long)quiet_allocs);
}
