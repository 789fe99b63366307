// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpfeatures without a kernel: the fallback decision, rows built from
 * fake xdp_iface values (as xdp_iface_query() would fill them), and the
 * text and JSON those rows render to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_link.h>

#include "xdp_nl.h"
#include "xdp_table.h"

/* What the development machine measured (xdp-drivers.md). */
#define F_VETH		35ULL	/* basic, redirect, rx-sg */
#define F_VETH_TARGET	103ULL	/* + ndo-xmit, ndo-xmit-sg */
#define F_VIRTIO	43ULL	/* basic, redirect, xsk-zerocopy, rx-sg */

static void fake_veth(struct xdp_iface *ifc, const char *name,
		      const char *peer, uint64_t features)
{
	memset(ifc, 0, sizeof(*ifc));
	ifc->ifindex = 7;
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	snprintf(ifc->driver, sizeof(ifc->driver), "veth");
	ifc->has_dev = true;
	ifc->dev.ifindex = 7;
	ifc->dev.xdp_features = features;
	ifc->dev.has_rx_metadata = true;
	ifc->dev.rx_metadata = 7;
	ifc->has_peer = true;
	ifc->peer.ifindex = 8;
	snprintf(ifc->peer.name, sizeof(ifc->peer.name), "%s", peer);
	ifc->has_peer_prog = true;
}

static void fake_virtio(struct xdp_iface *ifc, uint64_t features)
{
	memset(ifc, 0, sizeof(*ifc));
	ifc->ifindex = 2;
	snprintf(ifc->name, sizeof(ifc->name), "eth0");
	snprintf(ifc->driver, sizeof(ifc->driver), "virtio_net");
	ifc->has_dev = true;
	ifc->dev.ifindex = 2;
	ifc->dev.xdp_features = features;
	ifc->dev.has_zc_max_segs = true;
	ifc->dev.zc_max_segs = 1;
	ifc->dev.has_rx_metadata = true;
}

static void native_prog(struct xdp_if_prog *p, uint32_t id, const char *name)
{
	p->attach_mode = XDP_ATTACHED_DRV;
	p->prog_id = id;
	p->drv_prog_id = id;
	snprintf(p->name, sizeof(p->name), "%s", name);
}

/* ---- the fallback decision ---- */

static void test_source_kernel(void **state)
{
	char why[128] = "stale";

	(void)state;
	assert_int_equal(xdp_nl_source(0, why, sizeof(why)), XDP_SRC_KERNEL);
	assert_string_equal(why, "");
	assert_string_equal(xdp_src_name(XDP_SRC_KERNEL), "kernel");
}

static void test_source_no_family(void **state)
{
	char why[128];

	(void)state;
	/* What CTRL_CMD_GETFAMILY answers before Linux 6.3. */
	assert_int_equal(xdp_nl_source(-ENOENT, why, sizeof(why)),
			 XDP_SRC_TABLE);
	assert_non_null(strstr(why, "no netdev netlink family"));
	assert_non_null(strstr(why, "6.3"));
	assert_string_equal(xdp_src_name(XDP_SRC_TABLE), "table");
}

static void test_source_other_error(void **state)
{
	char why[128];

	(void)state;
	/* Anything else still falls back, and says what went wrong. */
	assert_int_equal(xdp_nl_source(-EPERM, why, sizeof(why)),
			 XDP_SRC_TABLE);
	assert_non_null(strstr(why, strerror(EPERM)));
	assert_int_equal(xdp_nl_source(-EPROTONOSUPPORT, why, sizeof(why)),
			 XDP_SRC_TABLE);
	assert_non_null(strstr(why, strerror(EPROTONOSUPPORT)));
}

/* ---- footnote hints ---- */

