/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgcu zone intelligence: per-object profiling, the Red/Green/Blue
 * decision of docs/design.md, Zones, the cost and pause model with its
 * non-negative least-squares fit, promotion/demotion candidates and
 * re-homing (expire + reallocate), and the Passive VGC static hint.
 *
 * The pure parts (vgc_zone_policy_*, vgc_zone_decide, vgc_zone_cost,
 * vgc_nnls, vgc_zone_fit_records) need no arena.  Profiling is attached to
 * an arena with vgc_profile_attach() and costs memory only then (see
 * docs/zones.md for the bound).
 */
#ifndef VGCU_ZONE_H
#define VGCU_ZONE_H

#include <stddef.h>
#include <stdint.h>
#include <vgcu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- features and policy ------------------------------------------------ */

/*
 * Measured features of one object.  Rates are per checkpoint window:
 * a = fraction of windows in which the object was accessed, mu = fraction
 * of windows in which it was mutated (both EMA-smoothed, in [0, 1]).
 */
struct vgc_features {
	double lambda;	/* allocation rate of its size class, objects/window */
	double tau;	/* lifetime so far, windows */
	double mu;	/* mutation rate */
	double a;	/* access rate */
	double s;	/* size, bytes */
	double phi;	/* fan-in (inbound references), reported by the runtime */
	double kappa;	/* cost weight, dimensionless (1 = ordinary) */
};

/* Thresholds; monotone separation: thA_B < thA_G and thM_B < thM_G. */
struct vgc_zone_thresholds {
	double thA_B, thA_G;
	double thM_B, thM_G;
};

/* Per-zone cost parameters, all >= 0. */
struct vgc_zone_params {
	double alpha;	/* per unit of f_mark */
	double beta;	/* per unit of f_scan */
	double gamma;	/* per unit of f_stage */
	double rho;	/* stop-the-world fraction of the zone's work, [0, 1] */
	double w;	/* policy multiplier / cost weight, > 0 */
};

struct vgc_zone_policy {
	struct vgc_zone_thresholds th;
	struct vgc_zone_params zp[VGC_NR_ZONES];
	double ema_alpha;		/* EMA weight of a new sample, (0, 1] */
	unsigned int classify_every;	/* classify every n-th sample, >= 1 */
	/*
	 * 1: act on every decision; 2: act only when two consecutive
	 * classifications agree (damps EMA transients into one re-home).
	 */
	unsigned int confirm;
};

/**
 * vgc_zone_policy_init() - fill a policy with the defaults
 * @p: the policy
 *
 * Thresholds 0.2/0.6/0.2/0.6, the cost priors, ema_alpha 0.25,
 * classify_every 1, confirm 2: the defaults documented in docs/zones.md.
 */
void vgc_zone_policy_init(struct vgc_zone_policy *p);
/**
 * vgc_zone_policy_check() - validate a policy
 * @p: the policy
 *
 * Return: 0, or -EINVAL: @p NULL, thresholds not monotone-separated or not
 * finite, a negative or non-finite parameter, rho outside [0, 1], w <= 0,
 * ema_alpha outside (0, 1], classify_every == 0, confirm not 1 or 2.
 */
int vgc_zone_policy_check(const struct vgc_zone_policy *p);

/* Feature functions of the cost model (docs/design.md, Zones). */
struct vgc_cost_features {
	double f_mark, f_scan, f_stage;
};
/**
 * vgc_zone_features() - the cost model's feature functions of an object
 * @x: the object's features
 * @out: receives f_mark = kappa (1 + a), f_scan = phi + (s / 16) / 64 and
 *	f_stage = (s / 16 + phi) (mu + 1 / max(tau, 1))
 */
void vgc_zone_features(const struct vgc_features *x,
		       struct vgc_cost_features *out);

/**
 * vgc_zone_cost() - the cost of an object in a zone
 * @p: the policy (its zone parameters)
 * @z: the zone
 * @x: the object's features
 *
 * Return: C_z(x) = alpha_z f_mark + beta_z f_scan + gamma_z f_stage, or
 * NaN for a zone out of range.
 */
double vgc_zone_cost(const struct vgc_zone_policy *p, enum vgc_zone z,
		     const struct vgc_features *x);

/**
 * vgc_zone_eligible() - the zones an object is eligible for
 * @p: the policy (its thresholds)
 * @x: the object's features
 *
 * Return: bit (1 << zone) for each eligible zone: Green a > thA_G; Blue
 * a >= thA_B or mu >= thM_B.  Red is never "eligible": it is the
 * empty-set case.
 */
