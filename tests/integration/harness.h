// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Shared pieces of the privileged integration suites (it_tcpconnect,
 * it_tcpaccept, it_dns, it_xdpfeatures, it_lifecycle): spawning a tracer
 * and reading its output, waiting for one JSON event (with the filters'
 * drop check) or one text row, BCC's text rows, forked client processes
 * that connect and server processes that accept on command, both
 * reporting ground truth, listeners, the cgroup/bpffs/map fixtures the
 * filters need, and the kernel objects a process holds and whether any
 * outlived it.
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

#define NR_NOBODY		65534	/* uid (and gid) of nobody */

/* A NULL-terminated argument list: NR_ARGS("-j", "-p", pid). */
#define NR_ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })

int64_t nr_now_ms(void);
void nr_sleep_ms(int ms);

/* ---- privileges ---- */

/* CI=true or NETRACE_REQUIRE_PRIV=1: skipping is a failure. */
bool nr_priv_required(void);
/* First call in every privileged test: skip() or fail when not root. */
void nr_require_root(void);

/*
 * The top of every suite's main(): *skip_all when not root (each test
 * skips; main returns NR_EXIT_SKIP) unless nr_priv_required(), cmocka's
 * filter from $NR_IT_FILTER; false (exit 1) when $NETRACE is not an
 * executable.  prog names the suite in messages.
 */
bool nr_suite_begin(const char *prog, bool *skip_all);

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
/* nr_require_root(), then the test's context. */
struct nr_ctx *nr_test_begin(void **state);

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
	bool no_wait;		/* spawn only: nr_tracer_wait_ready_must()
				 * later (start many, then wait for all) */
	bool no_core;		/* RLIMIT_CORE 0: a crash writes no core */
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
/* Wait for the banner of a tracer started with cfg.no_wait. */
void nr_tracer_wait_ready_must(struct nr_tracer *t);
/* Is a one of args (NULL-terminated, or NULL)? */
bool nr_has_arg(const char *const *args, const char *a);
/*
 * `netrace APPLET ARGS`: with -j/--json the banner comes on stderr
 * (stdout is JSON only), else it is the first stdout line.  The rest of
 * cfg zero, for the caller to fill in.
 */
void nr_applet_cfg(struct nr_tracer_cfg *cfg, const char *applet,
		   const char *const *args, const char *banner);
/* cfg_fn(&cfg, args), then nr_tracer_start_must(). */
typedef void (*nr_cfg_fn)(struct nr_tracer_cfg *cfg, const char *const *args);
struct nr_tracer *nr_applet_start_must(struct nr_ctx *ctx, nr_cfg_fn cfg_fn,
				       const char *const *args);
/*
 * Run cfg (no banner awaited, no $NETRACE_ATTACH/$NETRACE_BUFFER) to a
 * usage error: exit 2, exactly one stderr line, nothing on stdout.  The
 * tracer, for the caller to check that line.
 */
