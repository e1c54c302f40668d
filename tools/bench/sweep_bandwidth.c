// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep, part 1: sweep throughput of the library sweep (scalar
 * and AVX2) beside the machine's read and read-modify-write bandwidth over
 * a buffer of the metadata's size, and the transition table alone.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <vgcu.h>
#include <linux/vgc_state.h>
#include "bench_util.h"
#include "bench_sweep.h"

/* ---- 1: throughput --------------------------------------------------- */

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

void run_throughput(const struct sopts *o, struct tp_row *row,
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
