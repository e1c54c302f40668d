// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench paper: the paper's PPE workloads (section 8) measured honestly.
 *
 * Every workload runs in five variants in the same process, on the same
 * inputs, with the same inner code: serial C, OpenMP schedule(static) at 1
 * and P threads, PPE at 1 and P partitions.  Each variant does the same
 * allocations (PPE from its partition's arena zone, the others with
 * malloc) and yields the same 64-bit checksum; a mismatch is reported and
 * fails the run.  Each attempt is timed around the whole parallel region,
 * dispatch and aggregation included; one untimed warm-up precedes them.
 * Attempts of the five variants interleave in a rotating order with a
 * 12 ms pause between runs (--quiesce-ms), so that no variant runs while
 * another one's idle threads still spin: libgomp spins about 5.7 ms, PPE
 * polls 10.1 ms by default (VGC_PPE_SPIN + VGC_PPE_YIELD).  PPE's checkpoints between attempts (reclaiming what
 * the attempt released) are not timed; malloc/free are inside the timing
 * for the others, as vgc_alloc/vgc_release are for PPE.
 *
 * The workloads (loop, rec, deep, matrix) are in paper_workloads.c, shared
 * with the PPE tests.
 *
 * Ratios use medians (robust to a noisy neighbour); means and standard
 * deviations are printed as in the paper's tables.
 *
 * The dispatch table (alone with --dispatch, after the workloads unless
 * --no-dispatch) times empty runs: PPE with 1 and P partitions (also with
 * VGC_PPE_F_NO_CPU_TIME, no thread CPU clock read around bodies, and with
 * VGC_PPE_F_NO_CALLER, partition 0 on its worker) against an empty OpenMP
 * "parallel for" of 1 and P threads, back to back, after 5 ms idle (libgomp
 * still spins then) and after 50 ms idle (everyone sleeps), with the CPU
 * time the whole process spent per run, gaps included, beside the wall
 * time: a waiting thread that spins shows there.
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vgcu.h>
#include <vgcu_ppe.h>
#include "bench.h"
#include "bench_plot.h"
#include "bench_util.h"
#include "paper_workloads.h"

#define PB_MAX_ATTEMPTS	32
#define PB_QUIESCE_MS	12	/* default --quiesce-ms */
#define PB_MAIN_STACK	(512UL << 20)	/* virtual; 400k deep frames touch ~64 MiB */

enum { V_SERIAL, V_OMP1, V_OMPP, V_PPE1, V_PPEP, V_NR };
static const char *const vname[V_NR] = {
	"serial", "omp1", "ompP", "ppe1", "ppeP"
};

static const char *const wname[PW_NR] = { "loop", "rec", "deep", "matrix" };
static const char *const wtitle[PW_NR] = {
	"loop iterations", "recursion steps",
	"logical steps (deep recursion)", "matrix"
};

struct pb_opts {
	int json;
	int full;
	int attempts;
	unsigned int parts;
	unsigned int wmask;
	int tables;
	int rebalance;
	uint64_t matrix_max;
	const char *plot;		/* --plot DIR */
	int quiesce_ms;			/* pause before every run */
	int dispatch_only;		/* --dispatch */
	int no_dispatch;		/* --no-dispatch */
};

/* ---- the OpenMP variants ------------------------------------------------ */

static int run_omp(const struct pw_work *wk, int threads, uint64_t *sum)
{
	uint64_t s = 0;
	int err = 0;
	int c;

	/* one static chunk per thread, as PPE's partitions */
#pragma omp parallel for schedule(static) num_threads(threads) \
	reduction(+:s) reduction(|:err)
	for (c = 0; c < threads; c++) {
		struct pw_alloc al = { 0 };
		uint64_t b = wk->n * c / threads, e = wk->n * (c + 1) / threads;

		s += pw_work_range(wk, b, e, &al);
		err |= al.err;
	}
	*sum = s;
	return err;
}

/*
 * The loop and matrix workloads also run as a plain "omp for" over the
 * indices (the form OpenMP users write); both split statically.
 */
static int run_omp_for(const struct pw_work *wk, int threads, uint64_t *sum)
{
	uint64_t s = 0;
	int64_t i, n = (int64_t)wk->n;
	int err = 0;

	if (wk->w == PW_LOOP) {
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+:s)
		for (i = 0; i < n; i += PW_LOOP_EVERY) {
			struct pw_alloc al = { 0 };
			int64_t e = i + PW_LOOP_EVERY < n ? i + PW_LOOP_EVERY : n;

			s += pw_loop_range((uint64_t)i, (uint64_t)e, &al);
		}
	} else {
#pragma omp parallel for schedule(static) num_threads(threads) \
	reduction(+:s) reduction(|:err)
		for (i = 0; i < n; i++) {
			struct pw_alloc al = { 0 };

			s += pw_matrix_rows(&wk->m, (uint64_t)i, (uint64_t)i + 1,
					    &al);
			err |= al.err;
		}
	}
	*sum = s;
	return err;
}

/* ---- measuring ----------------------------------------------------------- */

static double now_ms(void)
{
	return bu_now_ns() / 1e6;
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

struct pb_series {
	int n;
	double ms[PB_MAX_ATTEMPTS];
	long before[PB_MAX_ATTEMPTS], after[PB_MAX_ATTEMPTS];
	uint64_t arena_bytes[PB_MAX_ATTEMPTS];
	uint64_t sum[PB_MAX_ATTEMPTS];
	double cpu_ms[PB_MAX_ATTEMPTS];	/* CPU time of the whole process */
	double mean, sd, median, cpu_median;
	int err;
	char errmsg[512];
};

static double loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "re");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

/* CPU seconds this process got, user + system. */
static double cpu_seconds(void)
{
	return bu_process_cpu_ns() / 1e9;
}

/* Longer than PPE's worker spin and libgomp's default spin. */
static int quiesce_ms = PB_QUIESCE_MS;

