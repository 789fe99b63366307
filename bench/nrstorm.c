// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nrstorm: a loopback connection storm on its own.
 *
 *   nrstorm [-n CONNS] [-t THREADS] [-a ACCEPTORS] [-d MAX_SECS] [-p PORT] [-w]
 *
 * Prints one line: connections, accepts, errors, seconds, connections per
 * second and the CPU time the process used per connection.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storm.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: nrstorm [-n CONNS] [-t THREADS] [-a ACCEPTORS] [-d MAX_SECS] [-p PORT] [-w]\n"
		   "  -n  client connects in all (default 100000)\n"
		   "  -t  client threads (default 2)\n"
		   "  -a  accepting threads (default 1)\n"
		   "  -d  stop the clients after this many seconds (default 30)\n"
		   "  -p  listener port on 127.0.0.1 (default: any free port)\n"
		   "  -w  clients close right after connect(), without waiting\n"
		   "      for the server's close (it may then accept a reset socket)\n");
}

int main(int argc, char **argv)
{
	struct storm_opts o = {
		.conns = 100000, .threads = 2, .acceptors = 1, .max_secs = 30,
		.listen_fd = -1,
	};
	struct storm_result r;
	int c, err;

	while ((c = getopt(argc, argv, "n:t:a:d:p:wh")) != -1) {
		switch (c) {
		case 'n':
			o.conns = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o.threads = atoi(optarg);
			break;
		case 'a':
			o.acceptors = atoi(optarg);
			break;
		case 'd':
			o.max_secs = atof(optarg);
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 'w':
			o.no_wait = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !o.conns || o.threads < 1 || o.acceptors < 1 ||
	    o.max_secs <= 0) {
		usage(stderr);
		return 2;
	}
	err = storm_run(&o, &r);
	if (err) {
		fprintf(stderr, "nrstorm: %s\n", strerror(-err));
		return 1;
	}
	printf("connections %lu (reset early %lu, unanswered %lu) accepts %lu errors %lu%s%s%s seconds %.3f conn/s %.0f cpu_us/conn %.2f\n",
	       r.conns, r.resets, r.unanswered, r.accepts, r.errors,
	       r.first_errno ? " (first: " : "",
	       r.first_errno ? strerror(r.first_errno) : "",
	       r.first_errno ? ")" : "",
	       r.elapsed_ns / 1e9, r.rate, r.cpu_us_per_conn);
	return r.errors || r.timed_out ? 1 : 0;
}
