// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Text output of the tracers: BCC's rows byte for byte, the fields of a
 * row, the row of one pid, messages that show control bytes, and the
 * "attach strategy:" line of -v.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

const char *nr_visible(const char *s, char *buf, size_t n)
{
	size_t pos = 0;

	for (; *s && pos + 5 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			pos += snprintf(buf + pos, n - pos, "\\x%02x", ch);
		else
			buf[pos++] = (char)ch;
	}
	buf[pos] = 0;
	return buf;
}

void nr_sanitize(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s);
	for (; *dst; dst++)
		if ((unsigned char)*dst < 0x20 || *dst == 0x7f)
			*dst = '?';
}

const char *nr_field(const char *line, int i, char *buf, size_t n)
{
	const char *p = line;
	size_t len;

	for (;;) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!i-- || !len)
			break;
		p += len;
	}
	snprintf(buf, n, "%.*s", (int)len, p);
	return buf;
}

const char *nr_stdout_dump(struct nr_tracer *t, size_t from)
{
	static char buf[8192];
	size_t pos = 0;

	buf[0] = 0;
	for (size_t i = from; i < t->out.nlines && pos + 2 < sizeof(buf); i++)
		pos += snprintf(buf + pos, sizeof(buf) - pos, "\n  \"%s\"",
				t->out.lines[i]);
	return buf;
}

void nr_expect_line(struct nr_tracer *t, const char *what, const char *got,
		    const char *want)
{
	char g[1024], w[1024];

	if (strcmp(got, want))
		fail_msg("'%s': %s differs\n  want: \"%s\"\n  got:  \"%s\"",
			 t->cmdline, what, nr_visible(want, w, sizeof(w)),
			 nr_visible(got, g, sizeof(g)));
}

void nr_expect_header_must(struct nr_tracer *t, const char *want)
{
	const char *line;

	if (nr_tracer_line(t, NR_OUT, NR_EVENT_TIMEOUT_MS, &line) != 1)
		fail_msg("'%s': no header after the banner", t->cmdline);
	nr_expect_line(t, "header", line, want);
}

const char *nr_wait_row_must(struct nr_tracer *t, pid_t pid, int pid_field)
{
	int64_t end = nr_now_ms() + NR_EVENT_TIMEOUT_MS;
	char want[16], got[64];
	const char *line;
	int rc;

	snprintf(want, sizeof(want), "%d", (int)pid);
	for (;;) {
		int64_t left = end - nr_now_ms();

		rc = nr_tracer_line(t, NR_OUT, left > 0 ? (int)left : 0, &line);
		if (rc != 1)
			break;
		if (!strcmp(nr_field(line, pid_field, got, sizeof(got)), want))
			return line;
	}
	fail_msg("'%s': no text row for pid %d (%s)\nstdout:%s\nstderr:\n%s",
		 t->cmdline, (int)pid, rc ? "stdout closed" : "timeout",
		 nr_stdout_dump(t, 0), nr_tracer_stderr(t));
	return NULL;
}

/* ---- tcpconnect's columns ---- */

size_t nr_tc_header(char *buf, size_t n)
{
	int len = snprintf(buf, n, NR_TC_HDR_FMT, "PID", "COMM", "IP",
			   "SADDR", "DADDR", "DPORT");

	return len < 0 ? 0 : (size_t)len;
}

size_t nr_tc_row(char *buf, size_t n, pid_t pid, const char *comm, int ip,
		 const char *saddr, const char *daddr, int dport)
{
	char c[32];
	int len;

	nr_sanitize(c, sizeof(c), comm);
	len = snprintf(buf, n, NR_TC_ROW_FMT, (int)pid, c, ip, saddr, daddr,
		       dport);
	return len < 0 ? 0 : (size_t)len;
}

/* ---- -v: the attach strategy ---- */

/* The word after "attach strategy:" in stderr, or NULL. */
static const char *strategy(struct nr_tracer *t, char *buf, size_t n)
{
	const char *key = "attach strategy:";

	for (size_t i = 0; i < t->err.nlines; i++) {
		const char *p = strstr(t->err.lines[i], key);

		if (p)
			return nr_field(p + strlen(key), 0, buf, n);
	}
	return NULL;
}

void nr_expect_strategy_must(struct nr_tracer *t, const char *want)
{
	const char *forced = getenv("NETRACE_ATTACH");
	char buf[64];
	const char *s = strategy(t, buf, sizeof(buf));

	if (want) {
		if (!s || strcmp(s, want))
			fail_msg("'%s': want \"attach strategy: %s\" on "
				 "stderr, got: %s\nstderr:\n%s", t->cmdline,
				 want, s ? s : "(none)", nr_tracer_stderr(t));
		return;
	}
	if (!s || (strcmp(s, "fentry") && strcmp(s, "kprobe") &&
		   strcmp(s, "tracepoint")))
		fail_msg("'%s': want \"attach strategy: fentry|kprobe|"
			 "tracepoint\" on stderr\nstderr:\n%s", t->cmdline,
			 nr_tracer_stderr(t));
	if (forced && *forced && strcmp(forced, "auto") && strcmp(s, forced))
		fail_msg("'%s': strategy %s, but --attach=%s was given",
			 t->cmdline, s, forced);
}
