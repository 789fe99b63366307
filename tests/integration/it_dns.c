// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Privileged integration tests of `netrace tcpconnect -d`: a DNS
 * responder of our own answers real queries from forked clients, which
 * then connect to the address they were given; the QUERY column (text)
 * and "query"/"query_age_ms" (JSON) must name what the client asked.
 *
 * The whole suite runs in a network namespace of its own (unshare at
 * start): the tracer's packet sockets capture the namespace's traffic,
 * nothing else on the machine can answer or ask, the responder may take
 * 127.0.0.53:53 and [::1]:53, and the namespace's lo gets an IPv6 address
 * (fd00:6e72::1234, a ULA routed nowhere) for AAAA answers to name.  The
 * tracers only watch our listeners' ports (-P): connects elsewhere on a
 * busy machine cannot bury our events.  Connect events are traced
 * machine-wide, so an event is ours when its pid (and, in JSON, lport)
 * is the client's.  Every scenario runs a text and a JSON tracer side by
 * side, both watching the same connect.
 *
 * Environment: NETRACE (the binary, required), NETRACE_ATTACH and
 * NETRACE_BUFFER (added by the harness to every tracer), CI=true or
 * NETRACE_REQUIRE_PRIV=1 (not root is a failure, not a skip),
 * NR_IT_FILTER (cmocka test-name filter).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <resolv.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

#define BANNER		"Tracing connect ... Hit Ctrl-C to end"

#define DNS_ADDR4	"127.0.0.53"	/* the responder, IPv4 */
#define DNS_ADDR6	"::1"		/* the responder, IPv6 */
#define ODD_PORT	5353		/* answers from here are not DNS's */
#define TEST_ADDR6	"fd00:6e72::1234"	/* on the namespace's lo */

#define NOTE_MS		100	/* BCC notes the age of answers older */
#define DELAY_MS	150	/* > NOTE_MS */
#define AGE_SLACK_MS	150	/* answer to connect, on a slow machine */

/* ---- the zone our responder serves ------------------------------------ */

struct zrr {
	int type;		/* ns_t_a, ns_t_aaaa, ns_t_cname */
	const char *data;	/* address text, or the CNAME's target */
};

struct zent {
	const char *name;
	int qtype;
	struct zrr rr[4];
};

static const struct zent zone[] = {
	{ "a.nr-test.example", ns_t_a, { { ns_t_a, "127.1.2.3" } } },
	{ "res.nr-test.example", ns_t_a, { { ns_t_a, "127.1.2.13" } } },
	/* www -> edge.nr-cdn.test -> e2.nr-cdn.test -> A */
	{ "www.nr-test.example", ns_t_a, {
		{ ns_t_cname, "edge.nr-cdn.test" },
		{ ns_t_cname, "e2.nr-cdn.test" },
		{ ns_t_a, "127.1.2.4" } } },
	{ "many.nr-test.example", ns_t_a, {
		{ ns_t_a, "127.1.2.7" }, { ns_t_a, "127.1.2.8" },
		{ ns_t_a, "127.1.2.11" } } },
	{ "six.nr-test.example", ns_t_aaaa, { { ns_t_aaaa, TEST_ADDR6 } } },
	{ "slow.nr-test.example", ns_t_a, { { ns_t_a, "127.1.2.5" } } },
	{ "lo.nr-test.example", ns_t_a, { { ns_t_a, "127.0.0.1" } } },
	{ "lo6.nr-test.example", ns_t_aaaa, { { ns_t_aaaa, "::1" } } },
	{ "first.nr-test.example", ns_t_a, { { ns_t_a, "127.1.2.9" } } },
	{ "second.nr-test.example", ns_t_a, { { ns_t_a, "127.1.2.9" } } },
	{ "odd.nr-test.example", ns_t_a, { { ns_t_a, "127.1.2.10" } } },
	{ "mapped.nr-test.example", ns_t_a, { { ns_t_a, "127.1.2.12" } } },
};

#define ZONE_N	(sizeof(zone) / sizeof(zone[0]))

static const struct zent *zone_find(const char *name, int qtype)
{
	for (size_t i = 0; i < ZONE_N; i++)
		if (!strcasecmp(zone[i].name, name) && zone[i].qtype == qtype)
			return &zone[i];
	return NULL;
}

/* ---- building DNS messages (ours: independent of lib/dns.c) ---------- */

struct buf {
	uint8_t b[1500];
	size_t n;
	bool bad;
};

static void b8(struct buf *b, unsigned int v)
{
	if (b->n >= sizeof(b->b)) {
		b->bad = true;
		return;
	}
	b->b[b->n++] = (uint8_t)v;
}

static void b16(struct buf *b, unsigned int v)
{
	b8(b, v >> 8);
	b8(b, v & 0xff);
}

static void bname(struct buf *b, const char *name)
{
	while (*name) {
		const char *dot = strchrnul(name, '.');
		size_t len = dot - name;

		b8(b, len);
		for (size_t i = 0; i < len; i++)
			b8(b, name[i]);
		name = *dot ? dot + 1 : dot;
	}
	b8(b, 0);
}

