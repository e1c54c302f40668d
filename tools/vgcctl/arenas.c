// SPDX-License-Identifier: GPL-2.0
/*
 * vgcctl: the arenas of the machine.
 *
 * Module arenas come from /sys/kernel/debug/vgc/arena-<id> (owner, pages
 * per node, regions, and the region_stats lines with the control page's
 * state counts and pause histograms).  Arenas of libvgcu on any backend
 * also publish a statistics file (lib/statfile.h, docs/vgcctl.md); those of
 * the anonymous backend, which the module never sees, are listed from it,
 * with their live figures copied out of the owner's control page by
 * process_vm_readv(2) and their pages per node from /proc/<pid>/numa_maps.
 * Files whose process is gone (or whose pid was reused) are removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "vgcctl.h"
#include "vgcu.h"
#include "statfile.h"

uint64_t zone_live(const struct zone_info *z)
{
	uint64_t n = 0;
	unsigned int s;

	for (s = VGC_ST_IDLE; s <= VGC_ST_PERSISTENT; s++)
		n += z->states[s];
	return n;
}

uint64_t zone_pending(const struct zone_info *z)
{
	return z->states[VGC_ST_DEFERRED] + z->states[VGC_ST_MARKED] +
	       z->states[VGC_ST_EXPIRED];
}

static struct arena_info *arena_add(struct arena_set *set)
{
	struct arena_info *a;

	a = realloc(set->a, (set->n + 1) * sizeof(*a));
	if (!a)
		return NULL;
	set->a = a;
	a = &set->a[set->n++];
	memset(a, 0, sizeof(*a));
	a->pid = -1;
	a->threads = -1u;
	return a;
}

static int zone_of(const char *s)
{
	unsigned int z;

	for (z = 0; z < VGC_NR_ZONES; z++)
		if (!strcmp(s, vgcctl_zone_names[z]))
			return (int)z;
	return -1;
}

int debugfs_check(char *buf, size_t len)
{
	char line[512];
	int mounted = 0;
	FILE *f;
	DIR *d;

	d = opendir(VGCCTL_DEBUGFS_VGC);
	if (d) {
		closedir(d);
		return 0;
	}
	if (errno == EACCES || errno == EPERM) {
		snprintf(buf, len, "%s: %s (debugfs is readable by root only)",
			 VGCCTL_DEBUGFS_VGC, strerror(errno));
		return -1;
	}
	f = fopen("/proc/mounts", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " " VGCCTL_DEBUGFS " debugfs "))
			mounted = 1;
	if (f)
		fclose(f);
	if (!mounted)
		snprintf(buf, len,
			 "debugfs is not mounted at %s (mount -t debugfs none %s)",
			 VGCCTL_DEBUGFS, VGCCTL_DEBUGFS);
	else
		snprintf(buf, len, "%s: %s (is vgc.ko loaded?)",
			 VGCCTL_DEBUGFS_VGC, strerror(errno));
	return -1;
}

/* One arena-<id> file; 0 when it parsed, -1 when it vanished. */
static int debugfs_arena(struct arena_info *a, const char *path)
{
	char line[1024], zname[16];
	long pagesz = sysconf(_SC_PAGESIZE);
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	a->backend = "module";
	a->source = "debugfs";
	a->node_source = "debugfs";
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v, c[16];
		unsigned int part, nid;
		int z, n, off = 0, k;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "id %llu", &v) == 1)
			a->id = v;
		else if (sscanf(line, "pid %d", &a->pid) == 1)
			;
		else if (!strncmp(line, "comm ", 5))
			snprintf(a->comm, sizeof(a->comm), "%.31s", line + 5);
		else if (sscanf(line, "partitions %u", &a->partitions) == 1)
			;
		else if (sscanf(line, "map_size %llu", &v) == 1)
			a->map_size = v;
		else if (sscanf(line, "committed_bytes %llu", &v) == 1)
			a->committed_bytes = v;
		else if (sscanf(line, "threads %u", &a->threads) == 1)
			;
		else if (sscanf(line, "checkpoints %llu", &v) == 1)
			a->checkpoints = v;
		else if (sscanf(line, "node%u_pages %llu", &nid, &v) == 2) {
			if (nid < VGCCTL_MAX_NODES)
				a->node_bytes[nid] = v * (uint64_t)pagesz;
		} else if (sscanf(line, "region_stats %15s %u%n", zname, &part,
				  &off) == 2 && (z = zone_of(zname)) >= 0) {
			struct zone_info *zi = &a->zone[z];
			char *p = line + off;

			for (k = 0; k < VGC_NR_STATES + 2 + VGC_PAUSE_BUCKETS; k++) {
				if (sscanf(p, " %llu%n", &v, &n) != 1)
					break;
				p += n;
				if (k < VGC_NR_STATES)
					zi->states[k] += v;
				else if (k == VGC_NR_STATES)
					zi->reclaimed_bytes += v;
				else if (k == VGC_NR_STATES + 1)
					zi->total_pause_ns += v;
				else
					zi->hist[k - VGC_NR_STATES - 2] += v;
			}
			a->have_stats = 1;
		} else if (sscanf(line, "%15s %u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				  zname, &part, &c[0], &c[1], &c[2], &c[3],
				  &c[4], &c[5], &c[6], &c[7], &c[8], &c[9],
				  &c[10], &c[11], &c[12]) == 15 &&
			   (z = zone_of(zname)) >= 0) {
			/* cpu node chunks first committed capacity g0 g1 g2
			 * sweeps reclaimed last_pause max_pause
			 */
			struct zone_info *zi = &a->zone[z];

			zi->bytes += c[4] << VGC_GRANULE_SHIFT;
			zi->sweeps += c[9];
			zi->reclaimed_objects += c[10];
			if (c[12] > zi->max_pause_ns)
				zi->max_pause_ns = c[12];
		}
	}
	fclose(f);
	snprintf(a->name, sizeof(a->name), "module:%" PRIu64, a->id);
	if (!a->have_stats)
		snprintf(a->note, sizeof(a->note),
			 "module without region_stats in debugfs");
	return 0;
}

