// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The soak's mixed storm (mixstorm.h).  Client threads claim connect
 * numbers from one counter and start each at its slot of a fixed pace;
 * one acceptor thread serves the three listeners.  The log lives in a
 * shared anonymous mapping so that child processes write into it too.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mixstorm.h"
#include "storm.h"
#include "tproc.h"

#define SEC		1000000000ULL
#define DRAIN_NS	(2 * SEC)	/* for the last accepts */
#define WAIT_RST_MS	2000		/* for the server's reset */

enum { L_V4, L_V6, L_DUAL, L_N };
enum { K_V4, K_V6, K_MAPPED, K_V4_DUAL, K_REFUSED4, K_REFUSED6, K_N };

struct target {
	int family;			/* of the client's socket */
	struct sockaddr_storage sa;
	socklen_t len;
	bool refused;			/* nobody listens there */
};

struct mixlog {
	_Atomic size_t n;
	_Atomic unsigned long full;
	size_t cap;
	struct mix_rec rec[];
};

struct mixstorm {
	struct mix_opts o;
	int lfd[L_N];
	int closed4, closed6;		/* bound, not listening */
	struct target tg[K_N];
	struct mixlog *log;
	size_t map_len;
	uint64_t t0, deadline;
	_Atomic unsigned long next;
	_Atomic unsigned long want_accepts;	/* connects a listener took */
	_Atomic unsigned long accepts;
	_Atomic unsigned long children;
	_Atomic unsigned long early_resets;
	_Atomic unsigned long errors;
	_Atomic int first_errno;
	_Atomic bool stop_accept;
	pthread_t *clients;
	int nclients;
	pthread_t acceptor;
	bool acceptor_started;
};

static void mix_error(struct mixstorm *m, int err)
{
	int zero = 0;

	atomic_compare_exchange_strong(&m->first_errno, &zero, err ? err : EPROTO);
	m->errors++;
}

/* Safe in a child of a threaded process: no locks, no allocation. */
static void log_add(struct mixstorm *m, const struct mix_rec *r)
{
	size_t i = atomic_fetch_add(&m->log->n, 1);

	if (i < m->log->cap)
		m->log->rec[i] = *r;
	else
		m->log->full++;
}

static void sa_take(const struct sockaddr_storage *ss, uint8_t addr[16],
		    uint16_t *port)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET6) {
		memcpy(addr, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	} else {
		memcpy(addr, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	}
}

static bool unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, 16);
}

/*
 * Log fd's call as the kernel describes it: getsockname() and the peer.
 * A connect that met a reset has lost its local address (not its port):
 * on loopback that address is the destination's, and the log says so.
 * -1 when even the port is gone.
 */
static int log_sock(struct mixstorm *m, int side, int fd,
		    const struct sockaddr_storage *peer, bool refused,
		    bool child)
{
	struct sockaddr_storage me = { 0 };
	socklen_t len = sizeof(me);
	struct mix_rec r = {
		.pid = getpid(), .side = side, .family = peer->ss_family,
		.refused = refused, .child = child,
	};

	getsockname(fd, (struct sockaddr *)&me, &len);
	prctl(PR_GET_NAME, r.comm);
	sa_take(&me, r.laddr, &r.lport);
	sa_take(peer, r.raddr, &r.rport);
	if (unspecified(r.laddr)) {
		memcpy(r.laddr, r.raddr, 16);
		r.inferred = 1;
	}
	if (!r.lport)
		return -1;
	log_add(m, &r);
	return 0;
}

static void wait_reset(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	poll(&p, 1, WAIT_RST_MS);
}

/*
 * A refused connect leaves its socket with the port it had but not the
 * address (getsockname() says 0.0.0.0 or ::): bound beforehand, the
 * address is the caller's own and the log can name it.
 */
static int bind_loopback(int fd, int family)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (family == AF_INET6)
		return bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	return bind(fd, (struct sockaddr *)&a4, sizeof(a4));
}

