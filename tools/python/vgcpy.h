/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgc-python's parts (docs/vgc-python.md): the allocator shim (shim.c),
 * the per-class profile and its zone decisions (profile.c), the Passive
 * VGC plan (plan.c, on the parser of json.c) and --vgc-stats (stats.c).
 *
 * The profile's key is (domain, size class): PyObject_Malloc (OBJ) serves
 * objects, PyMem_Malloc (MEM) their buffers, so the domain is the cheapest
 * allocation-site key there is.  A large object (above 64 KiB) counts in
 * the 64 KiB class, as its head span is carved for it.
 */
#ifndef VGCPY_H
#define VGCPY_H

#include <stdint.h>
#include <stdio.h>
#include <vgcu.h>
#include <vgcu_zone.h>

enum { VGCPY_MEM, VGCPY_OBJ, VGCPY_NR_DOMAINS };
#define VGCPY_NR_CLASSES	VGC_NR_CLASSES

extern struct vgc_arena *vgcpy_arena;
extern const char *const vgcpy_zone_names[VGC_NR_ZONES];
extern const char *const vgcpy_domain_names[VGCPY_NR_DOMAINS];

/* Index of a zone or domain name, -1 when it is none. */
int vgcpy_zone_index(const char *s, size_t len);
int vgcpy_domain_index(const char *s, size_t len);

/* ---- the profile (profile.c) ------------------------------------------- */

/* What one (domain, class) did and where it goes; all under the GIL. */
struct vgcpy_key {
	/* lifetime totals, per zone allocated in / freed from */
	uint64_t allocs[VGC_NR_ZONES], frees[VGC_NR_ZONES];
	uint64_t w0_allocs[VGC_NR_ZONES];	/* before the first checkpoint */
	uint64_t statics, static_fallbacks;	/* Passive: Gen2 pinned */
	/* this window */
	uint32_t w_allocs;
	uint32_t s_allocs, s_young, s_old_freed;
	uint32_t s_live_prev;			/* sampled live at last close */
	/* sampled objects of the first window, and those dead before age 4 */
	uint32_t w0_sampled, w0_died;
	/* EMAs of the features (have_ema: seeded) */
	double lambda, a, mu, tau;
	int have_ema;
	int decided;		/* last vgc_zone_decide(), -1: never */
	int first_decision;	/* at the first checkpoint, -1: none */
	unsigned int streak;	/* consecutive equal decisions */
	unsigned int changes;	/* zone changes of future allocations */
	int planned;		/* the zone came from a plan */
};

struct vgcpy_profile {
	struct vgcpy_key key[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
	struct vgc_zone_policy policy;
	int enabled;
	uint64_t windows;		/* checkpoints seen, window number */
	uint64_t samples, dropped, fits;
	uint64_t misplaced, w0_total;	/* at the first checkpoint */
	int first_done;
	uint64_t peak_gen0[VGC_NR_ZONES][VGC_MAX_PARTITIONS]; /* bytes */
};

extern struct vgcpy_profile vgcpy_prof;

/*
 * Zone of future allocations per key, and the Passive hint: allocations
 * of a persistent key before the first checkpoint go to Gen2, pinned.
 * Read on every allocation: kept apart from the counters.
 */
extern unsigned char vgcpy_zone_of[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
extern unsigned char vgcpy_persist_of[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
extern int vgcpy_startup;	/* no checkpoint seen yet */

/*
 * Sets up the tables; profile one allocation in @sample (0: off), in
 * windows of at least @period_ms.
 */
int vgcpy_profile_init(unsigned int sample, unsigned int period_ms);
/* The sampled slow path of an allocation. */
void vgcpy_profile_sample(unsigned int dom, unsigned int cls, void *p);
/* A free of a pointer the filter flagged. */
void vgcpy_profile_free(void *p);
/* Closes the windows of the checkpoints completed since the last call. */
void vgcpy_profile_poll(void);
extern unsigned int vgcpy_sample_left;
extern uint64_t vgcpy_filter[];
extern unsigned int vgcpy_filter_shift;

static inline uint64_t vgcpy_hash(const void *p)
{
	return ((uint64_t)(uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL;
}

static inline int vgcpy_filtered(const void *p)
{
	uint64_t h = vgcpy_hash(p) >> vgcpy_filter_shift;

	return (vgcpy_filter[h >> 6] >> (h & 63)) & 1;
}

/* The raw decision for a key's features now (tests and stats). */
void vgcpy_key_features(unsigned int dom, unsigned int cls,
			struct vgc_features *x);
/* Whether a key's startup allocations lived on: the Passive hint. */
int vgcpy_key_persistent(unsigned int dom, unsigned int cls);
/* Peak committed Gen0 per region, folded in at each checkpoint. */
void vgcpy_profile_regions(void);

/* ---- the plan (plan.c) ------------------------------------------------- */

struct vgcpy_plan_class {
	int set;
	int zone;
	int persistent;
};

struct vgcpy_plan {
	struct vgcpy_plan_class cls[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
	uint64_t region_bytes[VGC_NR_ZONES][VGC_MAX_PARTITIONS];
	unsigned char region_set[VGC_NR_ZONES][VGC_MAX_PARTITIONS];
	unsigned int nr_classes, nr_regions;
};

#define VGCPY_PLAN_VERSION	1
#define VGCPY_PLAN_MAX_BYTES	65536
#define VGCPY_PLAN_MAX_DEPTH	8
#define VGCPY_PLAN_MAX_REGION	(1ULL << 40)

/*
 * Reads and checks @path completely; 0, or -1 with a message naming the
 * file and the line, column and byte offset on stderr.
 */
int vgcpy_plan_load(const char *path, unsigned int partitions,
		    struct vgcpy_plan *plan);
/* Applies a checked plan before the first allocation; 0 or -1 (message). */
int vgcpy_plan_apply(const struct vgcpy_plan *plan, const char *path);
/* Writes the profile as a plan; 0 or -1 (message). */
int vgcpy_plan_record(const char *path);

/* ---- --vgc-stats (stats.c) --------------------------------------------- */

struct vgcpy_calls {
	uint64_t alloc, free, realloc, foreign;
};
extern struct vgcpy_calls vgcpy_calls;

void vgcpy_print_zones(FILE *f);
void vgcpy_print_profile(FILE *f);

#endif /* VGCPY_H */
