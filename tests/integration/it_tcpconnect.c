// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Privileged integration tests of `netrace tcpconnect`: every event is
 * compared field by field with what the connecting client saw itself.
 *
 * Other processes on the machine may connect while a test runs, so an
 * event is "ours" only when its pid AND lport match the client's.  A
 * filter's drop is checked by a dedicated client making that one connect:
 * no event with its pid may appear before the kept client's event nor
 * within a grace period after it.
 *
 * Environment: NETRACE (the binary, required), NETRACE_ATTACH and
 * NETRACE_BUFFER (added as --attach=/--buffer= to every tracer),
 * CI=true or NETRACE_REQUIRE_PRIV=1 (not root is a failure, not a skip),
 * NR_IT_FILTER (cmocka test-name filter, e.g. "test_filter*").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"

#define BANNER		"Tracing connect ... Hit Ctrl-C to end"
#define BURST_N		500
#define ROW_LATENCY_MS	1000	/* contract: ~100 ms; slack for slow VMs */

/* ---- output contract ---- */

static const struct nr_jkey event_keys[] = {
	{ "time_s", JSON_REAL }, { "pid", JSON_INTEGER },
	{ "uid", JSON_INTEGER }, { "comm", JSON_STRING },
	{ "ip", JSON_INTEGER }, { "saddr", JSON_STRING },
	{ "lport", JSON_INTEGER }, { "daddr", JSON_STRING },
	{ "dport", JSON_INTEGER }, { NULL, 0 },
};

static const struct nr_jkey count_keys[] = {
	{ "ip", JSON_INTEGER }, { "laddr", JSON_STRING },
	{ "raddr", JSON_STRING }, { "rport", JSON_INTEGER },
	{ "connects", JSON_INTEGER }, { NULL, 0 },
};

/* Checked on every event line, ours or not. */
static bool event_sane(json_t *o, char *why, size_t n)
{
	return nr_conn_event_sane(o, "saddr", "daddr", "lport", "dport", why,
				  n);
}

static bool count_sane(json_t *o, char *why, size_t n)
{
	long long ip = nr_jint(o, "ip");

	if (ip != 4 && ip != 6)
		snprintf(why, n, "ip is %lld, want 4 or 6", ip);
	else if (!nr_addr_canonical(ip, nr_jstr(o, "laddr")) ||
		 !nr_addr_canonical(ip, nr_jstr(o, "raddr")))
		snprintf(why, n, "laddr/raddr not inet_ntop IPv%lld", ip);
	else if (!nr_port_ok(nr_jint(o, "rport")) || nr_jint(o, "connects") < 1)
		snprintf(why, n, "rport or connects out of range");
	else
		return true;
	return false;
}

/* ---- starting the tracer ---- */

static void tc_cfg(struct nr_tracer_cfg *cfg, const char *const *args)
{
	bool count = nr_has_arg(args, "-c") || nr_has_arg(args, "--count");

	/* With -j stdout is JSON only: the banner moves to stderr. */
	nr_applet_cfg(cfg, "tcpconnect", args, BANNER);
	cfg->schema = count ? count_keys : event_keys;
	cfg->check = count ? count_sane : event_sane;
}

/* `netrace tcpconnect ARGS`, attached (banner seen). */
static struct nr_tracer *tc_start(struct nr_ctx *ctx, const char *const *args)
{
	return nr_applet_start_must(ctx, tc_cfg, args);
}

/* ---- ground truth ---- */

/*
 * What the event must say about connection c.  An AF_INET6 socket to
 * ::ffff:a.b.c.d goes through the IPv4 path and is reported as IPv4 with
 * dotted quads: derive that from the client's own addresses.
 */
struct tc_want {
	int ip;
	char saddr[INET6_ADDRSTRLEN];
	char daddr[INET6_ADDRSTRLEN];
};

static void unmap(const struct sockaddr_storage *ss, char *buf, size_t n,
		  int *ip)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET) {
		*ip = 4;
		inet_ntop(AF_INET, &a4->sin_addr, buf, n);
	} else if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr)) {
		*ip = 4;
		inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], buf, n);
	} else {
		*ip = 6;
		inet_ntop(AF_INET6, &a6->sin6_addr, buf, n);
	}
}

static void tc_want(const struct nr_conn *c, struct tc_want *w)
{
	int dip;

	unmap(&c->local, w->saddr, sizeof(w->saddr), &w->ip);
	unmap(&c->peer, w->daddr, sizeof(w->daddr), &dip);
}

/* ---- JSON events ---- */

