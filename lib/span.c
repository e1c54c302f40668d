// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The span lifecycle: growth, re-carving, decommit and recommit of the
 * 64 KiB spans a region's generations are made of (docs/design.md, "Span
 * lifecycle").
 *
 * Every change of a span's class goes through its span table entry, and
 * only by CAS: FREE -> class when an allocator carves it, class ->
 * RETIRING when a retirer saw every VALID word of the span zero after its
 * CAS, RETIRING -> anything by the one thread whose CAS made it RETIRING,
 * DECOMMITTED or FREE -> RETIRING when a thread claims the span.  Sweeps
 * skip RETIRING, DECOMMITTED and continuation spans (values above 4096).
 *
 * The race that matters is a retirement against an allocator that read
 * the old class (its cursor, or the scan that found the span) and is about
 * to set a VALID bit: the allocator sets the bit first and re-reads the
 * entry after (vgcu_span_take()), the retirer writes the entry first and
 * reads the VALID words after, both sequentially consistent.  Either the
 * retirer sees the bit, and puts the class back, or the allocator sees
 * the new entry, and clears its bit again.  Such a bit lives for a few
 * instructions, in a span no sweep looks at; its slot is free again when
 * the allocator clears it, and a span is reset to the free preset before
 * it is carved anew.
 */
#include <errno.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "vgcu_int.h"

#define SEQ	__ATOMIC_SEQ_CST

bool vgcu_span_is_empty(const struct vgc_arena *a, uint64_t s)
{
	const uint64_t *v = a->planes[VGC_PLANE_VALID] + s * VGCU_WORDS_PER_SPAN;
	unsigned int w;

	for (w = 0; w < VGCU_WORDS_PER_SPAN; w++)
		if (__atomic_load_n(&v[w], SEQ))
			return false;
	return true;
}

/*
 * expect -> RETIRING when the span holds no object: 0, -EAGAIN when the
 * entry was not expect, -EBUSY when an object lives there (the entry is
 * expect again).
 */
int vgcu_span_retire(struct vgc_arena *a, uint64_t s, uint16_t expect)
{
	uint16_t e = expect;

	if (!__atomic_compare_exchange_n(&a->spans[s], &e, VGC_SPAN_RETIRING,
					 false, SEQ, SEQ))
		return -EAGAIN;
	if (!vgcu_span_is_empty(a, s)) {
		__atomic_store_n(&a->spans[s], expect, SEQ);
		return -EBUSY;
	}
	return 0;
}

/*
 * The entry of span s once nobody holds it RETIRING, for the object
 * lookups (obj_int.h).  A retirer holds a span that has objects only for
 * the loads that find one (vgcu_span_retire()), but it may be preempted
 * there, and a vgc_free() or vgc_state() of a live object must not read
 * "not carved" meanwhile.  A span held longer (decommit, commit, carving,
 * a large object's claim) is empty: no pointer into it is an object's,
 * and after 100 ms of waiting the lookup says so.
 */
uint16_t vgcu_span_settle(const struct vgc_arena *a, uint64_t s)
{
	uint64_t t0 = 0;
	unsigned int i;
	uint16_t c;

	for (i = 0;; i++) {
		c = __atomic_load_n(&a->spans[s], SEQ);
		if (c != VGC_SPAN_RETIRING)
			return c;
		if (i < 64)
			continue;
		if (!t0)
			t0 = vgcu_now_ns();
		else if (vgcu_now_ns() - t0 > 100ULL * 1000000)
			return c;
		sched_yield();
	}
}

/*
 * The free preset (VALID 0, code 001) and no requests, in the first nw
 * words of a span this thread holds RETIRING: no sweep and no allocator
 * writes there, so plain stores do.  It undoes the rare free slot that a
 * vgc_free() racing a sweep left in another code (free.c) before the
 * span's new heads exist.  The span is noted after: its summary, which a
 * sweep left for the next class, may record the class it is carved for
 * again (a large object's head, 4096, freed and allocated anew) with a
 * population the reset changed, and must not let the next checkpoint
 * skip it.  A large object's head needs word 0 only (large.c), which is
 * why nw exists: a whole span is 640 loads.
 */