static void test_fn_hints(void **state)
{
	struct xdp_table_ctx ctx = { .peer = "vb" };
	char buf[96];

	(void)state;
	assert_string_equal(xdp_fn_hint(XDP_FN_A, &ctx, buf, sizeof(buf)),
			    "[a] load an XDP program on this interface");
	assert_string_equal(xdp_fn_hint(XDP_FN_B, &ctx, buf, sizeof(buf)),
			    "[b] needs XDP TX queues >= largest CPU index");
	assert_string_equal(xdp_fn_hint(XDP_FN_C, &ctx, buf, sizeof(buf)),
			    "[c] load an XDP program on the peer vb");
	assert_string_equal(xdp_fn_hint(XDP_FN_C, NULL, buf, sizeof(buf)),
			    "[c] load an XDP program on the peer device");
}

/* ---- rows ---- */

static void test_row_veth_footnote_c(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_int_equal(row.src, XDP_SRC_KERNEL);
	assert_string_equal(row.iface, "vb");
	assert_string_equal(row.driver, "veth");
	assert_non_null(row.ref);
	assert_string_equal(row.cell[XDP_COL_BASIC], "yes");
	assert_string_equal(row.cell[XDP_COL_REDIRECT], "yes");
	assert_string_equal(row.cell[XDP_COL_TARGET], "no [c]");
	assert_string_equal(row.cell[XDP_COL_HW_OFFLOAD], "no");
	assert_string_equal(row.cell[XDP_COL_ZEROCOPY], "no");
	assert_string_equal(row.ref_cell[XDP_COL_TARGET], "yes [c]");
	assert_false(row.live[XDP_COL_TARGET]);
	assert_true(row.live[XDP_COL_BASIC]);
	assert_string_equal(row.differs, "");
	assert_int_equal(row.nnotes, 1);
	assert_string_equal(row.notes[0],
		"Target off: [c] load an XDP program on the peer va");
	assert_string_equal(row.peer, "va");
	assert_string_equal(row.features, "basic,redirect,rx-sg");
	assert_true(row.rx_sg);
	assert_false(row.ndo_xmit_sg);
	assert_string_equal(row.rx_metadata, "timestamp,hash,vlan-tag");
	assert_string_equal(row.prog, "none");
	assert_string_equal(row.prog_mode, "none");
	assert_int_equal(row.prog_id, 0);
}

static void test_row_veth_peer_prog(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH_TARGET);
	native_prog(&ifc.peer_prog, 42, "xdp_pass");
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.cell[XDP_COL_TARGET], "yes");
	assert_true(row.live[XDP_COL_TARGET]);
	assert_int_equal(row.nnotes, 0);
	assert_true(row.ndo_xmit_sg);
	assert_string_equal(row.features,
			    "basic,redirect,ndo-xmit,rx-sg,ndo-xmit-sg");
}

static void test_row_peer_elsewhere(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_veth(&ifc, "vb", "", F_VETH);
	ifc.peer.other_ns = true;
	ifc.has_peer_prog = false;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.peer, "ifindex 8 in another namespace");
	assert_string_equal(row.notes[0],
		"Target off: [c] load an XDP program on the peer ifindex 8 in another namespace");
}

static void test_row_virtio(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_virtio(&ifc, F_VIRTIO);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.cell[XDP_COL_TARGET], "no [a] [b]");
	/* The table says no zero-copy; this kernel has it. */
	assert_string_equal(row.cell[XDP_COL_ZEROCOPY], "yes [!]");
	assert_string_equal(row.differs, "zero_copy");
	assert_int_equal(row.nnotes, 3);
	assert_string_equal(row.notes[0],
		"Target off: [a] load an XDP program on this interface");
	assert_string_equal(row.notes[1],
		"Target off: [b] needs XDP TX queues >= largest CPU index");
	assert_string_equal(row.notes[2],
		"Zero-copy differs: the table says no, this kernel reports it");
	assert_int_equal(row.zc_max_segs, 1);
	assert_true(row.has_rx_metadata);
	assert_string_equal(row.rx_metadata, "");
	assert_false(row.has_xsk);
	assert_string_equal(row.peer, "");
}

