// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Privileged integration tests of `netrace tcptracer`: connect (C),
 * accept (A) and close (X) events compared field by field with what the
 * test's own peer processes saw (getpid, their comm, getsockname and
 * getpeername, the network namespace inode).  Each peer has its own pid
 * and comm and does what the test tells it over a socketpair, which
 * also carries descriptors from one peer to another: so a close by a
 * process other than the opener, by exit, after shutdown() and after a
 * reset each has a known closing process.
 *
 * Other processes may make events meanwhile: only those of processes
 * named "tt_..." (every peer) are kept, and an event is ours when its
 * type, ports and pid match.  A filter's drop is checked with a peer
 * whose events must not appear until a kept peer's last event and a
 * grace period after it.
 *
 * Environment: NETRACE (the binary, required), NETRACE_ATTACH and
 * NETRACE_BUFFER (added to every tracer), CI=true or
 * NETRACE_REQUIRE_PRIV=1 (not root is a failure, not a skip).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define BANNER	"Tracing TCP established connections. Ctrl-C to end."

static const struct nr_jkey event_keys[] = {
	{ "time_s", JSON_REAL }, { "type", JSON_STRING },
	{ "pid", JSON_INTEGER }, { "comm", JSON_STRING },
	{ "ip", JSON_INTEGER }, { "saddr", JSON_STRING },
	{ "daddr", JSON_STRING }, { "sport", JSON_INTEGER },
	{ "dport", JSON_INTEGER }, { "netns", JSON_INTEGER },
	{ NULL, 0 },
};

static bool event_sane(json_t *o, char *why, size_t n)
{
	const char *type = nr_jstr(o, "type");

	if (!type || (strcmp(type, "connect") && strcmp(type, "accept") &&
		      strcmp(type, "close"))) {
		snprintf(why, n, "type is not connect, accept or close");
		return false;
	}
	if (!nr_addr_canonical(nr_jint(o, "ip"), nr_jstr(o, "saddr")) ||
	    !nr_addr_canonical(nr_jint(o, "ip"), nr_jstr(o, "daddr"))) {
		snprintf(why, n, "addresses not as inet_ntop spells them");
		return false;
	}
	if (!nr_port_ok(nr_jint(o, "sport")) || !nr_port_ok(nr_jint(o, "dport")) ||
	    !nr_jint(o, "sport") || !nr_jint(o, "dport")) {
		snprintf(why, n, "a port is zero or out of range");
		return false;
	}
	if (nr_jint(o, "pid") <= 0 || nr_jint(o, "netns") <= 0) {
		snprintf(why, n, "pid or netns not positive");
		return false;
	}
	return true;
}

static void tt_cfg(struct nr_tracer_cfg *cfg, const char *const *args)
{
	nr_applet_cfg(cfg, "tcptracer", args, BANNER);
	cfg->schema = event_keys;
	cfg->check = event_sane;
}

static struct nr_tracer *tt_start(struct nr_ctx *ctx, const char *const *args)
{
	return nr_applet_start_must(ctx, tt_cfg, args);
}

/* ---- peers: processes doing what the test says ---- */

enum peer_op { OP_LISTEN, OP_CONNECT, OP_ACCEPT, OP_CLOSE, OP_SHUT,
	       OP_LINGER0, OP_GIVE, OP_TAKE, OP_EXIT };

struct peer_cmd {
	int op;
	int family;
	int fd;
	int port;
	char addr[64];
};

struct peer_resp {
	int fd;		/* new descriptor, or -1 */
	int err;	/* errno of the operation, 0 */
	int lport;	/* getsockname() of fd */
	int rport;	/* getpeername() of fd */
	char laddr[INET6_ADDRSTRLEN];
	char raddr[INET6_ADDRSTRLEN];
};

struct peer {
	pid_t pid;
	int ctl;		/* SOCK_SEQPACKET to the peer */
	char comm[16];
	uint64_t netns;		/* its network namespace inode */
	bool reaped;
};

struct peer_cfg {
	const char *comm;
	const char *cgroup;	/* join this cgroup v2 dir */
	bool new_mntns;
	bool new_netns;		/* with its loopback up */
};

static void names(int fd, struct peer_resp *r)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!getsockname(fd, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (void *)&ss;

			r->lport = ntohs(a->sin6_port);
			inet_ntop(AF_INET6, &a->sin6_addr, r->laddr, sizeof(r->laddr));
		} else {
			struct sockaddr_in *a = (void *)&ss;

			r->lport = ntohs(a->sin_port);
			inet_ntop(AF_INET, &a->sin_addr, r->laddr, sizeof(r->laddr));
		}
	}
	len = sizeof(ss);
	if (!getpeername(fd, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (void *)&ss;

			r->rport = ntohs(a->sin6_port);
			inet_ntop(AF_INET6, &a->sin6_addr, r->raddr, sizeof(r->raddr));
		} else {
			struct sockaddr_in *a = (void *)&ss;

			r->rport = ntohs(a->sin_port);
			inet_ntop(AF_INET, &a->sin_addr, r->raddr, sizeof(r->raddr));
		}
	}
}

