// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench python: the workloads of tools/python/bench/ under Debian's
 * python3.11 (pymalloc) and under vgc-python (VGC serves the MEM and OBJ
 * domains), side by side in one run (issue 15).
 *
 * Three interpreters: python3.11 (the baseline), vgc-python with
 * PYTHONMALLOC=pymalloc (the launcher steps aside: the same shared
 * libpython3.11 and launcher as vgc-python, on pymalloc) and vgc-python.
 * Debian's python3.11 links its interpreter statically and runs the same
 * Python code faster than the shared libpython does, so the middle one
 * separates what the allocator costs from what the binary costs.
 *
 * Every workload is a script that takes a size and prints "checksum HEX";
 * the checksum must be the same under all interpreters and in every
 * repetition, or the run fails.  Three passes:
 *
 * 1. served: each workload once at the reduced size under vgc-python
 *    --vgc-info --vgc-stats, which proves VGC served the allocations (its
 *    counters cost a locked add per call, so the timed runs go without);
 * 2. timed: --reps repetitions at the full size, the interpreters
 *    interleaved (their order rotates between repetitions, so drift on a
 *    shared machine hits all), each a child measured from outside: wall
 *    clock, CPU time (user + system of all its threads) and peak RSS from
 *    wait4(); medians and the ratios of vgc-python to each baseline;
 * 3. callgrind: each workload once at the reduced size under valgrind
 *    --tool=callgrind for each, and "-c pass" for the interpreter's own
 *    start-up and exit, so that the workload's instructions net of it
 *    can be compared.  vgc-python runs there with VGC_RESERVE_MB (see
 *    cg_reserve_mb()).
 *
 * Targets (issue 15): CPU time and instructions at most 1.05x
 * pymalloc's, peak RSS at most 1.0x; each is marked met or not met
 * against both baselines.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <vgcu.h>
#include "bench.h"
#include "bench_util.h"
#include "python_child.h"

#define MAX_REPS	64
#define RUN_TIMEOUT_S	600
#define CPU_TARGET	1.05
#define IR_TARGET	1.05
#define RSS_TARGET	1.00

struct py_workload {
	const char *name;	/* tools/python/bench/<name>.py */
	unsigned long full;	/* size of the timed runs */
	unsigned long small;	/* --quick, served and callgrind runs */
};

/* Sizes: about a second under python3.11 at full, a fortieth at small. */
static const struct py_workload workloads[] = {
	{ "churn", 1500000, 30000 },
	{ "dicts", 1000000, 20000 },
	{ "jsonrt", 12000, 400 },
	{ "regex", 200000, 5000 },
	{ "sorting", 80000, 2000 },
	{ "classes", 14, 8 },
	{ "threads", 600000, 12000 },
};

#define NR_WORKLOADS	(sizeof(workloads) / sizeof(workloads[0]))

enum { PY, PYM, VGC, NR_INTERP };

static const char *const interp_names[NR_INTERP] = {
	"python3.11", "vgc-python+pymalloc", "vgc-python",
};
/* Column heads */
static const char *const interp_short[NR_INTERP] = { "py3.11", "so+pym", "vgc" };

struct popts {
	unsigned int reps;
	int json;
	int quick;
	int no_callgrind;
	const char *python;
	const char *vgc_python;
	const char *scripts;
	const char *only;
	const char *vgc_args;
	enum vgc_backend backend;
};

/* The first checksum seen at a size, which every other run must repeat. */
struct sum_ref {
	unsigned long size;
	int interp;
	const char *when;
	char sum[PY_CHECKSUM_LEN + 1];
};

struct wl_result {
	int selected;
	int bad;			/* a run failed or a checksum differed */
	unsigned long size;		/* timed runs */
	struct sum_ref ref[2];		/* per size: full, small */
	double wall[NR_INTERP][MAX_REPS];
	double cpu[NR_INTERP][MAX_REPS];
	double rss[NR_INTERP][MAX_REPS];
	unsigned int nr_runs[NR_INTERP];
	long long calls[4];		/* alloc free realloc foreign */
	double ir[NR_INTERP];
};

static const char *const call_names[4] = { "alloc", "free", "realloc", "foreign" };

