// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Privileged integration tests of `netrace tcplife`: each test makes its
 * own TCP sessions between a client and a server process of known pids
 * and comms, which report what they saw (ports from getsockname, bytes
 * written and read, when they opened and closed), and compares every
 * field of the rows with that.  Client and server differ in pid and
 * comm, so a row naming whatever task ran the softirq that closed the
 * socket (on loopback, often the peer) fails.
 *
 * A row is "ours" when its ports are those of one of our sessions: other
 * processes may open sessions meanwhile.
 *
 * Environment: NETRACE (the binary, required), NETRACE_ATTACH and
 * NETRACE_BUFFER (added to every tracer), CI=true or
 * NETRACE_REQUIRE_PRIV=1 (not root is a failure), NR_IT_FILTER.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BANNER		"Tracing TCP sessions ... Hit Ctrl-C to end"
/* Not multiples of 1024, and not within 3 bytes below one (SYN, FIN). */
#define C2S_BYTES	(300 * 1024 + 517)
#define S2C_BYTES	(200 * 1024 + 99)
#define HOLD_MS		30	/* a session lives at least this long */

/* ---- output contract ---- */

static const struct nr_jkey event_keys[] = {
	{ "time", JSON_STRING }, { "time_s", JSON_REAL },
	{ "pid", JSON_INTEGER }, { "comm", JSON_STRING },
	{ "ip", JSON_INTEGER }, { "laddr", JSON_STRING },
	{ "lport", JSON_INTEGER }, { "raddr", JSON_STRING },
	{ "rport", JSON_INTEGER }, { "tx_kb", JSON_INTEGER },
	{ "rx_kb", JSON_INTEGER }, { "ms", JSON_REAL },
	{ "tx_bytes", JSON_INTEGER }, { "rx_bytes", JSON_INTEGER },
	{ NULL, 0 },
};

static bool event_sane(json_t *o, char *why, size_t n)
{
	if (!nr_conn_event_sane(o, "laddr", "raddr", "lport", "rport", why, n))
		return false;
	if (nr_jint(o, "tx_kb") != nr_jint(o, "tx_bytes") / 1024 ||
	    nr_jint(o, "rx_kb") != nr_jint(o, "rx_bytes") / 1024)
		snprintf(why, n, "KB are not the bytes / 1024");
	else if (!(json_number_value(json_object_get(o, "ms")) >= 0))
		snprintf(why, n, "ms is negative");
	else
		return true;
	return false;
}

/* BCC's header: prefixes, then the one of -s, -w or neither. */
static void tl_header(const char *const *args, char *buf, size_t n)
{
	bool csv = nr_has_arg(args, "-s"), wide = nr_has_arg(args, "-w");
	size_t pos = 0;

	buf[0] = 0;
	if (nr_has_arg(args, "-T"))
		pos += snprintf(buf + pos, n - pos, csv ? "%s," : "%-8s ",
				"TIME");
	if (nr_has_arg(args, "-t"))
		pos += snprintf(buf + pos, n - pos, csv ? "%s," : "%-9s ",
				"TIME(s)");
	if (csv)
		snprintf(buf + pos, n - pos, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s",
			 "PID", "COMM", "IP", "LADDR", "LPORT", "RADDR",
			 "RPORT", "TX_KB", "RX_KB", "MS");
	else if (wide)
		snprintf(buf + pos, n - pos,
			 "%-5s %-16.16s %-2s %-26s %-5s %-26s %-5s %6s %6s %s",
			 "PID", "COMM", "IP", "LADDR", "LPORT", "RADDR",
			 "RPORT", "TX_KB", "RX_KB", "MS");
	else
		snprintf(buf + pos, n - pos,
			 "%-5s %-10.10s %s%-15s %-5s %-15s %-5s %5s %5s %s",
			 "PID", "COMM", "", "LADDR", "LPORT", "RADDR",
			 "RPORT", "TX_KB", "RX_KB", "MS");
}

static char header_store[8][256];
static unsigned int header_next;

static void tl_cfg(struct nr_tracer_cfg *cfg, const char *const *args)
{
	nr_applet_cfg(cfg, "tcplife", args, BANNER);
	cfg->schema = event_keys;
	cfg->check = event_sane;
	if (cfg->ready_fd == NR_OUT) {
		/* No banner: the header, byte for byte, says it attached. */
		char *h = header_store[header_next++ % 8];

		tl_header(args, h, sizeof(header_store[0]));
		cfg->banner = h;
	}
}

static struct nr_tracer *tl_start(struct nr_ctx *ctx, const char *const *args)
{
	return nr_applet_start_must(ctx, tl_cfg, args);
}

/* ---- sessions ---- */

enum close_how {
	CLIENT_FIRST,		/* client closes, server closes at EOF */
	SERVER_FIRST,		/* the other way round */
	CLIENT_RESET,		/* client closes with SO_LINGER {1, 0} */
	REFUSED,		/* nothing listens */
};

struct sess_cfg {
	int cfamily;		/* client socket */
	const char *caddr;	/* where it connects */
	int sfamily;		/* listener */
	const char *saddr;	/* "::" means dual stack */
	enum close_how how;
	bool client_fork;	/* the connecting process forks; its child
				 * talks and closes, the opener does not */
	bool server_fork;	/* the same on the accepting side */
	const char *ccomm, *scomm;
};