static int send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, 0) == (ssize_t)len ? 0 : -1;
}

/* A message and the descriptor it carries (-1 if none) into *fd. */
static ssize_t recv_fd(int sock, void *data, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);

	*fd = -1;
	for (c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

static socklen_t sockaddr_of(int family, const char *addr, int port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (void *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, addr, &a->sin_addr);
	return sizeof(*a);
}

/* One command in the peer; the descriptor to send back in *give. */
static void peer_do(const struct peer_cmd *c, int passed, struct peer_resp *r,
		    int *give)
{
	struct sockaddr_storage ss;
	struct linger lg = { 1, 0 };
	socklen_t len;
	int fd, one = 1;

	switch (c->op) {
	case OP_LISTEN:
		fd = socket(c->family, SOCK_STREAM, 0);
		len = sockaddr_of(c->family, c->addr, 0, &ss);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fd < 0 || bind(fd, (void *)&ss, len) || listen(fd, 16))
			r->err = errno;
		r->fd = fd;
		break;
	case OP_CONNECT:
		fd = socket(c->family, SOCK_STREAM, 0);
		len = sockaddr_of(c->family, c->addr, c->port, &ss);
		if (fd < 0 || connect(fd, (void *)&ss, len))
			r->err = errno;
		r->fd = fd;
		break;
	case OP_ACCEPT:
		r->fd = accept(c->fd, NULL, NULL);
		if (r->fd < 0)
			r->err = errno;
		break;
	case OP_CLOSE:
		if (close(c->fd))
			r->err = errno;
		return;
	case OP_SHUT:
		if (shutdown(c->fd, SHUT_WR))
			r->err = errno;
		return;
	case OP_LINGER0:
		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			r->err = errno;
		return;
	case OP_GIVE:
		*give = c->fd;
		return;
	case OP_TAKE:
		r->fd = passed;
		if (passed < 0)
			r->err = EBADF;
		break;
	case OP_EXIT:
		_exit(0);
	}
	if (r->fd >= 0)
		names(r->fd, r);
}

static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		_exit(3);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		_exit(3);
	close(s);
}

static void peer_main(int ctl, const struct peer_cfg *cfg)
{
	struct peer_cmd c;
	int passed;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cfg->cgroup) {
		char path[4200];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cfg->cgroup);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			_exit(3);
	}
	if (cfg->new_mntns && unshare(CLONE_NEWNS))
		_exit(3);
	if (cfg->new_netns) {
		if (unshare(CLONE_NEWNET))
			_exit(3);
		lo_up();
	}
	prctl(PR_SET_NAME, cfg->comm);
	/* Ready: the test may look at our namespaces now. */
	if (write(ctl, "", 1) != 1)
		_exit(3);
	while (recv_fd(ctl, &c, sizeof(c), &passed) == sizeof(c)) {
		struct peer_resp r = { .fd = -1 };
		int give = -1;

		peer_do(&c, passed, &r, &give);
		if (send_fd(ctl, give, &r, sizeof(r)))
			_exit(4);
	}
	_exit(0);
}

static uint64_t netns_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return nr_inode_must(path);
}

static void peer_cleanup(struct nr_ctx *ctx, void *arg)
{
	struct peer *p = arg;

	(void)ctx;
	if (!p->reaped) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	close(p->ctl);
	free(p);
}

static struct peer *peer_start_cfg(struct nr_ctx *ctx, const struct peer_cfg *cfg)
{
	struct peer *p = calloc(1, sizeof(*p));
	int sv[2];
	char b;

