// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lib/dns.c: the DNS answer parser, the IPv4/IPv6 + UDP packet layer in
 * front of it and the LRU cache of tcpconnect -d.
 *
 * Every message is built byte by byte here (the first one as a literal
 * array, the others with a small builder checked against it), and every
 * parse runs on a heap copy of exactly the message's length, so that an
 * out-of-bounds read is caught by valgrind or ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dns.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define F_RESPONSE	0x8180	/* QR, RD, RA, NOERROR */
#define F_QUERY		0x0100	/* RD */
#define RT_A		1
#define RT_CNAME		5
#define RT_AAAA		28
#define RC_IN		1
#define RC_CH		3

/* ---- the message builder ---------------------------------------------- */

#define MSG_MAX		4096

struct msg {
	uint8_t b[MSG_MAX];
	size_t n;
};

static void put8(struct msg *m, unsigned int v)
{
	assert_true(m->n < MSG_MAX);
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned int v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_bytes(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= MSG_MAX);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* Uncompressed name from dotted text ("" is the root). */
static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		assert_true(len > 0 && len < 64);
		put8(m, len);
		put_bytes(m, name, len);
		name += len + (dot ? 1 : 0);
	}
	put8(m, 0);
}

static void put_ptr(struct msg *m, unsigned int off)
{
	put16(m, 0xc000 | off);
}

static void put_hdr(struct msg *m, unsigned int flags, unsigned int qd,
		    unsigned int an, unsigned int ns, unsigned int ar)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void put_q(struct msg *m, const char *name, unsigned int type)
{
	put_name(m, name);
	put16(m, type);
	put16(m, RC_IN);
}

/* The rest of a record whose owner name is already in place. */
static void put_rr_tail(struct msg *m, unsigned int type, unsigned int class,
			const void *rdata, unsigned int rdlen)
{
	put16(m, type);
	put16(m, class);
	put32(m, 300);
	put16(m, rdlen);
	put_bytes(m, rdata, rdlen);
}

/* An answer whose owner is the question's name (a pointer to offset 12). */
static void put_rr(struct msg *m, unsigned int type, unsigned int class,
		   const void *rdata, unsigned int rdlen)
{
	put_ptr(m, 12);
	put_rr_tail(m, type, class, rdata, rdlen);
}

static void put_a(struct msg *m, const char *addr)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	put_rr(m, RT_A, RC_IN, a, 4);
}

static void put_aaaa(struct msg *m, const char *addr)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	put_rr(m, RT_AAAA, RC_IN, a, 16);
}

/* The usual answer: one question, one A record. */
static void msg_a(struct msg *m, const char *name, const char *addr)
{
	put_hdr(m, F_RESPONSE, 1, 1, 0, 0);
	put_q(m, name, RT_A);
	put_a(m, addr);
}

/* ---- parsing, with every callback recorded ---------------------------- */

#define GOT_MAX		16

struct got {
	int n;
	char qname[GOT_MAX][NS_MAXDNAME];
	struct dns_addr addr[GOT_MAX];
};

static void collect(void *arg, const char *qname, const struct dns_addr *a)
{
	struct got *g = arg;
	size_t len = strnlen(qname, NS_MAXDNAME);

	assert_true(len < NS_MAXDNAME);
	assert_true(a->family == AF_INET || a->family == AF_INET6);
	if (g->n < GOT_MAX) {
		memcpy(g->qname[g->n], qname, len + 1);
		g->addr[g->n] = *a;
	}
	g->n++;
}

/* A heap copy of exactly n bytes: a read past it is a memory error. */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	if (n)
		memcpy(c, p, n);
	return c;
}

static int parse_buf(const uint8_t *p, size_t n, struct got *g, bool packet)
{
	uint8_t *c = exact_copy(p, n);
	int r;

	memset(g, 0, sizeof(*g));
	r = packet ? dns_parse_packet(c, n, collect, g) :
		     dns_parse_answer(c, n, collect, g);
	free(c);
	/* The count returned is the count reported, and -1 reports none. */
	if (r < -1 || (r == -1 && g->n) || (r >= 0 && r != g->n))
		fail_msg("%s of %zu bytes returned %d but reported %d "
			 "address(es)%s%s", packet ? "packet" : "message", n,
			 r, g->n, g->n ? ", the first named " : "",
			 g->n ? g->qname[0] : "");
	return r;
}

/* One, static: a failed assertion jumps out of the test and leaks nothing. */
static struct got *got_new(void)
{
	static struct got g;

	return &g;
}

static int parse(const struct msg *m, struct got *g)
{
	return parse_buf(m->b, m->n, g, false);
}

static void assert_addr(const struct got *g, int i, const char *qname,
			const char *addr)
{
	int af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	uint8_t want[16] = { 0 };

	assert_true(i < g->n);
	assert_int_equal(inet_pton(af, addr, want), 1);
	assert_string_equal(g->qname[i], qname);
	assert_int_equal(g->addr[i].family, af);
	/* The unused tail of an IPv4 address is zero (it is a cache key). */
	assert_memory_equal(g->addr[i].a, want, 16);
}

/* Every strict prefix of m is refused, and read within its bounds. */
static void assert_prefixes_refused(const struct msg *m)
{
	struct got *g = got_new();

	for (size_t len = 0; len < m->n; len++) {
		if (parse_buf(m->b, len, g, false) != -1)
			fail_msg("prefix of %zu of %zu bytes was accepted",
				 len, m->n);
	}
}

/* ---- answers ---------------------------------------------------------- */

/* example.com A 93.184.216.34, as a resolver would send it. */
static const uint8_t literal_a[] = {
	0x12, 0x34,		/* id */
	0x81, 0x80,		/* QR RD RA, NOERROR */
	0x00, 0x01, 0x00, 0x01,	/* 1 question, 1 answer */
	0x00, 0x00, 0x00, 0x00,	/* no authority, no additional */
	/* 12: question */
	0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x03, 'c', 'o', 'm', 0x00,
	0x00, 0x01, 0x00, 0x01,	/* A IN */
	/* 29: answer */
	0xc0, 0x0c,		/* -> example.com */
	0x00, 0x01, 0x00, 0x01,	/* A IN */
	0x00, 0x00, 0x01, 0x2c,	/* TTL 300 */
	0x00, 0x04,		/* rdlength */
	93, 184, 216, 34,
};

