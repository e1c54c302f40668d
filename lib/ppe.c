// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE: pinned partition workers, static splits learnt across runs, and the
 * ordered fold that makes results independent of the split.
 *
 * Workers wait on a generation counter (spin briefly, then futex) so that a
 * run of a few hundred microseconds is not dominated by wake-up latency;
 * the dispatching thread waits the same way on a pending counter.  Between
 * runs a worker is offline in its arena, so checkpoints never wait for an
 * idle pool.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vgcu_ppe.h"

#define PPE_API __attribute__((visibility("default")))

#define PPE_DEFAULT_STACK	(8UL << 20)
#define PPE_STACK_SLACK		(256UL << 10)
#define PPE_MAX_RESULT		4096
#define PPE_TOPO_CPUS		(VGC_MAX_PARTITIONS * 4)
/*
 * How long a thread spins before it sleeps: workers catch back-to-back
 * runs; the dispatcher yields while it spins, since with one partition per
 * core it shares a CPU with a worker.
 */
#define PPE_SPIN_WORKER_NS	200000
#define PPE_SPIN_WAITER_NS	100000

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

	struct ppe_event gen;
	struct ppe_event pending;

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

static __thread int tls_self = -1;
static __thread char tls_msg[256];

static void set_msg(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void set_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tls_msg, sizeof(tls_msg), fmt, ap);
	va_end(ap);
}

PPE_API const char *vgc_ppe_errmsg(void)
{
	return tls_msg;
}

PPE_API int vgc_ppe_self(void)
{
	return tls_self;
}

static double now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void futex_wait(_Atomic unsigned int *addr, unsigned int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Wakes the sleepers of ev; no system call when nobody sleeps. */
static void ev_wake(struct ppe_event *ev)
{
	if (atomic_load(&ev->sleepers))
		syscall(SYS_futex, &ev->word, FUTEX_WAKE_PRIVATE, INT_MAX,
			NULL, NULL, 0);
}

/* Waits until ev->word != val: spin for spin_ns, then sleep. */
static void ev_wait(struct ppe_event *ev, unsigned int val, double spin_ns,
		    int yield)
{
	double t0 = 0;
	unsigned int i;

	for (i = 0;; i++) {
		if (atomic_load_explicit(&ev->word, memory_order_acquire) != val)
			return;
		if (!(i & 63)) {
			double t = now_ns(CLOCK_MONOTONIC);

			if (!t0)
				t0 = t;
			else if (t - t0 > spin_ns)
				break;
			if (yield)
				sched_yield();
		}
		cpu_relax();
	}
	/* seq_cst pairs with the waker's update-then-check of sleepers */
	atomic_fetch_add(&ev->sleepers, 1);
	while (atomic_load(&ev->word) == val)
		futex_wait(&ev->word, val);
	atomic_fetch_sub(&ev->sleepers, 1);
}

/* One worker done: the last one wakes the dispatcher. */
static void ev_done(struct ppe_event *ev)
{
	if (atomic_fetch_sub(&ev->word, 1) == 1)
		ev_wake(ev);
}

/* ---- topology ----------------------------------------------------------- */

static long read_sysfs_long(int cpu, const char *leaf)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, leaf);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

