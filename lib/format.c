// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Rows are built in a buffer with hand-rolled integer and padding code
 * and written with one fwrite(): printf() per column was the cost that
 * mattered at hundreds of thousands of rows a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "format.h"

#define ROW_STACK	1024

/*
 * An output buffer: fixed (fmt_json_str, fmt_sanitize: full stops it) or
 * growable (rows: starts on the stack, moves to the heap when needed).
 */
struct buf {
	char *p;
	size_t n;
	size_t pos;
	bool full;
	bool grow;
	bool heap;
};

/* Make room for len more bytes (and a NUL) when there is not. */
static bool grow(struct buf *b, size_t len)
{
	size_t n = b->n;
	char *p;

	if (!b->grow || b->full)
		return false;
	while (b->pos + len >= n)
		n *= 2;
	p = b->heap ? realloc(b->p, n) : malloc(n);
	if (!p)
		return false;
	if (!b->heap)
		memcpy(p, b->p, b->pos);
	b->p = p;
	b->n = n;
	b->heap = true;
	return true;
}

/*
 * Inline, growing out of line: a row makes a few dozen put()s, many of
 * one constant byte, and the calls were 10-15% of a row (perf).
 */
static inline void put(struct buf *b, const char *s, size_t len)
{
	if (b->pos + len >= b->n && !grow(b, len)) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->pos, s, len);
	b->pos += len;
}

static void pad(struct buf *b, size_t used, int width)
{
	static const char spaces[] = "                                ";

	while ((int)used < width) {
		size_t k = width - used;

		if (k > sizeof(spaces) - 1)
			k = sizeof(spaces) - 1;
		put(b, spaces, k);
		used += k;
	}
}

/* Decimal digits of v into the end of tmp; returns the start. */
static char *utoa(unsigned long long v, char *end)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

static size_t put_int(struct buf *b, long long v)
{
	char tmp[24], *end = tmp + sizeof(tmp), *s;
	unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

	s = utoa(u, end);
	if (v < 0)
		*--s = '-';
	put(b, s, end - s);
	return end - s;
}

/* units / 10^decimals as "I.FFF"; returns the length. */
static size_t put_fixed(struct buf *b, uint64_t units, int decimals)
{
	char tmp[32], *end = tmp + sizeof(tmp), *s = end;
	uint64_t div = 1, frac;
	int i;

	for (i = 0; i < decimals; i++)
		div *= 10;
	frac = units % div;
	for (i = 0; i < decimals; i++) {
		*--s = '0' + frac % 10;
		frac /= 10;
	}
	*--s = '.';
	s = utoa(units / div, s);
	put(b, s, end - s);
	return end - s;
}

/*
 * "%.Nf" of v / 10^digits (N = decimals <= digits), as printf rounds
 * that double.  Away from an exact half unit integer rounding gives the
 * same digits; on one, only printf knows which way the double falls.
 */
static size_t put_scaled(struct buf *b, uint64_t v, int digits, int decimals)
{
	uint64_t unit = 1, div = 1;
	char tmp[48];
	int i, len;

	for (i = decimals; i < digits; i++)
		unit *= 10;
	if (unit == 1 || v % unit != unit / 2)
		return put_fixed(b, v / unit + (v % unit > unit / 2), decimals);
	for (i = 0; i < digits; i++)
		div *= 10;
	len = snprintf(tmp, sizeof(tmp), "%.*f", decimals, (double)v / div);
	put(b, tmp, len);
	return len;
}

/*
 * Seconds: BCC prints whole microseconds / 1e6, the same double as
 * ns / 1e9 when ns is a multiple of 1000.
 */
static size_t put_secs_text(struct buf *b, uint64_t ns, int decimals)
{
	return put_scaled(b, ns, 9, decimals > 0 && decimals <= 9 ? decimals : 3);
}

/* Milliseconds: BCC's float(us) / 1000, us = ns / 1000 truncated. */
static size_t put_ms_text(struct buf *b, uint64_t ns, int decimals)
{
	return put_scaled(b, ns / 1000, 3, decimals > 0 && decimals <= 3 ? decimals : 3);
}

static size_t put_hex(struct buf *b, unsigned long long v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[20], *end = tmp + sizeof(tmp), *s = end;

	do {
		*--s = digits[v & 0xf];
		v >>= 4;
	} while (v);
	put(b, s, end - s);
	return end - s;
}

