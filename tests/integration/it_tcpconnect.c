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
#define NOBODY		65534
#define BURST_N		500
#define ROW_LATENCY_MS	1000	/* contract: ~100 ms; slack for slow VMs */

#define TC_ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })

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

/* inet_ntop's own spelling of an address of IP version ip. */
static bool addr_canonical(long long ip, const char *s)
{
	int af = ip == 4 ? AF_INET : AF_INET6;
	unsigned char bin[16];
	char back[INET6_ADDRSTRLEN];

	return s && inet_pton(af, s, bin) == 1 &&
	       inet_ntop(af, bin, back, sizeof(back)) && !strcmp(back, s);
}

static long long jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool port_ok(long long p)
{
	return p >= 0 && p <= 65535;
}

/* Checked on every event line, ours or not. */
static bool event_sane(json_t *o, char *why, size_t n)
{
	long long ip = jint(o, "ip");

	if (ip != 4 && ip != 6)
		snprintf(why, n, "ip is %lld, want 4 or 6", ip);
	else if (!addr_canonical(ip, jstr(o, "saddr")))
		snprintf(why, n, "saddr is not inet_ntop IPv%lld", ip);
	else if (!addr_canonical(ip, jstr(o, "daddr")))
		snprintf(why, n, "daddr is not inet_ntop IPv%lld", ip);
	else if (!port_ok(jint(o, "lport")) || !port_ok(jint(o, "dport")))
		snprintf(why, n, "port out of range");
	else if (jint(o, "pid") <= 0 || jint(o, "uid") < 0)
		snprintf(why, n, "pid or uid out of range");
	else
		return true;
	return false;
}

static bool count_sane(json_t *o, char *why, size_t n)
{
	long long ip = jint(o, "ip");

	if (ip != 4 && ip != 6)
		snprintf(why, n, "ip is %lld, want 4 or 6", ip);
	else if (!addr_canonical(ip, jstr(o, "laddr")) ||
		 !addr_canonical(ip, jstr(o, "raddr")))
		snprintf(why, n, "laddr/raddr not inet_ntop IPv%lld", ip);
	else if (!port_ok(jint(o, "rport")) || jint(o, "connects") < 1)
		snprintf(why, n, "rport or connects out of range");
	else
		return true;
	return false;
}

/* ---- starting the tracer ---- */

static bool has_arg(const char *const *args, const char *a)
{
	for (; args && *args; args++)
		if (!strcmp(*args, a))
			return true;
	return false;
}

static void tc_cfg(struct nr_tracer_cfg *cfg, const char *const *args)
{
	bool json = has_arg(args, "-j") || has_arg(args, "--json");
	bool count = has_arg(args, "-c") || has_arg(args, "--count");

	memset(cfg, 0, sizeof(*cfg));
	cfg->applet = "tcpconnect";
	cfg->args = args;
	/* With -j stdout is JSON only: the banner moves to stderr. */
	cfg->ready_fd = json ? NR_ERR : NR_OUT;
	cfg->banner = BANNER;
	cfg->schema = count ? count_keys : event_keys;
	cfg->check = count ? count_sane : event_sane;
}

/* `netrace tcpconnect ARGS`, attached (banner seen). */
static struct nr_tracer *tc_start(struct nr_ctx *ctx, const char *const *args)
{
	struct nr_tracer_cfg cfg;

	tc_cfg(&cfg, args);
	return nr_tracer_start_must(ctx, &cfg);
}

