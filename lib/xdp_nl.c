// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP facts from the running kernel: the netdev generic-netlink family,
 * ethtool, rtnetlink and libbpf.  See xdp_nl.h.
 *
 * Netlink is spoken on plain AF_NETLINK sockets with the uapi macros
 * alone, no libmnl: Debian and RHEL ship no libmnl.a, and the binary must
 * also link fully statically.
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
 * One attribute as attr_next() hands it out.  The type has NLA_F_NESTED
 * and NLA_F_NET_BYTEORDER masked off: a kernel that sets them still means
 * the same attribute.  len excludes the header and the padding.
 */
struct nl_attr {
	uint16_t type;
	const void *data;
	size_t len;
};

/* A cursor over the attributes of one message or one nest. */
struct attr_iter {
	const char *pos;
	const char *end;
};

static void attr_iter_init(struct attr_iter *it, const void *buf, size_t len)
{
	it->pos = buf;
	it->end = (const char *)buf + len;
}

/*
 * The one place that walks attributes: every parser calls it until it
 * returns 0.  Returns 1 with the next attribute in *a, 0 once the walk has
 * reached exactly the end of the region, or -EBADMSG.
 *
 * Every attribute must hold its own header (nla_len >= NLA_HDRLEN) and
 * lie wholly inside the region, so a nest is bounded by its own length,
 * not the message's.  Bytes left over that cannot be an attribute are an
 * error rather than a quiet stop: a message cut inside an attribute must
 * not pass for a shorter good one.  Only the last attribute may lack its
 * padding, as the kernel's nla_ok() allows (a nest's length need not be
 * a multiple of 4).
 */
static int attr_next(struct attr_iter *it, struct nl_attr *a)
{
	size_t left = it->end - it->pos;
	const struct nlattr *nla = (const void *)it->pos;
	size_t len;

	if (!left)
		return 0;
	/* only now is there a header to read */
	if (left < (size_t)NLA_HDRLEN)
		return -EBADMSG;
	len = nla->nla_len;
	if (len < (size_t)NLA_HDRLEN || len > left)
		return -EBADMSG;
	a->type = nla->nla_type & NLA_TYPE_MASK;
	a->data = it->pos + NLA_HDRLEN;
	a->len = len - NLA_HDRLEN;
	if ((size_t)NLA_ALIGN(len) < left)
		it->pos += NLA_ALIGN(len);
	else
		it->pos = it->end;
	return 1;
}

/*
 * A fixed-size payload (u16, u32, u64): exactly n bytes, as the kernel
 * sends it.  Copied, because a u64 payload is only 4-aligned.
 */
static int attr_get(const struct nl_attr *a, void *v, size_t n)
{
	if (a->len != n)
		return -EBADMSG;
	memcpy(v, a->data, n);
	return 0;
}

/* A NUL-terminated string, copied into dst (cut to fit). */
static int attr_str(const struct nl_attr *a, char *dst, size_t n)
{
	const char *s = a->data;

	if (!a->len || s[a->len - 1] != '\0')
		return -EBADMSG;
	snprintf(dst, n, "%s", s);
	return 0;
}

/*
 * Check one message of len bytes (at a 4-aligned buf) with at least
 * hdrlen bytes of family header at NLMSG_DATA: its header, with *it set
 * to walk its attributes, or NULL.  An unaligned nlmsg_len is refused:
 * the kernel never sends one, and so the last attribute of a message
 * always ends, padded, exactly at nlmsg_len.
 */
static const struct nlmsghdr *msg_check(const void *buf, size_t len,
					size_t hdrlen, struct attr_iter *it)
{
	const struct nlmsghdr *nlh = buf;
	size_t off = NLMSG_SPACE(hdrlen);

	if (!buf || len < NLMSG_HDRLEN)
		return NULL;
	if (nlh->nlmsg_len > len || nlh->nlmsg_len < off ||
	    nlh->nlmsg_len % NLMSG_ALIGNTO)
		return NULL;
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return NULL;
	attr_iter_init(it, (const char *)buf + off, nlh->nlmsg_len - off);
	return nlh;
}

/* ---- pure parsers ---- */

