// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench --plot: gnuplot data and scripts, rendered to SVG.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_plot.h"
#include "bench_util.h"

int bp_begin(struct bp_plot *p, const char *dir, const char *name)
{
	char path[640];

	memset(p, 0, sizeof(*p));
	if (strlen(dir) >= sizeof(p->dir) || strlen(name) >= sizeof(p->name)) {
		fprintf(stderr, "plot: %s/%s: name too long\n", dir, name);
		return -1;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "plot: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	strcpy(p->dir, dir);
	strcpy(p->name, name);
	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	p->dat = fopen(path, "w");
	if (!p->dat) {
		fprintf(stderr, "plot: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int have_gnuplot(void)
{
	return !system("command -v gnuplot >/dev/null 2>&1");
}

int bp_end(struct bp_plot *p, const char *title, const char *script)
{
	char gp[640], svg[640], cmd[1400];
	FILE *f;
	int st;

	if (!p->dat)
		return -1;
	fclose(p->dat);
	p->dat = NULL;
	snprintf(gp, sizeof(gp), "%s/%s.gp", p->dir, p->name);
	snprintf(svg, sizeof(svg), "%s/%s.svg", p->dir, p->name);
	f = fopen(gp, "w");
	if (!f) {
		fprintf(stderr, "plot: %s: %s\n", gp, strerror(errno));
		return -1;
	}
	fprintf(f, "# vgc-bench --plot: gnuplot %s.gp, from %s\n"
		"set terminal svg size 900,540 dynamic enhanced font 'sans,12'\n"
		"set output '%s.svg'\n"
		"set title \"%s\"\n"
		"set grid\n"
		"set key outside right top\n"
		"set datafile separator whitespace\n"
		"%s\n", p->name, p->dir, p->name, title, script);
	fclose(f);
	if (!have_gnuplot()) {
		fprintf(stderr, "plot: gnuplot not installed (apt-get install gnuplot-nox): "
			"data and script are in %s, render with: cd %s && gnuplot %s.gp\n",
			p->dir, p->dir, p->name);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot '%s.gp'", p->dir, p->name);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "plot: gnuplot failed on %s\n", gp);
		return -1;
	}
	fprintf(stderr, "plot: %s\n", svg);
	return 0;
}

static int progress_shown;

void bp_progress(const char *bench, const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r\033[Kvgc-bench %s: ", bench);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = 1;
}

void bp_progress_done(void)
{
	if (progress_shown && isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	progress_shown = 0;
}