/* One side as it saw itself. */
struct side {
	pid_t owner;		/* the process that connected / accepted */
	pid_t closer;		/* the process that closed it */
	char comm[16];		/* the owner's */
	char laddr[INET6_ADDRSTRLEN], raddr[INET6_ADDRSTRLEN];
	int lport, rport;
	long long sent, rcvd;
	int64_t open_ns;	/* connect() or accept() returned */
	int64_t close_ns;	/* close() called */
	int64_t done_ns;	/* close() returned */
	int err;		/* errno of what failed, 0 */
	char what[64];		/* what failed */
};

struct sess {
	struct side c, s;
	int port;		/* the listener's */
	int64_t start_ns;	/* before connect() */
	int ip;			/* of the rows (both sides alike here) */
};

/* Nonzero: the next server listens on this port (-L/-D tests). */
static int fixed_port;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Note what failed (errno) for the parent; -1. */
static int fail_side(struct side *sd, const char *what)
{
	sd->err = errno ? errno : EIO;
	snprintf(sd->what, sizeof(sd->what), "%s", what);
	return -1;
}

static long long send_n(int fd, long long n)
{
	static char buf[65536];
	long long done = 0;
	ssize_t r;

	memset(buf, 'x', sizeof(buf));
	while (done < n) {
		r = send(fd, buf, n - done < (long long)sizeof(buf) ?
			 (size_t)(n - done) : sizeof(buf), MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += r;
	}
	return done;
}

/* Read n bytes (n < 0: to EOF); the count, or -1 on error. */
static long long recv_n(int fd, long long n)
{
	static char buf[65536];
	long long done = 0;
	ssize_t r;

	while (n < 0 || done < n) {
		size_t want = n < 0 || n - done > (long long)sizeof(buf) ?
			      sizeof(buf) : (size_t)(n - done);

		r = recv(fd, buf, want, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		done += r;
	}
	return done;
}

static void sock_names(int fd, struct side *sd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!getsockname(fd, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (void *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, sd->laddr,
				  sizeof(sd->laddr));
			sd->lport = ntohs(a->sin6_port);
		} else {
			struct sockaddr_in *a = (void *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, sd->laddr,
				  sizeof(sd->laddr));
			sd->lport = ntohs(a->sin_port);
		}
	}
	len = sizeof(ss);
	if (!getpeername(fd, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (void *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, sd->raddr,
				  sizeof(sd->raddr));
			sd->rport = ntohs(a->sin6_port);
		} else {
			struct sockaddr_in *a = (void *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, sd->raddr,
				  sizeof(sd->raddr));
			sd->rport = ntohs(a->sin_port);
		}
	}
}

/*
 * The talking part of either side, in the process that closes: the
 * client writes C2S_BYTES and reads S2C_BYTES, the server the other way
 * round, then they close in the configured order.
 */
static int talk(int fd, struct side *sd, bool client, enum close_how how)
{
	bool first = (how == CLIENT_FIRST || how == CLIENT_RESET) == client;

	sd->closer = getpid();
	if (client) {
		sd->sent = send_n(fd, C2S_BYTES);
		sd->rcvd = recv_n(fd, S2C_BYTES);
	} else {
		sd->rcvd = recv_n(fd, C2S_BYTES);
		sd->sent = send_n(fd, S2C_BYTES);
	}
	if (sd->sent < 0 || sd->rcvd < 0)
		return fail_side(sd, "send/recv");
	nr_sleep_ms(HOLD_MS);
	if (!first) {
		/* Wait for the peer's FIN (or RST), then close. */
		if (recv_n(fd, -1) < 0 && !(how == CLIENT_RESET &&
					    errno == ECONNRESET))
			return fail_side(sd, "recv to EOF");
	}
	if (client && how == CLIENT_RESET) {
		struct linger lg = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	sd->close_ns = mono_ns();
	close(fd);
	sd->done_ns = mono_ns();
	return 0;
}

static void set_comm(const char *comm, struct side *sd)
{
	prctl(PR_SET_NAME, comm);
	prctl(PR_GET_NAME, sd->comm);
}

/* The child a side forks: it talks and closes; the owner waits. */
static int talk_forked(int fd, struct side *sd, bool client,
		       enum close_how how, const char *comm)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return fail_side(sd, "fork");
	if (!pid) {
		prctl(PR_SET_NAME, comm);
		_exit(talk(fd, sd, client, how) ? 1 : 0);
	}
	/* Only the child's copy is left: its close() ends the session. */
	close(fd);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		return sd->err ? -1 : fail_side(sd, "forked child");
	return 0;
}

static void server_main(const struct sess_cfg *cfg, struct sess *ss,
			int ready_fd)
{
	struct side *sd = &ss->s;
	struct sockaddr_storage sa;
	int l, fd, zero = 0, one = 1;
	socklen_t len;
	char b = 0;

	set_comm(cfg->scomm, sd);
	sd->owner = getpid();
	l = socket(cfg->sfamily, SOCK_STREAM, 0);
	if (l < 0)
		_exit(-fail_side(sd, "socket"));
	if (cfg->sfamily == AF_INET6)
		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY,
			   !strcmp(cfg->saddr, "::") ? &zero : &one,
			   sizeof(int));
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	len = nr_sockaddr(cfg->sfamily, cfg->saddr, fixed_port, &sa);
	if (bind(l, (struct sockaddr *)&sa, len) || listen(l, 16))
		_exit(-fail_side(sd, "bind/listen"));
	len = sizeof(sa);
	getsockname(l, (struct sockaddr *)&sa, &len);
	ss->port = ntohs(cfg->sfamily == AF_INET6 ?
			 ((struct sockaddr_in6 *)&sa)->sin6_port :
			 ((struct sockaddr_in *)&sa)->sin_port);
	if (write(ready_fd, &b, 1) != 1)
		_exit(1);
	fd = accept(l, NULL, NULL);
	sd->open_ns = mono_ns();
	if (fd < 0)
		_exit(-fail_side(sd, "accept"));
	close(l);
	sock_names(fd, sd);
	if (cfg->server_fork)
		_exit(talk_forked(fd, sd, false, cfg->how, "tl_srv_child") ?
		      1 : 0);
	_exit(talk(fd, sd, false, cfg->how) ? 1 : 0);
}

