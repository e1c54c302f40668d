// SPDX-License-Identifier: GPL-2.0
/* vgc-bench: dispatches to the benchmark named on the command line. */
#include <stdio.h>
#include <string.h>
#include <vgcu.h>
#include "bench.h"

static const struct bench_cmd cmds[] = {
	/* each benchmark adds its line here */
	{ "sweep", "checkpoint sweep throughput vs memory bandwidth, pauses, CPython/Boehm GC cost", bench_sweep },
	{ "alloc", "alloc+release with reclamation vs glibc, jemalloc, mimalloc, tcmalloc", bench_alloc },
	{ "uring", "checkpoint commands/s: one ioctl each vs io_uring batches of 1, 8, 64, 256", bench_uring },
	{ "paper", "the paper's PPE workloads: serial, OpenMP, PPE(1), PPE(P) tables", bench_paper },
	{ "zones", "paper tables 8.25-8.29 with grace periods, classification cost per checkpoint", bench_zones },
	{ "yield", "ephemeral values: Yield Memory vs zone allocation vs malloc", bench_yield },
	{ "preload", "python, gcc, git, sqlite3, threads under 5 mallocs by LD_PRELOAD; fork cost", bench_preload },
	{ "python", "Python workloads: vgc-python vs python3.11 (pymalloc), CPU, RSS, Ir", bench_python },
};

int bench_opt_backend(const char *arg, void *dst)
{
	return vgc_backend_parse(arg, dst) ? -1 : 0;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vgc-bench <benchmark> [--json] [options]\n\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vgc-bench: unknown benchmark '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
