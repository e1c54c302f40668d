// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Object queries and requests.  A pointer maps to its head granule in O(1):
 * index by subtraction and shift, span by shift, (region, gen) from the span
 * lookup table, slot by multiplying with the class's reciprocal.  Interior
 * pointers resolve to their object.  Requests are atomic ORs on the request
 * planes; the sweep folds them at the next checkpoint.  The checks are the
 * shared core's, the module's own for VGC_IOC_BATCH, so that both paths
 * answer the same way.
 */
#include <errno.h>
#include <string.h>
#include "obj_int.h"

static inline bool plane_test(const struct vgc_arena *a, enum vgc_plane pl,
			      const struct obj *o)
{
	return vgcu_load_relaxed(&a->planes[pl][o->word]) & o->bit;
}

/* Sets the bit; true when it was already set (lock bts). */
static inline bool plane_set(struct vgc_arena *a, enum vgc_plane pl,
			     const struct obj *o)
{
	return vgcu_test_and_set(&a->planes[pl][o->word],
				 (unsigned int)(o->idx & 63));
}

int vgc_locate(const struct vgc_arena *a, const void *p,
	       struct vgc_objinfo *out)
{
	struct obj o;
	int err = obj_find(a, p, &o);
	unsigned int region;

	if (err)
		return err;
	region = o.info >> 2;
	out->index = o.idx;
	out->zone = region / a->nr_parts;
	out->partition = region % a->nr_parts;
	out->gen = VGCU_INFO_GEN(o.info);
	out->valid = obj_valid(a, &o);
	out->state = obj_code(a, &o);
	out->size = (size_t)o.bytes;
	return 0;
}

/* The object at p, which must be allocated: 0 or -EINVAL. */
static inline int obj_get(const struct vgc_arena *a, const void *p,
			  struct obj *o)
{
	int err = obj_find(a, p, o);

	if (err)
		return err;
	return obj_valid(a, o) ? 0 : -EINVAL;
}

int vgc_state(const struct vgc_arena *a, const void *p)
{
	struct obj o;
	int err = obj_get(a, p, &o);

	return err ? err : (int)obj_code(a, &o);
}

size_t vgc_usable_size(const struct vgc_arena *a, const void *p)
{
	struct obj o;

	if (obj_find(a, p, &o) || !obj_valid(a, &o))
		return 0;
	return (size_t)o.bytes;
}

static int set_flag_bit(struct vgc_arena *a, const void *p, enum vgc_plane pl)
{
	struct obj o;
	int err = obj_get(a, p, &o);

	if (err)
		return err;
	/* a plain load first keeps hot objects' words from bouncing */
	if (!plane_test(a, pl, &o)) {
		plane_set(a, pl, &o);
		/* MUTATE is the profiler's: sweeps do not take it */
		if (pl != VGC_PLANE_MUTATE)
			vgc_core_note(a->sums, o.idx);
	}
	return 0;
}

int vgc_touch(struct vgc_arena *a, const void *p)
{
	return set_flag_bit(a, p, VGC_PLANE_ACCESS);
}

int vgc_mutate(struct vgc_arena *a, const void *p)
{
	return set_flag_bit(a, p, VGC_PLANE_MUTATE);
}

/*
 * A request that the shared core judges on the object's state, the same
 * checks as VGC_IOC_BATCH in the module (vgc_core_request()).
 */
static int request_obj(struct vgc_arena *a, const void *p, __u32 op,
		       struct obj *o)
{
	unsigned int plane;
	int err = obj_get(a, p, o);
	bool was;

	if (err)
		return err;
	err = vgc_core_request(op, obj_code(a, o), &plane);
	if (err)
		return err;
	was = plane_set(a, plane, o);
	/* after the bit: see vgc_core_note() */
	vgc_core_note(a->sums, o->idx);
	return vgc_core_request_done(op, was);
}

static int request(struct vgc_arena *a, const void *p, __u32 op)
{
	struct obj o;

	return request_obj(a, p, op, &o);
}

