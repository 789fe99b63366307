// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal.h"

/* journald takes datagrams up to its socket's buffer; ours are < 1 KiB. */
#define ENTRY_MAX	(16 << 10)

static int put(char *buf, size_t size, size_t *pos, const void *s, size_t n)
{
	if (*pos + n > size)
		return -1;
	memcpy(buf + *pos, s, n);
	*pos += n;
	return 0;
}

/* KEY=VALUE\n, or KEY\n + 64-bit little-endian length + VALUE + \n. */
static int put_field(char *buf, size_t size, size_t *pos,
		     const struct journal_field *f)
{
	size_t klen = strlen(f->key), vlen = strlen(f->value);
	unsigned char len[8];
	int i;

	if (put(buf, size, pos, f->key, klen))
		return -1;
	if (!memchr(f->value, '\n', vlen))
		return put(buf, size, pos, "=", 1) ||
		       put(buf, size, pos, f->value, vlen) ||
		       put(buf, size, pos, "\n", 1);
	for (i = 0; i < 8; i++)
		len[i] = (uint64_t)vlen >> (8 * i);
	return put(buf, size, pos, "\n", 1) || put(buf, size, pos, len, 8) ||
	       put(buf, size, pos, f->value, vlen) ||
	       put(buf, size, pos, "\n", 1);
}

long journal_encode(char *buf, size_t size, const struct journal_field *f,
		    int n)
{
	size_t pos = 0;
	int i;

	for (i = 0; i < n; i++)
		if (put_field(buf, size, &pos, &f[i]))
			return -1;
	return pos;
}

int journal_open(struct journal *j, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(j, 0, sizeof(*j));
	j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (j->fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(j->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(j->fd);
		j->fd = -1;
		return err;
	}
	return 0;
}

/*
 * Never waits: a journald that does not keep up must not stall tracing
 * (the rows on stdout come first).  What it did not take is counted.
 */
int journal_send(struct journal *j, const struct journal_field *f, int n)
{
	char buf[ENTRY_MAX];
	long len = journal_encode(buf, sizeof(buf), f, n);
	int err = -E2BIG;

	if (len >= 0) {
		if (send(j->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) == len)
			return 0;
		err = -errno;
	}
	j->failed++;
	j->last_err = -err;
	return err;
}

void journal_close(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}