int xdp_nl_parse_dev(const void *buf, size_t len, struct xdp_nl_dev *dev)
{
	bool has_ifindex = false, has_features = false;
	struct attr_iter it;
	struct nl_attr a;
	int ret;

	memset(dev, 0, sizeof(*dev));
	if (!msg_check(buf, len, sizeof(struct genlmsghdr), &it))
		return -EBADMSG;
	while ((ret = attr_next(&it, &a)) > 0) {
		switch (a.type) {
		case NR_NETDEV_A_DEV_IFINDEX:
			ret = attr_get(&a, &dev->ifindex, sizeof(dev->ifindex));
			has_ifindex = true;
			break;
		case NR_NETDEV_A_DEV_XDP_FEATURES:
			ret = attr_get(&a, &dev->xdp_features,
				       sizeof(dev->xdp_features));
			has_features = true;
			break;
		case NR_NETDEV_A_DEV_XDP_ZC_MAX_SEGS:
			ret = attr_get(&a, &dev->zc_max_segs,
				       sizeof(dev->zc_max_segs));
			dev->has_zc_max_segs = true;
			break;
		case NR_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES:
			ret = attr_get(&a, &dev->rx_metadata,
				       sizeof(dev->rx_metadata));
			dev->has_rx_metadata = true;
			break;
		case NR_NETDEV_A_DEV_XSK_FEATURES:
			ret = attr_get(&a, &dev->xsk_features,
				       sizeof(dev->xsk_features));
			dev->has_xsk_features = true;
			break;
		default:
			/* pad, and whatever newer kernels add */
			ret = 0;
			break;
		}
		if (ret)
			break;
	}
	/* the kernel always sends both; ifindex 0 names no device */
	if (ret || !has_ifindex || !dev->ifindex || !has_features) {
		memset(dev, 0, sizeof(*dev));
		return -EBADMSG;
	}
	return 0;
}

int xdp_nl_parse_family(const void *buf, size_t len, uint16_t *id)
{
	struct attr_iter it;
	struct nl_attr a;
	bool has_id = false;
	uint16_t v = 0;
	int ret;

	if (!msg_check(buf, len, sizeof(struct genlmsghdr), &it))
		return -EBADMSG;
	while ((ret = attr_next(&it, &a)) > 0) {
		if (a.type != CTRL_ATTR_FAMILY_ID)
			continue;
		ret = attr_get(&a, &v, sizeof(v));
		if (ret)
			break;
		has_id = true;
	}
	/* ids below NLMSG_MIN_TYPE are netlink's own control messages */
	if (ret || !has_id || v < NLMSG_MIN_TYPE)
		return -EBADMSG;
	*id = v;
	return 0;
}

/* IFLA_LINKINFO: only IFLA_INFO_KIND matters, but the whole nest is checked. */
static int parse_linkinfo(const struct nl_attr *nest, struct xdp_nl_link *link)
{
	struct attr_iter it;
	struct nl_attr a;
	int ret;

	attr_iter_init(&it, nest->data, nest->len);
	while ((ret = attr_next(&it, &a)) > 0) {
		if (a.type != IFLA_INFO_KIND)
			continue;
		ret = attr_str(&a, link->kind, sizeof(link->kind));
		if (ret)
			break;
	}
	return ret;
}

