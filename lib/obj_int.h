/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From a pointer to its object in O(1), for objects.c and free.c: index
 * by subtraction and shift, span by shift, (region, gen) from the span
 * lookup table, slot by multiplying with the class's reciprocal; a large
 * object's continuation spans name their head (span_link).  Interior
 * pointers resolve to their object.
 */
#ifndef VGCU_OBJ_INT_H
#define VGCU_OBJ_INT_H

#include "vgcu_int.h"

struct obj {
	uint64_t idx;		/* head granule */
	uint64_t word, bit;
	uint64_t bytes;		/* the object's size */
	uint32_t large;		/* spans of a large object, 0: small */
	uint16_t info;		/* VGCU_SPAN_INFO(region, gen) */
	uint16_t cls;		/* granules, 0: span not carved */
};

static inline int obj_find(const struct vgc_arena *a, const void *p,
			   struct obj *o)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)a->data;
	uint64_t i, span, k, in;

	if ((uintptr_t)p < (uintptr_t)a->data ||
	    off >= (a->total_granules << VGC_GRANULE_SHIFT))
		return -EINVAL;
	i = off >> VGC_GRANULE_SHIFT;
	span = i >> VGCU_SPAN_SHIFT_G;
	o->info = a->span_info[span];
	if (VGCU_INFO_GEN(o->info) == VGCU_GEN_NONE)
		return -EINVAL;
	o->cls = vgcu_load(&a->spans[span]);
	if (__builtin_expect(o->cls == VGC_SPAN_RETIRING, 0))
		o->cls = vgcu_span_settle(a, span);	/* a retirer looks */
	o->large = 0;
	if (o->cls == VGC_SPAN_CONT) {
		/* inside a large object: its head span is span_link back */
		uint32_t back = vgcu_load_relaxed(&a->span_link[span]);

		if (!back || back > span)
			return -EINVAL;
		span -= back;
		o->cls = vgcu_load(&a->spans[span]);
		i = span << VGCU_SPAN_SHIFT_G;
	}
	if (o->cls == VGC_SPAN_GRANULES && a->span_link[span] > 1) {
		o->large = a->span_link[span];
		o->idx = span << VGCU_SPAN_SHIFT_G;
	} else if (o->cls == VGC_SPAN_FREE || o->cls > VGC_SPAN_GRANULES) {
		o->cls = 0;
		o->idx = i;
	} else {
		in = i & (VGC_SPAN_GRANULES - 1);
		k = (in * vgcu_class_recip[o->cls]) >> 32;
		if ((k + 1) * o->cls > VGC_SPAN_GRANULES)
			return -EINVAL;		/* the span's unused tail */
		o->idx = (span << VGCU_SPAN_SHIFT_G) + k * o->cls;
	}
	o->word = o->idx >> 6;
	o->bit = 1ULL << (o->idx & 63);
	o->bytes = o->large ? (uint64_t)o->large << VGC_SPAN_SHIFT :
		   (uint64_t)o->cls << VGC_GRANULE_SHIFT;
	return 0;
}

static inline bool obj_valid(const struct vgc_arena *a, const struct obj *o)
{
	return o->cls &&
	       (vgcu_load(&a->planes[VGC_PLANE_VALID][o->word]) & o->bit);
}

static inline unsigned int obj_code(const struct vgc_arena *a,
				    const struct obj *o)
{
	unsigned int b = (unsigned int)(o->idx & 63);

	return vgc_code_of(vgcu_load_relaxed(&a->planes[VGC_PLANE_S0][o->word]),
			   vgcu_load_relaxed(&a->planes[VGC_PLANE_S1][o->word]),
			   vgcu_load_relaxed(&a->planes[VGC_PLANE_S2][o->word]),
			   b);
}

#endif /* VGCU_OBJ_INT_H */
