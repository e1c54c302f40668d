// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Large objects: more than VGC_MAX_OBJECT_SIZE (64 KiB) bytes, a run of
 * whole spans.  The head span is carved for the 4096-granule class, so
 * the object's state lives in the head's bits like any object's and the
 * sweeps (kernel and library) evaluate it like any 64 KiB object; the
 * span_link table holds the run length at the head and each continuation
 * span's distance back to it, and continuations are VGC_SPAN_CONT in the
 * span table, which sweeps skip and vgc_locate() follows back in O(1).
 *
 * A run is claimed span by span with the lifecycle's CAS (FREE or
 * DECOMMITTED -> RETIRING, span.c) and published head last, so a run
 * half-claimed by two threads at once is given back by the loser.  When
 * no such run is there, empty spans of the small classes count too
 * (retired as span.c re-carves them), before the region grows: a zone
 * whose small objects were all freed holds large objects again.  A run
 * that is freed (vgc_free()) or reclaimed (a sweep expired its head,
 * found by the decommit pass of span.c) goes back as free spans, which
 * the decommit pass decommits after the delay like any empty span.
 *
 * Except the last one freed in each (region, gen), which is kept whole:
 * its head becomes VGC_SPAN_KEPT (a marker: sweeps skip it, lookups find
 * no object) and the next allocation of that many spans there takes it
 * back with one exchange, one bit and one store, where claiming and
 * publishing a run cost a CAS and a store per span (the way of a
 * program that frees and allocates buffers of one size: mimalloc and
 * jemalloc cache such runs too).  Whoever exchanges the run out of its
 * slot owns it; a run of another size, a small class that would carve a
 * new span there (alloc.c), a delay of 0 and the decommit pass after the
 * delay give it back as free spans.  Only where no other process shares
 * the arena's span table, since the slots are this process's.
 *
 * Free spans are clean in every plane word (the free preset, no requests):
 * never-carved spans are, continuations are never written (sweeps skip
 * them and requests name the head), and release_run() resets the head's
 * word 0, the only word a large object's state uses.  So a head taken
 * from free spans resets word 0 only; from decommitted spans, which a
 * small class may have left in any state, the whole span.
 */
#include <errno.h>
#include <sched.h>
#include "vgcu_int.h"

#define SEQ	__ATOMIC_SEQ_CST

/*
 * While RETIRING, a claimed span's span_link entry keeps what it was
 * before the claim (+1): nobody reads span_link of a RETIRING span.
 */
static void unclaim(struct vgc_arena *a, uint64_t s, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint16_t was = (uint16_t)(a->span_link[s + i] - 1);

		a->span_link[s + i] = 0;
		__atomic_store_n(&a->spans[s + i], was, SEQ);
	}
	vgcu_large_note_free(a, s);
}

/*
 * A span a run may take: free, decommitted, or with empties an empty span
 * of a small class (re-carved, as span.c does for the small classes).  A
 * large object's head is never one, whatever its VALID bit says: the
 * decommit pass returns its run.
 */
static bool span_usable(const struct vgc_arena *a, uint64_t s, bool empties)
{
	uint16_t c = vgcu_load_relaxed(&a->spans[s]);

	if (c == VGC_SPAN_FREE || c == VGC_SPAN_DECOMMITTED)
		return true;
	if (!empties || c > VGC_SPAN_GRANULES ||
	    (c == VGC_SPAN_GRANULES && a->span_link[s] > 1))
		return false;
	return vgcu_span_is_empty(a, s);
}

/* An empty span of class c, then held RETIRING and reset. */
static bool claim_empty(struct vgc_arena *a, uint64_t s, uint16_t c)
{
	if (c > VGC_SPAN_GRANULES || vgcu_span_retire(a, s, c))
		return false;
	if (c == VGC_SPAN_GRANULES && a->span_link[s] > 1) {
		__atomic_store_n(&a->spans[s], c, SEQ);
		return false;
	}
	vgcu_span_reset(a, s);
	__atomic_fetch_add(&a->heap.recarved, 1, __ATOMIC_RELAXED);
	return true;
}

