// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcpstates against ground truth this process makes itself: its own
 * listeners and connections on loopback (addresses and ports from
 * getsockname()), each socket's full state sequence for a normal close
 * either way, a reset, a refused connect and a SYN that times out, the
 * time spent in a state against the test's own clock, the filters, the
 * text formats byte for byte against BCC's printf formats, and -Y read
 * back from a systemd-journald of the test's own.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BANNER		"Tracing TCP state changes ... Hit Ctrl-C to end"
#define MAX_EVENTS	64
#define HOLD_MS		150	/* a connection is held open this long */
#define COMM		"nr_it_states"

static const struct nr_jkey event_keys[] = {
	{ "time", JSON_STRING }, { "time_s", JSON_REAL },
	{ "skaddr", JSON_STRING }, { "pid", JSON_INTEGER },
	{ "comm", JSON_STRING }, { "ip", JSON_INTEGER },
	{ "laddr", JSON_STRING }, { "lport", JSON_INTEGER },
	{ "raddr", JSON_STRING }, { "rport", JSON_INTEGER },
	{ "oldstate", JSON_STRING }, { "newstate", JSON_STRING },
	{ "ms", JSON_REAL }, { NULL, 0 },
};

static void ts_cfg(struct nr_tracer_cfg *cfg, const char *const *args)
{
	nr_applet_cfg(cfg, "tcpstates", args, BANNER);
	if (cfg->ready_fd == NR_OUT) {
		/* No banner: the header, printed once attached. */
		cfg->banner = "SKADDR";
		cfg->banner_substr = true;
	} else {
		cfg->schema = event_keys;
	}
}

static struct nr_tracer *ts_start(struct nr_ctx *ctx, const char *const *args)
{
	return nr_applet_start_must(ctx, ts_cfg, args);
}

/* ---- sockets of this process ---- */

struct ep {
	char addr[INET6_ADDRSTRLEN];
	int port;
};

/* A listener on family's loopback (a v6 socket for "mapped"). */
static int listener(int family, struct ep *e, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = nr_sockaddr(family, nr_loopback(family), 0, &ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) ||
	    listen(fd, backlog) || getsockname(fd, (struct sockaddr *)&ss, &len))
		fail_msg("listener on %s: %s", nr_loopback(family), strerror(errno));
	snprintf(e->addr, sizeof(e->addr), "%s", nr_loopback(family));
	e->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/*
 * Connect to port on addr from a socket of family; mapped: an IPv6
 * socket to ::ffff:127.0.0.1.  The client's own address and port, as
 * the tracepoint has them (an IPv6 socket's, mapped or not), in *me.
 */
static int connect_to(int family, const char *addr, int port, struct ep *me,
		      int *err)
{
	struct sockaddr_storage ss;
	socklen_t len = nr_sockaddr(family, addr, port, &ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail_msg("socket: %s", strerror(errno));
	*err = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	if (*err)
		return fd;
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, me->addr, sizeof(me->addr));
		me->port = ntohs(s6->sin6_port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, me->addr, sizeof(me->addr));
		me->port = ntohs(s4->sin_port);
	}
	return fd;
}

static void write_all(int fd, size_t n)
{
	char buf[4096] = { 0 };
	ssize_t w;

	while (n) {
		w = write(fd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (w <= 0)
			fail_msg("write: %s", strerror(errno));
		n -= w;
	}
}

/* Read until EOF (the peer's FIN): the bytes read. */
static size_t read_to_eof(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	if (r < 0)
		fail_msg("read: %s", strerror(errno));
	return total;
}

static void reset_close(int fd)
{
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)) || close(fd))
		fail_msg("reset: %s", strerror(errno));
}

/* ---- the events ---- */

struct ts_ev {
	char sk[24];
	long long pid, ip, lport, rport;
	char comm[32], laddr[64], raddr[64], old[16], new[16];
	double ms;
	char raw[512];
};

struct collect {
	int ports[4];		/* events with one of these as lport or rport */
	int nports;
	struct ts_ev ev[MAX_EVENTS];
	int n;
};

static bool ours(const struct collect *c, long long lport, long long rport)
{
	int i;

	for (i = 0; i < c->nports; i++)
		if (lport == c->ports[i] || rport == c->ports[i])
			return true;
	return false;
}

