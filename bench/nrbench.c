// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nrbench: netrace's tracers against the same jobs written for bpftrace,
 * on loopback connection storms.  For each tracer, in one run:
 *
 *  - ready: exec until the tracer is attached (the first of 1 ms probe
 *    connects whose row shows up), and until its header line, checking
 *    that every probe made after the header was seen;
 *  - idle wakeups (voluntary context switches per second) and the
 *    latency from one connect to its row on a quiet system;
 *  - pairs of storms, untraced and traced, in alternating order (ABBA)
 *    so that drift cancels: slowdown, tracer CPU per event, peak RSS,
 *    rows printed against connections made, losses the tracer reports;
 *  - one more traced storm with BPF run-time statistics on (BPF_ENABLE_STATS,
 *    which is kernel.bpf_stats_enabled=1 for as long as the fd is open):
 *    nanoseconds per program run and per connection.
 *
 * Markdown on stdout, and into --out between the nrbench markers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "storm.h"
#include "tproc.h"
#include "trend.h"

#define MAX_RUNS	256
#define MAX_PROGS	16
#define MS		1000000ULL
#define SEC		1000000000ULL
#define READY_TIMEOUT	(60 * SEC)
#define PROBE_EVERY	(1 * MS)
#define MARK_BEGIN	"<!-- nrbench:begin -->"
#define MARK_END	"<!-- nrbench:end -->"

#ifndef NRBENCH_BT_DIR
#define NRBENCH_BT_DIR "."
#endif

struct cfg {
	const char *netrace;
	const char *bpftrace;
	const char *bt_dir;
	const char *fmtbench;
	const char *out;
	const char *tracers;
	const char *netrace_opt;	/* one more option for every netrace run */
	int pairs;
	int ready_runs;
	int latency_runs;
	int threads;
	int acceptors;
	unsigned long conns;
	unsigned long stats_conns;
	unsigned long fmt_rows;
	double max_secs;
	double idle_secs;
	int nice;		/* for the driver, its storms and tracers */
	bool smoke;
	bool no_stats;
	bool no_count;
	char cmdline[2048];
};

struct tdef {
	const char *key;
	const char *label;
	bool bt;		/* bpftrace script, else netrace applet */
	const char *what;	/* applet name or script file */
	const char *opt;	/* extra option, or NULL */
	bool probe_by_daddr;	/* rows lack the client port (see tproc.h) */
	int skip_fields;	/* fields after the port triple (tproc.h) */
	const char *needle;	/* a storm row holds it (tproc.h), or NULL */
	bool ports_last;	/* rows end with both ports (tproc.h) */
};

static const struct tdef tdefs[] = {
	{ "tcpconnect", "netrace tcpconnect", false, "tcpconnect", "-L", false,
	  0, NULL, false },
	/* No -L: the tracepoint strategy reads no kernel types here. */
	{ "tcpconnect-nol", "netrace tcpconnect (no -L)", false, "tcpconnect",
	  NULL, true, 0, NULL, false },
	{ "tcpaccept", "netrace tcpaccept", false, "tcpaccept", NULL, false, 0,
	  NULL, false },
	{ "bt-tcpconnect", "bpftrace tcpconnect.bt", true, "tcpconnect.bt", NULL,
	  false, 0, NULL, false },
	{ "bt-tcpaccept", "bpftrace tcpaccept.bt", true, "tcpaccept.bt", NULL,
	  false, 0, NULL, false },
	/* A row per closed session, client and server: the clients' count. */
	{ "tcplife", "netrace tcplife", false, "tcplife", NULL, false, 3, NULL,
	  false },
	{ "bt-tcplife", "bpftrace tcplife.bt", true, "tcplife.bt", NULL, false,
	  3, NULL, false },
	/*
	 * A row per state change: the storm's connections are counted by
	 * their client side's SYN_SENT -> ESTABLISHED, tracer CPU by every
	 * row of the clients' sockets (about half the changes:
	 * conservative).
	 */
	{ "tcpstates", "netrace tcpstates", false, "tcpstates", NULL, false,
	  4, "SYN_SENT    -> ESTABLISHED", false },
	/* -L: the client port, which names a probe's row. */
	{ "tcpconnlat", "netrace tcpconnlat", false, "tcpconnlat", "-L", false,
	  1, NULL, false },
	/*
	 * A connect (C), an accept (A) and two closes (X) a connection: the
	 * storm's connections are counted by their C rows, tracer CPU by
	 * the rows of the clients' sockets (C and X: conservative).
	 */
	{ "tcptracer", "netrace tcptracer", false, "tcptracer", NULL, false,
	  0, "C  ", true },
};
#define NTDEFS (sizeof(tdefs) / sizeof(tdefs[0]))

struct pair {
	bool base_first;
	struct storm_result base, traced;
	double base_others, traced_others;	/* % of the machine */
	double slowdown;	/* % of the untraced rate */
	unsigned long made;	/* connections the tracer should show */
	unsigned long rows;	/* storm rows it printed */
	unsigned long lost_reported;
	double cpu_us_per_event;
	long hwm_kb;
};

struct progstat {
	unsigned int id;
	char name[BPF_OBJ_NAME_LEN];
	unsigned long long runs, ns;
};

struct tres {
	const struct tdef *d;
	bool skipped;
	char note[256];
	struct fails fails;
	int extra_sigints;	/* SIGINTs it ignored before stopping */
	/* ready */
	int nready;
	double ready_ms[MAX_RUNS], header_ms[MAX_RUNS], startup_cpu_ms[MAX_RUNS];
	int header_checked, header_valid;
	unsigned long probe_gaps;
	/* idle and latency */
	bool idle_ok;
	double idle_vcs_s, idle_ivcs_s, idle_cpu_ms_s;
	long idle_hwm_kb;
	int nlat;
	double lat_ms[MAX_RUNS];
	/* storms */
	int nforeign;		/* other tracing BPF programs, most seen */
	char foreign[256];
	int npairs;
	struct pair pairs[MAX_RUNS];
	/* BPF statistics */
	bool stats_ok;
	struct storm_result stats_storm;
	unsigned long stats_rows;
	int nprog;
	struct progstat prog[MAX_PROGS];
};

struct count_res {
	bool ran;		/* the storm ran under tcpconnect -c */
	bool ok;		/* and every connect was counted */
	char fail[256];
	struct storm_result storm;
	unsigned long counted;
	unsigned long rows_during;
	double tracer_cpu_ms, vcs, seconds, others;
	long hwm_kb;
};

static struct cfg cfg = {
	.netrace = NULL,
	.bpftrace = "bpftrace",
	.bt_dir = NRBENCH_BT_DIR,
	.tracers = "tcpconnect,tcpconnect-nol,tcpaccept,bt-tcpconnect,bt-tcpaccept,"
		   "tcplife,bt-tcplife,tcpstates,tcpconnlat,tcptracer",
	.pairs = 10,
	.ready_runs = 10,
	.latency_runs = 20,
	.threads = 2,
	.acceptors = 1,
	.conns = 60000,
	.fmt_rows = 2000000,
	.max_secs = 30,
	.idle_secs = 5,
	.nice = -10,
};

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "nrbench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- statistics ---- */

