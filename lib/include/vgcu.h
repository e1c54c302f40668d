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

/*
 * zone_reserve_bytes: $VGC_RESERVE_MB, else twice the physical memory
 * shared out over the zones and partitions, between 64 MiB and 8 GiB of
 * index space per zone and partition, within the arena's index-space limit (2^38 granules); only
 * what is committed costs memory.
 */
#define VGC_RESERVE_AUTO	UINT64_MAX

/*
 * A flag of struct vgc_config beside the VGC_ARENA_F_* of <linux/vgc.h>:
 * a fork()ed child shares the heap with its parent, the old behaviour
 * (docs/design.md, "fork()"); the same as VGC_ARENA_F_FORK_SHARED, which
 * came later.  Anonymous backend: the arena is MAP_SHARED and its
 * checkpoint locks robust and process-shared.  Module backend: the
 * module is asked for VGC_ARENA_F_FORK_SHARED.  Without it a child gets a
 * copy of the heap, as of malloc memory: copy-on-write on the anonymous
 * backend, a copy the module makes at fork() (VGC_FEAT_FORK_COPY) on the
 * module; a module without that feature shares the arena either way.
 */
#define VGCU_ARENA_F_FORK_SHARED	0x80000000U

struct vgc_config {
	enum vgc_backend backend;	/* AUTO honours $VGC_BACKEND=module|anon */
	unsigned int flags;		/* VGC_ARENA_F_*, VGCU_ARENA_F_* */
	unsigned int nr_partitions;	/* 0: one per CPU the process may use */
	unsigned int cpus[VGC_MAX_PARTITIONS];	/* used when nr_partitions */
	uint64_t zone_bytes[VGC_NR_ZONES];	/* per partition */
	uint64_t zone_reserve_bytes[VGC_NR_ZONES]; /* per partition, growth */
	unsigned int gen_permille[VGC_NR_GENS];	/* 0,0,0: 500/300/200 */
	unsigned int blue_every, gen1_every, gen2_every; /* 0: 4, 4, 16 */
};

/**
 * vgc_config_init() - fill an arena configuration with the defaults
 * @cfg: the configuration to fill
 *
 * AUTO backend, no flags, all allowed CPUs (nr_partitions 0), 1 MiB per
 * zone and partition, a reserve of %VGC_RESERVE_AUTO per zone and
 * partition (the heap grows into it on demand), generation shares
 * 500/300/200 and cadences 4, 4, 16 (all selected by zeros).  A reserve
 * of 0 makes a zone's capacity fixed.
 */
void vgc_config_init(struct vgc_config *cfg);

/**
 * vgc_arena_open() - open an arena on the module or the anonymous backend
 * @cfg: configuration, or NULL for the defaults of vgc_config_init()
 * @out: receives the arena (NULL on failure)
 *
 * Backend: AUTO takes the module when /dev/vgc opens and answers
 * VGC_IOC_GET_VERSION with our ABI, else the anonymous backend; with AUTO,
 * $VGC_BACKEND=module forces the module (and fails with its error when it
 * is not there) and $VGC_BACKEND=anon the anonymous backend.  Partitions
 * default to the CPUs of the process's affinity mask (sched_getaffinity),
 * so taskset and numactl --cpunodebind constrain them; on the anonymous
 * backend each region is bound (MPOL_PREFERRED) to the node of its
 * partition's CPU.
 *
 * Return: 0, or -EINVAL (@out NULL, unknown backend or flags, generation
 * shares above 1000 or not summing to 1000, every zone empty, a CPU the
 * module finds offline), -ERANGE (more than %VGC_MAX_PARTITIONS partitions,
 * a CPU number beyond 4095), -E2BIG (a zone beyond 2^44 bytes, an index
 * space beyond the backend's limit), -ENOMEM; with the module forced:
 * the errno of opening /dev/vgc (-ENOENT, -EACCES), -ENODEV (not a VGC
 * device, no arena feature), -EPROTO (another ABI version); on the module:
 * -ENOSPC (its limit_mb) and the other errors of VGC_IOC_CREATE_ARENA,
 * VGC_IOC_GET_LAYOUT and mmap().
 */
int vgc_arena_open(const struct vgc_config *cfg, struct vgc_arena **out);
/**
 * vgc_arena_close() - detach the profile, unmap and free an arena
 * @a: the arena, or NULL (nothing happens)
 *
 * No other thread may use the arena during or after the close.
 */
void vgc_arena_close(struct vgc_arena *a);

/**
 * vgc_arena_backend() - the backend an arena runs on
 * @a: the arena
 *
 * Return: %VGC_BACKEND_MODULE or %VGC_BACKEND_ANON, never AUTO.
 */
