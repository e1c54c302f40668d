// SPDX-License-Identifier: GPL-2.0
/*
 * Elastic regions: plane pages only for committed spans (a large reserve
 * costs nothing up front), VGC_IOC_DECOMMIT and VGC_IOC_COMMIT of single
 * spans (used bytes and RSS drop, SIGBUS on a decommitted span in every
 * mapping, fresh zeroed pages back), their argument checks and limits.
 */
#include <signal.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "mem_util.h"

#define SPAN		VGC_SPAN_GRANULES
#define SPAN_BYTES	((uint64_t)VGC_SPAN_SIZE)
#define PAGE		4096UL
#define PLANE_PAGE_G	(PAGE * 8)	/* granules one plane page covers */
#define RED_SPANS	16		/* 1 MiB committed */
#define RESERVE		MIB_GRANULES(1024)	/* 1 GiB of reserve */

/* Rss in KiB of the mapping that starts at addr, from /proc/self/smaps. */
static long smaps_rss_kb(const void *addr)
{
	unsigned long lo, hi;
	char line[512];
	long rss = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = lo == (unsigned long)addr;
		} else if (in && !strncmp(line, "Rss:", 4)) {
			rss = strtol(line + 4, NULL, 10);
			break;
		}
	}
	fclose(f);
	return rss;
}

static int span_cmd(int fd, unsigned long cmd, uint64_t first, uint64_t nr,
		    uint64_t *changed)
{
	struct vgc_span_range sr;
	int ret;

	memset(&sr, 0, sizeof(sr));
	sr.size = sizeof(sr);
	sr.first_span = first;
	sr.nr_spans = nr;
	ret = vgc_ioctl(fd, cmd, &sr);
	if (!ret && changed)
		*changed = sr.changed;
	return ret;
}

static int get_stats(int fd, struct vgc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return vgc_ioctl(fd, VGC_IOC_GET_STATS, st);
}

static uint64_t used_bytes(void)
{
	uint64_t used = 0, arenas = 0;

	vgc_counters(&used, &arenas);
	return used;
}

/* Distinct plane page indices that granules [g0, g1) need. */
static uint64_t plane_pages_of(uint64_t g0, uint64_t g1)
{
	return (g1 - 1) / PLANE_PAGE_G - g0 / PLANE_PAGE_G + 1;
}

FIXTURE(dc) {
	int fd;
	struct vgc_layout l;
	struct vgc_region regs[3];
	char *data;			/* the whole data part */
	uint64_t red0;			/* Red's first span */
};

FIXTURE_SETUP(dc)
{
	struct vgc_arena_params p;

	self->data = MAP_FAILED;
	self->fd = vgc_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (vgc.ko not loaded)", VGC_DEVICE_PATH,
		     strerror(errno));
	ASSERT_EQ(0, vgc_wait_idle(2000));
	vgc_params_init(&p, 1, RED_SPANS * SPAN, SPAN, SPAN);
	p.zone_reserve_granules[VGC_ZONE_RED] = RESERVE;
	ASSERT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_CREATE_ARENA, &p));
	ASSERT_EQ(0, vgc_get_layout(self->fd, &self->l, self->regs, 3));
	self->data = mmap(NULL, self->l.data_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->fd, (off_t)self->l.data_offset);
	ASSERT_NE(MAP_FAILED, self->data);
	self->red0 = self->regs[VGC_ZONE_RED].first_granule / SPAN;
}

FIXTURE_TEARDOWN(dc)
{
	if (self->data != MAP_FAILED)
		munmap(self->data, self->l.data_size);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(0, vgc_wait_idle(2000)) {
		TH_LOG("module counters not back to 0");
	}
}

static char *span_addr(FIXTURE_DATA(dc) *self, uint64_t s)
{
	return self->data + s * SPAN_BYTES;
}

