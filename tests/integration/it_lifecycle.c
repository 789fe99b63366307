// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What netrace leaves in the kernel, and whether several runs disturb
 * one another (issue 12).
 *
 * Nothing left behind: while a tracer runs, everything it holds is read
 * from its own descriptors (BPF programs, maps, links and BTF by id, perf
 * events, packet sockets: harness kobjs.c), after checking that there is
 * something to find (a program, a map, the ring or the perf buffer, an
 * attachment, the packet sockets of -d).  Then it is ended one way or
 * another: SIGINT, SIGTERM, SIGKILL, SIGABRT (a crash; no core file), or
 * EPIPE (the reader of its stdout goes away, then events come).  Once it
 * is reaped, every one of those ids must stop existing within
 * NR_GONE_TIMEOUT_MS, no packet socket may stay, no tracefs kprobe or
 * uprobe event named after its pid and no bpffs pin of its objects.  For
 * each applet that loads BPF and both event buffers, and for
 * xdpfeatures --probe, which is caught with ptrace at the moment its
 * program is attached to a veth and ended there.
 *
 * Many at once: the same applet twice, every tracing applet together and
 * 16 tracers at once run side by side; a client and a server of the
 * harness make known connections, and every tracer must report each of
 * its events exactly once and lose none; no two share a kernel object,
 * none creates a pin or a tracefs event; after they stop nothing stays.
 *
 * Only this suite's own processes are looked at: the machine may run
 * other BPF programs (other netrace runs) meanwhile.  The many-at-once
 * tracers filter on the server's port (-P) so that connection storms of
 * other suites cannot fill pipes this suite reads only later.
 *
 * Environment: NETRACE (the binary, required), NETRACE_ATTACH (added as
 * --attach= to every tracer: the VM matrix runs this suite per strategy),
 * CI=true or NETRACE_REQUIRE_PRIV=1 (not root is a failure, not a skip),
 * NR_IT_FILTER (cmocka test-name filter).  The buffer is chosen by each
 * test itself (--buffer=ringbuf and --buffer=perfbuf).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/if_link.h>

#include "harness.h"
#include "xdp_fixture.h"

#define TC_BANNER	"Tracing connect ... Hit Ctrl-C to end"
#define TA_BANNER	"Tracing accept ... Hit Ctrl-C to end"
#define EPIPE_MS	5000	/* events until it notices its stdout closed */
#define NCONN		8	/* connections in the many-at-once tests */
#define MANY		16
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- tracers ---- */

enum applet { TC, TC_DNS, TA };

enum buffer { RINGBUF, PERFBUF };

struct spec {
	enum applet applet;
	enum buffer buffer;
};

/* A tracer's argument list; it must live as long as the tracer. */
struct args {
	const char *argv[8];
	char port[16];
};

static void args_free(struct nr_ctx *ctx, void *arg)
{
	(void)ctx;
	free(arg);
}

/* `netrace APPLET -j [-d] --buffer=B [-P port]`, spawned. */
static struct nr_tracer *spec_start(struct nr_ctx *ctx, const struct spec *s,
				    int port, bool wait)
{
	struct args *a = calloc(1, sizeof(*a));
	struct nr_tracer_cfg cfg;
	int n = 0;

	assert_non_null(a);
	nr_defer(ctx, args_free, a);
	a->argv[n++] = "-j";
	if (s->applet == TC_DNS)
		a->argv[n++] = "-d";
	a->argv[n++] = s->buffer == RINGBUF ? "--buffer=ringbuf" :
					      "--buffer=perfbuf";
	if (port) {
		snprintf(a->port, sizeof(a->port), "%d", port);
		a->argv[n++] = "-P";
		a->argv[n++] = a->port;
	}
	nr_applet_cfg(&cfg, s->applet == TA ? "tcpaccept" : "tcpconnect",
		      a->argv, s->applet == TA ? TA_BANNER : TC_BANNER);
	cfg.no_wait = !wait;
	cfg.no_core = true;	/* SIGABRT: a crash, but no core file */
	return nr_tracer_start_must(ctx, &cfg);
}

