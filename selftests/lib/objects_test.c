// SPDX-License-Identifier: GPL-2.0
/*
 * libvgcu objects on the backend $VGC_BACKEND selects: allocation round
 * trips for every size class and zone, locate/state, request errors, the
 * Deferred -> Marked -> Expired -> reused lifecycle over checkpoints, the
 * zone cadence, statistics and occupancy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

FIXTURE(obj) {
	struct vgc_arena *a;
};

/* One partition, 8 MiB zones: Gen0 holds 64 spans, enough for all classes. */
FIXTURE_SETUP(obj)
{
	int err = vgct_open(&self->a, 1, 8ULL << 20);

	ASSERT_EQ(0, err) TH_LOG("open: %s", vgc_strerror(err));
	TH_LOG("backend %s: %s", vgc_backend_name(vgc_arena_backend(self->a)),
	       vgc_backend_reason(self->a));
}

FIXTURE_TEARDOWN(obj)
{
	vgc_arena_close(self->a);
}

TEST_F(obj, every_class_every_zone)
{
	void *first[VGC_NR_ZONES][VGC_NR_CLASSES];
	struct vgc_usage u;
	unsigned int z, cls;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (cls = 0; cls < VGC_NR_CLASSES; cls++) {
			size_t sz = (size_t)vgc_class_granules(cls) * 16;
			struct vgc_objinfo oi, oi2;
			unsigned char *p;

			ASSERT_EQ((int)cls, vgc_size_class(sz));
			if (sz > 16)
				ASSERT_EQ((int)cls, vgc_size_class(sz - 15));
			p = vgc_alloc(self->a, sz, z);
			ASSERT_NE(NULL, p) TH_LOG("zone %u class %u: %s", z,
						  cls, strerror(errno));
			memset(p, 0x5a, sz);
			ASSERT_EQ(0, vgc_locate(self->a, p, &oi));
			ASSERT_EQ(z, oi.zone);
			ASSERT_EQ(0, oi.partition);
			ASSERT_EQ(VGC_GEN0, oi.gen);
			ASSERT_EQ(1, oi.valid);
			ASSERT_EQ(VGC_ST_ACTIVE, oi.state);
			ASSERT_EQ(sz, oi.size);
			ASSERT_EQ(oi.index, (uint64_t)((char *)p -
				  (char *)vgc_arena_base(self->a)) >> 4);
			ASSERT_EQ(p, vgc_object_at(self->a, oi.index));
			ASSERT_EQ(sz, vgc_usable_size(self->a, p));
			/* interior pointers resolve to the object */
			ASSERT_EQ(0, vgc_locate(self->a, p + sz - 1, &oi2));
			ASSERT_EQ(oi.index, oi2.index);
			ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
			ASSERT_EQ(0, vgc_touch(self->a, p));
			ASSERT_EQ(0, vgc_mutate(self->a, p));
			ASSERT_EQ(0, vgc_release(self->a, p));
			ASSERT_EQ(-EALREADY, vgc_release(self->a, p));
			first[z][cls] = p;
		}
	}
	/* round trip: Deferred, Marked, Expired, free: the slots come back */
	for (z = 0; z < 4; z++)
		ASSERT_EQ(0, vgct_ckpt(self->a, VGC_CKPT_F_ALL_ZONES, NULL));
	for (z = 0; z < VGC_NR_ZONES; z++) {
		ASSERT_EQ(0, vgc_region_usage(self->a, z, 0, 0, &u));
		ASSERT_EQ(0, u.live);
		ASSERT_EQ(VGC_NR_CLASSES, u.spans_used);
		for (cls = 0; cls < VGC_NR_CLASSES; cls++) {
			size_t sz = (size_t)vgc_class_granules(cls) * 16;

			ASSERT_EQ(first[z][cls], vgc_alloc(self->a, sz, z));
			ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, first[z][cls]));
		}
	}
}

