// SPDX-License-Identifier: GPL-2.0
/*
 * Arena creation and destruction against vgc.ko: the version query, arenas
 * of several shapes and their layout, and every documented bad input of
 * VGC_IOC_CREATE_ARENA with its errno (uapi/linux/vgc.h).  Every test ends
 * with the module's counters back to 0.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "vgc_test.h"

#define SPAN		VGC_SPAN_GRANULES
#define PAGE		4096ULL

static int try_create(struct vgc_arena_params *p)
{
	int fd = vgc_open_dev();
	int ret;

	if (fd < 0)
		return -errno;
	ret = vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, p);
	close(fd);
	return ret;
}

static uint64_t round_span(uint64_t g)
{
	return (g + SPAN - 1) / SPAN * SPAN;
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = vgc_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, vgc_wait_idle(2000)) {
		TH_LOG("module counters not back to 0");
	}
}

TEST_F(dev, version)
{
	struct vgc_version v;

	ASSERT_EQ(0, vgc_get_version(self->fd, &v));
	EXPECT_EQ(VGC_ABI_VERSION, v.abi_version);
	EXPECT_TRUE(v.features & VGC_FEAT_ARENA);
	EXPECT_TRUE(v.features & VGC_FEAT_NODE_QUERY);
	EXPECT_TRUE(v.features & VGC_FEAT_SPAN_SUMS);
	EXPECT_EQ(VGC_MAX_PARTITIONS, v.max_partitions);
	EXPECT_EQ(VGC_MAX_THREADS, v.max_threads);
	EXPECT_LT(0, v.limit_bytes);
	/* Loaded with no arena: nothing in use. */
	EXPECT_EQ(0, v.used_bytes);
	EXPECT_EQ(0, v.nr_arenas);
	EXPECT_EQ(VGC_VERSION_SIZE_VER0, sizeof(v));
}

TEST_F(dev, version_bad_input)
{
	struct {
		struct vgc_version v;
		uint64_t tail;
	} big;
	struct vgc_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, VGC_IOC_GET_VERSION, &v));

	memset(&v, 0, sizeof(v));
	v.size = VGC_VERSION_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, VGC_IOC_GET_VERSION, &v));
	v.size = 0;
	EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, VGC_IOC_GET_VERSION, &v));

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(-E2BIG, vgc_ioctl(self->fd, VGC_IOC_GET_VERSION, &big));
	big.tail = 0;
	EXPECT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_GET_VERSION, &big));
	EXPECT_EQ(VGC_ABI_VERSION, big.v.abi_version);
	/* Bytes the kernel does not know are left alone. */
	EXPECT_EQ(0, big.tail);

	EXPECT_EQ(-EFAULT, vgc_ioctl(self->fd, VGC_IOC_GET_VERSION, NULL));
	EXPECT_EQ(-EFAULT, vgc_ioctl(self->fd, VGC_IOC_GET_VERSION,
				     (void *)16));
}

TEST_F(dev, unknown_commands)
{
	struct vgc_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	EXPECT_EQ(-ENOTTY, vgc_ioctl(self->fd,
				     _IOWR(VGC_IOC_MAGIC, 0x3f, struct vgc_version), &v));
	EXPECT_EQ(-ENOTTY, vgc_ioctl(self->fd,
				     _IOWR('W', 0x00, struct vgc_version), &v));
}

TEST_F(dev, ops_before_create)
{
	struct vgc_layout l;
	struct vgc_grow g = { .size = sizeof(g) };
	struct vgc_thread_reg tr = { .size = sizeof(tr) };
	struct vgc_checkpoint ck = { .size = sizeof(ck) };
	struct vgc_batch b = { .size = sizeof(b) };
	struct vgc_stats st = { .size = sizeof(st) };
	void *m;

	EXPECT_EQ(-ENXIO, vgc_get_layout(self->fd, &l, NULL, 0));
	EXPECT_EQ(-ENXIO, vgc_ioctl(self->fd, VGC_IOC_GROW, &g));
	EXPECT_EQ(-ENXIO, vgc_ioctl(self->fd, VGC_IOC_THREAD_REGISTER, &tr));
	EXPECT_EQ(-ENXIO, vgc_ioctl(self->fd, VGC_IOC_THREAD_UNREGISTER, &tr));
	EXPECT_EQ(-ENXIO, vgc_ioctl(self->fd, VGC_IOC_CHECKPOINT, &ck));
	EXPECT_EQ(-ENXIO, vgc_ioctl(self->fd, VGC_IOC_BATCH, &b));
	EXPECT_EQ(-ENXIO, vgc_ioctl(self->fd, VGC_IOC_GET_STATS, &st));
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->fd, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
}

