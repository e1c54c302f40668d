// SPDX-License-Identifier: GPL-2.0
/*
 * PPE and the machine's topology, checked without trusting the library:
 * the kernel's move_pages(2) names the node of every object a partition
 * allocated, sched_getcpu() in the body names the CPU, and restrictions
 * set the way numactl sets them (sched_setaffinity for --physcpubind and
 * --cpunodebind, set_mempolicy(MPOL_BIND) for --membind) in a forked
 * child must confine the pool.  Tests that need two nodes SKIP on one.
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include <vgcu.h>
#include <vgcu_ppe.h>

#define OBJS	16

struct seen {
	void *obj[VGC_MAX_PARTITIONS][OBJS];
	int cpu[VGC_MAX_PARTITIONS][4];
};

/* Allocates OBJS page-sized objects, touches them, records the CPU. */
static int probe_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		      void *res, void *arg)
{
	struct seen *s = arg;
	int k;

	(void)b;
	(void)e;
	(void)res;
	s->cpu[part->index][0] = sched_getcpu();
	for (k = 0; k < OBJS; k++) {
		char *o = vgc_ppe_alloc(part, 4096);

		if (!o)
			return -errno;
		memset(o, 0x5a, 4096);
		s->obj[part->index][k] = o;
	}
	s->cpu[part->index][1] = sched_getcpu();
	return 0;
}

static int run_probe(struct vgc_ppe *ppe, struct seen *s)
{
	struct vgc_ppe_job job = {
		.begin = 0, .end = vgc_ppe_partitions(ppe), .body = probe_body,
		.arg = s,
	};

	memset(s, 0, sizeof(*s));
	return vgc_ppe_run(ppe, &job);
}

/* Node of each object's page per move_pages(2); -errno on failure. */
static int node_of(void *p)
{
	void *page = (void *)((uintptr_t)p & ~(uintptr_t)4095);
	int status = -1;

	if (move_pages(0, 1, &page, NULL, &status, 0))
		return -errno;
	return status;
}

static int open_pool(unsigned int p, unsigned int flags, struct vgc_ppe **out)
{
	struct vgc_ppe_config c;
	struct vgc_config ac;

	vgc_config_init(&ac);
	ac.zone_bytes[VGC_ZONE_GREEN] = 2 << 20;
	vgc_ppe_config_init(&c);
	c.nr_partitions = p;
	c.flags = flags;
	c.arena_config = &ac;
	return vgc_ppe_create(&c, out);
}

static int nr_nodes_with_cpus(void)
{
	struct vgc_ppe_topology t;

	if (vgc_ppe_topology(&t))
		return 0;
	return (int)t.nr_nodes;
}

/* Every partition's objects lie on the node of its CPU. */
TEST(partitions_allocate_on_their_node)
{
	struct vgc_ppe_topology t;
	struct vgc_ppe *ppe;
	struct seen *s = calloc(1, sizeof(*s));
	unsigned int i, k, nodes_seen = 0;
	uint64_t seen_mask = 0;
	int r;

	ASSERT_NE(NULL, s);
	if (numa_available() < 0 || nr_nodes_with_cpus() < 2)
		SKIP(free(s); return, "one NUMA node: locality needs two");
	ASSERT_EQ(0, vgc_ppe_topology(&t));
	r = open_pool(t.nr_cores, 0, &ppe);
	ASSERT_EQ(0, r) TH_LOG("%s", vgc_ppe_errmsg());
	r = run_probe(ppe, s);
	ASSERT_EQ(0, r) TH_LOG("%s", vgc_ppe_errmsg());
	for (i = 0; i < vgc_ppe_partitions(ppe); i++) {
		int cpu = vgc_ppe_cpu(ppe, i), want = numa_node_of_cpu(cpu);

		/*
		 * Partition 0 runs on the caller, which is left unpinned when
		 * it starts on the partition's CPU (docs/design.md, PPE): the
		 * scheduler may move it during the body.
		 */
		if (i == 0 && (s->cpu[0][0] != cpu || s->cpu[0][1] != cpu)) {
			TH_LOG("the caller moved from CPU %d: %d, then %d", cpu,
			       s->cpu[0][0], s->cpu[0][1]);
		} else {
			EXPECT_EQ(cpu, s->cpu[i][0]);
			EXPECT_EQ(cpu, s->cpu[i][1]);
		}
		EXPECT_EQ(want, vgc_ppe_node(ppe, i));
		for (k = 0; k < OBJS; k++) {
			int node = node_of(s->obj[i][k]);

			if (node == -EFAULT || node == -ENOENT) {
				vgc_ppe_destroy(ppe);
				free(s);
				SKIP(return, "move_pages cannot see this mapping (%d)",
				     node);
			}
			EXPECT_EQ(want, node)
				TH_LOG("partition %u (CPU %d) object %u on node %d",
				       i, cpu, k, node);
			if (node >= 0 && node < 64 && !(seen_mask & (1ULL << node))) {
				seen_mask |= 1ULL << node;
				nodes_seen++;
			}
		}
	}
	EXPECT_GE(nodes_seen, 2U);
	vgc_ppe_destroy(ppe);
	free(s);
}