void vgcu_span_reset_words(struct vgc_arena *a, uint64_t s, unsigned int nw)
{
	static const enum vgc_plane zero[] = {
		VGC_PLANE_S1, VGC_PLANE_S2, VGC_PLANE_ACCESS, VGC_PLANE_MUTATE,
		VGC_PLANE_RELEASE, VGC_PLANE_PIN, VGC_PLANE_KEEP,
		VGC_PLANE_PROMOTE, VGC_PLANE_DEMOTE,
	};
	uint64_t w0 = s * VGCU_WORDS_PER_SPAN;
	unsigned int i, w;

	if (nw == 1) {
		/* a large object's head, at every large free: unrolled */
		if (~a->planes[VGC_PLANE_S0][w0])
			a->planes[VGC_PLANE_S0][w0] = ~0ULL;
#pragma GCC unroll 9
		for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
			if (a->planes[zero[i]][w0])
				a->planes[zero[i]][w0] = 0;
		nw = 0;
	}
	for (w = 0; w < nw; w++)
		if (~a->planes[VGC_PLANE_S0][w0 + w])
			a->planes[VGC_PLANE_S0][w0 + w] = ~0ULL;
	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		for (w = 0; w < nw; w++)
			if (a->planes[zero[i]][w0 + w])
				a->planes[zero[i]][w0 + w] = 0;
	/* the stores before the note's load, as a request's OR would be */
	__atomic_thread_fence(SEQ);
	vgcu_span_note(a, s);
}

void vgcu_span_reset(struct vgc_arena *a, uint64_t s)
{
	vgcu_span_reset_words(a, s, VGCU_WORDS_PER_SPAN);
}

static inline void publish(struct vgc_arena *a, uint64_t s, uint16_t val,
			   int order)
{
	a->span_empty[s] = 0;
	if (val != VGC_SPAN_CONT && a->span_link[s])
		a->span_link[s] = 0;
	__atomic_store_n(&a->spans[s], val, order);
}

/*
 * A span this thread holds RETIRING becomes val for everyone.  Its link
 * is cleared first unless val is CONT: once FREE, a claimer may write it
 * (large.c's claim()).
 */
void vgcu_span_publish(struct vgc_arena *a, uint64_t s, uint16_t val)
{
	publish(a, s, val, SEQ);
}

/*
 * The same for a large object's continuation, whose link the caller set
 * for CONT, with a release store: no allocator ever sets a bit in a
 * continuation, so the retire protocol's store-then-load pairing has no
 * other side there; only the link has to be visible before the entry.
 */
void vgcu_span_publish_cont(struct vgc_arena *a, uint64_t s, uint16_t val)
{
	publish(a, s, val, __ATOMIC_RELEASE);
}

/* Span s may be FREE now: the carve scan of its (region, gen) starts there. */
void vgcu_span_hint_free(struct vgc_arena *a, uint64_t s)
{
	uint16_t info = a->span_info[s];
	unsigned int g = VGCU_INFO_GEN(info);
	uint64_t *h;

	if (g == VGCU_GEN_NONE)
		return;
	h = &a->carve_hint[VGCU_INFO_REGION(info)][g];
	if (s < vgcu_load_relaxed(h))
		__atomic_store_n(h, s, __ATOMIC_RELAXED);
}

int vgcu_span_commit(struct vgc_arena *a, unsigned int part, uint64_t s,
		     uint64_t n)
{
	int err;

	if (!a->ops->commit)
		return 0;
	vgcu_part_lock(a, part);
	err = a->ops->commit(a, s, n);
	vgcu_part_unlock(a, part);
	if (!err)
		__atomic_fetch_add(&a->heap.recommitted, n, __ATOMIC_RELAXED);
	return err;
}

int vgcu_span_decommit(struct vgc_arena *a, unsigned int part, uint64_t s,
		       uint64_t n)
{
	int err;

	if (!a->ops->decommit)
		return -EOPNOTSUPP;
	vgcu_part_lock(a, part);
	err = a->ops->decommit(a, s, n);
	vgcu_part_unlock(a, part);
	if (!err)
		__atomic_fetch_add(&a->heap.decommitted, n, __ATOMIC_RELAXED);
	return err;
}

/*
 * Growth of (zone, part)'s Gen0 by at least min_spans: a quarter of what
 * is committed, at least 1 MiB, so that a growing heap grows in
 * logarithmically many steps (each takes every partition's lock), and
 * only min_spans when the larger step does not fit a limit.
 */