static void test_a_literal(void **state)
{
	struct got *g = got_new();
	struct msg m;

	assert_int_equal(parse_buf(literal_a, sizeof(literal_a), g, false), 1);
	assert_addr(g, 0, "example.com", "93.184.216.34");
	/* The builder makes the very same bytes. */
	msg_a(&m, "example.com", "93.184.216.34");
	assert_int_equal(m.n, sizeof(literal_a));
	assert_memory_equal(m.b, literal_a, m.n);
}

static void test_aaaa(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_q(&m, "v6.example.org", RT_AAAA);
	put_aaaa(&m, "2001:db8::53");
	assert_int_equal(parse(&m, g), 1);
	assert_addr(g, 0, "v6.example.org", "2001:db8::53");
}

/* www.example.com CNAME a.example.net, a.example.net A: the name asked. */
static void test_cname_chain(void **state)
{
	struct got *g = got_new();
	struct msg m, rd;
	uint8_t a[4] = { 192, 0, 2, 7 };
	size_t target;

	put_hdr(&m, F_RESPONSE, 1, 2, 0, 0);
	put_q(&m, "www.example.com", RT_A);
	rd.n = 0;
	put_name(&rd, "a.example.net");
	put_ptr(&m, 12);
	put16(&m, RT_CNAME);
	put16(&m, RC_IN);
	put32(&m, 300);
	put16(&m, rd.n);
	target = m.n;
	put_bytes(&m, rd.b, rd.n);
	put_ptr(&m, target);	/* a.example.net, compressed */
	put_rr_tail(&m, RT_A, RC_IN, a, 4);
	assert_int_equal(parse(&m, g), 1);
	assert_addr(g, 0, "www.example.com", "192.0.2.7");
	assert_prefixes_refused(&m);
}

/* Two CNAMEs deep, then both families: all under the name asked. */
static void test_cname_chain_long(void **state)
{
	struct got *g = got_new();
	uint8_t a[4] = { 198, 51, 100, 9 }, aaaa[16] = { 0x20, 0x01, 0x0d,
							  0xb8, [15] = 9 };
	struct msg m, rd;

	put_hdr(&m, F_RESPONSE, 1, 4, 0, 0);
	put_q(&m, "app.example.com", RT_A);
	rd.n = 0;
	put_name(&rd, "lb.example.net");
	put_rr(&m, RT_CNAME, RC_IN, rd.b, rd.n);
	put_name(&m, "lb.example.net");
	rd.n = 0;
	put_name(&rd, "edge.cdn.example");
	put_rr_tail(&m, RT_CNAME, RC_IN, rd.b, rd.n);
	put_name(&m, "edge.cdn.example");
	put_rr_tail(&m, RT_A, RC_IN, a, 4);
	put_name(&m, "edge.cdn.example");
	put_rr_tail(&m, RT_AAAA, RC_IN, aaaa, 16);
	assert_int_equal(parse(&m, g), 2);
	assert_addr(g, 0, "app.example.com", "198.51.100.9");
	assert_addr(g, 1, "app.example.com", "2001:db8::9");
}

static void test_several_a(void **state)
{
	static const char *const addrs[] = {
		"10.0.0.1", "10.0.0.2", "172.16.5.4", "203.0.113.255",
	};
	struct got *g = got_new();
	struct msg m;
	size_t i;

	put_hdr(&m, F_RESPONSE, 1, ARRAY_SIZE(addrs), 0, 0);
	put_q(&m, "many.example", RT_A);
	for (i = 0; i < ARRAY_SIZE(addrs); i++)
		put_a(&m, addrs[i]);
	assert_int_equal(parse(&m, g), (int)ARRAY_SIZE(addrs));
	for (i = 0; i < ARRAY_SIZE(addrs); i++)
		assert_addr(g, i, "many.example", addrs[i]);
	assert_prefixes_refused(&m);
}

/* A query (QR=0) is not an answer, whatever it carries. */
static void test_query_ignored(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_QUERY, 1, 1, 0, 0);
	put_q(&m, "q.example", RT_A);
	put_a(&m, "192.0.2.1");
	assert_int_equal(parse(&m, g), -1);
}

static void test_two_questions_ignored(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 2, 1, 0, 0);
	put_q(&m, "one.example", RT_A);
	put_q(&m, "two.example", RT_A);
	put_a(&m, "192.0.2.1");
	assert_int_equal(parse(&m, g), -1);
	/* No question at all either. */
	put_hdr(&m, F_RESPONSE, 0, 1, 0, 0);
	put_name(&m, "x.example");
	put_rr_tail(&m, RT_A, RC_IN, "\xc0\x00\x02\x01", 4);
	assert_int_equal(parse(&m, g), -1);
}

static void test_zero_answers_ignored(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 0, 0, 0);
	put_q(&m, "none.example", RT_A);
	assert_int_equal(parse(&m, g), -1);
	/* Authoritative (BCC's other condition) but still nothing. */
	put_hdr(&m, F_RESPONSE | 0x0400, 1, 0, 0, 0);
	put_q(&m, "none.example", RT_A);
	assert_int_equal(parse(&m, g), -1);
}

/* A and AAAA of another class, and in other sections, name nothing. */
static void test_class_ch_ignored(void **state)
{
	uint8_t a[4] = { 192, 0, 2, 33 };
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_q(&m, "chaos.example", RT_A);
	put_rr(&m, RT_A, RC_CH, a, 4);
	assert_int_equal(parse(&m, g), 0);
	/* A CH record before an IN one: only the IN one counts. */
	put_hdr(&m, F_RESPONSE, 1, 2, 0, 0);
	put_q(&m, "chaos.example", RT_A);
	put_rr(&m, RT_A, RC_CH, a, 4);
	put_a(&m, "192.0.2.34");
	assert_int_equal(parse(&m, g), 1);
	assert_addr(g, 0, "chaos.example", "192.0.2.34");
}

