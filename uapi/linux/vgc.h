/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * VGC: zone-based memory lifecycle management for language runtimes.
 *
 * The one kernel/user ABI header of /dev/vgc.  Everything that crosses the
 * boundary is defined here: the ioctl commands, their argument structs, the
 * io_uring passthrough payload, and the layout of the shared mapping.
 *
 * Rules that every struct follows:
 *  - fixed-width types, explicit padding, naturally aligned 64-bit fields;
 *  - the first member is "size": user space sets it to sizeof() of the
 *    struct it was compiled with.  The kernel accepts any size from the
 *    struct's _SIZE_VER0 up; bytes past what the kernel knows must be zero
 *    (-E2BIG otherwise), smaller than _SIZE_VER0 is -EINVAL and larger
 *    than a page is -E2BIG;
 *  - "reserved" and "pad" members must be zero on input (-EINVAL);
 *  - unknown flags are -EINVAL; bad user pointers are -EFAULT.
 *
 * Commands are dispatched on _IOC_TYPE and _IOC_NR; the size that the
 * ioctl number encodes is the VER0 size and is not used to pick the command.
 */
#ifndef _UAPI_LINUX_VGC_H
#define _UAPI_LINUX_VGC_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define VGC_DEVICE_PATH		"/dev/vgc"
#define VGC_ABI_VERSION		1

/* An object index is (addr - data base) >> VGC_GRANULE_SHIFT. */
#define VGC_GRANULE_SHIFT	4
#define VGC_GRANULE_SIZE	16U	/* 1 << VGC_GRANULE_SHIFT */

/*
 * Zone regions are carved into spans of 64 KiB (4096 granules, 64 words of
 * each bit-plane).  A span holds objects of one size class; its class lives
 * in the span table (one __u16 per span, VGC_REGION_SPANS).  Zone sizes and
 * generation segments are whole spans.
 */
#define VGC_SPAN_SHIFT		16
#define VGC_SPAN_SIZE		65536U	/* 1 << VGC_SPAN_SHIFT */
#define VGC_SPAN_GRANULES	(VGC_SPAN_SIZE >> VGC_GRANULE_SHIFT)

#define VGC_MAX_PARTITIONS	64
#define VGC_MAX_THREADS		256
#define VGC_NR_ZONES		3
#define VGC_NR_GENS		3
#define VGC_NR_STATES		8

/**
 * enum vgc_zone - the zones, in their fixed layout order
 * @VGC_ZONE_RED: rarely accessed objects
 * @VGC_ZONE_GREEN: the hot working set, evaluated every checkpoint
 * @VGC_ZONE_BLUE: medium access, evaluated every blue_every-th checkpoint
 *
 * Zone order is fixed: Red (rarely accessed), Green (hot), Blue (medium).
 */
enum vgc_zone {
	VGC_ZONE_RED	= 0,
	VGC_ZONE_GREEN	= 1,
	VGC_ZONE_BLUE	= 2,
};

/**
 * enum vgc_gen - generation segments of a region
 * @VGC_GEN0: the nursery, evaluated every checkpoint; growth extends it
 * @VGC_GEN1: evaluated every gen1_every-th checkpoint
 * @VGC_GEN2: evaluated every gen2_every-th checkpoint; static allocations
 *
 * A region is laid out Gen2 | Gen1 | Gen0 | reserve.
 */
enum vgc_gen {
	VGC_GEN0	= 0,
	VGC_GEN1	= 1,
	VGC_GEN2	= 2,
};

/**
 * enum vgc_state - the paper's 3-bit object state code
 * @VGC_ST_IDLE: 000, not accessed in the last evaluated window
 * @VGC_ST_ACTIVE: 001, accessed; also the code of every free slot
 * @VGC_ST_PROMOTE: 010, candidate for a higher-ranked zone
 * @VGC_ST_DEMOTE: 011, candidate for a lower-ranked zone
 * @VGC_ST_PERSISTENT: 100, pinned, never reclaimed
 * @VGC_ST_DEFERRED: 101, released, waiting for grace periods
 * @VGC_ST_MARKED: 110, reclamation scheduled
 * @VGC_ST_EXPIRED: 111, reclaimed at the next evaluation
 *
 * The paper's 3-bit object state code (docs/design.md, State machine).
 */
enum vgc_state {
	VGC_ST_IDLE		= 0,	/* 000 */
	VGC_ST_ACTIVE		= 1,	/* 001 */
	VGC_ST_PROMOTE		= 2,	/* 010 */
	VGC_ST_DEMOTE		= 3,	/* 011 */
	VGC_ST_PERSISTENT	= 4,	/* 100 */
	VGC_ST_DEFERRED		= 5,	/* 101 */
	VGC_ST_MARKED		= 6,	/* 110 */
	VGC_ST_EXPIRED		= 7,	/* 111 */
};

