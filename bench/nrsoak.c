// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nrsoak: each tracing applet, as "netrace APPLET -j", through a long
 * paced mixed storm (mixstorm.h).  Every interval it samples the tracer's
 * RSS (VmRSS), open descriptors (/proc/PID/fd) and CPU time (schedstat:
 * the tracer takes a few ms a second, below the 10 ms ticks of
 * /proc/PID/stat) and prints a line of the curve.  It fails when RSS,
 * descriptors or CPU per event grow (trend.h), when the tracer reports
 * lost events, and unless the tracer's rows from the storm's processes
 * and the storm's log are the same multiset, field by field.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mixstorm.h"
#include "storm.h"
#include "tproc.h"
#include "trend.h"

#define SEC		1000000000ULL
#define MS		1000000ULL
#define PROBE_COMM	"soakprobe"	/* rows of the readiness probes */
#define READY_NS	(30 * SEC)
#define DRAIN_MAX_NS	(30 * SEC)
#define DRAIN_QUIET_NS	(2 * SEC)
#define MAX_KEYS	12
#define MAX_SHOWN	5		/* examples of each kind of mismatch */
#define RATE_TOL	1.25		/* CPU per event: at about the same rate */

/* The storm's names, "nrsPID-...": this run's rows and no other's. */
static char tag[MIX_TAG_MAX + 1];

/* An applet's rows: its JSON keys, and which hold the row's four fields. */
struct applet {
	const char *name;
	enum mix_side side;		/* the storm's log lines it shows */
	const char *keys[MAX_KEYS];	/* every key of a row */
	const char *laddr, *lport, *raddr, *rport;
	bool has_clock;			/* "time": "HH:MM:SS" */
};

static const struct applet applets[] = {
	{ "tcpconnect", MIX_CONNECT,
	  { "time_s", "uid", "pid", "comm", "ip", "saddr", "lport", "daddr",
	    "dport" }, "saddr", "lport", "daddr", "dport", false },
	{ "tcpaccept", MIX_ACCEPT,
	  { "time", "time_s", "uid", "pid", "comm", "ip", "raddr", "rport",
	    "laddr", "lport" }, "laddr", "lport", "raddr", "rport", true },
};
#define NAPPLETS (sizeof(applets) / sizeof(applets[0]))

/* A row, or what the log says it must be: compared with memcmp. */
struct row {
	uint32_t pid, uid;
	uint16_t lport, rport;
	uint8_t ip, pad[3];
	char comm[16];
	uint8_t laddr[16], raddr[16];
};

struct sample {
	double t;			/* seconds since the storm began */
	long rss_kb, fds;
	uint64_t cpu_ns;
	unsigned long events;		/* every row printed, anyone's */
	unsigned long ours;		/* rows of the storm's comms */
	unsigned long made;		/* connects started */
};

struct cfg {
	const char *netrace;
	const char *applets;
	double secs, interval;
	unsigned int rate, child_every;
	int threads;
	double rss_slack_kb, fd_slack, cpu_rel, cpu_abs_us;
};

/* One applet's soak. */
struct run {
	const struct applet *a;
	/* written by the reader thread */
	_Atomic unsigned long events, ours, not_json, bad;
	_Atomic bool probe_seen;
	char own_pid[32];		/* "\"pid\":N," of this process */
	char own_comm[32];		/* "\"comm\":\"TAG-" of the storm */
	char bad_line[256];
	struct row *rows;
	size_t nrows, caprows;
	bool rows_oom;
	/* the curve */
	struct sample *s;
	int ns, caps;
	struct trend rss, fds, cpu;
	int cpu_same_rate;		/* intervals at the usual event rate */
	/* the verdict */
	struct mix_stats storm;
	unsigned long expected, matched, missing, unexpected, dups, foreign;
	unsigned long lost;
	struct fails fails;
};

static struct cfg cfg = {
	.applets = "tcpconnect,tcpaccept",
	/* the storm */
	.secs = 600, .rate = 2000, .child_every = 25, .threads = 2,
	/* what counts as growth (trend.h) */
	.rss_slack_kb = 256, .fd_slack = 1, .cpu_rel = 0.5, .cpu_abs_us = 0.1,
};

