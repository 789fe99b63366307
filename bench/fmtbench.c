// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fmtbench: rows per second of netrace's formatter, text and JSON, into
 * /dev/null through stdio as netrace writes stdout.
 *
 *   fmtbench [-n ROWS] [-r REPEATS] [-o FILE] [-c CASE]
 *
 * Cases: "row" formats ready cells (fmt_row alone); "event" goes from a
 * struct nr_event to the row as the applets do (conn_text: two
 * inet_ntop() and the clock, then fmt_row).  Synthetic events cycle
 * through 4096 different pids, names, addresses and ports.  Each case
 * runs REPEATS times; the median is printed, one line per case:
 *
 *   case=NAME rows=N rows_per_s=X ns_per_row=Y
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "format.h"

#define NEV	4096
#define MAX_REP	32

/* The columns of cmd/tcpconnect.c and cmd/tcpaccept.c (static there). */
enum { C_TIME, C_UID, C_PID, C_COMM, C_IP, C_SADDR, C_LPORT, C_DADDR,
       C_DPORT, C__N };

static const struct column tc_cols[C__N] = {
	[C_TIME]  = { "TIME(s)", "time_s", COL_SECS, 9, 0, COLF_NOSEP },
	[C_UID]   = { "UID", "uid", COL_INT, 6, 0, COLF_NOSEP },
	[C_PID]   = { "PID", "pid", COL_INT, 7 },
	[C_COMM]  = { "COMM", "comm", COL_STR, 12, 12 },
	[C_IP]    = { "IP", "ip", COL_INT, 2 },
	[C_SADDR] = { "SADDR", "saddr", COL_STR, 16 },
	[C_LPORT] = { "LPORT", "lport", COL_INT, 6 },
	[C_DADDR] = { "DADDR", "daddr", COL_STR, 16 },
	[C_DPORT] = { "DPORT", "dport", COL_INT, 6 },
};

enum { A_TIME, A_SECS, A_UID, A_PID, A_COMM, A_IP, A_RADDR, A_RPORT,
       A_LADDR, A_LPORT, A__N };

static const struct column ta_cols[A__N] = {
	[A_TIME]  = { "TIME", "time", COL_STR, 9, 0, COLF_NOSEP },
	[A_SECS]  = { "TIME(s)", "time_s", COL_SECS, 9, 0, COLF_NOSEP },
	[A_UID]   = { "UID", "uid", COL_INT, 6, 0, COLF_NOSEP },
	[A_PID]   = { "PID", "pid", COL_INT, 7 },
	[A_COMM]  = { "COMM", "comm", COL_STR, 12, 12 },
	[A_IP]    = { "IP", "ip", COL_INT, 2 },
	[A_RADDR] = { "RADDR", "raddr", COL_STR, 16 },
	[A_RPORT] = { "RPORT", "rport", COL_INT, 5 },
	[A_LADDR] = { "LADDR", "laddr", COL_STR, 16 },
	[A_LPORT] = { "LPORT", "lport", COL_INT, 5 },
};

static struct nr_event ev[NEV];
static char saddr[NEV][CONN_ADDRLEN], daddr[NEV][CONN_ADDRLEN];

