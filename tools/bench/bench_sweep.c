// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep: what a checkpoint costs.
 *
 *  1. Sweep throughput of the library sweep (vgc_sweep_partition, scalar
 *     and AVX2) over N live 16-byte objects, in objects/s and metadata
 *     GB/s, beside this machine's read and read-modify-write bandwidth
 *     measured in the same run by plain streaming loops over a buffer of
 *     the size of the plane words the sweep walks.
 *  2. Pause per checkpoint (vgc_checkpoint, grace period included) for
 *     partitions of 1e5, 1e6, 1e7 objects: p50, p99, max.
 *  3. Cost per object against CPython 3.11 gc.collect() over N tracked
 *     containers and Boehm GC GC_gcollect() over N reachable objects, at
 *     the same N, in the same run.
 *  4. Kernel sweep vs library sweep on the same arena (module backend).
 *
 * Between sweeps a mutator step (outside the timed region) keeps the state
 * machine busy in steady state: it touches one object in eight, releases
 * one in 64 of the open ones and allocates back what the sweeps reclaimed,
 * so every sweep has transitions to apply, releases to fold and slots to
 * free.  The checksum folds in the counts every sweep returned and the
 * baselines' own checks.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <gc.h>
#include <vgcu.h>
#include <linux/vgc_state.h>
#include "bench.h"
#include "bench_util.h"

/* Planes a sweep reads per word: v, a, s0-s2, r, p, k, promote, demote. */
#define SWEPT_PLANES	10
#define OBJ_SIZE	16

struct sopts {
	uint64_t sizes[8];
	unsigned int nr_sizes;
	uint64_t pause_sizes[8];
	unsigned int nr_pause_sizes;
	unsigned int reps;
	int json, no_python, no_boehm;
	uint64_t base_max;		/* largest N the baselines run at */
	enum vgc_backend backend;
	const char *python;
};

struct world {
	struct vgc_arena *a;
	uint64_t n;			/* live objects wanted */
	uint64_t w0, nw;		/* region's words in the planes */
	uint64_t *pv, *ps2, *pa;
	char *base;
	uint64_t round;
	uint64_t refill;		/* reclaimed, to allocate back */
	uint64_t checksum;
	int err;
};

static int world_open(struct world *w, uint64_t n, enum vgc_backend backend)
{
	const struct vgc_region *rg;
	struct vgc_config cfg;
	uint64_t bytes, i;
	int err;

	memset(w, 0, sizeof(*w));
	w->n = n;
	w->checksum = BU_FNV_SEED;
	vgc_config_init(&cfg);
	cfg.backend = backend;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	/* room for N objects plus the ones waiting out their grace periods */
	bytes = n * OBJ_SIZE + n * OBJ_SIZE / 16;
	bytes = (bytes + VGC_SPAN_SIZE - 1) / VGC_SPAN_SIZE * VGC_SPAN_SIZE +
		VGC_SPAN_SIZE;
	cfg.zone_bytes[VGC_ZONE_RED] = 0;
	cfg.zone_bytes[VGC_ZONE_GREEN] = bytes;
	cfg.zone_bytes[VGC_ZONE_BLUE] = 0;
	cfg.gen_permille[0] = 1000;
	err = vgc_arena_open(&cfg, &w->a);
	if (err)
		return err;
	rg = vgc_arena_region(w->a, VGC_ZONE_GREEN, 0);
	if (!rg) {
		vgc_arena_close(w->a);
		return -EINVAL;
	}
	w->w0 = rg->first_granule / 64;
	w->nw = (rg->committed_granules + 63) / 64;
	w->pv = vgc_arena_plane(w->a, VGC_PLANE_VALID);
	w->ps2 = vgc_arena_plane(w->a, VGC_PLANE_S2);
	w->pa = vgc_arena_plane(w->a, VGC_PLANE_ACCESS);
	w->base = vgc_arena_base(w->a);
	err = vgc_thread_register(w->a, 0);
	if (err < 0) {
		vgc_arena_close(w->a);
		return err;
	}
	bu_pin_cpu(0);
	for (i = 0; i < n; i++)
		if (!vgc_alloc(w->a, OBJ_SIZE, VGC_ZONE_GREEN)) {
			err = -errno;
			vgc_arena_close(w->a);
			return err;
		}
	return 0;
}

static void world_close(struct world *w)
{
	vgc_thread_unregister(w->a);
	vgc_arena_close(w->a);
}

/*
 * The mutator between two sweeps: allocate back what was reclaimed, touch
 * one object in eight and release one open object in 64 (a different one
 * each round).
 */
static void world_step(struct world *w)
{
	const uint64_t touch = 0x0101010101010101ULL << (w->round & 7);
	uint64_t i;

	for (i = 0; i < w->refill; i++)
		if (!vgc_alloc(w->a, OBJ_SIZE, VGC_ZONE_GREEN)) {
			w->err = -errno;
			break;
		}
	w->refill = 0;
	for (i = 0; i < w->nw; i++) {
		uint64_t wi = w->w0 + i;
		uint64_t v = __atomic_load_n(&w->pv[wi], __ATOMIC_RELAXED);
		uint64_t rel = v & ~w->ps2[wi] & (1ULL << ((i * 7 + w->round) & 63));

		if (v & touch)
			__atomic_fetch_or(&w->pa[wi], v & touch, __ATOMIC_RELAXED);
		if (rel) {
			void *p = w->base + ((wi * 64 + (uint64_t)__builtin_ctzll(rel))
					     << VGC_GRANULE_SHIFT);

			if (vgc_release(w->a, p))
				w->err = -EIO;
		}
	}
	w->round++;
}

static void fold_counts(struct world *w, const struct vgc_sweep_counts *c)
{
	w->checksum = bu_mix(w->checksum, c->live);
	w->checksum = bu_mix(w->checksum, c->to_active + c->to_idle);
	w->checksum = bu_mix(w->checksum, c->deferred + c->marked + c->expired);
	w->checksum = bu_mix(w->checksum, c->reclaimed);
	w->refill += c->reclaimed;
}