/* counted for the pacer: released bytes it has yet to see reclaimed */
int vgc_release(struct vgc_arena *a, const void *p)
{
	struct obj o;
	int err = request_obj(a, p, VGC_BATCH_RELEASE, &o);

	if (!err)
		vgcu_pacer_released(a, o.bytes);
	return err;
}

/* a pin on a released object is dropped (and counted) by the sweep */
int vgc_pin(struct vgc_arena *a, const void *p)
{
	return request(a, p, VGC_BATCH_PIN);
}

int vgc_keep(struct vgc_arena *a, const void *p)
{
	return request(a, p, VGC_BATCH_KEEP);
}

int vgc_promote(struct vgc_arena *a, const void *p)
{
	return request(a, p, VGC_BATCH_PROMOTE);
}

int vgc_demote(struct vgc_arena *a, const void *p)
{
	return request(a, p, VGC_BATCH_DEMOTE);
}

void *vgc_object_at(const struct vgc_arena *a, uint64_t index)
{
	if (index >= a->total_granules)
		return NULL;
	return a->data + (index << VGC_GRANULE_SHIFT);
}

int vgc_region_usage(const struct vgc_arena *a, unsigned int zone,
		     unsigned int partition, unsigned int gens,
		     struct vgc_usage *u)
{
	const struct vgc_region *r;
	unsigned int g, c;
	uint64_t s, w;

	if (zone >= VGC_NR_ZONES || partition >= a->nr_parts || !u)
		return -EINVAL;
	if (!gens)
		gens = (1U << VGC_NR_GENS) - 1;
	r = &a->regions[zone * a->nr_parts + partition];
	memset(u, 0, sizeof(*u));
	for (g = 0; g < VGC_NR_GENS; g++) {
		/* Gen0 grows: its size is published after its spans */
		uint64_t f = r->gen_first[g] >> VGCU_SPAN_SHIFT_G;
		uint64_t n = vgcu_load(&r->gen_granules[g]) >> VGCU_SPAN_SHIFT_G;

		if (!(gens & (1U << g)))
			continue;
		u->spans += n;
		for (s = f; s < f + n; s++) {
			uint16_t cls = vgcu_load(&a->spans[s]);

			if (cls == VGC_SPAN_FREE || cls > VGC_SPAN_GRANULES)
				continue;
			u->spans_used++;
			u->slots += VGC_SPAN_GRANULES / cls;
			for (w = s * VGCU_WORDS_PER_SPAN;
			     w < (s + 1) * VGCU_WORDS_PER_SPAN; w++) {
				uint64_t v = vgcu_load(&a->planes[VGC_PLANE_VALID][w]);
				uint64_t s0 = vgcu_load_relaxed(&a->planes[VGC_PLANE_S0][w]);
				uint64_t s1 = vgcu_load_relaxed(&a->planes[VGC_PLANE_S1][w]);
				uint64_t s2 = vgcu_load_relaxed(&a->planes[VGC_PLANE_S2][w]);
				uint64_t rq = vgcu_load_relaxed(&a->planes[VGC_PLANE_RELEASE][w]);
				uint64_t live = (uint64_t)__builtin_popcountll(v);

				if (!v)
					continue;
				u->live += live;
				/* a large object's head: its whole run */
				u->live_bytes += cls == VGC_SPAN_GRANULES &&
						 a->span_link[s] > 1 ?
					(uint64_t)a->span_link[s] << VGC_SPAN_SHIFT :
					live * cls * VGC_GRANULE_SIZE;
				u->pending += (uint64_t)__builtin_popcountll(
					v & ((s2 & (s1 | s0)) | rq));
				for (c = 0; c < VGC_NR_STATES; c++)
					u->states[c] += (uint64_t)__builtin_popcountll(
						vgc_code_mask(v, s0, s1, s2, c));
			}
		}
	}
	return 0;
}
