// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Privileged integration tests of `netrace tcpconnlat`: every event is
 * compared field by field with what the connecting client saw itself,
 * and its latency with the client's own clock: the connect's whole time
 * (just before connect() to its end) brackets the latency the kernel
 * measured inside it.
 *
 * A slow peer, deterministically: a listener whose accept queue is full
 * drops the SYN, and the client's kernel sends it again after its
 * initial retransmission timeout (1 s); the test makes room in between,
 * once the drop is counted (ListenOverflows, in a network namespace of
 * the test's own).  One such connect per run: the suite stays fast.
 *
 * Other processes on the machine may connect while a test runs, so an
 * event is "ours" only when its pid AND lport match the client's.
 *
 * Environment: NETRACE (the binary, required), NETRACE_ATTACH and
 * NETRACE_BUFFER (added as --attach=/--buffer= to every tracer),
 * CI=true or NETRACE_REQUIRE_PRIV=1 (not root is a failure, not a skip),
 * NR_IT_FILTER (cmocka test-name filter).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "xdp_fixture.h"

/*
 * The line -v prints once the event buffer is open (with --buffer=perfbuf,
 * "attach strategy:" comes before it, while events still have nowhere to
 * go): JSON runs have no header to wait for.
 */
#define ATTACHED	"settings: tcl_min_us "
#define SLOW_MIN_MS	900	/* the SYN's retransmission comes after 1 s */
#define SLOW_WAIT_MS	5000	/* for the dropped SYN to be counted */

static const struct nr_jkey event_keys[] = {
	{ "time_s", JSON_REAL }, { "pid", JSON_INTEGER },
	{ "uid", JSON_INTEGER }, { "comm", JSON_STRING },
	{ "ip", JSON_INTEGER }, { "saddr", JSON_STRING },
	{ "lport", JSON_INTEGER }, { "daddr", JSON_STRING },
	{ "dport", JSON_INTEGER }, { "lat_ms", JSON_REAL }, { NULL, 0 },
};

static bool event_sane(json_t *o, char *why, size_t n)
{
	if (!nr_conn_event_sane(o, "saddr", "daddr", "lport", "dport", why, n))
		return false;
	if (json_number_value(json_object_get(o, "lat_ms")) < 0) {
		snprintf(why, n, "lat_ms < 0");
		return false;
	}
	return true;
}

/* ---- starting the tracer ---- */

/*
 * Text: the header is the first stdout line (BCC prints no banner).
 * JSON: stdout is events only; the tests add -v and wait for its line.
 */
static void tcl_cfg(struct nr_tracer_cfg *cfg, const char *const *args)
{
	bool json = nr_has_arg(args, "-j");

	nr_applet_cfg(cfg, "tcpconnlat", args, NULL);
	cfg->schema = event_keys;
	cfg->check = event_sane;
	if (json) {
		cfg->banner = ATTACHED;
		cfg->banner_substr = true;
	}
}

static struct nr_tracer *tcl_start_json(struct nr_ctx *ctx,
					const char *const *args)
{
	return nr_applet_start_must(ctx, tcl_cfg, args);
}

/* Text mode, banner = the exact header line. */
static struct nr_tracer *tcl_start_text(struct nr_ctx *ctx,
					const char *const *args,
					const char *header)
{
	struct nr_tracer_cfg cfg;

	tcl_cfg(&cfg, args);
	cfg.banner = header;
	return nr_tracer_start_must(ctx, &cfg);
}

/* BCC's header lines. */
static const char *header(char *buf, size_t n, bool lport, bool ts)
{
	int len = ts ? snprintf(buf, n, "%-9s", "TIME(s)") : 0;

	if (lport)
		snprintf(buf + len, n - len, "%-7s %-12s %-2s %-16s %-6s %-16s %-5s %s",
			 "PID", "COMM", "IP", "SADDR", "LPORT", "DADDR",
			 "DPORT", "LAT(ms)");
	else
		snprintf(buf + len, n - len, "%-7s %-12s %-2s %-16s %-16s %-5s %s",
			 "PID", "COMM", "IP", "SADDR", "DADDR", "DPORT",
			 "LAT(ms)");
	return buf;
}

/* ---- JSON events against the ground truth ---- */

struct tcl_event {
	long long pid, uid, ip, lport, dport;
	double lat_ms, time_s;
	char comm[64], saddr[64], daddr[64];
	char raw[1024];
};

static void tcl_decode(json_t *o, struct tcl_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = nr_jint(o, "pid");
	ev->uid = nr_jint(o, "uid");
	ev->ip = nr_jint(o, "ip");
	ev->lport = nr_jint(o, "lport");
	ev->dport = nr_jint(o, "dport");
	ev->lat_ms = json_number_value(json_object_get(o, "lat_ms"));
	ev->time_s = json_number_value(json_object_get(o, "time_s"));
	snprintf(ev->comm, sizeof(ev->comm), "%s", nr_jstr(o, "comm"));
	snprintf(ev->saddr, sizeof(ev->saddr), "%s", nr_jstr(o, "saddr"));
	snprintf(ev->daddr, sizeof(ev->daddr), "%s", nr_jstr(o, "daddr"));
	nr_json_raw(o, ev->raw, sizeof(ev->raw));
}

/*
 * The latency, in microseconds, inside the connect's own time: more
 * than 0 (nothing answers in no time) and at least min_ms, at most the
 * client's measurement (it began before connect() and ended after the
 * answer woke the client).
 */
static void check_latency(struct nr_tracer *t, const char *raw, long long us,
			  const struct nr_conn *c, int min_ms)
{
	long long outer_us = (c->end_ns - c->begin_ns) / 1000;

	if (us <= 0 || us < (long long)min_ms * 1000 || us > outer_us)
		fail_msg("'%s': latency %lld us, want in [%d ms, %lld us] "
			 "(the client's connect())\n  event: %s", t->cmdline,
			 us, min_ms, outer_us, raw);
}

/*
 * BCC does not unmap: an AF_INET6 socket is "6" with its own addresses,
 * ::ffff:a.b.c.d included, as the client's getsockname() spells them.
 */
static void tcl_check_event(struct nr_tracer *t, const struct tcl_event *ev,
			    const struct nr_conn *c, int min_ms)
{
	NR_CHECK_INT(t, ev, "pid", ev->pid, c->pid);
	NR_CHECK_INT(t, ev, "uid", ev->uid, c->uid);
	NR_CHECK_STR(t, ev, "comm", ev->comm, c->comm);
	NR_CHECK_INT(t, ev, "ip", ev->ip, c->family == AF_INET6 ? 6 : 4);
	NR_CHECK_STR(t, ev, "saddr", ev->saddr, c->saddr);
	NR_CHECK_INT(t, ev, "lport", ev->lport, c->lport);
	NR_CHECK_STR(t, ev, "daddr", ev->daddr, c->daddr);
	NR_CHECK_INT(t, ev, "dport", ev->dport, c->dport);
	check_latency(t, ev->raw, llround(ev->lat_ms * 1000), c, min_ms);
}

/* c's event (pid AND lport), fields checked; no dropped pid's meanwhile. */
static void tcl_expect_event(struct nr_tracer *t, const struct nr_conn *c,
			     const struct nr_drops *d, int min_ms)
{
	char what[160];
	struct nr_event_want w = {
		.key = { "pid", "lport" }, .val = { c->pid, c->lport },
		.nnear = 2, .what = what, .drops = d,
		.grace_ms = d ? NR_GRACE_MS : 0, .once = true,
	};
	struct tcl_event ev;
	json_t *o;

	snprintf(what, sizeof(what), "pid %d lport %d (%s -> %s:%d)",
		 (int)c->pid, c->lport, c->saddr, c->daddr, c->dport);
	o = nr_event_wait_must(t, &w);
	tcl_decode(o, &ev);
	json_decref(o);
	tcl_check_event(t, &ev, c, min_ms);
}

static void connect_ok(struct nr_client *cl, struct nr_listener *l,
		       struct nr_conn *c)
{
	nr_client_connect_ok_must(cl, l->family, l->addr, l->port, c);
}

/* ---- one connect, every field ---- */

static void test_ipv4_json(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_v4", 0);
	struct nr_tracer *t = tcl_start_json(ctx, NR_ARGS("-j", "-v"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tcl_expect_event(t, &c, NULL, 0);
}

static void test_ipv6_json(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_v6", NR_NOBODY);
	struct nr_tracer *t = tcl_start_json(ctx, NR_ARGS("-j", "-v"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tcl_expect_event(t, &c, NULL, 0);
}

/* An AF_INET6 socket to ::ffff:127.0.0.1: BCC prints it as IPv6. */
static void test_ipv4_mapped(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_mapped", 0);
	struct nr_tracer *t = tcl_start_json(ctx, NR_ARGS("-j", "-v"));
	struct nr_conn c;

	nr_client_connect_must(cl, AF_INET6, "::ffff:127.0.0.1", l->port,
			       false, &c);
	if (c.err)
		fail_msg("connect to ::ffff:127.0.0.1:%d: %s", l->port,
			 strerror(c.err));
	if (strcmp(c.saddr, "::ffff:127.0.0.1"))
		fail_msg("mapped connect's own address is %s", c.saddr);
	tcl_expect_event(t, &c, NULL, 0);
}

/* The RST answers the SYN: BCC shows the time to it, like a SYN-ACK. */
static void test_refused(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_refused", 0);
	struct nr_tracer *t = tcl_start_json(ctx, NR_ARGS("-j", "-v"));
	int port4 = nr_closed_port_must(AF_INET);
	int port6 = nr_closed_port_must(AF_INET6);
	struct nr_conn c;

	for (int nonblock = 0; nonblock < 2; nonblock++) {
		nr_client_connect_must(cl, AF_INET, "127.0.0.1", port4,
				       nonblock, &c);
		if (c.err != ECONNREFUSED)
			fail_msg("connect to closed port %d: %s, want "
				 "ECONNREFUSED", port4, strerror(c.err));
		tcl_expect_event(t, &c, NULL, 0);
	}
	nr_client_connect_must(cl, AF_INET6, "::1", port6, false, &c);
	if (c.err != ECONNREFUSED)
		fail_msg("connect to closed port [::1]:%d: %s", port6,
			 strerror(c.err));
	tcl_expect_event(t, &c, NULL, 0);
}

/* A connect from a second thread: PID is the process's. */
static void test_thread(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_thread", 0);
	struct nr_tracer *t = tcl_start_json(ctx, NR_ARGS("-j", "-v"));
	struct nr_conn c;

	nr_client_connect_ex_must(cl, AF_INET, l->addr, l->port,
				  NR_CONNECT_THREAD | NR_CONNECT_NONBLOCK, &c);
	if (c.err || c.tid == c.pid)
		fail_msg("threaded connect: err %s, tid %d, pid %d",
			 strerror(c.err), (int)c.tid, (int)c.pid);
	tcl_expect_event(t, &c, NULL, 0);
}

/* ---- filters: -p, -4, -6 ---- */

static void test_filter_pid(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *keep = nr_client_must(ctx, "nr_it_keep", 0);
	struct nr_client *drop = nr_client_must(ctx, "nr_it_drop", 0);
	struct nr_conn cd, ck;
	struct nr_drops d = { &cd.pid, 1 };
	struct nr_tracer *t;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)keep->pid);
	t = tcl_start_json(ctx, NR_ARGS("-j", "-v", "-p", pid));
	connect_ok(drop, l, &cd);
	connect_ok(keep, l, &ck);
	tcl_expect_event(t, &ck, &d, 0);
}

/* -4: IPv4 sockets only (BCC: the v4 events); a mapped AF_INET6 is not. */
static void test_filter_ipv4(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *v6 = nr_client_must(ctx, "nr_it_v6", 0);
	struct nr_client *mapped = nr_client_must(ctx, "nr_it_mapped", 0);
	struct nr_client *v4 = nr_client_must(ctx, "nr_it_v4", 0);
	struct nr_tracer *t = tcl_start_json(ctx, NR_ARGS("-j", "-v", "-4"));
	struct nr_conn c6, cm, c4;
	pid_t pids[2];
	struct nr_drops d = { pids, 2 };

	connect_ok(v6, l6, &c6);
	nr_client_connect_must(mapped, AF_INET6, "::ffff:127.0.0.1", l4->port,
			       false, &cm);
	connect_ok(v4, l4, &c4);
	pids[0] = c6.pid;
	pids[1] = cm.pid;
	tcl_expect_event(t, &c4, &d, 0);
}

/* -6: AF_INET6 sockets, the mapped one included. */
static void test_filter_ipv6(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *v4 = nr_client_must(ctx, "nr_it_v4", 0);
	struct nr_client *v6 = nr_client_must(ctx, "nr_it_v6", 0);
	struct nr_tracer *t = tcl_start_json(ctx, NR_ARGS("-j", "-v", "-6"));
	struct nr_conn c4, cm, c6;
	struct nr_drops d = { &c4.pid, 1 };

	connect_ok(v4, l4, &c4);
	nr_client_connect_must(v6, AF_INET6, "::ffff:127.0.0.1", l4->port,
			       false, &cm);
	tcl_expect_event(t, &cm, &d, 0);
	/* After the wait: it reads on for the dropped pid's late event. */
	connect_ok(v6, l6, &c6);
	tcl_expect_event(t, &c6, NULL, 0);
}

/* ---- text: BCC's rows, byte for byte ---- */

/*
 * BCC's COMM cell: "%-12.12s" of the decoded name, so 12 characters, not
 * bytes (the test's names are valid UTF-8); control characters '?'.
 */
static const char *comm_cell(char *buf, size_t n, const char *comm)
{
	const unsigned char *s = (const unsigned char *)comm;
	size_t pos = 0;
	int chars = 0;

	for (; *s && pos + 5 < n; s++) {
		if ((*s & 0xc0) != 0x80 && chars++ == 12)
			break;
		buf[pos++] = *s < 0x20 || *s == 0x7f ? '?' : (char)*s;
	}
	while (chars++ < 12 && pos + 1 < n)
		buf[pos++] = ' ';
	buf[pos] = '\0';
	return buf;
}

/*
 * line, the row of c: its fields are known; LAT(ms) is "%.2f" of the
 * kernel's measurement, which must lie inside c's connect: read it back,
 * check it and its spelling, then compare the whole line.  prefix: what
 * comes before PID (-t).
 */
static void check_row(struct nr_tracer *t, const char *line,
		      const struct nr_conn *c, bool lport, int min_ms,
		      const char *prefix)
{
	const char *lat = strrchr(line, ' ');
	char want[256], comm[64], port[16] = "";
	double ms, outer_ms = (c->end_ns - c->begin_ns) / 1e6;
	char *end;

	if (!lat || !*++lat)
		fail_msg("'%s': no LAT(ms) in \"%s\"", t->cmdline, line);
	ms = strtod(lat, &end);
	if (*end || strlen(lat) < 4 || lat[strlen(lat) - 3] != '.')
		fail_msg("'%s': LAT(ms) \"%s\" is not %%.2f", t->cmdline, lat);
	/* Two decimals: the microseconds are within 5 of what is shown. */
	if (ms + 0.005 < min_ms || ms - 0.005 > outer_ms)
		fail_msg("'%s': LAT(ms) %s, want in [%d, %.3f] ms", t->cmdline,
			 lat, min_ms, outer_ms);
	if (lport)
		snprintf(port, sizeof(port), "%-6d ", c->lport);
	snprintf(want, sizeof(want), "%s%-7d %s %-2d %-16s %s%-16s %-5d %s",
		 prefix ? prefix : "", (int)c->pid,
		 comm_cell(comm, sizeof(comm), c->comm),
		 c->family == AF_INET6 ? 6 : 4, c->saddr, port, c->daddr,
		 c->dport, lat);
	nr_expect_line(t, "row", line, want);
}

/* The next row of c's pid, checked. */
static void expect_row(struct nr_tracer *t, const struct nr_conn *c,
		       bool lport, int min_ms)
{
	check_row(t, nr_wait_row_must(t, c->pid, 0), c, lport, min_ms, NULL);
}

static void test_text_rows(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_text\x01x", 0);
	/* 11 characters in 14 bytes: BCC pads to 12 characters */
	struct nr_client *utf8 = nr_client_must(ctx, "utf8__\xc3\xa9\xc3\xa9x"
						"\xc3\xa9z", 0);
	struct nr_tracer *t;
	struct nr_conn c;
	char hdr[128];

	t = tcl_start_text(ctx, (const char *const[]){ NULL },
			   header(hdr, sizeof(hdr), false,
						  false));
	connect_ok(cl, l4, &c);
	expect_row(t, &c, false, 0);
	connect_ok(cl, l6, &c);
	expect_row(t, &c, false, 0);
	connect_ok(utf8, l4, &c);
	expect_row(t, &c, false, 0);
	nr_tracer_stop_must(t);

	/* -L: LPORT is the client's own port, after SADDR. */
	t = tcl_start_text(ctx, NR_ARGS("-L"), header(hdr, sizeof(hdr), true,
						      false));
	connect_ok(cl, l4, &c);
	expect_row(t, &c, true, 0);
	nr_client_connect_must(cl, AF_INET6, "::ffff:127.0.0.1", l4->port,
			       false, &c);
	expect_row(t, &c, true, 0);
	nr_tracer_stop_must(t);
}

/* -t: "%-9.3f" seconds since the first row printed, no blank after it. */
static void test_text_timestamp(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_ts", 0);
	struct nr_conn c1, c2;
	char hdr[128], pid[16], prefix[32], *end;
	struct nr_tracer *t;
	const char *line;
	double secs, gap;

	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	t = tcl_start_text(ctx, NR_ARGS("-t", "-p", pid),
			   header(hdr, sizeof(hdr), false, true));
	connect_ok(cl, l, &c1);
	check_row(t, nr_wait_row_must(t, c1.pid, 1), &c1, false, 0,
		  "0.000    ");
	nr_sleep_ms(50);
	connect_ok(cl, l, &c2);
	line = nr_wait_row_must(t, c2.pid, 1);
	secs = strtod(line, &end);
	gap = (c2.end_ns - c1.begin_ns) / 1e9;
	if (end - line != 5 || line[1] != '.' || secs <= 0 ||
	    secs > gap + 0.001)
		fail_msg("'%s': second row's time in \"%s\", want %%-9.3f in "
			 "(0, %.3f]", t->cmdline, line, gap);
	snprintf(prefix, sizeof(prefix), "%-9.3f", secs);
	check_row(t, line, &c2, false, 0, prefix);
}

/* ---- the slow peer and the minimum ---- */

struct overflow_wait {
	int lfd;		/* the full listener */
	bool seen;		/* the SYN's drop was counted */
	int accepted;		/* the connection accepted to make room */
};

/* TcpExt ListenOverflows of our network namespace, or -1. */
static long long listen_overflows(void)
{
	char names[4096], values[4096], *n, *v, *sn, *sv;
	long long ret = -1;
	FILE *f = fopen("/proc/self/net/netstat", "re");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) &&
	       fgets(values, sizeof(values), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, "ListenOverflows"))
				ret = atoll(v);
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
	}
	fclose(f);
	return ret;
}