struct tc_event {
	double time_s;
	long long pid, uid, ip, lport, dport;
	char comm[64];
	char saddr[64], daddr[64];
	char raw[1024];
};

static void tc_decode(json_t *o, struct tc_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_s = json_number_value(json_object_get(o, "time_s"));
	ev->pid = nr_jint(o, "pid");
	ev->uid = nr_jint(o, "uid");
	ev->ip = nr_jint(o, "ip");
	ev->lport = nr_jint(o, "lport");
	ev->dport = nr_jint(o, "dport");
	snprintf(ev->comm, sizeof(ev->comm), "%s", nr_jstr(o, "comm"));
	snprintf(ev->saddr, sizeof(ev->saddr), "%s", nr_jstr(o, "saddr"));
	snprintf(ev->daddr, sizeof(ev->daddr), "%s", nr_jstr(o, "daddr"));
	nr_json_raw(o, ev->raw, sizeof(ev->raw));
}

/* Every field of the event against the client's ground truth. */
static void tc_check_event(struct nr_tracer *t, const struct tc_event *ev,
			   const struct nr_conn *c)
{
	struct tc_want w;

	tc_want(c, &w);
	NR_CHECK_INT(t, ev, "pid", ev->pid, c->pid);
	NR_CHECK_INT(t, ev, "uid", ev->uid, c->uid);
	NR_CHECK_STR(t, ev, "comm", ev->comm, c->comm);
	NR_CHECK_INT(t, ev, "ip", ev->ip, w.ip);
	NR_CHECK_STR(t, ev, "saddr", ev->saddr, w.saddr);
	NR_CHECK_INT(t, ev, "lport", ev->lport, c->lport);
	NR_CHECK_STR(t, ev, "daddr", ev->daddr, w.daddr);
	NR_CHECK_INT(t, ev, "dport", ev->dport, c->dport);
}

/*
 * Read events until c's (its pid AND lport); fail on timeout, EOF or a
 * dropped client's event, also within NR_GRACE_MS after c's.
 */
static void tc_wait_event_must(struct nr_tracer *t, const struct nr_conn *c,
			       const struct nr_drops *d, struct tc_event *out)
{
	char what[160];
	struct nr_event_want w = {
		.key = { "pid", "lport" }, .val = { c->pid, c->lport },
		.nnear = 2, .what = what, .drops = d,
		.grace_ms = NR_GRACE_MS,
	};
	json_t *o;

	snprintf(what, sizeof(what), "pid %d lport %d (%s -> %s:%d)",
		 (int)c->pid, c->lport, c->saddr, c->daddr, c->dport);
	o = nr_event_wait_must(t, &w);
	tc_decode(o, out);
	json_decref(o);
}

/* Wait for c's event and check all its fields. */
static void tc_expect_event(struct nr_tracer *t, const struct nr_conn *c,
			    const struct nr_drops *d)
{
	struct tc_event ev;

	tc_wait_event_must(t, c, d, &ev);
	tc_check_event(t, &ev, c);
}

/* A connect to l that must succeed (the listener is there). */
static void connect_ok(struct nr_client *cl, struct nr_listener *l,
		       struct nr_conn *c)
{
	nr_client_connect_ok_must(cl, l->family, l->addr, l->port, c);
}

/* ---- 1-5: one connect, every field ---- */

static void test_ipv4_json(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_v4", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
}

static void test_ipv6_json(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_v6", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
}

static void test_ipv4_mapped(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_mapped", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	struct nr_conn c;

	nr_client_connect_must(cl, AF_INET6, "::ffff:127.0.0.1", l->port,
			       false, &c);
	if (c.err)
		fail_msg("AF_INET6 connect to ::ffff:127.0.0.1:%d: %s",
			 l->port, strerror(c.err));
	/* tc_want() turns the mapped ground truth into ip 4, dotted quads. */
	tc_expect_event(t, &c, NULL);
}

/* Blocking and non-blocking: each SYN is an attempt, RST or not. */
static void test_refused(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_refused", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	int port = nr_closed_port_must(AF_INET);
	struct nr_conn c;

	for (int nonblock = 0; nonblock < 2; nonblock++) {
		nr_client_connect_must(cl, AF_INET, "127.0.0.1", port,
				       nonblock, &c);
		if (c.err != ECONNREFUSED)
			fail_msg("connect to closed port %d: %s, want "
				 "ECONNREFUSED", port, strerror(c.err));
		tc_expect_event(t, &c, NULL);
	}
}

