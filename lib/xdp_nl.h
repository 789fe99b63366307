/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the running kernel says about XDP on each interface: the netdev
 * generic-netlink family (Linux 6.3+), the driver name (ethtool, sysfs),
 * the veth peer (rtnetlink) and the attached program (libbpf); whether
 * the table must stand in for the family; and --probe, which attaches
 * the shared BPF object's XDP_PASS program in driver mode for a moment.
 *
 * Every function returns 0 or a negative errno (or fills in a result
 * struct) and prints nothing; the caller decides what is worth a
 * message.  The message parsers are pure (a byte buffer in, a struct
 * out) so tests can feed them canned bytes.
 */
#ifndef NETRACE_XDP_NL_H
#define NETRACE_XDP_NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * include/uapi/linux/netdev.h, absent from the uapi headers of older
 * distributions, hence our own names.
 */
#define NR_NETDEV_FAMILY_NAME		"netdev"
#define NR_NETDEV_FAMILY_VERSION	1
#define NR_NETDEV_CMD_DEV_GET		1

enum {
	NR_NETDEV_A_DEV_IFINDEX = 1,
	NR_NETDEV_A_DEV_PAD,
	NR_NETDEV_A_DEV_XDP_FEATURES,
	NR_NETDEV_A_DEV_XDP_ZC_MAX_SEGS,
	NR_NETDEV_A_DEV_XDP_RX_METADATA_FEATURES,
	NR_NETDEV_A_DEV_XSK_FEATURES,
	NR_NETDEV_A_DEV__KNOWN = NR_NETDEV_A_DEV_XSK_FEATURES,
};

/* xdp-features bits (enum netdev_xdp_act) */
#define NR_XDP_F_BASIC		(1ULL << 0)
#define NR_XDP_F_REDIRECT	(1ULL << 1)
#define NR_XDP_F_NDO_XMIT	(1ULL << 2)
#define NR_XDP_F_XSK_ZEROCOPY	(1ULL << 3)
#define NR_XDP_F_HW_OFFLOAD	(1ULL << 4)
#define NR_XDP_F_RX_SG		(1ULL << 5)
#define NR_XDP_F_NDO_XMIT_SG	(1ULL << 6)

/* xdp-rx-metadata-features bits (enum netdev_xdp_rx_metadata) */
#define NR_XDP_RXMD_TIMESTAMP	(1ULL << 0)
#define NR_XDP_RXMD_HASH	(1ULL << 1)
#define NR_XDP_RXMD_VLAN_TAG	(1ULL << 2)

/* xsk-features bits (enum netdev_xsk_flags) */
#define NR_XSK_F_TX_TIMESTAMP		(1ULL << 0)
#define NR_XSK_F_TX_CHECKSUM		(1ULL << 1)
#define NR_XSK_F_TX_LAUNCH_TIME_FIFO	(1ULL << 2)

/* One dev-get reply.  Attributes 4-6 came in later kernels than 3. */
struct xdp_nl_dev {
	uint32_t ifindex;
	uint64_t xdp_features;
	uint32_t zc_max_segs;
	uint64_t rx_metadata;
	uint64_t xsk_features;
	bool has_zc_max_segs;
	bool has_rx_metadata;
	bool has_xsk_features;
};

struct xdp_nl {
	int fd;			/* a NETLINK_GENERIC socket, while open */
	bool open;		/* false in a zeroed struct: nothing to close */
	uint16_t family;
	uint32_t seq;
};

/*
 * Open a generic-netlink socket and resolve "netdev".  -ENOENT means the
 * kernel has no such family (before 6.3): fall back to the table.  On
 * error nothing is left open.
 */
int xdp_nl_open(struct xdp_nl *nl);
void xdp_nl_close(struct xdp_nl *nl);

/*
 * Dump dev-get for every device of the current network namespace into a
 * malloc'ed array (*devs, free() it), in the kernel's order.  After an
 * error, replies may be left unread on the socket: close it.
 */
int xdp_nl_dump(struct xdp_nl *nl, struct xdp_nl_dev **devs, size_t *n);
/*
 * dev-get for one device: for an interface the dump did not list (it
 * appeared meanwhile).  -ENODEV when the kernel has no such device.
 */
