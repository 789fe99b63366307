// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The netdev reply parser on canned bytes: no socket, no kernel.  Every
 * message is handed over in a heap block of exactly its length, so that
 * valgrind sees any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "nlmsg_fixture.h"
#include "xdp_nl.h"

/* Parse the first len bytes of buf from an exact-size heap copy. */
static int parse_dev(const void *buf, size_t len, struct xdp_nl_dev *dev)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	ret = xdp_nl_parse_dev(copy, len, dev);
	free(copy);
	return ret;
}

static int parse_msg(const struct msg *m, struct xdp_nl_dev *dev)
{
	return parse_dev(m->buf, m->len, dev);
}

/* A complete reply of a recent kernel: 1, 3, 4, 5, 6. */
static void build_full(struct msg *m)
{
	msg_genl(m);
	msg_u32(m, NR_NETDEV_A_DEV_IFINDEX, 4);
	msg_u64(m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_u64(m, NR_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES, 7);
	msg_u64(m, NR_NETDEV_A_DEV_XSK_FEATURES, 3);
	msg_u32(m, NR_NETDEV_A_DEV_XDP_ZC_MAX_SEGS, 1);
	msg_end(m);
}

/* ---- dev-get replies ---- */

/* eth0 (virtio_net) as kernel 6.18 sent it, byte for byte. */
static const uint8_t eth0_reply[] __attribute__((aligned(4))) = {
	0x48, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
	0x16, 0x17, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x08, 0x00, 0x01, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x03, 0x00, 0x2b, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
};

static void test_kernel_bytes(void **state)
{
	struct xdp_nl_dev dev;

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		skip();
	assert_int_equal(parse_dev(eth0_reply, sizeof(eth0_reply), &dev), 0);
	assert_int_equal(dev.ifindex, 4);
	assert_int_equal(dev.xdp_features, 43);
	assert_true(dev.has_zc_max_segs);
	assert_int_equal(dev.zc_max_segs, 1);
	assert_true(dev.has_rx_metadata);
	assert_int_equal(dev.rx_metadata, 0);
	assert_true(dev.has_xsk_features);
	assert_int_equal(dev.xsk_features, 0);
}

static void test_all_present(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;

	build_full(&m);
	assert_int_equal(parse_msg(&m, &dev), 0);
	assert_int_equal(dev.ifindex, 4);
	assert_int_equal(dev.xdp_features, 43);
	assert_true(dev.has_zc_max_segs);
	assert_int_equal(dev.zc_max_segs, 1);
	assert_true(dev.has_rx_metadata);
	assert_int_equal(dev.rx_metadata, 7);
	assert_true(dev.has_xsk_features);
	assert_int_equal(dev.xsk_features, 3);
}

/* A 6.3 kernel: ifindex and xdp-features only, plus a pad attribute. */
static void test_optional_missing(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;

	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 1);
	msg_attr(&m, NR_NETDEV_A_DEV_PAD, NULL, 0);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 0);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), 0);
	assert_int_equal(dev.ifindex, 1);
	assert_int_equal(dev.xdp_features, 0);
	assert_false(dev.has_zc_max_segs);
	assert_false(dev.has_rx_metadata);
	assert_false(dev.has_xsk_features);
}

static void test_unknown_attr_ignored(void **state)
{
	uint8_t blob[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct xdp_nl_dev dev;
	struct msg m;

	msg_genl(&m);
	msg_attr(&m, 99, blob, 5);		/* unaligned payload, padded */
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 9);
	msg_attr(&m, 99, blob, sizeof(blob));
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 35);
	msg_u32(&m, 99, 0xdeadbeef);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), 0);
	assert_int_equal(dev.ifindex, 9);
	assert_int_equal(dev.xdp_features, 35);
}

static void test_unknown_bits_kept(void **state)
{
	uint64_t feat = NR_XDP_F_BASIC | (1ULL << 10) | (1ULL << 63);
	struct xdp_nl_dev dev;
	struct msg m;
	char buf[128], tmp[8];

	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 2);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, feat);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES, 1ULL << 3);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), 0);
	assert_true(dev.xdp_features == feat);
	assert_int_equal(dev.rx_metadata, 8);
	assert_string_equal(xdp_bit_name(XDP_BITS_FEATURES, 10, tmp,
					 sizeof(tmp)), "bit10");
	assert_int_equal(xdp_bits_str(XDP_BITS_FEATURES, dev.xdp_features,
				      ",", buf, sizeof(buf)),
			 strlen("basic,bit10,bit63"));
	assert_string_equal(buf, "basic,bit10,bit63");
	xdp_bits_str(XDP_BITS_RX_METADATA, dev.rx_metadata, ",", buf,
		     sizeof(buf));
	assert_string_equal(buf, "bit3");
}

