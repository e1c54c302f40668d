// SPDX-License-Identifier: GPL-2.0
/*
 * vgc-bench sweep: the world every measurement sweeps: one arena of N live
 * 16-byte objects, the mutator step between two sweeps, and one checkpoint.
 */
#include <errno.h>
#include <string.h>
#include <vgcu.h>
#include "bench_util.h"
#include "bench_sweep.h"

/* ---- the mutated arena every measurement runs on ---------------------- */

int world_open(struct world *w, uint64_t n, enum vgc_backend backend)
{
	const struct vgc_region *rg;
	struct vgc_config cfg;
	uint64_t bytes, i;
	int err;

	memset(w, 0, sizeof(*w));
	w->n = n;
	w->checksum = BU_FNV_SEED;
	vgc_config_init(&cfg);
	cfg.backend = backend;
	cfg.nr_partitions = 1;
	cfg.cpus[0] = 0;
	/* room for N objects plus the ones waiting out their grace periods */
	bytes = n * OBJ_SIZE + n * OBJ_SIZE / 16;
	bytes = (bytes + VGC_SPAN_SIZE - 1) / VGC_SPAN_SIZE * VGC_SPAN_SIZE +
		VGC_SPAN_SIZE;
	cfg.zone_bytes[VGC_ZONE_RED] = 0;
	cfg.zone_bytes[VGC_ZONE_GREEN] = bytes;
	cfg.zone_bytes[VGC_ZONE_BLUE] = 0;
	cfg.gen_permille[0] = 1000;
	err = vgc_arena_open(&cfg, &w->a);
	if (err)
		return err;
	rg = vgc_arena_region(w->a, VGC_ZONE_GREEN, 0);
	if (!rg) {
		vgc_arena_close(w->a);
		return -EINVAL;
	}
	w->w0 = rg->first_granule / 64;
	w->nw = (rg->committed_granules + 63) / 64;
	w->pv = vgc_arena_plane(w->a, VGC_PLANE_VALID);
	w->ps2 = vgc_arena_plane(w->a, VGC_PLANE_S2);
	w->pa = vgc_arena_plane(w->a, VGC_PLANE_ACCESS);
	/* the span summaries lie just before the planes */
	w->sums = (struct vgc_span_sum *)((char *)w->pv -
		  (vgc_arena_layout(w->a)->plane_offset[0] -
		   vgc_arena_layout(w->a)->sums_offset));
	w->base = vgc_arena_base(w->a);
	err = vgc_thread_register(w->a, 0);
	if (err < 0) {
		vgc_arena_close(w->a);
		return err;
	}
	bu_pin_cpu(0);
	for (i = 0; i < n; i++)
		if (!vgc_alloc(w->a, OBJ_SIZE, VGC_ZONE_GREEN)) {
			err = -errno;
			vgc_arena_close(w->a);
			return err;
		}
	return 0;
}

void world_close(struct world *w)
{
	vgc_thread_unregister(w->a);
	vgc_arena_close(w->a);
}

/*
 * The mutator between two sweeps: allocate back what was reclaimed, touch
 * one object in eight and release one open object in 64 (a different one
 * each round).
 */
void world_step(struct world *w)
{
	const uint64_t touch = 0x0101010101010101ULL << (w->round & 7);
	uint64_t i;

	for (i = 0; i < w->refill; i++)
		if (!vgc_alloc(w->a, OBJ_SIZE, VGC_ZONE_GREEN)) {
			w->err = -errno;
			break;
		}
	w->refill = 0;
	for (i = 0; i < w->nw; i++) {
		uint64_t wi = w->w0 + i;
		uint64_t v = __atomic_load_n(&w->pv[wi], __ATOMIC_RELAXED);
		uint64_t rel = v & ~w->ps2[wi] & (1ULL << ((i * 7 + w->round) & 63));

		if (v & touch) {
			/* a request through the mapping: note its span */
			__atomic_fetch_or(&w->pa[wi], v & touch, __ATOMIC_SEQ_CST);
			__atomic_store_n(&w->sums[wi >> 6].req, 1,
					 __ATOMIC_SEQ_CST);
		}
		if (rel) {
			void *p = w->base + ((wi * 64 + (uint64_t)__builtin_ctzll(rel))
					     << VGC_GRANULE_SHIFT);

			if (vgc_release(w->a, p))
				w->err = -EIO;
		}
	}
	w->round++;
}

void fold_counts(struct world *w, const struct vgc_sweep_counts *c)
{
	w->checksum = bu_mix(w->checksum, c->live);
	w->checksum = bu_mix(w->checksum, c->to_active + c->to_idle);
	w->checksum = bu_mix(w->checksum, c->deferred + c->marked + c->expired);
	w->checksum = bu_mix(w->checksum, c->reclaimed);
	w->refill += c->reclaimed;
}

int checkpoint_once(struct world *w, double *wall, double *cpu,
		    double *sweep, uint64_t *again)
{
	struct vgc_ckpt_opts co = { .flags = VGC_CKPT_F_ALL_ZONES };
	struct vgc_checkpoint res;
	uint64_t t0, c0;
	int err, tries = 0;

	for (;;) {
		memset(&res, 0, sizeof(res));
		res.size = sizeof(res);
		vgc_quiescent(w->a);
		c0 = bu_thread_cpu_ns();
		t0 = bu_now_ns();
		err = vgc_checkpoint(w->a, &co, &res);
		*wall = (double)(bu_now_ns() - t0);
		*cpu = (double)(bu_thread_cpu_ns() - c0);
		if (err != -EAGAIN || ++tries > 1000)
			break;
		(*again)++;
	}
	if (err)
		return err;
	*sweep = (double)res.sweep_ns;
	fold_counts(w, &res.counts);
	return 0;
}
