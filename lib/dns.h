/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcpconnect -d: which DNS answer named an address.  Answers are captured
 * from the packets themselves (a socket filter on packet sockets of the
 * current network namespace), parsed with glibc's libresolv, and kept in a
 * bounded cache: BCC's 10240 addresses for 24 hours, least recently used
 * first out.
 */
#ifndef NETRACE_DNS_H
#define NETRACE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_CACHE_SIZE		10240
#define DNS_TTL_NS		(86400ULL * 1000000000ULL)
#define DNS_NAME_MAX		256	/* 255 characters and the NUL */

struct dns_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t a[16];		/* 4 or 16 bytes */
};

/* Called for each A/AAAA address of an answer to the question qname. */
typedef void (*dns_answer_fn)(void *arg, const char *qname,
			      const struct dns_addr *addr);

/*
 * Parse one DNS message (UDP payload).  Only responses with exactly one
 * question and at least one answer count; every A and AAAA record of the
 * answer section (the ends of CNAME chains included) is reported under
 * the name asked.  Returns the addresses reported, or -1 for a message
 * that is not such a response or is malformed.
 */
int dns_parse_answer(const uint8_t *msg, size_t len, dns_answer_fn fn,
		     void *arg);
/*
 * Parse an IPv4 or IPv6 packet (from the network header) carrying a UDP
 * datagram from port 53, then its DNS payload.  -1 when malformed.
 */
int dns_parse_packet(const uint8_t *pkt, size_t len, dns_answer_fn fn,
		     void *arg);

struct dns_entry {
	struct dns_addr addr;
	uint64_t ts_ns;		/* when the answer was seen, CLOCK_MONOTONIC */
	int32_t hnext;		/* hash chain */
	int32_t prev, next;	/* LRU list: head most recent */
	char name[DNS_NAME_MAX];
};

struct dns_cache {
	struct dns_entry *e;
	int32_t *bucket;
	uint32_t nbuckets;
	uint32_t size, used;
	int32_t head, tail, free_list;
};

int dns_cache_init(struct dns_cache *c, uint32_t size);
void dns_cache_free(struct dns_cache *c);
void dns_cache_put(struct dns_cache *c, const struct dns_addr *a,
		   const char *name, uint64_t ts_ns);
/* The entry for a, unless absent or older than 24 h at now_ns. */
const struct dns_entry *dns_cache_get(struct dns_cache *c,
				      const struct dns_addr *a,
				      uint64_t now_ns);

/* Capture of DNS answers: two packet sockets with the filter program. */
struct dns_capture {
	int fd[2];
	struct dns_cache cache;
	uint64_t answers;	/* parsed answers, for -v */
	uint64_t ignored;	/* not answers, or malformed: for -v */
	int64_t real_to_mono_ns;
	uint64_t drained_ns;	/* CLOCK_MONOTONIC when the last drain began */
};

int dns_capture_open(struct dns_capture *d, int prog_fd);
void dns_capture_close(struct dns_capture *d);
/* Read every queued datagram into the cache; never blocks. */
void dns_capture_drain(struct dns_capture *d);
/*
 * The cache entry naming a (from capture), for an event at ts_ns.  An
 * answer that arrived before the last drain began is in the cache; an
 * event newer than that drain may follow answers still queued, and the
 * latest of them must win over an older name in the cache: so such an
 * event drains first (two system calls, once per drain, not per event).
 */
const struct dns_entry *dns_capture_lookup(struct dns_capture *d,
					   const struct dns_addr *a,
					   uint64_t ts_ns);

#endif
