// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench zones: the paper's zone tables 8.25-8.29 regenerated with the
 * real lifecycle, plus the cost of zone classification per checkpoint.
 *
 * The paper counts a pool that hands the one released object straight back
 * ("Real Allocations 1, Pool Size 1").  Here a released object goes
 * Deferred -> Marked -> Expired -> free over four checkpoints of its zone,
 * each one a completed grace period, so its slot comes back only then: the
 * pool is the number of slots in flight over those windows of that zone
 * (Blue windows are blue_every checkpoints long).  Columns:
 *
 *   requests  allocation requests served in the zone
 *   real      requests that took a slot never used before (fresh memory)
 *   reused    requests that took a reclaimed slot (requests - real)
 *   expired   objects reclaimed (111 -> free) by the sweeps of the zone
 *   pool      peak slots in use: live plus released, not yet reclaimed
 *
 * Tables:
 *   8.25 one zone (Green), allocate-use-release, 1 M requests
 *   8.26 skewed mix 70/20/10 (Green/Blue/Red), same stream
 *   8.27 imbalanced mix 90/9/1
 *   bal  balanced mix 1/3 each
 *   8.28 lifetimes: Green held to the end, Blue half released after two
 *        windows, Red released at once; 100 k requests per zone
 *   8.29 checkpoint liveness: 100 k objects per zone, touched every window
 *        (Green), in 85 % of windows (Blue), never (Red); after each
 *        checkpoint the runtime releases every object whose state is Idle
 *
 * Every payload is written at allocation and read back before release;
 * the checksum folds what was read.  The malloc baseline runs the same
 * allocate-use-release stream in the same process.  Times are CPU time of
 * the benchmark thread (the test machines are shared), ns per request
 * including the checkpoints.
 *
 * Classification: objects in every zone, a third touched per window, every
 * zone swept; the CPU time of vgc_profile_sample() (EMA update, decision,
 * PROMOTE/DEMOTE/KEEP requests) against the checkpoint's (the library
 * sweep on the anonymous backend; the module's sweep_ns on /dev/vgc),
 * classifying every checkpoint and every 8th; and "cold": every object in
 * Red, a contiguous tenth touched, where the untouched words settle and
 * are skipped whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <vgcu.h>
#include <vgcu_zone.h>
#include "bench.h"
#include "bench_util.h"

#define OBJ_SIZE	32
#define NZ		VGC_NR_ZONES

static const char *const zname[NZ] = { "Red", "Green", "Blue" };
/* table order: Green, Blue, Red, as the paper prints them */
static const unsigned int zorder[NZ] = {
	VGC_ZONE_GREEN, VGC_ZONE_BLUE, VGC_ZONE_RED,
};

struct zrow {
	uint64_t requests, real, reused, expired, pool;
};

struct paper_row {
	uint64_t requests, real, third, pool;	/* third: reused or expired */
};

struct table {
	const char *id;
	const char *title;
	int kind;			/* 0 stream, 1 lifetimes, 2 liveness */
	double mix[NZ];			/* by zone number */
	struct paper_row paper[NZ];	/* by zone number; requests 0: none */
	const char *third;		/* "reused" or "expired" in the paper */
};