/* ---- 1: throughput --------------------------------------------------- */

struct tp_row {
	uint64_t n, words, live;
	double meta_bytes;
	double ns[3];		/* median sweep wall time per impl (scalar, avx2) */
	double cpu[3];		/* median sweep CPU time of the sweeping thread */
	int ok[3];
	double bw_read, bw_rmw, bw_read_avx2, bw_rmw_avx2, bw_best;
	double table_ns;	/* the table alone, scalar: table_floor() */
	int err;
};

static int sweep_timed(struct world *w, enum vgc_sweep_impl impl,
		       unsigned int reps, double *med, double *cpu_med,
		       uint64_t *words, uint64_t *live)
{
	double t[64], tc[64];
	unsigned int r;

	if (reps > 64)
		reps = 64;
	for (r = 0; r < reps; r++) {
		struct vgc_sweep_counts c;
		uint64_t t0, c0;
		int err;

		memset(&c, 0, sizeof(c));
		world_step(w);
		c0 = bu_thread_cpu_ns();
		t0 = bu_now_ns();
		err = vgc_sweep_partition(w->a, 0, 0, 0, impl, &c);
		t[r] = (double)(bu_now_ns() - t0);
		tc[r] = (double)(bu_thread_cpu_ns() - c0);
		if (err)
			return err;
		fold_counts(w, &c);
		*words = c.words;
		*live = c.live;
	}
	*med = bu_median(t, reps);
	*cpu_med = bu_median(tc, reps);
	return w->err;
}

/*
 * The transition table of vgc_sweep_word() alone over a copy of the same
 * plane words: plain loads and stores, no exchanges, no counters, no state
 * histogram.  This is the bound the sweep could reach if the rest were
 * free, and it tells how much of the sweep's time the rest takes.
 */
#define TABLE_PASS_BODY							\
	uint64_t *restrict v = pl[0], *restrict s0 = pl[1];		\
	uint64_t *restrict s1 = pl[2], *restrict s2 = pl[3];		\
	uint64_t *restrict a = pl[4], *restrict r = pl[5];		\
	uint64_t *restrict p = pl[6], *restrict k = pl[7];		\
	uint64_t *restrict pr = pl[8], *restrict dm = pl[9];		\
	uint64_t chk = 0;						\
	size_t i;							\
									\
	for (i = 0; i < nw; i++) {					\
		struct vgc_sweep_in in = {				\
			.v = v[i], .s0 = s0[i], .s1 = s1[i],		\
			.s2 = s2[i], .a = a[i], .r = r[i], .p = p[i],	\
			.k = k[i], .promote = pr[i], .demote = dm[i],	\
			.z = ~0ULL,					\
		};							\
		struct vgc_sweep_out out;				\
									\
		vgc_sweep_word(&in, &out);				\
		v[i] = out.v;						\
		s0[i] = out.s0;						\
		s1[i] = out.s1;						\
		s2[i] = out.s2;						\
		a[i] = 0;						\
		r[i] = out.r_left;					\
		p[i] = out.p_left;					\
		k[i] = out.k_left;					\
		pr[i] = out.promote_left;				\
		dm[i] = out.demote_left;				\
		chk |= out.reclaimed;					\
	}								\
	return chk

/* Scalar: one word of each plane per step. */
__attribute__((noinline, optimize("no-tree-vectorize")))
static uint64_t table_pass(uint64_t *const *pl, size_t nw)
{
	TABLE_PASS_BODY;
}

static double table_floor(struct world *w, unsigned int reps)
{
	static const enum vgc_plane src[SWEPT_PLANES] = {
		VGC_PLANE_VALID, VGC_PLANE_S0, VGC_PLANE_S1, VGC_PLANE_S2,
		VGC_PLANE_ACCESS, VGC_PLANE_RELEASE, VGC_PLANE_PIN,
		VGC_PLANE_KEEP, VGC_PLANE_PROMOTE, VGC_PLANE_DEMOTE,
	};
	uint64_t *pl[SWEPT_PLANES], *buf;
	double t[64];
	size_t bytes = w->nw * 8 * SWEPT_PLANES;
	unsigned int k, r;

	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return NAN;
	for (k = 0; k < SWEPT_PLANES; k++) {
		pl[k] = buf + k * w->nw;
		memcpy(pl[k], vgc_arena_plane(w->a, src[k]) + w->w0, w->nw * 8);
	}
	if (reps > 64)
		reps = 64;
	bu_sink(table_pass(pl, w->nw));
	for (r = 0; r < reps; r++) {
		uint64_t c0 = bu_thread_cpu_ns();

		bu_sink(table_pass(pl, w->nw));
		t[r] = (double)(bu_thread_cpu_ns() - c0);
	}
	munmap(buf, bytes);
	return bu_median(t, reps);
}

