// SPDX-License-Identifier: GPL-2.0
/*
 * VGC: io_uring passthrough (IORING_OP_URING_CMD) on /dev/vgc.
 *
 * The SQE's 16-byte inline payload (struct vgc_uring_cmd) is read once, with
 * READ_ONCE, before anything else: it lives in the shared SQ ring, which
 * user space may rewrite at any time.  Commands with an argument struct go
 * through vgc_cmd_dispatch(), the ioctl's own code, so validation and
 * errors cannot drift apart.  The inline object and batch commands skip the
 * struct and its copies; the checkpoints run on the module's workqueue
 * (sweeps on the partitions' CPUs) and complete from the submitter's task.
 *
 * Every synchronous command completes with io_uring_cmd_done() inline and
 * returns -EIOCBQUEUED: 6.1 mishandles positive synchronous returns and
 * leaks the request after an -EAGAIN, so no other return is used.
 */
#include <linux/atomic.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vgc.h>
#include "vgc_compat.h"
#include "vgc_internal.h"

/* Bytes of the payload area past struct vgc_uring_cmd with SQE128. */
#define VGC_URING_SQE128_EXTRA	(64 + 16 - VGC_URING_CMD_SIZE)

/* Indices copied per step of a batch: bounded stack, few copies. */
#define VGC_URING_CHUNK		64

enum {
	VGC_UA_QUEUED,
	VGC_UA_DONE,		/* done() ran: the task-work owns it */
	VGC_UA_CANCELLED,	/* the ring went away first: done() frees */
};

/*
 * An asynchronous checkpoint.  It owns its copy of the argument struct, so
 * nothing points into the SQ ring or user memory while the sweep runs.
 */
struct vgc_uring_async {
	struct io_uring_cmd *ioucmd;
	void __user *uarg;		/* NULL: VGC_URING_CHECKPOINT */
	u32 usize;
	atomic_t state;
	long res;
	struct vgc_checkpoint ck;
};

static inline struct vgc_uring_async **vgc_uring_pdu(struct io_uring_cmd *c)
{
	BUILD_BUG_ON(sizeof(struct vgc_uring_async *) > sizeof(c->pdu));
	return (struct vgc_uring_async **)c->pdu;
}

static u64 vgc_uring_ckpt_res2(const struct vgc_checkpoint *ck, long res)
{
	if (!res)
		return ck->gp_seq;
	if (res == -EAGAIN)
		return (u64)ck->blocker_tid << 32 | ck->blocker_slot;
	return 0;
}

/* Task-work: the submitter's context, where its user memory is reachable. */
static void vgc_uring_ckpt_tw(struct io_uring_cmd *ioucmd,
			      unsigned int issue_flags)
{
	struct vgc_uring_async *a = *vgc_uring_pdu(ioucmd);
	long res = a->res;
	u64 res2 = vgc_uring_ckpt_res2(&a->ck, res);

	/* As the ioctl: -EAGAIN carries the blocker back too. */
	if (a->uarg && (!res || res == -EAGAIN)) {
		if (current->flags & (PF_EXITING | PF_KTHREAD))
			res = -ECANCELED;
		else if (vgc_checkpoint_copy_out(a->uarg, &a->ck, a->usize))
			res = -EFAULT;
	}
	kfree(a);
	io_uring_cmd_done(ioucmd, res, res2, issue_flags);
}

/* From the checkpoint workqueue, once a->ck holds the outputs. */
static void vgc_uring_ckpt_done(void *ctx, long res)
{
	struct vgc_uring_async *a = ctx;

	a->res = res;
	if (atomic_cmpxchg(&a->state, VGC_UA_QUEUED, VGC_UA_DONE) !=
	    VGC_UA_QUEUED) {
		kfree(a);
		return;
	}
	io_uring_cmd_complete_in_task(a->ioucmd, vgc_uring_ckpt_tw);
}

/*
 * The ring is being torn down (or its task exits) with the checkpoint
 * still queued or running.  The sweep cannot be pulled back from the
 * workqueue, but nobody will read its result: complete the request now so
 * that teardown does not wait for it, and let done() free the copy.
 */
static int vgc_uring_cancel(struct io_uring_cmd *ioucmd,
			    unsigned int issue_flags)
{
	struct vgc_uring_async *a = *vgc_uring_pdu(ioucmd);

	if (a && atomic_cmpxchg(&a->state, VGC_UA_QUEUED, VGC_UA_CANCELLED) ==
		 VGC_UA_QUEUED)
		io_uring_cmd_done(ioucmd, -ECANCELED, 0, issue_flags);
	return 0;
}

static long vgc_uring_ckpt(struct io_uring_cmd *ioucmd,
			   struct vgc_arena *arena,
			   const struct vgc_uring_cmd *pl, bool inline_args,
			   unsigned int issue_flags)
{
	struct vgc_uring_async *a;
	long ret;

	a = kzalloc(sizeof(*a), VGC_GFP_ACCOUNT);
	if (!a)
		return -ENOMEM;
	if (inline_args) {
		ret = 0;
		if (pl->count || (pl->flags & ~VGC_CKPT_F_FLAGS_ALL))
			ret = -EINVAL;
		a->ck.size = sizeof(a->ck);
		a->ck.flags = pl->flags;
		a->ck.partition_mask = pl->arg;
		a->usize = sizeof(a->ck);
	} else {
		a->uarg = u64_to_user_ptr(pl->arg);
		ret = vgc_checkpoint_copy_in(a->uarg, &a->ck, &a->usize);
	}
	if (ret)
		goto fail;
	a->ioucmd = ioucmd;
	atomic_set(&a->state, VGC_UA_QUEUED);
	*vgc_uring_pdu(ioucmd) = a;
	/*
	 * Only when issued under the ring lock: then neither cancellation
	 * nor the completion task-work can run before we return.
	 */
	if (!(issue_flags & IO_URING_F_UNLOCKED))
		vgc_uring_mark_cancelable(ioucmd, issue_flags);
	ret = vgc_checkpoint_start(arena, &a->ck, vgc_uring_ckpt_done, a);
	if (!ret)
		return -EIOCBQUEUED;
	*vgc_uring_pdu(ioucmd) = NULL;
fail:
	kfree(a);
	return ret;
}

