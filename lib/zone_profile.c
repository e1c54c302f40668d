// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The zone profile of an arena: attach and detach, its policy, the policy
 * hooks it hangs on the arena (sampling before every checkpoint, release
 * at close; VGC_ARENA_F_PROFILE), the features the runtime reports
 * (fan-in, weight) and statistics.  See zone_profile_int.h for the other
 * files of the profiler.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include "zone_profile_int.h"

static const struct vgcu_policy_ops prof_ops;

/* The profile hung on the arena, or NULL. */
struct zprof *vgcu_zprof_of(const struct vgc_arena *a)
{
	return vgcu_policy_priv(a, &prof_ops);
}

void vgcu_zprof_pol_apply(struct zprof *p, const struct vgc_zone_policy *pol)
{
	p->pol = *pol;
	p->alpha_q = (uint32_t)lrint(pol->ema_alpha * 65536.0);
	if (!p->alpha_q)
		p->alpha_q = 1;
}

/* The tables of struct zprof, in bytes, for vgcu_meta_alloc()/_free(). */
static size_t ent_bytes(const struct zprof *p)
{
	return p->nwords * 64 * sizeof(struct pent);
}

static size_t word_bytes(const struct zprof *p, size_t each)
{
	return (p->nwords ? p->nwords : 1) * each;
}

static size_t seen_bytes(const struct zprof *p)
{
	return (p->nspans ? p->nspans : 1) * sizeof(uint16_t);
}

/* Frees what vgc_profile_attach() allocated (any part may be missing). */
static void prof_free(struct zprof *p)
{
	vgcu_meta_free(p->ent, ent_bytes(p));
	vgcu_meta_free(p->pend, word_bytes(p, sizeof(uint64_t)));
	vgcu_meta_free(p->vshadow, word_bytes(p, sizeof(uint64_t)));
	vgcu_meta_free(p->quiet, word_bytes(p, sizeof(struct quiet)));
	vgcu_meta_free(p->seen, seen_bytes(p));
	vgcu_meta_free(p, sizeof(*p));
}

VGCU_API int vgc_profile_attach(struct vgc_arena *a,
				const struct vgc_zone_policy *pol)
{
	struct vgc_zone_policy def;
	struct zprof *p;
	int ret;

	if (!a)
		return -EINVAL;
	if (!pol) {
		vgc_zone_policy_init(&def);
		pol = &def;
	}
	if (vgc_zone_policy_check(pol))
		return -EINVAL;
	vgcu_zprof_sample_init();
	p = vgcu_meta_alloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->a = a;
	pthread_mutex_init(&p->lock, NULL);
	vgcu_zprof_pol_apply(p, pol);
	/*
	 * Tables of the whole index space, reserved only: pages appear
	 * where the committed spans' objects live (total_granules is a
	 * multiple of the span, so of 64).
	 */
	p->nwords = a->total_granules >> 6;
	p->nspans = a->nr_spans;
	p->ent = vgcu_meta_alloc(ent_bytes(p));
	p->pend = vgcu_meta_alloc(word_bytes(p, sizeof(uint64_t)));
	p->vshadow = vgcu_meta_alloc(word_bytes(p, sizeof(uint64_t)));
	p->quiet = vgcu_meta_alloc(word_bytes(p, sizeof(struct quiet)));
	p->seen = vgcu_meta_alloc(seen_bytes(p));
	if (!p->ent || !p->pend || !p->vshadow || !p->quiet || !p->seen) {
		prof_free(p);
		return -ENOMEM;
	}
	p->st.bytes = ent_bytes(p) +
		      word_bytes(p, 2 * sizeof(uint64_t) + sizeof(struct quiet)) +
		      seen_bytes(p) + sizeof(*p);

	ret = vgcu_policy_attach(a, &prof_ops, p);
	if (ret)
		prof_free(p);
	return ret;
}

