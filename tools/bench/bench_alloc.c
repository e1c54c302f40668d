// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench alloc: the allocation fast path with reclamation amortised in,
 * side by side with glibc malloc, jemalloc, mimalloc and tcmalloc.
 *
 * The default run prints the two tables of malloc_tables() below (alloc +
 * vgc_free() by size; alloc + vgc_release() vs call_rcu()); --mixed the
 * older table this comment describes.
 *
 * Every contender runs the same deterministic workload in a child process
 * (this binary re-executed with a hidden --child option), so allocators
 * never share a process: the malloc ones are loaded with LD_PRELOAD, which
 * is how they are deployed, and the child checks which malloc it really got
 * (mi_version, mallctl, tc_version) before it runs.  VGC runs in its own
 * child without a preload.  Repetitions interleave the contenders so a
 * noisy neighbour hurts them alike; the table reports medians.
 *
 * One operation = release one object + allocate one (16..256 B, 16 B
 * steps, sizes and slots from a fixed LCG) over a window of live objects per
 * thread.  Each object carries a serial number written at allocation and
 * read back before release; the sum of the serials read is the checksum,
 * identical for every contender when the work was done and no object was
 * clobbered.  VGC threads are registered, announce a quiescent state every
 * --qs-every operations and run a checkpoint of their partition every
 * --ckpt-every operations, so reclamation is paid inside the timed loop.
 *
 * Workloads: "1t" one thread; "2t" two independent threads (throughput
 * vs 1t is the scaling ratio); "xthread" a producer allocates and a
 * consumer on the other CPU releases (remote free).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <vgcu.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define IMM_DUMP()	CALLGRIND_DUMP_STATS
#else
#define IMM_DUMP()	do { } while (0)	/* no per-size counts */
#endif
#include "bench.h"
#include "bench_plot.h"
#include "bench_util.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

struct contender {
	const char *name;
	const char *preload;	/* NULL: none */
	const char *probe;	/* symbol the preloaded allocator defines */
};

static const struct contender contenders[] = {
	{ "vgc",	NULL,				NULL },
	{ "glibc",	NULL,				NULL },
	{ "jemalloc",	LIBDIR "libjemalloc.so.2",	"mallctl" },
	{ "mimalloc",	LIBDIR "libmimalloc.so.2",	"mi_version" },
	{ "tcmalloc",	LIBDIR "libtcmalloc_minimal.so.4", "tc_version" },
};
#define NR_CONTENDERS	(sizeof(contenders) / sizeof(contenders[0]))

static const char *const workloads[] = { "1t", "2t", "xthread" };
#define NR_WORKLOADS	3

struct params {
	uint64_t ops;		/* per thread (producer in xthread) */
	unsigned int window;	/* live objects per thread, power of two */
	unsigned int ckpt_every;
	unsigned int qs_every;
	unsigned int reps;
	uint64_t zone_bytes;
	enum vgc_backend backend;
	unsigned int pace;	/* VGC: 0 fixed cadence, else pacer percent */
	uint64_t warm;		/* warm-up ops; 0: ops / 10 + window */
};

/* ---- the workload, for either allocator family ------------------------- */

struct impl {
	int vgc;
	struct vgc_arena *arena;
};

struct tstate {
	const struct params *pa;
	struct impl *im;
	int cpu, partition;
	uint64_t ops;
	uint64_t serial;
	uint64_t sum, bad, stalls, ckpts, ckpt_again;
	uint64_t ns;
	int err;
	uint64_t cpu_ns;
	/* xthread */
	struct ring *ring;
	pthread_barrier_t *bar;
};

#define RING	1024

/* Single producer, single consumer; indices on their own cache lines. */
struct ring {
	_Alignas(64) _Atomic uint64_t head;
	_Alignas(64) _Atomic uint64_t tail;
	_Alignas(64) void *slot[RING];
};

/* Spinning on a shared 2-CPU machine: give the CPU away now and then. */
static inline void spin_wait(unsigned int *n)
{
	if (++*n % 256 == 0)
		sched_yield();
	else
		__builtin_ia32_pause();
}

static inline uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s;
}

static inline size_t size_of(uint64_t r)
{
	return 16 + ((r >> 33) & 15) * 16;
}

/* --ckpt-full: the fixed cadence's checkpoints sweep every span */
static int ckpt_full;

/* A checkpoint of the thread's partition; -EAGAIN is retried later. */
static void vgc_ckpt(struct tstate *t)
{
	struct vgc_ckpt_opts o = { .partition_mask = 1ULL << t->partition,
				   .flags = ckpt_full ? VGC_CKPT_F_FULL : 0 };
	struct vgc_checkpoint res;
	int err;

	memset(&res, 0, sizeof(res));
	res.size = sizeof(res);
	err = vgc_checkpoint(t->im->arena, &o, &res);
	if (!err)
		t->ckpts++;
	else if (err == -EAGAIN)
		t->ckpt_again++;
	else
		t->err = err;
}

static void *obj_alloc(struct tstate *t, size_t sz)
{
	uint64_t deadline = 0;
	void *p;

	if (!t->im->vgc)
		return malloc(sz);
	while (!(p = vgc_alloc(t->im->arena, sz, VGC_ZONE_GREEN))) {
		int err = -errno;

		/* full: reclamation has to catch up, which costs a stall */
		if (!deadline)
			deadline = bu_now_ns() + 10000000000ULL;
		if (err != -ENOMEM || bu_now_ns() > deadline) {
			t->err = err;
			return NULL;
		}
		t->stalls++;
		vgc_quiescent(t->im->arena);
		vgc_ckpt(t);
		sched_yield();
	}
	return p;
}

/* A thread waiting at a barrier holds no object: it must not block others. */
static void barrier(struct tstate *t)
{
	if (t->im->vgc)
		vgc_thread_offline(t->im->arena);
	pthread_barrier_wait(t->bar);
	if (t->im->vgc) {
		vgc_thread_online(t->im->arena);
		vgc_quiescent(t->im->arena);
	}
}

static inline void obj_free(struct tstate *t, void *p)
{
	if (!t->im->vgc) {
		free(p);
		return;
	}
	if (vgc_release(t->im->arena, p))
		t->bad++;
}

/*
 * Called after every operation on VGC: two countdowns, so the benchmark's
 * own bookkeeping costs VGC no division per operation.
 */
struct ticker {
	unsigned int qs_left, ckpt_left;
	int ckpt_due;
};

static void ticker_init(struct ticker *k, const struct params *pa)
{
	k->qs_left = pa->qs_every;
	k->ckpt_left = pa->ckpt_every;
	k->ckpt_due = 0;
}

static inline void vgc_tick(struct tstate *t, struct ticker *k)
{
	/* with the pacer, the library decides when checkpoints run */
	if (!t->pa->pace && !--k->ckpt_left) {
		k->ckpt_left = t->pa->ckpt_every;
		k->ckpt_due = 1;
	}
	if (--k->qs_left)
		return;
	k->qs_left = t->pa->qs_every;
	vgc_quiescent(t->im->arena);
	if (k->ckpt_due) {
		uint64_t before = t->ckpts;

		vgc_ckpt(t);
		if (t->ckpts != before)
			k->ckpt_due = 0;
	}
}

/* One thread's ops on its own window. */
__attribute__((noinline))
static void run_local(struct tstate *t, void **slots, uint64_t seed,
		      uint64_t ops)
{
	const unsigned int mask = t->pa->window - 1;
	const uint64_t tag = (uint64_t)t->partition + 1;
	struct ticker k;
	uint64_t i;

	ticker_init(&k, t->pa);
	for (i = 0; i < ops; i++) {
		uint64_t r = lcg(&seed);
		unsigned int j = (unsigned int)(r >> 20) & mask;
		uint64_t *p = slots[j];

		if (p) {
			t->sum += *p;
			t->bad += *p >> 40 != tag;
			obj_free(t, p);
		}
		p = obj_alloc(t, size_of(r));
		if (!p)
			return;
		*p = tag << 40 | t->serial++;
		slots[j] = p;
		if (t->im->vgc)
			vgc_tick(t, &k);
	}
}

/* The timed phase alone, for callgrind's --toggle-collect. */
__attribute__((noinline))
static void timed_local(struct tstate *t, void **slots, uint64_t seed,
			uint64_t ops)
{
	run_local(t, slots, seed, ops);
	__asm__ volatile("" ::: "memory");
}

static void drain_local(struct tstate *t, void **slots)
{
	unsigned int j;

	for (j = 0; j < t->pa->window; j++)
		if (slots[j]) {
			obj_free(t, slots[j]);
			slots[j] = NULL;
		}
}

static void *local_thread(void *arg)
{
	struct tstate *t = arg;
	void **slots = calloc(t->pa->window, sizeof(void *));
	uint64_t t0;

	bu_pin_cpu(t->cpu);
	if (t->im->vgc) {
		int err = vgc_thread_register(t->im->arena, t->partition);

		if (err < 0) {
			t->err = err;
			pthread_barrier_wait(t->bar);
			pthread_barrier_wait(t->bar);
			free(slots);
			return NULL;
		}
	}
	/* warm-up: fill the window and run a tenth of the work untimed */
	run_local(t, slots, (uint64_t)t->partition + 1,
		  t->pa->warm ? t->pa->warm : t->ops / 10 + t->pa->window);
	t->sum = 0;
	barrier(t);
	t0 = bu_now_ns();
	t->cpu_ns = bu_thread_cpu_ns();
	timed_local(t, slots, (uint64_t)t->partition + 1001, t->ops);
	t->cpu_ns = bu_thread_cpu_ns() - t->cpu_ns;
	t->ns = bu_now_ns() - t0;
	barrier(t);
	drain_local(t, slots);
	if (t->im->vgc) {
		vgc_thread_unregister(t->im->arena);
	}
	free(slots);
	return NULL;
}

/* xthread: the producer allocates, the consumer releases. */
__attribute__((noinline))
static void run_producer(struct tstate *t, uint64_t ops, uint64_t seed)
{
	struct ring *rg = t->ring;
	uint64_t i, h = atomic_load_explicit(&rg->head, memory_order_relaxed);
	uint64_t tl = atomic_load_explicit(&rg->tail, memory_order_acquire);
	struct ticker k;

	ticker_init(&k, t->pa);
	for (i = 0; i < ops; i++) {
		uint64_t r = lcg(&seed);
		uint64_t *p = obj_alloc(t, size_of(r));
		unsigned int spins = 0;

		if (!p) {
			/* tell the consumer to stop */
			p = NULL;
		} else {
			*p = 1ULL << 40 | t->serial++;
		}
		while (h - tl >= RING) {
			if (t->im->vgc)
				vgc_quiescent(t->im->arena);
			spin_wait(&spins);
			tl = atomic_load_explicit(&rg->tail, memory_order_acquire);
		}
		rg->slot[h % RING] = p;
		atomic_store_explicit(&rg->head, ++h, memory_order_release);
		if (!p)
			return;
		if (t->im->vgc)
			vgc_tick(t, &k);
	}
}

__attribute__((noinline))
static void run_consumer(struct tstate *t, uint64_t ops)
{
	struct ring *rg = t->ring;
	uint64_t i, tl = atomic_load_explicit(&rg->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&rg->head, memory_order_acquire);
	unsigned int qs_left = t->pa->qs_every;

	for (i = 0; i < ops; i++) {
		unsigned int spins = 0;
		uint64_t *p;

		while (h == tl) {
			if (t->im->vgc)
				vgc_quiescent(t->im->arena);
			spin_wait(&spins);
			h = atomic_load_explicit(&rg->head, memory_order_acquire);
		}
		p = rg->slot[tl % RING];
		/* publish the tail every 32 items: fewer cache-line trips */
		if (++tl % 32 == 0 || tl == h)
			atomic_store_explicit(&rg->tail, tl, memory_order_release);
		if (!p)
			return;
		t->sum += *p;
		t->bad += *p >> 40 != 1;
		obj_free(t, p);
		if (t->im->vgc && !--qs_left) {
			qs_left = t->pa->qs_every;
			vgc_quiescent(t->im->arena);
		}
	}
}

