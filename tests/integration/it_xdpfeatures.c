// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdpfeatures against the real kernel, as root, in a network namespace
 * of each test's own (the host's interfaces are never touched): veth
 * pairs, a tap device and lo, with an XDP program the test attaches
 * itself.  Every live flag is held against an independent reading of the
 * netdev family (xdp_netlink.c), not against constants.  On kernels without
 * that family (before 6.3) the same tests check the table fallback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/if_link.h>

#include "harness.h"
#include "xdp_fixture.h"
#include "xdp_netlink.h"

#define NCOLS	5

static const char *const col_keys[NCOLS] = {
	"basic", "redirect", "target", "hw_offload", "zero_copy",
};
/* The xdp-features bit behind each column (xdp-drivers.md). */
static const uint64_t col_bits[NCOLS] = { 1, 2, 4, 16, 8 };

static const char *const feature_names[] = {
	"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload",
	"rx-sg", "ndo-xmit-sg",
};
static const char *const rxmd_names[] = { "timestamp", "hash", "vlan-tag" };
static const char *const xsk_names[] = {
	"tx-timestamp", "tx-checksum", "tx-launch-time-fifo",
};

/* The sixteen drivers of the documentation table. */
static const char *const spec_drivers[] = {
	"ena", "bnxt_en", "nicvf", "i40e", "ice", "ixgbe", "ixgbevf",
	"mlx4_en", "mlx5_core", "nfp", "qede", "sfc", "hv_netvsc", "tun",
	"veth", "virtio_net",
};
#define NSPEC	(sizeof(spec_drivers) / sizeof(spec_drivers[0]))

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* Does this kernel report live flags?  Decided once, independently. */
static bool live_kernel;

/* ---- JSON output ---- */

#define MAX_ROWS	64

struct rows {
	json_t *obj[MAX_ROWS];
	size_t n;
};

static void rows_free(struct nr_ctx *ctx, void *arg)
{
	struct rows *r = arg;
	size_t i;

	(void)ctx;
	for (i = 0; i < r->n; i++)
		json_decref(r->obj[i]);
	free(r);
}

/* Every stdout line, parsed strictly (duplicate keys are an error). */
static struct rows *json_rows_must(struct nr_ctx *ctx, const struct xf_out *o)
{
	struct rows *r = calloc(1, sizeof(*r));
	char *copy = strdup(o->out), *line, *save;
	json_error_t jerr;
	json_t *obj;

	assert_true(r && copy);
	nr_defer(ctx, rows_free, r);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		obj = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		if (!obj || !json_is_object(obj))
			fail_msg("stdout line is not a JSON object (%s): %s",
				 obj ? "not an object" : jerr.text, line);
		if (r->n == MAX_ROWS)
			fail_msg("more than %d JSON lines", MAX_ROWS);
		r->obj[r->n++] = obj;
	}
	free(copy);
	return r;
}

static json_t *row_of(const struct rows *r, const char *iface)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const char *s = json_string_value(json_object_get(r->obj[i],
								  "iface"));
		if (s && !strcmp(s, iface))
			return r->obj[i];
	}
	return NULL;
}

static json_t *row_must(const struct rows *r, const char *iface)
{
	json_t *row = row_of(r, iface);

	if (!row)
		fail_msg("no JSON row for %s", iface);
	return row;
}

static const char *str_must(json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	if (!s)
		fail_msg("key %s is not a string", key);
	return s;
}

enum jt { JT_STR, JT_INT, JT_BOOL, JT_STR_NULL };

struct jkey {
	const char *name;
	enum jt type;
};

static const struct jkey base_keys[] = {
	{ "iface", JT_STR }, { "ifindex", JT_INT },
	{ "driver", JT_STR_NULL }, { "source", JT_STR },
	{ "xdp_mode", JT_STR_NULL }, { "xdp_prog_id", JT_INT },
	{ "xdp_prog_name", JT_STR_NULL }, { "peer", JT_STR_NULL },
	{ "basic_table", JT_STR_NULL }, { "redirect_table", JT_STR_NULL },
	{ "target_table", JT_STR_NULL }, { "hw_offload_table", JT_STR_NULL },
	{ "zero_copy_table", JT_STR_NULL }, { "notes", JT_STR },
};
static const struct jkey live_keys[] = {
	{ "basic", JT_BOOL }, { "redirect", JT_BOOL }, { "target", JT_BOOL },
	{ "hw_offload", JT_BOOL }, { "zero_copy", JT_BOOL },
	{ "differs", JT_STR }, { "xdp_features", JT_STR },
};
static const struct jkey all_keys[] = {
	{ "rx_sg", JT_BOOL }, { "ndo_xmit_sg", JT_BOOL },
	{ "zc_max_segs", JT_INT }, { "rx_metadata", JT_STR_NULL },
	{ "xsk_features", JT_STR_NULL }, { "unknown_bits", JT_STR },
};
static const struct jkey probe_keys[] = {
	{ "probe", JT_STR }, { "probe_note", JT_STR_NULL },
};

