// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep, parts 2 and 4: pause per checkpoint (p50, p99, max),
 * and the kernel sweep against the library sweep on one arena.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <vgcu.h>
#include "bench_util.h"
#include "bench_sweep.h"

/* ---- 2: pauses per checkpoint ---------------------------------------- */

#define MAX_PAUSES	400

void run_pauses(const struct sopts *o, struct pause_row *row, uint64_t n)
{
	static double wall[MAX_PAUSES], cpu[MAX_PAUSES], sw[MAX_PAUSES];
	unsigned int k = n <= 100000 ? 400 : n <= 1000000 ? 100 : 30, i;
	struct world w;
	double dummy;
	int err;

	memset(row, 0, sizeof(*row));
	row->n = n;
	row->k = k;
	err = world_open(&w, n, o->backend);
	if (err) {
		row->err = err;
		return;
	}
	for (i = 0; i < 4; i++) {
		world_step(&w);
		checkpoint_once(&w, &dummy, &dummy, &dummy, &row->again);
	}
	for (i = 0; i < k && !row->err; i++) {
		world_step(&w);
		err = checkpoint_once(&w, &wall[i], &cpu[i], &sw[i], &row->again);
		if (err || w.err)
			row->err = err ? err : w.err;
	}
	row->checksum = w.checksum;
	row->backend = vgc_arena_backend(w.a);
	world_close(&w);
	if (row->err)
		return;
	row->max = bu_max(wall, k);
	row->p99 = bu_percentile(wall, k, 99);
	row->p50 = bu_median(wall, k);
	row->cpu_max = bu_max(cpu, k);
	row->cpu_p99 = bu_percentile(cpu, k, 99);
	row->cpu_p50 = bu_median(cpu, k);
	row->sweep_p50 = bu_median(sw, k);
}

/* ---- 4: kernel sweep vs library sweep on one arena -------------------- */

int run_kernel_vs_lib(struct kl_row *rows, unsigned int nr,
		      char *why, size_t whylen)
{
	static const uint64_t ns[] = { 100000, 1000000 };
	unsigned int i, r;

	for (i = 0; i < nr && i < 2; i++) {
		double tk[21], tl[3][21], wall, cpu;
		int impl;
		uint64_t again = 0;
		struct world w;
		int err = world_open(&w, ns[i], VGC_BACKEND_MODULE);

		rows[i].n = ns[i];
		if (err) {
			snprintf(why, whylen, "module backend unavailable (%s): "
				 "no kernel sweep to compare; run inside the VM "
				 "(tools/vm/vgc-vm)", vgc_strerror(err));
			return -1;
		}
		if (vgc_arena_backend(w.a) != VGC_BACKEND_MODULE) {
			snprintf(why, whylen, "arena opened on the %s backend",
				 vgc_backend_name(vgc_arena_backend(w.a)));
			world_close(&w);
			return -1;
		}
		for (r = 0; r < 21 && !err; r++) {
			struct vgc_sweep_counts c;
			uint64_t t0;

			world_step(&w);
			err = checkpoint_once(&w, &wall, &cpu, &tk[r], &again);
			for (impl = VGC_SWEEP_SCALAR; impl <= VGC_SWEEP_AVX2; impl++) {
				world_step(&w);
				memset(&c, 0, sizeof(c));
				t0 = bu_now_ns();
				if (vgc_sweep_partition(w.a, 0, 0, 0, impl, &c))
					c.words = 0;
				tl[impl][r] = c.words ? (double)(bu_now_ns() - t0) : NAN;
				fold_counts(&w, &c);
			}
		}
		world_close(&w);
		rows[i].err = err;
		rows[i].kernel_ns = bu_median(tk, 21);
		for (impl = VGC_SWEEP_SCALAR; impl <= VGC_SWEEP_AVX2; impl++)
			rows[i].lib_ns[impl] = isnan(tl[impl][0]) ? NAN :
				bu_median(tl[impl], 21);
	}
	return 0;
}
