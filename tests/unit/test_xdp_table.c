// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The XDP driver table: its rows, the lookup, the footnote logic that
 * explains live flags, and the --drivers text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp_nl.h"
#include "xdp_table.h"

static const char *const modules[] = {
	"ena", "bnxt_en", "nicvf", "i40e", "ice", "ixgbe", "ixgbevf",
	"mlx4_en", "mlx5_core", "nfp", "qede", "sfc", "hv_netvsc", "tun",
	"veth", "virtio_net",
};

#define NMODULES	(sizeof(modules) / sizeof(modules[0]))

static void test_all_drivers(void **state)
{
	size_t i, j;

	assert_int_equal(xdp_table_len, 16);
	for (i = 0; i < NMODULES; i++) {
		const struct xdp_table_row *r = xdp_table_lookup(modules[i]);

		assert_non_null(r);
		assert_string_equal(r->driver, modules[i]);
		assert_non_null(r->name);
		/* every driver in the table does the basic return codes */
		assert_true(r->col[XDP_COL_BASIC].yes);
		/* a footnote only ever qualifies a "yes" */
		for (j = 0; j < XDP_COL__COUNT; j++)
			assert_true(r->col[j].yes || !r->col[j].fn);
	}
}

/* The rows as the project's spec (xdp-drivers.md) has them. */
static const struct {
	const char *name, *driver, *cells[XDP_COL__COUNT];
} spec_rows[] = {
	{ "Amazon Elastic Network Adapter", "ena",
	  { "yes", "yes", "yes [a]", "no", "no" } },
	{ "Broadcom NetXtreme-C/E 10/25/40/50 gigabit Ethernet", "bnxt_en",
	  { "yes", "yes", "yes [a]", "no", "no" } },
	{ "Cavium Thunder Virtual function", "nicvf",
	  { "yes", "no", "no", "no", "no" } },
	{ "Intel Ethernet Controller XL710 Family", "i40e",
	  { "yes", "yes", "yes [a] [b]", "no", "yes" } },
	{ "Intel Ethernet Connection E800 Series", "ice",
	  { "yes", "yes", "yes [a] [b]", "no", "yes" } },
	{ "Intel 10GbE PCI Express Adapters", "ixgbe",
	  { "yes", "yes", "yes [a] [b]", "no", "yes" } },
	{ "Intel 10GbE PCI Express Virtual Function Ethernet", "ixgbevf",
	  { "yes", "no", "no", "no", "no" } },
	{ "Mellanox Technologies 1/10/20/40Gb Ethernet", "mlx4_en",
	  { "yes", "no", "no", "no", "no" } },
	{ "Mellanox Technologies Connect-X 4/5/6", "mlx5_core",
	  { "yes", "yes", "yes [b]", "no", "yes" } },
	{ "Netronome NFP4000/NFP6000 NIC", "nfp",
	  { "yes", "no", "no", "yes", "no" } },
	{ "QLogic QED 25/40/100Gb Ethernet NIC", "qede",
	  { "yes", "yes", "yes", "no", "no" } },
	{ "Solarflare SFC9000/SFC9100/EF100-family", "sfc",
	  { "yes", "yes", "yes [b]", "no", "no" } },
	{ "Microsoft Hyper-V virtual network", "hv_netvsc",
	  { "yes", "yes", "yes", "no", "no" } },
	{ "Universal TUN/TAP device", "tun",
	  { "yes", "yes", "yes", "no", "no" } },
	{ "Virtual Ethernet pair device", "veth",
	  { "yes", "yes", "yes [c]", "no", "no" } },
	{ "QEMU Virtio network", "virtio_net",
	  { "yes", "yes", "yes [a] [b]", "no", "no" } },
};

static void test_rows_as_spec(void **state)
{
	char buf[16];
	size_t i, c;

	assert_int_equal(sizeof(spec_rows) / sizeof(spec_rows[0]),
			 xdp_table_len);
	for (i = 0; i < xdp_table_len; i++) {
		assert_string_equal(xdp_table[i].name, spec_rows[i].name);
		assert_string_equal(xdp_table[i].driver, spec_rows[i].driver);
		for (c = 0; c < XDP_COL__COUNT; c++)
			assert_string_equal(xdp_cell_str(&xdp_table[i].col[c],
							 buf, sizeof(buf)),
					    spec_rows[i].cells[c]);
	}
}

