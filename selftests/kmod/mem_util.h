/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the memory-pressure and limit selftests (mem_*_test.c): the
 * kernel's OOM-kill counters, /proc/meminfo, module parameters, a memory
 * cgroup of our own, and children that report through shared memory.
 */
#ifndef VGC_MEM_UTIL_H
#define VGC_MEM_UTIL_H

#include <signal.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "vgc_test.h"

#define MiB			(1ULL << 20)
#define SYSFS_PARAM		"/sys/module/vgc/parameters/"
#define CGROUP_ROOT		"/sys/fs/cgroup"

/* Granules of data of n MiB. */
#define MIB_GRANULES(n)		((uint64_t)(n) * MiB >> VGC_GRANULE_SHIFT)

/* A value of "KEY value" lines (/proc/vmstat, /proc/meminfo, memory.events). */
static inline long mu_read_key(const char *path, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && (line[n] == ' ' || line[n] == ':')) {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* OOM kills since boot, all of them (memcg ones included). */
static inline long mu_oom_kills(void)
{
	return mu_read_key("/proc/vmstat", "oom_kill");
}

/* "invoked oom-killer" lines in the kernel log buffer. */
static inline int mu_oom_lines(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *p;
	int n = 0;

	if (len <= 0)
		return -1;
	buf = malloc(len + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = 0;
	for (p = buf; (p = strstr(p, "invoked oom-killer")); p++)
		n++;
	free(buf);
	return n;
}

static inline long mu_mem_available(void)
{
	return mu_read_key("/proc/meminfo", "MemAvailable") * 1024;
}

static inline long mu_mem_total(void)
{
	return mu_read_key("/proc/meminfo", "MemTotal") * 1024;
}

static inline long mu_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SYSFS_PARAM "%s", name);
	return vgc_read_long(path);
}

static inline int mu_set_param(const char *name, long v)
{
	char path[128];

	snprintf(path, sizeof(path), SYSFS_PARAM "%s", name);
	return vgc_write_long(path, v);
}

static inline int mu_write(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fputs(s, f) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/*
 * A child cgroup of the cgroup2 root with the memory controller and
 * memory.max = max_bytes, mounting cgroup2 if nothing is mounted there.
 * 0 or -errno.
 */
static inline int mu_cgroup_make(const char *name, uint64_t max_bytes,
				 char *path, size_t len)
{
	char file[256], v[32];
	int ret;

	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL))
		return -errno;
	ret = mu_write(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	snprintf(path, len, CGROUP_ROOT "/%s", name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(file, sizeof(file), "%s/memory.max", path);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)max_bytes);
	return mu_write(file, v);
}

static inline int mu_cgroup_enter(const char *path)
{
	char file[256];

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	return mu_write(file, "0");
}

static inline long mu_cgroup_event(const char *path, const char *key)
{
	char file[256];

	snprintf(file, sizeof(file), "%s/memory.events", path);
	return mu_read_key(file, key);
}

/* Removes the cgroup once its processes are gone (they may be exiting). */
static inline void mu_cgroup_remove(const char *path)
{
	int i;

	for (i = 0; i < 200 && rmdir(path) && errno == EBUSY; i++)
		usleep(10000);
}

/* Shared with children: mmap()ed before fork, touched by the parent. */
static inline void *mu_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	return p;
}

/*
 * A bystander: a process that never opens /dev/vgc, holds bytes of
 * touched anonymous memory and sleeps, in cgroup (or not, when NULL).
 * Returns its pid once its memory is in place, or -1.
 */
static inline pid_t mu_bystander(const char *cgroup, size_t bytes)
{
	int pfd[2];
	char c = 0;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		char *m;

		close(pfd[0]);
		if (cgroup && mu_cgroup_enter(cgroup))
			_exit(2);
		m = malloc(bytes);
		if (!m)
			_exit(3);
		memset(m, 0x5a, bytes);
		/* Escapes: the compiler may not drop the memory. */
		__asm__ volatile("" : : "r"(m) : "memory");
		if (write(pfd[1], &c, 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(pfd[0]);
	return pid;
}

/* Still alive (not killed by anyone), then ended by us: true if so. */
static inline int mu_bystander_end(pid_t pid)
{
	int status, alive;

	alive = waitpid(pid, &status, WNOHANG) == 0;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return alive && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
}

/* An arena of mib MiB of Green data on one partition of cpu. */
static inline void mu_params(struct vgc_arena_params *p, uint64_t mib,
			     unsigned int cpu)
{
	vgc_params_init(p, 1, 0, MIB_GRANULES(mib), 0);
	p->cpus[0] = cpu;
}

static inline int mu_create(int fd, uint64_t mib, unsigned int cpu)
{
	struct vgc_arena_params p;

	mu_params(&p, mib, cpu);
	return vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p);
}

static inline int64_t mu_now_ms(void)
{
	return (int64_t)(vgc_now_ns() / 1000000);
}

#endif /* VGC_MEM_UTIL_H */
