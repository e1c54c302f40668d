// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The malloc-grade calls: immediate free, realloc, calloc, aligned
 * allocation.
 *
 * vgc_free() is the caller's word that no other thread can still reach
 * the object, so the slot is free at once, without a grace period: its
 * pending requests are cleared, its code is put back to the free preset
 * 001 when it was not Active, and its VALID bit is cleared last, by an
 * atomic AND-NOT that also tells a double free.  Every thread frees the
 * same way (the slot's word is shared with the sweep, so the clear is
 * atomic anyway): there is no owner to hand a remote free to.  The span
 * is marked in the nonfull bitmap, so the allocators of its class look
 * there again before they carve or grow (alloc.c).
 *
 * The code bits belong to the sweep (plain stores of whole words).  A
 * free that races a sweep of the same word may see its S bits overwritten
 * with the sweep's view of the object before the free; the slot is then
 * free (VALID 0) in an open or Persistent code until the next sweep of
 * its generation resets it (free slot -> 001, docs/design.md), and an
 * allocation that wins it before that starts in that code instead of
 * Active.  Nothing is lost and nothing is reclaimed twice: only the state
 * of a new object can be off until its first checkpoint.
 */
#include <errno.h>
#include <string.h>
#include "obj_int.h"

#define SEQ	__ATOMIC_SEQ_CST

static inline void clear_bit_if(uint64_t *w, uint64_t bit)
{
	if (vgcu_load_relaxed(w) & bit)
		__atomic_fetch_and(w, ~bit, SEQ);
}

static inline void set_bit_if(uint64_t *w, uint64_t bit)
{
	if (!(vgcu_load_relaxed(w) & bit))
		__atomic_fetch_or(w, bit, SEQ);
}

/*
 * The pacer's count of a free of gran granules.  A thread that never
 * allocated from the arena gets its context here, once, so that frees
 * of other threads' objects reach the arena's count too (pacer.c).
 */
static struct vgcu_tctx *free_count(struct vgc_arena *a, uint64_t gran)
{
	struct vgcu_tctx *t = vgcu_tctx(a, true);

	if (__builtin_expect(!t, 0))
		vgcu_pacer_free_slow(a, gran << VGC_GRANULE_SHIFT);
	else
		vgcu_pacer_credit(a, t, gran);
	return t;
}

/*
 * The freeing thread's next allocation of the class takes the slot first
 * (alloc.c's freed_pop()): the slot is free for everyone already, so this
 * is only where to look.
 */
static inline void freed_note(const struct vgc_arena *a, struct vgcu_tctx *t,
			      uint64_t word, uint64_t bit, unsigned int gran)
{
	struct vgcu_freed *f = &t->freed[vgcu_gran_cls[gran]];

	if (__builtin_expect(f->word == word + 1, 1)) {
		f->mask |= bit;
	} else {
		f->word = word + 1;
		f->mask = bit;
		f->info = a->span_info[word / VGCU_WORDS_PER_SPAN];
	}
}

/* The allocation count the pacer paces by is net of immediate frees. */
static inline void free_local(struct vgc_arena *a, uint64_t word,
			      uint64_t bit, unsigned int gran)
{
	struct vgcu_tctx *t = free_count(a, gran);

	if (t)
		freed_note(a, t, word, bit, gran);
}

/*
 * The bits of a VALID word whose objects the inline free leaves to
 * free_slow(): a code other than Active (001), a release, or a pin, keep,
 * promote or demote request.  One word at a time, into one register.
 */
static inline uint64_t free_blockers(const struct vgc_arena *a, uint64_t w)
{
	static const enum vgc_plane req[] = {
		VGC_PLANE_S1, VGC_PLANE_S2, VGC_PLANE_RELEASE, VGC_PLANE_PIN,
		VGC_PLANE_KEEP, VGC_PLANE_PROMOTE, VGC_PLANE_DEMOTE,
	};
	uint64_t m = ~vgcu_load_relaxed(&a->planes[VGC_PLANE_S0][w]);
	unsigned int i;

	/*
	 * The empty asm keeps m in one register: without it the compiler
	 * loads all eight words before the first OR and spills.
	 */
#pragma GCC unroll 8
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		m |= vgcu_load_relaxed(&a->planes[req[i]][w]);
		__asm__ ("" : "+r" (m));
	}
	return m;
}

/*
 * vgc_free()'s ways out after the slot is free, as tail calls, so that
 * the path that wins builds no stack frame: a thread whose last context
 * is not this arena's (free_local() finds or makes it), and a credit that
 * runs over the thread's balance (vgcu_pacer_credit()).
 */
static __attribute__((noinline))
int free_other(struct vgc_arena *a, uint64_t word, uint64_t bit,
	       unsigned int gran)
{
	free_local(a, word, bit, gran);
	return 0;
}

