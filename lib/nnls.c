// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Non-negative least squares, Lawson and Hanson's active-set method
 * ("Solving Least Squares Problems", 1974, ch. 23), for the small n of the
 * zone cost model.  The unconstrained subproblems are solved by Householder
 * QR on the passive columns, never by normal equations, because profiling
 * features can be nearly collinear and squaring the condition number would
 * turn that into negative or wild coefficients.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "vgcu_zone.h"
#include "vgcu_int.h"

#define NNLS_STACK_WORDS	1024	/* 8 KiB */

/*
 * Least squares on the columns listed in idx[0..k): z[idx[j]] receives the
 * solution, other z entries are left alone.  Q is m*k scratch, y is m.
 * Columns whose pivot vanishes get 0 (rank deficiency).
 */
static void ls_passive(const double *A, const double *b, size_t m, size_t n,
		       const size_t *idx, size_t k, double *Q, double *y,
		       double *z)
{
	double sol[VGC_NNLS_MAX_N], diag[VGC_NNLS_MAX_N];
	size_t i, j, c;

	for (j = 0; j < k; j++)
		for (i = 0; i < m; i++)
			Q[j * m + i] = A[i * n + idx[j]];
	memcpy(y, b, m * sizeof(*y));

	for (j = 0; j < k && j < m; j++) {
		double *v = &Q[j * m];
		double norm = 0.0, alpha, vtv;

		for (i = j; i < m; i++)
			norm += v[i] * v[i];
		norm = sqrt(norm);
		if (norm == 0.0) {
			diag[j] = 0.0;
			continue;
		}
		alpha = v[j] > 0 ? -norm : norm;
		v[j] -= alpha;
		vtv = 0.0;
		for (i = j; i < m; i++)
			vtv += v[i] * v[i];
		for (c = j + 1; c < k; c++) {
			double *u = &Q[c * m], d = 0.0;

			for (i = j; i < m; i++)
				d += v[i] * u[i];
			d = 2.0 * d / vtv;
			for (i = j; i < m; i++)
				u[i] -= d * v[i];
		}
		{
			double d = 0.0;

			for (i = j; i < m; i++)
				d += v[i] * y[i];
			d = 2.0 * d / vtv;
			for (i = j; i < m; i++)
				y[i] -= d * v[i];
		}
		diag[j] = alpha;
	}
	for (j = k; j-- > 0;) {
		double s, r;

		if (j >= m) {
			sol[j] = 0.0;
			continue;
		}
		r = diag[j];
		if (fabs(r) <= 1e-12) {
			sol[j] = 0.0;
			continue;
		}
		s = y[j];
		for (c = j + 1; c < k; c++)
			s -= Q[c * m + j] * sol[c];
		sol[j] = s / r;
	}
	for (j = 0; j < k; j++)
		z[idx[j]] = sol[j];
}

static void gradient(const double *A, const double *b, size_t m, size_t n,
		     const double *x, double *w, double *resid)
{
	size_t i, j;
	double rr = 0.0;

	for (j = 0; j < n; j++)
		w[j] = 0.0;
	for (i = 0; i < m; i++) {
		double r = b[i];

		for (j = 0; j < n; j++)
			r -= A[i * n + j] * x[j];
		rr += r * r;
		for (j = 0; j < n; j++)
			w[j] += A[i * n + j] * r;
	}
	if (resid)
		*resid = sqrt(rr);
}