static void bquery(struct buf *b, uint16_t id, const char *name, int qtype)
{
	b->n = 0;
	b->bad = false;
	b16(b, id);
	b16(b, 0x0100);		/* RD */
	b16(b, 1);
	b16(b, 0);
	b16(b, 0);
	b16(b, 0);
	bname(b, name);
	b16(b, qtype);
	b16(b, ns_c_in);
}

/*
 * The answer to query q: the question copied, then the zone's records.
 * The first record's owner points at the question; after a CNAME the
 * next owner points at that CNAME's target, as real servers compress.
 */
static bool dns_reply(const uint8_t *q, size_t qn, struct buf *r)
{
	char name[NS_MAXDNAME];
	const struct zent *z;
	size_t qend, owner = 12;
	int qtype, nrr = 0;
	uint16_t flags;

	if (qn < 12 + 5 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
		return false;
	/* Question name: plain labels (a query is never compressed). */
	qend = 12;
	name[0] = 0;
	while (qend < qn && q[qend]) {
		size_t len = q[qend], at = strlen(name);

		if (len > 63 || qend + 1 + len >= qn || at + len + 2 > sizeof(name))
			return false;
		if (at)
			name[at++] = '.';
		memcpy(name + at, q + qend + 1, len);
		name[at + len] = 0;
		qend += 1 + len;
	}
	if (qend + 5 > qn)
		return false;
	qtype = q[qend + 1] << 8 | q[qend + 2];
	qend += 5;
	z = zone_find(name, qtype);
	while (z && nrr < 4 && z->rr[nrr].data)
		nrr++;
	flags = 0x8180 | (z ? 0 : ns_r_nxdomain);	/* QR RD RA */
	r->n = 0;
	r->bad = false;
	b8(r, q[0]);
	b8(r, q[1]);
	b16(r, flags);
	b16(r, 1);
	b16(r, nrr);
	b16(r, 0);
	b16(r, 0);
	for (size_t i = 12; i < qend; i++)
		b8(r, q[i]);
	for (int i = 0; i < nrr; i++) {
		const struct zrr *rr = &z->rr[i];
		uint8_t a[16];
		size_t rdlen_at;

		b16(r, 0xc000 | owner);
		b16(r, rr->type);
		b16(r, ns_c_in);
		b16(r, 0);
		b16(r, 300);		/* TTL */
		rdlen_at = r->n;
		b16(r, 0);
		if (rr->type == ns_t_cname) {
			owner = r->n;
			bname(r, rr->data);
		} else {
			int af = rr->type == ns_t_a ? AF_INET : AF_INET6;

			if (inet_pton(af, rr->data, a) != 1)
				return false;
			for (int k = 0; k < (af == AF_INET ? 4 : 16); k++)
				b8(r, a[k]);
		}
		if (r->bad)
			return false;
		r->b[rdlen_at] = (r->n - rdlen_at - 2) >> 8;
		r->b[rdlen_at + 1] = (r->n - rdlen_at - 2) & 0xff;
	}
	return !r->bad;
}

/* ---- sockets ------------------------------------------------------------ */

/* A socket bound to addr:port (addr NULL: any); port 0 picks one. */
static int bound_socket(int family, int type, const char *addr, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = nr_sockaddr(family, addr, *port, &ss);
	int one = 1, fd;

	if (!len)
		return -1;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* ---- the responder: a forked process on 127.0.0.53:53, [::1]:53 ------- */

struct dns_server {
	pid_t pid;
};

static void server_loop(const int *fds, int n)
{
	struct pollfd pfd[4];
	uint8_t q[1500];
	struct buf r;

	for (int i = 0; i < n; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	for (;;) {
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			_exit(1);
		for (int i = 0; i < n; i++) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t len;

			if (!(pfd[i].revents & POLLIN))
				continue;
			len = recvfrom(fds[i], q, sizeof(q), MSG_DONTWAIT,
				       (struct sockaddr *)&from, &flen);
			if (len > 0 && dns_reply(q, len, &r))
				sendto(fds[i], r.b, r.n, 0,
				       (struct sockaddr *)&from, flen);
		}
	}
}

static void server_cleanup(struct nr_ctx *ctx, void *arg)
{
	struct dns_server *s = arg;

	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	free(s);
}

static struct dns_server *dns_server_start_must(struct nr_ctx *ctx)
{
	static const struct {
		int family;
		const char *addr;
		int port;
	} where[] = {
		{ AF_INET, DNS_ADDR4, 53 },
		{ AF_INET6, DNS_ADDR6, 53 },
		{ AF_INET, DNS_ADDR4, ODD_PORT },
	};
	struct dns_server *s = calloc(1, sizeof(*s));
	pid_t parent = getpid();
	int fds[3];

	assert_non_null(s);
	/* Bound here, before the fork: no query can come too early. */
	for (int i = 0; i < 3; i++) {
		int port = where[i].port;

		fds[i] = bound_socket(where[i].family, SOCK_DGRAM,
				      where[i].addr, &port);
		if (fds[i] < 0)
			fail_msg("responder: bind %s port %d: %s",
				 where[i].addr, where[i].port, strerror(errno));
	}
	s->pid = fork();
	if (s->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		prctl(PR_SET_NAME, "nr_dns_server");
		server_loop(fds, 3);
		_exit(0);
	}
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	nr_defer(ctx, server_cleanup, s);
	return s;
}

/* ---- listeners on every address (127/8, the IPv6 test address) -------- */

struct any_listener {
	int fd[2];
	int port[2];		/* [0] IPv4, [1] IPv6 */
};

static void listener_cleanup(struct nr_ctx *ctx, void *arg)
{
	struct any_listener *l = arg;

	close(l->fd[0]);
	close(l->fd[1]);
	free(l);
}

/* The handshake completes in the kernel: a few connects need no accept. */
static struct any_listener *listener_start_must(struct nr_ctx *ctx)
{
	struct any_listener *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	for (int i = 0; i < 2; i++) {
		l->fd[i] = bound_socket(i ? AF_INET6 : AF_INET, SOCK_STREAM,
					NULL, &l->port[i]);
		if (l->fd[i] < 0 || listen(l->fd[i], 128))
			fail_msg("listen on %s: %s", i ? "[::]" : "0.0.0.0",
				 strerror(errno));
	}
	nr_defer(ctx, listener_cleanup, l);
	return l;
}

/* ---- the client: query, answer, (wait), connect ------------------------ */

struct dq_cfg {
	const char *comm;
	const char *qname;	/* NULL: no query */
	int qtype;		/* ns_t_a or ns_t_aaaa */
	int server_family;	/* AF_INET: 127.0.0.53, AF_INET6: [::1] */
	int server_port;	/* 0: 53 */
	bool use_res;		/* glibc's res_nquery() (IPv4 server only) */
	int pick;		/* connect to the answer's address number pick */
	const char *addr;	/* or to this address (no query, or ignoring it) */
	bool no_connect;	/* only ask */
	bool mapped;		/* IPv4 from an AF_INET6 socket, ::ffff:a.b.c.d */
	int delay_ms;		/* between the answer and connect() */
};

struct dq_result {
	int err;		/* errno of the failed step, or 0 */
	char step[48];		/* which step failed */
	pid_t pid;
	char comm[17];
	int answers;		/* addresses in the answer */
	int family;		/* of the connect */
	char saddr[INET6_ADDRSTRLEN];
	char daddr[INET6_ADDRSTRLEN];
	int lport, dport;
	int conn_err;		/* connect()'s errno, or 0 */
	double delay_ms;	/* answer received -> connect() called */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int step_fail(struct dq_result *r, const char *step, int err)
{
	snprintf(r->step, sizeof(r->step), "%s", step);
	r->err = err ? err : EPROTO;
	return -1;
}

/* Our own datagram to the responder, and its answer. */
static int ask_raw(const struct dq_cfg *c, uint8_t *ans, int cap,
		   struct dq_result *r)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	struct buf q;
	socklen_t len;
	int fd, n;

	bquery(&q, (uint16_t)(getpid() ^ 0x5a5a), c->qname, c->qtype);
	len = nr_sockaddr(c->server_family, c->server_family == AF_INET ?
			  DNS_ADDR4 : DNS_ADDR6, c->server_port ?
			  c->server_port : 53, &ss);
	fd = socket(c->server_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return step_fail(r, "query socket", errno);
	if (connect(fd, (struct sockaddr *)&ss, len) ||
	    send(fd, q.b, q.n, 0) != (ssize_t)q.n)
		return step_fail(r, "send the query", errno);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1)
		return step_fail(r, "no answer within 5 s", ETIMEDOUT);
	n = recv(fd, ans, cap, 0);
	close(fd);
	if (n < 0)
		return step_fail(r, "recv the answer", errno);
	return n;
}

/* The C library's resolver, pointed at 127.0.0.53. */
static int ask_res(const struct dq_cfg *c, uint8_t *ans, int cap,
		   struct dq_result *r)
{
	struct __res_state st;
	struct sockaddr_storage ss;
	int n;

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st))
		return step_fail(r, "res_ninit", errno);
	nr_sockaddr(AF_INET, DNS_ADDR4, c->server_port ? c->server_port : 53,
		    &ss);
	memcpy(&st.nsaddr_list[0], &ss, sizeof(st.nsaddr_list[0]));
	st.nscount = 1;
	st.retry = 1;
	st.retrans = 5;
	st.options &= ~(RES_DNSRCH | RES_DEFNAMES);
	n = res_nquery(&st, c->qname, ns_c_in, c->qtype, ans, cap);
	res_nclose(&st);
	if (n < 0)
		return step_fail(r, "res_nquery", ETIMEDOUT);
	return n;
}