	if (!p || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		fail_msg("peer: %s", strerror(errno));
	p->pid = fork();
	if (p->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (!p->pid) {
		close(sv[0]);
		peer_main(sv[1], cfg);
	}
	close(sv[1]);
	p->ctl = sv[0];
	snprintf(p->comm, sizeof(p->comm), "%s", cfg->comm);
	nr_defer(ctx, peer_cleanup, p);
	if (read(p->ctl, &b, 1) != 1)
		fail_msg("peer %s did not start", cfg->comm);
	p->netns = netns_of(p->pid);
	return p;
}

static struct peer *peer_start(struct nr_ctx *ctx, const char *comm)
{
	struct peer_cfg cfg = { .comm = comm };

	return peer_start_cfg(ctx, &cfg);
}

/* Run c in p (fd_in: a descriptor to hand it); its answer, and a
 * descriptor it hands back in *fd_out (if asked). */
static struct peer_resp peer_call(struct peer *p, struct peer_cmd c,
				  int fd_in, int *fd_out)
{
	struct peer_resp r;
	int got;

	if (send_fd(p->ctl, fd_in, &c, sizeof(c)))
		fail_msg("peer %s: send: %s", p->comm, strerror(errno));
	if (c.op == OP_EXIT) {
		waitpid(p->pid, NULL, 0);
		p->reaped = true;
		memset(&r, 0, sizeof(r));
		return r;
	}
	if (recv_fd(p->ctl, &r, sizeof(r), &got) != sizeof(r))
		fail_msg("peer %s: no answer", p->comm);
	if (fd_out)
		*fd_out = got;
	else if (got >= 0)
		close(got);
	return r;
}

static struct peer_resp must(struct peer *p, struct peer_cmd c)
{
	struct peer_resp r = peer_call(p, c, -1, NULL);

	if (r.err)
		fail_msg("peer %s: op %d: %s", p->comm, c.op, strerror(r.err));
	return r;
}

static int listen_on(struct peer *p, int family, const char *addr,
		     int *port)
{
	struct peer_cmd c = { .op = OP_LISTEN, .family = family };
	struct peer_resp r;

	snprintf(c.addr, sizeof(c.addr), "%s", addr);
	r = must(p, c);
	*port = r.lport;
	return r.fd;
}

static struct peer_resp connect_to(struct peer *p, int family,
				   const char *addr, int port)
{
	struct peer_cmd c = { .op = OP_CONNECT, .family = family,
			      .port = port };

	snprintf(c.addr, sizeof(c.addr), "%s", addr);
	return must(p, c);
}

static struct peer_resp accept_on(struct peer *p, int lfd)
{
	return must(p, (struct peer_cmd){ .op = OP_ACCEPT, .fd = lfd });
}

static void op_fd(struct peer *p, int op, int fd)
{
	must(p, (struct peer_cmd){ .op = op, .fd = fd });
}

/* Move descriptor fd of from into to (from keeps its own): to's fd. */
static int hand_over(struct peer *from, int fd, struct peer *to)
{
	int mine;
	struct peer_resp r;

	peer_call(from, (struct peer_cmd){ .op = OP_GIVE, .fd = fd }, -1, &mine);
	if (mine < 0)
		fail_msg("peer %s gave no descriptor", from->comm);
	r = peer_call(to, (struct peer_cmd){ .op = OP_TAKE }, mine, NULL);
	/* Not the last reference: closing ours closes nothing. */
	close(mine);
	if (r.err)
		fail_msg("peer %s took no descriptor", to->comm);
	return r.fd;
}

/* ---- events ---- */

/* Every JSON event of the test's peers so far, for lookups in any order. */
struct evlog {
	json_t *ev[4096];
	int n;
};

static struct evlog evlog;

static void evlog_reset(void)
{
	for (int i = 0; i < evlog.n; i++)
		json_decref(evlog.ev[i]);
	evlog.n = 0;
}

struct want {
	const char *type;
	int sport, dport;
	pid_t pid;		/* 0: any */
};

static bool matches(json_t *o, const struct want *w)
{
	return !strcmp(nr_jstr(o, "type"), w->type) &&
	       nr_jint(o, "sport") == w->sport &&
	       nr_jint(o, "dport") == w->dport &&
	       (!w->pid || nr_jint(o, "pid") == w->pid);
}

static int count_matches(const struct want *w)
{
	int n = 0;

	for (int i = 0; i < evlog.n; i++)
		n += matches(evlog.ev[i], w);
	return n;
}

/* Read events for up to ms (stop at the first match of w if w). */
static json_t *read_events(struct nr_tracer *t, const struct want *w, int ms)
{
	int64_t end = nr_now_ms() + ms;
	json_t *o;
	int rc;

	for (int i = 0; w && i < evlog.n; i++)
		if (matches(evlog.ev[i], w))
			return evlog.ev[i];
	while (nr_now_ms() < end) {
		o = nr_tracer_json_must(t, (int)(end - nr_now_ms()), &rc);
		if (!o) {
			if (rc < 0)
				fail_msg("'%s': output ended", t->cmdline);
			break;
		}
		/*
		 * Every process of the test is a peer named "tt_...": other
		 * suites' bursts on the machine would only fill the log.
		 */
		if (strncmp(nr_jstr(o, "comm"), "tt_", 3)) {
			json_decref(o);
			continue;
		}
		if (evlog.n == (int)(sizeof(evlog.ev) / sizeof(evlog.ev[0])))
			fail_msg("too many events");
		evlog.ev[evlog.n++] = o;
		if (w && matches(o, w))
			return o;
	}
	return NULL;
}

static json_t *wait_event(struct nr_tracer *t, const struct want *w)
{
	json_t *o = read_events(t, w, NR_EVENT_TIMEOUT_MS);
	char raw[1024];

	if (!o) {
		fail_msg("'%s': no %s event sport %d dport %d%s; events:\n%s",
			 t->cmdline, w->type, w->sport, w->dport,
			 w->pid ? " of the right pid" : "",
			 evlog.n ? nr_json_raw(evlog.ev[evlog.n - 1], raw,
					       sizeof(raw)) : "(none)");
	}
	return o;
}

/* Read what comes within a grace period (late events included). */
static void settle(struct nr_tracer *t)
{
	read_events(t, NULL, NR_GRACE_MS);
}

/* Exactly n events like w so far (any pid if w->pid 0): settle() first. */
static void expect_count(struct nr_tracer *t, const struct want *w, int n)
{
	if (count_matches(w) != n)
		fail_msg("'%s': %d %s events sport %d dport %d pid %d, want %d",
			 t->cmdline, count_matches(w), w->type, w->sport,
			 w->dport, (int)w->pid, n);
}

/* Every field of o: the event of peer p about socket r (its own view). */
static void check_event(struct nr_tracer *t, json_t *o, const char *type,
			const struct peer *p, const struct peer_resp *r,
			int ip)
{
	struct { const char *raw; } ev;
	char raw[1024];

	ev.raw = nr_json_raw(o, raw, sizeof(raw));
	NR_CHECK_STR(t, &ev, "type", nr_jstr(o, "type"), type);
	NR_CHECK_INT(t, &ev, "pid", nr_jint(o, "pid"), p->pid);
	NR_CHECK_STR(t, &ev, "comm", nr_jstr(o, "comm"), p->comm);
	NR_CHECK_INT(t, &ev, "ip", nr_jint(o, "ip"), ip);
	NR_CHECK_STR(t, &ev, "saddr", nr_jstr(o, "saddr"), r->laddr);
	NR_CHECK_STR(t, &ev, "daddr", nr_jstr(o, "daddr"), r->raddr);
	NR_CHECK_INT(t, &ev, "sport", nr_jint(o, "sport"), r->lport);
	NR_CHECK_INT(t, &ev, "dport", nr_jint(o, "dport"), r->rport);
	NR_CHECK_INT(t, &ev, "netns", nr_jint(o, "netns"), p->netns);
}

/* p's event of type about socket r: found, and right in every field. */
static void expect_event(struct nr_tracer *t, const char *type,
			 const struct peer *p, const struct peer_resp *r,
			 int ip)
{
	struct want w = { type, r->lport, r->rport, 0 };

	check_event(t, wait_event(t, &w), type, p, r, ip);
}

/*
 * One connection from cli to srv's listener: C and A checked, then
 * closed from the client first (or the server), X of each checked;
 * every event exactly once.
 */
static void conn_cycle(struct nr_tracer *t, struct peer *cli,
		       struct peer *srv, int family, const char *addr,
		       bool server_first, int ip)
{
	struct peer_resp c, a;
	int port, lfd = listen_on(srv, family, addr, &port);
	struct want w;

	c = connect_to(cli, family, addr, port);
	a = accept_on(srv, lfd);
	expect_event(t, "connect", cli, &c, ip);
	expect_event(t, "accept", srv, &a, ip);
	if (server_first) {
		op_fd(srv, OP_CLOSE, a.fd);
		expect_event(t, "close", srv, &a, ip);
		op_fd(cli, OP_CLOSE, c.fd);
	} else {
		op_fd(cli, OP_CLOSE, c.fd);
		expect_event(t, "close", cli, &c, ip);
		op_fd(srv, OP_CLOSE, a.fd);
	}
	expect_event(t, "close", server_first ? cli : srv,
		     server_first ? &c : &a, ip);
	op_fd(srv, OP_CLOSE, lfd);
	settle(t);
	w = (struct want){ "connect", c.lport, c.rport, 0 };
	expect_count(t, &w, 1);
	w.type = "close";
	expect_count(t, &w, 1);
	w = (struct want){ "accept", a.lport, a.rport, 0 };
	expect_count(t, &w, 1);
	w.type = "close";
	expect_count(t, &w, 1);
	/* The accepted side makes no connect event, nor the reverse. */
	w.type = "connect";
	expect_count(t, &w, 0);
}

/* ---- 1-3: families, both close directions ---- */

static void test_ipv4(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *cli = peer_start(ctx, "tt_cli4");
	struct peer *srv = peer_start(ctx, "tt_srv4");
	struct nr_tracer *t = tt_start(ctx, NR_ARGS("-j"));

	evlog_reset();
	conn_cycle(t, cli, srv, AF_INET, "127.0.0.1", false, 4);
	conn_cycle(t, cli, srv, AF_INET, "127.0.0.1", true, 4);
	nr_tracer_stop_must(t);
}

static void test_ipv6(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *cli = peer_start(ctx, "tt_cli6");
	struct peer *srv = peer_start(ctx, "tt_srv6");
	struct nr_tracer *t = tt_start(ctx, NR_ARGS("-j"));

	evlog_reset();
	conn_cycle(t, cli, srv, AF_INET6, "::1", true, 6);
	conn_cycle(t, cli, srv, AF_INET6, "::1", false, 6);
	nr_tracer_stop_must(t);
}

/* An IPv6 socket to an IPv4-mapped address: the socket's family, 6. */
static void test_ipv4_mapped(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *cli = peer_start(ctx, "tt_cli_map");
	struct peer *srv = peer_start(ctx, "tt_srv_map");
	struct nr_tracer *t = tt_start(ctx, NR_ARGS("-j"));

	evlog_reset();
	conn_cycle(t, cli, srv, AF_INET6, "::ffff:127.0.0.1", false, 6);
	nr_tracer_stop_must(t);
}

/* ---- 4: closed by another process than the opener ---- */

static void test_close_by_other(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *cli = peer_start(ctx, "tt_cli");
	struct peer *srv = peer_start(ctx, "tt_srv");
	struct peer *heir_c = peer_start(ctx, "tt_heir_cli");
	struct peer *heir_s = peer_start(ctx, "tt_heir_srv");
	struct nr_tracer *t = tt_start(ctx, NR_ARGS("-j"));
	int port, lfd = listen_on(srv, AF_INET, "127.0.0.1", &port);
	struct peer_resp c = connect_to(cli, AF_INET, "127.0.0.1", port);
	struct peer_resp a = accept_on(srv, lfd);
	struct want w;
	int hc, hs;

	evlog_reset();
	expect_event(t, "connect", cli, &c, 4);
	expect_event(t, "accept", srv, &a, 4);
	/* The openers close their copies: nothing is closed yet. */
	hc = hand_over(cli, c.fd, heir_c);
	hs = hand_over(srv, a.fd, heir_s);
	op_fd(cli, OP_CLOSE, c.fd);
	op_fd(srv, OP_CLOSE, a.fd);
	/* The client's heir closes it; the server's heir exits with it. */
	op_fd(heir_c, OP_CLOSE, hc);
	expect_event(t, "close", heir_c, &c, 4);
	(void)hs;
	peer_call(heir_s, (struct peer_cmd){ .op = OP_EXIT }, -1, NULL);
	w = (struct want){ "close", a.lport, a.rport, 0 };
	check_event(t, wait_event(t, &w), "close", heir_s, &a, 4);
	settle(t);
	expect_count(t, &w, 1);
	w = (struct want){ "close", c.lport, c.rport, 0 };
	expect_count(t, &w, 1);
	nr_tracer_stop_must(t);
}

/* ---- 5: shutdown() first, reset, refused ---- */

static void test_shutdown_reset_refused(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *cli = peer_start(ctx, "tt_cli_rst");
	struct peer *srv = peer_start(ctx, "tt_srv_rst");
	struct nr_tracer *t = tt_start(ctx, NR_ARGS("-j"));
	int port, lfd = listen_on(srv, AF_INET, "127.0.0.1", &port);
	int closed = nr_closed_port_must(AF_INET);
	struct peer_resp c, a, r;
	struct peer_cmd refuse = { .op = OP_CONNECT, .family = AF_INET,
				   .port = closed, .addr = "127.0.0.1" };
	struct want w;

	evlog_reset();
	/* shutdown() is no close: the close comes at close(). */
	c = connect_to(cli, AF_INET, "127.0.0.1", port);
	a = accept_on(srv, lfd);
	op_fd(cli, OP_SHUT, c.fd);
	w = (struct want){ "close", c.lport, c.rport, 0 };
	read_events(t, NULL, NR_GRACE_MS);
	if (count_matches(&w))
		fail_msg("'%s': close event after shutdown()", t->cmdline);
	op_fd(cli, OP_CLOSE, c.fd);
	expect_event(t, "close", cli, &c, 4);
	op_fd(srv, OP_CLOSE, a.fd);
	expect_event(t, "close", srv, &a, 4);

	/* Reset: the server aborts, the client closes a reset socket. */
	c = connect_to(cli, AF_INET, "127.0.0.1", port);
	a = accept_on(srv, lfd);
	op_fd(srv, OP_LINGER0, a.fd);
	op_fd(srv, OP_CLOSE, a.fd);
	expect_event(t, "close", srv, &a, 4);
	op_fd(cli, OP_CLOSE, c.fd);
	expect_event(t, "close", cli, &c, 4);
	settle(t);
	w = (struct want){ "close", c.lport, c.rport, 0 };
	expect_count(t, &w, 1);

	/* Refused: never established, so neither connect nor close. */
	r = peer_call(cli, refuse, -1, NULL);
	if (r.err != ECONNREFUSED)
		fail_msg("connect to closed port %d: %s", closed,
			 strerror(r.err));
	op_fd(cli, OP_CLOSE, r.fd);
	read_events(t, NULL, NR_GRACE_MS);
	for (int i = 0; i < evlog.n; i++)
		if (nr_jint(evlog.ev[i], "pid") == cli->pid &&
		    nr_jint(evlog.ev[i], "dport") == closed)
			fail_msg("'%s': event of a refused connect", t->cmdline);
	nr_tracer_stop_must(t);
}

/* ---- 6-10: filters ---- */

/* All of one connection inside peer p: listen, connect, accept, close. */
static void self_conn(struct peer *p, int family, const char *addr,
		      struct peer_resp *c, struct peer_resp *a)
{
	int port, lfd = listen_on(p, family, addr, &port);

	*c = connect_to(p, family, addr, port);
	*a = accept_on(p, lfd);
	op_fd(p, OP_CLOSE, c->fd);
	op_fd(p, OP_CLOSE, a->fd);
	op_fd(p, OP_CLOSE, lfd);
}

/* drop's connection must leave no event, keep's all four. */
static void drop_then_keep(struct nr_tracer *t, struct peer *drop,
			   int dfam, const char *daddr, struct peer *keep,
			   int kfam, const char *kaddr)
{
	struct peer_resp dc, da, kc, ka;
	int ip = kfam == AF_INET6 ? 6 : 4;

	evlog_reset();
	self_conn(drop, dfam, daddr, &dc, &da);
	self_conn(keep, kfam, kaddr, &kc, &ka);
	expect_event(t, "connect", keep, &kc, ip);
	expect_event(t, "accept", keep, &ka, ip);
	expect_event(t, "close", keep, &kc, ip);
	expect_event(t, "close", keep, &ka, ip);
	read_events(t, NULL, NR_GRACE_MS);
	for (int i = 0; i < evlog.n; i++) {
		long long sp = nr_jint(evlog.ev[i], "sport");
		long long dp = nr_jint(evlog.ev[i], "dport");

		/* Its pid, or its port pairs (a close by another pid). */
		if (nr_jint(evlog.ev[i], "pid") == drop->pid ||
		    (sp == dc.lport && dp == dc.rport) ||
		    (sp == da.lport && dp == da.rport))
			fail_msg("'%s': event of the filtered peer %s",
				 t->cmdline, drop->comm);
	}
	nr_tracer_stop_must(t);
}

static void test_filter_pid(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *drop = peer_start(ctx, "tt_drop");
	struct peer *keep = peer_start(ctx, "tt_keep");
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)keep->pid);
	drop_then_keep(tt_start(ctx, NR_ARGS("-j", "-p", pid)),
		       drop, AF_INET, "127.0.0.1", keep, AF_INET, "127.0.0.1");
}