int vgcu_heap_grow(struct vgc_arena *a, unsigned int zone, unsigned int part,
		   uint64_t min_spans)
{
	const struct vgc_region *r = vgcu_region(a, zone, part);
	uint64_t have = vgcu_load(&r->committed_granules) >> VGCU_SPAN_SHIFT_G;
	uint64_t left = (r->capacity_granules >> VGCU_SPAN_SHIFT_G) - have;
	uint64_t step = have / 4;
	int err;

	if (step < 16)
		step = 16;
	if (step < min_spans)
		step = min_spans;
	if (step > left)
		step = left;
	if (step < min_spans || !step)
		return -ENOSPC;
	__atomic_fetch_add(&a->heap.grow_calls, 1, __ATOMIC_RELAXED);
	err = vgc_grow(a, zone, part, step << VGC_SPAN_SHIFT, NULL);
	if (err && step > min_spans) {
		step = min_spans;
		err = vgc_grow(a, zone, part, step << VGC_SPAN_SHIFT, NULL);
	}
	if (err) {
		__atomic_fetch_add(&a->heap.grow_failed, 1, __ATOMIC_RELAXED);
		return err;
	}
	__atomic_fetch_add(&a->heap.grown_spans, step, __ATOMIC_RELAXED);
	return 0;
}

/* The span s, held RETIRING, carved for cls: a slot, or -1. */
static int64_t carve(struct vgc_arena *a, uint64_t s, unsigned int cls,
		     struct vgcu_cursor *cur)
{
	vgcu_span_reset(a, s);
	vgcu_span_publish(a, s, vgcu_class_gran[cls]);
	return vgcu_span_take(a, s, cls, 0, cur);
}

/*
 * Another class's span that is empty now, taken over for cls.  Spans of
 * the 4096-granule class that head a large object are the large
 * allocator's (large.c).
 */
static int64_t recarve(struct vgc_arena *a, uint64_t first, uint64_t n,
		       unsigned int cls, struct vgcu_cursor *cur)
{
	const uint64_t *v = a->planes[VGC_PLANE_VALID];
	uint16_t want = vgcu_class_gran[cls];
	uint64_t s;
	int64_t idx;

	for (s = first; s < first + n; s++) {
		uint16_t c = vgcu_load_relaxed(&a->spans[s]);

		/*
		 * Only spans that look empty are retired: a span with objects
		 * reads RETIRING while the retirer looks, and lookups of its
		 * objects wait for that (vgcu_span_settle()).
		 */
		if (c == VGC_SPAN_FREE || c > VGC_SPAN_GRANULES || c == want ||
		    vgcu_load_relaxed(&v[s * VGCU_WORDS_PER_SPAN]) ||
		    (c == VGC_SPAN_GRANULES && a->span_link[s] > 1) ||
		    !vgcu_span_is_empty(a, s))
			continue;
		if (vgcu_span_retire(a, s, c))
			continue;
		__atomic_fetch_add(&a->heap.recarved, 1, __ATOMIC_RELAXED);
		idx = carve(a, s, cls, cur);
		if (idx >= 0)
			return idx;
	}
	return -1;
}

/* A decommitted span committed again for cls: a slot, -1, or -errno. */
static int64_t recommit(struct vgc_arena *a, unsigned int part,
			uint64_t first, uint64_t n, unsigned int cls,
			struct vgcu_cursor *cur)
{
	uint64_t s;
	int err = 0;

	for (s = first; s < first + n; s++) {
		uint16_t e = VGC_SPAN_DECOMMITTED;

		if (vgcu_load_relaxed(&a->spans[s]) != VGC_SPAN_DECOMMITTED ||
		    !__atomic_compare_exchange_n(&a->spans[s], &e,
						 VGC_SPAN_RETIRING, false,
						 SEQ, SEQ))
			continue;
		err = vgcu_span_commit(a, part, s, 1);
		if (err) {
			vgcu_span_publish(a, s, VGC_SPAN_DECOMMITTED);
			vgcu_large_note_free(a, s);
			return err;
		}
		return carve(a, s, cls, cur);
	}
	return -1;
}

/*
 * Slots of class cls in (zone, part, gen) when its spans are full and no
 * span there was never carved (alloc.c tried both): an empty span of
 * another class, then a decommitted span, then what a checkpoint
 * reclaims, then growth.  -ENOMEM when nothing is left below the limits.
 */
int64_t vgcu_span_refill(struct vgc_arena *a, unsigned int zone,
			 unsigned int part, unsigned int gen, unsigned int cls,
			 struct vgcu_cursor *cur, struct vgcu_tctx *t)
{
	const struct vgc_region *r = vgcu_region(a, zone, part);
	uint64_t first, n;
	int64_t idx;
	int err = -ENOMEM, tries;

