// SPDX-License-Identifier: GPL-2.0
/*
 * The real programs of vgc-bench preload, those of
 * selftests/build/malloc_test.sh at benchmark sizes: Debian's python3.11
 * on a script of json, re, threads and object churn; gcc -O2 compiling
 * half of libvgcu's sources; git cloning, logging, gc'ing and fsck'ing a
 * repository the bench makes; sqlite3 loading and querying a generated
 * database; and the bench's own threaded program with cross-thread frees.
 * Every output is deterministic, so that its hash must be the same under
 * every allocator.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "preload.h"
#include "preload_run.h"

#define PYTHON	"/usr/bin/python3.11"	/* Debian's, not a pyenv shim */

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		perror("vgc-bench preload");
		exit(1);
	}
	return s;
}

const char *pl_which(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *d, *save;

	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : name;
	dirs = strdup(path && *path ? path : "/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = fmt("%s/%s", d, name);

		if (!access(p, X_OK)) {
			free(dirs);
			return p;
		}
		free(p);
	}
	free(dirs);
	return NULL;
}

static int write_file(const char *path, const char *text, char *why, size_t wl)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		snprintf(why, wl, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int need(const char *name, const char **path, char *why, size_t wl)
{
	*path = pl_which(name);
	if (*path)
		return 0;
	snprintf(why, wl, "no %s", name);
	return 1;
}

/* ---- python3.11 ----------------------------------------------------------- */

static const char py_script[] =
	"import json, re, sys, threading, hashlib, collections\n"
	"n = int(sys.argv[1])\n"
	"doc = {'k%d' % i: [i, str(i) * (i % 7), {'f': i / 3.0, 't': [True, None]}] for i in range(n)}\n"
	"s = json.dumps(doc, sort_keys=True)\n"
	"back = json.loads(s)\n"
	"print(len(s), back == doc, hashlib.sha256(s.encode()).hexdigest())\n"
	"words = re.findall(r'k(\\d+)\"?: \\[\\d+, \"(\\d*)\"', s)\n"
	"print(len(words), sum(int(a) for a, _ in words), collections.Counter(len(b) for _, b in words).most_common(3))\n"
	"class Node:\n"
	"    __slots__ = ('k', 'kids')\n"
	"    def __init__(self, k, depth):\n"
	"        self.k = k\n"
	"        self.kids = [Node(k * 3 + j, depth - 1) for j in range(3)] if depth else []\n"
	"def total(t):\n"
	"    return t.k + sum(total(c) for c in t.kids)\n"
	"print([total(Node(r, 8)) for r in range(max(1, n // 4000))])\n"
	"out = [None] * 4\n"
	"def work(m):\n"
	"    d = {}\n"
	"    for i in range(n * 2):\n"
	"        d[str(i * m)] = [i] * (i % 5)\n"
	"        if i % 3 == 0:\n"
	"            d.pop(str((i - 3) * m), None)\n"
	"    out[m] = (len(d), sum(len(v) for v in d.values()), json.dumps(sorted(d)[:3]))\n"
	"ts = [threading.Thread(target=work, args=(m,)) for m in range(4)]\n"
	"for t in ts: t.start()\n"
	"for t in ts: t.join()\n"
	"print(out)\n"
	"lines = sorted((''.join(reversed(str(i * 7919))), i) for i in range(n * 3))\n"
	"print(len(lines), lines[:2], lines[-1])\n";

static int py_setup(const struct pl_ctx *c, struct pl_cmd *cmd, char *why,
		    size_t wl)
{
	unsigned int n = c->quick ? 4000 : 40000;
	char *script = fmt("%s/t.py", c->work);

	if (access(PYTHON, X_OK)) {
		snprintf(why, wl, "no %s", PYTHON);
		return 1;
	}
	if (write_file(script, py_script, why, wl))
		return -1;
	cmd->argv[0] = PYTHON;
	cmd->argv[1] = script;
	cmd->argv[2] = fmt("%u", n);
	cmd->env[0] = "PYTHONHASHSEED=0";
	cmd->env[1] = "PYTHONDONTWRITEBYTECODE=1";
	snprintf(cmd->what, sizeof(cmd->what),
		 "json, re, object trees, 4 threads of dict churn, sort; n=%u", n);
	return 0;
}

/* ---- gcc ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int gcc_setup(const struct pl_ctx *c, struct pl_cmd *cmd, char *why,
		     size_t wl)
{
	unsigned int max = c->quick ? 3 : PL_MAX_OUT, nf = 0, k = 0, i;
	char *files[PL_MAX_OUT], *lib;
	const char *gcc;
	struct dirent *e;
	DIR *d;

	if (need("gcc", &gcc, why, wl))
		return 1;
	if (!c->src) {
		snprintf(why, wl, "no libvgcu sources (--src DIR)");
		return 1;
	}
	lib = fmt("%s/lib", c->src);
	d = opendir(lib);
	if (!d) {
		snprintf(why, wl, "%s: %s", lib, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) && nf < PL_MAX_OUT) {
		size_t l = strlen(e->d_name);

		if (l > 2 && !strcmp(e->d_name + l - 2, ".c"))
			files[nf++] = strdup(e->d_name);
	}
	closedir(d);
	if (!nf) {
		snprintf(why, wl, "no .c files in %s", lib);
		return 1;
	}
	qsort(files, nf, sizeof(*files), cmp_str);
	/* every other file: half of the library, spread over all of it */
	for (i = 0; !c->quick && 2 * i < nf; i++)
		files[i] = files[2 * i];
	if (!c->quick)
		nf = i;
	if (nf > max)
		nf = max;
	cmd->argv[k++] = (char *)gcc;
	cmd->argv[k++] = "-O2";
	cmd->argv[k++] = "-D_GNU_SOURCE";
	cmd->argv[k++] = fmt("-I%s/uapi", c->src);
	cmd->argv[k++] = fmt("-I%s/lib/include", c->src);
	cmd->argv[k++] = fmt("-I%s/core", c->src);
	cmd->argv[k++] = fmt("-I%s", lib);
	cmd->argv[k++] = "-c";
	for (i = 0; i < nf && k < PL_MAX_ARGS - 1; i++) {
		cmd->argv[k++] = fmt("%s/%s", lib, files[i]);
		files[i][strlen(files[i]) - 1] = 'o';	/* x.c -> x.o */
		cmd->outputs[i] = files[i];
	}
	snprintf(cmd->what, sizeof(cmd->what),
		 "gcc -O2 -c of %u files of %s (objects hashed)", i, lib);
	return 0;
}

