// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcpstates: trace TCP state changes and durations, as BCC's tcpstates. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "applet_opts.h"
#include "conn.h"
#include "format.h"
#include "journal.h"
#include "log.h"
#include "netrace.skel.h"
#include "tracer.h"

enum { C_TIME, C_SECS, C_SKADDR, C_PID, C_COMM, C_IP, C_LADDR, C_LPORT,
       C_RADDR, C_RPORT, C_OLD, C_ARROW, C_NEW, C_MS, C__N };

/* BCC's columns; -w widens COMM and the addresses. */
static const struct column columns[C__N] = {
	[C_TIME]   = { "TIME", "time", COL_STR, 8 },
	[C_SECS]   = { "TIME(s)", "time_s", COL_SECS, 9, 6 },
	[C_SKADDR] = { "SKADDR", "skaddr", COL_HEX, 16 },
	[C_PID]    = { "C-PID", "pid", COL_INT, 5 },
	[C_COMM]   = { "C-COMM", "comm", COL_STR, 10, 10, COLF_CHARS },
	[C_IP]     = { "IP", "ip", COL_INT, 2 },
	[C_LADDR]  = { "LADDR", "laddr", COL_STR, 15 },
	[C_LPORT]  = { "LPORT", "lport", COL_INT, 5 },
	[C_RADDR]  = { "RADDR", "raddr", COL_STR, 15 },
	[C_RPORT]  = { "RPORT", "rport", COL_INT, 5 },
	[C_OLD]    = { "OLDSTATE", "oldstate", COL_STR, 11 },
	[C_ARROW]  = { "->", "", COL_STR, 2 },
	[C_NEW]    = { "NEWSTATE", "newstate", COL_STR, 11 },
	[C_MS]     = { "MS", "ms", COL_MS, 0, 3 },
};

struct ts_ctx {
	struct conn_out out;	/* first: the shared code sees a conn_out */
	struct column cols[C__N];
	bool journal_on;
	bool root;		/* journald names the process itself */
	struct journal journal;
};