TEST_F(dc, lazy_planes)
{
	const struct vgc_region *r = &self->regs[VGC_ZONE_RED];
	uint64_t used0, used1, full = self->l.data_offset, g0, g1, exp;
	struct vgc_stats st0, st1;
	struct vgc_grow gr;
	char *planes;

	/* Eager planes of a 1 GiB reserve alone would be 11 * 8 MiB. */
	ASSERT_EQ(0, get_stats(self->fd, &st0));
	used0 = used_bytes();
	EXPECT_EQ(used0, st0.committed_bytes + st0.metadata_bytes);
	EXPECT_LT(st0.metadata_bytes, full / 16);
	TH_LOG("reserve 1 GiB: used %llu bytes, metadata %llu, eager would be %llu",
	       (unsigned long long)used0,
	       (unsigned long long)st0.metadata_bytes,
	       (unsigned long long)full);

	/* Grow 8 MiB: data plus the plane pages it needs, nothing else. */
	memset(&gr, 0, sizeof(gr));
	gr.size = sizeof(gr);
	gr.zone = VGC_ZONE_RED;
	gr.granules = MIB_GRANULES(8);
	ASSERT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_GROW, &gr));
	ASSERT_EQ(0, get_stats(self->fd, &st1));
	used1 = used_bytes();
	EXPECT_EQ(MIB_GRANULES(8) << VGC_GRANULE_SHIFT,
		  st1.committed_bytes - st0.committed_bytes);
	g0 = r->first_granule + r->committed_granules;
	g1 = g0 + MIB_GRANULES(8);
	/* The page covering g0 may be there already (Red's committed end). */
	exp = plane_pages_of(g0, g1);
	if (g0 % PLANE_PAGE_G)
		exp--;
	EXPECT_EQ(exp * VGC_NR_PLANES * PAGE,
		  st1.metadata_bytes - st0.metadata_bytes);
	EXPECT_EQ(used1 - used0, (st1.committed_bytes - st0.committed_bytes) +
		  (st1.metadata_bytes - st0.metadata_bytes));
	TH_LOG("grow 8 MiB: used +%llu (data %llu, planes %llu)",
	       (unsigned long long)(used1 - used0),
	       (unsigned long long)(st1.committed_bytes - st0.committed_bytes),
	       (unsigned long long)(st1.metadata_bytes - st0.metadata_bytes));

	/* Plane words of uncommitted reserve are not there: SIGBUS. */
	planes = mmap(NULL, self->l.plane_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, self->fd,
		      (off_t)self->l.plane_offset[VGC_PLANE_S0]);
	ASSERT_NE(MAP_FAILED, planes);
	EXPECT_EQ(0xff, (unsigned char)planes[g1 / 8 - 1]);
	EXPECT_EQ(1, vgc_bus_on_touch(planes + (r->first_granule +
					    r->capacity_granules) / 8 - PAGE, 0));
	munmap(planes, self->l.plane_size);
	/* And data past the growth too. */
	EXPECT_EQ(1, vgc_bus_on_touch(self->data + (g1 << VGC_GRANULE_SHIFT), 0));
	EXPECT_EQ(0, vgc_bus_on_touch(self->data + (g1 << VGC_GRANULE_SHIFT) - 1, 1));
}

