// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcpaccept: trace accepted TCP connections, as BCC's tcpaccept. */
#include <stdio.h>

#include "applet_opts.h"
#include "conn.h"
#include "format.h"
#include "log.h"
#include "tracer.h"

enum { C_TIME, C_SECS, C_UID, C_PID, C_COMM, C_IP, C_RADDR, C_RPORT,
       C_LADDR, C_LPORT, C__N };

static const struct column columns[C__N] = {
	[C_TIME]  = { "TIME", "time", COL_STR, 9, 0, COLF_NOSEP },
	[C_SECS]  = { "TIME(s)", "time_s", COL_SECS, 9, 0, COLF_NOSEP },
	[C_UID]   = { "UID", "uid", COL_INT, 6, 0, COLF_NOSEP },
	[C_PID]   = { "PID", "pid", COL_INT, 7 },
	[C_COMM]  = { "COMM", "comm", COL_STR, 12, 12 },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_RADDR] = { "RADDR", "raddr", COL_STR, 16 },
	[C_RPORT] = { "RPORT", "rport", COL_INT, 5 },
	[C_LADDR] = { "LADDR", "laddr", COL_STR, 16 },
	[C_LPORT] = { "LPORT", "lport", COL_INT, 5 },
};

static int ta_ready(struct netrace_bpf *skel __attribute__((unused)),
		    void *ctx)
{
	struct conn_out *c = ctx;

	/* BCC prints no banner; with JSON, say on stderr that it runs. */
	if (c->o->json)
		fputs("Tracing accept ... Hit Ctrl-C to end\n", stderr);
	return fmt_header(&c->fmt);
}

static const struct conn_cols ta_cols = {
	.hms = CONN_COL(C_TIME), .secs = CONN_COL(C_SECS),
	.uid = CONN_COL(C_UID), .pid = CONN_COL(C_PID),
	.comm = CONN_COL(C_COMM), .ip = CONN_COL(C_IP),
	.laddr = CONN_COL(C_LADDR), .lport = CONN_COL(C_LPORT),
	.raddr = CONN_COL(C_RADDR), .rport = CONN_COL(C_RPORT),
};

static int ta_event(void *ctx, const struct nr_event *e)
{
	struct conn_out *c = ctx;
	struct conn_text t;
	union cell v[C__N];

	conn_text(&c->clock, e, &t);
	conn_cells(&ta_cols, e, &t, v);
	return fmt_row(&c->fmt, v);
}

static int ta_setup(void *ctx, const struct nr_opts *o)
{
	struct conn_out *c = ctx;

	conn_out_init(c, o, columns, C__N);
	fmt_show(&c->fmt, C_TIME, o->time);
	fmt_show(&c->fmt, C_SECS, o->timestamp);
	fmt_show(&c->fmt, C_UID, o->print_uid);
	return 0;
}

static const char *const ta_sources[] = {
	nr_src_netrace_h, nr_src_common, nr_src_tcpaccept, NULL,
};

static const struct tracer tcpaccept_tracer = {
	.prefix = "ta_",
	.sources = ta_sources,
	.setup = ta_setup,
	.ready = ta_ready,
	.event = ta_event,
};

static int tcpaccept_main(const struct applet *a, int argc, char **argv)
{
	struct conn_out c = {};

	return tracer_main(a, argc, argv, &tcpaccept_tracer, &c);
}

const struct applet applet_tcpaccept = {
	.name = "tcpaccept",
	.summary = "Trace TCP accepts",
	.main = tcpaccept_main,
	.opts = APPLET_OPTS_tcpaccept,
	.opt_help = {
		[OPT_PORT] = "comma-separated list of local ports to trace",
		[OPT_PRINT_UID] = "include UID of the accepting process on output",
	},
	.examples =
		"    tcpaccept           # trace all TCP accept()s\n"
		"    tcpaccept -t        # include timestamps\n"
		"    tcpaccept -P 80,81  # only trace port 80 and 81\n"
		"    tcpaccept -p 181    # only trace PID 181\n"
		"    tcpaccept -U        # include UID\n"
		"    tcpaccept -j        # one JSON object per accept\n"
		"    tcpaccept --cgroupmap mappath  # only trace cgroups in this BPF map\n"
		"    tcpaccept --mntnsmap mappath   # only trace mount namespaces in the map\n"
		"    tcpaccept -4        # trace IPv4 family\n"
		"    tcpaccept -6        # trace IPv6 family\n",
	.notes =
		"An event is one successful accept(), shown with the process that called it.\n"
		"Where the kernel has neither fentry nor kprobes (tracepoint strategy),\n"
		"accept()/accept4() system calls are traced: accepts made through io_uring\n"
		"or inside the kernel are not seen.\n",
};
