/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A tracer under test: spawned with its stdout and stderr on pipes, read
 * by a thread that timestamps the lines it cares about, and looked at
 * through /proc while it runs.
 *
 * Rows are recognised by their last three fields, which every tracer
 * under test prints in the same order: CLIENT_PORT ADDR SERVER_PORT
 * (tcpconnect -L: LPORT DADDR DPORT; tcpaccept: RPORT LADDR LPORT), or
 * that many fields before the last skip_fields (tcplife: LPORT RADDR
 * RPORT, then TX_KB RX_KB MS; a session's server row has the client
 * port last and counts as neither storm nor probe row).  tcptracer puts
 * both ports after both addresses: SADDR DADDR SPORT DPORT (ports_last).
 */
#ifndef NRBENCH_TPROC_H
#define NRBENCH_TPROC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Every line of stdout, without its newline, as the reader reads it. */
typedef void (*tproc_line_fn)(void *ctx, const char *line, size_t len,
			      uint64_t now);

struct tproc {
	pid_t pid;
	int out_fd, err_fd;
	int probe_efd;			/* eventfd: a probe row arrived */
	pthread_t reader;
	bool reader_started;
	uint64_t t_exec;		/* just before fork() */
	uint16_t storm_port;		/* rows with this server port count */
	uint16_t probe_port;		/* rows with this server port are probes */
	bool count_mode;		/* tcpconnect -c table: RPORT CONNECTS */
	int skip_fields;		/* after the port triple (tcplife: 3) */
	/*
	 * A storm row counts only when it holds needle (NULL: every row):
	 * tcpstates prints a row per state change, and one of them per
	 * connection is its client side's SYN_SENT -> ESTABLISHED.  Every
	 * row of the storm's port still counts in storm_events.
	 */
	const char *needle;
	/*
	 * Rows without the client port (tcpconnect without -L): a probe
	 * connects to 127.0.H.L, H.L its client port, and is named by it.
	 */
	bool probe_by_daddr;
	/* Rows end SADDR DADDR CLIENT_PORT SERVER_PORT (tcptracer). */
	bool ports_last;

	_Atomic uint64_t t_header;	/* first "PID ..." line */
	_Atomic uint64_t t_banner;	/* first "Tracing ..." line */
	_Atomic unsigned long rows;	/* every line that parsed as a row */
	_Atomic unsigned long storm_rows;
	_Atomic unsigned long storm_events;	/* rows of the storm's port */
	_Atomic uint64_t t_last_storm_row;
	_Atomic unsigned long probe_rows;
	_Atomic unsigned long printed_lost;	/* bpftrace "Lost N events" */
	_Atomic unsigned long count_sum;	/* -c: CONNECTS to storm_port */
	_Atomic uint64_t *seen;		/* [client port]: probe row arrival */

	tproc_line_fn line_fn;		/* NULL, or called for every line */
	void *line_ctx;

	char *errtext;			/* all of stderr */
	size_t errlen, errcap;
	pthread_mutex_t errlock;

	int status;			/* wait status after tproc_stop() */
	bool killed;			/* SIGINT did not stop it: SIGKILL */
	int sigints;			/* SIGINTs sent, one every 3 s */
	struct rusage ru;
};

uint64_t now_ns(void);
void sleep_ns(uint64_t ns);

/* Start argv[0] (searched in PATH); 0 or -errno. */
int tproc_spawn(struct tproc *t, char *const argv[], uint16_t storm_port,
		uint16_t probe_port, bool count_mode, int skip_fields,
		const char *needle);
/* The same, with fn called by the reader thread for every line. */
int tproc_spawn_lines(struct tproc *t, char *const argv[], tproc_line_fn fn,
		      void *ctx);
/*
 * SIGINT (again every 3 s), wait up to timeout (then SIGKILL), reap,
 * join the reader.
 */
int tproc_stop(struct tproc *t, uint64_t timeout_ns);
void tproc_free(struct tproc *t);
bool tproc_alive(struct tproc *t);
/*
 * Wait until *count (rows the caller counts) reaches want, the tracer
 * stops, no row came for quiet_ns or max_ns passed.
 */
void tproc_drain(struct tproc *t, _Atomic unsigned long *count,
		 unsigned long want, uint64_t max_ns, uint64_t quiet_ns);
/* Copy of stderr so far, NUL-terminated (caller frees). */
char *tproc_stderr(struct tproc *t);
/* "N events lost" on stderr (netrace), 0 if absent. */
unsigned long tproc_reported_lost(struct tproc *t);

/*
 * 0 as root.  Else a note on stderr and the exit status to end with: 77
 * (ctest's skip), or 1 with CI=true or NETRACE_REQUIRE_PRIV=1, where a
 * skipped privileged test hides a broken feature.
 */
int tproc_need_root(const char *prog);

/* The failures of one run: counted, and summed up in text. */
struct fails {
	const char *prog, *who;	/* stderr lines say "prog: who: message" */
	int n;
	char text[1024];	/* "; "-separated messages, truncated */
};

void fails_add(struct fails *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* /proc/PID: a "Key:  N kB" field of status, summed over tasks if all. */
long proc_status_field(pid_t pid, const char *key, bool all_tasks);
/* CPU time of every live task of pid (schedstat), in ns. */
uint64_t proc_cpu_ns(pid_t pid);

#endif
