// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fopencookie(), memrchr(), ppoll() */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "out.h"

#define OUT_FILE_CHUNK	(1u << 20)	/* a regular file takes any size */
#define OUT_MIN_CAP	(64u << 10)	/* what a pipe holds */
#define OUT_STREAM_BUF	(64u << 10)

int out_init(struct out *o, int fd, const sigset_t *waitmask)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->waitmask = waitmask;
	/*
	 * A pipe takes a write of up to PIPE_BUF bytes whole or not at all,
	 * and without blocking once poll() says it has room (a free page);
	 * so do sockets and terminals in practice.  Only a file may get more
	 * at once.  Not more to a pipe, however empty it looks: a write()
	 * merges into its last page only what fits there, so earlier small
	 * writes leave pages part full, and how many are free no call says
	 * (FIONREAD counts bytes).  A write() larger than the free pages
	 * blocks with the stop signals blocked, until a reader comes.
	 */
	o->chunk = !fstat(fd, &st) && S_ISREG(st.st_mode) ? OUT_FILE_CHUNK :
							   PIPE_BUF;
	return 0;
}

void out_free(struct out *o)
{
	if (o->buf)
		munmap(o->buf, o->cap);
	free(o->segs);
	o->buf = NULL;
	o->segs = NULL;
	o->len = o->cap = o->done = o->whole = 0;
	o->nsegs = o->segcap = 0;
}

/*
 * The buffer is mapped by hand, not malloc()ed: a burst of rows may grow
 * it to megabytes, and out_trim() must give that back to the system for
 * sure (a freed heap block may well stay in RSS for good).
 */
static bool resize(struct out *o, size_t cap)
{
	void *p;

	if (!o->buf)
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		p = mremap(o->buf, o->cap, cap, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return false;
	o->buf = p;
	o->cap = cap;
	return true;
}

static bool reserve(struct out *o, size_t len)
{
	size_t cap = o->cap ? o->cap : OUT_MIN_CAP;

	if (o->len + len <= o->cap)
		return true;
	while (cap < o->len + len)
		cap *= 2;
	return resize(o, cap);
}

static size_t count_lines(const char *p, size_t len)
{
	const char *end = p + len;
	size_t n = 0;

	while (p < end && (p = memchr(p, '\n', end - p))) {
		n++;
		p++;
	}
	return n;
}

/* Count n new lines of the current kind. */
static bool add_lines(struct out *o, uint64_t n)
{
	struct out_seg *s;

	if (!n)
		return true;
	if (o->nsegs && o->segs[o->nsegs - 1].kind == o->kind) {
		o->segs[o->nsegs - 1].lines += n;
		return true;
	}
	if (o->nsegs == o->segcap) {
		size_t cap = o->segcap ? 2 * o->segcap : 4;

		s = realloc(o->segs, cap * sizeof(*s));
		if (!s)
			return false;
		o->segs = s;
		o->segcap = cap;
	}
	o->segs[o->nsegs++] = (struct out_seg){ o->kind, n };
	return true;
}

int out_append(struct out *o, const char *p, size_t len)
{
	const char *nl;

	if (!reserve(o, len) || !add_lines(o, count_lines(p, len))) {
		o->nomem = true;
		return -ENOMEM;
	}
	memcpy(o->buf + o->len, p, len);
	nl = memrchr(p, '\n', len);
	if (nl)
		o->whole = o->len + (nl - p) + 1;
	o->len += len;
	return 0;
}

static ssize_t cookie_write(void *c, const char *p, size_t len)
{
	return out_append(c, p, len) ? -1 : (ssize_t)len;
}

FILE *out_stream(struct out *o)
{
	static const cookie_io_functions_t io = { .write = cookie_write };
	FILE *f = fopencookie(o, "w", io);

	/*
	 * Fully buffered: rows reach out_append() in 64 KiB runs, not one
	 * call each (14 ns a row less through glibc's unbuffered path).
	 */
	if (f && setvbuf(f, NULL, _IOFBF, OUT_STREAM_BUF)) {
		fclose(f);
		return NULL;
	}
	return f;
}

/* Up to room bytes of whole lines from done; one longer line alone. */
static size_t chunk_len(const struct out *o, size_t room)
{
	size_t max = o->whole - o->done;
	const char *p = o->buf + o->done, *nl;

	if (max <= room)
		return max;
	nl = memrchr(p, '\n', room);
	if (nl)
		return nl - p + 1;
	return (const char *)memchr(p, '\n', max) - p + 1;
}

/* Room to write, before deadline_ns (0: none)?  0 or -errno. */
static int wait_room(const struct out *o, uint64_t deadline_ns)
{
	struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };
	struct timespec ts, *tsp = NULL;
	int64_t left;

	if (deadline_ns) {
		left = (int64_t)deadline_ns - nr_clock_ns(CLOCK_MONOTONIC);
		if (left <= 0)
			return -ETIMEDOUT;
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		tsp = &ts;
	}
	switch (ppoll(&pfd, 1, tsp, o->waitmask)) {
	case -1:
		return -errno;
	case 0:
		return -ETIMEDOUT;
	default:
		/* POLLERR: the reader is gone, which write() will say. */
		return 0;
	}
}

/* Forget what went out. */
static void compact(struct out *o)
{
	if (o->done == o->len) {
		o->len = o->done = o->whole = 0;
		o->nsegs = 0;
		return;
	}
	if (o->done < o->cap / 2)
		return;
	memmove(o->buf, o->buf + o->done, o->len - o->done);
	o->len -= o->done;
	o->whole -= o->done;
	o->done = 0;
}

int out_flush(struct out *o, uint64_t deadline_ns)
{
	bool file = o->chunk == OUT_FILE_CHUNK;
	ssize_t n;
	int err = 0;

	while (o->done < o->whole) {
		if (!file && (err = wait_room(o, deadline_ns)))
			break;
		n = write(o->fd, o->buf + o->done,
			  chunk_len(o, o->chunk));
		if (n < 0 && errno == EAGAIN)
			continue;	/* non-blocking: wait_room() again */
		if (n < 0) {
			err = -errno;
			break;
		}
		o->done += n;
	}
	compact(o);
	return err;
}

void out_trim(struct out *o)
{
	if (o->done == o->len && o->cap > OUT_MIN_CAP)
		resize(o, OUT_MIN_CAP);
}

void out_left(const struct out *o, struct out_left *l)
{
	uint64_t rest, n;
	size_t i;

	l->lines = count_lines(o->buf + o->done, o->whole - o->done);
	l->events = 0;
	rest = l->lines;
	for (i = o->nsegs; i-- > 0 && rest;) {
		n = o->segs[i].lines < rest ? o->segs[i].lines : rest;
		if (o->segs[i].kind == OUT_EVENT)
			l->events += n;
		rest -= n;
	}
}
