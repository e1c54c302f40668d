// SPDX-License-Identifier: GPL-2.0 OR LGPL-2.1-or-later
/*
 * The arithmetic of a checkpoint that does not depend on who sweeps: the
 * module's per-CPU workers and the library's anonymous backend both run it,
 * so that a checkpoint means the same thing on either backend.
 */
#include "vgc_core.h"

/**
 * vgc_core_ckpt_check() - validate the arguments of a checkpoint
 * @flags: VGC_CKPT_F_*
 * @partition_mask: partitions to sweep, 0: all
 * @nr_partitions: the arena's partition count
 *
 * Return: 0 or -EINVAL (unknown flag, or a partition the arena lacks).
 */
int vgc_core_ckpt_check(__u32 flags, __u64 partition_mask, __u32 nr_partitions)
{
	if (flags & ~VGC_CKPT_F_FLAGS_ALL)
		return -EINVAL;
	if (partition_mask & ~vgc_core_all_parts(nr_partitions))
		return -EINVAL;
	return 0;
}

/**
 * vgc_core_activation() - the zone activation mask of checkpoint @n
 * @c: the arena's cadences
 * @n: 1-based number of the checkpoint, counted after its grace period
 * @flags: VGC_CKPT_F_*; VGC_CKPT_F_ALL_ZONES selects everything
 * @zones: BIT(enum vgc_zone) of the zones to sweep
 * @gens: BIT(enum vgc_gen) of the generations to sweep
 *
 * Red, Green and Gen0 are young or hot and change at every checkpoint; Blue
 * and the older generations settle, and are evaluated every blue_every,
 * gen1_every and gen2_every checkpoints.  Cadences are never 0 (see
 * vgc_core_cadence()).
 */
void vgc_core_activation(const struct vgc_cadence *c, __u64 n, __u32 flags,
			 __u32 *zones, __u32 *gens)
{
	bool all = flags & VGC_CKPT_F_ALL_ZONES;

	*zones = 1U << VGC_ZONE_RED | 1U << VGC_ZONE_GREEN;
	*gens = 1U << VGC_GEN0;
	/* n % x without a 64-bit division: n is u64, x is u32. */
	if (all || n - vgc_div_u64(n, c->blue_every) * c->blue_every == 0)
		*zones |= 1U << VGC_ZONE_BLUE;
	if (all || n - vgc_div_u64(n, c->gen1_every) * c->gen1_every == 0)
		*gens |= 1U << VGC_GEN1;
	if (all || n - vgc_div_u64(n, c->gen2_every) * c->gen2_every == 0)
		*gens |= 1U << VGC_GEN2;
}

/**
 * vgc_core_pause_bucket() - the pause histogram bucket of a sweep
 * @ns: the sweep's duration
 *
 * Return: b such that the pause is below 2^b microseconds, at most
 * VGC_PAUSE_BUCKETS - 1.
 */
unsigned int vgc_core_pause_bucket(__u64 ns)
{
	__u64 us = vgc_div_u64(ns, 1000);
	unsigned int b = us ? (unsigned int)vgc_fls64(us) : 0;

	return b < VGC_PAUSE_BUCKETS ? b : VGC_PAUSE_BUCKETS - 1;
}

/**
 * vgc_core_region_account() - add one sweep to a region's statistics
 * @st: the region's entry in the ctrl page (read by user space meanwhile,
 *	hence the single stores)
 * @objects: slots the sweep freed
 * @bytes: their bytes
 * @ns: the sweep's duration
 *
 * The sweeper of a region is serialised with every other sweeper of it.
 */
void vgc_core_region_account(struct vgc_region_stats *st, __u64 objects,
			     __u64 bytes, __u64 ns)
{
	unsigned int b = vgc_core_pause_bucket(ns);

	VGC_WRITE_ONCE(st->reclaimed_objects, st->reclaimed_objects + objects);
	VGC_WRITE_ONCE(st->reclaimed_bytes, st->reclaimed_bytes + bytes);
	VGC_WRITE_ONCE(st->sweeps, st->sweeps + 1);
	VGC_WRITE_ONCE(st->last_pause_ns, ns);
	if (ns > st->max_pause_ns)
		VGC_WRITE_ONCE(st->max_pause_ns, ns);
	VGC_WRITE_ONCE(st->total_pause_ns, st->total_pause_ns + ns);
	VGC_WRITE_ONCE(st->pause_hist[b], st->pause_hist[b] + 1);
}

/**
 * vgc_core_counts_add() - add one sweep's counts to a sum
 * @sum: the sum
 * @c: the counts
 */
void vgc_core_counts_add(struct vgc_sweep_counts *sum,
			 const struct vgc_sweep_counts *c)
{
	sum->words += c->words;
	sum->live += c->live;
	sum->to_active += c->to_active;
	sum->to_idle += c->to_idle;
	sum->deferred += c->deferred;
	sum->marked += c->marked;
	sum->expired += c->expired;
	sum->reclaimed += c->reclaimed;
	sum->reclaimed_bytes += c->reclaimed_bytes;
	sum->pinned += c->pinned;
	sum->promoted += c->promoted;
	sum->demoted += c->demoted;
	sum->kept += c->kept;
	sum->dropped += c->dropped;
	sum->stable += c->stable;
}

/**
 * vgc_core_blocker() - the first thread that holds up a grace period
 * @slots: the arena's thread slots
 * @n: number of slots
 * @gp_seq: the grace period in progress
 * @registered: whether slot i belongs to a registered thread; NULL trusts
 *	the slot's in_use field (the anonymous backend).  The module passes
 *	its own records: the slot page is writable by user space.
 * @ctx: argument of @registered
 *
 * A registered thread that is online and has not announced a quiescent
 * state in @gp_seq blocks it.
 *
 * Return: the slot of the first such thread, or -1 when the grace period
 * is complete.
 */
int vgc_core_blocker(const struct vgc_thread_slot *slots, unsigned int n,
		     __u64 gp_seq,
		     bool (*registered)(const void *ctx, unsigned int slot),
		     const void *ctx)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct vgc_thread_slot *s = &slots[i];

		if (registered ? !registered(ctx, i) :
				 !VGC_LOAD_ACQUIRE(&s->in_use))
			continue;
		if (!VGC_LOAD_ACQUIRE(&s->online))
			continue;
		/* Pairs with the thread's release store of qs_seq. */
		if (VGC_LOAD_ACQUIRE(&s->qs_seq) != gp_seq)
			return (int)i;
	}
	return -1;
}
