// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * PPE: pinned partition workers, static splits learnt across runs, and the
 * ordered fold that makes results independent of the split.
 *
 * The calling thread runs partition 0 itself (on partition 0's CPU, in
 * partition 0's arena partition), so a pool of one partition never hands
 * work to another thread.  The other workers wait on one generation
 * counter, woken all by one FUTEX_WAKE, and the caller on a pending
 * counter; both poll with pause, then with sched_yield(), then sleep
 * (VGC_PPE_SPIN, VGC_PPE_YIELD), so that back-to-back runs and runs a few
 * milliseconds apart cost no wake-up.  Between runs a worker is offline in
 * its arena, so checkpoints never wait for an idle pool.
 *
 *   ppe.c            the pool: create, destroy, accessors, error messages
 *   ppe_topo.c       topology and placement of partitions on cores
 *   ppe_worker.c     the pinned workers and how they wait
 *   ppe_run.c        a run: checks, bounds, stacks, dispatch, partition 0 on
 *                    the caller; allocation
 *   ppe_aggregate.c  the ordered fold and the run's statistics
 *   ppe_balance.c    splits and rebalancing
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppe_int.h"

__thread int ppe_tls_self = -1;
__thread char ppe_tls_msg[PPE_MSG_LEN];

struct ppe_wait_policy ppe_wait = {
	.spin_ns = PPE_SPIN_DEFAULT_NS,
	.yield_ns = PPE_YIELD_DEFAULT_NS,
};
static pthread_once_t ppe_wait_once = PTHREAD_ONCE_INIT;

/* Microseconds, or "inf"; anything else keeps the default. */
static void env_us(const char *name, uint64_t *ns)
{
	const char *v = getenv(name);
	unsigned long long us;
	char *end;

	if (!v || !*v)
		return;
	if (!strcmp(v, "inf") || !strcmp(v, "infinite")) {
		*ns = UINT64_MAX;
		return;
	}
	errno = 0;
	us = strtoull(v, &end, 10);
	if (errno || *end || v[0] == '-')
		return;
	*ns = us > UINT64_MAX / 1000 ? UINT64_MAX : us * 1000;
}

static void wait_policy_read(void)
{
	env_us("VGC_PPE_SPIN", &ppe_wait.spin_ns);
	env_us("VGC_PPE_YIELD", &ppe_wait.yield_ns);
}

void ppe_wait_policy_init(void)
{
	pthread_once(&ppe_wait_once, wait_policy_read);
}

void ppe_set_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ppe_tls_msg, sizeof(ppe_tls_msg), fmt, ap);
	va_end(ap);
}

VGCU_API const char *vgc_ppe_errmsg(void)
{
	return ppe_tls_msg;
}

VGCU_API int vgc_ppe_self(void)
{
	return ppe_tls_self;
}

/* ---- pool --------------------------------------------------------------- */

VGCU_API void vgc_ppe_config_init(struct vgc_ppe_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_partitions = 1;
	cfg->epsilon = 0.10;
}

void ppe_reset_frac(struct vgc_ppe *ppe)
{
	unsigned int i;

	for (i = 0; i <= ppe->nr; i++)
		ppe->frac[i] = (double)i / ppe->nr;
}

VGCU_API void vgc_ppe_reset_split(struct vgc_ppe *ppe)
{
	if (ppe)
		ppe_reset_frac(ppe);
}

static int open_arena(struct vgc_ppe *ppe, const struct vgc_ppe_config *cfg)
{
	struct vgc_config ac;
	unsigned int i, p;
	int r;

	if (cfg->flags & VGC_PPE_F_NO_ARENA) {
		for (i = 0; i < ppe->nr; i++)
			ppe->w[i].arena_part = -1;
		return 0;
	}
	if (cfg->arena) {
		unsigned int np = vgc_arena_partitions(cfg->arena);

		ppe->arena = cfg->arena;
		for (i = 0; i < ppe->nr; i++) {
			const struct vgc_region *rg;

			ppe->w[i].arena_part = -1;
			/* the arena partition on our CPU, ours by index first */
			for (p = 0; p < np; p++) {
				unsigned int q = (i + p) % np;

				rg = vgc_arena_region(cfg->arena, VGC_ZONE_GREEN, q);
				if (rg && (int)rg->cpu == ppe->w[i].cpu) {
					ppe->w[i].arena_part = (int)q;
					break;
				}
			}
		}
		return 0;
	}
	if (cfg->arena_config)
		ac = *cfg->arena_config;
	else
		vgc_config_init(&ac);
	ac.nr_partitions = ppe->nr;
	for (i = 0; i < ppe->nr; i++) {
		ac.cpus[i] = (unsigned int)ppe->w[i].cpu;
		ppe->w[i].arena_part = (int)i;
	}
	r = vgc_arena_open(&ac, &ppe->arena);
	if (r < 0) {
		ppe_set_msg("vgc_arena_open (%u partitions): %s", ppe->nr,
			    vgc_strerror(r));
		ppe->arena = NULL;
		return r;
	}
	ppe->own_arena = 1;
	return 0;
}

