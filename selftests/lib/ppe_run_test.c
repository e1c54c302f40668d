// SPDX-License-Identifier: GPL-2.0
/*
 * PPE: the same checksum for every partition count P = 1..8 (clustered
 * where P exceeds the allowed cores) on the four paper workloads, workers
 * running on the CPU they were pinned to, allocations counted per
 * partition, rebalancing that converges on skewed work, and clear errors
 * for bad arguments.  No assertion depends on how fast anything runs.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include <vgcu.h>
#include <vgcu_ppe.h>
#include "paper_workloads.h"

#define MAXP	8

static int open_pool(unsigned int p, unsigned int flags, struct vgc_ppe **out)
{
	struct vgc_ppe_config c;

	vgc_ppe_config_init(&c);
	c.nr_partitions = p;
	c.flags = flags | VGC_PPE_F_CLUSTER;
	return vgc_ppe_create(&c, out);
}

static void add_u64(void *acc, const void *p, void *arg)
{
	(void)arg;
	*(uint64_t *)acc += *(const uint64_t *)p;
}

/* Deliberately non-associative: only the block fold makes it stable. */
static void add_double(void *acc, const void *p, void *arg)
{
	(void)arg;
	*(double *)acc = *(double *)acc * 0.999 + *(const double *)p;
}

/*
 * ---- workloads -----------------------------------------------------------
 *
 * The paper's workloads of vgc-bench paper (tools/bench/paper_workloads.c),
 * each as a PPE body over the partition's zone.  The matrix rows fold
 * through the non-associative add_double, one block per row.
 */

#define WL_BEGIN	1000	/* ranges start off zero */

static int loop_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		     void *res, void *arg)
{
	struct pw_alloc al = { .part = part };

	(void)arg;
	*(uint64_t *)res = pw_loop_range(b, e, &al);
	return al.err;
}

static int rec_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		    void *res, void *arg)
{
	struct pw_alloc al = { .part = part };

	(void)arg;
	*(uint64_t *)res = pw_rec_range(b, e, &al);
	return al.err;
}

static int deep_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		     void *res, void *arg)
{
	struct pw_alloc al = { .part = part };

	(void)arg;
	*(uint64_t *)res = pw_deep_rec(b, e, &al);
	return al.err;
}

#define MN	48

static struct pw_matrix mat;	/* MN x MN, before any test forks */

static void __attribute__((constructor)) matrix_setup(void)
{
	pw_matrix_init(&mat, MN);
}

/* One row of C = A * B per index; the row lives in the partition's zone. */
static int matrix_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		       void *res, void *arg)
{
	struct pw_alloc al = { .part = part };

	(void)arg;
	if (!mat.a)
		return -ENOMEM;
	*(double *)res = (double)pw_matrix_rows(&mat, b - WL_BEGIN,
						e - WL_BEGIN, &al);
	return al.err;
}

/* ---- checksums across P -------------------------------------------------- */

struct wl {
	const char *name;
	vgc_ppe_body_fn body;
	vgc_ppe_combine_fn combine;
	uint64_t n, block;
	size_t stack_per_index;
};

static const struct wl wls[] = {
	{ "loop", loop_body, add_u64, 100000, 0, 0 },
	{ "rec", rec_body, add_u64, 50000, 0, 0 },
	{ "deep", deep_body, add_u64, 40000, 0, PW_DEEP_FRAME },
	{ "matrix", matrix_body, add_double, MN, 1, 0 },
};

static int run_wl(struct vgc_ppe *ppe, const struct wl *w, void *out)
{
	struct vgc_ppe_job job = {
		.begin = WL_BEGIN, .end = WL_BEGIN + w->n, .body = w->body,
		.combine = w->combine, .result = out, .result_size = 8,
		.block = w->block, .stack_per_index = w->stack_per_index,
	};

	memset(out, 0, 8);
	return vgc_ppe_run(ppe, &job);
}