static bool type_ok(json_t *v, enum jt t)
{
	switch (t) {
	case JT_STR:
		return json_is_string(v);
	case JT_INT:
		return json_is_integer(v);
	case JT_BOOL:
		return json_is_boolean(v);
	case JT_STR_NULL:
		return json_is_string(v) || json_is_null(v);
	}
	return false;
}

static size_t keys_ok_must(json_t *row, const struct jkey *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!type_ok(json_object_get(row, k[i].name), k[i].type))
			fail_msg("key %s missing or of the wrong type in %s",
				 k[i].name, json_dumps(row, 0));
	return n;
}

/* Exactly the documented keys, with their types. */
static void check_keys_must(json_t *row, bool all, bool probe)
{
	bool live = !strcmp(str_must(row, "source"), "kernel");
	size_t want = keys_ok_must(row, base_keys, ARRAY_LEN(base_keys));

	if (live)
		want += keys_ok_must(row, live_keys, ARRAY_LEN(live_keys));
	if (live && all)
		want += keys_ok_must(row, all_keys, ARRAY_LEN(all_keys));
	if (probe)
		want += keys_ok_must(row, probe_keys, ARRAY_LEN(probe_keys));
	if (json_object_size(row) != want)
		fail_msg("%zu keys, want %zu: %s", json_object_size(row), want,
			 json_dumps(row, 0));
}

/* "a,b,bit9" the way the spec names the bits of one set. */
static void names_of(const char *const *names, unsigned int count,
		     uint64_t mask, char *buf, size_t n)
{
	unsigned int bit;
	size_t pos = 0;

	buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		if (!(mask & (1ULL << bit)))
			continue;
		if (bit < count)
			pos += snprintf(buf + pos, n - pos, "%s%s",
					pos ? "," : "", names[bit]);
		else
			pos += snprintf(buf + pos, n - pos, "%sbit%u",
					pos ? "," : "", bit);
	}
}

/* Every flag of the row as the independent reader sees it now. */
static void check_live_must(json_t *row, bool all)
{
	uint32_t idx = json_integer_value(json_object_get(row, "ifindex"));
	const char *iface = str_must(row, "iface");
	char want[256];
	struct xg_dev d;
	int c, err;

	err = xg_dev_get(idx, &d);
	if (err)
		fail_msg("netdev dev-get %s: %s", iface, strerror(-err));
	for (c = 0; c < NCOLS; c++)
		if (json_is_true(json_object_get(row, col_keys[c])) !=
		    !!(d.xdp_features & col_bits[c]))
			fail_msg("%s: %s is %s, the kernel says 0x%llx", iface,
				 col_keys[c], json_is_true(json_object_get(row,
				 col_keys[c])) ? "true" : "false",
				 (unsigned long long)d.xdp_features);
	names_of(feature_names, ARRAY_LEN(feature_names), d.xdp_features,
		 want, sizeof(want));
	assert_string_equal(str_must(row, "xdp_features"), want);
	if (!all)
		return;
	assert_int_equal(json_is_true(json_object_get(row, "rx_sg")),
			 !!(d.xdp_features & 32));
	assert_int_equal(json_is_true(json_object_get(row, "ndo_xmit_sg")),
			 !!(d.xdp_features & 64));
	assert_int_equal(json_integer_value(json_object_get(row,
			 "zc_max_segs")), d.has_zc_max_segs ? d.zc_max_segs : 0);
	if (d.has_rx_metadata) {
		names_of(rxmd_names, ARRAY_LEN(rxmd_names), d.rx_metadata,
			 want, sizeof(want));
		assert_string_equal(str_must(row, "rx_metadata"), want);
	} else {
		assert_true(json_is_null(json_object_get(row, "rx_metadata")));
	}
	if (d.has_xsk_features) {
		names_of(xsk_names, ARRAY_LEN(xsk_names), d.xsk_features,
			 want, sizeof(want));
		assert_string_equal(str_must(row, "xsk_features"), want);
	} else {
		assert_true(json_is_null(json_object_get(row,
							 "xsk_features")));
	}
	names_of(NULL, 0, d.xdp_features & ~127ULL, want, sizeof(want));
	assert_string_equal(str_must(row, "unknown_bits"), want);
}