static void client_main(const struct sess_cfg *cfg, struct sess *ss)
{
	struct side *sd = &ss->c;
	struct sockaddr_storage sa;
	socklen_t len;
	int fd;

	set_comm(cfg->ccomm, sd);
	sd->owner = getpid();
	fd = socket(cfg->cfamily, SOCK_STREAM, 0);
	if (fd < 0)
		_exit(-fail_side(sd, "socket"));
	len = nr_sockaddr(cfg->cfamily, cfg->caddr, ss->port, &sa);
	ss->start_ns = mono_ns();
	if (connect(fd, (struct sockaddr *)&sa, len)) {
		sd->err = errno;
		sd->open_ns = sd->close_ns = sd->done_ns = mono_ns();
		sock_names(fd, sd);
		close(fd);
		_exit(cfg->how == REFUSED && sd->err == ECONNREFUSED ? 0 : 1);
	}
	sd->open_ns = mono_ns();
	sock_names(fd, sd);
	if (cfg->client_fork)
		_exit(talk_forked(fd, sd, true, cfg->how, "tl_cli_child") ?
		      1 : 0);
	_exit(talk(fd, sd, true, cfg->how) ? 1 : 0);
}

static pid_t fork_must(void)
{
	pid_t pid = fork();

	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	return pid;
}

static void reap_must(pid_t pid, const char *who, const struct side *sd)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		fail_msg("%s %d failed: %s: %s", who, (int)pid,
			 sd->what[0] ? sd->what : "exit",
			 sd->err ? strerror(sd->err) : "no errno");
}

static void unmap_sess(struct nr_ctx *ctx __attribute__((unused)), void *arg)
{
	munmap(arg, sizeof(struct sess));
}