static void *xthread_main(void *arg)
{
	struct tstate *t = arg;
	int producer = t->partition == 0;
	uint64_t t0;

	bu_pin_cpu(t->cpu);
	if (t->im->vgc) {
		/* the consumer registers with the producer's partition's peer */
		int err = vgc_thread_register(t->im->arena, t->partition);

		if (err < 0)
			t->err = err;
	}
	if (producer)
		run_producer(t, t->ops / 10, 1);
	else
		run_consumer(t, t->ops / 10);
	t->sum = 0;
	barrier(t);
	t0 = bu_now_ns();
	t->cpu_ns = bu_thread_cpu_ns();
	if (producer)
		run_producer(t, t->ops, 1001);
	else
		run_consumer(t, t->ops);
	t->cpu_ns = bu_thread_cpu_ns() - t->cpu_ns;
	t->ns = bu_now_ns() - t0;
	barrier(t);
	if (t->im->vgc)
		vgc_thread_unregister(t->im->arena);
	return NULL;
}

struct child_result {
	uint64_t ns, cpu_ns, ops, sum, bad, stalls, ckpts, ckpt_again;
	int err;
};

static int open_arena(const struct params *pa, struct vgc_arena **a)
{
	struct vgc_config cfg;
	int err;

	vgc_config_init(&cfg);
	cfg.backend = pa->backend;
	cfg.nr_partitions = 2;
	cfg.cpus[0] = 0;
	cfg.cpus[1] = bu_nr_cpus() > 1 ? 1 : 0;
	cfg.zone_bytes[VGC_ZONE_RED] = 0;
	cfg.zone_bytes[VGC_ZONE_GREEN] = pa->zone_bytes;
	cfg.zone_bytes[VGC_ZONE_BLUE] = 0;
	/* the whole Green region is the nursery the workload allocates from */
	cfg.gen_permille[0] = 1000;
	err = vgc_arena_open(&cfg, a);
	if (!err && pa->pace) {
		struct vgc_pacer_cfg pc = { .percent = pa->pace };

		err = vgc_pacer_set(*a, &pc);
	}
	return err;
}

static void run_workload(const struct params *pa, int vgc, const char *wl,
			 struct child_result *cr)
{
	struct tstate ts[2];
	pthread_t th[2];
	pthread_barrier_t bar;
	struct ring *ring = aligned_alloc(64, sizeof(*ring));
	struct impl im = { .vgc = vgc };
	int nthr = strcmp(wl, "1t") ? 2 : 1, i, cpus = bu_nr_cpus();

	memset(cr, 0, sizeof(*cr));
	if (!ring) {
		cr->err = -ENOMEM;
		return;
	}
	memset(ring, 0, sizeof(*ring));
	if (vgc) {
		cr->err = open_arena(pa, &im.arena);
		if (cr->err) {
			free(ring);
			return;
		}
	}
	pthread_barrier_init(&bar, NULL, (unsigned int)nthr);
	for (i = 0; i < nthr; i++) {
		memset(&ts[i], 0, sizeof(ts[i]));
		ts[i].pa = pa;
		ts[i].im = &im;
		ts[i].cpu = i % cpus;
		ts[i].partition = i;
		ts[i].ops = pa->ops;
		ts[i].bar = &bar;
		ts[i].ring = ring;
		pthread_create(&th[i], NULL,
			       strcmp(wl, "xthread") ? local_thread : xthread_main,
			       &ts[i]);
	}
	for (i = 0; i < nthr; i++) {
		pthread_join(th[i], NULL);
		cr->sum += ts[i].sum;
		cr->bad += ts[i].bad;
		cr->stalls += ts[i].stalls;
		cr->ckpts += ts[i].ckpts;
		cr->ckpt_again += ts[i].ckpt_again;
		if (ts[i].ns > cr->ns)
			cr->ns = ts[i].ns;
		if (ts[i].cpu_ns > cr->cpu_ns)
			cr->cpu_ns = ts[i].cpu_ns;
		if (ts[i].err && !cr->err)
			cr->err = ts[i].err;
	}
	/* operations: alloc+release pairs completed in the timed phase */
	cr->ops = strcmp(wl, "2t") ? pa->ops : 2 * pa->ops;
	pthread_barrier_destroy(&bar);
	free(ring);
	if (vgc && pa->pace) {
		struct vgc_pacer_stats ps;

		/* the pacer's checkpoints, in the allocating threads */
		if (!vgc_pacer_stats(im.arena, &ps)) {
			cr->ckpts += ps.checkpoints;
			cr->ckpt_again += ps.eagain;
		}
	}
	if (vgc)
		vgc_arena_close(im.arena);
}

/* Which malloc this process really has, by the symbols it defines. */
static const char *malloc_identity(void)
{
	if (dlsym(RTLD_DEFAULT, "mi_version"))
		return "mimalloc";
	if (dlsym(RTLD_DEFAULT, "mallctl"))
		return "jemalloc";
	if (dlsym(RTLD_DEFAULT, "tc_version"))
		return "tcmalloc";
	return "glibc";
}

static int child_main(const struct params *pa, const char *impl, const char *wl)
{
	struct child_result cr;
	int vgc = !strcmp(impl, "vgc");

	if (!vgc && strcmp(impl, malloc_identity())) {
		fprintf(stderr, "vgc-bench alloc: wanted %s, got %s\n", impl,
			malloc_identity());
		return 3;
	}
	run_workload(pa, vgc, wl, &cr);
	printf("RESULT %llu %llu %llu %llu %llu %llu %llu %llu %d %s\n",
	       (unsigned long long)cr.ns, (unsigned long long)cr.cpu_ns,
	       (unsigned long long)cr.ops,
	       (unsigned long long)cr.sum, (unsigned long long)cr.bad,
	       (unsigned long long)cr.stalls, (unsigned long long)cr.ckpts,
	       (unsigned long long)cr.ckpt_again, cr.err,
	       vgc ? "vgc" : malloc_identity());
	fflush(stdout);
	return cr.err ? 1 : 0;
}

/* ---- the parent: spawn, collect, report -------------------------------- */

/* --plot DIR: ns per operation of every allocator, per workload. */
static void plot_alloc(const char *dir, const int *enabled,
		       double med[][NR_WORKLOADS], double medc[][NR_WORKLOADS])
{
	struct bp_plot p;
	unsigned int ci;

	if (!dir || bp_begin(&p, dir, "alloc"))
		return;
	fprintf(p.dat, "# allocator 1t_ns/op 1t_cpu_ns/op 2t_ns/op xthread_ns/op\n");
	for (ci = 0; ci < NR_CONTENDERS; ci++)
		if (enabled[ci] && !isnan(med[ci][0]))
			fprintf(p.dat, "%s %.3f %.3f %.3f %.3f\n", contenders[ci].name,
				med[ci][0], medc[ci][0], med[ci][1], med[ci][2]);
	bp_end(&p, "Allocation + release: time per operation, median of the runs",
	       "set style data histograms\n"
	       "set style histogram clustered gap 1\n"
	       "set style fill solid 0.8 border -1\n"
	       "set ylabel 'ns per operation, log scale (lower is better)'\n"
	       "set logscale y\n"
	       "plot 'alloc.dat' using 2:xtic(1) title '1 thread, wall', \\\n"
	       "     '' using 3 title '1 thread, CPU', \\\n"
	       "     '' using 4 title '2 threads, wall (aggregate)', \\\n"
	       "     '' using 5 title 'cross-thread free, wall'");
}

struct cell {
	double ns_op[64];	/* per rep: wall ns per operation */
	double cpu_op[64];	/* per rep: busiest thread's CPU ns per op */
	unsigned int n;
	uint64_t sum, bad, stalls, ckpts, ckpt_again;
	double ir_op;		/* callgrind instructions per op, or NAN */
	int failed;
	char why[128];
};

static void params_argv(const struct params *pa, char **v, char buf[][32],
			int *k)
{
	snprintf(buf[0], 32, "%llu", (unsigned long long)pa->ops);
	snprintf(buf[1], 32, "%u", pa->window);
	snprintf(buf[2], 32, "%u", pa->ckpt_every);
	snprintf(buf[3], 32, "%u", pa->qs_every);
	snprintf(buf[4], 32, "%llu", (unsigned long long)pa->zone_bytes);
	snprintf(buf[5], 32, "%d", (int)pa->backend);
	snprintf(buf[6], 32, "%u", pa->pace);
	v[(*k)++] = "--pace";
	v[(*k)++] = buf[6];
	snprintf(buf[7], 32, "%llu", (unsigned long long)pa->warm);
	v[(*k)++] = "--warm";
	v[(*k)++] = buf[7];
	v[(*k)++] = "--ops";
	v[(*k)++] = buf[0];
	v[(*k)++] = "--window";
	v[(*k)++] = buf[1];
	v[(*k)++] = "--ckpt-every";
	v[(*k)++] = buf[2];
	v[(*k)++] = "--qs-every";
	v[(*k)++] = buf[3];
	v[(*k)++] = "--zone-bytes";
	v[(*k)++] = buf[4];
	v[(*k)++] = "--backend-id";
	v[(*k)++] = buf[5];
	if (ckpt_full)
		v[(*k)++] = "--ckpt-full";
}

static char self_exe[PATH_MAX];
/* what callgrind counts: run_local (warm-up and timed) or timed_local */
static const char *cg_toggle = "run_local";

static int spawn(const struct params *pa, const struct contender *c,
		 const char *wl, const char *callgrind_out,
		 struct child_result *cr, char *why, size_t whylen)
{
	char *argv[40], buf[8][32], envbuf[PATH_MAX + 16], *out, *line;
	char name[32];
	int k = 0, st;
	unsigned long long f[8];

	if (callgrind_out) {
		static char outopt[PATH_MAX + 32], toggle[64];

		snprintf(outopt, sizeof(outopt), "--callgrind-out-file=%s",
			 callgrind_out);
		argv[k++] = "valgrind";
		argv[k++] = "--tool=callgrind";
		argv[k++] = "-q";
		argv[k++] = outopt;
		snprintf(toggle, sizeof(toggle), "--toggle-collect=%s", cg_toggle);
		argv[k++] = toggle;
	}
	argv[k++] = self_exe;
	argv[k++] = "alloc";
	argv[k++] = "--child";
	argv[k++] = (char *)c->name;
	argv[k++] = (char *)wl;
	params_argv(pa, argv, buf, &k);
	argv[k] = NULL;
	if (c->preload)
		snprintf(envbuf, sizeof(envbuf), "LD_PRELOAD=%s", c->preload);
	out = bu_run_capture(argv, c->preload ? envbuf : NULL, 600, &st);
	if (!out) {
		snprintf(why, whylen, "cannot start child");
		return -1;
	}
	line = strstr(out, "RESULT ");
	if (!line || sscanf(line, "RESULT %llu %llu %llu %llu %llu %llu %llu %llu %d %31s",
			    &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
			    &f[7], &cr->err, name) != 10) {
		snprintf(why, whylen, "child failed (status %d)", st);
		free(out);
		return -1;
	}
	free(out);
	cr->ns = f[0];
	cr->cpu_ns = f[1];
	cr->ops = f[2];
	cr->sum = f[3];
	cr->bad = f[4];
	cr->stalls = f[5];
	cr->ckpts = f[6];
	cr->ckpt_again = f[7];
	if (cr->err) {
		snprintf(why, whylen, "%s", vgc_strerror(cr->err));
		return -1;
	}
	return 0;
}

/*
 * --live-table: VGC alone, one thread, at growing live sets, with the
 * fixed cadence (--ckpt-every) and with the pacer (--pace, default 100):
 * CPU ns per operation of the timed phase (median of the runs) and, with
 * --callgrind, instructions per operation of the timed phase alone.  The
 * pacer's runs are long enough for about eight checkpoint intervals
 * (8 x live operations); the fixed cadence's cost per operation is
 * stationary after the warm-up, so its runs stay short.  The Green zone
 * is sized for each live set and mode.
 */
#define LT_SIZES	4
#define LT_AVG_BYTES	136	/* mean of 16..256 B in 16 B steps */

static const unsigned int lt_sizes[LT_SIZES] = {
	4096, 131072, 1048576, 8388608,
};

struct lt_cell {
	double cpu_op, ir_op;
	uint64_t ckpts, again, ops;
	int failed;
	char why[128];
};