static void one_conn(struct mixstorm *m, const struct target *tg)
{
	int fd = socket(tg->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok, reset;

	if (fd < 0 || storm_linger0(fd) ||
	    (tg->refused && bind_loopback(fd, tg->family))) {
		mix_error(m, errno);
		goto out;
	}
	ok = !connect(fd, (const struct sockaddr *)&tg->sa, tg->len);
	/* Accepted and reset before connect() woke up: made all the same. */
	reset = !ok && errno == ECONNRESET && !tg->refused;
	if (reset) {
		m->early_resets++;
	} else if (ok == tg->refused || (!ok && errno != ECONNREFUSED)) {
		/* Whether its SYN left is unknown: no line for the log. */
		mix_error(m, ok ? EISCONN : errno);
		goto out;
	}
	if (log_sock(m, MIX_CONNECT, fd, &tg->sa, !ok && !reset, false))
		mix_error(m, EADDRNOTAVAIL);
	if (ok || reset)
		m->want_accepts++;
	/* The server accepts, logs, and resets: then close. */
	if (ok)
		wait_reset(fd);
out:
	if (fd >= 0)
		close(fd);
}

/* A child's whole life: its own listener, one connect, one accept. */
static int child_run(struct mixstorm *m, int family)
{
	struct sockaddr_storage peer = { 0 }, srv = { 0 };
	socklen_t len = sizeof(srv), plen = sizeof(peer);
	int lfd, c, s;

	lfd = storm_listen_at(family, family == AF_INET6 ? "::1" : "127.0.0.1",
			      0, NULL);
	if (lfd < 0)
		return 1;
	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || storm_linger0(c) ||
	    getsockname(lfd, (struct sockaddr *)&srv, &len) ||
	    connect(c, (struct sockaddr *)&srv, len))
		return 1;
	if (log_sock(m, MIX_CONNECT, c, &srv, false, true))
		return 1;
	s = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (s < 0 || log_sock(m, MIX_ACCEPT, s, &peer, false, true))
		return 1;
	close(s);
	close(c);
	close(lfd);
	return 0;
}

static void child_conn(struct mixstorm *m, unsigned long i)
{
	char name[16];
	int st = 0;
	pid_t pid;

	/* Made before fork(): the child of a threaded process stays simple. */
	snprintf(name, sizeof(name), "%s-c%lu", m->o.tag, i % 1000);
	pid = fork();
	if (pid < 0) {
		mix_error(m, errno);
		return;
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, name);
		_exit(child_run(m, i / m->o.child_every % 2 ? AF_INET6 : AF_INET));
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		mix_error(m, ECHILD);
	m->children++;
}

static void thread_name(struct mixstorm *m, const char *what)
{
	char name[16];

	snprintf(name, sizeof(name), "%s-%s", m->o.tag, what);
	prctl(PR_SET_NAME, name);
}

static void *client(void *arg)
{
	struct mixstorm *m = arg;
	unsigned long i;
	uint64_t due, now;

	thread_name(m, "cl");
	for (;;) {
		i = atomic_fetch_add(&m->next, 1);
		due = m->t0 + (uint64_t)(i * (double)SEC / m->o.rate);
		if (due >= m->deadline)
			break;
		now = now_ns();
		if (due > now)
			sleep_ns(due - now);
		if (m->o.child_every && i % m->o.child_every == m->o.child_every - 1)
			child_conn(m, i);
		else
			one_conn(m, &m->tg[i % K_N]);
	}
	return NULL;
}

static void accept_one(struct mixstorm *m, int lfd)
{
	struct sockaddr_storage peer = { 0 };
	socklen_t len = sizeof(peer);
	int fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EINTR && errno != EAGAIN)
			mix_error(m, errno);
		return;
	}
	if (log_sock(m, MIX_ACCEPT, fd, &peer, false, false))
		mix_error(m, EADDRNOTAVAIL);
	close(fd);		/* SO_LINGER {1, 0}, inherited: a reset */
	m->accepts++;
}

static void *acceptor(void *arg)
{
	struct mixstorm *m = arg;
	struct pollfd p[L_N];
	int i;

	thread_name(m, "acc");
	for (i = 0; i < L_N; i++)
		p[i] = (struct pollfd){ .fd = m->lfd[i], .events = POLLIN };
	while (!m->stop_accept) {
		if (poll(p, L_N, 100) <= 0)
			continue;
		for (i = 0; i < L_N; i++)
			if (p[i].revents & POLLIN)
				accept_one(m, m->lfd[i]);
	}
	return NULL;
}

/* A port of addr that refuses: bound, never listening. */
static int closed_port(int family, const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	uint8_t a[16];
	int fd;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ss.ss_family = family;
	if (family == AF_INET6)
		inet_pton(family, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	else
		inet_pton(family, addr, &((struct sockaddr_in *)&ss)->sin_addr);
	if (bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ?
		 sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		close(fd);
		return -errno;
	}
	sa_take(&ss, a, port);
	return fd;
}

static void target(struct target *t, int family, const char *addr,
		   uint16_t port, bool refused)
{
	struct sockaddr_in6 *s6 = (void *)&t->sa;
	struct sockaddr_in *s4 = (void *)&t->sa;

	memset(t, 0, sizeof(*t));
	t->family = family;
	t->refused = refused;
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		t->len = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		t->len = sizeof(*s4);
	}
}

