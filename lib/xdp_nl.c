// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XDP facts from the running kernel: the netdev generic-netlink family,
 * ethtool, rtnetlink and libbpf.  See xdp_nl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netrace.skel.h"
#include "tracer.h"
#include "xdp_nl.h"

/* Large enough that no single reply is cut (recvmsg MSG_TRUNC). */
#define NL_BUF_SIZE	32768

/* ---- attribute walking ---- */

/*
 * mnl_attr_parse() stops quietly at the first attribute that does not
 * fit (nla_len < 4, or past the end), so remember where the last good one
 * ended and compare with the end of the message afterwards.
 */
struct walk {
	mnl_attr_cb_t cb;
	void *data;
	const char *end;
};

static int walk_cb(const struct nlattr *attr, void *data)
{
	struct walk *w = data;

	w->end = (const char *)attr + MNL_ALIGN(attr->nla_len);
	return w->cb(attr, w->data);
}

static int parse_attrs(const struct nlmsghdr *nlh, unsigned int offset,
		       mnl_attr_cb_t cb, void *data)
{
	struct walk w = { cb, data, mnl_nlmsg_get_payload_offset(nlh, offset) };

	if (mnl_attr_parse(nlh, offset, walk_cb, &w) != MNL_CB_OK)
		return -EBADMSG;
	if (w.end != (const char *)mnl_nlmsg_get_payload_tail(nlh))
		return -EBADMSG;
	return 0;
}

static int parse_nested(const struct nlattr *nest, mnl_attr_cb_t cb,
			void *data)
{
	const char *tail = (const char *)mnl_attr_get_payload(nest) +
			   mnl_attr_get_payload_len(nest);
	struct walk w = { cb, data, mnl_attr_get_payload(nest) };

	if (mnl_attr_parse_nested(nest, walk_cb, &w) != MNL_CB_OK)
		return -EBADMSG;
	if (w.end < tail)
		return -EBADMSG;
	return 0;
}

/*
 * One message of len bytes with at least hdrlen bytes of family header.
 * libmnl walks attributes up to the 4-aligned end of nlmsg_len, so an
 * unaligned length would let it read past the buffer: the kernel never
 * sends one, refuse it.
 */
static const struct nlmsghdr *msg_check(const void *buf, size_t len,
					size_t hdrlen)
{
	const struct nlmsghdr *nlh = buf;

	if (!buf || len < sizeof(*nlh) || len > INT_MAX)
		return NULL;
	if (!mnl_nlmsg_ok(nlh, (int)len))
		return NULL;
	if (nlh->nlmsg_len % NLMSG_ALIGNTO)
		return NULL;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen))
		return NULL;
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return NULL;
	return nlh;
}

/* ---- pure parsers ---- */

struct dev_parse {
	struct xdp_nl_dev *dev;
	bool has_ifindex;
	bool has_features;
};

static int dev_attr_cb(const struct nlattr *attr, void *data)
{
	struct dev_parse *p = data;
	struct xdp_nl_dev *dev = p->dev;

	switch (mnl_attr_get_type(attr)) {
	case NR_NETDEV_A_DEV_IFINDEX:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		dev->ifindex = mnl_attr_get_u32(attr);
		p->has_ifindex = true;
		break;
	case NR_NETDEV_A_DEV_XDP_FEATURES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		dev->xdp_features = mnl_attr_get_u64(attr);
		p->has_features = true;
		break;
	case NR_NETDEV_A_DEV_XDP_ZC_MAX_SEGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		dev->zc_max_segs = mnl_attr_get_u32(attr);
		dev->has_zc_max_segs = true;
		break;
	case NR_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		dev->rx_metadata = mnl_attr_get_u64(attr);
		dev->has_rx_metadata = true;
		break;
	case NR_NETDEV_A_DEV_XSK_FEATURES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		dev->xsk_features = mnl_attr_get_u64(attr);
		dev->has_xsk_features = true;
		break;
	default:
		/* pad, and whatever newer kernels add */
		break;
	}
	return MNL_CB_OK;
}

