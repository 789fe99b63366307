// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the option parser (lib/opts.c): the first byte of
 * an input picks an applet of cmd/applets.def, with the options it takes
 * (cmd/applet_opts.h); the rest is its argv after argv[0], the arguments
 * separated by NUL bytes (a last NUL ends the last one).
 * nr_parse_opts() parses it as main() would.  Built and run like
 * fuzz_dns (tests/fuzz/CMakeLists.txt, run.sh).
 *
 * Beyond memory safety (and no leak: the fuzzer frees the comma-list
 * names nr_parse_opts() keeps until exit) it checks the contract and
 * aborts when it breaks:
 *  - 0 (go on) and 1 (--help printed) write nothing on stderr, -1 writes
 *    exactly one line there, "netrace: " first, without control bytes;
 *  - after 0, an option the applet does not take is left at its default,
 *    and every value is one the option allows.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "applet_opts.h"
#include "opts.h"

#define MAX_ARGS	128
#define ERR_MAX		2048	/* more than one log line can be */
#define PID_MAX		4194304

#define APPLET(n) { .name = #n, .opts = APPLET_OPTS_##n },
static const struct applet applets[] = {
#include "applets.def"
};
#undef APPLET
#define NAPPLETS	(sizeof(applets) / sizeof(applets[0]))

/* Each flag of struct nr_opts, with the option that sets it. */
static const struct {
	int id;
	size_t off;
} flags[] = {
	{ OPT_TIME, offsetof(struct nr_opts, time) },
	{ OPT_TIMESTAMP, offsetof(struct nr_opts, timestamp) },
	{ OPT_LPORT, offsetof(struct nr_opts, lport) },
	{ OPT_PRINT_UID, offsetof(struct nr_opts, print_uid) },
	{ OPT_COUNT, offsetof(struct nr_opts, count) },
	{ OPT_DNS, offsetof(struct nr_opts, dns) },
	{ OPT_ALL, offsetof(struct nr_opts, all) },
	{ OPT_DRIVERS, offsetof(struct nr_opts, drivers) },
	{ OPT_PROBE, offsetof(struct nr_opts, probe) },
	{ OPT_JSON, offsetof(struct nr_opts, json) },
	{ OPT_EBPF, offsetof(struct nr_opts, ebpf) },
	{ OPT_VERBOSE, offsetof(struct nr_opts, verbose) },
};

static int report_fd = -1;	/* the real stderr */
static int err_fd = -1;		/* stderr while parsing: a memfd */

static void die(const char *why)
{
	dprintf(report_fd, "fuzz_opts: %s\n", why);
	abort();
}

static void init(void)
{
	report_fd = dup(STDERR_FILENO);
	err_fd = memfd_create("fuzz_opts.stderr", MFD_CLOEXEC);
	if (report_fd < 0 || err_fd < 0)
		abort();
	/* A sanitizer report during a parse must not go to the memfd. */
	__sanitizer_set_report_fd((void *)(intptr_t)report_fd);
}

/* Split data into args[1..]: the argc, or 0 when there are too many. */
static int split_args(char *data, size_t size, char **args)
{
	int argc = 1;
	size_t i = 0, len;

	while (i < size) {
		if (argc == MAX_ARGS)
			return 0;
		len = strnlen(data + i, size - i);
		args[argc++] = data + i;
		i += len + 1;
	}
	args[argc] = NULL;
	return argc;
}

