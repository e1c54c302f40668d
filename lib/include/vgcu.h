/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgcu: the user-space side of VGC.
 *
 * An arena is three zones (Red, Green, Blue), each split into one region per
 * partition (one partition per participating CPU) and each region into
 * Gen0/Gen1/Gen2 segments.  Objects are allocated from the calling thread's
 * partition, live in the checkpoint bit-planes of <linux/vgc.h>, and are
 * reclaimed at checkpoints once the grace periods of docs/design.md, Grace
 * periods have passed.
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

/*
 * libvgcu is built with -fvisibility=hidden; what this header (and the other
 * public vgcu_*.h headers, with VGCU_API or the same pragma) declares is
 * what the shared object exports.
 */
#define VGCU_API __attribute__((visibility("default")))
#pragma GCC visibility push(default)

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

/*
 * Opens an arena (cfg NULL: defaults).  Backend: AUTO takes the module when
 * /dev/vgc opens and answers VGC_IOC_GET_VERSION with our ABI, else the
 * anonymous backend; with AUTO, $VGC_BACKEND=module forces the module (and
 * fails with its error when it is not there) and $VGC_BACKEND=anon the
 * anonymous backend.  Partitions default to the CPUs of the process's
 * affinity mask (sched_getaffinity), so taskset and numactl --cpunodebind
 * constrain them; on the anonymous backend each region is bound
 * (MPOL_PREFERRED) to the node of its partition's CPU.
 */
int vgc_arena_open(const struct vgc_config *cfg, struct vgc_arena **out);
/* No other thread may use the arena during or after the close. */
void vgc_arena_close(struct vgc_arena *a);

enum vgc_backend vgc_arena_backend(const struct vgc_arena *a);
const char *vgc_backend_name(enum vgc_backend b);
/* "auto", "module" or "anon" -> *out; -EINVAL otherwise. */
int vgc_backend_parse(const char *name, enum vgc_backend *out);
/* Why the backend was chosen (e.g. "/dev/vgc: No such file or directory"). */
const char *vgc_backend_reason(const struct vgc_arena *a);
/*
 * The loaded module's version, features, limit and usage, without an arena:
 * -ENOENT without /dev/vgc; -EPROTO (another ABI version) and -ENODEV (no
 * arena support) still fill *v, for diagnostics.
 */
int vgc_module_version(struct vgc_version *v);
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
/* The span table: size class in granules of each span, 0 = not carved. */
const uint16_t *vgc_arena_spans(const struct vgc_arena *a);

/* ---- threads and grace periods ---------------------------------------- */

/*
 * A thread's partition is the one it registered with; an unregistered
 * thread allocates from the partition whose CPU it runs on (sched_getcpu),
 * or partition 0 when none matches.  partition < 0: pick by current CPU.
 *
 * Only registered threads are protected by grace periods: an object a
 * registered thread can still reach is not reused before that thread has
 * announced a quiescent state.  Registration counts as one.  A thread may
 * be registered with several arenas.  -EEXIST when registered already,
 * -ERANGE for a partition out of range, -EBUSY when all VGC_MAX_THREADS
 * slots are taken; unregister: -ESRCH when not registered.  A thread that
 * exits is unregistered (library on both backends; the kernel also drops
 * the slots of killed processes).  A fork()ed child starts unregistered.
 */
int vgc_thread_register(struct vgc_arena *a, int partition);
int vgc_thread_unregister(struct vgc_arena *a);
int vgc_thread_partition(struct vgc_arena *a);
/*
 * Quiescent state: the thread holds no reference into the arena now.  One
 * release store to the thread's own slot (no syscall).  A registered
 * thread that runs checkpoints itself announces one before each.
 */
void vgc_quiescent(struct vgc_arena *a);
/* Around blocking calls: offline threads never hold up a checkpoint. */
void vgc_thread_offline(struct vgc_arena *a);
void vgc_thread_online(struct vgc_arena *a);

/* ---- objects ------------------------------------------------------------ */

#define VGC_ALLOC_F_PERSISTENT	(1U << 0)	/* pin at allocation */

