// SPDX-License-Identifier: GPL-2.0
/*
 * vgc.ko under memory pressure (issue 17): a memory cgroup smaller than
 * the arena, an arena larger than the machine's available memory, a caller
 * killed while it allocates, pages kept alive by an io_uring fixed buffer
 * or a pipe after their arena is gone, and the limits themselves (default from RAM,
 * per node, lowered below use).  Allocation failures must be ENOMEM (or
 * the documented limit errno), never an OOM kill: the kernel's oom_kill
 * counter and its "invoked oom-killer" lines must not move, and bystanders
 * must survive.
 */
#include <fcntl.h>
#include <liburing.h>
#include <sys/uio.h>
#include "kselftest_harness.h"
#include "mem_util.h"

FIXTURE(mem) {
	long oom_kills;
	int oom_lines;
	long limit_mb;
};

/*
 * limit_mb as this binary found it.  Each test runs in a child of its own,
 * and one that the harness kills on a timeout never reaches its teardown:
 * the first setup keeps the value in a file, later setups put it back.
 */
#define MEM_LIMIT_FILE	"/tmp/vgc-mem-pressure-limit_mb"

static long limit_at_start(void)
{
	long v = -1;
	FILE *f = fopen(MEM_LIMIT_FILE, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
		if (v > 0 && mu_param("limit_mb") != v)
			mu_set_param("limit_mb", v);
		return v;
	}
	v = mu_param("limit_mb");
	f = fopen(MEM_LIMIT_FILE, "w");
	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
	return v;
}

/* Whoever exits normally has restored the limit: forget it. */
static void __attribute__((destructor)) limit_forget(void)
{
	unlink(MEM_LIMIT_FILE);
}

FIXTURE_SETUP(mem)
{
	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "vgc.ko not loaded");
	self->oom_kills = mu_oom_kills();
	self->oom_lines = mu_oom_lines();
	self->limit_mb = limit_at_start();
}

FIXTURE_TEARDOWN(mem)
{
	if (self->limit_mb > 0)
		EXPECT_EQ(0, mu_set_param("limit_mb", self->limit_mb));
	EXPECT_EQ(0, vgc_wait_idle(5000)) {
		TH_LOG("module counters not back to 0");
	}
	EXPECT_EQ(self->oom_kills, mu_oom_kills()) {
		TH_LOG("the OOM killer ran");
	}
	EXPECT_EQ(self->oom_lines, mu_oom_lines()) {
		TH_LOG("\"invoked oom-killer\" in the kernel log");
	}
}

/* What a child in the cgroup saw. */
struct cg_result {
	int started;
	int big;		/* one arena twice memory.max */
	int many_err;		/* first error of 6 MiB arenas */
	int many_ok;		/* arenas created before it */
	int grow_err;		/* first error of 1 MiB grows */
	int grow_ok;
	uint64_t used_after_fail;	/* module used_bytes after all that */
};

#define CG_MAX		(64 * MiB)
#define CG_MANY		40

static void cg_child(const char *cg, struct cg_result *r)
{
	struct vgc_arena_params p;
	struct vgc_grow g;
	int fds[CG_MANY], i, fd, ret;

	if (mu_cgroup_enter(cg))
		_exit(2);
	r->started = 1;

	/* 1: one arena of 128 MiB. */
	fd = vgc_open_dev();
	if (fd < 0)
		_exit(3);
	r->big = mu_create(fd, 128, 0);
	close(fd);

	/* 2: 6 MiB arenas, each on its own fd, all kept open. */
	r->many_err = 0;
	for (i = 0; i < CG_MANY; i++) {
		fds[i] = vgc_open_dev();
		if (fds[i] < 0) {
			r->many_err = -errno;
			break;
		}
		ret = mu_create(fds[i], 6, i % vgc_nr_online_cpus());
		if (ret) {
			r->many_err = ret;
			close(fds[i]);
			break;
		}
		r->many_ok++;
	}
	while (--i >= 0)
		close(fds[i]);

	/* 3: 1 MiB grows of an arena with 256 MiB of reserve. */
	fd = vgc_open_dev();
	if (fd < 0)
		_exit(4);
	vgc_params_init(&p, 1, 0, VGC_SPAN_GRANULES, 0);
	p.zone_reserve_granules[VGC_ZONE_GREEN] = MIB_GRANULES(256);
	ret = vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p);
	if (ret) {
		r->grow_err = ret;
		r->grow_ok = -1;
	}
	while (!ret) {
		memset(&g, 0, sizeof(g));
		g.size = sizeof(g);
		g.zone = VGC_ZONE_GREEN;
		g.granules = MIB_GRANULES(1);
		ret = vgc_ioctl(fd, VGC_IOC_GROW, &g);
		if (ret)
			r->grow_err = ret;
		else
			r->grow_ok++;
	}
	close(fd);
	_exit(0);
}

