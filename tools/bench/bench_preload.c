// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench preload: real programs (preload_programs.c) under glibc,
 * jemalloc, mimalloc, tcmalloc and libvgcmalloc, each loaded the same way
 * (LD_PRELOAD; glibc: none), then the fork cost table (preload_fork.c).
 *
 * Runs interleave the allocators (A B C D E A B C D E ...) so that the
 * other tenants of a shared machine slow them all alike.  Each run is a
 * fresh process tree in a fresh directory; wall time, CPU time (user +
 * system, children included) and peak RSS come from wait4().  The tables
 * print medians and ratios against mimalloc, and for libvgcmalloc whether
 * the targets of issue 14 are met: time <= 1.05x and peak RSS <= 1.1x
 * mimalloc's.
 *
 * Verification: every run's output (standard output, and the object
 * files for gcc) is hashed, and the hash must be the same for every
 * allocator and rep; one more untimed libvgcmalloc run per program writes
 * VGC_SHOW_STATS statistics, read back to show how many allocations VGC
 * served and that glibc served none.  A mismatch, a failed run or a run
 * VGC did not serve is an error: the exit status is 1 and the work
 * directory is kept for a look.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "bench.h"
#include "bench_util.h"
#include "preload.h"
#include "preload_run.h"

#define LIBDIR		"/usr/lib/x86_64-linux-gnu/"
/* tools.mk passes both; these are for a build without it */
#ifndef VGC_LIBDIR
#define VGC_LIBDIR	"/usr/local/lib"
#endif
#ifndef VGC_SRCDIR
#define VGC_SRCDIR	""	/* none: gcc is skipped unless --src */
#endif
#define MAX_REPS	64
#define MAX_FORK_MB	8

enum { A_GLIBC, A_JEMALLOC, A_MIMALLOC, A_TCMALLOC, A_VGC, A_NR };

struct allocator {
	const char *name;
	const char *so;		/* NULL: glibc, no preload */
	int missing;
};

static struct allocator allocs[A_NR] = {
	{ "glibc",	NULL, 0 },
	{ "jemalloc",	LIBDIR "libjemalloc.so.2", 0 },
	{ "mimalloc",	LIBDIR "libmimalloc.so.2", 0 },
	{ "tcmalloc",	LIBDIR "libtcmalloc_minimal.so.4", 0 },
	{ "vgcmalloc",	NULL, 0 },	/* found at start */
};

struct cell {
	double wall[MAX_REPS], cpu[MAX_REPS], rss[MAX_REPS];
	unsigned int n;
	int failed;
	char why[200];
};

struct prog_state {
	const struct pl_prog *p;
	struct pl_cmd cmd;
	int state;		/* 0 ready, 1 skipped, -1 failed set-up */
	char why[256];
	char **envp[A_NR];
	uint64_t hash;		/* of the first run */
	int have_hash, mismatch;
	char ref[PATH_MAX];	/* the first run's output, kept */
	struct cell c[A_NR];
	/* what the statistics run found */
	uint64_t served, procs, glibc_calls, no_arena;
	char backend[64];
	int stats_ok;
};

static struct prog_state progs[16];
static char work[1024], self[PATH_MAX];	/* work: room for names below it */
static int keep_work;

static int selected(const char *only, const char *name)
{
	char buf[256], *t, *save;

	if (!only)
		return 1;
	snprintf(buf, sizeof(buf), "%s", only);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, name))
			return 1;
	return 0;
}

static int check_only(const char *only)
{
	char buf[256], *t, *save;
	size_t i;

	if (!only)
		return 0;
	snprintf(buf, sizeof(buf), "%s", only);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int ok = !strcmp(t, "fork");

		for (i = 0; i < pl_nr_progs; i++)
			ok |= !strcmp(t, pl_progs[i].name);
		if (!ok) {
			fprintf(stderr, "vgc-bench preload: --only %s: no such program; "
				"one or more of fork", t);
			for (i = 0; i < pl_nr_progs; i++)
				fprintf(stderr, ", %s", pl_progs[i].name);
			fprintf(stderr, "\n");
			return -1;
		}
	}
	return 0;
}

static int parse_mb_list(const char *s, uint64_t *mb, unsigned int *n)
{
	char buf[256], *t, *save;

	*n = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_FORK_MB || bu_parse_u64(t, &mb[*n]) ||
		    !mb[*n] || mb[*n] > 65536) {
			fprintf(stderr, "vgc-bench preload: --fork-mb %s: want up to %d "
				"sizes in MiB, 1..65536, comma separated\n", s,
				MAX_FORK_MB);
			return -1;
		}
		(*n)++;
	}
	return *n ? 0 : -1;
}