static void run_throughput(const struct sopts *o, struct tp_row *row,
			   uint64_t n)
{
	struct world w;
	uint64_t *buf, sum;
	size_t bytes;
	unsigned int reps = n >= 100000000 ? 3 : n >= 10000000 ? 5 : o->reps;
	int err, impl;

	memset(row, 0, sizeof(*row));
	row->n = n;
	err = world_open(&w, n, VGC_BACKEND_ANON);
	if (err) {
		row->err = err;
		return;
	}
	/* two untimed rounds settle the states into their steady mix */
	for (impl = 0; impl < 2; impl++) {
		struct vgc_sweep_counts c;

		memset(&c, 0, sizeof(c));
		world_step(&w);
		vgc_sweep_partition(w.a, 0, 0, 0, VGC_SWEEP_AUTO, &c);
		fold_counts(&w, &c);
	}
	for (impl = VGC_SWEEP_SCALAR; impl <= VGC_SWEEP_AVX2; impl++) {
		err = sweep_timed(&w, (enum vgc_sweep_impl)impl, reps,
				  &row->ns[impl], &row->cpu[impl], &row->words,
				  &row->live);
		row->ok[impl] = !err;
		if (err && err != -EOPNOTSUPP)
			row->err = err;
	}
	row->meta_bytes = (double)row->words * 8 * SWEPT_PLANES;
	row->table_ns = table_floor(&w, reps);
	world_close(&w);

	/* the machine's bandwidth over a buffer of the same size */
	bytes = ((size_t)row->meta_bytes + 63) & ~(size_t)63;
	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		row->err = -ENOMEM;
		return;
	}
	memset(buf, 0x5a, bytes);
	row->bw_read = bu_bw_read(buf, bytes, 200000000, &sum);
	row->bw_rmw = bu_bw_rmw(buf, bytes, 200000000, &sum);
	if (bu_have_avx2()) {
		row->bw_read_avx2 = bu_bw_read_avx2(buf, bytes, 200000000, &sum);
		row->bw_rmw_avx2 = bu_bw_rmw_avx2(buf, bytes, 200000000, &sum);
	}
	row->bw_best = fmax(row->bw_rmw, row->bw_rmw_avx2);
	munmap(buf, bytes);
}

/* ---- 2: pauses per checkpoint ---------------------------------------- */

struct pause_row {
	uint64_t n;
	unsigned int k;
	double p50, p99, max, cpu_p50, cpu_p99, cpu_max, sweep_p50;
	uint64_t again, checksum;
	enum vgc_backend backend;
	int err;
};

static int checkpoint_once(struct world *w, double *wall, double *cpu,
			   double *sweep, uint64_t *again)
{
	struct vgc_ckpt_opts co = { .flags = VGC_CKPT_F_ALL_ZONES };
	struct vgc_checkpoint res;
	uint64_t t0, c0;
	int err, tries = 0;

	for (;;) {
		memset(&res, 0, sizeof(res));
		res.size = sizeof(res);
		vgc_quiescent(w->a);
		c0 = bu_thread_cpu_ns();
		t0 = bu_now_ns();
		err = vgc_checkpoint(w->a, &co, &res);
		*wall = (double)(bu_now_ns() - t0);
		*cpu = (double)(bu_thread_cpu_ns() - c0);
		if (err != -EAGAIN || ++tries > 1000)
			break;
		(*again)++;
	}
	if (err)
		return err;
	*sweep = (double)res.sweep_ns;
	fold_counts(w, &res.counts);
	return 0;
}

#define MAX_PAUSES	400

static void run_pauses(const struct sopts *o, struct pause_row *row, uint64_t n)
{
	static double wall[MAX_PAUSES], cpu[MAX_PAUSES], sw[MAX_PAUSES];
	unsigned int k = n <= 100000 ? 400 : n <= 1000000 ? 100 : 30, i;
	struct world w;
	double dummy;
	int err;

	memset(row, 0, sizeof(*row));
	row->n = n;
	row->k = k;
	err = world_open(&w, n, o->backend);
	if (err) {
		row->err = err;
		return;
	}
	for (i = 0; i < 4; i++) {
		world_step(&w);
		checkpoint_once(&w, &dummy, &dummy, &dummy, &row->again);
	}
	for (i = 0; i < k && !row->err; i++) {
		world_step(&w);
		err = checkpoint_once(&w, &wall[i], &cpu[i], &sw[i], &row->again);
		if (err || w.err)
			row->err = err ? err : w.err;
	}
	row->checksum = w.checksum;
	row->backend = vgc_arena_backend(w.a);
	world_close(&w);
	if (row->err)
		return;
	row->max = bu_max(wall, k);
	row->p99 = bu_percentile(wall, k, 99);
	row->p50 = bu_median(wall, k);
	row->cpu_max = bu_max(cpu, k);
	row->cpu_p99 = bu_percentile(cpu, k, 99);
	row->cpu_p50 = bu_median(cpu, k);
	row->sweep_p50 = bu_median(sw, k);
}

/* ---- 3: baselines: CPython gc.collect(), Boehm GC_gcollect() ---------- */

static const char py_script[] =
	"import gc, sys, time\n"
	"n, reps = int(sys.argv[1]), int(sys.argv[2])\n"
	"gc.disable()\n"
	"objs = [[] for _ in range(n)]\n"
	"gc.collect()\n"
	"ts = []\n"
	"for _ in range(reps):\n"
	"    t0 = time.perf_counter_ns()\n"
	"    gc.collect()\n"
	"    ts.append(time.perf_counter_ns() - t0)\n"
	"ts.sort()\n"
	"tracked = sum(1 for o in objs if gc.is_tracked(o))\n"
	"print('PYGC', n, ts[len(ts) // 2], tracked, sys.version.split()[0])\n";

struct base_row {
	uint64_t n;
	double py_ns, boehm_ns;		/* median full collection, ns */
	uint64_t py_tracked, boehm_sum;
	char py_version[32];
	const char *py_err, *boehm_err;
};

static unsigned int base_reps(uint64_t n)
{
	return n >= 10000000 ? 3 : n >= 1000000 ? 5 : 11;
}

static void run_python(const struct sopts *o, struct base_row *b)
{
	char ns[32], rs[32], *out, *line;
	char *argv[] = { (char *)o->python, "-c", (char *)py_script, ns, rs, NULL };
	unsigned long long n, t, tracked;
	int st;

	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)b->n);
	snprintf(rs, sizeof(rs), "%u", base_reps(b->n));
	out = bu_run_capture(argv, NULL, 300, &st);
	line = out ? strstr(out, "PYGC ") : NULL;
	if (!line || sscanf(line, "PYGC %llu %llu %llu %31s", &n, &t, &tracked,
			    b->py_version) != 4) {
		b->py_err = "python run failed";
		b->py_ns = NAN;
	} else {
		b->py_ns = (double)t;
		b->py_tracked = tracked;
		if (tracked != b->n)
			b->py_err = "not every container tracked";
	}
	free(out);
}