int xdp_nl_parse_link(const void *buf, size_t len, struct xdp_nl_link *link)
{
	const struct ifinfomsg *ifm;
	const struct nlmsghdr *nlh;
	struct attr_iter it;
	struct nl_attr a;
	uint32_t v = 0;
	int ret;

	memset(link, 0, sizeof(*link));
	nlh = msg_check(buf, len, sizeof(*ifm), &it);
	if (!nlh || nlh->nlmsg_type != RTM_NEWLINK)
		return -EBADMSG;
	ifm = NLMSG_DATA(nlh);
	link->ifindex = ifm->ifi_index;
	while ((ret = attr_next(&it, &a)) > 0) {
		switch (a.type) {
		case IFLA_IFNAME:
			ret = attr_str(&a, link->ifname, sizeof(link->ifname));
			break;
		case IFLA_LINK:
			ret = attr_get(&a, &link->link, sizeof(link->link));
			link->has_link = true;
			break;
		case IFLA_LINK_NETNSID:
			ret = attr_get(&a, &v, sizeof(v));
			link->netnsid = (int32_t)v;
			link->has_netnsid = true;
			break;
		case IFLA_LINKINFO:
			ret = parse_linkinfo(&a, link);
			break;
		default:
			ret = 0;
			break;
		}
		if (ret)
			break;
	}
	if (ret) {
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
 * A request: netlink header, family header and an attribute or two.  The
 * union keeps it aligned for struct nlmsghdr.
 */
struct nl_req {
	union {
		struct nlmsghdr nlh;
		char buf[128];
	};
};

/* Start a request with a zeroed family header of hdrlen bytes; returns it. */
static void *req_start(struct nl_req *r, uint16_t type, uint16_t flags,
		       uint32_t seq, size_t hdrlen)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_SPACE(hdrlen);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->nlh.nlmsg_seq = seq;
	return NLMSG_DATA(&r->nlh);
}

/* Append an attribute; padding stays zero from req_start(). */
static int req_attr(struct nl_req *r, uint16_t type, const void *data,
		    size_t len)
{
	struct nlattr nla = { .nla_type = type };

	if (len > sizeof(r->buf) ||
	    r->nlh.nlmsg_len + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(r->buf))
		return -EMSGSIZE;
	nla.nla_len = NLA_HDRLEN + len;
	memcpy(r->buf + r->nlh.nlmsg_len, &nla, sizeof(nla));
	memcpy(r->buf + r->nlh.nlmsg_len + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len += NLA_ALIGN(nla.nla_len);
	return 0;
}

static void genl_req(struct nl_req *r, uint16_t type, uint16_t flags,
		     uint8_t cmd, uint8_t version, uint32_t seq)
{
	struct genlmsghdr *genl = req_start(r, type, flags, seq, sizeof(*genl));

	genl->cmd = cmd;
	genl->version = version;
}

/* A socket on bus, bound to a port id the kernel picks: the fd, or -errno. */
static int nl_socket(int bus)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int nl_portid(int fd, uint32_t *portid)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	if (len != sizeof(sa) || sa.nl_family != AF_NETLINK)
		return -EINVAL;
	*portid = sa.nl_pid;
	return 0;
}

/*
 * One datagram from the kernel: its length or -errno.  -ENOSPC when it
 * did not fit in size bytes: a cut reply must not be parsed.  Datagrams
 * from other sockets (any process may send to our port) are dropped.
 */
static ssize_t nl_recv(int fd, void *buf, size_t size)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t len;

	for (;;) {
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		len = recvmsg(fd, &msg, 0);
		if (len < 0)
			return -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -ENOSPC;
		if (msg.msg_namelen != sizeof(from))
			return -EINVAL;
		if (!from.nl_pid)
			return len;
	}
}

/*
 * NLMSG_ERROR: error 0 is the ACK that ends a request, anything else the
 * kernel's errno (some subsystems send it positive).
 */
static int nl_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EBADMSG;
	if (e->error > 0 && e->error < 4096)
		return -e->error;
	if (e->error < 0 && e->error > -4096)
		return e->error;
	return e->error ? -EPROTO : 0;
}

int xdp_nl_run(const void *dgram, size_t len, uint32_t seq, uint32_t portid,
	       xdp_nl_msg_cb cb, void *data)
{
	const char *buf = dgram;
	const struct nlmsghdr *nlh;
	size_t off, mlen;
	int ret;

	/* NLMSG_OK()/NEXT() mix int and __u32: walk with sizes instead */
	for (off = 0; off < len; off += NLMSG_ALIGN(mlen)) {
		nlh = (const struct nlmsghdr *)(buf + off);
		if (len - off < NLMSG_HDRLEN)
			return -EBADMSG;
		mlen = nlh->nlmsg_len;
		if (mlen < NLMSG_HDRLEN || mlen > len - off)
			return -EBADMSG;
		/*
		 * Only the kernel gets through nl_recv(); an answer to another
		 * port or request is a bug.  0 passes, as it did with libmnl.
		 */
		if (nlh->nlmsg_pid && nlh->nlmsg_pid != portid)
			return -ESRCH;
		if (nlh->nlmsg_seq && nlh->nlmsg_seq != seq)
			return -EPROTO;
		/* the devices changed during the dump: it is not consistent */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;
		switch (nlh->nlmsg_type) {
		case NLMSG_DONE:
			return 0;
		case NLMSG_ERROR:
			return nl_error(nlh);
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			break;
		default:
			/* other types below NLMSG_MIN_TYPE are reserved */
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				break;
			ret = cb(nlh, data);
			if (ret)
				return ret;
			break;
		}
	}
	return 1;
}

/* Send req and feed every reply to cb until the ACK or NLMSG_DONE. */
static int nl_talk(int fd, const struct nlmsghdr *req, xdp_nl_msg_cb cb,
		   void *data)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t portid = 0;
	ssize_t len;
	char *buf;
	int ret;

	ret = nl_portid(fd, &portid);
	if (ret)
		return ret;
	buf = malloc(NL_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		len = nl_recv(fd, buf, NL_BUF_SIZE);
		if (len < 0) {
			ret = len;
			break;
		}
		ret = xdp_nl_run(buf, len, req->nlmsg_seq, portid, cb, data);
	} while (ret > 0);
out:
	free(buf);
	return ret;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return xdp_nl_parse_family(nlh, nlh->nlmsg_len, data);
}

