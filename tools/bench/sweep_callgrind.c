// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep --callgrind: instructions per object of a full
 * collection (VGC checkpoint, CPython, Boehm), counted under valgrind.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "bench_util.h"
#include "bench_sweep.h"

/* ---- instruction counts (--callgrind) ---------------------------------- */

/* Child: CG_ROUNDS checkpoints over n objects with the mutator between. */
int ckpt_child(uint64_t n)
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

/* Runs argv under callgrind; Ir of the functions named by toggle, or NAN. */
double cg_run(char **argv, const char *toggle, const char *env)
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

void run_callgrind(const struct sopts *o, struct cg_row *c, uint64_t n)
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