/* Address number pick of the answer, as text; the count in r->answers. */
static int answer_addr(const uint8_t *ans, int n, int pick, int *family,
		       char *text, struct dq_result *r)
{
	ns_msg h;
	ns_rr rr;
	int found = -1;

	if (ns_initparse(ans, n, &h) < 0)
		return step_fail(r, "parse the answer", errno);
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		int af;

		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return step_fail(r, "parse an answer record", errno);
		if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4)
			af = AF_INET;
		else if (ns_rr_type(rr) == ns_t_aaaa && ns_rr_rdlen(rr) == 16)
			af = AF_INET6;
		else
			continue;
		if (r->answers++ == pick) {
			*family = af;
			inet_ntop(af, ns_rr_rdata(rr), text, INET6_ADDRSTRLEN);
			found = 0;
		}
	}
	if (found)
		return step_fail(r, "no such address in the answer", ENOENT);
	return 0;
}

/*
 * Connect to addr (IPv4 ones from an AF_INET6 socket as ::ffff:a.b.c.d
 * with c->mapped); what the tracer must show goes into r: the kernel
 * takes a mapped connect through its IPv4 path, so IP 4, dotted quads.
 */
static void dq_connect(const struct dq_cfg *c, const struct any_listener *l,
		       int family, const char *addr, int64_t t_answer,
		       struct dq_result *r)
{
	bool mapped = c->mapped && family == AF_INET;
	int sfamily = mapped ? AF_INET6 : family;
	struct sockaddr_storage ss, local;
	char target[INET6_ADDRSTRLEN + 8];
	socklen_t llen = sizeof(local), len;
	struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&local;
	struct sockaddr_in *l4 = (struct sockaddr_in *)&local;
	int64_t t_connect;
	int fd;