static struct nr_ctx *it_begin(void **state)
{
	nr_require_root();
	return *state;
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

/* s with control bytes as \xHH, so a failure message shows them. */
static const char *visible(const char *s, char *buf, size_t n)
{
	size_t pos = 0;

	for (; *s && pos + 5 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			pos += snprintf(buf + pos, n - pos, "\\x%02x", ch);
		else
			buf[pos++] = (char)ch;
	}
	buf[pos] = 0;
	return buf;
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
	char *raw = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	memset(ev, 0, sizeof(*ev));
	ev->time_s = json_number_value(json_object_get(o, "time_s"));
	ev->pid = jint(o, "pid");
	ev->uid = jint(o, "uid");
	ev->ip = jint(o, "ip");
	ev->lport = jint(o, "lport");
	ev->dport = jint(o, "dport");
	snprintf(ev->comm, sizeof(ev->comm), "%s", jstr(o, "comm"));
	snprintf(ev->saddr, sizeof(ev->saddr), "%s", jstr(o, "saddr"));
	snprintf(ev->daddr, sizeof(ev->daddr), "%s", jstr(o, "daddr"));
	snprintf(ev->raw, sizeof(ev->raw), "%s", raw ? raw : "?");
	free(raw);
}

static bool is_conn(const struct tc_event *ev, const struct nr_conn *c)
{
	return ev->pid == c->pid && ev->lport == c->lport;
}

#define CHECK_INT(t, ev, name, got, want) do {				\
	if ((long long)(got) != (long long)(want))			\
		fail_msg("'%s': event %s is %lld, want %lld\n  event: %s", \
			 (t)->cmdline, name, (long long)(got),		\
			 (long long)(want), (ev)->raw);			\
} while (0)

#define CHECK_STR(t, ev, name, got, want) do {				\
	char g_[256], w_[256];						\
									\
	if (strcmp((got), (want)))					\
		fail_msg("'%s': event %s is \"%s\", want \"%s\"\n  event: %s", \
			 (t)->cmdline, name, visible(got, g_, sizeof(g_)), \
			 visible(want, w_, sizeof(w_)), (ev)->raw);	\
} while (0)

/* Every field of the event against the client's ground truth. */
static void tc_check_event(struct nr_tracer *t, const struct tc_event *ev,
			   const struct nr_conn *c)
{
	struct tc_want w;

	tc_want(c, &w);
	CHECK_INT(t, ev, "pid", ev->pid, c->pid);
	CHECK_INT(t, ev, "uid", ev->uid, c->uid);
	CHECK_STR(t, ev, "comm", ev->comm, c->comm);
	CHECK_INT(t, ev, "ip", ev->ip, w.ip);
	CHECK_STR(t, ev, "saddr", ev->saddr, w.saddr);
	CHECK_INT(t, ev, "lport", ev->lport, c->lport);
	CHECK_STR(t, ev, "daddr", ev->daddr, w.daddr);
	CHECK_INT(t, ev, "dport", ev->dport, c->dport);
}

struct tc_drops {
	const pid_t *pids;	/* clients whose every event is a failure */
	int n;
};

static void check_not_dropped(struct nr_tracer *t, const struct tc_event *ev,
			      const struct tc_drops *d, const char *when)
{
	for (int i = 0; d && i < d->n; i++)
		if (ev->pid == d->pids[i])
			fail_msg("'%s': an event of pid %d, which the filter "
				 "must drop, appeared %s\n  event: %s",
				 t->cmdline, (int)d->pids[i], when, ev->raw);
}

/* Events with c's pid or lport that did not match: helps to see why. */
static void note_near_miss(const struct tc_event *ev, const struct nr_conn *c,
			   char *miss, size_t n)
{
	size_t len = strlen(miss);

	if ((ev->pid == c->pid || ev->lport == c->lport) && len + 16 < n)
		snprintf(miss + len, n - len, "\n  %s", ev->raw);
}

/*
 * Read events until c's; fail on timeout, EOF or a dropped client's
 * event.  Then keep reading for NR_GRACE_MS: per-CPU buffers need not
 * deliver in order, so a drop could still arrive just after.
 */
static void tc_wait_event_must(struct nr_tracer *t, const struct nr_conn *c,
			       const struct tc_drops *d, struct tc_event *out)
{
	int64_t end = nr_now_ms() + NR_EVENT_TIMEOUT_MS;
	char miss[2048] = "";
	struct tc_event ev;
	bool found = false;
	int rc = 1;

	while (rc == 1) {
		int64_t left = end - nr_now_ms();
		json_t *o = nr_tracer_json_must(t, left > 0 ? (int)left : 0,
						&rc);

		if (!o)
			break;
		tc_decode(o, &ev);
		json_decref(o);
		check_not_dropped(t, &ev, d, found ? "just after the kept one"
						    : "before the kept one");
		if (!found && is_conn(&ev, c)) {
			*out = ev;
			found = true;
			end = nr_now_ms() + NR_GRACE_MS;
		} else if (!found) {
			note_near_miss(&ev, c, miss, sizeof(miss));
		}
	}
	if (!found)
		fail_msg("'%s': no event for pid %d lport %d (%s -> %s:%d) "
			 "within %d ms (%s); events with that pid or lport:%s"
			 "\nstderr:\n%s",
			 t->cmdline, (int)c->pid, c->lport, c->saddr, c->daddr,
			 c->dport, NR_EVENT_TIMEOUT_MS,
			 rc == -1 ? "stdout closed" : "timeout",
			 miss[0] ? miss : " none", nr_tracer_stderr(t));
}