static double vmin(const double *v, int n)
{
	double m = INFINITY;
	int i;

	for (i = 0; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double vmax(const double *v, int n)
{
	double m = -INFINITY;
	int i;

	for (i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* "median (min–max)" with prec decimals, or "–" without data. */
static const char *mmm(char *buf, size_t n, const double *v, int cnt, int prec)
{
	if (cnt <= 0)
		snprintf(buf, n, "–");
	else if (cnt == 1)
		snprintf(buf, n, "%.*f", prec, v[0]);
	else
		snprintf(buf, n, "%.*f (%.*f–%.*f)", prec, median(v, cnt),
			 prec, vmin(v, cnt), prec, vmax(v, cnt));
	return buf;
}

/* ---- probes: one loopback connection the driver makes and accepts ---- */

/*
 * Probe client ports are taken in turn from below the ephemeral range
 * (32768 up): no two probes of a run share one, so a row names its probe.
 */
#define PROBE_PORT_LO	20000
#define PROBE_PORT_HI	32000

static int bind_probe_port(int fd, struct sockaddr_in *me)
{
	static unsigned int next;
	int tries;

	for (tries = 0; tries < PROBE_PORT_HI - PROBE_PORT_LO; tries++) {
		me->sin_port = htons(PROBE_PORT_LO +
				     next++ % (PROBE_PORT_HI - PROBE_PORT_LO));
		if (!bind(fd, (struct sockaddr *)me, sizeof(*me)))
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

/*
 * The client port is bound before connect() so that its "seen" slot can
 * be cleared first.  Returns the time just before connect(), 0 on error.
 */
static uint64_t probe(struct tproc *t, int lfd, uint16_t *port)
{
	struct sockaddr_in a, me = { .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger l = { 1, 0 };
	socklen_t len = sizeof(a);
	uint64_t t0 = 0;
	int c, s;

	if (getsockname(lfd, (struct sockaddr *)&a, &len))
		return 0;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return 0;
	len = sizeof(me);
	if (setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) ||
	    bind_probe_port(c, &me) ||
	    getsockname(c, (struct sockaddr *)&me, &len))
		goto out;
	*port = ntohs(me.sin_port);
	t->seen[*port] = 0;
	/* Nobody listens there: the refused connect is the probe. */
	if (t->probe_by_daddr)
		a.sin_addr.s_addr = htonl(0x7f000000 | *port);
	t0 = now_ns();
	if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
		if (!t->probe_by_daddr || errno != ECONNREFUSED)
			t0 = 0;
		goto out;
	}
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s >= 0)
		close(s);
out:
	close(c);
	return t0;
}

struct ready {
	uint64_t ready_ns;	/* exec -> first captured probe made */
	uint64_t header_ns;	/* exec -> header line read, 0 if none */
	bool header_checked, header_valid;
	unsigned long gaps;	/* probes after the first captured, not seen */
	double startup_cpu_ms;
};

struct probe_rec {
	uint64_t t;
	uint16_t port;
};

static size_t probes_after(const struct probe_rec *pr, size_t n,
			   const struct tproc *t)
{
	uint64_t th = t->t_header ? t->t_header : t->t_banner;
	size_t k = 0;

	if (!th)
		return SIZE_MAX;
	while (n && pr[n - 1].t >= th) {
		n--;
		k++;
	}
	return k;
}

/*
 * Probe every PROBE_EVERY until a probe row arrives, then give the tracer
 * 300 ms (three drain intervals) to print the rest.  0 or -1.
 */
static int wait_ready(struct tproc *t, int plfd, struct ready *rd)
{
	struct probe_rec *pr = NULL;
	size_t n = 0, cap = 0, i, first = SIZE_MAX;
	uint64_t th, deadline = t->t_exec + READY_TIMEOUT;
	int ret = -1;

	memset(rd, 0, sizeof(*rd));
	/*
	 * Until a probe row arrived and, when there is a header, five more
	 * probes were made after it: they check that the header comes only
	 * once the tracer is attached.
	 */
	while (!t->probe_rows || probes_after(pr, n, t) < 5) {
		uint16_t port;
		uint64_t t0;

		if (!tproc_alive(t))
			goto out;
		if (now_ns() > deadline) {
			if (t->probe_rows)
				break;
			goto out;
		}
		t0 = probe(t, plfd, &port);
		if (t0) {
			if (n == cap) {
				void *q;

				cap = cap ? cap * 2 : 1024;
				q = realloc(pr, cap * sizeof(*pr));
				if (!q)
					goto out;
				pr = q;
			}
			pr[n].t = t0;
			pr[n].port = port;
			n++;
		}
		sleep_ns(PROBE_EVERY);
	}
	sleep_ns(300 * MS);
	rd->startup_cpu_ms = proc_cpu_ns(t->pid) / 1e6;
	for (i = 0; i < n; i++) {
		bool seen = t->seen[pr[i].port] != 0;

		if (seen && first == SIZE_MAX)
			first = i;
		else if (!seen && first != SIZE_MAX)
			rd->gaps++;
	}
	if (first == SIZE_MAX)
		goto out;
	rd->ready_ns = pr[first].t - t->t_exec;
	th = t->t_header ? t->t_header : t->t_banner;
	if (th) {
		rd->header_ns = th - t->t_exec;
		for (i = 0; i < n; i++) {
			if (pr[i].t < th)
				continue;
			if (!rd->header_checked)
				rd->header_valid = true;
			rd->header_checked = true;
			if (!t->seen[pr[i].port])
				rd->header_valid = false;
		}
	}
	ret = 0;
out:
	free(pr);
	return ret;
}

/* ---- spawning tracers ---- */

static int spawn(const struct tdef *d, struct tproc *t, uint16_t storm_port,
		 uint16_t probe_port, bool count)
{
	char script[PATH_MAX];
	char *argv[8];
	int i = 0, err;

	if (d->bt) {
		snprintf(script, sizeof(script), "%s/%s", cfg.bt_dir, d->what);
		argv[i++] = (char *)cfg.bpftrace;
		argv[i++] = script;
	} else {
		argv[i++] = (char *)cfg.netrace;
		argv[i++] = (char *)d->what;
		if (count)
			argv[i++] = "-c";
		else if (d->opt)
			argv[i++] = (char *)d->opt;
		if (cfg.netrace_opt) {
			static char opt[256], *val;

			/* "--attach tracepoint" is two arguments. */
			snprintf(opt, sizeof(opt), "%s", cfg.netrace_opt);
			val = strchr(opt, ' ');
			if (val)
				*val++ = '\0';
			argv[i++] = opt;
			if (val)
				argv[i++] = val;
		}
	}
	argv[i] = NULL;
	err = tproc_spawn(t, argv, storm_port, probe_port, count,
			  d->skip_fields, d->needle);
	t->probe_by_daddr = d->probe_by_daddr;
	t->ports_last = d->ports_last;
	return err;
}

static void cmdline_of(const struct tdef *d, char *buf, size_t n)
{
	if (d->bt)
		snprintf(buf, n, "%s %s/%s", cfg.bpftrace, cfg.bt_dir, d->what);
	else
		snprintf(buf, n, "%s %s%s%s%s%s", cfg.netrace, d->what,
			 d->opt ? " " : "", d->opt ? d->opt : "",
			 cfg.netrace_opt ? " " : "",
			 cfg.netrace_opt ? cfg.netrace_opt : "");
}

/* ---- storms in a child process, so that its rusage is its own ---- */

/* CPU time the whole machine spent not idle, from /proc/stat. */
static uint64_t machine_busy_ns(void)
{
	unsigned long long v[10] = { 0 }, sum = 0;
	FILE *f = fopen("/proc/stat", "r");
	int i, n;

	if (!f)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	fclose(f);
	/* user nice system [idle iowait] irq softirq steal (guest in user) */
	for (i = 0; i < n && i < 8; i++)
		if (i != 3 && i != 4)
			sum += v[i];
	return sum * (1000000000ULL / sysconf(_SC_CLK_TCK));
}

static uint64_t self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

/*
 * Share of the machine that other processes took while the storm ran:
 * not idle, less the storm, the tracer (tracer_pid, 0 for none) and us.
 */
struct others {
	uint64_t busy, self, tracer, t;
};

static void others_start(struct others *o, pid_t tracer_pid)
{
	o->busy = machine_busy_ns();
	o->self = self_cpu_ns();
	o->tracer = tracer_pid ? proc_cpu_ns(tracer_pid) : 0;
	o->t = now_ns();
}

static double others_end(struct others *o, pid_t tracer_pid,
			 const struct rusage *child)
{
	uint64_t busy = machine_busy_ns() - o->busy;
	uint64_t mine = self_cpu_ns() - o->self;
	uint64_t wall = now_ns() - o->t;
	double other;

	if (tracer_pid)
		mine += proc_cpu_ns(tracer_pid) - o->tracer;
	mine += (uint64_t)(child->ru_utime.tv_sec + child->ru_stime.tv_sec) * 1000000000ULL +
		(uint64_t)(child->ru_utime.tv_usec + child->ru_stime.tv_usec) * 1000ULL;
	other = (double)busy - (double)mine;
	if (other < 0)
		other = 0;
	return wall ? other * 100 / (wall * (double)sysconf(_SC_NPROCESSORS_ONLN)) : 0;
}

static int storm_child(int lfd, unsigned long conns, pid_t tracer_pid,
		       struct storm_result *r, double *others_pct)
{
	struct others oth;
	struct rusage ru = {};
	struct storm_opts o = {
		.conns = conns, .threads = cfg.threads,
		.acceptors = cfg.acceptors, .max_secs = cfg.max_secs,
		.listen_fd = lfd,
	};
	int p[2], st, err = 0;
	pid_t pid;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	others_start(&oth, tracer_pid);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		close(lfd);
		return err;
	}
	if (!pid) {
		struct { int err; struct storm_result r; } m = { 0 };

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		m.err = storm_run(&o, &m.r);
		_exit(write(p[1], &m, sizeof(m)) == sizeof(m) ? 0 : 1);
	}
	close(p[1]);
	close(lfd);
	{
		struct { int err; struct storm_result r; } m = { 0 };

		n = read(p[0], &m, sizeof(m));
		if (n != sizeof(m))
			err = -EIO;
		else if (m.err)
			err = m.err;
		*r = m.r;
	}
	close(p[0]);
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	*others_pct = others_end(&oth, tracer_pid, &ru);
	return err;
}

static int new_listener(uint16_t *port)
{
	int fd = storm_listen(0, port);

	if (fd < 0)
		note("listener: %s", strerror(-fd));
	return fd;
}

/* ---- BPF programs of a process, found through its descriptors ---- */

static int read_progs(pid_t pid, struct progstat *ps, int max)
{
	char path[320], link[64], line[128];
	struct dirent *de;
	int n = 0, i;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		unsigned int id = 0;
		ssize_t l;
		FILE *f;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, de->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = '\0';
		if (strcmp(link, "anon_inode:bpf-prog"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1)
				break;
		fclose(f);
		for (i = 0; i < n; i++)
			if (ps[i].id == id)
				id = 0;
		if (!id)
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			ps[n].id = id;
			snprintf(ps[n].name, sizeof(ps[n].name), "%s", info.name);
			ps[n].runs = info.run_cnt;
			ps[n].ns = info.run_time_ns;
			n++;
		}
		close(fd);
	}
	closedir(d);
	return n;
}

/* Stop a tracer: SIGINT must end it, with status 0. */
static void stop(struct tres *r, struct tproc *t)
{
	if (t->pid <= 0)
		return;
	tproc_stop(t, 10 * SEC);
	if (t->sigints > 1) {
		/* Ours must stop on the first; bpftrace's is noted only. */
		if (!r->d->bt)
			fails_add(&r->fails, "still running 3 s after SIGINT (%d sent)",
				  t->sigints);
		else
			note("%s: needed %d SIGINTs to stop", r->d->label,
			     t->sigints);
		r->extra_sigints += t->sigints - 1;
	}
	if (t->killed)
		fails_add(&r->fails, "did not stop within 10 s of SIGINT");
	else if (!WIFEXITED(t->status) || WEXITSTATUS(t->status))
		fails_add(&r->fails, "exit status %d after SIGINT",
			  WIFEXITED(t->status) ? WEXITSTATUS(t->status) :
			  128 + WTERMSIG(t->status));
}

/* ---- one traced storm ---- */

struct traced {
	struct storm_result storm;
	double others_pct;
	unsigned long rows, lost_reported, made;
	double cpu_us_per_event;
	long hwm_kb;
	int nprog;
	struct progstat prog[MAX_PROGS];
};

static int traced_storm(struct tres *r, unsigned long conns, bool stats,
			struct traced *out)
{
	struct progstat before[MAX_PROGS];
	uint16_t sport, pport;
	int slfd, plfd = -1, nb = 0, stats_fd = -1, ret = -1, i, j;
	uint64_t c0, c1;
	struct tproc t;
	struct ready rd;
	bool accept_side = strstr(r->d->what, "accept") != NULL;

	memset(out, 0, sizeof(*out));
	slfd = new_listener(&sport);
	if (slfd < 0)
		return -1;
	plfd = new_listener(&pport);
	if (plfd < 0) {
		close(slfd);
		return -1;
	}
	if (spawn(r->d, &t, sport, pport, false)) {
		fails_add(&r->fails, "cannot start the tracer");
		close(slfd);
		close(plfd);
		return -1;
	}
	if (wait_ready(&t, plfd, &rd)) {
		char *e = tproc_stderr(&t);

		fails_add(&r->fails, "not ready within %llu s: %.200s",
			  READY_TIMEOUT / SEC, e);
		free(e);
		close(slfd);
		goto out;
	}
	if (stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			fails_add(&r->fails, "BPF_ENABLE_STATS: %s", strerror(errno));
		nb = read_progs(t.pid, before, MAX_PROGS);
	}
	c0 = proc_cpu_ns(t.pid);
	if (storm_child(slfd, conns, t.pid, &out->storm, &out->others_pct)) {
		fails_add(&r->fails, "storm failed");
		goto out;
	}
	out->made = accept_side ? out->storm.accepts : out->storm.conns;
	tproc_drain(&t, &t.storm_rows, out->made, 30 * SEC, SEC);
	c1 = proc_cpu_ns(t.pid);
	out->hwm_kb = proc_status_field(t.pid, "VmHWM", false);
	if (stats) {
		out->nprog = read_progs(t.pid, out->prog, MAX_PROGS);
		for (i = 0; i < out->nprog; i++)
			for (j = 0; j < nb; j++)
				if (before[j].id == out->prog[i].id) {
					out->prog[i].runs -= before[j].runs;
					out->prog[i].ns -= before[j].ns;
				}
	}
	stop(r, &t);
	out->rows = t.storm_rows;
	out->lost_reported = tproc_reported_lost(&t) + t.printed_lost;
	/* Per row of the storm's port (tcpstates: more than one a storm row). */
	out->cpu_us_per_event = t.storm_events ?
				(c1 - c0) / 1e3 / t.storm_events : NAN;
	ret = 0;
out:
	if (stats_fd >= 0)
		close(stats_fd);
	close(plfd);
	tproc_free(&t);
	return ret;
}

/*
 * Tracing BPF programs loaded on the machine right now (none of ours
 * during an untraced storm): another tracer would tax the baseline.
 */
static int foreign_progs(char *names, size_t n)
{
	__u32 id = 0;
	size_t pos = 0;
	int cnt = 0;

	if (n)
		names[0] = '\0';
	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (info.type == BPF_PROG_TYPE_KPROBE ||
		     info.type == BPF_PROG_TYPE_TRACEPOINT ||
		     info.type == BPF_PROG_TYPE_RAW_TRACEPOINT ||
		     info.type == BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE ||
		     info.type == BPF_PROG_TYPE_TRACING ||
		     info.type == BPF_PROG_TYPE_PERF_EVENT)) {
			cnt++;
			if (pos < n)
				pos += snprintf(names + pos, n - pos, "%s%s",
						pos ? " " : "", info.name);
		}
		close(fd);
	}
	return cnt;
}

