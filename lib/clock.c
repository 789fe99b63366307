// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "clock.h"

int64_t nr_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Two plain reads can be a preemption apart: read realtime between two
 * monotonic reads and keep the tightest of a few tries.
 */
int64_t nr_real_minus_mono_ns(void)
{
	int64_t best = 0, gap = INT64_MAX, m1, r, m2;
	int i;

	for (i = 0; i < 3; i++) {
		m1 = nr_clock_ns(CLOCK_MONOTONIC);
		r = nr_clock_ns(CLOCK_REALTIME);
		m2 = nr_clock_ns(CLOCK_MONOTONIC);
		if (m2 - m1 < gap) {
			gap = m2 - m1;
			best = r - (m1 + (m2 - m1) / 2);
		}
	}
	return best;
}