PPE_API int vgc_ppe_topology(struct vgc_ppe_topology *t)
{
	long core_key[PPE_TOPO_CPUS];
	uint64_t node_seen = 0;
	cpu_set_t set;
	int have_numa;
	int cpu, i;

	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set)) {
		int err = -errno;

		set_msg("sched_getaffinity: %s", strerror(errno));
		return err;
	}
	have_numa = numa_available() >= 0;
	for (cpu = 0; cpu < CPU_SETSIZE && t->nr_cpus < PPE_TOPO_CPUS; cpu++) {
		long pkg, core, key;
		unsigned int n = t->nr_cpus;
		int node;

		if (!CPU_ISSET(cpu, &set))
			continue;
		node = have_numa ? numa_node_of_cpu(cpu) : 0;
		if (node < 0)
			node = 0;
		pkg = read_sysfs_long(cpu, "physical_package_id");
		core = read_sysfs_long(cpu, "core_id");
		/* no topology directory: every CPU is its own core */
		key = core < 0 ? -1 - cpu : ((pkg < 0 ? 0 : pkg) << 24) | core;
		t->cpus[n] = cpu;
		t->cpu_node[n] = node;
		t->cpu_core[n] = -1;
		for (i = 0; i < (int)n; i++) {
			if (core_key[i] == key) {
				t->cpu_core[n] = t->cpu_core[i];
				break;
			}
		}
		core_key[n] = key;
		if (t->cpu_core[n] < 0)
			t->cpu_core[n] = t->nr_cores++;
		if (node < 64 && !(node_seen & (1ULL << node))) {
			node_seen |= 1ULL << node;
			t->nr_nodes++;
		}
		t->nr_cpus++;
	}
	if (!t->nr_cpus) {
		set_msg("no CPU in the affinity mask");
		return -ENODEV;
	}
	if (have_numa) {
		struct bitmask *allowed = numa_get_mems_allowed();
		struct bitmask *bind = numa_get_membind();
		int max = numa_max_node();

		for (i = 0; i <= max && i < 64; i++)
			if ((!allowed || numa_bitmask_isbitset(allowed, i)) &&
			    (!bind || numa_bitmask_isbitset(bind, i)))
				t->mem_nodes |= 1ULL << i;
		if (allowed)
			numa_bitmask_free(allowed);
		if (bind)
			numa_bitmask_free(bind);
	}
	if (!t->mem_nodes)
		t->mem_nodes = have_numa ? node_seen : 1;
	t->nr_mem_nodes = __builtin_popcountll(t->mem_nodes);
	return 0;
}

/* The allowed memory node closest to the CPU's own node. */
static int pick_node(const struct vgc_ppe_topology *t, int node)
{
	int best = -1, bestd = INT_MAX, n;

	if (node >= 0 && node < 64 && (t->mem_nodes & (1ULL << node)))
		return node;
	for (n = 0; n < 64; n++) {
		int d;

		if (!(t->mem_nodes & (1ULL << n)))
			continue;
		d = numa_available() >= 0 ? numa_distance(node, n) : 0;
		if (d <= 0)
			d = INT_MAX - 1;
		if (d < bestd) {
			bestd = d;
			best = n;
		}
	}
	return best < 0 ? 0 : best;
}

/*
 * One partition per core (its first allowed CPU) when T <= C; clustered
 * otherwise: consecutive partitions share a CPU, SMT siblings included.
 */
static int place(const struct vgc_ppe_topology *t, unsigned int nr,
		 unsigned int flags, int *cpu, int *node, unsigned int *ratio)
{
	unsigned int i, c;

	if (nr <= t->nr_cores) {
		for (i = 0; i < nr; i++) {
			for (c = 0; c < t->nr_cpus; c++)
				if (t->cpu_core[c] == (int)i)
					break;
			cpu[i] = t->cpus[c];
			node[i] = pick_node(t, t->cpu_node[c]);
		}
		*ratio = 1;
		return 0;
	}
	if (!(flags & VGC_PPE_F_CLUSTER)) {
		set_msg("%u partitions but only %u allowed cores (%u CPUs): set VGC_PPE_F_CLUSTER to share cores",
			nr, t->nr_cores, t->nr_cpus);
		return -EINVAL;
	}
	for (i = 0; i < nr; i++) {
		c = (unsigned int)((uint64_t)i * t->nr_cpus / nr);
		cpu[i] = t->cpus[c];
		node[i] = pick_node(t, t->cpu_node[c]);
	}
	*ratio = (nr + t->nr_cores - 1) / t->nr_cores;
	return 0;
}

/* ---- workers ------------------------------------------------------------ */

