/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tcpconnect -d: a socket filter on packet sockets (one for IPv4, one for
 * IPv6, so outgoing packets never reach it) that passes UDP datagrams from
 * port 53 and nothing else.  User space parses the DNS answers; the filter
 * only keeps everything else out of its receive queue.
 */
#define NR_ETH_P_IP	0x0800
#define NR_ETH_P_IPV6	0x86dd
#define NR_IPPROTO_UDP	17

static __always_inline int udp_sport_is_53(struct __sk_buff *skb, __u32 off)
{
	__be16 sport;

	if (bpf_skb_load_bytes(skb, off, &sport, sizeof(sport)))
		return 0;
	return sport == bpf_htons(53);
}

SEC("socket")
int tc_dns(struct __sk_buff *skb)
{
	__u8 b[10];

	/* A packet socket of SOCK_DGRAM: data starts at the network header. */
	if (skb->protocol == bpf_htons(NR_ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 0, b, 10) || (b[0] >> 4) != 4)
			return 0;
		/* Only whole datagrams: no fragments, which have no UDP header. */
		if (b[9] != NR_IPPROTO_UDP || ((b[6] & 0x3f) | b[7]))
			return 0;
		return udp_sport_is_53(skb, (b[0] & 0xf) * 4) ? skb->len : 0;
	}
	if (skb->protocol == bpf_htons(NR_ETH_P_IPV6)) {
		/* Extension headers in DNS answers are too rare to chase. */
		if (bpf_skb_load_bytes(skb, 0, b, 8) || (b[0] >> 4) != 6 ||
		    b[6] != NR_IPPROTO_UDP)
			return 0;
		return udp_sport_is_53(skb, 40) ? skb->len : 0;
	}
	return 0;
}
