/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgcu: the user-space side of VGC.
 *
 * An arena is three zones (Red, Green, Blue), each split into one region per
 * partition (one partition per participating CPU) and each region into
 * Gen0/Gen1/Gen2 segments.  Objects are allocated from the calling thread's
 * partition, live in the checkpoint bit-planes of <linux/vgc.h>, and are
 * reclaimed at checkpoints once the grace periods of DESIGN section 3 have
 * passed.
 *
 * Every call that can fail returns 0 (or a non-negative value) on success
 * and a negative errno value on failure; vgc_strerror() explains it.
 * Calls that return pointers return NULL and set errno.
 */
#ifndef VGCU_H
#define VGCU_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vgc.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vgc_arena;

enum vgc_backend {
	VGC_BACKEND_AUTO = 0,	/* module if /dev/vgc works, else anonymous */
	VGC_BACKEND_MODULE,	/* /dev/vgc: contiguous, node-local, kernel sweeps */
	VGC_BACKEND_ANON,	/* mmap + mbind: no contiguity, no kernel help */
};

struct vgc_config {
	enum vgc_backend backend;	/* AUTO honours $VGC_BACKEND=module|anon */
	unsigned int flags;		/* VGC_ARENA_F_* */
	unsigned int nr_partitions;	/* 0: one per CPU the process may use */
	unsigned int cpus[VGC_MAX_PARTITIONS];	/* used when nr_partitions */
	uint64_t zone_bytes[VGC_NR_ZONES];	/* per partition */
	uint64_t zone_reserve_bytes[VGC_NR_ZONES]; /* per partition, growth */
	unsigned int gen_permille[VGC_NR_GENS];	/* 0,0,0: 500/300/200 */
	unsigned int blue_every, gen1_every, gen2_every; /* 0: 4, 4, 16 */
};

/* Fills cfg with defaults: AUTO backend, all allowed CPUs, 1 MiB zones. */
void vgc_config_init(struct vgc_config *cfg);

int vgc_arena_open(const struct vgc_config *cfg, struct vgc_arena **out);
void vgc_arena_close(struct vgc_arena *a);

enum vgc_backend vgc_arena_backend(const struct vgc_arena *a);
const char *vgc_backend_name(enum vgc_backend b);
/* Why the backend was chosen (e.g. "/dev/vgc: No such file or directory"). */
const char *vgc_backend_reason(const struct vgc_arena *a);
/* The module's fd, or -1 on the anonymous backend. */
int vgc_arena_fd(const struct vgc_arena *a);

const char *vgc_strerror(int err);

/* Layout, as the module (or the anonymous backend) describes it. */
const struct vgc_layout *vgc_arena_layout(const struct vgc_arena *a);
const struct vgc_region *vgc_arena_region(const struct vgc_arena *a,
					  unsigned int zone,
					  unsigned int partition);
unsigned int vgc_arena_partitions(const struct vgc_arena *a);
void *vgc_arena_base(const struct vgc_arena *a);	/* granule 0 */
const struct vgc_ctrl *vgc_arena_ctrl(const struct vgc_arena *a);
uint64_t *vgc_arena_plane(const struct vgc_arena *a, enum vgc_plane plane);

/* ---- threads and grace periods ---------------------------------------- */

/*
 * A thread's partition is the one it registered with; an unregistered
 * thread allocates from the partition whose CPU it runs on (sched_getcpu),
 * or partition 0 when none matches.  partition < 0: pick by current CPU.
 */
int vgc_thread_register(struct vgc_arena *a, int partition);
int vgc_thread_unregister(struct vgc_arena *a);
int vgc_thread_partition(struct vgc_arena *a);
/* Quiescent state: the thread holds no reference into the arena now. */
void vgc_quiescent(struct vgc_arena *a);
/* Around blocking calls: offline threads never hold up a checkpoint. */
void vgc_thread_offline(struct vgc_arena *a);
void vgc_thread_online(struct vgc_arena *a);

/* ---- objects ------------------------------------------------------------ */

#define VGC_ALLOC_F_PERSISTENT	(1U << 0)	/* pin at allocation */

/*
 * Allocates size bytes (rounded up to 16) in zone/gen of the calling
 * thread's partition.  Lock-free.  Returns NULL with errno = ENOMEM when
 * the region is full, E2BIG beyond VGC_SPAN_SIZE, EINVAL on bad zone/gen.
 */
void *vgc_alloc(struct vgc_arena *a, size_t size, enum vgc_zone zone);
void *vgc_alloc_gen(struct vgc_arena *a, size_t size, enum vgc_zone zone,
		    enum vgc_gen gen, unsigned int flags);

struct vgc_objinfo {
	uint64_t index;		/* (addr - base) >> 4 */
	unsigned int zone, partition, gen;
	unsigned int state;	/* enum vgc_state */
	unsigned int valid;
	size_t size;		/* the size class in bytes */
};

/* O(1): shifts and boundary comparisons.  -EINVAL outside the arena. */
int vgc_locate(const struct vgc_arena *a, const void *p,
	       struct vgc_objinfo *out);
/* The object's state code (0..7), or -EINVAL when p is not an object. */
int vgc_state(const struct vgc_arena *a, const void *p);

int vgc_touch(struct vgc_arena *a, const void *p);
int vgc_mutate(struct vgc_arena *a, const void *p);
/* -> Persistent at the next checkpoint. */
int vgc_pin(struct vgc_arena *a, const void *p);
/*
 * The object is unreachable for the runtime: Deferred at the next
 * checkpoint, reclaimed two grace periods later.  -EALREADY when released
 * twice, -EPERM for a Persistent object, -EINVAL for a free slot.
 */
int vgc_release(struct vgc_arena *a, const void *p);
/* Decline a 010/011 candidate: back to Active at the next checkpoint. */
int vgc_keep(struct vgc_arena *a, const void *p);

/* ---- checkpoints -------------------------------------------------------- */

struct vgc_ckpt_opts {
	uint64_t partition_mask;	/* 0: all */
	unsigned int flags;		/* VGC_CKPT_F_* */
};

/*
 * Completes a grace period and sweeps.  On the module backend the kernel
 * sweeps each partition on its own CPU; on the anonymous backend the
 * library does.  -EAGAIN when a registered online thread has not announced
 * a quiescent state since the last checkpoint (vgc_blocker() names it).
 */
int vgc_checkpoint(struct vgc_arena *a, const struct vgc_ckpt_opts *opts,
		   struct vgc_checkpoint *result);
/* The slot and tid that blocked the last -EAGAIN checkpoint. */
int vgc_blocker(const struct vgc_arena *a, unsigned int *slot,
		unsigned int *tid);

/* Statistics of one region, from the control page. */
const struct vgc_region_stats *vgc_region_stats(const struct vgc_arena *a,
						unsigned int zone,
						unsigned int partition);

#ifdef __cplusplus
}
#endif

#endif /* VGCU_H */
