// SPDX-License-Identifier: GPL-2.0
/*
 * libvgcmalloc.so on the module backend, under real programs (the VM's
 * share of issue 14; the host's is selftests/build/malloc_test.sh).  Each
 * case runs a program twice, plainly and with LD_PRELOAD=libvgcmalloc.so
 * VGC_BACKEND=module VGC_SHOW_STATS=<file>: both runs must print the same
 * and exit alike, and the statistics must show that every process that
 * reported ran on the module, that they made more than 1000 malloc calls
 * together, and that glibc served none.  python3.11 forks without exec'ing
 * (os.fork, multiprocessing), which needs the module's copy of the arena
 * at fork() (VGC_FEAT_FORK_COPY): without /dev/vgc or that feature every
 * case skips, so on the host this test skips.  A program that is not
 * installed skips its case.
 *
 * The VM emulates its CPUs: the workloads are small.  The library comes
 * from malloc/ next to selftests/ in the build tree (or its snapshot).
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

extern char **environ;

#define PYTHON		"/usr/bin/python3.11"	/* Debian's: no shim first */
#define RUN_TIMEOUT_S	120			/* one run, in the VM */
#define MIN_MALLOCS	1000

FIXTURE(mm)
{
	char why[256];		/* non-empty: every case skips */
	char so[PATH_MAX];	/* build/malloc/libvgcmalloc.so */
	char stress[PATH_MAX];	/* build/malloc/vgcmalloc-stress */
	char tmp[64];		/* the case's directory, removed after */
};

/* A program run: argv, where its stdin comes from, its directory. */
struct prog {
	const char *const *argv;
	const char *in;		/* NULL: /dev/null */
	const char *cwd;	/* NULL: the case's directory */
};

/* What the statistics of one preloaded run add up to. */
struct tally {
	unsigned int procs;		/* "backend" lines */
	unsigned int on_module;		/* ... that say "backend module" */
	unsigned int no_arena;		/* processes that glibc served */
	unsigned long long mallocs;
	unsigned long long glibc;	/* calls glibc served */
};

/* The full name of a program on $PATH, or -1 when there is none. */
static int find_prog(char *buf, size_t len, const char *name)
{
	const char *path = getenv("PATH"), *p, *end;

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)(end - p), p,
				     name) < len && !access(buf, X_OK))
			return 0;
	}
	return -1;
}

