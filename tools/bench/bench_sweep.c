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
 *
 * This file holds the options and the order of the measurements; each
 * measurement has a file of its own (see bench_sweep.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vgcu.h>
#include "bench.h"
#include "bench_util.h"
#include "bench_plot.h"
#include "bench_sweep.h"

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
"               first pause size, under valgrind (slow: about a minute at 1e5)\n"
"  --plot DIR   also write SVG charts (gnuplot) of throughput and pauses to DIR\n"
"  --change     only: checkpoint cost at 4,096 / 131,072 / 1,048,576 live objects\n"
"               and a fixed change per checkpoint, full sweep vs change-proportional\n");
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

static int opt_sizes(const char *arg, void *dst)
{
	struct sopts *o = dst;

	o->nr_sizes = parse_sizes(arg, o->sizes, 7);
	return o->nr_sizes ? 0 : -1;
}

static int opt_pauses(const char *arg, void *dst)
{
	struct sopts *o = dst;

	o->nr_pause_sizes = parse_sizes(arg, o->pause_sizes, 7);
	return o->nr_pause_sizes ? 0 : -1;
}

int bench_sweep(int argc, char **argv)
{
	struct sopts o = {
		.sizes = { 100000, 1000000, 10000000 }, .nr_sizes = 3,
		.pause_sizes = { 100000, 1000000, 10000000 }, .nr_pause_sizes = 3,
		.reps = 11, .backend = VGC_BACKEND_ANON,
		.python = "/usr/bin/python3.11", .base_max = 1000000,
	};
	struct sweep_res r = { .why = "" };
	uint64_t checksum = BU_FNV_SEED, boehm_n = 0, ckpt_n = 0;
	int full = 0, change = 0;
	unsigned int i, change_mode = 0;
	uint64_t change_n = 0;
	ssize_t len;
	const struct bu_opt opts[] = {
		BU_FLAG("json", &o.json),
		BU_FLAG("full", &full),
		BU_FN("sizes", &o, opt_sizes, "sizes >= 64, comma separated"),
		BU_FN("pauses", &o, opt_pauses, "sizes >= 64, comma separated"),
		BU_UINT("reps", &o.reps, 1, 64),
		BENCH_OPT_BACKEND(&o.backend),
		BU_STR("python", &o.python),
		BU_FLAG("no-python", &o.no_python),
		BU_FLAG("no-boehm", &o.no_boehm),
		BU_U64("child-boehm", &boehm_n, 0, 0),
		BU_U64("child-ckpt", &ckpt_n, 0, 0),
		BU_FLAG("change", &change),
		BU_U64("child-change", &change_n, 0, 0),
		BU_UINT("change-mode", &change_mode, 0, 1),
		BU_FLAG("callgrind", &r.callgrind),
		BU_STR("plot", &o.plot),
		BU_OPT_END
	};

	switch (bu_parse_opts("sweep", argc, argv, opts, NULL, 0, NULL)) {
	case 0:
		break;
	case BU_OPTS_HELP:
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
	if (ckpt_n)
		return ckpt_child(ckpt_n);
	if (change_n)
		return change_child(change_n, (int)change_mode);
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
	if (change)
		return run_change(r.callgrind, o.json);

	if (!o.json)
		fprintf(stderr, "vgc-bench sweep: throughput...\n");
	for (i = 0; i < o.nr_sizes; i++) {
		bp_progress("sweep", "throughput %u/%u (%llu objects)", i + 1,
			    o.nr_sizes, (unsigned long long)o.sizes[i]);
		run_throughput(&o, &r.tp[i], o.sizes[i]);
		r.fails += r.tp[i].err != 0;
	}
	if (!o.json)
		fprintf(stderr, "vgc-bench sweep: pauses and baselines...\n");
	for (i = 0; i < o.nr_pause_sizes; i++) {
		struct base_row *b = &r.br[i];

		bp_progress("sweep", "pauses and baselines %u/%u (%llu objects)",
			    i + 1, o.nr_pause_sizes,
			    (unsigned long long)o.pause_sizes[i]);
		run_pauses(&o, &r.pr[i], o.pause_sizes[i]);
		r.fails += r.pr[i].err != 0;
		checksum = bu_mix(checksum, r.pr[i].checksum);
		memset(b, 0, sizeof(*b));
		b->n = o.pause_sizes[i];
		b->py_ns = b->boehm_ns = NAN;
		if (b->n > o.base_max) {
			b->py_err = b->boehm_err = "skipped, --full runs it";
			continue;
		}
		if (!o.no_python)
			run_python(&o, b);
		if (!o.no_boehm)
			run_boehm(b);
		checksum = bu_mix(checksum, b->py_tracked);
		checksum = bu_mix(checksum, b->boehm_sum);
	}
	r.kl_ok = !run_kernel_vs_lib(r.kl, 2, r.why, sizeof(r.why));
	if (r.callgrind) {
		if (!o.json)
			fprintf(stderr, "vgc-bench sweep: instruction counts under callgrind...\n");
		run_callgrind(&o, &r.cg, o.pause_sizes[0]);
	}
	for (i = 0; i < o.nr_sizes; i++) {
		checksum = bu_mix(checksum, r.tp[i].live);
		checksum = bu_mix(checksum, r.tp[i].words);
	}
	snprintf(r.hex, sizeof(r.hex), "%016llx", (unsigned long long)checksum);
	bp_progress_done();

	if (o.json)
		sweep_print_json(&o, &r);
	else
		sweep_print_text(&o, &r);
	sweep_plot(&o, &r);
	return r.fails ? 1 : 0;
}