static const struct table tables[] = {
	{ "8.25", "Allocation reuse and space boundedness (one zone)", 0,
	  { 0, 1, 0 },
	  { [VGC_ZONE_GREEN] = { 1000000, 1, 999999, 1 } }, "reused" },
	{ "8.26", "Sustained load, skewed mix 70/20/10", 0,
	  { 0.1, 0.7, 0.2 },
	  { [VGC_ZONE_GREEN] = { 699901, 1, 699900, 1 },
	    [VGC_ZONE_BLUE] = { 200302, 1, 200301, 1 },
	    [VGC_ZONE_RED] = { 99797, 1, 99796, 1 } }, "reused" },
	{ "8.27", "Zone imbalance, mix 90/9/1", 0,
	  { 0.01, 0.9, 0.09 },
	  { [VGC_ZONE_GREEN] = { 900000, 1, 899999, 1 },
	    [VGC_ZONE_BLUE] = { 90000, 1, 89999, 1 },
	    [VGC_ZONE_RED] = { 10000, 1, 9999, 1 } }, "reused" },
	{ "bal", "Balanced mix 1/3 each (no paper table)", 0,
	  { 1.0 / 3, 1.0 / 3, 1.0 / 3 }, { { 0 } }, "reused" },
	{ "8.28", "Object expiration and lifetimes", 1,
	  { 1.0 / 3, 1.0 / 3, 1.0 / 3 },
	  { [VGC_ZONE_GREEN] = { 100000, 1, 1, 1 },
	    [VGC_ZONE_BLUE] = { 100000, 1, 50000, 1 },
	    [VGC_ZONE_RED] = { 100000, 1, 100000, 1 } }, "expired" },
	{ "8.29", "Checkpoint-based liveness", 2,
	  { 1.0 / 3, 1.0 / 3, 1.0 / 3 },
	  { [VGC_ZONE_GREEN] = { 100000, 1, 0, 1 },
	    [VGC_ZONE_BLUE] = { 100000, 1, 200, 1 },
	    [VGC_ZONE_RED] = { 100000, 1, 100000, 1 } }, "expired" },
};
#define NR_TABLES	(sizeof(tables) / sizeof(tables[0]))

struct opts {
	uint64_t requests;		/* stream tables */
	uint64_t per_zone;		/* lifetime and liveness tables */
	unsigned int ckpt_every;	/* requests per checkpoint */
	unsigned int windows;		/* liveness windows */
	unsigned int clsf_objects;	/* per zone, classification run */
	unsigned int clsf_ckpts;
	enum vgc_backend backend;
	int json;
};

struct run {
	struct vgc_arena *a;
	char *base;
	/*
	 * slot used before: one bit per granule of the whole index space,
	 * reserved (MAP_NORESERVE), so that only the pages of the granules
	 * allocated from cost memory: with the elastic default reserve the
	 * index space is tens of GiB
	 */
	uint64_t *ever;
	size_t ever_bytes;
	uint64_t total_granules;
	uint64_t reclaimed0[NZ];
	uint64_t in_use[NZ];
	struct zrow row[NZ];
	uint64_t checkpoints, sum;
	uint64_t rng;
	double ns;			/* wall time of the table */
};

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 11;
}

static double urand(uint64_t *s)
{
	return (double)lcg(s) / 9007199254740992.0;
}

static uint64_t zone_reclaimed(struct vgc_arena *a, unsigned int z)
{
	const struct vgc_region_stats *rs = vgc_region_stats(a, z, 0);

	return rs ? rs->reclaimed_objects : 0;
}

static int run_open(struct run *r, const struct opts *o, uint64_t zone_bytes)
{
	struct vgc_config cfg;
	unsigned int z;
	int ret;

	memset(r, 0, sizeof(*r));
	vgc_config_init(&cfg);
	cfg.backend = o->backend;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	for (z = 0; z < NZ; z++)
		cfg.zone_bytes[z] = zone_bytes;
	ret = vgc_arena_open(&cfg, &r->a);
	if (ret)
		return ret;
	ret = vgc_thread_register(r->a, 0);
	if (ret) {
		vgc_arena_close(r->a);
		return ret;
	}
	r->base = vgc_arena_base(r->a);
	r->total_granules = vgc_arena_layout(r->a)->total_granules;
	r->ever_bytes = ((r->total_granules + 63) / 64) * sizeof(uint64_t);
	r->ever = mmap(NULL, r->ever_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->ever == MAP_FAILED) {
		r->ever = NULL;
		vgc_thread_unregister(r->a);
		vgc_arena_close(r->a);
		return -ENOMEM;
	}
	for (z = 0; z < NZ; z++)
		r->reclaimed0[z] = zone_reclaimed(r->a, z);
	r->rng = 0x5eed;
	return 0;
}

