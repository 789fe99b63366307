// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Client processes: forked children that take a distinctive comm, maybe
 * another uid, cgroup or mount namespace, and connect() on command.
 * They report what they see themselves (getpid, /proc/self/comm, getuid,
 * getsockname): that is the ground truth the tracer's events must match.
 *
 * The child is forked from a threaded process (listener threads), so it
 * sticks to plain system calls: no stdio, no malloc.  The one exception,
 * pthread_create() for a connect from a second thread, relies on glibc
 * keeping malloc usable in a forked child (it locks the arenas at fork).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

#define CLIENT_REPLY_MS	10000	/* a non-blocking connect waits up to 5 s */

struct client_cmd {
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int nonblock;
	int in_thread;		/* connect from a second thread */
};

struct client_resp {
	int setup_err;		/* errno of the failed setup step, or 0 */
	char setup_what[32];	/* which step */
	int sock_err;		/* socket() failed: errno */
	int err;		/* connect() result: 0 or errno */
	int saddr_from_route;	/* see route_saddr() */
	pid_t pid;
	pid_t tid;		/* the thread that called connect() */
	uid_t uid, euid;
	char comm[17];		/* that thread's comm */
	struct sockaddr_storage local;
};

/* ---- the child ---- */

static void read_comm(char comm[17])
{
	/* The calling thread's own comm: what the kernel reports. */
	int fd = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, comm, 16) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	comm[n] = 0;
	if (n && comm[n - 1] == '\n')
		comm[n - 1] = 0;
}

static void fill_self(struct client_resp *r)
{
	r->pid = getpid();
	r->tid = gettid();
	r->uid = getuid();
	r->euid = geteuid();
	read_comm(r->comm);
}

static int join_cgroup(const char *dir)
{
	char path[4096];
	int fd, ok;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >=
	    (int)sizeof(path))
		return ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	/* "0" moves the writer itself. */
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : errno;
}

static int drop_privs(uid_t uid, bool keep_euid)
{
	/* gid = uid: 65534 is nobody/nogroup on Debian and RHEL. */
	if (setgroups(0, NULL) || setgid(uid))
		return errno;
	/* keep_euid: only the real uid changes, effective stays root. */
	if (keep_euid ? setresuid(uid, 0, 0) : setuid(uid))
		return errno;
	return 0;
}

/* Each step in the order that keeps the privileges it needs. */
static void client_setup(const struct nr_client_cfg *cfg, pid_t parent,
			 struct client_resp *r)
{
	int e = 0;

	if (cfg->cgroup && (e = join_cgroup(cfg->cgroup))) {
		strcpy(r->setup_what, "join cgroup");
	} else if (cfg->new_mntns && unshare(CLONE_NEWNS)) {
		e = errno;
		strcpy(r->setup_what, "unshare(CLONE_NEWNS)");
	} else if (cfg->uid && (e = drop_privs(cfg->uid, cfg->keep_euid))) {
		strcpy(r->setup_what, "setuid");
	} else if (prctl(PR_SET_NAME, cfg->comm, 0, 0, 0)) {
		e = errno;
		strcpy(r->setup_what, "prctl(PR_SET_NAME)");
	}
	/* A uid change clears the parent-death signal: set it again. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	r->setup_err = e;
	fill_self(r);
}

static bool addr_unspecified(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return a4->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
}

/*
 * A blocking connect() that fails disconnects the socket, and that
 * resets its source address (the port stays): getsockname() then says
 * 0.0.0.0.  The address the SYN carried is the one routing picks for
 * the peer, which a connected UDP socket reports without sending.
 */
static void route_saddr(const struct client_cmd *c, struct client_resp *r)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int s = socket(c->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	if (!connect(s, (const struct sockaddr *)&c->peer, c->peer_len) &&
	    !getsockname(s, (struct sockaddr *)&ss, &len)) {
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&r->local)->sin_addr =
				((struct sockaddr_in *)&ss)->sin_addr;
		else
			((struct sockaddr_in6 *)&r->local)->sin6_addr =
				((struct sockaddr_in6 *)&ss)->sin6_addr;
		r->saddr_from_route = 1;
	}
	close(s);
}

