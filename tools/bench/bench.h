/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgc-bench: one binary, one subcommand per benchmark.  Each subcommand
 * prints its table (or JSON with --json) with the baseline side by side and
 * a checksum proving the work was done.
 */
#ifndef VGC_BENCH_H
#define VGC_BENCH_H

struct bench_cmd {
	const char *name;
	const char *help;
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
};

int bench_sweep(int argc, char **argv);
int bench_alloc(int argc, char **argv);
int bench_uring(int argc, char **argv);
int bench_zones(int argc, char **argv);
int bench_yield(int argc, char **argv);
int bench_paper(int argc, char **argv);
int bench_preload(int argc, char **argv);
int bench_python(int argc, char **argv);

/*
 * Option helpers that know VGC, for the bu_parse_opts() tables (see
 * bench_util.h): --backend anon|module|auto into an enum vgc_backend.
 */
int bench_opt_backend(const char *arg, void *dst);
#define BENCH_OPT_BACKEND(p) \
	BU_FN("backend", (p), bench_opt_backend, "anon, module or auto")

#endif
