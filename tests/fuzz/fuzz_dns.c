// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for tcpconnect -d's parsers: every input goes to
 * dns_parse_answer() as a DNS message and to dns_parse_packet() as an
 * IPv4/IPv6 packet, and every address they report goes into a small
 * cache and is read back.  Built with clang -fsanitize=fuzzer,address,
 * undefined (tests/fuzz/CMakeLists.txt); run by tests/fuzz/run.sh.
 *
 * Beyond memory safety it checks the parsers' contract and aborts (a
 * crash for libFuzzer) when it breaks:
 *  - the return value is the number of addresses reported, and -1 (a
 *    malformed message, or not an answer) reports none;
 *  - a reported name is a string shorter than NS_MAXDNAME with no
 *    control byte in it (it is printed to a terminal);
 *  - a reported address is AF_INET (12 zero bytes after it) or AF_INET6;
 *  - the cache gives back what was put, cut to DNS_NAME_MAX - 1.
 */
#include <arpa/nameser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"

#define FUZZ_CACHE_SIZE	16	/* small: every few inputs evict */

struct seen {
	const char *what;
	int n;
};

static struct dns_cache cache;
static uint64_t now_ns;

static void die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_dns: %s: %s\n", what, why);
	abort();
}

static void on_answer(void *arg, const char *qname, const struct dns_addr *a)
{
	static const uint8_t zero[12];
	struct seen *s = arg;
	const struct dns_entry *e;
	size_t len = strnlen(qname, NS_MAXDNAME);

	if (len >= NS_MAXDNAME)
		die(s->what, "name not terminated within NS_MAXDNAME");
	for (size_t i = 0; i < len; i++)
		if ((uint8_t)qname[i] < 0x20 || (uint8_t)qname[i] == 0x7f)
			die(s->what, "control byte in a reported name");
	if (a->family == AF_INET) {
		if (memcmp(a->a + 4, zero, sizeof(zero)))
			die(s->what, "IPv4 address with bytes after it");
	} else if (a->family != AF_INET6) {
		die(s->what, "address family neither AF_INET nor AF_INET6");
	}
	dns_cache_put(&cache, a, qname, ++now_ns);
	e = dns_cache_get(&cache, a, now_ns);
	if (!e || e->addr.family != a->family ||
	    memcmp(e->addr.a, a->a, sizeof(a->a)) ||
	    strncmp(e->name, qname, DNS_NAME_MAX - 1) ||
	    strlen(e->name) != (len < DNS_NAME_MAX ? len : DNS_NAME_MAX - 1))
		die(s->what, "the cache did not give back what was put");
	s->n++;
}

static void check(const struct seen *s, int r)
{
	char why[96];

	if (r < -1 || (r == -1 && s->n) || (r >= 0 && r != s->n)) {
		snprintf(why, sizeof(why), "returned %d, reported %d address(es)",
			 r, s->n);
		die(s->what, why);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { "dns_parse_answer", 0 };
	int r;

	if (!cache.e && dns_cache_init(&cache, FUZZ_CACHE_SIZE))
		die("dns_cache_init", "out of memory");
	r = dns_parse_answer(data, size, on_answer, &s);
	check(&s, r);
	s = (struct seen){ "dns_parse_packet", 0 };
	r = dns_parse_packet(data, size, on_answer, &s);
	check(&s, r);
	return 0;
}