unsigned int vgc_zone_eligible(const struct vgc_zone_policy *p,
			       const struct vgc_features *x);

/**
 * vgc_zone_decide() - the zone an object belongs in
 * @p: the policy
 * @x: the object's features, all finite and >= 0
 *
 * Arg-min cost over the eligible zones, Red when none is.  Equal costs go
 * to the zone with the lower w, then the lower zone number.
 *
 * Return: enum vgc_zone, or -EINVAL for @p or @x NULL or a negative or
 * non-finite feature.
 */
int vgc_zone_decide(const struct vgc_zone_policy *p,
		    const struct vgc_features *x);

/**
 * vgc_zone_pause() - expected pause of a zone per checkpoint
 * @p: the policy
 * @z: the zone
 * @sum_cost: sum_x C_z(x) over the zone's objects
 *
 * Return: P_z = rho_z * @sum_cost, or NaN for a zone out of range.
 */
double vgc_zone_pause(const struct vgc_zone_policy *p, enum vgc_zone z,
		      double sum_cost);
/**
 * vgc_zone_thread_share() - threads per zone
 * @p: the policy (its weights w)
 * @pause: P_z of each zone, finite and >= 0
 * @threads: T, the threads to share out
 * @share: receives T_z
 *
 * T_z = T * w_z P_z / sum(w P), rounded to whole threads summing to T
 * (largest remainder; ties toward the lower zone).  All P zero: T spread
 * by w alone.
 *
 * Return: 0, or -EINVAL for a NULL argument or a negative or non-finite
 * pause.
 */
int vgc_zone_thread_share(const struct vgc_zone_policy *p,
			  const double pause[VGC_NR_ZONES],
			  unsigned int threads,
			  unsigned int share[VGC_NR_ZONES]);

/* ---- non-negative least squares --------------------------------------- */

#define VGC_NNLS_MAX_N	16
/**
 * vgc_nnls() - non-negative least squares
 * @A: m x n matrix, row-major
 * @b: m right-hand sides
 * @m: rows, >= 1
 * @n: columns, 1..%VGC_NNLS_MAX_N
 * @x: receives the n coefficients
 * @resid: may be NULL; receives ||A x - b||_2
 *
 * min ||A x - b||_2 subject to x >= 0 (Lawson-Hanson active set).  Columns
 * are scaled to unit norm before solving and the solution scaled back, so
 * features of very different magnitudes fit as well as similar ones.  Zero
 * columns get 0.
 *
 * Return: 0; -EINVAL for a NULL pointer, m or n out of range or a
 * non-finite entry; -ENOMEM; or -ERANGE when the iteration limit (3n + 30
 * outer steps) is hit, @x then holding the last feasible iterate (still
 * non-negative).
 */
int vgc_nnls(const double *A, const double *b, size_t m, size_t n,
	     double *x, double *resid);

/* One per-checkpoint profiling record of one zone. */
struct vgc_zone_record {
	unsigned int zone;
	unsigned int pad;
	double f_mark, f_scan, f_stage;	/* summed over evaluated objects */
	double t_ns;			/* measured sweep + classification */
};

/**
 * vgc_zone_fit_records() - fit the cost parameters to profiling records
 * @p: the policy whose alpha, beta, gamma are fitted
 * @rec: the records
 * @n: number of records
 *
 * Fits alpha, beta, gamma of every zone with at least 3 records by NNLS
 * (t_ns = alpha F_mark + beta F_scan + gamma F_stage); zones with fewer
 * records keep their parameters.  Units of the fitted parameters: ns per
 * feature unit.  A fit that hits the iteration limit is still applied.
 *
 * Return: the number of zones fitted, or -EINVAL (@p NULL, @rec NULL with
 * @n > 0, non-finite records), -ENOMEM.
 */
int vgc_zone_fit_records(struct vgc_zone_policy *p,
			 const struct vgc_zone_record *rec, size_t n);

/* ---- profiling ---------------------------------------------------------- */

/**
 * vgc_profile_attach() - attach a zone profile to an arena
 * @a: the arena
 * @p: the policy, or NULL for vgc_zone_policy_init()'s defaults
 *
 * The profile hangs on the arena's policy hooks and samples before every
 * checkpoint.  vgc_arena_close() detaches it.  An arena opened with
 * %VGC_ARENA_F_PROFILE gets a profile with the default policy at its first
 * checkpoint when none was attached before: attach before that checkpoint
 * to choose the policy, or change it later with vgc_profile_set_policy().
 *
 * Return: 0; -EINVAL for @a NULL or a bad policy; -ENOMEM; -EBUSY on a
 * second attach (one profile per arena).
 */
