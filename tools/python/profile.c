// SPDX-License-Identifier: GPL-2.0
/*
 * Zones from behaviour: per (domain, size class), the lifetime, rate and
 * survival of the objects between checkpoints, turned into the features
 * of the library's cost model and decided by vgc_zone_decide().  CPython
 * never moves an object, so a decision applies to the key's future
 * allocations, as allocation-site pretenuring does in the JVMs.
 *
 * Everything here runs under the GIL (the MEM and OBJ domains are only
 * called with it held), so nothing is atomic.  The checkpoints are the
 * library's: the driver runs them on its own thread, and the allocation
 * path notices that ctrl->checkpoints moved at its next sample, which
 * closes a window.  A window lasts at least one driver period: the
 * checkpoints that the pacer runs sooner (before a region grows) fold into
 * it, so that windows are comparable in time.
 *
 * Sampling.  One allocation in --vgc-sample (64) goes into an open-
 * addressing table with its window; a free looks in a bit filter first
 * (one load), and only a flagged pointer probes the table.  Removal
 * shifts the run back (no tombstones); the filter, whose bits of freed
 * samples stay set, is rebuilt at every close and after TABLE_SIZE / 2
 * inserts.  A half-full table takes no new sample (counted: dropped).
 *
 * Features per key at each close, EMA-smoothed with the policy's
 * ema_alpha:
 *	lambda	allocations in the window;
 *	a	turnover of the key's population that checkpoints see: the
 *		sampled objects freed in the window after surviving at least
 *		one checkpoint, over those live at the previous close (a
 *		class whose survivors are replaced is in active use: the hot
 *		working set);
 *	mu	survival: the share of the window's sampled allocations still
 *		live at its close (each survivor is a write into the heap
 *		the checkpoints evaluate: 0 for temporaries);
 *	tau	mean age, in windows, of the key's live sampled objects;
 *	s	the class size; phi 0, kappa 1 (CPython reports neither).
 * So a class of temporaries (mu and a about 0) is eligible for no zone and
 * goes Red; a long-lived, stable class (mu high, a low) only for Blue; a
 * churned working set (a high) for Green and Blue, and the cost model
 * chooses (small objects Green, large re-staged ones Blue).  A decision
 * changes the zone only when policy.confirm consecutive ones agree.
 *
 * Fit.  Each close also files one record per zone: the zone's summed
 * feature functions over its live objects (allocations minus frees per
 * key, times the key's f_mark, f_scan, f_stage) against the sweep time of
 * the zone's regions since the last close; every 16 closes,
 * vgc_zone_fit_records() fits alpha, beta, gamma into the policy.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vgcpy.h"

struct sample {
	uintptr_t p;		/* 0: empty, 1: deleted */
	uint32_t window;
	uint16_t dom, cls;
};

#define TABLE_BITS	15
#define TABLE_SIZE	(1U << TABLE_BITS)
#define FILTER_BITS	18
#define FIT_EVERY	16
#define MAX_RECORDS	256
#define MIN_SAMPLES	4	/* a window's share needs this many */
#define PERSIST_AGE	4	/* windows a startup object must live */
#define PERSIST_SHARE	0.9