static void test_other_sections_ignored(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 1, 1, 1);
	put_q(&m, "sect.example", RT_A);
	put_a(&m, "192.0.2.10");	/* answer */
	put_a(&m, "192.0.2.11");	/* authority */
	put_a(&m, "192.0.2.12");	/* additional */
	assert_int_equal(parse(&m, g), 1);
	assert_addr(g, 0, "sect.example", "192.0.2.10");
}

/* An A of 5 bytes (or 16), an AAAA of 4: not addresses. */
static void test_bad_rdlen_ignored(void **state)
{
	uint8_t five[16] = { 192, 0, 2, 1, 9 };
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_q(&m, "len.example", RT_A);
	put_rr(&m, RT_A, RC_IN, five, 5);
	assert_int_equal(parse(&m, g), 0);

	put_hdr(&m, F_RESPONSE, 1, 4, 0, 0);
	put_q(&m, "len.example", RT_A);
	put_rr(&m, RT_A, RC_IN, five, 5);
	put_rr(&m, RT_A, RC_IN, five, 16);
	put_rr(&m, RT_AAAA, RC_IN, five, 4);
	put_a(&m, "192.0.2.2");
	assert_int_equal(parse(&m, g), 1);
	assert_addr(g, 0, "len.example", "192.0.2.2");
}

/* The longest name (255 bytes on the wire, 253 characters) is whole. */
static void test_longest_name(void **state)
{
	struct got *g = got_new();
	char name[300];
	struct msg m;
	int i;

	/* 3 labels of 63 and one of 61: 4 * 1 + 250 + 1 = 255 bytes. */
	name[0] = 0;
	for (i = 0; i < 4; i++) {
		size_t len = strlen(name);

		memset(name + len, 'a' + i, i < 3 ? 63 : 61);
		name[len + (i < 3 ? 63 : 61)] = 0;
		if (i < 3)
			strcat(name, ".");
	}
	assert_int_equal(strlen(name), 253);
	msg_a(&m, name, "192.0.2.99");
	assert_int_equal(parse(&m, g), 1);
	assert_addr(g, 0, name, "192.0.2.99");
}

/*
 * A name's bytes reach a terminal: libresolv must escape a dot inside a
 * label and control bytes, so no raw control byte ever comes out.
 */
static void test_name_escaped(void **state)
{
	static const uint8_t label[] = { 'a', '.', 'b', 0x1b, '[', '2', 'J',
					 0x0a, 0x7f };
	struct got *g = got_new();
	struct msg m;
	const char *p;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put8(&m, sizeof(label));
	put_bytes(&m, label, sizeof(label));
	put_name(&m, "example");
	put16(&m, RT_A);
	put16(&m, RC_IN);
	put_a(&m, "192.0.2.77");
	assert_int_equal(parse(&m, g), 1);
	for (p = g->qname[0]; *p; p++)
		assert_true((unsigned char)*p >= 0x20 &&
			    (unsigned char)*p != 0x7f);
	assert_string_equal(g->qname[0], "a\\.b\\027[2J\\010\\127.example");
}

/* ---- malformed messages: -1, and no read out of bounds ---------------- */

/* The question's name is a pointer to itself. */
static void test_ptr_self(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_ptr(&m, 12);
	put16(&m, RT_A);
	put16(&m, RC_IN);
	put_a(&m, "192.0.2.1");
	assert_int_equal(parse(&m, g), -1);
}

/* Two pointers to each other (12 -> 14 -> 12), in the question ... */
static void test_ptr_mutual(void **state)
{
	struct got *g = got_new();
	struct msg m, rd;
	size_t owner;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_ptr(&m, 14);
	put_ptr(&m, 12);	/* read as the type: 0xc00c */
	put16(&m, RC_IN);
	put_a(&m, "192.0.2.1");
	assert_int_equal(parse(&m, g), -1);

	/* ... and between an answer's owner and its CNAME target. */
	put_hdr(&m, F_RESPONSE, 1, 2, 0, 0);
	put_q(&m, "loop.example", RT_A);
	owner = m.n;
	put_ptr(&m, owner + 12);	/* -> the rdata below */
	rd.n = 0;
	put_ptr(&rd, owner);
	put_rr_tail(&m, RT_CNAME, RC_IN, rd.b, rd.n);
	put_ptr(&m, owner);
	put_rr_tail(&m, RT_A, RC_IN, "\xc0\x00\x02\x01", 4);
	assert_int_equal(m.b[owner + 12], 0xc0);
	assert_int_equal(parse(&m, g), -1);
}

/*
 * A good A record, then a record whose owner is a pointer loop: the
 * message is malformed (-1), so nothing of it may be reported either.
 * (BCC's dnslib parses the whole message before caching anything.)
 */
static void test_malformed_after_answer(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 2, 0, 0);
	put_q(&m, "half.example", RT_A);
	put_a(&m, "192.0.2.61");
	put_ptr(&m, m.n);		/* points to itself */
	put_rr_tail(&m, RT_A, RC_IN, "\xc0\x00\x02\x3e", 4);
	assert_int_equal(parse(&m, g), -1);
	/* The same with a name over 255 bytes in the second record. */
	put_hdr(&m, F_RESPONSE, 1, 2, 0, 0);
	put_q(&m, "half.example", RT_A);
	put_a(&m, "192.0.2.61");
	for (int i = 0; i < 4; i++) {
		put8(&m, 63);
		for (int j = 0; j < 63; j++)
			put8(&m, 'z');
	}
	put_ptr(&m, 12);
	put_rr_tail(&m, RT_A, RC_IN, "\xc0\x00\x02\x3e", 4);
	assert_int_equal(parse(&m, g), -1);
}

static void test_ptr_past_end(void **state)
{
	struct got *g = got_new();
	struct msg m;
	size_t at;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_q(&m, "p.example", RT_A);
	at = m.n;
	put_a(&m, "192.0.2.1");
	/* The answer's owner points just past the end, then far past it. */
	m.b[at] = 0xc0 | (m.n >> 8);
	m.b[at + 1] = m.n & 0xff;
	assert_int_equal(parse(&m, g), -1);
	m.b[at] = 0xff;
	m.b[at + 1] = 0xff;
	assert_int_equal(parse(&m, g), -1);
	/* A pointer cut in half by the end of the message. */
	put_hdr(&m, F_RESPONSE, 1, 0, 0, 0);
	put8(&m, 0xc0);
	assert_int_equal(parse(&m, g), -1);
}

