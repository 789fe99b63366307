// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcpconnlat: trace TCP connects and their latency, as BCC's tcpconnlat. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "applet_opts.h"
#include "conn.h"
#include "format.h"
#include "log.h"
#include "netrace.skel.h"
#include "tracer.h"

enum { C_TIME, C_PID, C_UID, C_COMM, C_IP, C_SADDR, C_LPORT, C_DADDR,
       C_DPORT, C_LAT, C__N };

static const struct column columns[C__N] = {
	[C_TIME]  = { "TIME(s)", "time_s", COL_SECS, 9, 3, COLF_NOSEP },
	[C_PID]   = { "PID", "pid", COL_INT, 7 },
	[C_UID]   = { "UID", "uid", COL_INT, 0 },
	/* BCC's "%-12.12s" of the decoded name: 12 characters, not bytes. */
	[C_COMM]  = { "COMM", "comm", COL_STR, 12, 12, COLF_CHARS },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_SADDR] = { "SADDR", "saddr", COL_STR, 16 },
	[C_LPORT] = { "LPORT", "lport", COL_INT, 6 },
	[C_DADDR] = { "DADDR", "daddr", COL_STR, 16 },
	[C_DPORT] = { "DPORT", "dport", COL_INT, 5 },
	[C_LAT]   = { "LAT(ms)", "lat_ms", COL_MS, 0, 2 },
};

struct tcl_ctx {
	struct conn_out out;
	uint64_t min_us;	/* BCC's duration_us */
};

/*
 * BCC's duration_ms: a float, then int(ms * 1000) microseconds (so
 * "0.1" is 100 us and "0.0005" is no minimum).  Python's float() takes
 * more ("inf", "1_0", " 1"); only plain decimals and an exponent are
 * taken here, and values whose microseconds do not fit.
 */
static int parse_min_ms(const char *s, uint64_t *us)
{
	const char *p = s;
	double ms, v;
	char *end;
	int digits = 0;

	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p)
		return -1;
	ms = strtod(s, &end);
	if (*end || !isfinite(ms))
		return -1;
	/* The product is Python's: the same double, truncated alike. */
	v = ms * 1000;
	if (v >= 18446744073709551616.0)
		return -1;
	*us = (uint64_t)v;
	return 0;
}

static const char *const tcl_sources[] = {
	nr_src_netrace_h, nr_src_common, nr_src_tcpconnlat, NULL,
};

static int tcl_setup(void *ctx, const struct nr_opts *o)
{
	struct tcl_ctx *t = ctx;
	struct conn_out *c = &t->out;

	if (o->arg && parse_min_ms(o->arg, &t->min_us)) {
		nr_usage_err("invalid duration_ms '%s': want a number of milliseconds, 0 or more (0.1 is 100 us)",
			     o->arg);
		return 2;
	}
	conn_out_init(c, o, columns, C__N);
	fmt_show(&c->fmt, C_TIME, o->timestamp);
	fmt_show(&c->fmt, C_UID, false);
	fmt_show(&c->fmt, C_LPORT, o->lport);
	/*
	 * BCC's -v prints its BPF program before tracing; ours is fixed
	 * (the settings below go into it at load), and stdout is for rows:
	 * it goes to stderr, with the usual diagnostics.
	 */
	if (o->verbose)
		for (const char *const *s = tcl_sources; *s; s++)
			fputs(*s, stderr);
	return 0;
}

static int tcl_configure(struct netrace_bpf *skel, void *ctx,
			 enum nr_attach a __attribute__((unused)))
{
	struct tcl_ctx *t = ctx;

	skel->rodata->tcl_min_us = t->min_us;
	return 0;
}

static int tcl_ready(struct netrace_bpf *skel __attribute__((unused)),
		     void *ctx)
{
	struct tcl_ctx *t = ctx;
	const struct nr_opts *o = t->out.o;

	/* What BCC substitutes into its program text. */
	nr_dbg("settings: tcl_min_us %llu, filter_pid %d, filter_family %d",
	       (unsigned long long)t->min_us, (int)o->pid, o->family);
	/* BCC prints no banner: the header says it is attached. */
	return fmt_header(&t->out.fmt);
}

static const struct conn_cols tcl_cols = {
	.secs = CONN_COL(C_TIME), .uid = CONN_COL(C_UID),
	.pid = CONN_COL(C_PID), .comm = CONN_COL(C_COMM), .ip = CONN_COL(C_IP),
	.laddr = CONN_COL(C_SADDR), .lport = CONN_COL(C_LPORT),
	.raddr = CONN_COL(C_DADDR), .rport = CONN_COL(C_DPORT),
};

static int tcl_event(void *ctx, const struct nr_event *e)
{
	const struct nr_sk_event *s = (const struct nr_sk_event *)e;
	struct tcl_ctx *tc = ctx;
	struct conn_out *c = &tc->out;
	struct conn_text t;
	union cell v[C__N];

	conn_text(&c->clock, e, &t);
	conn_cells(&tcl_cols, e, &t, v);
	v[C_LAT].ns = s->span_ns;
	return fmt_row(&c->fmt, v);
}

static const struct tracer tcpconnlat_tracer = {
	.prefix = "tcl_",
	.sources = tcl_sources,
	.setup = tcl_setup,
	.configure = tcl_configure,
	.ready = tcl_ready,
	.event = tcl_event,
	.event_size = sizeof(struct nr_sk_event),
};

static int tcpconnlat_main(const struct applet *a, int argc, char **argv)
{
	struct tcl_ctx c = {};

	return tracer_main(a, argc, argv, &tcpconnlat_tracer, &c);
}

static const unsigned char tcl_order[] = {
	OPT_TIMESTAMP, OPT_PID, OPT_LPORT, OPT_IPV4, OPT_IPV6, OPT_VERBOSE,
	OPT_JSON, OPT_ATTACH, OPT_BUFFER, OPT_EBPF, OPT__COUNT,
};

const struct applet applet_tcpconnlat = {
	.name = "tcpconnlat",
	.summary = "Trace TCP connects and show connection latency",
	.main = tcpconnlat_main,
	.opts = APPLET_OPTS_tcpconnlat,
	.order = tcl_order,
	.arg_name = "duration_ms",
	.arg_help = "minimum duration to trace (ms)",
	.opt_help = {
		[OPT_VERBOSE] = "print the BPF program for debugging purposes",
	},
	.examples =
		"    tcpconnlat           # trace all TCP connect()s\n"
		"    tcpconnlat 1         # trace connection latency slower than 1 ms\n"
		"    tcpconnlat 0.1       # trace connection latency slower than 100 us\n"
		"    tcpconnlat -t        # include timestamps\n"
		"    tcpconnlat -p 181    # only trace PID 181\n"
		"    tcpconnlat -L        # include LPORT while printing outputs\n"
		"    tcpconnlat -4        # trace IPv4 family only\n"
		"    tcpconnlat -6        # trace IPv6 family only\n"
		"    tcpconnlat -j        # one JSON object per connect\n",
	.notes =
		"LAT(ms) runs from the start of the connect to the SYN-ACK or RST that\n"
		"answers it; a connect that gets no answer is not shown.  Where the kernel\n"
		"has neither fentry nor kprobes (tracepoint strategy), it runs from the\n"
		"socket's change to SYN_SENT, after the route lookup, to the handshake's\n"
		"end: a few microseconds off either way.  -v prints the BPF program, and\n"
		"diagnostics, on stderr.\n",
};
