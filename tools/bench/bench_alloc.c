// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench alloc: the allocation fast path with reclamation amortised in,
 * side by side with glibc malloc, jemalloc, mimalloc and tcmalloc.
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
#include <sys/wait.h>
#include <vgcu.h>
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

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgc-bench alloc [--json] [--ops N] [--reps R] [--window W]\n"
"                       [--ckpt-every N] [--qs-every N] [--zone-mib M]\n"
"                       [--backend anon|module|auto] [--only LIST]\n"
"                       [--callgrind] [--pace PCT] [--live-table [--full]]\n"
"  --ops N         alloc+release pairs per thread per run (default 1000000)\n"
"  --reps R        runs per contender and workload, median reported (5)\n"
"  --window W      live objects per thread, power of two (4096)\n"
"  --ckpt-every N  VGC: checkpoint every N operations (4096)\n"
"  --qs-every N    VGC: quiescent state every N operations (64)\n"
"  --zone-mib M    VGC: Green zone per partition in MiB (16)\n"
"  --only LIST     comma separated contenders (vgc,glibc,jemalloc,mimalloc,tcmalloc)\n"
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
		.ops = 1000000, .window = 4096, .ckpt_every = 4096,
		.qs_every = 64, .reps = 5, .zone_bytes = 16ULL << 20,
		.backend = VGC_BACKEND_ANON,
	};
	static struct cell cells[NR_CONTENDERS][NR_WORKLOADS];
	const char *child = NULL, *only = NULL, *plot_dir = NULL;
	int json = 0, callgrind = 0, ret = 0, npos, ltable = 0, full = 0;
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
	if (child) {
		if (npos < 1)
			return 2;
		return child_main(&pa, child, pos[0]);
	}

	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0) {
		perror("vgc-bench alloc: /proc/self/exe");
		return 1;
	}
	self_exe[n] = 0;
	if (ltable)
		return live_table(&pa, callgrind, full, json);
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