/*
 * Allocates size bytes (rounded up to its size class) in zone/gen of the
 * calling thread's partition.  Lock-free: one atomic bit-test-and-set of
 * the slot's VALID bit in the common case; the object is Active (001) at
 * once.  The memory is not cleared.  Returns NULL with errno = ENOMEM when
 * the generation has no free slot of the class (a released object's slot
 * is free again at the fourth checkpoint after the release), E2BIG beyond
 * VGC_MAX_OBJECT_SIZE, EINVAL on bad size/zone/gen/flags.  Spans keep the
 * class they were first carved for.
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

/*
 * O(1): subtraction and shifts give the index and span, a per-span table
 * built from the layout gives (zone, partition, gen), the span's class
 * gives the object's head (interior pointers resolve to their object).
 * -EINVAL outside the arena's committed regions.  valid = 0 for a free
 * slot (state then reads 001, the free preset).
 */
int vgc_locate(const struct vgc_arena *a, const void *p,
	       struct vgc_objinfo *out);
/* The object's state code (0..7), or -EINVAL when p is not an object. */
int vgc_state(const struct vgc_arena *a, const void *p);

int vgc_touch(struct vgc_arena *a, const void *p);
int vgc_mutate(struct vgc_arena *a, const void *p);
/* -> Persistent at the next checkpoint. */
int vgc_pin(struct vgc_arena *a, const void *p);
/*
 * The object is unreachable for the runtime: Deferred (101) at the next
 * checkpoint, Marked (110) at the second, Expired (111) at the third and
 * its slot free at the fourth, so never reused before two grace periods
 * have completed after the release.  -EALREADY when released twice, -EPERM
 * for a Persistent object, -EINVAL for a free slot.
 */
int vgc_release(struct vgc_arena *a, const void *p);
/* Decline a 010/011 candidate: back to Active at the next checkpoint. */
int vgc_keep(struct vgc_arena *a, const void *p);
/* Classifier requests: 000/001 -> 010 / 011 at the next checkpoint. */
int vgc_promote(struct vgc_arena *a, const void *p);
int vgc_demote(struct vgc_arena *a, const void *p);
/*
 * Errors of the request calls, the same as VGC_IOC_BATCH's:
 *   all:      -EINVAL  p outside the arena or not a live object (VALID 0)
 *   release:  -EPERM   Persistent (100)
 *             -EALREADY release pending, Deferred, Marked or Expired
 *   keep:     -EINVAL  unless the object is 010 or 011
 *   promote/demote: -EINVAL unless the object is 000 or 001
 *   pin, touch, mutate: only the -EINVAL above
 * Requests that do not apply when the checkpoint folds them (a pin on a
 * released object, a release racing with the fold of an earlier one) are
 * dropped and counted in vgc_sweep_counts.dropped.  Interior pointers
 * resolve to their object.
 */

/* Bytes of the object's size class; 0 when p is not a live object. */
size_t vgc_usable_size(const struct vgc_arena *a, const void *p);
/* Address of granule index (the inverse of vgc_locate's index). */
void *vgc_object_at(const struct vgc_arena *a, uint64_t index);

/* ---- checkpoints -------------------------------------------------------- */

struct vgc_ckpt_opts {
	uint64_t partition_mask;	/* 0: all */
	unsigned int flags;		/* VGC_CKPT_F_* */
};

/*
 * Completes a grace period and sweeps.  On the module backend the kernel
 * sweeps each partition on its own CPU; on the anonymous backend the
 * library does, in the calling thread, with the same counters and ctrl
 * statistics.  -EAGAIN when a registered online thread has not announced
 * a quiescent state since the last checkpoint (vgc_blocker() names it);
 * -EINVAL for unknown flags or partitions out of range.  result (may be
 * NULL) gets the counts, gp_seq and the zones/gens evaluated.  Expired
 * objects are reclaimed eagerly by the sweep (S = 001, then VALID cleared).
 */
int vgc_checkpoint(struct vgc_arena *a, const struct vgc_ckpt_opts *opts,
		   struct vgc_checkpoint *result);
/* The slot and tid that blocked the last -EAGAIN checkpoint. */
int vgc_blocker(const struct vgc_arena *a, unsigned int *slot,
		unsigned int *tid);

/*
 * Commits bytes (rounded up to whole spans) of the region's reserve
 * (vgc_config.zone_reserve_bytes) at the end of its Gen0.  -ENOSPC beyond
 * the reserve (or the module's memory limit).  committed_bytes (may be
 * NULL) receives the region's new committed size.
 */