static void test_row_virtio_own_prog(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	/* [a] met, flag still off: only [b] is left to blame. */
	fake_virtio(&ifc, F_VIRTIO);
	native_prog(&ifc.prog, 9, "fw");
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.cell[XDP_COL_TARGET], "no [b]");
	assert_string_equal(row.prog, "native 9 fw");
	assert_string_equal(row.prog_mode, "native");
	assert_int_equal(row.prog_id, 9);
	assert_string_equal(row.prog_name, "fw");

	fake_virtio(&ifc, F_VIRTIO | NR_XDP_F_NDO_XMIT);
	native_prog(&ifc.prog, 9, "fw");
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.cell[XDP_COL_TARGET], "yes");
}

static void test_row_generic_prog_is_not_a(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	/* Footnote [a] is about native XDP: generic mode does not count. */
	fake_virtio(&ifc, F_VIRTIO);
	ifc.prog.attach_mode = XDP_ATTACHED_SKB;
	ifc.prog.prog_id = 11;
	ifc.prog.skb_prog_id = 11;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.cell[XDP_COL_TARGET], "no [a] [b]");
	assert_string_equal(row.prog, "generic 11");
	assert_string_equal(row.prog_name, "");
}

static void test_row_lo(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	int c;

	(void)state;
	memset(&ifc, 0, sizeof(ifc));
	ifc.ifindex = 1;
	snprintf(ifc.name, sizeof(ifc.name), "lo");
	ifc.has_dev = true;
	ifc.dev.ifindex = 1;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_null(row.ref);
	for (c = 0; c < XDP_COL__COUNT; c++) {
		assert_string_equal(row.cell[c], "no");
		assert_string_equal(row.ref_cell[c], "");
	}
	assert_int_equal(row.nnotes, 0);
	assert_string_equal(row.features, "");
	assert_string_equal(row.driver, "");
}

static void test_row_unknown_bits(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH | 1ULL << 9 | 1ULL << 40);
	ifc.dev.rx_metadata = 1 | 1ULL << 5;
	ifc.dev.has_xsk_features = true;
	ifc.dev.xsk_features = 2 | 1ULL << 3;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.unknown, "bit9,bit40");
	assert_string_equal(row.features, "basic,redirect,rx-sg,bit9,bit40");
	assert_string_equal(row.rx_metadata, "timestamp,bit5");
	assert_true(row.has_xsk);
	assert_string_equal(row.xsk, "tx-checksum,bit3");
}

static void test_row_prog_unknown(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH);
	ifc.prog_err = -EPERM;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_false(row.prog_known);
	assert_string_equal(row.prog, "?");
	assert_null(row.prog_mode);
}

static void test_row_prog_multi(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH);
	ifc.prog.attach_mode = XDP_ATTACHED_MULTI;
	ifc.prog.drv_prog_id = 5;
	ifc.prog.skb_prog_id = 6;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_string_equal(row.prog, "multi native 5 generic 6");
	assert_string_equal(row.prog_mode, "multi");
	assert_int_equal(row.prog_id, 5);
}

static void test_row_table_mode(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	/* No netdev family: the table's cells, footnotes as conditions. */
	fake_veth(&ifc, "vb", "va", 0);
	ifc.has_dev = false;
	xdp_row_build(&ifc, XDP_SRC_TABLE, &row);
	assert_int_equal(row.src, XDP_SRC_TABLE);
	assert_string_equal(row.cell[XDP_COL_BASIC], "yes");
	assert_string_equal(row.cell[XDP_COL_TARGET], "yes [c]");
	assert_string_equal(row.differs, "");
	assert_int_equal(row.nnotes, 1);
	assert_string_equal(row.notes[0],
		"Target conditional: [c] load an XDP program on the peer va");

	/* The peer has a program: the condition is met, nothing to say. */
	native_prog(&ifc.peer_prog, 3, "p");
	xdp_row_build(&ifc, XDP_SRC_TABLE, &row);
	assert_int_equal(row.nnotes, 0);
}