static void test_label_past_end(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put8(&m, 63);
	put_bytes(&m, "short", 5);
	assert_int_equal(parse(&m, g), -1);
	/* Reserved label types 01 and 10 (0x40, 0x80). */
	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put8(&m, 0x41);
	put_bytes(&m, "x\0\0\1\0\1", 6);
	put_a(&m, "192.0.2.1");
	assert_int_equal(parse(&m, g), -1);
	m.b[12] = 0x81;
	assert_int_equal(parse(&m, g), -1);
}

static void test_rdlen_past_end(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "r.example", "192.0.2.1");
	m.b[m.n - 6] = 0x00;
	m.b[m.n - 5] = 0x05;	/* 5 bytes of rdata, 4 there */
	assert_int_equal(parse(&m, g), -1);
	m.b[m.n - 6] = 0xff;
	m.b[m.n - 5] = 0xff;
	assert_int_equal(parse(&m, g), -1);
}

static void test_truncated_header(void **state)
{
	struct got *g = got_new();

	for (size_t len = 0; len < 12; len++)
		assert_int_equal(parse_buf(literal_a, len, g, false), -1);
}

static void test_truncated_question(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 0, 0, 0);
	put_name(&m, "t.example");	/* no type, no class */
	assert_int_equal(parse(&m, g), -1);
	put16(&m, RT_A);			/* no class */
	assert_int_equal(parse(&m, g), -1);
}

static void test_count_past_records(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "c.example", "192.0.2.1");
	m.b[7] = 2;			/* 2 answers, 1 there */
	assert_int_equal(parse(&m, g), -1);
	m.b[7] = 1;
	m.b[11] = 1;			/* an additional record that is not */
	assert_int_equal(parse(&m, g), -1);
	m.b[11] = 0;
	m.b[6] = 0xff;			/* 65281 answers */
	assert_int_equal(parse(&m, g), -1);
}

static void test_trailing_garbage(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "g.example", "192.0.2.1");
	put8(&m, 0);
	assert_int_equal(parse(&m, g), -1);
	put_bytes(&m, "junk", 4);
	assert_int_equal(parse(&m, g), -1);
}

/* 300 characters (302 bytes on the wire, over 255): in the question ... */
static void test_name_too_long(void **state)
{
	struct got *g = got_new();
	char name[400] = "";
	struct msg m;
	int i;

	/* Four labels of 59, one of 60: 4 * 60 + 60 = 300 characters. */
	for (i = 0; i < 5; i++) {
		size_t len = strlen(name), l = i < 4 ? 59 : 60;

		memset(name + len, 'a' + i, l);
		name[len + l] = 0;
		if (i < 4)
			strcat(name, ".");
	}
	assert_int_equal(strlen(name), 300);
	msg_a(&m, name, "192.0.2.1");
	assert_int_equal(parse(&m, g), -1);

	/* ... in an answer's owner ... */
	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_q(&m, "ok.example", RT_A);
	put_name(&m, name);
	put_rr_tail(&m, RT_A, RC_IN, "\xc0\x00\x02\x01", 4);
	assert_int_equal(parse(&m, g), -1);

	/*
	 * ... and made long by compression: the question is 3 labels of 63
	 * (193 bytes, fine); the answer's owner is 2 more labels then a
	 * pointer to it, 321 bytes once expanded.
	 */
	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	for (i = 0; i < 5; i++) {
		if (i == 3) {
			put8(&m, 0);
			put16(&m, RT_A);
			put16(&m, RC_IN);
		}
		put8(&m, 63);
		for (int j = 0; j < 63; j++)
			put8(&m, 'k' + i);
	}
	put_rr(&m, RT_A, RC_IN, "\xc0\x00\x02\x01", 4);
	assert_int_equal(parse(&m, g), -1);
}

/* Every prefix of valid messages of every shape. */
static void test_every_truncation(void **state)
{
	struct msg m;

	memcpy(m.b, literal_a, sizeof(literal_a));
	m.n = sizeof(literal_a);
	assert_prefixes_refused(&m);
	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_q(&m, "six.example", RT_AAAA);
	put_aaaa(&m, "fd00::1");
	assert_prefixes_refused(&m);
	put_hdr(&m, F_RESPONSE, 1, 1, 1, 1);
	put_q(&m, "sect.example", RT_A);
	put_a(&m, "192.0.2.10");
	put_a(&m, "192.0.2.11");
	put_a(&m, "192.0.2.12");
	assert_prefixes_refused(&m);
}

/* Larger than a DNS message may be. */
static void test_oversized(void **state)
{
	struct got *g = got_new();
	uint8_t *big = calloc(1, NS_MAXMSG + 1);

	assert_non_null(big);
	memcpy(big, literal_a, sizeof(literal_a));
	assert_int_equal(parse_buf(big, NS_MAXMSG + 1, g, false), -1);
	free(big);
}

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/*
 * Random damage to valid messages: one to four bytes changed, or a cut.
 * Anything may be refused; nothing may be read out of bounds (valgrind,
 * ASan), and what is reported obeys the callback's contract (collect()).
 */
static void test_random_damage(void **state)
{
	struct got *g = got_new();
	struct msg base[3], m;
	int accepted = 0;

	msg_a(&base[0], "www.example.com", "192.0.2.5");
	put_hdr(&base[1], F_RESPONSE, 1, 3, 0, 0);
	put_q(&base[1], "rnd.example.org", RT_AAAA);
	put_rr(&base[1], RT_CNAME, RC_IN, "\x01x\xc0\x0c", 4);
	put_aaaa(&base[1], "2001:db8::1");
	put_a(&base[1], "192.0.2.6");
	memcpy(base[2].b, literal_a, sizeof(literal_a));
	base[2].n = sizeof(literal_a);

	for (int iter = 0; iter < 30000; iter++) {
		const struct msg *b = &base[rnd() % 3];
		int k = 1 + rnd() % 4;

		m = *b;
		while (k--)
			m.b[rnd() % m.n] = rnd();
		if (rnd() % 4 == 0)
			m.n = rnd() % (m.n + 1);
		if (parse(&m, g) >= 0)
			accepted++;
	}
	/* Some damage is harmless (the id, a TTL): the parser still works. */
	assert_true(accepted > 0);
}

