// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The pacer: when a checkpoint is due without the runtime asking, in the
 * spirit of Go's GOGC.
 *
 * Counting.  Each thread counts the granules it allocates in its context
 * (one subtraction on the allocation fast path, no atomic) and the bytes
 * it releases; every VGCU_PACE_FOLD bytes it folds them into the arena's
 * counters with one atomic add each and asks whether a checkpoint is due.
 * Immediate frees (vgc_free()) are counted net: a thread's own take back
 * its allocation count, and what it frees beyond that, other threads'
 * objects, is folded into free_bytes the same way, so that "allocated"
 * below is net of every immediate free, wherever it was made.
 * A thread that exits folds what is left (vgcu_pacer_flush()).
 * Every checkpoint that vgc_checkpoint() completes reports its reclaimed
 * bytes here (vgcu_pacer_seen()), and resets "allocated since the last
 * checkpoint".  From these:
 *
 *	live    = allocated - max(released, reclaimed)
 *	pending = max(released - reclaimed, 0)
 *
 * Triggers.  A checkpoint is due when
 *
 *	since >= max(min_bytes, percent / 100 * live)		(growth)
 *
 * so that each checkpoint, whose sweep costs O(heap) = O(live), pays for
 * O(live) bytes of allocation: a constant cost per allocated byte however
 * large the heap; or, with a bound pending_max, when
 *
 *	released since the last checkpoint >= pending_max / 8, or
 *	pending >= pending_max / 2				(pending)
 *
 * A release is reclaimed at the fourth checkpoint that evaluates it, so
 * pending holds about four intervals of releases: an eighth of the bound
 * per interval keeps it near half of the bound, and the second test
 * (which also evaluates every zone and generation, VGC_CKPT_F_ALL_ZONES,
 * so that Blue and old objects drain in four checkpoints too) catches up
 * after checkpoints were held up.
 *
 * Running.  With a driver the fold only wakes it.  Without one the folding
 * thread runs the checkpoint itself, unless it is registered, online and
 * has not announced a quiescent state in this grace period: its own slot
 * would make the checkpoint -EAGAIN, so it leaves it (deferred) for its
 * next fold, after its next vgc_quiescent().  An -EAGAIN caused by another
 * thread is counted and retried at the next fold: never an error for the
 * allocating caller.  One thread at a time runs pacer checkpoints (a flag,
 * taken by CAS on this slow path only, holding the owner's pid so that a
 * fork()ed child never inherits it taken).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vgcu_int.h"

#define PACE_MIN_DEFAULT	(4ULL << 20)
#define PACE_PERCENT_MAX	10000

struct vgcu_pacer {
	/* configuration: written by vgc_pacer_set(), read relaxed */
	unsigned int percent;
	uint64_t min_bytes, pending_max;

	/*
	 * folded counters; free_bytes: immediate frees of other threads'
	 * objects (a thread's own are netted out of its alloc count)
	 */
	uint64_t alloc_bytes, free_bytes, rel_bytes, recl_bytes;
	/* at the last completed checkpoint (alloc: net of free_bytes) */
	uint64_t alloc_at_ckpt, rel_at_ckpt;
	/* objects still on their way to reclamation in that checkpoint */
	uint64_t in_flight;
	uint64_t seen;

	/*
	 * pid of the process one of whose threads runs a pacer checkpoint,
	 * 0: none.  A fork()ed child finds its parent's pid there, which is
	 * not its own, and may take the flag.
	 */
	int32_t busy;
	uint64_t ckpts, eagain, deferred, growth, pressure;
};

/*
 * a->pacer is set before vgc_arena_open() returns (or starts a driver) and
 * freed only by vgc_arena_close(): every function here runs on an open
 * arena and finds it, none checks.
 */

#define LD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define ST(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define INC(p)		__atomic_fetch_add((p), 1, __ATOMIC_RELAXED)

/* "123", "64k", "16M", "1g": bytes, or -1. */
static int64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end || v > (1ULL << 50))
		return -1;
	return (int64_t)v;
}