static void run_close(struct run *r)
{
	munmap(r->ever, r->ever_bytes);
	vgc_thread_unregister(r->a);
	vgc_arena_close(r->a);
}

static uint64_t *req_alloc(struct run *r, unsigned int z, uint64_t serial)
{
	uint64_t *p = vgc_alloc(r->a, OBJ_SIZE, (enum vgc_zone)z);
	uint64_t idx;

	if (!p)
		return NULL;
	idx = (uint64_t)((char *)p - r->base) >> VGC_GRANULE_SHIFT;
	if (r->ever[idx / 64] & (1ULL << (idx % 64))) {
		r->row[z].reused++;
	} else {
		r->ever[idx / 64] |= 1ULL << (idx % 64);
		r->row[z].real++;
	}
	r->row[z].requests++;
	r->in_use[z]++;
	if (r->in_use[z] > r->row[z].pool)
		r->row[z].pool = r->in_use[z];
	p[0] = serial;
	p[1] = serial * 0x9e3779b97f4a7c15ULL;
	p[2] = z;
	p[3] = ~serial;
	return p;
}

static uint64_t payload(const uint64_t *p)
{
	return bu_mix(bu_mix(bu_mix(p[0], p[1]), p[2]), p[3]);
}

static int ckpt(struct run *r, unsigned int flags)
{
	struct vgc_ckpt_opts o = { .flags = flags };
	struct vgc_checkpoint res;
	unsigned int z;
	int ret;

	vgc_quiescent(r->a);
	ret = vgc_checkpoint(r->a, &o, &res);
	if (ret)
		return ret;
	r->checkpoints++;
	for (z = 0; z < NZ; z++) {
		uint64_t rec = zone_reclaimed(r->a, z) - r->reclaimed0[z];

		r->in_use[z] -= rec - r->row[z].expired;
		r->row[z].expired = rec;
	}
	return 0;
}

/*
 * Until every released object is reclaimed: the release is folded into
 * 101 at the first checkpoint, 110 at the second, 111 at the third, and the
 * slot is free at the fourth.
 */
static int drain(struct run *r)
{
	int i, ret;

	for (i = 0; i < 4; i++) {
		ret = ckpt(r, VGC_CKPT_F_ALL_ZONES);
		if (ret)
			return ret;
	}
	return 0;
}

static unsigned int pick(const double *mix, uint64_t *s)
{
	double u = urand(s), acc = 0;
	unsigned int z;

	for (z = 0; z < NZ; z++) {
		acc += mix[z];
		if (u < acc && mix[z] > 0)
			return z;
	}
	for (z = NZ; z-- > 0;)
		if (mix[z] > 0)
			return z;
	return 0;
}

static int table_stream(struct run *r, const struct table *t,
			const struct opts *o)
{
	uint64_t i;
	int ret;

	for (i = 0; i < o->requests; i++) {
		unsigned int z = pick(t->mix, &r->rng);
		uint64_t *p = req_alloc(r, z, i);

		if (!p)
			return -ENOMEM;
		r->sum = bu_mix(r->sum, payload(p));
		ret = vgc_release(r->a, p);
		if (ret)
			return ret;
		if ((i + 1) % o->ckpt_every == 0) {
			ret = ckpt(r, 0);
			if (ret)
				return ret;
		}
	}
	return drain(r);
}

struct held {
	uint64_t *p;
	uint64_t due;		/* window of release, UINT64_MAX: never */
};