/* Did the parse write exactly what its result allows on stderr? */
static void check_stderr(int r)
{
	char buf[ERR_MAX + 1];
	ssize_t n = pread(err_fd, buf, ERR_MAX, 0);
	const char *p;

	if (n < 0)
		die("cannot read back stderr");
	buf[n] = '\0';
	if (r != -1) {
		if (n)
			die("stderr written without an error");
		return;
	}
	if (!n || strncmp(buf, "netrace: ", 9) || buf[n - 1] != '\n')
		die("an error is not one line on stderr");
	for (p = buf; p < buf + n - 1; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			die("a control byte in an error (a second line?)");
}

/* An option the applet does not take is left at its default. */
static void check_mask(const struct nr_opts *o, uint64_t mask)
{
	unsigned int i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (!(mask & OPTBIT(flags[i].id)) &&
		    *(const bool *)((const char *)o + flags[i].off))
			die("a flag set that the applet does not take");
	if ((o->family && !(mask & (OPTBIT(OPT_IPV4) | OPTBIT(OPT_IPV6)))) ||
	    (o->pid && !(mask & OPTBIT(OPT_PID))) ||
	    (o->has_uid && !(mask & OPTBIT(OPT_UID))) ||
	    (o->nports && !(mask & OPTBIT(OPT_PORT))) ||
	    (o->nifaces && !(mask & OPTBIT(OPT_IFACE))) ||
	    (o->cgroupmap && !(mask & OPTBIT(OPT_CGROUPMAP))) ||
	    (o->mntnsmap && !(mask & OPTBIT(OPT_MNTNSMAP))) ||
	    (o->attach && !(mask & OPTBIT(OPT_ATTACH))) ||
	    (o->buffer && !(mask & OPTBIT(OPT_BUFFER))))
		die("a value set that the applet does not take");
}

/* Every value is one its option allows. */
static void check_values(const struct nr_opts *o)
{
	unsigned int i;

	if (o->family && o->family != AF_INET && o->family != AF_INET6)
		die("family neither 0, AF_INET nor AF_INET6");
	if (o->pid < 0 || o->pid > PID_MAX)
		die("pid out of range");
	if (o->has_uid && o->uid == (uid_t)-1)
		die("uid -1");
	if (o->nports > NR_MAX_PORTS)
		die("too many ports");
	for (i = 0; i < o->nports; i++)
		if (!o->ports[i])
			die("port 0");
	if (o->nifaces > NR_MAX_IFACES)
		die("too many interfaces");
	for (i = 0; i < o->nifaces; i++)
		if (!o->ifaces[i][0] || strchr(o->ifaces[i], ','))
			die("empty interface name, or one with a comma");
	if ((o->cgroupmap && !*o->cgroupmap) || (o->mntnsmap && !*o->mntnsmap))
		die("empty map path");
	if ((unsigned int)o->attach > NR_ATTACH_TRACEPOINT ||
	    (unsigned int)o->buffer > NR_BUFFER_PERFBUF)
		die("attach or buffer mode out of range");
}

/*
 * Free the names nr_parse_opts() strdup'ed out of comma lists: those that
 * do not point into the arguments (n bytes at args).
 */
static void free_ifaces(const struct nr_opts *o, const char *args, size_t n)
{
	unsigned int i;

	for (i = 0; i < o->nifaces; i++)
		if (o->ifaces[i] < args || o->ifaces[i] >= args + n)
			free((char *)o->ifaces[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[MAX_ARGS + 1], *copy;
	const struct applet *a;
	struct nr_opts o;
	int argc, r;

	if (report_fd < 0)
		init();
	if (!size)
		return 0;
	a = &applets[data[0] % NAPPLETS];
	/* Writable, and the last argument NUL-terminated by the extra byte. */
	copy = malloc(size);
	if (!copy)
		die("out of memory");
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	args[0] = (char *)a->name;
	argc = split_args(copy, size - 1, args);
	if (!argc) {
		free(copy);
		return 0;
	}
	if (ftruncate(err_fd, 0) || lseek(err_fd, 0, SEEK_SET) ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		die("cannot redirect stderr");
	r = nr_parse_opts(a, argc, args, &o);
	if (dup2(report_fd, STDERR_FILENO) < 0)
		die("cannot restore stderr");
	if (r < -1 || r > 1)
		die("nr_parse_opts() returned neither -1, 0 nor 1");
	check_stderr(r);
	if (!r) {
		check_mask(&o, a->opts | OPTBIT(OPT_HELP));
		check_values(&o);
	}
	free_ifaces(&o, copy, size);
	free(copy);
	return 0;
}
