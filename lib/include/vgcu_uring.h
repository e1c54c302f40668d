/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgcu: batched checkpoint commands over io_uring.
 *
 * Commands are queued, handed to the kernel with one submit, and reaped as
 * per-command results.  On the module backend with a kernel and module
 * that take IORING_OP_URING_CMD on /dev/vgc, one io_uring_enter carries the
 * whole batch; otherwise (no io_uring, io_uring disabled, module without
 * VGC_FEAT_URING_CMD, the anonymous backend has no fd) the same calls run
 * one ioctl per command, and vgc_uring_path()/vgc_uring_reason() say so.
 * Results are identical on both paths.  On the anonymous backend (no
 * /dev/vgc) object commands, checkpoints and VGC_IOC_GET_STATS run as the
 * library's own calls (vgc_touch(), vgc_checkpoint(), ...) with the same
 * errors; commands that need the module get -EOPNOTSUPP.
 *
 * A struct vgc_uring belongs to the thread that opened it (the ring is set
 * up with IORING_SETUP_SINGLE_ISSUER where the kernel accepts it); open one
 * per thread.  Argument structs and index arrays handed to the queue calls
 * must stay valid until their result has been reaped.
 */
#ifndef VGCU_URING_H
#define VGCU_URING_H

#include <stdint.h>
#include <linux/vgc.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vgc_arena;
struct vgc_uring;

enum vgc_uring_path {
	VGC_URING_PATH_URING = 1,	/* IORING_OP_URING_CMD batches */
	VGC_URING_PATH_IOCTL = 2,	/* one ioctl per command */
	VGC_URING_PATH_LIBRARY = 3,	/* no /dev/vgc: library calls */
};

/* vgc_uring_open() flags */
#define VGC_URING_F_IOCTL	(1U << 0)	/* use the ioctl path anyway */
#define VGC_URING_F_PLAIN_RING	(1U << 1)	/* no SINGLE_ISSUER/DEFER_TASKRUN */

/**
 * vgc_uring_open() - open a command queue on an arena
 * @a: the arena
 * @depth: commands that may be queued and in flight at once (rounded up to
 *	a power of two, 1..4096; 0 selects 256)
 * @flags: %VGC_URING_F_*
 * @out: receives the queue
 *
 * Picks the path once: io_uring when the module has %VGC_FEAT_URING_CMD
 * and a probe through the ring works, else ioctl; the library path on the
 * anonymous backend.  $VGC_URING=ioctl forces the ioctl path as
 * %VGC_URING_F_IOCTL does.  A ring that cannot be set up is not an error:
 * the queue takes the ioctl path and vgc_uring_reason() says why.
 *
 * Return: 0, -EINVAL (@a or @out NULL, @depth above 4096, unknown flags),
 * -ENOMEM.
 */
int vgc_uring_open(struct vgc_arena *a, unsigned int depth,
		   unsigned int flags, struct vgc_uring **out);
/**
 * vgc_uring_open_fd() - open a command queue on a /dev/vgc fd
 * @fd: a /dev/vgc fd that holds an arena (it is not closed)
 * @depth: as vgc_uring_open()
 * @flags: as vgc_uring_open()
 * @out: receives the queue
 *
 * Return: 0, -EINVAL for a negative @fd or as vgc_uring_open(), -ENOMEM.
 */
int vgc_uring_open_fd(int fd, unsigned int depth, unsigned int flags,
		      struct vgc_uring **out);
/**
 * vgc_uring_close() - drain and free a queue
 * @u: the queue, or NULL (nothing happens)
 *
 * Submits what is queued, waits for the commands in flight, then frees
 * everything.
 */
void vgc_uring_close(struct vgc_uring *u);

/**
 * vgc_uring_path() - the path the queue takes
 * @u: the queue
 *
 * Return: enum vgc_uring_path.
 */
enum vgc_uring_path vgc_uring_path(const struct vgc_uring *u);
/**
 * vgc_uring_path_name() - name of a path
 * @p: the path
 *
 * Return: "io_uring", "ioctl", "library", or "unknown".
 */
const char *vgc_uring_path_name(enum vgc_uring_path p);
/**
 * vgc_uring_reason() - why this path
 * @u: the queue
 *
 * Return: the reason, with the ring's setup flags on the io_uring path
 * ("io_uring: SINGLE_ISSUER|...").
 */
const char *vgc_uring_reason(const struct vgc_uring *u);
/**
 * vgc_uring_setup_flags() - IORING_SETUP_* flags of the ring
 * @u: the queue
 *
 * Return: the flags, 0 off the io_uring path.
 */
unsigned int vgc_uring_setup_flags(const struct vgc_uring *u);
/**
 * vgc_uring_space() - room left for queueing
 * @u: the queue
 *
 * Return: depth - queued - in flight (results not reaped count as in
 * flight).
 */