TEST_F(obj, size_classes_are_monotone)
{
	unsigned int cls, prev = 0;
	size_t s;

	for (cls = 0; cls < VGC_NR_CLASSES; cls++) {
		unsigned int g = vgc_class_granules(cls);

		ASSERT_GT(g, prev);
		ASSERT_LE(g, VGC_SPAN_GRANULES);
		if (cls > 8)
			ASSERT_LE(g * 4, prev * 5) TH_LOG("class %u", cls);
		prev = g;
	}
	ASSERT_EQ(VGC_SPAN_GRANULES, prev);
	ASSERT_EQ(0, vgc_class_granules(VGC_NR_CLASSES));
	for (s = 1; s <= VGC_MAX_OBJECT_SIZE; s += 7) {
		int c = vgc_size_class(s);

		ASSERT_GE(c, 0);
		ASSERT_GE(vgc_class_granules(c) * 16, s);
		if (c)
			ASSERT_LT(vgc_class_granules(c - 1) * 16, s);
	}
}

TEST_F(obj, bad_arguments)
{
	int local;
	void *p;

	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(self->a, 0, VGC_ZONE_RED));
	ASSERT_EQ(EINVAL, errno);
	/* beyond the largest class: a large object (heap_test) */
	p = vgc_alloc(self->a, VGC_MAX_OBJECT_SIZE + 1, VGC_ZONE_RED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(2 * VGC_SPAN_SIZE, vgc_usable_size(self->a, p));
	ASSERT_EQ(0, vgc_free(self->a, p));
	ASSERT_EQ(NULL, vgc_alloc(self->a, 16, 3));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(NULL, vgc_alloc_gen(self->a, 16, VGC_ZONE_RED, 3, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(NULL, vgc_alloc_gen(self->a, 16, VGC_ZONE_RED, VGC_GEN0, 0x80));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-E2BIG, vgc_size_class(VGC_MAX_OBJECT_SIZE + 1));

	/* outside the arena */
	ASSERT_EQ(-EINVAL, vgc_state(self->a, &local));
	ASSERT_EQ(-EINVAL, vgc_release(self->a, &local));
	ASSERT_EQ(-EINVAL, vgc_touch(self->a, NULL));
	ASSERT_EQ(-EINVAL, vgc_pin(self->a, (char *)vgc_arena_base(self->a) - 16));

	/* a slot never allocated: neighbour of a fresh object */
	p = vgc_alloc(self->a, 32, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, (char *)p + 32));
	ASSERT_EQ(-EINVAL, vgc_release(self->a, (char *)p + 32));
	ASSERT_EQ(-EINVAL, vgc_keep(self->a, (char *)p + 32));
	ASSERT_EQ(-EINVAL, vgc_touch(self->a, (char *)p + 32));
	/* keep only on candidates, promote/demote only on 000/001 */
	ASSERT_EQ(-EINVAL, vgc_keep(self->a, p));
	ASSERT_EQ(0, vgc_checkpoint(self->a, NULL, NULL) ? -1 : 0);
	{
		struct vgc_ckpt_opts o = { .flags = 0x80 };

		ASSERT_EQ(-EINVAL, vgc_checkpoint(self->a, &o, NULL));
		o.flags = 0;
		o.partition_mask = 1ULL << vgc_arena_partitions(self->a);
		ASSERT_EQ(-EINVAL, vgc_checkpoint(self->a, &o, NULL));
	}
}