static void test_row_table_mode_unlisted(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	int c;

	(void)state;
	memset(&ifc, 0, sizeof(ifc));
	ifc.ifindex = 4;
	snprintf(ifc.name, sizeof(ifc.name), "ifb0");
	snprintf(ifc.driver, sizeof(ifc.driver), "ifb");
	xdp_row_build(&ifc, XDP_SRC_TABLE, &row);
	for (c = 0; c < XDP_COL__COUNT; c++)
		assert_string_equal(row.cell[c], "?");
	assert_int_equal(row.nnotes, 0);
}

static void test_row_not_in_dump(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	/* The family answers, but not for this device: no live flags. */
	fake_veth(&ifc, "vb", "va", F_VETH);
	ifc.has_dev = false;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	assert_int_equal(row.src, XDP_SRC_TABLE);
	assert_string_equal(row.cell[XDP_COL_TARGET], "yes [c]");
}

static void test_row_probe(void **state)
{
	struct xdp_probe p = { .res = XDP_PROBE_BUSY };
	struct xdp_iface ifc;
	struct xdp_row row;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	snprintf(p.note, sizeof(p.note), "probe refused: program 4 (native) is attached, not touched");
	xdp_row_set_probe(&row, &p);
	assert_int_equal(row.probe.res, XDP_PROBE_BUSY);
	assert_int_equal(row.nnotes, 2);
	assert_string_equal(row.notes[1], p.note);
	assert_string_equal(xdp_probe_res_name(XDP_PROBE_OK), "ok");
	assert_string_equal(xdp_probe_res_name(XDP_PROBE_UNSUPPORTED),
			    "unsupported");
	assert_string_equal(xdp_probe_res_name(XDP_PROBE_BUSY), "busy");
	assert_string_equal(xdp_probe_res_name(XDP_PROBE_ERROR), "error");
	assert_null(xdp_probe_res_name(XDP_PROBE_NONE));
}

static void test_row_notes_bounded(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	int i;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	for (i = 0; i < 3 * XDP_ROW_NOTES; i++)
		xdp_row_note(&row, "note %d", i);
	assert_int_equal(row.nnotes, XDP_ROW_NOTES);
}

/* ---- rendering ---- */

static char *render(const struct xdp_row *rows, size_t n, bool json,
		    bool all, bool probe)
{
	struct xdp_view v;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	xdp_view_init(&v, f, json, all, probe);
	assert_int_equal(xdp_view_print(&v, rows, n), 0);
	fclose(f);
	return text;
}

static void test_text_one_row(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	text = render(&row, 1, false, false, false);
	assert_string_equal(text,
		"IFACE DRIVER BASIC REDIRECT TARGET OFFLOAD ZEROCOPY XDP\n"
		"vb    veth   yes   yes      no [c] no      no       none\n"
		"  vb: Target off: [c] load an XDP program on the peer va\n");
	free(text);
}

static void test_text_aligned(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row rows[3];
	char *text, *line, *save;
	size_t target = 0, xdp = 0;
	int lines = 0;

	(void)state;
	fake_virtio(&ifc, F_VIRTIO);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &rows[0]);
	fake_veth(&ifc, "veth-long-name", "va", F_VETH_TARGET);
	native_prog(&ifc.prog, 123456, "a_long_prog_nam");
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &rows[1]);
	memset(&ifc, 0, sizeof(ifc));
	ifc.ifindex = 1;
	snprintf(ifc.name, sizeof(ifc.name), "lo");
	ifc.has_dev = true;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &rows[2]);
	text = render(rows, 3, false, false, false);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* The default view stays within 100 columns. */
		assert_true(strlen(line) <= 100);
		assert_true(line[strlen(line) - 1] != ' ');
		if (line[0] == ' ')
			continue;	/* a note */
		if (!lines++) {
			target = strstr(line, "TARGET") - line;
			xdp = strstr(line, "XDP") - line;
			continue;
		}
		assert_true(strlen(line) > xdp);
		assert_true(line[target - 1] == ' ' && line[target] != ' ');
		assert_true(line[xdp - 1] == ' ' && line[xdp] != ' ');
	}
	assert_int_equal(lines, 4);
	free(text);
}

