// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lib/format.c: text rows and headers byte for byte against snprintf() of
 * the BCC printf formats (tcpconnect, tcpaccept, the tcpconnect -c table),
 * COL_SECS rounding, JSON lines parsed back with jansson, the sanitiser,
 * fmt_json_str(), fmt_addr() and write errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "format.h"

#define UNUSED		__attribute__((unused))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT(i)		(1U << (i))
#define LINE_MAX_TEST	8192

/* ---- helpers ---------------------------------------------------------- */

struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
}

/* Closes the stream; the caller frees the text. */
static char *sink_close(struct sink *s)
{
	assert_int_equal(fclose(s->f), 0);
	assert_non_null(s->buf);
	assert_int_equal(strlen(s->buf), s->len);
	return s->buf;
}

/* fmt_row() (or fmt_header() when v is NULL) of a copy of tmpl. */
static char *render(const struct fmt *tmpl, const union cell *v)
{
	struct fmt f = *tmpl;
	struct sink s;

	sink_open(&s);
	f.out = s.f;
	if (v)
		assert_int_equal(fmt_row(&f, v), 0);
	else
		assert_int_equal(fmt_header(&f), 0);
	return sink_close(&s);
}

static void expect_render(const struct fmt *tmpl, const union cell *v,
			  const char *want)
{
	char *got = render(tmpl, v);

	assert_string_equal(got, want);
	free(got);
}

/* Strict UTF-8 check, independent of lib/format.c. */
static bool valid_utf8(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len, k;
	unsigned int cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			len = 2, cp = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			len = 3, cp = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			len = 4, cp = s[i] & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* Length of the UTF-8 character starting with byte c (input is valid). */
static size_t char_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	return 4;
}

/* The longest prefix of valid UTF-8 s that is at most max bytes. */
static size_t utf8_prefix(const char *s, size_t max)
{
	size_t i = 0, l;

	while (s[i]) {
		l = char_len((unsigned char)s[i]);
		if (i + l > max)
			break;
		i += l;
	}
	return i;
}

/*
 * Parse one JSON line: exactly one '\n', at the end; an object with no
 * duplicate keys whose keys are the JSON-shown columns in column order
 * and whose values have the column's JSON type.  Caller json_decref()s.
 */
static json_t *parse_line(const char *line, const struct fmt *f)
{
	size_t len = strlen(line);
	json_error_t err;
	unsigned int i;
	json_t *o, *val;
	void *it;

	assert_true(len > 1);
	if (line[len - 1] != '\n')
		fail_msg("JSON row of %zu bytes does not end in a newline: "
			 "...%s", len, line + (len > 40 ? len - 40 : 0));
	if (memchr(line, '\n', len - 1))
		fail_msg("JSON row is more than one line: %s", line);
	o = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &err);
	if (!o)
		fail_msg("jansson rejects %s: %s (column %d)", line, err.text,
			 err.column);
	assert_true(json_is_object(o));
	it = json_object_iter(o);
	for (i = 0; i < f->ncols; i++) {
		const struct column *c = &f->cols[i];

		if (!(f->json_mask & BIT(i))) {
			assert_null(json_object_get(o, c->key));
			continue;
		}
		assert_non_null(it);
		assert_string_equal(json_object_iter_key(it), c->key);
		val = json_object_iter_value(it);
		switch (c->type) {
		case COL_INT:
			assert_true(json_is_integer(val));
			break;
		case COL_STR:
			assert_true(json_is_string(val));
			break;
		case COL_SECS:
		case COL_MS:
			assert_true(json_is_number(val));
			break;
		case COL_HEX:
			assert_true(json_is_string(val));
			break;
		case COL_BOOL:
			assert_true(json_is_boolean(val));
			break;
		case COL_NULLSTR:
			assert_true(json_is_string(val) || json_is_null(val));
			break;
		case COL_NUMSTR:
			assert_true(json_is_number(val) || json_is_null(val));
			break;
		}
		it = json_object_iter_next(o, it);
	}
	assert_null(it);
	return o;
}

static void expect_json_str(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), strlen(want));
	assert_string_equal(json_string_value(v), want);
}

static void expect_json_int(json_t *o, const char *key, long long want)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	assert_true(json_integer_value(v) == want);
}

/*
 * The raw text of key's number in a JSON line must have exactly six
 * decimals and parse back (strtod) to within 1e-6 of ns / 1e9.
 */
static void expect_json_secs(const char *line, const char *key, uint64_t ns)
{
	char pat[64];
	const char *p, *dot;
	char *end;
	double d;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	assert_non_null(p);
	p += strlen(pat);
	d = strtod(p, &end);
	assert_true(end > p);
	dot = memchr(p, '.', end - p);
	if (!dot || end - dot - 1 != 6)
		fail_msg("%s: %.*s has not 6 decimals (ns %llu)", key,
			 (int)(end - p), p, (unsigned long long)ns);
	if (d - ns / 1e9 > 1e-6 || ns / 1e9 - d > 1e-6)
		fail_msg("%s: %.*s is not %.9f (ns %llu)", key, (int)(end - p),
			 p, ns / 1e9, (unsigned long long)ns);
}

/* ---- sample rows ------------------------------------------------------ */

static const uint64_t sample_ns[] = {
	0, 999999, 1000000, 1234567890, 123456789012ULL, 1234567890123ULL,
	98765432101234ULL, 123456789012345ULL,	/* 123456.789: 10 > 9 */
};
static const unsigned int sample_uid[] = {
	0, 1000, 65534, 123456, 4294967295U,
};
static const int sample_pid[] = {
	1, 42, 1234567, 12345678, 2147483647, 0, 999999,
};
static const char *const sample_comm[] = {
	"curl", "", "abcdefghijkl", "abcdefghijklm", "0123456789abcde",
	"0123456789abcdef", "0123456789abcdefXYZ", "a b", "systemd-resolve",
};
static const char *const sample_addr[] = {
	"127.0.0.1", "255.255.255.255", "::1", "fe80::1",
	"::ffff:192.168.100.200", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"2001:db8::ff00:42:8329", "0.0.0.0", "10.0.0.1", "",
	"1234567890abcdef", "1234567890abcdefg",
};
static const int sample_port[] = { 0, 80, 65535, 12345, 8, 443, 10000 };
static const int sample_ip[] = { 4, 6 };
static const char *const sample_hms[] = { "00:00:00", "12:34:56", "23:59:59" };
static const long long sample_count[] = {
	0, 1, 42, 1234567890, 12345678901LL, 9223372036854775807LL,
};

#define NSAMPLES	512

struct sample {
	uint64_t ns;
	unsigned int uid;
	int pid;
	const char *comm;
	int ip;
	const char *saddr;
	const char *daddr;
	int lport;
	int dport;
	const char *hms;
	long long count;
};

#define PICK(arr, i)	((arr)[(i) % ARRAY_SIZE(arr)])

static void sample(unsigned int i, struct sample *r)
{
	r->ns = PICK(sample_ns, i);
	r->uid = PICK(sample_uid, i);
	r->pid = PICK(sample_pid, i / 2);
	r->comm = PICK(sample_comm, i);
	r->ip = PICK(sample_ip, i / 3);
	r->saddr = PICK(sample_addr, i);
	r->daddr = PICK(sample_addr, i * 7 + 3);
	r->lport = PICK(sample_port, i);
	r->dport = PICK(sample_port, i / 5 + 2);
	r->hms = PICK(sample_hms, i);
	r->count = PICK(sample_count, i);
}

/* ---- tcpconnect columns (as cmd/tcpconnect.c) -------------------------- */

enum { C_TIME, C_UID, C_PID, C_COMM, C_IP, C_SADDR, C_LPORT, C_DADDR,
       C_DPORT, C__N };

static const struct column tc_cols[C__N] = {
	[C_TIME]  = { "TIME(s)", "time_s", COL_SECS, 9, 0, COLF_NOSEP },
	[C_UID]   = { "UID", "uid", COL_INT, 6, 0, COLF_NOSEP },
	[C_PID]   = { "PID", "pid", COL_INT, 7 },
	[C_COMM]  = { "COMM", "comm", COL_STR, 12, 12 },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_SADDR] = { "SADDR", "saddr", COL_STR, 16 },
	[C_LPORT] = { "LPORT", "lport", COL_INT, 6 },
	[C_DADDR] = { "DADDR", "daddr", COL_STR, 16 },
	[C_DPORT] = { "DPORT", "dport", COL_INT, 6 },
};