/* ---- rows: JSON from the tracer, and from the log ---- */

static bool has_key(const struct applet *a, const char *key)
{
	int i;

	for (i = 0; i < MAX_KEYS && a->keys[i]; i++)
		if (!strcmp(a->keys[i], key))
			return true;
	return false;
}

static int nkeys(const struct applet *a)
{
	int i = 0;

	while (i < MAX_KEYS && a->keys[i])
		i++;
	return i;
}

/* An address in its canonical text for its family, else false. */
static bool take_addr(json_t *o, const char *key, int ip, uint8_t out[16])
{
	const char *s = json_string_value(json_object_get(o, key));
	int af = ip == 6 ? AF_INET6 : AF_INET;
	char back[INET6_ADDRSTRLEN];

	return s && inet_pton(af, s, out) == 1 &&
	       inet_ntop(af, out, back, sizeof(back)) && !strcmp(back, s);
}

static bool take_int(json_t *o, const char *key, long long max,
		     long long *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j))
		return false;
	*v = json_integer_value(j);
	return *v >= 0 && *v <= max;
}

static bool clock_ok(const char *s)
{
	static const char shape[] = "dd:dd:dd";
	int i;

	if (!s || strlen(s) != 8)
		return false;
	for (i = 0; i < 8; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != ':')
			return false;
	return true;
}

/* Every documented key and no other, each of its type; false if not. */
static bool parse_row(const struct applet *a, json_t *o, struct row *r)
{
	long long pid, uid, ip, lp, rp;
	const char *key, *comm;
	json_t *v;

	if ((int)json_object_size(o) != nkeys(a))
		return false;
	json_object_foreach(o, key, v)
		if (!has_key(a, key))
			return false;
	comm = json_string_value(json_object_get(o, "comm"));
	if (!json_is_number(json_object_get(o, "time_s")) || !comm ||
	    strlen(comm) > 15 ||
	    (a->has_clock &&
	     !clock_ok(json_string_value(json_object_get(o, "time")))) ||
	    !take_int(o, "pid", UINT32_MAX, &pid) ||
	    !take_int(o, "uid", UINT32_MAX, &uid) ||
	    !take_int(o, "ip", 6, &ip) || (ip != 4 && ip != 6) ||
	    !take_int(o, a->lport, 65535, &lp) ||
	    !take_int(o, a->rport, 65535, &rp))
		return false;
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->uid = uid;
	r->ip = ip;
	r->lport = lp;
	r->rport = rp;
	strcpy(r->comm, comm);
	return take_addr(o, a->laddr, ip, r->laddr) &&
	       take_addr(o, a->raddr, ip, r->raddr);
}

static bool is_mapped(const uint8_t a[16])
{
	static const uint8_t pre[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, pre, sizeof(pre));
}

/*
 * The row a log line must show.  tcpconnect shows an IPv6 socket's
 * connect to an IPv4-mapped address as IPv4 (as BCC does); tcpaccept
 * shows a dual-stack listener's IPv4 client as IPv6, ::ffff:a.b.c.d.
 */
static void expect_row(const struct mix_rec *m, uid_t uid, struct row *r)
{
	memset(r, 0, sizeof(*r));
	r->pid = m->pid;
	r->uid = uid;
	memcpy(r->comm, m->comm, sizeof(r->comm) - 1);
	r->lport = m->lport;
	r->rport = m->rport;
	r->ip = m->family == AF_INET6 ? 6 : 4;
	memcpy(r->laddr, m->laddr, 16);
	memcpy(r->raddr, m->raddr, 16);
	if (m->side == MIX_CONNECT && r->ip == 6 && is_mapped(m->raddr)) {
		r->ip = 4;
		memmove(r->laddr, r->laddr + 12, 4);
		memmove(r->raddr, r->raddr + 12, 4);
		memset(r->laddr + 4, 0, 12);
		memset(r->raddr + 4, 0, 12);
	}
}

static const char *row_text(const struct run *run, const struct row *r,
			    char *buf, size_t n)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	int af = r->ip == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, r->laddr, la, sizeof(la));
	inet_ntop(af, r->raddr, ra, sizeof(ra));
	snprintf(buf, n, "pid %u comm %s uid %u ip %u %s %s %u %s %s %u",
		 r->pid, r->comm, r->uid, r->ip, run->a->laddr, la, r->lport,
		 run->a->raddr, ra, r->rport);
	return buf;
}

