/* SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later */
/*
 * The VGC core: what vgc.ko and libvgcu both compute, written once.
 *
 * The module builds these files through Kbuild, the library through
 * lib/lib.mk; nothing here depends on either side (see vgc_os.h).  The ABI
 * types and constants stay in <linux/vgc.h>, the state machine in
 * <linux/vgc_state.h>; this header holds the policy-free arithmetic around
 * them: defaults and limits, the layout of an arena's mapping, checkpoint
 * cadences and the zone activation mask, the validation of requests and
 * checkpoint arguments, sweep-count sums, pause buckets and region
 * statistics, and the grace-period blocker scan.
 */
#ifndef _VGC_CORE_H
#define _VGC_CORE_H

#include "vgc_os.h"
#include <linux/vgc.h>
#include <linux/vgc_state.h>

/* Objects per plane word and plane words per span. */
#define VGC_PLANE_WORD_GRANULES	64
#define VGC_SPAN_WORDS		(VGC_SPAN_GRANULES / VGC_PLANE_WORD_GRANULES)
#define VGC_SPAN_SHIFT_G	(VGC_SPAN_SHIFT - VGC_GRANULE_SHIFT)

/*
 * Upper bound of one arena's index space on every backend: 2^38 granules,
 * 4 TiB of data.  Larger requests are absurd rather than merely over a
 * memory limit and get -E2BIG; the bound also keeps every byte offset of
 * the layout far from u64 overflow.
 */
#define VGC_MAX_ARENA_GRANULES	BIT_ULL(38)

/* Defaults of a zero field in struct vgc_arena_params. */
#define VGC_DEFAULT_GEN0_PERMILLE	500
#define VGC_DEFAULT_GEN1_PERMILLE	300
#define VGC_DEFAULT_GEN2_PERMILLE	200
#define VGC_DEFAULT_BLUE_EVERY		4
#define VGC_DEFAULT_GEN1_EVERY		4
#define VGC_DEFAULT_GEN2_EVERY		16

/**
 * struct vgc_cadence - how often checkpoints evaluate the slower parts
 * @blue_every: checkpoint n evaluates Blue iff n % blue_every == 0
 * @gen1_every: the same for Gen1
 * @gen2_every: the same for Gen2
 *
 * Red, Green and Gen0 are evaluated by every checkpoint.
 */
struct vgc_cadence {
	__u32 blue_every;
	__u32 gen1_every;
	__u32 gen2_every;
};

/* vgc_layout.c */
int vgc_core_params_check(const struct vgc_arena_params *p);
void vgc_core_gen_permille(const struct vgc_arena_params *p,
			   __u32 permille[VGC_NR_GENS]);
void vgc_core_cadence(const struct vgc_arena_params *p, struct vgc_cadence *c);
int vgc_core_layout(const struct vgc_arena_params *p, __u64 page_size,
		    struct vgc_layout *l, struct vgc_region *regs);
void vgc_core_region_gens(struct vgc_region *r,
			  const __u32 permille[VGC_NR_GENS]);

/* vgc_ckpt.c */
int vgc_core_ckpt_check(__u32 flags, __u64 partition_mask,
			__u32 nr_partitions);
void vgc_core_activation(const struct vgc_cadence *c, __u64 n, __u32 flags,
			 __u32 *zones, __u32 *gens);
unsigned int vgc_core_pause_bucket(__u64 ns);
void vgc_core_region_account(struct vgc_region_stats *st, __u64 objects,
			     __u64 bytes, __u64 ns);
void vgc_core_counts_add(struct vgc_sweep_counts *sum,
			 const struct vgc_sweep_counts *c);
int vgc_core_blocker(const struct vgc_thread_slot *slots, unsigned int n,
		     __u64 gp_seq,
		     bool (*registered)(const void *ctx, unsigned int slot),
		     const void *ctx);

/**
 * vgc_core_all_parts() - the partition mask that names every partition
 * @nr_partitions: 1 .. VGC_MAX_PARTITIONS
 */
static inline __u64 vgc_core_all_parts(__u32 nr_partitions)
{
	return nr_partitions >= 64 ? ~0ULL : (1ULL << nr_partitions) - 1;
}

/**
 * vgc_core_reclaimed_bytes() - bytes of the slots a sweep freed in a word
 * @cls: the span's class in granules, as read from the span table
 * @nr: number of slots freed
 *
 * The span table is writable by user space: a class out of range counts
 * no bytes rather than absurd ones.
 */
