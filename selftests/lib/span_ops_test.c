// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The backends' span operations (struct vgcu_backend_ops decommit and
 * commit, lib internals): pages of decommitted spans leave memory (mincore)
 * and come back zeroed; the anonymous backend's S0 plane of uncommitted
 * reserve is never touched (not resident), and growth presets S0 of what
 * it commits.  Runs on the backend $VGC_BACKEND selects.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"
#include "../../lib/vgcu_int.h"

#define SPAN_B		((uint64_t)VGC_SPAN_SIZE)
#define SPAN_G		VGC_SPAN_GRANULES
#define PG		4096UL

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* 1 when reading p raises SIGBUS; else *v gets the byte. */
static int bus_read(volatile char *p, char *v)
{
	struct sigaction sa = { .sa_handler = on_bus }, old;
	int hit = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1))
		hit = 1;
	else
		*v = *p;
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

/* Resident pages among len bytes at p (page aligned). */
static long resident(const void *p, size_t len)
{
	size_t n = (len + PG - 1) / PG, i;
	unsigned char vec[1024];
	long r = 0;

	if (n > sizeof(vec) || mincore((void *)p, len, vec))
		return -1;
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

static int span_op(struct vgc_arena *a, int commit, uint64_t s, uint64_t n)
{
	int ret;

	vgcu_sweep_lock(a);
	ret = commit ? a->ops->commit(a, s, n) : a->ops->decommit(a, s, n);
	vgcu_sweep_unlock(a);
	return ret;
}

FIXTURE(sp) {
	struct vgc_arena *a;
	struct vgc_region *red;
	uint64_t s0;			/* Red's first span */
	int anon;
};

FIXTURE_SETUP(sp)
{
	struct vgc_config cfg;
	int ret;

	vgc_config_init(&cfg);
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	cfg.zone_bytes[VGC_ZONE_RED] = 1 << 20;
	cfg.zone_bytes[VGC_ZONE_GREEN] = SPAN_B;
	cfg.zone_bytes[VGC_ZONE_BLUE] = SPAN_B;
	cfg.zone_reserve_bytes[VGC_ZONE_RED] = 256 << 20;
	ret = vgc_arena_open(&cfg, &self->a);
	ASSERT_EQ(0, ret) TH_LOG("open: %s", vgc_strerror(ret));
	self->anon = vgc_arena_backend(self->a) == VGC_BACKEND_ANON;
	self->red = vgcu_region(self->a, VGC_ZONE_RED, 0);
	self->s0 = self->red->first_granule / SPAN_G;
	ASSERT_NE(NULL, self->a->ops->decommit);
	ASSERT_NE(NULL, self->a->ops->commit);
}

FIXTURE_TEARDOWN(sp)
{
	vgc_arena_close(self->a);
}

TEST_F(sp, s0_of_reserve_untouched)
{
	struct vgc_arena *a = self->a;
	const struct vgc_region *r = self->red;
	const unsigned char *s0 = (const unsigned char *)a->planes[VGC_PLANE_S0];
	uint64_t end = r->first_granule + r->committed_granules;
	uint64_t far = (r->first_granule + r->capacity_granules) / 8;
	uint64_t i, c;
	int ones = 1;

	for (i = r->first_granule / 8; i < end / 8; i++)
		if (s0[i] != 0xff)
			ones = 0;
	EXPECT_TRUE(ones);
	/* The last 16 plane pages of S0 in Red's reserve: not resident. */
	EXPECT_EQ(0, resident(s0 + (far & ~(PG - 1)) - 16 * PG, 16 * PG));

	ASSERT_EQ(0, vgc_grow(a, VGC_ZONE_RED, 0, 1 << 20, &c));
	EXPECT_EQ(2u << 20, c);
	for (i = end / 8; i < (end + (1 << 20) / 16) / 8; i++)
		if (s0[i] != 0xff)
			ones = 0;
	EXPECT_TRUE(ones);
	EXPECT_EQ(0, resident(s0 + (far & ~(PG - 1)) - 16 * PG, 16 * PG));
}

TEST_F(sp, decommit_commit)
{
	struct vgc_arena *a = self->a;
	uint64_t s = self->s0 + 3;
	char *p = a->data + s * SPAN_B, v = 1;
	uint64_t i;
	int zero = 1;

	memset(a->data + self->s0 * SPAN_B, 0x33, 16 * SPAN_B);
	EXPECT_EQ((long)(2 * SPAN_B / PG), resident(p, 2 * SPAN_B));
	ASSERT_EQ(0, span_op(a, 0, s, 2));
	/* Idempotent. */
	ASSERT_EQ(0, span_op(a, 0, s, 2));
	EXPECT_EQ(0, resident(p, 2 * SPAN_B));
	EXPECT_EQ(0x33, p[-1]);
	EXPECT_EQ(0x33, p[2 * SPAN_B]);
	if (self->anon) {
		/* shmem: the pages are gone and read zero. */
		EXPECT_EQ(0, bus_read(p, &v));
		EXPECT_EQ(0, v);
	} else {
		EXPECT_EQ(1, bus_read(p, &v));
	}
	ASSERT_EQ(0, span_op(a, 1, s, 2));
	ASSERT_EQ(0, span_op(a, 1, self->s0, 16));
	for (i = 0; i < 2 * SPAN_B; i++)
		if (p[i])
			zero = 0;
	EXPECT_TRUE(zero);
}

TEST_F(sp, bad_ranges)
{
	struct vgc_arena *a = self->a;
	uint64_t end = self->s0 + self->red->committed_granules / SPAN_G;
	int c;

	for (c = 0; c < 2; c++) {
		EXPECT_EQ(-EINVAL, span_op(a, c, self->s0, 0));
		EXPECT_EQ(-EINVAL, span_op(a, c, end, 1));
		EXPECT_EQ(-EINVAL, span_op(a, c, end - 1, 2));
		EXPECT_EQ(-EINVAL, span_op(a, c, UINT64_MAX, 2));
		EXPECT_EQ(-EINVAL, span_op(a, c, a->nr_spans, 1));
	}
}

TEST_HARNESS_MAIN