TEST_F(dev, second_create_ebusy)
{
	struct vgc_arena_params p;
	struct vgc_version v;

	vgc_params_init(&p, 1, SPAN, SPAN, SPAN);
	ASSERT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA, &p));
	EXPECT_EQ(-EBUSY, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA, &p));
	ASSERT_EQ(0, vgc_get_version(self->fd, &v));
	EXPECT_EQ(1, v.nr_arenas);
	EXPECT_LT(0, v.used_bytes);
}

/* Checks a created arena's layout against the parameters it was made with. */
static void check_layout(struct __test_metadata *_metadata, int fd,
			 const struct vgc_arena_params *p)
{
	unsigned int np = p->nr_partitions, z, i, pl;
	struct vgc_region *regs;
	struct vgc_layout l;
	uint64_t g = 0, data = 0;
	const uint16_t *perm = p->gen_permille;
	uint16_t defperm[3] = { 500, 300, 200 };
	struct vgc_version v;

	if (!perm[0] && !perm[1] && !perm[2])
		perm = defperm;
	regs = calloc(3 * np + 1, sizeof(*regs));
	ASSERT_NE(NULL, regs);
	ASSERT_EQ(0, vgc_get_layout(fd, &l, regs, 3 * np + 1));
	EXPECT_EQ(np, l.nr_partitions);
	EXPECT_EQ(3 * np, l.nr_regions);

	EXPECT_EQ(0, l.ctrl_offset);
	EXPECT_LE(sizeof(struct vgc_ctrl), l.ctrl_size);
	EXPECT_EQ(l.ctrl_offset + l.ctrl_size, l.threads_offset);
	EXPECT_LE(sizeof(struct vgc_thread_slot) * VGC_MAX_THREADS, l.threads_size);
	EXPECT_EQ(l.threads_offset + l.threads_size, l.spans_offset);
	EXPECT_EQ(l.spans_offset + l.spans_size, l.sums_offset);
	EXPECT_EQ(l.sums_offset + l.sums_size, l.plane_offset[0]);
	EXPECT_LE(l.total_granules / SPAN * sizeof(struct vgc_span_sum),
		  l.sums_size);
	EXPECT_EQ(0, l.sums_offset % PAGE);
	for (pl = 0; pl < VGC_NR_PLANES; pl++) {
		EXPECT_EQ(0, l.plane_offset[pl] % PAGE);
		if (pl)
			EXPECT_EQ(l.plane_offset[pl - 1] + l.plane_size,
				  l.plane_offset[pl]);
	}
	EXPECT_EQ(l.plane_offset[VGC_NR_PLANES - 1] + l.plane_size,
		  l.data_offset);
	EXPECT_LE(l.total_granules / 8, l.plane_size);
	EXPECT_LE(l.total_granules / SPAN * 2, l.spans_size);
	EXPECT_EQ(0, l.threads_offset % PAGE);
	EXPECT_EQ(0, l.spans_offset % PAGE);
	EXPECT_EQ(0, l.data_offset % PAGE);
	EXPECT_EQ(l.total_granules << VGC_GRANULE_SHIFT, l.data_size);
	EXPECT_EQ(l.data_offset + l.data_size, l.map_size);

	for (z = 0; z < VGC_NR_ZONES; z++) {
		uint64_t com = round_span(p->zone_granules[z]);
		uint64_t cap = com + round_span(p->zone_reserve_granules[z]);

		for (i = 0; i < np; i++) {
			struct vgc_region *r = &regs[z * np + i];
			uint64_t g2 = com / SPAN * perm[2] / 1000 * SPAN;
			uint64_t g1 = com / SPAN * perm[1] / 1000 * SPAN;

			EXPECT_EQ(z, r->zone);
			EXPECT_EQ(i, r->partition);
			EXPECT_EQ(p->cpus[i], r->cpu);
			EXPECT_EQ(g, r->first_granule);
			EXPECT_EQ(com, r->committed_granules);
			EXPECT_EQ(cap, r->capacity_granules);
			EXPECT_EQ(l.data_offset + (g << VGC_GRANULE_SHIFT),
				  r->offset);
			EXPECT_EQ(0, r->offset % PAGE);
			/* Gen2 | Gen1 | Gen0: growth extends the nursery. */
			EXPECT_EQ(g, r->gen_first[VGC_GEN2]);
			EXPECT_EQ(g2, r->gen_granules[VGC_GEN2]);
			EXPECT_EQ(g + g2, r->gen_first[VGC_GEN1]);
			EXPECT_EQ(g1, r->gen_granules[VGC_GEN1]);
			EXPECT_EQ(g + g2 + g1, r->gen_first[VGC_GEN0]);
			EXPECT_EQ(com - g1 - g2, r->gen_granules[VGC_GEN0]);
			if (com) {
				EXPECT_LE(0, r->node);
				EXPECT_LE(1, r->nr_chunks);
				EXPECT_GE((com << VGC_GRANULE_SHIFT) / PAGE,
					  r->nr_chunks);
			} else {
				EXPECT_EQ(-1, r->node);
				EXPECT_EQ(0, r->nr_chunks);
			}
			EXPECT_EQ(0, r->pad);
			EXPECT_EQ(0, r->reserved[0]);
			EXPECT_EQ(0, r->reserved[1]);
			g += cap;
			data += com << VGC_GRANULE_SHIFT;
		}
	}
	EXPECT_EQ(g, l.total_granules);
	/* The spare entry is left untouched. */
	EXPECT_EQ(0, regs[3 * np].offset);
	EXPECT_EQ(0, regs[3 * np].capacity_granules);

	ASSERT_EQ(0, vgc_get_version(fd, &v));
	EXPECT_EQ(1, v.nr_arenas);
	EXPECT_LE(data, v.used_bytes);
	free(regs);
}