static int table_lifetimes(struct run *r, const struct opts *o)
{
	uint64_t n = o->per_zone * NZ, i, win = 0, head[NZ] = { 0 }, cnt[NZ] = { 0 };
	struct held *q[NZ];
	unsigned int z;
	int ret = 0;

	for (z = 0; z < NZ; z++) {
		q[z] = calloc(o->per_zone, sizeof(struct held));
		if (!q[z])
			ret = -ENOMEM;
	}
	for (i = 0; i < n && !ret; i++) {
		uint64_t *p, due;

		z = zorder[i % NZ];
		p = req_alloc(r, z, i);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		if (z == VGC_ZONE_GREEN)
			due = UINT64_MAX;
		else if (z == VGC_ZONE_BLUE)
			due = (cnt[z] & 1) ? UINT64_MAX : win + 2;
		else
			due = win;
		q[z][cnt[z]].p = p;
		q[z][cnt[z]].due = due;
		cnt[z]++;
		if ((i + 1) % o->ckpt_every == 0 || i + 1 == n) {
			/* releases due by this window, oldest first */
			for (z = 0; z < NZ && !ret; z++) {
				while (head[z] < cnt[z]) {
					struct held *h = &q[z][head[z]];

					if (h->due != UINT64_MAX && h->due > win)
						break;
					if (h->due != UINT64_MAX) {
						r->sum = bu_mix(r->sum, payload(h->p));
						ret = vgc_release(r->a, h->p);
						if (ret)
							break;
						h->p = NULL;
					}
					head[z]++;
				}
			}
			if (!ret)
				ret = ckpt(r, 0);
			win++;
		}
	}
	/* what is still due later (Blue's last windows) goes now */
	for (z = 0; z < NZ && !ret; z++)
		for (i = head[z]; i < cnt[z]; i++)
			if (q[z][i].due != UINT64_MAX && q[z][i].p) {
				r->sum = bu_mix(r->sum, payload(q[z][i].p));
				ret = vgc_release(r->a, q[z][i].p);
				q[z][i].p = NULL;
				if (ret)
					break;
			}
	if (!ret)
		ret = drain(r);
	/* the held ones are intact */
	for (z = 0; z < NZ && !ret; z++)
		for (i = 0; i < cnt[z]; i++)
			if (q[z][i].due == UINT64_MAX)
				r->sum = bu_mix(r->sum, payload(q[z][i].p));
	for (z = 0; z < NZ; z++)
		free(q[z]);
	return ret;
}

static int table_liveness(struct run *r, const struct opts *o)
{
	static const double touch_p[NZ] = {
		[VGC_ZONE_RED] = 0.0, [VGC_ZONE_GREEN] = 1.0,
		[VGC_ZONE_BLUE] = 0.85,
	};
	uint64_t **live[NZ], i, n[NZ];
	unsigned int z, w;
	int ret = 0;

	for (z = 0; z < NZ; z++) {
		live[z] = calloc(o->per_zone, sizeof(uint64_t *));
		n[z] = 0;
		if (!live[z])
			ret = -ENOMEM;
	}
	for (i = 0; i < o->per_zone * NZ && !ret; i++) {
		uint64_t *p;

		z = zorder[i % NZ];
		p = req_alloc(r, z, i);
		if (!p)
			ret = -ENOMEM;
		else
			live[z][n[z]++] = p;
	}
	for (w = 0; w < o->windows && !ret; w++) {
		for (z = 0; z < NZ; z++)
			for (i = 0; i < n[z]; i++)
				if (touch_p[z] >= 1.0 ||
				    urand(&r->rng) < touch_p[z])
					vgc_touch(r->a, live[z][i]);
		ret = ckpt(r, 0);
		/* liveness from the checkpoint: Idle objects are dead */
		for (z = 0; z < NZ && !ret; z++) {
			uint64_t k = 0;

			for (i = 0; i < n[z]; i++) {
				uint64_t *p = live[z][i];

				if (vgc_state(r->a, p) == VGC_ST_IDLE) {
					r->sum = bu_mix(r->sum, payload(p));
					ret = vgc_release(r->a, p);
					if (ret)
						break;
				} else {
					live[z][k++] = p;
				}
			}
			n[z] = k;
		}
	}
	if (!ret)
		ret = drain(r);
	for (z = 0; z < NZ; z++) {
		for (i = 0; i < n[z] && !ret; i++)
			r->sum = bu_mix(r->sum, payload(live[z][i]));
		free(live[z]);
	}
	return ret;
}