static bool claim(struct vgc_arena *a, uint64_t s, uint64_t n,
		  bool empties, bool *committed)
{
	uint64_t i;

	*committed = true;
	for (i = 0; i < n; i++) {
		uint16_t c = vgcu_load_relaxed(&a->spans[s + i]);
		bool ok;

		if (c == VGC_SPAN_FREE || c == VGC_SPAN_DECOMMITTED)
			ok = __atomic_compare_exchange_n(&a->spans[s + i], &c,
							 VGC_SPAN_RETIRING,
							 false, SEQ, SEQ);
		else
			ok = empties && claim_empty(a, s + i, c);
		if (!ok) {
			unclaim(a, s, i);
			return false;
		}
		if (c == VGC_SPAN_DECOMMITTED)
			*committed = false;
		a->span_link[s + i] = (uint32_t)c + 1;
	}
	return true;
}

/*
 * The lowest span of each (region, gen) that may be free or decommitted,
 * + 1 (0: the region's first): every span below it is in use, so the
 * first-fit scan of find_run() starts there, and a program that frees
 * and allocates objects of one size finds the run it freed without
 * walking the region's live objects.  Lowered (an atomic min) wherever a
 * span becomes free or decommitted; raised only by a scan, by a CAS from
 * the value it started from, so that a concurrent lowering wins.  A
 * lowering lost all the same (the mark raised and lowered back to the
 * value a scan started from), or never seen (the mark is per process,
 * and a fork-shared arena's other processes free spans too), costs
 * placement only: before the region grows, the pass with empties scans
 * from the region's first span.
 */
static uint64_t *low_mark(struct vgc_arena *a, uint64_t s)
{
	uint16_t info = a->span_info[s];

	if (VGCU_INFO_GEN(info) == VGCU_GEN_NONE)
		return NULL;
	return &a->large_low[VGCU_INFO_REGION(info)][VGCU_INFO_GEN(info)];
}