/*
 * Runs fn in a child whose CPUs and memory policy are restricted like
 * numactl does; the child's exit status is the number of failed checks
 * (or 100 + errno for a setup failure), 99 meaning "not applicable".
 */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st = 0;

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (!WIFEXITED(st))
		return 200;
	return WEXITSTATUS(st);
}

/* numactl --physcpubind=<last CPU>: one core, clustering required. */
static int child_one_cpu(void *arg)
{
	struct vgc_ppe_topology t;
	struct vgc_ppe *ppe;
	struct seen *s = calloc(1, sizeof(*s));
	int cpu = *(int *)arg, fails = 0, r;
	unsigned int i;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (!s || sched_setaffinity(0, sizeof(set), &set))
		return 100 + errno;
	if (vgc_ppe_topology(&t) || t.nr_cpus != 1 || t.nr_cores != 1 ||
	    t.cpus[0] != cpu)
		fails++;
	/* two partitions on one allowed core: only when clustering */
	if (open_pool(2, 0, &ppe) != -EINVAL)
		fails++;
	if (open_pool(3, VGC_PPE_F_CLUSTER, &ppe))
		return fails + 10;
	if (vgc_ppe_ratio(ppe) != 3)
		fails++;
	r = run_probe(ppe, s);
	if (r)
		fails++;
	for (i = 0; i < 3 && !r; i++)
		if (s->cpu[i][0] != cpu || s->cpu[i][1] != cpu ||
		    vgc_ppe_cpu(ppe, i) != cpu)
			fails++;
	vgc_ppe_destroy(ppe);
	free(s);
	return fails;
}

TEST(physcpubind_confines_the_pool)
{
	cpu_set_t set;
	int cpu, last = -1;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(set), &set));
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			last = cpu;
	ASSERT_GE(last, 0);
	EXPECT_EQ(0, in_child(child_one_cpu, &last));
}

/*
 * numactl --cpunodebind=N --membind=N with N the last node: CPUs, the
 * objects' pages and the topology all stay on N.
 */
static int child_bind_node(void *arg)
{
	int node = *(int *)arg, fails = 0, r;
	struct vgc_ppe_topology t;
	struct vgc_ppe *ppe;
	struct seen *s = calloc(1, sizeof(*s));
	struct bitmask *nodes;
	unsigned int i, k;

	nodes = numa_allocate_nodemask();
	if (!s || !nodes)
		return 100 + ENOMEM;
	numa_bitmask_setbit(nodes, node);
	if (numa_run_on_node(node))
		return 100 + errno;
	numa_set_membind(nodes);
	if (vgc_ppe_topology(&t))
		return 50;
	if (t.nr_nodes != 1 || t.mem_nodes != 1ULL << node)
		fails++;
	for (i = 0; i < t.nr_cpus; i++)
		if (t.cpu_node[i] != node)
			fails++;
	r = open_pool(t.nr_cores, 0, &ppe);
	if (r)
		return 60;
	r = run_probe(ppe, s);
	if (r)
		return 70;
	for (i = 0; i < vgc_ppe_partitions(ppe); i++) {
		if (numa_node_of_cpu(s->cpu[i][0]) != node ||
		    vgc_ppe_node(ppe, i) != node)
			fails++;
		for (k = 0; k < OBJS; k++) {
			int n = node_of(s->obj[i][k]);

			if (n == -EFAULT || n == -ENOENT)
				return 99;
			if (n != node)
				fails++;
		}
	}
	vgc_ppe_destroy(ppe);
	numa_bitmask_free(nodes);
	free(s);
	return fails;
}

TEST(cpunodebind_membind_confine_the_pool)
{
	struct vgc_ppe_topology t;
	int node = -1, r;
	unsigned int i;

	if (numa_available() < 0 || nr_nodes_with_cpus() < 2)
		SKIP(return, "one NUMA node: binding to another needs two");
	ASSERT_EQ(0, vgc_ppe_topology(&t));
	for (i = 0; i < t.nr_cpus; i++)
		if (t.cpu_node[i] > node)
			node = t.cpu_node[i];
	r = in_child(child_bind_node, &node);
	if (r == 99)
		SKIP(return, "move_pages cannot see this mapping");
	EXPECT_EQ(0, r) TH_LOG("child bound to node %d: status %d", node, r);
}

/* --membind to a node without the CPUs: memory goes where it is allowed. */
static int child_membind_only(void *arg)
{
	int node = *(int *)arg, fails = 0;
	struct vgc_ppe_topology t;
	struct bitmask *nodes = numa_allocate_nodemask();

	if (!nodes)
		return 100 + ENOMEM;
	numa_bitmask_setbit(nodes, node);
	numa_set_membind(nodes);
	if (vgc_ppe_topology(&t))
		return 50;
	if (t.mem_nodes != 1ULL << node || t.nr_mem_nodes != 1)
		fails++;
	numa_bitmask_free(nodes);
	return fails;
}

TEST(membind_is_seen_by_the_topology)
{
	int node = 0;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support in this kernel");
	node = numa_max_node();
	EXPECT_EQ(0, in_child(child_membind_only, &node));
}

TEST_HARNESS_MAIN
