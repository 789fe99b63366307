// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for xdpfeatures' netlink replies (lib/xdp_nl.c): every
 * input is one datagram read from a netlink socket, the answer to request
 * NLMSG_FIXTURE_SEQ on port NLMSG_FIXTURE_PORTID (nlmsg_fixture.h, which
 * builds the seeds).  xdp_nl_run() walks it as every request does and
 * hands each data message to the parser its type calls for (type 16:
 * CTRL_CMD_GETFAMILY or RTM_NEWLINK, else netdev dev-get), stopping at an
 * error as the callbacks of xdp_nl.c do; each message, and the whole
 * input, also goes to the other parsers.  Built and run like fuzz_dns
 * (tests/fuzz/CMakeLists.txt, run.sh).
 *
 * Beyond memory safety it checks the contract and aborts when it breaks:
 *  - xdp_nl_run() hands over only whole messages inside the datagram, of
 *    a data type, and returns 1, 0, a callback's error or another errno;
 *  - a parser returns 0 or -EBADMSG; after -EBADMSG the result is zeroed
 *    (the family id untouched), after 0 it is one a caller can use: a
 *    device with an ifindex, a family id above the control messages,
 *    interface name and kind NUL-terminated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "nlmsg_fixture.h"
#include "xdp_nl.h"

#define FAMILY_UNSET	0xffff

struct walk {
	const uint8_t *buf;
	size_t len;
	int last_err;	/* the last callback's error */
};

static void die(const char *why)
{
	fprintf(stderr, "fuzz_xdp_nl: %s\n", why);
	abort();
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static int check_dev(const void *buf, size_t len)
{
	struct xdp_nl_dev dev;
	int r = xdp_nl_parse_dev(buf, len, &dev);

	if (r && r != -EBADMSG)
		die("xdp_nl_parse_dev: neither 0 nor -EBADMSG");
	if (r && !all_zero(&dev, sizeof(dev)))
		die("xdp_nl_parse_dev: -EBADMSG left a device behind");
	if (!r && !dev.ifindex)
		die("xdp_nl_parse_dev: a device without ifindex");
	return r;
}

static int check_family(const void *buf, size_t len)
{
	uint16_t id = FAMILY_UNSET;
	int r = xdp_nl_parse_family(buf, len, &id);

	if (r && r != -EBADMSG)
		die("xdp_nl_parse_family: neither 0 nor -EBADMSG");
	if (r && id != FAMILY_UNSET)
		die("xdp_nl_parse_family: -EBADMSG set the id");
	if (!r && id < NLMSG_MIN_TYPE)
		die("xdp_nl_parse_family: a control message's id");
	return r;
}

static int check_link(const void *buf, size_t len)
{
	struct xdp_nl_link link;
	int r = xdp_nl_parse_link(buf, len, &link);

	if (r && r != -EBADMSG)
		die("xdp_nl_parse_link: neither 0 nor -EBADMSG");
	if (r && !all_zero(&link, sizeof(link)))
		die("xdp_nl_parse_link: -EBADMSG left a link behind");
	if (!r && (strnlen(link.ifname, sizeof(link.ifname)) ==
		   sizeof(link.ifname) ||
		   strnlen(link.kind, sizeof(link.kind)) == sizeof(link.kind)))
		die("xdp_nl_parse_link: a name without its NUL");
	return r;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct walk *w = data;
	const uint8_t *p = (const uint8_t *)nlh;
	size_t len = nlh->nlmsg_len;
	int dev, family, link;

	if (p < w->buf || p >= w->buf + w->len || (p - w->buf) % NLMSG_ALIGNTO ||
	    len < NLMSG_HDRLEN || len > (size_t)(w->buf + w->len - p))
		die("xdp_nl_run: a message not wholly inside the datagram");
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		die("xdp_nl_run: a control message handed to the callback");
	dev = check_dev(nlh, len);
	family = check_family(nlh, len);
	link = check_link(nlh, len);
	/* GENL_ID_CTRL and RTM_NEWLINK are both 16: either answer will do */
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		w->last_err = family && link ? family : 0;
	else
		w->last_err = dev;
	return w->last_err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap block of exactly the input: 4-aligned, any over-read caught. */
	uint8_t *buf = malloc(size ? size : 1);
	struct walk w = { buf, size, 0 };
	int r;

	if (!buf)
		die("out of memory");
	memcpy(buf, data, size);
	r = xdp_nl_run(buf, size, NLMSG_FIXTURE_SEQ, NLMSG_FIXTURE_PORTID,
		       on_msg, &w);
	if (r > 1 || r <= -4096)
		die("xdp_nl_run: neither 1, 0 nor an errno");
	if (w.last_err && r != w.last_err)
		die("xdp_nl_run: went on after a callback's error");
	check_dev(buf, size);
	check_family(buf, size);
	check_link(buf, size);
	free(buf);
	return 0;
}