void vgcu_large_note_free(struct vgc_arena *a, uint64_t s)
{
	uint64_t *m = low_mark(a, s);
	uint64_t v;

	if (!m)
		return;
	v = vgcu_load_relaxed(m);
	while ((!v || s + 1 < v) &&
	       !__atomic_compare_exchange_n(m, &v, s + 1, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/*
 * The first run of n spans in [first, first + len) that claim() may take:
 * its start.  Without empties the scan starts at the low mark.
 */
static int64_t find_run(struct vgc_arena *a, uint64_t first, uint64_t len,
			uint64_t n, bool empties)
{
	uint64_t *m = empties ? NULL : low_mark(a, first);
	uint64_t s, run = 0, from = first, mark = 0, low = UINT64_MAX;
	int64_t found = -1;

	if (m) {
		mark = vgcu_load_relaxed(m);
		if (mark > first + 1)
			from = mark - 1 < first + len ? mark - 1 : first + len;
	}
	for (s = from; s < first + len; s++) {
		if (span_usable(a, s, empties)) {
			if (low == UINT64_MAX)
				low = s;
			if (++run == n) {
				found = (int64_t)(s + 1 - n);
				break;
			}
		} else {
			run = 0;
		}
	}
	if (m && low != from)
		__atomic_compare_exchange_n(m, &mark, low == UINT64_MAX ?
					    first + len + 1 : low + 1, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return found;
}

/*
 * Spans at the end of [first, first + len) that a run may take, fewer
 * than n: growth appends at the end, so it needs only what they lack.
 */
static uint64_t tail_run(const struct vgc_arena *a, uint64_t first,
			 uint64_t len, uint64_t n)
{
	uint64_t k = 0;

	while (k < len && k + 1 < n && span_usable(a, first + len - 1 - k, true))
		k++;
	return k;
}

/* Claimed, committed spans [s, s + n) become one object; its head index. */
static uint64_t publish_run(struct vgc_arena *a, uint64_t s, uint64_t n)
{
	uint64_t *v = &a->planes[VGC_PLANE_VALID][s * VGCU_WORDS_PER_SPAN];
	uint16_t was = (uint16_t)(a->span_link[s] - 1);	/* claim() */
	uint64_t i;

	vgcu_span_reset_words(a, s, was == VGC_SPAN_DECOMMITTED ?
				    VGCU_WORDS_PER_SPAN : 1);
	/* continuations with release stores (span.c); the head stays seq_cst */
	for (i = 1; i < n; i++) {
		a->span_link[s + i] = (uint32_t)i;
		vgcu_span_publish_cont(a, s + i, VGC_SPAN_CONT);
	}
	a->span_empty[s] = 0;
	/*
	 * VALID first, while the head is still RETIRING: an allocator whose
	 * cursor still names this span may hold bit 0 for an instant, and
	 * lets it go when it sees the span changed.
	 */
	while (vgcu_test_and_set(v, 0))
		sched_yield();
	a->span_link[s] = (uint32_t)n;
	__atomic_store_n(&a->spans[s], VGC_SPAN_GRANULES, SEQ);
	return s << VGCU_SPAN_SHIFT_G;
}

/*
 * The run of head (held RETIRING, VALID clear) goes back as free spans,
 * still committed, so that the next large allocation of that size takes
 * them without a fault per page; the decommit pass (span.c) gives their
 * pages back once they stayed free for the decommit delay, as for any
 * span, and at once when the delay is 0.
 */
static void release_run(struct vgc_arena *a, unsigned int part, uint64_t head,
			bool give_back)
{
	uint64_t n = a->span_link[head], i;
	uint16_t to = VGC_SPAN_FREE;

	/* an Idle, pinned or touched object leaves its bits: free is clean */
	vgcu_span_reset_words(a, head, 1);
	/* continuations with release stores, as publish_run() made them */
	for (i = 1; i < n; i++)
		__atomic_store_n(&a->spans[head + i], VGC_SPAN_RETIRING,
				 __ATOMIC_RELEASE);
	if ((give_back || !vgcu_load_relaxed(&a->heap.decommit_ns)) &&
	    !vgcu_span_decommit(a, part, head, n))
		to = VGC_SPAN_DECOMMITTED;
	/* each link cleared before its entry is published (span.c) */
	for (i = n; i-- > 1;)
		vgcu_span_publish_cont(a, head + i, to);
	vgcu_span_publish(a, head, to);
	if (to == VGC_SPAN_FREE)
		vgcu_span_hint_free(a, head);
	vgcu_large_note_free(a, head);
}

/* ---- the run kept for reuse ------------------------------------------ */

static struct vgcu_large_region *large_of(struct vgc_arena *a, uint16_t info)
{
	return &a->large[VGCU_INFO_REGION(info)];
}

/* A kept run, owned by the caller since its exchange, as free spans. */
static void unkeep(struct vgc_arena *a, uint64_t head, bool give_back)
{
	uint16_t info = a->span_info[head];

	__atomic_store_n(&a->spans[head], VGC_SPAN_RETIRING, SEQ);
	release_run(a, VGCU_INFO_REGION(info) % a->nr_parts, head, give_back);
}

/*
 * The run of head, held RETIRING with its VALID bit clear, is kept in
 * its (region, gen)'s slot, clean like a free head (release_run()); the
 * run kept there before goes back.  False where runs are not kept: a
 * delay of 0 asks for the pages back at once.
 */
static bool keep(struct vgc_arena *a, uint64_t head)
{
	uint16_t info = a->span_info[head];
	uint64_t old;

	if (!a->heap.large_keep || VGCU_INFO_GEN(info) == VGCU_GEN_NONE ||
	    !vgcu_load_relaxed(&a->heap.decommit_ns))
		return false;
	vgcu_span_reset_words(a, head, 1);
	/*
	 * No allocator sets a bit under a marker and keeps it (the RETIRING
	 * CAS ordered that), so the marker needs only the reset before it.
	 */
	__atomic_store_n(&a->spans[head], VGC_SPAN_KEPT, __ATOMIC_RELEASE);
	/* the decommit pass stamps it, with no clock read here */
	__atomic_store_n(&large_of(a, info)->kept_ns[VGCU_INFO_GEN(info)], 0,
			 __ATOMIC_RELAXED);
	old = __atomic_exchange_n(&large_of(a, info)->kept[VGCU_INFO_GEN(info)],
				  head + 1, __ATOMIC_ACQ_REL);
	if (old)
		unkeep(a, old - 1, false);
	return true;
}

/* The run kept in (region, gen), if any, as free spans. */
void vgcu_large_kept_drain(struct vgc_arena *a, unsigned int region,
			   unsigned int gen, bool give_back)
{
	uint64_t *slot = &a->large[region].kept[gen], v;

	if (!vgcu_load_relaxed(slot))
		return;
	v = __atomic_exchange_n(slot, 0, __ATOMIC_ACQ_REL);
	if (v)
		unkeep(a, v - 1, give_back);
}

/*
 * The decommit pass (span.c): a kept run is stamped by the first pass
 * that sees it, and gives its pages back at the first pass a delay
 * later, as an empty span does.  A run kept in between inherits the
 * stamp and goes back early, which costs it only its reuse.
 */
void vgcu_large_kept_age(struct vgc_arena *a, uint64_t now, uint64_t delay)
{
	unsigned int r, g;

	for (r = 0; r < VGC_NR_ZONES * a->nr_parts; r++)
		for (g = 0; g < VGC_NR_GENS; g++) {
			uint64_t *ns = &a->large[r].kept_ns[g];

			if (!vgcu_load_relaxed(&a->large[r].kept[g]))
				continue;
			if (!vgcu_load_relaxed(ns))
				__atomic_store_n(ns, now, __ATOMIC_RELAXED);
			else if (now - vgcu_load_relaxed(ns) >= delay)
				vgcu_large_kept_drain(a, r, g, true);
		}
}

/*
 * The run kept in (region, gen) when it is n spans long, as a new
 * object: its head index, or -1 (a run of another length goes back).
 * Its head word is clean and noted since keep(); the VALID bit is set
 * while the entry is still a marker, as publish_run() does.
 */
static int64_t take_kept(struct vgc_arena *a, unsigned int region,
			 unsigned int gen, uint64_t n)
{
	uint64_t *slot = &a->large[region].kept[gen], v, head;

	if (!vgcu_load_relaxed(slot))
		return -1;
	v = __atomic_exchange_n(slot, 0, __ATOMIC_ACQ_REL);
	if (!v)
		return -1;
	head = v - 1;
	if (a->span_link[head] != n) {
		unkeep(a, head, false);
		return -1;
	}
	while (vgcu_test_and_set(&a->planes[VGC_PLANE_VALID]
					  [head * VGCU_WORDS_PER_SPAN], 0))
		sched_yield();
	a->span_empty[head] = 0;
	__atomic_store_n(&a->spans[head], VGC_SPAN_GRANULES, SEQ);
	return (int64_t)(head << VGCU_SPAN_SHIFT_G);
}

/* The object of n spans at head index idx, allocated: its address. */
static void *large_won(struct vgc_arena *a, struct vgcu_tctx *t, uint64_t idx,
		       uint64_t n, unsigned int flags)
{
	struct vgcu_large_region *lr =
		large_of(a, a->span_info[idx >> VGCU_SPAN_SHIFT_G]);

	if (flags & VGC_ALLOC_F_PERSISTENT) {
		/* a request: noted after its bit, see alloc.c */
		__atomic_fetch_or(&a->planes[VGC_PLANE_PIN][idx >> 6],
				  1ULL << (idx & 63), SEQ);
		vgc_core_note(a->sums, idx);
	}
	__atomic_fetch_add(&lr->allocs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&lr->spans, n, __ATOMIC_RELAXED);
	vgcu_pacer_count(a, t, (unsigned int)(n << VGCU_SPAN_SHIFT_G));
	return a->data + (idx << VGC_GRANULE_SHIFT);
}

void *vgcu_large_alloc(struct vgc_arena *a, size_t size, unsigned int zone,
		       unsigned int gen, unsigned int flags)
{
	const struct vgc_region *r;
	struct vgcu_tctx *t;
	unsigned int part;
	uint64_t n, first, len;
	int64_t s;
	bool committed, empties;
	int err = -ENOMEM, tries;

	if (size > (1ULL << 44)) {
		errno = ENOMEM;
		return NULL;
	}
	n = (size + VGC_SPAN_SIZE - 1) >> VGC_SPAN_SHIFT;
	t = vgcu_tctx(a, true);
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	part = (unsigned int)vgcu_partition_of_thread(a, t);
	r = vgcu_region(a, zone, part);
	s = take_kept(a, zone * a->nr_parts + part, gen, n);
	if (s >= 0)
		return large_won(a, t, (uint64_t)s, n, flags);
	for (tries = 0; tries < 16; tries++) {
		first = vgcu_load(&r->gen_first[gen]) >> VGCU_SPAN_SHIFT_G;
		len = vgcu_load(&r->gen_granules[gen]) >> VGCU_SPAN_SHIFT_G;
		empties = false;
		s = find_run(a, first, len, n, false);
		if (s < 0) {
			/* before growth: empty spans of other classes */
			empties = true;
			s = find_run(a, first, len, n, true);
		}
		if (s < 0) {
			if (tries == 0 && vgcu_pacer_oom(a, t))
				continue;
			if (gen != VGC_GEN0)
				break;
			err = vgcu_heap_grow(a, zone, part,
					     n - tail_run(a, first, len, n));
			if (err)
				break;
			continue;
		}
		if (!claim(a, (uint64_t)s, n, empties, &committed))
			continue;
		if (!committed) {
			err = vgcu_span_commit(a, part, (uint64_t)s, n);
			if (err) {
				unclaim(a, (uint64_t)s, n);
				break;
			}
		}
		return large_won(a, t, publish_run(a, (uint64_t)s, n), n,
				 flags);
	}
	errno = err == -ENOSPC || err == -EDQUOT || err == -EPERM ||
		err == -EAGAIN ? ENOMEM : -err;
	return NULL;
}

int vgcu_large_free(struct vgc_arena *a, uint64_t head)
{
	uint64_t *v = &a->planes[VGC_PLANE_VALID][head * VGCU_WORDS_PER_SPAN];
	uint16_t c = VGC_SPAN_GRANULES;
	uint16_t info = a->span_info[head];

	if (!__atomic_compare_exchange_n(&a->spans[head], &c,
					 VGC_SPAN_RETIRING, false, SEQ, SEQ))
		return -EINVAL;
	if (!(__atomic_fetch_and(v, ~1ULL, SEQ) & 1)) {
		__atomic_store_n(&a->spans[head], VGC_SPAN_GRANULES, SEQ);
		return -EINVAL;		/* freed already */
	}
	if (!keep(a, head))
		release_run(a, VGCU_INFO_REGION(info) % a->nr_parts, head,
			    false);
	__atomic_fetch_add(&large_of(a, a->span_info[head])->frees, 1,
			   __ATOMIC_RELAXED);
	return 0;
}

/* A sweep reclaimed the head: the decommit pass found it free. */
void vgcu_large_reclaimed(struct vgc_arena *a, unsigned int part,
			  uint64_t head)
{
	const uint64_t *v = &a->planes[VGC_PLANE_VALID][head * VGCU_WORDS_PER_SPAN];
	uint16_t c = VGC_SPAN_GRANULES;

	if (!__atomic_compare_exchange_n(&a->spans[head], &c,
					 VGC_SPAN_RETIRING, false, SEQ, SEQ))
		return;
	if (__atomic_load_n(v, SEQ) & 1) {
		/* an allocator holds bit 0 for an instant: next pass */
		__atomic_store_n(&a->spans[head], VGC_SPAN_GRANULES, SEQ);
		return;
	}
	release_run(a, part, head, false);
	__atomic_fetch_add(&large_of(a, a->span_info[head])->frees, 1,
			   __ATOMIC_RELAXED);
}