static void lt_run(const struct params *base, unsigned int live, int pacer,
		   int callgrind, struct lt_cell *c)
{
	struct params p = *base;
	double v[64];
	unsigned int r, n = 0, reps;
	uint64_t heap_mult;

	memset(c, 0, sizeof(*c));
	c->ir_op = NAN;
	p.window = live;
	p.pace = pacer ? (base->pace ? base->pace : 100) : 0;
	/* a release's slot comes back at the fourth checkpoint after it */
	heap_mult = pacer ? 2 + 5ULL * p.pace / 100 : 2;
	p.zone_bytes = (uint64_t)live * LT_AVG_BYTES * heap_mult + (64ULL << 20);
	p.ops = pacer ? 8ULL * live : 262144;
	if (p.ops < 262144)
		p.ops = 262144;
	/*
	 * Warm-up to the steady heap: a release's slot comes back four
	 * checkpoints later, so the pacer's heap reaches live + ~5 triggers
	 * (4 MiB at least) before it recycles; first touches of the shared
	 * mapping are page faults that would otherwise land in the timed
	 * phase.
	 */
	p.warm = pacer ? live + 6 * ((4ULL << 20) / LT_AVG_BYTES > live ?
				     (4ULL << 20) / LT_AVG_BYTES : live) * p.pace / 100
		       : live + 65536;
	reps = live >= 1048576 && base->reps > 3 ? 3 : base->reps;
	c->ops = p.ops;
	for (r = 0; r < reps; r++) {
		struct child_result cr;

		if (spawn(&p, &contenders[0], "1t", NULL, &cr, c->why,
			  sizeof(c->why))) {
			c->failed = 1;
			return;
		}
		v[n++] = (double)cr.cpu_ns / (double)cr.ops;
		c->ckpts += cr.ckpts;
		c->again += cr.ckpt_again;
	}
	c->cpu_op = bu_median(v, n);
	c->ckpts /= n;
	c->again /= n;
	if (callgrind) {
		struct child_result cr;
		char path[64], why[128];

		/* instructions are exact: the fixed cadence needs few ops */
		if (!pacer)
			p.ops = 65536;
		snprintf(path, sizeof(path), "/tmp/vgc-bench-cg.%d.lt",
			 (int)getpid());
		cg_toggle = "timed_local";
		if (!spawn(&p, &contenders[0], "1t", path, &cr, why, sizeof(why)))
			c->ir_op = bu_callgrind_ir(path) / (double)p.ops;
		cg_toggle = "run_local";
		unlink(path);
	}
}

static int live_table(const struct params *base, int callgrind, int full,
		      int json)
{
	static struct lt_cell cells[LT_SIZES][2];
	unsigned int n = full ? LT_SIZES : LT_SIZES - 1, i, m;
	double ref_c, ref_i, worst_c = 0, worst_i = 0;
	int ok_c, ok_i;
	struct bj j;

	for (i = 0; i < n; i++)
		for (m = 0; m < 2; m++) {
			if (!json)
				fprintf(stderr, "vgc-bench alloc: live %u, %s...\n",
					lt_sizes[i], m ? "pacer" : "fixed cadence");
			lt_run(base, lt_sizes[i], (int)m, callgrind, &cells[i][m]);
		}
	ref_c = cells[0][1].cpu_op;
	ref_i = cells[0][1].ir_op;
	for (i = 2; i < n; i++) {
		if (cells[i][1].cpu_op / ref_c > worst_c)
			worst_c = cells[i][1].cpu_op / ref_c;
		if (cells[i][1].ir_op / ref_i > worst_i)
			worst_i = cells[i][1].ir_op / ref_i;
	}
	ok_c = worst_c <= 1.3;
	ok_i = callgrind && !isnan(worst_i) && worst_i <= 1.3;
	if (json) {
		bj_init(&j, stdout);
		bj_obj_begin(&j, NULL);
		bj_str(&j, "benchmark", "alloc-live-table");
		bj_u64(&j, "ckpt_every", base->ckpt_every);
		bj_u64(&j, "pace", base->pace ? base->pace : 100);
		bj_arr_begin(&j, "rows");
		for (i = 0; i < n; i++) {
			bj_obj_begin(&j, NULL);
			bj_u64(&j, "live", lt_sizes[i]);
			for (m = 0; m < 2; m++) {
				const struct lt_cell *c = &cells[i][m];

				bj_obj_begin(&j, m ? "pacer" : "fixed");
				if (c->failed) {
					bj_str(&j, "error", c->why);
				} else {
					bj_num(&j, "cpu_ns_per_op", c->cpu_op);
					bj_num(&j, "instr_per_op", c->ir_op);
					bj_u64(&j, "ops", c->ops);
					bj_u64(&j, "checkpoints", c->ckpts);
					bj_u64(&j, "checkpoints_eagain", c->again);
				}
				bj_obj_end(&j);
			}
			bj_obj_end(&j);
		}
		bj_arr_end(&j);
		bj_obj_begin(&j, "targets");
		bj_num(&j, "pacer_worst_instr_ratio_vs_4096", worst_i);
		bj_bool(&j, "instr_le_1_3", ok_i);
		bj_num(&j, "pacer_worst_cpu_ratio_vs_4096", worst_c);
		bj_bool(&j, "cpu_le_1_3", ok_c);
		bj_obj_end(&j);
		bj_obj_end(&j);
		bj_finish(&j);
		return 0;
	}
	printf("alloc --live-table: one thread, 16..256 B, quiescent every %u ops; fixed cadence:\n"
	       "  a checkpoint every %u ops; pacer: %u %% of the live bytes (floor 4 MiB);\n"
	       "  CPU ns per op of the timed phase (median), instructions per op (callgrind,\n"
	       "  timed phase only), checkpoints per run\n\n",
	       base->qs_every, base->ckpt_every, base->pace ? base->pace : 100);
	printf("%10s | %10s %10s %8s | %10s %10s %8s\n", "live", "fixed", "fixed",
	       "fixed", "pacer", "pacer", "pacer");
	printf("%10s | %10s %10s %8s | %10s %10s %8s\n", "objects", "cpu ns/op",
	       "instr/op", "ckpts", "cpu ns/op", "instr/op", "ckpts");
	for (i = 0; i < n; i++) {
		printf("%10u |", lt_sizes[i]);
		for (m = 0; m < 2; m++) {
			const struct lt_cell *c = &cells[i][m];

			if (c->failed)
				printf(" %-30.30s |", c->why);
			else
				printf(" %10.1f %10.1f %8llu%s", c->cpu_op, c->ir_op,
				       (unsigned long long)c->ckpts, m ? "" : " |");
		}
		printf("\n");
	}
	printf("\n");
	for (i = 1; i < n; i++)
		printf("live %u / 4096: fixed %.2fx cpu, %.2fx instr; pacer %.2fx cpu, %.2fx instr\n",
		       lt_sizes[i], cells[i][0].cpu_op / cells[0][0].cpu_op,
		       cells[i][0].ir_op / cells[0][0].ir_op,
		       cells[i][1].cpu_op / ref_c, cells[i][1].ir_op / ref_i);
	printf("target: pacer instructions/op at >= 1,048,576 live <= 1.3x the figure at 4,096: %.2fx -> %s\n",
	       worst_i, callgrind ? bu_met(ok_i) : "not measured (--callgrind)");
	printf("        (CPU time, which adds the cache misses of a larger heap: %.2fx -> %s)\n",
	       worst_c, bu_met(ok_c));
	return 0;
}

/* ==== the malloc-grade path: alloc + free by size, and alloc + release ==== */

/*
 * Table 1 (the default run): one operation frees the oldest object of a
 * ring of live objects and allocates a new one of the same size (FIFO, so
 * not a LIFO free-list ping-pong).  Each object gets a tagged serial in
 * its first word and its complement in its last word at allocation; both
 * are read back and checked before the free, and the serials read are
 * summed: every contender does exactly the same work and leaves the same
 * sum.  VGC: vgc_alloc() (Green, Gen0, registered threads) + vgc_free();
 * the mallocs: malloc() + free() with the allocator LD_PRELOADed.  "1t",
 * "2t" (each thread its own ring) and "xthread" (a producer allocates and
 * writes, a consumer on the other CPU checks and frees, through a ring).
 *
 * Table 2: the deferred path, 64-byte objects, alloc + deferred free of
 * the oldest in a ring: VGC's vgc_release() with the pacer running the
 * checkpoints in the allocating threads, or with the driver thread
 * (vgc_driver_start()); liburcu's call_rcu() (memb flavour, dlopen()ed),
 * whose callback reads the object, counts it and free()s it.  Threads
 * announce a quiescent state every --qs-every operations (VGC:
 * vgc_quiescent(); urcu: a read-side critical section of that many
 * operations).  Reclaimed objects per second = objects reclaimed during the
 * timed phase (VGC: the pacer's reclaimed bytes / 64; urcu: callbacks run)
 * / its wall time.
 */
static const size_t imm_sizes[] = {
	16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
};
#define IMM_NR_SIZES	(sizeof(imm_sizes) / sizeof(imm_sizes[0]))
#define IMM_LIVE_BYTES	(16ULL << 20)	/* live bytes per ring at most */

/* The ring's length at a size: --window, halved down to 16 MiB live. */
static unsigned int imm_live(unsigned int window, size_t size)
{
	unsigned int n = window;

	while (n > 16 && (uint64_t)n * size > IMM_LIVE_BYTES)
		n >>= 1;
	return n;
}

/* Operations at a size: the base up to 8 KiB, then fewer as they cost more. */
static uint64_t imm_ops(uint64_t base, size_t size)
{
	uint64_t n = size > 8192 ? base * 8192 / size : base;

	return n < 256 ? 256 : n;
}

struct imm_thr {
	struct impl *im;
	size_t size;
	unsigned int live, cap;	/* ring length; xthread: in flight at most */
	int part, cpu, role;	/* role: 0 own ring, 1 producer, 2 consumer */
	uint64_t ops, serial, sum, bad, ns, cpu_ns;
	uint64_t freed;		/* objects read back and freed */
	int err;
	void **slots;
	unsigned int pos;
	struct ring *ring;
	pthread_barrier_t *bar;
};

static inline uint64_t *imm_get(struct imm_thr *t)
{
	void *p;

	if (t->im->vgc)
		p = vgc_alloc(t->im->arena, t->size, VGC_ZONE_GREEN);
	else
		p = malloc(t->size);
	if (!p && !t->err)
		t->err = errno ? -errno : -ENOMEM;
	return p;
}

static inline void imm_fill(struct imm_thr *t, uint64_t *p, uint64_t tag)
{
	uint64_t v = tag << 40 | t->serial++;

	p[0] = v;
	p[t->size / 8 - 1] = ~v;
}

static inline void imm_put(struct imm_thr *t, uint64_t *p, uint64_t tag)
{
	uint64_t v = p[0];

	t->sum += v;
	t->bad += (v >> 40 != tag) | (p[t->size / 8 - 1] != ~v);
	t->freed++;
	if (!t->im->vgc)
		free(p);
	else if (vgc_free(t->im->arena, p))
		t->bad++;
}

__attribute__((noinline))
static void imm_run_local(struct imm_thr *t, uint64_t ops)
{
	const unsigned int mask = t->live - 1;
	const uint64_t tag = (uint64_t)t->part + 1;
	unsigned int pos = t->pos;
	uint64_t i;

	for (i = 0; i < ops; i++) {
		uint64_t *p = t->slots[pos];

		if (p)
			imm_put(t, p, tag);
		p = imm_get(t);
		t->slots[pos] = p;
		if (!p)
			break;
		imm_fill(t, p, tag);
		pos = (pos + 1) & mask;
	}
	t->pos = pos;
}

__attribute__((noinline))
static void imm_run_producer(struct imm_thr *t, uint64_t ops)
{
	struct ring *rg = t->ring;
	uint64_t i, h = atomic_load_explicit(&rg->head, memory_order_relaxed);
	uint64_t tl = atomic_load_explicit(&rg->tail, memory_order_acquire);

	for (i = 0; i < ops; i++) {
		uint64_t *p = imm_get(t);
		unsigned int spins = 0;

		if (p)
			imm_fill(t, p, 1);
		while (h - tl >= t->cap) {
			spin_wait(&spins);
			tl = atomic_load_explicit(&rg->tail, memory_order_acquire);
		}
		rg->slot[h % RING] = p;
		atomic_store_explicit(&rg->head, ++h, memory_order_release);
		if (!p)
			return;		/* NULL tells the consumer to stop */
	}
}

__attribute__((noinline))
static void imm_run_consumer(struct imm_thr *t, uint64_t ops)
{
	struct ring *rg = t->ring;
	uint64_t i, tl = atomic_load_explicit(&rg->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&rg->head, memory_order_acquire);

	for (i = 0; i < ops; i++) {
		unsigned int spins = 0;
		uint64_t *p;

		while (h == tl) {
			spin_wait(&spins);
			h = atomic_load_explicit(&rg->head, memory_order_acquire);
		}
		p = rg->slot[tl % RING];
		if (++tl % 32 == 0 || tl == h)
			atomic_store_explicit(&rg->tail, tl, memory_order_release);
		if (!p) {
			atomic_store_explicit(&rg->tail, tl, memory_order_release);
			t->err = -ECANCELED;
			return;
		}
		imm_put(t, p, 1);
	}
	atomic_store_explicit(&rg->tail, tl, memory_order_release);
}