/* JSON: microseconds, exact. */
static size_t put_secs_json(struct buf *b, uint64_t ns)
{
	return put_fixed(b, ns / 1000 + (ns % 1000 >= 500), 6);
}

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* A character a terminal must not get raw: C0, DEL, C1, invalid UTF-8. */
static bool unsafe(const unsigned char *s, size_t len)
{
	if (!len)
		return true;
	if (len == 1)
		return *s < 0x20 || *s == 0x7f;
	return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/*
 * Length of the run of printable ASCII at s (at most n bytes): bytes
 * that go out as they are.  Copying a run with one put() rather than a
 * put() and a utf8_len() per byte is what keeps strings cheap.
 */
static size_t ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	return i;
}

/* The same for a JSON string, where '"' and '\\' need escaping too. */
static size_t json_run(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
	       s[i] != '\\')
		i++;
	return i;
}

/*
 * The bytes of an invalid sequence at s that Python decodes into one
 * U+FFFD: a lead byte and the continuation bytes after it that stop short
 * of a whole character (the kernel cuts a 16-byte comm anywhere); else 1.
 */
static size_t bad_seq_len(const unsigned char *s, size_t rest)
{
	size_t need = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2, i = 1;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 1;
	while (i < need && i < rest && (s[i] & 0xc0) == 0x80)
		i++;
	return i < need ? i : 1;
}

/*
 * Append at most max units of s (0: no limit) made safe for a terminal,
 * never half a character.  Units are bytes, or with chars characters
 * (Python 3's "%-10.10s" of a str counts code points).  Returns the
 * units appended.
 */
static size_t put_sanitized(struct buf *b, const char *str, size_t max,
			    bool chars)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t rest = strlen(str), room = max ? max : SIZE_MAX, used = 0;
	size_t len, out;

	while (rest && !b->full) {
		len = ascii_run(s, rest);
		if (len) {
			out = len = len < room - used ? len : room - used;
			if (!len)
				break;
			put(b, (const char *)s, len);
		} else {
			len = utf8_len(s, rest);
			out = unsafe(s, len) || chars ? 1 : len;
			if (out > room - used)
				break;
			if (unsafe(s, len))
				put(b, "?", 1);
			else
				put(b, (const char *)s, len);
			if (!len)
				len = chars ? bad_seq_len(s, rest) : 1;
		}
		used += out;
		s += len;
		rest -= len;
	}
	return used;
}

char *fmt_sanitize(char *dst, size_t n, const char *src)
{
	struct buf b = { .p = dst, .n = n };

	if (!n)
		return dst;
	put_sanitized(&b, src, n - 1, false);
	dst[b.pos] = '\0';
	return dst;
}

/* Escape the character at p (not part of a run); returns its length. */
static size_t put_json_char(struct buf *b, const unsigned char *p,
			    size_t rest)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = utf8_len(p, rest);
	char esc[7] = "\\u00";

	if (len == 1 && *p == '"') {
		put(b, "\\\"", 2);
	} else if (len == 1 && *p == '\\') {
		put(b, "\\\\", 2);
	} else if (len == 1 && *p == '\n') {
		put(b, "\\n", 2);
	} else if (len == 1 && *p == '\t') {
		put(b, "\\t", 2);
	} else if (len == 1 && *p == '\r') {
		put(b, "\\r", 2);
	} else if (!len || (len == 1 && (*p < 0x20 || *p == 0x7f))) {
		esc[4] = hex[*p >> 4];
		esc[5] = hex[*p & 0xf];
		put(b, esc, 6);
		len = 1;
	} else {
		put(b, (const char *)p, len);
	}
	return len;
}

static void put_json_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t rest = strlen(s), len;

	put(b, "\"", 1);
	while (rest) {
		len = json_run(p, rest);
		if (len)
			put(b, (const char *)p, len);
		else
			len = put_json_char(b, p, rest);
		p += len;
		rest -= len;
	}
	put(b, "\"", 1);
}