	snprintf(target, sizeof(target), "%s%s", mapped ? "::ffff:" : "", addr);
	len = nr_sockaddr(sfamily, target, l->port[family == AF_INET6], &ss);
	r->family = family;
	r->dport = l->port[family == AF_INET6];
	snprintf(r->daddr, sizeof(r->daddr), "%s", addr);
	if (!len) {
		step_fail(r, "bad address to connect to", EINVAL);
		return;
	}
	fd = socket(sfamily, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		step_fail(r, "socket", errno);
		return;
	}
	if (c->delay_ms)
		nr_sleep_ms(c->delay_ms);
	t_connect = mono_ns();
	if (t_answer)
		r->delay_ms = (t_connect - t_answer) / 1e6;
	if (connect(fd, (struct sockaddr *)&ss, len))
		r->conn_err = errno;
	if (!getsockname(fd, (struct sockaddr *)&local, &llen)) {
		if (sfamily == AF_INET)
			inet_ntop(AF_INET, &l4->sin_addr, r->saddr,
				  sizeof(r->saddr));
		else if (mapped)
			inet_ntop(AF_INET, &l6->sin6_addr.s6_addr[12], r->saddr,
				  sizeof(r->saddr));
		else
			inet_ntop(AF_INET6, &l6->sin6_addr, r->saddr,
				  sizeof(r->saddr));
		/* sin_port and sin6_port are at the same offset. */
		r->lport = ntohs(l4->sin_port);
	}
	close(fd);
}

static void dq_child(const struct dq_cfg *c, const struct any_listener *l,
		     struct dq_result *r)
{
	char addr[INET6_ADDRSTRLEN] = "";
	int64_t t_answer = 0;
	uint8_t ans[NS_PACKETSZ * 4];
	int family = AF_INET, n;
	FILE *f;

	prctl(PR_SET_NAME, c->comm);
	r->pid = getpid();
	f = fopen("/proc/thread-self/comm", "r");
	if (f) {
		if (fgets(r->comm, sizeof(r->comm), f))
			r->comm[strcspn(r->comm, "\n")] = 0;
		fclose(f);
	}
	if (c->qname) {
		n = c->use_res ? ask_res(c, ans, sizeof(ans), r) :
				 ask_raw(c, ans, sizeof(ans), r);
		t_answer = mono_ns();
		if (n < 0)
			return;
		if (!c->addr &&
		    answer_addr(ans, n, c->pick, &family, addr, r) < 0)
			return;
	}
	if (c->no_connect)
		return;
	if (c->addr) {
		snprintf(addr, sizeof(addr), "%s", c->addr);
		family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	}
	dq_connect(c, l, family, addr, t_answer, r);
}

/* Fork a client, let it ask and connect, and bring back what it saw. */
static void dq_run_must(const struct dq_cfg *c, const struct any_listener *l,
			struct dq_result *r)
{
	int p[2], st;
	pid_t pid, parent = getpid();
	ssize_t got;