static void imm_work(struct imm_thr *t, uint64_t ops)
{
	if (t->role == 0)
		imm_run_local(t, ops);
	else if (t->role == 1)
		imm_run_producer(t, ops);
	else
		imm_run_consumer(t, ops);
}

/* The timed phase alone, for callgrind's --toggle-collect and --dump-after. */
__attribute__((noinline))
static void imm_timed(struct imm_thr *t, uint64_t ops)
{
	imm_work(t, ops);
	__asm__ volatile("" ::: "memory");
}

static void *imm_thread(void *arg)
{
	struct imm_thr *t = arg;
	uint64_t warm = t->ops / 10 + t->live, t0;
	unsigned int j;

	bu_pin_cpu(t->cpu);
	if (t->im->vgc) {
		int err = vgc_thread_register(t->im->arena, t->part);

		if (err < 0 && !t->err)
			t->err = err;
	}
	if (t->role == 0)
		t->slots = calloc(t->live, sizeof(void *));
	if (!t->err && (t->role || t->slots))
		imm_work(t, warm);
	pthread_barrier_wait(t->bar);
	t0 = bu_now_ns();
	t->cpu_ns = bu_thread_cpu_ns();
	if (!t->err && (t->role || t->slots))
		imm_timed(t, t->ops);
	t->cpu_ns = bu_thread_cpu_ns() - t->cpu_ns;
	t->ns = bu_now_ns() - t0;
	pthread_barrier_wait(t->bar);
	if (t->role == 0 && t->slots) {
		for (j = 0; j < t->live; j++)
			if (t->slots[j])
				imm_put(t, t->slots[j], (uint64_t)t->part + 1);
		free(t->slots);
	}
	if (t->im->vgc)
		vgc_thread_unregister(t->im->arena);
	return NULL;
}

/*
 * --reserve-mib: a finite growth reserve per zone and partition (0: the
 * default, as much as the physical memory).  Only for the callgrind run:
 * under valgrind the default reservation is refused or exhausts memory.
 */
static uint64_t imm_reserve_mib;

static int imm_open_arena(enum vgc_backend backend, struct vgc_arena **a)
{
	struct vgc_config cfg;
	unsigned int z;

	/* the defaults (elastic), two partitions on CPUs 0 and 1 */
	vgc_config_init(&cfg);
	for (z = 0; imm_reserve_mib && z < VGC_NR_ZONES; z++)
		cfg.zone_reserve_bytes[z] = imm_reserve_mib << 20;
	cfg.backend = backend;
	cfg.nr_partitions = 2;
	cfg.cpus[0] = 0;
	cfg.cpus[1] = bu_nr_cpus() > 1 ? 1 : 0;
	return vgc_arena_open(&cfg, a);
}

struct imm_result {
	uint64_t ns, cpu_ns, ops, sum, bad, freed;
	int err;
};

/* sum of tag << 40 | serial over serials 0..n-1 */
static uint64_t serial_sum(uint64_t tag, uint64_t n)
{
	return n * (tag << 40) + (n ? n * (n - 1) / 2 : 0);
}

static void imm_run(struct impl *im, const char *wl, size_t size,
		    unsigned int live, uint64_t ops, struct imm_result *r)
{
	struct imm_thr ts[2];
	pthread_t th[2];
	pthread_barrier_t bar;
	struct ring *ring = aligned_alloc(64, sizeof(*ring));
	int xt = !strcmp(wl, "xthread"), nthr = strcmp(wl, "1t") ? 2 : 1, i;
	int cpus = bu_nr_cpus();
	uint64_t expect = 0;

	memset(r, 0, sizeof(*r));
	if (!ring) {
		r->err = -ENOMEM;
		return;
	}
	memset(ring, 0, sizeof(*ring));
	pthread_barrier_init(&bar, NULL, (unsigned int)nthr);
	for (i = 0; i < nthr; i++) {
		memset(&ts[i], 0, sizeof(ts[i]));
		ts[i].im = im;
		ts[i].size = size;
		ts[i].live = live;
		ts[i].cap = live < RING ? live : RING;
		ts[i].part = i;
		ts[i].cpu = i % cpus;
		ts[i].role = xt ? 1 + i : 0;
		ts[i].ops = ops;
		ts[i].ring = ring;
		ts[i].bar = &bar;
		pthread_create(&th[i], NULL, imm_thread, &ts[i]);
	}
	for (i = 0; i < nthr; i++) {
		pthread_join(th[i], NULL);
		r->sum += ts[i].sum;
		r->bad += ts[i].bad;
		r->freed += ts[i].freed;
		if (ts[i].ns > r->ns)
			r->ns = ts[i].ns;
		if (ts[i].cpu_ns > r->cpu_ns)
			r->cpu_ns = ts[i].cpu_ns;
		if (ts[i].err && !r->err)
			r->err = ts[i].err;
		/* every object allocated was read back and freed, once */
		if (!xt)
			expect += serial_sum((uint64_t)i + 1, ts[i].serial);
	}
	if (xt)
		expect = serial_sum(1, ts[0].serial);
	if (r->sum != expect || r->freed != ts[0].serial + (nthr > 1 && !xt ? ts[1].serial : 0))
		r->bad++;
	r->ops = nthr == 2 && !xt ? 2 * ops : ops;
	pthread_barrier_destroy(&bar);
	free(ring);
}

static long maxrss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

/*
 * --child-imm IMPL WL: one run; WL "cg" runs 1t at every size in turn
 * (callgrind dumps after each timed phase).
 */
static int child_imm(const struct params *pa, const char *impl, const char *wl,
		     uint64_t size)
{
	struct impl im = { .vgc = !strcmp(impl, "vgc") };
	struct imm_result r;
	unsigned int s;

	if (!im.vgc && strcmp(impl, malloc_identity())) {
		fprintf(stderr, "vgc-bench alloc: wanted %s, got %s\n", impl,
			malloc_identity());
		return 3;
	}
	for (s = 0; s < IMM_NR_SIZES; s++) {
		size_t sz = strcmp(wl, "cg") ? size : imm_sizes[s];
		unsigned int live = strcmp(wl, "cg") ? pa->window :
				    imm_live(pa->window, sz);
		uint64_t ops = strcmp(wl, "cg") ? pa->ops : imm_ops(pa->ops, sz);
		int err = 0;

		if (sz < 16 || sz % 8 || live & (live - 1)) {
			fprintf(stderr, "vgc-bench alloc: bad size or ring\n");
			return 2;
		}
		if (im.vgc)
			err = imm_open_arena(pa->backend, &im.arena);
		if (err) {
			memset(&r, 0, sizeof(r));
			r.err = err;
		} else {
			imm_run(&im, strcmp(wl, "cg") ? wl : "1t", sz, live, ops, &r);
		}
		if (!strcmp(wl, "cg"))
			IMM_DUMP();	/* part s + 1: this size's timed phase */
		if (im.vgc && !err)
			vgc_arena_close(im.arena);
		printf("IMM %zu %llu %llu %llu %llu %llu %ld %d %s\n", sz,
		       (unsigned long long)r.ns, (unsigned long long)r.cpu_ns,
		       (unsigned long long)r.ops, (unsigned long long)r.sum,
		       (unsigned long long)r.bad, maxrss_kb(), r.err,
		       im.vgc ? "vgc" : malloc_identity());
		fflush(stdout);
		if (strcmp(wl, "cg"))
			break;
	}
	return 0;
}

/* ---- the deferred path: vgc_release() vs call_rcu() -------------------- */

struct dobj {
	uint64_t v, chk;
	struct {			/* liburcu's struct rcu_head */
		void *next;
		void (*func)(void *head);
	} head;
	uint64_t pad[4];
};
_Static_assert(sizeof(struct dobj) == 64, "64-byte objects");

struct urcu_api {
	void (*reg)(void), (*unreg)(void), (*lock)(void), (*unlock)(void);
	void (*barrier)(void);
	void (*call)(void *head, void (*fn)(void *head));
};

static struct urcu_api urcu;
static uint64_t cb_sum, cb_n;	/* what the call_rcu callbacks reclaimed */

static int urcu_load(void)
{
	void *h = dlopen("liburcu-memb.so.8", RTLD_NOW | RTLD_GLOBAL);

	if (!h)
		h = dlopen("liburcu-memb.so", RTLD_NOW | RTLD_GLOBAL);
	if (!h)
		return -ENOENT;
	*(void **)&urcu.reg = dlsym(h, "urcu_memb_register_thread");
	*(void **)&urcu.unreg = dlsym(h, "urcu_memb_unregister_thread");
	*(void **)&urcu.lock = dlsym(h, "urcu_memb_read_lock");
	*(void **)&urcu.unlock = dlsym(h, "urcu_memb_read_unlock");
	*(void **)&urcu.barrier = dlsym(h, "urcu_memb_barrier");
	*(void **)&urcu.call = dlsym(h, "urcu_memb_call_rcu");
	if (!urcu.reg || !urcu.unreg || !urcu.lock || !urcu.unlock ||
	    !urcu.barrier || !urcu.call)
		return -ENOSYS;
	return 0;
}

static void dobj_cb(void *head)
{
	struct dobj *o = (struct dobj *)((char *)head - offsetof(struct dobj, head));

	__atomic_fetch_add(&cb_sum, o->v, __ATOMIC_RELAXED);
	__atomic_fetch_add(&cb_n, 1, __ATOMIC_RELAXED);
	free(o);
}

enum { DEF_PACER, DEF_DRIVER, DEF_URCU };

struct def_thr {
	struct vgc_arena *arena;
	int mode, part, cpu;
	unsigned int live, qs_every;
	uint64_t ops, serial, sum, bad, stalls, ns, cpu_ns;
	uint64_t recl0, recl1;	/* thread 0: reclaimed count around the timed phase */
	int err;
	void **slots;
	unsigned int pos;
	pthread_barrier_t *bar;
};

static uint64_t def_reclaimed(struct def_thr *t)
{
	struct vgc_pacer_stats ps;

	if (t->mode == DEF_URCU)
		return __atomic_load_n(&cb_n, __ATOMIC_RELAXED);
	if (vgc_pacer_stats(t->arena, &ps))
		return 0;
	return ps.reclaimed_bytes / sizeof(struct dobj);
}

static struct dobj *def_get(struct def_thr *t)
{
	uint64_t deadline = 0;
	struct dobj *o;

	if (t->mode == DEF_URCU) {
		o = malloc(sizeof(*o));
		if (!o)
			t->err = -ENOMEM;
		return o;
	}
	while (!(o = vgc_alloc(t->arena, sizeof(*o), VGC_ZONE_GREEN))) {
		int err = -errno;

		/* the heap's limit: reclamation has to catch up */
		if (!deadline)
			deadline = bu_now_ns() + 10000000000ULL;
		if (err != -ENOMEM || bu_now_ns() > deadline) {
			t->err = err;
			return NULL;
		}
		t->stalls++;
		vgc_quiescent(t->arena);
		sched_yield();
	}
	return o;
}

static inline void def_put(struct def_thr *t, struct dobj *o, uint64_t tag)
{
	t->sum += o->v;
	t->bad += (o->v >> 40 != tag) | (o->chk != ~o->v);
	if (t->mode == DEF_URCU)
		urcu.call(&o->head, dobj_cb);
	else if (vgc_release(t->arena, o))
		t->bad++;
}

__attribute__((noinline))
static void def_work(struct def_thr *t, uint64_t ops)
{
	const unsigned int mask = t->live - 1;
	const uint64_t tag = (uint64_t)t->part + 1;
	unsigned int qs = t->qs_every, pos = t->pos;
	uint64_t i;

	if (t->mode == DEF_URCU)
		urcu.lock();
	for (i = 0; i < ops; i++) {
		struct dobj *o = t->slots[pos];

		if (o)
			def_put(t, o, tag);
		o = def_get(t);
		t->slots[pos] = o;
		if (!o)
			break;
		o->v = tag << 40 | t->serial++;
		o->chk = ~o->v;
		pos = (pos + 1) & mask;
		if (!--qs) {
			qs = t->qs_every;
			if (t->mode == DEF_URCU) {
				urcu.unlock();
				urcu.lock();
			} else {
				vgc_quiescent(t->arena);
			}
		}
	}
	if (t->mode == DEF_URCU)
		urcu.unlock();
	t->pos = pos;
}