/* The libvgcmalloc.so beside this binary in the build tree, or installed. */
static const char *find_vgcmalloc(const char *opt)
{
	static char path[PATH_MAX];
	char *slash;

	if (opt)
		return opt;
	snprintf(path, sizeof(path), "%s", self);
	slash = strrchr(path, '/');
	if (slash) {
		snprintf(slash, sizeof(path) - (size_t)(slash - path),
			 "/../malloc/libvgcmalloc.so");
		if (!access(path, R_OK))
			return path;
	}
	return VGC_LIBDIR "/libvgcmalloc.so";
}

static const char *find_src(const char *opt)
{
	static char probe[PATH_MAX];

	if (opt)
		return opt;
	if (!VGC_SRCDIR[0])
		return NULL;
	snprintf(probe, sizeof(probe), "%s/lib/include/vgcu.h", VGC_SRCDIR);
	return access(probe, R_OK) ? NULL : VGC_SRCDIR;
}

static char **run_env(const struct pl_cmd *cmd, const char *so,
		      const char *stats)
{
	const char *extra[PL_MAX_ENV + 4];
	size_t k = 0, i;

	extra[k++] = "LC_ALL=C";
	for (i = 0; cmd->env[i]; i++)
		extra[k++] = cmd->env[i];
	if (so) {
		char *e = malloc(strlen(so) + 16);

		sprintf(e, "LD_PRELOAD=%s", so);
		extra[k++] = e;
	}
	if (stats) {
		char *e = malloc(strlen(stats) + 20);

		sprintf(e, "VGC_SHOW_STATS=%s", stats);
		extra[k++] = e;
	}
	extra[k] = NULL;
	return pr_env(extra);
}

/* ld.so says so on standard error when a preload did not load. */
static int preload_refused(const char *err_path)
{
	char buf[8192];
	FILE *f = fopen(err_path, "r");
	int bad = 0;

	if (!f)
		return 0;
	while (!bad && fgets(buf, sizeof(buf), f))
		bad = strstr(buf, "ld.so") && strstr(buf, "LD_PRELOAD");
	fclose(f);
	return bad;
}

/* The last lines of a failed run's standard error, for the report. */
static void tail_file(const char *path, const char *prefix)
{
	char buf[2048], *p;
	FILE *f = fopen(path, "r");
	size_t n;
	long sz;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, sz > (long)sizeof(buf) - 1 ? sz - (long)sizeof(buf) + 1 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
		fprintf(stderr, "%s%s\n", prefix, p);
}

/*
 * One run of program ps under allocator a (stats: the statistics file,
 * for the untimed run); the usage goes to *u.  0, or -1 with the cell's
 * reason set and the run's directory kept.
 */