static void test_nonblocking(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_nonblock", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	struct nr_conn c;

	nr_client_connect_must(cl, AF_INET, l->addr, l->port, true, &c);
	if (c.err && c.err != EINPROGRESS)
		fail_msg("non-blocking connect: %s", strerror(c.err));
	tc_expect_event(t, &c, NULL);
}

/* ---- 6: uid ---- */

static void test_uid_field(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_nobody", NR_NOBODY);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	if (c.uid != NR_NOBODY)
		fail_msg("client uid is %d, want %d", (int)c.uid, NR_NOBODY);
	tc_expect_event(t, &c, NULL);
}

/* The real uid, not the effective one (BCC: bpf_get_current_uid_gid). */
static void test_uid_is_real_uid(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client_cfg cfg = { .comm = "nr_it_ruid", .uid = NR_NOBODY,
				     .keep_euid = true };
	struct nr_client *cl = nr_client_start_must(ctx, &cfg);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	if (c.uid != NR_NOBODY || c.euid != 0)
		fail_msg("client uid %d euid %d, want %d and 0", (int)c.uid,
			 (int)c.euid, NR_NOBODY);
	tc_expect_event(t, &c, NULL);
}

/*
 * A connect from a second thread: PID is the thread group id, and -p
 * takes that id too.  Two tracers watch the same connect.
 */
static void test_thread_tgid(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_thread", 0);
	struct nr_tracer *all = tc_start(ctx, NR_ARGS("-j"));
	struct nr_tracer *one;
	struct nr_conn c;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	one = tc_start(ctx, NR_ARGS("-j", "-p", pid));
	nr_client_connect_ex_must(cl, AF_INET, l->addr, l->port,
				  NR_CONNECT_THREAD, &c);
	if (c.err || c.tid == c.pid)
		fail_msg("threaded connect: err %s, tid %d, pid %d",
			 strerror(c.err), (int)c.tid, (int)c.pid);
	tc_expect_event(all, &c, NULL);
	tc_expect_event(one, &c, NULL);
}

/* Client "drop" connects first, then "keep"; only keep's event may show. */
static void drop_then_keep(struct nr_tracer *t, struct nr_client *drop,
			   struct nr_client *keep, struct nr_listener *ld,
			   struct nr_listener *lk)
{
	struct nr_conn cd, ck;
	struct nr_drops d = { &cd.pid, 1 };

	connect_ok(drop, ld, &cd);
	connect_ok(keep, lk, &ck);
	tc_expect_event(t, &ck, &d);
}

static void test_filter_uid_keep(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *root = nr_client_must(ctx, "nr_it_root", 0);
	struct nr_client *nobody = nr_client_must(ctx, "nr_it_nobody",
						  NR_NOBODY);
	char uid[16];
	struct nr_tracer *t;

	snprintf(uid, sizeof(uid), "%d", NR_NOBODY);
	t = tc_start(ctx, NR_ARGS("-j", "-u", uid));
	drop_then_keep(t, root, nobody, l, l);
}