/* At a barrier a VGC thread holds no object: it must not hold up checkpoints. */
static void def_barrier(struct def_thr *t)
{
	if (t->mode != DEF_URCU)
		vgc_thread_offline(t->arena);
	pthread_barrier_wait(t->bar);
	if (t->mode != DEF_URCU)
		vgc_thread_online(t->arena);
}

static void *def_thread(void *arg)
{
	struct def_thr *t = arg;
	uint64_t t0 = 0, c0 = 0;
	unsigned int j;
	int err;

	bu_pin_cpu(t->cpu);
	if (t->mode == DEF_URCU)
		urcu.reg();
	else if ((err = vgc_thread_register(t->arena, t->part)) < 0)
		t->err = err;
	t->slots = calloc(t->live, sizeof(void *));
	if (!t->slots)
		t->err = -ENOMEM;
	if (!t->err)
		def_work(t, t->ops / 10 + t->live);
	def_barrier(t);
	if (!t->part)
		t->recl0 = def_reclaimed(t);
	t0 = bu_now_ns();
	c0 = bu_thread_cpu_ns();
	if (!t->err)
		def_work(t, t->ops);
	t->cpu_ns = bu_thread_cpu_ns() - c0;
	def_barrier(t);
	/* wall: barrier to barrier, so it covers the slower thread too */
	t->ns = bu_now_ns() - t0;
	if (!t->part)
		t->recl1 = def_reclaimed(t);
	if (t->slots) {
		for (j = 0; j < t->live; j++)
			if (t->slots[j])
				def_put(t, t->slots[j], (uint64_t)t->part + 1);
		free(t->slots);
	}
	if (t->mode == DEF_URCU)
		urcu.unreg();
	else
		vgc_thread_unregister(t->arena);
	return NULL;
}

/* --child-def MODE WL: one run of the deferred table. */
static int child_def(const struct params *pa, const char *mode, const char *wl)
{
	struct def_thr ts[2];
	pthread_t th[2];
	pthread_barrier_t bar;
	struct vgc_arena *a = NULL;
	int m = !strcmp(mode, "vgc-pacer") ? DEF_PACER :
		!strcmp(mode, "vgc-driver") ? DEF_DRIVER : DEF_URCU;
	int nthr = strcmp(wl, "1t") ? 2 : 1, i, err = 0, cpus = bu_nr_cpus();
	uint64_t sum = 0, bad = 0, stalls = 0, ns = 0, cpu = 0, expect = 0;
	uint64_t ckpts = 0, pending = 0, n = 0;

	if (m == DEF_URCU) {
		err = urcu_load();
	} else {
		err = imm_open_arena(pa->backend, &a);
		if (!err && m == DEF_PACER) {
			struct vgc_pacer_cfg pc = { .percent = pa->pace ? pa->pace : 100 };

			err = vgc_pacer_set(a, &pc);
		} else if (!err) {
			struct vgc_driver_cfg dc = { .flags = VGC_DRIVER_F_QUIET };

			err = vgc_driver_start(a, &dc);
		}
	}
	if (err) {
		printf("DEF 0 0 0 0 0 0 0 0 0 %d\n", err);
		vgc_arena_close(a);
		return 0;
	}
	pthread_barrier_init(&bar, NULL, (unsigned int)nthr);
	for (i = 0; i < nthr; i++) {
		memset(&ts[i], 0, sizeof(ts[i]));
		ts[i].arena = a;
		ts[i].mode = m;
		ts[i].part = i;
		ts[i].cpu = i % cpus;
		ts[i].live = pa->window;
		ts[i].qs_every = pa->qs_every;
		ts[i].ops = pa->ops;
		ts[i].bar = &bar;
		pthread_create(&th[i], NULL, def_thread, &ts[i]);
	}
	for (i = 0; i < nthr; i++) {
		pthread_join(th[i], NULL);
		sum += ts[i].sum;
		bad += ts[i].bad;
		stalls += ts[i].stalls;
		n += ts[i].serial;
		expect += serial_sum((uint64_t)i + 1, ts[i].serial);
		if (ts[i].ns > ns)
			ns = ts[i].ns;
		if (ts[i].cpu_ns > cpu)
			cpu = ts[i].cpu_ns;
		if (ts[i].err && !err)
			err = ts[i].err;
	}
	pthread_barrier_destroy(&bar);
	if (sum != expect)
		bad++;
	if (m == DEF_URCU) {
		/* every object reached its callback, which read the same serial */
		urcu.barrier();
		if (cb_sum != expect || cb_n != n)
			bad++;
	} else {
		struct vgc_pacer_stats ps;
		struct vgc_driver_stats ds;

		if (m == DEF_DRIVER && !vgc_driver_stats(a, &ds))
			ckpts += ds.checkpoints;
		if (!vgc_pacer_stats(a, &ps)) {
			ckpts += ps.checkpoints;
			pending = ps.pending_bytes / sizeof(struct dobj);
		}
		vgc_arena_close(a);
	}
	printf("DEF %llu %llu %llu %llu %llu %llu %llu %llu %llu %d\n",
	       (unsigned long long)ns, (unsigned long long)cpu,
	       (unsigned long long)(nthr * pa->ops),
	       (unsigned long long)(ts[0].recl1 - ts[0].recl0),
	       (unsigned long long)sum, (unsigned long long)bad,
	       (unsigned long long)stalls, (unsigned long long)ckpts,
	       (unsigned long long)pending, err);
	return 0;
}

/* ---- the parent of both tables ----------------------------------------- */

static char *child_capture(const struct contender *c, char **args,
			   const char *cg_out, int *st)
{
	char *argv[48], envbuf[PATH_MAX + 16];
	static char outopt[PATH_MAX + 32];
	int k = 0;

	if (cg_out) {
		snprintf(outopt, sizeof(outopt), "--callgrind-out-file=%s", cg_out);
		argv[k++] = "valgrind";
		argv[k++] = "--tool=callgrind";
		argv[k++] = "-q";
		argv[k++] = outopt;
		argv[k++] = "--toggle-collect=imm_timed*";
	}
	argv[k++] = self_exe;
	argv[k++] = "alloc";
	while (*args && k < 47)
		argv[k++] = *args++;
	argv[k] = NULL;
	if (c && c->preload)
		snprintf(envbuf, sizeof(envbuf), "LD_PRELOAD=%s", c->preload);
	return bu_run_capture(argv, c && c->preload ? envbuf : NULL, 600, st);
}

struct icell {
	double wall[64], cpu[64];
	unsigned int n;
	uint64_t sum, bad;
	long rss_kb;
	double ir, mw, mc;	/* instructions/op; medians */
	int failed;
	char why[96];
};

static int imm_spawn(const struct params *pa, unsigned int ci, size_t size,
		     const char *wl, struct imm_result *r, long *rss, char *why)
{
	char b_size[24], b_ops[24], b_live[24], b_be[8];
	char *args[] = { "--child-imm", (char *)contenders[ci].name, (char *)wl,
			 "--size", b_size, "--ops", b_ops, "--window", b_live,
			 "--backend-id", b_be, NULL };
	char *out, *line, name[32];
	unsigned long long f[6];
	size_t sz;
	int st;

	snprintf(b_size, sizeof(b_size), "%zu", size);
	snprintf(b_ops, sizeof(b_ops), "%llu",
		 (unsigned long long)imm_ops(pa->ops, size));
	snprintf(b_live, sizeof(b_live), "%u", imm_live(pa->window, size));
	snprintf(b_be, sizeof(b_be), "%d", (int)pa->backend);
	out = child_capture(&contenders[ci], args, NULL, &st);
	if (!out) {
		snprintf(why, 96, "cannot start child");
		return -1;
	}
	line = strstr(out, "IMM ");
	if (!line || sscanf(line, "IMM %zu %llu %llu %llu %llu %llu %ld %d %31s",
			    &sz, &f[0], &f[1], &f[2], &f[3], &f[4], rss,
			    &r->err, name) != 9) {
		snprintf(why, 96, "child failed (status %d)", st);
		free(out);
		return -1;
	}
	free(out);
	r->ns = f[0];
	r->cpu_ns = f[1];
	r->ops = f[2];
	r->sum = f[3];
	r->bad = f[4];
	if (r->err) {
		snprintf(why, 96, "%s", vgc_strerror(r->err));
		return -1;
	}
	return 0;
}

/* Instructions per timed op at every size, one callgrind run per contender. */
static void imm_callgrind(const struct params *pa, unsigned int ci,
			  struct icell cells[][NR_WORKLOADS])
{
	char path[64], part[80], b_ops[24], b_live[24], b_be[8];
	char *args[] = { "--child-imm", (char *)contenders[ci].name, "cg",
			 "--ops", b_ops, "--window", b_live, "--backend-id", b_be,
			 "--reserve-mib", "1024", NULL };
	unsigned int s;
	char *out;
	int st;

	snprintf(b_ops, sizeof(b_ops), "%llu", (unsigned long long)pa->ops);
	snprintf(b_live, sizeof(b_live), "%u", pa->window);
	snprintf(b_be, sizeof(b_be), "%d", (int)pa->backend);
	snprintf(path, sizeof(path), "/tmp/vgc-bench-cg.%d.%u", (int)getpid(), ci);
	out = child_capture(&contenders[ci], args, path, &st);
	free(out);
	/* dump n after the n-th timed phase, a final one at exit */
	for (s = 0; s < IMM_NR_SIZES; s++) {
		snprintf(part, sizeof(part), "%s.%u", path, s + 1);
		cells[s][0].ir = bu_callgrind_ir(part) /
				 (double)imm_ops(pa->ops, imm_sizes[s]);
	}
	unlink(path);
}

struct dcell {
	double wall[64], cpu[64], recl[64];
	unsigned int n;
	uint64_t sum, bad, stalls, ckpts, pending;
	double mw, mc, mr;	/* medians: wall ns/op, cpu ns/op, reclaimed/s */
	int failed;
	char why[96];
};

static const char *const def_names[] = { "vgc-pacer", "vgc-driver", "urcu" };
static const char *const def_labels[] = { "vgc+pacer", "vgc+driver", "call_rcu" };
#define NR_DEF	3

static int def_spawn(const struct params *pa, unsigned int di, const char *wl,
		     struct dcell *c, unsigned int rep)
{
	char b_ops[24], b_live[24], b_be[8], b_qs[24], b_pace[24];
	char *args[] = { "--child-def", (char *)def_names[di], (char *)wl,
			 "--ops", b_ops, "--window", b_live, "--backend-id", b_be,
			 "--qs-every", b_qs, "--pace", b_pace, NULL };
	unsigned long long f[9];
	char *out, *line;
	int st, err;

	snprintf(b_ops, sizeof(b_ops), "%llu", (unsigned long long)pa->ops);
	snprintf(b_live, sizeof(b_live), "%u", pa->window);
	snprintf(b_be, sizeof(b_be), "%d", (int)pa->backend);
	snprintf(b_qs, sizeof(b_qs), "%u", pa->qs_every);
	snprintf(b_pace, sizeof(b_pace), "%u", pa->pace);
	out = child_capture(NULL, args, NULL, &st);
	if (!out) {
		snprintf(c->why, sizeof(c->why), "cannot start child");
		return -1;
	}
	line = strstr(out, "DEF ");
	if (!line || sscanf(line, "DEF %llu %llu %llu %llu %llu %llu %llu %llu %llu %d",
			    &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6],
			    &f[7], &f[8], &err) != 10) {
		snprintf(c->why, sizeof(c->why), "child failed (status %d)", st);
		free(out);
		return -1;
	}
	free(out);
	if (err) {
		if (di == DEF_URCU && (err == -ENOENT || err == -ENOSYS))
			snprintf(c->why, sizeof(c->why), "n/a (liburcu-memb.so.8 not found)");
		else
			snprintf(c->why, sizeof(c->why), "%s", vgc_strerror(err));
		return -1;
	}
	c->wall[c->n] = (double)f[0] / (double)f[2];
	c->cpu[c->n] = (double)f[1] / (double)f[2];
	c->recl[c->n++] = (double)f[3] * 1e9 / (double)f[0];
	if (rep && c->sum != f[4])
		c->bad++;
	c->sum = f[4];
	c->bad += f[5];
	c->stalls += f[6];
	c->ckpts += f[7];
	c->pending = f[8];
	return 0;
}

static void plot_imm(const char *dir, const int *enabled,
		     struct icell cells[][IMM_NR_SIZES][NR_WORKLOADS])
{
	struct bp_plot p;
	unsigned int ci, s, col = 2;
	char script[2048];
	size_t off;

