// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The soak's flatness rule (bench/trend.c) on made-up curves: it must
 * pass a flat curve with noise, a warm-up step, one slow sample and
 * another tracer's burst, and fail a steady leak, a late step and a CPU
 * per event that creeps up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "trend.h"

#define N 60	/* a 10-minute soak sampled every 10 s */

/* The soak's rules: RSS in KiB, descriptors, CPU per event in µs. */
static const struct trend_rule rss_rule = {
	.warmup_frac = 0.1, .warmup_min = 2, .abs_slack = 256,
};
static const struct trend_rule fd_rule = {
	.warmup_frac = 0.1, .warmup_min = 2, .abs_slack = 1,
};
static const struct trend_rule cpu_rule = {
	.warmup_frac = 0.1, .warmup_min = 2, .abs_slack = 0.1, .rel_slack = 0.5,
};

/* Deterministic noise in [-1, 1]. */
static double noise(int i)
{
	return ((i * 7919) % 201 - 100) / 100.0;
}

static bool grew(const double *v, int n, const struct trend_rule *r)
{
	struct trend t;

	assert_int_equal(trend_check(v, n, r, &t), 0);
	return t.grew;
}

static void test_median(void **state)
{
	const double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };

	assert_true(median(odd, 3) == 3);
	assert_true(median(even, 4) == 2.5);
	assert_true(isnan(median(odd, 0)));
}

static void test_flat_passes(void **state)
{
	double rss[N], fds[N], cpu[N];
	int i;

	for (i = 0; i < N; i++) {
		rss[i] = 5112 + 60 * noise(i);
		fds[i] = 23;
		cpu[i] = 0.65 + 0.1 * noise(i);
	}
	assert_false(grew(rss, N, &rss_rule));
	assert_false(grew(fds, N, &fd_rule));
	assert_false(grew(cpu, N, &cpu_rule));
}

/* The ring buffer's pages are touched in the first seconds: warm-up. */
static void test_warmup_step_passes(void **state)
{
	double rss[N];
	int i;

	for (i = 0; i < N; i++)
		rss[i] = i < 3 ? 4200 + 300 * i : 5112;
	assert_false(grew(rss, N, &rss_rule));
}

/* A slow sample or a burst of other tenants' events is not a trend. */
static void test_spikes_pass(void **state)
{
	double rss[N], cpu[N];
	int i;

	for (i = 0; i < N; i++) {
		rss[i] = 5112;
		cpu[i] = 0.6;
	}
	rss[N - 1] = 9000;
	cpu[N - 2] = 5.0;
	cpu[N - 5] = 3.0;
	assert_false(grew(rss, N, &rss_rule));
	assert_false(grew(cpu, N, &cpu_rule));
}

/* 8 KiB a sample (16 bytes an event at 2000 events/s, 10 s samples). */
static void test_leak_fails(void **state)
{
	double rss[N];
	struct trend t;
	int i;

	for (i = 0; i < N; i++)
		rss[i] = 5112 + 8 * i + 20 * noise(i);
	assert_int_equal(trend_check(rss, N, &rss_rule, &t), 0);
	assert_true(t.grew);
	assert_true(t.last - t.first > 256);
}

/* One descriptor a minute, from the middle on. */
static void test_fd_leak_fails(void **state)
{
	double fds[N];
	int i;

	for (i = 0; i < N; i++)
		fds[i] = 23 + (i > N / 2 ? (i - N / 2) / 6 : 0);
	assert_true(grew(fds, N, &fd_rule));
}

/* A list that is searched and never emptied: CPU per event creeps up. */
static void test_cpu_creep_fails(void **state)
{
	double cpu[N];
	int i;

	for (i = 0; i < N; i++)
		cpu[i] = 0.6 + 0.02 * i;
	assert_true(grew(cpu, N, &cpu_rule));
	/* The same series shrinking is no failure. */
	for (i = 0; i < N; i++)
		cpu[i] = 2.0 - 0.02 * i;
	assert_false(grew(cpu, N, &cpu_rule));
}

/*
 * Another tracer's storm early on: cheap events at 25,000 a second.
 * Raw, the CPU per event "grows" once it is gone; at the same rate only,
 * it is flat.  A real creep still shows through the bursts.
 */
static void test_same_rate(void **state)
{
	double cpu[N], rate[N];
	int i, bursts = 0;

	for (i = 0; i < N; i++) {
		bool burst = i >= 4 && i < 26 && i % 4;

		bursts += burst;
		rate[i] = burst ? 25000 : 2000 + 50 * noise(i);
		cpu[i] = burst ? 0.35 : 0.9 + 0.05 * noise(i);
	}
	assert_true(grew(cpu, N, &cpu_rule));
	assert_int_equal(trend_same_rate(cpu, rate, N, 1.25), N - bursts);
	assert_false(grew(cpu, N, &cpu_rule));
	for (i = 0; i < N; i++) {
		bool burst = i % 4 == 1;

		rate[i] = burst ? 25000 : 2000;
		cpu[i] = burst ? 0.35 : 0.9 + 0.03 * i;
	}
	trend_same_rate(cpu, rate, N, 1.25);
	assert_true(grew(cpu, N, &cpu_rule));
}

static void test_short_or_empty(void **state)
{
	double v[4] = { 1, 2, 3, 4 }, gaps[N];
	struct trend t;
	int i;

	/* 4 samples, 2 of warm-up: too few to judge. */
	assert_int_equal(trend_check(v, 4, &rss_rule, &t), -1);
	assert_int_equal(trend_check(v, 0, &rss_rule, &t), -1);
	/* Intervals without events have no CPU per event: left out. */
	for (i = 0; i < N; i++)
		gaps[i] = i % 2 ? NAN : 0.6;
	assert_int_equal(trend_check(gaps, N, &cpu_rule, &t), 0);
	assert_int_equal(t.judged, (N - 6) / 2);
	assert_false(t.grew);
	assert_true(t.first == 0.6 && t.last == 0.6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_flat_passes),
		cmocka_unit_test(test_warmup_step_passes),
		cmocka_unit_test(test_spikes_pass),
		cmocka_unit_test(test_leak_fails),
		cmocka_unit_test(test_fd_leak_fails),
		cmocka_unit_test(test_cpu_creep_fails),
		cmocka_unit_test(test_same_rate),
		cmocka_unit_test(test_short_or_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
