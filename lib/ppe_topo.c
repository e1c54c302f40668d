// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE: the allowed CPUs, their cores and nodes, and where partitions go.
 */
#include <errno.h>
#include <limits.h>
#include <numa.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "ppe_int.h"

/* ---- topology ----------------------------------------------------------- */

static long read_sysfs_long(int cpu, const char *leaf)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, leaf);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

VGCU_API int vgc_ppe_topology(struct vgc_ppe_topology *t)
{
	long core_key[PPE_TOPO_CPUS];
	uint64_t node_seen = 0;
	cpu_set_t set;
	int have_numa;
	int cpu, i;

	if (!t)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set)) {
		int err = -errno;

		ppe_set_msg("sched_getaffinity: %s", strerror(errno));
		return err;
	}
	have_numa = numa_available() >= 0;
	for (cpu = 0; cpu < CPU_SETSIZE && t->nr_cpus < PPE_TOPO_CPUS; cpu++) {
		long pkg, core, key;
		unsigned int n = t->nr_cpus;
		int node;

		if (!CPU_ISSET(cpu, &set))
			continue;
		node = have_numa ? numa_node_of_cpu(cpu) : 0;
		if (node < 0)
			node = 0;
		pkg = read_sysfs_long(cpu, "physical_package_id");
		core = read_sysfs_long(cpu, "core_id");
		/* no topology directory: every CPU is its own core */
		key = core < 0 ? -1 - cpu : ((pkg < 0 ? 0 : pkg) << 24) | core;
		t->cpus[n] = cpu;
		t->cpu_node[n] = node;
		t->cpu_core[n] = -1;
		for (i = 0; i < (int)n; i++) {
			if (core_key[i] == key) {
				t->cpu_core[n] = t->cpu_core[i];
				break;
			}
		}
		core_key[n] = key;
		if (t->cpu_core[n] < 0)
			t->cpu_core[n] = t->nr_cores++;
		if (node < 64 && !(node_seen & (1ULL << node))) {
			node_seen |= 1ULL << node;
			t->nr_nodes++;
		}
		t->nr_cpus++;
	}
	if (!t->nr_cpus) {
		ppe_set_msg("no CPU in the affinity mask");
		return -ENODEV;
	}
	if (have_numa) {
		struct bitmask *allowed = numa_get_mems_allowed();
		struct bitmask *bind = numa_get_membind();
		int max = numa_max_node();

		for (i = 0; i <= max && i < 64; i++)
			if ((!allowed || numa_bitmask_isbitset(allowed, i)) &&
			    (!bind || numa_bitmask_isbitset(bind, i)))
				t->mem_nodes |= 1ULL << i;
		if (allowed)
			numa_bitmask_free(allowed);
		if (bind)
			numa_bitmask_free(bind);
	}
	if (!t->mem_nodes)
		t->mem_nodes = have_numa ? node_seen : 1;
	t->nr_mem_nodes = __builtin_popcountll(t->mem_nodes);
	return 0;
}

/* The allowed memory node closest to the CPU's own node. */
static int pick_node(const struct vgc_ppe_topology *t, int node)
{
	int best = -1, bestd = INT_MAX, n;

	if (node >= 0 && node < 64 && (t->mem_nodes & (1ULL << node)))
		return node;
	for (n = 0; n < 64; n++) {
		int d;

		if (!(t->mem_nodes & (1ULL << n)))
			continue;
		d = numa_available() >= 0 ? numa_distance(node, n) : 0;
		if (d <= 0)
			d = INT_MAX - 1;
		if (d < bestd) {
			bestd = d;
			best = n;
		}
	}
	return best < 0 ? 0 : best;
}

/*
 * One partition per core (its first allowed CPU) when T <= C; clustered
 * otherwise: consecutive partitions share a CPU, SMT siblings included.
 */
int ppe_place(const struct vgc_ppe_topology *t, unsigned int nr,
	      unsigned int flags, int *cpu, int *node, unsigned int *ratio)
{
	unsigned int i, c;

	if (nr <= t->nr_cores) {
		for (i = 0; i < nr; i++) {
			for (c = 0; c < t->nr_cpus; c++)
				if (t->cpu_core[c] == (int)i)
					break;
			cpu[i] = t->cpus[c];
			node[i] = pick_node(t, t->cpu_node[c]);
		}
		*ratio = 1;
		return 0;
	}
	if (!(flags & VGC_PPE_F_CLUSTER)) {
		ppe_set_msg("%u partitions but only %u allowed cores (%u CPUs): set VGC_PPE_F_CLUSTER to share cores",
			    nr, t->nr_cores, t->nr_cpus);
		return -EINVAL;
	}
	for (i = 0; i < nr; i++) {
		c = (unsigned int)((uint64_t)i * t->nr_cpus / nr);
		cpu[i] = t->cpus[c];
		node[i] = pick_node(t, t->cpu_node[c]);
	}
	*ratio = (nr + t->nr_cores - 1) / t->nr_cores;
	return 0;
}
