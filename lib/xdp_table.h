/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The XDP driver table users know from RHEL's "Overview of XDP features
 * in network cards", with its legend and footnotes, and the logic that
 * holds a driver's row against the flags the running kernel reports.
 * Pure data and string work: no sockets, no kernel.
 */
#ifndef NETRACE_XDP_TABLE_H
#define NETRACE_XDP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
 * The reference table (--drivers) as aligned plain text, then the legend
 * and the footnotes.  0, or -1 on a write error.
 */
int xdp_table_print(FILE *out);

#endif
