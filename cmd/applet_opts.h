/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The options each applet of applets.def takes, by applet name: its
 * struct applet uses them, and so does the option parser's fuzzer
 * (tests/fuzz/fuzz_opts.c), which thus parses exactly what each applet
 * accepts.  -h is implied.
 */
#ifndef NETRACE_APPLET_OPTS_H
#define NETRACE_APPLET_OPTS_H

#include "opts.h"

#define APPLET_OPTS_tcpaccept						\
	(OPTBIT(OPT_TIME) | OPTBIT(OPT_TIMESTAMP) | OPTBIT(OPT_PID) |	\
	 OPTBIT(OPT_PORT) | OPTBIT(OPT_IPV4) | OPTBIT(OPT_IPV6) |	\
	 OPTBIT(OPT_PRINT_UID) | OPTBIT(OPT_CGROUPMAP) |		\
	 OPTBIT(OPT_MNTNSMAP) | OPTBIT(OPT_JSON) | OPTBIT(OPT_ATTACH) |	\
	 OPTBIT(OPT_BUFFER) | OPTBIT(OPT_EBPF) | OPTBIT(OPT_VERBOSE))

#define APPLET_OPTS_tcpconnect						\
	(OPTBIT(OPT_TIMESTAMP) | OPTBIT(OPT_PID) | OPTBIT(OPT_PORT) |	\
	 OPTBIT(OPT_IPV4) | OPTBIT(OPT_IPV6) | OPTBIT(OPT_LPORT) |	\
	 OPTBIT(OPT_PRINT_UID) | OPTBIT(OPT_UID) | OPTBIT(OPT_COUNT) |	\
	 OPTBIT(OPT_CGROUPMAP) | OPTBIT(OPT_MNTNSMAP) | OPTBIT(OPT_DNS) | \
	 OPTBIT(OPT_JSON) | OPTBIT(OPT_ATTACH) | OPTBIT(OPT_BUFFER) |	\
	 OPTBIT(OPT_EBPF) | OPTBIT(OPT_VERBOSE))

#define APPLET_OPTS_xdpfeatures						\
	(OPTBIT(OPT_IFACE) | OPTBIT(OPT_ALL) | OPTBIT(OPT_DRIVERS) |	\
	 OPTBIT(OPT_PROBE) | OPTBIT(OPT_JSON) | OPTBIT(OPT_VERBOSE))

#endif
