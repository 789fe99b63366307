// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Shared pieces of the privileged integration suites (it_tcpconnect,
 * it_tcpaccept): spawning a tracer and reading its output, forked client
 * processes that connect and server processes that accept on command,
 * both reporting ground truth, listeners, and the cgroup/bpffs/map
 * fixtures the filters need.
 *
 * Everything a test creates is registered on its struct nr_ctx, so the
 * teardown undoes it even when an assertion jumped out of the test body.
 * Functions named *_must() fail the running cmocka test themselves;
 * the others return an error for the caller to judge.
 */
#ifndef NR_IT_HARNESS_H
#define NR_IT_HARNESS_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <jansson.h>

#define NR_READY_TIMEOUT_MS	20000	/* loading BPF can take a while */
#define NR_STOP_TIMEOUT_MS	5000	/* SIGINT to exit, then SIGKILL */
#define NR_EVENT_TIMEOUT_MS	5000	/* connect() to its event */
#define NR_GRACE_MS		300	/* > the 100 ms flush interval */

#define NR_EXIT_SKIP		77	/* ctest SKIP_RETURN_CODE */

int64_t nr_now_ms(void);
void nr_sleep_ms(int ms);

/* ---- privileges ---- */

/* CI=true or NETRACE_REQUIRE_PRIV=1: skipping is a failure. */
bool nr_priv_required(void);
/* First call in every privileged test: skip() or fail when not root. */
void nr_require_root(void);

/* ---- per-test context and cleanup ---- */

struct nr_ctx;
typedef void (*nr_cleanup_fn)(struct nr_ctx *ctx, void *arg);

struct nr_cleanup {
	nr_cleanup_fn fn;
	void *arg;
};

#define NR_MAX_CLEANUPS	64

struct nr_ctx {
	struct nr_cleanup cleanups[NR_MAX_CLEANUPS];
	int ncleanups;
	int teardown_errors;	/* set by cleanups that found a fault */
};

/* cmocka setup/teardown for every test: allocate, undo everything. */
int nr_setup(void **state);
int nr_teardown(void **state);
/* Run fn(ctx, arg) at teardown, in reverse order of registration. */
void nr_defer(struct nr_ctx *ctx, nr_cleanup_fn fn, void *arg);

/* ---- tracer process ---- */

enum nr_fd { NR_OUT, NR_ERR };

/* Lines read from one of the tracer's pipes; all kept for later scans. */
struct nr_stream {
	int fd;			/* -1 once closed by us */
	bool eof;
	char *part;		/* bytes after the last newline */
	size_t plen, pcap;
	char **lines;		/* every complete line, without '\n' */
	size_t nlines, cap;
	size_t next;		/* first line not yet handed out */
};

/* What keys a JSON object on stdout must have (exactly these, no more). */
struct nr_jkey {
	const char *name;
	int type;	/* JSON_STRING, JSON_INTEGER, JSON_REAL (any number) */
};

struct nr_tracer_cfg {
	const char *exe;	/* NULL: $NETRACE */
	const char *argv0;	/* NULL: exe */
	const char *applet;	/* inserted as argv[1]; NULL for applet links */
	const char *const *args;	/* NULL-terminated options */
	int ready_fd;		/* NR_OUT, NR_ERR, or -1: do not wait */
	const char *banner;	/* the exact line that says "attached" */
	bool banner_substr;	/* any line containing banner will do (e.g.
				 * a -v line, for tools without a banner) */
	bool no_env_opts;	/* do not add $NETRACE_ATTACH/$NETRACE_BUFFER */
	const struct nr_jkey *schema;	/* checked on every JSON line */
	/* optional extra check of every JSON object; false + why to fail */
	bool (*check)(json_t *obj, char *why, size_t n);
};

struct nr_tracer {
	pid_t pid;
	struct nr_tracer_cfg cfg;
	struct nr_stream out, err;
	bool reaped;
	int status;		/* wait status once reaped */
	bool stopped_by_test;	/* teardown need not check the exit */
	char cmdline[1024];	/* for messages */
	char *errbuf;		/* nr_tracer_stderr() */
};

/* Spawn, then wait for the banner; fails the test on any error. */
struct nr_tracer *nr_tracer_start_must(struct nr_ctx *ctx,
				       const struct nr_tracer_cfg *cfg);
/*
 * Next line of stdout or stderr: 1 and *line (owned by t), 0 on timeout,
 * -1 at end of file.  Both pipes are drained meanwhile, so a chatty
 * stderr can never block the tracer.
 */
int nr_tracer_line(struct nr_tracer *t, enum nr_fd which, int timeout_ms,
		   const char **line);
