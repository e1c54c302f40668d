// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel checkpoint sweeps: the kernel's result equals vgc_sweep_word() for
 * every nibble x access x request combination, in evaluated and skipped
 * zones; the release lifecycle; partition masks; growth.
 */
#include <signal.h>
#include <sys/wait.h>
#include "../kselftest_harness.h"
#include "ckpt_util.h"

#define WORDS_PER_REGION	(VGC_SPAN_GRANULES / 64)
#define COMBOS			1024	/* 16 nibbles x access x 32 requests */
#define CLS			3	/* size class planted in every span */

static const unsigned int req_planes[5] = {
	VGC_PLANE_RELEASE, VGC_PLANE_PIN, VGC_PLANE_KEEP,
	VGC_PLANE_PROMOTE, VGC_PLANE_DEMOTE,
};

/* Combination c at granule c of the region: nibble, access, requests. */
static void plant(struct ckpt_arena *a, const struct vgc_region *r)
{
	__u64 w0 = r->first_granule / 64;
	unsigned int c, w, pl;

	for (w = 0; w < WORDS_PER_REGION; w++) {
		for (pl = 0; pl < VGC_NR_PLANES; pl++)
			a->plane[pl][w0 + w] = 0;
		a->plane[VGC_PLANE_S0][w0 + w] = ~0ULL;
	}
	for (c = 0; c < COMBOS; c++) {
		__u64 bit = 1ULL << (c & 63);
		__u64 *wp[VGC_NR_PLANES];
		unsigned int nib = c & 15, req = c >> 5;

		for (pl = 0; pl < VGC_NR_PLANES; pl++)
			wp[pl] = &a->plane[pl][w0 + c / 64];
		*wp[VGC_PLANE_S0] &= ~bit;
		if (nib & 1)
			*wp[VGC_PLANE_S0] |= bit;
		if (nib & 2)
			*wp[VGC_PLANE_S1] |= bit;
		if (nib & 4)
			*wp[VGC_PLANE_S2] |= bit;
		if (nib & 8)
			*wp[VGC_PLANE_VALID] |= bit;
		if ((c >> 4) & 1)
			*wp[VGC_PLANE_ACCESS] |= bit;
		if (((c * 7) >> 3) & 1)
			*wp[VGC_PLANE_MUTATE] |= bit;
		for (pl = 0; pl < 5; pl++)
			if ((req >> pl) & 1)
				*wp[req_planes[pl]] |= bit;
	}
	a->spans[r->first_granule / VGC_SPAN_GRANULES] = CLS;
	for (w = 0; w < WORDS_PER_REGION; w += VGC_SPAN_GRANULES / 64)
		ckpt_note(a, (w0 + w) * 64);
}

struct snap {
	__u64 w[VGC_NR_PLANES][WORDS_PER_REGION];
};

static void take(struct ckpt_arena *a, const struct vgc_region *r,
		 struct snap *s)
{
	unsigned int pl, w;

	for (pl = 0; pl < VGC_NR_PLANES; pl++)
		for (w = 0; w < WORDS_PER_REGION; w++)
			s->w[pl][w] = a->plane[pl][r->first_granule / 64 + w];
}

/*
 * Expected planes after a sweep with zone mask z, from vgc_sweep_word();
 * counts and the state histogram accumulate.
 */
static void expect(const struct snap *in, struct snap *out, __u64 z,
		   struct vgc_sweep_counts *c, __u64 hist[8])
{
	unsigned int w;

