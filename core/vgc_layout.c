// SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later
/*
 * The layout of an arena's mapping, from its creation parameters.
 *
 *   ctrl | threads | spans | planes (VGC_NR_PLANES) | data
 *
 * Every part is page aligned.  Data holds one region per (zone, partition),
 * zone-major: Red p0..pN, Green p0..pN, Blue p0..pN.  Each region is a
 * whole number of spans, Gen2 | Gen1 | Gen0 | reserve, so that growth
 * extends Gen0 and a span never straddles two regions or two generations.
 * Gen1 and Gen2 get floor(spans * permille / 1000) whole spans and Gen0 the
 * rest, so rounding never shrinks the nursery.
 *
 * The module lays out its arenas with this code and reports the result
 * (VGC_IOC_GET_LAYOUT); the library's anonymous backend calls the same
 * function, so both backends agree to the byte.
 */
#include "vgc_core.h"

static __u64 vgc_round_spans(__u64 granules)
{
	return (granules + VGC_SPAN_GRANULES - 1) >> VGC_SPAN_SHIFT_G;
}

static __u64 vgc_page_align(__u64 x, __u64 page_size)
{
	return (x + page_size - 1) & ~(page_size - 1);
}

/**
 * vgc_core_params_check() - validate arena creation parameters
 * @p: parameters as copied in (size already checked by the caller)
 *
 * Checks everything that does not depend on the host: flags, padding and
 * reserved fields, the partition count, the generation split and the sizes.
 * CPU numbers are the caller's to check (online CPUs in the kernel).
 *
 * Return: 0, -EINVAL or -E2BIG (index space above VGC_MAX_ARENA_GRANULES).
 */
int vgc_core_params_check(const struct vgc_arena_params *p)
{
	__u64 total = 0;
	unsigned int i, z;

	if (p->flags & ~VGC_ARENA_F_ALL)
		return -EINVAL;
	if (p->pad0 || p->pad1)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(p->reserved); i++)
		if (p->reserved[i])
			return -EINVAL;
	if (!p->nr_partitions || p->nr_partitions > VGC_MAX_PARTITIONS)
		return -EINVAL;
	if (p->gen_permille[0] || p->gen_permille[1] || p->gen_permille[2]) {
		if ((__u32)p->gen_permille[0] + p->gen_permille[1] +
		    p->gen_permille[2] != 1000)
			return -EINVAL;
	}
	if (!p->zone_granules[0] && !p->zone_granules[1] && !p->zone_granules[2])
		return -EINVAL;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		__u64 spans;

		if (p->zone_granules[z] > VGC_MAX_ARENA_GRANULES ||
		    p->zone_reserve_granules[z] > VGC_MAX_ARENA_GRANULES)
			return -E2BIG;
		/* Both terms are below 2^39: neither sum nor product wraps. */
		spans = vgc_round_spans(p->zone_granules[z]) +
			vgc_round_spans(p->zone_reserve_granules[z]);
		total += (spans << VGC_SPAN_SHIFT_G) * p->nr_partitions;
		if (total > VGC_MAX_ARENA_GRANULES)
			return -E2BIG;
	}
	return 0;
}

/**
 * vgc_core_gen_permille() - the generation split of an arena
 * @p: parameters
 * @permille: Gen0, Gen1, Gen2 shares in permille; the defaults when all
 *	three fields of @p are 0
 */
void vgc_core_gen_permille(const struct vgc_arena_params *p,
			   __u32 permille[VGC_NR_GENS])
{
	unsigned int g;

	for (g = 0; g < VGC_NR_GENS; g++)
		permille[g] = p->gen_permille[g];
	if (!permille[0] && !permille[1] && !permille[2]) {
		permille[VGC_GEN0] = VGC_DEFAULT_GEN0_PERMILLE;
		permille[VGC_GEN1] = VGC_DEFAULT_GEN1_PERMILLE;
		permille[VGC_GEN2] = VGC_DEFAULT_GEN2_PERMILLE;
	}
}

/**
 * vgc_core_cadence() - checkpoint cadences of an arena, defaults applied
 * @p: parameters
 * @c: the cadences
 */
void vgc_core_cadence(const struct vgc_arena_params *p, struct vgc_cadence *c)
{
	c->blue_every = p->blue_every ? p->blue_every : VGC_DEFAULT_BLUE_EVERY;
	c->gen1_every = p->gen1_every ? p->gen1_every : VGC_DEFAULT_GEN1_EVERY;
	c->gen2_every = p->gen2_every ? p->gen2_every : VGC_DEFAULT_GEN2_EVERY;
}

