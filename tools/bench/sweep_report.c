// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep: the report, as JSON or as the tables with their targets.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vgcu.h>
#include "bench_util.h"
#include "bench_sweep.h"

static double pct(double a, double b)
{
	return 100.0 * a / b;
}

void sweep_print_json(const struct sopts *o, const struct sweep_res *res)
{
	const struct tp_row *tp = res->tp;
	const struct pause_row *pr = res->pr;
	const struct base_row *br = res->br;
	const struct kl_row *kl = res->kl;
	const struct cg_row *cg = &res->cg;
	unsigned int i;
	struct bj j;

	bj_init(&j, stdout);
	bj_obj_begin(&j, NULL);
	bj_str(&j, "benchmark", "sweep");
	bj_str(&j, "sweep_default", vgc_sweep_impl_name(vgc_sweep_default()));
	bj_arr_begin(&j, "throughput");
	for (i = 0; i < o->nr_sizes; i++) {
		const struct tp_row *t = &tp[i];

		bj_obj_begin(&j, NULL);
		bj_u64(&j, "objects", t->n);
		if (t->err)
			bj_str(&j, "error", vgc_strerror(t->err));
		bj_u64(&j, "live", t->live);
		bj_u64(&j, "words", t->words);
		bj_num(&j, "metadata_bytes", t->meta_bytes);
		bj_num(&j, "scalar_ns", t->ok[1] ? t->ns[1] : NAN);
		bj_num(&j, "scalar_cpu_ns", t->ok[1] ? t->cpu[1] : NAN);
		bj_num(&j, "scalar_mobj_s", t->ok[1] ? t->live / t->cpu[1] * 1e3 : NAN);
		bj_num(&j, "scalar_gb_s", t->ok[1] ? t->meta_bytes / t->cpu[1] : NAN);
		bj_num(&j, "avx2_ns", t->ok[2] ? t->ns[2] : NAN);
		bj_num(&j, "avx2_cpu_ns", t->ok[2] ? t->cpu[2] : NAN);
		bj_num(&j, "avx2_mobj_s", t->ok[2] ? t->live / t->cpu[2] * 1e3 : NAN);
		bj_num(&j, "avx2_gb_s", t->ok[2] ? t->meta_bytes / t->cpu[2] : NAN);
		bj_num(&j, "avx2_speedup", t->cpu[1] / t->cpu[2]);
		bj_num(&j, "table_only_scalar_cpu_ns", t->table_ns);
		bj_num(&j, "table_only_scalar_pct_of_rmw",
		       pct(t->meta_bytes / t->table_ns, t->bw_best));
		bj_num(&j, "bw_read_gb_s", t->bw_read);
		bj_num(&j, "bw_rmw_gb_s", t->bw_rmw);
		bj_num(&j, "bw_read_avx2_gb_s", t->bw_read_avx2);
		bj_num(&j, "bw_rmw_avx2_gb_s", t->bw_rmw_avx2);
		bj_num(&j, "best_sweep_pct_of_rmw",
		       pct(t->meta_bytes / fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]),
			   t->bw_best));
		bj_obj_end(&j);
	}
	bj_arr_end(&j);
	bj_arr_begin(&j, "pauses");
	for (i = 0; i < o->nr_pause_sizes; i++) {
		const struct pause_row *p = &pr[i];

		bj_obj_begin(&j, NULL);
		bj_u64(&j, "objects", p->n);
		if (p->err)
			bj_str(&j, "error", vgc_strerror(p->err));
		bj_u64(&j, "checkpoints", p->k);
		bj_num(&j, "p50_ns", p->p50);
		bj_num(&j, "p99_ns", p->p99);
		bj_num(&j, "max_ns", p->max);
		bj_num(&j, "p99_over_p50", p->p99 / p->p50);
		bj_num(&j, "cpu_p50_ns", p->cpu_p50);
		bj_num(&j, "cpu_p99_ns", p->cpu_p99);
		bj_num(&j, "cpu_max_ns", p->cpu_max);
		bj_num(&j, "sweep_p50_ns", p->sweep_p50);
		bj_u64(&j, "eagain", p->again);
		bj_obj_end(&j);
	}
	bj_arr_end(&j);
	bj_arr_begin(&j, "per_object");
	for (i = 0; i < o->nr_pause_sizes; i++) {
		double v = pr[i].p50 / (double)br[i].n;

		bj_obj_begin(&j, NULL);
		bj_u64(&j, "objects", br[i].n);
		bj_num(&j, "vgc_ns_per_obj", v);
		bj_num(&j, "cpython_ns_per_obj", br[i].py_ns / (double)br[i].n);
		bj_num(&j, "boehm_ns_per_obj", br[i].boehm_ns / (double)br[i].n);
		bj_num(&j, "cpython_over_vgc", br[i].py_ns / (double)br[i].n / v);
		bj_num(&j, "boehm_over_vgc", br[i].boehm_ns / (double)br[i].n / v);
		bj_str(&j, "cpython_version", br[i].py_version);
		bj_obj_end(&j);
	}
	bj_arr_end(&j);
	bj_obj_begin(&j, "kernel_vs_library");
	if (!res->kl_ok) {
		bj_str(&j, "skipped", res->why);
	} else {
		for (i = 0; i < 2; i++) {
			char k[32];

			snprintf(k, sizeof(k), "%llu", (unsigned long long)kl[i].n);
			bj_obj_begin(&j, k);
			bj_num(&j, "kernel_sweep_ns", kl[i].kernel_ns);
			bj_num(&j, "library_scalar_ns", kl[i].lib_ns[1]);
			bj_num(&j, "library_avx2_ns", kl[i].lib_ns[2]);
			bj_num(&j, "kernel_over_library_scalar",
			       kl[i].kernel_ns / kl[i].lib_ns[1]);
			bj_num(&j, "kernel_over_library_avx2",
			       kl[i].kernel_ns / kl[i].lib_ns[2]);
			bj_obj_end(&j);
		}
	}
	bj_obj_end(&j);
	if (res->callgrind) {
		bj_obj_begin(&j, "instructions_per_object");
		bj_u64(&j, "objects", cg->n);
		bj_num(&j, "vgc_checkpoint_scalar", cg->vgc[1]);
		bj_num(&j, "vgc_checkpoint_avx2", cg->vgc[2]);
		bj_num(&j, "cpython_gc_collect", cg->py);
		bj_num(&j, "boehm_gc_gcollect", cg->boehm);
		bj_obj_end(&j);
	}
	bj_u64(&j, "failures", (uint64_t)res->fails);
	bj_str(&j, "checksum", res->hex);
	bj_obj_end(&j);
	bj_finish(&j);
}