struct vgcpy_profile vgcpy_prof;
unsigned char vgcpy_zone_of[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
unsigned char vgcpy_persist_of[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
int vgcpy_startup = 1;
unsigned int vgcpy_sample_left = 1;
uint64_t vgcpy_filter[(1U << FILTER_BITS) / 64];
unsigned int vgcpy_filter_shift = 64 - FILTER_BITS;

static unsigned int sample_every;
static struct sample *table;
static unsigned int used;		/* live entries */
static unsigned int inserts;		/* since the filter was rebuilt */
static uint64_t seen_ckpts;
static uint64_t window_start_ns, window_ns;
static const volatile __u64 *ckpt_count;
static struct vgc_zone_record records[MAX_RECORDS];
static unsigned int nr_records, next_record;
static uint64_t pause_at_close[VGC_NR_ZONES];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t zone_pause_ns(unsigned int z)
{
	unsigned int np = vgc_arena_partitions(vgcpy_arena), p;
	uint64_t t = 0;

	for (p = 0; p < np; p++) {
		const struct vgc_region_stats *rs =
			vgc_region_stats(vgcpy_arena, z, p);

		if (rs)
			t += rs->total_pause_ns;
	}
	return t;
}

int vgcpy_profile_init(unsigned int sample, unsigned int period_ms)
{
	unsigned int d, c, z;

	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++) {
			vgcpy_zone_of[d][c] = VGC_ZONE_GREEN;
			vgcpy_prof.key[d][c].decided = -1;
			vgcpy_prof.key[d][c].first_decision = -1;
		}
	vgc_zone_policy_init(&vgcpy_prof.policy);
	if (!sample)
		return 0;
	table = calloc(TABLE_SIZE, sizeof(*table));
	if (!table)
		return -1;
	sample_every = sample;
	vgcpy_sample_left = sample;
	ckpt_count = &vgc_arena_ctrl(vgcpy_arena)->checkpoints;
	seen_ckpts = *ckpt_count;
	window_ns = (uint64_t)period_ms * 1000000ULL;
	window_start_ns = now_ns();
	for (z = 0; z < VGC_NR_ZONES; z++)
		pause_at_close[z] = zone_pause_ns(z);
	vgcpy_prof.enabled = 1;
	return 0;
}

static void filter_set(const void *p)
{
	uint64_t h = vgcpy_hash(p) >> vgcpy_filter_shift;

	vgcpy_filter[h >> 6] |= 1ULL << (h & 63);
}

static uint32_t home_of(uintptr_t p);

static struct sample *slot_of(struct sample *t, const void *p)
{
	uint32_t i = home_of((uintptr_t)p);

	for (;;) {
		struct sample *s = &t[i];

		if (s->p == (uintptr_t)p || s->p == 0)
			return s;
		i = (i + 1) & (TABLE_SIZE - 1);
	}
}

static void refresh_filter(void)
{
	unsigned int i;

	memset(vgcpy_filter, 0, sizeof(vgcpy_filter));
	for (i = 0; i < TABLE_SIZE; i++)
		if (table[i].p)
			filter_set((void *)table[i].p);
	inserts = used;
}

void vgcpy_profile_sample(unsigned int dom, unsigned int cls, void *p)
{
	struct vgcpy_key *k = &vgcpy_prof.key[dom][cls];
	struct sample *s;

	if (!vgcpy_prof.enabled) {
		vgcpy_sample_left = UINT32_MAX;
		return;
	}
	vgcpy_sample_left = sample_every;
	vgcpy_profile_poll();
	if (used >= TABLE_SIZE / 2) {
		vgcpy_prof.dropped++;
		return;
	}
	/* bits of freed samples stay set: refresh before they pile up */
	if (++inserts > TABLE_SIZE / 2)
		refresh_filter();
	s = slot_of(table, p);
	if (s->p)
		return;		/* a stale entry for a reused address */
	s->p = (uintptr_t)p;
	s->window = (uint32_t)vgcpy_prof.windows;
	s->dom = (uint16_t)dom;
	s->cls = (uint16_t)cls;
	used++;
	filter_set(p);
	vgcpy_prof.samples++;
	k->s_allocs++;
	if (vgcpy_startup)
		k->w0_sampled++;
}

static uint32_t home_of(uintptr_t p)
{
	return (uint32_t)(vgcpy_hash((void *)p) >> (64 - TABLE_BITS));
}

/*
 * Linear probing without tombstones: the entries after a removed one
 * move back over it unless their home lies in between, so a probe never
 * walks past the live entries of its run.
 */
static void remove_at(uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		uint32_t k;

		j = (j + 1) & (TABLE_SIZE - 1);
		if (!table[j].p)
			break;
		k = home_of(table[j].p);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		table[i] = table[j];
		i = j;
	}
	table[i].p = 0;
	used--;
}

