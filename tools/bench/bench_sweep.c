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
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vgcu.h>
#include "bench.h"
#include "bench_util.h"
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
	struct sweep_res r = { .why = "" };
	uint64_t checksum = BU_FNV_SEED, boehm_n = 0;
	int c, full = 0;
	unsigned int i;
	ssize_t len;

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
		case 'g': r.callgrind = 1; break;
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
		run_throughput(&o, &r.tp[i], o.sizes[i]);
		r.fails += r.tp[i].err != 0;
	}
	if (!o.json)
		fprintf(stderr, "vgc-bench sweep: pauses and baselines...\n");
	for (i = 0; i < o.nr_pause_sizes; i++) {
		struct base_row *b = &r.br[i];

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

	if (o.json)
		sweep_print_json(&o, &r);
	else
		sweep_print_text(&o, &r);
	return r.fails ? 1 : 0;
bad:
	usage(stderr);
	return 2;
}
