/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later */
/*
 * The lean sweep of one span: take, evaluate, publish, written once for
 * vgc.ko (kmod/vgc_checkpoint.c) and libvgcu (lib/sweep.c).  The state
 * logic is vgc_sweep_word() of <linux/vgc_state.h>; this file is the loop
 * around it and the statistics, see docs/design.md, "The lean sweep".
 *
 * Per word (64 objects):
 *
 *  1. take: ACCESS and RELEASE by exchange when non-zero; the four rarer
 *     request words (PIN KEEP PROMOTE DEMOTE) are loaded and ORed, and only
 *     when one is non-zero are they exchanged (a zero word is left alone:
 *     a request that lands after the load belongs to the next checkpoint);
 *  2. read VALID and S0..S2 after the takes (read barrier), so that every
 *     request taken belongs to an allocation the sweep can see;
 *  3. evaluate: a word with at most release requests takes the
 *     release-only table (the expressions of vgc_sweep_word() with the
 *     pin, keep and classifier words 0); any other word takes
 *     vgc_sweep_word() itself;
 *  4. publish: the S words that changed by plain stores (the sweep is
 *     their only writer), then VALID of reclaimed slots by an atomic
 *     AND-NOT after their S = 001, so an allocator that wins a slot finds
 *     the free preset.
 *
 * Statistics cost O(1) per word and are folded once per span: a
 * release-only word needs the population counts of live, to_active and
 * to_idle, deferred/dropped only where a release is, marked/expired/
 * reclaimed only where a pending state is; stable and the zero counters
 * of pins, keeps and the classifier follow by arithmetic (the
 * transition sets are disjoint: stable = live - reclaimed - changed), and
 * the state histogram is computed only when asked (hist != NULL), again
 * mostly from the same counts.  A span is always swept whole (generation
 * segments are whole spans), so the zone mask is all ones and nothing is
 * put back.
 */
#ifndef _VGC_SWEEP_H
#define _VGC_SWEEP_H

#include "vgc_core.h"

/**
 * vgc_core_take() - take one shared word: exchange it with 0 if non-zero
 * @w: the word
 *
 * Return: the bits taken.
 */
static inline __u64 vgc_core_take(__u64 *w)
{
	if (!VGC_READ_ONCE(*w))
		return 0;
	return VGC_XCHG(w, 0);
}

/**
 * vgc_core_sweep_span_body() - sweep the 64 words of one span
 * @pl: the plane base pointers, VGC_NR_PLANES of them
 * @span: span index (its words are span * VGC_SPAN_WORDS ...)
 * @cls: the span's size class as read from the span table (bytes only)
 * @c: counters, added to
 * @hist: the state histogram of the new words, added to; NULL: not asked
 *
 * Inlined into each side's instantiation (vgc_core_sweep_span(), and the
 * library's POPCNT clone), so that the loop is written once.
 */
static inline void
vgc_core_sweep_span_body(__u64 *const *pl, __u64 span, __u32 cls,
			 struct vgc_sweep_counts *c, __u64 *hist)
{
	__u64 *const pv = pl[VGC_PLANE_VALID], *const p0 = pl[VGC_PLANE_S0];
	__u64 *const p1 = pl[VGC_PLANE_S1], *const p2 = pl[VGC_PLANE_S2];
	__u64 *const pa = pl[VGC_PLANE_ACCESS], *const pr = pl[VGC_PLANE_RELEASE];
	__u64 *const pp = pl[VGC_PLANE_PIN], *const pk = pl[VGC_PLANE_KEEP];
	__u64 *const ppro = pl[VGC_PLANE_PROMOTE];
	__u64 *const pdem = pl[VGC_PLANE_DEMOTE];
	/* request-free words, folded at the end */
	__u64 live = 0, act = 0, idle = 0, mrk = 0, exr = 0, rec = 0;
	__u64 def = 0, drop = 0;
	__u64 h_ia = 0, h_a1 = 0, h_c2 = 0, h_c3 = 0;
	__u64 rec_all = 0;
	struct vgc_sweep_counts slow;
	__u64 w, w0 = span * VGC_SPAN_WORDS;
	int any_slow = 0;

	memset(&slow, 0, sizeof(slow));