unsigned int vgc_uring_space(const struct vgc_uring *u);

struct vgc_uring_result {
	uint64_t user_data;
	int32_t res;		/* 0 or -errno, as the ioctl returns */
	uint32_t done;		/* object commands: objects applied */
	/*
	 * vgc_uring_queue_checkpoint(): gp_seq after it on success,
	 * blocker_tid << 32 | blocker_slot on -EAGAIN.
	 */
	uint64_t aux;
};

/*
 * Queueing: 0, or -EBUSY when the queue is full (submit and reap first),
 * -EINVAL on arguments the library can tell are wrong without the kernel.
 * Everything else (a bad op, index or count) comes back in the command's
 * result.
 */
/**
 * vgc_uring_queue_ioctl() - queue any VGC_IOC_* command
 * @u: the queue
 * @ioc: the VGC_IOC_* number
 * @arg: its argument struct, as ioctl(2) takes it; it must stay valid until
 *	reaped: the kernel writes outputs there, a checkpoint when it
 *	completes
 * @user_data: returned in the result
 *
 * A queued VGC_IOC_CHECKPOINT samples the zone profile first, as
 * vgc_checkpoint() does.
 *
 * Return: 0, -EBUSY when the queue is full, -EINVAL for @u NULL or an
 * @ioc that is not a VGC command.
 */
int vgc_uring_queue_ioctl(struct vgc_uring *u, unsigned long ioc, void *arg,
			  uint64_t user_data);
/**
 * vgc_uring_queue_obj() - queue one object command, no argument struct
 * @u: the queue
 * @op: enum vgc_batch_op
 * @index: the object index
 * @user_data: returned in the result
 *
 * Return: 0, -EBUSY when the queue is full, -EINVAL for @u NULL.
 */
int vgc_uring_queue_obj(struct vgc_uring *u, unsigned int op, uint64_t index,
			uint64_t user_data);
/**
 * vgc_uring_queue_batch() - queue one op over a vector of objects
 * @u: the queue
 * @op: enum vgc_batch_op
 * @indices: @count object indices; valid until reaped
 * @count: 1..%VGC_BATCH_MAX
 * @user_data: returned in the result
 *
 * The result's done says how many objects were applied.
 *
 * Return: 0, -EBUSY when the queue is full, -EINVAL for @u NULL.
 */
int vgc_uring_queue_batch(struct vgc_uring *u, unsigned int op,
			  const uint64_t *indices, uint32_t count,
			  uint64_t user_data);
/**
 * vgc_uring_queue_checkpoint() - queue a checkpoint, no argument struct
 * @u: the queue
 * @partition_mask: partitions to sweep, 0 = all
 * @flags: %VGC_CKPT_F_*
 * @user_data: returned in the result
 *
 * Samples the zone profile first, as vgc_checkpoint() does.  The result's
 * aux holds gp_seq on success and the blocker on -EAGAIN.
 *
 * Return: 0, -EBUSY when the queue is full, -EINVAL for @u NULL.
 */
int vgc_uring_queue_checkpoint(struct vgc_uring *u, uint64_t partition_mask,
			       unsigned int flags, uint64_t user_data);

/**
 * vgc_uring_submit() - hand every queued command over
 * @u: the queue
 *
 * One system call on the io_uring path; on the ioctl and library paths the
 * commands run here, one by one, and their results wait for
 * vgc_uring_reap().
 *
 * Return: the number submitted, or -EINVAL for @u NULL, or the negative
 * errno of io_uring_submit().
 */
int vgc_uring_submit(struct vgc_uring *u);
/**
 * vgc_uring_reap() - collect results
 * @u: the queue
 * @out: receives up to @max results
 * @max: room at @out
 * @min: wait until at least this many are available (capped by @max and
 *	by what is in flight; 0 polls)
 *
 * Return: the number copied, -EINVAL for @u NULL or @out NULL with @max,
 * or the negative errno of waiting on the ring.
 */
int vgc_uring_reap(struct vgc_uring *u, struct vgc_uring_result *out,
		   unsigned int max, unsigned int min);
/**
 * vgc_uring_run() - submit, then reap every command in flight
 * @u: the queue
 * @out: receives up to @max results
 * @max: room at @out
 *
 * One io_uring_enter submits and waits on the io_uring path.
 *
 * Return: the number of results copied, or -errno as vgc_uring_submit()
 * and vgc_uring_reap().
 */
int vgc_uring_run(struct vgc_uring *u, struct vgc_uring_result *out,
		  unsigned int max);
/**
 * vgc_uring_inflight() - commands submitted whose results are not reaped
 * @u: the queue
 *
 * Return: their number.
 */
unsigned int vgc_uring_inflight(const struct vgc_uring *u);

#ifdef __cplusplus
}
#endif

#endif /* VGCU_URING_H */