VGCU_API int vgc_ppe_create(const struct vgc_ppe_config *cfg,
			    struct vgc_ppe **out)
{
	struct vgc_ppe_topology topo;
	int cpu[VGC_MAX_PARTITIONS], node[VGC_MAX_PARTITIONS];
	unsigned char mask[VGC_MAX_PARTITIONS];
	struct vgc_ppe *ppe;
	unsigned int i, ratio;
	void *mem;
	int r;

	ppe_tls_msg[0] = 0;
	ppe_wait_policy_init();
	if (!cfg || !out) {
		ppe_set_msg("vgc_ppe_create: NULL argument");
		return -EINVAL;
	}
	*out = NULL;
	if (!cfg->nr_partitions) {
		ppe_set_msg("nr_partitions is 0: a pool needs at least one partition");
		return -EINVAL;
	}
	if (cfg->nr_partitions > VGC_MAX_PARTITIONS) {
		ppe_set_msg("nr_partitions %u is above VGC_MAX_PARTITIONS (%u)",
			    cfg->nr_partitions, VGC_MAX_PARTITIONS);
		return -EINVAL;
	}
	if (cfg->flags & ~VGC_PPE_F_ALL) {
		ppe_set_msg("unknown flags 0x%x", cfg->flags & ~VGC_PPE_F_ALL);
		return -EINVAL;
	}
	if (cfg->epsilon < 0 || cfg->balance > VGC_PPE_BALANCE_MEM) {
		ppe_set_msg("epsilon must be >= 0 and balance a vgc_ppe_balance");
		return -EINVAL;
	}
	r = vgc_ppe_topology(&topo);
	if (r < 0)
		return r;
	r = ppe_place(&topo, cfg->nr_partitions, cfg->flags, cpu, node, &ratio);
	if (r < 0)
		return r;

	ppe = vgcu_meta_alloc(sizeof(*ppe));
	if (!ppe)
		return -ENOMEM;
	/* page aligned, so cache-line aligned; zeroed */
	mem = vgcu_meta_alloc(sizeof(*ppe->w) * cfg->nr_partitions);
	if (!mem) {
		vgcu_meta_free(ppe, sizeof(*ppe));
		return -ENOMEM;
	}
	ppe->w = mem;
	ppe->nr = cfg->nr_partitions;
	ppe->flags = cfg->flags;
	ppe->ratio = ratio;
	ppe->epsilon = cfg->epsilon > 0 ? cfg->epsilon : 0.10;
	ppe->balance = cfg->balance;
	ppe->owner = getpid();
	atomic_init(&ppe->caller_cpu, -1);
	pthread_mutex_init(&ppe->lock, NULL);
	ppe_reset_frac(ppe);
	for (i = 0; i < ppe->nr; i++) {
		struct ppe_worker *w = &ppe->w[i];

		w->ppe = ppe;
		w->index = i;
		w->cpu = cpu[i];
		w->node = node[i];
		w->stack = cfg->stack_size ? cfg->stack_size : PPE_DEFAULT_STACK;
		w->part.index = i;
		w->part.cpu = cpu[i];
		w->part.node = node[i];
		w->ev = i ? &ppe->gen : &ppe->gen0;
		mask[i] = 1;
	}
	/* a thread whose CPU hosts another partition yields, never pauses */
	for (i = 0; i < ppe->nr; i++) {
		unsigned int j;

		for (j = 0; j < ppe->nr; j++)
			if (j != i && cpu[j] == cpu[i])
				ppe->w[i].shared = 1;
	}
	ppe->caller_shared = ppe->w[0].shared;
	r = open_arena(ppe, cfg);
	if (r < 0)
		goto fail;
	atomic_store(&ppe->pending.word, ppe->nr);
	r = ppe_spawn(ppe, mask);
	if (r < 0)
		goto fail;
	*out = ppe;
	return 0;
fail:
	vgc_ppe_destroy(ppe);
	return r;
}

VGCU_API void vgc_ppe_destroy(struct vgc_ppe *ppe)
{
	if (!ppe)
		return;
	/* A fork()ed child has a copy of the pool but none of its threads. */
	if (ppe->owner == getpid())
		ppe_stop(ppe, NULL);
	if (ppe->own_arena)
		vgc_arena_close(ppe->arena);
	pthread_mutex_destroy(&ppe->lock);
	vgcu_meta_free(ppe->blk, ppe->blk_cap);
	vgcu_meta_free(ppe->w, sizeof(*ppe->w) * ppe->nr);
	vgcu_meta_free(ppe, sizeof(*ppe));
}

VGCU_API unsigned int vgc_ppe_partitions(const struct vgc_ppe *ppe)
{
	return ppe ? ppe->nr : 0;
}

VGCU_API int vgc_ppe_cpu(const struct vgc_ppe *ppe, unsigned int p)
{
	return ppe && p < ppe->nr ? ppe->w[p].cpu : -EINVAL;
}

VGCU_API int vgc_ppe_node(const struct vgc_ppe *ppe, unsigned int p)
{
	return ppe && p < ppe->nr ? ppe->w[p].node : -EINVAL;
}

VGCU_API unsigned int vgc_ppe_ratio(const struct vgc_ppe *ppe)
{
	return ppe ? ppe->ratio : 0;
}

VGCU_API struct vgc_arena *vgc_ppe_arena(const struct vgc_ppe *ppe)
{
	return ppe ? ppe->arena : NULL;
}
