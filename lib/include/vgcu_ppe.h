/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgcu PPE: Partitioned Parallel Execution (docs/design.md, PPE).
 *
 * A PPE pool owns one native thread per partition, pinned to a CPU the
 * process may use, each registered with its own core-local partition of a
 * VGC arena.  vgc_ppe_run() splits an index range into the pool's
 * partitions, runs the body on every partition at once, then folds the
 * per-partition results in partition order (the Sub-Allocator Aggregator).
 * The same threads serve every run; the calling thread runs partition 0
 * itself.
 *
 * Waiting: between runs a worker polls with pause for VGC_PPE_SPIN
 * microseconds (default 100), then polls with sched_yield() for
 * VGC_PPE_YIELD microseconds (default 10000), then sleeps on a futex; the
 * caller waits for the workers the same way.  Either variable may be 0 or
 * "inf".  A thread whose CPU also hosts another partition skips the pause
 * phase.  The variables are read once, at the first vgc_ppe_create().
 *
 * Determinism: the fold always starts from the job's initial result and
 * combines partitions (or blocks, see vgc_ppe_job.block) from the lowest
 * index up.  With an associative combine the result does not depend on P
 * or on where the boundaries lie; with block > 0 every block is computed
 * and combined on its own, so even a non-associative combine (floating
 * point) gives the same bits for every P and every split.
 *
 * Topology: CPUs come from sched_getaffinity(), memory nodes from the
 * cpuset (numa_get_mems_allowed) and the memory policy (numa_get_membind),
 * core and node of every CPU from sysfs/libnuma, so numactl
 * --physcpubind/--cpunodebind/--membind constrain the pool.
 *
 * fork(): a pool belongs to the process that created it.  A child gets a
 * copy of the pool but not its threads: vgc_ppe_run() there returns
 * -ESRCH, and vgc_ppe_destroy() only frees the child's copy (the parent's
 * pool goes on working).  A child that needs PPE creates its own pool.
 *
 * Every call returns 0 or a negative errno value; vgc_strerror() names the
 * errno and vgc_ppe_errmsg() describes the last failure of the calling
 * thread in words.
 */
#ifndef VGCU_PPE_H
#define VGCU_PPE_H

#include <stddef.h>
#include <stdint.h>
#include "vgcu.h"

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct vgc_ppe;

/* More partitions than allowed cores: several partitions share a core. */
#define VGC_PPE_F_CLUSTER	(1U << 0)
/* Move partition boundaries after each run (vgc_ppe_rebalance). */
#define VGC_PPE_F_REBALANCE	(1U << 1)
/* No arena at all: workers are pinned but allocate nothing from VGC. */
#define VGC_PPE_F_NO_ARENA	(1U << 2)
/*
 * Partition 0 always runs on its worker; the calling thread only waits
 * (see vgc_ppe_run() for what the caller does without this flag).
 */
#define VGC_PPE_F_NO_CALLER	(1U << 3)
/*
 * Do not read the thread CPU clock around bodies (a system call before and
 * after each, about 1.5 us apiece on a virtual machine with page-table
 * isolation, most of an empty run): vgc_ppe_stats cpu_ns then reports the
 * body's wall time, and rebalancing by time uses that.
 */
#define VGC_PPE_F_NO_CPU_TIME	(1U << 4)
#define VGC_PPE_F_ALL		(VGC_PPE_F_CLUSTER | VGC_PPE_F_REBALANCE | \
				 VGC_PPE_F_NO_ARENA | VGC_PPE_F_NO_CALLER | \
				 VGC_PPE_F_NO_CPU_TIME)

/* What rebalancing equalises: time, memory, or the sum of both shares. */
enum vgc_ppe_balance {
	VGC_PPE_BALANCE_BOTH = 0,
	VGC_PPE_BALANCE_TIME,
	VGC_PPE_BALANCE_MEM,
};

