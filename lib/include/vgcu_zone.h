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

/* Defaults documented in docs/zones.md. */
void vgc_zone_policy_init(struct vgc_zone_policy *p);
/*
 * 0, or -EINVAL: thresholds not monotone-separated or not finite, a
 * negative or non-finite parameter, rho outside [0, 1], w <= 0, ema_alpha
 * outside (0, 1], classify_every == 0, confirm not 1 or 2.
 */
int vgc_zone_policy_check(const struct vgc_zone_policy *p);

/* Feature functions of the cost model (docs/design.md, Zones). */
struct vgc_cost_features {
	double f_mark, f_scan, f_stage;
};
void vgc_zone_features(const struct vgc_features *x,
		       struct vgc_cost_features *out);

/* C_z(x) = alpha_z f_mark + beta_z f_scan + gamma_z f_stage. */
double vgc_zone_cost(const struct vgc_zone_policy *p, enum vgc_zone z,
		     const struct vgc_features *x);

/* Bit (1 << zone) for each eligible zone: Green a > thA_G; Blue a >= thA_B
 * or mu >= thM_B.  Red is never "eligible": it is the empty-set case. */
unsigned int vgc_zone_eligible(const struct vgc_zone_policy *p,
			       const struct vgc_features *x);

/*
 * The decided zone: arg-min cost over the eligible zones, Red when none
 * is.  Equal costs go to the zone with the lower w, then the lower zone
 * number.  Returns enum vgc_zone, or -EINVAL for a bad policy/feature.
 */
int vgc_zone_decide(const struct vgc_zone_policy *p,
		    const struct vgc_features *x);

/* P_z = rho_z * sum_x C_z(x), given the summed cost. */
double vgc_zone_pause(const struct vgc_zone_policy *p, enum vgc_zone z,
		      double sum_cost);
/*
 * T_z = T * w_z P_z / sum(w P), rounded to whole threads summing to T
 * (largest remainder; ties toward the lower zone).  All P zero: T spread
 * by w alone.
 */
int vgc_zone_thread_share(const struct vgc_zone_policy *p,
			  const double pause[VGC_NR_ZONES],
			  unsigned int threads,
			  unsigned int share[VGC_NR_ZONES]);

/* ---- non-negative least squares --------------------------------------- */

/*
 * min ||A x - b||_2 subject to x >= 0 (Lawson-Hanson active set).  A is
 * m x n row-major, n <= VGC_NNLS_MAX_N, m >= 1.  Columns are scaled to unit
 * norm before solving and the solution scaled back, so features of very
 * different magnitudes fit as well as similar ones.  Zero columns get 0.
 * *resid (may be NULL) receives ||A x - b||_2.  0, -EINVAL, -ENOMEM, or
 * -ERANGE when the iteration limit (3n + 30 outer steps) is hit; x then
 * holds the last feasible iterate (still non-negative).
 */
#define VGC_NNLS_MAX_N	16
int vgc_nnls(const double *A, const double *b, size_t m, size_t n,
	     double *x, double *resid);

/* One per-checkpoint profiling record of one zone. */
struct vgc_zone_record {
	unsigned int zone;
	unsigned int pad;
	double f_mark, f_scan, f_stage;	/* summed over evaluated objects */
	double t_ns;			/* measured sweep + classification */
};

/*
 * Fits alpha, beta, gamma of every zone with at least 3 records by NNLS
 * (t_ns = alpha F_mark + beta F_scan + gamma F_stage); zones with fewer
 * records keep their parameters.  Units of the fitted parameters: ns per
 * feature unit.  Returns the number of zones fitted.
 */
int vgc_zone_fit_records(struct vgc_zone_policy *p,
			 const struct vgc_zone_record *rec, size_t n);

/* ---- profiling ---------------------------------------------------------- */

/*
 * Attaches a profile to the arena (the runtime opened it with
 * VGC_ARENA_F_PROFILE).  One profile per arena: -EBUSY on a second attach,
 * -EINVAL for a bad policy, -ENOMEM, -ENOSPC past 64 profiled arenas.
 * vgc_arena_close() detaches it.  Detach only while no other thread uses
 * the arena.
 */
int vgc_profile_attach(struct vgc_arena *a, const struct vgc_zone_policy *p);
int vgc_profile_detach(struct vgc_arena *a);
int vgc_profile_set_policy(struct vgc_arena *a,
			   const struct vgc_zone_policy *p);
int vgc_profile_get_policy(struct vgc_arena *a, struct vgc_zone_policy *p);

/*
 * Samples ACCESS and MUTATE for the checkpoint about to run (flags: the
 * VGC_CKPT_F_* it will run with), updates the EMAs and, every
 * classify_every-th sample, decides zones and files PROMOTE/DEMOTE
 * requests that the sweep applies.  The sweep still sees every access
 * since its last evaluation of a word.  Idempotent per checkpoint number:
 * a second call before the checkpoint completes does nothing.  0 when no
 * profile is attached.
 */
int vgc_profile_sample(struct vgc_arena *a, unsigned int flags);
/* The same for a checkpoint of some partitions only (0: all). */
int vgc_profile_sample_mask(struct vgc_arena *a, unsigned int flags,
			    uint64_t partition_mask);
/*
 * vgc_checkpoint (which samples first when a profile is attached) plus a
 * profiling record per swept zone: the zone's sweep time and its share of
 * the sampling time against its summed feature functions.
 */
int vgc_zone_checkpoint(struct vgc_arena *a, const struct vgc_ckpt_opts *o,
			struct vgc_checkpoint *result);

/* Runtime-reported features (saturating: fan-in 255, kappa 15.9375). */
int vgc_profile_fanin(struct vgc_arena *a, const void *p, unsigned int fanin);
int vgc_profile_weight(struct vgc_arena *a, const void *p, double kappa);
/* The object's profiled features, and the zone last decided for it. */
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
int vgc_profile_stats(struct vgc_arena *a, struct vgc_profile_stats *st);
/* Copies up to cap most recent records (oldest first); returns count. */
int vgc_profile_records(struct vgc_arena *a, struct vgc_zone_record *out,
			size_t cap);
/* vgc_zone_fit_records over the kept records, into the profile's policy. */
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

/*
 * Lists 010/011 objects not yet re-homed or declined, from object index
 * *cursor on (start with 0; *cursor is advanced for the next call).
 * Returns the number written (0: none left).  Without a profile the target
 * is the next zone up (promote: Red -> Blue -> Green) or down.
 */
int vgc_rehome_candidates(struct vgc_arena *a, struct vgc_candidate *out,
			  size_t cap, uint64_t *cursor);
/*
 * Re-homes one candidate: allocates in the target zone (same generation,
 * calling thread's partition), copies the size class, carries the profile
 * over and releases the old copy through the grace-period path.  Returns
 * the new address (the runtime updates its references) or NULL with errno:
 * EINVAL not a candidate, ENOMEM target full (the old copy is untouched).
 */
void *vgc_rehome(struct vgc_arena *a, void *p);
/* Same, to an explicit zone (any valid open object). */
void *vgc_rehome_to(struct vgc_arena *a, void *p, enum vgc_zone zone);

/* ---- Passive VGC --------------------------------------------------------- */

/* A static allocation declared at startup: Persistent in Gen2 of zone. */
void *vgc_alloc_static(struct vgc_arena *a, size_t size, enum vgc_zone zone);

#ifdef __cplusplus
}
#endif

#endif /* VGCU_ZONE_H */