/* Once the SYN was dropped, make room for its retransmission. */
static void *make_room(void *arg)
{
	struct overflow_wait *w = arg;
	int64_t end = nr_now_ms() + SLOW_WAIT_MS;

	while (nr_now_ms() < end && !(w->seen = listen_overflows() > 0))
		nr_sleep_ms(2);
	w->accepted = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
	return NULL;
}

/*
 * A connect that takes the SYN's retransmission: to a listener of
 * backlog 1 holding two connections nobody accepted.  Its ground truth
 * in *c; the listener and filling sockets are closed here.
 */
static void slow_connect(struct nr_client *cl, struct nr_conn *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct overflow_wait w = { .accepted = -1 };
	int fill[2] = { -1, -1 };
	pthread_t th;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	w.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (w.lfd < 0 || bind(w.lfd, (struct sockaddr *)&a, alen) ||
	    listen(w.lfd, 1) ||
	    getsockname(w.lfd, (struct sockaddr *)&a, &alen))
		fail_msg("slow listener: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fill[i] < 0 ||
		    connect(fill[i], (struct sockaddr *)&a, alen))
			fail_msg("filling the accept queue: %s",
				 strerror(errno));
	}
	if (listen_overflows() != 0)
		fail_msg("ListenOverflows is %lld before the slow connect, "
			 "want 0 (a namespace of our own)", listen_overflows());
	if (pthread_create(&th, NULL, make_room, &w))
		fail_msg("pthread_create failed");
	nr_client_connect_must(cl, AF_INET, "127.0.0.1", ntohs(a.sin_port),
			       false, c);
	pthread_join(th, NULL);
	if (w.accepted >= 0)
		close(w.accepted);
	close(fill[0]);
	close(fill[1]);
	close(w.lfd);
	if (!w.seen)
		fail_msg("the full listener did not drop the SYN (no "
			 "ListenOverflows in %d ms)", SLOW_WAIT_MS);
	if (c->err)
		fail_msg("slow connect: %s", strerror(c->err));
	if (c->end_ns - c->begin_ns < SLOW_MIN_MS * 1000000LL)
		fail_msg("slow connect took %lld ms, want >= %d",
			 (long long)(c->end_ns - c->begin_ns) / 1000000,
			 SLOW_MIN_MS);
}