static void test_filter_uid_drop(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *nobody = nr_client_must(ctx, "nr_it_nobody",
						  NR_NOBODY);
	struct nr_client *root = nr_client_must(ctx, "nr_it_root", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j", "-u", "0"));

	drop_then_keep(t, nobody, root, l, l);
}

/* ---- 7: -p, -P, -4, -6 ---- */

static void test_filter_pid(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *keep = nr_client_must(ctx, "nr_it_keep", 0);
	struct nr_client *drop = nr_client_must(ctx, "nr_it_drop", 0);
	char pid[16];
	struct nr_tracer *t;

	snprintf(pid, sizeof(pid), "%d", (int)keep->pid);
	t = tc_start(ctx, NR_ARGS("-j", "-p", pid));
	drop_then_keep(t, drop, keep, l, l);
}

/* -P X,Z: both listed ports are kept, an unlisted Y is dropped. */
static void test_filter_ports(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *lx = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *ly = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *lz = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *drop = nr_client_must(ctx, "nr_it_drop", 0);
	struct nr_client *keep = nr_client_must(ctx, "nr_it_keep", 0);
	struct nr_conn cz;
	struct nr_drops d;
	char ports[32];
	struct nr_tracer *t;

	snprintf(ports, sizeof(ports), "%d,%d", lx->port, lz->port);
	t = tc_start(ctx, NR_ARGS("-j", "-P", ports));
	drop_then_keep(t, drop, keep, ly, lx);
	/* The second listed port too, with the drop still never seen. */
	d.pids = &drop->pid;
	d.n = 1;
	connect_ok(keep, lz, &cz);
	tc_expect_event(t, &cz, &d);
}

static void test_filter_ipv4(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *drop = nr_client_must(ctx, "nr_it_drop6", 0);
	struct nr_client *keep = nr_client_must(ctx, "nr_it_keep4", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j", "-4"));

	drop_then_keep(t, drop, keep, l6, l4);
}

static void test_filter_ipv6(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *drop = nr_client_must(ctx, "nr_it_drop4", 0);
	struct nr_client *keep = nr_client_must(ctx, "nr_it_keep6", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j", "-6"));

	drop_then_keep(t, drop, keep, l4, l6);
}

/* ---- 8, 9: --cgroupmap, --mntnsmap ---- */

static void test_cgroupmap(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	char cg[4096], pin[4200];
	struct nr_client_cfg in_cfg = { .comm = "nr_it_incg" };
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *in, *out;
	struct nr_tracer *t;

	nr_cgroup_create_must(ctx, cg, sizeof(cg));
	/* The v2 cgroup id is the inode number of its directory. */
	nr_pin_filter_map_must(ctx, "cgroupmap", nr_inode_must(cg),
			       sizeof(uint64_t), pin, sizeof(pin));
	in_cfg.cgroup = cg;
	in = nr_client_start_must(ctx, &in_cfg);
	out = nr_client_must(ctx, "nr_it_outcg", 0);
	t = tc_start(ctx, NR_ARGS("-j", "--cgroupmap", pin));
	drop_then_keep(t, out, in, l, l);
}

static void test_mntnsmap(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	char pin[4200];
	struct nr_client_cfg in_cfg = { .comm = "nr_it_inns",
					 .new_mntns = true };
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *in, *out;
	struct nr_tracer *t;

	in = nr_client_start_must(ctx, &in_cfg);
	out = nr_client_must(ctx, "nr_it_outns", 0);
	nr_pin_filter_map_must(ctx, "mntnsmap",
			       nr_new_mntns_must(in->pid, "client"),
			       sizeof(uint32_t), pin, sizeof(pin));
	t = tc_start(ctx, NR_ARGS("-j", "--mntnsmap", pin));
	drop_then_keep(t, out, in, l, l);
}

/* ---- 10: text rows, byte for byte ---- */

/* -L: LPORT after SADDR (without it, NR_TC_HDR_FMT and NR_TC_ROW_FMT). */
#define HDR_L_FMT	"%-7s %-12s %-2s %-16s %-6s %-16s %-6s"
#define ROW_L_FMT	"%-7d %-12.12s %-2d %-16s %-6d %-16s %-6d "

static void test_text_row(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_text_row", 0);
	struct nr_tracer *t = tc_start(ctx, NULL);
	char want[512];
	const char *row;
	struct nr_conn c;
	struct tc_want w;
	int64_t start;

	nr_tc_header(want, sizeof(want));
	nr_expect_header_must(t, want);
	connect_ok(cl, l, &c);
	start = nr_now_ms();
	row = nr_wait_row_must(t, c.pid, 0);
	/* Flushed every 100 ms: a block-buffered stdout would sit on it. */
	if (nr_now_ms() - start > ROW_LATENCY_MS)
		fail_msg("'%s': row came %lld ms after the connect, want < %d",
			 t->cmdline, (long long)(nr_now_ms() - start),
			 ROW_LATENCY_MS);
	tc_want(&c, &w);
	nr_tc_row(want, sizeof(want), c.pid, c.comm, w.ip, w.saddr, w.daddr,
		  c.dport);
	nr_expect_line(t, "row", row, want);
}

static void expect_lport_row(struct nr_tracer *t, const struct nr_conn *c)
{
	char want[512], comm[32];
	struct tc_want w;

	tc_want(c, &w);
	nr_sanitize(comm, sizeof(comm), c->comm);
	snprintf(want, sizeof(want), ROW_L_FMT, (int)c->pid, comm, w.ip,
		 w.saddr, c->lport, w.daddr, c->dport);
	nr_expect_line(t, "-L row", nr_wait_row_must(t, c->pid, 0), want);
}

static void test_text_lport(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_text_L", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-L"));
	char want[512];
	struct nr_conn c;

	snprintf(want, sizeof(want), HDR_L_FMT, "PID", "COMM", "IP", "SADDR",
		 "LPORT", "DADDR", "DPORT");
	nr_expect_header_must(t, want);
	connect_ok(cl, l, &c);
	expect_lport_row(t, &c);
}

/*
 * -t -U: TIME(s) then UID before PID, as BCC prints them ("%-9s" and
 * "%-6s" glued to the next column).  -p makes ours the first event, so
 * its time is 0.000.
 */
static void test_text_time_uid(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_text_tU", NR_NOBODY);
	char want[512], pid[16], f[64], *endp;
	struct nr_tracer *t;
	const char *row;
	struct nr_conn c;
	struct tc_want w;
	double secs;
	size_t pos;

	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	t = tc_start(ctx, NR_ARGS("-t", "-U", "-p", pid));
	pos = snprintf(want, sizeof(want), "%-9s%-6s", "TIME(s)", "UID");
	nr_tc_header(want + pos, sizeof(want) - pos);
	nr_expect_header_must(t, want);
	connect_ok(cl, l, &c);
	row = nr_wait_row_must(t, c.pid, 2);
	secs = strtod(nr_field(row, 0, f, sizeof(f)), &endp);
	if (!f[0] || *endp || !isfinite(secs))
		fail_msg("'%s': TIME(s) \"%s\" is not a number: %s",
			 t->cmdline, f, row);
	if (strcmp(f, "0.000"))
		fail_msg("'%s': first event's TIME(s) is %s, want 0.000: %s",
			 t->cmdline, f, row);
	if (atol(nr_field(row, 1, f, sizeof(f))) != (long)c.uid)
		fail_msg("'%s': UID column \"%s\", want %d: %s", t->cmdline,
			 f, (int)c.uid, row);
	tc_want(&c, &w);
	pos = snprintf(want, sizeof(want), "%-9.3f%-6d", secs, (int)c.uid);
	nr_tc_row(want + pos, sizeof(want) - pos, c.pid, c.comm, w.ip,
		  w.saddr, w.daddr, c.dport);
	nr_expect_line(t, "-t -U row", row, want);
}

/* A comm with ESC: '?' in text, "\u001b" in JSON (decoded back to ESC). */
static void test_comm_control_char(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr\x1b" "ctl", 0);
	char want[512], comm[32];
	struct nr_tracer *t = tc_start(ctx, NULL);
	struct nr_conn c;
	struct tc_want w;

	connect_ok(cl, l, &c);
	if (strcmp(c.comm, "nr\x1b" "ctl"))
		fail_msg("client comm is not nr<ESC>ctl");
	tc_want(&c, &w);
	nr_sanitize(comm, sizeof(comm), c.comm);
	if (strcmp(comm, "nr?ctl"))
		fail_msg("nr_sanitize() self-check failed");
	nr_tc_row(want, sizeof(want), c.pid, comm, w.ip, w.saddr, w.daddr,
		  c.dport);
	nr_expect_line(t, "row", nr_wait_row_must(t, c.pid, 0), want);
	nr_tracer_stop_must(t);

	t = tc_start(ctx, NR_ARGS("-j"));
	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);	/* compares comm byte for byte */
}

