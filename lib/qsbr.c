// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Grace periods (QSBR).  A registered thread owns one cache-line slot in
 * the threads region.  vgc_quiescent() is a release store of ctrl->gp_seq
 * into the slot: no syscall, no shared write.  A checkpoint completes only
 * when every online slot has qs_seq == gp_seq.  On the module backend the
 * kernel hands out slots (and drops those of dead tasks); on the anonymous
 * backend the library claims a slot with a CAS on in_use and releases it
 * at unregister or thread exit.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "vgcu_int.h"

void vgcu_slot_online(struct vgc_arena *a, struct vgc_thread_slot *ts)
{
	vgcu_store(&ts->online, 1);
	/* online before reading gp_seq: a checkpoint either sees us or has
	 * already moved gp_seq, which our store below then matches */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vgcu_store(&ts->qs_seq, vgcu_load(&a->ctrl->gp_seq));
}

int vgc_thread_register(struct vgc_arena *a, int partition)
{
	struct vgcu_tctx *t = vgcu_tctx(a, true);
	int slot;

	if (!t)
		return -ENOMEM;
	if (t->slot >= 0)
		return -EEXIST;
	if (partition < 0)
		partition = vgcu_partition_of_thread(a, NULL);
	if ((unsigned int)partition >= a->nr_parts)
		return -ERANGE;
	slot = a->ops->thread_register(a, (unsigned int)partition);
	if (slot < 0)
		return slot;
	t->slot = slot;
	t->partition = partition;
	t->ts = &a->threads[slot];
	/* the allocation fast path trusts cursors to lie in this partition */
	vgcu_tctx_reset_cursors(t);
	vgcu_slot_online(a, t->ts);
	return 0;
}

/* Gives the slot back; the arena is known to be open. */
void vgcu_thread_exit(struct vgcu_tctx *t)
{
	struct vgc_arena *a = t->arena;

	if (t->slot < 0)
		return;
	vgcu_store(&t->ts->online, 0);
	a->ops->thread_unregister(a, t);
	t->slot = -1;
	t->partition = -1;
	t->ts = NULL;
	vgcu_tctx_reset_cursors(t);
}

int vgc_thread_unregister(struct vgc_arena *a)
{
	struct vgcu_tctx *t = vgcu_tctx(a, false);

	if (!t || t->slot < 0)
		return -ESRCH;
	vgcu_thread_exit(t);
	return 0;
}

void vgc_quiescent(struct vgc_arena *a)
{
	struct vgcu_tctx *t = vgcu_tctx(a, false);

	if (t && t->ts)
		vgcu_store(&t->ts->qs_seq, vgcu_load(&a->ctrl->gp_seq));
}

void vgc_thread_offline(struct vgc_arena *a)
{
	struct vgcu_tctx *t = vgcu_tctx(a, false);

	if (t && t->ts)
		vgcu_store(&t->ts->online, 0);
}

void vgc_thread_online(struct vgc_arena *a)
{
	struct vgcu_tctx *t = vgcu_tctx(a, false);

	if (t && t->ts)
		vgcu_slot_online(a, t->ts);
}

int vgc_blocker(const struct vgc_arena *a, unsigned int *slot,
		unsigned int *tid)
{
	if (slot)
		*slot = a->blocker_slot;
	if (tid)
		*tid = a->blocker_tid;
	return 0;
}
