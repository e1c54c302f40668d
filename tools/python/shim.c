// SPDX-License-Identifier: GPL-2.0
/*
 * The PyMemAllocatorEx of the MEM and OBJ domains (and RAW with --raw):
 * vgc_alloc/vgc_free on the process-wide arena, in the zone that the
 * profile (profile.c) or the plan chose for the allocation's key.
 *
 * Cost on the fast paths, under the GIL: an allocation looks its class up
 * in a table, reads its zone, counts itself in its key and decrements the
 * sample countdown; a free reads its class from the span table and its
 * zone from the region bounds (two compares), counts itself and tests one
 * bit of the sample filter.  RAW (no GIL) is neither profiled nor counted
 * per key: it stays Green; with --vgc-no-profile nothing is counted.
 *
 * A pointer the domain's previous allocator returned is not in the arena:
 * vgc_free()/vgc_realloc() refuse it with EINVAL, and it goes back there.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vgcpy.h"
#include "shim.h"

struct vgc_arena *vgcpy_arena;
struct vgcpy_calls vgcpy_calls;
int vgcpy_count_calls;

/* Class of a size by its granules: 4097 entries, 0 and 1 the same. */
static unsigned char gran_cls[VGC_SPAN_GRANULES + 1];
static uintptr_t data_lo, data_hi;
static const uint16_t *span_gran;
/* Granule bounds of Green and Blue; 0: zones are not laid out in order. */
static uint64_t green_first, blue_first;
static int zones_ordered;

static void count(uint64_t *c)
{
	if (vgcpy_count_calls)
		atomic_fetch_add_explicit((_Atomic uint64_t *)c, 1,
					  memory_order_relaxed);
}

int vgcpy_shim_init(void)
{
	const struct vgc_layout *l = vgc_arena_layout(vgcpy_arena);
	unsigned int np = vgc_arena_partitions(vgcpy_arena), g, z, p;
	uint64_t lo[VGC_NR_ZONES], hi[VGC_NR_ZONES];

	for (g = 1; g <= VGC_SPAN_GRANULES; g++) {
		int c = vgc_size_class((size_t)g * VGC_GRANULE_SIZE);

		if (c < 0)
			return -1;
		gran_cls[g] = (unsigned char)c;
	}
	gran_cls[0] = gran_cls[1];
	data_lo = (uintptr_t)vgc_arena_base(vgcpy_arena);
	data_hi = data_lo + l->total_granules * VGC_GRANULE_SIZE;
	span_gran = vgc_arena_spans(vgcpy_arena);
	for (z = 0; z < VGC_NR_ZONES; z++) {
		lo[z] = UINT64_MAX;
		hi[z] = 0;
		for (p = 0; p < np; p++) {
			const struct vgc_region *r =
				vgc_arena_region(vgcpy_arena, z, p);

			if (r->first_granule < lo[z])
				lo[z] = r->first_granule;
			if (r->first_granule + r->capacity_granules > hi[z])
				hi[z] = r->first_granule + r->capacity_granules;
		}
	}
	zones_ordered = hi[VGC_ZONE_RED] <= lo[VGC_ZONE_GREEN] &&
			hi[VGC_ZONE_GREEN] <= lo[VGC_ZONE_BLUE];
	green_first = lo[VGC_ZONE_GREEN];
	blue_first = lo[VGC_ZONE_BLUE];
	return 0;
}

static inline unsigned int size_cls(size_t size)
{
	if (size > VGC_SPAN_SIZE)
		return VGCPY_NR_CLASSES - 1;
	return gran_cls[(size + VGC_GRANULE_SIZE - 1) >> VGC_GRANULE_SHIFT];
}

/*
 * The key and zone of a block about to be freed; 0, or -1 when it is
 * not a carved object of the arena (the caller then lets vgc_free()
 * decide).
 */
static inline int block_key(const void *p, unsigned int *cls,
			    unsigned int *zone)
{
	uintptr_t off = (uintptr_t)p - data_lo;
	uint64_t g = off >> VGC_GRANULE_SHIFT;
	unsigned int gran;

	if ((uintptr_t)p < data_lo || (uintptr_t)p >= data_hi)
		return -1;
	gran = __atomic_load_n(&span_gran[g / VGC_SPAN_GRANULES],
			       __ATOMIC_RELAXED);
	if (!gran || gran > VGC_SPAN_GRANULES)
		return -1;
	*cls = gran_cls[gran];
	if (zones_ordered) {
		*zone = g < green_first ? VGC_ZONE_RED :
			g < blue_first ? VGC_ZONE_GREEN : VGC_ZONE_BLUE;
	} else {
		struct vgc_objinfo info;

		if (vgc_locate(vgcpy_arena, p, &info))
			return -1;
		*zone = info.zone;
	}
	return 0;
}

/* Counted in its key; the sampled one in 64 goes to the profile. */
static inline void note_alloc(unsigned int dom, unsigned int cls,
			      unsigned int zone, void *p)
{
	struct vgcpy_key *k = &vgcpy_prof.key[dom][cls];

	k->allocs[zone]++;
	k->w_allocs++;
	if (__builtin_expect(!--vgcpy_sample_left, 0))
		vgcpy_profile_sample(dom, cls, p);
}