FIXTURE_SETUP(mm)
{
	struct vgc_version v;
	int err;

	if (access("/dev/vgc", F_OK)) {
		snprintf(self->why, sizeof(self->why),
			 "no /dev/vgc (the host: malloc_test.sh covers it)");
		return;
	}
	err = vgc_module_version(&v);
	if (err || !(v.features & VGC_FEAT_FORK_COPY)) {
		snprintf(self->why, sizeof(self->why),
			 "module without VGC_FEAT_FORK_COPY: forking programs would share the arena");
		return;
	}
	ASSERT_EQ(0, vgct_build_path(self->so, sizeof(self->so),
				"malloc/libvgcmalloc.so"));
	if (access(self->so, R_OK)) {
		snprintf(self->why, sizeof(self->why), "%.200s not built (make malloc)",
			 self->so);
		return;
	}
	ASSERT_EQ(0, vgct_build_path(self->stress, sizeof(self->stress),
				"malloc/vgcmalloc-stress"));
	strcpy(self->tmp, "/tmp/vgc-malloc-module-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->tmp)) TH_LOG("mkdtemp: %m");
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

FIXTURE_TEARDOWN(mm)
{
	if (self->tmp[0])
		nftw(self->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#define NEED_MODULE() do {						\
	if (self->why[0])						\
		SKIP(return, "%s", self->why);				\
} while (0)

/* environ without the preload's variables, then the extra ones. */
static char **make_env(const char *const *extra)
{
	static const char *const drop[] = {
		"LD_PRELOAD=", "VGC_SHOW_STATS=", "VGC_BACKEND=",
		"VGC_STATFILE=", "LC_ALL=",
	};
	size_t n = 0, k = 0, i, j;
	char **env;

	while (environ[n])
		n++;
	for (j = 0; extra[j]; j++)
		;
	env = calloc(n + j + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
			if (!strncmp(environ[i], drop[j], strlen(drop[j])))
				break;
		if (j == sizeof(drop) / sizeof(drop[0]))
			env[k++] = environ[i];
	}
	/* Same messages and sort order in both runs. */
	env[k++] = "LC_ALL=C";
	for (j = 0; extra[j]; j++)
		env[k++] = (char *)extra[j];
	return env;
}

/*
 * Runs p with its stdout into out and stderr into err (paths in the
 * case's directory), in a process group of its own so that a run past
 * RUN_TIMEOUT_S goes with all its children.  Returns the wait status, or
 * -1 when it could not start, or a SIGKILL status on timeout.
 */
static int run_prog(struct __test_metadata *_metadata, const char *tmp,
		    const struct prog *p, const char *const *extra,
		    const char *out, const char *err)
{
	char o[PATH_MAX], e[PATH_MAX];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	uint64_t end;
	char **env;
	pid_t pid;
	int rc, st;

	snprintf(o, sizeof(o), "%s/%s", tmp, out);
	snprintf(e, sizeof(e), "%s/%s", tmp, err);
	env = make_env(extra);
	if (!env)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, p->in ? p->in : "/dev/null",
					 O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addchdir_np(&fa, p->cwd ? p->cwd : tmp);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(&pid, p->argv[0], &fa, &at, (char *const *)p->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	if (rc) {
		TH_LOG("cannot run %s: %s", p->argv[0], strerror(rc));
		return -1;
	}
	end = vgct_now_ns() + RUN_TIMEOUT_S * 1000000000ULL;
	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (vgct_now_ns() > end) {
			TH_LOG("%s: still running after %us, killed", p->argv[0],
			       RUN_TIMEOUT_S);
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		usleep(10000);
	}
	/* Children that outlived their parent (daemons) go too. */
	kill(-pid, SIGKILL);
	return st;
}

/* A file's contents, NUL-terminated (NULL when unreadable); *len its size. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (n + 1 >= cap) {
			nb = realloc(buf, cap *= 2);
			if (!nb)
				break;
			buf = nb;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Whether two files hold the same bytes. */
static int same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb);
	int same = x && y && la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

/* The last lines of a file into the test's log. */
static void log_tail(struct __test_metadata *_metadata, const char *what,
		     const char *path)
{
	size_t len;
	char *s = slurp(path, &len), *p;
	int lines = 0;

	if (!s)
		return;
	for (p = s + len; p > s && lines < 12; p--)
		if (p[-1] == '\n' && p != s + len)
			lines++;
	TH_LOG("%s (%s):\n%s", what, path, p);
	free(s);
}

/* Sums the statistics file's lines (malloc/vgcmalloc.c, print_stats()). */
static int tally_stats(const char *path, struct tally *t)
{
	char *s = slurp(path, NULL), *line, *save = NULL, *p;
	char backend[32];
	unsigned long long v;
	int pid;

	memset(t, 0, sizeof(*t));
	if (!s)
		return -1;
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "vgcmalloc: pid ", 15))
			continue;
		if (strstr(line, "): no arena; glibc served ")) {
			t->no_arena++;
		} else if ((p = strstr(line, "): backend ")) &&
			   sscanf(p, "): backend %31[^ ]", backend) == 1) {
			t->procs++;
			t->on_module += !strcmp(backend, "module");
		} else if (sscanf(line, "vgcmalloc: pid %d calls: malloc %llu",
				  &pid, &v) == 2) {
			t->mallocs += v;
		} else if (strstr(line, " bytes: ") &&
			   (p = strstr(line, "; glibc ")) &&
			   sscanf(p, "; glibc %llu", &v) == 1) {
			t->glibc += v;
		}
	}
	free(s);
	return 0;
}

/*
 * The case: p plainly, then preloaded on the module; same stdout, same
 * wait status (a successful one), and the statistics of at least
 * min_procs processes, all on the module, prove that VGC served the run.
 * refp, when set, is the plain run's program (its own files to write).
 */
