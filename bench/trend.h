/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Is a series flat?  The soak's rule for the tracer's RSS, open
 * descriptors and CPU per event, sampled at fixed intervals: after a
 * warm-up, the median of the last third may exceed the median of the
 * first third by at most a slack.  Medians of thirds, not a fitted
 * slope: one slow sample (another tenant of the machine, a page fault
 * burst) moves neither, a steady leak moves the last one.
 */
#ifndef NRBENCH_TREND_H
#define NRBENCH_TREND_H

#include <stdbool.h>

struct trend_rule {
	double warmup_frac;	/* share of the samples not judged, at the start */
	int warmup_min;		/* and at least this many */
	double abs_slack;	/* growth allowed, in the samples' unit */
	double rel_slack;	/* plus this share of the first third's median */
};

struct trend {
	int judged;		/* samples after the warm-up (NaNs left out) */
	double first, last;	/* medians of the first and the last third */
	double allowed;		/* last may be at most first + allowed */
	bool grew;
};

/* Median of n values (v is not changed); NaN when n <= 0. */
double median(const double *v, int n);
/*
 * Leave out (set to NaN) every v[i] whose rate[i] is not within a factor
 * tol (1.25: -20 % to +25 %) of the median rate.  CPU per event depends
 * on the rate itself (a tracer's wakeups cost the same for 2,000 events
 * a second as for 25,000), and other tracers on a shared machine come
 * and go: only samples taken at about the same rate compare.  Returns
 * how many are left.
 */
int trend_same_rate(double *v, const double *rate, int n, double tol);
/*
 * Judge v[0..n) (NaN samples are left out).  0, or -1 when fewer than
 * three samples are left after the warm-up: too short to say.
 */
int trend_check(const double *v, int n, const struct trend_rule *r,
		struct trend *t);

#endif
