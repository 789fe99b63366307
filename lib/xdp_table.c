// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * RHEL's XDP driver table and its footnotes.  The rows are the fallback
 * reference; the kernel's netdev family is the truth where it answers, and
 * the footnotes are what connects the two: they name the conditions under
 * which the kernel turns a flag on at run time.
 */
#include <stdio.h>
#include <string.h>

#include "xdp_nl.h"
#include "xdp_table.h"

#define Y	{ true, 0 }
#define N	{ false, 0 }
#define YF(f)	{ true, (f) }

const struct xdp_table_row xdp_table[] = {
	{ "Amazon Elastic Network Adapter", "ena",
	  { Y, Y, YF(XDP_FN_A), N, N } },
	{ "Broadcom NetXtreme-C/E 10/25/40/50 gigabit Ethernet", "bnxt_en",
	  { Y, Y, YF(XDP_FN_A), N, N } },
	{ "Cavium Thunder Virtual function", "nicvf",
	  { Y, N, N, N, N } },
	{ "Intel Ethernet Controller XL710 Family", "i40e",
	  { Y, Y, YF(XDP_FN_A | XDP_FN_B), N, Y } },
	{ "Intel Ethernet Connection E800 Series", "ice",
	  { Y, Y, YF(XDP_FN_A | XDP_FN_B), N, Y } },
	{ "Intel 10GbE PCI Express Adapters", "ixgbe",
	  { Y, Y, YF(XDP_FN_A | XDP_FN_B), N, Y } },
	{ "Intel 10GbE PCI Express Virtual Function Ethernet", "ixgbevf",
	  { Y, N, N, N, N } },
	{ "Mellanox Technologies 1/10/20/40Gb Ethernet", "mlx4_en",
	  { Y, N, N, N, N } },
	{ "Mellanox Technologies Connect-X 4/5/6", "mlx5_core",
	  { Y, Y, YF(XDP_FN_B), N, Y } },
	{ "Netronome NFP4000/NFP6000 NIC", "nfp",
	  { Y, N, N, Y, N } },
	{ "QLogic QED 25/40/100Gb Ethernet NIC", "qede",
	  { Y, Y, Y, N, N } },
	{ "Solarflare SFC9000/SFC9100/EF100-family", "sfc",
	  { Y, Y, YF(XDP_FN_B), N, N } },
	{ "Microsoft Hyper-V virtual network", "hv_netvsc",
	  { Y, Y, Y, N, N } },
	{ "Universal TUN/TAP device", "tun",
	  { Y, Y, Y, N, N } },
	{ "Virtual Ethernet pair device", "veth",
	  { Y, Y, YF(XDP_FN_C), N, N } },
	{ "QEMU Virtio network", "virtio_net",
	  { Y, Y, YF(XDP_FN_A | XDP_FN_B), N, N } },
};

const size_t xdp_table_len = sizeof(xdp_table) / sizeof(xdp_table[0]);

const char *const xdp_col_name[XDP_COL__COUNT] = {
	"Basic", "Redirect", "Target", "HW offload", "Zero-copy",
};

const char *const xdp_col_key[XDP_COL__COUNT] = {
	"basic", "redirect", "target", "hw_offload", "zero_copy",
};

const char *const xdp_col_legend[XDP_COL__COUNT] = {
	"the driver supports the basic return codes DROP, PASS, ABORTED, TX",
	"the driver supports the REDIRECT return code",
	"the device can be the target of a REDIRECT",
	"XDP hardware offload",
	"zero-copy mode of the AF_XDP address family",
};

const char *const xdp_footnote[XDP_FN__COUNT] = {
	"only if an XDP program is loaded on the interface",
	"requires a number of XDP TX queues allocated that is larger than or equal to the largest CPU index",
	"only if an XDP program is loaded on the peer device",
};

uint64_t xdp_col_bit(enum xdp_col col)
{
	static const uint64_t bits[XDP_COL__COUNT] = {
		[XDP_COL_BASIC] = NR_XDP_F_BASIC,
		[XDP_COL_REDIRECT] = NR_XDP_F_REDIRECT,
		[XDP_COL_TARGET] = NR_XDP_F_NDO_XMIT,
		[XDP_COL_HW_OFFLOAD] = NR_XDP_F_HW_OFFLOAD,
		[XDP_COL_ZEROCOPY] = NR_XDP_F_XSK_ZEROCOPY,
	};

	return (unsigned int)col < XDP_COL__COUNT ? bits[col] : 0;
}

/* Module names treat '-' and '_' alike (modprobe virtio-net works). */
static bool driver_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a == '-' ? '_' : *a;
		char cb = *b == '-' ? '_' : *b;

		if (ca != cb)
			return false;
	}
	return *a == *b;
}

const struct xdp_table_row *xdp_table_lookup(const char *driver)
{
	size_t i;

	if (!driver || !*driver)
		return NULL;
	for (i = 0; i < xdp_table_len; i++)
		if (driver_eq(xdp_table[i].driver, driver))
			return &xdp_table[i];
	return NULL;
}