/* ---- broken replies: an error, never a crash or an over-read ---- */

static void test_shorter_than_header(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;

	build_full(&m);
	assert_int_equal(parse_dev(m.buf, 10, &dev), -EBADMSG);
	assert_int_equal(parse_dev(m.buf, 0, &dev), -EBADMSG);
	assert_int_equal(xdp_nl_parse_dev(NULL, 0, &dev), -EBADMSG);
	/* nlmsg_len below the netlink + genl headers */
	msg_genl(&m);
	m.len = NLMSG_HDRLEN;
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
	/* nlmsg_len smaller than struct nlmsghdr itself */
	build_full(&m);
	m.buf[0] = 8;
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
}

static void test_len_past_buffer(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;

	build_full(&m);
	/* nlmsg_len says more than we were given */
	assert_int_equal(parse_dev(m.buf, m.len - 4, &dev), -EBADMSG);
}

/* Cut a good message at every length, nlmsg_len adjusted to the cut. */
static void test_every_truncation(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m, cut;
	size_t len;

	build_full(&m);
	for (len = 0; len < m.len; len++) {
		assert_int_equal(parse_dev(m.buf, len, &dev), -EBADMSG);
		cut = m;
		cut.len = len;
		if (len >= sizeof(uint32_t))
			msg_end(&cut);
		/* a cut between two attributes still parses: fine */
		if (parse_msg(&cut, &dev) == 0)
			assert_int_equal(dev.ifindex, 4);
	}
}

static void test_attr_past_end(void **state)
{
	uint64_t v = 43;
	struct xdp_nl_dev dev;
	struct msg m;

	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
	/* claims 12 bytes, only 8 remain in the message */
	msg_attr_raw(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 12, &v, 4);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);

	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_attr_raw(&m, 99, 0xfff0, &v, 8);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
}

static void test_nla_len_too_small(void **state)
{
	uint32_t v = 0;
	struct xdp_nl_dev dev;
	struct msg m;
	uint16_t bad;

	for (bad = 0; bad < NLA_HDRLEN; bad++) {
		msg_genl(&m);
		msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
		msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
		msg_attr_raw(&m, 99, bad, &v, sizeof(v));
		msg_end(&m);
		assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
	}
}

static void test_wrong_payload_sizes(void **state)
{
	uint64_t v64 = 43;
	uint32_t v32 = 4;
	struct xdp_nl_dev dev;
	struct msg m;

	/* xdp-features is a u64: 4 bytes is malformed */
	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
	msg_u32(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);

	/* ifindex is a u32: 8 bytes is malformed */
	msg_genl(&m);
	msg_attr(&m, NR_NETDEV_A_DEV_IFINDEX, &v64, sizeof(v64));
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);

	/* optional ones too: zc-max-segs u32, rx-metadata and xsk u64 */
	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_ZC_MAX_SEGS, 1);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);

	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_u32(&m, NR_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES, 7);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);

	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_attr(&m, NR_NETDEV_A_DEV_XSK_FEATURES, &v32, 2);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
}

static void test_missing_ifindex(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;

	msg_genl(&m);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_u64(&m, NR_NETDEV_A_DEV_XSK_FEATURES, 1);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
	/* and nothing half-filled is left behind */
	assert_int_equal(dev.xdp_features, 0);
	assert_false(dev.has_xsk_features);

	/* ifindex 0 names no device */
	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 0);
	msg_u64(&m, NR_NETDEV_A_DEV_XDP_FEATURES, 43);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
}

static void test_missing_features(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;

	msg_genl(&m);
	msg_u32(&m, NR_NETDEV_A_DEV_IFINDEX, 4);
	msg_end(&m);
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
}