	if (pipe2(p, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		struct dq_result res = { 0 };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(p[0]);
		dq_child(c, l, &res);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	got = read(p[0], r, sizeof(*r));
	close(p[0]);
	waitpid(pid, &st, 0);
	if (got != sizeof(*r))
		fail_msg("client %s died before reporting", c->comm);
	if (r->err)
		fail_msg("client %s (%s %s): %s: %s", c->comm,
			 c->qname ? c->qname : "-",
			 c->qtype == ns_t_aaaa ? "AAAA" : "A", r->step,
			 strerror(r->err));
	if (!c->no_connect && r->conn_err)
		fail_msg("client %s: connect to %s port %d: %s", c->comm,
			 r->daddr, r->dport, strerror(r->conn_err));
}

/* ---- tracers: one text, one JSON, side by side ------------------------ */

static bool jint_ok(json_t *o, const char *k)
{
	return json_is_integer(json_object_get(o, k));
}

static bool jstr_ok(json_t *o, const char *k)
{
	return json_is_string(json_object_get(o, k));
}

/* Exactly these keys: tcpconnect's, then "query" and "query_age_ms". */
static bool dns_event_ok(json_t *o, char *why, size_t n)
{
	static const char *const keys[] = {
		"time_s", "pid", "uid", "comm", "ip", "saddr", "lport",
		"daddr", "dport", "query", "query_age_ms",
	};
	json_t *age = json_object_get(o, "query_age_ms");
	size_t nkeys = sizeof(keys) / sizeof(keys[0]);

	for (size_t i = 0; i < nkeys; i++)
		if (!json_object_get(o, keys[i])) {
			snprintf(why, n, "key \"%s\" missing", keys[i]);
			return false;
		}
	if (json_object_size(o) != nkeys) {
		snprintf(why, n, "%zu keys, want exactly %zu",
			 json_object_size(o), nkeys);
		return false;
	}
	if (!json_is_number(json_object_get(o, "time_s")) ||
	    !jint_ok(o, "pid") || !jint_ok(o, "uid") || !jstr_ok(o, "comm") ||
	    !jint_ok(o, "ip") || !jstr_ok(o, "saddr") || !jint_ok(o, "lport") ||
	    !jstr_ok(o, "daddr") || !jint_ok(o, "dport")) {
		snprintf(why, n, "a tcpconnect key has the wrong type");
		return false;
	}
	if (!jstr_ok(o, "query")) {
		snprintf(why, n, "\"query\" is not a string");
		return false;
	}
	if (!json_is_null(age) && !json_is_number(age)) {
		snprintf(why, n, "\"query_age_ms\" is neither a number nor null");
		return false;
	}
	if (json_is_number(age) && json_number_value(age) < 0) {
		snprintf(why, n, "\"query_age_ms\" is negative");
		return false;
	}
	return true;
}

struct pair {
	struct nr_tracer *text, *json;
};

static void dns_cfg(struct nr_tracer_cfg *cfg, const char *const *args)
{
	nr_applet_cfg(cfg, "tcpconnect", args, BANNER);
	cfg->check = cfg->ready_fd == NR_ERR ? dns_event_ok : NULL;
}

/*
 * -P with our listeners' ports: a machine busy with other connects (a
 * benchmark, another suite) cannot bury our events.
 */
static struct pair dns_tracers(struct nr_ctx *ctx,
			       const struct any_listener *l)
{
	char want[256], ports[32];
	struct pair p;

	/* argv is built and exec'd at spawn: a local buffer will do. */
	snprintf(ports, sizeof(ports), "%d,%d", l->port[0], l->port[1]);
	p.text = nr_applet_start_must(ctx, dns_cfg,
				      NR_ARGS("-d", "-P", ports));
	p.json = nr_applet_start_must(ctx, dns_cfg,
				      NR_ARGS("-d", "-j", "-P", ports));
	nr_tc_header(want, sizeof(want));
	strcat(want, " QUERY");
	nr_expect_header_must(p.text, want);
	return p;
}

/* The JSON event of r's connect (pid and lport); caller json_decref()s. */
static json_t *wait_json_must(struct nr_tracer *t, const struct dq_result *r)
{
	char what[160];
	struct nr_event_want w = {
		.key = { "pid", "lport" }, .val = { r->pid, r->lport },
		.what = what,
	};

	snprintf(what, sizeof(what), "pid %d lport %d (%s -> %s)",
		 (int)r->pid, r->lport, r->comm, r->daddr);
	return nr_event_wait_must(t, &w);
}

/* The row's exact text, with query as the last field. */
static void want_row(const struct dq_result *r, const char *query, char *buf,
		     size_t n)
{
	size_t pos = nr_tc_row(buf, n, r->pid, r->comm,
			       r->family == AF_INET6 ? 6 : 4, r->saddr,
			       r->daddr, r->dport);

	if (pos < n)
		snprintf(buf + pos, n - pos, "%s", query);
}

/*
 * The JSON event of r's connect has "query" = query, and "query_age_ms"
 * a number (answered) or null (not).  Returns the age, or -1.
 */
static double expect_json(struct pair *p, const struct dq_result *r,
			  const char *query, bool answered)
{
	char raw[1024];
	json_t *o, *age;
	const char *q;
	double ms = -1;

	o = wait_json_must(p->json, r);
	q = nr_jstr(o, "query");
	age = json_object_get(o, "query_age_ms");
	nr_json_raw(o, raw, sizeof(raw));
	if (strcmp(q, query))
		fail_msg("'%s': \"query\" is \"%s\", want \"%s\"\n  event: %s",
			 p->json->cmdline, q, query, raw);
	if (answered && !json_is_number(age))
		fail_msg("'%s': \"query_age_ms\" is not a number for an "
			 "answered address\n  event: %s", p->json->cmdline, raw);
	if (!answered && !json_is_null(age))
		fail_msg("'%s': \"query_age_ms\" is not null without an "
			 "answer\n  event: %s", p->json->cmdline, raw);
	if (answered)
		ms = json_number_value(age);
	json_decref(o);
	return ms;
}

/*
 * The query part of a text row that starts with prefix (the row as it
 * would be without a note): -1 when the row is exactly prefix, else the
 * N.NNN of a " (N.NNNms)" that must end the row.
 */
static double row_note(struct nr_tracer *t, const char *row,
		       const char *prefix)
{
	size_t plen = strlen(prefix);
	char g[1024], w[1024];
	regmatch_t m[2];
	regex_t re;
	int bad;

	if (strncmp(row, prefix, plen))
		fail_msg("'%s': row differs\n  want: \"%s\" (and maybe "
			 "\" (N.NNNms)\")\n  got:  \"%s\"", t->cmdline,
			 nr_visible(prefix, w, sizeof(w)),
			 nr_visible(row, g, sizeof(g)));
	if (!row[plen])
		return -1;
	assert_int_equal(regcomp(&re, "^ \\(([0-9]+\\.[0-9]{3})ms\\)$",
				 REG_EXTENDED), 0);
	bad = regexec(&re, row + plen, 2, m, 0);
	regfree(&re);
	if (bad)
		fail_msg("'%s': after the name, want the end of the row or "
			 "\" (N.NNNms)\" and the end, got \"%s\"", t->cmdline,
			 nr_visible(row + plen, g, sizeof(g)));
	return strtod(row + plen + m[1].rm_so, NULL);
}

/*
 * Both tracers name r's connect `query`: the text row exactly, with the
 * delay note if and only if the answer was more than 100 ms old; JSON
 * with the name alone and the age.  The JSON age decides whether a note
 * is due (both tracers stamp the same packet and the same event, but
 * each converts the packet's wall-clock stamp to the events' clock on
 * its own: under qemu's TCG, whose clock ticks coarsely, they agree only
 * to TRACERS_SLACK_MS).  Returns the JSON age (-1: null), and the
 * note's in *text_ms (-1: no note) if asked.
 */
#define TRACERS_SLACK_MS	10

static double expect_query(struct pair *p, const struct dq_result *r,
			   const char *query, bool answered, double *text_ms)
{
	double age = expect_json(p, r, query, answered), note;
	char want[512];

	want_row(r, query, want, sizeof(want));
	note = row_note(p->text, nr_wait_row_must(p->text, r->pid, 0), want);
	if (!answered && note >= 0)
		fail_msg("'%s': a delay note (%.3f ms) without an answer",
			 p->text->cmdline, note);
	if (answered && note < 0 && age > NOTE_MS + 1)
		fail_msg("'%s': no delay note, but the JSON tracer says the "
			 "answer was %.3f ms old", p->text->cmdline, age);
	if (answered && note >= 0 && (note <= NOTE_MS || age < NOTE_MS - 1 ||
				      fabs(note - age) > TRACERS_SLACK_MS))
		fail_msg("'%s': delay note %.3f ms; the JSON tracer says %.3f "
			 "ms: want both over %d and the same", p->text->cmdline,
			 note, age, NOTE_MS);
	if (text_ms)
		*text_ms = note;
	return age;
}

/* An age the tracer measured against the client's own measure. */
static void expect_age(struct nr_tracer *t, const char *what, double got,
		       const struct dq_result *r)
{
	/*
	 * The answer is stamped when the kernel received it, before the
	 * client's recv() returned; the event when connect() ran, after the
	 * client read its clock: never less than the client's delay (1 ms
	 * for the two clocks), a little more on a busy machine.
	 */
	if (got < r->delay_ms - 1 || got > r->delay_ms + AGE_SLACK_MS)
		fail_msg("'%s': %s is %.3f ms; the client measured %.3f ms "
			 "from the answer to connect()", t->cmdline, what, got,
			 r->delay_ms);
}

struct scene {
	struct nr_ctx *ctx;
	struct any_listener *l;
	struct pair p;
};

static void scene_start(void **state, struct scene *s)
{
	s->ctx = nr_test_begin(state);
	dns_server_start_must(s->ctx);
	s->l = listener_start_must(s->ctx);
	s->p = dns_tracers(s->ctx, s->l);
}

/* ---- tests ------------------------------------------------------------- */

/* The C library's resolver asks; the row names what it asked. */
static void test_a_res_nquery(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_res", .qname = "res.nr-test.example",
			    .qtype = ns_t_a, .server_family = AF_INET,
			    .use_res = true };
	struct dq_result r;
	struct scene s;
	double age;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	assert_string_equal(r.daddr, "127.1.2.13");
	age = expect_query(&s.p, &r, "res.nr-test.example", true, NULL);
	expect_age(s.p.json, "query_age_ms", age, &r);
}

static void test_a(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_a", .qname = "a.nr-test.example",
			    .qtype = ns_t_a, .server_family = AF_INET };
	struct dq_result r;
	struct scene s;
	double age;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	assert_string_equal(r.daddr, "127.1.2.3");
	age = expect_query(&s.p, &r, "a.nr-test.example", true, NULL);
	expect_age(s.p.json, "query_age_ms", age, &r);
	/* Its packet sockets open, -d needs no capability either. */
	nr_expect_no_privs_must(s.p.json);
	nr_expect_no_privs_must(s.p.text);
}