/**
 * enum vgc_plane - the bit-planes of the mapping, in layout order
 * @VGC_PLANE_VALID: the slot holds an object (allocated)
 * @VGC_PLANE_S0: low bit of the state code
 * @VGC_PLANE_S1: middle bit of the state code
 * @VGC_PLANE_S2: high bit of the state code
 * @VGC_PLANE_ACCESS: accessed since the last evaluation (vgc_touch)
 * @VGC_PLANE_MUTATE: mutated (vgc_mutate), read by the profiler
 * @VGC_PLANE_RELEASE: release requests
 * @VGC_PLANE_PIN: pin requests
 * @VGC_PLANE_KEEP: keep requests (decline a candidate)
 * @VGC_PLANE_PROMOTE: the classifier's promote requests
 * @VGC_PLANE_DEMOTE: the classifier's demote requests
 * @VGC_NR_PLANES: number of planes
 *
 * Bit-planes, one bit per granule, each plane word-aligned and page-aligned
 * in the mapping.  Object i lives in word i >> 6, bit i & 63 of every plane.
 *
 * VALID and S0..S2 are the lifecycle state (4 bits per granule).  Only the
 * head granule of an object carries state; the others read as free slots
 * (VALID 0, S = 001).  The free slot of a never-used or reclaimed object
 * reads S = 001 so that allocation is one atomic set of its VALID bit (the
 * module and the anonymous backend initialise S0 to all ones).
 *
 * Ownership: VALID is changed with atomic RMW only (allocation sets, the
 * sweep clears expired slots).  S0..S2 are written by the sweep alone.
 * ACCESS, MUTATE and the request planes RELEASE, PIN, KEEP are set by any
 * thread with an atomic OR and consumed by the sweep with one atomic
 * exchange per word; requests take effect at the next checkpoint.
 * PROMOTE and DEMOTE are the classifier's requests (010 / 011 candidates).
 *
 * Metadata: 4 lifecycle bits + access + mutation + 5 request bits per
 * 16-byte granule, 11/128 of the data (8.6 %).  The request planes buy
 * lock-free single-writer sweeps: no CAS per word, no lost update.
 */
enum vgc_plane {
	VGC_PLANE_VALID		= 0,
	VGC_PLANE_S0		= 1,
	VGC_PLANE_S1		= 2,
	VGC_PLANE_S2		= 3,
	VGC_PLANE_ACCESS	= 4,
	VGC_PLANE_MUTATE	= 5,
	VGC_PLANE_RELEASE	= 6,
	VGC_PLANE_PIN		= 7,
	VGC_PLANE_KEEP		= 8,
	VGC_PLANE_PROMOTE	= 9,
	VGC_PLANE_DEMOTE	= 10,
	VGC_NR_PLANES		= 11,
};

/* Feature bits returned by VGC_IOC_GET_VERSION. */
#define VGC_FEAT_ARENA		_BITULL(0)	/* create/layout/mmap */
#define VGC_FEAT_NODE_QUERY	_BITULL(1)	/* vgc_region.node is filled */
#define VGC_FEAT_GROW		_BITULL(2)	/* VGC_IOC_GROW */
#define VGC_FEAT_THREADS	_BITULL(3)	/* grace-period quorum */
#define VGC_FEAT_CHECKPOINT	_BITULL(4)	/* kernel core-local sweeps */
#define VGC_FEAT_BATCH		_BITULL(5)	/* VGC_IOC_BATCH */
#define VGC_FEAT_STATS		_BITULL(6)	/* VGC_IOC_GET_STATS */
#define VGC_FEAT_URING_CMD	_BITULL(7)	/* IORING_OP_URING_CMD */
#define VGC_FEAT_DECOMMIT	_BITULL(8)	/* VGC_IOC_DECOMMIT/_COMMIT */
#define VGC_FEAT_SPAN_SUMS	_BITULL(9)	/* span summaries, see below */
#define VGC_FEAT_FORK_COPY	_BITULL(10)	/* fork(): child gets a copy */

/* ---- VGC_IOC_GET_VERSION ---------------------------------------------- */
/**
 * struct vgc_version - argument of VGC_IOC_GET_VERSION
 * @size: in: sizeof() of the caller's struct, at least %VGC_VERSION_SIZE_VER0
 * @abi_version: out: %VGC_ABI_VERSION of the loaded module
 * @features: out: %VGC_FEAT_* bits of what the loaded module implements
 * @max_partitions: out: %VGC_MAX_PARTITIONS
 * @max_threads: out: %VGC_MAX_THREADS, thread slots per arena
 * @limit_bytes: out: the module-wide memory limit (parameter limit_mb)
 * @used_bytes: out: bytes charged against that limit now, all arenas;
 *	0 unless the caller has CAP_SYS_ADMIN (other users' usage is theirs)
 * @nr_arenas: out: arenas alive now, module-wide; 0 unless CAP_SYS_ADMIN
 * @reserved: must be zero (-EINVAL)
 *
 * Needs no arena: any open /dev/vgc file answers it.
 */
struct vgc_version {
	__u32 size;
	__u32 abi_version;		/* out: VGC_ABI_VERSION */
	__u64 features;			/* out: VGC_FEAT_* */
	__u32 max_partitions;		/* out */
	__u32 max_threads;		/* out */
	__u64 limit_bytes;		/* out: module-wide memory limit */
	__u64 used_bytes;		/* out: module-wide bytes in use now */
	__u64 nr_arenas;		/* out: live arenas, module-wide */
	__u64 reserved[4];
};

#define VGC_VERSION_SIZE_VER0	80

/* ---- VGC_IOC_CREATE_ARENA --------------------------------------------- */

/*
 * Profile objects (zone intelligence).  The module accepts and ignores it;
 * libvgcu honours it: an arena opened with it gets the zone profile with
 * the default policy at its first checkpoint, unless the runtime attached
 * one (vgc_profile_attach()) before.  Costs memory in libvgcu only.
 */
#define VGC_ARENA_F_PROFILE	0x1U
/*
 * A fork()ed child shares the arena and its mappings with the parent
 * (the behaviour before %VGC_FEAT_FORK_COPY).  Without it (with
 * %VGC_FEAT_FORK_COPY) fork() gives the child a copy of the arena, as of
 * its malloc memory: every mapping of the child and its commands on the
 * shared file then act on the copy, which starts with no registered
 * thread.  When the copy cannot be made (module limit, memory cgroup, no
 * memory), fork() still succeeds, but the child's accesses to the mapping
 * raise SIGBUS and its commands on the file fail with -ENXIO.
 */
#define VGC_ARENA_F_FORK_SHARED	0x2U
#define VGC_ARENA_F_ALL		(VGC_ARENA_F_PROFILE | VGC_ARENA_F_FORK_SHARED)