struct shape {
	const char *name;
	unsigned int np;
	uint64_t zone[3];
	uint64_t reserve[3];
	uint16_t perm[3];
	int cpus_repeat;
};

static const struct shape arena_shapes[] = {
	{ .name = "one span, red only", .np = 1, .zone = { SPAN, 0, 0 } },
	{ .name = "one span per zone", .np = 1, .zone = { SPAN, SPAN, SPAN } },
	{ .name = "unaligned sizes round up", .np = 2,
	  .zone = { 1, SPAN + 1, 3 * SPAN - 7 } },
	{ .name = "green only, every cpu", .np = 0, .zone = { 0, 4 * SPAN, 0 } },
	{ .name = "reserve", .np = 2, .zone = { SPAN, 2 * SPAN, SPAN },
	  .reserve = { SPAN, 0, 3 * SPAN } },
	{ .name = "gen split 600/300/100", .np = 2,
	  .zone = { 10 * SPAN, 10 * SPAN, 10 * SPAN }, .perm = { 600, 300, 100 } },
	{ .name = "gen split 1000/0/0", .np = 1, .zone = { 4 * SPAN, 0, 0 },
	  .perm = { 1000, 0, 0 } },
	{ .name = "64 partitions on repeated cpus", .np = VGC_MAX_PARTITIONS,
	  .zone = { SPAN, 0, SPAN }, .cpus_repeat = 1 },
	{ .name = "large regions (4 MiB)", .np = 2, .zone = { 0, 4 << 16, 0 } },
};