static void test_bad_header(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;

	/* unaligned nlmsg_len */
	build_full(&m);
	m.buf[0] -= 1;
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
	/* a control message (NLMSG_ERROR) is no reply */
	build_full(&m);
	m.buf[4] = NLMSG_ERROR;
	assert_int_equal(parse_msg(&m, &dev), -EBADMSG);
	/* trailing bytes that are no attribute */
	build_full(&m);
	memset(m.buf + m.len, 0, 4);
	m.len += 4;
	msg_end(&m);
	assert_int_equal(parse_dev(m.buf, m.len, &dev), -EBADMSG);
}

/* ---- CTRL_CMD_GETFAMILY reply ---- */

static void test_family(void **state)
{
	uint16_t id = 0, v16 = 20;
	struct msg m;
	void *copy;

	msg_start(&m, GENL_ID_CTRL, GENL_HDRLEN);
	msg_attr(&m, CTRL_ATTR_FAMILY_NAME, "netdev", 7);
	msg_attr(&m, CTRL_ATTR_FAMILY_ID, &v16, sizeof(v16));
	msg_u32(&m, CTRL_ATTR_VERSION, 1);
	msg_end(&m);
	copy = malloc(m.len);
	assert_non_null(copy);
	memcpy(copy, m.buf, m.len);
	assert_int_equal(xdp_nl_parse_family(copy, m.len, &id), 0);
	assert_int_equal(id, 20);
	free(copy);

	/* no id */
	msg_start(&m, GENL_ID_CTRL, GENL_HDRLEN);
	msg_attr(&m, CTRL_ATTR_FAMILY_NAME, "netdev", 7);
	msg_end(&m);
	assert_int_equal(xdp_nl_parse_family(m.buf, m.len, &id), -EBADMSG);

	/* id of the wrong size */
	msg_start(&m, GENL_ID_CTRL, GENL_HDRLEN);
	msg_u32(&m, CTRL_ATTR_FAMILY_ID, 20);
	msg_end(&m);
	assert_int_equal(xdp_nl_parse_family(m.buf, m.len, &id), -EBADMSG);
}

/* ---- RTM_NEWLINK (veth peer) ---- */

static void build_link(struct msg *m, bool netnsid, bool kind)
{
	struct ifinfomsg ifm = { .ifi_family = AF_UNSPEC, .ifi_index = 3 };
	size_t nest;
	uint32_t len;

	msg_start(m, RTM_NEWLINK, sizeof(ifm));
	memcpy(m->buf + NLMSG_HDRLEN, &ifm, sizeof(ifm));
	msg_attr(m, IFLA_IFNAME, "va", 3);
	msg_u32(m, IFLA_MTU, 1500);
	msg_u32(m, IFLA_LINK, 2);
	if (netnsid)
		msg_u32(m, IFLA_LINK_NETNSID, 0);
	if (kind) {
		nest = m->len;
		msg_attr(m, IFLA_LINKINFO, NULL, 0);
		msg_attr(m, IFLA_INFO_KIND, "veth", 5);
		len = m->len - nest;
		memcpy(m->buf + nest, &(uint16_t){ len }, sizeof(uint16_t));
	}
	msg_end(m);
}

static void test_link(void **state)
{
	struct xdp_nl_link link;
	struct msg m;

	build_link(&m, false, true);
	assert_int_equal(xdp_nl_parse_link(m.buf, m.len, &link), 0);
	assert_int_equal(link.ifindex, 3);
	assert_string_equal(link.ifname, "va");
	assert_string_equal(link.kind, "veth");
	assert_true(link.has_link);
	assert_int_equal(link.link, 2);
	assert_false(link.has_netnsid);

	build_link(&m, true, false);
	assert_int_equal(xdp_nl_parse_link(m.buf, m.len, &link), 0);
	assert_string_equal(link.kind, "");
	assert_true(link.has_netnsid);
	assert_int_equal(link.netnsid, 0);

	/* a kind string without its NUL */
	build_link(&m, false, true);
	m.buf[m.len - 4] = 'x';
	assert_int_equal(xdp_nl_parse_link(m.buf, m.len, &link), -EBADMSG);
	/* a nest longer than the message */
	build_link(&m, false, true);
	m.buf[m.len - 16] = 0x40;
	assert_int_equal(xdp_nl_parse_link(m.buf, m.len, &link), -EBADMSG);
}

