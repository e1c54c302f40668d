// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Anonymous-memory backend: the module's layout in one anonymous mapping,
 * so the library, its tests and host benchmarks run where vgc.ko is not
 * loaded.  The mapping is private: a fork()ed child gets a copy-on-write
 * snapshot of the whole arena (data, planes, spans, thread slots), as of
 * malloc memory, and tls.c's atfork handlers give it locks and slots of
 * its own.  VGCU_ARENA_F_FORK_SHARED maps it shared instead (shmem), with
 * process-shared locks, for processes that mean to share one heap.  It gives up physical contiguity, kernel sweeps and the
 * kernel's removal of dead threads (the library drops a thread's slot when
 * the thread exits, but not when its process is killed).  Each region's
 * data is bound to the node of its partition's CPU with mbind(); the ctrl
 * page stays writable because the library is the one that writes it.
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vgcu_int.h"

/*
 * numa_node_of_cpu() without its allocations (libnuma mallocs a cpumask
 * per node on each call, and the library never calls malloc): the
 * cpuN/nodeM link of sysfs, else libnuma after all.
 */
static int node_of_cpu(unsigned int cpu)
{
	int n, max = numa_max_node();
	char path[80];

	for (n = 0; n <= max && n < 1024; n++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/node%d", cpu, n);
		if (!access(path, F_OK))
			return n;
	}
	return numa_node_of_cpu((int)cpu);
}

static void anon_bind_regions(struct vgc_arena *a)
{
	unsigned int i, bound = 0, failed = 0;
	int last_err = 0;

	if (numa_available() < 0) {
		snprintf(a->reason + strlen(a->reason),
			 sizeof(a->reason) - strlen(a->reason),
			 "; libnuma unavailable, no mbind");
		return;
	}
	for (i = 0; i < a->layout.nr_regions; i++) {
		struct vgc_region *r = &a->regions[i];
		int node = node_of_cpu(r->cpu);
		unsigned long mask[(1024 + 63) / 64] = { 0 };

		if (node < 0 || node >= 1024 || !r->capacity_granules)
			continue;
		r->node = node;
		mask[node / 64] |= 1UL << (node % 64);
		/*
		 * Preferred rather than bound: numactl --membind may exclude
		 * the CPU's node, and a zone must still be usable then.
		 */
		if (mbind(a->data + (r->first_granule << VGC_GRANULE_SHIFT),
			  r->capacity_granules << VGC_GRANULE_SHIFT,
			  MPOL_PREFERRED, mask, 1024, 0)) {
			last_err = errno;
			failed++;
		} else {
			bound++;
		}
	}
	if (failed)
		snprintf(a->reason + strlen(a->reason),
			 sizeof(a->reason) - strlen(a->reason),
			 "; mbind failed for %u of %u regions (%s)", failed,
			 failed + bound, strerror(last_err));
}

/*
 * VGCU_ARENA_F_FORK_SHARED: the sweep locks live in a shared anonymous
 * mapping of their own (65 mutexes do not fit the ctrl page's tail), which
 * a fork()ed child shares with the arena; robust, so a process killed
 * holding one does not stop the others.  Without it the private set
 * serialises only this process.
 */
static void anon_shared_lock(struct vgc_arena *a)
{
	size_t len = (sizeof(struct vgcu_sweep_locks) + 4095) & ~(size_t)4095;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return;
	if (vgcu_sweep_locks_init(m, true)) {
		munmap(m, len);
		return;
	}
	a->locks = m;
}

static void anon_shared_unlock_map(struct vgc_arena *a)
{
	size_t len = (sizeof(struct vgcu_sweep_locks) + 4095) & ~(size_t)4095;

	if (a->locks && a->locks != &a->locks_private) {
		munmap(a->locks, len);
		a->locks = &a->locks_private;
	}
}

/*
 * Free slots read S = 001: S0 of granules [g0, g0 + n) (whole spans) all
 * ones.  Only for what is committed, so that the S0 plane of a large
 * reserve stays untouched and takes no memory.
 */
static void anon_s0_init(struct vgc_arena *a, uint64_t g0, uint64_t n)
{
	memset((char *)a->planes[VGC_PLANE_S0] + g0 / 8, 0xff, n / 8);
}

static int anon_open(struct vgc_arena *a, const struct vgc_arena_params *prm)
{
	int err = vgcu_layout_anon(prm, &a->layout, a->regions);
	int share = a->fork_shared ? MAP_SHARED : MAP_PRIVATE;
	void *m;

	if (err)
		return err;
	m = vgcu_map_reserve(a->layout.map_size, a->layout.data_offset,
			     VGC_SPAN_SIZE);
	if (m != MAP_FAILED)
		m = mmap(m, a->layout.map_size, PROT_READ | PROT_WRITE,
			 share | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
			 -1, 0);
	if (m == MAP_FAILED)
		return vgcu_errno(errno);
	a->map = m;
	a->map_size = a->layout.map_size;
	/* planes and data alike: see meta.c */
	vgcu_map_no_thp(m, a->map_size);
	err = vgcu_layout_adopt(a);
	if (err)
		return err;
	anon_bind_regions(a);
	if (a->fork_shared)
		anon_shared_lock(a);

	/* free slots read 001: allocation is one atomic set of VALID */
	for (unsigned int i = 0; i < a->layout.nr_regions; i++)
		anon_s0_init(a, a->regions[i].first_granule,
			     a->regions[i].committed_granules);
	a->ctrl->abi_version = VGC_ABI_VERSION;
	a->ctrl->nr_partitions = a->nr_parts;
	a->ctrl->gp_seq = 1;
	a->ctrl->committed_bytes = 0;
	for (unsigned int i = 0; i < a->layout.nr_regions; i++)
		a->ctrl->committed_bytes += a->regions[i].committed_granules
					    << VGC_GRANULE_SHIFT;
	return 0;
}