	for (w = 0; w < WORDS_PER_REGION; w++) {
		struct vgc_sweep_in si = {
			.v = in->w[VGC_PLANE_VALID][w],
			.s0 = in->w[VGC_PLANE_S0][w],
			.s1 = in->w[VGC_PLANE_S1][w],
			.s2 = in->w[VGC_PLANE_S2][w],
			.a = in->w[VGC_PLANE_ACCESS][w],
			.r = in->w[VGC_PLANE_RELEASE][w],
			.p = in->w[VGC_PLANE_PIN][w],
			.k = in->w[VGC_PLANE_KEEP][w],
			.promote = in->w[VGC_PLANE_PROMOTE][w],
			.demote = in->w[VGC_PLANE_DEMOTE][w],
			.z = z,
		};
		struct vgc_sweep_out so;

		vgc_sweep_word(&si, &so);
		out->w[VGC_PLANE_VALID][w] = so.v;
		out->w[VGC_PLANE_S0][w] = so.s0;
		out->w[VGC_PLANE_S1][w] = so.s1;
		out->w[VGC_PLANE_S2][w] = so.s2;
		out->w[VGC_PLANE_ACCESS][w] = si.a & ~z;
		out->w[VGC_PLANE_MUTATE][w] = in->w[VGC_PLANE_MUTATE][w];
		out->w[VGC_PLANE_RELEASE][w] = so.r_left;
		out->w[VGC_PLANE_PIN][w] = so.p_left;
		out->w[VGC_PLANE_KEEP][w] = so.k_left;
		out->w[VGC_PLANE_PROMOTE][w] = so.promote_left;
		out->w[VGC_PLANE_DEMOTE][w] = so.demote_left;
		if (z) {
			vgc_sweep_count(&so, c);
			c->reclaimed_bytes += (__u64)__builtin_popcountll(so.reclaimed) *
					      CLS * VGC_GRANULE_SIZE;
			vgc_state_hist_word(so.v, so.s0, so.s1, so.s2, hist);
		}
	}
}

FIXTURE(sweep) {
	struct ckpt_arena a;
};

FIXTURE_SETUP(sweep)
{
	struct vgc_arena_params p;

	ckpt_params(&p, 1, VGC_SPAN_GRANULES, VGC_SPAN_GRANULES,
		    VGC_SPAN_GRANULES);
	ASSERT_EQ(0, ckpt_open(&self->a, &p));
}

FIXTURE_TEARDOWN(sweep)
{
	ckpt_close(&self->a);
}

static int compare(struct __test_metadata *_metadata, struct ckpt_arena *a,
		   const struct vgc_region *r, const struct snap *want,
		   const char *what)
{
	struct snap got;
	unsigned int pl, w, bad = 0;

	take(a, r, &got);
	for (pl = 0; pl < VGC_NR_PLANES; pl++) {
		for (w = 0; w < WORDS_PER_REGION; w++) {
			__u64 d = got.w[pl][w] ^ want->w[pl][w];

			if (!d)
				continue;
			if (bad++ < 8)
				TH_LOG("%s: plane %u word %u combo %u: got %#llx want %#llx",
				       what, pl, w,
				       w * 64 + __builtin_ctzll(d),
				       (unsigned long long)got.w[pl][w],
				       (unsigned long long)want->w[pl][w]);
		}
	}
	return bad;
}

static void check_counts(struct __test_metadata *_metadata,
			 const struct vgc_sweep_counts *got,
			 const struct vgc_sweep_counts *want)
{
	EXPECT_EQ(want->words, got->words);
	EXPECT_EQ(want->live, got->live);
	EXPECT_EQ(want->to_active, got->to_active);
	EXPECT_EQ(want->to_idle, got->to_idle);
	EXPECT_EQ(want->deferred, got->deferred);
	EXPECT_EQ(want->marked, got->marked);
	EXPECT_EQ(want->expired, got->expired);
	EXPECT_EQ(want->reclaimed, got->reclaimed);
	EXPECT_EQ(want->reclaimed_bytes, got->reclaimed_bytes);
	EXPECT_EQ(want->pinned, got->pinned);
	EXPECT_EQ(want->promoted, got->promoted);
	EXPECT_EQ(want->demoted, got->demoted);
	EXPECT_EQ(want->kept, got->kept);
	EXPECT_EQ(want->dropped, got->dropped);
	EXPECT_EQ(want->stable, got->stable);
}