TEST_F(obj, release_errors_and_requests)
{
	void *pers, *rel, *cand, *dem;
	struct vgc_checkpoint r;

	pers = vgc_alloc_gen(self->a, 48, VGC_ZONE_RED, VGC_GEN0,
			     VGC_ALLOC_F_PERSISTENT);
	rel = vgc_alloc(self->a, 48, VGC_ZONE_RED);
	cand = vgc_alloc(self->a, 48, VGC_ZONE_RED);
	dem = vgc_alloc(self->a, 48, VGC_ZONE_RED);
	ASSERT_NE(NULL, pers);
	ASSERT_NE(NULL, rel);
	ASSERT_NE(NULL, cand);
	ASSERT_NE(NULL, dem);
	ASSERT_EQ(0, vgc_release(self->a, rel));
	ASSERT_EQ(0, vgc_promote(self->a, cand));
	ASSERT_EQ(0, vgc_demote(self->a, dem));
	ASSERT_EQ(0, vgc_touch(self->a, cand));
	ASSERT_EQ(0, vgc_touch(self->a, dem));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(1, r.counts.pinned);
	ASSERT_EQ(1, r.counts.deferred);
	ASSERT_EQ(1, r.counts.promoted);
	ASSERT_EQ(1, r.counts.demoted);

	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, pers));
	ASSERT_EQ(-EPERM, vgc_release(self->a, pers));
	ASSERT_EQ(0, vgc_pin(self->a, pers));
	ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(self->a, rel));
	ASSERT_EQ(-EALREADY, vgc_release(self->a, rel));
	ASSERT_EQ(VGC_ST_PROMOTE, vgc_state(self->a, cand));
	ASSERT_EQ(VGC_ST_DEMOTE, vgc_state(self->a, dem));
	ASSERT_EQ(-EINVAL, vgc_promote(self->a, cand));
	ASSERT_EQ(-EINVAL, vgc_keep(self->a, pers));
	ASSERT_EQ(-EINVAL, vgc_keep(self->a, rel));
	ASSERT_EQ(0, vgc_keep(self->a, cand));
	/* a pin on a released object is accepted and dropped */
	ASSERT_EQ(0, vgc_pin(self->a, rel));

	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(1, r.counts.kept);
	ASSERT_GE(r.counts.dropped, 1);
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, cand));
	ASSERT_EQ(VGC_ST_DEMOTE, vgc_state(self->a, dem));
	ASSERT_EQ(VGC_ST_MARKED, vgc_state(self->a, rel));
	ASSERT_EQ(-EALREADY, vgc_release(self->a, rel));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(VGC_ST_EXPIRED, vgc_state(self->a, rel));
	ASSERT_EQ(-EALREADY, vgc_release(self->a, rel));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(-EINVAL, vgc_state(self->a, rel));
	ASSERT_EQ(-EINVAL, vgc_release(self->a, rel));
	ASSERT_EQ(VGC_ST_PERSISTENT, vgc_state(self->a, pers));
}

TEST_F(obj, idle_and_active)
{
	void *p = vgc_alloc(self->a, 100, VGC_ZONE_GREEN);
	struct vgc_checkpoint r;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(VGC_ST_IDLE, vgc_state(self->a, p));
	ASSERT_EQ(1, r.counts.to_idle);
	ASSERT_EQ(0, vgc_touch(self->a, p));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, p));
	ASSERT_EQ(1, r.counts.to_active);
}

/*
 * Fill Gen0 of Green with whole-span objects, release one: no allocation
 * may get it back before the third checkpoint, which reclaims it.
 */
TEST_F(obj, released_slot_reused_only_after_two_grace_periods)
{
	const struct vgc_region *rg = vgc_arena_region(self->a, VGC_ZONE_GREEN, 0);
	uint64_t n = rg->gen_granules[VGC_GEN0] / VGC_SPAN_GRANULES, i;
	void **objs = calloc(n, sizeof(void *));
	struct vgc_checkpoint r;
	void *q;

	ASSERT_NE(NULL, objs);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++) {
		objs[i] = vgc_alloc(self->a, VGC_SPAN_SIZE, VGC_ZONE_GREEN);
		ASSERT_NE(NULL, objs[i]);
	}
	ASSERT_EQ(NULL, vgc_alloc(self->a, VGC_SPAN_SIZE, VGC_ZONE_GREEN));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, vgc_release(self->a, objs[n / 2]));
	ASSERT_EQ(NULL, vgc_alloc(self->a, VGC_SPAN_SIZE, VGC_ZONE_GREEN));

	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));	/* -> Deferred */
	ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(self->a, objs[n / 2]));
	ASSERT_EQ(NULL, vgc_alloc(self->a, VGC_SPAN_SIZE, VGC_ZONE_GREEN));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));	/* -> Marked */
	ASSERT_EQ(VGC_ST_MARKED, vgc_state(self->a, objs[n / 2]));
	ASSERT_EQ(NULL, vgc_alloc(self->a, VGC_SPAN_SIZE, VGC_ZONE_GREEN));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));	/* -> Expired */
	ASSERT_EQ(VGC_ST_EXPIRED, vgc_state(self->a, objs[n / 2]));
	ASSERT_EQ(1, r.counts.expired);
	ASSERT_EQ(NULL, vgc_alloc(self->a, VGC_SPAN_SIZE, VGC_ZONE_GREEN));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));	/* reclaimed */
	ASSERT_EQ(1, r.counts.reclaimed);
	ASSERT_EQ(VGC_SPAN_SIZE, r.counts.reclaimed_bytes);
	ASSERT_EQ(-EINVAL, vgc_state(self->a, objs[n / 2]));
	q = vgc_alloc(self->a, VGC_SPAN_SIZE, VGC_ZONE_GREEN);
	ASSERT_EQ(objs[n / 2], q);
	ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, q));
	free(objs);
}