	for (w = w0; w < w0 + VGC_SPAN_WORDS; w++) {
		__u64 a, r, v, s0, s1, s2, rq, ia, cand, pend, ra, n0, n1, n2;
		__u64 x;

		a = vgc_core_take(&pa[w]);
		r = vgc_core_take(&pr[w]);
		rq = VGC_READ_ONCE(pp[w]) | VGC_READ_ONCE(pk[w]) |
		     VGC_READ_ONCE(ppro[w]) | VGC_READ_ONCE(pdem[w]);
		if (rq) {
			struct vgc_sweep_in in;
			struct vgc_sweep_out o;

			in.a = a;
			in.r = r;
			in.p = vgc_core_take(&pp[w]);
			in.k = vgc_core_take(&pk[w]);
			in.promote = vgc_core_take(&ppro[w]);
			in.demote = vgc_core_take(&pdem[w]);
			/* VALID after the requests: see the header */
			VGC_RMB();
			in.v = VGC_READ_ONCE(pv[w]);
			in.s0 = VGC_READ_ONCE(p0[w]);
			in.s1 = VGC_READ_ONCE(p1[w]);
			in.s2 = VGC_READ_ONCE(p2[w]);
			in.z = ~0ULL;
			vgc_sweep_word(&in, &o);
			if (o.s0 != in.s0)
				VGC_WRITE_ONCE(p0[w], o.s0);
			if (o.s1 != in.s1)
				VGC_WRITE_ONCE(p1[w], o.s1);
			if (o.s2 != in.s2)
				VGC_WRITE_ONCE(p2[w], o.s2);
			if (o.reclaimed) {
				/* S = 001 of the freed slots before they look free */
				VGC_MB_BEFORE_ATOMIC();
				VGC_ANDNOT(&pv[w], o.reclaimed);
				rec_all += vgc_popcount64(o.reclaimed);
			}
			any_slow = 1;
			vgc_sweep_count(&o, &slow);
			if (hist)
				vgc_state_hist_word(o.v, o.s0, o.s1, o.s2, hist);
			continue;
		}
		VGC_RMB();
		v = VGC_READ_ONCE(pv[w]);
		s0 = VGC_READ_ONCE(p0[w]);
		s1 = VGC_READ_ONCE(p1[w]);
		s2 = VGC_READ_ONCE(p2[w]);
		/*
		 * vgc_sweep_word() with release requests only: ovr = ra, the
		 * releases that apply (on open objects; no pin to win).
		 */
		ia = v & ~s2 & ~s1;
		cand = v & ~s2 & s1;
		pend = v & s2 & (s1 | s0);
		ra = r & v & ~s2;
		n0 = (ia & a) | (cand & s0) | (v & s2 & s1) | ~v | ra;
		n1 = (cand | (v & s2 & (s1 ^ s0))) & ~ra;
		n2 = (v & s2 & ~(s1 & s0)) | ra;
		if (n0 != s0)
			VGC_WRITE_ONCE(p0[w], n0);
		if (n1 != s1)
			VGC_WRITE_ONCE(p1[w], n1);
		if (n2 != s2)
			VGC_WRITE_ONCE(p2[w], n2);
		ia &= ~ra;
		cand &= ~ra;
		live += vgc_popcount64(v);
		act += vgc_popcount64(ia & ~s0 & a);
		idle += vgc_popcount64(ia & s0 & ~a);
		if (r) {
			x = vgc_popcount64(ra);
			def += x;
			drop += vgc_popcount64(r) - x;
		}
		if (pend) {
			x = pend & s1 & s0;		/* 111: reclaimed */
			mrk += vgc_popcount64(pend & ~s1);	/* 101 */
			exr += vgc_popcount64(pend & s1 & ~s0);	/* 110 */
			if (x) {
				VGC_MB_BEFORE_ATOMIC();
				VGC_ANDNOT(&pv[w], x);
				rec += vgc_popcount64(x);
			}
		}
		if (hist) {
			h_ia += vgc_popcount64(ia);
			h_a1 += vgc_popcount64(ia & a);
			if (cand) {
				h_c2 += vgc_popcount64(cand & ~s0);
				h_c3 += vgc_popcount64(cand & s0);
			}
		}
	}

