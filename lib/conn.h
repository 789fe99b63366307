/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the TCP connection applets share between an event and its row. */
#ifndef NETRACE_CONN_H
#define NETRACE_CONN_H

#include <linux/types.h>
#include <stdint.h>
#include <time.h>

#include "format.h"
#include "netrace.h"
#include "opts.h"

#define CONN_ADDRLEN	64

struct conn_text {
	char laddr[CONN_ADDRLEN];
	char raddr[CONN_ADDRLEN];
	int ip;				/* 4 or 6 */
	uint64_t rel_ns;		/* since the first event printed */
	char hms[16];			/* local wall clock HH:MM:SS */
};

struct conn_clock {
	uint64_t first_ns;
	int64_t mono_to_real_ns;	/* bpf_ktime_get_ns() -> CLOCK_REALTIME */
	time_t hms_sec;			/* the second hms was made for */
	char hms[16];
};

/* State of a connection applet's output: options, formatter, clock. */
struct conn_out {
	const struct nr_opts *o;
	struct fmt fmt;
	struct conn_clock clock;
};

void conn_clock_init(struct conn_clock *c);
void conn_out_init(struct conn_out *c, const struct nr_opts *o,
		   const struct column *cols, unsigned int ncols);
/* Fill t from e: addresses as text, family, times. */
void conn_text(struct conn_clock *c, const struct nr_event *e,
	       struct conn_text *t);

/*
 * Where an applet's columns are, for conn_cells(): CONN_COL(its index),
 * or 0 (left out of the initializer) for one it does not have.
 */
#define CONN_COL(i)	((i) + 1)
struct conn_cols {
	uint8_t hms;		/* HH:MM:SS */
	uint8_t secs;		/* seconds since the first event */
	uint8_t uid, pid, comm, ip;
	uint8_t laddr, lport, raddr, rport;
};

/* The cells every connection applet fills alike, from e and t. */
void conn_cells(const struct conn_cols *k, const struct nr_event *e,
		const struct conn_text *t, union cell *v);

#endif