static bool list_has(const char *list, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ',') &&
		    (p[len] == ',' || !p[len]))
			return true;
	return false;
}

/*
 * Where live and table can only disagree, "differs" must name the
 * column; where they agree it must not.  (Off where the table has a
 * footnote is explained, not a difference.)
 */
static void check_differs_must(json_t *row)
{
	const char *differs = str_must(row, "differs");
	char key[32];
	int c;

	for (c = 0; c < NCOLS; c++) {
		const char *ref;
		bool live = json_is_true(json_object_get(row, col_keys[c]));
		bool yes;

		snprintf(key, sizeof(key), "%s_table", col_keys[c]);
		ref = json_string_value(json_object_get(row, key));
		if (!ref) {
			assert_false(list_has(differs, col_keys[c]));
			continue;
		}
		yes = !strncmp(ref, "yes", 3);
		if (live == yes)
			assert_false(list_has(differs, col_keys[c]));
		else if (live || !strchr(ref, '['))
			assert_true(list_has(differs, col_keys[c]));
	}
}

/* ---- text output ---- */

/*
 * The cell of the row of iface under header: from where the header
 * starts to where the next one starts, blanks at the end dropped.
 */
static void text_cell_must(const char *out, const char *iface,
			   const char *header, char *buf, size_t n)
{
	size_t hlen = strcspn(out, "\n"), start, end, ilen = strlen(iface);
	const char *h = out, *p, *line;

	for (p = out; p < out + hlen; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		if (!strncmp(p, header, strlen(header)) &&
		    (p[strlen(header)] == ' ' || p[strlen(header)] == '\n'))
			break;
	}
	if (p >= out + hlen)
		fail_msg("no %s column in: %.*s", header, (int)hlen, out);
	start = p - h;
	p += strcspn(p, " \n");
	p += strspn(p, " ");
	end = p < out + hlen ? (size_t)(p - h) : (size_t)-1;
	for (line = out; *line; line += strcspn(line, "\n") + 1) {
		size_t len = strcspn(line, "\n");

		if (!strncmp(line, iface, ilen) && line[ilen] == ' ') {
			if (len <= start)
				fail_msg("row of %s too short: %.*s", iface,
					 (int)len, line);
			len = (end < len ? end : len) - start;
			snprintf(buf, n, "%.*s", (int)len, line + start);
			while (*buf && buf[strlen(buf) - 1] == ' ')
				buf[strlen(buf) - 1] = '\0';
			return;
		}
		if (!line[len])
			break;
	}
	fail_msg("no text row for %s in:\n%s", iface, out);
}

static bool has_line(const char *out, const char *want)
{
	size_t len = strlen(want);
	const char *p;

	for (p = out; (p = strstr(p, want)); p += len)
		if ((p == out || p[-1] == '\n') && (p[len] == '\n' || !p[len]))
			return true;
	return false;
}

/* ---- fixtures ---- */

static int setup(void **state)
{
	return nr_setup(state);
}