/*
 * A 64 MiB memory cgroup with a 16 MiB bystander: an arena of 128 MiB,
 * 6 MiB arenas until one fails, 1 MiB grows until one fails.  All end in
 * ENOMEM, nobody is OOM-killed, the bystander lives.
 */
TEST_F(mem, memcg_enomem)
{
	struct cg_result *r = mu_shared(sizeof(*r));
	char cg[128];
	pid_t by, pid;
	int status, ret;

	ASSERT_NE(NULL, r);
	ret = mu_cgroup_make("vgc-mem-test", CG_MAX, cg, sizeof(cg));
	if (ret)
		SKIP(return, "no memory cgroup (%s)", strerror(-ret));
	by = mu_bystander(cg, 16 * MiB);
	ASSERT_LT(0, by);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		cg_child(cg, r);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("the child in the cgroup died: status %#x", status);
	}
	EXPECT_EQ(1, r->started);
	EXPECT_EQ(-ENOMEM, r->big);
	EXPECT_EQ(-ENOMEM, r->many_err);
	EXPECT_GT(CG_MANY, r->many_ok);
	EXPECT_EQ(-ENOMEM, r->grow_err);
	EXPECT_LT(0, r->grow_ok);
	EXPECT_GT(256, r->grow_ok);
	TH_LOG("128 MiB arena: %d; 6 MiB arenas: %d then %d; 1 MiB grows: %d then %d",
	       r->big, r->many_ok, r->many_err, r->grow_ok, r->grow_err);
	EXPECT_EQ(0, mu_cgroup_event(cg, "oom_kill"));
	EXPECT_TRUE(mu_bystander_end(by));
	mu_cgroup_remove(cg);
	munmap(r, sizeof(*r));
}

/* Creates an arena of mib MiB in a child; its result, or 1 if it died. */
struct global_result {
	int ret[2];
	int go;
};

static void global_child(struct global_result *r, int i, uint64_t mib)
{
	int fd = vgc_open_dev();

	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE))
		usleep(1000);
	r->ret[i] = fd < 0 ? -errno : mu_create(fd, mib, i % vgc_nr_online_cpus());
	/* Hold it a moment so that both are in memory at once. */
	usleep(200 * 1000);
	_exit(0);
}

/*
 * Global pressure, under a limit raised above RAM: an arena larger than
 * the available memory fails with ENOMEM before taking anything; two
 * arenas of 60% of it at once cannot both fit: one ends in ENOMEM.  The
 * bystander (a quarter of the available memory) and everyone else live.
 */
/*
 * Two arenas of 60 % of available memory fill it page by page: seconds on
 * a stock kernel, over a minute under KASAN and page poisoning.
 */
