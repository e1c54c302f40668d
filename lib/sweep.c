// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library's sweep: the transition table of <linux/vgc_state.h> over one
 * span (64 words of each plane) at a time.
 *
 * Ownership (docs/design.md, State machine): the sweep is the only writer
 * of S0..S2, so it stores them plainly; ACCESS and the request planes are
 * taken with one atomic exchange per non-zero word (a zero word is left
 * alone: a request arriving after the load belongs to the next checkpoint);
 * requests outside the zone mask are ORed back.  VALID is read after the
 * exchanges, so every request taken belongs to an object whose allocation
 * is visible.  Expired slots get S = 001 first and lose VALID last, with an
 * atomic AND-NOT, so an allocator that wins the slot sees a clean free
 * preset.  Reclamation is eager: it costs the sweep nothing extra (the word
 * function already computes it) and keeps the allocation fast path a
 * single atomic OR, where lazy reclamation would make every allocation
 * inspect S bits.  Spans never carved (span table 0) hold no objects and
 * are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/vgc_state.h>
#include "vgcu_int.h"
#include "vgc_sweep.h"

uint64_t vgcu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The counters live in locals until the end of the block: through b they
 * may alias the plane pointers, which would force a store and reload of
 * every counter for every word.
 */
static inline __attribute__((always_inline))
void sweep_block_body(struct vgc_sweep_block *b)
{
	struct vgc_sweep_counts c;
	__u64 hist[VGC_NR_STATES] = { 0 };
	unsigned int i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < b->n; i++) {
		struct vgc_sweep_in in = {
			.v = b->v[i], .s0 = b->s0[i], .s1 = b->s1[i],
			.s2 = b->s2[i], .a = b->a[i], .r = b->r[i],
			.p = b->p[i], .k = b->k[i], .promote = b->promote[i],
			.demote = b->demote[i], .z = b->z,
		};
		struct vgc_sweep_out o;

		vgc_sweep_word(&in, &o);
		vgc_sweep_count(&o, &c);
		vgc_state_hist_word(o.v, o.s0, o.s1, o.s2, hist);
		b->s0[i] = o.s0;
		b->s1[i] = o.s1;
		b->s2[i] = o.s2;
		b->r[i] = o.r_left;
		b->p[i] = o.p_left;
		b->k[i] = o.k_left;
		b->promote[i] = o.promote_left;
		b->demote[i] = o.demote_left;
		b->reclaimed[i] = o.reclaimed;
	}
	c.reclaimed_bytes = 0;
	vgc_core_counts_add(b->counts, &c);
	for (i = 0; i < VGC_NR_STATES; i++)
		b->hist[i] += hist[i];
}

__attribute__((flatten))
static void sweep_block_generic(struct vgc_sweep_block *b)
{
	sweep_block_body(b);
}

/*
 * The same code with the POPCNT instruction: without it every population
 * count is a libgcc call, which made the scalar sweep five times slower.
 */
__attribute__((target("popcnt"), flatten))
static void sweep_block_popcnt(struct vgc_sweep_block *b)
{
	sweep_block_body(b);
}

void vgcu_sweep_block_scalar(struct vgc_sweep_block *b)
{
	static int popcnt = -1;

	if (popcnt < 0) {
		__builtin_cpu_init();
		popcnt = __builtin_cpu_supports("popcnt") ? 1 : 0;
	}
	if (popcnt)
		sweep_block_popcnt(b);
	else
		sweep_block_generic(b);
}

static int vgcu_avx2_ok(void)
{
	static int ok = -1;

	if (ok < 0) {
		__builtin_cpu_init();
		ok = __builtin_cpu_supports("avx2") ? 1 : 0;
	}
	return ok;
}

enum vgc_sweep_impl vgc_sweep_default(void)
{
	const char *env = getenv("VGC_SWEEP");

	if (env && !strcmp(env, "scalar"))
		return VGC_SWEEP_SCALAR;
	if (env && !strcmp(env, "avx2") && vgcu_avx2_ok())
		return VGC_SWEEP_AVX2;
	return vgcu_avx2_ok() ? VGC_SWEEP_AVX2 : VGC_SWEEP_SCALAR;
}

const char *vgc_sweep_impl_name(enum vgc_sweep_impl impl)
{
	switch (impl) {
	case VGC_SWEEP_AUTO:
		return vgc_sweep_impl_name(vgc_sweep_default());
	case VGC_SWEEP_SCALAR:
		return "scalar";
	case VGC_SWEEP_AVX2:
		return "avx2";
	}
	return "unknown";
}

static int resolve_impl(enum vgc_sweep_impl *impl)
{
	if (*impl == VGC_SWEEP_AUTO)
		*impl = vgc_sweep_default();
	if (*impl == VGC_SWEEP_AVX2 && !vgcu_avx2_ok())
		return -EOPNOTSUPP;
	if (*impl != VGC_SWEEP_SCALAR && *impl != VGC_SWEEP_AVX2)
		return -EINVAL;
	return 0;
}

int vgc_sweep_block_run(enum vgc_sweep_impl impl, struct vgc_sweep_block *b)
{
	int err = resolve_impl(&impl);

	if (err)
		return err;
	if (impl == VGC_SWEEP_AVX2)
		vgcu_sweep_block_avx2(b);
	else
		vgcu_sweep_block_scalar(b);
	return 0;
}

/*
 * The lean sweep of the shared core (core/vgc_sweep.h), the loop vgc.ko
 * runs too, cloned here with POPCNT and BMI1 (ANDN): the generic build has
 * no POPCNT instruction and would call libgcc for every population count.
 */
