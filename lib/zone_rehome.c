// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Candidates and re-homing: the objects the sweep made PROMOTE or DEMOTE
 * candidates, their target zone (the profile's decision, else the next
 * zone up or down), the copy into the target zone with the profile
 * carried over; and the Passive VGC hint, static allocations.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "zone_profile_int.h"

static unsigned int zone_up(unsigned int z)
{
	return z == VGC_ZONE_RED ? VGC_ZONE_BLUE : VGC_ZONE_GREEN;
}

static unsigned int zone_down(unsigned int z)
{
	return z == VGC_ZONE_GREEN ? VGC_ZONE_BLUE : VGC_ZONE_RED;
}

static unsigned int target_of(struct zprof *p, uint64_t idx, unsigned int z,
			      unsigned int state)
{
	unsigned int t = TARGET_NONE;

	if (p)
		t = __atomic_load_n(&p->ent[idx].meta, __ATOMIC_RELAXED) >> 6;
	if (t != TARGET_NONE && t != z &&
	    (state == VGC_ST_PROMOTE) == (zrank(t) > zrank(z)))
		return t;
	return state == VGC_ST_PROMOTE ? zone_up(z) : zone_down(z);
}

/*
 * The committed granules [*g0, *g1) of the first region (by index) whose
 * committed part ends above idx, clipped to start at idx: false when no committed granule lies at
 * or above idx.  Regions grow: each call reads their sizes afresh.
 */
static bool next_committed(const struct vgc_arena *a, uint64_t idx,
			   uint64_t *g0, uint64_t *g1)
{
	uint64_t best = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < a->layout.nr_regions; i++) {
		const struct vgc_region *r = &a->regions[i];
		uint64_t f = r->first_granule;
		uint64_t e = f + vgcu_load(&r->committed_granules);

		if (e <= idx || f >= best)
			continue;
		best = f;
		*g0 = f > idx ? f : idx;
		*g1 = e;
	}
	return best != UINT64_MAX;
}

/* Appends word w's candidates at or above index i0 to out[*n..cap). */
static void word_candidates(struct vgc_arena *a, struct zprof *p, uint64_t w,
			    uint64_t i0, struct vgc_candidate *out, size_t cap,
			    size_t *n, uint64_t *cursor)
{
	uint64_t v = __atomic_load_n(&a->planes[VGC_PLANE_VALID][w],
				     __ATOMIC_ACQUIRE);
	uint64_t cand, busy;

	if (!v)
		return;
	cand = v & ~a->planes[VGC_PLANE_S2][w] & a->planes[VGC_PLANE_S1][w];
	busy = __atomic_load_n(&a->planes[VGC_PLANE_RELEASE][w],
			       __ATOMIC_RELAXED) |
	       __atomic_load_n(&a->planes[VGC_PLANE_KEEP][w],
			       __ATOMIC_RELAXED) |
	       __atomic_load_n(&a->planes[VGC_PLANE_PIN][w],
			       __ATOMIC_RELAXED);
	cand &= ~busy;
	if (w == i0 >> 6)
		cand &= ~0ULL << (i0 & 63);
	while (cand && *n < cap) {
		unsigned int b = (unsigned int)__builtin_ctzll(cand);
		uint64_t idx = (w << 6) + b;
		struct vgc_candidate *c = &out[*n];
		struct vgc_objinfo oi;

		cand &= cand - 1;
		c->ptr = a->data + (idx << VGC_GRANULE_SHIFT);
		if (vgc_locate(a, c->ptr, &oi) < 0)
			continue;
		c->index = idx;
		c->state = oi.state;
		c->from_zone = oi.zone;
		c->gen = oi.gen;
		c->size = oi.size;
		c->to_zone = target_of(p, idx, oi.zone, oi.state);
		(*n)++;
		*cursor = idx + 1;
	}
}

/*
 * Scans the committed spans only: plane words of a region's reserve are
 * not backed (the module raises SIGBUS, anonymous memory would become
 * resident), and spans without object heads (free, retiring,
 * decommitted, continuations) are skipped whole.
 */