	c->words += VGC_SPAN_WORDS;
	c->live += live;
	c->to_active += act;
	c->to_idle += idle;
	c->marked += mrk;
	c->expired += exr;
	c->reclaimed += rec;
	c->deferred += def;
	c->dropped += drop;
	/* the transition sets are disjoint: whatever else held its code */
	c->stable += live - rec - act - idle - mrk - exr - def;
	if (hist) {
		/* new codes: 00a, candidates kept, 100 kept, 101->110->111 */
		hist[VGC_ST_IDLE] += h_ia - h_a1;
		hist[VGC_ST_ACTIVE] += h_a1;
		hist[VGC_ST_PROMOTE] += h_c2;
		hist[VGC_ST_DEMOTE] += h_c3;
		hist[VGC_ST_PERSISTENT] += live - h_ia - h_c2 - h_c3 - def -
					   mrk - exr - rec;
		hist[VGC_ST_DEFERRED] += def;
		hist[VGC_ST_MARKED] += mrk;
		hist[VGC_ST_EXPIRED] += exr;
	}
	if (any_slow) {
		slow.words = 0;
		vgc_core_counts_add(c, &slow);
	}
	c->reclaimed_bytes += vgc_core_reclaimed_bytes(cls, rec + rec_all);
}

/*
 * Work proportional to change (docs/design.md): a span whose summary says
 * it is settled, that no request was noted since and whose VALID count is
 * the one of its last evaluation (not read when the span was full) would
 * come out of the body unchanged, so its counts are the summary's.
 */

/* vgc_core_sweep_span_sum() flags: ignore the summaries, sweep every span */
#define VGC_CORE_SWEEP_FULL	0x1U

/**
 * vgc_core_span_skip() - count a settled span from its summary
 * @pl: the plane base pointers
 * @m: the span's summary
 * @span: span index
 * @cls: the span's class as read from the span table
 * @c: counters, added to when skipped
 * @hist: state histogram, added to when skipped; may be NULL
 *
 * Return: true when the span was counted and need not be swept.
 */
static inline bool vgc_core_span_skip(__u64 *const *pl,
				      const struct vgc_span_sum *m, __u64 span,
				      __u32 cls, struct vgc_sweep_counts *c,
				      __u64 *hist)
{
	__u64 live, idle, pro, dem, n = 0, w;
	const __u64 *pv;
	__u8 f = VGC_READ_ONCE(m->flags);

	if (!(f & VGC_SUM_SETTLED) || VGC_READ_ONCE(m->cls) != cls ||
	    VGC_READ_ONCE(m->req))
		return false;
	live = VGC_READ_ONCE(m->live);
	idle = VGC_READ_ONCE(m->idle);
	pro = VGC_READ_ONCE(m->promote);
	dem = VGC_READ_ONCE(m->demote);
	/* user-writable: what does not add up is swept */
	if (idle + pro + dem > live)
		return false;
	if (!(f & VGC_SUM_FULL)) {
		/*
		 * Behind the sweep only allocation sets VALID without a
		 * note; whoever clears it (a free) or resets the span notes.
		 */
		pv = pl[VGC_PLANE_VALID] + span * VGC_SPAN_WORDS;
		for (w = 0; w < VGC_SPAN_WORDS; w++)
			n += vgc_popcount64(VGC_READ_ONCE(pv[w]));
		if (n != live)
			return false;
	}
	c->words += VGC_SPAN_WORDS;
	c->live += live;
	c->stable += live;
	if (hist) {
		hist[VGC_ST_IDLE] += idle;
		hist[VGC_ST_PROMOTE] += pro;
		hist[VGC_ST_DEMOTE] += dem;
		hist[VGC_ST_PERSISTENT] += live - idle - pro - dem;
	}
	return true;
}

/**
 * vgc_core_sweep_span_sum_body() - sweep one span unless it is settled
 * @pl: the plane base pointers
 * @sums: the span summaries, indexed by @span as @pl is (the kernel,
 *	whose plane pages are not contiguous, passes the span's own words
 *	and summary as span 0)
 * @span: span index
 * @cls: the span's class as read from the span table
 * @flags: %VGC_CORE_SWEEP_FULL or 0
 * @c: counters, added to
 * @hist: the state histogram, added to; NULL: not asked
 *
 * The order that loses no request: the requester ORs its bit, then (after
 * a full barrier) sets @req; this clears @req, then (full barrier) takes
 * the words.  A request whose bit this sweep's take missed has its @req
 * store after the clear, so the next checkpoint evaluates the span.
 *
 * Return: true when the span was skipped.
 */