int vgcu_pacer_open(struct vgc_arena *a)
{
	struct vgcu_pacer *pc = vgcu_meta_alloc(sizeof(*pc));
	const char *e;
	int64_t v;

	if (!pc)
		return -ENOMEM;
	pc->min_bytes = PACE_MIN_DEFAULT;
	e = getenv("VGC_PACE");
	if (e && strcmp(e, "off")) {
		v = parse_size(e);
		if (v >= 0 && v <= PACE_PERCENT_MAX)
			pc->percent = (unsigned int)v;
	}
	v = parse_size(getenv("VGC_PACE_MIN"));
	if (v > 0)
		pc->min_bytes = (uint64_t)v;
	v = parse_size(getenv("VGC_PACE_PENDING_MAX"));
	if (v > 0) {
		pc->pending_max = (uint64_t)v;
		if (!pc->percent)
			pc->percent = 100;
	}
	a->pacer = pc;
	e = getenv("VGC_DRIVER");
	if (e && !strcmp(e, "1"))
		return vgc_driver_start(a, NULL);
	return 0;
}

/* After vgcu_driver_close() and vgcu_arena_registry_del(): see arena.c. */
void vgcu_pacer_close(struct vgc_arena *a)
{
	vgcu_meta_free(a->pacer, sizeof(*a->pacer));
	a->pacer = NULL;
}

void vgcu_pacer_enable_default(struct vgc_arena *a)
{
	struct vgcu_pacer *pc = a->pacer;

	if (!LD(&pc->percent))
		ST(&pc->percent, 100);
}

int vgc_pacer_set(struct vgc_arena *a, const struct vgc_pacer_cfg *cfg)
{
	struct vgcu_pacer *pc = a->pacer;

	if (cfg && (cfg->flags || cfg->percent > PACE_PERCENT_MAX))
		return -EINVAL;
	ST(&pc->min_bytes, cfg && cfg->min_bytes ? cfg->min_bytes
						: PACE_MIN_DEFAULT);
	ST(&pc->pending_max, cfg ? cfg->pending_max : 0);
	ST(&pc->percent, cfg ? cfg->percent : 0);
	return 0;
}

int vgc_pacer_get(const struct vgc_arena *a, struct vgc_pacer_cfg *cfg)
{
	const struct vgcu_pacer *pc = a->pacer;

	if (!cfg)
		return -EINVAL;
	memset(cfg, 0, sizeof(*cfg));
	cfg->percent = LD(&pc->percent);
	cfg->min_bytes = LD(&pc->min_bytes);
	cfg->pending_max = LD(&pc->pending_max);
	return 0;
}

struct pace_view {
	uint64_t live, pending, since, rel_since, trigger;
};

/*
 * Allocated net of immediate frees.  A thread may free what another has
 * not folded yet, so the frees may run ahead by a fold per thread.
 */
static uint64_t net_alloc(const struct vgcu_pacer *pc)
{
	uint64_t alloc = LD(&pc->alloc_bytes), freed = LD(&pc->free_bytes);

	return alloc > freed ? alloc - freed : 0;
}

static void pacer_view(const struct vgcu_pacer *pc, struct pace_view *v)
{
	uint64_t alloc = net_alloc(pc), rel = LD(&pc->rel_bytes);
	uint64_t recl = LD(&pc->recl_bytes), gone = rel > recl ? rel : recl;
	uint64_t at = LD(&pc->alloc_at_ckpt), rat = LD(&pc->rel_at_ckpt);
	uint64_t min = LD(&pc->min_bytes);

	v->live = alloc > gone ? alloc - gone : 0;
	v->pending = rel > recl ? rel - recl : 0;
	v->since = alloc > at ? alloc - at : 0;
	v->rel_since = rel > rat ? rel - rat : 0;
	v->trigger = v->live / 100 * LD(&pc->percent);
	if (v->trigger < min)
		v->trigger = min;
}

