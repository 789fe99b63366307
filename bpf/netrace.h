/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Records shared by the BPF programs and user space: fixed-width types
 * only, so both compilers lay them out the same way.
 */
#ifndef NETRACE_H
#define NETRACE_H

#define NR_TASK_COMM_LEN	16
#define NR_MAX_PORTS		64

enum nr_event_type {
	NR_EV_CONNECT = 1,
	NR_EV_ACCEPT = 2,
	NR_EV_CLOSE = 3,	/* tcptracer */
	NR_EV_STATE = 4,	/* tcpstates */
	NR_EV_LIFE = 5,		/* tcplife */
	NR_EV_LATENCY = 6,	/* tcpconnlat */
};

union nr_addr {
	__u32 v4;
	__u8 v6[16];
};

/* One TCP connection: a connect() attempt or an accept(). */
struct nr_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u32 uid;
	__u16 family;		/* AF_INET or AF_INET6, as reported */
	__u16 lport;		/* host order */
	__u16 rport;		/* host order */
	__u8 type;		/* enum nr_event_type */
	__u8 pad;
	char comm[NR_TASK_COMM_LEN];
	union nr_addr laddr;
	union nr_addr raddr;
};

/*
 * The applets that follow a socket through its life (tcpstates, tcplife,
 * tcpconnlat, tcptracer): a connection event and what they add.  Fields
 * an applet does not use are zero.
 */
struct nr_sk_event {
	struct nr_event c;
	__u64 skaddr;		/* struct sock *: an identity, never followed */
	__u64 span_ns;		/* in the old state, lifetime, or latency */
	__u64 tx_bytes;		/* tcp_sock bytes_acked */
	__u64 rx_bytes;		/* tcp_sock bytes_received */
	__u32 netns;		/* network namespace inode */
	__u8 oldstate;		/* TCP_* of include/net/tcp_states.h */
	__u8 newstate;
	__u16 pad;
};

/* The largest record an applet sends (user space copies perf records). */
#define NR_RECORD_MAX	256

/*
 * The record of tracepoint sock:inet_sock_set_state as Linux 5.6 and
 * later lay it out.  tcpconnect reads it without kernel types only after
 * checking every field's offset and size against the tracepoint's format
 * file (older kernels had an 8-bit protocol, and other offsets).
 */
struct nr_tp_sock_state {
	__u64 common;		/* type, flags, preempt_count, pid */
	__u64 skaddr;
	__s32 oldstate;
	__s32 newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
};

/* tcpconnect -c: counted in the kernel, per (family, saddr, daddr, dport). */
struct nr_count_key {
	union nr_addr saddr;
	union nr_addr daddr;
	__u16 family;
	__u16 dport;		/* host order */
	__u32 pad;
};

/* Indexes into the per-CPU "nr_stats" array. */
enum nr_stat {
	NR_STAT_LOST,		/* events the buffer had no room for */
	NR_STAT_MAX,
};

#endif
