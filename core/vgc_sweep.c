// SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later
/*
 * The lean sweep of one span, compiled into vgc.ko and libvgcu from the one
 * body in vgc_sweep.h.  The library also builds a POPCNT clone of the same
 * body (lib/sweep.c), since its generic build has no POPCNT instruction.
 */
#include "vgc_sweep.h"

void vgc_core_sweep_span(__u64 *const *pl, __u64 span, __u32 cls,
			 struct vgc_sweep_counts *c, __u64 *hist)
{
	/*
	 * Markers above the largest class (a large object's continuation, a
	 * span being retired or decommitted) hold no object heads, and bits
	 * an allocator sets there for an instant and takes back must not age
	 * (docs/design.md, "Span lifecycle").  Counted as evaluated, as the
	 * library counts them.
	 */
	if (cls > VGC_SPAN_GRANULES) {
		c->words += VGC_SPAN_WORDS;
		return;
	}
	vgc_core_sweep_span_body(pl, span, cls, c, hist);
}

bool vgc_core_sweep_span_sum(__u64 *const *pl, struct vgc_span_sum *sums,
			     __u64 span, __u32 cls, __u32 flags,
			     struct vgc_sweep_counts *c, __u64 *hist)
{
	/* markers: as above; their summary is left for the next class */
	if (cls > VGC_SPAN_GRANULES) {
		c->words += VGC_SPAN_WORDS;
		return false;
	}
	if (!sums) {
		vgc_core_sweep_span_body(pl, span, cls, c, hist);
		return false;
	}
	return vgc_core_sweep_span_sum_body(pl, sums, span, cls, flags, c,
					    hist);
}
