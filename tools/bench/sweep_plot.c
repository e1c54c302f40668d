// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep --plot DIR: sweep throughput against the same run's
 * memory bandwidth, and the pause distribution per heap size.
 */
#include <math.h>
#include "bench_plot.h"
#include "bench_sweep.h"

static void plot_throughput(const struct sopts *o, const struct sweep_res *r)
{
	struct bp_plot p;
	unsigned int i;

	if (bp_begin(&p, o->plot, "sweep-throughput"))
		return;
	fprintf(p.dat, "# objects scalar_GB/s avx2_GB/s rmw_GB/s rmw256_GB/s\n");
	for (i = 0; i < o->nr_sizes; i++) {
		const struct tp_row *t = &r->tp[i];

		if (t->err)
			continue;
		fprintf(p.dat, "%llu %.4f %.4f %.4f %.4f\n", (unsigned long long)t->n,
			t->meta_bytes / t->cpu[1],
			t->ok[2] ? t->meta_bytes / t->cpu[2] : NAN,
			t->bw_rmw, t->bw_rmw_avx2);
	}
	bp_end(&p, "Sweep throughput against the read-modify-write bandwidth of the same run",
	       "set style data histograms\n"
	       "set style histogram clustered gap 1\n"
	       "set style fill solid 0.8 border -1\n"
	       "set ylabel 'GB/s of plane words (CPU time)'\n"
	       "set xlabel 'live objects'\n"
	       "set yrange [0:*]\n"
	       "plot 'sweep-throughput.dat' using 2:xtic(1) title 'sweep, scalar', \\\n"
	       "     '' using 3 title 'sweep, AVX2', \\\n"
	       "     '' using 4 title 'rmw loop, 64-bit', \\\n"
	       "     '' using 5 title 'rmw loop, AVX2'");
}

static void plot_pauses(const struct sopts *o, const struct sweep_res *r)
{
	struct bp_plot p;
	unsigned int i;

	if (bp_begin(&p, o->plot, "sweep-pauses"))
		return;
	fprintf(p.dat, "# objects p50_us p99_us max_us cpu_p50_us cpu_p99_us\n");
	for (i = 0; i < o->nr_pause_sizes; i++) {
		const struct pause_row *q = &r->pr[i];

		if (q->err)
			continue;
		fprintf(p.dat, "%llu %.3f %.3f %.3f %.3f %.3f\n",
			(unsigned long long)q->n, q->p50 / 1e3, q->p99 / 1e3,
			q->max / 1e3, q->cpu_p50 / 1e3, q->cpu_p99 / 1e3);
	}
	bp_end(&p, "Checkpoint pauses by heap size",
	       "set logscale xy\n"
	       "set xlabel 'live objects'\n"
	       "set ylabel 'pause, microseconds'\n"
	       "plot 'sweep-pauses.dat' using 1:2 with linespoints title 'p50 wall', \\\n"
	       "     '' using 1:3 with linespoints title 'p99 wall', \\\n"
	       "     '' using 1:4 with linespoints title 'max wall', \\\n"
	       "     '' using 1:5 with linespoints dashtype 2 title 'p50 CPU', \\\n"
	       "     '' using 1:6 with linespoints dashtype 2 title 'p99 CPU'");
}

void sweep_plot(const struct sopts *o, const struct sweep_res *r)
{
	if (!o->plot)
		return;
	plot_throughput(o, r);
	plot_pauses(o, r);
}