enum vgc_backend vgc_arena_backend(const struct vgc_arena *a);
/**
 * vgc_backend_name() - name of a backend
 * @b: the backend
 *
 * Return: "auto", "module", "anon", or "unknown" for another value.
 */
const char *vgc_backend_name(enum vgc_backend b);
/**
 * vgc_backend_parse() - parse a backend name
 * @name: "auto", "module" or "anon" (NULL is an error)
 * @out: receives the backend
 *
 * Return: 0, or -EINVAL for any other name (@out is left alone).
 */
int vgc_backend_parse(const char *name, enum vgc_backend *out);
/**
 * vgc_backend_reason() - why the backend was chosen
 * @a: the arena
 *
 * Return: a string owned by the arena, for example "/dev/vgc: No such file
 * or directory" after a fallback to the anonymous backend.
 */
const char *vgc_backend_reason(const struct vgc_arena *a);
/**
 * vgc_module_version() - ask the loaded module, without an arena
 * @v: receives its version, features, limit and usage
 *
 * Return: 0; the errno of opening /dev/vgc (-ENOENT without it);
 * -EPROTO (another ABI version) and -ENODEV (not a VGC device, or no arena
 * support), both of which still fill *@v as far as the module answered, for
 * diagnostics; or the errno of VGC_IOC_GET_VERSION.
 */
int vgc_module_version(struct vgc_version *v);
/**
 * vgc_arena_fd() - the arena's /dev/vgc file descriptor
 * @a: the arena
 *
 * Return: the module's fd, or -1 on the anonymous backend.
 */
int vgc_arena_fd(const struct vgc_arena *a);

/**
 * vgc_strerror() - what an errno means for VGC
 * @err: an errno value, negative or positive
 *
 * Return: a message naming the VGC situations that return @err; for an
 * errno VGC does not describe, strerror()'s text in a thread-local buffer.
 * Never NULL.
 */
const char *vgc_strerror(int err);

/**
 * vgc_arena_layout() - the arena's layout
 * @a: the arena
 *
 * Return: the layout as the module (or the anonymous backend) describes it.
 */
const struct vgc_layout *vgc_arena_layout(const struct vgc_arena *a);
/**
 * vgc_arena_region() - one region of the arena
 * @a: the arena
 * @zone: enum vgc_zone
 * @partition: partition index
 *
 * Return: the region, or NULL when @zone or @partition is out of range.
 */
const struct vgc_region *vgc_arena_region(const struct vgc_arena *a,
					  unsigned int zone,
					  unsigned int partition);
/**
 * vgc_arena_partitions() - number of partitions
 * @a: the arena
 *
 * Return: the arena's partition count.
 */
unsigned int vgc_arena_partitions(const struct vgc_arena *a);
/**
 * vgc_arena_base() - address of granule 0 of the data area
 * @a: the arena
 *
 * Return: the data base; an object's index is (addr - base) >> 4.
 */
void *vgc_arena_base(const struct vgc_arena *a);	/* granule 0 */
/**
 * vgc_arena_ctrl() - the control region
 * @a: the arena
 *
 * Return: struct vgc_ctrl of the mapping (read-only on the module).
 */
const struct vgc_ctrl *vgc_arena_ctrl(const struct vgc_arena *a);
/**
 * vgc_arena_plane() - first word of a bit-plane
 * @a: the arena
 * @plane: enum vgc_plane
 *
 * Return: the plane, or NULL when @plane is out of range.
 */
uint64_t *vgc_arena_plane(const struct vgc_arena *a, enum vgc_plane plane);
/**
 * vgc_arena_spans() - the span table
 * @a: the arena
 *
 * Return: the size class in granules of each span, 0 = not carved.
 */
const uint16_t *vgc_arena_spans(const struct vgc_arena *a);

/* ---- threads and grace periods ---------------------------------------- */

/**
 * vgc_thread_register() - join the arena's grace-period quorum
 * @a: the arena
 * @partition: the thread's partition; < 0: the partition of the CPU it runs
 *	on now
 *
 * A thread's partition is the one it registered with; an unregistered
 * thread allocates from the partition whose CPU it runs on (sched_getcpu),
 * or partition 0 when none matches.
 *
 * Only registered threads are protected by grace periods: an object a
 * registered thread can still reach is not reused before that thread has
 * announced a quiescent state.  Registration counts as one.  A thread may
 * be registered with several arenas.  A thread that exits is unregistered
 * (library on both backends; the kernel also drops the slots of killed
 * processes).  A fork()ed child starts unregistered.
 *
 * Return: 0, -EEXIST when registered already, -ERANGE for a partition out
 * of range, -ENOMEM, -ENOSPC when all %VGC_MAX_THREADS slots are taken
 * (on both backends, the module's answer); -EPROTO when the module hands
 * out a slot the library cannot use.
 */
