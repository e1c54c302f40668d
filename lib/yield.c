// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Yield Memory: a thread-local chain of bump chunks.  A scope is a saved
 * (chunk, offset) pair, so exit is two stores.  Chunks past the current
 * one stay on the chain for the next scope, which keeps steady-state
 * ephemeral work free of malloc calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vgcu_yield.h"
#include "vgcu_int.h"

#define YIELD_CHUNK	(64U << 10)
#define YIELD_ALIGN	16U
#define YIELD_MAX	(1UL << 30)

struct ychunk {
	struct ychunk *next;
	size_t size;			/* usable bytes in data */
	size_t pad[2];
	unsigned char data[];
};

struct ytls {
	struct ychunk *head, *cur;
	size_t off;
	unsigned int depth;
	uint64_t allocs, persisted, chunks, reserved;
};

static __thread struct ytls yt;

VGCU_API void vgc_yield_enter(struct vgc_yield_scope *s)
{
	s->chunk = yt.cur;
	s->off = yt.off;
	s->depth = ++yt.depth;
	s->pad = 0;
}

VGCU_API int vgc_yield_exit(const struct vgc_yield_scope *s)
{
	if (!s || !yt.depth || s->depth != yt.depth)
		return -EINVAL;
	yt.cur = s->chunk;
	yt.off = s->off;
	yt.depth--;
	return 0;
}

VGCU_API unsigned int vgc_yield_depth(void)
{
	return yt.depth;
}

static struct ychunk *chunk_new(size_t need)
{
	size_t sz = need > YIELD_CHUNK ? need : YIELD_CHUNK;
	struct ychunk *c;

	c = vgcu_meta_alloc(sizeof(*c) + sz);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = sz;
	yt.chunks++;
	yt.reserved += sz;
	return c;
}

static void chain_free(struct ychunk *c)
{
	while (c) {
		struct ychunk *n = c->next;

		yt.chunks--;
		yt.reserved -= c->size;
		vgcu_meta_free(c, sizeof(*c) + c->size);
		c = n;
	}
}

/* Slow path: the current chunk is full (or there is none). */
static void *yield_refill(size_t sz)
{
	struct ychunk *next = yt.cur ? yt.cur->next : yt.head;

	if (!next || next->size < sz) {
		struct ychunk *c = chunk_new(sz);

		if (!c) {
			errno = ENOMEM;
			return NULL;
		}
		/* chunks past the current one hold no live value */
		if (next) {
			if (yt.cur)
				yt.cur->next = NULL;
			else
				yt.head = NULL;
			chain_free(next);
		}
		if (yt.cur)
			yt.cur->next = c;
		else
			yt.head = c;
		next = c;
	}
	yt.cur = next;
	yt.off = sz;
	yt.allocs++;
	return next->data;
}

VGCU_API void *vgc_yield_alloc(size_t size)
{
	size_t sz;

	if (!yt.depth) {
		errno = EPERM;
		return NULL;
	}
	if (size > YIELD_MAX) {
		errno = E2BIG;
		return NULL;
	}
	sz = (size + YIELD_ALIGN - 1) & ~(size_t)(YIELD_ALIGN - 1);
	if (!sz)
		sz = YIELD_ALIGN;
	if (yt.cur && yt.cur->size - yt.off >= sz) {
		void *p = yt.cur->data + yt.off;

		yt.off += sz;
		yt.allocs++;
		return p;
	}
	return yield_refill(sz);
}

VGCU_API void vgc_yield_stats(struct vgc_yield_stats *st)
{
	struct ychunk *c;
	uint64_t used = 0;

	memset(st, 0, sizeof(*st));
	for (c = yt.head; c && yt.cur; c = c->next) {
		if (c == yt.cur) {
			used += yt.off;
			break;
		}
		used += c->size;
	}
	st->allocs = yt.allocs;
	st->bytes_in_use = used;
	st->bytes_reserved = yt.reserved;
	st->chunks = yt.chunks;
	st->persisted = yt.persisted;
	st->depth = yt.depth;
}

VGCU_API int vgc_yield_thread_release(void)
{
	if (yt.depth)
		return -EBUSY;
	chain_free(yt.head);
	yt.head = NULL;
	yt.cur = NULL;
	yt.off = 0;
	return 0;
}

VGCU_API void *vgc_yield_persist(struct vgc_arena *a, const void *p,
				 size_t size, enum vgc_zone zone,
				 unsigned int state)
{
	void *q;
	int ret;

	if (!a || (size && !p) || (unsigned int)zone >= VGC_NR_ZONES) {
		errno = EINVAL;
		return NULL;
	}
	switch (state) {
	case VGC_ST_ACTIVE:
	case VGC_ST_DEFERRED:
		q = vgc_alloc_gen(a, size ? size : 1, zone, VGC_GEN0, 0);
		break;
	case VGC_ST_PERSISTENT:
		q = vgc_alloc_gen(a, size ? size : 1, zone, VGC_GEN2,
				  VGC_ALLOC_F_PERSISTENT);
		break;
	default:
		errno = EINVAL;
		return NULL;
	}
	if (!q)
		return NULL;
	if (size)
		memcpy(q, p, size);
	if (state == VGC_ST_DEFERRED) {
		ret = vgc_release(a, q);
		if (ret < 0) {
			errno = -ret;
			return NULL;
		}
	}
	yt.persisted++;
	return q;
}

VGCU_API int vgc_lambda_state(enum vgc_lambda_kind kind)
{
	switch (kind) {
	case VGC_LAMBDA_EPHEMERAL:
		return VGC_ST_IDLE;
	case VGC_LAMBDA_ACTIVE:
		return VGC_ST_ACTIVE;
	case VGC_LAMBDA_PERSISTENT:
		return VGC_ST_PERSISTENT;
	case VGC_LAMBDA_DEFERRED:
		return VGC_ST_DEFERRED;
	}
	return -EINVAL;
}

VGCU_API void *vgc_lambda_place(struct vgc_arena *a, enum vgc_lambda_kind kind,
				enum vgc_zone zone, const void *val, size_t size)
{
	void *q;
	int st = vgc_lambda_state(kind);

	if (st < 0 || (size && !val)) {
		errno = EINVAL;
		return NULL;
	}
	if (kind == VGC_LAMBDA_EPHEMERAL) {
		q = vgc_yield_alloc(size);
		if (q && size)
			memcpy(q, val, size);
		return q;
	}
	return vgc_yield_persist(a, val, size, zone, (unsigned int)st);
}