static int teardown(void **state)
{
	return nr_teardown(state);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Root, a namespace of our own with a veth pair va/vb in it. */
static struct nr_ctx *veth_netns_must(void **state)
{
	struct nr_ctx *ctx = nr_test_begin(state);

	xf_netns_enter_must(ctx);
	xf_veth_must("va", "vb");
	return ctx;
}

static void check_exit_must(const struct xf_out *o, int want)
{
	int code = xf_exit_code_must(o);

	if (code != want)
		fail_msg("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code,
			 want, o->out, o->err);
}

/* stderr: nothing, or only the line saying the table stands in. */
static void check_quiet_stderr_must(const struct xf_out *o)
{
	if (live_kernel) {
		if (o->err[0])
			fail_msg("unexpected stderr:\n%s", o->err);
		return;
	}
	if (o->nerr_lines != 1 ||
	    !strstr(o->err, "values from the driver table, not the kernel"))
		fail_msg("want one line about the table fallback, got:\n%s",
			 o->err);
}

/* ---- tests ---- */

/* va/vb both ways: JSON and text, against the independent reader. */
static void check_veth_pair_must(struct nr_ctx *ctx, bool vb_prog,
				 uint32_t prog_id)
{
	struct xf_out *o = xf_netrace_must(ctx, "-j", "-a", "-i", "va,vb",
					   NULL);
	struct xf_out *t = xf_netrace_must(ctx, "-i", "va,vb", NULL);
	const char *va_note = live_kernel ?
		"Target off: [c] load an XDP program on the peer vb" :
		"Target conditional: [c] load an XDP program on the peer vb";
	const char *vb_note = live_kernel ?
		"Target off: [c] load an XDP program on the peer va" :
		"Target conditional: [c] load an XDP program on the peer va";
	char line[160], cell[32];
	struct rows *r;
	json_t *va, *vb;

	check_exit_must(o, 0);
	check_exit_must(t, 0);
	check_quiet_stderr_must(o);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, 2);
	va = row_must(r, "va");
	vb = row_must(r, "vb");
	check_keys_must(va, true, false);
	check_keys_must(vb, true, false);
	assert_string_equal(str_must(va, "driver"), "veth");
	assert_string_equal(str_must(va, "peer"), "vb");
	assert_string_equal(str_must(vb, "peer"), "va");
	assert_string_equal(str_must(va, "target_table"), "yes [c]");
	assert_string_equal(str_must(va, "source"),
			    live_kernel ? "kernel" : "table");
	if (live_kernel) {
		struct xg_dev d;

		check_live_must(va, true);
		check_live_must(vb, true);
		check_differs_must(va);
		check_differs_must(vb);
		/* The flip itself, as the independent reader sees it. */
		assert_int_equal(xg_dev_get(xf_ifindex_must("va"), &d), 0);
		assert_int_equal(!!(d.xdp_features & 4), vb_prog);
		assert_int_equal(json_is_true(json_object_get(va, "target")),
				 vb_prog);
		assert_false(json_is_true(json_object_get(vb, "target")));
	}
	/* va's Target is explained while vb has no program, not after. */
	assert_int_equal(!strstr(str_must(va, "notes"), va_note), vb_prog);
	assert_non_null(strstr(str_must(vb, "notes"), vb_note));
	assert_string_equal(str_must(va, "xdp_mode"), "none");
	assert_string_equal(str_must(vb, "xdp_mode"),
			    vb_prog ? "native" : "none");
	assert_int_equal(json_integer_value(json_object_get(vb,
			 "xdp_prog_id")), prog_id);
	if (vb_prog)
		assert_string_equal(str_must(vb, "xdp_prog_name"), "xf_test");
	else
		assert_true(json_is_null(json_object_get(vb,
							 "xdp_prog_name")));

	/* The same in text: the cell, and the note line under the row. */
	text_cell_must(t->out, "va", "TARGET", cell, sizeof(cell));
	assert_string_equal(cell, !live_kernel ? "yes [c]" :
				  vb_prog ? "yes" : "no [c]");
	snprintf(line, sizeof(line), "  va: %s", va_note);
	assert_int_equal(has_line(t->out, line), !vb_prog);
	snprintf(line, sizeof(line), "  vb: %s", vb_note);
	assert_true(has_line(t->out, line));
	text_cell_must(t->out, "vb", "XDP", cell, sizeof(cell));
	if (vb_prog) {
		snprintf(line, sizeof(line), "native %u xf_test", prog_id);
		assert_string_equal(cell, line);
	} else {
		assert_string_equal(cell, "none");
	}
}

static void test_veth_target_flips(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	int fd = xf_prog_load_must(ctx);
	uint32_t id = xf_prog_id_must(fd);

	check_veth_pair_must(ctx, false, 0);
	xf_attach_native_must(ctx, "vb", fd);
	check_veth_pair_must(ctx, true, id);
	xf_detach_must("vb");
	check_veth_pair_must(ctx, false, 0);
}

