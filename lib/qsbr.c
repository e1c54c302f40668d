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

static void slot_online(struct vgc_arena *a, struct vgc_thread_slot *ts)
{
	vgcu_store(&ts->online, 1);
	/* online before reading gp_seq: a checkpoint either sees us or has
	 * already moved gp_seq, which our store below then matches */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vgcu_store(&ts->qs_seq, vgcu_load(&a->ctrl->gp_seq));
}

static int anon_register(struct vgc_arena *a, unsigned int part)
{
	unsigned int i;

	for (i = 0; i < a->nr_slots; i++) {
		struct vgc_thread_slot *ts = &a->threads[i];
		uint32_t expect = 0;

		if (vgcu_load_relaxed(&ts->in_use))
			continue;
		if (!__atomic_compare_exchange_n(&ts->in_use, &expect, 1, false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		ts->partition = part;
		ts->tid = (uint32_t)gettid();
		__atomic_fetch_add(&a->ctrl->nr_threads, 1, __ATOMIC_RELAXED);
		return (int)i;
	}
	return -EBUSY;
}

static int module_register(struct vgc_arena *a, unsigned int part)
{
	struct vgc_thread_reg r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.partition = part;
	if (ioctl(a->fd, VGC_IOC_THREAD_REGISTER, &r))
		return vgcu_errno(errno);
	if (r.slot >= a->nr_slots)
		return -EPROTO;
	return (int)r.slot;
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
	if (a->backend == VGC_BACKEND_MODULE)
		slot = module_register(a, (unsigned int)partition);
	else
		slot = anon_register(a, (unsigned int)partition);
	if (slot < 0)
		return slot;
	t->slot = slot;
	t->partition = partition;
	t->ts = &a->threads[slot];
	/* the allocation fast path trusts cursors to lie in this partition */
	memset(t->cur, 0, sizeof(t->cur));
	slot_online(a, t->ts);
	return 0;
}

/* Gives the slot back; the arena is known to be open. */
void vgcu_thread_exit(struct vgcu_tctx *t)
{
	struct vgc_arena *a = t->arena;

	if (t->slot < 0)
		return;
	vgcu_store(&t->ts->online, 0);
	if (a->backend == VGC_BACKEND_MODULE) {
		struct vgc_thread_reg r;

		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.slot = (uint32_t)t->slot;
		ioctl(a->fd, VGC_IOC_THREAD_UNREGISTER, &r);
	} else {
		t->ts->tid = 0;
		__atomic_fetch_sub(&a->ctrl->nr_threads, 1, __ATOMIC_RELAXED);
		vgcu_store(&t->ts->in_use, 0);
	}
	t->slot = -1;
	t->partition = -1;
	t->ts = NULL;
	memset(t->cur, 0, sizeof(t->cur));
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
		slot_online(a, t->ts);
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
