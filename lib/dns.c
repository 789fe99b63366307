// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dns.h"
#include "log.h"

/*
 * libresolv's ns_initparse() checks that every section's records fit the
 * message; ns_parserr() expands names with loop and bounds checks.  So a
 * hostile datagram is refused by the parser, never read past its end.
 */
int dns_parse_answer(const uint8_t *msg, size_t len, dns_answer_fn fn,
		     void *arg)
{
	char qname[NS_MAXDNAME];
	struct dns_addr a;
	int i, n, found = 0;
	ns_msg h;
	ns_rr rr;

	if (len > NS_MAXMSG || ns_initparse(msg, len, &h) < 0)
		return -1;
	if (!ns_msg_getflag(h, ns_f_qr) || ns_msg_count(h, ns_s_qd) != 1)
		return -1;
	n = ns_msg_count(h, ns_s_an);
	if (!n || ns_parserr(&h, ns_s_qd, 0, &rr) < 0)
		return -1;
	snprintf(qname, sizeof(qname), "%s", ns_rr_name(rr));
	/* The whole answer section first: a malformed message names nothing. */
	for (i = 0; i < n; i++)
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return -1;
		if (ns_rr_class(rr) != ns_c_in)
			continue;
		if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4)
			a.family = AF_INET;
		else if (ns_rr_type(rr) == ns_t_aaaa && ns_rr_rdlen(rr) == 16)
			a.family = AF_INET6;
		else
			continue;
		memset(a.a, 0, sizeof(a.a));
		memcpy(a.a, ns_rr_rdata(rr), ns_rr_rdlen(rr));
		fn(arg, qname, &a);
		found++;
	}
	return found;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)p[0] << 8 | p[1];
}

/* The UDP payload of a packet from port 53, or NULL. */
static const uint8_t *udp53_payload(const uint8_t *pkt, size_t len,
				    size_t *plen)
{
	size_t ip_len, hdr, udp_len;

	if (len < 1)
		return NULL;
	if (pkt[0] >> 4 == 4) {
		hdr = (pkt[0] & 0xf) * 4;
		if (len < 20 || hdr < 20 || pkt[9] != IPPROTO_UDP ||
		    (get16(pkt + 6) & 0x3fff))
			return NULL;
		ip_len = get16(pkt + 2);
	} else if (pkt[0] >> 4 == 6) {
		hdr = 40;
		if (len < 40 || pkt[6] != IPPROTO_UDP)
			return NULL;
		ip_len = 40 + (size_t)get16(pkt + 4);
	} else {
		return NULL;
	}
	if (ip_len > len || ip_len < hdr + 8)
		return NULL;
	udp_len = get16(pkt + hdr + 4);
	if (get16(pkt + hdr) != 53 || udp_len < 8 || hdr + udp_len > ip_len)
		return NULL;
	*plen = udp_len - 8;
	return pkt + hdr + 8;
}

int dns_parse_packet(const uint8_t *pkt, size_t len, dns_answer_fn fn,
		     void *arg)
{
	const uint8_t *msg;
	size_t mlen;

	msg = udp53_payload(pkt, len, &mlen);
	if (!msg)
		return -1;
	return dns_parse_answer(msg, mlen, fn, arg);
}

/* ---- the cache: a hash table over a fixed array, with an LRU list ---- */

static uint32_t addr_hash(const struct dns_addr *a)
{
	uint32_t h = 2166136261u ^ (uint32_t)a->family;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 16777619u;
	return h;
}

static bool addr_eq(const struct dns_addr *x, const struct dns_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, sizeof(x->a));
}

int dns_cache_init(struct dns_cache *c, uint32_t size)
{
	uint32_t i;

	memset(c, 0, sizeof(*c));
	c->size = size ? size : 1;
	for (c->nbuckets = 1; c->nbuckets < 2 * c->size; c->nbuckets <<= 1)
		;
	c->e = calloc(c->size, sizeof(*c->e));
	c->bucket = malloc(c->nbuckets * sizeof(*c->bucket));
	if (!c->e || !c->bucket) {
		dns_cache_free(c);
		return -ENOMEM;
	}
	for (i = 0; i < c->nbuckets; i++)
		c->bucket[i] = -1;
	c->head = c->tail = -1;
	return 0;
}

void dns_cache_free(struct dns_cache *c)
{
	free(c->e);
	free(c->bucket);
	c->e = NULL;
	c->bucket = NULL;
}

static void lru_unlink(struct dns_cache *c, int32_t i)
{
	struct dns_entry *e = &c->e[i];

	if (e->prev >= 0)
		c->e[e->prev].next = e->next;
	else
		c->head = e->next;
	if (e->next >= 0)
		c->e[e->next].prev = e->prev;
	else
		c->tail = e->prev;
}

static void lru_push_head(struct dns_cache *c, int32_t i)
{
	c->e[i].prev = -1;
	c->e[i].next = c->head;
	if (c->head >= 0)
		c->e[c->head].prev = i;
	c->head = i;
	if (c->tail < 0)
		c->tail = i;
}