/* ---- the attribute walk, through the link parser (it has a nest) ---- */

/* Parse m from a heap copy of exactly its length, as parse_dev() does. */
static int parse_link(const struct msg *m, struct xdp_nl_link *link)
{
	void *copy = malloc(m->len ? m->len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, m->buf, m->len);
	ret = xdp_nl_parse_link(copy, m->len, link);
	free(copy);
	return ret;
}

static void msg_link_start(struct msg *m)
{
	struct ifinfomsg ifm = { .ifi_family = AF_UNSPEC, .ifi_index = 3 };

	msg_start(m, RTM_NEWLINK, sizeof(ifm));
	memcpy(m->buf + NLMSG_HDRLEN, &ifm, sizeof(ifm));
}

/* A nest whose last attribute has no padding: the kernel accepts it. */
static void test_nest_unpadded_end(void **state)
{
	struct xdp_nl_link link;
	struct msg m;
	size_t nest;

	msg_link_start(&m);
	nest = m.len;
	msg_attr(&m, IFLA_LINKINFO, NULL, 0);
	msg_attr(&m, IFLA_INFO_KIND, "veth", 5);
	/* 4 + 4 + 5: the nest ends inside the kind's padding */
	msg_set_nla_len(&m, nest, 13);
	msg_u32(&m, IFLA_LINK, 2);
	msg_end(&m);
	assert_int_equal(parse_link(&m, &link), 0);
	assert_string_equal(link.kind, "veth");
	assert_true(link.has_link);
	assert_int_equal(link.link, 2);
}

/* An attribute inside a nest is bounded by the nest, not the message. */
static void test_nest_inner_past_nest(void **state)
{
	struct xdp_nl_link link;
	struct msg m;
	size_t nest;

	msg_link_start(&m);
	nest = m.len;
	msg_attr(&m, IFLA_LINKINFO, NULL, 0);
	msg_attr(&m, IFLA_INFO_KIND, "veth", 5);
	/* the kind (9 bytes) sticks out of an 8-byte nest payload */
	msg_set_nla_len(&m, nest, 12);
	msg_end(&m);
	assert_int_equal(parse_link(&m, &link), -EBADMSG);
	assert_string_equal(link.kind, "");
}

/* 1 to 3 bytes after the last attribute of a nest are no attribute. */
static void test_nest_trailing_bytes(void **state)
{
	uint8_t junk[4] = { 0 };
	struct xdp_nl_link link;
	struct msg m;
	size_t nest, extra;

	for (extra = 1; extra < NLA_HDRLEN; extra++) {
		msg_link_start(&m);
		nest = m.len;
		msg_attr(&m, IFLA_LINKINFO, NULL, 0);
		msg_attr(&m, IFLA_INFO_KIND, "veth", 5);
		memcpy(m.buf + m.len, junk, extra);
		msg_set_nla_len(&m, nest, m.len - nest + extra);
		m.len += NLA_ALIGN(extra);
		msg_end(&m);
		assert_int_equal(parse_link(&m, &link), -EBADMSG);
	}
}

/* An empty nest, and the nested flag on the type, are both fine. */
static void test_nest_empty_and_flagged(void **state)
{
	struct xdp_nl_link link;
	struct msg m;
	size_t nest;

	msg_link_start(&m);
	msg_attr(&m, IFLA_LINKINFO, NULL, 0);
	msg_end(&m);
	assert_int_equal(parse_link(&m, &link), 0);
	assert_string_equal(link.kind, "");

	msg_link_start(&m);
	nest = m.len;
	msg_attr(&m, IFLA_LINKINFO | NLA_F_NESTED, NULL, 0);
	msg_attr(&m, IFLA_INFO_KIND, "veth", 5);
	msg_set_nla_len(&m, nest, m.len - nest);
	msg_u32(&m, IFLA_LINK | NLA_F_NET_BYTEORDER, 2);
	msg_end(&m);
	assert_int_equal(parse_link(&m, &link), 0);
	assert_string_equal(link.kind, "veth");
	assert_int_equal(link.link, 2);
}

