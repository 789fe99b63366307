/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection storm: a loopback listener that accepts and closes, and
 * client threads that connect and close, bounded in count and in time.
 * Both ends set SO_LINGER {1, 0}: a close sends RST and leaves no
 * TIME_WAIT socket, so the ephemeral ports never run out.
 */
#ifndef NRBENCH_STORM_H
#define NRBENCH_STORM_H

#include <stdbool.h>
#include <stdint.h>

struct storm_opts {
	unsigned long conns;	/* client connects to make in all */
	int threads;		/* client threads */
	int acceptors;		/* accepting threads */
	double max_secs;	/* stop the clients after this long */
	uint16_t port;		/* listener port on 127.0.0.1, 0: any */
	int listen_fd;		/* >= 0: this listener (storm_run closes it) */
	/*
	 * Close right after connect(), not after the server's close.  A
	 * child socket reset before accept() has lost its local port (the
	 * kernel unhashes it): BCC and bpftrace show port 0 for it.
	 */
	bool no_wait;
};

struct storm_result {
	unsigned long conns;	/* connections made: connect() succeeded */
	unsigned long resets;	/* of which connect() saw the peer's RST */
	unsigned long unanswered; /* no close from the server within 2 s */
	unsigned long accepts;	/* accept() that succeeded */
	unsigned long errors;	/* socket()/connect() failures */
	int first_errno;	/* of the first failure, 0 if none */
	bool timed_out;		/* max_secs cut the clients short */
	uint64_t elapsed_ns;	/* first connect to last client done */
	uint64_t cpu_ns;	/* utime + stime of the whole process */
	double rate;		/* conns / elapsed */
	double cpu_us_per_conn;
};

/* A listening socket on 127.0.0.1:port (0: any), SO_LINGER {1, 0}. */
int storm_listen(uint16_t port, uint16_t *bound);
/*
 * The same on any address: family AF_INET or AF_INET6, addr its text
 * ("::1", "::ffff:127.0.0.1": an IPv6 socket that accepts IPv4 clients).
 */
int storm_listen_at(int family, const char *addr, uint16_t port,
		    uint16_t *bound);
/* SO_LINGER {1, 0}: close() sends RST.  0 or -1. */
int storm_linger0(int fd);
/* Run one storm; 0, or -errno when it could not start. */
int storm_run(const struct storm_opts *o, struct storm_result *r);

#endif