/* The same allocate-use-release stream through malloc, in this process. */
static double malloc_stream(const struct table *t, const struct opts *o,
			    uint64_t *sum)
{
	uint64_t rng = 0x5eed, i, t0 = bu_thread_cpu_ns(), s = 0;

	for (i = 0; i < o->requests; i++) {
		unsigned int z = pick(t->mix, &rng);
		uint64_t *p = malloc(OBJ_SIZE);

		if (!p)
			return NAN;
		p[0] = i;
		p[1] = i * 0x9e3779b97f4a7c15ULL;
		p[2] = z;
		p[3] = ~i;
		s = bu_mix(s, payload(p));
		free(p);
	}
	*sum = s;
	return (double)(bu_thread_cpu_ns() - t0) / (double)o->requests;
}

/* ---- classification overhead -------------------------------------------- */

struct clsf {
	unsigned int every;
	int cold;			/* all in Red, a contiguous 10 % hot */
	uint64_t settled;
	double sweep_ns, sample_ns, ratio, per_obj_ns;
	uint64_t objects, requests;
	int fitted;
	struct vgc_zone_params fit[NZ];
};

static int run_clsf(const struct opts *o, unsigned int every, int cold,
		    struct clsf *c)
{
	struct vgc_zone_policy pol;
	struct vgc_profile_stats st;
	double *sw, *sa;
	struct run r;
	uint64_t i, rng = 7, c0, c1, c2;
	unsigned int k, z;
	int ret;

	memset(c, 0, sizeof(*c));
	c->every = every;
	c->cold = cold;
	ret = run_open(&r, o, (uint64_t)o->clsf_objects * 16 * (cold ? 8 : 4));
	if (ret)
		return ret;
	vgc_zone_policy_init(&pol);
	pol.classify_every = every;
	ret = vgc_profile_attach(r.a, &pol);
	sw = calloc(o->clsf_ckpts, sizeof(double));
	sa = calloc(o->clsf_ckpts, sizeof(double));
	if (!ret && (!sw || !sa))
		ret = -ENOMEM;
	for (z = 0; z < NZ && !ret; z++)
		for (i = 0; i < o->clsf_objects; i++)
			if (!vgc_alloc(r.a, 16, cold ? VGC_ZONE_RED :
						      (enum vgc_zone)z)) {
				ret = -ENOMEM;
				break;
			}
	c->objects = (uint64_t)o->clsf_objects * NZ;
	for (k = 0; k < o->clsf_ckpts && !ret; k++) {
		struct vgc_checkpoint res;
		struct vgc_ckpt_opts co = { .flags = VGC_CKPT_F_ALL_ZONES };
		uint64_t cur = 0;
		int n;

		/* cold: the first tenth of Red touched every window */
		for (i = 0; cold && i < c->objects / 10; i++) {
			const struct vgc_region *rg =
				vgc_arena_region(r.a, VGC_ZONE_RED, 0);

			vgc_touch(r.a, r.base + ((rg->gen_first[VGC_GEN0] + i) <<
						 VGC_GRANULE_SHIFT));
		}
		/* a third of the objects touched per window, a few mutated */
		for (i = 0; !cold && i < c->objects / 3; i++) {
			uint64_t g = lcg(&rng) % c->objects;
			unsigned int zz = (unsigned int)(g % NZ);
			const struct vgc_region *rg = vgc_arena_region(r.a, zz, 0);
			char *p = r.base + ((rg->gen_first[VGC_GEN0] + g / NZ) <<
					    VGC_GRANULE_SHIFT);

			if (vgc_touch(r.a, p) == 0 && !(i & 15))
				vgc_mutate(r.a, p);
		}
		vgc_quiescent(r.a);
		c0 = bu_thread_cpu_ns();
		vgc_profile_sample(r.a, co.flags);
		c1 = bu_thread_cpu_ns();
		ret = vgc_zone_checkpoint(r.a, &co, &res);
		c2 = bu_thread_cpu_ns();
		if (ret)
			break;
		vgc_profile_stats(r.a, &st);
		c->settled = st.settled_words;
		/* the module sweeps on its own workers: take its clock */
		sw[k] = vgc_arena_backend(r.a) == VGC_BACKEND_MODULE ?
			(double)res.sweep_ns : (double)(c2 - c1);
		sa[k] = (double)(c1 - c0);
		/* decline every candidate: the population stays measurable */
		{
			struct vgc_candidate cand[256];

			while ((n = vgc_rehome_candidates(r.a, cand, 256, &cur)) > 0) {
				int j;

				for (j = 0; j < n; j++)
					vgc_keep(r.a, cand[j].ptr);
				c->requests += (uint64_t)n;
			}
		}
	}
	if (!ret) {
		c->sweep_ns = bu_median(sw, o->clsf_ckpts);
		c->sample_ns = bu_median(sa, o->clsf_ckpts);
		c->ratio = c->sweep_ns > 0 ? c->sample_ns / c->sweep_ns : NAN;
		c->per_obj_ns = c->sample_ns / (double)c->objects;
		c->fitted = vgc_profile_fit(r.a);
		vgc_profile_get_policy(r.a, &pol);
		memcpy(c->fit, pol.zp, sizeof(c->fit));
	}
	free(sw);
	free(sa);
	vgc_profile_detach(r.a);
	run_close(&r);
	return ret;
}