static int boehm_child(uint64_t n, unsigned int reps)
{
	double t[64];
	uint64_t sum = 0, i;
	void **roots;
	unsigned int r;

	GC_INIT();
	roots = GC_MALLOC(n * sizeof(void *));
	if (!roots)
		return 1;
	for (i = 0; i < n; i++) {
		uint64_t *p = GC_MALLOC(OBJ_SIZE);

		if (!p)
			return 1;
		p[0] = i;
		roots[i] = p;
	}
	GC_gcollect();
	if (reps > 64)
		reps = 64;
	for (r = 0; r < reps; r++) {
		uint64_t t0 = bu_now_ns();

		GC_gcollect();
		t[r] = (double)(bu_now_ns() - t0);
	}
	/* every object survived the collections with its contents (the free
	 * list link would overwrite the first word of a collected one) */
	for (i = 0; i < n; i++)
		sum += *(uint64_t *)roots[i];
	printf("BOEHM %llu %.0f %llu %llu\n", (unsigned long long)n,
	       bu_median(t, reps), (unsigned long long)sum,
	       (unsigned long long)GC_get_memory_use());
	fflush(stdout);
	return 0;
}

static char self_exe[PATH_MAX];

static void run_boehm(struct base_row *b)
{
	char ns[32], rs[32], *out, *line;
	char *argv[] = { self_exe, "sweep", "--child-boehm", ns, "--reps", rs, NULL };
	unsigned long long n, sum, heap;
	double t;
	int st;

	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)b->n);
	snprintf(rs, sizeof(rs), "%u", base_reps(b->n));
	/* one marker thread: the VGC sweeps it is compared with use one CPU */
	out = bu_run_capture(argv, "GC_MARKERS=1", 300, &st);
	line = out ? strstr(out, "BOEHM ") : NULL;
	if (!line || sscanf(line, "BOEHM %llu %lf %llu %llu", &n, &t, &sum,
			    &heap) != 4) {
		b->boehm_err = "Boehm run failed";
		b->boehm_ns = NAN;
	} else {
		b->boehm_ns = t;
		b->boehm_sum = sum;
		/* live bytes too: a freed object could still hold its value */
		if (sum != b->n * (b->n - 1) / 2 || heap < b->n * OBJ_SIZE)
			b->boehm_err = "objects lost";
	}
	free(out);
}

/* ---- 4: kernel sweep vs library sweep on one arena -------------------- */

struct kl_row {
	uint64_t n;
	double kernel_ns, lib_ns[3];	/* library: [scalar], [avx2] */
	int err;
};

static int run_kernel_vs_lib(struct kl_row *rows, unsigned int nr,
			     char *why, size_t whylen)
{
	static const uint64_t ns[] = { 100000, 1000000 };
	unsigned int i, r;

	for (i = 0; i < nr && i < 2; i++) {
		double tk[21], tl[3][21], wall, cpu;
		int impl;
		uint64_t again = 0;
		struct world w;
		int err = world_open(&w, ns[i], VGC_BACKEND_MODULE);

		rows[i].n = ns[i];
		if (err) {
			snprintf(why, whylen, "module backend unavailable (%s): "
				 "no kernel sweep to compare; run inside the VM "
				 "(tools/vm/vgc-vm)", vgc_strerror(err));
			return -1;
		}
		if (vgc_arena_backend(w.a) != VGC_BACKEND_MODULE) {
			snprintf(why, whylen, "arena opened on the %s backend",
				 vgc_backend_name(vgc_arena_backend(w.a)));
			world_close(&w);
			return -1;
		}
		for (r = 0; r < 21 && !err; r++) {
			struct vgc_sweep_counts c;
			uint64_t t0;

			world_step(&w);
			err = checkpoint_once(&w, &wall, &cpu, &tk[r], &again);
			for (impl = VGC_SWEEP_SCALAR; impl <= VGC_SWEEP_AVX2; impl++) {
				world_step(&w);
				memset(&c, 0, sizeof(c));
				t0 = bu_now_ns();
				if (vgc_sweep_partition(w.a, 0, 0, 0, impl, &c))
					c.words = 0;
				tl[impl][r] = c.words ? (double)(bu_now_ns() - t0) : NAN;
				fold_counts(&w, &c);
			}
		}
		world_close(&w);
		rows[i].err = err;
		rows[i].kernel_ns = bu_median(tk, 21);
		for (impl = VGC_SWEEP_SCALAR; impl <= VGC_SWEEP_AVX2; impl++)
			rows[i].lib_ns[impl] = isnan(tl[impl][0]) ? NAN :
				bu_median(tl[impl], 21);
	}
	return 0;
}

/* ---- instruction counts (--callgrind) ---------------------------------- */

#define CG_ROUNDS	6

/* Child: CG_ROUNDS checkpoints over n objects with the mutator between. */
static int ckpt_child(uint64_t n)
{
	double wall, cpu, sweep;
	uint64_t again = 0;
	struct world w;
	unsigned int r;
	int err = world_open(&w, n, VGC_BACKEND_ANON);

	if (err)
		return 1;
	for (r = 0; r < CG_ROUNDS && !err; r++) {
		world_step(&w);
		err = checkpoint_once(&w, &wall, &cpu, &sweep, &again);
	}
	printf("CKPT %llu %u %016llx\n", (unsigned long long)n, r,
	       (unsigned long long)w.checksum);
	world_close(&w);
	return err ? 1 : 0;
}

struct cg_row {
	uint64_t n;
	double vgc[3];		/* instructions per object: [scalar], [avx2] */
	double py, boehm;
};