static int one_run(struct prog_state *ps, int a, const char *stats,
		   unsigned int timeout_s, struct pr_usage *u, char *why,
		   size_t wl)
{
	char dir[1100], out[1200], err[1400], kept[1200];
	uint64_t h = BU_FNV_SEED;
	struct pr_spawn sp;
	char **envp = stats ? run_env(&ps->cmd, allocs[a].so, stats) : ps->envp[a];
	size_t i;
	int rc;

	snprintf(dir, sizeof(dir), "%s/run", work);
	snprintf(out, sizeof(out), "%s/stdout", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	pr_rmtree(dir);
	if (mkdir(dir, 0700)) {
		snprintf(why, wl, "%.120s: %s", dir, strerror(errno));
		return -1;
	}
	sp = (struct pr_spawn){ .argv = ps->cmd.argv, .envp = envp, .cwd = dir,
				.in = ps->cmd.in, .out = out, .err = err,
				.timeout_s = timeout_s };
	rc = pr_run(&sp, u);
	if (rc)
		snprintf(why, wl, "cannot start %s: %s", ps->cmd.argv[0], strerror(-rc));
	else if (u->timed_out)
		snprintf(why, wl, "killed after %u s", timeout_s);
	else if (WIFSIGNALED(u->status))
		snprintf(why, wl, "killed by signal %d", WTERMSIG(u->status));
	else if (WEXITSTATUS(u->status))
		snprintf(why, wl, "exit status %d", WEXITSTATUS(u->status));
	else if (preload_refused(err))
		snprintf(why, wl, "ld.so did not preload %s", allocs[a].so);
	if (!rc && !why[0]) {
		rc = pr_hash_file(out, &h);
		for (i = 0; !rc && ps->cmd.outputs[i]; i++) {
			char o[PATH_MAX * 2];

			snprintf(o, sizeof(o), "%s/%s", dir, ps->cmd.outputs[i]);
			h = bu_fnv1a(h, ps->cmd.outputs[i], strlen(ps->cmd.outputs[i]));
			rc = pr_hash_file(o, &h);
		}
		if (rc)
			snprintf(why, wl, "an output is missing: %s", strerror(-rc));
	}
	if (!why[0] && !ps->have_hash) {
		ps->hash = h;
		ps->have_hash = 1;
		snprintf(ps->ref, sizeof(ps->ref), "%s/%s.out", work, ps->p->name);
		rename(out, ps->ref);
	} else if (!why[0] && h != ps->hash) {
		snprintf(why, wl, "output hash %016llx, not %016llx",
			 (unsigned long long)h, (unsigned long long)ps->hash);
		ps->mismatch = 1;
	}
	if (!why[0]) {
		pr_rmtree(dir);
		return 0;
	}
	snprintf(kept, sizeof(kept), "%s/failed-%s-%s", work, ps->p->name,
		 allocs[a].name);
	pr_rmtree(kept);
	rename(dir, kept);
	keep_work = 1;
	fprintf(stderr, "vgc-bench preload: %s under %s: %s (kept in %s)\n",
		ps->p->name, allocs[a].name, why, kept);
	snprintf(err, sizeof(err), "%s/stderr", kept);
	tail_file(err, "    ");
	return -1;
}

/* Reads the VGC_SHOW_STATS lines of every process of the run back. */
static void read_stats(struct prog_state *ps, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	ps->served = ps->procs = ps->glibc_calls = ps->no_arena = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long m, c, r, al, g;
		char *p;

		if ((p = strstr(line, " calls: malloc ")) &&
		    sscanf(p, " calls: malloc %llu calloc %llu realloc %llu aligned %llu",
			   &m, &c, &r, &al) == 4) {
			ps->served += m + c + r + al;
			ps->procs++;
		} else if ((p = strstr(line, "; glibc ")) && sscanf(p, "; glibc %llu", &g) == 1) {
			ps->glibc_calls += g;
		} else if ((p = strstr(line, ": no arena; glibc served "))) {
			ps->no_arena++;
			if (sscanf(p, ": no arena; glibc served %llu", &g) == 1)
				ps->glibc_calls += g;
		} else if (!ps->backend[0] && (p = strstr(line, "): backend "))) {
			sscanf(p, "): backend %63s", ps->backend);
		}
	}
	fclose(f);
	ps->stats_ok = ps->procs > 0 && ps->served > 0 && !ps->glibc_calls &&
		       !ps->no_arena;
}