/* Pause statistics of the first n regions are consistent. */
static void pause_stats(struct __test_metadata *_metadata,
			const struct vgc_ctrl *ctrl, unsigned int n)
{
	unsigned int i, b;

	for (i = 0; i < n; i++) {
		const struct vgc_region_stats *st = &ctrl->regions[i];
		__u64 sum = 0;

		for (b = 0; b < VGC_PAUSE_BUCKETS; b++)
			sum += st->pause_hist[b];
		EXPECT_EQ(st->sweeps, sum);
		EXPECT_GE(st->max_pause_ns, st->last_pause_ns);
		EXPECT_GE(st->total_pause_ns, st->max_pause_ns);
		EXPECT_NE(0, st->last_pause_ns);
	}
}

/* Checkpoint 1 with ALL_ZONES: every zone evaluated, z all ones. */
TEST_F(sweep, truth_table_all_zones)
{
	struct snap in[VGC_NR_ZONES], want[VGC_NR_ZONES];
	struct vgc_sweep_counts wc = { 0 };
	__u64 hist[VGC_NR_ZONES][8] = { { 0 } };
	struct vgc_checkpoint ck;
	unsigned int z, s;

	for (z = 0; z < VGC_NR_ZONES; z++) {
		plant(&self->a, ckpt_region(&self->a, z, 0));
		take(&self->a, ckpt_region(&self->a, z, 0), &in[z]);
		expect(&in[z], &want[z], ~0ULL, &wc, hist[z]);
	}
	ASSERT_EQ(0, ckpt_run(&self->a, VGC_CKPT_F_ALL_ZONES, 0, &ck));
	EXPECT_EQ(7, ck.zones_evaluated);
	EXPECT_EQ(7, ck.gens_evaluated);
	EXPECT_EQ(1, ck.gp_seq);
	EXPECT_EQ(1, self->a.ctrl->checkpoints);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		EXPECT_EQ(0, compare(_metadata, &self->a,
				     ckpt_region(&self->a, z, 0), &want[z],
				     "all zones"));
		for (s = 0; s < 8; s++)
			EXPECT_EQ(hist[z][s],
				  self->a.ctrl->regions[z].states[VGC_GEN0][s]);
		EXPECT_EQ(1, self->a.ctrl->regions[z].sweeps);
	}
	check_counts(_metadata, &ck.counts, &wc);
	pause_stats(_metadata, self->a.ctrl, VGC_NR_ZONES);
	EXPECT_NE(0, wc.reclaimed);
	EXPECT_NE(0, wc.dropped);
}

/* Checkpoint 2 without ALL_ZONES: Blue (every 4th) is not evaluated. */
TEST_F(sweep, truth_table_cadence)
{
	struct snap in[VGC_NR_ZONES], want[VGC_NR_ZONES];
	struct vgc_sweep_counts wc = { 0 };
	__u64 hist[VGC_NR_ZONES][8] = { { 0 } };
	struct vgc_checkpoint ck;
	unsigned int z;

	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(3, ck.zones_evaluated);
	EXPECT_EQ(1, ck.gens_evaluated);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		plant(&self->a, ckpt_region(&self->a, z, 0));
		take(&self->a, ckpt_region(&self->a, z, 0), &in[z]);
		expect(&in[z], &want[z], z == VGC_ZONE_BLUE ? 0 : ~0ULL, &wc,
		       hist[z]);
	}
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(2, ck.gp_seq);
	EXPECT_EQ(3, ck.zones_evaluated);
	for (z = 0; z < VGC_NR_ZONES; z++)
		EXPECT_EQ(0, compare(_metadata, &self->a,
				     ckpt_region(&self->a, z, 0), &want[z],
				     "cadence"));
	check_counts(_metadata, &ck.counts, &wc);
	/* Checkpoints 3 and 4: Blue is due at 4. */
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(3, ck.zones_evaluated);
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(7, ck.zones_evaluated);
	EXPECT_EQ(3, ck.gens_evaluated);	/* Gen1 every 4th */
}