static void tc_cells(union cell *v, const struct sample *r)
{
	v[C_TIME].ns = r->ns;
	v[C_UID].i = r->uid;
	v[C_PID].i = r->pid;
	v[C_COMM].s = r->comm;
	v[C_IP].i = r->ip;
	v[C_SADDR].s = r->saddr;
	v[C_LPORT].i = r->lport;
	v[C_DADDR].s = r->daddr;
	v[C_DPORT].i = r->dport;
}

static void tc_fmt(struct fmt *f, bool json, bool ts, bool uid, bool lport)
{
	fmt_init(f, NULL, json, tc_cols, C__N);
	if (!ts)
		f->text_mask &= ~BIT(C_TIME);
	if (!uid)
		f->text_mask &= ~BIT(C_UID);
	if (!lport)
		f->text_mask &= ~BIT(C_LPORT);
	f->row_suffix = " ";
}

/* BCC tcpconnect's header: prefixes with end="", then print(). */
static void bcc_tc_header(char *buf, size_t n, bool ts, bool uid, bool lport)
{
	size_t o = 0;

	if (ts)
		o += snprintf(buf + o, n - o, "%-9s", "TIME(s)");
	if (uid)
		o += snprintf(buf + o, n - o, "%-6s", "UID");
	if (lport)
		o += snprintf(buf + o, n - o, "%-7s %-12s %-2s %-16s %-6s %-16s %-6s",
			      "PID", "COMM", "IP", "SADDR", "LPORT", "DADDR",
			      "DPORT");
	else
		o += snprintf(buf + o, n - o, "%-7s %-12s %-2s %-16s %-16s %-6s",
			      "PID", "COMM", "IP", "SADDR", "DADDR", "DPORT");
	snprintf(buf + o, n - o, "\n");
}

/* BCC tcpconnect's row; then " " + the (empty) DNS column + newline. */
static void bcc_tc_row(char *buf, size_t n, const struct sample *r, bool ts,
		       bool uid, bool lport)
{
	size_t o = 0;

	if (ts)
		o += snprintf(buf + o, n - o, "%-9.3f", r->ns / 1e9);
	if (uid)	/* BCC "%-6d" of a Python int: no 32-bit wrap */
		o += snprintf(buf + o, n - o, "%-6u", r->uid);
	if (lport)
		o += snprintf(buf + o, n - o,
			      "%-7d %-12.12s %-2d %-16s %-6d %-16s %-6d",
			      r->pid, r->comm, r->ip, r->saddr, r->lport,
			      r->daddr, r->dport);
	else
		o += snprintf(buf + o, n - o,
			      "%-7d %-12.12s %-2d %-16s %-16s %-6d",
			      r->pid, r->comm, r->ip, r->saddr, r->daddr,
			      r->dport);
	snprintf(buf + o, n - o, " \n");
}

static void check_tcpconnect(bool ts, bool uid, bool lport)
{
	char want[LINE_MAX_TEST];
	union cell v[C__N];
	struct sample r;
	struct fmt f;
	unsigned int i;

	tc_fmt(&f, false, ts, uid, lport);
	bcc_tc_header(want, sizeof(want), ts, uid, lport);
	expect_render(&f, NULL, want);
	for (i = 0; i < NSAMPLES; i++) {
		sample(i, &r);
		tc_cells(v, &r);
		bcc_tc_row(want, sizeof(want), &r, ts, uid, lport);
		expect_render(&f, v, want);
	}
}

static void test_tcpconnect_default(UNUSED void **state)
{
	check_tcpconnect(false, false, false);
}

static void test_tcpconnect_lport(UNUSED void **state)
{
	check_tcpconnect(false, false, true);
}

static void test_tcpconnect_timestamp(UNUSED void **state)
{
	check_tcpconnect(true, false, false);
}

static void test_tcpconnect_uid(UNUSED void **state)
{
	check_tcpconnect(false, true, false);
}

static void test_tcpconnect_all_prefixes(UNUSED void **state)
{
	check_tcpconnect(true, true, false);
	check_tcpconnect(true, true, true);
	check_tcpconnect(true, false, true);
	check_tcpconnect(false, true, true);
}

/* ---- tcpaccept columns (as cmd/tcpaccept.c) ---------------------------- */

enum { A_TIME, A_SECS, A_UID, A_PID, A_COMM, A_IP, A_RADDR, A_RPORT,
       A_LADDR, A_LPORT, A__N };

static const struct column ta_cols[A__N] = {
	[A_TIME]  = { "TIME", "time", COL_STR, 9, 0, COLF_NOSEP },
	[A_SECS]  = { "TIME(s)", "time_s", COL_SECS, 9, 0, COLF_NOSEP },
	[A_UID]   = { "UID", "uid", COL_INT, 6, 0, COLF_NOSEP },
	[A_PID]   = { "PID", "pid", COL_INT, 7 },
	[A_COMM]  = { "COMM", "comm", COL_STR, 12, 12 },
	[A_IP]    = { "IP", "ip", COL_INT, 2 },
	[A_RADDR] = { "RADDR", "raddr", COL_STR, 16 },
	[A_RPORT] = { "RPORT", "rport", COL_INT, 5 },
	[A_LADDR] = { "LADDR", "laddr", COL_STR, 16 },
	[A_LPORT] = { "LPORT", "lport", COL_INT, 5 },
};

static void ta_cells(union cell *v, const struct sample *r)
{
	v[A_TIME].s = r->hms;
	v[A_SECS].ns = r->ns;
	v[A_UID].i = r->uid;
	v[A_PID].i = r->pid;
	v[A_COMM].s = r->comm;
	v[A_IP].i = r->ip;
	v[A_RADDR].s = r->daddr;
	v[A_RPORT].i = r->dport;
	v[A_LADDR].s = r->saddr;
	v[A_LPORT].i = r->lport;
}

static void ta_fmt(struct fmt *f, bool json, bool time, bool ts, bool uid)
{
	fmt_init(f, NULL, json, ta_cols, A__N);
	if (!time)
		f->text_mask &= ~BIT(A_TIME);
	if (!ts)
		f->text_mask &= ~BIT(A_SECS);
	if (!uid)
		f->text_mask &= ~BIT(A_UID);
}

static void bcc_ta_header(char *buf, size_t n, bool time, bool ts, bool uid)
{
	size_t o = 0;

	if (time)
		o += snprintf(buf + o, n - o, "%-9s", "TIME");
	if (ts)
		o += snprintf(buf + o, n - o, "%-9s", "TIME(s)");
	if (uid)	/* netrace extension, as tcpconnect -U */
		o += snprintf(buf + o, n - o, "%-6s", "UID");
	o += snprintf(buf + o, n - o, "%-7s %-12s %-2s %-16s %-5s %-16s %-5s",
		      "PID", "COMM", "IP", "RADDR", "RPORT", "LADDR", "LPORT");
	snprintf(buf + o, n - o, "\n");
}

static void bcc_ta_row(char *buf, size_t n, const struct sample *r, bool time,
		       bool ts, bool uid)
{
	size_t o = 0;

	if (time)
		o += snprintf(buf + o, n - o, "%-9s", r->hms);
	if (ts)
		o += snprintf(buf + o, n - o, "%-9.3f", r->ns / 1e9);
	if (uid)
		o += snprintf(buf + o, n - o, "%-6u", r->uid);
	o += snprintf(buf + o, n - o, "%-7d %-12.12s %-2d %-16s %-5d %-16s %-5d",
		      r->pid, r->comm, r->ip, r->daddr, r->dport, r->saddr,
		      r->lport);
	snprintf(buf + o, n - o, "\n");
}

static void check_tcpaccept(bool time, bool ts, bool uid)
{
	char want[LINE_MAX_TEST];
	union cell v[A__N];
	struct sample r;
	struct fmt f;
	unsigned int i;

	ta_fmt(&f, false, time, ts, uid);
	bcc_ta_header(want, sizeof(want), time, ts, uid);
	expect_render(&f, NULL, want);
	for (i = 0; i < NSAMPLES; i++) {
		sample(i, &r);
		ta_cells(v, &r);
		bcc_ta_row(want, sizeof(want), &r, time, ts, uid);
		expect_render(&f, v, want);
	}
}