/* Wait for c's event and check all its fields. */
static void tc_expect_event(struct nr_tracer *t, const struct nr_conn *c,
			    const struct tc_drops *d)
{
	struct tc_event ev;

	tc_wait_event_must(t, c, d, &ev);
	tc_check_event(t, &ev, c);
}

static struct nr_client *client(struct nr_ctx *ctx, const char *comm,
				uid_t uid)
{
	struct nr_client_cfg cfg = { .comm = comm, .uid = uid };

	return nr_client_start_must(ctx, &cfg);
}

/* A connect to l that must succeed (the listener is there). */
static void connect_ok(struct nr_client *cl, struct nr_listener *l,
		       struct nr_conn *c)
{
	nr_client_connect_must(cl, l->family, l->addr, l->port, false, c);
	if (c->err)
		fail_msg("client connect to %s:%d failed: %s", l->addr,
			 l->port, strerror(c->err));
}

/* ---- 1-5: one connect, every field ---- */

static void test_ipv4_json(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_v4", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
}

static void test_ipv6_json(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *cl = client(ctx, "nr_it_v6", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
}

static void test_ipv4_mapped(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_mapped", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
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
	struct nr_ctx *ctx = it_begin(state);
	struct nr_client *cl = client(ctx, "nr_it_refused", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
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
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_nonblock", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
	struct nr_conn c;

	nr_client_connect_must(cl, AF_INET, l->addr, l->port, true, &c);
	if (c.err && c.err != EINPROGRESS)
		fail_msg("non-blocking connect: %s", strerror(c.err));
	tc_expect_event(t, &c, NULL);
}

/* ---- 6: uid ---- */

static void test_uid_field(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_nobody", NOBODY);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	if (c.uid != NOBODY)
		fail_msg("client uid is %d, want %d", (int)c.uid, NOBODY);
	tc_expect_event(t, &c, NULL);
}

/* The real uid, not the effective one (BCC: bpf_get_current_uid_gid). */
static void test_uid_is_real_uid(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client_cfg cfg = { .comm = "nr_it_ruid", .uid = NOBODY,
				     .keep_euid = true };
	struct nr_client *cl = nr_client_start_must(ctx, &cfg);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
	struct nr_conn c;

	connect_ok(cl, l, &c);
	if (c.uid != NOBODY || c.euid != 0)
		fail_msg("client uid %d euid %d, want %d and 0", (int)c.uid,
			 (int)c.euid, NOBODY);
	tc_expect_event(t, &c, NULL);
}

/*
 * A connect from a second thread: PID is the thread group id, and -p
 * takes that id too.  Two tracers watch the same connect.
 */
static void test_thread_tgid(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_thread", 0);
	struct nr_tracer *all = tc_start(ctx, TC_ARGS("-j"));
	struct nr_tracer *one;
	struct nr_conn c;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	one = tc_start(ctx, TC_ARGS("-j", "-p", pid));
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
	struct tc_drops d = { &cd.pid, 1 };

	connect_ok(drop, ld, &cd);
	connect_ok(keep, lk, &ck);
	tc_expect_event(t, &ck, &d);
}

static void test_filter_uid_keep(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *root = client(ctx, "nr_it_root", 0);
	struct nr_client *nobody = client(ctx, "nr_it_nobody", NOBODY);
	char uid[16];
	struct nr_tracer *t;

	snprintf(uid, sizeof(uid), "%d", NOBODY);
	t = tc_start(ctx, TC_ARGS("-j", "-u", uid));
	drop_then_keep(t, root, nobody, l, l);
}

static void test_filter_uid_drop(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *nobody = client(ctx, "nr_it_nobody", NOBODY);
	struct nr_client *root = client(ctx, "nr_it_root", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j", "-u", "0"));

	drop_then_keep(t, nobody, root, l, l);
}

/* ---- 7: -p, -P, -4, -6 ---- */

static void test_filter_pid(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *keep = client(ctx, "nr_it_keep", 0);
	struct nr_client *drop = client(ctx, "nr_it_drop", 0);
	char pid[16];
	struct nr_tracer *t;

	snprintf(pid, sizeof(pid), "%d", (int)keep->pid);
	t = tc_start(ctx, TC_ARGS("-j", "-p", pid));
	drop_then_keep(t, drop, keep, l, l);
}

/* -P X,Z: both listed ports are kept, an unlisted Y is dropped. */
static void test_filter_ports(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *lx = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *ly = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *lz = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *drop = client(ctx, "nr_it_drop", 0);
	struct nr_client *keep = client(ctx, "nr_it_keep", 0);
	struct nr_conn cz;
	struct tc_drops d;
	char ports[32];
	struct nr_tracer *t;

	snprintf(ports, sizeof(ports), "%d,%d", lx->port, lz->port);
	t = tc_start(ctx, TC_ARGS("-j", "-P", ports));
	drop_then_keep(t, drop, keep, ly, lx);
	/* The second listed port too, with the drop still never seen. */
	d.pids = &drop->pid;
	d.n = 1;
	connect_ok(keep, lz, &cz);
	tc_expect_event(t, &cz, &d);
}

static void test_filter_ipv4(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *drop = client(ctx, "nr_it_drop6", 0);
	struct nr_client *keep = client(ctx, "nr_it_keep4", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j", "-4"));

	drop_then_keep(t, drop, keep, l6, l4);
}

static void test_filter_ipv6(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l4 = nr_listener_start_must(ctx, AF_INET);
	struct nr_listener *l6 = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *drop = client(ctx, "nr_it_drop4", 0);
	struct nr_client *keep = client(ctx, "nr_it_keep6", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j", "-6"));

	drop_then_keep(t, drop, keep, l4, l6);
}

/* ---- 8, 9: --cgroupmap, --mntnsmap ---- */

static void test_cgroupmap(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	char cg[4096], fs[4096], pin[4200];
	struct nr_client_cfg in_cfg = { .comm = "nr_it_incg" };
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *in, *out;
	uint64_t key, val = 1;
	struct nr_tracer *t;

	nr_cgroup_create_must(ctx, cg, sizeof(cg));
	/* The v2 cgroup id is the inode number of its directory. */
	key = nr_inode_must(cg);
	nr_bpffs_must(ctx, fs, sizeof(fs));
	snprintf(pin, sizeof(pin), "%s/cgroupmap", fs);
	nr_pin_hash_map_must(ctx, pin, sizeof(key), &key, sizeof(val), &val);
	in_cfg.cgroup = cg;
	in = nr_client_start_must(ctx, &in_cfg);
	out = client(ctx, "nr_it_outcg", 0);
	t = tc_start(ctx, TC_ARGS("-j", "--cgroupmap", pin));
	drop_then_keep(t, out, in, l, l);
}

static void test_mntnsmap(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	char fs[4096], pin[4200], ns[64];
	struct nr_client_cfg in_cfg = { .comm = "nr_it_inns",
					 .new_mntns = true };
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *in, *out;
	uint64_t key;
	uint32_t val = 1;
	struct nr_tracer *t;

	in = nr_client_start_must(ctx, &in_cfg);
	out = client(ctx, "nr_it_outns", 0);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)in->pid);
	key = nr_inode_must(ns);
	if (key == nr_inode_must("/proc/self/ns/mnt"))
		fail_msg("unshare(CLONE_NEWNS) left the client in our mntns");
	nr_bpffs_must(ctx, fs, sizeof(fs));
	snprintf(pin, sizeof(pin), "%s/mntnsmap", fs);
	nr_pin_hash_map_must(ctx, pin, sizeof(key), &key, sizeof(val), &val);
	t = tc_start(ctx, TC_ARGS("-j", "--mntnsmap", pin));
	drop_then_keep(t, out, in, l, l);
}

/* ---- 10: text rows, byte for byte ---- */

/* What text mode must print for a comm: control bytes become '?'. */
static void sanitize(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s);
	for (; *dst; dst++)
		if ((unsigned char)*dst < 0x20 || *dst == 0x7f)
			*dst = '?';
}

/* Whitespace-separated field i of line, into buf. */
static const char *field(const char *line, int i, char *buf, size_t n)
{
	const char *p = line;
	size_t len;

	for (;;) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!i-- || !len)
			break;
		p += len;
	}
	snprintf(buf, n, "%.*s", (int)len, p);
	return buf;
}

