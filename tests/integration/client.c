// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Client and server processes: forked children that take a distinctive
 * comm, maybe another uid, cgroup or mount namespace, and connect() or
 * accept() on command.  They report what they see themselves (getpid,
 * /proc/thread-self/comm, getuid, getsockname, getpeername): that is the
 * ground truth the tracer's events must match.
 *
 * The child is forked from a threaded process (listener threads), so it
 * sticks to plain system calls: no stdio, no malloc.  The exceptions,
 * pthread_create() for a connect from a second thread and for a server's
 * accepting threads, rely on glibc keeping malloc usable in a forked
 * child (it locks the arenas at fork).
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "harness.h"

#define CLIENT_REPLY_MS	10000	/* a non-blocking connect waits up to 5 s */
#define BULK_WINDOW	64	/* bulk: connections open at once */
#define BULK_PEER_MS	5000	/* bulk: wait this long for the peer's close */

struct client_cmd {
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int nonblock;
	int in_thread;		/* connect from a second thread */
	int bulk_n;		/* > 0: that many connects, see client_bulk() */
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
	int64_t begin_ns, end_ns;	/* see struct nr_conn */
	int bulk_ok, bulk_failed, bulk_unconfirmed;
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

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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
	r->begin_ns = mono_ns();
	r->err = connect(s, (const struct sockaddr *)&c->peer, c->peer_len) ?
		 errno : 0;
	r->end_ns = mono_ns();
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
		r->end_ns = mono_ns();
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

/* Close s once the peer has closed (FIN or RST), or after BULK_PEER_MS. */
static void bulk_retire(int s, struct client_resp *r)
{
	struct pollfd pfd = { .fd = s, .events = POLLRDHUP };

	if (poll(&pfd, 1, BULK_PEER_MS) != 1)
		r->bulk_unconfirmed++;
	close(s);
}

/*
 * Many connects, fast, without TIME_WAIT: each socket has SO_LINGER
 * {1, 0} and is closed only after the server closed it, so a reset can
 * never hit a connection still waiting to be accepted (the kernel would
 * unhash it: accept() would return it without its local port).
 */
static void client_bulk(const struct client_cmd *c, struct client_resp *r)
{
	struct linger lz = { .l_onoff = 1, .l_linger = 0 };
	int win[BULK_WINDOW];
	int head = 0, nopen = 0;

	memset(r, 0, sizeof(*r));
	fill_self(r);
	for (int i = 0; i < c->bulk_n; i++) {
		int s;

		if (nopen == BULK_WINDOW) {
			bulk_retire(win[head], r);
			head = (head + 1) % BULK_WINDOW;
			nopen--;
		}
		s = socket(c->peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0) {
			r->sock_err = errno;
			break;
		}
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lz, sizeof(lz));
		if (connect(s, (const struct sockaddr *)&c->peer,
			    c->peer_len)) {
			/*
			 * A reset during connect(): the handshake completed
			 * and the server accepted and reset before this
			 * thread ran again.  The connection was made.
			 */
			if (errno == ECONNRESET) {
				r->bulk_ok++;
				close(s);
				continue;
			}
			if (!r->err)
				r->err = errno;
			r->bulk_failed++;
			close(s);
			continue;
		}
		r->bulk_ok++;
		win[(head + nopen++) % BULK_WINDOW] = s;
	}
	while (nopen) {
		bulk_retire(win[head], r);
		head = (head + 1) % BULK_WINDOW;
		nopen--;
	}
}