static char vgcpy_path[PATH_MAX], scripts_dir[PATH_MAX], valgrind_path[PATH_MAX];
static char backend_line[256];
/* --vgc-args: launcher options for vgc-python's runs (not the pymalloc one) */
#define MAX_VGC_ARGS	8
static char vgc_args_buf[256];
static char *vgc_args[MAX_VGC_ARGS + 1];
static struct wl_result res[NR_WORKLOADS];

static void usage(void)
{
	size_t i;

	printf("usage: vgc-bench python [options]\n"
	       "  --reps N           timed repetitions per interpreter (default 3)\n"
	       "  --quick            the reduced sizes everywhere, one repetition\n"
	       "  --no-callgrind     no instruction counts\n"
	       "  --json             one JSON object instead of the tables\n"
	       "  --only A,B         these workloads only\n"
	       "  --python PATH      the baseline (default /usr/bin/python3.11)\n"
	       "  --vgc-python PATH  default: vgc-python next to vgc-bench\n"
	       "  --scripts DIR      the workloads (default: tools/python/bench of\n"
	       "                     the tree vgc-bench was built in, else\n"
	       "                     ../share/vgc/python-bench of its directory)\n"
	       "  --backend B        VGC_BACKEND of vgc-python: anon, module, auto\n"
	       "  --vgc-args \"A B\"   vgc-python options for its runs, e.g.\n"
	       "                     --vgc-no-profile\n"
	       "workloads (full / reduced size):");
	for (i = 0; i < NR_WORKLOADS; i++)
		printf(" %s (%lu/%lu)", workloads[i].name, workloads[i].full,
		       workloads[i].small);
	printf("\n");
}

/* snprintf() into a path: 0, or -1 when it did not fit. */
__attribute__((format(printf, 3, 4)))
static int path_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

static int is_exec(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode) && !access(p, X_OK);
}

static int is_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	return !path_fmt(p, sizeof(p), "%s/%s", dir, name) && !stat(p, &st) &&
	       S_ISREG(st.st_mode);
}

/* The first executable valgrind on PATH, or "" when there is none. */
static void find_valgrind(void)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	valgrind_path[0] = 0;
	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && !path_fmt(dir, sizeof(dir), "%.*s/valgrind", (int)n, path) &&
		    is_exec(dir)) {
			snprintf(valgrind_path, sizeof(valgrind_path), "%s", dir);
			return;
		}
		path += n + (path[n] == ':');
	}
}

/*
 * Defaults next to vgc-bench: build/tools/vgc-python, and the scripts of
 * the source tree build/ lies in.
 */
static int resolve_paths(const struct popts *o)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0) {
		perror("vgc-bench python: /proc/self/exe");
		return -1;
	}
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	if (o->vgc_python ?
	    path_fmt(vgcpy_path, sizeof(vgcpy_path), "%s", o->vgc_python) :
	    path_fmt(vgcpy_path, sizeof(vgcpy_path), "%s/vgc-python", exe)) {
		fprintf(stderr, "vgc-bench python: the vgc-python path is too long\n");
		return -1;
	}
	/*
	 * Room for "/<workload>.py".  Not given: the source tree's
	 * (build/tools/vgc-bench), else the installed ones (bin/vgc-bench).
	 */
	if (o->scripts ?
	    path_fmt(scripts_dir, sizeof(scripts_dir) - 64, "%s", o->scripts) :
	    path_fmt(scripts_dir, sizeof(scripts_dir) - 64,
		     "%s/../../tools/python/bench", exe)) {
		fprintf(stderr, "vgc-bench python: the scripts' path is too long\n");
		return -1;
	}
	if (!o->scripts && !is_file(scripts_dir, "_bench.py") &&
	    path_fmt(scripts_dir, sizeof(scripts_dir) - 64,
		     "%s/../share/vgc/python-bench", exe)) {
		fprintf(stderr, "vgc-bench python: the scripts' path is too long\n");
		return -1;
	}
	if (!is_exec(o->python)) {
		fprintf(stderr, "vgc-bench python: %s is not an executable "
			"(--python)\n", o->python);
		return -1;
	}
	if (!is_exec(vgcpy_path)) {
		fprintf(stderr, "vgc-bench python: %s is not an executable "
			"(make vgc-python, or --vgc-python)\n", vgcpy_path);
		return -1;
	}
	if (!is_file(scripts_dir, "_bench.py")) {
		fprintf(stderr, "vgc-bench python: no _bench.py in %s "
			"(--scripts: the tree's tools/python/bench, or "
			"share/vgc/python-bench where it is installed)\n",
			scripts_dir);
		return -1;
	}
	return 0;
}