/* ---- the tracer's stdout, line by line (the reader thread) ---- */

static void keep_row(struct run *r, const struct row *row)
{
	if (r->nrows == r->caprows) {
		size_t cap = r->caprows ? r->caprows * 2 : 65536;
		struct row *q = realloc(r->rows, cap * sizeof(*q));

		if (!q) {
			r->rows_oom = true;
			return;
		}
		r->rows = q;
		r->caprows = cap;
	}
	r->rows[r->nrows++] = *row;
	r->ours++;
}

static void bad_row(struct run *r, const char *line, size_t len)
{
	if (!r->bad++)
		snprintf(r->bad_line, sizeof(r->bad_line), "%.*s", (int)len,
			 line);
}

static void on_line(void *ctx, const char *line, size_t len, uint64_t now)
{
	static const char probe[] = "\"comm\":\"" PROBE_COMM "\"";
	struct run *r = ctx;
	bool own_pid;
	struct row row;
	json_t *o;

	(void)now;
	if (!len || line[0] != '{') {
		r->not_json++;
		bad_row(r, line, len);
		return;
	}
	r->events++;
	own_pid = memmem(line, len, r->own_pid, strlen(r->own_pid));
	if (memmem(line, len, probe, sizeof(probe) - 1)) {
		/* Another nrsoak's probe says nothing about ours. */
		r->probe_seen = r->probe_seen || own_pid;
		return;
	}
	/*
	 * Other processes' rows are not kept: those of our storm carry its
	 * tag or come from this process.  Whether their pids are the
	 * storm's is checked at the end.
	 */
	if (!own_pid && !memmem(line, len, r->own_comm, strlen(r->own_comm)))
		return;
	o = json_loadb(line, len, 0, NULL);
	if (o && json_is_object(o) && parse_row(r->a, o, &row))
		keep_row(r, &row);
	else
		bad_row(r, line, len);
	json_decref(o);
}

/* ---- the tracer ---- */

/* One connect and accept on a listener of its own, by PROBE_COMM. */
static void probe(void)
{
	char name[16] = "";
	int l, c, s;

	prctl(PR_GET_NAME, name);
	prctl(PR_SET_NAME, PROBE_COMM);
	l = storm_listen_at(AF_INET, "127.0.0.1", 0, NULL);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l >= 0 && c >= 0) {
		struct sockaddr_storage a;
		socklen_t len = sizeof(a);

		if (!getsockname(l, (struct sockaddr *)&a, &len) &&
		    !connect(c, (struct sockaddr *)&a, len)) {
			s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
			if (s >= 0)
				close(s);
		}
	}
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	prctl(PR_SET_NAME, name);
}

/* Probe every 20 ms until a probe's row comes back. */
static int wait_ready(struct tproc *t, struct run *r)
{
	uint64_t end = now_ns() + READY_NS;

	while (!r->probe_seen) {
		if (!tproc_alive(t) || now_ns() > end)
			return -1;
		probe();
		sleep_ns(20 * MS);
	}
	return 0;
}

static int start_tracer(struct tproc *t, struct run *r)
{
	char *argv[] = { (char *)cfg.netrace, (char *)r->a->name, "-j", NULL };
	char *e;

	snprintf(r->own_pid, sizeof(r->own_pid), "\"pid\":%d,", getpid());
	snprintf(r->own_comm, sizeof(r->own_comm), "\"comm\":\"%s-", tag);
	if (tproc_spawn_lines(t, argv, on_line, r)) {
		fails_add(&r->fails, "cannot start %s", cfg.netrace);
		return -1;
	}
	if (!wait_ready(t, r))
		return 0;
	e = tproc_stderr(t);
	fails_add(&r->fails, "not ready within %llu s: %.300s", READY_NS / SEC, e);
	free(e);
	return -1;
}

/* What the tracer said on stderr besides its banner, for the reader. */
static void show_stderr(struct tproc *t, const struct run *r)
{
	char *e = tproc_stderr(t), *line, *save = NULL;

	for (line = strtok_r(e, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "Tracing ", 8))
			fprintf(stderr, "nrsoak: %s: its stderr: %s\n",
				r->a->name, line);
	free(e);
}