	/*
	 * The decommit pass runs here too (at most four times per delay), so
	 * that a program that never checkpoints (a malloc) gives memory back.
	 */
	vgcu_heap_after_checkpoint(a);
	for (tries = 0; tries < 8; tries++) {
		first = vgcu_load(&r->gen_first[gen]) >> VGCU_SPAN_SHIFT_G;
		n = vgcu_load(&r->gen_granules[gen]) >> VGCU_SPAN_SHIFT_G;
		idx = vgcu_span_take_any(a, first, n, cls, cur);
		if (idx >= 0)
			return idx;
		idx = recarve(a, first, n, cls, cur);
		if (idx >= 0)
			return idx;
		idx = recommit(a, part, first, n, cls, cur);
		if (idx >= 0)
			return idx;
		if (idx < -1)
			err = (int)idx;
		if (tries == 0 && vgcu_pacer_oom(a, t))
			continue;
		if (gen != VGC_GEN0)
			break;
		err = vgcu_heap_grow(a, zone, part, 1);
		if (err)
			break;
	}
	return err == -ENOSPC || err == -EDQUOT || err == -EPERM ? -ENOMEM :
	       (err ? err : -ENOMEM);
}

/* ---- decommit after a delay ------------------------------------------ */

static uint32_t ms_since_open(const struct vgc_arena *a)
{
	return (uint32_t)((vgcu_now_ns() - a->heap.open_ns) / 1000000) | 1;
}

void vgcu_heap_open(struct vgc_arena *a)
{
	const char *e = getenv("VGC_DECOMMIT_MS");
	char *end;
	long long ms;

	a->heap.open_ns = vgcu_now_ns();
	a->heap.decommit_ns = 250ULL * 1000000;
	/* a child shares the span table, and a kept run is this process's */
	a->heap.large_keep = !a->fork_shared &&
			     (a->ops->id == VGC_BACKEND_ANON ||
			      (a->mod_features & VGC_FEAT_FORK_COPY));
	if (e && *e) {
		ms = strtoll(e, &end, 10);
		if (ms > (long long)UINT32_MAX - 1)
			ms = (long long)UINT32_MAX - 1;
		if (!*end)
			a->heap.decommit_ns = ms < 0 ? UINT64_MAX :
					      (uint64_t)ms * 1000000;
	}
}

int vgc_heap_set_decommit(struct vgc_arena *a, int64_t delay_ms)
{
	unsigned int r, g;

	if (!a)
		return -EINVAL;
	/* the empty stamps count 32-bit milliseconds: some 49 days at most */
	if (delay_ms > (int64_t)UINT32_MAX - 1)
		delay_ms = (int64_t)UINT32_MAX - 1;
	__atomic_store_n(&a->heap.decommit_ns,
			 delay_ms < 0 ? UINT64_MAX : (uint64_t)delay_ms * 1000000,
			 __ATOMIC_RELAXED);
	/* 0: the pages of what is free now go back now, kept runs too */
	if (!delay_ms)
		for (r = 0; r < VGC_NR_ZONES * a->nr_parts; r++)
			for (g = 0; g < VGC_NR_GENS; g++)
				vgcu_large_kept_drain(a, r, g, true);
	return 0;
}

/*
 * One region's committed spans: large objects a sweep reclaimed go back
 * (large.c), empty spans get a first-seen-empty stamp, and spans empty
 * for longer than the delay are decommitted.  Returns spans decommitted.
 */
static uint64_t pass_region(struct vgc_arena *a, unsigned int zone,
			    unsigned int part, uint32_t now, uint32_t delay)
{
	const struct vgc_region *r = vgcu_region(a, zone, part);
	const uint64_t *v = a->planes[VGC_PLANE_VALID];
	uint64_t first = r->first_granule >> VGCU_SPAN_SHIFT_G;
	uint64_t n = vgcu_load(&r->committed_granules) >> VGCU_SPAN_SHIFT_G;
	uint64_t s, done = 0;

	for (s = first; s < first + n; s++) {
		uint16_t c = vgcu_load_relaxed(&a->spans[s]);
		uint32_t since;

		if (c > VGC_SPAN_GRANULES) {
			a->span_empty[s] = 0;
			continue;
		}
		if (c == VGC_SPAN_GRANULES && a->span_link[s] > 1) {
			if (!(vgcu_load(&v[s * VGCU_WORDS_PER_SPAN]) & 1))
				vgcu_large_reclaimed(a, part, s);
			continue;
		}
		if (c != VGC_SPAN_FREE &&
		    (vgcu_load_relaxed(&v[s * VGCU_WORDS_PER_SPAN]) ||
		     !vgcu_span_is_empty(a, s))) {
			a->span_empty[s] = 0;
			continue;
		}
		since = a->span_empty[s];
		if (!since) {
			a->span_empty[s] = now;
			continue;
		}
		if (now - since < delay || vgcu_span_retire(a, s, c))
			continue;
		if (vgcu_span_decommit(a, part, s, 1)) {
			vgcu_span_publish(a, s, c);
			a->span_empty[s] = now;
			continue;
		}
		vgcu_span_publish(a, s, VGC_SPAN_DECOMMITTED);
		vgcu_large_note_free(a, s);
		done++;
	}
	return done;
}