/* ---- git ------------------------------------------------------------------ */

/*
 * The history of the repository, as a git fast-import stream: files of
 * numbered lines, a few changed in every commit, fixed dates and names,
 * so that every run of the bench makes the same hashes.
 */
static int git_stream(const char *path, unsigned int commits, char *why,
		      size_t wl)
{
	const unsigned int nfiles = 40, lines = 160;
	FILE *f = fopen(path, "w");
	uint64_t s = 12345;
	unsigned int c, j, l;

	if (!f) {
		snprintf(why, wl, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (c = 1; c <= commits; c++) {
		char msg[64];

		snprintf(msg, sizeof(msg), "commit %u: change %u files", c,
			 c == 1 ? nfiles : 3);
		fprintf(f, "commit refs/heads/main\nmark :%u\n", c);
		fprintf(f, "author t <t@example.org> %u +0000\n", 1767225600 + c * 60);
		fprintf(f, "committer t <t@example.org> %u +0000\n", 1767225600 + c * 60);
		fprintf(f, "data %zu\n%s\n", strlen(msg), msg);
		if (c > 1)
			fprintf(f, "from :%u\n", c - 1);
		for (j = 0; j < (c == 1 ? nfiles : 3); j++) {
			unsigned int file = c == 1 ? j : (unsigned int)((s >> 33) % nfiles);
			char *body = NULL;
			size_t blen = 0;
			FILE *m = open_memstream(&body, &blen);

			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			for (l = 0; l < lines; l++)
				fprintf(m, "file %u line %u: %llu\n", file, l,
					(unsigned long long)((l * 2654435761U) %
					(l % 7 == c % 7 ? c + 1000 : 97)));
			fclose(m);
			fprintf(f, "M 644 inline src/f%02u.txt\ndata %zu\n", file, blen);
			fwrite(body, 1, blen, f);
			fputc('\n', f);
			free(body);
		}
		fputc('\n', f);
	}
	if (fclose(f)) {
		snprintf(why, wl, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* What the timed run does with the repository made at set-up. */
static const char git_script[] =
	"set -e\n"
	"git clone -q --no-local \"$VGC_BENCH_SRC\" r\n"
	"cd r\n"
	"git log --stat --format='%H %an %ad %s' --date=iso\n"
	"git log -p -n 100 --format=%H\n"
	"git gc -q\n"
	"git fsck --no-progress --full 2>&1\n"
	"git count-objects -v | grep -v size\n"
	"git rev-list --objects --all | wc -l\n";

static const char *const git_env[] = {
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C",
	"GIT_AUTHOR_NAME=t", "GIT_COMMITTER_NAME=t",
	"GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_EMAIL=t@example.org",
};

static int git_setup(const struct pl_ctx *c, struct pl_cmd *cmd, char *why,
		     size_t wl)
{
	unsigned int commits = c->quick ? 40 : 1500;
	char *repo = fmt("%s/git-src", c->work), *stream = fmt("%s/git.fi", c->work);
	char *log = fmt("%s/git-setup.log", c->work), *home = fmt("HOME=%s", c->work);
	const char *git, *sh;
	struct pr_usage u;
	size_t i, k = 0;
	char **envp;

	if (need("git", &git, why, wl) || need("sh", &sh, why, wl))
		return 1;
	for (i = 0; i < sizeof(git_env) / sizeof(git_env[0]); i++)
		cmd->env[k++] = git_env[i];
	cmd->env[k++] = home;
	cmd->env[k++] = fmt("VGC_BENCH_SRC=%s", repo);
	cmd->env[k] = NULL;
	if (git_stream(stream, commits, why, wl))
		return -1;
	envp = pr_env(cmd->env);
	{
		char *init[] = { (char *)git, "init", "-q", "--bare", "-b", "main", repo, NULL };
		char *imp[] = { (char *)git, "--git-dir", repo, "fast-import", "--quiet", NULL };
		struct pr_spawn sp = { .argv = init, .envp = envp, .cwd = c->work,
				       .out = log, .err = log, .timeout_s = 120 };

		if (pr_run(&sp, &u) || !WIFEXITED(u.status) || WEXITSTATUS(u.status))
			goto fail;
		sp.argv = imp;
		sp.in = stream;
		if (pr_run(&sp, &u) || !WIFEXITED(u.status) || WEXITSTATUS(u.status))
			goto fail;
	}
	cmd->argv[0] = (char *)sh;
	cmd->argv[1] = "-c";
	cmd->argv[2] = (char *)git_script;
	snprintf(cmd->what, sizeof(cmd->what),
		 "%u commits: clone, log --stat, log -p -n 100, gc, fsck --full", commits);
	return 0;
fail:
	snprintf(why, wl, "making the repository failed, see %s", log);
	return -1;
}

/* ---- sqlite3 -------------------------------------------------------------- */

static const char sql_script[] =
	"CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT, b BLOB);\n"
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %u)\n"
	"INSERT INTO t SELECT x, (x * 7919) %% 1000, printf('row-%%08d-%%s', x, hex(x * x)),\n"
	"	zeroblob(x %% 700) FROM c;\n"
	"CREATE INDEX tk ON t(k);\n"
	"CREATE INDEX ts ON t(s);\n"
	"CREATE TABLE u AS SELECT k, count(*) AS n, sum(length(s)) AS l FROM t GROUP BY k;\n"
	"SELECT count(*), sum(k), sum(length(b)), max(s) FROM t;\n"
	"SELECT k, n, l FROM u ORDER BY n DESC, k LIMIT 5;\n"
	"SELECT t.k, count(*) FROM t JOIN u ON t.k = u.k WHERE u.n > 59 GROUP BY t.k ORDER BY 2 DESC, 1 LIMIT 5;\n"
	"SELECT length(group_concat(s, ',')) FROM t WHERE k < 20;\n"
	"SELECT s FROM t ORDER BY s DESC LIMIT 3;\n"
	"SELECT count(DISTINCT substr(s, 1, 9)), count(DISTINCT k * 3 + length(b) %% 7) FROM t;\n"
	"UPDATE t SET s = upper(s) || s WHERE k %% 3 = 0;\n"
	"DELETE FROM t WHERE k %% 5 = 0;\n"
	"VACUUM;\n"
	"PRAGMA integrity_check;\n"
	"SELECT count(*), sum(length(s)) FROM t;\n";

static int sql_setup(const struct pl_ctx *c, struct pl_cmd *cmd, char *why,
		     size_t wl)
{
	unsigned int rows = c->quick ? 5000 : 80000;
	char *sql = fmt("%s/db.sql", c->work), *text = fmt(sql_script, rows);
	const char *sqlite;

	if (need("sqlite3", &sqlite, why, wl))
		return 1;
	if (write_file(sql, text, why, wl))
		return -1;
	cmd->argv[0] = (char *)sqlite;
	cmd->argv[1] = "db";	/* a new file in each run's directory */
	cmd->in = sql;
	snprintf(cmd->what, sizeof(cmd->what),
		 "%u rows, 2 indexes, group by, join, update, vacuum", rows);
	return 0;
}

/* ---- the threaded program -------------------------------------------------- */

static int xfree_setup(const struct pl_ctx *c, struct pl_cmd *cmd, char *why,
		       size_t wl)
{
	uint64_t items = c->quick ? 20000 : 400000;

	(void)why;
	(void)wl;
	cmd->argv[0] = (char *)c->self;
	cmd->argv[1] = "preload";
	cmd->argv[2] = "--child-xfree";
	cmd->argv[3] = "4";
	cmd->argv[4] = fmt("%llu", (unsigned long long)items);
	snprintf(cmd->what, sizeof(cmd->what),
		 "4 threads x %llu blocks, 3 in 4 freed by another thread",
		 (unsigned long long)items);
	return 0;
}

const struct pl_prog pl_progs[] = {
	{ "python",	py_setup },
	{ "gcc",	gcc_setup },
	{ "git",	git_setup },
	{ "sqlite",	sql_setup },
	{ "xfree",	xfree_setup },
};
const size_t pl_nr_progs = sizeof(pl_progs) / sizeof(pl_progs[0]);
