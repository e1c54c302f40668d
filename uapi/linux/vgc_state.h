/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VGC state logic: the checkpoint transition table of docs/design.md,
 * State machine, evaluated 64 objects at a time over the bit-planes of
 * <linux/vgc.h>.
 *
 * This is the only implementation of the state machine.  It is libc-free
 * and branch-free so that vgc.ko and libvgcu compile the same code: the
 * kernel sweep and the library sweep cannot disagree.  Vector paths in
 * libvgcu evaluate the same expressions lane by lane.
 *
 * Per object (valid bit v, code s2 s1 s0, access a), at a checkpoint that
 * evaluates its zone and generation:
 *
 *   000 Idle, 001 Active -> 00a                (accessed -> Active)
 *   010/011 candidates   -> unchanged
 *   100 Persistent       -> unchanged
 *   101 Deferred         -> 110 Marked
 *   110 Marked           -> 111 Expired
 *   111 Expired          -> free slot: v = 0, code 001 (the free preset)
 *   free slot (v = 0)    -> code 001
 *
 * then the requests that arrived since the last checkpoint, judged on the
 * state before the checkpoint (an "open" object is 000, 001, 010 or 011):
 *
 *   pin      on open                          -> 100   (pin wins)
 *   release  on open, not pinned              -> 101
 *   keep     on 010/011, no pin or release    -> 001
 *   promote  on 000/001, no pin or release    -> 010   (classifier)
 *   demote   on 000/001, no pin/release/promote -> 011 (classifier)
 *
 * Requests that do not apply are dropped and counted.  A released object is
 * Deferred at the first checkpoint after the release, Marked at the second,
 * Expired at the third and a free slot at the fourth, each one a completed
 * grace period, so no slot is reused before two grace periods have passed
 * since its release.
 */
#ifndef _UAPI_LINUX_VGC_STATE_H
#define _UAPI_LINUX_VGC_STATE_H

#include <linux/types.h>
#include <linux/vgc.h>

#ifdef __KERNEL__
#include <linux/bitops.h>
#define vgc_popcount64(x)	hweight64(x)
#else
#define vgc_popcount64(x)	((__u64)__builtin_popcountll(x))
#endif

/**
 * struct vgc_sweep_in - one word (64 objects) of each plane the sweep reads
 * @v: VALID
 * @s0: S0, low bit of the state code
 * @s1: S1
 * @s2: S2, high bit of the state code
 * @a: ACCESS bits, taken by exchange
 * @r: RELEASE requests
 * @p: PIN requests
 * @k: KEEP requests
 * @promote: the classifier's PROMOTE requests
 * @demote: the classifier's DEMOTE requests
 * @z: zone activation mask: the objects this checkpoint evaluates
 */
struct vgc_sweep_in {
	__u64 v, s0, s1, s2;		/* lifecycle planes */
	__u64 a;			/* access bits, taken by exchange */
	__u64 r, p, k;			/* release, pin, keep requests */
	__u64 promote, demote;		/* classifier requests */
	__u64 z;			/* zone activation mask */
};

/**
 * struct vgc_sweep_out - the next lifecycle words and what happened
 * @v: next VALID (write back where it differs)
 * @s0: next S0
 * @s1: next S1
 * @s2: next S2
 * @r_left: RELEASE requests outside z, to be put back
 * @p_left: PIN requests outside z
 * @k_left: KEEP requests outside z
 * @promote_left: PROMOTE requests outside z
 * @demote_left: DEMOTE requests outside z
 * @to_active: 000 -> 001
 * @to_idle: 001 -> 000
 * @deferred: release requests applied: -> 101
 * @marked: 101 -> 110
 * @expired: 110 -> 111
 * @reclaimed: 111 -> free slot
 * @pinned: pin requests applied: -> 100
 * @promoted: promote requests applied: -> 010
 * @demoted: demote requests applied: -> 011
 * @kept: keep requests applied: 010/011 -> 001
 * @dropped_r: release requests that did not apply
 * @dropped_p: pin requests that did not apply
 * @dropped_k: keep requests that did not apply
 * @dropped_c: classifier requests that did not apply
 * @live: valid objects evaluated
 * @stable: valid objects evaluated whose code held
 */