void vgcpy_profile_free(void *p)
{
	struct sample *s = slot_of(table, p);
	struct vgcpy_key *k;
	uint64_t age;

	if (s->p != (uintptr_t)p)
		return;
	k = &vgcpy_prof.key[s->dom][s->cls];
	age = vgcpy_prof.windows - s->window;
	if (age == 0)
		k->s_young++;
	else
		k->s_old_freed++;
	if (s->window == 0 && age < PERSIST_AGE)
		k->w0_died++;
	remove_at((uint32_t)(s - table));
}

static void ema(double *v, double x, int seeded, double alpha)
{
	*v = seeded ? *v + alpha * (x - *v) : x;
}

void vgcpy_key_features(unsigned int dom, unsigned int cls,
			struct vgc_features *x)
{
	const struct vgcpy_key *k = &vgcpy_prof.key[dom][cls];

	memset(x, 0, sizeof(*x));
	x->lambda = k->lambda;
	x->tau = k->tau;
	x->mu = k->mu;
	x->a = k->a;
	x->s = (double)vgc_class_granules(cls) * VGC_GRANULE_SIZE;
	x->kappa = 1;
}

/* Live counts and ages per key; the filter afresh. */
static void rebuild(uint32_t live[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES],
		    double ages[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES])
{
	unsigned int i;

	for (i = 0; i < TABLE_SIZE; i++) {
		const struct sample *s = &table[i];

		if (!s->p)
			continue;
		live[s->dom][s->cls]++;
		ages[s->dom][s->cls] += (double)(vgcpy_prof.windows + 1 -
						 s->window);
	}
	refresh_filter();
}

static void file_records(void)
{
	struct vgc_cost_features sum[VGC_NR_ZONES];
	unsigned int d, c, z;

	memset(sum, 0, sizeof(sum));
	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++) {
			const struct vgcpy_key *k = &vgcpy_prof.key[d][c];
			struct vgc_cost_features f;
			struct vgc_features x;

			vgcpy_key_features(d, c, &x);
			vgc_zone_features(&x, &f);
			for (z = 0; z < VGC_NR_ZONES; z++) {
				double n = (double)(k->allocs[z] - k->frees[z]);

				if (k->allocs[z] <= k->frees[z])
					continue;
				sum[z].f_mark += n * f.f_mark;
				sum[z].f_scan += n * f.f_scan;
				sum[z].f_stage += n * f.f_stage;
			}
		}
	for (z = 0; z < VGC_NR_ZONES; z++) {
		uint64_t t = zone_pause_ns(z);
		struct vgc_zone_record *r = &records[next_record];

		r->zone = z;
		r->f_mark = sum[z].f_mark;
		r->f_scan = sum[z].f_scan;
		r->f_stage = sum[z].f_stage;
		r->t_ns = (double)(t - pause_at_close[z]);
		pause_at_close[z] = t;
		next_record = (next_record + 1) % MAX_RECORDS;
		if (nr_records < MAX_RECORDS)
			nr_records++;
	}
	if (vgcpy_prof.windows % FIT_EVERY == 0) {
		struct vgc_zone_policy p = vgcpy_prof.policy;

		/* Apply only a fit that leaves a valid policy. */
		if (vgc_zone_fit_records(&p, records, nr_records) > 0 &&
		    !vgc_zone_policy_check(&p)) {
			vgcpy_prof.policy = p;
			vgcpy_prof.fits++;
		}
	}
}