TEST_F(obj, blue_and_old_generations_follow_the_cadence)
{
	void *b = vgc_alloc(self->a, 64, VGC_ZONE_BLUE);
	void *g1 = vgc_alloc_gen(self->a, 64, VGC_ZONE_RED, VGC_GEN1, 0);
	struct vgc_checkpoint r;
	unsigned int i;
	const struct vgc_ctrl *c = vgc_arena_ctrl(self->a);
	uint64_t n0 = c->checkpoints;

	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, g1);
	ASSERT_EQ(0, vgc_release(self->a, b));
	ASSERT_EQ(0, vgc_release(self->a, g1));
	/* defaults: Blue every 4th, Gen1 every 4th checkpoint (1-based n) */
	for (i = 1; i <= 4; i++) {
		ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
		ASSERT_EQ(n0 + i, c->checkpoints);
		if ((n0 + i) % 4) {
			ASSERT_EQ(0, r.zones_evaluated & (1U << VGC_ZONE_BLUE));
			ASSERT_EQ(0, r.gens_evaluated & (1U << VGC_GEN1));
			ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, b));
			ASSERT_EQ(VGC_ST_ACTIVE, vgc_state(self->a, g1));
		} else {
			ASSERT_NE(0, r.zones_evaluated & (1U << VGC_ZONE_BLUE));
			ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(self->a, b));
			ASSERT_EQ(VGC_ST_DEFERRED, vgc_state(self->a, g1));
		}
	}
	ASSERT_EQ(0, vgct_ckpt(self->a, VGC_CKPT_F_ALL_ZONES, &r));
	ASSERT_EQ(7, r.zones_evaluated);
	ASSERT_EQ(7, r.gens_evaluated);
	ASSERT_EQ(VGC_ST_MARKED, vgc_state(self->a, b));
	ASSERT_EQ(VGC_ST_MARKED, vgc_state(self->a, g1));
}