static void run_part(struct vgc_ppe *ppe, struct ppe_worker *w)
{
	struct vgc_ppe_job *job = ppe->job;
	uint64_t b = ppe->bounds[w->index], e = ppe->bounds[w->index + 1];
	double t0, c0;
	int err = 0;

	w->cpu_seen = sched_getcpu();
	w->part.begin = b;
	w->part.end = e;
	w->part.mem_bytes = 0;
	w->part.nr_allocs = 0;
	w->part.error = 0;
	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	if (b < e && !job->block) {
		if (job->result_size)
			memcpy(w->slot, job->result, job->result_size);
		err = job->body(&w->part, b, e, w->slot, job->arg);
	} else if (b < e) {
		uint64_t k = (b - job->begin) / job->block;

		for (; b < e && !err; b += job->block, k++) {
			void *slot = ppe->blk + k * ppe->blk_stride;
			uint64_t be = e - b > job->block ? b + job->block : e;

			if (job->result_size)
				memcpy(slot, job->result, job->result_size);
			err = job->body(&w->part, b, be, slot, job->arg);
		}
	}
	w->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	w->wall_ns = now_ns(CLOCK_MONOTONIC) - t0;
	if (err && !w->part.error)
		w->part.error = err;
}

static void *worker_main(void *arg)
{
	struct ppe_worker *w = arg;
	struct vgc_ppe *ppe = w->ppe;
	unsigned int seen;
	cpu_set_t set;

	tls_self = (int)w->index;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	/* the attribute pinned us already; this catches a racing cpuset */
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	memset(w->slot, 0, sizeof(w->slot));	/* first touch: local node */
	if (ppe->arena) {
		int r = vgc_thread_register(ppe->arena, w->arena_part);

		if (r < 0) {
			w->init_err = r;
		} else {
			w->part.arena = ppe->arena;
			vgc_thread_offline(ppe->arena);
		}
	}
	seen = atomic_load_explicit(&ppe->gen.word, memory_order_acquire);
	ev_done(&ppe->pending);
	if (w->init_err)
		return NULL;
	for (;;) {
		ev_wait(&ppe->gen, seen, PPE_SPIN_WORKER_NS, 0);
		seen = atomic_load_explicit(&ppe->gen.word,
					    memory_order_acquire);
		if (w->quit)
			break;
		if (ppe->job) {
			if (w->part.arena)
				vgc_thread_online(ppe->arena);
			run_part(ppe, w);
			if (w->part.arena) {
				vgc_quiescent(ppe->arena);
				vgc_thread_offline(ppe->arena);
			}
		}
		ev_done(&ppe->pending);
	}
	if (w->part.arena) {
		vgc_thread_online(ppe->arena);
		vgc_thread_unregister(ppe->arena);
	}
	ev_done(&ppe->pending);
	return NULL;
}

static void wait_pending(struct vgc_ppe *ppe)
{
	unsigned int v;

	while ((v = atomic_load_explicit(&ppe->pending.word,
					 memory_order_acquire)) != 0)
		ev_wait(&ppe->pending, v, PPE_SPIN_WAITER_NS, 1);
}

/* Starts the workers in mask; the caller has set pending to their count. */
static int spawn(struct vgc_ppe *ppe, const unsigned char *mask)
{
	unsigned int i, started = 0;
	int err = 0;

	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];
		pthread_attr_t attr;
		cpu_set_t set;
		int r;

		if (!mask[i])
			continue;
		w->quit = 0;
		w->init_err = 0;
		w->part.arena = NULL;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, w->stack);
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		r = pthread_create(&w->thread, &attr, worker_main, w);
		pthread_attr_destroy(&attr);
		if (r) {
			set_msg("pthread_create (stack %zu bytes, CPU %d): %s",
				w->stack, w->cpu, strerror(r));
			atomic_fetch_sub(&ppe->pending.word, 1);
			if (!err)
				err = -r;
			continue;
		}
		w->started = 1;
		started++;
	}
	wait_pending(ppe);
	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];

		if (mask[i] && w->started && w->init_err) {
			if (!err) {
				err = w->init_err;
				set_msg("partition %u: vgc_thread_register: %s",
					i, vgc_strerror(err));
			}
			pthread_join(w->thread, NULL);
			w->started = 0;
		}
	}
	(void)started;
	return err;
}

