/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PPE internals shared by lib/ppe*.c: the pool, its workers and the
 * functions one part of PPE calls in another.  Nothing here is exported.
 */
#ifndef VGCU_PPE_INT_H
#define VGCU_PPE_INT_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vgcu_ppe.h"
#include "vgcu_int.h"

#define PPE_DEFAULT_STACK	(8UL << 20)
#define PPE_STACK_SLACK		(256UL << 10)
#define PPE_MAX_RESULT		4096
#define PPE_TOPO_CPUS		(VGC_MAX_PARTITIONS * 4)
/*
 * How a PPE thread waits for a run (workers) or for the workers (the
 * caller): poll with pause for spin_ns, then poll with sched_yield() for
 * yield_ns, then sleep on the futex.  VGC_PPE_SPIN and VGC_PPE_YIELD set
 * them in microseconds ("inf": never move on); a thread that shares its
 * CPU with another partition skips the pause phase.
 */
#define PPE_SPIN_DEFAULT_NS	100000ULL
#define PPE_YIELD_DEFAULT_NS	10000000ULL

struct ppe_wait_policy {
	uint64_t spin_ns;
	uint64_t yield_ns;
};
extern struct ppe_wait_policy ppe_wait;

/* A futex word and the number of threads asleep on it. */
struct ppe_event {
	_Atomic unsigned int word;
	_Atomic unsigned int sleepers;
} __attribute__((aligned(64)));

struct ppe_worker {
	struct vgc_ppe *ppe;
	pthread_t thread;
	unsigned int index;
	int cpu, node;
	int arena_part;
	size_t stack;
	int started;
	int quit;
	int init_err;
	int shared;			/* its CPU hosts another partition */
	struct ppe_event *ev;		/* the generation it waits on */
	struct vgc_ppe_part part;
	/* measurements of the last run */
	int cpu_seen;
	double cpu_ns, wall_ns;
	unsigned char slot[PPE_MAX_RESULT] __attribute__((aligned(64)));
} __attribute__((aligned(64)));

struct vgc_ppe {
	unsigned int nr;
	unsigned int flags;
	unsigned int ratio;
	double epsilon;
	enum vgc_ppe_balance balance;
	struct vgc_arena *arena;
	int own_arena;
	struct ppe_worker *w;
	pid_t owner;			/* the only process with the workers */
	pthread_mutex_t lock;

	/*
	 * Workers 1..P-1 wait on gen, worker 0 on gen0: partition 0 runs on
	 * the calling thread, and its worker is woken only when the caller
	 * cannot run it (ppe_caller_enter()).  One FUTEX_WAKE wakes them all.
	 */
	struct ppe_event gen;
	struct ppe_event gen0;
	struct ppe_event pending;	/* workers not done with the run */
	int caller_shared;		/* another partition on partition 0's CPU */
	/* where the caller was when it dispatched: a worker there yields */
	_Atomic int caller_cpu;

	/* the current run, read by workers after gen changes */
	struct vgc_ppe_job *job __attribute__((aligned(64)));
	uint64_t bounds[VGC_MAX_PARTITIONS + 1];
	unsigned char *blk;		/* block results, stride blk_stride */
	size_t blk_cap, blk_stride;

	/* learnt split: fractions of the range, frac[0] = 0, frac[nr] = 1 */
	double frac[VGC_MAX_PARTITIONS + 1];
	struct vgc_ppe_stats stats;
	int have_stats;
	unsigned int rebalanced;
};
#define PPE_MSG_LEN		256

/* ---- ppe.c: the pool and its error message --------------------------------- */

extern __thread int ppe_tls_self;	/* worker index, -1 outside workers */
extern __thread char ppe_tls_msg[PPE_MSG_LEN];

void ppe_set_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ppe_reset_frac(struct vgc_ppe *ppe);

/* ---- ppe_topo.c ------------------------------------------------------------ */

/*
 * CPU and memory node of each of nr partitions, and the partitions per
 * core; -EINVAL when they do not fit without VGC_PPE_F_CLUSTER.
 */
int ppe_place(const struct vgc_ppe_topology *t, unsigned int nr,
	      unsigned int flags, int *cpu, int *node, unsigned int *ratio);

/* Reads VGC_PPE_SPIN and VGC_PPE_YIELD once. */
void ppe_wait_policy_init(void);

/* ---- ppe_worker.c ---------------------------------------------------------- */

/* Wakes the sleepers of ev; no system call when nobody sleeps. */
void ppe_ev_wake(struct ppe_event *ev);
/*
 * Waits until every worker of the current generation is done; shared: the
 * caller's CPU may host one of them, so yield rather than pause.
 */
void ppe_wait_pending(struct vgc_ppe *ppe, int shared);
/* Runs w's partition of the current job on the calling thread. */
void ppe_run_part(struct vgc_ppe *ppe, struct ppe_worker *w);
/* Starts the workers in mask; the caller has set pending to their count. */
int ppe_spawn(struct vgc_ppe *ppe, const unsigned char *mask);
/* Stops the workers in mask (all started ones when mask is NULL). */
void ppe_stop(struct vgc_ppe *ppe, const unsigned char *mask);

/* ---- ppe_balance.c --------------------------------------------------------- */

/* Boundaries ub[0..nr] in units from the learnt fractions. */
void ppe_make_bounds(const struct vgc_ppe *ppe, uint64_t units, uint64_t *ub);
/* Measures the last run's imbalance; moves the fractions when apply. */
int ppe_rebalance_locked(struct vgc_ppe *ppe, int apply);

/* ---- ppe_aggregate.c ------------------------------------------------------- */

/* Folds the results of the run into job->result, in index order. */
void ppe_fold(struct vgc_ppe *ppe, struct vgc_ppe_job *job, uint64_t units);
/*
 * The statistics of the run dispatched at t0 whose workers were all done
 * at t1; returns err, or the first partition's error when err is 0.
 */
int ppe_collect(struct vgc_ppe *ppe, double t0, double t1, int err);

#endif /* VGCU_PPE_INT_H */