static int32_t *slot_of(struct dns_cache *c, const struct dns_addr *a)
{
	int32_t *p = &c->bucket[addr_hash(a) & (c->nbuckets - 1)];

	while (*p >= 0 && !addr_eq(&c->e[*p].addr, a))
		p = &c->e[*p].hnext;
	return p;
}

/* Take the least recently used entry out of the table for reuse. */
static int32_t evict(struct dns_cache *c)
{
	int32_t i = c->tail, *p = slot_of(c, &c->e[i].addr);

	*p = c->e[i].hnext;
	lru_unlink(c, i);
	return i;
}

void dns_cache_put(struct dns_cache *c, const struct dns_addr *a,
		   const char *name, uint64_t ts_ns)
{
	int32_t *p = slot_of(c, a), i = *p;

	if (i >= 0) {
		lru_unlink(c, i);
	} else {
		i = c->used < c->size ? (int32_t)c->used++ : evict(c);
		p = slot_of(c, a);
		c->e[i].addr = *a;
		c->e[i].hnext = *p;
		*p = i;
	}
	snprintf(c->e[i].name, sizeof(c->e[i].name), "%s", name);
	c->e[i].ts_ns = ts_ns;
	lru_push_head(c, i);
}

const struct dns_entry *dns_cache_get(struct dns_cache *c,
				      const struct dns_addr *a,
				      uint64_t now_ns)
{
	int32_t i = *slot_of(c, a);

	if (i < 0)
		return NULL;
	if (now_ns > c->e[i].ts_ns && now_ns - c->e[i].ts_ns > DNS_TTL_NS)
		return NULL;
	lru_unlink(c, i);
	lru_push_head(c, i);
	return &c->e[i];
}

/* ---- capture ---------------------------------------------------------- */

static int open_one(int prog_fd, int proto)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
	};
	int one = 1, rcvbuf = 4 << 20;
	int fd;

	/* Protocol 0 until the filter is on: nothing unfiltered queues. */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
		       sizeof(prog_fd)) ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* A burst of answers while we sleep between drains must fit. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

int dns_capture_open(struct dns_capture *d, int prog_fd)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->fd[0] = d->fd[1] = -1;
	d->real_to_mono_ns = -nr_real_minus_mono_ns();
	err = dns_cache_init(&d->cache, DNS_CACHE_SIZE);
	if (err)
		return err;
	d->fd[0] = open_one(prog_fd, ETH_P_IP);
	if (d->fd[0] < 0) {
		err = d->fd[0];
		dns_capture_close(d);
		return err;
	}
	d->fd[1] = open_one(prog_fd, ETH_P_IPV6);
	if (d->fd[1] < 0) {
		err = d->fd[1];
		dns_capture_close(d);
		return err;
	}
	return 0;
}

void dns_capture_close(struct dns_capture *d)
{
	int i;

	for (i = 0; i < 2; i++)
		if (d->fd[i] >= 0)
			close(d->fd[i]);
	d->fd[0] = d->fd[1] = -1;
	dns_cache_free(&d->cache);
}

struct answer_ctx {
	struct dns_capture *d;
	uint64_t ts_ns;
};

static void on_answer(void *arg, const char *qname, const struct dns_addr *a)
{
	struct answer_ctx *x = arg;

	dns_cache_put(&x->d->cache, a, qname, x->ts_ns);
}

/* When the kernel received the datagram, on the events' clock. */
static uint64_t rx_time(struct dns_capture *d, struct msghdr *mh)
{
	struct cmsghdr *cm;
	struct timespec ts;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
		       d->real_to_mono_ns;
	}
	return nr_clock_ns(CLOCK_MONOTONIC);
}

static void drain_one(struct dns_capture *d, int fd)
{
	static uint8_t pkt[65536];
	char control[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(pkt) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control,
	};
	struct answer_ctx x = { .d = d };
	ssize_t n;

	for (;;) {
		mh.msg_controllen = sizeof(control);
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return;
		x.ts_ns = rx_time(d, &mh);
		if ((size_t)n > sizeof(pkt) ||
		    dns_parse_packet(pkt, n, on_answer, &x) < 0)
			d->ignored++;
		else
			d->answers++;
	}
}

void dns_capture_drain(struct dns_capture *d)
{
	d->drained_ns = nr_clock_ns(CLOCK_MONOTONIC);
	/* Follow wall-clock steps: the timestamps are CLOCK_REALTIME. */
	d->real_to_mono_ns = -nr_real_minus_mono_ns();
	drain_one(d, d->fd[0]);
	drain_one(d, d->fd[1]);
}

const struct dns_entry *dns_capture_lookup(struct dns_capture *d,
					   const struct dns_addr *a,
					   uint64_t ts_ns)
{
	if (ts_ns >= d->drained_ns)
		dns_capture_drain(d);
	return dns_cache_get(&d->cache, a, ts_ns);
}