TEST(shapes)
{
	unsigned int s, i, ncpu = vgc_nr_online_cpus();

	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "vgc.ko not loaded");
	for (s = 0; s < sizeof(arena_shapes) / sizeof(arena_shapes[0]); s++) {
		const struct shape *sh = &arena_shapes[s];
		struct vgc_arena_params p;
		unsigned int np = sh->np ? sh->np : ncpu;
		int fd;

		TH_LOG("shape: %s", sh->name);
		vgc_params_init(&p, np, sh->zone[0], sh->zone[1], sh->zone[2]);
		memcpy(p.zone_reserve_granules, sh->reserve, sizeof(sh->reserve));
		memcpy(p.gen_permille, sh->perm, sizeof(sh->perm));
		if (!sh->cpus_repeat)
			for (i = 0; i < np; i++)
				p.cpus[i] = (np - 1 - i) % ncpu;
		fd = vgc_open_dev();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p));
		check_layout(_metadata, fd, &p);
		close(fd);
		ASSERT_EQ(0, vgc_wait_idle(2000));
	}
}

TEST(many_arenas)
{
	struct vgc_arena_params p;
	struct vgc_version v;
	int fds[16], i;

	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "vgc.ko not loaded");
	vgc_params_init(&p, 2, SPAN, SPAN, 0);
	for (i = 0; i < 16; i++) {
		fds[i] = vgc_open_dev();
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, vgc_ioctl(fds[i], VGC_IOC_CREATE_ARENA, &p));
	}
	ASSERT_EQ(0, vgc_get_version(fds[0], &v));
	EXPECT_EQ(16, v.nr_arenas);
	for (i = 0; i < 16; i++)
		close(fds[i]);
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

/* A child's arena goes away when the child exits without closing. */
TEST(exit_without_close)
{
	struct vgc_arena_params p;
	int status;
	pid_t pid;

	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "vgc.ko not loaded");
	vgc_params_init(&p, 1, 4 * SPAN, 0, 0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = vgc_open_dev();

		_exit(fd < 0 || vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

TEST_F(dev, bad_flags_and_reserved)
{
	struct vgc_arena_params p;
	unsigned int i;

	vgc_params_init(&p, 1, SPAN, 0, 0);
	p.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.flags = ~VGC_ARENA_F_ALL;
	EXPECT_EQ(-EINVAL, try_create(&p));

	vgc_params_init(&p, 1, SPAN, 0, 0);
	p.pad0 = 1;
	EXPECT_EQ(-EINVAL, try_create(&p));
	vgc_params_init(&p, 1, SPAN, 0, 0);
	p.pad1 = 1;
	EXPECT_EQ(-EINVAL, try_create(&p));
	for (i = 0; i < 4; i++) {
		vgc_params_init(&p, 1, SPAN, 0, 0);
		p.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-EINVAL, try_create(&p));
	}
	/* Known flags are accepted. */
	vgc_params_init(&p, 1, SPAN, 0, 0);
	p.flags = VGC_ARENA_F_ALL;
	EXPECT_EQ(0, try_create(&p));
}

TEST_F(dev, bad_struct_size)
{
	struct {
		struct vgc_arena_params p;
		uint64_t tail[2];
	} big;
	struct vgc_arena_params p;

	vgc_params_init(&p, 1, SPAN, 0, 0);
	p.size = VGC_ARENA_PARAMS_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.size = 0;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.size = 4;
	EXPECT_EQ(-EINVAL, try_create(&p));
	EXPECT_EQ(VGC_ARENA_PARAMS_SIZE_VER0, sizeof(p));

	memset(&big, 0, sizeof(big));
	vgc_params_init(&big.p, 1, SPAN, 0, 0);
	big.p.size = sizeof(big);
	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, try_create(&big.p));
	big.tail[1] = 0;
	EXPECT_EQ(0, try_create(&big.p));

	EXPECT_EQ(-EFAULT, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA, NULL));
	EXPECT_EQ(-EFAULT, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA,
				     (void *)4096));
}

TEST_F(dev, bad_partitions)
{
	struct vgc_arena_params p;

	vgc_params_init(&p, 1, SPAN, 0, 0);
	p.nr_partitions = 0;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.nr_partitions = VGC_MAX_PARTITIONS + 1;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.nr_partitions = ~0U;
	EXPECT_EQ(-EINVAL, try_create(&p));
}

TEST_F(dev, bad_cpus)
{
	struct vgc_arena_params p;

	vgc_params_init(&p, 2, SPAN, 0, 0);
	p.cpus[1] = 4096;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.cpus[1] = ~0U;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.cpus[1] = vgc_nr_online_cpus() + 64;
	EXPECT_EQ(-EINVAL, try_create(&p));
}

