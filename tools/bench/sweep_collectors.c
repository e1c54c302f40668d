// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep, part 3: the collectors VGC is compared with, CPython
 * 3.11 gc.collect() over N tracked containers and Boehm GC GC_gcollect() over
 * N reachable objects, each in a process of its own.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gc.h>
#include "bench_util.h"
#include "bench_sweep.h"

/* ---- 3: baselines: CPython gc.collect(), Boehm GC_gcollect() ---------- */

const char py_script[] =
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

static unsigned int base_reps(uint64_t n)
{
	return n >= 10000000 ? 3 : n >= 1000000 ? 5 : 11;
}

void run_python(const struct sopts *o, struct base_row *b)
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

int boehm_child(uint64_t n, unsigned int reps)
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

char self_exe[PATH_MAX];

void run_boehm(struct base_row *b)
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
