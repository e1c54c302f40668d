/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvgcu internals shared by the library's translation units.  Nothing
 * here is exported: the .so is built with -fvisibility=hidden and only
 * the functions lib/libvgcu.map names survive its version script.
 */
#ifndef VGCU_INT_H
#define VGCU_INT_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <vgcu.h>
#include <linux/vgc_state.h>
#include "vgc_core.h"

#define VGCU_WORDS_PER_SPAN	VGC_SPAN_WORDS
#define VGCU_SPAN_SHIFT_G	VGC_SPAN_SHIFT_G
#define VGCU_MAX_CPUS		4096
#define VGCU_NR_REGIONS		(VGC_NR_ZONES * VGC_MAX_PARTITIONS)

/*
 * span_info[] entry: region index << 2 | (gen ^ 3), so that the zero
 * pages of a fresh table read VGCU_GEN_NONE (past commit) everywhere and
 * only the committed spans' entries are ever written.
 */
#define VGCU_GEN_NONE		3
#define VGCU_SPAN_INFO(region, gen)	((uint16_t)((region) << 2 | ((gen) ^ 3)))
#define VGCU_INFO_GEN(info)		(((info) & 3) ^ 3)
#define VGCU_INFO_REGION(info)		((info) >> 2)

#define vgcu_load(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define vgcu_load_relaxed(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define vgcu_store(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* Atomically sets bit b of *w; true when it was set already. */
static inline bool vgcu_test_and_set(uint64_t *w, unsigned int b)
{
#if defined(__x86_64__)
	bool old;

	__asm__ volatile("lock btsq %2, %0"
			 : "+m"(*w), "=@ccc"(old)
			 : "r"((uint64_t)b)
			 : "memory");
	return old;
#else
	return __atomic_fetch_or(w, 1ULL << b, __ATOMIC_SEQ_CST) & (1ULL << b);
#endif
}

struct vgcu_tctx;

/*
 * The heap's settings and counters (span.c, large.c, free.c); counters are
 * relaxed atomics, read by vgc_heap_stats().
 */
struct vgcu_heap {
	uint64_t decommit_ns;		/* UINT64_MAX: never */
	uint64_t open_ns;		/* span_empty[] stamps count from here */
	uint64_t pass_ns;		/* last decommit pass */
	int32_t pass_busy;
	uint64_t grown_spans, grow_calls, grow_failed;
	uint64_t carved, recarved, recommitted, decommitted;
	/* large.c may keep freed runs (no other process shares the arena) */
	bool large_keep;
};

/*
 * large.c's state of one region, in cache lines of its own, since the
 * threads of different partitions write it at every large allocation
 * and free: the object last freed in each generation, kept whole for the
 * next allocation of its size (head + 1, 0: none), when the decommit
 * pass first saw it there (0: not yet), and the region's share of the
 * heap's large-object counters.
 */
struct vgcu_large_region {
	uint64_t kept[VGC_NR_GENS];
	uint64_t kept_ns[VGC_NR_GENS];
	uint64_t allocs, frees, spans;
} __attribute__((aligned(64)));

/*
 * What differs between the backends, and nothing else: every other file
 * of the library calls through a->ops and never asks which backend it has.
 */
