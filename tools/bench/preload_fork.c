// SPDX-License-Identifier: GPL-2.0
/*
 * The fork cost table of vgc-bench preload: what fork() costs with a VGC
 * heap on the anonymous backend (the child gets a copy-on-write copy,
 * docs/design.md "fork()") and, where /dev/vgc copies arenas
 * (VGC_FEAT_FORK_COPY), on the module (the module copies the arena at
 * fork()), against a malloc heap of the same size, and the old shared
 * mapping (VGCU_ARENA_F_FORK_SHARED) for reference.
 *
 * The heap is blocks of 4 KiB, every byte written.  Per fork: the time
 * until fork() returns in the parent (wall and the parent's CPU time),
 * the child's first write (one byte: one copy-on-write fault) and the
 * child's write of one byte into every block (every page copied).  The
 * child then reads one byte of every block and reports the sum, which
 * must be the parent's; after the child is gone the parent checks that a
 * private heap never saw the child's writes.  Medians over the reps.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <vgcu.h>
#include "bench_util.h"
#include "preload.h"

#define BLK	4096

enum heap_kind { H_MALLOC, H_VGC, H_VGC_MODULE, H_VGC_SHARED, H_NR };

static const char *const kind_name[H_NR] = {
	"malloc (glibc)", "VGC (private, COW)", "VGC module (copy)",
	"VGC FORK_SHARED (old)",
};

/* The module is there and gives a child a copy of the arena. */
static int module_copies(void)
{
	struct vgc_version v;

	return !vgc_module_version(&v) && (v.features & VGC_FEAT_FORK_COPY);
}

/* what the child measured, sent back through a pipe */
struct child_times {
	uint64_t first_ns, all_ns, all_cpu_ns, sum;
};

struct fork_sample {
	double fork_ms, fork_cpu_ms, first_us, all_ms, all_cpu_ms;
};

static int heap_build(enum heap_kind k, struct vgc_arena *a, char **v,
		      size_t n, uint64_t *sum)
{
	size_t i;

	*sum = 0;
	for (i = 0; i < n; i++) {
		v[i] = k == H_MALLOC ? malloc(BLK) :
		       vgc_alloc(a, BLK, VGC_ZONE_GREEN);
		if (!v[i])
			return -ENOMEM;
		memset(v[i], (int)(i & 0xff), BLK);
		*sum += i & 0xff;
	}
	return 0;
}

static void __attribute__((noreturn)) child(char **v, size_t n, int fd)
{
	struct child_times ct = { 0 };
	uint64_t c0, c1, p0;
	size_t i;

	c0 = bu_now_ns();
	v[n / 2][0] = 1;		/* the first write */
	c1 = bu_now_ns();
	p0 = bu_thread_cpu_ns();
	for (i = 0; i < n; i++)		/* one write per block */
		v[i][8] = 2;
	ct.all_cpu_ns = bu_thread_cpu_ns() - p0;
	ct.all_ns = bu_now_ns() - c1;
	ct.first_ns = c1 - c0;
	for (i = 0; i < n; i++)		/* untimed: what the child sees */
		ct.sum += (unsigned char)v[i][100];
	_exit(write(fd, &ct, sizeof(ct)) == sizeof(ct) ? 0 : 1);
}

/* One fork; 0, or -1 with why[] set. */
static int measure(enum heap_kind k, char **v, size_t n, uint64_t sum,
		   struct fork_sample *fs, char *why, size_t wl)
{
	struct child_times ct;
	uint64_t t0, t1, p0, p1;
	int fds[2], st;
	pid_t pid;

	if (pipe(fds)) {
		snprintf(why, wl, "pipe: %s", strerror(errno));
		return -1;
	}
	p0 = bu_thread_cpu_ns();
	t0 = bu_now_ns();
	pid = fork();
	t1 = bu_now_ns();
	p1 = bu_thread_cpu_ns();
	if (pid < 0) {
		snprintf(why, wl, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid) {
		alarm(120);
		close(fds[0]);
		child(v, n, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &ct, sizeof(ct)) != sizeof(ct))
		memset(&ct, 0xff, sizeof(ct));
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(why, wl, "the child failed (status %#x)", st);
		return -1;
	}
	if (ct.sum != sum) {
		snprintf(why, wl, "the child read %llu, not the heap's %llu",
			 (unsigned long long)ct.sum, (unsigned long long)sum);
		return -1;
	}
	/* the child's writes reach a shared heap only; undo them there */
	if (k == H_VGC_SHARED) {
		v[n / 2][0] = (char)((n / 2) & 0xff);
	} else if (v[n / 2][0] == 1 || v[0][8] == 2 || v[n - 1][8] == 2) {
		snprintf(why, wl, "the child's writes reached the parent");
		return -1;
	}
	fs->fork_ms = (double)(t1 - t0) / 1e6;
	fs->fork_cpu_ms = (double)(p1 - p0) / 1e6;
	fs->first_us = (double)ct.first_ns / 1e3;
	fs->all_ms = (double)ct.all_ns / 1e6;
	fs->all_cpu_ms = (double)ct.all_cpu_ns / 1e6;
	return 0;
}