/* include/net/tcp_states.h, as BCC names them. */
static const char *const state_names[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
	[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT",
	[7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
	[10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
};

/* BCC prints an unknown state as its number. */
static const char *state_name(unsigned int s, char *buf, size_t n)
{
	if (s < sizeof(state_names) / sizeof(state_names[0]) && state_names[s])
		return state_names[s];
	snprintf(buf, n, "%u", s);
	return buf;
}

static int ts_ready(struct netrace_bpf *skel __attribute__((unused)),
		    void *ctx)
{
	struct ts_ctx *t = ctx;

	/* BCC prints no banner; with JSON, say on stderr that it runs. */
	if (t->out.o->json)
		fputs("Tracing TCP state changes ... Hit Ctrl-C to end\n",
		      stderr);
	return fmt_header(&t->out.fmt);
}

/*
 * BCC's -Y entry (its journal_fields()).  OBJECT_COMM only when not
 * root: for root, journald adds the OBJECT_* fields of OBJECT_PID
 * itself.  Names are sanitised as on the terminal.
 */
static void journal_entry(struct ts_ctx *t, const struct nr_sk_event *e,
			  const struct conn_text *x, const char *old,
			  const char *new)
{
	bool v6 = e->c.family == AF_INET6;
	char comm[64], pid[16], sport[8], dport[8], span[24], now[24];
	char msg[512];
	struct journal_field f[14];
	int n = 0;

	fmt_sanitize(comm, sizeof(comm), e->c.comm);
	snprintf(pid, sizeof(pid), "%u", e->c.pid);
	snprintf(sport, sizeof(sport), "%u", e->c.lport);
	snprintf(dport, sizeof(dport), "%u", e->c.rport);
	snprintf(span, sizeof(span), "%llu",
		 (unsigned long long)(e->span_ns / 1000));
	snprintf(now, sizeof(now), "%lld",
		 (long long)((e->c.ts_ns + t->out.clock.mono_to_real_ns) / 1000));
	/* "comm saddr sport → daddr dport OLD → NEW" */
	snprintf(msg, sizeof(msg), "%s %s %s \u2192 %s %s %s \u2192 %s", comm,
		 x->laddr, sport, x->raddr, dport, old, new);
	f[n++] = (struct journal_field){ "SYSLOG_IDENTIFIER", "tcpstates" };
	f[n++] = (struct journal_field){ "PRIORITY", "5" };
	f[n++] = (struct journal_field){ "_SOURCE_REALTIME_TIMESTAMP", now };
	f[n++] = (struct journal_field){ "OBJECT_PID", pid };
	if (!t->root)
		f[n++] = (struct journal_field){ "OBJECT_COMM", comm };
	f[n++] = (struct journal_field){ v6 ? "OBJECT_IPV6_SOURCE_ADDRESS" :
					 "OBJECT_IPV4_SOURCE_ADDRESS", x->laddr };
	f[n++] = (struct journal_field){ "OBJECT_TCP_SOURCE_PORT", sport };
	f[n++] = (struct journal_field){ v6 ? "OBJECT_IPV6_DESTINATION_ADDRESS" :
					 "OBJECT_IPV4_DESTINATION_ADDRESS", x->raddr };
	f[n++] = (struct journal_field){ "OBJECT_TCP_DESTINATION_PORT", dport };
	f[n++] = (struct journal_field){ "OBJECT_TCP_OLD_STATE", old };
	f[n++] = (struct journal_field){ "OBJECT_TCP_NEW_STATE", new };
	f[n++] = (struct journal_field){ "OBJECT_TCP_SPAN_TIME", span };
	f[n++] = (struct journal_field){ "MESSAGE", msg };
	journal_send(&t->journal, f, n);
}

static const struct conn_cols ts_cols = {
	.hms = CONN_COL(C_TIME), .secs = CONN_COL(C_SECS),
	.pid = CONN_COL(C_PID), .comm = CONN_COL(C_COMM), .ip = CONN_COL(C_IP),
	.laddr = CONN_COL(C_LADDR), .lport = CONN_COL(C_LPORT),
	.raddr = CONN_COL(C_RADDR), .rport = CONN_COL(C_RPORT),
};

static int ts_event(void *ctx, const struct nr_event *ev)
{
	const struct nr_sk_event *e = (const struct nr_sk_event *)ev;
	struct ts_ctx *t = ctx;
	char obuf[16], nbuf[16];
	struct conn_text x;
	union cell v[C__N];
	int ret;

	conn_text(&t->out.clock, ev, &x);
	conn_cells(&ts_cols, ev, &x, v);
	v[C_SKADDR].i = e->skaddr;
	v[C_OLD].s = state_name(e->oldstate, obuf, sizeof(obuf));
	v[C_ARROW].s = "->";
	v[C_NEW].s = state_name(e->newstate, nbuf, sizeof(nbuf));
	v[C_MS].ns = e->span_ns;
	ret = fmt_row(&t->out.fmt, v);
	if (t->journal_on)
		journal_entry(t, e, &x, v[C_OLD].s, v[C_NEW].s);
	return ret;
}

static int ts_configure(struct netrace_bpf *skel, void *ctx __attribute__((unused)),
			enum nr_attach a)
{
	tracer_state_hook(a, skel->progs.ts_btf, skel->progs.ts_raw,
			  skel->progs.ts_tp);
	return 0;
}

static int ts_setup(void *ctx, const struct nr_opts *o)
{
	struct ts_ctx *t = ctx;
	struct fmt *f = &t->out.fmt;
	int err;

	memcpy(t->cols, columns, sizeof(columns));
	if (o->wide) {
		t->cols[C_COMM].width = t->cols[C_COMM].prec = 16;
		t->cols[C_LADDR].width = t->cols[C_RADDR].width = 26;
	}
	conn_out_init(&t->out, o, t->cols, C__N);
	f->csv = o->csv;
	fmt_show(f, C_TIME, o->time);
	fmt_show(f, C_SECS, o->timestamp);
	fmt_show(f, C_IP, o->wide || o->csv);
	fmt_show(f, C_ARROW, !o->csv);
	f->json_mask &= ~(1U << C_ARROW);
	if (!o->journal)
		return 0;
	err = journal_open(&t->journal, JOURNAL_SOCKET);
	if (err) {
		nr_err("cannot log to the systemd journal (-Y): %s: %s; is systemd-journald running?",
		       JOURNAL_SOCKET, strerror(-err));
		return 1;
	}
	t->journal_on = true;
	t->root = getuid() == 0;
	return 0;
}

/* Stopped: what the journal did not take is said, not lost silently. */
static int ts_finish(struct netrace_bpf *skel __attribute__((unused)),
		     void *ctx)
{
	struct ts_ctx *t = ctx;

	if (t->journal_on && t->journal.failed)
		nr_err("%llu state changes were not logged to the systemd journal: %s",
		       (unsigned long long)t->journal.failed,
		       strerror(t->journal.last_err));
	return 0;
}

static const char *const ts_sources[] = {
	nr_src_netrace_h, nr_src_common, nr_src_tcpstates, NULL,
};

static const struct tracer tcpstates_tracer = {
	.prefix = "ts_",
	.sources = ts_sources,
	.setup = ts_setup,
	.configure = ts_configure,
	.ready = ts_ready,
	.event = ts_event,
	.event_size = sizeof(struct nr_sk_event),
	.finish = ts_finish,
};

static int tcpstates_main(const struct applet *a, int argc, char **argv)
{
	struct ts_ctx t = { .journal.fd = -1 };
	int ret;

	ret = tracer_main(a, argc, argv, &tcpstates_tracer, &t);
	journal_close(&t.journal);
	return ret;
}

/* BCC's order: -T -t -w -s -L -D -Y -4 -6, then netrace's own. */
static const unsigned char ts_order[] = {
	OPT_TIME, OPT_TIMESTAMP, OPT_WIDE, OPT_CSV, OPT_LOCALPORT,
	OPT_REMOTEPORT, OPT_JOURNAL, OPT_IPV4, OPT_IPV6, OPT_JSON,
	OPT_ATTACH, OPT_BUFFER, OPT_EBPF, OPT_VERBOSE, OPT__COUNT,
};

const struct applet applet_tcpstates = {
	.name = "tcpstates",
	.summary = "Trace TCP session state changes and durations",
	.main = tcpstates_main,
	.opts = APPLET_OPTS_tcpstates,
	.order = ts_order,
	.opt_help = {
		[OPT_TIMESTAMP] = "include timestamp on output (seconds)",
	},
	.examples =
		"    tcpstates           # trace all TCP state changes\n"
		"    tcpstates -t        # include timestamp column\n"
		"    tcpstates -T        # include time column (HH:MM:SS)\n"
		"    tcpstates -w        # wider columns (fit IPv6)\n"
		"    tcpstates -stT      # csv output, with times & timestamps\n"
		"    tcpstates -Y        # log events to the systemd journal\n"
		"    tcpstates -L 80     # only trace local port 80\n"
		"    tcpstates -L 80,81  # only trace local ports 80 and 81\n"
		"    tcpstates -D 80     # only trace remote port 80\n"
		"    tcpstates -4        # trace IPv4 family only\n"
		"    tcpstates -6        # trace IPv6 family only\n"
		"    tcpstates -j        # one JSON object per state change\n",
	.notes =
		"C-PID and C-COMM are the task on the CPU when the state changed: for a\n"
		"change a received segment made, whichever task it interrupted.  MS is the\n"
		"time in the old state (0 when its start was not seen).  JSON keys: time,\n"
		"time_s, skaddr, pid, comm, ip, laddr, lport, raddr, rport, oldstate,\n"
		"newstate, ms.\n",
};