static int base_storm(unsigned long conns, struct storm_result *s,
		      double *others_pct)
{
	uint16_t port;
	int lfd = new_listener(&port);

	if (lfd < 0)
		return -1;
	return storm_child(lfd, conns, 0, s, others_pct);
}

/* ---- phases ---- */

static void phase_ready(struct tres *r)
{
	int i;

	for (i = 0; i < cfg.ready_runs && i < MAX_RUNS; i++) {
		struct tproc t;
		struct ready rd;
		uint16_t pport;
		int plfd = new_listener(&pport);

		if (plfd < 0)
			return;
		if (spawn(r->d, &t, 0, pport, false)) {
			fails_add(&r->fails, "cannot start the tracer");
			close(plfd);
			return;
		}
		if (wait_ready(&t, plfd, &rd)) {
			char *e = tproc_stderr(&t);

			fails_add(&r->fails, "ready run %d: no probe row: %.200s", i, e);
			free(e);
		} else {
			r->ready_ms[r->nready] = rd.ready_ns / 1e6;
			r->header_ms[r->nready] = rd.header_ns / 1e6;
			r->startup_cpu_ms[r->nready] = rd.startup_cpu_ms;
			r->nready++;
			r->header_checked += rd.header_checked;
			r->header_valid += rd.header_valid;
			r->probe_gaps += rd.gaps;
		}
		stop(r, &t);
		tproc_free(&t);
		close(plfd);
	}
}