static void test_link_bad_header(void **state)
{
	struct xdp_nl_link link;
	struct msg m;

	/* not RTM_NEWLINK */
	build_link(&m, false, true);
	m.buf[4] = RTM_DELLINK;
	assert_int_equal(parse_link(&m, &link), -EBADMSG);
	/* no room for struct ifinfomsg */
	msg_start(&m, RTM_NEWLINK, 8);
	msg_end(&m);
	assert_int_equal(parse_link(&m, &link), -EBADMSG);
	/* wrong sizes: IFLA_LINK is a u32, IFLA_IFNAME needs its NUL */
	msg_link_start(&m);
	msg_u64(&m, IFLA_LINK, 2);
	msg_end(&m);
	assert_int_equal(parse_link(&m, &link), -EBADMSG);
	msg_link_start(&m);
	msg_attr(&m, IFLA_IFNAME, NULL, 0);
	msg_end(&m);
	assert_int_equal(parse_link(&m, &link), -EBADMSG);
}

/* Cut the link message at every length: the nest walk never over-reads. */
static void test_link_every_truncation(void **state)
{
	struct xdp_nl_link link;
	struct msg m, cut;
	size_t len;

	build_link(&m, true, true);
	for (len = 0; len < m.len; len++) {
		cut = m;
		cut.len = len;
		assert_int_equal(parse_link(&cut, &link), -EBADMSG);
		if (len >= sizeof(uint32_t))
			msg_end(&cut);
		if (parse_link(&cut, &link) == 0)
			assert_int_equal(link.ifindex, 3);
	}
}

/* Bytes after nlmsg_len belong to the next message: not parsed. */
static void test_buffer_longer_than_message(void **state)
{
	struct xdp_nl_dev dev;
	struct msg m;
	size_t len;

	build_full(&m);
	len = m.len;
	memset(m.buf + len, 0xff, 8);
	assert_int_equal(parse_dev(m.buf, len + 8, &dev), 0);
	assert_int_equal(dev.ifindex, 4);
}

/*
 * Random bytes over good messages: every result is 0 or -EBADMSG, and
 * valgrind (exact-size heap copies) sees no read past the end.
 */
static void test_mutations(void **state)
{
	uint32_t rnd = 12345;
	struct xdp_nl_link link;
	struct xdp_nl_dev dev;
	uint16_t id;
	struct msg m;
	int i, k, ret;

	for (i = 0; i < 3000; i++) {
		if (i % 3 == 0)
			build_full(&m);
		else
			build_link(&m, i & 1, true);
		for (k = 0; k < 1 + i % 4; k++) {
			rnd = rnd * 1103515245 + 12345;
			/* spare the length: the buffer is exactly that long */
			m.buf[4 + (rnd >> 8) % (m.len - 4)] = rnd >> 24;
		}
		if (i % 3 == 0) {
			ret = parse_msg(&m, &dev);
			assert_true(ret == 0 || ret == -EBADMSG);
			ret = xdp_nl_parse_family(m.buf, m.len, &id);
		} else {
			ret = parse_link(&m, &link);
		}
		assert_true(ret == 0 || ret == -EBADMSG);
	}
}

/* ---- a datagram of replies ---- */

static void dgram_status(struct dgram *st, uint16_t type, int err)
{
	struct msg m;

	msg_start(&m, type, sizeof(struct nlmsgerr));
	memcpy(m.buf + NLMSG_HDRLEN, &err, sizeof(err));
	msg_end(&m);
	dgram_add(st, &m, 0);
}

static int count_dev(const struct nlmsghdr *nlh, void *data)
{
	struct xdp_nl_dev dev;
	int err = xdp_nl_parse_dev(nlh, nlh->nlmsg_len, &dev);

	if (!err)
		++*(int *)data;
	return err;
}

/* xdp_nl_run() on the first len bytes of st, from an exact-size copy. */
static int run(const struct dgram *st, size_t len, uint32_t seq, int *n)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, st->buf, len);
	*n = 0;
	ret = xdp_nl_run(copy, len, seq, NLMSG_FIXTURE_PORTID, count_dev, n);
	free(copy);
	return ret;
}

