// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpfeatures: what XDP each interface's driver can do, as the running
 * kernel reports it, held against the driver table users know.  The
 * logic lives in lib/xdp_nl.c (kernel) and lib/xdp_table.c (rows and
 * output); this file only strings them together.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "applet_opts.h"
#include "log.h"
#include "opts.h"
#include "tracer.h"
#include "xdp_nl.h"
#include "xdp_table.h"

struct xf {
	const struct nr_opts *o;
	struct xdp_nl nl;		/* open only with XDP_SRC_KERNEL */
	enum xdp_src src;
	struct xdp_nl_dev *devs;
	size_t ndevs;
	struct xdp_if_ref *ifs;		/* the interfaces to show */
	size_t nifs;
	struct xdp_row *rows;
	size_t nrows;
	bool vanished;			/* one named by -i went away */
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!nr_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* -i names to indexes, in the order given, each once. */
static int resolve_ifaces(struct xf *x)
{
	const struct nr_opts *o = x->o;
	unsigned int i;
	size_t k;
	uint32_t idx;

	x->ifs = calloc(o->nifaces, sizeof(*x->ifs));
	if (!x->ifs) {
		nr_err("out of memory");
		return 1;
	}
	for (i = 0; i < o->nifaces; i++) {
		idx = if_nametoindex(o->ifaces[i]);
		if (!idx) {
			nr_usage_err("no interface '%s' in this network namespace",
			       o->ifaces[i]);
			return 2;
		}
		for (k = 0; k < x->nifs && x->ifs[k].ifindex != idx; k++)
			;
		if (k < x->nifs)
			continue;
		x->ifs[x->nifs].ifindex = idx;
		snprintf(x->ifs[x->nifs].name, IF_NAMESIZE, "%s",
			 o->ifaces[i]);
		x->nifs++;
	}
	return 0;
}

static int list_ifaces(struct xf *x)
{
	int err;

	if (x->o->nifaces)
		return resolve_ifaces(x);
	err = xdp_if_list(&x->ifs, &x->nifs);
	if (err) {
		nr_err("cannot list interfaces: %s", strerror(-err));
		return 1;
	}
	return 0;
}

/* The netdev family if the kernel has it, else the table (and say so). */
static void open_source(struct xf *x)
{
	char why[128];
	int err;

	err = xdp_nl_open(&x->nl);
	if (!err) {
		err = xdp_nl_dump(&x->nl, &x->devs, &x->ndevs);
		if (err)
			xdp_nl_close(&x->nl);
	}
	x->src = xdp_nl_source(err, why, sizeof(why));
	if (x->src == XDP_SRC_TABLE)
		nr_err("values from the driver table, not the kernel: %s",
		       why);
}

/* A device the dump missed came after it: ask for it alone. */
static int query_late(struct xf *x, struct xdp_iface *ifc)
{
	int err = xdp_nl_get(&x->nl, ifc->ifindex, &ifc->dev);

	if (err == -ENODEV)
		return err;
	ifc->has_dev = !err;
	return 0;
}

/* What -v adds: why the program column knows less than it could. */
static void verbose_notes(const struct xdp_iface *ifc, struct xdp_row *row)
{
	if (!nr_verbose)
		return;
	if (ifc->prog_err)
		xdp_row_note(row, "program unknown: bpf_xdp_query: %s",
			     strerror(-ifc->prog_err));
	else if (row->prog_id && !row->prog_name[0])
		xdp_row_note(row, "name of program %u unreadable: needs CAP_SYS_ADMIN",
			     row->prog_id);
}

static void vanished(struct xf *x, const struct xdp_if_ref *ref)
{
	nr_err("%s (ifindex %u) vanished while it was read", ref->name,
	       ref->ifindex);
	if (x->o->nifaces)
		x->vanished = true;
}

static int build_rows(struct xf *x)
{
	struct xdp_iface ifc;
	struct xdp_row *row;
	size_t i;
	int err;

	x->rows = calloc(x->nifs ? x->nifs : 1, sizeof(*x->rows));
	if (!x->rows) {
		nr_err("out of memory");
		return 1;
	}
	for (i = 0; i < x->nifs; i++) {
		row = &x->rows[x->nrows];
		err = xdp_iface_query(x->devs, x->ndevs, x->ifs[i].ifindex,
				      &ifc);
		if (!err && x->src == XDP_SRC_KERNEL && !ifc.has_dev)
			err = query_late(x, &ifc);
		if (err) {
			vanished(x, &x->ifs[i]);
			continue;
		}
		xdp_row_build(&ifc, x->src, row);
		if (x->src == XDP_SRC_KERNEL && row->src != XDP_SRC_KERNEL)
			xdp_row_note(row, "the netdev family did not list it: values from the table");
		verbose_notes(&ifc, row);
		x->nrows++;
	}
	return 0;
}

static int probe_rows(struct xf *x)
{
	struct xdp_probe p;
	size_t i;
	int fd;

	fd = xdp_probe_load();
	if (fd < 0) {
		nr_err("cannot load the probe program: %s", strerror(-fd));
		nr_dbg("libbpf said:\n%s", xdp_probe_log());
		return 1;
	}
	for (i = 0; i < x->nrows; i++) {
		xdp_probe_iface(fd, x->rows[i].ifindex, &p);
		if (xdp_probe_log()[0])
			nr_dbg("%s: %s", x->rows[i].iface,
			       xdp_probe_log());
		xdp_row_set_probe(&x->rows[i], &p);
	}
	close(fd);
	return 0;
}

/* 0, or 1 after a message; a reader that went away (| head) is no error. */
static int write_status(int err)
{
	if (!err)
		return 0;
	if (errno == EPIPE)
		return 0;
	nr_err("cannot write output: %s", strerror(errno));
	return 1;
}

static int check_opts(const struct nr_opts *o)
{
	if (o->drivers && (o->nifaces || o->all || o->probe)) {
		nr_usage_err("--drivers takes no -i, -a or --probe");
		return 2;
	}
	/* Native XDP resets the queues of many NICs: only where asked. */
	if (o->probe && !o->nifaces) {
		nr_usage_err("--probe needs -i IFACE (attaching XDP natively can reset a NIC's queues)");
		return 2;
	}
	return 0;
}

static int show(struct xf *x)
{
	struct xdp_view v;
	int ret;

	ret = list_ifaces(x);
	if (ret)
		return ret;
	if (x->o->probe && tracer_check_privileges())
		return 1;
	open_source(x);
	ret = build_rows(x);
	if (!ret && x->o->probe)
		ret = probe_rows(x);
	if (ret)
		return ret;
	xdp_view_init(&v, stdout, x->o->json, x->o->all, x->o->probe);
	ret = write_status(xdp_view_print(&v, x->rows, x->nrows));
	return ret ? ret : x->vanished;
}

static int xdpfeatures_main(const struct applet *a, int argc, char **argv)
{
	struct xf x = { 0 };
	struct nr_opts o;
	int ret;

	ret = nr_parse_opts(a, argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	ret = check_opts(&o);
	if (ret)
		goto out;
	nr_verbose = o.verbose;
	signal(SIGPIPE, SIG_IGN);
	libbpf_set_print(libbpf_print);
	if (o.drivers) {
		ret = write_status(o.json ? xdp_table_print_json(stdout) :
				   xdp_table_print(stdout));
		goto out;
	}
	x.o = &o;
	ret = show(&x);
	xdp_nl_close(&x.nl);
	free(x.devs);
	free(x.ifs);
	free(x.rows);
out:
	nr_opts_free(&o);
	return ret;
}

const struct applet applet_xdpfeatures = {
	.name = "xdpfeatures",
	.summary = "Show what XDP each interface's driver supports",
	.main = xdpfeatures_main,
	.opts = APPLET_OPTS_xdpfeatures,
	.opt_help = {
		[OPT_ALL] = "add what the table lacks: rx-sg, ndo-xmit-sg, zero-copy max segments, RX metadata, AF_XDP features, unknown bits",
		[OPT_PROBE] = "with -i: attach a trivial XDP program in driver mode for a moment to confirm native XDP (root)",
		[OPT_VERBOSE] = "say why something is unknown, and what libbpf said",
	},
	.examples =
		"    xdpfeatures              # every interface of this network namespace\n"
		"    xdpfeatures -i eth0,va   # only these interfaces\n"
		"    xdpfeatures -a           # every feature the kernel reports\n"
		"    xdpfeatures --drivers    # the reference table of drivers\n"
		"    xdpfeatures --probe -i eth0  # confirm native XDP on eth0\n"
		"    xdpfeatures -j           # one JSON object per interface\n",
	.notes =
		"BASIC, REDIRECT, TARGET, OFFLOAD (HW offload) and ZEROCOPY are the columns\n"
		"of the documentation table (--drivers), with the flags the running kernel\n"
		"reports (netdev netlink family, Linux 6.3+).  \"no [c]\": off, and the\n"
		"table's footnote says what would turn it on ([a] an XDP program on this\n"
		"interface, [b] XDP TX queues >= the largest CPU index, [c] an XDP program\n"
		"on the veth peer); \"[!]\": kernel and table disagree.  The lines under a\n"
		"row explain both.  XDP: the attached program (mode id name), \"none\", or\n"
		"\"?\" when unknown.  -a cells: \"-\" none, \"?\" not reported.  Without the\n"
		"netdev family the cells are the table's own (\"?\": driver not listed) and\n"
		"a line on stderr says so.  --probe never touches an interface that has a\n"
		"program.  Exit status: 0; 1 when --probe lacks privileges or an interface\n"
		"named by -i vanished meanwhile; 2 for a bad option or unknown interface.\n"
		"\n"
		"JSON (-j), per interface: iface, ifindex, driver (null: none), source\n"
		"(\"kernel\" or \"table\"), xdp_mode (none, native, generic, offload, multi;\n"
		"null: unknown), xdp_prog_id (0: none), xdp_prog_name (null: none or\n"
		"unreadable), peer (veth peer, else null), basic, redirect, target,\n"
		"hw_offload, zero_copy (the live flags), <column>_table (the table's cell,\n"
		"\"yes [c]\"; null: driver not listed), differs (columns where kernel and\n"
		"table disagree, comma-separated), notes (the lines under the row, joined\n"
		"by \"; \"), xdp_features (every flag by name).  -a adds rx_sg, ndo_xmit_sg,\n"
		"zc_max_segs (0: not reported), rx_metadata, xsk_features (null: not\n"
		"reported), unknown_bits (xdp-features bits by number, \"bit9\").  --probe\n"
		"adds probe (ok, unsupported, busy, error) and probe_note.  With\n"
		"\"source\":\"table\" the live keys (basic..zero_copy, differs, xdp_features\n"
		"and -a's) are absent.  --drivers -j, per driver: name, driver,\n"
		"basic..zero_copy (bool) and <column>_table.\n",
};
