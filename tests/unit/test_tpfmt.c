// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Tracepoint format files: field offsets and sizes as tracefs prints
 * them, and the layout check that lets tcpconnect read records without
 * kernel types.  The running kernel's own file is checked by the
 * integration tests (tcpconnect -v says whether it read kernel types).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <linux/types.h>

#include "netrace.h"
#include "tpfmt.h"
#include "tpfmt_fixture.h"

/* sock:inet_sock_set_state on Linux 6.18 (the development machine). */
#define format_6_18	tpfmt_inet_sock_set_state

/* The same before Linux 5.6: an 8-bit protocol moves every address. */
static const char format_old[] =
	"\tfield:const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:int oldstate;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:int newstate;\toffset:20;\tsize:4;\tsigned:1;\n"
	"\tfield:__u16 sport;\toffset:24;\tsize:2;\tsigned:0;\n"
	"\tfield:__u16 dport;\toffset:26;\tsize:2;\tsigned:0;\n"
	"\tfield:__u16 family;\toffset:28;\tsize:2;\tsigned:0;\n"
	"\tfield:__u8 protocol;\toffset:30;\tsize:1;\tsigned:0;\n"
	"\tfield:__u8 saddr[4];\toffset:31;\tsize:4;\tsigned:0;\n"
	"\tfield:__u8 daddr[4];\toffset:35;\tsize:4;\tsigned:0;\n"
	"\tfield:__u8 saddr_v6[16];\toffset:39;\tsize:16;\tsigned:0;\n"
	"\tfield:__u8 daddr_v6[16];\toffset:55;\tsize:16;\tsigned:0;\n";

#define FIELD(f) { #f, offsetof(struct nr_tp_sock_state, f),		\
		   sizeof(((struct nr_tp_sock_state *)0)->f) }

static const struct tp_field layout[] = {
	FIELD(skaddr), FIELD(oldstate), FIELD(newstate), FIELD(sport),
	FIELD(dport), FIELD(family), FIELD(protocol), FIELD(saddr),
	FIELD(daddr), FIELD(saddr_v6), FIELD(daddr_v6),
};

#define NLAYOUT	(sizeof(layout) / sizeof(layout[0]))

static void expect_field(const char *text, const char *name,
			 unsigned int off, unsigned int size)
{
	unsigned int o = 999, s = 999;

	assert_int_equal(tp_format_field(text, name, &o, &s), 0);
	assert_int_equal(o, off);
	assert_int_equal(s, size);
}

static void test_fields(void **state)
{
	(void)state;
	expect_field(format_6_18, "common_type", 0, 2);
	expect_field(format_6_18, "common_pid", 4, 4);
	expect_field(format_6_18, "skaddr", 8, 8);	/* "void * skaddr" */
	expect_field(format_6_18, "oldstate", 16, 4);
	expect_field(format_6_18, "protocol", 30, 2);
	expect_field(format_6_18, "saddr", 32, 4);	/* not saddr_v6 */
	expect_field(format_6_18, "saddr_v6", 40, 16);
	expect_field(format_6_18, "daddr_v6", 56, 16);
	expect_field(format_old, "protocol", 30, 1);
	expect_field(format_old, "daddr", 35, 4);
}

static void test_missing_and_malformed(void **state)
{
	unsigned int o, s;

	(void)state;
	/* Prefixes, suffixes and the print format are not fields. */
	assert_int_equal(tp_format_field(format_6_18, "addr", &o, &s), -1);
	assert_int_equal(tp_format_field(format_6_18, "saddr_v", &o, &s), -1);
	assert_int_equal(tp_format_field(format_6_18, "REC", &o, &s), -1);
	assert_int_equal(tp_format_field(format_6_18, "", &o, &s), -1);
	assert_int_equal(tp_format_field("", "sport", &o, &s), -1);
	assert_int_equal(tp_format_field("\tfield:__u16 sport;\toffset:x;\tsize:2;\n",
					 "sport", &o, &s), -1);
	assert_int_equal(tp_format_field("\tfield:__u16 sport;\toffset:24;\tsize:0;\n",
					 "sport", &o, &s), -1);
	assert_int_equal(tp_format_field("\tfield:__u16 sport;\toffset:-4;\tsize:2;\n",
					 "sport", &o, &s), -1);
	/* Offset and size belong to the field's own line. */
	assert_int_equal(tp_format_field("\tfield:__u16 sport;\n\toffset:24;\tsize:2;\n",
					 "sport", &o, &s), -1);
	/* No newline at the end is still a line. */
	expect_field("\tfield:__u16 sport;\toffset:24;\tsize:2;\tsigned:0;",
		     "sport", 24, 2);
}

/*
 * tracefs prints offset and size "%u;": nothing else passes for one.
 * fuzz.tpfmt found "offset:-0;" taken as 0; strtol() also took blanks,
 * a sign and the next line's number, and 2^32 + 24 came back as 24.
 */
static void test_values_only_unsigned_decimal(void **state)
{
	static const char *const bad[] = {
		"\tfield:__u16 sport;\toffset:-0;\tsize:2;\n",
		"\tfield:__u16 sport;\toffset:+24;\tsize:2;\n",
		"\tfield:__u16 sport;\toffset: 24;\tsize:2;\n",
		"\tfield:__u16 sport;\toffset:\n24;\tsize:2;\n",
		"\tfield:__u16 sport;\toffset:24;\tsize:\n2;\n",
		"\tfield:__u16 sport;\toffset:4294967320;\tsize:2;\n",
		"\tfield:__u16 sport;\toffset:24;\tsize:4294967298;\n",
		"\tfield:__u16 sport;\toffset:99999999999999999999;\tsize:2;\n",
		"\tfield:__u16 sport;\toffset:24\n;\tsize:2;\n",
	};
	unsigned int o, s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tp_format_field(bad[i], "sport", &o, &s), -1);
	expect_field("\tfield:__u16 sport;\toffset:4294967295;\tsize:2;\n",
		     "sport", 4294967295u, 2);
	expect_field("\tfield:__u16 sport;\toffset:024;\tsize:2;\n",
		     "sport", 24, 2);
}

static void test_layout(void **state)
{
	char text[4096];
	char *p;

	(void)state;
	assert_true(strlen(format_6_18) < sizeof(text));
	assert_true(tp_format_matches(format_6_18, layout, NLAYOUT));
	assert_false(tp_format_matches(format_old, layout, NLAYOUT));
	/* Any one field moved, resized or gone: no match. */
	strcpy(text, format_6_18);
	p = strstr(text, "offset:56;");
	p[8] = '7';
	assert_false(tp_format_matches(text, layout, NLAYOUT));
	strcpy(text, format_6_18);
	p = strstr(text, "dport;");
	p[0] = 'x';
	assert_false(tp_format_matches(text, layout, NLAYOUT));
	strcpy(text, format_6_18);
	p = strstr(text, "offset:20;\tsize:4;");
	p[16] = '8';
	assert_false(tp_format_matches(text, layout, NLAYOUT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_missing_and_malformed),
		cmocka_unit_test(test_values_only_unsigned_decimal),
		cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