static bool on_event(struct nr_tracer *t, json_t *o, void *arg)
{
	struct collect *c = arg;
	struct ts_ev *e;

	(void)t;
	if (!ours(c, nr_jint(o, "lport"), nr_jint(o, "rport")))
		return true;
	if (c->n == MAX_EVENTS)
		fail_msg("more than %d events of ports %d...", MAX_EVENTS,
			 c->ports[0]);
	e = &c->ev[c->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->sk, sizeof(e->sk), "%s", nr_jstr(o, "skaddr"));
	e->pid = nr_jint(o, "pid");
	e->ip = nr_jint(o, "ip");
	e->lport = nr_jint(o, "lport");
	e->rport = nr_jint(o, "rport");
	snprintf(e->comm, sizeof(e->comm), "%s", nr_jstr(o, "comm"));
	snprintf(e->laddr, sizeof(e->laddr), "%s", nr_jstr(o, "laddr"));
	snprintf(e->raddr, sizeof(e->raddr), "%s", nr_jstr(o, "raddr"));
	snprintf(e->old, sizeof(e->old), "%s", nr_jstr(o, "oldstate"));
	snprintf(e->new, sizeof(e->new), "%s", nr_jstr(o, "newstate"));
	e->ms = json_number_value(json_object_get(o, "ms"));
	nr_json_raw(o, e->raw, sizeof(e->raw));
	return true;
}

/* Until want events of ours, or no event came for half a second. */
static void collect(struct nr_tracer *t, struct collect *c, int want)
{
	nr_events_collect(t, &c->n, want, NR_EVENT_TIMEOUT_MS, 500, on_event,
			  c);
}

/* "OLD>NEW OLD>NEW ..." of the socket with address sk, in order. */
static const char *sequence(const struct collect *c, const char *sk,
			    char *buf, size_t n)
{
	size_t pos = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->ev[i].sk, sk))
			pos += snprintf(buf + pos, n - pos, "%s%s>%s",
					pos ? " " : "", c->ev[i].old,
					c->ev[i].new);
	return buf;
}

/*
 * The events, on stderr (a failure message is cut short): what the
 * message then ends with.
 */
static const char *dump(const struct collect *c)
{
	int i;

	fprintf(stderr, "events of ports");
	for (i = 0; i < c->nports; i++)
		fprintf(stderr, " %d", c->ports[i]);
	fprintf(stderr, ":\n");
	for (i = 0; i < c->n; i++)
		fprintf(stderr, "  %s\n", c->ev[i].raw);
	return " (events above)";
}

/* The first event old>new on the socket that has local port lport. */
static const struct ts_ev *find(const struct collect *c, long long lport,
				const char *old, const char *new)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->ev[i].lport == lport && !strcmp(c->ev[i].old, old) &&
		    !strcmp(c->ev[i].new, new))
			return &c->ev[i];
	return NULL;
}

static const struct ts_ev *find_must(const struct collect *c, long long lport,
				     const char *old, const char *new)
{
	const struct ts_ev *e = find(c, lport, old, new);

	if (!e)
		fail_msg("no %s -> %s event with LPORT %lld; events:%s", old,
			 new, lport, dump(c));
	return e;
}

/* The first event of the socket of e: the connect's CLOSE -> SYN_SENT has
 * no local port yet, so it is found by the socket's address. */
static const struct ts_ev *first_of(const struct collect *c,
				    const struct ts_ev *e)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->ev[i].sk, e->sk))
			return &c->ev[i];
	return e;
}