static int setup_sockets(struct mixstorm *m)
{
	uint16_t p4, p6, pd, c4, c6;

	m->lfd[L_V4] = storm_listen_at(AF_INET, "127.0.0.1", 0, &p4);
	m->lfd[L_V6] = storm_listen_at(AF_INET6, "::1", 0, &p6);
	/* An IPv6 socket on a mapped address: IPv4 clients only, as IPv6. */
	m->lfd[L_DUAL] = storm_listen_at(AF_INET6, "::ffff:127.0.0.1", 0, &pd);
	m->closed4 = closed_port(AF_INET, "127.0.0.1", &c4);
	m->closed6 = closed_port(AF_INET6, "::1", &c6);
	if (m->lfd[L_V4] < 0)
		return m->lfd[L_V4];
	if (m->lfd[L_V6] < 0)
		return m->lfd[L_V6];
	if (m->lfd[L_DUAL] < 0)
		return m->lfd[L_DUAL];
	if (m->closed4 < 0)
		return m->closed4;
	if (m->closed6 < 0)
		return m->closed6;
	target(&m->tg[K_V4], AF_INET, "127.0.0.1", p4, false);
	target(&m->tg[K_V6], AF_INET6, "::1", p6, false);
	target(&m->tg[K_MAPPED], AF_INET6, "::ffff:127.0.0.1", pd, false);
	target(&m->tg[K_V4_DUAL], AF_INET, "127.0.0.1", pd, false);
	target(&m->tg[K_REFUSED4], AF_INET, "127.0.0.1", c4, true);
	target(&m->tg[K_REFUSED6], AF_INET6, "::1", c6, true);
	return 0;
}

static int map_log(struct mixstorm *m)
{
	/* A connect and an accept for every slot, and room to spare. */
	size_t cap = (size_t)(m->o.rate * m->o.secs * 2.2) + 4096;

	m->map_len = sizeof(*m->log) + cap * sizeof(struct mix_rec);
	m->log = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->log == MAP_FAILED) {
		m->log = NULL;
		return -errno;
	}
	m->log->cap = cap;
	return 0;
}

int mix_start(struct mixstorm **mp, const struct mix_opts *o)
{
	struct mixstorm *m = calloc(1, sizeof(*m));
	int i, err;

	*mp = m;
	if (!m)
		return -ENOMEM;
	m->o = *o;
	m->o.threads = o->threads > 0 ? o->threads : 1;
	m->o.rate = o->rate ? o->rate : 1;
	m->closed4 = m->closed6 = -1;
	for (i = 0; i < L_N; i++)
		m->lfd[i] = -1;
	m->clients = calloc(m->o.threads, sizeof(*m->clients));
	if (!m->clients)
		return -ENOMEM;
	if ((err = setup_sockets(m)) || (err = map_log(m)))
		return err;
	if ((err = -pthread_create(&m->acceptor, NULL, acceptor, m)))
		return err;
	m->acceptor_started = true;
	m->t0 = now_ns();
	m->deadline = m->t0 + (uint64_t)(o->secs * SEC);
	for (i = 0; i < m->o.threads; i++) {
		if ((err = -pthread_create(&m->clients[i], NULL, client, m)))
			return err;
		m->nclients++;
	}
	return 0;
}

unsigned long mix_progress(struct mixstorm *m)
{
	unsigned long n = m->next;

	/* Each client claims one number past the end before it stops. */
	return n < m->o.rate * m->o.secs ? n : (unsigned long)(m->o.rate * m->o.secs);
}

bool mix_over(struct mixstorm *m)
{
	return now_ns() >= m->deadline;
}

void mix_wait(struct mixstorm *m, struct mix_stats *st)
{
	uint64_t end;
	size_t i, n;
	int k;

	memset(st, 0, sizeof(*st));
	for (k = 0; k < m->nclients; k++)
		pthread_join(m->clients[k], NULL);
	m->nclients = 0;
	end = now_ns() + DRAIN_NS;
	while (m->accepts < m->want_accepts && now_ns() < end)
		sleep_ns(1000000);
	m->stop_accept = true;
	if (m->acceptor_started)
		pthread_join(m->acceptor, NULL);
	m->acceptor_started = false;
	if (m->accepts < m->want_accepts)
		mix_error(m, ETIMEDOUT);
	n = mix_log(m, NULL);
	for (i = 0; i < n; i++) {
		const struct mix_rec *r = &m->log->rec[i];

		if (r->side == MIX_CONNECT) {
			st->connects++;
			st->refused += r->refused;
		} else {
			st->accepts++;
		}
	}
	st->children = m->children;
	st->early_resets = m->early_resets;
	st->errors = m->errors;
	st->first_errno = m->first_errno;
	st->log_full = m->log ? m->log->full : 0;
}

size_t mix_log(struct mixstorm *m, const struct mix_rec **recs)
{
	size_t n;

	if (!m->log)
		return 0;
	n = m->log->n < m->log->cap ? m->log->n : m->log->cap;
	if (recs)
		*recs = m->log->rec;
	return n;
}

void mix_free(struct mixstorm *m)
{
	struct mix_stats st;
	int i;

	if (!m)
		return;
	if (m->nclients || m->acceptor_started)
		mix_wait(m, &st);
	for (i = 0; i < L_N; i++)
		if (m->lfd[i] >= 0)
			close(m->lfd[i]);
	if (m->closed4 >= 0)
		close(m->closed4);
	if (m->closed6 >= 0)
		close(m->closed6);
	if (m->log)
		munmap(m->log, m->map_len);
	free(m->clients);
	free(m);
}
