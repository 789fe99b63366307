// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loopback listeners and closed ports.  Only 127.0.0.1 and ::1: the
 * suite must never put traffic on a real interface.  Also sockaddrs
 * from text.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

const char *nr_loopback(int family)
{
	return family == AF_INET ? "127.0.0.1" : "::1";
}

socklen_t nr_sockaddr(int family, const char *addr, int port,
		      struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		a4->sin_port = htons(port);
		if (addr && inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
			return 0;
		return sizeof(*a4);
	}
	a6->sin6_port = htons(port);
	if (addr && inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
		return 0;
	return sizeof(*a6);
}

/* A TCP socket bound to loopback port 0; returns fd, port in *port. */
static int bind_loopback(int family, int *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*a4) : sizeof(*a6);
	int one = 1;
	int fd;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	if (family == AF_INET)
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		a6->sin6_addr = in6addr_loopback;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? a4->sin_port : a6->sin6_port);
	return fd;
}

int nr_closed_port_must(int family)
{
	int port;
	int fd = bind_loopback(family, &port);

	if (fd < 0)
		fail_msg("bind %s port 0: %s", nr_loopback(family),
			 strerror(errno));
	/* Closed without listen(): a SYN to it gets a RST. */
	close(fd);
	return port;
}

/* Accept and close until told to stop, so the backlog never fills. */
static void *listener_thread(void *arg)
{
	struct nr_listener *l = arg;
	struct pollfd pfd[2] = {
		{ .fd = l->fd, .events = POLLIN },
		{ .fd = l->stop_pipe[0], .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		for (;;) {
			int c = accept4(l->fd, NULL, NULL,
					SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (c < 0)
				break;
			close(c);
			__atomic_add_fetch(&l->accepted, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void listener_cleanup(struct nr_ctx *ctx, void *arg)
{
	struct nr_listener *l = arg;

	if (write(l->stop_pipe[1], "x", 1) == 1)
		pthread_join(l->thread, NULL);
	close(l->stop_pipe[0]);
	close(l->stop_pipe[1]);
	close(l->fd);
	free(l);
}

struct nr_listener *nr_listener_start_must(struct nr_ctx *ctx, int family)
{
	struct nr_listener *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->family = family;
	l->addr = nr_loopback(family);
	l->fd = bind_loopback(family, &l->port);
	if (l->fd < 0 || listen(l->fd, 4096))
		fail_msg("listen on %s: %s", l->addr, strerror(errno));
	fcntl(l->fd, F_SETFL, O_NONBLOCK);
	if (pipe2(l->stop_pipe, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	if (pthread_create(&l->thread, NULL, listener_thread, l))
		fail_msg("pthread_create failed");
	nr_defer(ctx, listener_cleanup, l);
	return l;
}