VGCU_API int vgc_nnls(const double *A0, const double *b, size_t m, size_t n,
		      double *x, double *resid)
{
	double scale[VGC_NNLS_MAX_N], w[VGC_NNLS_MAX_N], z[VGC_NNLS_MAX_N];
	size_t idx[VGC_NNLS_MAX_N];
	int passive[VGC_NNLS_MAX_N], usable[VGC_NNLS_MAX_N];
	int skip[VGC_NNLS_MAX_N];
	double small[NNLS_STACK_WORDS];
	double *A, *Q, *y, tol, amax = 0.0;
	size_t i, j, k, outer, max_outer = 3 * n + 30, words;
	int ret = 0;

	if (!A0 || !b || !x || !m || !n || n > VGC_NNLS_MAX_N ||
	    m > SIZE_MAX / (n * sizeof(double)))
		return -EINVAL;
	for (i = 0; i < m * n; i++)
		if (!isfinite(A0[i]))
			return -EINVAL;
	for (i = 0; i < m; i++)
		if (!isfinite(b[i]))
			return -EINVAL;
	/*
	 * One block for A, Q and y: on the stack when small (the common fit
	 * of a few hundred records), else one mmap, never libc malloc.
	 */
	words = 2 * m * n + m;
	A = words <= NNLS_STACK_WORDS ? small : vgcu_meta_alloc(words * sizeof(*A));
	if (!A)
		return -ENOMEM;
	Q = A + m * n;
	y = Q + m * n;

	/* feature scaling: unit-norm columns */
	for (j = 0; j < n; j++) {
		double s = 0.0;

		for (i = 0; i < m; i++)
			s += A0[i * n + j] * A0[i * n + j];
		scale[j] = sqrt(s);
		usable[j] = scale[j] > 0.0;
		for (i = 0; i < m; i++)
			A[i * n + j] = usable[j] ? A0[i * n + j] / scale[j] : 0.0;
		x[j] = 0.0;
		passive[j] = 0;
		skip[j] = 0;
	}
	for (i = 0; i < m; i++)
		if (fabs(b[i]) > amax)
			amax = fabs(b[i]);
	tol = 10.0 * DBL_EPSILON * (double)(m > n ? m : n) * (amax > 1 ? amax : 1);

	for (outer = 0;; outer++) {
		size_t t = n;
		double wmax = tol;

		gradient(A, b, m, n, x, w, NULL);
		for (j = 0; j < n; j++)
			if (usable[j] && !passive[j] && !skip[j] &&
			    w[j] > wmax) {
				wmax = w[j];
				t = j;
			}
		if (t == n)
			break;
		if (outer >= max_outer) {
			ret = -ERANGE;
			break;
		}
		passive[t] = 1;

		for (int first = 1;; first = 0) {
			double step = 1.0;
			int feasible = 1;

			k = 0;
			for (j = 0; j < n; j++) {
				z[j] = 0.0;
				if (passive[j])
					idx[k++] = j;
			}
			ls_passive(A, b, m, n, idx, k, Q, y, z);
			for (j = 0; j < n; j++)
				if (passive[j] && z[j] <= 0.0)
					feasible = 0;
			if (feasible) {
				memcpy(x, z, n * sizeof(*x));
				memset(skip, 0, sizeof(skip));
				break;
			}
			/*
			 * The column just added cannot enter with a positive
			 * coefficient (its gradient was rounding noise): leave
			 * x alone and do not pick it again until x moves,
			 * rather than cycle.
			 */
			if (first && z[t] <= 0.0) {
				passive[t] = 0;
				skip[t] = 1;
				break;
			}
			for (j = 0; j < n; j++) {
				if (passive[j] && z[j] <= 0.0 && x[j] > z[j]) {
					double s = x[j] / (x[j] - z[j]);

					if (s < step)
						step = s;
				}
			}
			for (j = 0; j < n; j++) {
				if (!passive[j])
					continue;
				x[j] += step * (z[j] - x[j]);
				if (x[j] <= tol) {
					x[j] = 0.0;
					passive[j] = 0;
				}
			}
		}
	}

	for (j = 0; j < n; j++) {
		if (x[j] < 0.0 || !usable[j])
			x[j] = 0.0;
		if (!passive[j])
			x[j] = 0.0;
	}
	if (resid) {
		gradient(A, b, m, n, x, w, resid);
	}
	for (j = 0; j < n; j++)
		x[j] = scale[j] > 0.0 ? x[j] / scale[j] : 0.0;
	if (A != small)
		vgcu_meta_free(A, words * sizeof(*A));
	return ret;
}
