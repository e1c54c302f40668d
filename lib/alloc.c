// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lock-free allocation from the calling thread's partition.
 *
 * A free slot reads VALID = 0 and S = 001, so claiming it is one atomic OR
 * of its VALID bit: the object is Active at once.  The free heads of a
 * plane word are head_mask & ~VALID; the allocator picks the lowest with
 * ctz and claims it with fetch_or, retrying on the bits another thread won.
 * Spans of 64 KiB are carved for one size class by a CAS on their span
 * table entry (0 -> class granules) and re-carved for another once empty
 * (span.c), which is why a won slot is given back when the entry changed.
 * Each thread keeps a cursor (span, word) per (arena, zone, gen, class),
 * and per class the word it last freed into (free.c): the common case is
 * one plain load and one locked OR, from its own frees first.  The locked
 * OR stays because other threads' frees and the sweeps (the module's
 * too) clear bits of the same word concurrently (docs/design.md, "Why the
 * fast path keeps its locked operations").  Slots reclaimed by
 * a sweep (VALID cleared after S was reset to 001) are found again when
 * the cursor comes round, since the slow path walks the generation's
 * spans cyclically; slots vgc_free() gave back, through the nonfull
 * bitmap.  When nothing is left, span.c's refill re-carves, recommits,
 * reclaims and grows.
 * Each allocation is counted for the pacer in the thread's context, and
 * folded into the arena's count every 16 KiB (pacer.c).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include "vgcu_int.h"

uint64_t vgcu_head_mask[VGC_NR_CLASSES][VGCU_WORDS_PER_SPAN];
uint64_t vgcu_class_recip[VGC_SPAN_GRANULES + 1];
uint16_t vgcu_class_gran[VGC_NR_CLASSES];
uint8_t vgcu_class_words[VGC_NR_CLASSES];
uint8_t vgcu_gran_cls[VGC_SPAN_GRANULES + 1];

static pthread_once_t vgcu_classes_once = PTHREAD_ONCE_INIT;

static void classes_build(void)
{
	unsigned int cls, c, k, slots;

	for (cls = 0; cls < VGC_NR_CLASSES; cls++) {
		if (cls < 8) {
			c = cls + 1;
		} else {
			unsigned int b = 3 + (cls - 8) / 4;	/* log2 of the octave */

			c = (4 + (cls - 8) % 4 + 1) << (b - 2);
		}
		vgcu_class_gran[cls] = (uint16_t)c;
		vgcu_gran_cls[c] = (uint8_t)cls;
		slots = VGC_SPAN_GRANULES / c;
		for (k = 0; k < slots; k++)
			vgcu_head_mask[cls][(k * c) >> 6] |= 1ULL << ((k * c) & 63);
		vgcu_class_words[cls] = (uint8_t)((((slots - 1) * c) >> 6) + 1);
	}
	/* k = off / c as (off * ceil(2^32 / c)) >> 32: exact for off < 2^12 */
	for (c = 1; c <= VGC_SPAN_GRANULES; c++)
		vgcu_class_recip[c] = ((1ULL << 32) + c - 1) / c;
}

void vgcu_classes_init(void)
{
	pthread_once(&vgcu_classes_once, classes_build);
}

static inline __attribute__((always_inline)) int size_class_of(size_t size)
{
	uint64_t n;
	unsigned int b;

	if (!size)
		return -EINVAL;
	if (size > VGC_MAX_OBJECT_SIZE)
		return -E2BIG;
	n = (size + VGC_GRANULE_SIZE - 1) >> VGC_GRANULE_SHIFT;
	if (n <= 8)
		return (int)n - 1;
	b = 63 - (unsigned int)__builtin_clzll(n - 1);
	return (int)(8 + (b - 3) * 4 + (((n - 1) >> (b - 2)) - 4));
}

int vgc_size_class(size_t size)
{
	return size_class_of(size);
}

unsigned int vgc_class_granules(unsigned int cls)
{
	if (cls >= VGC_NR_CLASSES)
		return 0;
	vgcu_classes_init();
	return vgcu_class_gran[cls];
}

/* sched_getcpu() reads the rseq area's cpu_id: a TLS load, no syscall */
static inline int partition_of_cpu(const struct vgc_arena *a)
{
	int cpu = sched_getcpu();

	if (cpu >= 0 && cpu < VGCU_MAX_CPUS && a->cpu_part[cpu] >= 0)
		return a->cpu_part[cpu];
	return 0;
}

int vgcu_partition_of_thread(struct vgc_arena *a, struct vgcu_tctx *t)
{
	if (t && t->partition >= 0)
		return t->partition;
	return partition_of_cpu(a);
}

int vgc_thread_partition(struct vgc_arena *a)
{
	return vgcu_partition_of_thread(a, vgcu_tctx(a, false));
}

/*
 * The slot just won is given back when the span is no longer of class cls
 * (span.c retired it after the caller read its class): the entry is
 * re-read after the locked bit set, which orders it against the retirer's
 * CAS-then-read.  A large object's head span (class 4096, span_link > 1)
 * is never a 64 KiB slot.
 */
static inline bool span_changed(const struct vgc_arena *a, uint64_t span,
				unsigned int cls)
{
	return __atomic_load_n(&a->spans[span], __ATOMIC_SEQ_CST) !=
	       vgcu_class_gran[cls] ||
	       (cls == VGCU_CLS_MAX && a->span_link[span] > 1);
}

/*
 * Claims a free slot of class cls in span from word w on: the global
 * granule index of the object, or -1 when the span is full (or no longer
 * of class cls).
 */
static inline int64_t span_take(struct vgc_arena *a, uint64_t span,
				unsigned int cls, unsigned int w,
				struct vgcu_cursor *cur)
{
	uint64_t *vw = a->planes[VGC_PLANE_VALID] + span * VGCU_WORDS_PER_SPAN;
	const uint64_t *hm = vgcu_head_mask[cls];
	unsigned int nw = vgcu_class_words[cls];

	for (; w < nw; w++) {
		uint64_t free = hm[w] & ~vgcu_load_relaxed(&vw[w]);

		while (free) {
			unsigned int b = (unsigned int)__builtin_ctzll(free);

			if (!vgcu_test_and_set(&vw[w], b)) {
				if (__builtin_expect(span_changed(a, span, cls), 0)) {
					__atomic_fetch_and(&vw[w], ~(1ULL << b),
							   __ATOMIC_SEQ_CST);
					cur->span = 0;
					return -1;
				}
				cur->span = span + 1;
				cur->word = w;
				cur->info = a->span_info[span];
				return (int64_t)((span << VGCU_SPAN_SHIFT_G) +
						 ((uint64_t)w << 6) + b);
			}
			free = hm[w] & ~vgcu_load_relaxed(&vw[w]);
		}
	}
	return -1;
}

int64_t vgcu_span_take(struct vgc_arena *a, uint64_t s, unsigned int cls,
		       unsigned int w, struct vgcu_cursor *cur)
{
	return span_take(a, s, cls, w, cur);
}

/*
 * Spans of class cls that vgc_free() gave slots back to since the class's
 * spans were last all full (a->nonfull, one bit per span).
 */
static int64_t take_nonfull(struct vgc_arena *a, uint64_t first, uint64_t n,
			    unsigned int cls, struct vgcu_cursor *cur)
{
	uint16_t want = vgcu_class_gran[cls];
	uint64_t w, end = first + n;
	int64_t idx;

	for (w = first >> 6; w <= (end - 1) >> 6; w++) {
		uint64_t bits = vgcu_load_relaxed(&a->nonfull[w]);

		while (bits) {
			uint64_t s = (w << 6) + (uint64_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (s < first || s >= end ||
			    vgcu_load_relaxed(&a->spans[s]) != want)
				continue;
			__atomic_fetch_and(&a->nonfull[w], ~(1ULL << (s & 63)),
					   __ATOMIC_RELAXED);
			idx = span_take(a, s, cls, 0, cur);
			if (idx >= 0)
				return idx;
		}
	}
	return -1;
}

/*
 * The current span is full.  First the class's other spans, from the next
 * one round: slots come free only in sweeps, so when a walk found them all
 * full and no checkpoint has run since, the walk is skipped.  Then a span
 * that was never carved.  Reusing spans before carving new ones keeps the
 * carved part of a region, and so the sweep's work, as small as the live
 * and pending objects allow.
 */
int64_t vgcu_span_take_any(struct vgc_arena *a, uint64_t first, uint64_t n,
			   unsigned int cls, struct vgcu_cursor *cur)
{
	uint16_t want = vgcu_class_gran[cls];
	uint64_t ckpts = vgcu_load_relaxed(&a->ctrl->checkpoints) +
			 vgcu_load_relaxed(&a->lib_sweeps) + 1;
	uint64_t start = 0, i, s, h, *hint;
	uint16_t info;
	int64_t idx;

	if (!n)
		return -1;
	if (cur->span && cur->span - 1 >= first && cur->span - 1 < first + n)
		start = cur->span - first;
	if (cur->full_at != ckpts) {
		for (i = 0; i < n; i++) {
			s = first + (start + i) % n;
			if (vgcu_load(&a->spans[s]) != want)
				continue;
			idx = span_take(a, s, cls, 0, cur);
			if (idx >= 0)
				return idx;
		}
		cur->full_at = ckpts;
	} else {
		idx = take_nonfull(a, first, n, cls, cur);
		if (idx >= 0)
			return idx;
	}
	/*
	 * Spans never carved, from the (region, gen)'s hint on: growth
	 * appends them, so the spans below the hint are all carved and a
	 * heap that grows to n spans scans each once.
	 */
	info = a->span_info[first];
	/* lowest first: a kept large run goes back before a span is carved */
	vgcu_large_kept_drain(a, VGCU_INFO_REGION(info), VGCU_INFO_GEN(info),
			      false);
	hint = &a->carve_hint[VGCU_INFO_REGION(info)][VGCU_INFO_GEN(info)];
	h = vgcu_load_relaxed(hint);
	if (h < first || h > first + n)
		h = first;
	for (s = h; s < first + n; s++) {
		uint16_t c = vgcu_load(&a->spans[s]);

		if (c != VGC_SPAN_FREE) {
			if (s == h)
				h++;
			continue;
		}
		if (!__atomic_compare_exchange_n(&a->spans[s], &c, want, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_ACQUIRE)) {
			if (s == h)
				h++;
			continue;
		}
		__atomic_fetch_add(&a->heap.carved, 1, __ATOMIC_RELAXED);
		__atomic_store_n(hint, s + 1, __ATOMIC_RELAXED);
		/*
		 * A FREE span may have been a large object's (large.c keeps
		 * it committed when it cannot decommit) and its summary may
		 * record this class: after the CAS, note.
		 */
		vgcu_span_note(a, s);
		idx = span_take(a, s, cls, 0, cur);
		if (idx >= 0)
			return idx;
	}
	__atomic_store_n(hint, h, __ATOMIC_RELAXED);
	return -1;
}

/*
 * A slot of class cls, for everything the fast path below leaves out:
 * the first allocation of a thread, a full cursor span, the slow path of
 * span.c (re-carving, recommit, reclamation, growth).
 */
void *vgcu_alloc_class(struct vgc_arena *a, unsigned int cls,
		       enum vgc_zone zone, enum vgc_gen gen,
		       unsigned int flags)
{
	const struct vgc_region *r;
	struct vgcu_cursor *cur;
	struct vgcu_tctx *t;
	uint64_t first, n;
	int64_t idx = -1;
	unsigned int part;

	t = vgcu_tctx(a, true);
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	if (t->partition >= 0) {
		part = (unsigned int)t->partition;
	} else {
		/* unregistered: cursors follow the CPU the slow path runs on */
		int p = partition_of_cpu(a);

		if (p != t->home) {
			vgcu_tctx_reset_cursors(t);
			t->home = p;
		}
		part = (unsigned int)p;
	}
	r = vgcu_region(a, zone, part);
	first = vgcu_load(&r->gen_first[gen]) >> VGCU_SPAN_SHIFT_G;
	n = vgcu_load(&r->gen_granules[gen]) >> VGCU_SPAN_SHIFT_G;
	cur = &t->cur[zone][gen][cls];
	if (cur->span && cur->span - 1 >= first && cur->span - 1 < first + n)
		idx = span_take(a, cur->span - 1, cls, cur->word, cur);
	if (idx < 0)
		idx = vgcu_span_take_any(a, first, n, cls, cur);
	if (idx < 0)
		idx = vgcu_span_refill(a, zone, part, gen, cls, cur, t);
	if (idx < 0) {
		errno = (int)-idx;
		return NULL;
	}
	/*
	 * pinned first: the count may run a whole checkpoint inline; a pin
	 * is a request like any other, noted after its bit (seq_cst, for
	 * vgc_core_note())
	 */
	if (flags & VGC_ALLOC_F_PERSISTENT) {
		__atomic_fetch_or(&a->planes[VGC_PLANE_PIN][idx >> 6],
				  1ULL << (idx & 63), __ATOMIC_SEQ_CST);
		vgc_core_note(a->sums, (uint64_t)idx);
	}
	vgcu_pacer_count(a, t, vgcu_class_gran[cls]);
	return a->data + ((uint64_t)idx << VGC_GRANULE_SHIFT);
}

/* Everything the fast path below leaves out. */
static __attribute__((noinline))
void *alloc_full(struct vgc_arena *a, size_t size, enum vgc_zone zone,
		 enum vgc_gen gen, unsigned int flags)
{
	int cls;

	if ((unsigned int)zone >= VGC_NR_ZONES ||
	    (unsigned int)gen >= VGC_NR_GENS ||
	    (flags & ~VGC_ALLOC_F_PERSISTENT) || !size) {
		errno = EINVAL;
		return NULL;
	}
	if (size > VGC_MAX_OBJECT_SIZE)
		return vgcu_large_alloc(a, size, zone, gen, flags);
	cls = size_class_of(size);
	return vgcu_alloc_class(a, (unsigned int)cls, zone, gen, flags);
}

/*
 * The fast path's way out when its word is full or another thread won
 * the bit: the rest of the cursor's span from the same word on, then
 * everything else.  The fast path's checks hold (its caller's).
 */
static __attribute__((noinline))
void *alloc_refill(struct vgc_arena *a, size_t size, enum vgc_zone zone,
		   enum vgc_gen gen)
{
	struct vgcu_tctx *t = vgcu_tls_last;
	unsigned int cls = (unsigned int)size_class_of(size);
	struct vgcu_cursor *cur = &t->cur[zone][gen][cls];
	int64_t idx = -1;

	if (cur->span)
		idx = span_take(a, cur->span - 1, cls, cur->word, cur);
	if (idx < 0)
		return alloc_full(a, size, zone, gen, 0);
	vgcu_pacer_count(a, t, vgcu_class_gran[cls]);
	return a->data + ((uint64_t)idx << VGC_GRANULE_SHIFT);
}

/*
 * Bit b of VALID word w was won in a span that is no longer of the class
 * (span.c retired it meanwhile): given back, and neither the freed word
 * nor the cursor names the span any more.
 */
static __attribute__((noinline))
void *alloc_undo(struct vgc_arena *a, uint64_t w, unsigned int b, size_t size,
		 enum vgc_zone zone, enum vgc_gen gen)
{
	struct vgcu_tctx *t = vgcu_tls_last;
	unsigned int cls = (unsigned int)size_class_of(size);
	struct vgcu_cursor *cur = &t->cur[zone][gen][cls];

	__atomic_fetch_and(&a->planes[VGC_PLANE_VALID][w], ~(1ULL << b),
			   __ATOMIC_SEQ_CST);
	if (t->freed[cls].word - 1 == w)
		t->freed[cls].mask = 0;
	if (cur->span - 1 == w / VGCU_WORDS_PER_SPAN)
		cur->span = 0;
	return alloc_full(a, size, zone, gen, 0);
}

/* The pacer's fold is due: after the slot is won, before it is returned. */
static __attribute__((noinline))
void *alloc_fold(struct vgc_arena *a, struct vgcu_tctx *t, void *p)
{
	vgcu_pacer_fold(a, t);
	return p;
}

/*
 * One allocation of a thread whose context and cursors the caller checked:
 * first a head it freed itself in the cursor's (region, gen), then the
 * lowest free head of the cursor's word.  Each is won by one lock bts and
 * kept when the span's entry, re-read after it, still names the class
 * (span.c, retirement).  Every other case leaves through a tail call, so
 * that the path that wins needs no stack frame.
 */
static inline __attribute__((always_inline))
void *alloc_core(struct vgc_arena *a, struct vgcu_tctx *t, size_t size,
		 enum vgc_zone zone, enum vgc_gen gen)
{
	unsigned int cls = (unsigned int)size_class_of(size), b;
	struct vgcu_cursor *cur = &t->cur[zone][gen][cls];
	struct vgcu_freed *f = &t->freed[cls];
	uint64_t m = f->mask, w, span, *vw;
	char *p;

	if (m && f->info == cur->info) {
		b = (unsigned int)__builtin_ctzll(m);
		f->mask = m & (m - 1);
		w = f->word - 1;
		vw = &a->planes[VGC_PLANE_VALID][w];
		if (__builtin_expect(!vgcu_test_and_set(vw, b), 1)) {
			if (__builtin_expect(span_changed(a, w / VGCU_WORDS_PER_SPAN,
							  cls), 0))
				return alloc_undo(a, w, b, size, zone, gen);
			goto won;
		}
	}
	if (__builtin_expect(!cur->span, 0))
		return alloc_full(a, size, zone, gen, 0);
	span = cur->span - 1;
	w = span * VGCU_WORDS_PER_SPAN + cur->word;
	vw = &a->planes[VGC_PLANE_VALID][w];
	m = vgcu_head_mask[cls][cur->word] & ~vgcu_load_relaxed(vw);
	if (__builtin_expect(!m, 0))
		return alloc_refill(a, size, zone, gen);
	b = (unsigned int)__builtin_ctzll(m);
	if (__builtin_expect(vgcu_test_and_set(vw, b), 0))
		return alloc_refill(a, size, zone, gen);
	if (__builtin_expect(span_changed(a, span, cls), 0))
		return alloc_undo(a, w, b, size, zone, gen);
won:
	p = a->data + (((w << 6) + b) << VGC_GRANULE_SHIFT);
	/* the pacer's count: a subtraction, a fold every 16 KiB */
	t->pace_left -= vgcu_class_gran[cls];
	if (__builtin_expect(t->pace_left <= 0, 0))
		return alloc_fold(a, t, p);
	return p;
}

/*
 * An unregistered thread takes the fast path while it runs on a CPU of
 * the partition its cursors lie in; everything else is alloc_full()'s.
 */
static __attribute__((noinline))
void *alloc_other(struct vgc_arena *a, size_t size, enum vgc_zone zone,
		  enum vgc_gen gen, unsigned int flags)
{
	struct vgcu_tctx *t = vgcu_tls_last;

	if (flags || size - 1 >= VGC_MAX_OBJECT_SIZE ||
	    (unsigned int)zone >= VGC_NR_ZONES ||
	    (unsigned int)gen >= VGC_NR_GENS ||
	    !t || t->arena_id != a->id || t->partition >= 0 ||
	    t->home != partition_of_cpu(a))
		return alloc_full(a, size, zone, gen, flags);
	return alloc_core(a, t, size, zone, gen);
}

/*
 * The common case: a registered thread (its cursors lie in its partition;
 * registration resets them) whose last freed word of the class, or else
 * its cursor's word, has a free head.
 */
static inline __attribute__((always_inline))
void *alloc_fast(struct vgc_arena *a, size_t size, enum vgc_zone zone,
		 enum vgc_gen gen, unsigned int flags)
{
	struct vgcu_tctx *t = vgcu_tls_last;

	if (__builtin_expect(flags || size - 1 >= VGC_MAX_OBJECT_SIZE ||
			     (unsigned int)zone >= VGC_NR_ZONES ||
			     (unsigned int)gen >= VGC_NR_GENS ||
			     !t || t->arena_id != a->id || t->partition < 0, 0))
		return alloc_other(a, size, zone, gen, flags);
	return alloc_core(a, t, size, zone, gen);
}

void *vgc_alloc_gen(struct vgc_arena *a, size_t size, enum vgc_zone zone,
		    enum vgc_gen gen, unsigned int flags)
{
	return alloc_fast(a, size, zone, gen, flags);
}

void *vgc_alloc(struct vgc_arena *a, size_t size, enum vgc_zone zone)
{
	return alloc_fast(a, size, zone, VGC_GEN0, 0);
}