static void test_lookup(void **state)
{
	const struct xdp_table_row *r;
	char buf[16];

	r = xdp_table_lookup("veth");
	assert_non_null(r);
	assert_string_equal(r->name, "Virtual Ethernet pair device");
	assert_string_equal(xdp_cell_str(&r->col[XDP_COL_TARGET], buf,
					 sizeof(buf)), "yes [c]");

	r = xdp_table_lookup("virtio_net");
	assert_non_null(r);
	assert_string_equal(r->name, "QEMU Virtio network");
	assert_true(r->col[XDP_COL_REDIRECT].yes);
	assert_string_equal(xdp_cell_str(&r->col[XDP_COL_TARGET], buf,
					 sizeof(buf)), "yes [a] [b]");
	assert_string_equal(xdp_cell_str(&r->col[XDP_COL_ZEROCOPY], buf,
					 sizeof(buf)), "no");
	assert_ptr_equal(xdp_table_lookup("virtio-net"), r);

	r = xdp_table_lookup("ice");
	assert_non_null(r);
	assert_string_equal(r->name, "Intel Ethernet Connection E800 Series");
	assert_true(r->col[XDP_COL_ZEROCOPY].yes);
	assert_false(r->col[XDP_COL_HW_OFFLOAD].yes);

	r = xdp_table_lookup("nfp");
	assert_non_null(r);
	assert_true(r->col[XDP_COL_HW_OFFLOAD].yes);
	assert_false(r->col[XDP_COL_REDIRECT].yes);

	assert_null(xdp_table_lookup("e1000"));
	assert_null(xdp_table_lookup("vet"));
	assert_null(xdp_table_lookup("veth0"));
	assert_null(xdp_table_lookup(""));
	assert_null(xdp_table_lookup(NULL));
}

static void test_col_bits(void **state)
{
	assert_true(xdp_col_bit(XDP_COL_BASIC) == NR_XDP_F_BASIC);
	assert_true(xdp_col_bit(XDP_COL_REDIRECT) == NR_XDP_F_REDIRECT);
	assert_true(xdp_col_bit(XDP_COL_TARGET) == NR_XDP_F_NDO_XMIT);
	assert_true(xdp_col_bit(XDP_COL_HW_OFFLOAD) == NR_XDP_F_HW_OFFLOAD);
	assert_true(xdp_col_bit(XDP_COL_ZEROCOPY) == NR_XDP_F_XSK_ZEROCOPY);
}

/* A fresh veth pair: 35, no program on the peer. */
static void test_veth_no_peer_prog(void **state)
{
	struct xdp_table_ctx ctx = { .peer = "vb" };
	struct xdp_table_cmp cmp;
	const struct xdp_table_cmp_col *t = &cmp.col[XDP_COL_TARGET];
	int i;

	xdp_table_compare(xdp_table_lookup("veth"), 35, &ctx, &cmp);
	assert_false(t->live);
	assert_true(t->has_ref);
	assert_true(t->ref.yes);
	assert_int_equal(t->why, XDP_FN_C);
	assert_false(t->differs);
	assert_string_equal(t->note, "[c] load an XDP program on the peer vb");
	for (i = 0; i < XDP_COL__COUNT; i++) {
		assert_false(cmp.col[i].differs);
		if (i != XDP_COL_TARGET)
			assert_string_equal(cmp.col[i].note, "");
	}
	/* no name known: still [c] */
	xdp_table_compare(xdp_table_lookup("veth"), 35, NULL, &cmp);
	assert_string_equal(t->note,
			    "[c] load an XDP program on the peer device");
}

/* The peer has a program: 103, nothing to explain. */
static void test_veth_peer_prog(void **state)
{
	struct xdp_table_ctx ctx = { .peer_prog = true, .peer = "vb" };
	struct xdp_table_cmp cmp;
	int i;

	xdp_table_compare(xdp_table_lookup("veth"), 103, &ctx, &cmp);
	assert_true(cmp.col[XDP_COL_TARGET].live);
	for (i = 0; i < XDP_COL__COUNT; i++) {
		assert_false(cmp.col[i].differs);
		assert_int_equal(cmp.col[i].why, 0);
		assert_string_equal(cmp.col[i].note, "");
	}
	/* program on the peer and yet no ndo-xmit: no footnote covers it */
	xdp_table_compare(xdp_table_lookup("veth"), 35, &ctx, &cmp);
	assert_true(cmp.col[XDP_COL_TARGET].differs);
	assert_int_equal(cmp.col[XDP_COL_TARGET].why, 0);
}

/* This machine's eth0: 43 and no program. */
static void test_virtio_no_prog(void **state)
{
	struct xdp_table_ctx ctx = { 0 };
	struct xdp_table_cmp cmp;
	const struct xdp_table_cmp_col *t = &cmp.col[XDP_COL_TARGET];

	xdp_table_compare(xdp_table_lookup("virtio_net"), 43, &ctx, &cmp);
	assert_false(t->live);
	assert_int_equal(t->why, XDP_FN_A | XDP_FN_B);
	assert_false(t->differs);
	assert_non_null(strstr(t->note,
			       "[a] load an XDP program on this interface"));
	assert_non_null(strstr(t->note,
			       "[b] needs XDP TX queues >= largest CPU index"));
	assert_true(cmp.col[XDP_COL_BASIC].live);
	assert_false(cmp.col[XDP_COL_BASIC].differs);
	assert_false(cmp.col[XDP_COL_HW_OFFLOAD].differs);

	/* with a program loaded, only the queues are left to blame */
	ctx.prog = true;
	xdp_table_compare(xdp_table_lookup("virtio_net"), 43, &ctx, &cmp);
	assert_int_equal(t->why, XDP_FN_B);
	assert_null(strstr(t->note, "[a]"));
	assert_false(t->differs);
	/* and when it turns on, nothing to say */
	xdp_table_compare(xdp_table_lookup("virtio_net"), 47, &ctx, &cmp);
	assert_true(t->live);
	assert_string_equal(t->note, "");
}