static void decide(unsigned int d, unsigned int c, uint32_t live,
		   double age_sum)
{
	struct vgcpy_key *k = &vgcpy_prof.key[d][c];
	double alpha = vgcpy_prof.policy.ema_alpha;
	struct vgc_features x;
	int seeded = k->have_ema, z;

	if (k->s_allocs >= MIN_SAMPLES) {
		ema(&k->mu, (double)(k->s_allocs - k->s_young) / k->s_allocs,
		    seeded, alpha);
		k->have_ema = 1;
	}
	if (k->s_live_prev >= MIN_SAMPLES) {
		double t = (double)k->s_old_freed / k->s_live_prev;

		ema(&k->a, t > 1 ? 1 : t, seeded, alpha);
		k->have_ema = 1;
	}
	if (k->have_ema) {
		ema(&k->lambda, k->w_allocs, seeded, alpha);
		ema(&k->tau, live ? age_sum / live : 0, seeded, alpha);
	}
	k->s_live_prev = live;
	k->s_allocs = k->s_young = k->s_old_freed = k->w_allocs = 0;
	if (!k->have_ema)
		return;
	vgcpy_key_features(d, c, &x);
	z = vgc_zone_decide(&vgcpy_prof.policy, &x);
	if (z < 0)
		return;
	if (k->first_decision < 0)
		k->first_decision = z;
	k->streak = z == k->decided ? k->streak + 1 : 1;
	k->decided = z;
	if (k->streak >= vgcpy_prof.policy.confirm &&
	    vgcpy_zone_of[d][c] != z) {
		vgcpy_zone_of[d][c] = (unsigned char)z;
		k->changes++;
	}
}

/*
 * First-checkpoint misplacements: the allocations made before the first
 * checkpoint in another zone than the first decision of their key.
 */
static void count_misplaced(void)
{
	unsigned int d, c, z;

	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++) {
			struct vgcpy_key *k = &vgcpy_prof.key[d][c];

			for (z = 0; z < VGC_NR_ZONES; z++) {
				k->w0_allocs[z] = k->allocs[z];
				vgcpy_prof.w0_total += k->allocs[z];
				if (k->first_decision >= 0 &&
				    (int)z != k->first_decision)
					vgcpy_prof.misplaced += k->allocs[z];
			}
		}
	vgcpy_prof.first_done = 1;
}

void vgcpy_profile_regions(void)
{
	unsigned int np = vgc_arena_partitions(vgcpy_arena), z, p;

	for (z = 0; z < VGC_NR_ZONES; z++)
		for (p = 0; p < np && p < VGC_MAX_PARTITIONS; p++) {
			const struct vgc_region *r =
				vgc_arena_region(vgcpy_arena, z, p);
			uint64_t b;

			if (!r)
				continue;
			b = r->gen_granules[VGC_GEN0] * VGC_GRANULE_SIZE;
			if (b > vgcpy_prof.peak_gen0[z][p])
				vgcpy_prof.peak_gen0[z][p] = b;
		}
}

static void close_window(void)
{
	static uint32_t live[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
	static double ages[VGCPY_NR_DOMAINS][VGCPY_NR_CLASSES];
	unsigned int d, c;

	memset(live, 0, sizeof(live));
	memset(ages, 0, sizeof(ages));
	rebuild(live, ages);
	for (d = 0; d < VGCPY_NR_DOMAINS; d++)
		for (c = 0; c < VGCPY_NR_CLASSES; c++)
			decide(d, c, live[d][c], ages[d][c]);
	if (!vgcpy_prof.first_done)
		count_misplaced();
	vgcpy_prof.windows++;
	vgcpy_startup = 0;
	vgcpy_profile_regions();
	file_records();
}

void vgcpy_profile_poll(void)
{
	uint64_t n, t;

	if (!vgcpy_prof.enabled)
		return;
	n = *ckpt_count;
	if (n == seen_ckpts)
		return;
	seen_ckpts = n;
	/* checkpoints sooner than a period (a region grew) fold in */
	t = now_ns();
	if (t - window_start_ns < window_ns)
		return;
	window_start_ns = t;
	close_window();
}

/* Startup objects that lived PERSIST_AGE windows, in PERSIST_SHARE. */
int vgcpy_key_persistent(unsigned int d, unsigned int c)
{
	const struct vgcpy_key *k = &vgcpy_prof.key[d][c];

	return vgcpy_prof.windows >= PERSIST_AGE && k->w0_sampled >= MIN_SAMPLES &&
	       (double)(k->w0_sampled - k->w0_died) >=
		       PERSIST_SHARE * k->w0_sampled;
}