struct vgcu_backend_ops {
	enum vgc_backend id;
	/* Builds and maps the arena of prm; a->fd is the module's or -1. */
	int (*open)(struct vgc_arena *a, const struct vgc_arena_params *prm);
	void (*close)(struct vgc_arena *a);
	/* Grace period and sweep; o is validated; res may not be NULL. */
	int (*checkpoint)(struct vgc_arena *a, const struct vgc_ckpt_opts *o,
			  struct vgc_checkpoint *res);
	/* A slot for the calling thread in partition part, or -errno. */
	int (*thread_register)(struct vgc_arena *a, unsigned int part);
	void (*thread_unregister)(struct vgc_arena *a, struct vgcu_tctx *t);
	/* Backs granules more of (zone, part)'s reserve; sweep lock held. */
	int (*grow)(struct vgc_arena *a, unsigned int zone, unsigned int part,
		    uint64_t granules);
	int (*stats)(const struct vgc_arena *a, struct vgc_stats *st);
	/*
	 * Spans [first_span, first_span + nr) (indices of the whole index
	 * space), inside one region's committed part (-EINVAL otherwise):
	 * decommit gives their data pages back (a touch raises SIGBUS on
	 * the module, reads zero on the anonymous backend), commit backs
	 * them again with zeroed pages.  Both idempotent; plane words are
	 * the caller's to reset.  0 or -errno; the partition's lock held
	 * (span.c).
	 */
	int (*decommit)(struct vgc_arena *a, uint64_t first_span, uint64_t nr);
	int (*commit)(struct vgc_arena *a, uint64_t first_span, uint64_t nr);
};

extern const struct vgcu_backend_ops vgcu_module_ops;
extern const struct vgcu_backend_ops vgcu_anon_ops;

/*
 * Policy hooks.  A policy (the zone profiler today) hangs on an arena
 * through an ops table, the way DAMON's policy modules hang on its
 * callbacks; the mechanism (checkpoint, close) calls the hooks through
 * policy.c and knows no policy by name.  Every op is optional.
 *
 * before_checkpoint runs right before a checkpoint's grace period and
 * sweep, on either backend, with the options the checkpoint runs with
 * (partition_mask 0: all); it may run again for a checkpoint retried
 * after -EAGAIN.  close runs once from vgc_arena_close() with the hook
 * already unhooked, before the arena's memory goes.
 */
struct vgcu_policy_ops {
	const char *name;
	void (*before_checkpoint)(struct vgc_arena *a, void *priv,
				  const struct vgc_ckpt_opts *o);
	void (*close)(struct vgc_arena *a, void *priv);
};

struct vgcu_policy {
	const struct vgcu_policy_ops *ops;	/* NULL: free slot */
	void *priv;
};
#define VGCU_MAX_POLICIES	4

/*
 * The locks of library checkpoints and sweeps (docs/design.md,
 * Checkpoints, "Per-partition checkpoints").  part[p] serialises the
 * sweeps (and growth) of partition p; gp serialises the quorum check and
 * the gp_seq and checkpoint-count updates.  A checkpoint takes the locks of
 * its partitions in ascending order, then gp for the grace period only,
 * and sweeps holding only the partitions' locks: checkpoints of disjoint
 * partitions sweep in parallel, and each partition's sweeps still follow
 * the grace periods that licensed them, in order.  Order: part[] ascending,
 * then gp; nobody takes a part[] lock while holding gp.
 */
struct vgcu_sweep_locks {
	pthread_mutex_t gp;
	pthread_mutex_t part[VGC_MAX_PARTITIONS];
};

struct vgc_arena {
	uint64_t id;			/* never reused: keys thread contexts */
	const struct vgcu_backend_ops *ops;
	char reason[160];
	int fd;				/* module only */

	void *map;
	size_t map_size;
	struct vgc_layout layout;
	struct vgc_region regions[VGCU_NR_REGIONS];	/* [zone * np + p] */
	unsigned int nr_parts;
	struct vgc_cadence cadence;

	struct vgc_ctrl *ctrl;		/* writable only on the anon backend */
	struct vgc_thread_slot *threads;
	unsigned int nr_slots;
	uint16_t *spans;
	uint64_t nr_spans;
	/* span summaries (docs/design.md); NULL on a module without them */
	struct vgc_span_sum *sums;
	uint64_t *planes[VGC_NR_PLANES];
	char *data;
	uint64_t total_granules;