static void phase_idle_latency(struct tres *r)
{
	struct tproc t;
	struct ready rd;
	uint16_t pport;
	long v0, v1, iv0, iv1;
	uint64_t c0, c1, t0, t1;
	int plfd = new_listener(&pport), i;

	if (plfd < 0)
		return;
	if (spawn(r->d, &t, 0, pport, false) || wait_ready(&t, plfd, &rd)) {
		fails_add(&r->fails, "idle/latency: tracer not ready");
		goto out;
	}
	sleep_ns(200 * MS);
	v0 = proc_status_field(t.pid, "voluntary_ctxt_switches", true);
	iv0 = proc_status_field(t.pid, "nonvoluntary_ctxt_switches", true);
	c0 = proc_cpu_ns(t.pid);
	t0 = now_ns();
	sleep_ns((uint64_t)(cfg.idle_secs * SEC));
	t1 = now_ns();
	v1 = proc_status_field(t.pid, "voluntary_ctxt_switches", true);
	iv1 = proc_status_field(t.pid, "nonvoluntary_ctxt_switches", true);
	c1 = proc_cpu_ns(t.pid);
	if (v0 >= 0 && v1 >= 0) {
		double s = (t1 - t0) / 1e9;

		r->idle_ok = true;
		r->idle_vcs_s = (v1 - v0) / s;
		r->idle_ivcs_s = (iv1 - iv0) / s;
		r->idle_cpu_ms_s = (c1 - c0) / 1e6 / s;
	}
	srand(42);
	for (i = 0; i < cfg.latency_runs && i < MAX_RUNS; i++) {
		uint16_t port;
		uint64_t tc, end;

		/* Out of phase with any timer the tracer has. */
		sleep_ns((100 + rand() % 200) * MS);
		tc = probe(&t, plfd, &port);
		if (!tc)
			continue;
		end = tc + 5 * SEC;
		while (!t.seen[port] && now_ns() < end) {
			struct pollfd p = { .fd = t.probe_efd, .events = POLLIN };
			uint64_t junk;

			ssize_t k;

			poll(&p, 1, 10);
			k = read(t.probe_efd, &junk, sizeof(junk));
			(void)k;	/* only a wakeup */
		}
		if (!t.seen[port]) {
			fails_add(&r->fails, "latency probe %d: no row within 5 s", i);
			continue;
		}
		r->lat_ms[r->nlat++] = (t.seen[port] - tc) / 1e6;
	}
	r->idle_hwm_kb = proc_status_field(t.pid, "VmHWM", false);
out:
	stop(r, &t);
	tproc_free(&t);
	close(plfd);
}

static void phase_pairs(struct tres *r)
{
	int i;

	for (i = 0; i < cfg.pairs && i < MAX_RUNS; i++) {
		struct pair *p = &r->pairs[r->npairs];
		struct traced tr;
		int k;

		/* ABBA: pair 0 untraced first, pair 1 traced first, ... */
		p->base_first = !(i % 2);
		for (k = 0; k < 2; k++) {
			if ((k == 0) == p->base_first) {
				char names[sizeof(r->foreign)];
				int nf = foreign_progs(names, sizeof(names));

				if (nf > r->nforeign) {
					r->nforeign = nf;
					memcpy(r->foreign, names, sizeof(names));
				}
				if (base_storm(cfg.conns, &p->base,
					       &p->base_others)) {
					fails_add(&r->fails, "untraced storm failed");
					return;
				}
			} else if (traced_storm(r, cfg.conns, false, &tr)) {
				return;
			}
		}
		p->traced = tr.storm;
		p->traced_others = tr.others_pct;
		p->made = tr.made;
		p->rows = tr.rows;
		p->lost_reported = tr.lost_reported;
		p->cpu_us_per_event = tr.cpu_us_per_event;
		p->hwm_kb = tr.hwm_kb;
		p->slowdown = p->base.rate > 0 ?
			      (p->base.rate - p->traced.rate) * 100 / p->base.rate : NAN;
		note("%s pair %d: untraced %.0f/s %.1f us/conn (others %.0f %%), traced %.0f/s %.1f us/conn (others %.0f %%): %.1f %%, rows %lu/%lu, tracer %.2f us/event",
		     r->d->label, i, p->base.rate, p->base.cpu_us_per_conn,
		     p->base_others, p->traced.rate,
		     p->traced.cpu_us_per_conn, p->traced_others, p->slowdown,
		     p->rows, p->made, p->cpu_us_per_event);
		r->npairs++;
	}
}

static void phase_stats(struct tres *r)
{
	struct traced tr;

	if (traced_storm(r, cfg.stats_conns, true, &tr))
		return;
	r->stats_ok = tr.nprog > 0;
	if (!r->stats_ok)
		fails_add(&r->fails, "no BPF programs found in the tracer's descriptors");
	r->stats_storm = tr.storm;
	r->stats_rows = tr.rows;
	r->nprog = tr.nprog;
	memcpy(r->prog, tr.prog, sizeof(tr.prog));
}

