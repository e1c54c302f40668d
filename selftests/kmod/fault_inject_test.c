// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures injected with the kernel's own fault-injection
 * framework (failslab and fail_page_alloc in debugfs, filtered to this task
 * with /proc/thread-self/make-it-fail) while the module creates arenas,
 * grows zones, registers threads, checkpoints, applies batches and maps.
 * Every failure must reach user space as a clean -ENOMEM/-ENOSPC (or the
 * command's documented errno), and nothing may leak: after each attempt the
 * module's arena and byte counters return to 0.  kmemleak, KASAN and
 * lockdep of the debug kernel watch the error paths meanwhile.
 *
 * Needs CONFIG_FAULT_INJECTION_DEBUG_FS with FAILSLAB and FAIL_PAGE_ALLOC
 * (the debug kernel of tools/debug-kernel); SKIPs on stock kernels.
 * Prints "faults injected: N" for make check-debug.
 */
#include <pthread.h>
#include "kselftest_harness.h"
#include "vgc_test.h"

#define DBG		"/sys/kernel/debug"
#define FAILSLAB	DBG "/failslab"
#define FAILPAGE	DBG "/fail_page_alloc"
#define SPAN		VGC_SPAN_GRANULES
#define TIMES		1000000000L

static const int probabilities[] = { 2, 10, 30, 60, 100 };
#define NR_PROB		(sizeof(probabilities) / sizeof(probabilities[0]))

/* Writes a debugfs attribute; returns 0 or -errno. */
static int attr_write(const char *dir, const char *name, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static long attr_read(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return vgc_read_long(path);
}

static int attrs_set(const char *dir, int probability)
{
	char p[16];
	int ret = 0;

	snprintf(p, sizeof(p), "%d", probability);
	ret |= attr_write(dir, "task-filter", "Y");
	ret |= attr_write(dir, "ignore-gfp-wait", "N");
	ret |= attr_write(dir, "verbose", "0");
	ret |= attr_write(dir, "interval", "1");
	ret |= attr_write(dir, "times", "1000000000");
	ret |= attr_write(dir, "space", "0");
	ret |= attr_write(dir, "probability", p);
	if (!strcmp(dir, FAILPAGE)) {
		ret |= attr_write(dir, "min-order", "0");
		ret |= attr_write(dir, "ignore-gfp-highmem", "N");
	}
	return ret;
}

static void attrs_off(const char *dir)
{
	attr_write(dir, "probability", "0");
	attr_write(dir, "task-filter", "N");
	attr_write(dir, "times", "1");
}

/* Faults injected so far: "times" counts down once per injected failure. */
static long injected(void)
{
	return (TIMES - attr_read(FAILSLAB, "times")) +
	       (TIMES - attr_read(FAILPAGE, "times"));
}

/*
 * The figure make check-debug sums ("faults injected" of its summary),
 * logged by each test body while "times" still holds its count: the
 * teardown resets it.
 */
#define LOG_INJECTED(before)	TH_LOG("faults injected: %ld", injected() - (before))

/*
 * make-it-fail of this thread; the fd is opened before any failure is armed
 * so that switching it off again needs no allocation.
 */
static int mif_fd = -1;

static void fail_on(void)
{
	if (write(mif_fd, "1", 1) != 1)
		abort();
}

static void fail_off(void)
{
	while (write(mif_fd, "0", 1) != 1)
		;
}

/*
 * The 6.1 harness runs the test body after a SKIP in the setup: bodies
 * return early unless the setup completed.
 */
FIXTURE(fault) {
	bool ready;
	long before;
};

FIXTURE_SETUP(fault)
{
	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "%s missing (vgc.ko not loaded)", VGC_DEVICE_PATH);
	if (access(FAILSLAB "/probability", W_OK) || access(FAILPAGE "/probability", W_OK))
		SKIP(return, "no failslab/fail_page_alloc in debugfs (needs a fault-injection kernel)");
	mif_fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	if (mif_fd < 0)
		SKIP(return, "/proc/thread-self/make-it-fail: %s", strerror(errno));
	ASSERT_EQ(0, attrs_set(FAILSLAB, 0));
	ASSERT_EQ(0, attrs_set(FAILPAGE, 0));
	self->before = injected();
	ASSERT_EQ(0, vgc_wait_idle(5000));
	self->ready = true;
}

FIXTURE_TEARDOWN(fault)
{
	if (!self->ready)
		return;

	fail_off();
	attrs_off(FAILSLAB);
	attrs_off(FAILPAGE);
	close(mif_fd);
	mif_fd = -1;
}

static void arm(int prob)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", prob);
	attr_write(FAILSLAB, "probability", p);
	attr_write(FAILPAGE, "probability", p);
}