/*
 * What a running tracer holds, and that there is something to find:
 * else "nothing is left" would hold of a tracer that held nothing.  The
 * checker must also see each of those objects alive now (else it could
 * never report one), and no name may have been made: no tracefs event
 * named after the pid, no pin of any of its objects.
 */
static void holds_must(struct nr_tracer *t, const struct spec *s,
		       struct nr_kobjs *k)
{
	char left[4096], what[256];
	size_t pos = 0;
	int total;

	nr_kobjs_read_must(t->pid, k);
	nr_kobjs_str(k, what, sizeof(what));
	if (k->n[NR_KOBJ_PROG] < 1 || k->n[NR_KOBJ_MAP] < 1)
		fail_msg("'%s' holds no BPF program or map: %s", t->cmdline,
			 what);
	if (s->buffer == RINGBUF && k->nringbuf != 1)
		fail_msg("'%s': want one ring buffer map: %s", t->cmdline,
			 what);
	if (s->buffer == PERFBUF && (k->nperfarray != 1 || k->nperf < 1))
		fail_msg("'%s': want a perf event array and its perf events: "
			 "%s", t->cmdline, what);
	/* fentry, raw tracepoints and perf links: links; else perf events. */
	if (k->n[NR_KOBJ_LINK] < 1 && k->nperf < 1)
		fail_msg("'%s' holds no link and no perf event: attached how? "
			 "%s", t->cmdline, what);
	if (s->applet == TC_DNS && k->npacket < 1)
		fail_msg("'%s' holds no packet socket: %s", t->cmdline, what);
	total = nr_kobjs_total(k);
	if (nr_kobjs_left(k, left, sizeof(left)) != total)
		fail_msg("'%s': of its %d objects, the checker finds %s",
			 t->cmdline, total, left[0] ? left : " none");
	if (nr_tracefs_events_of(t->pid, left, sizeof(left), &pos) ||
	    nr_kobjs_pins(k, left, sizeof(left), &pos))
		fail_msg("'%s' made names in the kernel:%s", t->cmdline, left);
}

/* ---- ending a tracer ---- */

enum how { BY_SIGINT, BY_SIGTERM, BY_SIGKILL, BY_SIGABRT, BY_EPIPE };

static const char *const how_names[] = { "SIGINT", "SIGTERM", "SIGKILL",
					 "SIGABRT", "EPIPE" };
static const int how_sig[] = { SIGINT, SIGTERM, SIGKILL, SIGABRT, 0 };

/* One connection from us to l: a connect event, and an accept event. */
static void poke(const struct nr_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = nr_sockaddr(l->family, l->addr, l->port, &ss);
	int fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail_msg("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len))
		fail_msg("connect to %s:%d: %s", l->addr, l->port,
			 strerror(errno));
	close(fd);
}

/* Close our end of its stdout, then make events until it ends. */
static void end_by_epipe(struct nr_tracer *t, const struct nr_listener *l)
{
	int64_t end = nr_now_ms() + EPIPE_MS;

	nr_tracer_close_stdout(t);
	while (!nr_tracer_exited(t) && nr_now_ms() < end) {
		poke(l);
		nr_sleep_ms(20);
	}
	if (!t->reaped) {
		nr_tracer_stop(t, SIGKILL, NR_STOP_TIMEOUT_MS);
		t->stopped_by_test = true;
		fail_msg("'%s' still runs %d ms after its stdout was closed "
			 "and events came\nstderr:\n%s", t->cmdline, EPIPE_MS,
			 nr_tracer_stderr(t));
	}
}

static void end_must(struct nr_tracer *t, enum how how,
		     const struct nr_listener *l)
{
	char buf[64];
	int st;

	t->stopped_by_test = true;
	if (how == BY_SIGINT || how == BY_SIGTERM) {
		nr_tracer_stop_sig_must(t, how_sig[how]);
		return;
	}
	if (how == BY_EPIPE) {
		end_by_epipe(t, l);
		st = t->status;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fail_msg("'%s' after EPIPE: %s, want exit 0\nstderr:\n%s",
				 t->cmdline, nr_status_str(st, buf, sizeof(buf)),
				 nr_tracer_stderr(t));
		return;
	}
	st = nr_tracer_stop(t, how_sig[how], NR_STOP_TIMEOUT_MS);
	if (st == -1 || !WIFSIGNALED(st) || WTERMSIG(st) != how_sig[how])
		fail_msg("'%s' after %s: %s, want killed by it\nstderr:\n%s",
			 t->cmdline, how_names[how],
			 nr_status_str(st, buf, sizeof(buf)),
			 nr_tracer_stderr(t));
}

/* ---- nothing left behind ---- */

/* Start, check what it holds, end it as how says, check it all went. */
static void life_one(struct nr_ctx *ctx, const struct spec *s, enum how how,
		     const struct nr_listener *l)
{
	struct nr_tracer *t = spec_start(ctx, s, 0, true);
	struct nr_kobjs k;
	char who[1200];

	holds_must(t, s, &k);
	end_must(t, how, l);
	snprintf(who, sizeof(who), "'%s' (ended by %s)", t->cmdline,
		 how_names[how]);
	nr_kobjs_gone_must(&k, who);
}

static void life_test(void **state, enum applet applet, enum how how)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_listener *l = nr_listener_start_must(ctx, AF_INET);

	for (int b = RINGBUF; b <= PERFBUF; b++) {
		struct spec s = { applet, b };

		life_one(ctx, &s, how, l);
	}
}

