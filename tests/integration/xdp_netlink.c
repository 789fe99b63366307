// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Netlink requests built byte by byte, replies walked with the NLA_*
 * macros.  Deliberately shares nothing with lib/xdp_nl.c, so the two can
 * check each other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "xdp_netlink.h"

/* include/uapi/linux/netdev.h */
#define NETDEV_CMD_DEV_GET			1
#define NETDEV_A_DEV_IFINDEX			1
#define NETDEV_A_DEV_XDP_FEATURES		3
#define NETDEV_A_DEV_XDP_ZC_MAX_SEGS		4
#define NETDEV_A_DEV_XDP_RX_METADATA_FEATURES	5
#define NETDEV_A_DEV_XSK_FEATURES		6

#define BUF_SIZE	16384
#define REQ_SIZE	512

/* ---- requests ---- */

struct req {
	struct nlmsghdr *nlh;
	char buf[REQ_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
};

/* A request with a family header of hdrlen bytes (zeroed). */
static void *req_init(struct req *r, uint16_t type, uint16_t flags,
		      size_t hdrlen)
{
	static uint32_t seq;

	memset(r->buf, 0, sizeof(r->buf));
	r->nlh = (struct nlmsghdr *)r->buf;
	r->nlh->nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->nlh->nlmsg_type = type;
	r->nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nlh->nlmsg_seq = ++seq;
	return NLMSG_DATA(r->nlh);
}

static struct nlattr *put_attr(struct req *r, uint16_t type,
			       const void *data, uint16_t len)
{
	struct nlattr *nla = (struct nlattr *)(r->buf +
					       NLMSG_ALIGN(r->nlh->nlmsg_len));

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	r->nlh->nlmsg_len = NLMSG_ALIGN(r->nlh->nlmsg_len) +
			    NLA_ALIGN(nla->nla_len);
	return nla;
}

static void put_str(struct req *r, uint16_t type, const char *s)
{
	put_attr(r, type, s, strlen(s) + 1);
}

/* Open a nest: close it with nest_end() once its attributes are in. */
static struct nlattr *nest_start(struct req *r, uint16_t type)
{
	return put_attr(r, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct req *r, struct nlattr *nest)
{
	nest->nla_len = r->buf + r->nlh->nlmsg_len - (char *)nest;
}

/* ---- the exchange ---- */

static int open_sock(int proto)
{
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send r, then read replies until the ACK: each other message goes to cb
 * (0 to go on).  0, or the kernel's negative error.
 */
static int talk(int fd, struct req *r, msg_cb cb, void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char *buf = malloc(BUF_SIZE);
	struct nlmsghdr *nlh;
	ssize_t len;
	int ret = 1;

	if (!buf)
		return -ENOMEM;
	if (sendto(fd, r->buf, r->nlh->nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		free(buf);
		return -errno;
	}
	while (ret > 0) {
		len = recv(fd, buf, BUF_SIZE, 0);
		if (len < 0) {
			ret = -errno;
			break;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len) && ret > 0;
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != r->nlh->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				ret = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			else if (nlh->nlmsg_type == NLMSG_DONE)
				ret = 0;
			else if (cb && cb(nlh, arg))
				ret = -EBADMSG;
		}
	}
	free(buf);
	return ret;
}

static int talk_once(int proto, struct req *r, msg_cb cb, void *arg)
{
	int fd = open_sock(proto), err;

	if (fd < 0)
		return fd;
	err = talk(fd, r, cb, arg);
	close(fd);
	return err;
}

/* ---- the netdev family ---- */

/* Attributes after the genetlink header: cb(type, payload, len). */
static int walk(const struct nlmsghdr *nlh,
		void (*cb)(uint16_t type, const void *p, int len, void *arg),
		void *arg)
{
	const char *p = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int rest = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	while (rest >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > rest)
			return -1;
		cb(nla->nla_type & NLA_TYPE_MASK, p + NLA_HDRLEN,
		   nla->nla_len - NLA_HDRLEN, arg);
		rest -= NLA_ALIGN(nla->nla_len);
		p += NLA_ALIGN(nla->nla_len);
	}
	return 0;
}

static void family_attr(uint16_t type, const void *p, int len, void *arg)
{
	if (type == CTRL_ATTR_FAMILY_ID && len == 2)
		memcpy(arg, p, 2);
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	return walk(nlh, family_attr, arg);
}

static int resolve(int fd, uint16_t *id)
{
	struct genlmsghdr *genl;
	struct req r;

	genl = req_init(&r, GENL_ID_CTRL, 0, GENL_HDRLEN);
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	put_str(&r, CTRL_ATTR_FAMILY_NAME, "netdev");
	*id = 0;
	return talk(fd, &r, family_cb, id) ?: (*id ? 0 : -ENOENT);
}

struct dev_arg {
	struct xg_dev *dev;
	uint32_t ifindex;
	bool got;
};

static void get_u64(const void *p, int len, uint64_t *v, bool *has)
{
	if (len != 8)
		return;
	memcpy(v, p, 8);
	if (has)
		*has = true;
}

static void dev_attr(uint16_t type, const void *p, int len, void *arg)
{
	struct dev_arg *a = arg;
	uint32_t u32;

	switch (type) {
	case NETDEV_A_DEV_IFINDEX:
		if (len == 4) {
			memcpy(&u32, p, 4);
			a->got = u32 == a->ifindex;
		}
		break;
	case NETDEV_A_DEV_XDP_FEATURES:
		get_u64(p, len, &a->dev->xdp_features, NULL);
		break;
	case NETDEV_A_DEV_XDP_ZC_MAX_SEGS:
		if (len == 4) {
			memcpy(&a->dev->zc_max_segs, p, 4);
			a->dev->has_zc_max_segs = true;
		}
		break;
	case NETDEV_A_DEV_XDP_RX_METADATA_FEATURES:
		get_u64(p, len, &a->dev->rx_metadata,
			&a->dev->has_rx_metadata);
		break;
	case NETDEV_A_DEV_XSK_FEATURES:
		get_u64(p, len, &a->dev->xsk_features,
			&a->dev->has_xsk_features);
		break;
	}
}

static int dev_cb(const struct nlmsghdr *nlh, void *arg)
{
	return walk(nlh, dev_attr, arg);
}

int xg_dev_get(uint32_t ifindex, struct xg_dev *dev)
{
	struct dev_arg a = { .dev = dev, .ifindex = ifindex };
	struct genlmsghdr *genl;
	struct req r;
	uint16_t id;
	int fd, err;

	memset(dev, 0, sizeof(*dev));
	fd = open_sock(NETLINK_GENERIC);
	if (fd < 0)
		return fd;
	err = resolve(fd, &id);
	if (!err) {
		genl = req_init(&r, id, 0, GENL_HDRLEN);
		genl->cmd = NETDEV_CMD_DEV_GET;
		genl->version = 1;
		put_attr(&r, NETDEV_A_DEV_IFINDEX, &ifindex, 4);
		err = talk(fd, &r, dev_cb, &a);
		if (!err && !a.got)
			err = -ENODEV;
	}
	close(fd);
	return err;
}

bool xg_have_family(void)
{
	uint16_t id;
	int fd = open_sock(NETLINK_GENERIC), err;

	if (fd < 0)
		return false;
	err = resolve(fd, &id);
	close(fd);
	return !err;
}

/* ---- rtnetlink ---- */

int xr_veth_add(const char *name, const char *peer)
{
	struct nlattr *info, *data, *p;
	struct ifinfomsg pm = { .ifi_family = AF_UNSPEC };
	struct req r;

	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
		 sizeof(struct ifinfomsg));
	put_str(&r, IFLA_IFNAME, name);
	info = nest_start(&r, IFLA_LINKINFO);
	put_str(&r, IFLA_INFO_KIND, "veth");
	data = nest_start(&r, IFLA_INFO_DATA);
	/* VETH_INFO_PEER: an ifinfomsg, then the peer's attributes. */
	p = put_attr(&r, VETH_INFO_PEER | NLA_F_NESTED, &pm, sizeof(pm));
	put_str(&r, IFLA_IFNAME, peer);
	nest_end(&r, p);
	nest_end(&r, data);
	nest_end(&r, info);
	return talk_once(NETLINK_ROUTE, &r, NULL, NULL);
}

static struct ifinfomsg *link_req(struct req *r, uint16_t type,
				  const char *name)
{
	struct ifinfomsg *ifm = req_init(r, type, 0, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	put_str(r, IFLA_IFNAME, name);
	return ifm;
}

int xr_link_del(const char *name)
{
	struct req r;

	link_req(&r, RTM_DELLINK, name);
	return talk_once(NETLINK_ROUTE, &r, NULL, NULL);
}

int xr_link_up(const char *name)
{
	struct ifinfomsg *ifm;
	struct req r;

	ifm = link_req(&r, RTM_NEWLINK, name);
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return talk_once(NETLINK_ROUTE, &r, NULL, NULL);
}

int xr_link_netns(const char *name, int netns_fd)
{
	uint32_t fd = netns_fd;
	struct req r;

	link_req(&r, RTM_NEWLINK, name);
	put_attr(&r, IFLA_NET_NS_FD, &fd, sizeof(fd));
	return talk_once(NETLINK_ROUTE, &r, NULL, NULL);
}
