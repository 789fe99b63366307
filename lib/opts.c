// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The option table, the getopt_long() driver built from it, strict value
 * parsers and the argparse-shaped --help.  Every error is one line that
 * names the bad value and the option it was given to.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "opts.h"

#define PID_MAX_LIMIT	4194304		/* the kernel's, 64-bit */
#define UID_MAX_VALID	((uid_t)-1 - 1)	/* (uid_t)-1 is "no uid" */
#define PORT_MAX	65535
/* argparse formats to COLUMNS - 2, so BCC's help is 78 columns wide. */
#define HELP_WIDTH	78
#define HELP_COL	24		/* argparse's max_help_position */
/* getopt_long() val of a long option: above every short letter. */
#define LONG_VAL	256

struct opt_def {
	char letter;		/* 0: long option only */
	const char *name;
	const char *metavar;	/* NULL: a flag */
	const char *help;
};

static const struct opt_def opt_defs[OPT__COUNT] = {
	[OPT_HELP] = { 'h', "help", NULL, "show this help message and exit" },
	[OPT_TIME] = { 'T', "time", NULL,
		"include time column on output (HH:MM:SS)" },
	[OPT_TIMESTAMP] = { 't', "timestamp", NULL,
		"include timestamp on output" },
	[OPT_PID] = { 'p', "pid", "PID", "trace this PID only" },
	[OPT_PORT] = { 'P', "port", "PORTS",
		"comma-separated list of destination ports to trace." },
	[OPT_IPV4] = { '4', "ipv4", NULL, "trace IPv4 family only" },
	[OPT_IPV6] = { '6', "ipv6", NULL, "trace IPv6 family only" },
	[OPT_LPORT] = { 'L', "lport", NULL, "include LPORT on output" },
	[OPT_PRINT_UID] = { 'U', "print-uid", NULL, "include UID on output" },
	[OPT_UID] = { 'u', "uid", "UID", "trace this UID only" },
	[OPT_COUNT] = { 'c', "count", NULL,
		"count connects per src ip and dest ip/port" },
	[OPT_CGROUPMAP] = { 0, "cgroupmap", "PATH",
		"trace cgroups in this BPF map only" },
	[OPT_MNTNSMAP] = { 0, "mntnsmap", "PATH",
		"trace mount namespaces in this BPF map only" },
	[OPT_DNS] = { 'd', "dns", NULL,
		"include likely DNS query associated with each connect" },
	[OPT_WIDE] = { 'w', "wide", NULL,
		"wide column output (fits IPv6 addresses)" },
	[OPT_CSV] = { 's', "csv", NULL, "comma separated values output" },
	[OPT_LOCALPORT] = { 'L', "localport", "LOCALPORT",
		"comma-separated list of local ports to trace." },
	[OPT_REMOTEPORT] = { 'D', "remoteport", "REMOTEPORT",
		"comma-separated list of remote ports to trace." },
	[OPT_JOURNAL] = { 'Y', "journal", NULL,
		"log session state changes to the systemd journal" },
	[OPT_NETNS] = { 'N', "netns", "NETNS",
		"trace this Network Namespace only" },
	[OPT_IFACE] = { 'i', "interface", "IFACE",
		"only this interface (repeatable, or a comma-separated list)" },
	[OPT_ALL] = { 'a', "all", NULL,
		"show every feature the kernel reports" },
	[OPT_DRIVERS] = { 0, "drivers", NULL,
		"print the reference table of drivers and exit" },
	[OPT_PROBE] = { 0, "probe", NULL,
		"confirm native XDP by attaching a trivial program for a moment" },
	[OPT_JSON] = { 'j', "json", NULL, "print one JSON object per line" },
	[OPT_ATTACH] = { 0, "attach", "MODE",
		"attach strategy: auto, fentry, kprobe or tracepoint (default: auto)" },
	[OPT_BUFFER] = { 0, "buffer", "MODE",
		"event buffer: auto, ringbuf or perfbuf (default: auto)" },
	[OPT_EBPF] = { 0, "ebpf", NULL,
		"print the BPF C source this tool loads, and exit" },
	[OPT_VERBOSE] = { 'v', "verbose", NULL,
		"print diagnostics, the attach strategy and libbpf messages on stderr" },
};

static const char *const attach_names[] = {
	[NR_ATTACH_AUTO] = "auto", [NR_ATTACH_FENTRY] = "fentry",
	[NR_ATTACH_KPROBE] = "kprobe", [NR_ATTACH_TRACEPOINT] = "tracepoint",
};