	if (!dir || bp_begin(&p, dir, "alloc"))
		return;
	fprintf(p.dat, "# size");
	for (ci = 0; ci < NR_CONTENDERS; ci++)
		if (enabled[ci])
			fprintf(p.dat, " %s_1t_cpu_ns/op", contenders[ci].name);
	fprintf(p.dat, "\n");
	for (s = 0; s < IMM_NR_SIZES; s++) {
		fprintf(p.dat, "%zu", imm_sizes[s]);
		for (ci = 0; ci < NR_CONTENDERS; ci++)
			if (enabled[ci])
				fprintf(p.dat, " %.3f", cells[ci][s][0].mc);
		fprintf(p.dat, "\n");
	}
	off = (size_t)snprintf(script, sizeof(script),
			       "set logscale xy\n"
			       "set xlabel 'object size, bytes'\n"
			       "set ylabel 'CPU ns per alloc+free, log scale (lower is better)'\n"
			       "set key left top\n"
			       "plot ");
	for (ci = 0; ci < NR_CONTENDERS; ci++)
		if (enabled[ci])
			off += (size_t)snprintf(script + off, sizeof(script) - off,
						"%s'alloc.dat' using 1:%u with linespoints title '%s'",
						col > 2 ? ", " : "", col, contenders[ci].name), col++;
	bp_end(&p, "alloc + free, one thread: CPU time per operation, median of the runs",
	       script);
}

static int malloc_tables(struct params pa, const char *only, int callgrind,
			 int json, const char *plot_dir)
{
	static struct icell cells[NR_CONTENDERS][IMM_NR_SIZES][NR_WORKLOADS];
	static struct dcell dcells[NR_DEF][2];
	const unsigned int MI = 3;
	int enabled[NR_CONTENDERS], def_on[NR_DEF];
	unsigned int ci, s, wi, rep, di;
	uint64_t checksum = BU_FNV_SEED, total_bad = 0;
	struct params dp = pa;
	double t_start = (double)bu_now_ns();
	struct bj j;
	char hex[24];

	for (ci = 0; ci < NR_CONTENDERS; ci++) {
		const struct contender *k = &contenders[ci];

		enabled[ci] = !only || strstr(only, k->name);
		for (s = 0; s < IMM_NR_SIZES; s++)
			for (wi = 0; wi < NR_WORKLOADS; wi++) {
				cells[ci][s][wi].ir = NAN;
				if (enabled[ci] && k->preload && access(k->preload, R_OK)) {
					cells[ci][s][wi].failed = 1;
					snprintf(cells[ci][s][wi].why, 96, "%s missing",
						 k->preload);
				}
			}
	}
	for (di = 0; di < NR_DEF; di++)
		def_on[di] = !only || strstr(only, di == DEF_URCU ? "urcu" : "vgc");
	if (!json)
		fprintf(stderr, "vgc-bench alloc: %u reps x %zu sizes x 3 workloads x %zu allocators, then the deferred table...\n",
			pa.reps, IMM_NR_SIZES, NR_CONTENDERS);
	/* interleaved, rep-major: background load hits everyone alike */
	for (rep = 0; rep < pa.reps; rep++)
		for (s = 0; s < IMM_NR_SIZES; s++)
			for (wi = 0; wi < NR_WORKLOADS; wi++)
				for (ci = 0; ci < NR_CONTENDERS; ci++) {
					struct icell *ce = &cells[ci][s][wi];
					struct imm_result r;
					long rss = 0;

					if (!enabled[ci] || ce->failed)
						continue;
					if (imm_spawn(&pa, ci, imm_sizes[s], workloads[wi],
						      &r, &rss, ce->why)) {
						ce->failed = 1;
						continue;
					}
					ce->wall[ce->n] = (double)r.ns / (double)r.ops;
					ce->cpu[ce->n++] = (double)r.cpu_ns / (double)r.ops;
					if (rep && ce->sum != r.sum)
						ce->bad++;
					ce->sum = r.sum;
					ce->bad += r.bad;
					if (rss > ce->rss_kb)
						ce->rss_kb = rss;
				}
	if (callgrind)
		for (ci = 0; ci < NR_CONTENDERS; ci++)
			if (enabled[ci] && !cells[ci][0][0].failed) {
				struct icell tmp[IMM_NR_SIZES][NR_WORKLOADS];

				for (s = 0; s < IMM_NR_SIZES; s++)
					tmp[s][0].ir = NAN;
				imm_callgrind(&pa, ci, tmp);
				for (s = 0; s < IMM_NR_SIZES; s++)
					cells[ci][s][0].ir = tmp[s][0].ir;
			}
	/* the deferred table: 64-byte objects */
	dp.ops = pa.ops * 2;
	for (rep = 0; rep < pa.reps; rep++)
		for (wi = 0; wi < 2; wi++)
			for (di = 0; di < NR_DEF; di++) {
				struct dcell *c = &dcells[di][wi];

				if (!def_on[di] || c->failed)
					continue;
				if (def_spawn(&dp, di, workloads[wi], c, rep))
					c->failed = 1;
			}

	/* ---- medians, sums ---- */
	for (ci = 0; ci < NR_CONTENDERS; ci++)
		for (s = 0; s < IMM_NR_SIZES; s++)
			for (wi = 0; wi < NR_WORKLOADS; wi++) {
				struct icell *ce = &cells[ci][s][wi];
				int ok = enabled[ci] && !ce->failed && ce->n;

				ce->mw = ok ? bu_median(ce->wall, ce->n) : NAN;
				ce->mc = ok ? bu_median(ce->cpu, ce->n) : NAN;
				if (ok)
					checksum = bu_mix(checksum, ce->sum);
				total_bad += ce->bad;
			}
	/* the same work leaves the same sum, whoever allocated */
	for (s = 0; s < IMM_NR_SIZES; s++)
		for (wi = 0; wi < NR_WORKLOADS; wi++) {
			int ref = -1;

			for (ci = 0; ci < NR_CONTENDERS; ci++) {
				struct icell *ce = &cells[ci][s][wi];

				if (!enabled[ci] || ce->failed || !ce->n)
					continue;
				if (ref < 0) {
					ref = (int)ci;
				} else if (ce->sum != cells[ref][s][wi].sum) {
					fprintf(stderr, "vgc-bench alloc: %s %zu B %s: sum differs from %s\n",
						contenders[ci].name, imm_sizes[s],
						workloads[wi], contenders[ref].name);
					total_bad++;
				}
			}
		}
	for (di = 0; di < NR_DEF; di++)
		for (wi = 0; wi < 2; wi++) {
			struct dcell *c = &dcells[di][wi];
			int ok = def_on[di] && !c->failed && c->n;

			c->mw = ok ? bu_median(c->wall, c->n) : NAN;
			c->mc = ok ? bu_median(c->cpu, c->n) : NAN;
			c->mr = ok ? bu_median(c->recl, c->n) : NAN;
			if (ok)
				checksum = bu_mix(checksum, c->sum);
			total_bad += c->bad;
		}
	for (wi = 0; wi < 2; wi++) {
		int ref = -1;

		for (di = 0; di < NR_DEF; di++) {
			struct dcell *c = &dcells[di][wi];

			if (!def_on[di] || c->failed || !c->n)
				continue;
			if (ref < 0) {
				ref = (int)di;
			} else if (c->sum != dcells[ref][wi].sum) {
				fprintf(stderr, "vgc-bench alloc: deferred %s %s: sum differs\n",
					def_labels[di], workloads[wi]);
				total_bad++;
			}
		}
	}
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)checksum);

	/* ---- targets ---- */
	{
		unsigned int cpu_ok = 0, ir_ok = 0, sc_ok = 0, rss_ok = 0, nsz = 0, nir = 0;
		double vr = dcells[DEF_DRIVER][0].mr > dcells[DEF_PACER][0].mr ?
			    dcells[DEF_DRIVER][0].mr : dcells[DEF_PACER][0].mr;
		double vr2 = dcells[DEF_DRIVER][1].mr > dcells[DEF_PACER][1].mr ?
			     dcells[DEF_DRIVER][1].mr : dcells[DEF_PACER][1].mr;
		double ur = dcells[DEF_URCU][0].mr, ur2 = dcells[DEF_URCU][1].mr;
		int have_mi = enabled[0] && enabled[MI];

		for (s = 0; s < IMM_NR_SIZES; s++) {
			struct icell *v = cells[0][s], *m = cells[MI][s];

			if (!have_mi || isnan(v[0].mc) || isnan(m[0].mc))
				continue;
			nsz++;
			cpu_ok += v[0].mc <= m[0].mc;
			sc_ok += v[0].mc / v[1].mc >= 1.9;
			rss_ok += v[0].rss_kb <= 1.1 * (double)m[0].rss_kb;
			if (!isnan(v[0].ir) && !isnan(m[0].ir)) {
				nir++;
				ir_ok += v[0].ir <= m[0].ir;
			}
		}

		if (json) {
			bj_init(&j, stdout);
			bj_obj_begin(&j, NULL);
			bj_str(&j, "benchmark", "alloc");
			bj_obj_begin(&j, "params");
			bj_u64(&j, "ops_base", pa.ops);
			bj_u64(&j, "deferred_ops", dp.ops);
			bj_u64(&j, "reps", pa.reps);
			bj_u64(&j, "window", pa.window);
			bj_u64(&j, "qs_every", pa.qs_every);
			bj_str(&j, "backend", vgc_backend_name(pa.backend));
			bj_u64(&j, "cpus", (uint64_t)bu_nr_cpus());
			bj_obj_end(&j);
			bj_obj_begin(&j, "immediate");
			for (ci = 0; ci < NR_CONTENDERS; ci++) {
				if (!enabled[ci])
					continue;
				bj_obj_begin(&j, contenders[ci].name);
				for (s = 0; s < IMM_NR_SIZES; s++) {
					char key[24];

					snprintf(key, sizeof(key), "%zu", imm_sizes[s]);
					bj_obj_begin(&j, key);
					for (wi = 0; wi < NR_WORKLOADS; wi++) {
						struct icell *ce = &cells[ci][s][wi];

						bj_obj_begin(&j, workloads[wi]);
						if (ce->failed) {
							bj_str(&j, "error", ce->why);
						} else {
							bj_num(&j, "cpu_ns_per_op", ce->mc);
							bj_num(&j, "wall_ns_per_op", ce->mw);
							bj_u64(&j, "sum", ce->sum);
							bj_u64(&j, "bad", ce->bad);
							bj_u64(&j, "peak_rss_kb", (uint64_t)ce->rss_kb);
							if (wi == 0)
								bj_num(&j, "instr_per_op", ce->ir);
						}
						bj_obj_end(&j);
					}
					bj_num(&j, "scaling_2t_cpu", cells[ci][s][0].mc / cells[ci][s][1].mc);
					bj_num(&j, "scaling_2t_wall", cells[ci][s][0].mw / cells[ci][s][1].mw);
					bj_obj_end(&j);
				}
				bj_obj_end(&j);
			}
			bj_obj_end(&j);
			bj_obj_begin(&j, "deferred");
			for (di = 0; di < NR_DEF; di++) {
				bj_obj_begin(&j, def_labels[di]);
				for (wi = 0; wi < 2; wi++) {
					struct dcell *c = &dcells[di][wi];

					bj_obj_begin(&j, workloads[wi]);
					if (!def_on[di] || c->failed) {
						bj_str(&j, "error", def_on[di] ? c->why : "not run");
					} else {
						bj_num(&j, "cpu_ns_per_op", c->mc);
						bj_num(&j, "wall_ns_per_op", c->mw);
						bj_num(&j, "reclaimed_per_s", c->mr);
						bj_u64(&j, "sum", c->sum);
						bj_u64(&j, "bad", c->bad);
						bj_u64(&j, "checkpoints", c->ckpts);
						bj_u64(&j, "stalls", c->stalls);
					}
					bj_obj_end(&j);
				}
				bj_obj_end(&j);
			}
			bj_obj_end(&j);
			bj_obj_begin(&j, "targets");
			bj_u64(&j, "sizes", nsz);
			bj_u64(&j, "cpu_le_mimalloc", cpu_ok);
			bj_u64(&j, "instr_le_mimalloc", ir_ok);
			bj_u64(&j, "scaling_ge_1_9", sc_ok);
			bj_u64(&j, "rss_le_1_1_mimalloc", rss_ok);
			bj_num(&j, "deferred_vs_call_rcu_1t", vr / ur);
			bj_num(&j, "deferred_vs_call_rcu_2t", vr2 / ur2);
			bj_obj_end(&j);
			bj_u64(&j, "bad_objects", total_bad);
			bj_str(&j, "checksum", hex);
			bj_obj_end(&j);
			bj_finish(&j);
			goto out;
		}

		printf("alloc, 1. alloc + free (immediate): %llu ops per thread and run up to 8 KiB (fewer above),\n"
		       "   ring of %u live objects per thread (halved down to 16 MiB live), median of %u runs,\n"
		       "   backend %s, each run in its own child process; mallocs by LD_PRELOAD.\n"
		       "   cpu, wall: ns per op, 1 thread; instr: instructions per op, 1 thread, callgrind\n"
		       "   (benchmark loop included); vs mi: cpu and instr / mimalloc's; 2t/1t: ops/s of 2\n"
		       "   threads / 1 thread (cpu: from the busier thread's CPU time; wall); xthr: ns per\n"
		       "   op, thread A allocates, thread B frees; RSS: peak of the 1t child, MiB; check:\n"
		       "   low 32 bits of the sum of serials read back (same in a row = same work).\n\n",
		       (unsigned long long)pa.ops, pa.window, pa.reps,
		       vgc_backend_name(pa.backend));
		printf("%7s %-9s %8s %8s %8s %6s %6s %6s %6s %8s %8s %7s %6s %9s\n",
		       "size", "", "cpu", "wall", "instr", "cpu", "instr", "2t/1t", "2t/1t",
		       "xthr", "xthr", "RSS", "RSS", "check");
		printf("%7s %-9s %8s %8s %8s %6s %6s %6s %6s %8s %8s %7s %6s %9s\n",
		       "", "", "ns/op", "ns/op", "/op", "vs mi", "vs mi", "cpu", "wall",
		       "cpu ns", "wall ns", "MiB", "vs mi", "");
		for (s = 0; s < IMM_NR_SIZES; s++) {
			for (ci = 0; ci < NR_CONTENDERS; ci++) {
				struct icell *c = cells[ci][s], *m = cells[MI][s];
				char szs[24];

				if (!enabled[ci])
					continue;
				if (imm_sizes[s] >= 1024)
					snprintf(szs, sizeof(szs), "%zuK", imm_sizes[s] >> 10);
				else
					snprintf(szs, sizeof(szs), "%zu", imm_sizes[s]);
				if (c[0].failed) {
					printf("%7s %-9s %s\n", szs, contenders[ci].name, c[0].why);
					continue;
				}
				printf("%7s %-9s %8.1f %8.1f %8.1f %5.2fx %5.2fx %5.2fx %5.2fx %8.1f %8.1f %7.1f %5.2fx %s%08llx\n",
				       szs, contenders[ci].name, c[0].mc, c[0].mw, c[0].ir,
				       c[0].mc / m[0].mc, c[0].ir / m[0].ir,
				       c[0].mc / c[1].mc, c[0].mw / c[1].mw,
				       c[2].mc, c[2].mw, (double)c[0].rss_kb / 1024.0,
				       (double)c[0].rss_kb / (double)m[0].rss_kb,
				       c[0].bad + c[1].bad + c[2].bad ? "BAD " : "",
				       (unsigned long long)((c[0].sum ^ c[1].sum ^ c[2].sum) & 0xffffffffULL));
			}
			if (s + 1 < IMM_NR_SIZES)
				printf("\n");
		}
		printf("\nalloc, 2. alloc + deferred free, 64-byte objects: %llu ops per thread and run, ring of\n"
		       "   %u live objects per thread, quiescent state every %u ops, median of %u runs;\n"
		       "   reclaimed/s: objects reclaimed in the timed phase / its wall time; call_rcu:\n"
		       "   liburcu-memb, glibc malloc, the callback reads, counts and frees the object.\n\n",
		       (unsigned long long)dp.ops, pa.window, pa.qs_every, pa.reps);
		printf("%-11s %-3s %8s %8s %12s %10s %9s %8s %s\n", "", "", "cpu", "wall",
		       "reclaimed", "vs", "ckpts", "stalls", "check");
		printf("%-11s %-3s %8s %8s %12s %10s %9s %8s\n", "", "", "ns/op", "ns/op",
		       "M obj/s", "call_rcu", "per run", "per run");
		for (wi = 0; wi < 2; wi++)
			for (di = 0; di < NR_DEF; di++) {
				struct dcell *c = &dcells[di][wi];
				double ref = dcells[DEF_URCU][wi].mr;

				if (!def_on[di])
					continue;
				if (c->failed) {
					printf("%-11s %-3s %s\n", def_labels[di], workloads[wi], c->why);
					continue;
				}
				printf("%-11s %-3s %8.1f %8.1f %12.2f %9.2fx %9llu %8llu %s%016llx\n",
				       def_labels[di], workloads[wi], c->mc, c->mw, c->mr / 1e6,
				       c->mr / ref,
				       (unsigned long long)(c->ckpts / (c->n ? c->n : 1)),
				       (unsigned long long)(c->stalls / (c->n ? c->n : 1)),
				       c->bad ? "BAD " : "", (unsigned long long)c->sum);
			}
		printf("\ntargets (1 thread, per size; %u sizes measured):\n", nsz);
		printf("  immediate CPU ns/op <= mimalloc:          %u of %u sizes -> %s\n",
		       cpu_ok, nsz, bu_met(nsz && cpu_ok == nsz));
		if (nir)
			printf("  immediate instructions/op <= mimalloc:    %u of %u sizes -> %s\n",
			       ir_ok, nir, bu_met(ir_ok == nir));
		else
			printf("  immediate instructions/op <= mimalloc:    not measured (callgrind off or missing)\n");
		printf("  2 threads >= 1.9x of 1 (CPU time):        %u of %u sizes -> %s\n",
		       sc_ok, nsz, bu_met(nsz && sc_ok == nsz));
		printf("  peak RSS <= 1.1x mimalloc:                %u of %u sizes -> %s\n",
		       rss_ok, nsz, bu_met(nsz && rss_ok == nsz));
		if (isnan(ur))
			printf("  deferred >= 10x call_rcu reclaimed/s:     n/a (call_rcu not measured)\n");
		else
			printf("  deferred >= 10x call_rcu reclaimed/s:     1t %.2fx, 2t %.2fx -> %s\n",
			       vr / ur, vr2 / ur2, bu_met(vr >= 10 * ur && vr2 >= 10 * ur2));
		printf("objects clobbered or sums differing: %llu\n",
		       (unsigned long long)total_bad);
		printf("elapsed: %.1f s\n", ((double)bu_now_ns() - t_start) / 1e9);
		printf("checksum: %s\n", hex);
	}
	plot_imm(plot_dir, enabled, cells);