/**
 * struct vgc_arena_params - argument of VGC_IOC_CREATE_ARENA
 * @size: in: sizeof() of the caller's struct, at least
 *	%VGC_ARENA_PARAMS_SIZE_VER0
 * @flags: %VGC_ARENA_F_* (others -EINVAL)
 * @nr_partitions: 1..%VGC_MAX_PARTITIONS (-EINVAL otherwise)
 * @gen_permille: Gen0/Gen1/Gen2 share of each region, see below
 * @pad0: must be zero (-EINVAL)
 * @zone_granules: committed granules per partition in each zone, see below
 * @zone_reserve_granules: growth reserve per partition and zone, see below
 * @blue_every: Blue is evaluated at checkpoints n with n % blue_every == 0
 * @gen1_every: Gen1 is evaluated at checkpoints n with n % gen1_every == 0
 * @gen2_every: Gen2 is evaluated at checkpoints n with n % gen2_every == 0
 * @pad1: must be zero (-EINVAL)
 * @cpus: CPU of each of the first @nr_partitions partitions
 * @reserved: must be zero (-EINVAL)
 *
 * Creates the one arena of the file (-EBUSY when it has one) and commits its
 * pages: data pages on the node of each partition's CPU, metadata pages, all
 * zeroed and charged to the caller's memory cgroup.  Errors: -EINVAL as
 * listed; -E2BIG for an index space beyond 2^38 granules or sizes that
 * overflow; -ENOSPC when the pages would pass the module's limit_mb;
 * -ENOMEM when the kernel has no pages.
 */
struct vgc_arena_params {
	__u32 size;
	__u32 flags;			/* VGC_ARENA_F_* */
	__u32 nr_partitions;		/* 1..VGC_MAX_PARTITIONS */
	/*
	 * Gen0/Gen1/Gen2 share of each zone region in per mille, summing to
	 * 1000; all zero selects 500/300/200.  Rounded to whole spans.
	 */
	__u16 gen_permille[VGC_NR_GENS];
	__u16 pad0;
	/*
	 * Granules per partition in each zone, rounded up to whole spans.
	 * A zone may be empty (0); at least one zone must not be.  An index
	 * space (all zones, partitions and reserves) beyond 2^38 granules is
	 * -E2BIG; committed pages and metadata over the module's limit_mb
	 * are -ENOSPC.
	 */
	__u64 zone_granules[VGC_NR_ZONES];
	/*
	 * Extra index space per partition and zone that VGC_IOC_GROW may
	 * commit later (whole spans); 0 = the zone cannot grow.
	 */
	__u64 zone_reserve_granules[VGC_NR_ZONES];
	/*
	 * Checkpoint cadence (docs/design.md, Checkpoints):
	 * Blue is evaluated every blue_every-th checkpoint, Gen1 every
	 * gen1_every-th, Gen2 every gen2_every-th.  0 selects 4, 4, 16.
	 */
	__u32 blue_every;
	__u32 gen1_every;
	__u32 gen2_every;
	__u32 pad1;
	/* CPU of each partition (online, < nr_cpu_ids); may repeat. */
	__u32 cpus[VGC_MAX_PARTITIONS];
	__u64 reserved[4];
};

#define VGC_ARENA_PARAMS_SIZE_VER0	376

/* ---- VGC_IOC_GET_LAYOUT ----------------------------------------------- */

/**
 * struct vgc_region - one (zone, partition) region of the data area
 * @offset: mmap offset of the region's first granule
 * @first_granule: global index of the region's first granule
 * @committed_granules: granules backed by pages
 * @capacity_granules: committed granules plus the growth reserve
 * @gen_first: global index of the first granule of each generation
 * @gen_granules: committed granules of each generation
 * @zone: enum vgc_zone
 * @partition: partition index, 0..nr_partitions - 1
 * @cpu: the partition's CPU
 * @node: NUMA node of the region's first page, -1 when it has none
 * @nr_chunks: physically contiguous chunks the committed pages form
 * @pad: zero
 * @reserved: zero
 *
 * Its granules are [first_granule, first_granule + capacity_granules); the first
 * committed_granules are backed by pages, the rest is reserve for
 * VGC_IOC_GROW.  Generation segments are laid out Gen2, Gen1, Gen0 so that
 * growth extends Gen0, the nursery.
 */
