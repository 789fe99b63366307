/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP driver table users know from RHEL's "Overview of XDP features
 * in network cards", with its legend and footnotes, and the logic that
 * holds a driver's row against the flags the running kernel reports;
 * then xdpfeatures' rows built from what xdp_nl.c found, and their text
 * and JSON through the formatter.  Pure data and string work: no
 * sockets, no kernel, so every bit of it runs in the unit tests.
 */
#ifndef NETRACE_XDP_TABLE_H
#define NETRACE_XDP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "format.h"
#include "xdp_nl.h"

enum xdp_col {
	XDP_COL_BASIC,
	XDP_COL_REDIRECT,
	XDP_COL_TARGET,
	XDP_COL_HW_OFFLOAD,
	XDP_COL_ZEROCOPY,
	XDP_COL__COUNT
};

/* Footnote marks of a cell. */
#define XDP_FN_A	(1U << 0)	/* program loaded on the interface */
#define XDP_FN_B	(1U << 1)	/* XDP TX queues >= largest CPU index */
#define XDP_FN_C	(1U << 2)	/* program loaded on the peer device */
#define XDP_FN__COUNT	3

struct xdp_table_cell {
	bool yes;
	uint8_t fn;		/* XDP_FN_* */
};

struct xdp_table_row {
	const char *name;	/* "QEMU Virtio network" */
	const char *driver;	/* module name: "virtio_net" */
	struct xdp_table_cell col[XDP_COL__COUNT];
};

extern const struct xdp_table_row xdp_table[];
extern const size_t xdp_table_len;

/* "Basic", "Redirect", "Target", "HW offload", "Zero-copy" */
extern const char *const xdp_col_name[XDP_COL__COUNT];
/* "basic", "redirect", "target", "hw_offload", "zero_copy" (JSON keys) */
extern const char *const xdp_col_key[XDP_COL__COUNT];
/* What each column means, one sentence each. */
extern const char *const xdp_col_legend[XDP_COL__COUNT];
/* Footnote i (0 = [a]) as the documentation words it. */
extern const char *const xdp_footnote[XDP_FN__COUNT];

/* The xdp-features bit (NR_XDP_F_*) the kernel reports for a column. */
uint64_t xdp_col_bit(enum xdp_col col);

/*
 * The row of a driver (module) name, "-" and "_" alike as modprobe has
 * them; NULL for a driver the table does not list, NULL, or "".
 */
const struct xdp_table_row *xdp_table_lookup(const char *driver);

/* "yes", "no", "yes [a] [b]".  Returns buf (16 bytes are enough). */
const char *xdp_cell_str(const struct xdp_table_cell *c, char *buf,
			 size_t n);

/* What the footnotes depend on, for one interface. */
struct xdp_table_ctx {
	bool prog;		/* native XDP program on the interface */
	bool peer_prog;		/* native XDP program on the veth peer */
	const char *peer;	/* label of the peer for [c]; NULL: "device" */
};

struct xdp_table_cmp_col {
	bool live;		/* the kernel's flag */
	bool has_ref;		/* the driver has a row */
	struct xdp_table_cell ref;
	unsigned int why;	/* XDP_FN_* explaining why live is off */
	bool differs;		/* they disagree, no footnote says why */
	char note[160];		/* why, or the disagreement, spelled out; ""
				 * when live and table agree */
};

struct xdp_table_cmp {
	struct xdp_table_cmp_col col[XDP_COL__COUNT];
};

/*
 * What would meet footnote fn (one XDP_FN_*), as a hint naming the peer
 * for [c]: "[c] load an XDP program on the peer veth1".  Returns buf.
 */
const char *xdp_fn_hint(unsigned int fn, const struct xdp_table_ctx *ctx,
			char *buf, size_t n);

/*
 * Hold row (may be NULL: no reference, live values only) against the
 * live xdp-features mask of an interface.  When the table says yes and
 * the flag is off, the cell's footnotes whose condition is unmet explain
 * it: "[a] load an XDP program on this interface", "[b] needs XDP TX
 * queues >= largest CPU index" ([b] cannot be checked, so it is named
 * whenever present), "[c] load an XDP program on the peer veth1".
 * Anything else (flag on where the table says no; off with no footnote
 * left to blame) sets differs, and a note saying which way.  A flag on
 * where the table says "yes [c]" without a peer program is no news: the
 * kernel knows more ways to turn it on (veth with GRO on the peer).
 */
