// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Connection storm.  Clients claim connection numbers from one counter
 * until the count or the deadline is reached; acceptors accept and close.
 * When the clients are done the acceptors drain the queue (every
 * successful connect() has a child socket waiting there), then a
 * shutdown() of the listener wakes them up to stop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "storm.h"

#define DRAIN_NS	2000000000ULL	/* wait this long for the last accepts */
#define WAIT_CLOSE_MS	2000		/* for the server's close */

/* Counters of one thread, on a cache line of its own. */
struct counter {
	unsigned long ok;
	unsigned long resets;
	unsigned long unanswered;
	unsigned long errors;
	int first_errno;
	_Atomic unsigned long accepts;
} __attribute__((aligned(64)));

struct storm {
	const struct storm_opts *o;
	struct sockaddr_in addr;
	int lfd;
	_Atomic unsigned long next;
	_Atomic bool stop_accept;
	uint64_t deadline_ns;
	_Atomic bool timed_out;
	struct counter *clients;
	struct counter *acceptors;
};

struct worker {
	struct storm *s;
	struct counter *c;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

int storm_linger0(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

int storm_listen_at(int family, const char *addr, uint16_t port,
		    uint16_t *bound)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct sockaddr *a = family == AF_INET6 ? (void *)&a6 : (void *)&a4;
	socklen_t len = family == AF_INET6 ? sizeof(a6) : sizeof(a4);
	int one = 1, fd, err;

	if (inet_pton(family, addr, family == AF_INET6 ?
		      (void *)&a6.sin6_addr : (void *)&a4.sin_addr) != 1)
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Accepted sockets inherit SO_LINGER: their close() sends RST too. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    storm_linger0(fd) ||
	    bind(fd, a, len) ||
	    listen(fd, 4096) ||
	    getsockname(fd, a, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (bound)
		*bound = ntohs(family == AF_INET6 ? a6.sin6_port : a4.sin_port);
	return fd;
}

int storm_listen(uint16_t port, uint16_t *bound)
{
	return storm_listen_at(AF_INET, "127.0.0.1", port, bound);
}

static void *client(void *arg)
{
	struct worker *w = arg;
	struct storm *s = w->s;
	struct counter *c = w->c;
	int fd;

	for (;;) {
		if (atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed) >=
		    s->o->conns)
			break;
		if (now_ns() >= s->deadline_ns) {
			s->timed_out = true;
			break;
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !storm_linger0(fd) &&
		    !connect(fd, (struct sockaddr *)&s->addr, sizeof(s->addr))) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			c->ok++;
			/*
			 * Until the server's RST: it has accepted, and its
			 * socket still had its ports when it did.  Bounded:
			 * a connection the server never saw (its final ACK
			 * dropped) would never get one.
			 */
			if (!s->o->no_wait && poll(&p, 1, WAIT_CLOSE_MS) == 0)
				c->unanswered++;
		} else if (fd >= 0 && errno == ECONNRESET) {
			/* Accepted and closed before connect() woke up. */
			c->resets++;
		} else {
			if (!c->first_errno)
				c->first_errno = errno;
			c->errors++;
		}
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	struct worker *w = arg;
	struct storm *s = w->s;
	int fd;

	while (!s->stop_accept) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			atomic_store_explicit(&w->c->accepts,
				atomic_load_explicit(&w->c->accepts,
						     memory_order_relaxed) + 1,
				memory_order_relaxed);
		} else if (errno != EINTR && errno != ECONNABORTED) {
			break;
		}
	}
	return NULL;
}

static unsigned long sum_accepts(struct storm *s)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < s->o->acceptors; i++)
		n += atomic_load_explicit(&s->acceptors[i].accepts,
					  memory_order_relaxed);
	return n;
}

int storm_run(const struct storm_opts *o, struct storm_result *r)
{
	struct storm s = { .o = o };
	int nt = o->threads > 0 ? o->threads : 1;
	int na = o->acceptors > 0 ? o->acceptors : 1;
	struct storm_opts oo = *o;
	pthread_t *tid;
	struct worker *w;
	uint64_t t0 = 0, t1 = 0, c0 = 0, drain_end;
	socklen_t len = sizeof(s.addr);
	int i, err = 0, started = 0;

	memset(r, 0, sizeof(*r));
	oo.threads = nt;
	oo.acceptors = na;
	s.o = &oo;
	s.lfd = o->listen_fd >= 0 ? o->listen_fd : storm_listen(o->port, NULL);
	if (s.lfd < 0)
		return s.lfd;
	if (getsockname(s.lfd, (struct sockaddr *)&s.addr, &len)) {
		err = -errno;
		goto out_fd;
	}
	s.clients = calloc(nt, sizeof(*s.clients));
	s.acceptors = calloc(na, sizeof(*s.acceptors));
	tid = calloc(nt + na, sizeof(*tid));
	w = calloc(nt + na, sizeof(*w));
	if (!s.clients || !s.acceptors || !tid || !w) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < na; i++) {
		w[i] = (struct worker){ &s, &s.acceptors[i] };
		if ((err = -pthread_create(&tid[i], NULL, acceptor, &w[i])))
			goto stop;
		started++;
	}
	c0 = cpu_ns();
	t0 = now_ns();
	s.deadline_ns = t0 + (uint64_t)(o->max_secs * 1e9);
	for (i = 0; i < nt; i++) {
		w[na + i] = (struct worker){ &s, &s.clients[i] };
		if ((err = -pthread_create(&tid[na + i], NULL, client, &w[na + i])))
			break;
		started++;
	}
	for (i = na; i < started; i++)
		pthread_join(tid[i], NULL);
	t1 = now_ns();
	for (i = 0; i < nt; i++) {
		r->conns += s.clients[i].ok + s.clients[i].resets;
		r->resets += s.clients[i].resets;
		r->unanswered += s.clients[i].unanswered;
		r->errors += s.clients[i].errors;
		if (!r->first_errno)
			r->first_errno = s.clients[i].first_errno;
	}
	/* Every connect that succeeded left a child in the accept queue. */
	drain_end = now_ns() + DRAIN_NS;
	while (sum_accepts(&s) < r->conns && now_ns() < drain_end)
		usleep(1000);
	r->cpu_ns = cpu_ns() - c0;
stop:
	s.stop_accept = true;
	shutdown(s.lfd, SHUT_RDWR);
	for (i = 0; i < na && i < started; i++)
		pthread_join(tid[i], NULL);
	r->accepts = sum_accepts(&s);
	if (!err) {
		r->timed_out = s.timed_out;
		r->elapsed_ns = t1 - t0;
		r->rate = r->elapsed_ns ? r->conns * 1e9 / r->elapsed_ns : 0;
		r->cpu_us_per_conn = r->conns ? r->cpu_ns / 1e3 / r->conns : 0;
	}
out:
	free(s.clients);
	free(s.acceptors);
	free(tid);
	free(w);
out_fd:
	close(s.lfd);
	return err;
}