static void client_do_connect(const struct client_cmd *c,
			      struct client_resp *r)
{
	socklen_t len = sizeof(r->local);
	int type = SOCK_STREAM | SOCK_CLOEXEC;
	struct pollfd pfd;
	int s;

	memset(r, 0, sizeof(*r));
	fill_self(r);
	if (c->nonblock)
		type |= SOCK_NONBLOCK;
	s = socket(c->peer.ss_family, type, 0);
	if (s < 0) {
		r->sock_err = errno;
		return;
	}
	r->err = connect(s, (const struct sockaddr *)&c->peer, c->peer_len) ?
		 errno : 0;
	/* The source port exists once connect() has sent the SYN. */
	getsockname(s, (struct sockaddr *)&r->local, &len);
	if (r->err && r->local.ss_family == c->peer.ss_family &&
	    addr_unspecified(&r->local))
		route_saddr(c, r);
	if (c->nonblock && r->err == EINPROGRESS) {
		socklen_t elen = sizeof(r->err);

		pfd.fd = s;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 5000) == 1)
			getsockopt(s, SOL_SOCKET, SO_ERROR, &r->err, &elen);
		else
			r->err = ETIMEDOUT;
	}
	close(s);
}

struct thread_job {
	const struct client_cmd *cmd;
	struct client_resp *resp;
};

static void *connect_thread(void *arg)
{
	struct thread_job *job = arg;

	client_do_connect(job->cmd, job->resp);
	return NULL;
}

/* In this thread, or in a new one so that tid != pid. */
static void client_connect_cmd(const struct client_cmd *c,
			       struct client_resp *r)
{
	struct thread_job job = { c, r };
	pthread_t th;

	if (!c->in_thread) {
		client_do_connect(c, r);
		return;
	}
	memset(r, 0, sizeof(*r));
	if (pthread_create(&th, NULL, connect_thread, &job)) {
		r->sock_err = EAGAIN;
		return;
	}
	pthread_join(th, NULL);
}