/* Stops the workers in mask (all started ones when mask is NULL). */
static void stop(struct vgc_ppe *ppe, const unsigned char *mask)
{
	unsigned int i, n = 0;

	for (i = 0; i < ppe->nr; i++) {
		if (!ppe->w[i].started)
			continue;
		if (mask && !mask[i])
			continue;
		ppe->w[i].quit = 1;
	}
	for (i = 0; i < ppe->nr; i++)
		if (ppe->w[i].started)
			n++;
	if (!n)
		return;
	ppe->job = NULL;
	atomic_store(&ppe->pending.word, n);
	atomic_fetch_add(&ppe->gen.word, 1);
	ev_wake(&ppe->gen);
	wait_pending(ppe);
	for (i = 0; i < ppe->nr; i++) {
		if (ppe->w[i].started && ppe->w[i].quit) {
			pthread_join(ppe->w[i].thread, NULL);
			ppe->w[i].started = 0;
		}
	}
}

/* ---- pool --------------------------------------------------------------- */

PPE_API void vgc_ppe_config_init(struct vgc_ppe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_partitions = 1;
	cfg->epsilon = 0.10;
}

static void reset_frac(struct vgc_ppe *ppe)
{
	unsigned int i;

	for (i = 0; i <= ppe->nr; i++)
		ppe->frac[i] = (double)i / ppe->nr;
}

PPE_API void vgc_ppe_reset_split(struct vgc_ppe *ppe)
{
	if (ppe)
		reset_frac(ppe);
}

static int open_arena(struct vgc_ppe *ppe, const struct vgc_ppe_config *cfg)
{
	struct vgc_config ac;
	unsigned int i, p;
	int r;

	if (cfg->flags & VGC_PPE_F_NO_ARENA) {
		for (i = 0; i < ppe->nr; i++)
			ppe->w[i].arena_part = -1;
		return 0;
	}
	if (cfg->arena) {
		unsigned int np = vgc_arena_partitions(cfg->arena);

		ppe->arena = cfg->arena;
		for (i = 0; i < ppe->nr; i++) {
			const struct vgc_region *rg;

			ppe->w[i].arena_part = -1;
			/* the arena partition on our CPU, ours by index first */
			for (p = 0; p < np; p++) {
				unsigned int q = (i + p) % np;

				rg = vgc_arena_region(cfg->arena, VGC_ZONE_GREEN, q);
				if (rg && (int)rg->cpu == ppe->w[i].cpu) {
					ppe->w[i].arena_part = (int)q;
					break;
				}
			}
		}
		return 0;
	}
	if (cfg->arena_config)
		ac = *cfg->arena_config;
	else
		vgc_config_init(&ac);
	ac.nr_partitions = ppe->nr;
	for (i = 0; i < ppe->nr; i++) {
		ac.cpus[i] = (unsigned int)ppe->w[i].cpu;
		ppe->w[i].arena_part = (int)i;
	}
	r = vgc_arena_open(&ac, &ppe->arena);
	if (r < 0) {
		set_msg("vgc_arena_open (%u partitions): %s", ppe->nr,
			vgc_strerror(r));
		ppe->arena = NULL;
		return r;
	}
	ppe->own_arena = 1;
	return 0;
}

PPE_API int vgc_ppe_create(const struct vgc_ppe_config *cfg,
			   struct vgc_ppe **out)
{
	struct vgc_ppe_topology topo;
	int cpu[VGC_MAX_PARTITIONS], node[VGC_MAX_PARTITIONS];
	unsigned char mask[VGC_MAX_PARTITIONS];
	struct vgc_ppe *ppe;
	unsigned int i, ratio;
	void *mem;
	int r;