/* Next stdout row whose field pid_field is pid. */
static const char *tc_wait_row_must(struct nr_tracer *t, pid_t pid,
				    int pid_field)
{
	int64_t end = nr_now_ms() + NR_EVENT_TIMEOUT_MS;
	char want[16], got[64];
	const char *line;
	int rc;

	snprintf(want, sizeof(want), "%d", (int)pid);
	for (;;) {
		int64_t left = end - nr_now_ms();

		rc = nr_tracer_line(t, NR_OUT, left > 0 ? (int)left : 0, &line);
		if (rc != 1)
			break;
		if (!strcmp(field(line, pid_field, got, sizeof(got)), want))
			return line;
	}
	fail_msg("'%s': no text row for pid %d (%s)\nstderr:\n%s", t->cmdline,
		 (int)pid, rc ? "stdout closed" : "timeout",
		 nr_tracer_stderr(t));
	return NULL;
}

static void expect_line(struct nr_tracer *t, const char *what,
			const char *got, const char *want)
{
	char g[1024], w[1024];

	if (strcmp(got, want))
		fail_msg("'%s': %s differs\n  want: \"%s\"\n  got:  \"%s\"",
			 t->cmdline, what, visible(want, w, sizeof(w)),
			 visible(got, g, sizeof(g)));
}

