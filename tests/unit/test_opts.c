// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lib/opts.c: the strict value parsers, nr_parse_opts() on good and bad
 * command lines (every error must be exactly one line on stderr naming
 * the bad value) and the shape of the generated --help.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "opts.h"

#define UNUSED	__attribute__((unused))

static const struct applet tcpconnect = {
	.name = "tcpconnect",
	.summary = "Trace TCP connects",
	.opts = OPTBIT(OPT_TIMESTAMP) | OPTBIT(OPT_PID) | OPTBIT(OPT_PORT) |
		OPTBIT(OPT_IPV4) | OPTBIT(OPT_IPV6) | OPTBIT(OPT_LPORT) |
		OPTBIT(OPT_PRINT_UID) | OPTBIT(OPT_UID) | OPTBIT(OPT_COUNT) |
		OPTBIT(OPT_CGROUPMAP) | OPTBIT(OPT_MNTNSMAP) |
		OPTBIT(OPT_JSON) | OPTBIT(OPT_ATTACH) | OPTBIT(OPT_BUFFER) |
		OPTBIT(OPT_EBPF) | OPTBIT(OPT_VERBOSE),
	.examples = "    tcpconnect           # trace all TCP connect()s\n"
		    "    tcpconnect -t        # include timestamps\n",
};

/* An applet taking -i, with a help override and notes. */
static const struct applet ifapplet = {
	.name = "xdpcheck",
	.summary = "Report XDP support per interface",
	.opts = OPTBIT(OPT_IFACE) | OPTBIT(OPT_ALL) | OPTBIT(OPT_IPV4),
	.examples = "    xdpcheck -i eth0\n",
	.notes = "Needs CAP_NET_ADMIN for --probe.\n",
	.opt_help = { [OPT_ALL] = "custom help for all" },
};

static char out_buf[8192];	/* stdout of the last parse() */

static void slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* nr_parse_opts() on a NULL-terminated argv, capturing fds 1 and 2. */
static int parse(const struct applet *a, struct nr_opts *o, char *err,
		 size_t errlen, char **argv)
{
	FILE *ef = tmpfile(), *of = tmpfile();
	int argc = 0, ret, saved_err, saved_out;

	assert_non_null(ef);
	assert_non_null(of);
	while (argv[argc])
		argc++;
	fflush(stdout);
	saved_err = dup(STDERR_FILENO);
	saved_out = dup(STDOUT_FILENO);
	dup2(fileno(ef), STDERR_FILENO);
	dup2(fileno(of), STDOUT_FILENO);
	ret = nr_parse_opts(a, argc, argv, o);
	fflush(stdout);
	dup2(saved_err, STDERR_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_err);
	close(saved_out);
	slurp(ef, err, errlen);
	slurp(of, out_buf, sizeof(out_buf));
	return ret;
}

#define PARSE(a, o, err, ...) \
	parse(a, o, err, sizeof(err), (char *[]){ "tcpconnect", __VA_ARGS__, NULL })

/* -1, and stderr is exactly "tcpconnect: MSG; see 'tcpconnect --help'\n". */
#define EXPECT_ERR(a, msg, ...) do {					\
	struct nr_opts o_;						\
	char err_[1024], want_[1024];					\
									\
	assert_int_equal(PARSE(a, &o_, err_, __VA_ARGS__), -1);		\
	snprintf(want_, sizeof(want_),					\
		 "tcpconnect: %s; see 'tcpconnect --help'\n", msg);	\
	assert_string_equal(err_, want_);				\
	assert_ptr_equal(strchr(err_, '\n'), err_ + strlen(err_) - 1);	\
	assert_string_equal(out_buf, "");				\
} while (0)

#define EXPECT_OK(a, o, ...) do {					\
	char err_[1024];						\
									\
	assert_int_equal(PARSE(a, o, err_, __VA_ARGS__), 0);		\
	assert_string_equal(err_, "");					\
} while (0)

static int setup(void **state UNUSED)
{
	nr_prog = "tcpconnect";
	return 0;
}

static void test_parse_pid(void **state UNUSED)
{
	static const char *const bad[] = {
		"abc", "0", "-1", "+5", " 5", "5 ", "4194305", "5x", "0x10",
		"99999999999999999999", "18446744073709551617", "",
	};
	pid_t pid = 77;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nr_parse_pid(bad[i], &pid), -1);
		assert_int_equal(pid, 77);	/* untouched on error */
	}
	assert_int_equal(nr_parse_pid("1", &pid), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(nr_parse_pid("4194304", &pid), 0);
	assert_int_equal(pid, 4194304);
	assert_int_equal(nr_parse_pid("0042", &pid), 0);
	assert_int_equal(pid, 42);
}

