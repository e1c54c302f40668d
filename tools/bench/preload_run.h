/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgc-bench preload: one run of a real program in a process tree of its
 * own, measured the way the kernel accounts it, and the hashing of what the
 * run produced.
 */
#ifndef VGC_PRELOAD_RUN_H
#define VGC_PRELOAD_RUN_H

#include <stdint.h>

struct pr_spawn {
	char *const *argv;	/* argv[0]: an absolute path */
	char *const *envp;
	const char *cwd;
	const char *in;		/* standard input; NULL: /dev/null */
	const char *out;	/* standard output, created */
	const char *err;	/* standard error, created */
	unsigned int timeout_s;
};

struct pr_usage {
	double wall_s;		/* fork() to the end of wait4() */
	double cpu_s;		/* user + system of the whole tree */
	long maxrss_kb;		/* the largest process of the tree */
	int status;		/* wait status */
	int timed_out;
};

/*
 * Runs s->argv in a process group of its own and waits for it; the
 * group is killed past s->timeout_s.  CPU time and peak RSS come from
 * wait4(), so descendants the program waited for count too.  0, or
 * -errno when it could not be started.
 */
int pr_run(const struct pr_spawn *s, struct pr_usage *u);

/* FNV-1a of a file's bytes folded into h; -errno when it cannot be read. */
int pr_hash_file(const char *path, uint64_t *h);

/* Removes a directory tree (runs leave their files behind). */
int pr_rmtree(const char *dir);

/*
 * envp for a run: the bench's environment without LD_PRELOAD and
 * VGC_SHOW_STATS, plus extra[] ("NAME=value", NULL-terminated); the
 * result is malloc'ed and lives until the bench exits.
 */
char **pr_env(const char *const *extra);

#endif