TEST_F(dev, offline_cpu)
{
	struct vgc_arena_params p;
	char path[128];
	unsigned int cpu = vgc_nr_online_cpus() - 1;
	int ret;

	if (cpu == 0)
		SKIP(return, "one CPU: nothing to take offline");
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", cpu);
	if (vgc_read_long(path) != 1 || vgc_write_long(path, 0))
		SKIP(return, "cannot take cpu%u offline", cpu);
	vgc_params_init(&p, 2, SPAN, 0, 0);
	p.cpus[1] = cpu;
	ret = try_create(&p);
	ASSERT_EQ(0, vgc_write_long(path, 1));
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_EQ(0, try_create(&p));
}

TEST_F(dev, bad_zone_sizes)
{
	struct vgc_arena_params p;

	/* All zones empty. */
	vgc_params_init(&p, 1, 0, 0, 0);
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.zone_reserve_granules[0] = SPAN;
	EXPECT_EQ(-EINVAL, try_create(&p));

	/* Absurd: far beyond any machine. */
	vgc_params_init(&p, 1, 1ULL << 50, 0, 0);
	EXPECT_EQ(-E2BIG, try_create(&p));
	vgc_params_init(&p, 1, 0, ~0ULL, 0);
	EXPECT_EQ(-E2BIG, try_create(&p));
	vgc_params_init(&p, 1, SPAN, 0, 0);
	p.zone_reserve_granules[2] = ~0ULL;
	EXPECT_EQ(-E2BIG, try_create(&p));

	/* Each fits, the sum over partitions and zones overflows. */
	vgc_params_init(&p, VGC_MAX_PARTITIONS, 1ULL << 58, 1ULL << 58,
			1ULL << 58);
	EXPECT_EQ(-E2BIG, try_create(&p));
	vgc_params_init(&p, VGC_MAX_PARTITIONS, 1ULL << 34, 1ULL << 34,
			1ULL << 34);
	EXPECT_EQ(-E2BIG, try_create(&p));
	vgc_params_init(&p, 2, ~0ULL - SPAN, SPAN, 0);
	EXPECT_EQ(-E2BIG, try_create(&p));
}

TEST_F(dev, bad_gen_permille)
{
	struct vgc_arena_params p;

	vgc_params_init(&p, 1, 4 * SPAN, 0, 0);
	p.gen_permille[0] = 500;
	p.gen_permille[1] = 300;
	p.gen_permille[2] = 100;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.gen_permille[2] = 300;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.gen_permille[0] = 1000;
	p.gen_permille[1] = 0;
	p.gen_permille[2] = 1;
	EXPECT_EQ(-EINVAL, try_create(&p));
	/* u16 values that wrap a 16-bit sum to 1000. */
	p.gen_permille[0] = 65535;
	p.gen_permille[1] = 1001;
	p.gen_permille[2] = 0;
	EXPECT_EQ(-EINVAL, try_create(&p));
	p.gen_permille[0] = 200;
	p.gen_permille[1] = 300;
	p.gen_permille[2] = 500;
	EXPECT_EQ(0, try_create(&p));
}

/* Over the module-wide limit: -ENOSPC, nothing charged. */
TEST_F(dev, over_limit)
{
	struct vgc_arena_params p;
	struct vgc_version v;
	long old = vgc_read_long(VGC_SYSFS_LIMIT);
	int ret, fd2;

	/* 2 GiB of data per zone and partition: over the default limit. */
	ASSERT_EQ(0, vgc_get_version(self->fd, &v));
	vgc_params_init(&p, 1, (v.limit_bytes >> VGC_GRANULE_SHIFT) + SPAN, 0, 0);
	EXPECT_EQ(-ENOSPC, try_create(&p));
	ASSERT_EQ(0, vgc_get_version(self->fd, &v));
	EXPECT_EQ(0, v.used_bytes);

	if (old < 0)
		SKIP(return, "%s not readable", VGC_SYSFS_LIMIT);
	ASSERT_EQ(0, vgc_write_long(VGC_SYSFS_LIMIT, 1));
	ASSERT_EQ(0, vgc_get_version(self->fd, &v));
	EXPECT_EQ(1ULL << 20, v.limit_bytes);
	/* 2 MiB of data: over 1 MiB. */
	vgc_params_init(&p, 2, 2 * SPAN, 2 * SPAN, 4 * SPAN);
	ret = try_create(&p);
	/* A small one still fits, and a second then does not. */
	vgc_params_init(&p, 1, SPAN, 0, 0);
	EXPECT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA, &p));
	fd2 = vgc_open_dev();
	vgc_params_init(&p, 1, 12 * SPAN, 0, 0);
	EXPECT_EQ(-ENOSPC, vgc_ioctl(fd2, VGC_IOC_CREATE_ARENA, &p));
	close(fd2);
	ASSERT_EQ(0, vgc_write_long(VGC_SYSFS_LIMIT, old));
	EXPECT_EQ(-ENOSPC, ret);
}

