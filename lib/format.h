/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one output formatter.  An applet describes its columns once; the
 * same description renders BCC-identical text rows (left-aligned,
 * space-separated, printf widths) or one JSON object per line.
 */
#ifndef NETRACE_FORMAT_H
#define NETRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum col_type {
	COL_INT,	/* text "%-*lld", JSON number */
	COL_STR,	/* text "%-*.*s" sanitised, JSON string escaped */
	COL_SECS,	/* nanoseconds; text "%-*.Nf" seconds (N: prec, or 3),
			 * JSON number of seconds to the microsecond */
	COL_MS,		/* nanoseconds, as BCC whole microseconds; text
			 * "%.Nf" milliseconds (N: prec, or 3), JSON number
			 * of milliseconds to the microsecond */
	COL_HEX,	/* text "%-*llx", JSON string of the same digits */
	COL_BOOL,	/* JSON true/false; text "yes"/"no" */
	COL_NULLSTR,	/* string that may be NULL: JSON null, text "-" */
	COL_NUMSTR,	/* a number already in text, or NULL: JSON unquoted/null */
};

struct column {
	const char *header;	/* text header, e.g. "PID" */
	const char *key;	/* JSON key, e.g. "pid" */
	enum col_type type;
	int width;		/* minimum text width, left-aligned */
	int prec;		/* text: maximum bytes of a string, 0 none;
				 * decimals of COL_SECS and COL_MS */
	unsigned int flags;	/* COLF_* */
};

/* BCC prints its optional prefix columns with no space after them. */
#define COLF_NOSEP	0x1
/* Right-aligned ("%5d"). */
#define COLF_RIGHT	0x2
/*
 * A string's width and precision in characters, not bytes: BCC's tools
 * that decode the name before formatting it (Python 3 str).
 */
#define COLF_CHARS	0x4

union cell {
	long long i;
	const char *s;
	uint64_t ns;
	bool b;
};

#define FMT_MAX_COLS	32
/* Room for the escaped keys of a column set; real ones need ~100 bytes. */
#define FMT_KEYS_SIZE	512

struct fmt {
	FILE *out;
	bool json;
	/*
	 * Text as comma-separated values (BCC's -s): every shown column,
	 * comma-separated, neither padded nor cut.
	 */
	bool csv;
	const struct column *cols;
	unsigned int ncols;
	uint32_t text_mask;	/* bit i: column i shown in text rows/header */
	uint32_t json_mask;	/* bit i: column i present in JSON objects */
	const char *row_suffix;	/* text only, appended to rows (not header) */
	/*
	 * ",\"key\":" of column i, JSON-escaped once by fmt_init() rather
	 * than on every row: keys[key_off[i]] up to keys[key_off[i + 1]].
	 * Offsets, not pointers, so that a struct fmt may be copied.  Only
	 * the first nkeys columns fitted; any others are escaped per row.
	 */
	char keys[FMT_KEYS_SIZE];
	uint16_t key_off[FMT_MAX_COLS + 1];
	unsigned int nkeys;
};

void fmt_init(struct fmt *f, FILE *out, bool json, const struct column *cols,
	      unsigned int ncols);
/* Show or hide column col in text output (JSON keeps every column). */
static inline void fmt_show(struct fmt *f, unsigned int col, bool on)
{
	if (on)
		f->text_mask |= 1U << col;
	else
		f->text_mask &= ~(1U << col);
}

/* Text: the header line; JSON: nothing.  0, or -1 on a write error. */
int fmt_header(struct fmt *f);
/* One row/object from cells[0..ncols-1]. 0, or -1 on a write error. */
int fmt_row(struct fmt *f, const union cell *cells);

/*
 * Copy s into dst (size n) for a terminal: every control byte (below
 * 0x20, 0x7f), C1 control and byte that is not part of valid UTF-8
 * becomes '?'.  Returns dst.
 */
char *fmt_sanitize(char *dst, size_t n, const char *s);
/*
 * Append s as a JSON string (with quotes) into buf of size n at *pos.
 * Escapes '"', '\\', every byte below 0x20 and 0x7f; invalid UTF-8 bytes
 * become \u00XX.  Returns 0, or -1 if it did not fit.
 */
int fmt_json_str(char *buf, size_t n, size_t *pos, const char *s);
/* inet_ntop() of a 4- or 16-byte address into buf (INET6_ADDRSTRLEN). */
const char *fmt_addr(char *buf, size_t n, int family, const void *addr);

#endif