int vgc_thread_register(struct vgc_arena *a, int partition);
/**
 * vgc_thread_unregister() - leave the quorum
 * @a: the arena
 *
 * Return: 0, or -ESRCH when the calling thread is not registered.
 */
int vgc_thread_unregister(struct vgc_arena *a);
/**
 * vgc_thread_partition() - the partition the calling thread allocates from
 * @a: the arena
 *
 * Return: the partition it registered with, else that of the CPU it runs
 * on, else 0.
 */
int vgc_thread_partition(struct vgc_arena *a);
/**
 * vgc_quiescent() - announce a quiescent state
 * @a: the arena
 *
 * The thread holds no reference into the arena now.  One release store to
 * the thread's own slot (no syscall); nothing for an unregistered thread.
 * A registered thread that runs checkpoints itself must announce one
 * before each: vgc_checkpoint() does not.
 */
void vgc_quiescent(struct vgc_arena *a);
/**
 * vgc_thread_offline() - go offline before a blocking call
 * @a: the arena
 *
 * Offline threads never hold up a checkpoint; the thread must hold no
 * reference into the arena until vgc_thread_online().
 */
void vgc_thread_offline(struct vgc_arena *a);
/**
 * vgc_thread_online() - come back online after a blocking call
 * @a: the arena
 *
 * Marks the slot online, then announces a quiescent state.
 */
void vgc_thread_online(struct vgc_arena *a);

/* ---- objects ------------------------------------------------------------ */

#define VGC_ALLOC_F_PERSISTENT	(1U << 0)	/* pin at allocation */

/**
 * vgc_alloc() - allocate an object in Gen0 of a zone
 * @a: the arena
 * @size: bytes, 1..%VGC_MAX_OBJECT_SIZE
 * @zone: enum vgc_zone
 *
 * vgc_alloc_gen() with %VGC_GEN0 and no flags.
 *
 * Return: the object, or NULL with errno set as vgc_alloc_gen() does.
 */
void *vgc_alloc(struct vgc_arena *a, size_t size, enum vgc_zone zone);
/**
 * vgc_alloc_gen() - allocate an object in a zone and generation
 * @a: the arena
 * @size: bytes, rounded up to the size class; above %VGC_MAX_OBJECT_SIZE
 *	a large object of whole 64 KiB spans
 * @zone: enum vgc_zone
 * @gen: enum vgc_gen
 * @flags: 0 or %VGC_ALLOC_F_PERSISTENT
 *
 * Allocates in @zone / @gen of the calling thread's partition.  Lock-free:
 * one atomic bit-test-and-set of the slot's VALID bit in the common case;
 * the object is Active (001) at once.  %VGC_ALLOC_F_PERSISTENT files a pin
 * request with it: the object is Persistent (100) from the first
 * checkpoint that evaluates @gen.  The memory is not cleared.  When the
 * class's spans are full the slow path takes, in order, a span never
 * carved, an empty span of another class (re-carved), a decommitted span
 * (committed again, zeroed), what a pacer checkpoint reclaims, and last
 * grows Gen0 into the region's reserve (vgc_config_init() gives every
 * region one: the heap is elastic up to the limits).
 *
 * Return: the object, or NULL with errno ENOMEM when nothing is left below
 * the limits (the region's reserve, the module's limit_mb or per-user
 * limit, the memory cgroup; Gen1 and Gen2 do not grow), EINVAL for size
 * 0 or a bad zone, gen or flags.
 */
void *vgc_alloc_gen(struct vgc_arena *a, size_t size, enum vgc_zone zone,
		    enum vgc_gen gen, unsigned int flags);

struct vgc_objinfo {
	uint64_t index;		/* (addr - base) >> 4 */
	unsigned int zone, partition, gen;
	unsigned int state;	/* enum vgc_state */
	unsigned int valid;
	size_t size;		/* the size class in bytes */
};

/**
 * vgc_locate() - find the object a pointer points into
 * @a: the arena
 * @p: any address
 * @out: receives index, zone, partition, generation, state, valid, size
 *
 * O(1): subtraction and shifts give the index and span, a per-span table
 * built from the layout gives (zone, partition, gen), the span's class
 * gives the object's head (interior pointers resolve to their object).
 * valid = 0 for a free slot (state then reads 001, the free preset); a
 * span not carved yet reports the granule itself, size 0.
 *
 * Return: 0, or -EINVAL outside the arena's committed regions or in the
 * unused tail of a span.
 */