static void compare_runs(struct __test_metadata *_metadata, FIXTURE_DATA(mm) *self,
			 const char *name, const struct prog *refp,
			 const struct prog *p, unsigned int min_procs)
{
	char so_env[PATH_MAX + 16], stats_env[PATH_MAX + 32];
	char f[4][64], path[4][PATH_MAX], stats[PATH_MAX];
	static const char *const sfx[4] = { "ref", "ref-err", "out", "err" };
	const char *plain[] = { NULL };
	const char *pre[] = { so_env, "VGC_BACKEND=module", stats_env,
			      "VGC_STATFILE=0", NULL };
	struct tally t;
	uint64_t t0, t1, t2;
	int st_ref, st, i;

	for (i = 0; i < 4; i++) {
		snprintf(f[i], sizeof(f[i]), "%s.%s", name, sfx[i]);
		snprintf(path[i], sizeof(path[i]), "%s/%s", self->tmp, f[i]);
	}
	snprintf(stats, sizeof(stats), "%s/%s.stats", self->tmp, name);
	snprintf(so_env, sizeof(so_env), "LD_PRELOAD=%s", self->so);
	snprintf(stats_env, sizeof(stats_env), "VGC_SHOW_STATS=%s", stats);

	t0 = vgct_now_ns();
	st_ref = run_prog(_metadata, self->tmp, refp ? refp : p, plain, f[0], f[1]);
	t1 = vgct_now_ns();
	ASSERT_TRUE(st_ref != -1 && WIFEXITED(st_ref) && !WEXITSTATUS(st_ref)) {
		TH_LOG("plain run: status %#x", st_ref);
		log_tail(_metadata, "its stdout", path[0]);
		log_tail(_metadata, "its stderr", path[1]);
	}
	st = run_prog(_metadata, self->tmp, p, pre, f[2], f[3]);
	t2 = vgct_now_ns();
	EXPECT_EQ(st_ref, st) log_tail(_metadata, "preloaded stderr", path[3]);
	EXPECT_TRUE(same_file(path[0], path[2])) {
		log_tail(_metadata, "plain stdout", path[0]);
		log_tail(_metadata, "preloaded stdout", path[2]);
		log_tail(_metadata, "preloaded stderr", path[3]);
	}

	ASSERT_EQ(0, tally_stats(stats, &t)) TH_LOG("no statistics in %s", stats);
	/* The seconds only tell what the case costs in the VM. */
	TH_LOG("%s: %u processes (%u on the module), %llu malloc calls, glibc %llu calls, %u without an arena; %.1fs plain, %.1fs preloaded",
	       name, t.procs, t.on_module, t.mallocs, t.glibc, t.no_arena,
	       (t1 - t0) / 1e9, (t2 - t1) / 1e9);
	EXPECT_LE(min_procs, t.procs) log_tail(_metadata, "statistics", stats);
	EXPECT_EQ(t.procs, t.on_module) log_tail(_metadata, "statistics", stats);
	EXPECT_EQ(0, t.no_arena) log_tail(_metadata, "statistics", stats);
	EXPECT_LT(MIN_MALLOCS, t.mallocs);
	EXPECT_EQ(0, t.glibc) log_tail(_metadata, "statistics", stats);
}

/* Writes s to the case's directory as name; its full path into buf. */
static int write_file(char *buf, size_t len, const char *tmp, const char *name,
		      const char *s)
{
	FILE *f;
	int rc;

	snprintf(buf, len, "%s/%s", tmp, name);
	f = fopen(buf, "w");
	if (!f)
		return -1;
	rc = fputs(s, f) < 0;
	return fclose(f) || rc ? -1 : 0;
}

/*
 * The parent, a fork()ed child that exits through the interpreter (so that
 * its statistics count), a subprocess, and multiprocessing workers forked
 * while the pool's threads run (they leave by os._exit(): no statistics).
 */
