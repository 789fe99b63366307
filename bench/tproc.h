/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A tracer under test: spawned with its stdout and stderr on pipes, read
 * by a thread that timestamps the lines it cares about, and looked at
 * through /proc while it runs.
 *
 * Rows are recognised by their last three fields, which every tracer
 * under test prints in the same order: CLIENT_PORT ADDR SERVER_PORT
 * (tcpconnect -L: LPORT DADDR DPORT; tcpaccept: RPORT LADDR LPORT).
 */
#ifndef NRBENCH_TPROC_H
#define NRBENCH_TPROC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

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
	/*
	 * Rows without the client port (tcpconnect without -L): a probe
	 * connects to 127.0.H.L, H.L its client port, and is named by it.
	 */
	bool probe_by_daddr;

	_Atomic uint64_t t_header;	/* first "PID ..." line */
	_Atomic uint64_t t_banner;	/* first "Tracing ..." line */
	_Atomic unsigned long rows;	/* every line that parsed as a row */
	_Atomic unsigned long storm_rows;
	_Atomic uint64_t t_last_storm_row;
	_Atomic unsigned long probe_rows;
	_Atomic unsigned long printed_lost;	/* bpftrace "Lost N events" */
	_Atomic unsigned long count_sum;	/* -c: CONNECTS to storm_port */
	_Atomic uint64_t *seen;		/* [client port]: probe row arrival */

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
		uint16_t probe_port, bool count_mode);
/*
 * SIGINT (again every 3 s), wait up to timeout (then SIGKILL), reap,
 * join the reader.
 */
int tproc_stop(struct tproc *t, uint64_t timeout_ns);
void tproc_free(struct tproc *t);
bool tproc_alive(struct tproc *t);
/* Copy of stderr so far, NUL-terminated (caller frees). */
char *tproc_stderr(struct tproc *t);
/* "N events lost" on stderr (netrace), 0 if absent. */
unsigned long tproc_reported_lost(struct tproc *t);

/* /proc/PID: a "Key:  N kB" field of status, summed over tasks if all. */
long proc_status_field(pid_t pid, const char *key, bool all_tasks);
/* CPU time of every live task of pid (schedstat), in ns. */
uint64_t proc_cpu_ns(pid_t pid);

#endif
