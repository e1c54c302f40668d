// SPDX-License-Identifier: GPL-2.0
/*
 * The arena mapping of vgc.ko: offsets and lengths, shared-only, the
 * read-only control page, zeroed pages (S0 plane all ones), SIGBUS past the
 * committed part of a region, and the lifetime rules (close with a mapping
 * alive, partial munmap, fork shares).
 */
#include <signal.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "vgc_test.h"

#define SPAN	VGC_SPAN_GRANULES
#define PAGE	4096UL
#define NP	2

FIXTURE(arena) {
	int fd;
	struct vgc_layout l;
	struct vgc_region regs[3 * NP];
};

FIXTURE_SETUP(arena)
{
	struct vgc_arena_params p;

	self->fd = vgc_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
	vgc_params_init(&p, NP, 2 * SPAN, SPAN, SPAN);
	/* Red can grow by one span: that span is reserve, not committed. */
	p.zone_reserve_granules[VGC_ZONE_RED] = SPAN;
	p.cpus[NP - 1] = vgc_nr_online_cpus() - 1;
	ASSERT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA, &p));
	ASSERT_EQ(0, vgc_get_layout(self->fd, &self->l, self->regs, 3 * NP));
	ASSERT_EQ(3 * NP, self->l.nr_regions);
}

FIXTURE_TEARDOWN(arena)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, vgc_wait_idle(2000)) {
		TH_LOG("module counters not back to 0");
	}
}

static void *map(int fd, size_t len, int prot, int flags, uint64_t off)
{
	return mmap(NULL, len, prot, flags, fd, (off_t)off);
}

TEST_F(arena, bad_offset_and_length)
{
	const struct vgc_layout *l = &self->l;
	size_t rw = l->map_size - l->threads_offset;
	void *m;

	/* Past the end, and straddling it. */
	m = map(self->fd, PAGE, PROT_READ, MAP_SHARED, l->map_size);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = map(self->fd, PAGE, PROT_READ, MAP_SHARED, l->map_size + 64 * PAGE);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = map(self->fd, 2 * PAGE, PROT_READ, MAP_SHARED, l->map_size - PAGE);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = map(self->fd, rw + PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		l->threads_offset);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	/* Straddling the read-only / read-write boundary. */
	m = map(self->fd, l->ctrl_size + PAGE, PROT_READ, MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	/* Not page aligned, zero length: the VM refuses before the module. */
	m = map(self->fd, PAGE, PROT_READ, MAP_SHARED, l->data_offset + 16);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = map(self->fd, 0, PROT_READ, MAP_SHARED, l->data_offset);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);

	/* The exact extents work. */
	m = map(self->fd, rw, PROT_READ | PROT_WRITE, MAP_SHARED,
		l->threads_offset);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, munmap(m, rw));
	m = map(self->fd, l->ctrl_size, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, munmap(m, l->ctrl_size));
}