/*
 * --vgc-args: split at spaces; each word a launcher option (--vgc-*,
 * --raw) or an option's argument, never one of Python's: those would
 * come before the launcher's own and end them.
 */
static int split_vgc_args(const char *s)
{
	char *p;
	int n = 0;

	if (!s)
		return 0;
	if (path_fmt(vgc_args_buf, sizeof(vgc_args_buf), "%s", s)) {
		fprintf(stderr, "vgc-bench python: --vgc-args: too long\n");
		return -1;
	}
	for (p = strtok(vgc_args_buf, " "); p; p = strtok(NULL, " ")) {
		if (n == MAX_VGC_ARGS || (*p == '-' && strncmp(p, "--vgc-", 6) &&
					  strcmp(p, "--raw"))) {
			fprintf(stderr, "vgc-bench python: --vgc-args: '%s': at "
				"most %d words, vgc-python's options (--vgc-*, "
				"--raw) and their arguments\n", p, MAX_VGC_ARGS);
			return -1;
		}
		vgc_args[n++] = p;
	}
	vgc_args[n] = NULL;
	return 0;
}

/* --only: every name must be a workload. */
static int select_workloads(const char *only)
{
	size_t i, n;

	for (i = 0; i < NR_WORKLOADS; i++)
		res[i].selected = !only;
	while (only && *only) {
		n = strcspn(only, ",");
		for (i = 0; i < NR_WORKLOADS; i++)
			if (strlen(workloads[i].name) == n &&
			    !strncmp(workloads[i].name, only, n))
				break;
		if (i == NR_WORKLOADS) {
			fprintf(stderr, "vgc-bench python: --only: no workload "
				"'%.*s'\n", (int)n, only);
			return -1;
		}
		res[i].selected = 1;
		only += n + (only[n] == ',');
	}
	return 0;
}

/*
 * Under valgrind the whole reserve of VGC's arena must fit valgrind's
 * address space: with valgrind 3.19, 6 regions of 8 GiB map and 6 of
 * 10 GiB do not (vgc_arena_open() fails with EINVAL).  The default reserve
 * is twice the machine's memory, up to 8 GiB for each of the 3 zones of
 * every partition, so a larger machine exceeds it.  1 GiB per region,
 * less with many CPUs (32 GiB in all), is plenty at the reduced sizes.
 */
static unsigned int cg_reserve_mb(void)
{
	int np = bu_nr_cpus();
	unsigned int mb = 32768 / (3 * (np > 0 ? (unsigned int)np : 1));

	if (mb > 1024)
		mb = 1024;
	return mb < 64 ? 64 : mb;
}

/*
 * The children's environment: nothing of ours chooses their allocator
 * (PYTHONMALLOC or -X dev would make vgc-python step aside, the stats
 * switch would add its counting), but PYTHONMALLOC=pymalloc makes the
 * middle baseline.
 */
static void child_env(const struct popts *o, int interp, char **env,
		      char *backend, char *reserve)
{
	int k = 0;

	/* with -E Python ignores it, the launcher does not: it steps aside */
	env[k++] = interp == PYM ? "PYTHONMALLOC=pymalloc" : "PYTHONMALLOC";
	env[k++] = "PYTHONDEVMODE";
	env[k++] = "VGC_PYTHON_STATS";
	env[k++] = "VGC_PYTHON_RAW";
	if (o->backend != VGC_BACKEND_AUTO)
		env[k++] = backend;
	if (reserve)
		env[k++] = reserve;
	env[k] = NULL;
}

static const char *interp_path(const struct popts *o, int interp)
{
	return interp == PY ? o->python : vgcpy_path;
}

/*
 * argv: [pre...] interpreter [launcher options, vgc-python only] -E -s -B
 * script size, or "-c pass" for start-up and exit alone (w NULL).
 * -E -s: the caller's PYTHON* variables and user site do not change
 * what either interpreter does; -B: no __pycache__ written next to the
 * scripts (an installed copy would not uninstall cleanly).
 */