out:
	return total_bad ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgc-bench alloc [--quick] [--no-callgrind] [--json] [--ops N] [--reps R]\n"
"                       [--window W] [--qs-every N] [--pace PCT] [--only LIST]\n"
"                       [--plot DIR]\n"
"       vgc-bench alloc --mixed [--json] [--ops N] [--reps R] [--window W]\n"
"                       [--ckpt-every N] [--qs-every N] [--zone-mib M]\n"
"                       [--backend anon|module|auto] [--only LIST]\n"
"                       [--callgrind] [--pace PCT] [--live-table [--full]]\n"
"default: 1. alloc + vgc_free() vs glibc, jemalloc, mimalloc, tcmalloc at 16 B ..\n"
"  1 MiB, 1t / 2t / xthread, instructions per op under callgrind, peak RSS;\n"
"  2. alloc + vgc_release() (pacer, driver) vs liburcu call_rcu(), reclaimed/s\n"
"  --quick         20000 ops, 1 run, no callgrind (a smoke test)\n"
"  --no-callgrind  no instructions per op\n"
"  --mixed         the older table: 16..256 B mixed, vgc_release() with a fixed\n"
"                  checkpoint cadence vs the mallocs' free()\n"
"  --ops N         ops per thread per run (default 400000 up to 8 KiB, fewer\n"
"                  above; deferred: 2N; --mixed: 1000000)\n"
"  --reps R        runs per contender and workload, median reported (3; --mixed 5)\n"
"  --window W      live objects per thread, power of two (4096)\n"
"  --ckpt-every N  VGC: checkpoint every N operations (4096)\n"
"  --qs-every N    VGC: quiescent state every N operations (64)\n"
"  --zone-mib M    VGC: Green zone per partition in MiB (16)\n"
"  --only LIST     comma separated contenders (vgc,glibc,jemalloc,mimalloc,tcmalloc,\n"
"                  urcu)\n"
"  --plot DIR      also write an SVG chart (gnuplot) of the allocators to DIR\n"
"  --callgrind     also count instructions per operation (1t) under callgrind\n"
"  --pace PCT      VGC: no fixed cadence, the library's pacer at PCT %% of the\n"
"                  live bytes (vgc_pacer_set()); 0: fixed cadence (default)\n"
"  --live-table    VGC alone at 4,096 / 131,072 / 1,048,576 live objects (and\n"
"                  8,388,608 with --full), fixed cadence vs the pacer\n"
"  --ckpt-full     VGC: the fixed cadence's checkpoints with VGC_CKPT_F_FULL\n"
"                  (sweep every span; default: skip the settled ones)\n");
}

/* --zone-mib M: the Green zone in MiB. */
static int opt_zone_mib(const char *arg, void *dst)
{
	uint64_t v;

	if (bu_parse_u64(arg, &v) || v > UINT64_MAX >> 20)
		return -1;
	*(uint64_t *)dst = v << 20;
	return 0;
}

/* --backend-id N: the backend as a number (parent to child). */
static int opt_backend_id(const char *arg, void *dst)
{
	int64_t v;

	if (bu_parse_i64(arg, &v) || v < VGC_BACKEND_AUTO || v > VGC_BACKEND_ANON)
		return -1;
	*(enum vgc_backend *)dst = (enum vgc_backend)v;
	return 0;
}