/* Run one session as cfg says; ground truth in the result. */
static struct sess *session_must(struct nr_ctx *ctx, const struct sess_cfg *cfg)
{
	struct sess *ss = mmap(NULL, sizeof(*ss), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t spid = 0, cpid;
	int p[2];
	char b;

	if (ss == MAP_FAILED)
		fail_msg("mmap: %s", strerror(errno));
	memset(ss, 0, sizeof(*ss));
	nr_defer(ctx, unmap_sess, ss);
	if (cfg->how == REFUSED) {
		ss->port = nr_closed_port_must(cfg->cfamily);
	} else {
		if (pipe(p))
			fail_msg("pipe: %s", strerror(errno));
		spid = fork_must();
		if (!spid) {
			close(p[0]);
			server_main(cfg, ss, p[1]);
		}
		close(p[1]);
		if (read(p[0], &b, 1) != 1) {
			close(p[0]);
			reap_must(spid, "server", &ss->s);
			fail_msg("server %d did not listen", (int)spid);
		}
		close(p[0]);
	}
	cpid = fork_must();
	if (!cpid)
		client_main(cfg, ss);
	reap_must(cpid, "client", &ss->c);
	if (spid)
		reap_must(spid, "server", &ss->s);
	ss->ip = cfg->cfamily == AF_INET6 ? 6 : 4;
	if (cfg->how == REFUSED)
		return ss;
	if (ss->c.lport != ss->s.rport || ss->s.lport != ss->port ||
	    ss->c.rport != ss->port)
		fail_msg("client %s:%d -> %s:%d and server %s:%d <- %s:%d "
			 "disagree", ss->c.laddr, ss->c.lport, ss->c.raddr,
			 ss->c.rport, ss->s.laddr, ss->s.lport, ss->s.raddr,
			 ss->s.rport);
	if (ss->c.sent != C2S_BYTES || ss->s.rcvd != C2S_BYTES ||
	    ss->s.sent != S2C_BYTES || ss->c.rcvd != S2C_BYTES)
		fail_msg("bytes: client sent %lld read %lld, server sent %lld "
			 "read %lld", ss->c.sent, ss->c.rcvd, ss->s.sent,
			 ss->s.rcvd);
	return ss;
}

static const struct sess_cfg v4_cfg = {
	.cfamily = AF_INET, .caddr = "127.0.0.1",
	.sfamily = AF_INET, .saddr = "127.0.0.1",
	.how = CLIENT_FIRST, .ccomm = "tl_it_client", .scomm = "tl_it_server",
};

/* ---- rows against the ground truth ---- */

/* Bounds of a side's life as tcplife measures it (ESTABLISHED to CLOSE). */
static void life_bounds(const struct sess *ss, const struct side *sd,
			double *lo_ms, double *hi_ms)
{
	int64_t first_close = ss->c.close_ns, last_done = ss->c.done_ns;

	if (ss->s.close_ns && ss->s.close_ns < first_close)
		first_close = ss->s.close_ns;
	if (ss->s.done_ns > last_done)
		last_done = ss->s.done_ns;
	/* Established before connect()/accept() returned; closed after
	 * the first close() began and before the last one returned. */
	*lo_ms = (first_close - sd->open_ns) / 1e6;
	if (*lo_ms < 0)
		*lo_ms = 0;
	*hi_ms = (last_done - ss->start_ns) / 1e6;
}

static void check_ms(struct nr_tracer *t, const char *row, double ms,
		     const struct sess *ss, const struct side *sd)
{
	double lo, hi;

	life_bounds(ss, sd, &lo, &hi);
	/* %.2f rounds: half a hundredth either way. */
	if (ms < lo - 0.005 || ms > hi + 0.005)
		fail_msg("'%s': MS %.3f not within [%.3f, %.3f], the "
			 "session's own measure\n  row: %s", t->cmdline, ms,
			 lo, hi, row);
}

/*
 * The counters count SYN and FIN as a byte each, as the socket's own
 * tcp_info does: up to 2 more than the payload.
 */
static void check_bytes(struct nr_tracer *t, const char *raw, const char *name,
			long long got, long long payload)
{
	if (got < payload || got > payload + 2)
		fail_msg("'%s': %s %lld, the payload was %lld\n  event: %s",
			 t->cmdline, name, got, payload, raw);
}

struct want_row {
	const struct side *sd;	/* the side the row is of */
	const struct sess *ss;
	long long tx, rx;	/* payload bytes; -1: not checked */
	pid_t pid;		/* the owner expected */
	const char *comm;
};

static void check_json_row(struct nr_tracer *t, json_t *o,
			   const struct want_row *w)
{
	struct { const char *raw; } ev;
	char raw[1024];
	const struct side *sd = w->sd;

	ev.raw = nr_json_raw(o, raw, sizeof(raw));
	NR_CHECK_INT(t, &ev, "pid", nr_jint(o, "pid"), w->pid);
	NR_CHECK_STR(t, &ev, "comm", nr_jstr(o, "comm"), w->comm);
	NR_CHECK_INT(t, &ev, "ip", nr_jint(o, "ip"), w->ss->ip);
	NR_CHECK_STR(t, &ev, "laddr", nr_jstr(o, "laddr"), sd->laddr);
	NR_CHECK_STR(t, &ev, "raddr", nr_jstr(o, "raddr"), sd->raddr);
	NR_CHECK_INT(t, &ev, "lport", nr_jint(o, "lport"), sd->lport);
	NR_CHECK_INT(t, &ev, "rport", nr_jint(o, "rport"), sd->rport);
	if (w->tx >= 0) {
		check_bytes(t, ev.raw, "tx_bytes", nr_jint(o, "tx_bytes"),
			    w->tx);
		check_bytes(t, ev.raw, "rx_bytes", nr_jint(o, "rx_bytes"),
			    w->rx);
		/* BCC: "%5d" % (tx_b / 1024), cut to the integer. */
		NR_CHECK_INT(t, &ev, "tx_kb", nr_jint(o, "tx_kb"),
			     w->tx / 1024);
		NR_CHECK_INT(t, &ev, "rx_kb", nr_jint(o, "rx_kb"),
			     w->rx / 1024);
	}
	check_ms(t, ev.raw, json_number_value(json_object_get(o, "ms")),
		 w->ss, sd);
}

struct collect {
	const struct want_row *want;
	int nwant;
	bool seen[4];
	int have;
	const struct sess *const *drop;	/* sessions whose rows must not come */
	int ndrop;
};

static bool ports_of(json_t *o, const struct side *sd)
{
	return sd->lport && nr_jint(o, "lport") == sd->lport &&
	       nr_jint(o, "rport") == sd->rport;
}

static bool collect_fn(struct nr_tracer *t, json_t *o, void *arg)
{
	struct collect *c = arg;
	char raw[1024];
	int i;

	for (i = 0; i < c->ndrop; i++)
		if (ports_of(o, &c->drop[i]->c) || ports_of(o, &c->drop[i]->s))
			fail_msg("'%s': a row the filter should drop: %s",
				 t->cmdline, nr_json_raw(o, raw, sizeof(raw)));
	for (i = 0; i < c->nwant; i++) {
		if (!ports_of(o, c->want[i].sd))
			continue;
		if (c->seen[i])
			fail_msg("'%s': a second row for one session: %s",
				 t->cmdline, nr_json_raw(o, raw, sizeof(raw)));
		check_json_row(t, o, &c->want[i]);
		c->seen[i] = true;
		c->have++;
	}
	return true;
}

static void expect_rows_must(struct nr_tracer *t, const struct want_row *w,
			     int n, const struct sess *const *drop, int ndrop)
{
	struct collect c = { .want = w, .nwant = n, .drop = drop,
			     .ndrop = ndrop };
	int i;

	nr_events_collect(t, &c.have, n, NR_EVENT_TIMEOUT_MS, 0, collect_fn,
			  &c);
	for (i = 0; i < n; i++)
		if (!c.seen[i])
			fail_msg("'%s': no row for %s:%d -> %s:%d (pid %d)",
				 t->cmdline, w[i].sd->laddr, w[i].sd->lport,
				 w[i].sd->raddr, w[i].sd->rport,
				 (int)w[i].pid);
}

static struct want_row client_row(const struct sess *ss)
{
	return (struct want_row){ &ss->c, ss, C2S_BYTES, S2C_BYTES,
				  ss->c.owner, ss->c.comm };
}

static struct want_row server_row(const struct sess *ss)
{
	return (struct want_row){ &ss->s, ss, S2C_BYTES, C2S_BYTES,
				  ss->s.owner, ss->s.comm };
}

/* Both rows of one session under -j, and nothing else of ours. */
static void both_rows_case(void **state, const struct sess_cfg *cfg)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = tl_start(ctx, NR_ARGS("-j"));
	struct sess *ss = session_must(ctx, cfg);
	struct want_row w[2] = { client_row(ss), server_row(ss) };