/*
 * The close hook, and detach: the profile is unhooked already.  Access
 * bits the sweep has not seen yet go back to it, in the spans they were
 * taken from (a span that changed since has its access bits reset).
 */
static void prof_close(struct vgc_arena *a, void *priv)
{
	struct zprof *p = priv;
	unsigned int i, k;
	uint64_t s, n;

	for (i = 0; i < a->layout.nr_regions; i++) {
		const struct vgc_region *r = &a->regions[i];

		s = r->first_granule >> VGCU_SPAN_SHIFT_G;
		n = vgcu_load(&r->committed_granules) >> VGCU_SPAN_SHIFT_G;
		for (; n--; s++) {
			uint16_t c = vgcu_load(&a->spans[s]);
			uint64_t w = s * VGCU_WORDS_PER_SPAN;
			bool any = false;

			if (c == VGC_SPAN_FREE || c > VGC_SPAN_GRANULES ||
			    c != p->seen[s])
				continue;
			/* access bits the sweep has not seen yet go back to it */
			for (k = 0; k < VGCU_WORDS_PER_SPAN; k++)
				if (p->pend[w + k]) {
					__atomic_fetch_or(&a->planes[VGC_PLANE_ACCESS][w + k],
							  p->pend[w + k],
							  __ATOMIC_SEQ_CST);
					any = true;
				}
			if (any)
				vgc_core_note(a->sums, s << VGCU_SPAN_SHIFT_G);
		}
	}
	pthread_mutex_destroy(&p->lock);
	prof_free(p);
}

VGCU_API int vgc_profile_detach(struct vgc_arena *a)
{
	struct zprof *p = a ? vgcu_policy_detach(a, &prof_ops) : NULL;

	if (!p)
		return -ENOENT;
	prof_close(a, p);
	return 0;
}