#define LIFE(name, applet, how)						\
static void test_##name(void **state)					\
{									\
	life_test(state, applet, how);					\
}

LIFE(tcpconnect_sigint, TC, BY_SIGINT)
LIFE(tcpconnect_sigterm, TC, BY_SIGTERM)
LIFE(tcpconnect_sigkill, TC, BY_SIGKILL)
LIFE(tcpconnect_sigabrt, TC, BY_SIGABRT)
LIFE(tcpconnect_epipe, TC, BY_EPIPE)
LIFE(tcpconnect_dns_sigint, TC_DNS, BY_SIGINT)
LIFE(tcpconnect_dns_sigterm, TC_DNS, BY_SIGTERM)
LIFE(tcpconnect_dns_sigkill, TC_DNS, BY_SIGKILL)
LIFE(tcpconnect_dns_sigabrt, TC_DNS, BY_SIGABRT)
LIFE(tcpconnect_dns_epipe, TC_DNS, BY_EPIPE)
LIFE(tcpaccept_sigint, TA, BY_SIGINT)
LIFE(tcpaccept_sigterm, TA, BY_SIGTERM)
LIFE(tcpaccept_sigkill, TA, BY_SIGKILL)
LIFE(tcpaccept_sigabrt, TA, BY_SIGABRT)
LIFE(tcpaccept_epipe, TA, BY_EPIPE)

/* ---- xdpfeatures --probe, caught while its program is attached ---- */

/* In the child: a plain environment, traced from exec on. */
static void exec_traced(pid_t parent, int out_fd, char *const argv[])
{
	struct rlimit zero = { 0, 0 };
	sigset_t none;
	int devnull = open("/dev/null", O_RDONLY);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent || devnull < 0 || dup2(devnull, 0) < 0 ||
	    dup2(out_fd, 1) < 0 || setrlimit(RLIMIT_CORE, &zero))
		_exit(127);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(127);
	execv(argv[0], argv);
	_exit(127);
}

static void kill_child(struct nr_ctx *ctx, void *arg)
{
	pid_t pid = (pid_t)(intptr_t)arg;

	(void)ctx;
	/* Reaped already (ECHILD) in every test that got to its end. */
	if (!kill(pid, SIGKILL))
		waitpid(pid, NULL, 0);
}

/*
 * Run the child on, one system call at a time, until ifname has a
 * program attached: it is stopped just after the call that attached it.
 * The program's id; fails if the child ends first.
 */