static void build_argv(char **v, const struct popts *o, int interp,
		       const char *const *pre, const char *const *launcher,
		       const struct py_workload *w, char *script, char *size,
		       unsigned long n)
{
	int k = 0;

	for (; pre && *pre; pre++)
		v[k++] = (char *)*pre;
	v[k++] = (char *)interp_path(o, interp);
	for (int a = 0; interp == VGC && vgc_args[a]; a++)
		v[k++] = vgc_args[a];
	for (; interp != PY && launcher && *launcher; launcher++)
		v[k++] = (char *)*launcher;
	v[k++] = "-E";
	v[k++] = "-s";
	v[k++] = "-B";
	if (w) {
		/* resolve_paths() left room for the name */
		if (path_fmt(script, PATH_MAX, "%s/%s.py", scripts_dir, w->name))
			script[0] = 0;
		snprintf(size, 32, "%lu", n);
		v[k++] = script;
		v[k++] = size;
	} else {
		v[k++] = "-c";
		v[k++] = "pass";
	}
	v[k] = NULL;
}

static void show_failure(const char *what, const struct py_run *r)
{
	const char *out = r->out ? r->out : "";
	size_t len = strlen(out);
	const char *tail = len > 2000 ? out + len - 2000 : out;

	fprintf(stderr, "vgc-bench python: %s failed (wait status %#x); "
		"its output ends:\n%s\n", what, (unsigned int)r->status, tail);
}

/* The checksum of size n: the first run at n sets it, the others repeat it. */
static void check_sum(struct wl_result *wr, const struct py_workload *w,
		      unsigned long n, int interp, const char *when,
		      const struct py_run *r)
{
	struct sum_ref *ref = &wr->ref[n != wr->size];

	if (!r->checksum[0]) {
		fprintf(stderr, "vgc-bench python: %s %lu under %s (%s) "
			"printed no checksum\n", w->name, n,
			interp_names[interp], when);
		wr->bad = 1;
	} else if (!ref->sum[0]) {
		memcpy(ref->sum, r->checksum, sizeof(ref->sum));
		ref->size = n;
		ref->interp = interp;
		ref->when = when;
	} else if (strcmp(ref->sum, r->checksum)) {
		fprintf(stderr, "vgc-bench python: %s %lu: checksum %s under "
			"%s (%s), %s under %s (%s)\n", w->name, n, r->checksum,
			interp_names[interp], when, ref->sum,
			interp_names[ref->interp], ref->when);
		wr->bad = 1;
	}
}

/*
 * Runs interp on w (NULL: "-c pass") at size n; checks the checksum
 * against the workload's others.  0, or -1 when the run failed.
 */
static int run_one(const struct popts *o, int interp,
		   const struct py_workload *w, unsigned long n,
		   const char *const *pre, const char *const *launcher,
		   char *reserve, const char *when, struct py_run *r)
{
	char script[PATH_MAX], size[32], backend[64], what[128], *v[32], *env[8];
	int rc;

	snprintf(backend, sizeof(backend), "VGC_BACKEND=%s",
		 vgc_backend_name(o->backend));
	child_env(o, interp, env, backend, interp != PY ? reserve : NULL);
	build_argv(v, o, interp, pre, launcher, w, script, size, n);
	rc = py_child_run(v, env, RUN_TIMEOUT_S, r);
	snprintf(what, sizeof(what), "%s %s %lu (%s)", interp_names[interp],
		 w ? w->name : "-c pass", n, when);
	if (rc) {
		show_failure(what, r);
		if (w)
			res[w - workloads].bad = 1;
		return -1;
	}
	if (w)
		check_sum(&res[w - workloads], w, n, interp, when, r);
	return 0;
}

/* ---- pass 1: VGC served the allocations -------------------------------- */

static void backend_of(const char *out)
{
	const char *p = strstr(out, "vgc-python: backend ");
	size_t n;

	if (!p || backend_line[0])
		return;
	p += strlen("vgc-python: backend ");
	n = strcspn(p, ")\n");
	snprintf(backend_line, sizeof(backend_line), "%.*s%s", (int)n, p,
		 p[n] == ')' ? ")" : "");
}

/* The middle baseline really runs on pymalloc: the launcher stepped aside. */
static int pymalloc_check(const struct popts *o)
{
	static const char *const launcher[] = { "--vgc-info", NULL };
	struct py_run r;
	int ret = run_one(o, PYM, NULL, 0, NULL, launcher, NULL, "--vgc-info", &r);

	if (!ret && !strstr(r.out, "allocator pymalloc asked for")) {
		fprintf(stderr, "vgc-bench python: vgc-python with "
			"PYTHONMALLOC=pymalloc did not step aside:\n%s\n", r.out);
		ret = -1;
	}
	py_run_free(&r);
	return ret;
}