static void tc_expect_header(struct nr_tracer *t, const char *want)
{
	const char *line;

	if (nr_tracer_line(t, NR_OUT, NR_EVENT_TIMEOUT_MS, &line) != 1)
		fail_msg("'%s': no header after the banner", t->cmdline);
	expect_line(t, "header", line, want);
}

#define HDR_FMT		"%-7s %-12s %-2s %-16s %-16s %-6s"
#define ROW_FMT		"%-7d %-12.12s %-2d %-16s %-16s %-6d "
#define HDR_L_FMT	"%-7s %-12s %-2s %-16s %-6s %-16s %-6s"
#define ROW_L_FMT	"%-7d %-12.12s %-2d %-16s %-6d %-16s %-6d "

static void test_text_row(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_text_row", 0);
	struct nr_tracer *t = tc_start(ctx, NULL);
	char want[512], comm[32];
	const char *row;
	struct nr_conn c;
	struct tc_want w;
	int64_t start;

	snprintf(want, sizeof(want), HDR_FMT, "PID", "COMM", "IP", "SADDR",
		 "DADDR", "DPORT");
	tc_expect_header(t, want);
	connect_ok(cl, l, &c);
	start = nr_now_ms();
	row = tc_wait_row_must(t, c.pid, 0);
	/* Flushed every 100 ms: a block-buffered stdout would sit on it. */
	if (nr_now_ms() - start > ROW_LATENCY_MS)
		fail_msg("'%s': row came %lld ms after the connect, want < %d",
			 t->cmdline, (long long)(nr_now_ms() - start),
			 ROW_LATENCY_MS);
	tc_want(&c, &w);
	sanitize(comm, sizeof(comm), c.comm);
	snprintf(want, sizeof(want), ROW_FMT, (int)c.pid, comm, w.ip,
		 w.saddr, w.daddr, c.dport);
	expect_line(t, "row", row, want);
}

