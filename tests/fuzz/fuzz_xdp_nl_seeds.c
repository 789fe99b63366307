// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Writes fuzz_xdp_nl's seed corpus into the directory given: datagrams
 * shaped as the kernel sends them to xdpfeatures.  A dev-get dump (three
 * devices of kernels old and new, then NLMSG_DONE), a dev-get doit and
 * its ACK, the CTRL_CMD_GETFAMILY answer for "netdev" with its nested
 * operations and multicast groups, the -ENOENT of a kernel without the
 * family, an RTM_NEWLINK of a veth with nested link info and address
 * family data, and a dump the kernel marked inconsistent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nlmsg_fixture.h"
#include "seed_put.h"
#include "xdp_nl.h"

static void dev(struct msg *m, uint32_t ifindex, uint64_t features,
		bool recent)
{
	msg_genl(m);
	msg_u32(m, NR_NETDEV_A_DEV_IFINDEX, ifindex);
	msg_u64(m, NR_NETDEV_A_DEV_XDP_FEATURES, features);
	if (recent) {
		msg_u32(m, NR_NETDEV_A_DEV_XDP_ZC_MAX_SEGS, 1);
		msg_u64(m, NR_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES,
			NR_XDP_RXMD_TIMESTAMP | NR_XDP_RXMD_HASH);
		msg_u64(m, NR_NETDEV_A_DEV_XSK_FEATURES, NR_XSK_F_TX_TIMESTAMP);
	}
	msg_end(m);
}

/* NLMSG_DONE of a dump: an int, 0. */
static void done(struct msg *m)
{
	msg_start(m, NLMSG_DONE, sizeof(int));
	msg_end(m);
}

/* NLMSG_ERROR: error, then the request's header (the kernel caps ACKs). */
static void nlerr(struct msg *m, int err, uint16_t req_type)
{
	struct nlmsgerr e = {
		.error = err,
		.msg = {
			.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
			.nlmsg_type = req_type,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
			.nlmsg_seq = NLMSG_FIXTURE_SEQ,
			.nlmsg_pid = NLMSG_FIXTURE_PORTID,
		},
	};

	msg_start(m, NLMSG_ERROR, sizeof(e));
	memcpy(m->buf + NLMSG_HDRLEN, &e, sizeof(e));
	msg_end(m);
}

static void family(struct msg *m)
{
	static const uint32_t ops[][2] = {
		{ NR_NETDEV_CMD_DEV_GET, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ 7, GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP },
		{ 9, GENL_ADMIN_PERM | GENL_CMD_CAP_DO },
	};
	uint16_t id = NLMSG_FIXTURE_FAMILY;
	size_t list, item;
	unsigned int i;

	msg_start(m, GENL_ID_CTRL, GENL_HDRLEN);
	m->buf[NLMSG_HDRLEN] = CTRL_CMD_NEWFAMILY;
	m->buf[NLMSG_HDRLEN + 1] = 2;
	msg_attr(m, CTRL_ATTR_FAMILY_NAME, "netdev", sizeof("netdev"));
	msg_attr(m, CTRL_ATTR_FAMILY_ID, &id, sizeof(id));
	msg_u32(m, CTRL_ATTR_VERSION, 1);
	msg_u32(m, CTRL_ATTR_HDRSIZE, 0);
	msg_u32(m, CTRL_ATTR_MAXATTR, 6);
	list = msg_nest_start(m, CTRL_ATTR_OPS);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		item = msg_nest_start(m, i + 1);
		msg_u32(m, CTRL_ATTR_OP_ID, ops[i][0]);
		msg_u32(m, CTRL_ATTR_OP_FLAGS, ops[i][1]);
		msg_nest_end(m, item);
	}
	msg_nest_end(m, list);
	list = msg_nest_start(m, CTRL_ATTR_MCAST_GROUPS);
	item = msg_nest_start(m, 1);
	msg_u32(m, CTRL_ATTR_MCAST_GRP_ID, 33);
	msg_attr(m, CTRL_ATTR_MCAST_GRP_NAME, "mgmt", sizeof("mgmt"));
	msg_nest_end(m, item);
	msg_nest_end(m, list);
	msg_end(m);
}