static void anon_close(struct vgc_arena *a)
{
	if (a->map)
		munmap(a->map, a->map_size);
	a->map = NULL;
	anon_shared_unlock_map(a);
}

static int anon_register(struct vgc_arena *a, unsigned int part)
{
	unsigned int i;

	for (i = 0; i < a->nr_slots; i++) {
		struct vgc_thread_slot *ts = &a->threads[i];
		uint32_t expect = 0;

		if (vgcu_load_relaxed(&ts->in_use))
			continue;
		if (!__atomic_compare_exchange_n(&ts->in_use, &expect, 1, false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		ts->partition = part;
		ts->tid = (uint32_t)gettid();
		__atomic_fetch_add(&a->ctrl->nr_threads, 1, __ATOMIC_RELAXED);
		return (int)i;
	}
	return -ENOSPC;		/* the module's answer */
}

static void anon_unregister(struct vgc_arena *a, struct vgcu_tctx *t)
{
	t->ts->tid = 0;
	__atomic_fetch_sub(&a->ctrl->nr_threads, 1, __ATOMIC_RELAXED);
	vgcu_store(&t->ts->in_use, 0);
}

/* The reserve is mapped already: growing only moves the boundary. */
static int anon_grow(struct vgc_arena *a, unsigned int zone, unsigned int part,
		     uint64_t granules)
{
	const struct vgc_region *r = vgcu_region(a, zone, part);

	/* Called before the region's committed size moves. */
	anon_s0_init(a, r->first_granule + r->committed_granules, granules);
	/* atomic: with FORK_SHARED a child grows under its own locks */
	__atomic_fetch_add(&a->ctrl->committed_bytes,
			   granules << VGC_GRANULE_SHIFT, __ATOMIC_RELAXED);
	return 0;
}

static int anon_stats(const struct vgc_arena *a, struct vgc_stats *st)
{
	const struct vgc_layout *l = &a->layout;
	unsigned int i;

	st->nr_threads = vgcu_load(&a->ctrl->nr_threads);
	st->gp_seq = vgcu_load(&a->ctrl->gp_seq);
	st->checkpoints = vgcu_load(&a->ctrl->checkpoints);
	st->committed_bytes = a->ctrl->committed_bytes;
	st->metadata_bytes = l->data_offset;
	/* from the ctrl page (with FORK_SHARED, a child's sweeps count too) */
	for (i = 0; i < l->nr_regions; i++) {
		st->reclaimed_objects += a->ctrl->regions[i].reclaimed_objects;
		st->reclaimed_bytes += a->ctrl->regions[i].reclaimed_bytes;
	}
	return 0;
}

/* The module's check: spans inside one region's committed part. */
static int anon_span_check(const struct vgc_arena *a, uint64_t first,
			   uint64_t nr)
{
	uint64_t end;
	unsigned int i;

	if (!nr || __builtin_add_overflow(first, nr, &end) ||
	    end > a->total_granules / VGC_SPAN_GRANULES)
		return -EINVAL;
	for (i = 0; i < a->layout.nr_regions; i++) {
		const struct vgc_region *r = &a->regions[i];
		uint64_t r0 = r->first_granule / VGC_SPAN_GRANULES;

		if (first >= r0 &&
		    end <= r0 + r->committed_granules / VGC_SPAN_GRANULES)
			return 0;
	}
	return -EINVAL;
}

/*
 * Private anonymous memory: MADV_DONTNEED drops the pages (in a fork()ed
 * child, only the child's references to pages it shares copy-on-write
 * with its parent) and a later touch reads zeroes, which is what commit
 * promises; so commit has nothing to do.  A FORK_SHARED mapping is shmem,
 * where only MADV_REMOVE frees the pages (MADV_DONTNEED would leave them
 * in the page cache and the data readable).  committed_bytes stays: the
 * backend does not know which spans were decommitted already.
 */
static int anon_decommit(struct vgc_arena *a, uint64_t first_span,
			 uint64_t nr)
{
	int err = anon_span_check(a, first_span, nr);

	if (err)
		return err;
	if (madvise(a->data + (first_span << VGC_SPAN_SHIFT),
		    nr << VGC_SPAN_SHIFT,
		    a->fork_shared ? MADV_REMOVE : MADV_DONTNEED))
		return vgcu_errno(errno);
	return 0;
}

static int anon_commit(struct vgc_arena *a, uint64_t first_span, uint64_t nr)
{
	return anon_span_check(a, first_span, nr);
}

const struct vgcu_backend_ops vgcu_anon_ops = {
	.id = VGC_BACKEND_ANON,
	.open = anon_open,
	.close = anon_close,
	.checkpoint = vgcu_checkpoint_local,
	.thread_register = anon_register,
	.thread_unregister = anon_unregister,
	.grow = anon_grow,
	.stats = anon_stats,
	.decommit = anon_decommit,
	.commit = anon_commit,
};
