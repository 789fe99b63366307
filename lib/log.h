/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NETRACE_LOG_H
#define NETRACE_LOG_H

#include <stdbool.h>

/* Name the user typed: "tcpconnect", or "netrace" before dispatch. */
extern const char *nr_prog;
extern bool nr_verbose;

/* "prog: message\n" on stderr in one write. */
void nr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, only with -v. */
void nr_dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: "prog: message; see 'prog --help'\n". */
void nr_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