struct nr_tracer *nr_usage_error_must(struct nr_ctx *ctx,
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
/* Has it ended by itself?  Reaps it (status in t->status) if so;
 * reads both pipes meanwhile. */
bool nr_tracer_exited(struct nr_tracer *t);
/* nr_tracer_stop(SIGINT) and assert exit status 0. */
void nr_tracer_stop_must(struct nr_tracer *t);
/* The same with another signal (SIGTERM). */
void nr_tracer_stop_sig_must(struct nr_tracer *t, int sig);
/* Close our read end of its stdout (what `| head -1` does). */
void nr_tracer_close_stdout(struct nr_tracer *t);
/* All stderr so far, one string (owned by t). */
const char *nr_tracer_stderr(struct nr_tracer *t);
/* Does any stderr line so far contain needle (case-insensitive)? */
bool nr_tracer_stderr_has(struct nr_tracer *t, const char *needle);
/* "exited 0", "killed by SIGKILL", ... */
const char *nr_status_str(int status, char *buf, size_t n);

/* Where a process that should have exited is: its stat, wait channel, kernel stack. */
const char *nr_task_where(pid_t pid, char *buf, size_t n);

/* $NETRACE, or fails the test. */
const char *nr_netrace_path(void);

/* ---- JSON events ---- */

/* Integer (0 if not one) and string (NULL) keys of an object. */
long long nr_jint(json_t *o, const char *k);
const char *nr_jstr(json_t *o, const char *k);
/* Is s inet_ntop's own spelling of an address of IP version ip? */
bool nr_addr_canonical(long long ip, const char *s);
bool nr_port_ok(long long p);
/*
 * What every connection event says, ours or not: "ip" 4 or 6, addresses
 * a1 and a2 as inet_ntop spells them for it, ports p1 and p2 in range,
 * "pid" > 0, "uid" >= 0.  false and why otherwise.
 */
bool nr_conn_event_sane(json_t *o, const char *a1, const char *a2,
			const char *p1, const char *p2, char *why, size_t n);
/* o on one line, its keys in order ("?" if it cannot be), into buf. */
const char *nr_json_raw(json_t *o, char *buf, size_t n);

/* Events that a filter must drop: any with one of these pids fails. */
struct nr_drops {
	const pid_t *pids;
	int n;
};

#define NR_WANT_KEYS	3

/* The one event nr_event_wait_must() waits for. */
struct nr_event_want {
	const char *key[NR_WANT_KEYS];	/* integer keys it has, NULL ends */
	long long val[NR_WANT_KEYS];	/* ... with these values */
	int nnear;		/* failing, list the events that match one of
				 * the first nnear keys (0: none) */
	const char *what;	/* "pid 12 lport 3456 (...)": for messages */
	const struct nr_drops *drops;	/* or NULL */
	int grace_ms;		/* once found, read on this long: a dropped
				 * event must not come late either (0: return
				 * at once) */
	bool once;		/* a second match meanwhile is a failure */
};

/*
 * Read JSON events until w's, up to NR_EVENT_TIMEOUT_MS; fail on timeout,
 * EOF or a dropped pid's event (before it or within grace_ms after it:
 * per-CPU buffers need not deliver in order).  Caller json_decref()s.
 */
json_t *nr_event_wait_must(struct nr_tracer *t, const struct nr_event_want *w);

/*
 * Hand every JSON event to fn until *have (fn's own count) reaches want,
 * timeout_ms passed or no line came for quiet_ms (0: no such limit);
 * then NR_GRACE_MS more for late ones.  fn returns false to stop at once.
 */
typedef bool (*nr_event_fn)(struct nr_tracer *t, json_t *o, void *arg);
void nr_events_collect(struct nr_tracer *t, const int *have, int want,
		       int timeout_ms, int quiet_ms, nr_event_fn fn, void *arg);

/*
 * One field of an event (ev->raw its text) against the ground truth.
 * Control bytes in strings are shown as \xHH.
 */
#define NR_CHECK_INT(t, ev, name, got, want) do {			\
	if ((long long)(got) != (long long)(want))			\
		fail_msg("'%s': event %s is %lld, want %lld\n  event: %s", \
			 (t)->cmdline, name, (long long)(got),		\
			 (long long)(want), (ev)->raw);			\
} while (0)

#define NR_CHECK_STR(t, ev, name, got, want) do {			\
	char g_[256], w_[256];						\
									\
	if (strcmp((got), (want)))					\
		fail_msg("'%s': event %s is \"%s\", want \"%s\"\n  event: %s", \
			 (t)->cmdline, name, nr_visible(got, g_, sizeof(g_)), \
			 nr_visible(want, w_, sizeof(w_)), (ev)->raw);	\
} while (0)

/* ---- text output (textrow.c) ---- */

/* s with control bytes as \xHH, so a failure message shows them. */
const char *nr_visible(const char *s, char *buf, size_t n);
/* What text mode prints for a comm: control bytes become '?'. */
void nr_sanitize(char *dst, size_t n, const char *s);
/* Blank-separated field i of line, into buf. */
const char *nr_field(const char *line, int i, char *buf, size_t n);
/* stdout lines from..end, quoted, for messages (a static buffer). */
const char *nr_stdout_dump(struct nr_tracer *t, size_t from);
/* Fail, showing both with nr_visible(), unless got is want exactly. */
void nr_expect_line(struct nr_tracer *t, const char *what, const char *got,
		    const char *want);
/* The next stdout line is the header want (after the banner). */
void nr_expect_header_must(struct nr_tracer *t, const char *want);
/* The next stdout row whose field pid_field is pid. */
const char *nr_wait_row_must(struct nr_tracer *t, pid_t pid, int pid_field);

/*
 * tcpconnect's columns, BCC's widths: the row ends in the blank after
 * DPORT, where -d prints QUERY.
 */
#define NR_TC_HDR_FMT	"%-7s %-12s %-2s %-16s %-16s %-6s"
#define NR_TC_ROW_FMT	"%-7d %-12.12s %-2d %-16s %-16s %-6d "
/* Its header and one row (comm nr_sanitize()d) into buf: the length. */
size_t nr_tc_header(char *buf, size_t n);
size_t nr_tc_row(char *buf, size_t n, pid_t pid, const char *comm, int ip,
		 const char *saddr, const char *daddr, int dport);

/*
 * Once the tracer (-v) stopped: its stderr says "attach strategy: want",
 * or (want NULL) fentry, kprobe or tracepoint, $NETRACE_ATTACH if forced.
 */