TEST_F(obj, statistics_and_occupancy)
{
	const struct vgc_region_stats *st;
	struct vgc_checkpoint r;
	struct vgc_usage u;
	struct vgc_stats s;
	void *p[100];
	unsigned int i;

	for (i = 0; i < 100; i++) {
		p[i] = vgc_alloc(self->a, 16 * (1 + i % 3), VGC_ZONE_RED);
		ASSERT_NE(NULL, p[i]);
	}
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, vgc_release(self->a, p[i]));
	ASSERT_EQ(0, vgc_region_usage(self->a, VGC_ZONE_RED, 0, 0, &u));
	ASSERT_EQ(100, u.live);
	ASSERT_EQ(40, u.pending);
	ASSERT_EQ(3, u.spans_used);
	ASSERT_EQ(4096 + 2048 + 1365, u.slots);
	ASSERT_EQ(0, vgct_ckpt(self->a, VGC_CKPT_F_ALL_ZONES, &r));
	st = vgc_region_stats(self->a, VGC_ZONE_RED, 0);
	ASSERT_NE(NULL, st);
	ASSERT_EQ(60, st->states[VGC_GEN0][VGC_ST_IDLE]);
	ASSERT_EQ(40, st->states[VGC_GEN0][VGC_ST_DEFERRED]);
	ASSERT_GE(st->sweeps, 1);
	ASSERT_GE(st->total_pause_ns, st->last_pause_ns);
	ASSERT_GE(st->max_pause_ns, st->last_pause_ns);
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(0, vgct_ckpt(self->a, 0, &r));
	ASSERT_EQ(40, r.counts.reclaimed);
	ASSERT_EQ(16 * (14 * 1 + 13 * 2 + 13 * 3), r.counts.reclaimed_bytes);
	ASSERT_EQ(40, st->reclaimed_objects);
	ASSERT_EQ(r.counts.reclaimed_bytes, st->reclaimed_bytes);
	ASSERT_EQ(0, vgc_region_usage(self->a, VGC_ZONE_RED, 0, 0, &u));
	ASSERT_EQ(60, u.live);
	ASSERT_EQ(0, u.pending);
	ASSERT_EQ(60, u.states[VGC_ST_IDLE]);
	ASSERT_EQ(0, vgc_arena_stats(self->a, &s));
	ASSERT_EQ(40, s.reclaimed_objects);
	ASSERT_GE(s.checkpoints, 4);
	ASSERT_EQ(s.gp_seq, vgc_arena_ctrl(self->a)->gp_seq);
}

TEST_F(obj, library_sweep_partition_both_impls)
{
	struct vgc_sweep_counts c;
	unsigned int i;
	void *p;

	for (i = 0; i < 50; i++) {
		p = vgc_alloc(self->a, 32, VGC_ZONE_GREEN);
		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, vgc_release(self->a, p));
	}
	ASSERT_EQ(0, vgc_sweep_partition(self->a, 0, 0, 0, VGC_SWEEP_SCALAR, &c));
	ASSERT_EQ(50, c.deferred);
	ASSERT_EQ(50, c.live);
	ASSERT_EQ(0, vgc_sweep_partition(self->a, 0, 1U << VGC_ZONE_GREEN, 1,
					 VGC_SWEEP_AUTO, &c));
	ASSERT_EQ(50, c.marked);
	ASSERT_EQ(-ERANGE, vgc_sweep_partition(self->a, 64, 0, 0,
					       VGC_SWEEP_AUTO, &c));
	ASSERT_EQ(-EINVAL, vgc_sweep_partition(self->a, 0, 8, 0,
					       VGC_SWEEP_AUTO, &c));
}

TEST(strerror_speaks_vgc)
{
	static const int errs[] = {
		EINVAL, ENOMEM, E2BIG, EAGAIN, EALREADY, EPERM, EACCES,
		ENOSPC, ENODEV, ENOENT, EFAULT, EBUSY, EPROTO, EOPNOTSUPP,
		ENOTTY, ESRCH, EEXIST, ERANGE, EBADF, EMFILE, EOVERFLOW,
	};
	unsigned int i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *m = vgc_strerror(-errs[i]);

		ASSERT_NE(NULL, m);
		ASSERT_EQ(0, strncmp(m, "VGC: ", 5));
		ASSERT_EQ(m, vgc_strerror(errs[i]));
	}
	ASSERT_EQ(0, strncmp(vgc_strerror(-EXDEV), "VGC: ", 5));
}

TEST(backend_choice_is_reported)
{
	const char *env = getenv("VGC_BACKEND");
	struct vgc_arena *a;
	int err = vgct_open(&a, 0, 1 << 20);

	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	if (env && !strcmp(env, "anon"))
		ASSERT_EQ(VGC_BACKEND_ANON, vgc_arena_backend(a));
	if (env && !strcmp(env, "module")) {
		ASSERT_EQ(VGC_BACKEND_MODULE, vgc_arena_backend(a));
		ASSERT_GE(vgc_arena_fd(a), 0);
	}
	if (vgc_arena_backend(a) == VGC_BACKEND_ANON)
		ASSERT_EQ(-1, vgc_arena_fd(a));
	ASSERT_NE(NULL, vgc_backend_reason(a));
	ASSERT_NE(0, strlen(vgc_backend_reason(a)));
	TH_LOG("%s: %s (%u partitions)", vgc_backend_name(vgc_arena_backend(a)),
	       vgc_backend_reason(a), vgc_arena_partitions(a));
	vgc_arena_close(a);
}