int vgc_profile_attach(struct vgc_arena *a, const struct vgc_zone_policy *p);
/**
 * vgc_profile_detach() - detach and free an arena's profile
 * @a: the arena
 *
 * Access bits the sweep has not seen yet are given back to it.  Detach
 * only while no other thread of the program uses the arena; a background
 * driver (vgc_driver_start()) is waited for: detach returns after its
 * checkpoint in flight, and its next one no longer samples the profile.
 *
 * Return: 0, or -ENOENT when no profile is attached.
 */
int vgc_profile_detach(struct vgc_arena *a);
/**
 * vgc_profile_set_policy() - replace the profile's policy
 * @a: the arena
 * @p: the new policy
 *
 * Return: 0, -ENOENT when no profile is attached, -EINVAL for a bad policy.
 */
int vgc_profile_set_policy(struct vgc_arena *a,
			   const struct vgc_zone_policy *p);
/**
 * vgc_profile_get_policy() - read the profile's policy
 * @a: the arena
 * @p: receives the policy (fitted parameters included)
 *
 * Return: 0, -ENOENT when no profile is attached, -EINVAL for @p NULL.
 */
int vgc_profile_get_policy(struct vgc_arena *a, struct vgc_zone_policy *p);

/**
 * vgc_profile_sample() - sample the profile for the coming checkpoint
 * @a: the arena
 * @flags: the %VGC_CKPT_F_* flags the checkpoint will run with
 *
 * Samples ACCESS and MUTATE for the checkpoint about to run, updates the
 * EMAs and, every classify_every-th sample, decides zones and files
 * PROMOTE/DEMOTE requests that the sweep applies.  The sweep still sees
 * every access since its last evaluation of a word.  Idempotent per
 * checkpoint number: a second call before the checkpoint completes does
 * nothing.  vgc_checkpoint() calls it itself.
 *
 * Return: 0, also when no profile is attached.
 */
int vgc_profile_sample(struct vgc_arena *a, unsigned int flags);
/**
 * vgc_profile_sample_mask() - vgc_profile_sample() for some partitions
 * @a: the arena
 * @flags: the %VGC_CKPT_F_* flags the checkpoint will run with
 * @partition_mask: the partitions it will sweep, 0 = all
 *
 * Return: 0, also when no profile is attached.
 */
int vgc_profile_sample_mask(struct vgc_arena *a, unsigned int flags,
			    uint64_t partition_mask);
/**
 * vgc_zone_checkpoint() - a checkpoint that also records its cost
 * @a: the arena
 * @o: as vgc_checkpoint()'s opts
 * @result: as vgc_checkpoint()'s result
 *
 * vgc_checkpoint() (which samples first when a profile is attached) plus a
 * profiling record per swept zone: the zone's sweep time and its share of
 * the sampling time against its summed feature functions.  Without a
 * profile it is vgc_checkpoint().
 *
 * Return: what vgc_checkpoint() returns.
 */
int vgc_zone_checkpoint(struct vgc_arena *a, const struct vgc_ckpt_opts *o,
			struct vgc_checkpoint *result);

/**
 * vgc_profile_fanin() - report an object's fan-in
 * @a: the arena
 * @p: the object's head address
 * @fanin: inbound references (saturates at 255)
 *
 * Return: 0, -ENOENT when no profile is attached, -EINVAL when @p is not
 * the head of a live object.
 */
int vgc_profile_fanin(struct vgc_arena *a, const void *p, unsigned int fanin);
/**
 * vgc_profile_weight() - report an object's cost weight
 * @a: the arena
 * @p: the object's head address
 * @kappa: the weight, >= 0; stored in steps of 1/8, saturating at 7.875
 *
 * Return: 0, -ENOENT when no profile is attached, -EINVAL for a negative
 * or non-finite @kappa or when @p is not the head of a live object.
 */
int vgc_profile_weight(struct vgc_arena *a, const void *p, double kappa);
/**
 * vgc_profile_features() - an object's profiled features
 * @a: the arena
 * @p: the object's head address
 * @out: receives the features
 * @decided: may be NULL; receives the zone last decided for it, -1 when
 *	none
 *
 * Return: 0, -ENOENT when no profile is attached, -EINVAL for @out NULL or
 * when @p is not the head of a live object.
 */
int vgc_profile_features(struct vgc_arena *a, const void *p,
			 struct vgc_features *out, int *decided);

