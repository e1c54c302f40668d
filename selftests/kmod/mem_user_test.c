// SPDX-License-Identifier: GPL-2.0
/*
 * vgc.ko's limits for unprivileged users (issue 17): as uid 65534 (with
 * /dev/vgc opened up to everyone for the test), arenas stop at the
 * caller's RLIMIT_MEMLOCK with EPERM and show in its VmPin until they are
 * closed, the per-user cap user_limit_mb stops one user's processes
 * together with EDQUOT while root (CAP_SYS_RESOURCE) goes past it, and
 * GET_VERSION shows module-wide usage to CAP_SYS_ADMIN only.
 */
#include <grp.h>
#include <sys/resource.h>
#include "kselftest_harness.h"
#include "mem_util.h"

#define NOBODY		65534
#define MAX_ARENAS	64

struct user_result {
	int ready;
	int created;		/* arenas of ARENA_MIB before the error */
	int err;
	long vmpin_kb;		/* VmPin with them all */
	uint64_t used, arenas;	/* GET_VERSION as this user */
	int release;		/* set by the parent: close and exit */
	long vmpin_closed_kb;	/* VmPin once they are closed */
	int again;		/* one more arena after that */
};

#define ARENA_MIB	2

FIXTURE(user) {
	mode_t mode;
	long user_limit;
	struct user_result *r[2];
};

FIXTURE_SETUP(user)
{
	struct stat st;

	if (geteuid())
		SKIP(return, "needs root");
	if (stat(VGC_DEVICE_PATH, &st))
		SKIP(return, "vgc.ko not loaded");
	self->mode = st.st_mode & 07777;
	self->user_limit = mu_param("user_limit_mb");
	ASSERT_LE(0, self->user_limit);
	ASSERT_EQ(0, chmod(VGC_DEVICE_PATH, 0666));
	self->r[0] = mu_shared(sizeof(struct user_result));
	self->r[1] = mu_shared(sizeof(struct user_result));
	ASSERT_NE(NULL, self->r[0]);
	ASSERT_NE(NULL, self->r[1]);
}

FIXTURE_TEARDOWN(user)
{
	if (self->user_limit >= 0)
		EXPECT_EQ(0, mu_set_param("user_limit_mb", self->user_limit));
	chmod(VGC_DEVICE_PATH, self->mode);
	EXPECT_EQ(0, vgc_wait_idle(5000)) {
		TH_LOG("module counters not back to 0");
	}
}

/*
 * As NOBODY with RLIMIT_MEMLOCK = memlock (set while still root): creates
 * arenas of ARENA_MIB until one fails, reports, and holds them until told.
 */
static void user_child(struct user_result *r, rlim_t memlock)
{
	struct rlimit rl = { memlock, memlock };
	struct vgc_version v;
	int fds[MAX_ARENAS], i, fd;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
	    setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(2);
	for (i = 0; i < MAX_ARENAS; i++) {
		fds[i] = vgc_open_dev();
		if (fds[i] < 0) {
			r->err = -errno;
			break;
		}
		r->err = mu_create(fds[i], ARENA_MIB, i % vgc_nr_online_cpus());
		if (r->err) {
			close(fds[i]);
			break;
		}
		r->created++;
	}
	r->vmpin_kb = mu_read_key("/proc/self/status", "VmPin");
	fd = vgc_open_dev();
	if (fd >= 0 && !vgc_get_version(fd, &v)) {
		r->used = v.used_bytes;
		r->arenas = v.nr_arenas;
	}
	__atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&r->release, __ATOMIC_ACQUIRE))
		usleep(1000);
	while (--i >= 0)
		close(fds[i]);
	/* pinned_vm is given back from a work item: wait for it. */
	for (i = 0; i < 500; i++) {
		r->vmpin_closed_kb = mu_read_key("/proc/self/status", "VmPin");
		if (!r->vmpin_closed_kb)
			break;
		usleep(10000);
	}
	if (fd >= 0) {
		r->again = mu_create(fd, ARENA_MIB, 0);
		close(fd);
	}
	_exit(0);
}

static pid_t start_user(struct user_result *r, rlim_t memlock)
{
	pid_t pid = fork();

	if (!pid)
		user_child(r, memlock);
	while (pid > 0 && !__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE)) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(1000);
	}
	return pid;
}