/*
 * duration_ms 500: a fast connect is not shown, a slow one is.  A second
 * tracer without the minimum sees both, and the slow one's latency to
 * the microsecond.
 */
static void test_min_latency(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l;
	struct nr_client *cl;
	struct nr_tracer *all, *min;
	struct nr_conn fast, slow;
	char hdr[128], pid[16];
	const char *line;

	xf_netns_enter_must(ctx);
	l = nr_listener_start_must(ctx, AF_INET);
	cl = nr_client_must(ctx, "nr_it_slow", 0);
	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	all = tcl_start_json(ctx, NR_ARGS("-j", "-v", "-p", pid));
	min = tcl_start_text(ctx, NR_ARGS("-L", "-p", pid, "500"),
			     header(hdr, sizeof(hdr), true, false));
	connect_ok(cl, l, &fast);
	tcl_expect_event(all, &fast, NULL, 0);
	slow_connect(cl, &slow);
	tcl_expect_event(all, &slow, NULL, SLOW_MIN_MS);
	/* The first row of the filtered tracer is the slow connect's. */
	expect_row(min, &slow, true, SLOW_MIN_MS);
	nr_tracer_stop_must(min);
	while (nr_tracer_line(min, NR_OUT, 0, &line) == 1)
		fail_msg("'%s': a row after the slow one: %s", min->cmdline,
			 line);
}