TEST(layout_is_whole_spans_gen2_gen1_gen0)
{
	struct vgc_config cfg;
	const struct vgc_layout *l;
	struct vgc_arena *a;
	unsigned int i, z, np;
	cpu_set_t set;
	int err;

	vgc_config_init(&cfg);
	cfg.zone_bytes[VGC_ZONE_RED] = 1 << 20;
	cfg.zone_bytes[VGC_ZONE_GREEN] = 3 << 16;
	cfg.zone_bytes[VGC_ZONE_BLUE] = 0;
	cfg.zone_reserve_bytes[VGC_ZONE_RED] = 1 << 17;
	err = vgc_arena_open(&cfg, &a);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	l = vgc_arena_layout(a);
	np = vgc_arena_partitions(a);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(set), &set));
	ASSERT_EQ((unsigned int)CPU_COUNT(&set) < 64 ? CPU_COUNT(&set) : 64, np);
	ASSERT_EQ(np, l->nr_partitions);
	ASSERT_EQ(0, l->ctrl_offset);
	ASSERT_EQ(0, l->threads_offset % 4096);
	ASSERT_EQ(0, l->spans_offset % 4096);
	ASSERT_EQ(0, l->data_offset % 4096);
	for (i = 0; i < VGC_NR_PLANES; i++)
		ASSERT_EQ(0, l->plane_offset[i] % 4096);
	ASSERT_LE(l->total_granules, l->plane_size * 8);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (i = 0; i < np; i++) {
			const struct vgc_region *r = vgc_arena_region(a, z, i);
			uint64_t sum;

			ASSERT_NE(NULL, r);
			ASSERT_EQ(z, r->zone);
			ASSERT_EQ(i, r->partition);
			ASSERT_EQ(0, r->first_granule % VGC_SPAN_GRANULES);
			ASSERT_EQ(0, r->committed_granules % VGC_SPAN_GRANULES);
			ASSERT_EQ(0, r->capacity_granules % VGC_SPAN_GRANULES);
			sum = r->gen_granules[0] + r->gen_granules[1] +
			      r->gen_granules[2];
			ASSERT_EQ(r->committed_granules, sum);
			if (!r->committed_granules)
				continue;
			ASSERT_EQ(r->first_granule, r->gen_first[VGC_GEN2]);
			ASSERT_EQ(r->gen_first[VGC_GEN2] + r->gen_granules[VGC_GEN2],
				  r->gen_first[VGC_GEN1]);
			ASSERT_EQ(r->gen_first[VGC_GEN1] + r->gen_granules[VGC_GEN1],
				  r->gen_first[VGC_GEN0]);
			ASSERT_EQ(r->offset, l->data_offset +
				  r->first_granule * VGC_GRANULE_SIZE);
		}
	}
	ASSERT_EQ(16 * 4096 + 2 * 4096,
		  vgc_arena_region(a, VGC_ZONE_RED, 0)->capacity_granules);
	ASSERT_EQ(3 * 4096,
		  vgc_arena_region(a, VGC_ZONE_GREEN, 0)->committed_granules);
	ASSERT_EQ(0, vgc_arena_region(a, VGC_ZONE_BLUE, 0)->committed_granules);
	ASSERT_EQ(NULL, vgc_alloc(a, 16, VGC_ZONE_BLUE));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(NULL, vgc_arena_region(a, 3, 0));
	ASSERT_EQ(NULL, vgc_arena_region(a, 0, np));
	/* the state page starts all free: S0 of every granule is 1 */
	ASSERT_EQ(~0ULL, vgc_arena_plane(a, VGC_PLANE_S0)[0]);
	ASSERT_EQ(0, vgc_arena_plane(a, VGC_PLANE_VALID)[0]);
	vgc_arena_close(a);
}