int fmt_json_str(char *out, size_t n, size_t *pos, const char *s)
{
	struct buf b = { .p = out, .n = n, .pos = *pos };

	if (!n)
		return -1;
	put_json_str(&b, s);
	if (b.full) {
		out[*pos < n ? *pos : n - 1] = '\0';
		return -1;
	}
	out[b.pos] = '\0';
	*pos = b.pos;
	return 0;
}

/* Decimal v (0..255) at p, no leading zeros; returns the end. */
static char *put_octet(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = '0' + v / 100;
	if (v >= 10)
		*p++ = '0' + v / 10 % 10;
	*p++ = '0' + v % 10;
	return p;
}

/*
 * inet_ntop(AF_INET) by hand: glibc's formats IPv4 through
 * sprintf("%u.%u.%u.%u"), which cost a third of an event row (fmtbench
 * json_from_event: 420 ns a row with it, 290 without).  Same text, same
 * NULL and ENOSPC when n is too small.  IPv6, with its "::" and embedded
 * IPv4 rules, stays glibc's.
 */
static char *ntop4(const unsigned char *a, char *buf, size_t n)
{
	char tmp[INET_ADDRSTRLEN], *p = tmp;
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_octet(p, a[i]);
	}
	*p = '\0';
	if ((size_t)(p - tmp) >= n) {
		errno = ENOSPC;
		return NULL;
	}
	return memcpy(buf, tmp, p - tmp + 1);
}

const char *fmt_addr(char *buf, size_t n, int family, const void *addr)
{
	const char *s = family == AF_INET ? ntop4(addr, buf, n) :
			inet_ntop(family, addr, buf, n);

	if (!s)
		snprintf(buf, n, "?");
	return buf;
}

/*
 * Escaping every key on every row was nearly half the cost of a JSON row
 * (fmtbench json: 760 ns a row before, 410 after): do it once.
 */
static void escape_keys(struct fmt *f)
{
	struct buf b = { .p = f->keys, .n = sizeof(f->keys) };
	unsigned int i;

	f->key_off[0] = 0;
	for (i = 0; i < f->ncols; i++) {
		put(&b, ",", 1);
		put_json_str(&b, f->cols[i].key);
		put(&b, ":", 1);
		if (b.full)
			break;
		f->key_off[i + 1] = b.pos;
	}
	f->nkeys = i;
}

void fmt_init(struct fmt *f, FILE *out, bool json, const struct column *cols,
	      unsigned int ncols)
{
	memset(f, 0, sizeof(*f));
	f->out = out;
	f->json = json;
	f->cols = cols;
	f->ncols = ncols < FMT_MAX_COLS ? ncols : FMT_MAX_COLS;
	f->text_mask = f->json_mask = (uint32_t)((1ULL << f->ncols) - 1);
	escape_keys(f);
}

/* Write the line, or nothing if it could not be built whole. */
static int flush_buf(struct fmt *f, struct buf *b)
{
	int ret = 0;

	if (b->full || fwrite(b->p, 1, b->pos, f->out) != b->pos ||
	    ferror(f->out))
		ret = -1;
	if (b->heap)
		free(b->p);
	return ret;
}

int fmt_header(struct fmt *f)
{
	char line[ROW_STACK];
	struct buf b = { .p = line, .n = sizeof(line), .grow = true };
	bool sep = false;
	unsigned int i;
	size_t len;

	if (f->json)
		return 0;
	for (i = 0; i < f->ncols; i++) {
		const struct column *c = &f->cols[i];

		if (!(f->text_mask & (1U << i)))
			continue;
		if (sep)
			put(&b, f->csv ? "," : " ", 1);
		sep = f->csv || !(c->flags & COLF_NOSEP);
		len = strlen(c->header);
		if (f->csv) {
			put(&b, c->header, len);
			continue;
		}
		if (c->flags & COLF_RIGHT)
			pad(&b, len, c->width);
		put(&b, c->header, len);
		if (!(c->flags & COLF_RIGHT))
			pad(&b, len, c->width);
	}
	put(&b, "\n", 1);
	return flush_buf(f, &b);
}

/* Right-aligned text: the cell's length before writing it. */
static size_t text_len(const struct column *c, const union cell *v)
{
	struct buf probe = { .p = (char [64]){ 0 }, .n = 64 };

	switch (c->type) {
	case COL_INT:
		return put_int(&probe, v->i);
	case COL_HEX:
		return put_hex(&probe, v->i);
	case COL_SECS:
		return put_secs_text(&probe, v->ns, c->prec);
	case COL_MS:
		return put_ms_text(&probe, v->ns, c->prec);
	default:
		return 0;	/* strings are left-aligned */
	}
}

