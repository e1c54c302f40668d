// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The paths without a ring.  Where io_uring passthrough is missing each
 * command is one ioctl at submit; on the anonymous backend (no /dev/vgc)
 * the library runs each command itself, with the module's checks (the
 * shared core's).  Results wait in a FIFO until reaped, as CQEs would.
 */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/ioctl.h>

#include "uring_int.h"

/* ---- the ioctl path ----------------------------------------------------- */

static int sys_ioctl(int fd, unsigned long ioc, void *arg)
{
	int r;

	if (fd < 0)
		return -ENODEV;
	r = ioctl(fd, ioc, arg);
	return r < 0 ? -errno : r;
}

/*
 * VGC_IOC_BATCH reports a failing object both as the ioctl's return value
 * and in "error"; a failure of the call itself (bad struct) only as the
 * return value.  Either way the first error is the result.
 */
static void run_batch(struct vgc_uring *u, const struct ucmd *c,
		      struct vgc_uring_result *r)
{
	struct vgc_batch b;
	uint64_t one = c->pl.arg;
	int ret;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.op = c->pl.flags;
	if (c->kind == UK_OBJ) {
		b.count = 1;
		b.indices_ptr = (uint64_t)(uintptr_t)&one;
	} else {
		b.count = c->pl.count;
		b.indices_ptr = c->pl.arg;
	}
	ret = sys_ioctl(u->fd, VGC_IOC_BATCH, &b);
	r->done = b.done;
	if (ret)
		r->res = ret;
	else
		r->res = b.error > 0 ? -b.error : b.error;
}

static void run_ckpt(struct vgc_uring *u, const struct ucmd *c,
		     struct vgc_uring_result *r)
{
	struct vgc_checkpoint ck;

	memset(&ck, 0, sizeof(ck));
	ck.size = sizeof(ck);
	ck.flags = c->pl.flags;
	ck.partition_mask = c->pl.arg;
	r->res = sys_ioctl(u->fd, VGC_IOC_CHECKPOINT, &ck);
	if (!r->res)
		r->aux = ck.gp_seq;
	else if (r->res == -EAGAIN)
		r->aux = (uint64_t)ck.blocker_tid << 32 | ck.blocker_slot;
}

/* ---- the library path (no /dev/vgc: the anonymous backend) ------------ */

static int lib_obj(struct vgc_arena *a, unsigned int op, uint64_t index)
{
	const void *p = vgc_object_at(a, index);

	if (!p)
		return -EINVAL;
	switch (op) {
	case VGC_BATCH_RELEASE:
		return vgc_release(a, p);
	case VGC_BATCH_PIN:
		return vgc_pin(a, p);
	case VGC_BATCH_TOUCH:
		return vgc_touch(a, p);
	case VGC_BATCH_MUTATE:
		return vgc_mutate(a, p);
	case VGC_BATCH_KEEP:
		return vgc_keep(a, p);
	case VGC_BATCH_PROMOTE:
		return vgc_promote(a, p);
	case VGC_BATCH_DEMOTE:
		return vgc_demote(a, p);
	}
	return -EINVAL;
}

/* The module's checks (the shared core's), in its order. */
static void lib_objects(struct vgc_uring *u, const struct ucmd *c,
			struct vgc_uring_result *r)
{
	const uint64_t *idx = (const uint64_t *)(uintptr_t)c->pl.arg;
	unsigned int op = c->pl.flags;
	uint32_t i;

	r->res = vgc_core_batch_check(op, 0,
				      c->kind == UK_OBJ ? 0 : c->pl.count);
	if (r->res)
		return;
	if (c->kind == UK_OBJ) {
		r->res = lib_obj(u->arena, op, c->pl.arg);
		r->done = !r->res;
		return;
	}
	if (c->pl.count && !idx) {
		r->res = -EFAULT;
		return;
	}
	for (i = 0; i < c->pl.count; i++) {
		r->res = lib_obj(u->arena, op, idx[i]);
		if (r->res)
			return;
		r->done++;
	}
}

static int lib_ckpt(struct vgc_arena *a, unsigned int flags, uint64_t mask,
		    struct vgc_checkpoint *ck)
{
	struct vgc_ckpt_opts o = { .partition_mask = mask, .flags = flags };

	return vgc_checkpoint(a, &o, ck);
}

static void lib_one(struct vgc_uring *u, const struct ucmd *c,
		    struct vgc_uring_result *r)
{
	struct vgc_checkpoint ck;

	switch (c->kind) {
	case UK_OBJ:
	case UK_BATCH:
		lib_objects(u, c, r);
		return;
	case UK_CKPT:
		memset(&ck, 0, sizeof(ck));
		r->res = lib_ckpt(u->arena, c->pl.flags, c->pl.arg, &ck);
		if (!r->res)
			r->aux = ck.gp_seq;
		else if (r->res == -EAGAIN)
			r->aux = (uint64_t)ck.blocker_tid << 32 |
				 ck.blocker_slot;
		return;
	case UK_IOCTL:
		break;
	}
	if (!c->arg) {
		r->res = -EFAULT;
		return;
	}
	switch (_IOC_NR(c->ioc)) {
	case _IOC_NR(VGC_IOC_GET_STATS):
		r->res = vgc_arena_stats(u->arena, c->arg);
		return;
	case _IOC_NR(VGC_IOC_CHECKPOINT): {
		struct vgc_checkpoint *in = c->arg;

		r->res = lib_ckpt(u->arena, in->flags, in->partition_mask,
				  in);
		return;
	}
	}
	/* the rest needs the module: versions, layouts, quorum, growth */
	r->res = -EOPNOTSUPP;
}

static void run_one(struct vgc_uring *u, const struct ucmd *c,
		    struct vgc_uring_result *r)
{
	memset(r, 0, sizeof(*r));
	r->user_data = c->user_data;
	if (u->path == VGC_URING_PATH_LIBRARY) {
		lib_one(u, c, r);
		return;
	}
	switch (c->kind) {
	case UK_IOCTL:
		r->res = sys_ioctl(u->fd, c->ioc, c->arg);
		break;
	case UK_OBJ:
	case UK_BATCH:
		run_batch(u, c, r);
		break;
	case UK_CKPT:
		run_ckpt(u, c, r);
		break;
	}
	vgcu_uring_note_blocker(u, c, r);
}

int vgcu_uring_sync_submit(struct vgc_uring *u)
{
	unsigned int i, n = u->pend_n;

	for (i = 0; i < n; i++) {
		unsigned int tail = (u->done_head + u->done_n) % u->depth;

		run_one(u, &u->slot[u->pend[i]], &u->done_q[tail]);
		u->done_slot[tail] = u->pend[i];
		u->done_n++;
	}
	u->pend_n = 0;
	u->queued = 0;
	u->inflight += n;
	return (int)n;
}

int vgcu_uring_sync_reap(struct vgc_uring *u, struct vgc_uring_result *out,
			 unsigned int max)
{
	unsigned int n = 0;

	while (n < max && u->done_n) {
		vgcu_uring_slot_put(u, u->done_slot[u->done_head]);
		out[n++] = u->done_q[u->done_head];
		u->done_head = (u->done_head + 1) % u->depth;
		u->done_n--;
	}
	u->inflight -= n;
	return (int)n;
}