static void settle(struct vgc_ppe *ppe)
{
	struct vgc_ckpt_opts o = { .flags = VGC_CKPT_F_ALL_ZONES };
	int i;

	for (i = 0; i < 3; i++)
		vgc_checkpoint(vgc_ppe_arena(ppe), &o, NULL);
}

TEST(checksums_equal_for_p1_to_p8)
{
	uint64_t ref[4], got;
	unsigned int p, w;
	int r;

	for (p = 1; p <= MAXP; p++) {
		struct vgc_ppe *ppe;

		r = open_pool(p, 0, &ppe);
		ASSERT_EQ(0, r) TH_LOG("P=%u: %s (%s)", p, vgc_strerror(r),
				       vgc_ppe_errmsg());
		ASSERT_EQ(p, vgc_ppe_partitions(ppe));
		for (w = 0; w < 4; w++) {
			r = run_wl(ppe, &wls[w], &got);
			ASSERT_EQ(0, r) TH_LOG("%s P=%u: %s (%s)",
					       wls[w].name, p,
					       vgc_strerror(r),
					       vgc_ppe_errmsg());
			if (p == 1)
				ref[w] = got;
			EXPECT_EQ(ref[w], got) TH_LOG("%s: P=%u differs from P=1",
						      wls[w].name, p);
			settle(ppe);
		}
		vgc_ppe_destroy(ppe);
	}
}

/* Uneven splits must not change a single bit either. */
TEST(checksums_equal_for_any_split)
{
	static const double splits[][4] = {
		{ 0, 0.05, 0.10, 1 },
		{ 0, 0.90, 0.95, 1 },
		{ 0, 0.01, 0.99, 1 },
		{ 0, 0.50, 0.50, 1 },
		{ 0, 0.3333, 0.7777, 1 },
	};
	struct vgc_ppe *ppe, *p1;
	uint64_t ref[4], got;
	unsigned int w, k;

	ASSERT_EQ(0, open_pool(1, 0, &p1));
	for (w = 0; w < 4; w++)
		ASSERT_EQ(0, run_wl(p1, &wls[w], &ref[w]));
	vgc_ppe_destroy(p1);
	ASSERT_EQ(0, open_pool(3, 0, &ppe));
	for (k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
		ASSERT_EQ(0, vgc_ppe_set_split(ppe, splits[k], 4));
		for (w = 0; w < 4; w++) {
			ASSERT_EQ(0, run_wl(ppe, &wls[w], &got));
			EXPECT_EQ(ref[w], got) TH_LOG("%s, split %u",
						      wls[w].name, k);
			settle(ppe);
		}
	}
	EXPECT_EQ(-EINVAL, vgc_ppe_set_split(ppe, splits[0], 3));
	vgc_ppe_destroy(ppe);
}

/* ---- pinning ------------------------------------------------------------- */

TEST(workers_run_on_their_cpu)
{
	struct vgc_ppe_topology t;
	unsigned int p, i, c;
	cpu_set_t set;

	ASSERT_EQ(0, vgc_ppe_topology(&t));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(set), &set));
	for (p = 1; p <= MAXP; p++) {
		struct vgc_ppe_stats st;
		struct vgc_ppe *ppe;
		uint64_t got;

		ASSERT_EQ(0, open_pool(p, 0, &ppe));
		EXPECT_EQ(p <= t.nr_cores ? 1U : (p + t.nr_cores - 1) / t.nr_cores,
			  vgc_ppe_ratio(ppe));
		ASSERT_EQ(0, run_wl(ppe, &wls[0], &got));
		ASSERT_EQ(0, vgc_ppe_last_stats(ppe, &st));
		ASSERT_EQ(p, st.nr_partitions);
		for (i = 0; i < p; i++) {
			EXPECT_EQ(vgc_ppe_cpu(ppe, i), st.part[i].cpu);
			/*
			 * Partition 0 is the caller's: pinned for the run only
			 * when it is not on the partition's CPU already (an
			 * affinity syscall pair per run would double the
			 * dispatch), so the scheduler may move it meanwhile.
			 */
			if (i == 0 && st.part[i].cpu != st.part[i].cpu_seen)
				TH_LOG("P=%u: the caller moved to CPU %d during the run",
				       p, st.part[i].cpu_seen);
			else
				EXPECT_EQ(st.part[i].cpu, st.part[i].cpu_seen)
					TH_LOG("P=%u partition %u pinned to %d ran on %d",
					       p, i, st.part[i].cpu, st.part[i].cpu_seen);
			EXPECT_TRUE(CPU_ISSET(st.part[i].cpu, &set));
			/* one partition per core while they fit */
			for (c = 0; p <= t.nr_cores && c < i; c++)
				EXPECT_NE(st.part[c].cpu, st.part[i].cpu);
			EXPECT_GT(st.part[i].nr_allocs, 0);
		}
		vgc_ppe_destroy(ppe);
	}
}