int xdp_nl_parse_dev(const void *buf, size_t len, struct xdp_nl_dev *dev)
{
	const struct nlmsghdr *nlh;
	struct dev_parse p = { .dev = dev };

	memset(dev, 0, sizeof(*dev));
	nlh = msg_check(buf, len, sizeof(struct genlmsghdr));
	if (!nlh)
		return -EBADMSG;
	if (parse_attrs(nlh, sizeof(struct genlmsghdr), dev_attr_cb, &p) ||
	    !p.has_ifindex || !dev->ifindex || !p.has_features) {
		memset(dev, 0, sizeof(*dev));
		return -EBADMSG;
	}
	return 0;
}

struct family_parse {
	uint16_t id;
	bool has_id;
};

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct family_parse *p = data;

	if (mnl_attr_get_type(attr) != CTRL_ATTR_FAMILY_ID)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
		return MNL_CB_ERROR;
	p->id = mnl_attr_get_u16(attr);
	p->has_id = true;
	return MNL_CB_OK;
}

int xdp_nl_parse_family(const void *buf, size_t len, uint16_t *id)
{
	const struct nlmsghdr *nlh;
	struct family_parse p = { 0 };

	nlh = msg_check(buf, len, sizeof(struct genlmsghdr));
	if (!nlh)
		return -EBADMSG;
	if (parse_attrs(nlh, sizeof(struct genlmsghdr), family_attr_cb, &p) ||
	    !p.has_id || p.id < NLMSG_MIN_TYPE)
		return -EBADMSG;
	*id = p.id;
	return 0;
}

static int copy_str_attr(const struct nlattr *attr, char *dst, size_t n)
{
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	snprintf(dst, n, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	struct xdp_nl_link *link = data;

	if (mnl_attr_get_type(attr) != IFLA_INFO_KIND)
		return MNL_CB_OK;
	return copy_str_attr(attr, link->kind, sizeof(link->kind));
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct xdp_nl_link *link = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		return copy_str_attr(attr, link->ifname, sizeof(link->ifname));
	case IFLA_LINK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		link->link = mnl_attr_get_u32(attr);
		link->has_link = true;
		break;
	case IFLA_LINK_NETNSID:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		link->netnsid = (int32_t)mnl_attr_get_u32(attr);
		link->has_netnsid = true;
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
		    parse_nested(attr, linkinfo_attr_cb, link))
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int xdp_nl_parse_link(const void *buf, size_t len, struct xdp_nl_link *link)
{
	const struct nlmsghdr *nlh;
	const struct ifinfomsg *ifm;

	memset(link, 0, sizeof(*link));
	nlh = msg_check(buf, len, sizeof(*ifm));
	if (!nlh || nlh->nlmsg_type != RTM_NEWLINK)
		return -EBADMSG;
	ifm = mnl_nlmsg_get_payload(nlh);
	link->ifindex = ifm->ifi_index;
	if (parse_attrs(nlh, sizeof(*ifm), link_attr_cb, link)) {
		memset(link, 0, sizeof(*link));
		return -EBADMSG;
	}
	return 0;
}

/* ---- bit names ---- */

static const char *const feature_names[] = {
	"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload",
	"rx-sg", "ndo-xmit-sg",
};
static const char *const rxmd_names[] = { "timestamp", "hash", "vlan-tag" };
static const char *const xsk_names[] = {
	"tx-timestamp", "tx-checksum", "tx-launch-time-fifo",
};

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

const char *xdp_bit_name(enum xdp_bitset set, unsigned int bit, char *buf,
			 size_t n)
{
	const char *const *names = NULL;
	size_t count = 0;

	switch (set) {
	case XDP_BITS_FEATURES:
		names = feature_names;
		count = ARRAY_LEN(feature_names);
		break;
	case XDP_BITS_RX_METADATA:
		names = rxmd_names;
		count = ARRAY_LEN(rxmd_names);
		break;
	case XDP_BITS_XSK:
		names = xsk_names;
		count = ARRAY_LEN(xsk_names);
		break;
	}
	if (bit < count)
		return names[bit];
	snprintf(buf, n, "bit%u", bit);
	return buf;
}

int xdp_bits_str(enum xdp_bitset set, uint64_t mask, const char *sep,
		 char *buf, size_t n)
{
	char tmp[8];
	size_t pos = 0;
	unsigned int bit;
	int m;

	if (!n)
		return -ENOSPC;
	buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		if (!(mask & (1ULL << bit)))
			continue;
		m = snprintf(buf + pos, n - pos, "%s%s", pos ? sep : "",
			     xdp_bit_name(set, bit, tmp, sizeof(tmp)));
		if (m < 0 || (size_t)m >= n - pos)
			return -ENOSPC;
		pos += m;
	}
	return (int)pos;
}