/* A random but valid arena shape; i varies it. */
static void shape(struct vgc_arena_params *p, unsigned int i)
{
	vgc_params_init(p, 1 + i % 4, SPAN * (1 + i % 3), SPAN * (i % 2),
			SPAN * (1 + i % 5));
	p->zone_reserve_granules[VGC_ZONE_GREEN] = 4 * SPAN;
	p->zone_reserve_granules[VGC_ZONE_RED] = (i % 3) * SPAN;
	p->flags = i & 1 ? VGC_ARENA_F_PROFILE : 0;
}

static int create(int fd, unsigned int i)
{
	struct vgc_arena_params p;

	shape(&p, i);
	return vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p);
}

#define ITER	40

/* Arena creation under failslab + fail_page_alloc. */
TEST_F(fault, create)
{
	if (!self->ready)
		return;
	for (unsigned int k = 0; k < NR_PROB; k++) {
		int ok = 0, nomem = 0;

		for (unsigned int i = 0; i < ITER; i++) {
			int fd = vgc_open_dev(), ret;

			ASSERT_LE(0, fd);
			arm(probabilities[k]);
			fail_on();
			ret = create(fd, i);
			fail_off();
			arm(0);
			if (ret == 0)
				ok++;
			else if (ret == -ENOMEM || ret == -ENOSPC)
				nomem++;
			else
				ASSERT_EQ(-ENOMEM, ret) TH_LOG("p=%d iteration %u", probabilities[k], i);
			if (ret == 0) {
				/* a created arena is whole: its layout and mapping work */
				struct vgc_layout l;
				struct vgc_region r[3 * 4];
				void *m;

				ASSERT_EQ(0, vgc_get_layout(fd, &l, r, 12));
				m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE,
					 MAP_SHARED, fd, l.threads_offset);
				ASSERT_NE(MAP_FAILED, m);
				((volatile char *)m)[l.data_offset - l.threads_offset] = 1;
				munmap(m, l.map_size - l.threads_offset);
			}
			close(fd);
			ASSERT_EQ(0, vgc_wait_idle(5000)) TH_LOG("leak after p=%d iteration %u (ret %d)",
								  probabilities[k], i, ret);
		}
		TH_LOG("p=%d%%: %d created, %d -ENOMEM/-ENOSPC", probabilities[k], ok, nomem);
		if (probabilities[k] == 100)
			EXPECT_EQ(0, ok);
	}
	EXPECT_LT(0, injected() - self->before);
	LOG_INJECTED(self->before);
}

/* Zone growth: the arena exists, only the growth allocates. */
TEST_F(fault, grow)
{
	if (!self->ready)
		return;
	for (unsigned int k = 0; k < NR_PROB; k++) {
		int fd = vgc_open_dev(), ok = 0, nomem = 0;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, create(fd, 1));
		for (unsigned int i = 0; i < 8; i++) {
			struct vgc_grow g = { .size = sizeof(g) };
			int ret;

			g.zone = VGC_ZONE_GREEN;
			g.partition = i % 2;
			g.granules = SPAN;
			arm(probabilities[k]);
			fail_on();
			ret = vgc_ioctl(fd, VGC_IOC_GROW, &g);
			fail_off();
			arm(0);
			if (ret == 0)
				ok++;
			else if (ret == -ENOMEM || ret == -ENOSPC)
				nomem++;
			else
				ASSERT_EQ(-ENOMEM, ret) TH_LOG("p=%d grow %u", probabilities[k], i);
		}
		/* what grew is mapped and usable; the rest raises no oops */
		{
			struct vgc_layout l;
			struct vgc_region r[6];
			volatile char *m;

			ASSERT_EQ(0, vgc_get_layout(fd, &l, r, 6));
			m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, l.threads_offset);
			ASSERT_NE(MAP_FAILED, (void *)m);
			for (unsigned int j = 0; j < l.nr_regions; j++)
				for (uint64_t off = 0; off < r[j].committed_granules * 16; off += 4096)
					m[r[j].offset - l.threads_offset + off] = 1;
			munmap((void *)m, l.map_size - l.threads_offset);
		}
		close(fd);
		ASSERT_EQ(0, vgc_wait_idle(5000));
		TH_LOG("p=%d%%: %d grown, %d -ENOMEM/-ENOSPC", probabilities[k], ok, nomem);
	}
	LOG_INJECTED(self->before);
}