static int name_cmp(const struct dirent **x, const struct dirent **y)
{
	return strverscmp((*x)->d_name, (*y)->d_name);
}

static void collect_debugfs(struct arena_set *set, int pid_filter)
{
	struct dirent **names;
	char path[PATH_MAX];
	int n, i;

	if (debugfs_check(set->debugfs_error, sizeof(set->debugfs_error)))
		return;
	n = scandir(VGCCTL_DEBUGFS_VGC, &names, NULL, name_cmp);
	if (n < 0) {
		snprintf(set->debugfs_error, sizeof(set->debugfs_error),
			 "%s: %s", VGCCTL_DEBUGFS_VGC, strerror(errno));
		return;
	}
	set->debugfs_ok = 1;
	for (i = 0; i < n; i++) {
		struct arena_info *a;

		if (!strncmp(names[i]->d_name, "arena-", 6)) {
			snprintf(path, sizeof(path), "%s/%s",
				 VGCCTL_DEBUGFS_VGC, names[i]->d_name);
			a = arena_add(set);
			if (a && (debugfs_arena(a, path) ||
				  (pid_filter > 0 && a->pid != pid_filter)))
				set->n--;
		}
		free(names[i]);
	}
	free(names);
}

/* Pages of [start, end) of pid per node from /proc/<pid>/numa_maps. */
static int numa_maps_bytes(int pid, uint64_t start, uint64_t end,
			   uint64_t *node_bytes)
{
	char path[64], line[4096];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr, kb = 4, pages[VGCCTL_MAX_NODES] = { 0 };
		unsigned int nid, i;
		char *tok, *save;

		if (sscanf(line, "%llx", &addr) != 1 || addr < start ||
		    addr >= end)
			continue;
		for (tok = strtok_r(line, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save)) {
			unsigned long long v;

			if (sscanf(tok, "N%u=%llu", &nid, &v) == 2 &&
			    nid < VGCCTL_MAX_NODES)
				pages[nid] += v;
			else
				sscanf(tok, "kernelpagesize_kB=%llu", &kb);
		}
		for (i = 0; i < VGCCTL_MAX_NODES; i++)
			node_bytes[i] += pages[i] * kb * 1024;
		found = 1;
	}
	fclose(f);
	return found ? 0 : -1;
}

/* The live control page of the owner: state counts, pauses, checkpoints. */
static void statfile_live(struct arena_info *a, const struct vgcu_statfile *sf)
{
	size_t len = offsetof(struct vgc_ctrl, regions) +
		(size_t)sf->nr_partitions * VGC_NR_ZONES *
		sizeof(struct vgc_region_stats);
	struct vgc_ctrl *c = calloc(1, sizeof(*c));
	struct iovec local = { .iov_base = c, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)sf->ctrl_addr,
				.iov_len = len };
	unsigned int i, g, s;
	ssize_t n;

	if (!c)
		return;
	n = process_vm_readv(sf->pid, &local, 1, &remote, 1, 0);
	if (n != (ssize_t)len || c->abi_version != VGC_ABI_VERSION ||
	    c->nr_partitions != sf->nr_partitions) {
		snprintf(a->note, sizeof(a->note),
			 "live statistics not readable: %s",
			 n < 0 ? strerror(errno) : "unexpected control page");
		free(c);
		return;
	}
	a->have_stats = 1;
	a->checkpoints = c->checkpoints;
	a->committed_bytes = c->committed_bytes;
	a->threads = c->nr_threads;
	for (i = 0; i < sf->nr_partitions * VGC_NR_ZONES; i++) {
		const struct vgc_region_stats *st = &c->regions[i];
		struct zone_info *z = &a->zone[i / sf->nr_partitions];

		for (g = 0; g < VGC_NR_GENS; g++)
			for (s = 0; s < VGC_NR_STATES; s++)
				z->states[s] += st->states[g][s];
		z->reclaimed_objects += st->reclaimed_objects;
		z->reclaimed_bytes += st->reclaimed_bytes;
		z->sweeps += st->sweeps;
		z->total_pause_ns += st->total_pause_ns;
		if (st->max_pause_ns > z->max_pause_ns)
			z->max_pause_ns = st->max_pause_ns;
		for (s = 0; s < VGC_PAUSE_BUCKETS; s++)
			z->hist[s] += st->pause_hist[s];
	}
	free(c);
}