struct vgc_profile_stats {
	uint64_t samples;		/* vgc_profile_sample calls that ran */
	uint64_t classified;		/* objects decided, all samples */
	uint64_t requested[VGC_NR_ZONES]; /* candidate requests, by target */
	uint64_t sample_ns;		/* total time in sampling */
	uint64_t classify_ns;		/* of which deciding */
	uint64_t last_sample_ns;
	uint64_t records;		/* profiling records kept */
	uint64_t bytes;			/* memory reserved by the profile */
	uint64_t settled_words;		/* skipped whole at the last sample */
};
/**
 * vgc_profile_stats() - the profile's counters
 * @a: the arena
 * @st: receives them
 *
 * Return: 0, -ENOENT when no profile is attached, -EINVAL for @st NULL.
 */
int vgc_profile_stats(struct vgc_arena *a, struct vgc_profile_stats *st);
/**
 * vgc_profile_records() - the most recent profiling records
 * @a: the arena
 * @out: receives up to @cap records, oldest first
 * @cap: room at @out (at most 4096 records are kept)
 *
 * Return: the number copied, -ENOENT when no profile is attached, -EINVAL
 * for @out NULL with @cap > 0.
 */
int vgc_profile_records(struct vgc_arena *a, struct vgc_zone_record *out,
			size_t cap);
/**
 * vgc_profile_fit() - fit the profile's policy to its records
 * @a: the arena
 *
 * vgc_zone_fit_records() over the kept records, into the profile's policy.
 *
 * Return: the number of zones fitted, -ENOENT when no profile is attached,
 * or an error of vgc_zone_fit_records() (-EINVAL, -ENOMEM).
 */
int vgc_profile_fit(struct vgc_arena *a);

/* ---- candidates and re-homing ----------------------------------------- */

struct vgc_candidate {
	void *ptr;
	uint64_t index;
	unsigned int state;		/* VGC_ST_PROMOTE or VGC_ST_DEMOTE */
	unsigned int from_zone, to_zone;
	unsigned int gen;
	size_t size;			/* size class, bytes */
};

/**
 * vgc_rehome_candidates() - list promotion and demotion candidates
 * @a: the arena
 * @out: receives up to @cap candidates
 * @cap: room at @out
 * @cursor: object index to start from (start with 0); advanced for the
 *	next call
 *
 * Lists 010/011 objects not yet re-homed or declined (no release, keep or
 * pin pending).  Without a profile the target is the next zone up
 * (promote: Red -> Blue -> Green) or down.
 *
 * Return: the number written (0: none left), or -EINVAL for @out or
 * @cursor NULL.
 */
int vgc_rehome_candidates(struct vgc_arena *a, struct vgc_candidate *out,
			  size_t cap, uint64_t *cursor);
/**
 * vgc_rehome() - re-home one candidate to its target zone
 * @a: the arena
 * @p: a pointer into a 010/011 object
 *
 * Allocates in the target zone (same generation, calling thread's
 * partition), copies the size class, carries the profile over and releases
 * the old copy through the grace-period path.  A candidate with nowhere to
 * go (promote in Green, demote in Red) is declined with vgc_keep() and
 * stays where it is.
 *
 * Return: the new address (the runtime updates its references), @p when
 * declined, or NULL with errno: EINVAL not a candidate, ENOMEM target full
 * (the old copy is untouched), or the errno of the release.
 */
void *vgc_rehome(struct vgc_arena *a, void *p);
/**
 * vgc_rehome_to() - re-home an object to an explicit zone
 * @a: the arena
 * @p: the head address of a live open object (000, 001, 010 or 011)
 * @zone: the target zone
 *
 * Return: the new address, or NULL with errno as vgc_rehome() (EINVAL also
 * for a bad zone or an interior pointer).
 */
void *vgc_rehome_to(struct vgc_arena *a, void *p, enum vgc_zone zone);

/* ---- Passive VGC --------------------------------------------------------- */

/**
 * vgc_alloc_static() - a static allocation declared at startup
 * @a: the arena
 * @size: bytes
 * @zone: enum vgc_zone
 *
 * vgc_alloc_gen() in Gen2 with %VGC_ALLOC_F_PERSISTENT: Persistent from
 * the first checkpoint that evaluates Gen2, never reclaimed.
 *
 * Return: the object, or NULL with errno as vgc_alloc_gen().
 */
void *vgc_alloc_static(struct vgc_arena *a, size_t size, enum vgc_zone zone);

#ifdef __cplusplus
}
#endif

#endif /* VGCU_ZONE_H */
