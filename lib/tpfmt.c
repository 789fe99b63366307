// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* memmem() */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpfmt.h"

#define FORMAT_MAX	8192	/* format files are 1-3 KiB */

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing/events",
	"/sys/kernel/debug/tracing/events",
};

/* Does the declaration "type name" or "type name[N]" (len bytes) declare name? */
static bool decl_names(const char *decl, size_t len, const char *name)
{
	const char *bracket = memchr(decl, '[', len);
	size_t end = bracket ? (size_t)(bracket - decl) : len, start;

	while (end && decl[end - 1] == ' ')
		end--;
	start = end;
	while (start && decl[start - 1] != ' ' && decl[start - 1] != '*')
		start--;
	return end - start == strlen(name) &&
	       !strncmp(decl + start, name, end - start);
}

/*
 * The value after "key:" on the line from p to eol, into *v: 0, or -1.
 * tracefs prints it "%u;", so only digits are taken: strtol() would also
 * take a sign, blanks and the next line's number, and a long would be
 * cut to an unsigned int.
 */
static int line_value(const char *p, const char *eol, const char *key,
		      unsigned int *v)
{
	const char *k = memmem(p, eol - p, key, strlen(key)), *d;
	unsigned long long n = 0;	/* holds UINT_MAX * 10 + 9 */

	if (!k)
		return -1;
	k += strlen(key);
	for (d = k; d < eol && *d >= '0' && *d <= '9'; d++) {
		n = n * 10 + (*d - '0');
		if (n > UINT_MAX)
			return -1;
	}
	if (d == k || d == eol || *d != ';')
		return -1;
	*v = n;
	return 0;
}

int tp_format_field(const char *text, const char *name, unsigned int *offset,
		    unsigned int *size)
{
	const char *p = text, *end = text + strlen(text), *eol, *decl, *semi;
	unsigned int off, sz;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		decl = memmem(p, eol - p, "field:", strlen("field:"));
		if (!decl)
			continue;
		decl += strlen("field:");
		semi = memchr(decl, ';', eol - decl);
		if (!semi || !decl_names(decl, semi - decl, name))
			continue;
		if (line_value(semi, eol, "offset:", &off) ||
		    line_value(semi, eol, "size:", &sz) || !sz)
			return -1;
		*offset = off;
		*size = sz;
		return 0;
	}
	return -1;
}

/* The first of the n fields text does not lay out as they say, in why. */
static bool check_fields(const char *text, const struct tp_field *fields,
			 size_t n, char *why, size_t why_len)
{
	unsigned int off, size;
	size_t i;

	for (i = 0; i < n; i++) {
		if (tp_format_field(text, fields[i].name, &off, &size)) {
			snprintf(why, why_len, "no field %s", fields[i].name);
			return false;
		}
		if (off != fields[i].offset || size != fields[i].size) {
			snprintf(why, why_len, "%s at offset %u size %u, not %u size %u",
				 fields[i].name, off, size, fields[i].offset,
				 fields[i].size);
			return false;
		}
	}
	return true;
}

bool tp_format_matches(const char *text, const struct tp_field *fields,
		       size_t n)
{
	char why[96];

	return check_fields(text, fields, n, why, sizeof(why));
}

/* The format file's text, NUL-terminated, in buf; 0 or -errno. */
static int read_format(const char *tp, char *buf, size_t len)
{
	char path[256];
	size_t i, n;
	FILE *f = NULL;

	for (i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/format", tracefs_roots[i], tp);
		f = fopen(path, "re");
		if (f)
			break;
	}
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n ? 0 : -EIO;
}

bool tp_layout_matches(const char *tp, const struct tp_field *fields,
		       size_t n, char *why, size_t why_len)
{
	char *text = malloc(FORMAT_MAX);
	bool ok = false;
	int err;

	if (!text) {
		snprintf(why, why_len, "%s", strerror(ENOMEM));
		return false;
	}
	err = read_format(tp, text, FORMAT_MAX);
	if (err)
		snprintf(why, why_len, "no format file for %s: %s", tp,
			 strerror(-err));
	else
		ok = check_fields(text, fields, n, why, why_len);
	free(text);
	return ok;
}