struct vgc_ppe_config {
	unsigned int nr_partitions;	/* T; 0 is an error */
	unsigned int flags;		/* VGC_PPE_F_* */
	/*
	 * Stack of every worker; 0: 8 MiB.  A job asking for more
	 * (vgc_ppe_job.stack_per_index) gets its workers respawned with
	 * bigger stacks.
	 */
	size_t stack_size;
	double epsilon;			/* rebalancing threshold; 0: 0.10 */
	enum vgc_ppe_balance balance;
	/*
	 * Arena the workers register with.  NULL: the pool opens its own,
	 * one arena partition per PPE partition on the same CPU, with
	 * arena_config (NULL: vgc_config_init defaults) for the rest.
	 */
	struct vgc_arena *arena;
	const struct vgc_config *arena_config;
};

/**
 * vgc_ppe_config_init() - fill a pool configuration with the defaults
 * @cfg: the configuration
 *
 * One partition, no flags, 8 MiB stacks, epsilon 0.10, balance both, the
 * pool's own arena with vgc_config_init() defaults.
 */
void vgc_ppe_config_init(struct vgc_ppe_config *cfg);

/**
 * vgc_ppe_create() - create a pool and start its workers
 * @cfg: the configuration
 * @out: receives the pool
 *
 * Return: 0; -EINVAL: @cfg or @out NULL, nr_partitions is 0 or above
 * %VGC_MAX_PARTITIONS, unknown flags, a negative epsilon or unknown
 * balance, or more partitions than allowed cores without
 * %VGC_PPE_F_CLUSTER; -ENODEV: no usable CPU; -ENOMEM.  Errors of
 * sched_getaffinity(), vgc_arena_open(), vgc_thread_register() and pthreads
 * pass through.  vgc_ppe_errmsg() says more.
 */
int vgc_ppe_create(const struct vgc_ppe_config *cfg, struct vgc_ppe **out);
/**
 * vgc_ppe_destroy() - stop the workers and free the pool
 * @ppe: the pool, or NULL (nothing happens)
 *
 * Closes the pool's own arena.  In a fork()ed child only the child's copy
 * is freed; the parent's pool goes on working.
 */
void vgc_ppe_destroy(struct vgc_ppe *ppe);

/* ---- topology ----------------------------------------------------------- */

struct vgc_ppe_topology {
	unsigned int nr_cpus;		/* allowed CPUs */
	unsigned int nr_cores;		/* allowed cores (SMT siblings fold) */
	unsigned int nr_nodes;		/* nodes of the allowed CPUs */
	unsigned int nr_mem_nodes;	/* nodes memory may come from */
	/* allowed CPUs, ascending; the first 256 of a bigger machine */
	int cpus[VGC_MAX_PARTITIONS * 4];
	int cpu_node[VGC_MAX_PARTITIONS * 4];
	int cpu_core[VGC_MAX_PARTITIONS * 4];	/* dense core number */
	uint64_t mem_nodes;		/* bit n: node n allowed for memory */
};

/**
 * vgc_ppe_topology() - the process's topology as PPE sees it now
 * @topo: receives CPUs, cores, nodes and memory nodes
 *
 * Return: 0, -EINVAL for @topo NULL, -ENODEV when the affinity mask holds
 * no CPU, or the errno of sched_getaffinity().
 */
int vgc_ppe_topology(struct vgc_ppe_topology *topo);

/**
 * vgc_ppe_partitions() - the pool's partition count
 * @ppe: the pool
 *
 * Return: P, 0 for @ppe NULL.
 */
unsigned int vgc_ppe_partitions(const struct vgc_ppe *ppe);
/**
 * vgc_ppe_cpu() - CPU of a partition
 * @ppe: the pool
 * @p: partition index
 *
 * Return: the CPU its worker is pinned to, or -EINVAL.
 */
int vgc_ppe_cpu(const struct vgc_ppe *ppe, unsigned int p);
/**
 * vgc_ppe_node() - memory node of a partition
 * @ppe: the pool
 * @p: partition index
 *
 * Return: the node, or -EINVAL.
 */
int vgc_ppe_node(const struct vgc_ppe *ppe, unsigned int p);
/**
 * vgc_ppe_ratio() - partitions per core, rounded up
 * @ppe: the pool
 *
 * Return: 1 unless clustered, 0 for @ppe NULL.
 */
