// SPDX-License-Identifier: GPL-2.0
/*
 * The runner of vgc-bench preload.  Each run is fork() + execve() with
 * standard input and output on files, so that nothing of the bench itself
 * (a pipe reader, say) runs while the program is timed; wait4() gives the
 * tree's CPU time and peak RSS as the kernel accounts them.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "bench_util.h"
#include "preload_run.h"

extern char **environ;

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static int redirect(const char *path, int flags, int fd)
{
	int f = open(path, flags | O_CLOEXEC, 0644);

	if (f < 0)
		return -1;
	if (dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

/* In the child: never returns. */
static void child(const struct pr_spawn *s)
{
	setpgid(0, 0);
	if (s->cwd && chdir(s->cwd))
		_exit(126);
	if (redirect(s->in ? s->in : "/dev/null", O_RDONLY, 0) ||
	    redirect(s->out, O_WRONLY | O_CREAT | O_TRUNC, 1) ||
	    redirect(s->err, O_WRONLY | O_CREAT | O_TRUNC, 2))
		_exit(126);
	execve(s->argv[0], s->argv, s->envp);
	dprintf(2, "vgc-bench preload: cannot run %s: %s\n", s->argv[0],
		strerror(errno));
	_exit(127);
}

int pr_run(const struct pr_spawn *s, struct pr_usage *u)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct rusage ru;
	uint64_t t0, t1;
	pid_t pid, r;
	int st = 0;

	memset(u, 0, sizeof(*u));
	fflush(NULL);
	t0 = bu_now_ns();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child(s);
	/* both sides: no race with the kill below */
	setpgid(pid, pid);
	alarmed = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART: wait4 returns */
	alarm(s->timeout_s);
	for (;;) {
		r = wait4(pid, &st, 0, &ru);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			alarm(0);
			sigaction(SIGALRM, &old, NULL);
			return -errno;
		}
		if (alarmed && !u->timed_out) {
			u->timed_out = 1;
			kill(-pid, SIGKILL);
		}
	}
	t1 = bu_now_ns();
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (u->timed_out)	/* what the program left running goes too */
		kill(-pid, SIGKILL);
	u->wall_s = (double)(t1 - t0) / 1e9;
	u->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	u->maxrss_kb = ru.ru_maxrss;
	u->status = st;
	return 0;
}

int pr_hash_file(const char *path, uint64_t *h)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*h = bu_fnv1a(*h, buf, (size_t)n);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int pr_rmtree(const char *dir)
{
	if (access(dir, F_OK))
		return 0;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) ? -errno : 0;
}

/* Set by the bench: the preload, the statistics and what extra[] names. */
static int ours(const char *e, const char *const *extra)
{
	size_t i, n;

	if (!strncmp(e, "LD_PRELOAD=", 11) || !strncmp(e, "VGC_SHOW_STATS=", 15))
		return 1;
	for (i = 0; extra[i]; i++) {
		n = strcspn(extra[i], "=") + 1;
		if (!strncmp(e, extra[i], n))
			return 1;
	}
	return 0;
}

char **pr_env(const char *const *extra)
{
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n])
		n++;
	for (i = 0; extra[i]; i++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; environ[i]; i++)
		if (!ours(environ[i], extra))
			env[k++] = environ[i];
	for (i = 0; extra[i]; i++)
		env[k++] = (char *)extra[i];
	env[k] = NULL;
	return env;
}
