// SPDX-License-Identifier: GPL-2.0
/*
 * VGC_IOC_BATCH and VGC_IOC_GET_STATS.
 *
 * A batch sets request bits exactly as libvgcu does from user space (atomic
 * OR into the request planes, after the checks of the shared core,
 * vgc_core_request()); the state change happens at the next checkpoint.
 * Indices are copied in bounded chunks so that a huge batch needs no huge
 * kernel buffer, and no lock is held across the copies: the
 * bit operations are atomic and plane pages, once published, live as
 * long as the arena.
 */
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vgc_state.h>
#include "vgc_internal.h"

#define VGC_BATCH_CHUNK		512

int vgc_batch_one(struct vgc_arena *arena, u32 op, u64 i)
{
	u64 w = i / VGC_PLANE_WORD_GRANULES;
	unsigned int bit = i % VGC_PLANE_WORD_GRANULES;
	u64 *v, *s0, *s1, *s2, *rq;
	unsigned int plane;
	bool was;
	int ret;

	if (i >= arena->layout.total_granules)
		return -EINVAL;
	/*
	 * No plane page: no granule it covers was ever committed, so no
	 * object lives there.  VALID's page is published last.
	 */
	v = vgc_plane_word(arena, VGC_PLANE_VALID, w);
	if (!v || !test_bit(bit, (unsigned long *)v))
		return -EINVAL;
	s0 = vgc_plane_word(arena, VGC_PLANE_S0, w);
	s1 = vgc_plane_word(arena, VGC_PLANE_S1, w);
	s2 = vgc_plane_word(arena, VGC_PLANE_S2, w);
	if (WARN_ON_ONCE(!s0 || !s1 || !s2))
		return -EINVAL;
	ret = vgc_core_request(op, vgc_code_of(READ_ONCE(*s0), READ_ONCE(*s1),
					       READ_ONCE(*s2), bit), &plane);
	if (ret)
		return ret;
	rq = vgc_plane_word(arena, plane, w);
	if (WARN_ON_ONCE(!rq))
		return -EINVAL;
	was = test_and_set_bit(bit, (unsigned long *)rq);
	/* after the bit, for the sweep (vgc_core_note()); MUTATE is not swept */
	if (plane != VGC_PLANE_MUTATE)
		vgc_core_note(arena->sums, i);
	return vgc_core_request_done(op, was);
}

int vgc_batch_ioctl(struct vgc_arena *arena, void __user *arg)
{
	const u64 __user *uidx;
	struct vgc_batch bt;
	u32 usize, n, k;
	u64 *buf;
	int ret, err = 0;

	ret = vgc_copy_in(&bt, sizeof(bt), VGC_BATCH_SIZE_VER0, arg, &usize);
	if (ret)
		return ret;
	if (memchr_inv(bt.reserved, 0, sizeof(bt.reserved)))
		return -EINVAL;
	ret = vgc_core_batch_check(bt.op, bt.flags, bt.count);
	if (ret)
		return ret;

	bt.done = 0;
	bt.error = 0;
	uidx = u64_to_user_ptr(bt.indices_ptr);
	buf = kmalloc_array(VGC_BATCH_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (bt.done < bt.count && !err) {
		n = min_t(u32, bt.count - bt.done, VGC_BATCH_CHUNK);
		if (copy_from_user(buf, uidx + bt.done, n * sizeof(*buf))) {
			err = -EFAULT;
			break;
		}
		/* Not across the user copy, which may fault on the arena. */
		down_read(&arena->fork_sem);
		for (k = 0; k < n; k++) {
			err = vgc_batch_one(arena, bt.op, buf[k]);
			if (err)
				break;
			bt.done++;
		}
		up_read(&arena->fork_sem);
		cond_resched();
	}
	kfree(buf);
	bt.error = err;
	ret = vgc_copy_out(arg, &bt, sizeof(bt), usize);
	return err ? err : ret;
}

int vgc_stats_ioctl(struct vgc_arena *arena, void __user *arg)
{
	struct vgc_stats st;
	u32 usize;
	int ret;

	ret = vgc_copy_in(&st, sizeof(st), VGC_STATS_SIZE_VER0, arg, &usize);
	if (ret)
		return ret;
	if (memchr_inv(st.reserved, 0, sizeof(st.reserved)))
		return -EINVAL;
	mutex_lock(&arena->lock);
	/* Dead threads leave the count before anyone reads it. */
	vgc_threads_drop_dead(arena);
	st.nr_threads = arena->nr_threads;
	st.gp_seq = arena->gp_seq;
	st.checkpoints = arena->checkpoints;
	st.committed_bytes = arena->committed_bytes;
	st.metadata_bytes = arena->metadata_bytes;
	st.reclaimed_objects = arena->reclaimed_objects;
	st.reclaimed_bytes = arena->reclaimed_bytes;
	st.dead_threads_dropped = arena->dead_threads_dropped;
	mutex_unlock(&arena->lock);
	return vgc_copy_out(arg, &st, sizeof(st), usize);
}