unsigned int vgc_ppe_ratio(const struct vgc_ppe *ppe);
/**
 * vgc_ppe_arena() - the arena the workers are registered with
 * @ppe: the pool
 *
 * Return: the arena, NULL with %VGC_PPE_F_NO_ARENA or for @ppe NULL.
 */
struct vgc_arena *vgc_ppe_arena(const struct vgc_ppe *ppe);

/* ---- running ------------------------------------------------------------ */

/* What a body sees of its partition. */
struct vgc_ppe_part {
	unsigned int index;		/* partition 0..P-1 */
	int cpu;			/* the CPU the worker is pinned to */
	int node;
	uint64_t begin, end;		/* the partition's whole range */
	struct vgc_arena *arena;	/* NULL with VGC_PPE_F_NO_ARENA */
	uint64_t mem_bytes;		/* vgc_ppe_alloc'ed in this run */
	uint64_t nr_allocs;
	int error;			/* first failure of the body */
	void *priv;
};

/*
 * Computes [begin, end) into result (result_size bytes, preset to the
 * job's initial value).  Returns 0 or a negative errno, which ends the run
 * with that error after every partition has finished.
 */
typedef int (*vgc_ppe_body_fn)(struct vgc_ppe_part *part, uint64_t begin,
			       uint64_t end, void *result, void *arg);
/* acc = acc (+) part; called in index order by the aggregating thread. */
typedef void (*vgc_ppe_combine_fn)(void *acc, const void *part, void *arg);

struct vgc_ppe_job {
	uint64_t begin, end;		/* the index range; empty: -ENODATA */
	vgc_ppe_body_fn body;
	vgc_ppe_combine_fn combine;	/* NULL: results are not combined */
	void *arg;
	void *result;			/* in: initial value, out: combined */
	size_t result_size;		/* 0..4096 bytes */
	/*
	 * 0: one body call per partition.  n > 0: boundaries fall on
	 * multiples of n (from begin) and the body is called once per
	 * block, each block with its own result; the fold runs over
	 * blocks.
	 */
	uint64_t block;
	/*
	 * Stack each index of a partition may need (deep recursion):
	 * a worker whose stack is below (end - begin) * stack_per_index
	 * plus 256 KiB is respawned with one that big before the run.
	 */
	size_t stack_per_index;
};

/* Per-partition measurements of the last run. */
struct vgc_ppe_stats {
	unsigned int nr_partitions;
	double wall_ns;			/* dispatch to aggregation done */
	double aggregate_ns;		/* the fold alone */
	double imbalance;		/* max(cost)/mean(cost) - 1 */
	unsigned int splits, merges;	/* by the last rebalance */
	unsigned int rebalanced;	/* runs that moved boundaries */
	struct {
		uint64_t begin, end;
		int cpu, cpu_seen;	/* pinned CPU, sched_getcpu() */
		double cpu_ns;		/* thread CPU time of the body
					 * (wall time with NO_CPU_TIME) */
		double wall_ns;
		uint64_t mem_bytes;
		uint64_t nr_allocs;
	} part[VGC_MAX_PARTITIONS];
};

/**
 * vgc_ppe_run() - run a job on every partition and fold the results
 * @ppe: the pool
 * @job: the job; its result is preset to the initial value and receives
 *	the combined one
 *
 * With fewer indices (blocks) than partitions the last partitions get
 * empty ranges and their body is not called.  With %VGC_PPE_F_REBALANCE
 * the boundaries are rebalanced after the run.
 *
 * The calling thread runs partition 0 itself, registered in partition 0's
 * arena partition (the pool's own arena registers it there at its first
 * run, offline between runs; in a given arena the thread must already be
 * registered there) and on partition 0's CPU: when it runs elsewhere its
 * affinity is narrowed to that CPU for the body and restored after.
 * Partition 0's worker runs it instead, and the caller only waits, with
 * %VGC_PPE_F_NO_CALLER, when the caller's affinity excludes that CPU, when
 * it is registered in another partition of the arena, or when its stack
 * has less room than the job's stack_per_index asks for.
 *
 * Return: 0; -ENODATA: empty range; -EINVAL: @ppe, @job or the body NULL,
 * result_size above 4096, result missing; -EBUSY: called from a PPE body,
 * on a worker or on the caller (pools do not nest); -ESRCH: the pool was created by another process
 * (used after fork()); -E2BIG: block results or a stack beyond memory;
 * -ENOMEM: no memory for block results; an error of respawning a worker;
 * or a body's error, returned after every partition has finished.
 */
