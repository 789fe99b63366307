/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Tracepoint record layouts from tracefs format files: what lets a BPF
 * program read a classic tracepoint's record without kernel types.
 */
#ifndef NETRACE_TPFMT_H
#define NETRACE_TPFMT_H

#include <stdbool.h>
#include <stddef.h>

struct tp_field {
	const char *name;
	unsigned int offset;
	unsigned int size;
};

/*
 * Offset and size of the field called name in the text of a format file
 * ("field:__u8 saddr[4];<tab>offset:32;<tab>size:4;...").  0, or -1 when
 * the text has no such field.
 */
int tp_format_field(const char *text, const char *name, unsigned int *offset,
		    unsigned int *size);

/* Does text lay out every one of the n fields as they say? */
bool tp_format_matches(const char *text, const struct tp_field *fields,
		       size_t n);

/*
 * The same for the format file of tracepoint "group/name" in tracefs
 * (mounted at /sys/kernel/tracing or under debugfs).  On false, why
 * says what differs or could not be read.
 */
bool tp_layout_matches(const char *tp, const struct tp_field *fields,
		       size_t n, char *why, size_t why_len);

#endif