	tls_msg[0] = 0;
	if (!cfg || !out) {
		set_msg("vgc_ppe_create: NULL argument");
		return -EINVAL;
	}
	*out = NULL;
	if (!cfg->nr_partitions) {
		set_msg("nr_partitions is 0: a pool needs at least one partition");
		return -EINVAL;
	}
	if (cfg->nr_partitions > VGC_MAX_PARTITIONS) {
		set_msg("nr_partitions %u is above VGC_MAX_PARTITIONS (%u)",
			cfg->nr_partitions, VGC_MAX_PARTITIONS);
		return -EINVAL;
	}
	if (cfg->flags & ~VGC_PPE_F_ALL) {
		set_msg("unknown flags 0x%x", cfg->flags & ~VGC_PPE_F_ALL);
		return -EINVAL;
	}
	if (cfg->epsilon < 0 || cfg->balance > VGC_PPE_BALANCE_MEM) {
		set_msg("epsilon must be >= 0 and balance a vgc_ppe_balance");
		return -EINVAL;
	}
	r = vgc_ppe_topology(&topo);
	if (r < 0)
		return r;
	r = place(&topo, cfg->nr_partitions, cfg->flags, cpu, node, &ratio);
	if (r < 0)
		return r;

	ppe = calloc(1, sizeof(*ppe));
	if (!ppe)
		return -ENOMEM;
	if (posix_memalign(&mem, 64, sizeof(*ppe->w) * cfg->nr_partitions)) {
		free(ppe);
		return -ENOMEM;
	}
	memset(mem, 0, sizeof(*ppe->w) * cfg->nr_partitions);
	ppe->w = mem;
	ppe->nr = cfg->nr_partitions;
	ppe->flags = cfg->flags;
	ppe->ratio = ratio;
	ppe->epsilon = cfg->epsilon > 0 ? cfg->epsilon : 0.10;
	ppe->balance = cfg->balance;
	ppe->owner = getpid();
	pthread_mutex_init(&ppe->lock, NULL);
	reset_frac(ppe);
	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];

		w->ppe = ppe;
		w->index = i;
		w->cpu = cpu[i];
		w->node = node[i];
		w->stack = cfg->stack_size ? cfg->stack_size : PPE_DEFAULT_STACK;
		w->part.index = i;
		w->part.cpu = cpu[i];
		w->part.node = node[i];
		mask[i] = 1;
	}
	r = open_arena(ppe, cfg);
	if (r < 0)
		goto fail;
	atomic_store(&ppe->pending.word, ppe->nr);
	r = spawn(ppe, mask);
	if (r < 0)
		goto fail;
	*out = ppe;
	return 0;
fail:
	vgc_ppe_destroy(ppe);
	return r;
}

PPE_API void vgc_ppe_destroy(struct vgc_ppe *ppe)
{
	if (!ppe)
		return;
	/* A fork()ed child has a copy of the pool but none of its threads. */
	if (ppe->owner == getpid())
		stop(ppe, NULL);
	if (ppe->own_arena)
		vgc_arena_close(ppe->arena);
	pthread_mutex_destroy(&ppe->lock);
	free(ppe->blk);
	free(ppe->w);
	free(ppe);
}

PPE_API unsigned int vgc_ppe_partitions(const struct vgc_ppe *ppe)
{
	return ppe ? ppe->nr : 0;
}

PPE_API int vgc_ppe_cpu(const struct vgc_ppe *ppe, unsigned int p)
{
	return ppe && p < ppe->nr ? ppe->w[p].cpu : -EINVAL;
}

PPE_API int vgc_ppe_node(const struct vgc_ppe *ppe, unsigned int p)
{
	return ppe && p < ppe->nr ? ppe->w[p].node : -EINVAL;
}

PPE_API unsigned int vgc_ppe_ratio(const struct vgc_ppe *ppe)
{
	return ppe ? ppe->ratio : 0;
}

PPE_API struct vgc_arena *vgc_ppe_arena(const struct vgc_ppe *ppe)
{
	return ppe ? ppe->arena : NULL;
}

/* ---- splitting ---------------------------------------------------------- */

/*
 * Boundaries in units (indices, or blocks when job->block) from the learnt
 * fractions; every partition keeps at least one unit while there are
 * enough of them.
 */
static void make_bounds(const struct vgc_ppe *ppe, uint64_t units,
			uint64_t *ub)
{
	unsigned int i, n = ppe->nr;

	ub[0] = 0;
	ub[n] = units;
	for (i = 1; i < n; i++) {
		double x = ppe->frac[i] * (double)units + 0.5;
		uint64_t v = x <= 0 ? 0 : (uint64_t)x;

		if (units >= n) {
			if (v < ub[i - 1] + 1)
				v = ub[i - 1] + 1;
			if (v > units - (n - i))
				v = units - (n - i);
		} else {
			if (v < ub[i - 1])
				v = ub[i - 1];
			if (v > units)
				v = units;
		}
		ub[i] = v;
	}
}