	expect_rows_must(t, w, 2, NULL, 0);
	nr_tracer_stop_must(t);
}

/* ---- tests ---- */

static void test_v4_client_closes(void **state)
{
	both_rows_case(state, &v4_cfg);
}

/*
 * The server's CLOSE runs in the softirq of the client's FIN: on
 * loopback, in the client's context.  The row still names the server.
 */
static void test_v4_server_closes(void **state)
{
	struct sess_cfg cfg = v4_cfg;

	cfg.how = SERVER_FIRST;
	both_rows_case(state, &cfg);
}

static void test_v6(void **state)
{
	struct sess_cfg cfg = v4_cfg;

	cfg.cfamily = cfg.sfamily = AF_INET6;
	cfg.caddr = cfg.saddr = "::1";
	both_rows_case(state, &cfg);
}

/* An IPv6 socket to an IPv4-mapped address, a dual-stack listener. */
static void test_v4_mapped(void **state)
{
	struct sess_cfg cfg = v4_cfg;

	cfg.cfamily = cfg.sfamily = AF_INET6;
	cfg.caddr = "::ffff:127.0.0.1";
	cfg.saddr = "::";
	cfg.how = SERVER_FIRST;
	both_rows_case(state, &cfg);
}

/*
 * A reset: the server's socket closes in the softirq of the client's
 * RST.  The bytes are those acknowledged before it.
 */
static void test_reset(void **state)
{
	struct sess_cfg cfg = v4_cfg;

	cfg.how = CLIENT_RESET;
	both_rows_case(state, &cfg);
}

/* BCC prints a refused connect too: SYN_SENT had recorded its birth. */
static void test_refused(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = tl_start(ctx, NR_ARGS("-j"));
	struct sess_cfg cfg = v4_cfg;
	struct sess *ss;
	json_t *o;
	int rc;

	cfg.how = REFUSED;
	ss = session_must(ctx, &cfg);
	for (;;) {
		o = nr_tracer_json_must(t, NR_EVENT_TIMEOUT_MS, &rc);
		if (!o)
			fail_msg("'%s': no row for the refused connect to "
				 "port %d", t->cmdline, ss->port);
		if (nr_jint(o, "rport") == ss->port &&
		    nr_jint(o, "pid") == ss->c.owner)
			break;
		json_decref(o);
	}
	{
		struct { const char *raw; } ev;
		char raw[1024];

		ev.raw = nr_json_raw(o, raw, sizeof(raw));
		NR_CHECK_STR(t, &ev, "comm", nr_jstr(o, "comm"), ss->c.comm);
		NR_CHECK_STR(t, &ev, "laddr", nr_jstr(o, "laddr"),
			     "127.0.0.1");
		NR_CHECK_STR(t, &ev, "raddr", nr_jstr(o, "raddr"),
			     "127.0.0.1");
		if (nr_jint(o, "lport") <= 0 ||
		    (ss->c.lport && nr_jint(o, "lport") != ss->c.lport))
			fail_msg("'%s': lport of the refused connect: %s "
				 "(getsockname: %d)", t->cmdline, ev.raw,
				 ss->c.lport);
		NR_CHECK_INT(t, &ev, "tx_kb", nr_jint(o, "tx_kb"), 0);
		NR_CHECK_INT(t, &ev, "rx_kb", nr_jint(o, "rx_kb"), 0);
		if (nr_jint(o, "tx_bytes") > 1 || nr_jint(o, "rx_bytes") > 1)
			fail_msg("'%s': bytes of a refused connect: %s",
				 t->cmdline, ev.raw);
		check_ms(t, ev.raw, json_number_value(json_object_get(o, "ms")),
			 ss, &ss->c);
	}
	json_decref(o);
	nr_tracer_stop_must(t);
}

/*
 * The opener forks and leaves the session to its child, which closes it
 * last (LAST_ACK, where BCC takes the closer): the rows still name the
 * processes that connected and accepted.
 */