/* tcpconnect -c: nothing may go through the ring buffer per event. */
static void phase_count(struct count_res *c)
{
	const struct tdef *d = &tdefs[0];
	uint64_t c0, c1, t0, t1, end;
	long v0, v1;
	uint16_t sport;
	struct tproc t;
	int slfd;

	memset(c, 0, sizeof(*c));
	slfd = new_listener(&sport);
	if (slfd < 0)
		return;
	if (spawn(d, &t, sport, 0, true)) {
		snprintf(c->fail, sizeof(c->fail), "cannot start netrace tcpconnect -c");
		close(slfd);
		return;
	}
	end = now_ns() + READY_TIMEOUT;
	while (!t.t_banner && tproc_alive(&t) && now_ns() < end)
		sleep_ns(MS);
	if (!t.t_banner) {
		snprintf(c->fail, sizeof(c->fail), "no banner from tcpconnect -c");
		close(slfd);
		goto out;
	}
	sleep_ns(200 * MS);
	v0 = proc_status_field(t.pid, "voluntary_ctxt_switches", true);
	c0 = proc_cpu_ns(t.pid);
	t0 = now_ns();
	if (storm_child(slfd, cfg.conns, t.pid, &c->storm, &c->others)) {
		snprintf(c->fail, sizeof(c->fail), "storm failed");
		goto out;
	}
	t1 = now_ns();
	v1 = proc_status_field(t.pid, "voluntary_ctxt_switches", true);
	c1 = proc_cpu_ns(t.pid);
	c->hwm_kb = proc_status_field(t.pid, "VmHWM", false);
	c->rows_during = t.rows;
	tproc_stop(&t, 10 * SEC);
	c->counted = t.count_sum;
	c->seconds = (t1 - t0) / 1e9;
	c->vcs = v1 - v0;
	c->tracer_cpu_ms = (c1 - c0) / 1e6;
	c->ran = true;
	c->ok = c->counted == c->storm.conns;
	if (!c->ok)
		snprintf(c->fail, sizeof(c->fail), "counted %lu of %lu connects",
			 c->counted, c->storm.conns);
out:
	tproc_stop(&t, 10 * SEC);
	tproc_free(&t);
}

/* ---- formatter micro-benchmark (a separate binary) ---- */

struct fmt_res {
	int n;
	char name[8][32];
	double rate[8], ns[8];
	bool ok;
};

static void phase_fmt(struct fmt_res *f)
{
	char cmd[PATH_MAX + 64], line[256];
	FILE *p;

	memset(f, 0, sizeof(*f));
	if (!cfg.fmtbench || access(cfg.fmtbench, X_OK))
		return;
	snprintf(cmd, sizeof(cmd), "%s -n %lu", cfg.fmtbench, cfg.fmt_rows);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p) && f->n < 8) {
		unsigned long rows;

		if (sscanf(line, "case=%31s rows=%lu rows_per_s=%lf ns_per_row=%lf",
			   f->name[f->n], &rows, &f->rate[f->n],
			   &f->ns[f->n]) == 4)
			f->n++;
	}
	f->ok = pclose(p) == 0 && f->n > 0;
}

/* ---- report ---- */

static void first_line(const char *cmd, char *buf, size_t n)
{
	FILE *p = popen(cmd, "r");

	snprintf(buf, n, "?");
	if (!p)
		return;
	if (fgets(buf, n, p))
		buf[strcspn(buf, "\n")] = '\0';
	pclose(p);
}

static void cpu_model(char *buf, size_t n)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, n, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10)) {
			char *v = strchr(line, ':');

			if (v) {
				snprintf(buf, n, "%s", v + 2);
				buf[strcspn(buf, "\n")] = '\0';
			}
			break;
		}
	fclose(f);
}