struct vgc_sweep_out {
	__u64 v, s0, s1, s2;		/* write back where they differ */
	/* requests outside z: put back */
	__u64 r_left, p_left, k_left, promote_left, demote_left;
	__u64 to_active, to_idle;
	__u64 deferred, marked, expired, reclaimed;
	__u64 pinned, promoted, demoted, kept;
	__u64 dropped_r, dropped_p, dropped_k, dropped_c;
	__u64 live, stable;
};

/**
 * vgc_sweep_word() - the transition table over one word of each plane
 * @in: the words read
 * @out: receives the next words and the masks of every transition
 *
 * Branch-free: applies the table and the requests in the comment at the
 * top of this file to the 64 objects of @in, for the objects in @in->z
 * only; the others keep their words and their requests are returned in
 * the *_left masks.
 */
static inline void vgc_sweep_word(const struct vgc_sweep_in *in,
				  struct vgc_sweep_out *out)
{
	const __u64 v = in->v, s0 = in->s0, s1 = in->s1, s2 = in->s2;
	const __u64 a = in->a, z = in->z;
	const __u64 r = in->r & z, p = in->p & z, k = in->k & z;
	/* state classes, before the checkpoint */
	const __u64 ia = v & ~s2 & ~s1;			/* 000, 001 */
	const __u64 cand = v & ~s2 & s1;		/* 010, 011 */
	const __u64 open = v & ~s2;			/* ia | cand */
	const __u64 def = v & s2 & ~s1 & s0;		/* 101 */
	const __u64 mark = v & s2 & s1 & ~s0;		/* 110 */
	const __u64 exp = v & s2 & s1 & s0;		/* 111 */
	/* the table */
	__u64 n0 = (ia & a) | (cand & s0) | (v & s2 & s1) | ~v;
	__u64 n1 = cand | (v & s2 & (s1 ^ s0));
	__u64 n2 = v & s2 & ~(s1 & s0);
	const __u64 nv = v & ~exp;
	/* requests */
	const __u64 p_app = p & open;
	const __u64 r_app = r & open & ~p;
	const __u64 k_app = k & cand & ~p & ~r;
	const __u64 cls = ia & ~p & ~r & z;
	const __u64 pr = in->promote & cls;
	const __u64 dm = in->demote & cls & ~in->promote;
	const __u64 ovr = p_app | r_app | k_app | pr | dm;

	n2 = (n2 & ~ovr) | p_app | r_app;
	n1 = (n1 & ~ovr) | pr | dm;
	n0 = (n0 & ~ovr) | r_app | k_app | dm;

	/* only the zones and generations in z change */
	out->v = (nv & z) | (v & ~z);
	out->s0 = (n0 & z) | (s0 & ~z);
	out->s1 = (n1 & z) | (s1 & ~z);
	out->s2 = (n2 & z) | (s2 & ~z);
	out->r_left = in->r & ~z;
	out->p_left = in->p & ~z;
	out->k_left = in->k & ~z;
	out->promote_left = in->promote & ~z;
	out->demote_left = in->demote & ~z;

	out->to_active = ia & ~s0 & a & ~ovr & z;
	out->to_idle = ia & s0 & ~a & ~ovr & z;
	out->deferred = r_app;
	out->marked = def & z;
	out->expired = mark & z;
	out->reclaimed = exp & z;
	out->pinned = p_app;
	out->promoted = pr;
	out->demoted = dm;
	out->kept = k_app;
	out->dropped_r = r & ~r_app;
	out->dropped_p = p & ~p_app;
	out->dropped_k = k & ~k_app;
	out->dropped_c = ((in->promote | in->demote) & z) & ~(pr | dm);
	out->live = v & z;
	out->stable = nv & z & ~((s0 ^ n0) | (s1 ^ n1) | (s2 ^ n2));
}

