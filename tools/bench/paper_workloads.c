// SPDX-License-Identifier: GPL-2.0
/*
 * The paper's PPE workloads, shared by vgc-bench paper and the PPE tests;
 * see paper_workloads.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vgcu.h>
#include "paper_workloads.h"

/* ---- the work itself, shared by every variant -------------------------- */

static void *pw_get(struct pw_alloc *al, size_t size)
{
	void *p;

	if (al->part) {
		p = vgc_ppe_alloc(al->part, size);
		if (!p && !al->err)
			al->err = -(errno ? errno : ENOMEM);
	} else {
		p = malloc(size);
		if (!p && !al->err)
			al->err = -ENOMEM;
	}
	return p;
}

static void pw_put(struct pw_alloc *al, void *p)
{
	if (!p)
		return;
	if (al->part)
		vgc_release(al->part->arena, p);
	else
		free(p);
}

uint64_t pw_loop_range(uint64_t b, uint64_t e, struct pw_alloc *al)
{
	uint64_t acc = 0, i;

	for (i = b; i < e; i++) {
		if (!(i % PW_LOOP_EVERY)) {
			uint64_t *rec = pw_get(al, 64);

			if (rec) {
				rec[0] = i;
				acc += rec[0];
				pw_put(al, rec);
			}
		}
		acc += pw_step(i);
	}
	return acc;
}

uint64_t pw_rec_range(uint64_t b, uint64_t e, struct pw_alloc *al)
{
	if (e - b <= PW_LEAF) {
		uint64_t s = 0, i, *node = pw_get(al, 32);

		for (i = b; i < e; i++)
			s += pw_step(i);
		if (node) {
			node[0] = s;
			node[1] = e - b;
			s = node[0] + node[1];
			pw_put(al, node);
		}
		return s;
	}
	return pw_rec_range(b, b + (e - b) / 2, al) +
	       pw_rec_range(b + (e - b) / 2, e, al);
}

/* The escaping frame keeps gcc from turning the recursion into a loop. */
uint64_t __attribute__((noinline))
pw_deep_rec(uint64_t i, uint64_t e, struct pw_alloc *al)
{
	uint64_t frame[4], r;

	if (i >= e)
		return 0;
	frame[0] = pw_step(i);
	frame[1] = i;
	if (!(i % PW_DEEP_EVERY)) {
		uint64_t *o = pw_get(al, 32);

		if (o) {
			o[0] = i;
			frame[0] += o[0];
			pw_put(al, o);
		}
	}
	__asm__ __volatile__("" : : "r"(frame) : "memory");
	r = pw_deep_rec(i + 1, e, al);
	__asm__ __volatile__("" : : "r"(frame) : "memory");
	return frame[0] + r;
}

static double mat_a(unsigned int i, unsigned int j)
{
	return (double)((i * 7 + j * 3) % 17) - 8;
}

static double mat_b(unsigned int i, unsigned int j)
{
	return (double)((i * 5 + j * 11) % 13) - 6;
}

int pw_matrix_init(struct pw_matrix *m, unsigned int n)
{
	unsigned int x, y;

	m->n = n;
	m->a = malloc(sizeof(double) * n * n);
	m->b = malloc(sizeof(double) * n * n);
	if (!m->a || !m->b) {
		pw_matrix_free(m);
		return -ENOMEM;
	}
	for (x = 0; x < n; x++)
		for (y = 0; y < n; y++) {
			m->a[(size_t)x * n + y] = mat_a(x, y);
			m->b[(size_t)x * n + y] = mat_b(x, y);
		}
	return 0;
}

void pw_matrix_free(struct pw_matrix *m)
{
	free(m->a);
	free(m->b);
	m->a = m->b = NULL;
}

uint64_t pw_matrix_rows(const struct pw_matrix *m, uint64_t rb, uint64_t re,
			struct pw_alloc *al)
{
	unsigned int n = m->n, k, j;
	uint64_t acc = 0, r;

	for (r = rb; r < re; r++) {
		double *c = pw_get(al, (size_t)n * sizeof(double));
		const double *ar = m->a + r * n;

		if (!c)
			return acc;
		memset(c, 0, (size_t)n * sizeof(double));
		for (k = 0; k < n; k++) {
			const double aik = ar[k], *br = m->b + (size_t)k * n;

			for (j = 0; j < n; j++)
				c[j] += aik * br[j];
		}
		for (j = 0; j < n; j++)
			acc += (uint64_t)(int64_t)c[j] * (j + 1) + r;
		pw_put(al, c);
	}
	return acc;
}

/* ---- one job ------------------------------------------------------------- */

uint64_t pw_work_range(const struct pw_work *wk, uint64_t b, uint64_t e,
		       struct pw_alloc *al)
{
	switch (wk->w) {
	case PW_LOOP:
		return pw_loop_range(b, e, al);
	case PW_REC:
		return pw_rec_range(b, e, al);
	case PW_DEEP:
		return pw_deep_rec(b, e, al);
	default:
		return pw_matrix_rows(&wk->m, b, e, al);
	}
}

int pw_ppe_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		void *result, void *arg)
{
	struct pw_alloc al = { .part = part };

	*(uint64_t *)result = pw_work_range(arg, b, e, &al);
	return al.err;
}

void pw_ppe_combine(void *acc, const void *p, void *arg)
{
	(void)arg;
	*(uint64_t *)acc += *(const uint64_t *)p;
}