/* A peer in another namespace is named by its ifindex there. */
static void test_veth_peer_elsewhere(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	int other = xf_netns_other_must(ctx), err;
	struct xf_out *o;
	const char *peer;
	struct rows *r;
	json_t *va;

	err = xr_link_netns("vb", other);
	if (err)
		fail_msg("vb to another namespace: %s", strerror(-err));
	o = xf_netrace_must(ctx, "-j", "-i", "va", NULL);
	check_exit_must(o, 0);
	r = json_rows_must(ctx, o);
	va = row_must(r, "va");
	check_keys_must(va, false, false);
	peer = str_must(va, "peer");
	assert_true(!strncmp(peer, "ifindex ", 8));
	assert_non_null(strstr(peer, " in another namespace"));
	if (live_kernel) {
		char want[128];

		check_live_must(va, false);
		snprintf(want, sizeof(want),
			 "Target off: [c] load an XDP program on the peer %s",
			 peer);
		if (!json_is_true(json_object_get(va, "target")))
			assert_non_null(strstr(str_must(va, "notes"), want));
	}
}

static void test_tap(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	static const char *const table[NCOLS] = {
		"yes", "yes", "yes", "no", "no",
	};
	struct xf_out *o;
	struct rows *r;
	json_t *row;
	char key[32];
	int c;

	xf_tap_must(ctx, "xt0");
	o = xf_netrace_must(ctx, "-j", "-a", "-i", "xt0", NULL);
	check_exit_must(o, 0);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, 1);
	row = row_must(r, "xt0");
	check_keys_must(row, true, false);
	assert_string_equal(str_must(row, "driver"), "tun");
	assert_true(json_is_null(json_object_get(row, "peer")));
	for (c = 0; c < NCOLS; c++) {
		snprintf(key, sizeof(key), "%s_table", col_keys[c]);
		assert_string_equal(str_must(row, key), table[c]);
	}
	if (live_kernel) {
		check_live_must(row, true);
		check_differs_must(row);
	}
}

static void test_lo(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	struct xf_out *o = xf_netrace_must(ctx, "-j", "-a", "-i", "lo", NULL);
	struct rows *r;
	json_t *row;
	char key[32];
	int c;

	check_exit_must(o, 0);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, 1);
	row = row_must(r, "lo");
	check_keys_must(row, true, false);
	/* No driver, so no row of the table and nothing to explain. */
	assert_true(json_is_null(json_object_get(row, "driver")));
	for (c = 0; c < NCOLS; c++) {
		snprintf(key, sizeof(key), "%s_table", col_keys[c]);
		assert_true(json_is_null(json_object_get(row, key)));
	}
	assert_string_equal(str_must(row, "notes"), "");
	assert_string_equal(str_must(row, "xdp_mode"), "none");
	if (live_kernel) {
		check_live_must(row, true);
		assert_string_equal(str_must(row, "differs"), "");
	}
}

/* Every interface of the namespace, and only those; strict JSON. */
static void test_json_every_interface(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	static const char *const ifaces[] = { "lo", "va", "vb", "xt0" };
	struct xf_out *o;
	struct rows *r;
	size_t i;

	xf_tap_must(ctx, "xt0");
	o = xf_netrace_must(ctx, "--json", "--all", NULL);
	check_exit_must(o, 0);
	check_quiet_stderr_must(o);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, ARRAY_LEN(ifaces));
	for (i = 0; i < ARRAY_LEN(ifaces); i++) {
		json_t *row = row_must(r, ifaces[i]);

		check_keys_must(row, true, false);
		assert_int_equal(json_integer_value(json_object_get(row,
				 "ifindex")), xf_ifindex_must(ifaces[i]));
		if (live_kernel)
			check_live_must(row, true);
	}
	/* Sorted by ifindex: lo first. */
	assert_string_equal(str_must(r->obj[0], "iface"), "lo");
}

static void test_text_layout(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	struct xf_out *o = xf_netrace_must(ctx, NULL);
	const char *line;
	int rows = 0;

	char header[128];
	size_t i, k;

	check_exit_must(o, 0);
	/* The header's words; blanks between them fit the widest cell. */
	for (i = k = 0; o->out[i] && o->out[i] != '\n' &&
	     k < sizeof(header) - 1; i++)
		if (o->out[i] != ' ' || (k && header[k - 1] != ' '))
			header[k++] = o->out[i];
	header[k] = '\0';
	assert_string_equal(header,
		"IFACE DRIVER BASIC REDIRECT TARGET OFFLOAD ZEROCOPY XDP");
	for (line = o->out; *line; line += strcspn(line, "\n") + 1) {
		size_t len = strcspn(line, "\n");

		assert_true(len <= 100);
		assert_true(len && line[len - 1] != ' ');
		rows += line[0] != ' ';
	}
	assert_int_equal(rows, 4);	/* header, lo, va, vb */
}