/*
 * Next stdout line as a JSON object, parsed strictly (duplicate keys are
 * an error) and checked against cfg.schema: fails the test on anything
 * else.  NULL on timeout or EOF (*rc 0 / -1).  Caller json_decref()s.
 */
json_t *nr_tracer_json_must(struct nr_tracer *t, int timeout_ms, int *rc);
/* Send sig (0: none), wait up to timeout_ms, SIGKILL after: the wait
 * status, or -1 if it had to be killed.  Drains both pipes to EOF. */
int nr_tracer_stop(struct nr_tracer *t, int sig, int timeout_ms);
/* nr_tracer_stop(SIGINT) and assert exit status 0. */
void nr_tracer_stop_must(struct nr_tracer *t);
/* Close our read end of its stdout (what `| head -1` does). */
void nr_tracer_close_stdout(struct nr_tracer *t);
/* All stderr so far, one string (owned by t). */
const char *nr_tracer_stderr(struct nr_tracer *t);
/* Does any stderr line so far contain needle (case-insensitive)? */
bool nr_tracer_stderr_has(struct nr_tracer *t, const char *needle);
/* "exited 0", "killed by SIGKILL", ... */
const char *nr_status_str(int status, char *buf, size_t n);

/* $NETRACE, or fails the test. */
const char *nr_netrace_path(void);

/* ---- client processes ---- */

struct nr_client_cfg {
	const char *comm;	/* prctl(PR_SET_NAME), at most 15 bytes */
	uid_t uid;		/* 0: stay root; else setgid+setuid to it */
	bool keep_euid;		/* with uid: change the real uid only */
	const char *cgroup;	/* join this cgroup v2 dir, or NULL */
	bool new_mntns;		/* unshare(CLONE_NEWNS) */
};

struct nr_client {
	pid_t pid;
	int cmd_fd, resp_fd;
	bool reaped;
};

/* Ground truth of one connect() as the client saw it. */
struct nr_conn {
	pid_t pid;		/* getpid() */
	pid_t tid;		/* gettid() of the connecting thread */
	uid_t uid;		/* getuid() */
	uid_t euid;		/* geteuid() */
	char comm[17];		/* /proc/thread-self/comm, without '\n' */
	int family;		/* of the socket */
	struct sockaddr_storage local;	/* getsockname() after connect */
	struct sockaddr_storage peer;	/* the address it connected to */
	char saddr[INET6_ADDRSTRLEN];	/* inet_ntop(family, local) */
	char daddr[INET6_ADDRSTRLEN];	/* inet_ntop(family, peer) */
	int lport, dport;
	int err;		/* 0, or errno of the failed connect */
	bool saddr_from_route;	/* failed connect: saddr from a route lookup */
};

/* Fork a client, set it up as cfg says; fails the test on setup errors. */
struct nr_client *nr_client_start_must(struct nr_ctx *ctx,
				       const struct nr_client_cfg *cfg);
/*
 * Connect to addr:port (family AF_INET or AF_INET6), blocking or not,
 * then close.  The result, refused or not, is in *c; fails the test if
 * the client did not answer or could not even create the socket.
 */
void nr_client_connect_must(struct nr_client *cl, int family,
			    const char *addr, int port, bool nonblock,
			    struct nr_conn *c);

#define NR_CONNECT_NONBLOCK	0x1	/* O_NONBLOCK, then poll for the end */
#define NR_CONNECT_THREAD	0x2	/* from a second thread (tid != pid) */
void nr_client_connect_ex_must(struct nr_client *cl, int family,
			       const char *addr, int port, unsigned int flags,
			       struct nr_conn *c);
void nr_client_stop(struct nr_client *cl);

/*
 * Bulk: n connects to addr:port, each closed only once the peer closed
 * it (or after 5 s), with SO_LINGER {1, 0}: neither side keeps a
 * TIME_WAIT, so tens of thousands of connects do not run out of ports.
 * Start, let the server accept, then wait for the client's tally.
 */
struct nr_bulk {
	int ok;			/* connects that succeeded */
	int failed;		/* connects that failed */
	int first_err;		/* errno of the first failure */
	int unconfirmed;	/* closed without seeing the peer close */
};

void nr_client_bulk_start_must(struct nr_client *cl, int family,
			       const char *addr, int port, int n);
void nr_client_bulk_wait_must(struct nr_client *cl, int timeout_ms,
			      struct nr_bulk *b);

/* ---- server processes (the accepting side) ---- */

