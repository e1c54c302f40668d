/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgc-bench preload: real programs under each malloc (bench_preload.c),
 * the programs themselves (preload_programs.c), the threaded one that
 * runs as a child of the bench (preload_xfree.c) and the fork cost table
 * (preload_fork.c).
 */
#ifndef VGC_PRELOAD_H
#define VGC_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

#define PL_MAX_ARGS	64
#define PL_MAX_OUT	48
#define PL_MAX_ENV	16

/* What every program's set-up gets. */
struct pl_ctx {
	const char *work;	/* the bench's scratch directory */
	const char *self;	/* this binary, for --child-xfree */
	const char *src;	/* the source tree (gcc's input), or NULL */
	int quick;
};

/* One program's command, the same for every allocator and rep. */
struct pl_cmd {
	char *argv[PL_MAX_ARGS];	/* argv[0] absolute */
	const char *in;			/* standard input, or NULL */
	const char *env[PL_MAX_ENV];	/* extra "NAME=value", NULL-ended */
	const char *outputs[PL_MAX_OUT]; /* files it writes, hashed too */
	char what[160];			/* the workload, in words */
};

struct pl_prog {
	const char *name;
	/*
	 * Writes the program's input under c->work (untimed, without a
	 * preload) and fills cmd.  0: ready; 1: skipped (why says what is
	 * missing); -1: an error (why).
	 */
	int (*setup)(const struct pl_ctx *c, struct pl_cmd *cmd, char *why,
		     size_t wl);
};

extern const struct pl_prog pl_progs[];
extern const size_t pl_nr_progs;

/* An executable's absolute path through $PATH, or NULL. */
const char *pl_which(const char *name);

int preload_xfree(unsigned int threads, uint64_t items);
int preload_fork_table(const uint64_t *mb, unsigned int nmb,
		       unsigned int reps, uint64_t *checksum);

#endif
