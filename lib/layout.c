// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Layout of an arena's mapping.  The module describes its own layout
 * (VGC_IOC_GET_LAYOUT); the anonymous backend computes the same shape here:
 *
 *   ctrl | threads | spans | planes (VGC_NR_PLANES) | data
 *
 * data holds one region per (zone, partition), zone-major, each a whole
 * number of spans: committed Gen2 | Gen1 | Gen0, then the growth reserve.
 * Every offset is page aligned; every region starts on a span boundary of
 * the index space, so a span never straddles two regions or two gens.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vgcu_int.h"

#define VGCU_PAGE		4096ULL
#define VGCU_PAGE_ALIGN(x)	(((x) + VGCU_PAGE - 1) & ~(VGCU_PAGE - 1))
/* 2^40 granules = 16 TiB of data: far above any machine, far below u64. */
#define VGCU_MAX_GRANULES	(1ULL << 40)

static uint64_t spans_of(uint64_t granules)
{
	return (granules + VGC_SPAN_GRANULES - 1) >> VGCU_SPAN_SHIFT_G;
}

int vgcu_layout_anon(const struct vgc_arena_params *prm,
		     struct vgc_layout *l, struct vgc_region *regs)
{
	unsigned int np = prm->nr_partitions, z, p, g;
	unsigned int pm[VGC_NR_GENS];
	uint64_t gran = 0, off, nr_spans;
	bool any = false;

	if (np < 1 || np > VGC_MAX_PARTITIONS)
		return -EINVAL;
	for (g = 0; g < VGC_NR_GENS; g++)
		pm[g] = prm->gen_permille[g];
	if (!pm[0] && !pm[1] && !pm[2]) {
		pm[0] = 500;
		pm[1] = 300;
		pm[2] = 200;
	}
	if (pm[0] + pm[1] + pm[2] != 1000)
		return -EINVAL;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		if (prm->zone_granules[z] > VGCU_MAX_GRANULES ||
		    prm->zone_reserve_granules[z] > VGCU_MAX_GRANULES)
			return -E2BIG;
		if (prm->zone_granules[z])
			any = true;
	}
	if (!any)
		return -EINVAL;

	memset(l, 0, sizeof(*l));
	for (z = 0; z < VGC_NR_ZONES; z++) {
		uint64_t cs = spans_of(prm->zone_granules[z]);
		uint64_t rs = spans_of(prm->zone_reserve_granules[z]);
		uint64_t s1 = cs * pm[1] / 1000, s2 = cs * pm[2] / 1000;
		uint64_t s0 = cs - s1 - s2;

		for (p = 0; p < np; p++) {
			struct vgc_region *r = &regs[z * np + p];

			memset(r, 0, sizeof(*r));
			r->first_granule = gran;
			r->committed_granules = cs << VGCU_SPAN_SHIFT_G;
			r->capacity_granules = (cs + rs) << VGCU_SPAN_SHIFT_G;
			r->gen_first[VGC_GEN2] = gran;
			r->gen_granules[VGC_GEN2] = s2 << VGCU_SPAN_SHIFT_G;
			r->gen_first[VGC_GEN1] = gran + (s2 << VGCU_SPAN_SHIFT_G);
			r->gen_granules[VGC_GEN1] = s1 << VGCU_SPAN_SHIFT_G;
			r->gen_first[VGC_GEN0] = r->gen_first[VGC_GEN1] +
						 (s1 << VGCU_SPAN_SHIFT_G);
			r->gen_granules[VGC_GEN0] = s0 << VGCU_SPAN_SHIFT_G;
			r->zone = z;
			r->partition = p;
			r->cpu = prm->cpus[p];
			r->node = -1;
			r->nr_chunks = 0;
			gran += r->capacity_granules;
			if (gran > VGCU_MAX_GRANULES)
				return -E2BIG;
		}
	}

	nr_spans = gran >> VGCU_SPAN_SHIFT_G;
	l->size = sizeof(*l);
	l->nr_partitions = np;
	l->total_granules = gran;
	l->ctrl_offset = 0;
	l->ctrl_size = VGCU_PAGE_ALIGN(sizeof(struct vgc_ctrl));
	l->threads_offset = l->ctrl_offset + l->ctrl_size;
	l->threads_size = VGCU_PAGE_ALIGN(VGC_MAX_THREADS *
					  sizeof(struct vgc_thread_slot));
	l->spans_offset = l->threads_offset + l->threads_size;
	l->spans_size = VGCU_PAGE_ALIGN(nr_spans * sizeof(uint16_t));
	l->plane_size = VGCU_PAGE_ALIGN(gran / 8);
	off = l->spans_offset + l->spans_size;
	for (p = 0; p < VGC_NR_PLANES; p++) {
		l->plane_offset[p] = off;
		off += l->plane_size;
	}
	l->data_offset = off;
	l->data_size = gran << VGC_GRANULE_SHIFT;
	l->map_size = l->data_offset + l->data_size;
	l->nr_regions = VGC_NR_ZONES * np;
	for (z = 0; z < VGC_NR_ZONES * np; z++)
		regs[z].offset = l->data_offset +
				 (regs[z].first_granule << VGC_GRANULE_SHIFT);
	return 0;
}