static void loadavg(char *buf, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, n, "?");
	if (f) {
		if (fgets(buf, n, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

/* Extra CPU per connection, storm's and tracer's, over the untraced. */
static double cpu_overhead(const struct pair *p)
{
	double extra;

	if (!p->base.cpu_us_per_conn || !p->traced.conns)
		return NAN;
	extra = p->traced.cpu_us_per_conn - p->base.cpu_us_per_conn +
		p->cpu_us_per_event * p->rows / p->traced.conns;
	return extra * 100 / p->base.cpu_us_per_conn;
}

static void row_start(FILE *o, const char *name)
{
	fprintf(o, "| %s |", name);
}

static void report(FILE *o, struct tres *res, int nres, struct count_res *cr,
		   struct fmt_res *fr, const char *load0, const char *load1,
		   double minutes)
{
	char model[128], buf[128], ver[128], btver[128], cmd[PATH_MAX + 64];
	struct utsname u;
	time_t now = time(NULL);
	char date[64];
	int i, k;

	uname(&u);
	cpu_model(model, sizeof(model));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	snprintf(cmd, sizeof(cmd), "%s --version 2>&1", cfg.netrace);
	first_line(cmd, ver, sizeof(ver));
	snprintf(cmd, sizeof(cmd), "%s --version 2>&1", cfg.bpftrace);
	first_line(cmd, btver, sizeof(btver));

	fprintf(o, "%s\n", MARK_BEGIN);
	fprintf(o, "## Results%s\n\n", cfg.smoke ? " (smoke run: tiny counts, not a measurement)" : "");
	fprintf(o, "Measured %s in %.1f minutes.\n\n", date, minutes);
	fprintf(o, "| | |\n|---|---|\n");
	fprintf(o, "| machine | %s, %ld cores, %ld MiB |\n", model,
		sysconf(_SC_NPROCESSORS_ONLN),
		(long)(sysconf(_SC_PHYS_PAGES) / 1024 * sysconf(_SC_PAGESIZE) / 1024));
	fprintf(o, "| kernel | %s %s %s |\n", u.sysname, u.release, u.machine);
	fprintf(o, "| netrace | %s (`%s`)%s%s |\n", ver, cfg.netrace,
		getenv("NRBENCH_SOURCE") ? ", built from " : "",
		getenv("NRBENCH_SOURCE") ? getenv("NRBENCH_SOURCE") : "");
	fprintf(o, "| bpftrace | %s |\n", btver);
	fprintf(o, "| libbpf | %u.%u (the system's) |\n", libbpf_major_version(),
		libbpf_minor_version());
	fprintf(o, "| load average | %s at start, %s at end |\n", load0, load1);
	fprintf(o, "| storm | %lu connects a storm, %d client threads, %d accepting threads, bounded to %.0f s; nice %d |\n",
		cfg.conns, cfg.threads, cfg.acceptors, cfg.max_secs, cfg.nice);
	fprintf(o, "| command | `%s` |\n", cfg.cmdline);
	for (i = 0; i < nres; i++) {
		cmdline_of(res[i].d, cmd, sizeof(cmd));
		fprintf(o, "| %s | `%s`%s%s |\n", res[i].d->key, cmd,
			res[i].skipped ? ": skipped, " : "",
			res[i].skipped ? res[i].note : "");
	}
	fprintf(o, "\nEach cell: median (min–max).  Targets: the issue's numbers for a minimal libbpf tracer (tp_btf, ring buffer, batched wakeups) and for bpftrace, on this machine.\n\n");

	fprintf(o, "| metric | target |");
	for (i = 0; i < nres; i++)
		fprintf(o, " %s |", res[i].d->label);
	fprintf(o, " bpftrace target |\n|---|---|");
	for (i = 0; i < nres; i++)
		fprintf(o, "---|");
	fprintf(o, "---|\n");

#define EACH(...) do {							\
		for (i = 0; i < nres; i++) {				\
			struct tres *r = &res[i];			\
			if (r->skipped) {				\
				fprintf(o, " skipped |");		\
				continue;				\
			}						\
			__VA_ARGS__;					\
		}							\
	} while (0)
#define ARR(field, getter, cnt) ({					\
		static double __a[MAX_RUNS];				\
		int __j;						\
		for (__j = 0; __j < (cnt); __j++)			\
			__a[__j] = (getter);				\
		__a; })

	row_start(o, "ready after exec, ms (first probe connect shown)");
	fprintf(o, " 26 |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf), r->ready_ms, r->nready, 1)));
	fprintf(o, " 540 |\n");

	row_start(o, "header line after exec, ms");
	fprintf(o, " |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf), r->header_ms, r->nready, 1)));
	fprintf(o, " |\n");

	row_start(o, "every probe after the header shown (runs)");
	fprintf(o, " |");
	EACH(fprintf(o, " %d of %d |", r->header_valid, r->header_checked));
	fprintf(o, " |\n");

	row_start(o, "CPU to start, ms");
	fprintf(o, " |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf), r->startup_cpu_ms, r->nready, 0)));
	fprintf(o, " |\n");

	row_start(o, "peak RSS (VmHWM) after a storm, MiB");
	fprintf(o, " 13.4 |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf),
		ARR(x, r->pairs[__j].hwm_kb / 1024.0, r->npairs), r->npairs, 1)));
	fprintf(o, " 100 |\n");

	row_start(o, "storm untraced, conn/s");
	fprintf(o, " ~37,000 |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf),
		ARR(x, r->pairs[__j].base.rate, r->npairs), r->npairs, 0)));
	fprintf(o, " |\n");

	row_start(o, "storm traced, conn/s");
	fprintf(o, " |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf),
		ARR(x, r->pairs[__j].traced.rate, r->npairs), r->npairs, 0)));
	fprintf(o, " |\n");

	row_start(o, "**storm slowdown, %** (pairwise)");
	fprintf(o, " 1.3 |");
	EACH(fprintf(o, " **%s** |", mmm(buf, sizeof(buf),
		ARR(x, r->pairs[__j].slowdown, r->npairs), r->npairs, 1)));
	fprintf(o, " 34 |\n");

	row_start(o, "storm CPU per connection untraced → traced, µs");
	fprintf(o, " |");
	EACH(fprintf(o, " %.1f → %.1f |",
		median(ARR(x, r->pairs[__j].base.cpu_us_per_conn, r->npairs), r->npairs),
		median(ARR(x, r->pairs[__j].traced.cpu_us_per_conn, r->npairs), r->npairs)));
	fprintf(o, " |\n");

	row_start(o, "CPU cost of tracing, % of the untraced storm's CPU (storm's extra + tracer's)");
	fprintf(o, " |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf),
		ARR(x, cpu_overhead(&r->pairs[__j]), r->npairs), r->npairs, 1)));
	fprintf(o, " |\n");

	row_start(o, "other processes' CPU during the storms, % of the machine");
	fprintf(o, " |");
	EACH({
		double a[2 * MAX_RUNS];
		for (k = 0; k < r->npairs; k++) {
			a[2 * k] = r->pairs[k].base_others;
			a[2 * k + 1] = r->pairs[k].traced_others;
		}
		fprintf(o, " %s |", mmm(buf, sizeof(buf), a, 2 * r->npairs, 0));
	});
	fprintf(o, " |\n");

	row_start(o, "**tracer CPU per event, µs**");
	fprintf(o, " 1.3 |");
	EACH(fprintf(o, " **%s** |", mmm(buf, sizeof(buf),
		ARR(x, r->pairs[__j].cpu_us_per_event, r->npairs), r->npairs, 2)));
	fprintf(o, " 17.3 |\n");

	row_start(o, "rows printed / connections made (all pairs)");
	fprintf(o, " |");
	EACH({
		unsigned long rows = 0, made = 0;
		for (k = 0; k < r->npairs; k++) {
			rows += r->pairs[k].rows;
			made += r->pairs[k].made;
		}
		fprintf(o, " %lu / %lu |", rows, made);
	});
	fprintf(o, " |\n");

	row_start(o, "**missing rows** (lost reported by the tracer)");
	fprintf(o, " 0 over 1.5 M |");
	EACH({
		unsigned long rows = 0, made = 0, lost = 0;
		for (k = 0; k < r->npairs; k++) {
			rows += r->pairs[k].rows;
			made += r->pairs[k].made;
			lost += r->pairs[k].lost_reported;
		}
		fprintf(o, " **%ld** (%lu) |", (long)made - (long)rows, lost);
	});
	fprintf(o, " |\n");

	row_start(o, "in-kernel ns per program run (bpf_stats)");
	fprintf(o, " 146 |");
	EACH({
		if (!r->stats_ok) {
			fprintf(o, " – |");
			continue;
		}
		fprintf(o, " ");
		for (k = 0; k < r->nprog; k++)
			fprintf(o, "%s%s: %.0f", k ? "; " : "", r->prog[k].name,
				r->prog[k].runs ? (double)r->prog[k].ns / r->prog[k].runs : 0.0);
		fprintf(o, " |");
	});
	fprintf(o, " 1,430 |\n");

	row_start(o, "program runs per connection");
	fprintf(o, " |");
	EACH({
		if (!r->stats_ok || !r->stats_storm.conns) {
			fprintf(o, " – |");
			continue;
		}
		fprintf(o, " ");
		for (k = 0; k < r->nprog; k++)
			fprintf(o, "%s%s: %.2f", k ? "; " : "", r->prog[k].name,
				(double)r->prog[k].runs / r->stats_storm.conns);
		fprintf(o, " |");
	});
	fprintf(o, " |\n");

	row_start(o, "**in-kernel ns per connection** (all programs)");
	fprintf(o, " |");
	EACH({
		unsigned long long ns = 0;
		if (!r->stats_ok || !r->stats_storm.conns) {
			fprintf(o, " – |");
			continue;
		}
		for (k = 0; k < r->nprog; k++)
			ns += r->prog[k].ns;
		fprintf(o, " **%.0f** |", (double)ns / r->stats_storm.conns);
	});
	fprintf(o, " |\n");

	row_start(o, "latency connect → row, quiet, ms");
	fprintf(o, " ≤ ~100 |");
	EACH(fprintf(o, " %s |", mmm(buf, sizeof(buf), r->lat_ms, r->nlat, 1)));
	fprintf(o, " |\n");

	row_start(o, "idle: voluntary context switches per s");
	fprintf(o, " ≤ 10 |");
	EACH(if (r->idle_ok) fprintf(o, " %.1f |", r->idle_vcs_s); else fprintf(o, " – |"));
	fprintf(o, " |\n");

	row_start(o, "idle: CPU, ms per s");
	fprintf(o, " |");
	EACH(if (r->idle_ok) fprintf(o, " %.2f |", r->idle_cpu_ms_s); else fprintf(o, " – |"));
	fprintf(o, " |\n");

	row_start(o, "other tracing BPF programs loaded during untraced storms");
	fprintf(o, " |");
	EACH(fprintf(o, " %d%s%s%s |", r->nforeign, r->nforeign ? " (" : "",
		     r->foreign, r->nforeign ? ")" : ""));
	fprintf(o, " |\n");

	row_start(o, "extra SIGINTs needed (still running 3 s after one)");
	fprintf(o, " |");
	EACH(fprintf(o, " %d |", r->extra_sigints));
	fprintf(o, " |\n");

	row_start(o, "failures");
	fprintf(o, " |");
	EACH(fprintf(o, " %s |", r->fails.n ? r->fails.text : "none"));
	fprintf(o, " |\n");

	fprintf(o, "\nThe ready probe is a loopback connect made every %llu ms from exec on; \"ready\" is when the first one that shows up as a row was made.  Probes after it that never showed up: ",
		PROBE_EVERY / MS);
	for (i = 0; i < nres; i++)
		fprintf(o, "%s%s %lu", i ? ", " : "", res[i].d->key, res[i].probe_gaps);
	fprintf(o, ".  Slowdown is (untraced − traced) / untraced of each pair; CPU cost adds the storm's extra CPU per connection and the tracer's, over the untraced storm's; tracer CPU is the tracer's schedstat run time from ready to the last row, over the rows.  In-kernel numbers come from one more traced storm of %lu connects with BPF run-time statistics on (kernel.bpf_stats_enabled through BPF_ENABLE_STATS, off again when it ends); programs count every connection on the machine, so other traffic during that storm shows as more runs per connection than the storm's own (6 state changes and 1 connect() for tcpconnect, 1 accept for tcpaccept).\n\n",
		cfg.stats_conns);

	if (cr && (cr->ran || cr->fail[0])) {
		fprintf(o, "### tcpconnect -c (count mode)\n\n");
		fprintf(o, "| connects | counted | rows during the storm | tracer CPU during the storm, ms | voluntary context switches | storm s | storm conn/s | storm µs/conn | others %% | VmHWM MiB |\n|---|---|---|---|---|---|---|---|---|---|\n");
		fprintf(o, "| %lu | %lu | %lu | %.1f | %.0f (%.1f/s) | %.2f | %.0f | %.1f | %.0f | %.1f |\n\n",
			cr->storm.conns, cr->counted, cr->rows_during,
			cr->tracer_cpu_ms, cr->vcs,
			cr->seconds > 0 ? cr->vcs / cr->seconds : 0, cr->seconds,
			cr->storm.rate, cr->storm.cpu_us_per_conn, cr->others,
			cr->hwm_kb / 1024.0);
		if (cr->fail[0])
			fprintf(o, "Failure: %s\n\n", cr->fail);
	}

	if (fr && fr->n) {
		fprintf(o, "### Formatter (`fmtbench -n %lu`, rows to /dev/null)\n\n", cfg.fmt_rows);
		fprintf(o, "| case | rows/s | ns/row | target |\n|---|---|---|---|\n");
		for (k = 0; k < fr->n; k++)
			fprintf(o, "| %s | %.0f | %.0f | ≥ 2,000,000 |\n", fr->name[k],
				fr->rate[k], fr->ns[k]);
		fprintf(o, "\n");
	}

	fprintf(o, "### Every pair\n\n");
	for (i = 0; i < nres; i++) {
		struct tres *r = &res[i];

		if (r->skipped || !r->npairs)
			continue;
		fprintf(o, "<details><summary>%s</summary>\n\n", r->d->label);
		fprintf(o, "| pair | order | untraced conn/s | traced conn/s | slowdown %% | storm µs/conn untraced → traced | CPU cost %% | others %% untraced, traced | rows / made | lost reported | tracer µs/event | VmHWM MiB | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
		for (k = 0; k < r->npairs; k++) {
			struct pair *p = &r->pairs[k];

			fprintf(o, "| %d | %s | %.0f | %.0f | %.1f | %.1f → %.1f | %.1f | %.0f, %.0f | %lu / %lu | %lu | %.2f | %.1f | %lu + %lu |\n",
				k, p->base_first ? "U T" : "T U",
				p->base.rate, p->traced.rate, p->slowdown,
				p->base.cpu_us_per_conn, p->traced.cpu_us_per_conn,
				cpu_overhead(p), p->base_others, p->traced_others,
				p->rows, p->made, p->lost_reported,
				p->cpu_us_per_event, p->hwm_kb / 1024.0,
				p->base.errors + p->base.unanswered,
				p->traced.errors + p->traced.unanswered);
		}
		fprintf(o, "\n</details>\n\n");
	}
	fprintf(o, "%s\n", MARK_END);
#undef EACH
#undef ARR
}

