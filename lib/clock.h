/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NETRACE_CLOCK_H
#define NETRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t nr_clock_ns(clockid_t id);
/* CLOCK_REALTIME minus CLOCK_MONOTONIC (bpf_ktime_get_ns()'s clock). */
int64_t nr_real_minus_mono_ns(void);

#endif
