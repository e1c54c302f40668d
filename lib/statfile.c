// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Per-arena statistics files for vgcctl (format: statfile.h and
 * docs/vgcctl.md).  $VGC_STATFILE=0 turns them off; $VGC_STATDIR picks the
 * directory, else /run/vgc for root and /dev/shm/vgc-<uid> for others.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include "vgcu_int.h"
#include "statfile.h"

struct statfile_rec {
	struct statfile_rec *next;
	uint64_t arena_id;
	pid_t pid;
	char path[PATH_MAX];
};

static pthread_mutex_t statfile_lock = PTHREAD_MUTEX_INITIALIZER;
static struct statfile_rec *statfile_recs;

void vgcu_statfile_dir(char *buf, size_t len)
{
	const char *env = getenv("VGC_STATDIR");

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, len, "%s", VGCU_STATFILE_DIR_ROOT);
	else
		snprintf(buf, len, "%s%u", VGCU_STATFILE_DIR_SHM,
			 (unsigned int)geteuid());
}

uint64_t vgcu_proc_start_time(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* ") S ppid ..." : field 3 is the state; starttime is field 22. */
	for (i = 2; i < 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1)
		return 0;
	return v;
}

/* The directory exists, is ours (or root's) and is no symlink. */
static int statfile_mkdir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) ||
	    (st.st_uid != geteuid() && st.st_uid != 0) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

static void statfile_fill(struct vgcu_statfile *sf, const struct vgc_arena *a)
{
	struct timespec ts;
	unsigned int i, n;

	memcpy(sf->magic, VGCU_STATFILE_MAGIC, sizeof(sf->magic));
	sf->version = VGCU_STATFILE_VERSION;
	sf->size = VGCU_STATFILE_SIZE;
	sf->pid = (uint32_t)getpid();
	sf->uid = (uint32_t)geteuid();
	sf->start_time = vgcu_proc_start_time((int)sf->pid);
	sf->arena_id = a->id;
	clock_gettime(CLOCK_REALTIME, &ts);
	sf->created_ns = (uint64_t)ts.tv_sec * 1000000000ull +
			 (uint64_t)ts.tv_nsec;
	prctl(PR_GET_NAME, sf->comm, 0, 0, 0);
	sf->comm[sizeof(sf->comm) - 1] = '\0';
	sf->backend = (uint32_t)a->ops->id;
	sf->nr_partitions = a->nr_parts;
	sf->map_addr = (uint64_t)(uintptr_t)a->map;
	sf->map_size = a->map_size;
	sf->ctrl_addr = (uint64_t)(uintptr_t)a->ctrl;
	sf->ctrl_size = a->layout.ctrl_size;
	n = a->nr_parts * VGC_NR_ZONES;
	for (i = 0; i < n && i < VGC_NR_ZONES * VGC_MAX_PARTITIONS; i++) {
		const struct vgc_region *r = &a->regions[i];

		sf->regions[i].zone = (uint16_t)r->zone;
		sf->regions[i].partition = (uint16_t)r->partition;
		sf->regions[i].cpu = r->cpu;
		sf->regions[i].node = r->node;
		sf->regions[i].committed_bytes =
			r->committed_granules << VGC_GRANULE_SHIFT;
	}
}

/* Written under a temporary name and renamed: readers see whole files. */
static int statfile_write(const char *path, const char *tmp,
			  const struct vgcu_statfile *sf)
{
	static const char zero[VGCU_STATFILE_SIZE];
	ssize_t n;
	int fd;

	/* 0600: the addresses in it are the owner's business (ASLR). */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	n = pwrite(fd, sf, sizeof(*sf), 0);
	if (n == (ssize_t)sizeof(*sf))
		n = pwrite(fd, zero, VGCU_STATFILE_SIZE - sizeof(*sf),
			   sizeof(*sf));
	close(fd);
	if (n != (ssize_t)(VGCU_STATFILE_SIZE - sizeof(*sf)) ||
	    rename(tmp, path)) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

void vgcu_statfile_create(struct vgc_arena *a)
{
	const char *env = getenv("VGC_STATFILE");
	struct statfile_rec *rec;
	struct vgcu_statfile *sf;
	char dir[PATH_MAX - 64], tmp[PATH_MAX];
	int err = -ENOMEM;

	if (env && !strcmp(env, "0"))
		return;
	vgcu_statfile_dir(dir, sizeof(dir));
	if (!dir[0] || statfile_mkdir(dir))
		return;
	rec = vgcu_meta_alloc(sizeof(*rec));
	sf = vgcu_meta_alloc(sizeof(*sf));
	if (rec && sf) {
		rec->arena_id = a->id;
		rec->pid = getpid();
		snprintf(rec->path, sizeof(rec->path), "%s/%d-%llu", dir,
			 (int)rec->pid, (unsigned long long)a->id);
		snprintf(tmp, sizeof(tmp), "%s/.tmp-%d-%llu", dir,
			 (int)rec->pid, (unsigned long long)a->id);
		statfile_fill(sf, a);
		err = statfile_write(rec->path, tmp, sf);
	}
	vgcu_meta_free(sf, sizeof(*sf));
	if (err) {
		vgcu_meta_free(rec, sizeof(*rec));
		return;
	}
	pthread_mutex_lock(&statfile_lock);
	rec->next = statfile_recs;
	statfile_recs = rec;
	pthread_mutex_unlock(&statfile_lock);
}

/* A fork()ed child closing its copy of the arena leaves the file alone. */
void vgcu_statfile_remove(struct vgc_arena *a)
{
	struct statfile_rec **pp, *rec = NULL;

	pthread_mutex_lock(&statfile_lock);
	for (pp = &statfile_recs; *pp; pp = &(*pp)->next) {
		if ((*pp)->arena_id == a->id) {
			rec = *pp;
			*pp = rec->next;
			break;
		}
	}
	pthread_mutex_unlock(&statfile_lock);
	if (!rec)
		return;
	if (rec->pid == getpid())
		unlink(rec->path);
	vgcu_meta_free(rec, sizeof(*rec));
}
