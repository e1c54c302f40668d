// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-fuzz: arenas: open, random shapes and semantic faults of their
 * parameters, layout checks, the base mappings, slots.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "fuzz.h"

/* ---- helpers on arenas --------------------------------------------------------- */

int vgc_open(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open %s: %s", dev_path, strerror(errno));
	return fd;
}

void version(int fd, struct vgc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	if (ioctl(fd, VGC_IOC_GET_VERSION, v))
		fail("GET_VERSION: %s", strerror(errno));
}

static int online_cpu(void)
{
	return below(ncpus);
}

/* A random valid arena shape; big shapes are rare and may hit the limit. */
void random_params(struct vgc_arena_params *p)
{
	bool big = chance(3);
	int nz = 0;

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->flags = chance(30) ? VGC_ARENA_F_PROFILE : 0;
	p->nr_partitions = chance(60) ? 1 + below(2) : 1 + below(big ? 64 : 8);
	if (chance(50)) {
		uint16_t a = below(1001), b = below(1001 - a);

		p->gen_permille[0] = a;
		p->gen_permille[1] = b;
		p->gen_permille[2] = 1000 - a - b;
	}
	for (int z = 0; z < VGC_NR_ZONES; z++) {
		if (chance(25))
			continue;
		p->zone_granules[z] = chance(80) ? below(3 * VGC_SPAN_GRANULES) + 1 :
				      below((big ? 1024 : 16) * (uint64_t)VGC_SPAN_GRANULES) + 1;
		p->zone_reserve_granules[z] = chance(50) ? 0 : below(8) * VGC_SPAN_GRANULES;
		nz++;
	}
	if (!nz)
		p->zone_granules[below(3)] = VGC_SPAN_GRANULES;
	p->blue_every = below(9);
	p->gen1_every = below(9);
	p->gen2_every = below(33);
	for (uint32_t i = 0; i < p->nr_partitions; i++)
		p->cpus[i] = online_cpu();
}

/* Semantic faults of arena params: all EINVAL. */
const char *bad_params(struct vgc_arena_params *p)
{
	switch (below(8)) {
	case 0:
		p->nr_partitions = 0;
		return "nr_partitions=0";
	case 1:
		p->nr_partitions = VGC_MAX_PARTITIONS + 1 + below(1000);
		return "nr_partitions>max";
	case 2:
		p->zone_granules[0] = p->zone_granules[1] = p->zone_granules[2] = 0;
		return "no zone";
	case 3:
		p->gen_permille[0] = 1 + below(1000);
		p->gen_permille[1] = 1000 - p->gen_permille[0] + 1 + below(100);
		p->gen_permille[2] = 0;
		return "permille sum";
	case 4:
		p->cpus[below(p->nr_partitions)] = 4096 + below(1 << 20);
		return "cpu>=nr_cpu_ids";
	case 5:
		p->zone_granules[below(3)] = ~0ULL - below(1 << 20);
		return "huge zone";
	case 6:
		p->zone_reserve_granules[below(3)] = ~0ULL >> below(8);
		return "huge reserve";
	default:
		p->gen_permille[0] = 1001;
		p->gen_permille[1] = p->gen_permille[2] = 0;
		return "permille>1000";
	}
}

static void arena_unmap_base(struct arena *a)
{
	if (a->ctrl)
		munmap((void *)a->ctrl, a->lay.ctrl_size);
	if (a->rw)
		munmap((void *)a->rw, a->rw_len);
	a->ctrl = NULL;
	a->rw = NULL;
}

bool layout_of(int fd, struct vgc_layout *lay, struct vgc_region *reg)
{
	memset(lay, 0, sizeof(*lay));
	lay->size = sizeof(*lay);
	lay->regions_cap = MAX_REGIONS;
	lay->regions_ptr = (uint64_t)(uintptr_t)reg;
	return ioctl(fd, VGC_IOC_GET_LAYOUT, lay) == 0;
}

void check_layout(const struct vgc_layout *l, const struct vgc_region *reg)
{
	uint64_t pg = page_size - 1;

	if ((l->ctrl_offset | l->ctrl_size | l->threads_offset | l->spans_offset |
	     l->plane_size | l->data_offset | l->map_size) & pg)
		fail("layout offsets not page aligned");
	if (l->ctrl_offset != 0 || l->threads_offset < l->ctrl_size ||
	    l->data_offset + l->data_size > l->map_size)
		fail("layout order or size wrong: ctrl %#llx+%#llx threads %#llx data %#llx+%#llx map %#llx",
		     (unsigned long long)l->ctrl_offset, (unsigned long long)l->ctrl_size,
		     (unsigned long long)l->threads_offset, (unsigned long long)l->data_offset,
		     (unsigned long long)l->data_size, (unsigned long long)l->map_size);
	for (int p = 0; p < VGC_NR_PLANES; p++)
		if (l->plane_offset[p] & pg || l->plane_offset[p] + l->plane_size > l->data_offset)
			fail("plane %d misplaced", p);
	if (l->plane_size * 8 * VGC_GRANULE_SIZE < l->total_granules * VGC_GRANULE_SIZE)
		fail("plane_size %llu too small for %llu granules",
		     (unsigned long long)l->plane_size, (unsigned long long)l->total_granules);
	if (l->spans_size < (l->total_granules >> 12) * 2)
		fail("span table of %llu bytes for %llu granules",
		     (unsigned long long)l->spans_size, (unsigned long long)l->total_granules);
	if (l->nr_regions != VGC_NR_ZONES * l->nr_partitions)
		fail("nr_regions %u != 3 * %u", l->nr_regions, l->nr_partitions);
	for (uint32_t i = 0; i < l->nr_regions && i < MAX_REGIONS; i++) {
		const struct vgc_region *r = &reg[i];

		if (r->committed_granules > r->capacity_granules ||
		    r->first_granule + r->capacity_granules > l->total_granules ||
		    r->offset != l->data_offset + r->first_granule * VGC_GRANULE_SIZE)
			fail("region %u inconsistent", i);
	}
}

void arena_map_base(struct arena *a)
{
	void *p;

	p = mmap(NULL, a->lay.ctrl_size, PROT_READ, MAP_SHARED, a->fd, 0);
	if (p == MAP_FAILED)
		fail("mmap ctrl: %s", strerror(errno));
	a->ctrl = p;
	a->rw_len = a->lay.map_size - a->lay.threads_offset;
	p = mmap(NULL, a->rw_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd,
		 a->lay.threads_offset);
	if (p == MAP_FAILED)
		fail("mmap rw part (%zu bytes): %s", a->rw_len, strerror(errno));
	a->rw = p;
	cnt->mmaps += 2;
}

void arena_drop(int i)
{
	struct arena *a = &arenas[i];

	arena_unmap_base(a);
	for (int m = 0; m < MAX_MAPS; m++)
		if (maps[m].live && maps[m].arena == i) {
			munmap(maps[m].addr, maps[m].len);
			maps[m].live = false;
		}
	if (a->fd >= 0)
		close(a->fd);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

struct arena *pick_arena(bool need_fd)
{
	int start = below(MAX_ARENAS);

	for (int k = 0; k < MAX_ARENAS; k++) {
		struct arena *a = &arenas[(start + k) % MAX_ARENAS];

		if (a->live && (!need_fd || a->fd >= 0))
			return a;
	}
	return NULL;
}