static void test_text_lport(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET6);
	struct nr_client *cl = client(ctx, "nr_it_text_L", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-L"));
	char want[512], comm[32];
	struct nr_conn c;
	struct tc_want w;

	snprintf(want, sizeof(want), HDR_L_FMT, "PID", "COMM", "IP", "SADDR",
		 "LPORT", "DADDR", "DPORT");
	tc_expect_header(t, want);
	connect_ok(cl, l, &c);
	tc_want(&c, &w);
	sanitize(comm, sizeof(comm), c.comm);
	snprintf(want, sizeof(want), ROW_L_FMT, (int)c.pid, comm, w.ip,
		 w.saddr, c.lport, w.daddr, c.dport);
	expect_line(t, "-L row", tc_wait_row_must(t, c.pid, 0), want);
}

/*
 * -t -U: TIME(s) then UID before PID, as BCC prints them ("%-9s" and
 * "%-6s" glued to the next column).  -p makes ours the first event, so
 * its time is 0.000.
 */
static void test_text_time_uid(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_text_tU", NOBODY);
	char want[512], comm[32], pid[16], f[64], *endp;
	struct nr_tracer *t;
	const char *row;
	struct nr_conn c;
	struct tc_want w;
	double secs;

	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	t = tc_start(ctx, TC_ARGS("-t", "-U", "-p", pid));
	snprintf(want, sizeof(want), "%-9s%-6s" HDR_FMT, "TIME(s)", "UID",
		 "PID", "COMM", "IP", "SADDR", "DADDR", "DPORT");
	tc_expect_header(t, want);
	connect_ok(cl, l, &c);
	row = tc_wait_row_must(t, c.pid, 2);
	secs = strtod(field(row, 0, f, sizeof(f)), &endp);
	if (!f[0] || *endp || !isfinite(secs))
		fail_msg("'%s': TIME(s) \"%s\" is not a number: %s",
			 t->cmdline, f, row);
	if (strcmp(f, "0.000"))
		fail_msg("'%s': first event's TIME(s) is %s, want 0.000: %s",
			 t->cmdline, f, row);
	if (atol(field(row, 1, f, sizeof(f))) != (long)c.uid)
		fail_msg("'%s': UID column \"%s\", want %d: %s", t->cmdline,
			 f, (int)c.uid, row);
	tc_want(&c, &w);
	sanitize(comm, sizeof(comm), c.comm);
	snprintf(want, sizeof(want), "%-9.3f%-6d" ROW_FMT, secs, (int)c.uid,
		 (int)c.pid, comm, w.ip, w.saddr, w.daddr, c.dport);
	expect_line(t, "-t -U row", row, want);
}

/* A comm with ESC: '?' in text, "\u001b" in JSON (decoded back to ESC). */
static void test_comm_control_char(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr\x1b" "ctl", 0);
	char want[512], comm[32];
	struct nr_tracer *t = tc_start(ctx, NULL);
	struct nr_conn c;
	struct tc_want w;

	connect_ok(cl, l, &c);
	if (strcmp(c.comm, "nr\x1b" "ctl"))
		fail_msg("client comm is not nr<ESC>ctl");
	tc_want(&c, &w);
	sanitize(comm, sizeof(comm), c.comm);
	if (strcmp(comm, "nr?ctl"))
		fail_msg("sanitize() self-check failed");
	snprintf(want, sizeof(want), ROW_FMT, (int)c.pid, comm, w.ip,
		 w.saddr, w.daddr, c.dport);
	expect_line(t, "row", tc_wait_row_must(t, c.pid, 0), want);
	nr_tracer_stop_must(t);

	t = tc_start(ctx, TC_ARGS("-j"));
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
	struct nr_client *cl = client(ctx, "nr_it_count", 0);
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

/* Lines from..end of a stream, for failure messages. */
static const char *dump(struct nr_stream *s, size_t from)
{
	static char buf[8192];
	size_t pos = 0;

	buf[0] = 0;
	for (size_t i = from; i < s->nlines && pos < sizeof(buf) - 1; i++)
		pos += snprintf(buf + pos, sizeof(buf) - pos, "\"%s\"\n",
				s->lines[i]);
	return buf;
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
	struct nr_ctx *ctx = it_begin(state);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-c"));
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
			 " and rows; stdout after the banner:\n%s",
			 t->cmdline, dump(&t->out, first));
	snprintf(want, sizeof(want), "%-25s %-25s %-20s %-10s", "LADDR",
		 "RADDR", "RPORT", "CONNECTS");
	expect_line(t, "count header", t->out.lines[first + 1], want);
	for (int i = 0; i < 3; i++) {
		struct tc_want w;

		tc_want(&p.last[i], &w);
		snprintf(want, sizeof(want), "%-25s %-25s %-20d %-10d",
			 w.saddr, w.daddr, p.l[i]->port, p.n[i]);
		idx[i] = find_line(&t->out, first + 2, want);
		if (idx[i] < 0)
			fail_msg("'%s': no count row \"%s\"\nstdout:\n%s",
				 t->cmdline, want, dump(&t->out, first));
	}
	if (!(idx[0] < idx[1] && idx[1] < idx[2]))
		fail_msg("'%s': count rows out of order: 5x v4 at %d, 3x v4 "
			 "at %d, 7x v6 at %d (want by count, IPv4 first)",
			 t->cmdline, idx[0], idx[1], idx[2]);
}