static void test_parse_uid(void **state UNUSED)
{
	static const char *const bad[] = {
		"-1", "4294967295", "4294967296", "x", "", " 0", "+0", "1e3",
		"99999999999999999999",
	};
	uid_t uid = 77;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nr_parse_uid(bad[i], &uid), -1);
	assert_int_equal(uid, 77);
	assert_int_equal(nr_parse_uid("0", &uid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(nr_parse_uid("4294967294", &uid), 0);
	assert_int_equal(uid, 4294967294u);
}

static void test_parse_ports(void **state UNUSED)
{
	static const char *const bad[] = {
		"80,,81", ",80", "80,", "", ",", "0", "65536", "70000", "8a",
		"80, 81", " 80", "-80", "+80", "80;81", "99999999999999999999",
	};
	uint16_t ports[NR_MAX_PORTS];
	unsigned int n, i;
	char many[512] = "";

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nr_parse_ports(bad[i], ports, NR_MAX_PORTS,
						&n), -1);
	assert_int_equal(nr_parse_ports("80", ports, NR_MAX_PORTS, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], 80);
	assert_int_equal(nr_parse_ports("80,81", ports, NR_MAX_PORTS, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ports[0], 80);
	assert_int_equal(ports[1], 81);
	assert_int_equal(nr_parse_ports("65535,1", ports, NR_MAX_PORTS, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ports[0], 65535);
	assert_int_equal(ports[1], 1);

	/* Exactly max is fine, one more is not. */
	for (i = 1; i <= NR_MAX_PORTS; i++)
		sprintf(many + strlen(many), "%s%u", i > 1 ? "," : "", i);
	assert_int_equal(nr_parse_ports(many, ports, NR_MAX_PORTS, &n), 0);
	assert_int_equal(n, NR_MAX_PORTS);
	assert_int_equal(ports[NR_MAX_PORTS - 1], NR_MAX_PORTS);
	strcat(many, ",65");
	assert_int_equal(nr_parse_ports(many, ports, NR_MAX_PORTS, &n), -1);
	assert_int_equal(nr_parse_ports("1,2,3", ports, 2, &n), -1);
}

static void test_bad_values(void **state UNUSED)
{
	EXPECT_ERR(&tcpconnect, "invalid PID 'abc' for -p/--pid", "-p", "abc");
	EXPECT_ERR(&tcpconnect, "invalid PID '0' for -p/--pid", "-p", "0");
	EXPECT_ERR(&tcpconnect, "invalid PID '' for -p/--pid", "--pid=");
	EXPECT_ERR(&tcpconnect, "invalid PID '5x' for -p/--pid", "-p5x");
	EXPECT_ERR(&tcpconnect, "invalid port '70000' in -P/--port '70000'",
		   "-P", "70000");
	EXPECT_ERR(&tcpconnect, "invalid port '70000' in -P/--port '80,70000'",
		   "--port", "80,70000");
	EXPECT_ERR(&tcpconnect, "empty port in -P/--port '80,,81'",
		   "-P", "80,,81");
	EXPECT_ERR(&tcpconnect, "empty port in -P/--port '80,'", "-P", "80,");
	EXPECT_ERR(&tcpconnect, "invalid UID '-1' for -u/--uid", "-u", "-1");
	EXPECT_ERR(&tcpconnect, "invalid UID '4294967295' for -u/--uid",
		   "--uid", "4294967295");
	EXPECT_ERR(&tcpconnect, "empty PATH for --cgroupmap", "--cgroupmap=");
	EXPECT_ERR(&tcpconnect, "invalid value 'bogus' for --attach "
		   "(auto, fentry, kprobe, tracepoint)", "--attach=bogus");
	EXPECT_ERR(&tcpconnect, "invalid value 'ring' for --buffer "
		   "(auto, ringbuf, perfbuf)", "--buffer", "ring");
}

static void test_too_many_ports(void **state UNUSED)
{
	char many[512] = "";
	unsigned int i;

	for (i = 1; i <= NR_MAX_PORTS + 1; i++)
		sprintf(many + strlen(many), "%s%u", i > 1 ? "," : "", i);
	EXPECT_ERR(&tcpconnect, "too many ports in -P/--port (at most 64)",
		   "-P", many);
}

static void test_bad_options(void **state UNUSED)
{
	struct nr_opts o;

	EXPECT_ERR(&tcpconnect, "-4/--ipv4 and -6/--ipv6 are mutually exclusive",
		   "-4", "-6");
	EXPECT_ERR(&tcpconnect, "-4/--ipv4 and -6/--ipv6 are mutually exclusive",
		   "--ipv6", "-t", "--ipv4");
	EXPECT_ERR(&tcpconnect, "unknown option '-x'", "-x");
	EXPECT_ERR(&tcpconnect, "unknown option '-x'", "-tx");
	EXPECT_ERR(&tcpconnect, "unknown option '--foo'", "--foo");
	EXPECT_ERR(&tcpconnect, "unknown option '--foo'", "-t", "--foo=bar");
	EXPECT_ERR(&ifapplet, "ambiguous option '--i'", "--i=eth0");
	EXPECT_OK(&ifapplet, &o, "--int=eth0", "--ipv");	/* unique prefixes */
	assert_string_equal(o.ifaces[0], "eth0");
	assert_int_equal(o.family, AF_INET);
	nr_opts_free(&o);
	EXPECT_ERR(&tcpconnect, "option '-p' needs a value", "-p");
	EXPECT_ERR(&tcpconnect, "option '--pid' needs a value", "--pid");
	EXPECT_ERR(&tcpconnect, "option '--json' takes no value", "--json=1");
	EXPECT_ERR(&tcpconnect, "unexpected argument 'foo'", "foo");
	EXPECT_ERR(&tcpconnect, "unexpected argument 'foo'", "-t", "foo", "-j");
	EXPECT_ERR(&tcpconnect, "unexpected argument '-t'", "--", "-t");
}

/*
 * An error quotes what was typed; a control byte in it (fuzz.opts found
 * "--\n") must not end the line early or reach the terminal: it shows
 * as '?'.
 */
static void test_error_quoting_control_bytes(void **state UNUSED)
{
	EXPECT_ERR(&tcpconnect, "unknown option '--?'", "--\n");
	EXPECT_ERR(&tcpconnect, "invalid port '80?81' in -P/--port '80?81'",
		   "-P", "80\n81");
	EXPECT_ERR(&tcpconnect, "invalid PID '?[2J' for -p/--pid",
		   "--pid=\033[2J");
	EXPECT_ERR(&ifapplet, "empty interface in -i/--interface 'eth0??,'",
		   "-i", "eth0\t\177,");
	/* UTF-8 is no control byte */
	EXPECT_ERR(&tcpconnect, "unexpected argument 'caf\xc3\xa9'", "caf\xc3\xa9");
}

/* Options in the table but not in the applet's mask are unknown. */
static void test_not_in_mask(void **state UNUSED)
{
	EXPECT_ERR(&tcpconnect, "unknown option '-T'", "-T");
	EXPECT_ERR(&tcpconnect, "unknown option '-i'", "-i", "eth0");
	EXPECT_ERR(&tcpconnect, "unknown option '--interface'",
		   "--interface=eth0");
	EXPECT_ERR(&tcpconnect, "unknown option '--drivers'", "--drivers");
	EXPECT_ERR(&ifapplet, "unknown option '-p'", "-p", "1");
	EXPECT_ERR(&ifapplet, "unknown option '-6'", "-6");
}

static void test_good_combo(void **state UNUSED)
{
	struct nr_opts o;

	EXPECT_OK(&tcpconnect, &o, "-tLU", "-p", "1234", "-P", "80,443", "-4",
		  "-u", "1000", "-c", "--cgroupmap", "/sys/fs/bpf/cg",
		  "--mntnsmap=/sys/fs/bpf/mnt", "-j", "--attach", "kprobe",
		  "--buffer=perfbuf", "--ebpf", "-v");
	assert_true(o.timestamp && o.lport && o.print_uid && o.count);
	assert_true(o.json && o.ebpf && o.verbose);
	assert_false(o.time || o.all || o.drivers || o.probe);
	assert_int_equal(o.family, AF_INET);
	assert_int_equal(o.pid, 1234);
	assert_true(o.has_uid);
	assert_int_equal(o.uid, 1000);
	assert_int_equal(o.nports, 2);
	assert_int_equal(o.ports[0], 80);
	assert_int_equal(o.ports[1], 443);
	assert_string_equal(o.cgroupmap, "/sys/fs/bpf/cg");
	assert_string_equal(o.mntnsmap, "/sys/fs/bpf/mnt");
	assert_int_equal(o.attach, NR_ATTACH_KPROBE);
	assert_int_equal(o.buffer, NR_BUFFER_PERFBUF);
	assert_int_equal(o.nifaces, 0);

	EXPECT_OK(&tcpconnect, &o, "--pid=42", "-6", "-6", "-u", "0",
		  "-P", "80", "--port", "22");
	assert_int_equal(o.pid, 42);
	assert_int_equal(o.family, AF_INET6);
	assert_true(o.has_uid);
	assert_int_equal(o.uid, 0);
	assert_int_equal(o.nports, 1);	/* a later -P replaces */
	assert_int_equal(o.ports[0], 22);
	assert_int_equal(o.attach, NR_ATTACH_AUTO);
}

/* *o is zeroed first, and earlier parses leave nothing behind. */
static void test_zero_init(void **state UNUSED)
{
	struct nr_opts o, zero;
	char err[64];

	/* Stop getopt in the middle of "-xt": the next parse must not see "t". */
	assert_int_equal(PARSE(&tcpconnect, &o, err, "-xt"), -1);
	memset(&o, 0xff, sizeof(o));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(parse(&tcpconnect, &o, err, sizeof(err),
			       (char *[]){ "tcpconnect", NULL }), 0);
	assert_memory_equal(&o, &zero, sizeof(o));
	EXPECT_OK(&tcpconnect, &o, "-t");
	assert_true(o.timestamp);
}

static void test_ifaces(void **state UNUSED)
{
	char *argv[] = { "xdpcheck", "-i", "a,b", "--interface", "c", NULL };
	struct nr_opts o;
	char err[256];

	assert_int_equal(parse(&ifapplet, &o, err, sizeof(err), argv), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.nifaces, 3);
	assert_string_equal(o.ifaces[0], "a");
	assert_string_equal(o.ifaces[1], "b");
	assert_string_equal(o.ifaces[2], "c");
	assert_ptr_equal(o.ifaces[2], argv[4]);	/* no copy without a comma */
	assert_int_equal(o.ifaces_copied, 0x3);
	nr_opts_free(&o);
	assert_int_equal(o.nifaces, 0);
	assert_int_equal(o.ifaces_copied, 0);

	EXPECT_OK(&ifapplet, &o, "-a", "-ieth0");
	assert_true(o.all);
	assert_int_equal(o.nifaces, 1);
	assert_string_equal(o.ifaces[0], "eth0");
	nr_opts_free(&o);
	/* The copy of "a" is freed by the failing parse (the ASan build's
	 * leak check sees it otherwise). */
	EXPECT_ERR(&ifapplet, "empty interface in -i/--interface 'a,,b'",
		   "-i", "a,,b");
	EXPECT_ERR(&ifapplet, "empty interface in -i/--interface ',a'",
		   "-i", ",a");
	EXPECT_ERR(&ifapplet, "empty interface in -i/--interface ''", "-i", "");
}

static void test_help_flag(void **state UNUSED)
{
	struct nr_opts o;
	char err[256];

	assert_int_equal(PARSE(&tcpconnect, &o, err, "-h"), 1);
	assert_string_equal(err, "");
	assert_memory_equal(out_buf, "usage: tcpconnect [-h]", 22);
	assert_int_equal(PARSE(&tcpconnect, &o, err, "-t", "--help"), 1);
	assert_memory_equal(out_buf, "usage: tcpconnect [-h]", 22);
	/* Like argparse, options act in order: help before the bad PID. */
	assert_int_equal(PARSE(&tcpconnect, &o, err, "-h", "-p", "abc"), 1);
	assert_string_equal(err, "");
	/* -h is accepted even by an applet whose mask lacks it. */
	assert_int_equal(PARSE(&ifapplet, &o, err, "-h"), 1);
	assert_memory_equal(out_buf, "usage: xdpcheck [-h]", 20);
}

static char *help_text(const struct applet *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	nr_print_help(a, f);
	fclose(f);
	return buf;
}

static void test_help_text(void **state UNUSED)
{
	static const char *const taken[] = {
		"--help", "--timestamp", "--pid PID", "--port PORTS", "--ipv4",
		"--ipv6", "--lport", "--print-uid", "--uid UID", "--count",
		"--cgroupmap PATH", "--mntnsmap PATH", "--json",
		"--attach MODE", "--buffer MODE", "--ebpf", "--verbose",
	};
	static const char *const untaken[] = {
		"-T", "--time ", "--interface", "--all", "--drivers", "--probe",
	};
	const char *usage =
		"usage: tcpconnect [-h] [-t] [-p PID] [-P PORTS] [-4 | -6] [-L] [-U] [-u UID]\n"
		"                  [-c] [--cgroupmap PATH] [--mntnsmap PATH] [-j]\n"
		"                  [--attach MODE] [--buffer MODE] [--ebpf] [-v]\n"
		"\n";
	char *help = help_text(&tcpconnect), *line, *nl;
	size_t i;

	assert_memory_equal(help, usage, strlen(usage));
	assert_non_null(strstr(help, "[-4 | -6]"));
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		assert_non_null(strstr(help, taken[i]));
	for (i = 0; i < sizeof(untaken) / sizeof(untaken[0]); i++)
		assert_null(strstr(help, untaken[i]));
	assert_non_null(strstr(help, "\n\nTrace TCP connects\n\n"
				     "optional arguments:\n"
				     "  -h, --help            show this help message and exit\n"
				     "  -t, --timestamp       include timestamp on output\n"
				     "  -p PID, --pid PID     trace this PID only\n"
				     "  -P PORTS, --port PORTS\n"
				     "                        comma-separated list of destination ports to trace.\n"));
	assert_non_null(strstr(help, "\n  --cgroupmap PATH      trace cgroups in this BPF map only\n"));
	/* Long help wraps under column 24. */
	assert_non_null(strstr(help, "\n  --attach MODE         attach strategy: auto, fentry, kprobe or tracepoint\n"
				     "                        (default: auto)\n"));
	for (line = help; (nl = strchr(line, '\n')); line = nl + 1)
		assert_true(nl - line <= 80);
	assert_non_null(strstr(help, "\n\nexamples:\n"
				     "    tcpconnect           # trace all TCP connect()s\n"
				     "    tcpconnect -t        # include timestamps\n"));
	/* No notes: the examples end the text. */
	assert_string_equal(help + strlen(help) - 21, "# include timestamps\n");
	free(help);
}

static void test_help_overrides(void **state UNUSED)
{
	char *help = help_text(&ifapplet);

	assert_memory_equal(help, "usage: xdpcheck [-h] [-4] [-i IFACE] [-a]\n",
			    strlen("usage: xdpcheck [-h] [-4] [-i IFACE] [-a]\n"));
	assert_non_null(strstr(help, "\n  -i IFACE, --interface IFACE\n"
				     "                        only this interface"));
	assert_non_null(strstr(help, "\n  -a, --all             custom help for all\n"));
	assert_null(strstr(help, "show every feature"));
	assert_non_null(strstr(help, "examples:\n    xdpcheck -i eth0\n"
				     "\nNeeds CAP_NET_ADMIN for --probe.\n"));
	assert_string_equal(help + strlen(help) - 2, ".\n");
	free(help);
}

static void test_names(void **state UNUSED)
{
	assert_string_equal(nr_attach_name(NR_ATTACH_AUTO), "auto");
	assert_string_equal(nr_attach_name(NR_ATTACH_FENTRY), "fentry");
	assert_string_equal(nr_attach_name(NR_ATTACH_KPROBE), "kprobe");
	assert_string_equal(nr_attach_name(NR_ATTACH_TRACEPOINT), "tracepoint");
	assert_string_equal(nr_buffer_name(NR_BUFFER_AUTO), "auto");
	assert_string_equal(nr_buffer_name(NR_BUFFER_RINGBUF), "ringbuf");
	assert_string_equal(nr_buffer_name(NR_BUFFER_PERFBUF), "perfbuf");
}


/*
 * An applet shaped like BCC's tcpconnlat: its own option order, a
 * positional argument, and -L meaning what tcpconnect's -L means while
 * another applet's -L (--localport) takes a value.
 */
static const unsigned char latorder[] = {
	OPT_TIMESTAMP, OPT_PID, OPT_LPORT, OPT_IPV4, OPT_IPV6, OPT_VERBOSE,
	OPT__COUNT,
};

static const struct applet latapplet = {
	.name = "tcpconnlat",
	.summary = "Trace TCP connects and show connection latency",
	.opts = OPTBIT(OPT_TIMESTAMP) | OPTBIT(OPT_PID) | OPTBIT(OPT_LPORT) |
		OPTBIT(OPT_IPV4) | OPTBIT(OPT_IPV6) | OPTBIT(OPT_VERBOSE),
	.order = latorder,
	.arg_name = "duration_ms",
	.arg_help = "minimum duration to trace (ms)",
	.opt_help = { [OPT_VERBOSE] = "print the BPF program for debugging purposes" },
};

static const struct applet lifeapplet = {
	.name = "tcplife",
	.opts = OPTBIT(OPT_TIME) | OPTBIT(OPT_WIDE) | OPTBIT(OPT_CSV) |
		OPTBIT(OPT_LOCALPORT) | OPTBIT(OPT_REMOTEPORT) |
		OPTBIT(OPT_NETNS) | OPTBIT(OPT_JOURNAL),
};

static void test_order_positional(void **state UNUSED)
{
	char *help = help_text(&latapplet);
	struct nr_opts o;

	assert_string_equal(help,
		"usage: tcpconnlat [-h] [-t] [-p PID] [-L] [-4 | -6] [-v] [duration_ms]\n"
		"\n"
		"Trace TCP connects and show connection latency\n"
		"\n"
		"positional arguments:\n"
		"  duration_ms        minimum duration to trace (ms)\n"
		"\n"
		"optional arguments:\n"
		"  -h, --help         show this help message and exit\n"
		"  -t, --timestamp    include timestamp on output\n"
		"  -p PID, --pid PID  trace this PID only\n"
		"  -L, --lport        include LPORT on output\n"
		"  -4, --ipv4         trace IPv4 family only\n"
		"  -6, --ipv6         trace IPv6 family only\n"
		"  -v, --verbose      print the BPF program for debugging purposes\n");
	free(help);
	EXPECT_OK(&latapplet, &o, "-L", "0.5", "-t");
	assert_true(o.lport);
	assert_true(o.timestamp);
	assert_string_equal(o.arg, "0.5");
	EXPECT_OK(&latapplet, &o, "-t");
	assert_null(o.arg);
	EXPECT_ERR(&latapplet, "unexpected argument '2'", "1", "2");
	/* Without a positional argument taken, any is an error. */
	EXPECT_ERR(&tcpconnect, "unexpected argument '1'", "1");
}

static void test_port_lists_netns(void **state UNUSED)
{
	struct nr_opts o;

	EXPECT_OK(&lifeapplet, &o, "-L", "80,81", "-D", "22", "-N",
		  "4026531840", "-wsTY");
	assert_int_equal(o.nlports, 2);
	assert_int_equal(o.lports[1], 81);
	assert_int_equal(o.nrports, 1);
	assert_int_equal(o.rports[0], 22);
	assert_int_equal(o.netns, 4026531840U);
	assert_true(o.wide && o.csv && o.time && o.journal);
	assert_false(o.lport);
	EXPECT_ERR(&lifeapplet, "invalid port 'x' in -L/--localport 'x'",
		   "-L", "x");
	EXPECT_ERR(&lifeapplet, "invalid port '0' in -D/--remoteport '0'",
		   "-D", "0");
	EXPECT_ERR(&lifeapplet, "invalid NETNS '0' for -N/--netns",
		   "-N", "0");
	EXPECT_ERR(&lifeapplet, "invalid NETNS '4294967296' for -N/--netns",
		   "-N", "4294967296");
	/* tcpconnect's -L takes no value. */
	EXPECT_OK(&tcpconnect, &o, "-L");
	assert_true(o.lport);
	assert_int_equal(o.nlports, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_pid),
		cmocka_unit_test(test_order_positional),
		cmocka_unit_test(test_port_lists_netns),
		cmocka_unit_test(test_parse_uid),
		cmocka_unit_test(test_parse_ports),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_too_many_ports),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_error_quoting_control_bytes),
		cmocka_unit_test(test_not_in_mask),
		cmocka_unit_test(test_good_combo),
		cmocka_unit_test(test_zero_init),
		cmocka_unit_test(test_ifaces),
		cmocka_unit_test(test_help_flag),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_help_overrides),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