bool vgcu_pacer_due(struct vgc_arena *a, unsigned int *flags)
{
	struct vgcu_pacer *pc = a->pacer;
	uint64_t pmax;
	struct pace_view v;

	*flags = 0;
	if (!LD(&pc->percent))
		return false;
	pacer_view(pc, &v);
	pmax = LD(&pc->pending_max);
	if (pmax && v.pending >= pmax / 2) {
		*flags = VGC_CKPT_F_ALL_ZONES;
		INC(&pc->pressure);
		return true;
	}
	if (pmax && v.rel_since >= pmax / 8) {
		INC(&pc->pressure);
		return true;
	}
	if (v.since >= v.trigger) {
		INC(&pc->growth);
		return true;
	}
	return false;
}

/*
 * For the driver's periodic wake-up: something happened since the last
 * checkpoint, or it left objects on their way to reclamation.
 */
bool vgcu_pacer_idle_work(struct vgc_arena *a)
{
	struct vgcu_pacer *pc = a->pacer;
	struct pace_view v;

	pacer_view(pc, &v);
	return v.since || v.rel_since || v.pending || LD(&pc->in_flight);
}

/* The calling thread would block the checkpoint itself. */
static bool self_blocks(struct vgc_arena *a, const struct vgcu_tctx *t)
{
	return t && t->ts && vgcu_load(&t->ts->online) &&
	       vgcu_load(&t->ts->qs_seq) != vgcu_load(&a->ctrl->gp_seq);
}

void vgcu_pacer_atfork_child(struct vgc_arena *a)
{
	if (a->pacer)
		__atomic_store_n(&a->pacer->busy, 0, __ATOMIC_RELAXED);
}

/* One pacer checkpoint in the calling thread: 0, -EAGAIN, -EBUSY, ... */
static int pacer_run(struct vgc_arena *a, struct vgcu_tctx *t,
		     unsigned int flags)
{
	struct vgcu_pacer *pc = a->pacer;
	struct vgc_ckpt_opts o = { .partition_mask = 0, .flags = flags };
	struct vgc_checkpoint res;
	int32_t me, cur;
	int err;

	if (self_blocks(a, t)) {
		INC(&pc->deferred);
		return -EAGAIN;
	}
	me = getpid();
	cur = LD(&pc->busy);
	if (cur == me || !__atomic_compare_exchange_n(&pc->busy, &cur, me, false,
						      __ATOMIC_ACQUIRE,
						      __ATOMIC_RELAXED))
		return -EBUSY;		/* another thread is on it */
	memset(&res, 0, sizeof(res));
	res.size = sizeof(res);
	err = vgc_checkpoint(a, &o, &res);
	if (!err)
		INC(&pc->ckpts);
	else if (err == -EAGAIN)
		INC(&pc->eagain);
	__atomic_store_n(&pc->busy, 0, __ATOMIC_RELEASE);
	return err;
}

static void pacer_check(struct vgc_arena *a, struct vgcu_tctx *t)
{
	unsigned int flags;

	if (!vgcu_pacer_due(a, &flags))
		return;
	if (vgcu_driver_active(a))
		vgcu_driver_kick(a);
	else
		pacer_run(a, t, flags);
}

/* t's counts since its last fold into the arena's, and a new quota. */
static void pacer_add(struct vgcu_pacer *pc, struct vgcu_tctx *t)
{
	int64_t used = t->pace_quota - t->pace_left;

	t->pace_quota = VGCU_PACE_FOLD >> VGC_GRANULE_SHIFT;
	t->pace_left = t->pace_quota;
	if (used > 0)
		__atomic_fetch_add(&pc->alloc_bytes,
				   (uint64_t)used << VGC_GRANULE_SHIFT,
				   __ATOMIC_RELAXED);
	else		/* a balance below zero: frees of others' objects */
		t->pace_freed += (uint64_t)-used;
	if (t->pace_rel) {
		__atomic_fetch_add(&pc->rel_bytes, t->pace_rel,
				   __ATOMIC_RELAXED);
		t->pace_rel = 0;
	}
	if (t->pace_freed) {
		__atomic_fetch_add(&pc->free_bytes,
				   t->pace_freed << VGC_GRANULE_SHIFT,
				   __ATOMIC_RELAXED);
		t->pace_freed = 0;
	}
}

