/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kmod selftests: they talk to /dev/vgc with libc and
 * <linux/vgc.h> only, never through libvgcu, so a library bug cannot hide
 * or fake a module bug.
 */
#ifndef VGC_SELFTEST_H
#define VGC_SELFTEST_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vgc.h>

#define VGC_SYSFS_LIMIT	"/sys/module/vgc/parameters/limit_mb"

/* CLOCK_MONOTONIC in nanoseconds. */
static sigjmp_buf vgc_bus_jmp;

static inline void vgc_on_bus(int sig)
{
	(void)sig;
	siglongjmp(vgc_bus_jmp, 1);
}

/* 1 when touching p (a write when wr) raises SIGBUS. */
static inline int vgc_bus_on_touch(volatile char *p, int wr)
{
	struct sigaction sa = { .sa_handler = vgc_on_bus }, old;
	int hit = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(vgc_bus_jmp, 1))
		hit = 1;
	else if (wr)
		*p = 1;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

static inline uint64_t vgc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ioctl that returns 0 or -errno, so ASSERT_EQ(-EINVAL, ...) reads well. */
static inline int vgc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int vgc_open_dev(void)
{
	return open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static inline int vgc_get_version(int fd, struct vgc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return vgc_ioctl(fd, VGC_IOC_GET_VERSION, v);
}

/* Module-wide counters from a fresh fd. */
static inline int vgc_counters(uint64_t *used, uint64_t *arenas)
{
	struct vgc_version v;
	int fd = vgc_open_dev();
	int ret;

	if (fd < 0)
		return -errno;
	ret = vgc_get_version(fd, &v);
	close(fd);
	if (ret)
		return ret;
	*used = v.used_bytes;
	*arenas = v.nr_arenas;
	return 0;
}

/*
 * Waits up to ms for the module's counters to drop to 0: the last
 * reference of an arena may be put from a workqueue after munmap/close.
 */
static inline int vgc_wait_idle(int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	uint64_t used = 1, arenas = 1;

	for (; ms >= 0; ms -= 10) {
		if (vgc_counters(&used, &arenas))
			return -1;
		if (!used && !arenas)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static inline unsigned int vgc_nr_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

/* Zone sizes in granules per partition; one CPU per partition, round robin. */
static inline void vgc_params_init(struct vgc_arena_params *p,
				   unsigned int nr_partitions,
				   uint64_t red, uint64_t green, uint64_t blue)
{
	unsigned int i, ncpu = vgc_nr_online_cpus();

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->nr_partitions = nr_partitions;
	p->zone_granules[VGC_ZONE_RED] = red;
	p->zone_granules[VGC_ZONE_GREEN] = green;
	p->zone_granules[VGC_ZONE_BLUE] = blue;
	for (i = 0; i < nr_partitions && i < VGC_MAX_PARTITIONS; i++)
		p->cpus[i] = i % ncpu;
}

/* Layout with its regions array; regions must hold 3 * nr_partitions. */
static inline int vgc_get_layout(int fd, struct vgc_layout *l,
				 struct vgc_region *regions, unsigned int cap)
{
	memset(l, 0, sizeof(*l));
	l->size = sizeof(*l);
	l->regions_cap = cap;
	l->regions_ptr = (uintptr_t)regions;
	return vgc_ioctl(fd, VGC_IOC_GET_LAYOUT, l);
}

/* Reads an integer from a sysfs file, -1 on error. */
static inline long vgc_read_long(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	fclose(f);
	return v;
}

static inline int vgc_write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

#endif /* VGC_SELFTEST_H */