	/* locate: span -> (region, gen); partition of each CPU */
	uint16_t *span_info;
	/*
	 * span.c and large.c, one entry per span, mmap()ed so that only the
	 * pages of committed spans are ever touched: span_link holds a large
	 * object's run length at its head span and the distance back to the
	 * head at each continuation; span_empty when a span was first seen
	 * empty (ms since open, | 1), 0 when it is not known to be; nonfull
	 * one bit per span that vgc_free() has given a slot back to.
	 */
	uint32_t *span_link;
	uint32_t *span_empty;
	uint64_t *nonfull;
	/* lowest span of each (region, gen) that may not be carved yet */
	uint64_t carve_hint[VGCU_NR_REGIONS][VGC_NR_GENS];
	/* lowest span + 1 that may be free or decommitted (large.c) */
	uint64_t large_low[VGCU_NR_REGIONS][VGC_NR_GENS];
	struct vgcu_large_region large[VGCU_NR_REGIONS];
	struct vgcu_heap heap;
	int16_t cpu_part[VGCU_MAX_CPUS];

	/*
	 * Library sweeps and checkpoints (see struct vgcu_sweep_locks):
	 * locks points at the private set, which the atfork handlers of
	 * tls.c take around fork() and a child initialises anew; only an
	 * anonymous arena opened with VGCU_ARENA_F_FORK_SHARED points at a
	 * robust process-shared set in a shared mapping of its own, which a
	 * fork()ed child shares with the arena.
	 */
	bool fork_shared;		/* VGC(U)_ARENA_F_FORK_SHARED */
	uint64_t mod_features;		/* VGC_FEAT_* of the module, at open */
	struct vgcu_sweep_locks locks_private;
	struct vgcu_sweep_locks *locks;
	unsigned int blocker_slot, blocker_tid;
	uint64_t lib_sweeps;		/* vgc_sweep_partition() calls */

	/* policy hooks (policy.c): mechanism calls them, never a policy */
	struct vgcu_policy policy[VGCU_MAX_POLICIES];
	unsigned int nr_policies;

	/* pacer.c and driver.c: when checkpoints run without being asked */
	struct vgcu_pacer *pacer;
	struct vgcu_driver *driver;
};

/* Per-thread allocation cursor of one (zone, gen, class). */
struct vgcu_cursor {
	uint64_t span;			/* global span index + 1, 0: none */
	uint32_t word;
	uint16_t info;			/* span_info of the span */
	uint16_t pad;
	/* sweep epoch + 1 when the class's spans were last all full */
	uint64_t full_at;
};

/*
 * The VALID word (global index + 1, 0: none) of one class that this
 * thread last freed into, and the heads it freed there since: the next
 * allocation of the class in the same (region, gen), info, takes them
 * first, so a LIFO or FIFO churn reuses its own frees without a scan.  A
 * hint like the cursor's mask: the slots are free for everyone.
 */
struct vgcu_freed {
	uint64_t word;
	uint64_t mask;
	uint16_t info;
};

/* One thread's state for one arena. */
struct vgcu_tctx {
	struct vgcu_tctx *next;
	uint64_t arena_id;
	struct vgc_arena *arena;
	int slot;			/* thread slot, -1: unregistered */
	int partition;			/* registered partition, -1: none */
	/*
	 * Unregistered: the partition the cursors lie in (its CPU's when
	 * the slow path last ran), -1: none yet.  It lets an unregistered
	 * thread take the allocation fast path while it runs on a CPU of
	 * that partition.
	 */
	int home;
	struct vgc_thread_slot *ts;
	/*
	 * pacer.c: granules this thread may allocate before it folds its
	 * count into the arena's (pace_quota when it last folded), bytes
	 * it released since its last fold, and granules it freed beyond
	 * what it allocated (other threads' objects) since then.  Plain
	 * fields: only the owning thread touches them.
	 */
	int64_t pace_left, pace_quota;
	uint64_t pace_rel, pace_freed;
	struct vgcu_cursor cur[VGC_NR_ZONES][VGC_NR_GENS][VGC_NR_CLASSES];
	struct vgcu_freed freed[VGC_NR_CLASSES];
};