int vgc_ppe_run(struct vgc_ppe *ppe, struct vgc_ppe_job *job);
/**
 * vgc_ppe_last_stats() - measurements of the last run
 * @ppe: the pool
 * @out: receives them
 *
 * Return: 0, -EINVAL for a NULL argument, -ENODATA before the first run.
 */
int vgc_ppe_last_stats(const struct vgc_ppe *ppe, struct vgc_ppe_stats *out);

/**
 * vgc_ppe_rebalance() - move boundaries after the last run's costs
 * @ppe: the pool
 *
 * The pool keeps one learnt split, as fractions of the range, and applies
 * it to every later job whatever its length.  Called after every run with
 * %VGC_PPE_F_REBALANCE.
 *
 * Return: 1 when boundaries moved, 0 when every partition is within
 * epsilon of the mean (or P is 1), -EINVAL for @ppe NULL, -ENODATA before
 * the first run.
 */
int vgc_ppe_rebalance(struct vgc_ppe *ppe);
/**
 * vgc_ppe_reset_split() - forget learnt boundaries
 * @ppe: the pool, or NULL (nothing happens)
 *
 * Back to equal static partitions.
 */
void vgc_ppe_reset_split(struct vgc_ppe *ppe);
/**
 * vgc_ppe_set_split() - set the split
 * @ppe: the pool
 * @frac: P + 1 fractions, not decreasing, from 0 to 1: partition p gets
 *	[frac[p], frac[p+1]) of every range
 * @nr_frac: P + 1
 *
 * Return: 0, or -EINVAL otherwise.
 */
int vgc_ppe_set_split(struct vgc_ppe *ppe, const double *frac,
		      unsigned int nr_frac);
/**
 * vgc_ppe_split() - current boundaries for a range length
 * @ppe: the pool
 * @n: the range length
 * @bounds: receives P + 1 offsets from 0 to @n
 * @nr_bounds: room at @bounds, at least P + 1
 *
 * Return: 0, or -EINVAL for a NULL argument or too little room.
 */
int vgc_ppe_split(const struct vgc_ppe *ppe, uint64_t n, uint64_t *bounds,
		  unsigned int nr_bounds);

/* ---- inside a body ------------------------------------------------------ */

/**
 * vgc_ppe_alloc() - allocate in Green from the worker's partition
 * @part: the body's partition
 * @size: bytes
 *
 * Allocates from the worker's own arena partition (zone Green, Gen0) and
 * counts the bytes for rebalancing.
 *
 * Return: the object, or NULL with errno as vgc_ppe_alloc_zone().
 */
void *vgc_ppe_alloc(struct vgc_ppe_part *part, size_t size);
/**
 * vgc_ppe_alloc_zone() - allocate in a zone from the worker's partition
 * @part: the body's partition
 * @size: bytes
 * @zone: enum vgc_zone
 *
 * Return: the object, or NULL with errno: EINVAL for @part NULL, ENXIO
 * without an arena (%VGC_PPE_F_NO_ARENA), else as vgc_alloc().
 */
void *vgc_ppe_alloc_zone(struct vgc_ppe_part *part, size_t size,
			 enum vgc_zone zone);
/**
 * vgc_ppe_self() - the calling worker's partition
 *
 * Return: the partition index, or -1 outside PPE workers.
 */
int vgc_ppe_self(void);

/**
 * vgc_ppe_errmsg() - the calling thread's last PPE failure in words
 *
 * Return: the message, "" when none.
 */
const char *vgc_ppe_errmsg(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* VGCU_PPE_H */