void vgcu_pacer_fold(struct vgc_arena *a, struct vgcu_tctx *t)
{
	pacer_add(a->pacer, t);
	pacer_check(a, t);
}

/*
 * A thread on its way out (its TLS destructor, tls.c): what it counted
 * since its last fold goes into the arena with its context, so that no
 * allocated or released byte is lost.  It asks for no checkpoint: the
 * next fold of another thread, or the driver's next period, sees them.
 */
void vgcu_pacer_flush(struct vgc_arena *a, struct vgcu_tctx *t)
{
	pacer_add(a->pacer, t);
}

/*
 * t freed more than it allocated since its fold: the excess over its cap
 * (vgcu_pacer_credit()) was counted by the threads that allocated it, and
 * goes to the arena a fold at a time.  Only frees: no checkpoint is asked
 * for.
 */
void vgcu_pacer_credit_slow(struct vgc_arena *a, struct vgcu_tctx *t,
			    uint64_t gran)
{
	int64_t cap = t->pace_quota + (int64_t)gran;

	t->pace_freed += (uint64_t)(t->pace_left - cap);
	t->pace_left = cap;
	if (t->pace_freed >= VGCU_PACE_FOLD >> VGC_GRANULE_SHIFT) {
		__atomic_fetch_add(&a->pacer->free_bytes,
				   t->pace_freed << VGC_GRANULE_SHIFT,
				   __ATOMIC_RELAXED);
		t->pace_freed = 0;
	}
}

/* An immediate free by a thread that could get no context. */
void vgcu_pacer_free_slow(struct vgc_arena *a, uint64_t bytes)
{
	__atomic_fetch_add(&a->pacer->free_bytes, bytes, __ATOMIC_RELAXED);
}

/* A release by a thread that has no context with the arena. */
void vgcu_pacer_release_slow(struct vgc_arena *a, uint64_t bytes)
{
	__atomic_fetch_add(&a->pacer->rel_bytes, bytes, __ATOMIC_RELAXED);
}

void vgcu_pacer_seen(struct vgc_arena *a, int err,
		     const struct vgc_checkpoint *res)
{
	struct vgcu_pacer *pc = a->pacer;
	const struct vgc_sweep_counts *c = &res->counts;

	if (err)
		return;
	__atomic_fetch_add(&pc->recl_bytes, c->reclaimed_bytes,
			   __ATOMIC_RELAXED);
	ST(&pc->alloc_at_ckpt, net_alloc(pc));
	ST(&pc->rel_at_ckpt, LD(&pc->rel_bytes));
	ST(&pc->in_flight, c->deferred + c->marked + c->expired);
	INC(&pc->seen);
}

/*
 * An allocation found no free slot: run what checkpoints the caller can
 * (one when it is registered and online, whose next needs its next
 * quiescent state; up to four, a release's whole way, otherwise).
 */
bool vgcu_pacer_oom(struct vgc_arena *a, struct vgcu_tctx *t)
{
	struct vgcu_pacer *pc = a->pacer;
	bool ran = false;
	int i;

	if (!LD(&pc->percent))
		return false;
	for (i = 0; i < 4; i++) {
		if (pacer_run(a, t, VGC_CKPT_F_ALL_ZONES))
			break;
		ran = true;
	}
	return ran;
}

int vgc_pacer_stats(const struct vgc_arena *a, struct vgc_pacer_stats *st)
{
	const struct vgcu_pacer *pc = a->pacer;
	struct pace_view v;

	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	pacer_view(pc, &v);
	st->allocated_bytes = net_alloc(pc);
	st->released_bytes = LD(&pc->rel_bytes);
	st->reclaimed_bytes = LD(&pc->recl_bytes);
	st->live_bytes = v.live;
	st->pending_bytes = v.pending;
	st->since_bytes = v.since;
	st->trigger_bytes = v.trigger;
	st->checkpoints_seen = LD(&pc->seen);
	st->checkpoints = LD(&pc->ckpts);
	st->eagain = LD(&pc->eagain);
	st->deferred = LD(&pc->deferred);
	st->growth_triggers = LD(&pc->growth);
	st->pending_triggers = LD(&pc->pressure);
	return 0;
}
