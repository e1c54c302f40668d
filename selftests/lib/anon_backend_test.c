// SPDX-License-Identifier: GPL-2.0
/*
 * The anonymous backend, forced whatever $VGC_BACKEND says: each region's
 * pages land on the node of its partition's CPU (checked independently
 * with move_pages), partitions follow the process's CPU affinity, the
 * backend says why it was chosen, and its mapping takes no transparent
 * huge pages (VmFlags and AnonHugePages in /proc/self/smaps).
 */
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "vgcu_test.h"

TEST(regions_on_their_cpus_nodes)
{
	struct vgc_config cfg;
	struct vgc_arena *a;
	unsigned int z, p, np;
	int err;

	if (numa_available() < 0 || numa_max_node() < 1)
		SKIP(return, "one NUMA node: locality needs two");
	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	err = vgc_arena_open(&cfg, &a);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	ASSERT_EQ(VGC_BACKEND_ANON, vgc_arena_backend(a));
	TH_LOG("%s", vgc_backend_reason(a));
	np = vgc_arena_partitions(a);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (p = 0; p < np; p++) {
			const struct vgc_region *r = vgc_arena_region(a, z, p);
			char *page = (char *)vgc_arena_base(a) +
				     r->first_granule * VGC_GRANULE_SIZE;
			void *pages[1] = { page };
			int status[1] = { -1 };

			page[0] = 1;
			ASSERT_EQ(0, move_pages(0, 1, pages, NULL, status, 0));
			ASSERT_EQ(numa_node_of_cpu(r->cpu), r->node);
			ASSERT_EQ(r->node, status[0])
				TH_LOG("zone %u partition %u cpu %u", z, p, r->cpu);
		}
	}
	vgc_arena_close(a);
}

TEST(partitions_follow_affinity)
{
	cpu_set_t old, one;
	struct vgc_config cfg;
	struct vgc_arena *a;
	unsigned int cpu;
	int err;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old), &old));
	for (cpu = 0; !CPU_ISSET(cpu, &old); cpu++)
		;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	err = vgc_arena_open(&cfg, &a);
	sched_setaffinity(0, sizeof(old), &old);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	ASSERT_EQ(1, vgc_arena_partitions(a));
	ASSERT_EQ(cpu, vgc_arena_region(a, VGC_ZONE_RED, 0)->cpu);
	ASSERT_EQ(0, vgc_thread_partition(a));
	ASSERT_EQ(-1, vgc_arena_fd(a));
	ASSERT_NE(NULL, strstr(vgc_backend_reason(a), "anonymous"));
	vgc_arena_close(a);
}

/* An unregistered thread allocates from the partition of its CPU. */
TEST(unregistered_thread_uses_its_cpus_partition)
{
	unsigned int cpus[VGC_MAX_PARTITIONS], n = vgct_cpus(cpus, 0), i;
	struct vgc_config cfg;
	struct vgc_objinfo oi;
	struct vgc_arena *a;
	cpu_set_t old, one;
	int err;

	if (n < 2)
		SKIP(return, "one CPU: one partition");
	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	err = vgc_arena_open(&cfg, &a);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old), &old));
	for (i = 0; i < n && i < vgc_arena_partitions(a); i++) {
		void *p;

		CPU_ZERO(&one);
		CPU_SET(cpus[i], &one);
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
		p = vgc_alloc(a, 32, VGC_ZONE_GREEN);
		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, vgc_locate(a, p, &oi));
		ASSERT_EQ(i, oi.partition);
		ASSERT_EQ((int)i, vgc_thread_partition(a));
	}
	sched_setaffinity(0, sizeof(old), &old);
	/* registered: the registered partition, wherever the thread runs */
	ASSERT_EQ(0, vgc_thread_register(a, 1));
	ASSERT_EQ(1, vgc_thread_partition(a));
	ASSERT_EQ(0, vgc_locate(a, vgc_alloc(a, 32, VGC_ZONE_RED), &oi));
	ASSERT_EQ(1, oi.partition);
	ASSERT_EQ(0, vgc_thread_unregister(a));
	vgc_arena_close(a);
}

/*
 * With VGCU_ARENA_F_FORK_SHARED a fork()ed child shares the arena;
 * checkpoints of both are serialised.  (Without it the child has a copy
 * of its own: fork_test.)
 */
static int open_fork_shared(struct vgc_arena **a)
{
	struct vgc_config cfg;

	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	cfg.flags = VGCU_ARENA_F_FORK_SHARED;
	cfg.nr_partitions = vgct_cpus(cfg.cpus, 1);
	return vgc_arena_open(&cfg, a);
}