static inline bool
vgc_core_sweep_span_sum_body(__u64 *const *pl, struct vgc_span_sum *sums,
			     __u64 span, __u32 cls, __u32 flags,
			     struct vgc_sweep_counts *c, __u64 *hist)
{
	struct vgc_span_sum *m = &sums[span];
	__u64 h[VGC_NR_STATES] = { 0 };
	__u64 seen, live, prev = VGC_READ_ONCE(m->live);
	__u32 prev_cls = VGC_READ_ONCE(m->cls);
	unsigned int i;
	__u8 f = 0;

	if (!(flags & VGC_CORE_SWEEP_FULL) &&
	    vgc_core_span_skip(pl, m, span, cls, c, hist))
		return true;
	if (VGC_READ_ONCE(m->req)) {
		VGC_WRITE_ONCE(m->req, 0);
		VGC_MB();
	}
	seen = c->live;
	vgc_core_sweep_span_body(pl, span, cls, c, h);
	seen = c->live - seen;
	live = 0;
	for (i = 0; i < VGC_NR_STATES; i++) {
		live += h[i];
		if (hist)
			hist[i] += h[i];
	}
	/*
	 * Settled: nothing in a code that moves without input, and no
	 * object the last evaluation did not see (an allocation's pin may
	 * follow its VALID bit: one more evaluation takes it).
	 */
	if (!(h[VGC_ST_ACTIVE] | h[VGC_ST_DEFERRED] | h[VGC_ST_MARKED] |
	      h[VGC_ST_EXPIRED]) && seen == prev && prev_cls == cls)
		f |= VGC_SUM_SETTLED;
	if (cls >= 1 && cls <= VGC_SPAN_GRANULES &&
	    live >= VGC_SPAN_GRANULES / cls)
		f |= VGC_SUM_FULL;
	VGC_WRITE_ONCE(m->cls, (__u16)cls);
	VGC_WRITE_ONCE(m->live, (__u16)live);
	VGC_WRITE_ONCE(m->idle, (__u16)h[VGC_ST_IDLE]);
	VGC_WRITE_ONCE(m->promote, (__u16)h[VGC_ST_PROMOTE]);
	VGC_WRITE_ONCE(m->demote, (__u16)h[VGC_ST_DEMOTE]);
	VGC_WRITE_ONCE(m->flags, f);
	return false;
}

/**
 * vgc_core_large_tail() - count a reclaimed large object's continuations
 * @entry: the span's entry in the span table, spans visited in order
 * @reclaimed: objects the sweep of this span reclaimed (0 for a marker)
 * @tail: the caller's state across the spans of one generation segment,
 *	false at its start
 * @c: counters: reclaimed_bytes is added to
 *
 * A large object is a head span of the 64 KiB class followed by
 * %VGC_SPAN_CONT spans.  Its sweep reclaims the head's one slot and counts
 * the class's 64 KiB; the continuations that follow a head reclaimed in
 * this sweep are counted here, one span each, so that the reclaimed bytes
 * are the object's whole run, the bytes vgc_release() counted (the pacer
 * pends on the difference).  Called for every span the caller visits,
 * marker or not, so that it costs a compare per span and no walk: the
 * span table is user-writable, and a corrupt one only miscounts.
 */
static inline void vgc_core_large_tail(__u32 entry, __u64 reclaimed,
				       bool *tail, struct vgc_sweep_counts *c)
{
	if (entry == VGC_SPAN_CONT) {
		if (*tail)
			c->reclaimed_bytes += VGC_SPAN_SIZE;
		return;
	}
	*tail = entry == VGC_SPAN_GRANULES && reclaimed;
}

/* vgc_sweep.c: the bodies above, compiled once per side */
void vgc_core_sweep_span(__u64 *const *pl, __u64 span, __u32 cls,
			 struct vgc_sweep_counts *c, __u64 *hist);
bool vgc_core_sweep_span_sum(__u64 *const *pl, struct vgc_span_sum *sums,
			     __u64 span, __u32 cls, __u32 flags,
			     struct vgc_sweep_counts *c, __u64 *hist);

#endif /* _VGC_SWEEP_H */