static void test_tcpaccept_default(UNUSED void **state)
{
	check_tcpaccept(false, false, false);
}

static void test_tcpaccept_time(UNUSED void **state)
{
	check_tcpaccept(true, false, false);
}

static void test_tcpaccept_timestamp(UNUSED void **state)
{
	check_tcpaccept(false, true, false);
}

static void test_tcpaccept_time_and_timestamp(UNUSED void **state)
{
	check_tcpaccept(true, true, false);
	check_tcpaccept(true, true, true);
	check_tcpaccept(false, false, true);
}

/* ---- tcpconnect -c table (as cmd/tcpconnect.c) ------------------------ */

enum { K_IP, K_LADDR, K_RADDR, K_RPORT, K_CONNECTS, K__N };

static const struct column count_cols[K__N] = {
	[K_IP]       = { "IP", "ip", COL_INT, 2 },
	[K_LADDR]    = { "LADDR", "laddr", COL_STR, 25 },
	[K_RADDR]    = { "RADDR", "raddr", COL_STR, 25 },
	[K_RPORT]    = { "RPORT", "rport", COL_INT, 20 },
	[K_CONNECTS] = { "CONNECTS", "connects", COL_INT, 10 },
};

static void count_cells(union cell *v, const struct sample *r)
{
	v[K_IP].i = r->ip;
	v[K_LADDR].s = r->saddr;
	v[K_RADDR].s = r->daddr;
	v[K_RPORT].i = r->dport;
	v[K_CONNECTS].i = r->count;
}

static void test_count_table(UNUSED void **state)
{
	char want[LINE_MAX_TEST];
	union cell v[K__N];
	struct sample r;
	struct fmt f;
	unsigned int i;

	fmt_init(&f, NULL, false, count_cols, K__N);
	f.text_mask &= ~BIT(K_IP);
	snprintf(want, sizeof(want), "%-25s %-25s %-20s %-10s\n",
		 "LADDR", "RADDR", "RPORT", "CONNECTS");
	expect_render(&f, NULL, want);
	for (i = 0; i < NSAMPLES; i++) {
		sample(i, &r);
		count_cells(v, &r);
		/* BCC "%-10d" of a Python int: 64-bit counts */
		snprintf(want, sizeof(want), "%-25s %-25s %-20d %-10lld\n",
			 r.saddr, r.daddr, r.dport, r.count);
		expect_render(&f, v, want);
	}
}

/* ---- COL_SECS --------------------------------------------------------- */

static const struct column secs_col[] = {
	{ "TIME(s)", "time_s", COL_SECS, 9, 0, 0 },
};

static const uint64_t secs_values[] = {
	0, 1, 499999, 500000, 500001, 999999, 1000000, 1000001, 1499999,
	1500000, 1500001, 2500000, 999999999, 1000000000, 1999500001,
	123456789012ULL, 999999500000ULL - 1, 3600000000000ULL,
	86400000000000ULL, 123456789012345ULL, 1234567890123456ULL,
};

static uint64_t lcg(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 11;
}

static void expect_secs_text(const struct fmt *f, uint64_t ns)
{
	char want[64];
	union cell v = { .ns = ns };

	snprintf(want, sizeof(want), "%-9.3f\n", ns / 1e9);
	expect_render(f, &v, want);
}

static void test_secs_text(UNUSED void **state)
{
	uint64_t seed = 1;
	struct fmt f;
	unsigned int i;

	fmt_init(&f, NULL, false, secs_col, 1);
	for (i = 0; i < ARRAY_SIZE(secs_values); i++)
		expect_secs_text(&f, secs_values[i]);
	/* Random values below 10^15 ns (11.5 days); no exact half-ms. */
	for (i = 0; i < 20000; i++) {
		uint64_t ns = lcg(&seed) % 1000000000000000ULL;

		if (ns % 1000000 == 500000)
			ns++;
		expect_secs_text(&f, ns);
	}
}

/*
 * Exactly half a millisecond: printf rounds the double ns / 1e9, which is
 * just below or just above the half (0.0045 is 0.00449999..., printed
 * "0.004"; BCC, a Python "%-9.3f", prints the same).
 */
static void test_secs_text_half_ms(UNUSED void **state)
{
	char want[64], first_want[64] = "", first_got[64] = "";
	unsigned long long first_ns = 0;
	unsigned int k, bad = 0, total = 0;
	struct fmt f;

	fmt_init(&f, NULL, false, secs_col, 1);
	for (k = 0; k < 20000; k++) {
		uint64_t ns = (uint64_t)k * 1000000 + 500000;
		union cell v = { .ns = ns };
		char *got = render(&f, &v);

		snprintf(want, sizeof(want), "%-9.3f\n", ns / 1e9);
		total++;
		if (strcmp(got, want) && !bad++) {
			first_ns = ns;
			snprintf(first_want, sizeof(first_want), "%s", want);
			snprintf(first_got, sizeof(first_got), "%s", got);
		}
		free(got);
	}
	if (bad)
		fail_msg("%u of %u half-millisecond values differ from "
			 "\"%%-9.3f\"; first ns=%llu: want \"%.*s\" got \"%.*s\"",
			 bad, total, first_ns, (int)strlen(first_want) - 1,
			 first_want, (int)strlen(first_got) - 1, first_got);
}

/* The whole uint64_t range: near UINT64_MAX the rounding must not wrap. */
static void test_secs_extremes(UNUSED void **state)
{
	static const uint64_t big[] = {
		UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 499, UINT64_MAX - 500000,
	};
	struct fmt f;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(big); i++) {
		union cell v = { .ns = big[i] };
		char *line;

		fmt_init(&f, NULL, false, secs_col, 1);
		expect_secs_text(&f, big[i]);
		fmt_init(&f, NULL, true, secs_col, 1);
		line = render(&f, &v);
		expect_json_secs(line, "time_s", big[i]);
		free(line);
	}
}

static void test_secs_json(UNUSED void **state)
{
	uint64_t seed = 7;
	struct fmt f;
	unsigned int i;

	fmt_init(&f, NULL, true, secs_col, 1);
	for (i = 0; i < ARRAY_SIZE(secs_values) + 5000; i++) {
		uint64_t ns = i < ARRAY_SIZE(secs_values) ? secs_values[i] :
			      lcg(&seed) % 1000000000000000ULL;
		union cell v = { .ns = ns };
		char *line = render(&f, &v);
		json_t *o = parse_line(line, &f);

		assert_true(json_is_real(json_object_get(o, "time_s")));
		expect_json_secs(line, "time_s", ns);
		json_decref(o);
		free(line);
	}
}

/* ---- JSON ------------------------------------------------------------- */

static void test_json_header_empty(UNUSED void **state)
{
	struct fmt f;

	tc_fmt(&f, true, true, true, true);
	expect_render(&f, NULL, "");
}

static void test_json_tcpconnect_rows(UNUSED void **state)
{
	union cell v[C__N];
	struct sample r;
	struct fmt f;
	unsigned int i;

	/* The text mask must not matter for JSON: all columns. */
	tc_fmt(&f, true, false, false, false);
	for (i = 0; i < NSAMPLES; i++) {
		char *line;
		json_t *o;

		sample(i, &r);
		tc_cells(v, &r);
		line = render(&f, v);
		o = parse_line(line, &f);
		assert_int_equal(json_object_size(o), C__N);
		expect_json_secs(line, "time_s", r.ns);
		expect_json_int(o, "uid", r.uid);
		expect_json_int(o, "pid", r.pid);
		expect_json_str(o, "comm", r.comm);
		expect_json_int(o, "ip", r.ip);
		expect_json_str(o, "saddr", r.saddr);
		expect_json_int(o, "lport", r.lport);
		expect_json_str(o, "daddr", r.daddr);
		expect_json_int(o, "dport", r.dport);
		/* No row suffix in JSON. */
		assert_int_equal(line[strlen(line) - 2], '}');
		json_decref(o);
		free(line);
	}
}

