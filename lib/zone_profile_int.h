/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The zone profiler's state, shared by its files:
 *   zone_profile.c         the profile on an arena: attach, detach, policy,
 *                          its policy hooks, runtime-reported features,
 *                          statistics
 *   zone_profile_sample.c  the sample before every checkpoint: EMAs,
 *                          classification, PROMOTE/DEMOTE requests
 *   zone_profile_fit.c     profiling records and the cost-model fit
 *   zone_rehome.c          candidates, re-homing, Passive VGC
 * Nothing here is exported.
 */
#ifndef ZONE_PROFILE_INT_H
#define ZONE_PROFILE_INT_H

#include <pthread.h>
#include <stdint.h>
#include "vgcu_int.h"
#include "vgcu_zone.h"

#define PROF_RECORDS		4096
#define TARGET_NONE		3
#define KAPPA_ONE		8	/* kappa is Q3.3 in 6 bits */
#define KAPPA_MAX		63
#define AGE_MAX			0x7fff
#define AGE_SAME		0x8000

/*
 * 8 bytes per granule of index space, in a table that is reserved, not
 * committed (vgcu_meta_alloc()): only the head granules of objects of
 * committed spans are ever written, so only their pages cost memory.
 */
struct pent {
	uint16_t a;		/* access rate, Q0.16 of 65535 */
	uint16_t mu;		/* mutation rate, same */
	uint16_t age;		/* windows since allocation, saturating at
				 * AGE_MAX; AGE_SAME: the last two decisions
				 * agreed */
	uint8_t phi;		/* fan-in, saturating */
	uint8_t meta;		/* kappa (bits 0-5, Q3.3), target zone (6-7) */
};

/*
 * A settled word: Red, every live object Idle/Active with a == mu == 0 and
 * Red decided twice in a row.  While no access, mutation, allocation or
 * reclamation touches it, a sample changes nothing in it but the ages, so
 * the sampler counts the skipped windows and adds them when the word wakes
 * up; its feature sums are cached.  Cold data then costs per word, not per
 * object.
 */
struct quiet {
	uint32_t skipped;		/* windows skipped; QUIET_ON: settled */
	uint16_t n, k;			/* objects, sum of kappa */
	uint32_t phi, gran;		/* sums */
	uint32_t ginv;			/* sum (gran + phi) / tau, Q16, saturating */
};
#define QUIET_ON		0x80000000U

struct zprof {
	struct vgc_arena *a;
	pthread_mutex_t lock;
	struct vgc_zone_policy pol;
	uint32_t alpha_q;		/* ema_alpha in Q16 */
	/*
	 * The tables below cover the whole index space (nwords plane words,
	 * nspans spans) but are only reserved: the profiler reads and writes
	 * them only for the committed spans of each region, so a large
	 * elastic reserve costs address space, not memory.
	 */
	uint64_t nwords, nspans;
	struct pent *ent;
	uint64_t *pend;			/* taken ACCESS bits not yet swept */
	uint64_t *vshadow;		/* VALID as of the last sample */
	struct quiet *quiet;		/* per word, see struct quiet */
	/*
	 * per span: the span table value the entries, vshadow, pend and
	 * quiet of the span were kept for; a span re-carved for another
	 * class, decommitted or turned into a continuation since starts
	 * over (vgcu_zprof_span_sync())
	 */
	uint16_t *seen;
	uint64_t last_n;		/* checkpoint number last sampled for */
	double cls_rate[VGC_SPAN_GRANULES + 1];
	uint32_t cls_new[VGC_SPAN_GRANULES + 1];
	/* feature sums of the last sample, per zone, evaluated words only */
	double fsum[VGC_NR_ZONES][3];
	uint64_t zobjs[VGC_NR_ZONES];
	/* integer partial sums of the feature functions, per zone */
	struct {
		uint64_t k, ka, phi, gran, gm, ginv;
	} acc[VGC_NR_ZONES];
	uint64_t last_total_ns;
	struct vgc_zone_record rec[PROF_RECORDS];
	uint64_t nrec;
	struct vgc_profile_stats st;
};

/* Green > Blue > Red: promotion moves up this order. */
static inline unsigned int zrank(unsigned int z)
{
	return z == VGC_ZONE_GREEN ? 2 : z == VGC_ZONE_BLUE ? 1 : 0;
}

/* zone_profile.c */
struct zprof *vgcu_zprof_of(const struct vgc_arena *a);
void vgcu_zprof_pol_apply(struct zprof *p, const struct vgc_zone_policy *pol);

/* zone_profile_sample.c */
void vgcu_zprof_sample_init(void);
uint16_t vgcu_zprof_span_sync(struct zprof *p, uint64_t s);
struct pent *vgcu_zprof_ent_at(struct zprof *p, uint64_t idx,
			       unsigned int gran);
void vgcu_zprof_ent_init(struct zprof *p, struct pent *e, unsigned int gran);
void vgcu_zprof_ent_features(const struct zprof *p, const struct pent *e,
			     unsigned int gran, struct vgc_features *x);
void vgcu_zprof_quiet_wake(struct zprof *p, uint64_t w);
/* Samples for the coming checkpoint unless done (0; 0 without a profile). */
int vgcu_zprof_sample(struct vgc_arena *a, unsigned int flags, uint64_t pmask);

#endif /* ZONE_PROFILE_INT_H */