/* A dump: devices, then NLMSG_DONE, maybe in a datagram of its own. */
static void test_run_dump(void **state)
{
	struct dgram st = { .len = 0 };
	struct msg m;
	size_t two;
	int n;

	build_full(&m);
	dgram_add(&st, &m, NLM_F_MULTI);
	dgram_add(&st, &m, NLM_F_MULTI);
	two = st.len;
	assert_int_equal(run(&st, two, NLMSG_FIXTURE_SEQ, &n), 1);
	assert_int_equal(n, 2);
	dgram_status(&st, NLMSG_DONE, 0);
	assert_int_equal(run(&st, st.len, NLMSG_FIXTURE_SEQ, &n), 0);
	assert_int_equal(n, 2);
	/* cut inside the last message, or inside its header */
	assert_int_equal(run(&st, st.len - 4, NLMSG_FIXTURE_SEQ, &n), -EBADMSG);
	assert_int_equal(run(&st, two + 8, NLMSG_FIXTURE_SEQ, &n), -EBADMSG);
	/* another request's answer */
	assert_int_equal(run(&st, st.len, NLMSG_FIXTURE_SEQ + 1, &n), -EPROTO);
	/* the devices changed meanwhile */
	st.len = 0;
	dgram_add(&st, &m, NLM_F_MULTI | NLM_F_DUMP_INTR);
	assert_int_equal(run(&st, st.len, NLMSG_FIXTURE_SEQ, &n), -EINTR);
	assert_int_equal(n, 0);
}

/* The ACK ends a request; an error is the kernel's errno; a bad reply stops. */
static void test_run_ack_and_errors(void **state)
{
	struct dgram st = { .len = 0 };
	struct nlmsghdr *nlh;
	struct msg m;
	int n;

	build_full(&m);
	dgram_add(&st, &m, 0);
	dgram_status(&st, NLMSG_ERROR, 0);
	assert_int_equal(run(&st, st.len, NLMSG_FIXTURE_SEQ, &n), 0);
	assert_int_equal(n, 1);
	st.len = 0;
	dgram_status(&st, NLMSG_ERROR, -ENOENT);
	assert_int_equal(run(&st, st.len, NLMSG_FIXTURE_SEQ, &n), -ENOENT);
	/* a message for another port */
	st.len = 0;
	dgram_add(&st, &m, 0);
	nlh = (struct nlmsghdr *)st.buf;
	nlh->nlmsg_pid = NLMSG_FIXTURE_PORTID + 1;
	assert_int_equal(run(&st, st.len, NLMSG_FIXTURE_SEQ, &n), -ESRCH);
	/* the callback's error ends the walk there */
	st.len = 0;
	msg_genl(&m);
	msg_end(&m);
	dgram_add(&st, &m, NLM_F_MULTI);
	build_full(&m);
	dgram_add(&st, &m, NLM_F_MULTI);
	assert_int_equal(run(&st, st.len, NLMSG_FIXTURE_SEQ, &n), -EBADMSG);
	assert_int_equal(n, 0);
}

/* ---- names ---- */

