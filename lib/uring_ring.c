// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The io_uring path: each CQE's user_data names the command slot, which
 * turns the CQE into a vgc_uring_result the way the ioctl path turns an
 * ioctl's output into one.  CQE32 rings carry a batch's count of done
 * requests and a checkpoint's blocker in big_cqe[0].
 */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/ioctl.h>

#include "uring_int.h"

/* vgc_blocker() names the blocker of the last -EAGAIN checkpoint. */
void vgcu_uring_note_blocker(struct vgc_uring *u, const struct ucmd *c,
			     const struct vgc_uring_result *r)
{
	const struct vgc_checkpoint *ck = c->arg;

	if (!u->arena || r->res != -EAGAIN)
		return;
	if (c->kind == UK_CKPT && (u->setup_flags & IORING_SETUP_CQE32 ||
				   u->path != VGC_URING_PATH_URING)) {
		u->arena->blocker_slot = (uint32_t)r->aux;
		u->arena->blocker_tid = (uint32_t)(r->aux >> 32);
	} else if (c->kind == UK_IOCTL && ck &&
		   _IOC_NR(c->ioc) == _IOC_NR(VGC_IOC_CHECKPOINT)) {
		u->arena->blocker_slot = ck->blocker_slot;
		u->arena->blocker_tid = ck->blocker_tid;
	}
}

static void cqe_result(struct vgc_uring *u, const struct io_uring_cqe *cqe,
		       struct vgc_uring_result *r)
{
	uint32_t id = (uint32_t)cqe->user_data;
	const struct ucmd *c = &u->slot[id];
	int big = !!(u->setup_flags & IORING_SETUP_CQE32);

	r->user_data = c->user_data;
	r->res = cqe->res;
	r->done = 0;
	r->aux = 0;
	switch (c->kind) {
	case UK_IOCTL:
		break;
	case UK_OBJ:
		r->done = !cqe->res;
		break;
	case UK_BATCH:
		if (big)
			r->done = (uint32_t)cqe->big_cqe[0];
		else if (!cqe->res)
			r->done = c->pl.count;
		break;
	case UK_CKPT:
		if (big)
			r->aux = cqe->big_cqe[0];
		break;
	}
	vgcu_uring_note_blocker(u, c, r);
	vgcu_uring_slot_put(u, id);
}

int vgcu_uring_ring_reap(struct vgc_uring *u, struct vgc_uring_result *out,
			 unsigned int max, unsigned int min)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret;

	if (min > max)
		min = max;
	if (min > u->inflight)
		min = u->inflight;
	if (min && io_uring_cq_ready(&u->ring) < min) {
		ret = io_uring_wait_cqe_nr(&u->ring, &cqe, min);
		if (ret < 0 && ret != -EINTR)
			return ret;
	} else if (!min && u->inflight && !io_uring_cq_ready(&u->ring) &&
		   (u->setup_flags & IORING_SETUP_DEFER_TASKRUN)) {
		/*
		 * Deferred completions (checkpoints) are posted only when
		 * the task asks for events: a poll must ask too.
		 */
		ret = io_uring_get_events(&u->ring);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			return ret;
	}
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		if (n == max)
			break;
		cqe_result(u, cqe, &out[n++]);
	}
	io_uring_cq_advance(&u->ring, n);
	u->inflight -= n;
	return (int)n;
}