static int served_pass(const struct popts *o)
{
	static const char *const launcher[] = { "--vgc-info", "--vgc-stats", NULL };
	int ret = pymalloc_check(o);
	size_t i;

	for (i = 0; i < NR_WORKLOADS; i++) {
		struct wl_result *wr = &res[i];
		struct py_run r;
		int c;

		if (!wr->selected)
			continue;
		if (run_one(o, VGC, &workloads[i], workloads[i].small, NULL,
			    launcher, NULL, "--vgc-stats", &r)) {
			py_run_free(&r);
			ret = -1;
			continue;
		}
		backend_of(r.out);
		for (c = 0; c < 4; c++)
			wr->calls[c] = py_out_field(r.out, "vgc-python: calls ",
						    call_names[c]);
		if (strstr(r.out, "VGC serves no domain") || wr->calls[0] <= 0) {
			fprintf(stderr, "vgc-bench python: %s: VGC served no "
				"allocation under vgc-python:\n%s\n",
				workloads[i].name, r.out);
			wr->bad = 1;
			ret = -1;
		}
		py_run_free(&r);
	}
	return ret;
}

static void print_served(void)
{
	size_t i;

	printf("\nserved by VGC (vgc-python --vgc-stats, reduced size): "
	       "allocator calls\n");
	printf("%-8s %8s %10s %10s %10s %8s\n", "workload", "size", "alloc",
	       "free", "realloc", "foreign");
	for (i = 0; i < NR_WORKLOADS; i++) {
		const struct wl_result *wr = &res[i];

		if (!wr->selected)
			continue;
		printf("%-8s %8lu %10lld %10lld %10lld %8lld\n",
		       workloads[i].name, workloads[i].small, wr->calls[0],
		       wr->calls[1], wr->calls[2], wr->calls[3]);
	}
}

/* ---- pass 2: timed ----------------------------------------------------- */

static int timed_pass(const struct popts *o)
{
	unsigned int rep;
	int ret = 0;
	size_t i;

	for (rep = 0; rep < o->reps; rep++) {
		for (i = 0; i < NR_WORKLOADS; i++) {
			struct wl_result *wr = &res[i];
			int k;

			if (!wr->selected)
				continue;
			for (k = 0; k < NR_INTERP; k++) {
				int interp = (int)((rep + (unsigned int)k) % NR_INTERP);
				unsigned int m = wr->nr_runs[interp];
				struct py_run r;

				if (run_one(o, interp, &workloads[i], wr->size,
					    NULL, NULL, NULL, "timed", &r)) {
					ret = -1;
				} else {
					wr->wall[interp][m] = r.wall_ms;
					wr->cpu[interp][m] = r.cpu_ms;
					wr->rss[interp][m] = r.rss_mib;
					wr->nr_runs[interp] = m + 1;
				}
				py_run_free(&r);
			}
		}
	}
	return ret;
}

static double med(double *v, unsigned int n)
{
	return n ? bu_median(v, n) : NAN;
}

/* Geometric mean of the ratios, over the workloads that have both. */
struct ratio_sum {
	double log_sum;
	unsigned int n, met;
};

static double ratio_add(struct ratio_sum *s, double vgc, double py,
			double target)
{
	double q = vgc / py;

	if (isfinite(q) && q > 0) {
		s->log_sum += log(q);
		s->n++;
		s->met += q <= target;
	}
	return q;
}

static double ratio_geomean(const struct ratio_sum *s)
{
	return s->n ? exp(s->log_sum / s->n) : NAN;
}

static void print_target(const char *what, const struct ratio_sum *s,
			 double target, int base)
{
	printf("target: %s <= %.2fx %s: %s (%u of %u workloads, geomean "
	       "%.2fx)\n", what, target, interp_names[base],
	       bu_met(s->n && s->met == s->n), s->met, s->n, ratio_geomean(s));
}

/*
 * One table per quantity: the three medians, vgc-python's ratio to each
 * baseline, and (first table) the checksum.
 */