/* ---- 11: -c ---- */

struct count_plan {
	struct nr_listener *l[3];
	int n[3];
	struct nr_conn last[3];	/* saddr/daddr of each destination */
};

/* 5 to A, 3 to B (IPv4), 7 to C (IPv6): C is biggest but must come last. */
static void count_connects(struct nr_ctx *ctx, struct count_plan *p)
{
	struct nr_client *cl = nr_client_must(ctx, "nr_it_count", 0);
	static const int n[3] = { 5, 3, 7 };

	p->l[0] = nr_listener_start_must(ctx, AF_INET);
	p->l[1] = nr_listener_start_must(ctx, AF_INET);
	p->l[2] = nr_listener_start_must(ctx, AF_INET6);
	for (int i = 0; i < 3; i++) {
		p->n[i] = n[i];
		for (int k = 0; k < n[i]; k++)
			connect_ok(cl, p->l[i], &p->last[i]);
	}
}

static int find_line(struct nr_stream *s, size_t from, const char *want)
{
	for (size_t i = from; i < s->nlines; i++)
		if (!strcmp(s->lines[i], want))
			return (int)i;
	return -1;
}

static void test_count(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-c"));
	struct count_plan p;
	char want[256];
	const char *line;
	size_t first;
	int idx[3];

	count_connects(ctx, &p);
	nr_sleep_ms(NR_GRACE_MS);
	if (nr_tracer_line(t, NR_OUT, 0, &line) == 1)
		fail_msg("'%s': printed before SIGINT: \"%s\"", t->cmdline,
			 line);
	first = t->out.next;
	nr_tracer_stop_must(t);
	if (t->out.nlines < first + 2 || strcmp(t->out.lines[first], ""))
		fail_msg("'%s': after SIGINT, want an empty line, the header"
			 " and rows; stdout after the banner:%s",
			 t->cmdline, nr_stdout_dump(t, first));
	snprintf(want, sizeof(want), "%-25s %-25s %-20s %-10s", "LADDR",
		 "RADDR", "RPORT", "CONNECTS");
	nr_expect_line(t, "count header", t->out.lines[first + 1], want);
	for (int i = 0; i < 3; i++) {
		struct tc_want w;

		tc_want(&p.last[i], &w);
		snprintf(want, sizeof(want), "%-25s %-25s %-20d %-10d",
			 w.saddr, w.daddr, p.l[i]->port, p.n[i]);
		idx[i] = find_line(&t->out, first + 2, want);
		if (idx[i] < 0)
			fail_msg("'%s': no count row \"%s\"\nstdout:%s",
				 t->cmdline, want, nr_stdout_dump(t, first));
	}
	if (!(idx[0] < idx[1] && idx[1] < idx[2]))
		fail_msg("'%s': count rows out of order: 5x v4 at %d, 3x v4 "
			 "at %d, 7x v6 at %d (want by count, IPv4 first)",
			 t->cmdline, idx[0], idx[1], idx[2]);
}