/*
 * After every checkpoint (checkpoint.c) and in the allocation slow path,
 * at most four times per delay:
 * what a sweep reclaimed of large objects returns, and spans that stayed
 * empty for the delay are decommitted.  One thread at a time; the cost is
 * a load or two per committed span.
 */
void vgcu_heap_after_checkpoint(struct vgc_arena *a)
{
	uint64_t delay = vgcu_load_relaxed(&a->heap.decommit_ns);
	uint64_t now = vgcu_now_ns(), last;
	int32_t idle = 0;
	unsigned int z, p;

	if (!a->ops->decommit)
		return;
	last = vgcu_load_relaxed(&a->heap.pass_ns);
	if (delay != UINT64_MAX && now - last < delay / 4)
		return;
	if (!__atomic_compare_exchange_n(&a->heap.pass_busy, &idle, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&a->heap.pass_ns, now, __ATOMIC_RELAXED);
	if (delay != UINT64_MAX)
		vgcu_large_kept_age(a, now, delay);
	for (p = 0; p < a->nr_parts; p++)
		for (z = 0; z < VGC_NR_ZONES; z++)
			pass_region(a, z, p, ms_since_open(a),
				    delay == UINT64_MAX ? UINT32_MAX :
				    (uint32_t)(delay / 1000000));
	__atomic_store_n(&a->heap.pass_busy, 0, __ATOMIC_RELEASE);
}

void vgcu_heap_close(struct vgc_arena *a)
{
	size_t n = a->nr_spans ? a->nr_spans : 1;

	vgcu_meta_free(a->span_info, n * sizeof(uint16_t));
	vgcu_meta_free(a->span_link, n * sizeof(uint32_t));
	vgcu_meta_free(a->span_empty, n * sizeof(uint32_t));
	vgcu_meta_free(a->nonfull, ((n + 63) / 64) * sizeof(uint64_t));
	a->span_info = NULL;
	a->span_link = NULL;
	a->span_empty = NULL;
	a->nonfull = NULL;
}

int vgc_heap_stats_format(const struct vgc_heap_stats *st, char *buf,
			  size_t len)
{
	return snprintf(buf, len,
			"grown_spans %llu grow_calls %llu grow_failed %llu "
			"carved %llu recarved %llu recommitted %llu "
			"decommitted %llu large_allocs %llu large_frees %llu "
			"large_spans %llu",
			(unsigned long long)st->grown_spans,
			(unsigned long long)st->grow_calls,
			(unsigned long long)st->grow_failed,
			(unsigned long long)st->carved,
			(unsigned long long)st->recarved,
			(unsigned long long)st->recommitted,
			(unsigned long long)st->decommitted,
			(unsigned long long)st->large_allocs,
			(unsigned long long)st->large_frees,
			(unsigned long long)st->large_spans);
}

int vgc_heap_stats(const struct vgc_arena *a, struct vgc_heap_stats *st)
{
	const struct vgcu_heap *h;
	unsigned int r;

	if (!a || !st)
		return -EINVAL;
	h = &a->heap;
	memset(st, 0, sizeof(*st));
	st->grown_spans = vgcu_load_relaxed(&h->grown_spans);
	st->grow_calls = vgcu_load_relaxed(&h->grow_calls);
	st->grow_failed = vgcu_load_relaxed(&h->grow_failed);
	st->carved = vgcu_load_relaxed(&h->carved);
	st->recarved = vgcu_load_relaxed(&h->recarved);
	st->recommitted = vgcu_load_relaxed(&h->recommitted);
	st->decommitted = vgcu_load_relaxed(&h->decommitted);
	st->large_allocs = st->large_frees = st->large_spans = 0;
	for (r = 0; r < VGCU_NR_REGIONS; r++) {
		st->large_allocs += vgcu_load_relaxed(&a->large[r].allocs);
		st->large_frees += vgcu_load_relaxed(&a->large[r].frees);
		st->large_spans += vgcu_load_relaxed(&a->large[r].spans);
	}
	st->decommit_delay_ms = h->decommit_ns == UINT64_MAX ? -1 :
				(int64_t)(h->decommit_ns / 1000000);
	return 0;
}
