// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: state shared by all parts, time, the operation ring of each
 * thread and the failure report.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "fuzz.h"

/* ---- shared counters and state ---------------------------------------- */

struct counters *cnt;		/* MAP_SHARED: children add to it */

uint64_t cur_seed;
uint64_t features;
int ncpus;
double t_start;

struct arena arenas[MAX_ARENAS];
struct map maps[MAX_MAPS];
__thread struct io_uring uring;
__thread bool have_uring;
long page_size;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

bool out_of_time(void)
{
	return opt_time > 0 && now() - t_start > opt_time;
}

/* ---- PRNG: splitmix64, one state per thread --------------------------- */

__thread uint64_t rng;

/* ---- operation ring: the last operations of this thread --------------- */

struct ring_ent {
	uint64_t n;
	char line[LINE_LEN];
};

static __thread struct ring_ent oplog[RING_LEN];
__thread uint64_t oplog_n;
__thread const char *who = "main";
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

void logop(const char *fmt, ...)
{
	struct ring_ent *e = &oplog[oplog_n % RING_LEN];
	va_list ap;

	e->n = oplog_n++;
	va_start(ap, fmt);
	vsnprintf(e->line, sizeof(e->line), fmt, ap);
	va_end(ap);
	if (opt_verbose > 1)
		fprintf(stderr, "[%s %" PRIu64 "] %s\n", who, e->n, e->line);
}

/* Appends the result to the current ring line. */
void logres(long ret, int err)
{
	struct ring_ent *e = &oplog[(oplog_n - 1) % RING_LEN];
	size_t l = strlen(e->line);

	if (ret < 0)
		snprintf(e->line + l, sizeof(e->line) - l, " = -%s", strerrorname_np(err) ?: "?");
	else
		snprintf(e->line + l, sizeof(e->line) - l, " = %ld", ret);
	if (opt_verbose > 1)
		fprintf(stderr, "[%s]   -> %s\n", who, e->line + l);
}

static void dump_ring(void)
{
	uint64_t first = oplog_n > RING_LEN ? oplog_n - RING_LEN : 0;

	fprintf(stderr, "vgc-fuzz: last %" PRIu64 " operations of %s (pid %d tid %ld):\n",
		oplog_n - first, who, getpid(), syscall(SYS_gettid));
	for (uint64_t i = first; i < oplog_n; i++)
		fprintf(stderr, "  #%-6" PRIu64 " %s\n", oplog[i % RING_LEN].n,
			oplog[i % RING_LEN].line);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	cnt->failures++;
	fprintf(stderr, "vgc-fuzz: FAIL seed %" PRIu64 " (%s): ", cur_seed, who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_ring();
	fprintf(stderr, "vgc-fuzz: replay: vgc-fuzz --seed %" PRIu64 " --ops %" PRIu64 " -vv\n",
		cur_seed, opt_ops);
	fflush(stderr);
	_exit(3);
}
