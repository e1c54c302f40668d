/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Yield Memory (docs/design.md, Yield Memory): per-thread scoped bump
 * arenas for ephemeral values.  No state bits, no checkpoint work, no
 * atomics: a value allocated in a scope lives until that scope exits, and
 * exiting a scope is O(1) whatever it allocated.  A value that must outlive
 * its scope is persisted into a zone and so enters the checkpoint
 * lifecycle.
 *
 * Scopes nest and must exit in LIFO order on the thread that entered them.
 * Memory is never shared between threads: passing a Yield pointer to
 * another thread is valid only until the owning scope exits.
 */
#ifndef VGCU_YIELD_H
#define VGCU_YIELD_H

#include <stddef.h>
#include <stdint.h>
#include <vgcu.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vgc_yield_scope {
	void *chunk;
	size_t off;
	unsigned int depth;
	unsigned int pad;
};

/* Opens a scope on the calling thread. */
void vgc_yield_enter(struct vgc_yield_scope *s);
/*
 * Closes it: everything allocated since the matching enter is gone.
 * -EINVAL when s is not the innermost open scope of this thread.
 */
int vgc_yield_exit(const struct vgc_yield_scope *s);
/*
 * size bytes, 16-byte aligned, in the innermost scope.  NULL with errno
 * EPERM outside any scope, ENOMEM when no memory, E2BIG past 1 GiB.
 */
void *vgc_yield_alloc(size_t size);
/* Scope depth of the calling thread (0: none open). */
unsigned int vgc_yield_depth(void);

struct vgc_yield_stats {
	uint64_t allocs;		/* values allocated since thread start */
	uint64_t bytes_in_use;		/* in open scopes now */
	uint64_t bytes_reserved;	/* chunks held for reuse */
	uint64_t chunks;
	uint64_t persisted;
	unsigned int depth;
	unsigned int pad;
};
void vgc_yield_stats(struct vgc_yield_stats *st);
/* Frees the thread's chunks; -EBUSY while a scope is open. */
int vgc_yield_thread_release(void);

/*
 * Persist: copies size bytes from p into zone of arena a and registers the
 * copy with the checkpoint system in "state":
 *   VGC_ST_ACTIVE      001, an ordinary object (Gen0);
 *   VGC_ST_PERSISTENT  100, pinned at allocation (Gen2), never reclaimed;
 *   VGC_ST_DEFERRED    101, handed straight to the grace-period path: it
 *                      stays valid for every thread until that thread's
 *                      next quiescent state, then is reclaimed with no
 *                      further call (an RCU-style deferred value).
 * Returns the zone copy, or NULL with errno (EINVAL bad state or zone,
 * ENOMEM zone full, E2BIG past VGC_SPAN_SIZE).
 */
void *vgc_yield_persist(struct vgc_arena *a, const void *p, size_t size,
			enum vgc_zone zone, unsigned int state);

/* ---- lambda mapping (paper section 4) ---------------------------------- */

enum vgc_lambda_kind {
	VGC_LAMBDA_EPHEMERAL	= 0,	/* 000: Yield only, no state bits */
	VGC_LAMBDA_ACTIVE	= 1,	/* 001 */
	VGC_LAMBDA_PERSISTENT	= 2,	/* 100 */
	VGC_LAMBDA_DEFERRED	= 3,	/* 101 */
};

/* The 3-bit code of a kind (ephemeral: 000, never stored), or -EINVAL. */
int vgc_lambda_state(enum vgc_lambda_kind kind);
/*
 * Places a lambda's value: ephemeral kinds in the current Yield scope,
 * the others persisted into zone with their code.  NULL with errno.
 */
void *vgc_lambda_place(struct vgc_arena *a, enum vgc_lambda_kind kind,
		       enum vgc_zone zone, const void *val, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* VGCU_YIELD_H */
