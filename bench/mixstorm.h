/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A mixed loopback storm that keeps its own log, for the soak: paced
 * connects of every kind a TCP tracer must get right, each written down
 * by the side that made it, with what the kernel told that side.
 *
 * Kinds, in turn: IPv4 to an IPv4 listener; IPv6 to ::1; an IPv6 socket
 * to ::ffff:127.0.0.1 (IPv4-mapped) and an IPv4 socket to the same port,
 * both accepted by a dual-stack (IPv6) listener; IPv4 and IPv6 connects
 * to a port bound by nobody listening (refused: RST to the SYN).  Every
 * close is a reset (SO_LINGER {1, 0}).  One connect in child_every is
 * made by a short-lived child process instead, which listens, connects,
 * accepts and exits, under a name of its own: PIDs and comms vary.
 */
#ifndef NRBENCH_MIXSTORM_H
#define NRBENCH_MIXSTORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Every thread and child of the storm is named "TAG-...": tag[] of
 * mix_opts, at most MIX_TAG_MAX characters, so that the rows of two
 * storms on one machine (two soaks at once) tell each other apart.
 */
#define MIX_TAG_MAX	10

enum mix_side { MIX_CONNECT, MIX_ACCEPT };

/* One line of the log: a connect() or an accept(), as its caller saw it. */
struct mix_rec {
	uint32_t pid;		/* thread group of the caller */
	uint8_t side;		/* enum mix_side */
	uint8_t family;		/* AF_INET or AF_INET6: of the caller's socket */
	uint8_t refused;	/* connect() got ECONNREFUSED */
	uint8_t child;		/* made by a short-lived child */
	uint8_t inferred;	/* laddr: the peer's (see log_sock()) */
	char comm[16];		/* of the calling thread */
	uint8_t laddr[16], raddr[16];	/* IPv4: the first 4 bytes */
	uint16_t lport, rport;	/* host order; local: getsockname() */
};

struct mix_opts {
	double secs;		/* make connects for this long */
	unsigned int rate;	/* connects per second, all kinds */
	int threads;		/* client threads */
	unsigned int child_every;	/* 0: no child processes */
	char tag[MIX_TAG_MAX + 1];	/* names: TAG-cl, TAG-acc, TAG-cN */
};

struct mix_stats {
	unsigned long connects;	/* connect() calls logged */
	unsigned long refused;
	unsigned long accepts;	/* accept() calls logged */
	unsigned long children;
	unsigned long early_resets;	/* connect() met the server's reset */
	unsigned long errors;	/* anything unplanned; first_errno says what */
	int first_errno;
	unsigned long log_full;	/* records the log had no room for */
};

struct mixstorm;

/* Start the storm's threads; 0 or -errno. */
int mix_start(struct mixstorm **mp, const struct mix_opts *o);
/* Connects started so far. */
unsigned long mix_progress(struct mixstorm *m);
/* Past the storm's end (its clients may still finish their last). */
bool mix_over(struct mixstorm *m);
/* Wait for the clients, then for the last accepts (2 s at most). */
void mix_wait(struct mixstorm *m, struct mix_stats *st);
/* The log, valid until mix_free(). */
size_t mix_log(struct mixstorm *m, const struct mix_rec **recs);
void mix_free(struct mixstorm *m);

#endif