static void test_count_json(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-c", "-j"));
	int seen[3] = { 0, 0, 0 };
	struct count_plan p;
	json_t *o;
	int rc;

	count_connects(ctx, &p);
	nr_tracer_stop_must(t);
	while ((o = nr_tracer_json_must(t, 0, &rc))) {
		for (int i = 0; i < 3; i++) {
			struct tc_want w;

			tc_want(&p.last[i], &w);
			if (nr_jint(o, "rport") != p.l[i]->port ||
			    strcmp(nr_jstr(o, "raddr"), w.daddr))
				continue;
			if (nr_jint(o, "ip") != w.ip ||
			    strcmp(nr_jstr(o, "laddr"), w.saddr) ||
			    nr_jint(o, "connects") != p.n[i])
				fail_msg("'%s': count object for port %d: want "
					 "ip %d laddr %s connects %d",
					 t->cmdline, p.l[i]->port, w.ip,
					 w.saddr, p.n[i]);
			seen[i]++;
		}
		json_decref(o);
	}
	for (int i = 0; i < 3; i++)
		if (seen[i] != 1)
			fail_msg("'%s': %d count objects for port %d, want 1",
				 t->cmdline, seen[i], p.l[i]->port);
}

/* ---- 12-14: invocation, signals, closed stdout ---- */

static void test_symlink(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_symlink", 0);
	struct nr_tracer_cfg cfg;
	struct nr_tracer *t;
	struct nr_conn c;
	char link[300];

	nr_applet_link_must(ctx, "tcpconnect", link, sizeof(link));
	tc_cfg(&cfg, NR_ARGS("-j"));
	cfg.exe = link;
	cfg.applet = NULL;	/* argv[0] "…/tcpconnect" picks the applet */
	t = nr_tracer_start_must(ctx, &cfg);
	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
}

static void test_sigterm(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_sigterm", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
	nr_tracer_stop_sig_must(t, SIGTERM);
}

/* `netrace tcpconnect | head -1`: the next write finds no reader. */
static void test_stdout_closed(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_head", 0);
	struct nr_tracer *t = tc_start(ctx, NULL);	/* read the banner */
	struct nr_conn c;
	char buf[64];
	int st;

	nr_tracer_close_stdout(t);
	connect_ok(cl, l, &c);
	st = nr_tracer_stop(t, 0, 2000);
	t->stopped_by_test = true;
	if (st == -1)
		fail_msg("'%s' still running 2 s after a connect with its "
			 "stdout reader gone\nstderr:\n%s", t->cmdline,
			 nr_tracer_stderr(t));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("'%s' with stdout reader gone: %s, want exit 0\n"
			 "stderr:\n%s", t->cmdline,
			 nr_status_str(st, buf, sizeof(buf)),
			 nr_tracer_stderr(t));
}

/* ---- 15: burst ---- */

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

struct burst {
	pid_t pid;		/* events of this pid are ours */
	int *lports;		/* theirs, [0, have) */
	int have, max;
};