static void test_probe_veth(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	struct xf_out *o, *t;
	struct rows *r;
	json_t *row;
	uint8_t mode;
	char cell[32];

	o = xf_netrace_must(ctx, "--probe", "-j", "-i", "va", NULL);
	check_exit_must(o, 0);
	check_quiet_stderr_must(o);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, 1);
	row = row_must(r, "va");
	check_keys_must(row, false, true);
	assert_string_equal(str_must(row, "probe"), "ok");
	assert_true(json_is_null(json_object_get(row, "probe_note")));
	/* Attached for a moment only: nothing left behind. */
	assert_int_equal(xf_attached_must("va", &mode), 0);
	assert_int_equal(mode, XDP_ATTACHED_NONE);

	t = xf_netrace_must(ctx, "--probe", "-i", "va", NULL);
	check_exit_must(t, 0);
	text_cell_must(t->out, "va", "PROBE", cell, sizeof(cell));
	assert_string_equal(cell, "ok");
	assert_int_equal(xf_attached_must("va", NULL), 0);
}

static void test_probe_refuses_attached(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	int fd = xf_prog_load_must(ctx);
	uint32_t id = xf_prog_id_must(fd);
	struct xf_out *o, *t;
	struct rows *r;
	json_t *row;
	char want[96], cell[32];
	uint8_t mode;

	xf_attach_native_must(ctx, "vb", fd);
	o = xf_netrace_must(ctx, "--probe", "-j", "-i", "vb", NULL);
	check_exit_must(o, 0);
	r = json_rows_must(ctx, o);
	row = row_must(r, "vb");
	check_keys_must(row, false, true);
	assert_string_equal(str_must(row, "probe"), "busy");
	snprintf(want, sizeof(want), "program %u (native) is attached", id);
	assert_non_null(strstr(str_must(row, "probe_note"), want));
	assert_int_equal(xf_attached_must("vb", &mode), id);
	assert_int_equal(mode, XDP_ATTACHED_DRV);

	t = xf_netrace_must(ctx, "--probe", "-i", "vb", NULL);
	check_exit_must(t, 0);
	text_cell_must(t->out, "vb", "PROBE", cell, sizeof(cell));
	assert_string_equal(cell, "busy");
	snprintf(want, sizeof(want),
		 "  vb: probe refused: program %u (native) is attached, not touched",
		 id);
	assert_true(has_line(t->out, want));
	assert_int_equal(xf_attached_must("vb", NULL), id);
}

static void test_probe_unsupported_lo(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	struct xf_out *o = xf_netrace_must(ctx, "--probe", "-j", "-i", "lo",
					   NULL);
	struct rows *r;
	json_t *row;

	check_exit_must(o, 0);
	r = json_rows_must(ctx, o);
	row = row_must(r, "lo");
	assert_string_equal(str_must(row, "probe"), "unsupported");
	assert_non_null(strstr(str_must(row, "probe_note"), "native XDP"));
	assert_int_equal(xf_attached_must("lo", NULL), 0);
}

static void test_probe_needs_iface(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	struct xf_out *o = xf_netrace_must(ctx, "--probe", NULL);

	check_exit_must(o, 2);
	assert_string_equal(o->out, "");
	assert_int_equal(o->nerr_lines, 1);
	assert_non_null(strstr(o->err, "-i"));
}

/* A copy of the binary that an unprivileged user can execute. */
static const char *binary_for_anyone_must(struct nr_ctx *ctx)
{
	static char path[4200];
	char dir[4096];
	const char *argv[] = { "/bin/cp", nr_netrace_path(), path, NULL };
	struct xf_out *o;

	nr_tmpdir_must(ctx, dir, sizeof(dir));
	if (chmod(dir, 0755))
		fail_msg("chmod %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/netrace", dir);
	o = xf_run_must(ctx, NULL, argv);
	check_exit_must(o, 0);
	return path;
}

