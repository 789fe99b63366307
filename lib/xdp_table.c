// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * RHEL's XDP driver table and its footnotes.  The rows are the fallback
 * reference; the kernel's netdev family is the truth where it answers, and
 * the footnotes are what connects the two: they name the conditions under
 * which the kernel turns a flag on at run time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_link.h>

#include "format.h"
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

const char *xdp_fn_hint(unsigned int fn, const struct xdp_table_ctx *ctx,
			char *buf, size_t n)
{
	switch (fn) {
	case XDP_FN_A:
		snprintf(buf, n, "[a] load an XDP program on this interface");
		break;
	case XDP_FN_B:
		snprintf(buf, n, "[b] needs XDP TX queues >= largest CPU index");
		break;
	case XDP_FN_C:
		snprintf(buf, n, "[c] load an XDP program on the peer %s",
			 ctx && ctx->peer ? ctx->peer : "device");
		break;
	default:
		snprintf(buf, n, "?");
		break;
	}
	return buf;
}

/* Which footnotes of an unmet "yes" cell explain the flag being off. */
static unsigned int explain(const struct xdp_table_cell *ref,
			    const struct xdp_table_ctx *ctx, char *note,
			    size_t n)
{
	unsigned int why = 0, i;
	char hint[96];

	if ((ref->fn & XDP_FN_A) && !ctx->prog)
		why |= XDP_FN_A;
	/* Only the driver knows its queue count: [b] is always a suspect. */
	if (ref->fn & XDP_FN_B)
		why |= XDP_FN_B;
	if ((ref->fn & XDP_FN_C) && !ctx->peer_prog)
		why |= XDP_FN_C;
	for (i = 0; i < XDP_FN__COUNT; i++)
		if (why & (1U << i))
			note_add(note, n, xdp_fn_hint(1U << i, ctx, hint,
						      sizeof(hint)));
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

#define COL(h, k, t)	{ .header = (h), .key = (k), .type = (t) }

enum { D_NAME, D_DRIVER, D_BOOL, D_CELL = D_BOOL + XDP_COL__COUNT,
       D__N = D_CELL + XDP_COL__COUNT };

/* Text: the seed's headers; JSON: a bool and the cell text per column. */
static const struct column driver_cols[D__N] = {
	[D_NAME] = COL("Driver name", "name", COL_STR),
	[D_DRIVER] = COL("Driver", "driver", COL_STR),
	[D_CELL + 0] = COL("Basic", "basic_table", COL_STR),
	[D_CELL + 1] = COL("Redirect", "redirect_table", COL_STR),
	[D_CELL + 2] = COL("Target", "target_table", COL_STR),
	[D_CELL + 3] = COL("HW offload", "hw_offload_table", COL_STR),
	[D_CELL + 4] = COL("Zero-copy", "zero_copy_table", COL_STR),
	[D_BOOL + 0] = COL("", "basic", COL_BOOL),
	[D_BOOL + 1] = COL("", "redirect", COL_BOOL),
	[D_BOOL + 2] = COL("", "target", COL_BOOL),
	[D_BOOL + 3] = COL("", "hw_offload", COL_BOOL),
	[D_BOOL + 4] = COL("", "zero_copy", COL_BOOL),
};

#define COLMASK(first, n)	((((1U << (n)) - 1)) << (first))

static void driver_cells(const struct xdp_table_row *r,
			 char buf[XDP_COL__COUNT][16], union cell *v)
{
	int c;

	v[D_NAME].s = r->name;
	v[D_DRIVER].s = r->driver;
	for (c = 0; c < XDP_COL__COUNT; c++) {
		v[D_CELL + c].s = xdp_cell_str(&r->col[c], buf[c],
					       sizeof(buf[c]));
		v[D_BOOL + c].b = r->col[c].yes;
	}
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Fit each shown column to its header and cells; the last one unpadded. */
static void fit_widths(struct column *cols, uint32_t mask, unsigned int i,
		       const char *s, int extra)
{
	if (mask & (1U << i))
		cols[i].width = max_int(cols[i].width, strlen(s) + extra);
}

static void last_unpadded(struct column *cols, unsigned int n, uint32_t mask)
{
	while (n--)
		if (mask & (1U << n)) {
			cols[n].width = 0;
			return;
		}
}

/* Lines of prose (legend, notes) through the formatter too. */
static const struct column line_col = COL("", "line", COL_STR);

static int put_line(FILE *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int put_line(FILE *out, const char *fmt, ...)
{
	char line[512];
	union cell v = { .s = line };
	struct fmt f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fmt_init(&f, out, false, &line_col, 1);
	return fmt_row(&f, &v);
}

int xdp_table_print(FILE *out)
{
	const uint32_t mask = COLMASK(D_NAME, 2) |
			      COLMASK(D_CELL, XDP_COL__COUNT);
	struct column cols[D__N];
	char buf[XDP_COL__COUNT][16];
	union cell v[D__N];
	struct fmt f;
	size_t i;
	int c, err;

	memcpy(cols, driver_cols, sizeof(cols));
	/* The seed's layout: two blanks between columns. */
	for (c = 0; c < D__N; c++)
		fit_widths(cols, mask, c, cols[c].header, 1);
	for (i = 0; i < xdp_table_len; i++) {
		driver_cells(&xdp_table[i], buf, v);
		for (c = 0; c < D__N; c++)
			if (mask & (1U << c))
				fit_widths(cols, mask, c, v[c].s, 1);
	}
	last_unpadded(cols, D__N, mask);
	fmt_init(&f, out, false, cols, D__N);
	f.text_mask = mask;
	err = fmt_header(&f);
	for (i = 0; i < xdp_table_len && !err; i++) {
		driver_cells(&xdp_table[i], buf, v);
		err = fmt_row(&f, v);
	}
	err = err ?: put_line(out, "%s", "");
	err = err ?: put_line(out, "Legend:");
	for (c = 0; c < XDP_COL__COUNT && !err; c++)
		err = put_line(out, "  %s: %s.", xdp_col_name[c],
			       xdp_col_legend[c]);
	err = err ?: put_line(out, "%s", "");
	err = err ?: put_line(out, "Footnotes:");
	for (c = 0; c < XDP_FN__COUNT && !err; c++)
		err = put_line(out, "  [%c] %s.", 'a' + c, xdp_footnote[c]);
	if (err || fflush(out) || ferror(out))
		return -1;
	return 0;
}

int xdp_table_print_json(FILE *out)
{
	char buf[XDP_COL__COUNT][16];
	union cell v[D__N];
	struct fmt f;
	size_t i;

	fmt_init(&f, out, true, driver_cols, D__N);
	for (i = 0; i < xdp_table_len; i++) {
		driver_cells(&xdp_table[i], buf, v);
		if (fmt_row(&f, v))
			return -1;
	}
	return fflush(out) || ferror(out) ? -1 : 0;
}

/* ---- one interface ---- */

void xdp_row_note(struct xdp_row *row, const char *fmt, ...)
{
	va_list ap;

	if (row->nnotes == XDP_ROW_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(row->notes[row->nnotes++], XDP_ROW_NOTE_LEN, fmt, ap);
	va_end(ap);
}

/* snprintf() at the end of what buf holds; silently cut when full. */
static void appendf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void appendf(char *buf, size_t n, const char *fmt, ...)
{
	size_t pos = strnlen(buf, n);
	va_list ap;

	if (pos + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + pos, n - pos, fmt, ap);
	va_end(ap);
}

/* " [a] [c]" for the footnotes in fn, appended to buf. */
static void append_marks(char *buf, size_t n, unsigned int fn)
{
	int i;

	for (i = 0; i < XDP_FN__COUNT; i++)
		if (fn & (1U << i))
			appendf(buf, n, " [%c]", 'a' + i);
}

static bool has_native(const struct xdp_if_prog *p)
{
	return p->drv_prog_id ||
	       (p->attach_mode == XDP_ATTACHED_DRV && p->prog_id);
}

static uint32_t first_prog_id(const struct xdp_if_prog *p)
{
	if (p->prog_id)
		return p->prog_id;
	if (p->drv_prog_id)
		return p->drv_prog_id;
	return p->skb_prog_id ? p->skb_prog_id : p->hw_prog_id;
}

static void row_prog(const struct xdp_iface *ifc, struct xdp_row *row)
{
	const struct xdp_if_prog *p = &ifc->prog;

	row->prog_known = !ifc->prog_err;
	if (!row->prog_known) {
		snprintf(row->prog, sizeof(row->prog), "?");
		return;
	}
	row->prog_mode = xdp_attach_mode_name(p->attach_mode);
	row->prog_id = first_prog_id(p);
	snprintf(row->prog_name, sizeof(row->prog_name), "%s", p->name);
	if (p->attach_mode == XDP_ATTACHED_NONE) {
		snprintf(row->prog, sizeof(row->prog), "none");
		return;
	}
	if (p->attach_mode != XDP_ATTACHED_MULTI) {
		snprintf(row->prog, sizeof(row->prog), "%s %u", row->prog_mode,
			 row->prog_id);
		if (row->prog_name[0])
			appendf(row->prog, sizeof(row->prog), " %s",
				row->prog_name);
		return;
	}
	/* Several modes at once: each with its id, names would not fit. */
	snprintf(row->prog, sizeof(row->prog), "multi");
	if (p->drv_prog_id)
		appendf(row->prog, sizeof(row->prog), " native %u",
			p->drv_prog_id);
	if (p->skb_prog_id)
		appendf(row->prog, sizeof(row->prog), " generic %u",
			p->skb_prog_id);
	if (p->hw_prog_id)
		appendf(row->prog, sizeof(row->prog), " offload %u",
			p->hw_prog_id);
}

/* One note per footnote to blame: short lines, one cause each. */
static void note_why(struct xdp_row *row, const char *label, unsigned int why,
		     const struct xdp_table_ctx *ctx)
{
	char hint[96];
	unsigned int i;

	for (i = 0; i < XDP_FN__COUNT; i++)
		if (why & (1U << i))
			xdp_row_note(row, "%s %s", label,
				     xdp_fn_hint(1U << i, ctx, hint,
						 sizeof(hint)));
}

/* Live flags against the table: the cell text and its notes. */
static void row_live_cells(struct xdp_row *row,
			   const struct xdp_table_ctx *ctx)
{
	const struct xdp_table_cmp_col *k;
	char label[32];
	int c;

	for (c = 0; c < XDP_COL__COUNT; c++) {
		k = &row->cmp.col[c];
		row->live[c] = k->live;
		snprintf(row->cell[c], sizeof(row->cell[c]), "%s",
			 k->live ? "yes" : "no");
		if (k->why) {
			append_marks(row->cell[c], sizeof(row->cell[c]),
				     k->why);
			snprintf(label, sizeof(label), "%s off:",
				 xdp_col_name[c]);
			note_why(row, label, k->why, ctx);
		} else if (k->differs) {
			appendf(row->cell[c], sizeof(row->cell[c]), " [!]");
			xdp_row_note(row, "%s differs: %s", xdp_col_name[c],
				     k->note);
			appendf(row->differs, sizeof(row->differs), "%s%s",
				row->differs[0] ? "," : "", xdp_col_key[c]);
		}
	}
}

/* No kernel flags: the table's cells, and which conditions are unmet. */
static void row_table_cells(struct xdp_row *row,
			    const struct xdp_table_ctx *ctx)
{
	char label[32];
	int c;

	for (c = 0; c < XDP_COL__COUNT; c++) {
		snprintf(row->cell[c], sizeof(row->cell[c]), "%s",
			 row->ref ? row->ref_cell[c] : "?");
		/* Compared with "all off", why is what a footnote needs. */
		snprintf(label, sizeof(label), "%s conditional:",
			 xdp_col_name[c]);
		note_why(row, label, row->cmp.col[c].why, ctx);
	}
}

static void row_details(const struct xdp_nl_dev *dev, struct xdp_row *row)
{
	const uint64_t known = NR_XDP_F_BASIC | NR_XDP_F_REDIRECT |
		NR_XDP_F_NDO_XMIT | NR_XDP_F_XSK_ZEROCOPY |
		NR_XDP_F_HW_OFFLOAD | NR_XDP_F_RX_SG | NR_XDP_F_NDO_XMIT_SG;

	xdp_bits_str(XDP_BITS_FEATURES, dev->xdp_features, ",",
		     row->features, sizeof(row->features));
	row->rx_sg = dev->xdp_features & NR_XDP_F_RX_SG;
	row->ndo_xmit_sg = dev->xdp_features & NR_XDP_F_NDO_XMIT_SG;
	row->zc_max_segs = dev->has_zc_max_segs ? dev->zc_max_segs : 0;
	row->has_rx_metadata = dev->has_rx_metadata;
	xdp_bits_str(XDP_BITS_RX_METADATA, dev->rx_metadata, ",",
		     row->rx_metadata, sizeof(row->rx_metadata));
	row->has_xsk = dev->has_xsk_features;
	xdp_bits_str(XDP_BITS_XSK, dev->xsk_features, ",", row->xsk,
		     sizeof(row->xsk));
	xdp_bits_str(XDP_BITS_FEATURES, dev->xdp_features & ~known, ",",
		     row->unknown, sizeof(row->unknown));
}

void xdp_row_build(const struct xdp_iface *ifc, enum xdp_src src,
		   struct xdp_row *row)
{
	struct xdp_table_ctx ctx = { 0 };
	int c;

	memset(row, 0, sizeof(*row));
	snprintf(row->iface, sizeof(row->iface), "%s", ifc->name);
	row->ifindex = ifc->ifindex;
	snprintf(row->driver, sizeof(row->driver), "%s", ifc->driver);
	/* A device the netdev family did not list has no live flags. */
	row->src = src == XDP_SRC_KERNEL && ifc->has_dev ? XDP_SRC_KERNEL :
							    XDP_SRC_TABLE;
	row->ref = xdp_table_lookup(ifc->driver);
	for (c = 0; c < XDP_COL__COUNT && row->ref; c++)
		xdp_cell_str(&row->ref->col[c], row->ref_cell[c],
			     sizeof(row->ref_cell[c]));
	if (ifc->has_peer)
		xdp_if_peer_label(&ifc->peer, row->peer, sizeof(row->peer));
	ctx.prog = !ifc->prog_err && has_native(&ifc->prog);
	ctx.peer_prog = ifc->has_peer_prog && has_native(&ifc->peer_prog);
	ctx.peer = row->peer[0] ? row->peer : NULL;
	row_prog(ifc, row);
	if (row->src == XDP_SRC_KERNEL) {
		xdp_table_compare(row->ref, ifc->dev.xdp_features, &ctx,
				  &row->cmp);
		row_live_cells(row, &ctx);
		row_details(&ifc->dev, row);
	} else {
		xdp_table_compare(row->ref, 0, &ctx, &row->cmp);
		row_table_cells(row, &ctx);
	}
}

void xdp_row_set_probe(struct xdp_row *row, const struct xdp_probe *p)
{
	row->probe = *p;
	if (p->note[0])
		xdp_row_note(row, "%s", p->note);
}

/* ---- the interface view ---- */

enum { T_IFACE, T_DRIVER, T_CELL, T_RX_SG = T_CELL + XDP_COL__COUNT,
       T_XMIT_SG, T_ZC_SEGS, T_RX_MD, T_XSK, T_UNKNOWN, T_PROBE, T_XDP,
       T__N };

static const struct column text_cols[T__N] = {
	[T_IFACE] = COL("IFACE", "iface", COL_STR),
	[T_DRIVER] = COL("DRIVER", "driver", COL_NULLSTR),
	[T_CELL + 0] = COL("BASIC", "basic", COL_STR),
	[T_CELL + 1] = COL("REDIRECT", "redirect", COL_STR),
	[T_CELL + 2] = COL("TARGET", "target", COL_STR),
	[T_CELL + 3] = COL("OFFLOAD", "hw_offload", COL_STR),
	[T_CELL + 4] = COL("ZEROCOPY", "zero_copy", COL_STR),
	[T_RX_SG] = COL("RX_SG", "rx_sg", COL_STR),
	[T_XMIT_SG] = COL("NDO_XMIT_SG", "ndo_xmit_sg", COL_STR),
	[T_ZC_SEGS] = COL("ZC_MAX_SEGS", "zc_max_segs", COL_STR),
	[T_RX_MD] = COL("RX_METADATA", "rx_metadata", COL_STR),
	[T_XSK] = COL("XSK_FEATURES", "xsk_features", COL_STR),
	[T_UNKNOWN] = COL("UNKNOWN_BITS", "unknown_bits", COL_STR),
	[T_PROBE] = COL("PROBE", "probe", COL_STR),
	[T_XDP] = COL("XDP", "xdp", COL_STR),
};

enum { J_IFACE, J_IFINDEX, J_DRIVER, J_SOURCE, J_MODE, J_PROG_ID,
       J_PROG_NAME, J_PEER, J_LIVE, J_TABLE = J_LIVE + XDP_COL__COUNT,
       J_DIFFERS = J_TABLE + XDP_COL__COUNT, J_NOTES, J_FEATURES, J_RX_SG,
       J_XMIT_SG, J_ZC_SEGS, J_RX_MD, J_XSK, J_UNKNOWN, J_PROBE,
       J_PROBE_NOTE, J__N };

static const struct column json_cols[J__N] = {
	[J_IFACE] = COL("", "iface", COL_STR),
	[J_IFINDEX] = COL("", "ifindex", COL_INT),
	[J_DRIVER] = COL("", "driver", COL_NULLSTR),
	[J_SOURCE] = COL("", "source", COL_STR),
	[J_MODE] = COL("", "xdp_mode", COL_NULLSTR),
	[J_PROG_ID] = COL("", "xdp_prog_id", COL_INT),
	[J_PROG_NAME] = COL("", "xdp_prog_name", COL_NULLSTR),
	[J_PEER] = COL("", "peer", COL_NULLSTR),
	[J_LIVE + 0] = COL("", "basic", COL_BOOL),
	[J_LIVE + 1] = COL("", "redirect", COL_BOOL),
	[J_LIVE + 2] = COL("", "target", COL_BOOL),
	[J_LIVE + 3] = COL("", "hw_offload", COL_BOOL),
	[J_LIVE + 4] = COL("", "zero_copy", COL_BOOL),
	[J_TABLE + 0] = COL("", "basic_table", COL_NULLSTR),
	[J_TABLE + 1] = COL("", "redirect_table", COL_NULLSTR),
	[J_TABLE + 2] = COL("", "target_table", COL_NULLSTR),
	[J_TABLE + 3] = COL("", "hw_offload_table", COL_NULLSTR),
	[J_TABLE + 4] = COL("", "zero_copy_table", COL_NULLSTR),
	[J_DIFFERS] = COL("", "differs", COL_STR),
	[J_NOTES] = COL("", "notes", COL_STR),
	[J_FEATURES] = COL("", "xdp_features", COL_STR),
	[J_RX_SG] = COL("", "rx_sg", COL_BOOL),
	[J_XMIT_SG] = COL("", "ndo_xmit_sg", COL_BOOL),
	[J_ZC_SEGS] = COL("", "zc_max_segs", COL_INT),
	[J_RX_MD] = COL("", "rx_metadata", COL_NULLSTR),
	[J_XSK] = COL("", "xsk_features", COL_NULLSTR),
	[J_UNKNOWN] = COL("", "unknown_bits", COL_STR),
	[J_PROBE] = COL("", "probe", COL_NULLSTR),
	[J_PROBE_NOTE] = COL("", "probe_note", COL_NULLSTR),
};

void xdp_view_init(struct xdp_view *v, FILE *out, bool json, bool all,
		   bool probe)
{
	v->out = out;
	v->json = json;
	v->all = all;
	v->probe = probe;
}

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

/* Text cells of a row; strings live in the row or in buf. */
static void text_cells(const struct xdp_row *row, char *buf, size_t n,
		       union cell *v)
{
	bool live = row->src == XDP_SRC_KERNEL;
	int c;

	v[T_IFACE].s = row->iface;
	v[T_DRIVER].s = row->driver[0] ? row->driver : NULL;
	for (c = 0; c < XDP_COL__COUNT; c++)
		v[T_CELL + c].s = row->cell[c];
	v[T_RX_SG].s = !live ? "?" : row->rx_sg ? "yes" : "no";
	v[T_XMIT_SG].s = !live ? "?" : row->ndo_xmit_sg ? "yes" : "no";
	snprintf(buf, n, "%u", row->zc_max_segs);
	v[T_ZC_SEGS].s = !live ? "?" : row->zc_max_segs ? buf : "-";
	v[T_RX_MD].s = !live || !row->has_rx_metadata ? "?" :
		       or_dash(row->rx_metadata);
	v[T_XSK].s = !live || !row->has_xsk ? "?" : or_dash(row->xsk);
	v[T_UNKNOWN].s = !live ? "?" : or_dash(row->unknown);
	v[T_PROBE].s = xdp_probe_res_name(row->probe.res);
	v[T_PROBE].s = v[T_PROBE].s ? v[T_PROBE].s : "-";
	v[T_XDP].s = row->prog;
}

static uint32_t text_mask(const struct xdp_view *v)
{
	uint32_t mask = COLMASK(T_IFACE, T_RX_SG) | 1U << T_XDP;

	if (v->all)
		mask |= COLMASK(T_RX_SG, T_PROBE - T_RX_SG);
	if (v->probe)
		mask |= 1U << T_PROBE;
	return mask;
}

/* Widths from the header and every row, as the terminal will show them. */
static void text_widths(uint32_t mask,
			const struct xdp_row *rows, size_t n,
			struct column *cols)
{
	char clean[256], num[16];
	union cell cells[T__N];
	size_t i;
	int c;

	memcpy(cols, text_cols, sizeof(text_cols));
	for (c = 0; c < T__N; c++)
		fit_widths(cols, mask, c, cols[c].header, 0);
	for (i = 0; i < n; i++) {
		text_cells(&rows[i], num, sizeof(num), cells);
		for (c = 0; c < T__N; c++)
			fit_widths(cols, mask, c, fmt_sanitize(clean,
				   sizeof(clean), cells[c].s ? cells[c].s :
				   "-"), 0);
	}
	last_unpadded(cols, T__N, mask);
}

static int print_text(const struct xdp_view *v, const struct xdp_row *rows,
		      size_t n)
{
	struct column cols[T__N];
	uint32_t mask = text_mask(v);
	union cell cells[T__N];
	char num[16];
	struct fmt f;
	size_t i, k;
	int err;

	text_widths(mask, rows, n, cols);
	fmt_init(&f, v->out, false, cols, T__N);
	f.text_mask = mask;
	err = fmt_header(&f);
	for (i = 0; i < n && !err; i++) {
		text_cells(&rows[i], num, sizeof(num), cells);
		err = fmt_row(&f, cells);
		for (k = 0; k < rows[i].nnotes && !err; k++)
			err = put_line(v->out, "  %s: %s", rows[i].iface,
				       rows[i].notes[k]);
	}
	return err;
}

static void json_cells(const struct xdp_row *row, char *notes, size_t n,
		       union cell *v)
{
	size_t pos = 0, k;
	int c;

	v[J_IFACE].s = row->iface;
	v[J_IFINDEX].i = row->ifindex;
	v[J_DRIVER].s = row->driver[0] ? row->driver : NULL;
	v[J_SOURCE].s = xdp_src_name(row->src);
	v[J_MODE].s = row->prog_mode;
	v[J_PROG_ID].i = row->prog_id;
	v[J_PROG_NAME].s = row->prog_name[0] ? row->prog_name : NULL;
	v[J_PEER].s = row->peer[0] ? row->peer : NULL;
	for (c = 0; c < XDP_COL__COUNT; c++) {
		v[J_LIVE + c].b = row->live[c];
		v[J_TABLE + c].s = row->ref ? row->ref_cell[c] : NULL;
	}
	v[J_DIFFERS].s = row->differs;
	notes[0] = '\0';
	for (k = 0; k < row->nnotes && pos < n; k++)
		pos += snprintf(notes + pos, n - pos, "%s%s", k ? "; " : "",
				row->notes[k]);
	v[J_NOTES].s = notes;
	v[J_FEATURES].s = row->features;
	v[J_RX_SG].b = row->rx_sg;
	v[J_XMIT_SG].b = row->ndo_xmit_sg;
	v[J_ZC_SEGS].i = row->zc_max_segs;
	v[J_RX_MD].s = row->has_rx_metadata ? row->rx_metadata : NULL;
	v[J_XSK].s = row->has_xsk ? row->xsk : NULL;
	v[J_UNKNOWN].s = row->unknown;
	v[J_PROBE].s = xdp_probe_res_name(row->probe.res);
	v[J_PROBE_NOTE].s = row->probe.note[0] ? row->probe.note : NULL;
}

/* Kernel-only keys are left out of a row the table stands in for. */
static uint32_t json_mask(const struct xdp_view *v, const struct xdp_row *r)
{
	uint32_t mask = COLMASK(J_IFACE, J_RX_SG);

	if (v->all)
		mask |= COLMASK(J_RX_SG, J_PROBE - J_RX_SG);
	if (v->probe)
		mask |= COLMASK(J_PROBE, 2);
	if (r->src != XDP_SRC_KERNEL)
		mask &= ~(COLMASK(J_LIVE, XDP_COL__COUNT) | 1U << J_DIFFERS |
			  1U << J_FEATURES | COLMASK(J_RX_SG, J_PROBE - J_RX_SG));
	return mask;
}

static int print_json(const struct xdp_view *v, const struct xdp_row *rows,
		      size_t n)
{
	char notes[XDP_ROW_NOTES * (XDP_ROW_NOTE_LEN + 2)];
	union cell cells[J__N];
	struct fmt f;
	size_t i;

	fmt_init(&f, v->out, true, json_cols, J__N);
	for (i = 0; i < n; i++) {
		json_cells(&rows[i], notes, sizeof(notes), cells);
		f.json_mask = json_mask(v, &rows[i]);
		if (fmt_row(&f, cells))
			return -1;
	}
	return 0;
}

int xdp_view_print(const struct xdp_view *v, const struct xdp_row *rows,
		   size_t n)
{
	int err = v->json ? print_json(v, rows, n) : print_text(v, rows, n);

	if (err || fflush(v->out) || ferror(v->out))
		return -1;
	return 0;
}