static const char py_script[] =
"import collections, concurrent.futures, json, multiprocessing, os, re\n"
"import subprocess, sys\n"
"def work(n):\n"
"    d = {}\n"
"    for i in range(2000 + 97 * n):\n"
"        d[str(i * n)] = [i] * (i % 5)\n"
"        if i % 3 == 0:\n"
"            d.pop(str((i - 3) * n), None)\n"
"    return len(d), sum(len(v) for v in d.values())\n"
"doc = {'k%d' % i: [i, str(i) * (i % 7), {'f': i / 3.0}] for i in range(2000)}\n"
"s = json.dumps(doc, sort_keys=True)\n"
"print(len(s), json.loads(s) == doc)\n"
"pairs = re.findall(r'\"k(\\d+)\": \\[\\d+, \"(\\d*)\"', s)\n"
"print(len(pairs), collections.Counter(len(b) for _, b in pairs).most_common(2))\n"
"with concurrent.futures.ThreadPoolExecutor(4) as ex:\n"
"    print(list(ex.map(work, range(1, 7))))\n"
"sys.stdout.flush()\n"
"r, w = os.pipe()\n"
"pid = os.fork()\n"
"if pid == 0:\n"
"    os.close(r)\n"
"    os.write(w, json.dumps([work(n) for n in (7, 8)]).encode())\n"
"    os.close(w)\n"
"    sys.exit(0)\n"
"os.close(w)\n"
"got = b''\n"
"while True:\n"
"    b = os.read(r, 4096)\n"
"    if not b:\n"
"        break\n"
"    got += b\n"
"_, st = os.waitpid(pid, 0)\n"
"print('fork', json.loads(got), os.waitstatus_to_exitcode(st))\n"
"c = subprocess.run([sys.executable, '-c',\n"
"    'import json; print(json.dumps(sorted({str(i): i for i in range(500)})[:4]))'],\n"
"    capture_output=True, text=True, check=True)\n"
"print('subprocess', c.stdout.strip())\n"
"with multiprocessing.get_context('fork').Pool(2) as pool:\n"
"    print('pool', pool.map(work, range(9, 13)))\n";

TEST_F_TIMEOUT(mm, python, 300)
{
	char script[PATH_MAX];

	NEED_MODULE();
	if (access(PYTHON, X_OK))
		SKIP(return, "no %s", PYTHON);
	ASSERT_EQ(0, write_file(script, sizeof(script), self->tmp, "t.py", py_script));
	{
		const char *argv[] = { PYTHON, script, NULL };
		struct prog p = { .argv = argv };

		/* the parent, its fork()ed child, the subprocess */
		compare_runs(_metadata, self, "python", NULL, &p, 3);
	}
}

static const char sql_script[] =
"CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT);\n"
"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000)\n"
"INSERT INTO t SELECT x, (x * 7919) % 97, printf('row-%06d-%s', x, hex(x * x)) FROM c;\n"
"CREATE INDEX tk ON t(k);\n"
"SELECT count(*), sum(k), max(s) FROM t;\n"
"SELECT k, count(*), sum(length(s)) FROM t GROUP BY k ORDER BY 2 DESC, 1 LIMIT 5;\n"
"DELETE FROM t WHERE k % 5 = 0;\n"
"PRAGMA integrity_check;\n"
"SELECT count(*), sum(length(s)) FROM t;\n";

TEST_F_TIMEOUT(mm, sqlite3, 300)
{
	char sqlite[PATH_MAX], sql[PATH_MAX], refdb[PATH_MAX], predb[PATH_MAX];

	NEED_MODULE();
	if (find_prog(sqlite, sizeof(sqlite), "sqlite3"))
		SKIP(return, "no sqlite3");
	ASSERT_EQ(0, write_file(sql, sizeof(sql), self->tmp, "db.sql", sql_script));
	snprintf(refdb, sizeof(refdb), "%s/ref.db", self->tmp);
	snprintf(predb, sizeof(predb), "%s/pre.db", self->tmp);
	{
		const char *rargv[] = { sqlite, refdb, NULL };
		const char *argv[] = { sqlite, predb, NULL };
		struct prog r = { .argv = rargv, .in = sql };
		struct prog p = { .argv = argv, .in = sql };

		compare_runs(_metadata, self, "sqlite3", &r, &p, 1);
	}
}

/*
 * Fixed names and dates: both runs make the same hashes.  bash runs it
 * preloaded too, and forks for every pipe and substitution.
 */