static uint32_t run_until_attached(pid_t pid, const char *ifname)
{
	int st, sig = 0;
	uint32_t id;

	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
		fail_msg("traced xdpfeatures did not stop at exec");
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		fail_msg("PTRACE_SETOPTIONS: %s", strerror(errno));
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig))
			fail_msg("PTRACE_SYSCALL: %s", strerror(errno));
		sig = 0;
		if (waitpid(pid, &st, 0) != pid)
			fail_msg("waitpid: %s", strerror(errno));
		if (!WIFSTOPPED(st))
			fail_msg("xdpfeatures --probe ended without ever "
				 "attaching a program to %s", ifname);
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(st);	/* a real signal: pass it on */
			continue;
		}
		id = xf_attached_must(ifname, NULL);
		if (id)
			return id;
	}
}

/* End the stopped child as how says; its wait status. */
static int end_traced(pid_t pid, enum how how)
{
	int st;

	/* A signal queued while it is stopped is taken once it runs:
	 * detached, so as if no one had ever traced it. */
	if (how_sig[how])
		kill(pid, how_sig[how]);
	if (how != BY_SIGKILL && ptrace(PTRACE_DETACH, pid, NULL, NULL))
		fail_msg("PTRACE_DETACH: %s", strerror(errno));
	if (waitpid(pid, &st, 0) != pid)
		fail_msg("waitpid: %s", strerror(errno));
	return st;
}

/* Neither a program on ifname nor any object of k, within the timeout. */
static void xdp_gone_must(const struct nr_kobjs *k, const char *ifname,
			  const char *who)
{
	int64_t end = nr_now_ms() + NR_GONE_TIMEOUT_MS;
	uint32_t id;

	while ((id = xf_attached_must(ifname, NULL)) && nr_now_ms() < end)
		nr_sleep_ms(20);
	if (id)
		fail_msg("%s is gone, but program %u is still attached to %s",
			 who, id, ifname);
	nr_kobjs_gone_must(k, who);
}

/*
 * xdpfeatures --probe -j -i va, in a namespace of our own: stopped right
 * after it attached its program, what it holds is read, then it is ended
 * as how says (BY_EPIPE: its stdout was closed from the start, and it
 * runs on to write; how < 0: runs on to its normal end).
 */