static const char *const buffer_names[] = {
	[NR_BUFFER_AUTO] = "auto", [NR_BUFFER_RINGBUF] = "ringbuf",
	[NR_BUFFER_PERFBUF] = "perfbuf",
};

#define ARRAY_SIZE(x)	(sizeof(x) / sizeof((x)[0]))

const char *nr_attach_name(enum nr_attach a)
{
	if ((unsigned int)a >= ARRAY_SIZE(attach_names))
		return "?";
	return attach_names[a];
}

const char *nr_buffer_name(enum nr_buffer b)
{
	if ((unsigned int)b >= ARRAY_SIZE(buffer_names))
		return "?";
	return buffer_names[b];
}

/*
 * Strict unsigned decimal prefix of s.  strtoull() alone would skip
 * leading spaces, take a sign ("-1" becomes ULLONG_MAX) and accept "".
 */
static int parse_dec(const char *s, unsigned long long max,
		     unsigned long long *out, const char **end)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &e, 10);
	if (errno || *out > max)
		return -1;
	*end = e;
	return 0;
}

int nr_parse_pid(const char *s, pid_t *out)
{
	unsigned long long v;
	const char *end;

	if (parse_dec(s, PID_MAX_LIMIT, &v, &end) || *end || !v)
		return -1;
	*out = v;
	return 0;
}

int nr_parse_uid(const char *s, uid_t *out)
{
	unsigned long long v;
	const char *end;

	if (parse_dec(s, UID_MAX_VALID, &v, &end) || *end)
		return -1;
	*out = v;
	return 0;
}

enum ports_err { PORTS_OK, PORTS_EMPTY, PORTS_INVALID, PORTS_TOO_MANY };

/* nr_parse_ports(), also telling which element went wrong and how. */
static enum ports_err parse_ports(const char *s, uint16_t *ports,
				  unsigned int max, unsigned int *n,
				  const char **bad, int *badlen)
{
	unsigned long long v;
	const char *end;

	for (*n = 0;; s = end + 1) {
		*bad = s;
		*badlen = strcspn(s, ",");
		if (!*badlen)
			return PORTS_EMPTY;
		if (*n == max)
			return PORTS_TOO_MANY;
		if (parse_dec(s, PORT_MAX, &v, &end) || !v ||
		    (*end && *end != ','))
			return PORTS_INVALID;
		ports[(*n)++] = v;
		if (!*end)
			return PORTS_OK;
	}
}

int nr_parse_ports(const char *s, uint16_t *ports, unsigned int max,
		   unsigned int *n)
{
	const char *bad;
	int badlen;

	return parse_ports(s, ports, max, n, &bad, &badlen) ? -1 : 0;
}

/* "-p/--pid" or "--cgroupmap", for messages. */
static const char *opt_label(int id)
{
	static char buf[32];
	const struct opt_def *d = &opt_defs[id];

	if (d->letter)
		snprintf(buf, sizeof(buf), "-%c/--%s", d->letter, d->name);
	else
		snprintf(buf, sizeof(buf), "--%s", d->name);
	return buf;
}

/* -P, -L or -D: a later one replaces an earlier one, as argparse does. */
static int set_ports(int id, const char *arg, uint16_t *ports,
		     unsigned int *n)
{
	const char *bad, *l = opt_label(id);
	int len;

	switch (parse_ports(arg, ports, NR_MAX_PORTS, n, &bad, &len)) {
	case PORTS_OK:
		return 0;
	case PORTS_EMPTY:
		nr_usage_err("empty port in %s '%s'", l, arg);
		break;
	case PORTS_TOO_MANY:
		nr_usage_err("too many ports in %s (at most %d)", l,
			     NR_MAX_PORTS);
		break;
	case PORTS_INVALID:
		nr_usage_err("invalid port '%.*s' in %s '%s'", len, bad, l,
			     arg);
		break;
	}
	return -1;
}

/* -i repeats and takes comma lists; every name is kept, in order. */
static int add_ifaces(struct nr_opts *o, const char *arg)
{
	const char *s, *name, *l = opt_label(OPT_IFACE);
	size_t len;

	for (s = arg;; s += len + 1) {
		len = strcspn(s, ",");
		if (!len) {
			nr_usage_err("empty interface in %s '%s'", l, arg);
			return -1;
		}
		if (o->nifaces == NR_MAX_IFACES) {
			nr_usage_err("too many interfaces in %s (at most %d)",
				     l, NR_MAX_IFACES);
			return -1;
		}
		if (s == arg && !s[len]) {
			name = arg;
		} else {
			name = strndup(s, len);
			if (!name) {
				nr_err("out of memory");
				return -1;
			}
			o->ifaces_copied |= 1ULL << o->nifaces;
		}
		o->ifaces[o->nifaces++] = name;
		if (!s[len])
			return 0;
	}
}