/* SIGINT must end it at once, with status 0. */
static void stop_tracer(struct tproc *t, struct run *r)
{
	tproc_stop(t, 10 * SEC);
	show_stderr(t, r);
	if (t->killed || t->sigints > 1)
		fails_add(&r->fails, "did not stop on SIGINT (%d sent%s)", t->sigints,
			  t->killed ? ", then SIGKILL" : "");
	else if (!WIFEXITED(t->status) || WEXITSTATUS(t->status))
		fails_add(&r->fails, "exit status %d after SIGINT",
			  WIFEXITED(t->status) ? WEXITSTATUS(t->status) :
			  128 + WTERMSIG(t->status));
	r->lost = tproc_reported_lost(t);
}

/* ---- the curve ---- */

static long count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static double cpu_per_event_us(const struct sample *a, const struct sample *b)
{
	unsigned long ev = b->events - a->events;

	return ev ? (b->cpu_ns - a->cpu_ns) / 1e3 / ev : NAN;
}

static void print_sample(const struct run *r, const struct sample *s,
			 const struct sample *prev)
{
	double dt = s->t - prev->t;

	printf("%-10s %7.1f %9ld %4ld %10.1f %10lu %8.0f %10.3f %10lu %10lu\n",
	       r->a->name, s->t, s->rss_kb, s->fds, s->cpu_ns / 1e6,
	       s->events, dt > 0 ? (s->events - prev->events) / dt : 0,
	       cpu_per_event_us(prev, s), s->ours, s->made);
	fflush(stdout);
}

static int take_sample(struct run *r, pid_t pid, uint64_t t0,
		       struct mixstorm *m)
{
	struct sample *s;

	if (r->ns == r->caps) {
		int cap = r->caps ? r->caps * 2 : 256;
		struct sample *q = realloc(r->s, cap * sizeof(*q));

		if (!q)
			return -1;
		r->s = q;
		r->caps = cap;
	}
	s = &r->s[r->ns];
	s->t = (now_ns() - t0) / 1e9;
	s->rss_kb = proc_status_field(pid, "VmRSS", false);
	s->fds = count_fds(pid);
	s->cpu_ns = proc_cpu_ns(pid);
	s->events = r->events;
	s->ours = r->ours;
	s->made = mix_progress(m);
	if (r->ns)
		print_sample(r, s, &r->s[r->ns - 1]);
	r->ns++;
	return 0;
}

/* Sample every interval until the storm's end. */
static void sample_storm(struct run *r, struct tproc *t, struct mixstorm *m)
{
	uint64_t t0 = now_ns(), next = t0;

	printf("%-10s %7s %9s %4s %10s %10s %8s %10s %10s %10s\n", "applet",
	       "t_s", "rss_kib", "fds", "cpu_ms", "events", "ev_per_s",
	       "cpu_us_ev", "storm_rows", "connects");
	take_sample(r, t->pid, t0, m);
	while (!mix_over(m)) {
		next += (uint64_t)(cfg.interval * SEC);
		while (now_ns() < next && !mix_over(m))
			sleep_ns(20 * MS);
		if (!tproc_alive(t)) {
			fails_add(&r->fails, "the tracer died during the storm");
			return;
		}
		/* A last, shorter interval would be a noisy sample. */
		if (now_ns() >= next)
			take_sample(r, t->pid, t0, m);
	}
}

/* ---- verdicts ---- */

static void judge(struct run *r, const char *what, const double *v, int n,
		  const struct trend_rule *rule, struct trend *t,
		  const char *unit, int prec)
{
	if (trend_check(v, n, rule, t)) {
		fails_add(&r->fails, "%s: %d samples after warm-up: too few to judge",
			  what, t->judged);
		return;
	}
	if (t->grew)
		fails_add(&r->fails, "%s grew: median of the last third %.*f%s, of the first third %.*f%s (allowed +%.*f)",
			  what, prec, t->last, unit, prec, t->first, unit,
			  prec, t->allowed);
}

