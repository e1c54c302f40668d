/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgc-bench python: one interpreter run as a child, measured from outside
 * (wall clock around it, CPU time and peak RSS from wait4()'s rusage), its
 * standard output and error captured together.
 */
#ifndef VGC_BENCH_PYTHON_CHILD_H
#define VGC_BENCH_PYTHON_CHILD_H

#define PY_CHECKSUM_LEN	16

struct py_run {
	double wall_ms;
	double cpu_ms;		/* user + system, all threads */
	double rss_mib;		/* ru_maxrss */
	int status;		/* wait status; -1: could not start */
	char *out;		/* stdout + stderr, malloc'ed, NUL terminated */
	char checksum[PY_CHECKSUM_LEN + 1];	/* "" when none was printed */
};

/*
 * Runs argv (argv[0] a path) with env applied on top of ours: entries
 * "NAME=value" set, "NAME" unsets.  Past timeout_s seconds it is killed.
 * Returns 0 when it exited 0, else -1 (r is filled either way, the
 * checksum from a "checksum HEX" line if there was one; py_run_free()
 * releases it).
 */
int py_child_run(char *const argv[], char *const env[], int timeout_s,
		 struct py_run *r);
void py_run_free(struct py_run *r);

/*
 * On the first line of out that starts with line, the number after the
 * word key ("... key 123 ..."); -1 when there is none.
 */
long long py_out_field(const char *out, const char *line, const char *key);

#endif
