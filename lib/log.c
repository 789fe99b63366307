// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Every message is formatted into one buffer and written with a single
 * write(2), so lines from netrace never interleave with other writers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

const char *nr_prog = "netrace";
bool nr_verbose;

/*
 * A usage error quotes what the user typed (and argv[0]), which may hold
 * a newline or a terminal escape: each control byte of [from, to)
 * becomes '?', as ls shows them, so that the error stays one line and
 * prints harmlessly.  Other messages may span lines on purpose.
 */
static void blank_controls(char *from, const char *to)
{
	for (; from < to; from++)
		if ((unsigned char)*from < 0x20 || *from == 0x7f)
			*from = '?';
}

static void vlog(const char *suffix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n, m;

	n = snprintf(buf, sizeof(buf), "%s: ", nr_prog);
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	n = m < 0 ? n : (n + m >= (int)sizeof(buf) ? (int)sizeof(buf) - 1 : n + m);
	if (suffix) {
		m = snprintf(buf + n, sizeof(buf) - n, suffix, nr_prog);
		n = n + m >= (int)sizeof(buf) ? (int)sizeof(buf) - 1 : n + m;
		/* only usage errors have a suffix */
		blank_controls(buf, buf + n);
	}
	/* Always end in exactly one newline, even when truncated. */
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}

void nr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void nr_dbg(const char *fmt, ...)
{
	va_list ap;

	if (!nr_verbose)
		return;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void nr_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("; see '%s --help'", fmt, ap);
	va_end(ap);
}
