// SPDX-License-Identifier: GPL-2.0
/*
 * VGC grace-period quorum (QSBR).
 *
 * User space owns qs_seq and online of its slot; the kernel owns in_use,
 * partition and tid, and keeps its own record of which task holds a slot
 * (a struct pid reference), because the threads region is writable by user
 * space and must not decide who is registered.  Slots of exited tasks are
 * dropped when a checkpoint looks at the quorum, all slots of a file when
 * the file is released: a dead reader never blocks reclamation.
 *
 * Registration is a quiescent state: the new slot starts with
 * qs_seq = gp_seq and online = 1, so it holds up checkpoints from the next
 * grace period on.  A task may hold one slot per arena (-EEXIST).
 */
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include "vgc_internal.h"
#include "vgc_trace.h"

static void vgc_slot_clear(struct vgc_arena *arena, unsigned int i)
{
	struct vgc_thread_slot *s = &arena->slots[i];

	put_pid(arena->threads[i].pid);
	arena->threads[i].pid = NULL;
	arena->threads[i].tid = 0;
	arena->nr_threads--;
	WRITE_ONCE(s->in_use, 0);
	WRITE_ONCE(s->online, 0);
	WRITE_ONCE(s->tid, 0);
	WRITE_ONCE(s->partition, 0);
	WRITE_ONCE(arena->ctrl->nr_threads, arena->nr_threads);
}

static bool vgc_pid_dead(struct pid *pid)
{
	struct task_struct *t;
	bool dead;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_PID);
	dead = !t || (t->flags & PF_EXITING);
	rcu_read_unlock();
	return dead;
}

/* Caller holds arena->lock. */
void vgc_threads_drop_dead(struct vgc_arena *arena)
{
	unsigned int i;

	for (i = 0; i < VGC_MAX_THREADS; i++) {
		if (arena->threads[i].pid && vgc_pid_dead(arena->threads[i].pid)) {
			trace_vgc_thread_drop(arena, i, VGC_TRACE_DROP_EXITED);
			vgc_slot_clear(arena, i);
			arena->dead_threads_dropped++;
		}
	}
}

void vgc_threads_release_all(struct vgc_arena *arena)
{
	unsigned int i;

	mutex_lock(&arena->lock);
	for (i = 0; i < VGC_MAX_THREADS; i++) {
		if (arena->threads[i].pid) {
			trace_vgc_thread_drop(arena, i, VGC_TRACE_DROP_CLOSED);
			vgc_slot_clear(arena, i);
		}
	}
	mutex_unlock(&arena->lock);
}

/*
 * First online registered thread that has not announced a quiescent state
 * in this grace period: -EAGAIN with its slot and tid.  Caller holds
 * arena->lock.
 */
static bool vgc_slot_registered(const void *ctx, unsigned int slot)
{
	const struct vgc_arena *arena = ctx;

	return arena->threads[slot].pid;
}

int vgc_threads_blocker(struct vgc_arena *arena, u32 *slot, u32 *tid)
{
	int i = vgc_core_blocker(arena->slots, VGC_MAX_THREADS, arena->gp_seq,
				 vgc_slot_registered, arena);

	if (i < 0)
		return 0;
	*slot = i;
	*tid = arena->threads[i].tid;
	return -EAGAIN;
}

/* Both commands take a struct vgc_thread_reg with no flags defined. */
static int vgc_thread_reg_in(struct vgc_thread_reg *reg, void __user *arg,
			     u32 *usize)
{
	int ret;

	ret = vgc_copy_in(reg, sizeof(*reg), VGC_THREAD_REG_SIZE_VER0, arg,
			  usize);
	if (ret)
		return ret;
	if (reg->flags || memchr_inv(reg->reserved, 0, sizeof(reg->reserved)))
		return -EINVAL;
	return 0;
}

int vgc_thread_register(struct vgc_arena *arena, void __user *arg)
{
	struct vgc_thread_reg reg;
	struct pid *pid;
	unsigned int i, free = VGC_MAX_THREADS;
	u32 usize;
	int ret;

	ret = vgc_thread_reg_in(&reg, arg, &usize);
	if (ret)
		return ret;
	if (reg.partition >= arena->nr_partitions)
		return -EINVAL;

	pid = get_task_pid(current, PIDTYPE_PID);
	mutex_lock(&arena->lock);
	vgc_threads_drop_dead(arena);
	for (i = 0; i < VGC_MAX_THREADS; i++) {
		if (arena->threads[i].pid == pid) {
			ret = -EEXIST;
			goto out;
		}
		if (!arena->threads[i].pid && free == VGC_MAX_THREADS)
			free = i;
	}
	if (free == VGC_MAX_THREADS) {
		ret = -ENOSPC;
		goto out;
	}
	arena->threads[free].pid = pid;
	arena->threads[free].partition = reg.partition;
	arena->threads[free].tid = task_pid_vnr(current);
	pid = NULL;
	arena->nr_threads++;
	WRITE_ONCE(arena->slots[free].qs_seq, arena->gp_seq);
	WRITE_ONCE(arena->slots[free].partition, reg.partition);
	WRITE_ONCE(arena->slots[free].tid, task_pid_vnr(current));
	WRITE_ONCE(arena->slots[free].online, 1);
	WRITE_ONCE(arena->slots[free].in_use, 1);
	WRITE_ONCE(arena->ctrl->nr_threads, arena->nr_threads);
	trace_vgc_thread_register(arena, free);
	reg.slot = free;
out:
	mutex_unlock(&arena->lock);
	put_pid(pid);
	if (!ret)
		ret = vgc_copy_out(arg, &reg, sizeof(reg), usize);
	return ret;
}

int vgc_thread_unregister(struct vgc_arena *arena, void __user *arg)
{
	struct vgc_thread_reg reg;
	u32 usize;
	int ret;

	ret = vgc_thread_reg_in(&reg, arg, &usize);
	if (ret)
		return ret;
	if (reg.slot >= VGC_MAX_THREADS)
		return -EINVAL;
	mutex_lock(&arena->lock);
	if (arena->threads[reg.slot].pid) {
		trace_vgc_thread_unregister(arena, reg.slot);
		vgc_slot_clear(arena, reg.slot);
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&arena->lock);
	return ret;
}