/* The socket's whole sequence, the one its first event old>new is on. */
static void expect_sequence(const struct collect *c, long long lport,
			    const char *first_old, const char *first_new,
			    const char *want)
{
	const struct ts_ev *e = find_must(c, lport, first_old, first_new);
	char got[512];

	sequence(c, e->sk, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("socket %s (LPORT %lld): states\n  %s\nwant\n  %s\nevents:%s",
			 e->sk, lport, got, want, dump(c));
}

/*
 * An event's addresses; with mine, one of this process's own doing (a
 * system call's: connect(), listen(), shutdown(), close()), so its pid
 * and comm too.  A change a received segment or a timer makes runs in
 * whatever task the softirq interrupted, ksoftirqd or none: no pid.
 */
static void expect_ev(const struct ts_ev *e, bool mine, int ip,
		      const struct ep *l, const struct ep *r)
{
	char comm[16];

	prctl(PR_GET_NAME, comm);
	if ((mine && (e->pid != getpid() || strcmp(e->comm, comm))) ||
	    e->ip != ip ||
	    strcmp(e->laddr, l->addr) || e->lport != l->port ||
	    strcmp(e->raddr, r->addr) || e->rport != r->port)
		fail_msg("event\n  %s\nwant pid %d comm %s ip %d %s:%d -> %s:%d",
			 e->raw, mine ? (int)getpid() : 0, mine ? comm : "any",
			 ip, l->addr, l->port, r->addr, r->port);
}

static void expect_mine(const struct ts_ev *e, int ip, const struct ep *l,
			const struct ep *r)
{
	expect_ev(e, true, ip, l, r);
}

static void expect_pair(const struct ts_ev *e, int ip, const struct ep *l,
			const struct ep *r)
{
	expect_ev(e, false, ip, l, r);
}

/* ms within [lo, hi] milliseconds. */
static void expect_ms(const struct ts_ev *e, double lo, double hi)
{
	if (e->ms < lo || e->ms > hi)
		fail_msg("%s -> %s: MS %.3f, want %.3f to %.3f (the test's own clock)\n  %s",
			 e->old, e->new, e->ms, lo, hi, e->raw);
}

/* ---- a connection's life, closed either way ---- */

static const struct ep any4 = { "0.0.0.0", 0 }, any6 = { "::", 0 };

enum closer { CLIENT_FIRST, SERVER_FIRST };

static void life(void **state, int lfamily, int cfamily, const char *caddr,
		 enum closer who)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = ts_start(ctx, NR_ARGS("-j"));
	struct ep lis, cli, srv, peer, pre;
	struct collect c = { .nports = 1 };
	const struct ts_ev *syn;
	int lfd, cfd, sfd, err, ip = cfamily == AF_INET6 ? 6 : 4;
	int64_t t0, held;

	prctl(PR_SET_NAME, COMM);
	lfd = listener(lfamily, &lis, 8);
	c.ports[0] = lis.port;
	t0 = nr_now_ms();
	cfd = connect_to(cfamily, caddr, lis.port, &cli, &err);
	if (err)
		fail_msg("connect to %s:%d: %s", caddr, lis.port, strerror(err));
	sfd = accept(lfd, NULL, NULL);
	write_all(cfd, 1000);
	write_all(sfd, 2000);
	nr_sleep_ms(HOLD_MS);
	/* The peer reads all, so that closing sends a FIN, not a reset. */
	if (who == CLIENT_FIRST) {
		shutdown(cfd, SHUT_WR);
		read_to_eof(sfd);
		held = nr_now_ms() - t0;
		close(sfd);
		read_to_eof(cfd);
		close(cfd);
	} else {
		shutdown(sfd, SHUT_WR);
		read_to_eof(cfd);
		held = nr_now_ms() - t0;
		close(cfd);
		read_to_eof(sfd);
		close(sfd);
	}
	close(lfd);
	/* listener 2, client 5, server 5 */
	collect(t, &c, 12);
	nr_tracer_stop_must(t);

	srv = lis;
	peer = cli;
	expect_sequence(&c, lis.port, "CLOSE", "LISTEN",
			"CLOSE>LISTEN LISTEN>CLOSE");
	expect_mine(find_must(&c, lis.port, "CLOSE", "LISTEN"),
		    lfamily == AF_INET6 ? 6 : 4, &lis,
		    lfamily == AF_INET6 ? &any6 : &any4);
	expect_sequence(&c, cli.port, "SYN_SENT", "ESTABLISHED",
			who == CLIENT_FIRST ?
			"CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE" :
			"CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE");
	expect_sequence(&c, lis.port, "LISTEN", "SYN_RECV",
			who == SERVER_FIRST ?
			"LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE" :
			"LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE");
	/* Before the port is chosen: the address only. */
	syn = first_of(&c, find_must(&c, cli.port, "SYN_SENT", "ESTABLISHED"));
	pre = lis;
	pre.port = 0;
	expect_mine(syn, ip, &pre, &srv);
	if (strcmp(syn->old, "CLOSE") || strcmp(syn->new, "SYN_SENT"))
		fail_msg("the client's first change is not CLOSE -> SYN_SENT:%s",
			 dump(&c));
	expect_pair(find_must(&c, cli.port, "SYN_SENT", "ESTABLISHED"), ip,
		    &cli, &srv);
	expect_pair(find_must(&c, lis.port, "SYN_RECV", "ESTABLISHED"), ip,
		    &srv, &peer);
	if (who == CLIENT_FIRST) {
		const struct ts_ev *e = find_must(&c, cli.port, "ESTABLISHED",
						  "FIN_WAIT1");

		expect_mine(e, ip, &cli, &srv);
		expect_mine(find_must(&c, lis.port, "CLOSE_WAIT", "LAST_ACK"),
			    ip, &srv, &peer);
		/* Established from before connect() returned to now. */
		expect_ms(e, HOLD_MS, held + 1);
	} else {
		const struct ts_ev *e = find_must(&c, lis.port, "ESTABLISHED",
						  "FIN_WAIT1");

		expect_mine(e, ip, &srv, &peer);
		expect_mine(find_must(&c, cli.port, "CLOSE_WAIT", "LAST_ACK"),
			    ip, &cli, &srv);
		expect_ms(e, HOLD_MS, held + 1);
	}
	/* The first change of a socket: no time in the old state known. */
	expect_ms(syn, 0, 0);
}

static void test_client_closes_v4(void **state)
{
	life(state, AF_INET, AF_INET, "127.0.0.1", CLIENT_FIRST);
}

static void test_server_closes_v4(void **state)
{
	life(state, AF_INET, AF_INET, "127.0.0.1", SERVER_FIRST);
}

static void test_client_closes_v6(void **state)
{
	life(state, AF_INET6, AF_INET6, "::1", CLIENT_FIRST);
}

static void test_server_closes_v6(void **state)
{
	life(state, AF_INET6, AF_INET6, "::1", SERVER_FIRST);
}

