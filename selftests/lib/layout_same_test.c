// SPDX-License-Identifier: GPL-2.0
/*
 * One layout for every backend.  vgc_core_layout() (core/vgc_layout.c) is
 * the only code that lays out an arena; this test holds it to the layouts
 * that the module and the library computed separately before they shared
 * it (the golden table), then checks that the anonymous backend maps what
 * the core computes and, where /dev/vgc exists, that the module reports
 * the same layout through VGC_IOC_GET_LAYOUT, to the byte, for a table of
 * shapes, and refuses the same bad shapes with the same errno.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"
#include "vgc_core.h"

struct shape {
	unsigned int np;
	__u64 zg[VGC_NR_ZONES], zr[VGC_NR_ZONES];
	__u16 pm[VGC_NR_GENS];
	__u32 flags;
	int err;		/* what both sides must answer */
};

static const struct shape shapes[] = {
	{ 1, { 4096, 65536, 4096 }, { 0, 0, 0 }, { 0, 0, 0 }, 0, 0 },
	{ 2, { 65536, 65536, 65536 }, { 0, 131072, 0 }, { 0, 0, 0 }, 0, 0 },
	{ 3, { 1, 0, 100000 }, { 5000, 0, 1 }, { 600, 300, 100 }, 0, 0 },
	{ 4, { 40960, 40960, 0 }, { 0, 0, 40960 }, { 1000, 0, 0 }, 0, 0 },
	{ 2, { 4096, 4096, 4096 }, { 0, 0, 0 }, { 0, 0, 1000 }, 0, 0 },
	{ 1, { 0, 8192, 0 }, { 1 << 20, 0, 0 }, { 0, 0, 0 }, 0, 0 },
	/* bad shapes: refused before anything is allocated */
	{ 0, { 4096, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, 0, -EINVAL },
	{ 65, { 4096, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, 0, -EINVAL },
	{ 1, { 0, 0, 0 }, { 4096, 0, 0 }, { 0, 0, 0 }, 0, -EINVAL },
	{ 1, { 4096, 0, 0 }, { 0, 0, 0 }, { 500, 300, 199 }, 0, -EINVAL },
	{ 1, { 4096, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, 0x80, -EINVAL },
	{ 1, { (1ULL << 38) + 1, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, 0, -E2BIG },
	{ 1, { 4096, 0, 0 }, { 0, 1ULL << 39, 0 }, { 0, 0, 0 }, 0, -E2BIG },
	{ 64, { (1ULL << 32) + 1, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, 0, -E2BIG },
	{ 2, { 1ULL << 36, 1ULL << 36, 0 }, { 0, 1ULL << 36, 1ULL << 36 },
	  { 0, 0, 0 }, 0, -E2BIG },
};

#define NR_SHAPES	(sizeof(shapes) / sizeof(shapes[0]))

static void shape_params(const struct shape *s, struct vgc_arena_params *p)
{
	unsigned int cpus[VGC_MAX_PARTITIONS], n, i;

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->flags = s->flags;
	p->nr_partitions = s->np;
	n = vgct_cpus(cpus, 0);
	for (i = 0; i < s->np && i < VGC_MAX_PARTITIONS; i++)
		p->cpus[i] = n ? cpus[i % n] : 0;
	for (i = 0; i < VGC_NR_ZONES; i++) {
		p->zone_granules[i] = s->zg[i];
		p->zone_reserve_granules[i] = s->zr[i];
	}
	for (i = 0; i < VGC_NR_GENS; i++)
		p->gen_permille[i] = s->pm[i];
}

static __u64 page_size(void)
{
	return (__u64)sysconf(_SC_PAGESIZE);
}

/* What the backends fill from their pages, not from the shape. */
static void mask_backing(struct vgc_region *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		r[i].node = 0;
		r[i].nr_chunks = 0;
	}
}

/* The caller's fields of GET_LAYOUT, not part of the layout. */
static void mask_request(struct vgc_layout *l)
{
	l->size = 0;
	l->regions_cap = 0;
	l->regions_ptr = 0;
}

/*
 * Figures of the layouts that kmod/vgc_arena.c and lib/layout.c computed
 * each on their own before core/ (shapes 0-3, x86-64, 4 KiB pages): map
 * size, index space, data offset, plane size, and one region per shape.
 * The span summaries (16 bytes per span, page aligned) came later, between
 * the span table and the planes: everything after them moved by their size.
 */
struct golden {
	__u64 map, total, data, plane;
	unsigned int reg;
	__u64 off, first, com, cap, g2, g1, g0;
};

static const struct golden gold[] = {
	{ 1433600, 73728, 253952, 12288,
	  1, 319488, 4096, 65536, 65536, 12288, 16384, 36864 },
	{ 11505664, 655360, 1019904, 81920,
	  2, 3117056, 131072, 65536, 196608, 12288, 16384, 36864 },
	{ 6316032, 356352, 614400, 45056,
	  6, 1204224, 36864, 102400, 106496, 8192, 28672, 65536 },
	{ 8658944, 491520, 794624, 61440,
	  8, 6037504, 327680, 0, 40960, 0, 0, 0 },
};

TEST(core_keeps_the_old_layouts)
{
	struct vgc_region r[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
	struct vgc_arena_params p;
	struct vgc_layout l;
	unsigned int s;

	if (page_size() != 4096)
		SKIP(return, "golden figures are for 4 KiB pages");
	for (s = 0; s < sizeof(gold) / sizeof(gold[0]); s++) {
		const struct golden *g = &gold[s];
		const struct vgc_region *x = &r[g->reg];

		shape_params(&shapes[s], &p);
		ASSERT_EQ(0, vgc_core_layout(&p, 4096, &l, r));
		EXPECT_EQ(l.spans_offset + l.spans_size, l.sums_offset);
		EXPECT_EQ(((g->total >> 12) * 16 + 4095) & ~4095ULL,
			  l.sums_size);
		EXPECT_EQ(l.sums_offset + l.sums_size, l.plane_offset[0]);
		EXPECT_EQ(g->map + l.sums_size, l.map_size) TH_LOG("shape %u", s);
		EXPECT_EQ(g->total, l.total_granules);
		EXPECT_EQ(g->data + l.sums_size, l.data_offset);
		EXPECT_EQ(g->plane, l.plane_size);
		EXPECT_EQ(0, l.ctrl_offset);
		EXPECT_EQ(l.ctrl_size, l.threads_offset);
		EXPECT_EQ(g->off + l.sums_size, x->offset);
		EXPECT_EQ(g->first, x->first_granule);
		EXPECT_EQ(g->com, x->committed_granules);
		EXPECT_EQ(g->cap, x->capacity_granules);
		EXPECT_EQ(g->g2, x->gen_granules[VGC_GEN2]);
		EXPECT_EQ(g->g1, x->gen_granules[VGC_GEN1]);
		EXPECT_EQ(g->g0, x->gen_granules[VGC_GEN0]);
		EXPECT_EQ(x->first_granule, x->gen_first[VGC_GEN2]);
	}
}

/* Invariants every layout keeps, whatever the shape. */
TEST(core_layout_invariants)
{
	struct vgc_region r[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
	struct vgc_arena_params p;
	struct vgc_layout l;
	unsigned int s, i, pl;

	for (s = 0; s < NR_SHAPES; s++) {
		__u64 next = 0;

		shape_params(&shapes[s], &p);
		ASSERT_EQ(shapes[s].err, vgc_core_layout(&p, page_size(), &l, r))
			TH_LOG("shape %u", s);
		if (shapes[s].err)
			continue;
		ASSERT_EQ(VGC_NR_ZONES * shapes[s].np, l.nr_regions);
		for (pl = 0; pl < VGC_NR_PLANES; pl++) {
			EXPECT_EQ(0, l.plane_offset[pl] % page_size());
			EXPECT_GE(l.plane_size * 8, l.total_granules);
		}
		EXPECT_EQ(l.data_offset + l.data_size, l.map_size);
		for (i = 0; i < l.nr_regions; i++) {
			const struct vgc_region *x = &r[i];

			EXPECT_EQ(next, x->first_granule) TH_LOG("region %u", i);
			EXPECT_EQ(0, x->first_granule % VGC_SPAN_GRANULES);
			EXPECT_EQ(0, x->committed_granules % VGC_SPAN_GRANULES);
			EXPECT_EQ(x->committed_granules,
				  x->gen_granules[0] + x->gen_granules[1] +
				  x->gen_granules[2]);
			EXPECT_EQ(i / shapes[s].np, x->zone);
			EXPECT_EQ(-1, x->node);
			next += x->capacity_granules;
		}
		EXPECT_EQ(next, l.total_granules);
	}
}

TEST(anon_backend_maps_the_core_layout)
{
	struct vgc_region r[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
	struct vgc_arena_params p;
	struct vgc_layout l, got;
	unsigned int s, i, z;

	for (s = 0; s < NR_SHAPES; s++) {
		const struct shape *sh = &shapes[s];
		struct vgc_config cfg;
		struct vgc_arena *a;
		int err;

		/* vgc_config speaks bytes: only shapes it can express */
		if (sh->err || sh->flags)
			continue;
		shape_params(sh, &p);
		ASSERT_EQ(0, vgc_core_layout(&p, page_size(), &l, r));
		vgc_config_init(&cfg);
		cfg.backend = VGC_BACKEND_ANON;
		cfg.nr_partitions = sh->np;
		memcpy(cfg.cpus, p.cpus, sizeof(p.cpus[0]) * sh->np);
		for (z = 0; z < VGC_NR_ZONES; z++) {
			cfg.zone_bytes[z] = sh->zg[z] * VGC_GRANULE_SIZE;
			cfg.zone_reserve_bytes[z] = sh->zr[z] * VGC_GRANULE_SIZE;
		}
		for (i = 0; i < VGC_NR_GENS; i++)
			cfg.gen_permille[i] = sh->pm[i];
		err = vgc_arena_open(&cfg, &a);
		ASSERT_EQ(0, err) TH_LOG("shape %u: %s", s, vgc_strerror(err));
		got = *vgc_arena_layout(a);
		mask_request(&got);
		mask_request(&l);
		EXPECT_EQ(0, memcmp(&l, &got, sizeof(l))) TH_LOG("shape %u", s);
		for (i = 0; i < l.nr_regions; i++) {
			struct vgc_region x = *vgc_arena_region(a, i / sh->np,
								i % sh->np);

			mask_backing(&x, 1);
			mask_backing(&r[i], 1);
			EXPECT_EQ(0, memcmp(&r[i], &x, sizeof(x)))
				TH_LOG("shape %u region %u", s, i);
		}
		vgc_arena_close(a);
	}
}

TEST(module_reports_the_core_layout)
{
	struct vgc_region want[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
	struct vgc_region got[VGC_NR_ZONES * VGC_MAX_PARTITIONS];
	struct vgc_arena_params p;
	struct vgc_layout l, gl;
	unsigned int s, checked = 0;
	int fd = open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP(return, "%s: %s (host: no module)", VGC_DEVICE_PATH,
		     strerror(errno));
	close(fd);
	for (s = 0; s < NR_SHAPES; s++) {
		const struct shape *sh = &shapes[s];
		int ret, kerr;

		shape_params(sh, &p);
		ret = vgc_core_layout(&p, page_size(), &l, want);
		ASSERT_EQ(sh->err, ret) TH_LOG("shape %u", s);
		fd = open(VGC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		kerr = ioctl(fd, VGC_IOC_CREATE_ARENA, &p) ? -errno : 0;
		ASSERT_EQ(sh->err, kerr) TH_LOG("shape %u", s);
		if (!kerr) {
			memset(&gl, 0, sizeof(gl));
			gl.size = sizeof(gl);
			gl.regions_cap = VGC_NR_ZONES * VGC_MAX_PARTITIONS;
			gl.regions_ptr = (uintptr_t)got;
			ASSERT_EQ(0, ioctl(fd, VGC_IOC_GET_LAYOUT, &gl));
			mask_request(&gl);
			mask_request(&l);
			EXPECT_EQ(0, memcmp(&l, &gl, sizeof(l)))
				TH_LOG("shape %u", s);
			mask_backing(want, l.nr_regions);
			mask_backing(got, l.nr_regions);
			EXPECT_EQ(0, memcmp(want, got,
					    l.nr_regions * sizeof(got[0])))
				TH_LOG("shape %u", s);
			checked++;
		}
		close(fd);
	}
	TH_LOG("%u layouts identical, %zu shapes refused alike", checked,
	       NR_SHAPES - checked);
}

TEST_HARNESS_MAIN
