/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --plot DIR: charts where people would rather look than read.  A plot is
 * a gnuplot data file and script in DIR, rendered to DIR/<name>.svg by
 * Debian's gnuplot; without gnuplot the data and the script stay, and the
 * benchmark says how to render them.
 */
#ifndef VGC_BENCH_PLOT_H
#define VGC_BENCH_PLOT_H

#include <stdio.h>

struct bp_plot {
	FILE *dat;		/* write the data rows here */
	char dir[512];
	char name[64];
};

/* Opens DIR/name.dat (DIR is created); 0 or -1 with a message. */
int bp_begin(struct bp_plot *p, const char *dir, const char *name);
/*
 * Writes DIR/name.gp: an SVG terminal and output, then script (which reads
 * 'name.dat', run from DIR), and renders it.  Returns 0 when the SVG was
 * written, 1 when gnuplot is missing, -1 on errors.
 */
int bp_end(struct bp_plot *p, const char *title, const char *script);

/* Progress on stderr while a long run works, only when it is a terminal. */
void bp_progress(const char *bench, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bp_progress_done(void);

#endif
