// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcpconnect: trace active TCP connection attempts, as BCC's tcpconnect. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "applet_opts.h"
#include "conn.h"
#include "dns.h"
#include "format.h"
#include "log.h"
#include "netrace.skel.h"
#include "tpfmt.h"
#include "tracer.h"

enum { C_TIME, C_UID, C_PID, C_COMM, C_IP, C_SADDR, C_LPORT, C_DADDR,
       C_DPORT, C_QUERY, C_AGE, C__N };

static const struct column columns[C__N] = {
	[C_TIME]  = { "TIME(s)", "time_s", COL_SECS, 9, 0, COLF_NOSEP },
	[C_UID]   = { "UID", "uid", COL_INT, 6, 0, COLF_NOSEP },
	[C_PID]   = { "PID", "pid", COL_INT, 7 },
	[C_COMM]  = { "COMM", "comm", COL_STR, 12, 12 },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_SADDR] = { "SADDR", "saddr", COL_STR, 16 },
	[C_LPORT] = { "LPORT", "lport", COL_INT, 6 },
	[C_DADDR] = { "DADDR", "daddr", COL_STR, 16 },
	[C_DPORT] = { "DPORT", "dport", COL_INT, 6 },
	[C_QUERY] = { "QUERY", "query", COL_STR, 0 },
	[C_AGE]   = { "", "query_age_ms", COL_NUMSTR, 0 },
};

/* BCC notes how old the answer was when it is older than this. */
#define DNS_DELAY_NS	(100 * 1000000ULL)

struct tc_ctx {
	struct conn_out out;	/* first: the shared code sees a conn_out */
	bool dns_on;
	bool tp_raw;		/* tracepoint records by their tracefs layout */
	struct dns_capture dns;
};

enum { K_IP, K_LADDR, K_RADDR, K_RPORT, K_CONNECTS, K__N };

static const struct column count_columns[K__N] = {
	[K_IP]       = { "IP", "ip", COL_INT, 2 },
	[K_LADDR]    = { "LADDR", "laddr", COL_STR, 25 },
	[K_RADDR]    = { "RADDR", "raddr", COL_STR, 25 },
	[K_RPORT]    = { "RPORT", "rport", COL_INT, 20 },
	[K_CONNECTS] = { "CONNECTS", "connects", COL_INT, 10 },
};

#define SOCK_STATE_FIELD(f) {						\
	#f, offsetof(struct nr_tp_sock_state, f),			\
	sizeof(((struct nr_tp_sock_state *)0)->f) }

static const struct tp_field sock_state_fields[] = {
	SOCK_STATE_FIELD(skaddr), SOCK_STATE_FIELD(oldstate),
	SOCK_STATE_FIELD(newstate), SOCK_STATE_FIELD(sport),
	SOCK_STATE_FIELD(dport), SOCK_STATE_FIELD(family),
	SOCK_STATE_FIELD(protocol), SOCK_STATE_FIELD(saddr),
	SOCK_STATE_FIELD(daddr), SOCK_STATE_FIELD(saddr_v6),
	SOCK_STATE_FIELD(daddr_v6),
};

/*
 * The tracepoints carry everything but the local port, which only the
 * socket knows: without -L and -j (whose rows have it) and --mntnsmap
 * (the task's namespaces), and when the record's layout is the one
 * compiled in, no kernel type is needed.
 */
static bool tc_typeless(void *ctx, enum nr_attach a)
{
	struct tc_ctx *c = ctx;
	const struct nr_opts *o = c->out.o;
	char why[160];

	c->tp_raw = false;
	if (a != NR_ATTACH_TRACEPOINT || o->lport || o->json || o->mntnsmap)
		return false;
	if (!tp_layout_matches("sock/inet_sock_set_state", sock_state_fields,
			       sizeof(sock_state_fields) /
			       sizeof(sock_state_fields[0]), why, sizeof(why))) {
		nr_dbg("tracepoint record layout differs (%s): reading it through kernel types",
		       why);
		return false;
	}
	c->tp_raw = true;
	return true;
}

static int tc_configure(struct netrace_bpf *skel, void *ctx, enum nr_attach a)
{
	struct tc_ctx *c = ctx;

	/* One of the two readers of the state tracepoint. */
	bpf_program__set_autoload(c->tp_raw ? skel->progs.tc_tp_state :
				  skel->progs.tc_tp_state_raw, false);
	skel->rodata->tp_raw = c->tp_raw;

	if (c->dns_on)
		bpf_program__set_autoload(skel->progs.tc_dns, true);
	/* Maps of the other strategies; the counts only in count mode. */
	if (a != NR_ATTACH_KPROBE)
		bpf_map__set_autocreate(skel->maps.tc_kp_sk, false);
	if (a != NR_ATTACH_TRACEPOINT) {
		bpf_map__set_autocreate(skel->maps.tc_pending, false);
		bpf_map__set_autocreate(skel->maps.tc_last, false);
	}
	if (!c->out.o->count)
		bpf_map__set_max_entries(skel->maps.tc_counts, 1);
	return 0;
}