static void test_owner_not_closer(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = tl_start(ctx, NR_ARGS("-j"));
	struct sess_cfg cfg = v4_cfg;
	struct sess *ss, *ss2;
	struct want_row w[2];

	cfg.ccomm = "tl_it_opener";
	cfg.scomm = "tl_it_accepter";
	cfg.client_fork = true;
	cfg.how = SERVER_FIRST;
	ss = session_must(ctx, &cfg);
	if (ss->c.closer == ss->c.owner)
		fail_msg("the client's child did not close the session");
	w[0] = client_row(ss);
	w[1] = server_row(ss);
	expect_rows_must(t, w, 2, NULL, 0);

	cfg.client_fork = false;
	cfg.server_fork = true;
	cfg.how = CLIENT_FIRST;
	ss2 = session_must(ctx, &cfg);
	if (ss2->s.closer == ss2->s.owner)
		fail_msg("the server's child did not close the session");
	w[0] = client_row(ss2);
	w[1] = server_row(ss2);
	expect_rows_must(t, w, 2, NULL, 0);
	nr_tracer_stop_must(t);
}

/* ---- filters: the dropped session first, then the kept one ---- */

static void filter_case(void **state, const char *const *args,
			const struct sess_cfg *drop_cfg,
			const struct sess_cfg *keep_cfg)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = tl_start(ctx, args);
	const struct sess *drop = session_must(ctx, drop_cfg);
	const struct sess *keep = session_must(ctx, keep_cfg);
	struct want_row w[2] = { client_row(keep), server_row(keep) };
	const struct sess *d[1] = { drop };

	expect_rows_must(t, w, 2, d, 1);
	nr_tracer_stop_must(t);
}

/* A session this process opens and accepts itself: both rows are ours. */
static struct sess *self_session_must(struct nr_ctx *ctx)
{
	struct sess *ss = mmap(NULL, sizeof(*ss), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct sockaddr_storage sa;
	socklen_t len = nr_sockaddr(AF_INET, "127.0.0.1", 0, &sa);
	int l, c, a;

	if (ss == MAP_FAILED)
		fail_msg("mmap: %s", strerror(errno));
	memset(ss, 0, sizeof(*ss));
	nr_defer(ctx, unmap_sess, ss);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, len) || listen(l, 4))
		fail_msg("listen: %s", strerror(errno));
	len = sizeof(sa);
	getsockname(l, (struct sockaddr *)&sa, &len);
	ss->port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	c = socket(AF_INET, SOCK_STREAM, 0);
	len = nr_sockaddr(AF_INET, "127.0.0.1", ss->port, &sa);
	ss->start_ns = mono_ns();
	if (c < 0 || connect(c, (struct sockaddr *)&sa, len))
		fail_msg("connect: %s", strerror(errno));
	ss->c.open_ns = mono_ns();
	a = accept(l, NULL, NULL);
	ss->s.open_ns = mono_ns();
	if (a < 0)
		fail_msg("accept: %s", strerror(errno));
	close(l);
	sock_names(c, &ss->c);
	sock_names(a, &ss->s);
	ss->c.owner = ss->s.owner = getpid();
	prctl(PR_GET_NAME, ss->c.comm);
	memcpy(ss->s.comm, ss->c.comm, sizeof(ss->c.comm));
	ss->ip = 4;
	ss->c.close_ns = mono_ns();
	close(c);
	ss->s.close_ns = mono_ns();
	close(a);
	ss->c.done_ns = ss->s.done_ns = mono_ns();
	return ss;
}

/*
 * -p PID is the owner's.  The forked sessions' pids are not known before
 * the tracer starts; this process's is: it opens one session itself.
 */
static void test_filter_pid(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t;
	const struct sess *drop, *keep;
	struct want_row w[2];
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	t = tl_start(ctx, NR_ARGS("-j", "-p", pid));
	drop = session_must(ctx, &v4_cfg);
	keep = self_session_must(ctx);
	w[0] = (struct want_row){ &keep->c, keep, 0, 0, getpid(),
				  keep->c.comm };
	w[1] = (struct want_row){ &keep->s, keep, 0, 0, getpid(),
				  keep->s.comm };
	expect_rows_must(t, w, 2, &drop, 1);
	nr_tracer_stop_must(t);
}

static int port_of_listener_must(int family, int *fd)
{
	struct sockaddr_storage sa;
	socklen_t len = nr_sockaddr(family, nr_loopback(family), 0, &sa);

	*fd = socket(family, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, len))
		fail_msg("bind: %s", strerror(errno));
	len = sizeof(sa);
	getsockname(*fd, (struct sockaddr *)&sa, &len);
	return ntohs(family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&sa)->sin6_port :
		     ((struct sockaddr_in *)&sa)->sin_port);
}

/*
 * -L and -D: the kept server listens on a port chosen before the
 * tracers start (bound here, freed, then bound again by the server).
 */