int vgc_locate(const struct vgc_arena *a, const void *p,
	       struct vgc_objinfo *out);
/**
 * vgc_state() - an object's state code
 * @a: the arena
 * @p: a pointer into the object
 *
 * Return: the code (0..7, enum vgc_state), or -EINVAL when @p is not a live
 * object.
 */
int vgc_state(const struct vgc_arena *a, const void *p);

/**
 * vgc_touch() - record an access
 * @a: the arena
 * @p: a pointer into the object
 *
 * Sets the object's ACCESS bit (a plain load first, so a hot object's word
 * is not written again): Idle -> Active at the next checkpoint that
 * evaluates its zone.
 *
 * Return: 0, or -EINVAL when @p is not a live object.
 */
int vgc_touch(struct vgc_arena *a, const void *p);
/**
 * vgc_mutate() - record a mutation
 * @a: the arena
 * @p: a pointer into the object
 *
 * Sets the object's MUTATE bit, which only the zone profiler reads.
 *
 * Return: 0, or -EINVAL when @p is not a live object.
 */
int vgc_mutate(struct vgc_arena *a, const void *p);
/**
 * vgc_pin() - make an object Persistent
 * @a: the arena
 * @p: a pointer into the object
 *
 * -> Persistent at the next checkpoint that evaluates the object's zone and
 * generation.  A pin on an object released meanwhile is dropped there.
 *
 * Return: 0, or -EINVAL when @p is not a live object.
 */
int vgc_pin(struct vgc_arena *a, const void *p);
/**
 * vgc_release() - the object is unreachable for the runtime
 * @a: the arena
 * @p: a pointer into the object
 *
 * Deferred (101) at the next checkpoint, Marked (110) at the second,
 * Expired (111) at the third and its slot free at the fourth, so never
 * reused before two grace periods have completed after the release.
 *
 * Return: 0, -EALREADY when released twice (release pending, Deferred,
 * Marked or Expired), -EPERM for a Persistent object, -EINVAL for a free
 * slot or a pointer outside the arena.
 */
int vgc_release(struct vgc_arena *a, const void *p);
/**
 * vgc_keep() - decline a 010/011 candidate
 * @a: the arena
 * @p: a pointer into the object
 *
 * Back to Active at the next checkpoint.
 *
 * Return: 0, or -EINVAL unless @p is a live 010 or 011 object.
 */
int vgc_keep(struct vgc_arena *a, const void *p);
/**
 * vgc_promote() - classifier request: make an object a promotion candidate
 * @a: the arena
 * @p: a pointer into the object
 *
 * 000/001 -> 010 at the next checkpoint.
 *
 * Return: 0, or -EINVAL unless @p is a live 000 or 001 object.
 */
int vgc_promote(struct vgc_arena *a, const void *p);
/**
 * vgc_demote() - classifier request: make an object a demotion candidate
 * @a: the arena
 * @p: a pointer into the object
 *
 * 000/001 -> 011 at the next checkpoint (a promote request wins).
 *
 * Return: 0, or -EINVAL unless @p is a live 000 or 001 object.
 */
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

/**
 * vgc_usable_size() - bytes of an object's size class
 * @a: the arena
 * @p: a pointer into the object
 *
 * A large object (more than %VGC_MAX_OBJECT_SIZE bytes) has its whole
 * spans: its size rounded up to 64 KiB.
 *
 * Return: the size class in bytes, 0 when @p is not a live object.
 */
size_t vgc_usable_size(const struct vgc_arena *a, const void *p);

/**
 * vgc_free() - give an object back at once, without a grace period
 * @a: the arena
 * @p: the object, as an allocation call returned it; NULL does nothing
 *
 * The caller states that no thread can still reach the object: the slot
 * is free (VALID 0, code 001) when the call returns and the next
 * allocation of its class may return it.  Any thread may free any
 * object.  Pending requests on the object (touch, pin, keep, promote,
 * demote) are dropped; a Persistent object may be freed.  A large object's
 * spans are free at once and decommitted after the decommit delay
 * (vgc_heap_set_decommit(); at once with a delay of 0).  For objects that
 * other threads may
 * still read, use vgc_release() (reclaimed after grace periods).
 *
 * Return: 0, -EINVAL (@p outside the arena, not the start of an object,
 * or not allocated: a double free), -EALREADY (the object was released
 * with vgc_release(): the sweep reclaims it).
 */
int vgc_free(struct vgc_arena *a, void *p);