static void test_text_all_and_probe(void **state)
{
	struct xdp_probe p = { .res = XDP_PROBE_OK };
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_veth(&ifc, "va", "vb", F_VETH_TARGET);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	xdp_row_set_probe(&row, &p);
	text = render(&row, 1, false, true, true);
	assert_string_equal(text,
		"IFACE DRIVER BASIC REDIRECT TARGET OFFLOAD ZEROCOPY RX_SG "
		"NDO_XMIT_SG ZC_MAX_SEGS RX_METADATA             XSK_FEATURES "
		"UNKNOWN_BITS PROBE XDP\n"
		"va    veth   yes   yes      yes    no      no       yes   "
		"yes         -           timestamp,hash,vlan-tag ?            "
		"-            ok    none\n");
	free(text);
}

static void test_text_table_mode(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_veth(&ifc, "va", "vb", 0);
	ifc.has_dev = false;
	xdp_row_build(&ifc, XDP_SRC_TABLE, &row);
	text = render(&row, 1, false, true, false);
	assert_non_null(strstr(text,
		"va    veth   yes   yes      yes [c] no      no       ?     ?"));
	assert_non_null(strstr(text,
		"\n  va: Target conditional: [c] load an XDP program on the peer vb\n"));
	free(text);
}

static void test_text_sanitized(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_veth(&ifc, "v\033[2Jx", "va", F_VETH);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	text = render(&row, 1, false, false, false);
	assert_null(strchr(text, '\033'));
	assert_non_null(strstr(text, "\nv?[2Jx veth"));
	assert_non_null(strstr(text, "\n  v?[2Jx: Target off"));
	free(text);
}

static void test_json_one_row(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_veth(&ifc, "vb", "va", F_VETH);
	native_prog(&ifc.prog, 17, "xf_pass");
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	text = render(&row, 1, true, false, false);
	assert_string_equal(text,
		"{\"iface\":\"vb\",\"ifindex\":7,\"driver\":\"veth\","
		"\"source\":\"kernel\",\"xdp_mode\":\"native\","
		"\"xdp_prog_id\":17,\"xdp_prog_name\":\"xf_pass\","
		"\"peer\":\"va\",\"basic\":true,\"redirect\":true,"
		"\"target\":false,\"hw_offload\":false,\"zero_copy\":false,"
		"\"basic_table\":\"yes\",\"redirect_table\":\"yes\","
		"\"target_table\":\"yes [c]\",\"hw_offload_table\":\"no\","
		"\"zero_copy_table\":\"no\",\"differs\":\"\","
		"\"notes\":\"Target off: [c] load an XDP program on the peer va\","
		"\"xdp_features\":\"basic,redirect,rx-sg\"}\n");
	free(text);
}

static void test_json_all_probe(void **state)
{
	struct xdp_probe p = { .res = XDP_PROBE_UNSUPPORTED };
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_virtio(&ifc, F_VIRTIO);
	ifc.prog_err = -EPERM;
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	snprintf(p.note, sizeof(p.note), "probe: \"quoted\"");
	xdp_row_set_probe(&row, &p);
	text = render(&row, 1, true, true, true);
	assert_non_null(strstr(text, "\"xdp_mode\":null,\"xdp_prog_id\":0,"
				     "\"xdp_prog_name\":null,\"peer\":null,"));
	assert_non_null(strstr(text, "\"differs\":\"zero_copy\","));
	assert_non_null(strstr(text, "\"rx_sg\":true,\"ndo_xmit_sg\":false,"
				     "\"zc_max_segs\":1,\"rx_metadata\":\"\","
				     "\"xsk_features\":null,"
				     "\"unknown_bits\":\"\","));
	assert_non_null(strstr(text, "\"probe\":\"unsupported\","
				     "\"probe_note\":\"probe: \\\"quoted\\\"\"}\n"));
	assert_non_null(strstr(text, "\"notes\":\"Target off: [a] load an XDP "
				     "program on this interface; Target off: [b] "
				     "needs XDP TX queues >= largest CPU index; Zero-copy "
				     "differs: the table says no, this kernel "
				     "reports it; probe: \\\"quoted\\\"\""));
	free(text);
}