static __attribute__((noinline))
int free_credit(struct vgc_arena *a, struct vgcu_tctx *t, unsigned int gran)
{
	vgcu_pacer_credit_slow(a, t, gran);
	return 0;
}

/*
 * What follows the clear of the VALID bit of granule i, the head of an
 * object of gran granules: the span's summary and nonfull bit, then the
 * thread's hint and pacer balance.  A function of its own, entered by a
 * tail call: it needs no frame, and vgc_free() keeps none of its checks'
 * registers across it (callgrind, vgc-bench alloc 64 B: 138 -> 129
 * instructions per free, most of it pushes, pops and spills).
 */
static __attribute__((noinline))
int free_done(struct vgc_arena *a, uint64_t i, unsigned int gran)
{
	uint64_t span = i >> VGCU_SPAN_SHIFT_G, word = i >> 6;
	uint64_t bit = 1ULL << (i & 63);
	struct vgcu_tctx *t;

	vgcu_span_note(a, span);
	set_bit_if(&a->nonfull[span >> 6], 1ULL << (span & 63));
	t = vgcu_tctx_last(a);
	if (__builtin_expect(!t, 0))
		return free_other(a, word, bit, gran);
	freed_note(a, t, word, bit, gran);
	if (!vgcu_pacer_credit_fits(t, gran))
		return free_credit(a, t, gran);
	return 0;
}

static int free_slow(struct vgc_arena *a, void *p)
{
	static const enum vgc_plane req[] = {
		VGC_PLANE_PIN, VGC_PLANE_KEEP, VGC_PLANE_PROMOTE,
		VGC_PLANE_DEMOTE, VGC_PLANE_ACCESS, VGC_PLANE_MUTATE,
	};
	uint64_t *v;
	unsigned int code, i;
	struct obj o;
	int err;

	if (!a)
		return -EINVAL;
	if (!p)
		return 0;
	err = obj_find(a, p, &o);
	if (err)
		return err;
	if (!o.cls || (char *)p != a->data + (o.idx << VGC_GRANULE_SHIFT))
		return -EINVAL;		/* not the start of an object */
	v = &a->planes[VGC_PLANE_VALID][o.word];
	if (!(vgcu_load(v) & o.bit))
		return -EINVAL;		/* not allocated: a double free */
	code = obj_code(a, &o);
	if (code >= VGC_ST_DEFERRED ||
	    (vgcu_load_relaxed(&a->planes[VGC_PLANE_RELEASE][o.word]) & o.bit))
		return -EALREADY;	/* released: the sweep reclaims it */
	if (o.large) {
		err = vgcu_large_free(a, o.idx >> VGCU_SPAN_SHIFT_G);
		if (!err)
			free_count(a, o.bytes >> VGC_GRANULE_SHIFT);
		return err;
	}
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		clear_bit_if(&a->planes[req[i]][o.word], o.bit);
	if (code != VGC_ST_ACTIVE) {
		clear_bit_if(&a->planes[VGC_PLANE_S2][o.word], o.bit);
		clear_bit_if(&a->planes[VGC_PLANE_S1][o.word], o.bit);
		set_bit_if(&a->planes[VGC_PLANE_S0][o.word], o.bit);
	}
	if (!(__atomic_fetch_and(v, ~o.bit, SEQ) & o.bit))
		return -EINVAL;		/* another free won */
	/*
	 * A settled span is skipped when its VALID count is unchanged, and a
	 * full one without reading it: the count does not tell this free
	 * (nor one that an allocation makes up for).  Noted after the AND.
	 */
	vgcu_span_note(a, o.idx >> VGCU_SPAN_SHIFT_G);
	set_bit_if(&a->nonfull[(o.idx >> VGCU_SPAN_SHIFT_G) >> 6],
		   1ULL << ((o.idx >> VGCU_SPAN_SHIFT_G) & 63));
	free_local(a, o.word, o.bit, o.cls);
	return 0;
}

/* free_slow() of the granule-aligned pointer to granule i */
static __attribute__((noinline)) int free_at(struct vgc_arena *a, uint64_t i)
{
	return free_slow(a, a->data + (i << VGC_GRANULE_SHIFT));
}

/*
 * The common case inline: the start of a live, Active, small object with
 * no release, pin, keep, promote or demote pending.  Anything else, and
 * every error, takes free_slow(), which also clears access and mutate
 * bits; here they are left for the sweep, which takes them with the
 * slot's next object (a new object is Active anyway).
 *
 * The span is noted after the AND, as free_slow() does.  Without a sweep
 * in between it would not have to be: an Active object lives in a span
 * whose summary is not settled, or was allocated after the span's last
 * evaluation in a slot that evaluation saw free, and taking it back
 * leaves the VALID count as that evaluation left it.  But a sweep of the
 * same word may read VALID before the AND and write the object Idle
 * (free.c's header): its summary then counts the object, and when that
 * made the span full (VGC_SUM_FULL) the skip test does not read VALID and
 * nothing would ever evaluate the span again.  The note is one load of
 * the summary's req after the RMW, and a store once per checkpoint.
 */