/*
 * Points the arena at the parts of its mapping and builds the lookup
 * tables that make vgc_locate() O(1): one byte pair per span naming its
 * region and generation, one entry per CPU naming its partition.
 */
int vgcu_layout_adopt(struct vgc_arena *a)
{
	const struct vgc_layout *l = &a->layout;
	char *m = a->map;
	unsigned int i, g, np = l->nr_partitions;
	uint64_t s;

	if (np < 1 || np > VGC_MAX_PARTITIONS ||
	    l->nr_regions != VGC_NR_ZONES * np ||
	    (l->total_granules & (VGC_SPAN_GRANULES - 1)) ||
	    l->data_offset + (l->total_granules << VGC_GRANULE_SHIFT) >
	    l->map_size || l->plane_size * 8 < l->total_granules)
		return -EPROTO;
	a->nr_parts = np;
	a->ctrl = (struct vgc_ctrl *)(m + l->ctrl_offset);
	a->threads = (struct vgc_thread_slot *)(m + l->threads_offset);
	a->nr_slots = l->threads_size / sizeof(struct vgc_thread_slot);
	if (a->nr_slots > VGC_MAX_THREADS)
		a->nr_slots = VGC_MAX_THREADS;
	a->spans = (uint16_t *)(m + l->spans_offset);
	a->nr_spans = l->total_granules >> VGCU_SPAN_SHIFT_G;
	for (i = 0; i < VGC_NR_PLANES; i++)
		a->planes[i] = (uint64_t *)(m + l->plane_offset[i]);
	a->data = m + l->data_offset;
	a->total_granules = l->total_granules;

	a->span_info = calloc(a->nr_spans ? a->nr_spans : 1, sizeof(uint16_t));
	if (!a->span_info)
		return -ENOMEM;
	for (s = 0; s < a->nr_spans; s++)
		a->span_info[s] = VGCU_GEN_NONE;
	for (i = 0; i < l->nr_regions; i++) {
		const struct vgc_region *r = &a->regions[i];

		if (r->zone != i / np || r->partition != i % np ||
		    (r->first_granule & (VGC_SPAN_GRANULES - 1)) ||
		    r->first_granule + r->capacity_granules > a->total_granules)
			return -EPROTO;
		for (g = 0; g < VGC_NR_GENS; g++) {
			uint64_t f = r->gen_first[g] >> VGCU_SPAN_SHIFT_G;
			uint64_t n = r->gen_granules[g] >> VGCU_SPAN_SHIFT_G;

			if (f + n > a->nr_spans)
				return -EPROTO;
			for (s = f; s < f + n; s++)
				a->span_info[s] = (uint16_t)(i << 2 | g);
		}
	}
	for (i = 0; i < VGCU_MAX_CPUS; i++)
		a->cpu_part[i] = -1;
	for (i = np; i-- > 0;) {
		unsigned int cpu = a->regions[i].cpu;

		if (cpu < VGCU_MAX_CPUS)
			a->cpu_part[cpu] = (int16_t)i;
	}
	return 0;
}