void xdp_table_compare(const struct xdp_table_row *row, uint64_t features,
		       const struct xdp_table_ctx *ctx,
		       struct xdp_table_cmp *cmp);

/*
 * The reference table (--drivers): as aligned text followed by the
 * legend and the footnotes, or (json) one object per driver: "name",
 * "driver", and per column (xdp_col_key) a bool and "<key>_table", the
 * cell as the text shows it ("yes [a] [b]").  Through the formatter.
 * 0, or -1 on a write error.
 */
int xdp_table_print(FILE *out);
int xdp_table_print_json(FILE *out);

/* ---- one interface, as xdpfeatures shows it ---- */

/* A note per footnote to blame or difference, and a few more. */
#define XDP_ROW_NOTES		(2 * XDP_COL__COUNT + 2)
#define XDP_ROW_NOTE_LEN	320

/*
 * Everything a row shows, built from an xdp_iface by xdp_row_build():
 * the text of every cell and the typed values of the JSON object.  Pure:
 * no kernel, so the unit tests build rows from a fake xdp_iface.
 */
struct xdp_row {
	char iface[IF_NAMESIZE];
	uint32_t ifindex;
	char driver[XDP_DRIVER_LEN];		/* "" for none */
	enum xdp_src src;
	const struct xdp_table_row *ref;	/* NULL: not in the table */
	struct xdp_table_cmp cmp;		/* live against ref */
	bool live[XDP_COL__COUNT];		/* the kernel's flags */
	char cell[XDP_COL__COUNT][24];		/* "no [c]", "yes [!]" */
	char ref_cell[XDP_COL__COUNT][16];	/* "yes [c]"; "" without ref */
	char differs[64];		/* "target,zero_copy" */
	char features[192];		/* "basic,redirect,rx-sg" */
	/* -a: what the table lacks */
	bool rx_sg, ndo_xmit_sg;
	uint32_t zc_max_segs;		/* 0: not reported */
	bool has_rx_metadata, has_xsk;
	char rx_metadata[96];		/* "timestamp,hash,vlan-tag" */
	char xsk[96];			/* "tx-timestamp,tx-checksum" */
	char unknown[128];		/* xdp-features bits by number: "bit9" */
	/* the attached program */
	bool prog_known;		/* bpf_xdp_query() answered */
	const char *prog_mode;		/* "none", "native", ... */
	uint32_t prog_id;
	char prog_name[16];		/* "" when none or unreadable */
	char prog[64];			/* text: "native 17 xf_pass" */
	char peer[64];			/* veth peer label; "" otherwise */
	struct xdp_probe probe;		/* set by the caller after probing */
	unsigned int nnotes;		/* the lines under the row */
	char notes[XDP_ROW_NOTES][XDP_ROW_NOTE_LEN];
};

/*
 * Build the row of ifc.  With XDP_SRC_KERNEL (ifc->has_dev) the cells are
 * the live flags held against the table: "no [c]" when a footnote says
 * why the flag is off, "yes [!]"/"no [!]" when the two disagree, each
 * with a note ("Target off: [c] load an XDP program on the peer vb").
 * With XDP_SRC_TABLE (no netdev family) they are the table's cells, "?"
 * for a driver it does not list, with notes for unmet footnotes.
 */
void xdp_row_build(const struct xdp_iface *ifc, enum xdp_src src,
		   struct xdp_row *row);
/* Append one note line to row (dropped when full). */
void xdp_row_note(struct xdp_row *row, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keep a probe's result on the row, its note among the row's notes. */
void xdp_row_set_probe(struct xdp_row *row, const struct xdp_probe *p);

/*
 * The interface view: text (a header, one line per interface with its
 * notes indented under it, column widths fitted to the rows) or one
 * JSON object per interface.  all adds the -a columns, probe the probe.
 */
struct xdp_view {
	FILE *out;
	bool json, all, probe;
};

void xdp_view_init(struct xdp_view *v, FILE *out, bool json, bool all,
		   bool probe);
/* Every row, header first.  0, or -1 on a write error. */
int xdp_view_print(const struct xdp_view *v, const struct xdp_row *rows,
		   size_t n);

#endif
