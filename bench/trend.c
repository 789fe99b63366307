// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The flatness rule of the soak (trend.h); nrbench's medians. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trend.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(const double *v, int n)
{
	double *s, m;

	if (n <= 0)
		return NAN;
	s = malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

int trend_check(const double *v, int n, const struct trend_rule *r,
		struct trend *t)
{
	int skip = (int)ceil(n * r->warmup_frac), k = 0, i, third;
	double *s;

	memset(t, 0, sizeof(*t));
	if (skip < r->warmup_min)
		skip = r->warmup_min;
	s = malloc((n > 0 ? n : 1) * sizeof(*s));
	if (!s)
		return -1;
	for (i = skip; i < n; i++)
		if (!isnan(v[i]))
			s[k++] = v[i];
	t->judged = k;
	if (k < 3) {
		free(s);
		return -1;
	}
	third = k / 3;
	t->first = median(s, third);
	t->last = median(s + k - third, third);
	t->allowed = r->abs_slack + r->rel_slack * fabs(t->first);
	t->grew = t->last > t->first + t->allowed;
	free(s);
	return 0;
}

int trend_same_rate(double *v, const double *rate, int n, double tol)
{
	double m = median(rate, n);
	int i, left = 0;

	for (i = 0; i < n; i++) {
		if (isnan(m) || rate[i] < m / tol || rate[i] > m * tol)
			v[i] = NAN;
		left += !isnan(v[i]);
	}
	return left;
}