/* veth0 (ifindex 4), whose peer is ifindex 5, maybe in another netns. */
static void veth_link(struct msg *m, bool other_ns)
{
	struct ifinfomsg ifm = {
		.ifi_family = AF_UNSPEC, .ifi_index = 4,
		.ifi_flags = 0x1003, .ifi_change = 0,
	};
	size_t info, spec, af;

	msg_start(m, RTM_NEWLINK, sizeof(ifm));
	memcpy(m->buf + NLMSG_HDRLEN, &ifm, sizeof(ifm));
	msg_attr(m, IFLA_IFNAME, "veth0", sizeof("veth0"));
	msg_u32(m, IFLA_TXQLEN, 1000);
	msg_attr(m, IFLA_OPERSTATE, "\x06", 1);
	msg_u32(m, IFLA_MTU, 1500);
	msg_u32(m, IFLA_LINK, 5);
	if (other_ns)
		msg_u32(m, IFLA_LINK_NETNSID, 0);
	msg_attr(m, IFLA_QDISC, "noqueue", sizeof("noqueue"));
	info = msg_nest_start(m, IFLA_LINKINFO);
	msg_attr(m, IFLA_INFO_KIND, "veth", sizeof("veth"));
	msg_nest_end(m, info);
	spec = msg_nest_start(m, IFLA_AF_SPEC);
	af = msg_nest_start(m, AF_INET6);
	msg_u32(m, IFLA_INET6_FLAGS, 0x80000000);
	msg_nest_end(m, af);
	msg_nest_end(m, spec);
	msg_end(m);
}

static int put(const char *dir, const char *name, const struct dgram *d)
{
	return seed_put(dir, name, d->buf, d->len) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct dgram d;
	struct msg m;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	/* lo, virtio_net eth0, a veth: a 6.3 kernel's and a recent one's */
	d.len = 0;
	dev(&m, 1, 0, false);
	dgram_add(&d, &m, NLM_F_MULTI);
	dev(&m, 2, NR_XDP_F_BASIC | NR_XDP_F_REDIRECT | NR_XDP_F_NDO_XMIT |
		NR_XDP_F_RX_SG, true);
	dgram_add(&d, &m, NLM_F_MULTI);
	dev(&m, 4, 0x7f, true);
	dgram_add(&d, &m, NLM_F_MULTI);
	err |= put(argv[1], "dump-devs", &d);
	done(&m);
	dgram_add(&d, &m, NLM_F_MULTI);
	err |= put(argv[1], "dump-devs-done", &d);

	d.len = 0;
	dev(&m, 2, NR_XDP_F_BASIC, true);
	dgram_add(&d, &m, 0);
	nlerr(&m, 0, NLMSG_FIXTURE_FAMILY);
	dgram_add(&d, &m, NLM_F_CAPPED);
	err |= put(argv[1], "get-dev-ack", &d);

	d.len = 0;
	family(&m);
	dgram_add(&d, &m, 0);
	nlerr(&m, 0, GENL_ID_CTRL);
	dgram_add(&d, &m, NLM_F_CAPPED);
	err |= put(argv[1], "family-ack", &d);

	d.len = 0;
	nlerr(&m, -ENOENT, GENL_ID_CTRL);
	dgram_add(&d, &m, 0);
	err |= put(argv[1], "family-enoent", &d);

	d.len = 0;
	veth_link(&m, false);
	dgram_add(&d, &m, 0);
	nlerr(&m, 0, RTM_GETLINK);
	dgram_add(&d, &m, NLM_F_CAPPED);
	err |= put(argv[1], "veth-link-ack", &d);
	d.len = 0;
	veth_link(&m, true);
	dgram_add(&d, &m, 0);
	err |= put(argv[1], "veth-link-other-ns", &d);

	d.len = 0;
	dev(&m, 3, NR_XDP_F_BASIC, false);
	dgram_add(&d, &m, NLM_F_MULTI | NLM_F_DUMP_INTR);
	err |= put(argv[1], "dump-interrupted", &d);
	return err;
}