TEST_F_TIMEOUT(mem, global_enomem, 600)
{
	struct global_result *r = mu_shared(sizeof(*r));
	long avail, total = mu_mem_total();
	struct vgc_version v;
	pid_t by, pid[2];
	int fd, i, status, fails = 0;
	int64_t t0;

	ASSERT_NE(NULL, r);
	ASSERT_LT(0, total);
	if (self->limit_mb < 0)
		SKIP(return, "limit_mb not writable");
	ASSERT_EQ(0, mu_set_param("limit_mb", 4 * total / MiB));
	avail = mu_mem_available();
	by = mu_bystander(NULL, avail / 4);
	ASSERT_LT(0, by);
	TH_LOG("%ld MiB of RAM, %ld MiB available, a bystander holds %ld MiB",
	       total / MiB, avail / MiB, avail / 4 / MiB);
	avail = mu_mem_available();
	ASSERT_LT(0, avail);

	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	t0 = mu_now_ms();
	EXPECT_EQ(-ENOMEM, mu_create(fd, (avail + 64 * MiB) / MiB, 0));
	TH_LOG("%ld MiB available: an arena of %ld MiB failed in %lld ms",
	       avail / MiB, (avail + 64 * MiB) / MiB,
	       (long long)(mu_now_ms() - t0));
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	EXPECT_EQ(0, v.used_bytes);
	close(fd);

	t0 = mu_now_ms();
	for (i = 0; i < 2; i++) {
		r->ret[i] = 1;
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			global_child(r, i, avail * 6 / 10 / MiB);
	}
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		EXPECT_TRUE(r->ret[i] == 0 || r->ret[i] == -ENOMEM) {
			TH_LOG("arena %d: %d", i, r->ret[i]);
		}
		fails += r->ret[i] == -ENOMEM;
	}
	TH_LOG("two arenas of %ld MiB at once: %d, %d (%lld ms)",
	       avail * 6 / 10 / MiB, r->ret[0], r->ret[1],
	       (long long)(mu_now_ms() - t0));
	EXPECT_LE(1, fails);
	EXPECT_TRUE(mu_bystander_end(by));
	munmap(r, sizeof(*r));
}

static int64_t create_in_child(uint64_t mib, int kill_after_ms, int *status)
{
	int64_t t0, t1 = 0;
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int fd = vgc_open_dev();

		close(pfd[0]);
		if (write(pfd[1], "x", 1) != 1)
			_exit(3);
		_exit(fd >= 0 && !mu_create(fd, mib, 0) ? 0 : 2);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		return -1;
	close(pfd[0]);
	t0 = mu_now_ms();
	if (kill_after_ms >= 0) {
		usleep(kill_after_ms * 1000);
		t1 = mu_now_ms();
		kill(pid, SIGKILL);
	}
	waitpid(pid, status, 0);
	return kill_after_ms >= 0 ? mu_now_ms() - t1 : mu_now_ms() - t0;
}

/*
 * A caller killed while it allocates stops at once: SIGKILL a quarter of
 * the way through a large creation; the child must be gone well before the
 * creation would have ended, with every page freed.  Under KASAN and page
 * poisoning the creation alone takes tens of seconds: a longer timeout.
 */
TEST_F_TIMEOUT(mem, fatal_signal_stops_allocation, 300)
{
	long total = mu_mem_total(), avail;
	uint64_t mib;
	int64_t full, late;
	int status;

	if (self->limit_mb < 0)
		SKIP(return, "limit_mb not writable");
	ASSERT_EQ(0, mu_set_param("limit_mb", 4 * total / MiB));
	avail = mu_mem_available();
	/* Large enough to interrupt; a debug kernel fills ~20 MiB/s. */
	mib = avail / 2 / MiB;
	if (mib > 1024)
		mib = 1024;
	full = create_in_child(mib, -1, &status);
	ASSERT_LE(0, full);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("a %llu MiB arena failed: status %#x",
		       (unsigned long long)mib, status);
	}
	ASSERT_EQ(0, vgc_wait_idle(5000));
	if (full < 200)
		SKIP(return, "%llu MiB in %lld ms: too fast to interrupt",
		     (unsigned long long)mib, (long long)full);
	late = create_in_child(mib, full / 4, &status);
	ASSERT_LE(0, late);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	TH_LOG("%llu MiB: %lld ms to create (and free), killed after %lld ms: gone %lld ms later",
	       (unsigned long long)mib, (long long)full, (long long)full / 4,
	       (long long)late);
	EXPECT_GT(full / 2, late);
}

