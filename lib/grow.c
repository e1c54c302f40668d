// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Growth of a region into its reserve: whole spans appended to Gen0, the
 * nursery (the layout is Gen2 | Gen1 | Gen0 | reserve).  The module commits
 * pages (VGC_IOC_GROW); the anonymous backend mapped the reserve already and
 * only moves the boundary.  The span lookup table learns the new spans
 * before Gen0's size is published, so an allocator that sees the larger
 * Gen0 can locate what it allocates there.
 */
#include <errno.h>
#include "vgcu_int.h"

int vgc_grow(struct vgc_arena *a, unsigned int zone, unsigned int partition,
	     uint64_t bytes, uint64_t *committed_bytes)
{
	struct vgc_region *r;
	uint64_t gran, s, f, region;
	int err = 0;

	if (zone >= VGC_NR_ZONES || partition >= a->nr_parts || !bytes ||
	    bytes > (1ULL << 44))
		return -EINVAL;
	gran = ((bytes + VGC_SPAN_SIZE - 1) >> VGC_SPAN_SHIFT) << VGCU_SPAN_SHIFT_G;
	region = zone * a->nr_parts + partition;
	r = &a->regions[region];

	vgcu_sweep_lock(a);
	if (gran > r->capacity_granules - r->committed_granules) {
		err = -ENOSPC;
		goto out;
	}
	err = a->ops->grow(a, zone, partition, gran);
	if (err)
		goto out;
	f = (r->gen_first[VGC_GEN0] + r->gen_granules[VGC_GEN0]) >>
	    VGCU_SPAN_SHIFT_G;
	for (s = f; s < f + (gran >> VGCU_SPAN_SHIFT_G); s++)
		__atomic_store_n(&a->span_info[s], VGCU_SPAN_INFO(region, VGC_GEN0),
				 __ATOMIC_RELEASE);
	vgcu_store(&r->committed_granules, r->committed_granules + gran);
	vgcu_store(&r->gen_granules[VGC_GEN0], r->gen_granules[VGC_GEN0] + gran);
out:
	if (!err && committed_bytes)
		*committed_bytes = r->committed_granules << VGC_GRANULE_SHIFT;
	vgcu_sweep_unlock(a);
	return err;
}