static void stats_run(struct prog_state *ps, unsigned int timeout_s)
{
	char path[PATH_MAX + 32], why[200] = "";
	struct pr_usage u;

	snprintf(path, sizeof(path), "%s/%s.stats", work, ps->p->name);
	unlink(path);
	if (one_run(ps, A_VGC, path, timeout_s, &u, why, sizeof(why))) {
		snprintf(ps->c[A_VGC].why, sizeof(ps->c[A_VGC].why),
			 "statistics run: %s", why);
		ps->c[A_VGC].failed = 1;
		return;
	}
	read_stats(ps, path);
	if (!ps->stats_ok)
		keep_work = 1;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* The table of one program; returns the number of targets met (0..2). */
static int print_prog(struct prog_state *ps, unsigned int reps, int *judged)
{
	double med[A_NR][3] = { { 0 } };
	int a, m = allocs[A_MIMALLOC].missing || ps->c[A_MIMALLOC].failed;
	int met = 0, ok_t, ok_r;

	printf("\n%s: %s\n", ps->p->name, ps->cmd.what);
	if (ps->state) {
		printf("  %s: %s\n", ps->state > 0 ? "skipped" : "FAILED", ps->why);
		return 0;
	}
	printf("  %-10s %9s %9s %11s %8s %8s %8s\n", "allocator", "wall s",
	       "CPU s", "peak RSS MB", "wall/mi", "CPU/mi", "RSS/mi");
	for (a = 0; a < A_NR; a++) {
		struct cell *c = &ps->c[a];

		if (allocs[a].missing) {
			printf("  %-10s skipped: %s missing\n", allocs[a].name, allocs[a].so);
			continue;
		}
		if (c->failed || !c->n) {
			printf("  %-10s FAILED: %s\n", allocs[a].name, c->why);
			continue;
		}
		med[a][0] = bu_median(c->wall, c->n);
		med[a][1] = bu_median(c->cpu, c->n);
		med[a][2] = bu_median(c->rss, c->n);
	}
	for (a = 0; a < A_NR; a++) {
		if (allocs[a].missing || ps->c[a].failed || !ps->c[a].n)
			continue;
		printf("  %-10s %9.3f %9.3f %11.1f", allocs[a].name, med[a][0],
		       med[a][1], med[a][2] / 1024);
		if (m)
			printf(" %8s %8s %8s\n", "-", "-", "-");
		else
			printf(" %7.2fx %7.2fx %7.2fx\n",
			       ratio(med[a][0], med[A_MIMALLOC][0]),
			       ratio(med[a][1], med[A_MIMALLOC][1]),
			       ratio(med[a][2], med[A_MIMALLOC][2]));
	}
	if (ps->mismatch)
		printf("  output hashes DIFFER between allocators (reference %s)\n", ps->ref);
	else if (ps->have_hash)
		printf("  output hash %016llx: the same in every run (%u reps)\n",
		       (unsigned long long)ps->hash, reps);
	if (!allocs[A_VGC].missing) {
		if (ps->procs || ps->no_arena)
			printf("  VGC served %llu allocations in %llu processes "
			       "(backend %s); glibc served %llu, fallbacks %llu: %s\n",
			       (unsigned long long)ps->served,
			       (unsigned long long)ps->procs,
			       ps->backend[0] ? ps->backend : "none",
			       (unsigned long long)ps->glibc_calls,
			       (unsigned long long)ps->no_arena,
			       ps->stats_ok ? "ok" : "NOT SERVED");
		else
			printf("  VGC statistics: none written (NOT SERVED)\n");
	}
	if (m || allocs[A_VGC].missing || ps->c[A_VGC].failed || !ps->c[A_VGC].n) {
		printf("  targets: not judged (no mimalloc or libvgcmalloc numbers)\n");
		return 0;
	}
	ok_t = med[A_VGC][0] <= 1.05 * med[A_MIMALLOC][0];
	ok_r = med[A_VGC][2] <= 1.10 * med[A_MIMALLOC][2];
	printf("  targets: time %.2fx <= 1.05x %s; peak RSS %.2fx <= 1.10x %s\n",
	       ratio(med[A_VGC][0], med[A_MIMALLOC][0]), bu_met(ok_t),
	       ratio(med[A_VGC][2], med[A_MIMALLOC][2]), bu_met(ok_r));
	met = ok_t + ok_r;
	(*judged)++;
	return met;
}

static double loadavg(void)
{
	double l = -1;

	if (getloadavg(&l, 1) != 1)
		return -1;
	return l;
}

static int child_xfree(int argc, char **argv)
{
	uint64_t t, n;

	if (argc != 4 || bu_parse_u64(argv[2], &t) || bu_parse_u64(argv[3], &n) ||
	    !t || t > 256 || !n) {
		fprintf(stderr, "vgc-bench preload --child-xfree THREADS ITEMS\n");
		return 2;
	}
	return preload_xfree((unsigned int)t, n);
}

static void usage(void)
{
	printf("usage: vgc-bench preload [--quick] [--reps N] [--only LIST] [--fork-mb LIST]\n"
	       "                         [--vgcmalloc PATH] [--src DIR] [--timeout S]\n\n"
	       "Real programs under glibc, jemalloc, mimalloc, tcmalloc and libvgcmalloc\n"
	       "(LD_PRELOAD), interleaved, medians of wall, CPU and peak RSS; then fork() cost.\n"
	       "  --quick        tiny inputs, 1 rep, 16 MiB fork heap (the selftest)\n"
	       "  --reps N       runs per program and allocator (default 3)\n"
	       "  --only LIST    comma separated: python, gcc, git, sqlite, xfree, fork\n"
	       "  --fork-mb LIST fork table heap sizes in MiB (default 100,1024)\n"
	       "  --vgcmalloc P  libvgcmalloc.so (default: the build tree's, or installed)\n"
	       "  --src DIR      the source tree gcc compiles lib/*.c of\n"
	       "  --timeout S    per run (default 600)\n");
}

int bench_preload(int argc, char **argv)
{
	const char *only = NULL, *fork_mb = NULL, *vgcm = NULL, *src = NULL;
	unsigned int reps = 0, timeout_s = 600, nmb, rep, nprogs = 0, i;
	int quick = 0, a, errors = 0, met = 0, judged = 0, help;
	uint64_t mb[MAX_FORK_MB], checksum = BU_FNV_SEED;
	const struct bu_opt opts[] = {
		BU_FLAG("quick", &quick),
		BU_UINT("reps", &reps, 1, MAX_REPS),
		BU_STR("only", &only),
		BU_STR("fork-mb", &fork_mb),
		BU_STR("vgcmalloc", &vgcm),
		BU_STR("src", &src),
		BU_UINT("timeout", &timeout_s, 1, 86400),
		BU_OPT_END
	};
	struct pl_ctx ctx;
	const char *tmp;
	ssize_t sl;

	if (argc > 1 && !strcmp(argv[1], "--child-xfree"))
		return child_xfree(argc, argv);
	help = bu_parse_opts("preload", argc, argv, opts, NULL, 0, NULL);
	if (help == BU_OPTS_HELP) {
		usage();
		return 0;
	}
	if (help || check_only(only))
		return 2;
	if (!reps)
		reps = quick ? 1 : 3;
	if (parse_mb_list(fork_mb ? fork_mb : quick ? "16" : "100,1024", mb, &nmb))
		return 2;
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0) {
		perror("vgc-bench preload: /proc/self/exe");
		return 1;
	}
	self[sl] = 0;
	allocs[A_VGC].so = find_vgcmalloc(vgcm);
	for (a = 0; a < A_NR; a++)
		allocs[a].missing = allocs[a].so && access(allocs[a].so, R_OK);
	tmp = getenv("TMPDIR");
	snprintf(work, sizeof(work), "%s/vgc-bench-preload.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(work)) {
		fprintf(stderr, "vgc-bench preload: mkdtemp %s: %s\n", work, strerror(errno));
		return 1;
	}
	ctx = (struct pl_ctx){ .work = work, .self = self, .src = find_src(src),
			       .quick = quick };

	printf("vgc-bench preload: %u reps, allocators interleaved; load average %.2f\n",
	       reps, loadavg());
	for (a = 0; a < A_NR; a++)
		printf("  %-10s %s%s\n", allocs[a].name,
		       allocs[a].so ? allocs[a].so : "no preload",
		       allocs[a].missing ? " (missing: skipped)" : "");
	for (i = 0; i < pl_nr_progs; i++) {
		struct prog_state *ps = &progs[nprogs];

		if (!selected(only, pl_progs[i].name))
			continue;
		ps->p = &pl_progs[i];
		ps->state = ps->p->setup(&ctx, &ps->cmd, ps->why, sizeof(ps->why));
		if (ps->state < 0) {
			errors++;
			keep_work = 1;
		}
		for (a = 0; a < A_NR; a++)
			ps->envp[a] = run_env(&ps->cmd, allocs[a].so, NULL);
		nprogs++;
	}
	fflush(stdout);
	for (rep = 0; rep < reps; rep++) {
		fprintf(stderr, "vgc-bench preload: rep %u of %u...\n", rep + 1, reps);
		for (i = 0; i < nprogs; i++)
			for (a = 0; a < A_NR; a++) {
				struct prog_state *ps = &progs[i];
				struct cell *c = &ps->c[a];
				struct pr_usage u;

				if (ps->state || allocs[a].missing || c->failed)
					continue;
				if (one_run(ps, a, NULL, timeout_s, &u, c->why,
					    sizeof(c->why))) {
					c->failed = 1;
					continue;
				}
				c->wall[c->n] = u.wall_s;
				c->cpu[c->n] = u.cpu_s;
				c->rss[c->n++] = (double)u.maxrss_kb;
			}
	}
	for (i = 0; i < nprogs; i++)
		if (!progs[i].state && !allocs[A_VGC].missing && !progs[i].c[A_VGC].failed)
			stats_run(&progs[i], timeout_s);
	for (i = 0; i < nprogs; i++) {
		struct prog_state *ps = &progs[i];

		met += print_prog(ps, reps, &judged);
		checksum = bu_mix(checksum, ps->hash);
		for (a = 0; a < A_NR; a++)
			errors += ps->c[a].failed;
		errors += ps->mismatch;
		errors += !ps->state && !allocs[A_VGC].missing && !ps->stats_ok &&
			  !ps->c[A_VGC].failed;
	}
	if (nprogs)
		printf("\ntargets (libvgcmalloc vs mimalloc: wall time <= 1.05x, peak RSS <= 1.10x): "
		       "%d of %d met over %d programs; load average %.2f\n",
		       met, judged * 2, judged, loadavg());
	if (selected(only, "fork") && preload_fork_table(mb, nmb, quick ? 3 : reps, &checksum))
		errors++;
	printf("\nerrors: %d\nchecksum: %016llx\n", errors, (unsigned long long)checksum);
	if (keep_work)
		fprintf(stderr, "vgc-bench preload: work directory kept: %s\n", work);
	else
		pr_rmtree(work);
	return errors ? 1 : 0;
}
