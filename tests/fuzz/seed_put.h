/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NETRACE_SEED_PUT_H
#define NETRACE_SEED_PUT_H

#include <stddef.h>

/* Write n bytes at p to DIR/NAME, a seed for a fuzzer; 0, or -1 after perror. */
int seed_put(const char *dir, const char *name, const void *p, size_t n);

#endif
