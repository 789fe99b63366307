// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Netlink the long way, for the xdpfeatures suite: plain sockets and the
 * uapi structs, none of netrace's (or libmnl's) code.
 *
 * An independent reader of the netdev generic-netlink family, to hold
 * netrace's output against; and the few rtnetlink requests the fixtures
 * need (veth pairs, links up, into another namespace, deleted), so the
 * suite needs no iproute2: the test VMs have only busybox's ip, which
 * cannot name a veth peer.
 */
#ifndef NR_IT_XDP_NETLINK_H
#define NR_IT_XDP_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

/* What dev-get says about one device. */
struct xg_dev {
	uint64_t xdp_features;
	bool has_zc_max_segs, has_rx_metadata, has_xsk_features;
	uint32_t zc_max_segs;
	uint64_t rx_metadata, xsk_features;
};

/*
 * dev-get for ifindex: 0, -ENOENT when the kernel has no netdev family
 * (before 6.3), -ENODEV for no such device, or another negative errno.
 */
int xg_dev_get(uint32_t ifindex, struct xg_dev *dev);
/* Does this kernel have the netdev family at all? */
bool xg_have_family(void);

/* rtnetlink, in the caller's network namespace: 0 or a negative errno. */
int xr_veth_add(const char *name, const char *peer);
int xr_link_del(const char *name);
int xr_link_up(const char *name);
/* Move name into the namespace of netns_fd (/proc/.../ns/net). */
int xr_link_netns(const char *name, int netns_fd);

#endif