VGCU_API int vgc_rehome_candidates(struct vgc_arena *a,
				   struct vgc_candidate *out, size_t cap,
				   uint64_t *cursor)
{
	struct zprof *p = vgcu_zprof_of(a);
	uint64_t g0 = 0, g1 = 0, i0, s, k;
	size_t n = 0;

	if (!out || !cursor)
		return -EINVAL;
	i0 = *cursor;
	while (n < cap && next_committed(a, i0, &g0, &g1)) {
		for (s = g0 >> VGCU_SPAN_SHIFT_G;
		     s < g1 >> VGCU_SPAN_SHIFT_G && n < cap; s++) {
			uint16_t c = vgcu_load(&a->spans[s]);
			uint64_t w0 = s * VGCU_WORDS_PER_SPAN;

			if (c == VGC_SPAN_FREE || c > VGC_SPAN_GRANULES) {
				*cursor = (s + 1) << VGCU_SPAN_SHIFT_G;
				continue;
			}
			for (k = g0 > (w0 << 6) ? (g0 >> 6) - w0 : 0;
			     k < VGCU_WORDS_PER_SPAN && n < cap; k++) {
				word_candidates(a, p, w0 + k, i0, out, cap,
						&n, cursor);
				if (n < cap)
					*cursor = (w0 + k + 1) << 6;
			}
		}
		i0 = g1;
	}
	return (int)n;
}

static void *rehome_locked(struct vgc_arena *a, struct zprof *p, void *ptr,
			   const struct vgc_objinfo *oi, unsigned int zone)
{
	struct vgc_objinfo ni;
	void *q;
	int ret;

	q = vgc_alloc_gen(a, oi->size, (enum vgc_zone)zone,
			  (enum vgc_gen)oi->gen, 0);
	if (!q)
		return NULL;
	memcpy(q, ptr, oi->size);
	if (p && vgc_locate(a, q, &ni) == 0) {
		struct pent *from = vgcu_zprof_ent_at(p, oi->index,
			(unsigned int)(oi->size >> VGC_GRANULE_SHIFT));
		struct pent *e = &p->ent[ni.index];

		vgcu_zprof_span_sync(p, ni.index >> VGCU_SPAN_SHIFT_G);
		vgcu_zprof_quiet_wake(p, ni.index >> 6);
		*e = *from;
		e->meta = (uint8_t)((e->meta & KAPPA_MAX) | TARGET_NONE << 6);
		/* seen: the next sample must not reset the carried history */
		p->vshadow[ni.index >> 6] |= 1ULL << (ni.index & 63);
	}
	ret = vgc_release(a, ptr);
	if (ret < 0) {
		vgc_release(a, q);
		errno = -ret;
		return NULL;
	}
	return q;
}

VGCU_API void *vgc_rehome_to(struct vgc_arena *a, void *ptr, enum vgc_zone zone)
{
	struct zprof *p;
	struct vgc_objinfo oi;
	void *q;

	if (!a || (unsigned int)zone >= VGC_NR_ZONES ||
	    vgc_locate(a, ptr, &oi) < 0 || !oi.valid ||
	    oi.state > VGC_ST_DEMOTE ||
	    ((char *)ptr - a->data) != (ptrdiff_t)(oi.index << VGC_GRANULE_SHIFT)) {
		errno = EINVAL;
		return NULL;
	}
	p = vgcu_zprof_of(a);
	if (p)
		pthread_mutex_lock(&p->lock);
	q = rehome_locked(a, p, ptr, &oi, zone);
	if (p)
		pthread_mutex_unlock(&p->lock);
	return q;
}

VGCU_API void *vgc_rehome(struct vgc_arena *a, void *ptr)
{
	struct vgc_objinfo oi;
	struct zprof *p;
	unsigned int t;

	if (!a || vgc_locate(a, ptr, &oi) < 0 || !oi.valid ||
	    (oi.state != VGC_ST_PROMOTE && oi.state != VGC_ST_DEMOTE)) {
		errno = EINVAL;
		return NULL;
	}
	p = vgcu_zprof_of(a);
	t = target_of(p, oi.index, oi.zone, oi.state);
	if (t == oi.zone) {
		/* nowhere to go (promote in Green, demote in Red): decline */
		int ret = vgc_keep(a, ptr);

		if (ret < 0) {
			errno = -ret;
			return NULL;
		}
		return ptr;
	}
	return vgc_rehome_to(a, ptr, (enum vgc_zone)t);
}

VGCU_API void *vgc_alloc_static(struct vgc_arena *a, size_t size,
				enum vgc_zone zone)
{
	return vgc_alloc_gen(a, size, zone, VGC_GEN2, VGC_ALLOC_F_PERSISTENT);
}