/* ---- the packet layer ------------------------------------------------- */

#define NH_HOPOPT	0x100	/* 0 on the wire (put8 keeps the low byte) */

struct pkt_opt {
	int ihl;		/* 0: 5 */
	unsigned int frag;	/* flags and fragment offset */
	int proto;		/* 0: UDP; NH_HOPOPT for a real 0 */
	int sport;		/* 0: 53 */
	int ip_len_delta;	/* added to the IPv4 total / IPv6 payload length */
	int udp_len_delta;	/* added to the UDP length */
	size_t pad;		/* bytes after the IP packet (Ethernet padding) */
	int version;		/* 0: 4 or 6 as asked */
};

static size_t ip_packet(uint8_t *out, bool v6, const struct msg *dns,
			const struct pkt_opt *o)
{
	int ihl = o->ihl ? o->ihl : 5;
	size_t hdr = v6 ? 40 : (size_t)ihl * 4, n = 0;
	size_t udp_len = 8 + dns->n;
	struct msg p;

	p.n = 0;
	if (!v6) {
		put8(&p, (o->version ? o->version : 4) << 4 | ihl);
		put8(&p, 0);
		put16(&p, hdr + udp_len + o->ip_len_delta);
		put16(&p, 0x4242);
		put16(&p, o->frag);
		put8(&p, 64);
		put8(&p, o->proto ? o->proto : 17);
		put16(&p, 0);			/* checksum: not checked */
		put_bytes(&p, "\x7f\x00\x00\x35\x7f\x00\x00\x01", 8);
		while (p.n < hdr)
			put8(&p, 1);		/* NOP options */
	} else {
		put32(&p, (uint32_t)(o->version ? o->version : 6) << 28);
		put16(&p, udp_len + o->ip_len_delta);
		put8(&p, o->proto ? o->proto : 17);
		put8(&p, 64);
		put_bytes(&p, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x53", 16);
		put_bytes(&p, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	}
	put16(&p, o->sport ? o->sport : 53);
	put16(&p, 40000);
	put16(&p, udp_len + o->udp_len_delta);
	put16(&p, 0);
	put_bytes(&p, dns->b, dns->n);
	for (size_t i = 0; i < o->pad; i++)
		put8(&p, 0);
	n = p.n;
	memcpy(out, p.b, n);
	return n;
}

static int parse_pkt(bool v6, const struct msg *dns, const struct pkt_opt *o,
		     struct got *g)
{
	uint8_t pkt[MSG_MAX];
	size_t n = ip_packet(pkt, v6, dns, o);

	return parse_buf(pkt, n, g, true);
}

static void test_pkt_ipv4(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "p4.example", "192.0.2.44");
	assert_int_equal(parse_pkt(false, &m, &(struct pkt_opt){ 0 }, g), 1);
	assert_addr(g, 0, "p4.example", "192.0.2.44");
	/* DF is not a fragment. */
	assert_int_equal(parse_pkt(false, &m,
				   &(struct pkt_opt){ .frag = 0x4000 }, g), 1);
	/* Ethernet padding after the packet: the lengths say where it ends. */
	assert_int_equal(parse_pkt(false, &m, &(struct pkt_opt){ .pad = 6 },
				   g), 1);
}

static void test_pkt_ipv4_options(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "opt.example", "192.0.2.45");
	assert_int_equal(parse_pkt(false, &m, &(struct pkt_opt){ .ihl = 6 },
				   g), 1);
	assert_addr(g, 0, "opt.example", "192.0.2.45");
	assert_int_equal(parse_pkt(false, &m, &(struct pkt_opt){ .ihl = 15 },
				   g), 1);
	assert_addr(g, 0, "opt.example", "192.0.2.45");
	/* An IHL under 5 is no header. */
	assert_int_equal(parse_pkt(false, &m, &(struct pkt_opt){ .ihl = 4 },
				   g), -1);
}

static void test_pkt_ipv4_fragment(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "frag.example", "192.0.2.46");
	/* More fragments; an offset; both; the last fragment with DF. */
	assert_int_equal(parse_pkt(false, &m,
				   &(struct pkt_opt){ .frag = 0x2000 }, g), -1);
	assert_int_equal(parse_pkt(false, &m,
				   &(struct pkt_opt){ .frag = 0x0001 }, g), -1);
	assert_int_equal(parse_pkt(false, &m,
				   &(struct pkt_opt){ .frag = 0x3fff }, g), -1);
	assert_int_equal(parse_pkt(false, &m,
				   &(struct pkt_opt){ .frag = 0x40b9 }, g), -1);
}

static void test_pkt_lengths(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "len.example", "192.0.2.47");
	for (int v6 = 0; v6 < 2; v6++) {
		/* UDP length past the IP length. */
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.udp_len_delta = 1 }, g), -1);
		/* IP length past the buffer (IPv4 total, IPv6 payload). */
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.ip_len_delta = 1 }, g), -1);
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.ip_len_delta = 1000 }, g), -1);
		/* UDP length under its own header. */
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.udp_len_delta = -(int)m.n - 1 }, g), -1);
		/* UDP length short of the message: the message is cut. */
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.udp_len_delta = -1 }, g), -1);
		/* IP length too short for the UDP header. */
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.ip_len_delta = -(int)m.n - 1 }, g), -1);
	}
}

static void test_pkt_not_from_53(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "port.example", "192.0.2.48");
	for (int v6 = 0; v6 < 2; v6++) {
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.sport = 5353 }, g), -1);
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.sport = 53 << 8 }, g), -1);
		/* TCP from 53 is not UDP. */
		assert_int_equal(parse_pkt(v6, &m, &(struct pkt_opt){
			.proto = 6 }, g), -1);
	}
}