static int open_arena(enum heap_kind k, uint64_t mb, struct vgc_arena **a)
{
	struct vgc_config cfg;
	unsigned int z;

	vgc_config_init(&cfg);
	cfg.backend = k == H_VGC_MODULE ? VGC_BACKEND_MODULE : VGC_BACKEND_ANON;
	cfg.flags = k == H_VGC_SHARED ? VGCU_ARENA_F_FORK_SHARED : 0;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = (unsigned int)(sched_getcpu() < 0 ? 0 : sched_getcpu());
	for (z = 0; z < VGC_NR_ZONES; z++) {
		cfg.zone_bytes[z] = 1ULL << 20;
		cfg.zone_reserve_bytes[z] = (mb << 20) * 2;
	}
	return vgc_arena_open(&cfg, a);
}

/* One row: a heap of mb MiB of kind k, reps forks. */
static int row(enum heap_kind k, uint64_t mb, unsigned int reps,
	       uint64_t *checksum)
{
	size_t n = (size_t)(mb << 20) / BLK, i;
	double fk[64], fc[64], fi[64], al[64], ac[64];
	struct vgc_arena *a = NULL;
	char **v = calloc(n, sizeof(*v)), why[160] = "";
	uint64_t sum = 0;
	unsigned int r;
	int err = 0;

	if (!v)
		return -ENOMEM;
	if (k != H_MALLOC) {
		err = open_arena(k, mb, &a);
		if (err)
			snprintf(why, sizeof(why), "arena: %s", vgc_strerror(err));
	}
	if (!err && heap_build(k, a, v, n, &sum)) {
		snprintf(why, sizeof(why), "%llu MiB heap: out of memory",
			 (unsigned long long)mb);
		err = -ENOMEM;
	}
	for (r = 0; !err && r < reps; r++) {
		struct fork_sample fs = { 0 };

		if (measure(k, v, n, sum, &fs, why, sizeof(why)))
			err = -EIO;
		fk[r] = fs.fork_ms;
		fc[r] = fs.fork_cpu_ms;
		fi[r] = fs.first_us;
		al[r] = fs.all_ms;
		ac[r] = fs.all_cpu_ms;
	}
	if (err) {
		printf("  %6llu  %-22s  FAILED: %s\n", (unsigned long long)mb,
		       kind_name[k], why);
	} else {
		printf("  %6llu  %-22s %9.3f %9.3f %11.1f %10.1f %10.1f\n",
		       (unsigned long long)mb, kind_name[k], bu_median(fk, reps),
		       bu_median(fc, reps), bu_median(fi, reps),
		       bu_median(al, reps), bu_median(ac, reps));
		*checksum = bu_mix(*checksum, sum);
	}
	fflush(stdout);
	if (k == H_MALLOC)
		for (i = 0; i < n && v[i]; i++)
			free(v[i]);
	vgc_arena_close(a);
	free(v);
	return err;
}

static uint64_t mem_available_mb(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb >> 10;
}

int preload_fork_table(const uint64_t *mb, unsigned int nmb,
		       unsigned int reps, uint64_t *checksum)
{
	unsigned int s;
	int fails = 0;
	enum heap_kind k;

	if (reps > 64)
		reps = 64;
	printf("\nfork() cost: heap of 4 KiB blocks, all written; median of %u forks\n", reps);
	printf("  %6s  %-22s %9s %9s %11s %10s %10s\n", "MiB", "heap",
	       "fork ms", "fork CPU", "1st write", "all ms", "all CPU");
	printf("  %6s  %-22s %9s %9s %11s %10s %10s\n", "", "", "(parent)",
	       "ms", "us (child)", "(child)", "ms");
	for (s = 0; s < nmb; s++) {
		/* the heap, the child's copy of it, and room to spare */
		if (mem_available_mb() < mb[s] * 3) {
			printf("  %6llu  skipped: %llu MiB available, %llu needed\n",
			       (unsigned long long)mb[s],
			       (unsigned long long)mem_available_mb(),
			       (unsigned long long)mb[s] * 3);
			continue;
		}
		for (k = H_MALLOC; k < H_NR; k++) {
			if (k == H_VGC_MODULE && !module_copies()) {
				printf("  %6llu  %-22s  skipped: no /dev/vgc with VGC_FEAT_FORK_COPY\n",
				       (unsigned long long)mb[s], kind_name[k]);
				continue;
			}
			fails += row(k, mb[s], reps, checksum) != 0;
		}
	}
	return fails ? -1 : 0;
}