/* www -> edge -> e2 -> A: the name asked, not the chain's end. */
static void test_cname_chain(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_cname",
			    .qname = "www.nr-test.example", .qtype = ns_t_a,
			    .server_family = AF_INET };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	assert_string_equal(r.daddr, "127.1.2.4");
	expect_query(&s.p, &r, "www.nr-test.example", true, NULL);
}

/* Every address of an answer is named: connect to the last of three. */
static void test_several_a(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_many",
			    .qname = "many.nr-test.example", .qtype = ns_t_a,
			    .server_family = AF_INET, .pick = 2 };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	assert_int_equal(r.answers, 3);
	assert_string_equal(r.daddr, "127.1.2.11");
	expect_query(&s.p, &r, "many.nr-test.example", true, NULL);
}

/* An AAAA answer, over IPv6 from [::1]:53, then an IPv6 connect. */
static void test_aaaa_ipv6(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_six",
			    .qname = "six.nr-test.example", .qtype = ns_t_aaaa,
			    .server_family = AF_INET6 };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	assert_int_equal(r.family, AF_INET6);
	assert_string_equal(r.daddr, TEST_ADDR6);
	expect_query(&s.p, &r, "six.nr-test.example", true, NULL);
}

/*
 * A dual-stack program connects to the A answer's ::ffff:a.b.c.d from an
 * AF_INET6 socket: the kernel's IPv4 path, shown as IPv4, named as IPv4.
 */