static void print_metric(const char *title, const char *fmt, int which,
			 double target, const char *target_what)
{
	struct ratio_sum s[NR_INTERP] = { { 0 } };
	size_t i;
	int k;

	printf("\n%-17s | %8s %8s %8s | %7s %7s%s\n", title, interp_short[PY],
	       interp_short[PYM], interp_short[VGC], "vgc/py", "vgc/so",
	       which == 0 ? " | checksum" : "");
	for (i = 0; i < NR_WORKLOADS; i++) {
		struct wl_result *wr = &res[i];
		double m[NR_INTERP];

		if (!wr->selected)
			continue;
		for (k = 0; k < NR_INTERP; k++) {
			double *v = which == 0 ? wr->wall[k] :
				    which == 1 ? wr->cpu[k] : wr->rss[k];

			m[k] = med(v, wr->nr_runs[k]);
		}
		printf("%-8s %8lu |", workloads[i].name, wr->size);
		for (k = 0; k < NR_INTERP; k++)
			printf(fmt, m[k]);
		printf(" | %6.2fx %6.2fx", ratio_add(&s[PY], m[VGC], m[PY], target),
		       ratio_add(&s[PYM], m[VGC], m[PYM], target));
		if (which == 0)
			printf(" | %s", wr->bad ? "BAD" : wr->ref[0].sum);
		printf("\n");
	}
	printf("%-17s | %26s | %6.2fx %6.2fx\n", "geomean", "",
	       ratio_geomean(&s[PY]), ratio_geomean(&s[PYM]));
	if (target_what) {
		print_target(target_what, &s[PY], target, PY);
		print_target(target_what, &s[PYM], target, PYM);
	}
}

static void print_timed(const struct popts *o)
{
	printf("\ntimed: %u repetition%s, interleaved, medians; vgc/py = "
	       "vgc-python / python3.11, vgc/so = vgc-python / "
	       "vgc-python+pymalloc\n", o->reps, o->reps == 1 ? "" : "s");
	print_metric("wall ms", " %8.0f", 0, INFINITY, NULL);
	print_metric("CPU ms", " %8.0f", 1, CPU_TARGET, "CPU time");
	print_metric("peak RSS MiB", " %8.1f", 2, RSS_TARGET, "peak RSS");
}

/* ---- pass 3: callgrind --------------------------------------------------- */

/* Instructions of one run under callgrind, or NAN. */
static double cg_one(const struct popts *o, int interp,
		     const struct py_workload *w, char *reserve)
{
	char out[96], opt[128];
	const char *pre[] = { valgrind_path, "--tool=callgrind", "-q", opt, NULL };
	struct py_run r;
	double ir = NAN;

	snprintf(out, sizeof(out), "/tmp/vgc-bench-python-cg.%d", (int)getpid());
	snprintf(opt, sizeof(opt), "--callgrind-out-file=%s", out);
	if (!run_one(o, interp, w, w ? w->small : 0, pre, NULL, reserve,
		     "callgrind", &r))
		ir = bu_callgrind_ir(out);
	else
		unlink(out);
	py_run_free(&r);
	return ir;
}

static int callgrind_pass(const struct popts *o, double *startup)
{
	char reserve[48];
	int k, ret = 0;
	size_t i;

	snprintf(reserve, sizeof(reserve), "VGC_RESERVE_MB=%u", cg_reserve_mb());
	for (k = 0; k < NR_INTERP; k++) {
		startup[k] = cg_one(o, k, NULL, reserve);
		if (isnan(startup[k]))
			ret = -1;
	}
	for (i = 0; i < NR_WORKLOADS; i++) {
		if (!res[i].selected)
			continue;
		for (k = 0; k < NR_INTERP; k++) {
			res[i].ir[k] = cg_one(o, k, &workloads[i], reserve);
			if (isnan(res[i].ir[k]))
				ret = -1;
		}
	}
	return ret;
}