static void judge_curve(struct run *r)
{
	int n = r->ns - 1, i;
	double *rss = calloc(n > 0 ? n : 1, sizeof(double));
	double *fds = calloc(n > 0 ? n : 1, sizeof(double));
	double *cpu = calloc(n > 0 ? n : 1, sizeof(double));
	double *rate = calloc(n > 0 ? n : 1, sizeof(double));
	struct trend_rule base = { .warmup_frac = 0.1, .warmup_min = 2 };
	struct trend_rule rr = base, fr = base, cr = base;

	if (!rss || !fds || !cpu || !rate)
		goto out;
	/* Sample 0 is taken as the storm starts: the intervals are 1..n. */
	for (i = 0; i < n; i++) {
		rss[i] = r->s[i + 1].rss_kb;
		fds[i] = r->s[i + 1].fds;
		cpu[i] = cpu_per_event_us(&r->s[i], &r->s[i + 1]);
		rate[i] = (r->s[i + 1].events - r->s[i].events) /
			  (r->s[i + 1].t - r->s[i].t);
	}
	r->cpu_same_rate = trend_same_rate(cpu, rate, n, RATE_TOL);
	rr.abs_slack = cfg.rss_slack_kb;
	fr.abs_slack = cfg.fd_slack;
	cr.abs_slack = cfg.cpu_abs_us;
	cr.rel_slack = cfg.cpu_rel;
	judge(r, "RSS", rss, n, &rr, &r->rss, " KiB", 0);
	judge(r, "open descriptors", fds, n, &fr, &r->fds, "", 0);
	judge(r, "CPU per event", cpu, n, &cr, &r->cpu, " us", 3);
out:
	free(rss);
	free(fds);
	free(cpu);
	free(rate);
}

static int cmp_row(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct row));
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* What the log says the applet must show, sorted; its pids too. */
static size_t expected_rows(struct run *r, const struct mix_rec *log,
			    size_t n, struct row *exp, uint32_t *pids)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		pids[i] = log[i].pid;
		if (log[i].side == r->a->side)
			expect_row(&log[i], getuid(), &exp[k++]);
	}
	qsort(exp, k, sizeof(*exp), cmp_row);
	qsort(pids, n, sizeof(*pids), cmp_u32);
	return k;
}

/*
 * The storm's rows only: the pids its log names.  The rows kept carry
 * its names or this pid: one from another pid is a wrong pid.
 */
static size_t own_rows(struct run *r, const uint32_t *pids, size_t npids)
{
	size_t i, k = 0;

	for (i = 0; i < r->nrows; i++) {
		if (bsearch(&r->rows[i].pid, pids, npids, sizeof(*pids),
			    cmp_u32))
			r->rows[k++] = r->rows[i];
		else
			r->foreign++;
	}
	qsort(r->rows, k, sizeof(*r->rows), cmp_row);
	return k;
}

static void show(struct run *r, const char *what, const struct row *row,
		 unsigned long nth)
{
	char buf[256];

	if (nth <= MAX_SHOWN)
		fprintf(stderr, "nrsoak: %s: %s: %s\n", r->a->name, what,
			row_text(r, row, buf, sizeof(buf)));
}

/*
 * Walk both sorted lists.  A row with one field wrong shows as one
 * missing and one unexpected row, next to each other in the output.
 */
static void match(struct run *r, const struct row *exp, size_t ne,
		  const struct row *got, size_t ng)
{
	size_t i = 0, j = 0;
	int c;

	r->expected = ne;
	while (i < ne || j < ng) {
		c = i == ne ? 1 : j == ng ? -1 : cmp_row(&exp[i], &got[j]);
		if (!c) {
			r->matched++;
			i++;
			j++;
		} else if (c < 0) {
			show(r, "missing (in the log, not shown)", &exp[i++],
			     ++r->missing);
		} else if (bsearch(&got[j], exp, ne, sizeof(*exp), cmp_row)) {
			show(r, "duplicate", &got[j++], ++r->dups);
		} else {
			show(r, "unexpected (shown, not in the log)", &got[j++],
			     ++r->unexpected);
		}
	}
}