TEST_F(sweep, release_lifecycle)
{
	const struct vgc_region *r = ckpt_region(&self->a, VGC_ZONE_GREEN, 0);
	__u64 i = r->first_granule + 64 * 3 + 5, j = i + 100;
	struct vgc_checkpoint ck;
	struct vgc_stats st;

	ckpt_alloc(&self->a, i, 4);
	ckpt_alloc(&self->a, j, 4);
	EXPECT_EQ(VGC_ST_ACTIVE, ckpt_code(&self->a, i));
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_RELEASE, i));
	EXPECT_EQ(1, ckpt_bit(&self->a, VGC_PLANE_RELEASE, i));
	EXPECT_EQ(VGC_ST_ACTIVE, ckpt_code(&self->a, i));

	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_DEFERRED, ckpt_code(&self->a, i));
	EXPECT_EQ(1, ck.counts.deferred);
	EXPECT_EQ(0, ckpt_bit(&self->a, VGC_PLANE_RELEASE, i));
	/* j was not touched: Active -> Idle; touch it back. */
	EXPECT_EQ(VGC_ST_IDLE, ckpt_code(&self->a, j));
	EXPECT_EQ(1, ck.counts.to_idle);
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_TOUCH, j));

	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_MARKED, ckpt_code(&self->a, i));
	EXPECT_EQ(1, ck.counts.marked);
	EXPECT_EQ(VGC_ST_ACTIVE, ckpt_code(&self->a, j));
	EXPECT_EQ(1, ck.counts.to_active);

	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_EXPIRED, ckpt_code(&self->a, i));
	EXPECT_EQ(1, ck.counts.expired);
	EXPECT_EQ(0, ck.counts.reclaimed);

	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(-1, ckpt_code(&self->a, i));
	/* the free preset: S = 001 */
	EXPECT_EQ(1, ckpt_bit(&self->a, VGC_PLANE_S0, i));
	EXPECT_EQ(0, ckpt_bit(&self->a, VGC_PLANE_S1, i));
	EXPECT_EQ(0, ckpt_bit(&self->a, VGC_PLANE_S2, i));
	EXPECT_EQ(1, ck.counts.reclaimed);
	EXPECT_EQ(4 * VGC_GRANULE_SIZE, ck.counts.reclaimed_bytes);
	EXPECT_EQ(4, ck.gp_seq);

	ASSERT_EQ(0, ckpt_stats(&self->a, &st));
	EXPECT_EQ(1, st.reclaimed_objects);
	EXPECT_EQ(4 * VGC_GRANULE_SIZE, st.reclaimed_bytes);
	EXPECT_EQ(4, st.checkpoints);
	EXPECT_EQ(4, st.gp_seq);
	EXPECT_EQ(1, self->a.ctrl->regions[VGC_ZONE_GREEN].reclaimed_objects);
	EXPECT_EQ(4, self->a.ctrl->regions[VGC_ZONE_GREEN].sweeps);
	/* The slot can be allocated again: Active at once. */
	ckpt_alloc(&self->a, i, 4);
	EXPECT_EQ(VGC_ST_ACTIVE, ckpt_code(&self->a, i));
}

TEST_F(sweep, pin_and_candidates)
{
	const struct vgc_region *r = ckpt_region(&self->a, VGC_ZONE_RED, 0);
	__u64 i = r->first_granule + 7, j = i + 1;
	struct vgc_checkpoint ck;

	ckpt_alloc(&self->a, i, 1);
	ckpt_alloc(&self->a, j, 1);
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_PIN, i));
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_PROMOTE, j));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_PERSISTENT, ckpt_code(&self->a, i));
	EXPECT_EQ(VGC_ST_PROMOTE, ckpt_code(&self->a, j));
	EXPECT_EQ(1, ck.counts.pinned);
	EXPECT_EQ(1, ck.counts.promoted);
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_KEEP, j));
	ASSERT_EQ(0, ckpt_run(&self->a, 0, 0, &ck));
	EXPECT_EQ(VGC_ST_ACTIVE, ckpt_code(&self->a, j));
	EXPECT_EQ(1, ck.counts.kept);
	EXPECT_EQ(VGC_ST_PERSISTENT, ckpt_code(&self->a, i));
	/* mutation bits belong to the profiler: the sweep leaves them */
	ASSERT_EQ(0, ckpt_batch1(&self->a, VGC_BATCH_MUTATE, j));
	ASSERT_EQ(0, ckpt_run(&self->a, VGC_CKPT_F_ALL_ZONES, 0, &ck));
	EXPECT_EQ(1, ckpt_bit(&self->a, VGC_PLANE_MUTATE, j));
}