/*
 * IPv4-mapped: an IPv6 client to an IPv4 listener.  The tracepoint
 * records the client socket as IPv6 with mapped addresses, and BCC
 * prints them so (no unmapping, unlike tcpconnect).
 */
static void test_mapped(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = ts_start(ctx, NR_ARGS("-j"));
	struct collect c = { .nports = 1 };
	struct ep lis, cli, srv = { "::ffff:127.0.0.1", 0 };
	int lfd, cfd, sfd, err;

	prctl(PR_SET_NAME, COMM);
	lfd = listener(AF_INET, &lis, 8);
	c.ports[0] = srv.port = lis.port;
	cfd = connect_to(AF_INET6, "::ffff:127.0.0.1", lis.port, &cli, &err);
	if (err)
		fail_msg("connect to ::ffff:127.0.0.1: %s", strerror(err));
	sfd = accept(lfd, NULL, NULL);
	reset_close(cfd);
	close(sfd);
	close(lfd);
	collect(t, &c, 8);
	nr_tracer_stop_must(t);
	expect_sequence(&c, cli.port, "SYN_SENT", "ESTABLISHED",
			"CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>CLOSE");
	expect_pair(find_must(&c, cli.port, "SYN_SENT", "ESTABLISHED"), 6,
		    &cli, &srv);
	expect_mine(find_must(&c, cli.port, "ESTABLISHED", "CLOSE"), 6, &cli,
		    &srv);
	/* The server's side is an IPv4 socket. */
	if (find_must(&c, lis.port, "SYN_RECV", "ESTABLISHED")->ip != 4)
		fail_msg("the accepted side of a mapped connection is not IPv4:%s",
			 dump(&c));
}

/* A reset: both sides go from ESTABLISHED straight to CLOSE. */
static void test_reset(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = ts_start(ctx, NR_ARGS("-j"));
	struct collect c = { .nports = 1 };
	struct ep lis, cli;
	int lfd, cfd, sfd, err;

	lfd = listener(AF_INET, &lis, 8);
	c.ports[0] = lis.port;
	cfd = connect_to(AF_INET, lis.addr, lis.port, &cli, &err);
	if (err)
		fail_msg("connect: %s", strerror(err));
	sfd = accept(lfd, NULL, NULL);
	reset_close(cfd);
	nr_sleep_ms(20);
	close(sfd);
	close(lfd);
	collect(t, &c, 8);
	nr_tracer_stop_must(t);
	expect_sequence(&c, cli.port, "SYN_SENT", "ESTABLISHED",
			"CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>CLOSE");
	expect_sequence(&c, lis.port, "LISTEN", "SYN_RECV",
			"LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE");
	expect_mine(find_must(&c, cli.port, "ESTABLISHED", "CLOSE"), 4, &cli,
		    &lis);
}

/* Refused: SYN_SENT, then CLOSE at the RST, within connect(). */
static void test_refused(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = ts_start(ctx, NR_ARGS("-j"));
	struct collect c = { .nports = 1 };
	const struct ts_ev *e;
	struct ep cli;
	int fd, err, port = nr_closed_port_must(AF_INET);
	int64_t t0, took;
	char seq[256];

	c.ports[0] = port;
	t0 = nr_now_ms();
	fd = connect_to(AF_INET, "127.0.0.1", port, &cli, &err);
	took = nr_now_ms() - t0;
	close(fd);
	if (err != ECONNREFUSED)
		fail_msg("connect to closed port %d: %s", port, strerror(err));
	collect(t, &c, 2);
	nr_tracer_stop_must(t);
	e = &c.ev[0];
	if (c.n != 2)
		fail_msg("refused connect: %d events, want 2:%s", c.n, dump(&c));
	sequence(&c, e->sk, seq, sizeof(seq));
	if (strcmp(seq, "CLOSE>SYN_SENT SYN_SENT>CLOSE"))
		fail_msg("refused connect: %s:%s", seq, dump(&c));
	if (c.ev[0].pid != getpid() || c.ev[0].rport != port)
		fail_msg("refused connect: not this process's, or not to port %d:%s",
			 port, dump(&c));
	expect_ms(&c.ev[1], 0, took + 1);
}

/*
 * A SYN nobody answers: a listener whose accept queue is full drops it
 * (backlog 0 holds one connection), and with TCP_SYNCNT 1 the kernel
 * gives up after the first retransmission: SYN_SENT for ~3 s, measured
 * by the test around connect().
 */