static void print_callgrind(const double *startup)
{
	struct ratio_sum s[NR_INTERP] = { { 0 } };
	size_t i;
	int k;

	printf("\ninstructions (callgrind, reduced size; VGC_RESERVE_MB=%u for "
	       "vgc-python), millions, net of each interpreter's -c pass\n",
	       cg_reserve_mb());
	printf("%-17s | %8s %8s %8s | %7s %7s\n", "workload", interp_short[PY],
	       interp_short[PYM], interp_short[VGC], "vgc/py", "vgc/so");
	printf("%-17s |", "-c pass (total)");
	for (k = 0; k < NR_INTERP; k++)
		printf(" %8.1f", startup[k] / 1e6);
	printf(" | %6.2fx %6.2fx\n", startup[VGC] / startup[PY],
	       startup[VGC] / startup[PYM]);
	for (i = 0; i < NR_WORKLOADS; i++) {
		const struct wl_result *wr = &res[i];
		double net[NR_INTERP];

		if (!wr->selected)
			continue;
		printf("%-8s %8lu |", workloads[i].name, workloads[i].small);
		for (k = 0; k < NR_INTERP; k++) {
			net[k] = wr->ir[k] - startup[k];
			printf(" %8.1f", net[k] / 1e6);
		}
		printf(" | %6.2fx %6.2fx\n",
		       ratio_add(&s[PY], net[VGC], net[PY], IR_TARGET),
		       ratio_add(&s[PYM], net[VGC], net[PYM], IR_TARGET));
	}
	printf("%-17s | %26s | %6.2fx %6.2fx\n", "geomean", "",
	       ratio_geomean(&s[PY]), ratio_geomean(&s[PYM]));
	print_target("instructions", &s[PY], IR_TARGET, PY);
	print_target("instructions", &s[PYM], IR_TARGET, PYM);
}

/* ---- --json ------------------------------------------------------------- */

static double *metric_of(struct wl_result *wr, int which, int k)
{
	return which == 0 ? wr->wall[k] : which == 1 ? wr->cpu[k] : wr->rss[k];
}

/* vgc-python's geomean ratio to each baseline and whether target holds. */
static void json_target(struct bj *j, const char *key, struct ratio_sum *s)
{
	static const char *const base_key[] = { "python3.11", "pymalloc_same_binary" };
	int b;

	bj_obj_begin(j, key);
	for (b = 0; b < 2; b++) {
		bj_obj_begin(j, base_key[b]);
		bj_num(j, "geomean", ratio_geomean(&s[b]));
		bj_u64(j, "workloads_met", s[b].met);
		bj_bool(j, "met", s[b].n && s[b].met == s[b].n);
		bj_obj_end(j);
	}
	bj_obj_end(j);
}

static void print_json(const struct popts *o, const double *startup, int sums_ok)
{
	static const char *const metric_key[] = { "wall_ms", "cpu_ms", "peak_rss_mib" };
	static const double target[] = { INFINITY, CPU_TARGET, RSS_TARGET };
	struct ratio_sum s[3][2] = { { { 0 } } }, si[2] = { { 0 } };
	struct bj j;
	size_t i;
	int k, m;

	bj_init(&j, stdout);
	bj_obj_begin(&j, NULL);
	bj_str(&j, "benchmark", "python");
	bj_str(&j, "python", o->python);
	bj_str(&j, "vgc_python", vgcpy_path);
	bj_str(&j, "backend", backend_line);
	bj_str(&j, "vgc_args", o->vgc_args ? o->vgc_args : "");
	bj_u64(&j, "reps", o->reps);
	bj_arr_begin(&j, "interpreters");
	for (k = 0; k < NR_INTERP; k++)
		bj_str(&j, NULL, interp_names[k]);
	bj_arr_end(&j);
	if (startup) {
		bj_arr_begin(&j, "startup_ir");
		for (k = 0; k < NR_INTERP; k++)
			bj_num(&j, NULL, startup[k]);
		bj_arr_end(&j);
	}
	bj_arr_begin(&j, "workloads");
	for (i = 0; i < NR_WORKLOADS; i++) {
		struct wl_result *wr = &res[i];

		if (!wr->selected)
			continue;
		bj_obj_begin(&j, NULL);
		bj_str(&j, "name", workloads[i].name);
		bj_u64(&j, "size", wr->size);
		bj_u64(&j, "reduced_size", workloads[i].small);
		bj_str(&j, "checksum", wr->ref[0].sum);
		bj_bool(&j, "ok", !wr->bad);
		bj_obj_begin(&j, "vgc_calls");
		for (k = 0; k < 4; k++)
			bj_i64(&j, call_names[k], wr->calls[k]);
		bj_obj_end(&j);
		for (m = 0; m < 3; m++) {
			double v[NR_INTERP];

			bj_arr_begin(&j, metric_key[m]);
			for (k = 0; k < NR_INTERP; k++) {
				v[k] = med(metric_of(wr, m, k), wr->nr_runs[k]);
				bj_num(&j, NULL, v[k]);
			}
			bj_arr_end(&j);
			ratio_add(&s[m][0], v[VGC], v[PY], target[m]);
			ratio_add(&s[m][1], v[VGC], v[PYM], target[m]);
		}
		if (startup) {
			bj_arr_begin(&j, "ir_net");
			for (k = 0; k < NR_INTERP; k++)
				bj_num(&j, NULL, wr->ir[k] - startup[k]);
			bj_arr_end(&j);
			ratio_add(&si[0], wr->ir[VGC] - startup[VGC],
				  wr->ir[PY] - startup[PY], IR_TARGET);
			ratio_add(&si[1], wr->ir[VGC] - startup[VGC],
				  wr->ir[PYM] - startup[PYM], IR_TARGET);
		}
		bj_obj_end(&j);
	}
	bj_arr_end(&j);
	bj_obj_begin(&j, "targets");
	json_target(&j, "cpu_time", s[1]);
	json_target(&j, "peak_rss", s[2]);
	if (startup)
		json_target(&j, "instructions", si);
	bj_obj_end(&j);
	bj_bool(&j, "checksums_equal", sums_ok);
	bj_obj_end(&j);
	bj_finish(&j);
}