/* csv: neither padded nor cut. */
static void text_cell(struct buf *b, const struct column *c,
		      const union cell *v, bool csv)
{
	int width = csv ? 0 : c->width;
	size_t used;

	if (width && (c->flags & COLF_RIGHT))
		pad(b, text_len(c, v), width);
	switch (c->type) {
	case COL_INT:
		used = put_int(b, v->i);
		break;
	case COL_HEX:
		used = put_hex(b, v->i);
		break;
	case COL_SECS:
		used = put_secs_text(b, v->ns, c->prec);
		break;
	case COL_MS:
		used = put_ms_text(b, v->ns, c->prec);
		break;
	case COL_BOOL:
		used = v->b ? 3 : 2;
		put(b, v->b ? "yes" : "no", used);
		break;
	case COL_STR:
	case COL_NULLSTR:
	case COL_NUMSTR:
	default:
		used = put_sanitized(b, v->s ? v->s : "-",
				     c->prec > 0 && !csv ? c->prec : 0,
				     c->flags & COLF_CHARS);
		break;
	}
	if (!(c->flags & COLF_RIGHT))
		pad(b, used, width);
}

static void json_cell(struct buf *b, const struct column *c,
		      const union cell *v)
{
	switch (c->type) {
	case COL_INT:
		put_int(b, v->i);
		break;
	case COL_HEX:	/* a kernel address is beyond a double's 2^53 */
		put(b, "\"", 1);
		put_hex(b, v->i);
		put(b, "\"", 1);
		break;
	case COL_SECS:
		put_secs_json(b, v->ns);
		break;
	case COL_MS:
		put_fixed(b, v->ns / 1000, 3);
		break;
	case COL_BOOL:
		if (v->b)
			put(b, "true", 4);
		else
			put(b, "false", 5);
		break;
	case COL_NUMSTR:
		if (v->s)
			put(b, v->s, strlen(v->s));
		else
			put(b, "null", 4);
		break;
	case COL_NULLSTR:
		if (!v->s) {
			put(b, "null", 4);
			break;
		}
		/* fall through */
	case COL_STR:
	default:
		put_json_str(b, v->s ? v->s : "");
		break;
	}
}

/* The comma (unless first), the key and the colon of column i. */
static void put_key(struct buf *b, const struct fmt *f, unsigned int i,
		    bool first)
{
	size_t off;

	if (i < f->nkeys) {
		off = f->key_off[i] + first;
		put(b, f->keys + off, f->key_off[i + 1] - off);
		return;
	}
	if (!first)
		put(b, ",", 1);
	put_json_str(b, f->cols[i].key);
	put(b, ":", 1);
}

static void json_row(const struct fmt *f, struct buf *b,
		     const union cell *cells)
{
	bool first = true;
	unsigned int i;

	put(b, "{", 1);
	for (i = 0; i < f->ncols; i++) {
		if (!(f->json_mask & (1U << i)))
			continue;
		put_key(b, f, i, first);
		json_cell(b, &f->cols[i], &cells[i]);
		first = false;
	}
	put(b, "}", 1);
}

static void text_row(const struct fmt *f, struct buf *b,
		     const union cell *cells)
{
	bool sep = false;
	unsigned int i;

	for (i = 0; i < f->ncols; i++) {
		const struct column *c = &f->cols[i];

		if (!(f->text_mask & (1U << i)))
			continue;
		if (sep)
			put(b, f->csv ? "," : " ", 1);
		sep = f->csv || !(c->flags & COLF_NOSEP);
		text_cell(b, c, &cells[i], f->csv);
	}
	if (f->row_suffix)
		put(b, f->row_suffix, strlen(f->row_suffix));
}

int fmt_row(struct fmt *f, const union cell *cells)
{
	char line[ROW_STACK];
	struct buf b = { .p = line, .n = sizeof(line), .grow = true };

	if (f->json)
		json_row(f, &b, cells);
	else
		text_row(f, &b, cells);
	put(&b, "\n", 1);
	return flush_buf(f, &b);
}