/**
 * vgc_calloc() - allocate zeroed memory for an array
 * @a: the arena
 * @n: elements
 * @size: bytes per element
 * @zone: the zone
 *
 * Return: the object, zero-filled, or NULL with errno ENOMEM (also when
 * @n * @size overflows) or as vgc_alloc_gen() sets it.
 */
void *vgc_calloc(struct vgc_arena *a, size_t n, size_t size,
		 enum vgc_zone zone);

/**
 * vgc_realloc() - resize an object
 * @a: the arena
 * @p: the object, or NULL (then it is vgc_alloc())
 * @size: new size; 0 frees @p and returns NULL
 * @zone: zone for @p NULL; a moved object stays in its zone and generation
 *
 * In place when @size is at most the object's usable size and at least
 * half of it; otherwise a new object gets the contents (up to the smaller
 * size) and @p is freed with vgc_free().  A Persistent object stays
 * Persistent.
 *
 * Return: the object, or NULL with errno: EINVAL (@p not the start of a
 * live object), ENOMEM, E2BIG; @p is untouched on failure.
 */
void *vgc_realloc(struct vgc_arena *a, void *p, size_t size,
		  enum vgc_zone zone);

/**
 * vgc_aligned_alloc() - allocate an object at an aligned address
 * @a: the arena
 * @align: a power of two up to %VGC_SPAN_SIZE (64 KiB)
 * @size: bytes
 * @zone: the zone
 *
 * Picks the smallest size class at least @size that is a multiple of
 * @align (every slot of such a class is aligned, spans are 64 KiB
 * aligned); large objects are span aligned.  Gen0, no flags.
 *
 * Return: the object, or NULL with errno EINVAL (@align not a power of
 * two or above 64 KiB, @size 0, bad zone), ENOMEM.
 */
void *vgc_aligned_alloc(struct vgc_arena *a, size_t align, size_t size,
			enum vgc_zone zone);

/**
 * struct vgc_heap_stats - what the heap did with its spans
 * @grown_spans: spans committed by automatic growth
 * @grow_calls: growth attempts
 * @grow_failed: growth attempts a limit refused
 * @carved: spans carved for a class for the first time
 * @recarved: empty spans carved anew for another class
 * @recommitted: decommitted spans committed again
 * @decommitted: spans whose pages were given back
 * @large_allocs: large objects allocated
 * @large_frees: large objects freed or reclaimed (their spans given back,
 *	or the run kept whole for the next object of its size)
 * @large_spans: spans that large objects were allocated
 * @frees: reserved (0)
 * @decommit_delay_ms: how long a span stays empty before it is
 *	decommitted; -1: never
 */
struct vgc_heap_stats {
	uint64_t grown_spans, grow_calls, grow_failed;
	uint64_t carved, recarved, recommitted, decommitted;
	uint64_t large_allocs, large_frees, large_spans;
	uint64_t frees;
	int64_t decommit_delay_ms;
};

/**
 * vgc_heap_stats() - the heap's span counters
 * @a: the arena
 * @st: receives them
 *
 * Return: 0, -EINVAL (@a or @st NULL).
 */
int vgc_heap_stats(const struct vgc_arena *a, struct vgc_heap_stats *st);

/**
 * vgc_heap_stats_format() - the heap's counters as one line of text
 * @st: counters from vgc_heap_stats()
 * @buf: receives "grown_spans N grow_calls N ... large_spans N", no newline
 * @len: size of @buf
 *
 * For the statistics that tools print at exit (libvgcmalloc,
 * vgc-python); snprintf() only, no allocation.
 *
 * Return: what snprintf() returns: the length the whole line needs.
 */
int vgc_heap_stats_format(const struct vgc_heap_stats *st, char *buf,
			  size_t len);

/**
 * vgc_heap_set_decommit() - how long empty spans stay committed
 * @a: the arena
 * @delay_ms: milliseconds; 0: at the next pass; negative: never
 *
 * Spans that stay empty this long are decommitted after a checkpoint
 * (at most four passes per delay): the module frees their pages and
 * unmaps them, the anonymous backend gives them back with madvise(), and
 * a later allocation commits them again, zeroed.  The default is 250 ms,
 * or $VGC_DECOMMIT_MS (negative: never) at open.
 *
 * Return: 0, -EINVAL (@a NULL).
 */
int vgc_heap_set_decommit(struct vgc_arena *a, int64_t delay_ms);
/**
 * vgc_object_at() - address of a granule index
 * @a: the arena
 * @index: a granule index (the inverse of vgc_locate()'s index)
 *
 * Return: the address, or NULL when @index lies past the index space.
 */
void *vgc_object_at(const struct vgc_arena *a, uint64_t index);