static const char git_script[] =
"set -e\n"
"export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org\n"
"export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org\n"
"export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z\n"
"export GIT_CONFIG_NOSYSTEM=1 HOME=$PWD\n"
"git init -q -b main .\n"
"for i in 1 2 3 4; do\n"
"	seq $((i * 500)) >f$i.txt\n"
"	git add f$i.txt\n"
"	git commit -q -m \"commit $i\"\n"
"done\n"
"git log --oneline\n"
"git log --oneline | wc -l\n"
"git gc -q\n"
"git count-objects -v | grep -E '^(count|in-pack|packs):'\n"
"git rev-parse HEAD^{tree}\n";

TEST_F_TIMEOUT(mm, git, 300)
{
	char git[PATH_MAX], bash[PATH_MAX], sh[PATH_MAX];
	char refd[PATH_MAX], pred[PATH_MAX];

	NEED_MODULE();
	if (find_prog(git, sizeof(git), "git"))
		SKIP(return, "no git");
	if (find_prog(bash, sizeof(bash), "bash"))
		SKIP(return, "no bash");
	ASSERT_EQ(0, write_file(sh, sizeof(sh), self->tmp, "git.sh", git_script));
	snprintf(refd, sizeof(refd), "%s/git-ref", self->tmp);
	snprintf(pred, sizeof(pred), "%s/git-pre", self->tmp);
	ASSERT_EQ(0, mkdir(refd, 0755));
	ASSERT_EQ(0, mkdir(pred, 0755));
	{
		const char *argv[] = { bash, sh, NULL };
		struct prog r = { .argv = argv, .cwd = refd };
		struct prog p = { .argv = argv, .cwd = pred };

		/* bash, and git for each of its commands */
		compare_runs(_metadata, self, "git", &r, &p, 10);
	}
}

TEST_F_TIMEOUT(mm, stress, 300)
{
	NEED_MODULE();
	if (access(self->stress, X_OK))
		SKIP(return, "%.200s not built (make malloc)", self->stress);
	{
		const char *argv[] = { self->stress, "4", "5000", NULL };
		struct prog p = { .argv = argv };

		compare_runs(_metadata, self, "stress", NULL, &p, 1);
	}
}

static const char c_source[] =
"#include <stdio.h>\n"
"#include <string.h>\n"
"struct node { struct node *next; unsigned int key; char name[24]; };\n"
"static unsigned int hash(const char *s)\n"
"{\n"
"	unsigned int h = 2166136261u;\n"
"	while (*s)\n"
"		h = (h ^ (unsigned char)*s++) * 16777619u;\n"
"	return h;\n"
"}\n"
"struct node *find(struct node *n, const char *name)\n"
"{\n"
"	unsigned int k = hash(name);\n"
"	for (; n; n = n->next)\n"
"		if (n->key == k && !strcmp(n->name, name))\n"
"			return n;\n"
"	return NULL;\n"
"}\n"
"int sum(const int *v, int n)\n"
"{\n"
"	int s = 0, i;\n"
"	for (i = 0; i < n; i++)\n"
"		s += v[i] * (i % 3 ? 1 : -1);\n"
"	return s;\n"
"}\n"
"void show(const struct node *n)\n"
"{\n"
"	printf(\"%s %u\\n\", n->name, n->key);\n"
"}\n";

TEST_F_TIMEOUT(mm, gcc, 300)
{
	char gcc[PATH_MAX], src[PATH_MAX], refo[PATH_MAX], preo[PATH_MAX];

	NEED_MODULE();
	if (find_prog(gcc, sizeof(gcc), "gcc"))
		SKIP(return, "no gcc");
	ASSERT_EQ(0, write_file(src, sizeof(src), self->tmp, "small.c", c_source));
	snprintf(refo, sizeof(refo), "%s/ref.o", self->tmp);
	snprintf(preo, sizeof(preo), "%s/pre.o", self->tmp);
	{
		const char *rargv[] = { gcc, "-O2", "-c", "-o", refo, src, NULL };
		const char *argv[] = { gcc, "-O2", "-c", "-o", preo, src, NULL };
		struct prog r = { .argv = rargv };
		struct prog p = { .argv = argv };

		/* the driver, cc1, as */
		compare_runs(_metadata, self, "gcc", &r, &p, 3);
	}
	EXPECT_TRUE(same_file(refo, preo)) TH_LOG("ref.o and pre.o differ");
}

TEST_HARNESS_MAIN