/* The pool keeps its threads: many runs, one set of workers. */
TEST(pool_reused_across_runs)
{
	struct vgc_ppe *ppe;
	uint64_t ref, got;
	int k;

	ASSERT_EQ(0, open_pool(2, 0, &ppe));
	ASSERT_EQ(0, run_wl(ppe, &wls[1], &ref));
	for (k = 0; k < 40; k++) {
		settle(ppe);
		ASSERT_EQ(0, run_wl(ppe, &wls[1], &got));
		ASSERT_EQ(ref, got);
	}
	vgc_ppe_destroy(ppe);
}

/* ---- rebalancing --------------------------------------------------------- */

#define SKEW_N	4096

/* The first quarter of the range allocates eight times as much. */
static int skew_mem_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
			 void *res, void *arg)
{
	uint64_t s = 0, i;
	int k;

	(void)arg;
	for (i = b; i < e; i++) {
		int m = i < SKEW_N / 4 ? 8 : 1;

		for (k = 0; k < m; k++) {
			uint64_t *o = vgc_ppe_alloc(part, 16);

			if (!o)
				return -errno;
			*o = pw_mix(i + k);
			s += *o;
			vgc_release(part->arena, o);
		}
	}
	*(uint64_t *)res = s;
	return 0;
}

TEST(rebalance_converges_on_memory_skew)
{
	struct vgc_ppe_config c;
	struct vgc_config ac;
	struct vgc_ppe_stats st;
	struct vgc_ppe *ppe;
	uint64_t ref = 0, got, bounds[5];
	struct vgc_ppe_job job = {
		.begin = 0, .end = SKEW_N, .body = skew_mem_body,
		.combine = add_u64, .result = &got, .result_size = 8,
	};
	int run, converged = -1, r, splits = 0, merges = 0;

	vgc_config_init(&ac);
	ac.zone_bytes[VGC_ZONE_GREEN] = 4 << 20;
	vgc_ppe_config_init(&c);
	c.nr_partitions = 4;
	c.flags = VGC_PPE_F_CLUSTER | VGC_PPE_F_REBALANCE;
	c.balance = VGC_PPE_BALANCE_MEM;
	c.epsilon = 0.05;
	c.arena_config = &ac;
	r = vgc_ppe_create(&c, &ppe);
	ASSERT_EQ(0, r) TH_LOG("%s", vgc_ppe_errmsg());
	for (run = 0; run < 12; run++) {
		got = 0;
		r = vgc_ppe_run(ppe, &job);
		ASSERT_EQ(0, r) TH_LOG("run %d: %s (%s)", run, vgc_strerror(r),
				       vgc_ppe_errmsg());
		if (!run)
			ref = got;
		ASSERT_EQ(ref, got) TH_LOG("run %d changed the result", run);
		ASSERT_EQ(0, vgc_ppe_last_stats(ppe, &st));
		splits += st.splits;
		merges += st.merges;
		if (!run)
			/* static split: partition 0 holds the whole heavy part */
			EXPECT_GT(st.imbalance, 1.0);
		if (st.imbalance <= c.epsilon) {
			converged = run;
			break;
		}
		settle(ppe);
	}
	ASSERT_GE(converged, 1) TH_LOG("imbalance still %.3f", st.imbalance);
	EXPECT_GT(splits, 0);
	EXPECT_GT(merges, 0);
	ASSERT_EQ(0, vgc_ppe_split(ppe, SKEW_N, bounds, 5));
	/* the heavy quarter is now spread over more than one partition */
	EXPECT_LT(bounds[1], SKEW_N / 4);
	vgc_ppe_reset_split(ppe);
	ASSERT_EQ(0, vgc_ppe_split(ppe, SKEW_N, bounds, 5));
	EXPECT_EQ(SKEW_N / 4, bounds[1]);
	vgc_ppe_destroy(ppe);
}