/*
 * Pages of a destroyed arena still referenced by an io_uring fixed buffer
 * stay in used_bytes, and so under limit_mb, until io_uring lets them go.
 * 6.1 refuses such a buffer: SKIP there.
 */
TEST_F(mem, fixed_buffer_pages_stay_charged)
{
	struct vgc_layout l;
	struct vgc_region reg[VGC_NR_ZONES];
	struct io_uring ring;
	struct iovec iov;
	struct vgc_version v;
	uint64_t used;
	size_t len = 8 * MiB;
	char *m;
	int fd, fd2, ret;

	if (self->limit_mb < 0)
		SKIP(return, "limit_mb not writable");
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mu_create(fd, len / MiB, 0));
	ASSERT_EQ(0, vgc_get_layout(fd, &l, reg, VGC_NR_ZONES));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 l.data_offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 1, len);
	iov.iov_base = m;
	iov.iov_len = len;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	if (ret) {
		munmap(m, len);
		close(fd);
		io_uring_queue_exit(&ring);
		SKIP(return, "fixed buffer on vgc pages refused: %s", strerror(-ret));
	}
	munmap(m, len);
	close(fd);

	/* The arena is gone, its pages are not. */
	usleep(300 * 1000);
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	used = v.used_bytes;
	EXPECT_EQ(0, v.nr_arenas);
	EXPECT_LE(len, used);
	/* ... and still count against the limit. */
	ASSERT_EQ(0, mu_set_param("limit_mb", (used + 4 * MiB) / MiB));
	EXPECT_EQ(-ENOSPC, mu_create(fd, 6, 0));
	fd2 = vgc_open_dev();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, mu_create(fd2, 1, 0));
	close(fd2);

	ASSERT_EQ(0, io_uring_unregister_buffers(&ring));
	EXPECT_EQ(0, vgc_wait_idle(5000));
	EXPECT_EQ(0, mu_create(fd, 6, 0));
	close(fd);
	TH_LOG("%llu bytes stayed charged while io_uring held them",
	       (unsigned long long)used);

	/* The same with the ring torn down instead of unregistered. */
	ASSERT_EQ(0, mu_set_param("limit_mb", self->limit_mb));
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mu_create(fd, len / MiB, 0));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 l.data_offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 1, len);
	iov.iov_base = m;
	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));
	munmap(m, len);
	close(fd);
	EXPECT_EQ(0, vgc_counters(&used, &(uint64_t){ 0 }));
	EXPECT_LE(len, used);
	io_uring_queue_exit(&ring);
}

/*
 * The same with a pipe: vmsplice() makes the pipe reference the arena's
 * pages; after munmap and close they stay charged until the pipe is
 * drained.  Works on every kernel.
 */
TEST_F(mem, pipe_pages_stay_charged)
{
	struct vgc_layout l;
	struct vgc_region reg[VGC_NR_ZONES];
	size_t len = 1 * MiB, n;
	uint64_t used, arenas;
	struct iovec iov;
	char *m, buf[4096];
	int fd, pfd[2];
	ssize_t got;

	ASSERT_EQ(0, pipe(pfd));
	ASSERT_LE((long)len, fcntl(pfd[1], F_SETPIPE_SZ, (int)len));
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mu_create(fd, len / MiB, 0));
	ASSERT_EQ(0, vgc_get_layout(fd, &l, reg, VGC_NR_ZONES));
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 l.data_offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 7, len);
	for (n = 0; n < len; n += got) {
		iov.iov_base = m + n;
		iov.iov_len = len - n;
		got = vmsplice(pfd[1], &iov, 1, 0);
		ASSERT_LT(0, got);
	}
	munmap(m, len);
	close(fd);

	usleep(300 * 1000);
	ASSERT_EQ(0, vgc_counters(&used, &arenas));
	EXPECT_EQ(0, arenas);
	EXPECT_LE(len, used);
	TH_LOG("%llu bytes stayed charged while a pipe held them",
	       (unsigned long long)used);
	/* The contents are still there, and then the pages go. */
	got = read(pfd[0], buf, sizeof(buf));
	EXPECT_EQ((ssize_t)sizeof(buf), got);
	EXPECT_EQ(7, buf[sizeof(buf) - 1]);
	close(pfd[0]);
	close(pfd[1]);
	EXPECT_EQ(0, vgc_wait_idle(5000));
}