static void test_pkt_ipv6(void **state)
{
	struct got *g = got_new();
	struct msg m;

	put_hdr(&m, F_RESPONSE, 1, 1, 0, 0);
	put_q(&m, "p6.example", RT_AAAA);
	put_aaaa(&m, "fd00::1234");
	assert_int_equal(parse_pkt(true, &m, &(struct pkt_opt){ 0 }, g), 1);
	assert_addr(g, 0, "p6.example", "fd00::1234");
	assert_int_equal(parse_pkt(true, &m, &(struct pkt_opt){ .pad = 2 },
				   g), 1);
	/* Next header: hop-by-hop, TCP, fragment, no next header. */
	assert_int_equal(parse_pkt(true, &m, &(struct pkt_opt){
		.proto = NH_HOPOPT }, g), -1);
	assert_int_equal(parse_pkt(true, &m, &(struct pkt_opt){ .proto = 6 },
				   g), -1);
	assert_int_equal(parse_pkt(true, &m, &(struct pkt_opt){ .proto = 44 },
				   g), -1);
	assert_int_equal(parse_pkt(true, &m, &(struct pkt_opt){ .proto = 59 },
				   g), -1);
}

static void test_pkt_bad_version(void **state)
{
	struct got *g = got_new();
	struct msg m;

	msg_a(&m, "ver.example", "192.0.2.49");
	assert_int_equal(parse_pkt(false, &m, &(struct pkt_opt){ .version = 6 },
				   g), -1);
	assert_int_equal(parse_pkt(false, &m, &(struct pkt_opt){ .version = 5 },
				   g), -1);
	assert_int_equal(parse_pkt(true, &m, &(struct pkt_opt){ .version = 4 },
				   g), -1);
	assert_int_equal(parse_buf(NULL, 0, g, true), -1);
}

/* Every prefix of valid packets is refused, in bounds. */
static void test_pkt_every_truncation(void **state)
{
	struct got *g = got_new();
	uint8_t pkt[MSG_MAX];
	struct msg m;

	msg_a(&m, "cut.example", "192.0.2.50");
	for (int v6 = 0; v6 < 2; v6++) {
		for (int ihl = 5; ihl <= (v6 ? 5 : 15); ihl += 10) {
			size_t n = ip_packet(pkt, v6, &m,
					     &(struct pkt_opt){ .ihl = ihl });

			assert_int_equal(parse_buf(pkt, n, g, true), 1);
			for (size_t len = 0; len < n; len++)
				assert_int_equal(parse_buf(pkt, len, g, true),
						 -1);
		}
	}
}

/* ---- the cache -------------------------------------------------------- */

static struct dns_addr v4(uint32_t host)
{
	struct dns_addr a = { .family = AF_INET };
	uint32_t be = htonl(host);

	memcpy(a.a, &be, 4);
	return a;
}

static struct dns_addr v6(const char *s)
{
	struct dns_addr a = { .family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, s, a.a), 1);
	return a;
}

static const char *cached(struct dns_cache *c, const struct dns_addr *a,
			  uint64_t now)
{
	const struct dns_entry *e = dns_cache_get(c, a, now);

	return e ? e->name : NULL;
}

#define T0	1000000000ULL	/* an arbitrary monotonic start */

static void test_cache_put_get(void **state)
{
	struct dns_cache c;
	struct dns_addr a = v4(0xc0000201), b = v4(0xc0000202);
	const struct dns_entry *e;

	assert_int_equal(dns_cache_init(&c, DNS_CACHE_SIZE), 0);
	assert_null(cached(&c, &a, T0));
	dns_cache_put(&c, &a, "a.example", T0);
	e = dns_cache_get(&c, &a, T0 + 5);
	assert_non_null(e);
	assert_string_equal(e->name, "a.example");
	assert_int_equal(e->ts_ns, T0);
	assert_int_equal(e->addr.family, AF_INET);
	assert_memory_equal(e->addr.a, a.a, 16);
	assert_null(cached(&c, &b, T0));
	/* A newer answer for the same address replaces name and time. */
	dns_cache_put(&c, &a, "again.example", T0 + 100);
	e = dns_cache_get(&c, &a, T0 + 200);
	assert_non_null(e);
	assert_string_equal(e->name, "again.example");
	assert_int_equal(e->ts_ns, T0 + 100);
	assert_int_equal(c.used, 1);
	dns_cache_free(&c);
}

/* Names longer than an entry holds are cut, never overflow it. */
static void test_cache_long_name(void **state)
{
	struct dns_cache c;
	struct dns_addr a = v4(1);
	char name[NS_MAXDNAME];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	assert_int_equal(dns_cache_init(&c, 4), 0);
	dns_cache_put(&c, &a, name, T0);
	assert_int_equal(strlen(cached(&c, &a, T0)), DNS_NAME_MAX - 1);
	dns_cache_free(&c);
}

static void fill(struct dns_cache *c, uint32_t from, uint32_t to, uint64_t ts)
{
	char name[32];

	for (uint32_t i = from; i < to; i++) {
		struct dns_addr a = v4(0x0a000000 + i);

		snprintf(name, sizeof(name), "h%u.example", i);
		dns_cache_put(c, &a, name, ts);
	}
}

/* 10240 fit; the 10241st evicts the least recently used, the first. */
static void test_cache_lru_eviction(void **state)
{
	struct dns_cache c;
	struct dns_addr first = v4(0x0a000000), second = v4(0x0a000001);
	struct dns_addr last = v4(0x0a000000 + DNS_CACHE_SIZE);
	struct dns_addr prev = v4(0x0a000000 + DNS_CACHE_SIZE - 1);

	assert_int_equal(DNS_CACHE_SIZE, 10240);
	assert_int_equal(dns_cache_init(&c, DNS_CACHE_SIZE), 0);
	fill(&c, 0, DNS_CACHE_SIZE, T0);
	assert_int_equal(c.used, DNS_CACHE_SIZE);
	/* All there; a get moves to the front, so leave the first two. */
	for (uint32_t i = 0; i < DNS_CACHE_SIZE; i++) {
		struct dns_addr a = v4(0x0a000000 + i);
		char name[32];

		snprintf(name, sizeof(name), "h%u.example", i);
		if (i == 0 || i == 1)
			continue;
		assert_string_equal(cached(&c, &a, T0), name);
	}
	fill(&c, DNS_CACHE_SIZE, DNS_CACHE_SIZE + 1, T0);
	assert_null(cached(&c, &first, T0));
	assert_string_equal(cached(&c, &second, T0), "h1.example");
	assert_string_equal(cached(&c, &last, T0), "h10240.example");
	assert_string_equal(cached(&c, &prev, T0), "h10239.example");
	assert_int_equal(c.used, DNS_CACHE_SIZE);
	dns_cache_free(&c);
}

