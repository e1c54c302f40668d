// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench --plot: gnuplot data and scripts, rendered to SVG.
 */
#include <errno.h>
#include <fcntl.h>
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

/* Writes s on one line of a gnuplot comment: no newline ends it early. */
static void put_comment(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\r' || *s == '\\' ? '?' : *s, f);
}

/*
 * Runs "gnuplot script" in dir, without a shell: dir is the user's, and no
 * quoting of it is safe in a command line.  0: gnuplot exited 0; 1: there
 * is no gnuplot; -1 with a message otherwise.  A failed chdir or exec in
 * the child comes back through a close-on-exec pipe.
 */
static int run_gnuplot(const char *dir, const char *script)
{
	char *const argv[] = { "gnuplot", (char *)script, NULL };
	int fds[2], msg[2] = { 0, 0 }, st;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		fprintf(stderr, "plot: pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "plot: fork: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		if (chdir(dir)) {
			msg[0] = 1;
		} else {
			execvp(argv[0], argv);
			msg[0] = 2;
		}
		msg[1] = errno;
		n = write(fds[1], msg, sizeof(msg));
		_exit(n == (ssize_t)sizeof(msg) ? 127 : 126);
	}
	close(fds[1]);
	do
		n = read(fds[0], msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "plot: waitpid: %s\n", strerror(errno));
			return -1;
		}
	}
	if (n == (ssize_t)sizeof(msg)) {
		if (msg[0] == 2 && msg[1] == ENOENT)
			return 1;
		fprintf(stderr, "plot: %s %s: %s\n",
			msg[0] == 1 ? "cd" : "gnuplot",
			msg[0] == 1 ? dir : script, strerror(msg[1]));
		return -1;
	}
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	if (WIFEXITED(st))
		fprintf(stderr, "plot: gnuplot exited with %d on %s/%s\n",
			WEXITSTATUS(st), dir, script);
	else
		fprintf(stderr, "plot: gnuplot killed by signal %d on %s/%s\n",
			WIFSIGNALED(st) ? WTERMSIG(st) : 0, dir, script);
	return -1;
}

int bp_end(struct bp_plot *p, const char *title, const char *script)
{
	char gp[640], svg[640];
	FILE *f;
	int ret;

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
	fprintf(f, "# vgc-bench --plot: gnuplot %s.gp, from ", p->name);
	put_comment(f, p->dir);
	fprintf(f, "\n"
		"set terminal svg size 900,540 dynamic enhanced font 'sans,12'\n"
		"set output '%s.svg'\n"
		"set title \"%s\"\n"
		"set grid\n"
		"set key outside right top\n"
		"set datafile separator whitespace\n"
		"%s\n", p->name, title, script);
	if (fclose(f)) {
		fprintf(stderr, "plot: %s: %s\n", gp, strerror(errno));
		return -1;
	}
	snprintf(gp, sizeof(gp), "%s.gp", p->name);
	ret = run_gnuplot(p->dir, gp);
	if (ret == 1)
		fprintf(stderr, "plot: gnuplot not installed (apt-get install gnuplot-nox): "
			"data and script are in %s, render with: cd %s && gnuplot %s\n",
			p->dir, p->dir, gp);
	else if (!ret)
		fprintf(stderr, "plot: %s\n", svg);
	return ret;
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