static void test_syn_timeout(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = ts_start(ctx, NR_ARGS("-j"));
	struct collect c = { .nports = 1 };
	struct sockaddr_storage ss;
	const struct ts_ev *e;
	int lfd, first, fd, err, one = 1;
	struct ep lis, cli;
	socklen_t len;
	int64_t t0, took;

	lfd = listener(AF_INET, &lis, 0);
	c.ports[0] = lis.port;
	first = connect_to(AF_INET, lis.addr, lis.port, &cli, &err);
	if (err)
		fail_msg("first connect: %s", strerror(err));
	nr_sleep_ms(50);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	len = nr_sockaddr(AF_INET, lis.addr, lis.port, &ss);
	if (setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)))
		fail_msg("TCP_SYNCNT: %s", strerror(errno));
	t0 = nr_now_ms();
	err = connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
	took = nr_now_ms() - t0;
	if (err != ETIMEDOUT)
		fail_msg("connect to a full listener: %s after %lld ms, want a timeout",
			 strerror(err), (long long)took);
	close(fd);
	close(first);
	close(lfd);
	/* listener 2, first client 3+, its server side 2+, ours 2 */
	collect(t, &c, 9);
	nr_tracer_stop_must(t);
	e = NULL;
	for (int i = 0; i < c.n; i++)
		if (!strcmp(c.ev[i].old, "SYN_SENT") &&
		    !strcmp(c.ev[i].new, "CLOSE"))
			e = &c.ev[i];
	/*
	 * The timeout's change runs in a timer softirq: if that interrupted
	 * a BPF program on its CPU, the kernel skipped ours, and netrace
	 * must have said so (Linux 6.7+ counts skipped tracepoint runs).
	 */
	if (!e && nr_tracer_stderr_has(t, "the kernel skipped netrace's programs")) {
		print_message("  no SYN_SENT -> CLOSE, and netrace said why: %s",
			      nr_tracer_stderr(t));
		return;
	}
	if (!e)
		fail_msg("no SYN_SENT -> CLOSE for the timed-out connect:%s\nstderr:\n%s",
			 dump(&c), nr_tracer_stderr(t));
	/* SYN_SENT from inside connect() to its timeout inside it. */
	expect_ms(e, took * 0.9 - 50, took + 1);
}

/* ---- filters ---- */

/* One connection, reset at once; the tracer's events of it, counted. */
static int one_connection(struct nr_tracer *t, int family, struct ep *lis,
			  struct ep *cli, struct collect *c, int want)
{
	int lfd, cfd, sfd, err;

	lfd = listener(family, lis, 8);
	c->ports[c->nports++] = lis->port;
	cfd = connect_to(family, lis->addr, lis->port, cli, &err);
	if (err)
		fail_msg("connect: %s", strerror(err));
	sfd = accept(lfd, NULL, NULL);
	reset_close(cfd);
	close(sfd);
	close(lfd);
	collect(t, c, want);
	return c->n;
}

static void test_filter_ports(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct ep lis, cli;
	struct collect c = { 0 };
	struct nr_tracer *tl, *td;
	char lport[16], dport[16];
	int lfd, cfd, sfd, err, i;

	/* The listener first: its port is the filter's. */
	lfd = listener(AF_INET, &lis, 8);
	snprintf(lport, sizeof(lport), "1,%d", lis.port);
	snprintf(dport, sizeof(dport), "%d", lis.port);
	tl = ts_start(ctx, NR_ARGS("-j", "-L", lport));
	td = ts_start(ctx, NR_ARGS("-j", "-D", dport));
	cfd = connect_to(AF_INET, lis.addr, lis.port, &cli, &err);
	if (err)
		fail_msg("connect: %s", strerror(err));
	sfd = accept(lfd, NULL, NULL);
	reset_close(cfd);
	close(sfd);
	close(lfd);
	c.ports[c.nports++] = lis.port;
	/* -L: the listener's LISTEN -> CLOSE and the server side's 3. */
	collect(tl, &c, 4);
	nr_tracer_stop_must(tl);
	for (i = 0; i < c.n; i++)
		if (c.ev[i].lport != lis.port)
			fail_msg("-L %s let through:\n  %s", lport, c.ev[i].raw);
	if (c.n != 4)
		fail_msg("-L %s: %d events, want 4:%s", lport, c.n, dump(&c));
	/* -D: the client's, after its port was chosen (SYN_SENT has it). */
	c.n = 0;
	collect(td, &c, 3);
	nr_tracer_stop_must(td);
	for (i = 0; i < c.n; i++)
		if (c.ev[i].rport != lis.port || c.ev[i].lport == lis.port)
			fail_msg("-D %s let through:\n  %s", dport, c.ev[i].raw);
	if (c.n != 3)
		fail_msg("-D %s: %d events, want 3 (CLOSE>SYN_SENT, SYN_SENT>ESTABLISHED, ESTABLISHED>CLOSE):%s",
			 dport, c.n, dump(&c));
}