static void client_loop(int cmd_fd, int resp_fd)
{
	struct client_cmd cmd;
	struct client_resp r;

	for (;;) {
		if (read(cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd))
			_exit(0);
		client_connect_cmd(&cmd, &r);
		if (write(resp_fd, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
}

/*
 * Keep only our two pipes: inherited copies of the tracer's stdout or a
 * listener would keep them open after the test closed its own.
 */
static void client_close_fds(int *cmd_fd, int *resp_fd)
{
	int c = fcntl(*cmd_fd, F_DUPFD_CLOEXEC, 1000);
	int r = fcntl(*resp_fd, F_DUPFD_CLOEXEC, 1002);

	if (c < 0 || r < 0)
		_exit(1);
	close_range(3, 999, 0);
	close_range((c > r ? c : r) + 1, ~0U, 0);
	*cmd_fd = c;
	*resp_fd = r;
}

static void client_main(const struct nr_client_cfg *cfg, pid_t parent,
			int cmd_fd, int resp_fd)
{
	struct client_resp r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	client_close_fds(&cmd_fd, &resp_fd);
	memset(&r, 0, sizeof(r));
	client_setup(cfg, parent, &r);
	if (write(resp_fd, &r, sizeof(r)) != sizeof(r) || r.setup_err)
		_exit(1);
	client_loop(cmd_fd, resp_fd);
}

/* ---- the parent ---- */

static int read_resp(struct nr_client *cl, struct client_resp *r)
{
	struct pollfd pfd = { .fd = cl->resp_fd, .events = POLLIN };

	if (poll(&pfd, 1, CLIENT_REPLY_MS) != 1)
		return -1;
	return read(cl->resp_fd, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

void nr_client_stop(struct nr_client *cl)
{
	int64_t end = nr_now_ms() + 2000;
	int st;

	if (cl->reaped)
		return;
	close(cl->cmd_fd);	/* EOF: the child exits */
	close(cl->resp_fd);
	while (waitpid(cl->pid, &st, WNOHANG) == 0) {
		if (nr_now_ms() > end) {
			kill(cl->pid, SIGKILL);
			waitpid(cl->pid, &st, 0);
			break;
		}
		nr_sleep_ms(5);
	}
	cl->reaped = true;
}

static void client_cleanup(struct nr_ctx *ctx, void *arg)
{
	nr_client_stop(arg);
	free(arg);
}

struct nr_client *nr_client_start_must(struct nr_ctx *ctx,
				       const struct nr_client_cfg *cfg)
{
	struct nr_client *cl = calloc(1, sizeof(*cl));
	struct client_resp r;
	int cmd[2], resp[2];
	pid_t parent = getpid();

	assert_non_null(cl);
	if (strlen(cfg->comm) > 15)
		fail_msg("client comm '%s' longer than 15 bytes", cfg->comm);
	if (pipe2(cmd, O_CLOEXEC) || pipe2(resp, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	cl->pid = fork();
	if (cl->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (cl->pid == 0)
		client_main(cfg, parent, cmd[0], resp[1]);
	close(cmd[0]);
	close(resp[1]);
	cl->cmd_fd = cmd[1];
	cl->resp_fd = resp[0];
	nr_defer(ctx, client_cleanup, cl);
	if (read_resp(cl, &r))
		fail_msg("client '%s' did not start", cfg->comm);
	if (r.setup_err)
		fail_msg("client '%s': %s: %s", cfg->comm, r.setup_what,
			 strerror(r.setup_err));
	return cl;
}

static socklen_t make_sockaddr(int family, const char *addr, int port,
			       struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		a4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
			fail_msg("bad IPv4 address '%s'", addr);
		return sizeof(*a4);
	}
	a6->sin6_port = htons(port);
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
		fail_msg("bad IPv6 address '%s'", addr);
	return sizeof(*a6);
}

/* Address and port of a sockaddr, as inet_ntop prints it. */
static int sockaddr_str(const struct sockaddr_storage *ss, char *buf,
			size_t n)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &a4->sin_addr, buf, n);
		return ntohs(a4->sin_port);
	}
	inet_ntop(AF_INET6, &a6->sin6_addr, buf, n);
	return ntohs(a6->sin6_port);
}

void nr_client_connect_must(struct nr_client *cl, int family,
			    const char *addr, int port, bool nonblock,
			    struct nr_conn *c)
{
	nr_client_connect_ex_must(cl, family, addr, port,
				  nonblock ? NR_CONNECT_NONBLOCK : 0, c);
}

void nr_client_connect_ex_must(struct nr_client *cl, int family,
			       const char *addr, int port, unsigned int flags,
			       struct nr_conn *c)
{
	struct client_cmd cmd;
	struct client_resp r;

	memset(&cmd, 0, sizeof(cmd));
	memset(c, 0, sizeof(*c));
	cmd.peer_len = make_sockaddr(family, addr, port, &cmd.peer);
	cmd.nonblock = !!(flags & NR_CONNECT_NONBLOCK);
	cmd.in_thread = !!(flags & NR_CONNECT_THREAD);
	if (write(cl->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd) ||
	    read_resp(cl, &r))
		fail_msg("client %d did not answer the connect command",
			 (int)cl->pid);
	if (r.sock_err)
		fail_msg("client socket(): %s", strerror(r.sock_err));
	c->pid = r.pid;
	c->tid = r.tid;
	c->uid = r.uid;
	c->euid = r.euid;
	memcpy(c->comm, r.comm, sizeof(c->comm));
	c->family = family;
	c->local = r.local;
	c->peer = cmd.peer;
	c->lport = sockaddr_str(&r.local, c->saddr, sizeof(c->saddr));
	c->dport = sockaddr_str(&cmd.peer, c->daddr, sizeof(c->daddr));
	c->err = r.err;
	c->saddr_from_route = r.saddr_from_route;
	/* Without a source port there is nothing to match an event on. */
	if (r.local.ss_family != family || !c->lport)
		fail_msg("client %d: no source port after connect to %s:%d (%s)",
			 (int)c->pid, addr, port, strerror(r.err));
}
