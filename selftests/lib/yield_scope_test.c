// SPDX-License-Identifier: GPL-2.0
/*
 * Yield Memory: nested scopes, O(1) reset at scope exit, persist from an
 * inner scope into a zone with state 001/100/101, everything else freed at
 * exit, and no checkpoint state touched by ephemeral values.  The lambda
 * mapping of the paper (section 4) on top.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include <vgcu.h>
#include <vgcu_yield.h>

static struct vgc_arena *open_arena(void)
{
	struct vgc_config cfg;
	struct vgc_arena *a = NULL;

	vgc_config_init(&cfg);
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	/* fixed size: a test below compares every plane word */
	for (unsigned int z = 0; z < VGC_NR_ZONES; z++)
		cfg.zone_reserve_bytes[z] = 0;
	if (vgc_arena_open(&cfg, &a))
		return NULL;
	return a;
}

/* Every zone and generation: Blue and Gen2 are otherwise sparse. */
static int ckpt(struct vgc_arena *a)
{
	struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };

	return vgc_checkpoint(a, &o, NULL);
}

TEST(outside_scope_refused)
{
	errno = 0;
	ASSERT_EQ(0U, vgc_yield_depth());
	ASSERT_EQ(NULL, vgc_yield_alloc(16));
	ASSERT_EQ(EPERM, errno);
}

TEST(nested_scopes_reset_in_o1)
{
	struct vgc_yield_scope s1, s2;
	struct vgc_yield_stats st0, st1;
	uint64_t *a, *b, *c, *d;
	int i;

	vgc_yield_enter(&s1);
	ASSERT_EQ(1U, vgc_yield_depth());
	a = vgc_yield_alloc(24);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, (uintptr_t)a % 16);
	a[0] = 85;
	vgc_yield_stats(&st0);
	vgc_yield_enter(&s2);
	ASSERT_EQ(2U, vgc_yield_depth());
	b = vgc_yield_alloc(100);
	c = vgc_yield_alloc(1);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, c);
	ASSERT_NE(b, c);
	for (i = 0; i < 12; i++)
		b[i] = ~0ULL;
	/* exiting the outer scope first is refused */
	ASSERT_EQ(-EINVAL, vgc_yield_exit(&s1));
	ASSERT_EQ(0, vgc_yield_exit(&s2));
	ASSERT_EQ(-EINVAL, vgc_yield_exit(&s2));
	vgc_yield_stats(&st1);
	ASSERT_EQ(st0.bytes_in_use, st1.bytes_in_use);
	ASSERT_EQ(85U, a[0]);
	/* the space of the inner scope is handed out again */
	d = vgc_yield_alloc(100);
	ASSERT_EQ(b, d);
	ASSERT_EQ(0, vgc_yield_exit(&s1));
	ASSERT_EQ(0U, vgc_yield_depth());
	vgc_yield_stats(&st1);
	ASSERT_EQ(0U, st1.bytes_in_use);
}

TEST(large_values_and_chunk_reuse)
{
	struct vgc_yield_scope s;
	struct vgc_yield_stats st;
	uint64_t chunks;
	char *p;
	int round;

	for (round = 0; round < 3; round++) {
		vgc_yield_enter(&s);
		p = vgc_yield_alloc(200 << 10);
		ASSERT_NE(NULL, p);
		memset(p, round, 200 << 10);
		p = vgc_yield_alloc(1000);
		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, vgc_yield_exit(&s));
		vgc_yield_stats(&st);
		if (!round)
			chunks = st.chunks;
		/* steady state: no new chunk per scope */
		ASSERT_EQ(chunks, st.chunks);
	}
	ASSERT_EQ(0, vgc_yield_thread_release());
	vgc_yield_stats(&st);
	ASSERT_EQ(0U, st.chunks);
	ASSERT_EQ(0U, st.bytes_reserved);
}