static void test_bit_names(void **state)
{
	static const char *const feat[] = {
		"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload",
		"rx-sg", "ndo-xmit-sg",
	};
	char tmp[8], buf[160];
	unsigned int i;

	for (i = 0; i < 7; i++)
		assert_string_equal(xdp_bit_name(XDP_BITS_FEATURES, i, tmp,
						 sizeof(tmp)), feat[i]);
	assert_string_equal(xdp_bit_name(XDP_BITS_FEATURES, 7, tmp,
					 sizeof(tmp)), "bit7");
	assert_string_equal(xdp_bit_name(XDP_BITS_RX_METADATA, 0, tmp,
					 sizeof(tmp)), "timestamp");
	assert_string_equal(xdp_bit_name(XDP_BITS_RX_METADATA, 1, tmp,
					 sizeof(tmp)), "hash");
	assert_string_equal(xdp_bit_name(XDP_BITS_RX_METADATA, 2, tmp,
					 sizeof(tmp)), "vlan-tag");
	assert_string_equal(xdp_bit_name(XDP_BITS_XSK, 0, tmp, sizeof(tmp)),
			    "tx-timestamp");
	assert_string_equal(xdp_bit_name(XDP_BITS_XSK, 1, tmp, sizeof(tmp)),
			    "tx-checksum");
	assert_string_equal(xdp_bit_name(XDP_BITS_XSK, 2, tmp, sizeof(tmp)),
			    "tx-launch-time-fifo");
	assert_string_equal(xdp_bit_name(XDP_BITS_XSK, 3, tmp, sizeof(tmp)),
			    "bit3");

	assert_int_equal(xdp_bits_str(XDP_BITS_FEATURES, 43, ",", buf,
				      sizeof(buf)), 33);
	assert_string_equal(buf, "basic,redirect,xsk-zerocopy,rx-sg");
	xdp_bits_str(XDP_BITS_FEATURES, 103, " ", buf, sizeof(buf));
	assert_string_equal(buf, "basic redirect ndo-xmit rx-sg ndo-xmit-sg");
	xdp_bits_str(XDP_BITS_RX_METADATA, 7, ",", buf, sizeof(buf));
	assert_string_equal(buf, "timestamp,hash,vlan-tag");
	assert_int_equal(xdp_bits_str(XDP_BITS_XSK, 0, ",", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "");
	/* every bit at once fits in a modest buffer, or says it did not */
	assert_int_equal(xdp_bits_str(XDP_BITS_FEATURES, 43, ",", buf, 10),
			 -ENOSPC);
	assert_int_equal(xdp_bits_str(XDP_BITS_FEATURES, ~0ULL, ",", buf, 8),
			 -ENOSPC);
	assert_true(strlen(buf) < 8);
}

static void test_attach_mode_names(void **state)
{
	assert_string_equal(xdp_attach_mode_name(XDP_ATTACHED_NONE), "none");
	assert_string_equal(xdp_attach_mode_name(XDP_ATTACHED_DRV), "native");
	assert_string_equal(xdp_attach_mode_name(XDP_ATTACHED_SKB), "generic");
	assert_string_equal(xdp_attach_mode_name(XDP_ATTACHED_HW), "offload");
	assert_string_equal(xdp_attach_mode_name(XDP_ATTACHED_MULTI), "multi");
	assert_string_equal(xdp_attach_mode_name(200), "unknown");
}

static void test_peer_label(void **state)
{
	struct xdp_if_peer p = { .ifindex = 7 };
	char buf[64];

	strcpy(p.name, "vb");
	assert_string_equal(xdp_if_peer_label(&p, buf, sizeof(buf)), "vb");
	p.name[0] = '\0';
	p.other_ns = true;
	assert_string_equal(xdp_if_peer_label(&p, buf, sizeof(buf)),
			    "ifindex 7 in another namespace");
}

/* Every Linux has lo, and lo has no driver; no privileges needed. */
static void test_driver_of_lo(void **state)
{
	char drv[XDP_DRIVER_LEN] = "x";

	assert_int_equal(xdp_if_driver("lo", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "");
	assert_int_equal(xdp_if_driver("nrtest-none0", drv, sizeof(drv)),
			 -ENODEV);
	assert_int_equal(xdp_if_driver("../lo", drv, sizeof(drv)), -EINVAL);
	assert_int_equal(xdp_if_driver("", drv, sizeof(drv)), -EINVAL);
	assert_int_equal(xdp_if_driver("a-name-far-too-long", drv,
				       sizeof(drv)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_bytes),
		cmocka_unit_test(test_all_present),
		cmocka_unit_test(test_optional_missing),
		cmocka_unit_test(test_unknown_attr_ignored),
		cmocka_unit_test(test_unknown_bits_kept),
		cmocka_unit_test(test_shorter_than_header),
		cmocka_unit_test(test_len_past_buffer),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_attr_past_end),
		cmocka_unit_test(test_nla_len_too_small),
		cmocka_unit_test(test_wrong_payload_sizes),
		cmocka_unit_test(test_missing_ifindex),
		cmocka_unit_test(test_missing_features),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_nest_unpadded_end),
		cmocka_unit_test(test_nest_inner_past_nest),
		cmocka_unit_test(test_nest_trailing_bytes),
		cmocka_unit_test(test_nest_empty_and_flagged),
		cmocka_unit_test(test_link_bad_header),
		cmocka_unit_test(test_link_every_truncation),
		cmocka_unit_test(test_buffer_longer_than_message),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_run_dump),
		cmocka_unit_test(test_run_ack_and_errors),
		cmocka_unit_test(test_bit_names),
		cmocka_unit_test(test_attach_mode_names),
		cmocka_unit_test(test_peer_label),
		cmocka_unit_test(test_driver_of_lo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