static int parse_word(int id, const char *arg, const char *const *words,
		      int nwords)
{
	char list[128] = "";
	int i;

	for (i = 0; i < nwords; i++)
		if (!strcmp(arg, words[i]))
			return i;
	for (i = 0; i < nwords; i++) {
		if (i)
			strcat(list, ", ");
		strcat(list, words[i]);
	}
	nr_usage_err("invalid value '%s' for %s (%s)", arg, opt_label(id),
		     list);
	return -1;
}

static int set_path(int id, const char *arg, const char **out)
{
	if (!*arg) {
		nr_usage_err("empty PATH for %s", opt_label(id));
		return -1;
	}
	*out = arg;
	return 0;
}

static int set_family(struct nr_opts *o, int family)
{
	if (o->family && o->family != family) {
		nr_usage_err("-4/--ipv4 and -6/--ipv6 are mutually exclusive");
		return -1;
	}
	o->family = family;
	return 0;
}

static int bad_value(int id, const char *arg)
{
	nr_usage_err("invalid %s '%s' for %s", opt_defs[id].metavar, arg,
		     opt_label(id));
	return -1;
}

static int set_opt(struct nr_opts *o, int id, const char *arg)
{
	int v;

	switch (id) {
	case OPT_TIME:		o->time = true; break;
	case OPT_TIMESTAMP:	o->timestamp = true; break;
	case OPT_LPORT:		o->lport = true; break;
	case OPT_PRINT_UID:	o->print_uid = true; break;
	case OPT_COUNT:		o->count = true; break;
	case OPT_DNS:		o->dns = true; break;
	case OPT_ALL:		o->all = true; break;
	case OPT_DRIVERS:	o->drivers = true; break;
	case OPT_PROBE:		o->probe = true; break;
	case OPT_JSON:		o->json = true; break;
	case OPT_EBPF:		o->ebpf = true; break;
	case OPT_VERBOSE:	o->verbose = true; break;
	case OPT_IPV4:		return set_family(o, AF_INET);
	case OPT_IPV6:		return set_family(o, AF_INET6);
	case OPT_WIDE:		o->wide = true; break;
	case OPT_CSV:		o->csv = true; break;
	case OPT_JOURNAL:	o->journal = true; break;
	case OPT_PORT:
		return set_ports(id, arg, o->ports, &o->nports);
	case OPT_LOCALPORT:
		return set_ports(id, arg, o->lports, &o->nlports);
	case OPT_REMOTEPORT:
		return set_ports(id, arg, o->rports, &o->nrports);
	case OPT_IFACE:		return add_ifaces(o, arg);
	case OPT_CGROUPMAP:	return set_path(id, arg, &o->cgroupmap);
	case OPT_MNTNSMAP:	return set_path(id, arg, &o->mntnsmap);
	case OPT_PID:
		if (nr_parse_pid(arg, &o->pid))
			return bad_value(id, arg);
		break;
	case OPT_NETNS: {
		unsigned long long v;
		const char *end;

		if (parse_dec(arg, UINT32_MAX, &v, &end) || *end || !v)
			return bad_value(id, arg);
		o->netns = v;
		break;
	}
	case OPT_UID:
		if (nr_parse_uid(arg, &o->uid))
			return bad_value(id, arg);
		o->has_uid = true;
		break;
	case OPT_ATTACH:
		v = parse_word(id, arg, attach_names, ARRAY_SIZE(attach_names));
		if (v < 0)
			return -1;
		o->attach = v;
		break;
	case OPT_BUFFER:
		v = parse_word(id, arg, buffer_names, ARRAY_SIZE(buffer_names));
		if (v < 0)
			return -1;
		o->buffer = v;
		break;
	}
	return 0;
}

/* How many taken long options start with the len bytes of name. */
static int prefix_matches(uint64_t mask, const char *name, size_t len)
{
	int id, n = 0;

	for (id = 0; id < OPT__COUNT; id++)
		if ((mask & OPTBIT(id)) &&
		    !strncmp(opt_defs[id].name, name, len))
			n++;
	return n;
}