/* The first quarter costs twenty times as much CPU. */
static int skew_time_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
			  void *res, void *arg)
{
	uint64_t s = 0, i;
	int k;

	(void)part;
	(void)arg;
	for (i = b; i < e; i++)
		for (k = 0; k < (i < SKEW_N / 4 ? 400 : 20); k++)
			s += pw_mix(i * 1000 + k);
	*(uint64_t *)res = s;
	return 0;
}

/* Direction only: the partition with the heavy part must shrink. */
TEST(rebalance_moves_time_skew)
{
	struct vgc_ppe_config c;
	struct vgc_ppe *ppe;
	uint64_t ref = 0, got, bounds[3];
	struct vgc_ppe_job job = {
		.begin = 0, .end = SKEW_N, .body = skew_time_body,
		.combine = add_u64, .result = &got, .result_size = 8,
	};
	int run;

	vgc_ppe_config_init(&c);
	c.nr_partitions = 2;
	c.flags = VGC_PPE_F_CLUSTER | VGC_PPE_F_REBALANCE | VGC_PPE_F_NO_ARENA;
	c.balance = VGC_PPE_BALANCE_TIME;
	ASSERT_EQ(0, vgc_ppe_create(&c, &ppe));
	EXPECT_EQ(NULL, vgc_ppe_arena(ppe));
	/*
	 * Timings decide: a vCPU that the host deschedules (an emulated VM
	 * on a loaded machine) can make the light partition look slow for
	 * a run or two.  Up to 20 runs; from the fifth on, the first split
	 * with the boundary below the middle passes.  A rebalancer that
	 * moved the wrong way never gets there.
	 */
	for (run = 0; run < 20; run++) {
		got = 0;
		ASSERT_EQ(0, vgc_ppe_run(ppe, &job));
		if (!run)
			ref = got;
		ASSERT_EQ(ref, got);
		ASSERT_EQ(0, vgc_ppe_split(ppe, SKEW_N, bounds, 3));
		if (run >= 4 && bounds[1] < SKEW_N / 2)
			break;
	}
	EXPECT_LT(bounds[1], SKEW_N / 2) TH_LOG("boundary %llu after %d runs",
						(unsigned long long)bounds[1],
						run);
	vgc_ppe_destroy(ppe);
}

/* ---- errors -------------------------------------------------------------- */

static int nested_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		       void *res, void *arg)
{
	struct vgc_ppe_job job = { .begin = 0, .end = 1, .body = loop_body };

	(void)part;
	(void)b;
	(void)e;
	*(uint64_t *)res = (uint64_t)vgc_ppe_run(arg, &job);
	return 0;
}