static bool burst_event(struct nr_tracer *t, json_t *o, void *arg)
{
	struct burst *b = arg;
	struct tc_event ev;

	tc_decode(o, &ev);
	if (ev.pid != b->pid)
		return true;
	if (!b->have && ev.time_s != 0)
		fail_msg("'%s': first event's time_s is %g, want 0: %s",
			 t->cmdline, ev.time_s, ev.raw);
	b->lports[b->have++] = (int)ev.lport;
	return b->have < b->max;
}

/*
 * Read events of pid into lports[have..max) until n in all arrived (or
 * 30 s passed), then linger NR_GRACE_MS for extra ones: the new total.
 */
static int burst_collect(struct nr_tracer *t, pid_t pid, int *lports,
			 int have, int n, int max)
{
	struct burst b = { .pid = pid, .lports = lports, .have = have,
			   .max = max };

	if (b.have < b.max)
		nr_events_collect(t, &b.have, n, 30000, 0, burst_event, &b);
	return b.have;
}

static void test_burst(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_burst", 0);
	static int want[BURST_N], got[BURST_N * 2];
	struct nr_tracer *t;
	struct nr_conn c;
	char pid[16];
	int n;

	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	t = tc_start(ctx, NR_ARGS("-j", "-p", pid));
	for (int i = 0; i < BURST_N; i++) {
		connect_ok(cl, l, &c);
		want[i] = c.lport;
	}
	n = burst_collect(t, cl->pid, got, 0, BURST_N, BURST_N * 2);
	nr_tracer_stop_must(t);
	/* Whatever it printed while exiting counts too. */
	n = burst_collect(t, cl->pid, got, n, 0, BURST_N * 2);
	if (nr_tracer_stderr_has(t, "lost"))
		fail_msg("'%s': lost events reported:\n%s", t->cmdline,
			 nr_tracer_stderr(t));
	if (n != BURST_N)
		fail_msg("'%s': %d events for %d connects", t->cmdline, n,
			 BURST_N);
	qsort(want, BURST_N, sizeof(int), cmp_int);
	qsort(got, BURST_N, sizeof(int), cmp_int);
	/* Loopback may reuse a port within the burst (tcp_tw_reuse): the
	 * two multisets of ports must be equal. */
	for (int i = 0; i < BURST_N; i++) {
		if (got[i] != want[i])
			fail_msg("'%s': event lports differ from the client's "
				 "(sorted, index %d: got %d, want %d)",
				 t->cmdline, i, got[i], want[i]);
	}
}

/* ---- 16: attach strategies ---- */

static void test_attach_tracepoint(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_tp", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j", "-v",
						    "--attach=tracepoint"));
	struct nr_conn c;

	/* The tracepoint path sees sport 0 at SYN_SENT: lport is the trap. */
	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
	nr_tracer_stop_must(t);
	nr_expect_strategy_must(t, "tracepoint");
}

static void test_verbose_strategy(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_verbose", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-j", "-v"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
	nr_tracer_stop_must(t);
	nr_expect_strategy_must(t, NULL);
}

/*
 * Without -L, -j and --mntnsmap the tracepoint strategy reads the
 * tracepoint record by its tracefs layout and never reads the kernel's
 * BTF (-v says which); rows are the same.  With them, netrace takes the
 * few kernel types it needs out of the BTF, and libbpf does not load it
 * (it does for fentry programs, to find their targets).  A connect still
 * pending when connect() returns (its SYN dropped by a listener whose
 * accept queue is full) is reported at that return.
 */
#define LIBBPF_LOADS_BTF	"loading kernel BTF '/sys/kernel/btf/vmlinux'"
#define TYPES_TAKEN		"kernel types (BTF): "

static void expect_types_line(struct nr_tracer *t, bool typeless)
{
	const char *err = nr_tracer_stderr(t);
	bool tp = strstr(err, "attach strategy: tracepoint");
	const char *want = typeless && tp ?
		"kernel types (BTF) not read: none needed" : TYPES_TAKEN;

	if (!strstr(err, want))
		fail_msg("'%s': want \"%s\" on stderr, got:\n%s", t->cmdline,
			 want, err);
	if (tp && strstr(err, LIBBPF_LOADS_BTF))
		fail_msg("'%s': libbpf read the kernel's BTF itself:\n%s",
			 t->cmdline, err);
}

static void expect_text_row(struct nr_tracer *t, const struct nr_conn *c)
{
	char want[512];
	const char *row = nr_wait_row_must(t, c->pid, 0);
	struct tc_want w;

	tc_want(c, &w);
	nr_tc_row(want, sizeof(want), c->pid, c->comm, w.ip, w.saddr, w.daddr,
		  c->dport);
	nr_expect_line(t, "row", row, want);
}

