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

/*
 * depth: commands that may be queued and in flight at once (rounded up to
 * a power of two, 1..4096; 0 selects 256).  $VGC_URING=ioctl forces the
 * ioctl path as VGC_URING_F_IOCTL does.
 */
int vgc_uring_open(struct vgc_arena *a, unsigned int depth,
		   unsigned int flags, struct vgc_uring **out);
/* Same on a /dev/vgc fd that holds an arena (the fd is not closed). */
int vgc_uring_open_fd(int fd, unsigned int depth, unsigned int flags,
		      struct vgc_uring **out);
/* Waits for the commands in flight, then frees everything. */
void vgc_uring_close(struct vgc_uring *u);

enum vgc_uring_path vgc_uring_path(const struct vgc_uring *u);
const char *vgc_uring_path_name(enum vgc_uring_path p);
/* Why this path, and the ring's setup flags ("io_uring: SINGLE_ISSUER|..."). */
const char *vgc_uring_reason(const struct vgc_uring *u);
/* IORING_SETUP_* flags of the ring, 0 on the ioctl path. */
unsigned int vgc_uring_setup_flags(const struct vgc_uring *u);
/* Room left for queueing (depth - queued - in flight). */
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
 *
 * vgc_uring_queue_ioctl: any VGC_IOC_* command with its argument struct,
 * as ioctl(2) takes it (arg must stay valid until reaped: the kernel
 * writes outputs there; a checkpoint writes them when it completes).
 */
int vgc_uring_queue_ioctl(struct vgc_uring *u, unsigned long ioc, void *arg,
			  uint64_t user_data);
/* One object, no argument struct: op is enum vgc_batch_op. */
int vgc_uring_queue_obj(struct vgc_uring *u, unsigned int op, uint64_t index,
			uint64_t user_data);
/* count indices (1..VGC_BATCH_MAX) with one op; done says how many applied. */
int vgc_uring_queue_batch(struct vgc_uring *u, unsigned int op,
			  const uint64_t *indices, uint32_t count,
			  uint64_t user_data);
/* A checkpoint of the partitions in mask (0: all), VGC_CKPT_F_* flags. */
int vgc_uring_queue_checkpoint(struct vgc_uring *u, uint64_t partition_mask,
			       unsigned int flags, uint64_t user_data);

/*
 * Hands every queued command to the kernel with one system call (or runs
 * them one ioctl each).  Returns the number submitted or -errno.
 */
int vgc_uring_submit(struct vgc_uring *u);
/*
 * Copies up to max results into out, waiting until at least min are
 * available (min is capped by what is queued or in flight).  Returns the
 * number copied or -errno.
 */
int vgc_uring_reap(struct vgc_uring *u, struct vgc_uring_result *out,
		   unsigned int max, unsigned int min);
/* Submit, then reap every command in flight; results as vgc_uring_reap. */
int vgc_uring_run(struct vgc_uring *u, struct vgc_uring_result *out,
		  unsigned int max);
/* Commands submitted whose results are not reaped yet. */
unsigned int vgc_uring_inflight(const struct vgc_uring *u);

#ifdef __cplusplus
}
#endif

#endif /* VGCU_URING_H */