/* ---- netlink transactions ---- */

/*
 * Send req and feed every reply to cb until the ACK or NLMSG_DONE.  A
 * callback reports its own failure through errno.
 */
static int nl_talk(struct mnl_socket *sock, struct nlmsghdr *req,
		   mnl_cb_t cb, void *data)
{
	uint32_t portid = mnl_socket_get_portid(sock);
	char *buf;
	ssize_t len;
	int ret, err = 0;

	buf = malloc(NL_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(sock, req, req->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	do {
		len = mnl_socket_recvfrom(sock, buf, NL_BUF_SIZE);
		if (len < 0) {
			err = -errno;
			break;
		}
		ret = mnl_cb_run(buf, len, req->nlmsg_seq, portid, cb, data);
		if (ret == MNL_CB_ERROR)
			err = errno ? -errno : -EIO;
	} while (ret > MNL_CB_STOP);
out:
	free(buf);
	return err;
}

static struct mnl_socket *nl_socket(int bus)
{
	struct mnl_socket *sock;
	int err;

	sock = mnl_socket_open(bus);
	if (!sock)
		return NULL;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(sock);
		errno = err;
		return NULL;
	}
	return sock;
}

static struct nlmsghdr *genl_req(char *buf, uint16_t type, uint16_t flags,
				 uint8_t cmd, uint8_t version, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	int err = xdp_nl_parse_family(nlh, nlh->nlmsg_len, data);

	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int resolve_family(struct xdp_nl *nl)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct nlmsghdr *nlh;

	nlh = genl_req(buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1,
		       ++nl->seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NR_NETDEV_FAMILY_NAME);
	nl->family = 0;
	/* An unknown family comes back as NLMSG_ERROR -ENOENT. */
	return nl_talk(nl->sock, nlh, family_cb, &nl->family);
}

int xdp_nl_open(struct xdp_nl *nl)
{
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->sock = nl_socket(NETLINK_GENERIC);
	if (!nl->sock)
		return -errno;
	nl->seq = time(NULL);
	err = resolve_family(nl);
	if (!err && !nl->family)
		err = -ENOENT;
	if (err)
		xdp_nl_close(nl);
	return err;
}

void xdp_nl_close(struct xdp_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct dev_list {
	struct xdp_nl_dev *devs;
	size_t n, cap;
};

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dev_list *l = data;
	struct xdp_nl_dev *grown;
	int err;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		grown = realloc(l->devs, l->cap * sizeof(*grown));
		if (!grown) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		l->devs = grown;
	}
	err = xdp_nl_parse_dev(nlh, nlh->nlmsg_len, &l->devs[l->n]);
	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	l->n++;
	return MNL_CB_OK;
}