/* Replace the marked block of path with text, or add one (a new file). */
static int write_out(const char *path, const char *text)
{
	char *old = NULL, *b, *e;
	size_t n = 0;
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (f) {
		char chunk[65536];
		size_t k;

		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			char *q = realloc(old, n + k + 1);

			if (!q)
				break;
			old = q;
			memcpy(old + n, chunk, k);
			n += k;
			old[n] = '\0';
		}
		fclose(f);
	}
	f = fopen(path, "w");
	if (!f) {
		note("cannot write %s: %s", path, strerror(errno));
		free(old);
		return -1;
	}
	b = old ? strstr(old, MARK_BEGIN) : NULL;
	e = b ? strstr(b, MARK_END) : NULL;
	if (b && e) {
		e += strlen(MARK_END);
		if (*e == '\n')
			e++;
		fwrite(old, 1, b - old, f);
		fputs(text, f);
		fputs(e, f);
	} else if (old && n) {
		/* No block yet: keep what is there, add one at the end. */
		fputs(old, f);
		fputs(old[n - 1] == '\n' ? "\n" : "\n\n", f);
		fputs(text, f);
	} else {
		fputs("# netrace benchmarks\n\n", f);
		fputs(text, f);
	}
	if (fclose(f))
		ret = -1;
	free(old);
	return ret;
}

/* ---- main ---- */

static bool in_list(const char *list, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = list; (p = strstr(p, key)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static bool have_prog(const char *name)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", name);
	return !system(cmd);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: nrbench --netrace PATH [options]\n"
"  --netrace PATH      netrace binary under test (or $NETRACE)\n"
"  --bpftrace PATH     bpftrace binary (default: bpftrace in PATH)\n"
"  --bt-dir DIR        where tcpconnect.bt, tcpaccept.bt and tcplife.bt are\n"
"  --fmtbench PATH     formatter micro-benchmark to run (default: next to nrbench)\n"
"  --tracers LIST      of tcpconnect,tcpconnect-nol,tcpaccept,bt-tcpconnect,\n"
"                      bt-tcpaccept,tcplife,bt-tcplife,tcpstates,tcpconnlat,\n"
"                      tcptracer (default all)\n"
"  --netrace-opt OPT   one more option for netrace (\"--attach tracepoint\")\n"
"  --pairs N           untraced/traced storm pairs per tracer (default 10)\n"
"  --conns N           connects per storm (default 60000)\n"
"  --stats-conns N     connects of the bpf_stats storm (default: --conns)\n"
"  --threads N         client threads (default 2)\n"
"  --acceptors N       accepting threads (default 1)\n"
"  --max-secs S        time bound of one storm (default 30)\n"
"  --ready-runs N      exec-to-ready measurements per tracer (default 10)\n"
"  --latency-runs N    single-connect latency samples (default 20)\n"
"  --idle-secs S       idle wakeup measurement (default 5)\n"
"  --nice N            priority of the benchmark and its tracers (default -10:\n"
"                      ahead of unrelated work on a shared machine)\n"
"  --fmt-rows N        rows per formatter case (default 2000000)\n"
"  --no-stats          skip the bpf_stats storm\n"
"  --no-count          skip the tcpconnect -c storm\n"
"  --out FILE          also write the results into FILE (between its markers)\n"
"  --smoke             tiny counts: check that everything runs\n");
}