static void test_filter_ports(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct sess_cfg keep_cfg = v4_cfg;
	const struct sess *drop, *keep;
	struct nr_tracer *tl, *td, *tb;
	struct want_row w[1];
	char port[16], list[40], f[32];
	int fd, p;

	keep_cfg.scomm = "tl_it_portsrv";
	p = port_of_listener_must(AF_INET, &fd);
	close(fd);
	snprintf(port, sizeof(port), "%d", p);
	snprintf(list, sizeof(list), "1,%d,2", p);
	tl = tl_start(ctx, NR_ARGS("-j", "-L", list));
	td = tl_start(ctx, NR_ARGS("-j", "-D", port));
	tb = tl_start(ctx, NR_ARGS("-L", port, "-D", port));
	drop = session_must(ctx, &v4_cfg);
	fixed_port = p;
	keep = session_must(ctx, &keep_cfg);
	fixed_port = 0;
	/* -L p: the server's row (its local port is p). */
	w[0] = server_row(keep);
	expect_rows_must(tl, w, 1, &drop, 1);
	/* -D p: the client's row. */
	w[0] = client_row(keep);
	expect_rows_must(td, w, 1, &drop, 1);
	nr_tracer_stop_must(tl);
	nr_tracer_stop_must(td);
	nr_tracer_stop_must(tb);
	/* -L p -D p: no session has p at both ends: the header alone. */
	for (size_t i = 1; i < tb->out.nlines; i++)
		if (!strcmp(nr_field(tb->out.lines[i], 3, f, sizeof(f)), port) ||
		    !strcmp(nr_field(tb->out.lines[i], 5, f, sizeof(f)), port))
			fail_msg("'%s': a row without port %s at both ends: "
				 "%s", tb->cmdline, port, tb->out.lines[i]);
}

static void test_filter_ipv4(void **state)
{
	struct sess_cfg v6 = v4_cfg;

	v6.cfamily = v6.sfamily = AF_INET6;
	v6.caddr = v6.saddr = "::1";
	filter_case(state, NR_ARGS("-j", "-4"), &v6, &v4_cfg);
}

static void test_filter_ipv6(void **state)
{
	struct sess_cfg v6 = v4_cfg;

	v6.cfamily = v6.sfamily = AF_INET6;
	v6.caddr = v6.saddr = "::1";
	filter_case(state, NR_ARGS("-j", "-6"), &v4_cfg, &v6);
}

/* ---- text formats, byte for byte ---- */

/* "%.2f" text of a row's MS: its value, or fail. */
static double ms_field_must(struct nr_tracer *t, const char *row,
			    const char *ms)
{
	const char *dot = strchr(ms, '.');
	size_t i;

	if (!dot || dot == ms || strlen(dot) != 3)
		fail_msg("'%s': MS \"%s\" is not %%.2f\n  row: %s", t->cmdline,
			 ms, row);
	for (i = 0; ms[i]; i++)
		if (ms + i != dot && !isdigit((unsigned char)ms[i]))
			fail_msg("'%s': MS \"%s\" is not %%.2f\n  row: %s",
				 t->cmdline, ms, row);
	return strtod(ms, NULL);
}

/* The prefix of -T and -t: checked for shape, its length returned. */
static size_t prefix_must(struct nr_tracer *t, const char *const *args,
			  const char *row)
{
	bool csv = nr_has_arg(args, "-s");
	const char *p = row;
	char *end;

	if (nr_has_arg(args, "-T")) {
		if (strlen(p) < 9 || p[2] != ':' || p[5] != ':' ||
		    p[8] != (csv ? ',' : ' '))
			fail_msg("'%s': no HH:MM:SS column: %s", t->cmdline,
				 row);
		p += 9;
	}
	if (nr_has_arg(args, "-t")) {
		/* "%-9.6f " or "%.6f,". */
		const char *dot;
		size_t len;

		strtod(p, &end);
		dot = memchr(p, '.', end - p);
		len = end - p;
		if (end == p || !dot || end - dot != 7 || !isdigit(*p))
			fail_msg("'%s': no TIME(s) column: %s", t->cmdline,
				 row);
		p = end;
		if (!csv)
			while (len++ < 9 && *p == ' ')
				p++;
		if (*p != (csv ? ',' : ' ') || len < 9 - !!csv * 9)
			fail_msg("'%s': TIME(s) is not %s: %s", t->cmdline,
				 csv ? "%.6f," : "%-9.6f ", row);
		p++;
	}
	return p - row;
}

static void text_row(const char *const *args, const struct want_row *w,
		     const char *ms, char *buf, size_t n)
{
	const struct side *sd = w->sd;
	char comm[64];

	nr_sanitize(comm, sizeof(comm), w->comm);
	if (nr_has_arg(args, "-s"))
		snprintf(buf, n, "%d,%s,%d,%s,%d,%s,%d,%lld,%lld,%s",
			 (int)w->pid, comm, w->ss->ip, sd->laddr, sd->lport,
			 sd->raddr, sd->rport, w->tx / 1024, w->rx / 1024, ms);
	else if (nr_has_arg(args, "-w"))
		snprintf(buf, n,
			 "%-5d %-16.16s %-2d %-26s %-5d %-26s %-5d %6lld %6lld %s",
			 (int)w->pid, comm, w->ss->ip, sd->laddr, sd->lport,
			 sd->raddr, sd->rport, w->tx / 1024, w->rx / 1024, ms);
	else
		snprintf(buf, n,
			 "%-5d %-10.10s %s%-15s %-5d %-15s %-5d %5lld %5lld %s",
			 (int)w->pid, comm, "", sd->laddr, sd->lport,
			 sd->raddr, sd->rport, w->tx / 1024, w->rx / 1024, ms);
}

