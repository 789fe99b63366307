// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Whole-row output (lib/out.c) on real pipes and files: what reaches the
 * reader is whole lines only, whatever stops the writing, and what did
 * not reach it is counted exactly, events apart.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "out.h"

/* A pipe that holds one page: a few rows fill it. */
static void small_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
}

/* All the pipe holds now (non-blocking), NUL-terminated; its length. */
static size_t read_all(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (got < n - 1 && (r = read(fd, buf + got, n - 1 - got)) > 0)
		got += r;
	buf[got] = '\0';
	return got;
}

static size_t lines_in(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* "event NNNN ..." rows of len bytes each, newline included. */
static void append_rows(struct out *o, int first, int n, size_t len)
{
	char row[512];

	assert_true(len < sizeof(row) && len > 12);
	for (int i = first; i < first + n; i++) {
		int k = snprintf(row, sizeof(row), "event %06d", i);

		memset(row + k, '.', len - k - 1);
		row[len - 1] = '\n';
		assert_int_equal(out_append(o, row, len), 0);
	}
}

static uint64_t in_ms(int ms)
{
	return nr_clock_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000;
}

static void test_flush_all(void **state)
{
	struct out o;
	char buf[8192];
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	out_init(&o, p[1], NULL);
	assert_int_equal(out_append(&o, "HEAD\n", 5), 0);
	append_rows(&o, 0, 10, 100);
	assert_int_equal(out_flush(&o, 0), 0);
	assert_int_equal(read_all(p[0], buf, sizeof(buf)), 5 + 10 * 100);
	assert_memory_equal(buf, "HEAD\nevent 000000.", 18);
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

/* A 64 KiB pipe, read by nobody, takes 60 KB of rows in one flush. */
static void test_big_pipe(void **state)
{
	static char buf[1 << 16];
	struct out_left left;
	struct out o;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 1 << 16) >= 1 << 16);
	out_init(&o, p[1], NULL);
	append_rows(&o, 0, 1000, 60);
	assert_int_equal(out_flush(&o, in_ms(1000)), 0);
	out_left(&o, &left);
	assert_int_equal(left.lines, 0);
	assert_int_equal(read_all(p[0], buf, sizeof(buf)), 60000);
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

/*
 * A burst grows the buffer; once all of it is out, out_trim() brings the
 * buffer back to its first size: what a burst took is given back, RSS
 * stays flat.  Not while rows are held.
 */
static void test_shrinks_when_empty(void **state)
{
	char path[] = "/tmp/nr_test_out_XXXXXX";
	struct out o;
	size_t first;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	out_init(&o, fd, NULL);
	append_rows(&o, 0, 1, 100);
	first = o.cap;
	append_rows(&o, 1, 5000, 100);
	assert_true(o.cap >= 5001 * 100 && o.cap > first);
	out_trim(&o);
	assert_true(o.cap >= 5001 * 100);
	assert_int_equal(out_flush(&o, 0), 0);
	out_trim(&o);
	assert_int_equal(o.cap, first);
	assert_int_equal(lseek(fd, 0, SEEK_END), 5001 * 100);
	out_free(&o);
	close(fd);
}

/* A line not yet ended stays until it is. */
static void test_partial_line_kept(void **state)
{
	struct out o;
	char buf[64];
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	out_init(&o, p[1], NULL);
	assert_int_equal(out_append(&o, "ab\ncd", 5), 0);
	assert_int_equal(out_flush(&o, 0), 0);
	assert_int_equal(read_all(p[0], buf, sizeof(buf)), 3);
	assert_int_equal(out_append(&o, "e\n", 2), 0);
	assert_int_equal(out_flush(&o, 0), 0);
	assert_int_equal(read_all(p[0], buf, sizeof(buf)), 4);
	assert_string_equal(buf, "cde\n");
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

/*
 * Nobody reads: the deadline passes, the pipe (of pipe_size bytes) holds
 * only whole lines, and what is left is counted: header, events and
 * table lines apart.  The big pipe takes many pages a write.
 */
static void deadline_whole_lines(int pipe_size, int rows)
{
	static char buf[1 << 20];
	struct out_left left;
	size_t got, lines;
	struct out o;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, pipe_size) >= pipe_size);
	out_init(&o, p[1], NULL);
	assert_int_equal(out_append(&o, "HEADER\n", 7), 0);
	out_set_kind(&o, OUT_EVENT);
	append_rows(&o, 0, rows, 97);	/* 97: rows straddle pages */
	out_set_kind(&o, OUT_OTHER);
	assert_int_equal(out_append(&o, "\ntable 1\ntable 2\n", 17), 0);
	assert_int_equal(out_flush(&o, in_ms(50)), -ETIMEDOUT);
	out_left(&o, &left);
	got = read_all(p[0], buf, sizeof(buf));
	assert_true(got > 0 && buf[got - 1] == '\n');
	lines = lines_in(buf, got);
	assert_int_equal(lines + left.lines, 1 + rows + 3);
	assert_int_equal(left.events, rows - (lines - 1));
	/* What was read is the header and the first rows, whole. */
	assert_int_equal(got, 7 + (lines - 1) * 97);
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

static void test_deadline_whole_lines(void **state)
{
	deadline_whole_lines(4096, 500);
	deadline_whole_lines(1 << 16, 5000);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Earlier small writes left the pipe's pages half full: a write() merges
 * into the last page only what fits there, so each of these 2,100-byte
 * runs took a page of its own, and 10 of 16 pages are in use with 21,000
 * bytes queued.  Nobody reads: the flush must give up at its deadline,
 * never block in a write() the pipe cannot take whole (with the stop
 * signals blocked, netrace could then never be stopped but by SIGKILL).
 * An alarm stands for the signal: a write it interrupts has blocked.
 */
static void test_deadline_half_full_pages(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	static char run[2100], buf[1 << 17];
	struct out_left left;
	size_t got, lines;
	int64_t t0, ms;
	struct out o;
	int p[2], err;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 1 << 16) >= 1 << 16);
	memset(run, 'x', sizeof(run) - 1);
	run[sizeof(run) - 1] = '\n';
	for (int i = 0; i < 10; i++)
		assert_int_equal(write(p[1], run, sizeof(run)), sizeof(run));
	out_init(&o, p[1], NULL);
	out_set_kind(&o, OUT_EVENT);
	append_rows(&o, 0, 600, 100);
	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART: write() returns */
	t0 = nr_clock_ns(CLOCK_MONOTONIC);
	alarm(2);
	err = out_flush(&o, in_ms(200));
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	ms = (nr_clock_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	if (ms > 1000)
		fail_msg("out_flush() took %lld ms, for a deadline of 200 ms: a write() blocked",
			 (long long)ms);
	assert_int_equal(err, -ETIMEDOUT);
	out_left(&o, &left);
	got = read_all(p[0], buf, sizeof(buf));
	assert_true(got > 10 * sizeof(run) && buf[got - 1] == '\n');
	lines = lines_in(buf, got) - 10;
	assert_int_equal(got, 10 * sizeof(run) + lines * 100);
	assert_int_equal(left.events, 600 - lines);
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

/* A line longer than a pipe takes at once still goes out, whole. */
static void test_long_line(void **state)
{
	static char buf[16384], line[PIPE_BUF + 100];
	struct out_left left;
	struct out o;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	out_init(&o, p[1], NULL);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	assert_int_equal(out_append(&o, "a\n", 2), 0);
	assert_int_equal(out_append(&o, line, sizeof(line)), 0);
	assert_int_equal(out_flush(&o, in_ms(1000)), 0);
	out_left(&o, &left);
	assert_int_equal(left.lines, 0);
	assert_int_equal(read_all(p[0], buf, sizeof(buf)), 2 + sizeof(line));
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

/* The reader gone: EPIPE (SIGPIPE ignored, as the tracer does). */
static void test_epipe(void **state)
{
	struct out o;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	out_init(&o, p[1], NULL);
	append_rows(&o, 0, 3, 20);
	assert_int_equal(out_flush(&o, in_ms(1000)), -EPIPE);
	out_free(&o);
	close(p[1]);
}

/* A non-blocking pipe: EAGAIN is a wait, not an error. */
static void test_nonblocking_pipe(void **state)
{
	static char buf[1 << 16];
	struct out_left left;
	size_t got = 0;
	struct out o;
	int p[2];

	small_pipe(p);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	out_init(&o, p[1], NULL);
	out_set_kind(&o, OUT_EVENT);
	append_rows(&o, 0, 200, 50);
	assert_int_equal(out_flush(&o, in_ms(50)), -ETIMEDOUT);
	/* 10,000 bytes through one page: three reads at least. */
	for (int i = 0; i < 10 && out_flush(&o, in_ms(50)); i++)
		got += read_all(p[0], buf + got, sizeof(buf) - got);
	got += read_all(p[0], buf + got, sizeof(buf) - got);
	assert_int_equal(got, 200 * 50);
	out_left(&o, &left);
	assert_int_equal(left.lines, 0);
	assert_int_equal(left.events, 0);
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

/* The stream applets write to: fprintf() and fwrite() both land. */
static void test_stream(void **state)
{
	char path[] = "/tmp/nr_test_out_XXXXXX", buf[128];
	struct out_left left;
	struct out o;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	out_init(&o, fd, NULL);
	f = out_stream(&o);
	assert_non_null(f);
	assert_true(fprintf(f, "%s %d\n", "row", 1) > 0);
	assert_int_equal(fwrite("row 2\n", 1, 6, f), 6);
	/* Buffered: nothing reaches out before a flush. */
	out_left(&o, &left);
	assert_int_equal(left.lines, 0);
	assert_int_equal(fflush(f), 0);
	out_left(&o, &left);
	assert_int_equal(left.lines, 2);
	assert_int_equal(out_flush(&o, 0), 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 12);
	assert_memory_equal(buf, "row 1\nrow 2\n", 12);
	fclose(f);
	out_free(&o);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flush_all),
		cmocka_unit_test(test_partial_line_kept),
		cmocka_unit_test(test_deadline_whole_lines),
		cmocka_unit_test(test_big_pipe),
		cmocka_unit_test(test_deadline_half_full_pages),
		cmocka_unit_test(test_shrinks_when_empty),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_epipe),
		cmocka_unit_test(test_nonblocking_pipe),
		cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests_name("out", tests, NULL, NULL);
}