TEST_F(dc, decommit_and_commit)
{
	uint64_t s = self->red0 + 2, used0, used1, used2, ch = 0, i;
	struct vgc_stats st0, st1;
	long rss0, rss1, rss2;
	char *red = span_addr(self, self->red0);
	int zero = 1;

	memset(red, 0x5a, RED_SPANS * SPAN_BYTES);
	rss0 = smaps_rss_kb(self->data);
	used0 = used_bytes();
	ASSERT_EQ(0, get_stats(self->fd, &st0));

	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_DECOMMIT, s, 4, &ch));
	EXPECT_EQ(4, ch);
	used1 = used_bytes();
	rss1 = smaps_rss_kb(self->data);
	ASSERT_EQ(0, get_stats(self->fd, &st1));
	EXPECT_EQ(4 * SPAN_BYTES, used0 - used1);
	EXPECT_EQ(4 * SPAN_BYTES, st0.committed_bytes - st1.committed_bytes);
	EXPECT_EQ(st0.metadata_bytes, st1.metadata_bytes);
	EXPECT_EQ((long)(4 * SPAN_BYTES / 1024), rss0 - rss1);
	TH_LOG("decommit 4 spans: used %llu -> %llu, rss %ld -> %ld KiB",
	       (unsigned long long)used0, (unsigned long long)used1,
	       rss0, rss1);

	/* Every page of the spans is gone; their neighbours stay. */
	for (i = 0; i < 4 * SPAN_BYTES; i += PAGE)
		if (!vgc_bus_on_touch(span_addr(self, s) + i, 0))
			break;
	EXPECT_EQ(4 * SPAN_BYTES, i);
	EXPECT_EQ(0x5a, span_addr(self, s)[-1]);
	EXPECT_EQ(0x5a, span_addr(self, s + 4)[0]);

	/* Again: nothing to do. */
	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_DECOMMIT, s, 4, &ch));
	EXPECT_EQ(0, ch);
	EXPECT_EQ(used1, used_bytes());

	/* Commit a range with committed spans around: only the 4 change. */
	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_COMMIT, self->red0,
			      RED_SPANS, &ch));
	EXPECT_EQ(4, ch);
	EXPECT_EQ(used0, used_bytes());
	for (i = 0; i < 4 * SPAN_BYTES; i++)
		if (span_addr(self, s)[i])
			zero = 0;
	EXPECT_TRUE(zero);
	EXPECT_EQ(0x5a, span_addr(self, s + 4)[0]);
	rss2 = smaps_rss_kb(self->data);
	EXPECT_EQ(rss0, rss2);
	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_COMMIT, s, 4, &ch));
	EXPECT_EQ(0, ch);
	used2 = used_bytes();
	EXPECT_EQ(used0, used2);
}

TEST_F(dc, bad_input)
{
	const struct vgc_region *r = &self->regs[VGC_ZONE_RED];
	const struct vgc_region *g = &self->regs[VGC_ZONE_GREEN];
	uint64_t end = self->red0 + RED_SPANS;
	struct {
		struct vgc_span_range sr;
		uint64_t tail;
	} big;
	struct vgc_span_range sr;
	unsigned long cmds[2] = { VGC_IOC_DECOMMIT, VGC_IOC_COMMIT };
	unsigned int c;

	EXPECT_EQ(48, sizeof(struct vgc_span_range));
	for (c = 0; c < 2; c++) {
		unsigned long cmd = cmds[c];

		memset(&sr, 0, sizeof(sr));
		sr.first_span = self->red0;
		sr.nr_spans = 1;
		sr.size = VGC_SPAN_RANGE_SIZE_VER0 - 8;
		EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, cmd, &sr));
		sr.size = sizeof(sr);
		sr.flags = 1;
		EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, cmd, &sr));
		sr.flags = 0;
		sr.reserved[1] = 1;
		EXPECT_EQ(-EINVAL, vgc_ioctl(self->fd, cmd, &sr));
		sr.reserved[1] = 0;
		memset(&big, 0, sizeof(big));
		big.sr = sr;
		big.sr.size = sizeof(big);
		big.tail = 1;
		EXPECT_EQ(-E2BIG, vgc_ioctl(self->fd, cmd, &big));
		big.tail = 0;
		EXPECT_EQ(0, vgc_ioctl(self->fd, cmd, &big));

		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd, self->red0, 0, NULL));
		/* Reserve, not committed. */
		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd, end, 1, NULL));
		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd, end - 1, 2, NULL));
		/* Red's last committed span and Green's first. */
		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd,
					    g->first_granule / SPAN - 1, 2, NULL));
		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd,
					    r->first_granule / SPAN,
					    (g->first_granule + SPAN) / SPAN -
					    r->first_granule / SPAN, NULL));
		/* Past the index space, and wrapping around. */
		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd,
					    self->l.total_granules / SPAN, 1, NULL));
		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd, UINT64_MAX, 2, NULL));
		EXPECT_EQ(-EINVAL, span_cmd(self->fd, cmd, self->red0,
					    UINT64_MAX, NULL));
		EXPECT_EQ(-EFAULT, vgc_ioctl(self->fd, cmd, (void *)8));
	}
	/* Nothing changed on the way. */
	EXPECT_EQ(0, span_cmd(self->fd, VGC_IOC_COMMIT, self->red0,
			      RED_SPANS, NULL));
}