static const char *const comms[] = {
	"curl", "nginx", "isc-worker0000", "postgres", "sshd", "java",
	"python3", "redis-server",
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void make_events(void)
{
	uint64_t ts = now_ns();
	unsigned int i, x = 12345;

	for (i = 0; i < NEV; i++) {
		struct nr_event *e = &ev[i];

		x = x * 1103515245 + 12345;
		e->ts_ns = ts + (uint64_t)i * 27000;
		e->pid = 1000 + x % 300000;
		e->tid = e->pid;
		e->uid = x % 3 ? 0 : 1000;
		e->lport = 32768 + x % 28000;
		e->rport = (const unsigned short[]){ 80, 443, 5432, 53 }[i % 4];
		snprintf(e->comm, sizeof(e->comm), "%s", comms[i % 8]);
		if (i % 8 == 7) {
			e->family = AF_INET6;
			inet_pton(AF_INET6, "2001:db8::1", e->laddr.v6);
			inet_pton(AF_INET6, "2001:db8:0:1::53", e->raddr.v6);
			e->raddr.v6[15] = x & 0xff;
		} else {
			e->family = AF_INET;
			e->laddr.v4 = htonl(0xc0000201);		/* 192.0.2.1 */
			e->raddr.v4 = htonl(0xc6336400 | (x & 0xff));	/* 198.51.100.x */
		}
		fmt_addr(saddr[i], CONN_ADDRLEN, e->family, &e->laddr);
		fmt_addr(daddr[i], CONN_ADDRLEN, e->family, &e->raddr);
	}
}

enum kind { ROW, EVENT };

static int run_tc(FILE *out, bool json, enum kind k, unsigned long n)
{
	struct conn_clock clk;
	struct fmt f;
	unsigned long i;

	fmt_init(&f, out, json, tc_cols, C__N);
	fmt_show(&f, C_TIME, false);
	fmt_show(&f, C_UID, false);
	fmt_show(&f, C_LPORT, false);
	f.row_suffix = " ";
	conn_clock_init(&clk);
	for (i = 0; i < n; i++) {
		const struct nr_event *e = &ev[i % NEV];
		union cell v[C__N];
		struct conn_text t;

		if (k == EVENT) {
			conn_text(&clk, e, &t);
			v[C_TIME].ns = t.rel_ns;
			v[C_IP].i = t.ip;
			v[C_SADDR].s = t.laddr;
			v[C_DADDR].s = t.raddr;
		} else {
			v[C_TIME].ns = e->ts_ns - ev[0].ts_ns;
			v[C_IP].i = e->family == AF_INET6 ? 6 : 4;
			v[C_SADDR].s = saddr[i % NEV];
			v[C_DADDR].s = daddr[i % NEV];
		}
		v[C_UID].i = e->uid;
		v[C_PID].i = e->pid;
		v[C_COMM].s = e->comm;
		v[C_LPORT].i = e->lport;
		v[C_DPORT].i = e->rport;
		if (fmt_row(&f, v))
			return -1;
	}
	return fflush(out) ? -1 : 0;
}

/* tcpaccept -T: with the HH:MM:SS column. */
static int run_ta(FILE *out, bool json, unsigned long n)
{
	struct conn_clock clk;
	struct fmt f;
	unsigned long i;

	fmt_init(&f, out, json, ta_cols, A__N);
	fmt_show(&f, A_SECS, false);
	fmt_show(&f, A_UID, false);
	conn_clock_init(&clk);
	for (i = 0; i < n; i++) {
		const struct nr_event *e = &ev[i % NEV];
		union cell v[A__N];
		struct conn_text t;

		conn_text(&clk, e, &t);
		v[A_TIME].s = t.hms;
		v[A_SECS].ns = t.rel_ns;
		v[A_UID].i = e->uid;
		v[A_PID].i = e->pid;
		v[A_COMM].s = e->comm;
		v[A_IP].i = t.ip;
		v[A_RADDR].s = t.raddr;
		v[A_RPORT].i = e->rport;
		v[A_LADDR].s = t.laddr;
		v[A_LPORT].i = e->lport;
		if (fmt_row(&f, v))
			return -1;
	}
	return fflush(out) ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int app;	/* 0 tcpconnect, 1 tcpaccept -T */
		bool json;
		enum kind k;
	} cases[] = {
		{ "text", 0, false, ROW },
		{ "json", 0, true, ROW },
		{ "text_from_event", 0, false, EVENT },
		{ "json_from_event", 0, true, EVENT },
		{ "accept_text_from_event", 1, false, EVENT },
		{ "accept_json_from_event", 1, true, EVENT },
	};
	unsigned long n = 2000000;
	const char *path = "/dev/null", *only = NULL;
	int reps = 5, c, bad = 0;
	size_t i;
	FILE *out;

	while ((c = getopt(argc, argv, "n:r:o:c:h")) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'o':
			path = optarg;
			break;
		case 'c':
			only = optarg;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: fmtbench [-n ROWS] [-r REPEATS] [-o FILE] [-c CASE]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!n || reps < 1 || reps > MAX_REP) {
		fprintf(stderr, "fmtbench: -n must be > 0, -r 1..%d\n", MAX_REP);
		return 2;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return 1;
	}
	make_events();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double rate[MAX_REP], med;
		int r;

		if (only && strcmp(only, cases[i].name))
			continue;
		for (r = 0; r < reps; r++) {
			uint64_t t0 = now_ns(), t1;
			int err = cases[i].app ?
				  run_ta(out, cases[i].json, n) :
				  run_tc(out, cases[i].json, cases[i].k, n);

			t1 = now_ns();
			if (err) {
				fprintf(stderr, "fmtbench: %s: write error\n",
					cases[i].name);
				bad = 1;
				break;
			}
			rate[r] = n * 1e9 / (t1 - t0);
		}
		if (r < reps)
			continue;
		qsort(rate, reps, sizeof(rate[0]), cmp_double);
		med = reps % 2 ? rate[reps / 2] :
		      (rate[reps / 2 - 1] + rate[reps / 2]) / 2;
		printf("case=%s rows=%lu rows_per_s=%.0f ns_per_row=%.1f\n",
		       cases[i].name, n, med, 1e9 / med);
		fflush(stdout);
	}
	fclose(out);
	return bad;
}