/*
 * Releasing a large arena frees tens of thousands of pages, and a debug
 * kernel poisons and unmaps each one: the loop must let the CPU go, or the
 * CPU holds off its softirqs (RCU reported stalls) and a real-time task on
 * it waits for the whole free.  A SCHED_FIFO thread on the same CPU wakes
 * every millisecond; while close() frees the arena it must run several
 * times.  Without a reschedule point it runs at most once, on the way back
 * to user space.  Judged only when the free takes 20 ms or more.
 */
#define BIG_ARENA_GRANULES	((64ULL << 20) >> VGC_GRANULE_SHIFT)

struct ticker {
	atomic_int stop;
	atomic_int in_close;
	atomic_int runs;	/* wake-ups while in_close */
	atomic_int ready;
};

static void *ticker_main(void *arg)
{
	struct ticker *t = arg;
	struct timespec ms = { 0, 1000 * 1000 };

	atomic_store(&t->ready, 1);
	while (!atomic_load(&t->stop)) {
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL);
		if (atomic_load(&t->in_close))
			atomic_fetch_add(&t->runs, 1);
	}
	return NULL;
}

TEST(release_of_large_arena_lets_cpu_go)
{
	struct sched_param sp = { .sched_priority = 10 };
	struct vgc_arena_params p;
	struct ticker t = { 0 };
	pthread_attr_t attr;
	cpu_set_t cpus;
	pthread_t th;
	int64_t t0, ns;
	int fd, cpu, r;

	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "vgc.ko not loaded");
	cpu = sched_getcpu();
	ASSERT_LE(0, cpu);
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus));
	ASSERT_EQ(0, pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED));
	ASSERT_EQ(0, pthread_attr_setschedpolicy(&attr, SCHED_FIFO));
	ASSERT_EQ(0, pthread_attr_setschedparam(&attr, &sp));

	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	vgc_params_init(&p, 1, 0, BIG_ARENA_GRANULES, 0);
	p.cpus[0] = cpu;
	r = vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p);
	if (r == -ENOMEM || r == -ENOSPC) {
		close(fd);
		SKIP(return, "no 64 MiB arena here (%d)", r);
	}
	ASSERT_EQ(0, r);
	r = pthread_create(&th, &attr, ticker_main, &t);
	pthread_attr_destroy(&attr);
	if (r == EPERM) {
		close(fd);
		SKIP(return, "SCHED_FIFO not permitted");
	}
	ASSERT_EQ(0, r);
	while (!atomic_load(&t.ready))
		sched_yield();

	atomic_store(&t.in_close, 1);
	t0 = vgc_now_ns();
	close(fd);		/* the last reference: the pages go here */
	ns = vgc_now_ns() - t0;
	atomic_store(&t.in_close, 0);
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	EXPECT_EQ(0, vgc_wait_idle(5000));
	TH_LOG("64 MiB freed in %lld us; the FIFO thread ran %d times meanwhile",
	       (long long)(ns / 1000), atomic_load(&t.runs));
	if (ns < 20 * 1000 * 1000)
		SKIP(return, "the free took %lld us: too short to judge", (long long)(ns / 1000));
	EXPECT_LE(3, atomic_load(&t.runs));
}

TEST_HARNESS_MAIN
