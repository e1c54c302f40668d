// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-python on the module backend (docs/vgc-python.md, "Tests"): in the
 * VM, CPython on /dev/vgc behaves as Debian's python3.11.  --vgc-info
 * names the module; python_module_procs.py (os.fork(), subprocess,
 * threads, multiprocessing's fork, forkserver and spawn) prints the same
 * under both interpreters, each of its processes on the module; and a
 * small list of CPython's regression modules gets the same verdicts.
 *
 * Skips where there is no module, or one without VGC_FEAT_FORK_COPY (a
 * forked interpreter would share its parent's heap there): the host's
 * anonymous backend is selftests/build/python_test.sh's.  Needs
 * build/tools/vgc-python, python3.11 and its test package, which the VM
 * sees over 9p.
 */
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

#define PY		"/usr/bin/python3.11"
#define PY_TESTS	"/usr/lib/python3.11/test/support/__init__.py"

/*
 * Quick modules (a tenth of a second or two of CPU each on the host, some
 * ten seconds under TCG, where CPython runs 40 times slower) that fork,
 * run threads and allocate a lot: a verdict that differs is the
 * allocator's.
 */
static const char *const regr_modules[] = {
	"test_fork1", "test_threading_local", "test_dict", "test_re",
};
#define NR_MODULES	(sizeof(regr_modules) / sizeof(regr_modules[0]))

enum verdict { V_MISSING, V_PASS, V_ENV, V_SKIP, V_FAIL };
static const char *const verdict_name[] = {
	"missing", "pass", "env changed", "skip", "fail",
};

FIXTURE(pymod) {
	char vgcpy[PATH_MAX];
	char script[PATH_MAX];
	char dir[64];
	const char *skip;
};

/* Why the test cannot run here, or NULL. */
static const char *why_skip(FIXTURE_DATA(pymod) *self)
{
	struct vgc_version v;

	if (vgc_module_version(&v))
		return "no usable /dev/vgc: the anonymous backend is python_test.sh's";
	if (!(v.features & VGC_FEAT_FORK_COPY))
		return "module without VGC_FEAT_FORK_COPY: a fork()ed interpreter would share its parent's heap";
	if (vgct_build_path(self->vgcpy, sizeof(self->vgcpy), "tools/vgc-python") ||
	    vgct_build_path(self->script, sizeof(self->script),
			    "selftests/lib/python_module_procs.py"))
		return "cannot read /proc/self/exe";
	if (access(self->vgcpy, X_OK))
		return "build/tools/vgc-python not built (libpython3.11-dev)";
	if (access(self->script, R_OK))
		return "python_module_procs.py not next to the test";
	if (access(PY, X_OK) || access(PY_TESTS, R_OK))
		return "no " PY " or no libpython3.11-testsuite";
	return NULL;
}

FIXTURE_SETUP(pymod)
{
	extern char **environ;
	char **e;

	self->skip = why_skip(self);
	if (self->skip)
		return;
	strcpy(self->dir, "/tmp/vgc-pymod-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	/*
	 * The caller's PYTHON* variables would change both interpreters
	 * (PYTHONMALLOC turns the launcher aside); restart the scan after
	 * each removal, since unsetenv() moves the entries.
	 */
	for (e = environ; *e; ) {
		if (!strncmp(*e, "PYTHON", 6)) {
			char name[128];
			size_t n = strcspn(*e, "=");

			snprintf(name, sizeof(name), "%.*s", (int)n, *e);
			unsetenv(name);
			e = environ;
		} else {
			e++;
		}
	}
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

FIXTURE_TEARDOWN(pymod)
{
	if (!self->skip && self->dir[0] == '/')
		nftw(self->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The last bytes of a file, for the log. */
static void log_tail(struct __test_metadata *_metadata, const char *path)
{
	char buf[3001];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	if (ftell(f) > (long)sizeof(buf) - 1)
		fseek(f, -(long)(sizeof(buf) - 1), SEEK_END);
	else
		fseek(f, 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	TH_LOG("%s:\n%s", path, buf);
}

TEST_F_TIMEOUT(pymod, info_names_the_module, 60)
{
	char cmd[PATH_MAX + 64];
	char *out;
	int st;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	snprintf(cmd, sizeof(cmd), "VGC_BACKEND=module '%s' --vgc-info 2>&1", self->vgcpy);
	out = vgct_run(cmd, 4 << 20, &st);
	ASSERT_NE(NULL, out);
	TH_LOG("%s", out);
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, strncmp(out, "vgc-python: backend module (", 28));
	free(out);
}

/*
 * python_module_procs.py under one interpreter in the scratch directory:
 * its stdout, its stderr in <dir>/<tag>.err.
 */
static char *run_procs(FIXTURE_DATA(pymod) *self, const char *interp,
		       const char *tag, int want, int *st, double *secs)
{
	char cmd[3 * PATH_MAX];
	uint64_t t0 = vgct_now_ns();
	char *out;

	snprintf(cmd, sizeof(cmd),
		 "cp '%s' '%s/procs.py' && cd '%s' && VGC_BACKEND=module VGC_PYMOD_WANT=%d "
		 "timeout -k 5 100 '%s' procs.py 2>'%s.err'",
		 self->script, self->dir, self->dir, want, interp, tag);
	out = vgct_run(cmd, 4 << 20, st);
	*secs = (vgct_now_ns() - t0) / 1e9;
	return out;
}

TEST_F_TIMEOUT(pymod, fork_subprocess_multiprocessing, 220)
{
	char err[PATH_MAX];
	char *vgc, *py;
	double tv, tp;
	int sv, sp;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	vgc = run_procs(self, self->vgcpy, "vgc", 1, &sv, &tv);
	ASSERT_NE(NULL, vgc);
	py = run_procs(self, PY, "py", 0, &sp, &tp);
	ASSERT_NE(NULL, py);
	TH_LOG("vgc-python: exit %d, %.1f s; python3.11: exit %d, %.1f s",
	       sv, tv, sp, tp);
	TH_LOG("vgc-python:\n%s", vgc);
	/* stderr: each step's time, or what went wrong. */
	snprintf(err, sizeof(err), "%s/vgc.err", self->dir);
	log_tail(_metadata, err);
	snprintf(err, sizeof(err), "%s/py.err", self->dir);
	log_tail(_metadata, err);
	EXPECT_EQ(0, sv);
	EXPECT_EQ(0, sp);
	/* Every step ran, and no process was off (or on) the module. */
	EXPECT_NE(NULL, strstr(py, "\ndone\n"));
	EXPECT_EQ(NULL, strstr(py, "False"));
	EXPECT_STREQ(py, vgc) TH_LOG("python3.11:\n%s", py);
	free(vgc);
	free(py);
}

static int module_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NR_MODULES; i++)
		if (strlen(regr_modules[i]) == len && !strncmp(regr_modules[i], name, len))
			return (int)i;
	return -1;
}

/*
 * The verdicts of regrtest's summary: after "== Tests result", a line
 * "N tests failed:" (skipped:, altered the execution environment:, run no
 * tests:, omitted:) and the names indented below it.  A module in no list
 * passed; without the summary (the interpreter died) every one is missing.
 */
static void verdicts(const char *log, enum verdict *v)
{
	const char *p = strstr(log, "\n== Tests result");
	enum verdict section = V_MISSING;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < NR_MODULES; i++)
		v[i] = V_PASS;
	for (p = strchr(p + 1, '\n'); p && *++p; p = strchr(p, '\n')) {
		const char *eol = strchrnul(p, '\n');

		if (!strncmp(p, "    ", 4)) {
			while (p < eol) {
				size_t n;
				int k;

				p += strspn(p, " ");
				n = strcspn(p, " \n");
				k = module_index(p, n);
				if (section != V_MISSING && k >= 0)
					v[k] = section;
				p += n;
			}
			continue;
		}
		section = V_MISSING;
		if (eol > p && eol[-1] == ':') {
			if (memmem(p, eol - p, "failed:", 7) || memmem(p, eol - p, "omitted:", 8))
				section = V_FAIL;
			else if (memmem(p, eol - p, "altered the execution environment", 33))
				section = V_ENV;
			else if (memmem(p, eol - p, "skipped:", 8) ||
				 memmem(p, eol - p, "run no tests:", 13))
				section = V_SKIP;
		}
		p = eol;
		if (!*p)
			break;
	}
}

/*
 * regrtest over regr_modules in one interpreter: a worker per module would
 * start an interpreter each, seconds under TCG.  A crash ends the run
 * without a summary.
 */
static char *run_regrtest(FIXTURE_DATA(pymod) *self, const char *interp,
			  int *st, double *secs)
{
	char cmd[2 * PATH_MAX + 512];
	uint64_t t0 = vgct_now_ns();
	size_t i, len;
	char *out;

	len = snprintf(cmd, sizeof(cmd),
		       "cd '%s' && VGC_BACKEND=module timeout -k 5 100 '%s' -m test --timeout 90 --slowest",
		       self->dir, interp);
	for (i = 0; i < NR_MODULES; i++)
		len += snprintf(cmd + len, sizeof(cmd) - len, " %s", regr_modules[i]);
	snprintf(cmd + len, sizeof(cmd) - len, " 2>&1");
	out = vgct_run(cmd, 4 << 20, st);
	*secs = (vgct_now_ns() - t0) / 1e9;
	return out;
}

TEST_F_TIMEOUT(pymod, regrtest_same_verdicts, 220)
{
	enum verdict vv[NR_MODULES] = { 0 }, vp[NR_MODULES] = { 0 };
	double tv, tp;
	char *vgc, *py;
	int sv, sp, passed = 0;
	size_t i;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	vgc = run_regrtest(self, self->vgcpy, &sv, &tv);
	ASSERT_NE(NULL, vgc);
	py = run_regrtest(self, PY, &sp, &tp);
	ASSERT_NE(NULL, py);
	verdicts(vgc, vv);
	verdicts(py, vp);
	TH_LOG("vgc-python: exit %d, %.1f s; python3.11: exit %d, %.1f s",
	       sv, tv, sp, tp);
	for (i = 0; i < NR_MODULES; i++) {
		int same = vv[i] == vp[i] ||
			   ((vv[i] == V_PASS || vv[i] == V_ENV) &&
			    (vp[i] == V_PASS || vp[i] == V_ENV));

		TH_LOG("%s: vgc-python %s, python3.11 %s", regr_modules[i],
		       verdict_name[vv[i]], verdict_name[vp[i]]);
		EXPECT_NE(V_MISSING, vv[i]);
		EXPECT_NE(V_MISSING, vp[i]);
		EXPECT_TRUE(same);
		passed += vp[i] == V_PASS;
	}
	/* A list that passes nowhere would compare nothing. */
	EXPECT_GT(passed, 0);
	TH_LOG("vgc-python:\n%s\npython3.11:\n%s", vgc, py);
	free(vgc);
	free(py);
}

TEST_HARNESS_MAIN
