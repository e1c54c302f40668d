// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Arena open/close and the choice of backend.  AUTO takes the module when
 * /dev/vgc opens and speaks our ABI, else the anonymous backend; the
 * environment variable VGC_BACKEND=module|anon overrides AUTO (an explicit
 * backend in the config is never overridden).  Partitions default to the
 * CPUs the process may run on, so numactl/taskset constrain them.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vgcu_int.h"
#include "statfile.h"

static uint64_t vgcu_next_id = 1;

void vgc_config_init(struct vgc_config *cfg)
{
	unsigned int z;

	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = VGC_BACKEND_AUTO;
	for (z = 0; z < VGC_NR_ZONES; z++) {
		cfg->zone_bytes[z] = 1ULL << 20;
		cfg->zone_reserve_bytes[z] = VGC_RESERVE_AUTO;
	}
}

/*
 * VGC_RESERVE_AUTO: $VGC_RESERVE_MB, or twice the physical memory shared
 * out over the regions (three zones per partition), between 64 MiB and
 * 8 GiB per region, and within 2^38 granules in all.  Reserve costs no
 * memory for data, but address space (tools such as valgrind refuse
 * mappings of more than some tens of GiB) and the module's eager tables
 * of 18 bytes per span of the whole index space (span table, summaries).
 */
static uint64_t auto_reserve_granules(unsigned int np, const uint64_t *zg,
				      unsigned int nr_auto)
{
	long pages = sysconf(_SC_PHYS_PAGES), pg = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && pg > 0 ? (uint64_t)pages * (uint64_t)pg :
		       1ULL << 30;
	uint64_t want = ((2 * ram) / (3ULL * (np ? np : 1))) >> VGC_GRANULE_SHIFT;
	uint64_t fixed = 0, room;
	const char *env = getenv("VGC_RESERVE_MB");
	unsigned int z;

	if (want > (8ULL << 30) >> VGC_GRANULE_SHIFT)
		want = (8ULL << 30) >> VGC_GRANULE_SHIFT;
	if (want < (64ULL << 20) >> VGC_GRANULE_SHIFT)
		want = (64ULL << 20) >> VGC_GRANULE_SHIFT;
	if (env && *env) {
		char *end;
		unsigned long long mb = strtoull(env, &end, 10);

		if (!*end && mb && mb < (1ULL << 24))
			want = (mb << 20) >> VGC_GRANULE_SHIFT;
	}
	for (z = 0; z < VGC_NR_ZONES; z++)
		fixed += (zg[z] + VGC_SPAN_GRANULES) * np;
	room = VGC_MAX_ARENA_GRANULES > fixed ? VGC_MAX_ARENA_GRANULES - fixed : 0;
	if (nr_auto && want > room / ((uint64_t)nr_auto * np))
		want = room / ((uint64_t)nr_auto * np);
	return want & ~(uint64_t)(VGC_SPAN_GRANULES - 1);
}

const char *vgc_backend_name(enum vgc_backend b)
{
	switch (b) {
	case VGC_BACKEND_AUTO:
		return "auto";
	case VGC_BACKEND_MODULE:
		return "module";
	case VGC_BACKEND_ANON:
		return "anon";
	}
	return "unknown";
}