/* Forgets every cursor and freed word: they name spans, not ownership. */
static inline void vgcu_tctx_reset_cursors(struct vgcu_tctx *t)
{
	memset(t->cur, 0, sizeof(t->cur));
	memset(t->freed, 0, sizeof(t->freed));
}

/* meta.c: the library's own memory, never libc malloc */
void *vgcu_meta_alloc(size_t size);
void vgcu_map_no_thp(void *p, size_t size);
void vgcu_meta_free(void *p, size_t size);
void *vgcu_map_reserve(size_t size, size_t data_offset, size_t align);

/*
 * span.c: the span lifecycle (docs/design.md, "Span lifecycle").  The
 * span table entry moves FREE -> class (carve, lock-free CAS), class ->
 * RETIRING (retire: CAS, then every VALID word seen zero), RETIRING ->
 * anything (by the one thread that retired it), DECOMMITTED -> RETIRING
 * (claimed for a commit).  An allocator re-reads the entry after winning
 * a slot and gives the slot back when the span changed under it.
 */
#define VGCU_CLS_MAX		(VGC_NR_CLASSES - 1)	/* 4096 granules */
bool vgcu_span_is_empty(const struct vgc_arena *a, uint64_t s);
int vgcu_span_retire(struct vgc_arena *a, uint64_t s, uint16_t expect);
uint16_t vgcu_span_settle(const struct vgc_arena *a, uint64_t s);
void vgcu_span_reset(struct vgc_arena *a, uint64_t s);
void vgcu_span_reset_words(struct vgc_arena *a, uint64_t s, unsigned int nw);

/*
 * Notes span s in its summary (vgc_core_note()) after a change of its
 * planes that the sweep's skip test would miss: a VALID bit cleared (a
 * full span's count is not read, and a free and an allocation cancel), a
 * span reset or carved anew in the class its summary still records.  The
 * change is a seq_cst RMW or is followed by one before the note.
 */
static inline void vgcu_span_note(struct vgc_arena *a, uint64_t s)
{
	vgc_core_note(a->sums, s << VGCU_SPAN_SHIFT_G);
}
void vgcu_span_publish(struct vgc_arena *a, uint64_t s, uint16_t val);
void vgcu_span_publish_cont(struct vgc_arena *a, uint64_t s, uint16_t val);
void vgcu_span_hint_free(struct vgc_arena *a, uint64_t s);
int vgcu_span_commit(struct vgc_arena *a, unsigned int part, uint64_t s,
		     uint64_t n);
int vgcu_span_decommit(struct vgc_arena *a, unsigned int part, uint64_t s,
		       uint64_t n);
int64_t vgcu_span_refill(struct vgc_arena *a, unsigned int zone,
			 unsigned int part, unsigned int gen, unsigned int cls,
			 struct vgcu_cursor *cur, struct vgcu_tctx *t);
int vgcu_heap_grow(struct vgc_arena *a, unsigned int zone, unsigned int part,
		   uint64_t min_spans);
void vgcu_heap_open(struct vgc_arena *a);
void vgcu_heap_after_checkpoint(struct vgc_arena *a);
void vgcu_heap_close(struct vgc_arena *a);

/* large.c: objects of more than VGC_MAX_OBJECT_SIZE bytes */
void *vgcu_large_alloc(struct vgc_arena *a, size_t size, unsigned int zone,
		       unsigned int gen, unsigned int flags);
int vgcu_large_free(struct vgc_arena *a, uint64_t head);
void vgcu_large_note_free(struct vgc_arena *a, uint64_t s);
void vgcu_large_kept_drain(struct vgc_arena *a, unsigned int region,
			   unsigned int gen, bool give_back);
void vgcu_large_kept_age(struct vgc_arena *a, uint64_t now, uint64_t delay);
void vgcu_large_reclaimed(struct vgc_arena *a, unsigned int part,
			  uint64_t head);
static inline bool vgcu_span_is_large(const struct vgc_arena *a, uint64_t s)
{
	return vgcu_load_relaxed(&a->span_link[s]) > 1 &&
	       vgcu_load(&a->spans[s]) == VGC_SPAN_GRANULES;
}

