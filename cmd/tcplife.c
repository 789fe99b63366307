// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcplife: one row per closed TCP session, as BCC's tcplife. */
#include <stdio.h>

#include <bpf/libbpf.h>

#include "applet_opts.h"
#include "conn.h"
#include "format.h"
#include "log.h"
#include "netrace.skel.h"
#include "tracer.h"

enum { C_TIME, C_SECS, C_PID, C_COMM, C_IP, C_LADDR, C_LPORT, C_RADDR,
       C_RPORT, C_TX_KB, C_RX_KB, C_MS, C_TX_B, C_RX_B, C__N };

/* BCC's "%-5d %-10.10s %s%-15s %-5d %-15s %-5d %5d %5d %.2f". */
static const struct column columns[C__N] = {
	[C_TIME]  = { "TIME", "time", COL_STR, 8 },
	[C_SECS]  = { "TIME(s)", "time_s", COL_SECS, 9, 6 },
	[C_PID]   = { "PID", "pid", COL_INT, 5 },
	[C_COMM]  = { "COMM", "comm", COL_STR, 10, 10, COLF_CHARS },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_LADDR] = { "LADDR", "laddr", COL_STR, 15 },
	[C_LPORT] = { "LPORT", "lport", COL_INT, 5 },
	[C_RADDR] = { "RADDR", "raddr", COL_STR, 15 },
	[C_RPORT] = { "RPORT", "rport", COL_INT, 5 },
	[C_TX_KB] = { "TX_KB", "tx_kb", COL_INT, 5, 0, COLF_RIGHT },
	[C_RX_KB] = { "RX_KB", "rx_kb", COL_INT, 5, 0, COLF_RIGHT },
	[C_MS]    = { "MS", "ms", COL_MS, 0, 2 },
	[C_TX_B]  = { "", "tx_bytes", COL_INT, 0 },
	[C_RX_B]  = { "", "rx_bytes", COL_INT, 0 },
};

/* -w: "%-5d %-16.16s %-2s %-26s %-5s %-26s %-5d %6d %6d %.2f". */
static const struct column wide_columns[C__N] = {
	[C_TIME]  = { "TIME", "time", COL_STR, 8 },
	[C_SECS]  = { "TIME(s)", "time_s", COL_SECS, 9, 6 },
	[C_PID]   = { "PID", "pid", COL_INT, 5 },
	[C_COMM]  = { "COMM", "comm", COL_STR, 16, 16, COLF_CHARS },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_LADDR] = { "LADDR", "laddr", COL_STR, 26 },
	[C_LPORT] = { "LPORT", "lport", COL_INT, 5 },
	[C_RADDR] = { "RADDR", "raddr", COL_STR, 26 },
	[C_RPORT] = { "RPORT", "rport", COL_INT, 5 },
	[C_TX_KB] = { "TX_KB", "tx_kb", COL_INT, 6, 0, COLF_RIGHT },
	[C_RX_KB] = { "RX_KB", "rx_kb", COL_INT, 6, 0, COLF_RIGHT },
	[C_MS]    = { "MS", "ms", COL_MS, 0, 2 },
	[C_TX_B]  = { "", "tx_bytes", COL_INT, 0 },
	[C_RX_B]  = { "", "rx_bytes", COL_INT, 0 },
};

static int tl_configure(struct netrace_bpf *skel,
			void *ctx __attribute__((unused)), enum nr_attach a)
{
	tracer_state_hook(a, skel->progs.tl_btf_state, skel->progs.tl_raw_state,
			  skel->progs.tl_tp_state);
	return 0;
}

static int tl_ready(struct netrace_bpf *skel __attribute__((unused)),
		    void *ctx)
{
	struct conn_out *c = ctx;

	/* BCC prints no banner; with JSON, say on stderr that it runs. */
	if (c->o->json)
		fputs("Tracing TCP sessions ... Hit Ctrl-C to end\n", stderr);
	return fmt_header(&c->fmt);
}

static const struct conn_cols tl_cols = {
	.hms = CONN_COL(C_TIME), .secs = CONN_COL(C_SECS),
	.pid = CONN_COL(C_PID), .comm = CONN_COL(C_COMM), .ip = CONN_COL(C_IP),
	.laddr = CONN_COL(C_LADDR), .lport = CONN_COL(C_LPORT),
	.raddr = CONN_COL(C_RADDR), .rport = CONN_COL(C_RPORT),
};