int xdp_nl_dump(struct xdp_nl *nl, struct xdp_nl_dev **devs, size_t *n)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct dev_list l = { 0 };
	struct nlmsghdr *nlh;
	int err;

	*devs = NULL;
	*n = 0;
	if (!nl->sock)
		return -EBADF;
	nlh = genl_req(buf, nl->family, NLM_F_DUMP, NR_NETDEV_CMD_DEV_GET,
		       NR_NETDEV_FAMILY_VERSION, ++nl->seq);
	err = nl_talk(nl->sock, nlh, dev_cb, &l);
	if (err) {
		free(l.devs);
		return err;
	}
	*devs = l.devs;
	*n = l.n;
	return 0;
}

struct dev_one {
	struct xdp_nl_dev *dev;
	bool got;
};

static int dev_one_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dev_one *r = data;
	int err = xdp_nl_parse_dev(nlh, nlh->nlmsg_len, r->dev);

	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	r->got = true;
	return MNL_CB_OK;
}

int xdp_nl_get(struct xdp_nl *nl, uint32_t ifindex, struct xdp_nl_dev *dev)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct dev_one r = { .dev = dev };
	struct nlmsghdr *nlh;
	int err;

	memset(dev, 0, sizeof(*dev));
	if (!nl->sock)
		return -EBADF;
	/* A "doit" sends no NLMSG_DONE: the ACK ends the exchange. */
	nlh = genl_req(buf, nl->family, NLM_F_ACK, NR_NETDEV_CMD_DEV_GET,
		       NR_NETDEV_FAMILY_VERSION, ++nl->seq);
	mnl_attr_put_u32(nlh, NR_NETDEV_A_DEV_IFINDEX, ifindex);
	err = nl_talk(nl->sock, nlh, dev_one_cb, &r);
	if (!err && (!r.got || dev->ifindex != ifindex))
		err = -ENODEV;
	return err;
}

enum xdp_src xdp_nl_source(int err, char *why, size_t n)
{
	if (n)
		why[0] = '\0';
	if (!err)
		return XDP_SRC_KERNEL;
	if (err == -ENOENT)
		snprintf(why, n, "this kernel has no netdev netlink family (Linux before 6.3)");
	else
		snprintf(why, n,
			 "the netdev netlink family did not answer (%s)",
			 strerror(err < 0 ? -err : err));
	return XDP_SRC_TABLE;
}

const char *xdp_src_name(enum xdp_src src)
{
	return src == XDP_SRC_KERNEL ? "kernel" : "table";
}

const struct xdp_nl_dev *xdp_nl_find(const struct xdp_nl_dev *devs,
				     size_t n, uint32_t ifindex)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (devs[i].ifindex == ifindex)
			return &devs[i];
	return NULL;
}

/* ---- driver name ---- */

static bool ifname_ok(const char *ifname)
{
	size_t len = ifname ? strnlen(ifname, IF_NAMESIZE) : 0;

	return len && len < IF_NAMESIZE && !strchr(ifname, '/') &&
	       strcmp(ifname, ".") && strcmp(ifname, "..");
}

static int drvinfo_ioctl(const char *ifname, char *buf, size_t n)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd, err = 0;

	/* Any socket reaches dev_ioctl(); AF_INET may be compiled out. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			    NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	close(fd);
	if (!err)
		snprintf(buf, n, "%.*s", (int)sizeof(info.driver), info.driver);
	return err;
}

static long sysfs_ifindex(const char *ifname)
{
	char path[64];
	long idx = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", ifname);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &idx) != 1)
		idx = -1;
	fclose(f);
	return idx;
}

static int drv_sysfs(const char *ifname, char *buf, size_t n)
{
	char path[80], target[PATH_MAX];
	const char *base;
	ssize_t len;

	/*
	 * /sys shows the namespace of whoever mounted it, which need not be
	 * ours: only trust it when it has our interface under that name.
	 */
	if (sysfs_ifindex(ifname) != (long)if_nametoindex(ifname))
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver",
		 ifname);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	base = strrchr(target, '/');
	snprintf(buf, n, "%s", base ? base + 1 : target);
	return 0;
}