/* ------------------------------------------------------------------------- */

int bench_python(int argc, char **argv)
{
	struct popts o = {
		.reps = 3,
		.python = "/usr/bin/python3.11",
		.backend = VGC_BACKEND_AUTO,
	};
	const struct bu_opt opts[] = {
		BU_UINT("reps", &o.reps, 1, MAX_REPS),
		BU_FLAG("quick", &o.quick),
		BU_FLAG("no-callgrind", &o.no_callgrind),
		BU_FLAG("json", &o.json),
		BU_STR("only", &o.only),
		BU_STR("python", &o.python),
		BU_STR("vgc-python", &o.vgc_python),
		BU_STR("scripts", &o.scripts),
		BU_STR("vgc-args", &o.vgc_args),
		BENCH_OPT_BACKEND(&o.backend),
		BU_OPT_END
	};
	double startup[NR_INTERP] = { NAN, NAN, NAN };
	int ret = 0, bad = 0, have_ir;
	size_t i;

	switch (bu_parse_opts("python", argc, argv, opts, NULL, 0, NULL)) {
	case 0:
		break;
	case BU_OPTS_HELP:
		usage();
		return 0;
	default:
		usage();
		return 2;
	}
	if (resolve_paths(&o) || select_workloads(o.only) ||
	    split_vgc_args(o.vgc_args))
		return 2;
	if (o.quick)
		o.reps = 1;
	for (i = 0; i < NR_WORKLOADS; i++)
		res[i].size = o.quick ? workloads[i].small : workloads[i].full;
	if (!o.no_callgrind)
		find_valgrind();

	ret |= served_pass(&o);
	if (!o.json) {
		printf("vgc-bench python: %s (pymalloc), %s with "
		       "PYTHONMALLOC=pymalloc (the shared libpython3.11 on "
		       "pymalloc) and vgc-python (VGC: MEM and OBJ domains, "
		       "backend %s)\n", o.python, vgcpy_path,
		       backend_line[0] ? backend_line : "unknown");
		if (o.vgc_args)
			printf("vgc-python runs with %s\n", o.vgc_args);
		print_served();
		fflush(stdout);
	}
	ret |= timed_pass(&o);
	if (!o.json) {
		print_timed(&o);
		fflush(stdout);
	}
	have_ir = !o.no_callgrind && valgrind_path[0];
	if (have_ir)
		ret |= callgrind_pass(&o, startup);
	for (i = 0; i < NR_WORKLOADS; i++)
		bad += res[i].selected && res[i].bad;
	if (o.json) {
		print_json(&o, have_ir ? startup : NULL, !bad);
	} else {
		if (have_ir)
			print_callgrind(startup);
		else
			printf("\ninstructions: not counted (%s)\n",
			       o.no_callgrind ? "--no-callgrind" :
			       "no valgrind on PATH");
		printf("checksums: %s\n", bad ? "MISMATCH or failed runs" :
		       "equal under all interpreters in every run");
	}
	return ret || bad ? 1 : 0;
}