/* alloc.c: a slot of class cls from span s (word w on), -1 when full */
int64_t vgcu_span_take_any(struct vgc_arena *a, uint64_t first, uint64_t n,
			   unsigned int cls, struct vgcu_cursor *cur);
int64_t vgcu_span_take(struct vgc_arena *a, uint64_t s, unsigned int cls,
		       unsigned int w, struct vgcu_cursor *cur);
void *vgcu_alloc_class(struct vgc_arena *a, unsigned int cls,
		       enum vgc_zone zone, enum vgc_gen gen,
		       unsigned int flags);

/* error.c */
int vgcu_errno(int err);

/* layout.c */
int vgcu_layout_anon(const struct vgc_arena_params *prm,
		     struct vgc_layout *l, struct vgc_region *regs);
int vgcu_layout_adopt(struct vgc_arena *a);
static inline struct vgc_region *vgcu_region(struct vgc_arena *a,
					     unsigned int zone,
					     unsigned int part)
{
	return &a->regions[zone * a->nr_parts + part];
}

/* backend_module.c */
int vgcu_module_probe(char *why, size_t len, uint64_t *features);

/* checkpoint.c: a checkpoint swept by the calling process */
int vgcu_checkpoint_local(struct vgc_arena *a, const struct vgc_ckpt_opts *o,
			  struct vgc_checkpoint *res);

/* qsbr.c */
void vgcu_slot_online(struct vgc_arena *a, struct vgc_thread_slot *ts);

/* tls.c */
struct vgcu_tctx *vgcu_tctx_slow(struct vgc_arena *a, bool create);
/*
 * initial-exec: one %fs-relative load instead of a __tls_get_addr call in
 * the shared object; the library is linked, not dlopen()ed, in practice,
 * and two pointers fit any static TLS surplus when it is.
 */
#define VGCU_TLS __thread __attribute__((tls_model("initial-exec")))
extern VGCU_TLS struct vgcu_tctx *vgcu_tls_last;
/* The calling thread's last context when it is a's, else NULL: no call. */
static inline struct vgcu_tctx *vgcu_tctx_last(const struct vgc_arena *a)
{
	struct vgcu_tctx *t = vgcu_tls_last;

	return __builtin_expect(t && t->arena_id == a->id, 1) ? t : NULL;
}

static inline struct vgcu_tctx *vgcu_tctx(struct vgc_arena *a, bool create)
{
	struct vgcu_tctx *t = vgcu_tctx_last(a);

	return t ? t : vgcu_tctx_slow(a, create);
}
void vgcu_tctx_drop(struct vgc_arena *a);
void vgcu_arena_registry_add(struct vgc_arena *a);
void vgcu_arena_registry_del(struct vgc_arena *a);
/* The atfork handlers (tls.c); vgc_arena_open() calls it first. */
void vgcu_fork_register(void);

/*
 * policy.c.  Attach and detach take a library-wide mutex; lookups and the
 * hook calls take none (a policy is detached only while no other thread
 * of the runtime uses the arena; detach keeps the driver out itself).
 * attach: 0, -EBUSY when ops is attached already, -ENOSPC when every slot
 * is taken.  detach returns priv, NULL when ops was not attached.
 */
int vgcu_policy_attach(struct vgc_arena *a, const struct vgcu_policy_ops *ops,
		       void *priv);
void *vgcu_policy_detach(struct vgc_arena *a,
			 const struct vgcu_policy_ops *ops);
void *vgcu_policy_priv(const struct vgc_arena *a,
		       const struct vgcu_policy_ops *ops);
/* Policies the arena's flags (VGC_ARENA_F_*) ask for, at open. */
int vgcu_policy_open(struct vgc_arena *a, unsigned int arena_flags);
void vgcu_policy_before_checkpoint(struct vgc_arena *a,
				   const struct vgc_ckpt_opts *o);