/* A get (a connect that used it) makes the first the most recent. */
static void test_cache_touch_keeps(void **state)
{
	struct dns_cache c;
	struct dns_addr first = v4(0x0a000000), second = v4(0x0a000001);
	struct dns_addr third = v4(0x0a000002);

	assert_int_equal(dns_cache_init(&c, DNS_CACHE_SIZE), 0);
	fill(&c, 0, DNS_CACHE_SIZE, T0);
	assert_string_equal(cached(&c, &first, T0), "h0.example");
	fill(&c, DNS_CACHE_SIZE, DNS_CACHE_SIZE + 1, T0);
	assert_string_equal(cached(&c, &first, T0), "h0.example");
	assert_null(cached(&c, &second, T0));
	assert_string_equal(cached(&c, &third, T0), "h2.example");
	dns_cache_free(&c);
}

/* A put of an address already there (a new answer) moves it to the front. */
static void test_cache_update_moves_front(void **state)
{
	struct dns_cache c;
	struct dns_addr first = v4(0x0a000000), second = v4(0x0a000001);

	assert_int_equal(dns_cache_init(&c, DNS_CACHE_SIZE), 0);
	fill(&c, 0, DNS_CACHE_SIZE, T0);
	dns_cache_put(&c, &first, "renewed.example", T0 + 1);
	assert_int_equal(c.head, 0);
	fill(&c, DNS_CACHE_SIZE, DNS_CACHE_SIZE + 2, T0 + 2);
	assert_string_equal(cached(&c, &first, T0 + 3), "renewed.example");
	assert_null(cached(&c, &second, T0 + 3));
	/* h2 went with the 10242nd. */
	assert_null(cached(&c, &(struct dns_addr){ .family = AF_INET,
				    .a = { 10, 0, 0, 2 } }, T0 + 3));
	assert_int_equal(c.used, DNS_CACHE_SIZE);
	dns_cache_free(&c);
}

/* Remembered for 24 h: exactly 24 h old is there, a nanosecond more not. */
static void test_cache_ttl(void **state)
{
	struct dns_cache c;
	struct dns_addr a = v4(0xc0000203);
	struct dns_addr b = v6("2001:db8::77");

	assert_int_equal(DNS_TTL_NS, 86400ULL * 1000000000ULL);
	assert_int_equal(dns_cache_init(&c, DNS_CACHE_SIZE), 0);
	dns_cache_put(&c, &a, "ttl.example", T0);
	dns_cache_put(&c, &b, "ttl6.example", T0);
	assert_string_equal(cached(&c, &a, T0 + DNS_TTL_NS), "ttl.example");
	assert_string_equal(cached(&c, &b, T0 + DNS_TTL_NS - 1),
			    "ttl6.example");
	assert_null(cached(&c, &a, T0 + DNS_TTL_NS + 1));
	assert_null(cached(&c, &b, T0 + 2 * DNS_TTL_NS));
	/* An event stamped before the answer (clock skew) still finds it. */
	assert_string_equal(cached(&c, &a, T0 - 1), "ttl.example");
	/* A fresh answer for the expired address counts from its own time. */
	dns_cache_put(&c, &a, "fresh.example", T0 + 2 * DNS_TTL_NS);
	assert_string_equal(cached(&c, &a, T0 + 3 * DNS_TTL_NS),
			    "fresh.example");
	dns_cache_free(&c);
}

/* The same 16 bytes as IPv4 and as IPv6 are two addresses. */
static void test_cache_family_key(void **state)
{
	struct dns_addr a4 = { .family = AF_INET, .a = { 1, 2, 3, 4 } };
	struct dns_addr a6 = { .family = AF_INET6, .a = { 1, 2, 3, 4 } };
	struct dns_cache c;

	assert_int_equal(dns_cache_init(&c, DNS_CACHE_SIZE), 0);
	dns_cache_put(&c, &a4, "four.example", T0);
	assert_null(cached(&c, &a6, T0));
	dns_cache_put(&c, &a6, "six.example", T0);
	assert_string_equal(cached(&c, &a4, T0), "four.example");
	assert_string_equal(cached(&c, &a6, T0), "six.example");
	assert_int_equal(c.used, 2);
	dns_cache_free(&c);
}

/*
 * Against a plain model: a small cache (many hash chains, constant
 * eviction) under random puts and gets must hold exactly the model's
 * most recently used addresses, in its order.
 */
#define MODEL_SIZE	37
#define MODEL_ADDRS	150

struct model {
	int order[MODEL_SIZE];	/* address ids, most recent first */
	int n;
	unsigned int gen[MODEL_ADDRS];
};

static void model_touch(struct model *md, int id, bool insert)
{
	int i;

	for (i = 0; i < md->n && md->order[i] != id; i++)
		;
	if (i == md->n) {
		if (!insert)
			return;
		if (md->n < MODEL_SIZE)
			md->n++;
		i = md->n - 1;
	}
	memmove(md->order + 1, md->order, i * sizeof(int));
	md->order[0] = id;
}

static bool model_has(const struct model *md, int id)
{
	for (int i = 0; i < md->n; i++)
		if (md->order[i] == id)
			return true;
	return false;
}

static struct dns_addr model_addr(int id)
{
	/* Half IPv4, half IPv6 with the same leading bytes. */
	struct dns_addr a = { .family = id & 1 ? AF_INET6 : AF_INET };

	a.a[0] = 10;
	a.a[3] = id >> 1;
	return a;
}