static int tc_ready(struct netrace_bpf *skel, void *ctx)
{
	struct tc_ctx *t = ctx;
	struct conn_out *c = &t->out;
	int err;

	if (t->dns_on) {
		err = dns_capture_open(&t->dns, bpf_program__fd(skel->progs.tc_dns));
		if (err) {
			nr_err("cannot capture DNS answers (-d): %s", strerror(-err));
			return 1;
		}
	}
	/* JSON keeps stdout for objects: the banner goes to stderr. */
	fputs("Tracing connect ... Hit Ctrl-C to end\n",
	      c->o->json ? stderr : stdout);
	if (c->o->count)
		return 0;
	return fmt_header(&c->fmt);
}

/* BCC's QUERY text, and the answer's age in ms for JSON (or NULL). */
static void dns_cells(struct tc_ctx *t, const struct nr_event *e,
		      const char *daddr, union cell *v, char *text, size_t n,
		      char *age, size_t an)
{
	struct dns_addr a = { .family = e->family == AF_INET6 ? AF_INET6 : AF_INET };
	const struct dns_entry *d;
	uint64_t ns;

	memcpy(a.a, &e->raddr, a.family == AF_INET ? 4 : 16);
	d = dns_capture_lookup(&t->dns, &a, e->ts_ns);
	v[C_QUERY].s = text;
	v[C_AGE].s = NULL;
	if (!d) {
		snprintf(text, n, "%s", !strcmp(daddr, "127.0.0.1") ||
			 !strcmp(daddr, "::1") ? "localhost" : "No DNS Query");
		return;
	}
	ns = e->ts_ns > d->ts_ns ? e->ts_ns - d->ts_ns : 0;
	snprintf(age, an, "%.3f", ns / 1e6);
	v[C_AGE].s = age;
	if (ns > DNS_DELAY_NS && !t->out.o->json)
		snprintf(text, n, "%s (%sms)", d->name, age);
	else
		snprintf(text, n, "%s", d->name);
}

static const struct conn_cols tc_cols = {
	.secs = CONN_COL(C_TIME), .uid = CONN_COL(C_UID),
	.pid = CONN_COL(C_PID), .comm = CONN_COL(C_COMM), .ip = CONN_COL(C_IP),
	.laddr = CONN_COL(C_SADDR), .lport = CONN_COL(C_LPORT),
	.raddr = CONN_COL(C_DADDR), .rport = CONN_COL(C_DPORT),
};

static int tc_event(void *ctx, const struct nr_event *e)
{
	struct tc_ctx *tc = ctx;
	struct conn_out *c = &tc->out;
	char query[DNS_NAME_MAX + 64], age[32];
	struct conn_text t;
	union cell v[C__N];

	conn_text(&c->clock, e, &t);
	conn_cells(&tc_cols, e, &t, v);
	if (tc->dns_on)
		dns_cells(tc, e, t.raddr, v, query, sizeof(query), age,
			  sizeof(age));
	return fmt_row(&c->fmt, v);
}

struct count_row {
	struct nr_count_key k;
	__u64 n;
};

/* BCC prints the IPv4 table, then IPv6, each by count descending. */
static int count_cmp(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	if (x->k.family != y->k.family)
		return x->k.family == AF_INET ? -1 : 1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

static int read_counts(int fd, struct count_row **rows, size_t *n)
{
	struct nr_count_key key, *prev = NULL;
	size_t cap = 0;

	*rows = NULL;
	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		if (*n == cap) {
			struct count_row *r;

			cap = cap ? 2 * cap : 64;
			r = realloc(*rows, cap * sizeof(**rows));
			if (!r)
				return -1;
			*rows = r;
		}
		(*rows)[*n].k = key;
		if (!bpf_map_lookup_elem(fd, &key, &(*rows)[*n].n))
			(*n)++;
		prev = &key;
	}
	return 0;
}

static int tc_fds(void *ctx, int *fds, int max)
{
	struct tc_ctx *t = ctx;

	if (!t->dns_on || max < 2)
		return 0;
	fds[0] = t->dns.fd[0];
	fds[1] = t->dns.fd[1];
	return 2;
}

static void tc_drain(void *ctx)
{
	struct tc_ctx *t = ctx;

	if (t->dns_on)
		dns_capture_drain(&t->dns);
}