void vgcu_policy_close(struct vgc_arena *a);

/* zone_profile.c: VGC_ARENA_F_PROFILE, see vgcu_policy_open() */
int vgcu_profile_auto(struct vgc_arena *a);

/* qsbr.c */
void vgcu_thread_exit(struct vgcu_tctx *t);

/* alloc.c */
extern uint64_t vgcu_head_mask[VGC_NR_CLASSES][VGCU_WORDS_PER_SPAN];
/* class index of a class's granule count (0 for counts of no class) */
extern uint8_t vgcu_gran_cls[VGC_SPAN_GRANULES + 1];
extern uint64_t vgcu_class_recip[VGC_SPAN_GRANULES + 1];
extern uint16_t vgcu_class_gran[VGC_NR_CLASSES];
extern uint8_t vgcu_class_words[VGC_NR_CLASSES];
void vgcu_classes_init(void);
int vgcu_partition_of_thread(struct vgc_arena *a, struct vgcu_tctx *t);

/*
 * pacer.c.  Allocation and release are counted per thread and folded into
 * the arena's counters every VGCU_PACE_FOLD bytes; a fold asks the pacer
 * whether a checkpoint is due.  vgcu_pacer_seen() sees every checkpoint's
 * result; vgcu_pacer_oom() runs checkpoints for an allocation that found
 * no slot (true when one completed).
 */
#define VGCU_PACE_FOLD		16384	/* bytes */
int vgcu_pacer_open(struct vgc_arena *a);
void vgcu_pacer_close(struct vgc_arena *a);
void vgcu_pacer_fold(struct vgc_arena *a, struct vgcu_tctx *t);
void vgcu_pacer_flush(struct vgc_arena *a, struct vgcu_tctx *t);
void vgcu_pacer_release_slow(struct vgc_arena *a, uint64_t bytes);
void vgcu_pacer_credit_slow(struct vgc_arena *a, struct vgcu_tctx *t,
			    uint64_t gran);
void vgcu_pacer_free_slow(struct vgc_arena *a, uint64_t bytes);
void vgcu_pacer_seen(struct vgc_arena *a, int err,
		     const struct vgc_checkpoint *res);
bool vgcu_pacer_oom(struct vgc_arena *a, struct vgcu_tctx *t);
/* pacer.c, in a fork()ed child: no thread of the child runs a checkpoint */
void vgcu_pacer_atfork_child(struct vgc_arena *a);
/* pacer.c, for the driver: a checkpoint is due; *flags: VGC_CKPT_F_* */
bool vgcu_pacer_due(struct vgc_arena *a, unsigned int *flags);
bool vgcu_pacer_idle_work(struct vgc_arena *a);
void vgcu_pacer_enable_default(struct vgc_arena *a);

/* One allocation of gran granules by t: a subtraction, a rare fold. */
static inline void vgcu_pacer_count(struct vgc_arena *a, struct vgcu_tctx *t,
				    unsigned int gran)
{
	t->pace_left -= gran;
	if (__builtin_expect(t->pace_left <= 0, 0))
		vgcu_pacer_fold(a, t);
}

/*
 * An immediate free of gran granules by t: the count the pacer paces by
 * is net of them.  The balance may run up to one freed object below zero
 * (pace_left up to quota + gran), so that a thread that frees and
 * allocates objects of a fold's size or more does not fold, with its
 * atomic adds on the arena's shared counters, on every allocation.  What
 * a thread frees beyond that is other threads' allocation, which the
 * arena counted when they folded: it goes to the arena too (the slow
 * path), or a program whose frees are remote would look as if it never
 * freed, and its trigger, proportional to that "live" size, would grow
 * with every byte it allocated.
 */
static inline bool vgcu_pacer_credit_fits(struct vgcu_tctx *t, uint64_t gran)
{
	t->pace_left += (int64_t)gran;
	return __builtin_expect(t->pace_left <= t->pace_quota + (int64_t)gran, 1);
}

