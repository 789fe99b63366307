/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small netlink message builder for canned replies: test_xdp_nl's
 * messages and fuzz_xdpnl's seeds.  No bounds checks: callers build
 * messages they know fit.
 */
#ifndef NETRACE_NLMSG_FIXTURE_H
#define NETRACE_NLMSG_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#define NLMSG_FIXTURE_FAMILY	20	/* the netdev family's id */
#define NLMSG_FIXTURE_SEQ	7	/* every message answers request 7 */
#define NLMSG_FIXTURE_PORTID	4242	/* from the socket of port 4242 */

struct msg {
	_Alignas(4) uint8_t buf[1024];
	size_t len;
};

/* A message of type with extra zeroed bytes of family header. */
void msg_start(struct msg *m, uint16_t type, size_t extra);
/* A netdev dev-get message: msg_start() and its genlmsghdr. */
void msg_genl(struct msg *m);
/* An attribute with nla_len as given, payload of plen bytes, padded. */
void msg_attr_raw(struct msg *m, uint16_t type, uint16_t nla_len,
		  const void *payload, size_t plen);
void msg_attr(struct msg *m, uint16_t type, const void *p, size_t n);
void msg_u32(struct msg *m, uint16_t type, uint32_t v);
void msg_u64(struct msg *m, uint16_t type, uint64_t v);
/* Open a nest of type: its offset, for msg_nest_end(). */
size_t msg_nest_start(struct msg *m, uint16_t type);
void msg_nest_end(struct msg *m, size_t nest);
/* Overwrite nla_len of the attribute at off. */
void msg_set_nla_len(struct msg *m, size_t off, uint16_t len);
/* Set nlmsg_len to what was built. */
void msg_end(struct msg *m);

/* What one recvmsg() on a netlink socket gives: messages one after another. */
struct dgram {
	_Alignas(4) uint8_t buf[4096];
	size_t len;
};

/* Append m with flags, addressed to NLMSG_FIXTURE_PORTID as the kernel does. */
void dgram_add(struct dgram *d, const struct msg *m, uint16_t flags);

#endif