/* Every plane word and the control page before == after. */
TEST(ephemeral_values_touch_no_checkpoint_state)
{
	struct vgc_arena *a = open_arena();
	const struct vgc_layout *l;
	struct vgc_yield_scope s[4];
	struct vgc_ctrl before;
	uint64_t *snap, sum = 0;
	size_t words;
	unsigned int pl;
	int i, j;

	ASSERT_NE(NULL, a);
	/* some real objects so that the planes are not all zero */
	for (i = 0; i < 100; i++)
		ASSERT_NE(NULL, vgc_alloc(a, 32, VGC_ZONE_GREEN));
	ASSERT_EQ(0, ckpt(a));
	l = vgc_arena_layout(a);
	words = l->plane_size / 8;
	snap = malloc(VGC_NR_PLANES * l->plane_size);
	ASSERT_NE(NULL, snap);
	for (pl = 0; pl < VGC_NR_PLANES; pl++)
		memcpy(snap + pl * words, vgc_arena_plane(a, pl), l->plane_size);
	memcpy(&before, vgc_arena_ctrl(a), sizeof(before));

	for (i = 0; i < 1000; i++) {
		vgc_yield_enter(&s[0]);
		for (j = 0; j < 3; j++) {
			uint64_t *x;

			vgc_yield_enter(&s[j + 1]);
			x = vgc_yield_alloc(16 * (j + 1));
			ASSERT_NE(NULL, x);
			x[0] = (uint64_t)i * 85 + j;
			sum += x[0];
		}
		for (j = 3; j >= 0; j--)
			ASSERT_EQ(0, vgc_yield_exit(&s[j]));
	}
	ASSERT_NE(0U, sum);
	for (pl = 0; pl < VGC_NR_PLANES; pl++)
		ASSERT_EQ(0, memcmp(snap + pl * words, vgc_arena_plane(a, pl),
				    l->plane_size)) TH_LOG("plane %u changed", pl);
	ASSERT_EQ(0, memcmp(&before, vgc_arena_ctrl(a), sizeof(before)));
	free(snap);
	vgc_arena_close(a);
}

TEST(persist_from_inner_scope)
{
	struct vgc_arena *a = open_arena();
	struct vgc_yield_scope s1, s2;
	struct vgc_yield_stats st;
	uint64_t *tmp, *act, *per, *def, *eph;
	struct vgc_objinfo oi;
	int i;

	ASSERT_NE(NULL, a);
	vgc_yield_enter(&s1);
	eph = vgc_yield_alloc(64);
	ASSERT_NE(NULL, eph);
	vgc_yield_enter(&s2);
	tmp = vgc_yield_alloc(64);
	ASSERT_NE(NULL, tmp);
	for (i = 0; i < 8; i++)
		tmp[i] = 0x8500 + i;
	/* an ephemeral value is not an arena object */
	ASSERT_EQ(-EINVAL, vgc_locate(a, tmp, &oi));
	act = vgc_yield_persist(a, tmp, 64, VGC_ZONE_GREEN, VGC_ST_ACTIVE);
	per = vgc_yield_persist(a, tmp, 64, VGC_ZONE_BLUE, VGC_ST_PERSISTENT);
	def = vgc_yield_persist(a, tmp, 64, VGC_ZONE_RED, VGC_ST_DEFERRED);
	ASSERT_NE(NULL, act);
	ASSERT_NE(NULL, per);
	ASSERT_NE(NULL, def);
	ASSERT_EQ(NULL, vgc_yield_persist(a, tmp, 64, VGC_ZONE_RED,
					  VGC_ST_MARKED));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, vgc_yield_exit(&s2));
	ASSERT_EQ(0, vgc_yield_exit(&s1));
	vgc_yield_stats(&st);
	ASSERT_EQ(0U, st.bytes_in_use);
	ASSERT_EQ(3U, st.persisted);

	/* the scope memory is reused; the persisted copies are not touched */
	vgc_yield_enter(&s1);
	ASSERT_EQ(eph, vgc_yield_alloc(64));
	memset(eph, 0xff, 128);
	ASSERT_EQ(0, vgc_yield_exit(&s1));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0x8500U + i, act[i]);
		ASSERT_EQ(0x8500U + i, per[i]);
		ASSERT_EQ(0x8500U + i, def[i]);
	}
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(a, act));
	ASSERT_EQ(0, vgc_locate(a, per, &oi));
	ASSERT_EQ(VGC_GEN2, oi.gen);
	ASSERT_EQ(0, ckpt(a));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(a, per));
	ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(a, def));
	ASSERT_EQ(0, vgc_touch(a, act));
	ASSERT_EQ(0, ckpt(a));
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(a, act));
	ASSERT_EQ(VGC_ST_MARKED, vgc_state(a, def));
	ASSERT_EQ(0, ckpt(a));
	ASSERT_EQ(0, ckpt(a));
	/* deferred: reclaimed by the grace-period path, no further call */
	ASSERT_EQ(0, vgc_locate(a, def, &oi));
	ASSERT_EQ(0U, oi.valid);
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(a, per));
	vgc_arena_close(a);
}