static void quiesce(void)
{
	struct timespec ts = { quiesce_ms / 1000, (quiesce_ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void finish_series(struct pb_series *s)
{
	double v[PB_MAX_ATTEMPTS], acc = 0;
	int i;

	if (!s->n)
		return;
	for (i = 0; i < s->n; i++)
		acc += s->ms[i];
	s->mean = acc / s->n;
	acc = 0;
	for (i = 0; i < s->n; i++)
		acc += (s->ms[i] - s->mean) * (s->ms[i] - s->mean);
	s->sd = s->n > 1 ? sqrt(acc / (s->n - 1)) : 0;
	memcpy(v, s->ms, sizeof(double) * s->n);
	qsort(v, s->n, sizeof(double), cmp_double);
	s->median = s->n % 2 ? v[s->n / 2] :
		    (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	memcpy(v, s->cpu_ms, sizeof(double) * s->n);
	qsort(v, s->n, sizeof(double), cmp_double);
	s->cpu_median = s->n % 2 ? v[s->n / 2] :
			(v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

/*
 * Reclaims what a PPE attempt released (Deferred, Marked, Expired take a
 * checkpoint each; a few more absorb the Gen0 cadence), outside the timing.
 */
static void settle(struct vgc_ppe *ppe)
{
	struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };
	struct vgc_arena *a = vgc_ppe_arena(ppe);
	int i;

	if (!a)
		return;
	for (i = 0; i < 6; i++) {
		int r = vgc_checkpoint(a, &o, NULL);

		if (r < 0 && getenv("VGC_PAPER_DEBUG"))
			fprintf(stderr, "checkpoint: %s\n", vgc_strerror(r));
	}
	if (getenv("VGC_PAPER_DEBUG")) {
		struct vgc_usage u;

		if (!vgc_region_usage(a, VGC_ZONE_GREEN, 0, 0, &u))
			fprintf(stderr, "after settle: live %llu pending %llu spans_used %llu/%llu\n",
				(unsigned long long)u.live,
				(unsigned long long)u.pending,
				(unsigned long long)u.spans_used,
				(unsigned long long)u.spans);
	}
}

struct pb_ctx {
	const struct pb_opts *o;
	struct vgc_ppe *ppe1, *ppeP;
	struct pw_work wk;
	struct pb_series s[V_NR];
	int omp_for;		/* loop/matrix: omp as a plain indexed for */
};

static int run_variant(struct pb_ctx *c, int v, uint64_t *sum,
		       uint64_t *abytes, char *msg, size_t msglen)
{
	struct pw_alloc al = { 0 };
	int r = 0;

	*abytes = 0;
	switch (v) {
	case V_SERIAL:
		*sum = pw_work_range(&c->wk, 0, c->wk.n, &al);
		return al.err;
	case V_OMP1:
	case V_OMPP: {
		int t = v == V_OMP1 ? 1 : (int)c->o->parts;

		if (c->omp_for)
			return run_omp_for(&c->wk, t, sum);
		return run_omp(&c->wk, t, sum);
	}
	default: {
		struct vgc_ppe *ppe = v == V_PPE1 ? c->ppe1 : c->ppeP;
		struct vgc_ppe_stats st;
		struct vgc_ppe_job job = {
			.begin = 0, .end = c->wk.n, .body = pw_ppe_body,
			.combine = pw_ppe_combine, .arg = &c->wk,
			.result = sum, .result_size = sizeof(*sum),
			.stack_per_index = c->wk.w == PW_DEEP ? PW_DEEP_FRAME : 0,
		};
		unsigned int i;

		*sum = 0;
		r = vgc_ppe_run(ppe, &job);
		if (r < 0)
			snprintf(msg, msglen, "%s", vgc_ppe_errmsg());
		if (!vgc_ppe_last_stats(ppe, &st))
			for (i = 0; i < st.nr_partitions; i++)
				*abytes += st.part[i].mem_bytes;
		return r;
	}
	}
}

struct pb_thr {
	struct pb_ctx *c;
	int v, r;
	uint64_t sum, abytes;
	double ms;
	char msg[200];
};

static void *variant_thread(void *arg)
{
	struct pb_thr *t = arg;
	double t0 = now_ms();

	t->r = run_variant(t->c, t->v, &t->sum, &t->abytes, t->msg,
			   sizeof(t->msg));
	t->ms = now_ms() - t0;
	return NULL;
}

static int run_timed(struct pb_ctx *c, int v, int timed)
{
	struct pb_series *s = &c->s[v];
	struct pb_thr t = { .c = c, .v = v };
	long before = rss_kb();
	double cpu0 = cpu_seconds(), cpu;

	variant_thread(&t);
	cpu = (cpu_seconds() - cpu0) * 1e3;
	if (t.r < 0 && !s->err) {
		s->err = t.r;
		snprintf(s->errmsg, sizeof(s->errmsg), "%s%s%s",
			 vgc_strerror(t.r), t.msg[0] ? ": " : "", t.msg);
	}
	if (v == V_PPE1 || v == V_PPEP)
		settle(v == V_PPE1 ? c->ppe1 : c->ppeP);
	if (timed && s->n < PB_MAX_ATTEMPTS) {
		s->ms[s->n] = t.ms;
		s->before[s->n] = before;
		s->after[s->n] = rss_kb();
		s->arena_bytes[s->n] = t.abytes;
		s->sum[s->n] = t.sum;
		s->cpu_ms[s->n] = cpu;
		s->n++;
	}
	return t.r;
}

/* ---- sizes --------------------------------------------------------------- */

static const uint64_t sz_loop[] = { 100000, 1000000, 4000000 };
static const uint64_t sz_loop_full[] = { 100000, 200000, 400000, 1000000,
					 2000000, 4000000 };
static const uint64_t sz_rec[] = { 10000, 100000, 400000 };
static const uint64_t sz_rec_full[] = { 10000, 20000, 40000, 100000,
					200000, 400000 };
static const uint64_t sz_deep[] = { 40000, 160000, 400000 };
static const uint64_t sz_deep_full[] = { 40000, 80000, 100000, 160000,
					 200000, 400000 };
static const uint64_t sz_mat[] = { 256, 512 };
static const uint64_t sz_mat_full[] = { 256, 512, 1024, 2048, 4096 };

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

static void sizes_of(int w, int full, uint64_t mmax, const uint64_t **v,
		     size_t *n)
{
	switch (w) {
	case PW_LOOP:
		*v = full ? sz_loop_full : sz_loop;
		*n = full ? NELEM(sz_loop_full) : NELEM(sz_loop);
		break;
	case PW_REC:
		*v = full ? sz_rec_full : sz_rec;
		*n = full ? NELEM(sz_rec_full) : NELEM(sz_rec);
		break;
	case PW_DEEP:
		*v = full ? sz_deep_full : sz_deep;
		*n = full ? NELEM(sz_deep_full) : NELEM(sz_deep);
		break;
	default:
		*v = full ? sz_mat_full : sz_mat;
		*n = full ? NELEM(sz_mat_full) : NELEM(sz_mat);
		/* ascending: keep the prefix up to mmax, at least one size */
		while (mmax && *n > 1 && (*v)[*n - 1] > mmax)
			(*n)--;
		break;
	}
}

/* ---- printing ------------------------------------------------------------ */

static void print_table(const char *title, const struct pb_series *s)
{
	double dsum = 0;
	int i;

	printf("\n%s\n", title);
	printf("| Attempt | Time (ms) | Checksum | MemBefore (KB) | MemAfter (KB) | Δ (KB) | Arena (KB) |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (i = 0; i < s->n; i++) {
		printf("| %d | %.6f | %lld | %ld | %ld | %ld | %.1f |\n", i + 1,
		       s->ms[i], (long long)s->sum[i], s->before[i],
		       s->after[i], s->after[i] - s->before[i],
		       s->arena_bytes[i] / 1024.0);
		dsum += s->after[i] - s->before[i];
	}
	printf("| Mean | %.5f | | | | %.1f | |\n", s->mean,
	       s->n ? dsum / s->n : 0);
	printf("| StdDev | %.5f | | | | | |\n", s->sd);
	printf("| Median | %.5f | | | | | |\n", s->median);
}

static void size_label(int w, uint64_t n, char *buf, size_t len)
{
	if (w == PW_MATRIX)
		snprintf(buf, len, "%llux%llu", (unsigned long long)n,
			 (unsigned long long)n);
	else if (n % 1000000 == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(n / 1000000));
	else if (n % 1000 == 0)
		snprintf(buf, len, "%lluk", (unsigned long long)(n / 1000));
	else
		snprintf(buf, len, "%llu", (unsigned long long)n);
}

struct pb_result {
	int w;
	uint64_t n;
	int sums_ok;
	uint64_t sum;
	double med[V_NR], mean[V_NR], sd[V_NR], cpu[V_NR];
	double speedup, ppe_omp1, ppe_ompP, ppe1_serial;
	int err;
};

static void json_series(const struct pb_series *s, const char *name, int last)
{
	int i;

	printf("        \"%s\": {\"mean_ms\": %.6f, \"sd_ms\": %.6f, \"median_ms\": %.6f, \"times_ms\": [",
	       name, s->mean, s->sd, s->median);
	for (i = 0; i < s->n; i++)
		printf("%s%.6f", i ? ", " : "", s->ms[i]);
	printf("], \"checksums\": [");
	for (i = 0; i < s->n; i++)
		printf("%s%lld", i ? ", " : "", (long long)s->sum[i]);
	printf("], \"mem_before_kb\": [");
	for (i = 0; i < s->n; i++)
		printf("%s%ld", i ? ", " : "", s->before[i]);
	printf("], \"mem_after_kb\": [");
	for (i = 0; i < s->n; i++)
		printf("%s%ld", i ? ", " : "", s->after[i]);
	printf("], \"arena_bytes\": [");
	for (i = 0; i < s->n; i++)
		printf("%s%llu", i ? ", " : "",
		       (unsigned long long)s->arena_bytes[i]);
	printf("], \"cpu_ms\": [");
	for (i = 0; i < s->n; i++)
		printf("%s%.6f", i ? ", " : "", s->cpu_ms[i]);
	printf("], \"error\": %d}%s\n", s->err, last ? "" : ",");
}

/* ---- empty dispatch ------------------------------------------------------ */

enum { D_OMP1, D_PPE1, D_PPE1_NT, D_PPE1_NC, D_OMPP, D_PPEP, D_PPEP_NT,
       D_PPEP_NC, D_NR };
enum { G_B2B, G_5MS, G_50MS, G_NR };

static const long dgap_ns[G_NR] = { 0, 5000000, 50000000 };
static const int druns[G_NR] = { 2000, 100, 20 };
static const char *const dgap_name[G_NR] = {
	"back to back", "after 5 ms idle", "after 50 ms idle"
};

struct pd_cell {
	double med_us, p90_us, cpu_us;
	int err;
};

struct pd_ctx {
	unsigned int parts;
	struct vgc_ppe *pool[D_NR];	/* PPE variants only */
	struct pd_cell cell[D_NR][G_NR];
	double load_start, load_end;
};

static int empty_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		      void *result, void *arg)
{
	(void)part;
	(void)b;
	(void)e;
	(void)result;
	(void)arg;
	return 0;
}

static void __attribute__((noinline)) omp_empty(int threads)
{
	int i;

#pragma omp parallel for schedule(static) num_threads(threads)
	for (i = 0; i < threads; i++)
		__asm__ __volatile__("" : : "r"(i) : "memory");
}

static int dispatch_once(struct pd_ctx *d, int v)
{
	struct vgc_ppe_job job = { .begin = 0, .body = empty_body };

	switch (v) {
	case D_OMP1:
		omp_empty(1);
		return 0;
	case D_OMPP:
		omp_empty((int)d->parts);
		return 0;
	default:
		job.end = vgc_ppe_partitions(d->pool[v]);
		return vgc_ppe_run(d->pool[v], &job);
	}
}

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void pd_measure(struct pd_ctx *d, int v, int g)
{
	struct pd_cell *c = &d->cell[v][g];
	double v_us[2000] = { 0 }, cpu0;
	int n = druns[g], i, r;

	for (i = 0; i < 20; i++)	/* warm: threads exist, code is hot */
		dispatch_once(d, v);
	cpu0 = (double)bu_process_cpu_ns();
	for (i = 0; i < n; i++) {
		uint64_t t0;

		if (dgap_ns[g])
			sleep_ns(dgap_ns[g]);
		t0 = bu_now_ns();
		r = dispatch_once(d, v);
		v_us[i] = (double)(bu_now_ns() - t0) / 1e3;
		if (r < 0 && !c->err)
			c->err = r;
	}
	c->cpu_us = ((double)bu_process_cpu_ns() - cpu0) / 1e3 / n;
	qsort(v_us, n, sizeof(double), cmp_double);
	c->med_us = n % 2 ? v_us[n / 2] : (v_us[n / 2 - 1] + v_us[n / 2]) / 2;
	c->p90_us = v_us[n * 9 / 10];
}

static const char *dname(const struct pd_ctx *d, int v, char *buf, size_t len)
{
	switch (v) {
	case D_OMP1:
		return "OpenMP parallel for, 1 thread";
	case D_OMPP:
		snprintf(buf, len, "OpenMP parallel for, %u threads", d->parts);
		return buf;
	case D_PPE1:
		return "PPE(1)";
	case D_PPEP:
		snprintf(buf, len, "PPE(%u)", d->parts);
		return buf;
	case D_PPE1_NT:
		return "PPE(1), VGC_PPE_F_NO_CPU_TIME";
	case D_PPEP_NT:
		snprintf(buf, len, "PPE(%u), VGC_PPE_F_NO_CPU_TIME", d->parts);
		return buf;
	case D_PPE1_NC:
		return "PPE(1), VGC_PPE_F_NO_CALLER";
	default:
		snprintf(buf, len, "PPE(%u), VGC_PPE_F_NO_CALLER", d->parts);
		return buf;
	}
}

/*
 * Every variant in turn, each gap in turn; 30 ms between variants let the
 * previous one's waiting threads (libgomp spins about 5.7 ms, PPE polls
 * VGC_PPE_SPIN + VGC_PPE_YIELD, 10.1 ms by default) fall asleep first.
 */
static int run_dispatch(unsigned int parts, int json)
{
	struct pd_ctx *d = calloc(1, sizeof(*d));
	struct vgc_ppe_config pc;
	char b1[64];
	int v, g, r = 0;

	if (!d)
		return -ENOMEM;
	d->parts = parts;
	for (v = 0; v < D_NR && !r; v++) {
		if (v == D_OMP1 || v == D_OMPP)
			continue;
		vgc_ppe_config_init(&pc);
		pc.nr_partitions = v < D_OMPP ? 1 : parts;
		pc.flags = VGC_PPE_F_CLUSTER |
			   (v == D_PPE1_NC || v == D_PPEP_NC ?
			    VGC_PPE_F_NO_CALLER : 0) |
			   (v == D_PPE1_NT || v == D_PPEP_NT ?
			    VGC_PPE_F_NO_CPU_TIME : 0);
		r = vgc_ppe_create(&pc, &d->pool[v]);
		if (r < 0)
			fprintf(stderr, "paper: dispatch pool: %s (%s)\n",
				vgc_strerror(r), vgc_ppe_errmsg());
	}
	d->load_start = loadavg();
	for (g = 0; g < G_NR && !r; g++)
		for (v = 0; v < D_NR; v++) {
			sleep_ns(30000000);
			pd_measure(d, v, g);
		}
	d->load_end = loadavg();
	if (r < 0) {
		/* nothing measured */
	} else if (json) {
		printf("  \"dispatch\": {\"partitions\": %u, \"loadavg_start\": %.2f, \"loadavg_end\": %.2f, \"variants\": [\n",
		       parts, d->load_start, d->load_end);
		for (v = 0; v < D_NR; v++) {
			printf("    {\"variant\": \"%s\"", dname(d, v, b1, sizeof(b1)));
			for (g = 0; g < G_NR; g++)
				printf(", \"%s\": {\"median_us\": %.3f, \"p90_us\": %.3f, \"cpu_us\": %.3f, \"error\": %d}",
				       g == G_B2B ? "back_to_back" :
				       g == G_5MS ? "idle_5ms" : "idle_50ms",
				       d->cell[v][g].med_us, d->cell[v][g].p90_us,
				       d->cell[v][g].cpu_us, d->cell[v][g].err);
			printf("}%s\n", v == D_NR - 1 ? "" : ",");
		}
		printf("  ]},\n");
	} else {
		printf("\nEmpty dispatch: median wall time per run in us (p90), and the CPU time of the whole process per run\n");
		printf("(every thread, waiting and the idle gap included); %d / %d / %d runs\n",
		       druns[G_B2B], druns[G_5MS], druns[G_50MS]);
		printf("| variant |");
		for (g = 0; g < G_NR; g++)
			printf(" %s | CPU |", dgap_name[g]);
		printf("\n|---|---|---|---|---|---|---|\n");
		for (v = 0; v < D_NR; v++) {
			printf("| %s |", dname(d, v, b1, sizeof(b1)));
			for (g = 0; g < G_NR; g++) {
				const struct pd_cell *c = &d->cell[v][g];

				if (c->err)
					printf(" ERROR %s | |", vgc_strerror(c->err));
				else
					printf(" %.2f (%.2f) | %.2f |", c->med_us,
					       c->p90_us, c->cpu_us);
			}
			printf("\n");
		}
		printf("| PPE(1) / OpenMP(1) |");
		for (g = 0; g < G_NR; g++)
			printf(" %.3gx %s | |",
			       d->cell[D_PPE1][g].med_us / d->cell[D_OMP1][g].med_us,
			       d->cell[D_PPE1][g].med_us <= d->cell[D_OMP1][g].med_us ?
			       "met" : "NOT MET");
		printf("\n| PPE(%u) / OpenMP(%u) |", parts, parts);
		for (g = 0; g < G_NR; g++)
			printf(" %.3gx %s | |",
			       d->cell[D_PPEP][g].med_us / d->cell[D_OMPP][g].med_us,
			       d->cell[D_PPEP][g].med_us <= d->cell[D_OMPP][g].med_us ?
			       "met" : "NOT MET");
		printf("\n| PPE(1) NO_CPU_TIME / OpenMP(1) |");
		for (g = 0; g < G_NR; g++)
			printf(" %.3gx %s | |",
			       d->cell[D_PPE1_NT][g].med_us / d->cell[D_OMP1][g].med_us,
			       d->cell[D_PPE1_NT][g].med_us <= d->cell[D_OMP1][g].med_us ?
			       "met" : "NOT MET");
		printf("\n| PPE(%u) NO_CPU_TIME / OpenMP(%u) |", parts, parts);
		for (g = 0; g < G_NR; g++)
			printf(" %.3gx %s | |",
			       d->cell[D_PPEP_NT][g].med_us / d->cell[D_OMPP][g].med_us,
			       d->cell[D_PPEP_NT][g].med_us <= d->cell[D_OMPP][g].med_us ?
			       "met" : "NOT MET");
		printf("\nTarget: an empty PPE run costs no more than OpenMP's; VGC_PPE_SPIN %s us, VGC_PPE_YIELD %s us (unset: 100, 10000)\n",
		       getenv("VGC_PPE_SPIN") ? getenv("VGC_PPE_SPIN") : "unset",
		       getenv("VGC_PPE_YIELD") ? getenv("VGC_PPE_YIELD") : "unset");
		printf("load average %.2f at start, %.2f at end, on %ld online CPUs\n",
		       d->load_start, d->load_end, sysconf(_SC_NPROCESSORS_ONLN));
	}
	for (v = 0; v < D_NR; v++)
		vgc_ppe_destroy(d->pool[v]);
	free(d);
	return r;
}

/* ---- driver -------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: vgc-bench paper [--json] [--full] [--attempts N] [-P N]\n"
		"                       [--workload loop|rec|deep|matrix]... [--tables]\n"
		"                       [--rebalance] [--omp-for] [--matrix-max N]\n"
		"                       [--quiesce-ms N] [--dispatch | --no-dispatch]\n"
		"  --full        the paper's whole sweep (matrix up to 4096: minutes)\n"
		"  --matrix-max N  leave out matrices above N x N\n"
		"  -P N          partitions / OpenMP threads of the parallel variants (default 2)\n"
		"  --tables      paper-format tables for serial and OpenMP too\n"
		"  --rebalance   let PPE move boundaries between attempts\n"
		"  --omp-for     loop and matrix as plain 'omp for' over indices\n"
		"  --plot DIR    also write an SVG chart (gnuplot) of the speedups to DIR\n"
		"  --quiesce-ms N  idle time before every timed run (default 12)\n"
		"  --dispatch    only the empty-dispatch table (PPE against OpenMP)\n"
		"  --no-dispatch leave the empty-dispatch table out\n"
		"  env VGC_PPE_SPIN, VGC_PPE_YIELD: PPE's pause and yield phases in us\n");
}

/* --workload NAME, repeatable: adds NAME to the mask. */
static int opt_workload(const char *arg, void *dst)
{
	int w;

	for (w = 0; w < PW_NR; w++)
		if (!strcmp(arg, wname[w])) {
			*(unsigned int *)dst |= 1U << w;
			return 0;
		}
	return -1;
}

static int parse(int argc, char **argv, struct pb_opts *o, int *omp_for)
{
	const struct bu_opt opts[] = {
		BU_FLAG("json", &o->json),
		BU_FLAG("full", &o->full),
		BU_FLAG("tables", &o->tables),
		BU_FLAG("rebalance", &o->rebalance),
		BU_FLAG("omp-for", omp_for),
		BU_FLAG("dispatch", &o->dispatch_only),
		BU_INT("quiesce-ms", &o->quiesce_ms, 0, 1000),
		BU_FLAG("no-dispatch", &o->no_dispatch),
		BU_U64("matrix-max", &o->matrix_max, 0, 0),
		BU_STR("plot", &o->plot),
		BU_INT("attempts", &o->attempts, 1, PB_MAX_ATTEMPTS),
		{ .name = "partitions", .short_name = 'P', .type = BU_OPT_UINT,
		  .dst = &o->parts, .min = 1, .max = VGC_MAX_PARTITIONS },
		BU_FN("workload", &o->wmask, opt_workload,
		      "loop, rec, deep or matrix"),
		BU_OPT_END
	};

	memset(o, 0, sizeof(*o));
	o->attempts = 5;
	o->parts = 2;
	o->quiesce_ms = PB_QUIESCE_MS;
	switch (bu_parse_opts("paper", argc, argv, opts, NULL, 0, NULL)) {
	case 0:
		break;
	case BU_OPTS_HELP:
		usage();
		return 1;
	default:
		usage();
		return -1;
	}
	if (!o->wmask)
		o->wmask = (1U << PW_NR) - 1;
	return 0;
}

/*
 * libgomp reads OMP_STACKSIZE when it loads: re-execute once with stacks
 * big enough for the deep recursion baseline.
 */
static void ensure_omp_stack(int argc, char **argv)
{
	char **nargv;
	int i;

	if (getenv("OMP_STACKSIZE"))
		return;
	nargv = calloc(argc + 2, sizeof(*nargv));
	if (!nargv)
		return;
	nargv[0] = (char *)"vgc-bench";
	for (i = 0; i < argc; i++)
		nargv[i + 1] = argv[i];
	setenv("OMP_STACKSIZE", "512M", 1);
	execv("/proc/self/exe", nargv);
	free(nargv);	/* exec failed: deep OpenMP may then fail loudly */
}

static int open_pool(unsigned int parts, int rebalance, uint64_t green,
		     struct vgc_ppe **out)
{
	struct vgc_ppe_config pc;
	struct vgc_config ac;
	int r;

	vgc_config_init(&ac);
	ac.zone_bytes[VGC_ZONE_GREEN] = green;
	vgc_ppe_config_init(&pc);
	pc.nr_partitions = parts;
	pc.flags = VGC_PPE_F_CLUSTER | (rebalance ? VGC_PPE_F_REBALANCE : 0);
	pc.arena_config = &ac;
	r = vgc_ppe_create(&pc, out);
	if (r < 0)
		fprintf(stderr, "paper: PPE pool of %u: %s (%s)\n", parts,
			vgc_strerror(r), vgc_ppe_errmsg());
	return r;
}

static void plot_paper(const struct pb_opts *o, const struct pb_result *res,
		       unsigned int nres);

static int paper_main(int argc, char **argv)
{
	struct pb_result res[64];
	struct pb_ctx *c;
	struct pb_opts o;
	struct vgc_ppe_topology topo;
	unsigned int nres = 0, i;
	uint64_t max_mat = 0, green;
	int w, omp_for = 0, r, bad = 0, met = 0, targets = 0;
	double t_start = now_ms(), cpu_start = cpu_seconds();
	double load_start = loadavg(), load_end;

	r = parse(argc, argv, &o, &omp_for);
	if (r)
		return r < 0 ? 2 : 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	c->o = &o;
	c->omp_for = omp_for;
	quiesce_ms = o.quiesce_ms;
	omp_set_dynamic(0);
	if (o.dispatch_only) {
		if (o.json)
			printf("{\n  \"bench\": \"paper\",\n");
		r = run_dispatch(o.parts, o.json);
		if (o.json)
			printf("  \"done\": true\n}\n");
		free(c);
		return r < 0 ? 1 : 0;
	}
	vgc_ppe_topology(&topo);
	if (o.wmask & (1U << PW_MATRIX)) {
		const uint64_t *v;
		size_t n;

		sizes_of(PW_MATRIX, o.full, o.matrix_max, &v, &n);
		max_mat = v[n - 1];
	}
	/*
	 * Every C row of the biggest matrix is live or pending within a run:
	 * Gen0 (half the zone) holds them with room for the allocator's
	 * carving of fresh spans before it reuses reclaimed ones.
	 */
	green = max_mat * max_mat * sizeof(double);
	green = (green * 4 < green * 2 + (64ULL << 20) ? green * 4 :
		 green * 2 + (64ULL << 20)) + (8ULL << 20);
	green = (green + VGC_SPAN_SIZE - 1) & ~(uint64_t)(VGC_SPAN_SIZE - 1);
	if (open_pool(1, o.rebalance, green, &c->ppe1) < 0 ||
	    open_pool(o.parts, o.rebalance, green, &c->ppeP) < 0)
		return 1;

	if (!o.json) {
		printf("vgc-bench paper: PPE workloads, serial C, OpenMP schedule(static) and PPE\n");
		printf("CPUs allowed %u, cores %u, nodes %u (memory nodes %u); P = %u (ratio T/C %u); arena backend %s\n",
		       topo.nr_cpus, topo.nr_cores, topo.nr_nodes,
		       topo.nr_mem_nodes, o.parts, vgc_ppe_ratio(c->ppeP),
		       vgc_ppe_arena(c->ppeP) ?
		       vgc_backend_name(vgc_arena_backend(vgc_ppe_arena(c->ppeP))) :
		       "none");
		printf("%d attempts after one warm-up, %d ms idle before each; ratios from medians; Time = whole run incl. dispatch and aggregation\n",
		       o.attempts, o.quiesce_ms);
	} else {
		printf("{\n  \"bench\": \"paper\",\n  \"partitions\": %u,\n  \"attempts\": %d,\n  \"cpus\": %u,\n  \"cores\": %u,\n  \"nodes\": %u,\n  \"backend\": \"%s\",\n  \"runs\": [\n",
		       o.parts, o.attempts, topo.nr_cpus, topo.nr_cores,
		       topo.nr_nodes,
		       vgc_ppe_arena(c->ppeP) ?
		       vgc_backend_name(vgc_arena_backend(vgc_ppe_arena(c->ppeP))) :
		       "none");
	}

	for (w = 0; w < PW_NR; w++) {
		const uint64_t *sizes;
		size_t ns, k;

		if (!(o.wmask & (1U << w)))
			continue;
		sizes_of(w, o.full, o.matrix_max, &sizes, &ns);
		for (k = 0; k < ns && nres < NELEM(res); k++) {
			struct pb_result *rs = &res[nres++];
			char lbl[32], title[160];
			int v, a;

			memset(&c->s, 0, sizeof(c->s));
			c->wk.w = w;
			c->wk.n = sizes[k];
			if (w == PW_MATRIX &&
			    pw_matrix_init(&c->wk.m, (unsigned int)sizes[k]))
				return 1;
			vgc_ppe_reset_split(c->ppe1);
			vgc_ppe_reset_split(c->ppeP);
			for (v = 0; v < V_NR; v++) {
				quiesce();
				run_timed(c, v, 0);
			}
			/*
			 * Interleave variants so noise hits them alike, rotate
			 * their order, and let spinning threads (PPE's and
			 * libgomp's) fall asleep before the next one starts.
			 */
			for (a = 0; a < o.attempts; a++)
				for (v = 0; v < V_NR; v++) {
					quiesce();
					run_timed(c, (v + a) % V_NR, 1);
				}
			memset(rs, 0, sizeof(*rs));
			rs->w = w;
			rs->n = sizes[k];
			rs->sums_ok = 1;
			rs->sum = c->s[V_SERIAL].sum[0];
			for (v = 0; v < V_NR; v++) {
				finish_series(&c->s[v]);
				rs->med[v] = c->s[v].median;
				rs->mean[v] = c->s[v].mean;
				rs->sd[v] = c->s[v].sd;
				rs->cpu[v] = c->s[v].cpu_median;
				if (c->s[v].err)
					rs->err = c->s[v].err;
				for (a = 0; a < c->s[v].n; a++)
					if (c->s[v].sum[a] != rs->sum)
						rs->sums_ok = 0;
			}
			if (rs->err)
				rs->sums_ok = 0;
			rs->speedup = rs->med[V_PPE1] / rs->med[V_PPEP];
			rs->ppe_omp1 = rs->med[V_PPE1] / rs->med[V_OMP1];
			rs->ppe_ompP = rs->med[V_PPEP] / rs->med[V_OMPP];
			rs->ppe1_serial = rs->med[V_PPE1] / rs->med[V_SERIAL];
			if (!rs->sums_ok)
				bad++;
			size_label(w, sizes[k], lbl, sizeof(lbl));
			if (o.json) {
				printf("    {\"workload\": \"%s\", \"size\": %llu, \"checksum\": %lld, \"checksums_ok\": %s,\n",
				       wname[w], (unsigned long long)sizes[k],
				       (long long)rs->sum,
				       rs->sums_ok ? "true" : "false");
				printf("      \"ratios\": {\"ppeP_speedup\": %.4f, \"ppe1_over_omp1\": %.4f, \"ppeP_over_ompP\": %.4f, \"ppe1_over_serial\": %.4f},\n",
				       rs->speedup, rs->ppe_omp1, rs->ppe_ompP,
				       rs->ppe1_serial);
				printf("      \"variants\": {\n");
				for (v = 0; v < V_NR; v++)
					json_series(&c->s[v], vname[v],
						    v == V_NR - 1);
				printf("      }}%s\n", "");
				printf("    ,\n");
			} else {
				for (v = 0; v < V_NR; v++) {
					if (!o.tables && v != V_PPE1 &&
					    v != V_PPEP)
						continue;
					snprintf(title, sizeof(title),
						 "%s : %s %s %s", vname[v],
						 v == V_PPEP || v == V_OMPP ?
						 "parallel" : "single", lbl,
						 wtitle[w]);
					if (v == V_PPE1)
						snprintf(title, sizeof(title),
							 "PPE single core : 1 partition %s %s",
							 lbl, wtitle[w]);
					else if (v == V_PPEP)
						snprintf(title, sizeof(title),
							 "PPE %u cores : %u partitions %s %s",
							 o.parts, o.parts, lbl,
							 wtitle[w]);
					print_table(title, &c->s[v]);
				}
				for (v = 0; v < V_NR; v++)
					if (c->s[v].err)
						printf("ERROR %s: %s\n", vname[v],
						       c->s[v].errmsg);
				printf("checksum %lld across serial/omp1/ompP/ppe1/ppeP x %d attempts: %s\n",
				       (long long)rs->sum, o.attempts,
				       rs->sums_ok ? "OK" : "MISMATCH");
			}
			if (w == PW_MATRIX)
				pw_matrix_free(&c->wk.m);
		}
	}

	if (!o.json) {
		printf("\nSummary (median ms; P = %u)\n", o.parts);
		printf("| workload | size | serial | omp1 | omp%u | ppe1 | ppe%u | PPE(%u)/PPE(1) speedup | PPE(1)/OMP(1) | PPE(%u)/OMP(%u) | PPE(1)/serial | checksum |\n",
		       o.parts, o.parts, o.parts, o.parts, o.parts);
		printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	}
	for (i = 0; i < nres; i++) {
		struct pb_result *rs = &res[i];
		char lbl[32];
		int sp_target = (rs->w == PW_LOOP || rs->w == PW_MATRIX) &&
				o.parts >= 2;
		int ok_sp = rs->speedup >= 1.9, ok_o1 = rs->ppe_omp1 <= 1.05,
		    ok_oP = rs->ppe_ompP <= 1.05, ok_s = rs->ppe1_serial <= 1.05;

		targets += 3 + sp_target;
		met += ok_o1 + ok_oP + ok_s + (sp_target && ok_sp);
		if (o.json)
			continue;
		size_label(rs->w, rs->n, lbl, sizeof(lbl));
		printf("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.2fx %s | %.3f %s | %.3f %s | %.3f %s | %s |\n",
		       wname[rs->w], lbl, rs->med[V_SERIAL], rs->med[V_OMP1],
		       rs->med[V_OMPP], rs->med[V_PPE1], rs->med[V_PPEP],
		       rs->speedup,
		       sp_target ? (ok_sp ? "met" : "NOT MET") : "(no target)",
		       rs->ppe_omp1, ok_o1 ? "met" : "NOT MET",
		       rs->ppe_ompP, ok_oP ? "met" : "NOT MET",
		       rs->ppe1_serial, ok_s ? "met" : "NOT MET",
		       rs->sums_ok ? "OK" : "MISMATCH");
	}
	if (!o.json) {
		printf("\nCPU time of the process per run (median ms): work plus overhead, unaffected by waiting for a CPU\n");
		printf("| workload | size | serial | omp1 | omp%u | ppe1 | ppe%u | PPE(1)/serial | PPE(%u)/PPE(1) | PPE(%u)/OMP(%u) |\n",
		       o.parts, o.parts, o.parts, o.parts, o.parts);
		printf("|---|---|---|---|---|---|---|---|---|---|\n");
		for (i = 0; i < nres; i++) {
			struct pb_result *rs = &res[i];
			char lbl[32];

			size_label(rs->w, rs->n, lbl, sizeof(lbl));
			printf("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
			       wname[rs->w], lbl, rs->cpu[V_SERIAL],
			       rs->cpu[V_OMP1], rs->cpu[V_OMPP],
			       rs->cpu[V_PPE1], rs->cpu[V_PPEP],
			       rs->cpu[V_PPE1] / rs->cpu[V_SERIAL],
			       rs->cpu[V_PPEP] / rs->cpu[V_PPE1],
			       rs->cpu[V_PPEP] / rs->cpu[V_OMPP]);
		}
	}
	if (!o.json && !o.no_dispatch)
		run_dispatch(o.parts, 0);
	load_end = loadavg();
	if (o.json) {
		printf("    {\"summary\": {\"targets\": %d, \"met\": %d, \"checksum_mismatches\": %d, \"seconds\": %.1f,\n",
		       targets, met, bad, (now_ms() - t_start) / 1e3);
		printf("      \"cpu_seconds\": %.2f, \"loadavg_start\": %.2f, \"loadavg_end\": %.2f, \"contended\": %s,\n",
		       cpu_seconds() - cpu_start, load_start, load_end,
		       load_end > topo.nr_cpus || load_start > topo.nr_cpus ?
		       "true" : "false");
		printf("      \"target_defs\": {\"ppeP_speedup\": \">= 1.9 (loop, matrix)\", \"ppe_over_omp\": \"<= 1.05\", \"ppe1_over_serial\": \"<= 1.05\"}}}\n  ]\n}\n");
	} else {
		printf("\nTargets: PPE(%u)/PPE(1) >= 1.9x on loop and matrix; PPE <= 1.05x OpenMP time; PPE(1) <= 1.05x serial\n",
		       o.parts);
		printf("targets met %d of %d; checksum mismatches %d; %.1f s wall, %.1f s CPU\n",
		       met, targets, bad, (now_ms() - t_start) / 1e3,
		       cpu_seconds() - cpu_start);
		printf("load average %.2f at start, %.2f at end, on %u allowed CPUs%s\n",
		       load_start, load_end, topo.nr_cpus,
		       load_end > topo.nr_cpus || load_start > topo.nr_cpus ?
		       ": the machine was oversubscribed, timings and ratios are contended" :
		       "");
	}
	plot_paper(&o, res, nres);
	vgc_ppe_destroy(c->ppe1);
	vgc_ppe_destroy(c->ppeP);
	free(c);
	return bad ? 1 : 0;
}

/* --plot DIR: speedup over serial C of each variant, per workload and size. */
static void plot_paper(const struct pb_opts *o, const struct pb_result *res,
		       unsigned int nres)
{
	struct bp_plot p;
	char lbl[32], script[1024];
	unsigned int i;

	if (!o->plot || bp_begin(&p, o->plot, "paper"))
		return;
	fprintf(p.dat, "# workload/size omp1 omp%u ppe1 ppe%u (speedup over serial)\n",
		o->parts, o->parts);
	for (i = 0; i < nres; i++) {
		const struct pb_result *rs = &res[i];

		if (rs->err)
			continue;
		size_label(rs->w, rs->n, lbl, sizeof(lbl));
		fprintf(p.dat, "%s/%s %.4f %.4f %.4f %.4f\n", wname[rs->w], lbl,
			rs->med[V_SERIAL] / rs->med[V_OMP1],
			rs->med[V_SERIAL] / rs->med[V_OMPP],
			rs->med[V_SERIAL] / rs->med[V_PPE1],
			rs->med[V_SERIAL] / rs->med[V_PPEP]);
	}
	snprintf(script, sizeof(script),
		 "set style data histograms\n"
		 "set style histogram clustered gap 1\n"
		 "set style fill solid 0.8 border -1\n"
		 "set ylabel 'speedup over serial C (median wall time)'\n"
		 "set xtics rotate by -45\n"
		 "set yrange [0:*]\n"
		 "plot 'paper.dat' using 2:xtic(1) title 'OpenMP, 1 thread', \\\n"
		 "     '' using 3 title 'OpenMP, %u threads', \\\n"
		 "     '' using 4 title 'PPE, 1 partition', \\\n"
		 "     '' using 5 title 'PPE, %u partitions', \\\n"
		 "     1 with lines dashtype 2 lc 'black' title 'serial'",
		 o->parts, o->parts);
	bp_end(&p, "PPE and OpenMP speedups by partition count", script);
}

struct pb_main {
	int argc;
	char **argv;
	int ret;
};

static void *paper_thread(void *arg)
{
	struct pb_main *m = arg;

	m->ret = paper_main(m->argc, m->argv);
	return NULL;
}

/*
 * The whole benchmark runs on one thread with a stack big enough for the
 * deep recursion baselines, created once, so serial and OpenMP(1) reuse a
 * warm stack just as PPE's workers do.
 */
int bench_paper(int argc, char **argv)
{
	struct pb_main m = { argc, argv, 1 };
	pthread_attr_t attr;
	pthread_t th;
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return paper_main(argc, argv);
	ensure_omp_stack(argc, argv);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PB_MAIN_STACK);
	if (pthread_create(&th, &attr, paper_thread, &m)) {
		fprintf(stderr, "paper: cannot create the benchmark thread\n");
		return 1;
	}
	pthread_join(th, NULL);
	pthread_attr_destroy(&attr);
	return m.ret;
}