static void test_v4_mapped(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_mapped",
			    .qname = "mapped.nr-test.example", .qtype = ns_t_a,
			    .server_family = AF_INET, .mapped = true };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	assert_string_equal(r.daddr, "127.1.2.12");
	expect_query(&s.p, &r, "mapped.nr-test.example", true, NULL);
}

/* An address that no answer mentioned. */
static void test_no_answer(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_none", .addr = "127.1.2.99" };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	/* An answer for another address first: the cache is not empty. */
	dq_run_must(&(struct dq_cfg){ .comm = "nr_dns_ask", .no_connect = true,
				      .qname = "a.nr-test.example",
				      .qtype = ns_t_a,
				      .server_family = AF_INET }, s.l, &r);
	dq_run_must(&c, s.l, &r);
	expect_query(&s.p, &r, "No DNS Query", false, NULL);
}

/* 127.0.0.1 and ::1 that no answer named are "localhost". */
static void test_localhost(void **state)
{
	struct dq_cfg c4 = { .comm = "nr_dns_lo4", .addr = "127.0.0.1" };
	struct dq_cfg c6 = { .comm = "nr_dns_lo6", .addr = "::1" };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c4, s.l, &r);
	expect_query(&s.p, &r, "localhost", false, NULL);
	dq_run_must(&c6, s.l, &r);
	assert_int_equal(r.family, AF_INET6);
	expect_query(&s.p, &r, "localhost", false, NULL);
}

/* BCC looks in its cache first: an answer naming 127.0.0.1 or ::1 wins. */
static void test_localhost_answered(void **state)
{
	struct dq_cfg c4 = { .comm = "nr_dns_lon4", .qname = "lo.nr-test.example",
			     .qtype = ns_t_a, .server_family = AF_INET };
	struct dq_cfg c6 = { .comm = "nr_dns_lon6",
			     .qname = "lo6.nr-test.example",
			     .qtype = ns_t_aaaa, .server_family = AF_INET6 };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c4, s.l, &r);
	assert_string_equal(r.daddr, "127.0.0.1");
	expect_query(&s.p, &r, "lo.nr-test.example", true, NULL);
	dq_run_must(&c6, s.l, &r);
	assert_string_equal(r.daddr, "::1");
	expect_query(&s.p, &r, "lo6.nr-test.example", true, NULL);
}

/* Two answers for one address: the latest names it. */
static void test_latest_answer_wins(void **state)
{
	struct dq_cfg ask = { .comm = "nr_dns_first", .no_connect = true,
			      .qname = "first.nr-test.example",
			      .qtype = ns_t_a, .server_family = AF_INET };
	struct dq_cfg c = { .comm = "nr_dns_second",
			    .qname = "second.nr-test.example", .qtype = ns_t_a,
			    .server_family = AF_INET };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&ask, s.l, &r);
	dq_run_must(&c, s.l, &r);
	assert_string_equal(r.daddr, "127.1.2.9");
	expect_query(&s.p, &r, "second.nr-test.example", true, NULL);
}

/* An answer from a port other than 53 is not a DNS answer. */
static void test_not_port_53(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_odd", .qname = "odd.nr-test.example",
			    .qtype = ns_t_a, .server_family = AF_INET,
			    .server_port = ODD_PORT };
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	assert_string_equal(r.daddr, "127.1.2.10");
	expect_query(&s.p, &r, "No DNS Query", false, NULL);
}

/*
 * Connect 150 ms after the answer: the text row says how old it was,
 * " (N.NNNms)" after the name; JSON keeps the name alone and the age
 * as a number; both agree, and with the client's own measure.
 */