static void test_filter_family(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *drop = peer_start(ctx, "tt_drop6");
	struct peer *keep = peer_start(ctx, "tt_keep4");

	drop_then_keep(tt_start(ctx, NR_ARGS("-j", "-4")),
		       drop, AF_INET6, "::1", keep, AF_INET, "127.0.0.1");
	drop = peer_start(ctx, "tt_drop4");
	keep = peer_start(ctx, "tt_keep6");
	/* -6 is the socket's family: an IPv4-mapped IPv6 socket is kept. */
	drop_then_keep(tt_start(ctx, NR_ARGS("-j", "-6")),
		       drop, AF_INET, "127.0.0.1", keep, AF_INET6,
		       "::ffff:127.0.0.1");
}

static void test_filter_netns(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer_cfg kcfg = { .comm = "tt_keep_ns", .new_netns = true };
	struct peer *drop = peer_start(ctx, "tt_drop_ns");
	struct peer *keep = peer_start_cfg(ctx, &kcfg);
	char ns[32];

	if (keep->netns == netns_of(getpid()))
		fail_msg("peer's network namespace is ours");
	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)keep->netns);
	drop_then_keep(tt_start(ctx, NR_ARGS("-j", "-N", ns)),
		       drop, AF_INET, "127.0.0.1", keep, AF_INET, "127.0.0.1");
}

