// SPDX-License-Identifier: GPL-2.0
/*
 * Non-negative least squares: recovery of known parameters from noisy
 * synthetic profiling data, non-negativity, optimality (KKT and exhaustive
 * search over active sets), and the per-zone fit of the cost model.
 *
 * Stated tolerance: with 1 % Gaussian noise on 400 records whose feature
 * columns differ by four orders of magnitude, every non-zero parameter is
 * recovered within 3 % relative error, and a true zero parameter is fitted
 * to a contribution below 1 % of the mean measured time.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include <vgcu_zone.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static double nrand(void)
{
	double u = urand(), v = urand();

	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

#define M	400

static void synth(double *A, double *b, const double *xt, double noise)
{
	size_t i;

	for (i = 0; i < M; i++) {
		double t;

		A[i * 3 + 0] = 1e5 * (0.5 + urand());	/* objects marked */
		A[i * 3 + 1] = 10.0 * (0.2 + urand());	/* plane words */
		A[i * 3 + 2] = 1e3 * urand();		/* bytes staged */
		t = A[i * 3] * xt[0] + A[i * 3 + 1] * xt[1] + A[i * 3 + 2] * xt[2];
		b[i] = t * (1.0 + noise * nrand());
	}
}

TEST(recovers_known_parameters)
{
	static double A[M * 3], b[M];
	const double xt[3] = { 0.8, 0.0, 35.0 };
	double x[3], mb = 0, r;
	int i;

	synth(A, b, xt, 0.01);
	ASSERT_EQ(0, vgc_nnls(A, b, M, 3, x, &r));
	for (i = 0; i < M; i++)
		mb += b[i] / M;
	for (i = 0; i < 3; i++)
		ASSERT_GE(x[i], 0.0);
	EXPECT_LT(fabs(x[0] - xt[0]) / xt[0], 0.03);
	EXPECT_LT(fabs(x[2] - xt[2]) / xt[2], 0.03);
	/* mean column value of f_scan is ~7 */
	EXPECT_LT(x[1] * 7.0, 0.01 * mb);
	TH_LOG("fit %.4f %.4f %.4f (true 0.8 0 35), resid %.3g", x[0], x[1],
	       x[2], r);
}

TEST(exact_data_exact_fit)
{
	static double A[M * 3], b[M];
	const double xt[3] = { 1.5, 250.0, 0.125 };
	double x[3], r;
	int i;

	synth(A, b, xt, 0.0);
	ASSERT_EQ(0, vgc_nnls(A, b, M, 3, x, &r));
	for (i = 0; i < 3; i++)
		ASSERT_LT(fabs(x[i] - xt[i]) / xt[i], 1e-9);
}

/* min over all 2^n passive sets of the feasible unconstrained solutions */
static double brute(const double *A, const double *b, size_t m, size_t n)
{
	double best = INFINITY;
	unsigned int set, j;

	for (set = 0; set < (1U << n); set++) {
		double sub[64 * 4], x[4], full[4] = { 0 }, rr = 0;
		size_t i, k = 0, idx[4];
		int ok = 1;

		for (j = 0; j < n; j++)
			if (set & (1U << j))
				idx[k++] = j;
		if (k) {
			for (i = 0; i < m; i++)
				for (j = 0; j < k; j++)
					sub[i * k + j] = A[i * n + idx[j]];
			/* unconstrained LS via NNLS on +/- columns */
			{
				double pm[64 * 8], y[8];

				for (i = 0; i < m; i++)
					for (j = 0; j < k; j++) {
						pm[i * 2 * k + j] = sub[i * k + j];
						pm[i * 2 * k + k + j] = -sub[i * k + j];
					}
				vgc_nnls(pm, b, m, 2 * k, y, NULL);
				for (j = 0; j < k; j++)
					x[j] = y[j] - y[k + j];
			}
			for (j = 0; j < k; j++) {
				if (x[j] < 0)
					ok = 0;
				full[idx[j]] = x[j];
			}
		}
		if (!ok)
			continue;
		for (i = 0; i < m; i++) {
			double r = b[i];

			for (j = 0; j < n; j++)
				r -= A[i * n + j] * full[j];
			rr += r * r;
		}
		if (sqrt(rr) < best)
			best = sqrt(rr);
	}
	return best;
}