int bench_alloc(int argc, char **argv)
{
	struct params pa = {
		.ops = 0, .window = 4096, .ckpt_every = 4096,
		.qs_every = 64, .reps = 0, .zone_bytes = 16ULL << 20,
		.backend = VGC_BACKEND_ANON,
	};
	static struct cell cells[NR_CONTENDERS][NR_WORKLOADS];
	const char *child = NULL, *only = NULL, *plot_dir = NULL;
	const char *child_i = NULL, *child_d = NULL;
	int json = 0, callgrind = 0, ret = 0, npos, ltable = 0, full = 0;
	int quick = 0, mixed = 0, no_cg = 0;
	uint64_t size = 64;
	unsigned int ci, wi, rep;
	uint64_t checksum = BU_FNV_SEED, total_bad = 0;
	int enabled[NR_CONTENDERS];
	char *pos[1];
	ssize_t n;
	const struct bu_opt opts[] = {
		BU_FLAG("json", &json),
		BU_U64("ops", &pa.ops, 1, 0),
		BU_UINT("reps", &pa.reps, 1, 64),
		BU_UINT("window", &pa.window, 16, 0),
		BU_UINT("ckpt-every", &pa.ckpt_every, 1, 0),
		BU_UINT("qs-every", &pa.qs_every, 1, 0),
		BU_FN("zone-mib", &pa.zone_bytes, opt_zone_mib, "MiB"),
		BU_U64("zone-bytes", &pa.zone_bytes, 0, 0),
		BENCH_OPT_BACKEND(&pa.backend),
		BU_FN("backend-id", &pa.backend, opt_backend_id, "a backend number"),
		BU_STR("only", &only),
		BU_STR("plot", &plot_dir),
		BU_FLAG("callgrind", &callgrind),
		BU_UINT("pace", &pa.pace, 0, 10000),
		BU_U64("warm", &pa.warm, 0, 0),
		BU_FLAG("live-table", &ltable),
		BU_FLAG("full", &full),
		BU_FLAG("ckpt-full", &ckpt_full),
		BU_STR("child", &child),
		BU_STR("child-imm", &child_i),
		BU_STR("child-def", &child_d),
		BU_U64("size", &size, 16, 1ULL << 30),
		BU_FLAG("quick", &quick),
		BU_FLAG("mixed", &mixed),
		BU_FLAG("no-callgrind", &no_cg),
		BU_U64("reserve-mib", &imm_reserve_mib, 0, 1ULL << 24),
		BU_OPT_END
	};

	switch (bu_parse_opts("alloc", argc, argv, opts, pos, 1, &npos)) {
	case 0:
		break;
	case BU_OPTS_HELP:
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
	if (pa.window & (pa.window - 1)) {
		fprintf(stderr, "vgc-bench alloc: --window: %u is not a power of two\n",
			pa.window);
		usage(stderr);
		return 2;
	}
	if (!pa.ops)
		pa.ops = quick ? 20000 : mixed || ltable ? 1000000 : 400000;
	if (!pa.reps)
		pa.reps = quick ? 1 : mixed || ltable ? 5 : 3;
	if ((child || child_i || child_d) && npos < 1)
		return 2;
	if (child)
		return child_main(&pa, child, pos[0]);
	if (child_i)
		return child_imm(&pa, child_i, pos[0], size);
	if (child_d)
		return child_def(&pa, child_d, pos[0]);

	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0) {
		perror("vgc-bench alloc: /proc/self/exe");
		return 1;
	}
	self_exe[n] = 0;
	if (ltable)
		return live_table(&pa, callgrind, full, json);
	if (!mixed)
		return malloc_tables(pa, only, callgrind || (!quick && !no_cg),
				     json, plot_dir);
	for (ci = 0; ci < NR_CONTENDERS; ci++) {
		const struct contender *k = &contenders[ci];

		enabled[ci] = !only || strstr(only, k->name);
		for (wi = 0; wi < NR_WORKLOADS; wi++)
			cells[ci][wi].ir_op = NAN;
		if (enabled[ci] && k->preload && access(k->preload, R_OK)) {
			for (wi = 0; wi < NR_WORKLOADS; wi++) {
				cells[ci][wi].failed = 1;
				snprintf(cells[ci][wi].why, sizeof(cells[ci][wi].why),
					 "%s missing", k->preload);
			}
		}
	}
	if (!json)
		fprintf(stderr, "vgc-bench alloc: %u reps x %zu contenders x %d workloads, %llu ops each...\n",
			pa.reps, NR_CONTENDERS, NR_WORKLOADS,
			(unsigned long long)pa.ops);
	/* interleaved: rep-major, so background load hits everyone alike */
	for (rep = 0; rep < pa.reps; rep++)
		for (wi = 0; wi < NR_WORKLOADS; wi++)
			for (ci = 0; ci < NR_CONTENDERS; ci++) {
				struct cell *ce = &cells[ci][wi];
				struct child_result cr;

				if (!enabled[ci] || ce->failed)
					continue;
				if (spawn(&pa, &contenders[ci], workloads[wi], NULL,
					  &cr, ce->why, sizeof(ce->why))) {
					ce->failed = 1;
					continue;
				}
				ce->cpu_op[ce->n] = (double)cr.cpu_ns / (double)cr.ops;
				ce->ns_op[ce->n++] = (double)cr.ns / (double)cr.ops;
				if (rep && ce->sum != cr.sum)
					ce->bad++;
				ce->sum = cr.sum;
				ce->bad += cr.bad;
				ce->stalls += cr.stalls;
				ce->ckpts += cr.ckpts;
				ce->ckpt_again += cr.ckpt_again;
			}
	if (callgrind) {
		struct params cg = pa;

		/* instruction counts are exact: a short single run suffices */
		cg.ops = pa.ops < 200000 ? pa.ops : 200000;
		for (ci = 0; ci < NR_CONTENDERS; ci++) {
			struct child_result cr;
			char path[64], why[128];

			if (!enabled[ci] || cells[ci][0].failed)
				continue;
			snprintf(path, sizeof(path), "/tmp/vgc-bench-cg.%d.%u",
				 (int)getpid(), ci);
			if (spawn(&cg, &contenders[ci], "1t", path, &cr, why,
				  sizeof(why))) {
				unlink(path);
				continue;
			}
			/* run_local runs warm-up + timed: both counted */
			cells[ci][0].ir_op = bu_callgrind_ir(path) /
				(double)(cg.ops + cg.ops / 10 + cg.window);
		}
	}

	/* ---- report ---- */
	{
		double med[NR_CONTENDERS][NR_WORKLOADS], medc[NR_CONTENDERS][NR_WORKLOADS];
		double scal_w[NR_CONTENDERS], scal_c[NR_CONTENDERS];
		const unsigned int MI = 3;
		double vgc1, mi1;
		char hex[24];
		struct bj j;

		for (ci = 0; ci < NR_CONTENDERS; ci++) {
			for (wi = 0; wi < NR_WORKLOADS; wi++) {
				struct cell *ce = &cells[ci][wi];
				int ok = !ce->failed && ce->n;

				med[ci][wi] = ok ? bu_median(ce->ns_op, ce->n) : NAN;
				medc[ci][wi] = ok ? bu_median(ce->cpu_op, ce->n) : NAN;
				checksum = bu_mix(checksum, ce->sum);
				total_bad += ce->bad;
			}
			/* throughput ratio 2 threads / 1 thread */
			scal_w[ci] = med[ci][0] / med[ci][1];
			scal_c[ci] = medc[ci][0] / medc[ci][1];
		}
		/* the same work leaves the same sum, whoever allocated */
		for (wi = 0; wi < NR_WORKLOADS; wi++) {
			int ref = -1;

			for (ci = 0; ci < NR_CONTENDERS; ci++) {
				struct cell *ce = &cells[ci][wi];

				if (!enabled[ci] || ce->failed || !ce->n)
					continue;
				if (ref < 0)
					ref = (int)ci;
				else if (ce->sum != cells[ref][wi].sum) {
					fprintf(stderr, "vgc-bench alloc: %s %s sum differs from %s\n",
						contenders[ci].name, workloads[wi],
						contenders[ref].name);
					total_bad++;
				}
			}
		}
		vgc1 = med[0][0];
		mi1 = med[MI][0];
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)checksum);

		if (json) {
			bj_init(&j, stdout);
			bj_obj_begin(&j, NULL);
			bj_str(&j, "benchmark", "alloc");
			bj_obj_begin(&j, "params");
			bj_u64(&j, "ops", pa.ops);
			bj_u64(&j, "reps", pa.reps);
			bj_u64(&j, "window", pa.window);
			bj_u64(&j, "ckpt_every", pa.ckpt_every);
			bj_u64(&j, "qs_every", pa.qs_every);
			bj_u64(&j, "zone_bytes", pa.zone_bytes);
			bj_str(&j, "backend", vgc_backend_name(pa.backend));
			bj_str(&j, "method", "child process per run, LD_PRELOAD per malloc");
			bj_u64(&j, "cpus", (uint64_t)bu_nr_cpus());
			bj_obj_end(&j);
			bj_obj_begin(&j, "results");
			for (ci = 0; ci < NR_CONTENDERS; ci++) {
				if (!enabled[ci])
					continue;
				bj_obj_begin(&j, contenders[ci].name);
				for (wi = 0; wi < NR_WORKLOADS; wi++) {
					struct cell *ce = &cells[ci][wi];

					bj_obj_begin(&j, workloads[wi]);
					if (ce->failed) {
						bj_str(&j, "error", ce->why);
						bj_obj_end(&j);
						continue;
					}
					bj_num(&j, "ns_per_op_median", med[ci][wi]);
					bj_num(&j, "cpu_ns_per_op_median", medc[ci][wi]);
					bj_num(&j, "mops_per_s", 1e3 / med[ci][wi]);
					bj_arr_begin(&j, "ns_per_op");
					for (rep = 0; rep < ce->n; rep++)
						bj_num(&j, NULL, ce->ns_op[rep]);
					bj_arr_end(&j);
					bj_u64(&j, "sum", ce->sum);
					bj_u64(&j, "bad", ce->bad);
					if (ci == 0) {
						bj_u64(&j, "checkpoints", ce->ckpts);
						bj_u64(&j, "checkpoints_eagain", ce->ckpt_again);
						bj_u64(&j, "stalls", ce->stalls);
					}
					if (wi == 0)
						bj_num(&j, "instr_per_op", ce->ir_op);
					bj_obj_end(&j);
				}
				bj_num(&j, "scaling_2t_wall", scal_w[ci]);
				bj_num(&j, "scaling_2t_cpu", scal_c[ci]);
				bj_obj_end(&j);
			}
			bj_obj_end(&j);
			bj_obj_begin(&j, "targets");
			bj_num(&j, "vgc_vs_mimalloc_time_ratio", vgc1 / mi1);
			bj_bool(&j, "time_le_mimalloc", vgc1 <= mi1);
			bj_num(&j, "vgc_vs_mimalloc_cpu_ratio", medc[0][0] / medc[MI][0]);
			bj_bool(&j, "cpu_time_le_mimalloc", medc[0][0] <= medc[MI][0]);
			bj_num(&j, "vgc_scaling_2t_wall", scal_w[0]);
			bj_num(&j, "vgc_scaling_2t_cpu", scal_c[0]);
			bj_bool(&j, "scaling_ge_1_9_wall", scal_w[0] >= 1.9);
			bj_bool(&j, "scaling_ge_1_9_cpu", scal_c[0] >= 1.9);
			bj_obj_end(&j);
			bj_u64(&j, "bad_objects", total_bad);
			bj_str(&j, "checksum", hex);
			bj_obj_end(&j);
			bj_finish(&j);
		} else {
			printf("alloc: %llu alloc+release pairs per thread and run, 16..256 B, window %u,\n"
			       "       median of %u runs; VGC: checkpoint every %u ops, quiescent every %u,\n"
			       "       backend %s; mallocs by LD_PRELOAD in a child process each\n\n",
			       (unsigned long long)pa.ops, pa.window, pa.reps,
			       pa.ckpt_every, pa.qs_every, vgc_backend_name(pa.backend));
			printf("%-9s %9s %9s %9s %9s %9s %9s %9s%s\n", "", "1t", "1t", "2t agg",
			       "xthread", "2t/1t", "2t/1t", "1t vs", callgrind ? "  instr/op" : "");
			printf("%-9s %9s %9s %9s %9s %9s %9s %9s%s\n", "", "ns/op", "cpu ns", "ns/op",
			       "ns/op", "wall", "cpu", "mimalloc", callgrind ? "        1t" : "");
			for (ci = 0; ci < NR_CONTENDERS; ci++) {
				if (!enabled[ci])
					continue;
				if (cells[ci][0].failed) {
					printf("%-9s %s\n", contenders[ci].name,
					       cells[ci][0].why);
					continue;
				}
				printf("%-9s %9.2f %9.2f %9.2f %9.2f %8.2fx %8.2fx %8.2fx",
				       contenders[ci].name, med[ci][0], medc[ci][0],
				       med[ci][1], med[ci][2], scal_w[ci], scal_c[ci],
				       med[ci][0] / mi1);
				if (callgrind)
					printf(" %10.1f", cells[ci][0].ir_op);
				printf("\n");
			}
			printf("\n2t agg: wall ns per op counting both threads' ops; 2t/1t: throughput\n"
			       "scaling from wall time and from the busier thread's CPU time (the\n"
			       "machine is shared: wall time includes time other processes ran).\n");
			printf("VGC: %llu checkpoints, %llu retried after -EAGAIN, %llu allocation stalls\n\n",
			       (unsigned long long)(cells[0][0].ckpts + cells[0][1].ckpts + cells[0][2].ckpts),
			       (unsigned long long)(cells[0][0].ckpt_again + cells[0][1].ckpt_again + cells[0][2].ckpt_again),
			       (unsigned long long)(cells[0][0].stalls + cells[0][1].stalls + cells[0][2].stalls));
			printf("target: VGC time/op <= mimalloc (1t): wall %.2f vs %.2f ns (%.2fx) -> %s,"
			       " cpu %.2f vs %.2f ns (%.2fx) -> %s\n",
			       vgc1, mi1, vgc1 / mi1, bu_met(vgc1 <= mi1),
			       medc[0][0], medc[MI][0], medc[0][0] / medc[MI][0],
			       bu_met(medc[0][0] <= medc[MI][0]));
			printf("target: VGC 2-thread throughput >= 1.9x: wall %.2fx -> %s, cpu %.2fx -> %s"
			       " (mimalloc: wall %.2fx, cpu %.2fx)\n",
			       scal_w[0], bu_met(scal_w[0] >= 1.9), scal_c[0],
			       bu_met(scal_c[0] >= 1.9), scal_w[MI], scal_c[MI]);
			printf("objects clobbered or sums differing: %llu\n",
			       (unsigned long long)total_bad);
			printf("checksum: %s\n", hex);
		}
		plot_alloc(plot_dir, enabled, med, medc);
		if (total_bad)
			ret = 1;
	}
	return ret;
}