int main(int argc, char **argv)
{
	enum { O_NETRACE = 256, O_BPFTRACE, O_BTDIR, O_FMT, O_TRACERS, O_PAIRS,
	       O_CONNS, O_SCONNS, O_THREADS, O_ACC, O_MAXS, O_READY, O_LAT,
	       O_IDLE, O_FROWS, O_NOSTATS, O_NOCOUNT, O_OUT, O_SMOKE, O_HELP,
	       O_NOPT, O_NICE };
	static const struct option lo[] = {
		{ "netrace", 1, 0, O_NETRACE }, { "bpftrace", 1, 0, O_BPFTRACE },
		{ "bt-dir", 1, 0, O_BTDIR }, { "fmtbench", 1, 0, O_FMT },
		{ "tracers", 1, 0, O_TRACERS }, { "pairs", 1, 0, O_PAIRS },
		{ "conns", 1, 0, O_CONNS }, { "stats-conns", 1, 0, O_SCONNS },
		{ "threads", 1, 0, O_THREADS }, { "acceptors", 1, 0, O_ACC },
		{ "max-secs", 1, 0, O_MAXS }, { "ready-runs", 1, 0, O_READY },
		{ "latency-runs", 1, 0, O_LAT }, { "idle-secs", 1, 0, O_IDLE },
		{ "fmt-rows", 1, 0, O_FROWS }, { "no-stats", 0, 0, O_NOSTATS },
		{ "no-count", 0, 0, O_NOCOUNT }, { "out", 1, 0, O_OUT },
		{ "smoke", 0, 0, O_SMOKE }, { "help", 0, 0, O_HELP },
		{ "netrace-opt", 1, 0, O_NOPT }, { "nice", 1, 0, O_NICE },
		{ 0 }
	};
	static struct tres res[NTDEFS];
	struct count_res cr = {};
	struct fmt_res fr = {};
	char self[PATH_MAX], fmtpath[PATH_MAX + 16], load0[64], load1[64];
	bool smoke_set_counts = false;
	int c, i, nres = 0, bad = 0;
	uint64_t start;
	char *text = NULL;
	size_t textlen = 0;
	FILE *mem;
	size_t pos = 0;

	for (i = 0; i < argc && pos < sizeof(cfg.cmdline) - 1; i++)
		pos += snprintf(cfg.cmdline + pos, sizeof(cfg.cmdline) - pos,
				"%s%s", i ? " " : "", argv[i]);
	cfg.netrace = getenv("NETRACE");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_NETRACE: cfg.netrace = optarg; break;
		case O_BPFTRACE: cfg.bpftrace = optarg; break;
		case O_BTDIR: cfg.bt_dir = optarg; break;
		case O_FMT: cfg.fmtbench = optarg; break;
		case O_TRACERS: cfg.tracers = optarg; break;
		case O_PAIRS: cfg.pairs = atoi(optarg); break;
		case O_CONNS: cfg.conns = strtoul(optarg, NULL, 0); break;
		case O_SCONNS: cfg.stats_conns = strtoul(optarg, NULL, 0); break;
		case O_THREADS: cfg.threads = atoi(optarg); break;
		case O_ACC: cfg.acceptors = atoi(optarg); break;
		case O_MAXS: cfg.max_secs = atof(optarg); break;
		case O_READY: cfg.ready_runs = atoi(optarg); break;
		case O_LAT: cfg.latency_runs = atoi(optarg); break;
		case O_IDLE: cfg.idle_secs = atof(optarg); break;
		case O_FROWS: cfg.fmt_rows = strtoul(optarg, NULL, 0); break;
		case O_NOSTATS: cfg.no_stats = true; break;
		case O_NOCOUNT: cfg.no_count = true; break;
		case O_OUT: cfg.out = optarg; break;
		case O_SMOKE: cfg.smoke = smoke_set_counts = true; break;
		case O_NOPT: cfg.netrace_opt = optarg; break;
		case O_NICE: cfg.nice = atoi(optarg); break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !cfg.netrace || cfg.pairs < 0 || !cfg.conns ||
	    cfg.threads < 1 || cfg.acceptors < 1) {
		usage(stderr);
		return 2;
	}
	if (smoke_set_counts) {
		cfg.pairs = 1;
		cfg.conns = 2000;
		cfg.ready_runs = 1;
		cfg.latency_runs = 2;
		cfg.idle_secs = 1;
		cfg.fmt_rows = 20000;
	}
	if (!cfg.stats_conns)
		cfg.stats_conns = cfg.conns;
	if (cfg.pairs > MAX_RUNS || cfg.ready_runs > MAX_RUNS ||
	    cfg.latency_runs > MAX_RUNS) {
		note("at most %d runs of a kind", MAX_RUNS);
		return 2;
	}
	if (!cfg.fmtbench) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n > 0) {
			self[n] = '\0';
			*strrchr(self, '/') = '\0';
			snprintf(fmtpath, sizeof(fmtpath), "%s/fmtbench", self);
			cfg.fmtbench = fmtpath;
		}
	}
	if ((i = tproc_need_root("nrbench")))
		return i;
	if (access(cfg.netrace, X_OK)) {
		note("netrace binary %s: %s", cfg.netrace, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (setpriority(PRIO_PROCESS, 0, cfg.nice))
		note("setpriority(%d): %s", cfg.nice, strerror(errno));
	loadavg(load0, sizeof(load0));
	start = now_ns();

	for (i = 0; i < (int)NTDEFS; i++) {
		struct tres *r;

		if (!in_list(cfg.tracers, tdefs[i].key))
			continue;
		r = &res[nres++];
		r->d = &tdefs[i];
		r->fails.prog = "nrbench";
		r->fails.who = r->d->label;
		if (r->d->bt && !have_prog(cfg.bpftrace)) {
			r->skipped = true;
			snprintf(r->note, sizeof(r->note), "%s not installed (apt-get install bpftrace)",
				 cfg.bpftrace);
			note("%s: %s", r->d->label, r->note);
			continue;
		}
		note("%s: ready", r->d->label);
		phase_ready(r);
		note("%s: idle and latency", r->d->label);
		phase_idle_latency(r);
		note("%s: %d storm pairs", r->d->label, cfg.pairs);
		phase_pairs(r);
		if (!cfg.no_stats) {
			note("%s: bpf_stats storm", r->d->label);
			phase_stats(r);
		}
		if (!r->nready || (cfg.pairs && !r->npairs))
			bad++;
		else if (r->fails.n)
			bad++;
	}
	if (!cfg.no_count && in_list(cfg.tracers, "tcpconnect")) {
		note("netrace tcpconnect -c storm");
		phase_count(&cr);
		/* A wrong count is a finding for the table, not a failure. */
		if (!cr.ran)
			bad++;
	}
	note("formatter");
	phase_fmt(&fr);
	if (cfg.fmtbench && !access(cfg.fmtbench, X_OK) && !fr.ok) {
		note("fmtbench failed");
		bad++;
	}
	loadavg(load1, sizeof(load1));

	mem = open_memstream(&text, &textlen);
	if (!mem)
		return 1;
	report(mem, res, nres, cfg.no_count ? NULL : &cr, &fr, load0, load1,
	       (now_ns() - start) / 60e9);
	fclose(mem);
	fputs(text, stdout);
	if (cfg.out && write_out(cfg.out, text))
		bad++;
	free(text);
	if (bad)
		note("%d part(s) failed", bad);
	return bad ? 1 : 0;
}
