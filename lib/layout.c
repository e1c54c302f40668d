// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Layout of an arena's mapping.  The module describes its own layout
 * (VGC_IOC_GET_LAYOUT); the anonymous backend computes it with the same
 * function, vgc_core_layout() of the shared core, so the two agree to the
 * byte.  What is left here is the library's side: checking a layout it was
 * given and building the tables that make vgc_locate() O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vgcu_int.h"

int vgcu_layout_anon(const struct vgc_arena_params *prm,
		     struct vgc_layout *l, struct vgc_region *regs)
{
	long page = sysconf(_SC_PAGESIZE);

	return vgc_core_layout(prm, page > 0 ? (uint64_t)page : 4096, l, regs);
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
	a->sums = l->sums_size >= a->nr_spans * sizeof(struct vgc_span_sum) &&
		  l->sums_size ? (struct vgc_span_sum *)(m + l->sums_offset) :
		  NULL;
	for (i = 0; i < VGC_NR_PLANES; i++)
		a->planes[i] = (uint64_t *)(m + l->plane_offset[i]);
	a->data = m + l->data_offset;
	a->total_granules = l->total_granules;

	a->span_info = vgcu_meta_alloc(a->nr_spans * sizeof(uint16_t));
	a->span_link = vgcu_meta_alloc(a->nr_spans * sizeof(uint32_t));
	a->span_empty = vgcu_meta_alloc(a->nr_spans * sizeof(uint32_t));
	a->nonfull = vgcu_meta_alloc(((a->nr_spans + 63) / 64) *
				     sizeof(uint64_t));
	if (!a->span_info || !a->span_link || !a->span_empty || !a->nonfull)
		return -ENOMEM;
	if ((uintptr_t)a->data & (VGC_SPAN_SIZE - 1))
		return -EPROTO;		/* vgc_aligned_alloc() needs it */
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
				a->span_info[s] = VGCU_SPAN_INFO(i, g);
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