static void client_loop(int cmd_fd, int resp_fd)
{
	struct client_cmd cmd;
	struct client_resp r;

	for (;;) {
		if (read(cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd))
			_exit(0);
		if (cmd.bulk_n > 0)
			client_bulk(&cmd, &r);
		else
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

/* One whole reply of n bytes from fd within timeout_ms: 0, or -1. */
static int read_reply(int fd, void *r, size_t n, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t end = nr_now_ms() + timeout_ms;
	size_t got = 0;

	while (got < n) {
		int64_t left = end - nr_now_ms();
		ssize_t k;

		if (left < 0 || poll(&pfd, 1, (int)left) != 1)
			return -1;
		k = read(fd, (char *)r + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += k;
	}
	return 0;
}

static int read_resp(struct nr_client *cl, struct client_resp *r)
{
	return read_reply(cl->resp_fd, r, sizeof(*r), CLIENT_REPLY_MS);
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

struct nr_client *nr_client_must(struct nr_ctx *ctx, const char *comm,
				 uid_t uid)
{
	struct nr_client_cfg cfg = { .comm = comm, .uid = uid };

	return nr_client_start_must(ctx, &cfg);
}

static socklen_t make_sockaddr(int family, const char *addr, int port,
			       struct sockaddr_storage *ss)
{
	socklen_t len = nr_sockaddr(family, addr, port, ss);

	if (!len)
		fail_msg("bad IPv%d address '%s'", family == AF_INET ? 4 : 6,
			 addr);
	return len;
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

void nr_client_connect_ok_must(struct nr_client *cl, int family,
			       const char *addr, int port, struct nr_conn *c)
{
	nr_client_connect_must(cl, family, addr, port, false, c);
	if (c->err)
		fail_msg("client connect to %s:%d failed: %s", addr, port,
			 strerror(c->err));
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
	c->begin_ns = r.begin_ns;
	c->end_ns = r.end_ns;
	c->saddr_from_route = r.saddr_from_route;
	/* Without a source port there is nothing to match an event on. */
	if (r.local.ss_family != family || !c->lport)
		fail_msg("client %d: no source port after connect to %s:%d (%s)",
			 (int)c->pid, addr, port, strerror(r.err));
}

void nr_client_bulk_start_must(struct nr_client *cl, int family,
			       const char *addr, int port, int n)
{
	struct client_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.peer_len = make_sockaddr(family, addr, port, &cmd.peer);
	cmd.bulk_n = n;
	if (n <= 0 || write(cl->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd))
		fail_msg("client %d: cannot send the bulk command",
			 (int)cl->pid);
}

void nr_client_bulk_wait_must(struct nr_client *cl, int timeout_ms,
			      struct nr_bulk *b)
{
	struct client_resp r;

	if (read_reply(cl->resp_fd, &r, sizeof(r), timeout_ms))
		fail_msg("client %d: no bulk result within %d ms",
			 (int)cl->pid, timeout_ms);
	if (r.sock_err)
		fail_msg("client socket(): %s", strerror(r.sock_err));
	b->ok = r.bulk_ok;
	b->failed = r.bulk_failed;
	b->first_err = r.err;
	b->unconfirmed = r.bulk_unconfirmed;
}

/* ---- servers: the child ---- */

#define SERVER_ACCEPT_TIMEOUT	30	/* s: SO_RCVTIMEO bounds accept() */

struct server_cmd {
	int n;			/* accepts to make */
	int nthreads;		/* 1: the main thread */
	unsigned int flags;	/* NR_ACCEPT_* */
};

struct server_resp {
	int setup_err;		/* errno of the failed setup step, or 0 */
	char setup_what[32];
	int port;		/* of the listener */
	int phase;		/* 1: ready to accept, 2: done */
	int count, err, eagain, eagain_first;
};

/* One accept as its thread saw it; sockaddr_in6 also holds an IPv4 one. */
struct server_rec {
	pid_t pid, tid;
	uid_t uid;
	char comm[17];
	int err;
	struct sockaddr_in6 local, peer;
};

/* The shared mapping: counters, then cap records. */
struct server_shm {
	int next;		/* records handed out */
	int count;		/* accepts completed */
	int err;		/* first accept errno */
	int eagain;
	struct server_rec recs[];
};

struct server_job {
	int lfd;
	int n;			/* this thread's accepts */
	unsigned int flags;
	struct server_shm *shm;
	int cap;
};

static int server_accept_fd(const struct server_job *j)
{
	struct pollfd pfd = { .fd = j->lfd, .events = POLLIN };

	for (;;) {
		int fd = j->flags & NR_ACCEPT4 ?
			 accept4(j->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC) :
			 accept(j->lfd, NULL, NULL);

		if (fd >= 0)
			return fd;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || !(j->flags & NR_ACCEPT_NONBLOCK))
			/* EAGAIN when blocking: SO_RCVTIMEO expired */
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		__atomic_add_fetch(&j->shm->eagain, 1, __ATOMIC_RELAXED);
		if (poll(&pfd, 1, SERVER_ACCEPT_TIMEOUT * 1000) == 0)
			return -ETIMEDOUT;
	}
}

/* Accept once (or take fd already accepted), record it, close it. */
static int server_take(const struct server_job *j, int fd, const char *comm,
		       uid_t uid)
{
	struct linger lz = { .l_onoff = 1, .l_linger = 0 };
	struct server_rec *rec = NULL;
	socklen_t len;
	int idx;

	if (fd < 0)
		fd = server_accept_fd(j);
	if (fd < 0) {
		int e = 0;

		__atomic_compare_exchange_n(&j->shm->err, &e, -fd, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		return -1;
	}
	idx = __atomic_fetch_add(&j->shm->next, 1, __ATOMIC_RELAXED);
	if (idx < j->cap)
		rec = &j->shm->recs[idx];
	if (rec) {
		rec->pid = getpid();
		rec->tid = gettid();
		rec->uid = uid;
		memcpy(rec->comm, comm, sizeof(rec->comm));
		len = sizeof(rec->local);
		if (getsockname(fd, (struct sockaddr *)&rec->local, &len))
			rec->err = errno;
		len = sizeof(rec->peer);
		if (getpeername(fd, (struct sockaddr *)&rec->peer, &len))
			rec->err = errno;
	}
	if (j->flags & NR_ACCEPT_RST)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lz, sizeof(lz));
	close(fd);
	__atomic_add_fetch(&j->shm->count, 1, __ATOMIC_RELEASE);
	return 0;
}

static void *server_worker(void *arg)
{
	const struct server_job *j = arg;
	uid_t uid = getuid();
	char comm[17];

	read_comm(comm);
	for (int i = 0; i < j->n; i++)
		if (server_take(j, -1, comm, uid))
			break;
	return NULL;
}

/* The first accept, before any connect: in non-blocking mode, EAGAIN. */
static int server_probe(const struct server_job *j, struct server_resp *r)
{
	int fd = j->flags & NR_ACCEPT4 ?
		 accept4(j->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC) :
		 accept(j->lfd, NULL, NULL);

	if (fd < 0 && errno == EAGAIN) {
		r->eagain_first = 1;
		__atomic_add_fetch(&j->shm->eagain, 1, __ATOMIC_RELAXED);
	}
	/* A leftover connection: it still counts as one of the n. */
	return fd;
}

static void server_run(int lfd, const struct server_cmd *c,
		       struct server_shm *shm, int cap, int resp_fd)
{
	struct server_job jobs[16];
	pthread_t th[16];
	int nthreads = c->nthreads < 1 ? 1 : c->nthreads > 16 ? 16 :
		       c->nthreads;
	struct server_resp r;
	int first = -1;
	char comm[17];

	memset(&r, 0, sizeof(r));
	shm->next = shm->count = shm->err = shm->eagain = 0;
	if (c->flags & NR_ACCEPT_NONBLOCK)
		fcntl(lfd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < nthreads; i++) {
		jobs[i].lfd = lfd;
		jobs[i].n = c->n / nthreads + (i < c->n % nthreads);
		jobs[i].flags = c->flags;
		jobs[i].shm = shm;
		jobs[i].cap = cap;
	}
	if (c->flags & NR_ACCEPT_NONBLOCK)
		first = server_probe(&jobs[0], &r);
	r.phase = 1;
	if (write(resp_fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	if (first >= 0) {
		read_comm(comm);
		server_take(&jobs[0], first, comm, getuid());
		jobs[0].n--;
	}
	if (nthreads == 1) {
		server_worker(&jobs[0]);
	} else {
		int started = 0;

		for (; started < nthreads; started++)
			if (pthread_create(&th[started], NULL, server_worker,
					   &jobs[started]))
				break;
		if (started < nthreads)
			shm->err = EAGAIN;
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
	}
	fcntl(lfd, F_SETFL, 0);
	r.phase = 2;
	r.count = __atomic_load_n(&shm->count, __ATOMIC_ACQUIRE);
	r.err = shm->err;
	r.eagain = shm->eagain;
	if (write(resp_fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
}

/* The listening socket: bound (and listening) while still root. */
static int server_listen(const struct nr_server_cfg *cfg, int *port)
{
	struct timeval tmo = { .tv_sec = SERVER_ACCEPT_TIMEOUT };
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = cfg->family == AF_INET ? sizeof(*a4) : sizeof(*a6);
	int v6only = !(cfg->addr && !strcmp(cfg->addr, "::"));
	int fd, one = 1;
	const char *addr = cfg->addr ? cfg->addr : nr_loopback(cfg->family);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = cfg->family;
	if (inet_pton(cfg->family, addr, cfg->family == AF_INET ?
		      (void *)&a4->sin_addr : (void *)&a6->sin6_addr) != 1)
		return -EINVAL;
	fd = socket(cfg->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cfg->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
		return -errno;
	/* A blocking accept() gives up after this: no server hangs forever. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	*port = ntohs(cfg->family == AF_INET ? a4->sin_port : a6->sin6_port);
	return fd;
}

static int server_setup(const struct nr_server_cfg *cfg, pid_t parent,
			struct server_resp *r)
{
	cpu_set_t set;
	int e = 0, lfd = -1;

	CPU_ZERO(&set);
	CPU_SET(cfg->cpu, &set);
	if (cfg->cgroup && (e = join_cgroup(cfg->cgroup))) {
		strcpy(r->setup_what, "join cgroup");
	} else if (cfg->new_mntns && unshare(CLONE_NEWNS)) {
		e = errno;
		strcpy(r->setup_what, "unshare(CLONE_NEWNS)");
	} else if (cfg->pin_cpu && sched_setaffinity(0, sizeof(set), &set)) {
		e = errno;
		strcpy(r->setup_what, "sched_setaffinity");
	} else if ((lfd = server_listen(cfg, &r->port)) < 0) {
		e = -lfd;
		strcpy(r->setup_what, "listen");
	} else if (cfg->uid && (e = drop_privs(cfg->uid, false))) {
		strcpy(r->setup_what, "setuid");
	} else if (prctl(PR_SET_NAME, cfg->comm, 0, 0, 0)) {
		e = errno;
		strcpy(r->setup_what, "prctl(PR_SET_NAME)");
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	r->setup_err = e;
	return lfd;
}

static void server_main(const struct nr_server_cfg *cfg, pid_t parent,
			int cmd_fd, int resp_fd, struct server_shm *shm,
			int cap)
{
	struct server_resp r;
	struct server_cmd c;
	int lfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	client_close_fds(&cmd_fd, &resp_fd);
	memset(&r, 0, sizeof(r));
	lfd = server_setup(cfg, parent, &r);
	if (write(resp_fd, &r, sizeof(r)) != sizeof(r) || r.setup_err)
		_exit(1);
	for (;;) {
		if (read(cmd_fd, &c, sizeof(c)) != sizeof(c))
			_exit(0);
		server_run(lfd, &c, shm, cap, resp_fd);
	}
}

/* ---- servers: the parent ---- */

void nr_server_stop(struct nr_server *s)
{
	int64_t end = nr_now_ms() + 2000;
	int st;

	if (s->reaped)
		return;
	/* Blocked in accept(): it would not see the EOF for a while. */
	if (s->busy)
		kill(s->pid, SIGKILL);
	close(s->cmd_fd);
	close(s->resp_fd);
	while (waitpid(s->pid, &st, WNOHANG) == 0) {
		if (nr_now_ms() > end) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &st, 0);
			break;
		}
		nr_sleep_ms(5);
	}
	s->reaped = true;
}

static void server_cleanup(struct nr_ctx *ctx, void *arg)
{
	struct nr_server *s = arg;

	nr_server_stop(s);
	if (s->shm)
		munmap(s->shm, s->shm_len);
	free(s);
}

struct nr_server *nr_server_start_must(struct nr_ctx *ctx,
				       const struct nr_server_cfg *cfg)
{
	struct nr_server *s = calloc(1, sizeof(*s));
	struct server_resp r;
	int cmd[2], resp[2];
	pid_t parent = getpid();

	assert_non_null(s);
	if (strlen(cfg->comm) > 15)
		fail_msg("server comm '%s' longer than 15 bytes", cfg->comm);
	if (cfg->family != AF_INET && cfg->family != AF_INET6)
		fail_msg("server family must be AF_INET or AF_INET6");
	s->cap = cfg->max_accepts > 0 ? cfg->max_accepts : 256;
	s->shm_len = sizeof(struct server_shm) +
		     (size_t)s->cap * sizeof(struct server_rec);
	s->shm = mmap(NULL, s->shm_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->shm == MAP_FAILED) {
		s->shm = NULL;
		free(s);
		fail_msg("mmap %zu bytes: %s", s->shm_len, strerror(errno));
	}
	s->family = cfg->family;
	/* A dual-stack listener is reached over IPv4 loopback by default. */
	s->connect_addr = cfg->addr && !strcmp(cfg->addr, "::") ?
			  "127.0.0.1" : nr_loopback(cfg->family);
	if (pipe2(cmd, O_CLOEXEC) || pipe2(resp, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	s->pid = fork();
	if (s->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (s->pid == 0)
		server_main(cfg, parent, cmd[0], resp[1], s->shm, s->cap);
	close(cmd[0]);
	close(resp[1]);
	s->cmd_fd = cmd[1];
	s->resp_fd = resp[0];
	nr_defer(ctx, server_cleanup, s);
	if (read_reply(s->resp_fd, &r, sizeof(r), CLIENT_REPLY_MS))
		fail_msg("server '%s' did not start", cfg->comm);
	if (r.setup_err)
		fail_msg("server '%s': %s: %s", cfg->comm, r.setup_what,
			 strerror(r.setup_err));
	s->port = r.port;
	return s;
}

void nr_server_accept_begin_must(struct nr_server *s, int n, int nthreads,
				 unsigned int flags)
{
	struct server_cmd c = { .n = n, .nthreads = nthreads, .flags = flags };
	struct server_resp r;

	if (s->busy)
		fail_msg("server %d: an accept command is still running",
			 (int)s->pid);
	if (n > s->cap)
		fail_msg("server %d: %d accepts, but room for %d records",
			 (int)s->pid, n, s->cap);
	if (write(s->cmd_fd, &c, sizeof(c)) != sizeof(c))
		fail_msg("server %d: cannot send the accept command",
			 (int)s->pid);
	s->busy = true;
	if (read_reply(s->resp_fd, &r, sizeof(r), CLIENT_REPLY_MS) ||
	    r.phase != 1)
		fail_msg("server %d: not ready to accept", (int)s->pid);
	if ((flags & NR_ACCEPT_NONBLOCK) && !r.eagain_first)
		fail_msg("server %d: the first non-blocking accept did not get "
			 "EAGAIN (a connection was already waiting)",
			 (int)s->pid);
}

void nr_server_accept_end_must(struct nr_server *s, int timeout_ms,
			       struct nr_accept_result *res)
{
	struct server_resp r;

	if (read_reply(s->resp_fd, &r, sizeof(r), timeout_ms) || r.phase != 2)
		fail_msg("server %d: accepts not done within %d ms (%d made)",
			 (int)s->pid, timeout_ms,
			 __atomic_load_n(&((struct server_shm *)s->shm)->count,
					 __ATOMIC_ACQUIRE));
	s->busy = false;
	res->count = r.count;
	res->err = r.err;
	res->eagain = r.eagain;
	res->eagain_first = r.eagain_first;
}

static void rec_addr(const struct sockaddr_in6 *sa, char *buf, size_t n,
		     int *port)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)sa;

	buf[0] = 0;
	*port = ntohs(sa->sin6_port);	/* same offset in both */
	if (sa->sin6_family == AF_INET)
		inet_ntop(AF_INET, &a4->sin_addr, buf, n);
	else if (sa->sin6_family == AF_INET6)
		inet_ntop(AF_INET6, &sa->sin6_addr, buf, n);
}

void nr_server_accepted(const struct nr_server *s, int i, struct nr_accept *a)
{
	const struct server_shm *shm = s->shm;
	const struct server_rec *rec;

	if (i < 0 || i >= s->cap || i >= shm->count)
		fail_msg("server %d: no accept record %d", (int)s->pid, i);
	rec = &shm->recs[i];
	memset(a, 0, sizeof(*a));
	a->pid = rec->pid;
	a->tid = rec->tid;
	a->uid = rec->uid;
	memcpy(a->comm, rec->comm, sizeof(a->comm));
	a->family = rec->local.sin6_family;
	a->err = rec->err;
	rec_addr(&rec->local, a->laddr, sizeof(a->laddr), &a->lport);
	rec_addr(&rec->peer, a->raddr, sizeof(a->raddr), &a->rport);
}
