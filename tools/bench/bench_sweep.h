/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgc-bench sweep internals, one file per measurement:
 *
 *   bench_sweep.c        options and the order of the measurements
 *   sweep_world.c        the mutated arena every measurement sweeps
 *   sweep_bandwidth.c    1: sweep throughput vs the machine's bandwidth
 *   sweep_pauses.c       2: pauses per checkpoint; 4: kernel vs library
 *   sweep_collectors.c   3: CPython gc.collect() and Boehm GC_gcollect()
 *   sweep_callgrind.c    instruction counts under valgrind (--callgrind)
 *   sweep_report.c       the JSON document and the tables
 *   sweep_plot.c         --plot DIR: SVG charts
 */
#ifndef VGC_BENCH_SWEEP_H
#define VGC_BENCH_SWEEP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <vgcu.h>

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
	const char *plot;		/* --plot DIR, NULL: none */
};

struct world {
	struct vgc_arena *a;
	uint64_t n;			/* live objects wanted */
	uint64_t w0, nw;		/* region's words in the planes */
	uint64_t *pv, *ps2, *pa;
	struct vgc_span_sum *sums;	/* noted by direct ACCESS writes */
	char *base;
	uint64_t round;
	uint64_t refill;		/* reclaimed, to allocate back */
	uint64_t checksum;
	int err;
};

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

struct pause_row {
	uint64_t n;
	unsigned int k;
	double p50, p99, max, cpu_p50, cpu_p99, cpu_max, sweep_p50;
	uint64_t again, checksum;
	enum vgc_backend backend;
	int err;
};

struct base_row {
	uint64_t n;
	double py_ns, boehm_ns;		/* median full collection, ns */
	uint64_t py_tracked, boehm_sum;
	char py_version[32];
	const char *py_err, *boehm_err;
};

struct kl_row {
	uint64_t n;
	double kernel_ns, lib_ns[3];	/* library: [scalar], [avx2] */
	int err;
};

#define CG_ROUNDS	6

struct cg_row {
	uint64_t n;
	double vgc[3];		/* instructions per object: [scalar], [avx2] */
	double py, boehm;
};

struct sweep_res {
	struct tp_row tp[8];
	struct pause_row pr[8];
	struct base_row br[8];
	struct kl_row kl[2];
	int kl_ok;			/* kl[] measured; else why says why not */
	char why[256];
	int callgrind;			/* cg measured */
	struct cg_row cg;
	int fails;
	char hex[24];			/* the checksum */
};

/* sweep_world.c */
int world_open(struct world *w, uint64_t n, enum vgc_backend backend);
void world_close(struct world *w);
void world_step(struct world *w);
void fold_counts(struct world *w, const struct vgc_sweep_counts *c);
int checkpoint_once(struct world *w, double *wall, double *cpu,
		    double *sweep, uint64_t *again);

/* sweep_bandwidth.c */
void run_throughput(const struct sopts *o, struct tp_row *row, uint64_t n);

/* sweep_pauses.c */
void run_pauses(const struct sopts *o, struct pause_row *row, uint64_t n);
int run_kernel_vs_lib(struct kl_row *rows, unsigned int nr, char *why,
		      size_t whylen);

/* sweep_collectors.c */
extern const char py_script[];
extern char self_exe[PATH_MAX];		/* this binary, for the children */
void run_python(const struct sopts *o, struct base_row *b);
int boehm_child(uint64_t n, unsigned int reps);
void run_boehm(struct base_row *b);

/* sweep_callgrind.c */
int ckpt_child(uint64_t n);
/* Runs argv under callgrind: Ir of the functions named by toggle, or NAN */
double cg_run(char **argv, const char *toggle, const char *env);

/* sweep_change.c: --change, full sweep vs change-proportional */
int run_change(int callgrind, int json);
int change_child(uint64_t n, int full);
void run_callgrind(const struct sopts *o, struct cg_row *c, uint64_t n);

/* sweep_plot.c */
void sweep_plot(const struct sopts *o, const struct sweep_res *res);

/* sweep_report.c */
void sweep_print_json(const struct sopts *o, const struct sweep_res *res);
void sweep_print_text(const struct sopts *o, const struct sweep_res *res);

#endif /* VGC_BENCH_SWEEP_H */