/* Every other command and mmap under failures, on one arena per round. */
TEST_F(fault, commands)
{
	if (!self->ready)
		return;
	for (unsigned int k = 0; k < NR_PROB; k++) {
		int fd = vgc_open_dev();
		struct vgc_layout l;
		struct vgc_region r[6];
		uint64_t idx[64];
		char *m;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, create(fd, 1));
		ASSERT_EQ(0, vgc_get_layout(fd, &l, r, 6));
		m = mmap(NULL, l.map_size - l.threads_offset, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, l.threads_offset);
		ASSERT_NE(MAP_FAILED, m);
		/* 64 objects of one granule in the first span of Green, partition 0 */
		{
			const struct vgc_region *g = &r[VGC_ZONE_GREEN * 2];
			uint16_t *spans = (uint16_t *)(m + l.spans_offset - l.threads_offset);
			uint64_t *valid = (uint64_t *)(m + l.plane_offset[VGC_PLANE_VALID] -
						      l.threads_offset);

			spans[g->first_granule >> 12] = 1;
			for (int i = 0; i < 64; i++) {
				idx[i] = g->first_granule + i;
				__atomic_fetch_or(&valid[idx[i] >> 6], 1ULL << (idx[i] & 63),
						  __ATOMIC_SEQ_CST);
			}
		}
		for (unsigned int i = 0; i < 30; i++) {
			struct vgc_thread_reg t = { .size = sizeof(t) };
			struct vgc_checkpoint c = { .size = sizeof(c) };
			struct vgc_batch b = { .size = sizeof(b) };
			struct vgc_stats s = { .size = sizeof(s) };
			struct vgc_layout l2;
			struct vgc_region r2[6];
			int ret[6];
			void *m2;

			/*
			 * Touch every buffer before failures are armed: a user
			 * page fault under fail_page_alloc would turn into
			 * -EFAULT in copy_to_user, not the module's error path.
			 */
			memset(&l2, 0, sizeof(l2));
			memset(r2, 0, sizeof(r2));
			b.op = i % 2 ? VGC_BATCH_TOUCH : VGC_BATCH_MUTATE;
			b.count = 64;
			b.indices_ptr = (uintptr_t)idx;
			c.flags = VGC_CKPT_F_ALL_ZONES;
			arm(probabilities[k]);
			fail_on();
			ret[0] = vgc_ioctl(fd, VGC_IOC_THREAD_REGISTER, &t);
			ret[1] = vgc_ioctl(fd, VGC_IOC_BATCH, &b);
			ret[2] = vgc_ioctl(fd, VGC_IOC_GET_STATS, &s);
			ret[3] = vgc_get_layout(fd, &l2, r2, 6);
			m2 = mmap(NULL, l.ctrl_size, PROT_READ, MAP_SHARED, fd, 0);
			ret[4] = m2 == MAP_FAILED ? -errno : 0;
			if (ret[0] == 0)
				ret[5] = vgc_ioctl(fd, VGC_IOC_THREAD_UNREGISTER, &t);
			else
				ret[5] = 0;
			fail_off();
			arm(0);
			if (ret[0] == 0 && ret[5])
				EXPECT_EQ(0, vgc_ioctl(fd, VGC_IOC_THREAD_UNREGISTER, &t));
			/* the checkpoint after the storm sees a consistent quorum */
			EXPECT_EQ(0, vgc_ioctl(fd, VGC_IOC_CHECKPOINT, &c));
			for (int j = 0; j < 6; j++) {
				int e = ret[j];

				EXPECT_TRUE(e == 0 || e == -ENOMEM || e == -ENOSPC) {
					TH_LOG("p=%d round %u call %d: %d", probabilities[k], i, j, e);
				}
			}
			if (m2 != MAP_FAILED)
				munmap(m2, l.ctrl_size);
			/* the checkpoint runs with failures armed as well */
			arm(probabilities[k]);
			fail_on();
			ret[0] = vgc_ioctl(fd, VGC_IOC_CHECKPOINT, &c);
			fail_off();
			arm(0);
			EXPECT_TRUE(ret[0] == 0 || ret[0] == -ENOMEM || ret[0] == -ENOSPC)
				TH_LOG("checkpoint under p=%d: %d", probabilities[k], ret[0]);
		}
		munmap(m, l.map_size - l.threads_offset);
		close(fd);
		ASSERT_EQ(0, vgc_wait_idle(5000));
	}
	LOG_INJECTED(self->before);
}

TEST_HARNESS_MAIN