static void check_rows(struct run *r, struct mixstorm *m)
{
	const struct mix_rec *log;
	size_t n = mix_log(m, &log), ne, ng;
	struct row *exp = calloc(n ? n : 1, sizeof(*exp));
	uint32_t *pids = calloc(n ? n : 1, sizeof(*pids));

	if (!exp || !pids) {
		fails_add(&r->fails, "out of memory for the check");
		goto out;
	}
	ne = expected_rows(r, log, n, exp, pids);
	ng = own_rows(r, pids, n);
	match(r, exp, ne, r->rows, ng);
	if (r->foreign)
		fails_add(&r->fails, "%lu rows under the storm's names from pids it did not have",
			  r->foreign);
	if (r->missing || r->unexpected || r->dups)
		fails_add(&r->fails, "%lu of %lu storm rows missing, %lu unexpected, %lu duplicated",
			  r->missing, ne, r->unexpected, r->dups);
out:
	free(exp);
	free(pids);
}

static void check_output(struct run *r)
{
	if (r->rows_oom)
		fails_add(&r->fails, "out of memory for the rows");
	if (r->bad)
		fails_add(&r->fails, "%lu lines not rows of the documented keys (%lu not JSON), first: %.200s",
			  (unsigned long)r->bad, (unsigned long)r->not_json,
			  r->bad_line);
	if (r->lost)
		fails_add(&r->fails, "the tracer reported %lu lost events", r->lost);
	if (r->storm.errors)
		fails_add(&r->fails, "storm: %lu errors (first: %s)", r->storm.errors,
			  strerror(r->storm.first_errno));
	if (r->storm.log_full)
		fails_add(&r->fails, "storm: %lu log lines had no room", r->storm.log_full);
}

static unsigned long want_rows(const struct run *r)
{
	return r->a->side == MIX_CONNECT ? r->storm.connects : r->storm.accepts;
}

static void soak(struct run *r)
{
	struct mix_opts mo = {
		.secs = cfg.secs, .rate = cfg.rate, .threads = cfg.threads,
		.child_every = cfg.child_every,
	};
	struct mixstorm *m = NULL;
	struct tproc t;
	int err;

	snprintf(mo.tag, sizeof(mo.tag), "%s", tag);
	if (start_tracer(&t, r))
		goto out;
	err = mix_start(&m, &mo);
	if (err) {
		fails_add(&r->fails, "storm: %s", strerror(-err));
		goto out;
	}
	sample_storm(r, &t, m);
	mix_wait(m, &r->storm);
	tproc_drain(&t, &r->ours, want_rows(r), DRAIN_MAX_NS,
		    DRAIN_QUIET_NS);
	stop_tracer(&t, r);
	check_output(r);
	check_rows(r, m);
	judge_curve(r);
out:
	mix_free(m);
	tproc_free(&t);
}

/* ---- the report ---- */

static void summary(const struct run *r)
{
	const struct sample *a = &r->s[1], *z = &r->s[r->ns - 1];

	printf("\n%s: %.0f s, %lu connects (%lu refused, %lu by short-lived child processes, %lu reset before connect() returned), %lu accepts\n",
	       r->a->name, z->t, r->storm.connects, r->storm.refused,
	       r->storm.children, r->storm.early_resets, r->storm.accepts);
	printf("%s: rows printed %lu, all processes; the storm's log wants %lu: %lu matched field by field, %lu missing, %lu unexpected, %lu duplicated, %lu from pids not the storm's; lost reported %lu\n",
	       r->a->name, (unsigned long)r->events, r->expected, r->matched,
	       r->missing, r->unexpected, r->dups, r->foreign, r->lost);
	printf("%s: RSS %ld -> %ld KiB (first/last third medians %.0f / %.0f, allowed +%.0f); fds %ld -> %ld (%.0f / %.0f, +%.0f); CPU per event %.3f / %.3f us (allowed +%.3f; %d of %d intervals at the median event rate)\n",
	       r->a->name, a->rss_kb, z->rss_kb, r->rss.first, r->rss.last,
	       r->rss.allowed, a->fds, z->fds, r->fds.first, r->fds.last,
	       r->fds.allowed, r->cpu.first, r->cpu.last, r->cpu.allowed,
	       r->cpu_same_rate, r->ns - 1);
	printf("%s: %s%s\n\n", r->a->name, r->fails.n ? "FAIL: " : "PASS",
	       r->fails.text);
	fflush(stdout);
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: nrsoak --netrace PATH [options]\n"
"  --netrace PATH       netrace binary under test (or $NETRACE)\n"
"  --applets LIST       of tcpconnect,tcpaccept (default both)\n"
"  --secs S             storm length per applet (default 600;\n"
"                       $NRSOAK_SECS, when set, wins)\n"
"  --interval S         sampling interval (default secs/60, 1 to 10)\n"
"  --rate N             connects per second (default 2000)\n"
"  --threads N          client threads (default 2)\n"
"  --child-every N      one connect in N by a child process (default 25;\n"
"                       0: none)\n"
"  --rss-slack KIB      RSS growth allowed (default 256)\n"
"  --fd-slack N         open descriptor growth allowed (default 1)\n"
"  --cpu-slack PCT      CPU per event growth allowed, %% (default 50)\n"
"  --cpu-abs US         plus this much, microseconds (default 0.1)\n");
}