/* Data built so that unconstrained least squares wants negative values. */
TEST(never_negative_and_optimal)
{
	int trial;

	for (trial = 0; trial < 200; trial++) {
		double A[40 * 4], b[40], x[4], w[4] = { 0 }, r, rb, sc;
		const double xt[4] = { 1.0, -2.0, 3.0, -0.5 };
		size_t i, j, m = 40, n = 4;

		for (i = 0; i < m; i++) {
			b[i] = 0;
			for (j = 0; j < n; j++) {
				sc = j == 2 ? 1e4 : 1.0;
				A[i * n + j] = sc * (urand() + (j == 1 ? 0.5 * A[i * n] : 0));
				b[i] += A[i * n + j] * xt[j];
			}
			b[i] += 0.1 * nrand();
		}
		ASSERT_EQ(0, vgc_nnls(A, b, m, n, x, &r));
		for (j = 0; j < n; j++)
			ASSERT_GE(x[j], 0.0);
		/* KKT: gradient A^T (b - A x) is <= 0 where x = 0, ~0 where x > 0 */
		for (i = 0; i < m; i++) {
			double res = b[i];

			for (j = 0; j < n; j++)
				res -= A[i * n + j] * x[j];
			for (j = 0; j < n; j++)
				w[j] += A[i * n + j] * res;
		}
		for (j = 0; j < n; j++) {
			double colnorm = 0;

			for (i = 0; i < m; i++)
				colnorm += A[i * n + j] * A[i * n + j];
			colnorm = sqrt(colnorm);
			if (x[j] > 0) {
				ASSERT_LT(fabs(w[j]) / colnorm, 1e-6 * (1 + r));
			} else {
				ASSERT_LT(w[j] / colnorm, 1e-6 * (1 + r));
			}
		}
		rb = brute(A, b, m, n);
		ASSERT_LT(r, rb * (1 + 1e-9) + 1e-9);
	}
}

TEST(zero_column_and_bad_args)
{
	double A[6] = { 1, 0, 2, 0, 3, 0 }, b[3] = { 2, 4, 6 }, x[2];

	ASSERT_EQ(0, vgc_nnls(A, b, 3, 2, x, NULL));
	ASSERT_LT(fabs(x[0] - 2.0), 1e-12);
	ASSERT_EQ(0.0, x[1]);
	ASSERT_EQ(-EINVAL, vgc_nnls(A, b, 0, 2, x, NULL));
	ASSERT_EQ(-EINVAL, vgc_nnls(A, b, 3, 0, x, NULL));
	ASSERT_EQ(-EINVAL, vgc_nnls(A, b, 3, VGC_NNLS_MAX_N + 1, x, NULL));
	A[0] = NAN;
	ASSERT_EQ(-EINVAL, vgc_nnls(A, b, 3, 2, x, NULL));
}

TEST(fit_records_per_zone)
{
	static struct vgc_zone_record rec[3 * 100];
	struct vgc_zone_policy p;
	const double xt[3][3] = {
		{ 2.0, 5.0, 0.5 }, { 1.0, 0.0, 4.0 }, { 0.25, 3.0, 1.0 },
	};
	int z, i, n = 0;

	vgc_zone_policy_init(&p);
	for (z = 0; z < 3; z++)
		for (i = 0; i < 100; i++) {
			struct vgc_zone_record *r = &rec[n++];

			r->zone = (unsigned int)z;
			r->f_mark = 1e4 * (0.5 + urand());
			r->f_scan = 1e3 * (0.5 + urand());
			r->f_stage = 1e4 * urand();
			r->t_ns = (xt[z][0] * r->f_mark + xt[z][1] * r->f_scan +
				   xt[z][2] * r->f_stage) * (1 + 0.005 * nrand());
		}
	ASSERT_EQ(3, vgc_zone_fit_records(&p, rec, (size_t)n));
	ASSERT_EQ(0, vgc_zone_policy_check(&p));
	for (z = 0; z < 3; z++) {
		EXPECT_LT(fabs(p.zp[z].alpha - xt[z][0]) / xt[z][0], 0.03);
		EXPECT_LT(fabs(p.zp[z].gamma - xt[z][2]) / xt[z][2], 0.03);
		ASSERT_GE(p.zp[z].beta, 0.0);
	}
	/* two records are not enough: parameters stay */
	vgc_zone_policy_init(&p);
	ASSERT_EQ(0, vgc_zone_fit_records(&p, rec, 2));
	ASSERT_EQ(1.0, p.zp[VGC_ZONE_RED].alpha);
}

TEST_HARNESS_MAIN