static void test_json_tcpaccept_and_count_rows(UNUSED void **state)
{
	union cell v[A__N];	/* also K__N < A__N cells */
	struct sample r;
	struct fmt f, g;
	unsigned int i;

	ta_fmt(&f, true, false, false, false);
	fmt_init(&g, NULL, true, count_cols, K__N);
	g.text_mask &= ~BIT(K_IP);
	for (i = 0; i < NSAMPLES; i++) {
		char *line;
		json_t *o;

		sample(i, &r);
		ta_cells(v, &r);
		line = render(&f, v);
		o = parse_line(line, &f);
		expect_json_str(o, "time", r.hms);
		expect_json_secs(line, "time_s", r.ns);
		expect_json_str(o, "raddr", r.daddr);
		expect_json_int(o, "lport", r.lport);
		json_decref(o);
		free(line);

		count_cells(v, &r);
		line = render(&g, v);
		o = parse_line(line, &g);
		expect_json_int(o, "ip", r.ip);
		expect_json_str(o, "laddr", r.saddr);
		expect_json_int(o, "connects", r.count);
		json_decref(o);
		free(line);
	}
}

static const struct column comm_col[] = {
	{ "COMM", "comm", COL_STR, 12, 12, 0 },
};

/* One {"comm": s} object, parsed back; returns the decoded string. */
static char *json_comm(const char *s, char **raw)
{
	union cell v = { .s = s };
	struct fmt f;
	json_t *o;
	char *line, *dec;

	fmt_init(&f, NULL, true, comm_col, 1);
	line = render(&f, &v);
	o = parse_line(line, &f);
	dec = strdup(json_string_value(json_object_get(o, "comm")));
	assert_non_null(dec);
	json_decref(o);
	if (raw)
		*raw = line;
	else
		free(line);
	return dec;
}

static void test_json_control_bytes(UNUSED void **state)
{
	char s[64], *dec, *raw;
	size_t n = 0;
	int c;

	for (c = 0x01; c <= 0x1f; c++)
		s[n++] = c;
	s[n++] = 0x7f;
	s[n++] = '"';
	s[n++] = '\\';
	s[n++] = 'x';
	s[n++] = '/';
	s[n] = '\0';
	dec = json_comm(s, &raw);
	assert_int_equal(strlen(dec), n);
	assert_memory_equal(dec, s, n + 1);
	/* Raw: no control byte or DEL left unescaped in the line. */
	for (c = 0; raw[c] && raw[c] != '\n'; c++)
		assert_true((unsigned char)raw[c] >= 0x20 &&
			    (unsigned char)raw[c] != 0x7f);
	assert_non_null(strstr(raw, "\\u007f"));
	free(dec);
	free(raw);

	/* Each one alone, between letters. */
	for (c = 0x01; c < 0x80; c++) {
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		snprintf(s, sizeof(s), "a%cb", c);
		dec = json_comm(s, NULL);
		assert_string_equal(dec, s);
		free(dec);
	}
}

static void test_json_utf8_passthrough(UNUSED void **state)
{
	static const char *const ok[] = {
		"caf\xc3\xa9",				/* é */
		"\xe2\x82\xac",				/* € */
		"\xf0\x9f\x98\x80",			/* U+1F600 */
		"\xe6\x97\xa5\xe6\x9c\xac",		/* 日本 */
		"\xc2\xa0\xc2\x9b",			/* NBSP, CSI (C1) */
		"\xf4\x8f\xbf\xbf",			/* U+10FFFF */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		char *raw, *dec = json_comm(ok[i], &raw);

		assert_string_equal(dec, ok[i]);
		/* Passed through as bytes, not \u-escaped. */
		assert_non_null(strstr(raw, ok[i]));
		free(dec);
		free(raw);
	}
}