static inline void vgcu_pacer_credit(struct vgc_arena *a, struct vgcu_tctx *t,
				     uint64_t gran)
{
	if (!vgcu_pacer_credit_fits(t, gran))
		vgcu_pacer_credit_slow(a, t, gran);
}

/* One release of bytes by the calling thread. */
static inline void vgcu_pacer_released(struct vgc_arena *a, uint64_t bytes)
{
	struct vgcu_tctx *t = vgcu_tctx(a, false);

	if (__builtin_expect(!t, 0)) {
		vgcu_pacer_release_slow(a, bytes);
		return;
	}
	t->pace_rel += bytes;
	if (__builtin_expect(t->pace_rel >= VGCU_PACE_FOLD, 0))
		vgcu_pacer_fold(a, t);
}

/*
 * driver.c: the background checkpoint thread.  vgcu_driver_active() is
 * false in a fork()ed child (an atfork handler clears it).
 */
bool vgcu_driver_active(const struct vgc_arena *a);
void vgcu_driver_kick(struct vgc_arena *a);
void vgcu_driver_close(struct vgc_arena *a);
/* Waits for the driver's checkpoint in flight and holds the next back. */
struct vgcu_driver *vgcu_driver_pause(struct vgc_arena *a);
void vgcu_driver_resume(struct vgcu_driver *d);

/* sweep.c */
int vgcu_sweep_region(struct vgc_arena *a, unsigned int zone,
		      unsigned int part, unsigned int gens,
		      enum vgc_sweep_impl impl, unsigned int flags,
		      struct vgc_sweep_counts *c,
		      struct vgc_region_stats *rs);
void vgcu_sweep_block_scalar(struct vgc_sweep_block *b);
void vgcu_sweep_block_avx2(struct vgc_sweep_block *b);

uint64_t vgcu_now_ns(void);

/* The locks of struct vgcu_sweep_locks; init and destroy: checkpoint.c */
static inline void vgcu_mutex_lock(pthread_mutex_t *m)
{
	/* a process died holding it: its sweep state is plain words, and
	 * the next sweep recomputes everything from the planes */
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		pthread_mutex_consistent(m);
}

/* Initialises a set: process-shared and robust when pshared. */
int vgcu_sweep_locks_init(struct vgcu_sweep_locks *l, bool pshared);
void vgcu_sweep_locks_destroy(struct vgcu_sweep_locks *l);

static inline void vgcu_gp_lock(struct vgc_arena *a)
{
	vgcu_mutex_lock(&a->locks->gp);
}

static inline void vgcu_gp_unlock(struct vgc_arena *a)
{
	pthread_mutex_unlock(&a->locks->gp);
}

static inline void vgcu_part_lock(struct vgc_arena *a, unsigned int part)
{
	vgcu_mutex_lock(&a->locks->part[part]);
}

static inline void vgcu_part_unlock(struct vgc_arena *a, unsigned int part)
{
	pthread_mutex_unlock(&a->locks->part[part]);
}

/* The partitions of mask, in ascending order (the lock order). */
static inline void vgcu_parts_lock(struct vgc_arena *a, uint64_t mask)
{
	unsigned int p;

	for (p = 0; p < a->nr_parts; p++)
		if (mask & (1ULL << p))
			vgcu_part_lock(a, p);
}

static inline void vgcu_parts_unlock(struct vgc_arena *a, uint64_t mask)
{
	unsigned int p;

	for (p = a->nr_parts; p-- > 0;)
		if (mask & (1ULL << p))
			vgcu_part_unlock(a, p);
}

/* Every partition: what growth takes (it moves region boundaries). */
static inline void vgcu_sweep_lock(struct vgc_arena *a)
{
	vgcu_parts_lock(a, vgc_core_all_parts(a->nr_parts));
}

static inline void vgcu_sweep_unlock(struct vgc_arena *a)
{
	vgcu_parts_unlock(a, vgc_core_all_parts(a->nr_parts));
}

#endif /* VGCU_INT_H */
