/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the libvgcu host tests.  Tests open arenas with the AUTO
 * backend, so $VGC_BACKEND picks the module (in the VM) or anonymous
 * memory (on the host); they must pass on both.
 */
#ifndef VGCU_TEST_H
#define VGCU_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <vgcu.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t vgct_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* First n CPUs this process may run on (n = 0: all, up to 64). */
static inline unsigned int vgct_cpus(unsigned int *cpus, unsigned int n)
{
	cpu_set_t set;
	unsigned int c, k = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (c = 0; c < CPU_SETSIZE && k < VGC_MAX_PARTITIONS; c++)
		if (CPU_ISSET(c, &set) && (!n || k < n))
			cpus[k++] = c;
	return k;
}

/*
 * nparts partitions on the first allowed CPUs, zone_bytes per zone, and
 * reserve bytes of reserve per zone (VGC_RESERVE_AUTO: the elastic
 * default of vgc_config_init()).
 */
static inline int vgct_open_reserve(struct vgc_arena **a, unsigned int nparts,
				    uint64_t zone_bytes, uint64_t reserve)
{
	struct vgc_config cfg;
	unsigned int z;

	vgc_config_init(&cfg);
	if (nparts) {
		cfg.nr_partitions = vgct_cpus(cfg.cpus, nparts);
		if (!cfg.nr_partitions)
			return -EINVAL;
	}
	for (z = 0; z < VGC_NR_ZONES; z++) {
		cfg.zone_bytes[z] = zone_bytes;
		cfg.zone_reserve_bytes[z] = reserve;
	}
	return vgc_arena_open(&cfg, a);
}

/*
 * A fixed capacity (no reserve): the tests of exact capacities, reuse
 * distances and ENOMEM.  The elastic heap's tests use vgct_open_reserve().
 */
static inline int vgct_open(struct vgc_arena **a, unsigned int nparts,
			    uint64_t zone_bytes)
{
	return vgct_open_reserve(a, nparts, zone_bytes, 0);
}

static inline int vgct_ckpt(struct vgc_arena *a, unsigned int flags,
			    struct vgc_checkpoint *res)
{
	struct vgc_ckpt_opts o = { .partition_mask = 0, .flags = flags };

	return vgc_checkpoint(a, &o, res);
}

/* The span table entry (the ABI's VGC_SPAN_* or a class) of p's span. */
static inline uint16_t vgct_span_entry(struct vgc_arena *a, const void *p)
{
	const struct vgc_layout *l = vgc_arena_layout(a);
	const char *base = vgc_arena_base(a);
	const uint16_t *spans = (const uint16_t *)(base - l->data_offset +
						   l->spans_offset);

	return spans[(uint64_t)((const char *)p - base) / VGC_SPAN_SIZE];
}

/*
 * A path in the build tree of the running test, build/selftests/lib/<test>:
 * build/<rel>.  0, or -1 when /proc/self/exe cannot be read or buf is short.
 */
static inline int vgct_build_path(char *buf, size_t len, const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/../../%s", exe, rel) >= len)
		return -1;
	return 0;
}

/* The arena's mappings in /proc/self/smaps, summed (vgct_arena_smaps()). */
struct vgct_smaps {
	unsigned int vmas;	/* mappings that overlap the arena's */
	unsigned int nh;	/* of them with VM_NOHUGEPAGE ("nh" in VmFlags) */
	long rss_kb, huge_kb;	/* Rss, AnonHugePages */
};

/* 0, or -1 when /proc/self/smaps cannot be read. */
static inline int vgct_arena_smaps(struct vgc_arena *a, struct vgct_smaps *m)
{
	const struct vgc_layout *l = vgc_arena_layout(a);
	uintptr_t lo = (uintptr_t)vgc_arena_base(a) - l->data_offset;
	uintptr_t hi = lo + l->map_size, s, e;
	char line[512];
	int in = 0;
	long kb;
	FILE *f = fopen("/proc/self/smaps", "r");

	memset(m, 0, sizeof(*m));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &s, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = s < hi && e > lo;
			m->vmas += in;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Rss: %ld kB", &kb) == 1)
			m->rss_kb += kb;
		else if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			m->huge_kb += kb;
		else if (!strncmp(line, "VmFlags:", 8) && strstr(line, " nh"))
			m->nh++;
	}
	fclose(f);
	return 0;
}

/*
 * Stdout of a shell command, NUL-terminated, at most cap - 1 bytes (NULL
 * when it cannot run); *status its exit status (128 + signal for a signal).
 * The caller frees it.
 */
static inline char *vgct_run(const char *cmd, size_t cap, int *status)
{
	char *out = malloc(cap);
	FILE *f = popen(cmd, "r");
	size_t len = 0, n;
	int st;

	if (!out || !f) {
		free(out);
		if (f)
			pclose(f);
		return NULL;
	}
	while (len < cap - 1 && (n = fread(out + len, 1, cap - 1 - len, f)) > 0)
		len += n;
	out[len] = '\0';
	st = pclose(f);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) :
		  WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	return out;
}

#endif /* VGCU_TEST_H */