static int end_user(struct user_result *r, pid_t pid)
{
	int status;

	__atomic_store_n(&r->release, 1, __ATOMIC_RELEASE);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* What one arena of ARENA_MIB charges: data and metadata. */
static uint64_t arena_bytes(void)
{
	uint64_t before = 0, after = 0, n;
	int fd = vgc_open_dev();

	if (fd < 0 || vgc_counters(&before, &n) || mu_create(fd, ARENA_MIB, 0))
		return 0;
	if (vgc_counters(&after, &n))
		after = before;
	close(fd);
	return after - before;
}

/* RLIMIT_MEMLOCK of 8 MiB: three 2 MiB arenas fit, the fourth is EPERM. */
TEST_F(user, rlimit_memlock)
{
	uint64_t each = arena_bytes();
	rlim_t memlock = 8 * MiB;
	pid_t pid;

	ASSERT_LT(0, each);
	ASSERT_EQ(0, mu_set_param("user_limit_mb", 0));
	pid = start_user(self->r[0], memlock);
	ASSERT_LT(0, pid) {
		TH_LOG("the child could not become uid %d", NOBODY);
	}
	EXPECT_EQ(-EPERM, self->r[0]->err);
	EXPECT_EQ(memlock / each, (uint64_t)self->r[0]->created);
	EXPECT_EQ(self->r[0]->created * each / 1024,
		  (uint64_t)self->r[0]->vmpin_kb);
	TH_LOG("%llu bytes per arena: %d arenas, then %d; VmPin %ld kB",
	       (unsigned long long)each, self->r[0]->created, self->r[0]->err,
	       self->r[0]->vmpin_kb);
	EXPECT_EQ(0, end_user(self->r[0], pid));
	/* Closed, they are off VmPin, and the rlimit has room again. */
	EXPECT_EQ(0, self->r[0]->vmpin_closed_kb);
	EXPECT_EQ(0, self->r[0]->again);
}

/*
 * user_limit_mb = 8: NOBODY's first process stops with EDQUOT at 8 MiB, a
 * second process of the same user gets nothing, root still gets more.
 */
TEST_F(user, per_user_cap)
{
	uint64_t each = arena_bytes();
	pid_t pid[2];
	int fd;

	ASSERT_LT(0, each);
	ASSERT_EQ(0, mu_set_param("user_limit_mb", 8));
	pid[0] = start_user(self->r[0], RLIM_INFINITY);
	ASSERT_LT(0, pid[0]);
	EXPECT_EQ(-EDQUOT, self->r[0]->err);
	EXPECT_EQ(8 * MiB / each, (uint64_t)self->r[0]->created);
	pid[1] = start_user(self->r[1], RLIM_INFINITY);
	ASSERT_LT(0, pid[1]);
	EXPECT_EQ(-EDQUOT, self->r[1]->err);
	EXPECT_EQ(0, self->r[1]->created);
	TH_LOG("user cap 8 MiB: %d arenas then %d; second process: %d then %d",
	       self->r[0]->created, self->r[0]->err, self->r[1]->created,
	       self->r[1]->err);

	/* Root is exempt. */
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, mu_create(fd, 16, 0));
	close(fd);

	EXPECT_EQ(0, end_user(self->r[1], pid[1]));
	EXPECT_EQ(0, end_user(self->r[0], pid[0]));
	/* Released, the cap is free again. */
	ASSERT_EQ(0, vgc_wait_idle(5000));
	pid[0] = start_user(self->r[0] = mu_shared(sizeof(struct user_result)),
			    RLIM_INFINITY);
	ASSERT_LT(0, pid[0]);
	EXPECT_EQ(8 * MiB / each, (uint64_t)self->r[0]->created);
	EXPECT_EQ(0, end_user(self->r[0], pid[0]));
}

/* Module-wide usage: CAP_SYS_ADMIN sees it, NOBODY sees 0. */
TEST_F(user, version_hides_usage)
{
	struct vgc_version v;
	pid_t pid;
	int fd;

	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mu_create(fd, ARENA_MIB, 0));
	ASSERT_EQ(0, mu_set_param("user_limit_mb", 0));
	pid = start_user(self->r[0], 8 * MiB);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, self->r[0]->used);
	EXPECT_EQ(0, self->r[0]->arenas);
	EXPECT_LT(0, self->r[0]->created);
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	EXPECT_LT(0, v.used_bytes);
	EXPECT_EQ((uint64_t)self->r[0]->created + 1, v.nr_arenas);
	EXPECT_EQ(0, end_user(self->r[0], pid));
	close(fd);
}

TEST_HARNESS_MAIN