/**
 * vgc_stable_mask() - objects whose code is the same in two epochs
 * @v: VALID
 * @a0: S0 of the first epoch
 * @a1: S1 of the first epoch
 * @a2: S2 of the first epoch
 * @b0: S0 of the second epoch
 * @b1: S1 of the second epoch
 * @b2: S2 of the second epoch
 *
 * Return: the valid objects whose three state bits agree (XNOR of the
 * planes).
 */
static inline __u64 vgc_stable_mask(__u64 v, __u64 a0, __u64 a1, __u64 a2,
				    __u64 b0, __u64 b1, __u64 b2)
{
	return v & ~((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2));
}

/**
 * vgc_code_mask() - valid objects of one word whose code is @code
 * @v: VALID
 * @s0: S0
 * @s1: S1
 * @s2: S2
 * @code: the 3-bit code, enum vgc_state
 *
 * Return: the mask of those objects.
 */
static inline __u64 vgc_code_mask(__u64 v, __u64 s0, __u64 s1, __u64 s2,
				  unsigned int code)
{
	const __u64 m0 = (__u64)0 - (__u64)(code & 1);
	const __u64 m1 = (__u64)0 - (__u64)((code >> 1) & 1);
	const __u64 m2 = (__u64)0 - (__u64)((code >> 2) & 1);

	return v & ~(s0 ^ m0) & ~(s1 ^ m1) & ~(s2 ^ m2);
}

/**
 * vgc_state_hist_word() - add the per-state population of one word
 * @v: VALID
 * @s0: S0
 * @s1: S1
 * @s2: S2
 * @hist: eight counters, one per state code, added to
 */
static inline void vgc_state_hist_word(__u64 v, __u64 s0, __u64 s1, __u64 s2,
				       __u64 hist[8])
{
	unsigned int c;

	for (c = 0; c < 8; c++)
		hist[c] += vgc_popcount64(vgc_code_mask(v, s0, s1, s2, c));
}

/**
 * vgc_code_of() - the 3-bit code of one object
 * @s0: S0 word
 * @s1: S1 word
 * @s2: S2 word
 * @bit: the object's bit in the words, 0..63
 *
 * Return: the code, enum vgc_state.
 */
static inline unsigned int vgc_code_of(__u64 s0, __u64 s1, __u64 s2,
				       unsigned int bit)
{
	return (unsigned int)(((s0 >> bit) & 1) | (((s1 >> bit) & 1) << 1) |
			      (((s2 >> bit) & 1) << 2));
}

/**
 * vgc_sweep_count() - add one word's outcome to the counters
 * @o: the outcome of vgc_sweep_word()
 * @c: the counters, added to
 *
 * reclaimed_bytes is the caller's: it knows the size class of the span the
 * word lies in.
 */
static inline void vgc_sweep_count(const struct vgc_sweep_out *o,
				   struct vgc_sweep_counts *c)
{
	c->words++;
	c->live += vgc_popcount64(o->live);
	c->to_active += vgc_popcount64(o->to_active);
	c->to_idle += vgc_popcount64(o->to_idle);
	c->deferred += vgc_popcount64(o->deferred);
	c->marked += vgc_popcount64(o->marked);
	c->expired += vgc_popcount64(o->expired);
	c->reclaimed += vgc_popcount64(o->reclaimed);
	c->pinned += vgc_popcount64(o->pinned);
	c->promoted += vgc_popcount64(o->promoted);
	c->demoted += vgc_popcount64(o->demoted);
	c->kept += vgc_popcount64(o->kept);
	c->dropped += vgc_popcount64(o->dropped_r) +
		      vgc_popcount64(o->dropped_p) +
		      vgc_popcount64(o->dropped_k) +
		      vgc_popcount64(o->dropped_c);
	c->stable += vgc_popcount64(o->stable);
}

#endif /* _UAPI_LINUX_VGC_STATE_H */