static void test_probe_unprivileged(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	const char *argv[] = { binary_for_anyone_must(ctx), "xdpfeatures",
			       "--probe", "-i", "va", NULL };
	struct xf_run_cfg nobody = { .uid = NR_NOBODY };
	struct xf_out *o = xf_run_must(ctx, &nobody, argv);

	check_exit_must(o, 1);
	assert_string_equal(o->out, "");
	assert_int_equal(o->nerr_lines, 1);
	assert_non_null(strstr(o->err, "permission denied"));
	assert_int_equal(xf_attached_must("va", NULL), 0);
}

/* Plain xdpfeatures needs no privileges; what it cannot read is null. */
static void test_unprivileged(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	int fd = xf_prog_load_must(ctx);
	uint32_t id = xf_prog_id_must(fd);
	const char *exe = binary_for_anyone_must(ctx);
	const char *jargv[] = { exe, "xdpfeatures", "-j", "-i", "va,vb",
				NULL };
	const char *vargv[] = { exe, "xdpfeatures", "-v", "-i", "vb", NULL };
	struct xf_run_cfg nobody = { .uid = NR_NOBODY };
	struct xf_out *o, *t;
	struct rows *r;
	json_t *vb;
	char want[128];

	xf_attach_native_must(ctx, "vb", fd);
	o = xf_run_must(ctx, &nobody, jargv);
	check_exit_must(o, 0);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, 2);
	vb = row_must(r, "vb");
	check_keys_must(vb, false, false);
	assert_string_equal(str_must(vb, "xdp_mode"), "native");
	assert_int_equal(json_integer_value(json_object_get(vb,
			 "xdp_prog_id")), id);
	/* Reading a program by id takes CAP_SYS_ADMIN. */
	assert_true(json_is_null(json_object_get(vb, "xdp_prog_name")));
	if (live_kernel)
		check_live_must(row_must(r, "va"), false);

	t = xf_run_must(ctx, &nobody, vargv);
	check_exit_must(t, 0);
	snprintf(want, sizeof(want),
		 "  vb: name of program %u unreadable: needs CAP_SYS_ADMIN", id);
	assert_true(has_line(t->out, want));
}

static void test_unknown_iface(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	struct xf_out *o = xf_netrace_must(ctx, "-i", "nosuch", NULL);
	struct xf_out *l = xf_netrace_must(ctx, "-j", "-i", "va,nosuch2",
					   NULL);

	check_exit_must(o, 2);
	assert_string_equal(o->out, "");
	assert_int_equal(o->nerr_lines, 1);
	assert_non_null(strstr(o->err, "'nosuch'"));
	check_exit_must(l, 2);
	assert_string_equal(l->out, "");
	assert_int_equal(l->nerr_lines, 1);
	assert_non_null(strstr(l->err, "'nosuch2'"));
}

static void test_drivers(void **state)
{
	struct nr_ctx *ctx = *state;
	struct xf_out *t, *o;
	const char *line;
	struct rows *r;
	size_t i, rows = 0;
	bool in_table = true;

	t = xf_netrace_must(ctx, "--drivers", NULL);
	check_exit_must(t, 0);
	assert_true(!strncmp(t->out, "Driver name ", 12));
	for (line = t->out + strcspn(t->out, "\n") + 1; *line && in_table;
	     line += strcspn(line, "\n") + 1) {
		in_table = line[0] != '\n';
		rows += in_table;
	}
	assert_int_equal(rows, NSPEC);
	for (i = 0; i < NSPEC; i++) {
		char want[32];

		snprintf(want, sizeof(want), "  %s  ", spec_drivers[i]);
		assert_non_null(strstr(t->out, want));
	}
	assert_true(has_line(t->out, "Legend:"));
	assert_true(has_line(t->out, "Footnotes:"));
	assert_true(has_line(t->out,
		"  [c] only if an XDP program is loaded on the peer device."));

	o = xf_netrace_must(ctx, "--drivers", "-j", NULL);
	check_exit_must(o, 0);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, NSPEC);
	for (i = 0; i < NSPEC; i++) {
		const char *drv = str_must(r->obj[i], "driver");
		size_t k;

		for (k = 0; k < NSPEC && strcmp(drv, spec_drivers[k]); k++)
			;
		assert_true(k < NSPEC);
		assert_int_equal(json_object_size(r->obj[i]), 2 + 2 * NCOLS);
		if (!strcmp(drv, "veth"))
			assert_string_equal(str_must(r->obj[i],
					    "target_table"), "yes [c]");
	}
}

