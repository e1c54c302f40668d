/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vgc-bench subcommands: the option parser, clocks,
 * order statistics, checksums, CPU pinning, streaming-bandwidth loops, a
 * small JSON writer and running a helper program with its output captured.  Nothing here knows
 * about VGC itself, so every benchmark may use it.
 */
#ifndef VGC_BENCH_UTIL_H
#define VGC_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bu_now_ns(void);
/* CPU time of the calling thread in nanoseconds. */
uint64_t bu_thread_cpu_ns(void);
/* CPU time of the whole process (user + system) in nanoseconds. */
uint64_t bu_process_cpu_ns(void);

/*
 * Options of a subcommand, one table for all of them:
 *   --name value, --name=value, -x value (short), --flag, -h / --help.
 * Numbers are strict: the whole argument must be a number of the
 * option's type (decimal, 0x hexadecimal, or an integral 1e6 form) within
 * [min, max] (max 0: up to the type's largest value; an int option with
 * both 0: any int); anything else is an error that names the option and
 * the value.  Arguments that are not options go to
 * pos[] when the caller gives room for them, and are an error otherwise.
 */
enum bu_opt_type {
	BU_OPT_FLAG,		/* int: set to 1 */
	BU_OPT_U64,		/* uint64_t */
	BU_OPT_UINT,		/* unsigned int */
	BU_OPT_INT,		/* int */
	BU_OPT_STR,		/* const char *: the argument itself */
	BU_OPT_FN,		/* fn(arg, dst): 0, or -1 for a bad value */
};

struct bu_opt {
	const char *name;	/* long name without the dashes */
	char short_name;	/* 0: none */
	enum bu_opt_type type;
	void *dst;
	int64_t min, max;	/* numbers: the allowed range */
	int (*fn)(const char *arg, void *dst);
	const char *what;	/* BU_OPT_FN: what a valid value is, for errors */
};

#define BU_FLAG(n, p)		{ .name = (n), .type = BU_OPT_FLAG, .dst = (p) }
#define BU_U64(n, p, lo, hi)	{ .name = (n), .type = BU_OPT_U64, .dst = (p), .min = (lo), .max = (hi) }
#define BU_UINT(n, p, lo, hi)	{ .name = (n), .type = BU_OPT_UINT, .dst = (p), .min = (lo), .max = (hi) }
#define BU_INT(n, p, lo, hi)	{ .name = (n), .type = BU_OPT_INT, .dst = (p), .min = (lo), .max = (hi) }
#define BU_STR(n, p)		{ .name = (n), .type = BU_OPT_STR, .dst = (p) }
#define BU_FN(n, p, f, w)	{ .name = (n), .type = BU_OPT_FN, .dst = (p), .fn = (f), .what = (w) }
#define BU_OPT_END		{ .name = NULL }

#define BU_OPTS_HELP	1

/*
 * Parses argv[1..argc) of subcommand cmd (argv[0] is its name).  Returns
 * 0, BU_OPTS_HELP when -h or --help was given, or -1 after printing
 * "vgc-bench cmd: ..." to stderr.  *npos receives the number of
 * positional arguments stored in pos (room for max_pos; NULL: none
 * allowed).
 */
int bu_parse_opts(const char *cmd, int argc, char **argv,
		  const struct bu_opt *opts, char **pos, int max_pos,
		  int *npos);
/* Strict numbers as bu_parse_opts reads them; 0 or -1. */
int bu_parse_u64(const char *s, uint64_t *out);
int bu_parse_i64(const char *s, int64_t *out);

/* Order statistics; both sort v in place.  p in [0, 100], nearest rank. */
double bu_median(double *v, size_t n);
double bu_percentile(double *v, size_t n, double p);
double bu_max(const double *v, size_t n);

/* FNV-1a over bytes, and a 64-bit mixer for folding values in. */
uint64_t bu_fnv1a(uint64_t h, const void *p, size_t n);
uint64_t bu_mix(uint64_t h, uint64_t v);
#define BU_FNV_SEED	0xcbf29ce484222325ULL

/* Keeps a value alive so the compiler cannot drop the work behind it. */
void bu_sink(uint64_t v);

/* Pins the calling thread to cpu; returns 0 or -errno. */
int bu_pin_cpu(int cpu);
/* Number of CPUs the process may run on. */
int bu_nr_cpus(void);

/*
 * Streaming loops over buf (bytes, multiple of 64), repeated until at least
 * min_ns passed; return the best pass in GB/s (1e9 bytes per second of the
 * calling thread's CPU time, so that preemption does not count).
 * read: sums every 64-bit word.  rmw: loads, changes and stores every word
 * (bytes counted once, as the sweep's plane bytes are).  *sum receives a
 * value derived from the data so the work cannot be elided.
 */
double bu_bw_read(uint64_t *buf, size_t bytes, uint64_t min_ns, uint64_t *sum);
double bu_bw_rmw(uint64_t *buf, size_t bytes, uint64_t min_ns, uint64_t *sum);
double bu_bw_read_avx2(uint64_t *buf, size_t bytes, uint64_t min_ns,
		       uint64_t *sum);
double bu_bw_rmw_avx2(uint64_t *buf, size_t bytes, uint64_t min_ns,
		      uint64_t *sum);
int bu_have_avx2(void);

/*
 * Minimal streaming JSON writer.  Keys are ignored inside arrays (pass
 * NULL).  Output is valid JSON as long as begin/end calls pair up.
 */
#define BJ_MAX_DEPTH	16
struct bj {
	FILE *f;
	int depth;
	int count[BJ_MAX_DEPTH];
};

void bj_init(struct bj *j, FILE *f);
void bj_obj_begin(struct bj *j, const char *key);
void bj_obj_end(struct bj *j);
void bj_arr_begin(struct bj *j, const char *key);
void bj_arr_end(struct bj *j);
void bj_num(struct bj *j, const char *key, double v);
void bj_u64(struct bj *j, const char *key, uint64_t v);
void bj_i64(struct bj *j, const char *key, int64_t v);
void bj_str(struct bj *j, const char *key, const char *v);
void bj_bool(struct bj *j, const char *key, int v);
void bj_null(struct bj *j, const char *key);
/* Ends the document with a newline. */
void bj_finish(struct bj *j);

/*
 * Runs argv (argv[0] is looked up in PATH) with the extra environment
 * variable env ("NAME=value" or NULL) and returns its standard output
 * (malloc'ed, NUL terminated) or NULL.  *status gets the wait status.
 * Standard error is passed through.  timeout_s > 0 kills it past that.
 */
char *bu_run_capture(char *const argv[], const char *env, int timeout_s,
		     int *status);

/*
 * Instructions (Ir) that a callgrind output file records in total, or NAN;
 * the file is removed.
 */
double bu_callgrind_ir(const char *path);

/* Returns "met" or "not met". */
const char *bu_met(int ok);

#endif