/* A non-blocking connect by this process to a; its socket stays open. */
static int pending_connect(const struct sockaddr_in *a, struct nr_conn *c)
{
	socklen_t len = sizeof(c->local);
	FILE *f = fopen("/proc/thread-self/comm", "re");
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(c, 0, sizeof(*c));
	if (!f || !fgets(c->comm, sizeof(c->comm), f) || s < 0)
		fail_msg("pending connect: %s", strerror(errno));
	fclose(f);
	c->comm[strcspn(c->comm, "\n")] = '\0';
	c->pid = getpid();
	c->family = AF_INET;
	memcpy(&c->peer, a, sizeof(*a));
	c->dport = ntohs(a->sin_port);
	if (!connect(s, (const struct sockaddr *)a, sizeof(*a)) ||
	    errno != EINPROGRESS)
		fail_msg("connect to a full accept queue: %s, want EINPROGRESS",
			 strerror(errno));
	getsockname(s, (struct sockaddr *)&c->local, &len);
	return s;
}

static void test_typeless(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *cl = nr_client_must(ctx, "nr_it_typeless", 0);
	struct nr_tracer *t = tc_start(ctx, NR_ARGS("-v"));
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct nr_conn c;
	int64_t start;
	int full, pending;

	connect_ok(cl, l4, &c);
	expect_text_row(t, &c);
	connect_ok(cl, l6, &c);
	expect_text_row(t, &c);

	/*
	 * Backlog 0 and one connection queued: the next SYN is dropped,
	 * and that connect stays pending.  This process makes it, so that
	 * the row can be waited for while the socket is still open (its
	 * close would be a state change that reports it too).
	 */
	full = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (full < 0 || bind(full, (struct sockaddr *)&a, alen) ||
	    listen(full, 0) ||
	    getsockname(full, (struct sockaddr *)&a, &alen))
		fail_msg("listener: %s", strerror(errno));
	nr_client_connect_must(cl, AF_INET, "127.0.0.1", ntohs(a.sin_port),
			       false, &c);
	if (c.err)
		fail_msg("first connect to the backlog-0 listener: %s",
			 strerror(c.err));
	expect_text_row(t, &c);
	start = nr_now_ms();
	pending = pending_connect(&a, &c);
	expect_text_row(t, &c);
	if (nr_now_ms() - start > ROW_LATENCY_MS)
		fail_msg("'%s': pending connect shown %lld ms after it, want < %d",
			 t->cmdline, (long long)(nr_now_ms() - start),
			 ROW_LATENCY_MS);
	close(pending);
	close(full);
	nr_tracer_stop_must(t);
	expect_types_line(t, true);

	/* -L needs the socket's port: kernel types again, a few. */
	t = tc_start(ctx, NR_ARGS("-v", "-L"));
	connect_ok(cl, l4, &c);
	expect_lport_row(t, &c);
	nr_tracer_stop_must(t);
	expect_types_line(t, false);
}

/* ---- 17: bad input ---- */

static void test_bad_pid(void **state)
{
	struct nr_tracer_cfg cfg;
	struct nr_tracer *t;

	nr_test_begin(state);
	tc_cfg(&cfg, NR_ARGS("-p", "abc"));
	t = nr_usage_error_must(*state, &cfg);
	if (!strstr(t->err.lines[0], "abc"))
		fail_msg("'%s': want one stderr line naming \"abc\", got:\n%s",
			 t->cmdline, nr_tracer_stderr(t));
}

/* ---- main ---- */

#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipv4_json), T(test_ipv6_json), T(test_ipv4_mapped),
		T(test_refused), T(test_nonblocking), T(test_typeless),
		T(test_uid_field), T(test_uid_is_real_uid),
		T(test_thread_tgid), T(test_filter_uid_keep),
		T(test_filter_uid_drop),
		T(test_filter_pid), T(test_filter_ports),
		T(test_filter_ipv4), T(test_filter_ipv6),
		T(test_cgroupmap), T(test_mntnsmap),
		T(test_text_row), T(test_text_lport), T(test_text_time_uid),
		T(test_comm_control_char),
		T(test_count), T(test_count_json),
		T(test_symlink), T(test_sigterm), T(test_stdout_closed),
		T(test_burst),
		T(test_attach_tracepoint), T(test_verbose_strategy),
		T(test_bad_pid),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_tcpconnect", &skip_all))
		return 1;
	rc = cmocka_run_group_tests_name("tcpconnect", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