struct vgc_region {
	__u64 offset;			/* mmap offset of the region's start */
	__u64 first_granule;		/* global index of its first granule */
	__u64 committed_granules;
	__u64 capacity_granules;
	__u64 gen_first[VGC_NR_GENS];	/* global index of each gen's start */
	__u64 gen_granules[VGC_NR_GENS];/* committed granules per gen */
	__u32 zone;			/* enum vgc_zone */
	__u32 partition;
	__u32 cpu;			/* the partition's CPU */
	__s32 node;			/* node of the backing pages, -1: none */
	__u32 nr_chunks;		/* physically contiguous chunks */
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct vgc_layout - argument of VGC_IOC_GET_LAYOUT
 * @size: in: sizeof() of the caller's struct, at least %VGC_LAYOUT_SIZE_VER0
 * @nr_partitions: out: partitions of the arena
 * @map_size: out: length of the whole mapping
 * @total_granules: out: the index space, reserves included
 * @ctrl_offset: out: offset of struct vgc_ctrl (0), mapped read-only
 * @ctrl_size: out: its length
 * @threads_offset: out: offset of the struct vgc_thread_slot array
 * @threads_size: out: its length (%VGC_MAX_THREADS slots, page aligned)
 * @spans_offset: out: offset of the span table, one __u16 per span
 * @spans_size: out: its length
 * @plane_offset: out: offset of each bit-plane, enum vgc_plane order
 * @plane_size: out: bytes of one plane, page aligned
 * @data_offset: out: offset of the zone regions
 * @data_size: out: their length, total_granules * %VGC_GRANULE_SIZE
 * @nr_regions: out: %VGC_NR_ZONES * nr_partitions
 * @regions_cap: in: entries of struct vgc_region at @regions_ptr
 * @regions_ptr: in: user address of the region array (-EFAULT when 0 and
 *	@regions_cap is not)
 * @reserved: must be zero (-EINVAL)
 *
 * Every offset and length is page aligned.  The first min(@regions_cap,
 * @nr_regions) regions are written, zone-major: index zone * nr_partitions +
 * partition.  Needs an arena on the file (-ENXIO).
 */
struct vgc_layout {
	__u32 size;
	__u32 nr_partitions;		/* out */
	__u64 map_size;			/* out: length of the whole mapping */
	__u64 total_granules;		/* out: index space incl. reserve */
	/* out: offset and length of each part of the mapping, page aligned */
	__u64 ctrl_offset;		/* struct vgc_ctrl, read-only */
	__u64 ctrl_size;
	__u64 threads_offset;		/* struct vgc_thread_slot[], rw */
	__u64 threads_size;
	__u64 spans_offset;		/* __u16 per span, rw */
	__u64 spans_size;
	__u64 plane_offset[VGC_NR_PLANES];	/* rw */
	__u64 plane_size;		/* bytes of one plane, page aligned */
	__u64 data_offset;		/* zone regions, rw */
	__u64 data_size;
	__u32 nr_regions;		/* out: VGC_NR_ZONES * nr_partitions */
	__u32 regions_cap;		/* in: entries at regions_ptr */
	__u64 regions_ptr;		/* in: struct vgc_region[regions_cap] */
	/*
	 * out: struct vgc_span_sum per span, rw (with VGC_FEAT_SPAN_SUMS;
	 * 0 and 0 from a module without it: the words before were reserved)
	 */
	__u64 sums_offset;
	__u64 sums_size;
	__u64 reserved[2];
};

#define VGC_LAYOUT_SIZE_VER0	232

/*
 * The mapping, in this order: ctrl | threads | spans | sums | planes | data.
 * ctrl must be mapped without PROT_WRITE (-EPERM otherwise, and it can never
 * be made writable); everything after it is one read-write range.  A mapping
 * must be MAP_SHARED (-EINVAL), lie inside [0, map_size) and not straddle
 * the ctrl/rw boundary (-EINVAL).  Data granules past a region's committed
 * size raise SIGBUS when touched.  Pages are zeroed before they are mapped
 * (S0 plane: all ones, see above).  A fork()ed child shares the mapping.
 */

/* Span table values. */
#define VGC_SPAN_FREE		0	/* not carved yet */
#define VGC_SPAN_CONT		0xffff	/* continuation of a large object */
#define VGC_SPAN_RETIRING	0xfffe	/* empty, waiting to be re-carved */
#define VGC_SPAN_DECOMMITTED	0xfffd	/* pages given back */
#define VGC_SPAN_KEPT		0xfffc	/* a freed large object's head, kept */
/*
 * 1..4096: the span's size class in granules.  Values above 4096 are
 * markers with no object heads: sweeps skip them.
 */

/**
 * struct vgc_span_sum - one span's summary, so that a checkpoint can skip it
 * @req: the requesters' byte.  Whoever sets a bit of ACCESS, RELEASE, PIN,
 *	KEEP, PROMOTE or DEMOTE of an object in span s through the mapping
 *	must, after that atomic OR and a full barrier, store 1 into
 *	sums[s].req (a plain store, left out when it reads 1 already).  A
 *	request that is not noted may wait until its span is evaluated for
 *	another reason, or a checkpoint with %VGC_CKPT_F_FULL.  The same
 *	holds for whoever clears a VALID bit or resets a span's planes
 *	outside a sweep (an immediate free, a span being carved anew):
 *	after the change, note.  The sweep stores 0 before it takes the
 *	span's words.
 * @flags: the sweep's: %VGC_SUM_SETTLED, %VGC_SUM_FULL
 * @cls: the sweep's: the span's class when it was last evaluated
 * @live: the sweep's: valid objects after that evaluation
 * @idle: the sweep's: of them Idle (000)
 * @promote: the sweep's: Promote candidates (010)
 * @demote: the sweep's: Demote candidates (011); the rest is Persistent
 * @pad: zero
 *
 * Everything but @req is written by sweeps only (docs/design.md, "Work
 * proportional to change"); a span whose summary is corrupt is only counted
 * wrongly, never swept wrongly on another arena.
 */
struct vgc_span_sum {
	__u8 req;
	__u8 flags;
	__u16 cls;
	__u16 live;
	__u16 idle;
	__u16 promote;
	__u16 demote;
	__u32 pad;
};

/* Every object is in a code that holds without input (000 010 011 100). */
#define VGC_SUM_SETTLED		0x1
/* Every slot of the span's class is valid: no allocation can land. */
#define VGC_SUM_FULL		0x2

/* ---- The shared control page (read-only to user space) ---------------- */

/**
 * struct vgc_sweep_counts - what a sweep did
 * @words: plane words evaluated
 * @live: valid objects evaluated
 * @to_active: 000 -> 001
 * @to_idle: 001 -> 000
 * @deferred: release requests folded -> 101
 * @marked: 101 -> 110
 * @expired: 110 -> 111
 * @reclaimed: 111 -> free slot
 * @reclaimed_bytes: sizes of the reclaimed objects, in bytes: their size
 *	classes, a large object its whole run of spans
 * @pinned: pin requests folded -> 100
 * @promoted: -> 010 candidates
 * @demoted: -> 011 candidates
 * @kept: keep requests: 010/011 -> 001
 * @dropped: requests that did not apply when folded
 * @stable: valid objects whose state held
 * @reserved: zero
 *
 * Summed over the partitions a checkpoint swept (struct vgc_checkpoint) or
 * over one call of the library's sweep.
 */
struct vgc_sweep_counts {
	__u64 words;			/* plane words evaluated */
	__u64 live;			/* valid objects evaluated */
	__u64 to_active;		/* 000 -> 001 */
	__u64 to_idle;			/* 001 -> 000 */
	__u64 deferred;			/* release requests folded -> 101 */
	__u64 marked;			/* 101 -> 110 */
	__u64 expired;			/* 110 -> 111 */
	__u64 reclaimed;		/* 111 -> free slot */
	__u64 reclaimed_bytes;
	__u64 pinned;			/* pin requests folded -> 100 */
	__u64 promoted;			/* -> 010 candidates */
	__u64 demoted;			/* -> 011 candidates */
	__u64 kept;			/* keep requests: 010/011 -> 001 */
	__u64 dropped;			/* requests that did not apply */
	__u64 stable;			/* valid objects whose state held */
	__u64 reserved[1];
};

#define VGC_PAUSE_BUCKETS	32	/* bucket b: pause < 2^b microseconds */

/**
 * struct vgc_region_stats - statistics of one region, in struct vgc_ctrl
 * @states: valid objects per generation and state code after the last sweep
 *	of that generation
 * @reclaimed_objects: objects reclaimed since creation
 * @reclaimed_bytes: their sizes (a large object: its run), in bytes
 * @sweeps: sweeps of the region
 * @last_pause_ns: wall time of the last sweep
 * @max_pause_ns: longest sweep
 * @total_pause_ns: sum of all sweeps
 * @pause_hist: sweeps per pause bucket: bucket b counts pauses below 2^b
 *	microseconds (bucket 0: below 1 us), the last bucket all longer ones
 */
struct vgc_region_stats {
	__u64 states[VGC_NR_GENS][VGC_NR_STATES];	/* after last sweep */
	__u64 reclaimed_objects;
	__u64 reclaimed_bytes;
	__u64 sweeps;
	__u64 last_pause_ns;
	__u64 max_pause_ns;
	__u64 total_pause_ns;
	__u64 pause_hist[VGC_PAUSE_BUCKETS];
};

/**
 * struct vgc_ctrl - the control region at the start of the mapping
 * @abi_version: %VGC_ABI_VERSION
 * @nr_partitions: partitions of the arena
 * @gp_seq: grace-period sequence: the value a quiescent state stores into
 *	struct vgc_thread_slot.qs_seq; incremented by every checkpoint
 * @checkpoints: completed checkpoints
 * @committed_bytes: data pages committed
 * @nr_threads: registered threads
 * @pad: zero
 * @reserved: zero
 * @regions: statistics per region, indexed [zone * nr_partitions +
 *	partition]
 *
 * Written by the module only; user space must map it without PROT_WRITE
 * (-EPERM) and can never make it writable.  The anonymous backend of libvgcu
 * writes the same fields itself.
 */
struct vgc_ctrl {
	__u32 abi_version;
	__u32 nr_partitions;
	__u64 gp_seq;			/* grace-period sequence, see threads */
	__u64 checkpoints;		/* completed checkpoints */
	__u64 committed_bytes;		/* data pages committed */
	__u32 nr_threads;		/* registered threads */
	__u32 pad;
	__u64 reserved[11];
	/* indexed [zone * nr_partitions + partition] */
	struct vgc_region_stats regions[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
};

/* ---- Grace-period quorum (QSBR) --------------------------------------- */

/**
 * struct vgc_thread_slot - one registered thread of the grace-period quorum
 * @qs_seq: written by the thread: the gp_seq of its last quiescent state
 * @online: written by the thread: 0 while it holds no references (blocked)
 * @in_use: written by the kernel: the slot is registered
 * @partition: written by the kernel: the partition it registered with
 * @tid: written by the kernel: its thread id, in the registering task's pid
 *	namespace
 * @pad: fills the cache line
 *
 * One cache line per registered thread in the threads region.  The thread
 * announces a quiescent state by storing ctrl->gp_seq into qs_seq (release
 * store); a checkpoint completes only when every online registered thread
 * has qs_seq == gp_seq, and then increments gp_seq.  A thread about to block
 * stores online = 0 (it holds no references while offline) and 1 again
 * after, followed by a quiescent state.  The kernel keeps its own record of
 * which task owns a slot and drops slots of exited tasks and closed files.
 */
struct vgc_thread_slot {
	__u64 qs_seq;			/* written by the thread */
	__u32 online;			/* written by the thread */
	__u32 in_use;			/* written by the kernel */
	__u32 partition;		/* written by the kernel */
	__u32 tid;			/* written by the kernel */
	__u64 pad[5];
};

/* ---- VGC_IOC_GROW ------------------------------------------------------ */
/**
 * struct vgc_grow - argument of VGC_IOC_GROW
 * @size: in: sizeof() of the caller's struct, at least %VGC_GROW_SIZE_VER0
 * @zone: in: enum vgc_zone (-EINVAL otherwise)
 * @partition: in: partition index (-EINVAL when out of range)
 * @pad: must be zero (-EINVAL)
 * @granules: in: granules to commit, a non-zero multiple of
 *	%VGC_SPAN_GRANULES (-EINVAL otherwise)
 * @committed_granules: out: the region's committed size afterwards
 * @reserved: must be zero (-EINVAL)
 *
 * Commits pages of the region's reserve at the end of its Gen0, on the node
 * of the partition's CPU.  -ENOSPC past the reserve or the module's
 * limit_mb, -ENOMEM when the kernel has no pages.
 */
struct vgc_grow {
	__u32 size;
	__u32 zone;			/* enum vgc_zone */
	__u32 partition;
	__u32 pad;
	__u64 granules;			/* in: to add (whole spans) */
	__u64 committed_granules;	/* out: region's new committed size */
	__u64 reserved[2];
};

#define VGC_GROW_SIZE_VER0	48

/* ---- VGC_IOC_THREAD_REGISTER / _UNREGISTER ---------------------------- */
/**
 * struct vgc_thread_reg - argument of VGC_IOC_THREAD_REGISTER/_UNREGISTER
 * @size: in: sizeof() of the caller's struct, at least
 *	%VGC_THREAD_REG_SIZE_VER0
 * @flags: none defined: must be 0 (-EINVAL)
 * @partition: in (register): the thread's partition (-EINVAL when out of
 *	range)
 * @slot: out (register): the thread's slot; in (unregister): the slot to
 *	free
 * @reserved: must be zero (-EINVAL)
 *
 * Registers the calling thread (one slot per thread and arena, -EEXIST for
 * a second; -ENOSPC when all VGC_MAX_THREADS slots are taken).  The new slot
 * starts online with qs_seq = gp_seq: registration is a quiescent state, so
 * the thread holds up checkpoints from the next grace period on.  Any
 * thread of the file may unregister any slot; a slot not in use is -EINVAL.
 */
struct vgc_thread_reg {
	__u32 size;
	__u32 flags;			/* none defined: 0 */
	__u32 partition;		/* in (register) */
	__u32 slot;			/* out (register), in (unregister) */
	__u64 reserved[2];
};

#define VGC_THREAD_REG_SIZE_VER0	32

/* ---- VGC_IOC_CHECKPOINT ------------------------------------------------ */

/* Evaluate every zone and generation now, whatever the cadence says. */
#define VGC_CKPT_F_ALL_ZONES	0x1U
/*
 * Evaluate every word of the activated parts, ignoring the span summaries
 * (the same result as without the flag when every request was noted).
 */
#define VGC_CKPT_F_FULL		0x2U
#define VGC_CKPT_F_FLAGS_ALL	(VGC_CKPT_F_ALL_ZONES | VGC_CKPT_F_FULL)

/**
 * struct vgc_checkpoint - argument of VGC_IOC_CHECKPOINT
 * @size: in: sizeof() of the caller's struct, at least
 *	%VGC_CHECKPOINT_SIZE_VER0
 * @flags: in: %VGC_CKPT_F_* (others -EINVAL)
 * @partition_mask: in: partitions to sweep, 0 = all; bits of partitions
 *	that do not exist are -EINVAL
 * @blocker_slot: out, on -EAGAIN: slot of the first thread not quiescent
 * @blocker_tid: out, on -EAGAIN: its thread id
 * @gp_seq: out: gp_seq after the checkpoint (unchanged on -EAGAIN)
 * @sweep_ns: out: wall time of the sweeps
 * @zones_evaluated: out: bit mask of the zones swept (1 << enum vgc_zone)
 * @gens_evaluated: out: bit mask of the generations swept
 * @counts: out: what the sweeps did, summed over partitions
 * @reserved: must be zero (-EINVAL)
 *
 * Completes a grace period, then sweeps the selected partitions, each on its
 * own CPU.  Checkpoint n (1-based) evaluates Red and Green always, Blue when
 * n % blue_every == 0, Gen0 always, Gen1/Gen2 when n % gen1_every/gen2_every
 * == 0, and everything with %VGC_CKPT_F_ALL_ZONES.  The struct is written
 * back on success and on -EAGAIN.
 */
struct vgc_checkpoint {
	__u32 size;
	__u32 flags;			/* VGC_CKPT_F_* */
	__u64 partition_mask;		/* partitions to sweep; 0 = all */
	/*
	 * -EAGAIN when a registered online thread has not announced a
	 * quiescent state in this grace period; blocker_slot / blocker_tid
	 * then name the first one.
	 */
	__u32 blocker_slot;		/* out */
	__u32 blocker_tid;		/* out */
	__u64 gp_seq;			/* out: gp_seq after the checkpoint */
	__u64 sweep_ns;			/* out: wall time of the sweeps */
	__u32 zones_evaluated;		/* out: mask of zones swept */
	__u32 gens_evaluated;		/* out: mask of gens swept */
	struct vgc_sweep_counts counts;	/* out: summed over partitions */
	__u64 reserved[4];
};

#define VGC_CHECKPOINT_SIZE_VER0	208

/* ---- VGC_IOC_BATCH ----------------------------------------------------- */
/**
 * enum vgc_batch_op - object commands of VGC_IOC_BATCH and io_uring
 * @VGC_BATCH_RELEASE: -> Deferred at the next checkpoint
 * @VGC_BATCH_PIN: -> Persistent
 * @VGC_BATCH_TOUCH: set the access bit
 * @VGC_BATCH_MUTATE: set the mutation bit
 * @VGC_BATCH_KEEP: decline a candidate: -> Active
 * @VGC_BATCH_PROMOTE: classifier: -> 010 candidate
 * @VGC_BATCH_DEMOTE: classifier: -> 011 candidate
 */
enum vgc_batch_op {
	VGC_BATCH_RELEASE	= 1,	/* -> Deferred at next checkpoint */
	VGC_BATCH_PIN		= 2,	/* -> Persistent */
	VGC_BATCH_TOUCH		= 3,	/* set the access bit */
	VGC_BATCH_MUTATE	= 4,	/* set the mutation bit */
	VGC_BATCH_KEEP		= 5,	/* decline a candidate: -> Active */
	VGC_BATCH_PROMOTE	= 6,	/* classifier: -> 010 candidate */
	VGC_BATCH_DEMOTE	= 7,	/* classifier: -> 011 candidate */
};

#define VGC_BATCH_MAX		65536	/* more: -E2BIG */

/**
 * struct vgc_batch - argument of VGC_IOC_BATCH
 * @size: in: sizeof() of the caller's struct, at least %VGC_BATCH_SIZE_VER0
 * @op: in: enum vgc_batch_op (-EINVAL otherwise)
 * @count: in: indices at @indices_ptr, 0..%VGC_BATCH_MAX (-E2BIG above)
 * @flags: none defined: must be 0 (-EINVAL)
 * @indices_ptr: in: user address of @count __u64 object indices
 * @done: out: objects applied before the first failure
 * @error: out: errno of the first failure (negative), 0 when none
 * @reserved: must be zero (-EINVAL)
 *
 * Applies op to count object indices read from indices_ptr.  Each index
 * must be a valid object (VALID set, -EINVAL otherwise); RELEASE of an
 * object already released is -EALREADY, of a Persistent one -EPERM.
 * Processing stops at the first error; "done" says how many were applied.
 * KEEP applies to 010/011 candidates only, PROMOTE and DEMOTE to Idle or
 * Active objects (-EINVAL otherwise); an index past the arena is -EINVAL,
 * an unreadable @indices_ptr -EFAULT.  Once the arguments are accepted the
 * struct is written back, and the ioctl returns the first error.
 */
struct vgc_batch {
	__u32 size;
	__u32 op;			/* enum vgc_batch_op */
	__u32 count;
	__u32 flags;			/* none defined: 0 */
	__u64 indices_ptr;		/* __u64 object indices */
	__u32 done;			/* out */
	__s32 error;			/* out: errno of the first failure */
	__u64 reserved[2];
};

#define VGC_BATCH_SIZE_VER0	48

/* ---- VGC_IOC_GET_STATS ------------------------------------------------- */
/**
 * struct vgc_stats - argument of VGC_IOC_GET_STATS
 * @size: in: sizeof() of the caller's struct, at least %VGC_STATS_SIZE_VER0
 * @nr_threads: out: registered threads (dead ones dropped first)
 * @gp_seq: out: the grace-period sequence
 * @checkpoints: out: completed checkpoints
 * @committed_bytes: out: data pages committed
 * @metadata_bytes: out: pages of ctrl, threads, spans and planes
 * @reclaimed_objects: out: objects reclaimed since creation
 * @reclaimed_bytes: out: their sizes (a large object: its run), in bytes
 * @dead_threads_dropped: out: slots of exited tasks the kernel dropped
 * @reserved: must be zero (-EINVAL)
 */
struct vgc_stats {
	__u32 size;
	__u32 nr_threads;		/* out */
	__u64 gp_seq;			/* out */
	__u64 checkpoints;		/* out */
	__u64 committed_bytes;		/* out: data pages */
	__u64 metadata_bytes;		/* out: ctrl, threads, spans, planes */
	__u64 reclaimed_objects;	/* out: since creation */
	__u64 reclaimed_bytes;		/* out */
	__u64 dead_threads_dropped;	/* out: slots of exited tasks */
	__u64 reserved[4];
};

#define VGC_STATS_SIZE_VER0	96

/* ---- VGC_IOC_DECOMMIT / VGC_IOC_COMMIT --------------------------------- */
/**
 * struct vgc_span_range - argument of VGC_IOC_DECOMMIT and VGC_IOC_COMMIT
 * @size: in: sizeof() of the caller's struct, at least
 *	%VGC_SPAN_RANGE_SIZE_VER0
 * @flags: in: none defined, must be 0 (-EINVAL)
 * @first_span: in: the first span, an index of the whole index space
 *	(granule >> 12, i.e. (addr - data_base) >> 16)
 * @nr_spans: in: spans from @first_span on, at least 1; all of them inside
 *	the committed part of one region (-EINVAL otherwise, and on overflow)
 * @changed: out: spans of the range that changed state (decommitted by
 *	DECOMMIT, committed again by COMMIT); the others already were
 * @reserved: must be zero (-EINVAL)
 *
 * VGC_IOC_DECOMMIT frees the data pages of the spans and unmaps them from
 * every mapping of the arena (a fork()ed child's too): until VGC_IOC_COMMIT
 * a touch raises SIGBUS.  The spans stay committed granules of their
 * region (sweeps, GET_LAYOUT and GROW do not change) and their plane
 * words stay: resetting them is the caller's business.  The module's used
 * bytes, the user's and the memory cgroup's charges and committed_bytes
 * (VGC_IOC_GET_STATS, the ctrl page) drop by 64 KiB a span.  -EBUSY (and
 * nothing changes) when a page of the range is still referenced elsewhere
 * (get_user_pages() pins, an io_uring fixed buffer, a pipe).
 *
 * VGC_IOC_COMMIT gives decommitted spans of the range fresh zeroed pages
 * on the node of the region's partition, charged as VGC_IOC_GROW charges:
 * all or nothing, -ENOSPC past limit_mb or node_limit_mb, -EDQUOT past
 * user_limit_mb, -EPERM past RLIMIT_MEMLOCK, -ENOMEM when the kernel has
 * no pages.  Spans that are committed are left alone: both commands are
 * idempotent.
 */
struct vgc_span_range {
	__u32 size;
	__u32 flags;			/* none: 0 */
	__u64 first_span;
	__u64 nr_spans;
	__u64 changed;			/* out */
	__u64 reserved[2];
};

#define VGC_SPAN_RANGE_SIZE_VER0	48

/* ---- Commands ---------------------------------------------------------- */
#define VGC_IOC_MAGIC		'V'
#define VGC_IOC_GET_VERSION	_IOWR(VGC_IOC_MAGIC, 0x00, struct vgc_version)
#define VGC_IOC_CREATE_ARENA	_IOWR(VGC_IOC_MAGIC, 0x01, struct vgc_arena_params)
#define VGC_IOC_GET_LAYOUT	_IOWR(VGC_IOC_MAGIC, 0x02, struct vgc_layout)
#define VGC_IOC_GROW		_IOWR(VGC_IOC_MAGIC, 0x03, struct vgc_grow)
#define VGC_IOC_THREAD_REGISTER	_IOWR(VGC_IOC_MAGIC, 0x04, struct vgc_thread_reg)
#define VGC_IOC_THREAD_UNREGISTER _IOWR(VGC_IOC_MAGIC, 0x05, struct vgc_thread_reg)
#define VGC_IOC_CHECKPOINT	_IOWR(VGC_IOC_MAGIC, 0x06, struct vgc_checkpoint)
#define VGC_IOC_BATCH		_IOWR(VGC_IOC_MAGIC, 0x07, struct vgc_batch)
#define VGC_IOC_GET_STATS	_IOWR(VGC_IOC_MAGIC, 0x08, struct vgc_stats)
#define VGC_IOC_DECOMMIT	_IOWR(VGC_IOC_MAGIC, 0x09, struct vgc_span_range)
#define VGC_IOC_COMMIT		_IOWR(VGC_IOC_MAGIC, 0x0a, struct vgc_span_range)

/*
 * io_uring passthrough (IORING_OP_URING_CMD on the /dev/vgc fd).  The SQE's
 * inline payload (16 bytes in a 64-byte SQE, the first 16 of 80 with
 * IORING_SETUP_SQE128) is struct vgc_uring_cmd, read once at issue; sqe->cmd_op
 * picks the command:
 *
 *  - any VGC_IOC_* number: "arg" is the user address of the command's
 *    argument struct, exactly as ioctl takes it, read and written the same
 *    way (it must stay valid until the CQE); flags and count must be 0.
 *    CQE res is the ioctl's return value (0 or -errno).
 *    VGC_IOC_CHECKPOINT completes asynchronously: the sweep runs on the
 *    partitions' own CPUs while the ring goes on, and the result struct is
 *    written back in the submitting task before the CQE is posted.
 *    At most 64 checkpoints may be in flight per arena: -EBUSY beyond.
 *
 *  - VGC_URING_OBJ: one object, no argument struct.  arg is the object
 *    index, flags the op (enum vgc_batch_op), count 0.  res is what
 *    VGC_IOC_BATCH reports for a batch of that one index (0 or -errno).
 *
 *  - VGC_URING_BATCH: arg is the user address of count __u64 object
 *    indices (0..VGC_BATCH_MAX, -E2BIG above), flags the op.
 *    Same semantics as VGC_IOC_BATCH without its struct: res is 0 when all
 *    were applied, else the errno of the first failure; with
 *    IORING_SETUP_CQE32 the CQE's big_cqe[0] holds "done", the number
 *    applied.
 *
 *  - VGC_URING_CHECKPOINT: a checkpoint with no argument struct, completed
 *    asynchronously: arg is the partition mask (0 = all), flags the
 *    VGC_CKPT_F_* flags, count 0.  res is what VGC_IOC_CHECKPOINT returns;
 *    with CQE32 big_cqe[0] is gp_seq after the checkpoint on success and
 *    (blocker_tid << 32 | blocker_slot) on -EAGAIN.
 *
 * Errors of the passthrough itself: unknown cmd_op -ENOTTY; non-zero
 * flags/count where none are defined, an unknown op, reserved SQE fields
 * -EINVAL; bad pointers -EFAULT.  The ring may be set up with any of
 * SINGLE_ISSUER, DEFER_TASKRUN, SQE128, CQE32.  VGC_IOC_THREAD_REGISTER and
 * _UNREGISTER act for the task that issues the SQE: from io_uring's own
 * threads (IOSQE_ASYNC, SQPOLL) they are -EOPNOTSUPP.  Commands that
 * serialise with checkpoints (stats, growth, the quorum) wait for a running
 * sweep as their ioctls do; object commands never wait.  At most 64
 * checkpoints of an arena may be in flight (-EBUSY beyond).  Commands in
 * flight hold the file: closing the fd never loses one.  When the ring or
 * its task goes away, kernels with uring_cmd cancellation (6.7 on) complete
 * a checkpoint still in flight at once with -ECANCELED (the sweep itself
 * runs to its end); older kernels wait for it.
 */
#define VGC_URING_OBJ		_IO(VGC_IOC_MAGIC, 0x40)
#define VGC_URING_BATCH		_IO(VGC_IOC_MAGIC, 0x41)
#define VGC_URING_CHECKPOINT	_IO(VGC_IOC_MAGIC, 0x42)

/**
 * struct vgc_uring_cmd - inline payload of an IORING_OP_URING_CMD SQE
 * @arg: per sqe->cmd_op: the argument struct's user address (VGC_IOC_*), the
 *	object index (%VGC_URING_OBJ), the indices' user address
 *	(%VGC_URING_BATCH) or the partition mask (%VGC_URING_CHECKPOINT)
 * @flags: enum vgc_batch_op for %VGC_URING_OBJ and %VGC_URING_BATCH,
 *	%VGC_CKPT_F_* for %VGC_URING_CHECKPOINT, else 0
 * @count: indices at @arg for %VGC_URING_BATCH, else 0
 *
 * Read once at issue; see the comment above %VGC_URING_OBJ.
 */
struct vgc_uring_cmd {
	__u64 arg;			/* see above, per cmd_op */
	__u32 flags;			/* op or VGC_CKPT_F_*; else 0 */
	__u32 count;			/* VGC_URING_BATCH; else 0 */
};

#define VGC_URING_CMD_SIZE	16

#endif /* _UAPI_LINUX_VGC_H */