/* Runs argv under callgrind; Ir of the functions named by toggle, or NAN. */
static double cg_run(char **argv, const char *toggle, const char *env)
{
	char out[64], opt[96], tog[96], *v[24], *res;
	int k = 0, st;

	snprintf(out, sizeof(out), "/tmp/vgc-bench-cg.%d", (int)getpid());
	snprintf(opt, sizeof(opt), "--callgrind-out-file=%s", out);
	v[k++] = "valgrind";
	v[k++] = "--tool=callgrind";
	v[k++] = "-q";
	v[k++] = opt;
	if (toggle) {
		snprintf(tog, sizeof(tog), "--toggle-collect=%s", toggle);
		v[k++] = tog;
	}
	while (*argv && k < 23)
		v[k++] = *argv++;
	v[k] = NULL;
	res = bu_run_capture(v, env, 600, &st);
	free(res);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		unlink(out);
		return NAN;
	}
	return bu_callgrind_ir(out);
}

static void run_callgrind(const struct sopts *o, struct cg_row *c, uint64_t n)
{
	char ns[32], *ck[] = { self_exe, "sweep", "--child-ckpt", ns, NULL };
	char *bo[] = { self_exe, "sweep", "--child-boehm", ns, "--reps", "3", NULL };
	char *py6[] = { (char *)o->python, "-c", (char *)py_script, ns, "6", NULL };
	char *py1[] = { (char *)o->python, "-c", (char *)py_script, ns, "1", NULL };
	double a, b;

	c->n = n;
	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)n);
	c->vgc[1] = cg_run(ck, "vgc_checkpoint", "VGC_SWEEP=scalar") /
		    (double)(CG_ROUNDS * n);
	c->vgc[2] = bu_have_avx2() ?
		cg_run(ck, "vgc_checkpoint", "VGC_SWEEP=avx2") /
		(double)(CG_ROUNDS * n) : NAN;
	/* the child's collections: one untimed, then --reps */
	c->boehm = o->no_boehm ? NAN :
		cg_run(bo, "GC_gcollect", "GC_MARKERS=1") / (double)(4 * n);
	/* CPython: the difference of 6 and 1 timed collections */
	if (o->no_python) {
		c->py = NAN;
	} else {
		a = cg_run(py6, NULL, NULL);
		b = cg_run(py1, NULL, NULL);
		c->py = (a - b) / (double)(5 * n);
	}
}