static int tl_event(void *ctx, const struct nr_event *e)
{
	const struct nr_sk_event *s = (const struct nr_sk_event *)e;
	struct conn_out *c = ctx;
	struct conn_text t;
	union cell v[C__N];

	conn_text(&c->clock, e, &t);
	conn_cells(&tl_cols, e, &t, v);
	/* No process owned it: reset or dropped before anyone accepted it. */
	v[C_COMM].s = e->pid ? e->comm : "-";
	/* BCC: "%5d" of tx_b / 1024, a float cut to its integer part. */
	v[C_TX_KB].i = s->tx_bytes / 1024;
	v[C_RX_KB].i = s->rx_bytes / 1024;
	v[C_MS].ns = s->span_ns;
	v[C_TX_B].i = s->tx_bytes;
	v[C_RX_B].i = s->rx_bytes;
	return fmt_row(&c->fmt, v);
}

static int tl_setup(void *ctx, const struct nr_opts *o)
{
	struct conn_out *c = ctx;

	conn_out_init(c, o, o->wide ? wide_columns : columns, C__N);
	c->fmt.csv = o->csv;
	fmt_show(&c->fmt, C_TIME, o->time);
	fmt_show(&c->fmt, C_SECS, o->timestamp);
	/* BCC prints the IP version only in -w and -s output. */
	fmt_show(&c->fmt, C_IP, o->wide || o->csv);
	fmt_show(&c->fmt, C_TX_B, false);
	fmt_show(&c->fmt, C_RX_B, false);
	return 0;
}

static const char *const tl_sources[] = {
	nr_src_netrace_h, nr_src_common, nr_src_tcplife, NULL,
};

static const struct tracer tcplife_tracer = {
	.prefix = "tl_",
	.sources = tl_sources,
	.setup = tl_setup,
	.configure = tl_configure,
	.ready = tl_ready,
	.event = tl_event,
	.event_size = sizeof(struct nr_sk_event),
};

static int tcplife_main(const struct applet *a, int argc, char **argv)
{
	struct conn_out c = {};

	return tracer_main(a, argc, argv, &tcplife_tracer, &c);
}

static const unsigned char tcplife_order[] = {
	OPT_TIME, OPT_TIMESTAMP, OPT_WIDE, OPT_CSV, OPT_PID, OPT_LOCALPORT,
	OPT_REMOTEPORT, OPT_IPV4, OPT_IPV6, OPT_JSON, OPT_ATTACH, OPT_BUFFER,
	OPT_EBPF, OPT_VERBOSE, OPT__COUNT,
};

const struct applet applet_tcplife = {
	.name = "tcplife",
	.summary = "Trace the lifespan of TCP sessions and summarize",
	.main = tcplife_main,
	.opts = APPLET_OPTS_tcplife,
	.order = tcplife_order,
	.opt_help = {
		[OPT_TIMESTAMP] = "include timestamp on output (seconds)",
	},
	.examples =
		"    tcplife           # trace all TCP connect()s\n"
		"    tcplife -T        # include time column (HH:MM:SS)\n"
		"    tcplife -w        # wider columns (fit IPv6)\n"
		"    tcplife -stT      # csv output, with times & timestamps\n"
		"    tcplife -p 181    # only trace PID 181\n"
		"    tcplife -L 80     # only trace local port 80\n"
		"    tcplife -L 80,81  # only trace local ports 80 and 81\n"
		"    tcplife -D 80     # only trace remote port 80\n"
		"    tcplife -4        # only trace IPv4 family\n"
		"    tcplife -6        # only trace IPv6 family\n"
		"    tcplife -j        # one JSON object per session\n",
	.notes =
		"A row is a TCP session that closed: its owner is the process that\n"
		"connected it or accepted it (else the one that closed it; PID 0 and\n"
		"COMM \"-\" when no process ever held it).  Sessions opened before\n"
		"tracing began are not shown.  JSON keys: time, time_s, pid, comm, ip,\n"
		"laddr, lport, raddr, rport, tx_kb, rx_kb, ms, tx_bytes, rx_bytes.\n",
};