/* ---- -v, bad input ---- */

/* -v: BCC prints its program; ours goes to stderr, stdout stays rows. */
static void test_verbose(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_verbose", 0);
	struct nr_tracer *t;
	struct nr_conn c;
	char hdr[128];

	t = tcl_start_text(ctx, NR_ARGS("-v", "0.001"),
			   header(hdr, sizeof(hdr), false, false));
	connect_ok(cl, l, &c);
	expect_row(t, &c, false, 0);
	nr_tracer_stop_must(t);
	if (!nr_tracer_stderr_has(t, "SEC(\"fentry/tcp_rcv_state_process\")") ||
	    !nr_tracer_stderr_has(t, "int tcl_tp_state("))
		fail_msg("'%s': -v did not print the BPF program on stderr:\n%s",
			 t->cmdline, nr_tracer_stderr(t));
	if (!nr_tracer_stderr_has(t, "settings: tcl_min_us 1,"))
		fail_msg("'%s': -v did not print duration_ms 0.001 as 1 us:\n%s",
			 t->cmdline, nr_tracer_stderr(t));
	nr_expect_strategy_must(t, NULL);

	/* BCC's int(ms * 1000) of the double: 1.001 ms is 1000 us. */
	t = tcl_start_text(ctx, NR_ARGS("-v", "1.001"),
			   header(hdr, sizeof(hdr), false, false));
	nr_tracer_stop_must(t);
	if (!nr_tracer_stderr_has(t, "settings: tcl_min_us 1000,"))
		fail_msg("'%s': want duration_ms 1.001 as 1000 us, as BCC:\n%s",
			 t->cmdline, nr_tracer_stderr(t));
}

static void test_bad_duration(void **state)
{
	static const char *const bad[] = {
		"abc", "-1", "inf", "nan", "1e400", "0x10", "1,5", "+1", " 1", "",
	};
	struct nr_tracer_cfg cfg;
	struct nr_tracer *t;

	nr_test_begin(state);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[32];

		tcl_cfg(&cfg, NR_ARGS("--", bad[i]));
		t = nr_usage_error_must(*state, &cfg);
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		if (!strstr(t->err.lines[0], quoted))
			fail_msg("'%s': want one stderr line naming %s, got:\n%s",
				 t->cmdline, quoted, nr_tracer_stderr(t));
	}
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipv4_json), T(test_ipv6_json), T(test_ipv4_mapped),
		T(test_refused), T(test_thread),
		T(test_filter_pid), T(test_filter_ipv4), T(test_filter_ipv6),
		T(test_text_rows), T(test_text_timestamp),
		T(test_min_latency), T(test_verbose), T(test_bad_duration),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_tcpconnlat", &skip_all))
		return 1;
	rc = cmocka_run_group_tests_name("tcpconnlat", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