/* limit_mb defaults to half of RAM, user_limit_mb to half of that. */
TEST_F(mem, default_limits_follow_ram)
{
	long total_kb = mu_read_key("/proc/meminfo", "MemTotal");
	struct vgc_version v;
	int fd;

	ASSERT_LT(0, total_kb);
	if (self->limit_mb < 0)
		SKIP(return, "no %s", VGC_SYSFS_LIMIT);
	/* totalram / 2 in MiB; MemTotal is totalram in KiB. */
	EXPECT_EQ(total_kb >> 11, self->limit_mb);
	EXPECT_EQ(self->limit_mb / 2, mu_param("user_limit_mb"));
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	EXPECT_EQ((uint64_t)self->limit_mb * MiB, v.limit_bytes);
	close(fd);
}

static int cpu_node(unsigned int cpu)
{
	char path[96];
	int nid;

	for (nid = 0; nid < 64; nid++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/node%d", cpu, nid);
		if (!access(path, F_OK))
			return nid;
	}
	return -1;
}

/* node_limit_mb=N caps the pages on node N with ENOSPC; 0 lifts it. */
TEST_F(mem, node_limit)
{
	char path[128], val[64];
	unsigned int cpu = vgc_nr_online_cpus() - 1;
	int nid = cpu_node(cpu), fd, i, n;

	if (nid < 0)
		SKIP(return, "node of CPU %u unknown", cpu);
	/* "0,0,...,4" limits only node nid to 4 MiB. */
	n = 0;
	for (i = 0; i < nid; i++)
		n += snprintf(val + n, sizeof(val) - n, "0,");
	snprintf(val + n, sizeof(val) - n, "4");
	snprintf(path, sizeof(path), SYSFS_PARAM "node_limit_mb");
	ASSERT_EQ(0, mu_write(path, val));

	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOSPC, mu_create(fd, 8, cpu));
	EXPECT_EQ(0, mu_create(fd, 2, cpu));
	close(fd);
	/* Another node is not limited. */
	if (cpu_node(0) != nid) {
		fd = vgc_open_dev();
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, mu_create(fd, 8, 0));
		close(fd);
	}
	ASSERT_EQ(0, mu_write(path, "0"));
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, mu_create(fd, 8, cpu));
	close(fd);
}

/*
 * limit_mb may go below what is in use: nothing is taken back, new charges
 * fail until use falls under it.
 */
TEST_F(mem, limit_lowered_below_use)
{
	struct vgc_arena_params p;
	struct vgc_version v;
	struct vgc_grow g;
	int fd, fd2;

	if (self->limit_mb < 0)
		SKIP(return, "limit_mb not writable");
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	mu_params(&p, 8, 0);
	p.zone_reserve_granules[VGC_ZONE_GREEN] = MIB_GRANULES(8);
	ASSERT_EQ(0, vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p));
	ASSERT_EQ(0, mu_set_param("limit_mb", 4));
	ASSERT_EQ(0, vgc_get_version(fd, &v));
	EXPECT_EQ(4 * MiB, v.limit_bytes);
	EXPECT_LT(v.limit_bytes, v.used_bytes);

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.zone = VGC_ZONE_GREEN;
	g.granules = MIB_GRANULES(1);
	EXPECT_EQ(-ENOSPC, vgc_ioctl(fd, VGC_IOC_GROW, &g));
	fd2 = vgc_open_dev();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENOSPC, mu_create(fd2, 1, 0));
	close(fd);
	ASSERT_EQ(0, vgc_wait_idle(5000));
	EXPECT_EQ(0, mu_create(fd2, 1, 0));
	close(fd2);
}

TEST_HARNESS_MAIN