int vgc_backend_parse(const char *name, enum vgc_backend *out)
{
	static const enum vgc_backend all[] = {
		VGC_BACKEND_AUTO, VGC_BACKEND_MODULE, VGC_BACKEND_ANON,
	};
	size_t i;

	for (i = 0; name && i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(name, vgc_backend_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int default_cpus(unsigned int *cpus, unsigned int *n)
{
	cpu_set_t set;
	unsigned int c, k = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return vgcu_errno(errno);
	for (c = 0; c < CPU_SETSIZE && k < VGC_MAX_PARTITIONS; c++)
		if (CPU_ISSET(c, &set))
			cpus[k++] = c;
	if (!k)
		return -EINVAL;
	*n = k;
	return 0;
}

static int build_params(const struct vgc_config *cfg,
			struct vgc_arena_params *p)
{
	unsigned int z, g, i, nr_auto = 0;

	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	/* the library's flags stay in the library */
	p->flags = cfg->flags & VGC_ARENA_F_ALL;
	if (cfg->flags & ~(VGC_ARENA_F_ALL | VGCU_ARENA_F_FORK_SHARED))
		return -EINVAL;
	/* one meaning, two spellings: the library's flag came first */
	if (cfg->flags & VGCU_ARENA_F_FORK_SHARED)
		p->flags |= VGC_ARENA_F_FORK_SHARED;
	if (cfg->nr_partitions) {
		if (cfg->nr_partitions > VGC_MAX_PARTITIONS)
			return -ERANGE;
		p->nr_partitions = cfg->nr_partitions;
		for (i = 0; i < cfg->nr_partitions; i++) {
			if (cfg->cpus[i] >= VGCU_MAX_CPUS)
				return -ERANGE;
			p->cpus[i] = cfg->cpus[i];
		}
	} else {
		int err = default_cpus(p->cpus, &p->nr_partitions);

		if (err)
			return err;
	}
	for (g = 0; g < VGC_NR_GENS; g++) {
		if (cfg->gen_permille[g] > 1000)
			return -EINVAL;
		p->gen_permille[g] = (uint16_t)cfg->gen_permille[g];
	}
	for (z = 0; z < VGC_NR_ZONES; z++) {
		if (cfg->zone_bytes[z] > (1ULL << 44) ||
		    (cfg->zone_reserve_bytes[z] > (1ULL << 44) &&
		     cfg->zone_reserve_bytes[z] != VGC_RESERVE_AUTO))
			return -E2BIG;
		p->zone_granules[z] = (cfg->zone_bytes[z] + VGC_GRANULE_SIZE - 1)
				      >> VGC_GRANULE_SHIFT;
		if (cfg->zone_reserve_bytes[z] == VGC_RESERVE_AUTO) {
			/* an empty zone stays empty */
			nr_auto += !!p->zone_granules[z];
			continue;
		}
		p->zone_reserve_granules[z] =
			(cfg->zone_reserve_bytes[z] + VGC_GRANULE_SIZE - 1)
			>> VGC_GRANULE_SHIFT;
	}
	if (nr_auto) {
		uint64_t rg = auto_reserve_granules(p->nr_partitions,
						    (const uint64_t *)p->zone_granules,
						    nr_auto);

		for (z = 0; z < VGC_NR_ZONES; z++)
			if (cfg->zone_reserve_bytes[z] == VGC_RESERVE_AUTO &&
			    p->zone_granules[z])
				p->zone_reserve_granules[z] = rg;
	}
	p->blue_every = cfg->blue_every;
	p->gen1_every = cfg->gen1_every;
	p->gen2_every = cfg->gen2_every;
	return 0;
}

static enum vgc_backend wanted_backend(const struct vgc_config *cfg)
{
	enum vgc_backend b;

	if (cfg->backend != VGC_BACKEND_AUTO)
		return cfg->backend;
	if (vgc_backend_parse(getenv("VGC_BACKEND"), &b))
		return VGC_BACKEND_AUTO;
	return b;
}

int vgc_arena_open(const struct vgc_config *ucfg, struct vgc_arena **out)
{
	struct vgc_config defcfg;
	const struct vgc_config *cfg = ucfg;
	struct vgc_arena_params prm;
	struct vgc_arena *a;
	enum vgc_backend want;
	char why[sizeof(a->reason)] = "";
	uint64_t features = 0;
	int err, fd = -1;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg) {
		vgc_config_init(&defcfg);
		cfg = &defcfg;
	}
	if (cfg->backend > VGC_BACKEND_ANON)
		return -EINVAL;
	err = build_params(cfg, &prm);
	if (err)
		return err;
	vgcu_classes_init();
	vgcu_fork_register();	/* before the driver's handlers: their order */

	want = wanted_backend(cfg);
	if (want != VGC_BACKEND_ANON) {
		fd = vgcu_module_probe(why, sizeof(why), &features);
		if (fd < 0 && want == VGC_BACKEND_MODULE)
			return fd;
	}

	a = vgcu_meta_alloc(sizeof(*a));
	if (!a) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	a->id = __atomic_fetch_add(&vgcu_next_id, 1, __ATOMIC_RELAXED);
	a->fd = fd >= 0 ? fd : -1;
	vgc_core_cadence(&prm, &a->cadence);
	vgcu_sweep_locks_init(&a->locks_private, false);
	a->locks = &a->locks_private;
	a->fork_shared = !!(prm.flags & VGC_ARENA_F_FORK_SHARED);

	if (fd >= 0) {
		a->ops = &vgcu_module_ops;
		a->mod_features = features;
		snprintf(a->reason, sizeof(a->reason), "%s%s", why,
			 want == VGC_BACKEND_MODULE ? " (VGC_BACKEND=module)" : "");
	} else {
		a->ops = &vgcu_anon_ops;
		if (want == VGC_BACKEND_ANON)
			snprintf(a->reason, sizeof(a->reason),
				 "anonymous memory requested");
		else
			snprintf(a->reason, sizeof(a->reason),
				 "anonymous memory fallback: %s", why);
	}
	vgcu_heap_open(a);
	err = a->ops->open(a, &prm);
	if (!err)
		err = vgcu_policy_open(a, prm.flags);
	if (!err)
		err = vgcu_pacer_open(a);	/* $VGC_PACE*, $VGC_DRIVER */
	if (err) {
		vgc_arena_close(a);
		return err;
	}
	vgcu_arena_registry_add(a);
	vgcu_statfile_create(a);
	*out = a;
	return 0;
}

void vgc_arena_close(struct vgc_arena *a)
{
	if (!a)
		return;
	vgcu_driver_close(a);		/* the driver's thread first */
	vgcu_policy_close(a);
	vgcu_statfile_remove(a);
	/* from here no exiting thread's destructor touches the arena */
	vgcu_arena_registry_del(a);
	vgcu_pacer_close(a);
	vgcu_tctx_drop(a);
	a->ops->close(a);		/* closes the module's fd too */
	vgcu_heap_close(a);
	vgcu_sweep_locks_destroy(&a->locks_private);
	vgcu_meta_free(a, sizeof(*a));
}

enum vgc_backend vgc_arena_backend(const struct vgc_arena *a)
{
	return a->ops->id;
}

const char *vgc_backend_reason(const struct vgc_arena *a)
{
	return a->reason;
}

int vgc_arena_fd(const struct vgc_arena *a)
{
	return a->fd;		/* -1 on the anonymous backend */
}

const struct vgc_layout *vgc_arena_layout(const struct vgc_arena *a)
{
	return &a->layout;
}

const struct vgc_region *vgc_arena_region(const struct vgc_arena *a,
					  unsigned int zone,
					  unsigned int partition)
{
	if (zone >= VGC_NR_ZONES || partition >= a->nr_parts)
		return NULL;
	return &a->regions[zone * a->nr_parts + partition];
}

unsigned int vgc_arena_partitions(const struct vgc_arena *a)
{
	return a->nr_parts;
}

void *vgc_arena_base(const struct vgc_arena *a)
{
	return a->data;
}

const struct vgc_ctrl *vgc_arena_ctrl(const struct vgc_arena *a)
{
	return a->ctrl;
}

uint64_t *vgc_arena_plane(const struct vgc_arena *a, enum vgc_plane plane)
{
	if ((unsigned int)plane >= VGC_NR_PLANES)
		return NULL;
	return a->planes[plane];
}

const uint16_t *vgc_arena_spans(const struct vgc_arena *a)
{
	return a->spans;
}

const struct vgc_region_stats *vgc_region_stats(const struct vgc_arena *a,
						unsigned int zone,
						unsigned int partition)
{
	if (zone >= VGC_NR_ZONES || partition >= a->nr_parts)
		return NULL;
	return &a->ctrl->regions[zone * a->nr_parts + partition];
}