static void test_count_json(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-c", "-j"));
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
			if (jint(o, "rport") != p.l[i]->port ||
			    strcmp(jstr(o, "raddr"), w.daddr))
				continue;
			if (jint(o, "ip") != w.ip ||
			    strcmp(jstr(o, "laddr"), w.saddr) ||
			    jint(o, "connects") != p.n[i])
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
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_symlink", 0);
	char dir[256], link[300];
	struct nr_tracer_cfg cfg;
	struct nr_tracer *t;
	struct nr_conn c;

	nr_tmpdir_must(ctx, dir, sizeof(dir));
	snprintf(link, sizeof(link), "%s/tcpconnect", dir);
	if (symlink(nr_netrace_path(), link))
		fail_msg("symlink %s: %s", link, strerror(errno));
	tc_cfg(&cfg, TC_ARGS("-j"));
	cfg.exe = link;
	cfg.applet = NULL;	/* argv[0] "…/tcpconnect" picks the applet */
	t = nr_tracer_start_must(ctx, &cfg);
	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
}

static void test_sigterm(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_sigterm", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j"));
	struct nr_conn c;
	char buf[64];
	int st;

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
	st = nr_tracer_stop(t, SIGTERM, NR_STOP_TIMEOUT_MS);
	t->stopped_by_test = true;
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("'%s' after SIGTERM: %s, want exit 0\nstderr:\n%s",
			 t->cmdline, nr_status_str(st, buf, sizeof(buf)),
			 nr_tracer_stderr(t));
}

/* `netrace tcpconnect | head -1`: the next write finds no reader. */
static void test_stdout_closed(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_head", 0);
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

/*
 * Read events of pid into lports[have..max) until n in all arrived (or
 * 30 s passed), then linger NR_GRACE_MS for extra ones: the new total.
 */
static int burst_collect(struct nr_tracer *t, pid_t pid, int *lports,
			 int have, int n, int max)
{
	int64_t end = nr_now_ms() + 30000;
	bool lingering = false;
	struct tc_event ev;
	json_t *o;
	int rc = 1;

	while (have < max && rc == 1) {
		int64_t left;

		if (have >= n && !lingering) {
			lingering = true;
			end = nr_now_ms() + NR_GRACE_MS;
		}
		left = end - nr_now_ms();
		o = nr_tracer_json_must(t, left > 0 ? (int)left : 0, &rc);
		if (!o)
			break;
		tc_decode(o, &ev);
		json_decref(o);
		if (ev.pid != pid)
			continue;
		if (!have && ev.time_s != 0)
			fail_msg("'%s': first event's time_s is %g, want 0: %s",
				 t->cmdline, ev.time_s, ev.raw);
		lports[have++] = (int)ev.lport;
	}
	return have;
}

static void test_burst(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_burst", 0);
	static int want[BURST_N], got[BURST_N * 2];
	struct nr_tracer *t;
	struct nr_conn c;
	char pid[16];
	int n;

	snprintf(pid, sizeof(pid), "%d", (int)cl->pid);
	t = tc_start(ctx, TC_ARGS("-j", "-p", pid));
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
	for (int i = 0; i < BURST_N; i++) {
		if (i && want[i] == want[i - 1])
			fail_msg("ground truth: lport %d used twice", want[i]);
		if (got[i] != want[i])
			fail_msg("'%s': event lports differ from the client's "
				 "(sorted, index %d: got %d, want %d)",
				 t->cmdline, i, got[i], want[i]);
	}
}

/* ---- 16: attach strategies ---- */

/* The word after "attach strategy:" in stderr, or NULL. */
static const char *strategy(struct nr_tracer *t, char *buf, size_t n)
{
	const char *key = "attach strategy:";

	for (size_t i = 0; i < t->err.nlines; i++) {
		const char *p = strstr(t->err.lines[i], key);

		if (p)
			return field(p + strlen(key), 0, buf, n);
	}
	return NULL;
}

static void test_attach_tracepoint(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_tp", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j", "-v",
						    "--attach=tracepoint"));
	struct nr_conn c;
	const char *s;
	char buf[64];

	/* The tracepoint path sees sport 0 at SYN_SENT: lport is the trap. */
	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
	nr_tracer_stop_must(t);
	s = strategy(t, buf, sizeof(buf));
	if (!s || strcmp(s, "tracepoint"))
		fail_msg("'%s': want \"attach strategy: tracepoint\" on "
			 "stderr, got: %s\nstderr:\n%s", t->cmdline,
			 s ? s : "(none)", nr_tracer_stderr(t));
}