/*
 * VGC_URING_OBJ / VGC_URING_BATCH: vgc_batch_one() is the ioctl's own
 * per-object step, checks in the ioctl's order, so both paths agree.
 */
static long vgc_uring_objects(struct vgc_arena *arena,
			      const struct vgc_uring_cmd *pl, bool batch,
			      u32 *done)
{
	u64 buf[VGC_URING_CHUNK];
	const u64 __user *uidx;
	u32 off, n, k;
	int ret;

	*done = 0;
	/* The payload's flags field carries the op; there are no flags. */
	ret = vgc_core_batch_check(pl->flags, 0, batch ? pl->count : 0);
	if (ret)
		return ret;
	if (!batch) {
		if (pl->count)
			return -EINVAL;
		down_read(&arena->fork_sem);
		ret = vgc_batch_one(arena, pl->flags, pl->arg);
		up_read(&arena->fork_sem);
		*done = !ret;
		return ret;
	}
	uidx = u64_to_user_ptr(pl->arg);
	for (off = 0; off < pl->count; off += n) {
		n = min_t(u32, pl->count - off, VGC_URING_CHUNK);
		if (copy_from_user(buf, uidx + off, n * sizeof(u64)))
			return -EFAULT;
		ret = 0;
		/* Not across the user copy, which may fault on the arena. */
		down_read(&arena->fork_sem);
		for (k = 0; k < n; k++) {
			ret = vgc_batch_one(arena, pl->flags, buf[k]);
			if (ret)
				break;
			(*done)++;
		}
		up_read(&arena->fork_sem);
		if (ret)
			return ret;
		if (off + n < pl->count)
			cond_resched();
	}
	return 0;
}

static long vgc_uring_issue(struct io_uring_cmd *ioucmd,
			    const struct vgc_uring_cmd *pl,
			    unsigned int issue_flags, u64 *res2)
{
	struct file *file = ioucmd->file;
	u32 op = ioucmd->cmd_op;
	unsigned int nr = _IOC_NR(op);
	struct vgc_arena *arena;
	u32 done;
	long ret;

	if (_IOC_TYPE(op) != VGC_IOC_MAGIC)
		return -ENOTTY;

	switch (op) {
	case VGC_URING_OBJ:
	case VGC_URING_BATCH:
		arena = vgc_file_arena(file);
		if (!arena)
			return -ENXIO;
		ret = vgc_uring_objects(arena, pl, op == VGC_URING_BATCH,
					&done);
		*res2 = done;
		return ret;
	case VGC_URING_CHECKPOINT:
		arena = vgc_file_arena(file);
		if (!arena)
			return -ENXIO;
		return vgc_uring_ckpt(ioucmd, arena, pl, true, issue_flags);
	}

	/* Every other number is the ioctl's: unknown ones get its -ENOTTY. */
	if (pl->flags || pl->count)
		return -EINVAL;

	switch (nr) {
	case _IOC_NR(VGC_IOC_CHECKPOINT):
		arena = vgc_file_arena(file);
		if (!arena)
			return -ENXIO;
		return vgc_uring_ckpt(ioucmd, arena, pl, false, issue_flags);
	case _IOC_NR(VGC_IOC_THREAD_REGISTER):
	case _IOC_NR(VGC_IOC_THREAD_UNREGISTER):
		/* A slot belongs to a task; io_uring's threads are not it. */
		if (current->flags & PF_IO_WORKER)
			return -EOPNOTSUPP;
		break;
	}
	return vgc_cmd_dispatch(file, nr, u64_to_user_ptr(pl->arg));
}

int vgc_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct vgc_uring_cmd *sqe_pl;
	struct vgc_uring_cmd pl;
	u64 res2 = 0;
	long ret;

	if (vgc_uring_is_cancel(issue_flags))
		return vgc_uring_cancel(ioucmd, issue_flags);

	*vgc_uring_pdu(ioucmd) = NULL;
	sqe_pl = vgc_uring_payload(ioucmd);
	pl.arg = READ_ONCE(sqe_pl->arg);
	pl.flags = READ_ONCE(sqe_pl->flags);
	pl.count = READ_ONCE(sqe_pl->count);

	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv((const u8 *)sqe_pl + VGC_URING_CMD_SIZE, 0,
		       VGC_URING_SQE128_EXTRA))
		ret = -EINVAL;
	else
		ret = vgc_uring_issue(ioucmd, &pl, issue_flags, &res2);
	if (ret == -EIOCBQUEUED)
		return ret;
	io_uring_cmd_done(ioucmd, ret, res2, issue_flags);
	return -EIOCBQUEUED;
}
