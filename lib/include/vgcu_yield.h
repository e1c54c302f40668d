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

/**
 * vgc_yield_enter() - open a scope on the calling thread
 * @s: the scope, saved (chunk, offset, depth); pass it to vgc_yield_exit()
 */
void vgc_yield_enter(struct vgc_yield_scope *s);
/**
 * vgc_yield_exit() - close the innermost scope
 * @s: the scope vgc_yield_enter() filled
 *
 * Everything allocated since the matching enter is gone; O(1).
 *
 * Return: 0, or -EINVAL when @s is NULL or not the innermost open scope of
 * this thread.
 */
int vgc_yield_exit(const struct vgc_yield_scope *s);
/**
 * vgc_yield_alloc() - allocate in the innermost scope
 * @size: bytes (0 takes 16), rounded up to 16
 *
 * Return: 16-byte aligned memory, or NULL with errno EPERM outside any
 * scope, ENOMEM when no memory, E2BIG past 1 GiB.
 */
void *vgc_yield_alloc(size_t size);
/**
 * vgc_yield_depth() - scope depth of the calling thread
 *
 * Return: the number of open scopes, 0 when none is open.
 */
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
/**
 * vgc_yield_stats() - the calling thread's Yield Memory counters
 * @st: receives them
 */
void vgc_yield_stats(struct vgc_yield_stats *st);
/**
 * vgc_yield_thread_release() - free the calling thread's chunks
 *
 * Return: 0, or -EBUSY while a scope is open.
 */
int vgc_yield_thread_release(void);

/**
 * vgc_yield_persist() - copy a value out of its scope into a zone
 * @a: the arena
 * @p: the value (may be NULL when @size is 0)
 * @size: bytes to copy
 * @zone: enum vgc_zone
 * @state: the state the copy enters the checkpoint system in, see below
 *
 * Copies @size bytes from @p into @zone of @a and registers the copy with
 * the checkpoint system in @state:
 *
 *   VGC_ST_ACTIVE      001, an ordinary object (Gen0);
 *   VGC_ST_PERSISTENT  100, pinned at allocation (Gen2; a pin request, so
 *                      Persistent from the first checkpoint that
 *                      evaluates Gen2), never reclaimed;
 *   VGC_ST_DEFERRED    101, handed straight to the grace-period path: it
 *                      stays valid for every thread until that thread's
 *                      next quiescent state, then is reclaimed with no
 *                      further call (an RCU-style deferred value).
 *
 * Return: the zone copy, or NULL with errno (EINVAL bad arena, value,
 * state or zone, ENOMEM zone full, E2BIG past VGC_SPAN_SIZE).
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

/**
 * vgc_lambda_state() - the 3-bit code of a lambda kind
 * @kind: enum vgc_lambda_kind
 *
 * Return: the code (ephemeral: 000, never stored), or -EINVAL for an
 * unknown kind.
 */
int vgc_lambda_state(enum vgc_lambda_kind kind);
/**
 * vgc_lambda_place() - place a lambda's value
 * @a: the arena (unused for ephemeral kinds)
 * @kind: enum vgc_lambda_kind
 * @zone: zone for the persisted kinds
 * @val: the value (may be NULL when @size is 0)
 * @size: its bytes
 *
 * Ephemeral kinds go to the current Yield scope, the others are persisted
 * into @zone with their code (vgc_yield_persist()).
 *
 * Return: the placed copy, or NULL with errno: EINVAL for an unknown kind
 * or @val NULL with @size, else as vgc_yield_alloc() or
 * vgc_yield_persist().
 */
void *vgc_lambda_place(struct vgc_arena *a, enum vgc_lambda_kind kind,
		       enum vgc_zone zone, const void *val, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* VGCU_YIELD_H */