TEST(lambda_mapping)
{
	struct vgc_arena *a = open_arena();
	struct vgc_yield_scope s;
	const uint64_t val = 85;
	uint64_t *e, *x, *p, *d;
	struct vgc_objinfo oi;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, vgc_lambda_state(VGC_LAMBDA_EPHEMERAL));
	ASSERT_EQ(1, vgc_lambda_state(VGC_LAMBDA_ACTIVE));
	ASSERT_EQ(4, vgc_lambda_state(VGC_LAMBDA_PERSISTENT));
	ASSERT_EQ(5, vgc_lambda_state(VGC_LAMBDA_DEFERRED));
	ASSERT_EQ(-EINVAL, vgc_lambda_state((enum vgc_lambda_kind)9));

	/* ephemeral outside a scope has nowhere to go */
	ASSERT_EQ(NULL, vgc_lambda_place(a, VGC_LAMBDA_EPHEMERAL,
					 VGC_ZONE_GREEN, &val, sizeof(val)));
	vgc_yield_enter(&s);
	e = vgc_lambda_place(a, VGC_LAMBDA_EPHEMERAL, VGC_ZONE_GREEN, &val,
			     sizeof(val));
	x = vgc_lambda_place(a, VGC_LAMBDA_ACTIVE, VGC_ZONE_GREEN, &val,
			     sizeof(val));
	p = vgc_lambda_place(a, VGC_LAMBDA_PERSISTENT, VGC_ZONE_BLUE, &val,
			     sizeof(val));
	d = vgc_lambda_place(a, VGC_LAMBDA_DEFERRED, VGC_ZONE_RED, &val,
			     sizeof(val));
	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, x);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(85U, *e);
	ASSERT_EQ(-EINVAL, vgc_locate(a, e, &oi));
	ASSERT_EQ(0, vgc_yield_exit(&s));
	ASSERT_EQ(0, ckpt(a));
	ASSERT_EQ(VGC_ST_IDLE, vgc_state(a, x));	/* not accessed since */
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(a, p));
	ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(a, d));
	ASSERT_EQ(85U, *x);
	ASSERT_EQ(85U, *p);
	vgc_arena_close(a);
}

static void *other_thread(void *arg)
{
	struct vgc_yield_scope s;
	uintptr_t *res = arg;

	res[0] = vgc_yield_depth();
	vgc_yield_enter(&s);
	res[1] = (uintptr_t)vgc_yield_alloc(16);
	vgc_yield_exit(&s);
	vgc_yield_thread_release();
	return NULL;
}

TEST(scopes_are_per_thread)
{
	struct vgc_yield_scope s;
	uintptr_t res[2];
	pthread_t t;
	void *mine;

	vgc_yield_enter(&s);
	mine = vgc_yield_alloc(16);
	ASSERT_EQ(0, pthread_create(&t, NULL, other_thread, res));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0U, res[0]);
	ASSERT_NE(0U, res[1]);
	ASSERT_NE((uintptr_t)mine, res[1]);
	ASSERT_EQ(0, vgc_yield_exit(&s));
}

TEST_HARNESS_MAIN