/* The applet through a link named after it, as "xdpfeatures". */
static void test_symlink(void **state)
{
	struct nr_ctx *ctx = *state;
	char *copy = strdup(nr_netrace_path()), link[4200];
	const char *argv[] = { link, "--drivers", "-j", NULL };
	struct xf_out *o;

	assert_non_null(copy);
	snprintf(link, sizeof(link), "%s/xdpfeatures", dirname(copy));
	free(copy);
	if (access(link, X_OK))
		fail_msg("%s: %s (the build makes applet links)", link,
			 strerror(errno));
	o = xf_run_must(ctx, NULL, argv);
	check_exit_must(o, 0);
	assert_int_equal(json_rows_must(ctx, o)->n, NSPEC);
}

/* "ip netns exec" mounts the namespace's own /sys: the same answers. */
static void test_ip_netns_exec(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	const char *argv[] = { nr_netrace_path(), "xdpfeatures", "-j", NULL };
	struct xf_out *o;
	struct rows *r;
	bool real;

	o = xf_run_netns_exec_must(ctx, argv, &real);
	print_message("%s\n", real ? "ran under ip netns exec" :
		      "no iproute2: a fresh /sys by hand, as ip netns exec");
	check_exit_must(o, 0);
	check_quiet_stderr_must(o);
	r = json_rows_must(ctx, o);
	assert_int_equal(r->n, 3);
	assert_string_equal(str_must(row_must(r, "va"), "driver"), "veth");
	assert_string_equal(str_must(row_must(r, "vb"), "peer"), "va");
	assert_null(row_of(r, "eth0"));
	if (live_kernel)
		check_live_must(row_must(r, "va"), false);
}

/* Interfaces that come and go while it runs: no crash, clear lines. */
static void test_interfaces_churn(void **state)
{
	struct nr_ctx *ctx = veth_netns_must(state);
	struct xf_churn *c = xf_churn_start(ctx, "xc", 3000);
	int runs = 0;

	const char *argv[] = { nr_netrace_path(), "xdpfeatures", "-j", "-a",
			       NULL };
	int vanished = 0;

	while (xf_churn_running(c) || runs < 10) {
		struct xf_out *o = xf_run_owned_must(NULL, argv);
		const char *line;
		json_error_t jerr;
		json_t *obj;

		check_exit_must(o, 0);
		for (line = o->out; *line; line += strcspn(line, "\n") + 1) {
			obj = json_loadb(line, strcspn(line, "\n"),
					 JSON_REJECT_DUPLICATES, &jerr);
			if (!json_is_object(obj))
				fail_msg("not a JSON object (%s): %.*s",
					 jerr.text, (int)strcspn(line, "\n"),
					 line);
			check_keys_must(obj, true, false);
			json_decref(obj);
		}
		for (line = o->err; *line; line += strcspn(line, "\n") + 1) {
			if (strstr(line, "vanished while it was read"))
				vanished++;
			else if (!strstr(line, "values from the driver table"))
				fail_msg("unexpected stderr line: %.*s",
					 (int)strcspn(line, "\n"), line);
		}
		xf_out_free(o);
		runs++;
	}
	assert_true(runs >= 10);
	print_message("%d runs, %d interfaces vanished mid-run\n", runs,
		      vanished);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_veth_target_flips), T(test_veth_peer_elsewhere),
		T(test_tap), T(test_lo),
		T(test_json_every_interface), T(test_text_layout),
		T(test_probe_veth), T(test_probe_refuses_attached),
		T(test_probe_unsupported_lo), T(test_probe_needs_iface),
		T(test_probe_unprivileged), T(test_unprivileged),
		T(test_unknown_iface), T(test_drivers), T(test_symlink),
		T(test_ip_netns_exec), T(test_interfaces_churn),
	};
	bool skip_all;
	int rc;

	if (!nr_suite_begin("it_xdpfeatures", &skip_all))
		return 1;
	live_kernel = xg_have_family();
	if (!skip_all)
		fprintf(stderr, "it_xdpfeatures: %s\n", live_kernel ?
			"netdev family present: checking live flags" :
			"no netdev family (kernel < 6.3): checking the table fallback");
	rc = cmocka_run_group_tests_name("xdpfeatures", tests, NULL, NULL);
	return skip_all ? NR_EXIT_SKIP : rc;
}
