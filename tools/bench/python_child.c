// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench python: running an interpreter as a measured child.
 *
 * wait4() rather than getrusage(RUSAGE_CHILDREN): the rusage of this one
 * child, not the sum of every child reaped so far, and its own peak RSS
 * rather than the largest of all children.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "bench_util.h"
#include "python_child.h"

static void apply_env(char *const env[])
{
	for (; env && *env; env++) {
		if (strchr(*env, '='))
			putenv(*env);
		else
			unsetenv(*env);
	}
}

static double tv_ms(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

/* Reads the child's output until EOF or the deadline; 0, or -1 at the deadline. */
static int drain(int fd, char **buf, uint64_t deadline)
{
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	int ret = 0;

	if (!out)
		return -1;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (len + 1024 > cap) {
			char *bigger = realloc(out, cap * 2);

			if (!bigger)
				break;
			out = bigger;
			cap *= 2;
		}
		if (bu_now_ns() > deadline) {
			ret = -1;
			break;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fd, out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = 0;
	*buf = out;
	return ret;
}

static void find_checksum(struct py_run *r)
{
	const char *p = r->out;

	r->checksum[0] = 0;
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t n;

		if (strncmp(p, "checksum ", 9))
			continue;
		n = strspn(p + 9, "0123456789abcdef");
		if (n == PY_CHECKSUM_LEN) {
			memcpy(r->checksum, p + 9, n);
			r->checksum[n] = 0;
		}
	}
}

int py_child_run(char *const argv[], char *const env[], int timeout_s,
		 struct py_run *r)
{
	struct rusage ru;
	uint64_t t0;
	int fds[2], late;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(fds))
		return -1;
	fflush(NULL);
	t0 = bu_now_ns();
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		apply_env(env);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	late = drain(fds[0], &r->out, t0 + (uint64_t)timeout_s * 1000000000ULL);
	close(fds[0]);
	if (late)
		kill(pid, SIGKILL);
	while (wait4(pid, &r->status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	r->wall_ms = (double)(bu_now_ns() - t0) / 1e6;
	r->cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
	r->rss_mib = (double)ru.ru_maxrss / 1024.0;	/* KiB on Linux */
	find_checksum(r);
	if (late || !WIFEXITED(r->status) || WEXITSTATUS(r->status))
		return -1;
	return 0;
}

void py_run_free(struct py_run *r)
{
	free(r->out);
	r->out = NULL;
}

long long py_out_field(const char *out, const char *line, const char *key)
{
	size_t n = strlen(line), k = strlen(key);
	const char *p, *end, *q;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, line, n))
			continue;
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		for (q = p + n; q + k < end; q++)
			if ((q == p + n || q[-1] == ' ') && !strncmp(q, key, k) &&
			    q[k] == ' ')
				return strtoll(q + k + 1, NULL, 10);
		return -1;
	}
	return -1;
}