int vgc_free(struct vgc_arena *a, void *p)
{
	uint64_t i, span, in, word, bit, *v;
	uint16_t cls;

	if (__builtin_expect(!a || ((uintptr_t)p & (VGC_GRANULE_SIZE - 1)), 0))
		return free_slow(a, p);
	i = ((uintptr_t)p - (uintptr_t)a->data) >> VGC_GRANULE_SHIFT;
	if (__builtin_expect(i >= a->total_granules, 0))
		return free_slow(a, p);
	/* p is a->data + i granules from here on: free_at() remakes it */
	span = i >> VGCU_SPAN_SHIFT_G;
	cls = vgcu_load(&a->spans[span]);
	/* not carved, a marker, a large object's head (a 64 KiB slot is not) */
	if (__builtin_expect(cls - 1U >= VGC_SPAN_GRANULES ||
			     (cls == VGC_SPAN_GRANULES && a->span_link[span] > 1), 0))
		return free_at(a, i);
	in = i & (VGC_SPAN_GRANULES - 1);
	word = i >> 6;
	bit = 1ULL << (i & 63);
	v = &a->planes[VGC_PLANE_VALID][word];
	if (__builtin_expect(((in * vgcu_class_recip[cls]) >> 32) * cls != in ||
			     !(vgcu_load_relaxed(v) & bit) ||
			     (free_blockers(a, word) & bit), 0))
		return free_at(a, i);
	if (__builtin_expect(!(__atomic_fetch_and(v, ~bit, SEQ) & bit), 0))
		return -EINVAL;			/* another free won */
	return free_done(a, i, cls);
}

void *vgc_calloc(struct vgc_arena *a, size_t n, size_t size,
		 enum vgc_zone zone)
{
	size_t bytes;
	void *p;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	p = vgc_alloc(a, bytes, zone);
	if (p)
		memset(p, 0, bytes);
	return p;
}

void *vgc_realloc(struct vgc_arena *a, void *p, size_t size,
		  enum vgc_zone zone)
{
	unsigned int gen, flags = 0;
	struct obj o;
	void *q;
	int err;

	if (!p)
		return vgc_alloc(a, size, zone);
	err = obj_find(a, p, &o);
	if (!err && (!o.cls ||
		     (char *)p != a->data + (o.idx << VGC_GRANULE_SHIFT) ||
		     !obj_valid(a, &o)))
		err = -EINVAL;
	if (err) {
		errno = -err;
		return NULL;
	}
	if (!size) {
		err = vgc_free(a, p);
		errno = err ? -err : 0;
		return NULL;
	}
	/* in place while the object is at most twice what is asked */
	if (size <= o.bytes && size >= o.bytes / 2)
		return p;
	zone = (enum vgc_zone)(VGCU_INFO_REGION(o.info) / a->nr_parts);
	gen = VGCU_INFO_GEN(o.info);
	if (obj_code(a, &o) == VGC_ST_PERSISTENT)
		flags = VGC_ALLOC_F_PERSISTENT;
	q = vgc_alloc_gen(a, size, zone, (enum vgc_gen)gen, flags);
	if (!q)
		return NULL;
	memcpy(q, p, size < o.bytes ? size : o.bytes);
	err = vgc_free(a, p);
	if (err) {
		/* p was released meanwhile: it is the sweep's now */
		errno = -err;
	}
	return q;
}

void *vgc_aligned_alloc(struct vgc_arena *a, size_t align, size_t size,
			enum vgc_zone zone)
{
	unsigned int cls, ag;
	int c;

	if (!align || (align & (align - 1)) || align > VGC_SPAN_SIZE ||
	    (unsigned int)zone >= VGC_NR_ZONES || !size) {
		errno = EINVAL;
		return NULL;
	}
	if (align <= VGC_GRANULE_SIZE || size > VGC_MAX_OBJECT_SIZE)
		return vgc_alloc(a, size, zone);	/* spans are aligned */
	/*
	 * Slot k of a span starts k * class granules after the span's 64
	 * KiB-aligned start, so a class that is a multiple of the alignment
	 * aligns every slot.
	 */
	c = vgc_size_class(size);
	if (c < 0) {
		errno = -c;
		return NULL;
	}
	ag = (unsigned int)(align >> VGC_GRANULE_SHIFT);
	for (cls = (unsigned int)c; cls < VGC_NR_CLASSES; cls++)
		if (!(vgcu_class_gran[cls] % ag))
			break;
	return vgcu_alloc_class(a, cls, zone, VGC_GEN0, 0);
}