static int tc_finish(struct netrace_bpf *skel, void *ctx)
{
	struct tc_ctx *t = ctx;
	struct conn_out *c = &t->out;
	struct count_row *rows;
	struct fmt f;
	size_t n, i;
	int ret = 0;

	if (!c->o->count)
		return 0;
	if (read_counts(bpf_map__fd(skel->maps.tc_counts), &rows, &n)) {
		nr_err("reading the connection counts: out of memory");
		free(rows);
		return 0;
	}
	qsort(rows, n, sizeof(*rows), count_cmp);
	fmt_init(&f, stdout, c->o->json, count_columns, K__N);
	f.text_mask &= ~(1U << K_IP);
	if (!c->o->json && (fputs("\n", stdout) == EOF || fmt_header(&f)))
		ret = -1;
	for (i = 0; i < n && !ret; i++) {
		struct count_row *r = &rows[i];
		char laddr[64], raddr[64];
		union cell v[K__N];

		v[K_IP].i = r->k.family == AF_INET6 ? 6 : 4;
		v[K_LADDR].s = fmt_addr(laddr, sizeof(laddr), r->k.family,
					&r->k.saddr);
		v[K_RADDR].s = fmt_addr(raddr, sizeof(raddr), r->k.family,
					&r->k.daddr);
		v[K_RPORT].i = r->k.dport;
		v[K_CONNECTS].i = r->n;
		ret = fmt_row(&f, v);
	}
	free(rows);
	return ret;
}

static int tc_setup(void *ctx, const struct nr_opts *o)
{
	struct tc_ctx *t = ctx;
	struct conn_out *c = &t->out;

	if (o->count && o->dns) {
		nr_usage_err("-c/--count and -d/--dns cannot be used together");
		return 2;
	}
	t->dns_on = o->dns;
	conn_out_init(c, o, columns, C__N);
	fmt_show(&c->fmt, C_TIME, o->timestamp);
	fmt_show(&c->fmt, C_UID, o->print_uid);
	fmt_show(&c->fmt, C_LPORT, o->lport);
	fmt_show(&c->fmt, C_QUERY, o->dns);
	fmt_show(&c->fmt, C_AGE, false);
	if (!o->dns) {
		c->fmt.json_mask &= ~(1U << C_QUERY | 1U << C_AGE);
		/* BCC ends every row with " " and the empty DNS column. */
		c->fmt.row_suffix = " ";
	}
	return 0;
}

static const char *const tc_sources[] = {
	nr_src_netrace_h, nr_src_common, nr_src_tcpconnect, nr_src_dns, NULL,
};

static const struct tracer tcpconnect_tracer = {
	.prefix = "tc_",
	.sources = tc_sources,
	.setup = tc_setup,
	.configure = tc_configure,
	.typeless = tc_typeless,
	.ready = tc_ready,
	.fds = tc_fds,
	.drain = tc_drain,
	.event = tc_event,
	.finish = tc_finish,
};

static int tcpconnect_main(const struct applet *a, int argc, char **argv)
{
	struct tc_ctx c = {};
	int ret;

	ret = tracer_main(a, argc, argv, &tcpconnect_tracer, &c);
	if (c.dns_on)
		dns_capture_close(&c.dns);
	return ret;
}

const struct applet applet_tcpconnect = {
	.name = "tcpconnect",
	.summary = "Trace TCP connects",
	.main = tcpconnect_main,
	.opts = APPLET_OPTS_tcpconnect,
	.examples =
		"    tcpconnect           # trace all TCP connect()s\n"
		"    tcpconnect -t        # include timestamps\n"
		"    tcpconnect -d        # include DNS queries associated with connects\n"
		"    tcpconnect -p 181    # only trace PID 181\n"
		"    tcpconnect -P 80     # only trace port 80\n"
		"    tcpconnect -P 80,81  # only trace port 80 and 81\n"
		"    tcpconnect -4        # only trace IPv4 family\n"
		"    tcpconnect -6        # only trace IPv6 family\n"
		"    tcpconnect -U        # include UID\n"
		"    tcpconnect -u 1000   # only trace UID 1000\n"
		"    tcpconnect -c        # count connects per src ip and dest ip/port\n"
		"    tcpconnect -L        # include LPORT while printing outputs\n"
		"    tcpconnect -j        # one JSON object per connect\n"
		"    tcpconnect --cgroupmap mappath  # only trace cgroups in this BPF map\n"
		"    tcpconnect --mntnsmap mappath   # only trace mount namespaces in the map\n",
	.notes =
		"An event is a connection attempt whose SYN was sent, refused or not.\n"
		"Where the kernel has neither fentry nor kprobes (tracepoint strategy),\n"
		"a blocking connect() that gets no answer at all is shown when it ends.\n",
};