TEST(forked_checkpoints_are_serialised)
{
	enum { N = 300 };
	struct vgc_stats st;
	struct vgc_arena *a;
	unsigned int i;
	int status, err;
	uint64_t gp0;
	pid_t pid;

	err = open_fork_shared(&a);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	gp0 = vgc_arena_ctrl(a)->gp_seq;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		for (i = 0; i < N; i++) {
			void *p = vgc_alloc(a, 32, VGC_ZONE_GREEN);

			if (!p || vgc_release(a, p) ||
			    vgc_checkpoint(a, NULL, NULL))
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < N; i++) {
		void *p = vgc_alloc(a, 32, VGC_ZONE_GREEN);

		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, vgc_release(a, p));
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(gp0 + 2 * N, vgc_arena_ctrl(a)->gp_seq);
	ASSERT_EQ(2 * N, vgc_arena_ctrl(a)->checkpoints);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, vgc_checkpoint(a, NULL, NULL));
	ASSERT_EQ(0, vgc_arena_stats(a, &st));
	ASSERT_EQ(2 * N, st.reclaimed_objects);
	vgc_arena_close(a);
}

/*
 * A fork()ed child shares a FORK_SHARED arena's span table, so no
 * process keeps a freed large run for itself (lib/large.c): its spans
 * are free for both at once.
 */
TEST(fork_shared_keeps_no_large_run)
{
	struct vgc_arena *a;
	char *x, *y;
	int status, err;
	pid_t pid;

	err = open_fork_shared(&a);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	ASSERT_EQ(0, vgc_heap_set_decommit(a, -1));
	x = vgc_alloc(a, 1 << 20, VGC_ZONE_GREEN);
	ASSERT_NE(NULL, x);
	ASSERT_EQ(0, vgc_free(a, x));
	ASSERT_EQ(VGC_SPAN_FREE, vgct_span_entry(a, x));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* the child takes the run and frees it: free again for both */
		y = vgc_alloc(a, 1 << 20, VGC_ZONE_GREEN);
		if (y != x || vgc_free(a, y) ||
		    vgct_span_entry(a, x) != VGC_SPAN_FREE)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(VGC_SPAN_FREE, vgct_span_entry(a, x));
	y = vgc_alloc(a, 1 << 20, VGC_ZONE_GREEN);
	ASSERT_EQ(x, y);
	ASSERT_EQ(0, vgc_free(a, y));
	vgc_arena_close(a);
}

/*
 * Where THP is "always" (Debian's default) a first touch of a plane word
 * or of a region's first object would fault in 2 MiB (lib/meta.c).  The
 * mapping must carry VM_NOHUGEPAGE ("nh") wherever the kernel has THP,
 * and hold no huge page after objects in every zone were written.
 */
TEST(mapping_takes_no_huge_pages)
{
	int thp = !access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK);
	struct vgc_config cfg;
	struct vgct_smaps m;
	struct vgc_arena *a;
	unsigned int z, i;
	char *p;
	int err;

	vgc_config_init(&cfg);
	cfg.backend = VGC_BACKEND_ANON;
	err = vgc_arena_open(&cfg, &a);
	ASSERT_EQ(0, err) TH_LOG("%s", vgc_strerror(err));
	for (z = 0; z < VGC_NR_ZONES; z++) {
		for (i = 0; i < 4096; i++) {
			p = vgc_alloc(a, 64, (enum vgc_zone)z);
			ASSERT_NE(NULL, p) TH_LOG("zone %u object %u", z, i);
			memset(p, 0x5a, 64);
			if (i & 1)
				ASSERT_EQ(0, vgc_free(a, p));
		}
		p = vgc_alloc(a, 4 << 20, (enum vgc_zone)z);
		ASSERT_NE(NULL, p) TH_LOG("zone %u: large", z);
		memset(p, 0x5a, 4 << 20);
	}
	err = vgct_arena_smaps(a, &m);
	vgc_arena_close(a);
	ASSERT_EQ(0, err);
	TH_LOG("%u mappings, %u with nh, %ld kB in huge pages (THP %s)",
	       m.vmas, m.nh, m.huge_kb, thp ? "built in" : "absent");
	ASSERT_LT(0, m.vmas);
	EXPECT_EQ(0, m.huge_kb);
	if (thp)
		EXPECT_EQ(m.vmas, m.nh);
}

TEST_HARNESS_MAIN
