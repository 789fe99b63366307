// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcptracer: trace TCP connections as they are established (connect,
 * accept) and closed, as BCC's tcptracer.
 */
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "applet_opts.h"
#include "conn.h"
#include "format.h"
#include "netrace.skel.h"
#include "tracer.h"

enum { C_SECS, C_NS, C_TYPE, C_PID, C_COMM, C_IP, C_SADDR, C_DADDR,
       C_SPORT, C_DPORT, C_NETNS, C__N };

/*
 * BCC's widths: "%-2s" type (names "%-12s" with -v), "%-6d %-16s %-2d
 * %-16s %-16s %-6d %-6d", " %-8d" NETNS with -v.  The header is printed
 * by hand: with -v, BCC pads its DPORT heading to 7, not 6.
 */
static const struct column columns[C__N] = {
	[C_SECS]  = { "TIME(s)", "time_s", COL_SECS, 9, 3, COLF_NOSEP },
	[C_NS]    = { "TIME(ns)", "time_ns", COL_INT, 14, 0, COLF_NOSEP },
	[C_TYPE]  = { "T", "type", COL_STR, 2 },
	[C_PID]   = { "PID", "pid", COL_INT, 6 },
	[C_COMM]  = { "COMM", "comm", COL_STR, 16, 0, COLF_CHARS },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_SADDR] = { "SADDR", "saddr", COL_STR, 16 },
	[C_DADDR] = { "DADDR", "daddr", COL_STR, 16 },
	[C_SPORT] = { "SPORT", "sport", COL_INT, 6 },
	[C_DPORT] = { "DPORT", "dport", COL_INT, 6 },
	[C_NETNS] = { "NETNS", "netns", COL_INT, 8 },
};

struct tt_ctx {
	struct conn_out out;
	struct column cols[C__N];	/* columns, type width per -v */
	uint64_t first_ns;		/* BCC's time origin: the first event */
};

static int tt_setup(void *ctx, const struct nr_opts *o)
{
	struct tt_ctx *t = ctx;

	memcpy(t->cols, columns, sizeof(columns));
	if (o->verbose)
		t->cols[C_TYPE].width = 12;
	conn_out_init(&t->out, o, t->cols, C__N);
	fmt_show(&t->out.fmt, C_SECS, o->timestamp && !o->verbose);
	fmt_show(&t->out.fmt, C_NS, o->timestamp && o->verbose);
	/* BCC shows the namespace with -v, unless -N already names it. */
	fmt_show(&t->out.fmt, C_NETNS, o->verbose && !o->netns);
	t->out.fmt.json_mask &= ~(1U << C_NS);
	return 0;
}

static int tt_configure(struct netrace_bpf *skel, void *ctx, enum nr_attach a)
{
	struct tt_ctx *t = ctx;

	skel->rodata->tt_netns = t->out.o->netns;
	if (a != NR_ATTACH_KPROBE)
		bpf_map__set_autocreate(skel->maps.tt_kp_sk, false);
	return 0;
}

static int tt_ready(struct netrace_bpf *skel __attribute__((unused)),
		    void *ctx)
{
	struct tt_ctx *t = ctx;
	const struct nr_opts *o = t->out.o;
	FILE *out = t->out.fmt.out;

	/* JSON keeps stdout for objects: the banner goes to stderr. */
	fputs("Tracing TCP established connections. Ctrl-C to end.\n",
	      o->json ? stderr : out);
	if (o->json)
		return 0;
	if (o->verbose) {
		if (o->timestamp)
			fprintf(out, "%-14s", "TIME(ns)");
		fprintf(out, "%-12s %-6s %-16s %-2s %-16s %-16s %-6s %-7s",
			"TYPE", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT",
			"DPORT");
		if (!o->netns)
			fprintf(out, "%-8s", "NETNS");
		fputc('\n', out);
	} else {
		if (o->timestamp)
			fprintf(out, "%-9s", "TIME(s)");
		fprintf(out, "%-2s %-6s %-16s %-2s %-16s %-16s %-6s %-6s\n",
			"T", "PID", "COMM", "IP", "SADDR", "DADDR", "SPORT",
			"DPORT");
	}
	return ferror(out) ? -1 : 0;
}

