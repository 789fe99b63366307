/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Whole-row output for the tracers.  While tracing, stdout is a stream
 * that only appends to memory; out_flush() moves the whole lines held
 * to the real descriptor, each write() a run of whole lines that the
 * descriptor takes at once, without blocking (PIPE_BUF bytes after poll()
 * said there is room), so that
 * whenever output has to stop, the reader has whole rows and the writer
 * knows exactly how many it did not get.
 *
 * A write that a signal interrupts is not an error: out_flush() says so
 * and keeps every byte for the next call.  Only EPIPE means the reader
 * is gone.
 */
#ifndef NETRACE_OUT_H
#define NETRACE_OUT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What the lines appended from now on are, for the count of the lost. */
enum out_kind {
	OUT_OTHER,	/* banner, header, count tables */
	OUT_EVENT,	/* one line an event */
};

/* A run of lines of one kind, oldest first. */
struct out_seg {
	enum out_kind kind;
	uint64_t lines;
};

struct out {
	int fd;
	size_t chunk;		/* most bytes one write() carries */
	const sigset_t *waitmask;	/* signals let in while waiting */
	char *buf;
	size_t len, cap;	/* bytes held, room */
	size_t done;		/* bytes of buf already written */
	size_t whole;		/* bytes of buf that end a line */
	enum out_kind kind;
	struct out_seg *segs;	/* lines held, by kind */
	size_t nsegs, segcap;
	bool nomem;		/* a line could not be kept */
};

/* Lines held and not written, and how many of them are events. */
struct out_left {
	uint64_t lines;
	uint64_t events;
};

/*
 * Write to fd; waitmask (or NULL: the current mask) is the signal mask
 * while waiting for room, so that signals blocked otherwise can cut a
 * wait short.  0, or -errno.
 */
int out_init(struct out *o, int fd, const sigset_t *waitmask);
void out_free(struct out *o);
/*
 * A stream whose writes out_append(), buffered: fflush() it before
 * out_set_kind(), out_flush() and out_left() (fclose() it before
 * out_free()).
 */
FILE *out_stream(struct out *o);
/* Keep len bytes; 0, or -ENOMEM (then the bytes are not kept). */
int out_append(struct out *o, const char *p, size_t len);
static inline void out_set_kind(struct out *o, enum out_kind k)
{
	o->kind = k;
}
/*
 * Write every whole line held.  deadline_ns (CLOCK_MONOTONIC, 0: none):
 * give up waiting for room then.  0 when all went out; -EINTR when a
 * signal came (nothing lost: call again to go on); -ETIMEDOUT; -EPIPE
 * when the reader is gone; other -errno of write().
 */
int out_flush(struct out *o, uint64_t deadline_ns);
void out_left(const struct out *o, struct out_left *l);
/*
 * All written: give back what a burst grew the buffer to.  For quiet
 * moments: while rows stream, the buffer keeps its size (growing it again
 * costs page faults on every batch).
 */
void out_trim(struct out *o);
/* Bytes held, not yet written. */
static inline size_t out_held(const struct out *o)
{
	return o->len - o->done;
}

#endif