/* ---- driver ----------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgc-bench sweep [--json] [--full] [--sizes N,N,...] [--reps R]\n"
"                       [--backend anon|module|auto] [--no-python] [--no-boehm]\n"
"  --full       throughput also at 1e8 objects (about 2 GB of memory), and\n"
"               the CPython/Boehm baselines at 1e7 too (about 1 GB, minutes)\n"
"  --sizes      throughput sizes (default 1e5,1e6,1e7)\n"
"  --pauses     pause/baseline sizes (default 1e5,1e6,1e7)\n"
"  --reps R     sweeps per throughput median at N < 1e7 (default 11)\n"
"  --backend    arena backend of the pause runs (default anon)\n"
"  --python P   the CPython 3.11 to compare with (default /usr/bin/python3.11)\n"
"  --callgrind  also count instructions per object (VGC, CPython, Boehm) at the\n"
"               first pause size, under valgrind (slow: about a minute at 1e5)\n");
}

static unsigned int parse_sizes(const char *s, uint64_t *out, unsigned int max)
{
	unsigned int k = 0;

	while (*s && k < max) {
		char *end;
		double v = strtod(s, &end);

		if (end == s || v < 64)
			return 0;
		out[k++] = (uint64_t)v;
		s = *end == ',' ? end + 1 : end;
	}
	return k;
}

static double pct(double a, double b)
{
	return 100.0 * a / b;
}

int bench_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "full", no_argument, NULL, 'f' },
		{ "sizes", required_argument, NULL, 's' },
		{ "pauses", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ "backend", required_argument, NULL, 'b' },
		{ "python", required_argument, NULL, 'P' },
		{ "no-python", no_argument, NULL, 'Y' },
		{ "no-boehm", no_argument, NULL, 'B' },
		{ "child-boehm", required_argument, NULL, 'C' },
		{ "child-ckpt", required_argument, NULL, 'K' },
		{ "callgrind", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sopts o = {
		.sizes = { 100000, 1000000, 10000000 }, .nr_sizes = 3,
		.pause_sizes = { 100000, 1000000, 10000000 }, .nr_pause_sizes = 3,
		.reps = 11, .backend = VGC_BACKEND_ANON,
		.python = "/usr/bin/python3.11", .base_max = 1000000,
	};
	struct tp_row tp[8];
	struct pause_row pr[8];
	struct base_row br[8];
	struct kl_row kl[2];
	char why[256] = "", hex[24];
	uint64_t checksum = BU_FNV_SEED, boehm_n = 0;
	int c, full = 0, kl_ok, fails = 0, callgrind = 0;
	struct cg_row cg = { 0 };
	unsigned int i;
	ssize_t len;
	struct bj j;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = 1; break;
		case 'f': full = 1; break;
		case 's':
			o.nr_sizes = parse_sizes(optarg, o.sizes, 7);
			if (!o.nr_sizes)
				goto bad;
			break;
		case 'p':
			o.nr_pause_sizes = parse_sizes(optarg, o.pause_sizes, 7);
			if (!o.nr_pause_sizes)
				goto bad;
			break;
		case 'r': o.reps = (unsigned int)atoi(optarg); break;
		case 'b':
			if (vgc_backend_parse(optarg, &o.backend))
				goto bad;
			break;
		case 'P': o.python = optarg; break;
		case 'Y': o.no_python = 1; break;
		case 'B': o.no_boehm = 1; break;
		case 'C': boehm_n = strtoull(optarg, NULL, 0); break;
		case 'K': return ckpt_child(strtoull(optarg, NULL, 0));
		case 'g': callgrind = 1; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (!o.reps || o.reps > 64)
		goto bad;
	if (boehm_n)
		return boehm_child(boehm_n, o.reps);
	if (full && o.nr_sizes < 8)
		o.sizes[o.nr_sizes++] = 100000000;
	if (full)
		o.base_max = UINT64_MAX;
	len = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (len <= 0)
		return 1;
	self_exe[len] = 0;

	if (!o.json)
		fprintf(stderr, "vgc-bench sweep: throughput...\n");
	for (i = 0; i < o.nr_sizes; i++) {
		run_throughput(&o, &tp[i], o.sizes[i]);
		fails += tp[i].err != 0;
	}
	if (!o.json)
		fprintf(stderr, "vgc-bench sweep: pauses and baselines...\n");
	for (i = 0; i < o.nr_pause_sizes; i++) {
		run_pauses(&o, &pr[i], o.pause_sizes[i]);
		fails += pr[i].err != 0;
		checksum = bu_mix(checksum, pr[i].checksum);
		memset(&br[i], 0, sizeof(br[i]));
		br[i].n = o.pause_sizes[i];
		br[i].py_ns = br[i].boehm_ns = NAN;
		if (br[i].n > o.base_max) {
			br[i].py_err = br[i].boehm_err = "skipped, --full runs it";
			continue;
		}
		if (!o.no_python)
			run_python(&o, &br[i]);
		if (!o.no_boehm)
			run_boehm(&br[i]);
		checksum = bu_mix(checksum, br[i].py_tracked);
		checksum = bu_mix(checksum, br[i].boehm_sum);
	}
	kl_ok = !run_kernel_vs_lib(kl, 2, why, sizeof(why));
	if (callgrind) {
		if (!o.json)
			fprintf(stderr, "vgc-bench sweep: instruction counts under callgrind...\n");
		run_callgrind(&o, &cg, o.pause_sizes[0]);
	}
	for (i = 0; i < o.nr_sizes; i++) {
		checksum = bu_mix(checksum, tp[i].live);
		checksum = bu_mix(checksum, tp[i].words);
	}
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)checksum);

	if (o.json) {
		bj_init(&j, stdout);
		bj_obj_begin(&j, NULL);
		bj_str(&j, "benchmark", "sweep");
		bj_str(&j, "sweep_default", vgc_sweep_impl_name(vgc_sweep_default()));
		bj_arr_begin(&j, "throughput");
		for (i = 0; i < o.nr_sizes; i++) {
			struct tp_row *t = &tp[i];

			bj_obj_begin(&j, NULL);
			bj_u64(&j, "objects", t->n);
			if (t->err)
				bj_str(&j, "error", vgc_strerror(t->err));
			bj_u64(&j, "live", t->live);
			bj_u64(&j, "words", t->words);
			bj_num(&j, "metadata_bytes", t->meta_bytes);
			bj_num(&j, "scalar_ns", t->ok[1] ? t->ns[1] : NAN);
			bj_num(&j, "scalar_cpu_ns", t->ok[1] ? t->cpu[1] : NAN);
			bj_num(&j, "scalar_mobj_s", t->ok[1] ? t->live / t->cpu[1] * 1e3 : NAN);
			bj_num(&j, "scalar_gb_s", t->ok[1] ? t->meta_bytes / t->cpu[1] : NAN);
			bj_num(&j, "avx2_ns", t->ok[2] ? t->ns[2] : NAN);
			bj_num(&j, "avx2_cpu_ns", t->ok[2] ? t->cpu[2] : NAN);
			bj_num(&j, "avx2_mobj_s", t->ok[2] ? t->live / t->cpu[2] * 1e3 : NAN);
			bj_num(&j, "avx2_gb_s", t->ok[2] ? t->meta_bytes / t->cpu[2] : NAN);
			bj_num(&j, "avx2_speedup", t->cpu[1] / t->cpu[2]);
			bj_num(&j, "table_only_scalar_cpu_ns", t->table_ns);
			bj_num(&j, "table_only_scalar_pct_of_rmw",
			       pct(t->meta_bytes / t->table_ns, t->bw_best));
			bj_num(&j, "bw_read_gb_s", t->bw_read);
			bj_num(&j, "bw_rmw_gb_s", t->bw_rmw);
			bj_num(&j, "bw_read_avx2_gb_s", t->bw_read_avx2);
			bj_num(&j, "bw_rmw_avx2_gb_s", t->bw_rmw_avx2);
			bj_num(&j, "best_sweep_pct_of_rmw",
			       pct(t->meta_bytes / fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]),
				   t->bw_best));
			bj_obj_end(&j);
		}
		bj_arr_end(&j);
		bj_arr_begin(&j, "pauses");
		for (i = 0; i < o.nr_pause_sizes; i++) {
			struct pause_row *p = &pr[i];

			bj_obj_begin(&j, NULL);
			bj_u64(&j, "objects", p->n);
			if (p->err)
				bj_str(&j, "error", vgc_strerror(p->err));
			bj_u64(&j, "checkpoints", p->k);
			bj_num(&j, "p50_ns", p->p50);
			bj_num(&j, "p99_ns", p->p99);
			bj_num(&j, "max_ns", p->max);
			bj_num(&j, "p99_over_p50", p->p99 / p->p50);
			bj_num(&j, "cpu_p50_ns", p->cpu_p50);
			bj_num(&j, "cpu_p99_ns", p->cpu_p99);
			bj_num(&j, "cpu_max_ns", p->cpu_max);
			bj_num(&j, "sweep_p50_ns", p->sweep_p50);
			bj_u64(&j, "eagain", p->again);
			bj_obj_end(&j);
		}
		bj_arr_end(&j);
		bj_arr_begin(&j, "per_object");
		for (i = 0; i < o.nr_pause_sizes; i++) {
			double v = pr[i].p50 / (double)br[i].n;

			bj_obj_begin(&j, NULL);
			bj_u64(&j, "objects", br[i].n);
			bj_num(&j, "vgc_ns_per_obj", v);
			bj_num(&j, "cpython_ns_per_obj", br[i].py_ns / (double)br[i].n);
			bj_num(&j, "boehm_ns_per_obj", br[i].boehm_ns / (double)br[i].n);
			bj_num(&j, "cpython_over_vgc", br[i].py_ns / (double)br[i].n / v);
			bj_num(&j, "boehm_over_vgc", br[i].boehm_ns / (double)br[i].n / v);
			bj_str(&j, "cpython_version", br[i].py_version);
			bj_obj_end(&j);
		}
		bj_arr_end(&j);
		bj_obj_begin(&j, "kernel_vs_library");
		if (!kl_ok) {
			bj_str(&j, "skipped", why);
		} else {
			for (i = 0; i < 2; i++) {
				char k[32];

				snprintf(k, sizeof(k), "%llu", (unsigned long long)kl[i].n);
				bj_obj_begin(&j, k);
				bj_num(&j, "kernel_sweep_ns", kl[i].kernel_ns);
				bj_num(&j, "library_scalar_ns", kl[i].lib_ns[1]);
				bj_num(&j, "library_avx2_ns", kl[i].lib_ns[2]);
				bj_num(&j, "kernel_over_library_scalar",
				       kl[i].kernel_ns / kl[i].lib_ns[1]);
				bj_num(&j, "kernel_over_library_avx2",
				       kl[i].kernel_ns / kl[i].lib_ns[2]);
				bj_obj_end(&j);
			}
		}
		bj_obj_end(&j);
		if (callgrind) {
			bj_obj_begin(&j, "instructions_per_object");
			bj_u64(&j, "objects", cg.n);
			bj_num(&j, "vgc_checkpoint_scalar", cg.vgc[1]);
			bj_num(&j, "vgc_checkpoint_avx2", cg.vgc[2]);
			bj_num(&j, "cpython_gc_collect", cg.py);
			bj_num(&j, "boehm_gc_gcollect", cg.boehm);
			bj_obj_end(&j);
		}
		bj_u64(&j, "failures", (uint64_t)fails);
		bj_str(&j, "checksum", hex);
		bj_obj_end(&j);
		bj_finish(&j);
		return fails ? 1 : 0;
	}

	printf("sweep throughput (library sweep, one partition, 16 B objects, 1 in 8 touched and\n"
	       "1 in 64 released per round; metadata = %d plane words read per 64 objects;\n"
	       "median of the sweeps: wall ms, and the sweeping thread's CPU ms that\n"
	       "Mobj/s and GB/s are computed from)\n\n", SWEPT_PLANES);
	printf("%10s %7s | %7s %7s %6s %6s | %7s %7s %6s %6s %5s | %6s %6s %6s %6s | %5s\n",
	       "objects", "meta", "scalar", "cpu", "Mobj", "GB/s", "avx2", "cpu", "Mobj",
	       "GB/s", "x", "read", "rmw", "rd256", "rmw256", "%rmw");
	printf("%10s %7s | %7s %7s %6s %6s | %7s %7s %6s %6s %5s | %6s %6s %6s %6s | %5s\n",
	       "", "MB", "ms", "ms", "/s", "", "ms", "ms", "/s", "", "", "GB/s", "GB/s",
	       "GB/s", "GB/s", "best");
	for (i = 0; i < o.nr_sizes; i++) {
		struct tp_row *t = &tp[i];
		double best = fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]);

		if (t->err) {
			printf("%10llu  error: %s\n", (unsigned long long)t->n,
			       vgc_strerror(t->err));
			continue;
		}
		printf("%10llu %7.2f | %7.3f %7.3f %6.0f %6.2f | %7.3f %7.3f %6.0f %6.2f %4.2fx | %6.2f %6.2f %6.2f %6.2f | %4.0f%%\n",
		       (unsigned long long)t->n, t->meta_bytes / 1e6,
		       t->ns[1] / 1e6, t->cpu[1] / 1e6, t->live / t->cpu[1] * 1e3,
		       t->meta_bytes / t->cpu[1],
		       t->ok[2] ? t->ns[2] / 1e6 : NAN, t->ok[2] ? t->cpu[2] / 1e6 : NAN,
		       t->ok[2] ? t->live / t->cpu[2] * 1e3 : NAN,
		       t->ok[2] ? t->meta_bytes / t->cpu[2] : NAN,
		       t->cpu[1] / t->cpu[2],
		       t->bw_read, t->bw_rmw, t->bw_read_avx2, t->bw_rmw_avx2,
		       pct(t->meta_bytes / best, t->bw_best));
	}
	printf("\nbandwidth: best pass (CPU time) of 64-bit scalar and 256-bit AVX2 streaming\n"
	       "loops over a buffer of the metadata's size; rmw counts the bytes once, as the\n"
	       "sweep's GB/s does; %%rmw: the faster sweep against the faster rmw loop.\n");
	for (i = 0; i < o.nr_sizes; i++) {
		struct tp_row *t = &tp[i];
		double best = fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]);
		double f = pct(t->meta_bytes / best, t->bw_best);
		double fr = pct(t->meta_bytes / best, fmax(t->bw_read, t->bw_read_avx2));

		if (!t->err)
			printf("target: sweep >= 70%% of RMW bandwidth at %llu objects: %.1f%% -> %s"
			       " (%.1f%% of read bandwidth)\n",
			       (unsigned long long)t->n, f, bu_met(f >= 70), fr);
	}
	printf("\nthe transition table alone: vgc_sweep_word() over a copy of the same plane\n"
	       "words, scalar, plain stores; no exchanges, counters or state histogram\n");
	for (i = 0; i < o.nr_sizes; i++) {
		struct tp_row *t = &tp[i];

		if (!t->err)
			printf("%10llu objects: %.3f ms CPU, %.2f GB/s, %.0f%% of RMW; the library's"
			       " faster sweep takes %.1fx its time\n",
			       (unsigned long long)t->n, t->table_ns / 1e6,
			       t->meta_bytes / t->table_ns,
			       pct(t->meta_bytes / t->table_ns, t->bw_best),
			       fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]) / t->table_ns);
	}
	printf("\npause per checkpoint (vgc_checkpoint, all zones, %s sweep, %s backend)\n\n",
	       pr[0].backend == VGC_BACKEND_MODULE ? "kernel" :
	       vgc_sweep_impl_name(vgc_sweep_default()),
	       vgc_backend_name(pr[0].backend));
	printf("%11s %5s | %10s %10s %10s %7s | %10s %10s %10s %7s\n", "objects", "ckpts",
	       "p50 us", "p99 us", "max us", "p99/p50", "cpu p50", "cpu p99", "cpu max", "p99/p50");
	for (i = 0; i < o.nr_pause_sizes; i++) {
		struct pause_row *p = &pr[i];

		if (p->err) {
			printf("%11llu  error: %s\n", (unsigned long long)p->n,
			       vgc_strerror(p->err));
			continue;
		}
		printf("%11llu %5u | %10.1f %10.1f %10.1f %7.2f | %10.1f %10.1f %10.1f %7.2f\n",
		       (unsigned long long)p->n, p->k, p->p50 / 1e3, p->p99 / 1e3,
		       p->max / 1e3, p->p99 / p->p50, p->cpu_p50 / 1e3,
		       p->cpu_p99 / 1e3, p->cpu_max / 1e3, p->cpu_p99 / p->cpu_p50);
	}
	printf("(wall: what the caller waited; cpu: the thread's CPU time, without the time\n"
	       " other processes on this shared machine took)\n");
	for (i = 0; i < o.nr_pause_sizes; i++)
		if (!pr[i].err)
			printf("target: p99/p50 <= 1.5 at %llu objects: wall %.2f -> %s, cpu %.2f -> %s\n",
			       (unsigned long long)pr[i].n, pr[i].p99 / pr[i].p50,
			       bu_met(pr[i].p99 / pr[i].p50 <= 1.5),
			       pr[i].cpu_p99 / pr[i].cpu_p50,
			       bu_met(pr[i].cpu_p99 / pr[i].cpu_p50 <= 1.5));

	printf("\ncost per object of a full collection (VGC: median checkpoint above)\n\n");
	printf("%11s | %10s | %12s %9s | %12s %9s\n", "objects", "VGC ns", "CPython ns",
	       "x VGC", "Boehm ns", "x VGC");
	for (i = 0; i < o.nr_pause_sizes; i++) {
		double v = pr[i].p50 / (double)br[i].n;
		double py = br[i].py_ns / (double)br[i].n;
		double bo = br[i].boehm_ns / (double)br[i].n;

		printf("%11llu | %10.4f | ", (unsigned long long)br[i].n, v);
		if (isnan(py))
			printf("%12s %9s | ", "-", "-");
		else
			printf("%12.3f %8.0fx | ", py, py / v);
		if (isnan(bo))
			printf("%12s %9s\n", "-", "-");
		else
			printf("%12.3f %8.0fx\n", bo, bo / v);
		if (br[i].py_err)
			printf("%11s   CPython: %s\n", "", br[i].py_err);
		if (br[i].boehm_err && (!br[i].py_err || strcmp(br[i].py_err, br[i].boehm_err)))
			printf("%11s   Boehm: %s\n", "", br[i].boehm_err);
	}
	printf("(CPython %s gc.collect() over N empty lists, timed inside Python; Boehm GC\n"
	       " GC_gcollect() over N reachable 16 B objects, one marker thread)\n",
	       br[0].py_version[0] ? br[0].py_version : "3.11");
	for (i = 0; i < o.nr_pause_sizes; i++) {
		double v = pr[i].p50 / (double)br[i].n;
		double rp = br[i].py_ns / (double)br[i].n / v;
		double rb = br[i].boehm_ns / (double)br[i].n / v;

		if (isnan(rp) && isnan(rb))
			continue;
		printf("target: >= 100x cheaper per object at %llu: CPython %.0fx -> %s, Boehm %.0fx -> %s\n",
		       (unsigned long long)br[i].n, rp, bu_met(rp >= 100), rb,
		       bu_met(rb >= 100));
	}

	printf("\nkernel sweep vs library sweep, same arena\n");
	if (!kl_ok) {
		printf("  skipped: %s\n", why);
	} else {
		for (i = 0; i < 2; i++)
			printf("%11llu objects: kernel/library time ratio %.2f (library scalar),"
			       " %.2f (library avx2)\n", (unsigned long long)kl[i].n,
			       kl[i].kernel_ns / kl[i].lib_ns[1],
			       kl[i].kernel_ns / kl[i].lib_ns[2]);
		printf("(kernel: the sweep time the checkpoint reports, swept on the\n"
		       " partition's CPU; library: vgc_sweep_partition in the caller)\n");
	}
	if (callgrind) {
		double v = fmin(cg.vgc[1], isnan(cg.vgc[2]) ? INFINITY : cg.vgc[2]);

		printf("\ninstructions per object of a full collection, %llu objects (callgrind:\n"
		       "exact and repeatable whatever the load)\n", (unsigned long long)cg.n);
		printf("  VGC checkpoint: %.2f (scalar sweep), %.2f (avx2 sweep)\n",
		       cg.vgc[1], cg.vgc[2]);
		printf("  CPython gc.collect(): %.1f (%.0fx VGC)\n", cg.py, cg.py / v);
		printf("  Boehm GC_gcollect(): %.1f (%.0fx VGC)\n", cg.boehm, cg.boehm / v);
	}
	printf("\nfailures: %d\nchecksum: %s\n", fails, hex);
	return fails ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