/* getopt_long() returned '?' or ':'; optopt and optind say why. */
static int bad_option(int c, char **argv, uint64_t mask)
{
	const char *arg = argv[optind - 1];
	int len = strcspn(arg, "=");

	if (c == ':' && optopt >= LONG_VAL)
		nr_usage_err("option '--%s' needs a value",
			     opt_defs[optopt - LONG_VAL].name);
	else if (c == ':')
		nr_usage_err("option '-%c' needs a value", optopt);
	else if (optopt >= LONG_VAL)	/* "--json=1" */
		nr_usage_err("option '--%s' takes no value",
			     opt_defs[optopt - LONG_VAL].name);
	else if (optopt)
		nr_usage_err("unknown option '-%c'", optopt);
	else if (len > 2 && prefix_matches(mask, arg + 2, len - 2) > 1)
		nr_usage_err("ambiguous option '%.*s'", len, arg);
	else	/* maybe "--foo=bar" */
		nr_usage_err("unknown option '%.*s'", len, arg);
	return -1;
}

/* Letters are unique among one applet's options, not in the table. */
static int letter_id(int c, uint64_t mask)
{
	int id;

	for (id = 0; id < OPT__COUNT; id++)
		if ((mask & OPTBIT(id)) && opt_defs[id].letter == c)
			return id;
	return -1;
}

_Static_assert(NR_MAX_IFACES <= 64, "nr_opts.ifaces_copied has 64 bits");

void nr_opts_free(struct nr_opts *o)
{
	for (unsigned int i = 0; i < o->nifaces; i++)
		if (o->ifaces_copied & 1ULL << i)
			free((char *)o->ifaces[i]);
	o->nifaces = 0;
	o->ifaces_copied = 0;
}

static int parse_opts(const struct applet *a, int argc, char **argv,
		      struct nr_opts *o)
{
	struct option longopts[OPT__COUNT + 1] = { { 0 } };
	/* Leading ':' makes a missing value ':' rather than '?'. */
	char optstring[2 + 2 * OPT__COUNT] = ":", *p = optstring + 1;
	uint64_t mask = a->opts | OPTBIT(OPT_HELP);
	int c, id, n = 0;

	memset(o, 0, sizeof(*o));
	for (id = 0; id < OPT__COUNT; id++) {
		const struct opt_def *d = &opt_defs[id];

		if (!(mask & OPTBIT(id)))
			continue;
		longopts[n++] = (struct option){ d->name,
			d->metavar ? required_argument : no_argument,
			NULL, LONG_VAL + id };
		if (d->letter) {
			*p++ = d->letter;
			if (d->metavar)
				*p++ = ':';
		}
	}
	*p = '\0';