VGCU_API int vgc_profile_set_policy(struct vgc_arena *a,
				    const struct vgc_zone_policy *pol)
{
	struct zprof *p = vgcu_zprof_of(a);

	if (!p)
		return -ENOENT;
	if (vgc_zone_policy_check(pol))
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	vgcu_zprof_pol_apply(p, pol);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

VGCU_API int vgc_profile_get_policy(struct vgc_arena *a,
				    struct vgc_zone_policy *pol)
{
	struct zprof *p = vgcu_zprof_of(a);

	if (!p || !pol)
		return p ? -EINVAL : -ENOENT;
	pthread_mutex_lock(&p->lock);
	*pol = p->pol;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* ---- policy hooks ------------------------------------------------------- */

static void prof_before_checkpoint(struct vgc_arena *a, void *priv,
				   const struct vgc_ckpt_opts *o)
{
	(void)priv;
	vgcu_zprof_sample(a, o->flags, o->partition_mask);
}

static const struct vgcu_policy_ops prof_ops = {
	.name = "zone_profile",
	.before_checkpoint = prof_before_checkpoint,
	.close = prof_close,
};

/*
 * VGC_ARENA_F_PROFILE: a stand-in hook attaches the profile with the
 * default policy at the arena's first checkpoint, unless the runtime
 * attached one (with its own policy) before, then unhooks itself.  A
 * failed attach (-ENOMEM) is retried at the next checkpoint.
 */
static const struct vgcu_policy_ops prof_auto_ops;

static void prof_auto_before_checkpoint(struct vgc_arena *a, void *priv,
					const struct vgc_ckpt_opts *o)
{
	(void)priv;
	if (vgc_profile_attach(a, NULL) == -ENOMEM)
		return;
	vgcu_policy_detach(a, &prof_auto_ops);
	/* the profile's own hook may sit in an earlier slot: sample now
	 * (once per checkpoint, so a second call does nothing) */
	vgcu_zprof_sample(a, o->flags, o->partition_mask);
}

static const struct vgcu_policy_ops prof_auto_ops = {
	.name = "zone_profile_auto",
	.before_checkpoint = prof_auto_before_checkpoint,
};

int vgcu_profile_auto(struct vgc_arena *a)
{
	return vgcu_policy_attach(a, &prof_auto_ops, NULL);
}

/*
 * The entry of the live object at index idx (gran granules), under
 * p->lock.  An object the sampler has not met yet (or met in a span that
 * was re-carved since) is initialised here and marked seen, so that what
 * the runtime reports before the first checkpoint survives it.
 */
struct pent *vgcu_zprof_ent_at(struct zprof *p, uint64_t idx,
			       unsigned int gran)
{
	struct pent *e = &p->ent[idx];

	vgcu_zprof_span_sync(p, idx >> VGCU_SPAN_SHIFT_G);
	vgcu_zprof_quiet_wake(p, idx >> 6);
	if (!(p->vshadow[idx >> 6] & (1ULL << (idx & 63)))) {
		vgcu_zprof_ent_init(p, e, gran);
		p->vshadow[idx >> 6] |= 1ULL << (idx & 63);
	}
	return e;
}

static struct pent *ent_of(struct zprof *p, const void *ptr)
{
	struct vgc_objinfo oi;

	if (vgc_locate(p->a, ptr, &oi) < 0 || !oi.valid ||
	    (const char *)ptr != p->a->data + (oi.index << VGC_GRANULE_SHIFT))
		return NULL;
	return vgcu_zprof_ent_at(p, oi.index,
				 (unsigned int)(oi.size >> VGC_GRANULE_SHIFT));
}

VGCU_API int vgc_profile_fanin(struct vgc_arena *a, const void *ptr,
			       unsigned int fanin)
{
	struct zprof *p = vgcu_zprof_of(a);
	struct pent *e;

	if (!p)
		return -ENOENT;
	pthread_mutex_lock(&p->lock);
	e = ent_of(p, ptr);
	if (e)
		__atomic_store_n(&e->phi, (uint8_t)(fanin > 255 ? 255 : fanin),
				 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&p->lock);
	return e ? 0 : -EINVAL;
}

VGCU_API int vgc_profile_weight(struct vgc_arena *a, const void *ptr,
				double kappa)
{
	struct zprof *p = vgcu_zprof_of(a);
	struct pent *e;
	long k;

	if (!p)
		return -ENOENT;
	if (!isfinite(kappa) || kappa < 0.0)
		return -EINVAL;
	k = lrint(kappa * KAPPA_ONE);
	if (k > KAPPA_MAX)
		k = KAPPA_MAX;
	pthread_mutex_lock(&p->lock);
	e = ent_of(p, ptr);
	if (e)
		e->meta = (uint8_t)((e->meta & ~KAPPA_MAX) | k);
	pthread_mutex_unlock(&p->lock);
	return e ? 0 : -EINVAL;
}

VGCU_API int vgc_profile_features(struct vgc_arena *a, const void *ptr,
				  struct vgc_features *out, int *decided)
{
	struct zprof *p = vgcu_zprof_of(a);
	struct vgc_objinfo oi;
	struct pent *e;

	if (!p)
		return -ENOENT;
	if (!out || vgc_locate(a, ptr, &oi) < 0)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	e = ent_of(p, ptr);
	if (!e) {
		pthread_mutex_unlock(&p->lock);
		return -EINVAL;
	}
	vgcu_zprof_ent_features(p, e, (unsigned int)(oi.size / VGC_GRANULE_SIZE),
				out);
	if (decided)
		*decided = (e->meta >> 6) == TARGET_NONE ? -1 : e->meta >> 6;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

VGCU_API int vgc_profile_stats(struct vgc_arena *a,
			       struct vgc_profile_stats *st)
{
	struct zprof *p = vgcu_zprof_of(a);

	if (!p || !st)
		return p ? -EINVAL : -ENOENT;
	pthread_mutex_lock(&p->lock);
	*st = p->st;
	pthread_mutex_unlock(&p->lock);
	return 0;
}