static void test_cache_model(void **state)
{
	struct model md = { .n = 0 };
	struct dns_cache c;
	char want[32];

	rnd_state = 88172645u;
	assert_int_equal(dns_cache_init(&c, MODEL_SIZE), 0);
	for (int step = 0; step < 50000; step++) {
		int id = rnd() % MODEL_ADDRS;
		struct dns_addr a = model_addr(id);
		const char *got;

		if (rnd() % 2) {
			md.gen[id]++;
			snprintf(want, sizeof(want), "n%d.%u", id, md.gen[id]);
			dns_cache_put(&c, &a, want, T0 + step);
			model_touch(&md, id, true);
			continue;
		}
		got = cached(&c, &a, T0 + step);
		if (model_has(&md, id)) {
			snprintf(want, sizeof(want), "n%d.%u", id, md.gen[id]);
			if (!got || strcmp(got, want))
				fail_msg("step %d: id %d is \"%s\", want \"%s\"",
					 step, id, got ? got : "(absent)",
					 want);
			model_touch(&md, id, false);
		} else if (got) {
			fail_msg("step %d: id %d is \"%s\", want absent", step,
				 id, got);
		}
	}
	/* The LRU list, head to tail, is the model's order. */
	for (int i = 0, e = c.head; i < md.n; i++, e = c.e[e].next) {
		struct dns_addr a = model_addr(md.order[i]);

		assert_true(e >= 0);
		assert_int_equal(c.e[e].addr.family, a.family);
		assert_memory_equal(c.e[e].addr.a, a.a, 16);
	}
	dns_cache_free(&c);
}

static void test_cache_size_zero(void **state)
{
	struct dns_addr a = v4(1), b = v4(2);
	struct dns_cache c;

	/* Size 0 is taken as 1: one address, the latest. */
	assert_int_equal(dns_cache_init(&c, 0), 0);
	dns_cache_put(&c, &a, "a", T0);
	dns_cache_put(&c, &b, "b", T0);
	assert_null(cached(&c, &a, T0));
	assert_string_equal(cached(&c, &b, T0), "b");
	dns_cache_free(&c);
	/* Freeing twice is harmless (close after a failed open). */
	dns_cache_free(&c);
}

/* ---- capture: the cache against what is still queued ------------------ */

/* One IPv4 answer naming addr, queued as a packet socket would queue it. */
static void queue_answer(int fd, const char *name, const char *addr)
{
	uint8_t pkt[MSG_MAX];
	struct msg m = { .n = 0 };
	size_t n;

	msg_a(&m, name, addr);
	n = ip_packet(pkt, false, &m, &(struct pkt_opt){ 0 });
	assert_int_equal(send(fd, pkt, n, 0), (ssize_t)n);
}

/*
 * An event newer than the last drain reads what is queued before it
 * looks: the answer that arrived after the drain, not the older name the
 * cache holds, names the address.  An event older than the drain does
 * not read (what is queued came after it).  Datagram socket pairs stand
 * for the two packet sockets; without timestamps, arrival is "now".
 */
static void test_capture_latest_answer_wins(void **state)
{
	struct dns_addr a = { .family = AF_INET };
	const struct dns_entry *e;
	struct dns_capture d;
	int v4[2], v6[2];
	uint64_t drained;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(dns_cache_init(&d.cache, 16), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, v4), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, v6), 0);
	d.fd[0] = v4[0];
	d.fd[1] = v6[0];
	assert_int_equal(inet_pton(AF_INET, "127.1.2.9", a.a), 1);

	queue_answer(v4[1], "first.example", "127.1.2.9");
	dns_capture_drain(&d);
	drained = d.drained_ns;
	queue_answer(v4[1], "second.example", "127.1.2.9");
	e = dns_capture_lookup(&d, &a, drained - 1);
	assert_non_null(e);
	assert_string_equal(e->name, "first.example");
	assert_int_equal(d.drained_ns, drained);
	e = dns_capture_lookup(&d, &a, nr_clock_ns(CLOCK_MONOTONIC));
	assert_non_null(e);
	assert_string_equal(e->name, "second.example");
	assert_int_equal(d.answers, 2);

	close(v4[1]);
	close(v6[1]);
	dns_capture_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_literal),
		cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_chain_long),
		cmocka_unit_test(test_several_a),
		cmocka_unit_test(test_query_ignored),
		cmocka_unit_test(test_two_questions_ignored),
		cmocka_unit_test(test_zero_answers_ignored),
		cmocka_unit_test(test_class_ch_ignored),
		cmocka_unit_test(test_other_sections_ignored),
		cmocka_unit_test(test_bad_rdlen_ignored),
		cmocka_unit_test(test_longest_name),
		cmocka_unit_test(test_name_escaped),
		cmocka_unit_test(test_ptr_self),
		cmocka_unit_test(test_ptr_mutual),
		cmocka_unit_test(test_malformed_after_answer),
		cmocka_unit_test(test_ptr_past_end),
		cmocka_unit_test(test_label_past_end),
		cmocka_unit_test(test_rdlen_past_end),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_truncated_question),
		cmocka_unit_test(test_count_past_records),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_pkt_ipv4),
		cmocka_unit_test(test_pkt_ipv4_options),
		cmocka_unit_test(test_pkt_ipv4_fragment),
		cmocka_unit_test(test_pkt_lengths),
		cmocka_unit_test(test_pkt_not_from_53),
		cmocka_unit_test(test_pkt_ipv6),
		cmocka_unit_test(test_pkt_bad_version),
		cmocka_unit_test(test_pkt_every_truncation),
		cmocka_unit_test(test_cache_put_get),
		cmocka_unit_test(test_cache_long_name),
		cmocka_unit_test(test_cache_lru_eviction),
		cmocka_unit_test(test_cache_touch_keeps),
		cmocka_unit_test(test_cache_update_moves_front),
		cmocka_unit_test(test_cache_ttl),
		cmocka_unit_test(test_cache_family_key),
		cmocka_unit_test(test_cache_model),
		cmocka_unit_test(test_cache_size_zero),
		cmocka_unit_test(test_capture_latest_answer_wins),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