int xdp_nl_get(struct xdp_nl *nl, uint32_t ifindex, struct xdp_nl_dev *dev);
const struct xdp_nl_dev *xdp_nl_find(const struct xdp_nl_dev *devs,
				     size_t n, uint32_t ifindex);

/*
 * Parse one dev-get reply (nlmsghdr + genlmsghdr + attributes) of len
 * bytes at a 4-aligned buf.  -EBADMSG for anything truncated or malformed, or without
 * ifindex or xdp-features (the kernel always sends both); unknown
 * attributes are skipped.
 */
int xdp_nl_parse_dev(const void *buf, size_t len, struct xdp_nl_dev *dev);
/* Parse a CTRL_CMD_GETFAMILY reply: the family id, or -EBADMSG. */
int xdp_nl_parse_family(const void *buf, size_t len, uint16_t *id);

struct nlmsghdr;
/* Called for each data message of a reply: 0 or a negative errno. */
typedef int (*xdp_nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * Hand each data message of one datagram of len bytes (at a 4-aligned
 * dgram), the reply to request seq on port portid, to cb.  1: the reply
 * goes on in the next datagram; 0: it is over (NLMSG_DONE, or the ACK);
 * or -errno: from cb, from the kernel, or for a datagram that is not
 * whole messages.  What every request does with what it reads; pure, so
 * the fuzzer can feed it any bytes.
 */
int xdp_nl_run(const void *dgram, size_t len, uint32_t seq, uint32_t portid,
	       xdp_nl_msg_cb cb, void *data);

/* Where an interface's flags come from. */
enum xdp_src {
	XDP_SRC_KERNEL,		/* the netdev family: live flags */
	XDP_SRC_TABLE,		/* the reference table stands in */
};

/*
 * The fallback decision, from the result of xdp_nl_open() (or of the
 * dump after it): 0 is the kernel; -ENOENT (no family: Linux before 6.3)
 * and any other error make the table stand in, with why (for the line
 * that says so) written into why.  Pure, for the unit tests.
 */
enum xdp_src xdp_nl_source(int err, char *why, size_t n);
/* "kernel" or "table" (the JSON "source" value). */
const char *xdp_src_name(enum xdp_src src);

/* Which of the three bit sets a bit belongs to, for naming. */
enum xdp_bitset {
	XDP_BITS_FEATURES,	/* xdp-features */
	XDP_BITS_RX_METADATA,	/* xdp-rx-metadata-features */
	XDP_BITS_XSK,		/* xsk-features */
};

/*
 * Name of bit number bit (0..63) of set: "basic", or "bit10" (written into
 * buf, which needs 6 bytes) for a bit this build does not know.
 */
const char *xdp_bit_name(enum xdp_bitset set, unsigned int bit, char *buf,
			 size_t n);
/*
 * Names of every bit set in mask, lowest first, joined by sep:
 * "basic,redirect,xsk-zerocopy,rx-sg"; "" for 0.  Returns the length, or
 * -ENOSPC when it did not fit (buf then holds a truncated string).
 */
int xdp_bits_str(enum xdp_bitset set, uint64_t mask, const char *sep,
		 char *buf, size_t n);

/*
 * Driver name of an interface: ethtool ETHTOOL_GDRVINFO, else the
 * basename of /sys/class/net/IFACE/device/driver.  A device with neither
 * (lo) gives 0 and "".  -ENODEV when there is no such interface.
 */
#define XDP_DRIVER_LEN	32
int xdp_if_driver(const char *ifname, char *buf, size_t n);

/* One RTM_NEWLINK message, as much of it as the peer lookup needs. */
struct xdp_nl_link {
	uint32_t ifindex;
	char ifname[IF_NAMESIZE];
	char kind[16];		/* IFLA_INFO_KIND, "" without IFLA_LINKINFO */
	bool has_link;
	uint32_t link;		/* IFLA_LINK: the veth peer's ifindex */
	bool has_netnsid;
	int32_t netnsid;	/* IFLA_LINK_NETNSID: peer in another netns */
};

/* Parse an RTM_NEWLINK message of len bytes, or -EBADMSG. */
int xdp_nl_parse_link(const void *buf, size_t len, struct xdp_nl_link *link);

struct xdp_if_peer {
	uint32_t ifindex;	/* in the peer's own namespace */
	bool other_ns;		/* then name is "" */
	char name[IF_NAMESIZE];
};

/*
 * The peer of a veth device, from IFLA_LINK.  -ENOENT when the device is
 * not a veth or has no peer.
 */
int xdp_if_veth_peer(uint32_t ifindex, struct xdp_if_peer *peer);
/* "veth1", or "ifindex 7 in another namespace"; returns buf. */
const char *xdp_if_peer_label(const struct xdp_if_peer *peer, char *buf,
			      size_t n);

/* What bpf_xdp_query() reports for one interface. */
struct xdp_if_prog {
	uint8_t attach_mode;	/* XDP_ATTACHED_* of <linux/if_link.h> */
	uint32_t prog_id;	/* the program when only one mode is used */
	uint32_t drv_prog_id;	/* native (driver) mode */
	uint32_t skb_prog_id;	/* generic mode */
	uint32_t hw_prog_id;	/* offloaded */
	char name[16];		/* of prog_id, else the first mode's; may
				 * stay "" when the id vanished meanwhile */
};

int xdp_if_prog(uint32_t ifindex, struct xdp_if_prog *prog);
/* "none", "native", "generic", "offload", "multi", or "unknown". */
const char *xdp_attach_mode_name(uint8_t mode);

/* Everything the kernel tells about one interface, for the applet. */
struct xdp_iface {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	char driver[XDP_DRIVER_LEN];	/* "" for none (lo) */
	bool has_dev;			/* the netdev family listed it */
	struct xdp_nl_dev dev;
	struct xdp_if_prog prog;
	bool has_peer;			/* a veth with a peer */
	struct xdp_if_peer peer;
	bool has_peer_prog;		/* peer in this namespace: queried */
	struct xdp_if_prog peer_prog;
	int prog_err;			/* 0, or why prog is unknown */
};

/*
 * Fill *ifc for ifindex: devs/n from xdp_nl_dump() (NULL/0 without the
 * netdev family), then driver, program, and for a veth its peer and the
 * peer's program.  Fails only when the interface vanished (-ENODEV);
 * other lookups that fail leave their part empty.
 */
int xdp_iface_query(const struct xdp_nl_dev *devs, size_t n,
		    uint32_t ifindex, struct xdp_iface *ifc);

/* An interface by index, with the name it had when it was listed. */
struct xdp_if_ref {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
};

/*
 * Every interface of the current network namespace, by ifindex
 * (ascending), into a malloc'ed array (*list, free() it).
 */
int xdp_if_list(struct xdp_if_ref **list, size_t *n);

/* ---- --probe: native XDP for a moment ---- */

enum xdp_probe_res {
	XDP_PROBE_NONE,		/* not probed */
	XDP_PROBE_OK,		/* attached in driver mode and detached */
	XDP_PROBE_UNSUPPORTED,	/* the driver refused native XDP */
	XDP_PROBE_BUSY,		/* a program was attached: not touched */
	XDP_PROBE_ERROR,	/* anything else; note says what */
};

struct xdp_probe {
	enum xdp_probe_res res;
	char note[320];		/* "" for ok; else what happened, why */
};

/*
 * Load xf_pass, the XDP_PASS program of the shared BPF object, and no
 * other program or map: its fd (close it), or a negative errno.  libbpf's
 * messages are kept for xdp_probe_log(), never printed.
 */
int xdp_probe_load(void);
/*
 * Attach prog_fd to ifindex in driver mode (XDP_FLAGS_UPDATE_IF_NOEXIST,
 * so a program attached meanwhile is never replaced), then detach it
 * (only if it is still ours).  An interface that has a program in any
 * mode is refused without being touched.
 */
void xdp_probe_iface(int prog_fd, uint32_t ifindex, struct xdp_probe *p);
/* "ok", "unsupported", "busy", "error"; NULL for XDP_PROBE_NONE. */
const char *xdp_probe_res_name(enum xdp_probe_res res);
/* libbpf's messages of the last xdp_probe_load() or _iface(), or "". */
const char *xdp_probe_log(void);

#endif