/* ---- checkpoints -------------------------------------------------------- */

struct vgc_ckpt_opts {
	uint64_t partition_mask;	/* 0: all */
	unsigned int flags;		/* VGC_CKPT_F_* */
};

/**
 * vgc_checkpoint() - complete a grace period and sweep
 * @a: the arena
 * @opts: partitions and %VGC_CKPT_F_* flags, or NULL: all partitions, no
 *	flags
 * @result: may be NULL; gets the counts, gp_seq and the zones/gens
 *	evaluated (and the blocker on -EAGAIN)
 *
 * On the module backend the kernel sweeps each partition on its own CPU;
 * on the anonymous backend the library does, in the calling thread, with
 * the same counters and ctrl statistics.  With a zone profile attached it
 * samples the profile first.  Expired objects are reclaimed eagerly by the
 * sweep (S = 001, then VALID cleared).
 *
 * Return: 0; -EAGAIN when a registered online thread has not announced a
 * quiescent state since the last checkpoint (vgc_blocker() names it);
 * -EINVAL for unknown flags or partitions out of range; on the module the
 * other errors of VGC_IOC_CHECKPOINT (-ENOMEM).
 */
int vgc_checkpoint(struct vgc_arena *a, const struct vgc_ckpt_opts *opts,
		   struct vgc_checkpoint *result);
/**
 * vgc_blocker() - who blocked the last -EAGAIN checkpoint
 * @a: the arena
 * @slot: may be NULL; receives the blocking thread's slot
 * @tid: may be NULL; receives its thread id
 *
 * Return: 0.
 */
int vgc_blocker(const struct vgc_arena *a, unsigned int *slot,
		unsigned int *tid);

/**
 * vgc_grow() - commit part of a region's reserve
 * @a: the arena
 * @zone: enum vgc_zone
 * @partition: partition index
 * @bytes: bytes to add, rounded up to whole spans
 * @committed_bytes: may be NULL; receives the region's new committed size
 *
 * Commits @bytes of the region's reserve (vgc_config.zone_reserve_bytes)
 * at the end of its Gen0.  Other processes sharing an anonymous arena do
 * not see the growth.
 *
 * Return: 0; -EINVAL for a bad zone or partition, @bytes 0 or beyond
 * 2^44; -ENOSPC beyond the reserve or the module's memory limit; on the
 * module -ENOMEM and the other errors of VGC_IOC_GROW.
 */
int vgc_grow(struct vgc_arena *a, unsigned int zone, unsigned int partition,
	     uint64_t bytes, uint64_t *committed_bytes);

/**
 * vgc_region_stats() - statistics of one region, from the control page
 * @a: the arena
 * @zone: enum vgc_zone
 * @partition: partition index
 *
 * Return: the region's statistics, or NULL when @zone or @partition is out
 * of range.
 */
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

/**
 * vgc_size_class() - the size class of a size
 * @size: bytes
 *
 * Return: the class index (0..VGC_NR_CLASSES-1), -E2BIG beyond
 * %VGC_MAX_OBJECT_SIZE, -EINVAL for size 0.
 */
int vgc_size_class(size_t size);
/**
 * vgc_class_granules() - granules of a size class
 * @cls: class index, 0..VGC_NR_CLASSES-1
 *
 * Return: the class's size in granules, 0 when @cls is out of range.
 */
unsigned int vgc_class_granules(unsigned int cls);

/* ---- occupancy ----------------------------------------------------------- */

struct vgc_usage {
	uint64_t spans;			/* committed spans */
	uint64_t spans_used;		/* spans carved into a size class */
	uint64_t slots;			/* object slots in carved spans */
	uint64_t live;			/* valid objects */
	uint64_t live_bytes;		/* their sizes: class or large run */
	uint64_t pending;		/* valid, released: 101/110/111 or request */
	uint64_t states[VGC_NR_STATES];	/* valid objects per state code */
};

/**
 * vgc_region_usage() - occupancy of one region
 * @a: the arena
 * @zone: enum vgc_zone
 * @partition: partition index
 * @gens: mask of generations (1 << enum vgc_gen), 0 = all
 * @u: receives the counts
 *
 * Scans the span table and planes of the region.  A snapshot: concurrent
 * allocations and sweeps may or may not be seen.
 *
 * Return: 0, or -EINVAL for a bad zone or partition or @u NULL.
 */
int vgc_region_usage(const struct vgc_arena *a, unsigned int zone,
		     unsigned int partition, unsigned int gens,
		     struct vgc_usage *u);