__attribute__((target("popcnt,bmi"), flatten))
static void sweep_span_popcnt(__u64 *const *pl, __u64 span, __u32 cls,
			      struct vgc_sweep_counts *c, __u64 *hist)
{
	vgc_core_sweep_span_body(pl, span, cls, c, hist);
}

/* The same for a span with a summary: skipped when settled. */
__attribute__((target("popcnt,bmi"), flatten))
static bool sweep_span_sum_popcnt(__u64 *const *pl, struct vgc_span_sum *sums,
				  __u64 span, __u32 cls, __u32 flags,
				  struct vgc_sweep_counts *c, __u64 *hist)
{
	return vgc_core_sweep_span_sum_body(pl, sums, span, cls, flags, c,
					    hist);
}

typedef bool sweep_sum_fn_t(__u64 *const *, struct vgc_span_sum *, __u64,
			    __u32, __u32, struct vgc_sweep_counts *, __u64 *);

static int sweep_popcnt_ok(void)
{
	static int popcnt = -1;

	if (popcnt < 0) {
		__builtin_cpu_init();
		popcnt = __builtin_cpu_supports("popcnt") &&
			 __builtin_cpu_supports("bmi") ? 1 : 0;
	}
	return popcnt;
}

static void (*sweep_span_fn(void))(__u64 *const *, __u64, __u32,
				   struct vgc_sweep_counts *, __u64 *)
{
	return sweep_popcnt_ok() ? sweep_span_popcnt : vgc_core_sweep_span;
}

static sweep_sum_fn_t *sweep_span_sum_fn(void)
{
	return sweep_popcnt_ok() ? sweep_span_sum_popcnt :
				   vgc_core_sweep_span_sum;
}

int vgcu_sweep_region(struct vgc_arena *a, unsigned int zone,
		      unsigned int part, unsigned int gens,
		      enum vgc_sweep_impl impl, unsigned int flags,
		      struct vgc_sweep_counts *c,
		      struct vgc_region_stats *rs)
{
	const struct vgc_region *r = &a->regions[zone * a->nr_parts + part];
	void (*fn)(__u64 *const *, __u64, __u32, struct vgc_sweep_counts *,
		   __u64 *) = sweep_span_fn();
	sweep_sum_fn_t *sfn = sweep_span_sum_fn();
	__u32 sf = flags & VGC_CKPT_F_FULL ? VGC_CORE_SWEEP_FULL : 0;
	__u64 *const *pl = (__u64 *const *)a->planes;
	unsigned int g;
	int err = resolve_impl(&impl);

	/*
	 * impl chose the block function of the old sweep; checkpoints now
	 * run the core's lean sweep whatever it says (the block functions
	 * remain, for vgc_sweep_block_run()).
	 */
	if (err)
		return err;
	for (g = 0; g < VGC_NR_GENS; g++) {
		uint64_t f = r->gen_first[g] >> VGCU_SPAN_SHIFT_G;
		uint64_t n = r->gen_granules[g] >> VGCU_SPAN_SHIFT_G;
		__u64 hist[VGC_NR_STATES] = { 0 };
		bool tail = false;
		uint64_t s;

		if (!(gens & (1U << g)))
			continue;
		for (s = f; s < f + n; s++) {
			uint16_t cls = vgcu_load(&a->spans[s]);
			__u64 reclaimed = c->reclaimed;

			/*
			 * Nothing lives there; counted as evaluated so that
			 * the counts equal the kernel's, which reads them.
			 */
			if (cls == VGC_SPAN_FREE || cls > VGC_SPAN_GRANULES) {
				c->words += VGCU_WORDS_PER_SPAN;
				vgc_core_large_tail(cls, 0, &tail, c);
				continue;
			}
			/* the histogram only when asked: for the ctrl page */
			if (a->sums)
				sfn(pl, a->sums, s, cls, sf, c,
				    rs ? hist : NULL);
			else
				fn(pl, s, cls, c, rs ? hist : NULL);
			/* a large object's run counts whole */
			vgc_core_large_tail(cls, c->reclaimed - reclaimed,
					    &tail, c);
		}
		if (rs)
			memcpy(rs->states[g], hist, sizeof(hist));
	}
	return 0;
}

int vgc_sweep_partition(struct vgc_arena *a, unsigned int partition,
			unsigned int zones, unsigned int gens,
			enum vgc_sweep_impl impl,
			struct vgc_sweep_counts *counts)
{
	struct vgc_sweep_counts c;
	unsigned int z;
	int err = resolve_impl(&impl);

	if (err)
		return err;
	if (partition >= a->nr_parts)
		return -ERANGE;
	if (zones >= (1U << VGC_NR_ZONES) || gens >= (1U << VGC_NR_GENS))
		return -EINVAL;
	if (!zones)
		zones = (1U << VGC_NR_ZONES) - 1;
	if (!gens)
		gens = (1U << VGC_NR_GENS) - 1;
	memset(&c, 0, sizeof(c));
	vgcu_part_lock(a, partition);
	for (z = 0; z < VGC_NR_ZONES; z++)
		if ((zones & (1U << z)) &&
		    vgcu_region(a, z, partition)->committed_granules)
			vgcu_sweep_region(a, z, partition, gens, impl, 0,
					  &c, NULL);
	/* allocators that found their spans full look again */
	__atomic_fetch_add(&a->lib_sweeps, 1, __ATOMIC_RELEASE);
	vgcu_part_unlock(a, partition);
	if (counts)
		*counts = c;
	return 0;
}