static int resolve_family(struct xdp_nl *nl)
{
	struct nl_req r;
	int err;

	genl_req(&r, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1,
		 ++nl->seq);
	err = req_attr(&r, CTRL_ATTR_FAMILY_NAME, NR_NETDEV_FAMILY_NAME,
		       sizeof(NR_NETDEV_FAMILY_NAME));
	if (err)
		return err;
	nl->family = 0;
	/* An unknown family comes back as NLMSG_ERROR -ENOENT. */
	return nl_talk(nl->fd, &r.nlh, family_cb, &nl->family);
}

int xdp_nl_open(struct xdp_nl *nl)
{
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->fd = nl_socket(NETLINK_GENERIC);
	if (nl->fd < 0)
		return nl->fd;
	nl->open = true;
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
	if (nl->open)
		close(nl->fd);
	nl->open = false;
	nl->fd = -1;
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
		if (!grown)
			return -ENOMEM;
		l->devs = grown;
	}
	err = xdp_nl_parse_dev(nlh, nlh->nlmsg_len, &l->devs[l->n]);
	if (err)
		return err;
	l->n++;
	return 0;
}

int xdp_nl_dump(struct xdp_nl *nl, struct xdp_nl_dev **devs, size_t *n)
{
	struct dev_list l = { 0 };
	struct nl_req r;
	int err;

	*devs = NULL;
	*n = 0;
	if (!nl->open)
		return -EBADF;
	genl_req(&r, nl->family, NLM_F_DUMP, NR_NETDEV_CMD_DEV_GET,
		 NR_NETDEV_FAMILY_VERSION, ++nl->seq);
	err = nl_talk(nl->fd, &r.nlh, dev_cb, &l);
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

	if (err)
		return err;
	r->got = true;
	return 0;
}

int xdp_nl_get(struct xdp_nl *nl, uint32_t ifindex, struct xdp_nl_dev *dev)
{
	struct dev_one one = { .dev = dev };
	struct nl_req r;
	int err;

	memset(dev, 0, sizeof(*dev));
	if (!nl->open)
		return -EBADF;
	/* A "doit" sends no NLMSG_DONE: the ACK ends the exchange. */
	genl_req(&r, nl->family, NLM_F_ACK, NR_NETDEV_CMD_DEV_GET,
		 NR_NETDEV_FAMILY_VERSION, ++nl->seq);
	err = req_attr(&r, NR_NETDEV_A_DEV_IFINDEX, &ifindex, sizeof(ifindex));
	if (err)
		return err;
	err = nl_talk(nl->fd, &r.nlh, dev_one_cb, &one);
	if (!err && (!one.got || dev->ifindex != ifindex))
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
		return 0;
	err = xdp_nl_parse_link(nlh, nlh->nlmsg_len, r->link);
	if (err)
		return err;
	r->got = true;
	return 0;
}

static int rtnl_getlink(uint32_t ifindex, struct xdp_nl_link *link)
{
	struct link_reply reply = { .link = link };
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;
	struct ifinfomsg *ifm;
	struct nl_req r;
	int fd, err;

	memset(link, 0, sizeof(*link));
	ifm = req_start(&r, RTM_GETLINK, NLM_F_ACK, time(NULL), sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	err = req_attr(&r, IFLA_EXT_MASK, &mask, sizeof(mask));
	if (err)
		return err;
	fd = nl_socket(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = nl_talk(fd, &r.nlh, link_cb, &reply);
	close(fd);
	if (!err && !reply.got)
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

	/* xf_pass uses no kernel type: do not let libbpf read them. */
	skel = tracer_skel_open(true);
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

/*
 * Attach natively through a BPF link and detach by closing it: 0, or the
 * attach's -errno (-EINVAL: the kernel has no XDP links).  An XDP program
 * attached over netlink stays on the interface until someone detaches
 * it, so a probe killed (SIGKILL, or SIGINT, SIGTERM: xdpfeatures does
 * not catch them) between its attach and its detach left it there for
 * good, and later probes refused the interface as busy.  A link goes
 * when its last descriptor closes, whatever ends the process.  A link
 * never replaces a program: one attached meanwhile is EBUSY or EEXIST,
 * as with XDP_FLAGS_UPDATE_IF_NOEXIST.
 */
static int probe_by_link(int prog_fd, uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
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
	err = probe_by_link(prog_fd, ifindex);
	if (err != -EINVAL) {
		if (err)
			probe_attach_failed(err, p);
		else
			p->res = XDP_PROBE_OK;
		goto out;
	}
	/* Before Linux 5.9 (no XDP links): netlink, which outlives us. */
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
