// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Writes fuzz_dns's seed corpus into the directory given: a few valid DNS
 * answers (A, AAAA, a CNAME chain, several records in three sections) as
 * bare messages, and some of them as the IPv4 (with and without options)
 * and IPv6 UDP packets from port 53 that the capture sockets read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_put.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const uint8_t msg_a[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 93, 184, 216, 34,
};

static const uint8_t msg_aaaa[] = {
	0xbe, 0xef, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	2, 'v', '6', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 28, 0, 1,
	0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0x0e, 0x10, 0, 16,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
};

/* www.example.com CNAME a.example.net, a.example.net A 192.0.2.7 */
static const uint8_t msg_cname[] = {
	0x00, 0x07, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
	/* 12 */ 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	/* 33 */ 0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 60, 0, 15,
	/* 45 */ 1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
	0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7,
};

/* Two A and one AAAA answers, an NS, an additional A, a CH record. */
static const uint8_t msg_multi[] = {
	0xab, 0xcd, 0x85, 0x80, 0, 1, 0, 4, 0, 1, 0, 1,
	/* 12 */ 4, 'm', 'a', 'n', 'y', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
	0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 1,
	0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 2,
	0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0xc0, 0x0c, 0, 1, 0, 3, 0, 0, 0, 30, 0, 4, 10, 0, 0, 3,
	/* NS ns.many.test */
	0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 30, 0, 5, 2, 'n', 's', 0xc0, 0x0c,
	/* additional: ns A */
	2, 'n', 's', 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 53,
};

/* The message in an IPv4 (ihl 5 or more) or IPv6 UDP datagram from 53. */
static size_t wrap(uint8_t *out, int ipv, int ihl, const uint8_t *m, size_t n)
{
	size_t hdr = ipv == 6 ? 40 : (size_t)ihl * 4, udp = 8 + n;

	memset(out, 0, hdr + udp);
	if (ipv == 4) {
		out[0] = 0x40 | ihl;
		out[2] = (hdr + udp) >> 8;
		out[3] = (hdr + udp) & 0xff;
		out[6] = 0x40;		/* DF */
		out[8] = 64;
		out[9] = 17;
		memcpy(out + 12, "\x7f\x00\x00\x35\x7f\x00\x00\x01", 8);
		memset(out + 20, 1, hdr - 20);	/* NOP options */
	} else {
		out[0] = 0x60;
		out[4] = udp >> 8;
		out[5] = udp & 0xff;
		out[6] = 17;
		out[7] = 64;
		out[23] = 1;		/* ::1 to ::1 */
		out[39] = 1;
	}
	out[hdr] = 0;
	out[hdr + 1] = 53;
	out[hdr + 2] = 0x9c;
	out[hdr + 3] = 0x40;
	out[hdr + 4] = udp >> 8;
	out[hdr + 5] = udp & 0xff;
	memcpy(out + hdr + 8, m, n);
	return hdr + udp;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const uint8_t *m;
		size_t n;
		int ipv, ihl;	/* 0: the bare message */
	} seeds[] = {
		{ "a.dns", msg_a, sizeof(msg_a), 0, 0 },
		{ "aaaa.dns", msg_aaaa, sizeof(msg_aaaa), 0, 0 },
		{ "cname.dns", msg_cname, sizeof(msg_cname), 0, 0 },
		{ "multi.dns", msg_multi, sizeof(msg_multi), 0, 0 },
		{ "a.ip4", msg_a, sizeof(msg_a), 4, 5 },
		{ "cname-options.ip4", msg_cname, sizeof(msg_cname), 4, 6 },
		{ "aaaa.ip6", msg_aaaa, sizeof(msg_aaaa), 6, 0 },
		{ "multi.ip6", msg_multi, sizeof(msg_multi), 6, 0 },
	};
	uint8_t pkt[1024];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
		const uint8_t *p = seeds[i].m;
		size_t n = seeds[i].n;

		if (seeds[i].ipv) {
			n = wrap(pkt, seeds[i].ipv, seeds[i].ihl, p, n);
			p = pkt;
		}
		if (seed_put(argv[1], seeds[i].name, p, n))
			return 1;
	}
	return 0;
}
