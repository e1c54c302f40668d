// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Queueing: a command slot per queued or in-flight command remembers what
 * the caller asked for, so that a result can be built from a CQE or from
 * an ioctl's output the same way.  On the io_uring path the SQE is filled
 * here (liburing 2.3 has no uring_cmd helper); the other paths keep a FIFO
 * of slot ids until vgc_uring_submit().
 */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/ioctl.h>

#include "uring_int.h"

static struct ucmd *slot_get(struct vgc_uring *u, uint32_t *id)
{
	if (!u->nr_free)
		return NULL;
	*id = u->free_slot[--u->nr_free];
	return &u->slot[*id];
}

void vgcu_uring_slot_put(struct vgc_uring *u, uint32_t id)
{
	u->free_slot[u->nr_free++] = id;
}

static int queue(struct vgc_uring *u, enum ucmd_kind kind, unsigned long ioc,
		 void *arg, uint32_t cmd_op, uint64_t pl_arg,
		 uint32_t pl_flags, uint32_t pl_count, uint64_t user_data)
{
	struct io_uring_sqe *sqe;
	struct ucmd *c;
	uint32_t id;

	if (!u)
		return -EINVAL;
	c = slot_get(u, &id);
	if (!c)
		return -EBUSY;
	c->user_data = user_data;
	c->kind = kind;
	c->ioc = ioc;
	c->arg = arg;
	c->pl.arg = pl_arg;
	c->pl.flags = pl_flags;
	c->pl.count = pl_count;

	if (u->path != VGC_URING_PATH_URING) {
		u->pend[u->pend_n++] = id;
		u->queued++;
		return 0;
	}
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		vgcu_uring_slot_put(u, id);
		return -EBUSY;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	if (u->fixed_fd) {
		sqe->fd = 0;
		sqe->flags = IOSQE_FIXED_FILE;
	} else {
		sqe->fd = u->fd;
	}
	sqe->cmd_op = cmd_op;
	sqe->user_data = id;
	memcpy(sqe->cmd, &c->pl, sizeof(c->pl));
	u->queued++;
	return 0;
}

/*
 * The arena's policies (the zone profiler) run before every checkpoint,
 * vgc_checkpoint() or queued here alike.
 */
static void before_checkpoint(struct vgc_uring *u, unsigned int flags,
			      uint64_t mask)
{
	struct vgc_ckpt_opts o = { .partition_mask = mask, .flags = flags };

	if (u && u->arena && u->nr_free)
		vgcu_policy_before_checkpoint(u->arena, &o);
}

VGCU_API int vgc_uring_queue_ioctl(struct vgc_uring *u, unsigned long ioc,
				  void *arg, uint64_t user_data)
{
	if (_IOC_TYPE(ioc) != VGC_IOC_MAGIC)
		return -EINVAL;
	if (_IOC_NR(ioc) == _IOC_NR(VGC_IOC_CHECKPOINT) && arg) {
		const struct vgc_checkpoint *c = arg;

		before_checkpoint(u, c->flags, c->partition_mask);
	}
	return queue(u, UK_IOCTL, ioc, arg, (uint32_t)ioc,
		     (uint64_t)(uintptr_t)arg, 0, 0, user_data);
}

VGCU_API int vgc_uring_queue_obj(struct vgc_uring *u, unsigned int op,
				uint64_t index, uint64_t user_data)
{
	return queue(u, UK_OBJ, 0, NULL, VGC_URING_OBJ, index, op, 0,
		     user_data);
}

VGCU_API int vgc_uring_queue_batch(struct vgc_uring *u, unsigned int op,
				  const uint64_t *indices, uint32_t count,
				  uint64_t user_data)
{
	return queue(u, UK_BATCH, 0, NULL, VGC_URING_BATCH,
		     (uint64_t)(uintptr_t)indices, op, count, user_data);
}

VGCU_API int vgc_uring_queue_checkpoint(struct vgc_uring *u,
				       uint64_t partition_mask,
				       unsigned int flags, uint64_t user_data)
{
	before_checkpoint(u, flags, partition_mask);
	return queue(u, UK_CKPT, 0, NULL, VGC_URING_CHECKPOINT,
		     partition_mask, flags, 0, user_data);
}