void sweep_print_text(const struct sopts *o, const struct sweep_res *res)
{
	const struct tp_row *tp = res->tp;
	const struct pause_row *pr = res->pr;
	const struct base_row *br = res->br;
	const struct kl_row *kl = res->kl;
	const struct cg_row *cg = &res->cg;
	unsigned int i;


	printf("sweep throughput (library sweep, one partition, 16 B objects, 1 in 8 touched and\n"
	       "1 in 64 released per round; metadata = %d plane words read per 64 objects;\n"
	       "median of the sweeps: wall ms, and the sweeping thread's CPU ms that\n"
	       "Mobj/s and GB/s are computed from)\n\n", SWEPT_PLANES);
	printf("%10s %7s | %7s %7s %6s %6s | %7s %7s %6s %6s %5s | %6s %6s %6s %6s | %5s\n",
	       "objects", "meta", "scalar", "cpu", "Mobj", "GB/s", "avx2", "cpu", "Mobj",
	       "GB/s", "x", "read", "rmw", "rd256", "rmw256", "%rmw");
	printf("%10s %7s | %7s %7s %6s %6s | %7s %7s %6s %6s %5s | %6s %6s %6s %6s | %5s\n",
	       "", "MB", "ms", "ms", "/s", "", "ms", "ms", "/s", "", "", "GB/s", "GB/s",
	       "GB/s", "GB/s", "best");
	for (i = 0; i < o->nr_sizes; i++) {
		const struct tp_row *t = &tp[i];
		double best = fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]);

		if (t->err) {
			printf("%10llu  error: %s\n", (unsigned long long)t->n,
			       vgc_strerror(t->err));
			continue;
		}
		printf("%10llu %7.2f | %7.3f %7.3f %6.0f %6.2f | %7.3f %7.3f %6.0f %6.2f %4.2fx | %6.2f %6.2f %6.2f %6.2f | %4.0f%%\n",
		       (unsigned long long)t->n, t->meta_bytes / 1e6,
		       t->ns[1] / 1e6, t->cpu[1] / 1e6, t->live / t->cpu[1] * 1e3,
		       t->meta_bytes / t->cpu[1],
		       t->ok[2] ? t->ns[2] / 1e6 : NAN, t->ok[2] ? t->cpu[2] / 1e6 : NAN,
		       t->ok[2] ? t->live / t->cpu[2] * 1e3 : NAN,
		       t->ok[2] ? t->meta_bytes / t->cpu[2] : NAN,
		       t->cpu[1] / t->cpu[2],
		       t->bw_read, t->bw_rmw, t->bw_read_avx2, t->bw_rmw_avx2,
		       pct(t->meta_bytes / best, t->bw_best));
	}
	printf("\nbandwidth: best pass (CPU time) of 64-bit scalar and 256-bit AVX2 streaming\n"
	       "loops over a buffer of the metadata's size; rmw counts the bytes once, as the\n"
	       "sweep's GB/s does; %%rmw: the faster sweep against the faster rmw loop.\n");
	for (i = 0; i < o->nr_sizes; i++) {
		const struct tp_row *t = &tp[i];
		double best = fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]);
		double f = pct(t->meta_bytes / best, t->bw_best);
		double fr = pct(t->meta_bytes / best, fmax(t->bw_read, t->bw_read_avx2));

		if (!t->err)
			printf("target: sweep >= 70%% of RMW bandwidth at %llu objects: %.1f%% -> %s"
			       " (%.1f%% of read bandwidth)\n",
			       (unsigned long long)t->n, f, bu_met(f >= 70), fr);
	}
	printf("\nthe transition table alone: vgc_sweep_word() over a copy of the same plane\n"
	       "words, scalar, plain stores; no exchanges, counters or state histogram\n");
	for (i = 0; i < o->nr_sizes; i++) {
		const struct tp_row *t = &tp[i];

		if (!t->err)
			printf("%10llu objects: %.3f ms CPU, %.2f GB/s, %.0f%% of RMW; the library's"
			       " faster sweep takes %.1fx its time\n",
			       (unsigned long long)t->n, t->table_ns / 1e6,
			       t->meta_bytes / t->table_ns,
			       pct(t->meta_bytes / t->table_ns, t->bw_best),
			       fmin(t->ok[2] ? t->cpu[2] : INFINITY, t->cpu[1]) / t->table_ns);
	}
	printf("\npause per checkpoint (vgc_checkpoint, all zones, %s sweep, %s backend)\n\n",
	       pr[0].backend == VGC_BACKEND_MODULE ? "kernel" :
	       vgc_sweep_impl_name(vgc_sweep_default()),
	       vgc_backend_name(pr[0].backend));
	printf("%11s %5s | %10s %10s %10s %7s | %10s %10s %10s %7s\n", "objects", "ckpts",
	       "p50 us", "p99 us", "max us", "p99/p50", "cpu p50", "cpu p99", "cpu max", "p99/p50");
	for (i = 0; i < o->nr_pause_sizes; i++) {
		const struct pause_row *p = &pr[i];

		if (p->err) {
			printf("%11llu  error: %s\n", (unsigned long long)p->n,
			       vgc_strerror(p->err));
			continue;
		}
		printf("%11llu %5u | %10.1f %10.1f %10.1f %7.2f | %10.1f %10.1f %10.1f %7.2f\n",
		       (unsigned long long)p->n, p->k, p->p50 / 1e3, p->p99 / 1e3,
		       p->max / 1e3, p->p99 / p->p50, p->cpu_p50 / 1e3,
		       p->cpu_p99 / 1e3, p->cpu_max / 1e3, p->cpu_p99 / p->cpu_p50);
	}
	printf("(wall: what the caller waited; cpu: the thread's CPU time, without the time\n"
	       " other processes on this shared machine took)\n");
	for (i = 0; i < o->nr_pause_sizes; i++)
		if (!pr[i].err)
			printf("target: p99/p50 <= 1.5 at %llu objects: wall %.2f -> %s, cpu %.2f -> %s\n",
			       (unsigned long long)pr[i].n, pr[i].p99 / pr[i].p50,
			       bu_met(pr[i].p99 / pr[i].p50 <= 1.5),
			       pr[i].cpu_p99 / pr[i].cpu_p50,
			       bu_met(pr[i].cpu_p99 / pr[i].cpu_p50 <= 1.5));

	printf("\ncost per object of a full collection (VGC: median checkpoint above)\n\n");
	printf("%11s | %10s | %12s %9s | %12s %9s\n", "objects", "VGC ns", "CPython ns",
	       "x VGC", "Boehm ns", "x VGC");
	for (i = 0; i < o->nr_pause_sizes; i++) {
		double v = pr[i].p50 / (double)br[i].n;
		double py = br[i].py_ns / (double)br[i].n;
		double bo = br[i].boehm_ns / (double)br[i].n;

		printf("%11llu | %10.4f | ", (unsigned long long)br[i].n, v);
		if (isnan(py))
			printf("%12s %9s | ", "-", "-");
		else
			printf("%12.3f %8.0fx | ", py, py / v);
		if (isnan(bo))
			printf("%12s %9s\n", "-", "-");
		else
			printf("%12.3f %8.0fx\n", bo, bo / v);
		if (br[i].py_err)
			printf("%11s   CPython: %s\n", "", br[i].py_err);
		if (br[i].boehm_err && (!br[i].py_err || strcmp(br[i].py_err, br[i].boehm_err)))
			printf("%11s   Boehm: %s\n", "", br[i].boehm_err);
	}
	printf("(CPython %s gc.collect() over N empty lists, timed inside Python; Boehm GC\n"
	       " GC_gcollect() over N reachable 16 B objects, one marker thread)\n",
	       br[0].py_version[0] ? br[0].py_version : "3.11");
	for (i = 0; i < o->nr_pause_sizes; i++) {
		double v = pr[i].p50 / (double)br[i].n;
		double rp = br[i].py_ns / (double)br[i].n / v;
		double rb = br[i].boehm_ns / (double)br[i].n / v;

		if (isnan(rp) && isnan(rb))
			continue;
		printf("target: >= 100x cheaper per object at %llu: CPython %.0fx -> %s, Boehm %.0fx -> %s\n",
		       (unsigned long long)br[i].n, rp, bu_met(rp >= 100), rb,
		       bu_met(rb >= 100));
	}

	printf("\nkernel sweep vs library sweep, same arena\n");
	if (!res->kl_ok) {
		printf("  skipped: %s\n", res->why);
	} else {
		for (i = 0; i < 2; i++)
			printf("%11llu objects: kernel/library time ratio %.2f (library scalar),"
			       " %.2f (library avx2)\n", (unsigned long long)kl[i].n,
			       kl[i].kernel_ns / kl[i].lib_ns[1],
			       kl[i].kernel_ns / kl[i].lib_ns[2]);
		printf("(kernel: the sweep time the checkpoint reports, swept on the\n"
		       " partition's CPU; library: vgc_sweep_partition in the caller)\n");
	}
	if (res->callgrind) {
		double v = fmin(cg->vgc[1], isnan(cg->vgc[2]) ? INFINITY : cg->vgc[2]);

		printf("\ninstructions per object of a full collection, %llu objects (callgrind:\n"
		       "exact and repeatable whatever the load)\n", (unsigned long long)cg->n);
		printf("  VGC checkpoint: %.2f (scalar sweep), %.2f (avx2 sweep)\n",
		       cg->vgc[1], cg->vgc[2]);
		printf("  CPython gc.collect(): %.1f (%.0fx VGC)\n", cg->py, cg->py / v);
		printf("  Boehm GC_gcollect(): %.1f (%.0fx VGC)\n", cg->boehm, cg->boehm / v);
	}
	printf("\nfailures: %d\nchecksum: %s\n", res->fails, res->hex);
}