static void test_json_table_mode(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_veth(&ifc, "vb", "va", 0);
	ifc.has_dev = false;
	xdp_row_build(&ifc, XDP_SRC_TABLE, &row);
	text = render(&row, 1, true, true, false);
	assert_string_equal(text,
		"{\"iface\":\"vb\",\"ifindex\":7,\"driver\":\"veth\","
		"\"source\":\"table\",\"xdp_mode\":\"none\","
		"\"xdp_prog_id\":0,\"xdp_prog_name\":null,\"peer\":\"va\","
		"\"basic_table\":\"yes\",\"redirect_table\":\"yes\","
		"\"target_table\":\"yes [c]\",\"hw_offload_table\":\"no\","
		"\"zero_copy_table\":\"no\","
		"\"notes\":\"Target conditional: [c] load an XDP program on the peer va\"}\n");
	free(text);
}

static void test_json_escapes_iface(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	char *text;

	(void)state;
	fake_veth(&ifc, "v\"\001", "va", F_VETH);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	text = render(&row, 1, true, false, false);
	assert_non_null(strstr(text, "{\"iface\":\"v\\\"\\u0001\","));
	free(text);
}

static void test_drivers_json(void **state)
{
	char *text = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(xdp_table_print_json(f), 0);
	fclose(f);
	assert_non_null(strstr(text,
		"{\"name\":\"Virtual Ethernet pair device\",\"driver\":\"veth\","
		"\"basic\":true,\"redirect\":true,\"target\":true,"
		"\"hw_offload\":false,\"zero_copy\":false,"
		"\"basic_table\":\"yes\",\"redirect_table\":\"yes\","
		"\"target_table\":\"yes [c]\",\"hw_offload_table\":\"no\","
		"\"zero_copy_table\":\"no\"}\n"));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		assert_true(!strncmp(line, "{\"name\":\"", 9));
		assert_int_equal(line[strlen(line) - 1], '}');
		n++;
	}
	assert_int_equal(n, 16);
	free(text);
}

static void test_write_error(void **state)
{
	struct xdp_iface ifc;
	struct xdp_row row;
	struct xdp_view v;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	fake_veth(&ifc, "vb", "va", F_VETH);
	xdp_row_build(&ifc, XDP_SRC_KERNEL, &row);
	xdp_view_init(&v, f, false, false, false);
	assert_int_equal(xdp_view_print(&v, &row, 1), -1);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_kernel),
		cmocka_unit_test(test_source_no_family),
		cmocka_unit_test(test_source_other_error),
		cmocka_unit_test(test_fn_hints),
		cmocka_unit_test(test_row_veth_footnote_c),
		cmocka_unit_test(test_row_veth_peer_prog),
		cmocka_unit_test(test_row_peer_elsewhere),
		cmocka_unit_test(test_row_virtio),
		cmocka_unit_test(test_row_virtio_own_prog),
		cmocka_unit_test(test_row_generic_prog_is_not_a),
		cmocka_unit_test(test_row_lo),
		cmocka_unit_test(test_row_unknown_bits),
		cmocka_unit_test(test_row_prog_unknown),
		cmocka_unit_test(test_row_prog_multi),
		cmocka_unit_test(test_row_table_mode),
		cmocka_unit_test(test_row_table_mode_unlisted),
		cmocka_unit_test(test_row_not_in_dump),
		cmocka_unit_test(test_row_probe),
		cmocka_unit_test(test_row_notes_bounded),
		cmocka_unit_test(test_text_one_row),
		cmocka_unit_test(test_text_aligned),
		cmocka_unit_test(test_text_all_and_probe),
		cmocka_unit_test(test_text_table_mode),
		cmocka_unit_test(test_text_sanitized),
		cmocka_unit_test(test_json_one_row),
		cmocka_unit_test(test_json_all_probe),
		cmocka_unit_test(test_json_table_mode),
		cmocka_unit_test(test_json_escapes_iface),
		cmocka_unit_test(test_drivers_json),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
