/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgcu io_uring batching, internals shared by its files:
 *
 *   uring.c        ring setup, the choice of path, submit and reap
 *   uring_queue.c  command slots and the vgc_uring_queue_*() calls
 *   uring_ring.c   the io_uring path: CQEs into results
 *   uring_sync.c   the paths without a ring: one ioctl per command, or
 *                  the library itself on the anonymous backend
 */
#ifndef VGCU_URING_INT_H
#define VGCU_URING_INT_H

#include <liburing.h>
#include "vgcu.h"
#include "vgcu_int.h"
#include "vgcu_uring.h"

#define URING_MAX_DEPTH	4096U
#define URING_DEF_DEPTH	256U


enum ucmd_kind {
	UK_IOCTL,		/* VGC_IOC_* with its argument struct */
	UK_OBJ,			/* VGC_URING_OBJ */
	UK_BATCH,		/* VGC_URING_BATCH */
	UK_CKPT,		/* VGC_URING_CHECKPOINT */
};

struct ucmd {
	uint64_t user_data;
	unsigned long ioc;	/* UK_IOCTL */
	void *arg;		/* UK_IOCTL */
	struct vgc_uring_cmd pl;
	enum ucmd_kind kind;
};

struct vgc_uring {
	int fd;
	struct vgc_arena *arena;	/* NULL: opened on a bare fd */
	enum vgc_uring_path path;
	unsigned int depth;
	unsigned int setup_flags;
	int have_ring;
	int fixed_fd;			/* the fd is registered file 0 */
	struct io_uring ring;

	struct ucmd *slot;		/* [depth] */
	uint32_t *free_slot;		/* stack of free slot ids */
	unsigned int nr_free;
	unsigned int queued;		/* queued, not submitted */
	unsigned int inflight;		/* submitted, not reaped */

	/* ioctl path: queued slot ids and finished results, FIFOs */
	uint32_t *pend;
	unsigned int pend_n;
	struct vgc_uring_result *done_q;
	uint32_t *done_slot;		/* slot of each result, freed at reap */
	unsigned int done_head, done_n;

	char reason[192];
};

/* uring_queue.c */
void vgcu_uring_slot_put(struct vgc_uring *u, uint32_t id);

/* uring_ring.c */
void vgcu_uring_note_blocker(struct vgc_uring *u, const struct ucmd *c,
			     const struct vgc_uring_result *r);
int vgcu_uring_ring_reap(struct vgc_uring *u, struct vgc_uring_result *out,
			 unsigned int max, unsigned int min);

/* uring_sync.c */
int vgcu_uring_sync_submit(struct vgc_uring *u);
int vgcu_uring_sync_reap(struct vgc_uring *u, struct vgc_uring_result *out,
			 unsigned int max);

#endif /* VGCU_URING_INT_H */
