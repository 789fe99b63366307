// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the tracefs format parser (lib/tpfmt.c): every
 * input is the text of a tracepoint's format file, in which each field
 * of the tracepoints netrace reads (and a few more) is looked up.  An
 * input "NAME\0TEXT", with a NAME shorter than 64 bytes, looks up NAME
 * in TEXT as well.  Built and run like fuzz_dns (tests/fuzz/CMakeLists.txt,
 * run.sh).
 *
 * Beyond memory safety it checks the contract and aborts when it breaks:
 * a field found has a size, and its offset and size are written in the
 * text as the kernel writes them ("offset:24;", "size:2;"; leading zeros
 * do no harm);
 * tp_format_matches() agrees with tp_format_field() on it, and not on
 * another offset; a field not found does not match either.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpfmt.h"

#define NAME_MAX_LEN	64

static const char *const names[] = {
	"common_type", "common_pid", "skaddr", "oldstate", "newstate",
	"sport", "dport", "family", "protocol", "saddr", "daddr",
	"saddr_v6", "daddr_v6", "__syscall_nr", "fd", "upeer_sockaddr",
	"flags", "name", "len", "",
};

static void die(const char *name, const char *why)
{
	fprintf(stderr, "fuzz_tpfmt: field '%s': %s\n", name, why);
	abort();
}

/* Does text say "key:v;" somewhere, maybe with leading zeros? */
static bool says(const char *text, const char *key, unsigned int v)
{
	const char *p = text, *d;
	char want[16];

	snprintf(want, sizeof(want), "%u;", v);
	while ((p = strstr(p, key))) {
		p += strlen(key);
		for (d = p; d[0] == '0' && d[1] >= '0' && d[1] <= '9'; d++)
			;
		if (!strncmp(d, want, strlen(want)))
			return true;
	}
	return false;
}

static void check(const char *text, const char *name)
{
	struct tp_field f = { name, 0, 0 };

	if (tp_format_field(text, name, &f.offset, &f.size)) {
		if (tp_format_matches(text, &f, 1))
			die(name, "tp_format_matches() finds it, not tp_format_field()");
		return;
	}
	if (!f.size)
		die(name, "found with size 0");
	if (!says(text, "offset:", f.offset))
		die(name, "an offset the text does not say");
	if (!says(text, "size:", f.size))
		die(name, "a size the text does not say");
	if (!tp_format_matches(text, &f, 1))
		die(name, "tp_format_matches() disagrees");
	f.offset++;
	if (tp_format_matches(text, &f, 1))
		die(name, "tp_format_matches() takes another offset");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* NUL-terminated, in a heap block of exactly that size. */
	char *buf = malloc(size + 1);
	const char *text = buf, *name = NULL;
	size_t i, len;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	len = strnlen(buf, size);
	if (len < size && len < NAME_MAX_LEN) {
		name = buf;
		text = buf + len + 1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check(text, names[i]);
	if (name)
		check(text, name);
	free(buf);
	return 0;
}