/**
 * vgc_core_region_gens() - split a region's committed spans into generations
 * @r: region with first_granule and committed_granules set
 * @permille: the arena's split, see vgc_core_gen_permille()
 */
void vgc_core_region_gens(struct vgc_region *r,
			  const __u32 permille[VGC_NR_GENS])
{
	__u64 spans = r->committed_granules >> VGC_SPAN_SHIFT_G;
	__u64 s2 = vgc_div_u64(spans * permille[VGC_GEN2], 1000);
	__u64 s1 = vgc_div_u64(spans * permille[VGC_GEN1], 1000);

	r->gen_first[VGC_GEN2] = r->first_granule;
	r->gen_granules[VGC_GEN2] = s2 << VGC_SPAN_SHIFT_G;
	r->gen_first[VGC_GEN1] = r->gen_first[VGC_GEN2] +
				 r->gen_granules[VGC_GEN2];
	r->gen_granules[VGC_GEN1] = s1 << VGC_SPAN_SHIFT_G;
	r->gen_first[VGC_GEN0] = r->gen_first[VGC_GEN1] +
				 r->gen_granules[VGC_GEN1];
	r->gen_granules[VGC_GEN0] = r->committed_granules -
				    r->gen_granules[VGC_GEN1] -
				    r->gen_granules[VGC_GEN2];
}

/**
 * vgc_core_layout() - every offset, size and region of an arena's mapping
 * @p: parameters, valid by vgc_core_params_check()
 * @page_size: the host's page size, a power of two
 * @l: the layout; its size field is set to sizeof(*l) and regions_ptr and
 *	regions_cap are left 0
 * @regs: VGC_NR_ZONES * @p->nr_partitions regions, zone-major; node is -1
 *	and nr_chunks 0 (the backend fills them once pages exist)
 *
 * Return: 0, or the error of vgc_core_params_check().
 */
int vgc_core_layout(const struct vgc_arena_params *p, __u64 page_size,
		    struct vgc_layout *l, struct vgc_region *regs)
{
	unsigned int np = p->nr_partitions, z, i, pl;
	__u32 permille[VGC_NR_GENS];
	__u64 g = 0, off;
	int ret;

	ret = vgc_core_params_check(p);
	if (ret)
		return ret;
	vgc_core_gen_permille(p, permille);

	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->nr_partitions = np;
	l->nr_regions = VGC_NR_ZONES * np;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		__u64 com = vgc_round_spans(p->zone_granules[z]) <<
			    VGC_SPAN_SHIFT_G;
		__u64 cap = com + (vgc_round_spans(p->zone_reserve_granules[z])
				   << VGC_SPAN_SHIFT_G);

		for (i = 0; i < np; i++) {
			struct vgc_region *r = &regs[z * np + i];

			memset(r, 0, sizeof(*r));
			r->first_granule = g;
			r->committed_granules = com;
			r->capacity_granules = cap;
			vgc_core_region_gens(r, permille);
			r->zone = z;
			r->partition = i;
			r->cpu = p->cpus[i];
			r->node = -1;
			g += cap;
		}
	}
	l->total_granules = g;

	off = 0;
	l->ctrl_offset = off;
	l->ctrl_size = vgc_page_align(sizeof(struct vgc_ctrl), page_size);
	off += l->ctrl_size;
	l->threads_offset = off;
	l->threads_size = vgc_page_align(sizeof(struct vgc_thread_slot) *
					 VGC_MAX_THREADS, page_size);
	off += l->threads_size;
	l->spans_offset = off;
	l->spans_size = vgc_page_align((g >> VGC_SPAN_SHIFT_G) * sizeof(__u16),
				       page_size);
	off += l->spans_size;
	l->sums_offset = off;
	l->sums_size = vgc_page_align((g >> VGC_SPAN_SHIFT_G) *
				      sizeof(struct vgc_span_sum), page_size);
	off += l->sums_size;
	l->plane_size = vgc_page_align(g / 8, page_size);
	for (pl = 0; pl < VGC_NR_PLANES; pl++) {
		l->plane_offset[pl] = off;
		off += l->plane_size;
	}
	l->data_offset = off;
	l->data_size = g << VGC_GRANULE_SHIFT;
	l->map_size = off + l->data_size;
	for (i = 0; i < l->nr_regions; i++)
		regs[i].offset = l->data_offset +
				 (regs[i].first_granule << VGC_GRANULE_SHIFT);
	return 0;
}