static void test_cgroupmap(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	char cg[4096], pin[4200];
	struct peer_cfg in = { .comm = "tt_in_cg" };
	struct peer *drop, *keep;

	nr_cgroup_create_must(ctx, cg, sizeof(cg));
	/* The v2 cgroup id is the inode number of its directory. */
	nr_pin_filter_map_must(ctx, "cgroupmap", nr_inode_must(cg),
			       sizeof(uint64_t), pin, sizeof(pin));
	in.cgroup = cg;
	keep = peer_start_cfg(ctx, &in);
	drop = peer_start(ctx, "tt_out_cg");
	drop_then_keep(tt_start(ctx, NR_ARGS("-j", "--cgroupmap", pin)),
		       drop, AF_INET, "127.0.0.1", keep, AF_INET, "127.0.0.1");
}

static void test_mntnsmap(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer_cfg in = { .comm = "tt_in_ns", .new_mntns = true };
	struct peer *drop, *keep;
	char pin[4200];

	keep = peer_start_cfg(ctx, &in);
	drop = peer_start(ctx, "tt_out_ns");
	nr_pin_filter_map_must(ctx, "mntnsmap",
			       nr_new_mntns_must(keep->pid, "peer"),
			       sizeof(uint32_t), pin, sizeof(pin));
	drop_then_keep(tt_start(ctx, NR_ARGS("-j", "--mntnsmap", pin)),
		       drop, AF_INET, "127.0.0.1", keep, AF_INET, "127.0.0.1");
}