struct nr_server_cfg {
	const char *comm;	/* prctl(PR_SET_NAME), at most 15 bytes */
	uid_t uid;		/* 0: root; else setgid+setuid after bind */
	const char *cgroup;	/* join this cgroup v2 dir, or NULL */
	bool new_mntns;		/* unshare(CLONE_NEWNS) */
	int family;		/* AF_INET or AF_INET6 */
	/* NULL: 127.0.0.1 / ::1 (IPV6_V6ONLY); "::": dual stack (V6ONLY 0) */
	const char *addr;
	int max_accepts;	/* ground-truth records kept; 0: 256 */
	int cpu;		/* with pin_cpu: sched_setaffinity to it */
	bool pin_cpu;
};

struct nr_server {
	pid_t pid;
	int cmd_fd, resp_fd;
	bool reaped;
	bool busy;		/* an accept command is running */
	int family;
	int port;		/* the listener's port */
	const char *connect_addr;	/* where clients connect to */
	void *shm;		/* records, shared with the child */
	size_t shm_len;
	int cap;
};

/* Ground truth of one accept, as the accepting thread saw it. */
struct nr_accept {
	pid_t pid;		/* getpid() */
	pid_t tid;		/* gettid() of the accepting thread */
	uid_t uid;		/* getuid() */
	char comm[17];		/* /proc/thread-self/comm of that thread */
	int family;		/* of the accepted socket */
	char laddr[INET6_ADDRSTRLEN];	/* getsockname() of the new fd */
	char raddr[INET6_ADDRSTRLEN];	/* getpeername() of the new fd */
	int lport, rport;
	int err;		/* getsockname/getpeername errno, or 0 */
};

#define NR_ACCEPT4		0x1	/* accept4(NONBLOCK|CLOEXEC) */
#define NR_ACCEPT_NONBLOCK	0x2	/* O_NONBLOCK listener: EAGAIN first,
					 * then poll and accept again */
#define NR_ACCEPT_RST		0x4	/* close with SO_LINGER {1, 0} */

struct nr_accept_result {
	int count;		/* accepts made (and recorded) */
	int err;		/* errno of the first failed accept, or 0 */
	int eagain;		/* EAGAINs (non-blocking mode) */
	bool eagain_first;	/* the first accept, before any connect, got
				 * EAGAIN (non-blocking mode) */
};

/* Fork a listening server; fails the test on setup errors. */
struct nr_server *nr_server_start_must(struct nr_ctx *ctx,
				       const struct nr_server_cfg *cfg);
/*
 * Make it accept n connections with nthreads threads (each n/nthreads,
 * so every thread takes part): returns once the server is ready, i.e.
 * (non-blocking) after its first accept got EAGAIN.  Connect after this.
 */
void nr_server_accept_begin_must(struct nr_server *s, int n, int nthreads,
				 unsigned int flags);
/* Wait up to timeout_ms for the accepts to be done. */
void nr_server_accept_end_must(struct nr_server *s, int timeout_ms,
			       struct nr_accept_result *r);
/* Record i (0 <= i < count) of the last accept command. */
void nr_server_accepted(const struct nr_server *s, int i,
			struct nr_accept *a);
void nr_server_stop(struct nr_server *s);

/* ---- listeners and ports ---- */

struct nr_listener {
	int fd;
	int family;
	int port;
	const char *addr;	/* "127.0.0.1" or "::1" */
	int stop_pipe[2];
	pthread_t thread;
	unsigned long accepted;
};

/* Listen on 127.0.0.1 or ::1, port 0; a thread accepts and closes. */
struct nr_listener *nr_listener_start_must(struct nr_ctx *ctx, int family);
/* A port on 127.0.0.1/::1 that nothing listens on (bound, then closed). */
int nr_closed_port_must(int family);
const char *nr_loopback(int family);

/* ---- cgroups, bpffs, pinned maps, temp dirs ---- */

/* Mount point of cgroup v2 from /proc/self/mountinfo; -1 if none. */
int nr_cgroup2_mount(char *buf, size_t n);
/* Create a fresh child cgroup (removed at teardown); path in buf. */
void nr_cgroup_create_must(struct nr_ctx *ctx, char *buf, size_t n);
/* A private temp dir (removed at teardown, contents first). */
void nr_tmpdir_must(struct nr_ctx *ctx, char *buf, size_t n);
/* Mount a bpffs on a new temp dir (unmounted at teardown). */
void nr_bpffs_must(struct nr_ctx *ctx, char *buf, size_t n);
/* BPF hash map with one entry, pinned at path (unpinned at teardown). */
void nr_pin_hash_map_must(struct nr_ctx *ctx, const char *path,
			  unsigned int key_size, const void *key,
			  unsigned int value_size, const void *value);
/* st_ino of path, following links; fails the test if stat fails. */
uint64_t nr_inode_must(const char *path);

#endif
