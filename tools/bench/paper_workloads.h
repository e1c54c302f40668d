/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The paper's PPE workloads (section 8), one source for the benchmark
 * (vgc-bench paper) and the PPE tests (selftests/lib/ppe_run_test.c).
 *
 * One "step" is one index of the range:
 *   loop    acc += step(i); one 64 B object per PW_LOOP_EVERY iterations
 *   rec     divide and conquer down to leaves of PW_LEAF steps, one 32 B
 *           object per leaf, sums combined on the way up
 *   deep    linear recursion, one frame per step (depth = partition
 *           length), one 32 B object per PW_DEEP_EVERY frames
 *   matrix  C = A * B (doubles with small integer values, so the sums are
 *           exact), row partitioned, each C row an object of its own,
 *           checksum over C
 *
 * Every kernel takes a struct pw_alloc that says where its temporary
 * objects come from: the PPE partition's arena zone, or malloc.
 */
#ifndef VGC_PAPER_WORKLOADS_H
#define VGC_PAPER_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>
#include <vgcu_ppe.h>

enum { PW_LOOP, PW_REC, PW_DEEP, PW_MATRIX, PW_NR };

#define PW_DEEP_FRAME	160	/* stack bytes per deep-recursion step, generous */
#define PW_LEAF		32
#define PW_DEEP_EVERY	64
#define PW_LOOP_EVERY	4096

static inline uint64_t pw_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t pw_step(uint64_t i)
{
	return pw_mix(pw_mix(pw_mix(pw_mix(i + 0x9e3779b97f4a7c15ULL))));
}

/* How a variant gets its temporary objects. */
struct pw_alloc {
	struct vgc_ppe_part *part;	/* NULL: malloc */
	int err;			/* first allocation failure, -errno */
};

uint64_t pw_loop_range(uint64_t b, uint64_t e, struct pw_alloc *al);
uint64_t pw_rec_range(uint64_t b, uint64_t e, struct pw_alloc *al);
uint64_t pw_deep_rec(uint64_t i, uint64_t e, struct pw_alloc *al);

struct pw_matrix {
	unsigned int n;
	double *a, *b;
};

/* Allocates and fills A and B of n x n; 0 or -ENOMEM. */
int pw_matrix_init(struct pw_matrix *m, unsigned int n);
void pw_matrix_free(struct pw_matrix *m);
/* Rows [rb, re) of C = A * B, each row an object; their checksum. */
uint64_t pw_matrix_rows(const struct pw_matrix *m, uint64_t rb, uint64_t re,
			struct pw_alloc *al);

/* One job: a workload over [0, n) (rows of m for the matrix). */
struct pw_work {
	int w;
	uint64_t n;
	struct pw_matrix m;
};

uint64_t pw_work_range(const struct pw_work *wk, uint64_t b, uint64_t e,
		       struct pw_alloc *al);

/* vgc_ppe_job body and combine: arg is a struct pw_work, result a uint64_t. */
int pw_ppe_body(struct vgc_ppe_part *part, uint64_t b, uint64_t e,
		void *result, void *arg);
void pw_ppe_combine(void *acc, const void *p, void *arg);

#endif /* VGC_PAPER_WORKLOADS_H */