int xdp_if_driver(const char *ifname, char *buf, size_t n)
{
	int err;

	if (!n)
		return -ENOSPC;
	buf[0] = '\0';
	if (!ifname_ok(ifname))
		return -EINVAL;
	err = drvinfo_ioctl(ifname, buf, n);
	if (err == -ENODEV)
		return err;
	if (!err && buf[0])
		return 0;
	/* lo and the like have neither: no driver, not an error. */
	if (drv_sysfs(ifname, buf, n))
		buf[0] = '\0';
	if (!if_nametoindex(ifname))
		return -ENODEV;
	return 0;
}

/* ---- veth peer ---- */

struct link_reply {
	struct xdp_nl_link *link;
	bool got;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_reply *r = data;
	int err;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	err = xdp_nl_parse_link(nlh, nlh->nlmsg_len, r->link);
	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	r->got = true;
	return MNL_CB_OK;
}

static int rtnl_getlink(uint32_t ifindex, struct xdp_nl_link *link)
{
	char buf[MNL_NLMSG_HDRLEN + 64] = { 0 };
	struct link_reply r = { .link = link };
	struct mnl_socket *sock;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int err;

	sock = nl_socket(NETLINK_ROUTE);
	if (!sock)
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = time(NULL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = nl_talk(sock, nlh, link_cb, &r);
	mnl_socket_close(sock);
	if (!err && !r.got)
		err = -ENODEV;
	return err;
}

int xdp_if_veth_peer(uint32_t ifindex, struct xdp_if_peer *peer)
{
	struct xdp_nl_link link;
	int err;

	memset(peer, 0, sizeof(*peer));
	err = rtnl_getlink(ifindex, &link);
	if (err)
		return err;
	/* IFLA_LINK means the lower device for vlan & co: veth only. */
	if (strcmp(link.kind, "veth") || !link.has_link || !link.link)
		return -ENOENT;
	peer->ifindex = link.link;
	/* The kernel adds IFLA_LINK_NETNSID only when the peer is elsewhere. */
	peer->other_ns = link.has_netnsid;
	if (!peer->other_ns && !if_indextoname(peer->ifindex, peer->name))
		peer->name[0] = '\0';
	return 0;
}

const char *xdp_if_peer_label(const struct xdp_if_peer *peer, char *buf,
			      size_t n)
{
	if (peer->name[0])
		snprintf(buf, n, "%s", peer->name);
	else if (peer->other_ns)
		snprintf(buf, n, "ifindex %u in another namespace",
			 peer->ifindex);
	else
		snprintf(buf, n, "ifindex %u", peer->ifindex);
	return buf;
}

/* ---- attached program ---- */

static void prog_name(uint32_t id, char *buf, size_t n)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		snprintf(buf, n, "%.*s", (int)sizeof(info.name), info.name);
	close(fd);
}

int xdp_if_prog(uint32_t ifindex, struct xdp_if_prog *prog)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, opts);
	uint32_t id;
	int err;

	memset(prog, 0, sizeof(*prog));
	err = bpf_xdp_query(ifindex, 0, &opts);
	if (err)
		return err < 0 ? err : -EIO;
	prog->attach_mode = opts.attach_mode;
	prog->prog_id = opts.prog_id;
	prog->drv_prog_id = opts.drv_prog_id;
	prog->skb_prog_id = opts.skb_prog_id;
	prog->hw_prog_id = opts.hw_prog_id;
	id = opts.prog_id;
	if (!id)
		id = opts.drv_prog_id;
	if (!id)
		id = opts.skb_prog_id;
	if (!id)
		id = opts.hw_prog_id;
	if (id)
		prog_name(id, prog->name, sizeof(prog->name));
	return 0;
}

const char *xdp_attach_mode_name(uint8_t mode)
{
	switch (mode) {
	case XDP_ATTACHED_NONE:
		return "none";
	case XDP_ATTACHED_DRV:
		return "native";
	case XDP_ATTACHED_SKB:
		return "generic";
	case XDP_ATTACHED_HW:
		return "offload";
	case XDP_ATTACHED_MULTI:
		return "multi";
	}
	return "unknown";
}