static void test_verbose_strategy(void **state)
{
	struct nr_ctx *ctx = it_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);
	struct nr_client *cl = client(ctx, "nr_it_verbose", 0);
	struct nr_tracer *t = tc_start(ctx, TC_ARGS("-j", "-v"));
	const char *forced = getenv("NETRACE_ATTACH");
	struct nr_conn c;
	const char *s;
	char buf[64];

	connect_ok(cl, l, &c);
	tc_expect_event(t, &c, NULL);
	nr_tracer_stop_must(t);
	s = strategy(t, buf, sizeof(buf));
	if (!s || (strcmp(s, "fentry") && strcmp(s, "kprobe") &&
		   strcmp(s, "tracepoint")))
		fail_msg("'%s': want \"attach strategy: fentry|kprobe|"
			 "tracepoint\" on stderr\nstderr:\n%s", t->cmdline,
			 nr_tracer_stderr(t));
	if (forced && *forced && strcmp(forced, "auto") && strcmp(s, forced))
		fail_msg("'%s': strategy %s, but --attach=%s was given",
			 t->cmdline, s, forced);
}

/* ---- 17: bad input ---- */

static void test_bad_pid(void **state)
{
	struct nr_tracer_cfg cfg;
	struct nr_tracer *t;
	char buf[64];
	int st;

	it_begin(state);
	tc_cfg(&cfg, TC_ARGS("-p", "abc"));
	cfg.ready_fd = -1;
	cfg.no_env_opts = true;
	t = nr_tracer_start_must(*state, &cfg);
	st = nr_tracer_stop(t, 0, NR_STOP_TIMEOUT_MS);
	t->stopped_by_test = true;
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 2)
		fail_msg("'%s': %s, want exit 2", t->cmdline,
			 nr_status_str(st, buf, sizeof(buf)));
	if (t->err.nlines != 1 || !strstr(t->err.lines[0], "abc"))
		fail_msg("'%s': want one stderr line naming \"abc\", got:\n%s",
			 t->cmdline, nr_tracer_stderr(t));
	if (t->out.nlines)
		fail_msg("'%s': stdout not empty: %s", t->cmdline,
			 t->out.lines[0]);
}

/* ---- main ---- */

#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipv4_json), T(test_ipv6_json), T(test_ipv4_mapped),
		T(test_refused), T(test_nonblocking),
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
	bool skip_all = geteuid() != 0 && !nr_priv_required();
	const char *exe = getenv("NETRACE");
	const char *filter = getenv("NR_IT_FILTER");
	int rc;

	if (skip_all)
		fprintf(stderr, "it_tcpconnect: not root, skipping every test\n");
	else if (!exe || access(exe, X_OK)) {
		fprintf(stderr, "it_tcpconnect: NETRACE=%s is not an executable"
			" netrace binary\n", exe ? exe : "(unset)");
		return 1;
	}
	if (filter)
		cmocka_set_test_filter(filter);
	rc = cmocka_run_group_tests_name("tcpconnect", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