/* 1: the owner of sf is alive, 0: the file is stale. */
static int statfile_alive(const struct vgcu_statfile *sf)
{
	uint64_t st;

	if (!sf->pid || (kill((pid_t)sf->pid, 0) && errno == ESRCH))
		return 0;
	st = vgcu_proc_start_time((int)sf->pid);
	return !st || !sf->start_time || st == sf->start_time;
}

static void statfile_one(struct arena_set *set, const char *path,
			 int pid_filter)
{
	struct vgcu_statfile *sf = calloc(1, sizeof(*sf));
	struct arena_info *a;
	unsigned int i, j;
	ssize_t n;
	int fd;

	if (!sf)
		return;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto out;
	n = read(fd, sf, sizeof(*sf));
	close(fd);
	if (n != (ssize_t)sizeof(*sf) ||
	    memcmp(sf->magic, VGCU_STATFILE_MAGIC, sizeof(sf->magic)) ||
	    sf->version != VGCU_STATFILE_VERSION ||
	    sf->size != VGCU_STATFILE_SIZE ||
	    !sf->nr_partitions || sf->nr_partitions > VGC_MAX_PARTITIONS)
		goto out;
	if (!statfile_alive(sf)) {
		if (!unlink(path))
			set->stale_removed++;
		goto out;
	}
	if (pid_filter > 0 && (int)sf->pid != pid_filter)
		goto out;
	/* debugfs shows module arenas with the kernel's own figures. */
	if (sf->backend == VGC_BACKEND_MODULE && set->debugfs_ok)
		goto out;
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->a[i].source, "statfile") &&
		    set->a[i].pid == (int)sf->pid &&
		    set->a[i].id == sf->arena_id)
			goto out;
	a = arena_add(set);
	if (!a)
		goto out;
	a->backend = sf->backend == VGC_BACKEND_MODULE ? "module" : "anon";
	a->source = "statfile";
	a->pid = (int)sf->pid;
	a->id = sf->arena_id;
	sf->comm[sizeof(sf->comm) - 1] = '\0';
	snprintf(a->comm, sizeof(a->comm), "%s", sf->comm);
	snprintf(a->name, sizeof(a->name), "%s:%u-%" PRIu64, a->backend,
		 sf->pid, sf->arena_id);
	a->partitions = sf->nr_partitions;
	a->map_size = sf->map_size;
	for (i = 0; i < sf->nr_partitions * VGC_NR_ZONES; i++) {
		const struct vgcu_statfile_region *r = &sf->regions[i];

		if (r->zone < VGC_NR_ZONES)
			a->zone[r->zone].bytes += r->committed_bytes;
		a->committed_bytes += r->committed_bytes;
	}
	statfile_live(a, sf);
	if (!numa_maps_bytes(a->pid, sf->map_addr,
			     sf->map_addr + sf->map_size, a->node_bytes)) {
		a->node_source = "numa_maps";
	} else {
		/* Unreadable: where the regions are bound, at open. */
		a->node_source = "regions";
		for (j = 0; j < sf->nr_partitions * VGC_NR_ZONES; j++) {
			const struct vgcu_statfile_region *r = &sf->regions[j];

			if (r->node >= 0 && r->node < VGCCTL_MAX_NODES)
				a->node_bytes[r->node] += r->committed_bytes;
		}
	}
out:
	free(sf);
}

static void collect_dir(struct arena_set *set, const char *dir,
			int pid_filter)
{
	struct dirent **names;
	char path[PATH_MAX];
	size_t l = strlen(set->statdirs);
	int n, i;

	n = scandir(dir, &names, NULL, name_cmp);
	if (n < 0)
		return;
	snprintf(set->statdirs + l, sizeof(set->statdirs) - l, "%s%s",
		 l ? " " : "", dir);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 names[i]->d_name);
			statfile_one(set, path, pid_filter);
		}
		free(names[i]);
	}
	free(names);
}

void arenas_collect(struct arena_set *set, int pid_filter)
{
	const char *env = getenv("VGC_STATDIR");
	struct dirent **names;
	char dir[PATH_MAX];
	int n, i;

	memset(set, 0, sizeof(*set));
	collect_debugfs(set, pid_filter);
	if (env && *env)
		collect_dir(set, env, pid_filter);
	collect_dir(set, VGCU_STATFILE_DIR_ROOT, pid_filter);
	/* /dev/shm/vgc-<uid> of every user we can read */
	n = scandir("/dev/shm", &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (!strncmp(names[i]->d_name, "vgc-", 4)) {
			snprintf(dir, sizeof(dir), "/dev/shm/%s",
				 names[i]->d_name);
			collect_dir(set, dir, pid_filter);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

void arenas_free(struct arena_set *set)
{
	free(set->a);
	set->a = NULL;
	set->n = 0;
}