static void test_filter_family(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t4 = ts_start(ctx, NR_ARGS("-j", "-4"));
	struct nr_tracer *t6 = ts_start(ctx, NR_ARGS("-j", "-6"));
	struct collect c4 = { 0 }, c6 = { 0 };
	struct ep l4, l6, cli;
	int i;

	one_connection(t4, AF_INET, &l4, &cli, &c4, 8);
	one_connection(t6, AF_INET6, &l6, &cli, &c6, 8);
	/* Each tracer: the other family's connection is not there. */
	c4.ports[c4.nports++] = l6.port;
	c6.ports[c6.nports++] = l4.port;
	collect(t4, &c4, 100);
	collect(t6, &c6, 100);
	nr_tracer_stop_must(t4);
	nr_tracer_stop_must(t6);
	for (i = 0; i < c4.n; i++)
		if (c4.ev[i].ip != 4)
			fail_msg("-4 let through:\n  %s", c4.ev[i].raw);
	for (i = 0; i < c6.n; i++)
		if (c6.ev[i].ip != 6)
			fail_msg("-6 let through:\n  %s", c6.ev[i].raw);
	if (c4.n != 8 || c6.n != 8)
		fail_msg("-4: %d events, -6: %d, want 8 each", c4.n, c6.n);
}

/* ---- text formats: rows of the JSON events in BCC's printf formats ---- */

static const char *hdr(char *b, size_t n, bool wide, bool csv, bool T, bool ts)
{
	size_t p = 0;

	if (csv)
		p += snprintf(b + p, n - p, "%s%s", T ? "TIME," : "",
			      ts ? "TIME(s)," : "");
	else
		p += snprintf(b + p, n - p, "%s%s", T ? "TIME     " : "",
			      ts ? "TIME(s)   " : "");
	if (csv)
		snprintf(b + p, n - p, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s",
			 "SKADDR", "C-PID", "C-COMM", "IP", "LADDR", "LPORT",
			 "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS");
	else if (wide)
		snprintf(b + p, n - p, "%-16s %-5s %-16.16s %-2s %-26s %-5s %-26s %-5s %-11s -> %-11s %s",
			 "SKADDR", "C-PID", "C-COMM", "IP", "LADDR", "LPORT",
			 "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS");
	else
		snprintf(b + p, n - p, "%-16s %-5s %-10.10s %s%-15s %-5s %-15s %-5s %-11s -> %-11s %s",
			 "SKADDR", "C-PID", "C-COMM", "", "LADDR", "LPORT",
			 "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS");
	return b;
}

/*
 * Field i of a text row (csv: comma-separated), -1: the last, as a
 * number; NAN if there is none.
 */
static double num_field(const char *line, bool csv, int i)
{
	char buf[64];
	const char *p = line, *end;
	int k = 0, n = 0;

	if (i < 0) {
		p = strrchr(line, csv ? ',' : ' ');
		return p ? atof(p + 1) : NAN;
	}
	for (;;) {
		while (!csv && *p == ' ')
			p++;
		end = p + strcspn(p, csv ? "," : " ");
		if (k++ == i) {
			n = end - p < (int)sizeof(buf) - 1 ? end - p : (int)sizeof(buf) - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return atof(buf);
		}
		if (!*end)
			return NAN;
		p = end + 1;
	}
}

/* Seconds of the day of a leading HH:MM:SS, -100 if there is none. */
static int hms_secs(const char *s)
{
	int h, m, sec;

	if (sscanf(s, "%2d:%2d:%2d", &h, &m, &sec) != 3 || s[2] != ':' ||
	    s[5] != ':')
		return -100;
	return h * 3600 + m * 60 + sec;
}

/*
 * The text tracer's number where it is within tol of the JSON one's: two
 * tracers take their own clock readings of an event, microseconds apart
 * (more when one of the two programs was preempted, on a busy machine).
 * The format is still checked, on the text tracer's value; the values
 * themselves are the life tests'.
 */
static double near(double mine, double theirs, double tol)
{
	return fabs(mine - theirs) <= tol ? mine : theirs;
}

static const char *row(char *b, size_t n, json_t *o, const char *line,
		       bool wide, bool csv, bool T, bool ts)
{
	unsigned long long sk = strtoull(nr_jstr(o, "skaddr"), NULL, 16);
	double ms = near(num_field(line, csv, -1),
			 json_number_value(json_object_get(o, "ms")), 100);
	/*
	 * The first event each tracer saw, from which it counts seconds,
	 * need not be the same: only the format of TIME(s) is checked.
	 */
	double secs = num_field(line, csv, T ? 1 : 0);
	char comm[32], ip[4], hms[16];
	size_t p = 0;

	nr_sanitize(comm, sizeof(comm), nr_jstr(o, "comm"));
	snprintf(ip, sizeof(ip), "%lld", nr_jint(o, "ip"));
	if (T)	/* its own reading of the wall clock: within a second */
		p += snprintf(b + p, n - p, csv ? "%s," : "%-8s ",
			      abs(hms_secs(line) - hms_secs(nr_jstr(o, "time"))) <= 1 ?
			      (snprintf(hms, sizeof(hms), "%.8s", line), hms) :
			      nr_jstr(o, "time"));
	if (ts)
		p += snprintf(b + p, n - p, csv ? "%.6f," : "%-9.6f ", secs);
	if (csv)
		snprintf(b + p, n - p, "%llx,%lld,%s,%s,%s,%lld,%s,%lld,%s,%s,%.3f",
			 sk, nr_jint(o, "pid"), comm, ip, nr_jstr(o, "laddr"),
			 nr_jint(o, "lport"), nr_jstr(o, "raddr"),
			 nr_jint(o, "rport"), nr_jstr(o, "oldstate"),
			 nr_jstr(o, "newstate"), ms);
	else
		snprintf(b + p, n - p, wide ?
			 "%-16llx %-5lld %-16.16s %-2s %-26s %-5lld %-26s %-5lld %-11s -> %-11s %.3f" :
			 "%-16llx %-5lld %-10.10s %s%-15s %-5lld %-15s %-5lld %-11s -> %-11s %.3f",
			 sk, nr_jint(o, "pid"), comm, wide ? ip : "",
			 nr_jstr(o, "laddr"), nr_jint(o, "lport"),
			 nr_jstr(o, "raddr"), nr_jint(o, "rport"),
			 nr_jstr(o, "oldstate"), nr_jstr(o, "newstate"), ms);
	return b;
}