static void test_delay_note(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_slow",
			    .qname = "slow.nr-test.example", .qtype = ns_t_a,
			    .server_family = AF_INET, .delay_ms = DELAY_MS };
	double text_ms, json_ms;
	struct dq_result r;
	struct scene s;

	scene_start(state, &s);
	dq_run_must(&c, s.l, &r);
	if (r.delay_ms < DELAY_MS)
		fail_msg("the client waited %.3f ms, want >= %d", r.delay_ms,
			 DELAY_MS);
	json_ms = expect_query(&s.p, &r, "slow.nr-test.example", true,
			       &text_ms);
	if (text_ms < 0)
		fail_msg("'%s': no \" (N.NNNms)\" after the name %.3f ms "
			 "after the answer", s.p.text->cmdline, r.delay_ms);
	expect_age(s.p.text, "the delay note", text_ms, &r);
	expect_age(s.p.json, "query_age_ms", json_ms, &r);
}

/*
 * The tracers are stopped (SIGSTOP) while the client asks, waits and
 * connects, and only then go on: the age must still be the one between
 * the kernel's receipt of the answer and the connect, not a time taken
 * when the tracer got round to reading its sockets.
 */
static void test_age_from_kernel_time(void **state)
{
	struct dq_cfg c = { .comm = "nr_dns_stop",
			    .qname = "slow.nr-test.example", .qtype = ns_t_a,
			    .server_family = AF_INET, .delay_ms = DELAY_MS };
	struct dq_result r;
	struct scene s;
	double age, note;

	scene_start(state, &s);
	kill(s.p.text->pid, SIGSTOP);
	kill(s.p.json->pid, SIGSTOP);
	dq_run_must(&c, s.l, &r);
	nr_sleep_ms(DELAY_MS);
	kill(s.p.text->pid, SIGCONT);
	kill(s.p.json->pid, SIGCONT);
	age = expect_query(&s.p, &r, "slow.nr-test.example", true, &note);
	expect_age(s.p.json, "query_age_ms", age, &r);
	if (note < 0)
		fail_msg("'%s': no delay note %.3f ms after the answer",
			 s.p.text->cmdline, r.delay_ms);
}

/* -c with -d: a usage error, one line, exit 2, nothing attached. */
static void test_count_with_dns(void **state)
{
	struct nr_tracer_cfg cfg = {
		.applet = "tcpconnect",
		.args = NR_ARGS("-c", "-d"),
	};
	struct nr_tracer *t;

	nr_test_begin(state);
	t = nr_usage_error_must(*state, &cfg);
	if (!strstr(t->err.lines[0], "-c") || !strstr(t->err.lines[0], "-d"))
		fail_msg("'%s': the error does not name -c and -d: %s",
			 t->cmdline, t->err.lines[0]);
}

/* ---- the suite's network namespace ------------------------------------ */

static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -1;

	if (fd < 0)
		return -1;
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* `ip -6 addr add TEST_ADDR6/128 dev lo nodad`, by rtnetlink. */
static int lo_add_addr6(void)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
			.nlmsg_type = RTM_NEWADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
				       NLM_F_CREATE | NLM_F_EXCL,
			.nlmsg_seq = 1,
		},
		.ifa = {
			.ifa_family = AF_INET6,
			.ifa_prefixlen = 128,
			.ifa_flags = IFA_F_NODAD,
			.ifa_scope = RT_SCOPE_UNIVERSE,
			.ifa_index = if_nametoindex("lo"),
		},
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct rtattr *rta;
	int fd, ret = -1;

	for (int type = IFA_LOCAL; type >= IFA_ADDRESS; type--) {
		rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		rta->rta_type = type;
		rta->rta_len = RTA_LENGTH(16);
		inet_pton(AF_INET6, TEST_ADDR6, RTA_DATA(rta));
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + rta->rta_len;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (send(fd, &req, req.nh.nlmsg_len, 0) == (ssize_t)req.nh.nlmsg_len &&
	    recv(fd, &ack, sizeof(ack), 0) >= (ssize_t)sizeof(ack) &&
	    ack.nh.nlmsg_type == NLMSG_ERROR) {
		errno = -ack.err.error;
		ret = ack.err.error ? -1 : 0;
	}
	close(fd);
	return ret;
}

/* A private network namespace for the whole suite, with lo up. */
static int private_netns(void)
{
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "it_dns: unshare(CLONE_NEWNET): %s\n",
			strerror(errno));
		return -1;
	}
	if (lo_up()) {
		fprintf(stderr, "it_dns: bringing lo up: %s\n", strerror(errno));
		return -1;
	}
	if (lo_add_addr6()) {
		fprintf(stderr, "it_dns: adding %s to lo: %s (IPv6 disabled?)\n",
			TEST_ADDR6, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_res_nquery), T(test_a), T(test_cname_chain),
		T(test_several_a), T(test_aaaa_ipv6), T(test_v4_mapped),
		T(test_no_answer),
		T(test_localhost), T(test_localhost_answered),
		T(test_latest_answer_wins), T(test_not_port_53),
		T(test_delay_note), T(test_age_from_kernel_time),
		T(test_count_with_dns),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_dns", &skip_all))
		return 1;
	if (!skip_all && geteuid() == 0 && private_netns())
		return 1;
	rc = cmocka_run_group_tests_name("dns", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