/**
 * vgc_arena_stats() - arena-wide counters
 * @a: the arena
 * @st: receives them (VGC_IOC_GET_STATS, or the library's own)
 *
 * Return: 0, -EINVAL for @st NULL, or on the module the errors of
 * VGC_IOC_GET_STATS.
 */
int vgc_arena_stats(const struct vgc_arena *a, struct vgc_stats *st);

/* ---- the pacer and the background driver ------------------------------ */

/*
 * The pacer decides when checkpoints run without the runtime asking, in
 * the spirit of Go's GOGC: a checkpoint is due when the bytes allocated
 * since the last one reach percent % of the live bytes (never less than
 * min_bytes), or when the bytes released but not yet reclaimed approach
 * pending_max.  Each checkpoint then pays for about percent % of the live
 * heap of allocation, so its amortised cost per allocated byte stays
 * constant as the heap grows.  Without a driver, the allocating (or
 * releasing) thread runs the due checkpoint itself when it has announced
 * a quiescent state in the current grace period, and leaves it for later
 * otherwise; with a driver (vgc_driver_start()), the driver's thread runs
 * it.  Off by default; $VGC_PACE=percent and $VGC_PACE_PENDING_MAX=bytes
 * (k, m, g suffixes) set it at vgc_arena_open(), $VGC_DRIVER=1 starts a
 * driver there.  docs/design.md, Checkpoints, has the invariants.
 */
struct vgc_pacer_cfg {
	unsigned int percent;	/* 0: pacer off; 100 is GOGC's default */
	unsigned int flags;	/* must be 0 */
	uint64_t min_bytes;	/* floor of the allocation trigger; 0: 4 MiB */
	uint64_t pending_max;	/* released, unreclaimed bytes; 0: no bound */
};

struct vgc_pacer_stats {
	uint64_t allocated_bytes;	/* allocated net of vgc_free(), folded */
	uint64_t released_bytes;	/* released by vgc_release(), folded */
	uint64_t reclaimed_bytes;	/* reported by the checkpoints seen */
	uint64_t live_bytes;		/* allocated - max(released, reclaimed) */
	uint64_t pending_bytes;		/* released - reclaimed, at least 0 */
	uint64_t since_bytes;		/* allocated (net) since the last one */
	uint64_t trigger_bytes;		/* the allocation trigger now */
	uint64_t checkpoints_seen;	/* completed checkpoints, anyone's */
	uint64_t checkpoints;		/* run by the pacer in callers' threads */
	uint64_t eagain;		/* of those, -EAGAIN: retried later */
	uint64_t deferred;		/* due, caller not quiescent: later */
	uint64_t growth_triggers;	/* due by allocation volume */
	uint64_t pending_triggers;	/* due by pending released bytes */
};

/**
 * vgc_pacer_set() - configure an arena's pacer
 * @a: the arena
 * @cfg: the configuration; NULL or percent 0 turns the pacer off
 *
 * Takes effect at the next fold of a thread's counts (every 16 KiB
 * allocated or released by that thread).
 *
 * Return: 0, or -EINVAL for flags other than 0 or a percent above 10000.
 */
int vgc_pacer_set(struct vgc_arena *a, const struct vgc_pacer_cfg *cfg);
/**
 * vgc_pacer_get() - an arena's pacer configuration
 * @a: the arena
 * @cfg: receives it, the defaults resolved (min_bytes never 0)
 *
 * Return: 0, or -EINVAL for @cfg NULL.
 */
int vgc_pacer_get(const struct vgc_arena *a, struct vgc_pacer_cfg *cfg);
/**
 * vgc_pacer_stats() - what the pacer counts and did
 * @a: the arena
 * @st: receives the counters
 *
 * The byte counts are estimates: each thread folds its counts every
 * 16 KiB, releases other than vgc_release() (VGC_IOC_BATCH, io_uring) are
 * not counted, and checkpoints other than vgc_checkpoint()'s (queued
 * through io_uring) are not seen.
 *
 * Return: 0, or -EINVAL for @st NULL.
 */
int vgc_pacer_stats(const struct vgc_arena *a, struct vgc_pacer_stats *st);

#define VGC_DRIVER_F_QUIET	(1U << 0)	/* no warnings on stderr */

struct vgc_driver_cfg {
	unsigned int period_ms;	/* longest sleep; 0: 100 */
	unsigned int stall_ms;	/* a blocker this long is a stall; 0: 1000 */
	unsigned int flags;	/* VGC_DRIVER_F_* */
	unsigned int reserved;	/* must be 0 */
};