	opterr = 0;
	optind = 0;	/* glibc and musl: full reset, even after "-xt" */
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return bad_option(c, argv, mask);
		id = c >= LONG_VAL ? c - LONG_VAL : letter_id(c, mask);
		if (id == OPT_HELP) {
			nr_print_help(a, stdout);
			return 1;
		}
		if (set_opt(o, id, optarg))
			return -1;
	}
	if (optind < argc && a->arg_name)
		o->arg = argv[optind++];
	if (optind < argc) {
		nr_usage_err("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

int nr_parse_opts(const struct applet *a, int argc, char **argv,
		  struct nr_opts *o)
{
	int ret = parse_opts(a, argc, argv, o);

	if (ret)
		nr_opts_free(o);
	return ret;
}

/* "-p PID" (usage) or "-p PID, --pid PID" (option list). */
static int fmt_invocation(char *buf, size_t n, int id, bool full)
{
	const struct opt_def *d = &opt_defs[id];
	const char *mv = d->metavar ? d->metavar : "";
	const char *sp = d->metavar ? " " : "";

	if (!d->letter)
		return snprintf(buf, n, "--%s%s%s", d->name, sp, mv);
	if (!full)
		return snprintf(buf, n, "-%c%s%s", d->letter, sp, mv);
	return snprintf(buf, n, "-%c%s%s, --%s%s%s", d->letter, sp, mv,
			d->name, sp, mv);
}

/* Help text from column indent (already reached), wrapped at HELP_WIDTH. */
static void print_wrapped(FILE *out, const char *text, int indent)
{
	int col = indent, len;

	for (;; text += len) {
		text += strspn(text, " ");
		len = strcspn(text, " ");
		if (!len)
			break;
		if (col > indent && col + 1 + len > HELP_WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		}
		col += fprintf(out, "%s%.*s", col > indent ? " " : "", len,
			       text);
	}
	fputc('\n', out);
}

/*
 * The ids of a's options in the order its usage and help show them: -h,
 * then a->order (BCC's order) or the table's.  Returns how many.
 */
static int help_order(const struct applet *a, int *ids)
{
	uint64_t mask = a->opts | OPTBIT(OPT_HELP);
	const unsigned char *p;
	int id, n = 0;

	ids[n++] = OPT_HELP;
	if (a->order) {
		for (p = a->order; *p != OPT__COUNT && n < OPT__COUNT; p++)
			if (*p != OPT_HELP && (mask & OPTBIT(*p)))
				ids[n++] = *p;
		return n;
	}
	for (id = OPT_HELP + 1; id < OPT__COUNT; id++)
		if (mask & OPTBIT(id))
			ids[n++] = id;
	return n;
}

/* One part of the usage line, wrapped as argparse wraps it. */
static void usage_part(FILE *out, const char *part, int indent, int *col)
{
	int len = strlen(part);

	if (*col > indent && *col + 1 + len > HELP_WIDTH) {
		fprintf(out, "\n%*s", indent, "");
		*col = indent;
	}
	*col += fprintf(out, " %s", part);
}

static void print_usage(const struct applet *a, const int *ids, int n,
			FILE *out)
{
	uint64_t mask = a->opts;
	char part[64], inv[48];
	int i, col, indent;

	col = indent = fprintf(out, "usage: %s", a->name);
	for (i = 0; i < n; i++) {
		/* argparse shows a mutually exclusive group as one part. */
		if (ids[i] == OPT_IPV6 && (mask & OPTBIT(OPT_IPV4)))
			continue;
		if (ids[i] == OPT_IPV4 && (mask & OPTBIT(OPT_IPV6))) {
			snprintf(part, sizeof(part), "[-4 | -6]");
		} else {
			fmt_invocation(inv, sizeof(inv), ids[i], false);
			snprintf(part, sizeof(part), "[%s]", inv);
		}
		usage_part(out, part, indent, &col);
	}
	if (a->arg_name) {
		snprintf(part, sizeof(part), "[%s]", a->arg_name);
		usage_part(out, part, indent, &col);
	}
	fputc('\n', out);
}

/* One entry of an argument list, its help from column pos. */
static void help_entry(FILE *out, const char *inv, int len, int pos,
		       const char *help)
{
	if (len <= pos - 4)
		fprintf(out, "  %-*s  ", pos - 4, inv);
	else
		fprintf(out, "  %s\n%*s", inv, pos, "");
	print_wrapped(out, help, pos);
}

/* Verbatim, ending in exactly the one newline the applet may have left out. */
static void put_block(FILE *out, const char *text)
{
	size_t len = strlen(text);

	fputs(text, out);
	if (len && text[len - 1] != '\n')
		fputc('\n', out);
}

void nr_print_help(const struct applet *a, FILE *out)
{
	int ids[OPT__COUNT], n = help_order(a, ids), i, len, pos = 0;
	const char *help;
	char inv[64];

	print_usage(a, ids, n, out);
	if (a->summary)
		fprintf(out, "\n%s\n", a->summary);
	/*
	 * argparse puts help two columns after the longest invocation
	 * (indent included), at column HELP_COL at most.
	 */
	for (i = 0; i < n; i++) {
		len = fmt_invocation(inv, sizeof(inv), ids[i], true);
		pos = len + 4 > pos ? len + 4 : pos;
	}
	if (a->arg_name && (int)strlen(a->arg_name) + 4 > pos)
		pos = strlen(a->arg_name) + 4;
	pos = pos < HELP_COL ? pos : HELP_COL;
	if (a->arg_name) {
		fputs("\npositional arguments:\n", out);
		help_entry(out, a->arg_name, strlen(a->arg_name), pos,
			   a->arg_help ? a->arg_help : "");
	}
	fputs("\noptional arguments:\n", out);
	for (i = 0; i < n; i++) {
		help = a->opt_help[ids[i]] ? a->opt_help[ids[i]] :
		       opt_defs[ids[i]].help;
		len = fmt_invocation(inv, sizeof(inv), ids[i], true);
		help_entry(out, inv, len, pos, help);
	}
	if (a->examples) {
		fputs("\nexamples:\n", out);
		put_block(out, a->examples);
	}
	if (a->notes) {
		fputc('\n', out);
		put_block(out, a->notes);
	}
}