static bool in_list(const char *list, const char *key)
{
	char buf[256], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (!strcmp(p, key))
			return true;
	return false;
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "netrace", 1, 0, 'n' }, { "applets", 1, 0, 'a' },
		{ "secs", 1, 0, 's' }, { "interval", 1, 0, 'i' },
		{ "rate", 1, 0, 'r' }, { "threads", 1, 0, 't' },
		{ "child-every", 1, 0, 'c' }, { "rss-slack", 1, 0, 'R' },
		{ "fd-slack", 1, 0, 'F' }, { "cpu-slack", 1, 0, 'C' },
		{ "cpu-abs", 1, 0, 'A' }, { "help", 0, 0, 'h' }, { 0 }
	};
	const char *env = getenv("NRSOAK_SECS");
	int c;

	cfg.netrace = getenv("NETRACE");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': cfg.netrace = optarg; break;
		case 'a': cfg.applets = optarg; break;
		case 's': cfg.secs = atof(optarg); break;
		case 'i': cfg.interval = atof(optarg); break;
		case 'r': cfg.rate = strtoul(optarg, NULL, 0); break;
		case 't': cfg.threads = atoi(optarg); break;
		case 'c': cfg.child_every = strtoul(optarg, NULL, 0); break;
		case 'R': cfg.rss_slack_kb = atof(optarg); break;
		case 'F': cfg.fd_slack = atof(optarg); break;
		case 'C': cfg.cpu_rel = atof(optarg) / 100; break;
		case 'A': cfg.cpu_abs_us = atof(optarg); break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	/* Over --secs too: ctest's short run is lengthened without CMake. */
	if (env && *env)
		cfg.secs = atof(env);
	if (!cfg.interval)
		cfg.interval = fmin(10, fmax(1, cfg.secs / 60));
	return optind == argc && cfg.netrace && cfg.secs > 0 &&
	       cfg.rate > 0 && cfg.threads > 0 && cfg.interval > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct run runs[NAPPLETS];
	int i, n = 0, bad = 0, rc;

	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	if ((rc = tproc_need_root("nrsoak")))
		return rc;
	if (access(cfg.netrace, X_OK)) {
		fprintf(stderr, "nrsoak: %s: %s\n", cfg.netrace, strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(tag, sizeof(tag), "nrs%d", getpid());
	printf("nrsoak: %.0f s per applet at %u connects/s, samples every %g s; RSS may grow %.0f KiB, fds %.0f, CPU per event %.0f%% + %.2f us (last third's median against the first's, after a 10%% warm-up; CPU per event over the intervals within -20%%/+25%% of the median event rate)\n",
	       cfg.secs, cfg.rate, cfg.interval, cfg.rss_slack_kb, cfg.fd_slack,
	       cfg.cpu_rel * 100, cfg.cpu_abs_us);
	for (i = 0; i < (int)NAPPLETS; i++) {
		struct run *r = &runs[n];

		if (!in_list(cfg.applets, applets[i].name))
			continue;
		r->a = &applets[i];
		r->fails.prog = "nrsoak";
		r->fails.who = r->a->name;
		n++;
		soak(r);
		if (r->ns > 1)
			summary(r);
		bad += r->fails.n > 0 || r->ns < 2;
	}
	if (!n) {
		usage(stderr);
		return 2;
	}
	return bad ? 1 : 0;
}
