// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nlmsg_fixture.h"
#include "xdp_nl.h"

void msg_start(struct msg *m, uint16_t type, size_t extra)
{
	struct nlmsghdr nlh = {
		.nlmsg_type = type,
		.nlmsg_seq = NLMSG_FIXTURE_SEQ,
	};

	memset(m, 0, sizeof(*m));
	memcpy(m->buf, &nlh, sizeof(nlh));
	m->len = NLMSG_ALIGN(sizeof(nlh) + extra);
}

void msg_genl(struct msg *m)
{
	struct genlmsghdr genl = { .cmd = NR_NETDEV_CMD_DEV_GET, .version = 1 };

	msg_start(m, NLMSG_FIXTURE_FAMILY, sizeof(genl));
	memcpy(m->buf + NLMSG_HDRLEN, &genl, sizeof(genl));
}

void msg_attr_raw(struct msg *m, uint16_t type, uint16_t nla_len,
		  const void *payload, size_t plen)
{
	struct nlattr nla = { .nla_len = nla_len, .nla_type = type };

	memcpy(m->buf + m->len, &nla, sizeof(nla));
	if (plen)
		memcpy(m->buf + m->len + sizeof(nla), payload, plen);
	m->len += NLA_ALIGN(sizeof(nla) + plen);
}

void msg_attr(struct msg *m, uint16_t type, const void *p, size_t n)
{
	msg_attr_raw(m, type, NLA_HDRLEN + n, p, n);
}

void msg_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_attr(m, type, &v, sizeof(v));
}

void msg_u64(struct msg *m, uint16_t type, uint64_t v)
{
	msg_attr(m, type, &v, sizeof(v));
}

size_t msg_nest_start(struct msg *m, uint16_t type)
{
	size_t nest = m->len;

	/* the kernel sets NLA_F_NESTED on the nests it builds today */
	msg_attr(m, type | NLA_F_NESTED, NULL, 0);
	return nest;
}

void msg_nest_end(struct msg *m, size_t nest)
{
	msg_set_nla_len(m, nest, m->len - nest);
}

void msg_set_nla_len(struct msg *m, size_t off, uint16_t len)
{
	memcpy(m->buf + off, &len, sizeof(len));
}

void msg_end(struct msg *m)
{
	uint32_t len = m->len;

	memcpy(m->buf, &len, sizeof(len));
}

void dgram_add(struct dgram *d, const struct msg *m, uint16_t flags)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(d->buf + d->len);

	memcpy(nlh, m->buf, m->len);
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_pid = NLMSG_FIXTURE_PORTID;
	d->len += NLMSG_ALIGN(m->len);
}
