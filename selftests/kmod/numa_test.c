// SPDX-License-Identifier: GPL-2.0
/*
 * NUMA placement of vgc.ko's zone pages: every (zone, partition) region must
 * be backed by pages on the node of the partition's CPU.  Checked three
 * ways: the node the module reports (vgc_region.node), move_pages(2) on the
 * mapped pages, and /proc/self/numa_maps; plus physical contiguity against
 * vgc_region.nr_chunks through /proc/self/pagemap.
 */
#include <dirent.h>
#include <sys/syscall.h>
#include "kselftest_harness.h"
#include "vgc_test.h"

#define SPAN	VGC_SPAN_GRANULES
#define PAGE	4096UL
#define MPOL_BIND_	2

static int node_of_cpu(unsigned int cpu)
{
	char path[96];
	struct dirent *d;
	int node = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u", cpu);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "node", 4) &&
		    d->d_name[4] >= '0' && d->d_name[4] <= '9')
			node = atoi(d->d_name + 4);
	closedir(dir);
	return node;
}

static int nr_nodes(void)
{
	struct dirent *d;
	int n = 0;
	DIR *dir = opendir("/sys/devices/system/node");

	if (!dir)
		return 1;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "node", 4) &&
		    d->d_name[4] >= '0' && d->d_name[4] <= '9')
			n++;
	closedir(dir);
	return n ? n : 1;
}

FIXTURE(numa) {
	int fd;
	unsigned int np;
	struct vgc_layout l;
	struct vgc_region regs[3 * VGC_MAX_PARTITIONS];
	char *data;
};

/* One partition per online CPU, in reverse order so that index != cpu. */
FIXTURE_SETUP(numa)
{
	struct vgc_arena_params p;
	unsigned int i;

	self->data = MAP_FAILED;
	self->fd = vgc_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
	self->np = vgc_nr_online_cpus();
	if (self->np > VGC_MAX_PARTITIONS)
		self->np = VGC_MAX_PARTITIONS;
	vgc_params_init(&p, self->np, SPAN, 3 * SPAN, 2 * SPAN);
	for (i = 0; i < self->np; i++)
		p.cpus[i] = self->np - 1 - i;
	ASSERT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA, &p));
	ASSERT_EQ(0, vgc_get_layout(self->fd, &self->l, self->regs,
				    3 * self->np));
	self->data = mmap(NULL, self->l.data_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->fd, (off_t)self->l.data_offset);
	ASSERT_NE(MAP_FAILED, self->data);
}

FIXTURE_TEARDOWN(numa)
{
	if (self->data != MAP_FAILED)
		munmap(self->data, self->l.data_size);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, vgc_wait_idle(2000)) {
		TH_LOG("module counters not back to 0");
	}
}

static char *region_addr(FIXTURE_DATA(numa) *self, const struct vgc_region *r)
{
	return self->data + (r->offset - self->l.data_offset);
}

static size_t region_pages(const struct vgc_region *r)
{
	return (r->committed_granules << VGC_GRANULE_SHIFT) / PAGE;
}

TEST_F(numa, topology)
{
	int n = nr_nodes();

	TH_LOG("%d nodes, %u cpus", n, self->np);
	if (n < 2)
		SKIP(return, "one NUMA node: placement is trivially right");
	/* The test VM has 2 nodes x 2 CPUs; nodes must differ across CPUs. */
	EXPECT_NE(node_of_cpu(0), node_of_cpu(self->np - 1));
}

TEST_F(numa, reported_node)
{
	unsigned int i;

	for (i = 0; i < 3 * self->np; i++) {
		const struct vgc_region *r = &self->regs[i];

		EXPECT_EQ(node_of_cpu(r->cpu), r->node) {
			TH_LOG("zone %u partition %u cpu %u", r->zone,
			       r->partition, r->cpu);
		}
	}
}

TEST_F(numa, move_pages)
{
	unsigned int i;
	size_t j;

	for (i = 0; i < 3 * self->np; i++) {
		const struct vgc_region *r = &self->regs[i];
		size_t n = region_pages(r);
		char *base = region_addr(self, r);
		void **pages = calloc(n, sizeof(*pages));
		int *status = calloc(n, sizeof(*status));
		int want = node_of_cpu(r->cpu);
		long ret;

		ASSERT_NE(NULL, pages);
		ASSERT_NE(NULL, status);
		for (j = 0; j < n; j++) {
			pages[j] = base + j * PAGE;
			(void)*(volatile char *)pages[j];
		}
		/* nodes == NULL: only query where each page is. */
		ret = syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
		ASSERT_EQ(0, ret) {
			TH_LOG("move_pages: %s", strerror(errno));
		}
		for (j = 0; j < n; j++)
			EXPECT_EQ(want, status[j]) {
				TH_LOG("zone %u partition %u cpu %u page %zu",
				       r->zone, r->partition, r->cpu, j);
				break;
			}
		free(pages);
		free(status);
	}
}