static const char *type_name(int type, bool verbose)
{
	switch (type) {
	case NR_EV_CONNECT:
		return verbose ? "connect" : "C";
	case NR_EV_ACCEPT:
		return verbose ? "accept" : "A";
	case NR_EV_CLOSE:
		return verbose ? "close" : "X";
	}
	return verbose ? "unknown" : "U";
}

/* -t is not conn_text()'s: BCC's tcptracer counts nanoseconds (below). */
static const struct conn_cols tt_cols = {
	.pid = CONN_COL(C_PID), .comm = CONN_COL(C_COMM), .ip = CONN_COL(C_IP),
	.laddr = CONN_COL(C_SADDR), .lport = CONN_COL(C_SPORT),
	.raddr = CONN_COL(C_DADDR), .rport = CONN_COL(C_DPORT),
};

static int tt_event(void *ctx, const struct nr_event *ev)
{
	const struct nr_sk_event *e = (const struct nr_sk_event *)ev;
	struct tt_ctx *t = ctx;
	const struct nr_opts *o = t->out.o;
	char saddr[CONN_ADDRLEN + 2], daddr[CONN_ADDRLEN + 2];
	struct conn_text ct;
	union cell v[C__N];

	conn_text(&t->out.clock, ev, &ct);
	if (!t->first_ns)
		t->first_ns = ev->ts_ns;
	/* BCC divides nanoseconds for -t, and prints them whole with -v. */
	v[C_SECS].ns = ev->ts_ns >= t->first_ns ? ev->ts_ns - t->first_ns : 0;
	v[C_NS].i = (long long)v[C_SECS].ns;
	v[C_TYPE].s = type_name(ev->type, o->verbose || o->json);
	conn_cells(&tt_cols, ev, &ct, v);
	if (ct.ip == 6 && !o->json) {
		snprintf(saddr, sizeof(saddr), "[%s]", ct.laddr);
		snprintf(daddr, sizeof(daddr), "[%s]", ct.raddr);
		v[C_SADDR].s = saddr;
		v[C_DADDR].s = daddr;
	}
	v[C_NETNS].i = e->netns;
	return fmt_row(&t->out.fmt, v);
}

static const char *const tt_sources[] = {
	nr_src_netrace_h, nr_src_common, nr_src_tcptracer, NULL,
};

static const struct tracer tcptracer_tracer = {
	.prefix = "tt_",
	.sources = tt_sources,
	.setup = tt_setup,
	.configure = tt_configure,
	.ready = tt_ready,
	.event = tt_event,
	.event_size = sizeof(struct nr_sk_event),
};

static int tcptracer_main(const struct applet *a, int argc, char **argv)
{
	struct tt_ctx c = {};

	return tracer_main(a, argc, argv, &tcptracer_tracer, &c);
}

static const unsigned char tt_order[] = {
	OPT_TIMESTAMP, OPT_PID, OPT_NETNS, OPT_CGROUPMAP, OPT_MNTNSMAP,
	OPT_IPV4, OPT_IPV6, OPT_VERBOSE, OPT_JSON, OPT_ATTACH, OPT_BUFFER,
	OPT_EBPF, OPT__COUNT,
};

const struct applet applet_tcptracer = {
	.name = "tcptracer",
	.summary = "Trace TCP connections",
	.main = tcptracer_main,
	.opts = APPLET_OPTS_tcptracer,
	.order = tt_order,
	.opt_help = {
		[OPT_VERBOSE] = "include Network Namespace in the output",
	},
	/* BCC's tcptracer has no examples: only those of netrace's options. */
	.examples =
		"    tcptracer -j         # one JSON object per event\n"
		"    tcptracer -j -v      # ... with diagnostics on stderr\n"
		"    tcptracer --attach tracepoint  # tracepoints only\n",
	.notes =
		"C: connect, once established; A: accept; X: close of an established\n"
		"connection, with the process that closed it.  -j keys: time_s, type\n"
		"(connect, accept, close), pid, comm, ip, saddr, daddr, sport, dport,\n"
		"netns.  -v also prints diagnostics on stderr.  Where the kernel has\n"
		"neither fentry nor kprobes (tracepoint strategy), accepts are seen at\n"
		"accept()/accept4() and closes of sockets already reset by the peer only\n"
		"at close(): see netrace-tcptracer(8).\n",
};