/* ---- everything about one interface ---- */

int xdp_iface_query(const struct xdp_nl_dev *devs, size_t n,
		    uint32_t ifindex, struct xdp_iface *ifc)
{
	const struct xdp_nl_dev *dev;

	memset(ifc, 0, sizeof(*ifc));
	ifc->ifindex = ifindex;
	if (!if_indextoname(ifindex, ifc->name))
		return -ENODEV;
	if (xdp_if_driver(ifc->name, ifc->driver, sizeof(ifc->driver)) ==
	    -ENODEV)
		return -ENODEV;
	dev = xdp_nl_find(devs, n, ifindex);
	if (dev) {
		ifc->dev = *dev;
		ifc->has_dev = true;
	}
	ifc->prog_err = xdp_if_prog(ifindex, &ifc->prog);
	if (strcmp(ifc->driver, "veth") ||
	    xdp_if_veth_peer(ifindex, &ifc->peer))
		return 0;
	ifc->has_peer = true;
	if (!ifc->peer.other_ns &&
	    !xdp_if_prog(ifc->peer.ifindex, &ifc->peer_prog))
		ifc->has_peer_prog = true;
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	uint32_t x = ((const struct xdp_if_ref *)a)->ifindex;
	uint32_t y = ((const struct xdp_if_ref *)b)->ifindex;

	return x < y ? -1 : x > y;
}

int xdp_if_list(struct xdp_if_ref **list, size_t *n)
{
	struct if_nameindex *ni, *p;
	size_t count = 0;

	*list = NULL;
	*n = 0;
	ni = if_nameindex();
	if (!ni)
		return -errno;
	for (p = ni; p->if_index; p++)
		count++;
	*list = calloc(count ? count : 1, sizeof(**list));
	if (!*list) {
		if_freenameindex(ni);
		return -ENOMEM;
	}
	for (p = ni; p->if_index; p++, (*n)++) {
		(*list)[*n].ifindex = p->if_index;
		snprintf((*list)[*n].name, IF_NAMESIZE, "%s", p->if_name);
	}
	if_freenameindex(ni);
	qsort(*list, *n, sizeof(**list), cmp_ref);
	return 0;
}

/* ---- --probe ---- */

/*
 * libbpf's messages while probing: kept, not printed (the applet shows
 * them with -v), and the kernel's extack message picked out for notes.
 */
static char probe_log[4096];
static size_t probe_log_len;
static char probe_kmsg[128];

#define KMSG_PREFIX	"Kernel error message: "

static int probe_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	char line[512];
	const char *kmsg;
	size_t len;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	if (probe_log_len + len < sizeof(probe_log)) {
		memcpy(probe_log + probe_log_len, line, len + 1);
		probe_log_len += len;
	}
	/* The default print adds "libbpf: "; the message does not. */
	kmsg = strstr(line, KMSG_PREFIX);
	if (kmsg) {
		kmsg += strlen(KMSG_PREFIX);
		snprintf(probe_kmsg, sizeof(probe_kmsg), "%.*s",
			 (int)strcspn(kmsg, "\n"), kmsg);
	}
	return 0;
}

static libbpf_print_fn_t probe_log_start(void)
{
	probe_log[0] = '\0';
	probe_log_len = 0;
	probe_kmsg[0] = '\0';
	return libbpf_set_print(probe_print);
}

const char *xdp_probe_log(void)
{
	return probe_log;
}