struct vgc_driver_stats {
	uint64_t checkpoints;		/* completed by the driver */
	uint64_t eagain;		/* -EAGAIN, retried */
	uint64_t errors;		/* other errors */
	uint64_t stalls;		/* threads that blocked >= stall_ms */
	uint64_t wakeups;		/* by the pacer or the period */
	unsigned int last_blocker_slot;	/* of the last -EAGAIN */
	unsigned int last_blocker_tid;	/* 0: no -EAGAIN yet */
	int last_error;			/* last error other than -EAGAIN */
	int running;			/* 1 while the thread runs */
};

/**
 * vgc_driver_start() - run the pacer's checkpoints on a library thread
 * @a: the arena
 * @cfg: periods and flags, or NULL for the defaults
 *
 * Starts one thread (named "vgc-driver", all signals blocked, never
 * registered in the quorum) that sleeps until the pacer finds a
 * checkpoint due, or at most @cfg->period_ms, and then runs it with
 * vgc_checkpoint(): on the module backend the kernel sweeps each partition
 * on its own CPU.  It also runs a checkpoint after a period when released
 * objects are still on their way to reclamation, so that a program that
 * never calls vgc_checkpoint() gets its memory back.  A checkpoint that
 * fails with -EAGAIN is retried with a backoff (1 ms doubling up to the
 * period); a registered online thread that holds it up for @cfg->stall_ms
 * counts as a stall and, once per thread, gets a line on stderr: "vgc:
 * thread TID (slot S) has held reclamation up for N ms: call
 * vgc_quiescent() or vgc_thread_offline()".  The pacer is turned on with
 * its defaults (100 %) when it is off.  vgc_arena_close() stops the
 * driver.  A fork()ed child has no driver (the thread is not copied and an
 * atfork handler forgets it): its pacer runs checkpoints in its own
 * threads until it starts one.
 *
 * Return: 0, -EALREADY when a driver runs, -EINVAL for unknown flags or
 * reserved not 0, -ENOMEM, or the error of pthread_create().
 */
int vgc_driver_start(struct vgc_arena *a, const struct vgc_driver_cfg *cfg);
/**
 * vgc_driver_stop() - stop an arena's driver and join its thread
 * @a: the arena
 *
 * Waits for a checkpoint in progress.  The statistics stay readable.
 *
 * Return: 0, or -ESRCH when no driver runs in this process.
 */
int vgc_driver_stop(struct vgc_arena *a);
/**
 * vgc_driver_stats() - what the driver did
 * @a: the arena
 * @st: receives the counters, the last blocker and whether it runs
 *
 * Return: 0, -EINVAL for @st NULL, -ESRCH when this process never started
 * a driver on @a (a fork()ed child before its own vgc_driver_start()).
 */
int vgc_driver_stats(const struct vgc_arena *a, struct vgc_driver_stats *st);

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

/**
 * vgc_sweep_block_run() - run one block implementation over a block
 * @impl: the implementation, AUTO for vgc_sweep_default()
 * @b: the block
 *
 * Return: 0, -EOPNOTSUPP when @impl is not available on this CPU, -EINVAL
 * for an unknown @impl.
 */
int vgc_sweep_block_run(enum vgc_sweep_impl impl, struct vgc_sweep_block *b);
/**
 * vgc_sweep_default() - the implementation AUTO resolves to now
 *
 * $VGC_SWEEP=scalar|avx2 when set (avx2 only where the CPU has it), else
 * AVX2 where available, else scalar.
 *
 * Return: %VGC_SWEEP_SCALAR or %VGC_SWEEP_AVX2.
 */
enum vgc_sweep_impl vgc_sweep_default(void);
/**
 * vgc_sweep_impl_name() - name of a sweep implementation
 * @impl: the implementation (AUTO: the one it resolves to)
 *
 * Return: "scalar", "avx2", or "unknown".
 */
const char *vgc_sweep_impl_name(enum vgc_sweep_impl impl);

/**
 * vgc_sweep_partition() - sweep one partition with the library's code
 * @a: the arena
 * @partition: partition index
 * @zones: mask of zones (1 << enum vgc_zone), 0 = all
 * @gens: mask of generations (1 << enum vgc_gen), 0 = all
 * @impl: block implementation, AUTO for vgc_sweep_default()
 * @counts: may be NULL; receives the sum
 *
 * Sweeps in the calling thread, on either backend.  No grace period is
 * taken and no ctrl statistics are written: this is the library half of a
 * kernel-vs-library comparison, and the caller must keep kernel
 * checkpoints of the arena out of the way while it runs.
 *
 * Return: 0, -EOPNOTSUPP or -EINVAL for @impl as vgc_sweep_block_run(),
 * -ERANGE for a partition out of range, -EINVAL for masks with bits past
 * the zones or generations.
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