TEST(bad_arguments_get_clear_errors)
{
	struct vgc_ppe_topology t;
	struct vgc_ppe_config c;
	struct vgc_ppe *ppe = (struct vgc_ppe *)1;
	uint64_t got = 0;
	struct vgc_ppe_job job = {
		.begin = 5, .end = 5, .body = loop_body,
		.combine = add_u64, .result = &got, .result_size = 8,
	};

	ASSERT_EQ(0, vgc_ppe_topology(&t));
	vgc_ppe_config_init(&c);
	c.nr_partitions = 0;
	EXPECT_EQ(-EINVAL, vgc_ppe_create(&c, &ppe));
	EXPECT_EQ(NULL, ppe);
	EXPECT_NE(NULL, strstr(vgc_ppe_errmsg(), "nr_partitions is 0"));

	c.nr_partitions = t.nr_cores + 1;
	EXPECT_EQ(-EINVAL, vgc_ppe_create(&c, &ppe));
	EXPECT_NE(NULL, strstr(vgc_ppe_errmsg(), "VGC_PPE_F_CLUSTER"))
		TH_LOG("%s", vgc_ppe_errmsg());
	EXPECT_NE(NULL, vgc_strerror(-EINVAL));

	c.nr_partitions = VGC_MAX_PARTITIONS + 1;
	c.flags = VGC_PPE_F_CLUSTER;
	EXPECT_EQ(-EINVAL, vgc_ppe_create(&c, &ppe));
	c.nr_partitions = 1;
	c.flags = 1U << 30;
	EXPECT_EQ(-EINVAL, vgc_ppe_create(&c, &ppe));

	ASSERT_EQ(0, open_pool(2, 0, &ppe));
	EXPECT_EQ(-ENODATA, vgc_ppe_run(ppe, &job));
	EXPECT_NE(NULL, strstr(vgc_ppe_errmsg(), "empty range"));
	job.begin = 9;
	EXPECT_EQ(-ENODATA, vgc_ppe_run(ppe, &job));
	job.begin = 0;
	job.end = 100;
	job.body = NULL;
	EXPECT_EQ(-EINVAL, vgc_ppe_run(ppe, &job));
	job.body = loop_body;
	job.result = NULL;
	EXPECT_EQ(-EINVAL, vgc_ppe_run(ppe, &job));
	EXPECT_EQ(-EINVAL, vgc_ppe_run(NULL, &job));
	EXPECT_EQ(-ENODATA, vgc_ppe_rebalance(ppe));

	/* a body cannot start a run of its own pool */
	job.body = nested_body;
	job.arg = ppe;
	job.result = &got;
	job.end = 1;
	ASSERT_EQ(0, vgc_ppe_run(ppe, &job));
	EXPECT_EQ((uint64_t)(int64_t)-EBUSY, got);
	EXPECT_EQ(-EINVAL, vgc_ppe_cpu(ppe, 2));
	vgc_ppe_destroy(ppe);
}

/* A body's failure ends the run with its error, after every partition. */
static int failing_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
			void *res, void *arg)
{
	(void)b;
	(void)e;
	(void)arg;
	*(uint64_t *)res = 1;
	return part->index == 1 ? -ENOSPC : 0;
}

TEST(body_error_is_returned)
{
	struct vgc_ppe *ppe;
	uint64_t got = 0;
	struct vgc_ppe_job job = {
		.begin = 0, .end = 10, .body = failing_body,
		.combine = add_u64, .result = &got, .result_size = 8,
	};

	ASSERT_EQ(0, open_pool(2, 0, &ppe));
	EXPECT_EQ(-ENOSPC, vgc_ppe_run(ppe, &job));
	EXPECT_NE(NULL, strstr(vgc_ppe_errmsg(), "partition 1"));
	vgc_ppe_destroy(ppe);
}

/*
 * A fork()ed child has a copy of the pool but none of its workers: running
 * it there is -ESRCH instead of a hang, destroying it frees only the
 * child's copy, and the parent's pool is untouched.
 */
TEST(fork_child_cannot_run_parent_pool)
{
	struct vgc_ppe *ppe;
	uint64_t ref, got;
	int status;
	pid_t pid;

	ASSERT_EQ(0, open_pool(2, 0, &ppe));
	ASSERT_EQ(0, run_wl(ppe, &wls[1], &ref));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int r;

		/* bounded: a regression would hang waiting for absent workers */
		alarm(20);
		r = run_wl(ppe, &wls[1], &got);
		if (r != -ESRCH || !strstr(vgc_ppe_errmsg(), "fork()"))
			_exit(1);
		vgc_ppe_destroy(ppe);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("child status %#x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, run_wl(ppe, &wls[1], &got));
	EXPECT_EQ(ref, got);
	vgc_ppe_destroy(ppe);
}

TEST_HARNESS_MAIN