PPE_API int vgc_ppe_set_split(struct vgc_ppe *ppe, const double *frac,
			      unsigned int nr_frac)
{
	unsigned int i;

	if (!ppe || !frac || nr_frac != ppe->nr + 1 || frac[0] != 0 ||
	    frac[ppe->nr] != 1) {
		set_msg("a split is %u fractions from 0 to 1",
			ppe ? ppe->nr + 1 : 0);
		return -EINVAL;
	}
	for (i = 0; i < ppe->nr; i++) {
		if (!(frac[i + 1] >= frac[i])) {
			set_msg("split fractions must not decrease");
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&ppe->lock);
	memcpy(ppe->frac, frac, sizeof(double) * nr_frac);
	pthread_mutex_unlock(&ppe->lock);
	return 0;
}

PPE_API int vgc_ppe_split(const struct vgc_ppe *ppe, uint64_t n,
			  uint64_t *bounds, unsigned int nr_bounds)
{
	if (!ppe || !bounds || nr_bounds < ppe->nr + 1)
		return -EINVAL;
	make_bounds(ppe, n, bounds);
	return 0;
}

/* ---- rebalancing -------------------------------------------------------- */

/*
 * Each partition's cost is spread evenly over its share of the range; new
 * fractions put an equal cost in every partition.  A heavy partition is
 * thereby split, its excess going to its neighbours, and light ones merge
 * part of their neighbours' ranges.  Only measures when !apply.
 */
static int rebalance_locked(struct vgc_ppe *ppe, int apply)
{
	double cost[VGC_MAX_PARTITIONS], width[VGC_MAX_PARTITIONS];
	double nf[VGC_MAX_PARTITIONS + 1];
	double tsum = 0, msum = 0, csum = 0, worst = 0, span, acc, left;
	struct vgc_ppe_stats *s = &ppe->stats;
	unsigned int i, j, nr = ppe->nr;

	s->splits = s->merges = 0;
	s->rebalanced = ppe->rebalanced;
	if (nr < 2)
		return 0;
	span = (double)(s->part[nr - 1].end - s->part[0].begin);
	for (i = 0; i < nr; i++) {
		tsum += s->part[i].cpu_ns;
		msum += (double)s->part[i].mem_bytes;
	}
	for (i = 0; i < nr; i++) {
		double ts = tsum > 0 ? s->part[i].cpu_ns / tsum : 1.0 / nr;
		double ms = msum > 0 ? s->part[i].mem_bytes / msum : 1.0 / nr;
		double ex_t = ts * nr - 1, ex_m = ms * nr - 1;

		switch (ppe->balance) {
		case VGC_PPE_BALANCE_TIME:
			cost[i] = ts;
			if (ex_t > worst)
				worst = ex_t;
			break;
		case VGC_PPE_BALANCE_MEM:
			cost[i] = ms;
			if (ex_m > worst)
				worst = ex_m;
			break;
		default:
			cost[i] = msum > 0 ? (ts + ms) / 2 : ts;
			if (ex_t > worst)
				worst = ex_t;
			if (msum > 0 && ex_m > worst)
				worst = ex_m;
			break;
		}
		width[i] = span > 0 ?
			(s->part[i].end - s->part[i].begin) / span : 0;
		csum += cost[i];
	}
	s->imbalance = worst;
	if (!apply || worst <= ppe->epsilon || csum <= 0)
		return 0;

	/* invert the piecewise-linear cumulative cost at i / nr */
	nf[0] = 0;
	nf[nr] = 1;
	acc = 0;
	left = 0;
	j = 0;
	for (i = 1; i < nr; i++) {
		double target = csum * i / nr;

		while (j < nr && acc + cost[j] < target) {
			acc += cost[j];
			left += width[j];
			j++;
		}
		if (j >= nr)
			nf[i] = 1;
		else
			nf[i] = left + width[j] * (target - acc) / cost[j];
		if (nf[i] < nf[i - 1])
			nf[i] = nf[i - 1];
	}
	for (i = 0; i < nr; i++) {
		double ow = ppe->frac[i + 1] - ppe->frac[i];
		double nw = nf[i + 1] - nf[i];

		if (nw < ow * (1 - 1e-6))
			s->splits++;
		else if (nw > ow * (1 + 1e-6))
			s->merges++;
	}
	memcpy(ppe->frac, nf, sizeof(double) * (nr + 1));
	s->rebalanced = ++ppe->rebalanced;
	return 1;
}

PPE_API int vgc_ppe_rebalance(struct vgc_ppe *ppe)
{
	int r;

	if (!ppe)
		return -EINVAL;
	pthread_mutex_lock(&ppe->lock);
	r = ppe->have_stats ? rebalance_locked(ppe, 1) : -ENODATA;
	pthread_mutex_unlock(&ppe->lock);
	return r;
}

/* ---- running ------------------------------------------------------------ */

PPE_API int vgc_ppe_run(struct vgc_ppe *ppe, struct vgc_ppe_job *job)
{
	uint64_t ub[VGC_MAX_PARTITIONS + 1];
	unsigned char respawn[VGC_MAX_PARTITIONS];
	uint64_t n, units;
	unsigned int i, need_respawn = 0;
	double t0, t1;
	int err = 0;

	tls_msg[0] = 0;
	if (!ppe || !job || !job->body) {
		set_msg("vgc_ppe_run: NULL pool, job or body");
		return -EINVAL;
	}
	if (tls_self >= 0) {
		set_msg("vgc_ppe_run called from PPE worker %d", tls_self);
		return -EBUSY;
	}
	if (ppe->owner != getpid()) {
		set_msg("pool of process %d used in process %d: after fork() "
			"its workers exist only in the parent",
			(int)ppe->owner, (int)getpid());
		return -ESRCH;
	}
	if (job->end <= job->begin) {
		set_msg("empty range [%llu, %llu): nothing to partition",
			(unsigned long long)job->begin,
			(unsigned long long)job->end);
		return -ENODATA;
	}
	if (job->result_size > PPE_MAX_RESULT ||
	    (job->result_size && !job->result)) {
		set_msg("result_size %zu: at most %d bytes, and result must be set",
			job->result_size, PPE_MAX_RESULT);
		return -EINVAL;
	}
	n = job->end - job->begin;
	units = job->block ? (n + job->block - 1) / job->block : n;

	pthread_mutex_lock(&ppe->lock);
	if (job->block && job->result_size) {
		size_t stride = (job->result_size + 63) & ~(size_t)63;

		if (units > SIZE_MAX / stride) {
			err = -E2BIG;
			set_msg("%llu blocks do not fit in memory",
				(unsigned long long)units);
			goto out;
		}
		if (units * stride > ppe->blk_cap) {
			void *p = NULL;

			if (posix_memalign(&p, 64, units * stride)) {
				err = -ENOMEM;
				set_msg("no memory for %llu block results",
					(unsigned long long)units);
				goto out;
			}
			free(ppe->blk);
			ppe->blk = p;
			ppe->blk_cap = units * stride;
		}
		ppe->blk_stride = stride;
	}
	make_bounds(ppe, units, ub);
	for (i = 0; i <= ppe->nr; i++) {
		uint64_t b = job->block ? ub[i] * job->block : ub[i];

		ppe->bounds[i] = job->begin + (b > n ? n : b);
	}
	/* deep recursion: every worker's stack must hold its partition */
	memset(respawn, 0, sizeof(respawn));
	for (i = 0; i < ppe->nr && job->stack_per_index; i++) {
		uint64_t len = ppe->bounds[i + 1] - ppe->bounds[i];
		size_t want;

		if (len > (SIZE_MAX - PPE_STACK_SLACK) / job->stack_per_index) {
			err = -E2BIG;
			set_msg("partition %u needs more stack than fits", i);
			goto out;
		}
		want = len * job->stack_per_index + PPE_STACK_SLACK;
		want = (want + (1UL << 20) - 1) & ~((1UL << 20) - 1);
		if (ppe->w[i].stack < want) {
			ppe->w[i].stack = want;
			respawn[i] = 1;
			need_respawn++;
		}
	}
	if (need_respawn) {
		stop(ppe, respawn);
		atomic_store(&ppe->pending.word, need_respawn);
		err = spawn(ppe, respawn);
		if (err < 0)
			goto out;
	}

	t0 = now_ns(CLOCK_MONOTONIC);
	ppe->job = job;
	atomic_store(&ppe->pending.word, ppe->nr);
	atomic_fetch_add(&ppe->gen.word, 1);
	ev_wake(&ppe->gen);
	wait_pending(ppe);
	t1 = now_ns(CLOCK_MONOTONIC);

	/* the Sub-Allocator Aggregator: fold in index order */
	if (job->combine && job->result_size) {
		unsigned char acc[PPE_MAX_RESULT];

		memcpy(acc, job->result, job->result_size);
		if (job->block) {
			uint64_t k;

			for (k = 0; k < units; k++)
				job->combine(acc, ppe->blk + k * ppe->blk_stride,
					     job->arg);
		} else {
			for (i = 0; i < ppe->nr; i++)
				if (ppe->bounds[i] < ppe->bounds[i + 1])
					job->combine(acc, ppe->w[i].slot,
						     job->arg);
		}
		memcpy(job->result, acc, job->result_size);
	}
	ppe->job = NULL;

	memset(&ppe->stats, 0, sizeof(ppe->stats));
	ppe->stats.nr_partitions = ppe->nr;
	ppe->stats.wall_ns = now_ns(CLOCK_MONOTONIC) - t0;
	ppe->stats.aggregate_ns = ppe->stats.wall_ns - (t1 - t0);
	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];

		ppe->stats.part[i].begin = ppe->bounds[i];
		ppe->stats.part[i].end = ppe->bounds[i + 1];
		ppe->stats.part[i].cpu = w->cpu;
		ppe->stats.part[i].cpu_seen = w->cpu_seen;
		ppe->stats.part[i].cpu_ns = w->cpu_ns;
		ppe->stats.part[i].wall_ns = w->wall_ns;
		ppe->stats.part[i].mem_bytes = w->part.mem_bytes;
		ppe->stats.part[i].nr_allocs = w->part.nr_allocs;
		if (w->part.error && !err) {
			err = w->part.error;
			set_msg("partition %u [%llu, %llu) failed: %s", i,
				(unsigned long long)ppe->bounds[i],
				(unsigned long long)ppe->bounds[i + 1],
				vgc_strerror(err));
		}
	}
	ppe->have_stats = 1;
	rebalance_locked(ppe, !!(ppe->flags & VGC_PPE_F_REBALANCE));
out:
	pthread_mutex_unlock(&ppe->lock);
	return err;
}

PPE_API int vgc_ppe_last_stats(const struct vgc_ppe *ppe,
			       struct vgc_ppe_stats *out)
{
	if (!ppe || !out)
		return -EINVAL;
	if (!ppe->have_stats)
		return -ENODATA;
	*out = ppe->stats;
	return 0;
}

/* ---- allocation inside a body ------------------------------------------- */

PPE_API void *vgc_ppe_alloc_zone(struct vgc_ppe_part *part, size_t size,
				 enum vgc_zone zone)
{
	void *p;

	if (!part || !part->arena) {
		errno = part ? ENXIO : EINVAL;
		return NULL;
	}
	p = vgc_alloc(part->arena, size, zone);
	if (p) {
		part->mem_bytes += (size + VGC_GRANULE_SIZE - 1) &
				   ~(size_t)(VGC_GRANULE_SIZE - 1);
		part->nr_allocs++;
	}
	return p;
}

PPE_API void *vgc_ppe_alloc(struct vgc_ppe_part *part, size_t size)
{
	return vgc_ppe_alloc_zone(part, size, VGC_ZONE_GREEN);
}
