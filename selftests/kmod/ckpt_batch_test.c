// SPDX-License-Identifier: GPL-2.0
/* VGC_IOC_BATCH: per-op validation and errors, done/error reporting. */
#include "../kselftest_harness.h"
#include "ckpt_util.h"

FIXTURE(batch) {
	struct ckpt_arena a;
	__u64 base;
};

FIXTURE_SETUP(batch)
{
	struct vgc_arena_params p;

	ckpt_params(&p, 1, 0, 2 * VGC_SPAN_GRANULES, 0);
	ASSERT_EQ(0, ckpt_open(&self->a, &p));
	self->base = ckpt_region(&self->a, VGC_ZONE_GREEN, 0)->first_granule;
}

FIXTURE_TEARDOWN(batch)
{
	ckpt_close(&self->a);
}

TEST_F(batch, double_release)
{
	__u64 i = self->base + 1;
	struct vgc_checkpoint ck;

	ckpt_alloc(&self->a, i, 1);
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	EXPECT_EQ(-EALREADY, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_DEFERRED, ckpt_code(&self->a, i));
	EXPECT_EQ(-EALREADY, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_MARKED, ckpt_code(&self->a, i));
	EXPECT_EQ(-EALREADY, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_EXPIRED, ckpt_code(&self->a, i));
	EXPECT_EQ(-EALREADY, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	/* reclaimed: a free slot now */
	EXPECT_EQ(-EINVAL, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
}

TEST_F(batch, release_persistent)
{
	__u64 i = self->base + 2;
	struct vgc_checkpoint ck;

	ckpt_alloc(&self->a, i, 1);
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_PIN, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_PERSISTENT, ckpt_code(&self->a, i));
	EXPECT_EQ(-EPERM, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	EXPECT_EQ(0, ckpt_bit(&self->a, VGC_PLANE_RELEASE, i));
}

TEST_F(batch, free_and_out_of_range)
{
	struct vgc_batch b;
	__u64 idx;

	EXPECT_EQ(-EINVAL, ckpt_batch1(&self->a, VGC_BATCH_RELEASE,
				       self->base + 3));
	EXPECT_EQ(-EINVAL, ckpt_batch1(&self->a, VGC_BATCH_TOUCH,
				       self->base + 3));
	idx = self->a.lay.total_granules;
	EXPECT_EQ(-EINVAL, ckpt_batch(&self->a, VGC_BATCH_TOUCH, &idx, 1, &b));
	EXPECT_EQ(0, b.done);
	EXPECT_EQ(-EINVAL, b.error);
	idx = ~0ULL;
	EXPECT_EQ(-EINVAL, ckpt_batch(&self->a, VGC_BATCH_PIN, &idx, 1, &b));
}

TEST_F(batch, stops_at_first_error)
{
	__u64 idx[4] = { self->base + 10, self->base + 11, self->base + 12,
			 self->base + 13 };
	struct vgc_batch b;

	ckpt_alloc(&self->a, idx[0], 1);
	ckpt_alloc(&self->a, idx[1], 1);
	ckpt_alloc(&self->a, idx[3], 1);
	EXPECT_EQ(-EINVAL, ckpt_batch(&self->a, VGC_BATCH_RELEASE, idx, 4, &b));
	EXPECT_EQ(2, b.done);
	EXPECT_EQ(-EINVAL, b.error);
	EXPECT_EQ(1, ckpt_bit(&self->a, VGC_PLANE_RELEASE, idx[1]));
	EXPECT_EQ(0, ckpt_bit(&self->a, VGC_PLANE_RELEASE, idx[3]));
}

TEST_F(batch, sizes_and_pointers)
{
	__u64 *many;
	struct vgc_batch b;
	__u32 n = 3000, k;

	EXPECT_EQ(-E2BIG, ckpt_batch(&self->a, VGC_BATCH_TOUCH, NULL,
				     VGC_BATCH_MAX + 1, &b));
	EXPECT_EQ(-EFAULT, ckpt_batch(&self->a, VGC_BATCH_TOUCH,
				      (const __u64 *)8, 1, &b));
	EXPECT_EQ(0, b.done);
	EXPECT_EQ(0, ckpt_batch(&self->a, VGC_BATCH_TOUCH, NULL, 0, &b));
	EXPECT_EQ(-EINVAL, ckpt_batch(&self->a, 0, NULL, 0, &b));
	EXPECT_EQ(-EINVAL, ckpt_batch(&self->a, VGC_BATCH_DEMOTE + 1, NULL, 0,
				      &b));
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.op = VGC_BATCH_TOUCH;
	b.flags = 1;
	EXPECT_EQ(-EINVAL, ckpt_ioctl(self->a.fd, VGC_IOC_BATCH, &b));
	b.flags = 0;
	b.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, ckpt_ioctl(self->a.fd, VGC_IOC_BATCH, &b));

	/* more than one internal chunk; the last index is a bad pointer */
	many = mmap(NULL, 2 * 4096 * 8, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, many);
	for (k = 0; k < n; k++) {
		many[k] = self->base + k;
		ckpt_alloc(&self->a, many[k], 1);
	}
	EXPECT_EQ(0, ckpt_batch(&self->a, VGC_BATCH_TOUCH, many, n, &b));
	EXPECT_EQ(n, b.done);
	EXPECT_EQ(1, ckpt_bit(&self->a, VGC_PLANE_ACCESS, many[n - 1]));
	/* an index array that runs into unmapped memory */
	ASSERT_EQ(0, munmap((char *)many + 4096 * 8, 4096 * 8));
	EXPECT_EQ(-EFAULT, ckpt_batch(&self->a, VGC_BATCH_MUTATE,
				      many + 4096 - 600, 1200, &b));
	EXPECT_EQ(512, b.done);
	EXPECT_EQ(-EFAULT, b.error);
	munmap(many, 4096 * 8);
}

TEST_F(batch, candidates)
{
	__u64 i = self->base + 20;
	struct vgc_checkpoint ck;

	ckpt_alloc(&self->a, i, 1);
	/* keep only applies to 010/011 */
	EXPECT_EQ(-EINVAL, ckpt_batch1(&self->a, VGC_BATCH_KEEP, i));
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_DEMOTE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_DEMOTE, ckpt_code(&self->a, i));
	EXPECT_EQ(1, ck.counts.demoted);
	/* promote/demote only apply to 000/001 */
	EXPECT_EQ(-EINVAL, ckpt_batch1(&self->a, VGC_BATCH_PROMOTE, i));
	EXPECT_EQ(-EINVAL, ckpt_batch1(&self->a, VGC_BATCH_DEMOTE, i));
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_KEEP, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_ACTIVE, ckpt_code(&self->a, i));
	/* a candidate may be released (the runtime re-homed it) */
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_PROMOTE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_PROMOTE, ckpt_code(&self->a, i));
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_DEFERRED, ckpt_code(&self->a, i));
}

TEST(no_arena)
{
	struct vgc_batch b;
	struct vgc_checkpoint ck;
	int fd = open(VGC_DEVICE_PATH, O_RDWR);

	ASSERT_GE(fd, 0);
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	EXPECT_EQ(-ENXIO, ckpt_ioctl(fd, VGC_IOC_BATCH, &b));
	memset(&ck, 0, sizeof(ck));
	ck.size = sizeof(ck);
	EXPECT_EQ(-ENXIO, ckpt_ioctl(fd, VGC_IOC_CHECKPOINT, &ck));
	close(fd);
}

TEST_HARNESS_MAIN