int vgc_grow(struct vgc_arena *a, unsigned int zone, unsigned int partition,
	     uint64_t bytes, uint64_t *committed_bytes);

/* Statistics of one region, from the control page. */
const struct vgc_region_stats *vgc_region_stats(const struct vgc_arena *a,
						unsigned int zone,
						unsigned int partition);

/* ---- size classes ------------------------------------------------------ */

/*
 * Object sizes are rounded up to a size class, in granules of 16 bytes:
 * 1..8 one by one, then four classes per doubling (10 12 14 16, 20 24 28
 * 32, 40 48 56 64, ... 2560 3072 3584 4096), 44 classes, at most 25 %
 * internal waste above 8 granules.  A span of 64 KiB holds objects of one
 * class: slot k starts at granule k * class of the span.
 */
#define VGC_NR_CLASSES		44
#define VGC_MAX_OBJECT_SIZE	VGC_SPAN_SIZE

/* Class index of size bytes, or -E2BIG / -EINVAL (size 0). */
int vgc_size_class(size_t size);
/* Granules of class index cls (0..VGC_NR_CLASSES-1), 0 when out of range. */
unsigned int vgc_class_granules(unsigned int cls);

/* ---- occupancy ----------------------------------------------------------- */

struct vgc_usage {
	uint64_t spans;			/* committed spans */
	uint64_t spans_used;		/* spans carved into a size class */
	uint64_t slots;			/* object slots in carved spans */
	uint64_t live;			/* valid objects */
	uint64_t live_bytes;		/* their size classes, in bytes */
	uint64_t pending;		/* valid, released: 101/110/111 or request */
	uint64_t states[VGC_NR_STATES];	/* valid objects per state code */
};

/*
 * Scans the planes of one region (gens: mask of generations, 0 = all).
 * A snapshot: concurrent allocations and sweeps may or may not be seen.
 */
int vgc_region_usage(const struct vgc_arena *a, unsigned int zone,
		     unsigned int partition, unsigned int gens,
		     struct vgc_usage *u);

/* Arena-wide counters (VGC_IOC_GET_STATS, or the library's own). */
int vgc_arena_stats(const struct vgc_arena *a, struct vgc_stats *st);

/* ---- sweeps, below the checkpoint ------------------------------------- */

enum vgc_sweep_impl {
	VGC_SWEEP_AUTO = 0,	/* $VGC_SWEEP=scalar|avx2, else the best */
	VGC_SWEEP_SCALAR,
	VGC_SWEEP_AVX2,
};

/*
 * n consecutive words of the planes of one span or segment.  The kernel
 * routines read v and a, rewrite s0..s2 in place, leave in r/p/k/promote/
 * demote the requests outside z (to be ORed back), write the mask of
 * reclaimed objects per word, add the transition counts (all but
 * reclaimed_bytes) to *counts and the next-state population of valid
 * objects to hist[8].  Results are bit-identical to vgc_sweep_word().
 */
struct vgc_sweep_block {
	unsigned int n;
	unsigned int pad;
	uint64_t z;			/* zone activation mask, every word */
	const uint64_t *v, *a;
	uint64_t *s0, *s1, *s2;
	uint64_t *r, *p, *k, *promote, *demote;
	uint64_t *reclaimed;
	struct vgc_sweep_counts *counts;
	uint64_t *hist;
};

/* -EOPNOTSUPP when impl is not available on this CPU. */
int vgc_sweep_block_run(enum vgc_sweep_impl impl, struct vgc_sweep_block *b);
/* The implementation AUTO resolves to now, and its name. */
enum vgc_sweep_impl vgc_sweep_default(void);
const char *vgc_sweep_impl_name(enum vgc_sweep_impl impl);

/*
 * Sweeps one partition in the calling thread with the library's code, on
 * either backend: zones and gens are masks (bit per zone / generation, 0 =
 * all).  No grace period is taken and, on the module backend, no kernel
 * statistics are written: this is the library half of a kernel-vs-library
 * comparison, and the caller must keep kernel checkpoints of the arena out
 * of the way while it runs.  counts (may be NULL) receives the sum.
 */
int vgc_sweep_partition(struct vgc_arena *a, unsigned int partition,
			unsigned int zones, unsigned int gens,
			enum vgc_sweep_impl impl,
			struct vgc_sweep_counts *counts);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VGCU_H */