static void xdp_test(void **state, int how)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	char *argv[] = { (char *)nr_netrace_path(), "xdpfeatures", "--probe",
			 "-j", "-i", "va", NULL };
	char who[128], buf[64], out[4096] = "";
	struct nr_kobjs k;
	int pfd[2], st;
	uint32_t id;
	ssize_t n;
	pid_t pid, parent = getpid();
	bool found = false;

	xf_netns_enter_must(ctx);
	xf_veth_must("va", "vb");
	if (pipe2(pfd, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (!pid)
		exec_traced(parent, pfd[1], argv);
	close(pfd[1]);
	if (how == BY_EPIPE)
		close(pfd[0]);
	nr_defer(ctx, kill_child, (void *)(intptr_t)pid);
	snprintf(who, sizeof(who), "xdpfeatures --probe (ended by %s)",
		 how < 0 ? "its normal exit" : how_names[how]);

	id = run_until_attached(pid, "va");
	nr_kobjs_read_must(pid, &k);
	for (int i = 0; i < k.n[NR_KOBJ_PROG]; i++)
		found |= k.ids[NR_KOBJ_PROG][i] == id;
	if (!found)
		fail_msg("program %u on va is not one xdpfeatures holds (%s)",
			 id, nr_kobjs_str(&k, buf, sizeof(buf)));
	st = end_traced(pid, how < 0 ? BY_EPIPE : (enum how)how);
	if (how < 0) {
		n = read(pfd[0], out, sizeof(out) - 1);
		out[n > 0 ? n : 0] = 0;
	}
	if (how != BY_EPIPE)
		close(pfd[0]);
	if (how < 0 || how == BY_EPIPE ?
	    !WIFEXITED(st) || WEXITSTATUS(st) :
	    !WIFSIGNALED(st) || WTERMSIG(st) != how_sig[how])
		fail_msg("%s: %s", who, nr_status_str(st, buf, sizeof(buf)));
	if (how < 0 && !strstr(out, "\"probe\":\"ok\""))
		fail_msg("%s: the probe did not say ok: %s", who, out);
	xdp_gone_must(&k, "va", who);
}

#define XDP(name, how)							\
static void test_xdpfeatures_probe_##name(void **state)			\
{									\
	xdp_test(state, how);						\
}

XDP(exit, -1)
XDP(sigint, BY_SIGINT)
XDP(sigterm, BY_SIGTERM)
XDP(sigkill, BY_SIGKILL)
XDP(sigabrt, BY_SIGABRT)
XDP(epipe, BY_EPIPE)

/* ---- many at once ---- */

/* Known connections: the client's connects, the server's accepts. */
struct truth {
	struct nr_server *srv;
	struct nr_client *cl;
	struct nr_conn conn[NCONN];
	struct nr_accept acc[NCONN];
};

static void truth_begin(struct nr_ctx *ctx, struct truth *tr)
{
	struct nr_server_cfg cfg = { .comm = "nr-life-srv",
				     .family = AF_INET };

	memset(tr, 0, sizeof(*tr));
	tr->srv = nr_server_start_must(ctx, &cfg);
	tr->cl = nr_client_must(ctx, "nr-life-cli", 0);
}

static void truth_make(struct truth *tr)
{
	struct nr_accept_result r;

	nr_server_accept_begin_must(tr->srv, NCONN, 1, 0);
	for (int i = 0; i < NCONN; i++)
		nr_client_connect_ok_must(tr->cl, AF_INET,
					  tr->srv->connect_addr,
					  tr->srv->port, &tr->conn[i]);
	nr_server_accept_end_must(tr->srv, NR_EVENT_TIMEOUT_MS, &r);
	if (r.count != NCONN || r.err)
		fail_msg("server: %d accepts of %d (%s)", r.count, NCONN,
			 r.err ? strerror(r.err) : "no error");
	for (int i = 0; i < NCONN; i++)
		nr_server_accepted(tr->srv, i, &tr->acc[i]);
}

struct seen {
	const struct truth *tr;
	bool accept;
	int count[NCONN];
	int have;		/* connections seen at least once */
};

static bool is_ours(const struct seen *s, json_t *o, int i)
{
	const struct truth *tr = s->tr;

	if (s->accept)
		return nr_jint(o, "pid") == tr->srv->pid &&
		       nr_jint(o, "lport") == tr->srv->port &&
		       nr_jint(o, "rport") == tr->acc[i].rport;
	return nr_jint(o, "pid") == tr->cl->pid &&
	       nr_jint(o, "lport") == tr->conn[i].lport &&
	       nr_jint(o, "dport") == tr->srv->port;
}

static bool on_event(struct nr_tracer *t, json_t *o, void *arg)
{
	struct seen *s = arg;
	char raw[512];

	for (int i = 0; i < NCONN; i++) {
		if (!is_ours(s, o, i))
			continue;
		if (s->count[i]++)
			fail_msg("'%s' reported connection %d twice: %s",
				 t->cmdline, i, nr_json_raw(o, raw, sizeof(raw)));
		s->have++;
		break;
	}
	return true;
}

/* Every one of the connections, seen exactly once (no late second). */
static void saw_all_once_must(struct nr_tracer *t, const struct spec *sp,
			      const struct truth *tr)
{
	struct seen s = { .tr = tr, .accept = sp->applet == TA };

	nr_events_collect(t, &s.have, NCONN, NR_EVENT_TIMEOUT_MS, 0,
			  on_event, &s);
	for (int i = 0; i < NCONN; i++)
		if (s.count[i] != 1)
			fail_msg("'%s' reported connection %d (client port "
				 "%d) %d times, want once\nstderr:\n%s",
				 t->cmdline, i, tr->conn[i].lport, s.count[i],
				 nr_tracer_stderr(t));
}

/*
 * Start the n tracers of specs all at once, filtering on the server's
 * port; check each holds its own objects, shares none and names none;
 * make the connections; every tracer reports each of its own once; stop
 * them (SIGINT and SIGTERM by turns): none lost an event, nothing stays.
 */
static void many_test(void **state, const struct spec *specs, int n)
{
	struct nr_ctx *ctx = nr_test_begin(state);
	struct nr_tracer *t[MANY];
	struct nr_kobjs *k = calloc(n, sizeof(*k));
	struct truth tr;

	assert_non_null(k);
	nr_defer(ctx, args_free, k);
	truth_begin(ctx, &tr);
	for (int i = 0; i < n; i++)
		t[i] = spec_start(ctx, &specs[i], tr.srv->port, false);
	for (int i = 0; i < n; i++)
		nr_tracer_wait_ready_must(t[i]);
	for (int i = 0; i < n; i++)
		holds_must(t[i], &specs[i], &k[i]);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			nr_kobjs_disjoint_must(&k[i], &k[j]);
	truth_make(&tr);
	for (int i = 0; i < n; i++)
		saw_all_once_must(t[i], &specs[i], &tr);
	for (int i = 0; i < n; i++) {
		nr_tracer_stop_sig_must(t[i], i % 2 ? SIGTERM : SIGINT);
		if (nr_tracer_stderr_has(t[i], "lost"))
			fail_msg("'%s' lost events:\n%s", t[i]->cmdline,
				 nr_tracer_stderr(t[i]));
	}
	for (int i = 0; i < n; i++)
		nr_kobjs_gone_must(&k[i], t[i]->cmdline);
}

static void test_twice_tcpconnect(void **state)
{
	static const struct spec s[] = { { TC, RINGBUF }, { TC, RINGBUF } };

	many_test(state, s, ARRAY_LEN(s));
}

static void test_twice_tcpconnect_dns(void **state)
{
	static const struct spec s[] = { { TC_DNS, RINGBUF },
					 { TC_DNS, PERFBUF } };

	many_test(state, s, ARRAY_LEN(s));
}

static void test_twice_tcpaccept(void **state)
{
	static const struct spec s[] = { { TA, PERFBUF }, { TA, PERFBUF } };

	many_test(state, s, ARRAY_LEN(s));
}

static void test_every_applet(void **state)
{
	static const struct spec s[] = { { TC, RINGBUF }, { TC_DNS, RINGBUF },
					 { TA, RINGBUF } };

	many_test(state, s, ARRAY_LEN(s));
}

static void test_sixteen(void **state)
{
	static const struct spec mix[] = {
		{ TC, RINGBUF }, { TA, RINGBUF }, { TC, PERFBUF },
		{ TA, PERFBUF }, { TC_DNS, RINGBUF }, { TA, RINGBUF },
		{ TC, RINGBUF }, { TC_DNS, PERFBUF },
	};
	struct spec s[MANY];

	for (int i = 0; i < MANY; i++)
		s[i] = mix[i % ARRAY_LEN(mix)];
	many_test(state, s, MANY);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, nr_setup, nr_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tcpconnect_sigint), T(test_tcpconnect_sigterm),
		T(test_tcpconnect_sigkill), T(test_tcpconnect_sigabrt),
		T(test_tcpconnect_epipe),
		T(test_tcpconnect_dns_sigint), T(test_tcpconnect_dns_sigterm),
		T(test_tcpconnect_dns_sigkill), T(test_tcpconnect_dns_sigabrt),
		T(test_tcpconnect_dns_epipe),
		T(test_tcpaccept_sigint), T(test_tcpaccept_sigterm),
		T(test_tcpaccept_sigkill), T(test_tcpaccept_sigabrt),
		T(test_tcpaccept_epipe),
		T(test_xdpfeatures_probe_exit),
		T(test_xdpfeatures_probe_sigint),
		T(test_xdpfeatures_probe_sigterm),
		T(test_xdpfeatures_probe_sigkill),
		T(test_xdpfeatures_probe_sigabrt),
		T(test_xdpfeatures_probe_epipe),
		T(test_twice_tcpconnect), T(test_twice_tcpconnect_dns),
		T(test_twice_tcpaccept), T(test_every_applet),
		T(test_sixteen),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_lifecycle", &skip_all))
		return 1;
	rc = cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
