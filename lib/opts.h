/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One option framework for every applet: a single table of every option
 * netrace knows (BCC's letters first), each applet picking the ones it
 * takes with a bit mask.  The same table drives getopt_long() and the
 * BCC-shaped --help text, so help and parsing cannot drift apart.
 */
#ifndef NETRACE_OPTS_H
#define NETRACE_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define NR_MAX_PORTS	64
#define NR_MAX_IFACES	64

enum nr_opt_id {
	OPT_HELP,		/* -h, --help */
	OPT_TIME,		/* -T, --time            (tcpaccept) */
	OPT_TIMESTAMP,		/* -t, --timestamp */
	OPT_PID,		/* -p, --pid PID */
	OPT_PORT,		/* -P, --port PORTS */
	OPT_IPV4,		/* -4, --ipv4 */
	OPT_IPV6,		/* -6, --ipv6 */
	OPT_LPORT,		/* -L, --lport           (tcpconnect) */
	OPT_PRINT_UID,		/* -U, --print-uid */
	OPT_UID,		/* -u, --uid UID */
	OPT_COUNT,		/* -c, --count */
	OPT_CGROUPMAP,		/* --cgroupmap PATH */
	OPT_MNTNSMAP,		/* --mntnsmap PATH */
	OPT_DNS,		/* -d, --dns             (tcpconnect) */
	OPT_WIDE,		/* -w, --wide */
	OPT_CSV,		/* -s, --csv */
	OPT_LOCALPORT,		/* -L, --localport PORTS (tcpstates, tcplife) */
	OPT_REMOTEPORT,		/* -D, --remoteport PORTS */
	OPT_JOURNAL,		/* -Y, --journal         (tcpstates) */
	OPT_NETNS,		/* -N, --netns NETNS     (tcptracer) */
	OPT_IFACE,		/* -i, --interface IFACE (repeatable, comma list) */
	OPT_ALL,		/* -a, --all */
	OPT_DRIVERS,		/* --drivers */
	OPT_PROBE,		/* --probe */
	OPT_JSON,		/* -j, --json */
	OPT_ATTACH,		/* --attach auto|fentry|kprobe|tracepoint */
	OPT_BUFFER,		/* --buffer auto|ringbuf|perfbuf */
	OPT_EBPF,		/* --ebpf */
	OPT_VERBOSE,		/* -v, --verbose */
	OPT__COUNT
};

#define OPTBIT(id)	(1ULL << (id))

enum nr_attach {
	NR_ATTACH_AUTO,
	NR_ATTACH_FENTRY,
	NR_ATTACH_KPROBE,
	NR_ATTACH_TRACEPOINT,
};

enum nr_buffer {
	NR_BUFFER_AUTO,
	NR_BUFFER_RINGBUF,
	NR_BUFFER_PERFBUF,
};

struct nr_opts {
	bool time;		/* -T */
	bool timestamp;		/* -t */
	bool lport;		/* -L */
	bool print_uid;		/* -U */
	bool count;		/* -c */
	bool dns;		/* -d */
	bool wide;		/* -w */
	bool csv;		/* -s */
	bool journal;		/* -Y */
	bool all;		/* -a */
	bool drivers;		/* --drivers */
	bool probe;		/* --probe */
	bool json;		/* -j */
	bool ebpf;		/* --ebpf */
	bool verbose;		/* -v */
	int family;		/* 0 (any), AF_INET (-4) or AF_INET6 (-6) */
	pid_t pid;		/* 0: any */
	bool has_uid;
	uid_t uid;
	unsigned int nports;
	uint16_t ports[NR_MAX_PORTS];
	unsigned int nlports;		/* -L/--localport */
	uint16_t lports[NR_MAX_PORTS];
	unsigned int nrports;		/* -D/--remoteport */
	uint16_t rports[NR_MAX_PORTS];
	uint32_t netns;			/* -N: inode number, 0: any */
	const char *arg;		/* the positional argument, if taken */
	const char *cgroupmap;
	const char *mntnsmap;
	unsigned int nifaces;
	const char *ifaces[NR_MAX_IFACES];	/* point into argv, or are
						 * copies out of a comma list */
	uint64_t ifaces_copied;		/* bit i: ifaces[i] is a copy */
	enum nr_attach attach;
	enum nr_buffer buffer;
};

struct applet {
	const char *name;
	const char *summary;	/* one line: --list and the help description */
	uint64_t opts;		/* OPTBIT() of each option taken (-h is implied) */
	const char *examples;	/* lines "    tcpconnect -t   # comment\n" */
	const char *notes;	/* optional paragraph printed after examples */
	const char *opt_help[OPT__COUNT];	/* per-applet help text overrides */
	/*
	 * The order of the options in usage and help, as BCC's script has
	 * it, ended by OPT__COUNT (-h first is implied); NULL: the table's.
	 */
	const unsigned char *order;
	/* One optional positional argument (nr_opts.arg): name and help. */
	const char *arg_name;
	const char *arg_help;
	int (*main)(const struct applet *a, int argc, char **argv);
};

/*
 * Parse argv (argv[0] is the applet name) into *o for applet a.
 * Returns 0 to go on, 1 when --help was printed (exit 0), -1 after one
 * line on stderr naming the bad value or option (exit 2).  Positional
 * arguments are an error.  Nothing is loaded into the kernel here.
 * After 0, nr_opts_free() releases what *o holds; after 1 or -1 it holds
 * nothing.
 */
int nr_parse_opts(const struct applet *a, int argc, char **argv,
		  struct nr_opts *o);
void nr_opts_free(struct nr_opts *o);
void nr_print_help(const struct applet *a, FILE *out);

/* Typed parsers, exported for the unit tests: 0 or -1 (no message). */
int nr_parse_pid(const char *s, pid_t *out);
int nr_parse_uid(const char *s, uid_t *out);
int nr_parse_ports(const char *s, uint16_t *ports, unsigned int max,
		   unsigned int *n);

const char *nr_attach_name(enum nr_attach a);
const char *nr_buffer_name(enum nr_buffer b);

#endif