static inline __u64 vgc_core_reclaimed_bytes(__u32 cls, __u64 nr)
{
	if (cls < 1 || cls > VGC_SPAN_GRANULES)
		return 0;
	return nr * cls * VGC_GRANULE_SIZE;
}

/**
 * vgc_core_batch_check() - validate the header of a batch of requests
 * @op: VGC_BATCH_RELEASE .. VGC_BATCH_DEMOTE
 * @flags: must be 0
 * @count: number of indices, at most VGC_BATCH_MAX
 *
 * The order of the checks is the ABI's: one request, one answer, on every
 * path (ioctl, io_uring, the library).
 *
 * Return: 0, -EINVAL (flags or op) or -E2BIG (count).
 */
static inline int vgc_core_batch_check(__u32 op, __u32 flags, __u64 count)
{
	if (flags)
		return -EINVAL;
	if (op < VGC_BATCH_RELEASE || op > VGC_BATCH_DEMOTE)
		return -EINVAL;
	if (count > VGC_BATCH_MAX)
		return -E2BIG;
	return 0;
}

#define VGC_CODE_BIT(c)		(1U << (c))

/**
 * vgc_core_request() - may request @op be set on an object of state @code?
 * @op: VGC_BATCH_*
 * @code: the object's state code (the object is valid: the caller checked)
 * @plane: the request plane to set, on success
 *
 * A release of an object whose release bit is already set is -EALREADY as
 * well; only the caller's test-and-set can tell, see
 * vgc_core_request_done().
 *
 * Return: 0, -EPERM (release of a Persistent object), -EALREADY (release of
 * a released object) or -EINVAL (unknown op, or a request that does not
 * apply to @code).
 */
static inline int vgc_core_request(__u32 op, unsigned int code,
				   unsigned int *plane)
{
	switch (op) {
	case VGC_BATCH_RELEASE:
		if (code == VGC_ST_PERSISTENT)
			return -EPERM;
		if (code > VGC_ST_PERSISTENT)
			return -EALREADY;
		*plane = VGC_PLANE_RELEASE;
		return 0;
	case VGC_BATCH_PIN:
		*plane = VGC_PLANE_PIN;
		return 0;
	case VGC_BATCH_TOUCH:
		*plane = VGC_PLANE_ACCESS;
		return 0;
	case VGC_BATCH_MUTATE:
		*plane = VGC_PLANE_MUTATE;
		return 0;
	case VGC_BATCH_KEEP:
		if (!(VGC_CODE_BIT(code) & (VGC_CODE_BIT(VGC_ST_PROMOTE) |
					    VGC_CODE_BIT(VGC_ST_DEMOTE))))
			return -EINVAL;
		*plane = VGC_PLANE_KEEP;
		return 0;
	case VGC_BATCH_PROMOTE:
	case VGC_BATCH_DEMOTE:
		if (!(VGC_CODE_BIT(code) & (VGC_CODE_BIT(VGC_ST_IDLE) |
					    VGC_CODE_BIT(VGC_ST_ACTIVE))))
			return -EINVAL;
		*plane = op == VGC_BATCH_PROMOTE ? VGC_PLANE_PROMOTE :
						   VGC_PLANE_DEMOTE;
		return 0;
	}
	return -EINVAL;
}

/**
 * vgc_core_request_done() - the answer once the request bit was set
 * @op: VGC_BATCH_*
 * @was_set: the bit was set already before this request
 *
 * Return: -EALREADY for a second release, else 0 (pins, touches and the
 * classifier's requests are idempotent).
 */
static inline int vgc_core_request_done(__u32 op, bool was_set)
{
	return op == VGC_BATCH_RELEASE && was_set ? -EALREADY : 0;
}

/**
 * vgc_core_note() - note a request in its span's summary
 * @sums: the arena's span summaries; NULL: none, nothing to do
 * @index: the object's granule index
 *
 * Call after the atomic OR of the request bit, which this orders before
 * the load of @req (see docs/design.md, "Work proportional to change"):
 * either the sweep that clears @req takes the bit, or @req is 1 after it.
 */
static inline void vgc_core_note(struct vgc_span_sum *sums, __u64 index)
{
	struct vgc_span_sum *m;

	if (!sums)
		return;
	m = &sums[index >> VGC_SPAN_SHIFT_G];
	VGC_MB_AFTER_ATOMIC();
	if (!VGC_LOAD_SC(m->req))
		VGC_WRITE_ONCE(m->req, 1);
}

#endif /* _VGC_CORE_H */