const char *xdp_cell_str(const struct xdp_table_cell *c, char *buf,
			 size_t n)
{
	size_t pos;
	unsigned int i;

	snprintf(buf, n, "%s", c->yes ? "yes" : "no");
	for (i = 0; i < XDP_FN__COUNT; i++) {
		if (!(c->fn & (1U << i)))
			continue;
		pos = strlen(buf);
		snprintf(buf + pos, n - pos, " [%c]", 'a' + i);
	}
	return buf;
}

/* Append "; " (unless first) and the text to note. */
static void note_add(char *note, size_t n, const char *text)
{
	size_t pos = strlen(note);

	snprintf(note + pos, n - pos, "%s%s", pos ? "; " : "", text);
}

/* Which footnotes of an unmet "yes" cell explain the flag being off. */
static unsigned int explain(const struct xdp_table_cell *ref,
			    const struct xdp_table_ctx *ctx, char *note,
			    size_t n)
{
	unsigned int why = 0;
	char peer[96];

	if ((ref->fn & XDP_FN_A) && !ctx->prog) {
		why |= XDP_FN_A;
		note_add(note, n, "[a] load an XDP program on this interface");
	}
	/* Only the driver knows its queue count: [b] is always a suspect. */
	if (ref->fn & XDP_FN_B) {
		why |= XDP_FN_B;
		note_add(note, n,
			 "[b] needs XDP TX queues >= largest CPU index");
	}
	if ((ref->fn & XDP_FN_C) && !ctx->peer_prog) {
		why |= XDP_FN_C;
		snprintf(peer, sizeof(peer),
			 "[c] load an XDP program on the peer %s",
			 ctx->peer ? ctx->peer : "device");
		note_add(note, n, peer);
	}
	return why;
}

void xdp_table_compare(const struct xdp_table_row *row, uint64_t features,
		       const struct xdp_table_ctx *ctx,
		       struct xdp_table_cmp *cmp)
{
	static const struct xdp_table_ctx none;
	struct xdp_table_cmp_col *c;
	unsigned int i;

	if (!ctx)
		ctx = &none;
	memset(cmp, 0, sizeof(*cmp));
	for (i = 0; i < XDP_COL__COUNT; i++) {
		c = &cmp->col[i];
		c->live = features & xdp_col_bit(i);
		if (!row)
			continue;
		c->has_ref = true;
		c->ref = row->col[i];
		if (c->live == c->ref.yes)
			continue;
		if (c->ref.yes)
			c->why = explain(&c->ref, ctx, c->note,
					 sizeof(c->note));
		if (c->why)
			continue;
		c->differs = true;
		snprintf(c->note, sizeof(c->note), "%s",
			 c->live ? "the table says no, this kernel reports it" :
				   "the table says yes, this kernel does not");
	}
}

/* ---- --drivers ---- */

struct widths {
	int name, driver, col[XDP_COL__COUNT];
};

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void measure(struct widths *w)
{
	char cell[16];
	size_t i;
	int c;

	w->name = strlen("Driver name");
	w->driver = strlen("Driver");
	for (c = 0; c < XDP_COL__COUNT; c++)
		w->col[c] = strlen(xdp_col_name[c]);
	for (i = 0; i < xdp_table_len; i++) {
		w->name = max_int(w->name, strlen(xdp_table[i].name));
		w->driver = max_int(w->driver, strlen(xdp_table[i].driver));
		for (c = 0; c < XDP_COL__COUNT; c++)
			w->col[c] = max_int(w->col[c],
				strlen(xdp_cell_str(&xdp_table[i].col[c],
						    cell, sizeof(cell))));
	}
}

/* One line; the last column is not padded, so no trailing blanks. */
static void print_line(FILE *out, const struct widths *w, const char *name,
		       const char *driver, const char *const cells[])
{
	int c;

	fprintf(out, "%-*s  %-*s", w->name, name, w->driver, driver);
	for (c = 0; c < XDP_COL__COUNT - 1; c++)
		fprintf(out, "  %-*s", w->col[c], cells[c]);
	fprintf(out, "  %s\n", cells[XDP_COL__COUNT - 1]);
}

int xdp_table_print(FILE *out)
{
	char buf[XDP_COL__COUNT][16];
	const char *cells[XDP_COL__COUNT];
	struct widths w;
	size_t i;
	int c;

	measure(&w);
	print_line(out, &w, "Driver name", "Driver", xdp_col_name);
	for (i = 0; i < xdp_table_len; i++) {
		for (c = 0; c < XDP_COL__COUNT; c++)
			cells[c] = xdp_cell_str(&xdp_table[i].col[c], buf[c],
						sizeof(buf[c]));
		print_line(out, &w, xdp_table[i].name, xdp_table[i].driver,
			   cells);
	}
	fprintf(out, "\nLegend:\n");
	for (c = 0; c < XDP_COL__COUNT; c++)
		fprintf(out, "  %s: %s.\n", xdp_col_name[c], xdp_col_legend[c]);
	fprintf(out, "\nFootnotes:\n");
	for (c = 0; c < XDP_FN__COUNT; c++)
		fprintf(out, "  [%c] %s.\n", 'a' + c, xdp_footnote[c]);
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}