TEST(grow_extends_gen0_into_the_reserve)
{
	struct vgc_heap_stats hs;
	struct vgc_config cfg;
	struct vgc_objinfo oi;
	struct vgc_arena *a;
	uint64_t committed, i, n;
	void *p;
	int err;

	vgc_config_init(&cfg);
	cfg.nr_partitions = vgct_cpus(cfg.cpus, 1);
	cfg.zone_bytes[VGC_ZONE_GREEN] = 4 * VGC_SPAN_SIZE;
	cfg.zone_reserve_bytes[VGC_ZONE_GREEN] = 2 * VGC_SPAN_SIZE;
	err = vgc_arena_open(&cfg, &a);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	n = vgc_arena_region(a, VGC_ZONE_GREEN, 0)->gen_granules[VGC_GEN0] /
	    VGC_SPAN_GRANULES;
	ASSERT_EQ(-EINVAL, vgc_grow(a, 3, 0, VGC_SPAN_SIZE, NULL));
	ASSERT_EQ(-ENOSPC, vgc_grow(a, VGC_ZONE_GREEN, 0, 3 * VGC_SPAN_SIZE, NULL));
	ASSERT_EQ(0, vgc_grow(a, VGC_ZONE_GREEN, 0, 1, &committed));
	ASSERT_EQ(5 * VGC_SPAN_SIZE, committed);
	ASSERT_EQ(n + 1, vgc_arena_region(a, VGC_ZONE_GREEN, 0)->gen_granules[VGC_GEN0] /
		  VGC_SPAN_GRANULES);
	for (i = 0; i < n + 1; i++)
		ASSERT_NE(NULL, vgc_alloc(a, VGC_SPAN_SIZE, VGC_ZONE_GREEN));
	/* full: the allocation itself grows into the last span of reserve */
	p = vgc_alloc(a, VGC_SPAN_SIZE, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, vgc_locate(a, p, &oi));
	ASSERT_EQ(VGC_GEN0, oi.gen);
	ASSERT_EQ(VGC_ZONE_GREEN, oi.zone);
	memset(p, 1, VGC_SPAN_SIZE);
	ASSERT_EQ(n + 2, vgc_arena_region(a, VGC_ZONE_GREEN, 0)->gen_granules[VGC_GEN0] /
		  VGC_SPAN_GRANULES);
	errno = 0;
	ASSERT_EQ(NULL, vgc_alloc(a, VGC_SPAN_SIZE, VGC_ZONE_GREEN));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(-ENOSPC, vgc_grow(a, VGC_ZONE_GREEN, 0, VGC_SPAN_SIZE, NULL));
	ASSERT_EQ(0, vgc_heap_stats(a, &hs));
	ASSERT_EQ(1, hs.grown_spans);
	vgc_arena_close(a);
}

TEST(bad_configs)
{
	struct vgc_config cfg;
	struct vgc_arena *a = (void *)1;

	vgc_config_init(&cfg);
	cfg.zone_bytes[0] = cfg.zone_bytes[1] = cfg.zone_bytes[2] = 0;
	ASSERT_EQ(-EINVAL, vgc_arena_open(&cfg, &a));
	ASSERT_EQ(NULL, a);
	vgc_config_init(&cfg);
	cfg.flags = 0x8000;
	ASSERT_EQ(-EINVAL, vgc_arena_open(&cfg, &a));
	vgc_config_init(&cfg);
	cfg.gen_permille[0] = 500;
	ASSERT_EQ(-EINVAL, vgc_arena_open(&cfg, &a));
	vgc_config_init(&cfg);
	cfg.zone_bytes[0] = 1ULL << 62;
	ASSERT_EQ(-E2BIG, vgc_arena_open(&cfg, &a));
	vgc_config_init(&cfg);
	cfg.nr_partitions = VGC_MAX_PARTITIONS + 1;
	ASSERT_EQ(-ERANGE, vgc_arena_open(&cfg, &a));
	ASSERT_EQ(-EINVAL, vgc_arena_open(&cfg, NULL));
}

TEST_HARNESS_MAIN