static inline void note_free(unsigned int dom, void *p)
{
	unsigned int cls, zone;

	if (block_key(p, &cls, &zone))
		return;
	vgcpy_prof.key[dom][cls].frees[zone]++;
	if (__builtin_expect(vgcpy_filtered(p), 0))
		vgcpy_profile_free(p);
}

/* Not in the arena at all: the previous allocator's block. */
static int foreign(const void *p)
{
	struct vgc_objinfo info;

	return vgc_locate(vgcpy_arena, p, &info) == -EINVAL;
}

static void *alloc_key(unsigned int dom, size_t size, int zero)
{
	unsigned int cls = size_cls(size), zone = vgcpy_zone_of[dom][cls];
	void *p = NULL;

	if (__builtin_expect(vgcpy_startup, 0) && vgcpy_persist_of[dom][cls]) {
		/* Passive VGC: a startup object that the plan says lives on */
		p = vgc_alloc_gen(vgcpy_arena, size, zone, VGC_GEN2,
				  VGC_ALLOC_F_PERSISTENT);
		if (p)
			vgcpy_prof.key[dom][cls].statics++;
		else
			vgcpy_prof.key[dom][cls].static_fallbacks++;
		if (p && zero)
			memset(p, 0, size);
	}
	if (!p)
		p = zero ? vgc_calloc(vgcpy_arena, 1, size, zone) :
			   vgc_alloc(vgcpy_arena, size, zone);
	if (p && vgcpy_prof.enabled)
		note_alloc(dom, cls, zone, p);
	return p;
}

/* Size 0 must still be a unique pointer: one granule. */
static void *py_malloc(void *ctx, size_t size)
{
	struct vgcpy_domain *d = ctx;

	count(&vgcpy_calls.alloc);
	if (d->dom < 0)
		return vgc_alloc(vgcpy_arena, size ? size : 1, VGC_ZONE_GREEN);
	return alloc_key((unsigned int)d->dom, size ? size : 1, 0);
}

static void *py_calloc(void *ctx, size_t nelem, size_t elsize)
{
	struct vgcpy_domain *d = ctx;
	size_t size;

	count(&vgcpy_calls.alloc);
	if (!nelem || !elsize)
		nelem = elsize = 1;
	if (d->dom < 0)
		return vgc_calloc(vgcpy_arena, nelem, elsize, VGC_ZONE_GREEN);
	if (__builtin_mul_overflow(nelem, elsize, &size)) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc_key((unsigned int)d->dom, size, 1);
}

static void py_free(void *ctx, void *p)
{
	struct vgcpy_domain *d = ctx;
	int rc;

	if (!p)
		return;
	count(&vgcpy_calls.free);
	if (d->dom >= 0 && vgcpy_prof.enabled)
		note_free((unsigned int)d->dom, p);
	rc = vgc_free(vgcpy_arena, p);
	if (rc == 0)
		return;
	if (rc == -EINVAL && foreign(p)) {
		count(&vgcpy_calls.foreign);
		d->prev.free(d->prev.ctx, p);
		return;
	}
	fprintf(stderr, "vgc-python: vgc_free(%p) of the %s domain: %s\n",
		p, d->name, strerror(-rc));
	abort();
}

/*
 * In place when vgc_realloc() would keep it (the size class holds the
 * new size and is at most twice it); otherwise a new block in the zone
 * of the new size's key, not the old block's zone as vgc_realloc() would.
 */
static void *py_realloc(void *ctx, void *p, size_t size)
{
	struct vgcpy_domain *d = ctx;
	size_t have;
	void *q;

	if (!p)
		return py_malloc(ctx, size);
	count(&vgcpy_calls.realloc);
	if (!size)
		size = 1;
	have = vgc_usable_size(vgcpy_arena, p);
	if (!have) {
		if (foreign(p)) {
			count(&vgcpy_calls.foreign);
			return d->prev.realloc(d->prev.ctx, p, size);
		}
		errno = EINVAL;
		return NULL;
	}
	if (d->dom < 0 || (size <= have && size >= have / 2))
		return vgc_realloc(vgcpy_arena, p, size, VGC_ZONE_GREEN);
	q = alloc_key((unsigned int)d->dom, size, 0);
	if (!q)
		return NULL;
	memcpy(q, p, size < have ? size : have);
	if (vgcpy_prof.enabled)
		note_free((unsigned int)d->dom, p);
	if (vgc_free(vgcpy_arena, p)) {
		fprintf(stderr, "vgc-python: vgc_free(%p) in realloc of the "
			"%s domain failed\n", p, d->name);
		abort();
	}
	return q;
}

void vgcpy_install(struct vgcpy_domain *d)
{
	PyMemAllocatorEx a = {
		.ctx = d,
		.malloc = py_malloc,
		.calloc = py_calloc,
		.realloc = py_realloc,
		.free = py_free,
	};

	PyMem_GetAllocator(d->domain, &d->prev);
	PyMem_SetAllocator(d->domain, &a);
}