/* ---- 11: text, byte for byte ---- */

/* The stdout row of p's event of type (text), or fail. */
static const char *wait_row(struct nr_tracer *t, const char *type,
			    pid_t pid, int sport, int type_field)
{
	int64_t end = nr_now_ms() + NR_EVENT_TIMEOUT_MS;
	char f[64], g[64], h[64];
	const char *line;

	while (nr_now_ms() < end) {
		if (nr_tracer_line(t, NR_OUT, (int)(end - nr_now_ms()), &line) <= 0)
			break;
		if (!strcmp(nr_field(line, type_field, f, sizeof(f)), type) &&
		    atoi(nr_field(line, type_field + 1, g, sizeof(g))) == pid &&
		    atoi(nr_field(line, type_field + 6, h, sizeof(h))) == sport)
			return line;
	}
	fail_msg("'%s': no %s row of pid %d sport %d; stdout:\n%s", t->cmdline,
		 type, (int)pid, sport, nr_stdout_dump(t, 0));
	return NULL;
}

/* BCC's row after its TYPE and prefix: "%-6d %-16s %-2d %-16s %-16s %-6d %-6d". */
static void row_body(char *buf, size_t n, const struct peer *p,
		     const struct peer_resp *r, int ip)
{
	char s[64], d[64];

	if (ip == 6) {
		snprintf(s, sizeof(s), "[%s]", r->laddr);
		snprintf(d, sizeof(d), "[%s]", r->raddr);
	} else {
		snprintf(s, sizeof(s), "%s", r->laddr);
		snprintf(d, sizeof(d), "%s", r->raddr);
	}
	snprintf(buf, n, "%-6d %-16s %-2d %-16s %-16s %-6d %-6d", (int)p->pid,
		 p->comm, ip, s, d, r->lport, r->rport);
}