/* ---- output -------------------------------------------------------------- */

static void print_table(const struct table *t, const struct run *r,
			double vgc_ns, double malloc_ns)
{
	unsigned int i;

	printf("\n%s  %s  (%llu checkpoints, %.1f ns/request",
	       t->id, t->title, (unsigned long long)r->checkpoints, vgc_ns);
	if (!isnan(malloc_ns))
		printf(", malloc %.1f ns/request", malloc_ns);
	printf(")\n");
	printf("  %-6s %10s %9s %9s %9s %7s | paper: %9s %5s %9s %5s\n",
	       "zone", "requests", "real", "reused", "expired", "pool",
	       "requests", "real", t->third, "pool");
	for (i = 0; i < NZ; i++) {
		unsigned int z = zorder[i];
		const struct zrow *w = &r->row[z];
		const struct paper_row *pp = &t->paper[z];

		if (!w->requests && !pp->requests)
			continue;
		printf("  %-6s %10llu %9llu %9llu %9llu %7llu |",
		       zname[z], (unsigned long long)w->requests,
		       (unsigned long long)w->real,
		       (unsigned long long)w->reused,
		       (unsigned long long)w->expired,
		       (unsigned long long)w->pool);
		if (pp->requests)
			printf("        %9llu %5llu %9llu %5llu\n",
			       (unsigned long long)pp->requests,
			       (unsigned long long)pp->real,
			       (unsigned long long)pp->third,
			       (unsigned long long)pp->pool);
		else
			printf("        %9s\n", "-");
	}
}

static void json_table(struct bj *j, const struct table *t, const struct run *r,
		       double vgc_ns, double malloc_ns, uint64_t msum)
{
	unsigned int i;

	bj_obj_begin(j, NULL);
	bj_str(j, "table", t->id);
	bj_str(j, "title", t->title);
	bj_u64(j, "checkpoints", r->checkpoints);
	bj_num(j, "vgc_ns_per_request", vgc_ns);
	if (!isnan(malloc_ns)) {
		bj_num(j, "malloc_ns_per_request", malloc_ns);
		bj_u64(j, "malloc_checksum", msum);
	}
	bj_u64(j, "checksum", r->sum);
	bj_arr_begin(j, "zones");
	for (i = 0; i < NZ; i++) {
		unsigned int z = zorder[i];
		const struct zrow *w = &r->row[z];
		const struct paper_row *pp = &t->paper[z];

		bj_obj_begin(j, NULL);
		bj_str(j, "zone", zname[z]);
		bj_u64(j, "requests", w->requests);
		bj_u64(j, "real_allocations", w->real);
		bj_u64(j, "reused", w->reused);
		bj_u64(j, "expired", w->expired);
		bj_u64(j, "pool", w->pool);
		if (pp->requests) {
			bj_obj_begin(j, "paper");
			bj_u64(j, "requests", pp->requests);
			bj_u64(j, "real_allocations", pp->real);
			bj_u64(j, t->third, pp->third);
			bj_u64(j, "pool", pp->pool);
			bj_obj_end(j);
		}
		bj_obj_end(j);
	}
	bj_arr_end(j);
	bj_obj_end(j);
}