/*
 * A second mapping loses the span too; a fork()ed child, whose copy of
 * the arena the parent's decommit does not touch, keeps its copy of it.
 */
TEST_F(dc, every_mapping)
{
	uint64_t s = self->red0 + 5;
	char *p = span_addr(self, s), *m2;
	int go[2], ready[2], status;
	pid_t pid;
	char c = 0;

	m2 = mmap(NULL, self->l.data_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		  self->fd, (off_t)self->l.data_offset);
	ASSERT_NE(MAP_FAILED, m2);
	m2 += s * SPAN_BYTES;
	memset(p, 7, SPAN_BYTES);
	EXPECT_EQ(7, m2[100]);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Mapped in the child before the decommit. */
		if (p[PAGE] != 7)
			_exit(2);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(!vgc_bus_on_touch(p + PAGE, 0) && p[PAGE + 1] == 7 ? 0 : 1);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_DECOMMIT, s, 1, NULL));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child: status 0x%x", status);
	}
	EXPECT_EQ(1, vgc_bus_on_touch(m2 + 100, 0));
	EXPECT_EQ(1, vgc_bus_on_touch(p, 1));
	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_COMMIT, s, 1, NULL));
	EXPECT_EQ(0, m2[100]);
	p[0] = 3;
	EXPECT_EQ(3, m2[0]);
	munmap(m2 - s * SPAN_BYTES, self->l.data_size);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
}

TEST_F(dc, commit_past_limit)
{
	long limit = mu_param("limit_mb");
	uint64_t used0, used1;

	if (limit < 0)
		SKIP(return, "limit_mb not readable");
	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_DECOMMIT, self->red0,
			      RED_SPANS, NULL));
	used0 = used_bytes();
	/* Room for less than the 1 MiB that commit takes back. */
	ASSERT_EQ(0, mu_set_param("limit_mb", (long)(used0 / MiB) + 1));
	if (used0 % MiB == 0) {
		ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_COMMIT, self->red0, 1,
				      NULL));
		used0 = used_bytes();
	}
	EXPECT_EQ(-ENOSPC, span_cmd(self->fd, VGC_IOC_COMMIT, self->red0,
				    RED_SPANS, NULL));
	used1 = used_bytes();
	EXPECT_EQ(used0, used1);
	EXPECT_EQ(1, vgc_bus_on_touch(span_addr(self, self->red0 + RED_SPANS - 1), 0));
	ASSERT_EQ(0, mu_set_param("limit_mb", limit));
	EXPECT_EQ(0, span_cmd(self->fd, VGC_IOC_COMMIT, self->red0,
			      RED_SPANS, NULL));
	EXPECT_EQ(0, span_addr(self, self->red0 + RED_SPANS - 1)[0]);
}

/* Sweeps and batch requests run over decommitted spans' planes. */
TEST_F(dc, checkpoint_after_decommit)
{
	struct vgc_checkpoint ck;

	ASSERT_EQ(0, span_cmd(self->fd, VGC_IOC_DECOMMIT, self->red0, 8, NULL));
	memset(&ck, 0, sizeof(ck));
	ck.size = sizeof(ck);
	EXPECT_EQ(0, vgc_ioctl(self->fd, VGC_IOC_CHECKPOINT, &ck));
}

TEST_HARNESS_MAIN