TEST(partition_mask)
{
	struct vgc_arena_params p;
	struct vgc_checkpoint ck;
	struct ckpt_arena a;
	unsigned int zg = VGC_ZONE_GREEN * 2;

	ckpt_params(&p, 2, 0, VGC_SPAN_GRANULES, 0);
	ASSERT_EQ(0, ckpt_open(&a, &p));
	EXPECT_EQ(-EINVAL, ckpt_run(&a, 0, 1ULL << 2, &ck));
	EXPECT_EQ(-EINVAL, ckpt_run(&a, 0, 1ULL << 63, &ck));
	EXPECT_EQ(-EINVAL, ckpt_run(&a, 1U << 5, 0, &ck));
	EXPECT_EQ(0, a.ctrl->checkpoints);

	memset(&ck, 0, sizeof(ck));
	ck.size = sizeof(ck);
	ck.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, ckpt_ioctl(a.fd, VGC_IOC_CHECKPOINT, &ck));
	ck.reserved[3] = 0;
	ck.size = VGC_CHECKPOINT_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, ckpt_ioctl(a.fd, VGC_IOC_CHECKPOINT, &ck));
	EXPECT_EQ(-EFAULT, ckpt_ioctl(a.fd, VGC_IOC_CHECKPOINT, (void *)8));

	ASSERT_EQ(0, ckpt_run(&a, 0, 2, &ck));
	EXPECT_EQ(0, a.ctrl->regions[zg + 0].sweeps);
	EXPECT_EQ(1, a.ctrl->regions[zg + 1].sweeps);
	EXPECT_EQ(WORDS_PER_REGION, ck.counts.words);
	ASSERT_EQ(0, ckpt_run(&a, 0, 0, &ck));
	EXPECT_EQ(1, a.ctrl->regions[zg + 0].sweeps);
	EXPECT_EQ(2, a.ctrl->regions[zg + 1].sweeps);
	EXPECT_EQ(2 * WORDS_PER_REGION, ck.counts.words);
	ckpt_close(&a);
}

static __u64 used_bytes(int fd)
{
	struct vgc_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (ckpt_ioctl(fd, VGC_IOC_GET_VERSION, &v))
		return 0;
	return v.used_bytes;
}

static int do_grow(struct ckpt_arena *a, __u32 zone, __u32 part, __u64 granules,
		__u64 *committed)
{
	struct vgc_grow g;
	int ret;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.zone = zone;
	g.partition = part;
	g.granules = granules;
	ret = ckpt_ioctl(a->fd, VGC_IOC_GROW, &g);
	if (!ret && committed)
		*committed = g.committed_granules;
	return ret;
}