static void usage(void)
{
	printf(
"usage: vgc-bench zones [--json] [--requests N] [--per-zone N]\n"
"                       [--ckpt-every N] [--windows N]\n"
"                       [--clsf-objects N] [--clsf-ckpts N]\n"
"                       [--backend anon|module|auto]\n");
}

int bench_zones(int argc, char **argv)
{
	struct opts o = {
		.requests = 1000000, .per_zone = 100000, .ckpt_every = 1000,
		.windows = 16, .clsf_objects = 100000, .clsf_ckpts = 21,
		.backend = VGC_BACKEND_AUTO,
	};
	struct clsf cl[3];
	uint64_t total_sum = 0;
	struct bj j;
	unsigned int ti, z;
	int ret = 0;
	const struct bu_opt opts[] = {
		BU_FLAG("json", &o.json),
		BU_U64("requests", &o.requests, 1, 0),
		BU_U64("per-zone", &o.per_zone, 1, 0),
		BU_UINT("ckpt-every", &o.ckpt_every, 1, 0),
		BU_UINT("windows", &o.windows, 1, 0),
		BU_UINT("clsf-objects", &o.clsf_objects, 1, 0),
		BU_UINT("clsf-ckpts", &o.clsf_ckpts, 1, 0),
		BENCH_OPT_BACKEND(&o.backend),
		BU_OPT_END
	};

	switch (bu_parse_opts("zones", argc, argv, opts, NULL, 0, NULL)) {
	case 0:
		break;
	case BU_OPTS_HELP:
		usage();
		return 0;
	default:
		usage();
		return 2;
	}

	if (o.json) {
		bj_init(&j, stdout);
		bj_obj_begin(&j, NULL);
		bj_str(&j, "benchmark", "zones");
		bj_u64(&j, "ckpt_every", o.ckpt_every);
		bj_arr_begin(&j, "tables");
	} else {
		printf("vgc-bench zones: paper tables 8.25-8.29 with grace periods "
		       "(checkpoint every %u requests, %d B objects)\n",
		       o.ckpt_every, OBJ_SIZE);
	}
	for (ti = 0; ti < NR_TABLES && !ret; ti++) {
		const struct table *t = &tables[ti];
		double vgc_ns, malloc_ns = NAN;
		uint64_t msum = 0, t0, nreq = 0;
		struct run r;

		ret = run_open(&r, &o, t->kind ? o.per_zone * 64 : 4u << 20);
		if (ret) {
			fprintf(stderr, "zones: arena: %s\n", vgc_strerror(ret));
			break;
		}
		if (!ti && !o.json)
			printf("backend: %s (%s)\n",
			       vgc_backend_name(vgc_arena_backend(r.a)),
			       vgc_backend_reason(r.a));
		t0 = bu_thread_cpu_ns();
		if (t->kind == 0)
			ret = table_stream(&r, t, &o);
		else if (t->kind == 1)
			ret = table_lifetimes(&r, &o);
		else
			ret = table_liveness(&r, &o);
		r.ns = (double)(bu_thread_cpu_ns() - t0);
		for (z = 0; z < NZ; z++)
			nreq += r.row[z].requests;
		vgc_ns = r.ns / (double)(nreq ? nreq : 1);
		if (!ret && t->kind == 0)
			malloc_ns = malloc_stream(t, &o, &msum);
		if (ret) {
			fprintf(stderr, "zones: table %s: %s\n", t->id,
				vgc_strerror(ret));
		} else if (o.json) {
			json_table(&j, t, &r, vgc_ns, malloc_ns, msum);
		} else {
			print_table(t, &r, vgc_ns, malloc_ns);
			printf("  checksum %016llx\n", (unsigned long long)r.sum);
		}
		total_sum = bu_mix(total_sum, r.sum);
		run_close(&r);
	}
	if (o.json)
		bj_arr_end(&j);
	for (ti = 0; ti < 3 && !ret; ti++) {
		ret = run_clsf(&o, ti == 1 ? 8 : 1, ti == 2, &cl[ti]);
		if (ret)
			fprintf(stderr, "zones: classification: %s\n",
				vgc_strerror(ret));
	}
	if (!ret && o.json) {
		bj_arr_begin(&j, "classification");
		for (ti = 0; ti < 3; ti++) {
			bj_obj_begin(&j, NULL);
			bj_str(&j, "workload", cl[ti].cold ?
			       "red, contiguous 10% hot" : "all zones, random third hot");
			bj_u64(&j, "settled_words", cl[ti].settled);
			bj_u64(&j, "classify_every", cl[ti].every);
			bj_u64(&j, "objects", cl[ti].objects);
			bj_num(&j, "sweep_ns_median", cl[ti].sweep_ns);
			bj_num(&j, "profile_ns_median", cl[ti].sample_ns);
			bj_num(&j, "profile_over_sweep", cl[ti].ratio);
			bj_num(&j, "profile_ns_per_object", cl[ti].per_obj_ns);
			bj_u64(&j, "candidates", cl[ti].requests);
			bj_i64(&j, "zones_fitted", cl[ti].fitted);
			bj_arr_begin(&j, "fit");
			for (z = 0; z < NZ; z++) {
				bj_obj_begin(&j, NULL);
				bj_str(&j, "zone", zname[z]);
				bj_num(&j, "alpha", cl[ti].fit[z].alpha);
				bj_num(&j, "beta", cl[ti].fit[z].beta);
				bj_num(&j, "gamma", cl[ti].fit[z].gamma);
				bj_obj_end(&j);
			}
			bj_arr_end(&j);
			bj_obj_end(&j);
		}
		bj_arr_end(&j);
	} else if (!ret) {
		printf("\nClassification per checkpoint (%llu objects, all zones "
		       "swept, medians of %u checkpoints)\n",
		       (unsigned long long)cl[0].objects, o.clsf_ckpts);
		printf("  %-16s %12s %12s %10s %12s %10s\n", "load  classify",
		       "sweep ns", "profile ns", "ratio", "ns/object",
		       "candidates");
		for (ti = 0; ti < 3; ti++)
			printf("  %-5s %-10u %12.0f %12.0f %9.1fx %12.2f %10llu\n",
			       cl[ti].cold ? "cold" : "mixed",
			       cl[ti].every, cl[ti].sweep_ns, cl[ti].sample_ns,
			       cl[ti].ratio, cl[ti].per_obj_ns,
			       (unsigned long long)cl[ti].requests);
		printf("  NNLS fit of the cost model from the profiling records "
		       "(ns per feature unit):\n");
		for (z = 0; z < NZ; z++)
			printf("    %-6s alpha %.4g  beta %.4g  gamma %.4g\n",
			       zname[zorder[z]], cl[0].fit[zorder[z]].alpha,
			       cl[0].fit[zorder[z]].beta,
			       cl[0].fit[zorder[z]].gamma);
	}
	if (o.json) {
		bj_u64(&j, "checksum", total_sum);
		bj_obj_end(&j);
		bj_finish(&j);
	} else {
		printf("\nchecksum %016llx\n", (unsigned long long)total_sum);
	}
	return ret ? 1 : 0;
}