/* The next row of ours (by its ports): compared byte for byte. */
static void expect_text_row_must(struct nr_tracer *t, const char *const *args,
				 const struct want_row *w)
{
	char want[512], lp[16], rp[16], ms[32];
	const char *line, *body, *last;
	int64_t end = nr_now_ms() + NR_EVENT_TIMEOUT_MS;
	bool csv = nr_has_arg(args, "-s");
	int rc;

	snprintf(lp, sizeof(lp), "%d", w->sd->lport);
	snprintf(rp, sizeof(rp), "%d", w->sd->rport);
	for (;;) {
		int64_t left = end - nr_now_ms();
		char f[64];

		rc = nr_tracer_line(t, NR_OUT, left > 0 ? (int)left : 0,
				    &line);
		if (rc != 1)
			fail_msg("'%s': no row for port %s -> %s; output:\n%s",
				 t->cmdline, lp, rp, nr_stdout_dump(t, 0));
		body = line + prefix_must(t, args, line);
		if (csv) {
			/* Fields 4 and 6 (from 0) are LPORT and RPORT. */
			const char *p = body;
			int i;

			for (i = 0; i < 4 && p; i++)
				p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
			if (!p || strncmp(p, lp, strlen(lp)) ||
			    p[strlen(lp)] != ',')
				continue;
		} else {
			int lf = nr_has_arg(args, "-w") ? 4 : 3;

			if (strcmp(nr_field(body, lf, f, sizeof(f)), lp) ||
			    strcmp(nr_field(body, lf + 2, f, sizeof(f)), rp))
				continue;
		}
		break;
	}
	last = strrchr(body, csv ? ',' : ' ');
	snprintf(ms, sizeof(ms), "%s", last ? last + 1 : "");
	check_ms(t, line, ms_field_must(t, line, ms), w->ss, w->sd);
	text_row(args, w, ms, want, sizeof(want));
	nr_expect_line(t, "row", body, want);
}

static void text_case(struct nr_ctx *ctx, const struct sess_cfg *cfg,
		      const char *const *args)
{
	struct nr_tracer *t = tl_start(ctx, args);
	struct sess *ss = session_must(ctx, cfg);
	struct want_row c = client_row(ss), s = server_row(ss);

	/* BCC's output is in the order the sessions closed: look for each
	 * after the header. */
	expect_text_row_must(t, args, &c);
	t->out.next = 1;
	expect_text_row_must(t, args, &s);
	nr_tracer_stop_must(t);
}

static void test_text_formats(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct sess_cfg v6 = v4_cfg;
	/* 15 bytes: default rows show 10, -w all of them. */
	struct sess_cfg named = v4_cfg;
	static const char *const none[] = { NULL };

	v6.cfamily = v6.sfamily = AF_INET6;
	v6.caddr = v6.saddr = "::1";
	named.ccomm = "tl_it_cli_long1";
	named.scomm = "tl_it_srv_long1";
	text_case(ctx, &named, none);
	text_case(ctx, &named, NR_ARGS("-w"));
	text_case(ctx, &v6, NR_ARGS("-w"));
	text_case(ctx, &named, NR_ARGS("-s"));
	text_case(ctx, &v6, NR_ARGS("-s"));
	text_case(ctx, &v4_cfg, NR_ARGS("-T"));
	text_case(ctx, &v4_cfg, NR_ARGS("-t"));
	text_case(ctx, &v4_cfg, NR_ARGS("-s", "-t", "-T"));
	text_case(ctx, &v4_cfg, NR_ARGS("-w", "-T", "-t"));
}

/* -v names the strategy: the forced one ($NETRACE_ATTACH) or one of three. */
static void test_verbose_strategy(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t = tl_start(ctx, NR_ARGS("-j", "-v"));
	struct sess *ss = session_must(ctx, &v4_cfg);
	struct want_row w[2] = { client_row(ss), server_row(ss) };

	expect_rows_must(t, w, 2, NULL, 0);
	nr_tracer_stop_must(t);
	nr_expect_strategy_must(t, NULL);
}

/* A bad value: one line on stderr naming it, exit 2, nothing loaded. */
static void test_bad_input(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	const char *const *bad[] = {
		NR_ARGS("-L", "0"), NR_ARGS("-D", "65536"),
		NR_ARGS("-p", "x"), NR_ARGS("-4", "-6"),
	};
	static const char *const named[] = { "'0'", "'65536'", "'x'", "-6" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nr_tracer_cfg cfg;
		struct nr_tracer *t;

		nr_applet_cfg(&cfg, "tcplife", bad[i], NULL);
		t = nr_usage_error_must(ctx, &cfg);
		if (!strstr(nr_tracer_stderr(t), named[i]))
			fail_msg("'%s': the error does not name %s: %s",
				 t->cmdline, named[i], nr_tracer_stderr(t));
	}
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_v4_client_closes), T(test_v4_server_closes),
		T(test_v6), T(test_v4_mapped), T(test_reset),
		T(test_refused), T(test_owner_not_closer),
		T(test_filter_pid), T(test_filter_ports),
		T(test_filter_ipv4), T(test_filter_ipv6),
		T(test_text_formats), T(test_verbose_strategy),
		T(test_bad_input),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_tcplife", &skip_all))
		return 1;
	rc = cmocka_run_group_tests_name("tcplife", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