/* [a] alone (ena): a program on the interface leaves nothing to blame. */
static void test_fn_a_only(void **state)
{
	struct xdp_table_ctx ctx = { .prog = true };
	struct xdp_table_cmp cmp;

	xdp_table_compare(xdp_table_lookup("ena"), 3, NULL, &cmp);
	assert_int_equal(cmp.col[XDP_COL_TARGET].why, XDP_FN_A);
	assert_false(cmp.col[XDP_COL_TARGET].differs);
	xdp_table_compare(xdp_table_lookup("ena"), 3, &ctx, &cmp);
	assert_int_equal(cmp.col[XDP_COL_TARGET].why, 0);
	assert_true(cmp.col[XDP_COL_TARGET].differs);
}

static void test_differs(void **state)
{
	struct xdp_table_cmp cmp;
	const struct xdp_table_cmp_col *z = &cmp.col[XDP_COL_ZEROCOPY];

	/* eth0 here: xsk-zerocopy on, the table says no for virtio_net */
	xdp_table_compare(xdp_table_lookup("virtio_net"), 43, NULL, &cmp);
	assert_true(z->live);
	assert_false(z->ref.yes);
	assert_true(z->differs);
	assert_int_equal(z->why, 0);
	assert_non_null(strstr(z->note, "table says no"));

	/* the table says yes without a footnote, the kernel says no */
	xdp_table_compare(xdp_table_lookup("ice"), 7, NULL, &cmp);
	assert_false(z->live);
	assert_true(z->differs);
	assert_non_null(strstr(z->note, "table says yes"));

	/* bits outside the table's columns change nothing */
	xdp_table_compare(xdp_table_lookup("tun"), 7 | NR_XDP_F_RX_SG |
			  (1ULL << 10), NULL, &cmp);
	for (int i = 0; i < XDP_COL__COUNT; i++)
		assert_false(cmp.col[i].differs);
}

/* No row: live values only, nothing differs. */
static void test_no_row(void **state)
{
	struct xdp_table_cmp cmp;
	int i;

	xdp_table_compare(NULL, NR_XDP_F_BASIC, NULL, &cmp);
	assert_true(cmp.col[XDP_COL_BASIC].live);
	for (i = 0; i < XDP_COL__COUNT; i++) {
		assert_false(cmp.col[i].has_ref);
		assert_false(cmp.col[i].differs);
		assert_string_equal(cmp.col[i].note, "");
	}
}

static char *render(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(xdp_table_print(f), 0);
	fclose(f);
	return text;
}

static void test_render(void **state)
{
	char *text = render();
	char *line, *save, *copy;
	size_t i, col;
	int rows = 0;

	for (i = 0; i < xdp_table_len; i++) {
		assert_non_null(strstr(text, xdp_table[i].name));
		assert_non_null(strstr(text, xdp_table[i].driver));
	}
	assert_non_null(strstr(text, "Legend:"));
	for (i = 0; i < XDP_FN__COUNT; i++) {
		char want[160];

		snprintf(want, sizeof(want), "  [%c] %s.\n", (int)('a' + i),
			 xdp_footnote[i]);
		assert_non_null(strstr(text, want));
	}
	assert_string_equal(xdp_footnote[0],
		"only if an XDP program is loaded on the interface");
	assert_string_equal(xdp_footnote[1],
		"requires a number of XDP TX queues allocated that is larger "
		"than or equal to the largest CPU index");
	assert_string_equal(xdp_footnote[2],
		"only if an XDP program is loaded on the peer device");
	assert_non_null(strstr(text,
		"Zero-copy: zero-copy mode of the AF_XDP address family."));

	/* aligned: every row has a cell where the header says "Target" */
	copy = strdup(text);
	assert_non_null(copy);
	line = strtok_r(copy, "\n", &save);
	assert_non_null(strstr(line, "Target"));
	col = strstr(line, "Target") - line;
	for (; line && rows < 17; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) > col);
		if (rows++) {
			const char *p = line + col;

			assert_true(!strncmp(p, "yes", 3) ||
				    !strncmp(p, "no", 2));
			assert_memory_equal(p - 2, "  ", 2);
		}
		/* no trailing blanks */
		assert_true(line[strlen(line) - 1] != ' ');
	}
	assert_int_equal(rows, 17);
	assert_non_null(strstr(text, "yes [a] [b]"));
	assert_non_null(strstr(text, "QEMU Virtio network"));
	free(copy);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_drivers),
		cmocka_unit_test(test_rows_as_spec),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_col_bits),
		cmocka_unit_test(test_veth_no_peer_prog),
		cmocka_unit_test(test_veth_peer_prog),
		cmocka_unit_test(test_virtio_no_prog),
		cmocka_unit_test(test_fn_a_only),
		cmocka_unit_test(test_differs),
		cmocka_unit_test(test_no_row),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