int xdp_probe_load(void)
{
	libbpf_print_fn_t old = probe_log_start();
	struct netrace_bpf *skel;
	struct bpf_program *prog;
	struct bpf_map *map;
	int fd;

	skel = tracer_skel_open();
	if (!skel) {
		fd = -errno;
		goto out;
	}
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.xf_pass);
	/*
	 * xf_pass uses no map: create none of the applets' maps.  The
	 * global-data maps (.rodata) stay: libbpf before 1.3 mmap()s them
	 * in the skeleton load whether they were created or not.
	 */
	bpf_object__for_each_map(map, skel->obj)
		if (!bpf_map__is_internal(map))
			bpf_map__set_autocreate(map, false);
	fd = netrace_bpf__load(skel);
	if (!fd) {
		/* Our own fd: the skeleton and its copy go now. */
		fd = fcntl(bpf_program__fd(skel->progs.xf_pass),
			   F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			fd = -errno;
	}
	netrace_bpf__destroy(skel);
out:
	libbpf_set_print(old);
	return fd;
}

/* ": <kernel message>" when the kernel said why, else "". */
static const char *kmsg_suffix(char *buf, size_t n)
{
	if (probe_kmsg[0])
		snprintf(buf, n, ": %s", probe_kmsg);
	else if (n)
		buf[0] = '\0';
	return buf;
}

static void probe_attach_failed(int err, struct xdp_probe *p)
{
	char km[136];

	kmsg_suffix(km, sizeof(km));
	switch (err) {
	case -EBUSY:
	case -EEXIST:
		/* UPDATE_IF_NOEXIST: someone attached in the meantime. */
		p->res = XDP_PROBE_BUSY;
		snprintf(p->note, sizeof(p->note),
			 "probe refused: a program was attached meanwhile, not touched%s",
			 km);
		break;
	case -EOPNOTSUPP:
		p->res = XDP_PROBE_UNSUPPORTED;
		snprintf(p->note, sizeof(p->note),
			 "probe: the driver refused native XDP%s",
			 km[0] ? km : ": not supported");
		break;
	default:
		p->res = XDP_PROBE_ERROR;
		snprintf(p->note, sizeof(p->note),
			 "probe: attach failed (%s)%s", strerror(-err), km);
		break;
	}
}

void xdp_probe_iface(int prog_fd, uint32_t ifindex, struct xdp_probe *p)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, mine, .old_prog_fd = prog_fd);
	libbpf_print_fn_t old;
	struct xdp_if_prog cur;
	char km[136];
	int err;

	memset(p, 0, sizeof(*p));
	err = xdp_if_prog(ifindex, &cur);
	if (err) {
		p->res = XDP_PROBE_ERROR;
		snprintf(p->note, sizeof(p->note),
			 "probe: cannot tell whether a program is attached (%s), not touched",
			 strerror(-err));
		return;
	}
	if (cur.attach_mode != XDP_ATTACHED_NONE) {
		p->res = XDP_PROBE_BUSY;
		snprintf(p->note, sizeof(p->note),
			 "probe refused: program %u (%s) is attached, not touched",
			 cur.prog_id ? cur.prog_id : cur.drv_prog_id ?
			 cur.drv_prog_id : cur.skb_prog_id ? cur.skb_prog_id :
			 cur.hw_prog_id, xdp_attach_mode_name(cur.attach_mode));
		return;
	}
	old = probe_log_start();
	err = bpf_xdp_attach(ifindex, prog_fd,
			     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
			     NULL);
	if (err) {
		probe_attach_failed(err, p);
		goto out;
	}
	/* With old_prog_fd (XDP_FLAGS_REPLACE) only our own program goes. */
	err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, &mine);
	if (err) {
		p->res = XDP_PROBE_ERROR;
		snprintf(p->note, sizeof(p->note),
			 "probe: attached, but detaching failed (%s)%s",
			 strerror(-err), kmsg_suffix(km, sizeof(km)));
		goto out;
	}
	p->res = XDP_PROBE_OK;
out:
	libbpf_set_print(old);
}

const char *xdp_probe_res_name(enum xdp_probe_res res)
{
	switch (res) {
	case XDP_PROBE_OK:
		return "ok";
	case XDP_PROBE_UNSUPPORTED:
		return "unsupported";
	case XDP_PROBE_BUSY:
		return "busy";
	case XDP_PROBE_ERROR:
		return "error";
	case XDP_PROBE_NONE:
		break;
	}
	return NULL;
}