TEST_F(arena, private_mapping)
{
	void *m;

	m = map(self->fd, PAGE, PROT_READ, MAP_PRIVATE, self->l.data_offset);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = map(self->fd, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		self->l.data_offset);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = map(self->fd, self->l.ctrl_size, PROT_READ, MAP_PRIVATE, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(arena, ctrl_read_only)
{
	const struct vgc_ctrl *c;
	void *m;

	m = map(self->fd, self->l.ctrl_size, PROT_READ | PROT_WRITE,
		MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EPERM, errno);
	m = map(self->fd, PAGE, PROT_WRITE, MAP_SHARED, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EPERM, errno);

	m = map(self->fd, self->l.ctrl_size, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, m);
	c = m;
	EXPECT_EQ(VGC_ABI_VERSION, c->abi_version);
	EXPECT_EQ(NP, c->nr_partitions);
	EXPECT_EQ(0, c->checkpoints);
	EXPECT_EQ(0, c->nr_threads);
	EXPECT_EQ((4ULL * SPAN * NP) << VGC_GRANULE_SHIFT, c->committed_bytes);
	/* It can never be made writable. */
	EXPECT_EQ(-1, mprotect(m, self->l.ctrl_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(m, PAGE, PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, munmap(m, self->l.ctrl_size));
}

static int all_bytes(const void *p, size_t len, unsigned char v)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != v)
			return 0;
	return 1;
}

TEST_F(arena, zero_on_first_map)
{
	const struct vgc_layout *l = &self->l;
	size_t rw = l->map_size - l->threads_offset;
	unsigned int pl, r;
	char *m;

	m = map(self->fd, rw, PROT_READ | PROT_WRITE, MAP_SHARED,
		l->threads_offset);
	ASSERT_NE(MAP_FAILED, m);
#define AT(off) (m + (off) - l->threads_offset)
	EXPECT_TRUE(all_bytes(AT(l->threads_offset), l->threads_size, 0));
	EXPECT_TRUE(all_bytes(AT(l->spans_offset), l->spans_size, 0));
	EXPECT_TRUE(all_bytes(AT(l->sums_offset), l->sums_size, 0));
	for (pl = 0; pl < VGC_NR_PLANES; pl++) {
		/* Free slots read S = 001. */
		unsigned char v = pl == VGC_PLANE_S0 ? 0xff : 0;

		EXPECT_TRUE(all_bytes(AT(l->plane_offset[pl]), l->plane_size, v)) {
			TH_LOG("plane %u not all 0x%02x", pl, v);
		}
	}
	for (r = 0; r < 3 * NP; r++) {
		const struct vgc_region *g = &self->regs[r];

		EXPECT_TRUE(all_bytes(AT(g->offset),
				      g->committed_granules << VGC_GRANULE_SHIFT, 0));
		/* Writable, and the write sticks. */
		memset(AT(g->offset), 0x5a, PAGE);
		EXPECT_TRUE(all_bytes(AT(g->offset), PAGE, 0x5a));
	}
#undef AT
	EXPECT_EQ(0, munmap(m, rw));
}

/* A second mapping of the same range sees the first one's writes. */
TEST_F(arena, shared_between_mappings)
{
	const struct vgc_region *g = &self->regs[VGC_ZONE_GREEN * NP + 1];
	size_t len = g->committed_granules << VGC_GRANULE_SHIFT;
	char *a, *b;

	a = map(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, g->offset);
	b = map(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, g->offset);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	memset(a, 0x33, len);
	EXPECT_TRUE(all_bytes(b, len, 0x33));
	munmap(a, len);
	munmap(b, len);
}

static int touch_in_child(char *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		*(volatile char *)p = 1;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST_F(arena, sigbus_past_committed)
{
	const struct vgc_layout *l = &self->l;
	const struct vgc_region *red = &self->regs[VGC_ZONE_RED * NP];
	uint64_t com = red->committed_granules << VGC_GRANULE_SHIFT;
	uint64_t cap = red->capacity_granules << VGC_GRANULE_SHIFT;
	char *m;

	ASSERT_LT(com, cap);
	m = map(self->fd, l->data_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		l->data_offset);
	ASSERT_NE(MAP_FAILED, m);
	m += red->offset - l->data_offset;
	EXPECT_EQ(0, touch_in_child(m + com - 1));
	EXPECT_EQ(SIGBUS, touch_in_child(m + com));
	EXPECT_EQ(SIGBUS, touch_in_child(m + cap - 1));
	m -= red->offset - l->data_offset;
	EXPECT_EQ(0, munmap(m, l->data_size));
}

TEST_F(arena, close_with_mapping_alive)
{
	const struct vgc_region *g = &self->regs[VGC_ZONE_BLUE * NP];
	size_t len = g->committed_granules << VGC_GRANULE_SHIFT;
	struct vgc_version v;
	uint64_t used = 0, arenas = 0;
	char *m;

	m = map(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, g->offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0x11, len / 2);
	ASSERT_EQ(0, vgc_get_version(self->fd, &v));
	close(self->fd);
	self->fd = -1;

	/* The pages outlive the file. */
	memset(m + len / 2, 0x22, len / 2);
	EXPECT_TRUE(all_bytes(m, len / 2, 0x11));
	EXPECT_TRUE(all_bytes(m + len / 2, len / 2, 0x22));
	ASSERT_EQ(0, vgc_counters(&used, &arenas));
	EXPECT_EQ(v.used_bytes, used);
	EXPECT_EQ(munmap(m, len), 0);
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

TEST_F(arena, partial_munmap)
{
	const struct vgc_layout *l = &self->l;
	size_t len = l->data_size;
	char *m;

	m = map(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		l->data_offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0x44, 8 * PAGE);
	/* A hole in the middle, then the head: the rest stays usable. */
	EXPECT_EQ(0, munmap(m + 2 * PAGE, 2 * PAGE));
	EXPECT_TRUE(all_bytes(m + 4 * PAGE, 4 * PAGE, 0x44));
	EXPECT_EQ(0, munmap(m, PAGE));
	EXPECT_TRUE(all_bytes(m + PAGE, PAGE, 0x44));
	close(self->fd);
	self->fd = -1;
	m[4 * PAGE] = 0x45;
	EXPECT_EQ(0x45, m[4 * PAGE]);
	EXPECT_EQ(0, munmap(m + PAGE, PAGE));
	/* Pieces alive: the arena too. */
	EXPECT_NE(0, vgc_wait_idle(0));
	EXPECT_EQ(0, munmap(m + 4 * PAGE, len - 4 * PAGE));
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

/* VGC_ARENA_F_FORK_SHARED: the child sees the parent's pages and writes through. */
TEST(fork_shared)
{
	struct vgc_arena_params p;
	struct vgc_region regs[3];
	struct vgc_layout l;
	int fd, status;
	size_t len;
	pid_t pid;
	char *m;

	fd = vgc_open_dev();
	if (fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
	vgc_params_init(&p, 1, 0, SPAN, 0);
	p.flags = VGC_ARENA_F_FORK_SHARED;
	ASSERT_EQ(0, vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p));
	ASSERT_EQ(0, vgc_get_layout(fd, &l, regs, 3));
	len = regs[VGC_ZONE_GREEN].committed_granules << VGC_GRANULE_SHIFT;
	m = map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		regs[VGC_ZONE_GREEN].offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0x66, len);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ok = all_bytes(m, len, 0x66);

		memset(m, 0x77, len / 2);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(all_bytes(m, len / 2, 0x77));
	EXPECT_TRUE(all_bytes(m + len / 2, len / 2, 0x66));
	munmap(m, len);
	close(fd);
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

/* A child's copy: it sees the parent's bytes, its writes stay its own. */
TEST_F(arena, fork_copies)
{
	const struct vgc_region *g = &self->regs[VGC_ZONE_GREEN * NP];
	size_t len = g->committed_granules << VGC_GRANULE_SHIFT;
	int status;
	pid_t pid;
	char *m;

	m = map(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, g->offset);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 0x66, len);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ok = all_bytes(m, len, 0x66);
		char *m2;

		memset(m, 0x77, len / 2);
		ok = ok && all_bytes(m, len / 2, 0x77);
		/* A mapping made after the fork maps the copy too. */
		m2 = map(self->fd, len, PROT_READ, MAP_SHARED, g->offset);
		ok = ok && m2 != MAP_FAILED && all_bytes(m2, len / 2, 0x77);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(all_bytes(m, len, 0x66));
	memset(m, 0x77, len / 2);

	/* A child that outlives the parent's unmap keeps the pages. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(200 * 1000);
		_exit(all_bytes(m, len / 2, 0x77) ? 0 : 1);
	}
	EXPECT_EQ(0, munmap(m, len));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

/* Layout queried with too small a regions array: partial fill, full count. */
TEST_F(arena, layout_short_array)
{
	struct vgc_region one[2];
	struct vgc_layout l;

	memset(one, 0, sizeof(one));
	ASSERT_EQ(0, vgc_get_layout(self->fd, &l, one, 1));
	EXPECT_EQ(3 * NP, l.nr_regions);
	EXPECT_EQ(self->regs[0].offset, one[0].offset);
	EXPECT_EQ(0, one[1].offset);
	ASSERT_EQ(0, vgc_get_layout(self->fd, &l, NULL, 0));
	EXPECT_EQ(self->l.map_size, l.map_size);
	EXPECT_EQ(-EFAULT, vgc_get_layout(self->fd, &l, NULL, 4));
	EXPECT_EQ(-EFAULT, vgc_get_layout(self->fd, &l, (void *)8, 4));
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, VGC_IOC_GET_LAYOUT, &l));
	l.reserved[0] = 0;
	l.size = VGC_LAYOUT_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, VGC_IOC_GET_LAYOUT, &l));
}

TEST_HARNESS_MAIN