static void test_json_invalid_utf8(UNUSED void **state)
{
	static const struct {
		const char *in;
		const char *line;	/* the whole JSON line */
		const char *dec;	/* what jansson decodes */
	} cases[] = {
		{ "a\xff" "b", "{\"comm\":\"a\\u00ffb\"}\n", "a\xc3\xbf" "b" },
		{ "\xc3", "{\"comm\":\"\\u00c3\"}\n", "\xc3\x83" },
		{ "\xc3" "b", "{\"comm\":\"\\u00c3b\"}\n", "\xc3\x83" "b" },
		{ "x\xc3", "{\"comm\":\"x\\u00c3\"}\n", "x\xc3\x83" },
		{ "\xc0\xaf", "{\"comm\":\"\\u00c0\\u00af\"}\n",
		  "\xc3\x80\xc2\xaf" },
		{ "\xe0\x80\xaf", "{\"comm\":\"\\u00e0\\u0080\\u00af\"}\n",
		  "\xc3\xa0\xc2\x80\xc2\xaf" },
		{ "\xed\xa0\x80", "{\"comm\":\"\\u00ed\\u00a0\\u0080\"}\n",
		  "\xc3\xad\xc2\xa0\xc2\x80" },
		{ "\xf4\x90\x80\x80",
		  "{\"comm\":\"\\u00f4\\u0090\\u0080\\u0080\"}\n",
		  "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80" },
		{ "\x80\xbf", "{\"comm\":\"\\u0080\\u00bf\"}\n",
		  "\xc2\x80\xc2\xbf" },
		{ "\xe2\x82" "a", "{\"comm\":\"\\u00e2\\u0082a\"}\n",
		  "\xc3\xa2\xc2\x82" "a" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *raw, *dec = json_comm(cases[i].in, &raw);

		assert_string_equal(raw, cases[i].line);
		assert_string_equal(dec, cases[i].dec);
		free(dec);
		free(raw);
	}
}

static void test_json_mask(UNUSED void **state)
{
	static const uint32_t masks[] = {
		0,
		BIT(C_PID),
		BIT(C_TIME),
		~(BIT(C_SADDR) | BIT(C_UID)) & (BIT(C__N) - 1),
		BIT(C_COMM) | BIT(C_DPORT),
		(BIT(C__N) - 1) & ~BIT(C_TIME),
	};
	union cell v[C__N];
	struct sample r;
	struct fmt f;
	unsigned int i, k;

	for (k = 0; k < ARRAY_SIZE(masks); k++) {
		tc_fmt(&f, true, true, true, true);
		f.json_mask = masks[k];
		for (i = 0; i < 16; i++) {
			char *line;
			json_t *o;

			sample(i, &r);
			tc_cells(v, &r);
			line = render(&f, v);
			if (!masks[k])
				assert_string_equal(line, "{}\n");
			o = parse_line(line, &f);
			assert_int_equal(json_object_size(o),
					 __builtin_popcount(masks[k]));
			json_decref(o);
			free(line);
		}
	}
}

static void test_json_bool_nullstr(UNUSED void **state)
{
	static const struct column cols[] = {
		{ "OK", "ok", COL_BOOL, 3, 0, 0 },
		{ "QUERY", "query", COL_NULLSTR, 5, 0, 0 },
		{ "N", "n", COL_INT, 1, 0, 0 },
	};
	union cell v[3];
	struct fmt f;
	char *line;
	json_t *o;

	fmt_init(&f, NULL, true, cols, 3);
	v[0].b = true;
	v[1].s = NULL;
	v[2].i = -9223372036854775807LL - 1;
	line = render(&f, v);
	assert_string_equal(line,
		"{\"ok\":true,\"query\":null,\"n\":-9223372036854775808}\n");
	o = parse_line(line, &f);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_true(json_is_null(json_object_get(o, "query")));
	expect_json_int(o, "n", -9223372036854775807LL - 1);
	json_decref(o);
	free(line);

	v[0].b = false;
	v[1].s = "example.com";
	v[2].i = 9223372036854775807LL;
	line = render(&f, v);
	assert_string_equal(line,
		"{\"ok\":false,\"query\":\"example.com\",\"n\":9223372036854775807}\n");
	free(line);

	/* Text: yes/no, NULL as "-". */
	f.json = false;
	expect_render(&f, NULL, "OK  QUERY N\n");
	v[0].b = true;
	v[1].s = NULL;
	v[2].i = 5;
	expect_render(&f, v, "yes -     5\n");
	v[0].b = false;
	v[1].s = "example.com";
	expect_render(&f, v, "no  example.com 5\n");
}

/*
 * However long a value, a JSON row stays one line of valid JSON (here a
 * 1000-byte string of control bytes: 6000 bytes escaped).
 */
static void test_json_long_value(UNUSED void **state)
{
	static const struct column cols[] = {
		{ "QUERY", "query", COL_STR, 0, 0, 0 },
		{ "N", "n", COL_INT, 1, 0, 0 },
	};
	char s[1001];
	union cell v[2];
	struct fmt f;
	char *line;
	json_t *o;

	memset(s, 0x01, sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	v[0].s = s;
	v[1].i = 1;
	fmt_init(&f, NULL, true, cols, 2);
	line = render(&f, v);
	o = parse_line(line, &f);
	expect_json_str(o, "query", s);
	json_decref(o);
	free(line);
}

/* A text "%-16s" column prints all of a long value, as printf does. */
static void test_text_long_value(UNUSED void **state)
{
	static const struct column cols[] = {
		{ "QUERY", "query", COL_STR, 16, 0, 0 },
	};
	char s[701], want[800], *got;
	union cell v;
	struct fmt f;

	memset(s, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	v.s = s;
	fmt_init(&f, NULL, false, cols, 1);
	snprintf(want, sizeof(want), "%-16s\n", s);
	got = render(&f, &v);
	if (strcmp(got, want))
		fail_msg("a %zu-byte value printed as %zu bytes", strlen(s),
			 strlen(got) - 1);
	free(got);
}

/*
 * The JSON line of integer cells v[i] == i built key by key with
 * fmt_json_str(), independently of the keys fmt_init() escaped once.
 */
static void json_int_line(const struct fmt *f, char *want, size_t n)
{
	size_t pos = 0;
	unsigned int i;
	bool first = true;

	pos += snprintf(want + pos, n - pos, "{");
	for (i = 0; i < f->ncols; i++) {
		if (!(f->json_mask & BIT(i)))
			continue;
		if (!first)
			pos += snprintf(want + pos, n - pos, ",");
		assert_int_equal(fmt_json_str(want, n, &pos, f->cols[i].key), 0);
		pos += snprintf(want + pos, n - pos, ":%u", i);
		first = false;
	}
	snprintf(want + pos, n - pos, "}\n");
}

static void expect_json_ints(const struct fmt *f)
{
	union cell v[FMT_MAX_COLS];
	char want[LINE_MAX_TEST];
	unsigned int i;

	for (i = 0; i < f->ncols; i++)
		v[i].i = i;
	json_int_line(f, want, sizeof(want));
	expect_render(f, v, want);
}

/* Keys that need escaping come out as fmt_json_str() escapes them. */
static void test_json_keys_escaped(UNUSED void **state)
{
	static const struct column cols[] = {
		{ "A", "a\"b", COL_INT, 0, 0, 0 },
		{ "B", "back\\slash", COL_INT, 0, 0, 0 },
		{ "C", "tab\there\n", COL_INT, 0, 0, 0 },
		{ "D", "caf\xc3\xa9", COL_INT, 0, 0, 0 },
		{ "E", "bad\xff", COL_INT, 0, 0, 0 },
		{ "F", "", COL_INT, 0, 0, 0 },
	};
	struct fmt f;
	uint32_t mask;

	fmt_init(&f, NULL, true, cols, ARRAY_SIZE(cols));
	expect_render(&f, (union cell[]){ { 0 }, { 1 }, { 2 }, { 3 }, { 4 },
					  { 5 } },
		      "{\"a\\\"b\":0,\"back\\\\slash\":1,\"tab\\there\\n\":2,"
		      "\"caf\xc3\xa9\":3,\"bad\\u00ff\":4,\"\":5}\n");
	/* Whichever column comes first has no comma before its key. */
	for (mask = 0; mask < BIT(ARRAY_SIZE(cols)); mask++) {
		f.json_mask = mask;
		expect_json_ints(&f);
	}
}

/*
 * Keys too long for struct fmt's room are escaped per row instead: the
 * same bytes whichever columns fitted and whichever are shown.
 */
static void test_json_keys_overflow(UNUSED void **state)
{
	static char keys[FMT_MAX_COLS][64];
	static struct column cols[FMT_MAX_COLS];
	static const uint32_t masks[] = {
		~0U, 1, 0x80000000U, 0xfffffffeU, 0x0000ffffU, 0xffff0000U,
		0x55555555U, 0xaaaaaaaaU,
	};
	unsigned int i, k;
	struct fmt f;

	for (i = 0; i < FMT_MAX_COLS; i++) {
		snprintf(keys[i], sizeof(keys[i]),
			 "a_rather_long_key_\"%02u\"_of_column_%u", i, i);
		cols[i] = (struct column){ "X", keys[i], COL_INT, 0, 0, 0 };
	}
	fmt_init(&f, NULL, true, cols, FMT_MAX_COLS);
	assert_true(f.nkeys < FMT_MAX_COLS);
	for (k = 0; k < ARRAY_SIZE(masks); k++) {
		f.json_mask = masks[k];
		expect_json_ints(&f);
	}
}

/* ---- fmt_sanitize ----------------------------------------------------- */

static void test_sanitize(UNUSED void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "curl", "curl" },
		{ "a\x01" "b\x1f\x7f", "a?b??" },
		{ "\t\n\r\x1b[31m", "????[31m" },
		{ "\xc2\x9b" "31m", "?31m" },			/* C1 CSI */
		{ "x\xc2\x80y\xc2\x9fz", "x?y?z" },		/* C1 range ends */
		{ "\xc2\xa0", "\xc2\xa0" },			/* NBSP kept */
		{ "\xc2\x7f", "??" },
		{ "\xff", "?" },
		{ "a\xc3", "a?" },				/* lone lead */
		{ "\xc3(", "?(" },
		{ "\xc0\xaf", "??" },				/* overlong / */
		{ "\xc1\xbf", "??" },
		{ "\xe0\x80\xaf", "???" },			/* overlong */
		{ "\xed\xa0\x80", "???" },			/* surrogate */
		{ "\xf4\x90\x80\x80", "????" },			/* > U+10FFFF */
		{ "\xf5\x80\x80\x80", "????" },
		{ "\x80", "?" },				/* lone trail */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xe2\x82\xac", "\xe2\x82\xac" },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
		{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },
		{ "\xef\xbf\xbf", "\xef\xbf\xbf" },
	};
	char dst[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_ptr_equal(fmt_sanitize(dst, sizeof(dst), cases[i].in),
				 dst);
		assert_string_equal(dst, cases[i].out);
	}
}

static const char *const trunc_inputs[] = {
	"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "b",	/* aé€😀b */
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",		/* 日本語 */
	"ab\xe2\x82\xac" "c",				/* ab€c */
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80x",
	"\xc2\x9b\x01\xc3\xa9\xff\xc3",			/* dirty */
	"abcdefgh",
};

/*
 * Any size: NUL-terminated inside the buffer, nothing written past it,
 * never half a UTF-8 character.
 */
static void test_sanitize_truncation_safe(UNUSED void **state)
{
	char dst[64];
	unsigned int i;
	size_t n;

	for (i = 0; i < ARRAY_SIZE(trunc_inputs); i++) {
		memset(dst, 'X', sizeof(dst));
		assert_ptr_equal(fmt_sanitize(dst, 0, trunc_inputs[i]), dst);
		assert_int_equal(dst[0], 'X');
		for (n = 1; n <= strlen(trunc_inputs[i]) + 2; n++) {
			size_t k;

			memset(dst, 'X', sizeof(dst));
			fmt_sanitize(dst, n, trunc_inputs[i]);
			assert_non_null(memchr(dst, '\0', n));
			assert_true(strlen(dst) < n);
			assert_true(valid_utf8(dst, strlen(dst)));
			for (k = n; k < sizeof(dst); k++)
				assert_int_equal(dst[k], 'X');
		}
	}
}

/*
 * Cutting a clean string to the buffer keeps its longest prefix that
 * ends on a character boundary: it neither puts a '?' in place of a
 * character that did not fit nor goes on after it.
 */
static void test_sanitize_truncation_prefix(UNUSED void **state)
{
	char dst[64];
	unsigned int i;
	size_t n;

	for (i = 0; i < ARRAY_SIZE(trunc_inputs); i++) {
		const char *in = trunc_inputs[i];

		if (!valid_utf8(in, strlen(in)) || in[0] == '\xc2')
			continue;	/* only clean strings */
		for (n = 1; n <= strlen(in) + 1; n++) {
			size_t want = utf8_prefix(in, n - 1);

			fmt_sanitize(dst, n, in);
			if (strlen(dst) != want || memcmp(dst, in, want))
				fail_msg("fmt_sanitize(n=%zu, \"%s\") = \"%s\", "
					 "want \"%.*s\"", n, in, dst,
					 (int)want, in);
		}
	}
}

/*
 * Reference per-character versions of the sanitiser and the JSON
 * escaper, for random strings below: lib/format.c copies runs of plain
 * ASCII at once, which must not change a byte of the output.
 */
static size_t ref_char(const unsigned char *s, size_t n)
{
	size_t k;

	for (k = 1; k <= 4 && k <= n; k++)
		if (valid_utf8((const char *)s, k))
			return k;
	return 0;
}

static bool ref_unsafe(const unsigned char *s, size_t len)
{
	return !len || (len == 1 && (*s < 0x20 || *s == 0x7f)) ||
	       (len == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

static void ref_sanitize(char *dst, size_t n, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t rest = strlen(str), used = 0, len, out;

	while (rest) {
		len = ref_char(s, rest);
		out = ref_unsafe(s, len) ? 1 : len;
		if (used + out > n - 1)
			break;
		if (ref_unsafe(s, len))
			dst[used] = '?';
		else
			memcpy(dst + used, s, len);
		used += out;
		len = len ? len : 1;
		s += len;
		rest -= len;
	}
	dst[used] = '\0';
}

static void ref_json(char *dst, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t rest = strlen(str), len;

	*dst++ = '"';
	while (rest) {
		len = ref_char(s, rest);
		if (len == 1 && (*s == '"' || *s == '\\'))
			dst += sprintf(dst, "\\%c", *s);
		else if (len == 1 && (*s == '\n' || *s == '\t' || *s == '\r'))
			dst += sprintf(dst, "\\%c", *s == '\n' ? 'n' :
					    *s == '\t' ? 't' : 'r');
		else if (!len || (len == 1 && (*s < 0x20 || *s == 0x7f)))
			dst += sprintf(dst, "\\u%04x", *s), len = 1;
		else
			dst = memcpy(dst, s, len), dst += len;
		s += len;
		rest -= len;
	}
	strcpy(dst, "\"");
}

/* A random mix of ASCII runs, escapes, UTF-8 and broken UTF-8. */
static void random_string(char *s, size_t max, unsigned int *seed)
{
	static const char *const bits[] = {
		"abc", "x", "hello world", "\"", "\\", "\n", "\t", "\x01",
		"\x7f", "\x1b[", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xc2\x9b", "\xc2\xa0", "\xff", "\xc3",
		"\xe2\x82", "\x80", "\xed\xa0\x80", "~ }", " ",
	};
	size_t len = 0, k;
	unsigned int i, n = rand_r(seed) % 12;

	for (i = 0; i < n; i++) {
		const char *b = bits[rand_r(seed) % ARRAY_SIZE(bits)];

		k = strlen(b);
		if (len + k >= max)
			break;
		memcpy(s + len, b, k);
		len += k;
	}
	s[len] = '\0';
}

static void test_strings_random(UNUSED void **state)
{
	char s[128], got[1024], want[1024];
	unsigned int seed = 1, i;
	size_t n, pos;

	for (i = 0; i < 20000; i++) {
		random_string(s, sizeof(s), &seed);
		for (n = 1; n <= strlen(s) + 2; n++) {
			fmt_sanitize(got, n, s);
			ref_sanitize(want, n, s);
			if (strcmp(got, want))
				fail_msg("fmt_sanitize(n=%zu) of \"%s\": \"%s\", "
					 "want \"%s\"", n, s, got, want);
		}
		pos = 0;
		assert_int_equal(fmt_json_str(got, sizeof(got), &pos, s), 0);
		ref_json(want, s);
		assert_string_equal(got, want);
	}
}

/* ---- text string precision -------------------------------------------- */

static const struct column comm_noprec_col[] = {
	{ "COMM", "comm", COL_STR, 12, 0, 0 },
};

static void test_text_precision_ascii(UNUSED void **state)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz";
	char s[32], want[64];
	union cell v = { .s = s };
	struct fmt f;
	size_t len;

	fmt_init(&f, NULL, false, comm_col, 1);
	for (len = 0; len <= 20; len++) {
		snprintf(s, sizeof(s), "%.*s", (int)len, alpha);
		snprintf(want, sizeof(want), "%-12.12s\n", s);
		expect_render(&f, &v, want);
	}
	/* Without a precision, "%-12s". */
	fmt_init(&f, NULL, false, comm_noprec_col, 1);
	for (len = 0; len <= 20; len++) {
		snprintf(s, sizeof(s), "%.*s", (int)len, alpha);
		snprintf(want, sizeof(want), "%-12s\n", s);
		expect_render(&f, &v, want);
	}
}

static void test_text_precision_utf8(UNUSED void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* éééééééé (16 bytes): six fit exactly */
		{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n" },
		/* aéééééééé: byte 12 is mid-é, cut before it, pad one */
		{ "a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		  "a\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 \n" },
		/* €€€€€ */
		{ "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
		  "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\n" },
		/* a€€€€ */
		{ "a\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
		  "a\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac  \n" },
		/* 😀😀😀😀 */
		{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
		  "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\n" },
		/* ab😀😀😀 */
		{ "ab\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
		  "ab\xf0\x9f\x98\x80\xf0\x9f\x98\x80  \n" },
		/* abcdefghijk€ */
		{ "abcdefghijk\xe2\x82\xac", "abcdefghijk \n" },
		/* abcdefghij€ (13 bytes): the € would end at 13, cut to 10 */
		{ "abcdefghij\xe2\x82\xac", "abcdefghij  \n" },
		/* abcdefghi€ (12 bytes) fits exactly */
		{ "abcdefghi\xe2\x82\xac", "abcdefghi\xe2\x82\xac\n" },
		{ "abcdefghijkl\xe2\x82\xac", "abcdefghijkl\n" },
		/* short, padded by bytes as printf */
		{ "\xc3\xa9", "\xc3\xa9          \n" },
	};
	union cell v;
	struct fmt f;
	unsigned int i;

	fmt_init(&f, NULL, false, comm_col, 1);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got;
		size_t len;

		v.s = cases[i].in;
		got = render(&f, &v);
		assert_string_equal(got, cases[i].out);
		len = strlen(got);
		assert_true(valid_utf8(got, len));
		assert_true(len - 1 >= 12);
		free(got);
	}
}

/*
 * COLF_CHARS: Python's "%-12.12s" of decoded text (tcpconnlat's COMM):
 * 12 characters kept and padded to, whatever their bytes; an invalid
 * byte is one character ('?', where Python has U+FFFD), and so is a
 * sequence cut short.
 */
static void test_text_precision_chars(UNUSED void **state)
{
	static const struct column col = {
		"COMM", "comm", COL_STR, 12, 12, COLF_CHARS
	};
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "abc", "abc         \n" },
		{ "abcdefghijklmn", "abcdefghijkl\n" },
		/* utf8__ééxéz: 11 characters, 14 bytes, one blank */
		{ "utf8__\xc3\xa9\xc3\xa9x\xc3\xa9z",
		  "utf8__\xc3\xa9\xc3\xa9x\xc3\xa9z \n" },
		/* éééééééééééééé: 14 characters, cut to 12 */
		{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n" },
		/* ab😀 and a € cut off by the end: one character, as in Python */
		{ "ab\xf0\x9f\x98\x80\xe2\x82", "ab\xf0\x9f\x98\x80?        \n" },
		/* ... or in the middle; a stray byte is one too */
		{ "a\xe2\x82" "b\xff", "a?b?        \n" },
		/* control characters are one '?' each, as in bytes mode */
		{ "a\tb", "a?b         \n" },
	};
	union cell v;
	struct fmt f;
	unsigned int i;

	fmt_init(&f, NULL, false, &col, 1);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got;

		v.s = cases[i].in;
		got = render(&f, &v);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

/* ---- fmt_json_str ----------------------------------------------------- */

static void test_json_str_sizes(UNUSED void **state)
{
	/* a"b<0x01>é\ */
	static const char in[] = "a\"b\x01\xc3\xa9\\";
	static const char enc[] = "\"a\\\"b\\u0001\xc3\xa9\\\\\"";
	size_t L = strlen(enc), n, pos;
	char buf[64];
	int ret;

	for (n = 0; n <= L + 2; n++) {
		memset(buf, 'X', sizeof(buf));
		pos = 0;
		ret = fmt_json_str(buf, n, &pos, in);
		if (n > L) {
			assert_int_equal(ret, 0);
			assert_int_equal(pos, L);
			assert_string_equal(buf, enc);
		} else {
			assert_int_equal(ret, -1);
		}
		if (n && !memchr(buf, '\0', n))
			fail_msg("fmt_json_str(n=%zu) returned %d and left the "
				 "buffer unterminated: \"%.*s\"", n, ret,
				 (int)n, buf);
		assert_int_equal(buf[n], 'X');
	}

	/* Appending at pos. */
	memset(buf, 'X', sizeof(buf));
	memcpy(buf, "[1,", 3);
	pos = 3;
	assert_int_equal(fmt_json_str(buf, sizeof(buf), &pos, in), 0);
	assert_int_equal(pos, 3 + L);
	assert_memory_equal(buf, "[1,", 3);
	assert_string_equal(buf + 3, enc);
	/* Then one that does not fit. */
	ret = fmt_json_str(buf, 3 + L + 3, &pos, "xyz");
	assert_int_equal(ret, -1);
	assert_non_null(memchr(buf, '\0', 3 + L + 3));

	/* Empty string. */
	pos = 0;
	assert_int_equal(fmt_json_str(buf, 3, &pos, ""), 0);
	assert_string_equal(buf, "\"\"");
	pos = 0;
	buf[0] = buf[1] = 'X';
	assert_int_equal(fmt_json_str(buf, 2, &pos, ""), -1);
	assert_non_null(memchr(buf, '\0', 2));
}

/* ---- fmt_addr --------------------------------------------------------- */

static void test_addr(UNUSED void **state)
{
	static const struct {
		int family;
		const char *text;
	} cases[] = {
		{ AF_INET, "127.0.0.1" },
		{ AF_INET, "0.0.0.0" },
		{ AF_INET, "255.255.255.255" },
		{ AF_INET, "10.1.2.3" },
		{ AF_INET6, "::1" },
		{ AF_INET6, "::" },
		{ AF_INET6, "fe80::1" },
		{ AF_INET6, "::ffff:127.0.0.1" },
		{ AF_INET6, "::ffff:192.168.100.200" },
		{ AF_INET6, "2001:db8::ff00:42:8329" },
		{ AF_INET6, "2001:db8:0:1:1:1:1:1" },
		{ AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ AF_INET6, "fe80::1:0:0:1" },
	};
	unsigned char a[16];
	char got[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(inet_pton(cases[i].family, cases[i].text, a), 1);
		assert_non_null(inet_ntop(cases[i].family, a, want,
					  sizeof(want)));
		assert_ptr_equal(fmt_addr(got, sizeof(got), cases[i].family, a),
				 got);
		assert_string_equal(got, want);
		assert_string_equal(got, cases[i].text);
	}
	/* Non-compressed input prints compressed, as inet_ntop. */
	assert_int_equal(inet_pton(AF_INET6, "fe80:0:0:0:0:0:0:1", a), 1);
	assert_string_equal(fmt_addr(got, sizeof(got), AF_INET6, a),
			    "fe80::1");
	/* Too small a buffer or a bad family: "?", terminated. */
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::ff00:42:8329", a), 1);
	assert_string_equal(fmt_addr(got, 8, AF_INET6, a), "?");
	assert_string_equal(fmt_addr(got, sizeof(got), 12345, a), "?");
}

/* fmt_addr() of IPv4 a as inet_ntop() prints it, with a buffer of n. */
static void expect_addr4(uint32_t a, size_t n)
{
	char got[INET_ADDRSTRLEN + 8], want[INET_ADDRSTRLEN + 8];
	struct in_addr in = { .s_addr = htonl(a) };

	memset(got, 'X', sizeof(got));
	if (!inet_ntop(AF_INET, &in, want, n))
		snprintf(want, n, "?");
	assert_ptr_equal(fmt_addr(got, n, AF_INET, &in), got);
	if (n && strcmp(got, want))
		fail_msg("fmt_addr(%08x, n=%zu) = \"%s\", inet_ntop \"%s\"",
			 a, n, got, want);
	assert_int_equal(got[n], 'X');
}

/*
 * IPv4 is formatted by hand (lib/format.c says why): the same bytes as
 * inet_ntop() for edge values, every octet value in every place, random
 * addresses, and every buffer size up to one past the longest.
 */
static void test_addr4(UNUSED void **state)
{
	static const uint32_t edges[] = {
		0x00000000, 0xffffffff, 0x0a000001, 0xc0a864c8, 0x7f000001,
		0x01020304, 0x090a6364, 0x0a636465, 0xfe090063, 0x00ff00ff,
	};
	unsigned int seed = 42, i, v, shift;
	size_t n;

	for (i = 0; i < ARRAY_SIZE(edges); i++)
		for (n = 0; n <= INET_ADDRSTRLEN + 1; n++)
			expect_addr4(edges[i], n);
	for (shift = 0; shift < 32; shift += 8)
		for (v = 0; v < 256; v++) {
			expect_addr4(v << shift, INET_ADDRSTRLEN);
			expect_addr4(v * 0x01010101U, INET_ADDRSTRLEN);
			expect_addr4((0x7f7f7f7fU & ~(0xffU << shift)) |
				     v << shift, INET_ADDRSTRLEN);
		}
	for (i = 0; i < 1000000; i++)
		expect_addr4((uint32_t)rand_r(&seed) << 16 ^ rand_r(&seed),
			     INET_ADDRSTRLEN);
}

/* ---- write errors ----------------------------------------------------- */

static void test_write_error(UNUSED void **state)
{
	union cell v[C__N];
	struct sample r;
	struct fmt f;
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		skip();
	assert_int_equal(setvbuf(full, NULL, _IONBF, 0), 0);
	sample(3, &r);
	tc_cells(v, &r);
	tc_fmt(&f, false, true, true, true);
	f.out = full;
	assert_int_equal(fmt_header(&f), -1);
	clearerr(full);
	assert_int_equal(fmt_row(&f, v), -1);
	clearerr(full);
	f.json = true;
	assert_int_equal(fmt_row(&f, v), -1);
	/* JSON has no header: nothing to write, no error. */
	clearerr(full);
	assert_int_equal(fmt_header(&f), 0);
	fclose(full);
}

/* ---- text masks ------------------------------------------------------- */

static void test_text_mask(UNUSED void **state)
{
	char want[LINE_MAX_TEST];
	union cell v[C__N];
	struct sample r;
	struct fmt f;
	unsigned int i;

	/* SADDR and LPORT hidden: both absent from header and rows. */
	tc_fmt(&f, false, false, false, false);
	f.text_mask &= ~BIT(C_SADDR);
	snprintf(want, sizeof(want), "%-7s %-12s %-2s %-16s %-6s\n",
		 "PID", "COMM", "IP", "DADDR", "DPORT");
	expect_render(&f, NULL, want);
	for (i = 0; i < 64; i++) {
		sample(i, &r);
		tc_cells(v, &r);
		snprintf(want, sizeof(want), "%-7d %-12.12s %-2d %-16s %-6d \n",
			 r.pid, r.comm, r.ip, r.daddr, r.dport);
		expect_render(&f, v, want);
	}

	/* Only the NOSEP prefixes and the last column. */
	tc_fmt(&f, false, true, true, false);
	f.text_mask = BIT(C_TIME) | BIT(C_UID) | BIT(C_DPORT);
	expect_render(&f, NULL, "TIME(s)  UID   DPORT \n");
	sample(2, &r);
	tc_cells(v, &r);
	snprintf(want, sizeof(want), "%-9.3f%-6u%-6d \n", r.ns / 1e9, r.uid,
		 r.dport);
	expect_render(&f, v, want);

	/* Nothing shown: an empty header line, the suffix alone. */
	f.text_mask = 0;
	expect_render(&f, NULL, "\n");
	expect_render(&f, v, " \n");

	/* The text mask does not touch JSON, nor the JSON mask text. */
	tc_fmt(&f, false, false, false, false);
	f.json_mask = 0;
	sample(5, &r);
	tc_cells(v, &r);
	bcc_tc_row(want, sizeof(want), &r, false, false, false);
	expect_render(&f, v, want);
}


/* ---- tcpstates/tcplife shapes: hex, right-aligned, ms, csv ------------- */

enum { S_TS, S_SK, S_PID, S_COMM, S_LADDR, S_OLD, S_ARROW, S_NEW, S_TX, S_MS,
       S__N };

static const struct column state_cols[S__N] = {
	[S_TS]    = { "TIME(s)", "time_s", COL_SECS, 9, 6 },
	[S_SK]    = { "SKADDR", "skaddr", COL_HEX, 16 },
	[S_PID]   = { "C-PID", "pid", COL_INT, 5 },
	[S_COMM]  = { "C-COMM", "comm", COL_STR, 10, 10 },
	[S_LADDR] = { "LADDR", "laddr", COL_STR, 15 },
	[S_OLD]   = { "OLDSTATE", "oldstate", COL_STR, 11 },
	[S_ARROW] = { "->", "arrow", COL_STR, 2 },
	[S_NEW]   = { "NEWSTATE", "newstate", COL_STR, 11 },
	[S_TX]    = { "TX_KB", "tx_kb", COL_INT, 5, 0, COLF_RIGHT },
	[S_MS]    = { "MS", "ms", COL_MS, 0, 2 },
};

/* Against snprintf() of the same printf formats, csv and not. */
static void test_state_shapes(UNUSED void **state)
{
	static const char *const comms[] = { "a", "sshd", "0123456789abcdef" };
	char want[LINE_MAX_TEST];
	uint64_t seed = 3;
	union cell v[S__N];
	struct fmt f;
	unsigned int i;

	fmt_init(&f, NULL, false, state_cols, S__N);
	snprintf(want, sizeof(want), "%-9s %-16s %-5s %-10.10s %-15s %-11s -> %-11s %5s %s\n",
		 "TIME(s)", "SKADDR", "C-PID", "C-COMM", "LADDR", "OLDSTATE",
		 "NEWSTATE", "TX_KB", "MS");
	expect_render(&f, NULL, want);
	for (i = 0; i < 3000; i++) {
		uint64_t us = lcg(&seed) % 100000000000ULL, sk = lcg(&seed) << 11;
		uint64_t ms_ns = (i % 3 ? lcg(&seed) % 10000000000ULL :
				  (lcg(&seed) % 100000) * 10000 + 5000) + i % 1000;
		long long tx = i % 7 ? (long long)(lcg(&seed) % 1000000) : 0;

		v[S_TS].ns = us * 1000;
		v[S_SK].i = sk;
		v[S_PID].i = i * 37;
		v[S_COMM].s = comms[i % 3];
		v[S_LADDR].s = "127.0.0.1";
		v[S_OLD].s = "ESTABLISHED";
		v[S_ARROW].s = "->";
		v[S_NEW].s = "FIN_WAIT1";
		v[S_TX].i = tx;
		v[S_MS].ns = ms_ns;
		f.csv = false;
		snprintf(want, sizeof(want), "%-9.6f %-16llx %-5lld %-10.10s %-15s %-11s -> %-11s %5lld %.2f\n",
			 us / 1e6, (unsigned long long)sk, v[S_PID].i,
			 comms[i % 3], "127.0.0.1", "ESTABLISHED", "FIN_WAIT1",
			 tx, (double)(ms_ns / 1000) / 1000);
		expect_render(&f, v, want);
		f.csv = true;
		snprintf(want, sizeof(want), "%.6f,%llx,%lld,%s,%s,%s,->,%s,%lld,%.2f\n",
			 us / 1e6, (unsigned long long)sk, v[S_PID].i,
			 comms[i % 3], "127.0.0.1", "ESTABLISHED", "FIN_WAIT1",
			 tx, (double)(ms_ns / 1000) / 1000);
		expect_render(&f, v, want);
	}
	f.csv = true;
	expect_render(&f, NULL, "TIME(s),SKADDR,C-PID,C-COMM,LADDR,OLDSTATE,->,NEWSTATE,TX_KB,MS\n");
}

/* JSON: the address a string of hex digits, ms exact to the microsecond. */
static void test_state_json(UNUSED void **state)
{
	union cell v[S__N] = {
		[S_TS].ns = 1500000, [S_SK].i = (long long)0xffff888012345678ULL,
		[S_PID].i = 7, [S_COMM].s = "x", [S_LADDR].s = "::1",
		[S_OLD].s = "SYN_SENT", [S_ARROW].s = "->",
		[S_NEW].s = "ESTABLISHED", [S_TX].i = 3, [S_MS].ns = 12345678,
	};
	struct fmt f;
	json_t *o;
	char *line;

	fmt_init(&f, NULL, true, state_cols, S__N);
	line = render(&f, v);
	o = parse_line(line, &f);
	assert_string_equal(json_string_value(json_object_get(o, "skaddr")),
			    "ffff888012345678");
	assert_true(strstr(line, "\"ms\":12.345}") != NULL);
	json_decref(o);
	free(line);
}

/* COLF_CHARS: Python 3's "%-10.10s" of a decoded name counts characters. */
static void test_chars_width(UNUSED void **state)
{
	static const struct column col[2] = {
		{ "C-COMM", "comm", COL_STR, 10, 10, COLF_CHARS },
		{ "X", "x", COL_INT, 1, 0, 0 },
	};
	union cell v[2] = { [1].i = 7 };
	struct fmt f;

	fmt_init(&f, NULL, false, col, 2);
	v[0].s = "utf8__\xc3\xa9\xc3\xa9x\xc3\xa9z";
	expect_render(&f, v, "utf8__\xc3\xa9\xc3\xa9x\xc3\xa9 7\n");
	v[0].s = "\xc3\xa9t\xc3\xa9";
	expect_render(&f, v, "\xc3\xa9t\xc3\xa9        7\n");
	/* Control bytes and invalid UTF-8: one '?' a byte, one column. */
	v[0].s = "a\tb\xff";
	expect_render(&f, v, "a?b?       7\n");
	v[0].s = "0123456789abcdef";
	expect_render(&f, v, "0123456789 7\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_shapes),
		cmocka_unit_test(test_chars_width),
		cmocka_unit_test(test_state_json),
		cmocka_unit_test(test_tcpconnect_default),
		cmocka_unit_test(test_tcpconnect_lport),
		cmocka_unit_test(test_tcpconnect_timestamp),
		cmocka_unit_test(test_tcpconnect_uid),
		cmocka_unit_test(test_tcpconnect_all_prefixes),
		cmocka_unit_test(test_tcpaccept_default),
		cmocka_unit_test(test_tcpaccept_time),
		cmocka_unit_test(test_tcpaccept_timestamp),
		cmocka_unit_test(test_tcpaccept_time_and_timestamp),
		cmocka_unit_test(test_count_table),
		cmocka_unit_test(test_secs_text),
		cmocka_unit_test(test_secs_text_half_ms),
		cmocka_unit_test(test_secs_extremes),
		cmocka_unit_test(test_secs_json),
		cmocka_unit_test(test_json_header_empty),
		cmocka_unit_test(test_json_tcpconnect_rows),
		cmocka_unit_test(test_json_tcpaccept_and_count_rows),
		cmocka_unit_test(test_json_control_bytes),
		cmocka_unit_test(test_json_utf8_passthrough),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_mask),
		cmocka_unit_test(test_json_bool_nullstr),
		cmocka_unit_test(test_json_long_value),
		cmocka_unit_test(test_text_long_value),
		cmocka_unit_test(test_json_keys_escaped),
		cmocka_unit_test(test_json_keys_overflow),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_sanitize_truncation_safe),
		cmocka_unit_test(test_sanitize_truncation_prefix),
		cmocka_unit_test(test_strings_random),
		cmocka_unit_test(test_text_precision_ascii),
		cmocka_unit_test(test_text_precision_utf8),
		cmocka_unit_test(test_text_precision_chars),
		cmocka_unit_test(test_json_str_sizes),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_addr4),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_text_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