void nr_expect_strategy_must(struct nr_tracer *t, const char *want);

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
	/*
	 * CLOCK_MONOTONIC just before connect() and once it ended (its
	 * return; non-blocking: the poll() that saw it end): the connect's
	 * whole time, which brackets any latency measured inside it.
	 */
	int64_t begin_ns, end_ns;
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
/* A client with just a comm and (0: root) a uid. */
struct nr_client *nr_client_must(struct nr_ctx *ctx, const char *comm,
				 uid_t uid);
/* nr_client_connect_must(), blocking; the connect must succeed. */
void nr_client_connect_ok_must(struct nr_client *cl, int family,
			       const char *addr, int port, struct nr_conn *c);

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
/* addr:port (addr NULL: any) as a sockaddr: its length, 0 if addr is bad. */
socklen_t nr_sockaddr(int family, const char *addr, int port,
		      struct sockaddr_storage *ss);

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
/*
 * What --cgroupmap and --mntnsmap read: a bpffs of its own with a hash
 * map pinned as name, key -> 1 (a value of value_size bytes, 4 or 8).
 * The pin's path in buf.
 */
void nr_pin_filter_map_must(struct nr_ctx *ctx, const char *name,
			    uint64_t key, unsigned int value_size, char *buf,
			    size_t n);
/* The mount namespace (inode) of pid, which must not be ours; who: "client". */
uint64_t nr_new_mntns_must(pid_t pid, const char *who);
/*
 * The tracer (which printed an event, so it runs) holds no capability,
 * effective, permitted, inheritable, ambient or bounding, and has
 * no_new_privs set.
 */
void nr_expect_no_privs_must(struct nr_tracer *t);
/* A link named applet to $NETRACE in a temp dir, path in buf. */
void nr_applet_link_must(struct nr_ctx *ctx, const char *applet, char *buf,
			 size_t n);

/* ---- kernel objects of a process (kobjs.c) ---- */

#define NR_GONE_TIMEOUT_MS	5000	/* reaped to every object freed */
#define NR_KOBJ_MAX		128	/* of each kind, per process */

enum nr_kobj_kind { NR_KOBJ_PROG, NR_KOBJ_MAP, NR_KOBJ_LINK, NR_KOBJ_BTF,
		    NR_KOBJ_KINDS };

/*
 * What one process holds, read from its descriptors: never from the
 * system's lists, which other BPF users (other netrace runs) share.
 */
struct nr_kobjs {
	pid_t pid;
	uint32_t ids[NR_KOBJ_KINDS][NR_KOBJ_MAX];	/* distinct ids */
	int n[NR_KOBJ_KINDS];
	int nringbuf;		/* maps of type BPF_MAP_TYPE_RINGBUF */
	int nperfarray;		/* ... BPF_MAP_TYPE_PERF_EVENT_ARRAY */
	int nperf;		/* perf_event descriptors */
	uint64_t packet[NR_KOBJ_MAX];	/* inodes of its packet sockets */
	int npacket;
};

/*
 * Read what pid (alive, in our network namespace, not changing meanwhile:
 * attached, or ptrace-stopped) holds; fails the test on errors.
 */
void nr_kobjs_read_must(pid_t pid, struct nr_kobjs *k);
/* BPF objects and packet sockets in k. */
int nr_kobjs_total(const struct nr_kobjs *k);
/* "pid 12: 3 programs, ..." for messages. */
const char *nr_kobjs_str(const struct nr_kobjs *k, char *buf, size_t n);
const char *nr_kobj_kind_name(enum nr_kobj_kind k);
/*
 * How many of k's objects exist now, each described in buf: BPF ids that
 * still open, packet sockets still in /proc/self/net/packet, tracefs
 * events named after k->pid, pins leading to one of k's objects.
 */
int nr_kobjs_left(const struct nr_kobjs *k, char *buf, size_t n);
/* Poll up to NR_GONE_TIMEOUT_MS until nr_kobjs_left() is 0; else fail. */
void nr_kobjs_gone_must(const struct nr_kobjs *k, const char *who);
/* Fail if a and b have any BPF id or packet socket in common. */
void nr_kobjs_disjoint_must(const struct nr_kobjs *a,
			    const struct nr_kobjs *b);
/* Pins on every mounted bpffs leading to one of k's objects: the count,
 * each appended to buf at *pos. */
int nr_kobjs_pins(const struct nr_kobjs *k, char *buf, size_t n, size_t *pos);
/*
 * Lines of tracefs kprobe_events, uprobe_events and dynamic_events that
 * name pid the way libbpf does ("libbpf_PID_"): the count, appended to buf.
 */
int nr_tracefs_events_of(pid_t pid, char *buf, size_t n, size_t *pos);
/* The tracefs directory, mounted (as netrace does) if it is not; or NULL. */
const char *nr_tracefs_dir(void);

#endif