/* Touching p from a child: its exit signal, 0 when it survived. */
static int touch_sig(volatile unsigned char *p)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		p[0] = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST(grow_region)
{
	struct vgc_arena_params p;
	struct vgc_checkpoint ck;
	struct ckpt_arena a;
	const struct vgc_region *r;
	unsigned char *base;
	__u64 com = 0, used0, i;
	struct vgc_stats st;
	int k;

	ckpt_params(&p, 1, 0, VGC_SPAN_GRANULES, 0);
	p.zone_reserve_granules[VGC_ZONE_GREEN] = 2 * VGC_SPAN_GRANULES;
	ASSERT_EQ(0, ckpt_open(&a, &p));
	r = ckpt_region(&a, VGC_ZONE_GREEN, 0);
	ASSERT_EQ(VGC_SPAN_GRANULES, r->committed_granules);
	ASSERT_EQ(3 * VGC_SPAN_GRANULES, r->capacity_granules);
	base = a.data + (r->offset - a.lay.data_offset);

	/* reserve is not backed yet */
	EXPECT_EQ(SIGBUS, touch_sig(base + VGC_SPAN_SIZE));
	EXPECT_EQ(0, touch_sig(base + VGC_SPAN_SIZE - 1));

	EXPECT_EQ(-EINVAL, do_grow(&a, VGC_ZONE_GREEN, 0, 100, NULL));
	EXPECT_EQ(-EINVAL, do_grow(&a, VGC_ZONE_GREEN, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, do_grow(&a, VGC_NR_ZONES, 0, VGC_SPAN_GRANULES, NULL));
	EXPECT_EQ(-EINVAL, do_grow(&a, VGC_ZONE_GREEN, 1, VGC_SPAN_GRANULES, NULL));
	EXPECT_EQ(-ENOSPC, do_grow(&a, VGC_ZONE_RED, 0, VGC_SPAN_GRANULES, NULL));
	EXPECT_EQ(-ENOSPC, do_grow(&a, VGC_ZONE_GREEN, 0, 3 * VGC_SPAN_GRANULES,
				NULL));

	used0 = used_bytes(a.fd);
	ASSERT_EQ(0, do_grow(&a, VGC_ZONE_GREEN, 0, VGC_SPAN_GRANULES, &com));
	EXPECT_EQ(2 * VGC_SPAN_GRANULES, com);
	EXPECT_EQ(used0 + VGC_SPAN_SIZE, used_bytes(a.fd));
	ASSERT_EQ(0, ckpt_layout(&a));
	EXPECT_EQ(2 * VGC_SPAN_GRANULES, r->committed_granules);
	EXPECT_EQ(r->committed_granules,
		  r->gen_granules[0] + r->gen_granules[1] + r->gen_granules[2]);
	EXPECT_EQ(r->first_granule + 2 * VGC_SPAN_GRANULES,
		  r->gen_first[0] + r->gen_granules[0]);
	EXPECT_EQ(2 * VGC_SPAN_SIZE, a.ctrl->committed_bytes);
	ASSERT_EQ(0, ckpt_stats(&a, &st));
	EXPECT_EQ(2 * VGC_SPAN_SIZE, st.committed_bytes);

	/* new pages are zero and usable */
	for (k = 0; k < (int)VGC_SPAN_SIZE; k += 4096)
		EXPECT_EQ(0, base[VGC_SPAN_SIZE + k]);
	EXPECT_EQ(0, touch_sig(base + VGC_SPAN_SIZE));
	EXPECT_EQ(SIGBUS, touch_sig(base + 2 * VGC_SPAN_SIZE));

	/* the grown part is swept as Gen0 */
	i = r->first_granule + VGC_SPAN_GRANULES + 64;
	ckpt_alloc(&a, i, 2);
	ASSERT_EQ(0, ckpt_batch1(&a, VGC_BATCH_RELEASE, i));
	for (k = 0; k < 4; k++)
		ASSERT_EQ(0, ckpt_run(&a, 0, 0, &ck));
	EXPECT_EQ(-1, ckpt_code(&a, i));
	EXPECT_EQ(1, ck.counts.reclaimed);

	ASSERT_EQ(0, do_grow(&a, VGC_ZONE_GREEN, 0, VGC_SPAN_GRANULES, &com));
	EXPECT_EQ(3 * VGC_SPAN_GRANULES, com);
	EXPECT_EQ(-ENOSPC, do_grow(&a, VGC_ZONE_GREEN, 0, VGC_SPAN_GRANULES,
				NULL));
	ckpt_close(&a);
}

TEST_HARNESS_MAIN