/*
 * The text row of the JSON event o: the one with its socket address and
 * states (other processes' events may come between, in any order).
 */
static const char *text_row_of(struct nr_tracer *tt, json_t *o, bool csv)
{
	char sk[32], st[64];
	size_t i;

	snprintf(sk, sizeof(sk), csv ? ",%s," : " %s ", nr_jstr(o, "skaddr"));
	snprintf(st, sizeof(st), csv ? ",%s,%s," : " %-11s -> %-11s ",
		 nr_jstr(o, "oldstate"), nr_jstr(o, "newstate"));
	for (i = 1; i < tt->out.nlines; i++) {
		char line[600];

		/* A leading separator for the first column's sake. */
		snprintf(line, sizeof(line), "%c%s", csv ? ',' : ' ',
			 tt->out.lines[i]);
		if (strstr(line, sk) && strstr(line, st))
			return tt->out.lines[i];
	}
	fail_msg("'%s': no row for %s", tt->cmdline, nr_json_raw(o, st, 0));
	return NULL;
}

/*
 * A text tracer and a JSON one side by side: each of this test's events
 * in text is BCC's format of the JSON event (the clock readings each
 * tracer makes itself only within a tolerance).
 */
static void text_format(void **state, const char *const *args, bool wide,
			bool csv, bool T, bool ts)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *tj = ts_start(ctx, NR_ARGS("-j"));
	struct nr_tracer *tt = ts_start(ctx, args);
	char want[512], name[] = "nr_it_st\x01\x7f";
	const char *line;
	struct ep lis, cli;
	struct collect c = { 0 };
	size_t i;
	int got = 0;
	json_t *o;

	prctl(PR_SET_NAME, name);
	one_connection(tj, AF_INET6, &lis, &cli, &c, 8);
	nr_tracer_stop_must(tj);
	nr_tracer_stop_must(tt);
	/* The header was the ready line: the first stdout line. */
	hdr(want, sizeof(want), wide, csv, T, ts);
	nr_expect_line(tt, "header", tt->out.lines[0], want);
	for (i = 0; i < tj->out.nlines; i++) {
		o = json_loads(tj->out.lines[i], 0, NULL);
		assert_non_null(o);
		if (ours(&c, nr_jint(o, "lport"), nr_jint(o, "rport"))) {
			line = text_row_of(tt, o, csv);
			row(want, sizeof(want), o, line, wide, csv, T, ts);
			nr_expect_line(tt, "row", line, want);
			got++;
		}
		json_decref(o);
	}
	if (got != 8)
		fail_msg("%d rows compared, want 8", got);
}

static void test_text_default(void **state)
{
	text_format(state, NULL, false, false, false, false);
}

static void test_text_wide_times(void **state)
{
	text_format(state, NR_ARGS("-w", "-T", "-t"), true, false, true, true);
}

static void test_text_csv(void **state)
{
	text_format(state, NR_ARGS("-stT"), false, true, true, true);
}

static void test_text_csv_wide(void **state)
{
	text_format(state, NR_ARGS("-s", "-w", "-t"), true, true, false, true);
}

/* ---- -Y: entries read back from a journald of the test's own ---- */

#define JOURNALD	"/lib/systemd/systemd-journald"


/*
 * In a child with a mount namespace of its own: tmpfs over journald's
 * directories, journald started there, tcpstates -Y beside it, one
 * connection, then journalctl's JSON of the entries.  The parent checks.
 */