/* Pages per node of the numa_maps line of the mapping at addr. */
static int numa_maps_pages(void *addr, long *per_node, int max_nodes)
{
	char line[4096], want[32];
	FILE *f = fopen("/proc/self/numa_maps", "r");
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx ", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		char *tok, *save;

		if (strncmp(line, want, strlen(want)))
			continue;
		found = 1;
		for (tok = strtok_r(line, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save)) {
			int node;
			long pages;

			if (sscanf(tok, "N%d=%ld", &node, &pages) == 2 &&
			    node >= 0 && node < max_nodes)
				per_node[node] += pages;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

TEST_F(numa, numa_maps)
{
	unsigned int i;
	int n;

	for (i = 0; i < 3 * self->np; i++) {
		const struct vgc_region *r = &self->regs[i];
		size_t pages = region_pages(r), j;
		long per_node[64] = { 0 };
		int want = node_of_cpu(r->cpu);
		char *m;

		/* A mapping of its own, so that its numa_maps line is the region. */
		m = mmap(NULL, pages * PAGE, PROT_READ, MAP_SHARED, self->fd,
			 (off_t)r->offset);
		ASSERT_NE(MAP_FAILED, m);
		for (j = 0; j < pages; j++)
			(void)*(volatile char *)(m + j * PAGE);
		ASSERT_EQ(0, numa_maps_pages(m, per_node, 64));
		ASSERT_LE(0, want);
		for (n = 0; n < 64; n++)
			EXPECT_EQ(n == want ? (long)pages : 0, per_node[n]) {
				TH_LOG("zone %u partition %u cpu %u node %d",
				       r->zone, r->partition, r->cpu, n);
			}
		munmap(m, pages * PAGE);
	}
}

/* Runs of consecutive PFNs: the number of physically contiguous chunks. */
TEST_F(numa, contiguity)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	unsigned int i;

	ASSERT_LE(0, pm);
	for (i = 0; i < 3 * self->np; i++) {
		const struct vgc_region *r = &self->regs[i];
		size_t n = region_pages(r), j;
		char *base = region_addr(self, r);
		uint64_t prev = 0, runs = 0;

		for (j = 0; j < n; j++) {
			uint64_t e, pfn;

			(void)*(volatile char *)(base + j * PAGE);
			ASSERT_EQ(sizeof(e),
				  pread(pm, &e, sizeof(e),
					((uintptr_t)base / PAGE + j) * sizeof(e)));
			ASSERT_TRUE(e >> 63);
			pfn = e & ((1ULL << 55) - 1);
			if (!pfn) {
				close(pm);
				SKIP(return, "pagemap hides PFNs (not root?)");
			}
			if (!j || pfn != prev + 1)
				runs++;
			prev = pfn;
		}
		EXPECT_EQ(r->nr_chunks, runs) {
			TH_LOG("zone %u partition %u: %zu pages", r->zone,
			       r->partition, n);
		}
	}
	close(pm);
}

/*
 * The partition's CPU decides, not the caller's memory policy: a process
 * bound to one node still gets the other node's pages for its CPUs.
 */
TEST(cpu_node_beats_mempolicy)
{
	unsigned long mask = 1;
	unsigned int cpu = vgc_nr_online_cpus() - 1;
	struct vgc_arena_params p;
	struct vgc_region regs[3];
	struct vgc_layout l;
	int fd, want = node_of_cpu(cpu);

	if (access(VGC_DEVICE_PATH, F_OK))
		SKIP(return, "vgc.ko not loaded");
	if (nr_nodes() < 2 || want == 0)
		SKIP(return, "needs a CPU outside node 0");
	ASSERT_EQ(0, syscall(SYS_set_mempolicy, MPOL_BIND_, &mask,
			     sizeof(mask) * 8 + 1));
	fd = vgc_open_dev();
	ASSERT_LE(0, fd);
	vgc_params_init(&p, 1, SPAN, SPAN, SPAN);
	p.cpus[0] = cpu;
	ASSERT_EQ(0, vgc_ioctl(fd, VGC_IOC_CREATE_ARENA, &p));
	ASSERT_EQ(0, vgc_get_layout(fd, &l, regs, 3));
	EXPECT_EQ(want, regs[0].node);
	EXPECT_EQ(want, regs[1].node);
	EXPECT_EQ(want, regs[2].node);
	close(fd);
	EXPECT_EQ(0, vgc_wait_idle(2000));
}

TEST_HARNESS_MAIN
