/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Entries for the systemd journal, written in journald's native protocol
 * (systemd's "Native Journal Protocol" document): one datagram of
 * KEY=VALUE lines to /run/systemd/journal/socket, a value holding a
 * newline in the binary form.  libsystemd's sd_journal_send() does the
 * same; netrace is one static binary, and libsystemd has no static
 * library on the distributions it is built on.
 */
#ifndef NETRACE_JOURNAL_H
#define NETRACE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

struct journal {
	int fd;
	uint64_t failed;	/* entries the journal did not take */
	int last_err;		/* errno of the last of them */
};

struct journal_field {
	const char *key;	/* upper case, digits, '_'; not starting '_'
				 * unless journald is to drop it */
	const char *value;	/* any bytes but NUL */
};

/* Connect to journald's socket: 0 or -errno (the journal not there). */
int journal_open(struct journal *j, const char *path);
/*
 * Send one entry without waiting: 0, or -errno when journald could not
 * take it (counted in failed).  -E2BIG: too large for one datagram.
 */
int journal_send(struct journal *j, const struct journal_field *f, int n);
void journal_close(struct journal *j);

/* The entry as the protocol has it, into buf: its length, or -1. */
long journal_encode(char *buf, size_t size, const struct journal_field *f,
		    int n);

#endif