static void test_journal(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	char dir[256], cmd[2048], out[300];
	struct ep lis;
	int lfd, sfd, st;
	FILE *f;
	json_t *o;
	int found = 0, lines = 0;
	char buf[8192];
	pid_t pid;

	/*
	 * The kernel matrix's VMs have no journald: what -Y does is user
	 * space alone, the same on every kernel, and tested on the host,
	 * where a missing journald is a failure.
	 */
	if (getenv("NETRACE_VM") && access(JOURNALD, X_OK)) {
		print_message("no %s in the VM: -Y is tested on the host\n",
			      JOURNALD);
		return;
	}
	if (access(JOURNALD, X_OK))
		fail_msg("%s is not installed (package systemd): -Y is tested against it",
			 JOURNALD);
	nr_tmpdir_must(ctx, dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/journal.json", dir);
	lfd = listener(AF_INET, &lis, 8);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Private mounts: the host's journal (if any) stays out. */
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(10);
		mkdir("/run/systemd", 0755);
		mkdir("/run/log", 0755);
		if (mount("tmpfs", "/run/systemd", "tmpfs", 0, NULL) ||
		    mount("tmpfs", "/run/log", "tmpfs", 0, NULL))
			_exit(11);
		if (!access("/var/log/journal", F_OK) &&
		    mount("tmpfs", "/var/log/journal", "tmpfs", 0, NULL))
			_exit(12);
		snprintf(cmd, sizeof(cmd),
			 "%s & jd=$!; "
			 "for i in $(seq 50); do [ -S %s ] && break; sleep 0.1; done; "
			 "%s tcpstates -Y -L %d > %s/rows 2> %s/err & nr=$!; "
			 "for i in $(seq 100); do [ -s %s/rows ] && break; sleep 0.05; done; "
			 "exec 3<> /dev/tcp/127.0.0.1/%d; sleep 0.2; exec 3>&-; sleep 0.5; "
			 "kill -INT $nr; wait $nr; rc=$?; sleep 0.3; "
			 "journalctl -D /run/log/journal -t tcpstates -o json --no-pager > %s; "
			 "kill $jd; wait $jd; exit $rc",
			 JOURNALD, "/run/systemd/journal/socket", nr_netrace_path(),
			 lis.port, dir, dir, dir, lis.port, out);
		execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
		_exit(13);
	}
	/* The connection bash made: accept it here, then let it close. */
	sfd = accept(lfd, NULL, NULL);
	nr_sleep_ms(100);
	close(sfd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(lfd);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("journald and tcpstates -Y: exit status %d (stderr in %s/err)",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1, dir);
	f = fopen(out, "r");
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		const char *m, *old, *new;
		char want[256];

		lines++;
		o = json_loads(buf, 0, NULL);
		if (!o)
			fail_msg("journalctl printed a line that is not JSON: %s", buf);
		old = nr_jstr(o, "OBJECT_TCP_OLD_STATE");
		new = nr_jstr(o, "OBJECT_TCP_NEW_STATE");
		m = nr_jstr(o, "MESSAGE");
		if (!old || !new || !m || strcmp(nr_jstr(o, "PRIORITY"), "5") ||
		    !nr_jstr(o, "OBJECT_PID") || !nr_jstr(o, "OBJECT_TCP_SPAN_TIME") ||
		    strcmp(nr_jstr(o, "OBJECT_IPV4_SOURCE_ADDRESS"), "127.0.0.1") ||
		    strcmp(nr_jstr(o, "OBJECT_IPV4_DESTINATION_ADDRESS"),
			   strcmp(old, "CLOSE") || strcmp(new, "LISTEN") ?
			   "127.0.0.1" : "0.0.0.0"))
			fail_msg("journal entry lacks BCC's fields: %s", buf);
		/* LISTEN -> SYN_RECV etc.: the server side, our port. */
		if (atoi(nr_jstr(o, "OBJECT_TCP_SOURCE_PORT")) != lis.port)
			fail_msg("-L %d logged another port: %s", lis.port, buf);
		snprintf(want, sizeof(want), " %d \u2192 ", lis.port);
		if (!strstr(m, want) || !strstr(m, " \u2192 "))
			fail_msg("MESSAGE is not BCC's: %s", m);
		if (!strcmp(old, "SYN_RECV") && !strcmp(new, "ESTABLISHED"))
			found++;
		json_decref(o);
	}
	fclose(f);
	/* LISTEN>SYN_RECV, SYN_RECV>ESTABLISHED, then the close. */
	if (lines < 4 || found != 1)
		fail_msg("%d journal entries (want at least 4, one SYN_RECV -> ESTABLISHED: %d)",
			 lines, found);
}

int main(void)
{
#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)
	const struct CMUnitTest tests[] = {
		T(test_client_closes_v4), T(test_server_closes_v4),
		T(test_client_closes_v6), T(test_server_closes_v6),
		T(test_mapped), T(test_reset), T(test_refused),
		T(test_syn_timeout), T(test_filter_ports),
		T(test_filter_family), T(test_text_default),
		T(test_text_wide_times),
		T(test_text_csv), T(test_text_csv_wide), T(test_journal),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_tcpstates", &skip_all))
		return 1;
	rc = cmocka_run_group_tests_name("tcpstates", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