static void test_text(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct peer *p = peer_start(ctx, "tt_text");
	struct nr_tracer *t;
	struct peer_resp c, a;
	char want[256], body[200], hdr[256];
	const char *line;

	/* Default: letters, no NETNS. */
	t = tt_start(ctx, NR_ARGS(NULL));
	snprintf(hdr, sizeof(hdr), "%-2s %-6s %-16s %-2s %-16s %-16s %-6s %-6s",
		 "T", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT", "DPORT");
	nr_expect_header_must(t, hdr);
	self_conn(p, AF_INET6, "::1", &c, &a);
	row_body(body, sizeof(body), p, &c, 6);
	snprintf(want, sizeof(want), "%-2s %s", "C", body);
	nr_expect_line(t, "connect row", wait_row(t, "C", p->pid, c.lport, 0), want);
	row_body(body, sizeof(body), p, &a, 6);
	snprintf(want, sizeof(want), "%-2s %s", "A", body);
	nr_expect_line(t, "accept row", wait_row(t, "A", p->pid, a.lport, 0), want);
	nr_tracer_stop_must(t);

	/* -v: names and NETNS ("DPORT" padded to 7 in the header). */
	t = tt_start(ctx, NR_ARGS("-v"));
	snprintf(hdr, sizeof(hdr), "%-12s %-6s %-16s %-2s %-16s %-16s %-6s %-7s%-8s",
		 "TYPE", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT",
		 "DPORT", "NETNS");
	nr_expect_header_must(t, hdr);
	self_conn(p, AF_INET, "127.0.0.1", &c, &a);
	row_body(body, sizeof(body), p, &c, 4);
	snprintf(want, sizeof(want), "%-12s %s %-8llu", "close", body,
		 (unsigned long long)p->netns);
	nr_expect_line(t, "close row", wait_row(t, "close", p->pid, c.lport, 0),
		       want);
	nr_tracer_stop_must(t);

	/* -v -N: no NETNS column, the header still pads DPORT to 7. */
	snprintf(body, sizeof(body), "%llu", (unsigned long long)p->netns);
	t = tt_start(ctx, NR_ARGS("-v", "-N", body));
	snprintf(hdr, sizeof(hdr), "%-12s %-6s %-16s %-2s %-16s %-16s %-6s %-7s",
		 "TYPE", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT", "DPORT");
	nr_expect_header_must(t, hdr);
	self_conn(p, AF_INET, "127.0.0.1", &c, &a);
	row_body(body, sizeof(body), p, &a, 4);
	snprintf(want, sizeof(want), "%-12s %s", "accept", body);
	nr_expect_line(t, "accept row", wait_row(t, "accept", p->pid, a.lport, 0),
		       want);
	nr_tracer_stop_must(t);

	/* -t: seconds since the first event, glued to the type. */
	t = tt_start(ctx, NR_ARGS("-t"));
	snprintf(hdr, sizeof(hdr), "%-9s%-2s %-6s %-16s %-2s %-16s %-16s %-6s %-6s",
		 "TIME(s)", "T", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT",
		 "DPORT");
	nr_expect_header_must(t, hdr);
	self_conn(p, AF_INET, "127.0.0.1", &c, &a);
	line = wait_row(t, "C", p->pid, c.lport, 1);
	row_body(body, sizeof(body), p, &c, 4);
	snprintf(want, sizeof(want), "%-2s %s", "C", body);
	if (strlen(line) != 9 + strlen(want) || strcmp(line + 9, want) ||
	    line[1] != '.' || line[5] != ' ')
		fail_msg("'%s': -t row \"%s\", want 9 columns of seconds, then \"%s\"",
			 t->cmdline, line, want);
	nr_tracer_stop_must(t);

	/* -v -t: whole nanoseconds in 14 columns. */
	t = tt_start(ctx, NR_ARGS("-v", "-t"));
	snprintf(hdr, sizeof(hdr), "%-14s%-12s %-6s %-16s %-2s %-16s %-16s %-6s %-7s%-8s",
		 "TIME(ns)", "TYPE", "PID", "COMM", "IP", "SADDR", "DADDR",
		 "SPORT", "DPORT", "NETNS");
	nr_expect_header_must(t, hdr);
	self_conn(p, AF_INET, "127.0.0.1", &c, &a);
	line = wait_row(t, "accept", p->pid, a.lport, 1);
	row_body(body, sizeof(body), p, &a, 4);
	snprintf(want, sizeof(want), "%-12s %s %-8llu", "accept", body,
		 (unsigned long long)p->netns);
	if (strlen(line) != 14 + strlen(want) || strcmp(line + 14, want) ||
	    strspn(line, "0123456789") == 0 ||
	    line[strspn(line, "0123456789")] != ' ')
		fail_msg("'%s': -v -t row \"%s\", want 14 columns of ns, then \"%s\"",
			 t->cmdline, line, want);
	nr_tracer_stop_must(t);
}

/* ---- 12: bad input ---- */

static void test_bad_netns(void **state)
{
	static const char *const bad[] = { "abc", "0", "-1", "4294967296" };
	struct nr_tracer_cfg cfg;
	struct nr_tracer *t;

	nr_test_begin(state);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tt_cfg(&cfg, NR_ARGS("-N", bad[i]));
		t = nr_usage_error_must(*state, &cfg);
		if (!strstr(t->err.lines[0], bad[i]))
			fail_msg("'%s': want one stderr line naming \"%s\", got:\n%s",
				 t->cmdline, bad[i], nr_tracer_stderr(t));
	}
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipv4), T(test_ipv6), T(test_ipv4_mapped),
		T(test_close_by_other), T(test_shutdown_reset_refused),
		T(test_filter_pid), T(test_filter_family),
		T(test_filter_netns), T(test_cgroupmap), T(test_mntnsmap),
		T(test_text), T(test_bad_netns),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_tcptracer", &skip_all))
		return 1;
	rc = cmocka_run_group_tests_name("tcptracer", tests, NULL, NULL);
	evlog_reset();
	return skip_all ? NR_EXIT_SKIP : rc;
}
